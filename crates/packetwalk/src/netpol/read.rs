//! NetworkPolicy and Namespace objects from kubectl JSON (one object, a `List`, or an
//! array), as the API server returns them or as people write them for `kubectl apply`,
//! with the server's defaults filled in (NP 2, NP 8); and a policy written back as kubectl
//! JSON. What the API server would refuse is kept out with a warning naming the policy
//! and field.

use super::{
    LabelSelector, Namespace, NetworkPolicy, Operator, Peer, PolicyDirection, PolicyPort,
    PolicyProtocol, PolicyRule, PortRef, Requirement, NAME_LABEL,
};
use crate::import::{decimal, Imported};
use crate::json::Value;
use crate::model::Warning;
use ipnet::IpNet;
use std::collections::BTreeMap;

fn items(doc: &Value) -> Vec<&Value> {
    match doc {
        Value::Array(items) => items.iter().collect(),
        _ => match doc.get("items").and_then(Value::as_array) {
            Some(items) => items.iter().collect(),
            None => vec![doc],
        },
    }
}

fn kind_is(item: &Value, kind: &str) -> bool {
    item.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case(kind))
}

fn meta<'v>(item: &'v Value, key: &str) -> Option<&'v str> {
    item.get("metadata")?.get(key)?.as_str()
}

/// The NetworkPolicy objects in `doc`; other kinds are left to their own readers.
pub fn policies_from_value(doc: &Value) -> Imported<Vec<NetworkPolicy>> {
    let mut warnings = Vec::new();
    let value = items(doc)
        .into_iter()
        .filter(|item| kind_is(item, "NetworkPolicy"))
        .filter_map(|item| policy(item, &mut warnings))
        .collect();
    Imported { value, warnings }
}

/// The Namespace objects in `doc`, each with its `kubernetes.io/metadata.name` label.
pub fn namespaces_from_value(doc: &Value) -> Vec<Namespace> {
    items(doc)
        .into_iter()
        .filter(|item| kind_is(item, "Namespace"))
        .map(|item| {
            let name = meta(item, "name").unwrap_or_default().to_owned();
            let mut labels = string_map(item.get("metadata").and_then(|m| m.get("labels")));
            labels
                .entry(NAME_LABEL.to_owned())
                .or_insert_with(|| name.clone());
            Namespace { name, labels }
        })
        .collect()
}

/// The API server refuses a policy with any of these problems, so such a policy does not
/// exist in the cluster, and it is left out here too, with a warning for each problem.
struct Ctx<'w> {
    object: String,
    warnings: &'w mut Vec<Warning>,
    refused: bool,
}

impl Ctx<'_> {
    fn warn(&mut self, field: String, value: Option<String>, problem: &str) {
        self.refused = true;
        self.warnings.push(Warning {
            object: self.object.clone(),
            field: Some(field),
            value,
            message: format!("{problem}; the API server refuses such a policy, so it is left out"),
        });
    }
}

fn policy(item: &Value, warnings: &mut Vec<Warning>) -> Option<NetworkPolicy> {
    let name = meta(item, "name").unwrap_or_default().to_owned();
    // `kubectl apply` without a namespace puts the object in `default`.
    let namespace = meta(item, "namespace").unwrap_or("default").to_owned();
    let mut ctx = Ctx {
        object: format!("NetworkPolicy {namespace}/{name}"),
        warnings,
        refused: false,
    };
    let spec = item.get("spec");
    let field = |key: &str| spec.and_then(|s| s.get(key)).filter(|v| !v.is_null());
    let pod_selector = selector(field("podSelector"), "spec.podSelector", &mut ctx);
    let ingress = rules(field("ingress"), "spec.ingress", "from", &mut ctx);
    let egress = rules(field("egress"), "spec.egress", "to", &mut ctx);
    let policy_types = match field("policyTypes").and_then(Value::as_array) {
        Some(types) => {
            let mut read = Vec::new();
            for (i, t) in types.iter().enumerate() {
                match t.as_str() {
                    Some("Ingress") => read.push(PolicyDirection::Ingress),
                    Some("Egress") => read.push(PolicyDirection::Egress),
                    other => ctx.warn(
                        format!("spec.policyTypes[{i}]"),
                        other.map(str::to_owned),
                        "not Ingress or Egress",
                    ),
                }
            }
            read
        }
        // NP 2: every policy affects ingress; egress when it has an egress section.
        None if field("egress").is_some() => {
            vec![PolicyDirection::Ingress, PolicyDirection::Egress]
        }
        None => vec![PolicyDirection::Ingress],
    };
    (!ctx.refused).then_some(NetworkPolicy {
        name,
        namespace,
        pod_selector,
        policy_types,
        ingress,
        egress,
    })
}

fn rules(v: Option<&Value>, at: &str, peers_key: &str, ctx: &mut Ctx<'_>) -> Vec<PolicyRule> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .map(|(i, rule)| {
            let at = format!("{at}[{i}]");
            let peers = rule
                .get(peers_key)
                .and_then(Value::as_array)
                .map(|peers| {
                    peers
                        .iter()
                        .enumerate()
                        .filter_map(|(j, p)| peer(p, &format!("{at}.{peers_key}[{j}]"), ctx))
                        .collect()
                })
                .unwrap_or_default();
            let ports = rule
                .get("ports")
                .and_then(Value::as_array)
                .map(|ports| {
                    ports
                        .iter()
                        .enumerate()
                        .filter_map(|(j, p)| port(p, &format!("{at}.ports[{j}]"), ctx))
                        .collect()
                })
                .unwrap_or_default();
            PolicyRule { peers, ports }
        })
        .collect()
}

fn peer(v: &Value, at: &str, ctx: &mut Ctx<'_>) -> Option<Peer> {
    let present = |key: &str| v.get(key).filter(|x| !x.is_null());
    if let Some(block) = present("ipBlock") {
        if present("podSelector").is_some() || present("namespaceSelector").is_some() {
            ctx.warn(
                at.to_owned(),
                None,
                "ipBlock with a pod or namespace selector in one peer",
            );
            return None;
        }
        let cidr_text = block
            .get("cidr")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Ok(cidr) = cidr_text.parse::<IpNet>() else {
            ctx.warn(
                format!("{at}.ipBlock.cidr"),
                Some(cidr_text.to_owned()),
                "not a CIDR prefix",
            );
            return None;
        };
        let mut except = Vec::new();
        for (k, e) in block
            .get("except")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let text = e.as_str().unwrap_or_default();
            match text.parse::<IpNet>() {
                Ok(net) if cidr.contains(&net) => except.push(net),
                _ => ctx.warn(
                    format!("{at}.ipBlock.except[{k}]"),
                    Some(text.to_owned()),
                    "not a CIDR prefix inside the block's cidr",
                ),
            }
        }
        return Some(Peer::IpBlock { cidr, except });
    }
    let pod_selector =
        present("podSelector").map(|s| selector(Some(s), &format!("{at}.podSelector"), ctx));
    let namespace_selector = present("namespaceSelector")
        .map(|s| selector(Some(s), &format!("{at}.namespaceSelector"), ctx));
    if pod_selector.is_none() && namespace_selector.is_none() {
        ctx.warn(
            at.to_owned(),
            None,
            "a peer with no podSelector, namespaceSelector or ipBlock",
        );
        return None;
    }
    Some(Peer::Pods {
        pod_selector,
        namespace_selector,
    })
}

fn port(v: &Value, at: &str, ctx: &mut Ctx<'_>) -> Option<PolicyPort> {
    // NP 8: the protocol defaults to TCP.
    let protocol = match v.get("protocol").and_then(Value::as_str) {
        None => PolicyProtocol::Tcp,
        Some("TCP") => PolicyProtocol::Tcp,
        Some("UDP") => PolicyProtocol::Udp,
        Some("SCTP") => PolicyProtocol::Sctp,
        Some(other) => {
            ctx.warn(
                format!("{at}.protocol"),
                Some(other.to_owned()),
                "not TCP, UDP or SCTP",
            );
            return None;
        }
    };
    let port = match v.get("port") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.fract() == 0.0 && (1.0..=65535.0).contains(n) => {
            Some(PortRef::Number(*n as u16))
        }
        Some(Value::String(name)) if !name.is_empty() => match name.parse::<u16>() {
            Ok(n) if n > 0 => Some(PortRef::Number(n)),
            _ => Some(PortRef::Name(name.clone())),
        },
        Some(other) => {
            let shown = match other {
                Value::Number(n) => decimal(*n),
                other => other.kind().to_owned(),
            };
            ctx.warn(
                format!("{at}.port"),
                Some(shown),
                "not a port number from 1 to 65535 or a port name",
            );
            return None;
        }
    };
    let end_port = match v.get("endPort") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.fract() == 0.0 && (1.0..=65535.0).contains(n) => {
            let end = *n as u16;
            match &port {
                Some(PortRef::Number(start)) if end >= *start => Some(end),
                _ => {
                    ctx.warn(
                        format!("{at}.endPort"),
                        Some(end.to_string()),
                        "endPort needs a numeric port no greater than it",
                    );
                    return None;
                }
            }
        }
        Some(_) => {
            ctx.warn(format!("{at}.endPort"), None, "not a port number");
            return None;
        }
    };
    Some(PolicyPort {
        protocol,
        port,
        end_port,
    })
}

fn selector(v: Option<&Value>, at: &str, ctx: &mut Ctx<'_>) -> LabelSelector {
    let Some(v) = v else {
        return LabelSelector::default();
    };
    let match_labels = string_map(v.get("matchLabels"));
    let mut match_expressions = Vec::new();
    for (i, e) in v
        .get("matchExpressions")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let values: Vec<String> = e
            .get("values")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let operator = match e.get("operator").and_then(Value::as_str) {
            Some("In") => Operator::In,
            Some("NotIn") => Operator::NotIn,
            Some("Exists") => Operator::Exists,
            Some("DoesNotExist") => Operator::DoesNotExist,
            other => {
                ctx.warn(
                    format!("{at}.matchExpressions[{i}].operator"),
                    other.map(str::to_owned),
                    "not In, NotIn, Exists or DoesNotExist",
                );
                continue;
            }
        };
        let needs_values = matches!(operator, Operator::In | Operator::NotIn);
        if needs_values == values.is_empty() {
            ctx.warn(
                format!("{at}.matchExpressions[{i}].values"),
                None,
                if needs_values {
                    "In and NotIn need values"
                } else {
                    "Exists and DoesNotExist take no values"
                },
            );
            continue;
        }
        match_expressions.push(Requirement {
            key,
            operator,
            values,
        });
    }
    LabelSelector {
        match_labels,
        match_expressions,
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect()
}

/// A policy as kubectl JSON, with its defaults written out.
pub fn policy_to_value(policy: &NetworkPolicy) -> Value {
    let text = |s: &str| Value::String(s.to_owned());
    let obj = |members: Vec<(&str, Value)>| {
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    };
    let selector_value = |s: &LabelSelector| {
        let mut members = Vec::new();
        if !s.match_labels.is_empty() {
            members.push((
                "matchLabels",
                Value::Object(
                    s.match_labels
                        .iter()
                        .map(|(k, v)| (k.clone(), text(v)))
                        .collect(),
                ),
            ));
        }
        if !s.match_expressions.is_empty() {
            let list = s
                .match_expressions
                .iter()
                .map(|r| {
                    let mut m = vec![
                        ("key", text(&r.key)),
                        ("operator", text(r.operator.as_str())),
                    ];
                    if !r.values.is_empty() {
                        m.push((
                            "values",
                            Value::Array(r.values.iter().map(|v| text(v)).collect()),
                        ));
                    }
                    obj(m)
                })
                .collect();
            members.push(("matchExpressions", Value::Array(list)));
        }
        obj(members)
    };
    let rule_value = |rule: &PolicyRule, peers_key: &str| {
        let mut m = Vec::new();
        if !rule.peers.is_empty() {
            let peers = rule
                .peers
                .iter()
                .map(|p| match p {
                    Peer::IpBlock { cidr, except } => {
                        let mut b = vec![("cidr", text(&cidr.to_string()))];
                        if !except.is_empty() {
                            b.push((
                                "except",
                                Value::Array(except.iter().map(|e| text(&e.to_string())).collect()),
                            ));
                        }
                        obj(vec![("ipBlock", obj(b))])
                    }
                    Peer::Pods {
                        pod_selector,
                        namespace_selector,
                    } => {
                        let mut b = Vec::new();
                        if let Some(s) = namespace_selector {
                            b.push(("namespaceSelector", selector_value(s)));
                        }
                        if let Some(s) = pod_selector {
                            b.push(("podSelector", selector_value(s)));
                        }
                        obj(b)
                    }
                })
                .collect();
            m.push((peers_key, Value::Array(peers)));
        }
        if !rule.ports.is_empty() {
            let ports = rule
                .ports
                .iter()
                .map(|p| {
                    let mut b = vec![("protocol", text(p.protocol.as_str()))];
                    match &p.port {
                        Some(PortRef::Number(n)) => b.push(("port", Value::Number(f64::from(*n)))),
                        Some(PortRef::Name(name)) => b.push(("port", text(name))),
                        None => {}
                    }
                    if let Some(end) = p.end_port {
                        b.push(("endPort", Value::Number(f64::from(end))));
                    }
                    obj(b)
                })
                .collect();
            m.push(("ports", Value::Array(ports)));
        }
        obj(m)
    };
    let mut spec = vec![("podSelector", selector_value(&policy.pod_selector))];
    spec.push((
        "policyTypes",
        Value::Array(
            policy
                .policy_types
                .iter()
                .map(|t| text(t.as_str()))
                .collect(),
        ),
    ));
    if !policy.ingress.is_empty() {
        spec.push((
            "ingress",
            Value::Array(
                policy
                    .ingress
                    .iter()
                    .map(|r| rule_value(r, "from"))
                    .collect(),
            ),
        ));
    }
    if !policy.egress.is_empty() {
        spec.push((
            "egress",
            Value::Array(policy.egress.iter().map(|r| rule_value(r, "to")).collect()),
        ));
    }
    obj(vec![
        ("apiVersion", text("networking.k8s.io/v1")),
        ("kind", text("NetworkPolicy")),
        (
            "metadata",
            obj(vec![
                ("name", text(&policy.name)),
                ("namespace", text(&policy.namespace)),
            ]),
        ),
        ("spec", obj(spec)),
    ])
}
