//! cloud-provider-azure's reconciliation of a LoadBalancer Service (spec §3), checked
//! against the blog (O10) and the expectations in
//! `crates/packetwalk/fixtures/real/cloud-provider-azure-nsg-rules.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::json::Value;
use packetwalk::kubernetes::import_kubernetes;
use packetwalk::reconcile::{apply_service, consolidated_allow_name, delete_service, RuleNaming};
use packetwalk::scenario::{Scenario, Service};
use packetwalk::trace::{trace_named, Verdict};
use packetwalk::{Access, AddressPrefix, AddressSpec, PortRange, Protocol};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Scenario {
    let text =
        std::fs::read_to_string(root().join(format!("../../www/scenarios/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn kuard_service() -> Service {
    let text = std::fs::read_to_string(root().join("fixtures/kubernetes/kuard-vnode-service.json"))
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    import_kubernetes(&doc).unwrap().value.services.remove(0)
}

fn sorted<T: Clone + Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn kubectl_apply_turns_the_before_scenario_into_the_blog_scenario() {
    // O9-O10: the frontend, LB rule, probe and NSG rule appear, named and prioritised as
    // cloud-provider-azure up to v1.28 does.
    let mut before = load("blog-part4-before-service");
    let after = load("blog-part4");
    let changes = apply_service(&mut before, kuard_service(), RuleNaming::PerService).unwrap();
    assert!(
        changes.iter().any(|c| c
            .contains("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet added at priority 500")),
        "{changes:#?}"
    );

    let nsg = |s: &Scenario| {
        s.network_security_groups
            .get("aks-agentpool-26711606-nsg")
            .unwrap()
            .security_rules
            .clone()
    };
    assert_eq!(nsg(&before), nsg(&after));
    let lb = |s: &Scenario| {
        let lb = s.load_balancer.clone().unwrap();
        (
            sorted(
                lb.frontend_ip_configurations
                    .iter()
                    .map(|f| (f.name.clone(), f.public_ip_address.clone()))
                    .collect(),
            ),
            lb.load_balancing_rules
                .iter()
                .map(|r| format!("{r:?}"))
                .collect::<Vec<_>>(),
            lb.probes
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(lb(&before), lb(&after));
    let ips = |s: &Scenario| {
        sorted(
            s.public_ips
                .iter()
                .map(|p| (p.name.clone(), p.ip_address))
                .collect(),
        )
    };
    assert_eq!(ips(&before), ips(&after));
    assert_eq!(
        trace_named(&before, Some("pod-to-internet"))
            .unwrap()
            .verdict,
        Verdict::Delivered
    );
}

#[test]
fn deleting_the_service_removes_what_it_created() {
    let mut blog = load("blog-part4");
    let before = load("blog-part4-before-service");
    let changes = delete_service(&mut blog, "kuard-vnode", None, RuleNaming::PerService);
    assert!(changes
        .iter()
        .any(|c| c.contains("rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet removed")));
    assert_eq!(
        blog.network_security_groups
            .get("aks-agentpool-26711606-nsg")
            .unwrap()
            .security_rules,
        before
            .network_security_groups
            .get("aks-agentpool-26711606-nsg")
            .unwrap()
            .security_rules
    );
    assert!(blog
        .load_balancer
        .as_ref()
        .unwrap()
        .load_balancing_rules
        .is_empty());
    assert_eq!(blog.public_ips.len(), 1);
}

#[test]
fn source_ranges_become_one_rule_each_at_the_lowest_free_priorities() {
    // fixture notes case 5/8: `a<uid>-TCP-80-10.10.10.0_24`, priority 500 upward.
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.load_balancer_source_ranges = vec!["198.51.100.0/24".into(), "192.0.2.7/32".into()];
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges".into(),
        "true".into(),
    );
    apply_service(&mut s, svc, RuleNaming::PerService).unwrap();
    let rules = &s
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap()
        .security_rules;
    let summary: Vec<(String, u32, Access)> = rules
        .iter()
        .map(|r| (r.name.clone(), r.priority, r.access))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "a094204ca555d11e9b1619a6af760136-TCP-8080-198.51.100.0_24".into(),
                500,
                Access::Allow
            ),
            (
                "a094204ca555d11e9b1619a6af760136-TCP-8080-192.0.2.7_32".into(),
                501,
                Access::Allow
            ),
            (
                "a094204ca555d11e9b1619a6af760136-TCP-8080-deny_all".into(),
                502,
                Access::Deny
            ),
        ]
    );
    assert_eq!(
        rules[2].source,
        AddressSpec::Prefixes(vec![AddressPrefix::Any("*".into())])
    );
}

#[test]
fn allowed_service_tags_replace_internet() {
    // fixture notes case 4: the tag is the source, no Internet rule.
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-allowed-service-tags".into(),
        "AzureFrontDoor.Backend".into(),
    );
    apply_service(&mut s, svc, RuleNaming::PerService).unwrap();
    let rules = &s
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap()
        .security_rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].name,
        "a094204ca555d11e9b1619a6af760136-TCP-8080-AzureFrontDoor.Backend"
    );
}

#[test]
fn floating_ip_disabled_targets_node_ips_on_the_node_port() {
    // fixture notes "Floating IP disabled": destination = node IPs, port = nodePort.
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip".into(),
        "true".into(),
    );
    apply_service(&mut s, svc, RuleNaming::PerService).unwrap();
    let rule = &s
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap()
        .security_rules[0];
    assert_eq!(
        rule.destination,
        AddressSpec::Prefixes(vec![AddressPrefix::Cidr("10.13.76.4/32".parse().unwrap())])
    );
    assert_eq!(rule.destination_ports, vec![PortRange::single(30610)]);
    let lb_rule = &s.load_balancer.as_ref().unwrap().load_balancing_rules[0];
    assert!(!lb_rule.enable_floating_ip);
    assert_eq!(lb_rule.backend_port, 30610);
    // And the packet still arrives: the LB rewrites to node IP:NodePort, kube-proxy DNATs.
    s.flows = load("blog-part4").flows;
    let found = trace_named(&s, Some("internet-to-kuard")).unwrap();
    assert_eq!(
        found.verdict,
        Verdict::Delivered,
        "{}",
        packetwalk::trace::to_text(&found)
    );
}

#[test]
fn an_internal_load_balancer_gets_a_private_frontend_and_no_allow_rule() {
    // spec §3: internal LB: private frontend IP in the VNet; no allow rule without ranges.
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-load-balancer-internal".into(),
        "true".into(),
    );
    apply_service(&mut s, svc, RuleNaming::PerService).unwrap();
    let ip = s
        .services
        .iter()
        .find(|x| x.name == "kuard-vnode")
        .unwrap()
        .ingress_ip
        .unwrap();
    assert!(s.vnet.address_space[0].contains(&ip), "{ip}");
    assert!(s
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap()
        .security_rules
        .is_empty());
    // cloud-provider-azure v1.28.14, `getServiceLoadBalancerName`: the internal Service
    // goes on `kubernetes-internal` (the cluster's name plus `-internal`), created here,
    // with the subnet's private IP as its frontend; the public load balancer is untouched.
    let ilb = s.internal_load_balancer.as_ref().unwrap();
    assert_eq!(ilb.name, "kubernetes-internal");
    assert_eq!(
        ilb.frontend_ip_configurations[0].private_ip_address,
        Some(ip)
    );
    assert_eq!(
        ilb.load_balancing_rules[0].name,
        "a094204ca555d11e9b1619a6af760136-TCP-8080"
    );
    assert_eq!(
        s.load_balancer,
        load("blog-part4-before-service").load_balancer
    );
    assert_eq!(s.public_ips, load("blog-part4-before-service").public_ips);
    // Deleting it deletes the load balancer with its last frontend
    // (`cleanOrphanedLoadBalancer`).
    let changes = delete_service(&mut s, "kuard-vnode", None, RuleNaming::PerService);
    assert!(s.internal_load_balancer.is_none(), "{changes:#?}");
}

#[test]
fn a_shared_address_keeps_the_other_services_consolidated_rule() {
    // cloud-provider-azure HEAD 7b31c76, `AccessControl.CleanSecurityGroup` keeps a
    // destination in the rules for the ports other Services on the address still use
    // (`retainPortRanges`); "Multiple Services Sharing One IP Address",
    // https://kubernetes-sigs.github.io/cloud-provider-azure/topics/shared-ip.
    let mut s = load("blog-part4-before-service");
    apply_service(&mut s, kuard_service(), RuleNaming::Consolidated).unwrap();
    let mut second = kuard_service();
    second.name = "kuard-admin".into();
    second.uid = Some("1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9".into());
    second.ports[0].port = 9090;
    second.ports[0].node_port = None;
    second.ingress_ip = None;
    second.load_balancer_ip = Some("203.0.113.10".parse().unwrap());
    apply_service(&mut s, second, RuleNaming::Consolidated).unwrap();
    let lb = s.load_balancer.as_ref().unwrap();
    assert_eq!(
        lb.frontend_ip_configurations.len(),
        2,
        "one frontend shared"
    );
    let rules = |s: &Scenario| {
        s.network_security_groups
            .get("aks-agentpool-26711606-nsg")
            .unwrap()
            .security_rules
            .iter()
            .map(|r| (r.name.clone(), r.destination.clone()))
            .collect::<Vec<_>>()
    };
    let kuard_rule = consolidated_allow_name(Protocol::Tcp, &["Internet".into()], &[8080]);
    let admin_rule = consolidated_allow_name(Protocol::Tcp, &["Internet".into()], &[9090]);
    let shared = AddressSpec::Prefixes(vec![AddressPrefix::Cidr(
        "203.0.113.10/32".parse().unwrap(),
    )]);
    assert_eq!(
        rules(&s),
        [
            (kuard_rule.clone(), shared.clone()),
            (admin_rule.clone(), shared.clone())
        ]
    );
    let changes = delete_service(&mut s, "kuard-admin", None, RuleNaming::Consolidated);
    assert_eq!(rules(&s), [(kuard_rule, shared)], "{changes:#?}");
    assert!(changes
        .iter()
        .any(|c| c == "load-balancing rule a1f2e3d4c5b6a49788695a4b3c2d1e0f-TCP-9090 removed"));
    let mut after = s.clone();
    after.flows = load("blog-part4").flows;
    assert_eq!(
        trace_named(&after, Some("internet-to-kuard"))
            .unwrap()
            .verdict,
        Verdict::Delivered
    );
}

#[test]
fn consolidated_naming_shares_one_rule_and_hashes_its_key() {
    // spec §3 (v1.29+): `k8s-azure-lb_allow_IPv4_<md5>`; deny-all from 4095 down.
    let name = consolidated_allow_name(Protocol::Tcp, &["Internet".into()], &[8080]);
    assert!(name.starts_with("k8s-azure-lb_allow_IPv4_"));
    assert_eq!(name.len(), "k8s-azure-lb_allow_IPv4_".len() + 32);
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges".into(),
        "true".into(),
    );
    svc.load_balancer_source_ranges = vec!["198.51.100.0/24".into()];
    apply_service(&mut s, svc, RuleNaming::Consolidated).unwrap();
    let rules = &s
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap()
        .security_rules;
    assert_eq!(rules.len(), 2);
    assert!(rules[0].name.starts_with("k8s-azure-lb_allow_IPv4_") && rules[0].priority == 500);
    assert_eq!(
        (rules[1].name.as_str(), rules[1].priority),
        ("k8s-azure-lb_deny-all_IPv4", 4095)
    );
}

#[test]
fn both_source_ranges_and_the_ip_ranges_annotation_is_refused() {
    let mut s = load("blog-part4-before-service");
    let mut svc = kuard_service();
    svc.load_balancer_source_ranges = vec!["10.10.10.0/24".into()];
    svc.annotations.insert(
        "service.beta.kubernetes.io/azure-allowed-ip-ranges".into(),
        "192.168.0.1/32".into(),
    );
    let err = apply_service(&mut s, svc, RuleNaming::PerService).unwrap_err();
    assert!(
        err.to_string().contains("spec.loadBalancerSourceRanges"),
        "{err}"
    );
}

#[test]
fn kubectl_json_imports_from_the_real_fixtures() {
    let real = root().join("fixtures/real");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(real.join("k8s_service_loadbalancer_gke_kubectl-get-o-json.json"))
            .unwrap(),
    )
    .unwrap();
    let svc = import_kubernetes(&doc).unwrap().value.services.remove(0);
    assert_eq!(svc.name, "example-spring-boot");
    assert_eq!(svc.ingress_ip.unwrap().to_string(), "104.199.26.127");
    assert_eq!(svc.ports[0].node_port, Some(30100));
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(real.join("k8s_podlist_minikube_kubectl-get-pods-o-json.json"))
            .unwrap(),
    )
    .unwrap();
    let pods = import_kubernetes(&doc).unwrap().value.pods;
    assert_eq!(pods.len(), 1);
    assert_eq!(pods[0].name, "queue-l4dv8");
    assert_eq!(pods[0].ip.unwrap().to_string(), "172.17.0.6");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(real.join("k8s_service_loadbalancer_docs-example.json")).unwrap(),
    )
    .unwrap();
    let svc = import_kubernetes(&doc).unwrap().value.services.remove(0);
    assert_eq!(svc.ingress_ip.unwrap().to_string(), "146.148.47.155");
    assert!(import_kubernetes(&Value::Array(vec![])).is_err());
}

#[test]
fn kubectl_apply_shows_on_the_picture_as_what_the_cloud_provider_created() {
    // spec §3: a frontend IP, a load-balancing rule, a health probe and an NSG rule.
    use packetwalk::delta::{azure_delta, DeltaKind};
    let before = load("blog-part4-before-service");
    let mut after = before.clone();
    apply_service(&mut after, kuard_service(), RuleNaming::PerService).unwrap();
    let found = azure_delta(&before, &after);
    let labels: Vec<&str> = found.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "public IP 203.0.113.10",
            "frontend 203.0.113.10",
            "rule TCP 8080 -> 8080",
            "health probe TCP 30610",
            "rule 500 Allow TCP 8080 from Internet"
        ]
    );
    let delta: Vec<(String, DeltaKind, String)> = found
        .into_iter()
        .map(|d| (d.component, d.kind, d.what))
        .collect();
    let added =
        |component: &str, what: &str| (component.to_owned(), DeltaKind::Added, what.to_owned());
    assert_eq!(
        delta,
        vec![
            added(
                "public-ip:kubernetes-a094204ca555d11e9b1619a6af760136",
                "public IP kubernetes-a094204ca555d11e9b1619a6af760136"
            ),
            added("lb:kubernetes", "frontend a094204ca555d11e9b1619a6af760136"),
            added(
                "lb:kubernetes",
                "load-balancing rule a094204ca555d11e9b1619a6af760136-TCP-8080 (TCP 8080)"
            ),
            added(
                "lb:kubernetes",
                "health probe a094204ca555d11e9b1619a6af760136-TCP-8080 (TCP 30610)"
            ),
            added(
                "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0",
                "NSG rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet (500 Allow)"
            ),
        ]
    );
    // And the rule deleted by hand goes from the NIC's NSG.
    let mut deleted = after.clone();
    deleted.network_security_groups.nsgs[0]
        .security_rules
        .clear();
    let gone = azure_delta(&after, &deleted);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].kind, DeltaKind::Removed);
}
