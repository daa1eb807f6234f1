//! "AKS pitfalls": the traps the evaluator finds in the scenario
//! (`packetwalk::analysis::pitfalls`), each with the packet that shows it. "Show me"
//! makes that packet the one on the picture; the parts each names glow on the picture
//! (`Highlight::flagged`). The page decides nothing itself.

use std::rc::Rc;

use packetwalk::analysis::Pitfall;
use packetwalk::trace::{PacketSpec, Verdict};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PitfallsPanelProps {
    /// The evaluator's findings for the scenario on show (computed once by the app, which
    /// also marks their parts on the picture).
    pub found: Rc<Vec<Pitfall>>,
    pub on_packet: Callback<PacketSpec>,
}

#[function_component(PitfallsPanel)]
pub fn pitfalls_panel(props: &PitfallsPanelProps) -> Html {
    let found = props.found.clone();
    let onclick = {
        let on_packet = props.on_packet.clone();
        let found = found.clone();
        Callback::from(move |e: MouseEvent| {
            let index: Option<usize> = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.closest("[data-pitfall]").ok().flatten())
                .and_then(|el| el.get_attribute("data-pitfall"))
                .and_then(|i| i.parse().ok());
            if let Some(p) = index.and_then(|i| found.get(i)) {
                on_packet.emit(p.packet.clone());
                // The packet is shown on the picture: bring the picture back into view.
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("scenario-title"))
                {
                    el.scroll_into_view();
                }
            }
        })
    };
    html! {
        <section class="pitfalls" aria-label="AKS pitfalls in this cluster">
            <p class="findings-title"><strong>{ format!("AKS pitfalls ({})", found.len()) }</strong></p>
            if found.is_empty() {
                <p class="dim">{ "None of the known AKS traps is in this cluster." }</p>
            } else {
                <p class="dim pitfall-legend"><span class="pitfall-swatch" aria-hidden="true"></span>{ " The parts they name glow amber on the picture." }</p>
                <ol class="pitfall-list" onclick={onclick}>
                    { for found.iter().enumerate().map(|(i, p)| html! {
                        <li class={p.kind.as_str()}>
                            <strong>{ &p.title }</strong>
                            <details>
                                <summary>{ "Why" }</summary>
                                <p>{ &p.message }</p>
                                <p><a href={p.doc.url} target="_blank" rel="noopener">{ p.doc.title }</a></p>
                            </details>
                            <button type="button" data-pitfall={i.to_string()}>
                                { format!("Show me: {} {} → {} ({})", p.packet.protocol, p.packet.from, p.packet.to,
                                    match p.verdict { Verdict::Delivered => "delivered", Verdict::Dropped => "dropped" }) }
                            </button>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}
