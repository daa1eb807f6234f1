//! The AKS pitfalls (issue 14): the traps engineers keep hitting, found in a scenario and
//! each shown by a packet. Every finding is confirmed by tracing its packet through the
//! scenario (`trace::trace`), so it says what the path does, not what a rule's text
//! suggests; the finding carries the packet, so a reader can watch it happen.
//!
//! The NetworkPolicy kinds (issue 15: egress without DNS, an ipBlock Cilium does not
//! match, an ipBlock behind externalTrafficPolicy Cluster) are found in
//! [`super::policy_pitfalls`], and only where an engine enforces policies.

use crate::component;
use crate::eval::{evaluate_nsg, is_private, NsgEvaluation, RuleKind};
use crate::model::{Access, AppliedTo, Direction, Flow};
use crate::reconcile::is_internal;
use crate::scenario::{node_context, ExternalTrafficPolicy, Node, Scenario, Service, ServiceType};
use crate::trace::{ready_endpoints, trace, Doc, Hop, PacketSpec, Trace, Verdict};
use ipnet::IpNet;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PitfallKind {
    /// The subnet's NSG denies what the cloud provider's rule on the NIC's NSG allows.
    SubnetNsgDenies,
    /// A Deny of a lower priority number decides before an Allow that would match.
    ShadowedByDeny,
    /// loadBalancerSourceRanges do not stop VNet clients at the node's NodePort.
    SourceRangesBypassedInVnet,
    /// externalTrafficPolicy Local: an NSG blocks the load balancer's health probe.
    ProbeBlocked,
    /// externalTrafficPolicy Local: nodes without a ready pod fail the probe (as they
    /// should), so new connections never reach them.
    NoReadyPod,
    /// A custom Deny between node subnets breaks pod-to-pod or node-to-node traffic.
    DenyBetweenSubnets,
    /// An internal Service's clients are outside its loadBalancerSourceRanges.
    InternalClientOutsideRanges,
    /// Pods isolated for egress whose rules allow no DNS (UDP or TCP 53) to kube-dns.
    EgressWithoutDns,
    /// Under Cilium, an ipBlock covering node or pod addresses never matches them.
    IpBlockIgnoredByCilium,
    /// An ingress ipBlock for Internet clients on pods behind a LoadBalancer Service
    /// with externalTrafficPolicy Cluster: the pod sees the node's IP after SNAT.
    IpBlockBehindClusterSnat,
}

impl PitfallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PitfallKind::SubnetNsgDenies => "subnetNsgDenies",
            PitfallKind::ShadowedByDeny => "shadowedByDeny",
            PitfallKind::SourceRangesBypassedInVnet => "sourceRangesBypassedInVnet",
            PitfallKind::ProbeBlocked => "probeBlocked",
            PitfallKind::NoReadyPod => "noReadyPod",
            PitfallKind::DenyBetweenSubnets => "denyBetweenSubnets",
            PitfallKind::InternalClientOutsideRanges => "internalClientOutsideRanges",
            PitfallKind::EgressWithoutDns => "egressWithoutDns",
            PitfallKind::IpBlockIgnoredByCilium => "ipBlockIgnoredByCilium",
            PitfallKind::IpBlockBehindClusterSnat => "ipBlockBehindClusterSnat",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pitfall {
    pub kind: PitfallKind,
    /// One line: what is wrong, with the names.
    pub title: String,
    /// Why, naming the rules and their priorities.
    pub message: String,
    /// The component ids the finding concerns (as the diagram and the trace name them).
    pub components: Vec<String>,
    /// The packet that shows it.
    pub packet: PacketSpec,
    /// What the path does with that packet.
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_at: Option<String>,
    pub doc: Doc,
}

const DOC_NSG_ORDER: Doc = Doc {
    title: "How network security groups filter network traffic",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
};
const DOC_SOURCE_RANGES: Doc = Doc {
    title: "Restrict inbound traffic to specific IP ranges (AKS load balancer)",
    url: "https://learn.microsoft.com/azure/aks/load-balancer-standard#restrict-inbound-traffic-to-specific-ip-ranges",
};
const DOC_LOCAL: Doc = Doc {
    title: "Preserving the client source IP (Kubernetes)",
    url: "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip",
};
const DOC_AKS_NSG: Doc = Doc {
    title: "Network security groups in AKS",
    url: "https://learn.microsoft.com/azure/aks/concepts-network#network-security-groups",
};
const DOC_INTERNAL: Doc = Doc {
    title: "Use an internal load balancer with AKS",
    url: "https://learn.microsoft.com/azure/aks/internal-lb",
};

/// A host on the Internet for packets the scenario's own clients do not supply
/// (RFC 5737 TEST-NET-1).
pub(super) const INTERNET_HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));

/// Every pitfall found in `scenario`, in a stable order: by kind, then by Service, node,
/// subnet, namespace or policy as the scenario lists them.
pub fn pitfalls(scenario: &Scenario) -> Vec<Pitfall> {
    let mut found = Vec::new();
    for service in &scenario.services {
        if service.service_type == ServiceType::LoadBalancer && !is_internal(service) {
            public_service(scenario, service, &mut found);
        }
        if service.service_type != ServiceType::ClusterIP {
            source_ranges_in_vnet(scenario, service, &mut found);
        }
        if service.service_type == ServiceType::LoadBalancer
            && service.external_traffic_policy == ExternalTrafficPolicy::Local
        {
            local_policy(scenario, service, &mut found);
        }
        if is_internal(service) {
            internal_clients(scenario, service, &mut found);
        }
    }
    between_subnets(scenario, &mut found);
    super::policy_pitfalls::policy_pitfalls(scenario, &mut found);
    found.sort_by_key(|p| p.kind as u8);
    found
}

pub(super) fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}:{port}"),
        IpAddr::V6(_) => format!("[{ip}]:{port}"),
    }
}

pub(super) fn protocol_of(text: Option<&str>) -> &'static str {
    match text {
        Some(p) if p.eq_ignore_ascii_case("udp") => "UDP",
        _ => "TCP",
    }
}

pub(super) fn run(
    scenario: &Scenario,
    from: String,
    to: String,
    protocol: &str,
) -> Option<(PacketSpec, Trace)> {
    let packet = PacketSpec {
        from,
        to,
        protocol: protocol.to_owned(),
    };
    let traced = trace(scenario, &packet).ok()?;
    Some((packet, traced))
}

/// The forward hop that dropped the packet, if an NSG did.
fn nsg_drop(traced: &Trace) -> Option<(&Hop, &NsgEvaluation)> {
    let hop = traced
        .hops
        .iter()
        .rev()
        .find(|h| Some(&h.component) == traced.dropped_at.as_ref())?;
    hop.nsg.as_ref().map(|nsg| (hop, nsg))
}

fn rule_text(nsg: &NsgEvaluation, index: usize) -> String {
    nsg.rules.get(index).map_or_else(String::new, |r| {
        format!(
            "{} (priority {}, {})",
            r.name,
            r.priority,
            r.access.as_str()
        )
    })
}

/// Internet clients the Service's source ranges admit: the scenario's own, then the
/// first address of the first range, or a documentation address when there are none.
fn internet_clients(scenario: &Scenario, service: &Service) -> Vec<IpAddr> {
    let ranges = service.source_ranges();
    let admitted = |ip: &IpAddr| ranges.is_empty() || ranges.iter().any(|r| r.contains(ip));
    let mut clients: Vec<IpAddr> = scenario
        .clients
        .iter()
        .filter_map(|c| c.ip)
        .filter(|ip| !is_private(*ip) && admitted(ip))
        .collect();
    clients.push(ranges.first().map_or(INTERNET_HOST, first_host));
    clients.dedup();
    clients
}

pub(super) fn first_host(net: &IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) if n.prefix_len() < 31 => {
            IpAddr::V4(Ipv4Addr::from(u32::from(n.network()).saturating_add(1)))
        }
        other => other.addr(),
    }
}

/// The Service's packet from the Internet: dropped by a subnet NSG the NIC's NSG would
/// have passed (SubnetNsgDenies), or by a Deny ahead of an Allow (ShadowedByDeny).
fn public_service(scenario: &Scenario, service: &Service, found: &mut Vec<Pitfall>) {
    let Some(frontend) = service.ingress_ip else {
        return;
    };
    for port in &service.ports {
        let protocol = protocol_of(port.protocol.as_deref());
        // The first client whose packet an NSG drops shows it.
        let dropped = internet_clients(scenario, service)
            .into_iter()
            .find_map(|client| {
                run(
                    scenario,
                    endpoint(client, 50123),
                    endpoint(frontend, port.port),
                    protocol,
                )
                .filter(|(_, traced)| nsg_drop(traced).is_some())
            });
        let Some((packet, traced)) = dropped else {
            continue;
        };
        let Some((hop, nsg)) = nsg_drop(&traced) else {
            continue;
        };
        let Some(decided) = nsg.deciding_rule else {
            continue;
        };
        let later_allow = nsg
            .rules
            .iter()
            .enumerate()
            .skip(decided + 1)
            .find(|(_, r)| r.matched && r.access == Access::Allow && r.kind == RuleKind::User);
        let service_name = qualified(service);
        if nsg.applied_to == AppliedTo::Subnet {
            if let Some((nic_component, nic_nsg, rule)) = nic_allows(scenario, &traced, hop) {
                found.push(Pitfall {
                    kind: PitfallKind::SubnetNsgDenies,
                    title: format!(
                        "Service {service_name}: the subnet's NSG {} denies what NSG {nic_nsg} allows",
                        nsg.nsg_name
                    ),
                    message: format!(
                        "Inbound traffic meets the subnet's NSG first and the NIC's second; both must allow. The cloud provider wrote {rule} on NSG {nic_nsg} for port {}, but on the subnet's NSG {} {}.",
                        port.port,
                        nsg.nsg_name,
                        if nsg.rules[decided].kind == RuleKind::Default {
                            format!("no rule allows this client, so {} decides", rule_text(nsg, decided))
                        } else {
                            format!("{} decides first", rule_text(nsg, decided))
                        }
                    ),
                    components: vec![hop.component.clone(), nic_component],
                    verdict: traced.verdict,
                    dropped_at: traced.dropped_at.clone(),
                    packet,
                    doc: DOC_NSG_ORDER,
                });
                continue;
            }
        }
        if let Some((index, allow)) = later_allow {
            found.push(Pitfall {
                kind: PitfallKind::ShadowedByDeny,
                title: format!(
                    "Service {service_name}: {} on NSG {} decides before {}",
                    nsg.rules[decided].name, nsg.nsg_name, allow.name
                ),
                message: format!(
                    "NSG rules are processed by priority, lowest number first, and the first match decides: {} comes before {}, which would allow this packet but never decides.",
                    rule_text(nsg, decided),
                    rule_text(nsg, index)
                ),
                components: vec![hop.component.clone()],
                verdict: traced.verdict,
                dropped_at: traced.dropped_at.clone(),
                packet,
                doc: DOC_NSG_ORDER,
            });
        }
    }
}

/// The NIC NSG behind a dropping subnet NSG, and its user rule that allows the packet.
fn nic_allows(scenario: &Scenario, traced: &Trace, hop: &Hop) -> Option<(String, String, String)> {
    let subnet = hop.component.split("@subnet:").nth(1)?;
    let picked = traced
        .hops
        .iter()
        .filter_map(|h| h.lb.as_ref())
        .flat_map(|lb| lb.backends.iter())
        .find(|b| b.healthy)
        .map(|b| b.node.clone());
    let node = scenario
        .nodes
        .iter()
        .filter(|n| n.subnet == subnet)
        .find(|n| picked.as_ref().is_none_or(|p| *p == n.name))?;
    let nic_nsg = scenario
        .network_security_groups
        .get(node.nic.network_security_group.as_deref()?)?;
    let flow = inbound(&hop.packet);
    let evaluation = evaluate_nsg(
        nic_nsg,
        AppliedTo::Nic,
        &flow,
        &node_context(scenario, node),
    );
    let decided = evaluation.deciding_rule?;
    let rule = evaluation.rules.get(decided)?;
    (evaluation.access == Access::Allow && rule.kind == RuleKind::User).then(|| {
        (
            component::nsg_on_nic(&nic_nsg.name, &node.nic.name),
            nic_nsg.name.clone(),
            rule_text(&evaluation, decided),
        )
    })
}

fn inbound(packet: &crate::trace::FiveTuple) -> Flow {
    Flow {
        direction: Direction::Inbound,
        protocol: packet.protocol,
        local_ip: packet.destination_ip,
        local_port: packet.destination_port,
        remote_ip: packet.source_ip,
        remote_port: packet.source_port,
    }
}

pub(super) fn qualified(service: &Service) -> String {
    format!(
        "{}/{}",
        service.namespace.as_deref().unwrap_or("default"),
        service.name
    )
}

/// An address of the VNet that is no node's, no pod's and outside `ranges`: a VM of the
/// VNet as the packet's source.
fn vnet_host(scenario: &Scenario, ranges: &[IpNet]) -> Option<IpAddr> {
    let used = |ip: &IpAddr| {
        scenario
            .nodes
            .iter()
            .any(|n| n.nic.private_ip_address.as_ref() == Some(ip))
            || scenario.pods.iter().any(|p| p.ip.as_ref() == Some(ip))
            || ranges.iter().any(|r| r.contains(ip))
    };
    let from_clients = scenario
        .clients
        .iter()
        .filter_map(|c| c.ip)
        .find(|ip| scenario.vnet.address_space.iter().any(|a| a.contains(ip)) && !used(ip));
    from_clients.or_else(|| {
        scenario
            .vnet
            .address_space
            .iter()
            .find_map(|space| match space {
                IpNet::V4(net) if net.prefix_len() <= 30 => {
                    // The last usable address of the address space, then a few below it.
                    let top = u32::from(net.broadcast()).saturating_sub(1);
                    (0..16)
                        .map(|k| Ipv4Addr::from(top.saturating_sub(k)))
                        .filter(|ip| net.contains(ip))
                        .map(IpAddr::V4)
                        .find(|ip| !used(ip))
                }
                _ => None,
            })
    })
}

/// Source ranges restrict the load balancer's frontend; a VNet client outside them still
/// reaches the Service at a node's NodePort, allowed by AllowVnetInBound (65000).
fn source_ranges_in_vnet(scenario: &Scenario, service: &Service, found: &mut Vec<Pitfall>) {
    let ranges = service.source_ranges();
    if ranges.is_empty() {
        return;
    }
    let Some(host) = vnet_host(scenario, &ranges) else {
        return;
    };
    let Some(node) = scenario
        .nodes
        .iter()
        .find(|n| n.nic.private_ip_address.is_some())
    else {
        return;
    };
    let Some(node_ip) = node.nic.private_ip_address else {
        return;
    };
    for port in &service.ports {
        let Some(node_port) = port.node_port else {
            continue;
        };
        let protocol = protocol_of(port.protocol.as_deref());
        let Some((packet, traced)) = run(
            scenario,
            endpoint(host, 40000),
            endpoint(node_ip, node_port),
            protocol,
        ) else {
            continue;
        };
        if traced.verdict != Verdict::Delivered {
            continue;
        }
        // The NSGs in front of the node the client reaches, before kube-proxy forwards.
        let mut allowed_by: Vec<String> = Vec::new();
        for hop in &traced.hops {
            if hop.component.starts_with("kube-proxy:") {
                break;
            }
            if let Some(n) = hop.nsg.as_ref().filter(|n| n.access == Access::Allow) {
                if let Some(i) = n.deciding_rule {
                    let text = format!("NSG {}: {}", n.nsg_name, rule_text(n, i));
                    if !allowed_by.contains(&text) {
                        allowed_by.push(text);
                    }
                }
            }
        }
        let service_name = qualified(service);
        found.push(Pitfall {
            kind: PitfallKind::SourceRangesBypassedInVnet,
            title: format!(
                "Service {service_name}: loadBalancerSourceRanges do not stop {host}, a VNet address outside them"
            ),
            message: format!(
                "The ranges ({}) restrict the load balancer's frontend; a client inside the VNet reaches NodePort {node_port} on node {} directly. {}",
                service.load_balancer_source_ranges.join(", "),
                node.name,
                if allowed_by.is_empty() {
                    "No NSG stands in the way.".to_owned()
                } else {
                    format!("Allowed by {}.", allowed_by.join("; "))
                }
            ),
            components: vec![component::node(&node.name)],
            verdict: traced.verdict,
            dropped_at: None,
            packet,
            doc: DOC_SOURCE_RANGES,
        });
        return;
    }
}

/// externalTrafficPolicy Local: the probe asks the healthCheckNodePort of every node.
fn local_policy(scenario: &Scenario, service: &Service, found: &mut Vec<Pitfall>) {
    let Some(health_port) = service.health_check_node_port else {
        return;
    };
    let service_name = qualified(service);
    let endpoints = ready_endpoints(scenario, service);
    let mut without: Vec<&Node> = Vec::new();
    // The probe to the first node without a ready pod shows the NoReadyPod finding.
    let mut shown = None;
    for node in &scenario.nodes {
        let Some(ip) = node.nic.private_ip_address else {
            continue;
        };
        let probed = run(
            scenario,
            endpoint(IpAddr::V4(crate::eval::AZURE_HOST_IP), 61000),
            endpoint(ip, health_port),
            "TCP",
        );
        if let Some((packet, traced)) = &probed {
            if let Some((hop, nsg)) = nsg_drop(traced) {
                found.push(Pitfall {
                    kind: PitfallKind::ProbeBlocked,
                    title: format!(
                        "Service {service_name}: NSG {} blocks the health probe to node {} on port {health_port}",
                        nsg.nsg_name, node.name
                    ),
                    message: format!(
                        "With externalTrafficPolicy Local the load balancer probes the healthCheckNodePort ({health_port}) of every node from 168.63.129.16 (AzureLoadBalancer); {} drops it, so the load balancer marks the node down and sends it no new connections.",
                        nsg.deciding_rule.map(|i| rule_text(nsg, i)).unwrap_or_default()
                    ),
                    components: vec![hop.component.clone(), component::node(&node.name)],
                    verdict: traced.verdict,
                    dropped_at: traced.dropped_at.clone(),
                    packet: packet.clone(),
                    doc: DOC_LOCAL,
                });
                continue;
            }
        }
        if !endpoints.iter().any(|p| p.node == node.name) {
            if without.is_empty() {
                shown = probed;
            }
            without.push(node);
        }
    }
    if endpoints.is_empty() {
        return;
    }
    if let Some((packet, traced)) = shown {
        let names: Vec<&str> = without.iter().map(|n| n.name.as_str()).collect();
        found.push(Pitfall {
            kind: PitfallKind::NoReadyPod,
            title: format!(
                "Service {service_name}: {} without a ready pod, so the probe marks {} down",
                plural(names.len(), "node", "nodes"),
                if names.len() == 1 { "it" } else { "them" }
            ),
            message: format!(
                "With externalTrafficPolicy Local, kube-proxy answers the health probe on port {health_port} with 200 only on nodes that run a ready endpoint; {} {} 503. That is by design: it keeps the client's IP by never forwarding to another node, so these nodes get no new connections.",
                names.join(", "),
                if names.len() == 1 { "answers" } else { "answer" }
            ),
            components: without.iter().map(|n| component::node(&n.name)).collect(),
            verdict: traced.verdict,
            dropped_at: traced.dropped_at.clone(),
            packet,
            doc: DOC_LOCAL,
        });
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Clients of an internal Service (the scenario's clients with private addresses)
/// outside its source ranges.
fn internal_clients(scenario: &Scenario, service: &Service, found: &mut Vec<Pitfall>) {
    let ranges = service.source_ranges();
    let (Some(frontend), false) = (service.ingress_ip, ranges.is_empty()) else {
        return;
    };
    let outside: Vec<(&str, IpAddr)> = scenario
        .clients
        .iter()
        .filter_map(|c| c.ip.map(|ip| (c.name.as_str(), ip)))
        .filter(|(_, ip)| is_private(*ip) && !ranges.iter().any(|r| r.contains(ip)))
        .collect();
    let Some((name, ip)) = outside.first() else {
        return;
    };
    let Some(port) = service.ports.first() else {
        return;
    };
    let Some((packet, traced)) = run(
        scenario,
        endpoint(*ip, 40000),
        endpoint(frontend, port.port),
        protocol_of(port.protocol.as_deref()),
    ) else {
        return;
    };
    let service_name = qualified(service);
    let names: Vec<&str> = outside.iter().map(|(n, _)| *n).collect();
    found.push(Pitfall {
        kind: PitfallKind::InternalClientOutsideRanges,
        title: format!(
            "Internal Service {service_name}: {} outside its loadBalancerSourceRanges",
            names.join(", ")
        ),
        message: format!(
            "The ranges ({}) do not include {name} ({ip}); the packet is {}.",
            service.load_balancer_source_ranges.join(", "),
            match traced.verdict {
                Verdict::Delivered =>
                    "still delivered, so the ranges do not protect what they seem to".to_owned(),
                Verdict::Dropped => format!(
                    "dropped{}",
                    traced
                        .reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            }
        ),
        components: vec![component::client(name)],
        verdict: traced.verdict,
        dropped_at: traced.dropped_at.clone(),
        packet,
        doc: DOC_INTERNAL,
    });
}

/// A user Deny between two node subnets: a pod (or the node) in one subnet to a pod (or
/// the kubelet, port 10250) in the other.
fn between_subnets(scenario: &Scenario, found: &mut Vec<Pitfall>) {
    let subnets: Vec<&str> = scenario
        .vnet
        .subnets
        .iter()
        .map(|s| s.name.as_str())
        .filter(|s| scenario.nodes.iter().any(|n| n.subnet == *s))
        .collect();
    for from in &subnets {
        for to in &subnets {
            if from == to {
                continue;
            }
            let source = scenario
                .pods
                .iter()
                .find(|p| p.ip.is_some() && node_subnet(scenario, &p.node) == Some(from))
                .map(|p| (component::pod(&p.name), p.ip))
                .or_else(|| {
                    scenario
                        .nodes
                        .iter()
                        .find(|n| n.subnet == *from)
                        .map(|n| (component::node(&n.name), n.nic.private_ip_address))
                });
            let target = scenario
                .pods
                .iter()
                .find(|p| p.ip.is_some() && node_subnet(scenario, &p.node) == Some(to))
                .map(|p| {
                    let port = p.container_ports.first().map_or(80, |c| c.container_port);
                    (component::pod(&p.name), p.ip, port)
                })
                .or_else(|| {
                    scenario
                        .nodes
                        .iter()
                        .find(|n| n.subnet == *to)
                        .map(|n| (component::node(&n.name), n.nic.private_ip_address, 10250))
                });
            let (Some((src_id, Some(src_ip))), Some((dst_id, Some(dst_ip), port))) =
                (source, target)
            else {
                continue;
            };
            let Some((packet, traced)) = run(
                scenario,
                endpoint(src_ip, 40000),
                endpoint(dst_ip, port),
                "TCP",
            ) else {
                continue;
            };
            let Some((hop, nsg)) = nsg_drop(&traced) else {
                continue;
            };
            let Some(decided) = nsg.deciding_rule else {
                continue;
            };
            if nsg
                .rules
                .get(decided)
                .is_none_or(|r| r.kind != RuleKind::User)
            {
                continue;
            }
            found.push(Pitfall {
                kind: PitfallKind::DenyBetweenSubnets,
                title: format!(
                    "Subnet {from} to subnet {to}: {} on NSG {} drops traffic between node pools",
                    nsg.rules[decided].name, nsg.nsg_name
                ),
                message: format!(
                    "{} decides before AllowVnetInBound (65000), so pods and nodes in {from} cannot reach those in {to} (here {src_id} to {dst_id} on port {port}). AKS needs traffic between its nodes and pods open.",
                    rule_text(nsg, decided)
                ),
                components: vec![hop.component.clone(), src_id, dst_id],
                verdict: traced.verdict,
                dropped_at: traced.dropped_at.clone(),
                packet,
                doc: DOC_AKS_NSG,
            });
        }
    }
}

fn node_subnet<'s>(scenario: &'s Scenario, node: &str) -> Option<&'s str> {
    scenario
        .nodes
        .iter()
        .find(|n| n.name == node)
        .map(|n| n.subnet.as_str())
}

/// The findings as text, one block each, for the CLI.
pub fn pitfalls_to_text(found: &[Pitfall]) -> String {
    if found.is_empty() {
        return "No AKS pitfalls found.\n".to_owned();
    }
    let mut out = String::new();
    for p in found {
        out.push_str(&format!(
            "{}: {}\n  {}\n  packet: {} {} -> {}: {}{}\n  see: {} <{}>\n",
            p.kind.as_str(),
            p.title,
            p.message,
            p.packet.protocol,
            p.packet.from,
            p.packet.to,
            match p.verdict {
                Verdict::Delivered => "delivered",
                Verdict::Dropped => "dropped",
            },
            p.dropped_at
                .as_deref()
                .map(|d| format!(" at {d}"))
                .unwrap_or_default(),
            p.doc.title,
            p.doc.url
        ));
    }
    out
}
