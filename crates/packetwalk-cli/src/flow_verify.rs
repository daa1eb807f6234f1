//! `packetwalk flow-verify`: an offline IP flow verify.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use packetwalk::eval::RuleEvaluation;
use packetwalk::export::format_table;
use packetwalk::json::Value;
use packetwalk::{
    evaluate_path, import_nsg, parse_endpoint, unbracketed_ipv6_hint, Access, CompiledPath,
    Direction, EvalContext, Flow, FlowVerdict, NetworkSecurityGroup, Protocol,
};
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;
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
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        required_unless_present = "flows"
    )]
    direction: Option<DirectionArg>,
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        required_unless_present = "flows"
    )]
    protocol: Option<ProtocolArg>,
    /// The protected NIC's end: IP:PORT, IPv6 as [addr]:port.
    #[arg(long, value_name = "IP:PORT", required_unless_present = "flows")]
    local: Option<String>,
    /// The other end: IP:PORT, IPv6 as [addr]:port.
    #[arg(long, value_name = "IP:PORT", required_unless_present = "flows")]
    remote: Option<String>,
    /// Many flows against one parse of the NSGs: JSON lines or a JSON array of
    /// {direction, protocol, local, remote}; - for stdin. Prints one JSON line per flow, in
    /// order; a bad flow prints an error line and the rest go on.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["direction", "protocol", "local", "remote", "output"])]
    flows: Option<PathBuf>,
    /// With --flows: add each flow's per-rule evaluations (the NSG diagnostics table).
    #[arg(long)]
    explain: bool,
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
    #[arg(short = 'o', long = "output", value_enum, ignore_case = true)]
    output: Option<OutputFormat>,
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
    let input = crate::input::read(path)?;
    let shown = input.shown.clone();
    let doc = input.json()?;
    let fallback = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| *s != "-")
        .unwrap_or("nsg");
    let imported = import_nsg(&doc, fallback).with_context(|| shown.clone())?;
    warnings.extend(imported.warnings.iter().map(|w| format!("{shown}: {w}")));
    Ok(imported.value)
}

/// Both ends of a flow, checked as a person writes them: IPv6 in brackets when a port
/// follows, and one address family. `names` are what messages call the two ends.
fn endpoints(
    protocol: Protocol,
    local: &str,
    remote: &str,
    names: [&str; 2],
) -> Result<(IpAddr, u16, IpAddr, u16), String> {
    let with_ports = matches!(protocol, Protocol::Tcp | Protocol::Udp);
    let mut parsed = Vec::with_capacity(2);
    for (name, text) in names.iter().zip([local, remote]) {
        if with_ports {
            if let Some(hint) = unbracketed_ipv6_hint(text) {
                return Err(format!(
                    "{name} {text:?}: an IPv6 address with a port is written in brackets, as {hint}"
                ));
            }
        }
        parsed.push(parse_endpoint(text).map_err(|e| format!("{name}: {e}"))?);
    }
    let [(local_ip, local_port), (remote_ip, remote_port)] = parsed[..] else {
        return Err("two endpoints expected".to_owned());
    };
    if local_ip.is_ipv4() != remote_ip.is_ipv4() {
        let family = |ip: IpAddr| if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        return Err(format!(
            "{} {local:?} is {} and {} {remote:?} is {}: both ends of a flow are of one address family",
            names[0],
            family(local_ip),
            names[1],
            family(remote_ip)
        ));
    }
    Ok((local_ip, local_port, remote_ip, remote_port))
}

fn flow_of(
    direction: Direction,
    protocol: Protocol,
    local: &str,
    remote: &str,
    names: [&str; 2],
) -> Result<Flow, String> {
    let (local_ip, local_port, remote_ip, remote_port) = endpoints(protocol, local, remote, names)?;
    Ok(Flow {
        direction,
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
    })
}

pub fn run(args: &Args) -> Result<()> {
    if args.nic_nsg.is_none() && args.subnet_nsg.is_none() {
        bail!("give at least one of --nic-nsg FILE and --subnet-nsg FILE");
    }
    if args.explain && args.flows.is_none() {
        bail!("--explain goes with --flows FILE (a single flow's output always explains)");
    }
    if args
        .subnet_nsg
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-")
        && args
            .nic_nsg
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
        || args.flows.as_deref().is_some_and(|p| p.as_os_str() == "-")
            && [&args.subnet_nsg, &args.nic_nsg]
                .iter()
                .any(|p| p.as_deref().is_some_and(|p| p.as_os_str() == "-"))
    {
        bail!("only one of the files can be - (standard input)");
    }
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
    if let Some(flows) = &args.flows {
        return run_batch(
            flows,
            args.explain,
            subnet.as_ref(),
            nic.as_ref(),
            &ctx,
            &warnings,
        );
    }
    // clap requires these without --flows.
    let (Some(direction), Some(protocol), Some(local), Some(remote)) =
        (args.direction, args.protocol, &args.local, &args.remote)
    else {
        bail!("give --direction, --protocol, --local and --remote, or --flows FILE");
    };
    let flow = flow_of(
        direction.into(),
        protocol.into(),
        local,
        remote,
        ["--local", "--remote"],
    )
    .map_err(anyhow::Error::msg)?;
    let verdict = evaluate_path(subnet.as_ref(), nic.as_ref(), &flow, &ctx);
    match args.output.unwrap_or_default() {
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

impl From<DirectionArg> for Direction {
    fn from(arg: DirectionArg) -> Direction {
        match arg {
            DirectionArg::Inbound => Direction::Inbound,
            DirectionArg::Outbound => Direction::Outbound,
        }
    }
}

impl From<ProtocolArg> for Protocol {
    fn from(arg: ProtocolArg) -> Protocol {
        match arg {
            ProtocolArg::Tcp => Protocol::Tcp,
            ProtocolArg::Udp => Protocol::Udp,
            ProtocolArg::Icmp => Protocol::Icmp,
            ProtocolArg::Esp => Protocol::Esp,
            ProtocolArg::Ah => Protocol::Ah,
        }
    }
}

/// One line of `--flows` output: the verdict, or why the flow could not be read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchLine<'a> {
    /// The flow's position in the input, from 1.
    flow: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access: Option<Access>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluations: Option<&'a [packetwalk::NsgEvaluation]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'a [String]>,
}

/// The flows of a `--flows` document: a JSON array, else JSON lines (blank lines skipped).
/// Each entry is the flow's document or, for a line that is not JSON, the parse error.
fn batch_entries(text: &str) -> Result<Vec<Result<Value, String>>> {
    if text.trim_start().starts_with('[') {
        let doc: Value =
            serde_json::from_str(text).context("not a JSON array of flows (nor JSON lines)")?;
        let Value::Array(items) = doc else {
            bail!("not a JSON array of flows");
        };
        return Ok(items.into_iter().map(Ok).collect());
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str::<Value>(line)
                .map_err(|e| format!("line {}: not JSON: {e}", number + 1))
        })
        .collect())
}

/// A flow document `{direction, protocol, local, remote}`, the fields named as the
/// single-flow arguments are.
fn batch_flow(doc: &Value) -> Result<Flow, String> {
    if doc.as_object().is_none() {
        return Err(format!(
            "{} is not a flow: expected {{\"direction\", \"protocol\", \"local\", \"remote\"}}",
            doc.kind()
        ));
    }
    let text = |key: &str| -> Result<&str, String> {
        match doc.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!("\"{key}\" is {}, not a string", other.kind())),
            None => Err(format!("no \"{key}\"")),
        }
    };
    let direction = match text("direction")? {
        d if d.trim().eq_ignore_ascii_case("Inbound") => Direction::Inbound,
        d if d.trim().eq_ignore_ascii_case("Outbound") => Direction::Outbound,
        d => return Err(format!("\"direction\" {d:?}: expected Inbound or Outbound")),
    };
    let protocol = text("protocol")?;
    let protocol = Protocol::parse(protocol.trim())
        .ok_or_else(|| format!("\"protocol\" {protocol:?}: expected TCP, UDP, ICMP, ESP or AH"))?;
    flow_of(
        direction,
        protocol,
        text("local")?,
        text("remote")?,
        ["\"local\"", "\"remote\""],
    )
}

fn run_batch(
    path: &std::path::Path,
    explain: bool,
    subnet: Option<&NetworkSecurityGroup>,
    nic: Option<&NetworkSecurityGroup>,
    ctx: &EvalContext,
    warnings: &[String],
) -> Result<()> {
    let input = crate::input::read(path)?;
    let entries = batch_entries(&input.text).with_context(|| input.shown.clone())?;
    let compiled = (!explain).then(|| CompiledPath::new(subnet, nic, ctx));
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for (index, entry) in entries.iter().enumerate() {
        let flow = entry.as_ref().map_err(Clone::clone).and_then(batch_flow);
        let blank = BatchLine {
            flow: index + 1,
            error: None,
            access: None,
            rule_name: None,
            evaluations: None,
            notes: None,
            warnings: Some(warnings),
        };
        let written = match (flow, &compiled) {
            (Err(error), _) => write_line(
                &mut stdout,
                &BatchLine {
                    error: Some(error),
                    warnings: None,
                    ..blank
                },
            ),
            (Ok(flow), Some(compiled)) => {
                let (access, rule_name) = compiled.decide(&flow);
                write_line(
                    &mut stdout,
                    &BatchLine {
                        access: Some(access),
                        rule_name: Some(&rule_name),
                        ..blank
                    },
                )
            }
            (Ok(flow), None) => {
                let verdict = evaluate_path(subnet, nic, &flow, ctx);
                write_line(
                    &mut stdout,
                    &BatchLine {
                        access: Some(verdict.access),
                        rule_name: Some(&verdict.rule_name),
                        evaluations: Some(&verdict.evaluations),
                        notes: Some(&verdict.notes),
                        ..blank
                    },
                )
            }
        };
        written?;
    }
    finish(stdout.flush())
}

fn write_line(out: &mut impl Write, line: &BatchLine<'_>) -> Result<()> {
    let written = serde_json::to_writer(&mut *out, line)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"));
    finish(written)
}

/// A closed pipe (`| head`) ends the program quietly, as `out::print` does.
fn finish(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other.context("writing output"),
    }
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
