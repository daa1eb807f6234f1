//! `packetwalk apply`: `kubectl apply` (or `kubectl delete svc`) against a scenario, with
//! the cloud provider's reconciliation. Prints the resulting scenario as JSON and, on
//! stderr, what changed in Azure.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use packetwalk::kubernetes::{import_kubernetes, merge_into};
use packetwalk::reconcile::{apply_service, delete_service, RuleNaming};
use std::path::PathBuf;

use crate::{input, out, scenarios};

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum NamingArg {
    /// cloud-provider-azure up to v1.28: `a<uid>-TCP-8080-Internet` (the blog's).
    #[default]
    PerService,
    /// v1.29 and later: `k8s-azure-lb_allow_IPv4_<md5>`.
    Consolidated,
}

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    /// A built-in scenario's name or a scenario JSON file; - for stdin.
    #[arg(long, value_name = "NAME|FILE")]
    scenario: String,
    /// kubectl JSON to apply: Services, Pods, Namespaces and NetworkPolicies (one object
    /// or a List), as `kubectl get ... -o json` prints them or as written for `kubectl
    /// apply`.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE",
        required_unless_present = "delete"
    )]
    file: Option<PathBuf>,
    /// Delete the Service of this name (namespace default) instead.
    #[arg(long, value_name = "SERVICE")]
    delete: Option<String>,
    #[arg(long, value_enum, default_value = "per-service")]
    naming: NamingArg,
}

pub fn run(args: &ApplyArgs) -> Result<()> {
    let mut scenario = scenarios::load(&args.scenario)?;
    // apply writes the scenario back: a value its import had to read leniently would come
    // out changed (a priority taken as 4096) or unremarked (a prefix that never matches),
    // and a NetworkPolicy the API server would refuse would be left out.
    let read_leniently: Vec<_> = scenario
        .network_security_groups
        .import_warnings
        .iter()
        .chain(&scenario.network_policies.import_warnings)
        .collect();
    if let Some(first) = read_leniently.first() {
        let more = read_leniently.len() - 1;
        bail!(
            "{}: {first}{}; apply writes the scenario back and would carry this over: fix it first",
            args.scenario,
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            }
        );
    }
    let naming = match args.naming {
        NamingArg::PerService => RuleNaming::PerService,
        NamingArg::Consolidated => RuleNaming::Consolidated,
    };
    let mut changes = Vec::new();
    if let Some(name) = &args.delete {
        changes = delete_service(&mut scenario, name, None, naming);
        if changes.is_empty() {
            bail!(
                "--delete {name:?}: the scenario has no Service of that name in namespace default"
            );
        }
    }
    if let Some(file) = &args.file {
        let input = input::read(file)?;
        let origin = input.shown.clone();
        let doc = input.json()?;
        let imported = import_kubernetes(&doc).with_context(|| origin.clone())?;
        for warning in &imported.warnings {
            eprintln!("warning: {origin}: {warning}");
        }
        let services = imported.value.services.clone();
        let mut objects = imported.value;
        objects.services.clear();
        for namespace in &objects.namespaces {
            changes.push(format!("Namespace {} applied", namespace.name));
        }
        for policy in &objects.network_policies {
            changes.push(format!(
                "NetworkPolicy {}/{} applied",
                policy.namespace, policy.name
            ));
        }
        merge_into(&mut scenario, objects);
        for service in services {
            changes.extend(
                apply_service(&mut scenario, service, naming).with_context(|| origin.clone())?,
            );
        }
    }
    for change in &changes {
        eprintln!("{change}");
    }
    out::println(&serde_json::to_string_pretty(&scenario)?);
    Ok(())
}
