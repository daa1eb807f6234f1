//! Issue 14 §1: "Both accept each document in its real shapes: AAZ-style flattened
//! `properties`, ARM-nested, SDK-style keys, a `List` from kubectl." One test per file of
//! `fixtures/cluster/shapes/` (its README says which shape each plants); most re-print an
//! object of the two-pools cluster, so the test expects what the two-pools import has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::cluster::{import_cluster, Document, IMPORT};
use packetwalk::json::Value;
use packetwalk::reconcile::consolidated_allow_name;
use packetwalk::scenario::{ExternalTrafficPolicy, NetworkPlugin, Scenario, ServiceType};
use packetwalk::{
    Access, AddressPrefix, AddressSpec, NetworkSecurityGroup, PortRange, Protocol, Warning,
};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster")
}

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Imports the fixture files `paths` (under fixtures/cluster/).
fn import(paths: &[&str]) -> (Scenario, Vec<Warning>) {
    let docs: Vec<(String, Value)> = paths
        .iter()
        .map(|p| (p.rsplit('/').next().unwrap().to_owned(), read(p)))
        .collect();
    let documents: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let imported = import_cluster(&documents);
    (imported.value, imported.warnings)
}

fn shape(name: &str) -> (Scenario, Vec<Warning>) {
    import(&[&format!("shapes/{name}")])
}

/// The warnings about the documents themselves (not the missing ones).
fn about_documents(warnings: &[Warning]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| w.object != IMPORT)
        .map(ToString::to_string)
        .collect()
}

fn two_pools() -> Scenario {
    let names = [
        "aks-show.json",
        "kubectl.json",
        "lb-list.json",
        "nic-list-aks-nodepool1-31647289-vmss.json",
        "nic-list-aks-userpool-31647289-vmss.json",
        "nsg-list.json",
        "public-ip-list.json",
        "vnet-show.json",
    ];
    let paths: Vec<String> = names.iter().map(|n| format!("two-pools/{n}")).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    import(&paths).0
}

fn two_pools_nsg(name: &str) -> NetworkSecurityGroup {
    two_pools()
        .network_security_groups
        .get(name)
        .unwrap()
        .clone()
}

fn nsg_names(s: &Scenario) -> Vec<&str> {
    s.network_security_groups
        .nsgs
        .iter()
        .map(|n| n.name.as_str())
        .collect()
}

// ---- NSGs: through import::import_nsgs -------------------------------------------------

#[test]
fn nsg_aaz_flattened_nsg_show() {
    let (s, w) = shape("nsg_aaz-flattened_az-network-nsg-show.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(nsg_names(&s), ["nsg-snet-aks-user"]);
    assert_eq!(
        s.network_security_groups.nsgs[0],
        two_pools_nsg("nsg-snet-aks-user")
    );
}

#[test]
fn nsg_arm_nested_rest_get() {
    let (s, w) = shape("nsg_arm-nested_az-rest-get.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    // No `resourceGroup` in an ARM response: the id's segment gives it.
    assert_eq!(
        s.network_security_groups.nsgs,
        [two_pools_nsg("nsg-snet-aks-user")]
    );
}

#[test]
fn nsg_list_arm_nested_value_wrapper() {
    let (s, w) = shape("nsg-list_arm-nested_value-wrapper.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(
        s.network_security_groups.nsgs,
        two_pools().network_security_groups.nsgs
    );
}

#[test]
fn nsg_resource_graph_rows() {
    let (s, w) = shape("nsg_resource-graph_az-graph-query.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(nsg_names(&s), ["nsg-snet-aks-system", "nsg-snet-aks-user"]);
    for nsg in &s.network_security_groups.nsgs {
        let expected = two_pools_nsg(&nsg.name);
        assert_eq!(nsg.security_rules, expected.security_rules);
        assert_eq!(nsg.default_security_rules, expected.default_security_rules);
        // Resource Graph writes the group in lower case.
        assert_eq!(nsg.resource_group.as_deref(), Some("rg-shop-network"));
    }
}

#[test]
fn nsg_cloud_provider_v1_29_consolidated_rules() {
    let (s, w) = shape("nsg_aaz-flattened_cloud-provider-v1.29-consolidated-rules.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    let nsg = s
        .network_security_groups
        .get("aks-agentpool-31647289-nsg")
        .unwrap();
    let rules: Vec<(&str, u32, Access)> = nsg
        .security_rules
        .iter()
        .map(|r| (r.name.as_str(), r.priority, r.access))
        .collect();
    let web = consolidated_allow_name(Protocol::Tcp, &["Internet".to_owned()], &[80]);
    let api = consolidated_allow_name(Protocol::Tcp, &["10.100.1.0/24".to_owned()], &[8080]);
    assert_eq!(
        rules,
        [
            (web.as_str(), 500, Access::Allow),
            (api.as_str(), 501, Access::Allow),
            ("k8s-azure-lb_deny-all_IPv4", 4095, Access::Deny),
        ]
    );
    // Two Services share the allow rule: both frontend IPs, the plural fields.
    let shared = &nsg.security_rules[0];
    assert_eq!(
        shared.destination,
        AddressSpec::Prefixes(vec![
            AddressPrefix::Cidr("198.51.100.24/32".parse().unwrap()),
            AddressPrefix::Cidr("198.51.100.31/32".parse().unwrap()),
        ])
    );
    assert_eq!(shared.destination_ports, [PortRange::single(80)]);
}

#[test]
fn arm_template_nsg_resource() {
    let (s, w) = shape("arm-template_nsg-resource.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(nsg_names(&s), ["nsg-snet-aks-user"]);
    let nsg = &s.network_security_groups.nsgs[0];
    let expected = two_pools_nsg("nsg-snet-aks-user");
    assert_eq!(nsg.security_rules, expected.security_rules);
    // A template has no default rules: the NSG importer adds Azure's six.
    assert_eq!(nsg.default_security_rules.len(), 6);
}

// ---- NICs -------------------------------------------------------------------------------

/// The userpool's first node, as the two-pools import has it.
fn userpool_node_0(s: &Scenario) {
    let expected = two_pools();
    assert_eq!(s.nodes.len(), 1);
    assert_eq!(s.nodes[0], expected.nodes[2]);
    assert_eq!(s.nodes[0].name, "aks-userpool-31647289-vmss000000");
}

#[test]
fn nic_aaz_flattened_vmss_nic_show() {
    let (s, w) = shape("nic_aaz-flattened_az-vmss-nic-show.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    userpool_node_0(&s);
}

#[test]
fn nic_list_arm_nested_rest() {
    let (s, w) = shape("nic-list_arm-nested_rest-vmss-networkinterfaces.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    userpool_node_0(&s);
}

#[test]
fn nic_list_sdk_style_kubenet_2019() {
    let (s, w) = shape("nic-list_sdk-style_az-vmss-nic-list_kubenet-2019.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    let nodes: Vec<(&str, &str, String, Option<&str>)> = s
        .nodes
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                n.subnet.as_str(),
                n.nic.private_ip_address.unwrap().to_string(),
                n.nic.network_security_group.as_deref(),
            )
        })
        .collect();
    let nsg = Some("aks-agentpool-20714386-nsg");
    assert_eq!(
        nodes,
        [
            (
                "aks-nodepool1-20714386-vmss000000",
                "aks-subnet",
                "10.240.0.4".into(),
                nsg
            ),
            (
                "aks-nodepool1-20714386-vmss000001",
                "aks-subnet",
                "10.240.0.5".into(),
                nsg
            ),
        ]
    );
}

// ---- az aks show ----------------------------------------------------------------------

#[test]
fn aks_sdk_style_kubenet_2019() {
    let (s, w) = shape("aks_sdk-style_az-aks-show_kubenet-2019.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.name, "aks-legacy");
    assert_eq!(s.network_plugin, NetworkPlugin::Kubenet);
    assert_eq!(
        s.resource_group.as_deref(),
        Some("MC_rg-legacy_aks-legacy_westeurope")
    );
    // With its NICs: a kubenet cluster on an AKS-managed VNet. The NICs name the subnet;
    // `kubectl get nodes` (not given) would give the pod CIDRs and so the routes.
    let (s, w) = import(&[
        "shapes/aks_sdk-style_az-aks-show_kubenet-2019.json",
        "shapes/nic-list_sdk-style_az-vmss-nic-list_kubenet-2019.json",
    ]);
    assert_eq!(s.nodes.len(), 2);
    assert_eq!(
        s.vnet
            .subnets
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        ["aks-subnet"]
    );
    assert_eq!(s.vnet.name, "aks-vnet-20714386");
    assert!(w.iter().any(|w| w.to_string()
        == "import: kubenet: no pod CIDR or address for node aks-nodepool1-20714386-vmss000000, \
            aks-nodepool1-20714386-vmss000001 (the cluster's pod CIDR is 10.244.0.0/16): no route \
            to its pods"));
}

#[test]
fn aks_arm_nested_rest_get() {
    let (arm, w) = shape("aks_arm-nested_az-rest-get.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    // `dnsServiceIP`, `vnetSubnetID`, `properties`: the same cluster as `az aks show`.
    let (shown, _) = import(&["two-pools/aks-show.json"]);
    let mut arm = arm;
    arm.source = shown.source.clone();
    assert_eq!(arm, shown);
    assert_eq!(arm.name, "aks-shop");
    assert_eq!(arm.network_plugin, NetworkPlugin::Azure);
    assert_eq!(
        arm.vnet
            .subnets
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        ["snet-aks-system", "snet-aks-user"]
    );
}

// ---- VNet and subnet ------------------------------------------------------------------

#[test]
fn vnet_arm_nested_rest_get() {
    let (s, w) = shape("vnet_arm-nested_az-rest-get.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.vnet, two_pools().vnet);
}

#[test]
fn subnet_aaz_flattened_subnet_show() {
    let (s, w) = shape("subnet_aaz-flattened_az-network-vnet-subnet-show.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.vnet.name, "vnet-shop-spoke");
    assert_eq!(s.vnet.subnets, [two_pools().vnet.subnets[1].clone()]);
    let space: Vec<String> = s
        .vnet
        .address_space
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(space, ["10.10.4.0/22"]);
    assert!(w.iter().any(|w| w.message
        == "no az network vnet show document: the VNet's address space taken to be its subnets' prefixes"));
}

// ---- load balancers ---------------------------------------------------------------------

#[test]
fn lb_aaz_flattened_lb_show_internal() {
    let (s, w) = shape("lb_aaz-flattened_az-network-lb-show_internal.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert!(s.load_balancer.is_none());
    let mut expected = two_pools().internal_load_balancer.unwrap();
    // No nodes in this import: the pool's members are nobody's.
    expected.backend_address_pool.clear();
    assert_eq!(s.internal_load_balancer.unwrap(), expected);
}

#[test]
fn lb_arm_nested_rest_get_internal() {
    let (arm, w) = shape("lb_arm-nested_az-rest-get_internal.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    let (aaz, _) = shape("lb_aaz-flattened_az-network-lb-show_internal.json");
    assert_eq!(arm.internal_load_balancer, aaz.internal_load_balancer);
    // With the NICs of both pools, every node is in the pool again.
    let (s, _) = import(&[
        "shapes/lb_arm-nested_az-rest-get_internal.json",
        "two-pools/nic-list-aks-nodepool1-31647289-vmss.json",
        "two-pools/nic-list-aks-userpool-31647289-vmss.json",
    ]);
    assert_eq!(
        s.internal_load_balancer.unwrap().backend_address_pool,
        two_pools()
            .internal_load_balancer
            .unwrap()
            .backend_address_pool
    );
}

// ---- public IPs -------------------------------------------------------------------------

#[test]
fn public_ip_aaz_flattened_show() {
    let (s, w) = shape("public-ip_aaz-flattened_az-network-public-ip-show.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.public_ips, [two_pools().public_ips[1].clone()]);
}

#[test]
fn public_ip_list_arm_nested_value_wrapper() {
    let (s, w) = shape("public-ip-list_arm-nested_value-wrapper.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.public_ips, two_pools().public_ips);
}

#[test]
fn public_ip_sdk_style_create_wrapper() {
    let (s, w) = shape("public-ip_sdk-style_az-network-public-ip-create_publicIp-wrapper.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    let ip = &s.public_ips[0];
    assert_eq!(
        (ip.name.as_str(), ip.ip_address, ip.sku.as_deref()),
        (
            "pip-shop-web",
            Some("198.51.100.40".parse().unwrap()),
            Some("Standard")
        )
    );
}

// ---- kubectl ----------------------------------------------------------------------------

#[test]
fn kubectl_single_object_get_service() {
    let (s, w) = shape("kubectl_single-object_get-service.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    let expected = two_pools();
    let api = expected.services.iter().find(|x| x.name == "api").unwrap();
    assert_eq!(s.services, std::slice::from_ref(api));
}

#[test]
fn kubectl_list_services_and_endpointslices() {
    let (s, w) = shape("kubectl_list_services-and-endpointslices.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    assert_eq!(s.services.len(), 1);
    assert_eq!(s.services[0].name, "api");
    // No Pods: the EndpointSlice names them, and the selector stands in for their labels.
    assert!(w.iter().any(|w| w.message
        == "kubectl output without Pods (kubectl get pods): pods taken from the EndpointSlices, \
            labelled with their Service's selector"));
    let pods: Vec<(&str, String, &str, bool, Option<&String>)> = s
        .pods
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.ip.unwrap().to_string(),
                p.node.as_str(),
                p.ready,
                p.labels.get("app"),
            )
        })
        .collect();
    let api = "api".to_owned();
    assert_eq!(
        pods,
        [
            (
                "api-5f6b9c7d84-k2m9x",
                "10.10.4.14".into(),
                "aks-userpool-31647289-vmss000000",
                true,
                Some(&api)
            ),
            (
                "api-5f6b9c7d84-tq4wz",
                "10.10.4.41".into(),
                "aks-userpool-31647289-vmss000001",
                true,
                Some(&api)
            ),
        ]
    );
    assert_eq!(
        packetwalk::trace::ready_endpoints(&s, &s.services[0]).len(),
        2
    );
}

#[test]
fn k8s_api_typed_list_get_raw_services() {
    let (s, w) = shape("k8s-api_typed-list_get-raw-services.json");
    assert!(about_documents(&w).is_empty(), "{w:?}");
    // The items of a `ServiceList` carry no `kind`: the list's gives it.
    let names: Vec<&str> = s.services.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["api", "web"]);
    let expected = two_pools();
    for service in &s.services {
        assert_eq!(
            Some(service),
            expected.services.iter().find(|x| x.name == service.name)
        );
    }
    let web = &s.services[1];
    assert_eq!(web.service_type, ServiceType::LoadBalancer);
    assert_eq!(web.external_traffic_policy, ExternalTrafficPolicy::Local);
}

#[test]
fn kubectl_list_empty() {
    let (s, w) = shape("kubectl_list_empty.json");
    assert_eq!(
        about_documents(&w),
        ["kubectl_list_empty.json: an empty kubectl List: nothing to import"]
    );
    assert!(s.nodes.is_empty() && s.pods.is_empty() && s.services.is_empty());
    // A kubectl document was given: what it lacks is said as such.
    assert!(w.iter().any(|w| w.message
        == "kubectl output without Services (kubectl get services): the scenario has no Services"));
}

/// Every file of shapes/ has a test above.
#[test]
fn every_shape_has_a_test() {
    let source = include_str!("cluster_shapes.rs");
    let mut files: Vec<String> = std::fs::read_dir(fixtures().join("shapes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 22);
    for file in files {
        assert!(
            source.contains(&format!("\"{file}\"")) || source.contains(&format!("shapes/{file}\"")),
            "no test for {file}"
        );
    }
}

// ---- what is not a document of the command set -----------------------------------------

#[test]
fn other_documents_are_named_and_skipped() {
    let odd: Value = serde_json::from_str(r#"{"hello": "world", "n": 1}"#).unwrap();
    let empty: Value = serde_json::from_str("[]").unwrap();
    let deployments: Value = serde_json::from_str(
        r#"{"apiVersion":"v1","kind":"List","items":[
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"}},
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"b"}},
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"c","namespace":"x"},"spec":{"clusterIP":"10.0.0.5","ports":[{"port":80}]}}]}"#,
    )
    .unwrap();
    let imported = import_cluster(&[
        Document {
            name: "odd.json",
            value: &odd,
        },
        Document {
            name: "empty.json",
            value: &empty,
        },
        Document {
            name: "deployments.json",
            value: &deployments,
        },
    ]);
    assert_eq!(
        about_documents(&imported.warnings),
        [
            "odd.json: not a document of the command set (az aks show, az network vnet show, \
             az network nsg list, az network lb list, az network public-ip list, az vmss nic \
             list, kubectl get … -o json): it is an object with keys hello, n; skipped",
            "empty.json: an empty list: nothing to import",
            "deployments.json: 2 Deployment objects: not used by the import; skipped",
        ]
    );
    assert_eq!(imported.value.services.len(), 1);
}
