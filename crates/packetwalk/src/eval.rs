//! NSG evaluation, explained: for one flow, every rule of its direction in priority
//! order with what matched, the deciding rule, and notes on every reading packetwalk had
//! to choose (spec §1). [`crate::compiled::CompiledNsg`] answers the same question fast,
//! without the explanation.
//!
//! Readings of the points spec §1 leaves unconfirmed, decided here and said in
//! [`NsgEvaluation::notes`] whenever they decide a verdict:
//! - Protocol `*` covers ESP and AH as well as TCP, UDP and ICMP. Otherwise the default
//!   `DenyAllInBound`/`DenyAllOutBound` (protocol `*`) would leave ESP and AH undecided.
//! - A flow without ports (ICMP, ESP, AH) matches a port condition only when the
//!   condition is `*` or a range covering 0-65535: a rule that names ports is about
//!   TCP/UDP traffic.
//! - `VirtualNetwork` is the supplied VNet prefixes, any prefixes supplied for the tag
//!   itself (peered VNets, on-premises ranges) and the host's virtual IP 168.63.129.16.
//!   `Internet` is every address outside `VirtualNetwork`, private addresses included
//!   (192.168.5.5 outside a 10.0.0.0/16 VNet counts as Internet). `AzureLoadBalancer` is
//!   168.63.129.16 (and any prefixes supplied for it).
//! - `*` and `Any` match IPv4 and IPv6; `0.0.0.0/0` only IPv4 and `::/0` only IPv6.
//! - Other tags match the prefixes the caller supplies; without them the entry is
//!   undecidable, reported so, and treated as not matching.
//! - Traffic to and from 168.63.129.16 and 169.254.169.254 is evaluated like any other
//!   (the verdict is what the rules say) and a note says Azure does not filter it.

use crate::model::{
    Access, AddressPrefix, AddressSpec, AppliedTo, Direction, Flow, NetworkSecurityGroup,
    PortRange, Protocol, RuleProtocol, SecurityRule,
};
use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// The host's virtual IP: health probes (`AzureLoadBalancer`), DNS, DHCP.
pub const AZURE_HOST_IP: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);
/// The instance metadata service.
pub const INSTANCE_METADATA_IP: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// What the rules cannot know by themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EvalContext {
    /// The VNet's address space (what `VirtualNetwork` covers).
    pub vnet_prefixes: Vec<IpNet>,
    /// Prefixes of other service tags (`Storage`, `AzureCloud.WestEurope`, ...).
    pub service_tags: Vec<(String, Vec<IpNet>)>,
    /// ASGs the protected NIC (the flow's local end) is a member of.
    pub local_asgs: Vec<String>,
    /// ASGs the flow's remote end is a member of.
    pub remote_asgs: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleKind {
    User,
    Default,
}

impl RuleKind {
    /// The collection's name as Network Watcher writes it in `ruleName`.
    pub fn collection(self) -> &'static str {
        match self {
            RuleKind::User => "securityRules",
            RuleKind::Default => "defaultSecurityRules",
        }
    }
}

/// A rule of an NSG: which collection and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    pub kind: RuleKind,
    pub index: usize,
}

impl RuleRef {
    pub fn rule<'a>(&self, nsg: &'a NetworkSecurityGroup) -> Option<&'a SecurityRule> {
        match self.kind {
            RuleKind::User => nsg.security_rules.get(self.index),
            RuleKind::Default => nsg.default_security_rules.get(self.index),
        }
    }

    /// `securityRules/<name>` or `defaultSecurityRules/<name>`, as IP flow verify says it.
    pub fn rule_name(&self, nsg: &NetworkSecurityGroup) -> String {
        let name = self.rule(nsg).map(|r| r.name.as_str()).unwrap_or_default();
        format!("{}/{}", self.kind.collection(), name)
    }
}

/// The rules of one direction in the order Azure processes them: priority, lowest first.
/// The document's order is irrelevant (spec §1); on a (invalid) tie a user rule comes
/// before a default rule, then document order.
pub fn rules_in_priority_order(nsg: &NetworkSecurityGroup, direction: Direction) -> Vec<RuleRef> {
    let user = nsg.security_rules.iter().enumerate().map(|(index, rule)| {
        (
            RuleRef {
                kind: RuleKind::User,
                index,
            },
            rule,
        )
    });
    let default = nsg
        .default_security_rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            (
                RuleRef {
                    kind: RuleKind::Default,
                    index,
                },
                rule,
            )
        });
    let mut rules: Vec<(RuleRef, u32)> = user
        .chain(default)
        .filter(|(_, rule)| rule.direction == direction)
        .map(|(r, rule)| (r, rule.priority))
        .collect();
    rules.sort_by_key(|(r, priority)| (*priority, r.kind, r.index));
    rules.into_iter().map(|(r, _)| r).collect()
}

/// Whether one condition of a rule holds for the flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum MatchResult {
    Yes,
    No,
    /// packetwalk cannot tell (a service tag without supplied prefixes); the rule is
    /// treated as not matching.
    Undecidable {
        reason: String,
    },
}

impl MatchResult {
    pub fn is_yes(&self) -> bool {
        matches!(self, MatchResult::Yes)
    }

    /// A short word for tables: `yes`, `no`, `?`.
    pub fn as_symbol(&self) -> &'static str {
        match self {
            MatchResult::Yes => "yes",
            MatchResult::No => "no",
            MatchResult::Undecidable { .. } => "?",
        }
    }
}

/// One row of the NSG diagnostics table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleEvaluation {
    pub name: String,
    pub kind: RuleKind,
    /// Index in `securityRules` or `defaultSecurityRules`, per `kind`.
    pub index: usize,
    pub priority: u32,
    pub access: Access,
    pub protocol: MatchResult,
    pub source: MatchResult,
    pub source_port: MatchResult,
    pub destination: MatchResult,
    pub destination_port: MatchResult,
    /// All five conditions hold.
    pub matched: bool,
    /// This is the first matching rule: it decided.
    pub decided: bool,
}

/// One NSG's answer for a flow, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NsgEvaluation {
    pub applied_to: AppliedTo,
    pub nsg_name: String,
    pub access: Access,
    /// `securityRules/<name>` or `defaultSecurityRules/<name>`; empty if no rule matched.
    pub rule_name: String,
    /// Index into `rules` of the deciding rule.
    pub deciding_rule: Option<usize>,
    /// Every rule of the flow's direction, in priority order.
    pub rules: Vec<RuleEvaluation>,
    pub notes: Vec<String>,
}

/// The verdict of the whole path: subnet NSG and NIC NSG in Azure's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowVerdict {
    pub access: Access,
    /// The denying rule on Deny; on Allow the rule of the last NSG evaluated (empty if
    /// there was no NSG at all).
    pub rule_name: String,
    /// The NSGs evaluated, in evaluation order.
    pub evaluations: Vec<NsgEvaluation>,
    pub notes: Vec<String>,
}

/// What an address entry covers, once service tags are resolved against the context.
/// Borrowed from the resolver: resolving an entry allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coverage<'a> {
    /// Every address, IPv4 and IPv6.
    Everything,
    One(IpNet),
    Prefixes(&'a [IpNet]),
    /// Every address outside these prefixes (`Internet`).
    Outside(&'a [IpNet]),
    /// A tag with no supplied prefixes.
    UnknownTag(&'a str),
    Nothing,
}

impl Coverage<'_> {
    /// Whether the entry covers `ip` (an unknown tag or an invalid entry never does).
    #[inline]
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Coverage::Everything => true,
            Coverage::One(net) => net_contains(net, ip),
            Coverage::Prefixes(nets) => nets.iter().any(|n| net_contains(n, ip)),
            Coverage::Outside(nets) => !nets.iter().any(|n| net_contains(n, ip)),
            Coverage::UnknownTag(_) | Coverage::Nothing => false,
        }
    }
}

/// `net.contains(&ip)`, without the detour through the network and broadcast addresses.
#[inline]
pub(crate) fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u32::from(n.addr()) ^ u32::from(a)) & mask == 0
        }
        (IpNet::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u128::from(n.addr()) ^ u128::from(a)) & mask == 0
        }
        _ => false,
    }
}

/// The well-known tags, recognised in any case and with surrounding spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnownTag {
    VirtualNetwork,
    AzureLoadBalancer,
    Internet,
}

impl KnownTag {
    #[inline]
    pub(crate) fn of(tag: &str) -> Option<KnownTag> {
        // Imported tags are already trimmed; trim only when there is something to trim.
        let padded = |b: Option<&u8>| b.is_some_and(|b| !b.is_ascii_alphanumeric());
        let bytes = tag.as_bytes();
        let tag = if padded(bytes.first()) || padded(bytes.last()) {
            tag.trim()
        } else {
            tag
        };
        let (known, name) = match tag.len() {
            14 => (KnownTag::VirtualNetwork, b"virtualnetwork".as_slice()),
            17 => (KnownTag::AzureLoadBalancer, b"azureloadbalancer".as_slice()),
            8 => (KnownTag::Internet, b"internet".as_slice()),
            _ => return None,
        };
        // The names are all letters, and `b | 0x20` is a lower-case letter only when `b`
        // is that letter in either case: an exact case-insensitive comparison.
        let same = tag.bytes().zip(name).all(|(a, b)| (a | 0x20) == *b);
        same.then_some(known)
    }
}

/// Service tags resolved once per context: evaluating a rule then looks its entries up
/// without cloning prefix lists.
#[derive(Clone, Debug)]
pub(crate) struct TagResolver<'a> {
    virtual_network: Vec<IpNet>,
    azure_load_balancer: Vec<IpNet>,
    /// Other supplied tags (trimmed name, every prefix supplied under it in any case).
    others: Vec<(&'a str, Vec<IpNet>)>,
}

impl<'a> TagResolver<'a> {
    pub(crate) fn new(ctx: &'a EvalContext) -> TagResolver<'a> {
        let host = IpNet::V4(Ipv4Net::from(AZURE_HOST_IP));
        let mut virtual_network = Vec::with_capacity(ctx.vnet_prefixes.len() + 1);
        virtual_network.extend_from_slice(&ctx.vnet_prefixes);
        virtual_network.extend(supplied(ctx, "VirtualNetwork"));
        virtual_network.push(host);
        let mut azure_load_balancer = vec![host];
        azure_load_balancer.extend(supplied(ctx, "AzureLoadBalancer"));
        let mut others: Vec<(&'a str, Vec<IpNet>)> = Vec::new();
        for (name, nets) in &ctx.service_tags {
            let name = name.trim();
            if KnownTag::of(name).is_some() {
                continue;
            }
            match others
                .iter_mut()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
            {
                Some((_, all)) => all.extend_from_slice(nets),
                None => others.push((name, nets.clone())),
            }
        }
        TagResolver {
            virtual_network,
            azure_load_balancer,
            others,
        }
    }

    pub(crate) fn coverage<'s>(&'s self, prefix: &'s AddressPrefix) -> Coverage<'s> {
        match prefix {
            AddressPrefix::Any(raw) if raw == "*" => Coverage::Everything,
            AddressPrefix::Any(raw) => match raw.trim().parse::<IpNet>() {
                Ok(net) => Coverage::One(net),
                Err(_) => Coverage::Everything,
            },
            AddressPrefix::Cidr(net) => Coverage::One(*net),
            AddressPrefix::ServiceTag(tag) => match KnownTag::of(tag) {
                Some(KnownTag::VirtualNetwork) => Coverage::Prefixes(&self.virtual_network),
                Some(KnownTag::AzureLoadBalancer) => Coverage::Prefixes(&self.azure_load_balancer),
                Some(KnownTag::Internet) => Coverage::Outside(&self.virtual_network),
                None => {
                    let tag = tag.trim();
                    match self
                        .others
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(tag))
                    {
                        Some((_, nets)) => Coverage::Prefixes(nets),
                        None => Coverage::UnknownTag(tag),
                    }
                }
            },
            AddressPrefix::Invalid(_) => Coverage::Nothing,
        }
    }
}

fn supplied<'c>(ctx: &'c EvalContext, tag: &'c str) -> impl Iterator<Item = IpNet> + 'c {
    ctx.service_tags
        .iter()
        .filter(move |(name, _)| name.trim().eq_ignore_ascii_case(tag))
        .flat_map(|(_, nets)| nets.iter().copied())
}

/// Whether a rule's ASG list names one of the endpoint's ASGs (names compare in any case,
/// as Azure resource names do).
pub(crate) fn asg_member(rule_asgs: &[String], endpoint_asgs: &[String]) -> bool {
    rule_asgs.iter().any(|a| {
        endpoint_asgs
            .iter()
            .any(|b| a.trim().eq_ignore_ascii_case(b.trim()))
    })
}

/// A port condition matches a flow without ports only when it is `*` or 0-65535.
pub(crate) fn covers_every_port(range: &PortRange) -> bool {
    matches!(
        range,
        PortRange::Any
            | PortRange::Range {
                first: 0,
                last: 65535
            }
    )
}

/// A private address (RFC 1918, the shared 100.64.0.0/10, IPv6 unique-local): never
/// routed from the Internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_private() || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64),
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Facts about one rule's evaluation that notes may need to mention. Building one
/// allocates only for odd rules (undecidable or invalid entries).
#[derive(Default)]
struct Facts {
    undecidable: Vec<String>,
    invalid: Vec<String>,
    internet_private: Option<IpAddr>,
    star_covers_ipsec: bool,
    portless_no: bool,
    virtual_network_used: bool,
}

impl Facts {
    /// Whether a note may mention this rule (given whether it decided).
    fn noteworthy(&self, decided: bool) -> bool {
        !self.undecidable.is_empty()
            || !self.invalid.is_empty()
            || self.internet_private.is_some()
            || (decided && self.star_covers_ipsec)
            || self.portless_no
    }
}

#[inline]
fn match_address(
    spec: &AddressSpec,
    field: &str,
    ip: IpAddr,
    endpoint_asgs: &[String],
    tags: &TagResolver<'_>,
    facts: &mut Facts,
) -> MatchResult {
    let prefixes = match spec {
        AddressSpec::ApplicationSecurityGroups(asgs) => {
            return if asg_member(asgs, endpoint_asgs) {
                MatchResult::Yes
            } else {
                MatchResult::No
            };
        }
        AddressSpec::Prefixes(prefixes) => prefixes,
    };
    let mut undecidable = None;
    let mut yes = false;
    for prefix in prefixes {
        // The common entries first, without going through `Coverage`.
        match prefix {
            AddressPrefix::Cidr(net) => {
                yes |= net_contains(net, ip);
                continue;
            }
            AddressPrefix::Any(raw) if raw == "*" => {
                yes = true;
                continue;
            }
            _ => {}
        }
        let coverage = tags.coverage(prefix);
        match coverage {
            Coverage::Prefixes(nets) | Coverage::Outside(nets) => {
                // Only VirtualNetwork and Internet borrow the VNet's list.
                if std::ptr::eq(nets, tags.virtual_network.as_slice()) {
                    facts.virtual_network_used = true;
                }
            }
            Coverage::UnknownTag(tag) => {
                undecidable.get_or_insert(tag);
            }
            Coverage::Nothing => facts
                .invalid
                .push(format!("{field} {:?}", prefix.as_text())),
            Coverage::Everything | Coverage::One(_) => {}
        }
        if coverage.contains(ip) {
            yes = true;
            if matches!(coverage, Coverage::Outside(_)) && is_private(ip) {
                facts.internet_private = Some(ip);
            }
        }
    }
    if yes {
        MatchResult::Yes
    } else if let Some(tag) = undecidable {
        let reason = format!("service tag {tag} has no supplied prefixes");
        facts.undecidable.push(reason.clone());
        MatchResult::Undecidable { reason }
    } else {
        MatchResult::No
    }
}

#[inline]
fn match_ports(
    ranges: &[PortRange],
    field: &str,
    port: Option<u16>,
    facts: &mut Facts,
) -> MatchResult {
    let mut yes = false;
    for range in ranges {
        yes |= match (range, port) {
            (PortRange::Invalid(raw), _) => {
                facts.invalid.push(format!("{field} {raw:?}"));
                false
            }
            (range, None) => covers_every_port(range),
            (PortRange::Any, Some(_)) => true,
            (PortRange::Range { first, last }, Some(p)) => *first <= p && p <= *last,
        };
    }
    if yes {
        MatchResult::Yes
    } else {
        if port.is_none() {
            facts.portless_no = true;
        }
        MatchResult::No
    }
}

#[inline]
fn match_protocol(protocol: &RuleProtocol, flow: Protocol, facts: &mut Facts) -> MatchResult {
    let yes = match protocol {
        RuleProtocol::Any => {
            facts.star_covers_ipsec = matches!(flow, Protocol::Esp | Protocol::Ah);
            true
        }
        RuleProtocol::Only(p) => *p == flow,
        RuleProtocol::Invalid(raw) => {
            facts.invalid.push(format!("protocol {raw:?}"));
            false
        }
    };
    if yes {
        MatchResult::Yes
    } else {
        MatchResult::No
    }
}

fn ports_of(flow: &Flow) -> (Option<u16>, Option<u16>) {
    if flow.protocol.has_ports() {
        (Some(flow.source().1), Some(flow.destination().1))
    } else {
        (None, None)
    }
}

/// A flow as a rule's five conditions look at it, with the NSG's service tags resolved.
struct FlowView<'a> {
    protocol: Protocol,
    source_ip: IpAddr,
    destination_ip: IpAddr,
    source_port: Option<u16>,
    destination_port: Option<u16>,
    source_asgs: &'a [String],
    destination_asgs: &'a [String],
    tags: TagResolver<'a>,
}

/// What each of a rule's five conditions says about a flow.
struct RuleChecks {
    protocol: MatchResult,
    source: MatchResult,
    source_port: MatchResult,
    destination: MatchResult,
    destination_port: MatchResult,
}

impl RuleChecks {
    fn matched(&self) -> bool {
        self.protocol.is_yes()
            && self.source.is_yes()
            && self.source_port.is_yes()
            && self.destination.is_yes()
            && self.destination_port.is_yes()
    }
}

impl<'a> FlowView<'a> {
    fn new(flow: &Flow, ctx: &'a EvalContext) -> FlowView<'a> {
        let (source_port, destination_port) = ports_of(flow);
        let (source_asgs, destination_asgs) = match flow.direction {
            Direction::Inbound => (&ctx.remote_asgs, &ctx.local_asgs),
            Direction::Outbound => (&ctx.local_asgs, &ctx.remote_asgs),
        };
        FlowView {
            protocol: flow.protocol,
            source_ip: flow.source().0,
            destination_ip: flow.destination().0,
            source_port,
            destination_port,
            source_asgs,
            destination_asgs,
            tags: TagResolver::new(ctx),
        }
    }

    fn check(&self, rule: &SecurityRule, facts: &mut Facts) -> RuleChecks {
        RuleChecks {
            protocol: match_protocol(&rule.protocol, self.protocol, facts),
            source: match_address(
                &rule.source,
                source_field(&rule.source),
                self.source_ip,
                self.source_asgs,
                &self.tags,
                facts,
            ),
            source_port: match_ports(
                &rule.source_ports,
                ports_field("source", &rule.source_ports),
                self.source_port,
                facts,
            ),
            destination: match_address(
                &rule.destination,
                destination_field(&rule.destination),
                self.destination_ip,
                self.destination_asgs,
                &self.tags,
                facts,
            ),
            destination_port: match_ports(
                &rule.destination_ports,
                ports_field("destination", &rule.destination_ports),
                self.destination_port,
                facts,
            ),
        }
    }
}

/// The access the NSG gives a flow, without the explanation: the first rule by priority
/// whose five conditions match decides, with the same matching as [`evaluate_nsg`]
/// (which a property test checks). `Deny` when nothing matches. For callers that only
/// need the verdict many times over, such as the health probes of a large scenario.
pub fn decide_access(nsg: &NetworkSecurityGroup, flow: &Flow, ctx: &EvalContext) -> Access {
    let view = FlowView::new(flow, ctx);
    rules_in_priority_order(nsg, flow.direction)
        .iter()
        .filter_map(|r| r.rule(nsg))
        .find(|rule| view.check(rule, &mut Facts::default()).matched())
        .map_or(Access::Deny, |rule| rule.access)
}

/// Evaluates one NSG for a flow, as Network Watcher's NSG diagnostics would show it.
pub fn evaluate_nsg(
    nsg: &NetworkSecurityGroup,
    applied_to: AppliedTo,
    flow: &Flow,
    ctx: &EvalContext,
) -> NsgEvaluation {
    let view = FlowView::new(flow, ctx);
    let order = rules_in_priority_order(nsg, flow.direction);
    let mut rules = Vec::with_capacity(order.len());
    let mut deciding = None;
    let mut notes = Vec::new();
    // The rules up to and including the deciding one that a note may mention, by
    // position in `rules`; most rules have nothing to say and are not kept.
    let mut relevant: Vec<(usize, Facts, bool)> = Vec::new();
    let mut virtual_network_used = false;
    for rule_ref in &order {
        let Some(rule) = rule_ref.rule(nsg) else {
            continue;
        };
        let mut facts = Facts::default();
        let checks = view.check(rule, &mut facts);
        let matched = checks.matched();
        let decided = matched && deciding.is_none();
        if deciding.is_none() {
            virtual_network_used |= facts.virtual_network_used;
            if facts.noteworthy(decided) {
                relevant.push((rules.len(), facts, decided));
            }
        }
        if decided {
            deciding = Some(rules.len());
        }
        rules.push(RuleEvaluation {
            name: rule.name.clone(),
            kind: rule_ref.kind,
            index: rule_ref.index,
            priority: rule.priority,
            access: rule.access,
            protocol: checks.protocol,
            source: checks.source,
            source_port: checks.source_port,
            destination: checks.destination,
            destination_port: checks.destination_port,
            matched,
            decided,
        });
    }

    let (access, rule_name) = match deciding.and_then(|i| rules.get(i)) {
        Some(r) => (r.access, format!("{}/{}", r.kind.collection(), r.name)),
        None => {
            notes.push(format!(
                "no {} rule matched (the NSG lacks its default rules): treated as Deny",
                flow.direction.as_str().to_ascii_lowercase()
            ));
            (Access::Deny, String::new())
        }
    };
    explain(
        &mut notes,
        &rules,
        &relevant,
        virtual_network_used,
        flow,
        ctx,
    );
    NsgEvaluation {
        applied_to,
        nsg_name: nsg.name.clone(),
        access,
        rule_name,
        deciding_rule: deciding,
        rules,
        notes,
    }
}

fn source_field(spec: &AddressSpec) -> &'static str {
    match spec {
        AddressSpec::ApplicationSecurityGroups(_) => "sourceApplicationSecurityGroups",
        AddressSpec::Prefixes(p) if p.len() == 1 => "sourceAddressPrefix",
        AddressSpec::Prefixes(_) => "sourceAddressPrefixes",
    }
}

fn destination_field(spec: &AddressSpec) -> &'static str {
    match spec {
        AddressSpec::ApplicationSecurityGroups(_) => "destinationApplicationSecurityGroups",
        AddressSpec::Prefixes(p) if p.len() == 1 => "destinationAddressPrefix",
        AddressSpec::Prefixes(_) => "destinationAddressPrefixes",
    }
}

fn ports_field(side: &str, ranges: &[PortRange]) -> &'static str {
    match (side, ranges.len() == 1) {
        ("source", true) => "sourcePortRange",
        ("source", false) => "sourcePortRanges",
        (_, true) => "destinationPortRange",
        (_, false) => "destinationPortRanges",
    }
}

/// Notes on the rules up to and including the deciding one: only those shaped the verdict.
fn explain(
    notes: &mut Vec<String>,
    rules: &[RuleEvaluation],
    relevant: &[(usize, Facts, bool)],
    virtual_network_used: bool,
    flow: &Flow,
    ctx: &EvalContext,
) {
    let name_of = |i: usize| rules.get(i).map(|r| r.name.as_str()).unwrap_or_default();
    for (position, facts, decided) in relevant {
        let name = name_of(*position);
        for reason in &facts.undecidable {
            notes.push(format!(
                "rule {name}: {reason}, so packetwalk cannot decide whether it matches; treated as not matching (supply the tag's prefixes)"
            ));
        }
        for what in &facts.invalid {
            notes.push(format!(
                "rule {name}: {what} is not a valid value and never matches"
            ));
        }
        if *decided && facts.star_covers_ipsec {
            notes.push(format!(
                "rule {name} decided with protocol *: packetwalk reads * as covering {} too (unconfirmed: the docs list TCP, UDP and ICMP)",
                flow.protocol.as_str().to_ascii_uppercase()
            ));
        }
        if let Some(ip) = facts.internet_private {
            notes.push(format!(
                "rule {name}: {ip} is a private address outside the VNet; packetwalk counts it as Internet (unconfirmed)"
            ));
        }
    }
    let portless: Vec<&str> = relevant
        .iter()
        .filter(|(_, f, _)| f.portless_no)
        .map(|(i, _, _)| name_of(*i))
        .collect();
    if !portless.is_empty() {
        notes.push(format!(
            "{} carries no ports: packetwalk reads a port condition as matching it only when it is * or 0-65535 (unconfirmed), so {} did not match",
            flow.protocol.as_str().to_ascii_uppercase(),
            portless.join(", ")
        ));
    }
    if ctx.vnet_prefixes.is_empty() && virtual_network_used {
        notes.push(
            "no VNet prefixes were supplied: VirtualNetwork covers only 168.63.129.16 and Internet everything else".to_owned(),
        );
    }
    let platform = [IpAddr::V4(AZURE_HOST_IP), IpAddr::V4(INSTANCE_METADATA_IP)];
    if platform.contains(&flow.remote_ip) {
        notes.push(format!(
            "Azure does not filter traffic to and from {} with NSGs by default (spec §1); the verdict shows what the rules say",
            flow.remote_ip
        ));
    }
}

/// Evaluates a flow through the subnet NSG and the NIC NSG in Azure's order: inbound
/// subnet then NIC, outbound NIC then subnet; both must allow, a level without an NSG
/// allows, and the first Deny ends the evaluation.
pub fn evaluate_path(
    subnet: Option<&NetworkSecurityGroup>,
    nic: Option<&NetworkSecurityGroup>,
    flow: &Flow,
    ctx: &EvalContext,
) -> FlowVerdict {
    let levels = match flow.direction {
        Direction::Inbound => [(AppliedTo::Subnet, subnet), (AppliedTo::Nic, nic)],
        Direction::Outbound => [(AppliedTo::Nic, nic), (AppliedTo::Subnet, subnet)],
    };
    let mut evaluations = Vec::new();
    let mut notes = Vec::new();
    for (position, (applied_to, nsg)) in levels.iter().enumerate() {
        let level = level_name(*applied_to);
        let Some(nsg) = nsg else {
            notes.push(format!("no NSG on the {level}: this level allows"));
            continue;
        };
        let evaluation = evaluate_nsg(nsg, *applied_to, flow, ctx);
        let denied = evaluation.access == Access::Deny;
        evaluations.push(evaluation);
        if denied {
            if let Some((next, Some(_))) = levels.get(position + 1) {
                notes.push(format!(
                    "the {level} NSG denied, so the {} NSG was not evaluated",
                    level_name(*next)
                ));
            }
            break;
        }
    }
    let access = if evaluations.iter().any(|e| e.access == Access::Deny) {
        Access::Deny
    } else {
        Access::Allow
    };
    let rule_name = evaluations
        .last()
        .map(|e| e.rule_name.clone())
        .unwrap_or_default();
    FlowVerdict {
        access,
        rule_name,
        evaluations,
        notes,
    }
}

fn level_name(applied_to: AppliedTo) -> &'static str {
    match applied_to {
        AppliedTo::Subnet => "subnet",
        AppliedTo::Nic => "NIC",
    }
}
