//! The page's state: which scenario, which packet, which hop. Everything the page shows
//! about networking is derived from this by the evaluator (`trace`), never stored here.

use std::rc::Rc;

use packetwalk::edit::{self, Edit};
use packetwalk::model::Warning;
use packetwalk::scenario::Scenario;
use packetwalk::trace::PacketSpec;
use yew::prelude::*;

use crate::components::import_panel::{parse_json, ImportReport, ImportRequest, ImportStatus};
use crate::scenarios;

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The built-in scenario the page started from.
    pub scenario_name: String,
    /// The scenario before the person's edits: the built-in one, the tour step's, or
    /// an imported whole scenario.
    pub base: Rc<Scenario>,
    /// The JSON text of an imported whole scenario, which a link then carries.
    pub base_document: Option<Rc<String>>,
    /// The person's edits, oldest first; `scenario` is `base` with these applied.
    pub edits: Vec<Edit>,
    /// Edits undone, the most recently undone last.
    pub redo: Vec<Edit>,
    pub scenario: Rc<Scenario>,
    /// The named flow the packet came from, if it is still that flow.
    pub flow: Option<String>,
    pub packet: PacketSpec,
    /// The hop on show, an index into the trace's hops.
    pub step: usize,
    pub playing: bool,
    /// Milliseconds per hop.
    pub speed_ms: u32,
    /// A message about the last thing that could not be done (a bad link, a bad scenario).
    pub notice: Option<String>,
    /// The guided tour's step on show, if the tour is on.
    pub tour: Option<usize>,
    /// What changed in Azure to make this scenario (the tour's `kubectl apply`).
    pub changes: Vec<String>,
    /// The same, placed on the picture (the evaluator's delta), when the tour shows it.
    pub delta: Rc<[packetwalk::delta::Delta]>,
    /// What the last import said.
    pub import: Option<ImportReport>,
    /// An import that found problems, held until the person confirms or cancels it.
    pub pending_import: Option<Rc<PendingImport>>,
    /// What the last edit did, or why it was refused.
    pub edit_result: Option<Rc<EditResult>>,
}

/// The outcome of the last edit, for the editor to show beside its fields.
#[derive(Clone, Debug, PartialEq)]
pub enum EditResult {
    Applied { edit: Edit, changes: Vec<String> },
    Refused { edit: Edit, problems: Vec<Warning> },
}

pub enum Action {
    LoadScenario(String),
    SelectFlow(String),
    SetPacket(PacketSpec),
    Step(usize),
    Forward(usize),
    Back,
    Play,
    Pause,
    Restart,
    Speed(u32),
    Dismiss,
    /// Go to a step of the guided tour, or leave it.
    Tour(Option<usize>),
    /// Pasted or dropped JSON text, or the answer to an import held for review.
    Import(ImportRequest),
    Edit(Edit),
    Undo,
    Redo,
    /// Back to the scenario without the person's edits (redo brings them back).
    ResetEdits,
}

pub const DEFAULT_SCENARIO: &str = "blog-part4";

impl State {
    pub fn new(name: &str) -> State {
        match scenarios::built_in(name) {
            Ok(scenario) => State::with(name, scenario, None),
            Err(err) => {
                let mut state = State::default_scenario();
                state.notice = Some(err);
                state
            }
        }
    }

    /// A scenario that is not a built-in (a host page's own, through `mount`), on its
    /// first packet.
    pub fn custom(scenario: Scenario, notice: Option<String>) -> State {
        let name = if scenario.name.is_empty() {
            "custom".to_owned()
        } else {
            scenario.name.clone()
        };
        State::with(&name, scenario, notice)
    }

    fn default_scenario() -> State {
        let scenario = scenarios::built_in(DEFAULT_SCENARIO).unwrap_or_default();
        State::with(DEFAULT_SCENARIO, scenario, None)
    }

    fn with(name: &str, scenario: Scenario, notice: Option<String>) -> State {
        let flow = scenario.flows.first().cloned();
        State {
            scenario_name: name.to_owned(),
            packet: flow
                .as_ref()
                .map(|f| PacketSpec {
                    from: f.from.clone(),
                    to: f.to.clone(),
                    protocol: f.protocol.clone(),
                })
                .unwrap_or_else(|| PacketSpec {
                    from: String::new(),
                    to: String::new(),
                    protocol: "TCP".to_owned(),
                }),
            flow: flow.map(|f| f.name),
            scenario: Rc::new(Scenario::default()),
            base: Rc::new(scenario),
            base_document: None,
            edits: Vec::new(),
            redo: Vec::new(),
            step: 0,
            playing: false,
            speed_ms: 1100,
            notice,
            tour: None,
            changes: Vec::new(),
            delta: Rc::from([]),
            import: None,
            pending_import: None,
            edit_result: None,
        }
        .rebuilt()
    }

    /// Recomputes the scenario from the base and the edits; edits that no longer apply
    /// are dropped and named in the notice.
    fn rebuilt(mut self) -> State {
        if self.edits.is_empty() {
            self.scenario = self.base.clone();
            return self;
        }
        let (scenario, skipped) = edit::replay(&self.base, &self.edits);
        if !skipped.is_empty() {
            let mut lines = Vec::new();
            for (index, refused) in skipped.iter().rev() {
                let dropped = self.edits.remove(*index);
                lines.push(format!("{}: {refused}", dropped.describe()));
            }
            lines.reverse();
            self.notice = Some(format!(
                "Some edits no longer apply and were left out: {}",
                lines.join("; ")
            ));
        }
        self.scenario = Rc::new(scenario);
        self
    }

    pub fn edited(&self) -> bool {
        !self.edits.is_empty()
    }

    /// With the edits replaced (a link's or the stored ones).
    pub fn with_edits(mut self, edits: Vec<Edit>) -> State {
        self.edits = edits;
        self.redo.clear();
        self.rebuilt()
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::LoadScenario(name) => {
                next = State::new(&name);
                next.speed_ms = self.speed_ms;
            }
            Action::SelectFlow(name) => {
                if let Some(flow) = self.scenario.flows.iter().find(|f| f.name == name) {
                    next.packet = PacketSpec {
                        from: flow.from.clone(),
                        to: flow.to.clone(),
                        protocol: flow.protocol.clone(),
                    };
                    next.flow = Some(name);
                    next.step = 0;
                    next.playing = false;
                }
            }
            Action::SetPacket(packet) => {
                next.flow = self
                    .scenario
                    .flows
                    .iter()
                    .find(|f| {
                        f.from == packet.from
                            && f.to == packet.to
                            && f.protocol.eq_ignore_ascii_case(&packet.protocol)
                    })
                    .map(|f| f.name.clone());
                next.packet = packet;
                next.step = 0;
                next.playing = false;
            }
            Action::Step(step) => {
                next.step = step;
                next.playing = false;
            }
            Action::Forward(last) => {
                if self.step < last {
                    next.step = self.step + 1;
                } else {
                    next.playing = false;
                }
            }
            Action::Back => {
                next.step = self.step.saturating_sub(1);
                next.playing = false;
            }
            Action::Play => next.playing = true,
            Action::Pause => next.playing = false,
            Action::Restart => {
                next.step = 0;
                next.playing = true;
            }
            Action::Speed(ms) => next.speed_ms = ms.clamp(200, 5000),
            Action::Dismiss => next.notice = None,
            Action::Tour(None) => {
                next.tour = None;
                next.delta = Rc::from([]);
            }
            Action::Tour(Some(index)) => next = tour_state(index, &self),
            Action::Import(ImportRequest::Text(text)) => import(&mut next, &text, false),
            Action::Import(ImportRequest::Cluster(documents)) => {
                import_cluster(&mut next, &documents, false);
            }
            Action::Import(ImportRequest::Confirm) => {
                if let Some(pending) = next.pending_import.take() {
                    match &*pending {
                        PendingImport::Document(text) => import(&mut next, text, true),
                        PendingImport::Cluster(documents) => {
                            import_cluster(&mut next, documents, true);
                        }
                    }
                }
            }
            Action::Import(ImportRequest::Cancel) => {
                next.pending_import = None;
                next.import = Some(ImportReport {
                    status: ImportStatus::Failed,
                    summary: "Import cancelled: nothing was changed.".to_owned(),
                    changes: Vec::new(),
                    warnings: Vec::new(),
                });
            }
            Action::Edit(edit) => {
                apply_edit(&mut next, edit);
            }
            Action::Undo => {
                if let Some(edit) = next.edits.pop() {
                    next.redo.push(edit);
                    next.edit_result = None;
                    next = next.rebuilt();
                }
            }
            Action::Redo => {
                if let Some(edit) = next.redo.pop() {
                    let redo = std::mem::take(&mut next.redo);
                    apply_edit(&mut next, edit);
                    next.redo = redo;
                }
            }
            Action::ResetEdits => {
                let edits = std::mem::take(&mut next.edits);
                next.redo.extend(edits.into_iter().rev());
                next.edit_result = None;
                next = next.rebuilt();
            }
        }
        Rc::new(next)
    }
}

/// The state of a tour step: its scenario (built by the evaluator), packet and hop.
fn tour_state(index: usize, current: &State) -> State {
    let Some(step) = crate::tour::STEPS.get(index) else {
        let mut same = current.clone();
        same.notice = Some(format!("the tour has no step {}", index + 1));
        return same;
    };
    let (scenario, changes, delta) = match crate::tour::scenario(step) {
        Ok(found) => found,
        Err(err) => {
            let mut same = current.clone();
            same.notice = Some(err);
            return same;
        }
    };
    let mut next = State::with(step.base, scenario, None);
    next.speed_ms = current.speed_ms;
    next.changes = changes;
    next.delta = delta.into();
    next.tour = Some(index);
    let next = Rc::new(next).reduce(Action::SelectFlow(step.flow.to_owned()));
    let mut next = (*next).clone();
    next.tour = Some(index);
    if let Ok(found) = packetwalk::trace::trace(&next.scenario, &next.packet) {
        let last = found.hops.len().saturating_sub(1);
        next.step = match step.at {
            crate::tour::At::Last => last,
            crate::tour::At::First(prefix) => found
                .hops
                .iter()
                .position(|h| h.component.starts_with(prefix))
                .unwrap_or(0),
        };
    }
    next
}

/// Applies an edit on top of the current scenario, or records why it was refused.
/// Returns whether it was applied.
fn apply_edit(state: &mut State, edit: Edit) -> Option<edit::Applied> {
    let mut scenario = (*state.scenario).clone();
    match edit::apply(&mut scenario, &edit) {
        Ok(applied) => {
            state.scenario = Rc::new(scenario);
            state.edit_result = Some(Rc::new(EditResult::Applied {
                edit: edit.clone(),
                changes: applied.changes.clone(),
            }));
            state.edits.push(edit);
            state.redo.clear();
            state.playing = false;
            Some(applied)
        }
        Err(refused) => {
            state.edit_result = Some(Rc::new(EditResult::Refused {
                edit,
                problems: refused.problems,
            }));
            None
        }
    }
}

/// An import held for review: the pasted text, imported again when confirmed.
#[derive(Clone, Debug, PartialEq)]
pub enum PendingImport {
    Document(String),
    /// A whole cluster's documents, each with its name.
    Cluster(Vec<(String, String)>),
}

fn failed(summary: String, warnings: Vec<String>) -> ImportReport {
    ImportReport {
        status: ImportStatus::Failed,
        summary,
        changes: Vec::new(),
        warnings,
    }
}

/// Holds an import that found problems: nothing changes until the person confirms.
/// `found`: what the document holds, in a few words, when the evaluator can say.
fn hold_for_review(
    state: &mut State,
    pending: PendingImport,
    found: Option<String>,
    changes: Vec<String>,
    warnings: Vec<String>,
) {
    let count = warnings.len();
    state.pending_import = Some(Rc::new(pending));
    state.import = Some(ImportReport {
        status: ImportStatus::Review,
        summary: format!(
            "{}Not imported yet: the import found {count} problem{}. Nothing has changed; read {} below, then import anyway or cancel.",
            found.map(|f| format!("Found {f}. ")).unwrap_or_default(),
            if count == 1 { "" } else { "s" },
            if count == 1 { "it" } else { "them" }
        ),
        changes,
        warnings,
    });
}

/// Imports pasted JSON into the scenario (NSGs in any az/ARM shape, or kubectl
/// objects) as an edit, so that undo, links and storage treat it like any other. An
/// import with warnings (including one that found no rules) is held for review unless
/// `confirmed`.
fn import(state: &mut State, text: &str, confirmed: bool) {
    state.pending_import = None;
    let document = match parse_json(text) {
        Ok(doc) => doc,
        Err(summary) => {
            state.import = Some(failed(summary, Vec::new()));
            return;
        }
    };
    if document.get("vnet").is_some() && document.get("nodes").is_some() {
        return import_scenario(state, text, confirmed);
    }
    // kubectl objects other than one Service (a List of NetworkPolicies, Namespaces and
    // Pods): what the document holds, and which policies the API server would refuse.
    let kubectl = document.get("kind").and_then(|k| k.as_str()).is_some()
        && document.get("kind").and_then(|k| k.as_str()) != Some("Service");
    let contents = kubectl
        .then(|| edit::kubectl_contents(&document))
        .filter(|c| !c.is_empty());
    let found = |warnings: &[Warning]| {
        contents
            .as_ref()
            .map(|c| match edit::refused_policies(warnings) {
                Some(refused) => format!("{c}; {refused}"),
                None => c.clone(),
            })
    };
    let edit = Edit::Import { document };
    let what = edit.describe();
    if !confirmed {
        let mut trial = (*state.scenario).clone();
        if let Ok(applied) = edit::apply(&mut trial, &edit) {
            if !applied.warnings.is_empty() {
                let warnings = applied.warnings.iter().map(ToString::to_string).collect();
                return hold_for_review(
                    state,
                    PendingImport::Document(text.to_owned()),
                    found(&applied.warnings),
                    applied.changes,
                    warnings,
                );
            }
        }
    }
    let report = match apply_edit(state, edit) {
        Some(applied) => ImportReport {
            status: ImportStatus::Done,
            summary: match found(&applied.warnings) {
                _ if what.starts_with("kubectl apply") => {
                    format!("{what}: applied the Service as kubectl apply would. What changed:")
                }
                Some(found) => format!("Imported {found}. What changed:"),
                None => format!("{what}: done. What changed:"),
            },
            changes: applied.changes,
            warnings: applied.warnings.iter().map(ToString::to_string).collect(),
        },
        None => {
            let problems = match state.edit_result.as_deref() {
                Some(EditResult::Refused { problems, .. }) => problems.clone(),
                _ => Vec::new(),
            };
            state.edit_result = None;
            failed(
                problems
                    .first()
                    .map_or_else(|| "nothing imported".to_owned(), |w| w.message.clone()),
                problems.iter().skip(1).map(ToString::to_string).collect(),
            )
        }
    };
    if report.status == ImportStatus::Done {
        state.step = 0;
    }
    state.import = Some(report);
}

/// A whole scenario document (docs/scenario-format.md) replaces the scenario; one whose
/// NSGs needed a lenient reading is held for review unless `confirmed`.
fn import_scenario(state: &mut State, text: &str, confirmed: bool) {
    match scenarios::parse(text) {
        Ok(scenario) => {
            let warnings = &scenario.network_security_groups.import_warnings;
            if !confirmed && !warnings.is_empty() {
                let warnings = warnings.iter().map(ToString::to_string).collect();
                let changes = vec![format!(
                    "scenario {} replaces the one on show",
                    scenario.name
                )];
                return hold_for_review(
                    state,
                    PendingImport::Document(text.to_owned()),
                    None,
                    changes,
                    warnings,
                );
            }
            let summary = format!(
                "Loaded scenario {} ({} nodes, {} pods, {} NSGs)",
                scenario.name,
                scenario.nodes.len(),
                scenario.pods.len(),
                scenario.network_security_groups.nsgs.len()
            );
            let warnings = warnings.iter().map(ToString::to_string).collect();
            let mut next = State::with(&scenario.name.clone(), scenario, None);
            next.base_document = Some(Rc::new(text.to_owned()));
            next.speed_ms = state.speed_ms;
            next.import = Some(ImportReport {
                status: ImportStatus::Done,
                summary,
                changes: Vec::new(),
                warnings,
            });
            *state = next;
        }
        Err(err) => state.import = Some(failed(format!("scenario: {err}"), Vec::new())),
    }
}

/// The documents of a whole cluster (the README's command set) become the scenario, as a
/// scenario document would; what the import had to assume is held for review unless
/// `confirmed`.
fn import_cluster(state: &mut State, documents: &[(String, String)], confirmed: bool) {
    state.pending_import = None;
    let mut parsed = Vec::new();
    for (name, text) in documents {
        match parse_json(text) {
            Ok(doc) => parsed.push((name.clone(), doc)),
            Err(err) => {
                state.import = Some(failed(format!("{name}: {err}"), Vec::new()));
                return;
            }
        }
    }
    let docs: Vec<packetwalk::cluster::Document<'_>> = parsed
        .iter()
        .map(|(name, value)| packetwalk::cluster::Document { name, value })
        .collect();
    let imported = packetwalk::cluster::import_cluster(&docs);
    let mut scenario = imported.value;
    if scenario.name.is_empty() {
        scenario.name = "your-cluster".to_owned();
    }
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    if scenario.nodes.is_empty() {
        state.import = Some(failed(
            "No cluster: none of the documents gave a node (add kubectl get nodes or the NIC lists).".to_owned(),
            warnings,
        ));
        return;
    }
    let summary = format!(
        "Your cluster {}: {} nodes in {} subnets, {} pods, {} Services, {} NSGs",
        scenario.name,
        scenario.nodes.len(),
        scenario.vnet.subnets.len(),
        scenario.pods.len(),
        scenario.services.len(),
        scenario.network_security_groups.nsgs.len()
    );
    if !confirmed && !warnings.is_empty() {
        let pending = PendingImport::Cluster(documents.to_vec());
        return hold_for_review(state, pending, None, vec![summary], warnings);
    }
    let text = scenario_text(&scenario);
    let mut next = State::with(&scenario.name.clone(), scenario, None);
    next.base_document = text.map(Rc::new);
    next.speed_ms = state.speed_ms;
    next.import = Some(ImportReport {
        status: ImportStatus::Done,
        summary,
        changes: Vec::new(),
        warnings,
    });
    *state = next;
}

/// The scenario as a document, so a link and this browser's storage keep it.
#[cfg(target_arch = "wasm32")]
fn scenario_text(scenario: &packetwalk::scenario::Scenario) -> Option<String> {
    use serde::Serialize;
    let value = scenario
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

#[cfg(not(target_arch = "wasm32"))]
fn scenario_text(scenario: &packetwalk::scenario::Scenario) -> Option<String> {
    serde_json::to_string(scenario).ok()
}
