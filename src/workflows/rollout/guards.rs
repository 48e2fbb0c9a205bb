//! The rollout's guards: Prometheus queries read before a step is applied and every minute of
//! its hold window. A guard out of bounds the plan's number of times in a row trips: the
//! rollout pauses, the guard is posted with its query, value and bound, a P1 incident opens
//! with the plan's runbook (so the ladder pages on-call), and where the plan says so the
//! previous step's percentage is set. A guard that cannot be read blocks the next step.

use crate::storage::AsConn;
use chrono::{DateTime, TimeDelta, Utc};

use super::{applied_percent, notes, pause_in, request_in};
use crate::domain::incident::Severity;
use crate::domain::job::{JobPayload, NoteTo};
use crate::domain::plan::{Guard, Rollout};
use crate::domain::rollout::{
    judge, next_streak, previous_percent, trips, FlagTarget, GuardOutcome,
};
use crate::slack::messages::Tone;
use crate::state::AppState;
use crate::storage::jobs::{self, Job};
use crate::storage::rollout::{self as store, ChangeWhy, GuardReading};
use crate::storage::{audit, StoreError};
use crate::workflows::incidents;
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::WorkflowError;

/// How often guards are read while a step holds.
const EVERY: TimeDelta = TimeDelta::minutes(1);

/// Schedules the next guard reading a minute after `from`, watching until `until`. Keys are by
/// minute, so watches that overlap make one reading a minute; the later `until` wins.
pub async fn schedule_watch(
    conn: &mut impl AsConn,
    state: &AppState,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = from + EVERY;
    let release_id = &state.release.id;
    let key = format!("rollout:guards:{}", at.timestamp() / 60);
    let until = match jobs::get(conn, release_id, &key).await? {
        Some(job) => {
            match crate::domain::job::JobPayload::decode(&job.kind, &job.key, &job.payload) {
                Ok(JobPayload::RolloutGuards { until: known }) => known.max(until),
                _ => until,
            }
        }
        None => until,
    };
    jobs::schedule(
        conn,
        release_id,
        &key,
        at,
        &JobPayload::RolloutGuards { until },
    )
    .await
}

/// Reads every guard now, records the readings and acts on trips. `None` when no metric
/// source is configured (guards are not watched).
async fn read_all(
    state: &AppState,
    rollout: &Rollout,
) -> Result<Option<Vec<(Guard, GuardReading)>>, WorkflowError> {
    let Some(source) = state.rollout.metrics.clone() else {
        return Ok(None);
    };
    let release_id = &state.release.id;
    let mut readings = Vec::new();
    for guard in &rollout.guards {
        let sample = source.instant(&guard.query).await;
        let sampled_at = sample.as_ref().ok().map(|s| s.at);
        let outcome = judge(
            guard.bound,
            sample.map(|s| s.value).map_err(|e| e.to_string()),
        );
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let before = store::latest_readings(&mut tx, release_id)
            .await?
            .remove(&guard.key);
        let streak = next_streak(
            before.as_ref().map_or(0, |b| b.streak),
            before.as_ref().is_some_and(|b| b.tripped),
            &outcome,
        );
        let reading = GuardReading {
            guard: guard.key.clone(),
            at: now,
            sampled_at,
            tripped: trips(streak, rollout.failures, &outcome),
            outcome,
            streak,
        };
        store::record_reading(&mut tx, release_id, &reading).await?;
        tx.commit().await?;
        if reading.tripped {
            trip(state, rollout, guard, &reading).await?;
        }
        readings.push((guard.clone(), reading));
    }
    Ok(Some(readings))
}

/// Reads the guards before a step goes forward: `Err` says why it may not.
pub async fn check_before(
    state: &AppState,
    rollout: &Rollout,
) -> Result<Result<(), String>, WorkflowError> {
    let Some(readings) = read_all(state, rollout).await? else {
        return Ok(Ok(())); // not watched: the posts say so
    };
    let problems: Vec<String> = readings
        .iter()
        .filter_map(|(guard, reading)| match &reading.outcome {
            GuardOutcome::Pass(_) => None,
            GuardOutcome::Fail(value) => Some(format!(
                "guard {} is out of bounds ({value}, must be {})",
                guard.key, guard.bound
            )),
            GuardOutcome::Unknown(why) => Some(format!(
                "guard {} cannot be read ({why}), and an unread guard never passes",
                guard.key
            )),
        })
        .collect();
    if problems.is_empty() {
        Ok(Ok(()))
    } else {
        Ok(Err(problems.join("; ")))
    }
}

/// A guard watch job: one reading of every guard, and the next a minute later until `until`.
pub async fn watch(state: &AppState, job: Job, until: DateTime<Utc>) -> Result<(), WorkflowError> {
    let plan = state.release.plan();
    let now = state.clock.now();
    {
        let mut tx = state.db.begin().await?;
        jobs::finish(&mut tx, &job, now).await?;
        if now + EVERY <= until && plan.rollout.is_some() {
            schedule_watch(&mut tx, state, now, until).await?;
        }
        tx.commit().await?;
    }
    if let Some(rollout) = &plan.rollout {
        read_all(state, rollout).await?;
    }
    state.scheduler.wake();
    Ok(())
}

/// A tripped guard: pause, post, page, and go back where the plan says so.
async fn trip(
    state: &AppState,
    rollout: &Rollout,
    guard: &Guard,
    reading: &GuardReading,
) -> Result<(), WorkflowError> {
    let release_id = &state.release.id;
    let now = state.clock.now();
    let value = reading.outcome.value().unwrap_or(f64::NAN);
    let summary = format!(
        "Guard {} out of bounds {} times in a row: {value} (must be {})",
        guard.key, reading.streak, guard.bound
    );
    let mut tx = state.db.begin().await?;
    if !pause_in(&mut tx, state, None, Some(&summary), GOLIVE, now).await? {
        // Already paused (by this guard, another, or a person): the rollout holds where it is
        // and the incident already open stands; a trip while paused is recorded only.
        let detail = format!("{summary} (while paused)");
        audit::record(&mut tx, release_id, now, GOLIVE, "guard-trip", &detail).await?;
        tx.commit().await?;
        return Ok(());
    }
    audit::record(&mut tx, release_id, now, GOLIVE, "guard-trip", &summary).await?;
    let mut back = None;
    if rollout.back_on_failure {
        let applied = store::flag(&mut tx, release_id).await?.applied;
        let now_at = applied_percent(applied);
        let previous = previous_percent(&state.release.plan().feature_flags, now_at);
        if now_at > 0 {
            let target = FlagTarget::Percent(previous);
            request_in(&mut tx, state, None, target, ChangeWhy::Guard, GOLIVE, now).await?;
            back = Some(previous);
        }
    }
    let then = match back {
        Some(previous) => format!(" golive sets the previous step's {previous}%."),
        None => String::new(),
    };
    let plain = format!(
        "Rollout paused: {summary}. Query: {}.{then} `/golive rollout resume` when it is safe.",
        guard.query
    );
    let body = format!(
        ":rotating_light: *Rollout paused*: guard `{}` out of bounds {} times in a row.\nValue: *{value}* (must be {})\nQuery: `{}`{then}\n`/golive rollout resume` when it is safe.",
        guard.key, reading.streak, guard.bound, guard.query
    );
    notes::queue(
        &mut tx,
        state,
        NoteTo::Channel,
        Tone::Error,
        &plain,
        &body,
        now,
    )
    .await?;
    tx.commit().await?;
    state.scheduler.wake();
    let answered = incidents::raise(
        state,
        GOLIVE,
        Severity::P1,
        &summary,
        rollout.runbook.as_deref(),
    )
    .await;
    if let Err(error) = answered {
        tracing::error!(%error, "could not open the incident of a tripped guard");
    }
    Ok(())
}
