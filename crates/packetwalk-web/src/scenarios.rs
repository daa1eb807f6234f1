//! The built-in scenarios, embedded from `www/scenarios/` at compile time.
//!
//! The JSON text is parsed by the browser's own `JSON.parse` and crosses into Rust as
//! the evaluator's document tree, so the page carries no JSON parser of its own.

use packetwalk::scenario::Scenario;

pub struct BuiltIn {
    pub name: &'static str,
    pub json: &'static str,
}

pub const BUILT_INS: &[BuiltIn] = &[
    BuiltIn {
        name: "blog-part4",
        json: include_str!("../../../www/scenarios/blog-part4.json"),
    },
    BuiltIn {
        name: "blog-part4-before-service",
        json: include_str!("../../../www/scenarios/blog-part4-before-service.json"),
    },
    BuiltIn {
        name: "three-nodes",
        json: include_str!("../../../www/scenarios/three-nodes.json"),
    },
    BuiltIn {
        name: "subnet-nsg",
        json: include_str!("../../../www/scenarios/subnet-nsg.json"),
    },
    BuiltIn {
        name: "source-ranges",
        json: include_str!("../../../www/scenarios/source-ranges.json"),
    },
    BuiltIn {
        name: "kubenet",
        json: include_str!("../../../www/scenarios/kubenet.json"),
    },
    BuiltIn {
        name: "pod-egress",
        json: include_str!("../../../www/scenarios/pod-egress.json"),
    },
    BuiltIn {
        name: "netpol-default-deny",
        json: include_str!("../../../www/scenarios/netpol-default-deny.json"),
    },
    BuiltIn {
        name: "netpol-ipblock-cluster",
        json: include_str!("../../../www/scenarios/netpol-ipblock-cluster.json"),
    },
    BuiltIn {
        name: "netpol-ipblock-local",
        json: include_str!("../../../www/scenarios/netpol-ipblock-local.json"),
    },
    BuiltIn {
        name: "netpol-cilium",
        json: include_str!("../../../www/scenarios/netpol-cilium.json"),
    },
];

/// Parses a scenario document from JSON text; the error names what was wrong.
#[cfg(target_arch = "wasm32")]
pub fn parse(text: &str) -> Result<Scenario, String> {
    let value =
        js_sys::JSON::parse(text).map_err(|err| format!("not JSON: {}", js_error_message(&err)))?;
    let doc: packetwalk::json::Value =
        serde_wasm_bindgen::from_value(value).map_err(|err| err.to_string())?;
    packetwalk::scenario::from_value(&doc).map_err(|err| err.to_string())
}

/// Natively (the build's prerender of the default view, native tests) serde_json reads
/// the same documents; it never reaches the page's `.wasm`.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse(text: &str) -> Result<Scenario, String> {
    serde_json::from_str(text).map_err(|err| format!("not a scenario: {err}"))
}

pub fn built_in(name: &str) -> Result<Scenario, String> {
    let found = BUILT_INS
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| format!("no built-in scenario named {name:?}"))?;
    parse(found.json).map_err(|err| format!("built-in scenario {name}: {err}"))
}

#[cfg(target_arch = "wasm32")]
fn js_error_message(err: &wasm_bindgen::JsValue) -> String {
    js_sys::Error::from(err.clone())
        .message()
        .as_string()
        .unwrap_or_else(|| "unknown error".to_owned())
}
