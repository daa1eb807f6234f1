//! The guided tour's panel: the chapter and step, the step's words, what changed in
//! Azure, previous and next.

use yew::prelude::*;

use crate::tour::{chapter, STEPS};

#[derive(Properties, PartialEq)]
pub struct TourPanelProps {
    pub step: Option<usize>,
    pub changes: Vec<String>,
    pub on_go: Callback<Option<usize>>,
    /// In the top bar: only the button that starts the tour (the steps sit beside the
    /// diagram).
    #[prop_or_default]
    pub compact: bool,
}

#[function_component(TourPanel)]
pub fn tour_panel(props: &TourPanelProps) -> Html {
    let go = |target: Option<usize>| {
        let cb = props.on_go.clone();
        Callback::from(move |_: MouseEvent| cb.emit(target))
    };
    if props.compact {
        return match props.step {
            None => html! {
                <button type="button" class="primary tour-start" onclick={go(Some(0))}
                    title={format!("A guided tour in {} steps, from the bare cluster to kubectl apply and back, then NetworkPolicy at the pod.", STEPS.len())}>
                    { "Follow the blog's story" }
                </button>
            },
            Some(_) => html! {},
        };
    }
    let Some(index) = props.step else {
        return html! {};
    };
    let Some(step) = STEPS.get(index) else {
        return html! {};
    };
    html! {
        <section class="tour" aria-label="Guided tour">
            <p class="tour-count dim">{ format!("{}, step {} of {}", chapter(index), index + 1, STEPS.len()) }</p>
            <h2>{ step.title }</h2>
            <p>{ step.text }</p>
            if !props.changes.is_empty() {
                <div class="changes" aria-label="What changed in Azure">
                    <h3>{ "What changed in Azure" }</h3>
                    <ul>{ for props.changes.iter().map(|c| html! { <li><code>{ c }</code></li> }) }</ul>
                </div>
            }
            <div class="tour-nav">
                <button type="button" onclick={go(index.checked_sub(1))} disabled={index == 0}>{ "◀ Previous step" }</button>
                if index + 1 < STEPS.len() {
                    <button type="button" class="primary" onclick={go(Some(index + 1))}>{ "Next step ▶" }</button>
                }
                <button type="button" onclick={go(None)}>{ "Leave the tour" }</button>
            </div>
        </section>
    }
}
