//! What cloud-provider-azure does when a `type: LoadBalancer` Service is applied or
//! deleted (spec §3): a frontend IP on the cluster's load balancer, a load-balancing rule
//! and a health probe per port, and allow rules on the nodes' NSG.
//!
//! This is the "before / after `kubectl apply`" of the blog's story. It changes the
//! scenario's Azure state and returns, in words, what changed.

use crate::model::{
    Access, AddressPrefix, AddressSpec, Direction, NetworkSecurityGroup, PortRange, Protocol,
    RuleProtocol, SecurityRule,
};
use crate::scenario::{
    ExternalTrafficPolicy, FrontendIpConfiguration, LoadBalancer, LoadBalancingRule, Probe,
    PublicIp, Scenario, Service, ServiceType,
};
use ipnet::IpNet;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

pub const ANNOTATION_INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
pub const ANNOTATION_ALLOWED_SERVICE_TAGS: &str =
    "service.beta.kubernetes.io/azure-allowed-service-tags";
pub const ANNOTATION_ALLOWED_IP_RANGES: &str = "service.beta.kubernetes.io/azure-allowed-ip-ranges";
pub const ANNOTATION_DENY_ALL_EXCEPT_SOURCE_RANGES: &str =
    "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges";
pub const ANNOTATION_DISABLE_FLOATING_IP: &str =
    "service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip";

/// cloud-provider-azure's `LoadBalancerMinimumPriority` and `LoadBalancerMaximumPriority`.
pub const MIN_PRIORITY: u32 = 500;
pub const MAX_PRIORITY: u32 = 4096;

/// How the cloud provider names its NSG rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleNaming {
    /// Up to cloud-provider-azure v1.28 (the blog's): one rule per port and source,
    /// `a<uid>-TCP-8080-Internet`.
    #[default]
    PerService,
    /// v1.29 and later: rules shared by every Service with the same protocol, sources and
    /// ports, `k8s-azure-lb_allow_IPv4_<md5>`, and `k8s-azure-lb_deny-all_IPv4`.
    Consolidated,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error("Service {service}: {field}: {message}")]
    Invalid {
        service: String,
        field: &'static str,
        message: String,
    },
}

/// What the cloud provider changed, one line per Azure object.
pub type Changes = Vec<String>;

/// The rule-name prefix: `a` + the Service UID without dashes, cut to 32 characters.
pub fn rule_prefix(service: &Service) -> String {
    let uid = service.uid.clone().unwrap_or_else(|| {
        format!(
            "{}{}",
            service.namespace.as_deref().unwrap_or("default"),
            service.name
        )
    });
    let mut prefix: String = format!("a{}", uid.replace('-', ""));
    prefix.truncate(32);
    prefix
}

/// In rule names, `/` becomes `_` and `:` becomes `.`.
fn safe_source(source: &str) -> String {
    source.replace('/', "_").replace(':', ".")
}

/// Applies a Service (`kubectl apply`): it replaces any Service of the same name and
/// namespace, then the cloud provider reconciles the load balancer and the NSG.
pub fn apply_service(
    scenario: &mut Scenario,
    service: Service,
    naming: RuleNaming,
) -> Result<Changes, ReconcileError> {
    validate(&service)?;
    let mut changes = Vec::new();
    if let Some(old) = find(scenario, &service) {
        let old = scenario.services.remove(old);
        // Start from a clean slate for this Service's Azure objects.
        remove_azure_objects(scenario, &old, naming, &mut changes, false);
        changes.push(format!("Service {} updated", service.name));
    } else {
        changes.push(format!("Service {} created", service.name));
    }
    let mut service = service;
    if service.service_type == ServiceType::LoadBalancer {
        create_azure_objects(scenario, &mut service, naming, &mut changes);
    }
    scenario.services.push(service);
    Ok(changes)
}

/// Deletes a Service (`kubectl delete svc`): the cloud provider removes its frontend,
/// rules, probe, public IP and NSG rules.
pub fn delete_service(
    scenario: &mut Scenario,
    name: &str,
    namespace: Option<&str>,
    naming: RuleNaming,
) -> Changes {
    let mut changes = Vec::new();
    let ns = namespace.unwrap_or("default");
    let Some(index) = scenario
        .services
        .iter()
        .position(|s| s.name == name && s.namespace.as_deref().unwrap_or("default") == ns)
    else {
        return changes;
    };
    let service = scenario.services.remove(index);
    remove_azure_objects(scenario, &service, naming, &mut changes, true);
    changes.push(format!("Service {name} deleted"));
    changes
}

fn find(scenario: &Scenario, service: &Service) -> Option<usize> {
    let ns = service.namespace.as_deref().unwrap_or("default");
    scenario
        .services
        .iter()
        .position(|s| s.name == service.name && s.namespace.as_deref().unwrap_or("default") == ns)
}

fn validate(service: &Service) -> Result<(), ReconcileError> {
    let invalid = |field, message: String| ReconcileError::Invalid {
        service: service.name.clone(),
        field,
        message,
    };
    if service.name.trim().is_empty() {
        return Err(invalid(
            "metadata.name",
            "a Service needs a name".to_owned(),
        ));
    }
    if service.service_type == ServiceType::LoadBalancer && service.ports.is_empty() {
        return Err(invalid(
            "spec.ports",
            "a LoadBalancer Service needs at least one port".to_owned(),
        ));
    }
    for range in &service.load_balancer_source_ranges {
        if range.trim().parse::<IpNet>().is_err() {
            return Err(invalid(
                "spec.loadBalancerSourceRanges",
                format!("{range:?} is not a CIDR prefix"),
            ));
        }
    }
    if !service.load_balancer_source_ranges.is_empty()
        && service
            .annotations
            .contains_key(ANNOTATION_ALLOWED_IP_RANGES)
    {
        return Err(invalid(
            "spec.loadBalancerSourceRanges",
            format!("both spec.loadBalancerSourceRanges and annotation {ANNOTATION_ALLOWED_IP_RANGES} are set, which the cloud provider refuses"),
        ));
    }
    Ok(())
}

fn annotation_true(service: &Service, key: &str) -> bool {
    service
        .annotations
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn annotation_list(service: &Service, key: &str) -> Vec<String> {
    service
        .annotations
        .get(key)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The sources the NSG rules allow: source ranges (spec or annotation), then allowed
/// service tags; `Internet` when neither is set (none at all for an internal LB).
fn allowed_sources(service: &Service, internal: bool) -> Vec<String> {
    let mut sources: Vec<String> = service
        .load_balancer_source_ranges
        .iter()
        .filter_map(|r| r.trim().parse::<IpNet>().ok())
        .map(|n| n.trunc().to_string())
        .collect();
    sources.extend(annotation_list(service, ANNOTATION_ALLOWED_IP_RANGES));
    sources.extend(annotation_list(service, ANNOTATION_ALLOWED_SERVICE_TAGS));
    if sources.is_empty() && !internal {
        sources.push("Internet".to_owned());
    }
    sources
}

fn lb_mut(scenario: &mut Scenario) -> &mut LoadBalancer {
    scenario.load_balancer.get_or_insert_with(|| LoadBalancer {
        name: "kubernetes".to_owned(),
        sku: Some("Standard".to_owned()),
        ..LoadBalancer::default()
    })
}

/// Addresses the scenario already uses.
fn used_addresses(scenario: &Scenario) -> Vec<IpAddr> {
    let mut used: Vec<IpAddr> = scenario
        .public_ips
        .iter()
        .filter_map(|p| p.ip_address)
        .collect();
    used.extend(
        scenario
            .nodes
            .iter()
            .filter_map(|n| n.nic.private_ip_address),
    );
    used.extend(scenario.pods.iter().filter_map(|p| p.ip));
    used.extend(scenario.clients.iter().filter_map(|c| c.ip));
    if let Some(lb) = &scenario.load_balancer {
        used.extend(
            lb.frontend_ip_configurations
                .iter()
                .filter_map(|f| f.private_ip_address),
        );
    }
    used
}

/// An illustrative public address (203.0.113.0/24, TEST-NET-3) not yet in use.
fn allocate_public_ip(scenario: &Scenario) -> Option<IpAddr> {
    let used = used_addresses(scenario);
    (10..=250u8)
        .map(|host| IpAddr::V4(Ipv4Addr::new(203, 0, 113, host)))
        .find(|ip| !used.contains(ip))
}

/// A free private address in the first subnet that has nodes (an internal frontend).
fn allocate_private_ip(scenario: &Scenario) -> Option<IpAddr> {
    let used = used_addresses(scenario);
    let subnet = scenario
        .vnet
        .subnets
        .iter()
        .find(|s| scenario.nodes.iter().any(|n| n.subnet == s.name))?;
    let IpNet::V4(net) = subnet.address_prefix? else {
        return None;
    };
    // From the top of the subnet down, away from the nodes and pods at the bottom.
    net.hosts()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .skip(1)
        .map(IpAddr::V4)
        .find(|ip| !used.contains(ip))
}

fn free_node_port(scenario: &Scenario, taken: &[u16]) -> u16 {
    let used: Vec<u16> = scenario
        .services
        .iter()
        .flat_map(|s| {
            s.ports
                .iter()
                .filter_map(|p| p.node_port)
                .chain(s.health_check_node_port)
        })
        .chain(taken.iter().copied())
        .collect();
    (30000..=32767).find(|p| !used.contains(p)).unwrap_or(32767)
}

fn create_azure_objects(
    scenario: &mut Scenario,
    service: &mut Service,
    naming: RuleNaming,
    changes: &mut Changes,
) {
    let prefix = rule_prefix(service);
    let internal = annotation_true(service, ANNOTATION_INTERNAL);
    let floating = !annotation_true(service, ANNOTATION_DISABLE_FLOATING_IP);

    // NodePorts and the health-check port, as the API server would allocate them.
    let mut taken = Vec::new();
    for port in &mut service.ports {
        if port.node_port.is_none() {
            let p = free_node_port(scenario, &taken);
            port.node_port = Some(p);
        }
        taken.extend(port.node_port);
    }
    if service.external_traffic_policy == ExternalTrafficPolicy::Local
        && service.health_check_node_port.is_none()
    {
        service.health_check_node_port = Some(free_node_port(scenario, &taken));
    }

    // The frontend: a new public IP, or a private IP for an internal load balancer.
    let frontend_ip = if internal {
        service
            .ingress_ip
            .filter(|ip| scenario.vnet.address_space.iter().any(|n| n.contains(ip)))
            .or_else(|| allocate_private_ip(scenario))
    } else {
        service.ingress_ip.or_else(|| allocate_public_ip(scenario))
    };
    let Some(frontend_ip) = frontend_ip else {
        changes.push("no free address for the frontend: nothing created".to_owned());
        return;
    };
    service.ingress_ip = Some(frontend_ip);
    let public_ip_name = format!("kubernetes-{prefix}");
    if internal {
        changes.push(format!(
            "frontend IP configuration {prefix}: private IP {frontend_ip} (internal load balancer)"
        ));
    } else {
        scenario.public_ips.retain(|p| p.name != public_ip_name);
        scenario.public_ips.push(PublicIp {
            name: public_ip_name.clone(),
            ip_address: Some(frontend_ip),
            sku: Some("Standard".to_owned()),
        });
        changes.push(format!("public IP {public_ip_name}: {frontend_ip}"));
        changes.push(format!(
            "frontend IP configuration {prefix} on load balancer kubernetes"
        ));
    }
    let backend_pool: Vec<String> = scenario.nodes.iter().map(|n| n.name.clone()).collect();
    let node_ips: Vec<IpAddr> = scenario
        .nodes
        .iter()
        .filter_map(|n| n.nic.private_ip_address)
        .collect();
    let lb = lb_mut(scenario);
    lb.frontend_ip_configurations.retain(|f| f.name != prefix);
    lb.frontend_ip_configurations.push(FrontendIpConfiguration {
        name: prefix.clone(),
        public_ip_address: (!internal).then(|| public_ip_name.clone()),
        private_ip_address: internal.then_some(frontend_ip),
    });
    for node in &backend_pool {
        if !lb.backend_address_pool.contains(node) {
            lb.backend_address_pool.push(node.clone());
        }
    }
    let source_ip_affinity = service
        .session_affinity
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("ClientIP"));
    for port in &service.ports {
        let protocol = port_protocol(port.protocol.as_deref());
        let name = format!("{prefix}-{}-{}", protocol_upper(protocol), port.port);
        let node_port = port.node_port.unwrap_or(port.port);
        let (probe_protocol, probe_port, request_path) = match (
            service.external_traffic_policy,
            service.health_check_node_port,
        ) {
            (ExternalTrafficPolicy::Local, Some(hc)) => {
                ("Http".to_owned(), hc, Some("/healthz".to_owned()))
            }
            _ => ("Tcp".to_owned(), node_port, None),
        };
        lb.probes.retain(|p| p.name != name);
        lb.probes.push(Probe {
            name: name.clone(),
            protocol: probe_protocol.clone(),
            port: probe_port,
            request_path,
        });
        lb.load_balancing_rules.retain(|r| r.name != name);
        lb.load_balancing_rules.push(LoadBalancingRule {
            name: name.clone(),
            frontend_ip_configuration: prefix.clone(),
            protocol: protocol.as_str().to_owned(),
            frontend_port: port.port,
            backend_port: if floating { port.port } else { node_port },
            enable_floating_ip: floating,
            probe: Some(name.clone()),
            load_distribution: Some(
                if source_ip_affinity {
                    "SourceIP"
                } else {
                    "Default"
                }
                .to_owned(),
            ),
        });
        changes.push(format!(
            "load-balancing rule {name}: {} {} -> backend port {}, floating IP {}",
            protocol.as_str(),
            port.port,
            if floating { port.port } else { node_port },
            if floating { "enabled" } else { "disabled" }
        ));
        changes.push(format!(
            "health probe {name}: {probe_protocol} on port {probe_port}"
        ));
    }

    // NSG rules on the NSG of the nodes' NICs (AKS's aks-agentpool-...-nsg).
    let sources = allowed_sources(service, internal);
    let deny_all = annotation_true(service, ANNOTATION_DENY_ALL_EXCEPT_SOURCE_RANGES);
    // Floating IP: the rule names the frontend IP and the Service port; without it, the
    // nodes' IPs and the NodePort (what the packet carries after the load balancer).
    let destinations = if floating {
        vec![frontend_ip]
    } else {
        node_ips
    };
    let port_of = |p: &crate::scenario::ServicePort| {
        if floating {
            p.port
        } else {
            p.node_port.unwrap_or(p.port)
        }
    };
    let nsg_names = node_nsgs(scenario);
    for nsg_name in nsg_names {
        let Some(nsg) = scenario.network_security_groups.get_mut(&nsg_name) else {
            continue;
        };
        match naming {
            RuleNaming::PerService => {
                for port in &service.ports {
                    let protocol = port_protocol(port.protocol.as_deref());
                    let dport = port_of(port);
                    for source in &sources {
                        let name = format!(
                            "{prefix}-{}-{}-{}",
                            protocol_upper(protocol),
                            port.port,
                            safe_source(source)
                        );
                        let rule = allow_rule(
                            &name,
                            protocol,
                            source,
                            &destinations,
                            &[dport],
                            Access::Allow,
                        );
                        upsert_rule(nsg, rule, changes);
                    }
                    if deny_all {
                        let name = format!(
                            "{prefix}-{}-{}-deny_all",
                            protocol_upper(protocol),
                            port.port
                        );
                        let rule =
                            allow_rule(&name, protocol, "*", &destinations, &[dport], Access::Deny);
                        upsert_rule(nsg, rule, changes);
                    }
                }
            }
            RuleNaming::Consolidated => {
                let mut by_protocol: Vec<(Protocol, Vec<u16>)> = Vec::new();
                for port in &service.ports {
                    let protocol = port_protocol(port.protocol.as_deref());
                    match by_protocol.iter_mut().find(|(p, _)| *p == protocol) {
                        Some((_, ports)) => ports.push(port_of(port)),
                        None => by_protocol.push((protocol, vec![port_of(port)])),
                    }
                }
                for (protocol, mut ports) in by_protocol {
                    ports.sort_unstable();
                    ports.dedup();
                    if !sources.is_empty() {
                        let name = consolidated_allow_name(protocol, &sources, &ports);
                        merge_consolidated(
                            nsg,
                            &name,
                            protocol,
                            &sources,
                            &destinations,
                            &ports,
                            Access::Allow,
                            changes,
                        );
                    }
                    if deny_all {
                        merge_consolidated(
                            nsg,
                            "k8s-azure-lb_deny-all_IPv4",
                            protocol,
                            &["*".to_owned()],
                            &destinations,
                            &ports,
                            Access::Deny,
                            changes,
                        );
                    }
                }
            }
        }
    }
}

/// The v1.29+ allow rule's name: md5 over `<protocol>_<sorted sources>_<sorted ports>`.
pub fn consolidated_allow_name(protocol: Protocol, sources: &[String], ports: &[u16]) -> String {
    let mut sources = sources.to_vec();
    sources.sort();
    let mut ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    ports.sort();
    let key = format!(
        "{}_{}_{}",
        protocol.as_str(),
        sources.join(","),
        ports.join(",")
    );
    let digest = Md5::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("k8s-azure-lb_allow_IPv4_{hex}")
}

#[allow(clippy::too_many_arguments)]
fn merge_consolidated(
    nsg: &mut NetworkSecurityGroup,
    name: &str,
    protocol: Protocol,
    sources: &[String],
    destinations: &[IpAddr],
    ports: &[u16],
    access: Access,
    changes: &mut Changes,
) {
    if let Some(rule) = nsg.security_rules.iter_mut().find(|r| r.name == name) {
        if let AddressSpec::Prefixes(existing) = &mut rule.destination {
            for ip in destinations {
                let entry = AddressPrefix::Cidr(IpNet::from(*ip));
                if !existing.contains(&entry) {
                    existing.push(entry);
                }
            }
        }
        changes.push(format!(
            "NSG {}: rule {name} now also covers {}",
            nsg.name,
            join_ips(destinations)
        ));
        return;
    }
    let mut rule = allow_rule(name, protocol, "", destinations, ports, access);
    rule.source = AddressSpec::Prefixes(sources.iter().map(|s| prefix_of(s)).collect());
    // The deny rule is placed from 4095 downwards, the allow rules from 500 upwards.
    rule.priority = if access == Access::Deny {
        (MIN_PRIORITY..MAX_PRIORITY)
            .rev()
            .find(|p| !priority_taken(nsg, *p))
            .unwrap_or(MAX_PRIORITY)
    } else {
        lowest_free_priority(nsg)
    };
    changes.push(describe_added(nsg, &rule));
    nsg.security_rules.push(rule);
}

fn join_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn prefix_of(text: &str) -> AddressPrefix {
    if text == "*" {
        return AddressPrefix::Any("*".to_owned());
    }
    match text.parse::<IpNet>() {
        Ok(net) => AddressPrefix::Cidr(net),
        Err(_) => match text.parse::<IpAddr>() {
            Ok(ip) => AddressPrefix::Cidr(IpNet::from(ip)),
            Err(_) => AddressPrefix::ServiceTag(text.to_owned()),
        },
    }
}

fn allow_rule(
    name: &str,
    protocol: Protocol,
    source: &str,
    destinations: &[IpAddr],
    ports: &[u16],
    access: Access,
) -> SecurityRule {
    SecurityRule {
        name: name.to_owned(),
        description: None,
        priority: 0,
        direction: Direction::Inbound,
        access,
        protocol: RuleProtocol::Only(protocol),
        source: AddressSpec::Prefixes(vec![prefix_of(source)]),
        source_ports: vec![PortRange::Any],
        destination: AddressSpec::Prefixes(
            destinations
                .iter()
                .map(|ip| AddressPrefix::Cidr(IpNet::from(*ip)))
                .collect(),
        ),
        destination_ports: ports.iter().map(|p| PortRange::single(*p)).collect(),
    }
}

fn priority_taken(nsg: &NetworkSecurityGroup, priority: u32) -> bool {
    nsg.security_rules
        .iter()
        .any(|r| r.direction == Direction::Inbound && r.priority == priority)
}

/// The lowest inbound priority from 500 up that no rule uses.
fn lowest_free_priority(nsg: &NetworkSecurityGroup) -> u32 {
    (MIN_PRIORITY..=MAX_PRIORITY)
        .find(|p| !priority_taken(nsg, *p))
        .unwrap_or(MAX_PRIORITY)
}

/// Adds the rule, or updates the rule of that name keeping its priority.
fn upsert_rule(nsg: &mut NetworkSecurityGroup, mut rule: SecurityRule, changes: &mut Changes) {
    if let Some(existing) = nsg.security_rules.iter_mut().find(|r| r.name == rule.name) {
        rule.priority = existing.priority;
        *existing = rule;
        return;
    }
    rule.priority = lowest_free_priority(nsg);
    changes.push(describe_added(nsg, &rule));
    nsg.security_rules.push(rule);
}

fn describe_added(nsg: &NetworkSecurityGroup, rule: &SecurityRule) -> String {
    let row = crate::export::rule_row(nsg, rule);
    format!(
        "NSG {}: rule {} added at priority {} ({} {} from {} to {} port {})",
        nsg.name,
        rule.name,
        rule.priority,
        rule.access.as_str(),
        rule.protocol.as_text(),
        row.source_address_prefixes,
        row.destination_address_prefixes,
        row.destination_port_ranges
    )
}

/// The NSGs on the nodes' NICs, each once.
fn node_nsgs(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for node in &scenario.nodes {
        if let Some(n) = &node.nic.network_security_group {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}

fn remove_azure_objects(
    scenario: &mut Scenario,
    service: &Service,
    naming: RuleNaming,
    changes: &mut Changes,
    announce: bool,
) {
    let prefix = rule_prefix(service);
    let mut say = |line: String| {
        if announce {
            changes.push(line);
        }
    };
    if let Some(lb) = scenario.load_balancer.as_mut() {
        let owned = |name: &str| name == prefix || name.starts_with(&format!("{prefix}-"));
        for r in lb.load_balancing_rules.iter().filter(|r| owned(&r.name)) {
            say(format!("load-balancing rule {} removed", r.name));
        }
        lb.load_balancing_rules.retain(|r| !owned(&r.name));
        for p in lb.probes.iter().filter(|p| owned(&p.name)) {
            say(format!("health probe {} removed", p.name));
        }
        lb.probes.retain(|p| !owned(&p.name));
        if lb
            .frontend_ip_configurations
            .iter()
            .any(|f| f.name == prefix)
        {
            say(format!("frontend IP configuration {prefix} removed"));
        }
        lb.frontend_ip_configurations.retain(|f| f.name != prefix);
    }
    let public_ip_name = format!("kubernetes-{prefix}");
    if scenario.public_ips.iter().any(|p| p.name == public_ip_name) {
        say(format!("public IP {public_ip_name} released"));
    }
    scenario.public_ips.retain(|p| p.name != public_ip_name);
    let frontend = service.ingress_ip;
    for nsg_name in node_nsgs(scenario) {
        let Some(nsg) = scenario.network_security_groups.get_mut(&nsg_name) else {
            continue;
        };
        let before: Vec<String> = nsg.security_rules.iter().map(|r| r.name.clone()).collect();
        match naming {
            RuleNaming::PerService => {
                nsg.security_rules
                    .retain(|r| !r.name.starts_with(&format!("{prefix}-")));
            }
            RuleNaming::Consolidated => {
                if let Some(ip) = frontend {
                    let entry = AddressPrefix::Cidr(IpNet::from(ip));
                    for rule in &mut nsg.security_rules {
                        if rule.name.starts_with("k8s-azure-lb_") {
                            if let AddressSpec::Prefixes(list) = &mut rule.destination {
                                list.retain(|p| p != &entry);
                            }
                        }
                    }
                    nsg.security_rules.retain(|r| {
                        !(r.name.starts_with("k8s-azure-lb_")
                            && matches!(&r.destination, AddressSpec::Prefixes(l) if l.is_empty()))
                    });
                }
            }
        }
        for name in before {
            if !nsg.security_rules.iter().any(|r| r.name == name) {
                say(format!("NSG {}: rule {name} removed", nsg.name));
            }
        }
    }
}

fn port_protocol(text: Option<&str>) -> Protocol {
    text.and_then(Protocol::parse).unwrap_or(Protocol::Tcp)
}

/// `TCP`, `UDP` as rule names spell them.
fn protocol_upper(protocol: Protocol) -> String {
    protocol.as_str().to_ascii_uppercase()
}
