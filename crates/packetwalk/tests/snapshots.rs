//! Snapshots (insta) of what a reader sees: the NSG diagnostics table of `evaluate_nsg`
//! and the `az network nsg rule list -o table` export, for the blog's NSG and a real
//! document with odd values. Review changes with `cargo insta review`; CI runs with
//! `CI=true`, so a missing or changed snapshot fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{read_json, real_fixtures_dir};
use packetwalk::export::format_table;
use packetwalk::{
    evaluate_nsg, import_nsg, parse_endpoint, rule_table, AppliedTo, Direction, EvalContext, Flow,
    NetworkSecurityGroup, NsgEvaluation, Protocol,
};

fn blog_nsg() -> NetworkSecurityGroup {
    let scenario: packetwalk::scenario::Scenario =
        serde_json::from_str(include_str!("../../../www/scenarios/blog-part4.json"))
            .expect("the blog scenario");
    scenario
        .network_security_groups
        .nsgs
        .first()
        .cloned()
        .expect("the blog's NSG")
}

fn blog_ctx() -> EvalContext {
    EvalContext {
        vnet_prefixes: vec!["10.13.0.0/16".parse().expect("CIDR")],
        ..EvalContext::default()
    }
}

fn inbound(protocol: Protocol, local: &str, remote: &str) -> Flow {
    let (local_ip, local_port) = parse_endpoint(local).expect("local");
    let (remote_ip, remote_port) = parse_endpoint(remote).expect("remote");
    Flow {
        direction: Direction::Inbound,
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
    }
}

/// The diagnostics as text: the verdict, one row per rule in priority order with its five
/// match columns, and the notes.
fn render(flow: &Flow, e: &NsgEvaluation) -> String {
    let headers = [
        "Priority", "Name", "Access", "Protocol", "Source", "SrcPort", "Dest", "DestPort",
        "Matched",
    ];
    let rows: Vec<Vec<String>> = e
        .rules
        .iter()
        .map(|r| {
            vec![
                r.priority.to_string(),
                r.name.clone(),
                r.access.as_str().to_owned(),
                r.protocol.as_symbol().to_owned(),
                r.source.as_symbol().to_owned(),
                r.source_port.as_symbol().to_owned(),
                r.destination.as_symbol().to_owned(),
                r.destination_port.as_symbol().to_owned(),
                if r.decided {
                    "decides".to_owned()
                } else if r.matched {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
            ]
        })
        .collect();
    let mut out = format!(
        "flow: {} {} local {}:{} remote {}:{}\nNSG {} ({:?}): {} by {}\n\n",
        flow.direction.as_str(),
        flow.protocol.as_str(),
        flow.local_ip,
        flow.local_port,
        flow.remote_ip,
        flow.remote_port,
        e.nsg_name,
        e.applied_to,
        e.access.as_str(),
        e.rule_name,
    );
    out.push_str(&format_table(&headers, &rows));
    for note in &e.notes {
        out.push_str("note: ");
        out.push_str(note);
        out.push('\n');
    }
    out
}

#[test]
fn blog_flow_is_allowed_by_the_cloud_provider_rule() {
    let nsg = blog_nsg();
    let flow = inbound(Protocol::Tcp, "203.0.113.10:8080", "198.51.100.23:50123");
    let e = evaluate_nsg(&nsg, AppliedTo::Nic, &flow, &blog_ctx());
    assert_eq!(
        e.rule_name,
        "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet"
    );
    insta::assert_snapshot!("blog_tcp_8080", render(&flow, &e));
}

#[test]
fn blog_port_22_falls_to_deny_all_inbound() {
    let nsg = blog_nsg();
    let flow = inbound(Protocol::Tcp, "203.0.113.10:22", "198.51.100.23:50124");
    let e = evaluate_nsg(&nsg, AppliedTo::Nic, &flow, &blog_ctx());
    assert_eq!(e.rule_name, "defaultSecurityRules/DenyAllInBound");
    insta::assert_snapshot!("blog_tcp_22", render(&flow, &e));
}

#[test]
fn blog_rule_table() {
    insta::assert_snapshot!("blog_rule_table", rule_table(&blog_nsg(), true));
}

#[test]
fn odd_real_fixture_table_warnings_and_evaluation() {
    // azure-arm_nsg_custom-rule.json carries "789" and "1234" as address prefixes.
    let file = "azure-arm_nsg_custom-rule.json";
    let imported = import_nsg(&read_json(&real_fixtures_dir().join(file)), "fallback").expect(file);
    let nsg = &imported.value;
    let mut text = String::from("warnings:\n");
    for w in &imported.warnings {
        text.push_str(&format!("- {w}\n"));
    }
    text.push('\n');
    text.push_str(&rule_table(nsg, true));
    text.push('\n');
    let flow = inbound(Protocol::Tcp, "10.0.0.4:80", "198.51.100.23:50000");
    let e = evaluate_nsg(nsg, AppliedTo::Nic, &flow, &EvalContext::default());
    text.push_str(&render(&flow, &e));
    insta::assert_snapshot!("odd_fixture_custom_rule", text);
}
