//! Strict validation: what Azure would refuse (spec §1 limits), each finding naming NSG,
//! rule and field so that an editor can show it beside the field.

use crate::eval::RuleKind;
use crate::model::{
    AddressPrefix, AddressSpec, NetworkSecurityGroup, PortRange, RuleProtocol, SecurityRule,
    Warning,
};

pub const MAX_NAME_LEN: usize = 80;
pub const MAX_DESCRIPTION_LEN: usize = 140;
pub const MAX_ADDRESSES_PER_SIDE: usize = 4000;
pub const MAX_ASGS_PER_SIDE: usize = 10;
pub const USER_PRIORITIES: std::ops::RangeInclusive<u32> = 100..=4096;
/// Security rules per NSG (spec §1 limits).
pub const MAX_RULES_PER_NSG: usize = 1000;

const PRIORITY_RANGE: &str = "a priority must be between 100 and 4096";

/// Every finding for every rule of the NSG, and the NSG's rule count.
pub fn validate_nsg(nsg: &NetworkSecurityGroup) -> Vec<Warning> {
    let user = (0..nsg.security_rules.len()).map(|i| (RuleKind::User, i));
    let default = (0..nsg.default_security_rules.len()).map(|i| (RuleKind::Default, i));
    user.chain(default)
        .flat_map(|(kind, index)| validate_rule(nsg, kind, index))
        .chain(rule_count_problem(nsg))
        .collect()
}

/// Azure's limit of 1,000 security rules per NSG, if the NSG is over it.
pub fn rule_count_problem(nsg: &NetworkSecurityGroup) -> Option<Warning> {
    let count = nsg.security_rules.len();
    (count > MAX_RULES_PER_NSG).then(|| Warning {
        object: format!("NSG {}", nsg.name),
        field: Some("securityRules".to_owned()),
        value: None,
        message: format!(
            "{count} rules; Azure allows at most {MAX_RULES_PER_NSG} in one NSG and refuses more"
        ),
    })
}

/// What Azure would refuse of an imported NSG as a whole, which a lenient import takes
/// with a warning: user rules' priorities outside 100-4096, two user rules with one
/// priority in one direction, and more than 1,000 rules. Each warning says what the
/// evaluator does instead of refusing.
pub fn import_problems(nsg: &NetworkSecurityGroup) -> Vec<Warning> {
    let mut out = Vec::new();
    let rules = &nsg.security_rules;
    for (index, rule) in rules.iter().enumerate() {
        let warning = |message: String| Warning {
            object: format!("NSG {}, rule {}", nsg.name, rule.name),
            field: Some("priority".to_owned()),
            value: Some(rule.priority.to_string()),
            message,
        };
        if !USER_PRIORITIES.contains(&rule.priority) {
            let tie = if nsg
                .default_security_rules
                .iter()
                .any(|d| d.priority == rule.priority && d.direction == rule.direction)
            {
                ", before the default rule of that priority"
            } else {
                ""
            };
            out.push(warning(format!(
                "out of range: {PRIORITY_RANGE} (Azure refuses the rule); evaluated at {} as written{tie}",
                rule.priority
            )));
        }
        // Rules of one priority are evaluated in document order (eval::rules_in_priority_order).
        if let Some(first) = rules[..index]
            .iter()
            .find(|other| other.priority == rule.priority && other.direction == rule.direction)
        {
            out.push(warning(format!(
                "rule {} has the same priority in the same direction ({}), which Azure refuses; packetwalk lets rule {} decide first, as it comes first in the document",
                first.name,
                rule.direction.as_str(),
                first.name
            )));
        }
    }
    out.extend(rule_count_problem(nsg));
    out
}

/// The findings for one rule (none if there is no such rule). Default rules are only
/// checked for values; Azure fixes their names and priorities.
pub fn validate_rule(nsg: &NetworkSecurityGroup, kind: RuleKind, index: usize) -> Vec<Warning> {
    let rules = match kind {
        RuleKind::User => &nsg.security_rules,
        RuleKind::Default => &nsg.default_security_rules,
    };
    let Some(rule) = rules.get(index) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let object = format!("NSG {}, rule {}", nsg.name, rule.name);
    let mut push = |field: &str, value: Option<String>, message: String| {
        out.push(Warning {
            object: object.clone(),
            field: Some(field.to_owned()),
            value,
            message,
        })
    };
    if kind == RuleKind::User {
        check_name(rule, &mut push);
        if !USER_PRIORITIES.contains(&rule.priority) {
            push(
                "priority",
                Some(rule.priority.to_string()),
                PRIORITY_RANGE.to_owned(),
            );
        }
        for (other_index, other) in nsg.security_rules.iter().enumerate() {
            if other_index == index {
                continue;
            }
            if other.priority == rule.priority && other.direction == rule.direction {
                push(
                    "priority",
                    Some(rule.priority.to_string()),
                    format!(
                        "rule {} has the same priority in the same direction ({})",
                        other.name,
                        rule.direction.as_str()
                    ),
                );
            }
            if other.name.eq_ignore_ascii_case(&rule.name) {
                push(
                    "name",
                    Some(rule.name.clone()),
                    "another rule of this NSG has the same name".to_owned(),
                );
            }
        }
    }
    if let Some(description) = &rule.description {
        if description.chars().count() > MAX_DESCRIPTION_LEN {
            push(
                "description",
                None,
                format!("a description is at most {MAX_DESCRIPTION_LEN} characters"),
            );
        }
    }
    if let RuleProtocol::Invalid(raw) = &rule.protocol {
        push(
            "protocol",
            Some(raw.clone()),
            "not a protocol (Tcp, Udp, Icmp, Esp, Ah or *)".to_owned(),
        );
    }
    for (side, spec, ports) in [
        ("source", &rule.source, &rule.source_ports),
        ("destination", &rule.destination, &rule.destination_ports),
    ] {
        check_address(side, spec, &mut push);
        check_ports(side, ports, &mut push);
    }
    out
}

type Push<'a> = dyn FnMut(&str, Option<String>, String) + 'a;

fn check_name(rule: &SecurityRule, push: &mut Push<'_>) {
    if let Some(message) = name_problem(&rule.name) {
        let value = (!rule.name.is_empty()).then(|| rule.name.clone());
        push("name", value, message);
    }
}

/// What Azure would refuse in the name of a rule or an NSG, if anything.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name is required".to_owned());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Some(format!("a name is at most {MAX_NAME_LEN} characters"));
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let last_ok = name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (!(first_ok && last_ok && chars_ok)).then(|| {
        "a name holds ASCII letters, digits, '_', '.' and '-', begins with a letter or digit and ends with a letter, digit or '_'".to_owned()
    })
}

fn check_address(side: &str, spec: &AddressSpec, push: &mut Push<'_>) {
    match spec {
        AddressSpec::ApplicationSecurityGroups(asgs) => {
            let field = format!("{side}ApplicationSecurityGroups");
            if asgs.is_empty() {
                push(&field, None, "no application security group".to_owned());
            }
            if asgs.len() > MAX_ASGS_PER_SIDE {
                push(
                    &field,
                    None,
                    format!("at most {MAX_ASGS_PER_SIDE} application security groups"),
                );
            }
        }
        AddressSpec::Prefixes(prefixes) => {
            let field = if prefixes.len() == 1 {
                format!("{side}AddressPrefix")
            } else {
                format!("{side}AddressPrefixes")
            };
            if prefixes.is_empty() {
                push(&field, None, format!("no {side} address prefix or ASG"));
            }
            if prefixes.len() > MAX_ADDRESSES_PER_SIDE {
                push(
                    &field,
                    None,
                    format!("at most {MAX_ADDRESSES_PER_SIDE} addresses per side"),
                );
            }
            for prefix in prefixes {
                if let AddressPrefix::Invalid(raw) = prefix {
                    push(
                        &field,
                        Some(raw.clone()),
                        "not an IP address, CIDR prefix or service tag".to_owned(),
                    );
                }
            }
        }
    }
}

fn check_ports(side: &str, ports: &[PortRange], push: &mut Push<'_>) {
    let field = if ports.len() == 1 {
        format!("{side}PortRange")
    } else {
        format!("{side}PortRanges")
    };
    if ports.is_empty() {
        push(&field, None, format!("no {side} port range"));
    }
    for range in ports {
        match range {
            PortRange::Invalid(raw) => push(
                &field,
                Some(raw.clone()),
                "not a port (0-65535), port range or *".to_owned(),
            ),
            PortRange::Range { first, last } if first > last => push(
                &field,
                Some(range.as_text()),
                "the first port is greater than the last".to_owned(),
            ),
            _ => {}
        }
    }
}
