//! The `golive` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use golive::cli::{Cli, Command, PlanCommand};

fn main() -> ExitCode {
    limit_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("golive: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

/// At most two glibc malloc arenas, set before any thread starts. By default glibc gives threads
/// up to eight arenas per core, each holding its own free memory: golive's threads (two runtime
/// workers, one per SQLite connection) allocate little, and one shared arena per core keeps
/// idle memory lower without the workers queueing for one lock.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called from main before any other thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn run() -> ExitCode {
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
