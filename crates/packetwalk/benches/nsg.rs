//! One flow through a 1,000-rule NSG (Azure's maximum), worst case (the deciding rule is
//! the last) and typical (decided within the first tens); compile and import times.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use packetwalk::{
    evaluate_nsg, import_nsgs, to_az_json, Access, AddressPrefix, AddressSpec, AppliedTo,
    CompiledNsg, Direction, EvalContext, Flow, NetworkSecurityGroup, PortRange, Protocol,
    RuleProtocol, SecurityRule,
};
use std::net::{IpAddr, Ipv4Addr};

/// 999 user rules that do not match the benchmark flow (distinct sources, ports and
/// protocols), plus the defaults: the flow falls to DenyAllInBound, the last rule.
fn big_nsg() -> NetworkSecurityGroup {
    let mut nsg = NetworkSecurityGroup::new("bench");
    for i in 0..994u32 {
        let octets = (i + 1).to_be_bytes();
        nsg.security_rules.push(SecurityRule {
            name: format!("rule-{i}"),
            description: None,
            priority: 100 + i,
            direction: Direction::Inbound,
            access: if i % 2 == 0 {
                Access::Allow
            } else {
                Access::Deny
            },
            protocol: if i % 3 == 0 {
                RuleProtocol::Any
            } else {
                RuleProtocol::Only(Protocol::Tcp)
            },
            source: AddressSpec::Prefixes(vec![AddressPrefix::Cidr(
                format!("20.{}.{}.0/24", octets[2], octets[3])
                    .parse()
                    .expect("CIDR"),
            )]),
            source_ports: vec![PortRange::Any],
            destination: AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag(
                "VirtualNetwork".into(),
            )]),
            destination_ports: vec![PortRange::Range {
                first: (1000 + i) as u16,
                last: (1000 + i) as u16,
            }],
        });
    }
    nsg
}

fn flow(remote: Ipv4Addr, port: u16) -> Flow {
    Flow {
        direction: Direction::Inbound,
        protocol: Protocol::Tcp,
        local_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4)),
        local_port: port,
        remote_ip: IpAddr::V4(remote),
        remote_port: 50000,
    }
}

fn benches(c: &mut Criterion) {
    let nsg = big_nsg();
    let ctx = EvalContext {
        vnet_prefixes: vec!["10.0.0.0/16".parse().expect("CIDR")],
        ..EvalContext::default()
    };
    let compiled = CompiledNsg::new(&nsg, &ctx);
    // Worst case: from the Internet, matches no user rule; DenyAllInBound (rule 1,000) decides.
    let worst = flow(Ipv4Addr::new(198, 51, 100, 7), 8080);
    // Typical: rule-20 (the 21st) decides.
    let typical = flow(Ipv4Addr::new(20, 0, 21, 9), 1020);
    assert_eq!(
        compiled
            .decide(&worst)
            .rule
            .map(|r| r.rule_name(&nsg))
            .as_deref(),
        Some("defaultSecurityRules/DenyAllInBound")
    );
    assert_eq!(
        compiled
            .decide(&typical)
            .rule
            .map(|r| r.rule_name(&nsg))
            .as_deref(),
        Some("securityRules/rule-20")
    );

    c.bench_function("compiled decide, 1000 rules, worst case", |b| {
        b.iter(|| compiled.decide(black_box(&worst)))
    });
    c.bench_function("compiled decide, 1000 rules, typical", |b| {
        b.iter(|| compiled.decide(black_box(&typical)))
    });
    c.bench_function("evaluate_nsg (explained), 1000 rules, worst case", |b| {
        b.iter(|| evaluate_nsg(black_box(&nsg), AppliedTo::Nic, black_box(&worst), &ctx))
    });
    c.bench_function("evaluate_nsg (explained), 1000 rules, typical", |b| {
        b.iter(|| evaluate_nsg(black_box(&nsg), AppliedTo::Nic, black_box(&typical), &ctx))
    });
    c.bench_function("CompiledNsg::new, 1000 rules", |b| {
        b.iter(|| CompiledNsg::new(black_box(&nsg), &ctx))
    });
    let doc = to_az_json(&nsg);
    let text = serde_json::to_string(&doc).expect("JSON");
    c.bench_function("parse 1000-rule NSG JSON into json::Value", |b| {
        b.iter(|| serde_json::from_str::<packetwalk::json::Value>(black_box(&text)).expect("JSON"))
    });
    c.bench_function("import_nsgs of the parsed 1000-rule NSG", |b| {
        b.iter(|| import_nsgs(black_box(&doc)))
    });
    c.bench_function("import 1000-rule NSG (parse JSON + import)", |b| {
        b.iter(|| {
            let value: packetwalk::json::Value =
                serde_json::from_str(black_box(&text)).expect("JSON");
            import_nsgs(&value)
        })
    });
}

/// The page's work per packet: the blog scenario (www/scenarios/blog-part4.json), traced.
fn trace_benches(c: &mut Criterion) {
    let scenario: packetwalk::scenario::Scenario =
        serde_json::from_str(include_str!("../../../www/scenarios/blog-part4.json"))
            .expect("the blog scenario");
    let trace = packetwalk::trace::trace_named(&scenario, None).expect("trace");
    assert_eq!(trace.verdict, packetwalk::trace::Verdict::Delivered);
    c.bench_function(
        "trace of the blog scenario's flow (internet-to-kuard)",
        |b| b.iter(|| packetwalk::trace::trace_named(black_box(&scenario), None)),
    );
    let names: Vec<String> = scenario.flows.iter().map(|f| f.name.clone()).collect();
    c.bench_function(
        &format!("trace of all {} flows of the blog scenario", names.len()),
        |b| {
            b.iter(|| {
                for name in &names {
                    let _ = black_box(packetwalk::trace::trace_named(
                        black_box(&scenario),
                        Some(name),
                    ));
                }
            })
        },
    );
}

criterion_group!(nsg_benches, benches, trace_benches);
criterion_main!(nsg_benches);
