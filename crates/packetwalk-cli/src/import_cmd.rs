//! `packetwalk import`: a scenario from the documents of a real cluster (`az aks show`,
//! `az network … list`, `az vmss nic list`, `kubectl get … -o json`; see the README).
//! Writes the scenario as JSON; what was missing or assumed goes to stderr.

use anyhow::{bail, Context, Result};
use packetwalk::cluster::{import_cluster, Document};
use packetwalk::json::Value;
use std::path::{Path, PathBuf};

use crate::{input, out};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// A directory holding the documents (every .json file in it), or the files
    /// themselves; - for stdin.
    #[arg(value_name = "DIR|FILES", required = true)]
    inputs: Vec<PathBuf>,
    /// Write the scenario to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: &ImportArgs) -> Result<()> {
    let files = files(&args.inputs, args.output.as_deref())?;
    let mut read: Vec<(String, Value)> = Vec::with_capacity(files.len());
    for file in &files {
        let input = input::read(file)?;
        let doc = serde_json::from_str(&input.text).map_err(|error| {
            let hint = if looks_like_yaml(&input.text) {
                "; the import reads JSON: run the command with -o json"
            } else {
                ""
            };
            anyhow::anyhow!("{}: not JSON: {error}{hint}", input.shown)
        })?;
        read.push((shown_name(file, &input.shown), doc));
    }
    let documents: Vec<Document<'_>> = read
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    let imported = import_cluster(&documents);
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let text = serde_json::to_string_pretty(&imported.value)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!("wrote {}: {}", path.display(), imported.value.description);
        }
        None => out::println(&text),
    }
    Ok(())
}

/// The files to read: each file argument, and the `.json` files of each directory in
/// name order (without the output file, which a second run would otherwise read back).
fn files(inputs: &[PathBuf], output: Option<&Path>) -> Result<Vec<PathBuf>> {
    let output = output.and_then(|o| o.canonicalize().ok());
    let mut files = Vec::new();
    for path in inputs {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .with_context(|| format!("{}: cannot read the directory", path.display()))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry =
                entry.with_context(|| format!("{}: cannot read the directory", path.display()))?;
            let file = entry.path();
            let json = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let is_output = output.is_some() && file.canonicalize().ok() == output;
            if json && file.is_file() && !is_output {
                found.push(file);
            }
        }
        if found.is_empty() {
            bail!("{}: no .json files in this directory", path.display());
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// How warnings name a document: its file name (the directory is the user's own).
fn shown_name(path: &Path, shown: &str) -> String {
    if shown == "<stdin>" {
        return shown.to_owned();
    }
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.to_owned())
}

/// `kubectl … -o yaml` and `az … -o yaml` start with a key, not `{` or `[`.
fn looks_like_yaml(text: &str) -> bool {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    first.is_some_and(|l| {
        l.starts_with("- ")
            || l.split_once(':')
                .is_some_and(|(k, _)| !k.contains(['{', '[', '"']))
    })
}
