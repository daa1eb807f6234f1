//! The reply (spec §4.5): the receiver answers the source it saw, and the reply retraces
//! the forward hops in reverse: conntrack undoes each DNAT and SNAT, and the NSGs let it
//! through by flow state, without a rule. (The exposure follows new flows only: replies
//! pass wherever their flow did.)

use crate::component;
use crate::trace::{Action, Hop, Leg, Walk};

/// The reply to the packet as it was delivered, back along the forward hops.
pub(super) fn back(w: &mut Walk<'_>) {
    let delivered = w.packet;
    let forward: Vec<Hop> = w
        .hops
        .iter()
        .filter(|h| h.leg == Leg::Forward)
        .cloned()
        .collect();
    let mut reply = delivered.reversed();
    let Some(first) = forward.last() else { return };
    w.packet = reply;
    w.hop(
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
                w.packet = reply;
                w.hop(
                    hop.component.clone(),
                    hop.action,
                    Leg::Return,
                    format!("conntrack reverses the {}: {reply}", if hop.action == Action::Dnat { "DNAT" } else { "SNAT" }),
                    "The connection is tracked, so the reply is rewritten back without any rule being consulted.".to_owned(),
                    "§4.5",
                );
            }
            Action::NsgAllow => {
                w.hop(
                    hop.component.clone(),
                    Action::FlowState,
                    Leg::Return,
                    "Allowed by flow state".to_owned(),
                    "NSGs are stateful: once a flow is allowed, its return traffic is allowed without a rule.".to_owned(),
                    "§1",
                );
            }
            Action::PolicyAllow => {
                w.hop(
                    hop.component.clone(),
                    Action::FlowState,
                    Leg::Return,
                    "NetworkPolicy: the reply of an allowed connection passes".to_owned(),
                    "Policies act on connections: the reply traffic of a connection they allowed is implicitly allowed, without a rule (Kubernetes, Network Policies: \"The two sorts of pod isolation\").".to_owned(),
                    "NP 3",
                );
            }
            Action::PickBackend | Action::Arrive | Action::Route => {
                w.hop(
                    hop.component.clone(),
                    Action::Route,
                    Leg::Return,
                    format!("Back through {}", component::describe(&hop.component)),
                    "The reply takes the flow's way back.".to_owned(),
                    "§4.5",
                );
            }
            Action::Send if i == 0 => {
                w.hop(
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
