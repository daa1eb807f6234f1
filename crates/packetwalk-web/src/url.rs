//! The page's state in its address, and in the browser's storage.
//!
//! `?v=1&scenario=NAME&edits=…&flow=NAME&step=N`: a built-in scenario (or `tour=N`, a
//! step of the guided tour, or `base=…`, an imported whole scenario as base64url of its
//! JSON), the person's edits, and the packet, either a named flow or
//! `from=…&to=…&protocol=…`. `edits` is the evaluator's edit list as JSON in base64url;
//! `&embed` asks for the embeddable view. A link that names something that does not
//! exist opens what it can with a message saying what was wrong.
//!
//! The same query string is kept in `localStorage`, so that edits survive a reload and
//! a later visit; a stored state that cannot be read is reported and cleared.

use packetwalk::edit::Edit;
use packetwalk::trace::PacketSpec;
use serde::Serialize;
use web_sys::UrlSearchParams;

use crate::state::{Action, State, DEFAULT_SCENARIO};
use yew::prelude::Reducible;

/// The format version written in links; links without one are read as version 1.
pub const VERSION: &str = "1";
const STORAGE_KEY: &str = "packetwalk:state";

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

pub fn is_embed() -> bool {
    // Natively (the prerender of the default view) there is no address.
    cfg!(target_arch = "wasm32") && params().is_some_and(|p| p.has("embed"))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The state the address asks for; else the one stored by an earlier visit; else
/// `None`, the default.
pub fn initial_state() -> Option<State> {
    if !cfg!(target_arch = "wasm32") {
        // The prerender (`crates/packetwalk-prerender`) draws the default view natively.
        return None;
    }
    if let Some(state) = params().and_then(|p| read(&p)) {
        let (mut state, problems) = state;
        if !problems.is_empty() {
            let problems: Vec<String> = problems.iter().map(|p| format!("link: {p}")).collect();
            state.notice = Some(join_notice(state.notice.take(), problems));
        }
        return Some(state);
    }
    if is_embed() {
        return None;
    }
    let store = storage()?;
    let saved = store.get_item(STORAGE_KEY).ok().flatten()?;
    let read_back = UrlSearchParams::new_with_str(&saved)
        .ok()
        .and_then(|p| read(&p));
    match read_back {
        Some((state, problems)) if problems.is_empty() => Some(state),
        Some((_, problems)) => Some(reset(&store, &problems.join("; "))),
        None => Some(reset(&store, "it holds no scenario")),
    }
}

/// The default state, with a message that the stored state was unreadable and cleared.
fn reset(store: &web_sys::Storage, why: &str) -> State {
    let _ = store.remove_item(STORAGE_KEY);
    let mut state = State::new(DEFAULT_SCENARIO);
    state.notice = Some(format!(
        "The state saved in this browser could not be read ({why}), so it was cleared; this is the default scenario."
    ));
    state
}

fn join_notice(first: Option<String>, more: Vec<String>) -> String {
    first.into_iter().chain(more).collect::<Vec<_>>().join("; ")
}

/// Reads a state from query parameters: `None` when they hold no state at all, else the
/// state with what could not be honoured.
fn read(p: &UrlSearchParams) -> Option<(State, Vec<String>)> {
    let get = |key: &str| p.get(key).filter(|v| !v.is_empty());
    if get("tour").is_none()
        && get("base").is_none()
        && get("scenario").is_none()
        && get("flow").is_none()
        && get("from").is_none()
        && get("edits").is_none()
    {
        return None;
    }
    let mut problems = Vec::new();
    if let Some(v) = get("v").filter(|v| v != VERSION) {
        problems.push(format!(
            "version {v:?} is not one this page reads ({VERSION})"
        ));
    }
    let mut state = std::rc::Rc::new(State::new(DEFAULT_SCENARIO));
    if let Some(tour) = get("tour") {
        match tour.parse::<usize>() {
            Ok(n) if (1..=crate::tour::STEPS.len()).contains(&n) => {
                state = state.reduce(Action::Tour(Some(n - 1)));
            }
            _ => {
                problems.push(format!(
                    "the tour has steps 1 to {}, not {tour:?}",
                    crate::tour::STEPS.len()
                ));
                return Some(((*state).clone(), problems));
            }
        }
    } else if let Some(encoded) = get("base") {
        let parsed = decode_text(&encoded)
            .and_then(|text| crate::scenarios::parse(&text).map(|scenario| (text, scenario)));
        match parsed {
            Ok((text, scenario)) => {
                let mut loaded = State::custom(scenario, None);
                loaded.base_document = Some(std::rc::Rc::new(text));
                state = std::rc::Rc::new(loaded);
            }
            Err(err) => {
                problems.push(format!("the imported scenario cannot be read ({err})"));
                return Some(((*state).clone(), problems));
            }
        }
    } else if let Some(name) = get("scenario") {
        let loaded = State::new(&name);
        if let Some(notice) = &loaded.notice {
            problems.push(notice.clone());
        }
        state = std::rc::Rc::new(loaded);
    }
    if let Some(text) = get("edits") {
        match decode_edits(&text) {
            Ok(edits) => {
                let mut edited = (*state).clone().with_edits(edits);
                if let Some(notice) = edited.notice.take() {
                    problems.push(notice);
                }
                state = std::rc::Rc::new(edited);
            }
            Err(err) => problems.push(format!("the edits cannot be read ({err})")),
        }
    }
    let tour_only = get("tour").is_some() && get("edits").is_none();
    if !tour_only {
        state = read_packet(p, state, &mut problems);
    }
    Some(((*state).clone(), problems))
}

fn read_packet(
    p: &UrlSearchParams,
    mut state: std::rc::Rc<State>,
    problems: &mut Vec<String>,
) -> std::rc::Rc<State> {
    let get = |key: &str| p.get(key).filter(|v| !v.is_empty());
    if let Some(flow) = get("flow") {
        if state.scenario.flows.iter().any(|f| f.name == flow) {
            state = state.reduce(Action::SelectFlow(flow));
        } else {
            problems.push(format!(
                "scenario {} has no packet named {flow:?}",
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
            _ => problems
                .push("a custom packet needs both from and to (the link looks cut off)".to_owned()),
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
                    "step {n} is not one of this packet's hops (1 to {hops})"
                ));
                state = state.reduce(Action::Step(n.clamp(1, hops) - 1));
            }
            Err(_) => problems.push(format!("step {step:?} is not a number")),
        }
    }
    state
}

/// The query string for a state: what a link and the storage carry.
pub fn query(state: &State, step: usize) -> Option<String> {
    let p = UrlSearchParams::new().ok()?;
    p.append("v", VERSION);
    match (&state.base_document, state.tour) {
        (Some(document), _) => p.append("base", &encode_text(document)?),
        (None, Some(tour)) => p.append("tour", &(tour + 1).to_string()),
        (None, None) => p.append("scenario", &state.scenario_name),
    }
    if !state.edits.is_empty() {
        p.append("edits", &encode_edits(&state.edits)?);
    }
    if state.tour.is_none() || !state.edits.is_empty() {
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
    Some(p.to_string().into())
}

/// Puts the state in the address bar (without adding a history entry) and in storage.
pub fn write(state: &State, step: usize) {
    let Some(query) = query(state, step) else {
        return;
    };
    let embed = is_embed();
    if !embed {
        if let Some(store) = storage() {
            // A full storage (or one the browser refuses) only loses persistence.
            let _ = store.set_item(STORAGE_KEY, &query);
        }
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let address = if embed {
        format!("?{query}&embed")
    } else {
        format!("?{query}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
}

/// The edits as base64url of their JSON. The browser does both the JSON and the base64.
pub fn encode_edits(edits: &[Edit]) -> Option<String> {
    let value = Edit::list_to_value(edits)
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    encode_text(&String::from(js_sys::JSON::stringify(&value).ok()?))
}

pub fn decode_edits(text: &str) -> Result<Vec<Edit>, String> {
    let json = decode_text(text)?;
    let value = js_sys::JSON::parse(&json).map_err(|_| "not JSON".to_owned())?;
    let doc: packetwalk::json::Value =
        serde_wasm_bindgen::from_value(value).map_err(|err| err.to_string())?;
    Edit::list_from_value(&doc)
}

/// Text as base64url of its UTF-8.
fn encode_text(text: &str) -> Option<String> {
    // btoa takes a "binary string": one character per byte of the UTF-8.
    let binary: String = text.bytes().map(char::from).collect();
    let encoded = web_sys::window()?.btoa(&binary).ok()?;
    Some(
        encoded
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect(),
    )
}

fn decode_text(text: &str) -> Result<String, String> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let window = web_sys::window().ok_or("no window")?;
    let binary = window
        .atob(&standard)
        .map_err(|_| "not base64url".to_owned())?;
    let bytes: Vec<u8> = binary
        .chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| "not base64url".to_owned()))
        .collect::<Result<_, _>>()?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())
}
