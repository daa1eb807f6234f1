//! Reading a scenario document (docs/scenario-format.md) from a [`json::Value`].
//!
//! One reader for every caller: the CLI parses the file with serde_json, the page with
//! the browser's `JSON.parse`, and both hand the tree to [`from_value`]. It is written
//! out rather than derived because a derived `Deserialize` is compiled once per format
//! (in the page, for serde-wasm-bindgen) and is most of the page's scenario code, and
//! because its errors do not say where: these do (`nodes[0].nic.privateIpAddress:
//! invalid IP address syntax`).
//!
//! The rules are the format's: every member is optional and a missing one (or `null`)
//! is empty; unknown members are ignored; member names match exactly, or else ignoring
//! ASCII case (`privateIPAddress`), as [`json::Value::get`] does.

use super::{
    Client, ContainerPort, ExternalTrafficPolicy, FrontendIpConfiguration, LoadBalancer,
    LoadBalancingRule, NamedFlow, NetworkInterface, NetworkPlugin, Node, NsgSet, Pod, PolicySet,
    Probe, PublicIp, Route, Scenario, Service, ServicePort, ServiceType, Subnet, VirtualNetwork,
};
use crate::import::{decimal, import_nsgs};
use crate::json::Value;
use crate::netpol::{policies_from_value, Namespace, PolicyEngine, PolicyProtocol, NAME_LABEL};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// Why a document could not be read as a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// `nodes[0].nic.privateIpAddress`; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a scenario; the error names the member at fault.
pub fn from_value(doc: &Value) -> Result<Scenario, ReadError> {
    let root = At::Root;
    let o = Obj::of(doc, &root)?;
    Ok(Scenario {
        name: o.string("name")?,
        title: o.string("title")?,
        description: o.string("description")?,
        source: o.opt_string("source")?,
        network_plugin: o.opt("networkPlugin", network_plugin)?.unwrap_or_default(),
        network_policy_engine: o.opt("networkPolicy", policy_engine)?.unwrap_or_default(),
        resource_group: o.opt_string("resourceGroup")?,
        location: o.opt_string("location")?,
        vnet: o.opt("vnet", vnet)?.unwrap_or_default(),
        network_security_groups: o
            .field("networkSecurityGroups")
            // An empty list is no NSGs (as a scenario without NSGs is written), not an
            // empty `az network nsg rule list` of an unnamed NSG.
            .filter(|doc| !matches!(doc, Value::Array(items) if items.is_empty()))
            .map(|doc| {
                let imported = import_nsgs(doc);
                NsgSet {
                    nsgs: imported.value,
                    import_warnings: imported.warnings,
                }
            })
            .unwrap_or_default(),
        nodes: o.list("nodes", node)?,
        pods: o.list("pods", pod)?,
        services: o.list("services", service)?,
        namespaces: o.list("namespaces", namespace)?,
        network_policies: o
            .opt("networkPolicies", network_policies)?
            .unwrap_or_default(),
        load_balancer: o.opt("loadBalancer", load_balancer)?,
        internal_load_balancer: o.opt("internalLoadBalancer", load_balancer)?,
        public_ips: o.list("publicIps", public_ip)?,
        clients: o.list("clients", client)?,
        flows: o.list("flows", named_flow)?,
        illustrative: o.list("illustrative", string)?,
        service_tags: o.map("serviceTags", |v, at| list(v, at, net))?,
    })
}

fn network_plugin(v: &Value, at: &At) -> Result<NetworkPlugin, ReadError> {
    match string(v, at)?.as_str() {
        "azure" | "Azure" | "azure-cni" => Ok(NetworkPlugin::Azure),
        "kubenet" | "Kubenet" => Ok(NetworkPlugin::Kubenet),
        other => Err(one_of(at, other, &["azure", "kubenet"])),
    }
}

fn policy_engine(v: &Value, at: &At) -> Result<PolicyEngine, ReadError> {
    let text = string(v, at)?;
    PolicyEngine::parse(&text)
        .ok_or_else(|| one_of(at, &text, &["none", "azure", "calico", "cilium"]))
}

/// A kubectl Namespace object (`metadata.name`, `metadata.labels`) or `{name, labels}`;
/// either way with the `kubernetes.io/metadata.name` label the API server sets (NP 10).
fn namespace(v: &Value, at: &At) -> Result<Namespace, ReadError> {
    let o = Obj::of(v, at)?;
    if let Some(kind) = o.opt_string("kind")? {
        if kind != "Namespace" {
            return Err(one_of(&At::Key(at, "kind"), &kind, &["Namespace"]));
        }
    }
    let (name, mut labels) = match o.field("metadata") {
        Some(meta) => {
            let at = At::Key(at, "metadata");
            let m = Obj::of(meta, &at)?;
            (m.string("name")?, m.map("labels", string)?)
        }
        None => (o.string("name")?, o.map("labels", string)?),
    };
    if name.is_empty() {
        return Err(At::Key(at, "name").error("missing: a namespace needs its name".into()));
    }
    labels
        .entry(NAME_LABEL.to_owned())
        .or_insert_with(|| name.clone());
    Ok(Namespace { name, labels })
}

/// A list of NetworkPolicy objects (or a kubectl `List` of them). A policy the API server
/// would refuse is left out with a warning (`netpol::policies_from_value`); an item that
/// is no NetworkPolicy is an error. An item without `kind` is taken as a NetworkPolicy.
fn network_policies(v: &Value, at: &At) -> Result<PolicySet, ReadError> {
    let list_at;
    let (items, at) = match v.get("items") {
        Some(items) => {
            list_at = At::Key(at, "items");
            (items, &list_at)
        }
        None => (v, at),
    };
    let Value::Array(items) = items else {
        return Err(at.error(format!(
            "expected an array of NetworkPolicy objects, got {}",
            shown(items)
        )));
    };
    let mut policies = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = At::Index(at, i);
        let o = Obj::of(item, &at)?;
        match o.opt_string("kind")? {
            Some(kind) if kind == "NetworkPolicy" => policies.push(item.clone()),
            Some(kind) => {
                return Err(one_of(&At::Key(&at, "kind"), &kind, &["NetworkPolicy"]));
            }
            None => {
                let mut members = item.as_object().unwrap_or_default().to_vec();
                members.push(("kind".to_owned(), Value::String("NetworkPolicy".to_owned())));
                policies.push(Value::Object(members));
            }
        }
    }
    let imported = policies_from_value(&Value::Array(policies));
    Ok(PolicySet {
        policies: imported.value,
        import_warnings: imported.warnings,
    })
}

fn vnet(v: &Value, at: &At) -> Result<VirtualNetwork, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(VirtualNetwork {
        name: o.string("name")?,
        address_space: o.list("addressSpace", net)?,
        subnets: o.list("subnets", subnet)?,
    })
}

fn subnet(v: &Value, at: &At) -> Result<Subnet, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Subnet {
        name: o.string("name")?,
        address_prefix: o.opt("addressPrefix", net)?,
        network_security_group: o.opt_string("networkSecurityGroup")?,
        routes: o.list("routes", route)?,
    })
}

/// A route has no sensible default for any of its members, so each is required.
fn route(v: &Value, at: &At) -> Result<Route, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Route {
        name: o.required("name", string)?,
        address_prefix: o.required("addressPrefix", net)?,
        next_hop_ip_address: o.required("nextHopIpAddress", ip)?,
    })
}

fn node(v: &Value, at: &At) -> Result<Node, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Node {
        name: o.string("name")?,
        subnet: o.string("subnet")?,
        nic: o.opt("nic", nic)?.unwrap_or_default(),
        pod_cidr: o.opt("podCidr", net)?,
    })
}

fn nic(v: &Value, at: &At) -> Result<NetworkInterface, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(NetworkInterface {
        name: o.string("name")?,
        private_ip_address: o.opt("privateIpAddress", ip)?,
        network_security_group: o.opt_string("networkSecurityGroup")?,
        application_security_groups: o.list("applicationSecurityGroups", string)?,
    })
}

fn pod(v: &Value, at: &At) -> Result<Pod, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Pod {
        name: o.string("name")?,
        namespace: o.opt_string("namespace")?,
        labels: o.map("labels", string)?,
        ip: o.opt("ip", ip)?,
        node: o.string("node")?,
        ready: o.opt("ready", boolean)?.unwrap_or_default(),
        container_ports: o.list("containerPorts", container_port)?,
        image: o.opt_string("image")?,
    })
}

/// A port number, or `{name, containerPort, protocol}` as a Pod's container port.
fn container_port(v: &Value, at: &At) -> Result<ContainerPort, ReadError> {
    if let Value::Number(_) = v {
        return port(v, at).map(ContainerPort::from);
    }
    let o = Obj::of(v, at).map_err(|_| {
        at.error(format!(
            "expected a port number or {{\"name\", \"containerPort\", \"protocol\"}}, got {}",
            shown(v)
        ))
    })?;
    Ok(ContainerPort {
        container_port: o.required("containerPort", port)?,
        name: o.opt_string("name")?,
        protocol: o.opt("protocol", protocol)?.unwrap_or(PolicyProtocol::Tcp),
    })
}

fn protocol(v: &Value, at: &At) -> Result<PolicyProtocol, ReadError> {
    match string(v, at)?.as_str() {
        "TCP" => Ok(PolicyProtocol::Tcp),
        "UDP" => Ok(PolicyProtocol::Udp),
        "SCTP" => Ok(PolicyProtocol::Sctp),
        other => Err(one_of(at, other, &["TCP", "UDP", "SCTP"])),
    }
}

fn service(v: &Value, at: &At) -> Result<Service, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Service {
        name: o.string("name")?,
        namespace: o.opt_string("namespace")?,
        uid: o.opt_string("uid")?,
        service_type: o.opt("type", service_type)?.unwrap_or_default(),
        cluster_ip: o.opt("clusterIP", ip)?,
        ports: o.list("ports", service_port)?,
        selector: o.map("selector", string)?,
        external_traffic_policy: o
            .opt("externalTrafficPolicy", traffic_policy)?
            .unwrap_or_default(),
        health_check_node_port: o.opt("healthCheckNodePort", port)?,
        session_affinity: o.opt_string("sessionAffinity")?,
        load_balancer_source_ranges: o.list("loadBalancerSourceRanges", string)?,
        annotations: o.map("annotations", string)?,
        ingress_ip: o.opt("ingressIp", ip)?,
        load_balancer_ip: o.opt("loadBalancerIP", ip)?,
    })
}

fn service_type(v: &Value, at: &At) -> Result<ServiceType, ReadError> {
    match string(v, at)?.as_str() {
        "ClusterIP" => Ok(ServiceType::ClusterIP),
        "NodePort" => Ok(ServiceType::NodePort),
        "LoadBalancer" => Ok(ServiceType::LoadBalancer),
        other => Err(one_of(
            at,
            other,
            &["ClusterIP", "NodePort", "LoadBalancer"],
        )),
    }
}

fn traffic_policy(v: &Value, at: &At) -> Result<ExternalTrafficPolicy, ReadError> {
    match string(v, at)?.as_str() {
        "Cluster" => Ok(ExternalTrafficPolicy::Cluster),
        "Local" => Ok(ExternalTrafficPolicy::Local),
        other => Err(one_of(at, other, &["Cluster", "Local"])),
    }
}

fn service_port(v: &Value, at: &At) -> Result<ServicePort, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(ServicePort {
        name: o.opt_string("name")?,
        protocol: o.opt_string("protocol")?,
        port: o.opt("port", port)?.unwrap_or_default(),
        target_port: o.opt("targetPort", port)?,
        node_port: o.opt("nodePort", port)?,
    })
}

fn load_balancer(v: &Value, at: &At) -> Result<LoadBalancer, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(LoadBalancer {
        name: o.string("name")?,
        sku: o.opt_string("sku")?,
        frontend_ip_configurations: o.list("frontendIpConfigurations", frontend)?,
        backend_address_pool: o.list("backendAddressPool", string)?,
        load_balancing_rules: o.list("loadBalancingRules", lb_rule)?,
        probes: o.list("probes", probe)?,
        outbound_frontend: o.opt_string("outboundFrontend")?,
    })
}

fn frontend(v: &Value, at: &At) -> Result<FrontendIpConfiguration, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(FrontendIpConfiguration {
        name: o.string("name")?,
        public_ip_address: o.opt_string("publicIpAddress")?,
        private_ip_address: o.opt("privateIpAddress", ip)?,
    })
}

fn lb_rule(v: &Value, at: &At) -> Result<LoadBalancingRule, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(LoadBalancingRule {
        name: o.string("name")?,
        frontend_ip_configuration: o.string("frontendIpConfiguration")?,
        protocol: o.string("protocol")?,
        frontend_port: o.opt("frontendPort", port)?.unwrap_or_default(),
        backend_port: o.opt("backendPort", port)?.unwrap_or_default(),
        enable_floating_ip: o.opt("enableFloatingIP", boolean)?.unwrap_or_default(),
        probe: o.opt_string("probe")?,
        load_distribution: o.opt_string("loadDistribution")?,
    })
}

fn probe(v: &Value, at: &At) -> Result<Probe, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Probe {
        name: o.string("name")?,
        protocol: o.string("protocol")?,
        port: o.opt("port", port)?.unwrap_or_default(),
        request_path: o.opt_string("requestPath")?,
    })
}

fn public_ip(v: &Value, at: &At) -> Result<PublicIp, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(PublicIp {
        name: o.string("name")?,
        ip_address: o.opt("ipAddress", ip)?,
        sku: o.opt_string("sku")?,
    })
}

fn client(v: &Value, at: &At) -> Result<Client, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(Client {
        name: o.string("name")?,
        ip: o.opt("ip", ip)?,
    })
}

fn named_flow(v: &Value, at: &At) -> Result<NamedFlow, ReadError> {
    let o = Obj::of(v, at)?;
    Ok(NamedFlow {
        name: o.string("name")?,
        description: o.string("description")?,
        from: o.string("from")?,
        to: o.string("to")?,
        protocol: o.string("protocol")?,
    })
}

// Scalars.

fn string(v: &Value, at: &At) -> Result<String, ReadError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(at.error(format!("expected a string, got {}", shown(other)))),
    }
}

fn boolean(v: &Value, at: &At) -> Result<bool, ReadError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(at.error(format!("expected true or false, got {}", shown(other)))),
    }
}

fn port(v: &Value, at: &At) -> Result<u16, ReadError> {
    match v {
        Value::Number(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => Ok(*n as u16),
        Value::Number(n) => Err(at.error(format!(
            "expected a port number from 0 to 65535, got {}",
            decimal(*n)
        ))),
        other => Err(at.error(format!(
            "expected a port number from 0 to 65535, got {}",
            shown(other)
        ))),
    }
}

fn ip(v: &Value, at: &At) -> Result<IpAddr, ReadError> {
    let text = address_text(v, at, "an IP address")?;
    text.parse().map_err(|err| at.error(format!("{err}")))
}

fn net(v: &Value, at: &At) -> Result<IpNet, ReadError> {
    let text = address_text(v, at, "a CIDR prefix such as 10.0.0.0/16")?;
    text.parse().map_err(|err| at.error(format!("{err}")))
}

fn address_text<'v>(v: &'v Value, at: &At, what: &str) -> Result<&'v str, ReadError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(at.error(format!("expected {what} as a string, got {}", shown(other)))),
    }
}

fn list<T>(
    v: &Value,
    at: &At,
    item: fn(&Value, &At) -> Result<T, ReadError>,
) -> Result<Vec<T>, ReadError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, &At::Index(at, i)))
            .collect(),
        other => Err(at.error(format!("expected an array, got {}", shown(other)))),
    }
}

fn one_of(at: &At, got: &str, allowed: &[&str]) -> ReadError {
    let allowed: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
    at.error(format!(
        "expected one of {}, got \"{got}\"",
        allowed.join(", ")
    ))
}

/// A value as an error message shows it: strings quoted, numbers as written, and the
/// kind of anything bigger.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {}", decimal(*n)),
        Value::Bool(b) => format!("{b}"),
        other => other.kind().to_owned(),
    }
}

/// Where the reader is, rendered only for an error.
enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    fn error(&self, message: String) -> ReadError {
        let mut path = String::new();
        self.render(&mut path);
        ReadError { path, message }
    }

    fn render(&self, out: &mut String) {
        match self {
            At::Root => {}
            At::Key(parent, key) => {
                parent.render(out);
                let plain =
                    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push_str(&format!("[\"{key}\"]"));
                }
            }
            At::Index(parent, i) => {
                parent.render(out);
                out.push_str(&format!("[{i}]"));
            }
        }
    }
}

/// An object being read, with where it is.
struct Obj<'v, 'p> {
    value: &'v Value,
    at: &'p At<'p>,
}

impl<'v, 'p> Obj<'v, 'p> {
    fn of(value: &'v Value, at: &'p At<'p>) -> Result<Obj<'v, 'p>, ReadError> {
        match value {
            Value::Object(_) => Ok(Obj { value, at }),
            other => Err(at.error(format!("expected an object, got {}", shown(other)))),
        }
    }

    /// A member that is present and not `null`.
    fn field(&self, key: &str) -> Option<&'v Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn opt<T>(
        &self,
        key: &str,
        read: fn(&Value, &At) -> Result<T, ReadError>,
    ) -> Result<Option<T>, ReadError> {
        self.field(key)
            .map(|v| read(v, &At::Key(self.at, key)))
            .transpose()
    }

    fn required<T>(
        &self,
        key: &str,
        read: fn(&Value, &At) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        self.opt(key, read)?
            .ok_or_else(|| At::Key(self.at, key).error("missing: this member is required".into()))
    }

    fn string(&self, key: &str) -> Result<String, ReadError> {
        Ok(self.opt(key, string)?.unwrap_or_default())
    }

    fn opt_string(&self, key: &str) -> Result<Option<String>, ReadError> {
        self.opt(key, string)
    }

    fn list<T>(
        &self,
        key: &str,
        item: fn(&Value, &At) -> Result<T, ReadError>,
    ) -> Result<Vec<T>, ReadError> {
        match self.field(key) {
            Some(v) => list(v, &At::Key(self.at, key), item),
            None => Ok(Vec::new()),
        }
    }

    /// An object whose members all have one type (labels, annotations, service tags).
    fn map<T>(
        &self,
        key: &str,
        item: fn(&Value, &At) -> Result<T, ReadError>,
    ) -> Result<BTreeMap<String, T>, ReadError> {
        let Some(v) = self.field(key) else {
            return Ok(BTreeMap::new());
        };
        let at = At::Key(self.at, key);
        match v {
            Value::Object(members) => members
                .iter()
                .map(|(k, v)| Ok((k.clone(), item(v, &At::Key(&at, k))?)))
                .collect(),
            other => Err(at.error(format!("expected an object, got {}", shown(other)))),
        }
    }
}
