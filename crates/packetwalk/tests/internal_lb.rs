//! AKS's internal load balancer, `kubernetes-internal`, and Services that share or name
//! their frontend's IP (issue 14 §1), on the fixture cluster of
//! `fixtures/cluster/two-pools/` as a scenario (`fixtures/cluster/scenarios/two-pools.json`,
//! see the README beside it).
//!
//! Sources, cited per test:
//! - [AKS-ILB] AKS, "Use an internal load balancer":
//!   https://learn.microsoft.com/azure/aks/internal-lb ("An internal load balancer doesn't
//!   have a public IP and makes a Kubernetes service accessible only to applications that
//!   can reach the private IP. These applications can be within the same VNET or in
//!   another VNET through VNET peering.")
//! - [TAGS] Azure, "Virtual network service tags", `VirtualNetwork`: the VNet's address
//!   space, peered VNets, connected on-premises address spaces:
//!   https://learn.microsoft.com/azure/virtual-network/service-tags-overview
//! - [NSG] Azure, "How network security groups filter network traffic" (the default rule
//!   AllowVnetInBound, 65000): https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules
//! - [CPA] kubernetes-sigs/cloud-provider-azure at tag v1.28.14
//!   (aff7028282405b4de0549b970b7c96819b4c1e71): `pkg/provider/azure_loadbalancer.go`
//!   (`reconcileFrontendIPConfigs`, `determinePublicIPName`, `serviceOwnsFrontendIP`,
//!   `getExpectedSecurityRules`), `pkg/provider/loadbalancer/accesscontrol.go`
//!   (`IsAllowFromInternet`, `IPV4Sources`); at HEAD
//!   7b31c76ce2ff602cc2dfec988744d8d0534b448c, `accesscontrol.go`'s
//!   `DenyAllExceptSourceRanges` ("By default, NSG allow traffic from the VNet").
//! - [SHARED] cloud-provider-azure, "Multiple Services Sharing One IP Address":
//!   https://kubernetes-sigs.github.io/cloud-provider-azure/topics/shared-ip
//! - [AKS-SLB] AKS, "Use a public Standard Load Balancer": restrict inbound traffic to
//!   specific IP ranges:
//!   https://learn.microsoft.com/azure/aks/configure-load-balancer-standard#restrict-inbound-traffic-to-specific-ip-ranges

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::exposure::{exposure, exposure_to_text};
use packetwalk::delta::{azure_delta, DeltaKind};
use packetwalk::json::Value;
use packetwalk::kubernetes::import_kubernetes;
use packetwalk::reconcile::{apply_service, delete_service, RuleNaming};
use packetwalk::scenario::{Scenario, Service};
use packetwalk::trace::{trace, Action, PacketSpec, Trace, Verdict};
use packetwalk::{Access, AddressPrefix, AddressSpec};
use std::net::IpAddr;
use std::path::PathBuf;

const API: &str = "a8c3e5d207b144a9f86d2c05f1e9b7a4";
const WEB: &str = "a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9";
const AGENTPOOL_NSG: &str = "aks-agentpool-31647289-nsg";

fn fixture() -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster/scenarios/two-pools.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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

fn text(t: &Trace) -> String {
    packetwalk::trace::to_text(t)
}

/// The backend node the load balancer picked.
fn backend(t: &Trace) -> String {
    let hop = t
        .hops
        .iter()
        .find(|h| h.action == Action::PickBackend)
        .unwrap_or_else(|| panic!("no backend picked:\n{}", text(t)));
    hop.summary.split_whitespace().nth(1).unwrap().to_owned()
}

/// The deciding rule (name, priority, access) of the forward NSG hop at `component`
/// (`nsg:<nsg>@nic:<nic>` or `nsg:<nsg>@subnet:<subnet>`), first one on the path.
fn decided_at(t: &Trace, component: &str) -> (String, u32, Access) {
    let hop = t
        .hops
        .iter()
        .find(|h| h.component == component && h.nsg.is_some())
        .unwrap_or_else(|| panic!("no NSG hop at {component}:\n{}", text(t)));
    let nsg = hop.nsg.as_ref().unwrap();
    let rule = &nsg.rules[nsg.deciding_rule.unwrap()];
    (rule.name.clone(), rule.priority, rule.access)
}

fn nic_nsg(node: &str) -> String {
    let nic = node.replace("vmss00000", "vmss-");
    format!("nsg:{AGENTPOOL_NSG}@nic:{nic}")
}

fn service(doc: &str) -> Service {
    let doc: Value = serde_json::from_str(doc).unwrap();
    import_kubernetes(&doc).unwrap().value.services.remove(0)
}

/// `shop/api` as `kubectl get service api -n shop -o json` has it in the fixture.
fn api_service() -> Service {
    let mut s = fixture();
    let index = s.services.iter().position(|x| x.name == "api").unwrap();
    s.services.remove(index)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

// ---- the trace ------------------------------------------------------------------------

/// [AKS-ILB], [NSG], [CPA] `IPV4Sources`: an internal Service without source ranges gets
/// no NSG rule; a VM in the VNet reaches it through kubernetes-internal's rule, probe and
/// backends, and AllowVnetInBound (65000) lets it in at both NSGs.
#[test]
fn a_vnet_vm_reaches_an_internal_service_without_source_ranges() {
    let mut s = fixture();
    let mut api = api_service();
    api.load_balancer_source_ranges.clear();
    let changes = apply_service(&mut s, api, RuleNaming::PerService).unwrap();
    // The update keeps the frontend's private IP (the ingress IP in the subnet) and
    // leaves no rule for it on the NIC NSG.
    let nsg = s.network_security_groups.get(AGENTPOOL_NSG).unwrap();
    assert!(
        !nsg.security_rules.iter().any(|r| r.name.starts_with(API)),
        "{changes:#?}"
    );
    let ilb = s.internal_load_balancer.as_ref().unwrap();
    assert_eq!(
        ilb.frontend_ip_configurations[0].private_ip_address,
        Some(ip("10.10.0.66"))
    );

    let t = packet(&s, "spoke-vm:52000", "10.10.0.66:8080");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", text(&t));
    assert_eq!(
        t.delivered_to.as_deref(),
        Some("api-5f6b9c7d84-tq4wz"),
        "{}",
        text(&t)
    );
    // No public IP on the way: the first hop after the sender is the internal load
    // balancer's rule, and it names AKS's internal load balancer page.
    let rule_hop = &t.hops[1];
    assert_eq!(rule_hop.component, "lb:kubernetes-internal");
    assert_eq!(rule_hop.action, Action::MatchLbRule);
    assert_eq!(
        rule_hop.docs.url,
        "https://learn.microsoft.com/azure/aks/internal-lb"
    );
    assert!(t
        .hops
        .iter()
        .all(|h| !h.component.starts_with("public-ip:")));
    let lb = rule_hop.lb.as_ref().unwrap();
    assert_eq!(lb.rule, format!("{API}-TCP-8080"));
    assert_eq!(lb.probe_target.as_deref(), Some("TCP 30943"));
    // The probe of kubernetes-internal's rule (not the public load balancer's) decides
    // the backends' health.
    let pick = t
        .hops
        .iter()
        .find(|h| h.action == Action::PickBackend)
        .unwrap();
    assert!(pick
        .lb
        .as_ref()
        .unwrap()
        .backends
        .iter()
        .all(|b| b.healthy && b.why.contains("NodePort 30943")));
    let node = backend(&t);
    assert_eq!(node, "aks-userpool-31647289-vmss000000");
    assert_eq!(
        decided_at(&t, "nsg:nsg-snet-aks-user@subnet:snet-aks-user"),
        ("AllowVnetInBound".to_owned(), 65000, Access::Allow)
    );
    assert_eq!(
        decided_at(&t, &nic_nsg(&node)),
        ("AllowVnetInBound".to_owned(), 65000, Access::Allow)
    );
}

/// [AKS-ILB], [TAGS]: the frontend is a private address; the Internet has no route to it,
/// so the packet never meets the load balancer.
#[test]
fn the_internet_cannot_reach_an_internal_frontend() {
    let s = fixture();
    let t = packet(&s, "internet-client:50123", "10.10.0.66:8080");
    assert_eq!(t.verdict, Verdict::Dropped, "{}", text(&t));
    assert_eq!(t.dropped_at.as_deref(), Some("internet"));
    let reason = t.reason.as_deref().unwrap();
    assert!(
        reason.contains("10.10.0.66 is a private address")
            && reason.contains(&format!(
                "frontend {API} of load balancer kubernetes-internal"
            )),
        "{reason}"
    );
    assert!(t.hops.iter().all(|h| !h.component.starts_with("lb:")));
    assert_eq!(
        t.hops.last().unwrap().docs.url,
        "https://learn.microsoft.com/azure/aks/internal-lb"
    );
    // A private source outside the VNet and everything connected to it is no better off.
    let t = packet(&s, "192.168.7.7:40000", "10.10.0.66:8080");
    assert_eq!(t.verdict, Verdict::Dropped, "{}", text(&t));
}

/// [CPA] `IPV4Sources`/`getExpectedSecurityRules`, [AKS-SLB], [NSG], [TAGS]: with
/// `loadBalancerSourceRanges` the cloud provider writes one allow rule per range on the
/// NIC NSG (`a8c3…-TCP-8080-10.100.1.0_24`, 501) and no deny, so a peered VM outside the
/// range still passes both NSGs by AllowVnetInBound (65000): the peered hub is in the
/// VirtualNetwork tag. What stops it is kube-proxy's own source-range filter on the node
/// (the fixture's README, pitfall 4; kubernetes/kubernetes pkg/proxy/iptables/proxier.go).
#[test]
fn source_ranges_allow_their_range_and_allow_vnet_inbound_lets_the_rest_of_the_vnet_in() {
    let s = fixture();
    let inside = packet(&s, "hub-vm-in-range:52003", "10.10.0.66:8080");
    assert_eq!(inside.verdict, Verdict::Delivered, "{}", text(&inside));
    let node = backend(&inside);
    assert_eq!(node, "aks-userpool-31647289-vmss000000");
    assert_eq!(
        decided_at(&inside, &nic_nsg(&node)),
        (format!("{API}-TCP-8080-10.100.1.0_24"), 501, Access::Allow)
    );

    let outside = packet(&s, "hub-vm-outside-range:52005", "10.10.0.66:8080");
    let node = backend(&outside);
    assert_eq!(node, "aks-userpool-31647289-vmss000001");
    assert_eq!(
        decided_at(&outside, "nsg:nsg-snet-aks-user@subnet:snet-aks-user"),
        ("AllowVnetInBound".to_owned(), 65000, Access::Allow)
    );
    assert_eq!(
        decided_at(&outside, &nic_nsg(&node)),
        ("AllowVnetInBound".to_owned(), 65000, Access::Allow)
    );
    assert_eq!(outside.verdict, Verdict::Dropped, "{}", text(&outside));
    assert_eq!(
        outside.dropped_at.as_deref(),
        Some("kube-proxy:aks-userpool-31647289-vmss000001")
    );
    assert_eq!(
        outside.reason.as_deref(),
        Some("kube-proxy drops 10.100.2.20: not in Service api's loadBalancerSourceRanges")
    );
    // The filter guards the load-balancer IP only: the same VM on the NodePort of a node's
    // own address is forwarded (the pitfall `sourceRangesBypassedInVnet`).
}

/// [CPA] `getExpectedSecurityRules` (`shouldAddDenyRule` with
/// `azure-deny-all-except-load-balancer-source-ranges`), [AKS-SLB]: the deny rule after
/// the range's allow rule is what keeps the rest of the VNet out at the NSG.
#[test]
fn deny_all_except_source_ranges_keeps_the_rest_of_the_vnet_out() {
    let mut s = fixture();
    let mut api = api_service();
    api.annotations.insert(
        "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges".into(),
        "true".into(),
    );
    let changes = apply_service(&mut s, api, RuleNaming::PerService).unwrap();
    assert!(
        changes.iter().any(|c| c.contains(&format!(
            "{API}-TCP-8080-deny_all added at priority 502 (Deny Tcp from * to 10.10.0.66 port 8080)"
        ))),
        "{changes:#?}"
    );
    let outside = packet(&s, "hub-vm-outside-range:52005", "10.10.0.66:8080");
    assert_eq!(outside.verdict, Verdict::Dropped, "{}", text(&outside));
    let node = backend(&outside);
    assert_eq!(
        decided_at(&outside, &nic_nsg(&node)),
        (format!("{API}-TCP-8080-deny_all"), 502, Access::Deny)
    );
    let inside = packet(&s, "hub-vm-in-range:52003", "10.10.0.66:8080");
    assert_eq!(inside.verdict, Verdict::Delivered, "{}", text(&inside));
}

/// The fixture's pitfall 2 (README: a custom Deny between the node-pool subnets): a pod
/// of the system pool calling api's cluster IP is DNATed by kube-proxy on its own node,
/// and the hop to an api pod in the user pool is denied by
/// `deny-system-subnet-to-user-subnet` (200).
#[test]
fn a_system_pool_pod_calling_api_meets_the_subnet_deny() {
    let s = fixture();
    let t = packet(&s, "web-7d9c5b8f4d-2xkqp:41000", "10.0.203.16:8080");
    assert_eq!(t.verdict, Verdict::Dropped, "{}", text(&t));
    assert_eq!(
        decided_at(&t, "nsg:nsg-snet-aks-user@subnet:snet-aks-user"),
        (
            "deny-system-subnet-to-user-subnet".to_owned(),
            200,
            Access::Deny
        )
    );
}

/// The fixture's pitfall 4, last sentence: a pod calling the internal frontend is handled
/// by kube-proxy on its own node, which matches the load-balancer IP itself (the packet
/// never reaches the load balancer), and is outside api's loadBalancerSourceRanges
/// (10.100.1.0/24), so kube-proxy's filter drops it (kubernetes/kubernetes
/// pkg/proxy/iptables/proxier.go, the "loadbalancer IP" rule and the firewall chain).
#[test]
fn a_pod_calling_the_internal_frontend_is_outside_its_source_ranges() {
    let s = fixture();
    let t = packet(&s, "web-7d9c5b8f4d-2xkqp:41000", "10.10.0.66:8080");
    assert_eq!(t.verdict, Verdict::Dropped, "{}", text(&t));
    assert!(
        t.hops.iter().all(|h| !h.component.starts_with("lb:")),
        "{}",
        text(&t)
    );
    assert_eq!(
        t.dropped_at.as_deref(),
        Some("kube-proxy:aks-nodepool1-31647289-vmss000000"),
        "{}",
        text(&t)
    );
    assert_eq!(
        t.reason.as_deref(),
        Some("kube-proxy drops 10.10.0.27: not in Service api's loadBalancerSourceRanges")
    );
}

/// [CPA] `reconcileFrontendIPConfigs`: the internal frontend is a private IP; a packet to
/// a port with no rule on it is dropped by the internal load balancer, as by the public.
#[test]
fn a_port_without_a_rule_is_dropped_at_the_internal_load_balancer() {
    let s = fixture();
    let t = packet(&s, "spoke-vm:52000", "10.10.0.66:9090");
    assert_eq!(t.verdict, Verdict::Dropped, "{}", text(&t));
    assert_eq!(t.dropped_at.as_deref(), Some("lb:kubernetes-internal"));
    assert!(t
        .reason
        .as_deref()
        .unwrap()
        .contains("Load balancer kubernetes-internal has no rule for TCP port 9090"));
}

// ---- the exposure ---------------------------------------------------------------------

/// [AKS-ILB]: the exposure is what the Internet reaches; internal Services are noted as
/// reachable from the VNet only, and no entry enters by a private address.
#[test]
fn the_exposure_reports_the_internal_service_as_reachable_from_the_vnet_only() {
    let s = fixture();
    let found = exposure(&s);
    let note = format!(
        "Internal load balancer kubernetes-internal, rule {API}-TCP-8080 (Service shop/api): TCP 8080 on the private address 10.10.0.66 is reachable from the VNet only"
    );
    assert!(
        found.notes.iter().any(|n| n.starts_with(&note)),
        "{}",
        exposure_to_text(&found)
    );
    assert!(found
        .entries
        .iter()
        .all(|e| e.public_ip_address != ip("10.10.0.66") && !e.component.starts_with("pod:api-")));

    // Without the public load balancer nothing is exposed, and the note says why.
    let mut internal_only = s.clone();
    internal_only.load_balancer = None;
    let found = exposure(&internal_only);
    assert!(found.entries.is_empty());
    assert!(found.notes.iter().any(|n| n
        == "The scenario has no public load balancer, only the internal kubernetes-internal: nothing is exposed to the Internet."));
}

/// The internal load balancer's references are checked like the public one's, and a
/// public IP on an internal frontend is named and ignored.
#[test]
fn broken_internal_references_are_warnings_naming_object_and_field() {
    let mut s = fixture();
    let ilb = s.internal_load_balancer.as_mut().unwrap();
    ilb.load_balancing_rules[0].probe = Some("nope".into());
    ilb.frontend_ip_configurations[0].public_ip_address = Some("pip-x".into());
    let t = packet(&s, "spoke-vm:52000", "10.10.0.66:8080");
    let warnings: Vec<(String, Option<String>)> = t
        .warnings
        .iter()
        .map(|w| (w.object.clone(), w.field.clone()))
        .collect();
    assert!(warnings.contains(&(
        format!("load balancer kubernetes-internal, rule {API}-TCP-8080"),
        Some("probe".into())
    )));
    assert!(warnings.contains(&(
        format!("load balancer kubernetes-internal, frontend {API}"),
        Some("publicIpAddress".into())
    )));
}

// ---- the cloud provider ---------------------------------------------------------------

/// [CPA] `getServiceLoadBalancerName` (`-internal`), `reconcileFrontendIPConfigs`
/// (private IP in the cluster's subnet; the ingress IP kept), `IPV4Sources` (the range
/// only); `cleanOrphanedLoadBalancer` (an empty load balancer is deleted). Deleting
/// `shop/api` and applying it again gives back the fixture's kubernetes-internal and NSG
/// rule, named and numbered as the fixture cluster's cloud provider wrote them.
#[test]
fn reconciling_the_internal_service_rebuilds_what_the_fixture_holds() {
    let original = fixture();
    let mut s = original.clone();
    let gone = delete_service(&mut s, "api", Some("shop"), RuleNaming::PerService);
    assert!(s.internal_load_balancer.is_none(), "{gone:#?}");
    assert!(gone
        .iter()
        .any(|c| c
            == "load balancer kubernetes-internal deleted: no frontend IP configuration is left"));
    assert!(gone
        .iter()
        .any(|c| c == &format!("NSG {AGENTPOOL_NSG}: rule {API}-TCP-8080-10.100.1.0_24 removed")));

    let changes = apply_service(&mut s, api_service(), RuleNaming::PerService).unwrap();
    assert_eq!(
        changes[..3],
        [
            "Service api created".to_owned(),
            "load balancer kubernetes-internal created (Standard), with backend pool kubernetes"
                .to_owned(),
            format!("frontend IP configuration {API} on load balancer kubernetes-internal: private IP 10.10.0.66 in subnet snet-aks-system"),
        ]
    );
    assert_eq!(s.internal_load_balancer, original.internal_load_balancer);
    let rules = |s: &Scenario| {
        let mut rules = s
            .network_security_groups
            .get(AGENTPOOL_NSG)
            .unwrap()
            .security_rules
            .clone();
        rules.sort_by_key(|r| r.priority);
        rules
    };
    assert_eq!(rules(&s), rules(&original));
    assert_eq!(s.public_ips, original.public_ips);
    // The tour's delta shows the internal load balancer's new parts where they are.
    let delta = azure_delta(&fixture_without_api(), &s);
    assert!(delta.iter().any(|d| d.component == "lb:kubernetes-internal"
        && d.kind == DeltaKind::Added
        && d.label == "frontend 10.10.0.66"));
}

fn fixture_without_api() -> Scenario {
    let mut s = fixture();
    delete_service(&mut s, "api", Some("shop"), RuleNaming::PerService);
    s
}

/// [CPA] `getInternalSubnet`, `getDefaultFrontendIPConfigName` (`<prefix>-<subnet>`),
/// `getLoadBalancerRuleName` (`<prefix>-<subnet>-TCP-<port>`), `reconcileFrontendIPConfigs`
/// (`loadBalancerIP`: a static private IP). The internal-subnet annotation places the
/// frontend in the named subnet, and a subnet that does not exist is refused.
#[test]
fn the_internal_subnet_annotation_and_load_balancer_ip_place_the_frontend() {
    let mut s = fixture();
    let svc = service(
        r#"{"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": "orders", "namespace": "shop", "uid": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
              "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                              "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": "snet-aks-user"}},
            "spec": {"type": "LoadBalancer", "loadBalancerIP": "10.10.7.200", "selector": {"app": "api"},
                     "ports": [{"port": 9000, "targetPort": 8080, "protocol": "TCP"}]}}"#,
    );
    let changes = apply_service(&mut s, svc.clone(), RuleNaming::PerService).unwrap();
    let prefix = "a0b1c2d3e4f5046178293a4b5c6d7e8f";
    let ilb = s.internal_load_balancer.as_ref().unwrap();
    let frontend = ilb
        .frontend_ip_configurations
        .iter()
        .find(|f| f.name == format!("{prefix}-snet-aks-user"))
        .unwrap_or_else(|| panic!("{changes:#?}"));
    assert_eq!(frontend.private_ip_address, Some(ip("10.10.7.200")));
    assert!(ilb
        .load_balancing_rules
        .iter()
        .any(|r| r.name == format!("{prefix}-snet-aks-user-TCP-9000")
            && r.frontend_ip_configuration == frontend.name));
    // No source ranges: no NSG rule.
    assert!(!s
        .network_security_groups
        .get(AGENTPOOL_NSG)
        .unwrap()
        .security_rules
        .iter()
        .any(|r| r.name.starts_with(prefix)));
    let t = packet(&s, "spoke-vm:52000", "10.10.7.200:9000");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", text(&t));

    // A static address outside the subnet, and a subnet that is not there, are refused
    // with the field at fault; nothing changes.
    let before = fixture();
    let mut s = before.clone();
    let mut outside = svc.clone();
    outside.load_balancer_ip = Some(ip("10.10.0.200"));
    let err = apply_service(&mut s, outside, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string().contains("spec.loadBalancerIP")
            && err.to_string().contains("not in subnet snet-aks-user"),
        "{err}"
    );
    let mut nowhere = svc;
    nowhere.annotations.insert(
        "service.beta.kubernetes.io/azure-load-balancer-internal-subnet".into(),
        "snet-missing".into(),
    );
    let err = apply_service(&mut s, nowhere, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string().contains(
            "metadata.annotations[service.beta.kubernetes.io/azure-load-balancer-internal-subnet]"
        ),
        "{err}"
    );
    assert_eq!(s, before);
}

/// [SHARED], [CPA] `determinePublicIPName` and `serviceOwnsFrontendIP`: a second Service
/// with `loadBalancerIP` set to the first one's address uses the same frontend, with a
/// rule (and NSG rule) per port of its own; a port already taken on that frontend is
/// refused; the frontend and its public IP stay while a rule uses them.
#[test]
fn two_services_share_one_public_ip() {
    let mut s = fixture();
    let tls = service(
        r#"{"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": "web-tls", "namespace": "shop", "uid": "5d7e9f10-2a3b-4c5d-8e6f-708192a3b4c5"},
            "spec": {"type": "LoadBalancer", "loadBalancerIP": "198.51.100.24", "selector": {"app": "web"},
                     "ports": [{"name": "https", "port": 443, "targetPort": 8080, "protocol": "TCP"}]}}"#,
    );
    let tls_prefix = "a5d7e9f102a3b4c5d8e6f708192a3b4c";
    let changes = apply_service(&mut s, tls.clone(), RuleNaming::PerService).unwrap();
    assert_eq!(
        changes[1],
        format!("frontend IP configuration {WEB} on load balancer kubernetes shared: it already has public IP kubernetes-{WEB} (198.51.100.24)")
    );
    let lb = s.load_balancer.as_ref().unwrap();
    assert_eq!(lb.frontend_ip_configurations.len(), 2, "{changes:#?}");
    let on_shared: Vec<&str> = lb
        .load_balancing_rules
        .iter()
        .filter(|r| r.frontend_ip_configuration == WEB)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        on_shared,
        [format!("{WEB}-TCP-80"), format!("{tls_prefix}-TCP-443")]
    );
    assert_eq!(s.public_ips.len(), 2, "no public IP is created");
    let nsg_rule = s
        .network_security_groups
        .get(AGENTPOOL_NSG)
        .unwrap()
        .security_rules
        .iter()
        .find(|r| r.name == format!("{tls_prefix}-TCP-443-Internet"))
        .unwrap();
    assert_eq!(nsg_rule.priority, 502);
    assert_eq!(
        nsg_rule.destination,
        AddressSpec::Prefixes(vec![AddressPrefix::Cidr(
            "198.51.100.24/32".parse().unwrap()
        )])
    );
    // Through the shared frontend to a web pod: the system subnet's NSG opens 443.
    let t = packet(&s, "internet-client:50122", "198.51.100.24:443");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", text(&t));
    assert_eq!(t.hops[1].component, format!("public-ip:kubernetes-{WEB}"));
    assert_eq!(
        t.hops[2].lb.as_ref().unwrap().rule,
        format!("{tls_prefix}-TCP-443")
    );

    // A third Service asking for port 80 on the same address is refused.
    let mut clash = tls.clone();
    clash.name = "web-clash".into();
    clash.uid = Some("6e8f0a21-3b4c-4d5e-9f70-8192a3b4c5d6".into());
    clash.ports[0].port = 80;
    let before = s.clone();
    let err = apply_service(&mut s, clash, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string().contains("spec.ports[0].port")
            && err
                .to_string()
                .contains(&format!("already has rule {WEB}-TCP-80")),
        "{err}"
    );
    assert_eq!(s, before);

    // Deleting the Service that made the frontend keeps it (and its public IP) for the
    // other; deleting the other then removes both.
    let changes = delete_service(&mut s, "web", Some("shop"), RuleNaming::PerService);
    assert!(changes.iter().any(|c| c
        == &format!(
        "frontend IP configuration {WEB} kept: other Services' rules (or the outbound rule) use it"
    )));
    assert!(s
        .public_ips
        .iter()
        .any(|p| p.name == format!("kubernetes-{WEB}")));
    let t = packet(&s, "internet-client:50122", "198.51.100.24:443");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", text(&t));
    let changes = delete_service(&mut s, "web-tls", Some("shop"), RuleNaming::PerService);
    assert!(
        changes
            .iter()
            .any(|c| c == &format!("public IP kubernetes-{WEB} released")),
        "{changes:#?}"
    );
    assert!(!s
        .load_balancer
        .as_ref()
        .unwrap()
        .frontend_ip_configurations
        .iter()
        .any(|f| f.name == WEB));
}

/// [CPA] `determinePublicIPName`/`ensurePublicIPExists` (`azure-pip-name`: the named
/// public IP must exist; none is created) and the user's public IP stays when the
/// Service goes; `loadBalancerIP` with no public IP of that address is refused ("user
/// supplied IP Address ... was not found").
#[test]
fn azure_pip_name_and_load_balancer_ip_use_an_existing_public_ip() {
    let mut s = fixture();
    s.public_ips.push(packetwalk::scenario::PublicIp {
        name: "pip-shop-admin".into(),
        ip_address: Some(ip("198.51.100.40")),
        sku: Some("Standard".into()),
    });
    let admin = service(
        r#"{"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": "admin", "namespace": "shop", "uid": "7f90a1b2-c3d4-4e5f-8061-72839a4b5c6d",
              "annotations": {"service.beta.kubernetes.io/azure-pip-name": "pip-shop-admin"}},
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                     "ports": [{"port": 443, "targetPort": 8080, "protocol": "TCP"}]}}"#,
    );
    let prefix = "a7f90a1b2c3d44e5f806172839a4b5c6";
    let changes = apply_service(&mut s, admin.clone(), RuleNaming::PerService).unwrap();
    assert!(
        changes.iter().any(|c| c
            == &format!("frontend IP configuration {prefix} on load balancer kubernetes: public IP pip-shop-admin (198.51.100.40), which the Service names (the cloud provider creates no public IP for it)")),
        "{changes:#?}"
    );
    assert!(!s
        .public_ips
        .iter()
        .any(|p| p.name == format!("kubernetes-{prefix}")));
    let svc = s.services.iter().find(|x| x.name == "admin").unwrap();
    assert_eq!(svc.ingress_ip, Some(ip("198.51.100.40")));
    let t = packet(&s, "internet-client:50122", "198.51.100.40:443");
    assert_eq!(
        t.hops[1].component,
        "public-ip:pip-shop-admin",
        "{}",
        text(&t)
    );
    delete_service(&mut s, "admin", Some("shop"), RuleNaming::PerService);
    assert!(s.public_ips.iter().any(|p| p.name == "pip-shop-admin"));

    // The same Service by address: loadBalancerIP, then the ipv4 annotation.
    let mut by_ip = admin.clone();
    by_ip.annotations.clear();
    by_ip.load_balancer_ip = Some(ip("198.51.100.40"));
    apply_service(&mut s, by_ip.clone(), RuleNaming::PerService).unwrap();
    assert_eq!(
        s.services
            .iter()
            .find(|x| x.name == "admin")
            .unwrap()
            .ingress_ip,
        Some(ip("198.51.100.40"))
    );

    let before = s.clone();
    let mut missing = admin.clone();
    missing.annotations.insert(
        "service.beta.kubernetes.io/azure-pip-name".into(),
        "pip-nope".into(),
    );
    let err = apply_service(&mut s, missing, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string()
            .contains("metadata.annotations[service.beta.kubernetes.io/azure-pip-name]"),
        "{err}"
    );
    let mut unknown = by_ip;
    unknown.load_balancer_ip = Some(ip("198.51.100.99"));
    let err = apply_service(&mut s, unknown, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string().contains("spec.loadBalancerIP")
            && err
                .to_string()
                .contains("user supplied IP Address 198.51.100.99 was not found"),
        "{err}"
    );
    assert_eq!(s, before);
}

/// The hand-made scenario and `packetwalk import` of the same documents
/// (`packetwalk::cluster`) take every packet above the same way: same verdict, same end,
/// same backend. (The two were written independently; the README beside the scenario
/// says what each part was read from.)
#[test]
fn the_hand_made_scenario_and_the_import_agree() {
    use packetwalk::cluster::{import_cluster, Document};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster/two-pools");
    let mut docs: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .map(|n| {
            let value =
                serde_json::from_str(&std::fs::read_to_string(dir.join(&n)).unwrap()).unwrap();
            (n, value)
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    let documents: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let imported = import_cluster(&documents).value;
    let by_hand = fixture();
    let packets = [
        ("10.100.1.10:52003", "10.10.0.66:8080"),
        ("10.100.2.20:52005", "10.10.0.66:8080"),
        ("203.0.113.50:50123", "10.10.0.66:8080"),
        ("203.0.113.50:50123", "198.51.100.24:80"),
        ("10.10.0.27:41000", "10.10.0.66:8080"),
        ("10.10.8.10:52000", "10.10.0.66:8080"),
        ("10.10.8.10:52000", "10.10.0.66:9090"),
    ];
    for (from, to) in packets {
        let outcome = |s: &Scenario| {
            let t = packet(s, from, to);
            let picked = t
                .hops
                .iter()
                .find(|h| h.action == Action::PickBackend)
                .map(|h| h.summary.clone());
            (t.verdict, t.delivered_to, t.dropped_at, picked)
        };
        assert_eq!(outcome(&by_hand), outcome(&imported), "{from} -> {to}");
    }
}

/// With the pods' subnet added to the ranges (as AKS documents for in-cluster callers), the
/// same pod is forwarded by its own node's kube-proxy to an api pod; under
/// `externalTrafficPolicy: Local` a pod's traffic still goes to every endpoint (kube-proxy
/// sends in-cluster traffic for the load-balancer IP to the cluster-wide chain).
#[test]
fn a_pod_in_the_ranges_reaches_the_internal_frontend_through_its_own_kube_proxy() {
    let mut s = fixture();
    let api = s.services.iter_mut().find(|x| x.name == "api").unwrap();
    api.load_balancer_source_ranges.push("10.10.0.0/22".into());
    api.external_traffic_policy = packetwalk::scenario::ExternalTrafficPolicy::Local;
    let t = packet(&s, "web-7d9c5b8f4d-2xkqp:41000", "10.10.0.66:8080");
    let hops: Vec<&str> = t.hops.iter().map(|h| h.component.as_str()).collect();
    assert!(hops.iter().all(|c| !c.starts_with("lb:")), "{}", text(&t));
    assert_eq!(hops[1], "kube-proxy:aks-nodepool1-31647289-vmss000000");
    // The api pods live on the user pool: the pod crosses to it, where the fixture's
    // subnet Deny (pitfall 2) stops it.
    assert_eq!(
        decided_at(&t, "nsg:nsg-snet-aks-user@subnet:snet-aks-user"),
        (
            "deny-system-subnet-to-user-subnet".to_owned(),
            200,
            Access::Deny
        )
    );
}
