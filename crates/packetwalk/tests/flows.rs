//! Data-driven flow cases: one file per case under `fixtures/flows/`, each citing the
//! spec section it checks. Adding a case is adding a file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{context_from, flow_from, read_json, text};
use packetwalk::json::Value;
use packetwalk::{evaluate_path, import_nsg, AppliedTo, CompiledNsg, NetworkSecurityGroup};
use std::path::PathBuf;

/// Imports `case[key]`; the fields the import warned about must be those the case's
/// `expect.importWarnings` lists (none by default).
fn nsg_from(case: &Value, key: &str) -> Option<NetworkSecurityGroup> {
    let doc = case.get(key)?;
    let imported = import_nsg(doc, key).unwrap_or_else(|e| panic!("{key}: {e}"));
    let warned: Vec<&str> = imported
        .warnings
        .iter()
        .filter_map(|w| w.field.as_deref())
        .collect();
    let expected: Vec<&str> = case
        .get("expect")
        .and_then(|e| e.get("importWarnings"))
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        warned, expected,
        "{key}: import warnings {:?}",
        imported.warnings
    );
    Some(imported.value)
}

fn run_case(path: &std::path::Path) -> Result<(), String> {
    let case = read_json(path);
    assert!(text(&case, "spec").contains('§') || text(&case, "spec").contains("blog"));
    let subnet = nsg_from(&case, "subnetNsg");
    let nic = nsg_from(&case, "nicNsg");
    let flow = flow_from(case.get("flow").ok_or("no flow")?);
    let ctx = context_from(case.get("context"));
    let verdict = evaluate_path(subnet.as_ref(), nic.as_ref(), &flow, &ctx);
    let expect = case.get("expect").ok_or("no expect")?;
    let mut problems = Vec::new();
    if verdict.access.as_str() != text(expect, "access") {
        problems.push(format!(
            "access {:?}, expected {}",
            verdict.access,
            text(expect, "access")
        ));
    }
    if verdict.rule_name != text(expect, "ruleName") {
        problems.push(format!(
            "ruleName {:?}, expected {}",
            verdict.rule_name,
            text(expect, "ruleName")
        ));
    }
    if let Some(levels) = expect.get("evaluated").and_then(Value::as_array) {
        let got: Vec<&str> = verdict
            .evaluations
            .iter()
            .map(|e| match e.applied_to {
                AppliedTo::Subnet => "subnet",
                AppliedTo::Nic => "nic",
            })
            .collect();
        let want: Vec<&str> = levels.iter().filter_map(Value::as_str).collect();
        if got != want {
            problems.push(format!("evaluated {got:?}, expected {want:?}"));
        }
    }
    let notes: Vec<&String> = verdict
        .notes
        .iter()
        .chain(verdict.evaluations.iter().flat_map(|e| &e.notes))
        .collect();
    for wanted in expect
        .get("notesContain")
        .and_then(Value::as_array)
        .unwrap_or_default()
    {
        let wanted = wanted.as_str().unwrap_or_default();
        if !notes.iter().any(|n| n.contains(wanted)) {
            problems.push(format!("no note contains {wanted:?}; notes: {notes:?}"));
        }
    }
    // The fast path must agree with the explained evaluation of every NSG evaluated.
    for evaluation in &verdict.evaluations {
        let nsg = match evaluation.applied_to {
            AppliedTo::Subnet => subnet.as_ref(),
            AppliedTo::Nic => nic.as_ref(),
        }
        .ok_or("evaluated a missing NSG")?;
        let decision = CompiledNsg::new(nsg, &ctx).decide(&flow);
        let compiled_name = decision.rule.map(|r| r.rule_name(nsg)).unwrap_or_default();
        if decision.access != evaluation.access || compiled_name != evaluation.rule_name {
            problems.push(format!(
                "compiled {:?} {compiled_name} disagrees with explained {:?} {}",
                decision.access, evaluation.access, evaluation.rule_name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn flow_cases() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/flows");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/flows")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "only {} flow cases", paths.len());
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| run_case(p).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
