//! The built-in scenarios, embedded from `www/scenarios/` (the page embeds the same files),
//! and reading a scenario from a file.

use anyhow::{Context, Result};
use packetwalk::scenario::Scenario;
use std::path::Path;

/// Name and JSON text of every built-in scenario, in the order `packetwalk scenarios` lists them.
pub const BUILT_INS: &[(&str, &str)] = &[
    (
        "blog-part4",
        include_str!("../../../www/scenarios/blog-part4.json"),
    ),
    (
        "blog-part4-before-service",
        include_str!("../../../www/scenarios/blog-part4-before-service.json"),
    ),
    (
        "three-nodes",
        include_str!("../../../www/scenarios/three-nodes.json"),
    ),
    (
        "subnet-nsg",
        include_str!("../../../www/scenarios/subnet-nsg.json"),
    ),
    (
        "source-ranges",
        include_str!("../../../www/scenarios/source-ranges.json"),
    ),
    (
        "kubenet",
        include_str!("../../../www/scenarios/kubenet.json"),
    ),
    (
        "pod-egress",
        include_str!("../../../www/scenarios/pod-egress.json"),
    ),
];

pub fn parse(text: &str, origin: &str) -> Result<Scenario> {
    serde_json::from_str(text).with_context(|| format!("{origin}: not a packetwalk scenario"))
}

/// A built-in scenario by name, else a scenario file (`-` for stdin).
pub fn load(name_or_file: &str) -> Result<Scenario> {
    if let Some((name, text)) = BUILT_INS.iter().find(|(name, _)| *name == name_or_file) {
        return parse(text, &format!("built-in scenario {name}"));
    }
    let text = if name_or_file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading stdin")?;
        text
    } else {
        let path = Path::new(name_or_file);
        if !path.exists() {
            let names: Vec<&str> = BUILT_INS.iter().map(|(n, _)| *n).collect();
            anyhow::bail!(
                "--scenario {name_or_file:?}: neither a built-in scenario ({}) nor a file",
                names.join(", ")
            );
        }
        std::fs::read_to_string(path).with_context(|| format!("reading {name_or_file}"))?
    };
    parse(&text, name_or_file)
}
