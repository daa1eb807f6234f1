//! Golden results of the analyses: the blog's exposure (spec §3, §4), a source-restricted
//! variant, the single-NSG analysis (spec §1) and one lint case per finding kind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::analysis::{
    exposure, exposure_to_text, internet, lint_nsg, lint_nsg_in_scenario, nsg_exposure, AddrSet,
    ExposedKind, FindingKind, PortSet,
};
use packetwalk::scenario::Scenario;
use packetwalk::{
    Access, AddressPrefix, AddressSpec, Direction, EvalContext, NetworkSecurityGroup, PortRange,
    Protocol, RuleProtocol, SecurityRule,
};
use std::net::IpAddr;

fn blog() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../www/scenarios/blog-part4.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

const BLOG_NSG: &str = "aks-agentpool-26711606-nsg";
const BLOG_RULE: &str = "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn prefixes(list: &[&str]) -> AddressSpec {
    AddressSpec::Prefixes(
        list.iter()
            .map(|p| packetwalk::import::parse_address_prefix(p).unwrap())
            .collect(),
    )
}

fn rule(
    name: &str,
    priority: u32,
    access: Access,
    protocol: &str,
    source: &[&str],
    destination: &[&str],
    ports: &[&str],
) -> SecurityRule {
    SecurityRule {
        name: name.to_owned(),
        description: None,
        priority,
        direction: Direction::Inbound,
        access,
        protocol: packetwalk::import::parse_protocol(protocol).unwrap(),
        source: prefixes(source),
        source_ports: vec![PortRange::Any],
        destination: prefixes(destination),
        destination_ports: ports
            .iter()
            .map(|p| packetwalk::import::parse_port_range(p).unwrap())
            .collect(),
    }
}

fn nsg_with(rules: Vec<SecurityRule>) -> NetworkSecurityGroup {
    let mut nsg = NetworkSecurityGroup::new("test-nsg");
    nsg.security_rules = rules;
    nsg
}

fn vnet_ctx() -> EvalContext {
    EvalContext {
        vnet_prefixes: vec!["10.13.0.0/16".parse().unwrap()],
        ..EvalContext::default()
    }
}

/// Spec §3, §4: the blog's cluster exposes exactly TCP 8080 on 203.0.113.10, reaching
/// the node's NIC and the two kuard-vnode pods on 8080, to every Internet source.
#[test]
fn blog_exposes_exactly_tcp_8080_to_every_internet_source() {
    let scenario = blog();
    let found = exposure(&scenario);
    println!("{}", exposure_to_text(&found));
    let summary: Vec<(String, ExposedKind, Protocol, Vec<String>)> = found
        .entries
        .iter()
        .map(|e| {
            (
                e.component.clone(),
                e.kind,
                e.protocol,
                packetwalk::analysis::port_texts(&e.ports),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "nic:aks-nodepool1-26711606-nic-0".to_owned(),
                ExposedKind::Nic,
                Protocol::Tcp,
                vec!["8080".to_owned()]
            ),
            (
                "pod:kuard-vnode-6c4b7d9f8-5kx2p".to_owned(),
                ExposedKind::Pod,
                Protocol::Tcp,
                vec!["8080".to_owned()]
            ),
            (
                "pod:kuard-vnode-6c4b7d9f8-q7wzr".to_owned(),
                ExposedKind::Pod,
                Protocol::Tcp,
                vec!["8080".to_owned()]
            ),
        ]
    );
    let every_internet = internet(&vnet_ctx()).same_family(ip("203.0.113.10"));
    for entry in &found.entries {
        assert_eq!(
            entry.public_ip,
            "public-ip:kubernetes-a094204ca555d11e9b1619a6af760136"
        );
        assert_eq!(entry.public_ip_address, ip("203.0.113.10"));
        assert_eq!(entry.frontend_ports, PortSet::single(8080));
        assert!(entry.every_internet_source, "{}", entry.component);
        assert_eq!(entry.sources, every_internet);
        assert_eq!(
            entry.explanation.load_balancing_rule,
            "a094204ca555d11e9b1619a6af760136-TCP-8080"
        );
        assert_eq!(
            entry.explanation.nsg_rules,
            vec![format!("{BLOG_NSG}/securityRules/{BLOG_RULE}")]
        );
    }
    // The sources are the whole IPv4 space but the VNet and the host's IP.
    let sources = found.entries[0].sources.to_cidr_strings();
    assert!(sources.contains(&"0.0.0.0/5".to_owned()), "{sources:?}");
    assert!(!sources.iter().any(|s| s.starts_with("10.13.")));
    let json = serde_json::to_value(&found).unwrap();
    assert_eq!(json["entries"][1]["everyInternetSource"], true);
    assert_eq!(json["entries"][1]["kind"], "pod");
    assert_eq!(json["entries"][1]["ports"][0], "8080");
    assert_eq!(
        json["entries"][1]["explanation"]["service"],
        "default/kuard-vnode"
    );
}

/// Spec §3: with loadBalancerSourceRanges the cloud provider writes the rule for those
/// sources only; the exposure is the same port to exactly those prefixes.
#[test]
fn source_restricted_rule_exposes_only_those_sources() {
    let mut scenario = blog();
    let nsg = scenario.network_security_groups.get_mut(BLOG_NSG).unwrap();
    nsg.security_rules[0].source = prefixes(&["198.51.100.0/24", "192.0.2.7"]);
    nsg.security_rules[0].name =
        "a094204ca555d11e9b1619a6af760136-TCP-8080-198.51.100.0_24".to_owned();
    let found = exposure(&scenario);
    assert_eq!(found.entries.len(), 3);
    for entry in &found.entries {
        assert!(!entry.every_internet_source);
        assert_eq!(
            entry.sources.to_cidr_strings(),
            vec!["192.0.2.7", "198.51.100.0/24"]
        );
        assert_eq!(entry.ports, PortSet::single(8080));
    }
}

/// Spec §1: without the allow rule DenyAllInBound closes everything; nothing is exposed.
#[test]
fn without_the_allow_rule_nothing_is_exposed() {
    let mut scenario = blog();
    scenario
        .network_security_groups
        .get_mut(BLOG_NSG)
        .unwrap()
        .security_rules
        .clear();
    let found = exposure(&scenario);
    assert!(found.entries.is_empty(), "{found:?}");
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.contains("deny every Internet source")),
        "{:?}",
        found.notes
    );
}

/// Spec §3: with no ready pod the NodePort probe fails on every node: nothing passes.
#[test]
fn no_ready_pods_exposes_nothing() {
    let mut scenario = blog();
    for pod in &mut scenario.pods {
        pod.ready = false;
    }
    let found = exposure(&scenario);
    assert!(found.entries.is_empty(), "{found:?}");
}

/// Spec §1: the single-NSG analysis from the Internet: only TCP 8080 to 203.0.113.10 is
/// allowed, explained by the cloud provider's rule; UDP nothing.
#[test]
fn single_nsg_from_the_internet() {
    let scenario = blog();
    let nsg = scenario.network_security_groups.get(BLOG_NSG).unwrap();
    let ctx = vnet_ctx();
    let reach = nsg_exposure(
        nsg,
        Direction::Inbound,
        Protocol::Tcp,
        &internet(&ctx),
        &ctx,
    );
    assert_eq!(reach.allowed.len(), 1);
    assert_eq!(reach.allowed[0].name, BLOG_RULE);
    assert_eq!(
        reach.allowed_destinations(),
        AddrSet::from_ip(ip("203.0.113.10"))
    );
    assert_eq!(reach.allowed_destination_ports(), PortSet::single(8080));
    assert_eq!(reach.denied[0].name, "DenyAllInBound");
    let udp = nsg_exposure(
        nsg,
        Direction::Inbound,
        Protocol::Udp,
        &internet(&ctx),
        &ctx,
    );
    assert!(udp.allowed.is_empty());
    // From the VNet, AllowVnetInBound allows every port to VNet destinations.
    let vnet = packetwalk::analysis::virtual_network(&ctx);
    let inside = nsg_exposure(nsg, Direction::Inbound, Protocol::Tcp, &vnet, &ctx);
    assert!(inside.allowed.iter().any(|r| r.name == "AllowVnetInBound"));
    assert!(inside.allowed_destination_ports().is_full());
}

/// Spec §1: a rule after a rule that covers it entirely never decides.
#[test]
fn lint_shadowed() {
    let nsg = nsg_with(vec![
        rule(
            "deny-ssh-all",
            100,
            Access::Deny,
            "*",
            &["*"],
            &["*"],
            &["22"],
        ),
        rule(
            "allow-ssh-office",
            200,
            Access::Allow,
            "Tcp",
            &["198.51.100.0/24"],
            &["*"],
            &["22"],
        ),
    ]);
    let findings = lint_nsg(&nsg, &vnet_ctx());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].kind, FindingKind::Shadowed);
    assert_eq!(findings[0].rules, vec!["allow-ssh-office", "deny-ssh-all"]);
    assert!(findings[0].message.contains("can never decide"));
    let json = serde_json::to_value(&findings[0]).unwrap();
    assert_eq!(json["kind"], "shadowed");
}

/// Spec §1: shadowed by the union of several rules, none of which covers it alone.
#[test]
fn lint_shadowed_by_union() {
    let nsg = nsg_with(vec![
        rule(
            "web-low",
            100,
            Access::Allow,
            "Tcp",
            &["*"],
            &["*"],
            &["0-8000"],
        ),
        rule(
            "web-high",
            110,
            Access::Deny,
            "Tcp",
            &["*"],
            &["*"],
            &["8001-65535"],
        ),
        rule(
            "web-8080",
            120,
            Access::Allow,
            "Tcp",
            &["Internet"],
            &["10.13.0.0/16"],
            &["8080", "443"],
        ),
    ]);
    let findings = lint_nsg(&nsg, &vnet_ctx());
    let shadowed: Vec<_> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Shadowed)
        .collect();
    assert_eq!(shadowed.len(), 1, "{findings:#?}");
    assert_eq!(shadowed[0].rules, vec!["web-8080", "web-low", "web-high"]);
}

/// Spec §1: an allow covered by a later allow with no deny in between is redundant; with
/// a deny in between it is not.
#[test]
fn lint_redundant() {
    let nsg = nsg_with(vec![
        rule(
            "allow-web-office",
            100,
            Access::Allow,
            "Tcp",
            &["198.51.100.0/24"],
            &["*"],
            &["443"],
        ),
        rule(
            "allow-web-all",
            200,
            Access::Allow,
            "Tcp",
            &["*"],
            &["*"],
            &["443", "80"],
        ),
    ]);
    let findings = lint_nsg(&nsg, &vnet_ctx());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].kind, FindingKind::Redundant);
    assert_eq!(findings[0].rules, vec!["allow-web-office", "allow-web-all"]);

    let blocked = nsg_with(vec![
        rule(
            "allow-web-office",
            100,
            Access::Allow,
            "Tcp",
            &["198.51.100.0/24"],
            &["*"],
            &["443"],
        ),
        rule(
            "deny-one-host",
            150,
            Access::Deny,
            "*",
            &["198.51.100.7"],
            &["*"],
            &["*"],
        ),
        rule(
            "allow-web-all",
            200,
            Access::Allow,
            "Tcp",
            &["*"],
            &["*"],
            &["443", "80"],
        ),
    ]);
    let findings = lint_nsg(&blocked, &vnet_ctx());
    assert!(
        findings.iter().all(|f| f.rules[0] != "allow-web-office"),
        "{findings:#?}"
    );
}

/// Spec §1: a deny of Internet traffic that DenyAllInBound denies anyway is redundant.
#[test]
fn lint_redundant_deny_before_default() {
    let nsg = nsg_with(vec![rule(
        "deny-internet",
        4000,
        Access::Deny,
        "*",
        &["Internet"],
        &["*"],
        &["*"],
    )]);
    let findings = lint_nsg(&nsg, &vnet_ctx());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].kind, FindingKind::Redundant);
    assert_eq!(findings[0].rules, vec!["deny-internet", "DenyAllInBound"]);
}

/// Spec §1, §2: a rule whose only prefix is invalid matches nothing.
#[test]
fn lint_never_matches() {
    let mut bad = rule(
        "bad-prefix",
        100,
        Access::Allow,
        "Tcp",
        &["*"],
        &["*"],
        &["22"],
    );
    bad.source = AddressSpec::Prefixes(vec![AddressPrefix::Invalid("789".to_owned())]);
    let mut icmp = rule(
        "icmp-port",
        110,
        Access::Allow,
        "Icmp",
        &["*"],
        &["*"],
        &["22"],
    );
    icmp.protocol = RuleProtocol::Only(Protocol::Icmp);
    let findings = lint_nsg(&nsg_with(vec![bad, icmp]), &vnet_ctx());
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings.iter().all(|f| f.kind == FindingKind::NeverMatches));
    assert!(findings[0].message.contains("\"789\""));
}

/// Spec §3: a Service with loadBalancerSourceRanges, but the NSG allows its port from
/// Internet: the rule is wider than intended.
#[test]
fn lint_wider_than_intended() {
    let mut scenario = blog();
    scenario.services[0].load_balancer_source_ranges = vec!["198.51.100.0/24".to_owned()];
    let nsg = scenario
        .network_security_groups
        .get(BLOG_NSG)
        .unwrap()
        .clone();
    let findings = lint_nsg_in_scenario(&nsg, &scenario);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].kind, FindingKind::WiderThanIntended);
    assert_eq!(findings[0].rules, vec![BLOG_RULE]);
    assert!(findings[0].message.contains("198.51.100.0/24"));

    // The rule written for the range is fine.
    let mut scenario2 = scenario.clone();
    let nsg2 = scenario2.network_security_groups.get_mut(BLOG_NSG).unwrap();
    nsg2.security_rules[0].source = prefixes(&["198.51.100.0/24"]);
    let nsg2 = nsg2.clone();
    assert!(lint_nsg_in_scenario(&nsg2, &scenario2).is_empty());
}

/// Spec §1: the blog's NSG has nothing to report.
#[test]
fn lint_blog_is_clean() {
    let scenario = blog();
    let nsg = scenario.network_security_groups.get(BLOG_NSG).unwrap();
    assert!(lint_nsg_in_scenario(nsg, &scenario).is_empty());
}

fn three_nodes() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../www/scenarios/three-nodes.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Spec §4 (Cluster policy: SNAT to the node's IP, then across the VNet) and §1: an
/// outbound rule that denies one pod's address closes the SNATed hops to that pod only.
/// The exposure reuses a hop's answer for addresses the NSGs cannot tell apart, so this
/// checks that two pods the rule does tell apart get different answers.
#[test]
fn snat_hops_are_decided_per_pod_address() {
    let mut scenario = three_nodes();
    let mut deny = rule(
        "deny-to-k2x9p",
        100,
        Access::Deny,
        "Tcp",
        &["*"],
        &["10.224.0.20/32"],
        &["8080"],
    );
    deny.direction = Direction::Outbound;
    scenario
        .network_security_groups
        .get_mut("aks-agentpool-31415926-nsg")
        .unwrap()
        .security_rules
        .push(deny);
    let found = exposure(&scenario);
    let paths = |pod: &str| -> Vec<String> {
        found
            .entries
            .iter()
            .filter(|e| e.component == format!("pod:{pod}"))
            .flat_map(|e| e.explanation.paths.clone())
            .collect()
    };
    // The denied pod: only through its own node, where kube-proxy needs no SNAT.
    let denied = paths("web-cluster-5d9f7c8b6-k2x9p");
    assert!(!denied.is_empty(), "{found:#?}");
    assert!(
        denied
            .iter()
            .all(|p| p.contains("-> node aks-nodepool1-31415926-0") && !p.contains("SNAT")),
        "{denied:#?}"
    );
    // The other Cluster pod: still through every node, two of them by SNAT.
    let open = paths("web-cluster-5d9f7c8b6-m7q4w");
    assert_eq!(
        open.iter().filter(|p| p.contains("SNAT")).count(),
        2,
        "{open:#?}"
    );
    for node in ["1", "2"] {
        assert!(
            found.notes.iter().any(|n| n
                == &format!("The NSGs deny the SNATed hop from node aks-nodepool1-31415926-{node} to pod web-cluster-5d9f7c8b6-k2x9p on aks-nodepool1-31415926-0.")),
            "{:#?}",
            found.notes
        );
    }
}
