//! `packetwalk lint --scenario` lists the NetworkPolicy pitfalls (issue 15;
//! docs/network-policy.md, "Findings") with the packet that shows each, as text and JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_success, run};

fn stdout(args: &[&str]) -> String {
    let out = run(args, None);
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// NP 7, NP 11: the office's ipBlock behind externalTrafficPolicy Cluster, with its
/// packet, where it is dropped, and the page it rests on.
#[test]
fn lint_prints_the_ipblock_behind_cluster() {
    let text = stdout(&["lint", "--scenario", "netpol-ipblock-cluster"]);
    assert!(
        text.starts_with(
            "ipBlockBehindClusterSnat: Service shop/web: allow-office's ipBlock 198.51.100.0/24 never sees its clients (externalTrafficPolicy Cluster SNATs them to a node's IP)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Pod shop/web-7c9d8e6f5-h4j2k sees 198.51.100.23 as 10.224.0.6 (node aks-nodepool1-27182818-2)"),
        "{text}"
    );
    assert!(
        text.contains(
            "  packet: TCP 198.51.100.23:50123 -> 203.0.113.10:80: dropped at netpol:web-7c9d8e6f5-h4j2k\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("see: Kubernetes: Network Policies (behavior of to and from selectors: ipBlock) <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>"),
        "{text}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&[
        "lint",
        "--scenario",
        "netpol-ipblock-cluster",
        "-o",
        "json",
    ]))
    .unwrap();
    let found = json.as_array().unwrap();
    assert_eq!(found.len(), 1, "{json}");
    assert_eq!(found[0]["kind"], "ipBlockBehindClusterSnat");
    assert_eq!(found[0]["verdict"], "dropped");
    assert_eq!(found[0]["droppedAt"], "netpol:web-7c9d8e6f5-h4j2k");
    assert_eq!(found[0]["packet"]["from"], "198.51.100.23:50123");
}

/// NP 11: under Local the pod sees the client, so the ipBlock works: no such finding.
#[test]
fn lint_of_the_local_service_has_no_ipblock_finding() {
    let text = stdout(&["lint", "--scenario", "netpol-ipblock-local"]);
    assert!(!text.contains("ipBlock"), "{text}");
    assert!(text.starts_with("noReadyPod: "), "{text}");
}

/// NP 1, NP 3: a scenario file whose namespace denies egress and forgets DNS.
#[test]
fn lint_of_a_file_prints_the_dns_finding() {
    let path = format!(
        "{}/../packetwalk/tests/fixtures/netpol-egress-no-dns.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = stdout(&["lint", "--scenario", &path]);
    assert!(
        text.starts_with(
            "egressWithoutDns: Namespace shop: 3 pods isolated for egress cannot reach DNS (UDP or TCP 53 to kube-dns)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  packet: UDP 10.224.0.27:40000 -> 10.0.0.10:53: dropped at netpol:web-7d9c5b8f4d-2xkqp\n"
        ),
        "{text}"
    );
}
