//! A scenario: everything about one AKS cluster's network that a packet's path depends on.
//!
//! The scenario holds Azure's state as it is (NSG rules, load-balancer rules and probes),
//! not as it should be: the cloud provider's reconciliation is an explicit step
//! (`reconcile`), so that a story can show the state before `kubectl apply`, after it,
//! and after someone deletes a generated rule by hand.
//!
//! The JSON form is documented in `docs/scenario-format.md`. NSGs inside a scenario are
//! written in the shape of `az network nsg show -o json`, so a pasted NSG drops straight in.

use crate::json;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkPlugin {
    /// Azure CNI: pods get addresses from the node's VNet subnet.
    #[default]
    #[serde(rename = "azure", alias = "Azure", alias = "azure-cni")]
    Azure,
    /// kubenet: pods get addresses from a pod CIDR outside the VNet, routed per node.
    #[serde(rename = "kubenet", alias = "Kubenet")]
    Kubenet,
}

/// The scenario document (its JSON form). Field names follow Azure's and Kubernetes'.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScenarioDoc {
    /// Short identifier: `blog-part4`.
    pub name: String,
    pub title: String,
    pub description: String,
    /// Where the facts come from (a blog post, a lab); shown in the page.
    pub source: Option<String>,
    pub network_plugin: NetworkPlugin,
    /// The node resource group (`MC_...`).
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub vnet: VirtualNetwork,
    /// NSGs in the shape of `az network nsg show -o json` (or any shape `import` accepts).
    pub network_security_groups: Vec<json::Value>,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub services: Vec<Service>,
    pub load_balancer: Option<LoadBalancer>,
    pub public_ips: Vec<PublicIp>,
    pub clients: Vec<Client>,
    /// The packets the scenario's story uses; the first is the default.
    pub flows: Vec<NamedFlow>,
    /// Values the source redacts or never gave, chosen for the scenario; the page says so.
    pub illustrative: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VirtualNetwork {
    pub name: String,
    pub address_space: Vec<IpNet>,
    pub subnets: Vec<Subnet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Subnet {
    pub name: String,
    pub address_prefix: Option<IpNet>,
    /// The NSG associated with the subnet, by name; `None` is what the blog's
    /// `az network vnet subnet show --query networkSecurityGroup` prints as nothing.
    pub network_security_group: Option<String>,
    /// kubenet's route table: pod CIDR -> node IP.
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub name: String,
    pub address_prefix: IpNet,
    pub next_hop_ip_address: IpAddr,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Node {
    pub name: String,
    pub subnet: String,
    pub nic: NetworkInterface,
    /// kubenet only: the node's pod CIDR (a /24 of 10.244.0.0/16 by default).
    pub pod_cidr: Option<IpNet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkInterface {
    pub name: String,
    pub private_ip_address: Option<IpAddr>,
    pub network_security_group: Option<String>,
    pub application_security_groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Pod {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub ip: Option<IpAddr>,
    pub node: String,
    pub ready: bool,
    pub container_ports: Vec<u16>,
    pub image: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternalTrafficPolicy {
    #[default]
    Cluster,
    Local,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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
    pub load_balancer_source_ranges: Vec<String>,
    pub annotations: BTreeMap<String, String>,
    /// `status.loadBalancer.ingress[0].ip`.
    pub ingress_ip: Option<IpAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePort {
    pub name: Option<String>,
    pub protocol: Option<String>,
    pub port: u16,
    pub target_port: Option<u16>,
    pub node_port: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FrontendIpConfiguration {
    pub name: String,
    /// Name of a public IP in `publicIps`, for a public frontend.
    pub public_ip_address: Option<String>,
    /// For an internal frontend: its private IP in the VNet.
    pub private_ip_address: Option<IpAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Probe {
    pub name: String,
    pub protocol: String,
    pub port: u16,
    pub request_path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicIp {
    pub name: String,
    pub ip_address: Option<IpAddr>,
    pub sku: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Client {
    pub name: String,
    pub ip: Option<IpAddr>,
}

/// A packet the scenario's story uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamedFlow {
    pub name: String,
    pub description: String,
    /// `IP:PORT` (`[v6]:port`), or a component name (client, pod, node) with `:PORT`.
    pub from: String,
    pub to: String,
    pub protocol: String,
}
