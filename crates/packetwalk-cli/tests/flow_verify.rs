//! `packetwalk flow-verify` run as a user runs it, on the real fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, run};

use std::process::Output;

fn json(output: &Output) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

#[test]
fn inbound_from_internet_to_the_789_rule_is_denied_with_warnings() {
    let nsg = fixture("azure-arm_nsg_custom-rule.json");
    let out = run(
        &[
            "flow-verify",
            "--direction",
            "inbound",
            "--protocol",
            "tcp",
            "--local",
            "10.0.0.4:4444",
            "--remote",
            "198.51.100.7:50000",
            "--nic-nsg",
            &nsg,
            "--vnet-prefix",
            "10.0.0.0/16",
            "-o",
            "json",
        ],
        None,
    );
    let v = json(&out);
    assert_eq!(v["access"], "Deny");
    assert_eq!(v["ruleName"], "defaultSecurityRules/DenyAllInBound");
    assert_eq!(v["evaluations"][0]["appliedTo"], "nic");
    assert_eq!(v["evaluations"][0]["nsgName"], "test-nsg1");
    assert_eq!(v["evaluations"][0]["rules"][0]["name"], "web");
    assert_eq!(v["evaluations"][0]["rules"][0]["source"]["result"], "no");
    let warnings = v["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0]
        .as_str()
        .unwrap_or_default()
        .contains(r#"NSG test-nsg1, rule web, sourceAddressPrefix "789""#));
}

#[test]
fn subnet_and_nic_from_stdin_in_azure_order() {
    // spec §1: inbound, subnet then NIC. The subnet NSG opens every port (open-port-all);
    // the NIC NSG (a bare rule list on stdin) has only its defaults, so it denies.
    let subnet = fixture("azure-arm_nsg_subnet-associated_vm-open-port.json");
    let out = run(
        &[
            "flow-verify",
            "--direction",
            "Inbound",
            "--protocol",
            "TCP",
            "--local",
            "10.0.0.4:8080",
            "--remote",
            "198.51.100.7:50000",
            "--subnet-nsg",
            &subnet,
            "--nic-nsg",
            "-",
            "-o",
            "JSON",
        ],
        Some("[]"),
    );
    let v = json(&out);
    assert_eq!(v["access"], "Deny");
    assert_eq!(v["ruleName"], "defaultSecurityRules/DenyAllInBound");
    assert_eq!(v["evaluations"][0]["appliedTo"], "subnet");
    assert_eq!(v["evaluations"][0]["access"], "Allow");
    assert_eq!(v["evaluations"][1]["appliedTo"], "nic");
}

#[test]
fn ipv6_outbound_rule_and_table_output() {
    let nsg = fixture("azure-arm_nsg_from-list_ipv6-outbound-rule.json");
    let out = run(
        &[
            "flow-verify",
            "--direction",
            "outbound",
            "--protocol",
            "tcp",
            "--local",
            "[fd00::4]:40000",
            "--remote",
            "[2404:f801:9000:1a:6feb::4aee]:443",
            "--nic-nsg",
            &nsg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Access: "), "{text}");
    assert!(text.contains("DestinationPort"), "{text}");
}

#[test]
fn unusable_input_exits_2_with_one_line_naming_the_file() {
    let service = fixture("k8s_service_loadbalancer_docs-example.json");
    let base = [
        "flow-verify",
        "--direction",
        "inbound",
        "--protocol",
        "tcp",
        "--local",
        "10.0.0.4:80",
        "--remote",
        "1.2.3.4:5",
    ];
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec!["--nic-nsg", &service],
            None,
            "k8s_service_loadbalancer_docs-example.json",
        ),
        (
            vec!["--nic-nsg", "-"],
            Some("{not json"),
            "<stdin>: not JSON",
        ),
        (
            vec!["--nic-nsg", "/nonexistent/nsg.json"],
            None,
            "/nonexistent/nsg.json: cannot read",
        ),
        (vec![], None, "--nic-nsg"),
        (
            vec!["--nic-nsg", "-", "--service-tag", "Storage"],
            Some("[]"),
            "--service-tag",
        ),
        (
            vec!["--nic-nsg", "-", "--vnet-prefix", "10.0.0.0/33"],
            Some("[]"),
            "--vnet-prefix",
        ),
    ];
    for (extra, stdin, expected) in cases {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = run(&args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = run(&["flow-verify", "--direction", "up"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let out = run(
        &[
            "flow-verify",
            "--direction",
            "inbound",
            "--protocol",
            "tcp",
            "--local",
            "host:80",
            "--remote",
            "1.2.3.4:5",
            "--nic-nsg",
            "-",
        ],
        Some("[]"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--local"));
}
