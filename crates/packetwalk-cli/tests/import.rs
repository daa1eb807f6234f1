//! `packetwalk import DIR|FILES... [-o scenario.json]` run as a user runs it (issue 14 §1):
//! the fixture cluster's documents in, a scenario out that `packetwalk trace` reads, what
//! is missing on stderr, and exit 2 naming the file that cannot be read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_success, run};
use std::path::PathBuf;

fn two_pools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packetwalk/fixtures/cluster/two-pools")
}

fn file(name: &str) -> String {
    two_pools().join(name).display().to_string()
}

/// A fresh directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("packetwalk-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const API_SERVER_WARNING: &str = "warning: kubectl.json, Service default/kubernetes: no \
     selector: its endpoints 198.51.100.200 (EndpointSlice kubernetes) are not pods of the \
     scenario, so packetwalk finds no endpoint for it";

/// The fixture directory in, a scenario file out; `packetwalk trace` on it shows
/// pitfall 1 (the README of fixtures/cluster): the subnet NSG drops the public Service.
#[test]
fn a_directory_to_a_scenario_file_that_trace_reads() {
    let dir = scratch("to-file");
    let out_file = dir.join("scenario.json");
    let dir_arg = two_pools().display().to_string();
    let out_arg = out_file.display().to_string();
    let out = run(&["import", &dir_arg, "-o", &out_arg], None);
    assert_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        format!(
            "{API_SERVER_WARNING}\nwrote {out_arg}: 4 nodes in 2 subnets, 14 pods and 5 Services, \
             as the documents describe them.\n"
        )
    );
    let scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(scenario["name"], "aks-shop");
    assert_eq!(scenario["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(
        scenario["internalLoadBalancer"]["name"],
        "kubernetes-internal"
    );

    let traced = run(&["trace", "--scenario", &out_arg], None);
    assert_success(&traced);
    let text = String::from_utf8_lossy(&traced.stdout);
    assert!(
        text.contains(
            "verdict: dropped at NSG nsg-snet-aks-system on subnet snet-aks-system: NSG \
             nsg-snet-aks-system on the subnet snet-aks-system: DenyAllInBound (priority 65500) denies"
        ),
        "{text}"
    );
    let traced = run(
        &[
            "trace",
            "--scenario",
            &out_arg,
            "--from",
            "10.10.0.27:41000",
            "--to",
            "10.0.203.16:8080",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&traced.stdout);
    assert!(
        text.contains("deny-system-subnet-to-user-subnet (priority 200) denies"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Files named one by one, to stdout: the same scenario as the directory gives.
#[test]
fn files_to_stdout() {
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
    let files: Vec<String> = names.iter().map(|n| file(n)).collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args, None);
    assert_success(&out);
    assert_eq!(stderr(&out), format!("{API_SERVER_WARNING}\n"));
    let from_files: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let dir_arg = two_pools().display().to_string();
    let out = run(&["import", &dir_arg], None);
    assert_success(&out);
    let from_dir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_files, from_dir);
    // Pretty-printed.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\n  \"name\": \"aks-shop\",\n"));
}

#[test]
fn missing_documents_are_named_on_stderr() {
    let out = run(
        &["import", &file("aks-show.json"), &file("kubectl.json")],
        None,
    );
    assert_success(&out);
    let err = stderr(&out);
    for line in [
        "warning: import: no az network nsg list document: NSG rules unknown; packets pass the NSGs the subnets and NICs name",
        "warning: import: no NIC documents: node IPs taken from kubectl get nodes; NIC NSG unknown",
        "warning: import: no az network lb list document: no load balancer; nothing outside the cluster reaches a Service's load-balancer IP",
    ] {
        assert!(err.lines().any(|l| l == line), "{line}\n{err}");
    }
}

/// A second run into the same directory does not read its own output back.
#[test]
fn the_output_file_in_the_directory_is_not_read_back() {
    let dir = scratch("rerun");
    for entry in std::fs::read_dir(two_pools()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let dir_arg = dir.display().to_string();
    let out_arg = dir.join("scenario.json").display().to_string();
    let first = run(&["import", &dir_arg, "-o", &out_arg], None);
    assert_success(&first);
    let second = run(&["import", &dir_arg, "-o", &out_arg], None);
    assert_success(&second);
    assert_eq!(stderr(&first), stderr(&second));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_document_that_is_not_json_is_an_error_naming_the_file() {
    let dir = scratch("not-json");
    let bad = dir.join("kubectl.json");
    std::fs::write(&bad, "{\"items\": [").unwrap();
    let bad_arg = bad.display().to_string();
    let out = run(&["import", &file("aks-show.json"), &bad_arg], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        format!("packetwalk: {bad_arg}: not JSON: EOF while parsing a list at line 1 column 11\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn yaml_is_refused_with_a_hint() {
    let dir = scratch("yaml");
    let yaml = dir.join("kubectl.yaml");
    std::fs::write(&yaml, "apiVersion: v1\nkind: List\nitems: []\n").unwrap();
    let arg = yaml.display().to_string();
    let out = run(&["import", &arg], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("packetwalk: {arg}: not JSON: ")),
        "{err}"
    );
    assert!(
        err.ends_with("; the import reads JSON: run the command with -o json\n"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_or_an_empty_directory_is_an_error() {
    let dir = scratch("empty");
    let missing = dir.join("nope.json").display().to_string();
    let out = run(&["import", &missing], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(&format!("packetwalk: {missing}: cannot read")),
        "{}",
        stderr(&out)
    );

    let dir_arg = dir.display().to_string();
    let out = run(&["import", &dir_arg], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("packetwalk: {dir_arg}: no .json files in this directory\n")
    );

    let out = run(&["import"], None);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_document_on_stdin() {
    let kubectl = std::fs::read_to_string(two_pools().join("kubectl.json")).unwrap();
    let out = run(&["import", "-"], Some(&kubectl));
    assert_success(&out);
    assert!(
        stderr(&out).contains("warning: <stdin>, Service default/kubernetes: no selector"),
        "{}",
        stderr(&out)
    );
    let scenario: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scenario["pods"].as_array().unwrap().len(), 14);
}
