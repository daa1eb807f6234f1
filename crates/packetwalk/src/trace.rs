//! The packet's whole path through a scenario (spec §4): Internet, public IP, Azure load
//! balancer, subnet NSG, NIC NSG, kube-proxy, pod, and the reply back.
//!
//! A trace is reproducible: where Azure or kube-proxy pick at random (the load balancer's
//! backend, kube-proxy's endpoint), packetwalk picks with [`flow_hash`], a documented hash
//! of the 5-tuple, so the same packet always takes the same path.

use crate::component;
use crate::eval::{evaluate_nsg, NsgEvaluation, AZURE_HOST_IP, INSTANCE_METADATA_IP};
use crate::model::{Access, AppliedTo, Direction, Flow, NetworkSecurityGroup, Protocol, Warning};
use crate::scenario::{
    ExternalTrafficPolicy, LoadBalancingRule, NetworkPlugin, Node, Pod, Scenario, Service,
    ServicePort, ServiceType,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

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
    fn reversed(self) -> FiveTuple {
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

fn endpoint(ip: IpAddr, port: u16) -> String {
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
}

/// A page of Microsoft's or Kubernetes' documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Doc {
    pub title: &'static str,
    pub url: &'static str,
}

const AKS_NETWORK: Doc = Doc {
    title: "Network concepts for applications in AKS",
    url: "https://learn.microsoft.com/azure/aks/concepts-network",
};

/// The documentation behind what happens at `component` (a component id): where the
/// facts of the semantics spec come from, as pages a reader can open.
pub fn docs_for(component: &str, action: Action, plugin: NetworkPlugin) -> Doc {
    let kind = component.split(':').next().unwrap_or_default();
    match (kind, action) {
        ("public-ip", _) => Doc {
            title: "Public IP addresses in Azure",
            url: "https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses",
        },
        ("lb", Action::PickBackend) => Doc {
            title: "Azure Load Balancer health probes",
            url: "https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview",
        },
        ("lb", Action::Snat) => Doc {
            title: "Source NAT for outbound connections (Azure Load Balancer)",
            url: "https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections",
        },
        ("lb", _) => Doc {
            title: "Use a public Standard Load Balancer in AKS",
            url: "https://learn.microsoft.com/azure/aks/load-balancer-standard",
        },
        ("nsg", _) => Doc {
            title: "How network security groups filter network traffic",
            url: "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
        },
        ("kube-proxy", Action::Snat) => Doc {
            title: "Kubernetes: preserving the client source IP (externalTrafficPolicy)",
            url: "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip",
        },
        ("kube-proxy", _) => Doc {
            title: "Kubernetes: virtual IPs and service proxies",
            url: "https://kubernetes.io/docs/reference/networking/virtual-ips/",
        },
        ("node" | "subnet", Action::Route | Action::Snat) if plugin == NetworkPlugin::Kubenet => Doc {
            title: "Use kubenet networking in AKS",
            url: "https://learn.microsoft.com/azure/aks/configure-kubenet",
        },
        _ => AKS_NETWORK,
    }
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
/// (`[v6]:port`) or the name of a client, pod or node with `:PORT`.
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

fn pick<T>(items: &[T], hash: u64) -> Option<&T> {
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
    let mut walk = Walk {
        s: scenario,
        hops: Vec::new(),
        packet,
    };
    let end = walk.run();
    let (verdict, delivered_to, dropped_at, reason) = match end {
        End::Delivered(to) => (Verdict::Delivered, Some(to), None, None),
        End::Dropped { at, reason } => (Verdict::Dropped, None, Some(at), Some(reason)),
    };
    let mut warnings = scenario.network_security_groups.import_warnings.clone();
    warnings.extend(crate::scenario::check(scenario));
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

/// `IP:PORT`, `[v6]:PORT`, or `name:PORT` where name is a client, pod or node.
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

enum End {
    Delivered(String),
    Dropped { at: String, reason: String },
}

/// Where a packet's source sits.
enum Origin<'a> {
    Internet(String),
    AzurePlatform,
    Pod(&'a Pod, &'a Node),
    Node(&'a Node),
    /// An address in the VNet that is no node or pod of the scenario (another VM).
    VnetHost,
}

struct Walk<'a> {
    s: &'a Scenario,
    hops: Vec<Hop>,
    packet: FiveTuple,
}

impl<'a> Walk<'a> {
    fn hop(
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
        });
    }

    fn drop(
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

    fn run(&mut self) -> End {
        let origin = self.origin();
        let (start, description) = match &origin {
            Origin::Internet(id) => (id.clone(), "a host on the Internet".to_owned()),
            Origin::AzurePlatform => (
                component::INTERNET.to_owned(),
                format!("the Azure platform address {AZURE_HOST_IP} (load-balancer health probes)"),
            ),
            Origin::Pod(pod, node) => (
                component::pod(&pod.name),
                format!("pod {} on node {}", pod.name, node.name),
            ),
            Origin::Node(node) => (component::node(&node.name), format!("node {}", node.name)),
            Origin::VnetHost => (
                component::vnet(&self.s.vnet.name),
                "a host elsewhere in the VNet".to_owned(),
            ),
        };
        self.hop(
            start,
            Action::Send,
            Leg::Forward,
            format!("{} sends {}", capitalise(&description), self.packet),
            format!("The packet leaves {description}."),
            "§4.1",
        );
        let dst = self.packet.destination_ip;
        let from_cluster = matches!(origin, Origin::Pod(..) | Origin::Node(_));

        if let Some((frontend, public_ip)) = self.frontend_of(dst) {
            return self.via_load_balancer(&frontend, public_ip.as_deref());
        }
        if let Some(service) = self.service_by_cluster_ip(dst) {
            return self.reach_cluster_ip(&origin, service);
        }
        let private_target = self.node_by_ip(dst).is_some() || self.pod_by_ip(dst).is_some();
        if matches!(origin, Origin::Internet(_)) && private_target {
            return self.drop(
                component::INTERNET.to_owned(),
                format!("{dst} is a private address: the Internet has no route to it"),
                "Only public IPs reach into Azure from the Internet; in this cluster those are the load balancer's frontends.".to_owned(),
                "§4.1",
            );
        }
        if let Some(node) = self.node_by_ip(dst) {
            return self.reach_node(&origin, node);
        }
        if let Some(pod) = self.pod_by_ip(dst) {
            return self.reach_pod_directly(&origin, pod);
        }
        if let Some(public_ip) = self.s.public_ips.iter().find(|p| p.ip_address == Some(dst)) {
            return self.drop(
                component::public_ip(&public_ip.name),
                format!(
                    "Public IP {} is not a frontend of any load balancer",
                    public_ip.name
                ),
                "Nothing in Azure answers on this address: no load-balancing rule uses it."
                    .to_owned(),
                "§4.2",
            );
        }
        let platform = [IpAddr::V4(AZURE_HOST_IP), IpAddr::V4(INSTANCE_METADATA_IP)];
        if let (Origin::Pod(_, node) | Origin::Node(node), true) =
            (&origin, platform.contains(&dst))
        {
            if let Some(drop) = self.nsgs(node, Direction::Outbound) {
                return drop;
            }
            self.hop(
                component::INTERNET.to_owned(),
                Action::Deliver,
                Leg::Forward,
                format!("The Azure platform answers at {dst}"),
                format!(
                    "{dst} is a platform address ({}), reached from the host without SNAT or the load balancer.",
                    if dst == IpAddr::V4(AZURE_HOST_IP) { "the host's virtual IP: DNS, DHCP, health probes" } else { "the instance metadata service" }
                ),
                "§1",
            );
            let delivered = self.packet;
            self.reply_back(delivered);
            return End::Delivered(format!("Azure platform {dst}"));
        }
        if let (Origin::Pod(..) | Origin::Node(_), false) = (&origin, self.in_vnet(dst)) {
            return self.egress(&origin);
        }
        let at = if from_cluster {
            component::vnet(&self.s.vnet.name)
        } else {
            component::INTERNET.to_owned()
        };
        self.drop(
            at,
            format!("No part of the scenario has the address {dst}"),
            "The destination is neither a public IP of the cluster, a node, a pod nor a Service's cluster IP.".to_owned(),
            "§4",
        )
    }

    fn origin(&self) -> Origin<'a> {
        let ip = self.packet.source_ip;
        if ip == IpAddr::V4(AZURE_HOST_IP) {
            return Origin::AzurePlatform;
        }
        if let Some(pod) = self.pod_by_ip(ip) {
            if let Some(node) = self.node_named(&pod.node) {
                return Origin::Pod(pod, node);
            }
        }
        if let Some(node) = self.node_by_ip(ip) {
            return Origin::Node(node);
        }
        if self.in_vnet(ip) {
            return Origin::VnetHost;
        }
        match self.s.clients.iter().find(|c| c.ip == Some(ip)) {
            Some(client) => Origin::Internet(component::client(&client.name)),
            None => Origin::Internet(component::INTERNET.to_owned()),
        }
    }

    // ---- lookups -------------------------------------------------------------------

    fn in_vnet(&self, ip: IpAddr) -> bool {
        self.s.vnet.address_space.iter().any(|n| n.contains(&ip))
    }

    fn node_named(&self, name: &str) -> Option<&'a Node> {
        self.s.nodes.iter().find(|n| n.name == name)
    }

    fn node_by_ip(&self, ip: IpAddr) -> Option<&'a Node> {
        self.s
            .nodes
            .iter()
            .find(|n| n.nic.private_ip_address == Some(ip))
    }

    fn pod_by_ip(&self, ip: IpAddr) -> Option<&'a Pod> {
        self.s.pods.iter().find(|p| p.ip == Some(ip))
    }

    fn service_by_cluster_ip(&self, ip: IpAddr) -> Option<&'a Service> {
        self.s.services.iter().find(|s| s.cluster_ip == Some(ip))
    }

    /// The load-balancer frontend that owns `ip`, with its public IP's name.
    fn frontend_of(&self, ip: IpAddr) -> Option<(String, Option<String>)> {
        let lb = self.s.load_balancer.as_ref()?;
        lb.frontend_ip_configurations.iter().find_map(|f| {
            if f.private_ip_address == Some(ip) {
                return Some((f.name.clone(), None));
            }
            let public = f.public_ip_address.as_ref()?;
            let address = self
                .s
                .public_ips
                .iter()
                .find(|p| &p.name == public)?
                .ip_address?;
            (address == ip).then(|| (f.name.clone(), Some(public.clone())))
        })
    }

    fn nsg(&self, name: Option<&String>) -> Option<&'a NetworkSecurityGroup> {
        name.and_then(|n| self.s.network_security_groups.get(n))
    }

    // ---- NSGs ----------------------------------------------------------------------

    /// Evaluates the subnet NSG and the NIC NSG of `node` in Azure's order (spec §1), one
    /// hop per NSG. Returns the drop if one denies.
    fn nsgs(&mut self, node: &'a Node, direction: Direction) -> Option<End> {
        let subnet = self.s.vnet.subnets.iter().find(|s| s.name == node.subnet);
        let subnet_nsg = subnet.and_then(|s| self.nsg(s.network_security_group.as_ref()));
        let nic_nsg = self.nsg(node.nic.network_security_group.as_ref());
        let subnet_name = subnet
            .map(|s| s.name.as_str())
            .unwrap_or(node.subnet.as_str());
        let levels = match direction {
            Direction::Inbound => [(AppliedTo::Subnet, subnet_nsg), (AppliedTo::Nic, nic_nsg)],
            Direction::Outbound => [(AppliedTo::Nic, nic_nsg), (AppliedTo::Subnet, subnet_nsg)],
        };
        let p = self.packet;
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
        let ctx = crate::scenario::node_context(self.s, node);
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
            if direction == Direction::Inbound && self.frontend_of(p.destination_ip).is_some() {
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
            self.hops.push(Hop {
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
                docs: docs_for(&id, Action::NsgAllow, self.s.network_plugin),
                nsg: Some(evaluation),
                lb: None,
            });
            if denied {
                return Some(End::Dropped {
                    at: id,
                    reason: summary,
                });
            }
        }
        None
    }

    // ---- paths ---------------------------------------------------------------------

    fn via_load_balancer(&mut self, frontend: &str, public_ip: Option<&str>) -> End {
        let Some(lb) = self.s.load_balancer.as_ref() else {
            return End::Dropped {
                at: component::INTERNET.to_owned(),
                reason: "no load balancer".to_owned(),
            };
        };
        let lb_id = component::load_balancer(&lb.name);
        if let Some(public_ip) = public_ip {
            self.hop(
                component::public_ip(public_ip),
                Action::Arrive,
                Leg::Forward,
                format!("Public IP {public_ip} is frontend {frontend} of load balancer {}", lb.name),
                "The public IP belongs to a frontend IP configuration of the cluster's load balancer, so the packet goes to the load balancer.".to_owned(),
                "§4.2",
            );
        }
        let p = self.packet;
        let rule = lb.load_balancing_rules.iter().find(|r| {
            r.frontend_ip_configuration == frontend
                && r.frontend_port == p.destination_port
                && Protocol::parse(&r.protocol).is_some_and(|proto| proto == p.protocol)
                || r.frontend_ip_configuration == frontend && r.protocol.eq_ignore_ascii_case("All")
        });
        let Some(rule) = rule else {
            let open: Vec<String> = lb
                .load_balancing_rules
                .iter()
                .filter(|r| r.frontend_ip_configuration == frontend)
                .map(|r| format!("{} {}", r.protocol.to_ascii_uppercase(), r.frontend_port))
                .collect();
            return self.drop(
                lb_id,
                format!(
                    "Load balancer {} has no rule for {} port {} on frontend {frontend}",
                    lb.name, p.protocol, p.destination_port
                ),
                format!(
                    "A load balancer forwards only what a load-balancing rule names (frontend IP, protocol, port); anything else is dropped. This frontend has {}.",
                    if open.is_empty() { "no rules at all".to_owned() } else { format!("rules for {}", open.join(", ")) }
                ),
                "§4.2",
            );
        };
        self.hop(
            lb_id.clone(),
            Action::MatchLbRule,
            Leg::Forward,
            format!(
                "Load-balancing rule {} matches {} {}",
                rule.name,
                rule.protocol.to_ascii_uppercase(),
                rule.frontend_port
            ),
            format!(
                "Frontend {frontend}, {} port {} -> backend port {}; floating IP {}.",
                rule.protocol.to_ascii_uppercase(),
                rule.frontend_port,
                rule.backend_port,
                if rule.enable_floating_ip {
                    "enabled"
                } else {
                    "disabled"
                }
            ),
            "§3",
        );
        let probe = lb
            .probes
            .iter()
            .find(|p| Some(&p.name) == rule.probe.as_ref());
        let mut decision = LbDecision {
            rule: rule.name.clone(),
            rule_ports: format!(
                "{} {} -> {}",
                rule.protocol.to_ascii_uppercase(),
                rule.frontend_port,
                rule.backend_port
            ),
            probe: probe.map(|p| p.name.clone()),
            probe_target: probe.map(|p| {
                format!(
                    "{} {}{}",
                    p.protocol.to_ascii_uppercase(),
                    p.port,
                    p.request_path.as_deref().unwrap_or_default()
                )
            }),
            backends: Vec::new(),
        };
        self.set_lb(decision.clone());
        let health: Vec<(&'a Node, bool, String)> = lb
            .backend_address_pool
            .iter()
            .filter_map(|name| self.node_named(name))
            .map(|node| {
                let (healthy, why) = probe_health(self.s, rule, node);
                (node, healthy, why)
            })
            .collect();
        let healthy: Vec<&'a Node> = health
            .iter()
            .filter(|(_, h, _)| *h)
            .map(|(n, _, _)| *n)
            .collect();
        let report = health
            .iter()
            .map(|(n, h, why)| {
                format!(
                    "{}: {} ({why})",
                    n.name,
                    if *h { "healthy" } else { "unhealthy" }
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        decision.backends = health
            .iter()
            .map(|(n, healthy, why)| BackendHealth {
                component: component::node(&n.name),
                node: n.name.clone(),
                healthy: *healthy,
                why: why.clone(),
            })
            .collect();
        let source_ip_only = rule.load_distribution.as_deref().is_some_and(|d| {
            d.eq_ignore_ascii_case("SourceIP") || d.eq_ignore_ascii_case("SourceIPProtocol")
        });
        let Some(node) = pick(&healthy, flow_hash("lb", &p, source_ip_only)).copied() else {
            let end = self.drop(
                lb_id,
                format!("No healthy backend for rule {}", rule.name),
                format!(
                    "The load balancer sends new flows only to backends whose health probe answers. {}",
                    if report.is_empty() { "The backend pool is empty.".to_owned() } else { report }
                ),
                "§3",
            );
            self.set_lb(decision);
            return end;
        };
        let node_ip = node.nic.private_ip_address;
        if !rule.enable_floating_ip {
            if let Some(ip) = node_ip {
                self.packet.destination_ip = ip;
                self.packet.destination_port = rule.backend_port;
            }
        }
        self.hop(
            lb_id,
            Action::PickBackend,
            Leg::Forward,
            format!("Backend {} chosen from {} healthy of {}", node.name, healthy.len(), health.len()),
            format!(
                "{report}. The choice is a hash of the {} (packetwalk's stand-in for Azure's), so the same packet always goes the same way. {}",
                if source_ip_only { "client IP (SourceIP distribution)" } else { "5-tuple" },
                if rule.enable_floating_ip {
                    "Floating IP: the destination stays the frontend IP and port."
                } else {
                    "Floating IP disabled: the destination becomes the node's IP and the backend port."
                }
            ),
            "§4.2",
        );
        self.set_lb(decision);
        self.enter_node(node, false)
    }

    /// Attaches the load balancer's decision to the hop just made.
    fn set_lb(&mut self, decision: LbDecision) {
        if let Some(hop) = self.hops.last_mut() {
            hop.lb = Some(decision);
        }
    }

    /// The packet arrives at `node`'s NIC (through the NSGs) and goes to kube-proxy or the node.
    fn enter_node(&mut self, node: &'a Node, already_snat: bool) -> End {
        if let Some(drop) = self.nsgs(node, Direction::Inbound) {
            return drop;
        }
        self.kube_proxy(node, already_snat)
    }

    fn kube_proxy(&mut self, node: &'a Node, already_snat: bool) -> End {
        let p = self.packet;
        let kp = component::kube_proxy(&node.name);
        let node_ip = node.nic.private_ip_address;
        // Which Service does kube-proxy's iptables match? LoadBalancer ingress IP (floating
        // IP), cluster IP, or NodePort on the node's own address.
        let matched = self.s.services.iter().find_map(|svc| {
            svc.ports.iter().find_map(|port| {
                let proto_ok = port_protocol(port) == p.protocol;
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
                return self.deliver_to_node(node);
            }
            return self.drop(
                kp,
                format!("kube-proxy on {} has no Service for {}", node.name, endpoint(p.destination_ip, p.destination_port)),
                "No Service's load-balancer IP, cluster IP or NodePort matches the packet's destination, so iptables has no rule to rewrite it and nothing on the node listens there.".to_owned(),
                "§4.4",
            );
        };
        if how == Match::HealthCheck {
            let local = ready_endpoints(self.s, svc)
                .into_iter()
                .filter(|pod| pod.node == node.name)
                .count();
            self.hop(
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
            self.reply_back(p);
            return End::Delivered(format!("kube-proxy on {}", node.name));
        }
        let mut endpoints = ready_endpoints(self.s, svc);
        let local_only = svc.external_traffic_policy == ExternalTrafficPolicy::Local
            && matches!(how, Match::Ingress | Match::NodePort);
        if local_only {
            endpoints.retain(|pod| pod.node == node.name);
        }
        let client_ip_affinity = svc
            .session_affinity
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("ClientIP"));
        let hash = flow_hash(&kp, &p, client_ip_affinity);
        let Some(pod) = pick(&endpoints, hash).copied() else {
            return self.drop(
                kp,
                format!("Service {} has no ready endpoint{}", svc.name, if local_only { " on this node" } else { "" }),
                if local_only {
                    "externalTrafficPolicy Local: kube-proxy sends the packet only to ready pods on the node that received it, and this node has none. (The load balancer's probe would normally keep such a node out of rotation.)".to_owned()
                } else {
                    "No pod that matches the Service's selector is ready, so kube-proxy rejects the connection.".to_owned()
                },
                "§4.4",
            );
        };
        let Some(pod_ip) = pod.ip else {
            return self.drop(
                kp,
                format!("Pod {} has no IP", pod.name),
                "The chosen endpoint has no address in the scenario.".to_owned(),
                "§4.4",
            );
        };
        let original = self.packet;
        let target_port = port.target_port.unwrap_or(port.port);
        self.packet.destination_ip = pod_ip;
        self.packet.destination_port = target_port;
        let through = match how {
            Match::Ingress => "the load balancer's IP",
            Match::NodePort => "the NodePort",
            _ => "the cluster IP",
        };
        self.hop(
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
        let external = matches!(how, Match::Ingress | Match::NodePort)
            && !self.in_vnet_or_pod(original.source_ip);
        let masquerade = !already_snat
            && external
            && svc.external_traffic_policy == ExternalTrafficPolicy::Cluster
            && node_ip.is_some();
        if masquerade {
            if let Some(ip) = node_ip {
                self.packet.source_ip = ip;
                self.packet.source_port =
                    1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
            }
            self.hop(
                kp.clone(),
                Action::Snat,
                Leg::Forward,
                format!("kube-proxy SNATs the source to the node's IP {}", endpoint(self.packet.source_ip, self.packet.source_port)),
                "externalTrafficPolicy Cluster: kube-proxy masquerades traffic from outside the cluster, so the pod may live on any node and the reply comes back through this one. The pod sees the node's IP, not the client's.".to_owned(),
                "§4.4",
            );
        }
        let pod_node = self.node_named(&pod.node);
        if let Some(pod_node) = pod_node {
            if pod_node.name != node.name {
                // Across the VNet to the pod's node: out through this NIC, in through that one.
                self.hop(
                    component::node(&node.name),
                    Action::Route,
                    Leg::Forward,
                    format!("Routed from node {} to node {}", node.name, pod_node.name),
                    match self.s.network_plugin {
                        NetworkPlugin::Azure => "Azure CNI: the pod's IP is a VNet address on the other node's NIC, so the VNet delivers it there directly.".to_owned(),
                        NetworkPlugin::Kubenet => "kubenet: the pod's IP is outside the VNet; the subnet's route table sends the node's pod CIDR to that node's IP.".to_owned(),
                    },
                    "§4.4",
                );
                if let Some(drop) = self.nsgs(node, Direction::Outbound) {
                    return drop;
                }
                if let Some(drop) = self.nsgs(pod_node, Direction::Inbound) {
                    return drop;
                }
            }
        }
        self.deliver_to_pod(pod)
    }

    fn in_vnet_or_pod(&self, ip: IpAddr) -> bool {
        self.in_vnet(ip) || self.pod_by_ip(ip).is_some()
    }

    fn deliver_to_pod(&mut self, pod: &'a Pod) -> End {
        let p = self.packet;
        if !pod.container_ports.is_empty()
            && p.protocol.has_ports()
            && !pod.container_ports.contains(&p.destination_port)
        {
            return self.drop(
                component::pod(&pod.name),
                format!(
                    "Nothing in pod {} listens on port {}",
                    pod.name, p.destination_port
                ),
                format!(
                    "The pod's containers listen on {}; the connection is refused.",
                    pod.container_ports
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "§4.5",
            );
        }
        if !pod.ready {
            return self.drop(
                component::pod(&pod.name),
                format!("Pod {} is not ready", pod.name),
                "The pod is not ready to serve.".to_owned(),
                "§4.5",
            );
        }
        self.hop(
            component::pod(&pod.name),
            Action::Deliver,
            Leg::Forward,
            format!("Pod {} receives {}", pod.name, p),
            format!(
                "{} The pod sees the source {}.",
                match self.s.network_plugin {
                    NetworkPlugin::Azure =>
                        "Azure CNI: the pod's IP is an address of the VNet subnet.",
                    NetworkPlugin::Kubenet =>
                        "kubenet: the pod's IP comes from its node's pod CIDR, outside the VNet.",
                },
                endpoint(p.source_ip, p.source_port)
            ),
            "§4.5",
        );
        self.reply_back(p);
        End::Delivered(pod.name.clone())
    }

    fn deliver_to_node(&mut self, node: &'a Node) -> End {
        let p = self.packet;
        self.hop(
            component::node(&node.name),
            Action::Deliver,
            Leg::Forward,
            format!("Node {} receives {}", node.name, p),
            "No Service matches; the packet is for the node itself (whether a process listens on that port is outside the scenario).".to_owned(),
            "§4",
        );
        self.reply_back(p);
        End::Delivered(node.name.clone())
    }

    /// The reply retraces the forward hops in reverse, allowed by flow state.
    fn reply_back(&mut self, delivered: FiveTuple) {
        let forward: Vec<Hop> = self
            .hops
            .iter()
            .filter(|h| h.leg == Leg::Forward)
            .cloned()
            .collect();
        let mut reply = delivered.reversed();
        let Some(first) = forward.last() else { return };
        self.packet = reply;
        self.hop(
            first.component.clone(),
            Action::Send,
            Leg::Return,
            format!("The reply leaves: {reply}"),
            "The receiver answers to the source it saw.".to_owned(),
            "§4.5",
        );
        for (i, hop) in forward.iter().enumerate().rev() {
            let before = if i == 0 {
                hop.packet
            } else {
                forward[i - 1].packet
            };
            match hop.action {
                Action::Dnat | Action::Snat => {
                    // conntrack undoes the rewrite: the reply's source/destination become
                    // what they were before this hop.
                    reply = before.reversed();
                    self.packet = reply;
                    self.hop(
                        hop.component.clone(),
                        hop.action,
                        Leg::Return,
                        format!("conntrack reverses the {}: {reply}", if hop.action == Action::Dnat { "DNAT" } else { "SNAT" }),
                        "The connection is tracked, so the reply is rewritten back without any rule being consulted.".to_owned(),
                        "§4.5",
                    );
                }
                Action::NsgAllow => {
                    self.hop(
                        hop.component.clone(),
                        Action::FlowState,
                        Leg::Return,
                        "Allowed by flow state".to_owned(),
                        "NSGs are stateful: once a flow is allowed, its return traffic is allowed without a rule.".to_owned(),
                        "§1",
                    );
                }
                Action::PickBackend | Action::Arrive | Action::Route => {
                    self.hop(
                        hop.component.clone(),
                        Action::Route,
                        Leg::Return,
                        format!("Back through {}", component::describe(&hop.component)),
                        "The reply takes the flow's way back.".to_owned(),
                        "§4.5",
                    );
                }
                Action::Send if i == 0 => {
                    self.hop(
                        hop.component.clone(),
                        Action::Deliver,
                        Leg::Return,
                        format!("The reply arrives: {reply}"),
                        "The sender gets its answer from the address it sent to.".to_owned(),
                        "§4.5",
                    );
                }
                _ => {}
            }
        }
    }

    fn reach_node(&mut self, origin: &Origin<'a>, node: &'a Node) -> End {
        if self.same_node(origin, node) {
            return self.kube_proxy(node, true);
        }
        if let Some(drop) = self.leave_source(origin) {
            return drop;
        }
        self.enter_node(node, false)
    }

    /// A packet between two addresses of one node never crosses its NIC, so no NSG sees it.
    fn same_node(&mut self, origin: &Origin<'a>, node: &'a Node) -> bool {
        let same = match origin {
            Origin::Pod(_, from) | Origin::Node(from) => from.name == node.name,
            _ => false,
        };
        if same {
            self.hop(
                component::node(&node.name),
                Action::Route,
                Leg::Forward,
                format!("Stays on node {}", node.name),
                "Source and destination are on the same node: the packet never crosses the NIC, so no NSG evaluates it.".to_owned(),
                "§1",
            );
        }
        same
    }

    fn reach_pod_directly(&mut self, origin: &Origin<'a>, pod: &'a Pod) -> End {
        let Some(node) = self.node_named(&pod.node) else {
            return self.drop(
                component::pod(&pod.name),
                format!("Pod {} is on an unknown node {:?}", pod.name, pod.node),
                "The scenario names a node that does not exist.".to_owned(),
                "§4",
            );
        };
        if self.same_node(origin, node) {
            return self.deliver_to_pod(pod);
        }
        if let Some(drop) = self.leave_source(origin) {
            return drop;
        }
        if let Some(drop) = self.nsgs(node, Direction::Inbound) {
            return drop;
        }
        self.deliver_to_pod(pod)
    }

    fn reach_cluster_ip(&mut self, origin: &Origin<'a>, service: &'a Service) -> End {
        let node = match origin {
            Origin::Pod(_, node) | Origin::Node(node) => *node,
            _ => {
                return self.drop(
                    component::vnet(&self.s.vnet.name),
                    format!("Cluster IP {} of Service {} is not reachable from outside the cluster", self.packet.destination_ip, service.name),
                    "A cluster IP is virtual: only kube-proxy's rules on the nodes know it. From outside the cluster nothing routes to it, and it has no external IP.".to_owned(),
                    "§4.4",
                );
            }
        };
        self.kube_proxy(node, true)
    }

    /// Outbound NSGs of the sending node, for a packet that starts in the cluster.
    fn leave_source(&mut self, origin: &Origin<'a>) -> Option<End> {
        match origin {
            Origin::Pod(_, node) | Origin::Node(node) => self.nsgs(node, Direction::Outbound),
            _ => None,
        }
    }

    fn egress(&mut self, origin: &Origin<'a>) -> End {
        let node = match origin {
            Origin::Pod(_, node) | Origin::Node(node) => *node,
            _ => {
                return self.drop(
                    component::INTERNET.to_owned(),
                    "Not from the cluster".to_owned(),
                    String::new(),
                    "§4",
                )
            }
        };
        if let (Origin::Pod(pod, _), NetworkPlugin::Kubenet, Some(node_ip)) =
            (origin, self.s.network_plugin, node.nic.private_ip_address)
        {
            let original = self.packet;
            self.packet.source_ip = node_ip;
            self.packet.source_port = 1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
            self.hop(
                component::node(&node.name),
                Action::Snat,
                Leg::Forward,
                format!("Node {} masquerades pod {} as {}", node.name, pod.name, endpoint(node_ip, self.packet.source_port)),
                "kubenet: pod addresses exist only inside the cluster, so the node rewrites the source to its own IP before the packet leaves its NIC; the NSG sees the node, not the pod.".to_owned(),
                "§4",
            );
        }
        if let Some(drop) = self.nsgs(node, Direction::Outbound) {
            return drop;
        }
        let outbound = self.s.load_balancer.as_ref().and_then(|lb| {
            let frontend = lb.outbound_frontend.as_ref()?;
            let f = lb
                .frontend_ip_configurations
                .iter()
                .find(|f| &f.name == frontend)?;
            let public = f.public_ip_address.as_ref()?;
            let ip = self
                .s
                .public_ips
                .iter()
                .find(|p| &p.name == public)?
                .ip_address?;
            Some((lb.name.clone(), ip))
        });
        let original = self.packet;
        match outbound {
            Some((lb_name, ip)) => {
                self.packet.source_ip = ip;
                self.packet.source_port = 1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
                self.hop(
                    component::load_balancer(&lb_name),
                    Action::Snat,
                    Leg::Forward,
                    format!("Outbound SNAT to {}", endpoint(self.packet.source_ip, self.packet.source_port)),
                    "The load balancer's outbound rule translates the private source to its outbound public IP, so the Internet sees the cluster's egress address.".to_owned(),
                    "§4",
                );
            }
            None => self.hop(
                component::vnet(&self.s.vnet.name),
                Action::Snat,
                Leg::Forward,
                "Outbound through Azure's default SNAT".to_owned(),
                "The scenario names no outbound frontend; Azure translates the source to an address of its own.".to_owned(),
                "§4",
            ),
        }
        self.hop(
            component::INTERNET.to_owned(),
            Action::Deliver,
            Leg::Forward,
            format!("The Internet host {} receives the packet", endpoint(original.destination_ip, original.destination_port)),
            "The default rule AllowInternetOutBound lets the cluster reach the Internet: images, Azure APIs, the control plane.".to_owned(),
            "§4",
        );
        let delivered = self.packet;
        self.reply_back(delivered);
        End::Delivered(format!("Internet host {}", original.destination_ip))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Ingress,
    ClusterIp,
    NodePort,
    HealthCheck,
}

fn port_protocol(port: &ServicePort) -> Protocol {
    port.protocol
        .as_deref()
        .and_then(Protocol::parse)
        .unwrap_or(Protocol::Tcp)
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

/// Whether the load balancer's health probe for `rule` succeeds on `node`, and why
/// (spec §3): the probe comes from 168.63.129.16 and must pass the node's NSGs; under
/// externalTrafficPolicy Cluster it probes the NodePort (answered while the Service has
/// any ready endpoint), under Local the healthCheckNodePort (answered 200 only when the
/// node has a ready endpoint of its own).
pub fn probe_health(scenario: &Scenario, rule: &LoadBalancingRule, node: &Node) -> (bool, String) {
    ProbeTarget::of(scenario, rule).health(scenario, node)
}

/// What `rule`'s health probe asks, worked out once for every backend node: the probe,
/// and the Service that answers it with its ready endpoints.
pub struct ProbeTarget<'a> {
    probe: Option<&'a crate::scenario::Probe>,
    service: Option<&'a Service>,
    endpoints: Vec<&'a Pod>,
}

impl<'a> ProbeTarget<'a> {
    pub fn of(scenario: &'a Scenario, rule: &LoadBalancingRule) -> ProbeTarget<'a> {
        let probe = scenario.load_balancer.as_ref().and_then(|lb| {
            lb.probes
                .iter()
                .find(|p| Some(&p.name) == rule.probe.as_ref())
        });
        let service = probe.and_then(|probe| {
            scenario.services.iter().find(|svc| {
                svc.ports.iter().any(|p| p.node_port == Some(probe.port))
                    || svc.health_check_node_port == Some(probe.port)
            })
        });
        ProbeTarget {
            probe,
            service,
            endpoints: service
                .map(|svc| ready_endpoints(scenario, svc))
                .unwrap_or_default(),
        }
    }

    /// Whether the probe succeeds on `node`, and why ([`probe_health`]).
    pub fn health(&self, scenario: &Scenario, node: &Node) -> (bool, String) {
        let Some(probe) = self.probe else {
            return (
                true,
                "no health probe: every backend counts as healthy".to_owned(),
            );
        };
        let Some(node_ip) = node.nic.private_ip_address else {
            return (false, "the node has no IP".to_owned());
        };
        // The probe must pass the NSGs like any packet. Most probes pass: check that
        // cheaply first, and walk (for the reason) only when an NSG denies.
        let probe_flow = Flow {
            direction: Direction::Inbound,
            protocol: Protocol::Tcp,
            local_ip: node_ip,
            local_port: probe.port,
            remote_ip: IpAddr::V4(AZURE_HOST_IP),
            remote_port: 50000,
        };
        let ctx = crate::scenario::node_context(scenario, node);
        let subnet_nsg = crate::scenario::subnet_nsg_name(scenario, node);
        let passes = [subnet_nsg, node.nic.network_security_group.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|name| scenario.network_security_groups.get(name))
            .all(|nsg| crate::eval::decide_access(nsg, &probe_flow, &ctx) == Access::Allow);
        let walk_packet = FiveTuple {
            protocol: Protocol::Tcp,
            source_ip: IpAddr::V4(AZURE_HOST_IP),
            source_port: 50000,
            destination_ip: node_ip,
            destination_port: probe.port,
        };
        let mut walk = Walk {
            s: scenario,
            hops: Vec::new(),
            packet: walk_packet,
        };
        if !passes {
            if let Some(End::Dropped { reason, .. }) = walk.nsgs(node, Direction::Inbound) {
                return (
                    false,
                    format!("the probe from {AZURE_HOST_IP} is blocked: {reason}"),
                );
            }
        }
        let Some(service) = self.service else {
            return (
                false,
                format!(
                    "nothing on the node answers the probe on port {}",
                    probe.port
                ),
            );
        };
        let endpoints = &self.endpoints;
        if service.health_check_node_port == Some(probe.port) {
            let local = endpoints.iter().filter(|p| p.node == node.name).count();
            return if local > 0 {
                (
                    true,
                    format!(
                        "{} probe on {} answers 200: {local} ready local pod(s)",
                        probe.protocol, probe.port
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "{} probe on {} answers 503: no ready pod on this node",
                        probe.protocol, probe.port
                    ),
                )
            };
        }
        if endpoints.is_empty() {
            (
                false,
                format!(
                    "{} probe on NodePort {} fails: the Service has no ready endpoint",
                    probe.protocol, probe.port
                ),
            )
        } else {
            (
                true,
                format!(
                    "{} probe on NodePort {} answers",
                    probe.protocol, probe.port
                ),
            )
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_uppercase())
            .chain(chars)
            .collect(),
        None => String::new(),
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
