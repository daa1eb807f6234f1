//! The analyses at scale: what the Internet can reach through one 1,000-rule NSG, the
//! lint of that NSG, and the exposure of a 50-node scenario.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use packetwalk::analysis::{exposure, internet, lint_nsg, nsg_exposure};
use packetwalk::scenario::{
    ExternalTrafficPolicy, FrontendIpConfiguration, LoadBalancer, LoadBalancingRule,
    NetworkInterface, Node, Pod, Probe, PublicIp, Scenario, Service, ServicePort, ServiceType,
    Subnet, VirtualNetwork,
};
use packetwalk::{
    Access, AddressPrefix, AddressSpec, Direction, EvalContext, NetworkSecurityGroup, PortRange,
    Protocol, RuleProtocol, SecurityRule,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

fn cidr(text: &str) -> AddressPrefix {
    AddressPrefix::Cidr(text.parse().unwrap())
}

/// 994 user rules plus the 6 defaults, shaped like a busy cluster's NSG: the cloud
/// provider's allow rules (Internet or a /24 to a public IP on one port), allow and deny
/// rules from office ranges to the VNet on port ranges, and a few wide denies.
fn big_nsg() -> NetworkSecurityGroup {
    let mut nsg = NetworkSecurityGroup::new("bench");
    for i in 0..994u32 {
        let b = i.to_be_bytes();
        let (source, destination, ports, access, protocol) = match i % 4 {
            0 => (
                AddressPrefix::ServiceTag("Internet".into()),
                cidr(&format!("20.{}.{}.10/32", b[2], b[3])),
                vec![PortRange::single((80 + i % 500) as u16)],
                Access::Allow,
                RuleProtocol::Only(Protocol::Tcp),
            ),
            1 => (
                cidr(&format!("198.{}.{}.0/24", b[2], b[3])),
                cidr(&format!("20.{}.{}.10/32", b[2], b[3])),
                vec![PortRange::single(443)],
                Access::Allow,
                RuleProtocol::Only(Protocol::Tcp),
            ),
            2 => (
                cidr(&format!("100.{}.{}.0/22", b[2], b[3] & 0xfc)),
                AddressPrefix::ServiceTag("VirtualNetwork".into()),
                vec![PortRange::Range {
                    first: (1000 + i) as u16,
                    last: (1100 + i) as u16,
                }],
                if i % 8 == 2 {
                    Access::Deny
                } else {
                    Access::Allow
                },
                RuleProtocol::Any,
            ),
            _ => (
                cidr(&format!("{}.0.0.0/8", 30 + i % 60)),
                AddressPrefix::Any("*".into()),
                vec![PortRange::single((20 + i % 10) as u16)],
                Access::Deny,
                RuleProtocol::Any,
            ),
        };
        nsg.security_rules.push(SecurityRule {
            name: format!("rule-{i}"),
            description: None,
            priority: 100 + i,
            direction: Direction::Inbound,
            access,
            protocol,
            source: AddressSpec::Prefixes(vec![source]),
            source_ports: vec![PortRange::Any],
            destination: AddressSpec::Prefixes(vec![destination]),
            destination_ports: ports,
        });
    }
    nsg
}

/// 50 nodes with 2 pods each, 10 LoadBalancer Services (half Cluster, half Local), one
/// public frontend and rule per Service, the cloud provider's NSG rule per Service on
/// the agent pool NSG (on every NIC) and a subnet NSG.
fn big_scenario() -> Scenario {
    let mut s = Scenario {
        name: "bench-50".into(),
        vnet: VirtualNetwork {
            name: "vnet".into(),
            address_space: vec!["10.0.0.0/16".parse().unwrap()],
            subnets: vec![Subnet {
                name: "aks".into(),
                address_prefix: Some("10.0.0.0/20".parse().unwrap()),
                network_security_group: Some("subnet-nsg".into()),
                routes: Vec::new(),
            }],
        },
        ..Scenario::default()
    };
    let mut agent = NetworkSecurityGroup::new("agent-nsg");
    let mut subnet = NetworkSecurityGroup::new("subnet-nsg");
    subnet.security_rules.push(SecurityRule {
        name: "deny-telnet".into(),
        description: None,
        priority: 100,
        direction: Direction::Inbound,
        access: Access::Deny,
        protocol: RuleProtocol::Any,
        source: AddressSpec::any(),
        source_ports: vec![PortRange::Any],
        destination: AddressSpec::any(),
        destination_ports: vec![PortRange::single(23)],
    });
    subnet.security_rules.push(SecurityRule {
        name: "allow-web".into(),
        description: None,
        priority: 200,
        direction: Direction::Inbound,
        access: Access::Allow,
        protocol: RuleProtocol::Only(Protocol::Tcp),
        source: AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag("Internet".into())]),
        source_ports: vec![PortRange::Any],
        destination: AddressSpec::any(),
        destination_ports: vec![PortRange::Range {
            first: 8000,
            last: 8100,
        }],
    });
    let mut lb = LoadBalancer {
        name: "kubernetes".into(),
        ..LoadBalancer::default()
    };
    for n in 0..50u8 {
        let name = format!("node-{n}");
        s.nodes.push(Node {
            name: name.clone(),
            subnet: "aks".into(),
            nic: NetworkInterface {
                name: format!("nic-{n}"),
                private_ip_address: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4 + n))),
                network_security_group: Some("agent-nsg".into()),
                application_security_groups: Vec::new(),
            },
            pod_cidr: None,
        });
        lb.backend_address_pool.push(name.clone());
        for k in 0..2u8 {
            let app = (n as usize * 2 + k as usize) % 10;
            s.pods.push(Pod {
                name: format!("app{app}-{n}-{k}"),
                namespace: Some("default".into()),
                labels: BTreeMap::from([("app".into(), format!("app{app}"))]),
                ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 1 + k, 4 + n))),
                node: name.clone(),
                ready: true,
                container_ports: vec![8080.into()],
                image: None,
            });
        }
    }
    for a in 0..10u16 {
        let uid = format!("a{a:031}");
        let public = IpAddr::V4(Ipv4Addr::new(20, 0, 0, 10 + a as u8));
        let port = 8000 + a;
        s.public_ips.push(PublicIp {
            name: format!("pip-{a}"),
            ip_address: Some(public),
            sku: Some("Standard".into()),
        });
        let local = a % 2 == 1;
        s.services.push(Service {
            name: format!("app{a}"),
            namespace: Some("default".into()),
            service_type: ServiceType::LoadBalancer,
            ports: vec![ServicePort {
                name: None,
                protocol: Some("TCP".into()),
                port,
                target_port: Some(8080),
                node_port: Some(30000 + a),
            }],
            selector: BTreeMap::from([("app".into(), format!("app{a}"))]),
            external_traffic_policy: if local {
                ExternalTrafficPolicy::Local
            } else {
                ExternalTrafficPolicy::Cluster
            },
            health_check_node_port: local.then_some(32000 + a),
            ingress_ip: Some(public),
            ..Service::default()
        });
        lb.frontend_ip_configurations.push(FrontendIpConfiguration {
            name: uid.clone(),
            public_ip_address: Some(format!("pip-{a}")),
            private_ip_address: None,
        });
        lb.probes.push(Probe {
            name: uid.clone(),
            protocol: if local { "Http".into() } else { "Tcp".into() },
            port: if local { 32000 + a } else { 30000 + a },
            request_path: local.then(|| "/healthz".into()),
        });
        lb.load_balancing_rules.push(LoadBalancingRule {
            name: format!("{uid}-TCP-{port}"),
            frontend_ip_configuration: uid.clone(),
            protocol: "Tcp".into(),
            frontend_port: port,
            backend_port: port,
            enable_floating_ip: true,
            probe: Some(uid.clone()),
            load_distribution: None,
        });
        agent.security_rules.push(SecurityRule {
            name: format!("{uid}-TCP-{port}-Internet"),
            description: None,
            priority: 500 + u32::from(a),
            direction: Direction::Inbound,
            access: Access::Allow,
            protocol: RuleProtocol::Only(Protocol::Tcp),
            source: AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag("Internet".into())]),
            source_ports: vec![PortRange::Any],
            destination: AddressSpec::Prefixes(vec![AddressPrefix::Cidr(public.into())]),
            destination_ports: vec![PortRange::single(port)],
        });
    }
    s.load_balancer = Some(lb);
    s.network_security_groups = vec![agent, subnet].into();
    s
}

fn benches(c: &mut Criterion) {
    let nsg = big_nsg();
    let ctx = EvalContext {
        vnet_prefixes: vec!["10.0.0.0/16".parse().unwrap()],
        ..EvalContext::default()
    };
    let from = internet(&ctx);
    let reach = nsg_exposure(&nsg, Direction::Inbound, Protocol::Tcp, &from, &ctx);
    assert!(!reach.allowed.is_empty());
    c.bench_function("nsg_exposure 1,000 rules, TCP from the Internet", |b| {
        b.iter(|| {
            nsg_exposure(
                black_box(&nsg),
                Direction::Inbound,
                Protocol::Tcp,
                black_box(&from),
                &ctx,
            )
        })
    });
    let scenario = big_scenario();
    let found = exposure(&scenario);
    // 10 Services: 5 Cluster (every pod of the Service via every node) and 5 Local.
    assert!(found.entries.len() >= 50 + 20, "{}", found.entries.len());
    c.bench_function("exposure, 50-node scenario", |b| {
        b.iter(|| exposure(black_box(&scenario)))
    });
    // The same with NetworkPolicy: a default-deny ingress in the namespace and, per app,
    // an allow from two office ranges by ipBlock on the pod's port (Azure NPM).
    let mut with_policies = scenario.clone();
    with_policies.network_policy_engine = packetwalk::netpol::PolicyEngine::Azure;
    let mut policies = vec![serde_json::json!({"kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "default"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})];
    for app in 0..10 {
        policies.push(serde_json::json!({"kind": "NetworkPolicy",
            "metadata": {"name": format!("allow-app{app}"), "namespace": "default"},
            "spec": {"podSelector": {"matchLabels": {"app": format!("app{app}")}},
                     "ingress": [{"from": [{"ipBlock": {"cidr": "198.51.100.0/24"}},
                                           {"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}],
                                  "ports": [{"port": 8080}]}]}}));
    }
    let doc: packetwalk::json::Value =
        serde_json::from_value(serde_json::Value::Array(policies)).unwrap();
    with_policies.network_policies = packetwalk::netpol::policies_from_value(&doc).value.into();
    assert_eq!(with_policies.network_policies.policies.len(), 11);
    assert!(exposure(&with_policies).entries.len() >= 50);
    c.bench_function("exposure, 50-node scenario with NetworkPolicy", |b| {
        b.iter(|| exposure(black_box(&with_policies)))
    });
    c.bench_function("lint_nsg 1,000 rules", |b| {
        b.iter(|| lint_nsg(black_box(&nsg), &ctx))
    });
}

criterion_group! {
    name = analysis;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(analysis);
