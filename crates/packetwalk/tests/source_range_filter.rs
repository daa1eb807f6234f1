//! kube-proxy's own `loadBalancerSourceRanges` filter (spec §4.4; kubernetes/kubernetes
//! pkg/proxy/iptables/proxier.go, the firewall chain "based on the
//! loadBalancerSourceRanges field"): on the Service's load-balancer IP, a source outside
//! the ranges is dropped on the node whatever the NSGs allowed; the NodePort on the node's
//! own address is not filtered. Checked on the trace and on the exposure, which must agree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::exposure::exposure;
use packetwalk::json::Value;
use packetwalk::scenario::{from_value, Scenario};
use packetwalk::trace::{trace, trace_named, PacketSpec, Trace, Verdict};
use std::path::PathBuf;

fn document(name: &str) -> serde_json::Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../www/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn scenario(doc: serde_json::Value) -> Scenario {
    let value: Value = serde_json::from_value(doc).unwrap();
    from_value(&value).unwrap()
}

/// The built-in `source-ranges` (kuard-vnode with `[198.51.100.0/24]`) with a user rule on
/// the NIC's NSG that opens TCP 8080 to the whole Internet, as people add while debugging.
fn opened_by_a_user_rule() -> Scenario {
    let mut doc = document("source-ranges");
    let rules = doc["networkSecurityGroups"][0]["securityRules"]
        .as_array_mut()
        .unwrap();
    rules.push(serde_json::json!({
        "name": "allow-web-from-anywhere", "priority": 400, "direction": "Inbound",
        "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "Internet",
        "sourcePortRange": "*", "destinationAddressPrefix": "*",
        "destinationPortRange": "8080"
    }));
    scenario(doc)
}

fn packet(s: &Scenario, from: &str, to: &str) -> Trace {
    trace(
        s,
        &PacketSpec {
            from: from.into(),
            to: to.into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap()
}

#[test]
fn the_built_in_packets_are_unchanged_a_source_in_range_passes_the_filter() {
    let s = scenario(document("source-ranges"));
    let inside = trace_named(&s, Some("inside-range")).unwrap();
    assert_eq!(inside.verdict, Verdict::Delivered);
    // Outside the range the NSG decides first (DenyAllInBound), before kube-proxy.
    let outside = trace_named(&s, Some("outside-range")).unwrap();
    assert_eq!(outside.verdict, Verdict::Dropped);
    assert!(outside.dropped_at.as_deref().unwrap().starts_with("nsg:"));
}

#[test]
fn a_source_the_nsg_lets_through_is_dropped_by_kube_proxy_outside_the_ranges() {
    let s = opened_by_a_user_rule();
    let t = packet(&s, "192.0.2.50:40000", "203.0.113.10:8080");
    assert_eq!(
        t.verdict,
        Verdict::Dropped,
        "{}",
        packetwalk::trace::to_text(&t)
    );
    assert!(t.dropped_at.as_deref().unwrap().starts_with("kube-proxy:"));
    assert_eq!(
        t.reason.as_deref(),
        Some("kube-proxy drops 192.0.2.50: not in Service kuard-vnode's loadBalancerSourceRanges")
    );
    let nsg_hop = t.hops.iter().find(|h| h.nsg.is_some()).unwrap();
    let nsg = nsg_hop.nsg.as_ref().unwrap();
    assert_eq!(
        nsg.rules[nsg.deciding_rule.unwrap()].name,
        "allow-web-from-anywhere"
    );
    let inside = packet(&s, "198.51.100.23:40000", "203.0.113.10:8080");
    assert_eq!(inside.verdict, Verdict::Delivered);
}

#[test]
fn the_node_port_on_the_nodes_own_address_is_not_filtered() {
    let s = opened_by_a_user_rule();
    let node_port = s.services[0].ports[0].node_port.unwrap();
    let node_ip = s.nodes[0].nic.private_ip_address.unwrap();
    let mut opened = s.clone();
    // A VNet address outside the ranges, straight at the NodePort: AllowVnetInBound and no
    // filter on that path.
    let t = packet(
        &opened,
        "10.13.76.200:40000",
        &format!("{node_ip}:{node_port}"),
    );
    assert_eq!(
        t.verdict,
        Verdict::Delivered,
        "{}",
        packetwalk::trace::to_text(&t)
    );
    // With no ranges, the same Internet packet to the load-balancer IP is delivered.
    opened.services[0].load_balancer_source_ranges.clear();
    let t = packet(&opened, "192.0.2.50:40000", "203.0.113.10:8080");
    assert_eq!(t.verdict, Verdict::Delivered);
}

#[test]
fn the_exposure_narrows_the_pods_sources_to_the_ranges_as_the_trace_does() {
    let s = opened_by_a_user_rule();
    let found = exposure(&s);
    let nic = found
        .entries
        .iter()
        .find(|e| e.component.starts_with("nic:") && e.frontend_ports.contains(8080))
        .expect("the NIC is reached on 8080");
    // The NSG lets every Internet source reach the NIC ...
    assert!(
        nic.every_internet_source,
        "{:?}",
        nic.sources.to_cidr_strings()
    );
    // ... but only the range reaches the pod.
    let pods: Vec<_> = found
        .entries
        .iter()
        .filter(|e| e.component.starts_with("pod:"))
        .collect();
    assert!(!pods.is_empty());
    for pod in pods {
        assert_eq!(pod.sources.to_cidr_strings(), vec!["198.51.100.0/24"]);
    }
    // A listed source is delivered by the trace; an address next to the range is not.
    let t = packet(&s, "198.51.100.200:40000", "203.0.113.10:8080");
    assert_eq!(t.verdict, Verdict::Delivered);
    let t = packet(&s, "198.51.101.1:40000", "203.0.113.10:8080");
    assert_eq!(t.verdict, Verdict::Dropped);
    // Without the user rule, the NSG alone already keeps the rest out.
    let found = exposure(&scenario(document("source-ranges")));
    for pod in found
        .entries
        .iter()
        .filter(|e| e.component.starts_with("pod:"))
    {
        assert_eq!(pod.sources.to_cidr_strings(), vec!["198.51.100.0/24"]);
    }
}
