//! The options a host page gives `mount` (`api.rs`), checked and turned into the app's
//! first state. A mounted app takes its state from here, never from the address, and
//! never writes the host page's address or storage.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use yew::prelude::Reducible;

use crate::api::{check_keys, describe, find_flow, get, is_plain_object, scenario_from_js};
use crate::state::{Action, State, DEFAULT_SCENARIO};

/// What `mount` was asked for, already checked: the first state and the view.
#[derive(Clone, Debug, PartialEq)]
pub struct MountOptions {
    pub state: State,
    /// Just the diagram, the controls and the verdict (as `?embed` in a link).
    pub embed: bool,
}

const KEYS: &[&str] = &["scenario", "flow", "step", "embed"];

impl MountOptions {
    /// Reads `{ scenario?, flow?, step?, embed? }`; an error names the option at fault.
    pub fn from_js(options: &JsValue) -> Result<MountOptions, String> {
        if options.is_undefined() || options.is_null() {
            return MountOptions::from_js(&js_sys::Object::new().into());
        }
        if !is_plain_object(options) {
            return Err(format!(
                "options: expected an object such as {{ scenario: \"{DEFAULT_SCENARIO}\" }}, got {}",
                describe(options)
            ));
        }
        check_keys(options, "options", KEYS)?;

        let scenario = get(options, "scenario");
        let mut state = if scenario.is_undefined() || scenario.is_null() {
            State::new(DEFAULT_SCENARIO)
        } else {
            let (name, scenario) = scenario_from_js(&scenario, "options.scenario")?;
            let mut state = State::custom(scenario, None);
            state.scenario_name = name;
            state
        };

        let flow = get(options, "flow");
        if let Some(name) = flow.as_string() {
            find_flow(&state.scenario, &name).map_err(|err| format!("options.flow: {err}"))?;
            state = (*Rc::new(state).reduce(Action::SelectFlow(name))).clone();
        } else if !(flow.is_undefined() || flow.is_null()) {
            return Err(format!(
                "options.flow: expected a packet's name (a string), got {}",
                describe(&flow)
            ));
        }

        let step = get(options, "step");
        if !(step.is_undefined() || step.is_null()) {
            let hops = packetwalk::trace::trace(&state.scenario, &state.packet)
                .map(|t| t.hops.len())
                .unwrap_or(1);
            let n = step
                .as_f64()
                .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= hops as f64)
                .ok_or_else(|| {
                    format!(
                        "options.step: expected a hop number from 1 to {hops} (counted from 1, as in links), got {}",
                        describe(&step)
                    )
                })?;
            state.step = n as usize - 1;
        }

        let embed = get(options, "embed");
        let embed = if embed.is_undefined() || embed.is_null() {
            false
        } else {
            embed.as_bool().ok_or_else(|| {
                format!(
                    "options.embed: expected true or false, got {}",
                    describe(&embed)
                )
            })?
        };
        Ok(MountOptions { state, embed })
    }
}
