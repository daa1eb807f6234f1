//! "Open to the Internet": a toggle that asks the evaluator for the scenario's exact
//! exposure (`packetwalk::analysis::exposure`) and lists what it found, beside the
//! diagram, which colours the exposed parts. The page decides nothing itself.

use std::rc::Rc;

use packetwalk::analysis::{exposure, port_texts, Exposure};
use packetwalk::scenario::Scenario;
use yew::prelude::*;

/// Runs `f` between two `performance` marks and records `performance.measure(name)`,
/// so a test or a report can read how long the evaluator took in the browser.
/// Natively (the build's prerender) there is no `performance`: `f` just runs.
#[cfg(not(target_arch = "wasm32"))]
pub fn measured<T>(_name: &str, f: impl FnOnce() -> T) -> T {
    f()
}

#[cfg(target_arch = "wasm32")]
pub fn measured<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let performance = web_sys::window().and_then(|w| w.performance());
    let start = format!("{name}:start");
    if let Some(p) = &performance {
        let _ = p.mark(&start);
    }
    let out = f();
    if let Some(p) = &performance {
        let _ = p.measure_with_start_mark(name, &start);
    }
    out
}

/// The scenario's exposure, measured as `packetwalk:exposure`.
pub fn compute(scenario: &Scenario) -> Rc<Exposure> {
    Rc::new(measured("packetwalk:exposure", || exposure(scenario)))
}

/// The component ids the diagram colours: each exposed NIC and pod and the public IPs
/// the traffic enters by.
pub fn exposed_ids(found: &Exposure) -> Rc<[String]> {
    let mut ids: Vec<String> = Vec::new();
    for e in &found.entries {
        for id in [&e.component, &e.public_ip] {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    ids.into()
}

#[derive(Properties, PartialEq)]
pub struct ExposurePanelProps {
    pub on: bool,
    pub on_toggle: Callback<()>,
    /// The evaluator's answer while the overlay is on.
    pub exposure: Option<Rc<Exposure>>,
}

#[function_component(ExposurePanel)]
pub fn exposure_panel(props: &ExposurePanelProps) -> Html {
    let toggle = {
        let on_toggle = props.on_toggle.clone();
        Callback::from(move |_| on_toggle.emit(()))
    };
    html! {
        <section class="exposure" aria-label="Open to the Internet">
            <button type="button" class="overlay-toggle" aria-pressed={props.on.to_string()} onclick={toggle}>
                { "Open to the Internet" }
            </button>
            if let (true, Some(found)) = (props.on, &props.exposure) {
                { list(found) }
            }
        </section>
    }
}

fn list(found: &Exposure) -> Html {
    if found.entries.is_empty() {
        return html! {
            <p class="exposure-none" role="status">{ "Nothing in this scenario is reachable from the Internet." }</p>
        };
    }
    html! {
        <ul class="exposure-list" aria-label="Exposed to the Internet">
            { for found.entries.iter().map(|e| {
                let sources = if e.every_internet_source {
                    "every Internet source".to_owned()
                } else {
                    e.sources.to_cidr_strings().join(", ")
                };
                let x = &e.explanation;
                html! {
                    <li data-exposed={e.component.clone()}>
                        <strong>{ format!("{} {} {}", packetwalk::component::describe(&e.component), e.protocol.as_str().to_ascii_uppercase(), port_texts(&e.ports).join(",")) }</strong>
                        { format!(" via {}:{} ({})", e.public_ip_address, port_texts(&e.frontend_ports).join(","), packetwalk::component::describe(&e.public_ip)) }
                        <br />
                        <span class="sources">{ format!("from {sources}") }</span>
                        <details>
                            <summary>{ "why" }</summary>
                            <p>{ format!("Load-balancing rule {}", x.load_balancing_rule) }</p>
                            <ul>{ for x.nsg_rules.iter().map(|r| html! { <li>{ format!("allowed by {r}") }</li> }) }</ul>
                            <ul class="dim">{ for x.paths.iter().take(3).map(|p| html! { <li>{ p }</li> }) }</ul>
                            if x.paths.len() > 3 {
                                <p class="dim">{ format!("and {} more paths", x.paths.len() - 3) }</p>
                            }
                        </details>
                    </li>
                }
            }) }
        </ul>
    }
}
