//! The Azure load balancer (spec §3, §4.2): the load-balancing rule for a frontend,
//! protocol and port (no rule: dropped), the health probes, the healthy backend it picks
//! (a hash of the 5-tuple, or of the client IP) and, without floating IP, the DNAT to the
//! node's IP and the backend port; and the outbound SNAT of traffic to the Internet.
//!
//! AKS has two: `kubernetes`, whose frontends are public IPs, and `kubernetes-internal`
//! (the scenario's `internalLoadBalancer`), whose frontends are private IPs in a subnet,
//! for Services annotated `service.beta.kubernetes.io/azure-load-balancer-internal:
//! "true"`. A packet that reaches an internal frontend meets the same rule, probe and
//! backends as at a public one (cloud-provider-azure builds both alike:
//! `reconcileLoadBalancer` in `pkg/provider/azure_loadbalancer.go`); who can reach a
//! private frontend is the public IP stage's question. The exposure only notes internal
//! rules: the Internet cannot reach them.

use super::kube_proxy::ready_endpoints;
use super::public_ip::Frontend;
use super::{nsg, Backend, Step};
use crate::analysis::space::PortSet;
use crate::component;
use crate::eval::AZURE_HOST_IP;
use crate::model::{Access, Direction, Flow, Protocol};
use crate::scenario::{LoadBalancer, LoadBalancingRule, Node, Pod, Scenario, Service, ServiceType};
use crate::trace::{
    endpoint, flow_hash, pick, Action, BackendHealth, Doc, End, FiveTuple, LbDecision, Leg, Walk,
};
use std::net::IpAddr;
use std::ops::ControlFlow::{Break, Continue};

pub(super) fn docs(action: Action) -> Doc {
    match action {
        Action::PickBackend => Doc {
            title: "Azure Load Balancer health probes",
            url: "https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview",
        },
        Action::Snat => Doc {
            title: "Source NAT for outbound connections (Azure Load Balancer)",
            url: "https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections",
        },
        _ => Doc {
            title: "Use a public Standard Load Balancer in AKS",
            url: "https://learn.microsoft.com/azure/aks/load-balancer-standard",
        },
    }
}

/// The page about AKS's internal load balancer: its frontend is a private IP, reachable
/// from the VNet and networks connected to it, never from the Internet.
pub(super) const INTERNAL_DOC: Doc = Doc {
    title: "Use an internal load balancer with AKS",
    url: "https://learn.microsoft.com/azure/aks/internal-lb",
};

/// The load-balancer frontend that owns an address, with its public IP's name.
pub(super) struct FrontendOf<'a> {
    pub(super) lb: &'a LoadBalancer,
    pub(super) name: &'a str,
    pub(super) public_ip: Option<&'a str>,
    /// A frontend of the internal load balancer (`kubernetes-internal`).
    pub(super) internal: bool,
}

/// The frontend an address belongs to: the public load balancer's first, then the
/// internal one's (by private IP only: a public IP named there is ignored, and
/// `scenario::check` says so).
pub(super) fn frontend_of(s: &Scenario, ip: IpAddr) -> Option<FrontendOf<'_>> {
    public_frontend_of(s, ip).or_else(|| {
        let lb = s.internal_load_balancer.as_ref()?;
        let f = lb
            .frontend_ip_configurations
            .iter()
            .find(|f| f.private_ip_address == Some(ip))?;
        Some(FrontendOf {
            lb,
            name: &f.name,
            public_ip: None,
            internal: true,
        })
    })
}

fn public_frontend_of(s: &Scenario, ip: IpAddr) -> Option<FrontendOf<'_>> {
    let lb = s.load_balancer.as_ref()?;
    lb.frontend_ip_configurations.iter().find_map(|f| {
        if f.private_ip_address == Some(ip) {
            return Some(FrontendOf {
                lb,
                name: &f.name,
                public_ip: None,
                internal: false,
            });
        }
        let public = f.public_ip_address.as_ref()?;
        let address = s
            .public_ips
            .iter()
            .find(|p| &p.name == public)?
            .ip_address?;
        (address == ip).then_some(FrontendOf {
            lb,
            name: &f.name,
            public_ip: Some(public),
            internal: false,
        })
    })
}

// ---- one packet ------------------------------------------------------------------------

/// The load-balancing rule and a healthy backend for the packet that reached `frontend`;
/// the node it goes to.
pub(super) fn forward<'a>(w: &mut Walk<'a>, frontend: &FrontendOf<'a>) -> Step<&'a Node> {
    let lb = frontend.lb;
    let lb_id = component::load_balancer(&lb.name);
    let p = w.packet;
    let rule = lb.load_balancing_rules.iter().find(|r| {
        r.frontend_ip_configuration == frontend.name
            && r.frontend_port == p.destination_port
            && Protocol::parse(&r.protocol).is_some_and(|proto| proto == p.protocol)
            || r.frontend_ip_configuration == frontend.name
                && r.protocol.eq_ignore_ascii_case("All")
    });
    let Some(rule) = rule else {
        let open: Vec<String> = lb
            .load_balancing_rules
            .iter()
            .filter(|r| r.frontend_ip_configuration == frontend.name)
            .map(|r| format!("{} {}", r.protocol.to_ascii_uppercase(), r.frontend_port))
            .collect();
        let end = w.drop(
            lb_id,
            format!(
                "Load balancer {} has no rule for {} port {} on frontend {}",
                lb.name, p.protocol, p.destination_port, frontend.name
            ),
            format!(
                "A load balancer forwards only what a load-balancing rule names (frontend IP, protocol, port); anything else is dropped. This frontend has {}.",
                if open.is_empty() { "no rules at all".to_owned() } else { format!("rules for {}", open.join(", ")) }
            ),
            "§4.2",
        );
        internal_docs(w, frontend);
        return Break(end);
    };
    w.hop(
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
            "Frontend {}, {} port {} -> backend port {}; floating IP {}.",
            frontend.name,
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
    internal_docs(w, frontend);
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
    set_lb(w, decision.clone());
    // The probe of this load balancer's rule (the public and the internal one each have
    // their own probes).
    let target = ProbeTarget::on(w.s, lb, rule);
    let health: Vec<(&'a Node, bool, String)> = lb
        .backend_address_pool
        .iter()
        .filter_map(|name| w.node_named(name))
        .map(|node| {
            let (healthy, why) = target.health(w.s, node);
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
        let end =
            w.drop(
                lb_id,
                format!("No healthy backend for rule {}", rule.name),
                format!(
                "The load balancer sends new flows only to backends whose health probe answers. {}",
                if report.is_empty() { "The backend pool is empty.".to_owned() } else { report }
            ),
                "§3",
            );
        internal_docs(w, frontend);
        set_lb(w, decision);
        return Break(end);
    };
    let node_ip = node.nic.private_ip_address;
    if !rule.enable_floating_ip {
        if let Some(ip) = node_ip {
            w.packet.destination_ip = ip;
            w.packet.destination_port = rule.backend_port;
        }
    }
    w.hop(
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
    set_lb(w, decision);
    Continue(node)
}

/// The hop just made at the internal load balancer names its own page (the backend's
/// pick keeps the health probes' page).
fn internal_docs(w: &mut Walk<'_>, frontend: &FrontendOf<'_>) {
    if !frontend.internal {
        return;
    }
    if let Some(hop) = w.hops.last_mut() {
        hop.docs = INTERNAL_DOC;
    }
}

/// Attaches the load balancer's decision to the hop just made.
fn set_lb(w: &mut Walk<'_>, decision: LbDecision) {
    if let Some(hop) = w.hops.last_mut() {
        hop.lb = Some(decision);
    }
}

/// The source of a packet leaving for the Internet becomes the outbound frontend's public
/// IP, or an address of Azure's own when the scenario names none.
pub(super) fn outbound(w: &mut Walk<'_>) {
    let outbound = w.s.load_balancer.as_ref().and_then(|lb| {
        let frontend = lb.outbound_frontend.as_ref()?;
        let f = lb
            .frontend_ip_configurations
            .iter()
            .find(|f| &f.name == frontend)?;
        let public = f.public_ip_address.as_ref()?;
        let ip =
            w.s.public_ips
                .iter()
                .find(|p| &p.name == public)?
                .ip_address?;
        Some((lb.name.clone(), ip))
    });
    let original = w.packet;
    match outbound {
        Some((lb_name, ip)) => {
            w.packet.source_ip = ip;
            w.packet.source_port = 1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
            w.hop(
                component::load_balancer(&lb_name),
                Action::Snat,
                Leg::Forward,
                format!("Outbound SNAT to {}", endpoint(w.packet.source_ip, w.packet.source_port)),
                "The load balancer's outbound rule translates the private source to its outbound public IP, so the Internet sees the cluster's egress address.".to_owned(),
                "§4",
            );
        }
        None => w.hop(
            component::vnet(&w.s.vnet.name),
            Action::Snat,
            Leg::Forward,
            "Outbound through Azure's default SNAT".to_owned(),
            "The scenario names no outbound frontend; Azure translates the source to an address of its own.".to_owned(),
            "§4",
        ),
    }
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
    /// The probe of `rule` on the load balancer that holds it: the public one or the
    /// internal one (the same rule, by identity, then by value); the public one's when
    /// neither holds it.
    pub fn of(scenario: &'a Scenario, rule: &LoadBalancingRule) -> ProbeTarget<'a> {
        let lbs = || {
            scenario
                .load_balancer
                .iter()
                .chain(&scenario.internal_load_balancer)
        };
        let owner = lbs()
            .find(|lb| {
                lb.load_balancing_rules
                    .iter()
                    .any(|r| std::ptr::eq(r, rule))
            })
            .or_else(|| lbs().find(|lb| lb.load_balancing_rules.contains(rule)))
            .or(scenario.load_balancer.as_ref());
        match owner {
            Some(lb) => ProbeTarget::on(scenario, lb, rule),
            None => ProbeTarget::with_probe(scenario, None),
        }
    }

    /// The probe of `rule` among `lb`'s probes.
    pub(crate) fn on(
        scenario: &'a Scenario,
        lb: &'a LoadBalancer,
        rule: &LoadBalancingRule,
    ) -> ProbeTarget<'a> {
        let probe = lb
            .probes
            .iter()
            .find(|p| Some(&p.name) == rule.probe.as_ref());
        ProbeTarget::with_probe(scenario, probe)
    }

    fn with_probe(
        scenario: &'a Scenario,
        probe: Option<&'a crate::scenario::Probe>,
    ) -> ProbeTarget<'a> {
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
        let mut walk = Walk::new(scenario, walk_packet);
        if !passes {
            if let Break(End::Dropped { reason, .. }) =
                nsg::check(&mut walk, node, Direction::Inbound)
            {
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

// ---- whole sets of packets -------------------------------------------------------------

/// The internal load balancer's rules, one note each: its frontends are private
/// addresses, so what they forward is reachable from the VNet and the networks its
/// `VirtualNetwork` tag covers (peered VNets, networks behind a gateway), never from the
/// Internet, and is no part of the exposure ("An internal load balancer doesn't have a
/// public IP and makes a Kubernetes service accessible only to applications that can
/// reach the private IP", AKS's "Use an internal load balancer").
pub(super) fn note_internal(scenario: &Scenario, notes: &mut Vec<String>) {
    let Some(lb) = &scenario.internal_load_balancer else {
        return;
    };
    for rule in &lb.load_balancing_rules {
        let address = lb
            .frontend_ip_configurations
            .iter()
            .find(|f| f.name == rule.frontend_ip_configuration)
            .and_then(|f| f.private_ip_address);
        let Some(address) = address else {
            notes.push(format!(
                "Internal load balancer {}, rule {}: its frontend {} has no private IP in the scenario, so nothing reaches it.",
                lb.name, rule.name, rule.frontend_ip_configuration
            ));
            continue;
        };
        let services: Vec<String> = scenario
            .services
            .iter()
            .filter(|svc| {
                svc.service_type == ServiceType::LoadBalancer
                    && svc.ingress_ip == Some(address)
                    && svc.ports.iter().any(|p| p.port == rule.frontend_port)
            })
            .map(crate::analysis::exposure::service_name)
            .collect();
        notes.push(format!(
            "Internal load balancer {}, rule {}{}: {} {} on the private address {address} is reachable from the VNet only (its address space, and the peered and connected networks its VirtualNetwork tag covers), never from the Internet; it is not part of this exposure.",
            lb.name,
            rule.name,
            if services.is_empty() {
                String::new()
            } else {
                format!(" (Service {})", services.join(", "))
            },
            rule.protocol.to_ascii_uppercase(),
            rule.frontend_port,
        ));
    }
}

/// The protocols and frontend ports `rule` forwards (`All`: TCP and UDP, every port).
pub(super) fn traffic(
    rule: &LoadBalancingRule,
    notes: &mut Vec<String>,
) -> Option<(Vec<Protocol>, PortSet)> {
    if rule.protocol.eq_ignore_ascii_case("All") {
        Some((vec![Protocol::Tcp, Protocol::Udp], PortSet::full()))
    } else if let Some(p) = Protocol::parse(&rule.protocol) {
        Some((vec![p], PortSet::single(rule.frontend_port)))
    } else {
        notes.push(format!(
            "Load-balancing rule {}: protocol {:?} is not TCP, UDP or All; skipped.",
            rule.name, rule.protocol
        ));
        None
    }
}

/// The nodes of the backend pool whose probe for `rule` answers, each with its index in
/// the scenario; the others are noted.
pub(super) fn healthy_backends<'s>(
    scenario: &'s Scenario,
    lb: &LoadBalancer,
    rule: &LoadBalancingRule,
    notes: &mut Vec<String>,
) -> Vec<(usize, &'s Node)> {
    let probe = ProbeTarget::on(scenario, lb, rule);
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
    healthy
}

/// Where the rule sends its traffic at a backend: floating IP keeps the frontend IP and
/// port; otherwise the node's IP and the backend port.
pub(super) fn backend_destination(at: &Backend<'_, '_>, node_ip: IpAddr) -> (IpAddr, PortSet) {
    let rule = at.front.rule;
    if rule.enable_floating_ip {
        (at.front.address, at.frontend_ports.clone())
    } else if at.frontend_ports.is_full() {
        (node_ip, at.frontend_ports.clone())
    } else {
        (node_ip, PortSet::single(rule.backend_port))
    }
}

/// The path up to a backend node, in words.
pub(super) fn path_text(at: &Backend<'_, '_>) -> String {
    let Frontend {
        rule,
        public_ip_name,
        address,
    } = at.front;
    format!(
        "public IP {public_ip_name} ({address}) -> load-balancing rule {} (floating IP {}) -> node {}",
        rule.name,
        if rule.enable_floating_ip { "on" } else { "off" },
        at.node.1.name
    )
}
