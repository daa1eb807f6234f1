//! `packetwalk exposure` and `packetwalk lint`: the analyses of issue 6.

use anyhow::{Context, Result};
use packetwalk::analysis::{
    exposure, exposure_to_text, findings_to_text, lint_nsg, lint_nsg_in_scenario, pitfalls,
    pitfalls_to_text,
};
use packetwalk::EvalContext;

use crate::scenarios;
use crate::trace_cmd::OutputFormat;

#[derive(clap::Args, Debug)]
pub struct ExposureArgs {
    /// A built-in scenario's name (see `packetwalk scenarios`) or a scenario JSON file; - for stdin.
    #[arg(long, value_name = "NAME|FILE")]
    scenario: String,
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        ignore_case = true,
        default_value = "text"
    )]
    output: OutputFormat,
}

pub fn run_exposure(args: &ExposureArgs) -> Result<()> {
    let scenario = scenarios::load(&args.scenario)?;
    let found = exposure(&scenario);
    match args.output {
        OutputFormat::Json => crate::out::println(&serde_json::to_string_pretty(&found)?),
        OutputFormat::Text => crate::out::print(&exposure_to_text(&found)),
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// The NSG: any az or ARM JSON shape; - for stdin. Without it, the scenario's AKS
    /// pitfalls are listed, each with the packet that shows it.
    #[arg(long, value_name = "FILE", required_unless_present = "scenario")]
    nsg: Option<String>,
    /// A scenario (built-in name or file) whose VNet, service tags and Services the lint uses.
    #[arg(long, value_name = "NAME|FILE")]
    scenario: Option<String>,
    /// A prefix of the VNet's address space (what VirtualNetwork covers); repeatable.
    #[arg(long = "vnet-prefix", value_name = "CIDR")]
    vnet_prefixes: Vec<String>,
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        ignore_case = true,
        default_value = "text"
    )]
    output: OutputFormat,
}

fn parse_net(text: &str) -> Result<ipnet::IpNet> {
    let t = text.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| format!("--vnet-prefix {text:?}: not an IP address or CIDR prefix"))
}

pub fn run_lint(args: &LintArgs) -> Result<()> {
    let vnet_prefixes = args
        .vnet_prefixes
        .iter()
        .map(|p| parse_net(p))
        .collect::<Result<Vec<_>>>()?;
    let (Some(nsg), scenario) = (&args.nsg, &args.scenario) else {
        let name = args.scenario.as_deref().unwrap_or_default();
        let mut scenario = scenarios::load(name)?;
        scenario.vnet.address_space.extend(vnet_prefixes);
        let found = pitfalls(&scenario);
        match args.output {
            OutputFormat::Json => crate::out::println(&serde_json::to_string_pretty(&found)?),
            OutputFormat::Text => crate::out::print(&pitfalls_to_text(&found)),
        }
        return Ok(());
    };
    let mut warnings = Vec::new();
    let nsg = crate::flow_verify::read_nsg(std::path::Path::new(nsg), &mut warnings)?;
    let findings = match scenario {
        Some(name) => {
            let mut scenario = scenarios::load(name)?;
            scenario.vnet.address_space.extend(vnet_prefixes);
            lint_nsg_in_scenario(&nsg, &scenario)
        }
        None => lint_nsg(
            &nsg,
            &EvalContext {
                vnet_prefixes,
                ..EvalContext::default()
            },
        ),
    };
    match args.output {
        OutputFormat::Json => {
            crate::out::println(&serde_json::to_string_pretty(&serde_json::json!({
                "nsg": nsg.name,
                "findings": findings,
                "warnings": warnings,
            }))?)
        }
        OutputFormat::Text => {
            let mut text = findings_to_text(&findings);
            for warning in &warnings {
                text.push_str(&format!("warning: {warning}\n"));
            }
            crate::out::print(&text);
        }
    }
    Ok(())
}
