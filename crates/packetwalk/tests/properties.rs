//! Property tests: the explained evaluator, the compiled classifier and a plainly written
//! reference agree (spec §1); export then import is the identity (spec §2); nothing the
//! user can paste panics the importer, the validator or the evaluators.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ipnet::IpNet;
use packetwalk::json::Value;
use packetwalk::{
    evaluate_nsg, evaluate_path, import_nsgs, rule_table, to_az_json, validate_nsg, Access,
    AddressPrefix, AddressSpec, AppliedTo, CompiledNsg, Direction, EvalContext, Flow,
    NetworkSecurityGroup, PortRange, Protocol, RuleKind, RuleProtocol, SecurityRule,
};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The reference: rules of the flow's direction sorted by priority, the first whose five
/// conditions hold decides. Written without the crate's helpers.
mod reference {
    use super::*;

    const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16));

    fn supplied(ctx: &EvalContext, tag: &str, ip: IpAddr) -> bool {
        ctx.service_tags
            .iter()
            .filter(|(name, _)| name.to_lowercase() == tag.to_lowercase())
            .any(|(_, nets)| nets.iter().any(|n| n.contains(&ip)))
    }

    fn in_virtual_network(ctx: &EvalContext, ip: IpAddr) -> bool {
        ip == HOST
            || ctx.vnet_prefixes.iter().any(|n| n.contains(&ip))
            || supplied(ctx, "VirtualNetwork", ip)
    }

    fn address(spec: &AddressSpec, ip: IpAddr, asgs: &[String], ctx: &EvalContext) -> bool {
        match spec {
            AddressSpec::ApplicationSecurityGroups(names) => names
                .iter()
                .any(|n| asgs.iter().any(|a| a.to_lowercase() == n.to_lowercase())),
            AddressSpec::Prefixes(prefixes) => prefixes.iter().any(|p| match p {
                AddressPrefix::Any(raw) if raw == "0.0.0.0/0" => ip.is_ipv4(),
                AddressPrefix::Any(raw) if raw == "::/0" => ip.is_ipv6(),
                AddressPrefix::Any(_) => true,
                AddressPrefix::Cidr(net) => net.contains(&ip),
                AddressPrefix::ServiceTag(tag) => match tag.to_lowercase().as_str() {
                    "virtualnetwork" => in_virtual_network(ctx, ip),
                    "internet" => !in_virtual_network(ctx, ip),
                    "azureloadbalancer" => ip == HOST || supplied(ctx, tag, ip),
                    _ => supplied(ctx, tag, ip),
                },
                AddressPrefix::Invalid(_) => false,
            }),
        }
    }

    fn ports(ranges: &[PortRange], port: Option<u16>) -> bool {
        ranges.iter().any(|r| match (r, port) {
            (PortRange::Any, _) => true,
            (PortRange::Range { first, last }, Some(p)) => *first <= p && p <= *last,
            (PortRange::Range { first, last }, None) => *first == 0 && *last == 65535,
            (PortRange::Invalid(_), _) => false,
        })
    }

    pub fn decide(
        nsg: &NetworkSecurityGroup,
        flow: &Flow,
        ctx: &EvalContext,
    ) -> (Access, Option<(RuleKind, usize)>) {
        let mut rules: Vec<(u32, RuleKind, usize, &SecurityRule)> = Vec::new();
        for (i, r) in nsg.security_rules.iter().enumerate() {
            rules.push((r.priority, RuleKind::User, i, r));
        }
        for (i, r) in nsg.default_security_rules.iter().enumerate() {
            rules.push((r.priority, RuleKind::Default, i, r));
        }
        rules.retain(|(_, _, _, r)| r.direction == flow.direction);
        rules.sort_by_key(|(priority, kind, index, _)| (*priority, *kind, *index));
        let (source, source_port) = flow.source();
        let (destination, destination_port) = flow.destination();
        let has_ports = matches!(flow.protocol, Protocol::Tcp | Protocol::Udp);
        let (source_asgs, destination_asgs) = if flow.direction == Direction::Inbound {
            (&ctx.remote_asgs, &ctx.local_asgs)
        } else {
            (&ctx.local_asgs, &ctx.remote_asgs)
        };
        for (_, kind, index, rule) in rules {
            let protocol = match &rule.protocol {
                RuleProtocol::Any => true,
                RuleProtocol::Only(p) => *p == flow.protocol,
                RuleProtocol::Invalid(_) => false,
            };
            if protocol
                && address(&rule.source, source, source_asgs, ctx)
                && address(&rule.destination, destination, destination_asgs, ctx)
                && ports(&rule.source_ports, has_ports.then_some(source_port))
                && ports(
                    &rule.destination_ports,
                    has_ports.then_some(destination_port),
                )
            {
                return (rule.access, Some((kind, index)));
            }
        }
        (Access::Deny, None)
    }
}

fn ipv4() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u8..4, any::<u8>()).prop_map(|(c, d)| IpAddr::V4(Ipv4Addr::new(10, 0, c, d))),
        Just(IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16))),
        Just(IpAddr::V4(Ipv4Addr::new(192, 168, 5, 5))),
        (any::<u8>(), any::<u8>()).prop_map(|(c, d)| IpAddr::V4(Ipv4Addr::new(8, 8, c, d))),
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
    ]
}

fn ipv6() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u16..4, any::<u16>())
            .prop_map(|(a, b)| IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, a, b))),
        any::<u16>().prop_map(|b| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, b))),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![3 => ipv4(), 1 => ipv6()]
}

fn net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (ipv4(), 8u8..=32).prop_map(|(a, len)| IpNet::new(a, len).expect("v4 length")),
        (ipv6(), 48u8..=128).prop_map(|(a, len)| IpNet::new(a, len).expect("v6 length")),
    ]
}

fn prefix() -> impl Strategy<Value = AddressPrefix> {
    prop_oneof![
        1 => prop::sample::select(vec!["*", "Any", "0.0.0.0/0", "::/0"]).prop_map(|s| AddressPrefix::Any(s.to_owned())),
        4 => net().prop_map(AddressPrefix::Cidr),
        2 => prop::sample::select(vec!["VirtualNetwork", "internet", "AzureLoadBalancer", "Storage", "AzureCloud"])
            .prop_map(|s| AddressPrefix::ServiceTag(s.to_owned())),
        1 => prop::sample::select(vec!["789", "1234", "10.0.0.300"]).prop_map(|s| AddressPrefix::Invalid(s.to_owned())),
    ]
}

const ASGS: [&str; 3] = ["web", "db", "App"];

fn address_spec() -> impl Strategy<Value = AddressSpec> {
    prop_oneof![
        4 => prop::collection::vec(prefix(), 1..4).prop_map(AddressSpec::Prefixes),
        1 => prop::collection::vec(prop::sample::select(ASGS.to_vec()).prop_map(str::to_owned), 1..3)
            .prop_map(AddressSpec::ApplicationSecurityGroups),
    ]
}

fn port_range() -> impl Strategy<Value = PortRange> {
    let port = prop_oneof![0u16..100, Just(65535u16), any::<u16>()];
    prop_oneof![
        2 => Just(PortRange::Any),
        4 => (port.clone(), port).prop_map(|(a, b)| PortRange::Range { first: a.min(b), last: a.max(b) }),
        1 => Just(PortRange::Range { first: 0, last: 65535 }),
        1 => prop::sample::select(vec!["90-80", "http"]).prop_map(|s| PortRange::Invalid(s.to_owned())),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(Protocol::ALL.to_vec())
}

fn rule_protocol() -> impl Strategy<Value = RuleProtocol> {
    prop_oneof![
        2 => Just(RuleProtocol::Any),
        4 => protocol().prop_map(RuleProtocol::Only),
        1 => prop::sample::select(vec!["http", ""]).prop_map(|s| RuleProtocol::Invalid(s.to_owned())),
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::Inbound), Just(Direction::Outbound)]
}

fn security_rule() -> impl Strategy<Value = SecurityRule> {
    (
        "[a-zA-Z0-9_.-]{1,12}",
        prop::option::of("[ -~]{0,20}"),
        prop_oneof![100u32..110, 100u32..=4096, Just(65000u32)],
        direction(),
        prop_oneof![Just(Access::Allow), Just(Access::Deny)],
        rule_protocol(),
        address_spec(),
        prop::collection::vec(port_range(), 1..3),
        address_spec(),
        prop::collection::vec(port_range(), 1..3),
    )
        .prop_map(
            |(
                name,
                description,
                priority,
                direction,
                access,
                protocol,
                source,
                source_ports,
                destination,
                destination_ports,
            )| {
                SecurityRule {
                    name,
                    description,
                    priority,
                    direction,
                    access,
                    protocol,
                    source,
                    source_ports,
                    destination,
                    destination_ports,
                }
            },
        )
}

fn nsg() -> impl Strategy<Value = NetworkSecurityGroup> {
    (
        prop::collection::vec(security_rule(), 0..14),
        any::<bool>(),
        prop::option::of("[a-z-]{1,10}"),
    )
        .prop_map(|(rules, keep_defaults, resource_group)| {
            let mut nsg = NetworkSecurityGroup::new("nsg-under-test");
            nsg.resource_group = resource_group;
            nsg.security_rules = rules;
            if !keep_defaults {
                // Without the DenyAll rules some flows match nothing at all.
                nsg.default_security_rules
                    .retain(|r| !r.name.starts_with("Deny"));
            }
            nsg
        })
}

fn flow() -> impl Strategy<Value = Flow> {
    let port = prop_oneof![0u16..100, any::<u16>()];
    (direction(), protocol(), ip(), port.clone(), ip(), port).prop_map(
        |(direction, protocol, local_ip, local_port, remote_ip, remote_port)| Flow {
            direction,
            protocol,
            local_ip,
            local_port,
            remote_ip,
            remote_port,
        },
    )
}

fn context() -> impl Strategy<Value = EvalContext> {
    let asgs = prop::collection::vec(
        prop::sample::select(vec!["web", "DB", "other"]).prop_map(str::to_owned),
        0..3,
    );
    (any::<bool>(), any::<bool>(), asgs.clone(), asgs).prop_map(
        |(vnet, storage, local_asgs, remote_asgs)| {
            let nets = |list: &[&str]| {
                list.iter()
                    .map(|s| s.parse().expect("CIDR"))
                    .collect::<Vec<IpNet>>()
            };
            EvalContext {
                vnet_prefixes: if vnet {
                    nets(&["10.0.0.0/23", "fd00::/64"])
                } else {
                    Vec::new()
                },
                service_tags: if storage {
                    vec![(
                        "storage".to_owned(),
                        nets(&["10.0.2.0/24", "8.8.0.0/16", "2001:db8::/120"]),
                    )]
                } else {
                    Vec::new()
                },
                local_asgs,
                remote_asgs,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn explained_compiled_and_reference_agree(nsg in nsg(), flows in prop::collection::vec(flow(), 1..8), ctx in context()) {
        let compiled = CompiledNsg::new(&nsg, &ctx);
        for flow in &flows {
            let expected = reference::decide(&nsg, flow, &ctx);
            let explained = evaluate_nsg(&nsg, AppliedTo::Nic, flow, &ctx);
            let deciding = explained.deciding_rule.and_then(|i| explained.rules.get(i)).map(|r| (r.kind, r.index));
            prop_assert_eq!((explained.access, deciding), expected, "explained, flow {:?}", flow);
            let decision = compiled.decide(flow);
            prop_assert_eq!((decision.access, decision.rule.map(|r| (r.kind, r.index))), expected, "compiled, flow {:?}", flow);
            prop_assert_eq!(packetwalk::eval::decide_access(&nsg, flow, &ctx), expected.0, "decide_access, flow {:?}", flow);
            // Every rule of the direction is listed, in priority order, one decided at most.
            let priorities: Vec<u32> = explained.rules.iter().map(|r| r.priority).collect();
            prop_assert!(priorities.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(explained.rules.iter().filter(|r| r.decided).count() <= 1);
        }
    }

    #[test]
    fn compiled_path_agrees_with_evaluate_path(subnet in prop::option::of(nsg()), nic in prop::option::of(nsg()), flows in prop::collection::vec(flow(), 1..8), ctx in context()) {
        // spec §1 "Subnet NSG and NIC NSG": both must allow, in Azure's order per direction.
        let compiled = packetwalk::CompiledPath::new(subnet.as_ref(), nic.as_ref(), &ctx);
        for flow in &flows {
            let explained = evaluate_path(subnet.as_ref(), nic.as_ref(), flow, &ctx);
            prop_assert_eq!(compiled.decide(flow), (explained.access, explained.rule_name), "flow {:?}", flow);
        }
    }

    #[test]
    fn export_then_import_is_identity(nsg in nsg()) {
        let mut nsg = nsg;
        nsg.add_missing_default_rules();
        let imported = import_nsgs(&to_az_json(&nsg));
        prop_assert_eq!(imported.value, vec![nsg]);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        prop_oneof![Just(-1.0), Just(65000.0), Just(1e20), Just(4096.5)].prop_map(Value::Number),
        ".*".prop_map(Value::String),
        prop::sample::select(vec![
            "*",
            "Inbound",
            "outbound",
            "ALLOW",
            "Deny",
            "tcp",
            "10.0.0.0/8",
            "::/0",
            "1-2",
            "65536",
            ""
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let keys = prop::sample::select(vec![
        "name",
        "properties",
        "value",
        "resources",
        "securityRules",
        "defaultSecurityRules",
        "type",
        "id",
        "priority",
        "direction",
        "access",
        "protocol",
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
        "destinationAddressPrefix",
        "destinationAddressPrefixes",
        "sourcePortRange",
        "sourcePortRanges",
        "destinationPortRange",
        "destinationPortRanges",
        "sourceApplicationSecurityGroups",
        "destinationApplicationSecurityGroups",
        "description",
        "NewNSG",
        "apiVersion",
    ]);
    leaf.prop_recursive(6, 200, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone().prop_map(str::to_owned), inner), 0..8)
                .prop_map(Value::Object),
        ]
    })
}

fn exercise(doc: &Value) {
    let imported = import_nsgs(doc);
    let ctx = EvalContext::default();
    let flow = Flow {
        direction: Direction::Inbound,
        protocol: Protocol::Tcp,
        local_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4)),
        local_port: 80,
        remote_ip: IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
        remote_port: 5000,
    };
    for nsg in &imported.value {
        let _ = validate_nsg(nsg);
        let _ = rule_table(nsg, true);
        let _ = evaluate_path(Some(nsg), Some(nsg), &flow, &ctx);
        let _ = CompiledNsg::new(nsg, &ctx).decide(&flow);
        let _ = import_nsgs(&to_az_json(nsg));
    }
    for w in &imported.warnings {
        let _ = w.to_string();
    }
}

/// A rule with arbitrary strings (or any value) in every field.
fn rule_with_arbitrary_fields() -> impl Strategy<Value = Value> {
    let fields = [
        "name",
        "priority",
        "direction",
        "access",
        "protocol",
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
        "destinationAddressPrefix",
        "destinationAddressPrefixes",
        "sourcePortRange",
        "sourcePortRanges",
        "destinationPortRange",
        "destinationPortRanges",
        "sourceApplicationSecurityGroups",
        "destinationApplicationSecurityGroups",
        "description",
    ];
    let value = prop_oneof![
        3 => ".*".prop_map(Value::String),
        1 => json_value(),
        1 => prop::collection::vec(".*".prop_map(Value::String), 0..4).prop_map(Value::Array),
    ];
    prop::collection::vec(value, fields.len()).prop_map(move |values| {
        let mut members: Vec<(String, Value)> =
            fields.iter().map(|f| f.to_string()).zip(values).collect();
        members.push(("direction".to_owned(), Value::String("Inbound".to_owned())));
        Value::Object(members)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_documents_never_panic(doc in json_value()) {
        exercise(&doc);
    }

    #[test]
    fn arbitrary_strings_in_every_field_never_panic(rules in prop::collection::vec(rule_with_arbitrary_fields(), 1..4), wrap in any::<bool>()) {
        let rules = Value::Array(rules);
        let doc = if wrap {
            Value::Object(vec![("name".to_owned(), Value::String("n".to_owned())), ("securityRules".to_owned(), rules)])
        } else {
            rules
        };
        exercise(&doc);
    }
}
