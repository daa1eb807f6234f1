//! Kubernetes NetworkPolicy, the gate at the pod (docs/network-policy.md, NP 1-12).
//!
//! Ingress at the receiving pod, after kube-proxy's DNAT, so the policies see the pod's
//! port, and with the source as the pod sees it: the node's IP after an
//! `externalTrafficPolicy: Cluster` SNAT, the client's own with `Local` (NP 11). Egress at
//! the sending pod, before the packet leaves it; when its own node's kube-proxy rewrites a
//! Service's address first, after that rewrite, so the policies see the backend pod.
//! The semantics are `crate::netpol`'s; this stage says who the peer is, writes the hop,
//! and narrows the exposure. A scenario with no policies and no engine has no such stage,
//! so its traces and exposure are what they were before policies existed.
//!
//! The engine is the scenario's (`networkPolicy`, NP 12): with `none` the policies are
//! listed but decide nothing; with Cilium, ipBlock never selects pod or node addresses
//! and Cilium's eBPF service handling takes kube-proxy's place (the same decisions).

use super::Step;
use crate::analysis::exposure::Exposing;
use crate::analysis::space::AddrSet;
use crate::component;
use crate::model::{Protocol, Warning};
use crate::netpol::{
    self, port_match, LabelSelector, NetworkPolicy, Peer, PeerInfo, PodInfo, PolicyDecision,
    PolicyDirection, PolicyEngine, PolicyPacket, PolicyPort, PolicyProtocol, PolicyRule,
    PolicyVerdict, PortRef,
};
use crate::scenario::{Pod, Scenario};
use crate::trace::{Action, Doc, End, Hop, Leg, PolicyMatchRow, PolicyRow, PolicyTable, Walk};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::net::IpAddr;
use std::ops::ControlFlow::{Break, Continue};
use std::rc::Rc;

pub(super) const DOC: Doc = Doc {
    title: "Kubernetes: Network Policies",
    url: "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
};

const AKS_DOC: Doc = Doc {
    title: "Secure traffic between pods by using network policies in AKS",
    url: "https://learn.microsoft.com/azure/aks/use-network-policies",
};

pub(crate) const CILIUM_DOC: Doc = Doc {
    title: "Azure CNI powered by Cilium: limitations",
    url: "https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium#limitations",
};

/// Whether the scenario has a NetworkPolicy stage at all: an engine, or policies.
pub(super) fn active(s: &Scenario) -> bool {
    !s.network_policy_engine.is_none() || !s.network_policies.policies.is_empty()
}

/// What the scenario's policies give a trace or an exposure to warn about: the policies
/// the import left out, and policies that no engine enforces.
pub(crate) fn warnings(s: &Scenario) -> Vec<Warning> {
    let mut warnings = s.network_policies.import_warnings.clone();
    let count = s.network_policies.policies.len();
    if s.network_policy_engine.is_none() && count > 0 {
        warnings.push(Warning {
            object: "scenario".to_owned(),
            field: Some("networkPolicy".to_owned()),
            value: Some("none".to_owned()),
            message: format!(
                "{count} NetworkPolicy object{} exist{}, but no engine enforces them (networkProfile.networkPolicy is none): they decide nothing",
                if count == 1 { "" } else { "s" },
                if count == 1 { "s" } else { "" },
            ),
        });
    }
    warnings
}

/// A pod as policies see it: its namespace (`default` when absent), labels and named
/// container ports.
pub(crate) fn pod_info(pod: &Pod) -> PodInfo {
    PodInfo {
        name: pod.name.clone(),
        namespace: pod.namespace_or_default().to_owned(),
        labels: pod.labels.clone(),
        named_ports: pod
            .container_ports
            .iter()
            .filter_map(|c| Some((c.name.clone()?, c.container_port, c.protocol)))
            .collect(),
    }
}

fn policy_protocol(protocol: Protocol) -> Option<PolicyProtocol> {
    match protocol {
        Protocol::Tcp => Some(PolicyProtocol::Tcp),
        Protocol::Udp => Some(PolicyProtocol::Udp),
        // NetworkPolicy cannot name ICMP, ESP or AH: only rules without ports match (NP 11).
        _ => None,
    }
}

/// A pod's or a node's address: what Cilium's ipBlock never selects (NP 12).
fn is_cluster_address(s: &Scenario, ip: IpAddr) -> bool {
    s.pods.iter().any(|p| p.ip == Some(ip))
        || s.nodes.iter().any(|n| n.nic.private_ip_address == Some(ip))
}

/// What rewrites a Service's packets on the node: kube-proxy, or Cilium in its place.
fn service_proxy(engine: PolicyEngine) -> &'static str {
    match engine {
        PolicyEngine::Cilium => "Cilium's service handling",
        _ => "kube-proxy",
    }
}

fn engine_name(engine: PolicyEngine) -> &'static str {
    match engine {
        PolicyEngine::None => "no engine (networkPolicy none)",
        PolicyEngine::Azure => "Azure Network Policy Manager",
        PolicyEngine::Calico => "Calico",
        PolicyEngine::Cilium => "Cilium",
    }
}

// ---- one packet ------------------------------------------------------------------------

/// The receiving pod's ingress policies, with the source as the pod sees it.
pub(super) fn ingress<'a>(w: &mut Walk<'a>, pod: &'a Pod) -> Step<()> {
    if !active(w.s) {
        return Continue(());
    }
    let peer = w.packet.source_ip;
    stage(w, PolicyDirection::Ingress, pod, peer)
}

/// The sending pod's egress policies, with the destination as it leaves the pod.
pub(super) fn egress<'a>(w: &mut Walk<'a>, pod: &'a Pod) -> Step<()> {
    if !active(w.s) {
        return Continue(());
    }
    let peer = w.packet.destination_ip;
    stage(w, PolicyDirection::Egress, pod, peer)
}

fn stage<'a>(
    w: &mut Walk<'a>,
    direction: PolicyDirection,
    pod: &'a Pod,
    peer_ip: IpAddr,
) -> Step<()> {
    let s = w.s;
    let own_node = w.node_named(&pod.node);
    let peer_pod = w.pod_by_ip(peer_ip);
    let info = pod_info(pod);
    let peer = PeerInfo {
        ip: peer_ip,
        pod: peer_pod.map(pod_info),
        is_local_node: own_node.and_then(|n| n.nic.private_ip_address) == Some(peer_ip),
        is_cluster_address: is_cluster_address(s, peer_ip),
    };
    let peer_named_ports = match (direction, &peer.pod) {
        (PolicyDirection::Egress, Some(p)) => p.named_ports.clone(),
        _ => Vec::new(),
    };
    let p = w.packet;
    let packet = PolicyPacket {
        direction,
        pod: &info,
        peer: &peer,
        protocol: policy_protocol(p.protocol),
        port: p.destination_port,
        peer_named_ports: &peer_named_ports,
    };
    let engine = s.network_policy_engine;
    let policies = &s.network_policies.policies;
    let decision = netpol::evaluate(policies, &s.namespaces, engine, &packet);
    let selecting: Vec<&NetworkPolicy> = policies.iter().filter(|x| x.selects(&info)).collect();

    let peer_text = describe_peer(w, peer_ip, peer_pod, peer.is_local_node);
    let port_text = if p.protocol.has_ports() {
        format!(
            "{} {}",
            p.protocol.as_str().to_ascii_uppercase(),
            p.destination_port
        )
    } else {
        p.protocol.as_str().to_ascii_uppercase()
    };
    let pod_name = format!("{}/{}", info.namespace, info.name);
    let dir = direction.as_str().to_ascii_lowercase();
    let verdict = verdict_text(&decision, direction);
    let id = component::network_policy(&pod.name);
    let summary = format!("NetworkPolicy at pod {}: {verdict}", pod.name);

    let mut explanation = match direction {
        PolicyDirection::Ingress if dnat_by_kube_proxy(w) => format!(
            "{} checks the packet pod {pod_name} receives after the Service's DNAT by {}, so the policies see the pod's port ({port_text}), and the source as the pod sees it: {peer_text}.",
            capitalised(engine_name(engine)),
            service_proxy(engine),
        ),
        PolicyDirection::Ingress => format!(
            "{} checks the packet pod {pod_name} receives on {port_text} from {peer_text}, the source as the pod sees it.",
            capitalised(engine_name(engine)),
        ),
        PolicyDirection::Egress => format!(
            "{} checks the packet pod {pod_name} sends to {peer_text}, {port_text}, as it leaves the pod.",
            capitalised(engine_name(engine)),
        ),
    };
    explanation.push(' ');
    explanation.push_str(&selection_text(&selecting));
    explanation.push(' ');
    explanation.push_str(&reason_text(
        w, &decision, &selecting, direction, &peer, &peer_text, &port_text,
    ));
    for note in &decision.notes {
        explanation.push(' ');
        explanation.push_str(&capitalised(note));
        if !note.ends_with('.') {
            explanation.push('.');
        }
    }

    let matched = match &decision.verdict {
        PolicyVerdict::Allowed(m) => {
            selecting
                .iter()
                .find(|x| x.name == m.policy)
                .and_then(|policy| {
                    let rule = policy.rules(direction).get(m.rule)?;
                    Some(PolicyMatchRow {
                        policy: m.policy.clone(),
                        rule: format!("spec.{dir}[{}]", m.rule),
                        peer: match m.peer.and_then(|i| Some((i, rule.peers.get(i)?))) {
                            Some((i, peer)) => format!(
                                "{}[{i}]: {}",
                                direction.peers_key(),
                                peer_text_of(peer, &policy.namespace)
                            ),
                            None => format!("every peer (no {})", direction.peers_key()),
                        },
                        port: match m.port.and_then(|i| Some((i, rule.ports.get(i)?))) {
                            Some((i, port)) => format!(
                                "ports[{i}]: {}{}",
                                port_text_of(port),
                                match &port.port {
                                    Some(PortRef::Name(_)) =>
                                        format!(" (= {})", p.destination_port),
                                    _ => String::new(),
                                }
                            ),
                            None => "every port (no ports)".to_owned(),
                        },
                    })
                })
        }
        _ => None,
    };
    let decided = matched.as_ref().map(|m| m.policy.clone());
    let table = PolicyTable {
        direction: direction.as_str().to_owned(),
        engine: engine.as_str().to_owned(),
        pod: pod_name,
        peer: peer_text,
        port: port_text,
        policies: selecting
            .iter()
            .map(|policy| PolicyRow {
                name: policy.name.clone(),
                policy_types: policy
                    .policy_types
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect(),
                isolates: policy.affects(direction),
                rules: policy
                    .rules(direction)
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| rule_text(direction, i, rule, &policy.namespace))
                    .collect(),
                decided: decided.as_deref() == Some(policy.name.as_str()),
            })
            .collect(),
        allowed: decision.allowed(),
        verdict,
        matched,
        notes: decision.notes.clone(),
    };
    let docs = if engine.is_none() {
        AKS_DOC
    } else if !decision.notes.is_empty() {
        CILIUM_DOC
    } else {
        DOC
    };
    let spec = match decision.verdict {
        PolicyVerdict::NotEnforced => "NP 12",
        PolicyVerdict::NotIsolated => "NP 1",
        PolicyVerdict::LocalNode => "NP 9",
        PolicyVerdict::Allowed(_) | PolicyVerdict::Denied => "NP 3",
    };
    let allowed = decision.allowed();
    w.hops.push(Hop {
        component: id.clone(),
        action: if allowed {
            Action::PolicyAllow
        } else {
            Action::PolicyDeny
        },
        leg: Leg::Forward,
        packet: p,
        summary: summary.clone(),
        explanation,
        spec,
        docs,
        nsg: None,
        lb: None,
        policy: Some(table),
    });
    if allowed {
        Continue(())
    } else {
        Break(End::Dropped {
            at: id,
            reason: summary,
        })
    }
}

/// Under Cilium there is no kube-proxy: Cilium's eBPF service handling does its work,
/// with the same outcome (NP 12). The hops kube-proxy's stage wrote from `first` on say
/// so, and so does the reason of a packet it dropped.
pub(super) fn in_kube_proxys_place<T>(w: &mut Walk<'_>, first: usize, step: Step<T>) -> Step<T> {
    if w.s.network_policy_engine != PolicyEngine::Cilium {
        return step;
    }
    const BY: &str = "Cilium's eBPF service handling";
    for hop in w.hops.iter_mut().skip(first) {
        if !hop.component.starts_with("kube-proxy:") {
            continue;
        }
        hop.summary = hop.summary.replacen("kube-proxy", BY, 1);
        hop.explanation.push_str(
            " Azure CNI powered by Cilium runs no kube-proxy: Cilium's eBPF programs handle Services in its place and decide as kube-proxy would.",
        );
        hop.docs = CILIUM_DOC;
    }
    match step {
        Break(End::Dropped { at, reason }) if at.starts_with("kube-proxy:") => {
            Break(End::Dropped {
                at,
                reason: reason.replacen("kube-proxy", BY, 1),
            })
        }
        other => other,
    }
}

/// `a`, `a and b`, `a, b and c`.
fn names(list: &[String]) -> String {
    match list {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn verdict_text(decision: &PolicyDecision, direction: PolicyDirection) -> String {
    let dir = direction.as_str().to_ascii_lowercase();
    match &decision.verdict {
        PolicyVerdict::NotEnforced => "not enforced (networkPolicy none)".to_owned(),
        PolicyVerdict::NotIsolated => format!("no policy isolates the pod for {dir}"),
        PolicyVerdict::LocalNode => match direction {
            PolicyDirection::Ingress => {
                "traffic from the pod's own node is always allowed".to_owned()
            }
            PolicyDirection::Egress => "traffic to the pod's own node is always allowed".to_owned(),
        },
        PolicyVerdict::Allowed(m) => format!("{} spec.{dir}[{}] allows", m.policy, m.rule),
        PolicyVerdict::Denied => format!(
            "isolated for {dir} by {}; no rule allows",
            names(&decision.isolating)
        ),
    }
}

fn selection_text(selecting: &[&NetworkPolicy]) -> String {
    if selecting.is_empty() {
        return "No policy selects the pod.".to_owned();
    }
    let listed: Vec<String> = selecting
        .iter()
        .map(|p| {
            let types: Vec<&str> = p.policy_types.iter().map(|t| t.as_str()).collect();
            format!("{} ({})", p.name, types.join(", "))
        })
        .collect();
    format!(
        "Polic{} selecting the pod: {}.",
        if selecting.len() == 1 { "y" } else { "ies" },
        names(&listed)
    )
}

fn reason_text(
    w: &Walk<'_>,
    decision: &PolicyDecision,
    selecting: &[&NetworkPolicy],
    direction: PolicyDirection,
    peer: &PeerInfo,
    peer_text: &str,
    port_text: &str,
) -> String {
    let dir = direction.as_str().to_ascii_lowercase();
    let isolated = names(&decision.isolating);
    match &decision.verdict {
        PolicyVerdict::NotEnforced => "The cluster's networkPolicy is none: the policies are stored, but no engine enforces them, so they decide nothing.".to_owned(),
        PolicyVerdict::NotIsolated => format!(
            "{} the pod is not isolated for {dir} and {} everything.",
            match selecting.len() {
                0 => "Therefore".to_owned(),
                1 => format!("It does not have {} among its policyTypes, so", direction.as_str()),
                _ => format!("None of them has {} among its policyTypes, so", direction.as_str()),
            },
            match direction {
                PolicyDirection::Ingress => "accepts",
                PolicyDirection::Egress => "may send",
            }
        ),
        PolicyVerdict::LocalNode => {
            let mut text = "The peer is the node the pod runs on, and traffic to and from a pod's own node is always allowed, whatever the policies.".to_owned();
            if direction == PolicyDirection::Ingress && snat_by_kube_proxy(w) {
                text.push_str(&format!(
                    " The SNAT by {} (externalTrafficPolicy Cluster) made the source this node's IP, so the client's own address never reaches the policies.",
                    service_proxy(w.s.network_policy_engine)
                ));
            }
            text
        }
        PolicyVerdict::Allowed(m) => {
            let how = selecting
                .iter()
                .find(|p| p.name == m.policy)
                .and_then(|p| p.rules(direction).get(m.rule).map(|r| (p, r)))
                .map(|(policy, rule)| {
                    let peer = match m.peer.and_then(|i| Some((i, rule.peers.get(i)?))) {
                        Some((i, x)) => format!("{}[{i}] ({}) matches {}", direction.peers_key(), peer_text_of(x, &policy.namespace), peer.ip),
                        None => format!("it has no {}, so every peer matches", direction.peers_key()),
                    };
                    let port = match m.port.and_then(|i| Some((i, rule.ports.get(i)?))) {
                        Some((i, x)) => format!("ports[{i}] ({}) matches {port_text}", port_text_of(x)),
                        None => "it has no ports, so every port matches".to_owned(),
                    };
                    format!("{peer}, and {port}")
                })
                .unwrap_or_default();
            format!(
                "The pod is isolated for {dir} by {isolated}, so only what one of {} rules allows passes; allows are a union. {} spec.{dir}[{}] allows it: {how}.",
                if decision.isolating.len() == 1 { "its" } else { "their" },
                m.policy,
                m.rule
            )
        }
        PolicyVerdict::Denied => {
            let mut text = format!(
                "The pod is isolated for {dir} by {isolated}, and no rule of {} allows {peer_text} on {port_text}: the packet is dropped.",
                if decision.isolating.len() == 1 { "it" } else { "theirs" },
            );
            let node_seen = direction == PolicyDirection::Ingress
                && w.node_by_ip(peer.ip).is_some()
                && snat_by_kube_proxy(w);
            let has_ip_block = selecting.iter().any(|p| {
                p.affects(direction)
                    && p.rules(direction)
                        .iter()
                        .any(|r| r.peers.iter().any(|x| matches!(x, Peer::IpBlock { .. })))
            });
            if node_seen {
                text.push_str(&format!(
                    " The source is the node's IP because {} SNATed the client's {} (externalTrafficPolicy Cluster){}: policies see the packet as the pod does. externalTrafficPolicy Local keeps the client's address.",
                    service_proxy(w.s.network_policy_engine),
                    w.hops.first().map(|h| h.packet.source_ip.to_string()).unwrap_or_default(),
                    if has_ip_block { ", so an ipBlock meant for the client never sees the client's address" } else { "" },
                ));
            }
            text
        }
    }
}

/// Whether kube-proxy DNATed the packet on its way here (to a Service's pod).
fn dnat_by_kube_proxy(w: &Walk<'_>) -> bool {
    w.hops.iter().any(|h| {
        h.leg == Leg::Forward && h.action == Action::Dnat && h.component.starts_with("kube-proxy:")
    })
}

/// Whether kube-proxy SNATed the packet on its way here.
fn snat_by_kube_proxy(w: &Walk<'_>) -> bool {
    w.hops.iter().any(|h| {
        h.leg == Leg::Forward && h.action == Action::Snat && h.component.starts_with("kube-proxy:")
    })
}

fn describe_peer(w: &Walk<'_>, ip: IpAddr, pod: Option<&Pod>, own_node: bool) -> String {
    if let Some(pod) = pod {
        return format!("{ip} (pod {}/{})", pod.namespace_or_default(), pod.name);
    }
    if let Some(node) = w.node_by_ip(ip) {
        return format!(
            "{ip} (node {}{})",
            node.name,
            if own_node { ", the pod's own node" } else { "" }
        );
    }
    if let Some(client) = w.s.clients.iter().find(|c| c.ip == Some(ip)) {
        return format!("{ip} (client {})", client.name);
    }
    ip.to_string()
}

// ---- policies in words -------------------------------------------------------------------

/// `{app=web, tier In (a, b)}`; `{}` selects everything.
pub(crate) fn selector_text(selector: &LabelSelector) -> String {
    format!("{{{}}}", selector.terms())
}

/// A peer in words, for a policy in `namespace` (NP 6, NP 7).
pub(crate) fn peer_text_of(peer: &Peer, namespace: &str) -> String {
    match peer {
        Peer::Pods {
            pod_selector: Some(pods),
            namespace_selector: None,
        } => format!("pods {} in namespace {namespace}", selector_text(pods)),
        Peer::Pods {
            pod_selector: None,
            namespace_selector: Some(namespaces),
        } => format!("every pod in namespaces {}", selector_text(namespaces)),
        Peer::Pods {
            pod_selector: Some(pods),
            namespace_selector: Some(namespaces),
        } => format!(
            "pods {} in namespaces {}",
            selector_text(pods),
            selector_text(namespaces)
        ),
        Peer::Pods {
            pod_selector: None,
            namespace_selector: None,
        } => "no peer".to_owned(),
        Peer::IpBlock { cidr, except } if except.is_empty() => format!("ipBlock {cidr}"),
        Peer::IpBlock { cidr, except } => format!(
            "ipBlock {cidr} except {}",
            except
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `TCP 8080`, `TCP 8000-8100`, `TCP http`, `UDP (every port)`.
pub(crate) fn port_text_of(port: &PolicyPort) -> String {
    let protocol = port.protocol.as_str();
    match (&port.port, port.end_port) {
        (None, _) => format!("{protocol} (every port)"),
        (Some(PortRef::Number(n)), Some(end)) => format!("{protocol} {n}-{end}"),
        (Some(PortRef::Number(n)), None) => format!("{protocol} {n}"),
        (Some(PortRef::Name(name)), _) => format!("{protocol} {name}"),
    }
}

/// `spec.ingress[0]: from[0] pods {app=web} in namespace shop; ports[0] TCP 8080`.
fn rule_text(
    direction: PolicyDirection,
    index: usize,
    rule: &PolicyRule,
    namespace: &str,
) -> String {
    let key = direction.peers_key();
    let peers = if rule.peers.is_empty() {
        format!("{key} every peer")
    } else {
        rule.peers
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{key}[{i}] {}", peer_text_of(p, namespace)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ports = if rule.ports.is_empty() {
        "every port".to_owned()
    } else {
        rule.ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("ports[{i}] {}", port_text_of(p)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "spec.{}[{index}]: {peers}; {ports}",
        direction.as_str().to_ascii_lowercase()
    )
}

// ---- whole sets of packets -------------------------------------------------------------

/// The source of the Internet's packets as the receiving pod sees it.
pub(super) enum Seen {
    /// kube-proxy's SNAT under `externalTrafficPolicy: Cluster`: the forwarding node's
    /// IP, and whether that node is the pod's own (NP 9).
    Node { ip: IpAddr, own: bool },
    /// `Local`: the Internet client's own address.
    Client,
}

/// What of the Internet's packets passes the receiving pod's ingress policies.
pub(super) enum Exposed {
    /// No policy decides (no engine, or the pod is not isolated for ingress): all pass.
    Open,
    /// These sources pass (`None`: all of them), by these rules (`namespace/policy
    /// spec.ingress[i]`).
    Passed {
        sources: Option<AddrSet>,
        rules: Vec<String>,
    },
    /// None passes (noted).
    Closed,
}

/// A pod as the exposure's policy stage reads it, once per exposure.
struct PodPolicies {
    info: PodInfo,
    /// The policies that isolate it for ingress, by index in the scenario.
    isolating: Vec<usize>,
}

/// A pod (by index), protocol and port; the node addresses no rule lets in; what the
/// engine noted.
type Closed = ((usize, Protocol, u16), Vec<IpAddr>, Vec<String>);

/// What the policy stage of an exposure keeps: each pod's policies, the decision for
/// each node address a Cluster Service's SNAT gives its packets, and its notes, so that
/// a pod reached through fifty nodes is read once and noted once.
#[derive(Default)]
pub(crate) struct Cache {
    pods: HashMap<usize, Rc<PodPolicies>>,
    /// By pod, node address, protocol and port: the rule that allows it, `Some(None)`
    /// for the pod's own node, `None` when no rule does.
    snat: HashMap<(usize, IpAddr, Protocol, u16), Option<Option<String>>>,
    /// The node addresses no rule lets into a pod, by pod, protocol and port, in the
    /// order met, with what the engine noted (one note per pod at the end).
    closed: Vec<Closed>,
    noted: HashSet<String>,
}

/// The ingress stage for every Internet source of `sources` sent to the pod at
/// `pod_index` on `port`: exact for every rule, since an Internet address is no pod's
/// and no node's, so only rules open to every peer and ipBlocks can match it; and under
/// `Cluster`, where the pod sees one address (the node's), the decision for it.
pub(super) fn expose_ingress(
    x: &mut Exposing<'_>,
    pod_index: usize,
    seen: Seen,
    protocol: Protocol,
    port: u16,
    sources: &AddrSet,
) -> Exposed {
    let s = x.scenario;
    let engine = s.network_policy_engine;
    if engine.is_none() || s.network_policies.policies.is_empty() {
        return Exposed::Open;
    }
    let Some(pod) = s.pods.get(pod_index) else {
        return Exposed::Open;
    };
    let policies = &s.network_policies.policies;
    let read = x
        .policies
        .pods
        .entry(pod_index)
        .or_insert_with(|| {
            let info = pod_info(pod);
            let isolating = policies
                .iter()
                .enumerate()
                .filter(|(_, p)| p.selects(&info) && p.affects(PolicyDirection::Ingress))
                .map(|(i, _)| i)
                .collect();
            Rc::new(PodPolicies { info, isolating })
        })
        .clone();
    if read.isolating.is_empty() {
        return Exposed::Open;
    }
    let info = &read.info;
    let pod_name = || format!("{}/{}", info.namespace, info.name);
    let port_text = format!("{} {port}", protocol.as_str().to_ascii_uppercase());
    let isolated_by = || {
        let list: Vec<String> = read
            .isolating
            .iter()
            .filter_map(|&i| policies.get(i).map(|p| p.name.clone()))
            .collect();
        names(&list)
    };
    match seen {
        Seen::Node { ip, own } => {
            let key = (pod_index, ip, protocol, port);
            let decided = match x.policies.snat.get(&key) {
                Some(decided) => decided.clone(),
                None => {
                    let peer = PeerInfo {
                        ip,
                        pod: s.pods.iter().find(|p| p.ip == Some(ip)).map(pod_info),
                        is_local_node: own,
                        is_cluster_address: true,
                    };
                    let packet = PolicyPacket {
                        direction: PolicyDirection::Ingress,
                        pod: info,
                        peer: &peer,
                        protocol: policy_protocol(protocol),
                        port,
                        peer_named_ports: &[],
                    };
                    let decision = netpol::evaluate(policies, &s.namespaces, engine, &packet);
                    let decided = match decision.verdict {
                        PolicyVerdict::Allowed(m) => Some(Some(format!(
                            "{}/{} spec.ingress[{}]",
                            info.namespace, m.policy, m.rule
                        ))),
                        PolicyVerdict::Denied => {
                            let at = (pod_index, protocol, port);
                            match x.policies.closed.iter_mut().find(|c| c.0 == at) {
                                Some(closed) => {
                                    closed.1.push(ip);
                                    for n in decision.notes {
                                        if !closed.2.contains(&n) {
                                            closed.2.push(n);
                                        }
                                    }
                                }
                                None => x.policies.closed.push((at, vec![ip], decision.notes)),
                            }
                            None
                        }
                        // NP 9, and (not reached: the pod is isolated) no policy deciding.
                        _ => Some(None),
                    };
                    x.policies.snat.insert(key, decided.clone());
                    decided
                }
            };
            match decided {
                Some(Some(rule)) => Exposed::Passed {
                    sources: None,
                    rules: vec![rule],
                },
                Some(None) => {
                    if own {
                        note(
                            x,
                            format!(
                                "NetworkPolicy: the Internet's packets for pod {} through its own node arrive SNATed to that node's IP {ip}, and traffic from a pod's own node is always allowed.",
                                pod_name()
                            ),
                        );
                    }
                    Exposed::Open
                }
                None => Exposed::Closed,
            }
        }
        Seen::Client => {
            let cluster = if engine == PolicyEngine::Cilium {
                cluster_addresses(s)
            } else {
                AddrSet::empty()
            };
            let probe_peer = PeerInfo {
                ip: IpAddr::from([0, 0, 0, 0]),
                pod: None,
                is_local_node: false,
                is_cluster_address: false,
            };
            let probe = PolicyPacket {
                direction: PolicyDirection::Ingress,
                pod: info,
                peer: &probe_peer,
                protocol: policy_protocol(protocol),
                port,
                peer_named_ports: &[],
            };
            let mut allowed = AddrSet::empty();
            let mut rules = Vec::new();
            for policy in read.isolating.iter().filter_map(|&i| policies.get(i)) {
                for (r, rule) in policy.ingress.iter().enumerate() {
                    if port_match(rule, &probe).is_none() {
                        continue;
                    }
                    let matching = if rule.peers.is_empty() {
                        AddrSet::full()
                    } else {
                        rule.peers
                            .iter()
                            .fold(AddrSet::empty(), |set, peer| match peer {
                                // An Internet address is no pod's (NP 6).
                                Peer::Pods { .. } => set,
                                Peer::IpBlock { cidr, except } => set.union(
                                    &AddrSet::from_nets([cidr])
                                        .subtract(&AddrSet::from_nets(except))
                                        .subtract(&cluster),
                                ),
                            })
                    };
                    let reached = matching.intersect(sources);
                    if !reached.is_empty() {
                        allowed = allowed.union(&reached);
                        rules.push(format!(
                            "{}/{} spec.ingress[{r}]",
                            info.namespace, policy.name
                        ));
                    }
                }
            }
            if allowed.is_empty() {
                note(
                    x,
                    format!(
                        "NetworkPolicy: pod {} is isolated for ingress by {}, and no rule allows an Internet source on {port_text}.",
                        pod_name(),
                        isolated_by()
                    ),
                );
                return Exposed::Closed;
            }
            if !sources.is_subset(&allowed) {
                note(
                    x,
                    format!(
                        "NetworkPolicy: of the Internet, only {} reach{} pod {} on {port_text} (isolated for ingress by {}).",
                        allowed.to_cidr_strings().join(", "),
                        if allowed.to_cidrs().len() == 1 { "es" } else { "" },
                        pod_name(),
                        isolated_by()
                    ),
                );
            }
            Exposed::Passed {
                sources: Some(allowed),
                rules,
            }
        }
    }
}

/// The notes of the pods no rule lets the Internet into through some nodes (their SNAT
/// under `Cluster`): one per pod, protocol and port, after the exposure's walk.
pub(super) fn finish(x: &mut Exposing<'_>) {
    let s = x.scenario;
    let closed = std::mem::take(&mut x.policies.closed);
    for ((pod_index, protocol, port), ips, engine_notes) in closed {
        let (Some(pod), Some(read)) = (s.pods.get(pod_index), x.policies.pods.get(&pod_index))
        else {
            continue;
        };
        let isolating: Vec<String> = read
            .isolating
            .iter()
            .filter_map(|&i| s.network_policies.policies.get(i).map(|p| p.name.clone()))
            .collect();
        const SHOWN: usize = 5;
        let mut listed: Vec<String> = ips.iter().take(SHOWN).map(ToString::to_string).collect();
        if ips.len() > SHOWN {
            listed.push(format!("{} more", ips.len() - SHOWN));
        }
        let mut text = format!(
            "NetworkPolicy: pod {}/{} is isolated for ingress by {}; the Internet's packets forwarded to it through {} arrive SNATed to the forwarding node's IP (externalTrafficPolicy Cluster), and no rule allows {} on {} {port}.",
            pod.namespace_or_default(),
            pod.name,
            names(&isolating),
            if ips.len() == 1 { "another node" } else { "other nodes" },
            names(&listed),
            protocol.as_str().to_ascii_uppercase(),
        );
        if let Some(first) = engine_notes.first() {
            text.push_str(&format!(
                " ({}{}.)",
                capitalised(first),
                if engine_notes.len() > 1 {
                    "; likewise for the others"
                } else {
                    ""
                }
            ));
        }
        note(x, text);
    }
}

fn cluster_addresses(s: &Scenario) -> AddrSet {
    s.pods
        .iter()
        .filter_map(|p| p.ip)
        .chain(s.nodes.iter().filter_map(|n| n.nic.private_ip_address))
        .fold(AddrSet::empty(), |set, ip| set.union(&AddrSet::from_ip(ip)))
}

fn note(x: &mut Exposing<'_>, text: String) {
    if x.policies.noted.insert(text.clone()) {
        x.notes.push(text);
    }
}
