//! The blog's story as a guided tour (journey 3). Each step is a scenario, a packet and a
//! hop to show, with the words of the story. The "kubectl apply" step does not load a
//! prepared file: it runs the evaluator's cloud-provider reconciliation on the cluster of
//! the step before, so what appears is what the cloud provider would create.
//!
//! After the blog's story, a second chapter follows the packet to the last gate, the
//! pod's NetworkPolicy, on the `netpol-*` built-ins (issue 15). The steps of the first
//! chapter keep their numbers: links (`?tour=4`) and tests name them.

use packetwalk::delta::{azure_delta, Delta};
use packetwalk::reconcile::{apply_service, RuleNaming};
use packetwalk::scenario::Scenario;

use crate::scenarios;

pub struct TourStep {
    pub title: &'static str,
    pub text: &'static str,
    /// The blog's observations (O n) this step lets a reader see, or in the NetworkPolicy
    /// chapter the points of docs/network-policy.md (NP n) it shows (docs and tests; the
    /// page does not show these numbers).
    pub observations: &'static str,
    /// What the words talk about: component id prefixes the picture lights up.
    pub focus: &'static [&'static str],
    /// Whether the picture shows what `change` created or removed, at the parts it did.
    pub show_change: bool,
    pub base: &'static str,
    pub change: Change,
    pub flow: &'static str,
    /// Which hop to show: a component id prefix of the hop, or the last hop.
    pub at: At,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Change {
    None,
    /// `kubectl apply` of the kuard-vnode Service.
    ApplyService,
    /// Delete the cloud provider's NSG rule by hand.
    DeleteRule,
}

#[derive(Clone, Copy)]
pub enum At {
    First(&'static str),
    Last,
}

pub const STEPS: &[TourStep] = &[
    TourStep {
        title: "The cluster",
        text: "An AKS cluster with the Azure CNI plugin in the user's own VNet subnet, one node, and two kuard-vnode pods whose IPs come from that subnet. The subnet has no NSG; the node resource group MC_akstest_azurecnicluster_westeurope holds one, aks-agentpool-26711606-nsg, attached to the node's NIC aks-nodepool1-26711606-nic-0.",
        observations: "O1, O2, O3, O4, O8",
        focus: &["subnet:", "nic:", "nsg:", "pod:"],
        show_change: false,
        base: "blog-part4-before-service",
        change: Change::None,
        flow: "vnet-to-pod",
        at: At::First("nsg:"),
    },
    TourStep {
        title: "The default rules",
        text: "With no Service yet, the NSG has no rules of its own, only the six default rules. Outbound to the Internet is open (AllowInternetOutBound, 65001): nodes pull images and reach Azure's APIs and the control plane.",
        observations: "O5, O6",
        focus: &["nsg:"],
        show_change: false,
        base: "blog-part4-before-service",
        change: Change::None,
        flow: "pod-to-internet",
        at: At::First("nsg:"),
    },
    TourStep {
        title: "Nothing answers from the Internet",
        text: "Inbound from the Internet is closed. Before the Service exists, the cluster's only public IP is the load balancer's outbound frontend, and the load balancer has no rule for port 8080: the packet goes no further.",
        observations: "O7",
        focus: &["public-ip:", "lb:"],
        show_change: false,
        base: "blog-part4-before-service",
        change: Change::None,
        flow: "internet-to-8080",
        at: At::Last,
    },
    TourStep {
        title: "kubectl apply",
        text: "The kuard-vnode Service of type LoadBalancer (8080:30610/TCP) is applied. The cloud provider adds a public IP and frontend, a load-balancing rule and a health probe, and the NSG rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet at priority 500: source Internet, destination the new public IP, port 8080.",
        observations: "O9, O10",
        focus: &[],
        show_change: true,
        base: "blog-part4-before-service",
        change: Change::ApplyService,
        flow: "internet-to-kuard",
        at: At::First("public-ip:"),
    },
    TourStep {
        title: "The packet is delivered",
        text: "A client on the Internet reaches the public IP on port 8080. The packet crosses the NSG on the node's NIC, where the new rule allows it; kube-proxy rewrites it to a pod's IP and target port; the reply goes back the same way, allowed by the NSG's flow state.",
        observations: "O11",
        focus: &["nsg:", "kube-proxy:", "pod:"],
        show_change: false,
        base: "blog-part4-before-service",
        change: Change::ApplyService,
        flow: "internet-to-kuard",
        at: At::First("nsg:"),
    },
    TourStep {
        title: "The rule deleted by hand",
        text: "Someone deletes the cloud provider's NSG rule. The load balancer still forwards the packet, but at the NIC nothing allows it any more, and DenyAllInBound drops it. (The cloud provider would put the rule back at its next reconciliation.)",
        observations: "O7, O10",
        focus: &["nsg:"],
        show_change: true,
        base: "blog-part4",
        change: Change::DeleteRule,
        flow: "internet-to-kuard",
        at: At::Last,
    },
    TourStep {
        title: "The kubernetes Service",
        text: "The kubernetes Service (443/TCP) is a ClusterIP Service: it has no external IP, and nothing from the Internet reaches it.",
        observations: "O12",
        focus: &["public-ip:", "lb:"],
        show_change: false,
        base: "blog-part4",
        change: Change::None,
        flow: "kubernetes-443-from-internet",
        at: At::Last,
    },
    // ---- NetworkPolicy at the pod ----------------------------------------------------
    TourStep {
        title: "The last gate: NetworkPolicy at the pod",
        text: "Past the NSGs and kube-proxy, Kubernetes NetworkPolicy decides at the pod itself. In namespace shop, default-deny-ingress selects every pod and allows nothing; allow-from-ingress-nginx lets the ingress controller's pods into the web pod, on its port named http. The controller's packet matches that rule and is delivered; the cart pod's would be dropped. Policies only add allows: a packet gets in when any rule of any policy that selects the pod allows it.",
        observations: "NP 1, NP 3, NP 6, NP 8",
        focus: &["netpol:web-", "pod:ingress-nginx-", "pod:web-"],
        show_change: false,
        base: "netpol-default-deny",
        change: Change::None,
        flow: "ingress-to-web",
        at: At::First("netpol:web-"),
    },
    TourStep {
        title: "An office's range, behind externalTrafficPolicy Cluster",
        text: "allow-office lets only the office's range 198.51.100.0/24 reach the web pod, with an ipBlock. The load balancer sends the office's packet to node 2, which has no web pod. With externalTrafficPolicy Cluster, kube-proxy there forwards it to the pod on node 0 and rewrites its source to node 2's own address. So the pod sees 10.224.0.6, not the office's 198.51.100.23: no rule allows that address, and the policy drops the packet that every NSG let through.",
        observations: "NP 7, NP 11",
        focus: &["kube-proxy:aks-nodepool1-27182818-2", "netpol:"],
        show_change: false,
        base: "netpol-ipblock-cluster",
        change: Change::None,
        flow: "office-via-other-node",
        at: At::First("netpol:"),
    },
    TourStep {
        title: "The same with externalTrafficPolicy Local",
        text: "With externalTrafficPolicy Local the load balancer sends the packet only to node 0, the one node with a web pod (its health probe marks the others down), and nothing rewrites the source. The pod sees the office's own address, 198.51.100.23, the ipBlock matches it, and the packet is delivered.",
        observations: "NP 7, NP 11",
        focus: &["lb:", "kube-proxy:aks-nodepool1-27182818-0", "netpol:"],
        show_change: false,
        base: "netpol-ipblock-local",
        change: Change::None,
        flow: "office-local",
        at: At::First("netpol:"),
    },
    TourStep {
        title: "Under Cilium",
        text: "On Azure CNI powered by Cilium there is no kube-proxy: Cilium's eBPF programs handle the Service, with the same rewrite under Cluster. A common workaround for that rewrite is to allow the nodes' range too, 10.224.0.0/16. With Azure Network Policy Manager or Calico the packet would then get in; but Cilium's ipBlock never matches the address of a pod or a node, so the packet from node 2's address is still dropped, as the policy's note says.",
        observations: "NP 12",
        focus: &["kube-proxy:", "netpol:"],
        show_change: false,
        base: "netpol-cilium",
        change: Change::None,
        flow: "office-via-other-node",
        at: At::First("netpol:"),
    },
];

/// A chapter of the tour: its title and the index of its first step.
pub struct Chapter {
    pub title: &'static str,
    pub first: usize,
}

/// The tour's chapters, in order: the blog's story, then NetworkPolicy at the pod.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        title: "The blog's story",
        first: 0,
    },
    Chapter {
        title: "NetworkPolicy at the pod",
        first: 7,
    },
];

/// The title of the chapter step `index` belongs to.
pub fn chapter(index: usize) -> &'static str {
    CHAPTERS
        .iter()
        .rev()
        .find(|c| c.first <= index)
        .map_or("The tour", |c| c.title)
}

/// The scenario of a tour step, and what changed to make it: in words, and as the
/// evaluator's delta from the step's base (what the picture shows).
pub fn scenario(step: &TourStep) -> Result<(Scenario, Vec<String>, Vec<Delta>), String> {
    let mut scenario = scenarios::built_in(step.base)?;
    let before = scenario.clone();
    let changes = match step.change {
        Change::None => Vec::new(),
        Change::ApplyService => {
            let blog = scenarios::built_in("blog-part4")?;
            let mut service = blog
                .services
                .into_iter()
                .find(|s| s.name == "kuard-vnode")
                .ok_or("the blog scenario has no kuard-vnode Service")?;
            // As written in the manifest: Azure has not given it an IP yet.
            service.ingress_ip = None;
            let changes = apply_service(&mut scenario, service, RuleNaming::PerService)
                .map_err(|e| e.to_string())?;
            scenario.flows = blog.flows;
            scenario.title =
                "The blog's cluster after kubectl apply of the kuard-vnode Service".to_owned();
            scenario.description = blog.description;
            changes
        }
        Change::DeleteRule => {
            let mut changes = Vec::new();
            let mut scenario_title_deleted = false;
            for nsg in &mut scenario.network_security_groups.nsgs {
                let before = nsg.security_rules.len();
                nsg.security_rules
                    .retain(|r| !r.name.ends_with("-TCP-8080-Internet"));
                if nsg.security_rules.len() < before {
                    scenario_title_deleted = true;
                    changes.push(format!(
                        "NSG {}: rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet deleted by hand",
                        nsg.name
                    ));
                }
            }
            if scenario_title_deleted {
                scenario.title =
                    "The blog's cluster with the Service's NSG rule deleted by hand".to_owned();
            }
            changes
        }
    };
    let delta = if step.show_change {
        azure_delta(&before, &scenario)
    } else {
        Vec::new()
    };
    Ok((scenario, changes, delta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use packetwalk::trace::{trace_named, Action, Verdict};

    /// The hop a step shows, as the page picks it (state.rs).
    fn shown(step: &TourStep) -> (packetwalk::trace::Trace, usize) {
        let (scenario, _, _) = scenario(step).unwrap();
        let trace = trace_named(&scenario, Some(step.flow)).unwrap();
        let at = match step.at {
            At::Last => trace.hops.len() - 1,
            At::First(prefix) => trace
                .hops
                .iter()
                .position(|h| h.component.starts_with(prefix))
                .unwrap_or_else(|| panic!("{}: no hop at {prefix}", step.title)),
        };
        (trace, at)
    }

    #[test]
    fn the_chapters_cover_the_steps_in_order() {
        assert_eq!(STEPS.len(), 11);
        assert!(CHAPTERS.windows(2).all(|w| w[0].first < w[1].first));
        assert!(CHAPTERS.iter().all(|c| c.first < STEPS.len()));
        assert_eq!(chapter(3), "The blog's story");
        assert_eq!(chapter(6), "The blog's story");
        assert_eq!(chapter(7), "NetworkPolicy at the pod");
        assert_eq!(chapter(10), "NetworkPolicy at the pod");
    }

    #[test]
    fn the_policy_chapter_shows_the_policy_hop_allowing_dropping_and_under_cilium() {
        let policy: Vec<&TourStep> = STEPS[CHAPTERS[1].first..].iter().collect();
        let mut seen = Vec::new();
        for step in &policy {
            let (trace, at) = shown(step);
            let hop = &trace.hops[at];
            let table = hop
                .policy
                .as_ref()
                .unwrap_or_else(|| panic!("{}: hop {at} has no policy table", step.title));
            assert!(!table.policies.is_empty(), "{}", step.title);
            // The words talk about what is drawn: each focus lights something up.
            let layout = crate::layout::layout(&scenario(step).unwrap().0);
            for prefix in step.focus {
                let drawn = layout.subnets.iter().flat_map(|s| &s.nodes).any(|n| {
                    packetwalk::component::kube_proxy(&n.name).starts_with(prefix)
                        || n.pods.iter().any(|p| {
                            packetwalk::component::pod(&p.name).starts_with(prefix)
                                || (p.badge.is_some()
                                    && packetwalk::component::network_policy(&p.name)
                                        .starts_with(prefix))
                        })
                }) || layout
                    .load_balancer
                    .iter()
                    .any(|lb| packetwalk::component::load_balancer(&lb.name).starts_with(prefix));
                assert!(drawn, "{}: nothing drawn for {prefix}", step.title);
            }
            seen.push((hop.action, trace.verdict, table.peer.clone()));
        }
        // Default deny: the ingress controller's packet allowed by allow-from-ingress-nginx.
        assert_eq!(seen[0].0, Action::PolicyAllow);
        assert_eq!(seen[0].1, Verdict::Delivered);
        // Cluster: dropped at the policy, the pod seeing node 2's address.
        assert_eq!(seen[1].0, Action::PolicyDeny);
        assert_eq!(seen[1].1, Verdict::Dropped);
        assert!(seen[1].2.starts_with("10.224.0.6 "), "{}", seen[1].2);
        // Local: the office's own address, delivered.
        assert_eq!(seen[2].0, Action::PolicyAllow);
        assert_eq!(seen[2].1, Verdict::Delivered);
        assert!(seen[2].2.starts_with("198.51.100.23 "), "{}", seen[2].2);
        // Cilium: dropped, the Service's hops named as Cilium's eBPF, with the note.
        assert_eq!(seen[3].1, Verdict::Dropped);
        let (trace, at) = shown(policy[3]);
        assert!(trace.hops[at].policy.as_ref().unwrap().notes[0].contains("Cilium"));
        assert!(trace
            .hops
            .iter()
            .any(|h| h.component.starts_with("kube-proxy:")
                && h.summary.starts_with("Cilium's eBPF")));
        // Words for people: no numbered points on the page.
        for step in policy {
            assert!(!step.text.contains("NP "), "{}", step.title);
        }
    }
}
