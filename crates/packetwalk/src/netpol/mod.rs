//! Kubernetes NetworkPolicy: which policies select a pod, whether they isolate it, and
//! which rule, peer and port let a packet through (docs/network-policy.md, whose
//! numbered points the code and tests cite as "NP n").
//!
//! The policies are the API server's objects with its defaults filled in (`read` fills
//! them for documents written for `kubectl apply`). Evaluation is pure: the caller says
//! who the peer is as the pod sees it (after any SNAT), and which engine enforces.

mod read;

pub use read::{namespaces_from_value, policies_from_value, policy_to_value};

use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Which enforcement engine the cluster runs, as `az aks show` names it in
/// `networkProfile.networkPolicy` (NP 12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyEngine {
    /// No engine: NetworkPolicy objects exist but nothing enforces them.
    #[default]
    None,
    /// Azure Network Policy Manager.
    Azure,
    Calico,
    /// Azure CNI powered by Cilium.
    Cilium,
}

impl PolicyEngine {
    pub fn parse(text: &str) -> Option<PolicyEngine> {
        match text.to_ascii_lowercase().as_str() {
            "" | "none" => Some(PolicyEngine::None),
            "azure" => Some(PolicyEngine::Azure),
            "calico" => Some(PolicyEngine::Calico),
            "cilium" => Some(PolicyEngine::Cilium),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        *self == PolicyEngine::None
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyEngine::None => "none",
            PolicyEngine::Azure => "azure",
            PolicyEngine::Calico => "calico",
            PolicyEngine::Cilium => "cilium",
        }
    }
}

/// Written as `az aks show` names it.
impl serde::Serialize for PolicyEngine {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The protocols a NetworkPolicy port names (NP 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyProtocol {
    Tcp,
    Udp,
    Sctp,
}

impl PolicyProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyProtocol::Tcp => "TCP",
            PolicyProtocol::Udp => "UDP",
            PolicyProtocol::Sctp => "SCTP",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyDirection {
    Ingress,
    Egress,
}

impl PolicyDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyDirection::Ingress => "Ingress",
            PolicyDirection::Egress => "Egress",
        }
    }

    /// The member of a rule that lists its peers: `from` or `to`.
    pub fn peers_key(self) -> &'static str {
        match self {
            PolicyDirection::Ingress => "from",
            PolicyDirection::Egress => "to",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Namespace {
    pub name: String,
    /// Including `kubernetes.io/metadata.name`, which the API server sets (NP 10).
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// A label selector: `matchLabels` and `matchExpressions`, all of which must hold; the
/// empty selector selects everything (NP 5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator {
                    Operator::In => value.is_some_and(|v| r.values.contains(v)),
                    // NotIn also holds when the label is absent (NP 5).
                    Operator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Its terms in words: `app=web, tier In (a, b), canary DoesNotExist`; empty for a
    /// selector of everything.
    pub fn terms(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            parts.push(match r.operator {
                Operator::In | Operator::NotIn => {
                    format!(
                        "{} {} ({})",
                        r.key,
                        r.operator.as_str(),
                        r.values.join(", ")
                    )
                }
                Operator::Exists | Operator::DoesNotExist => {
                    format!("{} {}", r.key, r.operator.as_str())
                }
            });
        }
        parts.join(", ")
    }
}

/// One entry of a rule's `from` or `to` (NP 6, NP 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector`; both in one peer must both hold.
    Pods {
        pod_selector: Option<LabelSelector>,
        namespace_selector: Option<LabelSelector>,
    },
    IpBlock {
        cidr: IpNet,
        except: Vec<IpNet>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(u16),
    /// A container port's name on the pod the traffic goes to (NP 8).
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyPort {
    pub protocol: PolicyProtocol,
    /// `None`: every port of the protocol.
    pub port: Option<PortRef>,
    pub end_port: Option<u16>,
}

/// An ingress or egress rule. An empty peer list matches every peer; an empty port list
/// every port (NP 4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule {
    pub peers: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub name: String,
    pub namespace: String,
    pub pod_selector: LabelSelector,
    /// `Ingress`, `Egress` or both, with the API server's default applied (NP 2).
    pub policy_types: Vec<PolicyDirection>,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
}

impl NetworkPolicy {
    pub fn selects(&self, pod: &PodInfo) -> bool {
        self.namespace == pod.namespace && self.pod_selector.matches(&pod.labels)
    }

    pub fn affects(&self, direction: PolicyDirection) -> bool {
        self.policy_types.contains(&direction)
    }

    /// Its rules for `direction`: `spec.ingress` or `spec.egress`.
    pub fn rules(&self, direction: PolicyDirection) -> &[PolicyRule] {
        match direction {
            PolicyDirection::Ingress => &self.ingress,
            PolicyDirection::Egress => &self.egress,
        }
    }
}

/// The policies of `scenario` that select `pod` (any type), in the scenario's order: a
/// policy in the pod's namespace whose `podSelector` matches its labels (NP 5). What the
/// page marks at a pod; whether they isolate it, and for which direction, is each
/// policy's `policy_types` (NP 1), and whether anything enforces them the scenario's
/// engine (NP 12).
pub fn policies_selecting<'a>(
    scenario: &'a crate::scenario::Scenario,
    pod: &crate::scenario::Pod,
) -> Vec<&'a NetworkPolicy> {
    let info = PodInfo {
        name: pod.name.clone(),
        namespace: pod.namespace_or_default().to_owned(),
        labels: pod.labels.clone(),
        named_ports: Vec::new(),
    };
    scenario
        .network_policies
        .policies
        .iter()
        .filter(|p| p.selects(&info))
        .collect()
}

/// A pod as policies see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodInfo {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    /// Named container ports: name -> (port, protocol).
    pub named_ports: Vec<(String, u16, PolicyProtocol)>,
}

/// The other end of the connection, as the selected pod sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    pub ip: IpAddr,
    /// The peer's pod, when the peer is a pod.
    pub pod: Option<PodInfo>,
    /// The peer is the node the selected pod runs on (NP 9).
    pub is_local_node: bool,
    /// The peer's address belongs to a pod or a node of the cluster (what Cilium's
    /// ipBlock never selects, NP 12).
    pub is_cluster_address: bool,
}

/// A packet at the policy stage: for ingress, `pod` receives it on `port`; for egress,
/// `pod` sends it to `port` on the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyPacket<'a> {
    pub direction: PolicyDirection,
    pub pod: &'a PodInfo,
    pub peer: &'a PeerInfo,
    /// `None` for protocols NetworkPolicy cannot name (ICMP).
    pub protocol: Option<PolicyProtocol>,
    pub port: u16,
    /// For egress, the destination pod's named ports, so a named port can match.
    pub peer_named_ports: &'a [(String, u16, PolicyProtocol)],
}

/// Which rule let the packet through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyMatch {
    pub policy: String,
    /// Counted from 0, as in `spec.ingress[0]`.
    pub rule: usize,
    /// The peer that matched; `None` when the rule lists no peers (all peers).
    pub peer: Option<usize>,
    /// The port that matched; `None` when the rule lists no ports (all ports).
    pub port: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// No engine enforces policies.
    NotEnforced,
    /// No policy of this direction selects the pod (NP 1).
    NotIsolated,
    /// Traffic with the pod's own node (NP 9).
    LocalNode,
    Allowed(PolicyMatch),
    /// Isolated, and no rule of any selecting policy allows it (NP 3).
    Denied,
}

/// What the policy stage decided, with what the hop shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecision {
    pub direction: PolicyDirection,
    /// Every policy selecting the pod (any type), in the order given.
    pub selecting: Vec<String>,
    /// Those of them that isolate the pod in this direction.
    pub isolating: Vec<String>,
    pub verdict: PolicyVerdict,
    /// Engine-specific behaviour that changed the outcome (Cilium's ipBlock, NP 12).
    pub notes: Vec<String>,
}

impl PolicyDecision {
    pub fn allowed(&self) -> bool {
        !matches!(self.verdict, PolicyVerdict::Denied)
    }
}

/// Decides one packet (NP 1-12).
pub fn evaluate(
    policies: &[NetworkPolicy],
    namespaces: &[Namespace],
    engine: PolicyEngine,
    packet: &PolicyPacket<'_>,
) -> PolicyDecision {
    let selecting: Vec<&NetworkPolicy> =
        policies.iter().filter(|p| p.selects(packet.pod)).collect();
    let isolating: Vec<&NetworkPolicy> = selecting
        .iter()
        .copied()
        .filter(|p| p.affects(packet.direction))
        .collect();
    let mut decision = PolicyDecision {
        direction: packet.direction,
        selecting: selecting.iter().map(|p| p.name.clone()).collect(),
        isolating: isolating.iter().map(|p| p.name.clone()).collect(),
        verdict: PolicyVerdict::Denied,
        notes: Vec::new(),
    };
    decision.verdict = if engine == PolicyEngine::None {
        PolicyVerdict::NotEnforced
    } else if isolating.is_empty() {
        PolicyVerdict::NotIsolated
    } else if packet.peer.is_local_node {
        PolicyVerdict::LocalNode
    } else {
        let mut found = None;
        'policies: for policy in &isolating {
            for (r, rule) in policy.rules(packet.direction).iter().enumerate() {
                let Some(peer) = peer_match(
                    rule,
                    policy,
                    namespaces,
                    engine,
                    packet,
                    &mut decision.notes,
                ) else {
                    continue;
                };
                let Some(port) = port_match(rule, packet) else {
                    continue;
                };
                found = Some(PolicyMatch {
                    policy: policy.name.clone(),
                    rule: r,
                    peer,
                    port,
                });
                break 'policies;
            }
        }
        found.map_or(PolicyVerdict::Denied, PolicyVerdict::Allowed)
    };
    if decision.allowed() {
        decision.notes.clear();
    }
    decision
}

/// `Some(index)` of the matching peer, `Some(None)` for a rule open to every peer.
fn peer_match(
    rule: &PolicyRule,
    policy: &NetworkPolicy,
    namespaces: &[Namespace],
    engine: PolicyEngine,
    packet: &PolicyPacket<'_>,
    notes: &mut Vec<String>,
) -> Option<Option<usize>> {
    if rule.peers.is_empty() {
        return Some(None);
    }
    rule.peers
        .iter()
        .position(|peer| match peer {
            Peer::Pods {
                pod_selector,
                namespace_selector,
            } => {
                let Some(pod) = &packet.peer.pod else {
                    return false;
                };
                // Without a namespaceSelector, only the policy's own namespace (NP 6).
                let namespace_ok = match namespace_selector {
                    Some(selector) => selector.matches(&namespace_labels(namespaces, &pod.namespace)),
                    None => pod.namespace == policy.namespace,
                };
                namespace_ok
                    && pod_selector
                        .as_ref()
                        .is_none_or(|selector| selector.matches(&pod.labels))
            }
            Peer::IpBlock { cidr, except } => {
                let inside =
                    cidr.contains(&packet.peer.ip) && !except.iter().any(|e| e.contains(&packet.peer.ip));
                if inside && engine == PolicyEngine::Cilium && packet.peer.is_cluster_address {
                    notes.push(format!(
                        "policy {}: ipBlock {cidr} contains {}, but Cilium's ipBlock does not select pod or node addresses",
                        policy.name, packet.peer.ip
                    ));
                    return false;
                }
                inside
            }
        })
        .map(Some)
}

/// `Some(index)` of the matching port, `Some(None)` for a rule open to every port.
pub(crate) fn port_match(rule: &PolicyRule, packet: &PolicyPacket<'_>) -> Option<Option<usize>> {
    if rule.ports.is_empty() {
        return Some(None);
    }
    let protocol = packet.protocol?;
    let named = match packet.direction {
        PolicyDirection::Ingress => &packet.pod.named_ports[..],
        PolicyDirection::Egress => packet.peer_named_ports,
    };
    rule.ports
        .iter()
        .position(|p| {
            p.protocol == protocol
                && match &p.port {
                    None => true,
                    Some(PortRef::Number(n)) => match p.end_port {
                        Some(end) => (*n..=end).contains(&packet.port),
                        None => *n == packet.port,
                    },
                    Some(PortRef::Name(name)) => named.iter().any(|(n, port, proto)| {
                        n == name && *port == packet.port && *proto == protocol
                    }),
                }
        })
        .map(Some)
}

/// A namespace's labels, with the `kubernetes.io/metadata.name` label the API server
/// sets on every namespace (NP 10), also for a namespace the scenario does not list.
pub fn namespace_labels(namespaces: &[Namespace], name: &str) -> BTreeMap<String, String> {
    let mut labels = namespaces
        .iter()
        .find(|n| n.name == name)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    labels
        .entry(NAME_LABEL.to_owned())
        .or_insert_with(|| name.to_owned());
    labels
}

pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Pod, Scenario};

    fn policy(name: &str, namespace: &str, selector: &[(&str, &str)]) -> NetworkPolicy {
        NetworkPolicy {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            pod_selector: LabelSelector {
                match_labels: selector
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                match_expressions: Vec::new(),
            },
            policy_types: vec![PolicyDirection::Ingress],
            ..NetworkPolicy::default()
        }
    }

    fn pod(name: &str, namespace: Option<&str>, app: &str) -> Pod {
        Pod {
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            labels: [("app".to_owned(), app.to_owned())].into_iter().collect(),
            ..Pod::default()
        }
    }

    #[test]
    fn policies_selecting_a_pod_are_those_of_its_namespace_matching_its_labels() {
        let mut scenario = Scenario::default();
        scenario.network_policies.policies = vec![
            policy("default-deny", "shop", &[]),
            policy("allow-web", "shop", &[("app", "web")]),
            policy("allow-web-elsewhere", "other", &[("app", "web")]),
            policy("default-deny-default", "default", &[]),
        ];
        let names = |p: &Pod| -> Vec<String> {
            policies_selecting(&scenario, p)
                .iter()
                .map(|x| x.name.clone())
                .collect()
        };
        // The empty selector selects every pod of its namespace, in the scenario's order.
        assert_eq!(
            names(&pod("web", Some("shop"), "web")),
            ["default-deny", "allow-web"]
        );
        assert_eq!(names(&pod("cart", Some("shop"), "cart")), ["default-deny"]);
        // No namespace is `default` (NP 5: spec.podSelector selects in the policy's own).
        assert_eq!(names(&pod("web", None, "web")), ["default-deny-default"]);
        assert!(names(&pod("web", Some("ingress"), "web")).is_empty());
    }
}
