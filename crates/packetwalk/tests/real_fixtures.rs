//! Every real document in `crates/packetwalk/fixtures/real` (spec §2; provenance in its SOURCES.md): the NSG ones import
//! without error, with warnings exactly where the recording has odd values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{read_json, real_fixtures_dir};
use packetwalk::{
    import_nsg, import_nsgs, validate_nsg, AddressPrefix, AddressSpec, PortRange, Warning,
};

fn is_nsg_document(file: &str) -> bool {
    (file.contains("_nsg") && !file.contains("_nic_"))
        || file.contains("nsg-rule")
        || file.contains("nsg-show")
        || file.contains("nsg-create")
        || file.contains("rule-create")
}

fn rendered(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn every_nsg_document_imports_and_others_are_refused() {
    let mut seen = 0;
    for entry in std::fs::read_dir(real_fixtures_dir()).expect("crates/packetwalk/fixtures/real") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_owned();
        if !file.ends_with(".json") {
            continue;
        }
        seen += 1;
        let doc = read_json(&path);
        let result = import_nsg(&doc, "fallback");
        if is_nsg_document(&file) {
            let imported = result.unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(imported.value.default_security_rules.len() >= 6, "{file}");
            for nsg in import_nsgs(&doc).value {
                // The validator and the evaluator take anything the importer gives.
                let _ = validate_nsg(&nsg);
            }
        } else {
            assert!(
                result.is_err(),
                "{file} is not an NSG document but imported"
            );
        }
    }
    assert!(seen >= 24, "only {seen} fixtures found");
}

fn import_file(file: &str) -> packetwalk::Imported<packetwalk::NetworkSecurityGroup> {
    let doc = read_json(&real_fixtures_dir().join(file));
    import_nsg(&doc, "fallback").unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn invalid_prefixes_789_and_1234_warn_naming_nsg_rule_and_field() {
    // spec §2 "Real documents carry values that are not valid prefixes (a recording has "789")"
    let imported = import_file("azure-arm_nsg_custom-rule.json");
    assert_eq!(
        rendered(&imported.warnings),
        vec![
            r#"NSG test-nsg1, rule web, sourceAddressPrefix "789": not an IP address, CIDR prefix or service tag; it never matches"#,
            r#"NSG test-nsg1, rule web, destinationAddressPrefix "1234": not an IP address, CIDR prefix or service tag; it never matches"#,
        ]
    );
    let web = &imported.value.security_rules[0];
    assert_eq!(
        web.source,
        AddressSpec::Prefixes(vec![AddressPrefix::Invalid("789".into())])
    );
    assert_eq!(web.destination_ports, vec![PortRange::single(4444)]);
}

#[test]
fn single_rule_document_takes_its_nsg_from_the_id_and_warns_on_111() {
    let imported = import_file("azure-arm_nsg-rule_outbound-deny-port-range.json");
    assert_eq!(imported.value.name, "test-nsg1");
    assert_eq!(
        imported.value.resource_group.as_deref(),
        Some("cli_test_nsg000001")
    );
    assert_eq!(imported.value.security_rules.len(), 1);
    // spec §1 "A document that lists only custom rules ... still has these six"
    assert_eq!(imported.value.default_security_rules.len(), 6);
    let fields: Vec<_> = imported
        .warnings
        .iter()
        .map(|w| (w.field.as_deref(), w.value.as_deref()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (Some("sourceAddressPrefix"), Some("111")),
            (Some("destinationAddressPrefix"), Some("111"))
        ]
    );
    let rule = &imported.value.security_rules[0];
    assert_eq!(rule.description.as_deref(), Some("cool"));
    assert_eq!(
        rule.source_ports,
        vec![PortRange::Range {
            first: 1234,
            last: 1235
        }]
    );
}

#[test]
fn empty_singular_beside_a_filled_plural_list_is_not_a_problem() {
    // spec §2 "a singular field may be "" or absent beside a filled plural list"
    for file in [
        "azure-arm_nsg-rule_dst-prefixes-src-port-ranges.json",
        "azure-arm_nsg-rule_src-prefixes-dst-port-ranges.json",
        "az-cli-flattened_nsg-rule-create_port-ranges-array.json",
    ] {
        let imported = import_file(file);
        assert_eq!(rendered(&imported.warnings), Vec::<String>::new(), "{file}");
    }
    let rule = &import_file("azure-arm_nsg-rule_src-prefixes-dst-port-ranges.json")
        .value
        .security_rules[0];
    assert_eq!(
        rule.destination_ports,
        vec![
            PortRange::Range {
                first: 500,
                last: 1000
            },
            PortRange::single(2000),
            PortRange::single(3000)
        ]
    );
    assert_eq!(
        rule.destination,
        AddressSpec::Prefixes(vec![AddressPrefix::ServiceTag("Internet".into())])
    );
}

#[test]
fn wrapper_and_flattened_show_documents() {
    let wrapped = import_file("az-cli-flattened_nsg-create_NewNSG-wrapper.json");
    assert_eq!(wrapped.value.name, "myNSGNameb1404f");
    assert_eq!(
        wrapped.value.resource_group.as_deref(),
        Some("myResourceGroupb1404f")
    );
    // The docs author cut defaultSecurityRules to one entry; the other five are added.
    assert_eq!(wrapped.value.default_security_rules.len(), 6);
    let shown = import_file("az-cli-flattened_nsg-show_docs-create-cli-complete.json");
    assert_eq!(rendered(&shown.warnings), Vec::<String>::new());
    assert_eq!(shown.value.name, "myNetworkSecurityGroup");
}

#[test]
fn arm_list_of_32_nsgs() {
    let doc = read_json(&real_fixtures_dir().join("azure-arm_nsg_list_subscription-32-nsgs.json"));
    let imported = import_nsgs(&doc);
    assert_eq!(imported.value.len(), 32);
    // The list holds test-nsg1 as recorded, with its "789" and "1234".
    assert_eq!(
        rendered(&imported.warnings),
        vec![
            r#"NSG test-nsg1, rule web, sourceAddressPrefix "789": not an IP address, CIDR prefix or service tag; it never matches"#,
            r#"NSG test-nsg1, rule web, destinationAddressPrefix "1234": not an IP address, CIDR prefix or service tag; it never matches"#,
        ]
    );
    let protocols: Vec<String> = imported
        .value
        .iter()
        .flat_map(|n| &n.security_rules)
        .map(|r| r.protocol.as_text().to_owned())
        .collect();
    assert!(
        protocols
            .iter()
            .all(|p| ["Tcp", "Udp", "*"].contains(&p.as_str())),
        "{protocols:?}"
    );
    let v6 = import_file("azure-arm_nsg_from-list_ipv6-outbound-rule.json");
    assert!(v6.value.security_rules.iter().any(|r| matches!(
        &r.destination,
        AddressSpec::Prefixes(p) if matches!(p.as_slice(), [AddressPrefix::Cidr(n)] if n.to_string() == "2404:f801:9000:1a:6feb::4aee/128")
    )));
}
