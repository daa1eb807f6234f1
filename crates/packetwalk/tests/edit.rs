//! Edits to a scenario (the page's editor): each is checked strictly, refused edits
//! change nothing, and applied ones change the verdicts as the spec says they would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::edit::{apply, form_field, replay, Edit, RuleForm, RULE_FORM_FIELDS};
use packetwalk::scenario::{ExternalTrafficPolicy, Scenario};
use packetwalk::trace::{trace, trace_named, PacketSpec, Verdict};
use proptest::prelude::*;
use std::path::PathBuf;

const NSG: &str = "aks-agentpool-26711606-nsg";
const RULE_8080: &str = "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet";

fn load(name: &str) -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../www/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn deny_8080() -> RuleForm {
    RuleForm {
        name: "deny-8080".to_owned(),
        access: "Deny".to_owned(),
        destination_port_range: "8080".to_owned(),
        ..RuleForm::new_inbound(400)
    }
}

fn verdict(scenario: &Scenario, flow: &str) -> (Verdict, Option<String>) {
    let t = trace_named(scenario, Some(flow)).unwrap();
    (t.verdict, t.reason)
}

#[test]
fn an_added_deny_rule_with_a_lower_number_decides() {
    // §1: the rule with the lowest priority number that matches decides.
    let mut s = load("blog-part4");
    assert_eq!(verdict(&s, "internet-to-kuard").0, Verdict::Delivered);
    let applied = apply(
        &mut s,
        &Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(deny_8080()),
        },
    )
    .unwrap();
    assert_eq!(
        applied.changes,
        [format!("NSG {NSG}: rule deny-8080 added")]
    );
    let (v, reason) = verdict(&s, "internet-to-kuard");
    assert_eq!(v, Verdict::Dropped);
    assert!(reason.unwrap().contains("deny-8080"));
}

#[test]
fn editing_a_rule_replaces_it_in_place() {
    // §1: priorities 100-4096; a changed port range changes what the rule matches.
    let mut s = load("blog-part4");
    let rule = s.network_security_groups.get(NSG).unwrap().security_rules[0].clone();
    let mut form = RuleForm::from_rule(&rule);
    assert_eq!(form.destination_port_range, "8080");
    form.destination_port_range = "9090".to_owned();
    apply(
        &mut s,
        &Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: Some(RULE_8080.to_owned()),
            rule: Box::new(form),
        },
    )
    .unwrap();
    let nsg = s.network_security_groups.get(NSG).unwrap();
    assert_eq!(nsg.security_rules.len(), 1);
    let (v, reason) = verdict(&s, "internet-to-kuard");
    assert_eq!(v, Verdict::Dropped);
    assert!(reason.unwrap().contains("DenyAllInBound"));
}

#[test]
fn bad_fields_are_refused_beside_their_field_and_change_nothing() {
    // §1 limits: the port range, priority and name rules; the editor is strict.
    let before = load("blog-part4");
    let mut s = before.clone();
    let form = RuleForm {
        name: "web".to_owned(),
        priority: "99".to_owned(),
        destination_port_range: "90-80".to_owned(),
        source_address_prefix: "10.0.0.300".to_owned(),
        ..RuleForm::new_inbound(0)
    };
    let err = apply(
        &mut s,
        &Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(form),
        },
    )
    .unwrap_err();
    assert_eq!(s, before);
    let by_field = |f: &str| {
        err.problems
            .iter()
            .find(|w| w.field.as_deref() == Some(f))
            .unwrap_or_else(|| panic!("no problem for {f}: {err}"))
    };
    assert!(by_field("destinationPortRange")
        .to_string()
        .starts_with(&format!(
            "NSG {NSG}, rule web, destinationPortRange \"90-80\""
        )));
    assert!(by_field("sourceAddressPrefix").message.contains("not"));
    assert!(by_field("priority").message.contains("100"));
    for w in &err.problems {
        assert!(RULE_FORM_FIELDS.contains(&w.field.as_deref().unwrap()));
    }
}

#[test]
fn empty_fields_and_clashes_are_refused() {
    let mut s = load("blog-part4");
    let empty = RuleForm::default();
    let err = apply(
        &mut s,
        &Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(empty),
        },
    )
    .unwrap_err();
    let fields: Vec<_> = err
        .problems
        .iter()
        .filter_map(|w| w.field.as_deref())
        .collect();
    for f in [
        "priority",
        "direction",
        "access",
        "protocol",
        "destinationPortRange",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    // §1: two rules of one direction cannot share a priority; names are unique.
    let clash = RuleForm {
        name: RULE_8080.to_owned(),
        destination_port_range: "22".to_owned(),
        ..RuleForm::new_inbound(500)
    };
    let err = apply(
        &mut s,
        &Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(clash),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("same priority"), "{err}");
    assert!(err.to_string().contains("same name"), "{err}");
}

#[test]
fn deleting_the_cloud_providers_rule_drops_the_packet_and_defaults_stay() {
    // §1 default rules, the blog's story (O7): DenyAllInBound decides once the rule goes.
    let mut s = load("blog-part4");
    apply(
        &mut s,
        &Edit::DeleteRule {
            nsg: NSG.to_owned(),
            rule: RULE_8080.to_owned(),
        },
    )
    .unwrap();
    let (v, reason) = verdict(&s, "internet-to-kuard");
    assert_eq!(v, Verdict::Dropped);
    assert!(reason.unwrap().contains("DenyAllInBound"));
    let err = apply(
        &mut s,
        &Edit::DeleteRule {
            nsg: NSG.to_owned(),
            rule: "DenyAllInBound".to_owned(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("default rules cannot be deleted"));
}

#[test]
fn an_nsg_on_the_subnet_must_allow_too() {
    // §1: inbound, the subnet's NSG is evaluated, then the NIC's; both must allow.
    let mut s = load("blog-part4");
    let subnet = s.nodes[0].subnet.clone();
    let applied = apply(
        &mut s,
        &Edit::SubnetNsg {
            subnet: subnet.clone(),
            nsg: Some("aks-subnet-nsg".to_owned()),
        },
    )
    .unwrap();
    assert_eq!(applied.changes.len(), 2, "{:?}", applied.changes);
    let t = trace_named(&s, Some("internet-to-kuard")).unwrap();
    assert_eq!(t.verdict, Verdict::Dropped);
    assert!(t.dropped_at.unwrap().contains("aks-subnet-nsg"));
    apply(&mut s, &Edit::SubnetNsg { subnet, nsg: None }).unwrap();
    assert_eq!(verdict(&s, "internet-to-kuard").0, Verdict::Delivered);
    let err = apply(
        &mut s,
        &Edit::SubnetNsg {
            subnet: "nope".to_owned(),
            nsg: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("no subnet"));
    let err = apply(
        &mut s,
        &Edit::SubnetNsg {
            subnet: "aks".to_owned(),
            nsg: Some("-bad name".to_owned()),
        },
    )
    .unwrap_err();
    assert_eq!(
        err.problems[0].field.as_deref(),
        Some("networkSecurityGroup")
    );
}

#[test]
fn an_added_node_gets_the_next_name_address_and_pool_membership() {
    let mut s = load("blog-part4");
    apply(&mut s, &Edit::AddNode).unwrap();
    let node = s.nodes.last().unwrap();
    assert_eq!(node.name, "aks-nodepool1-26711606-1");
    assert_eq!(node.nic.name, "aks-nodepool1-26711606-nic-1");
    // Azure keeps .0-.3; .4 is the first node's, so .5.
    assert_eq!(
        node.nic.private_ip_address.unwrap().to_string(),
        "10.13.76.5"
    );
    assert_eq!(node.nic.network_security_group.as_deref(), Some(NSG));
    let lb = s.load_balancer.as_ref().unwrap();
    assert!(lb.backend_address_pool.contains(&node.name));
    assert!(packetwalk::scenario::check(&s).is_empty());
}

#[test]
fn kubenet_nodes_get_a_pod_cidr_and_a_route() {
    let mut s = load("kubenet");
    apply(&mut s, &Edit::AddNode).unwrap();
    let node = s.nodes.last().unwrap().clone();
    assert_eq!(node.pod_cidr.unwrap().to_string(), "10.244.2.0/24");
    let route = s.vnet.subnets[0].routes.last().unwrap();
    assert_eq!(route.address_prefix.to_string(), "10.244.2.0/24");
    assert_eq!(Some(route.next_hop_ip_address), node.nic.private_ip_address);
    apply(
        &mut s,
        &Edit::AddPod {
            node: node.name.clone(),
            like: None,
        },
    )
    .unwrap();
    let pod = s.pods.last().unwrap();
    assert_eq!(pod.ip.unwrap().to_string(), "10.244.2.2");
    assert_eq!(pod.node, node.name);
}

#[test]
fn an_added_pod_serves_the_service() {
    // §4: kube-proxy picks among the Service's ready endpoints.
    let mut s = load("blog-part4");
    let node = s.nodes[0].name.clone();
    apply(&mut s, &Edit::AddPod { node, like: None }).unwrap();
    let pod = s.pods.last().unwrap();
    assert_eq!(
        pod.labels.get("app").map(String::as_str),
        Some("kuard-vnode")
    );
    assert_eq!(pod.ip.unwrap().to_string(), "10.13.76.5");
    assert_eq!(s.pods.len(), 3);
    let service = s.services[0].clone();
    assert_eq!(packetwalk::trace::ready_endpoints(&s, &service).len(), 3);
}

#[test]
fn external_traffic_policy_local_keeps_the_client_ip() {
    // §3-§4: Local gets a healthCheckNodePort and an HTTP probe; the client IP is kept.
    let mut s = load("blog-part4");
    let applied = apply(
        &mut s,
        &Edit::TrafficPolicy {
            service: "kuard-vnode".to_owned(),
            policy: ExternalTrafficPolicy::Local,
        },
    )
    .unwrap();
    assert!(!applied.changes.is_empty());
    let service = &s.services.iter().find(|x| x.name == "kuard-vnode").unwrap();
    assert_eq!(service.health_check_node_port, Some(30000));
    let probe = &s.load_balancer.as_ref().unwrap().probes[0];
    assert_eq!(probe.port, 30000);
    let t = trace_named(&s, Some("internet-to-kuard")).unwrap();
    assert_eq!(t.verdict, Verdict::Delivered);
    let at_pod = t
        .hops
        .iter()
        .find(|h| h.component.starts_with("pod:"))
        .unwrap();
    assert_eq!(at_pod.packet.source_ip.to_string(), "198.51.100.23");
    let err = apply(
        &mut s,
        &Edit::TrafficPolicy {
            service: "kubernetes".to_owned(),
            policy: ExternalTrafficPolicy::Local,
        },
    )
    .unwrap_err();
    assert_eq!(
        err.problems[0].field.as_deref(),
        Some("externalTrafficPolicy")
    );
}

#[test]
fn source_ranges_narrow_the_nsg_rule() {
    // §3: loadBalancerSourceRanges become the NSG rule's sources.
    let mut s = load("blog-part4");
    apply(
        &mut s,
        &Edit::SourceRanges {
            service: "kuard-vnode".to_owned(),
            ranges: vec!["192.0.2.0/24".to_owned()],
        },
    )
    .unwrap();
    assert_eq!(verdict(&s, "internet-to-kuard").0, Verdict::Dropped);
    let allowed = trace(
        &s,
        &PacketSpec {
            from: "192.0.2.7:40000".to_owned(),
            to: "203.0.113.10:8080".to_owned(),
            protocol: "TCP".to_owned(),
        },
    )
    .unwrap();
    assert_eq!(allowed.verdict, Verdict::Delivered);
    let before = s.clone();
    let err = apply(
        &mut s,
        &Edit::SourceRanges {
            service: "kuard-vnode".to_owned(),
            ranges: vec!["300.1.1.0/24".to_owned()],
        },
    )
    .unwrap_err();
    assert_eq!(s, before);
    assert_eq!(
        err.to_string(),
        "Service kuard-vnode, loadBalancerSourceRanges \"300.1.1.0/24\": not a CIDR prefix (such as 203.0.113.0/24)"
    );
}

#[test]
fn replay_skips_stale_edits_and_reports_them() {
    let base = load("blog-part4");
    let edits = vec![
        Edit::DeleteRule {
            nsg: NSG.to_owned(),
            rule: "gone".to_owned(),
        },
        Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(deny_8080()),
        },
    ];
    let (s, skipped) = replay(&base, &edits);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, 0);
    assert_eq!(verdict(&s, "internet-to-kuard").0, Verdict::Dropped);
}

#[test]
fn edits_round_trip_through_json() {
    let edits = vec![
        Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: None,
            rule: Box::new(deny_8080()),
        },
        Edit::AddNode,
        Edit::TrafficPolicy {
            service: "kuard-vnode".to_owned(),
            policy: ExternalTrafficPolicy::Local,
        },
    ];
    let text = serde_json::to_string(&edits).unwrap();
    assert!(text.contains(r#""op":"putRule""#), "{text}");
    let back: Vec<Edit> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, edits);
}

#[test]
fn kubectl_apply_is_an_edit() {
    // §3, the blog's story (O9-O11): applying the Service to the before scenario lets
    // the Internet client in.
    let mut s = load("blog-part4-before-service");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/kubernetes/kuard-vnode-service.json");
    let document = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let edit = Edit::Import { document };
    assert_eq!(edit.describe(), "kubectl apply Service kuard-vnode");
    let applied = apply(&mut s, &edit).unwrap();
    assert!(applied
        .changes
        .iter()
        .any(|c| c.contains("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet")));
    let t = trace(
        &s,
        &PacketSpec {
            from: "internet-client:50123".to_owned(),
            to: "203.0.113.10:8080".to_owned(),
            protocol: "TCP".to_owned(),
        },
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Delivered);
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("*".to_owned()),
        Just("Tcp".to_owned()),
        Just("Inbound".to_owned()),
        Just("Deny".to_owned()),
        "[0-9]{1,5}",
        "[0-9]{1,5}-[0-9]{1,5}",
        "[0-9a-zA-Z./:,* -]{0,24}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn any_form_is_applied_or_refused_without_panicking(
        values in proptest::collection::vec(any_text(), 10),
        replace in any::<bool>(),
    ) {
        let base = load("blog-part4");
        let mut form = RuleForm::default();
        for (field, value) in RULE_FORM_FIELDS.iter().zip(values) {
            form.set(field, value);
        }
        let mut s = base.clone();
        let edit = Edit::PutRule {
            nsg: NSG.to_owned(),
            replaces: replace.then(|| RULE_8080.to_owned()),
            rule: Box::new(form),
        };
        match apply(&mut s, &edit) {
            Ok(_) => {
                let nsg = s.network_security_groups.get(NSG).unwrap();
                prop_assert!(packetwalk::validate_nsg(nsg).is_empty());
            }
            Err(err) => {
                prop_assert_eq!(&s, &base);
                prop_assert!(!err.problems.is_empty());
                for w in &err.problems {
                    let field = w.field.as_deref().unwrap_or("");
                    prop_assert!(RULE_FORM_FIELDS.contains(&form_field(field)));
                }
            }
        }
    }
}

#[test]
fn unreadable_edit_documents_name_the_member() {
    let doc: packetwalk::json::Value = serde_json::from_str(
        r#"[{"op":"addNode"},{"op":"deleteRule","nsg":"x"},{"op":"explode"}]"#,
    )
    .unwrap();
    assert_eq!(
        Edit::list_from_value(&doc).unwrap_err(),
        "edit 2: rule: expected a string"
    );
    let doc: packetwalk::json::Value =
        serde_json::from_str(r#"[{"op":"putRule","nsg":"x","rule":{"priority":100}}]"#).unwrap();
    assert_eq!(
        Edit::list_from_value(&doc).unwrap_err(),
        "edit 1: rule.priority: expected a string, found a number"
    );
}

#[test]
fn the_json_form_leaves_out_new_rule_defaults_and_round_trips() {
    let mut edits = vec![Edit::PutRule {
        nsg: NSG.to_owned(),
        replaces: None,
        rule: Box::new(deny_8080()),
    }];
    // An empty field is kept as empty (the editor refuses it), not taken as the default.
    let mut blank = deny_8080();
    blank.source_port_range = String::new();
    edits.push(Edit::PutRule {
        nsg: NSG.to_owned(),
        replaces: Some("deny-8080".to_owned()),
        rule: Box::new(blank),
    });
    let value = Edit::list_to_value(&edits);
    let text = serde_json::to_string(&value).unwrap();
    assert!(!text.contains("sourceAddressPrefix"), "{text}");
    assert!(text.contains(r#""sourcePortRange":"""#), "{text}");
    assert_eq!(Edit::list_from_value(&value).unwrap(), edits);
}
