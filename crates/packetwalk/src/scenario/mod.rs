//! A scenario: everything about one AKS cluster's network that a packet's path depends on.
//!
//! The scenario holds Azure's state as it is (NSG rules, load-balancer rules and probes),
//! not as it should be: the cloud provider's reconciliation is an explicit step
//! (`reconcile`), so that a story can show the state before `kubectl apply`, after it,
//! and after someone deletes a generated rule by hand.
//!
//! The JSON form is documented in `docs/scenario-format.md`. NSGs inside a scenario are
//! written in the shape of `az network nsg show -o json`, so a pasted NSG drops straight in.

use crate::export::to_az_json;
use crate::json;
use crate::model::{NetworkSecurityGroup, Protocol, Warning};
use crate::netpol::{policy_to_value, Namespace, NetworkPolicy, PolicyEngine, PolicyProtocol};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

mod read;
pub use read::{from_value, ReadError};
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum NetworkPlugin {
    /// Azure CNI: pods get addresses from the node's VNet subnet.
    #[default]
    #[serde(rename = "azure")]
    Azure,
    /// kubenet: pods get addresses from a pod CIDR outside the VNet, routed per node.
    #[serde(rename = "kubenet")]
    Kubenet,
}

/// A scenario, as its JSON document has it. Field names follow Azure's and Kubernetes'.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    /// Short identifier: `blog-part4`.
    pub name: String,
    pub title: String,
    pub description: String,
    /// Where the facts come from (a blog post, a lab); shown in the page.
    pub source: Option<String>,
    pub network_plugin: NetworkPlugin,
    /// `networkPolicy`: the engine that enforces NetworkPolicy, as `az aks show` names it
    /// in `networkProfile.networkPolicy` (docs/network-policy.md, NP 12).
    #[serde(
        rename = "networkPolicy",
        skip_serializing_if = "PolicyEngine::is_none"
    )]
    pub network_policy_engine: PolicyEngine,
    /// The node resource group (`MC_...`).
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub vnet: VirtualNetwork,
    /// NSGs in the shape of `az network nsg show -o json` (or any shape `import` accepts).
    pub network_security_groups: NsgSet,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub services: Vec<Service>,
    /// The namespaces and their labels, which policies' namespace selectors match (every
    /// namespace also carries `kubernetes.io/metadata.name`, NP 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    /// NetworkPolicy objects, as kubectl JSON; written back with the API server's
    /// defaults filled in.
    #[serde(skip_serializing_if = "PolicySet::is_empty")]
    pub network_policies: PolicySet,
    /// The public load balancer AKS names `kubernetes`.
    pub load_balancer: Option<LoadBalancer>,
    /// `kubernetes-internal`: the load balancer of Services annotated
    /// `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`, whose frontends
    /// are private IPs in a subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_load_balancer: Option<LoadBalancer>,
    pub public_ips: Vec<PublicIp>,
    pub clients: Vec<Client>,
    /// The packets the scenario's story uses; the first is the default.
    pub flows: Vec<NamedFlow>,
    /// Values the source redacts or never gave, chosen for the scenario; the page says so.
    pub illustrative: Vec<String>,
    /// Prefixes of service tags other than VirtualNetwork, Internet and AzureLoadBalancer.
    pub service_tags: BTreeMap<String, Vec<IpNet>>,
}

/// Read through [`from_value`], which says where a document goes wrong; serde's
/// formats (serde_json in the CLI and the tests) get the same reader and messages.
impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scenario, D::Error> {
        let doc = json::Value::deserialize(deserializer)?;
        from_value(&doc).map_err(serde::de::Error::custom)
    }
}

/// The scenario's NSGs with what their lenient import found odd. In JSON, a list of NSG
/// documents in any shape `import` accepts; written back as `az network nsg show -o json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NsgSet {
    pub nsgs: Vec<NetworkSecurityGroup>,
    pub import_warnings: Vec<Warning>,
}

impl NsgSet {
    pub fn get(&self, name: &str) -> Option<&NetworkSecurityGroup> {
        self.nsgs.iter().find(|n| n.name.eq_ignore_ascii_case(name))
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut NetworkSecurityGroup> {
        self.nsgs
            .iter_mut()
            .find(|n| n.name.eq_ignore_ascii_case(name))
    }
}

impl From<Vec<NetworkSecurityGroup>> for NsgSet {
    fn from(nsgs: Vec<NetworkSecurityGroup>) -> NsgSet {
        NsgSet {
            nsgs,
            import_warnings: Vec::new(),
        }
    }
}

impl Serialize for NsgSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.nsgs.iter().map(to_az_json))
    }
}

/// The scenario's NetworkPolicy objects with what their import found: a policy the API
/// server would refuse is left out, with a warning naming it and the field. In JSON, a
/// list of kubectl NetworkPolicy objects (as people write them for `kubectl apply`, or as
/// `kubectl get -o json` prints them); written back as kubectl JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicySet {
    pub policies: Vec<NetworkPolicy>,
    pub import_warnings: Vec<Warning>,
}

impl PolicySet {
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

impl From<Vec<NetworkPolicy>> for PolicySet {
    fn from(policies: Vec<NetworkPolicy>) -> PolicySet {
        PolicySet {
            policies,
            import_warnings: Vec::new(),
        }
    }
}

impl Serialize for PolicySet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.policies.iter().map(policy_to_value))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetwork {
    pub name: String,
    pub address_space: Vec<IpNet>,
    pub subnets: Vec<Subnet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    pub name: String,
    pub address_prefix: Option<IpNet>,
    /// The NSG associated with the subnet, by name; `None` is what the blog's
    /// `az network vnet subnet show --query networkSecurityGroup` prints as nothing.
    pub network_security_group: Option<String>,
    /// kubenet's route table: pod CIDR -> node IP.
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub name: String,
    pub address_prefix: IpNet,
    pub next_hop_ip_address: IpAddr,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub name: String,
    pub subnet: String,
    pub nic: NetworkInterface,
    /// kubenet only: the node's pod CIDR (a /24 of 10.244.0.0/16 by default).
    pub pod_cidr: Option<IpNet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterface {
    pub name: String,
    pub private_ip_address: Option<IpAddr>,
    pub network_security_group: Option<String>,
    pub application_security_groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub ip: Option<IpAddr>,
    pub node: String,
    pub ready: bool,
    /// The containers' ports. Empty: any port is accepted.
    pub container_ports: Vec<ContainerPort>,
    pub image: Option<String>,
}

impl Pod {
    /// `metadata.namespace`, `default` when absent (as `kubectl apply` places it).
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    /// Whether a container declares `port` (any protocol).
    pub fn declares_port(&self, port: u16) -> bool {
        self.container_ports
            .iter()
            .any(|c| c.container_port == port)
    }
}

/// A container port: a number, or, for NetworkPolicy's named ports (NP 8), a name and
/// protocol with it. In JSON a bare number (`8080`) or `{"name": "http",
/// "containerPort": 8080, "protocol": "TCP"}`; written as a number when it has no name
/// and its protocol is TCP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub container_port: u16,
    pub name: Option<String>,
    /// TCP unless said otherwise, as in Kubernetes.
    pub protocol: PolicyProtocol,
}

impl Default for ContainerPort {
    fn default() -> ContainerPort {
        ContainerPort::from(0)
    }
}

impl From<u16> for ContainerPort {
    fn from(container_port: u16) -> ContainerPort {
        ContainerPort {
            container_port,
            name: None,
            protocol: PolicyProtocol::Tcp,
        }
    }
}

/// A port compares with its number.
impl PartialEq<u16> for ContainerPort {
    fn eq(&self, other: &u16) -> bool {
        self.container_port == *other
    }
}

impl Serialize for ContainerPort {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.name.is_none() && self.protocol == PolicyProtocol::Tcp {
            return serializer.serialize_u16(self.container_port);
        }
        let mut map = serializer.serialize_map(None)?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        map.serialize_entry("containerPort", &self.container_port)?;
        map.serialize_entry("protocol", self.protocol.as_str())?;
        map.end()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum ExternalTrafficPolicy {
    #[default]
    Cluster,
    Local,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub name: String,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<IpAddr>,
    pub ports: Vec<ServicePort>,
    pub selector: BTreeMap<String, String>,
    pub external_traffic_policy: ExternalTrafficPolicy,
    pub health_check_node_port: Option<u16>,
    /// `ClientIP` pins a client to one endpoint (kube-proxy) and asks the load balancer
    /// for source-IP distribution.
    pub session_affinity: Option<String>,
    pub load_balancer_source_ranges: Vec<String>,
    pub annotations: BTreeMap<String, String>,
    /// `status.loadBalancer.ingress[0].ip`.
    pub ingress_ip: Option<IpAddr>,
    /// `spec.loadBalancerIP`: the address asked for. A public Service takes the public IP
    /// that has it; an internal one gets it as its static private frontend IP.
    #[serde(rename = "loadBalancerIP", skip_serializing_if = "Option::is_none")]
    pub load_balancer_ip: Option<IpAddr>,
}

impl Service {
    /// `loadBalancerSourceRanges` as prefixes (a bare address is its /32 or /128);
    /// what does not parse is left out.
    pub fn source_ranges(&self) -> Vec<IpNet> {
        self.load_balancer_source_ranges
            .iter()
            .filter_map(|r| {
                let r = r.trim();
                r.parse::<IpNet>()
                    .ok()
                    .or_else(|| r.parse::<IpAddr>().ok().map(IpNet::from))
            })
            .collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    pub name: Option<String>,
    pub protocol: Option<String>,
    pub port: u16,
    pub target_port: Option<u16>,
    pub node_port: Option<u16>,
}

impl ServicePort {
    /// Its protocol; Kubernetes' default is TCP.
    pub fn protocol(&self) -> Protocol {
        self.protocol
            .as_deref()
            .and_then(Protocol::parse)
            .unwrap_or(Protocol::Tcp)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    pub name: String,
    pub sku: Option<String>,
    pub frontend_ip_configurations: Vec<FrontendIpConfiguration>,
    pub backend_address_pool: Vec<String>,
    pub load_balancing_rules: Vec<LoadBalancingRule>,
    pub probes: Vec<Probe>,
    /// The frontend whose public IP outbound SNAT uses (AKS: the `aksOutboundRule`).
    pub outbound_frontend: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontendIpConfiguration {
    pub name: String,
    /// Name of a public IP in `publicIps`, for a public frontend.
    pub public_ip_address: Option<String>,
    /// For an internal frontend: its private IP in the VNet.
    pub private_ip_address: Option<IpAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancingRule {
    pub name: String,
    pub frontend_ip_configuration: String,
    pub protocol: String,
    pub frontend_port: u16,
    pub backend_port: u16,
    #[serde(rename = "enableFloatingIP")]
    pub enable_floating_ip: bool,
    pub probe: Option<String>,
    /// `Default` (5-tuple) or `SourceIP` (client IP affinity).
    pub load_distribution: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub name: String,
    pub protocol: String,
    pub port: u16,
    pub request_path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIp {
    pub name: String,
    pub ip_address: Option<IpAddr>,
    pub sku: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub name: String,
    pub ip: Option<IpAddr>,
}

/// A packet the scenario's story uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedFlow {
    pub name: String,
    pub description: String,
    /// `IP:PORT` (`[v6]:port`), or a component name (client, pod, node) with `:PORT`.
    pub from: String,
    pub to: String,
    pub protocol: String,
}

/// Why a JSON document is not a scenario, if it is not: a scenario is an object with a
/// `vnet` object and a `nodes` array (every other member has a default). The answer
/// names what is missing and, when it can tell, what the document is instead.
pub fn shape_problem(doc: &json::Value) -> Option<String> {
    const NEEDS: &str =
        "a scenario is an object with \"vnet\" and \"nodes\" (docs/scenario-format.md)";
    let json::Value::Object(members) = doc else {
        let what = match doc {
            json::Value::Array(items) if items.is_empty() => "an empty array",
            other => other.kind(),
        };
        return Some(format!("it is {what}; {NEEDS}"));
    };
    let vnet = doc.get("vnet");
    let nodes = doc.get("nodes");
    let mut missing: Vec<String> = Vec::new();
    for (key, found, want) in [("vnet", vnet, "an object"), ("nodes", nodes, "an array")] {
        let wanted = match found {
            Some(json::Value::Object(_)) => want == "an object",
            Some(json::Value::Array(_)) => want == "an array",
            _ => false,
        };
        match found {
            None | Some(json::Value::Null) if missing.is_empty() => {
                missing.push(format!("it has no \"{key}\""));
            }
            None | Some(json::Value::Null) => missing.push(format!("no \"{key}\"")),
            Some(other) if !wanted => {
                missing.push(format!("its \"{key}\" is {}, not {want}", other.kind()));
            }
            Some(_) => {}
        }
    }
    if missing.is_empty() {
        return None;
    }
    let has = |key: &str| members.iter().any(|(k, _)| k.eq_ignore_ascii_case(key));
    let in_properties = |key: &str| doc.get("properties").and_then(|p| p.get(key)).is_some();
    let typed = |suffix: &str| {
        doc.get("type")
            .and_then(json::Value::as_str)
            .is_some_and(|t| t.to_ascii_lowercase().ends_with(suffix))
    };
    let looks_like = if has("securityRules")
        || has("defaultSecurityRules")
        || in_properties("securityRules")
        || typed("/networksecuritygroups")
    {
        " (it looks like an NSG: give it to flow-verify --nic-nsg, or import it into a scenario)"
    } else if has("kind") && has("apiVersion") {
        " (it looks like a Kubernetes object: give it to apply -f)"
    } else if members.is_empty() {
        " (it is an empty object)"
    } else {
        ""
    };
    Some(format!("{}{looks_like}; {NEEDS}", missing.join(" and ")))
}

/// References that point nowhere (a node's subnet, a NIC's NSG, a pod's node, a
/// load-balancing rule's frontend or probe, on either load balancer), and internal
/// frontends without a private IP, each named by object and field.
pub fn check(scenario: &Scenario) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let mut missing = |object: String, field: &str, value: &str, what: &str| {
        warnings.push(Warning {
            object,
            field: Some(field.to_owned()),
            value: Some(value.to_owned()),
            message: format!("no {what} of that name in the scenario"),
        });
    };
    let nsgs = &scenario.network_security_groups;
    for subnet in &scenario.vnet.subnets {
        if let Some(nsg) = &subnet.network_security_group {
            if nsgs.get(nsg).is_none() {
                missing(
                    format!("subnet {}", subnet.name),
                    "networkSecurityGroup",
                    nsg,
                    "NSG",
                );
            }
        }
    }
    for node in &scenario.nodes {
        if !scenario.vnet.subnets.iter().any(|s| s.name == node.subnet) {
            missing(
                format!("node {}", node.name),
                "subnet",
                &node.subnet,
                "subnet",
            );
        }
        if let Some(nsg) = &node.nic.network_security_group {
            if nsgs.get(nsg).is_none() {
                missing(
                    format!("node {}, NIC {}", node.name, node.nic.name),
                    "networkSecurityGroup",
                    nsg,
                    "NSG",
                );
            }
        }
    }
    for pod in &scenario.pods {
        if !scenario.nodes.iter().any(|n| n.name == pod.node) {
            missing(format!("pod {}", pod.name), "node", &pod.node, "node");
        }
    }
    // The internal load balancer's frontends are private addresses: a public IP on one is
    // named and ignored, and one without a private IP is unreachable.
    let mut internal_frontends = Vec::new();
    let lbs = scenario.load_balancer.iter().map(|lb| (lb, false));
    for (lb, internal) in lbs.chain(scenario.internal_load_balancer.iter().map(|lb| (lb, true))) {
        if internal {
            for frontend in &lb.frontend_ip_configurations {
                let object = format!("load balancer {}, frontend {}", lb.name, frontend.name);
                if let Some(ip) = &frontend.public_ip_address {
                    internal_frontends.push(Warning {
                        object,
                        field: Some("publicIpAddress".to_owned()),
                        value: Some(ip.clone()),
                        message: "the internal load balancer's frontends are private IPs; the public IP is ignored".to_owned(),
                    });
                } else if frontend.private_ip_address.is_none() {
                    internal_frontends.push(Warning {
                        object,
                        field: Some("privateIpAddress".to_owned()),
                        value: None,
                        message: "missing: nothing reaches this frontend".to_owned(),
                    });
                }
            }
        }
        for rule in &lb.load_balancing_rules {
            let object = format!("load balancer {}, rule {}", lb.name, rule.name);
            if !lb
                .frontend_ip_configurations
                .iter()
                .any(|f| f.name == rule.frontend_ip_configuration)
            {
                missing(
                    object.clone(),
                    "frontendIpConfiguration",
                    &rule.frontend_ip_configuration,
                    "frontend IP configuration",
                );
            }
            if let Some(probe) = &rule.probe {
                if !lb.probes.iter().any(|p| &p.name == probe) {
                    missing(object, "probe", probe, "probe");
                }
            }
        }
        for frontend in lb.frontend_ip_configurations.iter().filter(|_| !internal) {
            if let Some(ip) = &frontend.public_ip_address {
                if !scenario.public_ips.iter().any(|p| &p.name == ip) {
                    missing(
                        format!("load balancer {}, frontend {}", lb.name, frontend.name),
                        "publicIpAddress",
                        ip,
                        "public IP",
                    );
                }
            }
        }
        for name in &lb.backend_address_pool {
            if !scenario.nodes.iter().any(|n| &n.name == name) {
                missing(
                    format!("load balancer {}", lb.name),
                    "backendAddressPool",
                    name,
                    "node",
                );
            }
        }
    }
    warnings.extend(internal_frontends);
    warnings
}

/// The name of the NSG on `node`'s subnet, if the subnet has one.
pub fn subnet_nsg_name<'s>(scenario: &'s Scenario, node: &Node) -> Option<&'s str> {
    scenario
        .vnet
        .subnets
        .iter()
        .find(|s| s.name == node.subnet)
        .and_then(|s| s.network_security_group.as_deref())
}

/// What the NSGs of `node` need to know beyond their rules: what VirtualNetwork covers
/// (the VNet's address space plus the prefixes of user-defined routes, such as kubenet's
/// pod CIDRs), the supplied service tags, and the NIC's application security groups.
pub fn node_context(scenario: &Scenario, node: &Node) -> crate::eval::EvalContext {
    let mut vnet_prefixes = scenario.vnet.address_space.clone();
    for subnet in &scenario.vnet.subnets {
        vnet_prefixes.extend(subnet.routes.iter().map(|r| r.address_prefix));
    }
    crate::eval::EvalContext {
        vnet_prefixes,
        service_tags: scenario
            .service_tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        local_asgs: node.nic.application_security_groups.clone(),
        remote_asgs: Vec::new(),
    }
}
