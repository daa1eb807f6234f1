//! The packet's path through a scenario (spec §4), one module per stage:
//!
//! ```text
//! sender ─> public IP ─> load balancer ─> subnet NSG ─> NIC NSG ─> kube-proxy ─┬─> NetworkPolicy ─> pod
//!                                                                               └─> the node itself
//!           from a pod: its NetworkPolicy (egress) first, or after its own node's kube-proxy
//!           a pod on another node: the node's NSGs out, the pod's node's NSGs in
//!           leaving the VNet: the node's NSGs out, SNAT, the Azure platform or the Internet
//! then the reply, the same way back
//! ```
//!
//! Each stage owns its semantics twice: for one packet, on a [`Walk`] (the trace's hops),
//! and for whole sets of packets, on an [`Exposing`] (the exact exposure, where the stage
//! has a part in it). This module is the path itself: which stages a packet meets, in
//! order, in both readings. A new stage is a new module and a line in each reading's
//! route below.
//!
//! - [`source`]: where the packet starts (a client, the Azure platform, a pod, a node,
//!   another VNet host), and its first hop.
//! - [`public_ip`]: from the Internet, only public IPs are reachable, and one passes only
//!   to the load balancer whose frontend it is; a private frontend (the internal load
//!   balancer's) only from the VNet and the networks connected to it.
//! - [`load_balancer`]: the load-balancing rule, the health probes, the backend it picks
//!   and the DNAT to it; the outbound SNAT of traffic leaving for the Internet.
//! - [`nsg`]: the subnet's and the NIC's NSGs, in Azure's order for the direction.
//! - [`kube_proxy`]: the Service a packet is for, the endpoint, DNAT and SNAT; the
//!   SNATed hop to a pod on another node.
//! - [`network_policy`]: Kubernetes NetworkPolicy, ingress at the destination pod after
//!   kube-proxy's DNAT ([`at_pod`], and the last step of [`expose_services`]), egress at
//!   the sending pod ([`route`], or after its own node's kube-proxy in [`into_cluster`]).
//! - [`node`]: a packet that stays on its node, the route between nodes, kubenet's
//!   masquerade, and a packet for the node itself.
//! - [`pod`]: the pod's ports and readiness.
//! - [`egress`]: destinations outside the VNet: Azure's platform addresses and the Internet.
//! - [`reply`]: the way back (conntrack and the NSGs' flow state).

mod egress;
pub(crate) mod kube_proxy;
pub(crate) mod load_balancer;
mod network_policy;
mod node;
pub(crate) mod nsg;
mod pod;
pub(crate) mod public_ip;
mod reply;
mod source;

use crate::analysis::exposure::{ExposedKind, Exposing, Reached};
use crate::analysis::space::{AddrSet, PortSet, Region};
use crate::component;
use crate::model::{Direction, Protocol};
use crate::scenario::{ExternalTrafficPolicy, NetworkPlugin, Node, Pod, Service};
use crate::trace::{Action, Doc, End, Walk, AKS_NETWORK};
use load_balancer::FrontendOf;
use public_ip::Frontend;
use source::Origin;
use std::net::IpAddr;
use std::ops::ControlFlow::{self, Break, Continue};

pub(crate) use network_policy::{
    pod_info, warnings as policy_warnings, Cache as PolicyCache, CILIUM_DOC,
};

/// What a stage makes of the packet: it goes on (with what the stage found), or its walk
/// ends there (dropped, or answered by the stage itself). A route's stages are chained
/// with `?`; its last stage's end is the route's.
type Step<T> = ControlFlow<End, T>;

/// The documentation of what happens at a component of `kind`, from its stage.
pub(crate) fn docs(kind: &str, action: Action, plugin: NetworkPlugin) -> Doc {
    match kind {
        "public-ip" => public_ip::DOC,
        "lb" => load_balancer::docs(action),
        "nsg" => nsg::DOC,
        "kube-proxy" => kube_proxy::docs(action),
        "netpol" => network_policy::DOC,
        "node" | "subnet" => node::docs(action, plugin),
        _ => AKS_NETWORK,
    }
}

// ---- one packet ------------------------------------------------------------------------

/// The packet's walk from its sender to where it ends, then the reply.
pub(crate) fn walk(w: &mut Walk<'_>) -> End {
    let origin = source::origin(w);
    source::send(w, &origin);
    let (Continue(end) | Break(end)) = route(w, &origin);
    if let End::Delivered(_) = end {
        reply::back(w);
    }
    end
}

/// Which stages the packet meets depends on its destination.
fn route<'a>(w: &mut Walk<'a>, origin: &Origin<'a>) -> Step<End> {
    let dst = w.packet.destination_ip;
    // A pod's egress policies, as the packet leaves it; for a Service's cluster IP or its
    // own node's address, after that node's kube-proxy (`into_cluster`).
    if let Origin::Pod(pod, node) = origin {
        let own_kube_proxy = w.service_by_cluster_ip(dst).is_some()
            || w.service_by_ingress().is_some()
            || node.nic.private_ip_address == Some(dst);
        if !own_kube_proxy {
            network_policy::egress(w, pod)?;
        }
    }
    if let (Origin::Pod(_, node) | Origin::Node(node), Some(_)) = (origin, w.service_by_ingress()) {
        // kube-proxy on the sender's own node matches the load-balancer IP (its
        // "loadbalancer IP" rule), so the packet never reaches the load balancer.
        return into_cluster(w, node, true, sending_pod(origin));
    }
    if let Some(frontend) = load_balancer::frontend_of(w.s, dst) {
        return via_frontend(w, origin, &frontend);
    }
    if let Some(service) = w.service_by_cluster_ip(dst) {
        return to_cluster_ip(w, origin, service);
    }
    public_ip::from_internet(w, origin)?;
    if let Some(node) = w.node_by_ip(dst) {
        return to_node(w, origin, node);
    }
    if let Some(pod) = w.pod_by_ip(dst) {
        return to_pod(w, origin, pod);
    }
    public_ip::no_frontend(w)?;
    match origin {
        Origin::Pod(_, node) | Origin::Node(node) if egress::is_platform(dst) => {
            return to_platform(w, node);
        }
        Origin::Pod(_, node) | Origin::Node(node) if !w.in_vnet(dst) => {
            return to_internet(w, origin, node);
        }
        _ => {}
    }
    let at = if matches!(origin, Origin::Pod(..) | Origin::Node(_)) {
        component::vnet(&w.s.vnet.name)
    } else {
        component::INTERNET.to_owned()
    };
    Break(w.drop(
        at,
        format!("No part of the scenario has the address {dst}"),
        "The destination is neither a public IP of the cluster, a node, a pod nor a Service's cluster IP.".to_owned(),
        "§4",
    ))
}

/// Through a load balancer's frontend (public, or the internal load balancer's private
/// one) to a backend node, into the cluster.
fn via_frontend<'a>(w: &mut Walk<'a>, origin: &Origin<'a>, frontend: &FrontendOf<'a>) -> Step<End> {
    public_ip::arrive(w, origin, frontend)?;
    let node = load_balancer::forward(w, frontend)?;
    nsg::check(w, node, Direction::Inbound)?;
    into_cluster(w, node, false, None)
}

fn to_cluster_ip<'a>(w: &mut Walk<'a>, origin: &Origin<'a>, service: &'a Service) -> Step<End> {
    let (Origin::Pod(_, node) | Origin::Node(node)) = origin else {
        return Break(kube_proxy::outside_cluster(w, service));
    };
    into_cluster(w, node, true, sending_pod(origin))
}

/// The pod that sent the packet, if a pod did.
fn sending_pod<'a>(origin: &Origin<'a>) -> Option<&'a Pod> {
    match origin {
        Origin::Pod(pod, _) => Some(pod),
        _ => None,
    }
}

fn to_node<'a>(w: &mut Walk<'a>, origin: &Origin<'a>, node: &'a Node) -> Step<End> {
    if node::same_node(w, origin, node) {
        return into_cluster(w, node, true, sending_pod(origin));
    }
    leave(w, origin)?;
    nsg::check(w, node, Direction::Inbound)?;
    into_cluster(w, node, false, None)
}

/// To a pod's own address, past kube-proxy.
fn to_pod<'a>(w: &mut Walk<'a>, origin: &Origin<'a>, pod: &'a Pod) -> Step<End> {
    let node = pod::node_of(w, pod)?;
    if node::same_node(w, origin, node) {
        return at_pod(w, pod);
    }
    leave(w, origin)?;
    nsg::check(w, node, Direction::Inbound)?;
    at_pod(w, pod)
}

fn to_platform<'a>(w: &mut Walk<'a>, node: &'a Node) -> Step<End> {
    nsg::check(w, node, Direction::Outbound)?;
    Continue(egress::platform(w))
}

fn to_internet<'a>(w: &mut Walk<'a>, origin: &Origin<'a>, node: &'a Node) -> Step<End> {
    node::masquerade(w, origin, node);
    nsg::check(w, node, Direction::Outbound)?;
    load_balancer::outbound(w);
    Continue(egress::internet(w))
}

/// A packet that starts in the cluster leaves through its node's NSGs, outbound.
fn leave<'a>(w: &mut Walk<'a>, origin: &Origin<'a>) -> Step<()> {
    match origin {
        Origin::Pod(_, node) | Origin::Node(node) => nsg::check(w, node, Direction::Outbound),
        _ => Continue(()),
    }
}

/// At a node: kube-proxy, then the pod (across the VNet if it lives on another node), or
/// the node itself when no Service matches. `sender`: the pod on this node that sent the
/// packet, whose egress policies see the destination kube-proxy rewrote.
fn into_cluster<'a>(
    w: &mut Walk<'a>,
    node: &'a Node,
    already_snat: bool,
    sender: Option<&'a Pod>,
) -> Step<End> {
    let first = w.hops.len();
    let forwarded = kube_proxy::forward(w, node, already_snat);
    let forwarded = network_policy::in_kube_proxys_place(w, first, forwarded)?;
    if let Some(sender) = sender {
        network_policy::egress(w, sender)?;
    }
    let Some(pod) = forwarded else {
        return Continue(node::deliver(w, node));
    };
    if let Some(pod_node) = w.node_named(&pod.node).filter(|n| n.name != node.name) {
        node::route(w, node, pod_node);
        nsg::check(w, node, Direction::Outbound)?;
        nsg::check(w, pod_node, Direction::Inbound)?;
    }
    at_pod(w, pod)
}

/// The stages at the destination pod.
fn at_pod<'a>(w: &mut Walk<'a>, pod: &'a Pod) -> Step<End> {
    // After kube-proxy's DNAT, so the policies see the pod's port, and the source as the
    // pod sees it.
    network_policy::ingress(w, pod)?;
    Continue(pod::deliver(w, pod))
}

// ---- whole sets of packets -------------------------------------------------------------

/// What the Internet reaches: from every public frontend through its load-balancing rule
/// and healthy backends, their NSGs and kube-proxy, to NICs and pods. The internal load
/// balancer's rules are noted, reachable from the VNet only. The notes are kept in the
/// order the stages are met.
pub(crate) fn expose(x: &mut Exposing<'_>) {
    let s = x.scenario;
    x.notes.push(public_ip::PRIVATE.to_owned());
    load_balancer::note_internal(s, &mut x.notes);
    let Some(lb) = &s.load_balancer else {
        x.notes.push(public_ip::no_load_balancer(s));
        return;
    };
    public_ip::note_unused(s, lb, &mut x.notes);
    for rule in &lb.load_balancing_rules {
        let Some(front) = public_ip::frontend(s, lb, rule, &mut x.notes) else {
            continue;
        };
        let Some((protocols, frontend_ports)) = load_balancer::traffic(rule, &mut x.notes) else {
            continue;
        };
        let sources = x.internet.same_family(front.address);
        let healthy = load_balancer::healthy_backends(s, lb, rule, &mut x.notes);
        for protocol in protocols {
            for &node in &healthy {
                let at = Backend {
                    front: &front,
                    protocol,
                    frontend_ports: &frontend_ports,
                    node,
                };
                expose_backend(x, &at, &sources);
            }
        }
    }
    network_policy::finish(x);
}

/// A load-balancing rule's traffic of one protocol at one healthy backend node.
struct Backend<'s, 'f> {
    front: &'f Frontend<'s>,
    protocol: Protocol,
    frontend_ports: &'f PortSet,
    /// The node with its index in the scenario.
    node: (usize, &'s Node),
}

fn expose_backend(x: &mut Exposing<'_>, at: &Backend<'_, '_>, sources: &AddrSet) {
    let (node_index, node) = at.node;
    let Some(node_ip) = node.nic.private_ip_address else {
        return;
    };
    let (destination, ports) = load_balancer::backend_destination(at, node_ip);
    let start = Region {
        sources: sources.clone(),
        source_ports: PortSet::full(),
        destinations: AddrSet::from_ip(destination),
        destination_ports: ports,
    };
    let passed = nsg::expose_inbound(x, at, destination, start);
    if passed.is_empty() {
        return;
    }
    let entry_path = load_balancer::path_text(at);
    for p in passed.iter() {
        x.entries.add(
            Reached {
                target: (ExposedKind::Nic, node_index),
                protocol: at.protocol,
                ports: &p.region.destination_ports,
                sources: &p.region.sources,
                rules: &p.rules,
                service: None,
                path_key: (node_index, None),
            },
            at.front,
            at.frontend_ports,
            || component::nic(&node.nic.name),
            || format!("{entry_path}: NIC {} receives it", node.nic.name),
        );
        expose_services(x, at, node_ip, p, &entry_path);
    }
}

/// From a backend node's NIC through kube-proxy's DNAT to the Services' pods.
fn expose_services(
    x: &mut Exposing<'_>,
    at: &Backend<'_, '_>,
    node_ip: IpAddr,
    passed: &nsg::Passed,
    entry_path: &str,
) {
    let s = x.scenario;
    let (node_index, node) = at.node;
    for kube_proxy::Matched {
        service_index,
        service,
        port: service_port,
        only_from,
    } in kube_proxy::matches(s, at.protocol, node_ip, &passed.region)
    {
        let filtered;
        let region_sources = match &only_from {
            Some(ranges) => {
                filtered = passed.region.sources.intersect(ranges);
                if filtered.is_empty() {
                    x.notes.push(format!(
                        "kube-proxy drops what reaches Service {} through node {}: no source is in its loadBalancerSourceRanges.",
                        crate::analysis::exposure::service_name(service),
                        node.name
                    ));
                    continue;
                }
                &filtered
            }
            None => &passed.region.sources,
        };
        let endpoints = kube_proxy::endpoints(x, service_index, service, node);
        let target_port = service_port.target_port.unwrap_or(service_port.port);
        for (pod_index, pod) in endpoints {
            let Some(pod_ip) = pod.ip else { continue };
            if !pod::listens(pod, target_port, &mut x.notes) {
                continue;
            }
            let mut rules = passed.rules.clone();
            if pod.node != node.name
                && !kube_proxy::across(x, at, node_ip, (pod, pod_ip, target_port), &mut rules)
            {
                continue;
            }
            // The pod's ingress policies, as in `at_pod`.
            let seen = match service.external_traffic_policy {
                ExternalTrafficPolicy::Cluster => network_policy::Seen::Node {
                    ip: node_ip,
                    own: pod.node == node.name,
                },
                ExternalTrafficPolicy::Local => network_policy::Seen::Client,
            };
            let (sources, policy_rules) = match network_policy::expose_ingress(
                x,
                pod_index,
                seen,
                at.protocol,
                target_port,
                region_sources,
            ) {
                network_policy::Exposed::Open => (None, Vec::new()),
                network_policy::Exposed::Passed { sources, rules } => (sources, rules),
                network_policy::Exposed::Closed => continue,
            };
            x.entries.add(
                Reached {
                    target: (ExposedKind::Pod, pod_index),
                    protocol: at.protocol,
                    ports: &PortSet::single(target_port),
                    sources: sources.as_ref().unwrap_or(region_sources),
                    rules: &rules,
                    service: Some(service),
                    path_key: (node_index, Some((service_index, target_port))),
                },
                at.front,
                at.frontend_ports,
                || component::pod(&pod.name),
                || kube_proxy::path_text(entry_path, service, node, pod, pod_ip, target_port),
            );
            if !policy_rules.is_empty() {
                x.entries.add_policy_rules(
                    (ExposedKind::Pod, pod_index),
                    at.protocol,
                    &at.front.rule.name,
                    &policy_rules,
                );
            }
        }
    }
}
