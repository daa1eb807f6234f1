//! The trace as a list of hops, and the hop on show explained: its summary, the packet
//! after it, the reason, for a NetworkPolicy hop the policies that select the pod with
//! what decided, and for an NSG its rule table with what matched.

use std::rc::Rc;

use packetwalk::eval::{MatchResult, NsgEvaluation, RuleKind, RuleRef};
use packetwalk::export::rule_row;
use packetwalk::export::RULE_TABLE_HEADERS;
use packetwalk::scenario::Scenario;
use packetwalk::trace::{Action, Hop, Leg, PolicyRow, PolicyTable, Trace, Verdict};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::findings::{analyse, rule_key, Findings};

#[derive(Properties, PartialEq)]
pub struct HopListProps {
    pub trace: Rc<Trace>,
    pub step: usize,
    pub on_select: Callback<usize>,
}

#[function_component(HopList)]
pub fn hop_list(props: &HopListProps) -> Html {
    let list = use_node_ref();
    // Keep the hop on show in the timeline's own view (never scrolling the page).
    {
        let list = list.clone();
        use_effect_with((props.step, props.trace.clone()), move |(step, _)| {
            let Some(list) = list.cast::<web_sys::HtmlElement>() else {
                return;
            };
            let item = list
                .children()
                .item(*step as u32)
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(item) = item {
                let (top, bottom) = (item.offset_top(), item.offset_top() + item.offset_height());
                let (view, height) = (list.scroll_top(), list.client_height());
                if top < view {
                    list.set_scroll_top(top);
                } else if bottom > view + height {
                    list.set_scroll_top(bottom - height);
                }
            }
        });
    }
    let onclick = {
        let on_select = props.on_select.clone();
        Callback::from(move |e: MouseEvent| {
            let index = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.closest("[data-hop]").ok().flatten())
                .and_then(|el| el.get_attribute("data-hop"))
                .and_then(|i| i.parse().ok());
            if let Some(index) = index {
                on_select.emit(index);
            }
        })
    };
    html! {
        <ol class="hops" aria-label="Hops" onclick={onclick} ref={list}>
            { for props.trace.hops.iter().enumerate().map(|(i, hop)| {
                let current = i == props.step;
                html! {
                    <li class={classes!(hop_class(hop), current.then_some("current"), (hop.leg == Leg::Return).then_some("reply"))}
                        data-action={action_name(hop.action)}>
                        <button type="button" data-hop={i.to_string()} title={hop.summary.clone()}
                            aria-current={current.then_some("step")}>
                            <span class="leg">{ if hop.leg == Leg::Return { "↩ " } else { "" } }</span>
                            { &hop.summary }
                        </button>
                    </li>
                }
            }) }
        </ol>
    }
}

/// The timeline's icon for a hop (drawn by the stylesheet from this name).
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Send => "send",
        Action::Arrive | Action::Route => "route",
        Action::MatchLbRule | Action::PickBackend => "lb",
        Action::NsgAllow
        | Action::NsgDeny
        | Action::FlowState
        | Action::PolicyAllow
        | Action::PolicyDeny => "nsg",
        Action::Dnat | Action::Snat => "nat",
        Action::Deliver => "deliver",
        Action::Drop => "drop",
    }
}

fn hop_class(hop: &Hop) -> &'static str {
    match hop.action {
        Action::NsgDeny | Action::PolicyDeny | Action::Drop => "denied",
        Action::NsgAllow | Action::PolicyAllow | Action::FlowState => "allowed",
        Action::Deliver => "delivered",
        _ => "neutral",
    }
}

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    pub trace: Rc<Trace>,
}

#[function_component(VerdictLine)]
pub fn verdict_line(props: &VerdictProps) -> Html {
    let t = &props.trace;
    let (class, text) = match t.verdict {
        Verdict::Delivered => (
            "verdict delivered",
            format!(
                "✔ Delivered to {}",
                t.delivered_to.as_deref().unwrap_or("?")
            ),
        ),
        Verdict::Dropped => (
            "verdict dropped",
            // The evaluator's reason names the place ("NSG x on the NIC y: ...").
            match t.reason.as_deref() {
                Some(reason) => format!("✖ Dropped: {reason}"),
                None => format!(
                    "✖ Dropped at {}",
                    t.dropped_at
                        .as_deref()
                        .map_or_else(|| "?".to_owned(), packetwalk::component::describe)
                ),
            },
        ),
    };
    html! { <p class={class} role="status" aria-label="Verdict">{ text }</p> }
}

#[derive(Properties, PartialEq)]
pub struct HopDetailProps {
    pub hop: Hop,
    pub index: usize,
    pub total: usize,
}

#[function_component(HopDetail)]
pub fn hop_detail(props: &HopDetailProps) -> Html {
    let hop = &props.hop;
    html! {
        <section class={classes!("hop-detail", hop_class(hop), hop.policy.is_some().then_some("policy-hop"))} aria-label="Hop details">
            <h3>
                <span class="dim">{ format!("Hop {} of {}{} · ", props.index + 1, props.total, if hop.leg == Leg::Return { " (reply)" } else { "" }) }</span>
                { &hop.summary }
            </h3>
            <p class="tuple" aria-label="Packet after this hop">
                <span class="dim">{ "packet: " }</span>
                <code>{ hop.packet.to_string() }</code>
            </p>
            if let Some(table) = &hop.policy {
                { policy_table(table) }
            }
            <p class="why">{ &hop.explanation }{ " " }
                <a class="docs" href={hop.docs.url} target="_blank" rel="noopener">{ hop.docs.title }</a>
            </p>
            if hop.nsg.is_some() {
                <p class="more"><a href="#pw-rules">{ "The NSG's rules, with what matched, are below the picture." }</a></p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct RuleTableProps {
    pub evaluation: NsgEvaluation,
    pub scenario: Rc<Scenario>,
}

/// The NSG's rules of the packet's direction in priority order, in the columns of
/// `az network nsg rule list -o table` plus Network Watcher's five match columns. The
/// deciding columns come first (name, priority, access, the five checks) so they fit
/// at 1280 px; the other `az` columns follow. Beside it, the evaluator's findings.
#[function_component(RuleTable)]
pub fn rule_table(props: &RuleTableProps) -> Html {
    let e = &props.evaluation;
    let nsg = props.scenario.network_security_groups.get(&e.nsg_name);
    let analysis = use_memo((props.scenario.clone(), e.nsg_name.clone()), |(s, name)| {
        analyse(s, name)
    });
    let selected = use_state(|| None::<RuleRef>);
    let table = use_node_ref();
    {
        let table = table.clone();
        use_effect_with(*selected, move |selected| {
            let row = selected.and_then(|r| {
                table
                    .cast::<web_sys::Element>()?
                    .query_selector(&format!("tr[data-rule=\"{}\"]", rule_key(r)))
                    .ok()?
            });
            if let Some(row) = row.and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok()) {
                row.scroll_into_view_with_bool(false);
                let _ = row.focus();
            }
        });
    }
    let refs: Rc<[RuleRef]> = e
        .rules
        .iter()
        .map(|r| RuleRef {
            kind: r.kind,
            index: r.index,
        })
        .collect();
    let inbound = e
        .rules
        .first()
        .and_then(|r| {
            nsg.and_then(|n| {
                RuleRef {
                    kind: r.kind,
                    index: r.index,
                }
                .rule(n)
            })
        })
        .is_some_and(|r| r.direction == packetwalk::Direction::Inbound);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |r| selected.set(Some(r)))
    };
    let checks = [
        "Protocol?",
        "Source?",
        "Source port?",
        "Destination?",
        "Destination port?",
    ];
    html! {
        <div class="rule-table-wrap">
            <Findings nsg={e.nsg_name.clone()} analysis={analysis.clone()} rules={refs} inbound={inbound} on_select={on_select} />
            <table class="rules" ref={table} aria-label={format!("Rules of NSG {}", e.nsg_name)}>
                <caption>
                    { format!("NSG {} ({}): ", e.nsg_name, match e.applied_to { packetwalk::AppliedTo::Nic => "on the NIC", packetwalk::AppliedTo::Subnet => "on the subnet" }) }
                    <strong>{ format!("{} by {}", e.access.as_str(), e.rule_name) }</strong>
                </caption>
                <thead>
                    <tr>
                        { for ORDER.iter().take(3).map(|&i| html! { <th scope="col">{ RULE_TABLE_HEADERS[i] }</th> }) }
                        { for checks.iter().map(|h| html! { <th scope="col" class="check">{ *h }</th> }) }
                        { for ORDER.iter().skip(3).map(|&i| html! { <th scope="col" class="az">{ RULE_TABLE_HEADERS[i] }</th> }) }
                    </tr>
                </thead>
                <tbody>
                    { for e.rules.iter().map(|r| {
                        let rule_ref = RuleRef { kind: r.kind, index: r.index };
                        let rule = nsg.and_then(|n| rule_ref.rule(n));
                        let mut cells = match (nsg, rule) {
                            (Some(n), Some(rule)) => rule_row(n, rule).cells().map(str::to_owned).to_vec(),
                            _ => vec![r.name.clone(), String::new(), r.priority.to_string()],
                        };
                        cells.resize(RULE_TABLE_HEADERS.len(), String::new());
                        let chosen = *selected == Some(rule_ref);
                        let cell = |i: usize| html! { <td>{ cells.get(i).cloned().unwrap_or_default() }</td> };
                        html! {
                            <tr class={classes!(r.decided.then_some("decided"), (r.kind == RuleKind::Default).then_some("default"), r.access.as_str().to_ascii_lowercase(), chosen.then_some("selected"))}
                                data-rule={rule_key(rule_ref)} tabindex="-1"
                                data-decided={r.decided.to_string()} aria-current={r.decided.then_some("true")}>
                                { for ORDER.iter().take(3).map(|&i| cell(i)) }
                                { for [&r.protocol, &r.source, &r.source_port, &r.destination, &r.destination_port].into_iter().map(check_cell) }
                                { for ORDER.iter().skip(3).map(|&i| cell(i)) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if !e.notes.is_empty() {
                <ul class="notes">{ for e.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
            }
        </div>
    }
}

/// The order shown: name, priority and access, (the five checks), then the rule's
/// conditions, then the rest.
const ORDER: [usize; 12] = [0, 2, 6, 7, 4, 3, 10, 9, 8, 5, 11, 1];

fn check_cell(result: &MatchResult) -> Html {
    let (class, text, title) = match result {
        MatchResult::Yes => ("yes", "✔ yes", String::new()),
        MatchResult::No => ("no", "✖ no", String::new()),
        MatchResult::Undecidable { reason } => ("unknown", "? unknown", reason.clone()),
    };
    html! { <td class={classes!("check", class)} title={title}>{ text }</td> }
}

/// The engine's name for people (`az aks show` names it in `networkProfile.networkPolicy`).
fn engine_title(engine: &str) -> &str {
    match engine {
        "azure" => "Azure Network Policy Manager",
        "calico" => "Calico",
        "cilium" => "Cilium",
        "none" => "no engine (networkPolicy none)",
        other => other,
    }
}

/// A NetworkPolicy hop's decision, in the style of the NSG's rule table: what the
/// policies see (engine, direction, pod, peer, port), every policy that selects the pod
/// with its rules for the direction, the policy and rule that decided with the peer and
/// port that matched, the verdict, and the engine's notes. All of it is the evaluator's
/// `PolicyTable`, shown as it is.
fn policy_table(t: &PolicyTable) -> Html {
    let dir = t.direction.as_str();
    let peers = if dir == "Egress" {
        "Destination, as the pod sends it"
    } else {
        "Source, as the pod sees it"
    };
    let facts = [
        ("engine", "Engine", engine_title(&t.engine)),
        ("direction", "Direction", dir),
        ("pod", "Pod", t.pod.as_str()),
        ("peer", peers, t.peer.as_str()),
        ("port", "Port", t.port.as_str()),
    ];
    let headers = [
        "Policy".to_owned(),
        "policyTypes".to_owned(),
        format!("Isolates for {}?", dir.to_ascii_lowercase()),
        format!("{dir} rules"),
    ];
    // The same, as each cell's label when a narrow screen shows a policy as a card.
    let labels = [
        "Policy".to_owned(),
        "policyTypes".to_owned(),
        format!("Isolates for {}", dir.to_ascii_lowercase()),
        format!("{dir} rules"),
    ];
    let (class, sign) = if t.allowed {
        ("allow", "✔")
    } else {
        ("deny", "✖")
    };
    html! {
        <div class={classes!("policy-table-wrap", class)} data-testid="policy-table">
            <dl class="policy-facts" aria-label="What the policies see">
                { for facts.into_iter().map(|(class, term, value)| html! {
                    <div class={class}><dt>{ format!("{term}:") }</dt><dd>{ value.to_owned() }</dd></div>
                }) }
            </dl>
            <table class="rules policies" aria-label={format!("NetworkPolicies selecting pod {}", t.pod)}>
                <caption>
                    { format!("The policies selecting the pod, for {}: ", dir.to_ascii_lowercase()) }
                    <strong class={classes!("policy-verdict", class)}>{ format!("{sign} {}", t.verdict) }</strong>
                </caption>
                <thead>
                    <tr>{ for headers.iter().map(|h| html! { <th scope="col">{ h }</th> }) }</tr>
                </thead>
                <tbody>
                    if t.policies.is_empty() {
                        <tr class="none"><td colspan="4">{ "No NetworkPolicy selects this pod." }</td></tr>
                    }
                    { for t.policies.iter().map(|row| policy_row(t, row, &labels)) }
                </tbody>
            </table>
            if !t.notes.is_empty() {
                <ul class="notes policy-notes" aria-label="What the engine changed">
                    { for t.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
        </div>
    }
}

fn policy_row(t: &PolicyTable, row: &PolicyRow, labels: &[String; 4]) -> Html {
    let matched = t
        .matched
        .as_ref()
        .filter(|m| row.decided && m.policy == row.name);
    let is_matched = |rule: &str| {
        matched.is_some_and(|m| {
            rule.strip_prefix(m.rule.as_str())
                .is_some_and(|rest| rest.starts_with(':'))
        })
    };
    let types = if row.policy_types.is_empty() {
        "—".to_owned()
    } else {
        row.policy_types.join(", ")
    };
    html! {
        <tr class={classes!(
                row.decided.then_some("decided allow"),
                // Dropped: the policies that isolate the pod are what stopped it.
                (!t.allowed && row.isolates).then_some("isolating"),
                (!row.isolates).then_some("default")
            )}
            data-policy={row.name.clone()} data-decided={row.decided.to_string()} aria-current={row.decided.then_some("true")}>
            <td data-label={labels[0].clone()}>{ &row.name }</td>
            <td data-label={labels[1].clone()}>{ types }</td>
            <td data-label={labels[2].clone()}>{ if row.isolates { "yes" } else { "no" } }</td>
            <td data-label={labels[3].clone()} class="policy-rules">
                if row.rules.is_empty() {
                    <span class="dim">{ format!("no {} rules{}", t.direction, if row.isolates { ": it allows nothing" } else { "" }) }</span>
                } else {
                    <ul>
                        { for row.rules.iter().map(|rule| {
                            let hit = is_matched(rule);
                            html! {
                                <li class={classes!(hit.then_some("matched"))} data-matched={hit.to_string()}>
                                    <code>{ rule }</code>
                                    if let Some(m) = matched.filter(|_| hit) {
                                        <span class="match">{ format!("matched: {} · {}", m.peer, m.port) }</span>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                }
            </td>
        </tr>
    }
}
