//! Beside an NSG's rule table: the evaluator's lint findings for those rules (each one
//! clickable to its rule's row) and what the Internet reaches through this NSG alone.

use std::rc::Rc;

use packetwalk::analysis::{
    internet, lint_nsg_in_scenario, nsg_exposure, port_texts, scenario_context, Finding, NsgReach,
};
use packetwalk::eval::{RuleKind, RuleRef};
use packetwalk::scenario::Scenario;
use packetwalk::{Direction, Protocol};
use yew::prelude::*;

use crate::components::exposure::measured;

/// The analyses of one NSG of the scenario.
#[derive(PartialEq)]
pub struct NsgAnalysis {
    pub findings: Vec<Finding>,
    /// Inbound from every Internet source, TCP then UDP.
    pub reach: Vec<NsgReach>,
}

/// Lint (`packetwalk:lint`) and the NSG's own Internet exposure
/// (`packetwalk:nsg-exposure`), each recorded as a `performance.measure`.
pub fn analyse(scenario: &Scenario, nsg_name: &str) -> Option<NsgAnalysis> {
    let nsg = scenario.network_security_groups.get(nsg_name)?;
    let findings = measured("packetwalk:lint", || lint_nsg_in_scenario(nsg, scenario));
    let ctx = scenario_context(scenario);
    let from = internet(&ctx);
    let reach = measured("packetwalk:nsg-exposure", || {
        [Protocol::Tcp, Protocol::Udp]
            .into_iter()
            .map(|p| nsg_exposure(nsg, Direction::Inbound, p, &from, &ctx))
            .collect()
    });
    Some(NsgAnalysis { findings, reach })
}

/// A rule's key in the table's `data-rule` attribute.
pub fn rule_key(r: RuleRef) -> String {
    let kind = match r.kind {
        RuleKind::User => "user",
        RuleKind::Default => "default",
    };
    format!("{kind}-{}", r.index)
}

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub nsg: String,
    pub analysis: Rc<Option<NsgAnalysis>>,
    /// The rules of the table on show; findings about other rules are left out.
    pub rules: Rc<[RuleRef]>,
    pub inbound: bool,
    pub on_select: Callback<RuleRef>,
}

#[function_component(Findings)]
pub fn findings(props: &FindingsProps) -> Html {
    let Some(analysis) = &*props.analysis else {
        return html! {};
    };
    let shown: Vec<&Finding> = analysis
        .findings
        .iter()
        .filter(|f| f.rule_refs.first().is_some_and(|r| props.rules.contains(r)))
        .collect();
    let onclick = {
        let on_select = props.on_select.clone();
        let refs: Vec<RuleRef> = shown
            .iter()
            .filter_map(|f| f.rule_refs.first().copied())
            .collect();
        Callback::from(move |e: MouseEvent| {
            let index: Option<usize> = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.closest("[data-finding]").ok().flatten())
                .and_then(|el| el.get_attribute("data-finding"))
                .and_then(|i| i.parse().ok());
            if let Some(r) = index.and_then(|i| refs.get(i)) {
                on_select.emit(*r);
            }
        })
    };
    html! {
        <aside class="findings" aria-label={format!("Findings for NSG {}", props.nsg)}>
            <p class="findings-title"><strong>{ format!("Findings ({})", shown.len()) }</strong></p>
            if shown.is_empty() {
                <p class="dim">{ "No rule here is shadowed, redundant, never matching or wider than intended." }</p>
            } else {
                <ol class="finding-list" onclick={onclick}>
                    { for shown.iter().enumerate().map(|(i, f)| html! {
                        <li class={f.kind.as_str()}>
                            <button type="button" data-finding={i.to_string()}>
                                <strong>{ format!("{} {}", kind_text(f), f.rules.first().map_or("", String::as_str)) }</strong>
                            </button>
                            <span>{ format!(" {}", f.message) }</span>
                        </li>
                    }) }
                </ol>
            }
            if props.inbound {
                { reach_summary(&analysis.reach) }
            }
        </aside>
    }
}

fn kind_text(f: &Finding) -> &'static str {
    match f.kind {
        packetwalk::analysis::FindingKind::Shadowed => "Shadowed:",
        packetwalk::analysis::FindingKind::Redundant => "Redundant:",
        packetwalk::analysis::FindingKind::NeverMatches => "Never matches:",
        packetwalk::analysis::FindingKind::WiderThanIntended => "Wider than intended:",
    }
}

/// At most this many allowing rules are listed.
const SHOWN: usize = 8;

fn reach_summary(reach: &[NsgReach]) -> Html {
    let allowed: Vec<_> = reach
        .iter()
        .flat_map(|r| r.allowed.iter().map(move |a| (r.protocol, a)))
        .collect();
    html! {
        <div class="nsg-reach" aria-label="From the Internet through this NSG alone">
            <p class="findings-title"><strong>{ "From the Internet, this NSG alone allows" }</strong></p>
            if allowed.is_empty() {
                <p class="dim">{ "nothing (TCP and UDP)." }</p>
            }
            <ul>
                { for allowed.iter().take(SHOWN).map(|(protocol, a)| {
                    let ports = a.regions.iter().fold(packetwalk::analysis::PortSet::empty(), |acc, r| acc.union(&r.destination_ports));
                    let to = a.regions.iter().fold(packetwalk::analysis::AddrSet::empty(), |acc, r| acc.union(&r.destinations));
                    let mut to = to.to_cidr_strings();
                    if to.len() > 3 {
                        let more = to.len() - 3;
                        to.truncate(3);
                        to.push(format!("{more} more"));
                    }
                    html! {
                        <li>{ format!("{} {} to {} by {}", protocol.as_str().to_ascii_uppercase(), port_texts(&ports).join(","), to.join(", "), a.name) }</li>
                    }
                }) }
            </ul>
            if allowed.len() > SHOWN {
                <p class="dim">{ format!("and {} more allowing rules", allowed.len() - SHOWN) }</p>
            }
        </div>
    }
}
