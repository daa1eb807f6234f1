//! The sender: where a packet starts, and its first hop.

use crate::component;
use crate::eval::AZURE_HOST_IP;
use crate::scenario::{Node, Pod};
use crate::trace::{Action, Leg, Walk};
use std::net::IpAddr;

/// Where a packet's source sits.
pub(super) enum Origin<'a> {
    Internet(String),
    AzurePlatform,
    Pod(&'a Pod, &'a Node),
    Node(&'a Node),
    /// An address in the VNet that is no node or pod of the scenario (another VM).
    VnetHost,
}

pub(super) fn origin<'a>(w: &Walk<'a>) -> Origin<'a> {
    let ip = w.packet.source_ip;
    if ip == IpAddr::V4(AZURE_HOST_IP) {
        return Origin::AzurePlatform;
    }
    if let Some(pod) = w.pod_by_ip(ip) {
        if let Some(node) = w.node_named(&pod.node) {
            return Origin::Pod(pod, node);
        }
    }
    if let Some(node) = w.node_by_ip(ip) {
        return Origin::Node(node);
    }
    if w.in_vnet(ip) {
        return Origin::VnetHost;
    }
    match w.s.clients.iter().find(|c| c.ip == Some(ip)) {
        Some(client) => Origin::Internet(component::client(&client.name)),
        None => Origin::Internet(component::INTERNET.to_owned()),
    }
}

/// The first hop: the packet leaves its sender.
pub(super) fn send(w: &mut Walk<'_>, origin: &Origin<'_>) {
    let (start, description) = match origin {
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
            component::vnet(&w.s.vnet.name),
            "a host elsewhere in the VNet".to_owned(),
        ),
    };
    w.hop(
        start,
        Action::Send,
        Leg::Forward,
        format!("{} sends {}", capitalise(&description), w.packet),
        format!("The packet leaves {description}."),
        "§4.1",
    );
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
