//! The az table and JSON shapes, and strict validation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use packetwalk::eval::RuleKind;
use packetwalk::import::parse_port_range;
use packetwalk::{
    import_nsg, rule_table, to_az_json, validate_nsg, validate_rule, Access, AddressPrefix,
    AddressSpec, Direction, NetworkSecurityGroup, PortRange, RuleProtocol, SecurityRule,
};

/// The blog's output of one `az` command, as quoted in `fixtures/blog/part4-az-tables.txt`
/// (the command is the `## ` line that heads it).
fn blog_table(command_ends_with: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/blog/part4-az-tables.txt");
    let text = std::fs::read_to_string(path).expect("the blog excerpt");
    let mut lines = text
        .lines()
        .skip_while(|l| !(l.starts_with("## ") && l.ends_with(command_ends_with)));
    assert!(
        lines.next().is_some(),
        "no `{command_ends_with}` in the excerpt"
    );
    lines
        .take_while(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn rule(name: &str, priority: u32) -> SecurityRule {
    SecurityRule {
        name: name.to_owned(),
        description: None,
        priority,
        direction: Direction::Inbound,
        access: Access::Allow,
        protocol: RuleProtocol::Only(packetwalk::Protocol::Tcp),
        source: AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag("Internet".into())]),
        source_ports: vec![PortRange::Any],
        destination: AddressSpec::Prefixes(vec![]),
        destination_ports: vec![PortRange::single(8080)],
    }
}

#[test]
fn default_rule_table_is_the_blogs_character_for_character() {
    // blog O5 / spec §2 "az network nsg rule list -o table columns"
    let mut nsg = NetworkSecurityGroup::new("aks-agentpool-26711606-nsg");
    nsg.resource_group = Some("MC_akstest_azurecnicluster_westeurope".to_owned());
    assert_eq!(
        rule_table(&nsg, true),
        blog_table("--include-default -o table")
    );
}

#[test]
fn service_rule_table_is_the_blogs() {
    // blog O10: the blog's table has no destination prefix (it hides the public IP), so the
    // rule here has none either.
    let mut nsg = NetworkSecurityGroup::new("aks-agentpool-26711606-nsg");
    nsg.resource_group = Some("MC_akstest_azurecnicluster_westeurope".to_owned());
    nsg.security_rules.push(rule(
        "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet",
        500,
    ));
    let ours = rule_table(&nsg, false);
    let blog = blog_table("$nsgname_azure -o table");
    let (ours_lines, blog_lines): (Vec<&str>, Vec<&str>) =
        (ours.lines().collect(), blog.lines().collect());
    assert_eq!(ours_lines[..2], blog_lines[..2]);
    // The blog deleted the destination IP and its padding: compare up to the port column.
    let through_port = |line: &str| line[..line.find("8080").expect("port") + 4].to_owned();
    assert_eq!(through_port(ours_lines[2]), through_port(blog_lines[2]));
    assert!(ours_lines[2].ends_with("None"));
}

#[test]
fn az_json_round_trips_the_real_fixtures() {
    for file in [
        "azure-arm_nsg_custom-rule.json",
        "azure-arm_nsg_from-list_databricks-source-prefix-arrays.json",
        "azure-arm_nsg_from-list_ipv6-outbound-rule.json",
        "az-cli-flattened_nsg-show_docs-create-cli-complete.json",
    ] {
        let doc = common::read_json(&common::real_fixtures_dir().join(file));
        let nsg = import_nsg(&doc, "x").expect("imports").value;
        let again = import_nsg(&to_az_json(&nsg), "other")
            .expect("re-imports")
            .value;
        assert_eq!(again, nsg, "{file}");
    }
}

#[test]
fn validation_names_nsg_rule_and_field() {
    // spec §1 "User rules have priority 100..4096; two rules in one NSG cannot share a
    // priority in the same direction. Names are at most 80 characters, descriptions 140."
    let mut nsg = NetworkSecurityGroup::new("n");
    let mut a = rule("a", 100);
    a.description = Some("x".repeat(141));
    let b = rule("b", 100);
    let mut c = rule(&"c".repeat(81), 4097);
    c.source_ports = vec![PortRange::Range {
        first: 90,
        last: 80,
    }];
    let mut d = rule("A", 200);
    d.direction = Direction::Outbound;
    d.destination =
        AddressSpec::ApplicationSecurityGroups((0..11).map(|i| format!("asg{i}")).collect());
    nsg.security_rules = vec![a, b, c, d];
    let found: Vec<String> = validate_nsg(&nsg).iter().map(ToString::to_string).collect();
    let expected = [
        "NSG n, rule a, priority \"100\": rule b has the same priority in the same direction (Inbound)",
        "NSG n, rule a, name \"a\": another rule of this NSG has the same name",
        "NSG n, rule a, description: a description is at most 140 characters",
        "NSG n, rule a, destinationAddressPrefixes: no destination address prefix or ASG",
        "NSG n, rule b, priority \"100\": rule a has the same priority in the same direction (Inbound)",
        "NSG n, rule b, destinationAddressPrefixes: no destination address prefix or ASG",
        "\": a name is at most 80 characters",
        "priority \"4097\": a priority must be between 100 and 4096",
        "sourcePortRange \"90-80\": the first port is greater than the last",
        "NSG n, rule A, name \"A\": another rule of this NSG has the same name",
        "NSG n, rule A, destinationApplicationSecurityGroups: at most 10 application security groups",
    ];
    for e in expected {
        assert!(
            found.iter().any(|f| f.contains(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len() + 1, "{found:#?}"); // + rule c's empty destination
                                                               // The default rules are valid; a rule index out of range has no findings.
    assert!(validate_rule(&nsg, RuleKind::Default, 0).is_empty());
    assert!(validate_rule(&nsg, RuleKind::User, 99).is_empty());
    assert_eq!(
        parse_port_range("90-80"),
        Err("the first port is greater than the last")
    );
}
