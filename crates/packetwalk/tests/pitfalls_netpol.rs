//! The NetworkPolicy pitfalls (issue 15; docs/network-policy.md, "Findings"), each
//! found in a scenario built to have it and shown by a packet whose trace proves it, and
//! each absent where its cause is: DNS allowed, an engine that matches ipBlocks against
//! cluster addresses, externalTrafficPolicy Local, no engine, no policies.
//!
//! Fixture: `tests/fixtures/netpol-egress-no-dns.json` (namespace shop denies egress and
//! forgets DNS; namespace billing allows it). The built-ins `netpol-ipblock-cluster`,
//! `netpol-ipblock-local` and `netpol-cilium` show the ipBlock kinds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::{pitfalls, Pitfall, PitfallKind};
use packetwalk::scenario::{from_value, Scenario};
use packetwalk::trace::{trace, Verdict};
use serde_json::{json, Value};
use std::net::IpAddr;

const NEW_KINDS: [PitfallKind; 3] = [
    PitfallKind::EgressWithoutDns,
    PitfallKind::IpBlockIgnoredByCilium,
    PitfallKind::IpBlockBehindClusterSnat,
];

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn built_in(name: &str) -> Value {
    read(&format!(
        "{}/../../www/scenarios/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn fixture() -> Value {
    read(&format!(
        "{}/tests/fixtures/netpol-egress-no-dns.json",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn scenario(doc: &Value) -> Scenario {
    let text = serde_json::to_string(doc).unwrap();
    from_value(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// The findings of the NetworkPolicy kinds, in order.
fn policy_findings(s: &Scenario) -> Vec<Pitfall> {
    pitfalls(s)
        .into_iter()
        .filter(|p| NEW_KINDS.contains(&p.kind))
        .collect()
}

fn kinds(found: &[Pitfall]) -> Vec<PitfallKind> {
    found.iter().map(|p| p.kind).collect()
}

/// The finding's packet, traced again, does what the finding says.
fn replay(s: &Scenario, p: &Pitfall) -> packetwalk::trace::Trace {
    let traced = trace(s, &p.packet).unwrap();
    assert_eq!(traced.verdict, p.verdict, "{}", p.title);
    assert_eq!(traced.dropped_at, p.dropped_at, "{}", p.title);
    traced
}

fn policies(doc: &mut Value) -> &mut Vec<Value> {
    doc["networkPolicies"].as_array_mut().unwrap()
}

const DNS_EGRESS: &str = "allow-dns";

fn allow_dns(namespace: &str, ports: Value) -> Value {
    json!({"metadata": {"name": DNS_EGRESS, "namespace": namespace},
           "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                    "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                "ports": ports}]}})
}

// ---- 1. default-deny egress without DNS ------------------------------------------------

/// NP 1 (a pod selected by a policy with Egress in policyTypes is isolated for egress),
/// NP 3 (only rules allow; none here allows UDP or TCP 53 to CoreDNS), NP 11 (egress is
/// checked after the node's kube-proxy turns the kube-dns Service into a CoreDNS pod).
/// One finding for the namespace, not one per pod; billing, which allows DNS, has none.
#[test]
fn default_deny_egress_without_dns_one_finding_per_namespace() {
    let s = scenario(&fixture());
    let found = policy_findings(&s);
    assert_eq!(kinds(&found), [PitfallKind::EgressWithoutDns], "{found:#?}");
    let p = &found[0];
    assert_eq!(
        p.title,
        "Namespace shop: 3 pods isolated for egress cannot reach DNS (UDP or TCP 53 to kube-dns)"
    );
    assert!(
        p.message.starts_with(
            "Policies default-deny-egress and allow-web-to-cart isolate pods web-7d9c5b8f4d-2xkqp, web-7d9c5b8f4d-h8v4n and cart-5b6c7d8e9-z7y6x for egress, and no egress rule of them allows UDP 53 or TCP 53 to the kube-dns Service (10.0.0.10) and its pods coredns-6f8c9b7d54-4xkzq and coredns-6f8c9b7d54-t9w2m"
        ),
        "{}",
        p.message
    );
    assert!(
        !p.message.contains("billing") && !p.message.contains("assume"),
        "{}",
        p.message
    );
    assert_eq!(p.packet.from, "10.224.0.27:40000");
    assert_eq!(p.packet.to, "10.0.0.10:53");
    assert_eq!(p.packet.protocol, "UDP");
    assert_eq!(p.verdict, Verdict::Dropped);
    assert_eq!(p.dropped_at.as_deref(), Some("netpol:web-7d9c5b8f4d-2xkqp"));
    assert_eq!(
        p.components,
        [
            "netpol:web-7d9c5b8f4d-2xkqp",
            "netpol:web-7d9c5b8f4d-h8v4n",
            "netpol:cart-5b6c7d8e9-z7y6x",
            "pod:coredns-6f8c9b7d54-4xkzq",
            "pod:coredns-6f8c9b7d54-t9w2m"
        ]
    );
    assert!(p
        .doc
        .url
        .starts_with("https://kubernetes.io/docs/concepts/services-networking/network-policies/"));
    // The trace: kube-proxy DNATs to a CoreDNS pod, then the web pod's egress policies
    // drop the query (NP 11: egress after the node's Service translation).
    let traced = replay(&s, p);
    let hop = traced.hops.last().unwrap();
    assert_eq!(hop.component, "netpol:web-7d9c5b8f4d-2xkqp");
    let table = hop.policy.as_ref().unwrap();
    assert_eq!(table.direction, "Egress");
    assert!(!table.allowed);
    assert!(hop
        .packet
        .destination_ip
        .to_string()
        .starts_with("10.224.0."));
}

/// NP 3, NP 6, NP 10: a rule to the kube-dns pods in kube-system (selected by the
/// namespace's name label) on UDP 53 or on TCP 53 is enough; so is a rule open to every
/// peer on port 53. NP 12: with no engine nothing is enforced, so nothing is found.
#[test]
fn dns_allowed_or_not_enforced_no_finding() {
    for ports in [
        json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]),
        json!([{"protocol": "UDP", "port": 53}]),
        json!([{"protocol": "TCP", "port": 53}]),
        json!([{"protocol": "UDP", "port": "dns"}]),
    ] {
        let mut doc = fixture();
        policies(&mut doc).push(allow_dns("shop", ports.clone()));
        let s = scenario(&doc);
        assert_eq!(kinds(&policy_findings(&s)), [], "{ports}");
    }

    let mut open = fixture();
    policies(&mut open).push(
        json!({"metadata": {"name": "dns-anywhere", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                 "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}}),
    );
    assert_eq!(kinds(&policy_findings(&scenario(&open))), []);

    // Port 53 to the wrong namespace does not count.
    let mut wrong = fixture();
    let mut elsewhere = allow_dns("shop", json!([{"protocol": "UDP", "port": 53}]));
    elsewhere["spec"]["egress"][0]["to"][0]["namespaceSelector"]["matchLabels"]
        ["kubernetes.io/metadata.name"] = json!("billing");
    policies(&mut wrong).push(elsewhere);
    assert_eq!(
        kinds(&policy_findings(&scenario(&wrong))),
        [PitfallKind::EgressWithoutDns]
    );

    let mut none = fixture();
    none["networkPolicy"] = json!("none");
    assert_eq!(kinds(&policy_findings(&scenario(&none))), []);
}

/// The scenario lists no DNS pod and no kube-dns Service: the policies are asked about
/// AKS's CoreDNS (k8s-app=kube-dns in kube-system) at the DNS service IP, the .10 of the
/// service CIDR, and the finding says so. The query to that address meets the pod's
/// egress policies first (NP 11) and is dropped there (NP 3).
#[test]
fn without_dns_pods_the_finding_says_what_it_assumed() {
    let mut doc = fixture();
    doc["pods"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["namespace"] != "kube-system");
    doc["services"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["name"] != "kube-dns");
    let s = scenario(&doc);
    let found = policy_findings(&s);
    assert_eq!(kinds(&found), [PitfallKind::EgressWithoutDns]);
    let p = &found[0];
    assert!(
        p.message.contains("The scenario lists no kube-dns pod, so this assumes AKS's CoreDNS: pods labelled k8s-app=kube-dns in namespace kube-system, with ports dns (UDP 53) and dns-tcp (TCP 53), at 10.0.0.10, taken for the DNS service IP (networkProfile.dnsServiceIP)"),
        "{}",
        p.message
    );
    assert_eq!(p.packet.to, "10.0.0.10:53");
    assert_eq!(p.dropped_at.as_deref(), Some("netpol:web-7d9c5b8f4d-2xkqp"));
    replay(&s, p);

    // The assumed CoreDNS is selected by labels as a real one would be (NP 5, NP 6).
    let mut allowed = doc.clone();
    policies(&mut allowed).push(allow_dns("shop", json!([{"protocol": "UDP", "port": 53}])));
    assert_eq!(kinds(&policy_findings(&scenario(&allowed))), []);
}

/// The blog's imported two-pool cluster (its CoreDNS pods and kube-dns Service as
/// kubectl printed them) with a default-deny egress policy in shop under Calico: one
/// finding for the namespace's four pods, whatever node or pool they run on.
#[test]
fn the_imported_cluster_with_default_deny_egress() {
    let path = format!(
        "{}/fixtures/cluster/scenarios/two-pools.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut doc = read(&path);
    let before = kinds(&pitfalls(&scenario(&doc)));
    doc["networkPolicy"] = json!("calico");
    doc["networkPolicies"] = json!([{"metadata": {"name": "default-deny-egress", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}]);
    let s = scenario(&doc);
    let all = pitfalls(&s);
    let found: Vec<Pitfall> = all
        .iter()
        .filter(|p| p.kind == PitfallKind::EgressWithoutDns)
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].title,
        "Namespace shop: 4 pods isolated for egress cannot reach DNS (UDP or TCP 53 to kube-dns)"
    );
    assert_eq!(found[0].packet.to, "10.0.0.10:53");
    assert_eq!(found[0].verdict, Verdict::Dropped);
    replay(&s, &found[0]);
    // The other pitfalls are the same as without the policy.
    let others: Vec<PitfallKind> = all
        .iter()
        .map(|p| p.kind)
        .filter(|k| *k != PitfallKind::EgressWithoutDns)
        .collect();
    assert_eq!(others, before);
}

// ---- 2. an ipBlock Cilium does not match --------------------------------------------

/// NP 12 (AKS-Cilium "Limitations": ipBlock does not select pod or node IPs): netpol-cilium
/// allows the node subnet 10.224.0.0/16 by ipBlock; a node's packet to the pod is still
/// dropped at the pod's ingress policy, with Cilium's note.
#[test]
fn cilium_ipblock_over_the_node_subnet() {
    let s = scenario(&built_in("netpol-cilium"));
    let found: Vec<Pitfall> = policy_findings(&s)
        .into_iter()
        .filter(|p| p.kind == PitfallKind::IpBlockIgnoredByCilium)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let p = &found[0];
    assert_eq!(
        p.title,
        "NetworkPolicy shop/allow-office: under Cilium, ipBlock 10.224.0.0/16 does not match the node and pod addresses it covers"
    );
    assert!(
        p.message.contains("spec.ingress[0] from[1] of allow-office (ipBlock 10.224.0.0/16) covers node subnet aks-subnet (10.224.0.0/16), but never matches node aks-nodepool1-27182818-0 (10.224.0.4), node aks-nodepool1-27182818-1 (10.224.0.5), node aks-nodepool1-27182818-2 (10.224.0.6) and pod web-7c9d8e6f5-h4j2k (10.224.0.20)"),
        "{}",
        p.message
    );
    // The office's ipBlock covers no cluster address: not flagged.
    assert!(!p.message.contains("198.51.100.0/24"));
    assert_eq!(p.packet.from, "10.224.0.5:40000");
    assert_eq!(p.packet.to, "10.224.0.20:8080");
    assert_eq!(p.verdict, Verdict::Dropped);
    assert_eq!(p.dropped_at.as_deref(), Some("netpol:web-7c9d8e6f5-h4j2k"));
    assert_eq!(
        p.components,
        [
            "netpol:web-7c9d8e6f5-h4j2k",
            "node:aks-nodepool1-27182818-1"
        ]
    );
    assert_eq!(
        p.doc.url,
        "https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium#limitations"
    );
    let traced = replay(&s, p);
    let table = traced.hops.last().unwrap().policy.clone().unwrap();
    assert_eq!(table.engine, "cilium");
    assert!(
        table.notes.iter().any(|n| n.contains(
            "ipBlock 10.224.0.0/16 contains 10.224.0.5, but Cilium's ipBlock does not select pod or node addresses"
        )),
        "{table:#?}"
    );
}

/// NP 12, egress: AKS's own example, an egress ipBlock 0.0.0.0/0 under Cilium, still
/// drops traffic to pods and nodes; the workaround AKS documents (a namespaceSelector {}
/// peer beside it, NP 6) selects every pod, and then no packet to a pod shows it.
#[test]
fn cilium_egress_to_everything_by_ipblock() {
    let mut doc = fixture();
    doc["networkPolicy"] = json!("cilium");
    policies(&mut doc).push(allow_dns(
        "shop",
        json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]),
    ));
    policies(&mut doc).push(
        json!({"metadata": {"name": "example-ipblock", "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "cart"}}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}),
    );
    let s = scenario(&doc);
    let found = policy_findings(&s);
    assert_eq!(
        kinds(&found),
        [PitfallKind::IpBlockIgnoredByCilium],
        "{found:#?}"
    );
    let p = &found[0];
    assert_eq!(
        p.title,
        "NetworkPolicy shop/example-ipblock: under Cilium, ipBlock 0.0.0.0/0 does not match the node and pod addresses it covers"
    );
    assert!(
        p.message
            .contains("spec.egress[0] to[0] of example-ipblock (ipBlock 0.0.0.0/0)"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("traffic to them is dropped"),
        "{}",
        p.message
    );
    // From the cart pod to a node that is not its own (NP 9: its own is always allowed).
    assert_eq!(p.packet.from, "10.224.0.41:40000");
    assert_eq!(p.packet.to, "10.224.0.5:80");
    assert_eq!(p.dropped_at.as_deref(), Some("netpol:cart-5b6c7d8e9-z7y6x"));
    replay(&s, p);

    // The workaround: pods by namespaceSelector {}; nodes stay unselectable, and a packet
    // to another node still shows the ipBlock not matching it.
    let mut workaround = doc.clone();
    let example = policies(&mut workaround).last_mut().unwrap();
    example["spec"]["egress"][0]["to"]
        .as_array_mut()
        .unwrap()
        .push(json!({"namespaceSelector": {}}));
    let s = scenario(&workaround);
    let found = policy_findings(&s);
    assert_eq!(kinds(&found), [PitfallKind::IpBlockIgnoredByCilium]);
    assert_eq!(found[0].packet.to, "10.224.0.5:80");
    replay(&s, &found[0]);

    // A block that covers no node or pod address is not flagged.
    let mut outside = doc.clone();
    policies(&mut outside).last_mut().unwrap()["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"] =
        json!("192.0.2.0/24");
    assert_eq!(kinds(&policy_findings(&scenario(&outside))), []);
}

/// NP 7, NP 12: under Azure Network Policy Manager or Calico an ipBlock does select node
/// addresses, so netpol-cilium's cluster under them has no such finding (and the node
/// subnet's ipBlock admits the SNATed office packets: no Cluster finding either).
#[test]
fn other_engines_match_ipblocks_against_cluster_addresses() {
    for engine in ["calico", "azure"] {
        let mut doc = built_in("netpol-cilium");
        doc["networkPolicy"] = json!(engine);
        assert_eq!(kinds(&policy_findings(&scenario(&doc))), [], "{engine}");
    }
}

// ---- 3. an ipBlock for Internet clients behind externalTrafficPolicy Cluster ---------

/// NP 7 (ipBlock is for cluster-external addresses; the source may be rewritten), NP 11
/// (under Cluster the pod sees the forwarding node's IP after kube-proxy's SNAT), NP 3:
/// the office's packet, in allow-office's ipBlock, reaches the pod from a node's IP and
/// is dropped at the pod's policy.
#[test]
fn ipblock_behind_a_cluster_service() {
    let s = scenario(&built_in("netpol-ipblock-cluster"));
    let all = pitfalls(&s);
    assert_eq!(
        kinds(&all),
        [PitfallKind::IpBlockBehindClusterSnat],
        "{all:#?}"
    );
    let p = &all[0];
    assert_eq!(
        p.title,
        "Service shop/web: allow-office's ipBlock 198.51.100.0/24 never sees its clients (externalTrafficPolicy Cluster SNATs them to a node's IP)"
    );
    assert!(
        p.message.contains("Pod shop/web-7c9d8e6f5-h4j2k sees 198.51.100.23 as 10.224.0.6 (node aks-nodepool1-27182818-2): allow-office spec.ingress[0] from[0] (ipBlock 198.51.100.0/24) does not contain it, so no rule allows it"),
        "{}",
        p.message
    );
    assert!(p.message.contains("kube-proxy SNATs"), "{}", p.message);
    // The scenario's own client, inside the ipBlock.
    assert_eq!(p.packet.from, "198.51.100.23:50123");
    assert_eq!(p.packet.to, "203.0.113.10:80");
    assert_eq!(p.verdict, Verdict::Dropped);
    assert_eq!(p.dropped_at.as_deref(), Some("netpol:web-7c9d8e6f5-h4j2k"));
    assert_eq!(
        p.components,
        [
            "netpol:web-7c9d8e6f5-h4j2k",
            "node:aks-nodepool1-27182818-2"
        ]
    );
    assert!(p
        .doc
        .url
        .starts_with("https://kubernetes.io/docs/concepts/services-networking/network-policies/"));
    let traced = replay(&s, p);
    let hop = traced.hops.last().unwrap();
    assert_eq!(hop.component, "netpol:web-7c9d8e6f5-h4j2k");
    assert_eq!(
        hop.packet.source_ip,
        "10.224.0.6".parse::<IpAddr>().unwrap()
    );
    assert_eq!(hop.policy.as_ref().unwrap().direction, "Ingress");
}

/// NP 11: with externalTrafficPolicy Local the pod sees the client's own address, so the
/// ipBlock does what it says (netpol-ipblock-local). NP 12: with no engine, nothing is
/// enforced. NP 7: an ipBlock covering the nodes' addresses too (0.0.0.0/0) admits the
/// SNATed packet under Azure NPM, so nothing is dropped and nothing found.
#[test]
fn local_no_engine_or_a_block_that_covers_the_nodes_no_finding() {
    let local = scenario(&built_in("netpol-ipblock-local"));
    assert_eq!(kinds(&policy_findings(&local)), []);
    // Local's own finding (nodes without a pod fail the probe) is unchanged.
    assert_eq!(kinds(&pitfalls(&local)), [PitfallKind::NoReadyPod]);

    let mut cluster_as_local = built_in("netpol-ipblock-cluster");
    let web = &mut cluster_as_local["services"][1];
    web["externalTrafficPolicy"] = json!("Local");
    web["healthCheckNodePort"] = json!(32080);
    assert_eq!(kinds(&policy_findings(&scenario(&cluster_as_local))), []);

    let mut none = built_in("netpol-ipblock-cluster");
    none["networkPolicy"] = json!("none");
    assert_eq!(kinds(&pitfalls(&scenario(&none))), []);

    let mut everything = built_in("netpol-ipblock-cluster");
    everything["networkPolicies"][0]["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] =
        json!("0.0.0.0/0");
    assert_eq!(kinds(&pitfalls(&scenario(&everything))), []);
}

/// Under Cilium the Cluster finding names Cilium's service handling, not kube-proxy, and
/// says why the node subnet's ipBlock, which holds the node's address, does not help
/// (NP 12).
#[test]
fn cilium_behind_a_cluster_service() {
    let s = scenario(&built_in("netpol-cilium"));
    let found = policy_findings(&s);
    assert_eq!(
        kinds(&found),
        [
            PitfallKind::IpBlockIgnoredByCilium,
            PitfallKind::IpBlockBehindClusterSnat
        ]
    );
    let p = &found[1];
    assert!(
        p.message.contains("Cilium's eBPF service handling SNATs"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("sees 198.51.100.23 as 10.224.0.6 (node aks-nodepool1-27182818-2): allow-office spec.ingress[0] from[0] (ipBlock 198.51.100.0/24) does not contain it; allow-office spec.ingress[0] from[1] (ipBlock 10.224.0.0/16) contains it but, under Cilium, cannot select a node's address, so no rule allows it"),
        "{}",
        p.message
    );
    replay(&s, p);

    // An ipBlock 0.0.0.0/0 admits the SNATed packet under Azure NPM (see above), but not
    // under Cilium: both ipBlock findings.
    let mut everything = built_in("netpol-ipblock-cluster");
    everything["networkPolicy"] = json!("cilium");
    everything["networkPolicies"][0]["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] =
        json!("0.0.0.0/0");
    let s = scenario(&everything);
    let found = policy_findings(&s);
    assert_eq!(
        kinds(&found),
        [
            PitfallKind::IpBlockIgnoredByCilium,
            PitfallKind::IpBlockBehindClusterSnat
        ]
    );
    assert!(
        found[1].message.contains("allow-office spec.ingress[0] from[0] (ipBlock 0.0.0.0/0) contains it but, under Cilium, cannot select a node's address"),
        "{}",
        found[1].message
    );
    for p in &found {
        replay(&s, p);
    }
}

// ---- every scenario ---------------------------------------------------------------------

/// The built-ins: the NetworkPolicy kinds only where policies and an engine are, and the
/// scenarios without policies keep exactly what issue 14's kinds found.
#[test]
fn built_in_scenarios() {
    let dir = format!("{}/../../www/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    let mut seen = Vec::new();
    for name in &names {
        let s = scenario(&built_in(name));
        let found = policy_findings(&s);
        if s.network_policies.policies.is_empty() || s.network_policy_engine.is_none() {
            assert_eq!(kinds(&found), [], "{name}");
        }
        for p in &found {
            replay(&s, p);
        }
        seen.push((name.as_str(), kinds(&found)));
    }
    let with_findings: Vec<_> = seen.iter().filter(|(_, k)| !k.is_empty()).collect();
    assert_eq!(
        with_findings,
        [
            &(
                "netpol-cilium",
                vec![
                    PitfallKind::IpBlockIgnoredByCilium,
                    PitfallKind::IpBlockBehindClusterSnat
                ]
            ),
            &(
                "netpol-ipblock-cluster",
                vec![PitfallKind::IpBlockBehindClusterSnat]
            ),
        ]
    );
}

/// Never a panic: odd policies (IPv6 blocks, blocks with every address excepted, named
/// ports no pod has, SCTP, selectors matching nothing) on pods without addresses, a
/// Service without a frontend or pods, under every engine.
#[test]
fn odd_inputs_do_not_panic() {
    for engine in ["azure", "calico", "cilium"] {
        let mut doc = built_in("netpol-ipblock-cluster");
        doc["networkPolicy"] = json!(engine);
        doc["pods"].as_array_mut().unwrap().push(json!({
            "name": "no-ip", "namespace": "shop", "labels": {"app": "web"}, "node": "nowhere", "ready": true
        }));
        doc["services"].as_array_mut().unwrap().push(json!({
            "name": "lb-without-frontend", "namespace": "shop", "type": "LoadBalancer",
            "ports": [{"protocol": "SCTP", "port": 9}], "selector": {"app": "web"}
        }));
        policies(&mut doc).push(json!({"metadata": {"name": "odd", "namespace": "shop"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}},
                                      {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1", "128.0.0.0/1"]}}],
                             "ports": [{"protocol": "SCTP", "port": 9}, {"port": "nope"}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.224.0.20/32"}}],
                            "ports": [{"port": "missing"}]},
                           {"to": [{"podSelector": {"matchLabels": {"nothing": "here"}}}]}]}}));
        let s = scenario(&doc);
        for p in pitfalls(&s) {
            replay(&s, &p);
        }
    }
}
