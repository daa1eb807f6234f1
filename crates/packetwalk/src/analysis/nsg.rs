//! One NSG over whole sets of flows: which part of a region of the flow space each rule
//! decides (spec §1: priority order, first match decides).
//!
//! The rules of one direction are walked in priority order over the still unclaimed part
//! of the region, kept as a list of disjoint boxes: an Allow rule claims what is left of
//! its box as allowed, a Deny rule as denied, and the rest goes on to the next rule. The
//! readings are those of [`crate::eval`]: `*` covers ESP and AH, a flow without ports
//! matches only a port condition of `*` or 0-65535, `Internet` is everything outside
//! `VirtualNetwork`, a tag without supplied prefixes matches nothing.

use super::space::{AddrSet, Bounds, PortSet, Region};
use crate::eval::{
    asg_member, covers_every_port, rules_in_priority_order, Coverage, EvalContext, RuleRef,
    TagResolver,
};
use crate::model::{
    Access, AddressPrefix, AddressSpec, Direction, NetworkSecurityGroup, PortRange, Protocol,
    RuleProtocol, SecurityRule,
};
use serde::Serialize;
use std::net::IpAddr;

/// How an ASG condition is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AsgReading {
    /// Membership comes from the context (as the evaluator reads it): the whole address
    /// space when the endpoint is a member, nothing otherwise.
    FromContext,
    /// Membership is unknown (lint on an NSG alone).
    Unknown,
}

/// A rule as a box of the flow space for one protocol.
#[derive(Clone, Debug)]
pub(crate) struct RuleBox {
    pub rule: RuleRef,
    pub name: String,
    pub priority: u32,
    pub access: Access,
    /// `None` when the rule matches nothing of this protocol.
    pub region: Option<Region>,
    /// The region's bounds ([`Bounds::NOTHING`] without one), for the carving's quick test.
    pub bounds: Bounds,
    /// An ASG condition whose membership is unknown.
    pub uncertain: bool,
    /// Why parts of the rule never match (invalid values, tags without prefixes).
    pub problems: Vec<String>,
}

fn address_set(
    spec: &AddressSpec,
    endpoint_asgs: &[String],
    reading: AsgReading,
    tags: &TagResolver<'_>,
    problems: &mut Vec<String>,
    uncertain: &mut bool,
) -> AddrSet {
    let prefixes = match spec {
        AddressSpec::ApplicationSecurityGroups(asgs) => {
            return match reading {
                AsgReading::FromContext if asg_member(asgs, endpoint_asgs) => AddrSet::full(),
                AsgReading::FromContext => AddrSet::empty(),
                AsgReading::Unknown => {
                    *uncertain = true;
                    AddrSet::full()
                }
            };
        }
        AddressSpec::Prefixes(prefixes) => prefixes,
    };
    let mut set = AddrSet::empty();
    for prefix in prefixes {
        match tags.coverage(prefix) {
            Coverage::Everything => return AddrSet::full(),
            Coverage::One(net) => set = set.union(&AddrSet::from_nets(std::slice::from_ref(&net))),
            Coverage::Prefixes(nets) => set = set.union(&AddrSet::from_nets(nets)),
            Coverage::Outside(nets) => {
                set = set.union(&AddrSet::from_nets(nets).complement());
            }
            Coverage::UnknownTag(tag) => {
                problems.push(format!("service tag {tag} has no supplied prefixes"))
            }
            Coverage::Nothing => {
                if let AddressPrefix::Invalid(raw) = prefix {
                    problems.push(format!("{raw:?} is not a valid address prefix"));
                }
            }
        }
    }
    set
}

fn port_set(ranges: &[PortRange], has_ports: bool, problems: &mut Vec<String>) -> PortSet {
    if !has_ports {
        // A flow without ports matches only `*` or 0-65535 (eval's reading).
        return if ranges.iter().any(covers_every_port) {
            PortSet::full()
        } else {
            PortSet::empty()
        };
    }
    let mut spans = Vec::new();
    for range in ranges {
        match range {
            PortRange::Any => return PortSet::full(),
            PortRange::Range { first, last } => spans.push((*first, *last)),
            PortRange::Invalid(raw) => problems.push(format!("{raw:?} is not a valid port range")),
        }
    }
    PortSet::from_ranges(spans)
}

pub(crate) fn rule_box(
    rule_ref: RuleRef,
    rule: &SecurityRule,
    protocol: Protocol,
    ctx: &EvalContext,
    tags: &TagResolver<'_>,
    reading: AsgReading,
) -> RuleBox {
    let (source_asgs, destination_asgs) = match rule.direction {
        Direction::Inbound => (&ctx.remote_asgs, &ctx.local_asgs),
        Direction::Outbound => (&ctx.local_asgs, &ctx.remote_asgs),
    };
    let mut problems = Vec::new();
    let mut uncertain = false;
    let protocol_matches = match &rule.protocol {
        RuleProtocol::Any => true,
        RuleProtocol::Only(p) => *p == protocol,
        RuleProtocol::Invalid(raw) => {
            problems.push(format!("protocol {raw:?} is not valid"));
            false
        }
    };
    let has_ports = protocol.has_ports();
    let region = Region {
        sources: address_set(
            &rule.source,
            source_asgs,
            reading,
            tags,
            &mut problems,
            &mut uncertain,
        ),
        source_ports: port_set(&rule.source_ports, has_ports, &mut problems),
        destinations: address_set(
            &rule.destination,
            destination_asgs,
            reading,
            tags,
            &mut problems,
            &mut uncertain,
        ),
        destination_ports: port_set(&rule.destination_ports, has_ports, &mut problems),
    };
    let region = (protocol_matches && !region.is_empty()).then_some(region);
    RuleBox {
        rule: rule_ref,
        bounds: region.as_ref().map_or(Bounds::NOTHING, Region::bounds),
        name: rule.name.clone(),
        priority: rule.priority,
        access: rule.access,
        region,
        uncertain,
        problems,
    }
}

/// The rules of one direction as boxes for one protocol, in priority order.
pub(crate) fn rule_boxes(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    protocol: Protocol,
    ctx: &EvalContext,
    reading: AsgReading,
) -> Vec<RuleBox> {
    let tags = TagResolver::new(ctx);
    rules_in_priority_order(nsg, direction)
        .into_iter()
        .filter_map(|r| {
            r.rule(nsg)
                .map(|rule| rule_box(r, rule, protocol, ctx, &tags, reading))
        })
        .collect()
}

/// What one rule decides of the analysed region.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRegions {
    pub rule: RuleRef,
    pub name: String,
    pub priority: u32,
    pub access: Access,
    /// Disjoint boxes; their union is what this rule decides.
    pub regions: Vec<Region>,
}

/// Below this many unclaimed boxes [`carve`] never merges them.
const MERGE_MIN: usize = 64;

/// Carves `start` through `rules` (already in priority order). Returns, per deciding
/// rule in priority order, the boxes it decides, and the boxes no rule decides.
///
/// A box wholly inside a rule is claimed as it is (no copy); a box the rule cuts leaves
/// at most four pieces. Whenever the unclaimed boxes have doubled, boxes that differ in
/// one dimension only are merged ([`merge`]), so cuts by wide rules (a deny on one port
/// from a /8, to every destination) do not multiply the boxes rule after rule.
pub(crate) fn carve<'a>(
    rules: impl IntoIterator<Item = &'a RuleBox>,
    start: Vec<Region>,
) -> (Vec<RuleRegions>, Vec<Region>) {
    carve_merging_from(rules, start, MERGE_MIN)
}

fn carve_merging_from<'a>(
    rules: impl IntoIterator<Item = &'a RuleBox>,
    start: Vec<Region>,
    merge_min: usize,
) -> (Vec<RuleRegions>, Vec<Region>) {
    // The unclaimed boxes, and beside them their bounds: a rule's pass reads only the
    // compact bounds of the boxes it misses, which are nearly all of them.
    let mut unclaimed: Vec<Region> = start.into_iter().filter(|r| !r.is_empty()).collect();
    let mut bounds: Vec<Bounds> = unclaimed.iter().map(Region::bounds).collect();
    let mut decided = Vec::new();
    let mut merge_at = merge_min.max(unclaimed.len() * 2);
    let mut hits = Vec::new();
    let mut holes = 0;
    for rule in rules {
        if unclaimed.len() == holes {
            break;
        }
        let Some(area) = &rule.region else { continue };
        let claimed = claim(
            (area, &rule.bounds),
            &mut unclaimed,
            &mut bounds,
            &mut hits,
            &mut holes,
        );
        if unclaimed.len() - holes >= merge_at {
            unclaimed.retain(|r| !r.is_empty());
            holes = 0;
            merge(&mut unclaimed);
            bounds = unclaimed.iter().map(Region::bounds).collect();
            merge_at = merge_min.max(unclaimed.len() * 2);
        }
        if !claimed.is_empty() {
            decided.push(RuleRegions {
                rule: rule.rule,
                name: rule.name.clone(),
                priority: rule.priority,
                access: rule.access,
                regions: claimed,
            });
        }
    }
    unclaimed.retain(|r| !r.is_empty());
    (decided, unclaimed)
}

/// One rule's pass over the unclaimed boxes: takes out the boxes it touches and returns
/// the parts inside it; the parts outside go back, with their bounds, after the others.
///
/// A function of its own, called once per rule, rather than the body of the loop over
/// the rules: the browser compiles WebAssembly quickly first and optimises a function
/// once it has been called often, so the loop's work is optimised after a few rules
/// instead of running unoptimised to the end.
#[inline(never)]
fn claim(
    (area, area_bounds): (&Region, &Bounds),
    unclaimed: &mut Vec<Region>,
    bounds: &mut Vec<Bounds>,
    hits: &mut Vec<usize>,
    holes: &mut usize,
) -> Vec<Region> {
    hits.clear();
    hits.extend(
        bounds
            .iter()
            .enumerate()
            .filter(|(_, b)| b.may_intersect(area_bounds))
            .map(|(i, _)| i)
            .filter(|&i| unclaimed.get(i).is_some_and(|piece| piece.intersects(area))),
    );
    if hits.is_empty() {
        return Vec::new();
    }
    let mut claimed = Vec::with_capacity(hits.len());
    let mut pieces = Vec::new();
    for &i in hits.iter() {
        let Some(piece) = unclaimed.get_mut(i) else {
            continue;
        };
        let piece = std::mem::take(piece);
        if piece.is_subset(area) {
            claimed.push(piece);
            continue;
        }
        let (inside, outside) = piece.split(area);
        claimed.extend(inside);
        pieces.extend(outside);
    }
    // The hit boxes are now empty holes whose bounds meet nothing; they are dropped
    // (keeping the others' order) once they are half the list, not on every rule.
    for &i in hits.iter() {
        if let Some(b) = bounds.get_mut(i) {
            *b = Bounds::NOTHING;
        }
    }
    *holes += hits.len();
    if *holes * 2 > unclaimed.len() {
        let mut keep = unclaimed.iter().map(|r| !r.is_empty());
        bounds.retain(|_| keep.next().unwrap_or(true));
        unclaimed.retain(|r| !r.is_empty());
        *holes = 0;
    }
    bounds.extend(pieces.iter().map(Region::bounds));
    unclaimed.append(&mut pieces);
    claimed
}

/// Merges disjoint boxes that agree in all but one dimension (destinations, then
/// destination ports, then sources): their union is one box. The set they cover is
/// unchanged and the boxes stay disjoint.
pub(crate) fn merge(boxes: &mut Vec<Region>) {
    fn pass(
        boxes: &mut Vec<Region>,
        key: fn(&Region) -> (&AddrSet, &PortSet, &AddrSet, &PortSet),
        join: fn(&mut Region, &Region),
    ) {
        boxes.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
        let mut out: Vec<Region> = Vec::with_capacity(boxes.len());
        for b in boxes.drain(..) {
            match out.last_mut() {
                Some(last) if key(last) == key(&b) => join(last, &b),
                _ => out.push(b),
            }
        }
        *boxes = out;
    }
    // Each key leaves out the dimension being joined (the other three must be equal;
    // the fourth slot repeats one of them so the keys have one type).
    pass(
        boxes,
        |r| {
            (
                &r.sources,
                &r.source_ports,
                &r.sources,
                &r.destination_ports,
            )
        },
        |a, b| a.destinations = a.destinations.union(&b.destinations),
    );
    pass(
        boxes,
        |r| {
            (
                &r.sources,
                &r.source_ports,
                &r.destinations,
                &r.source_ports,
            )
        },
        |a, b| a.destination_ports = a.destination_ports.union(&b.destination_ports),
    );
    pass(
        boxes,
        |r| {
            (
                &r.destinations,
                &r.source_ports,
                &r.destinations,
                &r.destination_ports,
            )
        },
        |a, b| a.sources = a.sources.union(&b.sources),
    );
}

/// One NSG's answer for a whole region of flows of one protocol and direction.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NsgReach {
    pub nsg_name: String,
    pub direction: Direction,
    pub protocol: Protocol,
    /// Allowed parts, each with the rule that allows it, in priority order.
    pub allowed: Vec<RuleRegions>,
    /// Denied parts, each with the rule that denies it.
    pub denied: Vec<RuleRegions>,
    /// Parts no rule matches (an NSG without its default rules): denied.
    pub unmatched: Vec<Region>,
    /// Readings and problems that shaped the answer.
    pub notes: Vec<String>,
}

impl NsgReach {
    /// The allowing rule for one flow of the region, if it is allowed.
    pub fn allowing_rule(
        &self,
        source: IpAddr,
        source_port: u16,
        destination: IpAddr,
        port: u16,
    ) -> Option<&RuleRegions> {
        self.allowed.iter().find(|r| {
            r.regions
                .iter()
                .any(|b| b.contains(source, source_port, destination, port))
        })
    }

    /// Every allowed destination address, whatever the source.
    pub fn allowed_destinations(&self) -> AddrSet {
        self.allowed
            .iter()
            .flat_map(|r| &r.regions)
            .fold(AddrSet::empty(), |acc, b| acc.union(&b.destinations))
    }

    /// Every allowed destination port, whatever the source.
    pub fn allowed_destination_ports(&self) -> PortSet {
        self.allowed
            .iter()
            .flat_map(|r| &r.regions)
            .fold(PortSet::empty(), |acc, b| acc.union(&b.destination_ports))
    }

    /// Every source that some allowed flow comes from.
    pub fn allowed_sources(&self) -> AddrSet {
        self.allowed
            .iter()
            .flat_map(|r| &r.regions)
            .fold(AddrSet::empty(), |acc, b| acc.union(&b.sources))
    }
}

/// Exactly which flows of `region` (one protocol, one direction) the NSG allows, each
/// allowed part explained by its allowing rule. ASG conditions are read from `ctx` as the
/// evaluator reads them.
pub fn nsg_reach(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    protocol: Protocol,
    region: &Region,
    ctx: &EvalContext,
) -> NsgReach {
    nsg_reach_from(nsg, direction, protocol, vec![region.clone()], ctx)
}

/// [`nsg_reach`] for a region given as disjoint boxes.
pub fn nsg_reach_from(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    protocol: Protocol,
    boxes: Vec<Region>,
    ctx: &EvalContext,
) -> NsgReach {
    let rules = rule_boxes(nsg, direction, protocol, ctx, AsgReading::FromContext);
    reach_with(nsg, direction, protocol, &rules, boxes)
}

/// [`nsg_reach_from`] with the rule boxes already built (they depend only on the NSG,
/// direction, protocol and context, so callers walking many paths build them once).
pub(crate) fn reach_with(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    protocol: Protocol,
    rules: &[RuleBox],
    boxes: Vec<Region>,
) -> NsgReach {
    let mut start = boxes;
    if !protocol.has_ports() {
        // Ports mean nothing for this protocol: the whole port space stands for "no port".
        for b in &mut start {
            b.source_ports = PortSet::full();
            b.destination_ports = PortSet::full();
        }
    }
    let (decided, unmatched) = carve(rules, start);
    let mut notes = Vec::new();
    for rule in rules {
        let decides = decided.iter().any(|d| d.rule == rule.rule);
        for problem in &rule.problems {
            notes.push(format!(
                "rule {}: {problem}; that part never matches",
                rule.name
            ));
        }
        if decides && matches!(protocol, Protocol::Esp | Protocol::Ah) {
            if let Some(r) = rule.rule.rule(nsg) {
                if r.protocol == RuleProtocol::Any {
                    notes.push(format!(
                        "rule {} decides with protocol *: packetwalk reads * as covering {} too (unconfirmed)",
                        rule.name,
                        protocol.as_str().to_ascii_uppercase()
                    ));
                }
            }
        }
    }
    if !protocol.has_ports() {
        notes.push(format!(
            "{} carries no ports: a port condition matches it only when it is * or 0-65535 (unconfirmed reading)",
            protocol.as_str().to_ascii_uppercase()
        ));
    }
    if !unmatched.is_empty() {
        notes.push(format!(
            "part of the region matches no {} rule (the NSG lacks its default rules): denied",
            direction.as_str().to_ascii_lowercase()
        ));
    }
    let (allowed, denied) = decided.into_iter().partition(|d| d.access == Access::Allow);
    NsgReach {
        nsg_name: nsg.name.clone(),
        direction,
        protocol,
        allowed,
        denied,
        unmatched,
        notes,
    }
}

/// `VirtualNetwork` as the context resolves it: VNet prefixes, supplied prefixes and
/// 168.63.129.16.
pub fn virtual_network(ctx: &EvalContext) -> AddrSet {
    match TagResolver::new(ctx).coverage(&AddressPrefix::ServiceTag("VirtualNetwork".to_owned())) {
        Coverage::Prefixes(nets) => AddrSet::from_nets(nets),
        _ => AddrSet::empty(),
    }
}

/// The Internet as packetwalk reads it: every address outside `VirtualNetwork`, IPv4 and IPv6.
pub fn internet(ctx: &EvalContext) -> AddrSet {
    virtual_network(ctx).complement()
}

/// Which destinations and destination ports `sources` can reach through one NSG, for
/// one protocol and direction: [`nsg_reach`] over every destination and port.
pub fn nsg_exposure(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    protocol: Protocol,
    sources: &AddrSet,
    ctx: &EvalContext,
) -> NsgReach {
    let region = Region {
        sources: sources.clone(),
        ..Region::everything()
    };
    nsg_reach(nsg, direction, protocol, &region, ctx)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::model::{AddressPrefix, AddressSpec, PortRange, RuleProtocol, SecurityRule};

    /// Carving with frequent merges decides every flow exactly as carving without any:
    /// 150 pseudo-random rules over a small corner of the space, 5,000 sampled flows.
    #[test]
    fn merging_changes_no_decision() {
        let mut seed = 0x2545_f491_u64;
        let mut next = move |n: u32| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as u32) % n
        };
        let mut nsg = NetworkSecurityGroup::new("merge");
        for i in 0..150u32 {
            let mut net = || {
                let len = 24 + next(9) as u8;
                let addr = std::net::Ipv4Addr::from(0x0a00_0000 | (next(1024) << 2));
                AddressPrefix::Cidr(ipnet::Ipv4Net::new(addr, len).unwrap().trunc().into())
            };
            let (source, destination) = (net(), net());
            let first = next(40) as u16;
            let last = first + next(8) as u16;
            nsg.security_rules.push(SecurityRule {
                name: format!("r{i}"),
                description: None,
                priority: 100 + i,
                direction: Direction::Inbound,
                access: if next(2) == 0 {
                    Access::Allow
                } else {
                    Access::Deny
                },
                protocol: RuleProtocol::Any,
                source: AddressSpec::Prefixes(vec![source]),
                source_ports: vec![PortRange::Any],
                destination: AddressSpec::Prefixes(vec![destination]),
                destination_ports: vec![PortRange::Range { first, last }],
            });
        }
        let ctx = EvalContext::default();
        let rules = rule_boxes(
            &nsg,
            Direction::Inbound,
            Protocol::Tcp,
            &ctx,
            AsgReading::FromContext,
        );
        let start = vec![Region::everything()];
        let (merged, merged_left) = carve_merging_from(&rules, start.clone(), 16);
        let (plain, plain_left) = carve_merging_from(&rules, start, usize::MAX);
        let decider = |decided: &[RuleRegions], left: &[Region], s, d, port| {
            let hit = |b: &Region| b.contains(IpAddr::V4(s), 1000, IpAddr::V4(d), port);
            decided
                .iter()
                .find(|r| r.regions.iter().any(hit))
                .map(|r| r.rule)
                .ok_or_else(|| left.iter().any(hit))
        };
        for _ in 0..5_000 {
            let s = std::net::Ipv4Addr::from(0x0a00_0000 | next(4200));
            let d = std::net::Ipv4Addr::from(0x0a00_0000 | next(4200));
            let port = next(50) as u16;
            assert_eq!(
                decider(&merged, &merged_left, s, d, port),
                decider(&plain, &plain_left, s, d, port),
                "{s} -> {d}:{port}"
            );
        }
        let boxes = |d: &[RuleRegions]| d.iter().map(|r| r.regions.len()).sum::<usize>();
        assert!(merged_left.len() <= plain_left.len());
        assert!(boxes(&merged) > 0 && boxes(&plain) > 0);
    }
}
