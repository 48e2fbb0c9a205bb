//! Typed settings for `golive serve`, from flags with environment fallbacks.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

/// A secret that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Slack credentials and endpoint.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// `SLACK_BOT_TOKEN` (xoxb-…): without it golive prints posts to the console.
    pub bot_token: Option<Secret>,
    /// `SLACK_SIGNING_SECRET`: enables the HTTP endpoints under /slack/.
    pub signing_secret: Option<Secret>,
    /// `SLACK_APP_TOKEN` (xapp-…): enables Socket Mode.
    pub app_token: Option<Secret>,
    /// `SLACK_API_URL`: Web API base URL, e.g. a local Slack-compatible server in tests.
    pub api_url: String,
    /// `GOLIVE_SLACK_TIMEOUT_SECS`: how long one Web API call may go unanswered before its
    /// outcome counts as unknown, so a hung connection cannot stall the scheduler.
    pub call_timeout: Duration,
}

/// The default Web API base URL.
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// Slack answers in well under a second; this is for a connection that will never answer.
pub const DEFAULT_SLACK_TIMEOUT: Duration = Duration::from_secs(15);

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            bot_token: None,
            signing_secret: None,
            app_token: None,
            api_url: SLACK_API_URL.to_string(),
            call_timeout: DEFAULT_SLACK_TIMEOUT,
        }
    }
}

/// Everything `golive serve` needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address for HTTP mode, /healthz and /metrics (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Plan files and folders, one launch each; none runs the embedded Summit v4 plan.
    pub plans: Vec<PathBuf>,
    /// `sqlite://golive.db` (one process), or `postgres://…` (several replicas may share it).
    pub database_url: String,
    /// Sets or moves L-Day at start-up; with several plans only when `launch_date_for_all`.
    pub launch_date: Option<NaiveDate>,
    /// `launch_date` is every plan's L-Day (rehearsals run every plan on one day).
    pub launch_date_for_all: bool,
    /// Rehearsal clock start; `None` runs on real time.
    pub clock_start: Option<DateTime<Utc>>,
    /// Rehearsal clock speed (virtual seconds per real second).
    pub clock_speed: f64,
    /// Slack user ids always allowed to run release-manager commands.
    pub release_managers: Vec<String>,
    pub slack: SlackConfig,
    /// `GOLIVE_BOARD_TOKEN`: enables the read-only views (the calendar feed) for whoever has it.
    pub board_token: Option<Secret>,
    /// `GOLIVE_PUBLIC_URL`: where people reach golive's HTTP server, for links golive hands out.
    pub public_url: Option<String>,
    pub rollout: RolloutConfig,
    pub replica: ReplicaConfig,
}

/// The lease time golive runs with unless told otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// Settings of one replica among several on a shared store.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// `GOLIVE_REPLICA_ID`: the name this replica's leases carry (default: host, pid, random).
    pub id: Option<String>,
    /// `GOLIVE_LEASE_SECS`: within this time of a replica dying, another takes over its work.
    pub lease: Duration,
    /// `GOLIVE_CLOCK_ANCHOR`: the wall-clock instant at which a rehearsal clock reads its start,
    /// so replicas started apart read the same time.
    pub clock_anchor: Option<DateTime<Utc>>,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self {
            id: None,
            lease: DEFAULT_LEASE,
            clock_anchor: None,
        }
    }
}

/// Where the rollout's flag server and guards are; without them steps are recorded only and
/// guards are not watched.
#[derive(Debug, Clone, Default)]
pub struct RolloutConfig {
    /// `GOLIVE_UNLEASH_URL`: the Unleash server's root, e.g. `http://unleash:4242`.
    pub unleash_url: Option<String>,
    /// `GOLIVE_UNLEASH_TOKEN`: an admin API token.
    pub unleash_token: Option<Secret>,
    /// `GOLIVE_PROMETHEUS_URL`: the Prometheus server's root, e.g. `http://prometheus:9090`.
    pub prometheus_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            plans: Vec::new(),
            database_url: "sqlite://golive.db".to_string(),
            launch_date: None,
            launch_date_for_all: false,
            clock_start: None,
            clock_speed: 1.0,
            release_managers: Vec::new(),
            slack: SlackConfig::default(),
            board_token: None,
            public_url: None,
            rollout: RolloutConfig::default(),
            replica: ReplicaConfig::default(),
        }
    }
}

/// Splits a comma-separated list of Slack user ids.
pub fn user_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let secret = Secret::new("xoxb-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }

    #[test]
    fn user_lists_ignore_spaces_and_empty_items() {
        assert_eq!(
            user_list(" U1, U2,,"),
            vec!["U1".to_string(), "U2".to_string()]
        );
    }
}
