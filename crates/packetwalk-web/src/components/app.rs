use std::rc::Rc;

use packetwalk::trace;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::controls::Controls;
use crate::components::diagram::{self, Diagram};
use crate::components::editor::Editor;
use crate::components::exposure::{self, ExposurePanel};
use crate::components::hops::{HopDetail, HopList, RuleTable, VerdictLine};
use crate::components::import_panel::ImportPanel;
use crate::components::packet_editor::PacketEditor;
use crate::components::tour_panel::TourPanel;
use crate::layout::layout;
use crate::mount::MountOptions;
use crate::scenarios;
use crate::state::{Action, State, DEFAULT_SCENARIO};
use crate::url;

/// `options`: mounted by a host page through the JS API (`api::mount`). Then the first
/// state comes from the options, and the app never touches the address or storage.
#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    #[prop_or_default]
    pub options: Option<Rc<MountOptions>>,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let hosted = props.options.clone();
    let state = use_reducer(|| match &hosted {
        Some(options) => options.state.clone(),
        None => url::initial_state().unwrap_or_else(|| State::new(DEFAULT_SCENARIO)),
    });
    let embed = use_memo((), |_| match &hosted {
        Some(options) => options.embed,
        None => url::is_embed(),
    });

    let placed = use_memo(state.scenario.clone(), |s| layout(s));
    // "Open to the Internet": computed by the evaluator while the overlay is on, again
    // whenever the scenario changes (an import, a tour step).
    let overlay = use_state(|| false);
    let exposed = use_memo((state.scenario.clone(), *overlay), |(s, on)| {
        on.then(|| exposure::compute(s))
    });
    let exposed_ids = (*exposed)
        .as_deref()
        .map(exposure::exposed_ids)
        .unwrap_or_default();
    let traced = use_memo((state.scenario.clone(), state.packet.clone()), |(s, p)| {
        trace::trace(s, p).map(Rc::new).map_err(|e| e.to_string())
    });
    let (trace, trace_error) = match &*traced {
        Ok(t) => (Some(t.clone()), None),
        Err(e) => (None, Some(e.clone())),
    };
    let last = trace
        .as_ref()
        .map(|t| t.hops.len().saturating_sub(1))
        .unwrap_or(0);
    let step = state.step.min(last);

    // Keep the link in the address bar up to date (our own page's, never a host page's).
    {
        let state = state.clone();
        let hosted = props.options.clone();
        use_effect_with(
            (
                state.scenario_name.clone(),
                state.tour,
                state.scenario.clone(),
                state.flow.clone(),
                state.packet.clone(),
                step,
            ),
            move |_| {
                if hosted.is_none() {
                    url::write(&state, step);
                }
            },
        );
    }

    // Playing: one timer per hop; the packet's move is a CSS transition.
    {
        let dispatch = state.dispatcher();
        use_effect_with(
            (state.playing, step, state.speed_ms, last),
            move |&(playing, _, ms, last)| {
                let cancelled = Rc::new(std::cell::Cell::new(false));
                if playing {
                    let cancelled = cancelled.clone();
                    yew::platform::spawn_local(async move {
                        yew::platform::time::sleep(std::time::Duration::from_millis(u64::from(ms)))
                            .await;
                        if !cancelled.get() {
                            dispatch.dispatch(Action::Forward(last));
                        }
                    });
                }
                move || cancelled.set(true)
            },
        );
    }

    let hop = trace.as_ref().and_then(|t| t.hops.get(step)).cloned();
    // The AKS pitfalls, once per scenario: listed beside the picture and marked on it.
    let found = use_memo(state.scenario.clone(), |s| {
        crate::components::exposure::measured("packetwalk:pitfalls", || {
            packetwalk::analysis::pitfalls(s)
        })
    });
    let mut highlight = diagram::highlight(&placed, trace.as_deref(), step, state.speed_ms);
    highlight.flagged = found
        .iter()
        .flat_map(|p| p.components.iter().cloned())
        .collect();
    let d = state.dispatcher();
    let scenario_change = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                d.dispatch(Action::LoadScenario(select.value()));
            }
        })
    };
    let cb = |a: fn() -> Action| {
        let d = d.clone();
        Callback::from(move |()| d.dispatch(a()))
    };
    let controls = html! {
        <Controls
            step={step}
            last={last}
            playing={state.playing}
            speed_ms={state.speed_ms}
            on_play={{
                // Play on the last hop starts the walk again from the first.
                let d = d.clone();
                let at_end = step >= last;
                Callback::from(move |()| d.dispatch(if at_end { Action::Restart } else { Action::Play }))
            }}
            on_pause={cb(|| Action::Pause)}
            on_back={cb(|| Action::Back)}
            on_forward={{ let d = d.clone(); Callback::from(move |()| d.dispatch(Action::Forward(last))) }}
            on_restart={cb(|| Action::Restart)}
            on_speed={{ let d = d.clone(); Callback::from(move |ms| d.dispatch(Action::Speed(ms))) }}
        />
    };
    let diagram = html! {
        <Diagram layout={placed.clone()} title={state.scenario.title.clone()} highlight={highlight} exposed={exposed_ids}
            focus={state.tour.and_then(|i| crate::tour::STEPS.get(i)).map_or(&[][..], |s| s.focus)}
            delta={state.delta.clone()} />
    };
    let editor = html! {
        <PacketEditor
            scenario={state.scenario.clone()}
            flow={state.flow.clone()}
            packet={state.packet.clone()}
            error={trace_error.clone()}
            on_flow={{ let d = d.clone(); Callback::from(move |f| d.dispatch(Action::SelectFlow(f))) }}
            on_packet={{ let d = d.clone(); Callback::from(move |p| d.dispatch(Action::SetPacket(p))) }}
        />
    };
    let notice = state.notice.clone().map(|message| {
        let d = d.clone();
        html! {
            <div class="notice" role="alert">
                { message }
                <button type="button" onclick={move |_| d.dispatch(Action::Dismiss)}>{ "Dismiss" }</button>
            </div>
        }
    });
    // Each hop in words for screen readers, as the packet gets there.
    let announce = hop
        .as_ref()
        .map(|h| format!("Hop {} of {}: {}", step + 1, last + 1, h.summary))
        .unwrap_or_default();
    let walk = html! {
        <>
            { controls }
            <p class="visually-hidden" aria-live="polite" data-testid="hop-announcer">{ announce }</p>
            if let Some(t) = &trace {
                <VerdictLine trace={t.clone()} />
            }
        </>
    };

    if *embed {
        return html! {
            <main class="app embed">
                { for notice }
                { diagram }
                { walk }
                if let Some(hop) = &hop {
                    <p class="embed-hop"><strong>{ &hop.summary }</strong>{ " " }<code>{ hop.packet.to_string() }</code></p>
                }
            </main>
        };
    }

    let jump = |id: &'static str| {
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
            {
                el.scroll_into_view();
                // Keyboard users land where they jumped to.
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        })
    };
    let explanation = match (&hop, &trace) {
        (Some(hop), Some(t)) => html! {
            <HopDetail hop={hop.clone()} index={step} total={t.hops.len()} />
        },
        _ => html! {},
    };

    html! {
        <main class="app">
            <header class="topbar">
                <h1>{ "packetwalk" }</h1>
                <label class="scenario-pick">
                    <span class="visually-hidden">{ "Scenario" }</span>
                    <select aria-label="Scenario" onchange={scenario_change}>
                        // In the tour the cluster is the story's, made by its steps: the
                        // picker says so rather than name the file the step started from.
                        if let Some(i) = state.tour {
                            <option value="" selected=true disabled=true>{ format!("{}, step {}", crate::tour::chapter(i), i + 1) }</option>
                        }
                        { for scenarios::BUILT_INS.iter().map(|b| html! {
                            <option value={b.name} selected={state.tour.is_none() && b.name == state.scenario_name}>{ b.name }</option>
                        }) }
                    </select>
                </label>
                <nav class="jumps" aria-label="Tools below the picture">
                    <button type="button" onclick={jump("pw-packet")}>{ "Packet ↓" }</button>
                    <button type="button" onclick={jump("pw-edit")}>{ "Edit ↓" }</button>
                    <button type="button" onclick={jump("pw-import")}>{ "Import ↓" }</button>
                    <button type="button" onclick={jump("pw-share")}>{ "Share ↓" }</button>
                </nav>
                <TourPanel step={state.tour} changes={state.changes.clone()} compact=true
                    on_go={{ let d = d.clone(); Callback::from(move |t| d.dispatch(Action::Tour(t))) }} />
            </header>
            { for notice }
            <section class="scenario stage" aria-labelledby="scenario-title">
                <div class="picture">
                    <h2 id="scenario-title" class="scenario-title">{ &state.scenario.title }</h2>
                    { diagram }
                    <div class="walk-bar">
                        { walk }
                    </div>
                    { explanation }
                </div>
                <aside class="side" aria-label="The walk, hop by hop">
                    <TourPanel step={state.tour} changes={state.changes.clone()}
                        on_go={{ let d = d.clone(); Callback::from(move |t| d.dispatch(Action::Tour(t))) }} />
                    if let Some(t) = &trace {
                        <HopList trace={t.clone()} step={step}
                            on_select={{ let d = d.clone(); Callback::from(move |i| d.dispatch(Action::Step(i))) }} />
                    }
                    <ExposurePanel on={*overlay} exposure={(*exposed).clone()}
                        on_toggle={{ let overlay = overlay.clone(); Callback::from(move |()| overlay.set(!*overlay)) }} />
                    <crate::components::pitfalls::PitfallsPanel found={found.clone()}
                        on_packet={{ let d = d.clone(); Callback::from(move |p| d.dispatch(Action::SetPacket(p))) }} />
                </aside>
            </section>
            <section class="below" aria-label="The scenario in detail">
                if let Some(evaluation) = hop.as_ref().and_then(|h| h.nsg.clone()) {
                    <section class="nsg-detail" id="pw-rules" aria-label="The NSG's rules at this hop">
                        <RuleTable evaluation={evaluation} scenario={state.scenario.clone()} />
                    </section>
                }
                <p class="description">{ &state.scenario.description }</p>
                <div id="pw-packet" tabindex="-1">{ editor }</div>
                <div id="pw-import" tabindex="-1">
                    <ImportPanel report={state.import.clone()}
                        on_import={{ let d = d.clone(); Callback::from(move |t| d.dispatch(Action::Import(t))) }} />
                </div>
                <div id="pw-edit" tabindex="-1"><Editor state={state.clone()} hosted={props.options.is_some()} /></div>
                <div id="pw-share" tabindex="-1">
                    <crate::components::share::Share title={state.scenario.title.clone()} scenario={state.scenario_name.clone()} edited={state.edited()} hosted={props.options.is_some()} />
                </div>
                if !state.scenario.illustrative.is_empty() {
                    <aside class="illustrative" aria-label="Illustrative values">
                        <h3>{ "Illustrative values" }</h3>
                        <ul>
                            { for state.scenario.illustrative.iter().map(|item| html! { <li>{ item }</li> }) }
                        </ul>
                    </aside>
                }
            </section>
        </main>
    }
}
