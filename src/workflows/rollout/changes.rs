//! Making one recorded change on the flag server: checked (pause, guards, a hand-made change
//! to confirm), reconciled (a flag already at the target is not set again), made, read back,
//! recorded, and said in the step's thread. Errors that can pass are retried with back-off;
//! nothing is reported as applied that the flag server did not read back.

use chrono::{DateTime, TimeDelta, Utc};

use super::notes::{self, to_step};
use super::{flag_ref, guards, shown_reading, steps};
use crate::domain::rollout::{FlagTarget, StepState};
use crate::integrations::{FlagError, FlagReading};
use crate::slack::format::local;
use crate::slack::messages::Tone;
use crate::state::AppState;
use crate::storage::audit;
use crate::storage::jobs::{self, Job};
use crate::storage::rollout::{self as store, Change, ChangeState, ChangeWhy};
use crate::workflows::WorkflowError;

/// A retryable error is tried again this many times (about 20 minutes of back-off).
const ATTEMPTS: i64 = 8;

/// How the flag server's reading is stored: "25", "off", or "on" without golive's strategy.
pub fn reading_code(reading: &FlagReading) -> String {
    match (reading.enabled, reading.percent) {
        (false, _) => "off".to_string(),
        (true, Some(p)) => p.to_string(),
        (true, None) => "on".to_string(),
    }
}

/// Runs the job of change `id`.
pub async fn run(state: &AppState, job: Job, id: i64) -> Result<(), WorkflowError> {
    let release_id = state.release.id.clone();
    let change = {
        let mut conn = state.db.acquire().await?;
        store::change(&mut conn, &release_id, id).await?
    };
    let Some(change) = change.filter(|c| c.state == ChangeState::Pending) else {
        let mut conn = state.db.acquire().await?;
        jobs::finish(&mut conn, &job, state.clock.now()).await?;
        return Ok(());
    };
    let plan = state.release.plan();
    let Some(rollout) = plan.rollout.clone() else {
        let why = "the plan no longer has a rollout".to_string();
        return end(state, &job, &change, ChangeState::Failed(why)).await;
    };
    let record = {
        let mut conn = state.db.acquire().await?;
        store::flag(&mut conn, &release_id).await?
    };
    let from = super::applied_percent(record.applied);
    if change.why.is_guarded() && change.target.raises(Some(from)) {
        let paused = {
            let mut conn = state.db.acquire().await?;
            store::pause_in_force(&mut conn, &release_id).await?
        };
        if let Some(pause) = paused {
            let zone = plan.release.timezone;
            let why = format!(
                "the rollout is paused (by {} since {}); `/golive rollout resume` first",
                pause.by,
                local(pause.at, zone)
            );
            return end(state, &job, &change, ChangeState::Blocked(why)).await;
        }
        if let Err(why) = guards::check_before(state, &rollout).await? {
            return end(state, &job, &change, ChangeState::Blocked(why)).await;
        }
    }
    let Some(flags) = state.rollout.flags.clone() else {
        let applied = ChangeState::Applied {
            read_back: None,
            recorded_only: true,
        };
        return end(state, &job, &change, applied).await;
    };
    let flag = flag_ref(&rollout);
    let reading = match flags.read(&flag).await {
        Ok(reading) => reading,
        Err(error) => return call_failed(state, &job, &change, error).await,
    };
    let now = state.clock.now();
    let code = reading_code(&reading);
    let drifted = reading.changed_outside(record.applied);
    let confirmed = record.drift_seen.as_deref() == Some(code.as_str());
    {
        let mut conn = state.db.acquire().await?;
        let seen = (drifted && change.why.is_guarded()).then_some(code.as_str());
        store::set_server(&mut conn, &release_id, &code, now, seen).await?;
    }
    if drifted && change.why.is_guarded() && !confirmed && !reading.is_at(change.target) {
        let last = record
            .applied
            .map_or("nothing yet".to_string(), |t| t.to_string());
        let why = format!(
            "{} reads {}, but golive last set {last}: someone changed the flag outside golive. Ask again (Apply, or the same command) to set {} over it",
            flags.describe(),
            shown_reading(&code),
            change.target
        );
        return end(state, &job, &change, ChangeState::Blocked(why)).await;
    }
    if reading.others > 0 {
        let plain = format!(
            "The flag `{}` has {} strategy(ies) besides golive's in {}: Unleash turns the flag on when any of them matches, whatever the rollout percentage. Remove them on the flag server.",
            rollout.flag, reading.others, rollout.environment
        );
        let mut tx = state.db.begin().await?;
        notes::queue(
            &mut tx,
            state,
            to_step(change.step),
            Tone::Error,
            &plain,
            &plain,
            now,
        )
        .await?;
        tx.commit().await?;
    }
    let after = if reading.is_at(change.target) {
        reading // already there: a retry after a crash, or someone set it by hand
    } else {
        match flags.set(&flag, change.target).await {
            Ok(after) => after,
            Err(error) => return call_failed(state, &job, &change, error).await,
        }
    };
    if !after.is_at(change.target) {
        let why = format!(
            "{} reads {} after the change, not {}",
            flags.describe(),
            shown_reading(&reading_code(&after)),
            change.target
        );
        return end(state, &job, &change, ChangeState::Failed(why)).await;
    }
    let read_back = FlagTarget::decode(&reading_code(&after));
    let applied = ChangeState::Applied {
        read_back,
        recorded_only: false,
    };
    end(state, &job, &change, applied).await
}

/// A flag server error: retried with back-off where it can pass, else the change failed.
async fn call_failed(
    state: &AppState,
    job: &Job,
    change: &Change,
    error: FlagError,
) -> Result<(), WorkflowError> {
    let describe = state
        .rollout
        .flags
        .as_ref()
        .map_or_else(String::new, |f| f.describe());
    if error.retryable() && job.attempts + 1 < ATTEMPTS {
        let next: DateTime<Utc> = state.clock.now() + backoff(job.attempts);
        tracing::warn!(change = change.id, %error, %next, "flag server call failed; will retry");
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let why = error.to_string();
        jobs::retry_later(&mut tx, job, &why, next, false).await?;
        if job.attempts == 0 {
            let plain = format!(
                "{} is not applied yet: {describe}: {error}. golive retries until it can (next at {}).",
                change.target,
                local(next, state.release.plan().release.timezone)
            );
            let to = to_step(change.step);
            notes::queue(&mut tx, state, to, Tone::Error, &plain, &plain, now).await?;
            notes::to_release_managers(&mut tx, state, &plain, &plain, now).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    let why = format!("{describe}: {error}");
    end(state, job, change, ChangeState::Failed(why)).await
}

/// Backs off 10 s, 20 s, 40 s … up to 5 minutes.
fn backoff(attempts: i64) -> TimeDelta {
    let exponent = attempts.clamp(0, 5) as u32;
    TimeDelta::seconds(10 * 2_i64.pow(exponent)).min(TimeDelta::minutes(5))
}

/// Records how `change` ended, finishes its job and says so.
async fn end(
    state: &AppState,
    job: &Job,
    change: &Change,
    outcome: ChangeState,
) -> Result<(), WorkflowError> {
    let release_id = &state.release.id;
    let now = state.clock.now();
    let plan = state.release.plan();
    let mut tx = state.db.begin().await?;
    store::finish_change(&mut tx, release_id, change.id, &outcome, now).await?;
    jobs::finish(&mut tx, job, now).await?;
    let applied = matches!(outcome, ChangeState::Applied { .. });
    if let ChangeState::Applied {
        read_back: Some(read),
        ..
    } = &outcome
    {
        // What the flag server read back is its latest reading: no hand-made change.
        store::set_server(&mut tx, release_id, &read.encode(), now, None).await?;
    }
    if applied {
        store::set_applied(&mut tx, release_id, change.target).await?;
    }
    if let Some(percent) = change.step {
        let state_now = if applied {
            StepState::Applied
        } else {
            StepState::Waiting
        };
        let by = applied.then_some((change.by.as_str(), now));
        store::set_step(
            &mut tx,
            release_id,
            percent,
            state_now,
            applied.then_some(change.id),
            by,
        )
        .await?;
        if applied {
            store::skip_below(&mut tx, release_id, percent).await?;
            jobs::close(&mut tx, release_id, &steps::reminder_key(percent), now).await?;
        }
    }
    let hold = change
        .step
        .and_then(|p| plan.feature_flags.iter().find(|s| s.percent == p))
        .map_or(TimeDelta::minutes(30), |s| s.hold);
    let raised = change.target.raises(Some(0)) && change.why.is_guarded();
    if applied && raised && plan.rollout.as_ref().is_some_and(|r| !r.guards.is_empty()) {
        guards::schedule_watch(&mut tx, state, now, now + hold).await?;
    }
    let (action, plain) = said(state, change, &outcome);
    audit::record(&mut tx, release_id, now, &change.by, action, &plain).await?;
    let body = plain.replacen(
        &format!("by {}", change.by),
        &format!("by <@{}>", change.by),
        1,
    );
    let tone = if applied { Tone::Done } else { Tone::Refused };
    notes::queue(
        &mut tx,
        state,
        to_step(change.step),
        tone,
        &plain,
        &body,
        now,
    )
    .await?;
    if matches!(outcome, ChangeState::Failed(_)) {
        notes::to_release_managers(&mut tx, state, &plain, &body, now).await?;
    }
    tx.commit().await?;
    state.scheduler.wake();
    if let Some(percent) = change.step {
        steps::refresh(state, percent);
    }
    Ok(())
}

/// The audit action and the sentence for a change's outcome.
fn said(state: &AppState, change: &Change, outcome: &ChangeState) -> (&'static str, String) {
    let target = change.target;
    let what = match (change.why, target) {
        (_, FlagTarget::Off) | (ChangeWhy::Kill, _) => "The feature flag switched off".to_string(),
        (ChangeWhy::Step, _) => format!("Step {target}"),
        (ChangeWhy::Guard, _) => format!("Back to {target} after a guard tripped"),
        (ChangeWhy::Back, _) => format!("Back to {target}"),
        (ChangeWhy::Runbook, _) => format!("Back to {target} (runbook)"),
        (ChangeWhy::Set, _) => format!("The rollout set to {target}"),
    };
    let describe = state
        .rollout
        .flags
        .as_ref()
        .map_or_else(String::new, |f| f.describe());
    match outcome {
        ChangeState::Applied {
            recorded_only: true,
            ..
        } => (
            "rollout-apply",
            format!(
                "{what}: recorded by {} (no flag server is set: GOLIVE_UNLEASH_URL; the flag itself is unchanged).",
                change.by
            ),
        ),
        ChangeState::Applied { read_back, .. } => (
            "rollout-apply",
            format!(
                "{what}: applied by {}; {describe} reads {}.",
                change.by,
                read_back.map_or("?".to_string(), |r| r.to_string())
            ),
        ),
        ChangeState::Blocked(why) => ("rollout-blocked", format!("{what}: not applied: {why}.")),
        ChangeState::Failed(why) => ("rollout-failed", format!("{what}: NOT applied: {why}.")),
        ChangeState::Pending => ("rollout-request", what),
    }
}
