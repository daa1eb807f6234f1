//! The page's state: which scenario, which packet, which hop. Everything the page shows
//! about networking is derived from this by the evaluator (`trace`), never stored here.

use std::rc::Rc;

use packetwalk::scenario::Scenario;
use packetwalk::trace::PacketSpec;
use yew::prelude::*;

use crate::components::import_panel::{parse_json, ImportReport};
use crate::scenarios;

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The built-in scenario the page started from.
    pub scenario_name: String,
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
    /// What the last import said.
    pub import: Option<ImportReport>,
    /// The scenario differs from the built-in one (an import); a link cannot carry that.
    pub edited: bool,
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
    /// Pasted or dropped JSON text.
    Import(String),
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
            scenario: Rc::new(scenario),
            step: 0,
            playing: false,
            speed_ms: 1100,
            notice,
            tour: None,
            changes: Vec::new(),
            import: None,
            edited: false,
        }
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
            Action::Tour(None) => next.tour = None,
            Action::Tour(Some(index)) => next = tour_state(index, &self),
            Action::Import(text) => import(&mut next, &text),
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
    let (scenario, changes) = match crate::tour::scenario(step) {
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

/// Imports pasted JSON into the scenario: NSGs (any az/ARM shape) or kubectl objects.
fn import(state: &mut State, text: &str) {
    let failed = |summary: String| ImportReport {
        ok: false,
        summary,
        warnings: Vec::new(),
    };
    let doc = match parse_json(text) {
        Ok(doc) => doc,
        Err(err) => {
            state.import = Some(failed(err));
            return;
        }
    };
    if doc.get("vnet").is_some() && doc.get("nodes").is_some() {
        return import_scenario(state, text);
    }
    let mut scenario = (*state.scenario).clone();
    let kind = doc
        .get("kind")
        .and_then(packetwalk::json::Value::as_str)
        .is_some();
    let report = if kind {
        match packetwalk::kubernetes::import_kubernetes(&doc) {
            Err(err) => failed(err.to_string()),
            Ok(imported) => {
                let mut lines = Vec::new();
                let services = imported.value.services.clone();
                let mut objects = imported.value;
                objects.services.clear();
                let pods = objects.pods.len();
                packetwalk::kubernetes::merge_into(&mut scenario, objects);
                let mut errors = Vec::new();
                for service in services {
                    match packetwalk::reconcile::apply_service(
                        &mut scenario,
                        service,
                        packetwalk::reconcile::RuleNaming::PerService,
                    ) {
                        Ok(changes) => lines.extend(changes),
                        Err(err) => errors.push(err.to_string()),
                    }
                }
                let mut warnings: Vec<String> =
                    imported.warnings.iter().map(ToString::to_string).collect();
                warnings.extend(errors);
                warnings.extend(lines);
                ImportReport {
                    ok: true,
                    summary: format!(
                        "Imported {pods} pod(s) and applied the Service(s) as kubectl apply would:"
                    ),
                    warnings,
                }
            }
        }
    } else {
        let imported = packetwalk::import_nsgs(&doc);
        if imported.value.is_empty() {
            failed(
                packetwalk::ImportError::NoNsgOrRule {
                    found: doc.kind().to_owned(),
                }
                .to_string(),
            )
        } else {
            let mut placed = Vec::new();
            for nsg in imported.value {
                let name = nsg.name.clone();
                if let Some(existing) = scenario.network_security_groups.get_mut(&name) {
                    *existing = nsg;
                    placed.push(format!("NSG {name} replaced"));
                } else if let Some(node) = scenario.nodes.first() {
                    let old = node.nic.network_security_group.clone();
                    let nic = node.nic.name.clone();
                    for n in &mut scenario.nodes {
                        if n.nic.network_security_group == old {
                            n.nic.network_security_group = Some(name.clone());
                        }
                    }
                    scenario.network_security_groups.nsgs.push(nsg);
                    placed.push(format!(
                        "NSG {name} now on NIC {nic} (and every NIC that had {})",
                        old.unwrap_or_else(|| "no NSG".to_owned())
                    ));
                }
            }
            ImportReport {
                ok: true,
                summary: placed.join("; "),
                warnings: imported.warnings.iter().map(ToString::to_string).collect(),
            }
        }
    };
    if report.ok {
        state.scenario = Rc::new(scenario);
        state.edited = true;
        state.step = 0;
        state.playing = false;
        state.tour = None;
    }
    state.import = Some(report);
}

/// A whole scenario document (docs/scenario-format.md) replaces the scenario.
fn import_scenario(state: &mut State, text: &str) {
    match scenarios::parse(text) {
        Ok(scenario) => {
            let summary = format!(
                "Loaded scenario {} ({} nodes, {} pods, {} NSGs)",
                scenario.name,
                scenario.nodes.len(),
                scenario.pods.len(),
                scenario.network_security_groups.nsgs.len()
            );
            let mut next = State::with(&state.scenario_name, scenario, None);
            next.speed_ms = state.speed_ms;
            next.edited = true;
            next.import = Some(ImportReport {
                ok: true,
                summary,
                warnings: Vec::new(),
            });
            *state = next;
        }
        Err(err) => {
            state.import = Some(ImportReport {
                ok: false,
                summary: format!("scenario: {err}"),
                warnings: Vec::new(),
            })
        }
    }
}
