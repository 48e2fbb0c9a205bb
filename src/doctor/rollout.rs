//! The rollout's systems: for each plan with a `[rollout]`, whether the flag server takes the
//! token and has the flag (with no strategy besides golive's), and whether each guard's query
//! gives one finite value on Prometheus.

use super::Check;
use crate::config::RolloutConfig;
use crate::domain::plan::Plan;
use crate::integrations::prometheus::Prometheus;
use crate::integrations::unleash::Unleash;
use crate::integrations::{FlagServer, MetricSource};
use crate::workflows::rollout::flag_ref;

pub const FLAG: &str = "rollout flag";
pub const GUARD: &str = "rollout guard";

/// The checks of `plan`'s rollout, named with `label`; none for a plan without one.
pub async fn checks(config: &RolloutConfig, label: &str, plan: &Plan) -> Vec<Check> {
    let Some(rollout) = &plan.rollout else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    let flag_name = format!("{FLAG} ({label}: {})", rollout.flag);
    match (&config.unleash_url, &config.unleash_token) {
        (None, _) => checks.push(Check::not_run(
            flag_name,
            "GOLIVE_UNLEASH_URL is not set: steps are recorded only",
        )),
        (Some(_), None) => checks.push(Check::failed(
            flag_name,
            "GOLIVE_UNLEASH_URL is set but GOLIVE_UNLEASH_TOKEN is not",
            "set GOLIVE_UNLEASH_TOKEN to an Unleash admin API token",
        )),
        (Some(url), Some(token)) => {
            let check = match Unleash::new(url, token.expose()) {
                Err(error) => Check::failed(flag_name, error.to_string(), "check GOLIVE_UNLEASH_URL"),
                Ok(unleash) => match unleash.read(&flag_ref(rollout)).await {
                    Ok(reading) if reading.others > 0 => Check::failed(
                        flag_name,
                        format!(
                            "{} strategy(ies) on the flag in {} are not golive's: any of them can turn it on for everyone",
                            reading.others, rollout.environment
                        ),
                        "remove the other strategies on Unleash; golive adds its own",
                    ),
                    Ok(reading) => Check::passed(
                        flag_name,
                        format!(
                            "{} has the flag in {}/{} ({})",
                            unleash.describe(),
                            rollout.project,
                            rollout.environment,
                            if reading.enabled { "on" } else { "off" }
                        ),
                    ),
                    Err(error) => Check::failed(
                        flag_name,
                        error.to_string(),
                        format!(
                            "create the flag `{}` in project `{}` with an admin token, or fix GOLIVE_UNLEASH_URL / GOLIVE_UNLEASH_TOKEN",
                            rollout.flag, rollout.project
                        ),
                    ),
                },
            };
            checks.push(check);
        }
    }
    for guard in &rollout.guards {
        let name = format!("{GUARD} ({label}: {})", guard.key);
        let Some(url) = &config.prometheus_url else {
            checks.push(Check::not_run(
                name,
                "GOLIVE_PROMETHEUS_URL is not set: guards are not watched",
            ));
            continue;
        };
        let check = match Prometheus::new(url) {
            Err(error) => Check::failed(name, error.to_string(), "check GOLIVE_PROMETHEUS_URL"),
            Ok(prometheus) => match prometheus.instant(&guard.query).await {
                Ok(sample) if sample.value.is_finite() => Check::passed(
                    name,
                    format!("reads {} (must be {})", sample.value, guard.bound),
                ),
                Ok(sample) => Check::failed(
                    name,
                    format!("the query gives {}", sample.value),
                    "check that the query's series exist; an unreadable guard blocks every step",
                ),
                Err(error) => Check::failed(
                    name,
                    error.to_string(),
                    "check GOLIVE_PROMETHEUS_URL and the query; an unreadable guard blocks every step",
                ),
            },
        };
        checks.push(check);
    }
    checks
}
