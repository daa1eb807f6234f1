//! The wasm boundary in a real browser: built-in scenarios cross from `JSON.parse`
//! through serde-wasm-bindgen, and the app renders the diagram into the DOM.

#![allow(clippy::unwrap_used, clippy::panic)] // wasm-bindgen tests: a panic is a failed test
use packetwalk_web::components::app::App;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_built_in_scenario_parses_through_serde_wasm_bindgen() {
    for built_in in packetwalk_web::scenarios::BUILT_INS {
        let doc = packetwalk_web::scenarios::built_in(built_in.name)
            .unwrap_or_else(|err| panic!("{}: {err}", built_in.name));
        assert_eq!(doc.name, built_in.name);
        assert!(!doc.nodes.is_empty(), "{} has nodes", built_in.name);
    }
}

#[wasm_bindgen_test]
fn a_bad_document_is_an_error_naming_the_problem() {
    let err = packetwalk_web::scenarios::parse("{\"nodes\": 5}").unwrap_err();
    assert!(!err.is_empty());
    let err = packetwalk_web::scenarios::parse("{not json").unwrap_err();
    assert!(err.starts_with("not JSON"), "{err}");
}

#[wasm_bindgen_test]
async fn the_app_draws_the_blog_cluster() {
    let document = gloo_document();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    yew::Renderer::<App>::with_root(host.clone()).render();
    // Yew renders on its scheduler: give it a turn.
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;

    let nsg = host
        .query_selector(
            "[data-component='nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0']",
        )
        .unwrap();
    assert!(nsg.is_some(), "the NIC's NSG is drawn");
    let pods = host
        .query_selector_all("[data-component^='pod:kuard-vnode-']")
        .unwrap();
    assert_eq!(pods.length(), 2);
    assert!(host
        .query_selector("[data-component^='nsg:'][data-component*='@subnet:']")
        .unwrap()
        .is_none());
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

#[wasm_bindgen_test]
fn pasted_nsg_json_crosses_the_boundary_and_imports_with_warnings() {
    use packetwalk_web::components::import_panel::parse_json;
    let text = include_str!("../../packetwalk/fixtures/real/azure-arm_nsg_custom-rule.json");
    let doc = parse_json(text).unwrap();
    let imported = packetwalk::import_nsgs(&doc);
    assert_eq!(imported.value.len(), 1);
    assert_eq!(imported.value[0].name, "test-nsg1");
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("rule web") && w.contains("\"789\"")),
        "{warnings:?}"
    );
    assert!(parse_json("{\"truncated\": ")
        .unwrap_err()
        .starts_with("not JSON"));
}

#[wasm_bindgen_test]
fn the_trace_of_the_blog_flow_is_the_same_in_the_browser() {
    let scenario = packetwalk_web::scenarios::built_in("blog-part4").unwrap();
    let found = packetwalk::trace::trace_named(&scenario, None).unwrap();
    assert_eq!(found.verdict, packetwalk::trace::Verdict::Delivered);
    let nsg = found.hops.iter().find_map(|h| h.nsg.as_ref()).unwrap();
    assert_eq!(
        nsg.rule_name,
        "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
}

// The JS API (`api.rs`): plain JS objects in, a plain JS object or a JS Error out.

use wasm_bindgen::{JsCast, JsValue};

fn js(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

fn field(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| {
        js_sys::Reflect::get(&v, &JsValue::from_str(key)).unwrap()
    })
}

/// The message of the JS Error an API call threw.
fn thrown(result: Result<JsValue, wasm_bindgen::JsError>) -> String {
    let err = match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(err) => JsValue::from(err),
    };
    assert!(err.is_instance_of::<js_sys::Error>(), "a JS Error");
    err.unchecked_into::<js_sys::Error>()
        .message()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn trace_takes_js_objects_and_returns_the_trace_as_a_plain_object() {
    let packet =
        js(r#"{"from": "198.51.100.23:50123", "to": "203.0.113.10:8080", "protocol": "TCP"}"#);
    let out = packetwalk_web::api::trace(JsValue::from_str("blog-part4"), packet)
        .map_err(JsValue::from)
        .unwrap();
    assert_eq!(field(&out, &["verdict"]).as_string().unwrap(), "delivered");
    // json_compatible: objects, not Maps, all the way down.
    assert_eq!(
        js_sys::Object::get_prototype_of(&out),
        js_sys::Object::get_prototype_of(&js_sys::Object::new())
    );
    let hops: js_sys::Array = field(&out, &["hops"]).dyn_into().unwrap();
    let nsg = hops
        .iter()
        .map(|h| field(&h, &["nsg"]))
        .find(|n| !n.is_undefined())
        .unwrap();
    assert_eq!(
        field(&nsg, &["ruleName"]).as_string().unwrap(),
        "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
    assert_eq!(
        field(&out, &["packet", "destinationPort"]).as_f64(),
        Some(8080.0)
    );

    // A scenario object (the built-in's own JSON) and a packet's name work the same way.
    let scenario = js(packetwalk_web::scenarios::BUILT_INS[0].json);
    let out = packetwalk_web::api::trace(scenario, JsValue::from_str("ssh-from-internet"))
        .map_err(JsValue::from)
        .unwrap();
    assert_eq!(field(&out, &["verdict"]).as_string().unwrap(), "dropped");
    assert_eq!(
        field(&out, &["droppedAt"]).as_string().unwrap(),
        "lb:kubernetes"
    );
}

#[wasm_bindgen_test]
fn trace_errors_are_js_errors_naming_the_field() {
    let scenario = js(packetwalk_web::scenarios::BUILT_INS[0].json);
    let nic = field(&scenario, &["nodes", "0", "nic"]);
    js_sys::Reflect::set(&nic, &"privateIpAddress".into(), &"10.13.76.x".into()).unwrap();
    let message = thrown(packetwalk_web::api::trace(
        scenario.clone(),
        JsValue::UNDEFINED,
    ));
    assert_eq!(
        message,
        "scenario.nodes[0].nic.privateIpAddress: invalid IP address syntax"
    );
    // The caller's object is left as it was.
    assert_eq!(
        field(&scenario, &["nodes", "0", "nic", "name"])
            .as_string()
            .unwrap(),
        "aks-nodepool1-26711606-nic-0"
    );

    let annotations = js(
        r#"{"services": [{"name": "a"}, {"annotations": {"service.beta.kubernetes.io/x": 5}}]}"#,
    );
    let message = thrown(packetwalk_web::api::trace(annotations, JsValue::UNDEFINED));
    assert_eq!(
        message,
        "scenario.services[1].annotations[\"service.beta.kubernetes.io/x\"]: expected a string, got the number 5"
    );

    let message = thrown(packetwalk_web::api::trace(
        JsValue::from_str("blog-part4"),
        js(r#"{"from": "198.51.100.23:1", "to": "203.0.113.10:8080", "proto": "TCP"}"#),
    ));
    assert_eq!(
        message,
        "packet.proto: unknown; the fields are from, to, protocol"
    );
    let message = thrown(packetwalk_web::api::trace(
        JsValue::from_str("blog-part4"),
        js(r#"{"from": "198.51.100.23:1", "to": "203.0.113.10:99999"}"#),
    ));
    assert!(
        message.starts_with("packet.to \"203.0.113.10:99999\": "),
        "{message}"
    );
}

#[wasm_bindgen_test]
async fn mount_draws_in_the_element_and_leaves_the_address_alone() {
    let document = gloo_document();
    let href = web_sys::window().unwrap().location().href().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();

    let err = packetwalk_web::api::mount(
        host.clone().into(),
        js(r#"{"scenario": "three-nodes", "flow": "nope"}"#),
    )
    .map(|()| JsValue::UNDEFINED);
    assert!(
        thrown(err).starts_with("options.flow: scenario three-nodes has no packet named \"nope\"")
    );

    packetwalk_web::api::mount(
        host.clone().into(),
        js(r#"{"scenario": "blog-part4", "flow": "ssh-from-internet", "step": 3, "embed": true}"#),
    )
    .map_err(JsValue::from)
    .unwrap();
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(host.query_selector("main.app.embed svg").unwrap().is_some());
    assert_eq!(
        host.query_selector(".step-count")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "hop 3 of 3"
    );
    assert_eq!(web_sys::window().unwrap().location().href().unwrap(), href);
}
