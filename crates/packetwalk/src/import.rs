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
use std::borrow::Cow;
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
        warnings.extend(crate::validate::import_problems(nsg));
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

/// The fields a rule document may carry, looked up once per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Name,
    Type,
    ApiVersion,
    Properties,
    Direction,
    Access,
    Priority,
    Protocol,
    Description,
    SourceAddressPrefix,
    SourceAddressPrefixes,
    SourceApplicationSecurityGroups,
    SourcePortRange,
    SourcePortRanges,
    DestinationAddressPrefix,
    DestinationAddressPrefixes,
    DestinationApplicationSecurityGroups,
    DestinationPortRange,
    DestinationPortRanges,
}

const KEYS: [(&str, Key); 19] = [
    ("name", Key::Name),
    ("type", Key::Type),
    ("apiVersion", Key::ApiVersion),
    ("properties", Key::Properties),
    ("direction", Key::Direction),
    ("access", Key::Access),
    ("priority", Key::Priority),
    ("protocol", Key::Protocol),
    ("description", Key::Description),
    ("sourceAddressPrefix", Key::SourceAddressPrefix),
    ("sourceAddressPrefixes", Key::SourceAddressPrefixes),
    (
        "sourceApplicationSecurityGroups",
        Key::SourceApplicationSecurityGroups,
    ),
    ("sourcePortRange", Key::SourcePortRange),
    ("sourcePortRanges", Key::SourcePortRanges),
    ("destinationAddressPrefix", Key::DestinationAddressPrefix),
    (
        "destinationAddressPrefixes",
        Key::DestinationAddressPrefixes,
    ),
    (
        "destinationApplicationSecurityGroups",
        Key::DestinationApplicationSecurityGroups,
    ),
    ("destinationPortRange", Key::DestinationPortRange),
    ("destinationPortRanges", Key::DestinationPortRanges),
];

impl Key {
    /// The known field `name` spells, in any case, without allocating.
    fn of(name: &str) -> Option<(Key, bool)> {
        // By length first: most keys of a real document are not ours.
        let candidates: &[Key] = match name.len() {
            4 => &[Key::Name, Key::Type],
            6 => &[Key::Access],
            8 => &[Key::Priority, Key::Protocol],
            9 => &[Key::Direction],
            10 => &[Key::ApiVersion, Key::Properties],
            11 => &[Key::Description],
            15 => &[Key::SourcePortRange],
            16 => &[Key::SourcePortRanges],
            19 => &[Key::SourceAddressPrefix],
            20 => &[Key::DestinationPortRange],
            21 => &[Key::SourceAddressPrefixes, Key::DestinationPortRanges],
            24 => &[Key::DestinationAddressPrefix],
            26 => &[Key::DestinationAddressPrefixes],
            31 => &[Key::SourceApplicationSecurityGroups],
            36 => &[Key::DestinationApplicationSecurityGroups],
            _ => return None,
        };
        candidates.iter().find_map(|key| {
            let known = key.name();
            (known.eq_ignore_ascii_case(name)).then(|| (*key, known == name))
        })
    }

    fn name(self) -> &'static str {
        KEYS.get(self as usize).map(|(n, _)| *n).unwrap_or("field")
    }
}

/// One object's known members: the first case-insensitive match of each key, except
/// that an exact spelling wins (as [`Value::get`] does).
#[derive(Default)]
struct Members<'a> {
    values: [Option<&'a Value>; KEYS.len()],
    exact: u32,
}

impl<'a> Members<'a> {
    fn of(v: &'a Value) -> Members<'a> {
        let mut m = Members::default();
        for (k, x) in v.as_object().unwrap_or_default() {
            let Some((key, exact)) = Key::of(k) else {
                continue;
            };
            let bit = 1u32 << (key as u32);
            if let Some(slot) = m.values.get_mut(key as usize) {
                if slot.is_none() || (exact && m.exact & bit == 0) {
                    *slot = Some(x);
                    if exact {
                        m.exact |= bit;
                    }
                }
            }
        }
        m
    }

    fn get(&self, key: Key) -> Option<&'a Value> {
        self.values.get(key as usize).copied().flatten()
    }
}

/// A rule document's fields, under `properties` (ARM) or at the top (az); nulls skipped.
struct RuleDoc<'a> {
    top: Members<'a>,
    properties: Members<'a>,
}

impl<'a> RuleDoc<'a> {
    fn new(v: &'a Value) -> RuleDoc<'a> {
        let top = Members::of(v);
        let properties = top
            .get(Key::Properties)
            .map(Members::of)
            .unwrap_or_default();
        RuleDoc { top, properties }
    }

    fn field(&self, key: Key) -> Option<&'a Value> {
        self.properties
            .get(key)
            .filter(|x| !x.is_null())
            .or_else(|| self.top.get(key).filter(|x| !x.is_null()))
    }

    fn text(&self, key: Key) -> Option<&'a str> {
        self.field(key).and_then(Value::as_str)
    }
}

struct RuleWarnings<'w> {
    nsg_name: &'w str,
    /// The rule's name, or empty when it has none (then `#index` is shown).
    rule_name: &'w str,
    index: usize,
    warnings: &'w mut Vec<Warning>,
}

impl RuleWarnings<'_> {
    fn push(&mut self, field: &str, value: Option<&str>, message: impl Into<String>) {
        let object = if self.rule_name.is_empty() {
            format!("NSG {}, rule #{}", self.nsg_name, self.index + 1)
        } else {
            format!("NSG {}, rule {}", self.nsg_name, self.rule_name)
        };
        self.warnings.push(Warning {
            object,
            field: Some(field.to_owned()),
            value: value.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// A scalar as text: real documents write ports and priorities as numbers or strings.
fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        // Whole numbers print exactly (2^64 is 18446744073709551616) without the float printer.
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e38 => {
            Some(Cow::Owned(format!("{}", *n as i128)))
        }
        Value::Number(n) => Some(Cow::Owned(decimal(*n))),
        _ => None,
    }
}

/// A priority as written (a number or a string of digits), or what is wrong with it:
/// a whole number outside what a priority can hold is "out of range", anything else
/// "not a whole number".
fn priority_value(v: &Value) -> Result<u32, (Option<Cow<'_, str>>, &'static str)> {
    let text = scalar_text(v);
    let whole = match v {
        Value::Number(n) if n.fract() == 0.0 => Some(*n),
        Value::String(s) => {
            let digits = s.trim().strip_prefix('-').unwrap_or(s.trim());
            match s.trim().parse::<i128>() {
                Ok(n) => Some(n as f64),
                // More digits than any integer type holds: still a whole number.
                Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(f64::INFINITY)
                }
                Err(_) => None,
            }
        }
        _ => None,
    };
    match whole {
        Some(n) if (0.0..=f64::from(u32::MAX)).contains(&n) => Ok(n as u32),
        Some(_) => Err((
            text,
            "out of range: a priority is a whole number from 100 to 4096",
        )),
        None => Err((text, "not a whole number")),
    }
}

/// One rule document (any shape `import` reads a rule in) for the NSG `nsg_name`, with
/// what the lenient import found odd. `None` when the rule cannot be read at all (no
/// direction or access); the warnings say why.
pub fn import_security_rule(doc: &Value, nsg_name: &str) -> (Option<SecurityRule>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let rule = import_rule(doc, nsg_name, 0, &mut warnings);
    (rule, warnings)
}

/// A number that is not a whole one, as text for a warning: up to six decimals, which
/// is plenty to show what was written, without the float printer in the page.
pub(crate) fn decimal(n: f64) -> String {
    if !n.is_finite() || n.abs() >= 1e15 {
        return if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "a huge number"
        } else {
            "a huge negative number"
        }
        .to_owned();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let scaled = (n.abs() * 1e6).round() as u64;
    let (whole, fraction) = (scaled / 1_000_000, scaled % 1_000_000);
    let fraction = format!("{fraction:06}");
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
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
    let doc = RuleDoc::new(v);
    let raw_name = doc
        .top
        .get(Key::Name)
        .and_then(Value::as_str)
        .or_else(|| doc.properties.get(Key::Name).and_then(Value::as_str));
    // An ARM template rule resource is named "<nsg>/<rule>".
    let template_resource = || {
        doc.top.get(Key::ApiVersion).is_some()
            && doc
                .top
                .get(Key::Type)
                .and_then(Value::as_str)
                .is_some_and(|t| ends_with_ignore_case(t, "/securityRules"))
    };
    let name: &str = match raw_name {
        Some(n) if template_resource() => n.rsplit('/').next().unwrap_or(n),
        Some(n) => n,
        None => "",
    };
    let mut w = RuleWarnings {
        nsg_name,
        rule_name: name,
        index,
        warnings,
    };
    if name.is_empty() {
        w.push("name", None, "the rule has no name");
    }

    let direction = match doc.text(Key::Direction) {
        Some(t) if t.trim().eq_ignore_ascii_case("Inbound") => Direction::Inbound,
        Some(t) if t.trim().eq_ignore_ascii_case("Outbound") => Direction::Outbound,
        other => {
            w.push(
                "direction",
                other,
                "expected Inbound or Outbound; the rule is skipped",
            );
            return None;
        }
    };
    let access = match doc.text(Key::Access) {
        Some(t) if t.trim().eq_ignore_ascii_case("Allow") => Access::Allow,
        Some(t) if t.trim().eq_ignore_ascii_case("Deny") => Access::Deny,
        other => {
            w.push(
                "access",
                other,
                "expected Allow or Deny; the rule is skipped",
            );
            return None;
        }
    };
    let priority = match doc.field(Key::Priority).map(priority_value) {
        Some(Ok(n)) => n,
        Some(Err((text, problem))) => {
            w.push(
                "priority",
                text.as_deref(),
                format!("{problem}; taken as 4096, the last user priority"),
            );
            4096
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
    let protocol = match doc.field(Key::Protocol).and_then(scalar_text) {
        Some(t) => parse_protocol(&t).unwrap_or_else(|| {
            w.push(
                "protocol",
                Some(&t),
                "not a protocol (Tcp, Udp, Icmp, Esp, Ah or *); the rule never matches",
            );
            RuleProtocol::Invalid(t.into_owned())
        }),
        None => {
            w.push("protocol", None, "missing; the rule never matches");
            RuleProtocol::Invalid(String::new())
        }
    };
    let description = doc.text(Key::Description).map(str::to_owned);
    let source = import_address(&doc, Side::Source, &mut w);
    let source_ports = import_ports(&doc, Side::Source, &mut w);
    let destination = import_address(&doc, Side::Destination, &mut w);
    let destination_ports = import_ports(&doc, Side::Destination, &mut w);
    Some(SecurityRule {
        name: name.to_owned(),
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

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text
            .get(text.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Source,
    Destination,
}

impl Side {
    fn word(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Destination => "destination",
        }
    }

    /// The singular prefix, plural prefixes and ASG keys.
    fn address_keys(self) -> (Key, Key, Key) {
        match self {
            Side::Source => (
                Key::SourceAddressPrefix,
                Key::SourceAddressPrefixes,
                Key::SourceApplicationSecurityGroups,
            ),
            Side::Destination => (
                Key::DestinationAddressPrefix,
                Key::DestinationAddressPrefixes,
                Key::DestinationApplicationSecurityGroups,
            ),
        }
    }

    fn port_keys(self) -> (Key, Key) {
        match self {
            Side::Source => (Key::SourcePortRange, Key::SourcePortRanges),
            Side::Destination => (Key::DestinationPortRange, Key::DestinationPortRanges),
        }
    }
}

/// Calls `each` with the text of the singular field and of every entry of the plural
/// list, and the key it came from; odd entries become warnings.
fn entries<'a>(
    doc: &RuleDoc<'a>,
    singular: Key,
    plural: Key,
    w: &mut RuleWarnings<'_>,
    mut each: impl FnMut(Cow<'a, str>, Key, &mut RuleWarnings<'_>),
) {
    match doc.field(singular) {
        None => {}
        Some(x) => match scalar_text(x) {
            Some(t) if t.trim().is_empty() => {}
            Some(t) => each(t, singular, w),
            None => w.push(
                singular.name(),
                None,
                format!("expected a string, found {}", x.kind()),
            ),
        },
    }
    match doc.field(plural) {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                match scalar_text(item) {
                    Some(t) if t.trim().is_empty() => {
                        w.push(plural.name(), Some(&t), "an empty entry; ignored")
                    }
                    Some(t) => each(t, plural, w),
                    None => w.push(
                        plural.name(),
                        None,
                        format!("expected strings, found {}", item.kind()),
                    ),
                }
            }
        }
        Some(other) => w.push(
            plural.name(),
            None,
            format!("expected an array, found {}", other.kind()),
        ),
    }
}

fn import_address(doc: &RuleDoc<'_>, side: Side, w: &mut RuleWarnings<'_>) -> AddressSpec {
    let (singular, plural, asg_key) = side.address_keys();
    let mut prefixes = Vec::new();
    entries(
        doc,
        singular,
        plural,
        w,
        |text, key, w| match parse_address_prefix(&text) {
            Ok(p) => prefixes.push(p),
            Err(message) => {
                w.push(
                    key.name(),
                    Some(&text),
                    format!("{message}; it never matches"),
                );
                prefixes.push(AddressPrefix::Invalid(text.into_owned()));
            }
        },
    );
    let asg_field = asg_key.name();
    let mut asgs = Vec::new();
    match doc.field(asg_key) {
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
                    None => w.push(asg_field, None, "an entry without an id or name; ignored"),
                }
            }
        }
        Some(other) => w.push(
            asg_field,
            None,
            format!("expected an array, found {}", other.kind()),
        ),
    }
    if !asgs.is_empty() {
        if !prefixes.is_empty() {
            w.push(
                asg_field,
                None,
                format!(
                    "the rule has both {} address prefixes and ASGs; the ASGs are used",
                    side.word()
                ),
            );
        }
        return AddressSpec::ApplicationSecurityGroups(asgs);
    }
    if prefixes.is_empty() {
        w.push(
            singular.name(),
            None,
            format!(
                "no {} address prefix or ASG; the rule never matches",
                side.word()
            ),
        );
    }
    AddressSpec::Prefixes(prefixes)
}

fn import_ports(doc: &RuleDoc<'_>, side: Side, w: &mut RuleWarnings<'_>) -> Vec<PortRange> {
    let (singular, plural) = side.port_keys();
    let mut ranges = Vec::new();
    entries(
        doc,
        singular,
        plural,
        w,
        |text, key, w| match parse_port_range(&text) {
            Ok(r) => ranges.push(r),
            Err(message) => {
                w.push(
                    key.name(),
                    Some(&text),
                    format!("{message}; it never matches"),
                );
                ranges.push(PortRange::Invalid(text.into_owned()));
            }
        },
    );
    if ranges.is_empty() {
        w.push(
            singular.name(),
            None,
            format!("no {} port range; the rule never matches", side.word()),
        );
    }
    ranges
}

#[cfg(test)]
mod tests {
    #[test]
    fn odd_numbers_print_without_the_float_printer() {
        assert_eq!(super::decimal(100.5), "100.5");
        assert_eq!(super::decimal(-0.25), "-0.25");
        assert_eq!(super::decimal(3.0), "3");
        assert_eq!(super::decimal(1e20), "a huge number");
    }
}
