//! The public IP (spec §4.1, §4.2): from the Internet only public IPs are reachable, and
//! a public IP passes traffic on only as a frontend of the load balancer. A private
//! frontend (the internal load balancer's) is reachable only from the VNet and the
//! networks connected to it.

use super::load_balancer::FrontendOf;
use super::source::Origin;
use super::Step;
use crate::component;
use crate::eval::TagResolver;
use crate::model::AddressPrefix;
use crate::scenario::{LoadBalancer, LoadBalancingRule, Scenario};
use crate::trace::{Action, Doc, Leg, Walk};
use std::net::IpAddr;
use std::ops::ControlFlow::{Break, Continue};

pub(super) const DOC: Doc = Doc {
    title: "Public IP addresses in Azure",
    url: "https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses",
};

// ---- one packet ------------------------------------------------------------------------

/// The packet reaches a public IP that is a frontend of the load balancer. A private
/// frontend (the internal load balancer's) has no hop here, and only senders that reach
/// the VNet's private addresses get to it: the VNet itself, the Azure platform, and the
/// peered or connected networks the `VirtualNetwork` tag covers; from the Internet it is
/// dropped, like any private address.
pub(super) fn arrive(w: &mut Walk<'_>, origin: &Origin<'_>, frontend: &FrontendOf<'_>) -> Step<()> {
    let Some(public_ip) = frontend.public_ip else {
        return to_private(w, origin, frontend);
    };
    w.hop(
        component::public_ip(public_ip),
        Action::Arrive,
        Leg::Forward,
        format!(
            "Public IP {public_ip} is frontend {} of load balancer {}",
            frontend.name, frontend.lb.name
        ),
        "The public IP belongs to a frontend IP configuration of the cluster's load balancer, so the packet goes to the load balancer.".to_owned(),
        "§4.2",
    );
    Continue(())
}

/// A private frontend is reachable from the VNet and what its `VirtualNetwork` tag
/// covers (Azure's service tags: "the virtual network address space, all connected
/// on-premises address spaces, peered virtual networks, virtual network gateways, the
/// virtual IP address of the host"), never from the Internet.
fn to_private(w: &mut Walk<'_>, origin: &Origin<'_>, frontend: &FrontendOf<'_>) -> Step<()> {
    let Origin::Internet(_) = origin else {
        return Continue(());
    };
    let src = w.packet.source_ip;
    let ctx = crate::analysis::exposure::scenario_context(w.s);
    let virtual_network = AddressPrefix::ServiceTag("VirtualNetwork".to_owned());
    if TagResolver::new(&ctx)
        .coverage(&virtual_network)
        .contains(src)
    {
        return Continue(());
    }
    let dst = w.packet.destination_ip;
    let end = w.drop(
        component::INTERNET.to_owned(),
        format!(
            "{dst} is a private address (frontend {} of load balancer {}): the Internet has no route to it",
            frontend.name, frontend.lb.name
        ),
        format!(
            "An internal load balancer's frontend is a private IP in a subnet of the VNet. Only the VNet and the networks connected to it (peered VNets, on-premises networks behind a gateway: what the VirtualNetwork service tag covers) reach it, and {src} is in none of them."
        ),
        "§4.1",
    );
    if let Some(hop) = w.hops.last_mut() {
        hop.docs = super::load_balancer::INTERNAL_DOC;
    }
    Break(end)
}

/// From the Internet, a node's or pod's address is unreachable.
pub(super) fn from_internet(w: &mut Walk<'_>, origin: &Origin<'_>) -> Step<()> {
    let dst = w.packet.destination_ip;
    let private_target = w.node_by_ip(dst).is_some() || w.pod_by_ip(dst).is_some();
    if matches!(origin, Origin::Internet(_)) && private_target {
        return Break(w.drop(
            component::INTERNET.to_owned(),
            format!("{dst} is a private address: the Internet has no route to it"),
            "Only public IPs reach into Azure from the Internet; in this cluster those are the load balancer's frontends.".to_owned(),
            "§4.1",
        ));
    }
    Continue(())
}

/// A public IP of the scenario that no load balancer's frontend uses drops everything.
pub(super) fn no_frontend(w: &mut Walk<'_>) -> Step<()> {
    let dst = w.packet.destination_ip;
    if let Some(public_ip) = w.s.public_ips.iter().find(|p| p.ip_address == Some(dst)) {
        return Break(w.drop(
            component::public_ip(&public_ip.name),
            format!(
                "Public IP {} is not a frontend of any load balancer",
                public_ip.name
            ),
            "Nothing in Azure answers on this address: no load-balancing rule uses it.".to_owned(),
            "§4.2",
        ));
    }
    Continue(())
}

// ---- whole sets of packets -------------------------------------------------------------

pub(super) const PRIVATE: &str = "Node and pod addresses are private: the Internet has no route to them, so only the load balancer's public frontends can expose anything (spec §4.1).";

/// Why nothing is exposed when the scenario has no public load balancer.
pub(super) fn no_load_balancer(scenario: &Scenario) -> String {
    match &scenario.internal_load_balancer {
        None => "The scenario has no load balancer: nothing is exposed.".to_owned(),
        Some(lb) => format!(
            "The scenario has no public load balancer, only the internal {}: nothing is exposed to the Internet.",
            lb.name
        ),
    }
}

/// A public frontend and the rule being followed.
pub(crate) struct Frontend<'a> {
    pub(crate) rule: &'a LoadBalancingRule,
    pub(crate) public_ip_name: &'a str,
    pub(crate) address: IpAddr,
}

/// Notes the public IPs that no load-balancing rule uses.
pub(super) fn note_unused(scenario: &Scenario, lb: &LoadBalancer, notes: &mut Vec<String>) {
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
}

/// The public IP through which the Internet reaches `rule`, if it has one.
pub(super) fn frontend<'s>(
    scenario: &'s Scenario,
    lb: &'s LoadBalancer,
    rule: &'s LoadBalancingRule,
    notes: &mut Vec<String>,
) -> Option<Frontend<'s>> {
    let frontend = lb
        .frontend_ip_configurations
        .iter()
        .find(|f| f.name == rule.frontend_ip_configuration)?;
    let Some(public_ip_name) = frontend.public_ip_address.as_deref() else {
        notes.push(format!(
            "Load-balancing rule {} uses the internal frontend {}: a private address the Internet cannot reach.",
            rule.name, frontend.name
        ));
        return None;
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
        return None;
    };
    Some(Frontend {
        rule,
        public_ip_name,
        address,
    })
}
