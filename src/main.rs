//! The `golive` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use golive::cli::{Cli, Command, PlanCommand};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter(&cli.command).into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match cli.command {
        Command::Serve(args) => golive::run::serve(args).await,
        Command::Rehearse(args) => golive::run::rehearse(args).await,
        Command::Doctor(args) => Ok(golive::run::doctor(args).await),
        Command::Export(args) => golive::run::export(args).await,
        Command::Plan(PlanCommand::Check { files }) => golive::run::plan_check(&files),
        Command::Plan(PlanCommand::Show { files, launch_date }) => {
            golive::run::plan_show(&files, launch_date)
        }
        Command::Plan(PlanCommand::Ics { file, launch_date }) => {
            golive::run::plan_ics(file, launch_date)
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("golive: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Rehearsals print posts on stdout, so they log only warnings.
fn default_filter(command: &Command) -> &'static str {
    match command {
        Command::Serve(_) => "info",
        _ => "warn",
    }
}
