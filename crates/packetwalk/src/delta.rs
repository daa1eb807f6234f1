//! What changed in Azure between two states of a scenario, placed on the parts of the
//! picture it concerns: a public IP, the load balancer's frontends, rules and probes, and
//! NSG rules wherever their NSG is applied. The tour's `kubectl apply` step shows what the
//! cloud provider created; the rule deleted by hand shows what went.

use crate::component;
use crate::model::{NetworkSecurityGroup, SecurityRule};
use crate::scenario::Scenario;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DeltaKind {
    Added,
    Removed,
    Changed,
}

/// One change, on one drawn part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// The component id the change is drawn at.
    pub component: String,
    pub kind: DeltaKind,
    /// The object in a few words: `load-balancing rule a094...-TCP-8080`.
    pub what: String,
    /// What it does, short enough for the picture: `rule TCP 8080 -> 8080`.
    pub label: String,
}

/// Everything Azure holds differently in `after` than in `before`, in a stable order:
/// public IPs, then the load balancer, then the internal load balancer, then NSG rules.
pub fn azure_delta(before: &Scenario, after: &Scenario) -> Vec<Delta> {
    let mut out = Vec::new();
    named(
        &before.public_ips,
        &after.public_ips,
        |p| &p.name,
        |p| {
            let address = p.ip_address.map(|ip| ip.to_string()).unwrap_or_default();
            (
                component::public_ip(&p.name),
                format!("public IP {}", p.name),
                format!("public IP {address}"),
            )
        },
        &mut out,
    );
    let lbs = [
        (&before.load_balancer, &after.load_balancer),
        (
            &before.internal_load_balancer,
            &after.internal_load_balancer,
        ),
    ];
    for (lb_before, lb_after) in lbs {
        load_balancer(lb_before.as_ref(), lb_after.as_ref(), after, &mut out);
    }
    for nsg in &after.network_security_groups.nsgs {
        let old = before.network_security_groups.get(&nsg.name);
        let old_rules: &[SecurityRule] = old.map_or(&[], |o| &o.security_rules);
        let mut rules = Vec::new();
        named(
            old_rules,
            &nsg.security_rules,
            |r| &r.name,
            |r| {
                let ports: Vec<String> = r.destination_ports.iter().map(|p| p.as_text()).collect();
                let source = match &r.source {
                    crate::model::AddressSpec::Prefixes(list) => list
                        .iter()
                        .map(|p| p.as_text())
                        .collect::<Vec<_>>()
                        .join(","),
                    crate::model::AddressSpec::ApplicationSecurityGroups(asgs) => asgs.join(","),
                };
                (
                    String::new(),
                    format!("NSG rule {} ({} {})", r.name, r.priority, r.access.as_str()),
                    format!(
                        "rule {} {} {} {} from {source}",
                        r.priority,
                        r.access.as_str(),
                        r.protocol.as_text().to_ascii_uppercase(),
                        ports.join(",")
                    ),
                )
            },
            &mut rules,
        );
        for delta in rules {
            for at in placements(after, nsg) {
                out.push(Delta {
                    component: at,
                    ..delta.clone()
                });
            }
        }
    }
    out
}

/// What changed on one load balancer (the public one or the internal one): frontends,
/// rules and probes, drawn at the load balancer. A load balancer that is gone shows what
/// went with it.
fn load_balancer(
    lb_before: Option<&crate::scenario::LoadBalancer>,
    lb_after: Option<&crate::scenario::LoadBalancer>,
    after: &Scenario,
    out: &mut Vec<Delta>,
) {
    let empty = crate::scenario::LoadBalancer::default();
    let Some(named_lb) = lb_after.or(lb_before) else {
        return;
    };
    let lb_before = lb_before.unwrap_or(&empty);
    let lb = lb_after.unwrap_or(&empty);
    let at = component::load_balancer(&named_lb.name);
    let place = |what: String, label: String| (at.clone(), what, label);
    let address = |frontend: &crate::scenario::FrontendIpConfiguration| {
        let public = frontend
            .public_ip_address
            .as_ref()
            .and_then(|name| after.public_ips.iter().find(|p| &p.name == name))
            .and_then(|p| p.ip_address);
        public
            .or(frontend.private_ip_address)
            .map(|ip| ip.to_string())
            .unwrap_or_default()
    };
    named(
        &lb_before.frontend_ip_configurations,
        &lb.frontend_ip_configurations,
        |f| &f.name,
        |f| {
            place(
                format!("frontend {}", f.name),
                format!("frontend {}", address(f)),
            )
        },
        out,
    );
    named(
        &lb_before.load_balancing_rules,
        &lb.load_balancing_rules,
        |r| &r.name,
        |r| {
            let protocol = r.protocol.to_ascii_uppercase();
            place(
                format!(
                    "load-balancing rule {} ({protocol} {})",
                    r.name, r.frontend_port
                ),
                format!("rule {protocol} {} -> {}", r.frontend_port, r.backend_port),
            )
        },
        out,
    );
    named(
        &lb_before.probes,
        &lb.probes,
        |p| &p.name,
        |p| {
            let protocol = p.protocol.to_ascii_uppercase();
            let path = p.request_path.as_deref().unwrap_or_default();
            place(
                format!("health probe {} ({protocol} {})", p.name, p.port),
                format!("health probe {protocol} {}{path}", p.port),
            )
        },
        out,
    );
}

/// The component ids of the places `nsg` is applied: its subnets and its NICs.
fn placements(scenario: &Scenario, nsg: &NetworkSecurityGroup) -> Vec<String> {
    let on = |name: Option<&String>| name.is_some_and(|n| n.eq_ignore_ascii_case(&nsg.name));
    let subnets = scenario
        .vnet
        .subnets
        .iter()
        .filter(|s| on(s.network_security_group.as_ref()))
        .map(|s| component::nsg_on_subnet(&nsg.name, &s.name));
    let nics = scenario
        .nodes
        .iter()
        .filter(|n| on(n.nic.network_security_group.as_ref()))
        .map(|n| component::nsg_on_nic(&nsg.name, &n.nic.name));
    subnets.chain(nics).collect()
}

/// Adds, removes and changes between two lists of objects keyed by name.
fn named<T: PartialEq>(
    before: &[T],
    after: &[T],
    name: impl Fn(&T) -> &String,
    describe: impl Fn(&T) -> (String, String, String),
    out: &mut Vec<Delta>,
) {
    let find = |list: &'_ [T], key: &String| -> Option<usize> {
        list.iter().position(|x| name(x).eq_ignore_ascii_case(key))
    };
    let mut push = |item: &T, kind: DeltaKind| {
        let (component, what, label) = describe(item);
        out.push(Delta {
            component,
            kind,
            what,
            label,
        });
    };
    for item in after {
        match find(before, name(item)).and_then(|i| before.get(i)) {
            None => push(item, DeltaKind::Added),
            Some(old) if old != item => push(item, DeltaKind::Changed),
            Some(_) => {}
        }
    }
    for item in before {
        if find(after, name(item)).is_none() {
            push(item, DeltaKind::Removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        serde_json::from_str(text).unwrap_or_default()
    }

    #[test]
    fn a_removed_rule_is_drawn_on_every_nic_that_carries_its_nsg() {
        let before = scenario(
            r#"{"vnet": {"subnets": [{"name": "aks"}]},
                "nodes": [{"name": "n0", "subnet": "aks", "nic": {"name": "nic0", "networkSecurityGroup": "nsg"}},
                          {"name": "n1", "subnet": "aks", "nic": {"name": "nic1", "networkSecurityGroup": "nsg"}}],
                "networkSecurityGroups": [{"name": "nsg", "securityRules": [
                    {"name": "web", "priority": 500, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                     "sourceAddressPrefix": "Internet", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "8080"}]}]}"#,
        );
        let mut after = before.clone();
        after.network_security_groups.nsgs[0].security_rules.clear();
        let delta = azure_delta(&before, &after);
        let places: Vec<&str> = delta.iter().map(|d| d.component.as_str()).collect();
        assert_eq!(places, ["nsg:nsg@nic:nic0", "nsg:nsg@nic:nic1"]);
        assert!(delta
            .iter()
            .all(|d| d.kind == DeltaKind::Removed && d.what == "NSG rule web (500 Allow)"));
        assert!(azure_delta(&after, &after).is_empty());
    }
}
