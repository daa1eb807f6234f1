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
    let text = include_str!("../../../../shared/fixtures/real/azure-arm_nsg_custom-rule.json");
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
