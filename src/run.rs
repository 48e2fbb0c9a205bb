//! What each subcommand does, once the command line is parsed.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use crate::cli::{DoctorArgs, RehearseArgs, ServeArgs};
use crate::clock::{ScaledClock, SharedClock};
use crate::config::Config;
use crate::domain::day::{resolve, DayOffset, DayTime};
use crate::domain::plan::Plan;
use crate::slack::console::Console;
use crate::startup::{clock_for, load_plan, Application, StartError};

/// `golive serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<ExitCode, StartError> {
    let config = args.config();
    let clock = clock_for(&config);
    let app = Application::build(config, clock, None).await?;
    tracing::info!(port = app.port(), "golive is listening");
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `golive rehearse`: a launch day on a fast clock, printed to the console.
pub async fn rehearse(args: RehearseArgs) -> Result<ExitCode, StartError> {
    let plan = load_plan(args.run.plan.as_deref())?;
    let zone = plan.release.timezone;
    let launch = args
        .run
        .launch_date
        .or(plan.release.launch_date)
        .unwrap_or_else(|| {
            let today = Utc::now().with_timezone(&zone).date_naive();
            today.checked_add_days(Days::new(1)).unwrap_or(today)
        });
    let at = |h, m| {
        resolve(
            zone,
            launch,
            DayTime {
                day: DayOffset(0),
                time: NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default(),
            },
        )
    };
    let start = args.run.clock_start.unwrap_or_else(|| at(5, 55));
    let until = args.until.unwrap_or_else(|| at(18, 30));
    if !args.resume {
        remove_database(&args.database_url);
    }
    let clock: SharedClock = Arc::new(ScaledClock::stopped(start, args.clock_speed));
    let console = Arc::new(Console::new(
        Box::new(std::io::stdout()),
        clock.clone(),
        zone,
    ));
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        plan: args.run.plan.clone(),
        database_url: args.database_url.clone(),
        launch_date: Some(launch),
        ..Config::default()
    };
    say(&rehearsal_banner(
        &plan,
        launch,
        start,
        until,
        args.clock_speed,
    ));
    let app = Application::build(config, clock.clone(), Some(console)).await?;
    let stop = async move { clock.sleep_until(until).await };
    app.run_until(stop).await?;
    say(&format!(
        "Rehearsal finished at {}.",
        until.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z")
    ));
    Ok(ExitCode::SUCCESS)
}

/// `golive doctor`: prints one line per check; fails when any check fails.
pub async fn doctor(args: DoctorArgs) -> ExitCode {
    let checks = crate::doctor::run(&args.settings()).await;
    say(crate::doctor::report(&checks).trim_end());
    if checks.iter().any(|check| check.failed_check()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints a line; a closed stdout (`golive rehearse | head`) is not worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn rehearsal_banner(
    plan: &Plan,
    launch: NaiveDate,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    speed: f64,
) -> String {
    let zone = plan.release.timezone;
    let release = &plan.release;
    format!(
        "Rehearsing {} {} with L-Day {launch} in {}.\nClock: {} → {} at {speed}× real time. Each post is shown as the channel would see it.\n",
        release.name,
        release.version,
        release.channel,
        start.with_timezone(&zone).format("%a %H:%M %Z"),
        until.with_timezone(&zone).format("%a %H:%M %Z"),
    )
}

fn remove_database(url: &str) {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// `golive plan check FILE`.
pub fn plan_check(file: &Path) -> Result<ExitCode, StartError> {
    let source = std::fs::read_to_string(file).map_err(|source| StartError::PlanFile {
        path: file.display().to_string(),
        source,
    })?;
    match Plan::parse(&source) {
        Ok(plan) => {
            println!(
                "{}: ok ({} {}, {} milestones, {} checklists)",
                file.display(),
                plan.release.name,
                plan.release.version,
                plan.launch_day.len(),
                plan.checklists.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{}:{error}", file.display());
            }
            eprintln!("{}: {} problem(s)", file.display(), errors.0.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `golive plan show [FILE] [--launch-date]`.
pub fn plan_show(
    file: Option<&Path>,
    launch_date: Option<NaiveDate>,
) -> Result<ExitCode, StartError> {
    let plan = load_plan(file)?;
    let launch = launch_date.or(plan.release.launch_date);
    print!("{}", crate::plan_report::show(&plan, launch));
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
