//! `packetwalk flow-verify`: an offline IP flow verify.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use packetwalk::eval::RuleEvaluation;
use packetwalk::export::format_table;
use packetwalk::json::Value;
use packetwalk::{
    evaluate_path, import_nsg, parse_endpoint, Direction, EvalContext, Flow, FlowVerdict,
    NetworkSecurityGroup, Protocol,
};
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "PascalCase")]
pub enum DirectionArg {
    Inbound,
    Outbound,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ProtocolArg {
    Tcp,
    Udp,
    Icmp,
    Esp,
    Ah,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum OutputFormat {
    Json,
    #[default]
    Table,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_enum, ignore_case = true)]
    direction: DirectionArg,
    #[arg(long, value_enum, ignore_case = true)]
    protocol: ProtocolArg,
    /// The protected NIC's end: IP:PORT, IPv6 as [addr]:port.
    #[arg(long, value_name = "IP:PORT")]
    local: String,
    /// The other end: IP:PORT, IPv6 as [addr]:port.
    #[arg(long, value_name = "IP:PORT")]
    remote: String,
    /// The NIC's NSG: any az or ARM JSON shape; - for stdin.
    #[arg(long, value_name = "FILE")]
    nic_nsg: Option<PathBuf>,
    /// The subnet's NSG: any az or ARM JSON shape; - for stdin.
    #[arg(long, value_name = "FILE")]
    subnet_nsg: Option<PathBuf>,
    /// A prefix of the VNet's address space (what VirtualNetwork covers); repeatable.
    #[arg(long = "vnet-prefix", value_name = "CIDR")]
    vnet_prefixes: Vec<String>,
    /// An ASG the local NIC is a member of; repeatable.
    #[arg(long = "local-asg", value_name = "NAME")]
    local_asgs: Vec<String>,
    /// An ASG the remote end is a member of; repeatable.
    #[arg(long = "remote-asg", value_name = "NAME")]
    remote_asgs: Vec<String>,
    /// The prefixes of a service tag; repeatable.
    #[arg(long = "service-tag", value_name = "NAME=CIDR[,CIDR...]")]
    service_tags: Vec<String>,
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        ignore_case = true,
        default_value = "table"
    )]
    output: OutputFormat,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    #[serde(flatten)]
    verdict: &'a FlowVerdict,
    warnings: Vec<String>,
}

fn parse_net(text: &str, argument: &str) -> Result<ipnet::IpNet> {
    let t = text.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| format!("{argument} {text:?}: not an IP address or CIDR prefix"))
}

fn context(args: &Args) -> Result<EvalContext> {
    let vnet_prefixes = args
        .vnet_prefixes
        .iter()
        .map(|p| parse_net(p, "--vnet-prefix"))
        .collect::<Result<_>>()?;
    let mut service_tags = Vec::new();
    for spec in &args.service_tags {
        let Some((name, list)) = spec.split_once('=') else {
            bail!("--service-tag {spec:?}: expected NAME=CIDR[,CIDR...]");
        };
        if name.trim().is_empty() {
            bail!("--service-tag {spec:?}: the tag name is empty");
        }
        let nets = list
            .split(',')
            .map(|p| parse_net(p, "--service-tag"))
            .collect::<Result<Vec<_>>>()?;
        service_tags.push((name.trim().to_owned(), nets));
    }
    Ok(EvalContext {
        vnet_prefixes,
        service_tags,
        local_asgs: args.local_asgs.clone(),
        remote_asgs: args.remote_asgs.clone(),
    })
}

/// Reads an NSG document in any shape `import_nsg` accepts (`-` is stdin); its warnings
/// are added, prefixed with the file's name.
pub(crate) fn read_nsg(
    path: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<NetworkSecurityGroup> {
    let shown = if path.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .with_context(|| format!("{shown}: cannot read"))?;
    } else {
        text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    }
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("{shown}: not JSON"))?;
    let fallback = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| *s != "-")
        .unwrap_or("nsg");
    let imported = import_nsg(&doc, fallback).with_context(|| shown.clone())?;
    warnings.extend(imported.warnings.iter().map(|w| format!("{shown}: {w}")));
    Ok(imported.value)
}

pub fn run(args: &Args) -> Result<()> {
    if args.nic_nsg.is_none() && args.subnet_nsg.is_none() {
        bail!("give at least one of --nic-nsg FILE and --subnet-nsg FILE");
    }
    let (local_ip, local_port) =
        parse_endpoint(&args.local).with_context(|| "--local".to_owned())?;
    let (remote_ip, remote_port) =
        parse_endpoint(&args.remote).with_context(|| "--remote".to_owned())?;
    let ctx = context(args)?;
    let mut warnings = Vec::new();
    let subnet = args
        .subnet_nsg
        .as_ref()
        .map(|p| read_nsg(p, &mut warnings))
        .transpose()?;
    let nic = args
        .nic_nsg
        .as_ref()
        .map(|p| read_nsg(p, &mut warnings))
        .transpose()?;
    let flow = Flow {
        direction: match args.direction {
            DirectionArg::Inbound => Direction::Inbound,
            DirectionArg::Outbound => Direction::Outbound,
        },
        protocol: match args.protocol {
            ProtocolArg::Tcp => Protocol::Tcp,
            ProtocolArg::Udp => Protocol::Udp,
            ProtocolArg::Icmp => Protocol::Icmp,
            ProtocolArg::Esp => Protocol::Esp,
            ProtocolArg::Ah => Protocol::Ah,
        },
        local_ip,
        local_port,
        remote_ip,
        remote_port,
    };
    let verdict = evaluate_path(subnet.as_ref(), nic.as_ref(), &flow, &ctx);
    match args.output {
        OutputFormat::Json => {
            let output = Output {
                verdict: &verdict,
                warnings,
            };
            crate::out::println(&serde_json::to_string_pretty(&output)?);
        }
        OutputFormat::Table => crate::out::print(&table(&verdict, &warnings)),
    }
    Ok(())
}

fn rule_cells(rule: &RuleEvaluation) -> Vec<String> {
    vec![
        if rule.decided { ">" } else { "" }.to_owned(),
        rule.priority.to_string(),
        rule.name.clone(),
        rule.access.as_str().to_owned(),
        rule.protocol.as_symbol().to_owned(),
        rule.source.as_symbol().to_owned(),
        rule.source_port.as_symbol().to_owned(),
        rule.destination.as_symbol().to_owned(),
        rule.destination_port.as_symbol().to_owned(),
    ]
}

fn table(verdict: &FlowVerdict, warnings: &[String]) -> String {
    let mut out = format!(
        "Access: {}\nRule:   {}\n",
        verdict.access.as_str(),
        if verdict.rule_name.is_empty() {
            "(none)"
        } else {
            &verdict.rule_name
        }
    );
    for note in &verdict.notes {
        out.push_str(&format!("Note:   {note}\n"));
    }
    for evaluation in &verdict.evaluations {
        let level = match evaluation.applied_to {
            packetwalk::AppliedTo::Subnet => "subnet",
            packetwalk::AppliedTo::Nic => "NIC",
        };
        out.push_str(&format!(
            "\nNSG {} ({level}): {} by {}\n",
            evaluation.nsg_name,
            evaluation.access.as_str(),
            if evaluation.rule_name.is_empty() {
                "(no rule)"
            } else {
                &evaluation.rule_name
            }
        ));
        let rows: Vec<Vec<String>> = evaluation.rules.iter().map(rule_cells).collect();
        out.push_str(&format_table(
            &[
                "",
                "Priority",
                "Name",
                "Access",
                "Protocol",
                "Source",
                "SourcePort",
                "Destination",
                "DestinationPort",
            ],
            &rows,
        ));
        for note in &evaluation.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
    }
    for warning in warnings {
        out.push_str(&format!("Warning: {warning}\n"));
    }
    out
}
