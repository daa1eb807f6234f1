//! The page's state in its address: `?v=1&scenario=NAME&flow=NAME&step=N`, or a custom
//! packet as `&from=…&to=…&protocol=…` instead of `flow`; `&embed` for the embeddable
//! view. A link that names something that does not exist opens the default scenario
//! with a message saying what was wrong.

use packetwalk::trace::PacketSpec;
use web_sys::UrlSearchParams;

use crate::state::{Action, State, DEFAULT_SCENARIO};
use yew::prelude::Reducible;

/// The format version written in links; links without one are read as version 1.
pub const VERSION: &str = "1";

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

pub fn is_embed() -> bool {
    params().is_some_and(|p| p.has("embed"))
}

/// The state a link asks for, or `None` when the address has no state in it.
pub fn initial_state() -> Option<State> {
    let p = params()?;
    let get = |key: &str| p.get(key).filter(|v| !v.is_empty());
    if let Some(tour) = get("tour") {
        let start = std::rc::Rc::new(State::new(DEFAULT_SCENARIO));
        return Some(match tour.parse::<usize>() {
            Ok(n) if (1..=crate::tour::STEPS.len()).contains(&n) => {
                (*start.reduce(Action::Tour(Some(n - 1)))).clone()
            }
            _ => {
                let mut state = (*start).clone();
                state.notice = Some(format!(
                    "link: the tour has steps 1 to {}, not {tour:?}",
                    crate::tour::STEPS.len()
                ));
                state
            }
        });
    }
    if get("scenario").is_none() && get("flow").is_none() && get("from").is_none() {
        return None;
    }
    let mut problems = Vec::new();
    if let Some(v) = get("v").filter(|v| v != VERSION) {
        problems.push(format!(
            "link version {v:?} is not one this page reads ({VERSION})"
        ));
    }
    let name = get("scenario").unwrap_or_else(|| DEFAULT_SCENARIO.to_owned());
    let mut state = std::rc::Rc::new(State::new(&name));
    if let Some(notice) = &state.notice {
        problems.push(format!("link: {notice}"));
    }
    if let Some(flow) = get("flow") {
        if state.scenario.flows.iter().any(|f| f.name == flow) {
            state = state.reduce(Action::SelectFlow(flow));
        } else {
            problems.push(format!(
                "link: scenario {} has no packet named {flow:?}",
                state.scenario_name
            ));
        }
    } else {
        match (get("from"), get("to")) {
            (Some(from), Some(to)) => {
                let protocol = get("protocol").unwrap_or_else(|| "TCP".to_owned());
                state = state.reduce(Action::SetPacket(PacketSpec { from, to, protocol }));
            }
            (None, None) => {}
            _ => problems.push(
                "link: a custom packet needs both from and to (the link looks cut off)".to_owned(),
            ),
        }
    }
    if let Some(step) = get("step") {
        let hops = packetwalk::trace::trace(&state.scenario, &state.packet)
            .map(|t| t.hops.len())
            .unwrap_or(1);
        match step.parse::<usize>() {
            Ok(n) if (1..=hops).contains(&n) => state = state.reduce(Action::Step(n - 1)),
            Ok(n) => {
                problems.push(format!(
                    "link: step {n} is not one of this packet's hops (1 to {hops})"
                ));
                state = state.reduce(Action::Step(n.clamp(1, hops) - 1));
            }
            Err(_) => problems.push(format!("link: step {step:?} is not a number")),
        }
    }
    let mut state = (*state).clone();
    if !problems.is_empty() {
        state.notice = Some(problems.join("; "));
    }
    Some(state)
}

/// Puts the state in the address bar without adding a history entry. In the tour the
/// step number is the whole state: `?v=1&tour=4`.
pub fn write(state: &State, step: usize) {
    let Ok(p) = UrlSearchParams::new() else {
        return;
    };
    p.append("v", VERSION);
    if let Some(tour) = state.tour {
        p.append("tour", &(tour + 1).to_string());
    } else {
        p.append("scenario", &state.scenario_name);
        match &state.flow {
            Some(flow) => p.append("flow", flow),
            None => {
                p.append("from", &state.packet.from);
                p.append("to", &state.packet.to);
                p.append("protocol", &state.packet.protocol);
            }
        }
        p.append("step", &(step + 1).to_string());
    }
    if is_embed() {
        p.append("embed", "");
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let query: String = p.to_string().into();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("?{query}")),
        );
    }
}
