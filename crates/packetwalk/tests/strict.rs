//! What Azure refuses, taken leniently by the import with a warning that names NSG, rule
//! and field (spec §1 "User rules have priority 100..4096; two rules in one NSG cannot
//! share a priority in the same direction"; "Limits: 1,000 rules per NSG"), refused by the
//! editor, and documents that are not scenarios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::edit::{self, Edit, RuleForm};
use packetwalk::json::Value;
use packetwalk::scenario::{shape_problem, Scenario};
use packetwalk::{
    evaluate_nsg, import_nsgs, parse_endpoint, unbracketed_ipv6_hint, validate_nsg, Access,
    AppliedTo, Direction, EvalContext, Flow, Protocol,
};

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn rule_json(name: &str, priority: &str, direction: &str, access: &str, port: u32) -> String {
    format!(
        r#"{{"name":"{name}","priority":{priority},"direction":"{direction}","access":"{access}","protocol":"Tcp","sourceAddressPrefix":"*","sourcePortRange":"*","destinationAddressPrefix":"*","destinationPortRange":"{port}"}}"#
    )
}

fn import_warnings(rules: &[String]) -> Vec<String> {
    let text = format!(r#"{{"name":"n","securityRules":[{}]}}"#, rules.join(","));
    import_nsgs(&doc(&text))
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn user_priorities_outside_100_to_4096_are_named() {
    // spec §1: user rules have priority 100..4096.
    for priority in [0, 50, 99, 4097] {
        assert_eq!(
            import_warnings(&[rule_json("r", &priority.to_string(), "Inbound", "Allow", 80)]),
            vec![format!(
                "NSG n, rule r, priority \"{priority}\": out of range: a priority must be between 100 and 4096 (Azure refuses the rule); evaluated at {priority} as written"
            )]
        );
    }
    assert_eq!(
        import_warnings(&[rule_json("r", "65000", "Inbound", "Allow", 80)]),
        vec!["NSG n, rule r, priority \"65000\": out of range: a priority must be between 100 and 4096 (Azure refuses the rule); evaluated at 65000 as written, before the default rule of that priority"]
    );
    for priority in [100, 4096] {
        assert!(import_warnings(&[rule_json(
            "r",
            &priority.to_string(),
            "Inbound",
            "Allow",
            80
        )])
        .is_empty());
    }
}

#[test]
fn negative_and_huge_priorities_are_out_of_range_not_fractions() {
    for (written, shown) in [
        ("-5", "-5"),
        ("18446744073709551616", "18446744073709551616"),
        ("\"-5\"", "-5"),
        (
            "\"99999999999999999999999999999999999999999\"",
            "99999999999999999999999999999999999999999",
        ),
    ] {
        assert_eq!(
            import_warnings(&[rule_json("r", written, "Inbound", "Allow", 80)]),
            vec![format!(
                "NSG n, rule r, priority \"{shown}\": out of range: a priority is a whole number from 100 to 4096; taken as 4096, the last user priority"
            )],
            "{written}"
        );
    }
    assert_eq!(
        import_warnings(&[rule_json("r", "12.5", "Inbound", "Allow", 80)]),
        vec!["NSG n, rule r, priority \"12.5\": not a whole number; taken as 4096, the last user priority"]
    );
}

#[test]
fn duplicate_priorities_say_which_rule_decides() {
    // spec §1: two rules cannot share a priority in one direction; the evaluator takes
    // document order (eval::rules_in_priority_order) and the warning says so.
    let rules = [
        rule_json("web", "500", "Inbound", "Allow", 8080),
        rule_json("block", "500", "Inbound", "Deny", 8080),
        rule_json("out", "500", "Outbound", "Allow", 8080),
    ];
    assert_eq!(
        import_warnings(&rules),
        vec!["NSG n, rule block, priority \"500\": rule web has the same priority in the same direction (Inbound), which Azure refuses; packetwalk lets rule web decide first, as it comes first in the document"]
    );
    let text = format!(r#"{{"name":"n","securityRules":[{}]}}"#, rules.join(","));
    let nsg = import_nsgs(&doc(&text)).value.remove(0);
    let flow = Flow {
        direction: Direction::Inbound,
        protocol: Protocol::Tcp,
        local_ip: "10.0.0.4".parse().unwrap(),
        local_port: 8080,
        remote_ip: "198.51.100.7".parse().unwrap(),
        remote_port: 50000,
    };
    let verdict = evaluate_nsg(&nsg, AppliedTo::Nic, &flow, &EvalContext::default());
    assert_eq!(verdict.access, Access::Allow);
    assert_eq!(verdict.rule_name, "securityRules/web");
}

#[test]
fn more_than_1000_rules_is_named_on_import_and_validation() {
    // spec §1 "Limits: 1,000 rules per NSG".
    let rules: Vec<String> = (0..1001)
        .map(|i| {
            rule_json(
                &format!("r{i}"),
                &(100 + i).to_string(),
                if i % 2 == 0 { "Inbound" } else { "Outbound" },
                "Allow",
                80,
            )
        })
        .collect();
    let expected =
        "NSG n, securityRules: 1001 rules; Azure allows at most 1000 in one NSG and refuses more";
    assert_eq!(import_warnings(&rules), vec![expected]);
    assert_eq!(import_warnings(&rules[..1000]), Vec::<String>::new());
    let text = format!(r#"{{"name":"n","securityRules":[{}]}}"#, rules.join(","));
    let nsg = import_nsgs(&doc(&text)).value.remove(0);
    let found: Vec<String> = validate_nsg(&nsg).iter().map(ToString::to_string).collect();
    assert_eq!(found, vec![expected]);
}

fn blog_scenario() -> Scenario {
    let text = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../www/scenarios/blog-part4.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn form(name: &str, priority: &str) -> RuleForm {
    RuleForm {
        name: name.to_owned(),
        priority: priority.to_owned(),
        direction: "Inbound".to_owned(),
        access: "Allow".to_owned(),
        protocol: "Tcp".to_owned(),
        source_address_prefix: "*".to_owned(),
        source_port_range: "*".to_owned(),
        destination_address_prefix: "*".to_owned(),
        destination_port_range: "80".to_owned(),
        ..RuleForm::default()
    }
}

#[test]
fn the_editor_refuses_what_the_import_warns_about() {
    let mut scenario = blog_scenario();
    let nsg = "aks-agentpool-26711606-nsg";
    let refusal = |scenario: &mut Scenario, form: RuleForm| -> Vec<String> {
        let edit = Edit::PutRule {
            nsg: nsg.to_owned(),
            replaces: None,
            rule: Box::new(form),
        };
        edit::apply(scenario, &edit)
            .unwrap_err()
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    for priority in ["0", "50", "99", "4097", "65000"] {
        assert_eq!(
            refusal(&mut scenario, form("r", priority)),
            vec![format!("NSG {nsg}, rule r, priority \"{priority}\": a priority must be between 100 and 4096")]
        );
    }
    assert_eq!(
        refusal(&mut scenario, form("r", "-5")),
        vec![format!(
            "NSG {nsg}, rule r, priority \"-5\": a priority is a whole number from 100 to 4096"
        )]
    );
    assert_eq!(
        refusal(&mut scenario, form("r", "500")),
        vec![format!("NSG {nsg}, rule r, priority \"500\": rule a094204ca555d11e9b1619a6af760136-TCP-8080-Internet has the same priority in the same direction (Inbound)")]
    );
    // Fill the NSG to Azure's limit; the next rule is refused, naming the limit.
    let target = scenario.network_security_groups.get_mut(nsg).unwrap();
    let template = target.security_rules[0].clone();
    while target.security_rules.len() < 1000 {
        let mut rule = template.clone();
        rule.name = format!("filler{}", target.security_rules.len());
        rule.priority = 0;
        target.security_rules.push(rule);
    }
    assert_eq!(
        refusal(&mut scenario, form("one-too-many", "4000"))
            .last()
            .unwrap(),
        // Not one field's problem: the editor shows it above the form's fields.
        &format!("NSG {nsg}: 1001 rules; Azure allows at most 1000 in one NSG and refuses more")
    );
}

#[test]
fn documents_that_are_not_scenarios_say_what_they_lack() {
    let needs = "a scenario is an object with \"vnet\" and \"nodes\" (docs/scenario-format.md)";
    for (text, expected) in [
        ("[]", format!("it is an empty array; {needs}")),
        ("5", format!("it is a number; {needs}")),
        ("{}", format!("it has no \"vnet\" and no \"nodes\" (it is an empty object); {needs}")),
        (
            r#"{"name":"n","securityRules":[]}"#,
            format!("it has no \"vnet\" and no \"nodes\" (it looks like an NSG: give it to flow-verify --nic-nsg, or import it into a scenario); {needs}"),
        ),
        (
            r#"{"apiVersion":"v1","kind":"Service"}"#,
            format!("it has no \"vnet\" and no \"nodes\" (it looks like a Kubernetes object: give it to apply -f); {needs}"),
        ),
        (r#"{"vnet":{},"nodes":5}"#, format!("its \"nodes\" is a number, not an array; {needs}")),
    ] {
        assert_eq!(shape_problem(&doc(text)), Some(expected), "{text}");
    }
    assert_eq!(shape_problem(&doc(r#"{"vnet":{},"nodes":[]}"#)), None);
}

#[test]
fn an_unbracketed_ipv6_endpoint_reads_as_an_address() {
    // `2001:db8::1:5000` is a valid IPv6 address: without brackets there is no port.
    assert_eq!(parse_endpoint("2001:db8::1:5000").unwrap().1, 0);
    assert_eq!(
        unbracketed_ipv6_hint("2001:db8::1:5000").as_deref(),
        Some("[2001:db8::1]:5000")
    );
}
