//! The AKS pitfalls (issue 14 §2), each found in a scenario built to have it and shown
//! by a packet whose trace proves it. Spec §1 (NSG order: subnet then NIC inbound, first
//! match by priority decides; AllowVnetInBound 65000), §3 (the cloud provider's rules,
//! source ranges, externalTrafficPolicy Local and its health check node port).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::{pitfalls, Pitfall, PitfallKind};
use packetwalk::scenario::{from_value, Scenario};
use packetwalk::trace::{trace, Verdict};
use serde_json::{json, Value};

fn built_in(name: &str) -> Value {
    let path = format!(
        "{}/../../www/scenarios/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn scenario(doc: &Value) -> Scenario {
    let text = serde_json::to_string(doc).unwrap();
    from_value(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn kinds(found: &[Pitfall]) -> Vec<PitfallKind> {
    found.iter().map(|p| p.kind).collect()
}

/// The finding's packet, traced again, does what the finding says.
fn replay(s: &Scenario, p: &Pitfall) {
    let traced = trace(s, &p.packet).unwrap();
    assert_eq!(traced.verdict, p.verdict, "{}", p.title);
    assert_eq!(traced.dropped_at, p.dropped_at, "{}", p.title);
}

fn add_rule(doc: &mut Value, nsg: &str, rule: Value) {
    let nsgs = doc["networkSecurityGroups"].as_array_mut().unwrap();
    let nsg = nsgs.iter_mut().find(|n| n["name"] == nsg).unwrap();
    nsg["securityRules"].as_array_mut().unwrap().push(rule);
}

#[test]
fn the_blogs_cluster_has_none() {
    for name in [
        "blog-part4",
        "blog-part4-before-service",
        "kubenet",
        "pod-egress",
    ] {
        assert_eq!(kinds(&pitfalls(&scenario(&built_in(name)))), [], "{name}");
    }
}

/// §1: inbound, the subnet's NSG decides before the NIC's; the cloud provider writes its
/// allow rule only on the NIC's NSG.
#[test]
fn a_subnet_nsg_without_the_service_rule() {
    let s = scenario(&built_in("subnet-nsg"));
    let found = pitfalls(&s);
    assert_eq!(kinds(&found), [PitfallKind::SubnetNsgDenies]);
    let p = &found[0];
    assert_eq!(
        p.title,
        "Service default/kuard-vnode: the subnet's NSG akstest-subnet-nsg denies what NSG aks-agentpool-26711606-nsg allows"
    );
    assert!(
        p.message
            .contains("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet (priority 500, Allow)"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("DenyAllInBound (priority 65500, Deny)"),
        "{}",
        p.message
    );
    assert_eq!(p.packet.to, "203.0.113.10:8080");
    assert_eq!(p.verdict, Verdict::Dropped);
    assert_eq!(
        p.dropped_at.as_deref(),
        Some("nsg:akstest-subnet-nsg@subnet:aks")
    );
    assert_eq!(
        p.components,
        [
            "nsg:akstest-subnet-nsg@subnet:aks",
            "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0"
        ]
    );
    replay(&s, p);
}

/// §1: the first matching rule by priority decides; a user Deny at 400 hides the cloud
/// provider's Allow at 500.
#[test]
fn a_user_deny_shadows_the_cloud_providers_rule() {
    let mut doc = built_in("blog-part4");
    add_rule(
        &mut doc,
        "aks-agentpool-26711606-nsg",
        json!({"name": "deny-internet", "priority": 400, "direction": "Inbound", "access": "Deny",
               "protocol": "*", "sourceAddressPrefix": "Internet", "sourcePortRange": "*",
               "destinationAddressPrefix": "*", "destinationPortRange": "*"}),
    );
    let s = scenario(&doc);
    let found = pitfalls(&s);
    assert_eq!(kinds(&found), [PitfallKind::ShadowedByDeny]);
    let p = &found[0];
    assert!(p.title.contains("deny-internet on NSG aks-agentpool-26711606-nsg decides before a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"), "{}", p.title);
    assert!(
        p.message.contains("deny-internet (priority 400, Deny)"),
        "{}",
        p.message
    );
    replay(&s, p);
}

/// §3: the cloud provider's rule carries the source ranges, but AllowVnetInBound (65000)
/// admits every VNet address at the node, and the NodePort is not filtered by range.
#[test]
fn source_ranges_do_not_stop_vnet_clients() {
    let s = scenario(&built_in("source-ranges"));
    let found = pitfalls(&s);
    assert_eq!(kinds(&found), [PitfallKind::SourceRangesBypassedInVnet]);
    let p = &found[0];
    assert_eq!(p.packet.from, "10.13.255.254:40000");
    assert_eq!(p.packet.to, "10.13.76.4:30610");
    assert_eq!(p.verdict, Verdict::Delivered);
    assert!(
        p.message
            .contains("AllowVnetInBound (priority 65000, Allow)"),
        "{}",
        p.message
    );
    replay(&s, p);
}

/// §3: with Local, nodes without a ready endpoint answer the probe 503 (by design), and
/// an NSG that blocks the health check node port marks every node down.
#[test]
fn local_policy_probe_blocked_and_nodes_without_pods() {
    let s = scenario(&built_in("three-nodes"));
    let found = pitfalls(&s);
    assert_eq!(kinds(&found), [PitfallKind::NoReadyPod]);
    assert_eq!(
        found[0].title,
        "Service default/web-local: 1 node without a ready pod, so the probe marks it down"
    );
    assert_eq!(found[0].components, ["node:aks-nodepool1-31415926-2"]);
    replay(&s, &found[0]);

    let mut doc = built_in("three-nodes");
    add_rule(
        &mut doc,
        "aks-agentpool-31415926-nsg",
        json!({"name": "deny-probe", "priority": 100, "direction": "Inbound", "access": "Deny",
               "protocol": "Tcp", "sourceAddressPrefix": "AzureLoadBalancer", "sourcePortRange": "*",
               "destinationAddressPrefix": "*", "destinationPortRange": "32080"}),
    );
    let s = scenario(&doc);
    let found = pitfalls(&s);
    assert_eq!(
        kinds(&found),
        [
            PitfallKind::ProbeBlocked,
            PitfallKind::ProbeBlocked,
            PitfallKind::ProbeBlocked
        ]
    );
    assert!(
        found[0].message.contains("deny-probe (priority 100, Deny)"),
        "{}",
        found[0].message
    );
    for p in &found {
        assert_eq!(p.verdict, Verdict::Dropped);
        replay(&s, p);
    }
}

/// §1: a custom Deny on one pool's subnet NSG, before AllowVnetInBound, cuts the pools
/// apart.
#[test]
fn a_deny_between_node_pool_subnets() {
    let mut doc = built_in("three-nodes");
    doc["vnet"]["subnets"].as_array_mut().unwrap().push(json!({
        "name": "user-subnet", "addressPrefix": "10.225.0.0/16", "networkSecurityGroup": "user-subnet-nsg"
    }));
    doc["networkSecurityGroups"].as_array_mut().unwrap().push(json!({
        "name": "user-subnet-nsg",
        "securityRules": [{"name": "deny-system-pool", "priority": 200, "direction": "Inbound", "access": "Deny",
            "protocol": "*", "sourceAddressPrefix": "10.224.0.0/16", "sourcePortRange": "*",
            "destinationAddressPrefix": "*", "destinationPortRange": "*"}]
    }));
    let node = &mut doc["nodes"][1];
    node["subnet"] = json!("user-subnet");
    node["nic"]["privateIpAddress"] = json!("10.225.0.5");
    for pod in doc["pods"].as_array_mut().unwrap() {
        if pod["node"] == "aks-nodepool1-31415926-1" {
            let ip = pod["ip"].as_str().unwrap().replace("10.224.", "10.225.");
            pod["ip"] = json!(ip);
        }
    }
    let s = scenario(&doc);
    let found: Vec<Pitfall> = pitfalls(&s)
        .into_iter()
        .filter(|p| p.kind == PitfallKind::DenyBetweenSubnets)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let p = &found[0];
    assert_eq!(
        p.title,
        "Subnet aks-subnet to subnet user-subnet: deny-system-pool on NSG user-subnet-nsg drops traffic between node pools"
    );
    assert_eq!(p.packet.from, "10.224.0.20:40000");
    assert_eq!(p.packet.to, "10.225.0.21:8080");
    assert_eq!(
        p.dropped_at.as_deref(),
        Some("nsg:user-subnet-nsg@subnet:user-subnet")
    );
    replay(&s, p);
}

#[test]
fn an_internal_services_client_outside_its_ranges() {
    let mut doc = built_in("blog-part4");
    doc["clients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "hub-vm", "ip": "10.100.2.20"}));
    doc["services"].as_array_mut().unwrap().push(json!({
        "name": "api", "namespace": "default", "type": "LoadBalancer",
        "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
        "loadBalancerSourceRanges": ["10.100.1.0/24"],
        "ports": [{"protocol": "TCP", "port": 8080, "targetPort": 8080, "nodePort": 31080}],
        "selector": {"app": "kuard-vnode"},
        "ingressIp": "10.13.76.250"
    }));
    let s = scenario(&doc);
    let found: Vec<Pitfall> = pitfalls(&s)
        .into_iter()
        .filter(|p| p.kind == PitfallKind::InternalClientOutsideRanges)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].title,
        "Internal Service default/api: hub-vm outside its loadBalancerSourceRanges"
    );
    assert_eq!(found[0].packet.from, "10.100.2.20:40000");
    assert_eq!(found[0].packet.to, "10.13.76.250:8080");
    replay(&s, &found[0]);
}
