//! Reading a scenario document (docs/scenario-format.md, "Every field is optional: a
//! missing field is empty. Unknown fields are ignored."): the one reader the CLI and the
//! page share, and the messages that say where a document goes wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::json::Value;
use packetwalk::scenario::{from_value, ExternalTrafficPolicy, NetworkPlugin, Scenario};

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn error(text: &str) -> String {
    from_value(&doc(text)).unwrap_err().to_string()
}

const BUILT_INS: &[(&str, &str)] = &[
    (
        "blog-part4",
        include_str!("../../../www/scenarios/blog-part4.json"),
    ),
    (
        "blog-part4-before-service",
        include_str!("../../../www/scenarios/blog-part4-before-service.json"),
    ),
    (
        "three-nodes",
        include_str!("../../../www/scenarios/three-nodes.json"),
    ),
    (
        "subnet-nsg",
        include_str!("../../../www/scenarios/subnet-nsg.json"),
    ),
    (
        "source-ranges",
        include_str!("../../../www/scenarios/source-ranges.json"),
    ),
    (
        "kubenet",
        include_str!("../../../www/scenarios/kubenet.json"),
    ),
    (
        "pod-egress",
        include_str!("../../../www/scenarios/pod-egress.json"),
    ),
    (
        "netpol-default-deny",
        include_str!("../../../www/scenarios/netpol-default-deny.json"),
    ),
    (
        "netpol-ipblock-cluster",
        include_str!("../../../www/scenarios/netpol-ipblock-cluster.json"),
    ),
    (
        "netpol-ipblock-local",
        include_str!("../../../www/scenarios/netpol-ipblock-local.json"),
    ),
    (
        "netpol-cilium",
        include_str!("../../../www/scenarios/netpol-cilium.json"),
    ),
];

/// What the reader reads, written back by the scenario's `Serialize` and read again, is
/// the same scenario: every member the format names is read, under the name it is written.
#[test]
fn every_built_in_survives_writing_and_reading_again() {
    for (name, text) in BUILT_INS {
        let first = from_value(&doc(text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!first.nodes.is_empty(), "{name}: no nodes read");
        let written = serde_json::to_string(&first).unwrap();
        let again = from_value(&doc(&written)).unwrap_or_else(|e| panic!("{name} again: {e}"));
        assert_eq!(first, again, "{name}");
    }
}

#[test]
fn serde_json_reads_through_the_same_reader() {
    let (_, text) = BUILT_INS[0];
    let through_serde: Scenario = serde_json::from_str(text).unwrap();
    assert_eq!(through_serde, from_value(&doc(text)).unwrap());
    let err = serde_json::from_str::<Scenario>(r#"{"nodes": [{"podCidr": "x"}]}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("nodes[0].podCidr: invalid IP address syntax"),
        "{err}"
    );
}

#[test]
fn missing_and_null_members_are_empty_and_unknown_ones_ignored() {
    let s = from_value(&doc(
        r#"{"vnet": null, "nodes": [{"name": "n", "nic": null, "extra": [1, 2]}],
            "networkPlugin": null, "comment": "not a member of the format"}"#,
    ))
    .unwrap();
    assert_eq!(s.nodes[0].name, "n");
    assert_eq!(s.nodes[0].nic.private_ip_address, None);
    assert_eq!(s.network_plugin, NetworkPlugin::Azure);
    assert!(s.vnet.subnets.is_empty() && s.pods.is_empty());
    assert_eq!(from_value(&doc("{}")).unwrap(), Scenario::default());
}

/// Azure's own documents spell `privateIPAddress` where the format writes
/// `privateIpAddress`; member names match ignoring ASCII case.
#[test]
fn member_names_match_ignoring_case() {
    let s = from_value(&doc(
        r#"{"nodes": [{"nic": {"privateIPAddress": "10.0.0.4"}}],
            "services": [{"externalTrafficPolicy": "Local", "clusterIp": "10.0.0.10"}]}"#,
    ))
    .unwrap();
    assert_eq!(
        s.nodes[0].nic.private_ip_address,
        Some("10.0.0.4".parse().unwrap())
    );
    assert_eq!(
        s.services[0].external_traffic_policy,
        ExternalTrafficPolicy::Local
    );
    assert_eq!(s.services[0].cluster_ip, Some("10.0.0.10".parse().unwrap()));
}

#[test]
fn network_plugin_takes_the_names_az_prints() {
    for (text, want) in [
        ("azure", NetworkPlugin::Azure),
        ("Azure", NetworkPlugin::Azure),
        ("azure-cni", NetworkPlugin::Azure),
        ("kubenet", NetworkPlugin::Kubenet),
        ("Kubenet", NetworkPlugin::Kubenet),
    ] {
        let s = from_value(&doc(&format!(r#"{{"networkPlugin": "{text}"}}"#))).unwrap();
        assert_eq!(s.network_plugin, want, "{text}");
    }
}

#[test]
fn errors_name_the_member_and_what_was_expected() {
    let cases = [
        (
            r#"{"nodes": [{"nic": {"privateIpAddress": "10.13.76.x"}}]}"#,
            "nodes[0].nic.privateIpAddress: invalid IP address syntax",
        ),
        (
            r#"{"services": [{}, {"ports": [{"port": "eighty"}]}]}"#,
            r#"services[1].ports[0].port: expected a port number from 0 to 65535, got the string "eighty""#,
        ),
        (
            r#"{"services": [{"ports": [{"nodePort": 70000}]}]}"#,
            "services[0].ports[0].nodePort: expected a port number from 0 to 65535, got 70000",
        ),
        (
            r#"{"pods": [{"containerPorts": [80.5]}]}"#,
            "pods[0].containerPorts[0]: expected a port number from 0 to 65535, got 80.5",
        ),
        (
            r#"{"services": [{"type": "Loadbalancer"}]}"#,
            r#"services[0].type: expected one of "ClusterIP", "NodePort", "LoadBalancer", got "Loadbalancer""#,
        ),
        (
            r#"{"services": [{"annotations": {"service.beta.kubernetes.io/x": 5}}]}"#,
            r#"services[0].annotations["service.beta.kubernetes.io/x"]: expected a string, got the number 5"#,
        ),
        (
            r#"{"pods": [{"labels": {"app": true}}]}"#,
            "pods[0].labels.app: expected a string, got true",
        ),
        (
            r#"{"vnet": {"subnets": [{"routes": [{"name": "r", "addressPrefix": "10.244.0.0/24"}]}]}}"#,
            "vnet.subnets[0].routes[0].nextHopIpAddress: missing: this member is required",
        ),
        (
            r#"{"vnet": {"addressSpace": "10.0.0.0/8"}}"#,
            r#"vnet.addressSpace: expected an array, got the string "10.0.0.0/8""#,
        ),
        (
            r#"{"vnet": {"addressSpace": [10]}}"#,
            "vnet.addressSpace[0]: expected a CIDR prefix such as 10.0.0.0/16 as a string, got the number 10",
        ),
        (
            r#"{"pods": [{"ready": "yes"}]}"#,
            r#"pods[0].ready: expected true or false, got the string "yes""#,
        ),
        (
            r#"{"networkPlugin": "cilium"}"#,
            r#"networkPlugin: expected one of "azure", "kubenet", got "cilium""#,
        ),
        (
            r#"{"serviceTags": {"Storage": ["x"]}}"#,
            "serviceTags.Storage[0]: invalid IP address syntax",
        ),
        ("[]", "expected an object, got an array"),
    ];
    for (text, want) in cases {
        assert_eq!(error(text), want, "{text}");
    }
}

/// The first problem is reported; nothing panics on documents of the wrong shape at any
/// depth.
#[test]
fn any_shape_is_an_error_value_never_a_panic() {
    let shapes = [
        "null",
        "1",
        "\"s\"",
        "true",
        "[]",
        "{}",
        "[[]]",
        "{\"a\":{}}",
    ];
    let members = [
        "vnet",
        "nodes",
        "pods",
        "services",
        "loadBalancer",
        "publicIps",
        "clients",
        "flows",
        "illustrative",
        "serviceTags",
        "networkSecurityGroups",
        "networkPlugin",
    ];
    for member in members {
        for shape in shapes {
            let _ = from_value(&doc(&format!(r#"{{"{member}": {shape}}}"#)));
            let _ = from_value(&doc(&format!(r#"{{"{member}": [{shape}]}}"#)));
        }
    }
}

/// A scenario without NSGs is written with `"networkSecurityGroups": []` and reads back
/// without any.
#[test]
fn an_empty_nsg_list_is_no_nsgs() {
    let s = from_value(&doc(r#"{"networkSecurityGroups": [], "nodes": []}"#)).unwrap();
    assert!(s.network_security_groups.nsgs.is_empty());
    assert!(s.network_security_groups.import_warnings.is_empty());
}
