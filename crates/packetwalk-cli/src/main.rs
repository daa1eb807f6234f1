use clap::Parser;

/// packetwalk: how a packet reaches a pod in Azure Kubernetes Service.
#[derive(Parser)]
#[command(name = "packetwalk", version, about)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
