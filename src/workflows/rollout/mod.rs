//! Running the rollout: the plan's feature flag steps applied on the flag server as people
//! confirm them (`steps`), each change made once and read back (`changes`), guards watched
//! on Prometheus (`guards`) and the `/golive rollout` commands (`commands`).
//!
//! Every change is recorded before the flag server is called and made by a job, so a crash
//! mid-call is reconciled by reading the flag on the next attempt.

pub mod changes;
pub mod commands;
pub mod guards;
pub mod notes;
pub mod steps;

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::incident::IncidentId;
use crate::domain::job::JobPayload;
use crate::domain::plan::Rollout;
use crate::domain::rollout::FlagTarget;
use crate::integrations::FlagRef;
use crate::slack::format::local;
use crate::state::AppState;
use crate::storage::rollout::{self as store, ChangeWhy};
use crate::storage::{audit, jobs, StoreError};
use crate::workflows::WorkflowError;

/// Where the plan's flag is.
pub fn flag_ref(rollout: &Rollout) -> FlagRef {
    FlagRef {
        flag: rollout.flag.clone(),
        project: rollout.project.clone(),
        environment: rollout.environment.clone(),
    }
}

/// Whether `user` may apply, hold, pause and change the rollout: the rollout's team and the
/// release managers.
pub async fn may_change(state: &AppState, rollout: &Rollout, user: &str) -> bool {
    if state.is_release_manager(user) {
        return true;
    }
    match state.release.plan().team(&rollout.team) {
        Some(team) => state.in_team(team, user).await,
        None => false,
    }
}

/// The people [`may_change`] allows, for refusals.
pub async fn who_may(state: &AppState, rollout: &Rollout) -> Vec<String> {
    let mut who = state.release_managers();
    if let Some(team) = state.release.plan().team(&rollout.team) {
        for person in state.team_people(team, "").await {
            if !who.contains(&person) {
                who.push(person);
            }
        }
    }
    who
}

/// The percentage golive's record says the flag is at (off is 0).
pub fn applied_percent(applied: Option<FlagTarget>) -> u8 {
    match applied {
        Some(FlagTarget::Percent(p)) => p,
        Some(FlagTarget::Off) | None => 0,
    }
}

/// Records a change and the job that makes it, due now, in the caller's transaction.
pub async fn request_in(
    conn: &mut impl AsConn,
    state: &AppState,
    step: Option<u8>,
    target: FlagTarget,
    why: ChangeWhy,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let release_id = &state.release.id;
    let id = store::insert_change(conn, release_id, step, target, why, by, now).await?;
    let detail = format!("change {id}: {target} ({})", why.as_str());
    audit::record(conn, release_id, now, by, "rollout-request", &detail).await?;
    let payload = JobPayload::RolloutChange { change: id };
    jobs::schedule(conn, release_id, &change_key(id), now, &payload).await?;
    Ok(id)
}

fn change_key(id: i64) -> String {
    format!("rollout:change:{id}")
}

/// Pauses the rollout in the caller's transaction; false when it was already paused.
pub async fn pause_in(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: Option<IncidentId>,
    reason: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let release_id = &state.release.id;
    let paused = store::pause(conn, release_id, incident, reason, by, now).await?;
    if paused {
        let detail = reason.unwrap_or_default();
        audit::record(conn, release_id, now, by, "rollout-pause", detail).await?;
    }
    Ok(paused)
}

/// A confirmed runbook step's rollout effect, through the same pause and changes as the
/// commands: every such step pauses; going back sets the previous step's percentage and
/// killing switches the flag off. Returns what to add to the step's confirmation.
pub async fn runbook_effect(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: IncidentId,
    effect: crate::domain::plan::StepEffect,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    use crate::domain::plan::StepEffect;
    let mut said = String::new();
    let reason = format!("runbook of {incident}");
    if pause_in(conn, state, Some(incident), Some(&reason), by, now).await? {
        said.push_str(" Rollout paused: `/golive status` shows it until `/golive rollout resume`.");
    }
    if state.release.plan().rollout.is_none() {
        return Ok(said);
    }
    let at = applied_percent(store::flag(conn, &state.release.id).await?.applied);
    match effect {
        StepEffect::RolloutBack if at > 0 => {
            let previous =
                crate::domain::rollout::previous_percent(&state.release.plan().feature_flags, at);
            let target = FlagTarget::Percent(previous);
            request_in(conn, state, None, target, ChangeWhy::Runbook, by, now).await?;
            said.push_str(&format!(
                " The rollout goes back to {previous}% (from {at}%)."
            ));
        }
        StepEffect::RolloutBack => {
            said.push_str(" Nothing is applied yet: there is no step to go back to.");
        }
        StepEffect::KillFlag => {
            request_in(conn, state, None, FlagTarget::Off, ChangeWhy::Kill, by, now).await?;
            said.push_str(" The feature flag is being switched off.");
        }
        _ => {}
    }
    Ok(said)
}

/// The rollout's lines in `/golive status`: where the flag is, a hand-made change, a pause,
/// guards out of bounds or unreadable.
pub async fn status_lines(state: &AppState) -> Result<Vec<String>, WorkflowError> {
    let plan = state.release.plan();
    let Some(rollout) = &plan.rollout else {
        return Ok(Vec::new());
    };
    let zone = plan.release.timezone;
    let release_id = &state.release.id;
    let mut conn = state.db.acquire().await?;
    let record = store::flag(&mut conn, release_id).await?;
    let mut lines = Vec::new();
    let applied = record
        .applied
        .map_or("nothing yet".to_string(), |t| t.to_string());
    let mut line = format!("rollout of `{}`: golive last set {applied}", rollout.flag);
    if let Some((server, at)) = &record.server {
        let ours = record.applied.map(FlagTarget::encode);
        if ours.as_deref() != Some(server.as_str()) && record.applied.is_some() {
            line.push_str(&format!(
                "; the flag server read {} at {} (changed outside golive)",
                shown_reading(server),
                local(*at, zone)
            ));
        }
    }
    lines.push(line);
    if let Some(pause) = store::pause_in_force(&mut conn, release_id).await? {
        let cause = pause
            .incident
            .map(|i| format!(" for {i}"))
            .or(pause.reason.map(|r| format!(" ({r})")))
            .unwrap_or_default();
        lines.push(format!(
            "rollout paused{cause} by {} since {} (`/golive rollout resume` ends it)",
            pause.by,
            local(pause.at, zone)
        ));
    }
    for (key, reading) in store::latest_readings(&mut conn, release_id).await? {
        match &reading.outcome {
            crate::domain::rollout::GuardOutcome::Pass(_) => {}
            crate::domain::rollout::GuardOutcome::Fail(value) => lines.push(format!(
                "guard {key} out of bounds: {value} ({} in a row)",
                reading.streak
            )),
            crate::domain::rollout::GuardOutcome::Unknown(why) => {
                lines.push(format!("guard {key} cannot be read: {why}"))
            }
        }
    }
    Ok(lines)
}

/// A stored reading as people read it: "25%", "off".
pub fn shown_reading(reading: &str) -> String {
    match FlagTarget::decode(reading) {
        Some(target) => target.to_string(),
        None => reading.to_string(),
    }
}
