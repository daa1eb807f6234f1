//! kube-proxy (spec §4.4): the Service whose load-balancer IP, cluster IP, NodePort or
//! health-check port the packet is for; one of its ready endpoints (only the node's own
//! under `externalTrafficPolicy: Local`), DNAT to it, and under `Cluster` the SNAT to the
//! node's IP of traffic from outside the cluster, so a pod on another node can answer.

use super::nsg::{self, Crossing};
use super::{Backend, Step};
use crate::analysis::exposure::Exposing;
use crate::analysis::space::{AddrSet, Region};
use crate::component;
use crate::model::Protocol;
use crate::scenario::{
    ExternalTrafficPolicy, Node, Pod, Scenario, Service, ServicePort, ServiceType,
};
use crate::trace::{endpoint, flow_hash, pick, Action, Doc, End, Leg, Walk};
use std::net::IpAddr;
use std::ops::ControlFlow::{Break, Continue};
use std::rc::Rc;

pub(super) fn docs(action: Action) -> Doc {
    match action {
        Action::Snat => Doc {
            title: "Kubernetes: preserving the client source IP (externalTrafficPolicy)",
            url: "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip",
        },
        _ => Doc {
            title: "Kubernetes: virtual IPs and service proxies",
            url: "https://kubernetes.io/docs/reference/networking/virtual-ips/",
        },
    }
}

/// The source ports kube-proxy's SNAT picks from (1024 + a hash modulo 64,000).
const SNAT_PORTS: (u16, u16) = (1024, 65023);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Ingress,
    ClusterIp,
    NodePort,
    HealthCheck,
}

/// The Service's ready endpoints: ready pods in its namespace matching its selector.
pub fn ready_endpoints<'a>(scenario: &'a Scenario, service: &Service) -> Vec<&'a Pod> {
    if service.selector.is_empty() {
        return Vec::new();
    }
    scenario
        .pods
        .iter()
        .filter(|pod| {
            pod.ready
                && pod.ip.is_some()
                && pod.namespace.as_deref().unwrap_or("default")
                    == service.namespace.as_deref().unwrap_or("default")
                && service
                    .selector
                    .iter()
                    .all(|(k, v)| pod.labels.get(k) == Some(v))
        })
        .collect()
}

// ---- one packet ------------------------------------------------------------------------

/// kube-proxy's rules on `node` for the packet: the pod it DNATs it to, or `None` when no
/// Service matches and the packet is for the node itself. A health-check port is
/// answered here. `already_snat`: the packet comes from inside the cluster.
pub(super) fn forward<'a>(
    w: &mut Walk<'a>,
    node: &'a Node,
    already_snat: bool,
) -> Step<Option<&'a Pod>> {
    let p = w.packet;
    let kp = component::kube_proxy(&node.name);
    let node_ip = node.nic.private_ip_address;
    // Which Service does kube-proxy's iptables match? LoadBalancer ingress IP (floating
    // IP), cluster IP, or NodePort on the node's own address.
    let matched = w.s.services.iter().find_map(|svc| {
        svc.ports.iter().find_map(|port| {
            let proto_ok = port.protocol() == p.protocol;
            let by_ingress = svc.service_type == ServiceType::LoadBalancer
                && svc.ingress_ip == Some(p.destination_ip)
                && port.port == p.destination_port;
            let by_cluster_ip =
                svc.cluster_ip == Some(p.destination_ip) && port.port == p.destination_port;
            let by_node_port = Some(p.destination_ip) == node_ip
                && svc.service_type != ServiceType::ClusterIP
                && port.node_port == Some(p.destination_port);
            let by_health_check = Some(p.destination_ip) == node_ip
                && svc.external_traffic_policy == ExternalTrafficPolicy::Local
                && svc.health_check_node_port == Some(p.destination_port);
            if by_health_check {
                return Some((svc, port, Match::HealthCheck));
            }
            (proto_ok && (by_ingress || by_cluster_ip || by_node_port)).then_some((
                svc,
                port,
                if by_node_port {
                    Match::NodePort
                } else if by_ingress {
                    Match::Ingress
                } else {
                    Match::ClusterIp
                },
            ))
        })
    });
    let Some((svc, port, how)) = matched else {
        if Some(p.destination_ip) == node_ip {
            return Continue(None);
        }
        return Break(w.drop(
            kp,
            format!("kube-proxy on {} has no Service for {}", node.name, endpoint(p.destination_ip, p.destination_port)),
            "No Service's load-balancer IP, cluster IP or NodePort matches the packet's destination, so iptables has no rule to rewrite it and nothing on the node listens there.".to_owned(),
            "§4.4",
        ));
    };
    if how == Match::Ingress {
        if let Some(end) = firewall(w, &kp, node_ip, svc) {
            return Break(end);
        }
    }
    if how == Match::HealthCheck {
        let local = ready_endpoints(w.s, svc)
            .into_iter()
            .filter(|pod| pod.node == node.name)
            .count();
        w.hop(
            kp.clone(),
            Action::Deliver,
            Leg::Forward,
            format!("kube-proxy's health check for {} answers {}", svc.name, if local > 0 { "200" } else { "503" }),
            format!(
                "With externalTrafficPolicy Local, kube-proxy serves healthCheckNodePort {} itself: 200 when the node has a ready endpoint of the Service ({local} here), 503 otherwise, so the load balancer only uses nodes with local pods.",
                p.destination_port
            ),
            "§3",
        );
        return Break(End::Delivered(format!("kube-proxy on {}", node.name)));
    }
    let mut endpoints = ready_endpoints(w.s, svc);
    // Local keeps external traffic on the node; a node's own or its pods' traffic goes to
    // every endpoint (kube-proxy's external chain sends it to the cluster-wide one).
    let local_only = svc.external_traffic_policy == ExternalTrafficPolicy::Local
        && matches!(how, Match::Ingress | Match::NodePort)
        && !already_snat;
    if local_only {
        endpoints.retain(|pod| pod.node == node.name);
    }
    let client_ip_affinity = svc
        .session_affinity
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("ClientIP"));
    let hash = flow_hash(&kp, &p, client_ip_affinity);
    let Some(pod) = pick(&endpoints, hash).copied() else {
        return Break(w.drop(
            kp,
            format!("Service {} has no ready endpoint{}", svc.name, if local_only { " on this node" } else { "" }),
            if local_only {
                "externalTrafficPolicy Local: kube-proxy sends the packet only to ready pods on the node that received it, and this node has none. (The load balancer's probe would normally keep such a node out of rotation.)".to_owned()
            } else {
                "No pod that matches the Service's selector is ready, so kube-proxy rejects the connection.".to_owned()
            },
            "§4.4",
        ));
    };
    let Some(pod_ip) = pod.ip else {
        return Break(w.drop(
            kp,
            format!("Pod {} has no IP", pod.name),
            "The chosen endpoint has no address in the scenario.".to_owned(),
            "§4.4",
        ));
    };
    let original = w.packet;
    let target_port = port.target_port.unwrap_or(port.port);
    w.packet.destination_ip = pod_ip;
    w.packet.destination_port = target_port;
    let through = match how {
        Match::Ingress => "the load balancer's IP",
        Match::NodePort => "the NodePort",
        _ => "the cluster IP",
    };
    w.hop(
        kp.clone(),
        Action::Dnat,
        Leg::Forward,
        format!("kube-proxy DNATs {} to pod {} at {}", endpoint(original.destination_ip, original.destination_port), pod.name, endpoint(pod_ip, target_port)),
        format!(
            "iptables matches Service {} through {through} and rewrites the destination to one of its {} ready endpoint{}{}, chosen by a hash of the 5-tuple.",
            svc.name,
            endpoints.len(),
            if endpoints.len() == 1 { "" } else { "s" },
            if local_only { " on this node (externalTrafficPolicy Local)" } else { "" },
        ),
        "§4.4",
    );
    let external =
        matches!(how, Match::Ingress | Match::NodePort) && !w.in_vnet_or_pod(original.source_ip);
    let masquerade = !already_snat
        && external
        && svc.external_traffic_policy == ExternalTrafficPolicy::Cluster
        && node_ip.is_some();
    if masquerade {
        if let Some(ip) = node_ip {
            w.packet.source_ip = ip;
            w.packet.source_port = 1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
        }
        w.hop(
            kp.clone(),
            Action::Snat,
            Leg::Forward,
            format!("kube-proxy SNATs the source to the node's IP {}", endpoint(w.packet.source_ip, w.packet.source_port)),
            "externalTrafficPolicy Cluster: kube-proxy masquerades traffic from outside the cluster, so the pod may live on any node and the reply comes back through this one. The pod sees the node's IP, not the client's.".to_owned(),
            "§4.4",
        );
    }
    Continue(Some(pod))
}

/// kube-proxy's own filter on a Service's load-balancer IP: with
/// `spec.loadBalancerSourceRanges` set, only sources in the ranges are forwarded, and the
/// load-balancer IP itself when a range holds the node's address (a node reaching the IP
/// loops back with it as source); anything else is dropped, whatever the NSGs allowed.
/// It does not act on the NodePort. (kubernetes/kubernetes pkg/proxy/iptables/proxier.go,
/// the firewall chain "based on the loadBalancerSourceRanges field".)
fn firewall(w: &mut Walk<'_>, kp: &str, node_ip: Option<IpAddr>, svc: &Service) -> Option<End> {
    let p = w.packet;
    let ranges = svc.source_ranges();
    if ranges.is_empty() || ranges.iter().any(|r| r.contains(&p.source_ip)) {
        return None;
    }
    let from_node = p.source_ip == p.destination_ip
        && node_ip.is_some_and(|ip| ranges.iter().any(|r| r.contains(&ip)));
    if from_node {
        return None;
    }
    let listed = svc.load_balancer_source_ranges.join(", ");
    Some(w.drop(
        kp.to_owned(),
        format!(
            "kube-proxy drops {}: not in Service {}'s loadBalancerSourceRanges",
            p.source_ip, svc.name
        ),
        format!(
            "kube-proxy filters traffic for the Service's load-balancer IP {} by spec.loadBalancerSourceRanges ({listed}) itself, on every node, whatever the NSGs let through: a source outside the ranges is dropped before the DNAT. The filter guards the load-balancer IP only; the Service's NodePort on the node's own address is not filtered.",
            p.destination_ip
        ),
        "§4.4",
    ))
}

/// A cluster IP is known only to kube-proxy's rules on the nodes.
pub(super) fn outside_cluster(w: &mut Walk<'_>, service: &Service) -> End {
    w.drop(
        component::vnet(&w.s.vnet.name),
        format!("Cluster IP {} of Service {} is not reachable from outside the cluster", w.packet.destination_ip, service.name),
        "A cluster IP is virtual: only kube-proxy's rules on the nodes know it. From outside the cluster nothing routes to it, and it has no external IP.".to_owned(),
        "§4.4",
    )
}

// ---- whole sets of packets -------------------------------------------------------------

/// A Service port kube-proxy matches, with its Service's index in the scenario.
pub(super) struct Matched<'s> {
    pub service_index: usize,
    pub service: &'s Service,
    pub port: &'s ServicePort,
    /// The sources kube-proxy's `loadBalancerSourceRanges` filter lets through, when the
    /// region reaches the Service only by its load-balancer IP (see `firewall`).
    pub only_from: Option<AddrSet>,
}

/// The Service ports kube-proxy on a node (at `node_ip`) matches for `region`: by the
/// load-balancer ingress IP (floating IP) or by NodePort on the node's address.
pub(super) fn matches<'s>(
    scenario: &'s Scenario,
    protocol: Protocol,
    node_ip: IpAddr,
    region: &Region,
) -> Vec<Matched<'s>> {
    let destination = &region.destinations;
    let ports = &region.destination_ports;
    let mut found = Vec::new();
    for (service_index, service) in scenario.services.iter().enumerate() {
        for service_port in &service.ports {
            if service_port.protocol() != protocol {
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
            if by_ingress || by_node_port {
                // The NodePort is not filtered: a region that reaches both keeps every
                // source. The load-balancer IP is never a source from outside the node.
                let ranges = service.source_ranges();
                let only_from = (by_ingress && !by_node_port && !ranges.is_empty())
                    .then(|| AddrSet::from_nets(&ranges));
                found.push(Matched {
                    service_index,
                    service,
                    port: service_port,
                    only_from,
                });
            }
        }
    }
    found
}

/// The endpoints kube-proxy on `node` sends a Service's traffic to, each with its index
/// in the scenario (`Local`: only the node's own); noted when there are none.
pub(super) fn endpoints<'s>(
    x: &mut Exposing<'s>,
    service_index: usize,
    service: &Service,
    node: &Node,
) -> Vec<(usize, &'s Pod)> {
    let scenario = x.scenario;
    let ready = x.endpoints.entry(service_index).or_insert_with(|| {
        let pods = ready_endpoints(scenario, service);
        scenario
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| pods.iter().any(|r| std::ptr::eq(*r, *p)))
            .map(|(i, _)| i)
            .collect()
    });
    let mut endpoints: Vec<(usize, &Pod)> = ready
        .iter()
        .filter_map(|&i| scenario.pods.get(i).map(|pod| (i, pod)))
        .collect();
    let local = service.external_traffic_policy == ExternalTrafficPolicy::Local;
    if local {
        endpoints.retain(|(_, pod)| pod.node == node.name);
    }
    if endpoints.is_empty() {
        x.notes.push(format!(
            "Service {} has no ready endpoint{} for traffic through node {}.",
            crate::analysis::exposure::service_name(service),
            if local { " on the node" } else { "" },
            node.name
        ));
    }
    endpoints
}

/// The SNATed hop from `at`'s node to a pod on another node: adds the rules that allow it
/// to `rules`, or notes that the NSGs deny it and answers false.
pub(super) fn across(
    x: &mut Exposing<'_>,
    at: &Backend<'_, '_>,
    node_ip: IpAddr,
    (pod, pod_ip, target_port): (&Pod, IpAddr, u16),
    rules: &mut Vec<Rc<str>>,
) -> bool {
    let scenario = x.scenario;
    let node = at.node.1;
    let Some(pod_node) = scenario
        .nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.name == pod.node)
    else {
        return false;
    };
    let hop = Crossing {
        node: at.node,
        node_ip,
        source_ports: SNAT_PORTS,
        pod_node,
        pod_ip,
        target_port,
        protocol: at.protocol,
    };
    let crossed = nsg::crossing(scenario, &hop, &mut x.nsgs, &mut x.notes);
    if crossed.is_empty() {
        x.notes.push(format!(
            "The NSGs deny the SNATed hop from node {} to pod {} on {}.",
            node.name, pod.name, pod.node
        ));
        return false;
    }
    for r in crossed.iter().flatten() {
        if !rules.contains(r) {
            rules.push(r.clone());
        }
    }
    true
}

/// The path from kube-proxy on, in words, after `entry_path` (the path to the node).
pub(super) fn path_text(
    entry_path: &str,
    service: &Service,
    node: &Node,
    pod: &Pod,
    pod_ip: IpAddr,
    target_port: u16,
) -> String {
    // Thousands of these in a large cluster: built in one buffer.
    use std::fmt::Write as _;
    let mut path = String::with_capacity(entry_path.len() + 200);
    path.push_str(entry_path);
    path.push_str(" -> kube-proxy DNAT (Service ");
    path.push_str(service.namespace.as_deref().unwrap_or("default"));
    path.push('/');
    path.push_str(&service.name);
    path.push_str(
        if service.external_traffic_policy == ExternalTrafficPolicy::Local {
            ", externalTrafficPolicy Local) -> pod "
        } else {
            ", externalTrafficPolicy Cluster) -> pod "
        },
    );
    path.push_str(&pod.name);
    let _ = write!(path, " {pod_ip}:{target_port}");
    if pod.node != node.name {
        path.push_str(" on node ");
        path.push_str(&pod.node);
        path.push_str(" (SNAT to the node's IP)");
    }
    path
}
