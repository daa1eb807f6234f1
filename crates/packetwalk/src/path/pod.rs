//! The pod (spec §4.5): a pod that is ready and listens on the packet's port receives
//! it; a pod that declares container ports refuses the others.

use super::Step;
use crate::component;
use crate::scenario::{NetworkPlugin, Node, Pod};
use crate::trace::{endpoint, Action, End, Leg, Walk};
use std::ops::ControlFlow::{Break, Continue};

// ---- one packet ------------------------------------------------------------------------

/// The node a pod lives on.
pub(super) fn node_of<'a>(w: &mut Walk<'a>, pod: &Pod) -> Step<&'a Node> {
    match w.node_named(&pod.node) {
        Some(node) => Continue(node),
        None => Break(w.drop(
            component::pod(&pod.name),
            format!("Pod {} is on an unknown node {:?}", pod.name, pod.node),
            "The scenario names a node that does not exist.".to_owned(),
            "§4",
        )),
    }
}

pub(super) fn deliver(w: &mut Walk<'_>, pod: &Pod) -> End {
    let p = w.packet;
    if !pod.container_ports.is_empty()
        && p.protocol.has_ports()
        && !pod.declares_port(p.destination_port)
    {
        return w.drop(
            component::pod(&pod.name),
            format!(
                "Nothing in pod {} listens on port {}",
                pod.name, p.destination_port
            ),
            format!(
                "The pod's containers listen on {}; the connection is refused.",
                pod.container_ports
                    .iter()
                    .map(|c| c.container_port.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "§4.5",
        );
    }
    if !pod.ready {
        return w.drop(
            component::pod(&pod.name),
            format!("Pod {} is not ready", pod.name),
            "The pod is not ready to serve.".to_owned(),
            "§4.5",
        );
    }
    w.hop(
        component::pod(&pod.name),
        Action::Deliver,
        Leg::Forward,
        format!("Pod {} receives {}", pod.name, p),
        format!(
            "{} The pod sees the source {}.",
            match w.s.network_plugin {
                NetworkPlugin::Azure => "Azure CNI: the pod's IP is an address of the VNet subnet.",
                NetworkPlugin::Kubenet =>
                    "kubenet: the pod's IP comes from its node's pod CIDR, outside the VNet.",
            },
            endpoint(p.source_ip, p.source_port)
        ),
        "§4.5",
    );
    End::Delivered(pod.name.clone())
}

// ---- whole sets of packets -------------------------------------------------------------

/// Whether a (ready) endpoint listens on `port`; noted when it does not. The exposure
/// follows protocols with ports only.
pub(super) fn listens(pod: &Pod, port: u16, notes: &mut Vec<String>) -> bool {
    if !pod.container_ports.is_empty() && !pod.declares_port(port) {
        notes.push(format!(
            "Pod {} does not listen on {port}: connections are refused.",
            pod.name
        ));
        return false;
    }
    true
}
