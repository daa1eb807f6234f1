//! The built-in scenarios, embedded from `www/scenarios/` (the page embeds the same files),
//! and reading a scenario from a file.

use anyhow::{anyhow, bail, Context, Result};
use packetwalk::json::Value;
use packetwalk::scenario::{shape_problem, Scenario};
use std::path::Path;

use crate::input;

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
    (
        "netpol-default-deny",
        include_str!("../../../www/scenarios/netpol-default-deny.json"),
    ),
    (
        "netpol-ipblock-cluster",
        include_str!("../../../www/scenarios/netpol-ipblock-cluster.json"),
    ),
    (
        "netpol-ipblock-local",
        include_str!("../../../www/scenarios/netpol-ipblock-local.json"),
    ),
    (
        "netpol-cilium",
        include_str!("../../../www/scenarios/netpol-cilium.json"),
    ),
];

/// A scenario from its JSON text; `origin` names it in messages. A document that is not
/// a scenario (an NSG, `[]`, a Kubernetes object) is refused saying what it lacks.
pub fn parse(text: &str, origin: &str) -> Result<Scenario> {
    let doc: Value = serde_json::from_str(text).with_context(|| format!("{origin}: not JSON"))?;
    if let Some(problem) = shape_problem(&doc) {
        bail!("{origin} is not a packetwalk scenario: {problem}");
    }
    packetwalk::scenario::from_value(&doc).map_err(|err| anyhow!("{origin}: {err}"))
}

/// A built-in scenario by name, else a scenario file (`-` for stdin).
pub fn load(name_or_file: &str) -> Result<Scenario> {
    if let Some((name, text)) = BUILT_INS.iter().find(|(name, _)| *name == name_or_file) {
        return parse(text, &format!("built-in scenario {name}"));
    }
    let path = Path::new(name_or_file);
    if name_or_file != "-" && !path.exists() {
        let names: Vec<&str> = BUILT_INS.iter().map(|(n, _)| *n).collect();
        bail!(
            "--scenario {name_or_file:?}: neither a built-in scenario ({}) nor a file",
            names.join(", ")
        );
    }
    let input = input::read(path)?;
    parse(&input.text, &input.shown)
}
