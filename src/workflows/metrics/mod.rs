//! Success metrics: the scorecards (`/golive metrics`, and the post on each table's day, kept in
//! step when an actual changes) and recording actuals (`/golive metric set`).

use std::collections::HashMap;

use crate::storage::Connection;
use futures_util::future::BoxFuture;

use crate::domain::metric::Actual;
use crate::domain::plan::{MetricGroup, Plan};
use crate::domain::timeline::{scorecard_key, scorecard_of};
use crate::slack::metric_messages::{self, ScoreLine, Scorecard};
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::storage::metrics::{self, StoredActual};
use crate::storage::{audit, jobs, StoreError};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

const SET_USAGE: &str = "Usage: `/golive metric set <metric> <value>`, e.g. `/golive metric set support-nps 52` or `... api-error-rate 0.4%`.";

/// `/golive metrics [table]`: every table's scorecards, or one table's.
pub async fn list(state: &AppState, table: Option<&str>) -> Answered {
    let plan = state.release.plan();
    let groups: Vec<&MetricGroup> = match table {
        None => plan.metrics.iter().collect(),
        Some(key) => match plan.metrics.iter().find(|g| g.key == key) {
            Some(group) => vec![group],
            None => {
                let keys: Vec<String> = plan
                    .metrics
                    .iter()
                    .map(|g| format!("`{}`", g.key))
                    .collect();
                let why = format!(
                    "There is no metrics table `{}`. Tables: {}.",
                    crate::domain::excerpt::excerpt(key),
                    keys.join(", ")
                );
                return Ok(Answer::refused(Text::plain(why)));
            }
        },
    };
    let actuals = load(state).await?;
    let cards: Vec<Scorecard> = groups
        .iter()
        .flat_map(|group| (0..group.at.len()).map(|day| card(group, day, &actuals)))
        .collect();
    let zone = plan.release.timezone;
    Ok(Answer::Message(metric_messages::scorecards(
        &state.templates,
        &cards,
        zone,
    )?))
}

/// `/golive metric set <metric> <value>`: records the actual (release managers, or the
/// metric's team), audited, and updates every scorecard already posted that shows it.
pub async fn set(state: &AppState, user: &str, key: &str, value: &str) -> Answered {
    let plan = state.release.plan();
    let Some(metric) = plan
        .metrics
        .iter()
        .flat_map(|g| g.metrics.iter())
        .find(|m| m.key == key)
    else {
        let why = format!(
            "There is no metric `{}`. {SET_USAGE} Metrics: {}.",
            crate::domain::excerpt::excerpt(key),
            metric_keys(&plan).join(", ")
        );
        return Ok(Answer::refused(Text::plain(why)));
    };
    if let Err(error) = Actual::parse(value) {
        return Ok(Answer::refused(Text::plain(format!(
            "{error}. {SET_USAGE}"
        ))));
    }
    let team = metric.owner.as_deref().and_then(|k| plan.team(k));
    let allowed = state.is_release_manager(user)
        || match team {
            Some(team) => state.in_team(team, user).await,
            None => false,
        };
    if !allowed {
        let mut who = state.release_managers();
        if let Some(team) = team {
            who.extend(state.team_people(team, user).await);
        }
        let why = format!(
            "Only release managers or the metric's team can record {}; nothing was changed.",
            metric.name
        );
        return Ok(Refusal::new(Text::plain(why))
            .naming("They are", who)
            .into());
    }
    let (id, now) = (state.release.id.clone(), state.clock.now());
    let (metric_key, value_typed, by) =
        (key.to_string(), value.trim().to_string(), user.to_string());
    state
        .writer
        .write(
            move |conn: &mut Connection| -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    metrics::record(conn, &id, &metric_key, &value_typed, &by, now).await?;
                    let detail = format!("{metric_key} = {value_typed}");
                    audit::record(conn, &id, now, &by, "metric", &detail).await
                })
            },
            |_| {},
        )
        .await?;
    for group in plan
        .metrics
        .iter()
        .filter(|g| g.metrics.iter().any(|m| m.key == key))
    {
        for day in 0..group.at.len() {
            let card = scorecard_key(&group.key, day);
            if state.release.snapshot().posted.contains_key(&card) {
                refresh::spawn(state, Target::Scorecard(card));
            }
        }
    }
    let text = format!("{} is now {} (recorded by you).", metric.name, value.trim());
    Ok(Answer::done(Text::plain(text)))
}

/// The scorecard a due post job of `key` posts, when it is one.
pub async fn scheduled_message(
    state: &AppState,
    key: &str,
) -> Result<Option<Outgoing>, WorkflowError> {
    if let Some((group_key, day)) = scorecard_of(key) {
        let plan = state.release.plan();
        if let Some(group) = plan.metrics.iter().find(|g| g.key == group_key) {
            measure(state, group, day).await?;
        }
    }
    let Some(card) = scorecard_for(state, key).await? else {
        return Ok(None);
    };
    let zone = state.release.plan().release.timezone;
    Ok(Some(metric_messages::scorecard(
        &state.templates,
        &card,
        zone,
    )?))
}

/// A posted scorecard as it should read now: (channel, ts, message).
pub async fn render_live(
    state: &AppState,
    key: &str,
) -> Result<Option<(String, String, Outgoing)>, WorkflowError> {
    let posted = {
        let mut conn = state.db.acquire().await?;
        jobs::get(&mut conn, &state.release.id, key).await?
    };
    let Some((channel, ts)) = posted.and_then(|job| job.channel.zip(job.ts)) else {
        return Ok(None);
    };
    Ok(scheduled_message(state, key)
        .await?
        .map(|message| (channel, ts, message)))
}

/// Who measured actuals are recorded as.
pub const MEASURED_BY: &str = "Prometheus";

/// Measures the metrics of `group` that have a query, recording each value as the metric's
/// actual (in the unit of its target on `day`). A metric that cannot be measured keeps the
/// actual it has; the log says why.
async fn measure(state: &AppState, group: &MetricGroup, day: usize) -> Result<(), WorkflowError> {
    let Some(source) = state.rollout.metrics.clone() else {
        return Ok(());
    };
    for metric in &group.metrics {
        let Some(query) = metric.query.as_deref() else {
            continue;
        };
        let value = match source.instant(query).await {
            Ok(sample) if sample.value.is_finite() => sample.value,
            Ok(_) => {
                tracing::warn!(
                    metric = metric.key,
                    "the metric's query returned no finite value"
                );
                continue;
            }
            Err(error) => {
                tracing::warn!(metric = metric.key, %error, "could not measure a metric");
                continue;
            }
        };
        let percent = matches!(
            metric.bounds.get(day),
            Some(crate::domain::metric::Target::Bound {
                unit: crate::domain::metric::Unit::Percent,
                ..
            })
        );
        let shown = measured(value, percent);
        let (id, now, key) = (
            state.release.id.clone(),
            state.clock.now(),
            metric.key.clone(),
        );
        state
            .writer
            .write(
                move |conn: &mut Connection| -> BoxFuture<'_, Result<(), StoreError>> {
                    Box::pin(async move {
                        metrics::record(conn, &id, &key, &shown, MEASURED_BY, now).await?;
                        let detail = format!("{key} = {shown} (measured)");
                        audit::record(conn, &id, now, MEASURED_BY, "metric", &detail).await
                    })
                },
                |_| {},
            )
            .await?;
    }
    Ok(())
}

/// A measured value as an actual: "0.42%", "1250".
fn measured(value: f64, percent: bool) -> String {
    let number = format!("{value:.3}");
    let number = number.trim_end_matches('0').trim_end_matches('.');
    if percent {
        format!("{number}%")
    } else {
        number.to_string()
    }
}

async fn scorecard_for(state: &AppState, key: &str) -> Result<Option<Scorecard>, WorkflowError> {
    let Some((group_key, day)) = scorecard_of(key) else {
        return Ok(None);
    };
    let plan = state.release.plan();
    let Some(group) = plan.metrics.iter().find(|g| g.key == group_key) else {
        return Ok(None);
    };
    if day >= group.at.len() {
        return Ok(None);
    }
    let actuals = load(state).await?;
    Ok(Some(card(group, day, &actuals)))
}

async fn load(state: &AppState) -> Result<HashMap<String, StoredActual>, WorkflowError> {
    let mut conn = state.db.acquire().await?;
    Ok(metrics::latest(&mut conn, &state.release.id).await?)
}

/// `group` on its `day`th day, judged with `actuals`.
fn card(group: &MetricGroup, day: usize, actuals: &HashMap<String, StoredActual>) -> Scorecard {
    let lines = group
        .metrics
        .iter()
        .map(|metric| {
            let stored = actuals.get(&metric.key);
            let verdict = metric.judge(day, stored.map(|s| s.value.as_str()));
            ScoreLine {
                key: metric.key.clone(),
                name: metric.name.clone(),
                target: metric.targets.get(day).cloned().unwrap_or_default(),
                actual: stored.map(|s| (s.value.clone(), s.entered_by.clone(), s.at)),
                verdict,
            }
        })
        .collect();
    let when = group.at.get(day).map(|d| d.to_string()).unwrap_or_default();
    Scorecard {
        title: format!("{} ({when})", group.title),
        lines,
    }
}

fn metric_keys(plan: &Plan) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for metric in plan.metrics.iter().flat_map(|g| g.metrics.iter()) {
        let key = format!("`{}`", metric.key);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    #[test]
    fn measured_values_read_as_actuals() {
        assert_eq!(super::measured(0.4213, true), "0.421%");
        assert_eq!(super::measured(12.0, false), "12");
        assert_eq!(super::measured(0.5, true), "0.5%");
    }
}
