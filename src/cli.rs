//! Command-line interface: `serve`, `rehearse`, `doctor`, `plan check`, `plan show`.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};

use crate::config::{user_list, Config, Secret, SlackConfig, SLACK_API_URL};

/// golive runs a software release launch in Slack from a plan.
#[derive(Debug, Parser)]
#[command(name = "golive", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: Slack over HTTP and/or Socket Mode, the scheduler, /healthz and /metrics.
    Serve(ServeArgs),
    /// Rehearse the plan on a fast clock, printing each post to the console; no Slack needed.
    Rehearse(RehearseArgs),
    /// Check a new installation: the Slack tokens and scopes, and each plan's launch channel,
    /// user groups and people; say how to fix what is wrong, and exit non-zero if anything is.
    Doctor(DoctorArgs),
    /// Write a launch's record (timeline, checklists, votes, incidents, metrics, audit log).
    Export(ExportArgs),
    /// Check or show a plan file.
    #[command(subcommand)]
    Plan(PlanCommand),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Plan file or folder (repeatable), as `golive serve` reads them.
    #[arg(long = "plan", value_name = "FILE")]
    pub plans: Vec<PathBuf>,
    /// SQLite database URL of the running bot.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://golive.db"
    )]
    pub database_url: String,
    /// Which launch, by release key; needed when several plans are given.
    #[arg(long)]
    pub release: Option<String>,
    /// md (the launch review's first draft), csv (one row per event) or json.
    #[arg(long, default_value = "md")]
    pub format: crate::record::Format,
    /// Write here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl ExportArgs {
    /// The plan files and folders, from the flags or the environment.
    pub fn plan_paths(&self) -> Vec<PathBuf> {
        plan_paths(&self.plans)
    }
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Plan file or folder to check (repeatable); else `GOLIVE_PLANS`, else `GOLIVE_PLAN`, else
    /// the embedded Summit v4 plan, as `golive serve` reads them.
    #[arg(long = "plan", value_name = "FILE")]
    pub plans: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Report every problem in plan files (and between them) with its line and column; exit
    /// non-zero if any.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the resolved timeline with absolute times in the plan's zone and UTC.
    Show {
        /// Plan files or folders; the embedded Summit v4 plan when omitted.
        files: Vec<PathBuf>,
        /// L-Day to resolve the timeline for (default: the plan's own).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = launch_date)]
        launch_date: Option<NaiveDate>,
    },
    /// Print a plan's dated items as an iCalendar feed (what /calendar/<release>.ics serves).
    Ics {
        /// Plan file; the embedded Summit v4 plan when omitted.
        file: Option<PathBuf>,
        /// L-Day to date the items for (default: the plan's own).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = launch_date)]
        launch_date: Option<NaiveDate>,
    },
}

/// Settings shared by `serve` and `rehearse`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Plan file (TOML) or folder of them, one launch each; repeatable. Else `GOLIVE_PLANS`
    /// (comma-separated files or folders), else `GOLIVE_PLAN`, else the embedded Summit v4 plan.
    #[arg(long = "plan", value_name = "FILE")]
    pub plans: Vec<PathBuf>,
    /// Set or move L-Day at start-up.
    #[arg(long, env = "GOLIVE_LAUNCH_DATE", value_name = "YYYY-MM-DD", value_parser = launch_date)]
    pub launch_date: Option<NaiveDate>,
    /// Start the bot's clock at this instant (rehearsals).
    #[arg(long, env = "GOLIVE_CLOCK_START", value_name = "RFC3339")]
    pub clock_start: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Address for HTTP mode, /healthz and /metrics.
    #[arg(long, env = "GOLIVE_LISTEN", default_value = "0.0.0.0:3000")]
    pub listen: SocketAddr,
    /// `sqlite://FILE` (created if missing; one process), or `postgres://…`, which several
    /// replicas may share.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://golive.db"
    )]
    pub database_url: String,
    /// Run the bot's clock N times faster than real time (rehearsals).
    #[arg(long, env = "GOLIVE_CLOCK_SPEED", default_value_t = 1.0)]
    pub clock_speed: f64,
    /// The wall-clock instant at which the rehearsal clock reads --clock-start, so that
    /// replicas started apart read the same time.
    #[arg(long, env = "GOLIVE_CLOCK_ANCHOR", value_name = "RFC3339")]
    pub clock_anchor: Option<DateTime<Utc>>,
    /// Seconds within which another replica takes over the work of one that died (2 to 60).
    #[arg(long = "lease-secs", env = "GOLIVE_LEASE_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(2..=60))]
    pub lease_secs: u64,
    /// The name this replica's leases carry (default: host, pid and a random part).
    #[arg(long, env = "GOLIVE_REPLICA_ID")]
    pub replica_id: Option<String>,
    /// Seconds one Slack call may go unanswered before its outcome counts as unknown (1 to 120).
    #[arg(long = "slack-timeout-secs", env = "GOLIVE_SLACK_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    pub slack_timeout_secs: u64,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// SQLite database URL for the rehearsal.
    #[arg(long = "database", default_value = "sqlite://golive-rehearsal.db")]
    pub database_url: String,
    /// Clock speed: 1440 plays a launch day in about half a minute.
    #[arg(long, default_value_t = 1440.0)]
    pub clock_speed: f64,
    /// Stop when the clock reaches this instant (default: L-Day 18:30 in the plan's zone).
    #[arg(long, value_name = "RFC3339")]
    pub until: Option<DateTime<Utc>>,
    /// Keep the rehearsal database from the last run instead of starting fresh.
    #[arg(long)]
    pub resume: bool,
}

impl RunArgs {
    /// The plan files and folders to run, from the flags or the environment.
    pub fn plan_paths(&self) -> Vec<PathBuf> {
        plan_paths(&self.plans)
    }
}

/// `--plan` as given, else `GOLIVE_PLANS` (comma-separated), else `GOLIVE_PLAN`.
fn plan_paths(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    if let Some(list) = env("GOLIVE_PLANS") {
        return crate::plans::from_list(&list);
    }
    env("GOLIVE_PLAN").map(PathBuf::from).into_iter().collect()
}

impl ServeArgs {
    /// The serve configuration, with Slack settings from the environment.
    pub fn config(&self) -> Config {
        Config {
            listen: self.listen,
            plans: self.run.plan_paths(),
            database_url: self.database_url.clone(),
            launch_date: self.run.launch_date,
            launch_date_for_all: false,
            clock_start: self.run.clock_start,
            clock_speed: self.clock_speed,
            release_managers: release_managers_from_env(),
            slack: SlackConfig {
                call_timeout: std::time::Duration::from_secs(self.slack_timeout_secs),
                ..slack_from_env()
            },
            board_token: env("GOLIVE_BOARD_TOKEN").map(Secret::new),
            public_url: env("GOLIVE_PUBLIC_URL").map(|url| url.trim_end_matches('/').to_string()),
            rollout: rollout_from_env(),
            replica: crate::config::ReplicaConfig {
                id: self.replica_id.clone(),
                lease: std::time::Duration::from_secs(self.lease_secs),
                clock_anchor: self.clock_anchor,
            },
        }
    }
}

impl DoctorArgs {
    /// What `golive doctor` checks, with the environment read as `golive serve` reads it.
    pub fn settings(&self) -> crate::doctor::Settings {
        crate::doctor::Settings {
            plans: plan_paths(&self.plans),
            slack: slack_from_env(),
            release_managers: release_managers_from_env(),
            rollout: rollout_from_env(),
        }
    }
}

/// The flag server and Prometheus, from the environment.
pub fn rollout_from_env() -> crate::config::RolloutConfig {
    crate::config::RolloutConfig {
        unleash_url: env("GOLIVE_UNLEASH_URL"),
        unleash_token: env("GOLIVE_UNLEASH_TOKEN").map(Secret::new),
        prometheus_url: env("GOLIVE_PROMETHEUS_URL"),
    }
}

/// A set, non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Slack credentials and endpoint from `SLACK_*`.
fn slack_from_env() -> SlackConfig {
    SlackConfig {
        bot_token: env("SLACK_BOT_TOKEN").map(Secret::new),
        signing_secret: env("SLACK_SIGNING_SECRET").map(Secret::new),
        app_token: env("SLACK_APP_TOKEN").map(Secret::new),
        api_url: env("SLACK_API_URL").unwrap_or_else(|| SLACK_API_URL.to_string()),
        ..SlackConfig::default()
    }
}

/// `GOLIVE_RELEASE_MANAGERS`, comma-separated user ids.
fn release_managers_from_env() -> Vec<String> {
    env("GOLIVE_RELEASE_MANAGERS")
        .map(|v| user_list(&v))
        .unwrap_or_default()
}

/// A launch date as the commands take it: four-digit years only, so every plan time resolves.
fn launch_date(text: &str) -> Result<NaiveDate, String> {
    crate::domain::day::parse_date(text).map_err(|error| error.to_string())
}
