//! `packetwalk trace`, `scenarios` and `apply`, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn packetwalk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_packetwalk"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn trace_json_has_the_verdict_and_the_hops() {
    let out = packetwalk(&["trace", "--scenario", "blog-part4", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "delivered");
    assert!(json["deliveredTo"]
        .as_str()
        .unwrap()
        .starts_with("kuard-vnode-"));
    let hops = json["hops"].as_array().unwrap();
    let nsg = hops.iter().find(|h| h["action"] == "nsgAllow").unwrap();
    assert_eq!(
        nsg["nsg"]["ruleName"],
        "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
}

#[test]
fn a_dropped_packet_exits_0_and_says_where() {
    let out = packetwalk(&[
        "trace",
        "--scenario",
        "blog-part4",
        "--from",
        "198.51.100.23:4000",
        "--to",
        "203.0.113.10:22",
        "--protocol",
        "tcp",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "dropped");
    assert_eq!(json["droppedAt"], "lb:kubernetes");
    assert!(json["reason"].as_str().unwrap().contains("port 22"));
}

#[test]
fn the_text_walk_through_names_the_rule() {
    let out = packetwalk(&["trace", "--scenario", "blog-part4-before-service"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("verdict: dropped at load balancer kubernetes"),
        "{text}"
    );
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    for args in [
        &["trace", "--scenario", "no-such-scenario"][..],
        &["trace", "--scenario", "blog-part4", "--flow", "nope"],
        &[
            "trace",
            "--scenario",
            "blog-part4",
            "--from",
            "1.2.3.4:1",
            "--to",
            "nowhere:80",
        ],
    ] {
        let out = packetwalk(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let dir = std::env::temp_dir().join(format!("packetwalk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"nodes": 5}"#).unwrap();
    let out = packetwalk(&["trace", "--scenario", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn scenarios_lists_every_built_in_with_its_flows() {
    let out = packetwalk(&["scenarios", "-o", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/scenarios"))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
    files.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, files, "every file in www/scenarios is built in");
    assert_eq!(names[0], "blog-part4");
}

#[test]
fn apply_adds_the_blog_rule() {
    let svc = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packetwalk/fixtures/kubernetes/kuard-vnode-service.json"
    );
    let out = packetwalk(&[
        "apply",
        "--scenario",
        "blog-part4-before-service",
        "-f",
        svc,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out)
        .contains("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet added at priority 500"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["networkSecurityGroups"][0]["securityRules"][0]["priority"],
        500
    );
}
