//! From what the documents hold to the scenario: joining the Azure and Kubernetes views
//! of the same nodes (a node's `providerID` is its VM's id, which its NIC names too),
//! choosing the cluster's VNet, subnets, NSGs and load balancers among what a listing
//! command prints, and saying what was assumed where a document is missing.

use super::arm::{id_before, id_key, last_segment, list, owned, ref_id, same_id, segment_after};
use super::azure::{self, Aks, Nic, Vnet};
use super::kube::{qualified, KubeNode, KubePod, KubeService, Slice, ANNOTATION_PIP_NAME};
use super::{Notes, IMPORT};
use crate::eval::AZURE_HOST_IP;
use crate::json::Value;
use crate::model::NetworkSecurityGroup;
use crate::reconcile::{rule_prefix, ANNOTATION_INTERNAL};
use crate::scenario::{
    Client, FrontendIpConfiguration, LoadBalancer, LoadBalancingRule, NamedFlow, NetworkInterface,
    NetworkPlugin, Node, NsgSet, Pod, Probe, PublicIp, Route, Scenario, Service, ServiceType,
    Subnet, VirtualNetwork,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Everything read from the documents, before it is joined.
#[derive(Default)]
pub(super) struct Read {
    /// Documents that held something of the command set, in the order given.
    pub(super) documents: Vec<String>,
    pub(super) kubectl_documents: Vec<String>,
    pub(super) aks: Vec<(String, Aks)>,
    pub(super) vnets: Vec<(String, Vnet)>,
    pub(super) subnets: Vec<(String, azure::Subnet)>,
    pub(super) nsgs: Vec<(String, NetworkSecurityGroup)>,
    pub(super) nsg_references: Vec<NsgReferences>,
    pub(super) nsg_warnings: Vec<crate::model::Warning>,
    pub(super) load_balancers: Vec<(String, azure::LoadBalancer)>,
    pub(super) public_ips: Vec<azure::PublicIp>,
    pub(super) nics: Vec<(String, Nic)>,
    pub(super) nodes: Vec<KubeNode>,
    pub(super) pods: Vec<KubePod>,
    pub(super) services: Vec<KubeService>,
    pub(super) slices: Vec<Slice>,
}

/// An NSG's own list of where it is applied (`subnets`, `networkInterfaces`), which
/// tells a subnet's NSG when the VNet document is missing.
pub(super) struct NsgReferences {
    name: String,
    subnets: Vec<String>,
}

impl NsgReferences {
    pub(super) fn of(v: &Value) -> NsgReferences {
        NsgReferences {
            name: owned(v, "name").unwrap_or_default(),
            subnets: list(v, "subnets")
                .iter()
                .filter_map(ref_id)
                .map(str::to_owned)
                .collect(),
        }
    }
}

impl Read {
    /// Keeps the first of NSGs of one name (an NSG listed twice, by two commands).
    pub(super) fn add_nsg(&mut self, doc: &str, nsg: NetworkSecurityGroup, notes: &mut Notes) {
        let first = self
            .nsgs
            .iter()
            .find(|(_, n)| n.name.eq_ignore_ascii_case(&nsg.name));
        match first {
            Some((first_doc, existing)) => {
                if existing.security_rules != nsg.security_rules
                    || existing.default_security_rules != nsg.default_security_rules
                {
                    notes.note(
                        &format!("NSG {}", nsg.name),
                        format!(
                            "also in {first_doc} with other rules; the one from {first_doc} is used"
                        ),
                    );
                }
            }
            None => self.nsgs.push((doc.to_owned(), nsg)),
        }
    }
}

/// A node as the two views join it.
struct Joined {
    node: Node,
    vm_id: Option<String>,
    nic_id: Option<String>,
    /// The NIC's primary configuration's backend pools.
    nic_pools: Vec<String>,
}

pub(super) fn scenario(read: Read, notes: &mut Notes) -> Scenario {
    let aks = choose_aks(&read, notes);
    let nics = dedupe_nics(&read.nics);
    let kube_nodes = dedupe_by(&read.nodes, |n| n.name.clone());
    let plugin = network_plugin(aks, &kube_nodes, notes);

    let (public_lb, internal_lb) = choose_load_balancers(&read, notes);
    let mut cluster_subnets: Vec<String> = Vec::new();
    let pool_subnets = aks
        .iter()
        .flat_map(|a| a.pools.iter().filter_map(|p| p.subnet_id.clone()));
    let nic_subnets = nics.iter().filter_map(|(_, n)| n.subnet_id.clone());
    let frontend_subnets = internal_lb
        .iter()
        .flat_map(|(_, lb)| lb.frontends.iter().filter_map(|f| f.subnet_id.clone()));
    for id in pool_subnets.chain(nic_subnets).chain(frontend_subnets) {
        if !cluster_subnets.iter().any(|c| same_id(c, &id)) {
            cluster_subnets.push(id);
        }
    }
    let vnet = network(&read, &cluster_subnets, notes);

    let node_rg = aks.and_then(|a| a.node_resource_group.clone()).or_else(|| {
        nics.iter()
            .find_map(|(_, n)| {
                n.id.as_deref()
                    .and_then(|id| segment_after(id, "resourceGroups"))
            })
            .map(str::to_owned)
    });
    let assumed_nic_nsg = assumed_nic_nsg(&read, node_rg.as_deref());
    let joined = nodes(
        &kube_nodes,
        &nics,
        aks,
        &vnet,
        plugin,
        assumed_nic_nsg.as_deref(),
        notes,
    );

    let mut scenario = Scenario {
        name: aks
            .map(|a| a.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "imported-cluster".to_owned()),
        network_plugin: plugin,
        resource_group: node_rg,
        location: aks.and_then(|a| a.location.clone()),
        vnet,
        nodes: joined.iter().map(|j| j.node.clone()).collect(),
        ..Scenario::default()
    };
    scenario.network_security_groups = nsgs(&read, &scenario, notes);
    scenario.pods = pods(&read, notes);
    scenario.services = services(&read, notes);
    scenario.load_balancer = public_lb.map(|(doc, lb)| model_lb(doc, lb, &joined, notes));
    scenario.internal_load_balancer =
        internal_lb.map(|(doc, lb)| model_lb(doc, lb, &joined, notes));
    scenario.public_ips = public_ips(&read, &scenario);
    if !read.load_balancers.is_empty() {
        check_services(&read, &mut scenario, notes);
    }
    if plugin == NetworkPlugin::Kubenet {
        kubenet_routes(&mut scenario, aks, notes);
    }
    missing_documents(
        &read,
        aks,
        &scenario,
        plugin,
        assumed_nic_nsg.as_deref(),
        notes,
    );
    flows(&mut scenario);
    describe(&mut scenario, &read);
    scenario
}

/// The first of the items of each key, in order.
fn dedupe_by<T: Clone>(items: &[T], key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    items
        .iter()
        .filter(|item| seen.insert(key(item)))
        .cloned()
        .collect()
}

fn dedupe_nics(nics: &[(String, Nic)]) -> Vec<(String, Nic)> {
    dedupe_by(nics, |(_, n)| match &n.id {
        Some(id) => id_key(id),
        None => format!("{}|{:?}", n.name, n.ip),
    })
}

fn choose_aks<'r>(read: &'r Read, notes: &mut Notes) -> Option<&'r Aks> {
    let (doc, first) = read.aks.first()?;
    let others: Vec<&str> = read
        .aks
        .iter()
        .map(|(_, a)| a.name.as_str())
        .filter(|n| !n.eq_ignore_ascii_case(&first.name))
        .collect();
    if !others.is_empty() {
        notes.note(
            IMPORT,
            format!(
                "the documents describe more than one cluster ({}); {} from {doc} is used",
                others.join(", "),
                first.name
            ),
        );
    }
    Some(first)
}

fn network_plugin(aks: Option<&Aks>, nodes: &[KubeNode], notes: &mut Notes) -> NetworkPlugin {
    let Some(aks) = aks else {
        return if nodes.iter().any(|n| n.pod_cidr.is_some()) {
            NetworkPlugin::Kubenet
        } else {
            NetworkPlugin::Azure
        };
    };
    let object = format!("AKS cluster {}", aks.name);
    match aks.network_plugin.as_deref() {
        Some(p) if p.eq_ignore_ascii_case("kubenet") => NetworkPlugin::Kubenet,
        Some(p) if p.eq_ignore_ascii_case("azure") => {
            if let Some(mode) = aks
                .network_plugin_mode
                .as_deref()
                .filter(|m| m.eq_ignore_ascii_case("overlay"))
            {
                notes.warn(
                    &object,
                    "networkProfile.networkPluginMode",
                    mode,
                    "Azure CNI Overlay: pods have addresses outside the VNet; packetwalk models \
                     Azure CNI with pods in the VNet, so traces between pods and the VNet may differ",
                );
            }
            NetworkPlugin::Azure
        }
        Some(other) => {
            notes.warn(
                &object,
                "networkProfile.networkPlugin",
                other,
                "not azure or kubenet; read as azure (Azure CNI)",
            );
            NetworkPlugin::Azure
        }
        None => {
            notes.warn_missing(
                &object,
                "networkProfile.networkPlugin",
                "missing; taken to be azure (Azure CNI)",
            );
            NetworkPlugin::Azure
        }
    }
}

fn is_internal_lb(lb: &azure::LoadBalancer) -> bool {
    if lb.name.eq_ignore_ascii_case("kubernetes") {
        return false;
    }
    lb.name.to_ascii_lowercase().ends_with("-internal")
        || (!lb.frontends.is_empty() && lb.frontends.iter().all(|f| f.public_ip_id.is_none()))
}

type DocLb<'r> = (&'r str, &'r azure::LoadBalancer);

/// AKS's `kubernetes` and `kubernetes-internal`, or the public and the internal load
/// balancer under other names (several standard load balancers).
fn choose_load_balancers<'r>(
    read: &'r Read,
    notes: &mut Notes,
) -> (Option<DocLb<'r>>, Option<DocLb<'r>>) {
    let all = dedupe_by(
        &read
            .load_balancers
            .iter()
            .map(|(d, lb)| (d.as_str(), lb))
            .collect::<Vec<_>>(),
        |(_, lb)| lb.name.to_ascii_lowercase(),
    );
    let pick = |internal: bool, name: &str| {
        let of_kind = all.iter().filter(|(_, lb)| is_internal_lb(lb) == internal);
        of_kind
            .clone()
            .find(|(_, lb)| lb.name.eq_ignore_ascii_case(name))
            .or_else(|| of_kind.clone().next())
            .copied()
    };
    let public = pick(false, "kubernetes");
    let internal = pick(true, "kubernetes-internal");
    for (doc, lb) in &all {
        let chosen = [public, internal]
            .iter()
            .flatten()
            .any(|(_, c)| c.name.eq_ignore_ascii_case(&lb.name));
        if !chosen {
            notes.note(
                &format!("{doc}, load balancer {}", lb.name),
                format!(
                    "a second {} load balancer; the scenario has room for one, {}, and leaves this out",
                    if is_internal_lb(lb) { "internal" } else { "public" },
                    if is_internal_lb(lb) {
                        internal.map(|(_, l)| l.name.clone()).unwrap_or_default()
                    } else {
                        public.map(|(_, l)| l.name.clone()).unwrap_or_default()
                    }
                ),
            );
        }
    }
    (public, internal)
}

/// The VNet of the cluster's subnets, with those subnets (every subnet when nothing
/// says which are the cluster's).
fn network(read: &Read, cluster_subnets: &[String], notes: &mut Notes) -> VirtualNetwork {
    let holds = |v: &Vnet, id: &str| {
        v.subnets
            .iter()
            .any(|s| s.id.as_deref().is_some_and(|sid| same_id(sid, id)))
            || v.id.as_deref().is_some_and(|vid| {
                id_before(id, "subnets").is_some_and(|parent| same_id(parent, vid))
            })
    };
    let chosen = read
        .vnets
        .iter()
        .find(|(_, v)| cluster_subnets.iter().any(|id| holds(v, id)))
        .or_else(|| read.vnets.first());
    if let Some((doc, v)) = chosen {
        let others: Vec<String> = dedupe_by(&read.vnets, |(_, o)| o.name.to_ascii_lowercase())
            .into_iter()
            .map(|(_, o)| o.name)
            .filter(|n| !n.eq_ignore_ascii_case(&v.name))
            .collect();
        if !others.is_empty() {
            notes.note(
                IMPORT,
                format!(
                    "VNet {} from {doc} is the cluster's; {} left out",
                    v.name,
                    others.join(", ")
                ),
            );
        }
    }
    let wanted = |id: Option<&str>| {
        cluster_subnets.is_empty()
            || id.is_some_and(|id| cluster_subnets.iter().any(|c| same_id(c, id)))
    };
    let mut subnets: Vec<(Option<String>, Subnet)> = Vec::new();
    let add = |s: &azure::Subnet, subnets: &mut Vec<(Option<String>, Subnet)>| {
        let known = subnets.iter().any(|(id, have)| match (id, &s.id) {
            (Some(a), Some(b)) => same_id(a, b),
            _ => have.name == s.name,
        });
        if !known && wanted(s.id.as_deref()) {
            subnets.push((
                s.id.clone(),
                Subnet {
                    name: s.name.clone(),
                    address_prefix: s.address_prefix,
                    network_security_group: s
                        .nsg_id
                        .as_deref()
                        .and_then(last_segment)
                        .map(str::to_owned),
                    routes: Vec::new(),
                },
            ));
        }
    };
    if let Some((_, v)) = chosen {
        for s in &v.subnets {
            add(s, &mut subnets);
        }
    }
    for (_, s) in &read.subnets {
        add(s, &mut subnets);
    }
    for id in cluster_subnets {
        if subnets
            .iter()
            .any(|(sid, _)| sid.as_deref().is_some_and(|s| same_id(s, id)))
        {
            continue;
        }
        let (_, name) = azure::subnet_names(id);
        let name = name.unwrap_or_default().to_owned();
        if let Some((doc, v)) = chosen {
            notes.note(
                &format!("subnet {name}"),
                format!(
                    "the cluster uses it, but VNet {} ({doc}) does not list it: its address prefix and NSG are unknown",
                    v.name
                ),
            );
        }
        // Without the VNet, the NSG's own list of subnets says which it is on.
        let nsg = read
            .nsg_references
            .iter()
            .find(|r| r.subnets.iter().any(|s| same_id(s, id)))
            .map(|r| r.name.clone());
        subnets.push((
            Some(id.clone()),
            Subnet {
                name,
                address_prefix: None,
                network_security_group: if chosen.is_some() { None } else { nsg },
                routes: Vec::new(),
            },
        ));
    }
    let subnets: Vec<Subnet> = subnets.into_iter().map(|(_, s)| s).collect();
    let (name, address_space) = match chosen {
        Some((_, v)) => {
            let mut space = v.address_space.clone();
            for (_, prefixes) in &v.peered {
                for p in prefixes {
                    if !space.contains(p) {
                        space.push(*p);
                    }
                }
            }
            (v.name.clone(), space)
        }
        None => (
            cluster_subnets
                .iter()
                .chain(read.subnets.iter().filter_map(|(_, s)| s.id.as_ref()))
                .find_map(|id| azure::subnet_names(id).0)
                .unwrap_or_default()
                .to_owned(),
            subnets.iter().filter_map(|s| s.address_prefix).collect(),
        ),
    };
    VirtualNetwork {
        name,
        address_space,
        subnets,
    }
}

/// The NSG AKS puts on every node's NIC, when no NIC document says so: the one NSG of
/// the node resource group (`aks-agentpool-<hash>-nsg`).
fn assumed_nic_nsg(read: &Read, node_rg: Option<&str>) -> Option<String> {
    let candidates: Vec<&NetworkSecurityGroup> = read
        .nsgs
        .iter()
        .map(|(_, n)| n)
        .filter(|n| match node_rg {
            Some(rg) => n
                .resource_group
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(rg)),
            None => {
                let lower = n.name.to_ascii_lowercase();
                lower.starts_with("aks-agentpool-") && lower.ends_with("-nsg")
            }
        })
        .collect();
    match candidates.as_slice() {
        [one] => Some(one.name.clone()),
        _ => None,
    }
}

/// `aks-nodepool1-31647289-vmss` instance 35 is node `aks-nodepool1-31647289-vmss00000z`:
/// a scale set's computer names end in the instance id in base 36, six digits.
fn vmss_node_name(vmss: &str, instance: &str) -> Option<String> {
    let mut n: u64 = instance.parse().ok()?;
    let mut digits = Vec::new();
    while n > 0 || digits.is_empty() {
        let d = (n % 36) as u32;
        digits.push(char::from_digit(d, 36)?);
        n /= 36;
    }
    while digits.len() < 6 {
        digits.push('0');
    }
    digits.reverse();
    Some(format!(
        "{}{}",
        vmss.to_ascii_lowercase(),
        digits.into_iter().collect::<String>()
    ))
}

/// The scale set and instance a VM or NIC id names.
fn vmss_instance(id: &str) -> Option<(&str, &str)> {
    Some((
        segment_after(id, "virtualMachineScaleSets")?,
        segment_after(id, "virtualMachines")?,
    ))
}

/// The node a NIC belongs to, when no Node object names it.
fn node_name_of_nic(nic: &Nic) -> String {
    let ids = [nic.vm_id.as_deref(), nic.id.as_deref()];
    if let Some(name) = ids
        .iter()
        .flatten()
        .find_map(|id| vmss_instance(id).and_then(|(vmss, i)| vmss_node_name(vmss, i)))
    {
        return name;
    }
    nic.vm_id
        .as_deref()
        .and_then(|id| segment_after(id, "virtualMachines"))
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| nic.name.clone())
}

/// A scale set's instances share their NIC's name; the instance tells them apart.
fn nic_name(nic: &Nic) -> String {
    match nic.id.as_deref().and_then(vmss_instance) {
        Some((_, instance)) => format!("{}/{instance}", nic.name),
        None => nic.name.clone(),
    }
}

/// A NIC with the document it is from.
type DocNic<'r> = (&'r str, &'r Nic);

#[allow(clippy::too_many_arguments)]
fn nodes(
    kube: &[KubeNode],
    nics: &[(String, Nic)],
    aks: Option<&Aks>,
    vnet: &VirtualNetwork,
    plugin: NetworkPlugin,
    assumed_nic_nsg: Option<&str>,
    notes: &mut Notes,
) -> Vec<Joined> {
    let mut used = vec![false; nics.len()];
    let mut pairs: Vec<(Option<&KubeNode>, Option<DocNic<'_>>)> = Vec::new();
    for k in kube {
        let by_vm = nics.iter().enumerate().position(|(i, (_, n))| {
            !used.get(i).copied().unwrap_or(true)
                && matches!((&n.vm_id, &k.vm_id), (Some(a), Some(b)) if same_id(a, b))
        });
        let by_ip = || {
            nics.iter().enumerate().position(|(i, (_, n))| {
                !used.get(i).copied().unwrap_or(true) && n.ip.is_some() && n.ip == k.internal_ip
            })
        };
        let found = by_vm.or_else(by_ip);
        if let Some(slot) = found.and_then(|i| used.get_mut(i)) {
            *slot = true;
        }
        pairs.push((
            Some(k),
            found
                .and_then(|i| nics.get(i))
                .map(|(d, n)| (d.as_str(), n)),
        ));
    }
    for (i, (doc, nic)) in nics.iter().enumerate() {
        if used.get(i).copied().unwrap_or(true) {
            continue;
        }
        if !kube.is_empty() {
            notes.note(
                &format!("{doc}, NIC {}", nic_name(nic)),
                format!(
                    "no Node of kubectl get nodes has its VM or its address {}; taken as node {}",
                    nic.ip
                        .map(|ip| ip.to_string())
                        .unwrap_or_else(|| "(none)".to_owned()),
                    node_name_of_nic(nic)
                ),
            );
        }
        pairs.push((None, Some((doc.as_str(), nic))));
    }
    let pool_subnet = |pool: Option<&str>| {
        let pool = pool?;
        aks?.pools
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(pool))?
            .subnet_id
            .as_deref()
            .and_then(|id| azure::subnet_names(id).1)
            .map(str::to_owned)
    };
    let mut out = Vec::new();
    for (k, nic) in pairs {
        let name = match (k, nic) {
            (Some(k), _) => k.name.clone(),
            (None, Some((_, n))) => node_name_of_nic(n),
            (None, None) => continue,
        };
        let object = match (k, nic) {
            (Some(k), _) => format!("{}, Node {name}", k.doc),
            (None, Some((doc, n))) => format!("{doc}, NIC {}", nic_name(n)),
            (None, None) => format!("node {name}"),
        };
        let nic_ip = nic.and_then(|(_, n)| n.ip);
        let kube_ip = k.and_then(|k| k.internal_ip);
        if let (Some(a), Some(b)) = (nic_ip, kube_ip) {
            if a != b {
                notes.warn(
                    &object,
                    "status.addresses[InternalIP]",
                    &b.to_string(),
                    &format!("differs from its NIC's primary address {a}; the NIC's is used"),
                );
            }
        }
        let ip = nic_ip.or(kube_ip);
        if ip.is_none() {
            notes.note(
                &object,
                "no address: no NIC document gives one, nor an InternalIP".to_owned(),
            );
        }
        let subnet = nic
            .and_then(|(_, n)| n.subnet_id.as_deref())
            .and_then(|id| azure::subnet_names(id).1)
            .map(str::to_owned)
            .or_else(|| pool_subnet(k.and_then(|k| k.pool.as_deref())))
            .or_else(|| match vnet.subnets.as_slice() {
                [only] => Some(only.name.clone()),
                _ => None,
            })
            .or_else(|| {
                let ip = ip?;
                vnet.subnets
                    .iter()
                    .find(|s| s.address_prefix.is_some_and(|p| p.contains(&ip)))
                    .map(|s| s.name.clone())
            });
        let subnet = subnet.unwrap_or_else(|| {
            notes.note(
                &object,
                "its subnet is unknown: no NIC document names it, and neither does its node pool's vnetSubnetId"
                    .to_owned(),
            );
            String::new()
        });
        let nic_model = match nic {
            Some((_, n)) => NetworkInterface {
                name: nic_name(n),
                private_ip_address: ip,
                network_security_group: n
                    .nsg_id
                    .as_deref()
                    .and_then(last_segment)
                    .map(str::to_owned),
                application_security_groups: n.asgs.clone(),
            },
            None => NetworkInterface {
                name: name.clone(),
                private_ip_address: ip,
                network_security_group: assumed_nic_nsg.map(str::to_owned),
                application_security_groups: Vec::new(),
            },
        };
        out.push(Joined {
            node: Node {
                name,
                subnet,
                nic: nic_model,
                pod_cidr: if plugin == NetworkPlugin::Kubenet {
                    k.and_then(|k| k.pod_cidr)
                } else {
                    None
                },
            },
            vm_id: k
                .and_then(|k| k.vm_id.clone())
                .or_else(|| nic.and_then(|(_, n)| n.vm_id.clone())),
            nic_id: nic.and_then(|(_, n)| n.id.clone()),
            nic_pools: nic.map(|(_, n)| n.pools.clone()).unwrap_or_default(),
        });
    }
    out
}

/// The NSGs the subnets and NICs name (every NSG when nothing names one): a
/// subscription's `az network nsg list` holds many that are not the cluster's.
fn nsgs(read: &Read, scenario: &Scenario, notes: &mut Notes) -> NsgSet {
    let mut named: Vec<(String, String)> = Vec::new();
    for s in &scenario.vnet.subnets {
        if let Some(n) = &s.network_security_group {
            named.push((format!("subnet {}", s.name), n.clone()));
        }
    }
    for n in &scenario.nodes {
        if let Some(nsg) = &n.nic.network_security_group {
            named.push((format!("node {}, NIC {}", n.name, n.nic.name), nsg.clone()));
        }
    }
    let is_named =
        |nsg: &NetworkSecurityGroup| named.iter().any(|(_, n)| n.eq_ignore_ascii_case(&nsg.name));
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for (_, nsg) in &read.nsgs {
        if named.is_empty() || is_named(nsg) {
            kept.push(nsg.clone());
        } else {
            left_out.push(nsg.name.clone());
        }
    }
    if !left_out.is_empty() {
        notes.note(
            IMPORT,
            format!(
                "{} NSG{} on none of the cluster's subnets and NICs, left out: {}",
                left_out.len(),
                if left_out.len() == 1 { "" } else { "s" },
                left_out.join(", ")
            ),
        );
    }
    if !read.nsgs.is_empty() {
        let mut told: Vec<String> = Vec::new();
        for (object, name) in &named {
            let known = kept.iter().any(|n| n.name.eq_ignore_ascii_case(name));
            if !known && !told.contains(name) {
                told.push(name.clone());
                notes.warn(
                    object,
                    "networkSecurityGroup",
                    name,
                    "not among the NSG documents: its rules are unknown, and packets pass it \
                     (the NSG list covers one subscription or resource group: list the NSG's too)",
                );
            }
        }
    }
    let import_warnings = read
        .nsg_warnings
        .iter()
        .filter(|w| {
            let nsg = w.object.split(", ").next().unwrap_or_default();
            kept.iter().any(|n| nsg == format!("NSG {}", n.name))
        })
        .cloned()
        .collect();
    NsgSet {
        nsgs: kept,
        import_warnings,
    }
}

fn selects(selector: &BTreeMap<String, String>, namespace: Option<&str>, pod: &Pod) -> bool {
    !selector.is_empty()
        && pod.namespace.as_deref().unwrap_or("default") == namespace.unwrap_or("default")
        && selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
}

fn pods(read: &Read, notes: &mut Notes) -> Vec<Pod> {
    let mut out: Vec<Pod> = Vec::new();
    for p in dedupe_by(&read.pods, |p| {
        qualified(p.pod.namespace.as_deref(), &p.pod.name)
    }) {
        if p.pod.node.is_empty() {
            notes.warn_missing(
                &format!(
                    "{}, Pod {}",
                    p.doc,
                    qualified(p.pod.namespace.as_deref(), &p.pod.name)
                ),
                "spec.nodeName",
                "missing: the pod is not scheduled on a node; left out",
            );
            continue;
        }
        out.push(p.pod);
    }
    if !read.pods.is_empty() {
        return out;
    }
    // No Pod objects: the EndpointSlices name the Services' pods, their addresses, nodes
    // and readiness; the Service's selector stands in for their labels.
    for slice in &read.slices {
        let service = slice.service.as_deref().and_then(|name| {
            read.services
                .iter()
                .find(|s| s.service.name == name && s.service.namespace == slice.namespace)
        });
        for e in &slice.endpoints {
            let Some((namespace, name)) = &e.pod else {
                continue;
            };
            let namespace = namespace.clone().or_else(|| slice.namespace.clone());
            let labels = service
                .map(|s| s.service.selector.clone())
                .unwrap_or_default();
            match out
                .iter_mut()
                .find(|p| &p.name == name && p.namespace == namespace)
            {
                Some(pod) => pod.labels.extend(labels),
                None => out.push(Pod {
                    name: name.clone(),
                    namespace,
                    labels,
                    ip: e.addresses.first().copied(),
                    node: e.node.clone().unwrap_or_default(),
                    ready: e.ready,
                    container_ports: Vec::new(),
                    image: None,
                }),
            }
        }
    }
    out
}

fn services(read: &Read, notes: &mut Notes) -> Vec<Service> {
    let all = dedupe_by(&read.services, |s| {
        qualified(s.service.namespace.as_deref(), &s.service.name)
    });
    // Looked up once: a large cluster has thousands of pods and slices.
    let host_network_pods: Vec<&KubePod> = read.pods.iter().filter(|p| p.host_network).collect();
    let mut slices_of: BTreeMap<(Option<&str>, &str), Vec<&Slice>> = BTreeMap::new();
    for slice in &read.slices {
        if let Some(service) = slice.service.as_deref() {
            slices_of
                .entry((slice.namespace.as_deref(), service))
                .or_default()
                .push(slice);
        }
    }
    let mut out = Vec::new();
    for ks in all {
        let mut service = ks.service;
        let shown = qualified(service.namespace.as_deref(), &service.name);
        let object = format!("{}, Service {shown}", ks.doc);
        let slices: Vec<&Slice> = slices_of
            .get(&(service.namespace.as_deref(), service.name.as_str()))
            .cloned()
            .unwrap_or_default();
        for named in &ks.named_target_ports {
            // An EndpointSlice's port is the Service port's, by name, resolved to the
            // number; failing that, a selected pod's container port of that name.
            let from_slice = slices.iter().find_map(|s| {
                s.ports
                    .iter()
                    .find(|(name, _)| *name == named.port_name)
                    .map(|(_, port)| *port)
            });
            let from_pod = || {
                read.pods
                    .iter()
                    .filter(|p| selects(&service.selector, service.namespace.as_deref(), &p.pod))
                    .find_map(|p| {
                        p.named_ports
                            .iter()
                            .find(|(name, _)| *name == named.target)
                            .map(|(_, port)| *port)
                    })
            };
            let resolved = from_slice.or_else(from_pod);
            let port = service.ports.iter_mut().find(|p| {
                Some(p.port) == named.port && p.name == named.port_name && p.target_port.is_none()
            });
            match (resolved, port) {
                (Some(number), Some(port)) => port.target_port = Some(number),
                _ => notes.warn(
                    &object,
                    &format!("spec.ports[{}].targetPort", named.index),
                    &named.target,
                    "a named port that no EndpointSlice or selected pod defines; packetwalk uses \
                     the Service port instead",
                ),
            }
        }
        let host_network: Vec<&str> = host_network_pods
            .iter()
            .filter(|p| selects(&service.selector, service.namespace.as_deref(), &p.pod))
            .map(|p| p.pod.name.as_str())
            .collect();
        if !host_network.is_empty() {
            notes.note(
                &object,
                format!(
                    "selects host-network pod{} {}, whose address is its node's: packetwalk does \
                     not count {} as endpoints",
                    plural(host_network.len()),
                    host_network.join(", "),
                    if host_network.len() == 1 {
                        "it"
                    } else {
                        "them"
                    }
                ),
            );
        }
        if service.selector.is_empty() {
            let addresses: Vec<String> = slices
                .iter()
                .flat_map(|s| s.endpoints.iter().flat_map(|e| e.addresses.iter()))
                .map(IpAddr::to_string)
                .collect();
            if !addresses.is_empty() {
                let names: Vec<&str> = slices.iter().map(|s| s.name.as_str()).collect();
                notes.note(
                    &object,
                    format!(
                        "no selector: its endpoints {} (EndpointSlice {}) are not pods of the \
                         scenario, so packetwalk finds no endpoint for it",
                        addresses.join(", "),
                        names.join(", ")
                    ),
                );
            }
        }
        out.push(service);
    }
    out
}

fn model_lb(
    doc: &str,
    lb: &azure::LoadBalancer,
    nodes: &[Joined],
    notes: &mut Notes,
) -> LoadBalancer {
    let object = format!("{doc}, load balancer {}", lb.name);
    let mut used: Vec<&str> = lb
        .rules
        .iter()
        .flat_map(|r| r.pools.iter().map(String::as_str))
        .collect();
    if used.is_empty() {
        used = lb
            .pools
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case("kubernetes"))
            .map(|p| p.name.as_str())
            .collect();
    }
    if used.is_empty() {
        used = lb.pools.iter().map(|p| p.name.as_str()).collect();
    }
    let in_use = |name: &str| used.iter().any(|u| u.eq_ignore_ascii_case(name));
    let mut members: Vec<usize> = Vec::new();
    let mut unresolved = 0usize;
    let mut listed = false;
    for pool in lb.pools.iter().filter(|p| in_use(&p.name)) {
        for config in &pool.ip_configurations {
            listed = true;
            let nic_id = azure::nic_of_ip_configuration(config);
            let vm_id = id_before(config, "networkInterfaces");
            let found = nodes.iter().position(|j| {
                matches!((nic_id, &j.nic_id), (Some(a), Some(b)) if same_id(a, b))
                    || matches!((vm_id, &j.vm_id), (Some(a), Some(b)) if same_id(a, b))
            });
            match found {
                Some(i) => members.push(i),
                None => unresolved += 1,
            }
        }
        for address in &pool.addresses {
            listed = true;
            match nodes
                .iter()
                .position(|j| j.node.nic.private_ip_address == Some(*address))
            {
                Some(i) => members.push(i),
                None => unresolved += 1,
            }
        }
    }
    // The NICs list their pools too (the only list when the LB document has none).
    for (i, j) in nodes.iter().enumerate() {
        let member = j.nic_pools.iter().any(|id| {
            segment_after(id, "loadBalancers").is_some_and(|l| l.eq_ignore_ascii_case(&lb.name))
                && last_segment(id).is_some_and(in_use)
        });
        if member {
            listed = true;
            members.push(i);
        }
    }
    // Without nodes at all, the missing documents' warning says enough.
    if unresolved > 0 && !nodes.is_empty() {
        notes.note(
            &object,
            format!(
                "{unresolved} backend pool member{} of no node of the scenario (a NIC or VM not among the documents); left out",
                if unresolved == 1 { " is" } else { "s are" }
            ),
        );
    }
    let backend_address_pool: Vec<String> = if listed || nodes.is_empty() {
        nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| members.contains(i))
            .map(|(_, j)| j.node.name.clone())
            .collect()
    } else {
        notes.note(
            &object,
            "its backend pools list no members, and no NIC document names them: every node is taken as a backend"
                .to_owned(),
        );
        nodes.iter().map(|j| j.node.name.clone()).collect()
    };
    LoadBalancer {
        name: lb.name.clone(),
        sku: lb.sku.clone(),
        frontend_ip_configurations: lb
            .frontends
            .iter()
            .map(|f| FrontendIpConfiguration {
                name: f.name.clone(),
                public_ip_address: f
                    .public_ip_id
                    .as_deref()
                    .and_then(last_segment)
                    .map(str::to_owned),
                private_ip_address: if f.public_ip_id.is_some() {
                    None
                } else {
                    f.private_ip
                },
            })
            .collect(),
        backend_address_pool,
        load_balancing_rules: lb
            .rules
            .iter()
            .map(|r| LoadBalancingRule {
                name: r.name.clone(),
                frontend_ip_configuration: r.frontend.clone(),
                protocol: r.protocol.clone(),
                frontend_port: r.frontend_port,
                backend_port: r.backend_port,
                enable_floating_ip: r.floating_ip,
                probe: r.probe.clone(),
                load_distribution: r.load_distribution.clone(),
            })
            .collect(),
        probes: lb
            .probes
            .iter()
            .map(|p| Probe {
                name: p.name.clone(),
                protocol: p.protocol.clone(),
                port: p.port,
                request_path: p.request_path.clone(),
            })
            .collect(),
        outbound_frontend: lb.outbound_frontends.first().cloned(),
    }
}

fn annotation_true(service: &Service, key: &str) -> bool {
    service
        .annotations
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The public IPs of the documents; without them, the public frontends' addresses from
/// the Services that own them (the frontend is named after the Service's UID).
fn public_ips(read: &Read, scenario: &Scenario) -> Vec<PublicIp> {
    if !read.public_ips.is_empty() {
        return dedupe_by(&read.public_ips, |p| p.name.to_ascii_lowercase())
            .into_iter()
            .map(|p| PublicIp {
                name: p.name,
                ip_address: p.address,
                sku: p.sku,
            })
            .collect();
    }
    let Some(lb) = &scenario.load_balancer else {
        return Vec::new();
    };
    lb.frontend_ip_configurations
        .iter()
        .filter_map(|f| {
            let name = f.public_ip_address.clone()?;
            let service = scenario.services.iter().find(|s| {
                s.service_type == ServiceType::LoadBalancer
                    && !annotation_true(s, ANNOTATION_INTERNAL)
                    && rule_prefix(s) == f.name
            })?;
            Some(PublicIp {
                name,
                ip_address: Some(service.ingress_ip?),
                sku: None,
            })
        })
        .collect()
}

/// Each LoadBalancer Service against its load balancer: the address it has (or asks
/// for) is a frontend's.
fn check_services(read: &Read, scenario: &mut Scenario, notes: &mut Notes) {
    let public_addresses: Vec<(String, IpAddr)> = scenario
        .load_balancer
        .iter()
        .flat_map(|lb| lb.frontend_ip_configurations.iter())
        .filter_map(|f| {
            let pip = f.public_ip_address.as_ref()?;
            let ip = scenario
                .public_ips
                .iter()
                .find(|p| &p.name == pip)?
                .ip_address?;
            Some((f.name.clone(), ip))
        })
        .collect();
    let private_addresses: Vec<(String, IpAddr)> = scenario
        .internal_load_balancer
        .iter()
        .flat_map(|lb| lb.frontend_ip_configurations.iter())
        .filter_map(|f| Some((f.name.clone(), f.private_ip_address?)))
        .collect();
    let public_ips = scenario.public_ips.clone();
    for service in &mut scenario.services {
        if service.service_type != ServiceType::LoadBalancer {
            continue;
        }
        let kube = read
            .services
            .iter()
            .find(|k| k.service.name == service.name && k.service.namespace == service.namespace);
        let object = format!(
            "{}Service {}",
            kube.map(|k| format!("{}, ", k.doc)).unwrap_or_default(),
            qualified(service.namespace.as_deref(), &service.name)
        );
        let internal = annotation_true(service, ANNOTATION_INTERNAL);
        let (lb, frontends) = if internal {
            (scenario.internal_load_balancer.as_ref(), &private_addresses)
        } else {
            (scenario.load_balancer.as_ref(), &public_addresses)
        };
        let Some(lb) = lb else {
            notes.note(
                &object,
                format!(
                    "an {} LoadBalancer Service, but the load-balancer documents have no {} load balancer",
                    if internal { "internal" } else { "external" },
                    if internal { "internal (kubernetes-internal)" } else { "public (kubernetes)" }
                ),
            );
            continue;
        };
        let requested = kube.and_then(|k| k.requested_ip);
        let pip_name = service.annotations.get(ANNOTATION_PIP_NAME).cloned();
        let pip = pip_name
            .as_deref()
            .and_then(|n| public_ips.iter().find(|p| p.name.eq_ignore_ascii_case(n)));
        let frontend_of = |ip: IpAddr| {
            frontends
                .iter()
                .find(|(_, a)| *a == ip)
                .map(|(n, _)| n.clone())
        };
        match service.ingress_ip {
            Some(ip) => {
                if frontend_of(ip).is_none() {
                    notes.warn(
                        &object,
                        "status.loadBalancer.ingress[0].ip",
                        &ip.to_string(),
                        &format!("no frontend of load balancer {} has this address", lb.name),
                    );
                }
                if let Some(asked) = requested.filter(|a| *a != ip) {
                    notes.warn(
                        &object,
                        "spec.loadBalancerIP",
                        &asked.to_string(),
                        &format!("differs from the address the Service has, {ip}"),
                    );
                }
            }
            None => {
                let asked = requested.map(|ip| (ip, "spec.loadBalancerIP")).or_else(|| {
                    pip.and_then(|p| p.ip_address)
                        .map(|ip| (ip, ANNOTATION_PIP_NAME))
                });
                match asked.and_then(|(ip, field)| Some((ip, field, frontend_of(ip)?))) {
                    Some((ip, field, frontend)) => {
                        service.ingress_ip = Some(ip);
                        notes.warn_missing(
                            &object,
                            "status.loadBalancer.ingress",
                            &format!("empty; its address taken from {field}: {ip}, which frontend {frontend} holds"),
                        );
                    }
                    None => notes.warn_missing(
                        &object,
                        "status.loadBalancer.ingress",
                        "empty: the cloud provider has not given the Service an address (yet), so nothing outside the cluster reaches it",
                    ),
                }
            }
        }
        if let Some(name) = &pip_name {
            match pip {
                Some(p) if p.ip_address.is_some() && p.ip_address != service.ingress_ip => notes
                    .warn(
                        &object,
                        ANNOTATION_PIP_NAME,
                        name,
                        &format!(
                            "public IP {} has the address {}, not the Service's{}",
                            p.name,
                            p.ip_address.map(|ip| ip.to_string()).unwrap_or_default(),
                            service
                                .ingress_ip
                                .map(|ip| format!(" {ip}"))
                                .unwrap_or_default()
                        ),
                    ),
                Some(_) => {}
                None if !read.public_ips.is_empty() => notes.warn(
                    &object,
                    ANNOTATION_PIP_NAME,
                    name,
                    "no public IP of that name among the public-IP documents (one in another \
                     resource group needs its own az network public-ip list)",
                ),
                None => {}
            }
        }
    }
}

/// kubenet's route table sends each node's pod CIDR to the node. The table itself is
/// not among the documents; the nodes' `podCIDR`s give the same routes.
fn kubenet_routes(scenario: &mut Scenario, aks: Option<&Aks>, notes: &mut Notes) {
    let mut routes: Vec<(String, Route)> = Vec::new();
    let mut without = Vec::new();
    for node in &scenario.nodes {
        match (node.pod_cidr, node.nic.private_ip_address) {
            (Some(prefix), Some(ip)) => routes.push((
                node.subnet.clone(),
                Route {
                    name: node.name.clone(),
                    address_prefix: prefix,
                    next_hop_ip_address: ip,
                },
            )),
            _ => without.push(node.name.clone()),
        }
    }
    for (subnet, route) in routes {
        if let Some(s) = scenario.vnet.subnets.iter_mut().find(|s| s.name == subnet) {
            s.routes.push(route);
        }
    }
    if !without.is_empty() {
        let cidr = aks
            .and_then(|a| a.pod_cidr)
            .map(|c| format!(" (the cluster's pod CIDR is {c})"))
            .unwrap_or_default();
        notes.note(
            IMPORT,
            format!(
                "kubenet: no pod CIDR or address for node {}{cidr}: no route to its pods",
                without.join(", ")
            ),
        );
    }
}

fn missing_documents(
    read: &Read,
    aks: Option<&Aks>,
    scenario: &Scenario,
    plugin: NetworkPlugin,
    assumed_nic_nsg: Option<&str>,
    notes: &mut Notes,
) {
    if aks.is_none() {
        let why = match plugin {
            NetworkPlugin::Kubenet => "kubenet, as the nodes have pod CIDRs",
            NetworkPlugin::Azure => "azure (Azure CNI), as no node has a pod CIDR",
        };
        notes.missing(format!(
            "no az aks show document: network plugin taken to be {why}"
        ));
    }
    if read.vnets.is_empty() && scenario.vnet.subnets.is_empty() {
        notes.missing(format!(
            "no az network vnet show document: no subnets, and the VNet's address space is \
             unknown, so the VirtualNetwork tag covers only {AZURE_HOST_IP}"
        ));
    } else if read.vnets.is_empty() && read.subnets.is_empty() {
        let nsgs = if read.nsgs.is_empty() {
            "subnet NSGs unknown"
        } else {
            "subnet NSGs taken from the NSG documents' subnets lists"
        };
        notes.missing(format!(
            "no az network vnet show document: subnets known only by name, without address \
             prefixes; {nsgs}; the VNet's address space is unknown, so the VirtualNetwork tag \
             covers only {AZURE_HOST_IP}"
        ));
    } else if read.vnets.is_empty() {
        notes.missing(
            "no az network vnet show document: the VNet's address space taken to be its subnets' prefixes"
                .to_owned(),
        );
    }
    if read.nsgs.is_empty() {
        notes.missing(
            "no az network nsg list document: NSG rules unknown; packets pass the NSGs the \
             subnets and NICs name"
                .to_owned(),
        );
    }
    if read.load_balancers.is_empty() {
        notes.missing(
            "no az network lb list document: no load balancer; nothing outside the cluster \
             reaches a Service's load-balancer IP"
                .to_owned(),
        );
    } else if read.public_ips.is_empty()
        && scenario.load_balancer.as_ref().is_some_and(|lb| {
            lb.frontend_ip_configurations
                .iter()
                .any(|f| f.public_ip_address.is_some())
        })
    {
        notes.missing(
            "no az network public-ip list document: the public frontends' addresses taken from \
             the Services' status.loadBalancer.ingress; the outbound IP is unknown"
                .to_owned(),
        );
    }
    let kubectl = !read.kubectl_documents.is_empty();
    if read.nics.is_empty() {
        let nsg = match assumed_nic_nsg {
            Some(name) => {
                format!("NIC NSG taken to be {name}, the AKS NSG in the node resource group")
            }
            None => "NIC NSG unknown".to_owned(),
        };
        if kubectl && !read.nodes.is_empty() {
            notes.missing(format!(
                "no NIC documents: node IPs taken from kubectl get nodes; {nsg}"
            ));
        } else {
            notes.missing(
                "no NIC documents and no kubectl get nodes: the scenario has no nodes".to_owned(),
            );
        }
    }
    if !kubectl {
        notes.missing(if read.nics.is_empty() {
            "no kubectl document: no pods or Services".to_owned()
        } else {
            "no kubectl document: no pods or Services; nodes named after their scale-set instances"
                .to_owned()
        });
        return;
    }
    if read.nodes.is_empty() && !read.nics.is_empty() {
        notes.missing(
            "kubectl output without Nodes (kubectl get nodes): nodes named after their \
             scale-set instances"
                .to_owned(),
        );
    }
    if read.pods.is_empty() {
        notes.missing(if read.slices.iter().any(|s| s.endpoints.iter().any(|e| e.pod.is_some())) {
            "kubectl output without Pods (kubectl get pods): pods taken from the EndpointSlices, \
             labelled with their Service's selector"
                .to_owned()
        } else {
            "kubectl output without Pods (kubectl get pods): the scenario has no pods".to_owned()
        });
    }
    if read.services.is_empty() {
        notes.missing(
            "kubectl output without Services (kubectl get services): the scenario has no Services"
                .to_owned(),
        );
    }
}

/// A client on the Internet and a packet to each public Service port: the page and
/// `packetwalk trace` start from the scenario's first flow.
fn flows(scenario: &mut Scenario) {
    let client_ip: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 10));
    let mut flows = Vec::new();
    for s in &scenario.services {
        if s.service_type != ServiceType::LoadBalancer || annotation_true(s, ANNOTATION_INTERNAL) {
            continue;
        }
        let Some(ip) = s.ingress_ip else { continue };
        for port in &s.ports {
            let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".to_owned());
            flows.push(NamedFlow {
                name: format!("internet-to-{}-{}", s.name, port.port),
                description: format!(
                    "A client on the Internet calls Service {} at {}:{}",
                    qualified(s.namespace.as_deref(), &s.name),
                    ip,
                    port.port
                ),
                from: "internet-client:50123".to_owned(),
                to: crate::trace::endpoint(ip, port.port),
                protocol,
            });
        }
    }
    if flows.is_empty() {
        return;
    }
    scenario.clients.push(Client {
        name: "internet-client".to_owned(),
        ip: Some(client_ip),
    });
    scenario.flows = flows;
    scenario.illustrative.push(format!(
        "The Internet client internet-client ({client_ip}) and the flows: packetwalk's choice, not in the documents"
    ));
}

fn describe(scenario: &mut Scenario, read: &Read) {
    let subnets = scenario.vnet.subnets.len();
    scenario.title = format!("{}, imported from az and kubectl", scenario.name);
    scenario.description = format!(
        "{} node{} in {subnets} subnet{}, {} pod{} and {} Service{}, as the documents describe them.",
        scenario.nodes.len(),
        plural(scenario.nodes.len()),
        plural(subnets),
        scenario.pods.len(),
        plural(scenario.pods.len()),
        scenario.services.len(),
        plural(scenario.services.len()),
    );
    if !read.documents.is_empty() {
        scenario.source = Some(format!(
            "packetwalk import of {}",
            read.documents.join(", ")
        ));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scale_set_computer_names_count_in_base_36() {
        assert_eq!(
            super::vmss_node_name("aks-pool-1-vmss", "0").as_deref(),
            Some("aks-pool-1-vmss000000")
        );
        assert_eq!(
            super::vmss_node_name("AKS-POOL-1-VMSS", "35").as_deref(),
            Some("aks-pool-1-vmss00000z")
        );
        assert_eq!(super::vmss_node_name("v", "36").as_deref(), Some("v000010"));
        assert_eq!(super::vmss_node_name("v", "x"), None);
    }
}
