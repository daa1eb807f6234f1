//! What the Internet can reach in a scenario, exactly (spec §3, §4): every NIC and pod,
//! protocol and destination port that some Internet source reaches through the whole
//! path, with the sources that can and the rules that let them.
//!
//! The path, as [`crate::trace`] walks it for one packet, here for whole sets of packets:
//! a public IP that is a load-balancer frontend; a load-balancing rule for its protocol
//! and frontend port (no rule: nothing passes); each healthy backend node
//! ([`crate::trace::probe_health`]); that node's subnet NSG then NIC NSG, inbound, with
//! the frontend IP as destination under floating IP, else the node's IP and the backend
//! port; kube-proxy's DNAT to the Service's ready endpoints (`Local`: only the node's
//! own), and for a pod on another node the SNATed hop across the VNet (the node's
//! outbound NSGs, the pod node's inbound NSGs). Node and pod addresses are private: the
//! Internet has no route to them, so nothing is exposed directly.

use super::nsg::{carve, internet, reach_with, rule_boxes, AsgReading, RuleBox};
use super::space::{AddrSet, PortSet, Region};
use crate::component;
use crate::eval::EvalContext;
use crate::model::{Access, Direction, NetworkSecurityGroup, Protocol, Warning};
use crate::scenario::{node_context, subnet_nsg_name};
use crate::scenario::{
    ExternalTrafficPolicy, LoadBalancingRule, Node, Scenario, Service, ServiceType,
};
use crate::trace::{ready_endpoints, ProbeTarget};
use serde::Serialize;
// The keys are small, and the input is the person's own scenario on their own
// machine, so hash flooding is no concern: Fx hashes them far faster than SipHash.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::net::IpAddr;
use std::rc::Rc;

/// The kind of component an exposure entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ExposedKind {
    Nic,
    Pod,
}

/// Why an entry is exposed: the rules on its path, in path order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposureExplanation {
    /// The load-balancing rule that forwards the traffic.
    pub load_balancing_rule: String,
    /// `<nsg>/securityRules/<rule>` (or `defaultSecurityRules`) for every allowing rule
    /// on some path to the component.
    pub nsg_rules: Vec<String>,
    /// `namespace/name` of the Service whose DNAT reaches a pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Each path in plain words.
    pub paths: Vec<String>,
}

/// One (component, protocol, ports) the Internet reaches.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposureEntry {
    /// `nic:<name>` or `pod:<name>` (see [`crate::component`]).
    pub component: String,
    pub kind: ExposedKind,
    pub protocol: Protocol,
    /// Destination ports as the component receives them (a pod: its target port).
    pub ports: PortSet,
    /// `public-ip:<name>`: where the traffic enters.
    pub public_ip: String,
    pub public_ip_address: IpAddr,
    /// The destination ports on the public IP.
    pub frontend_ports: PortSet,
    /// The Internet sources that reach it, as the fewest CIDR blocks.
    pub sources: AddrSet,
    /// Every Internet address of the public IP's family reaches it.
    pub every_internet_source: bool,
    pub explanation: ExposureExplanation,
}

/// The scenario's exposure to the Internet.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    pub entries: Vec<ExposureEntry>,
    /// What was found closed and why, and the readings used.
    pub notes: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// The source ports kube-proxy's SNAT picks from (as [`crate::trace`] does).
const SNAT_PORTS: (u16, u16) = (1024, 65023);

/// The scenario's context without a NIC's ASGs.
pub fn scenario_context(scenario: &Scenario) -> EvalContext {
    node_context(scenario, &Node::default())
}

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
struct BoxCache {
    /// By the NSG's index in the scenario (not its name: no string to hash per lookup).
    nsgs: HashMap<(usize, Direction, Protocol, Vec<String>), CachedNsg>,
    passed: HashMap<PassedKey, Rc<[Passed]>>,
    /// A Service's ready endpoints, by its index in the scenario: the same for every
    /// node that forwards to it.
    endpoints: HashMap<usize, Vec<usize>>,
    /// The SNATed hops' answers (see [`snat_crossing`]).
    snat: HashMap<SnatKey, Rc<[Vec<Rc<str>>]>>,
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

/// The SNATed hop's NSGs, protocol and target port, and the classes of its two
/// addresses.
type SnatKey = (usize, usize, Protocol, u16, usize, usize);

/// kube-proxy's SNATed hop from a node to a pod on another node (Cluster policy).
struct Snat<'s> {
    /// Each node with its index in the scenario.
    node: (usize, &'s Node),
    node_ip: IpAddr,
    pod_node: (usize, &'s Node),
    pod_ip: IpAddr,
    target_port: u16,
    protocol: Protocol,
}

impl BoxCache {
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
struct Passed {
    region: Region,
    rules: Vec<Rc<str>>,
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
fn through_nsgs(
    scenario: &Scenario,
    node: &Node,
    direction: Direction,
    protocol: Protocol,
    region: Region,
    memo: bool,
    cache: &mut BoxCache,
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

/// Which NIC or pod: its kind and its index in the scenario's nodes or pods.
type Target = (ExposedKind, usize);

/// What a path's text is made of, beyond its entry (component, protocol and
/// load-balancing rule): the node it enters by, and for a pod the Service and target
/// port. Equal keys make equal texts, so a repeat is skipped before it is formatted.
type PathKey = (usize, usize, Option<(usize, u16)>);

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
fn snat_crossing(
    scenario: &Scenario,
    hop: &Snat<'_>,
    cache: &mut BoxCache,
    notes: &mut Vec<String>,
) -> Rc<[Vec<Rc<str>>]> {
    let pair = |(index, node): (usize, &Node), cache: &mut BoxCache| {
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
    let class = |ip: IpAddr, cache: &mut BoxCache| {
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
    let key: SnatKey = (
        from,
        to,
        hop.protocol,
        hop.target_port,
        class(hop.node_ip, cache),
        class(hop.pod_ip, cache),
    );
    if let Some(found) = cache.snat.get(&key) {
        return found.clone();
    }
    let region = Region {
        sources: AddrSet::from_ip(hop.node_ip),
        source_ports: PortSet::range(SNAT_PORTS.0, SNAT_PORTS.1),
        destinations: AddrSet::from_ip(hop.pod_ip),
        destination_ports: PortSet::single(hop.target_port),
    };
    let out = through_nsgs(
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
            through_nsgs(
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

/// Accumulates entries keyed by component, protocol and load-balancing rule.
#[derive(Default)]
struct Entries {
    entries: Vec<ExposureEntry>,
    /// Each NIC's or pod's entries, by index.
    index: HashMap<Target, Vec<usize>>,
    /// The paths listed so far, by entry index and what makes their text.
    seen_paths: HashSet<PathKey>,
}

/// What [`Entries::add`] records for one path.
struct Reached<'s> {
    target: Target,
    protocol: Protocol,
    ports: &'s PortSet,
    sources: &'s AddrSet,
    rules: &'s [Rc<str>],
    service: Option<&'s Service>,
    /// The node index, and for a pod the Service's index and target port.
    path_key: (usize, Option<(usize, u16)>),
}

impl Entries {
    /// Records one path to a NIC or pod; `component` and `path` are only called for a
    /// new entry and a new path.
    fn add(
        &mut self,
        reached: Reached<'_>,
        front: &Frontend<'_>,
        frontend_ports: &PortSet,
        component: impl FnOnce() -> String,
        path: impl FnOnce() -> String,
    ) {
        let Reached {
            target,
            protocol,
            ports,
            sources,
            rules,
            service,
            path_key,
        } = reached;
        let lb_rule = &front.rule.name;
        let position = self.index.get(&target).and_then(|found| {
            found.iter().copied().find(|&i| {
                self.entries.get(i).is_some_and(|e| {
                    e.protocol == protocol && &e.explanation.load_balancing_rule == lb_rule
                })
            })
        });
        let at = position.unwrap_or(self.entries.len());
        let entry = match position.and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => entry,
            None => {
                self.index
                    .entry(target)
                    .or_default()
                    .push(self.entries.len());
                self.entries.push(ExposureEntry {
                    component: component(),
                    kind: target.0,
                    protocol,
                    ports: PortSet::empty(),
                    public_ip: component::public_ip(front.public_ip_name),
                    public_ip_address: front.address,
                    frontend_ports: PortSet::empty(),
                    sources: AddrSet::empty(),
                    every_internet_source: false,
                    explanation: ExposureExplanation {
                        load_balancing_rule: lb_rule.clone(),
                        nsg_rules: Vec::new(),
                        service: None,
                        paths: Vec::new(),
                    },
                });
                let Some(entry) = self.entries.last_mut() else {
                    return;
                };
                entry
            }
        };
        if !ports.is_subset(&entry.ports) {
            entry.ports = entry.ports.union(ports);
        }
        if !frontend_ports.is_subset(&entry.frontend_ports) {
            entry.frontend_ports = entry.frontend_ports.union(frontend_ports);
        }
        if !sources.is_subset(&entry.sources) {
            entry.sources = entry.sources.union(sources);
        }
        for rule in rules {
            if !entry.explanation.nsg_rules.iter().any(|r| **r == **rule) {
                entry.explanation.nsg_rules.push(rule.to_string());
            }
        }
        if entry.explanation.service.is_none() {
            entry.explanation.service = service.map(service_name);
        }
        if self.seen_paths.insert((at, path_key.0, path_key.1)) {
            entry.explanation.paths.push(path());
        }
    }
}

/// A public frontend and the rule being followed.
struct Frontend<'a> {
    rule: &'a LoadBalancingRule,
    public_ip_name: &'a str,
    address: IpAddr,
}

fn service_name(service: &Service) -> String {
    format!(
        "{}/{}",
        service.namespace.as_deref().unwrap_or("default"),
        service.name
    )
}

fn ports_text(ports: &PortSet) -> String {
    super::space::port_texts(ports).join(",")
}

/// Every (NIC or pod, protocol, destination ports) that some Internet source reaches
/// through the whole path, with those sources and the rules that let them.
pub fn exposure(scenario: &Scenario) -> Exposure {
    let mut notes = vec![
        "Node and pod addresses are private: the Internet has no route to them, so only the load balancer's public frontends can expose anything (spec §4.1).".to_owned(),
    ];
    let mut entries = Entries::default();
    let mut warnings = scenario.network_security_groups.import_warnings.clone();
    warnings.extend(crate::scenario::check(scenario));
    let Some(lb) = &scenario.load_balancer else {
        notes.push("The scenario has no load balancer: nothing is exposed.".to_owned());
        return Exposure {
            entries: Vec::new(),
            notes,
            warnings,
        };
    };
    for public in &scenario.public_ips {
        let used = lb.frontend_ip_configurations.iter().any(|f| {
            f.public_ip_address.as_deref() == Some(public.name.as_str())
                && lb
                    .load_balancing_rules
                    .iter()
                    .any(|r| r.frontend_ip_configuration == f.name)
        });
        if !used {
            notes.push(format!(
                "Public IP {} has no load-balancing rule: the load balancer drops everything sent to it (spec §4.2).",
                public.name
            ));
        }
    }
    let internet_all = internet(&scenario_context(scenario));
    let mut cache = BoxCache::default();
    for rule in &lb.load_balancing_rules {
        let Some(frontend) = lb
            .frontend_ip_configurations
            .iter()
            .find(|f| f.name == rule.frontend_ip_configuration)
        else {
            continue;
        };
        let Some(public_ip_name) = frontend.public_ip_address.as_deref() else {
            notes.push(format!(
                "Load-balancing rule {} uses the internal frontend {}: a private address the Internet cannot reach.",
                rule.name, frontend.name
            ));
            continue;
        };
        let Some(address) = scenario
            .public_ips
            .iter()
            .find(|p| p.name == public_ip_name)
            .and_then(|p| p.ip_address)
        else {
            notes.push(format!(
                "Load-balancing rule {}: public IP {public_ip_name} has no address in the scenario.",
                rule.name
            ));
            continue;
        };
        let (protocols, frontend_ports): (Vec<Protocol>, PortSet) =
            if rule.protocol.eq_ignore_ascii_case("All") {
                (vec![Protocol::Tcp, Protocol::Udp], PortSet::full())
            } else if let Some(p) = Protocol::parse(&rule.protocol) {
                (vec![p], PortSet::single(rule.frontend_port))
            } else {
                notes.push(format!(
                    "Load-balancing rule {}: protocol {:?} is not TCP, UDP or All; skipped.",
                    rule.name, rule.protocol
                ));
                continue;
            };
        let front = Frontend {
            rule,
            public_ip_name,
            address,
        };
        let sources = internet_all.same_family(address);
        let probe = ProbeTarget::of(scenario, rule);
        let mut healthy = Vec::new();
        for name in &lb.backend_address_pool {
            let Some((index, node)) = scenario
                .nodes
                .iter()
                .enumerate()
                .find(|(_, n)| &n.name == name)
            else {
                continue;
            };
            let (ok, why) = probe.health(scenario, node);
            if ok {
                healthy.push((index, node));
            } else {
                notes.push(format!(
                    "Load-balancing rule {}: node {} is unhealthy ({why}), so it gets no traffic.",
                    rule.name, node.name
                ));
            }
        }
        if healthy.is_empty() {
            notes.push(format!(
                "Load-balancing rule {}: no healthy backend, nothing passes.",
                rule.name
            ));
        }
        for protocol in protocols {
            for &(node_index, node) in &healthy {
                follow_node(
                    scenario,
                    &front,
                    protocol,
                    &frontend_ports,
                    &sources,
                    (node_index, node),
                    &mut entries,
                    &mut cache,
                    &mut notes,
                );
            }
        }
    }
    let mut entries = entries.entries;
    for entry in &mut entries {
        let all = internet_all.same_family(entry.public_ip_address);
        entry.every_internet_source = all.is_subset(&entry.sources);
    }
    entries.sort_by(|a, b| {
        (&a.component, a.protocol, a.ports.ranges().first()).cmp(&(
            &b.component,
            b.protocol,
            b.ports.ranges().first(),
        ))
    });
    Exposure {
        entries,
        notes,
        warnings,
    }
}

#[allow(clippy::too_many_arguments)]
fn follow_node(
    scenario: &Scenario,
    front: &Frontend<'_>,
    protocol: Protocol,
    frontend_ports: &PortSet,
    sources: &AddrSet,
    (node_index, node): (usize, &Node),
    entries: &mut Entries,
    cache: &mut BoxCache,
    notes: &mut Vec<String>,
) {
    let rule = front.rule;
    let Some(node_ip) = node.nic.private_ip_address else {
        return;
    };
    // Floating IP keeps the frontend IP and port; otherwise the node's IP and the backend port.
    let (destination, ports) = if rule.enable_floating_ip {
        (front.address, frontend_ports.clone())
    } else if frontend_ports.is_full() {
        (node_ip, frontend_ports.clone())
    } else {
        (node_ip, PortSet::single(rule.backend_port))
    };
    let start = Region {
        sources: sources.clone(),
        source_ports: PortSet::full(),
        destinations: AddrSet::from_ip(destination),
        destination_ports: ports,
    };
    let passed = through_nsgs(
        scenario,
        node,
        Direction::Inbound,
        protocol,
        start,
        true,
        cache,
        notes,
    );
    if passed.is_empty() {
        notes.push(format!(
            "Load-balancing rule {}: the NSGs of node {} deny every Internet source {} {} to {destination}.",
            rule.name,
            node.name,
            protocol,
            ports_text(frontend_ports)
        ));
        return;
    }
    let entry_path = format!(
        "public IP {} ({}) -> load-balancing rule {} (floating IP {}) -> node {}",
        front.public_ip_name,
        front.address,
        rule.name,
        if rule.enable_floating_ip { "on" } else { "off" },
        node.name
    );
    for p in passed.iter() {
        entries.add(
            Reached {
                target: (ExposedKind::Nic, node_index),
                protocol,
                ports: &p.region.destination_ports,
                sources: &p.region.sources,
                rules: &p.rules,
                service: None,
                path_key: (node_index, None),
            },
            front,
            frontend_ports,
            || component::nic(&node.nic.name),
            || format!("{entry_path}: NIC {} receives it", node.nic.name),
        );
        kube_proxy(
            scenario,
            front,
            protocol,
            frontend_ports,
            (node_index, node),
            node_ip,
            p,
            &entry_path,
            entries,
            cache,
            notes,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn kube_proxy(
    scenario: &Scenario,
    front: &Frontend<'_>,
    protocol: Protocol,
    frontend_ports: &PortSet,
    (node_index, node): (usize, &Node),
    node_ip: IpAddr,
    passed: &Passed,
    entry_path: &str,
    entries: &mut Entries,
    cache: &mut BoxCache,
    notes: &mut Vec<String>,
) {
    let destination = passed.region.destinations.clone();
    let ports = &passed.region.destination_ports;
    for (service_index, service) in scenario.services.iter().enumerate() {
        for service_port in &service.ports {
            let service_protocol = service_port
                .protocol
                .as_deref()
                .and_then(Protocol::parse)
                .unwrap_or(Protocol::Tcp);
            if service_protocol != protocol {
                continue;
            }
            let by_ingress = service.service_type == ServiceType::LoadBalancer
                && service
                    .ingress_ip
                    .is_some_and(|ip| destination.contains(ip))
                && ports.contains(service_port.port);
            let by_node_port = destination.contains(node_ip)
                && service.service_type != ServiceType::ClusterIP
                && service_port.node_port.is_some_and(|p| ports.contains(p));
            if !by_ingress && !by_node_port {
                continue;
            }
            let ready = cache.endpoints.entry(service_index).or_insert_with(|| {
                let pods = ready_endpoints(scenario, service);
                scenario
                    .pods
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| pods.iter().any(|r| std::ptr::eq(*r, *p)))
                    .map(|(i, _)| i)
                    .collect()
            });
            let mut endpoints: Vec<(usize, &crate::scenario::Pod)> = ready
                .iter()
                .filter_map(|&i| scenario.pods.get(i).map(|pod| (i, pod)))
                .collect();
            let local = service.external_traffic_policy == ExternalTrafficPolicy::Local;
            if local {
                endpoints.retain(|(_, pod)| pod.node == node.name);
            }
            if endpoints.is_empty() {
                notes.push(format!(
                    "Service {} has no ready endpoint{} for traffic through node {}.",
                    service_name(service),
                    if local { " on the node" } else { "" },
                    node.name
                ));
            }
            let target_port = service_port.target_port.unwrap_or(service_port.port);
            for (pod_index, pod) in endpoints {
                let Some(pod_ip) = pod.ip else { continue };
                if !pod.container_ports.is_empty() && !pod.container_ports.contains(&target_port) {
                    notes.push(format!(
                        "Pod {} does not listen on {target_port}: connections are refused.",
                        pod.name
                    ));
                    continue;
                }
                let mut rules = passed.rules.clone();
                if pod.node != node.name {
                    // Cluster: SNAT to the node's IP, across the VNet to the pod's node.
                    let Some(pod_node) = scenario
                        .nodes
                        .iter()
                        .enumerate()
                        .find(|(_, n)| n.name == pod.node)
                    else {
                        continue;
                    };
                    let hop = Snat {
                        node: (node_index, node),
                        node_ip,
                        pod_node,
                        pod_ip,
                        target_port,
                        protocol,
                    };
                    let crossed = snat_crossing(scenario, &hop, cache, notes);
                    if crossed.is_empty() {
                        notes.push(format!(
                            "The NSGs deny the SNATed hop from node {} to pod {} on {}.",
                            node.name, pod.name, pod.node
                        ));
                        continue;
                    }
                    for r in crossed.iter().flatten() {
                        if !rules.contains(r) {
                            rules.push(r.clone());
                        }
                    }
                }
                entries.add(
                    Reached {
                        target: (ExposedKind::Pod, pod_index),
                        protocol,
                        ports: &PortSet::single(target_port),
                        sources: &passed.region.sources,
                        rules: &rules,
                        service: Some(service),
                        path_key: (node_index, Some((service_index, target_port))),
                    },
                    front,
                    frontend_ports,
                    || component::pod(&pod.name),
                    || {
                        // Thousands of these in a large cluster: built in one buffer.
                        use std::fmt::Write as _;
                        let mut path = String::with_capacity(entry_path.len() + 200);
                        path.push_str(entry_path);
                        path.push_str(" -> kube-proxy DNAT (Service ");
                        path.push_str(service.namespace.as_deref().unwrap_or("default"));
                        path.push('/');
                        path.push_str(&service.name);
                        path.push_str(if local {
                            ", externalTrafficPolicy Local) -> pod "
                        } else {
                            ", externalTrafficPolicy Cluster) -> pod "
                        });
                        path.push_str(&pod.name);
                        let _ = write!(path, " {pod_ip}:{target_port}");
                        if pod.node != node.name {
                            path.push_str(" on node ");
                            path.push_str(&pod.node);
                            path.push_str(" (SNAT to the node's IP)");
                        }
                        path
                    },
                );
            }
        }
    }
}

/// The exposure as text, one entry per paragraph (the CLI's output).
pub fn exposure_to_text(exposure: &Exposure) -> String {
    let mut out = String::new();
    if exposure.entries.is_empty() {
        out.push_str("Nothing is reachable from the Internet.\n");
    }
    for e in &exposure.entries {
        out.push_str(&format!(
            "{} {} {} via {} {} {}\n",
            e.component,
            e.protocol.as_str().to_ascii_uppercase(),
            ports_text(&e.ports),
            e.public_ip,
            e.public_ip_address,
            ports_text(&e.frontend_ports),
        ));
        if e.every_internet_source {
            out.push_str("    from: every Internet source\n");
        } else {
            out.push_str(&format!(
                "    from: {}\n",
                e.sources.to_cidr_strings().join(", ")
            ));
        }
        out.push_str(&format!(
            "    load-balancing rule: {}\n",
            e.explanation.load_balancing_rule
        ));
        for rule in &e.explanation.nsg_rules {
            out.push_str(&format!("    NSG rule: {rule}\n"));
        }
        for path in &e.explanation.paths {
            out.push_str(&format!("    path: {path}\n"));
        }
    }
    for note in &exposure.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for warning in &exposure.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}
