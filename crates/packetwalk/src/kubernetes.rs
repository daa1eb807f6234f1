//! Lenient import of `kubectl get svc -o json` and `kubectl get pods -o json` (a single
//! object or a `List`), into the scenario's Service and Pod types, and of Namespace and
//! NetworkPolicy objects (`kubectl get networkpolicies,namespaces -o json`, or policies as
//! written for `kubectl apply`; read by `crate::netpol`). Like the NSG importer, it
//! returns what it could read plus warnings naming object and field.

use crate::import::Imported;
use crate::json::Value;
use crate::model::Warning;
use crate::netpol::{
    namespaces_from_value, policies_from_value, Namespace, NetworkPolicy, PolicyProtocol,
};
use crate::scenario::{
    ContainerPort, ExternalTrafficPolicy, Pod, Scenario, Service, ServicePort, ServiceType,
};
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct KubernetesObjects {
    pub services: Vec<Service>,
    pub pods: Vec<Pod>,
    pub namespaces: Vec<Namespace>,
    /// Policies the API server would refuse are left out, with warnings.
    pub network_policies: Vec<NetworkPolicy>,
}

impl KubernetesObjects {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
            && self.pods.is_empty()
            && self.namespaces.is_empty()
            && self.network_policies.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected kubectl JSON (a Service, Pod, Namespace or NetworkPolicy, or a List of them); found {found}")]
pub struct KubernetesImportError {
    pub found: String,
}

pub fn import_kubernetes(
    doc: &Value,
) -> Result<Imported<KubernetesObjects>, KubernetesImportError> {
    let mut objects = KubernetesObjects::default();
    let mut warnings = Vec::new();
    let items: Vec<&Value> = match doc.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![doc],
    };
    for item in items {
        match item.get("kind").and_then(Value::as_str) {
            Some(kind) if kind.eq_ignore_ascii_case("Service") => {
                objects.services.push(service(item, &mut warnings));
            }
            Some(kind) if kind.eq_ignore_ascii_case("Pod") => {
                objects.pods.push(pod(item, &mut warnings));
            }
            Some(kind) if kind.eq_ignore_ascii_case("Namespace") => {
                objects.namespaces.extend(namespaces_from_value(item));
            }
            Some(kind) if kind.eq_ignore_ascii_case("NetworkPolicy") => {
                let imported = policies_from_value(item);
                objects.network_policies.extend(imported.value);
                warnings.extend(imported.warnings);
            }
            other => warnings.push(Warning {
                object: format!("{} {}", other.unwrap_or("object"), name_of(item)),
                field: Some("kind".to_owned()),
                value: other.map(str::to_owned),
                message: "not a Service, Pod, Namespace or NetworkPolicy; skipped".to_owned(),
            }),
        }
    }
    let refused_policies = warnings
        .iter()
        .any(|w| w.object.starts_with("NetworkPolicy "));
    if objects.is_empty() && !refused_policies {
        return Err(KubernetesImportError {
            found: match doc {
                Value::Object(_) => format!(
                    "an object of kind {:?}",
                    doc.get("kind").and_then(Value::as_str).unwrap_or("(none)")
                ),
                other => other.kind().to_owned(),
            },
        });
    }
    Ok(Imported {
        value: objects,
        warnings,
    })
}

/// Puts imported objects into a scenario: Services, Pods, Namespaces and NetworkPolicies
/// replace those of the same name (and namespace). Cloud-provider reconciliation is
/// separate (`reconcile`).
pub fn merge_into(scenario: &mut Scenario, objects: KubernetesObjects) {
    for namespace in objects.namespaces {
        scenario.namespaces.retain(|n| n.name != namespace.name);
        scenario.namespaces.push(namespace);
    }
    let policies = &mut scenario.network_policies.policies;
    for policy in objects.network_policies {
        policies.retain(|p| !(p.name == policy.name && p.namespace == policy.namespace));
        policies.push(policy);
    }
    for pod in objects.pods {
        scenario
            .pods
            .retain(|p| !(p.name == pod.name && p.namespace == pod.namespace));
        scenario.pods.push(pod);
    }
    for service in objects.services {
        scenario
            .services
            .retain(|s| !(s.name == service.name && s.namespace == service.namespace));
        scenario.services.push(service);
    }
}

fn name_of(item: &Value) -> String {
    str_at(item, &["metadata", "name"]).unwrap_or_default()
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    at(value, path).and_then(Value::as_str).map(str::to_owned)
}

fn map_at(value: &Value, path: &[&str]) -> BTreeMap<String, String> {
    at(value, path)
        .and_then(Value::as_object)
        .map(|members| {
            members
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn port_number(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => Some(*n as u16),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn ip(
    value: Option<&Value>,
    object: &str,
    field: &str,
    warnings: &mut Vec<Warning>,
) -> Option<IpAddr> {
    let text = value?.as_str()?;
    if text.is_empty() || text.eq_ignore_ascii_case("None") {
        return None;
    }
    match text.parse() {
        Ok(ip) => Some(ip),
        Err(_) => {
            warnings.push(Warning {
                object: object.to_owned(),
                field: Some(field.to_owned()),
                value: Some(text.to_owned()),
                message: "not an IP address".to_owned(),
            });
            None
        }
    }
}

fn service(item: &Value, warnings: &mut Vec<Warning>) -> Service {
    let name = name_of(item);
    let object = format!("Service {name}");
    let spec = item.get("spec").cloned().unwrap_or_default();
    let service_type = match spec.get("type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("LoadBalancer") => ServiceType::LoadBalancer,
        Some(t) if t.eq_ignore_ascii_case("NodePort") => ServiceType::NodePort,
        Some(t) if t.eq_ignore_ascii_case("ClusterIP") || t.is_empty() => ServiceType::ClusterIP,
        None => ServiceType::ClusterIP,
        Some(other) => {
            warnings.push(Warning {
                object: object.clone(),
                field: Some("spec.type".to_owned()),
                value: Some(other.to_owned()),
                message: "not ClusterIP, NodePort or LoadBalancer; read as ClusterIP".to_owned(),
            });
            ServiceType::ClusterIP
        }
    };
    let mut ports = Vec::new();
    for (i, p) in spec
        .get("ports")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(port) = p.get("port").and_then(port_number) else {
            warnings.push(Warning {
                object: object.clone(),
                field: Some(format!("spec.ports[{i}].port")),
                value: None,
                message: "missing or not a port number; port skipped".to_owned(),
            });
            continue;
        };
        let target_port = match p.get("targetPort") {
            None | Some(Value::Null) => None,
            Some(v) => match port_number(v) {
                Some(n) => Some(n),
                None => {
                    warnings.push(Warning {
                        object: object.clone(),
                        field: Some(format!("spec.ports[{i}].targetPort")),
                        value: v.as_str().map(str::to_owned),
                        message: "a named target port; packetwalk uses the Service port instead"
                            .to_owned(),
                    });
                    None
                }
            },
        };
        ports.push(ServicePort {
            name: p.get("name").and_then(Value::as_str).map(str::to_owned),
            protocol: p.get("protocol").and_then(Value::as_str).map(str::to_owned),
            port,
            target_port,
            node_port: p.get("nodePort").and_then(port_number),
        });
    }
    let policy = match spec.get("externalTrafficPolicy").and_then(Value::as_str) {
        Some(p) if p.eq_ignore_ascii_case("Local") => ExternalTrafficPolicy::Local,
        _ => ExternalTrafficPolicy::Cluster,
    };
    let ingress_ip = at(item, &["status", "loadBalancer", "ingress"])
        .and_then(Value::as_array)
        .and_then(|list| list.first())
        .and_then(|first| {
            ip(
                first.get("ip"),
                &object,
                "status.loadBalancer.ingress[0].ip",
                warnings,
            )
        });
    Service {
        namespace: str_at(item, &["metadata", "namespace"]),
        uid: str_at(item, &["metadata", "uid"]),
        service_type,
        cluster_ip: ip(spec.get("clusterIP"), &object, "spec.clusterIP", warnings),
        ports,
        selector: map_at(&spec, &["selector"]),
        external_traffic_policy: policy,
        health_check_node_port: spec.get("healthCheckNodePort").and_then(port_number),
        session_affinity: spec
            .get("sessionAffinity")
            .and_then(Value::as_str)
            .map(str::to_owned),
        load_balancer_source_ranges: spec
            .get("loadBalancerSourceRanges")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        annotations: map_at(item, &["metadata", "annotations"]),
        ingress_ip,
        load_balancer_ip: ip(
            spec.get("loadBalancerIP"),
            &object,
            "spec.loadBalancerIP",
            warnings,
        ),
        name,
    }
}

fn pod(item: &Value, warnings: &mut Vec<Warning>) -> Pod {
    let name = name_of(item);
    let object = format!("Pod {name}");
    let containers = at(item, &["spec", "containers"])
        .and_then(Value::as_array)
        .unwrap_or_default();
    let container_ports = containers
        .iter()
        .flat_map(|c| c.get("ports").and_then(Value::as_array).unwrap_or_default())
        .filter_map(|p| {
            let container_port = p.get("containerPort").and_then(port_number)?;
            // Named ports are what NetworkPolicy's `port: http` refers to (NP 8).
            let protocol = match p.get("protocol").and_then(Value::as_str) {
                Some("UDP") => PolicyProtocol::Udp,
                Some("SCTP") => PolicyProtocol::Sctp,
                _ => PolicyProtocol::Tcp,
            };
            Some(ContainerPort {
                container_port,
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                protocol,
            })
        })
        .collect();
    let ready = at(item, &["status", "conditions"])
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
    Pod {
        namespace: str_at(item, &["metadata", "namespace"]),
        labels: map_at(item, &["metadata", "labels"]),
        ip: ip(
            at(item, &["status", "podIP"]),
            &object,
            "status.podIP",
            warnings,
        ),
        node: str_at(item, &["spec", "nodeName"]).unwrap_or_default(),
        ready,
        container_ports,
        image: containers
            .first()
            .and_then(|c| c.get("image"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        name,
    }
}
