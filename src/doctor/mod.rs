//! `golive doctor`: checks what a new installation gets wrong (tokens, scopes, the launch
//! channel, user groups, people) and says how to fix each problem.
//!
//! Checks are data: each is a name and an outcome. A check whose input is missing (no working
//! bot token, a plan that does not parse) is reported as not run, with the reason, never left
//! out.

mod plans;
mod rollout;
mod tokens;
mod workspace;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::SlackConfig;
use crate::slack::checkup::Checkup;
use crate::slack::port::SlackError;
use crate::slack::web::hyper_client;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Plan files; the embedded plan when empty.
    pub plans: Vec<PathBuf>,
    pub slack: SlackConfig,
    /// `GOLIVE_RELEASE_MANAGERS`.
    pub release_managers: Vec<String>,
    /// The flag server and Prometheus.
    pub rollout: crate::config::RolloutConfig,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed {
        what: String,
    },
    Failed {
        why: String,
        fix: String,
    },
    /// Not checked because something it needs failed or is not configured.
    NotRun {
        why: String,
    },
}

impl Check {
    fn passed(name: impl Into<String>, what: impl Into<String>) -> Self {
        let what = what.into();
        Self::new(name, Outcome::Passed { what })
    }

    fn failed(name: impl Into<String>, why: impl Into<String>, fix: impl Into<String>) -> Self {
        let (why, fix) = (why.into(), fix.into());
        Self::new(name, Outcome::Failed { why, fix })
    }

    fn not_run(name: impl Into<String>, why: impl Into<String>) -> Self {
        let why = why.into();
        Self::new(name, Outcome::NotRun { why })
    }

    fn new(name: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            outcome,
        }
    }

    pub fn failed_check(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }
}

/// Width of the status column, so names line up.
const STATUS: usize = 9;

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (status, text, fix) = match &self.outcome {
            Outcome::Passed { what } => ("ok", what, None),
            Outcome::Failed { why, fix } => ("FAIL", why, Some(fix)),
            Outcome::NotRun { why } => ("NOT RUN", why, None),
        };
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        write!(f, "{status:<STATUS$}{}: {first}", self.name)?;
        for line in lines {
            write!(f, "\n{:STATUS$}{line}", "")?;
        }
        if let Some(fix) = fix {
            write!(f, "\n{:STATUS$}fix: {fix}", "")?;
        }
        Ok(())
    }
}

/// Runs every check, in report order.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let slack = &settings.slack;
    let client = hyper_client(&slack.api_url).map(Arc::new);
    let mut checks = Vec::new();
    let bot = match &client {
        Ok(client) => tokens::bot(slack, client.clone(), &mut checks).await,
        Err(error) => {
            checks.push(Check::failed(
                tokens::BOT_TOKEN,
                format!("cannot build the Slack client: {error}"),
                "make the system's CA certificates readable (golive trusts the native roots)",
            ));
            checks.push(Check::not_run(tokens::SCOPES, NEEDS_BOT));
            None
        }
    };
    checks.push(tokens::socket_mode(slack, client.as_ref().ok()).await);
    let mut people = workspace::People::new(bot.as_ref());
    for plan in plans::load(&settings.plans) {
        checks.extend(workspace::plan_checks(bot.as_ref(), &plan, &mut people).await);
        if let Some(parsed) = &plan.plan {
            checks.extend(rollout::checks(&settings.rollout, &plan.label, parsed).await);
        }
    }
    checks.push(workspace::release_managers(&settings.release_managers, &mut people).await);
    checks
}

/// The report: one line per check (failures add the fix), then a summary line.
pub fn report(checks: &[Check]) -> String {
    let mut out: String = checks.iter().map(|check| format!("{check}\n")).collect();
    let failed = checks.iter().filter(|c| c.failed_check()).count();
    let not_run = checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::NotRun { .. }))
        .count();
    let total = checks.len();
    let summary = match (failed, not_run) {
        (0, 0) => format!("All {total} checks passed."),
        (0, _) => format!("No check failed; {not_run} of {total} not run."),
        (_, 0) => format!("{failed} of {total} checks failed."),
        _ => format!("{failed} of {total} checks failed, {not_run} not run."),
    };
    out.push_str(&summary);
    out.push('\n');
    out
}

/// Why a check that needs the bot token was not run.
const NEEDS_BOT: &str = "needs a working bot token (see `bot token`)";

/// A failed Slack call as a check outcome, with the usual fix for its kind of failure.
fn slack_failure(name: impl Into<String>, method: &str, error: &SlackError) -> Check {
    let fix = match error {
        SlackError::Api(code) if code == "missing_scope" => {
            "add the scopes `bot token scopes` lists as missing, then reinstall the app".to_string()
        }
        SlackError::Api(_) => format!("see Slack's documentation of {method} for this error"),
        SlackError::RateLimited(_) => "wait a minute and run golive doctor again".to_string(),
        SlackError::Unknown(_) => {
            "check the network and SLACK_API_URL, then run golive doctor again".to_string()
        }
    };
    Check::failed(name, format!("{method}: {error}"), fix)
}

/// A working bot token: its client and the bot user's name.
pub struct Bot {
    checkup: Checkup,
    name: String,
}

/// The bot a check can use, or the check as not run.
fn needs_bot<'b>(bot: Option<&'b Bot>, name: &str) -> Result<&'b Bot, Check> {
    bot.ok_or_else(|| Check::not_run(name, NEEDS_BOT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_prints_its_reason_lines_and_fix_under_its_name() {
        let check = Check::failed("plan x.toml", "1 problem(s)\nx.toml:1:1: bad", "fix it");
        assert_eq!(
            check.to_string(),
            "FAIL     plan x.toml: 1 problem(s)\n         x.toml:1:1: bad\n         fix: fix it"
        );
    }

    #[test]
    fn the_summary_counts_failures_and_checks_not_run() {
        let checks = [
            Check::passed("a", "fine"),
            Check::failed("b", "broken", "mend"),
            Check::not_run("c", "needs b"),
        ];
        let report = report(&checks);
        assert!(report.starts_with("ok       a: fine\n"), "{report}");
        assert!(
            report.ends_with("1 of 3 checks failed, 1 not run.\n"),
            "{report}"
        );
    }
}
