//! NetworkPolicy on the packet's path (docs/network-policy.md, "On the path"): the
//! built-in scenarios' named packets with their verdict and deciding policy and rule,
//! where the stage acts (after kube-proxy's DNAT, with the source as the pod sees it;
//! egress at the sending pod), the engine (none, Cilium), the scenario's reading and
//! writing of policies, and the exposure with policies checked against traces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::exposure::{exposure, Exposure, ExposureEntry};
use packetwalk::edit::{apply, Edit};
use packetwalk::json::Value;
use packetwalk::netpol::PolicyEngine;
use packetwalk::scenario::{from_value, ContainerPort, ExternalTrafficPolicy, Scenario};
use packetwalk::trace::{trace, trace_named, Action, Hop, Leg, PacketSpec, Trace, Verdict};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

fn load(name: &str) -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../www/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn run(scenario: &Scenario, flow: &str) -> Trace {
    trace_named(scenario, Some(flow)).unwrap()
}

fn packet(scenario: &Scenario, from: &str, to: &str) -> Trace {
    trace(
        scenario,
        &PacketSpec {
            from: from.into(),
            to: to.into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap()
}

/// The forward NetworkPolicy hops, in order.
fn policy_hops(t: &Trace) -> Vec<&Hop> {
    t.hops
        .iter()
        .filter(|h| h.leg == Leg::Forward && h.component.starts_with("netpol:"))
        .collect()
}

fn ingress_hop(t: &Trace) -> &Hop {
    policy_hops(t)
        .into_iter()
        .find(|h| h.policy.as_ref().unwrap().direction == "Ingress")
        .expect("an ingress NetworkPolicy hop")
}

fn egress_hop(t: &Trace) -> &Hop {
    policy_hops(t)
        .into_iter()
        .find(|h| h.policy.as_ref().unwrap().direction == "Egress")
        .expect("an egress NetworkPolicy hop")
}

const WEB: &str = "web-6f7d8c9b5-q8r2t";
const OFFICE_POD: &str = "web-7c9d8e6f5-h4j2k";

// ---- netpol-default-deny ---------------------------------------------------------------

#[test]
fn default_deny_the_ingress_controller_is_allowed_by_its_rule() {
    let s = load("netpol-default-deny");
    assert_eq!(s.network_policy_engine, PolicyEngine::Calico);
    let t = run(&s, "ingress-to-web");
    assert_eq!(t.verdict, Verdict::Delivered);
    assert_eq!(t.delivered_to.as_deref(), Some(WEB));
    let hop = ingress_hop(&t);
    assert_eq!(hop.action, Action::PolicyAllow);
    assert_eq!(hop.component, format!("netpol:{WEB}"));
    let table = hop.policy.as_ref().unwrap();
    assert_eq!(table.pod, format!("shop/{WEB}"));
    assert_eq!(table.engine, "calico");
    let names: Vec<&str> = table.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["default-deny-ingress", "allow-from-ingress-nginx"]);
    assert!(table.policies.iter().all(|p| p.isolates));
    assert!(table.policies[1].decided && !table.policies[0].decided);
    let m = table.matched.as_ref().unwrap();
    assert_eq!(m.policy, "allow-from-ingress-nginx");
    assert_eq!(m.rule, "spec.ingress[0]");
    assert_eq!(
        m.peer,
        "from[0]: pods {app.kubernetes.io/name=ingress-nginx} in namespaces {kubernetes.io/metadata.name=ingress-nginx}"
    );
    assert_eq!(m.port, "ports[0]: TCP http (= 8080)");
    assert_eq!(
        hop.summary,
        format!("NetworkPolicy at pod {WEB}: allow-from-ingress-nginx spec.ingress[0] allows")
    );
    assert_eq!(
        hop.docs.url,
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
    );
    // The controller's own namespace has no policy: its egress is not isolated.
    let out = egress_hop(&t);
    assert_eq!(out.action, Action::PolicyAllow);
    assert!(out
        .summary
        .ends_with("no policy isolates the pod for egress"));
    // The egress hop comes before the NSGs; the ingress hop after them, before the pod.
    let at = |id: &str| t.hops.iter().position(|h| h.component == id).unwrap();
    let first_nsg = t.hops.iter().position(|h| h.nsg.is_some()).unwrap();
    assert!(at(&out.component) < first_nsg);
    assert!(at(&hop.component) < at(&format!("pod:{WEB}")));
    // The reply passes both policy hops by connection tracking.
    let reply_states = t
        .hops
        .iter()
        .filter(|h| h.leg == Leg::Return && h.component.starts_with("netpol:"))
        .count();
    assert_eq!(reply_states, 2);
}

#[test]
fn default_deny_another_pod_is_dropped_at_the_policy() {
    let s = load("netpol-default-deny");
    let t = run(&s, "cart-to-web");
    assert_eq!(t.verdict, Verdict::Dropped);
    assert_eq!(
        t.dropped_at.as_deref(),
        Some(format!("netpol:{WEB}").as_str())
    );
    let reason = t.reason.as_deref().unwrap();
    assert!(
        reason.ends_with(
            "isolated for ingress by default-deny-ingress and allow-from-ingress-nginx; no rule allows"
        ),
        "{reason}"
    );
    let hop = t.hops.last().unwrap();
    assert_eq!(hop.action, Action::PolicyDeny);
    let table = hop.policy.as_ref().unwrap();
    assert!(!table.allowed && table.matched.is_none());
    assert_eq!(table.peer, "10.224.0.41 (pod shop/cart-5b6c7d8e9-z7y6x)");
    // Every NSG on the way allowed it: the policy decided.
    assert!(t
        .hops
        .iter()
        .filter(|h| h.nsg.is_some())
        .all(|h| h.action == Action::NsgAllow));
}

#[test]
fn through_a_service_the_policy_sees_the_pods_port_and_egress_the_backend() {
    let s = load("netpol-default-deny");
    let t = run(&s, "ingress-via-service");
    assert_eq!(t.verdict, Verdict::Delivered);
    let dnat = t
        .hops
        .iter()
        .position(|h| h.action == Action::Dnat)
        .unwrap();
    let out = egress_hop(&t);
    let out_at = t.hops.iter().position(|h| std::ptr::eq(h, out)).unwrap();
    assert!(dnat < out_at, "egress after the sending node's kube-proxy");
    assert_eq!(out.packet.destination_port, 8080);
    let hop = ingress_hop(&t);
    assert_eq!(hop.packet.destination_port, 8080, "the pod's port, not 80");
    let m = hop.policy.as_ref().unwrap().matched.as_ref().unwrap();
    assert_eq!(m.port, "ports[0]: TCP http (= 8080)");
}

#[test]
fn an_egress_policy_sees_the_backend_pod_of_a_service() {
    let mut s = load("netpol-default-deny");
    let policy = doc(
        r#"[{"kind": "NetworkPolicy", "metadata": {"name": "controller-egress", "namespace": "ingress-nginx"},
             "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                      "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "shop"}},
                                          "podSelector": {"matchLabels": {"app": "web"}}}],
                                  "ports": [{"port": "http"}]}]}}]"#,
    );
    let extra = packetwalk::netpol::policies_from_value(&policy);
    assert!(extra.warnings.is_empty(), "{:?}", extra.warnings);
    s.network_policies.policies.extend(extra.value);
    // To the Service: kube-proxy on the controller's node DNATs first, so the rule that
    // selects the web pods (by the named port of the destination pod) allows it.
    let t = run(&s, "ingress-via-service");
    assert_eq!(t.verdict, Verdict::Delivered);
    let m = egress_hop(&t)
        .policy
        .as_ref()
        .unwrap()
        .matched
        .clone()
        .unwrap();
    assert_eq!(
        (m.policy.as_str(), m.rule.as_str()),
        ("controller-egress", "spec.egress[0]")
    );
    // To the cart pod: isolated for egress, no rule allows; dropped before the NSGs.
    let t = packet(
        &s,
        "ingress-nginx/ingress-nginx-controller-7d9f8b6c5-x2k4p:41003",
        "shop/cart-5b6c7d8e9-z7y6x:8081",
    );
    assert_eq!(t.verdict, Verdict::Dropped);
    assert_eq!(
        t.dropped_at.as_deref(),
        Some("netpol:ingress-nginx-controller-7d9f8b6c5-x2k4p")
    );
    assert!(t.hops.iter().all(|h| h.nsg.is_none()));
    assert!(t
        .reason
        .unwrap()
        .ends_with("isolated for egress by controller-egress; no rule allows"));
    // To its own node: always allowed (NP 9).
    let t = packet(
        &s,
        "ingress-nginx/ingress-nginx-controller-7d9f8b6c5-x2k4p:41004",
        "aks-nodepool1-27182818-0:10250",
    );
    assert_eq!(t.verdict, Verdict::Delivered);
    assert_eq!(egress_hop(&t).spec, "NP 9");
}

// ---- ipBlock behind Cluster and Local ----------------------------------------------------

#[test]
fn ipblock_behind_cluster_is_dropped_because_the_pod_sees_a_node() {
    let s = load("netpol-ipblock-cluster");
    let t = run(&s, "office-via-other-node");
    assert_eq!(t.verdict, Verdict::Dropped);
    assert_eq!(
        t.dropped_at.as_deref(),
        Some(format!("netpol:{OFFICE_POD}").as_str())
    );
    let hop = t.hops.last().unwrap();
    let seen = hop.packet.source_ip;
    assert_ne!(seen, "198.51.100.23".parse::<IpAddr>().unwrap());
    assert!(s
        .nodes
        .iter()
        .any(|n| n.nic.private_ip_address == Some(seen) && n.name != "aks-nodepool1-27182818-0"));
    assert!(t
        .reason
        .unwrap()
        .ends_with("isolated for ingress by allow-office; no rule allows"));
    assert!(hop
        .explanation
        .contains("kube-proxy SNATed the client's 198.51.100.23"));
    let table = hop.policy.as_ref().unwrap();
    assert_eq!(
        table.policies[0].rules,
        ["spec.ingress[0]: from[0] ipBlock 198.51.100.0/24; ports[0] TCP 8080"]
    );
}

#[test]
fn ipblock_behind_cluster_through_the_pods_own_node_passes_as_its_node() {
    let s = load("netpol-ipblock-cluster");
    let t = run(&s, "office-via-pod-node");
    assert_eq!(t.verdict, Verdict::Delivered);
    let hop = ingress_hop(&t);
    assert_eq!(hop.spec, "NP 9");
    assert_eq!(
        hop.packet.source_ip,
        "10.224.0.4".parse::<IpAddr>().unwrap()
    );
    let table = hop.policy.as_ref().unwrap();
    assert!(table.allowed && table.matched.is_none());
    assert!(table
        .peer
        .ends_with("(node aks-nodepool1-27182818-0, the pod's own node)"));
}

#[test]
fn ipblock_behind_local_sees_the_client() {
    let s = load("netpol-ipblock-local");
    let t = run(&s, "office-local");
    assert_eq!(t.verdict, Verdict::Delivered);
    let hop = ingress_hop(&t);
    assert_eq!(
        hop.packet.source_ip,
        "198.51.100.23".parse::<IpAddr>().unwrap()
    );
    let m = hop.policy.as_ref().unwrap().matched.clone().unwrap();
    assert_eq!(m.policy, "allow-office");
    assert_eq!(m.rule, "spec.ingress[0]");
    assert_eq!(m.peer, "from[0]: ipBlock 198.51.100.0/24");
    assert_eq!(m.port, "ports[0]: TCP 8080");
    let t = run(&s, "elsewhere-local");
    assert_eq!(t.verdict, Verdict::Dropped);
    assert_eq!(
        t.dropped_at.as_deref(),
        Some(format!("netpol:{OFFICE_POD}").as_str())
    );
}

/// The issue's page test, on the evaluator: switching the Service to Local delivers the
/// packet the Cluster policy dropped at the policy.
#[test]
fn switching_the_service_to_local_delivers_the_office() {
    let mut s = load("netpol-ipblock-cluster");
    assert_eq!(run(&s, "office-via-other-node").verdict, Verdict::Dropped);
    apply(
        &mut s,
        &Edit::TrafficPolicy {
            service: "web".to_owned(),
            policy: ExternalTrafficPolicy::Local,
        },
    )
    .unwrap();
    let t = run(&s, "office-via-other-node");
    assert_eq!(
        t.verdict,
        Verdict::Delivered,
        "{}",
        packetwalk::trace::to_text(&t)
    );
    let m = ingress_hop(&t)
        .policy
        .as_ref()
        .unwrap()
        .matched
        .clone()
        .unwrap();
    assert_eq!(
        (m.policy.as_str(), m.rule.as_str()),
        ("allow-office", "spec.ingress[0]")
    );
}

// ---- the engine ------------------------------------------------------------------------

#[test]
fn cilium_ipblock_does_not_select_the_node_and_takes_kube_proxys_place() {
    let s = load("netpol-cilium");
    assert_eq!(s.network_policy_engine, PolicyEngine::Cilium);
    let t = run(&s, "office-via-other-node");
    assert_eq!(t.verdict, Verdict::Dropped);
    let hop = t.hops.last().unwrap();
    let table = hop.policy.as_ref().unwrap();
    assert_eq!(table.engine, "cilium");
    assert_eq!(table.notes.len(), 1);
    assert!(table.notes[0].contains("ipBlock 10.224.0.0/16 contains"));
    assert!(table.notes[0].contains("Cilium's ipBlock does not select pod or node addresses"));
    assert!(hop.docs.url.contains("azure-cni-powered-by-cilium"));
    let proxy: Vec<&Hop> = t
        .hops
        .iter()
        .filter(|h| h.component.starts_with("kube-proxy:"))
        .collect();
    assert_eq!(proxy.len(), 2);
    for h in &proxy {
        assert!(
            h.summary.starts_with("Cilium's eBPF service handling "),
            "{}",
            h.summary
        );
        assert!(h.explanation.contains("runs no kube-proxy"));
    }
    // The same cluster under Azure NPM: the same path, hop for hop, up to the policy,
    // where the node-subnet ipBlock matches.
    let mut azure = s.clone();
    azure.network_policy_engine = PolicyEngine::Azure;
    let a = run(&azure, "office-via-other-node");
    assert_eq!(a.verdict, Verdict::Delivered);
    let packets = |t: &Trace| {
        t.hops
            .iter()
            .take_while(|h| !h.component.starts_with("netpol:"))
            .map(|h| (h.component.clone(), h.action, h.packet))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        packets(&t),
        packets(&a),
        "kube-proxy and Cilium decide alike"
    );
    let m = ingress_hop(&a)
        .policy
        .as_ref()
        .unwrap()
        .matched
        .clone()
        .unwrap();
    assert_eq!(m.peer, "from[1]: ipBlock 10.224.0.0/16");
    // Through the pod's own node, Cilium too lets the node in.
    let own = run(&s, "office-via-pod-node");
    assert_eq!(own.verdict, Verdict::Delivered);
    assert_eq!(ingress_hop(&own).spec, "NP 9");
}

#[test]
fn no_hop_without_policies_and_engine() {
    let s = load("three-nodes");
    assert!(s.network_policy_engine.is_none() && s.network_policies.is_empty());
    for flow in &s.flows {
        let t = run(&s, &flow.name);
        assert!(policy_hops(&t).is_empty());
        let json = serde_json::to_value(&t).unwrap();
        assert!(json["hops"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h.get("policy").is_none()));
    }
    // An engine without policies: a hop that says the pod is not isolated.
    let mut with_engine = s.clone();
    with_engine.network_policy_engine = PolicyEngine::Azure;
    let t = run(&with_engine, "cluster-via-node-2");
    let hop = ingress_hop(&t);
    assert_eq!(hop.spec, "NP 1");
    assert!(hop
        .summary
        .ends_with("no policy isolates the pod for ingress"));
    assert!(hop.policy.as_ref().unwrap().policies.is_empty());
}

#[test]
fn policies_without_an_engine_are_listed_but_decide_nothing() {
    let mut s = load("netpol-default-deny");
    s.network_policy_engine = PolicyEngine::None;
    let t = run(&s, "cart-to-web");
    assert_eq!(t.verdict, Verdict::Delivered);
    let hop = ingress_hop(&t);
    assert_eq!(hop.action, Action::PolicyAllow);
    assert_eq!(hop.spec, "NP 12");
    assert!(hop.summary.ends_with("not enforced (networkPolicy none)"));
    assert_eq!(hop.policy.as_ref().unwrap().policies.len(), 2);
    assert!(hop.docs.url.contains("use-network-policies"));
    let warning = t
        .warnings
        .iter()
        .find(|w| w.field.as_deref() == Some("networkPolicy"))
        .unwrap();
    assert!(warning.message.contains("2 NetworkPolicy objects exist"));
    let ex = exposure(&s);
    assert!(ex
        .warnings
        .iter()
        .any(|w| w.field.as_deref() == Some("networkPolicy")));
}

// ---- the scenario's reading and writing ----------------------------------------------

#[test]
fn the_scenario_reads_the_engine_namespaces_policies_and_named_ports() {
    let s = from_value(&doc(
        r#"{"networkPolicy": "Cilium",
            "namespaces": [{"name": "a", "labels": {"team": "x"}},
                           {"kind": "Namespace", "metadata": {"name": "b"}}],
            "networkPolicies": [
              {"metadata": {"name": "p"}, "spec": {"podSelector": {}}},
              {"kind": "NetworkPolicy", "metadata": {"name": "bad", "namespace": "a"},
               "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}}],
            "pods": [{"name": "w", "containerPorts": [80, {"name": "http", "containerPort": 8080},
                                                      {"containerPort": 53, "protocol": "UDP"}]}]}"#,
    ))
    .unwrap();
    assert_eq!(s.network_policy_engine, PolicyEngine::Cilium);
    assert_eq!(s.namespaces[0].labels["team"], "x");
    assert_eq!(s.namespaces[1].labels["kubernetes.io/metadata.name"], "b");
    // Without kind, taken as a NetworkPolicy, in namespace default.
    assert_eq!(s.network_policies.policies.len(), 1);
    assert_eq!(s.network_policies.policies[0].namespace, "default");
    // The one the API server would refuse is left out, with a warning naming it.
    let w = &s.network_policies.import_warnings[0];
    assert_eq!(w.object, "NetworkPolicy a/bad");
    assert_eq!(
        w.field.as_deref(),
        Some("spec.ingress[0].ports[0].protocol")
    );
    assert_eq!(s.pods[0].container_ports[0], 80);
    assert_eq!(s.pods[0].container_ports[1].name.as_deref(), Some("http"));
    // Written back: numbers stay numbers, named ports are objects, and read again equal.
    let written = serde_json::to_value(&s).unwrap();
    assert_eq!(written["networkPolicy"], "cilium");
    assert_eq!(written["pods"][0]["containerPorts"][0], 80);
    assert_eq!(
        written["pods"][0]["containerPorts"][1],
        serde_json::json!({"name": "http", "containerPort": 8080, "protocol": "TCP"})
    );
    assert_eq!(
        written["pods"][0]["containerPorts"][2],
        serde_json::json!({"containerPort": 53, "protocol": "UDP"})
    );
    assert_eq!(
        written["networkPolicies"][0]["spec"]["policyTypes"],
        serde_json::json!(["Ingress"])
    );
    let again = from_value(&doc(&written.to_string())).unwrap();
    assert_eq!(again.network_policies.policies, s.network_policies.policies);
    assert_eq!(again.pods, s.pods);
    assert_eq!(again.namespaces, s.namespaces);
    let _ = ContainerPort::from(1);
}

#[test]
fn a_scenario_without_policies_writes_none_of_the_new_members() {
    let s = load("three-nodes");
    let written = serde_json::to_value(&s).unwrap();
    for key in ["networkPolicy", "namespaces", "networkPolicies"] {
        assert!(written.get(key).is_none(), "{key}");
    }
}

#[test]
fn the_reader_names_what_is_wrong() {
    let err = |text: &str| from_value(&doc(text)).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"networkPolicy": "weave"}"#),
        r#"networkPolicy: expected one of "none", "azure", "calico", "cilium", got "weave""#
    );
    assert_eq!(
        err(r#"{"networkPolicies": [{"kind": "Service"}]}"#),
        r#"networkPolicies[0].kind: expected one of "NetworkPolicy", got "Service""#
    );
    assert_eq!(
        err(r#"{"networkPolicies": {"a": 1}}"#),
        "networkPolicies: expected an array of NetworkPolicy objects, got an object"
    );
    assert_eq!(
        err(r#"{"namespaces": [{"labels": {}}]}"#),
        "namespaces[0].name: missing: a namespace needs its name"
    );
    assert_eq!(
        err(r#"{"pods": [{"containerPorts": [{"name": "http"}]}]}"#),
        "pods[0].containerPorts[0].containerPort: missing: this member is required"
    );
    assert_eq!(
        err(r#"{"pods": [{"containerPorts": [{"containerPort": 1, "protocol": "tcp"}]}]}"#),
        r#"pods[0].containerPorts[0].protocol: expected one of "TCP", "UDP", "SCTP", got "tcp""#
    );
    // A kubectl List of policies is read too.
    let s = from_value(&doc(
        r#"{"networkPolicies": {"kind": "List", "items": [{"kind": "NetworkPolicy", "metadata": {"name": "x"}}]}}"#,
    ))
    .unwrap();
    assert_eq!(s.network_policies.policies[0].name, "x");
}

#[test]
fn a_pod_is_named_by_namespace_and_name_or_its_ip() {
    let s = load("netpol-default-deny");
    let by_name = packet(
        &s,
        "shop/cart-5b6c7d8e9-z7y6x:41001",
        "shop/web-6f7d8c9b5-q8r2t:8080",
    );
    let by_ip = packet(&s, "10.224.0.41:41001", "10.224.0.40:8080");
    assert_eq!(by_name.packet, by_ip.packet);
    assert_eq!(by_name.verdict, Verdict::Dropped);
    let wrong = trace(
        &s,
        &PacketSpec {
            from: "default/cart-5b6c7d8e9-z7y6x:1".into(),
            to: "10.224.0.40:8080".into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap_err();
    assert!(wrong.to_string().contains("default/cart-5b6c7d8e9-z7y6x"));
}

// ---- exposure ------------------------------------------------------------------------

fn pod_entry(ex: &Exposure) -> Option<&ExposureEntry> {
    ex.entries
        .iter()
        .find(|e| e.component == format!("pod:{OFFICE_POD}"))
}

#[test]
fn exposure_with_local_is_the_ipblock() {
    let s = load("netpol-ipblock-local");
    let ex = exposure(&s);
    let entry = pod_entry(&ex).unwrap();
    assert_eq!(entry.sources.to_cidr_strings(), ["198.51.100.0/24"]);
    assert!(!entry.every_internet_source);
    assert_eq!(
        entry.explanation.network_policy_rules,
        ["shop/allow-office spec.ingress[0]"]
    );
    // The node itself is still open to every source (no policy acts on a node).
    assert!(ex
        .entries
        .iter()
        .any(|e| e.component.starts_with("nic:") && e.every_internet_source));
}

#[test]
fn exposure_with_cluster_reaches_the_pod_only_through_its_own_node() {
    for name in ["netpol-ipblock-cluster", "netpol-cilium"] {
        let s = load(name);
        let ex = exposure(&s);
        let entry = pod_entry(&ex).unwrap();
        assert!(entry.every_internet_source, "{name}: NP 9 through node 0");
        assert_eq!(entry.explanation.paths.len(), 1, "{name}");
        assert!(entry.explanation.paths[0].contains("node aks-nodepool1-27182818-0 ->"));
        assert!(entry.explanation.network_policy_rules.is_empty());
        let closed: Vec<&String> = ex
            .notes
            .iter()
            .filter(|n| n.contains("no rule allows"))
            .collect();
        assert_eq!(closed.len(), 1, "{name}: one note for the pod");
        assert!(
            closed[0].contains("no rule allows 10.224.0.5 and 10.224.0.6 on TCP 8080"),
            "{name}: nodes 1 and 2 closed: {}",
            closed[0]
        );
        assert_eq!(
            closed[0].contains("Cilium's ipBlock does not select"),
            name == "netpol-cilium"
        );
    }
    // Under Azure NPM the node-subnet ipBlock of netpol-cilium admits the SNATed hop.
    let mut s = load("netpol-cilium");
    s.network_policy_engine = PolicyEngine::Azure;
    let ex = exposure(&s);
    let entry = pod_entry(&ex).unwrap();
    assert_eq!(entry.explanation.paths.len(), 3);
    assert_eq!(
        entry.explanation.network_policy_rules,
        ["shop/allow-office spec.ingress[0]"]
    );
}

/// The exposure's answer for each Internet source agrees with the trace of a packet from
/// it: delivered to the pod exactly when the entry lists the source (Local, where every
/// path goes through the pod's node; a few policies' shapes).
#[test]
fn exposure_agrees_with_traces_under_local() {
    let base = load("netpol-ipblock-local");
    let variants: [&str; 4] = [
        // ipBlock with except, on the named port.
        r#"[{"kind": "NetworkPolicy", "metadata": {"name": "a", "namespace": "shop"},
             "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                      "ingress": [{"from": [{"ipBlock": {"cidr": "198.51.0.0/16", "except": ["198.51.100.0/25"]}}],
                                   "ports": [{"port": "http"}]}]}}]"#,
        // A rule without from (every peer) on another port only: nothing.
        r#"[{"kind": "NetworkPolicy", "metadata": {"name": "b", "namespace": "shop"},
             "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 9090}]}]}}]"#,
        // Two policies, a union: an ipBlock and a rule without from for port range.
        r#"[{"kind": "NetworkPolicy", "metadata": {"name": "c", "namespace": "shop"},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}]}},
            {"kind": "NetworkPolicy", "metadata": {"name": "d", "namespace": "shop"},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}, {"ports": [{"port": 8000, "endPort": 8100}]}]}}]"#,
        // Pod selectors only: no Internet source.
        r#"[{"kind": "NetworkPolicy", "metadata": {"name": "e", "namespace": "shop"},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}}]"#,
    ];
    let mut seed: u32 = 0x1234_5678;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for (i, policies) in variants.iter().enumerate() {
        let mut s = base.clone();
        s.network_policies = packetwalk::netpol::policies_from_value(&doc(policies))
            .value
            .into();
        let ex = exposure(&s);
        let entry = pod_entry(&ex);
        let mut probes: Vec<Ipv4Addr> = [
            "198.51.100.23",
            "198.51.100.200",
            "198.51.3.4",
            "192.0.2.77",
            "203.0.113.99",
            "8.8.8.8",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        probes.extend((0..40).map(|_| Ipv4Addr::from(next())));
        for ip in probes {
            let ip = IpAddr::V4(ip);
            let t = packet(&s, &format!("{ip}:50001"), "203.0.113.10:80");
            let delivered = t.verdict == Verdict::Delivered;
            let listed = entry.is_some_and(|e| e.sources.contains(ip));
            assert_eq!(delivered, listed, "variant {i}, {ip}: {:?}", t.reason);
        }
    }
}
