use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod analysis_cmd;
mod apply_cmd;
mod flow_verify;
mod import_cmd;
mod input;
mod out;
mod scenarios;
mod trace_cmd;

/// packetwalk: how a packet reaches a pod in Azure Kubernetes Service.
#[derive(Parser)]
#[command(name = "packetwalk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Offline IP flow verify: which NSG rule allows or denies a flow (arguments named as
    /// `az network watcher test-ip-flow`).
    FlowVerify(flow_verify::Args),
    /// Walk a packet through a scenario hop by hop: Internet, public IP, load balancer,
    /// NSGs, kube-proxy, NetworkPolicy, pod, and the reply.
    Trace(trace_cmd::TraceArgs),
    /// List the built-in scenarios and their named flows.
    Scenarios(trace_cmd::ScenariosArgs),
    /// `kubectl apply` a Service (and Pods, Namespaces, NetworkPolicies) to a scenario, or
    /// delete a Service, with the cloud provider's load balancer and NSG changes; prints
    /// the new scenario.
    Apply(apply_cmd::ApplyArgs),
    /// What the Internet can reach in a scenario: every NIC and pod, protocol and port,
    /// with the sources that can and the rules that let them (exact, not sampled).
    Exposure(analysis_cmd::ExposureArgs),
    /// Rules of an NSG that never decide, change no verdict, or allow wider than a
    /// Service's loadBalancerSourceRanges; with --scenario alone, the AKS pitfalls.
    Lint(analysis_cmd::LintArgs),
    /// Build a scenario from a real cluster's documents (az aks show, az network … list,
    /// az vmss nic list, kubectl get … -o json; see the README): a directory or files.
    Import(import_cmd::ImportArgs),
}

/// Exit status for unusable input or arguments.
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            if !error.use_stderr() {
                // --help and --version
                let _ = error.print();
                return ExitCode::SUCCESS;
            }
            let text = error.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("packetwalk: {}", first.trim_start_matches("error: "));
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let result = match cli.command {
        Command::FlowVerify(args) => flow_verify::run(&args),
        Command::Trace(args) => trace_cmd::run_trace(&args),
        Command::Scenarios(args) => trace_cmd::run_scenarios(&args),
        Command::Apply(args) => apply_cmd::run(&args),
        Command::Exposure(args) => analysis_cmd::run_exposure(&args),
        Command::Lint(args) => analysis_cmd::run_lint(&args),
        Command::Import(args) => import_cmd::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("packetwalk: {message}");
            ExitCode::from(USAGE_ERROR)
        }
    }
}
