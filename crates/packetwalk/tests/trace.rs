//! The packet's whole path (spec §3-4) and the blog's observations (O1-O12).
//!
//! Golden traces: every flow of every built-in scenario in `www/scenarios/` is traced and
//! compared with a readable snapshot in `tests/snapshots/`; adding a scenario or a flow
//! adds a test case.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::scenario::{NetworkPlugin, Scenario};
use packetwalk::trace::{trace, trace_named, Action, Leg, PacketSpec, Trace, Verdict};
use packetwalk::{Access, AddressPrefix, AddressSpec, Direction, PortRange, RuleProtocol};
use std::path::PathBuf;

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/scenarios")
}

fn load(name: &str) -> Scenario {
    let text = std::fs::read_to_string(scenarios_dir().join(format!("{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(scenario: &Scenario, flow: &str) -> Trace {
    trace_named(scenario, Some(flow)).unwrap()
}

fn packet(scenario: &Scenario, from: &str, to: &str, protocol: &str) -> Trace {
    trace(
        scenario,
        &PacketSpec {
            from: from.into(),
            to: to.into(),
            protocol: protocol.into(),
        },
    )
    .unwrap()
}

#[test]
fn golden_traces_of_every_built_in_flow() {
    let mut names: Vec<String> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let scenario = load(&name);
        assert_eq!(scenario.name, name, "the file name is the scenario's name");
        assert!(!scenario.flows.is_empty(), "{name} has flows");
        assert!(
            scenario.network_security_groups.import_warnings.is_empty(),
            "{name}: {:?}",
            scenario.network_security_groups.import_warnings
        );
        assert!(
            packetwalk::scenario::check(&scenario).is_empty(),
            "{name} references resolve"
        );
        for flow in &scenario.flows {
            let found = run(&scenario, &flow.name);
            insta::assert_snapshot!(
                format!("{name}__{}", flow.name),
                packetwalk::trace::to_text(&found),
                &flow.description
            );
        }
    }
}

// ---- the blog's observations -------------------------------------------------------

#[test]
fn o1_o2_azure_cni_and_no_nsg_on_the_subnet() {
    let blog = load("blog-part4");
    assert_eq!(blog.network_plugin, NetworkPlugin::Azure);
    assert_eq!(blog.nodes.len(), 1, "O1: -c 1");
    let subnet = &blog.vnet.subnets[0];
    let prefix = subnet.address_prefix.unwrap();
    for pod in &blog.pods {
        assert!(
            prefix.contains(&pod.ip.unwrap()),
            "O1: pod IPs come from the subnet"
        );
    }
    assert_eq!(subnet.network_security_group, None, "O2");
}

#[test]
fn o3_o4_the_nsg_is_in_the_node_resource_group_on_the_nic() {
    let blog = load("blog-part4");
    assert_eq!(
        blog.resource_group.as_deref(),
        Some("MC_akstest_azurecnicluster_westeurope")
    );
    let nsg = blog
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap();
    assert_eq!(
        nsg.resource_group.as_deref(),
        Some("MC_akstest_azurecnicluster_westeurope")
    );
    let nic = &blog.nodes[0].nic;
    assert_eq!(nic.name, "aks-nodepool1-26711606-nic-0");
    assert_eq!(
        nic.network_security_group.as_deref(),
        Some("aks-agentpool-26711606-nsg")
    );
}

#[test]
fn o5_before_the_service_only_the_six_default_rules() {
    let before = load("blog-part4-before-service");
    let nsg = before
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap();
    assert!(nsg.security_rules.is_empty());
    let table = packetwalk::rule_table(nsg, true);
    let expected = [
        ("AllowVnetInBound", "65000", "Allow", "Inbound"),
        ("AllowAzureLoadBalancerInBound", "65001", "Allow", "Inbound"),
        ("DenyAllInBound", "65500", "Deny", "Inbound"),
        ("AllowVnetOutBound", "65000", "Allow", "Outbound"),
        ("AllowInternetOutBound", "65001", "Allow", "Outbound"),
        ("DenyAllOutBound", "65500", "Deny", "Outbound"),
    ];
    for (name, priority, access, direction) in expected {
        let line = table.lines().find(|l| l.starts_with(name)).unwrap();
        assert!(
            line.contains(priority) && line.contains(access) && line.contains(direction),
            "{line}"
        );
    }
}

#[test]
fn o6_outbound_to_the_internet_is_open() {
    let found = run(&load("blog-part4-before-service"), "pod-to-internet");
    assert_eq!(found.verdict, Verdict::Delivered);
    let nsg_hop = found
        .hops
        .iter()
        .find(|h| h.action == Action::NsgAllow)
        .unwrap();
    assert_eq!(
        nsg_hop.nsg.as_ref().unwrap().rule_name,
        "defaultSecurityRules/AllowInternetOutBound"
    );
}

#[test]
fn o7_before_the_service_nothing_answers_on_8080() {
    // spec §4.2: no load-balancing rule for the port: dropped at the load balancer.
    let found = run(&load("blog-part4-before-service"), "internet-to-8080");
    assert_eq!(found.verdict, Verdict::Dropped);
    assert_eq!(found.dropped_at.as_deref(), Some("lb:kubernetes"));
    assert!(found.reason.unwrap().contains("no rule for TCP port 8080"));
}

#[test]
fn o7_inbound_from_the_internet_is_denied_by_deny_all_in_bound() {
    // With the NSG rule deleted by hand, the load balancer still forwards, and the NIC's
    // NSG drops the packet with DenyAllInBound (spec §1).
    let mut blog = load("blog-part4");
    let nsg = blog
        .network_security_groups
        .get_mut("aks-agentpool-26711606-nsg")
        .unwrap();
    nsg.security_rules.clear();
    let found = run(&blog, "internet-to-kuard");
    assert_eq!(found.verdict, Verdict::Dropped);
    assert_eq!(
        found.dropped_at.as_deref(),
        Some("nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0")
    );
    let last = found.hops.last().unwrap();
    assert_eq!(last.action, Action::NsgDeny);
    assert_eq!(
        last.nsg.as_ref().unwrap().rule_name,
        "defaultSecurityRules/DenyAllInBound"
    );
}

#[test]
fn o8_o9_the_workload_and_its_service() {
    let blog = load("blog-part4");
    let pods: Vec<_> = blog
        .pods
        .iter()
        .filter(|p| p.labels.get("app").map(String::as_str) == Some("kuard-vnode"))
        .collect();
    assert_eq!(pods.len(), 2, "O8: 2 replicas");
    for pod in pods {
        assert_eq!(
            pod.image.as_deref(),
            Some("gcr.io/kuar-demo/kuard-amd64:blue")
        );
        assert_eq!(pod.container_ports, vec![8080]);
    }
    let svc = blog
        .services
        .iter()
        .find(|s| s.name == "kuard-vnode")
        .unwrap();
    let port = &svc.ports[0];
    assert_eq!(
        (port.port, port.node_port, port.target_port),
        (8080, Some(30610), Some(8080)),
        "O9: 8080:30610/TCP"
    );
}

#[test]
fn o10_the_generated_rule() {
    let blog = load("blog-part4");
    let nsg = blog
        .network_security_groups
        .get("aks-agentpool-26711606-nsg")
        .unwrap();
    let rule = &nsg.security_rules[0];
    assert_eq!(
        rule.name,
        "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
    assert_eq!(rule.priority, 500);
    assert_eq!(rule.direction, Direction::Inbound);
    assert_eq!(rule.access, Access::Allow);
    assert_eq!(rule.protocol, RuleProtocol::Only(packetwalk::Protocol::Tcp));
    assert_eq!(
        rule.source,
        AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag("Internet".into())])
    );
    assert_eq!(rule.source_ports, vec![PortRange::Any]);
    assert_eq!(rule.destination_ports, vec![PortRange::single(8080)]);
    let public_ip = blog
        .services
        .iter()
        .find(|s| s.name == "kuard-vnode")
        .unwrap()
        .ingress_ip
        .unwrap();
    assert_eq!(
        rule.destination,
        AddressSpec::Prefixes(vec![AddressPrefix::Cidr(public_ip.into())])
    );
}

#[test]
fn o11_the_blog_packet_is_delivered_through_the_nic_nsg() {
    // spec §4: Internet -> public IP -> LB -> NIC NSG (rule 500) -> kube-proxy DNAT -> pod.
    let found = run(&load("blog-part4"), "internet-to-kuard");
    assert_eq!(found.verdict, Verdict::Delivered);
    assert!(found.delivered_to.unwrap().starts_with("kuard-vnode-"));
    let forward: Vec<_> = found
        .hops
        .iter()
        .filter(|h| h.leg == Leg::Forward)
        .collect();
    let kinds: Vec<&str> = forward
        .iter()
        .map(|h| h.component.split(':').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "client",
            "public-ip",
            "lb",
            "lb",
            "nsg",
            "kube-proxy",
            "kube-proxy",
            "pod"
        ]
    );
    let nsg = forward[4].nsg.as_ref().unwrap();
    assert_eq!(
        nsg.rule_name,
        "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
    // Floating IP: the NSG sees the public IP as destination (spec §1, §3).
    assert_eq!(forward[4].packet.destination_ip.to_string(), "203.0.113.10");
    // kube-proxy DNAT to the pod's IP and target port (spec §4.4).
    assert_eq!(forward[5].packet.destination_port, 8080);
    assert!(found
        .hops
        .iter()
        .any(|h| h.leg == Leg::Return && h.action == Action::FlowState));
}

#[test]
fn o12_the_kubernetes_cluster_ip_service_is_not_reachable_from_the_internet() {
    let blog = load("blog-part4");
    let found = run(&blog, "kubernetes-443-from-internet");
    assert_eq!(found.verdict, Verdict::Dropped);
    assert_eq!(found.dropped_at.as_deref(), Some("lb:kubernetes"));
    let direct = packet(&blog, "198.51.100.23:40000", "10.0.0.1:443", "TCP");
    assert_eq!(direct.verdict, Verdict::Dropped);
}

// ---- path cases ----------------------------------------------------------------------

#[test]
fn ssh_is_dropped_at_the_load_balancer() {
    // spec §4.2: no load-balancing rule for TCP 22.
    let found = run(&load("blog-part4"), "ssh-from-internet");
    assert_eq!(found.dropped_at.as_deref(), Some("lb:kubernetes"));
}

#[test]
fn the_health_probe_is_allowed_and_answered() {
    // spec §1: 168.63.129.16 is in VirtualNetwork (the host's virtual IP), so
    // AllowVnetInBound (65000) matches before AllowAzureLoadBalancerInBound (65001).
    let found = run(&load("blog-part4"), "health-probe");
    assert_eq!(found.verdict, Verdict::Delivered);
    let nsg = found.hops.iter().find_map(|h| h.nsg.as_ref()).unwrap();
    assert_eq!(nsg.access, Access::Allow);
    assert_eq!(nsg.rule_name, "defaultSecurityRules/AllowVnetInBound");
    let lb_rule = nsg
        .rules
        .iter()
        .find(|r| r.name == "AllowAzureLoadBalancerInBound")
        .unwrap();
    assert!(lb_rule.matched && !lb_rule.decided);
}

#[test]
fn a_subnet_nsg_is_checked_first_inbound_and_last_outbound() {
    // spec §1: inbound subnet then NIC; outbound NIC then subnet; both must allow.
    let s = load("subnet-nsg");
    let allowed = run(&s, "office-to-kuard");
    let nsgs: Vec<&str> = allowed
        .hops
        .iter()
        .filter(|h| h.leg == Leg::Forward && h.nsg.is_some())
        .map(|h| h.component.as_str())
        .collect();
    assert_eq!(
        nsgs,
        [
            "nsg:akstest-subnet-nsg@subnet:aks",
            "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0"
        ]
    );
    assert_eq!(allowed.verdict, Verdict::Delivered);
    let denied = run(&s, "elsewhere-to-kuard");
    assert_eq!(
        denied.dropped_at.as_deref(),
        Some("nsg:akstest-subnet-nsg@subnet:aks")
    );
    let out = run(&s, "pod-smtp-out");
    let nsgs: Vec<&str> = out
        .hops
        .iter()
        .filter(|h| h.nsg.is_some())
        .map(|h| h.component.as_str())
        .collect();
    assert_eq!(
        nsgs,
        [
            "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0",
            "nsg:akstest-subnet-nsg@subnet:aks"
        ]
    );
    assert_eq!(
        out.dropped_at.as_deref(),
        Some("nsg:akstest-subnet-nsg@subnet:aks")
    );
}

#[test]
fn cluster_policy_snats_and_may_forward_to_another_node() {
    // spec §4.4: Cluster: SNAT to the node's IP, client IP lost.
    let s = load("three-nodes");
    let found = run(&s, "cluster-via-node-2");
    assert_eq!(found.verdict, Verdict::Delivered);
    assert!(found
        .hops
        .iter()
        .any(|h| h.action == Action::Route && h.component == "node:aks-nodepool1-31415926-2"));
    let delivered = found
        .hops
        .iter()
        .find(|h| h.action == Action::Deliver)
        .unwrap();
    assert_eq!(delivered.packet.source_ip.to_string(), "10.224.0.6");
}

#[test]
fn local_policy_keeps_the_client_ip_and_skips_nodes_without_pods() {
    // spec §3-4: Local probes healthCheckNodePort; only nodes with a ready pod are healthy.
    let s = load("three-nodes");
    for port in 50000..50040 {
        let found = packet(
            &s,
            &format!("198.51.100.23:{port}"),
            "203.0.113.11:80",
            "TCP",
        );
        assert_eq!(found.verdict, Verdict::Delivered);
        let pick = found
            .hops
            .iter()
            .find(|h| h.action == Action::PickBackend)
            .unwrap();
        assert!(!pick.summary.contains("-2 chosen"), "{}", pick.summary);
        assert!(!found.hops.iter().any(|h| h.action == Action::Snat));
        let delivered = found
            .hops
            .iter()
            .find(|h| h.action == Action::Deliver)
            .unwrap();
        assert_eq!(delivered.packet.source_ip.to_string(), "198.51.100.23");
    }
}

#[test]
fn no_ready_endpoints_is_dropped_at_the_load_balancer() {
    // spec §3: with no ready pod, every probe fails; the load balancer has no backend.
    let mut blog = load("blog-part4");
    for pod in &mut blog.pods {
        pod.ready = false;
    }
    let found = run(&blog, "internet-to-kuard");
    assert_eq!(found.dropped_at.as_deref(), Some("lb:kubernetes"));
    assert!(found.reason.unwrap().contains("No healthy backend"));
}

#[test]
fn a_probe_blocked_by_the_nsg_takes_the_node_out() {
    // spec §3: the probe comes from 168.63.129.16 and must pass the NSG.
    let mut blog = load("blog-part4");
    let nsg = blog
        .network_security_groups
        .get_mut("aks-agentpool-26711606-nsg")
        .unwrap();
    let mut deny = nsg.default_security_rules[0].clone();
    deny.name = "deny-azure-host".into();
    deny.priority = 100;
    deny.access = Access::Deny;
    deny.source = AddressSpec::Prefixes(vec![AddressPrefix::Cidr(
        "168.63.129.16/32".parse().unwrap(),
    )]);
    deny.destination = AddressSpec::any();
    nsg.security_rules.push(deny);
    let found = run(&blog, "internet-to-kuard");
    assert_eq!(found.dropped_at.as_deref(), Some("lb:kubernetes"));
    let pick = found.hops.last().unwrap();
    assert!(
        pick.explanation.contains("deny-azure-host"),
        "{}",
        pick.explanation
    );
}

#[test]
fn the_trace_is_reproducible() {
    let s = load("three-nodes");
    assert_eq!(run(&s, "cluster-via-node-2"), run(&s, "cluster-via-node-2"));
}

#[test]
fn bad_packets_are_errors_naming_the_field() {
    let blog = load("blog-part4");
    let err = trace(
        &blog,
        &PacketSpec {
            from: "nobody:1".into(),
            to: "203.0.113.10:8080".into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("from \"nobody:1\""), "{err}");
    let err = trace(
        &blog,
        &PacketSpec {
            from: "1.2.3.4:1".into(),
            to: "203.0.113.10:99999".into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("to "), "{err}");
    let err = trace(
        &blog,
        &PacketSpec {
            from: "1.2.3.4:1".into(),
            to: "203.0.113.10:80".into(),
            protocol: "SCTP".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("protocol"), "{err}");
}

#[test]
fn the_load_balancer_hop_names_its_rule_and_probe_and_each_backends_health() {
    // spec §3: Local probes healthCheckNodePort over HTTP; only nodes with a ready local
    // pod are healthy. three-nodes has no web-local pod on node 2.
    let s = load("three-nodes");
    let t = run(&s, "local-keeps-client-ip");
    let pick = t
        .hops
        .iter()
        .find(|h| h.action == packetwalk::trace::Action::PickBackend)
        .expect("a backend is picked");
    let lb = pick.lb.as_ref().expect("the decision as data");
    assert_eq!(lb.rule_ports, "TCP 80 -> 80");
    assert_eq!(lb.probe_target.as_deref(), Some("HTTP 32080/healthz"));
    let health: Vec<(&str, bool)> = lb
        .backends
        .iter()
        .map(|b| (b.node.as_str(), b.healthy))
        .collect();
    assert_eq!(
        health,
        [
            ("aks-nodepool1-31415926-0", true),
            ("aks-nodepool1-31415926-1", true),
            ("aks-nodepool1-31415926-2", false)
        ]
    );
    assert_eq!(lb.backends[2].component, "node:aks-nodepool1-31415926-2");
    // The rule's own hop carries the rule and probe, before any backend is asked.
    let matched = t
        .hops
        .iter()
        .find(|h| h.action == packetwalk::trace::Action::MatchLbRule)
        .and_then(|h| h.lb.as_ref())
        .expect("the rule's hop");
    assert!(matched.backends.is_empty());
    assert_eq!(matched.probe, lb.probe);
}
