//! NetworkPolicy on the command line: `trace` with pods at either end (by
//! `namespace/name` or IP) and VNet addresses, and `apply -f` with Namespace, Pod and
//! NetworkPolicy objects, alone or in a List.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_success, run};
use std::process::Output;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn trace_pod_to_pod_by_namespace_and_name() {
    let out = run(
        &[
            "trace",
            "--scenario",
            "netpol-default-deny",
            "--from",
            "shop/cart-5b6c7d8e9-z7y6x:41001",
            "--to",
            "shop/web-6f7d8c9b5-q8r2t:8080",
            "--protocol",
            "TCP",
            "-o",
            "json",
        ],
        None,
    );
    assert_success(&out);
    let t = json(&out);
    assert_eq!(t["verdict"], "dropped");
    assert_eq!(t["droppedAt"], "netpol:web-6f7d8c9b5-q8r2t");
    let hop = t["hops"].as_array().unwrap().last().unwrap();
    assert_eq!(hop["action"], "policyDeny");
    assert_eq!(hop["policy"]["direction"], "Ingress");
    assert_eq!(
        hop["policy"]["verdict"],
        "isolated for ingress by default-deny-ingress and allow-from-ingress-nginx; no rule allows"
    );
    assert_eq!(hop["policy"]["policies"][0]["name"], "default-deny-ingress");
    assert_eq!(hop["policy"]["policies"][0]["rules"], serde_json::json!([]));
}

#[test]
fn trace_text_shows_the_policy_table() {
    let out = run(
        &[
            "trace",
            "--scenario",
            "netpol-default-deny",
            "--from",
            "10.224.0.30:41000",
            "--to",
            "10.224.0.40:8080",
        ],
        None,
    );
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("[netpol:web-6f7d8c9b5-q8r2t] NetworkPolicy at pod web-6f7d8c9b5-q8r2t: allow-from-ingress-nginx spec.ingress[0] allows"), "{text}");
    assert!(
        text.contains("isolates; no rules: allows nothing"),
        "{text}"
    );
    assert!(text.contains("=> allow-from-ingress-nginx"), "{text}");
    assert!(text.contains("spec.ingress[0]: from[0] pods {app.kubernetes.io/name=ingress-nginx} in namespaces {kubernetes.io/metadata.name=ingress-nginx}; ports[0] TCP http"), "{text}");
    assert!(
        text.ends_with("verdict: delivered to web-6f7d8c9b5-q8r2t\n"),
        "{text}"
    );
}

#[test]
fn trace_from_a_vnet_address_to_a_pod() {
    let out = run(
        &[
            "trace",
            "--scenario",
            "netpol-default-deny",
            "--from",
            "10.224.1.7:50000",
            "--to",
            "shop/web-6f7d8c9b5-q8r2t:8080",
            "-o",
            "json",
        ],
        None,
    );
    assert_success(&out);
    let t = json(&out);
    assert_eq!(t["verdict"], "dropped");
    assert_eq!(t["droppedAt"], "netpol:web-6f7d8c9b5-q8r2t");
    assert_eq!(t["hops"][0]["component"], "vnet:aks-vnet-27182818");
}

#[test]
fn a_pod_that_is_not_there_is_named_in_the_error() {
    let out = run(
        &[
            "trace",
            "--scenario",
            "netpol-default-deny",
            "--from",
            "shop/nope:1",
            "--to",
            "10.224.0.40:8080",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("shop/nope"), "{}", stderr(&out));
}

const LIST: &str = r#"{
  "apiVersion": "v1", "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Namespace",
     "metadata": {"name": "shop", "labels": {"team": "shop"}}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "probe-runner", "namespace": "shop", "labels": {"app": "probe"}},
     "spec": {"nodeName": "aks-nodepool1-27182818-1",
              "containers": [{"image": "busybox", "ports": [{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}]}]},
     "status": {"podIP": "10.224.0.50", "conditions": [{"type": "Ready", "status": "True"}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "allow-office", "namespace": "shop"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}},
              "ingress": [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24"}}], "ports": [{"port": "http"}]}]}}
  ]
}"#;

#[test]
fn apply_takes_namespaces_pods_and_policies_in_a_list() {
    let out = run(
        &["apply", "--scenario", "netpol-ipblock-local", "-f", "-"],
        Some(LIST),
    );
    assert_success(&out);
    let err = stderr(&out);
    assert!(err.contains("Namespace shop applied"), "{err}");
    assert!(
        err.contains("NetworkPolicy shop/allow-office applied"),
        "{err}"
    );
    let scenario = json(&out);
    assert_eq!(scenario["networkPolicy"], "azure");
    let policies = scenario["networkPolicies"].as_array().unwrap();
    assert_eq!(policies.len(), 1, "replaced, not added");
    assert_eq!(
        policies[0]["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "192.0.2.0/24"
    );
    assert_eq!(
        policies[0]["spec"]["policyTypes"],
        serde_json::json!(["Ingress"])
    );
    assert_eq!(
        policies[0]["spec"]["ingress"][0]["ports"][0],
        serde_json::json!({"protocol": "TCP", "port": "http"})
    );
    assert_eq!(scenario["namespaces"][0]["labels"]["team"], "shop");
    let pod = scenario["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "probe-runner")
        .unwrap();
    assert_eq!(
        pod["containerPorts"][0],
        serde_json::json!({"name": "metrics", "containerPort": 9100, "protocol": "TCP"})
    );
    // The new scenario traces: now the other client is let in, and the office is not.
    let written = stdout(&out);
    for (client, verdict) in [("elsewhere", "delivered"), ("office", "dropped")] {
        let from = format!("{client}:50001");
        let t = run(
            &[
                "trace",
                "--scenario",
                "-",
                "--from",
                &from,
                "--to",
                "203.0.113.10:80",
                "-o",
                "json",
            ],
            Some(&written),
        );
        assert_success(&t);
        assert_eq!(json(&t)["verdict"], verdict, "{client}");
    }
}

#[test]
fn apply_a_single_policy_to_a_cluster_without_an_engine_warns_it_is_not_enforced() {
    let policy = r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all"}, "spec": {"podSelector": {}}}"#;
    let out = run(
        &["apply", "--scenario", "three-nodes", "-f", "-"],
        Some(policy),
    );
    assert_success(&out);
    let written = stdout(&out);
    let t = run(
        &["trace", "--scenario", "-", "--flow", "cluster-via-node-2"],
        Some(&written),
    );
    assert_success(&t);
    let text = stdout(&t);
    assert!(text.contains("not enforced (networkPolicy none)"), "{text}");
    assert!(text.contains("warning: scenario, networkPolicy \"none\": 1 NetworkPolicy object exists, but no engine enforces them"), "{text}");
    assert!(text.contains("verdict: delivered"), "{text}");
}

#[test]
fn apply_warns_of_a_policy_the_api_server_would_refuse() {
    let bad = r#"{"kind": "NetworkPolicy", "metadata": {"name": "odd", "namespace": "shop"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"},
                                                          "podSelector": {}}]}]}}"#;
    let out = run(
        &["apply", "--scenario", "netpol-ipblock-local", "-f", "-"],
        Some(bad),
    );
    assert_success(&out);
    let err = stderr(&out);
    assert!(
        err.contains("warning: <stdin>: NetworkPolicy shop/odd, spec.ingress[0].from[0]: ipBlock with a pod or namespace selector in one peer"),
        "{err}"
    );
    let scenario = json(&out);
    assert_eq!(scenario["networkPolicies"].as_array().unwrap().len(), 1);
}

#[test]
fn apply_refuses_a_scenario_whose_policies_were_read_leniently() {
    let scenario = r#"{"vnet": {}, "nodes": [], "networkPolicies": [
        {"kind": "NetworkPolicy", "metadata": {"name": "odd"},
         "spec": {"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]}}]}"#;
    let dir = std::env::temp_dir().join(format!("packetwalk-netpol-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.json");
    std::fs::write(&path, scenario).unwrap();
    let out = run(
        &["apply", "--scenario", path.to_str().unwrap(), "-f", "-"],
        Some(LIST),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("NetworkPolicy default/odd, spec.ingress[0].ports[0].protocol"),
        "{}",
        stderr(&out)
    );
}
