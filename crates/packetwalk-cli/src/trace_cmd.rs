//! `packetwalk trace` and `packetwalk scenarios`.

use anyhow::{bail, Result};
use clap::ValueEnum;
use packetwalk::trace::{self, PacketSpec};

use crate::{out, scenarios};

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum OutputFormat {
    Json,
    #[default]
    Text,
}

#[derive(clap::Args, Debug)]
pub struct TraceArgs {
    /// A built-in scenario's name (see `packetwalk scenarios`) or a scenario JSON file; - for stdin.
    #[arg(long, value_name = "NAME|FILE")]
    scenario: String,
    /// One of the scenario's named flows (default: its first).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    flow: Option<String>,
    /// The packet's source: IP:PORT, [v6]:PORT, or a client, pod (name or namespace/name)
    /// or node name with :PORT.
    #[arg(long, value_name = "IP:PORT", requires = "to")]
    from: Option<String>,
    /// The packet's destination, as --from.
    #[arg(long, value_name = "IP:PORT", requires = "from")]
    to: Option<String>,
    #[arg(long, value_name = "TCP|UDP", default_value = "TCP")]
    protocol: String,
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        ignore_case = true,
        default_value = "text"
    )]
    output: OutputFormat,
}

pub fn run_trace(args: &TraceArgs) -> Result<()> {
    let scenario = scenarios::load(&args.scenario)?;
    let result = match (&args.from, &args.to) {
        (Some(from), Some(to)) => trace::trace(
            &scenario,
            &PacketSpec {
                from: from.clone(),
                to: to.clone(),
                protocol: args.protocol.clone(),
            },
        ),
        _ => trace::trace_named(&scenario, args.flow.as_deref()),
    };
    let found = match result {
        Ok(found) => found,
        Err(error) => bail!("scenario {}: {error}", scenario.name),
    };
    match args.output {
        OutputFormat::Json => out::println(&serde_json::to_string_pretty(&found)?),
        OutputFormat::Text => out::print(&trace::to_text(&found)),
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ScenariosArgs {
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        ignore_case = true,
        default_value = "text"
    )]
    output: OutputFormat,
}

pub fn run_scenarios(args: &ScenariosArgs) -> Result<()> {
    let mut listed = Vec::new();
    let mut listing = String::new();
    for (name, text) in scenarios::BUILT_INS {
        let scenario = scenarios::parse(text, name)?;
        listed.push(serde_json::json!({
            "name": scenario.name,
            "title": scenario.title,
            "flows": scenario.flows.iter().map(|f| serde_json::json!({
                "name": f.name, "description": f.description,
                "from": f.from, "to": f.to, "protocol": f.protocol,
            })).collect::<Vec<_>>(),
        }));
        if let OutputFormat::Text = args.output {
            listing.push_str(&format!("{}  {}\n", scenario.name, scenario.title));
            for (i, flow) in scenario.flows.iter().enumerate() {
                let default = if i == 0 { " (default)" } else { "" };
                listing.push_str(&format!(
                    "    {}{default}: {} {} -> {}\n",
                    flow.name, flow.protocol, flow.from, flow.to
                ));
                listing.push_str(&format!("        {}\n", flow.description));
            }
        }
    }
    match args.output {
        OutputFormat::Json => out::println(&serde_json::to_string_pretty(&listed)?),
        OutputFormat::Text => out::print(&listing),
    }
    Ok(())
}
