//! Export: the rule table of `az network nsg rule list -o table` and the JSON shape of
//! `az network nsg show -o json`, which [`crate::import`] reads back unchanged.

use crate::json::Value;
use crate::model::{AddressSpec, NetworkSecurityGroup, PortRange, SecurityRule};
use serde::Serialize;

/// One row of `az network nsg rule list -o table`, every column as az prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleRow {
    pub name: String,
    pub resource_group: String,
    pub priority: String,
    pub source_port_ranges: String,
    pub source_address_prefixes: String,
    #[serde(rename = "SourceASG")]
    pub source_asg: String,
    pub access: String,
    pub protocol: String,
    pub direction: String,
    pub destination_port_ranges: String,
    pub destination_address_prefixes: String,
    #[serde(rename = "DestinationASG")]
    pub destination_asg: String,
}

pub const RULE_TABLE_HEADERS: [&str; 12] = [
    "Name",
    "ResourceGroup",
    "Priority",
    "SourcePortRanges",
    "SourceAddressPrefixes",
    "SourceASG",
    "Access",
    "Protocol",
    "Direction",
    "DestinationPortRanges",
    "DestinationAddressPrefixes",
    "DestinationASG",
];

impl RuleRow {
    pub fn cells(&self) -> [&str; 12] {
        [
            &self.name,
            &self.resource_group,
            &self.priority,
            &self.source_port_ranges,
            &self.source_address_prefixes,
            &self.source_asg,
            &self.access,
            &self.protocol,
            &self.direction,
            &self.destination_port_ranges,
            &self.destination_address_prefixes,
            &self.destination_asg,
        ]
    }
}

fn ports_text(ranges: &[PortRange]) -> String {
    ranges
        .iter()
        .map(PortRange::as_text)
        .collect::<Vec<_>>()
        .join(" ")
}

fn prefixes_text(spec: &AddressSpec) -> String {
    match spec {
        AddressSpec::Prefixes(p) => p.iter().map(|p| p.as_text()).collect::<Vec<_>>().join(" "),
        AddressSpec::ApplicationSecurityGroups(_) => String::new(),
    }
}

fn asg_text(spec: &AddressSpec) -> String {
    match spec {
        AddressSpec::ApplicationSecurityGroups(asgs) if !asgs.is_empty() => asgs.join(" "),
        _ => "None".to_owned(),
    }
}

pub fn rule_row(nsg: &NetworkSecurityGroup, rule: &SecurityRule) -> RuleRow {
    RuleRow {
        name: rule.name.clone(),
        resource_group: nsg.resource_group.clone().unwrap_or_default(),
        priority: rule.priority.to_string(),
        source_port_ranges: ports_text(&rule.source_ports),
        source_address_prefixes: prefixes_text(&rule.source),
        source_asg: asg_text(&rule.source),
        access: rule.access.as_str().to_owned(),
        protocol: rule.protocol.as_text().to_owned(),
        direction: rule.direction.as_str().to_owned(),
        destination_port_ranges: ports_text(&rule.destination_ports),
        destination_address_prefixes: prefixes_text(&rule.destination),
        destination_asg: asg_text(&rule.destination),
    }
}

/// The user rules, then (with `include_default`) the default rules, in document order as
/// `az network nsg rule list [--include-default]` lists them.
pub fn rule_rows(nsg: &NetworkSecurityGroup, include_default: bool) -> Vec<RuleRow> {
    let defaults: &[SecurityRule] = if include_default {
        &nsg.default_security_rules
    } else {
        &[]
    };
    nsg.security_rules
        .iter()
        .chain(defaults)
        .map(|rule| rule_row(nsg, rule))
        .collect()
}

/// Text laid out as az's table output: left-aligned columns two spaces apart, a column
/// at least two wider than its header, dashes under the header, no trailing spaces.
pub fn format_table<S: AsRef<str>>(headers: &[&str], rows: &[Vec<S>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count() + 2).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.as_ref().chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            text.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut dashes.iter().map(String::as_str));
    for row in rows {
        line(&mut row.iter().map(AsRef::as_ref));
    }
    out
}

/// `az network nsg rule list -o table` (with `--include-default` when asked).
pub fn rule_table(nsg: &NetworkSecurityGroup, include_default: bool) -> String {
    let owned = rule_rows(nsg, include_default);
    let rows: Vec<Vec<&str>> = owned.iter().map(|row| row.cells().to_vec()).collect();
    format_table(&RULE_TABLE_HEADERS, &rows)
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The singular field holds a lone entry and the plural list several, as az writes them.
fn singular_plural(texts: Vec<String>) -> (Value, Value) {
    match texts.as_slice() {
        [one] => (string(one), Value::Array(Vec::new())),
        _ => (
            Value::Null,
            Value::Array(texts.into_iter().map(Value::String).collect()),
        ),
    }
}

fn rule_json(nsg: &NetworkSecurityGroup, rule: &SecurityRule, collection: &str) -> Value {
    let mut members = vec![
        ("name".to_owned(), string(&rule.name)),
        (
            "description".to_owned(),
            rule.description
                .as_deref()
                .map(string)
                .unwrap_or(Value::Null),
        ),
        (
            "priority".to_owned(),
            Value::Number(f64::from(rule.priority)),
        ),
        ("direction".to_owned(), string(rule.direction.as_str())),
        ("access".to_owned(), string(rule.access.as_str())),
        ("protocol".to_owned(), string(rule.protocol.as_text())),
    ];
    for (side, spec, ports) in [
        ("source", &rule.source, &rule.source_ports),
        ("destination", &rule.destination, &rule.destination_ports),
    ] {
        let (prefix, prefixes, asgs) = match spec {
            AddressSpec::Prefixes(p) => {
                let (one, many) = singular_plural(p.iter().map(|p| p.as_text()).collect());
                (one, many, Value::Null)
            }
            AddressSpec::ApplicationSecurityGroups(names) => (
                Value::Null,
                Value::Array(Vec::new()),
                Value::Array(
                    names
                        .iter()
                        .map(|n| Value::Object(vec![("name".to_owned(), string(n))]))
                        .collect(),
                ),
            ),
        };
        let (port, port_list) = singular_plural(ports.iter().map(PortRange::as_text).collect());
        members.push((format!("{side}AddressPrefix"), prefix));
        members.push((format!("{side}AddressPrefixes"), prefixes));
        members.push((format!("{side}ApplicationSecurityGroups"), asgs));
        members.push((format!("{side}PortRange"), port));
        members.push((format!("{side}PortRanges"), port_list));
    }
    if let Some(rg) = &nsg.resource_group {
        members.push(("resourceGroup".to_owned(), string(rg)));
    }
    members.push((
        "type".to_owned(),
        string(&format!(
            "Microsoft.Network/networkSecurityGroups/{collection}"
        )),
    ));
    Value::Object(members)
}

/// The NSG in the shape of `az network nsg show -o json` (flattened, both collections).
pub fn to_az_json(nsg: &NetworkSecurityGroup) -> Value {
    let rules = |rules: &[SecurityRule], collection: &str| {
        Value::Array(
            rules
                .iter()
                .map(|r| rule_json(nsg, r, collection))
                .collect(),
        )
    };
    let mut members = vec![("name".to_owned(), string(&nsg.name))];
    if let Some(location) = &nsg.location {
        members.push(("location".to_owned(), string(location)));
    }
    if let Some(rg) = &nsg.resource_group {
        members.push(("resourceGroup".to_owned(), string(rg)));
    }
    members.push((
        "securityRules".to_owned(),
        rules(&nsg.security_rules, "securityRules"),
    ));
    members.push((
        "defaultSecurityRules".to_owned(),
        rules(&nsg.default_security_rules, "defaultSecurityRules"),
    ));
    members.push((
        "type".to_owned(),
        string("Microsoft.Network/networkSecurityGroups"),
    ));
    Value::Object(members)
}
