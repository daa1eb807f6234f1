//! Property tests of the analyses (spec §1): the set arithmetic agrees with a BTreeSet
//! over a small universe, and the exact NSG analysis agrees with the explained evaluator
//! (`evaluate_nsg`) on randomly sampled flows of random small rule sets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ipnet::IpNet;
use packetwalk::analysis::{
    lint_nsg, nsg_exposure, nsg_reach, AddrSet, FindingKind, IntervalSet, Region,
};
use packetwalk::{
    evaluate_nsg, Access, AddressPrefix, AddressSpec, AppliedTo, Direction, EvalContext, Flow,
    NetworkSecurityGroup, PortRange, Protocol, RuleProtocol, SecurityRule,
};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

// ---- set arithmetic against BTreeSet over 0..64 ------------------------------------

fn small_set() -> impl Strategy<Value = Vec<(u16, u16)>> {
    prop::collection::vec(
        (0u16..64, 0u16..64).prop_map(|(a, b)| (a.min(b), a.max(b))),
        0..5,
    )
}

fn reference(ranges: &[(u16, u16)]) -> BTreeSet<u16> {
    ranges.iter().flat_map(|&(a, b)| a..=b).collect()
}

fn members(set: &IntervalSet<u16>) -> BTreeSet<u16> {
    (0u16..=70).filter(|p| set.contains(*p)).collect()
}

proptest! {
    #[test]
    fn interval_set_matches_btreeset(a in small_set(), b in small_set()) {
        let (sa, sb) = (IntervalSet::from_ranges(a.clone()), IntervalSet::from_ranges(b.clone()));
        let (ra, rb) = (reference(&a), reference(&b));
        prop_assert_eq!(members(&sa), ra.clone());
        prop_assert_eq!(members(&sa.union(&sb)), &ra | &rb);
        prop_assert_eq!(members(&sa.intersect(&sb)), &ra & &rb);
        prop_assert_eq!(members(&sa.subtract(&sb)), &ra - &rb);
        prop_assert_eq!(sa.intersects(&sb), !(&ra & &rb).is_empty());
        prop_assert_eq!(sa.is_subset(&sb), ra.is_subset(&rb));
        let universe: BTreeSet<u16> = (0u16..=70).collect();
        prop_assert_eq!(members(&sa.complement()), &universe - &ra);
        // Canonical: sorted, disjoint, not adjacent, whichever operation built it.
        for set in [&sa, &sa.union(&sb), &sa.intersect(&sb), &sa.subtract(&sb), &sa.complement()] {
            for w in set.ranges().windows(2) {
                prop_assert!(w[0].1 + 1 < w[1].0);
            }
        }
    }

    /// CIDR conversion covers exactly the set, with aligned blocks.
    #[test]
    fn cidrs_cover_exactly(a in prop::collection::vec((any::<u32>(), 0u32..5000), 0..4), probes in prop::collection::vec(any::<u32>(), 20)) {
        let set = AddrSet {
            v4: IntervalSet::from_ranges(a.iter().map(|&(s, len)| (s, s.saturating_add(len)))),
            v6: IntervalSet::empty(),
        };
        let nets = set.to_cidrs();
        prop_assert_eq!(AddrSet::from_nets(&nets), set.clone());
        for p in probes.iter().copied().chain(a.iter().map(|&(s, _)| s)) {
            let ip = IpAddr::V4(Ipv4Addr::from(p));
            prop_assert_eq!(set.contains(ip), nets.iter().any(|n| n.contains(&ip)));
        }
    }

    /// The four pieces of a box difference are disjoint and, with the intersection, make up the box.
    #[test]
    fn region_subtract_partitions(a in small_set(), b in small_set(), c in small_set(), d in small_set(), probe in (0u16..64, 0u16..64)) {
        let ports = |r: &Vec<(u16, u16)>| IntervalSet::from_ranges(r.clone());
        let x = Region { source_ports: ports(&a), destination_ports: ports(&b), ..Region::everything() };
        let y = Region { source_ports: ports(&c), destination_ports: ports(&d), ..Region::everything() };
        let ip = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
        let pieces = x.subtract(&y);
        let count = pieces.iter().filter(|p| p.contains(ip, probe.0, ip, probe.1)).count();
        let in_x = x.contains(ip, probe.0, ip, probe.1);
        let in_y = y.contains(ip, probe.0, ip, probe.1);
        prop_assert_eq!(count, usize::from(in_x && !in_y));
    }

    /// `split` (the carving's one-pass cut, whose order of cuts adapts to the rule)
    /// gives the intersection, and pieces that are disjoint and make up the rest of the
    /// box, in all four dimensions.
    #[test]
    fn region_split_partitions(
        sets in prop::collection::vec(small_set(), 8),
        v4 in prop::collection::vec((any::<u32>(), 0u32..3000), 4),
        probes in prop::collection::vec((0u32..72, 0u16..72, 0u32..72, 0u16..72), 64),
    ) {
        let ports = |r: &Vec<(u16, u16)>| IntervalSet::from_ranges(r.clone());
        // Addresses: small sets near 10.0.0.0, so the two boxes often overlap.
        let addrs = |r: &Vec<(u16, u16)>, (base, extra): (u32, u32)| AddrSet {
            v4: IntervalSet::from_ranges(r.iter().map(|&(a, b)| (0x0a00_0000 + u32::from(a), 0x0a00_0000 + u32::from(b) + extra % 4))),
            v6: if base % 3 == 0 { IntervalSet::full() } else { IntervalSet::empty() },
        };
        let x = Region { sources: addrs(&sets[0], v4[0]), source_ports: ports(&sets[1]), destinations: addrs(&sets[2], v4[1]), destination_ports: ports(&sets[3]) };
        let y = Region { sources: addrs(&sets[4], v4[2]), source_ports: ports(&sets[5]), destinations: addrs(&sets[6], v4[3]), destination_ports: ports(&sets[7]) };
        let (inside, outside) = x.clone().split(&y);
        prop_assert_eq!(&inside, &x.intersect(&y));
        if inside.is_none() {
            prop_assert_eq!(outside, vec![x]);
            return Ok(());
        }
        prop_assert!(outside.len() <= 4);
        let ip = |offset: u32| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + offset));
        for (s, sp, d, dp) in probes {
            let (s, d) = (ip(s), ip(d));
            let in_x = x.contains(s, sp, d, dp);
            let in_y = y.contains(s, sp, d, dp);
            let pieces = outside.iter().filter(|p| p.contains(s, sp, d, dp)).count();
            prop_assert_eq!(pieces, usize::from(in_x && !in_y));
        }
    }
}

// ---- exact NSG analysis against evaluate_nsg --------------------------------------

const NETS: [&str; 6] = [
    "10.0.0.0/24",
    "10.0.0.0/25",
    "10.0.1.0/24",
    "8.8.8.0/30",
    "0.0.0.0/0",
    "fd00::/120",
];
const TAGS: [&str; 4] = ["VirtualNetwork", "Internet", "AzureLoadBalancer", "Storage"];

fn ctx() -> EvalContext {
    EvalContext {
        vnet_prefixes: vec!["10.0.0.0/16".parse().unwrap()],
        service_tags: vec![("Storage".to_owned(), vec!["8.8.8.0/31".parse().unwrap()])],
        local_asgs: vec!["web".to_owned()],
        remote_asgs: vec![],
    }
}

fn prefix() -> impl Strategy<Value = AddressPrefix> {
    prop_oneof![
        1 => Just(AddressPrefix::Any("*".to_owned())),
        4 => prop::sample::select(NETS.to_vec()).prop_map(|n| {
            let net: IpNet = n.parse().unwrap();
            if n == "0.0.0.0/0" { AddressPrefix::Any(n.to_owned()) } else { AddressPrefix::Cidr(net) }
        }),
        2 => prop::sample::select(TAGS.to_vec()).prop_map(|t| AddressPrefix::ServiceTag(t.to_owned())),
        1 => Just(AddressPrefix::Invalid("789".to_owned())),
    ]
}

fn address() -> impl Strategy<Value = AddressSpec> {
    prop_oneof![
        6 => prop::collection::vec(prefix(), 1..3).prop_map(AddressSpec::Prefixes),
        1 => prop::sample::select(vec!["web", "db"]).prop_map(|a| AddressSpec::ApplicationSecurityGroups(vec![a.to_owned()])),
    ]
}

fn ports() -> impl Strategy<Value = Vec<PortRange>> {
    let range = prop_oneof![
        2 => Just(PortRange::Any),
        4 => (0u16..12, 0u16..12).prop_map(|(a, b)| PortRange::Range { first: a.min(b), last: a.max(b) }),
        1 => Just(PortRange::Range { first: 0, last: 65535 }),
        1 => Just(PortRange::Invalid("http".to_owned())),
    ];
    prop::collection::vec(range, 1..3)
}

fn rules() -> impl Strategy<Value = Vec<SecurityRule>> {
    let rule = (
        100u32..120,
        prop_oneof![Just(Direction::Inbound), Just(Direction::Outbound)],
        prop_oneof![Just(Access::Allow), Just(Access::Deny)],
        prop_oneof![2 => Just(RuleProtocol::Any), 3 => prop::sample::select(Protocol::ALL.to_vec()).prop_map(RuleProtocol::Only)],
        address(),
        ports(),
        address(),
        ports(),
    )
        .prop_map(|(priority, direction, access, protocol, source, source_ports, destination, destination_ports)| SecurityRule {
            name: format!("r{priority}"),
            description: None,
            priority,
            direction,
            access,
            protocol,
            source,
            source_ports,
            destination,
            destination_ports,
        });
    prop::collection::vec(rule, 0..6)
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u8..2, 0u8..200).prop_map(|(c, d)| IpAddr::V4(Ipv4Addr::new(10, 0, c, d))),
        (0u8..6).prop_map(|d| IpAddr::V4(Ipv4Addr::new(8, 8, 8, d))),
        Just(IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16))),
        Just(IpAddr::V4(Ipv4Addr::new(192, 168, 5, 5))),
        (0u16..300).prop_map(|b| IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, b))),
    ]
}

fn flow() -> impl Strategy<Value = Flow> {
    (
        prop_oneof![Just(Direction::Inbound), Just(Direction::Outbound)],
        prop::sample::select(Protocol::ALL.to_vec()),
        ip(),
        0u16..14,
        ip(),
        0u16..14,
    )
        .prop_map(
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

fn nsg(rules: Vec<SecurityRule>, defaults: bool) -> NetworkSecurityGroup {
    let mut nsg = NetworkSecurityGroup::new("p");
    nsg.security_rules = rules;
    if !defaults {
        nsg.default_security_rules.clear();
    }
    nsg
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every sampled flow that evaluate_nsg allows lies in the computed allowed set (with
    /// the same deciding rule), every denied one outside it.
    #[test]
    fn reach_agrees_with_evaluate_nsg(rules in rules(), defaults in any::<bool>(), flows in prop::collection::vec(flow(), 16)) {
        let nsg = nsg(rules, defaults);
        let ctx = ctx();
        for flow in flows {
            let reach = nsg_reach(&nsg, flow.direction, flow.protocol, &Region::everything(), &ctx);
            let (src, sport) = flow.source();
            let (dst, dport) = flow.destination();
            let (sport, dport) = if flow.protocol.has_ports() { (sport, dport) } else { (0, 0) };
            let expected = evaluate_nsg(&nsg, AppliedTo::Nic, &flow, &ctx);
            let allowing = reach.allowing_rule(src, sport, dst, dport);
            match expected.access {
                Access::Allow => {
                    let rule = allowing.unwrap_or_else(|| panic!("{flow:?} allowed by {} but outside {reach:#?}", expected.rule_name));
                    prop_assert_eq!(format!("{}/{}", rule.rule.kind.collection(), rule.name), expected.rule_name);
                }
                Access::Deny => prop_assert!(allowing.is_none(), "{:?} denied by {} but inside via {:?}", flow, expected.rule_name, allowing.map(|r| &r.name)),
            }
        }
    }

    /// Restricting the sources restricts the answer exactly: flows from outside the
    /// source set are in no box, flows inside agree with evaluate_nsg.
    #[test]
    fn restricted_sources_agree(rules in rules(), flows in prop::collection::vec(flow(), 16)) {
        let nsg = nsg(rules, true);
        let ctx = ctx();
        let sources = AddrSet::from_nets(&["10.0.0.0/25".parse::<IpNet>().unwrap(), "8.8.8.0/30".parse().unwrap()]);
        for flow in flows {
            let reach = nsg_exposure(&nsg, flow.direction, flow.protocol, &sources, &ctx);
            let (src, sport) = flow.source();
            let (dst, dport) = flow.destination();
            let (sport, dport) = if flow.protocol.has_ports() { (sport, dport) } else { (0, 0) };
            let allowed = reach.allowing_rule(src, sport, dst, dport).is_some();
            let expected = sources.contains(src) && evaluate_nsg(&nsg, AppliedTo::Nic, &flow, &ctx).access == Access::Allow;
            prop_assert_eq!(allowed, expected);
        }
    }

    /// Removing a rule the lint calls shadowed, redundant or never-matching changes no
    /// verdict of any sampled flow.
    #[test]
    fn lint_removals_change_no_verdict(rules in rules(), flows in prop::collection::vec(flow(), 24)) {
        // The lint reads ASG membership as unknown; keep the sample free of ASGs so the
        // evaluator's context-dependent reading cannot differ.
        let rules: Vec<SecurityRule> = rules.into_iter().filter(|r| !matches!(r.source, AddressSpec::ApplicationSecurityGroups(_)) && !matches!(r.destination, AddressSpec::ApplicationSecurityGroups(_))).collect();
        let mut unique = Vec::new();
        for r in rules {
            if !unique.iter().any(|u: &SecurityRule| u.priority == r.priority && u.direction == r.direction) {
                unique.push(r);
            }
        }
        let full = nsg(unique, true);
        let ctx = ctx();
        for finding in lint_nsg(&full, &ctx) {
            prop_assert!(matches!(finding.kind, FindingKind::Shadowed | FindingKind::Redundant | FindingKind::NeverMatches));
            let mut without = full.clone();
            without.security_rules.retain(|r| !(r.name == finding.rules[0] && r.direction == finding.direction));
            for flow in &flows {
                let a = evaluate_nsg(&full, AppliedTo::Nic, flow, &ctx).access;
                let b = evaluate_nsg(&without, AppliedTo::Nic, flow, &ctx).access;
                prop_assert_eq!(a, b, "removing {} ({:?}) changed {:?}", finding.rules[0], finding.kind, flow);
            }
        }
    }
}
