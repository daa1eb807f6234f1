//! Issue 14 §1: "several Services sharing one public IP, and a Service with
//! `loadBalancerIP` / `azure-pip-name`", read from kubectl as the import gets them, each
//! checked against the load balancer's frontends. The two-pools cluster with its Services
//! changed the way a user would have them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::cluster::{import_cluster, Document, IMPORT};
use packetwalk::json::Value;
use packetwalk::scenario::Scenario;
use packetwalk::trace::{self, PacketSpec, Verdict};
use packetwalk::Warning;
use serde_json::json;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster/two-pools")
}

fn raw(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(name)).unwrap()).unwrap()
}

const AZ: [&str; 7] = [
    "aks-show.json",
    "lb-list.json",
    "nic-list-aks-nodepool1-31647289-vmss.json",
    "nic-list-aks-userpool-31647289-vmss.json",
    "nsg-list.json",
    "public-ip-list.json",
    "vnet-show.json",
];

/// The cluster with `change` applied to the kubectl document, and `extra` documents.
fn import_with(
    change: impl FnOnce(&mut serde_json::Value),
    extra: &[(&str, serde_json::Value)],
) -> (Scenario, Vec<Warning>) {
    let mut kubectl = raw("kubectl.json");
    change(&mut kubectl);
    let mut docs: Vec<(String, Value)> = AZ
        .iter()
        .map(|n| ((*n).to_owned(), serde_json::from_value(raw(n)).unwrap()))
        .collect();
    docs.push((
        "kubectl.json".to_owned(),
        serde_json::from_value(kubectl).unwrap(),
    ));
    for (name, doc) in extra {
        docs.push((
            (*name).to_owned(),
            serde_json::from_value(doc.clone()).unwrap(),
        ));
    }
    let documents: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let imported = import_cluster(&documents);
    (imported.value, imported.warnings)
}

/// The kubectl item of the Service `name`.
fn service<'a>(kubectl: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
    kubectl["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["kind"] == "Service" && i["metadata"]["name"] == name)
        .unwrap()
}

/// Warnings other than the API server Service's (every cluster has it).
fn service_warnings(warnings: &[Warning]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| w.object != IMPORT && !w.object.ends_with("Service default/kubernetes"))
        .map(ToString::to_string)
        .collect()
}

#[test]
fn azure_pip_name_naming_the_services_public_ip() {
    let (s, w) = import_with(
        |k| {
            service(k, "web")["metadata"]["annotations"]
                ["service.beta.kubernetes.io/azure-pip-name"] =
                json!("kubernetes-a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9");
        },
        &[],
    );
    assert!(service_warnings(&w).is_empty(), "{w:?}");
    let web = s.services.iter().find(|x| x.name == "web").unwrap();
    assert_eq!(
        web.annotations
            .get("service.beta.kubernetes.io/azure-pip-name")
            .map(String::as_str),
        Some("kubernetes-a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9")
    );
}

#[test]
fn azure_pip_name_of_a_public_ip_not_listed() {
    let (_, w) = import_with(
        |k| {
            service(k, "web")["metadata"]["annotations"]
                ["service.beta.kubernetes.io/azure-pip-name"] = json!("pip-shop-web");
        },
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/web, service.beta.kubernetes.io/azure-pip-name \
          \"pip-shop-web\": no public IP of that name among the public-IP documents (one in \
          another resource group needs its own az network public-ip list)"
        ]
    );
}

#[test]
fn azure_pip_name_of_a_public_ip_with_another_address() {
    let pip =
        raw("../shapes/public-ip_sdk-style_az-network-public-ip-create_publicIp-wrapper.json");
    let (_, w) = import_with(
        |k| {
            service(k, "web")["metadata"]["annotations"]
                ["service.beta.kubernetes.io/azure-pip-name"] = json!("pip-shop-web");
        },
        &[("pip.json", pip)],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/web, service.beta.kubernetes.io/azure-pip-name \
          \"pip-shop-web\": public IP pip-shop-web has the address 198.51.100.40, not the \
          Service's 198.51.100.24"
        ]
    );
}

/// A pending Service (no `status.loadBalancer.ingress` yet) that asks for the address a
/// frontend has: the import takes it, and says so.
#[test]
fn load_balancer_ip_of_a_pending_service() {
    let (s, w) = import_with(
        |k| {
            let web = service(k, "web");
            web["status"] = json!({"loadBalancer": {}});
            web["spec"]["loadBalancerIP"] = json!("198.51.100.24");
        },
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        ["kubectl.json, Service shop/web, status.loadBalancer.ingress: empty; its address taken \
          from spec.loadBalancerIP: 198.51.100.24, which frontend \
          a2f1c9b7e5a3d4c8e9f067b1e4d2a6c9 holds"]
    );
    let web = s.services.iter().find(|x| x.name == "web").unwrap();
    assert_eq!(web.ingress_ip, Some("198.51.100.24".parse().unwrap()));
}

#[test]
fn a_pending_service_without_an_address() {
    let (s, w) = import_with(
        |k| service(k, "web")["status"] = json!({"loadBalancer": {}}),
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/web, status.loadBalancer.ingress: empty: the cloud \
          provider has not given the Service an address (yet), so nothing outside the cluster \
          reaches it"
        ]
    );
    assert!(s.flows.is_empty());
}

#[test]
fn load_balancer_ip_differing_from_the_address_it_has() {
    let (_, w) = import_with(
        |k| service(k, "api")["spec"]["loadBalancerIP"] = json!("10.10.0.99"),
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/api, spec.loadBalancerIP \"10.10.0.99\": differs from the \
          address the Service has, 10.10.0.66"
        ]
    );
}

#[test]
fn an_internal_service_whose_address_no_internal_frontend_has() {
    let (_, w) = import_with(
        |k| service(k, "api")["status"]["loadBalancer"]["ingress"][0]["ip"] = json!("10.10.0.70"),
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/api, status.loadBalancer.ingress[0].ip \"10.10.0.70\": no \
          frontend of load balancer kubernetes-internal has this address"
        ]
    );
}

/// Two Services on one public IP (cloud-provider-azure shares the frontend): both have
/// the address, neither is odd, and each port goes to its own Service.
#[test]
fn several_services_share_one_public_ip() {
    let (s, w) = import_with(
        |k| {
            let mut promo = service(k, "web").clone();
            promo["metadata"]["name"] = json!("promo");
            promo["metadata"]["uid"] = json!("5d0e8a31-6b2f-4c7d-a9e1-3f6b8c2d4e17");
            promo["spec"]["ports"][0]["port"] = json!(8081);
            promo["spec"]["ports"][0]["nodePort"] = json!(31381);
            promo["spec"]["clusterIP"] = json!("10.0.44.5");
            promo["spec"]["selector"] = json!({"app": "promo"});
            k["items"].as_array_mut().unwrap().push(promo);
        },
        &[],
    );
    assert!(service_warnings(&w).is_empty(), "{w:?}");
    let on_it: Vec<&str> = s
        .services
        .iter()
        .filter(|x| x.ingress_ip == Some("198.51.100.24".parse().unwrap()))
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(on_it, ["web", "promo"]);
    // The scenario's flows: one per public Service port.
    let flows: Vec<(&str, &str)> = s
        .flows
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str()))
        .collect();
    assert_eq!(
        flows,
        [
            ("internet-to-web-80", "198.51.100.24:80"),
            ("internet-to-promo-8081", "198.51.100.24:8081")
        ]
    );
    // The load balancer has no rule for 8081 (the documents' state): dropped there.
    let t = trace::trace(
        &s,
        &PacketSpec {
            from: "203.0.113.50:50123".into(),
            to: "198.51.100.24:8081".into(),
            protocol: "TCP".into(),
        },
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Dropped);
    assert_eq!(t.dropped_at.as_deref(), Some("lb:kubernetes"));
}

/// A named target port resolves through the EndpointSlice's port of the Service port's
/// name, else a selected pod's container port of that name; here neither has it.
#[test]
fn a_named_target_port_nobody_defines() {
    let (s, w) = import_with(
        |k| {
            service(k, "api")["spec"]["ports"][0]["targetPort"] = json!("grpc");
            k["items"]
                .as_array_mut()
                .unwrap()
                .retain(|i| i["metadata"]["name"] != "api-x9m4t");
        },
        &[],
    );
    assert_eq!(
        service_warnings(&w),
        [
            "kubectl.json, Service shop/api, spec.ports[0].targetPort \"grpc\": a named port that \
          no EndpointSlice or selected pod defines; packetwalk uses the Service port instead"
        ]
    );
    let api = s.services.iter().find(|x| x.name == "api").unwrap();
    assert_eq!(api.ports[0].target_port, None);
}
