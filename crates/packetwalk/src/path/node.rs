//! The node: a packet that stays on its node (no NIC, so no NSG, sees it), the route
//! between nodes (Azure CNI's VNet addresses, kubenet's route table), kubenet's
//! masquerade of a pod's traffic that leaves the VNet, and a packet for the node itself.

use super::source::Origin;
use crate::component;
use crate::scenario::{NetworkPlugin, Node};
use crate::trace::{endpoint, flow_hash, Action, Doc, End, Leg, Walk, AKS_NETWORK};

pub(super) fn docs(action: Action, plugin: NetworkPlugin) -> Doc {
    match action {
        Action::Route | Action::Snat if plugin == NetworkPlugin::Kubenet => Doc {
            title: "Use kubenet networking in AKS",
            url: "https://learn.microsoft.com/azure/aks/configure-kubenet",
        },
        _ => AKS_NETWORK,
    }
}

/// A packet between two addresses of one node never crosses its NIC, so no NSG sees it.
pub(super) fn same_node(w: &mut Walk<'_>, origin: &Origin<'_>, node: &Node) -> bool {
    let same = match origin {
        Origin::Pod(_, from) | Origin::Node(from) => from.name == node.name,
        _ => false,
    };
    if same {
        w.hop(
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

/// Across the VNet to the pod's node: out through this NIC, in through that one.
pub(super) fn route(w: &mut Walk<'_>, node: &Node, pod_node: &Node) {
    w.hop(
        component::node(&node.name),
        Action::Route,
        Leg::Forward,
        format!("Routed from node {} to node {}", node.name, pod_node.name),
        match w.s.network_plugin {
            NetworkPlugin::Azure => "Azure CNI: the pod's IP is a VNet address on the other node's NIC, so the VNet delivers it there directly.".to_owned(),
            NetworkPlugin::Kubenet => "kubenet: the pod's IP is outside the VNet; the subnet's route table sends the node's pod CIDR to that node's IP.".to_owned(),
        },
        "§4.4",
    );
}

/// kubenet: a pod's packet that leaves the VNet goes out with its node's address.
pub(super) fn masquerade(w: &mut Walk<'_>, origin: &Origin<'_>, node: &Node) {
    if let (Origin::Pod(pod, _), NetworkPlugin::Kubenet, Some(node_ip)) =
        (origin, w.s.network_plugin, node.nic.private_ip_address)
    {
        let original = w.packet;
        w.packet.source_ip = node_ip;
        w.packet.source_port = 1024 + (flow_hash("snat", &original, false) % 64_000) as u16;
        w.hop(
            component::node(&node.name),
            Action::Snat,
            Leg::Forward,
            format!("Node {} masquerades pod {} as {}", node.name, pod.name, endpoint(node_ip, w.packet.source_port)),
            "kubenet: pod addresses exist only inside the cluster, so the node rewrites the source to its own IP before the packet leaves its NIC; the NSG sees the node, not the pod.".to_owned(),
            "§4",
        );
    }
}

/// No Service matched: the packet is for the node itself.
pub(super) fn deliver(w: &mut Walk<'_>, node: &Node) -> End {
    let p = w.packet;
    w.hop(
        component::node(&node.name),
        Action::Deliver,
        Leg::Forward,
        format!("Node {} receives {}", node.name, p),
        "No Service matches; the packet is for the node itself (whether a process listens on that port is outside the scenario).".to_owned(),
        "§4",
    );
    End::Delivered(node.name.clone())
}
