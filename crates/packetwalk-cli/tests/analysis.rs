//! `packetwalk exposure` and `packetwalk lint` run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run;

use std::process::Output;

fn ok_json(output: &Output) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

const NSG: &str = r#"[
  {"name": "deny-ssh", "priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "*",
   "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "22"},
  {"name": "allow-ssh", "priority": 200, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
   "sourceAddressPrefix": "198.51.100.0/24", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "22"}
]"#;

/// Spec §3, §4: the blog's exposure, as JSON.
#[test]
fn exposure_of_the_blog_as_json() {
    let out = ok_json(&run(
        &["exposure", "--scenario", "blog-part4", "-o", "json"],
        None,
    ));
    let entries = out["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for e in entries {
        assert_eq!(e["protocol"], "Tcp");
        assert_eq!(e["ports"], serde_json::json!(["8080"]));
        assert_eq!(e["publicIpAddress"], "203.0.113.10");
        assert_eq!(e["everyInternetSource"], true);
    }
}

#[test]
fn exposure_as_text() {
    let output = run(&["exposure", "--scenario", "blog-part4"], None);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("pod:kuard-vnode-6c4b7d9f8-5kx2p TCP 8080"),
        "{text}"
    );
    assert!(text.contains("from: every Internet source"));
}

/// Spec §1: lint an NSG read from stdin.
#[test]
fn lint_from_stdin() {
    let out = ok_json(&run(
        &[
            "lint",
            "--nsg",
            "-",
            "--vnet-prefix",
            "10.0.0.0/16",
            "-o",
            "json",
        ],
        Some(NSG),
    ));
    let findings = out["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["kind"], "shadowed");
    assert_eq!(
        findings[0]["rules"],
        serde_json::json!(["allow-ssh", "deny-ssh"])
    );
    let text = run(&["lint", "--nsg", "-"], Some(NSG));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("shadowed"));
}

/// Spec §3: lint with a scenario's Services.
#[test]
fn lint_with_scenario() {
    let dir = std::env::temp_dir().join(format!("packetwalk-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario_path = dir.join("scenario.json");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../www/scenarios/blog-part4.json"
    ))
    .unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    scenario["services"][0]["loadBalancerSourceRanges"] = serde_json::json!(["198.51.100.0/24"]);
    let nsg = scenario["networkSecurityGroups"][0].clone();
    std::fs::write(&scenario_path, scenario.to_string()).unwrap();
    let nsg_path = dir.join("nsg.json");
    std::fs::write(&nsg_path, nsg.to_string()).unwrap();
    let out = ok_json(&run(
        &[
            "lint",
            "--nsg",
            nsg_path.to_str().unwrap(),
            "--scenario",
            scenario_path.to_str().unwrap(),
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(out["findings"][0]["kind"], "widerThanIntended", "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for (args, stdin, needle) in [
        (
            vec!["lint", "--nsg", "-"],
            Some("{not json"),
            "<stdin>: not JSON",
        ),
        (
            vec!["lint", "--nsg", "/nonexistent/nsg.json"],
            None,
            "/nonexistent/nsg.json",
        ),
        (
            vec!["lint", "--nsg", "-", "--vnet-prefix", "10.0.0.0/99"],
            Some(NSG),
            "--vnet-prefix",
        ),
        (
            vec!["exposure", "--scenario", "no-such-scenario"],
            None,
            "no-such-scenario",
        ),
    ] {
        let output = run(&args, stdin);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

/// Issue 14 §2: `lint --scenario` alone lists the AKS pitfalls, each with its packet.
#[test]
fn lint_of_a_scenario_lists_its_pitfalls_with_their_packets() {
    let out = ok_json(&run(
        &["lint", "--scenario", "subnet-nsg", "-o", "json"],
        None,
    ));
    let found = out.as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["kind"], "subnetNsgDenies");
    assert_eq!(found[0]["packet"]["to"], "203.0.113.10:8080");
    assert_eq!(found[0]["verdict"], "dropped");

    let text = run(&["lint", "--scenario", "blog-part4"], None);
    assert_eq!(
        String::from_utf8_lossy(&text.stdout),
        "No AKS pitfalls found.\n"
    );

    let neither = run(&["lint"], None);
    assert_eq!(neither.status.code(), Some(2));
}
