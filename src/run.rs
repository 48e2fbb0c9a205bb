//! What each subcommand does, once the command line is parsed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use crate::cli::{DoctorArgs, ExportArgs, RehearseArgs, ServeArgs};
use crate::clock::{ScaledClock, SharedClock};
use crate::config::Config;
use crate::domain::day::{resolve, DayOffset, DayTime};
use crate::plans::{self, PlanFile};
use crate::slack::console::Console;
use crate::startup::{clock_for, Application, StartError};
use crate::state::AppState;
use crate::workflows::launch::reload;

/// `golive serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<ExitCode, StartError> {
    let config = args.config();
    let clock = clock_for(&config);
    let app = Application::build(config, clock, None).await?;
    tracing::info!(port = app.port(), "golive is listening");
    // Listening before the first request is answered: an early SIGHUP must not end golive.
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hangups) => {
            tokio::spawn(reload_on_hangup(app.state(), app.plan_paths(), hangups));
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGHUP; plans are read at start only")
        }
    }
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `golive rehearse`: a launch day on a fast clock, printed to the console. Every plan given
/// runs on the one clock, all with the same L-Day.
pub async fn rehearse(args: RehearseArgs) -> Result<ExitCode, StartError> {
    let paths = args.run.plan_paths();
    let files = plans::load(&paths)?;
    let plan = &files[0].plan;
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
        plans: paths,
        database_url: args.database_url.clone(),
        launch_date: Some(launch),
        launch_date_for_all: true,
        ..Config::default()
    };
    say(&rehearsal_banner(
        &files,
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
    files: &[PlanFile],
    launch: NaiveDate,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    speed: f64,
) -> String {
    let zone = files[0].plan.release.timezone;
    let launches: Vec<String> = files
        .iter()
        .map(|f| {
            let release = &f.plan.release;
            format!(
                "{} {} in {}",
                release.name, release.version, release.channel
            )
        })
        .collect();
    format!(
        "Rehearsing {} with L-Day {launch}.\nClock: {} → {} at {speed}× real time. Each post is shown as the channel would see it.\n",
        launches.join(", "),
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

/// `golive plan check FILE...`: every problem of every file, then those between the files.
pub fn plan_check(paths: &[PathBuf]) -> Result<ExitCode, StartError> {
    let mut good = Vec::new();
    let mut problems = 0;
    for path in plans::expand(paths)? {
        match plans::read(&path)? {
            Ok(plan) => good.push(PlanFile {
                path: Some(path),
                plan,
            }),
            Err(found) => {
                for problem in &found {
                    eprintln!("{problem}");
                }
                eprintln!("{}: {} problem(s)", path.display(), found.len());
                problems += found.len();
            }
        }
    }
    let clashes = plans::clashes(&good);
    for problem in &clashes {
        eprintln!("{problem}");
    }
    problems += clashes.len();
    for file in &good {
        let plan = &file.plan;
        println!(
            "{}: ok ({} {}, {} milestones, {} checklists)",
            file.shown(),
            plan.release.name,
            plan.release.version,
            plan.launch_day.len(),
            plan.checklists.len()
        );
    }
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `golive plan show [FILE...] [--launch-date]`: each plan's resolved timeline.
pub fn plan_show(
    paths: &[PathBuf],
    launch_date: Option<NaiveDate>,
) -> Result<ExitCode, StartError> {
    let files = plans::load(paths)?;
    for (index, file) in files.iter().enumerate() {
        if index > 0 {
            println!();
        }
        let launch = launch_date.or(file.plan.release.launch_date);
        print!("{}", crate::plan_report::show(&file.plan, launch));
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the plans again on every SIGHUP, one reload at a time.
#[cfg(unix)]
async fn reload_on_hangup(
    state: AppState,
    paths: Vec<PathBuf>,
    mut hangups: tokio::signal::unix::Signal,
) {
    while hangups.recv().await.is_some() {
        tracing::info!("SIGHUP: reading the plans again");
        if let Err(error) = reload::reload(&state, &paths).await {
            tracing::error!(%error, "plans not reloaded");
        }
    }
}

/// `golive export`: one launch's record, from the store the bot writes.
pub async fn export(args: ExportArgs) -> Result<ExitCode, StartError> {
    let files = plans::load(&args.plan_paths())?;
    let keys: Vec<String> = files.iter().map(|f| f.plan.release.id()).collect();
    let file = match (&args.release, files.as_slice()) {
        (Some(key), _) => files.iter().find(|f| &f.plan.release.id() == key),
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    let Some(file) = file else {
        eprintln!("Say which launch with --release: {}.", keys.join(", "));
        return Ok(ExitCode::FAILURE);
    };
    let path = args
        .database_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if !crate::storage::is_postgres(&args.database_url) && !std::path::Path::new(path).exists() {
        eprintln!(
            "There is no database at {path}: give the one golive serve uses with --database."
        );
        return Ok(ExitCode::FAILURE);
    }
    let store = crate::storage::connect(&args.database_url).await?;
    let id = file.plan.release.id();
    let known = {
        let mut conn = store
            .db
            .acquire()
            .await
            .map_err(crate::storage::StoreError::from)?;
        crate::storage::releases::exists(&mut conn, &id).await?
    };
    if !known {
        eprintln!(
            "{} holds no launch {id}: has golive run it?",
            args.database_url
        );
        return Ok(ExitCode::FAILURE);
    }
    let record = crate::record::build(&store.db, &file.plan).await?;
    let text = match crate::record::render(&record, args.format) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("golive: {error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| StartError::Write {
            path: path.display().to_string(),
            source,
        })?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `golive plan ics [FILE] [--launch-date D]`.
pub fn plan_ics(
    file: Option<PathBuf>,
    launch_date: Option<NaiveDate>,
) -> Result<ExitCode, StartError> {
    let files = plans::load(&file.into_iter().collect::<Vec<_>>())?;
    let plan = &files[0].plan;
    let Some(launch) = launch_date.or(plan.release.launch_date) else {
        eprintln!("The plan's L-Day is TBD: give one with --launch-date YYYY-MM-DD.");
        return Ok(ExitCode::FAILURE);
    };
    print!("{}", crate::ics::feed(plan, launch, 0, Utc::now()));
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
