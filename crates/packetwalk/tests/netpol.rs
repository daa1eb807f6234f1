//! NetworkPolicy semantics (docs/network-policy.md, "NP n"): the examples of the
//! Kubernetes concept page "Network Policies" with their documented outcomes, the
//! reading of policies as people write them, and a property test against a brute-force
//! reading of the rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::json::Value;
use packetwalk::netpol::{
    evaluate, namespaces_from_value, policies_from_value, policy_to_value, Namespace,
    NetworkPolicy, PeerInfo, PodInfo, PolicyDirection, PolicyEngine, PolicyMatch, PolicyPacket,
    PolicyProtocol, PolicyVerdict,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn policies(text: &str) -> Vec<NetworkPolicy> {
    let imported = policies_from_value(&doc(text));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    imported.value
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn pod(namespace: &str, pairs: &[(&str, &str)]) -> PodInfo {
    PodInfo {
        name: "p".to_owned(),
        namespace: namespace.to_owned(),
        labels: labels(pairs),
        named_ports: Vec::new(),
    }
}

fn from_ip(ip: &str) -> PeerInfo {
    PeerInfo {
        ip: ip.parse().unwrap(),
        pod: None,
        is_local_node: false,
        is_cluster_address: false,
    }
}

fn from_pod(ip: &str, pod: PodInfo) -> PeerInfo {
    PeerInfo {
        ip: ip.parse().unwrap(),
        pod: Some(pod),
        is_local_node: false,
        is_cluster_address: true,
    }
}

struct Case<'a> {
    policies: &'a [NetworkPolicy],
    namespaces: &'a [Namespace],
    engine: PolicyEngine,
}

impl Case<'_> {
    fn decide(
        &self,
        direction: PolicyDirection,
        pod: &PodInfo,
        peer: &PeerInfo,
        protocol: PolicyProtocol,
        port: u16,
    ) -> PolicyVerdict {
        evaluate(
            self.policies,
            self.namespaces,
            self.engine,
            &PolicyPacket {
                direction,
                pod,
                peer,
                protocol: Some(protocol),
                port,
                peer_named_ports: &[],
            },
        )
        .verdict
    }

    fn ingress(&self, pod: &PodInfo, peer: &PeerInfo, port: u16) -> PolicyVerdict {
        self.decide(
            PolicyDirection::Ingress,
            pod,
            peer,
            PolicyProtocol::Tcp,
            port,
        )
    }
}

fn allowed_by(
    policy: &str,
    rule: usize,
    peer: Option<usize>,
    port: Option<usize>,
) -> PolicyVerdict {
    PolicyVerdict::Allowed(PolicyMatch {
        policy: policy.to_owned(),
        rule,
        peer,
        port,
    })
}

/// The concept page's `test-network-policy` and its documented outcome (NP 1-8).
const TEST_NETWORK_POLICY: &str = r#"{
  "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
  "metadata": {"name": "test-network-policy", "namespace": "default"},
  "spec": {
    "podSelector": {"matchLabels": {"role": "db"}},
    "policyTypes": ["Ingress", "Egress"],
    "ingress": [{
      "from": [
        {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
        {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
        {"podSelector": {"matchLabels": {"role": "frontend"}}}
      ],
      "ports": [{"protocol": "TCP", "port": 6379}]
    }],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}]
  }
}"#;

#[test]
fn concept_page_test_network_policy() {
    let policies = policies(TEST_NETWORK_POLICY);
    let namespaces = namespaces_from_value(&doc(r#"{"kind": "List", "items": [
            {"kind": "Namespace", "metadata": {"name": "default"}},
            {"kind": "Namespace", "metadata": {"name": "myproject", "labels": {"project": "myproject"}}},
            {"kind": "Namespace", "metadata": {"name": "other"}}]}"#));
    let case = Case {
        policies: &policies,
        namespaces: &namespaces,
        engine: PolicyEngine::Calico,
    };
    let db = pod("default", &[("role", "db")]);
    let name = "test-network-policy";

    // "any pod in the default namespace with the label role=frontend"
    let frontend = from_pod("10.1.0.5", pod("default", &[("role", "frontend")]));
    assert_eq!(
        case.ingress(&db, &frontend, 6379),
        allowed_by(name, 0, Some(2), Some(0))
    );
    // "any pod in a namespace with the label project=myproject"
    let any_in_project = from_pod("10.1.0.6", pod("myproject", &[]));
    assert_eq!(
        case.ingress(&db, &any_in_project, 6379),
        allowed_by(name, 0, Some(1), Some(0))
    );
    // "IP addresses in 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255"
    for ip in ["172.17.0.1", "172.17.0.255", "172.17.2.0", "172.17.255.255"] {
        assert_eq!(
            case.ingress(&db, &from_ip(ip), 6379),
            allowed_by(name, 0, Some(0), Some(0)),
            "{ip}"
        );
    }
    for ip in ["172.17.1.0", "172.17.1.255", "172.18.0.1"] {
        assert_eq!(
            case.ingress(&db, &from_ip(ip), 6379),
            PolicyVerdict::Denied,
            "{ip}"
        );
    }
    // Only TCP 6379.
    assert_eq!(case.ingress(&db, &frontend, 6380), PolicyVerdict::Denied);
    assert_eq!(
        case.decide(
            PolicyDirection::Ingress,
            &db,
            &frontend,
            PolicyProtocol::Udp,
            6379
        ),
        PolicyVerdict::Denied
    );
    // A frontend pod in another namespace is not "in the default namespace".
    let frontend_elsewhere = from_pod("10.1.0.7", pod("other", &[("role", "frontend")]));
    assert_eq!(
        case.ingress(&db, &frontend_elsewhere, 6379),
        PolicyVerdict::Denied
    );
    // Egress: "from any pod in the default namespace with the label role=db to CIDR
    // 10.0.0.0/24 on TCP port 5978".
    let egress = |ip: &str, port| {
        case.decide(
            PolicyDirection::Egress,
            &db,
            &from_ip(ip),
            PolicyProtocol::Tcp,
            port,
        )
    };
    assert_eq!(
        egress("10.0.0.9", 5978),
        allowed_by(name, 0, Some(0), Some(0))
    );
    assert_eq!(egress("10.0.1.9", 5978), PolicyVerdict::Denied);
    assert_eq!(egress("10.0.0.9", 80), PolicyVerdict::Denied);
    // Pods the policy does not select are not isolated (NP 1).
    let web = pod("default", &[("role", "web")]);
    assert_eq!(
        case.ingress(&web, &from_ip("192.0.2.1"), 80),
        PolicyVerdict::NotIsolated
    );
}

/// "Behavior of to and from selectors": one entry with both selectors is an AND, two
/// entries an OR (NP 6).
#[test]
fn concept_page_and_versus_or_selectors() {
    let and = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "and", "namespace": "default"},
            "spec": {"podSelector": {}, "ingress": [{"from": [
              {"namespaceSelector": {"matchLabels": {"user": "alice"}},
               "podSelector": {"matchLabels": {"role": "client"}}}]}]}}"#,
    );
    let or = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "or", "namespace": "default"},
            "spec": {"podSelector": {}, "ingress": [{"from": [
              {"namespaceSelector": {"matchLabels": {"user": "alice"}}},
              {"podSelector": {"matchLabels": {"role": "client"}}}]}]}}"#,
    );
    let namespaces = vec![
        Namespace {
            name: "alice".to_owned(),
            labels: labels(&[("user", "alice")]),
        },
        Namespace {
            name: "default".to_owned(),
            labels: BTreeMap::new(),
        },
    ];
    let target = pod("default", &[]);
    let client_in_alice = from_pod("10.1.0.1", pod("alice", &[("role", "client")]));
    let other_in_alice = from_pod("10.1.0.2", pod("alice", &[("role", "server")]));
    let client_here = from_pod("10.1.0.3", pod("default", &[("role", "client")]));
    let and = Case {
        policies: &and,
        namespaces: &namespaces,
        engine: PolicyEngine::Azure,
    };
    let or = Case {
        policies: &or,
        namespaces: &namespaces,
        engine: PolicyEngine::Azure,
    };
    assert!(matches!(
        and.ingress(&target, &client_in_alice, 80),
        PolicyVerdict::Allowed(_)
    ));
    assert_eq!(
        and.ingress(&target, &other_in_alice, 80),
        PolicyVerdict::Denied
    );
    assert_eq!(
        and.ingress(&target, &client_here, 80),
        PolicyVerdict::Denied
    );
    assert_eq!(
        or.ingress(&target, &other_in_alice, 80),
        allowed_by("or", 0, Some(0), None)
    );
    assert_eq!(
        or.ingress(&target, &client_here, 80),
        allowed_by("or", 0, Some(1), None)
    );
}

/// "Default policies": deny all ingress, allow all ingress, deny all egress (NP 2, 3, 4).
#[test]
fn concept_page_default_policies() {
    let deny = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "default-deny-ingress"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}"#,
    );
    let allow = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "allow-all-ingress"},
            "spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}}"#,
    );
    let deny_egress = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "default-deny-egress"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}"#,
    );
    let any = pod("default", &[("app", "x")]);
    let client = from_ip("203.0.113.7");
    let case = |p: &[NetworkPolicy]| {
        evaluate(
            p,
            &[],
            PolicyEngine::Calico,
            &PolicyPacket {
                direction: PolicyDirection::Ingress,
                pod: &any,
                peer: &client,
                protocol: Some(PolicyProtocol::Tcp),
                port: 80,
                peer_named_ports: &[],
            },
        )
    };
    let denied = case(&deny);
    assert_eq!(denied.verdict, PolicyVerdict::Denied);
    assert_eq!(denied.isolating, ["default-deny-ingress"]);
    assert_eq!(
        case(&allow).verdict,
        allowed_by("allow-all-ingress", 0, None, None)
    );
    // Allows are a union: the deny-all and the allow-all together allow (NP 3).
    let both: Vec<NetworkPolicy> = deny.iter().chain(&allow).cloned().collect();
    assert_eq!(
        case(&both).verdict,
        allowed_by("allow-all-ingress", 0, None, None)
    );
    // An egress-only policy does not isolate for ingress.
    let egress_only = case(&deny_egress);
    assert_eq!(egress_only.verdict, PolicyVerdict::NotIsolated);
    assert_eq!(egress_only.selecting, ["default-deny-egress"]);
}

/// "Targeting a range of ports" (NP 8) and "Targeting a Namespace by its name" (NP 10).
#[test]
fn concept_page_port_range_and_namespace_by_name() {
    let range = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "multi-port-egress", "namespace": "default"},
            "spec": {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Egress"],
              "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                          "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}]}]}}"#,
    );
    let db = pod("default", &[("role", "db")]);
    let case = Case {
        policies: &range,
        namespaces: &[],
        engine: PolicyEngine::Calico,
    };
    for (port, ok) in [
        (31999, false),
        (32000, true),
        (32500, true),
        (32768, true),
        (32769, false),
    ] {
        let verdict = case.decide(
            PolicyDirection::Egress,
            &db,
            &from_ip("10.0.0.1"),
            PolicyProtocol::Tcp,
            port,
        );
        assert_eq!(matches!(verdict, PolicyVerdict::Allowed(_)), ok, "{port}");
    }

    let by_name = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "from-monitoring", "namespace": "default"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector":
              {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]}]}}"#,
    );
    // No Namespace objects given: the API server's name label is still there.
    let case = Case {
        policies: &by_name,
        namespaces: &[],
        engine: PolicyEngine::Azure,
    };
    let target = pod("default", &[]);
    assert!(matches!(
        case.ingress(&target, &from_pod("10.1.0.9", pod("monitoring", &[])), 9090),
        PolicyVerdict::Allowed(_)
    ));
    assert_eq!(
        case.ingress(&target, &from_pod("10.1.0.9", pod("logging", &[])), 9090),
        PolicyVerdict::Denied
    );
}

/// "traffic to and from the node where a Pod is running is always allowed" (NP 9), and
/// an engine of none enforces nothing (NP 12).
#[test]
fn the_pods_own_node_is_always_allowed_and_none_enforces_nothing() {
    let deny = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "deny"}, "spec": {"podSelector": {}}}"#,
    );
    let target = pod("default", &[]);
    let mut node = from_ip("10.224.0.4");
    node.is_local_node = true;
    node.is_cluster_address = true;
    let case = Case {
        policies: &deny,
        namespaces: &[],
        engine: PolicyEngine::Azure,
    };
    assert_eq!(case.ingress(&target, &node, 8080), PolicyVerdict::LocalNode);
    node.is_local_node = false;
    assert_eq!(case.ingress(&target, &node, 8080), PolicyVerdict::Denied);
    let none = Case {
        policies: &deny,
        namespaces: &[],
        engine: PolicyEngine::None,
    };
    assert_eq!(
        none.ingress(&target, &node, 8080),
        PolicyVerdict::NotEnforced
    );
}

/// Cilium's ipBlock does not select pod or node addresses (NP 12, AKS "Azure CNI powered
/// by Cilium", Limitations); other engines' does.
#[test]
fn cilium_ipblock_does_not_select_cluster_addresses() {
    let p = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "from-vnet"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.224.0.0/16"}}]}]}}"#,
    );
    let target = pod("default", &[]);
    let mut node = from_ip("10.224.0.5");
    node.is_cluster_address = true;
    let decide = |engine| {
        evaluate(
            &p,
            &[],
            engine,
            &PolicyPacket {
                direction: PolicyDirection::Ingress,
                pod: &target,
                peer: &node,
                protocol: Some(PolicyProtocol::Tcp),
                port: 80,
                peer_named_ports: &[],
            },
        )
    };
    assert!(decide(PolicyEngine::Calico).allowed());
    let cilium = decide(PolicyEngine::Cilium);
    assert_eq!(cilium.verdict, PolicyVerdict::Denied);
    assert_eq!(
        cilium.notes,
        ["policy from-vnet: ipBlock 10.224.0.0/16 contains 10.224.0.5, but Cilium's ipBlock does not select pod or node addresses"]
    );
    // A VM of the VNet (not a pod or node) is selected under Cilium too.
    assert!(decide(PolicyEngine::Cilium).notes.len() == 1);
    let vm = from_ip("10.224.9.9");
    let verdict = evaluate(
        &p,
        &[],
        PolicyEngine::Cilium,
        &PolicyPacket {
            direction: PolicyDirection::Ingress,
            pod: &target,
            peer: &vm,
            protocol: Some(PolicyProtocol::Tcp),
            port: 80,
            peer_named_ports: &[],
        },
    );
    assert!(verdict.allowed());
}

/// Named ports match the receiving pod's container port of that name (NP 8).
#[test]
fn named_ports_match_the_pods_container_port() {
    let p = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "http"},
            "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}}"#,
    );
    let mut target = pod("default", &[]);
    target.named_ports = vec![("http".to_owned(), 8080, PolicyProtocol::Tcp)];
    let case = Case {
        policies: &p,
        namespaces: &[],
        engine: PolicyEngine::Azure,
    };
    let client = from_ip("203.0.113.1");
    assert_eq!(
        case.ingress(&target, &client, 8080),
        allowed_by("http", 0, None, Some(0))
    );
    assert_eq!(case.ingress(&target, &client, 80), PolicyVerdict::Denied);
}

#[test]
fn defaults_are_filled_and_refused_policies_left_out() {
    // Written for kubectl apply: no policyTypes, no protocol, no namespace.
    let p = policies(
        r#"{"kind": "NetworkPolicy", "metadata": {"name": "w"},
            "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}"#,
    );
    assert_eq!(p[0].namespace, "default");
    assert_eq!(
        p[0].policy_types,
        [PolicyDirection::Ingress, PolicyDirection::Egress]
    );
    assert_eq!(p[0].egress[0].ports[0].protocol, PolicyProtocol::Tcp);
    // Written back with the defaults the API server fills in.
    let back = serde_json::to_string(&policy_to_value(&p[0])).unwrap();
    assert_eq!(
        back,
        r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"w","namespace":"default"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"egress":[{"ports":[{"protocol":"TCP","port":53}]}]}}"#
    );
    let again = policies_from_value(&doc(&back)).value;
    assert_eq!(again, p);

    let refused = policies_from_value(&doc(r#"{"kind": "List", "items": [
          {"kind": "NetworkPolicy", "metadata": {"name": "bad", "namespace": "shop"},
           "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}],
                    "ports": [{"port": "http", "endPort": 90}]}]}},
          {"kind": "NetworkPolicy", "metadata": {"name": "good"}, "spec": {"podSelector": {}}},
          {"kind": "Service", "metadata": {"name": "ignored"}}]}"#));
    assert_eq!(refused.value.len(), 1);
    assert_eq!(refused.value[0].name, "good");
    let messages: Vec<String> = refused
        .warnings
        .iter()
        .map(|w| {
            format!(
                "{}, {}: {}",
                w.object,
                w.field.as_deref().unwrap_or(""),
                w.message
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            "NetworkPolicy shop/bad, spec.ingress[0].from[0].ipBlock.except[0]: not a CIDR prefix inside the block's cidr; the API server refuses such a policy, so it is left out",
            "NetworkPolicy shop/bad, spec.ingress[0].ports[0].endPort: endPort needs a numeric port no greater than it; the API server refuses such a policy, so it is left out",
        ]
    );
}

#[test]
fn any_document_is_read_without_panicking() {
    for text in [
        "null",
        "[]",
        "{}",
        "5",
        r#"{"kind":"NetworkPolicy"}"#,
        r#"{"kind":"NetworkPolicy","spec":5}"#,
        r#"{"kind":"NetworkPolicy","spec":{"ingress":[5,{"from":5},{"from":[5,{}]},{"ports":[{"port":-1},{"port":1.5},{"endPort":"x"}]}]}}"#,
        r#"{"kind":"NetworkPolicy","spec":{"podSelector":{"matchExpressions":[5,{"operator":"In"},{"key":"a","operator":"Exists","values":["x"]}]}}}"#,
        r#"{"kind":"Namespace","metadata":{"labels":5}}"#,
    ] {
        let _ = policies_from_value(&doc(text));
        let _ = namespaces_from_value(&doc(text));
    }
}

// The property: the evaluator agrees with a brute-force reading of NP 1-9, written here
// as directly as the documentation states it.

mod reference {
    use super::*;
    use packetwalk::netpol::{LabelSelector, Operator, Peer, PortRef};

    fn selector(s: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
        let mut ok = true;
        for (k, v) in &s.match_labels {
            ok &= labels.get(k) == Some(v);
        }
        for r in &s.match_expressions {
            let has = labels.contains_key(&r.key);
            let in_values = r.values.iter().any(|v| labels.get(&r.key) == Some(v));
            ok &= match r.operator {
                Operator::In => in_values,
                Operator::NotIn => !in_values,
                Operator::Exists => has,
                Operator::DoesNotExist => !has,
            };
        }
        ok
    }

    pub fn allowed(
        policies: &[NetworkPolicy],
        namespaces: &[Namespace],
        direction: PolicyDirection,
        pod: &PodInfo,
        peer: &PeerInfo,
        protocol: PolicyProtocol,
        port: u16,
    ) -> bool {
        let ns_labels = |name: &str| {
            let mut l = namespaces
                .iter()
                .find(|n| n.name == name)
                .map(|n| n.labels.clone())
                .unwrap_or_default();
            l.insert("kubernetes.io/metadata.name".to_owned(), name.to_owned());
            l
        };
        let isolating: Vec<&NetworkPolicy> = policies
            .iter()
            .filter(|p| p.namespace == pod.namespace && selector(&p.pod_selector, &pod.labels))
            .filter(|p| p.policy_types.contains(&direction))
            .collect();
        if isolating.is_empty() || peer.is_local_node {
            return true;
        }
        isolating.iter().any(|p| {
            let rules = match direction {
                PolicyDirection::Ingress => &p.ingress,
                PolicyDirection::Egress => &p.egress,
            };
            rules.iter().any(|r| {
                let peer_ok = r.peers.is_empty()
                    || r.peers.iter().any(|x| match x {
                        Peer::IpBlock { cidr, except } => {
                            cidr.contains(&peer.ip) && except.iter().all(|e| !e.contains(&peer.ip))
                        }
                        Peer::Pods {
                            pod_selector,
                            namespace_selector,
                        } => match &peer.pod {
                            None => false,
                            Some(other) => {
                                let ns_ok = match namespace_selector {
                                    None => other.namespace == p.namespace,
                                    Some(s) => selector(s, &ns_labels(&other.namespace)),
                                };
                                let pod_ok = match pod_selector {
                                    None => true,
                                    Some(s) => selector(s, &other.labels),
                                };
                                ns_ok && pod_ok
                            }
                        },
                    });
                let port_ok = r.ports.is_empty()
                    || r.ports.iter().any(|x| {
                        x.protocol == protocol
                            && match (&x.port, x.end_port) {
                                (None, _) => true,
                                (Some(PortRef::Number(n)), None) => *n == port,
                                (Some(PortRef::Number(n)), Some(e)) => *n <= port && port <= e,
                                (Some(PortRef::Name(_)), _) => false,
                            }
                    });
                peer_ok && port_ok
            })
        })
    }
}

fn arb_labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop::sample::select(vec!["app".to_owned(), "tier".to_owned()]),
        prop::sample::select(vec!["a".to_owned(), "b".to_owned()]),
        0..3,
    )
}

fn arb_selector_json() -> impl Strategy<Value = String> {
    let expr = (
        prop::sample::select(vec!["app", "tier"]),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::sample::subsequence(vec!["a", "b"], 1..=2),
    )
        .prop_map(|(k, op, values)| {
            let values = if op == "In" || op == "NotIn" {
                format!(
                    r#","values":[{}]"#,
                    values
                        .iter()
                        .map(|v| format!("\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            } else {
                String::new()
            };
            format!(r#"{{"key":"{k}","operator":"{op}"{values}}}"#)
        });
    (arb_labels(), prop::collection::vec(expr, 0..2)).prop_map(|(labels, exprs)| {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!(r#""{k}":"{v}""#))
            .collect();
        format!(
            r#"{{"matchLabels":{{{}}},"matchExpressions":[{}]}}"#,
            labels.join(","),
            exprs.join(",")
        )
    })
}

fn arb_peer_json() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..8, prop::option::of(0u8..8)).prop_map(|(base, except)| {
            let except = except
                .filter(|e| *e >= base & !3 && *e < (base & !3) + 4)
                .map(|e| format!(r#","except":["10.0.0.{e}/32"]"#))
                .unwrap_or_default();
            format!(
                r#"{{"ipBlock":{{"cidr":"10.0.0.{}/30"{except}}}}}"#,
                base & !3
            )
        }),
        (
            prop::option::of(arb_selector_json()),
            prop::option::of(arb_selector_json())
        )
            .prop_filter("one selector at least", |(p, n)| p.is_some() || n.is_some())
            .prop_map(|(p, n)| {
                let mut parts = Vec::new();
                if let Some(p) = p {
                    parts.push(format!(r#""podSelector":{p}"#));
                }
                if let Some(n) = n {
                    parts.push(format!(r#""namespaceSelector":{n}"#));
                }
                format!("{{{}}}", parts.join(","))
            }),
    ]
}

fn arb_port_json() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["TCP", "UDP"]),
        prop::option::of(1u16..6),
        prop::option::of(0u16..3),
    )
        .prop_map(|(proto, port, span)| match (port, span) {
            (Some(p), Some(s)) => {
                format!(r#"{{"protocol":"{proto}","port":{p},"endPort":{}}}"#, p + s)
            }
            (Some(p), None) => format!(r#"{{"protocol":"{proto}","port":{p}}}"#),
            (None, _) => format!(r#"{{"protocol":"{proto}"}}"#),
        })
}

fn arb_rule_json(peers_key: &'static str) -> impl Strategy<Value = String> {
    (
        prop::option::of(prop::collection::vec(arb_peer_json(), 0..3)),
        prop::option::of(prop::collection::vec(arb_port_json(), 0..3)),
    )
        .prop_map(move |(peers, ports)| {
            let mut parts = Vec::new();
            if let Some(peers) = peers {
                parts.push(format!(r#""{peers_key}":[{}]"#, peers.join(",")));
            }
            if let Some(ports) = ports {
                parts.push(format!(r#""ports":[{}]"#, ports.join(",")));
            }
            format!("{{{}}}", parts.join(","))
        })
}

fn arb_policy_json() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["ns1", "ns2"]),
        arb_selector_json(),
        prop::option::of(prop::sample::subsequence(vec!["Ingress", "Egress"], 0..=2)),
        prop::option::of(prop::collection::vec(arb_rule_json("from"), 0..3)),
        prop::option::of(prop::collection::vec(arb_rule_json("to"), 0..3)),
    )
        .prop_map(|(ns, selector, types, ingress, egress)| {
            let mut spec = vec![format!(r#""podSelector":{selector}"#)];
            if let Some(types) = types {
                spec.push(format!(
                    r#""policyTypes":[{}]"#,
                    types.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(",")
                ));
            }
            if let Some(rules) = ingress {
                spec.push(format!(r#""ingress":[{}]"#, rules.join(",")));
            }
            if let Some(rules) = egress {
                spec.push(format!(r#""egress":[{}]"#, rules.join(",")));
            }
            format!(
                r#"{{"kind":"NetworkPolicy","metadata":{{"name":"p","namespace":"{ns}"}},"spec":{{{}}}}}"#,
                spec.join(",")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn evaluator_agrees_with_the_brute_force_reading(
        docs in prop::collection::vec(arb_policy_json(), 0..4),
        ns_labels in arb_labels(),
        pod_ns in prop::sample::select(vec!["ns1", "ns2"]),
        pod_labels in arb_labels(),
        peer_ns in prop::sample::select(vec!["ns1", "ns2"]),
        peer_labels in arb_labels(),
        peer_is_pod in any::<bool>(),
        peer_last in 0u8..8,
        local_node in prop::bool::weighted(0.1),
        egress in any::<bool>(),
        udp in any::<bool>(),
        port in 1u16..8,
    ) {
        let mut policies = Vec::new();
        for (i, text) in docs.iter().enumerate() {
            let mut read = policies_from_value(&doc(text));
            prop_assert!(read.warnings.is_empty(), "{text}: {:?}", read.warnings);
            for p in &mut read.value {
                p.name = format!("p{i}");
            }
            policies.extend(read.value);
        }
        let namespaces = vec![Namespace { name: "ns2".to_owned(), labels: ns_labels }];
        let pod = PodInfo { name: "x".to_owned(), namespace: pod_ns.to_owned(), labels: pod_labels, named_ports: Vec::new() };
        let peer = PeerInfo {
            ip: IpAddr::from([10, 0, 0, peer_last]),
            pod: peer_is_pod.then(|| PodInfo { name: "y".to_owned(), namespace: peer_ns.to_owned(), labels: peer_labels, named_ports: Vec::new() }),
            is_local_node: local_node,
            is_cluster_address: peer_is_pod,
        };
        let direction = if egress { PolicyDirection::Egress } else { PolicyDirection::Ingress };
        let protocol = if udp { PolicyProtocol::Udp } else { PolicyProtocol::Tcp };
        let decision = evaluate(&policies, &namespaces, PolicyEngine::Calico, &PolicyPacket {
            direction, pod: &pod, peer: &peer, protocol: Some(protocol), port, peer_named_ports: &[],
        });
        let want = reference::allowed(&policies, &namespaces, direction, &pod, &peer, protocol, port);
        prop_assert_eq!(decision.allowed(), want, "{:?}", decision);
        // The rule named as the reason allows the packet on its own.
        if let PolicyVerdict::Allowed(m) = &decision.verdict {
            let policy = policies.iter().find(|p| p.name == m.policy).unwrap();
            let rules = if egress { &policy.egress } else { &policy.ingress };
            let mut alone = policy.clone();
            alone.ingress = Vec::new();
            alone.egress = Vec::new();
            let only = vec![rules[m.rule].clone()];
            if egress { alone.egress = only } else { alone.ingress = only }
            prop_assert!(reference::allowed(&[alone], &namespaces, direction, &pod, &peer, protocol, port));
        }
    }
}
