//! The subnet's and the NIC's NSGs (spec §1): inbound the subnet's first, then the NIC's;
//! outbound the NIC's first; both must allow, and a missing NSG allows. A packet between
//! two addresses of one node crosses no NIC, so no NSG sees it (see `node`).

use super::load_balancer::frontend_of;
use super::{Backend, Step};
use crate::analysis::exposure::{ports_text, Exposing};
use crate::analysis::nsg::{carve, reach_with, rule_boxes, AsgReading, RuleBox};
use crate::analysis::space::{AddrSet, PortSet, Region};
use crate::component;
use crate::eval::evaluate_nsg;
use crate::model::{Access, AppliedTo, Direction, Flow, NetworkSecurityGroup, Protocol};
use crate::scenario::{node_context, subnet_nsg_name, Node, Scenario};
use crate::trace::{docs_for, Action, Doc, End, Hop, Leg, Walk};
// The keys are small, and the input is the person's own scenario on their own
// machine, so hash flooding is no concern: Fx hashes them far faster than SipHash.
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;
use std::ops::ControlFlow::{Break, Continue};
use std::rc::Rc;

pub(super) const DOC: Doc = Doc {
    title: "How network security groups filter network traffic",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
};

// ---- one packet ------------------------------------------------------------------------

/// Evaluates the subnet NSG and the NIC NSG of `node` in Azure's order (spec §1), one
/// hop per NSG; the packet stops at the first that denies.
pub(super) fn check<'a>(w: &mut Walk<'a>, node: &'a Node, direction: Direction) -> Step<()> {
    let nsg = |name: Option<&String>| name.and_then(|n| w.s.network_security_groups.get(n));
    let subnet = w.s.vnet.subnets.iter().find(|s| s.name == node.subnet);
    let subnet_nsg = subnet.and_then(|s| nsg(s.network_security_group.as_ref()));
    let nic_nsg = nsg(node.nic.network_security_group.as_ref());
    let subnet_name = subnet
        .map(|s| s.name.as_str())
        .unwrap_or(node.subnet.as_str());
    let levels = match direction {
        Direction::Inbound => [(AppliedTo::Subnet, subnet_nsg), (AppliedTo::Nic, nic_nsg)],
        Direction::Outbound => [(AppliedTo::Nic, nic_nsg), (AppliedTo::Subnet, subnet_nsg)],
    };
    let p = w.packet;
    let flow = match direction {
        Direction::Inbound => Flow {
            direction,
            protocol: p.protocol,
            local_ip: p.destination_ip,
            local_port: p.destination_port,
            remote_ip: p.source_ip,
            remote_port: p.source_port,
        },
        Direction::Outbound => Flow {
            direction,
            protocol: p.protocol,
            local_ip: p.source_ip,
            local_port: p.source_port,
            remote_ip: p.destination_ip,
            remote_port: p.destination_port,
        },
    };
    let ctx = node_context(w.s, node);
    for (applied_to, nsg) in levels {
        let Some(nsg) = nsg else { continue };
        let id = match applied_to {
            AppliedTo::Subnet => component::nsg_on_subnet(&nsg.name, subnet_name),
            AppliedTo::Nic => component::nsg_on_nic(&nsg.name, &node.nic.name),
        };
        let evaluation = evaluate_nsg(nsg, applied_to, &flow, &ctx);
        let rule = evaluation
            .deciding_rule
            .and_then(|i| evaluation.rules.get(i))
            .map(|r| format!("{} (priority {})", r.name, r.priority))
            .unwrap_or_else(|| "no rule".to_owned());
        let place = match applied_to {
            AppliedTo::Subnet => format!("subnet {subnet_name}"),
            AppliedTo::Nic => format!("NIC {}", node.nic.name),
        };
        let denied = evaluation.access == Access::Deny;
        let verb = if denied { "denies" } else { "allows" };
        let summary = format!("NSG {} on the {place}: {rule} {verb}", nsg.name);
        let mut explanation = format!(
            "The {} NSG checks the {} packet {p}. Rules are processed by priority, lowest number first, and the first that matches decides: {rule}, {}.",
            if applied_to == AppliedTo::Nic { "NIC's" } else { "subnet's" },
            direction.as_str().to_ascii_lowercase(),
            if denied { "Deny" } else { "Allow" },
        );
        if direction == Direction::Inbound && frontend_of(w.s, p.destination_ip).is_some() {
            explanation.push_str(
                " The destination is still the load balancer's frontend IP: with floating IP the load balancer does not rewrite it, which is why the cloud provider's rule names the public IP.",
            );
        }
        for note in &evaluation.notes {
            explanation.push(' ');
            explanation.push_str(note);
            if !note.ends_with('.') {
                explanation.push('.');
            }
        }
        w.hops.push(Hop {
            component: id.clone(),
            action: if denied {
                Action::NsgDeny
            } else {
                Action::NsgAllow
            },
            leg: Leg::Forward,
            packet: p,
            summary: summary.clone(),
            explanation,
            spec: "§1",
            docs: docs_for(&id, Action::NsgAllow, w.s.network_plugin),
            nsg: Some(evaluation),
            lb: None,
            policy: None,
        });
        if denied {
            return Break(End::Dropped {
                at: id,
                reason: summary,
            });
        }
    }
    Continue(())
}

// ---- whole sets of packets -------------------------------------------------------------

/// One NSG read for one direction, protocol and NIC: its rule boxes, each rule's
/// `<nsg>/<rule>` name, and the notes about its rules (built once per exposure).
struct CachedNsg {
    boxes: Vec<RuleBox>,
    names: Vec<Rc<str>>,
    notes: Vec<String>,
    /// The notes are in the exposure's notes already.
    noted: bool,
}

/// What a node's NSGs let through of one region: per allowed part, the rules that
/// allowed it (indices into the cached NSGs' names).
type PassedKey = (
    Option<String>,
    Option<String>,
    Vec<String>,
    Direction,
    Protocol,
    Region,
);

/// NSGs read once per (NSG, direction, protocol, the NIC's ASGs), and the answer of a
/// node's NSG pair for a region once per (subnet NSG, NIC NSG, ASGs, direction,
/// protocol, region): the nodes of a pool share their NSGs, so with floating IP the
/// Internet's hop is carved once for the pool, not once per node. (The SNATed hop
/// between two nodes is different for every pair: not memoised.)
#[derive(Default)]
pub(crate) struct Cache {
    /// By the NSG's index in the scenario (not its name: no string to hash per lookup).
    nsgs: HashMap<(usize, Direction, Protocol, Vec<String>), CachedNsg>,
    passed: HashMap<PassedKey, Rc<[Passed]>>,
    /// The SNATed hops' answers (see [`crossing`]).
    snat: HashMap<CrossingKey, Rc<[Vec<Rc<str>>]>>,
    /// What the NSGs of a hop can tell of an address, by address and the hop's NSGs
    /// (numbered as in `pairs`).
    address_classes: HashMap<(IpAddr, usize, usize, Protocol), usize>,
    /// The distinct answers of `address_classes`, numbered.
    class_ids: HashMap<Vec<bool>, usize>,
    /// The distinct NSG pairs of the nodes, numbered, and each node's number by its
    /// index in the scenario.
    pairs: HashMap<NsgPair, usize>,
    node_pairs: HashMap<usize, usize>,
}

/// A node's NSGs as the analysis reads them: its subnet's and its NIC's (by index in
/// the scenario) and the NIC's ASGs.
type NsgPair = (Option<usize>, Option<usize>, Vec<String>);

/// A crossing's NSGs, protocol, source and destination ports, and the classes of its two
/// addresses.
type CrossingKey = (usize, usize, Protocol, (u16, u16), u16, usize, usize);

/// A hop across the VNet from one node to an address on another node (kube-proxy's
/// SNATed hop to a pod, under the Cluster policy): out through the first node's NSGs, in
/// through the other's.
pub(super) struct Crossing<'s> {
    /// Each node with its index in the scenario.
    pub(super) node: (usize, &'s Node),
    pub(super) node_ip: IpAddr,
    pub(super) source_ports: (u16, u16),
    pub(super) pod_node: (usize, &'s Node),
    pub(super) pod_ip: IpAddr,
    pub(super) target_port: u16,
    pub(super) protocol: Protocol,
}

impl Cache {
    fn get(
        &mut self,
        nsg: &NetworkSecurityGroup,
        direction: Direction,
        protocol: Protocol,
        scenario: &Scenario,
        node: &Node,
    ) -> &mut CachedNsg {
        let index = scenario
            .network_security_groups
            .nsgs
            .iter()
            .position(|n| std::ptr::eq(n, nsg))
            .unwrap_or(usize::MAX);
        let key = (
            index,
            direction,
            protocol,
            node.nic.application_security_groups.clone(),
        );
        self.nsgs.entry(key).or_insert_with(|| {
            let ctx = node_context(scenario, node);
            let boxes = rule_boxes(nsg, direction, protocol, &ctx, AsgReading::FromContext);
            let names = boxes
                .iter()
                .map(|b| Rc::from(nsg_rule_name(nsg, b.rule)))
                .collect();
            // The notes `reach_with` writes about the rules themselves (for a protocol
            // with ports those are all but the "matches no rule" note).
            let notes = reach_with(nsg, direction, protocol, &boxes, Vec::new())
                .notes
                .into_iter()
                .map(|note| format!("NSG {}: {note}", nsg.name))
                .collect();
            CachedNsg {
                boxes,
                names,
                notes,
                noted: false,
            }
        })
    }
}

/// A part of the region that passed a node's NSGs, with the rules that allowed it.
#[derive(Clone)]
pub(super) struct Passed {
    pub(super) region: Region,
    pub(super) rules: Vec<Rc<str>>,
}

fn nsg_rule_name(nsg: &NetworkSecurityGroup, rule: crate::eval::RuleRef) -> String {
    format!("{}/{}", nsg.name, rule.rule_name(nsg))
}

fn push_note(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// `region` through `node`'s subnet and NIC NSGs in Azure's order (spec §1); with
/// `memo` the answer is kept for the next node with the same NSGs and region.
#[allow(clippy::too_many_arguments)]
fn through(
    scenario: &Scenario,
    node: &Node,
    direction: Direction,
    protocol: Protocol,
    region: Region,
    memo: bool,
    cache: &mut Cache,
    notes: &mut Vec<String>,
) -> Rc<[Passed]> {
    let [subnet_nsg, nic_nsg] = node_nsgs(scenario, node);
    let key: Option<PassedKey> = memo.then(|| {
        (
            subnet_nsg.map(|n| n.name.clone()),
            nic_nsg.map(|n| n.name.clone()),
            node.nic.application_security_groups.clone(),
            direction,
            protocol,
            region.clone(),
        )
    });
    if let Some(found) = key.as_ref().and_then(|k| cache.passed.get(k)) {
        // Its notes were written the first time, and notes are kept once each.
        return found.clone();
    }
    let levels = match direction {
        Direction::Inbound => [subnet_nsg, nic_nsg],
        Direction::Outbound => [nic_nsg, subnet_nsg],
    };
    let mut passed = vec![Passed {
        region,
        rules: Vec::new(),
    }];
    for nsg in levels.into_iter().flatten() {
        let mut next = Vec::new();
        let cached = cache.get(nsg, direction, protocol, scenario, node);
        if !protocol.has_ports() {
            // Rare (an LB rule for a protocol without ports): the full reading, notes and all.
            for p in passed {
                let reach = reach_with(nsg, direction, protocol, &cached.boxes, vec![p.region]);
                for note in reach.notes {
                    push_note(notes, format!("NSG {}: {note}", nsg.name));
                }
                for allowed in reach.allowed {
                    let name: Rc<str> = Rc::from(nsg_rule_name(nsg, allowed.rule));
                    for region in allowed.regions {
                        let mut rules = p.rules.clone();
                        rules.push(name.clone());
                        next.push(Passed { region, rules });
                    }
                }
            }
            passed = next;
            continue;
        }
        for p in passed {
            if !cached.noted {
                cached.noted = true;
                for note in &cached.notes {
                    push_note(notes, note.clone());
                }
            }
            let (decided, unmatched) = carve(&cached.boxes, vec![p.region]);
            if !unmatched.is_empty() {
                push_note(
                    notes,
                    format!(
                        "NSG {}: part of the region matches no {} rule (the NSG lacks its default rules): denied",
                        nsg.name,
                        direction.as_str().to_ascii_lowercase()
                    ),
                );
            }
            for allowed in decided.into_iter().filter(|d| d.access == Access::Allow) {
                let Some(i) = cached.boxes.iter().position(|b| b.rule == allowed.rule) else {
                    continue;
                };
                let Some(name) = cached.names.get(i) else {
                    continue;
                };
                for region in allowed.regions {
                    let mut rules = p.rules.clone();
                    rules.push(name.clone());
                    next.push(Passed { region, rules });
                }
            }
        }
        passed = next;
    }
    let passed: Rc<[Passed]> = passed.into();
    if let Some(key) = key {
        cache.passed.insert(key, passed.clone());
    }
    passed
}

/// What passes `at`'s node's NSGs inbound of the Internet's traffic to `destination`
/// (`start`); noted when nothing does.
pub(super) fn expose_inbound(
    x: &mut Exposing<'_>,
    at: &Backend<'_, '_>,
    destination: IpAddr,
    start: Region,
) -> Rc<[Passed]> {
    let node = at.node.1;
    let passed = through(
        x.scenario,
        node,
        Direction::Inbound,
        at.protocol,
        start,
        true,
        &mut x.nsgs,
        &mut x.notes,
    );
    if passed.is_empty() {
        x.notes.push(format!(
            "Load-balancing rule {}: the NSGs of node {} deny every Internet source {} {} to {destination}.",
            at.front.rule.name,
            node.name,
            at.protocol,
            ports_text(at.frontend_ports)
        ));
    }
    passed
}

fn nsg_pair(scenario: &Scenario, node: &Node) -> NsgPair {
    let nsgs = &scenario.network_security_groups;
    let index = |name: Option<&str>| name.and_then(|n| nsgs.nsgs.iter().position(|g| g.name == n));
    (
        index(subnet_nsg_name(scenario, node)),
        index(node.nic.network_security_group.as_deref()),
        node.nic.application_security_groups.clone(),
    )
}

/// The SNATed hop from a node to a pod on another node, through the node's NSGs
/// outbound and the pod's node's inbound: for each way across, the rules that allow
/// it; empty when the NSGs deny it.
///
/// There is one such hop per (node, pod) pair, thousands in a large cluster, and their
/// answers repeat: within one hop's NSGs, protocol and port, the answer depends on the
/// two addresses only through which rules' address sets hold each of them. So the
/// answer is kept per such class of addresses, and each address's class is worked out
/// once per set of NSGs.
pub(super) fn crossing(
    scenario: &Scenario,
    hop: &Crossing<'_>,
    cache: &mut Cache,
    notes: &mut Vec<String>,
) -> Rc<[Vec<Rc<str>>]> {
    let pair = |(index, node): (usize, &Node), cache: &mut Cache| {
        if let Some(&id) = cache.node_pairs.get(&index) {
            return id;
        }
        let next = cache.pairs.len();
        let id = *cache.pairs.entry(nsg_pair(scenario, node)).or_insert(next);
        cache.node_pairs.insert(index, id);
        id
    };
    let (from, to) = (pair(hop.node, cache), pair(hop.pod_node, cache));
    let (node, pod_node) = (hop.node.1, hop.pod_node.1);
    let class = |ip: IpAddr, cache: &mut Cache| {
        let key = (ip, from, to, hop.protocol);
        if let Some(&id) = cache.address_classes.get(&key) {
            return id;
        }
        let mut signature = Vec::new();
        for (node, direction) in [(node, Direction::Outbound), (pod_node, Direction::Inbound)] {
            for nsg in node_nsgs(scenario, node).into_iter().flatten() {
                let cached = cache.get(nsg, direction, hop.protocol, scenario, node);
                for b in &cached.boxes {
                    if let Some(region) = &b.region {
                        signature.push(region.sources.contains(ip));
                        signature.push(region.destinations.contains(ip));
                    }
                }
            }
        }
        let next = cache.class_ids.len();
        let id = *cache.class_ids.entry(signature).or_insert(next);
        cache.address_classes.insert(key, id);
        id
    };
    let key: CrossingKey = (
        from,
        to,
        hop.protocol,
        hop.source_ports,
        hop.target_port,
        class(hop.node_ip, cache),
        class(hop.pod_ip, cache),
    );
    if let Some(found) = cache.snat.get(&key) {
        return found.clone();
    }
    let region = Region {
        sources: AddrSet::from_ip(hop.node_ip),
        source_ports: PortSet::range(hop.source_ports.0, hop.source_ports.1),
        destinations: AddrSet::from_ip(hop.pod_ip),
        destination_ports: PortSet::single(hop.target_port),
    };
    let out = through(
        scenario,
        node,
        Direction::Outbound,
        hop.protocol,
        region,
        false,
        cache,
        notes,
    );
    let mut crossed = Vec::new();
    for o in out.iter() {
        crossed.extend(
            through(
                scenario,
                pod_node,
                Direction::Inbound,
                hop.protocol,
                o.region.clone(),
                false,
                cache,
                notes,
            )
            .iter()
            .map(|i| {
                let mut r = o.rules.clone();
                r.extend(i.rules.iter().cloned());
                r
            }),
        );
    }
    let crossed: Rc<[Vec<Rc<str>>]> = crossed.into();
    cache.snat.insert(key, crossed.clone());
    crossed
}

/// A node's subnet NSG and NIC NSG, as found in the scenario.
fn node_nsgs<'s>(scenario: &'s Scenario, node: &Node) -> [Option<&'s NetworkSecurityGroup>; 2] {
    let nsgs = &scenario.network_security_groups;
    let subnet = subnet_nsg_name(scenario, node).and_then(|n| nsgs.get(n));
    let nic = node
        .nic
        .network_security_group
        .as_deref()
        .and_then(|n| nsgs.get(n));
    [subnet, nic]
}
