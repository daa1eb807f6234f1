//! What the Internet can reach in a scenario, exactly (spec §3, §4): every NIC and pod,
//! protocol and destination port that some Internet source reaches through the whole
//! path, with the sources that can and the rules that let them.
//!
//! The path is `crate::path`'s, as a trace walks it for one packet, here for whole sets
//! of packets: each stage of the path reads its part (the public IPs and load-balancing
//! rules, the healthy backends, the NSGs, kube-proxy's DNAT and SNAT, the pods) on an
//! [`Exposing`]; this module holds the result and the accumulators the stages fill.

use super::nsg::internet;
use super::space::{AddrSet, PortSet};
use crate::component;
use crate::eval::EvalContext;
use crate::model::{Protocol, Warning};
use crate::path::nsg::Cache;
use crate::path::public_ip::Frontend;
use crate::scenario::node_context;
use crate::scenario::{Node, Scenario, Service};
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
    /// `namespace/policy spec.ingress[i]` for every NetworkPolicy rule that lets some of
    /// the sources into the pod (docs/network-policy.md); empty when no policy isolates it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub network_policy_rules: Vec<String>,
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

/// The scenario's context without a NIC's ASGs.
pub fn scenario_context(scenario: &Scenario) -> EvalContext {
    node_context(scenario, &Node::default())
}

/// An exposure being worked out: what the stages of the path read it with and write
/// to, in the order they meet.
pub(crate) struct Exposing<'s> {
    pub(crate) scenario: &'s Scenario,
    /// Every Internet address, of both families.
    pub(crate) internet: AddrSet,
    /// The NSGs' readings and answers, kept for the next node or hop that shares them.
    pub(crate) nsgs: Cache,
    /// A Service's ready endpoints, by its index in the scenario: the same for every
    /// node that forwards to it.
    pub(crate) endpoints: HashMap<usize, Vec<usize>>,
    pub(crate) entries: Entries,
    /// What was found closed and why, and the readings used.
    pub(crate) notes: Vec<String>,
    /// The NetworkPolicy stage's readings, decisions and notes.
    pub(crate) policies: crate::path::PolicyCache,
}

/// Which NIC or pod: its kind and its index in the scenario's nodes or pods.
type Target = (ExposedKind, usize);

/// What a path's text is made of, beyond its entry (component, protocol and
/// load-balancing rule): the node it enters by, and for a pod the Service and target
/// port. Equal keys make equal texts, so a repeat is skipped before it is formatted.
type PathKey = (usize, usize, Option<(usize, u16)>);

/// Accumulates entries keyed by component, protocol and load-balancing rule.
#[derive(Default)]
pub(crate) struct Entries {
    entries: Vec<ExposureEntry>,
    /// Each NIC's or pod's entries, by index.
    index: HashMap<Target, Vec<usize>>,
    /// The paths listed so far, by entry index and what makes their text.
    seen_paths: HashSet<PathKey>,
}

/// What [`Entries::add`] records for one path.
pub(crate) struct Reached<'s> {
    pub(crate) target: Target,
    pub(crate) protocol: Protocol,
    pub(crate) ports: &'s PortSet,
    pub(crate) sources: &'s AddrSet,
    pub(crate) rules: &'s [Rc<str>],
    pub(crate) service: Option<&'s Service>,
    /// The node index, and for a pod the Service's index and target port.
    pub(crate) path_key: (usize, Option<(usize, u16)>),
}

impl Entries {
    /// Records one path to a NIC or pod; `component` and `path` are only called for a
    /// new entry and a new path.
    pub(crate) fn add(
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
                        network_policy_rules: Vec::new(),
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

impl Entries {
    /// Adds the NetworkPolicy rules that let a path's sources into a pod to its entry
    /// (the one [`Entries::add`] made for the same target, protocol and rule).
    pub(crate) fn add_policy_rules(
        &mut self,
        target: Target,
        protocol: Protocol,
        lb_rule: &str,
        rules: &[String],
    ) {
        let Some(found) = self.index.get(&target) else {
            return;
        };
        let entries = &mut self.entries;
        let Some(entry) = found.iter().find_map(|&i| {
            let e = entries.get(i)?;
            (e.protocol == protocol && e.explanation.load_balancing_rule == lb_rule).then_some(i)
        }) else {
            return;
        };
        let Some(entry) = entries.get_mut(entry) else {
            return;
        };
        for rule in rules {
            if !entry.explanation.network_policy_rules.contains(rule) {
                entry.explanation.network_policy_rules.push(rule.clone());
            }
        }
    }
}

pub(crate) fn service_name(service: &Service) -> String {
    format!(
        "{}/{}",
        service.namespace.as_deref().unwrap_or("default"),
        service.name
    )
}

pub(crate) fn ports_text(ports: &PortSet) -> String {
    super::space::port_texts(ports).join(",")
}

/// Every (NIC or pod, protocol, destination ports) that some Internet source reaches
/// through the whole path, with those sources and the rules that let them.
pub fn exposure(scenario: &Scenario) -> Exposure {
    let mut warnings = scenario.network_security_groups.import_warnings.clone();
    warnings.extend(crate::scenario::check(scenario));
    warnings.extend(crate::path::policy_warnings(scenario));
    let mut x = Exposing {
        scenario,
        internet: internet(&scenario_context(scenario)),
        nsgs: Cache::default(),
        endpoints: HashMap::default(),
        entries: Entries::default(),
        notes: Vec::new(),
        policies: Default::default(),
    };
    crate::path::expose(&mut x);
    let Exposing {
        internet: internet_all,
        entries,
        notes,
        ..
    } = x;
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
        for rule in &e.explanation.network_policy_rules {
            out.push_str(&format!("    NetworkPolicy rule: {rule}\n"));
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
