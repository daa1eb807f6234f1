//! The JavaScript API for pages that embed packetwalk (see the README):
//!
//! ```js
//! import init, { mount, trace, scenarios } from "./packetwalk-web.js";
//! await init();
//! mount(document.getElementById("demo"), { scenario: "blog-part4", flow: "ssh-from-internet", step: 5 });
//! trace("blog-part4", { from: "198.51.100.23:50123", to: "203.0.113.10:22", protocol: "TCP" }).verdict;
//! ```
//!
//! Each export reads plain JS values (through the evaluator's document tree), calls the evaluator or mounts
//! the app, and returns plain JS values. Every error is a thrown JS `Error` whose message
//! starts with the argument and field at fault (`options.flow: ...`,
//! `scenario.nodes[0].nic.privateIpAddress: ...`).

use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use packetwalk::scenario::Scenario;
use packetwalk::trace::PacketSpec;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::app::{App, AppProps};
use crate::mount::MountOptions;
use crate::scenarios;

/// Renders the app into `element` (a DOM element of the host page), with `options`
/// `{ scenario, flow?, step?, embed? }`. The app never changes the host page's address.
#[wasm_bindgen]
pub fn mount(element: JsValue, options: JsValue) -> Result<(), JsError> {
    let element: web_sys::Element = element.dyn_into().map_err(|value| {
        JsError::new(&format!(
            "element: expected a DOM element such as document.getElementById(\"demo\"), got {}",
            describe(&value)
        ))
    })?;
    let options = MountOptions::from_js(&options).map_err(|err| JsError::new(&err))?;
    yew::Renderer::<App>::with_root_and_props(
        element,
        AppProps {
            options: Some(Rc::new(options)),
        },
    )
    .render();
    Ok(())
}

/// The trace of `packet` through `scenario`, as the evaluator returns it (a plain
/// object: `verdict`, `hops`, `warnings`, ...). `scenario` is a built-in's name or a
/// scenario object (docs/scenario-format.md); `packet` is `{ from, to, protocol }`, the
/// name of one of the scenario's packets, or omitted for its first.
#[wasm_bindgen]
pub fn trace(scenario: JsValue, packet: JsValue) -> Result<JsValue, JsError> {
    let (_, scenario) = scenario_from_js(&scenario, "scenario").map_err(|e| JsError::new(&e))?;
    let packet = packet_from_js(&scenario, &packet).map_err(|e| JsError::new(&e))?;
    let found = packetwalk::trace::trace(&scenario, &packet)
        // The evaluator's message starts with the field: `from "x": ...`.
        .map_err(|err| JsError::new(&format!("packet.{err}")))?;
    found
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|err| JsError::new(&format!("trace: {err}")))
}

/// The names of the built-in scenarios.
#[wasm_bindgen]
pub fn scenarios() -> Vec<String> {
    scenarios::BUILT_INS
        .iter()
        .map(|b| b.name.to_owned())
        .collect()
}

/// A scenario given as a built-in's name or as a scenario object; `field` names the
/// argument in errors. Returns the name the page shows and the scenario.
pub fn scenario_from_js(value: &JsValue, field: &str) -> Result<(String, Scenario), String> {
    if let Some(name) = value.as_string() {
        let scenario = scenarios::built_in(&name).map_err(|err| {
            let names: Vec<&str> = scenarios::BUILT_INS.iter().map(|b| b.name).collect();
            format!("{field}: {err} (the built-ins are {})", names.join(", "))
        })?;
        return Ok((name, scenario));
    }
    if !is_plain_object(value) {
        return Err(format!(
            "{field}: expected a built-in scenario's name or a scenario object, got {}",
            describe(value)
        ));
    }
    let scenario = scenario_at(value, field)?;
    let name = if scenario.name.is_empty() {
        "custom".to_owned()
    } else {
        scenario.name.clone()
    };
    Ok((name, scenario))
}

/// `packet`: `{ from, to, protocol }` (protocol defaults to TCP), a named packet of the
/// scenario, or undefined/null for the scenario's first packet.
fn packet_from_js(scenario: &Scenario, value: &JsValue) -> Result<PacketSpec, String> {
    if value.is_undefined() || value.is_null() {
        let flow = scenario.flows.first().ok_or_else(|| {
            "packet: the scenario has no packets of its own; give { from, to, protocol }".to_owned()
        })?;
        return Ok(spec_of(flow));
    }
    if let Some(name) = value.as_string() {
        return find_flow(scenario, &name)
            .map(spec_of)
            .map_err(|err| format!("packet: {err}"));
    }
    if !is_plain_object(value) {
        return Err(format!(
            "packet: expected {{ from, to, protocol }} or a packet's name, got {}",
            describe(value)
        ));
    }
    check_keys(value, "packet", &["from", "to", "protocol"])?;
    let text = |key: &str, default: Option<&str>| -> Result<String, String> {
        let v = get(value, key);
        match (v.as_string(), default) {
            (Some(s), _) => Ok(s),
            (None, Some(d)) if v.is_undefined() || v.is_null() => Ok(d.to_owned()),
            _ => Err(format!(
                "packet.{key}: expected a string such as \"198.51.100.23:50123\" or \"TCP\", got {}",
                describe(&v)
            )),
        }
    };
    Ok(PacketSpec {
        from: text("from", None)?,
        to: text("to", None)?,
        protocol: text("protocol", Some("TCP"))?,
    })
}

fn spec_of(flow: &packetwalk::scenario::NamedFlow) -> PacketSpec {
    PacketSpec {
        from: flow.from.clone(),
        to: flow.to.clone(),
        protocol: flow.protocol.clone(),
    }
}

/// The scenario's packet named `name`, or a message listing the names it has.
pub fn find_flow<'a>(
    scenario: &'a Scenario,
    name: &str,
) -> Result<&'a packetwalk::scenario::NamedFlow, String> {
    scenario
        .flows
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = scenario.flows.iter().map(|f| f.name.as_str()).collect();
            format!(
                "scenario {} has no packet named {name:?} (its packets: {})",
                if scenario.name.is_empty() {
                    "custom"
                } else {
                    &scenario.name
                },
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )
        })
}

pub(crate) fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !Array::is_array(value) && !value.is_function()
}

/// A typo in a key is an error naming it, not an option silently ignored.
pub(crate) fn check_keys(value: &JsValue, field: &str, known: &[&str]) -> Result<(), String> {
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(format!(
                "{field}{}: unknown; the fields are {}",
                segment(&key),
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// A JS value as a person would write it, for messages (`JSON.stringify`, so numbers are
/// formatted by the browser, not by Rust's float formatter).
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".to_owned();
    }
    if value.is_function() {
        return "a function".to_owned();
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .map(|s| {
            if s.chars().count() > 60 {
                let head: String = s.chars().take(57).collect();
                format!("{head}...")
            } else {
                s
            }
        })
        .unwrap_or_else(|| "a value JSON cannot show".to_owned())
}

/// Reads a scenario object; the error names the member at fault under `path`
/// (`scenario.nodes[0].nic.privateIpAddress: invalid IP address syntax`).
fn scenario_at(value: &JsValue, path: &str) -> Result<Scenario, String> {
    let doc: packetwalk::json::Value = serde_wasm_bindgen::from_value(value.clone())
        .map_err(|err| format!("{path}: {}", message_of(err)))?;
    packetwalk::scenario::from_value(&doc).map_err(|err| {
        let dot = if err.path.starts_with('[') { "" } else { "." };
        format!("{path}{dot}{err}")
    })
}

/// A serde-wasm-bindgen error's message, without the `Error: ` its `to_string` adds.
fn message_of(err: serde_wasm_bindgen::Error) -> String {
    let value: JsValue = err.into();
    js_sys::Error::from(value)
        .message()
        .as_string()
        .unwrap_or_else(|| "not readable".to_owned())
}

/// `.name`, or `["a key.with dots"]` when the key is not a plain identifier.
fn segment(key: &str) -> String {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        format!(".{key}")
    } else {
        format!("[{key:?}]")
    }
}
