//! The six default security rules every NSG has (spec §1).

use crate::model::{
    Access, AddressPrefix, AddressSpec, Direction, NetworkSecurityGroup, PortRange, RuleProtocol,
    SecurityRule,
};

fn default_rule(
    name: &str,
    description: &str,
    priority: u32,
    direction: Direction,
    source: &str,
    destination: &str,
    access: Access,
) -> SecurityRule {
    let spec = |text: &str| {
        AddressSpec::Prefixes(vec![if text == "*" {
            AddressPrefix::Any("*".to_owned())
        } else {
            AddressPrefix::ServiceTag(text.to_owned())
        }])
    };
    SecurityRule {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        priority,
        direction,
        access,
        protocol: RuleProtocol::Any,
        source: spec(source),
        source_ports: vec![PortRange::Any],
        destination: spec(destination),
        destination_ports: vec![PortRange::Any],
    }
}

/// The default rules in the order `az network nsg rule list --include-default` lists them,
/// with the descriptions Azure gives them.
pub fn default_security_rules() -> Vec<SecurityRule> {
    use Access::{Allow, Deny};
    use Direction::{Inbound, Outbound};
    vec![
        default_rule(
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            65000,
            Inbound,
            "VirtualNetwork",
            "VirtualNetwork",
            Allow,
        ),
        default_rule(
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            65001,
            Inbound,
            "AzureLoadBalancer",
            "*",
            Allow,
        ),
        default_rule(
            "DenyAllInBound",
            "Deny all inbound traffic",
            65500,
            Inbound,
            "*",
            "*",
            Deny,
        ),
        default_rule(
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            65000,
            Outbound,
            "VirtualNetwork",
            "VirtualNetwork",
            Allow,
        ),
        default_rule(
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            65001,
            Outbound,
            "*",
            "Internet",
            Allow,
        ),
        default_rule(
            "DenyAllOutBound",
            "Deny all outbound traffic",
            65500,
            Outbound,
            "*",
            "*",
            Deny,
        ),
    ]
}

impl NetworkSecurityGroup {
    /// An NSG with no user rules and the six default rules.
    pub fn new(name: impl Into<String>) -> NetworkSecurityGroup {
        NetworkSecurityGroup {
            name: name.into(),
            resource_group: None,
            location: None,
            security_rules: Vec::new(),
            default_security_rules: default_security_rules(),
        }
    }

    /// Adds, at their usual place, the default rules that `default_security_rules` lacks
    /// (matched by name, any case). Returns the names added.
    pub fn add_missing_default_rules(&mut self) -> Vec<String> {
        let mut added = Vec::new();
        let mut merged = Vec::with_capacity(6 + self.default_security_rules.len());
        for default in default_security_rules() {
            if let Some(position) = self
                .default_security_rules
                .iter()
                .position(|rule| rule.name.eq_ignore_ascii_case(&default.name))
            {
                merged.push(self.default_security_rules.remove(position));
            } else {
                added.push(default.name.clone());
                merged.push(default);
            }
        }
        // Anything else the document called a default rule stays, after the six.
        merged.append(&mut self.default_security_rules);
        self.default_security_rules = merged;
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_defaults_with_the_priorities_of_the_spec() {
        // spec §1 "Every NSG has six default rules (priority 65000, 65001, 65500)"
        let rules = default_security_rules();
        let summary: Vec<(&str, u32, Direction, Access)> = rules
            .iter()
            .map(|r| (r.name.as_str(), r.priority, r.direction, r.access))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("AllowVnetInBound", 65000, Direction::Inbound, Access::Allow),
                (
                    "AllowAzureLoadBalancerInBound",
                    65001,
                    Direction::Inbound,
                    Access::Allow
                ),
                ("DenyAllInBound", 65500, Direction::Inbound, Access::Deny),
                (
                    "AllowVnetOutBound",
                    65000,
                    Direction::Outbound,
                    Access::Allow
                ),
                (
                    "AllowInternetOutBound",
                    65001,
                    Direction::Outbound,
                    Access::Allow
                ),
                ("DenyAllOutBound", 65500, Direction::Outbound, Access::Deny),
            ]
        );
    }

    #[test]
    fn missing_defaults_are_added_in_place_and_present_ones_kept() {
        let mut nsg = NetworkSecurityGroup::new("n");
        nsg.default_security_rules
            .retain(|r| r.name == "DenyAllInBound");
        nsg.default_security_rules[0].description = Some("kept".to_owned());
        let added = nsg.add_missing_default_rules();
        assert_eq!(added.len(), 5);
        assert_eq!(nsg.default_security_rules.len(), 6);
        assert_eq!(
            nsg.default_security_rules[2].description.as_deref(),
            Some("kept")
        );
    }
}
