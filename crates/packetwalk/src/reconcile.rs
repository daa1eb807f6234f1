//! What cloud-provider-azure does when a `type: LoadBalancer` Service is applied or
//! deleted (spec §3): a frontend IP on the cluster's load balancer, a load-balancing rule
//! and a health probe per port, and allow rules on the nodes' NSG.
//!
//! This is the "before / after `kubectl apply`" of the blog's story. It changes the
//! scenario's Azure state and returns, in words, what changed.
//!
//! Which load balancer and which frontend, as cloud-provider-azure v1.28 decides
//! (`pkg/provider/azure_loadbalancer.go` at tag v1.28.14,
//! aff7028282405b4de0549b970b7c96819b4c1e71, unless said otherwise):
//!
//! - A Service annotated `service.beta.kubernetes.io/azure-load-balancer-internal:
//!   "true"` goes on `kubernetes-internal` (the cluster's name plus
//!   `consts.InternalLoadBalancerNameSuffix`, `getServiceLoadBalancerName`), created when
//!   absent and deleted when its last frontend goes (`cleanOrphanedLoadBalancer`: "an
//!   Azure load balancer cannot have an empty FrontendIPConfigurations collection"). Its
//!   frontend is a private IP in the cluster's subnet, or in the subnet the annotation
//!   `service.beta.kubernetes.io/azure-load-balancer-internal-subnet` names
//!   (`getInternalSubnet`); `loadBalancerIP` makes it static, else the Service keeps the
//!   ingress IP it has in that subnet, else Azure allocates one
//!   (`reconcileFrontendIPConfigs`). With the subnet annotation the frontend is named
//!   `<prefix>-<subnet>` (`getDefaultFrontendIPConfigName`) and the rules
//!   `<prefix>-<subnet>-TCP-<port>` (`getLoadBalancerRuleName` in `azure_standard.go`).
//! - A public Service takes the public IP its `service.beta.kubernetes.io/azure-pip-name`
//!   names (which must exist), else the one whose address is its `loadBalancerIP` (or the
//!   annotation `service.beta.kubernetes.io/azure-load-balancer-ipv4`, which wins over
//!   it: `getServiceLoadBalancerIP` in `azure_utils.go`; none has it: refused), else its
//!   own `kubernetes-<prefix>` (`determinePublicIPName`, `ensurePublicIPExists`).
//! - Several Services share one IP: a Service that names an IP another Service's
//!   frontend already has uses that frontend ("secondary" in `serviceOwnsFrontendIP`),
//!   with a rule per port of its own; the frontend (and the public IP) stays while any
//!   rule uses it (`isFrontendIPConfigUnsafeToDelete`). Azure refuses two rules for the
//!   same frontend, protocol and port. See also "Multiple Services Sharing One IP
//!   Address", https://kubernetes-sigs.github.io/cloud-provider-azure/topics/shared-ip.
//! - NSG rules: an internal Service without source ranges gets none, since the default
//!   rule AllowVnetInBound (65000) already lets the VNet in (`IPV4Sources` and
//!   `IsAllowFromInternet` in `pkg/provider/loadbalancer/accesscontrol.go`: `Internet` only
//!   for an external Service; and at HEAD 7b31c76ce2ff602cc2dfec988744d8d0534b448c,
//!   `DenyAllExceptSourceRanges`: "By default, NSG allow traffic from the VNet"). With
//!   source ranges, one allow rule per port and range on the frontend's private IP, as for
//!   a public Service.

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
pub const ANNOTATION_INTERNAL_SUBNET: &str =
    "service.beta.kubernetes.io/azure-load-balancer-internal-subnet";
pub const ANNOTATION_PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
pub const ANNOTATION_LOAD_BALANCER_IPV4: &str =
    "service.beta.kubernetes.io/azure-load-balancer-ipv4";

/// AKS's load balancers: the cluster's name, and with `-internal` for internal Services.
pub const PUBLIC_LOAD_BALANCER: &str = "kubernetes";
pub const INTERNAL_LOAD_BALANCER: &str = "kubernetes-internal";

/// `consts.FrontendIPConfigNameMaxLength` and `consts.LoadBalancerRuleNameMaxLength` (80),
/// less `consts.IPFamilySuffixLength` (5).
const NAME_MAX: usize = 75;

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
    /// The Service as written, or what the cloud provider cannot build for it (its event
    /// says why); the field at fault, and nothing is changed.
    #[error("Service {service}: {field}: {message}")]
    Invalid {
        service: String,
        field: String,
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
    // Decided before anything changes, so that a refusal leaves the scenario as it was.
    let wanted = match service.service_type {
        ServiceType::LoadBalancer => Some(wanted_frontend(scenario, &service)?),
        _ => None,
    };
    let had_internal = has_frontends(scenario.internal_load_balancer.as_ref());
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
    if let Some(wanted) = wanted {
        create_azure_objects(scenario, &mut service, wanted, naming, &mut changes);
    }
    scenario.services.push(service);
    drop_empty_internal(scenario, had_internal, &mut changes);
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
    let had_internal = has_frontends(scenario.internal_load_balancer.as_ref());
    let service = scenario.services.remove(index);
    remove_azure_objects(scenario, &service, naming, &mut changes, true);
    drop_empty_internal(scenario, had_internal, &mut changes);
    changes.push(format!("Service {name} deleted"));
    changes
}

fn has_frontends(lb: Option<&LoadBalancer>) -> bool {
    lb.is_some_and(|lb| !lb.frontend_ip_configurations.is_empty())
}

/// The internal load balancer goes with its last frontend (`cleanOrphanedLoadBalancer`).
fn drop_empty_internal(scenario: &mut Scenario, had_internal: bool, changes: &mut Changes) {
    let empty = scenario
        .internal_load_balancer
        .as_ref()
        .is_some_and(|lb| lb.frontend_ip_configurations.is_empty());
    if had_internal && empty {
        if let Some(lb) = scenario.internal_load_balancer.take() {
            changes.push(format!(
                "load balancer {} deleted: no frontend IP configuration is left",
                lb.name
            ));
        }
    }
}

fn find(scenario: &Scenario, service: &Service) -> Option<usize> {
    let ns = service.namespace.as_deref().unwrap_or("default");
    scenario
        .services
        .iter()
        .position(|s| s.name == service.name && s.namespace.as_deref().unwrap_or("default") == ns)
}

fn validate(service: &Service) -> Result<(), ReconcileError> {
    let invalid = |field: &str, message: String| ReconcileError::Invalid {
        service: service.name.clone(),
        field: field.to_owned(),
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

/// The Service asks for the internal load balancer (`kubernetes-internal`).
pub fn is_internal(service: &Service) -> bool {
    annotation_true(service, ANNOTATION_INTERNAL)
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

/// The public load balancer, or the internal one, created if absent.
fn lb_mut(scenario: &mut Scenario, internal: bool) -> &mut LoadBalancer {
    let (slot, name) = if internal {
        (&mut scenario.internal_load_balancer, INTERNAL_LOAD_BALANCER)
    } else {
        (&mut scenario.load_balancer, PUBLIC_LOAD_BALANCER)
    };
    slot.get_or_insert_with(|| LoadBalancer {
        name: name.to_owned(),
        sku: Some("Standard".to_owned()),
        ..LoadBalancer::default()
    })
}

/// Where a Service's frontend is, decided before the scenario changes.
enum Wanted {
    /// Its own public IP, `kubernetes-<prefix>`: the address it already has, if that
    /// public IP exists.
    OwnPublicIp { keep: Option<IpAddr> },
    /// A public IP the Service names, by `azure-pip-name` or by address.
    PublicIp { name: String, address: IpAddr },
    /// A private IP on the internal load balancer.
    Private(PrivateFrontend),
}

struct PrivateFrontend {
    subnet: String,
    prefix: Option<IpNet>,
    /// `loadBalancerIP`: a static address.
    address: Option<IpAddr>,
    /// The frontend's name, and the rules' prefix: `<prefix>` or `<prefix>-<subnet>`.
    name: String,
}

fn annotation_field(key: &str) -> String {
    format!("metadata.annotations[{key}]")
}

fn annotation_text<'s>(service: &'s Service, key: &str) -> Option<&'s str> {
    service
        .annotations
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// The address the Service asks for, and the field that asks: the annotation
/// `azure-load-balancer-ipv4`, then `spec.loadBalancerIP` (`getServiceLoadBalancerIP`).
fn requested_ip(service: &Service) -> Result<Option<(IpAddr, String)>, ReconcileError> {
    if let Some(text) = annotation_text(service, ANNOTATION_LOAD_BALANCER_IPV4) {
        let field = annotation_field(ANNOTATION_LOAD_BALANCER_IPV4);
        return match text.parse::<IpAddr>() {
            Ok(ip) => Ok(Some((ip, field))),
            Err(_) => Err(ReconcileError::Invalid {
                service: service.name.clone(),
                field,
                message: format!("{text:?} is not an IP address"),
            }),
        };
    }
    Ok(service
        .load_balancer_ip
        .map(|ip| (ip, "spec.loadBalancerIP".to_owned())))
}

/// The subnet an internal frontend's private IP comes from: the one the annotation
/// names, or the cluster's (the first subnet that has nodes).
fn internal_subnet<'s>(
    scenario: &'s Scenario,
    service: &Service,
) -> Result<Option<(&'s crate::scenario::Subnet, bool)>, ReconcileError> {
    if let Some(name) = annotation_text(service, ANNOTATION_INTERNAL_SUBNET) {
        return match scenario.vnet.subnets.iter().find(|s| s.name == name) {
            Some(subnet) => Ok(Some((subnet, true))),
            None => Err(ReconcileError::Invalid {
                service: service.name.clone(),
                field: annotation_field(ANNOTATION_INTERNAL_SUBNET),
                message: format!(
                    "VNet {} has no subnet {name:?}, so the cloud provider cannot place the frontend (\"failed to get subnet\")",
                    scenario.vnet.name
                ),
            }),
        };
    }
    Ok(scenario
        .vnet
        .subnets
        .iter()
        .find(|s| scenario.nodes.iter().any(|n| n.subnet == s.name))
        .map(|s| (s, false)))
}

/// `name`, cut as cloud-provider-azure cuts frontend names to 75 characters: a cut that
/// ends in neither a letter nor `_` ends in `_` instead (`getDefaultFrontendIPConfigName`).
fn frontend_name(name: String) -> String {
    if name.len() <= NAME_MAX || !name.is_ascii() {
        return name;
    }
    let mut cut = name[..NAME_MAX].to_owned();
    if !cut.ends_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        cut.pop();
        cut.push('_');
    }
    cut
}

/// A load-balancing rule's (and its probe's) name: `<prefix>-TCP-<port>`, or with the
/// internal-subnet annotation `<prefix>-<subnet>-TCP-<port>`, the subnet cut so that the
/// name fits (`getLoadBalancerRuleName`).
fn lb_rule_name(service: &Service, protocol: Protocol, port: u16) -> String {
    let prefix = rule_prefix(service);
    let internal = annotation_true(service, ANNOTATION_INTERNAL);
    let rule = format!("{prefix}-{}-{port}", protocol_upper(protocol));
    match annotation_text(service, ANNOTATION_INTERNAL_SUBNET).filter(|_| internal) {
        None => rule,
        Some(subnet) => {
            let room = NAME_MAX.saturating_sub(rule.len() + 1);
            let subnet: String = subnet.chars().take(room).collect();
            format!("{prefix}-{subnet}-{}-{port}", protocol_upper(protocol))
        }
    }
}

/// Where the Service's frontend goes, or why the cloud provider cannot build it.
fn wanted_frontend(scenario: &Scenario, service: &Service) -> Result<Wanted, ReconcileError> {
    let prefix = rule_prefix(service);
    let refuse = |field: String, message: String| ReconcileError::Invalid {
        service: service.name.clone(),
        field,
        message,
    };
    let requested = requested_ip(service)?;
    if annotation_true(service, ANNOTATION_INTERNAL) {
        let subnet = internal_subnet(scenario, service)?;
        let (subnet_name, prefix_net, named) = match subnet {
            Some((s, named)) => (s.name.clone(), s.address_prefix, named),
            None => (String::new(), None, false),
        };
        let address = match requested {
            None => None,
            Some((ip, field)) => {
                if let Some(net) = prefix_net.filter(|net| !net.contains(&ip)) {
                    return Err(refuse(
                        field,
                        format!("{ip} is not in subnet {subnet_name} ({net}): Azure refuses a frontend's private IP outside its subnet"),
                    ));
                }
                let taken = scenario
                    .nodes
                    .iter()
                    .filter_map(|n| n.nic.private_ip_address)
                    .chain(scenario.pods.iter().filter_map(|p| p.ip))
                    .any(|used| used == ip);
                if taken {
                    return Err(refuse(
                        field,
                        format!("{ip} is a node's or pod's address: Azure refuses a frontend's private IP that a NIC already uses"),
                    ));
                }
                if let Some(lb) = &scenario.internal_load_balancer {
                    let shared = lb
                        .frontend_ip_configurations
                        .iter()
                        .find(|f| f.private_ip_address == Some(ip));
                    if let Some(f) = shared {
                        port_conflicts(lb, &f.name, service, &prefix)?;
                    }
                }
                Some(ip)
            }
        };
        let name = if named {
            frontend_name(format!("{prefix}-{subnet_name}"))
        } else {
            prefix
        };
        return Ok(Wanted::Private(PrivateFrontend {
            subnet: subnet_name,
            prefix: prefix_net,
            address,
            name,
        }));
    }
    let own = format!("kubernetes-{prefix}");
    let named = match annotation_text(service, ANNOTATION_PIP_NAME) {
        Some(name) => {
            let field = annotation_field(ANNOTATION_PIP_NAME);
            let Some(pip) = scenario.public_ips.iter().find(|p| p.name == name) else {
                return Err(refuse(
                    field,
                    format!("the scenario has no public IP named {name:?}, and the cloud provider does not create one it is told to use (\"PublicIP from annotation azure-pip-name(-IPv6)={name} for service {} doesn't exist\")", service.name),
                ));
            };
            Some((pip, field))
        }
        None => match requested {
            None => None,
            Some((ip, field)) => {
                let Some(pip) = scenario
                    .public_ips
                    .iter()
                    .find(|p| p.ip_address == Some(ip))
                else {
                    return Err(refuse(
                        field,
                        format!("no public IP of the scenario has the address {ip}, and the cloud provider takes a loadBalancerIP only from an existing one (\"user supplied IP Address {ip} was not found in resource group {}\")", scenario.resource_group.as_deref().unwrap_or("the node resource group")),
                    ));
                };
                Some((pip, field))
            }
        },
    };
    let Some((pip, field)) = named else {
        let keep = scenario
            .public_ips
            .iter()
            .find(|p| p.name == own)
            .and_then(|p| p.ip_address);
        return Ok(Wanted::OwnPublicIp { keep });
    };
    let Some(address) = pip.ip_address else {
        return Err(refuse(
            field,
            format!("public IP {} has no address in the scenario", pip.name),
        ));
    };
    if pip.name == own {
        return Ok(Wanted::OwnPublicIp {
            keep: Some(address),
        });
    }
    if let Some(lb) = &scenario.load_balancer {
        let shared = lb
            .frontend_ip_configurations
            .iter()
            .find(|f| f.public_ip_address.as_deref() == Some(pip.name.as_str()));
        if let Some(f) = shared {
            port_conflicts(lb, &f.name, service, &prefix)?;
        }
    }
    Ok(Wanted::PublicIp {
        name: pip.name.clone(),
        address,
    })
}

/// A shared frontend takes one rule per protocol and port: Azure refuses a second rule
/// for the same frontend, protocol and port. Rules of the Service itself are replaced.
fn port_conflicts(
    lb: &LoadBalancer,
    frontend: &str,
    service: &Service,
    prefix: &str,
) -> Result<(), ReconcileError> {
    let own = |name: &str| name.starts_with(&format!("{prefix}-"));
    for (i, port) in service.ports.iter().enumerate() {
        let protocol = port.protocol();
        let taken = lb.load_balancing_rules.iter().find(|r| {
            r.frontend_ip_configuration == frontend
                && !own(&r.name)
                && (r.protocol.eq_ignore_ascii_case("All")
                    || Protocol::parse(&r.protocol) == Some(protocol))
                && (r.protocol.eq_ignore_ascii_case("All") || r.frontend_port == port.port)
        });
        if let Some(rule) = taken {
            return Err(ReconcileError::Invalid {
                service: service.name.clone(),
                field: format!("spec.ports[{i}].port"),
                message: format!(
                    "frontend {frontend} of load balancer {} already has rule {} for {} {}: Azure refuses two load-balancing rules for the same frontend, protocol and port",
                    lb.name,
                    rule.name,
                    protocol_upper(protocol),
                    port.port
                ),
            });
        }
    }
    Ok(())
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
    for lb in scenario
        .load_balancer
        .iter()
        .chain(&scenario.internal_load_balancer)
    {
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

/// A free private address in the subnet (an internal frontend).
fn allocate_private_ip(scenario: &Scenario, prefix: Option<IpNet>) -> Option<IpAddr> {
    let used = used_addresses(scenario);
    let IpNet::V4(net) = prefix? else {
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
    wanted: Wanted,
    naming: RuleNaming,
    changes: &mut Changes,
) {
    let prefix = rule_prefix(service);
    let internal = matches!(wanted, Wanted::Private(_));
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

    // The frontend: a new public IP, one the Service names, or a private IP on the
    // internal load balancer; or the frontend another Service already has for it.
    let Some((frontend, frontend_ip)) = place_frontend(scenario, service, &prefix, wanted, changes)
    else {
        return;
    };
    service.ingress_ip = Some(frontend_ip);
    let backend_pool: Vec<String> = scenario.nodes.iter().map(|n| n.name.clone()).collect();
    let node_ips: Vec<IpAddr> = scenario
        .nodes
        .iter()
        .filter_map(|n| n.nic.private_ip_address)
        .collect();
    let lb = lb_mut(scenario, internal);
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
        let protocol = port.protocol();
        let name = lb_rule_name(service, protocol, port.port);
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
            frontend_ip_configuration: frontend.clone(),
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
                    let protocol = port.protocol();
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
                    let protocol = port.protocol();
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

/// Puts the Service's frontend on its load balancer (the internal one is created when
/// absent), or finds the one it shares: the frontend's name and address. `None` (and
/// nothing changed) when no address is free.
fn place_frontend(
    scenario: &mut Scenario,
    service: &Service,
    prefix: &str,
    wanted: Wanted,
    changes: &mut Changes,
) -> Option<(String, IpAddr)> {
    let no_address = |changes: &mut Changes| {
        changes.push("no free address for the frontend: nothing created".to_owned());
        None
    };
    match wanted {
        Wanted::OwnPublicIp { keep } => {
            let Some(ip) = keep
                .or(service.ingress_ip)
                .or_else(|| allocate_public_ip(scenario))
            else {
                return no_address(changes);
            };
            let public_ip_name = format!("kubernetes-{prefix}");
            scenario.public_ips.retain(|p| p.name != public_ip_name);
            scenario.public_ips.push(PublicIp {
                name: public_ip_name.clone(),
                ip_address: Some(ip),
                sku: Some("Standard".to_owned()),
            });
            changes.push(format!("public IP {public_ip_name}: {ip}"));
            changes.push(format!(
                "frontend IP configuration {prefix} on load balancer kubernetes"
            ));
            let lb = lb_mut(scenario, false);
            lb.frontend_ip_configurations.retain(|f| f.name != prefix);
            lb.frontend_ip_configurations.push(FrontendIpConfiguration {
                name: prefix.to_owned(),
                public_ip_address: Some(public_ip_name),
                private_ip_address: None,
            });
            Some((prefix.to_owned(), ip))
        }
        Wanted::PublicIp { name, address } => {
            let lb = lb_mut(scenario, false);
            let shared = lb
                .frontend_ip_configurations
                .iter()
                .find(|f| f.public_ip_address.as_deref() == Some(name.as_str()));
            if let Some(f) = shared {
                changes.push(format!(
                    "frontend IP configuration {} on load balancer {} shared: it already has public IP {name} ({address})",
                    f.name, lb.name
                ));
                return Some((f.name.clone(), address));
            }
            changes.push(format!(
                "frontend IP configuration {prefix} on load balancer {}: public IP {name} ({address}), which the Service names (the cloud provider creates no public IP for it)",
                lb.name
            ));
            lb.frontend_ip_configurations.retain(|f| f.name != prefix);
            lb.frontend_ip_configurations.push(FrontendIpConfiguration {
                name: prefix.to_owned(),
                public_ip_address: Some(name),
                private_ip_address: None,
            });
            Some((prefix.to_owned(), address))
        }
        Wanted::Private(private) => {
            // Kept: the address asked for, else the one the Service has in the subnet
            // ("keep the original private IP"), else a free one.
            let in_subnet = |ip: &IpAddr| match private.prefix {
                Some(net) => net.contains(ip),
                None => scenario.vnet.address_space.iter().any(|n| n.contains(ip)),
            };
            let Some(ip) = private
                .address
                .or(service.ingress_ip.filter(in_subnet))
                .or_else(|| allocate_private_ip(scenario, private.prefix))
            else {
                return no_address(changes);
            };
            if scenario.internal_load_balancer.is_none() {
                changes.push(format!(
                    "load balancer {INTERNAL_LOAD_BALANCER} created (Standard), with backend pool kubernetes"
                ));
            }
            let lb = lb_mut(scenario, true);
            let shared = lb
                .frontend_ip_configurations
                .iter()
                .find(|f| f.private_ip_address == Some(ip) && f.name != private.name);
            if let Some(f) = shared {
                changes.push(format!(
                    "frontend IP configuration {} on load balancer {} shared: it already has private IP {ip}",
                    f.name, lb.name
                ));
                return Some((f.name.clone(), ip));
            }
            changes.push(format!(
                "frontend IP configuration {} on load balancer {}: private IP {ip} in subnet {}{}",
                private.name,
                lb.name,
                private.subnet,
                if private.address.is_some() {
                    " (static, as the Service asks)"
                } else {
                    ""
                }
            ));
            lb.frontend_ip_configurations
                .retain(|f| f.name != private.name);
            lb.frontend_ip_configurations.push(FrontendIpConfiguration {
                name: private.name.clone(),
                public_ip_address: None,
                private_ip_address: Some(ip),
            });
            Some((private.name, ip))
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
    let owned = |name: &str| name == prefix || name.starts_with(&format!("{prefix}-"));
    let mut released: Vec<String> = Vec::new();
    let lbs = scenario.load_balancer.iter_mut();
    for lb in lbs.chain(scenario.internal_load_balancer.iter_mut()) {
        // The frontends this Service's rules use: its own, or one it shares.
        let used_by: Vec<String> = lb
            .load_balancing_rules
            .iter()
            .filter(|r| owned(&r.name))
            .map(|r| r.frontend_ip_configuration.clone())
            .collect();
        for r in lb.load_balancing_rules.iter().filter(|r| owned(&r.name)) {
            say(format!("load-balancing rule {} removed", r.name));
        }
        lb.load_balancing_rules.retain(|r| !owned(&r.name));
        for p in lb.probes.iter().filter(|p| owned(&p.name)) {
            say(format!("health probe {} removed", p.name));
        }
        lb.probes.retain(|p| !owned(&p.name));
        // The frontend stays while another Service's rules or the outbound rule use it
        // (`isFrontendIPConfigUnsafeToDelete`).
        let in_use: Vec<String> = lb
            .load_balancing_rules
            .iter()
            .map(|r| r.frontend_ip_configuration.clone())
            .chain(lb.outbound_frontend.clone())
            .collect();
        // A frontend that only this Service's rules used goes, even if another Service
        // made it (the last of the Services sharing an address).
        let gone = |f: &FrontendIpConfiguration| {
            !in_use.contains(&f.name) && (owned(&f.name) || used_by.contains(&f.name))
        };
        for f in &lb.frontend_ip_configurations {
            if gone(f) {
                say(format!("frontend IP configuration {} removed", f.name));
                released.extend(f.public_ip_address.clone());
            } else if owned(&f.name) {
                say(format!(
                    "frontend IP configuration {} kept: other Services' rules (or the outbound rule) use it",
                    f.name
                ));
            }
        }
        lb.frontend_ip_configurations.retain(|f| !gone(f));
    }
    // The cloud provider's own public IPs (`kubernetes-<prefix>`, `getPublicIPName`) go
    // with the last frontend that has them; a public IP the Service only named
    // (`azure-pip-name`, `loadBalancerIP`) is the user's and stays.
    let public_ip_name = format!("kubernetes-{prefix}");
    if !released.contains(&public_ip_name) {
        released.push(public_ip_name);
    }
    for name in released {
        let still_used = scenario
            .load_balancer
            .iter()
            .flat_map(|lb| &lb.frontend_ip_configurations)
            .any(|f| f.public_ip_address.as_deref() == Some(name.as_str()));
        if still_used || !name.starts_with("kubernetes-") {
            continue;
        }
        if scenario.public_ips.iter().any(|p| p.name == name) {
            say(format!("public IP {name} released"));
        }
        scenario.public_ips.retain(|p| p.name != name);
    }
    let frontend = service.ingress_ip;
    // Other Services on the same address keep it in the shared rules for their ports
    // (`CleanSecurityGroup`'s `retainPortRanges`).
    let others: Vec<(Protocol, u16)> = frontend
        .map(|ip| {
            scenario
                .services
                .iter()
                .filter(|s| s.service_type == ServiceType::LoadBalancer && s.ingress_ip == Some(ip))
                .flat_map(|s| {
                    let floating = !annotation_true(s, ANNOTATION_DISABLE_FLOATING_IP);
                    s.ports.iter().map(move |p| {
                        let port = if floating {
                            p.port
                        } else {
                            p.node_port.unwrap_or(p.port)
                        };
                        (p.protocol(), port)
                    })
                })
                .collect()
        })
        .unwrap_or_default();
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
                        if rule.name.starts_with("k8s-azure-lb_") && !serves(rule, &others) {
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

/// Whether the rule allows one of `ports` (protocol and port).
fn serves(rule: &SecurityRule, ports: &[(Protocol, u16)]) -> bool {
    ports.iter().any(|&(protocol, port)| {
        let protocol_ok = match &rule.protocol {
            RuleProtocol::Only(p) => *p == protocol,
            RuleProtocol::Any => true,
            RuleProtocol::Invalid(_) => false,
        };
        protocol_ok
            && rule.destination_ports.iter().any(|range| match range {
                PortRange::Any => true,
                PortRange::Range { first, last } => (*first..=*last).contains(&port),
                PortRange::Invalid(_) => false,
            })
    })
}

/// `TCP`, `UDP` as rule names spell them.
fn protocol_upper(protocol: Protocol) -> String {
    protocol.as_str().to_ascii_uppercase()
}
