//! Issue 14 §1, "Import a whole cluster": the fixture cluster `fixtures/cluster/two-pools`
//! (two node pools in two subnets, see its README) imported from the documents the
//! README's commands print, and the packets of its planted pitfalls traced through the
//! result. Every expectation here was checked by hand against the fixture's README.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::cluster::{import_cluster, Document, IMPORT};
use packetwalk::json::Value;
use packetwalk::scenario::{ExternalTrafficPolicy, NetworkPlugin, Scenario, ServiceType};
use packetwalk::trace::{self, probe_health, Action, PacketSpec, Trace, Verdict};
use packetwalk::{Access, Warning};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster/two-pools")
}

/// The fixture's documents, by file name, without those `leave_out` names.
fn documents(leave_out: &[&str]) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .filter(|n| !leave_out.iter().any(|l| n.starts_with(l)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir().join(&name)).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect()
}

fn import(leave_out: &[&str]) -> (Scenario, Vec<Warning>) {
    let docs = documents(leave_out);
    let documents: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let imported = import_cluster(&documents);
    (imported.value, imported.warnings)
}

fn trace(scenario: &Scenario, from: &str, to: &str) -> Trace {
    trace::trace(
        scenario,
        &PacketSpec {
            from: from.to_owned(),
            to: to.to_owned(),
            protocol: "TCP".to_owned(),
        },
    )
    .unwrap()
}

/// The NSG hop that dropped the packet: (NSG, deciding rule, priority).
fn denied_by(t: &Trace) -> (String, String, u32) {
    assert_eq!(t.verdict, Verdict::Dropped, "{}", trace::to_text(t));
    let nsg = t
        .hops
        .iter()
        .find_map(|h| h.nsg.as_ref().filter(|n| n.access == Access::Deny))
        .unwrap_or_else(|| panic!("no NSG denies: {}", trace::to_text(t)));
    let rule = &nsg.rules[nsg.deciding_rule.unwrap()];
    (nsg.nsg_name.clone(), rule.name.clone(), rule.priority)
}

fn messages(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn nodes_pools_and_subnets() {
    let (s, _) = import(&[]);
    assert_eq!(s.name, "aks-shop");
    assert_eq!(s.network_plugin, NetworkPlugin::Azure);
    assert_eq!(
        s.resource_group.as_deref(),
        Some("MC_rg-shop-prod_aks-shop_westeurope")
    );
    assert_eq!(s.location.as_deref(), Some("westeurope"));
    let nodes: Vec<(&str, &str, String, &str, Option<&str>)> = s
        .nodes
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                n.subnet.as_str(),
                n.nic.private_ip_address.unwrap().to_string(),
                n.nic.name.as_str(),
                n.nic.network_security_group.as_deref(),
            )
        })
        .collect();
    let nsg = Some("aks-agentpool-31647289-nsg");
    assert_eq!(
        nodes,
        [
            (
                "aks-nodepool1-31647289-vmss000000",
                "snet-aks-system",
                "10.10.0.4".into(),
                "aks-nodepool1-31647289-vmss/0",
                nsg
            ),
            (
                "aks-nodepool1-31647289-vmss000001",
                "snet-aks-system",
                "10.10.0.35".into(),
                "aks-nodepool1-31647289-vmss/1",
                nsg
            ),
            (
                "aks-userpool-31647289-vmss000000",
                "snet-aks-user",
                "10.10.4.4".into(),
                "aks-userpool-31647289-vmss/0",
                nsg
            ),
            (
                "aks-userpool-31647289-vmss000001",
                "snet-aks-user",
                "10.10.4.35".into(),
                "aks-userpool-31647289-vmss/1",
                nsg
            ),
        ]
    );
    assert!(
        s.nodes.iter().all(|n| n.pod_cidr.is_none()),
        "Azure CNI: no pod CIDRs"
    );

    assert_eq!(s.vnet.name, "vnet-shop-spoke");
    // The peered hub is in VirtualNetwork (fixture README, pitfall 4).
    let space: Vec<String> = s
        .vnet
        .address_space
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(space, ["10.10.0.0/16", "10.100.0.0/16"]);
    let subnets: Vec<(&str, String, Option<&str>)> = s
        .vnet
        .subnets
        .iter()
        .map(|x| {
            (
                x.name.as_str(),
                x.address_prefix.unwrap().to_string(),
                x.network_security_group.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        subnets,
        [
            (
                "snet-aks-system",
                "10.10.0.0/22".into(),
                Some("nsg-snet-aks-system")
            ),
            (
                "snet-aks-user",
                "10.10.4.0/22".into(),
                Some("nsg-snet-aks-user")
            ),
        ]
    );
}

#[test]
fn nsgs_with_their_rules() {
    let (s, _) = import(&[]);
    let nsgs = &s.network_security_groups;
    let names: Vec<&str> = nsgs.nsgs.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "aks-agentpool-31647289-nsg",
            "nsg-snet-aks-system",
            "nsg-snet-aks-user"
        ]
    );
    let rules = |nsg: &str| -> Vec<(String, u32, Access)> {
        nsgs.get(nsg)
            .unwrap()
            .security_rules
            .iter()
            .map(|r| (r.name.clone(), r.priority, r.access))
            .collect()
    };
    assert_eq!(
        rules("aks-agentpool-31647289-nsg"),
        [
            (
                "a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9-TCP-80-Internet".to_owned(),
                500,
                Access::Allow
            ),
            (
                "a8c3e5d207b144a9f86d2c05f1e9b7a4-TCP-8080-10.100.1.0_24".to_owned(),
                501,
                Access::Allow
            ),
        ]
    );
    assert_eq!(
        rules("nsg-snet-aks-system"),
        [("allow-https-inbound".to_owned(), 1000, Access::Allow)]
    );
    assert_eq!(
        rules("nsg-snet-aks-user"),
        [
            (
                "deny-system-subnet-to-user-subnet".to_owned(),
                200,
                Access::Deny
            ),
            ("allow-http-inbound".to_owned(), 1000, Access::Allow),
        ]
    );
    for nsg in &nsgs.nsgs {
        assert_eq!(nsg.default_security_rules.len(), 6, "{}", nsg.name);
    }
    assert!(nsgs.import_warnings.is_empty());
}

#[test]
fn services_and_pods() {
    let (s, _) = import(&[]);
    let names: Vec<String> = s
        .services
        .iter()
        .map(|x| format!("{}/{}", x.namespace.as_deref().unwrap(), x.name))
        .collect();
    assert_eq!(
        names,
        [
            "default/kubernetes",
            "kube-system/kube-dns",
            "kube-system/metrics-server",
            "shop/api",
            "shop/web"
        ]
    );
    let svc = |name: &str| s.services.iter().find(|x| x.name == name).unwrap();

    let web = svc("web");
    assert_eq!(web.service_type, ServiceType::LoadBalancer);
    assert_eq!(web.external_traffic_policy, ExternalTrafficPolicy::Local);
    assert_eq!(web.health_check_node_port, Some(32086));
    assert_eq!(web.ingress_ip, Some("198.51.100.24".parse().unwrap()));
    assert_eq!(
        web.uid.as_deref(),
        Some("2f1c9b7e-5a3d-4c8e-9f06-7b1e4d2a6c93")
    );
    let p = &web.ports[0];
    assert_eq!(
        (p.port, p.target_port, p.node_port),
        (80, Some(8080), Some(31380))
    );
    assert!(
        web.annotations.is_empty(),
        "last-applied-configuration is left out: {:?}",
        web.annotations
    );

    let api = svc("api");
    assert_eq!(api.external_traffic_policy, ExternalTrafficPolicy::Cluster);
    assert_eq!(
        api.annotations
            .get("service.beta.kubernetes.io/azure-load-balancer-internal")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(api.load_balancer_source_ranges, ["10.100.1.0/24"]);
    assert_eq!(api.ingress_ip, Some("10.10.0.66".parse().unwrap()));
    assert_eq!(api.ports[0].node_port, Some(30943));

    // `targetPort: https` resolved through the EndpointSlice's port of that name.
    assert_eq!(svc("metrics-server").ports[0].target_port, Some(4443));

    assert_eq!(s.pods.len(), 14);
    let pod = |name: &str| s.pods.iter().find(|p| p.name == name).unwrap();
    let web0 = pod("web-7d9c5b8f4d-2xkqp");
    assert_eq!(
        (web0.ip, web0.node.as_str(), web0.ready),
        (
            Some("10.10.0.27".parse().unwrap()),
            "aks-nodepool1-31647289-vmss000000",
            true
        )
    );
    assert_eq!(web0.labels.get("app").map(String::as_str), Some("web"));
    let web1 = pod("web-7d9c5b8f4d-h8v4n");
    assert_eq!(
        (web1.ip, web1.ready),
        (Some("10.10.0.58".parse().unwrap()), false)
    );
    let api0 = pod("api-5f6b9c7d84-k2m9x");
    assert_eq!(
        (api0.ip, api0.node.as_str()),
        (
            Some("10.10.4.14".parse().unwrap()),
            "aks-userpool-31647289-vmss000000"
        )
    );
    // Host-network pods have their node's address; the scenario leaves it to the node.
    assert_eq!(pod("kube-proxy-4h7tn").ip, None);
}

#[test]
fn both_load_balancers_and_the_public_ips() {
    let (s, _) = import(&[]);
    let nodes: Vec<String> = s.nodes.iter().map(|n| n.name.clone()).collect();

    let lb = s.load_balancer.as_ref().unwrap();
    assert_eq!(lb.name, "kubernetes");
    assert_eq!(lb.sku.as_deref(), Some("Standard"));
    let frontends: Vec<(&str, Option<&str>)> = lb
        .frontend_ip_configurations
        .iter()
        .map(|f| (f.name.as_str(), f.public_ip_address.as_deref()))
        .collect();
    assert_eq!(
        frontends,
        [
            (
                "3b0d6c1e-8f27-4a59-b1c4-6e2d9a7f0c85",
                Some("3b0d6c1e-8f27-4a59-b1c4-6e2d9a7f0c85")
            ),
            (
                "a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9",
                Some("kubernetes-a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9")
            ),
        ]
    );
    assert_eq!(
        lb.outbound_frontend.as_deref(),
        Some("3b0d6c1e-8f27-4a59-b1c4-6e2d9a7f0c85")
    );
    assert_eq!(lb.backend_address_pool, nodes);
    let rule = &lb.load_balancing_rules[0];
    assert_eq!(
        (
            rule.name.as_str(),
            rule.frontend_ip_configuration.as_str(),
            rule.frontend_port,
            rule.backend_port,
            rule.enable_floating_ip
        ),
        (
            "a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9-TCP-80",
            "a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9",
            80,
            80,
            true
        )
    );
    assert_eq!(
        rule.probe.as_deref(),
        Some("a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9-TCP-32086")
    );
    let probe = &lb.probes[0];
    assert_eq!(
        (
            probe.protocol.as_str(),
            probe.port,
            probe.request_path.as_deref()
        ),
        ("Http", 32086, Some("/healthz"))
    );

    let internal = s.internal_load_balancer.as_ref().unwrap();
    assert_eq!(internal.name, "kubernetes-internal");
    let f = &internal.frontend_ip_configurations[0];
    assert_eq!(
        (
            f.name.as_str(),
            f.public_ip_address.as_deref(),
            f.private_ip_address
        ),
        (
            "a8c3e5d207b144a9f86d2c05f1e9b7a4",
            None,
            Some("10.10.0.66".parse().unwrap())
        )
    );
    assert_eq!(internal.backend_address_pool, nodes);
    assert_eq!(
        internal.load_balancing_rules[0].name,
        "a8c3e5d207b144a9f86d2c05f1e9b7a4-TCP-8080"
    );
    let probe = &internal.probes[0];
    assert_eq!((probe.protocol.as_str(), probe.port), ("Tcp", 30943));

    let ips: Vec<(&str, String)> = s
        .public_ips
        .iter()
        .map(|p| (p.name.as_str(), p.ip_address.unwrap().to_string()))
        .collect();
    assert_eq!(
        ips,
        [
            (
                "3b0d6c1e-8f27-4a59-b1c4-6e2d9a7f0c85",
                "198.51.100.17".into()
            ),
            (
                "kubernetes-a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9",
                "198.51.100.24".into()
            ),
        ]
    );
    assert!(
        packetwalk::scenario::check(&s).is_empty(),
        "{:?}",
        packetwalk::scenario::check(&s)
    );
}

#[test]
fn the_complete_set_warns_only_about_the_api_server_service() {
    let (s, warnings) = import(&[]);
    assert_eq!(
        messages(&warnings),
        [
            "kubectl.json, Service default/kubernetes: no selector: its endpoints 198.51.100.200 \
          (EndpointSlice kubernetes) are not pods of the scenario, so packetwalk finds no \
          endpoint for it"
        ]
    );
    assert_eq!(
        s.source.as_deref(),
        Some(
            "packetwalk import of aks-show.json, kubectl.json, lb-list.json, \
             nic-list-aks-nodepool1-31647289-vmss.json, nic-list-aks-userpool-31647289-vmss.json, \
             nsg-list.json, public-ip-list.json, vnet-show.json"
        )
    );
}

/// Pitfall 1: the subnet NSG lacks the allow rule the cloud provider wrote on the NIC NSG.
/// The load balancer picks the only node whose probe answers (pitfall 3), and the subnet
/// NSG's DenyAllInBound drops the packet before the NIC NSG's rule 500 is reached.
#[test]
fn pitfall_1_the_subnet_nsg_drops_the_public_service() {
    let (s, _) = import(&[]);
    let t = trace(&s, "203.0.113.50:50123", "198.51.100.24:80");
    let backend = t
        .hops
        .iter()
        .find(|h| h.action == Action::PickBackend)
        .unwrap();
    assert_eq!(backend.component, "lb:kubernetes");
    assert!(
        backend
            .summary
            .starts_with("Backend aks-nodepool1-31647289-vmss000000 chosen from 1 healthy of 4"),
        "{}",
        backend.summary
    );
    assert_eq!(
        t.dropped_at.as_deref(),
        Some("nsg:nsg-snet-aks-system@subnet:snet-aks-system")
    );
    assert_eq!(
        denied_by(&t),
        ("nsg-snet-aks-system".into(), "DenyAllInBound".into(), 65500)
    );
    // The scenario's default flow is this packet, from its own Internet client.
    let default = trace::trace_named(&s, None).unwrap();
    assert_eq!(default.dropped_at, t.dropped_at);
}

/// Pitfall 3: under externalTrafficPolicy Local only the node with a ready web pod
/// answers the probe on healthCheckNodePort 32086.
#[test]
fn pitfall_3_only_the_node_with_a_ready_web_pod_is_healthy() {
    let (s, _) = import(&[]);
    let lb = s.load_balancer.as_ref().unwrap();
    let rule = &lb.load_balancing_rules[0];
    let health: Vec<(&str, bool)> = s
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), probe_health(&s, rule, n).0))
        .collect();
    assert_eq!(
        health,
        [
            ("aks-nodepool1-31647289-vmss000000", true),
            ("aks-nodepool1-31647289-vmss000001", false),
            ("aks-userpool-31647289-vmss000000", false),
            ("aks-userpool-31647289-vmss000001", false),
        ]
    );
    let why = probe_health(&s, rule, &s.nodes[1]).1;
    assert_eq!(
        why,
        "Http probe on 32086 answers 503: no ready pod on this node"
    );
}

/// Pitfall 2: the custom Deny between the node-pool subnets breaks pod-to-pod and
/// node-to-node traffic, and the internal load balancer's probe through kube-proxy.
#[test]
fn pitfall_2_the_custom_deny_between_the_pools() {
    let (s, _) = import(&[]);
    let rule = (
        "nsg-snet-aks-user".to_owned(),
        "deny-system-subnet-to-user-subnet".to_owned(),
        200,
    );

    // web pod -> api's cluster IP, DNAT to an api pod on userpool.
    let t = trace(&s, "10.10.0.27:41000", "10.0.203.16:8080");
    assert!(
        t.hops.iter().any(|h| h.action == Action::Dnat),
        "{}",
        trace::to_text(&t)
    );
    assert_eq!(
        t.dropped_at.as_deref(),
        Some("nsg:nsg-snet-aks-user@subnet:snet-aks-user")
    );
    assert_eq!(denied_by(&t), rule);

    // metrics-server -> the kubelet of a userpool node.
    let t = trace(&s, "10.10.0.23:45678", "10.10.4.4:10250");
    assert_eq!(denied_by(&t), rule);

    // The internal load balancer's TCP probe on api's NodePort, on a nodepool1 node:
    // the NSGs allow it, kube-proxy sends it on to a userpool pod from 10.10.0.4.
    let t = trace(&s, "168.63.129.16:50000", "10.10.0.4:30943");
    let snat = t.hops.iter().find(|h| h.action == Action::Snat).unwrap();
    assert_eq!(
        snat.packet.source_ip,
        "10.10.0.4".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(denied_by(&t), rule);
}

/// The other way, userpool to nodepool1, has no custom Deny: AllowVnetInBound lets it in.
#[test]
fn the_user_pool_reaches_the_system_pool() {
    let (s, _) = import(&[]);
    let t = trace(&s, "10.10.4.14:41000", "10.0.87.211:80");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", trace::to_text(&t));
    // The only ready web pod.
    assert_eq!(t.delivered_to.as_deref(), Some("web-7d9c5b8f4d-2xkqp"));
}

/// The peered hub is in VirtualNetwork: a hub VM reaches an api pod through
/// AllowVnetInBound at both NSGs.
#[test]
fn a_peered_vm_is_in_virtual_network() {
    let (s, _) = import(&[]);
    let t = trace(&s, "10.100.2.20:52000", "10.10.4.14:8080");
    assert_eq!(t.verdict, Verdict::Delivered, "{}", trace::to_text(&t));
    let decided: Vec<String> = t
        .hops
        .iter()
        .filter_map(|h| h.nsg.as_ref())
        .map(|n| n.rules[n.deciding_rule.unwrap()].name.clone())
        .collect();
    assert_eq!(
        decided.first().map(String::as_str),
        Some("AllowVnetInBound")
    );
}

/// What `packetwalk import` writes reads back as the same scenario.
#[test]
fn the_scenario_round_trips_through_its_json() {
    let (s, _) = import(&[]);
    let text = serde_json::to_string_pretty(&s).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let back = packetwalk::scenario::from_value(&doc).unwrap();
    assert_eq!(back, s);
}

/// The documents are recognised by their content: other names, another order, the
/// same scenario.
#[test]
fn file_names_and_order_do_not_matter() {
    let (expected, _) = import(&[]);
    let mut docs = documents(&[]);
    docs.reverse();
    let renamed: Vec<(String, Value)> = docs
        .into_iter()
        .enumerate()
        .map(|(i, (_, v))| (format!("doc{i}.txt"), v))
        .collect();
    let documents: Vec<Document<'_>> = renamed
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let mut got = import_cluster(&documents).value;
    got.source = expected.source.clone();
    assert_eq!(got, expected);
}

// ---- what is missing is named, with what was assumed ----------------------------------

fn missing(warnings: &[Warning]) -> Vec<&str> {
    warnings
        .iter()
        .filter(|w| w.object == IMPORT)
        .map(|w| w.message.as_str())
        .collect()
}

#[test]
fn without_nic_documents_node_ips_come_from_kubectl_and_the_nic_nsg_is_assumed() {
    let (s, warnings) = import(&["nic-list"]);
    assert_eq!(
        missing(&warnings),
        [
            "no NIC documents: node IPs taken from kubectl get nodes; NIC NSG taken to be \
          aks-agentpool-31647289-nsg, the AKS NSG in the node resource group"
        ]
    );
    let (full, _) = import(&[]);
    for (a, b) in s.nodes.iter().zip(&full.nodes) {
        assert_eq!(
            (&a.name, &a.subnet, a.nic.private_ip_address),
            (&b.name, &b.subnet, b.nic.private_ip_address)
        );
        assert_eq!(
            a.nic.name, a.name,
            "a node without a NIC document: its NIC is named after it"
        );
        assert_eq!(
            a.nic.network_security_group.as_deref(),
            Some("aks-agentpool-31647289-nsg")
        );
    }
    // The backend pools still resolve: their members' ids name the scale-set instances.
    assert_eq!(
        s.load_balancer.as_ref().unwrap().backend_address_pool.len(),
        4
    );
    let t = trace(&s, "203.0.113.50:50123", "198.51.100.24:80");
    assert_eq!(
        denied_by(&t),
        ("nsg-snet-aks-system".into(), "DenyAllInBound".into(), 65500)
    );
}

#[test]
fn without_nic_documents_and_nsgs_the_nic_nsg_is_unknown() {
    let (s, warnings) = import(&["nic-list", "nsg-list"]);
    assert_eq!(
        missing(&warnings),
        [
            "no az network nsg list document: NSG rules unknown; packets pass the NSGs the subnets and NICs name",
            "no NIC documents: node IPs taken from kubectl get nodes; NIC NSG unknown",
        ]
    );
    assert!(s
        .nodes
        .iter()
        .all(|n| n.nic.network_security_group.is_none()));
    assert!(s.network_security_groups.nsgs.is_empty());
}

#[test]
fn without_the_vnet_subnets_are_named_and_their_nsgs_found_in_the_nsgs() {
    let (s, warnings) = import(&["vnet-show"]);
    assert_eq!(
        missing(&warnings),
        [
            "no az network vnet show document: subnets known only by name, without address \
          prefixes; subnet NSGs taken from the NSG documents' subnets lists; the VNet's \
          address space is unknown, so the VirtualNetwork tag covers only 168.63.129.16"
        ]
    );
    assert_eq!(s.vnet.name, "vnet-shop-spoke");
    assert!(s.vnet.address_space.is_empty());
    let subnets: Vec<(&str, Option<&str>)> = s
        .vnet
        .subnets
        .iter()
        .map(|x| (x.name.as_str(), x.network_security_group.as_deref()))
        .collect();
    assert_eq!(
        subnets,
        [
            ("snet-aks-system", Some("nsg-snet-aks-system")),
            ("snet-aks-user", Some("nsg-snet-aks-user"))
        ]
    );
}

#[test]
fn without_az_aks_show_the_plugin_is_inferred() {
    let (s, warnings) = import(&["aks-show"]);
    assert_eq!(
        missing(&warnings),
        ["no az aks show document: network plugin taken to be azure (Azure CNI), as no node has a pod CIDR"]
    );
    assert_eq!(s.network_plugin, NetworkPlugin::Azure);
    assert_eq!(s.name, "imported-cluster");
    // The node resource group comes from the NICs' ids.
    assert_eq!(
        s.resource_group.as_deref(),
        Some("MC_rg-shop-prod_aks-shop_westeurope")
    );
    assert_eq!(s.nodes.len(), 4);
}

#[test]
fn without_load_balancers() {
    let (s, warnings) = import(&["lb-list"]);
    assert_eq!(
        missing(&warnings),
        ["no az network lb list document: no load balancer; nothing outside the cluster reaches a Service's load-balancer IP"]
    );
    assert!(s.load_balancer.is_none() && s.internal_load_balancer.is_none());
}

#[test]
fn without_public_ips_the_services_give_the_frontends_addresses() {
    let (s, warnings) = import(&["public-ip-list"]);
    assert_eq!(
        missing(&warnings),
        [
            "no az network public-ip list document: the public frontends' addresses taken from \
          the Services' status.loadBalancer.ingress; the outbound IP is unknown"
        ]
    );
    let ips: Vec<(&str, Option<String>)> = s
        .public_ips
        .iter()
        .map(|p| (p.name.as_str(), p.ip_address.map(|ip| ip.to_string())))
        .collect();
    assert_eq!(
        ips,
        [(
            "kubernetes-a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9",
            Some("198.51.100.24".to_owned())
        )]
    );
    let t = trace(&s, "203.0.113.50:50123", "198.51.100.24:80");
    assert_eq!(
        denied_by(&t),
        ("nsg-snet-aks-system".into(), "DenyAllInBound".into(), 65500)
    );
}

#[test]
fn without_kubectl_nodes_are_named_after_their_scale_set_instances() {
    let (s, warnings) = import(&["kubectl"]);
    assert_eq!(
        missing(&warnings),
        ["no kubectl document: no pods or Services; nodes named after their scale-set instances"]
    );
    let (full, _) = import(&[]);
    let names = |s: &Scenario| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&s), names(&full));
    assert!(s.pods.is_empty() && s.services.is_empty() && s.flows.is_empty());
}

#[test]
fn kubectl_alone() {
    let (s, warnings) = import(&[
        "aks-show",
        "lb-list",
        "nic-list",
        "nsg-list",
        "public-ip-list",
        "vnet-show",
    ]);
    assert_eq!(
        missing(&warnings),
        [
            "no az aks show document: network plugin taken to be azure (Azure CNI), as no node has a pod CIDR",
            "no az network vnet show document: no subnets, and the VNet's address space is unknown, \
             so the VirtualNetwork tag covers only 168.63.129.16",
            "no az network nsg list document: NSG rules unknown; packets pass the NSGs the subnets and NICs name",
            "no az network lb list document: no load balancer; nothing outside the cluster reaches a Service's load-balancer IP",
            "no NIC documents: node IPs taken from kubectl get nodes; NIC NSG unknown",
        ]
    );
    assert_eq!(s.nodes.len(), 4);
    assert_eq!(s.pods.len(), 14);
    // Nothing says which subnet a node is in.
    let unknown: Vec<&Warning> = warnings
        .iter()
        .filter(|w| w.message.starts_with("its subnet is unknown"))
        .collect();
    assert_eq!(unknown.len(), 4);
    assert_eq!(
        unknown[0].to_string(),
        "kubectl.json, Node aks-nodepool1-31647289-vmss000000: its subnet is unknown: no NIC \
         document names it, and neither does its node pool's vnetSubnetId"
    );
}

#[test]
fn nothing_at_all() {
    let imported = import_cluster(&[]);
    assert_eq!(imported.value.nodes.len(), 0);
    assert_eq!(
        missing(&imported.warnings),
        [
            "no az aks show document: network plugin taken to be azure (Azure CNI), as no node has a pod CIDR",
            "no az network vnet show document: no subnets, and the VNet's address space is unknown, \
             so the VirtualNetwork tag covers only 168.63.129.16",
            "no az network nsg list document: NSG rules unknown; packets pass the NSGs the subnets and NICs name",
            "no az network lb list document: no load balancer; nothing outside the cluster reaches a Service's load-balancer IP",
            "no NIC documents and no kubectl get nodes: the scenario has no nodes",
            "no kubectl document: no pods or Services",
        ]
    );
}
