//! Changes a person makes to a scenario, as values.
//!
//! The page keeps its scenario as a built-in one plus a list of edits: undo drops the
//! last edit, and a link or the browser's storage carries the list. Every edit is checked
//! strictly before it changes anything. An edit that Azure or Kubernetes would refuse is
//! a [`Refused`] naming the object and field, and the scenario is left as it was.
//!
//! Edits that Kubernetes makes the cloud provider act on (a Service's
//! `externalTrafficPolicy` or `loadBalancerSourceRanges`, `kubectl apply`) go through
//! [`crate::reconcile`], so the load balancer and the NSG follow as they would in Azure.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::eval::RuleKind;
use crate::import::{import_nsgs, import_security_rule};
use crate::json::Value;
use crate::kubernetes::{import_kubernetes, merge_into};
use crate::model::{AddressSpec, NetworkSecurityGroup, PortRange, SecurityRule, Warning};
use crate::netpol::PolicyEngine;
use crate::reconcile::{apply_service, RuleNaming};
use crate::scenario::{ExternalTrafficPolicy, NetworkPlugin, Pod, Route, Scenario, ServiceType};
use crate::validate::validate_rule;

mod netpol;
pub use netpol::{
    default_deny_template, kubectl_contents, labels_from_text, policy_document, policy_summary,
    read_policy, refused_policies, PolicyName,
};

/// One change to a scenario. The JSON form (`{"op": "deleteRule", ...}`) is what links
/// and the page's storage carry; it is read through [`Value`] (see `Edit::from_value`),
/// which keeps serde's generated code for it out of the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Adds a rule to an NSG, or replaces its rule named `replaces`.
    PutRule {
        nsg: String,
        replaces: Option<String>,
        rule: Box<RuleForm>,
    },
    /// Deletes a user rule (Azure keeps the default rules).
    DeleteRule { nsg: String, rule: String },
    /// Attaches an NSG to a subnet (a new one with only the default rules if no NSG has
    /// that name), or detaches the subnet's NSG (`nsg: null`).
    SubnetNsg { subnet: String, nsg: Option<String> },
    /// Adds a node like the last one: the next name, NIC and address, the same NSG, and
    /// in the load balancer's backend pool if the other nodes are.
    AddNode,
    /// Adds a ready pod on `node`, a copy of the pod `like` (or the first pod): same
    /// labels, ports and image, the next free address.
    AddPod { node: String, like: Option<String> },
    /// Sets a Service's `externalTrafficPolicy`; the cloud provider reconciles.
    TrafficPolicy {
        service: String,
        policy: ExternalTrafficPolicy,
    },
    /// Sets a Service's `loadBalancerSourceRanges`; the cloud provider reconciles.
    SourceRanges {
        service: String,
        ranges: Vec<String>,
    },
    /// An imported document: NSGs in any shape `import` reads, or kubectl JSON
    /// (Services are applied as `kubectl apply` would; Pods replace those of the same
    /// name, and one the scenario lacks is added if its node is in the scenario;
    /// Namespaces and NetworkPolicies replace those of the same name).
    Import { document: Value },
    /// Sets the engine that enforces NetworkPolicy (`networkProfile.networkPolicy`).
    PolicyEngine { engine: PolicyEngine },
    /// Applies a NetworkPolicy given as kubectl JSON, as `kubectl apply` would: added,
    /// or replacing the policy of the same namespace and name. `replaces`: the policy it
    /// was edited from, which it replaces in place when renamed.
    PutPolicy {
        policy: Value,
        replaces: Option<PolicyName>,
    },
    /// Removes a NetworkPolicy (`kubectl delete networkpolicy`).
    DeletePolicy { namespace: String, name: String },
    /// Sets a namespace's labels (what namespace selectors match), adding the namespace
    /// if the scenario does not list it.
    PutNamespace {
        name: String,
        labels: BTreeMap<String, String>,
    },
}

/// A rule as the editor's fields hold it: text, as a person typed it. Address prefixes
/// and port ranges may be lists separated by commas.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RuleForm {
    pub name: String,
    pub priority: String,
    pub direction: String,
    pub access: String,
    pub protocol: String,
    pub source_address_prefix: String,
    pub source_port_range: String,
    pub destination_address_prefix: String,
    pub destination_port_range: String,
    pub description: String,
}

/// The form's fields, in the order of `az network nsg rule create`'s options.
pub const RULE_FORM_FIELDS: [&str; 10] = [
    "name",
    "priority",
    "direction",
    "access",
    "protocol",
    "sourceAddressPrefix",
    "sourcePortRange",
    "destinationAddressPrefix",
    "destinationPortRange",
    "description",
];

impl RuleForm {
    /// A new inbound allow rule for TCP from anywhere, to fill in.
    pub fn new_inbound(priority: u32) -> RuleForm {
        RuleForm {
            name: String::new(),
            priority: priority.to_string(),
            direction: "Inbound".to_owned(),
            access: "Allow".to_owned(),
            protocol: "Tcp".to_owned(),
            source_address_prefix: "*".to_owned(),
            source_port_range: "*".to_owned(),
            destination_address_prefix: "*".to_owned(),
            destination_port_range: String::new(),
            description: String::new(),
        }
    }

    /// The form for an existing rule.
    pub fn from_rule(rule: &SecurityRule) -> RuleForm {
        let addresses = |spec: &AddressSpec| match spec {
            AddressSpec::Prefixes(prefixes) => prefixes
                .iter()
                .map(|p| p.as_text().to_owned())
                .collect::<Vec<_>>()
                .join(", "),
            AddressSpec::ApplicationSecurityGroups(asgs) => asgs.join(", "),
        };
        let ports = |ranges: &[PortRange]| {
            ranges
                .iter()
                .map(PortRange::as_text)
                .collect::<Vec<_>>()
                .join(", ")
        };
        RuleForm {
            name: rule.name.clone(),
            priority: rule.priority.to_string(),
            direction: rule.direction.as_str().to_owned(),
            access: rule.access.as_str().to_owned(),
            protocol: rule.protocol.as_text().to_owned(),
            source_address_prefix: addresses(&rule.source),
            source_port_range: ports(&rule.source_ports),
            destination_address_prefix: addresses(&rule.destination),
            destination_port_range: ports(&rule.destination_ports),
            description: rule.description.clone().unwrap_or_default(),
        }
    }

    pub fn get(&self, field: &str) -> &str {
        match field {
            "name" => &self.name,
            "priority" => &self.priority,
            "direction" => &self.direction,
            "access" => &self.access,
            "protocol" => &self.protocol,
            "sourceAddressPrefix" => &self.source_address_prefix,
            "sourcePortRange" => &self.source_port_range,
            "destinationAddressPrefix" => &self.destination_address_prefix,
            "destinationPortRange" => &self.destination_port_range,
            "description" => &self.description,
            _ => "",
        }
    }

    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "name" => &mut self.name,
            "priority" => &mut self.priority,
            "direction" => &mut self.direction,
            "access" => &mut self.access,
            "protocol" => &mut self.protocol,
            "sourceAddressPrefix" => &mut self.source_address_prefix,
            "sourcePortRange" => &mut self.source_port_range,
            "destinationAddressPrefix" => &mut self.destination_address_prefix,
            "destinationPortRange" => &mut self.destination_port_range,
            "description" => &mut self.description,
            _ => return,
        };
        *slot = value;
    }

    /// The form as a rule document in the flattened shape of `az network nsg rule show`.
    fn to_document(&self) -> Value {
        let text = |s: &str| Value::String(s.trim().to_owned());
        let mut members = vec![
            ("name".to_owned(), text(&self.name)),
            (
                "priority".to_owned(),
                match self.priority.trim().parse::<u32>() {
                    Ok(n) => Value::Number(f64::from(n)),
                    Err(_) => text(&self.priority),
                },
            ),
            ("direction".to_owned(), text(&self.direction)),
            ("access".to_owned(), text(&self.access)),
            ("protocol".to_owned(), text(&self.protocol)),
        ];
        for (singular, value) in [
            ("sourceAddressPrefix", &self.source_address_prefix),
            ("sourcePortRange", &self.source_port_range),
            ("destinationAddressPrefix", &self.destination_address_prefix),
            ("destinationPortRange", &self.destination_port_range),
        ] {
            let items: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            match items.as_slice() {
                [] => {}
                [one] => members.push((singular.to_owned(), text(one))),
                many => members.push((
                    format!("{singular}es"),
                    Value::Array(many.iter().map(|s| text(s)).collect()),
                )),
            }
        }
        if !self.description.trim().is_empty() {
            members.push(("description".to_owned(), text(&self.description)));
        }
        Value::Object(members)
    }
}

/// The form field a finding about a rule belongs beside: the importer and the validator
/// name the plural (`destinationPortRanges`) or ASG field when that is what was written.
pub fn form_field(field: &str) -> &'static str {
    let lower = field.to_ascii_lowercase();
    let side = if lower.starts_with("source") {
        "source"
    } else if lower.starts_with("destination") {
        "destination"
    } else {
        return RULE_FORM_FIELDS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(field))
            .copied()
            .unwrap_or("name");
    };
    let port = lower.contains("port");
    match (side, port) {
        ("source", true) => "sourcePortRange",
        ("source", false) => "sourceAddressPrefix",
        (_, true) => "destinationPortRange",
        _ => "destinationAddressPrefix",
    }
}

/// What an edit did: one line per object changed, and what an import found odd.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Applied {
    pub changes: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// Why an edit was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[error("{}", join(.problems))]
pub struct Refused {
    pub problems: Vec<Warning>,
}

fn join(problems: &[Warning]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn refused(object: impl Into<String>, field: Option<&str>, message: impl Into<String>) -> Refused {
    Refused {
        problems: vec![Warning {
            object: object.into(),
            field: field.map(str::to_owned),
            value: None,
            message: message.into(),
        }],
    }
}

/// Applies an edit. On success the scenario has changed; when refused it has not.
pub fn apply(scenario: &mut Scenario, edit: &Edit) -> Result<Applied, Refused> {
    let mut next = scenario.clone();
    let applied = match edit {
        Edit::PutRule {
            nsg,
            replaces,
            rule,
        } => put_rule(&mut next, nsg, replaces.as_deref(), rule),
        Edit::DeleteRule { nsg, rule } => delete_rule(&mut next, nsg, rule),
        Edit::SubnetNsg { subnet, nsg } => subnet_nsg(&mut next, subnet, nsg.as_deref()),
        Edit::AddNode => add_node(&mut next),
        Edit::AddPod { node, like } => add_pod(&mut next, node, like.as_deref()),
        Edit::TrafficPolicy { service, policy } => {
            change_service(&mut next, service, "externalTrafficPolicy", |s| {
                s.external_traffic_policy = *policy;
                // Local without a healthCheckNodePort gets one from the reconciliation.
                if *policy == ExternalTrafficPolicy::Cluster {
                    s.health_check_node_port = None;
                }
                Ok(())
            })
        }
        Edit::SourceRanges { service, ranges } => {
            change_service(&mut next, service, "loadBalancerSourceRanges", |s| {
                let mut clean = Vec::new();
                for range in ranges.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
                    if range.parse::<IpNet>().is_err() {
                        return Err(Refused {
                            problems: vec![Warning {
                                object: format!("Service {}", s.name),
                                field: Some("loadBalancerSourceRanges".to_owned()),
                                value: Some(range.to_owned()),
                                message: "not a CIDR prefix (such as 203.0.113.0/24)".to_owned(),
                            }],
                        });
                    }
                    clean.push(range.to_owned());
                }
                s.load_balancer_source_ranges = clean;
                Ok(())
            })
        }
        Edit::Import { document } => import(&mut next, document),
        Edit::PolicyEngine { engine } => netpol::set_engine(&mut next, *engine),
        Edit::PutPolicy { policy, replaces } => {
            netpol::put_policy(&mut next, policy, replaces.as_ref())
        }
        Edit::DeletePolicy { namespace, name } => netpol::delete_policy(&mut next, namespace, name),
        Edit::PutNamespace { name, labels } => netpol::put_namespace(&mut next, name, labels),
    }?;
    *scenario = next;
    Ok(applied)
}

/// The built-in scenario with the edits applied in order. An edit that is refused (a
/// stale link naming a rule that is gone) is skipped and reported with its index.
pub fn replay(base: &Scenario, edits: &[Edit]) -> (Scenario, Vec<(usize, Refused)>) {
    let mut scenario = base.clone();
    let mut skipped = Vec::new();
    for (index, edit) in edits.iter().enumerate() {
        if let Err(err) = apply(&mut scenario, edit) {
            skipped.push((index, err));
        }
    }
    (scenario, skipped)
}

impl Edit {
    /// The edit in a few words, for an undo button and a list of changes.
    pub fn describe(&self) -> String {
        match self {
            Edit::PutRule {
                nsg,
                replaces: Some(old),
                rule,
            } if *old == rule.name => format!("edit rule {old} of NSG {nsg}"),
            Edit::PutRule {
                nsg,
                replaces: Some(old),
                rule,
            } => format!("edit rule {old} (now {}) of NSG {nsg}", rule.name),
            Edit::PutRule { nsg, rule, .. } => format!("add rule {} to NSG {nsg}", rule.name),
            Edit::DeleteRule { nsg, rule } => format!("delete rule {rule} of NSG {nsg}"),
            Edit::SubnetNsg { subnet, nsg: None } => format!("detach the NSG of subnet {subnet}"),
            Edit::SubnetNsg {
                subnet,
                nsg: Some(nsg),
            } => format!("attach NSG {nsg} to subnet {subnet}"),
            Edit::AddNode => "add a node".to_owned(),
            Edit::AddPod { node, .. } => format!("add a pod on {node}"),
            Edit::TrafficPolicy { service, policy } => {
                format!("set externalTrafficPolicy of {service} to {policy:?}")
            }
            Edit::SourceRanges { service, ranges } if ranges.is_empty() => {
                format!("clear loadBalancerSourceRanges of {service}")
            }
            Edit::SourceRanges { service, ranges } => format!(
                "set loadBalancerSourceRanges of {service} to {}",
                ranges.join(", ")
            ),
            Edit::Import { document } => describe_import(document),
            Edit::PolicyEngine { engine } => {
                format!("set the NetworkPolicy engine to {}", engine.as_str())
            }
            Edit::PutPolicy { policy, replaces } => {
                let name = netpol::document_name(policy);
                match (replaces, name) {
                    (Some(old), Some(new)) if *old == new => format!("edit NetworkPolicy {old}"),
                    (Some(old), Some(new)) => format!("edit NetworkPolicy {old} (now {new})"),
                    (Some(old), None) => format!("edit NetworkPolicy {old}"),
                    (None, Some(new)) => format!("apply NetworkPolicy {new}"),
                    (None, None) => "apply a NetworkPolicy".to_owned(),
                }
            }
            Edit::DeletePolicy { namespace, name } => {
                format!("remove NetworkPolicy {namespace}/{name}")
            }
            Edit::PutNamespace { name, labels } => {
                let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if shown.is_empty() {
                    format!("clear the labels of namespace {name}")
                } else {
                    format!("set the labels of namespace {name} to {}", shown.join(", "))
                }
            }
        }
    }
}

fn describe_import(document: &Value) -> String {
    let kind = document.get("kind").and_then(Value::as_str);
    if document.get("items").is_some() {
        let contents = kubectl_contents(document);
        if !contents.is_empty() {
            return format!("import {contents}");
        }
    }
    let name = document
        .get("metadata")
        .and_then(|m| m.get("name"))
        .or_else(|| document.get("name"))
        .and_then(Value::as_str);
    match (kind, name) {
        (Some("Service"), Some(name)) => format!("kubectl apply Service {name}"),
        (Some(kind), Some(name)) => format!("import {kind} {name}"),
        (Some(kind), None) => format!("import a {kind}"),
        (None, Some(name)) => format!("import NSG {name}"),
        (None, None) => "import".to_owned(),
    }
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

impl Edit {
    /// The edit as a JSON document: `{"op": "putRule", "nsg": ..., "rule": {...}}`.
    pub fn to_value(&self) -> Value {
        let (op, mut members): (&str, Vec<(&str, Value)>) = match self {
            Edit::PutRule {
                nsg,
                replaces,
                rule,
            } => {
                let mut m = vec![("nsg", text(nsg)), ("rule", rule.to_value())];
                if let Some(old) = replaces {
                    m.push(("replaces", text(old)));
                }
                ("putRule", m)
            }
            Edit::DeleteRule { nsg, rule } => {
                ("deleteRule", vec![("nsg", text(nsg)), ("rule", text(rule))])
            }
            Edit::SubnetNsg { subnet, nsg } => (
                "subnetNsg",
                vec![
                    ("subnet", text(subnet)),
                    ("nsg", nsg.as_deref().map_or(Value::Null, text)),
                ],
            ),
            Edit::AddNode => ("addNode", Vec::new()),
            Edit::AddPod { node, like } => {
                let mut m = vec![("node", text(node))];
                if let Some(like) = like {
                    m.push(("like", text(like)));
                }
                ("addPod", m)
            }
            Edit::TrafficPolicy { service, policy } => (
                "trafficPolicy",
                vec![
                    ("service", text(service)),
                    (
                        "policy",
                        text(match policy {
                            ExternalTrafficPolicy::Cluster => "Cluster",
                            ExternalTrafficPolicy::Local => "Local",
                        }),
                    ),
                ],
            ),
            Edit::SourceRanges { service, ranges } => (
                "sourceRanges",
                vec![
                    ("service", text(service)),
                    (
                        "ranges",
                        Value::Array(ranges.iter().map(|r| text(r)).collect()),
                    ),
                ],
            ),
            Edit::Import { document } => ("import", vec![("document", document.clone())]),
            Edit::PolicyEngine { engine } => {
                ("policyEngine", vec![("engine", text(engine.as_str()))])
            }
            Edit::PutPolicy { policy, replaces } => {
                let mut m = vec![("policy", policy.clone())];
                if let Some(old) = replaces {
                    m.push(("replaces", text(&old.to_string())));
                }
                ("putPolicy", m)
            }
            Edit::DeletePolicy { namespace, name } => (
                "deletePolicy",
                vec![("namespace", text(namespace)), ("name", text(name))],
            ),
            Edit::PutNamespace { name, labels } => (
                "putNamespace",
                vec![
                    ("name", text(name)),
                    (
                        "labels",
                        Value::Object(labels.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
                    ),
                ],
            ),
        };
        members.insert(0, ("op", text(op)));
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// Reads an edit from its JSON document; the error names the member that is wrong.
    pub fn from_value(v: &Value) -> Result<Edit, String> {
        let string = |key: &str| -> Result<String, String> {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{key}: expected a string"))
        };
        let optional = |key: &str| -> Result<Option<String>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(format!("{key}: expected a string, found {}", other.kind())),
            }
        };
        let op = string("op")?;
        Ok(match op.as_str() {
            "putRule" => Edit::PutRule {
                nsg: string("nsg")?,
                replaces: optional("replaces")?,
                rule: Box::new(RuleForm::from_value(v.get("rule").ok_or("rule: missing")?)?),
            },
            "deleteRule" => Edit::DeleteRule {
                nsg: string("nsg")?,
                rule: string("rule")?,
            },
            "subnetNsg" => Edit::SubnetNsg {
                subnet: string("subnet")?,
                nsg: optional("nsg")?,
            },
            "addNode" => Edit::AddNode,
            "addPod" => Edit::AddPod {
                node: string("node")?,
                like: optional("like")?,
            },
            "trafficPolicy" => Edit::TrafficPolicy {
                service: string("service")?,
                policy: match string("policy")?.as_str() {
                    "Cluster" => ExternalTrafficPolicy::Cluster,
                    "Local" => ExternalTrafficPolicy::Local,
                    other => return Err(format!("policy: {other:?} is not Cluster or Local")),
                },
            },
            "sourceRanges" => Edit::SourceRanges {
                service: string("service")?,
                ranges: v
                    .get("ranges")
                    .and_then(Value::as_array)
                    .ok_or("ranges: expected an array")?
                    .iter()
                    .map(|r| r.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or("ranges: expected strings")?,
            },
            "import" => Edit::Import {
                document: v.get("document").cloned().ok_or("document: missing")?,
            },
            "policyEngine" => {
                let engine = string("engine")?;
                Edit::PolicyEngine {
                    engine: PolicyEngine::parse(&engine).ok_or_else(|| {
                        format!("engine: {engine:?} is not none, azure, calico or cilium")
                    })?,
                }
            }
            "putPolicy" => Edit::PutPolicy {
                policy: v.get("policy").cloned().ok_or("policy: missing")?,
                replaces: match optional("replaces")? {
                    None => None,
                    Some(text) => Some(
                        PolicyName::parse(&text)
                            .ok_or_else(|| format!("replaces: {text:?} is not namespace/name"))?,
                    ),
                },
            },
            "deletePolicy" => Edit::DeletePolicy {
                namespace: string("namespace")?,
                name: string("name")?,
            },
            "putNamespace" => Edit::PutNamespace {
                name: string("name")?,
                labels: {
                    let members = match v.get("labels") {
                        None | Some(Value::Null) => &[][..],
                        Some(Value::Object(members)) => members,
                        Some(other) => {
                            return Err(format!(
                                "labels: expected an object, found {}",
                                other.kind()
                            ))
                        }
                    };
                    let mut labels = BTreeMap::new();
                    for (key, value) in members {
                        let value = value.as_str().ok_or("labels: expected strings")?;
                        labels.insert(key.clone(), value.to_owned());
                    }
                    labels
                },
            },
            other => return Err(format!("op: {other:?} is not an edit this version knows")),
        })
    }

    /// A list of edits from its JSON document (an array).
    pub fn list_from_value(v: &Value) -> Result<Vec<Edit>, String> {
        let items = v.as_array().ok_or("expected an array of edits")?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Edit::from_value(item).map_err(|e| format!("edit {}: {e}", i + 1)))
            .collect()
    }

    pub fn list_to_value(edits: &[Edit]) -> Value {
        Value::Array(edits.iter().map(Edit::to_value).collect())
    }
}

impl RuleForm {
    /// What a member left out of the JSON form means: the value a new rule starts with
    /// (`*` for addresses and ports, Inbound, Allow, Tcp), which keeps links short.
    fn default_of(field: &str) -> &'static str {
        match field {
            "direction" => "Inbound",
            "access" => "Allow",
            "protocol" => "Tcp",
            "sourceAddressPrefix"
            | "sourcePortRange"
            | "destinationAddressPrefix"
            | "destinationPortRange" => "*",
            _ => "",
        }
    }

    fn to_value(&self) -> Value {
        Value::Object(
            RULE_FORM_FIELDS
                .iter()
                .filter(|f| self.get(f) != RuleForm::default_of(f))
                .map(|f| ((*f).to_owned(), text(self.get(f))))
                .collect(),
        )
    }

    fn from_value(v: &Value) -> Result<RuleForm, String> {
        if v.as_object().is_none() {
            return Err(format!("rule: expected an object, found {}", v.kind()));
        }
        let mut form = RuleForm::default();
        for field in RULE_FORM_FIELDS {
            match v.get(field) {
                None => form.set(field, RuleForm::default_of(field).to_owned()),
                Some(Value::String(s)) => form.set(field, s.clone()),
                Some(other) => {
                    return Err(format!(
                        "rule.{field}: expected a string, found {}",
                        other.kind()
                    ))
                }
            }
        }
        Ok(form)
    }
}

impl Serialize for Edit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Edit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Edit, D::Error> {
        let v = Value::deserialize(deserializer)?;
        Edit::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// How this cluster's cloud provider names its NSG rules, read off the rules it made.
fn naming(scenario: &Scenario) -> RuleNaming {
    let consolidated = scenario.network_security_groups.nsgs.iter().any(|nsg| {
        nsg.security_rules
            .iter()
            .any(|r| r.name.starts_with("k8s-azure-lb_"))
    });
    if consolidated {
        RuleNaming::Consolidated
    } else {
        RuleNaming::PerService
    }
}

fn find_nsg<'a>(
    scenario: &'a mut Scenario,
    name: &str,
) -> Result<&'a mut NetworkSecurityGroup, Refused> {
    scenario
        .network_security_groups
        .get_mut(name)
        .ok_or_else(|| refused(format!("NSG {name}"), None, "no NSG of that name"))
}

fn put_rule(
    scenario: &mut Scenario,
    nsg_name: &str,
    replaces: Option<&str>,
    form: &RuleForm,
) -> Result<Applied, Refused> {
    let nsg = find_nsg(scenario, nsg_name)?;
    let object = format!(
        "NSG {}, rule {}",
        nsg.name,
        if form.name.trim().is_empty() {
            replaces.unwrap_or("(new)")
        } else {
            form.name.trim()
        }
    );
    let mut problems = Vec::new();
    let mut problem = |field: &str, value: &str, message: &str| {
        problems.push(Warning {
            object: object.clone(),
            field: Some(field.to_owned()),
            value: (!value.is_empty()).then(|| value.to_owned()),
            message: message.to_owned(),
        });
    };
    // The importer is lenient (it takes a missing value as a default and says so); an
    // editor must not be, so empty and unreadable fields are refused here first.
    if form.priority.trim().parse::<u32>().is_err() {
        problem(
            "priority",
            form.priority.trim(),
            "a priority is a whole number from 100 to 4096",
        );
    }
    for (field, value, what) in [
        ("direction", &form.direction, "Inbound or Outbound"),
        ("access", &form.access, "Allow or Deny"),
        ("protocol", &form.protocol, "Tcp, Udp, Icmp, Esp, Ah or *"),
        (
            "sourceAddressPrefix",
            &form.source_address_prefix,
            "an address, CIDR prefix, service tag or *",
        ),
        (
            "sourcePortRange",
            &form.source_port_range,
            "a port, range or *",
        ),
        (
            "destinationAddressPrefix",
            &form.destination_address_prefix,
            "an address, CIDR prefix, service tag or *",
        ),
        (
            "destinationPortRange",
            &form.destination_port_range,
            "a port, range or *",
        ),
    ] {
        if value.trim().is_empty() {
            problem(field, "", &format!("required: {what}"));
        }
    }
    let (rule, warnings) = import_security_rule(&form.to_document(), &nsg.name);
    // One problem per field, the first found.
    let mut seen: Vec<&'static str> = problems
        .iter()
        .filter_map(|w| w.field.as_deref())
        .map(form_field)
        .collect();
    let mut first = |field: &'static str| {
        let new = !seen.contains(&field);
        seen.push(field);
        new
    };
    for mut warning in warnings {
        let field = form_field(warning.field.as_deref().unwrap_or("name"));
        if first(field) {
            warning.object = object.clone();
            warning.field = Some(field.to_owned());
            // The importer says what it would do with a bad value; the editor refuses it.
            if let Some((what, _)) = warning.message.split_once(';') {
                warning.message = what.to_owned();
            }
            problems.push(warning);
        }
    }
    let Some(rule) = rule else {
        return Err(Refused { problems });
    };
    let mut candidate = nsg.clone();
    let index = match replaces {
        Some(old) => {
            let Some(index) = candidate
                .security_rules
                .iter()
                .position(|r| r.name.eq_ignore_ascii_case(old))
            else {
                return Err(refused(
                    format!("NSG {}, rule {old}", nsg.name),
                    None,
                    "no rule of that name (it may have been deleted)",
                ));
            };
            candidate.security_rules[index] = rule;
            index
        }
        None => {
            candidate.security_rules.push(rule);
            candidate.security_rules.len() - 1
        }
    };
    for mut warning in validate_rule(&candidate, RuleKind::User, index) {
        let field = form_field(warning.field.as_deref().unwrap_or("name"));
        if first(field) {
            warning.field = Some(field.to_owned());
            problems.push(warning);
        }
    }
    if replaces.is_none() {
        if let Some(mut too_many) = crate::validate::rule_count_problem(&candidate) {
            // Not one field's problem: shown above the form's fields.
            too_many.field = None;
            problems.push(too_many);
        }
    }
    if !problems.is_empty() {
        // In the order of the form's fields.
        let ordered = RULE_FORM_FIELDS
            .iter()
            .flat_map(|f| {
                problems
                    .iter()
                    .filter(move |w| w.field.as_deref() == Some(*f))
                    .cloned()
            })
            .chain(problems.iter().filter(|w| w.field.is_none()).cloned())
            .collect();
        return Err(Refused { problems: ordered });
    }
    // Kept in the order Azure lists them: by direction, then priority.
    let rule = candidate.security_rules.remove(index);
    let at = candidate
        .security_rules
        .iter()
        .position(|r| (r.direction, r.priority) > (rule.direction, rule.priority))
        .unwrap_or(candidate.security_rules.len());
    candidate.security_rules.insert(at, rule);
    let name = form.name.trim();
    let change = match replaces {
        Some(old) => format!("NSG {}: rule {old} changed", nsg.name),
        None => format!("NSG {}: rule {name} added", nsg.name),
    };
    *nsg = candidate;
    Ok(Applied {
        changes: vec![change],
        warnings: Vec::new(),
    })
}

fn delete_rule(scenario: &mut Scenario, nsg_name: &str, rule: &str) -> Result<Applied, Refused> {
    let nsg = find_nsg(scenario, nsg_name)?;
    let object = format!("NSG {}, rule {rule}", nsg.name);
    if nsg
        .default_security_rules
        .iter()
        .any(|r| r.name.eq_ignore_ascii_case(rule))
    {
        return Err(refused(
            object,
            None,
            "default rules cannot be deleted; a rule with a lower priority number overrides one",
        ));
    }
    let Some(index) = nsg
        .security_rules
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(rule))
    else {
        return Err(refused(object, None, "no rule of that name"));
    };
    let removed = nsg.security_rules.remove(index);
    Ok(Applied {
        changes: vec![format!("NSG {}: rule {} deleted", nsg.name, removed.name)],
        warnings: Vec::new(),
    })
}

fn subnet_nsg(
    scenario: &mut Scenario,
    subnet_name: &str,
    nsg: Option<&str>,
) -> Result<Applied, Refused> {
    let mut changes = Vec::new();
    let nsg = nsg.map(str::trim);
    if let Some(name) = nsg {
        if scenario.network_security_groups.get(name).is_none() {
            if let Some(message) = crate::validate::name_problem(name) {
                return Err(Refused {
                    problems: vec![Warning {
                        object: format!("subnet {subnet_name}"),
                        field: Some("networkSecurityGroup".to_owned()),
                        value: (!name.is_empty()).then(|| name.to_owned()),
                        message,
                    }],
                });
            }
            let created = NetworkSecurityGroup::new(name);
            scenario.network_security_groups.nsgs.push(created);
            changes.push(format!("NSG {name} created with the six default rules"));
        }
    }
    let Some(subnet) = scenario
        .vnet
        .subnets
        .iter_mut()
        .find(|s| s.name == subnet_name)
    else {
        return Err(refused(
            format!("subnet {subnet_name}"),
            None,
            "no subnet of that name",
        ));
    };
    let canonical = nsg.map(|name| {
        scenario
            .network_security_groups
            .get(name)
            .map_or_else(|| name.to_owned(), |n| n.name.clone())
    });
    changes.push(match (&subnet.network_security_group, &canonical) {
        (_, Some(name)) => format!("subnet {subnet_name}: NSG {name} attached"),
        (Some(old), None) => format!("subnet {subnet_name}: NSG {old} detached"),
        (None, None) => format!("subnet {subnet_name}: no NSG, as before"),
    });
    subnet.network_security_group = canonical;
    Ok(Applied {
        changes,
        warnings: Vec::new(),
    })
}

/// Every address the scenario gives to a NIC, pod or internal frontend.
fn used_addresses(scenario: &Scenario) -> Vec<IpAddr> {
    let nodes = scenario
        .nodes
        .iter()
        .filter_map(|n| n.nic.private_ip_address);
    let pods = scenario.pods.iter().filter_map(|p| p.ip);
    let frontends = scenario
        .load_balancer
        .iter()
        .chain(&scenario.internal_load_balancer)
        .flat_map(|lb| &lb.frontend_ip_configurations)
        .filter_map(|f| f.private_ip_address);
    nodes.chain(pods).chain(frontends).collect()
}

/// The first address of `prefix`, from `skip` on, that is not in `used`. Azure keeps a
/// subnet's first four addresses and its last; a kubenet bridge takes the pod CIDR's .1.
fn next_free(prefix: IpNet, skip: u32, used: &[IpAddr]) -> Option<IpAddr> {
    match prefix {
        IpNet::V4(net) => {
            let first = u32::from(net.network());
            let last = u32::from(net.broadcast());
            (first.checked_add(skip)?..last)
                .take(1 << 16)
                .map(|n| IpAddr::from(std::net::Ipv4Addr::from(n)))
                .find(|ip| !used.contains(ip))
        }
        IpNet::V6(net) => {
            let first = u128::from(net.network());
            (1..=1u128 << 16)
                .filter_map(|i| first.checked_add(u128::from(skip) + i - 1))
                .map(std::net::Ipv6Addr::from)
                .filter(|ip| net.contains(ip))
                .map(IpAddr::from)
                .find(|ip| !used.contains(ip))
        }
    }
}

/// `name-7` → `name-8`, `vmss000009` → `vmss000010`: the trailing number plus one, its
/// width kept; a name without one gets `-1`.
fn increment(name: &str) -> String {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = name.split_at(name.len() - digits);
    match number.parse::<u64>() {
        Ok(n) => format!("{stem}{:0width$}", n + 1, width = digits),
        Err(_) => format!("{name}-1"),
    }
}

fn unique(mut name: String, taken: impl Fn(&str) -> bool) -> String {
    for _ in 0..10_000 {
        if !taken(&name) {
            break;
        }
        name = increment(&name);
    }
    name
}

fn add_node(scenario: &mut Scenario) -> Result<Applied, Refused> {
    let Some(template) = scenario.nodes.last().cloned() else {
        return Err(refused(
            "scenario",
            Some("nodes"),
            "there is no node to copy; a scenario needs one node first",
        ));
    };
    let mut node = template.clone();
    node.name = unique(increment(&template.name), |n| {
        scenario.nodes.iter().any(|x| x.name == n)
    });
    node.nic.name = unique(increment(&template.nic.name), |n| {
        scenario.nodes.iter().any(|x| x.nic.name == n)
    });
    let subnet = scenario
        .vnet
        .subnets
        .iter()
        .find(|s| s.name == template.subnet);
    let Some(prefix) = subnet.and_then(|s| s.address_prefix) else {
        return Err(refused(
            format!("subnet {}", template.subnet),
            Some("addressPrefix"),
            "the node's subnet has no address prefix to take an address from",
        ));
    };
    let used = used_addresses(scenario);
    let ip = next_free(prefix, 4, &used).ok_or_else(|| {
        refused(
            format!("subnet {}", template.subnet),
            Some("addressPrefix"),
            format!("no free address left in {prefix}"),
        )
    })?;
    node.nic.private_ip_address = Some(ip);
    let mut changes = vec![format!(
        "node {} with NIC {} ({ip}) added to subnet {}",
        node.name, node.nic.name, node.subnet
    )];
    if let Some(cidr) = template.pod_cidr {
        let taken: Vec<IpNet> = scenario.nodes.iter().filter_map(|n| n.pod_cidr).collect();
        let next = next_pod_cidr(cidr, &taken).ok_or_else(|| {
            refused(
                format!("node {}", template.name),
                Some("podCidr"),
                "no free pod CIDR after it",
            )
        })?;
        node.pod_cidr = Some(next);
        changes.push(format!("pod CIDR {next} for {}", node.name));
        if let Some(subnet) = scenario
            .vnet
            .subnets
            .iter_mut()
            .find(|s| s.name == template.subnet)
        {
            let routed = template
                .nic
                .private_ip_address
                .is_some_and(|old| subnet.routes.iter().any(|r| r.next_hop_ip_address == old));
            if routed {
                subnet.routes.push(Route {
                    name: node.name.clone(),
                    address_prefix: next,
                    next_hop_ip_address: ip,
                });
                changes.push(format!("route {next} via {ip} in the route table"));
            }
        }
    }
    let lbs = scenario.load_balancer.iter_mut();
    for lb in lbs.chain(scenario.internal_load_balancer.iter_mut()) {
        let others = scenario
            .nodes
            .iter()
            .all(|n| lb.backend_address_pool.contains(&n.name));
        if others && !lb.backend_address_pool.is_empty() {
            lb.backend_address_pool.push(node.name.clone());
            changes.push(format!(
                "{} added to the backend pool of load balancer {}",
                node.name, lb.name
            ));
        }
    }
    scenario.nodes.push(node);
    Ok(Applied {
        changes,
        warnings: Vec::new(),
    })
}

fn next_pod_cidr(template: IpNet, taken: &[IpNet]) -> Option<IpNet> {
    let IpNet::V4(net) = template else {
        return None;
    };
    let size = 1u32.checked_shl(32 - u32::from(net.prefix_len()))?;
    let mut start = u32::from(net.network());
    for _ in 0..4096 {
        start = start.checked_add(size)?;
        let candidate = ipnet::Ipv4Net::new(start.into(), net.prefix_len()).ok()?;
        let candidate = IpNet::V4(candidate);
        if !taken
            .iter()
            .any(|t| t.contains(&candidate.network()) || candidate.contains(&t.network()))
        {
            return Some(candidate);
        }
    }
    None
}

/// A pod name in Kubernetes' style: the ReplicaSet's name and five characters from the
/// alphabet it uses for generated names.
fn pod_name(template: &str, n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let stem = template.rsplit_once('-').map_or(template, |(stem, _)| stem);
    let mut x = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let suffix: String = (0..5)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect();
    format!("{stem}-{suffix}")
}

fn add_pod(
    scenario: &mut Scenario,
    node_name: &str,
    like: Option<&str>,
) -> Result<Applied, Refused> {
    let Some(node) = scenario.nodes.iter().find(|n| n.name == node_name) else {
        return Err(refused(
            format!("pod on node {node_name}"),
            Some("node"),
            "no node of that name",
        ));
    };
    let template = match like {
        Some(name) => scenario.pods.iter().find(|p| p.name == name),
        None => scenario.pods.first(),
    };
    let Some(template) = template else {
        return Err(refused(
            "pod",
            Some("like"),
            match like {
                Some(_) => "no pod of that name to copy",
                None => "there is no pod to copy; import pods with kubectl get pods -o json",
            },
        ));
    };
    let range = match scenario.network_plugin {
        NetworkPlugin::Kubenet => node.pod_cidr.map(|c| (c, 2)),
        NetworkPlugin::Azure => scenario
            .vnet
            .subnets
            .iter()
            .find(|s| s.name == node.subnet)
            .and_then(|s| s.address_prefix)
            .map(|c| (c, 4)),
    };
    let Some((range, skip)) = range else {
        return Err(refused(
            format!("node {node_name}"),
            Some("podCidr"),
            "no address range to give the pod an address from",
        ));
    };
    let ip = next_free(range, skip, &used_addresses(scenario)).ok_or_else(|| {
        refused(
            format!("node {node_name}"),
            None,
            format!("no free address left in {range}"),
        )
    })?;
    let mut n = scenario.pods.len();
    let mut name = pod_name(&template.name, n);
    while scenario.pods.iter().any(|p| p.name == name) && n < 10_000 {
        n += 1;
        name = pod_name(&template.name, n);
    }
    let pod = Pod {
        name,
        node: node_name.to_owned(),
        ip: Some(ip),
        ready: true,
        ..template.clone()
    };
    let change = format!("pod {} ({ip}) added on {node_name}", pod.name);
    scenario.pods.push(pod);
    Ok(Applied {
        changes: vec![change],
        warnings: Vec::new(),
    })
}

fn change_service(
    scenario: &mut Scenario,
    name: &str,
    field: &str,
    change: impl FnOnce(&mut crate::scenario::Service) -> Result<(), Refused>,
) -> Result<Applied, Refused> {
    let Some(found) = scenario.services.iter().find(|s| s.name == name) else {
        return Err(refused(
            format!("Service {name}"),
            None,
            "no Service of that name",
        ));
    };
    if found.service_type != ServiceType::LoadBalancer {
        return Err(refused(
            format!("Service {name}"),
            Some(field),
            format!(
                "may only be set on a Service of type LoadBalancer (this one is {:?})",
                found.service_type
            ),
        ));
    }
    let mut service = found.clone();
    change(&mut service)?;
    let naming = naming(scenario);
    let changes = apply_service(scenario, service, naming)
        .map_err(|err| refused(format!("Service {name}"), Some(field), err.to_string()))?;
    Ok(Applied {
        changes,
        warnings: Vec::new(),
    })
}

fn import(scenario: &mut Scenario, doc: &Value) -> Result<Applied, Refused> {
    if doc.get("kind").and_then(Value::as_str).is_some() {
        let imported = import_kubernetes(doc)
            .map_err(|err| refused("document", Some("kind"), err.to_string()))?;
        let mut warnings = imported.warnings;
        let mut objects = imported.value;
        let services = std::mem::take(&mut objects.services);
        let mut changes = Vec::new();
        // A pod the scenario has is replaced; one it lacks comes in only onto a node it
        // has (a whole cluster's pods pasted for their labels would point nowhere).
        let (pods, elsewhere): (Vec<_>, Vec<_>) = std::mem::take(&mut objects.pods)
            .into_iter()
            .partition(|pod| {
                scenario
                    .pods
                    .iter()
                    .any(|p| p.name == pod.name && p.namespace == pod.namespace)
                    || scenario.nodes.iter().any(|n| n.name == pod.node)
            });
        objects.pods = pods;
        for pod in &objects.pods {
            let had = scenario
                .pods
                .iter()
                .any(|p| p.name == pod.name && p.namespace == pod.namespace);
            changes.push(format!(
                "Pod {}/{} {}",
                pod.namespace_or_default(),
                pod.name,
                if had { "replaced" } else { "added" }
            ));
        }
        for namespace in &objects.namespaces {
            let had = scenario.namespaces.iter().any(|n| n.name == namespace.name);
            changes.push(format!(
                "Namespace {} {}",
                namespace.name,
                if had { "replaced" } else { "added" }
            ));
        }
        for policy in &objects.network_policies {
            let name = PolicyName::of(policy);
            let had = scenario
                .network_policies
                .policies
                .iter()
                .any(|p| p.name == policy.name && p.namespace == policy.namespace);
            changes.push(format!(
                "NetworkPolicy {name} {}",
                if had { "replaced" } else { "added" }
            ));
        }
        let policies = objects.network_policies.len();
        merge_into(scenario, objects);
        changes.extend(netpol::import_notes(scenario, policies));
        for service in services {
            let name = service.name.clone();
            let naming = naming(scenario);
            match apply_service(scenario, service, naming) {
                Ok(lines) => changes.extend(lines),
                Err(err) => warnings.push(Warning {
                    object: format!("Service {name}"),
                    field: None,
                    value: None,
                    message: format!("not applied: {err}"),
                }),
            }
        }
        if changes.is_empty() {
            return Err(match warnings.is_empty() {
                true if !elsewhere.is_empty() => refused(
                    "document",
                    None,
                    format!(
                        "its {} Pod(s) are on nodes this scenario does not have ({}), and it holds nothing else to apply",
                        elsewhere.len(),
                        elsewhere.first().map_or("", |p| p.node.as_str())
                    ),
                ),
                true => refused(
                    "document",
                    None,
                    "no Service, Pod, Namespace or NetworkPolicy in the document",
                ),
                false => Refused { problems: warnings },
            });
        }
        if !elsewhere.is_empty() {
            let names: Vec<&str> = elsewhere.iter().map(|p| p.name.as_str()).take(3).collect();
            changes.push(format!(
                "{} left out: not in this scenario, and on nodes it does not have ({}{})",
                match elsewhere.len() {
                    1 => "1 Pod".to_owned(),
                    n => format!("{n} Pods"),
                },
                names.join(", "),
                if elsewhere.len() > 3 { ", …" } else { "" }
            ));
        }
        return Ok(Applied { changes, warnings });
    }
    let imported = import_nsgs(doc);
    if imported.value.is_empty() {
        return Err(refused(
            "document",
            None,
            crate::ImportError::NoNsgOrRule {
                found: doc.kind().to_owned(),
            }
            .to_string(),
        ));
    }
    let mut changes = Vec::new();
    let mut warnings = imported.warnings;
    for nsg in imported.value {
        let name = nsg.name.clone();
        // Both are legal, but rarely what the person meant to paste: the importer
        // found nothing to add, or does not know which NSG this is.
        if nsg.security_rules.is_empty() {
            warnings.push(Warning {
                object: format!("NSG {name}"),
                field: Some("securityRules".to_owned()),
                value: None,
                message: "no security rules found: only the six default rules would remain (DenyAllInBound then drops what comes from the Internet)".to_owned(),
            });
        }
        if name == crate::import::UNNAMED_NSG {
            warnings.push(Warning {
                object: format!("NSG {name}"),
                field: Some("name".to_owned()),
                value: None,
                message: "the document does not name its NSG; it would be named \"nsg\" and take the place of the first node's NIC NSG".to_owned(),
            });
        }
        if let Some(existing) = scenario.network_security_groups.get_mut(&name) {
            *existing = nsg;
            changes.push(format!("NSG {name} replaced"));
        } else if let Some(node) = scenario.nodes.first() {
            let old = node.nic.network_security_group.clone();
            let nic = node.nic.name.clone();
            for n in &mut scenario.nodes {
                if n.nic.network_security_group == old {
                    n.nic.network_security_group = Some(name.clone());
                }
            }
            scenario.network_security_groups.nsgs.push(nsg);
            changes.push(match old {
                Some(old) => format!("NSG {name} now on NIC {nic} (and every NIC that had {old})"),
                None => format!("NSG {name} now on NIC {nic}"),
            });
        } else {
            scenario.network_security_groups.nsgs.push(nsg);
            changes.push(format!("NSG {name} added (there is no node to put it on)"));
        }
    }
    Ok(Applied { changes, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_keep_width() {
        assert_eq!(
            increment("aks-nodepool1-26711606-0"),
            "aks-nodepool1-26711606-1"
        );
        assert_eq!(increment("vmss000009"), "vmss000010");
        assert_eq!(increment("nic"), "nic-1");
        assert_eq!(increment("9"), "10");
    }

    #[test]
    fn form_fields_fold_plurals_and_asgs() {
        assert_eq!(form_field("destinationPortRanges"), "destinationPortRange");
        assert_eq!(form_field("sourceAddressPrefixes"), "sourceAddressPrefix");
        assert_eq!(
            form_field("sourceApplicationSecurityGroups"),
            "sourceAddressPrefix"
        );
        assert_eq!(form_field("priority"), "priority");
    }
}
