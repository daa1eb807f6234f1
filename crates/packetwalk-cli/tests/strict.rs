//! The command line refuses what it cannot take as it is, with exit status 2 and a message
//! naming the file and the field; and `flow-verify --flows` checks many flows in one run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_success, fixture, run_bytes as run};

use std::path::PathBuf;
use std::process::Output;

fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).trim_end().to_owned()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("packetwalk-cli-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const NEEDS: &str = "a scenario is an object with \"vnet\" and \"nodes\" (docs/scenario-format.md)";

#[test]
fn exposure_apply_and_trace_refuse_documents_that_are_not_scenarios() {
    let nsg = fixture("azure-arm_nsg_custom-rule.json");
    let service = fixture("k8s_service_loadbalancer_docs-example.json");
    for command in [
        vec!["exposure", "--scenario"],
        vec!["trace", "--scenario"],
        vec!["apply", "-f", &service, "--scenario"],
    ] {
        let with = |file: &str| -> Vec<String> {
            command
                .iter()
                .copied()
                .chain([file])
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            refused(&run(&with("-"), b"[]")),
            format!(
                "packetwalk: <stdin> is not a packetwalk scenario: it is an empty array; {NEEDS}"
            ),
            "{command:?}"
        );
        assert_eq!(
            refused(&run(&with(&nsg), b"")),
            format!("packetwalk: {nsg} is not a packetwalk scenario: it has no \"vnet\" and no \"nodes\" (it looks like an NSG: give it to flow-verify --nic-nsg, or import it into a scenario); {NEEDS}"),
            "{command:?}"
        );
        assert_eq!(
            refused(&run(&with(&service), b"")),
            format!("packetwalk: {service} is not a packetwalk scenario: it has no \"vnet\" and no \"nodes\" (it looks like a Kubernetes object: give it to apply -f); {NEEDS}"),
            "{command:?}"
        );
        assert_eq!(
            refused(&run(&with("-"), br#"{"vnet": {}, "nodes": {}}"#)),
            format!("packetwalk: <stdin> is not a packetwalk scenario: its \"nodes\" is an object, not an array; {NEEDS}"),
            "{command:?}"
        );
    }
}

/// A scenario with a bad value is refused naming the member (docs/scenario-format.md).
#[test]
fn a_bad_value_in_a_scenario_is_refused_naming_the_member() {
    let doc =
        br#"{"vnet": {}, "nodes": [{"name": "n", "nic": {"privateIpAddress": "10.13.76.x"}}]}"#;
    assert_eq!(
        refused(&run(&["trace", "--scenario", "-"], doc)),
        "packetwalk: <stdin>: nodes[0].nic.privateIpAddress: invalid IP address syntax"
    );
}

/// The blog's scenario with one value changed in its NSG's first rule.
fn blog_with(field: &str, value: serde_json::Value) -> Vec<u8> {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/scenarios/blog-part4.json"),
    )
    .unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rule = &mut scenario["networkSecurityGroups"][0]["securityRules"][0];
    rule[field] = value;
    serde_json::to_vec(&scenario).unwrap()
}

#[test]
fn apply_never_rewrites_a_value_silently() {
    let service = fixture("k8s_service_loadbalancer_docs-example.json");
    let rule =
        "NSG aks-agentpool-26711606-nsg, rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet";
    let apply = |scenario: Vec<u8>| run(&["apply", "--scenario", "-", "-f", &service], &scenario);
    assert_eq!(
        refused(&apply(blog_with("priority", "high".into()))),
        format!("packetwalk: -: {rule}, priority \"high\": not a whole number; taken as 4096, the last user priority; apply writes the scenario back and would carry this over: fix it first")
    );
    assert_eq!(
        refused(&apply(blog_with("priority", 50.into()))),
        format!("packetwalk: -: {rule}, priority \"50\": out of range: a priority must be between 100 and 4096 (Azure refuses the rule); evaluated at 50 as written; apply writes the scenario back and would carry this over: fix it first")
    );
    assert_eq!(
        refused(&apply(blog_with("sourceAddressPrefix", "789".into()))),
        format!("packetwalk: -: {rule}, sourceAddressPrefix \"789\": not an IP address, CIDR prefix or service tag; it never matches; apply writes the scenario back and would carry this over: fix it first")
    );
    // The scenario as it is applies.
    let out = apply(blog_with("priority", 500.into()));
    assert_success(&out);
}

#[test]
fn trace_and_exposure_report_a_bad_priority_as_a_warning() {
    let scenario = blog_with("priority", (-5).into());
    let out = run(&["trace", "--scenario", "-", "-o", "json"], &scenario);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("priority") && warnings.contains("out of range"),
        "{warnings}"
    );
}

#[test]
fn flow_verify_refuses_mixed_address_families_and_unbracketed_ipv6() {
    let nsg = fixture("azure-arm_nsg_from-list_ipv6-outbound-rule.json");
    let verify = |local: &str, remote: &str| {
        run(
            &[
                "flow-verify",
                "--direction",
                "Inbound",
                "--protocol",
                "TCP",
                "--local",
                local,
                "--remote",
                remote,
                "--nic-nsg",
                &nsg,
            ],
            b"",
        )
    };
    assert_eq!(
        refused(&verify("10.0.0.4:80", "[2001:db8::1]:5000")),
        "packetwalk: --local \"10.0.0.4:80\" is IPv4 and --remote \"[2001:db8::1]:5000\" is IPv6: both ends of a flow are of one address family"
    );
    assert_eq!(
        refused(&verify("[fd00::4]:443", "198.51.100.7:5000")),
        "packetwalk: --local \"[fd00::4]:443\" is IPv6 and --remote \"198.51.100.7:5000\" is IPv4: both ends of a flow are of one address family"
    );
    assert_eq!(
        refused(&verify("[fd00::4]:443", "2001:db8::1:5000")),
        "packetwalk: --remote \"2001:db8::1:5000\": an IPv6 address with a port is written in brackets, as [2001:db8::1]:5000"
    );
    let out = verify("[fd00::4]:443", "[2001:db8::1]:5000");
    assert_success(&out);
}

#[test]
fn input_that_is_not_utf8_is_refused_with_the_byte_offset() {
    let bad = temp_file("latin1.json", b"{\"name\": \"caf\xe9\"}");
    let shown = bad.display().to_string();
    let nsg = fixture("azure-arm_nsg_custom-rule.json");
    let expected =
        format!("packetwalk: {shown}: not UTF-8 text: byte 0xE9 at offset 13 is not valid UTF-8");
    let outs = [
        run(
            &[
                "flow-verify",
                "--direction",
                "Inbound",
                "--protocol",
                "TCP",
                "--local",
                "10.0.0.4:80",
                "--remote",
                "1.2.3.4:5",
                "--nic-nsg",
                &shown,
            ],
            b"",
        ),
        run(&["trace", "--scenario", &shown], b""),
        run(&["exposure", "--scenario", &shown], b""),
        run(&["apply", "--scenario", "blog-part4", "-f", &shown], b""),
        run(&["lint", "--nsg", &shown], b""),
        run(&["flow-verify", "--flows", &shown, "--nic-nsg", &nsg], b""),
    ];
    for out in &outs {
        assert_eq!(refused(out), expected);
    }
    assert_eq!(
        refused(&run(&["trace", "--scenario", "-"], b"\xff")),
        "packetwalk: <stdin>: not UTF-8 text: byte 0xFF at offset 0 is not valid UTF-8"
    );
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    assert_success(out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const FLOWS: &str = r#"{"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:4444", "remote": "198.51.100.7:50000"}
{"direction": "Outbound", "protocol": "UDP", "local": "10.0.0.4:53", "remote": "8.8.8.8:53"}
this is not JSON

{"direction": "Sideways", "protocol": "TCP", "local": "10.0.0.4:1", "remote": "1.2.3.4:5"}
{"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:80", "remote": "2001:db8::1:5000"}
{"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:80"}
{"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:22", "remote": "10.0.0.5:50000"}
"#;

#[test]
fn batch_flows_keep_their_order_and_a_bad_line_does_not_stop_the_rest() {
    let nsg = fixture("azure-arm_nsg_custom-rule.json");
    let out = lines(&run(
        &["flow-verify", "--flows", "-", "--nic-nsg", &nsg],
        FLOWS.as_bytes(),
    ));
    let warnings = serde_json::json!([
        format!("{nsg}: NSG test-nsg1, rule web, sourceAddressPrefix \"789\": not an IP address, CIDR prefix or service tag; it never matches"),
        format!("{nsg}: NSG test-nsg1, rule web, destinationAddressPrefix \"1234\": not an IP address, CIDR prefix or service tag; it never matches"),
    ]);
    let verdict = |flow: usize, access: &str, rule: &str| serde_json::json!({"flow": flow, "access": access, "ruleName": rule, "warnings": warnings});
    let error = |flow: usize, error: &str| serde_json::json!({"flow": flow, "error": error});
    assert_eq!(
        out,
        vec![
            verdict(1, "Deny", "defaultSecurityRules/DenyAllInBound"),
            verdict(2, "Allow", "defaultSecurityRules/AllowInternetOutBound"),
            error(3, "line 3: not JSON: expected ident at line 1 column 2"),
            error(4, "\"direction\" \"Sideways\": expected Inbound or Outbound"),
            error(5, "\"remote\" \"2001:db8::1:5000\": an IPv6 address with a port is written in brackets, as [2001:db8::1]:5000"),
            error(6, "no \"remote\""),
            // No VNet prefixes were given: 10.0.0.5 is not VirtualNetwork, so DenyAllInBound.
            verdict(7, "Deny", "defaultSecurityRules/DenyAllInBound"),
        ]
    );
}

#[test]
fn batch_flows_as_a_json_array_with_explain_match_the_single_flow_answer() {
    // Port_8080 allows 167.220.255.0/25 in, to any port.
    let nsg = fixture("azure-arm_nsg_from-list_ipv6-outbound-rule.json");
    let flows = r#"[
        {"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:80", "remote": "167.220.255.7:50000"},
        5,
        {"direction": "Inbound", "protocol": "TCP", "local": "10.0.0.4:80", "remote": "198.51.100.7:50000"}
    ]"#;
    let file = temp_file("flows.json", flows.as_bytes());
    let file = file.display().to_string();
    let brief = lines(&run(
        &["flow-verify", "--flows", &file, "--subnet-nsg", &nsg],
        b"",
    ));
    let explained = lines(&run(
        &[
            "flow-verify",
            "--flows",
            &file,
            "--subnet-nsg",
            &nsg,
            "--explain",
        ],
        b"",
    ));
    assert_eq!(brief.len(), 3);
    assert_eq!(explained.len(), 3);
    assert_eq!(
        brief[1],
        serde_json::json!({"flow": 2, "error": "a number is not a flow: expected {\"direction\", \"protocol\", \"local\", \"remote\"}"})
    );
    assert!(brief[0].get("evaluations").is_none());
    for (index, remote) in [(0, "167.220.255.7:50000"), (2, "198.51.100.7:50000")] {
        let single = run(
            &[
                "flow-verify",
                "--direction",
                "Inbound",
                "--protocol",
                "TCP",
                "--local",
                "10.0.0.4:80",
                "--remote",
                remote,
                "--subnet-nsg",
                &nsg,
                "-o",
                "json",
            ],
            b"",
        );
        let mut single: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
        assert_eq!(brief[index]["access"], single["access"]);
        assert_eq!(brief[index]["ruleName"], single["ruleName"]);
        single["flow"] = (index + 1).into();
        assert_eq!(explained[index], single, "flow {}", index + 1);
    }
    assert_eq!(brief[0]["access"], "Allow");
    assert_eq!(brief[2]["access"], "Deny");
}

#[test]
fn batch_mode_refuses_single_flow_arguments_and_explain_needs_flows() {
    let nsg = fixture("azure-arm_nsg_custom-rule.json");
    let out = run(
        &[
            "flow-verify",
            "--flows",
            "-",
            "--local",
            "10.0.0.4:80",
            "--nic-nsg",
            &nsg,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--local"));
    let out = run(
        &[
            "flow-verify",
            "--direction",
            "Inbound",
            "--protocol",
            "TCP",
            "--local",
            "10.0.0.4:80",
            "--remote",
            "1.2.3.4:5",
            "--nic-nsg",
            &nsg,
            "--explain",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--flows"));
}
