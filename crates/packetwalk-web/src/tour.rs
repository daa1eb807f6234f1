//! The blog's story as a guided tour (journey 3). Each step is a scenario, a packet and a
//! hop to show, with the words of the story. The "kubectl apply" step does not load a
//! prepared file: it runs the evaluator's cloud-provider reconciliation on the cluster of
//! the step before, so what appears is what the cloud provider would create.

use packetwalk::delta::{azure_delta, Delta};
use packetwalk::reconcile::{apply_service, RuleNaming};
use packetwalk::scenario::Scenario;

use crate::scenarios;

pub struct TourStep {
    pub title: &'static str,
    pub text: &'static str,
    /// The blog's observations this step lets a reader see (docs and tests; the page
    /// does not show these numbers).
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
];

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
