//! What a document holds, by its content (never its file name): every Azure resource and
//! Kubernetes object in it, however it is wrapped (a single object, a list, `{"value":
//! […]}`, a kubectl `List` or a typed `ServiceList`, an ARM template's `resources`,
//! Resource Graph's `data`, a one-member wrapper such as `{"publicIp": {…}}`).

use super::arm::{id_type, prop, MAX_DEPTH};
use crate::json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Aks,
    Vnet,
    Subnet,
    Nsg,
    /// A security rule outside an NSG (`az network nsg rule list`).
    SecurityRule,
    LoadBalancer,
    PublicIp,
    Nic,
    Node,
    Pod,
    Service,
    EndpointSlice,
    /// A Kubernetes object of another kind (the import does not use it).
    OtherKube(String),
    /// An Azure resource of another type.
    OtherAzure(String),
}

impl Kind {
    /// How a message names what was found.
    pub(super) fn word(&self) -> String {
        match self {
            Kind::Aks => "AKS cluster".to_owned(),
            Kind::Vnet => "virtual network".to_owned(),
            Kind::Subnet => "subnet".to_owned(),
            Kind::Nsg => "NSG".to_owned(),
            Kind::SecurityRule => "security rule".to_owned(),
            Kind::LoadBalancer => "load balancer".to_owned(),
            Kind::PublicIp => "public IP".to_owned(),
            Kind::Nic => "network interface".to_owned(),
            Kind::Node => "Node".to_owned(),
            Kind::Pod => "Pod".to_owned(),
            Kind::Service => "Service".to_owned(),
            Kind::EndpointSlice => "EndpointSlice".to_owned(),
            Kind::OtherKube(kind) => kind.clone(),
            Kind::OtherAzure(t) => t.clone(),
        }
    }
}

/// One object found in a document. A Kubernetes object that came without its `kind` (an
/// item of a typed list) carries the kind its list gives.
#[derive(Clone, Debug)]
pub(super) struct Found<'v> {
    pub(super) kind: Kind,
    pub(super) value: &'v Value,
}

/// Everything recognisable in `doc`; `empty_lists` counts kubectl `List`s without items
/// (a recognised document with nothing in it).
pub(super) fn recognise(doc: &Value) -> (Vec<Found<'_>>, usize) {
    let mut found = Vec::new();
    let mut empty_lists = 0;
    walk(doc, 0, &mut found, &mut empty_lists);
    (found, empty_lists)
}

fn walk<'v>(v: &'v Value, depth: usize, found: &mut Vec<Found<'v>>, empty: &mut usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                walk(item, depth + 1, found, empty);
            }
        }
        Value::Object(members) => {
            if let Some(kind) = kube_kind(v) {
                kube(v, kind, found, empty);
                return;
            }
            if let Some(kind) = azure_kind(v) {
                found.push(Found { kind, value: v });
                return;
            }
            for wrapper in ["value", "resources", "data"] {
                if let Some(items) = v.get(wrapper).and_then(Value::as_array) {
                    for item in items {
                        walk(item, depth + 1, found, empty);
                    }
                    return;
                }
            }
            if let [(_, inner)] = members.as_slice() {
                walk(inner, depth + 1, found, empty);
            }
        }
        _ => {}
    }
}

/// A Kubernetes object or list: a string `kind` with `apiVersion`, `metadata` or `items`.
fn kube_kind(v: &Value) -> Option<&str> {
    let kind = v.get("kind").and_then(Value::as_str)?;
    let typed = v.get("apiVersion").is_some_and(|a| a.as_str().is_some())
        || v.get("metadata").is_some_and(|m| m.as_object().is_some())
        || v.get("items").is_some_and(|i| i.as_array().is_some());
    // ARM resources may have a `kind` too, but never Kubernetes' `metadata` object; an
    // ARM template resource has `apiVersion` and `type`.
    (typed
        && v.get("type")
            .and_then(Value::as_str)
            .is_none_or(|t| !t.contains('/')))
    .then_some(kind)
}

fn kube<'v>(v: &'v Value, kind: &str, found: &mut Vec<Found<'v>>, empty: &mut usize) {
    let Some(items) = v.get("items").and_then(Value::as_array) else {
        found.push(Found {
            kind: kube_kind_of(kind),
            value: v,
        });
        return;
    };
    if items.is_empty() {
        *empty += 1;
    }
    // `kubectl get` prints a `List` whose items carry their kind; the API's typed lists
    // (`ServiceList`) leave it out of the items.
    let default = kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .unwrap_or_default();
    for item in items {
        let kind = item.get("kind").and_then(Value::as_str).unwrap_or(default);
        if item.as_object().is_none() {
            continue;
        }
        found.push(Found {
            kind: kube_kind_of(kind),
            value: item,
        });
    }
}

fn kube_kind_of(kind: &str) -> Kind {
    match kind {
        k if k.eq_ignore_ascii_case("Node") => Kind::Node,
        k if k.eq_ignore_ascii_case("Pod") => Kind::Pod,
        k if k.eq_ignore_ascii_case("Service") => Kind::Service,
        k if k.eq_ignore_ascii_case("EndpointSlice") => Kind::EndpointSlice,
        "" => Kind::OtherKube("object without a kind".to_owned()),
        other => Kind::OtherKube(other.to_owned()),
    }
}

/// An Azure resource, by its `type`, else the type its `id` names, else its members.
fn azure_kind(v: &Value) -> Option<Kind> {
    let declared = v
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| t.contains('/'))
        .map(str::to_owned);
    let from_id = || {
        v.get("id")
            .and_then(Value::as_str)
            .and_then(id_type)
            // A resource's own id has members beside it; a bare reference does not.
            .filter(|_| v.as_object().is_some_and(|m| m.len() > 2))
    };
    if let Some(t) = declared.or_else(from_id) {
        return Some(by_type(&t));
    }
    by_members(v)
}

fn by_type(t: &str) -> Kind {
    let lower = t.to_ascii_lowercase();
    let ends = |suffix: &str| lower.ends_with(suffix);
    if ends("microsoft.containerservice/managedclusters") {
        Kind::Aks
    } else if ends("/virtualnetworks/subnets") {
        Kind::Subnet
    } else if ends("microsoft.network/virtualnetworks") {
        Kind::Vnet
    } else if ends("/networksecuritygroups") {
        Kind::Nsg
    } else if ends("/securityrules") || ends("/defaultsecurityrules") {
        Kind::SecurityRule
    } else if ends("microsoft.network/loadbalancers") {
        Kind::LoadBalancer
    } else if ends("microsoft.network/publicipaddresses") {
        Kind::PublicIp
    } else if ends("/networkinterfaces") {
        Kind::Nic
    } else {
        Kind::OtherAzure(t.to_owned())
    }
}

/// Documents without a `type` (a REST list of scale-set NICs, a hand-cut excerpt): the
/// members only one kind of resource has.
fn by_members(v: &Value) -> Option<Kind> {
    let has = |key: &str| prop(v, key).is_some();
    if has("agentPoolProfiles") {
        Some(Kind::Aks)
    } else if has("securityRules") || has("defaultSecurityRules") {
        Some(Kind::Nsg)
    } else if has("direction") && has("access") {
        Some(Kind::SecurityRule)
    } else if has("frontendIPConfigurations") {
        Some(Kind::LoadBalancer)
    } else if has("addressSpace") && has("subnets") {
        Some(Kind::Vnet)
    } else if has("publicIPAllocationMethod") || has("publicIPAddressVersion") {
        Some(Kind::PublicIp)
    } else if super::arm::list(v, "ipConfigurations")
        .iter()
        .any(|c| prop(c, "privateIPAddress").is_some())
    {
        Some(Kind::Nic)
    } else if (has("addressPrefix") || has("addressPrefixes")) && !has("nextHopType") {
        Some(Kind::Subnet)
    } else {
        None
    }
}
