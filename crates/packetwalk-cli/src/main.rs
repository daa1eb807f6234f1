use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod flow_verify;

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
