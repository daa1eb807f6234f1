//! The NetworkPolicy pitfalls (issue 15), in the shape of the AKS pitfalls
//! ([`super::pitfalls`]) and found the same way: each is shown by a packet traced through
//! the scenario, which the finding carries (docs/network-policy.md, "Findings").
//!
//! - [`PitfallKind::EgressWithoutDns`]: pods isolated for egress (NP 1) whose rules allow
//!   neither UDP 53 nor TCP 53 to the cluster's DNS (NP 3); one finding per namespace.
//! - [`PitfallKind::IpBlockIgnoredByCilium`]: under Cilium an ipBlock does not select pod
//!   or node addresses (NP 12); one finding per ipBlock that covers some of them.
//! - [`PitfallKind::IpBlockBehindClusterSnat`]: an ingress ipBlock for Internet clients on
//!   the pods of a public LoadBalancer Service with externalTrafficPolicy Cluster, whose
//!   packets the pod sees from a node's IP after the SNAT (NP 7, NP 11); one finding per
//!   Service port.
//!
//! Nothing is found without an engine (`networkPolicy: none`: the policies decide
//! nothing, NP 12) or without policies, so a scenario without them keeps its findings.

use super::pitfalls::{
    endpoint, first_host, plural, protocol_of, qualified, run, Pitfall, PitfallKind, INTERNET_HOST,
};
use crate::component;
use crate::eval::is_private;
use crate::netpol::{
    self, NetworkPolicy, Peer, PeerInfo, PodInfo, PolicyDirection, PolicyEngine, PolicyPacket,
    PolicyProtocol, PolicyRule, PortRef,
};
use crate::path::{pod_info, CILIUM_DOC};
use crate::reconcile::is_internal;
use crate::scenario::{ExternalTrafficPolicy, Node, Pod, Scenario, Service, ServiceType};
use crate::trace::{ready_endpoints, Doc, Hop, PacketSpec, Trace, Verdict};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

const DOC_DEFAULT_DENY_EGRESS: Doc = Doc {
    title: "Kubernetes: Network Policies (default deny all egress traffic)",
    url: "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic",
};
const DOC_IPBLOCK: Doc = Doc {
    title: "Kubernetes: Network Policies (behavior of to and from selectors: ipBlock)",
    url: "https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors",
};

/// The namespace and label of the cluster's DNS pods (CoreDNS, behind the `kube-dns`
/// Service), as AKS deploys them.
const KUBE_SYSTEM: &str = "kube-system";
const DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
const DNS_PORT: u16 = 53;

/// How many of a list a finding names before "and N more".
const SHOWN: usize = 5;
/// How many pods, sources or clients a finding tries before it gives up on a packet.
const TRIES: usize = 4;

/// The NetworkPolicy findings of `s`, appended to `found`.
pub(super) fn policy_pitfalls(s: &Scenario, found: &mut Vec<Pitfall>) {
    if s.network_policy_engine.is_none() || s.network_policies.policies.is_empty() {
        return;
    }
    egress_without_dns(s, found);
    ipblock_under_cilium(s, found);
    ipblock_behind_cluster(s, found);
}

// ---- shared ------------------------------------------------------------------------------

/// A pod as policies see it (as the path's NetworkPolicy stage reads it): its namespace
/// (`default` when absent), labels and named container ports.
fn node_with_ip(s: &Scenario, ip: IpAddr) -> Option<&Node> {
    s.nodes
        .iter()
        .find(|n| n.nic.private_ip_address == Some(ip))
}

/// A pod with an address the policies can see: one of its own, not its node's (a pod on
/// the host network, such as kube-proxy, is the node to the network).
fn policy_pod(s: &Scenario, pod: &Pod) -> Option<IpAddr> {
    pod.ip.filter(|ip| node_with_ip(s, *ip).is_none())
}

fn ipblock_text(cidr: &IpNet, except: &[IpNet]) -> String {
    if except.is_empty() {
        format!("ipBlock {cidr}")
    } else {
        format!(
            "ipBlock {cidr} except {}",
            except
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn inside(cidr: &IpNet, except: &[IpNet], ip: IpAddr) -> bool {
    cidr.contains(&ip) && !except.iter().any(|e| e.contains(&ip))
}

/// `a`, `a and b`, `a, b and c`; past [`SHOWN`] items, `a, b, c, d, e and 3 more`.
fn listed(items: &[String]) -> String {
    let mut shown: Vec<String> = items.iter().take(SHOWN).cloned().collect();
    if items.len() > SHOWN {
        shown.push(format!("{} more", items.len() - SHOWN));
    }
    match shown.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn policy_protocol_text(protocol: PolicyProtocol) -> Option<&'static str> {
    match protocol {
        PolicyProtocol::Tcp => Some("TCP"),
        PolicyProtocol::Udp => Some("UDP"),
        // The trace carries TCP, UDP and the protocols without ports; SCTP is none of them.
        PolicyProtocol::Sctp => None,
    }
}

/// The NetworkPolicy hop at `pod` where the traced packet was dropped, if it was.
fn dropped_at_pod<'t>(traced: &'t Trace, pod: &Pod) -> Option<&'t Hop> {
    let id = component::network_policy(&pod.name);
    if traced.dropped_at.as_deref() != Some(id.as_str()) {
        return None;
    }
    traced.hops.iter().rev().find(|h| h.component == id)
}

/// A port of `rule` a packet can carry, as `(port, protocol)`: a numbered port (the first
/// of a range), a named port of `receiver`, or, for a rule open to every port, a port
/// `receiver` declares (80 when it declares none).
fn port_for(rule: &PolicyRule, receiver: Option<&Pod>) -> Option<(u16, &'static str)> {
    let declared = |protocol: PolicyProtocol| {
        receiver
            .and_then(|p| {
                p.container_ports
                    .iter()
                    .find(|c| c.protocol == protocol)
                    .map(|c| c.container_port)
            })
            .unwrap_or(80)
    };
    if rule.ports.is_empty() {
        return Some((declared(PolicyProtocol::Tcp), "TCP"));
    }
    rule.ports.iter().find_map(|p| {
        let text = policy_protocol_text(p.protocol)?;
        match &p.port {
            None => Some((declared(p.protocol), text)),
            Some(PortRef::Number(n)) => Some((*n, text)),
            Some(PortRef::Name(name)) => receiver?
                .container_ports
                .iter()
                .find(|c| c.name.as_deref() == Some(name.as_str()) && c.protocol == p.protocol)
                .map(|c| (c.container_port, text)),
        }
    })
}

// ---- 1. default-deny egress without DNS -----------------------------------------------

/// A pod's named container ports, as policies match them: name, port, protocol.
type NamedPorts = Vec<(String, u16, PolicyProtocol)>;

/// The cluster's DNS as the scenario knows it.
struct Dns<'s> {
    /// The kube-dns Service and its cluster IP.
    service: Option<(&'s Service, IpAddr)>,
    /// The DNS pods (CoreDNS).
    pods: Vec<&'s Pod>,
    /// The ports the DNS pods receive on, after the Service's DNAT: UDP, TCP.
    ports: (u16, u16),
    /// The peers the pods' egress policies are asked about: each DNS pod, or, when the
    /// scenario lists none, the assumed CoreDNS at the DNS service IP.
    peers: Vec<(PeerInfo, NamedPorts)>,
    /// The packet's destinations, most telling first.
    targets: Vec<(IpAddr, u16)>,
    /// What the finding assumed, when the scenario lists no DNS pod.
    assumed: Option<String>,
}

fn is_dns_pod(pod: &Pod, service: Option<&Service>) -> bool {
    match service.filter(|s| !s.selector.is_empty()) {
        Some(service) => {
            pod.namespace_or_default() == service.namespace.as_deref().unwrap_or("default")
                && service
                    .selector
                    .iter()
                    .all(|(k, v)| pod.labels.get(k) == Some(v))
        }
        None => {
            pod.namespace_or_default() == KUBE_SYSTEM
                && pod.labels.get(DNS_LABEL.0).map(String::as_str) == Some(DNS_LABEL.1)
        }
    }
}

fn dns_of(s: &Scenario) -> Dns<'_> {
    let service = s
        .services
        .iter()
        .filter(|sv| sv.namespace.as_deref() == Some(KUBE_SYSTEM))
        .filter(|sv| {
            sv.name == "kube-dns"
                || sv.selector.get(DNS_LABEL.0).map(String::as_str) == Some(DNS_LABEL.1)
        })
        .find_map(|sv| Some((sv, sv.cluster_ip?)));
    let pods: Vec<&Pod> = s
        .pods
        .iter()
        .filter(|p| policy_pod(s, p).is_some() && is_dns_pod(p, service.map(|(sv, _)| sv)))
        .collect();
    let target_port = |protocol: &str| {
        service
            .and_then(|(sv, _)| {
                sv.ports
                    .iter()
                    .find(|p| p.port == DNS_PORT && protocol_of(p.protocol.as_deref()) == protocol)
            })
            .map_or(DNS_PORT, |p| p.target_port.unwrap_or(p.port))
    };
    let ports = (target_port("UDP"), target_port("TCP"));
    let service_port = service
        .and_then(|(sv, _)| {
            sv.ports
                .iter()
                .find(|p| p.port == DNS_PORT && protocol_of(p.protocol.as_deref()) == "UDP")
        })
        .map_or(DNS_PORT, |p| p.port);

    let mut targets = Vec::new();
    if let Some((_, ip)) = service {
        targets.push((ip, service_port));
    }
    if !pods.is_empty() {
        targets.extend(
            pods.iter()
                .filter_map(|p| p.ip)
                .take(1)
                .map(|ip| (ip, ports.0)),
        );
        let peers = pods
            .iter()
            .filter_map(|p| {
                let info = pod_info(p);
                let named = info.named_ports.clone();
                Some((
                    PeerInfo {
                        ip: p.ip?,
                        pod: Some(info),
                        is_local_node: false,
                        is_cluster_address: true,
                    },
                    named,
                ))
            })
            .collect();
        return Dns {
            service,
            pods,
            ports,
            peers,
            targets,
            assumed: None,
        };
    }
    // No DNS pod: AKS's CoreDNS, at the Service's address or the DNS service IP.
    let (ip, behind) = match service {
        Some((sv, ip)) => (ip, format!("behind the {} Service {ip}", sv.name)),
        None => {
            let (ip, why) = assumed_dns_ip(s);
            targets.push((ip, DNS_PORT));
            (
                ip,
                format!(
                    "at {ip}, taken for the DNS service IP (networkProfile.dnsServiceIP): {why}"
                ),
            )
        }
    };
    let named = vec![
        ("dns".to_owned(), DNS_PORT, PolicyProtocol::Udp),
        ("dns-tcp".to_owned(), DNS_PORT, PolicyProtocol::Tcp),
    ];
    let coredns = PodInfo {
        name: "coredns".to_owned(),
        namespace: KUBE_SYSTEM.to_owned(),
        labels: BTreeMap::from([(DNS_LABEL.0.to_owned(), DNS_LABEL.1.to_owned())]),
        named_ports: named.clone(),
    };
    Dns {
        service,
        pods,
        ports: (DNS_PORT, DNS_PORT),
        peers: vec![(
            // It stands for a pod: Cilium's ipBlock would not select it (NP 12).
            PeerInfo {
                ip,
                pod: Some(coredns),
                is_local_node: false,
                is_cluster_address: true,
            },
            named,
        )],
        targets,
        assumed: Some(format!(
            "The scenario lists no kube-dns pod, so this assumes AKS's CoreDNS: pods labelled {}={} in namespace {KUBE_SYSTEM}, with ports dns (UDP {DNS_PORT}) and dns-tcp (TCP {DNS_PORT}), {behind}.",
            DNS_LABEL.0, DNS_LABEL.1
        )),
    }
}

/// AKS's DNS service IP when the scenario does not say: the `.10` of the service CIDR,
/// whose `.1` is the `kubernetes` Service's cluster IP (10.0.0.10 by default).
fn assumed_dns_ip(s: &Scenario) -> (IpAddr, String) {
    let kubernetes = s
        .services
        .iter()
        .find(|sv| {
            sv.name == "kubernetes" && sv.namespace.as_deref().unwrap_or("default") == "default"
        })
        .and_then(|sv| sv.cluster_ip);
    if let Some(IpAddr::V4(k)) = kubernetes {
        let first = u32::from(k);
        if first % 256 == 1 {
            if let Some(dns) = first.checked_add(9) {
                return (
                    IpAddr::V4(Ipv4Addr::from(dns)),
                    format!("the .10 of the service CIDR whose .1 is the kubernetes Service ({k}), as AKS's default has it"),
                );
            }
        }
    }
    (
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 10)),
        "AKS's default".to_owned(),
    )
}

/// Whether the egress policies of `pod` allow UDP or TCP 53 to some DNS peer.
fn dns_allowed(s: &Scenario, dns: &Dns<'_>, pod: &PodInfo) -> bool {
    let policies = &s.network_policies.policies;
    dns.peers.iter().any(|(peer, named)| {
        [
            (PolicyProtocol::Udp, dns.ports.0),
            (PolicyProtocol::Tcp, dns.ports.1),
        ]
        .into_iter()
        .any(|(protocol, port)| {
            let packet = PolicyPacket {
                direction: PolicyDirection::Egress,
                pod,
                peer,
                protocol: Some(protocol),
                port,
                peer_named_ports: named,
            };
            netpol::evaluate(policies, &s.namespaces, s.network_policy_engine, &packet).allowed()
        })
    })
}

/// The pods of one namespace whose egress policies allow no DNS.
struct NoDns<'s> {
    namespace: String,
    pods: Vec<&'s Pod>,
    /// The policies that isolate them for egress, by index in the scenario.
    policies: Vec<usize>,
}

fn egress_without_dns(s: &Scenario, found: &mut Vec<Pitfall>) {
    let policies = &s.network_policies.policies;
    if !policies.iter().any(|p| p.affects(PolicyDirection::Egress)) {
        return;
    }
    let dns = dns_of(s);
    // For egress the decision depends on the pod only through which policies isolate it.
    let mut decided: BTreeMap<Vec<usize>, bool> = BTreeMap::new();
    let mut groups: Vec<NoDns<'_>> = Vec::new();
    for pod in &s.pods {
        if policy_pod(s, pod).is_none() || dns.pods.iter().any(|d| std::ptr::eq(*d, pod)) {
            continue;
        }
        let info = pod_info(pod);
        let isolating: Vec<usize> = policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.selects(&info) && p.affects(PolicyDirection::Egress))
            .map(|(i, _)| i)
            .collect();
        if isolating.is_empty() {
            continue;
        }
        let allowed = *decided
            .entry(isolating.clone())
            .or_insert_with(|| dns_allowed(s, &dns, &info));
        if allowed {
            continue;
        }
        let namespace = pod.namespace_or_default();
        match groups.iter_mut().find(|g| g.namespace == namespace) {
            Some(group) => {
                group.pods.push(pod);
                group.policies.extend(isolating);
            }
            None => groups.push(NoDns {
                namespace: namespace.to_owned(),
                pods: vec![pod],
                policies: isolating,
            }),
        }
    }
    for mut group in groups {
        group.policies.sort_unstable();
        group.policies.dedup();
        if let Some(pitfall) = no_dns_finding(s, &dns, &group) {
            found.push(pitfall);
        }
    }
}

fn no_dns_finding(s: &Scenario, dns: &Dns<'_>, group: &NoDns<'_>) -> Option<Pitfall> {
    // A DNS query from one of the pods, dropped at its own egress policies; when the DNS
    // pods are only assumed, whatever the path does with the query to the assumed address.
    let mut shown: Option<(&Pod, PacketSpec, Trace)> = None;
    let mut first: Option<(&Pod, PacketSpec, Trace)> = None;
    'pods: for pod in group.pods.iter().take(TRIES) {
        let Some(ip) = pod.ip else { continue };
        for &(target, port) in &dns.targets {
            let Some((packet, traced)) = run(s, endpoint(ip, 40000), endpoint(target, port), "UDP")
            else {
                continue;
            };
            if dropped_at_pod(&traced, pod).is_some() {
                shown = Some((pod, packet, traced));
                break 'pods;
            }
            if first.is_none() {
                first = Some((pod, packet, traced));
            }
        }
    }
    let confirmed = shown.is_some();
    let (pod, packet, traced) = match (shown, dns.assumed.is_some()) {
        (Some(shown), _) => shown,
        (None, true) => first?,
        (None, false) => return None,
    };
    let policies: Vec<String> = group
        .policies
        .iter()
        .filter_map(|&i| s.network_policies.policies.get(i).map(|p| p.name.clone()))
        .collect();
    let pods: Vec<String> = group.pods.iter().map(|p| p.name.clone()).collect();
    let dns_text = {
        let dns_pods: Vec<String> = dns.pods.iter().map(|p| p.name.clone()).collect();
        match (dns.service, dns_pods.is_empty()) {
            (Some((sv, ip)), false) => format!(
                "the {} Service ({ip}) and its {} {}",
                sv.name,
                if dns_pods.len() == 1 { "pod" } else { "pods" },
                listed(&dns_pods)
            ),
            (None, false) => format!(
                "the DNS {} {} in {KUBE_SYSTEM}",
                if dns_pods.len() == 1 { "pod" } else { "pods" },
                listed(&dns_pods)
            ),
            (_, true) => "kube-dns, the cluster's DNS".to_owned(),
        }
    };
    let mut message = format!(
        "{} {} {} {} for egress, and no egress rule of {} allows UDP {DNS_PORT} or TCP {DNS_PORT} to {dns_text}: every name lookup fails, Service names included. Allow egress to the pods {}={} in namespace {KUBE_SYSTEM} (namespaceSelector kubernetes.io/metadata.name: {KUBE_SYSTEM}) on UDP {DNS_PORT} and TCP {DNS_PORT}; AKS's network policy best practices count DNS among the platform traffic to allow.",
        if policies.len() == 1 { "Policy" } else { "Policies" },
        listed(&policies),
        if policies.len() == 1 { "isolates" } else { "isolate" },
        if pods.len() == 1 {
            format!("pod {}", listed(&pods))
        } else {
            format!("pods {}", listed(&pods))
        },
        if policies.len() == 1 { "it" } else { "them" },
        DNS_LABEL.0,
        DNS_LABEL.1,
    );
    if let Some(assumed) = &dns.assumed {
        message.push(' ');
        message.push_str(assumed);
    }
    if !confirmed {
        message.push_str(&format!(
            " Without a DNS pod in the scenario the path cannot show the query meeting the policy: the packet shown is {}.",
            match (&traced.dropped_at, &traced.reason) {
                (Some(at), Some(reason)) => format!("dropped at {at} ({reason})"),
                (Some(at), None) => format!("dropped at {at}"),
                _ => "delivered, to an address no DNS pod has".to_owned(),
            }
        ));
    }
    // The packet's pod first: it is the one the trace shows.
    let mut components = vec![component::network_policy(&pod.name)];
    components.extend(
        group
            .pods
            .iter()
            .filter(|p| !std::ptr::eq(**p, pod))
            .map(|p| component::network_policy(&p.name)),
    );
    components.extend(dns.pods.iter().map(|p| component::pod(&p.name)));
    Some(Pitfall {
        kind: PitfallKind::EgressWithoutDns,
        title: format!(
            "Namespace {}: {} isolated for egress cannot reach DNS (UDP or TCP {DNS_PORT} to kube-dns)",
            group.namespace,
            plural(group.pods.len(), "pod", "pods"),
        ),
        message,
        components,
        verdict: traced.verdict,
        dropped_at: traced.dropped_at.clone(),
        packet,
        doc: DOC_DEFAULT_DENY_EGRESS,
    })
}

// ---- 2. an ipBlock Cilium does not match ----------------------------------------------

/// A packet that shows an ipBlock not matching a cluster address: the pod whose policy
/// decides, the other end's component, the packet and its trace.
type Shown<'s> = (&'s Pod, String, PacketSpec, Trace);

fn ipblock_under_cilium(s: &Scenario, found: &mut Vec<Pitfall>) {
    if s.network_policy_engine != PolicyEngine::Cilium {
        return;
    }
    let pods: Vec<(&Pod, IpAddr, PodInfo)> = s
        .pods
        .iter()
        .filter_map(|p| Some((p, policy_pod(s, p)?, pod_info(p))))
        .collect();
    let nodes: Vec<(&Node, IpAddr)> = s
        .nodes
        .iter()
        .filter_map(|n| Some((n, n.nic.private_ip_address?)))
        .collect();
    for policy in &s.network_policies.policies {
        let selected: Vec<(&Pod, IpAddr)> = pods
            .iter()
            .filter(|(_, _, info)| policy.selects(info))
            .map(|(p, ip, _)| (*p, *ip))
            .collect();
        if selected.is_empty() {
            continue;
        }
        for direction in [PolicyDirection::Ingress, PolicyDirection::Egress] {
            if !policy.affects(direction) {
                continue;
            }
            for (r, rule) in policy.rules(direction).iter().enumerate() {
                for (i, peer) in rule.peers.iter().enumerate() {
                    let Peer::IpBlock { cidr, except } = peer else {
                        continue;
                    };
                    let covered_nodes: Vec<(&Node, IpAddr)> = nodes
                        .iter()
                        .filter(|(_, ip)| inside(cidr, except, *ip))
                        .copied()
                        .collect();
                    let covered_pods: Vec<(&Pod, IpAddr)> = pods
                        .iter()
                        .filter(|(_, ip, _)| inside(cidr, except, *ip))
                        .map(|(p, ip, _)| (*p, *ip))
                        .collect();
                    if covered_nodes.is_empty() && covered_pods.is_empty() {
                        continue;
                    }
                    let block = Block {
                        direction,
                        rule,
                        cidr,
                    };
                    let Some((gate, other, packet, traced)) =
                        show_cilium(s, &block, &selected, &covered_nodes, &covered_pods)
                    else {
                        continue;
                    };
                    let mut addresses: Vec<String> = covered_nodes
                        .iter()
                        .map(|(n, ip)| format!("node {} ({ip})", n.name))
                        .collect();
                    addresses.extend(
                        covered_pods
                            .iter()
                            .map(|(p, ip)| format!("pod {} ({ip})", p.name)),
                    );
                    let ranges = covered_ranges(s, cidr);
                    let what = match (covered_nodes.is_empty(), covered_pods.is_empty()) {
                        (false, false) => "node and pod addresses",
                        (false, true) => "node addresses",
                        _ => "pod addresses",
                    };
                    let dir = direction.as_str().to_ascii_lowercase();
                    let key = direction.peers_key();
                    found.push(Pitfall {
                        kind: PitfallKind::IpBlockIgnoredByCilium,
                        title: format!(
                            "NetworkPolicy {}/{}: under Cilium, ipBlock {cidr} does not match the {what} it covers",
                            policy.namespace, policy.name
                        ),
                        message: format!(
                            "Azure CNI powered by Cilium does not select pod or node addresses by ipBlock. spec.{dir}[{r}] {key}[{i}] of {} ({}){} never matches {}: traffic {} them is dropped unless another rule allows it by podSelector or namespaceSelector, the workaround AKS documents.",
                            policy.name,
                            ipblock_text(cidr, except),
                            if ranges.is_empty() {
                                String::new()
                            } else {
                                format!(" covers {}, but", listed(&ranges))
                            },
                            listed(&addresses),
                            match direction {
                                PolicyDirection::Ingress => "from",
                                PolicyDirection::Egress => "to",
                            },
                        ),
                        components: vec![component::network_policy(&gate.name), other],
                        verdict: traced.verdict,
                        dropped_at: traced.dropped_at.clone(),
                        packet,
                        doc: CILIUM_DOC,
                    });
                }
            }
        }
    }
}

/// An ipBlock of a rule, with its direction.
struct Block<'p> {
    direction: PolicyDirection,
    rule: &'p PolicyRule,
    cidr: &'p IpNet,
}

/// The node subnets and kubenet pod CIDRs the ipBlock overlaps, named.
fn covered_ranges(s: &Scenario, cidr: &IpNet) -> Vec<String> {
    let overlaps = |net: &IpNet| cidr.contains(&net.network()) || net.contains(&cidr.network());
    let mut ranges: Vec<String> = s
        .vnet
        .subnets
        .iter()
        .filter(|sub| s.nodes.iter().any(|n| n.subnet == sub.name))
        .filter_map(|sub| {
            let prefix = sub.address_prefix?;
            overlaps(&prefix).then(|| format!("node subnet {} ({prefix})", sub.name))
        })
        .collect();
    ranges.extend(s.nodes.iter().filter_map(|n| {
        let prefix = n.pod_cidr?;
        overlaps(&prefix).then(|| format!("pod CIDR {prefix} of node {}", n.name))
    }));
    ranges
}

/// A packet between a selected pod and an address the ipBlock covers that the policy
/// drops, with Cilium's note that the ipBlock did not select it. Each pair is asked of
/// the policies first (`netpol::evaluate`, cheap), and traced only when they drop it.
fn show_cilium<'s>(
    s: &'s Scenario,
    block: &Block<'_>,
    selected: &[(&'s Pod, IpAddr)],
    nodes: &[(&'s Node, IpAddr)],
    pods: &[(&'s Pod, IpAddr)],
) -> Option<Shown<'s>> {
    let note = format!("ipBlock {} contains", block.cidr);
    let noted = |notes: &[String]| notes.iter().any(|n| n.contains(&note));
    let policies = &s.network_policies.policies;
    for &(pod, pod_ip) in selected.iter().take(TRIES) {
        let info = pod_info(pod);
        // The other end: nodes first (the node subnet is what such a block is usually
        // meant for), then pods; never the pod's own node, which is always allowed (NP 9).
        let others = nodes
            .iter()
            .filter(|(n, _)| n.name != pod.node)
            .take(TRIES)
            .map(|(n, ip)| (component::node(&n.name), *ip, None))
            .chain(
                pods.iter()
                    .filter(|(p, _)| !std::ptr::eq(*p, pod))
                    .take(TRIES)
                    .map(|(p, ip)| (component::pod(&p.name), *ip, Some(*p))),
            );
        for (other, other_ip, other_pod) in others {
            let (from, to, receiver) = match block.direction {
                PolicyDirection::Ingress => (other_ip, pod_ip, Some(pod)),
                PolicyDirection::Egress => (pod_ip, other_ip, other_pod),
            };
            let Some((port, protocol)) = port_for(block.rule, receiver) else {
                continue;
            };
            let other_info = other_pod.map(pod_info);
            let peer_named_ports = match (block.direction, &other_info) {
                (PolicyDirection::Egress, Some(o)) => o.named_ports.clone(),
                _ => Vec::new(),
            };
            let peer = PeerInfo {
                ip: other_ip,
                pod: other_info,
                is_local_node: false,
                is_cluster_address: true,
            };
            let packet = PolicyPacket {
                direction: block.direction,
                pod: &info,
                peer: &peer,
                protocol: Some(if protocol == "UDP" {
                    PolicyProtocol::Udp
                } else {
                    PolicyProtocol::Tcp
                }),
                port,
                peer_named_ports: &peer_named_ports,
            };
            let decision =
                netpol::evaluate(policies, &s.namespaces, s.network_policy_engine, &packet);
            if decision.allowed() || !noted(&decision.notes) {
                continue;
            }
            let Some((packet, traced)) =
                run(s, endpoint(from, 40000), endpoint(to, port), protocol)
            else {
                continue;
            };
            let confirmed = dropped_at_pod(&traced, pod)
                .and_then(|h| h.policy.as_ref())
                .is_some_and(|p| noted(&p.notes));
            if confirmed {
                return Some((pod, other, packet, traced));
            }
        }
    }
    None
}

// ---- 3. an ipBlock for Internet clients behind externalTrafficPolicy Cluster ---------

/// An ingress ipBlock of a policy isolating one of a Service's pods.
struct ClientBlock<'s> {
    pod: &'s Pod,
    policy: &'s NetworkPolicy,
    rule: usize,
    peer: usize,
    cidr: &'s IpNet,
    except: &'s [IpNet],
}

impl ClientBlock<'_> {
    fn text(&self) -> String {
        format!(
            "{} spec.ingress[{}] from[{}] ({})",
            self.policy.name,
            self.rule,
            self.peer,
            ipblock_text(self.cidr, self.except)
        )
    }
}

fn ipblock_behind_cluster(s: &Scenario, found: &mut Vec<Pitfall>) {
    for service in &s.services {
        if service.service_type != ServiceType::LoadBalancer
            || is_internal(service)
            || service.external_traffic_policy != ExternalTrafficPolicy::Cluster
        {
            continue;
        }
        let Some(frontend) = service.ingress_ip else {
            continue;
        };
        let endpoints = ready_endpoints(s, service);
        let ranges = service.source_ranges();
        let admitted = |ip: IpAddr| ranges.is_empty() || ranges.iter().any(|r| r.contains(&ip));
        for port in &service.ports {
            let protocol = protocol_of(port.protocol.as_deref());
            let policy_protocol = if protocol == "UDP" {
                PolicyProtocol::Udp
            } else {
                PolicyProtocol::Tcp
            };
            let target = port.target_port.unwrap_or(port.port);
            let mut blocks = client_blocks(s, &endpoints, policy_protocol, target);
            // Only a pod that some other node's address cannot reach can show it.
            blocks.retain(|b| denies_a_node(s, b.pod, policy_protocol, target));
            // Internet clients inside some block that the Service's source ranges admit:
            // the scenario's own, then a documentation address, then a block's first.
            let wanted = |ip: &IpAddr| {
                !is_private(*ip)
                    && admitted(*ip)
                    && blocks.iter().any(|b| inside(b.cidr, b.except, *ip))
            };
            let mut clients: Vec<IpAddr> = s.clients.iter().filter_map(|c| c.ip).collect();
            clients.push(INTERNET_HOST);
            clients.extend(blocks.iter().map(|b| first_host(b.cidr)));
            clients.extend(ranges.iter().map(first_host));
            let mut seen_clients = Vec::new();
            clients.retain(|ip| {
                let first = !seen_clients.contains(ip);
                seen_clients.push(*ip);
                first && wanted(ip)
            });
            let Some((block, client, packet, traced)) =
                show_snat(s, frontend, port.port, protocol, &blocks, &clients)
            else {
                continue;
            };
            let Some(hop) = dropped_at_pod(&traced, block.pod) else {
                continue;
            };
            let seen = hop.packet.source_ip;
            let Some(node) = node_with_ip(s, seen) else {
                continue;
            };
            // The pod's blocks: those that hold the client but not the node it sees, and
            // those that hold the node too, which only Cilium does not select (NP 12).
            let of_pod = || blocks.iter().filter(|b| std::ptr::eq(b.pod, block.pod));
            let missing: Vec<String> = of_pod()
                .filter(|b| inside(b.cidr, b.except, client) && !inside(b.cidr, b.except, seen))
                .map(ClientBlock::text)
                .collect();
            let unselected: Vec<String> = of_pod()
                .filter(|b| inside(b.cidr, b.except, seen))
                .map(ClientBlock::text)
                .collect();
            let mut why = Vec::new();
            if !missing.is_empty() {
                why.push(format!(
                    "{} {} not contain it",
                    listed(&missing),
                    if missing.len() == 1 { "does" } else { "do" }
                ));
            }
            if !unselected.is_empty() {
                why.push(format!(
                    "{} {} it but, under Cilium, cannot select a node's address",
                    listed(&unselected),
                    if unselected.len() == 1 {
                        "contains"
                    } else {
                        "contain"
                    }
                ));
            }
            let proxy = match s.network_policy_engine {
                PolicyEngine::Cilium => "Cilium's eBPF service handling",
                _ => "kube-proxy",
            };
            found.push(Pitfall {
                kind: PitfallKind::IpBlockBehindClusterSnat,
                title: format!(
                    "Service {}: {}'s ipBlock {} never sees its clients (externalTrafficPolicy Cluster SNATs them to a node's IP)",
                    qualified(service),
                    block.policy.name,
                    block.cidr
                ),
                message: format!(
                    "With externalTrafficPolicy Cluster the load balancer may send a client to any node, and {proxy} SNATs the packet to that node's IP before forwarding it to a pod. Pod {}/{} sees {client} as {seen} (node {}): {}, so no rule allows it. Through a node that runs the pod the packet comes from that node, which is always allowed: whether a client gets in depends on the load balancer's choice of node, not on the ipBlock. externalTrafficPolicy Local keeps the client's address (and sends only to nodes with a ready pod).",
                    block.pod.namespace_or_default(),
                    block.pod.name,
                    node.name,
                    why.join("; "),
                ),
                components: vec![
                    component::network_policy(&block.pod.name),
                    component::node(&node.name),
                ],
                verdict: traced.verdict,
                dropped_at: traced.dropped_at.clone(),
                packet,
                doc: DOC_IPBLOCK,
            });
        }
    }
}

/// The ipBlocks of the ingress rules that can admit a packet on `protocol`/`port` to one
/// of `endpoints`, from the policies isolating it (NP 1, NP 8).
fn client_blocks<'s>(
    s: &'s Scenario,
    endpoints: &[&'s Pod],
    protocol: PolicyProtocol,
    port: u16,
) -> Vec<ClientBlock<'s>> {
    let mut blocks = Vec::new();
    let probe_peer = PeerInfo {
        ip: INTERNET_HOST,
        pod: None,
        is_local_node: false,
        is_cluster_address: false,
    };
    for &pod in endpoints {
        let info = pod_info(pod);
        let probe = PolicyPacket {
            direction: PolicyDirection::Ingress,
            pod: &info,
            peer: &probe_peer,
            protocol: Some(protocol),
            port,
            peer_named_ports: &[],
        };
        for policy in s
            .network_policies
            .policies
            .iter()
            .filter(|p| p.selects(&info) && p.affects(PolicyDirection::Ingress))
        {
            for (r, rule) in policy.ingress.iter().enumerate() {
                if netpol::port_match(rule, &probe).is_none() {
                    continue;
                }
                for (i, peer) in rule.peers.iter().enumerate() {
                    if let Peer::IpBlock { cidr, except } = peer {
                        blocks.push(ClientBlock {
                            pod,
                            policy,
                            rule: r,
                            peer: i,
                            cidr,
                            except,
                        });
                    }
                }
            }
        }
    }
    blocks
}

/// Whether the ingress policies of `pod` drop a packet on `protocol`/`port` from some
/// node other than its own: what the pod sees of a client forwarded through that node
/// under Cluster (NP 9, NP 11). Asked of the policies alone, before any packet is traced.
fn denies_a_node(s: &Scenario, pod: &Pod, protocol: PolicyProtocol, port: u16) -> bool {
    let info = pod_info(pod);
    s.nodes
        .iter()
        .filter(|n| n.name != pod.node)
        .filter_map(|n| n.nic.private_ip_address)
        .any(|ip| {
            let peer = PeerInfo {
                ip,
                pod: None,
                is_local_node: false,
                is_cluster_address: true,
            };
            let packet = PolicyPacket {
                direction: PolicyDirection::Ingress,
                pod: &info,
                peer: &peer,
                protocol: Some(protocol),
                port,
                peer_named_ports: &[],
            };
            !netpol::evaluate(
                &s.network_policies.policies,
                &s.namespaces,
                s.network_policy_engine,
                &packet,
            )
            .allowed()
        })
}

/// A client's packet to the Service that a pod's policy drops, having arrived SNATed to
/// a node's IP, from a client inside one of that pod's blocks. The load balancer and
/// kube-proxy choose by the packet's hash, so a few source ports are tried.
fn show_snat<'b, 's>(
    s: &Scenario,
    frontend: IpAddr,
    port: u16,
    protocol: &str,
    blocks: &'b [ClientBlock<'s>],
    clients: &[IpAddr],
) -> Option<(&'b ClientBlock<'s>, IpAddr, PacketSpec, Trace)> {
    const SOURCE_PORTS: u16 = 32;
    if blocks.is_empty() {
        return None;
    }
    for &client in clients.iter().take(TRIES) {
        for k in 0..SOURCE_PORTS {
            let Some((packet, traced)) = run(
                s,
                endpoint(client, 50123u16.saturating_add(k)),
                endpoint(frontend, port),
                protocol,
            ) else {
                continue;
            };
            if traced.verdict != Verdict::Dropped {
                continue;
            }
            let block = blocks.iter().find(|b| {
                inside(b.cidr, b.except, client)
                    && dropped_at_pod(&traced, b.pod).is_some_and(|hop| {
                        hop.packet.source_ip != client
                            && node_with_ip(s, hop.packet.source_ip).is_some()
                    })
            });
            if let Some(block) = block {
                return Some((block, client, packet, traced));
            }
        }
    }
    None
}
