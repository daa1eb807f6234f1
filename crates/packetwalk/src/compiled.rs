//! The verdict alone, fast: bit-vector packet classification (Lakshman and Stiliadis).
//!
//! Per direction, each of the five dimensions (protocol, source address, source port,
//! destination address, destination port) is cut into elementary intervals; each interval
//! holds the bitset of the rules (indexed in priority order) whose condition covers it.
//! A flow costs one binary search per dimension, an AND of five bitsets and a
//! trailing-zeros count: the lowest set bit is the first matching rule.
//!
//! The answers are those of [`crate::eval::evaluate_nsg`], readings included; ASG
//! conditions and service tags are resolved against the context at compile time.

use crate::eval::{
    asg_member, covers_every_port, rules_in_priority_order, Coverage, EvalContext, RuleRef,
    TagResolver,
};
use crate::model::{
    Access, AddressSpec, Direction, Flow, NetworkSecurityGroup, PortRange, Protocol, RuleProtocol,
};
use ipnet::IpNet;
use std::net::IpAddr;

/// The verdict of one NSG for one flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub access: Access,
    /// The deciding rule; `None` when no rule matched (an NSG without its default
    /// rules), which is a Deny.
    pub rule: Option<RuleRef>,
}

/// The point of the port dimension standing for "this flow has no ports".
const NO_PORT: u32 = 65536;

trait Point: Copy + Ord {
    const MIN: Self;
    const MAX: Self;
    fn successor(self) -> Option<Self>;
    fn predecessor(self) -> Option<Self>;
}

impl Point for u32 {
    const MIN: u32 = 0;
    const MAX: u32 = u32::MAX;
    fn successor(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn predecessor(self) -> Option<u32> {
        self.checked_sub(1)
    }
}

impl Point for u128 {
    const MIN: u128 = 0;
    const MAX: u128 = u128::MAX;
    fn successor(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn predecessor(self) -> Option<u128> {
        self.checked_sub(1)
    }
}

/// One dimension: `starts[i]` begins elementary interval `i`, which runs to the next start.
#[derive(Clone, Debug)]
struct Dimension<T> {
    starts: Vec<T>,
    bits: Vec<u64>,
}

impl<T: Point> Dimension<T> {
    /// `ranges[rule]` lists the inclusive ranges that rule's condition covers.
    fn new(ranges: &[Vec<(T, T)>], words: usize) -> Dimension<T> {
        let mut starts = vec![T::MIN];
        for &(first, last) in ranges.iter().flatten() {
            starts.push(first);
            if let Some(next) = last.successor() {
                starts.push(next);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut bits = vec![0u64; starts.len() * words];
        for (rule, rule_ranges) in ranges.iter().enumerate() {
            let (word, bit) = (rule / 64, 1u64 << (rule % 64));
            for &(first, last) in rule_ranges {
                let low = starts.partition_point(|s| *s < first);
                let high = match last.successor() {
                    Some(next) => starts.partition_point(|s| *s < next),
                    None => starts.len(),
                };
                for interval in low..high {
                    if let Some(w) = bits.get_mut(interval * words + word) {
                        *w |= bit;
                    }
                }
            }
        }
        Dimension { starts, bits }
    }

    #[inline]
    fn lookup(&self, point: T, words: usize) -> &[u64] {
        let interval = self
            .starts
            .partition_point(|s| *s <= point)
            .saturating_sub(1);
        self.bits
            .get(interval * words..(interval + 1) * words)
            .unwrap_or_default()
    }
}

/// The rules of one direction.
#[derive(Clone, Debug)]
struct Classifier {
    words: usize,
    rules: Vec<(RuleRef, Access)>,
    /// `words` bitset words per protocol, in `Protocol::ALL` order.
    protocol: Vec<u64>,
    source_v4: Dimension<u32>,
    source_v6: Dimension<u128>,
    source_port: Dimension<u32>,
    destination_v4: Dimension<u32>,
    destination_v6: Dimension<u128>,
    destination_port: Dimension<u32>,
}

type AddressRanges = (Vec<(u32, u32)>, Vec<(u128, u128)>);

fn net_ranges(net: &IpNet, ranges: &mut AddressRanges) {
    match net {
        IpNet::V4(n) => ranges
            .0
            .push((u32::from(n.network()), u32::from(n.broadcast()))),
        IpNet::V6(n) => ranges
            .1
            .push((u128::from(n.network()), u128::from(n.broadcast()))),
    }
}

/// The complement of the union of `ranges` within the whole space of `T`.
fn complement<T: Point>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut next_free = Some(T::MIN);
    for (first, last) in ranges {
        let Some(free) = next_free else { break };
        if first > free {
            if let Some(before) = first.predecessor() {
                out.push((free, before));
            }
        }
        if last >= free {
            next_free = last.successor();
        }
    }
    if let Some(free) = next_free {
        out.push((free, T::MAX));
    }
    out
}

fn address_ranges(
    spec: &AddressSpec,
    endpoint_asgs: &[String],
    tags: &TagResolver<'_>,
) -> AddressRanges {
    let everything = || (vec![(0, u32::MAX)], vec![(0, u128::MAX)]);
    let mut ranges: AddressRanges = (Vec::new(), Vec::new());
    match spec {
        AddressSpec::ApplicationSecurityGroups(asgs) => {
            if asg_member(asgs, endpoint_asgs) {
                ranges = everything();
            }
        }
        AddressSpec::Prefixes(prefixes) => {
            for prefix in prefixes {
                match tags.coverage(prefix) {
                    Coverage::Everything => return everything(),
                    Coverage::One(net) => net_ranges(&net, &mut ranges),
                    Coverage::Prefixes(nets) => {
                        for net in nets {
                            net_ranges(net, &mut ranges);
                        }
                    }
                    Coverage::Outside(nets) => {
                        let mut inside: AddressRanges = (Vec::new(), Vec::new());
                        for net in nets {
                            net_ranges(net, &mut inside);
                        }
                        ranges.0.extend(complement(inside.0));
                        ranges.1.extend(complement(inside.1));
                    }
                    Coverage::UnknownTag(_) | Coverage::Nothing => {}
                }
            }
        }
    }
    ranges
}

fn port_ranges(ranges: &[PortRange]) -> Vec<(u32, u32)> {
    ranges
        .iter()
        .filter_map(|range| match range {
            r if covers_every_port(r) => Some((0, NO_PORT)),
            PortRange::Range { first, last } if first <= last => {
                Some((u32::from(*first), u32::from(*last)))
            }
            _ => None,
        })
        .collect()
}

impl Classifier {
    fn new(nsg: &NetworkSecurityGroup, direction: Direction, ctx: &EvalContext) -> Classifier {
        let tags = TagResolver::new(ctx);
        let (source_asgs, destination_asgs) = match direction {
            Direction::Inbound => (&ctx.remote_asgs, &ctx.local_asgs),
            Direction::Outbound => (&ctx.local_asgs, &ctx.remote_asgs),
        };
        let order = rules_in_priority_order(nsg, direction);
        let words = order.len().div_ceil(64);
        let mut rules = Vec::with_capacity(order.len());
        let mut protocol = vec![0u64; Protocol::ALL.len() * words];
        let mut sources = (Vec::new(), Vec::new());
        let mut destinations = (Vec::new(), Vec::new());
        let mut source_ports = Vec::new();
        let mut destination_ports = Vec::new();
        for (position, rule_ref) in order.iter().enumerate() {
            let Some(rule) = rule_ref.rule(nsg) else {
                continue;
            };
            rules.push((*rule_ref, rule.access));
            let (word, bit) = (position / 64, 1u64 << (position % 64));
            for (p, candidate) in Protocol::ALL.iter().enumerate() {
                let covered = match &rule.protocol {
                    RuleProtocol::Any => true,
                    RuleProtocol::Only(only) => only == candidate,
                    RuleProtocol::Invalid(_) => false,
                };
                if covered {
                    if let Some(w) = protocol.get_mut(p * words + word) {
                        *w |= bit;
                    }
                }
            }
            let (s4, s6) = address_ranges(&rule.source, source_asgs, &tags);
            sources.0.push(s4);
            sources.1.push(s6);
            let (d4, d6) = address_ranges(&rule.destination, destination_asgs, &tags);
            destinations.0.push(d4);
            destinations.1.push(d6);
            source_ports.push(port_ranges(&rule.source_ports));
            destination_ports.push(port_ranges(&rule.destination_ports));
        }
        Classifier {
            words,
            rules,
            protocol,
            source_v4: Dimension::new(&sources.0, words),
            source_v6: Dimension::new(&sources.1, words),
            source_port: Dimension::new(&source_ports, words),
            destination_v4: Dimension::new(&destinations.0, words),
            destination_v6: Dimension::new(&destinations.1, words),
            destination_port: Dimension::new(&destination_ports, words),
        }
    }

    fn decide(&self, flow: &Flow) -> Decision {
        let words = self.words;
        let protocol_index = Protocol::ALL
            .iter()
            .position(|p| *p == flow.protocol)
            .unwrap_or_default();
        let protocol = self
            .protocol
            .get(protocol_index * words..(protocol_index + 1) * words)
            .unwrap_or_default();
        let (source_ip, source_port) = flow.source();
        let (destination_ip, destination_port) = flow.destination();
        let (source_port, destination_port) = if flow.protocol.has_ports() {
            (u32::from(source_port), u32::from(destination_port))
        } else {
            (NO_PORT, NO_PORT)
        };
        let source = match source_ip {
            IpAddr::V4(a) => self.source_v4.lookup(u32::from(a), words),
            IpAddr::V6(a) => self.source_v6.lookup(u128::from(a), words),
        };
        let destination = match destination_ip {
            IpAddr::V4(a) => self.destination_v4.lookup(u32::from(a), words),
            IpAddr::V6(a) => self.destination_v6.lookup(u128::from(a), words),
        };
        let source_port = self.source_port.lookup(source_port, words);
        let destination_port = self.destination_port.lookup(destination_port, words);
        let candidates = protocol
            .iter()
            .zip(source)
            .zip(source_port)
            .zip(destination)
            .zip(destination_port);
        for (word, ((((p, s), sp), d), dp)) in candidates.enumerate() {
            let matching = p & s & sp & d & dp;
            if matching != 0 {
                let position = word * 64 + matching.trailing_zeros() as usize;
                if let Some((rule, access)) = self.rules.get(position) {
                    return Decision {
                        access: *access,
                        rule: Some(*rule),
                    };
                }
            }
        }
        Decision {
            access: Access::Deny,
            rule: None,
        }
    }
}

/// An NSG compiled against one context, for verdicts only.
#[derive(Clone, Debug)]
pub struct CompiledNsg {
    inbound: Classifier,
    outbound: Classifier,
}

impl CompiledNsg {
    pub fn new(nsg: &NetworkSecurityGroup, ctx: &EvalContext) -> CompiledNsg {
        CompiledNsg {
            inbound: Classifier::new(nsg, Direction::Inbound, ctx),
            outbound: Classifier::new(nsg, Direction::Outbound, ctx),
        }
    }

    pub fn decide(&self, flow: &Flow) -> Decision {
        match flow.direction {
            Direction::Inbound => self.inbound.decide(flow),
            Direction::Outbound => self.outbound.decide(flow),
        }
    }
}

/// The verdict of [`crate::eval::evaluate_path`] (access and rule name) without the
/// explanation, for many flows through the same subnet and NIC NSGs.
#[derive(Clone, Debug)]
pub struct CompiledPath<'n> {
    subnet: Option<(&'n NetworkSecurityGroup, CompiledNsg)>,
    nic: Option<(&'n NetworkSecurityGroup, CompiledNsg)>,
}

impl<'n> CompiledPath<'n> {
    pub fn new(
        subnet: Option<&'n NetworkSecurityGroup>,
        nic: Option<&'n NetworkSecurityGroup>,
        ctx: &EvalContext,
    ) -> CompiledPath<'n> {
        let compile = |nsg: &'n NetworkSecurityGroup| (nsg, CompiledNsg::new(nsg, ctx));
        CompiledPath {
            subnet: subnet.map(compile),
            nic: nic.map(compile),
        }
    }

    /// Azure's order (inbound subnet then NIC, outbound NIC then subnet), the first Deny
    /// ending it; the rule name is that of the last NSG evaluated, empty when there is none.
    pub fn decide(&self, flow: &Flow) -> (Access, String) {
        let levels = match flow.direction {
            Direction::Inbound => [&self.subnet, &self.nic],
            Direction::Outbound => [&self.nic, &self.subnet],
        };
        let mut verdict = (Access::Allow, String::new());
        for (nsg, compiled) in levels.into_iter().flatten() {
            let decision = compiled.decide(flow);
            verdict = (
                decision.access,
                decision
                    .rule
                    .map(|rule| rule.rule_name(nsg))
                    .unwrap_or_default(),
            );
            if decision.access == Access::Deny {
                break;
            }
        }
        verdict
    }
}
