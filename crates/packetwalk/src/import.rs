//! Lenient import of the NSG documents users paste (spec §2): `az network nsg show` and
//! `az network nsg rule list` output (flattened), ARM REST and template JSON (fields under
//! `properties`), ARM lists (`{"value": [...]}`), single rules, and wrappers such as
//! `{"NewNSG": {...}}`. The result is the model plus warnings; a value that is not valid
//! becomes an `Invalid` entry (the rule never matches) and a warning naming NSG, rule and
//! field. Only a document without any NSG or rule is an error.

use crate::json::Value;
use crate::model::{
    Access, AddressPrefix, AddressSpec, Direction, NetworkSecurityGroup, PortRange, Protocol,
    RuleProtocol, SecurityRule, Warning,
};
use ipnet::IpNet;
use serde::Serialize;
use std::net::IpAddr;
use thiserror::Error;

/// A value imported leniently, with what was odd about the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported<T> {
    pub value: T,
    pub warnings: Vec<Warning>,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error(
        "expected a network security group (az network nsg show, ARM JSON), a list of them, \
         or security rules (az network nsg rule list); found {found}"
    )]
    NoNsgOrRule { found: String },
}

/// The name given to an NSG whose document does not say it (a bare rule list).
pub const UNNAMED_NSG: &str = "nsg";

/// Deeper than any real document; bounds the walk over arbitrary input.
const MAX_DEPTH: usize = 12;

/// Every NSG in the document. Rules found outside an NSG (a bare `rule list`, a single
/// rule, template rule resources) are grouped by the NSG their id or name gives, else
/// into one NSG named `UNNAMED_NSG`; the six default rules are added where absent.
pub fn import_nsgs(doc: &Value) -> Imported<Vec<NetworkSecurityGroup>> {
    import_nsgs_named(doc, UNNAMED_NSG)
}

/// As [`import_nsgs`], naming an NSG the document does not name `fallback_name` (the
/// CLI passes the file's name).
pub fn import_nsgs_named(doc: &Value, fallback_name: &str) -> Imported<Vec<NetworkSecurityGroup>> {
    let mut found = Found::default();
    collect(doc, 0, &mut found);
    let mut warnings = Vec::new();
    let mut nsgs: Vec<NetworkSecurityGroup> = found
        .nsgs
        .iter()
        .map(|v| import_one_nsg(v, fallback_name, &mut warnings))
        .collect();
    let mut loose: Vec<NetworkSecurityGroup> = Vec::new();
    for rule_doc in found.rules {
        let (nsg_name, resource_group) = rule_owner(rule_doc);
        let nsg_name = nsg_name.unwrap_or_else(|| fallback_name.to_owned());
        let position = match loose.iter().position(|n| n.name == nsg_name) {
            Some(p) => p,
            None => {
                loose.push(NetworkSecurityGroup {
                    name: nsg_name.clone(),
                    resource_group,
                    location: None,
                    security_rules: Vec::new(),
                    default_security_rules: Vec::new(),
                });
                loose.len() - 1
            }
        };
        if let Some(nsg) = loose.get_mut(position) {
            let is_default = is_default_rule_doc(rule_doc);
            let index = if is_default {
                nsg.default_security_rules.len()
            } else {
                nsg.security_rules.len()
            };
            if let Some(rule) = import_rule(rule_doc, &nsg_name, index, &mut warnings) {
                if is_default {
                    nsg.default_security_rules.push(rule);
                } else {
                    nsg.security_rules.push(rule);
                }
            }
        }
    }
    nsgs.append(&mut loose);
    // `az network nsg rule list` prints `[]` for an NSG with no user rules (the blog's
    // "it looks very empty"): that NSG still has its default rules.
    if matches!(doc, Value::Array(items) if items.is_empty()) {
        nsgs.push(NetworkSecurityGroup::new(fallback_name));
    }
    for nsg in &mut nsgs {
        nsg.add_missing_default_rules();
    }
    Imported {
        value: nsgs,
        warnings,
    }
}

/// The first NSG of the document (a warning says so when there are more), or an error
/// when the document holds no NSG and no rule.
pub fn import_nsg(
    doc: &Value,
    fallback_name: &str,
) -> Result<Imported<NetworkSecurityGroup>, ImportError> {
    let Imported {
        value,
        mut warnings,
    } = import_nsgs_named(doc, fallback_name);
    let count = value.len();
    let Some(first) = value.into_iter().next() else {
        return Err(ImportError::NoNsgOrRule {
            found: describe(doc),
        });
    };
    if count > 1 {
        warnings.push(Warning {
            object: format!("NSG {}", first.name),
            field: None,
            value: None,
            message: format!("the document holds {count} NSGs; using the first"),
        });
    }
    Ok(Imported {
        value: first,
        warnings,
    })
}

fn describe(doc: &Value) -> String {
    match doc {
        Value::Object(members) if members.is_empty() => "an empty object".to_owned(),
        Value::Object(members) => {
            let keys: Vec<&str> = members.iter().take(5).map(|(k, _)| k.as_str()).collect();
            let more = if members.len() > 5 { ", ..." } else { "" };
            format!("an object with keys {}{more}", keys.join(", "))
        }
        Value::Array(_) => "an array without NSGs or rules".to_owned(),
        other => other.kind().to_owned(),
    }
}

#[derive(Default)]
struct Found<'a> {
    nsgs: Vec<&'a Value>,
    rules: Vec<&'a Value>,
}

fn type_ends_with(v: &Value, suffix: &str) -> bool {
    v.get("type").and_then(Value::as_str).is_some_and(|t| {
        t.len() >= suffix.len()
            && t.get(t.len() - suffix.len()..)
                .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
    })
}

fn is_nsg(v: &Value) -> bool {
    type_ends_with(v, "/networkSecurityGroups")
        || field(v, "securityRules").is_some()
        || field(v, "defaultSecurityRules").is_some()
}

fn is_rule(v: &Value) -> bool {
    type_ends_with(v, "/securityRules")
        || type_ends_with(v, "/defaultSecurityRules")
        || (field(v, "direction").is_some() && field(v, "access").is_some())
}

fn collect<'a>(v: &'a Value, depth: usize, found: &mut Found<'a>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(members) => {
            if is_nsg(v) {
                found.nsgs.push(v);
            } else if is_rule(v) {
                found.rules.push(v);
            } else if let Some(items) = v.get("value").and_then(Value::as_array) {
                items
                    .iter()
                    .for_each(|item| collect(item, depth + 1, found));
            } else if let Some(items) = v.get("resources").and_then(Value::as_array) {
                items
                    .iter()
                    .for_each(|item| collect(item, depth + 1, found));
            } else if let [(_, inner)] = members.as_slice() {
                collect(inner, depth + 1, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect(item, depth + 1, found)),
        _ => {}
    }
}

/// The member `key`, under `properties` (ARM) or at the top (az), skipping nulls.
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    member(v, "properties")
        .and_then(|p| member(p, key))
        .filter(|x| !x.is_null())
        .or_else(|| member(v, key).filter(|x| !x.is_null()))
}

/// One case-insensitive pass (ARM is case-insensitive about property names).
fn member<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, x)| x)
}

fn text_field(v: &Value, key: &str) -> Option<String> {
    field(v, key).and_then(Value::as_str).map(str::to_owned)
}

/// The segment after `marker/` in an ARM id (any case).
fn id_segment(id: &str, marker: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case(marker) {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
        }
    }
    None
}

fn rule_owner(rule: &Value) -> (Option<String>, Option<String>) {
    let id = rule.get("id").and_then(Value::as_str).unwrap_or_default();
    let from_id = id_segment(id, "networkSecurityGroups");
    // An ARM template rule resource is named "<nsg>/<rule>".
    let from_name = || {
        rule.get("name")
            .and_then(Value::as_str)
            .and_then(|n| n.split_once('/'))
            .map(|(nsg, _)| nsg.to_owned())
    };
    let resource_group = rule
        .get("resourceGroup")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| id_segment(id, "resourceGroups"));
    (from_id.or_else(from_name), resource_group)
}

fn is_default_rule_doc(rule: &Value) -> bool {
    let id = rule.get("id").and_then(Value::as_str).unwrap_or_default();
    type_ends_with(rule, "/defaultSecurityRules")
        || id
            .split('/')
            .any(|part| part.eq_ignore_ascii_case("defaultSecurityRules"))
}

fn import_one_nsg(
    v: &Value,
    fallback_name: &str,
    warnings: &mut Vec<Warning>,
) -> NetworkSecurityGroup {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| fallback_name.to_owned());
    let id = v.get("id").and_then(Value::as_str).unwrap_or_default();
    let resource_group = v
        .get("resourceGroup")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| id_segment(id, "resourceGroups"));
    let location = v.get("location").and_then(Value::as_str).map(str::to_owned);
    let mut rules = |key: &str| -> Vec<SecurityRule> {
        match field(v, key) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut rules = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(rule) = import_rule(item, &name, rules.len(), warnings) {
                        rules.push(rule);
                    }
                }
                rules
            }
            Some(other) => {
                warnings.push(Warning {
                    object: format!("NSG {name}"),
                    field: Some(key.to_owned()),
                    value: None,
                    message: format!("expected an array of rules, found {}", other.kind()),
                });
                Vec::new()
            }
        }
    };
    let security_rules = rules("securityRules");
    let default_security_rules = rules("defaultSecurityRules");
    NetworkSecurityGroup {
        name,
        resource_group,
        location,
        security_rules,
        default_security_rules,
    }
}

struct RuleWarnings<'w> {
    nsg_name: &'w str,
    rule_name: String,
    warnings: &'w mut Vec<Warning>,
}

impl RuleWarnings<'_> {
    fn push(&mut self, field: &str, value: Option<&str>, message: impl Into<String>) {
        self.warnings.push(Warning {
            object: format!("NSG {}, rule {}", self.nsg_name, self.rule_name),
            field: Some(field.to_owned()),
            value: value.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// A scalar as text: real documents write ports and priorities as numbers or strings.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn import_rule(
    v: &Value,
    nsg_name: &str,
    index: usize,
    warnings: &mut Vec<Warning>,
) -> Option<SecurityRule> {
    if v.as_object().is_none() {
        warnings.push(Warning {
            object: format!("NSG {nsg_name}"),
            field: None,
            value: None,
            message: format!("rule {} is {}, not an object; skipped", index + 1, v.kind()),
        });
        return None;
    }
    let raw_name = v.get("name").and_then(Value::as_str).or_else(|| {
        v.get("properties")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
    });
    // An ARM template rule resource is named "<nsg>/<rule>".
    let name = match raw_name {
        Some(n) if type_ends_with(v, "/securityRules") && v.get("apiVersion").is_some() => {
            n.rsplit('/').next().unwrap_or(n).to_owned()
        }
        Some(n) => n.to_owned(),
        None => String::new(),
    };
    let shown = if name.is_empty() {
        format!("#{}", index + 1)
    } else {
        name.clone()
    };
    let mut w = RuleWarnings {
        nsg_name,
        rule_name: shown,
        warnings,
    };
    if name.is_empty() {
        w.push("name", None, "the rule has no name");
    }

    let direction = match text_field(v, "direction") {
        Some(t) if t.trim().eq_ignore_ascii_case("Inbound") => Direction::Inbound,
        Some(t) if t.trim().eq_ignore_ascii_case("Outbound") => Direction::Outbound,
        other => {
            w.push(
                "direction",
                other.as_deref(),
                "expected Inbound or Outbound; the rule is skipped",
            );
            return None;
        }
    };
    let access = match text_field(v, "access") {
        Some(t) if t.trim().eq_ignore_ascii_case("Allow") => Access::Allow,
        Some(t) if t.trim().eq_ignore_ascii_case("Deny") => Access::Deny,
        other => {
            w.push(
                "access",
                other.as_deref(),
                "expected Allow or Deny; the rule is skipped",
            );
            return None;
        }
    };
    let priority = match field(v, "priority") {
        Some(p) => {
            let text = scalar_text(p);
            match text
                .as_deref()
                .map(str::trim)
                .and_then(|t| t.parse::<u32>().ok())
            {
                Some(n) => n,
                None => {
                    w.push(
                        "priority",
                        text.as_deref(),
                        "not a whole number; taken as 4096, the last user priority",
                    );
                    4096
                }
            }
        }
        None => {
            w.push(
                "priority",
                None,
                "missing; taken as 4096, the last user priority",
            );
            4096
        }
    };
    let protocol = match field(v, "protocol").and_then(scalar_text) {
        Some(t) => parse_protocol(&t).unwrap_or_else(|| {
            w.push(
                "protocol",
                Some(&t),
                "not a protocol (Tcp, Udp, Icmp, Esp, Ah or *); the rule never matches",
            );
            RuleProtocol::Invalid(t)
        }),
        None => {
            w.push("protocol", None, "missing; the rule never matches");
            RuleProtocol::Invalid(String::new())
        }
    };
    let description = field(v, "description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let source = import_address(v, "source", &mut w);
    let source_ports = import_ports(v, "source", &mut w);
    let destination = import_address(v, "destination", &mut w);
    let destination_ports = import_ports(v, "destination", &mut w);
    Some(SecurityRule {
        name,
        description,
        priority,
        direction,
        access,
        protocol,
        source,
        source_ports,
        destination,
        destination_ports,
    })
}

/// `*`, `Any` (any case) or one of the five protocols.
pub fn parse_protocol(text: &str) -> Option<RuleProtocol> {
    let t = text.trim();
    if t == "*" || t.eq_ignore_ascii_case("Any") {
        Some(RuleProtocol::Any)
    } else {
        Protocol::parse(t).map(RuleProtocol::Only)
    }
}

/// One address entry: an IP, a CIDR, `*`/`Any`/`0.0.0.0/0`/`::/0`, or a service tag.
pub fn parse_address_prefix(text: &str) -> Result<AddressPrefix, &'static str> {
    let t = text.trim();
    if t == "*" || t.eq_ignore_ascii_case("Any") {
        return Ok(AddressPrefix::Any(t.to_owned()));
    }
    if let Ok(net) = t.parse::<IpNet>() {
        return Ok(if net.prefix_len() == 0 {
            AddressPrefix::Any(t.to_owned())
        } else {
            AddressPrefix::Cidr(net)
        });
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(AddressPrefix::Cidr(IpNet::from(ip)));
    }
    let mut chars = t.chars();
    let tag_like = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if tag_like {
        Ok(AddressPrefix::ServiceTag(t.to_owned()))
    } else {
        Err("not an IP address, CIDR prefix or service tag")
    }
}

/// One port entry: `80`, `10000-10005` or `*`.
pub fn parse_port_range(text: &str) -> Result<PortRange, &'static str> {
    let t = text.trim();
    if t == "*" {
        return Ok(PortRange::Any);
    }
    let port = |s: &str| s.trim().parse::<u16>().ok();
    match t.split_once('-') {
        Some((a, b)) => match (port(a), port(b)) {
            (Some(first), Some(last)) if first <= last => Ok(PortRange::Range { first, last }),
            (Some(_), Some(_)) => Err("the first port is greater than the last"),
            _ => Err("not a port (0-65535), port range or *"),
        },
        None => port(t)
            .map(PortRange::single)
            .ok_or("not a port (0-65535), port range or *"),
    }
}

/// The texts of a singular field and a plural list, with the field each came from.
fn entries(
    v: &Value,
    singular: &str,
    plural: &str,
    w: &mut RuleWarnings<'_>,
) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let singular_name: &'static str = leak_free(singular);
    let plural_name: &'static str = leak_free(plural);
    match field(v, singular) {
        None => {}
        Some(x) => match scalar_text(x) {
            Some(t) if t.trim().is_empty() => {}
            Some(t) => out.push((t, singular_name)),
            None => w.push(
                singular,
                None,
                format!("expected a string, found {}", x.kind()),
            ),
        },
    }
    match field(v, plural) {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                match scalar_text(item) {
                    Some(t) if t.trim().is_empty() => {
                        w.push(plural, Some(&t), "an empty entry; ignored")
                    }
                    Some(t) => out.push((t, plural_name)),
                    None => w.push(
                        plural,
                        None,
                        format!("expected strings, found {}", item.kind()),
                    ),
                }
            }
        }
        Some(other) => w.push(
            plural,
            None,
            format!("expected an array, found {}", other.kind()),
        ),
    }
    out
}

/// The field names are a closed set; map them to static strings without allocation.
fn leak_free(name: &str) -> &'static str {
    const NAMES: [&str; 8] = [
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
        "destinationAddressPrefix",
        "destinationAddressPrefixes",
        "sourcePortRange",
        "sourcePortRanges",
        "destinationPortRange",
        "destinationPortRanges",
    ];
    NAMES.into_iter().find(|n| *n == name).unwrap_or("field")
}

fn import_address(v: &Value, side: &str, w: &mut RuleWarnings<'_>) -> AddressSpec {
    let singular = format!("{side}AddressPrefix");
    let plural = format!("{side}AddressPrefixes");
    let asg_field = format!("{side}ApplicationSecurityGroups");
    let mut prefixes = Vec::new();
    for (text, field_name) in entries(v, &singular, &plural, w) {
        match parse_address_prefix(&text) {
            Ok(p) => prefixes.push(p),
            Err(message) => {
                w.push(
                    field_name,
                    Some(&text),
                    format!("{message}; it never matches"),
                );
                prefixes.push(AddressPrefix::Invalid(text));
            }
        }
    }
    let mut asgs = Vec::new();
    match field(v, &asg_field) {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let id = item
                    .get("id")
                    .and_then(Value::as_str)
                    .or_else(|| item.get("name").and_then(Value::as_str))
                    .or_else(|| item.as_str());
                match id.and_then(|id| id.rsplit('/').find(|s| !s.is_empty())) {
                    Some(name) => asgs.push(name.to_owned()),
                    None => w.push(&asg_field, None, "an entry without an id or name; ignored"),
                }
            }
        }
        Some(other) => w.push(
            &asg_field,
            None,
            format!("expected an array, found {}", other.kind()),
        ),
    }
    if !asgs.is_empty() {
        if !prefixes.is_empty() {
            w.push(
                &asg_field,
                None,
                format!("the rule has both {side} address prefixes and ASGs; the ASGs are used"),
            );
        }
        return AddressSpec::ApplicationSecurityGroups(asgs);
    }
    if prefixes.is_empty() {
        w.push(
            &singular,
            None,
            format!("no {side} address prefix or ASG; the rule never matches"),
        );
    }
    AddressSpec::Prefixes(prefixes)
}

fn import_ports(v: &Value, side: &str, w: &mut RuleWarnings<'_>) -> Vec<PortRange> {
    let singular = format!("{side}PortRange");
    let plural = format!("{side}PortRanges");
    let mut ranges = Vec::new();
    for (text, field_name) in entries(v, &singular, &plural, w) {
        match parse_port_range(&text) {
            Ok(r) => ranges.push(r),
            Err(message) => {
                w.push(
                    field_name,
                    Some(&text),
                    format!("{message}; it never matches"),
                );
                ranges.push(PortRange::Invalid(text));
            }
        }
    }
    if ranges.is_empty() {
        w.push(
            &singular,
            None,
            format!("no {side} port range; the rule never matches"),
        );
    }
    ranges
}
