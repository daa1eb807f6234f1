//! The Azure documents, read into what the scenario needs: the cluster (`az aks show`),
//! the VNet and its subnets, load balancers, public IPs and NICs. NSGs are read by
//! `crate::import`. Each reader takes any shape (see `arm`) and warns, naming document,
//! object and field, about a value it cannot use.

use super::arm::{
    boolean, id_before, ip_text, last_segment, list, net_text, owned, port_value, prop, prop_any,
    ref_at, ref_id, segment_after, shown, text,
};
use super::Notes;
use crate::json::Value;
use ipnet::IpNet;
use std::net::IpAddr;

/// `az aks show`.
#[derive(Clone, Debug, Default)]
pub(super) struct Aks {
    pub(super) name: String,
    pub(super) location: Option<String>,
    pub(super) node_resource_group: Option<String>,
    /// `azure`, `kubenet`, `none`.
    pub(super) network_plugin: Option<String>,
    /// `overlay` for Azure CNI Overlay.
    pub(super) network_plugin_mode: Option<String>,
    pub(super) pod_cidr: Option<IpNet>,
    pub(super) pools: Vec<Pool>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Pool {
    pub(super) name: String,
    /// `vnetSubnetId`: `None` for an AKS-managed VNet.
    pub(super) subnet_id: Option<String>,
}

pub(super) fn aks(v: &Value, notes: &mut Notes) -> Aks {
    let name = owned(v, "name").unwrap_or_default();
    let object = format!("AKS cluster {name}");
    let profile = prop(v, "networkProfile");
    let net = |key: &str| profile.and_then(|p| owned(p, key));
    let pod_cidr = net("podCidr").and_then(|text| {
        let parsed = net_text(&text);
        if parsed.is_none() {
            notes.warn(
                &object,
                "networkProfile.podCidr",
                &text,
                "not a CIDR prefix; ignored",
            );
        }
        parsed
    });
    let pools = list(v, "agentPoolProfiles")
        .iter()
        .map(|p| Pool {
            name: owned(p, "name").unwrap_or_default(),
            subnet_id: owned(p, "vnetSubnetId"),
        })
        .collect();
    Aks {
        location: owned(v, "location"),
        node_resource_group: owned(v, "nodeResourceGroup"),
        network_plugin: net("networkPlugin"),
        network_plugin_mode: net("networkPluginMode"),
        pod_cidr,
        pools,
        name,
    }
}

/// A VNet (`az network vnet show`) with the subnets it lists.
#[derive(Clone, Debug, Default)]
pub(super) struct Vnet {
    pub(super) name: String,
    pub(super) id: Option<String>,
    pub(super) address_space: Vec<IpNet>,
    pub(super) subnets: Vec<Subnet>,
    /// Address spaces of connected peerings, which the VirtualNetwork tag covers.
    pub(super) peered: Vec<(String, Vec<IpNet>)>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Subnet {
    pub(super) name: String,
    pub(super) id: Option<String>,
    pub(super) address_prefix: Option<IpNet>,
    pub(super) nsg_id: Option<String>,
}

fn nets(values: &[Value], object: &str, field: &str, notes: &mut Notes) -> Vec<IpNet> {
    values
        .iter()
        .filter_map(|v| {
            let parsed = v.as_str().and_then(net_text);
            if parsed.is_none() {
                notes.warn(object, field, &shown(v), "not a CIDR prefix; ignored");
            }
            parsed
        })
        .collect()
}

pub(super) fn vnet(v: &Value, notes: &mut Notes) -> Vnet {
    let name = owned(v, "name").unwrap_or_default();
    let object = format!("VNet {name}");
    let space = prop(v, "addressSpace")
        .map(|s| list(s, "addressPrefixes"))
        .unwrap_or_default();
    let address_space = nets(space, &object, "addressSpace.addressPrefixes", notes);
    let subnets = list(v, "subnets")
        .iter()
        .map(|s| subnet(s, &object, notes))
        .collect();
    let mut peered = Vec::new();
    for p in list(v, "virtualNetworkPeerings") {
        let peering = owned(p, "name").unwrap_or_default();
        let p_object = format!("{object}, peering {peering}");
        let state = text(p, "peeringState").unwrap_or("Connected");
        let access = boolean(p, "allowVirtualNetworkAccess").unwrap_or(true);
        let space = prop_any(
            p,
            &["remoteVirtualNetworkAddressSpace", "remoteAddressSpace"],
        )
        .map(|s| list(s, "addressPrefixes"))
        .unwrap_or_default();
        let prefixes = nets(
            space,
            &p_object,
            "remoteAddressSpace.addressPrefixes",
            notes,
        );
        if !state.eq_ignore_ascii_case("Connected") {
            notes.warn(
                &p_object,
                "peeringState",
                state,
                "not Connected: its address space is left out of VirtualNetwork",
            );
        } else if !access {
            notes.warn(
                &p_object,
                "allowVirtualNetworkAccess",
                "false",
                "its address space is left out of VirtualNetwork",
            );
        } else {
            let remote = ref_at(p, "remoteVirtualNetwork")
                .and_then(last_segment)
                .map(str::to_owned)
                .unwrap_or(peering);
            peered.push((remote, prefixes));
        }
    }
    Vnet {
        id: owned(v, "id"),
        address_space,
        subnets,
        peered,
        name,
    }
}

/// A subnet, inside a VNet document (`parent` names it) or on its own.
pub(super) fn subnet(v: &Value, parent: &str, notes: &mut Notes) -> Subnet {
    let name = owned(v, "name").unwrap_or_default();
    let object = if parent.is_empty() {
        format!("subnet {name}")
    } else {
        format!("{parent}, subnet {name}")
    };
    let prefix_text = text(v, "addressPrefix").map(str::to_owned).or_else(|| {
        list(v, "addressPrefixes")
            .first()
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let address_prefix = prefix_text.and_then(|t| {
        let parsed = net_text(&t);
        if parsed.is_none() {
            notes.warn(&object, "addressPrefix", &t, "not a CIDR prefix; ignored");
        }
        parsed
    });
    Subnet {
        id: owned(v, "id"),
        address_prefix,
        nsg_id: ref_at(v, "networkSecurityGroup").map(str::to_owned),
        name,
    }
}

/// The VNet a subnet id names: `(VNet name, subnet name)`.
pub(super) fn subnet_names(subnet_id: &str) -> (Option<&str>, Option<&str>) {
    (
        segment_after(subnet_id, "virtualNetworks"),
        segment_after(subnet_id, "subnets"),
    )
}

#[derive(Clone, Debug, Default)]
pub(super) struct LoadBalancer {
    pub(super) name: String,
    pub(super) sku: Option<String>,
    pub(super) frontends: Vec<Frontend>,
    pub(super) pools: Vec<BackendPool>,
    pub(super) rules: Vec<Rule>,
    pub(super) probes: Vec<Probe>,
    /// Frontend names of the outbound rules.
    pub(super) outbound_frontends: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Frontend {
    pub(super) name: String,
    pub(super) private_ip: Option<IpAddr>,
    pub(super) public_ip_id: Option<String>,
    pub(super) subnet_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct BackendPool {
    pub(super) name: String,
    /// Ids of NIC IP configurations (`backendIPConfigurations`, or the addresses'
    /// `networkInterfaceIPConfiguration`).
    pub(super) ip_configurations: Vec<String>,
    /// Addresses of an IP-based pool (`backendPoolType: nodeIP`).
    pub(super) addresses: Vec<IpAddr>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Rule {
    pub(super) name: String,
    pub(super) frontend: String,
    pub(super) pools: Vec<String>,
    pub(super) protocol: String,
    pub(super) frontend_port: u16,
    pub(super) backend_port: u16,
    pub(super) floating_ip: bool,
    pub(super) probe: Option<String>,
    pub(super) load_distribution: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Probe {
    pub(super) name: String,
    pub(super) protocol: String,
    pub(super) port: u16,
    pub(super) request_path: Option<String>,
}

fn sku_name(v: &Value) -> Option<String> {
    match prop(v, "sku")? {
        Value::String(s) => Some(s.clone()),
        other => owned(other, "name"),
    }
}

fn port(v: &Value, key: &str, object: &str, notes: &mut Notes) -> u16 {
    match prop(v, key) {
        None => {
            notes.warn_missing(object, key, "missing; taken as 0");
            0
        }
        Some(x) => port_value(x).unwrap_or_else(|| {
            notes.warn(object, key, &shown(x), "not a port number; taken as 0");
            0
        }),
    }
}

fn ip(v: &Value, key: &str, object: &str, notes: &mut Notes) -> Option<IpAddr> {
    let t = text(v, key)?;
    let parsed = ip_text(t);
    if parsed.is_none() {
        notes.warn(object, key, t, "not an IP address; ignored");
    }
    parsed
}

fn ids(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(ref_id)
        .map(str::to_owned)
        .collect()
}

fn name_of(id: Option<&str>) -> Option<String> {
    id.and_then(last_segment).map(str::to_owned)
}

pub(super) fn load_balancer(v: &Value, notes: &mut Notes) -> LoadBalancer {
    let name = owned(v, "name").unwrap_or_default();
    let object = format!("load balancer {name}");
    let frontends = list(v, "frontendIPConfigurations")
        .iter()
        .map(|f| {
            let fname = owned(f, "name").unwrap_or_default();
            let fobject = format!("{object}, frontend {fname}");
            Frontend {
                private_ip: ip(f, "privateIPAddress", &fobject, notes),
                public_ip_id: ref_at(f, "publicIPAddress").map(str::to_owned),
                subnet_id: ref_at(f, "subnet").map(str::to_owned),
                name: fname,
            }
        })
        .collect();
    let pools = list(v, "backendAddressPools")
        .iter()
        .map(|p| {
            let pname = owned(p, "name").unwrap_or_default();
            let pobject = format!("{object}, backend pool {pname}");
            let mut ip_configurations = ids(list(p, "backendIPConfigurations"));
            let mut addresses = Vec::new();
            for a in list(p, "loadBalancerBackendAddresses") {
                if let Some(id) = ref_at(a, "networkInterfaceIPConfiguration") {
                    if !ip_configurations.iter().any(|c| super::arm::same_id(c, id)) {
                        ip_configurations.push(id.to_owned());
                    }
                } else if let Some(address) = ip(a, "ipAddress", &pobject, notes) {
                    addresses.push(address);
                }
            }
            BackendPool {
                name: pname,
                ip_configurations,
                addresses,
            }
        })
        .collect();
    let rules = list(v, "loadBalancingRules")
        .iter()
        .map(|r| {
            let rname = owned(r, "name").unwrap_or_default();
            let robject = format!("{object}, rule {rname}");
            let frontend = name_of(ref_at(r, "frontendIPConfiguration")).unwrap_or_else(|| {
                notes.warn_missing(&robject, "frontendIPConfiguration", "missing");
                String::new()
            });
            let mut pools: Vec<String> = ids(list(r, "backendAddressPools"))
                .iter()
                .filter_map(|id| name_of(Some(id)))
                .collect();
            if let Some(single) = name_of(ref_at(r, "backendAddressPool")) {
                if !pools.contains(&single) {
                    pools.push(single);
                }
            }
            Rule {
                frontend,
                pools,
                protocol: owned(r, "protocol").unwrap_or_else(|| {
                    notes.warn_missing(&robject, "protocol", "missing; the rule matches nothing");
                    String::new()
                }),
                frontend_port: port(r, "frontendPort", &robject, notes),
                backend_port: port(r, "backendPort", &robject, notes),
                floating_ip: boolean(r, "enableFloatingIP").unwrap_or(false),
                probe: name_of(ref_at(r, "probe")),
                load_distribution: owned(r, "loadDistribution"),
                name: rname,
            }
        })
        .collect();
    let probes = list(v, "probes")
        .iter()
        .map(|p| {
            let pname = owned(p, "name").unwrap_or_default();
            let pobject = format!("{object}, probe {pname}");
            Probe {
                protocol: owned(p, "protocol").unwrap_or_else(|| "Tcp".to_owned()),
                port: port(p, "port", &pobject, notes),
                request_path: owned(p, "requestPath"),
                name: pname,
            }
        })
        .collect();
    let outbound_frontends = list(v, "outboundRules")
        .iter()
        .flat_map(|o| ids(list(o, "frontendIPConfigurations")))
        .filter_map(|id| name_of(Some(&id)))
        .collect();
    LoadBalancer {
        sku: sku_name(v),
        frontends,
        pools,
        rules,
        probes,
        outbound_frontends,
        name,
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct PublicIp {
    pub(super) name: String,
    pub(super) address: Option<IpAddr>,
    pub(super) sku: Option<String>,
}

pub(super) fn public_ip(v: &Value, notes: &mut Notes) -> PublicIp {
    let name = owned(v, "name").unwrap_or_default();
    let object = format!("public IP {name}");
    PublicIp {
        address: ip(v, "ipAddress", &object, notes),
        sku: sku_name(v),
        name,
    }
}

/// A NIC: `az vmss nic list` (one per scale-set instance) or `az network nic list`.
#[derive(Clone, Debug, Default)]
pub(super) struct Nic {
    pub(super) name: String,
    pub(super) id: Option<String>,
    pub(super) vm_id: Option<String>,
    pub(super) nsg_id: Option<String>,
    /// The primary IP configuration's (the node's) address, subnet, pools and ASGs.
    pub(super) ip: Option<IpAddr>,
    pub(super) subnet_id: Option<String>,
    pub(super) pools: Vec<String>,
    pub(super) asgs: Vec<String>,
    /// The other configurations' addresses: Azure CNI's pod IPs.
    pub(super) secondary: Vec<IpAddr>,
    pub(super) ip_configuration_ids: Vec<String>,
}

pub(super) fn nic(v: &Value, notes: &mut Notes) -> Nic {
    let name = owned(v, "name").unwrap_or_default();
    let object = format!("NIC {name}");
    let configs = list(v, "ipConfigurations");
    let primary = configs
        .iter()
        .position(|c| boolean(c, "primary") == Some(true))
        .or_else(|| {
            if !configs.is_empty() {
                notes.warn_missing(
                    &object,
                    "ipConfigurations",
                    "no configuration is primary; the first is taken as the node's",
                );
            }
            (!configs.is_empty()).then_some(0)
        });
    let mut nic = Nic {
        id: owned(v, "id"),
        vm_id: ref_at(v, "virtualMachine").map(str::to_owned),
        nsg_id: ref_at(v, "networkSecurityGroup").map(str::to_owned),
        ..Nic::default()
    };
    if configs.is_empty() {
        notes.warn_missing(
            &object,
            "ipConfigurations",
            "missing: the NIC has no address",
        );
    }
    for (i, c) in configs.iter().enumerate() {
        let cname = owned(c, "name").unwrap_or_else(|| format!("#{}", i + 1));
        let cobject = format!("{object}, IP configuration {cname}");
        let address = ip(c, "privateIPAddress", &cobject, notes);
        if let Some(id) = owned(c, "id") {
            nic.ip_configuration_ids.push(id);
        }
        if Some(i) == primary {
            nic.ip = address;
            nic.subnet_id = ref_at(c, "subnet").map(str::to_owned);
            nic.pools = ids(list(c, "loadBalancerBackendAddressPools"));
            nic.asgs = ids(list(c, "applicationSecurityGroups"))
                .iter()
                .filter_map(|id| name_of(Some(id)))
                .collect();
        } else if let Some(address) = address {
            nic.secondary.push(address);
        }
    }
    nic.name = name;
    nic
}

/// The id of the NIC an IP configuration id belongs to.
pub(super) fn nic_of_ip_configuration(id: &str) -> Option<&str> {
    id_before(id, "ipConfigurations")
}
