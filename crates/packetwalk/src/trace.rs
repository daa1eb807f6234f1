//! A packet's trace through a scenario (spec §4): what each hop did, and the verdict.
//!
//! This module holds the trace as data ([`Trace`], [`Hop`]), its entry points and its
//! text; the path itself, one module per stage, is in `crate::path`, and a packet walks
//! it as a [`Walk`].
//!
//! A trace is reproducible: where Azure or kube-proxy pick at random (the load balancer's
//! backend, kube-proxy's endpoint), packetwalk picks with [`flow_hash`], a documented hash
//! of the 5-tuple, so the same packet always takes the same path.

use crate::eval::NsgEvaluation;
use crate::model::{Protocol, Warning};
use crate::scenario::{NetworkPlugin, Node, Pod, Scenario, Service};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

pub use crate::path::kube_proxy::ready_endpoints;
pub use crate::path::load_balancer::{probe_health, ProbeTarget};

/// A packet's addresses and protocol: what each hop may rewrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiveTuple {
    pub protocol: Protocol,
    pub source_ip: IpAddr,
    pub source_port: u16,
    pub destination_ip: IpAddr,
    pub destination_port: u16,
}

impl FiveTuple {
    pub(crate) fn reversed(self) -> FiveTuple {
        FiveTuple {
            protocol: self.protocol,
            source_ip: self.destination_ip,
            source_port: self.destination_port,
            destination_ip: self.source_ip,
            destination_port: self.source_port,
        }
    }
}

impl fmt::Display for FiveTuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {}",
            self.protocol,
            endpoint(self.source_ip, self.source_port),
            endpoint(self.destination_ip, self.destination_port)
        )
    }
}

pub(crate) fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}:{port}"),
        IpAddr::V6(_) => format!("[{ip}]:{port}"),
    }
}

/// What happened at a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Send,
    Arrive,
    MatchLbRule,
    PickBackend,
    NsgAllow,
    NsgDeny,
    Dnat,
    Snat,
    Route,
    Deliver,
    Drop,
    /// The reply passes because the flow is known (NSGs and conntrack are stateful).
    FlowState,
    /// NetworkPolicy lets the packet through (or does not apply to it).
    PolicyAllow,
    /// NetworkPolicy isolates the pod and no rule allows the packet.
    PolicyDeny,
}

/// A page of Microsoft's or Kubernetes' documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Doc {
    pub title: &'static str,
    pub url: &'static str,
}

pub(crate) const AKS_NETWORK: Doc = Doc {
    title: "Network concepts for applications in AKS",
    url: "https://learn.microsoft.com/azure/aks/concepts-network",
};

/// The documentation behind what happens at `component` (a component id): where the
/// facts of the semantics spec come from, as pages a reader can open. Each stage of the
/// path names its own.
pub fn docs_for(component: &str, action: Action, plugin: NetworkPlugin) -> Doc {
    let kind = component.split(':').next().unwrap_or_default();
    crate::path::docs(kind, action, plugin)
}

/// The way a hop belongs to: towards the destination, or the reply coming back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Leg {
    Forward,
    Return,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    /// The scenario part this happened at (see [`crate::component`]).
    pub component: String,
    pub action: Action,
    pub leg: Leg,
    /// The packet after this hop.
    pub packet: FiveTuple,
    /// One line: what happened.
    pub summary: String,
    /// Why, in plain words.
    pub explanation: String,
    /// The section of the semantics spec this hop follows (for tests and contributors).
    pub spec: &'static str,
    /// The Azure or Kubernetes documentation a reader can open about this hop.
    pub docs: Doc,
    /// For an NSG hop: the whole evaluation, every rule with what matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsg: Option<NsgEvaluation>,
    /// For the load balancer's hops: the rule it used, its probe, and what the probe
    /// says of each backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lb: Option<LbDecision>,
    /// For a NetworkPolicy hop: every policy that selects the pod, and what decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyTable>,
}

/// The NetworkPolicy stage's decision at one pod, as data (docs/network-policy.md): in
/// the style of an NSG's evaluation, every policy that selects the pod with its rules,
/// and the policy, rule, peer and port that let the packet through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTable {
    /// `Ingress` (at the receiving pod) or `Egress` (at the sending pod).
    pub direction: String,
    /// The engine, as `az aks show` names it: `none`, `azure`, `calico`, `cilium`.
    pub engine: String,
    /// `namespace/name` of the pod the policies select.
    pub pod: String,
    /// The other end as the pod sees it: `10.224.0.6 (node aks-nodepool1-0)`.
    pub peer: String,
    /// The port the policies see: the pod's own after kube-proxy's DNAT (`TCP 8080`).
    pub port: String,
    /// Every policy that selects the pod, in the scenario's order.
    pub policies: Vec<PolicyRow>,
    pub allowed: bool,
    /// The decision in words: `allow-office spec.ingress[0] allows`, `isolated for
    /// ingress by a and b; no rule allows`.
    pub verdict: String,
    /// The rule that let the packet through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<PolicyMatchRow>,
    /// Where the engine changed the outcome (Cilium's ipBlock).
    pub notes: Vec<String>,
}

/// A policy that selects the pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRow {
    pub name: String,
    /// `Ingress`, `Egress`, as the API server has them.
    pub policy_types: Vec<String>,
    /// It has this hop's direction among its types, so it isolates the pod (NP 1).
    pub isolates: bool,
    /// Its rules for this hop's direction, in words (`spec.ingress[0]: from ...; ports ...`).
    pub rules: Vec<String>,
    /// One of its rules let the packet through.
    pub decided: bool,
}

/// The rule that allowed a packet, and its peer and port that matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyMatchRow {
    pub policy: String,
    /// `spec.ingress[0]`.
    pub rule: String,
    /// `from[1]: ipBlock 198.51.100.0/24`, or `every peer` for a rule without `from`.
    pub peer: String,
    /// `ports[0]: TCP 8080`, or `every port` for a rule without `ports`.
    pub port: String,
}

/// The load balancer's decision, as data: the rule and probe it used and each backend's
/// health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LbDecision {
    pub rule: String,
    /// `TCP 8080 -> 8080`.
    pub rule_ports: String,
    /// The probe's name, if the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// `TCP 30610` or `HTTP 31234/healthz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_target: Option<String>,
    /// Every node of the backend pool, in pool order (empty at the rule's own hop,
    /// before the probe's answers are looked at).
    pub backends: Vec<BackendHealth>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendHealth {
    /// The node's component id.
    pub component: String,
    pub node: String,
    pub healthy: bool,
    pub why: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Delivered,
    Dropped,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub verdict: Verdict,
    /// The pod (or node, or Internet host) that received the packet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_to: Option<String>,
    /// The component id where the packet was dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The packet as sent.
    pub packet: FiveTuple,
    pub hops: Vec<Hop>,
    pub warnings: Vec<Warning>,
}

/// A packet to trace: where from, where to, which protocol. Endpoints are `IP:PORT`
/// (`[v6]:port`) or the name of a client, pod (`name` or `namespace/name`) or node with
/// `:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacketSpec {
    pub from: String,
    pub to: String,
    pub protocol: String,
}

/// Why a packet could not even be traced; names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("{field} {value:?}: {message}")]
    Endpoint {
        field: &'static str,
        value: String,
        message: String,
    },
    #[error("protocol {0:?}: expected TCP or UDP (or ICMP, ESP, AH)")]
    Protocol(String),
    #[error("the scenario has no flow named {0:?}")]
    NoSuchFlow(String),
    #[error("the scenario has no flows; give a packet")]
    NoFlows,
}

/// The deterministic stand-in for Azure's and kube-proxy's random choices: FNV-1a (64-bit,
/// finished with MurmurHash3's fmix64)
/// over the choosing stage (`lb`, `kube-proxy:<node>`, `snat`), the protocol name and the
/// source and destination addresses and ports, as text
/// (`lb|Tcp|198.51.100.23|50123|203.0.113.10|8080`). The stage keeps the load balancer's
/// and kube-proxy's choices independent, as they are in a real cluster. With
/// `source_ip_only`, only the protocol and source IP count (the load balancer's
/// `SourceIP` distribution, a Service's ClientIP affinity).
pub fn flow_hash(stage: &str, packet: &FiveTuple, source_ip_only: bool) -> u64 {
    let text = if source_ip_only {
        // Azure's spelling (`Tcp`), fixed: the hash must not follow how text prints it.
        format!("{stage}|{}|{}", packet.protocol.as_str(), packet.source_ip)
    } else {
        format!(
            "{stage}|{}|{}|{}|{}|{}",
            packet.protocol.as_str(),
            packet.source_ip,
            packet.source_port,
            packet.destination_ip,
            packet.destination_port
        )
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits are weak (the lowest is the parity of the input's bytes) and the
    // choice is `hash % n`: finish with MurmurHash3's fmix64 so every bit counts.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

pub(crate) fn pick<T>(items: &[T], hash: u64) -> Option<&T> {
    if items.is_empty() {
        None
    } else {
        items.get((hash % items.len() as u64) as usize)
    }
}

/// Traces the scenario's flow named `name`, or its first (default) flow.
pub fn trace_named(scenario: &Scenario, name: Option<&str>) -> Result<Trace, TraceError> {
    let flow = match name {
        Some(name) => scenario
            .flows
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| TraceError::NoSuchFlow(name.to_owned()))?,
        None => scenario.flows.first().ok_or(TraceError::NoFlows)?,
    };
    trace(
        scenario,
        &PacketSpec {
            from: flow.from.clone(),
            to: flow.to.clone(),
            protocol: flow.protocol.clone(),
        },
    )
}

/// Traces one packet through the scenario.
pub fn trace(scenario: &Scenario, spec: &PacketSpec) -> Result<Trace, TraceError> {
    let protocol = Protocol::parse(&spec.protocol)
        .ok_or_else(|| TraceError::Protocol(spec.protocol.clone()))?;
    let (source_ip, source_port) = resolve_endpoint(scenario, "from", &spec.from)?;
    let (destination_ip, destination_port) = resolve_endpoint(scenario, "to", &spec.to)?;
    let packet = FiveTuple {
        protocol,
        source_ip,
        source_port: if protocol.has_ports() { source_port } else { 0 },
        destination_ip,
        destination_port: if protocol.has_ports() {
            destination_port
        } else {
            0
        },
    };
    let mut walk = Walk::new(scenario, packet);
    let end = crate::path::walk(&mut walk);
    let (verdict, delivered_to, dropped_at, reason) = match end {
        End::Delivered(to) => (Verdict::Delivered, Some(to), None, None),
        End::Dropped { at, reason } => (Verdict::Dropped, None, Some(at), Some(reason)),
    };
    let mut warnings = scenario.network_security_groups.import_warnings.clone();
    warnings.extend(crate::scenario::check(scenario));
    warnings.extend(crate::path::policy_warnings(scenario));
    Ok(Trace {
        verdict,
        delivered_to,
        dropped_at,
        reason,
        packet,
        hops: walk.hops,
        warnings,
    })
}

/// `IP:PORT`, `[v6]:PORT`, or `name:PORT` where name is a client, pod (`name` or
/// `namespace/name`), node or public IP.
pub fn resolve_endpoint(
    scenario: &Scenario,
    field: &'static str,
    text: &str,
) -> Result<(IpAddr, u16), TraceError> {
    let err = |message: String| TraceError::Endpoint {
        field,
        value: text.to_owned(),
        message,
    };
    if let Ok(found) = crate::endpoint::parse_endpoint(text) {
        return Ok(found);
    }
    let (name, port) = text
        .rsplit_once(':')
        .ok_or_else(|| err("expected IP:PORT or NAME:PORT".to_owned()))?;
    let port: u16 = port
        .trim()
        .parse()
        .map_err(|_| err(format!("port {port:?} is not a number from 0 to 65535")))?;
    let name = name.trim();
    let ip = scenario
        .clients
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.ip)
        .or_else(|| {
            scenario
                .pods
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.ip)
        })
        .or_else(|| {
            // A pod as `namespace/name`, as kubectl names it.
            let (namespace, pod) = name.split_once('/')?;
            scenario
                .pods
                .iter()
                .find(|p| p.name == pod && p.namespace_or_default() == namespace)
                .and_then(|p| p.ip)
        })
        .or_else(|| {
            scenario
                .nodes
                .iter()
                .find(|n| n.name == name || n.nic.name == name)
                .and_then(|n| n.nic.private_ip_address)
        })
        .or_else(|| {
            scenario
                .public_ips
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.ip_address)
        })
        .or_else(|| name.parse().ok())
        .ok_or_else(|| {
            err(format!(
                "no client, pod, node or public IP named {name:?} has an address"
            ))
        })?;
    Ok((ip, port))
}

/// How a packet's walk ends.
pub(crate) enum End {
    Delivered(String),
    Dropped { at: String, reason: String },
}

/// One packet on the path (`crate::path`): the scenario, the hops so far, and the packet
/// as the last hop left it. Each stage takes it on from the one before.
pub(crate) struct Walk<'a> {
    pub(crate) s: &'a Scenario,
    pub(crate) hops: Vec<Hop>,
    pub(crate) packet: FiveTuple,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(s: &'a Scenario, packet: FiveTuple) -> Walk<'a> {
        Walk {
            s,
            hops: Vec::new(),
            packet,
        }
    }

    pub(crate) fn hop(
        &mut self,
        component: String,
        action: Action,
        leg: Leg,
        summary: String,
        explanation: String,
        spec: &'static str,
    ) {
        self.hops.push(Hop {
            docs: docs_for(&component, action, self.s.network_plugin),
            component,
            action,
            leg,
            packet: self.packet,
            summary,
            explanation,
            spec,
            nsg: None,
            lb: None,
            policy: None,
        });
    }

    pub(crate) fn drop(
        &mut self,
        component: String,
        summary: String,
        explanation: String,
        spec: &'static str,
    ) -> End {
        self.hop(
            component.clone(),
            Action::Drop,
            Leg::Forward,
            summary.clone(),
            explanation,
            spec,
        );
        End::Dropped {
            at: component,
            reason: summary,
        }
    }

    // ---- lookups -------------------------------------------------------------------

    pub(crate) fn in_vnet(&self, ip: IpAddr) -> bool {
        self.s.vnet.address_space.iter().any(|n| n.contains(&ip))
    }

    pub(crate) fn node_named(&self, name: &str) -> Option<&'a Node> {
        self.s.nodes.iter().find(|n| n.name == name)
    }

    pub(crate) fn node_by_ip(&self, ip: IpAddr) -> Option<&'a Node> {
        self.s
            .nodes
            .iter()
            .find(|n| n.nic.private_ip_address == Some(ip))
    }

    pub(crate) fn pod_by_ip(&self, ip: IpAddr) -> Option<&'a Pod> {
        self.s.pods.iter().find(|p| p.ip == Some(ip))
    }

    pub(crate) fn service_by_cluster_ip(&self, ip: IpAddr) -> Option<&'a Service> {
        self.s.services.iter().find(|s| s.cluster_ip == Some(ip))
    }

    /// The LoadBalancer Service whose load-balancer IP, port and protocol are the
    /// packet's destination: kube-proxy on a node matches it there, so a packet a node or
    /// one of its pods sends to it never leaves the node.
    pub(crate) fn service_by_ingress(&self) -> Option<&'a Service> {
        let p = &self.packet;
        self.s.services.iter().find(|s| {
            s.service_type == crate::scenario::ServiceType::LoadBalancer
                && s.ingress_ip == Some(p.destination_ip)
                && s.ports
                    .iter()
                    .any(|port| port.port == p.destination_port && port.protocol() == p.protocol)
        })
    }

    pub(crate) fn in_vnet_or_pod(&self, ip: IpAddr) -> bool {
        self.in_vnet(ip) || self.pod_by_ip(ip).is_some()
    }
}

/// Renders a trace as a walk-through a person can follow (the CLI's text output).
pub fn to_text(trace: &Trace) -> String {
    let mut out = String::new();
    for (i, hop) in trace.hops.iter().enumerate() {
        let leg = match hop.leg {
            Leg::Forward => "",
            Leg::Return => "reply ",
        };
        out.push_str(&format!(
            "{:>2}. {leg}[{}] {}\n",
            i + 1,
            hop.component,
            hop.summary
        ));
        out.push_str(&format!("      {}\n", hop.packet));
        out.push_str(&format!("      {}\n", hop.explanation));
        out.push_str(&format!(
            "      see: {} <{}>\n",
            hop.docs.title, hop.docs.url
        ));
        if let Some(table) = &hop.policy {
            for policy in &table.policies {
                out.push_str(&format!(
                    "      {} {:<40} {:<15} {}\n",
                    if policy.decided { "=>" } else { "  " },
                    policy.name,
                    policy.policy_types.join(","),
                    if policy.isolates {
                        if policy.rules.is_empty() {
                            "isolates; no rules: allows nothing"
                        } else {
                            "isolates"
                        }
                    } else {
                        "does not isolate for this direction"
                    },
                ));
                if policy.isolates {
                    for rule in &policy.rules {
                        out.push_str(&format!("           {rule}\n"));
                    }
                }
            }
            for note in &table.notes {
                out.push_str(&format!("      note: {note}\n"));
            }
        }
        if let Some(nsg) = &hop.nsg {
            for rule in &nsg.rules {
                out.push_str(&format!(
                    "      {} {:>5} {:<5} {:<52} proto {:<3} src {:<3} sport {:<3} dst {:<3} dport {:<3}\n",
                    if rule.decided { "=>" } else { "  " },
                    rule.priority,
                    rule.access.as_str(),
                    rule.name,
                    rule.protocol.as_symbol(),
                    rule.source.as_symbol(),
                    rule.source_port.as_symbol(),
                    rule.destination.as_symbol(),
                    rule.destination_port.as_symbol(),
                ));
            }
        }
    }
    match trace.verdict {
        Verdict::Delivered => out.push_str(&format!(
            "verdict: delivered to {}\n",
            trace.delivered_to.as_deref().unwrap_or("?")
        )),
        Verdict::Dropped => out.push_str(&format!(
            "verdict: dropped at {}: {}\n",
            trace
                .dropped_at
                .as_deref()
                .map_or_else(|| "?".to_owned(), crate::component::describe),
            trace.reason.as_deref().unwrap_or("")
        )),
    }
    for warning in &trace.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}
