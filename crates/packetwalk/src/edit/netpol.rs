//! NetworkPolicy edits: the engine that enforces them, a policy put (added, or replacing
//! the one of the same namespace and name) as kubectl JSON or removed, and a namespace's
//! labels (docs/network-policy.md).
//!
//! A policy is read by the same reader as a scenario's and an import's
//! (`netpol::policies_from_value`), after a strict check of the document's shape that
//! `kubectl apply` makes too: unknown fields (a typo such as `ingres` would otherwise
//! leave a policy that allows nothing), members of the wrong type, names and labels the
//! API server refuses. Every problem names the policy and the field.

use std::collections::BTreeMap;

use crate::json::Value;
use crate::model::Warning;
use crate::netpol::{
    policies_from_value, policy_to_value, LabelSelector, Namespace, NetworkPolicy, Peer,
    PolicyDirection, PolicyEngine, PolicyPort, PolicyRule, PortRef, NAME_LABEL,
};
use crate::scenario::Scenario;

use super::{Applied, Refused};

/// A policy's namespace and name: `shop/allow-office`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyName {
    pub namespace: String,
    pub name: String,
}

impl PolicyName {
    pub fn of(policy: &NetworkPolicy) -> PolicyName {
        PolicyName {
            namespace: policy.namespace.clone(),
            name: policy.name.clone(),
        }
    }

    /// `namespace/name`; a name alone is in `default`, as `kubectl apply` places it.
    pub fn parse(text: &str) -> Option<PolicyName> {
        let (namespace, name) = text.split_once('/').unwrap_or(("default", text));
        (!name.is_empty() && !namespace.is_empty() && !name.contains('/')).then(|| PolicyName {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    fn matches(&self, policy: &NetworkPolicy) -> bool {
        policy.namespace == self.namespace && policy.name == self.name
    }
}

impl std::fmt::Display for PolicyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The name in a policy document, if it has one (for a description of the edit).
pub(super) fn document_name(doc: &Value) -> Option<PolicyName> {
    let meta = doc.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let namespace = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    Some(PolicyName {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    })
}

/// What an edit keeps of a policy document: what `kubectl apply` would send (its kind,
/// name, namespace, labels and spec), so that a policy copied from `kubectl get -o json`
/// does not carry its status, managed fields and last-applied annotation into a link.
pub fn policy_document(doc: &Value) -> Value {
    let Value::Object(members) = doc else {
        return doc.clone();
    };
    let mut kept = Vec::new();
    for (key, value) in members {
        match key.as_str() {
            "metadata" => {
                let meta: Vec<(String, Value)> = value
                    .as_object()
                    .unwrap_or_default()
                    .iter()
                    .filter(|(k, _)| matches!(k.as_str(), "name" | "namespace" | "labels"))
                    .cloned()
                    .collect();
                kept.push((key.clone(), Value::Object(meta)));
            }
            "status" => {}
            _ => kept.push((key.clone(), value.clone())),
        }
    }
    Value::Object(kept)
}

fn problem(object: &str, field: &str, value: Option<String>, message: &str) -> Warning {
    Warning {
        object: object.to_owned(),
        field: (!field.is_empty()).then(|| field.to_owned()),
        value,
        message: message.to_owned(),
    }
}

/// `kubernetes.io/metadata.name` is set by the API server; a name is a DNS label there.
fn dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A DNS subdomain: DNS labels joined by dots, up to 253 characters (a policy's name).
fn dns_subdomain(text: &str) -> bool {
    !text.is_empty() && text.len() <= 253 && text.split('.').all(dns_label)
}

/// A label's name part or value: up to 63 characters, alphanumerics with `-`, `_` and `.`
/// inside.
fn label_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && text
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && text
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Why a label key is refused ([K8s-Labels] "Syntax and character set").
fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !dns_subdomain(p)) {
        return Some("a label key's prefix is a DNS subdomain (lower case, digits, - and .)");
    }
    (!label_name(name)).then_some(
        "a label key is up to 63 letters, digits, -, _ and ., starting and ending with a letter or digit",
    )
}

fn label_value_problem(value: &str) -> Option<&'static str> {
    (!value.is_empty() && !label_name(value)).then_some(
        "a label value is empty or up to 63 letters, digits, -, _ and ., starting and ending with a letter or digit",
    )
}

/// What a member of a policy document may be: the fields `kubectl apply` knows, as a
/// tree the checker walks (one walker, the shape as data, keeps the page small).
enum Form {
    /// An object with these members and no others.
    Object(&'static [(&'static str, Form)]),
    Array(&'static Form),
    Text,
    /// A label map: keys and values as the API server takes them.
    Labels,
    /// A label key (a selector requirement's `key`).
    LabelKey,
    /// Checked by the reader (numbers or names), or not a policy's concern.
    Any,
}

const SELECTOR: Form = Form::Object(&[
    ("matchLabels", Form::Labels),
    (
        "matchExpressions",
        Form::Array(&Form::Object(&[
            ("key", Form::LabelKey),
            ("operator", Form::Text),
            ("values", Form::Array(&Form::Text)),
        ])),
    ),
]);
const PEER: Form = Form::Object(&[
    ("podSelector", SELECTOR),
    ("namespaceSelector", SELECTOR),
    (
        "ipBlock",
        Form::Object(&[("cidr", Form::Text), ("except", Form::Array(&Form::Text))]),
    ),
]);
const PORTS: Form = Form::Array(&Form::Object(&[
    ("protocol", Form::Text),
    ("port", Form::Any),
    ("endPort", Form::Any),
]));
const POLICY: Form = Form::Object(&[
    ("apiVersion", Form::Any),
    ("kind", Form::Any),
    ("metadata", Form::Any),
    (
        "spec",
        Form::Object(&[
            ("podSelector", SELECTOR),
            ("policyTypes", Form::Array(&Form::Text)),
            (
                "ingress",
                Form::Array(&Form::Object(&[
                    ("from", Form::Array(&PEER)),
                    ("ports", PORTS),
                ])),
            ),
            (
                "egress",
                Form::Array(&Form::Object(&[
                    ("to", Form::Array(&PEER)),
                    ("ports", PORTS),
                ])),
            ),
        ]),
    ),
    ("status", Form::Any),
]);

/// The problems of `v` against `form` at `at` (a null member is an absent one, as for
/// kubectl).
fn check(v: &Value, form: &Form, at: &str, object: &str, problems: &mut Vec<Warning>) {
    let mut add = |field: &str, value: Option<String>, message: String| {
        problems.push(Warning {
            object: object.to_owned(),
            field: (!field.is_empty()).then(|| field.to_owned()),
            value,
            message,
        });
    };
    let expected = |what: &str| format!("expected {what}, found {}", v.kind());
    let join = |key: &str| match at {
        "" => key.to_owned(),
        _ => format!("{at}.{key}"),
    };
    match (form, v) {
        (_, Value::Null) | (Form::Any, _) => {}
        (Form::Object(known), Value::Object(members)) => {
            for (key, value) in members {
                match known.iter().find(|(k, _)| k == key) {
                    Some((_, inner)) => check(value, inner, &join(key), object, problems),
                    None => problems.push(Warning {
                        object: object.to_owned(),
                        field: Some(join(key)),
                        value: None,
                        message: format!(
                            "unknown field (known here: {})",
                            known.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                        ),
                    }),
                }
            }
        }
        (Form::Array(inner), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(item, inner, &format!("{at}[{i}]"), object, problems);
            }
        }
        (Form::Labels, Value::Object(members)) => {
            for (key, value) in members {
                let field = join(key);
                match (label_key_problem(key), value.as_str()) {
                    (Some(message), _) => add(&field, None, message.to_owned()),
                    (None, None) => add(&field, None, "expected a string".to_owned()),
                    (None, Some(text)) => {
                        if let Some(message) = label_value_problem(text) {
                            add(&field, Some(text.to_owned()), message.to_owned());
                        }
                    }
                }
            }
        }
        (Form::Text, Value::String(_)) => {}
        (Form::LabelKey, Value::String(key)) => {
            if let Some(message) = label_key_problem(key) {
                add(at, Some(key.clone()), message.to_owned());
            }
        }
        (Form::Object(_) | Form::Labels, _) => add(at, None, expected("an object")),
        (Form::Array(_), _) => add(at, None, expected("an array")),
        (Form::Text | Form::LabelKey, _) => add(at, None, expected("a string")),
    }
}

/// The problems `kubectl apply` and the API server would find in a policy document
/// before its rules are read: its shape, kind, name and namespace.
fn shape_problems(doc: &Value, object: &str) -> Vec<Warning> {
    let mut problems = Vec::new();
    let mut add = |field: &str, value: Option<&str>, message: &str| {
        problems.push(problem(object, field, value.map(str::to_owned), message));
    };
    if doc.get("items").is_some() || doc.as_array().is_some() {
        add(
            "",
            None,
            "one NetworkPolicy object here; paste a List of them into the import panel",
        );
        return problems;
    }
    if doc.as_object().is_none() {
        add(
            "",
            None,
            &format!("expected an object, found {}", doc.kind()),
        );
        return problems;
    }
    let text = |key: &str| doc.get(key).map(Value::as_str);
    match text("kind") {
        Some(Some("NetworkPolicy")) => {}
        None => add("kind", None, "required: NetworkPolicy"),
        // Another kind of object: its fields are not a policy's, so say only that.
        Some(other) => {
            add(
                "kind",
                other,
                "not NetworkPolicy (kinds are case-sensitive)",
            );
            return problems;
        }
    }
    match text("apiVersion") {
        Some(Some("networking.k8s.io/v1")) => {}
        None => add("apiVersion", None, "required: networking.k8s.io/v1"),
        Some(other) => add("apiVersion", other, "NetworkPolicy is networking.k8s.io/v1"),
    }
    match doc.get("metadata") {
        Some(meta @ Value::Object(_)) => {
            let name = meta.get("name").map(Value::as_str);
            match name {
                None => add("metadata.name", None, "required"),
                Some(None) => add("metadata.name", None, "expected a string"),
                Some(Some(name)) if !dns_subdomain(name) => add(
                    "metadata.name",
                    Some(name),
                    "a name is lower case letters, digits, - and . (a DNS subdomain, up to 253 characters)",
                ),
                Some(Some(_)) => {}
            }
            match meta.get("namespace") {
                None | Some(Value::Null) => {}
                Some(Value::String(namespace)) if dns_label(namespace) => {}
                Some(other) => add(
                    "metadata.namespace",
                    other.as_str(),
                    "a namespace is up to 63 lower case letters, digits and -",
                ),
            }
            if let Some(labels) = meta.get("labels") {
                check(
                    labels,
                    &Form::Labels,
                    "metadata.labels",
                    object,
                    &mut problems,
                );
            }
        }
        None => add("metadata.name", None, "required"),
        Some(other) => add(
            "metadata",
            None,
            &format!("expected an object, found {}", other.kind()),
        ),
    }
    check(doc, &POLICY, "", object, &mut problems);
    problems
}

/// The editor shows the reader's problem without what an import would do about it.
fn as_refusal(mut warning: Warning) -> Warning {
    if let Some((what, _)) = warning.message.split_once("; the API server refuses") {
        warning.message = format!("{what} (the API server refuses such a policy)");
    }
    warning
}

/// A policy document read strictly: the policy, or every problem, each naming the
/// policy and the field.
pub fn read_policy(doc: &Value) -> Result<NetworkPolicy, Refused> {
    let object = match document_name(doc) {
        Some(name) => format!("NetworkPolicy {name}"),
        None => "NetworkPolicy".to_owned(),
    };
    let problems = shape_problems(doc, &object);
    if !problems.is_empty() {
        return Err(Refused { problems });
    }
    let read = policies_from_value(doc);
    if !read.warnings.is_empty() {
        return Err(Refused {
            problems: read.warnings.into_iter().map(as_refusal).collect(),
        });
    }
    read.value.into_iter().next().ok_or_else(|| Refused {
        problems: vec![problem(
            &object,
            "",
            None,
            "no NetworkPolicy in the document",
        )],
    })
}

/// A line about the engine, for a change that adds or edits policies while none
/// enforces them.
fn unenforced_note(scenario: &Scenario) -> Option<String> {
    scenario.network_policy_engine.is_none().then(|| {
        "the cluster's networkPolicy engine is none: nothing enforces NetworkPolicy until one is chosen (azure, calico or cilium)".to_owned()
    })
}

pub(super) fn set_engine(
    scenario: &mut Scenario,
    engine: PolicyEngine,
) -> Result<Applied, Refused> {
    let old = scenario.network_policy_engine;
    scenario.network_policy_engine = engine;
    let change = if old == engine {
        format!("networkPolicy is {}, as before", engine.as_str())
    } else {
        format!("networkPolicy: {} (was {})", engine.as_str(), old.as_str())
    };
    Ok(Applied {
        changes: vec![change],
        warnings: Vec::new(),
    })
}

pub(super) fn put_policy(
    scenario: &mut Scenario,
    doc: &Value,
    replaces: Option<&PolicyName>,
) -> Result<Applied, Refused> {
    let policy = read_policy(doc)?;
    let new_name = PolicyName::of(&policy);
    let policies = &mut scenario.network_policies.policies;
    let mut at = None;
    if let Some(old) = replaces {
        let Some(index) = policies.iter().position(|p| old.matches(p)) else {
            return Err(Refused {
                problems: vec![problem(
                    &format!("NetworkPolicy {old}"),
                    "",
                    None,
                    "no policy of that name (it may have been removed)",
                )],
            });
        };
        policies.remove(index);
        at = Some(index);
    }
    let same = policies.iter().position(|p| new_name.matches(p));
    let replaced_same = same.is_some();
    if let Some(index) = same {
        policies.remove(index);
        at = at.or(Some(index));
    }
    let at = at.unwrap_or(policies.len()).min(policies.len());
    policies.insert(at, policy);
    let mut changes = vec![match replaces {
        Some(old) if *old != new_name => format!("NetworkPolicy {old} replaced by {new_name}"),
        Some(_) => format!("NetworkPolicy {new_name} changed"),
        None if replaced_same => format!("NetworkPolicy {new_name} replaced"),
        None => format!("NetworkPolicy {new_name} added"),
    }];
    if matches!(replaces, Some(old) if *old != new_name) && replaced_same {
        changes.push(format!(
            "the policy {new_name} it now names was replaced too"
        ));
    }
    changes.extend(unenforced_note(scenario));
    Ok(Applied {
        changes,
        warnings: Vec::new(),
    })
}

pub(super) fn delete_policy(
    scenario: &mut Scenario,
    namespace: &str,
    name: &str,
) -> Result<Applied, Refused> {
    let target = PolicyName {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    };
    let policies = &mut scenario.network_policies.policies;
    let Some(index) = policies.iter().position(|p| target.matches(p)) else {
        return Err(Refused {
            problems: vec![problem(
                &format!("NetworkPolicy {target}"),
                "",
                None,
                "no policy of that name",
            )],
        });
    };
    policies.remove(index);
    Ok(Applied {
        changes: vec![format!("NetworkPolicy {target} removed")],
        warnings: Vec::new(),
    })
}

/// `env=prod, team=web` as labels: pairs separated by commas (or new lines), each
/// `key=value` (`key=` for an empty value). The error names the piece at fault.
pub fn labels_from_text(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for piece in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = piece.split_once('=') else {
            return Err(format!("{piece:?}: a label is key=value"));
        };
        labels.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(labels)
}

pub(super) fn put_namespace(
    scenario: &mut Scenario,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> Result<Applied, Refused> {
    let object = format!("Namespace {name}");
    let mut problems = Vec::new();
    if !dns_label(name) {
        problems.push(problem(
            &object,
            "metadata.name",
            Some(name.to_owned()),
            "a namespace is up to 63 lower case letters, digits and -",
        ));
    }
    for (key, value) in labels {
        let field = format!("metadata.labels.{key}");
        if let Some(message) = label_key_problem(key) {
            problems.push(problem(&object, &field, None, message));
        } else if let Some(message) = label_value_problem(value) {
            problems.push(problem(&object, &field, Some(value.clone()), message));
        } else if key == NAME_LABEL && value != name {
            problems.push(problem(
                &object,
                &field,
                Some(value.clone()),
                "the API server sets this label to the namespace's own name",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Refused { problems });
    }
    let mut labels = labels.clone();
    labels.insert(NAME_LABEL.to_owned(), name.to_owned());
    let shown: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != NAME_LABEL)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let change = format!(
        "Namespace {name}: labels {}",
        if shown.is_empty() {
            "none of its own".to_owned()
        } else {
            shown.join(", ")
        }
    );
    let namespace = Namespace {
        name: name.to_owned(),
        labels,
    };
    match scenario.namespaces.iter_mut().find(|n| n.name == name) {
        Some(existing) => *existing = namespace,
        None => scenario.namespaces.push(namespace),
    }
    Ok(Applied {
        changes: vec![change],
        warnings: Vec::new(),
    })
}

// ---- policies in words, and a new one to start from -------------------------------------

fn selector_text(selector: &LabelSelector) -> String {
    if selector.is_empty() {
        return "all".to_owned();
    }
    selector.terms()
}

fn peer_text(peer: &Peer) -> String {
    match peer {
        Peer::IpBlock { cidr, except } if except.is_empty() => cidr.to_string(),
        Peer::IpBlock { cidr, except } => format!(
            "{cidr} except {}",
            except
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Peer::Pods {
            pod_selector,
            namespace_selector,
        } => {
            let pods = pod_selector
                .as_ref()
                .map(|s| format!("pods {{{}}}", selector_text(s)));
            let namespaces = namespace_selector
                .as_ref()
                .map(|s| format!("namespaces {{{}}}", selector_text(s)));
            match (pods, namespaces) {
                (Some(p), Some(n)) => format!("{p} in {n}"),
                (Some(p), None) => p,
                (None, Some(n)) => n,
                (None, None) => "nobody".to_owned(),
            }
        }
    }
}

fn port_text(port: &PolicyPort) -> String {
    let protocol = port.protocol.as_str();
    match (&port.port, port.end_port) {
        (None, _) => protocol.to_owned(),
        (Some(PortRef::Number(n)), Some(end)) => format!("{protocol} {n}-{end}"),
        (Some(PortRef::Number(n)), None) => format!("{protocol} {n}"),
        (Some(PortRef::Name(name)), _) => format!("{protocol} {name}"),
    }
}

fn rule_text(rule: &PolicyRule, direction: PolicyDirection) -> String {
    let preposition = match direction {
        PolicyDirection::Ingress => "from",
        PolicyDirection::Egress => "to",
    };
    let peers = if rule.peers.is_empty() {
        "anywhere".to_owned()
    } else {
        rule.peers
            .iter()
            .map(peer_text)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let ports = if rule.ports.is_empty() {
        String::new()
    } else {
        format!(
            " on {}",
            rule.ports
                .iter()
                .map(port_text)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("{preposition} {peers}{ports}")
}

/// A policy in one line: which pods, and what each direction it isolates allows.
/// `pods {app=web}: ingress from 198.51.100.0/24 on TCP 8080`; `pods all: ingress
/// denied` for a default deny.
pub fn policy_summary(policy: &NetworkPolicy) -> String {
    let mut parts = Vec::new();
    for direction in [PolicyDirection::Ingress, PolicyDirection::Egress] {
        if !policy.affects(direction) {
            continue;
        }
        let rules = match direction {
            PolicyDirection::Ingress => &policy.ingress,
            PolicyDirection::Egress => &policy.egress,
        };
        let dir = direction.as_str().to_ascii_lowercase();
        if rules.is_empty() {
            parts.push(format!("{dir} denied"));
        } else {
            let allowed: Vec<String> = rules.iter().map(|r| rule_text(r, direction)).collect();
            parts.push(format!("{dir} {}", allowed.join("; ")));
        }
    }
    let pods = format!("pods {{{}}}", selector_text(&policy.pod_selector));
    if parts.is_empty() {
        format!("{pods}: no policyTypes, so it isolates nothing")
    } else {
        format!("{pods}: {}", parts.join("; "))
    }
}

/// A policy to start from in the editor: every pod of `namespace` isolated for
/// ingress, nothing allowed (a default deny), named so it adds rather than replaces.
pub fn default_deny_template(scenario: &Scenario, namespace: &str) -> Value {
    let taken = |name: &str| {
        scenario
            .network_policies
            .policies
            .iter()
            .any(|p| p.namespace == namespace && p.name == name)
    };
    let mut name = "default-deny-ingress".to_owned();
    let mut n = 2;
    while taken(&name) && n < 10_000 {
        name = format!("default-deny-ingress-{n}");
        n += 1;
    }
    policy_to_value(&NetworkPolicy {
        name,
        namespace: namespace.to_owned(),
        pod_selector: LabelSelector::default(),
        policy_types: vec![PolicyDirection::Ingress],
        ingress: Vec::new(),
        egress: Vec::new(),
    })
}

// ---- imports ----------------------------------------------------------------------------

/// What a kubectl document holds, by kind, in the order found: `3 NetworkPolicies,
/// 2 Namespaces`. Empty when it holds no kubectl object.
pub fn kubectl_contents(doc: &Value) -> String {
    let items: Vec<&Value> = match doc.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![doc],
    };
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for kind in items
        .iter()
        .filter_map(|i| i.get("kind").and_then(Value::as_str))
    {
        match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind, 1)),
        }
    }
    counts
        .iter()
        .map(|(kind, n)| match (kind, n) {
            (kind, 1) => format!("1 {kind}"),
            (kind, n) if kind.ends_with('y') => {
                format!("{n} {}ies", &kind[..kind.len() - 1])
            }
            (kind, n) if kind.ends_with('s') => format!("{n} {kind}es"),
            (kind, n) => format!("{n} {kind}s"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The policies an import left out, as a sentence for its summary: `1 policy refused:
/// NetworkPolicy shop/x, spec.ingress[0].from[0].ipBlock.cidr "10.0.0.0/33": not a CIDR
/// prefix`. `None` when none was.
pub fn refused_policies(warnings: &[Warning]) -> Option<String> {
    let refused: Vec<&Warning> = warnings
        .iter()
        .filter(|w| {
            w.object.starts_with("NetworkPolicy ") && w.message.contains("the API server refuses")
        })
        .collect();
    let mut objects: Vec<&str> = refused.iter().map(|w| w.object.as_str()).collect();
    objects.dedup();
    let first = as_refusal((*refused.first()?).clone());
    let first = Warning {
        message: first
            .message
            .trim_end_matches(" (the API server refuses such a policy)")
            .to_owned(),
        ..first
    };
    Some(match objects.len() {
        1 => format!("1 policy refused: {first}"),
        n => format!("{n} policies refused, the first: {first}"),
    })
}

pub(super) fn import_notes(scenario: &Scenario, policies: usize) -> Option<String> {
    (policies > 0).then(|| unenforced_note(scenario)).flatten()
}
