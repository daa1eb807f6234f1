//! Editing the cluster: NSG rules, the subnet's NSG, nodes and pods, a Service's traffic
//! policy and source ranges, NetworkPolicy (the engine, each policy as kubectl JSON);
//! undo and redo. Every change is an `Edit` that the evaluator
//! checks and applies; what it refuses is shown beside the field it names.

use std::collections::BTreeMap;
use std::rc::Rc;

use packetwalk::edit::{
    default_deny_template, form_field, policy_document, policy_summary, Edit, PolicyName, RuleForm,
    RULE_FORM_FIELDS,
};
use packetwalk::json::Value;
use packetwalk::model::Warning;
use packetwalk::netpol::PolicyEngine;
use packetwalk::scenario::{ExternalTrafficPolicy, Scenario, ServiceType};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::state::{Action, EditResult, State};

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub state: UseReducerHandle<State>,
    /// Mounted in a host page (the JS API): the keyboard shortcuts stay off there, so
    /// Ctrl+Z keeps meaning whatever it means on that page.
    #[prop_or_default]
    pub hosted: bool,
}

/// Text typed in the subnet and source-range fields and not yet applied, by field. The
/// page re-renders while the packet plays and after a refused edit; an input's value
/// comes from here, so neither wipes what was typed.
type Drafts = UseStateHandle<BTreeMap<String, String>>;

/// The rule form on show: which NSG, which rule it replaces, and what is typed.
#[derive(Clone, PartialEq)]
struct OpenForm {
    nsg: String,
    replaces: Option<String>,
    values: RuleForm,
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let state = &props.state;
    let scenario = &state.scenario;
    let form = use_state(|| None::<OpenForm>);
    let chosen = use_state(|| None::<String>);
    let drafts: Drafts = use_state(BTreeMap::new);
    let nsg_name = chosen
        .as_ref()
        .filter(|n| scenario.network_security_groups.get(n).is_some())
        .cloned()
        .or_else(|| {
            scenario
                .nodes
                .iter()
                .find_map(|n| n.nic.network_security_group.clone())
        })
        .or_else(|| {
            scenario
                .network_security_groups
                .nsgs
                .first()
                .map(|n| n.name.clone())
        });

    // A rule that was applied closes its form.
    {
        let form = form.clone();
        use_effect_with(state.edit_result.clone(), move |result| {
            if let (
                Some(EditResult::Applied {
                    edit: Edit::PutRule { nsg, replaces, .. },
                    ..
                }),
                Some(open),
            ) = (result.as_deref(), form.as_ref())
            {
                if *nsg == open.nsg && *replaces == open.replaces {
                    form.set(None);
                }
            }
        });
    }

    // Once the scenario changes (an edit applied, undone, redone), the fields show it again.
    {
        let drafts = drafts.clone();
        use_effect_with(state.scenario.clone(), move |_: &Rc<Scenario>| {
            if !drafts.is_empty() {
                drafts.set(BTreeMap::new());
            }
        });
    }

    // Ctrl+Z (Cmd+Z) undoes an edit, Ctrl+Shift+Z or Ctrl+Y redoes one, except while
    // typing in a field, where they keep undoing the typing.
    {
        let d = state.dispatcher();
        use_effect_with(props.hosted, move |&hosted| {
            let listener = (!hosted)
                .then(web_sys::window)
                .flatten()
                .and_then(|w| w.document())
                .map(|document| {
                    gloo_events::EventListener::new_with_options(
                        &document,
                        "keydown",
                        // Not passive: the browser's own Ctrl+Z is cancelled when it undoes an edit.
                        gloo_events::EventListenerOptions::enable_prevent_default(),
                        move |event| {
                            if let Some(action) = event.dyn_ref().and_then(shortcut) {
                                event.prevent_default();
                                d.dispatch(action);
                            }
                        },
                    )
                });
            move || drop(listener)
        });
    }

    let dispatch = |action: fn() -> Action| {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(action()))
    };
    let refused = |matches: &dyn Fn(&Edit) -> bool| -> Vec<Warning> {
        match state.edit_result.as_deref() {
            Some(EditResult::Refused { edit, problems }) if matches(edit) => problems.clone(),
            _ => Vec::new(),
        }
    };

    let summary = match state.edits.len() {
        0 => "Edit the cluster".to_owned(),
        1 => "Edit the cluster (1 edit)".to_owned(),
        n => format!("Edit the cluster ({n} edits)"),
    };
    let last_edit = state.edits.last().map(Edit::describe);
    let next_redo = state.redo.last().map(Edit::describe);

    html! {
        <details class="editor">
            <summary>{ summary }</summary>
            <div class="edit-bar" role="toolbar" aria-label="Edits">
                <button type="button" onclick={dispatch(|| Action::Undo)} disabled={last_edit.is_none()}
                    title={last_edit.as_ref().map(|d| format!("Undo: {d}"))}>{ "↶ Undo" }</button>
                <button type="button" onclick={dispatch(|| Action::Redo)} disabled={next_redo.is_none()}
                    title={next_redo.as_ref().map(|d| format!("Redo: {d}"))}>{ "↷ Redo" }</button>
                <button type="button" onclick={dispatch(|| Action::ResetEdits)} disabled={state.edits.is_empty()}>
                    { "Reset to the built-in scenario" }
                </button>
                <span class="dim">
                    if state.edits.is_empty() {
                        { "No edits yet. Changes are kept in the link and in this browser." }
                    } else {
                        { format!("{} on top of {}; the link and this browser keep them.", plural(state.edits.len(), "edit"), base_name(state)) }
                    }
                </span>
            </div>
            { result_line(state) }
            { rules_section(state, scenario, nsg_name.as_deref(), &chosen, &form, &refused) }
            { subnets_section(state, scenario, &drafts, &refused) }
            { nodes_section(state, scenario, &refused) }
            { services_section(state, scenario, &drafts, &refused) }
            <PolicySection state={state.clone()} />
            if !state.edits.is_empty() {
                <section class="edit-history" aria-label="Your edits">
                    <h3>{ "Your edits" }</h3>
                    <ol>{ for state.edits.iter().map(|e| html! { <li>{ e.describe() }</li> }) }</ol>
                </section>
            }
        </details>
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn base_name(state: &State) -> String {
    match state.tour {
        Some(step) => format!("the tour's step {}", step + 1),
        None => format!("the built-in scenario {}", state.scenario_name),
    }
}

fn result_line(state: &State) -> Html {
    match state.edit_result.as_deref() {
        Some(EditResult::Applied { edit, changes }) => html! {
            <div class="edit-result ok" role="status" aria-label="Edit result">
                <p>{ format!("Done: {}.", edit.describe()) }</p>
                <ul>{ for changes.iter().map(|c| html! { <li><code>{ c }</code></li> }) }</ul>
            </div>
        },
        Some(EditResult::Refused { edit, problems }) => html! {
            <div class="edit-result failed" role="alert" aria-label="Edit result">
                <p>{ format!("Not done: {}. Nothing was changed.", edit.describe()) }</p>
                <ul>{ for problems.iter().map(|w| html! { <li>{ w.to_string() }</li> }) }</ul>
            </div>
        },
        None => html! {},
    }
}

/// The value of a named control of the form that was submitted.
fn form_value(e: &SubmitEvent, name: &str) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        .map(|f| named_value(&f, name))
        .unwrap_or_default()
}

fn named_value(form: &web_sys::HtmlFormElement, name: &str) -> String {
    web_sys::FormData::new_with_form(form)
        .ok()
        .and_then(|d| d.get(name).as_string())
        .unwrap_or_default()
}

/// Keeps what is typed in an input as its draft under `key`.
fn remember(drafts: &Drafts, key: String) -> Callback<InputEvent> {
    let drafts = drafts.clone();
    Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            let mut next = (*drafts).clone();
            next.insert(key.clone(), input.value());
            drafts.set(next);
        }
    })
}

fn field_error(id: &str, problems: &[&Warning]) -> Html {
    if problems.is_empty() {
        return html! {};
    }
    html! {
        <span class="field-error" id={id.to_owned()}>
            { problems.iter().map(|w| problem_text(w)).collect::<Vec<_>>().join("; ") }
        </span>
    }
}

/// A problem as shown beside its field: the field is already named by its label.
fn problem_text(w: &Warning) -> String {
    match &w.value {
        Some(value) => format!("{value:?}: {}", w.message),
        None => w.message.clone(),
    }
}

type Refusals<'a> = dyn Fn(&dyn Fn(&Edit) -> bool) -> Vec<Warning> + 'a;

fn rules_section(
    state: &UseReducerHandle<State>,
    scenario: &Scenario,
    nsg_name: Option<&str>,
    chosen: &UseStateHandle<Option<String>>,
    form: &UseStateHandle<Option<OpenForm>>,
    refused: &Refusals<'_>,
) -> Html {
    let Some(nsg) = nsg_name.and_then(|n| scenario.network_security_groups.get(n)) else {
        return html! {
            <section class="edit-rules" aria-label="NSG rules">
                <h3>{ "NSG rules" }</h3>
                <p class="dim">{ "This scenario has no NSG. Attach one to a subnet below." }</p>
            </section>
        };
    };
    let choose = {
        let chosen = chosen.clone();
        let form = form.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                chosen.set(Some(select.value()));
                form.set(None);
            }
        })
    };
    let attached: Vec<String> = scenario
        .vnet
        .subnets
        .iter()
        .filter(|s| s.network_security_group.as_deref() == Some(nsg.name.as_str()))
        .map(|s| format!("subnet {}", s.name))
        .chain(
            scenario
                .nodes
                .iter()
                .filter(|n| n.nic.network_security_group.as_deref() == Some(nsg.name.as_str()))
                .map(|n| format!("NIC {}", n.nic.name)),
        )
        .collect();
    let open = |replaces: Option<String>, values: RuleForm| {
        let form = form.clone();
        let nsg = nsg.name.clone();
        Callback::from(move |_: MouseEvent| {
            form.set(Some(OpenForm {
                nsg: nsg.clone(),
                replaces: replaces.clone(),
                values: values.clone(),
            }))
        })
    };
    let free_priority = (100..=4096)
        .step_by(10)
        .find(|p| !nsg.security_rules.iter().any(|r| r.priority == *p))
        .unwrap_or(4096);
    let rows = nsg.security_rules.iter().map(|rule| {
        let values = RuleForm::from_rule(rule);
        let delete = {
            let d = state.dispatcher();
            let edit = Edit::DeleteRule {
                nsg: nsg.name.clone(),
                rule: rule.name.clone(),
            };
            Callback::from(move |_: MouseEvent| d.dispatch(Action::Edit(edit.clone())))
        };
        html! {
            <tr>
                <td>{ &values.priority }</td>
                <td class="rule-name">{ &values.name }</td>
                <td>{ &values.direction }</td>
                <td>{ &values.access }</td>
                <td>{ &values.protocol }</td>
                <td>{ &values.source_address_prefix }</td>
                <td>{ &values.source_port_range }</td>
                <td>{ &values.destination_address_prefix }</td>
                <td>{ &values.destination_port_range }</td>
                <td class="actions">
                    <button type="button" aria-label={format!("Edit rule {}", rule.name)}
                        onclick={open(Some(rule.name.clone()), values.clone())}>{ "Edit" }</button>
                    <button type="button" aria-label={format!("Delete rule {}", rule.name)} onclick={delete}>{ "Delete" }</button>
                </td>
            </tr>
        }
    });
    let nsg_for_match = nsg.name.clone();
    let delete_problems =
        refused(&|e| matches!(e, Edit::DeleteRule { nsg, .. } if *nsg == nsg_for_match));
    html! {
        <section class="edit-rules" aria-label="NSG rules">
            <h3>{ "NSG rules" }</h3>
            <p>
                <label>{ "NSG " }
                    <select aria-label="NSG to edit" onchange={choose}>
                        { for scenario.network_security_groups.nsgs.iter().map(|n| html! {
                            <option value={n.name.clone()} selected={n.name == nsg.name}>{ &n.name }</option>
                        }) }
                    </select>
                </label>
                <span class="dim">
                    { if attached.is_empty() { " attached to nothing".to_owned() } else { format!(" on {}", attached.join(", ")) } }
                    { ". The six default rules always follow; they cannot be edited." }
                </span>
            </p>
            if nsg.security_rules.is_empty() {
                <p class="dim">{ "No rules of its own: only the default rules decide." }</p>
            } else {
                <div class="table-scroll">
                    <table aria-label={format!("Rules of {}", nsg.name)}>
                        <thead><tr>
                            <th>{ "Priority" }</th><th>{ "Name" }</th><th>{ "Direction" }</th><th>{ "Access" }</th>
                            <th>{ "Protocol" }</th><th>{ "Source" }</th><th>{ "Source ports" }</th>
                            <th>{ "Destination" }</th><th>{ "Destination ports" }</th><th><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
            { field_error("delete-rule-error", &delete_problems.iter().collect::<Vec<_>>()) }
            if form.is_none() {
                <button type="button" onclick={open(None, RuleForm::new_inbound(free_priority))}>{ "Add a rule" }</button>
            }
            if let Some(open_form) = form.as_ref().filter(|f| f.nsg == nsg.name) {
                { rule_form(state, form, open_form, refused) }
            }
        </section>
    }
}

fn rule_form(
    state: &UseReducerHandle<State>,
    form: &UseStateHandle<Option<OpenForm>>,
    open: &OpenForm,
    refused: &Refusals<'_>,
) -> Html {
    let problems = refused(
        &|e| matches!(e, Edit::PutRule { nsg, replaces, .. } if *nsg == open.nsg && *replaces == open.replaces),
    );
    let submit = {
        let d = state.dispatcher();
        let form = form.clone();
        let open = open.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut values = RuleForm::default();
            for field in RULE_FORM_FIELDS {
                values.set(field, form_value(&e, field));
            }
            // The form keeps what was typed: a refused rule is corrected, not retyped.
            form.set(Some(OpenForm {
                values: values.clone(),
                ..open.clone()
            }));
            d.dispatch(Action::Edit(Edit::PutRule {
                nsg: open.nsg.clone(),
                replaces: open.replaces.clone(),
                rule: Box::new(values),
            }));
        })
    };
    // What is typed is kept in the form's state, so a re-render (the packet playing, a
    // refused rule) shows it rather than the values the form was opened with.
    let typed = {
        let form = form.clone();
        let open = open.clone();
        Callback::from(move |e: InputEvent| {
            // Yew delegates events, so the form is found from the control typed in.
            let Some(element) = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|t| t.closest("form").ok().flatten())
                .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let mut values = RuleForm::default();
            for field in RULE_FORM_FIELDS {
                values.set(field, named_value(&element, field));
            }
            form.set(Some(OpenForm {
                values,
                ..open.clone()
            }));
        })
    };
    let cancel = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| form.set(None))
    };
    let title = match &open.replaces {
        Some(name) => format!("Edit rule {name}"),
        None => format!("Add a rule to {}", open.nsg),
    };
    let general: Vec<&Warning> = problems.iter().filter(|w| w.field.is_none()).collect();
    let field = |name: &'static str, label: &'static str, kind: FieldKind| {
        let here: Vec<&Warning> = problems
            .iter()
            .filter(|w| w.field.as_deref().map(form_field) == Some(name))
            .collect();
        let error_id = format!("rule-{name}-error");
        let invalid = (!here.is_empty()).then_some("true");
        let described = (!here.is_empty()).then(|| error_id.clone());
        let value = open.values.get(name).to_owned();
        let control = match kind {
            FieldKind::Text(placeholder) => html! {
                <input name={name} id={format!("rule-{name}")} value={value} placeholder={placeholder}
                    aria-invalid={invalid} aria-describedby={described} autocomplete="off" spellcheck="false" />
            },
            FieldKind::Choice(options) => html! {
                <select name={name} id={format!("rule-{name}")} aria-invalid={invalid} aria-describedby={described}>
                    { for options.iter().map(|o| html! {
                        <option value={*o} selected={o.eq_ignore_ascii_case(&value)}>{ *o }</option>
                    }) }
                </select>
            },
        };
        html! {
            <div class={classes!("field", (!here.is_empty()).then_some("invalid"))}>
                <label for={format!("rule-{name}")}>{ label }</label>
                { control }
                { field_error(&error_id, &here) }
            </div>
        }
    };
    html! {
        <form class="rule-form" aria-label={title.clone()} onsubmit={submit} oninput={typed} novalidate=true>
            <h4>{ title }</h4>
            if !general.is_empty() {
                <p class="field-error">{ general.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("; ") }</p>
            }
            <div class="fields">
                { field("name", "Name", FieldKind::Text("allow-https")) }
                { field("priority", "Priority", FieldKind::Text("100-4096")) }
                { field("direction", "Direction", FieldKind::Choice(&["Inbound", "Outbound"])) }
                { field("access", "Access", FieldKind::Choice(&["Allow", "Deny"])) }
                { field("protocol", "Protocol", FieldKind::Choice(&["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"])) }
                { field("sourceAddressPrefix", "Source", FieldKind::Text("* or Internet, 203.0.113.0/24, …")) }
                { field("sourcePortRange", "Source ports", FieldKind::Text("*")) }
                { field("destinationAddressPrefix", "Destination", FieldKind::Text("* or an IP, prefix or tag")) }
                { field("destinationPortRange", "Destination ports", FieldKind::Text("443 or 8000-8999, 22")) }
                { field("description", "Description", FieldKind::Text("optional")) }
            </div>
            <div class="form-actions">
                <button type="submit" class="primary">{ if open.replaces.is_some() { "Save rule" } else { "Add rule" } }</button>
                <button type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

enum FieldKind {
    Text(&'static str),
    Choice(&'static [&'static str]),
}

const NEW_NSG: &str = "\u{1}new";

fn subnets_section(
    state: &UseReducerHandle<State>,
    scenario: &Scenario,
    drafts: &Drafts,
    refused: &Refusals<'_>,
) -> Html {
    let subnets = scenario.vnet.subnets.iter().map(|subnet| {
        let name = subnet.name.clone();
        let submit = {
            let d = state.dispatcher();
            let name = name.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let choice = form_value(&e, "nsg");
                let nsg = match choice.as_str() {
                    "" => None,
                    NEW_NSG => Some(
                        Some(form_value(&e, "new").trim().to_owned())
                            .filter(|n| !n.is_empty())
                            .unwrap_or_else(|| format!("{name}-nsg")),
                    ),
                    other => Some(other.to_owned()),
                };
                d.dispatch(Action::Edit(Edit::SubnetNsg {
                    subnet: name.clone(),
                    nsg,
                }));
            })
        };
        let problems = refused(&|e| matches!(e, Edit::SubnetNsg { subnet, .. } if *subnet == name));
        let current = subnet.network_security_group.clone().unwrap_or_default();
        let draft_key = format!("subnet:{}", subnet.name);
        let new_name = drafts
            .get(&draft_key)
            .cloned()
            .unwrap_or_else(|| format!("{}-nsg", subnet.name));
        let error_id = format!("subnet-{}-error", subnet.name);
        let invalid = !problems.is_empty();
        html! {
            <form class="inline-form" aria-label={format!("NSG of subnet {}", subnet.name)} onsubmit={submit}>
                <label>
                    { format!("Subnet {} ", subnet.name) }
                    <span class="dim">{ subnet.address_prefix.map(|p| format!("({p}) ")).unwrap_or_default() }</span>
                    <select name="nsg" aria-label={format!("NSG for subnet {}", subnet.name)}>
                        <option value="" selected={current.is_empty()}>{ "no NSG" }</option>
                        { for scenario.network_security_groups.nsgs.iter().map(|n| html! {
                            <option value={n.name.clone()} selected={n.name == current}>{ &n.name }</option>
                        }) }
                        <option value={NEW_NSG}>{ "a new NSG named…" }</option>
                    </select>
                </label>
                <input name="new" aria-label={format!("New NSG name for subnet {}", subnet.name)} value={new_name}
                    oninput={remember(drafts, draft_key)} aria-invalid={invalid.then_some("true")}
                    aria-describedby={invalid.then(|| error_id.clone())} autocomplete="off" spellcheck="false" />
                <button type="submit">{ "Apply" }</button>
                { field_error(&error_id, &problems.iter().collect::<Vec<_>>()) }
            </form>
        }
    });
    html! {
        <section class="edit-subnets" aria-label="Subnets">
            <h3>{ "Subnets" }</h3>
            <p class="dim">{ "An NSG on the subnet is evaluated too: inbound, the subnet's NSG first, then the NIC's; both must allow." }</p>
            { for subnets }
        </section>
    }
}

fn nodes_section(
    state: &UseReducerHandle<State>,
    scenario: &Scenario,
    refused: &Refusals<'_>,
) -> Html {
    let add_node = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Edit(Edit::AddNode)))
    };
    let add_pod = {
        let d = state.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let like = form_value(&e, "like");
            d.dispatch(Action::Edit(Edit::AddPod {
                node: form_value(&e, "node"),
                like: (!like.is_empty()).then_some(like),
            }));
        })
    };
    let node_problems = refused(&|e| matches!(e, Edit::AddNode));
    let pod_problems = refused(&|e| matches!(e, Edit::AddPod { .. }));
    html! {
        <section class="edit-nodes" aria-label="Nodes and pods">
            <h3>{ "Nodes and pods" }</h3>
            <div class="inline-form">
                <button type="button" onclick={add_node}>{ "Add a node" }</button>
                <span class="dim">{ format!(" {} now; a new one copies the last (same subnet and NSG, next address).", plural(scenario.nodes.len(), "node")) }</span>
                { field_error("add-node-error", &node_problems.iter().collect::<Vec<_>>()) }
            </div>
            <form class="inline-form" aria-label="Add a pod" onsubmit={add_pod}>
                <label>{ "Add a pod on " }
                    <select name="node" aria-label="Node for the new pod">
                        { for scenario.nodes.iter().map(|n| html! { <option value={n.name.clone()}>{ &n.name }</option> }) }
                    </select>
                </label>
                <label>{ " like " }
                    <select name="like" aria-label="Pod to copy">
                        { for scenario.pods.iter().map(|p| html! { <option value={p.name.clone()}>{ &p.name }</option> }) }
                    </select>
                </label>
                <button type="submit">{ "Add pod" }</button>
                { field_error("add-pod-error", &pod_problems.iter().collect::<Vec<_>>()) }
            </form>
        </section>
    }
}

fn services_section(
    state: &UseReducerHandle<State>,
    scenario: &Scenario,
    drafts: &Drafts,
    refused: &Refusals<'_>,
) -> Html {
    let services: Vec<_> = scenario
        .services
        .iter()
        .filter(|s| s.service_type == ServiceType::LoadBalancer)
        .collect();
    if services.is_empty() {
        return html! {
            <section class="edit-services" aria-label="Services">
                <h3>{ "Services" }</h3>
                <p class="dim">{ "No Service of type LoadBalancer. Import one (kubectl get svc -o json) above." }</p>
            </section>
        };
    }
    let forms = services.into_iter().map(|service| {
        let name = service.name.clone();
        let policy_change = {
            let d = state.dispatcher();
            let name = name.clone();
            Callback::from(move |e: Event| {
                if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                    let policy = if select.value() == "Local" {
                        ExternalTrafficPolicy::Local
                    } else {
                        ExternalTrafficPolicy::Cluster
                    };
                    d.dispatch(Action::Edit(Edit::TrafficPolicy {
                        service: name.clone(),
                        policy,
                    }));
                }
            })
        };
        let ranges_submit = {
            let d = state.dispatcher();
            let name = name.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let ranges = form_value(&e, "ranges")
                    .split([',', ' ', '\n'])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect();
                d.dispatch(Action::Edit(Edit::SourceRanges {
                    service: name.clone(),
                    ranges,
                }));
            })
        };
        let policy_problems =
            refused(&|e| matches!(e, Edit::TrafficPolicy { service, .. } if *service == name));
        let range_problems =
            refused(&|e| matches!(e, Edit::SourceRanges { service, .. } if *service == name));
        let local = service.external_traffic_policy == ExternalTrafficPolicy::Local;
        let ranges_id = format!("ranges-{name}-error");
        let draft_key = format!("ranges:{name}");
        let ranges = drafts
            .get(&draft_key)
            .cloned()
            .unwrap_or_else(|| service.load_balancer_source_ranges.join(", "));
        html! {
            <div class="service-edit">
                <h4>{ format!("Service {}", service.name) }</h4>
                <div class="inline-form">
                    <label>{ "externalTrafficPolicy " }
                        <select aria-label={format!("externalTrafficPolicy of {}", service.name)} onchange={policy_change}>
                            <option value="Cluster" selected={!local}>{ "Cluster (SNAT to the node, any node)" }</option>
                            <option value="Local" selected={local}>{ "Local (client IP kept, nodes with a ready pod)" }</option>
                        </select>
                    </label>
                    { field_error(&format!("policy-{name}-error"), &policy_problems.iter().collect::<Vec<_>>()) }
                </div>
                <form class="inline-form" aria-label={format!("Source ranges of {}", service.name)} onsubmit={ranges_submit}>
                    <label>{ "loadBalancerSourceRanges " }
                        <input name="ranges" value={ranges} oninput={remember(drafts, draft_key)}
                            placeholder="empty: every source" aria-invalid={(!range_problems.is_empty()).then_some("true")}
                            aria-describedby={(!range_problems.is_empty()).then(|| ranges_id.clone())}
                            aria-label={format!("loadBalancerSourceRanges of {}", service.name)} spellcheck="false" />
                    </label>
                    <button type="submit">{ "Set source ranges" }</button>
                    { field_error(&ranges_id, &range_problems.iter().collect::<Vec<_>>()) }
                </form>
            </div>
        }
    });
    html! {
        <section class="edit-services" aria-label="Services">
            <h3>{ "Services" }</h3>
            <p class="dim">{ "As kubectl would change them; the cloud provider then updates the load balancer and the NSG." }</p>
            { for forms }
        </section>
    }
}

/// The edit action a key press asks for, if any.
fn shortcut(event: &KeyboardEvent) -> Option<Action> {
    if !(event.ctrl_key() || event.meta_key()) || event.alt_key() {
        return None;
    }
    let typing = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.closest("[contenteditable]").ok().flatten().is_some()
        });
    if typing {
        return None;
    }
    match event.key().as_str() {
        "z" | "Z" if event.shift_key() => Some(Action::Redo),
        "z" | "Z" => Some(Action::Undo),
        "y" | "Y" if !event.shift_key() => Some(Action::Redo),
        _ => None,
    }
}

/// The policy whose JSON is open for editing (`replaces`: the policy it was opened from;
/// `None` for a new one), what is typed, and why the text could not be read as JSON.
#[derive(Clone, PartialEq)]
struct OpenPolicy {
    replaces: Option<PolicyName>,
    text: String,
    not_json: Option<String>,
}

/// A document as indented JSON, for the policy's field: the browser's `JSON.stringify`
/// in the page, serde_json in the prerender.
#[cfg(target_arch = "wasm32")]
fn pretty(value: &Value) -> String {
    use serde::Serialize;
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
        .and_then(|v| {
            js_sys::JSON::stringify_with_replacer_and_space(
                &v,
                &wasm_bindgen::JsValue::NULL,
                &wasm_bindgen::JsValue::from(2),
            )
            .ok()
        })
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The namespace of the pod the packet is walking to (or from), for a new policy's
/// template: the pod of the trace's last policy or pod hop; else the first pod's.
fn packet_namespace(state: &State) -> String {
    let scenario = &state.scenario;
    let traced = packetwalk::trace::trace(scenario, &state.packet).ok();
    let pod = traced.and_then(|t| {
        t.hops.iter().rev().find_map(|h| {
            let name = h
                .component
                .strip_prefix("netpol:")
                .or_else(|| h.component.strip_prefix("pod:"))?;
            scenario.pods.iter().find(|p| p.name == name)
        })
    });
    pod.or(scenario.pods.first())
        .map_or("default", |p| p.namespace_or_default())
        .to_owned()
}

const ENGINES: [(PolicyEngine, &str); 4] = [
    (PolicyEngine::None, "none (not enforced)"),
    (PolicyEngine::Azure, "azure (Azure NPM)"),
    (PolicyEngine::Calico, "calico"),
    (PolicyEngine::Cilium, "cilium (Azure CNI + Cilium)"),
];

#[derive(Properties, PartialEq)]
struct PolicySectionProps {
    state: UseReducerHandle<State>,
}

/// NetworkPolicy: the engine, each policy in a line with its JSON to edit, and a new one
/// from a default deny. Every change is an edit the evaluator checks; what it refuses is
/// shown beside the policy's field, with what was typed kept.
#[function_component(PolicySection)]
fn policy_section(props: &PolicySectionProps) -> Html {
    let state = &props.state;
    let scenario = &state.scenario;
    let open = use_state(|| None::<OpenPolicy>);

    // A policy that was applied (or removed) closes its form.
    {
        let open = open.clone();
        use_effect_with(state.edit_result.clone(), move |result| {
            let Some(current) = open.as_ref() else {
                return;
            };
            match result.as_deref() {
                Some(EditResult::Applied {
                    edit: Edit::PutPolicy { replaces, .. },
                    ..
                }) if *replaces == current.replaces => open.set(None),
                Some(EditResult::Applied {
                    edit: Edit::DeletePolicy { namespace, name },
                    ..
                }) if current
                    .replaces
                    .as_ref()
                    .is_some_and(|r| r.namespace == *namespace && r.name == *name) =>
                {
                    open.set(None)
                }
                _ => {}
            }
        });
    }
    let refused_by = |matches: &dyn Fn(&Edit) -> bool| -> Vec<Warning> {
        match state.edit_result.as_deref() {
            Some(EditResult::Refused { edit, problems }) if matches(edit) => problems.clone(),
            _ => Vec::new(),
        }
    };
    let engine = scenario.network_policy_engine;
    let engine_change = {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Some(engine) = PolicyEngine::parse(&select.value()) {
                    d.dispatch(Action::Edit(Edit::PolicyEngine { engine }));
                }
            }
        })
    };
    // The policy's JSON is written when its form opens, not on every render.
    let open_with = |name: PolicyName| {
        let open = open.clone();
        let scenario = scenario.clone();
        Callback::from(move |_: MouseEvent| {
            let policies = &scenario.network_policies.policies;
            if let Some(policy) = policies.iter().find(|p| PolicyName::of(p) == name) {
                open.set(Some(OpenPolicy {
                    replaces: Some(name.clone()),
                    text: pretty(&packetwalk::netpol::policy_to_value(policy)),
                    not_json: None,
                }))
            }
        })
    };
    let add = {
        let open = open.clone();
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let namespace = packet_namespace(&state);
            let template = default_deny_template(&state.scenario, &namespace);
            open.set(Some(OpenPolicy {
                replaces: None,
                text: pretty(&template),
                not_json: None,
            }))
        })
    };
    let policies = &scenario.network_policies.policies;
    let rows = policies.iter().map(|policy| {
        let name = PolicyName::of(policy);
        let remove = {
            let d = state.dispatcher();
            let edit = Edit::DeletePolicy {
                namespace: policy.namespace.clone(),
                name: policy.name.clone(),
            };
            Callback::from(move |_: MouseEvent| d.dispatch(Action::Edit(edit.clone())))
        };
        let types: Vec<&str> = policy.policy_types.iter().map(|t| t.as_str()).collect();
        let editing = open
            .as_ref()
            .filter(|o| o.replaces.as_ref() == Some(&name));
        let problems = refused_by(&|e| {
            matches!(e, Edit::DeletePolicy { namespace, name: n } if *namespace == name.namespace && *n == name.name)
        });
        html! {
            <li class="policy">
                <div class="policy-head">
                    <code class="policy-name">{ name.to_string() }</code>
                    <span class="policy-types">{ if types.is_empty() { "no policyTypes".to_owned() } else { types.join(", ") } }</span>
                    <span class="policy-actions">
                        if editing.is_none() {
                            <button type="button" aria-label={format!("Edit NetworkPolicy {name}")}
                                onclick={open_with(name.clone())}>{ "Edit JSON" }</button>
                        }
                        <button type="button" aria-label={format!("Remove NetworkPolicy {name}")} onclick={remove}>{ "Remove" }</button>
                    </span>
                </div>
                <p class="policy-summary">{ policy_summary(policy) }</p>
                { field_error(&format!("remove-{}-{}-error", name.namespace, name.name), &problems.iter().collect::<Vec<_>>()) }
                if let Some(current) = editing {
                    { policy_form(state, &open, current, &refused_by) }
                }
            </li>
        }
    });
    let engine_problems = refused_by(&|e| matches!(e, Edit::PolicyEngine { .. }));
    let adding = open.as_ref().filter(|o| o.replaces.is_none());
    html! {
        <section class="edit-policies" aria-label="NetworkPolicy">
            <h3>{ "NetworkPolicy" }</h3>
            <div class="inline-form">
                <label>{ "Engine " }
                    <select aria-label="NetworkPolicy engine" onchange={engine_change}>
                        { for ENGINES.iter().map(|(e, label)| html! {
                            <option value={e.as_str()} selected={*e == engine}>{ *label }</option>
                        }) }
                    </select>
                </label>
                { field_error("engine-error", &engine_problems.iter().collect::<Vec<_>>()) }
            </div>
            <p class="dim">
                { "Policies only allow, never deny: once a policy selects a pod for ingress (egress), the pod accepts (sends) only what a rule of some policy selecting it allows; traffic with the pod's own node always passes. Each policy is kubectl JSON, as written for kubectl apply." }
            </p>
            if policies.is_empty() {
                <p class="dim">{ "No NetworkPolicy in this cluster: every pod accepts and sends everything." }</p>
            } else {
                <ul class="policy-list" aria-label="Policies">{ for rows }</ul>
            }
            if let Some(current) = adding {
                { policy_form(state, &open, current, &refused_by) }
            } else {
                <button type="button" onclick={add}>{ "Add a policy" }</button>
            }
        </section>
    }
}

fn policy_form(
    state: &UseReducerHandle<State>,
    open: &UseStateHandle<Option<OpenPolicy>>,
    current: &OpenPolicy,
    refused: &Refusals<'_>,
) -> Html {
    let problems = refused(
        &|e| matches!(e, Edit::PutPolicy { replaces, .. } if *replaces == current.replaces),
    );
    let submit = {
        let d = state.dispatcher();
        let open = open.clone();
        let current = current.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = form_value(&e, "policy");
            match crate::components::import_panel::parse_json(&text) {
                Ok(document) => {
                    open.set(Some(OpenPolicy {
                        text,
                        not_json: None,
                        ..current.clone()
                    }));
                    d.dispatch(Action::Edit(Edit::PutPolicy {
                        policy: policy_document(&document),
                        replaces: current.replaces.clone(),
                    }));
                }
                Err(message) => open.set(Some(OpenPolicy {
                    text,
                    not_json: Some(message),
                    ..current.clone()
                })),
            }
        })
    };
    // What is typed is kept, so a re-render (the packet playing, a refusal) shows it.
    let typed = {
        let open = open.clone();
        let current = current.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                open.set(Some(OpenPolicy {
                    text: area.value(),
                    ..current.clone()
                }));
            }
        })
    };
    let cancel = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(None))
    };
    let (title, id) = match &current.replaces {
        Some(name) => (
            format!("Edit NetworkPolicy {name}"),
            format!("policy-{}-{}", name.namespace, name.name),
        ),
        None => ("Add a NetworkPolicy".to_owned(), "policy-new".to_owned()),
    };
    let error_id = format!("{id}-error");
    // The evaluator names the policy and the field: the field is the path in the JSON.
    let mut messages: Vec<String> = current.not_json.iter().cloned().collect();
    if current.not_json.is_none() {
        messages.extend(problems.iter().map(|w| match (&w.field, &w.value) {
            (Some(field), Some(value)) => format!("{field} {value:?}: {}", w.message),
            (Some(field), None) => format!("{field}: {}", w.message),
            (None, _) => w.message.clone(),
        }));
    }
    let invalid = !messages.is_empty();
    let rows = current.text.lines().count().clamp(6, 24).to_string();
    html! {
        <form class="policy-form" aria-label={title.clone()} onsubmit={submit} novalidate=true>
            <div class={classes!("field", invalid.then_some("invalid"))}>
                <label for={id.clone()}>{ format!("{title}: kubectl JSON") }</label>
                <textarea id={id.clone()} name="policy" rows={rows} spellcheck="false" autocomplete="off"
                    value={current.text.clone()} oninput={typed}
                    aria-invalid={invalid.then_some("true")} aria-describedby={invalid.then(|| error_id.clone())} />
                if invalid {
                    <ul class="field-error" id={error_id.clone()}>
                        { for messages.iter().map(|m| html! { <li>{ m }</li> }) }
                    </ul>
                }
            </div>
            <div class="form-actions">
                <button type="submit" class="primary">{ "Apply" }</button>
                <button type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
