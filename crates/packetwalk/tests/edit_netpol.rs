//! NetworkPolicy edits (the page's editor and import panel): the engine, a policy put as
//! kubectl JSON or removed, a namespace's labels, and kubectl Lists imported. Each is
//! checked strictly; a refused edit names the policy and field and changes nothing; edits
//! survive their JSON form (links); and no document makes them panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::edit::{
    apply, default_deny_template, kubectl_contents, labels_from_text, policy_document,
    policy_summary, refused_policies, replay, Edit, PolicyName,
};
use packetwalk::json::Value;
use packetwalk::netpol::{
    policy_to_value, LabelSelector, NetworkPolicy, Peer, PolicyDirection, PolicyEngine, PolicyPort,
    PolicyProtocol, PolicyRule, PortRef,
};
use packetwalk::scenario::Scenario;
use packetwalk::trace::{trace_named, Verdict};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn load(name: &str) -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../www/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn verdict(scenario: &Scenario, flow: &str) -> (Verdict, String) {
    let t = trace_named(scenario, Some(flow)).unwrap();
    (t.verdict, t.reason.unwrap_or_default())
}

const VIA_OTHER_NODE: &str = "office-via-other-node";

/// allow-office of netpol-ipblock-cluster with `cidr` in its ipBlock.
fn allow_office(cidr: &str) -> Value {
    doc(&format!(
        r#"{{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {{"name": "allow-office", "namespace": "shop"}},
            "spec": {{"podSelector": {{"matchLabels": {{"app": "web"}}}},
                     "ingress": [{{"from": [{{"ipBlock": {{"cidr": "{cidr}"}}}}],
                                  "ports": [{{"port": 8080}}]}}]}}}}"#
    ))
}

fn put(policy: Value, replaces: Option<&str>) -> Edit {
    Edit::PutPolicy {
        policy,
        replaces: replaces.map(|r| PolicyName::parse(r).unwrap()),
    }
}

#[test]
fn widening_the_ipblock_to_the_nodes_lets_the_snated_packet_in() {
    // NP 7, NP 11: under Cluster the pod sees the forwarding node's address; an ipBlock
    // that covers the node subnet allows it.
    let mut s = load("netpol-ipblock-cluster");
    let (v, reason) = verdict(&s, VIA_OTHER_NODE);
    assert_eq!(v, Verdict::Dropped, "{reason}");
    let edit = put(allow_office("10.224.0.0/16"), Some("shop/allow-office"));
    assert_eq!(edit.describe(), "edit NetworkPolicy shop/allow-office");
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(applied.changes, ["NetworkPolicy shop/allow-office changed"]);
    assert_eq!(s.network_policies.policies.len(), 1);
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Delivered);
}

#[test]
fn a_bad_cidr_is_refused_naming_policy_and_field_and_changes_nothing() {
    let base = load("netpol-ipblock-cluster");
    let mut s = base.clone();
    let refused = apply(
        &mut s,
        &put(allow_office("10.0.0.0/33"), Some("shop/allow-office")),
    )
    .unwrap_err();
    assert_eq!(refused.problems.len(), 1);
    let p = &refused.problems[0];
    assert_eq!(p.object, "NetworkPolicy shop/allow-office");
    assert_eq!(
        p.field.as_deref(),
        Some("spec.ingress[0].from[0].ipBlock.cidr")
    );
    assert_eq!(p.value.as_deref(), Some("10.0.0.0/33"));
    assert_eq!(
        p.to_string(),
        r#"NetworkPolicy shop/allow-office, spec.ingress[0].from[0].ipBlock.cidr "10.0.0.0/33": not a CIDR prefix (the API server refuses such a policy)"#
    );
    assert_eq!(s, base);
}

#[test]
fn what_kubectl_apply_refuses_is_refused_by_field() {
    let s = load("netpol-ipblock-cluster");
    let cases: &[(&str, &str, &str)] = &[
        // A typo would otherwise leave a policy that allows nothing.
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a","namespace":"shop"},"spec":{"podSelector":{},"ingres":[{}]}}"#,
            "spec.ingres",
            "unknown field",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"Networkpolicy","metadata":{"name":"a"}}"#,
            "kind",
            "not NetworkPolicy",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{}}"#,
            "metadata.name",
            "required",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"Allow_Office"}}"#,
            "metadata.name",
            "DNS subdomain",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a","namespace":"Shop"}}"#,
            "metadata.namespace",
            "namespace",
        ),
        (
            r#"{"kind":"NetworkPolicy","metadata":{"name":"a"}}"#,
            "apiVersion",
            "required",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a"},"spec":{"ingress":[{"from":{"ipBlock":{"cidr":"10.0.0.0/8"}}}]}}"#,
            "spec.ingress[0].from",
            "expected an array",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a"},"spec":{"podSelector":{"matchLabels":{"app":5}}}}"#,
            "spec.podSelector.matchLabels.app",
            "expected a string",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a"},"spec":{"egress":[{"ports":[{"port":8080,"endPort":80}]}]}}"#,
            "spec.egress[0].ports[0].endPort",
            "endPort",
        ),
        (
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a"},"spec":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["192.168.0.0/16"]}}]}]}}"#,
            "spec.ingress[0].from[0].ipBlock.except[0]",
            "inside the block",
        ),
        (
            r#"{"apiVersion":"v1","kind":"List","items":[]}"#,
            "",
            "one NetworkPolicy object here",
        ),
        (r#"[1, 2]"#, "", "one NetworkPolicy object here"),
        (r#""a policy""#, "", "expected an object"),
    ];
    for (text, field, message) in cases {
        let mut changed = s.clone();
        let refused = apply(&mut changed, &put(doc(text), None)).unwrap_err();
        assert_eq!(changed, s, "{text}");
        let found = refused
            .problems
            .iter()
            .any(|p| p.field.as_deref().unwrap_or("") == *field && p.message.contains(message));
        assert!(found, "{text}: {:?}", refused.problems);
    }
}

#[test]
fn removing_the_policy_delivers_and_removing_it_twice_is_refused() {
    let mut s = load("netpol-ipblock-cluster");
    let edit = remove_allow_office();
    assert_eq!(edit.describe(), "remove NetworkPolicy shop/allow-office");
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(applied.changes, ["NetworkPolicy shop/allow-office removed"]);
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Delivered);
    let again = apply(&mut s, &edit).unwrap_err();
    assert_eq!(
        again.to_string(),
        "NetworkPolicy shop/allow-office: no policy of that name"
    );
}

fn remove_allow_office() -> Edit {
    Edit::DeletePolicy {
        namespace: "shop".to_owned(),
        name: "allow-office".to_owned(),
    }
}

#[test]
fn a_default_deny_for_the_pods_namespace_drops_the_packet_at_the_policy() {
    // NP 1, NP 3: an ingress policy with no rules isolates and allows nothing.
    let mut s = load("netpol-ipblock-cluster");
    assert_eq!(
        policy_summary(&s.network_policies.policies[0]),
        "pods {app=web}: ingress from 198.51.100.0/24 on TCP 8080"
    );
    apply(&mut s, &remove_allow_office()).unwrap();
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Delivered);
    let template = default_deny_template(&s, "shop");
    assert_eq!(
        template
            .get("metadata")
            .unwrap()
            .get("name")
            .unwrap()
            .as_str(),
        Some("default-deny-ingress")
    );
    let applied = apply(&mut s, &put(template, None)).unwrap();
    assert_eq!(
        applied.changes,
        ["NetworkPolicy shop/default-deny-ingress added"]
    );
    let (v, reason) = verdict(&s, VIA_OTHER_NODE);
    assert_eq!(v, Verdict::Dropped);
    assert!(reason.contains("default-deny-ingress"), "{reason}");
    // The next template does not take the same name.
    let next = default_deny_template(&s, "shop");
    assert_eq!(
        next.get("metadata").unwrap().get("name").unwrap().as_str(),
        Some("default-deny-ingress-2")
    );
    assert_eq!(
        policy_summary(&s.network_policies.policies[0]),
        "pods {all}: ingress denied"
    );
}

#[test]
fn a_policy_added_where_no_engine_enforces_says_so() {
    let mut s = load("netpol-ipblock-cluster");
    apply(&mut s, &remove_allow_office()).unwrap();
    apply(
        &mut s,
        &Edit::PolicyEngine {
            engine: PolicyEngine::None,
        },
    )
    .unwrap();
    let deny = put(default_deny_template(&s, "shop"), None);
    let applied = apply(&mut s, &deny).unwrap();
    assert_eq!(applied.changes.len(), 2, "{:?}", applied.changes);
    assert!(applied.changes[1].contains("engine is none"));
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Delivered);
    apply(
        &mut s,
        &Edit::PolicyEngine {
            engine: PolicyEngine::Calico,
        },
    )
    .unwrap();
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Dropped);
}

#[test]
fn the_engine_is_an_edit_and_cilium_renames_the_hop() {
    let mut s = load("netpol-ipblock-cluster");
    let edit = Edit::PolicyEngine {
        engine: PolicyEngine::Cilium,
    };
    assert_eq!(edit.describe(), "set the NetworkPolicy engine to cilium");
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(applied.changes, ["networkPolicy: cilium (was azure)"]);
    let t = trace_named(&s, Some(VIA_OTHER_NODE)).unwrap();
    assert!(
        t.hops.iter().any(|h| h.summary.contains("Cilium")),
        "{:?}",
        t.hops.iter().map(|h| &h.summary).collect::<Vec<_>>()
    );
    // None: the policy is stored but nothing enforces it.
    apply(
        &mut s,
        &Edit::PolicyEngine {
            engine: PolicyEngine::None,
        },
    )
    .unwrap();
    assert_eq!(verdict(&s, VIA_OTHER_NODE).0, Verdict::Delivered);
}

#[test]
fn a_renamed_policy_replaces_the_one_it_was_edited_from_in_place() {
    let mut s = load("netpol-ipblock-cluster");
    let deny = put(default_deny_template(&s, "shop"), None);
    apply(&mut s, &deny).unwrap();
    let mut renamed = allow_office("198.51.100.0/24");
    if let Value::Object(members) = &mut renamed {
        members[2].1 = doc(r#"{"name": "allow-branch", "namespace": "shop"}"#);
    }
    let edit = put(renamed, Some("shop/allow-office"));
    assert_eq!(
        edit.describe(),
        "edit NetworkPolicy shop/allow-office (now shop/allow-branch)"
    );
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(
        applied.changes,
        ["NetworkPolicy shop/allow-office replaced by shop/allow-branch"]
    );
    let names: Vec<&str> = s
        .network_policies
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["allow-branch", "default-deny-ingress"]);
    // A stale edit (its policy gone) is refused.
    let stale = apply(
        &mut s,
        &put(allow_office("10.0.0.0/8"), Some("shop/allow-office")),
    );
    assert!(stale
        .unwrap_err()
        .to_string()
        .contains("no policy of that name"));
}

#[test]
fn namespace_labels_are_what_namespace_selectors_match() {
    // NP 6: a namespaceSelector peer matches pods of namespaces with those labels.
    let mut s = load("netpol-ipblock-cluster");
    let labels = labels_from_text("team=web, env=prod").unwrap();
    let edit = Edit::PutNamespace {
        name: "shop".to_owned(),
        labels: labels.clone(),
    };
    assert_eq!(
        edit.describe(),
        "set the labels of namespace shop to env=prod, team=web"
    );
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(
        applied.changes,
        ["Namespace shop: labels env=prod, team=web"]
    );
    let shop = s.namespaces.iter().find(|n| n.name == "shop").unwrap();
    assert_eq!(shop.labels.get("env").map(String::as_str), Some("prod"));
    assert_eq!(
        shop.labels
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("shop")
    );
    assert!(labels_from_text("team").unwrap_err().contains("key=value"));
    let bad = apply(
        &mut s,
        &Edit::PutNamespace {
            name: "shop".to_owned(),
            labels: labels_from_text("-team=web, kubernetes.io/metadata.name=other").unwrap(),
        },
    )
    .unwrap_err();
    let fields: Vec<&str> = bad
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .collect();
    assert_eq!(
        fields,
        [
            "metadata.labels.-team",
            "metadata.labels.kubernetes.io/metadata.name"
        ]
    );
}

#[test]
fn the_new_edits_survive_their_json_form() {
    let mut labels = BTreeMap::new();
    labels.insert("env".to_owned(), "prod".to_owned());
    let edits = vec![
        Edit::PolicyEngine {
            engine: PolicyEngine::Cilium,
        },
        put(allow_office("10.224.0.0/16"), Some("shop/allow-office")),
        put(allow_office("10.224.0.0/16"), None),
        Edit::DeletePolicy {
            namespace: "shop".to_owned(),
            name: "allow-office".to_owned(),
        },
        Edit::PutNamespace {
            name: "shop".to_owned(),
            labels,
        },
    ];
    let text = serde_json::to_string(&edits).unwrap();
    assert!(text.contains(r#""op":"putPolicy""#), "{text}");
    assert!(text.contains(r#""replaces":"shop/allow-office""#), "{text}");
    let back: Vec<Edit> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, edits);
    for (bad, says) in [
        (r#"{"op":"policyEngine","engine":"weave"}"#, "engine"),
        (r#"{"op":"putPolicy"}"#, "policy"),
        (
            r#"{"op":"putPolicy","policy":{},"replaces":"a/b/c"}"#,
            "replaces",
        ),
        (r#"{"op":"deletePolicy","name":"x"}"#, "namespace"),
        (
            r#"{"op":"putNamespace","name":"x","labels":{"a":1}}"#,
            "labels",
        ),
    ] {
        let err = Edit::from_value(&doc(bad)).unwrap_err();
        assert!(err.starts_with(says), "{bad}: {err}");
    }
}

#[test]
fn a_copied_policy_keeps_only_what_kubectl_apply_sends() {
    let copied = doc(
        r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
            "metadata":{"name":"a","namespace":"shop","uid":"u","resourceVersion":"7",
                        "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}"},
                        "managedFields":[{}]},
            "spec":{"podSelector":{}},"status":{}}"#,
    );
    let kept = policy_document(&copied);
    assert_eq!(
        serde_json::to_string(&kept).unwrap(),
        r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a","namespace":"shop"},"spec":{"podSelector":{}}}"#
    );
}

#[test]
fn a_kubectl_list_imports_policies_namespaces_and_the_scenarios_pods() {
    // `kubectl get networkpolicies,namespaces,pods -A -o json`: one good policy, one the
    // API server refuses, a namespace, the scenario's own pod (relabelled) and a pod on a
    // node the scenario does not have.
    let mut s = load("netpol-ipblock-cluster");
    let list = doc(r#"{"apiVersion":"v1","kind":"List","items":[
          {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
           "metadata":{"name":"deny-all","namespace":"shop"},
           "spec":{"podSelector":{},"policyTypes":["Ingress"]}},
          {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
           "metadata":{"name":"broken","namespace":"shop"},
           "spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]}]}},
          {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"env":"prod"}}},
          {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7c9d8e6f5-h4j2k","namespace":"shop","labels":{"app":"web","tier":"front"}},
           "spec":{"nodeName":"aks-nodepool1-27182818-0","containers":[{"ports":[{"name":"http","containerPort":8080}]}]},
           "status":{"podIP":"10.224.0.20","conditions":[{"type":"Ready","status":"True"}]}},
          {"apiVersion":"v1","kind":"Pod","metadata":{"name":"coredns-1","namespace":"kube-system"},
           "spec":{"nodeName":"aks-elsewhere-0"},"status":{"podIP":"10.9.0.3"}}
        ]}"#);
    assert_eq!(
        kubectl_contents(&list),
        "2 NetworkPolicies, 1 Namespace, 2 Pods"
    );
    let edit = Edit::Import { document: list };
    assert_eq!(
        edit.describe(),
        "import 2 NetworkPolicies, 1 Namespace, 2 Pods"
    );
    let applied = apply(&mut s, &edit).unwrap();
    assert_eq!(
        applied.changes,
        [
            "Pod shop/web-7c9d8e6f5-h4j2k replaced",
            "Namespace shop replaced",
            "NetworkPolicy shop/deny-all added",
            "1 Pod left out: not in this scenario, and on nodes it does not have (coredns-1)",
        ]
    );
    assert_eq!(
        refused_policies(&applied.warnings).as_deref(),
        Some(
            r#"1 policy refused: NetworkPolicy shop/broken, spec.ingress[0].from[0].ipBlock.cidr "10.0.0.0/33": not a CIDR prefix"#
        )
    );
    let pod = &s.pods[0];
    assert_eq!(pod.labels.get("tier").map(String::as_str), Some("front"));
    assert_eq!(s.pods.len(), 1);
    assert_eq!(s.network_policies.policies.len(), 2);
}

#[test]
fn a_policy_list_into_a_cluster_without_an_engine_says_nothing_enforces_it() {
    let mut s = load("blog-part4");
    let list = doc(r#"{"apiVersion":"v1","kind":"List","items":[
          {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny-all"},"spec":{"podSelector":{}}}]}"#);
    let applied = apply(&mut s, &Edit::Import { document: list }).unwrap();
    assert_eq!(applied.changes[0], "NetworkPolicy default/deny-all added");
    assert!(applied.changes[1].contains("engine is none"));
}

// ---- properties ------------------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}[a-z0-9]"
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    proptest::collection::btree_map("[a-z]{1,5}", "[a-z0-9]{0,5}", 0..3).prop_map(|match_labels| {
        LabelSelector {
            match_labels,
            match_expressions: Vec::new(),
        }
    })
}

fn peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        (any::<u32>(), 8u8..=32).prop_map(|(addr, len)| {
            let net = ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(addr), len)
                .unwrap()
                .trunc();
            Peer::IpBlock {
                cidr: ipnet::IpNet::V4(net),
                except: Vec::new(),
            }
        }),
        (
            proptest::option::of(selector()),
            proptest::option::of(selector())
        )
            .prop_filter("a selector", |(p, n)| p.is_some() || n.is_some())
            .prop_map(|(pod_selector, namespace_selector)| Peer::Pods {
                pod_selector,
                namespace_selector,
            }),
    ]
}

fn port() -> impl Strategy<Value = PolicyPort> {
    (
        prop_oneof![
            Just(PolicyProtocol::Tcp),
            Just(PolicyProtocol::Udp),
            Just(PolicyProtocol::Sctp)
        ],
        proptest::option::of(1u16..=65535),
    )
        .prop_map(|(protocol, port)| PolicyPort {
            protocol,
            port: port.map(PortRef::Number),
            end_port: None,
        })
}

fn rule() -> impl Strategy<Value = PolicyRule> {
    (
        proptest::collection::vec(peer(), 0..3),
        proptest::collection::vec(port(), 0..3),
    )
        .prop_map(|(peers, ports)| PolicyRule { peers, ports })
}

fn policy() -> impl Strategy<Value = NetworkPolicy> {
    (
        name(),
        prop_oneof![Just("shop".to_owned()), Just("default".to_owned()), name()],
        selector(),
        proptest::collection::vec(rule(), 0..3),
        proptest::collection::vec(rule(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(name, namespace, pod_selector, ingress, egress, both)| {
            let mut policy_types = vec![PolicyDirection::Ingress];
            if both || !egress.is_empty() {
                policy_types.push(PolicyDirection::Egress);
            }
            NetworkPolicy {
                name,
                namespace,
                pod_selector,
                policy_types,
                ingress,
                egress,
            }
        })
}

/// Any document: what a person may type or paste into the policy's field.
fn garbage() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        prop_oneof![
            Just("NetworkPolicy".to_owned()),
            Just("networking.k8s.io/v1".to_owned()),
            Just("10.0.0.0/33".to_owned()),
            Just("Ingress".to_owned()),
            Just("In".to_owned()),
            any::<String>(),
        ]
        .prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("apiVersion".to_owned()),
        Just("kind".to_owned()),
        Just("metadata".to_owned()),
        Just("name".to_owned()),
        Just("namespace".to_owned()),
        Just("spec".to_owned()),
        Just("podSelector".to_owned()),
        Just("matchLabels".to_owned()),
        Just("matchExpressions".to_owned()),
        Just("ingress".to_owned()),
        Just("egress".to_owned()),
        Just("from".to_owned()),
        Just("to".to_owned()),
        Just("ipBlock".to_owned()),
        Just("cidr".to_owned()),
        Just("except".to_owned()),
        Just("ports".to_owned()),
        Just("port".to_owned()),
        Just("endPort".to_owned()),
        Just("policyTypes".to_owned()),
        Just("items".to_owned()),
        "[a-zA-Z]{0,6}",
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((keys.clone(), inner), 0..6).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn put_then_remove_restores_the_scenario(policy in policy()) {
        let base = load("netpol-ipblock-cluster");
        prop_assume!(!(policy.namespace == "shop" && policy.name == "allow-office"));
        let put = Edit::PutPolicy { policy: policy_to_value(&policy), replaces: None };
        let remove = Edit::DeletePolicy {
            namespace: policy.namespace.clone(),
            name: policy.name.clone(),
        };
        let mut s = base.clone();
        apply(&mut s, &put).unwrap();
        prop_assert_eq!(s.network_policies.policies.last(), Some(&policy));
        apply(&mut s, &remove).unwrap();
        prop_assert_eq!(&s, &base);
        // The same through a link: the edits' JSON, read back and replayed.
        let text = serde_json::to_string(&vec![put, remove]).unwrap();
        let back: Vec<Edit> = serde_json::from_str(&text).unwrap();
        let (replayed, skipped) = replay(&base, &back);
        prop_assert!(skipped.is_empty());
        prop_assert_eq!(replayed, base);
    }

    #[test]
    fn garbage_never_panics_and_a_refusal_changes_nothing(document in garbage(), kind in any::<bool>()) {
        let base = load("netpol-ipblock-cluster");
        // Half the time, in a NetworkPolicy's clothes, so the reader gets further.
        let document = match (kind, document) {
            (true, Value::Object(mut members)) => {
                members.insert(0, ("kind".to_owned(), Value::String("NetworkPolicy".to_owned())));
                members.insert(0, ("apiVersion".to_owned(), Value::String("networking.k8s.io/v1".to_owned())));
                Value::Object(members)
            }
            (_, other) => other,
        };
        for edit in [
            Edit::PutPolicy { policy: document.clone(), replaces: None },
            Edit::PutPolicy {
                policy: document.clone(),
                replaces: Some(PolicyName::parse("shop/allow-office").unwrap()),
            },
            Edit::Import { document: document.clone() },
        ] {
            let mut s = base.clone();
            match apply(&mut s, &edit) {
                Ok(_) => {
                    let _ = trace_named(&s, Some(VIA_OTHER_NODE));
                }
                Err(refused) => {
                    prop_assert_eq!(&s, &base);
                    prop_assert!(!refused.problems.is_empty());
                    for p in &refused.problems {
                        prop_assert!(p.object.starts_with("NetworkPolicy") || p.object == "document" || p.object.starts_with("NSG"), "{}", p);
                    }
                }
            }
            let _ = edit.describe();
            let _ = Edit::from_value(&edit.to_value());
        }
        let _ = Edit::from_value(&document);
        let _ = kubectl_contents(&document);
        let _ = policy_document(&document);
    }

    #[test]
    fn any_label_text_is_read_or_refused_without_panicking(text in any::<String>(), name in any::<String>()) {
        let base = load("netpol-ipblock-cluster");
        if let Ok(labels) = labels_from_text(&text) {
            let mut s = base.clone();
            let edit = Edit::PutNamespace { name, labels };
            if apply(&mut s, &edit).is_err() {
                prop_assert_eq!(s, base);
            }
            let _ = edit.describe();
        }
    }
}
