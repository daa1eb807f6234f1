//! The Kubernetes objects of `kubectl get nodes,pods,services,endpointslices -A -o json`.
//! Pods and Services are read by `crate::kubernetes` (one object at a time, so that a
//! warning can name its namespace); this adds what the scenario needs beyond them:
//! nodes, host-network pods, named container ports, `loadBalancerIP`, EndpointSlices.

use super::arm::{ip_text, net_text};
use super::Notes;
use crate::json::Value;
use crate::kubernetes::import_kubernetes;
use crate::scenario::{Pod, Service};
use ipnet::IpNet;
use std::net::IpAddr;

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn items<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path).and_then(Value::as_array).unwrap_or_default()
}

/// `namespace/name`, as kubectl names an object.
pub(super) fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct KubeNode {
    /// The document it is from.
    pub(super) doc: String,
    pub(super) name: String,
    pub(super) internal_ip: Option<IpAddr>,
    /// The `agentpool` label.
    pub(super) pool: Option<String>,
    /// `spec.providerID` without `azure://`: the VM's resource id.
    pub(super) vm_id: Option<String>,
    pub(super) pod_cidr: Option<IpNet>,
}

pub(super) fn node(v: &Value, notes: &mut Notes) -> KubeNode {
    let name = str_at(v, &["metadata", "name"])
        .unwrap_or_default()
        .to_owned();
    let object = format!("Node {name}");
    let internal_ip = items(v, &["status", "addresses"])
        .iter()
        .find(|a| a.get("type").and_then(Value::as_str) == Some("InternalIP"))
        .and_then(|a| a.get("address").and_then(Value::as_str))
        .and_then(|text| {
            let parsed = ip_text(text);
            if parsed.is_none() {
                notes.warn(
                    &object,
                    "status.addresses[InternalIP]",
                    text,
                    "not an IP address; ignored",
                );
            }
            parsed
        });
    let pool = ["agentpool", "kubernetes.azure.com/agentpool"]
        .iter()
        .find_map(|label| str_at(v, &["metadata", "labels", label]))
        .map(str::to_owned);
    let vm_id = str_at(v, &["spec", "providerID"]).map(|p| {
        let id = p.strip_prefix("azure://").unwrap_or(p);
        id.to_owned()
    });
    let pod_cidr = str_at(v, &["spec", "podCIDR"]).and_then(|text| {
        let parsed = net_text(text);
        if parsed.is_none() {
            notes.warn(&object, "spec.podCIDR", text, "not a CIDR prefix; ignored");
        }
        parsed
    });
    KubeNode {
        doc: notes.document.clone(),
        name,
        internal_ip,
        pool,
        vm_id,
        pod_cidr,
    }
}

/// A Pod or Service as `crate::kubernetes` reads it. Items of a typed list have no
/// `kind`; it is put back so that reader takes them.
fn with_kind(v: &Value, kind: &str) -> Value {
    match v {
        Value::Object(members) if v.get("kind").is_none() => {
            let mut members = members.clone();
            members.push(("kind".to_owned(), Value::String(kind.to_owned())));
            Value::Object(members)
        }
        other => other.clone(),
    }
}

/// Warnings of `crate::kubernetes` say `Service web`; these say `Service shop/web`.
fn requalify(notes: &mut Notes, warnings: Vec<crate::model::Warning>, from: &str, to: &str) {
    for mut w in warnings {
        if let Some(rest) = w.object.strip_prefix(from) {
            w.object = format!("{to}{rest}");
        }
        notes.push(w);
    }
}

#[derive(Clone, Debug)]
pub(super) struct KubePod {
    pub(super) doc: String,
    pub(super) pod: Pod,
    pub(super) host_network: bool,
    /// Named container ports (`https` -> 4443), which a Service's `targetPort` may name.
    pub(super) named_ports: Vec<(String, u16)>,
}

pub(super) fn pod(v: &Value, notes: &mut Notes) -> Option<KubePod> {
    let imported = import_kubernetes(&with_kind(v, "Pod")).ok()?;
    let mut pod = imported.value.pods.into_iter().next()?;
    let shown = qualified(pod.namespace.as_deref(), &pod.name);
    requalify(
        notes,
        imported.warnings,
        &format!("Pod {}", pod.name),
        &format!("Pod {shown}"),
    );
    let host_network = at(v, &["spec", "hostNetwork"]) == Some(&Value::Bool(true));
    if host_network {
        // Its address is its node's: a packet from that address is the node's own.
        pod.ip = None;
    }
    let named_ports = items(v, &["spec", "containers"])
        .iter()
        .flat_map(|c| c.get("ports").and_then(Value::as_array).unwrap_or_default())
        .filter_map(|p| {
            let name = p.get("name").and_then(Value::as_str)?;
            let port = p.get("containerPort").and_then(super::arm::port_value)?;
            Some((name.to_owned(), port))
        })
        .collect();
    Some(KubePod {
        doc: notes.document.clone(),
        pod,
        host_network,
        named_ports,
    })
}

#[derive(Clone, Debug)]
pub(super) struct NamedTarget {
    /// Its index in `spec.ports`, for messages.
    pub(super) index: usize,
    pub(super) port: Option<u16>,
    pub(super) port_name: Option<String>,
    pub(super) target: String,
}

#[derive(Clone, Debug)]
pub(super) struct KubeService {
    pub(super) doc: String,
    pub(super) service: Service,
    /// The ports whose `targetPort` names a container port.
    pub(super) named_target_ports: Vec<NamedTarget>,
    /// `spec.loadBalancerIP` (deprecated) or the `azure-load-balancer-ipv4` annotation.
    pub(super) requested_ip: Option<IpAddr>,
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
pub(super) const ANNOTATION_PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
pub(super) const ANNOTATION_IPV4: &str = "service.beta.kubernetes.io/azure-load-balancer-ipv4";

pub(super) fn service(v: &Value, notes: &mut Notes) -> Option<KubeService> {
    let imported = import_kubernetes(&with_kind(v, "Service")).ok()?;
    let mut service = imported.value.services.into_iter().next()?;
    // kubectl's copy of the applied manifest: long, and nothing the path depends on.
    service.annotations.remove(LAST_APPLIED);
    let shown = qualified(service.namespace.as_deref(), &service.name);
    let object = format!("Service {shown}");
    // Named target ports are resolved below; the reader's warning about them is not the
    // last word.
    let warnings = imported
        .warnings
        .into_iter()
        .filter(|w| {
            !w.field
                .as_deref()
                .is_some_and(|f| f.starts_with("spec.ports[") && f.ends_with("].targetPort"))
                || w.value.is_none()
        })
        .collect();
    requalify(
        notes,
        warnings,
        &format!("Service {}", service.name),
        &object,
    );
    let named_target_ports = items(v, &["spec", "ports"])
        .iter()
        .enumerate()
        .filter_map(|(index, p)| {
            let target = p.get("targetPort").and_then(Value::as_str)?;
            target.trim().parse::<u16>().is_err().then(|| NamedTarget {
                index,
                port: p.get("port").and_then(super::arm::port_value),
                port_name: p.get("name").and_then(Value::as_str).map(str::to_owned),
                target: target.to_owned(),
            })
        })
        .collect();
    let requested = str_at(v, &["spec", "loadBalancerIP"])
        .map(|t| (t, "spec.loadBalancerIP"))
        .or_else(|| {
            service
                .annotations
                .get(ANNOTATION_IPV4)
                .map(|t| (t.as_str(), ANNOTATION_IPV4))
        });
    let requested_ip = requested.and_then(|(text, field)| {
        let parsed = ip_text(text);
        if parsed.is_none() {
            notes.warn(&object, field, text, "not an IP address; ignored");
        }
        parsed
    });
    Some(KubeService {
        doc: notes.document.clone(),
        service,
        named_target_ports,
        requested_ip,
    })
}

#[derive(Clone, Debug, Default)]
pub(super) struct Slice {
    pub(super) name: String,
    pub(super) namespace: Option<String>,
    /// The `kubernetes.io/service-name` label.
    pub(super) service: Option<String>,
    pub(super) ports: Vec<(Option<String>, u16)>,
    pub(super) endpoints: Vec<Endpoint>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Endpoint {
    pub(super) addresses: Vec<IpAddr>,
    pub(super) ready: bool,
    pub(super) node: Option<String>,
    /// The Pod it is, `(namespace, name)`.
    pub(super) pod: Option<(Option<String>, String)>,
}

pub(super) fn endpoint_slice(v: &Value, notes: &mut Notes) -> Slice {
    let name = str_at(v, &["metadata", "name"])
        .unwrap_or_default()
        .to_owned();
    let namespace = str_at(v, &["metadata", "namespace"]).map(str::to_owned);
    let object = format!("EndpointSlice {}", qualified(namespace.as_deref(), &name));
    let ports = items(v, &["ports"])
        .iter()
        .filter_map(|p| {
            let port = p.get("port").and_then(super::arm::port_value)?;
            Some((
                p.get("name").and_then(Value::as_str).map(str::to_owned),
                port,
            ))
        })
        .collect();
    let endpoints = items(v, &["endpoints"])
        .iter()
        .map(|e| {
            let addresses = e
                .get("addresses")
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(|a| {
                    let text = a.as_str()?;
                    let parsed = ip_text(text);
                    if parsed.is_none() {
                        notes.warn(
                            &object,
                            "endpoints[].addresses",
                            text,
                            "not an IP address; ignored",
                        );
                    }
                    parsed
                })
                .collect();
            // A missing `ready` means ready (the EndpointSlice API's rule).
            let ready = at(e, &["conditions", "ready"]) != Some(&Value::Bool(false));
            let pod = at(e, &["targetRef"])
                .filter(|r| r.get("kind").and_then(Value::as_str) == Some("Pod"))
                .and_then(|r| {
                    let name = str_at(r, &["name"])?;
                    Some((
                        str_at(r, &["namespace"]).map(str::to_owned),
                        name.to_owned(),
                    ))
                });
            Endpoint {
                addresses,
                ready,
                node: str_at(e, &["nodeName"]).map(str::to_owned),
                pod,
            }
        })
        .collect();
    Slice {
        service: str_at(v, &["metadata", "labels", "kubernetes.io/service-name"])
            .map(str::to_owned),
        name,
        namespace,
        ports,
        endpoints,
    }
}
