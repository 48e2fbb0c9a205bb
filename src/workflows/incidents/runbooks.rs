//! Contingency runbooks on incidents: attaching one (its checklist goes to the thread and its
//! clocks start), confirming steps (with their effects: rollout pause, hotfix recorded), the
//! clocks themselves (`runbook_clock` jobs), and resuming the rollout.

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::excerpt::excerpt;
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::job::JobPayload;
use crate::domain::plan::Contingency;
use crate::domain::runbook::{self, ClockKind, StepEffect};
use crate::slack::format::{local, users};
use crate::slack::incident_messages;
use crate::state::AppState;
use crate::storage::incidents::{self, job_prefix};
use crate::storage::{audit, jobs, runbooks as runbook_steps};
use crate::workflows::answer::{Answer, Answered, Text};
use crate::workflows::incidents::escalation::thread_note;
use crate::workflows::incidents::posts::{self as incident_posts, To};
use crate::workflows::{rollout, WorkflowError};

/// The key of an incident's runbook checklist message (updated in place as steps are confirmed).
fn checklist_key(id: IncidentId) -> String {
    format!("{}runbook", job_prefix(id))
}

fn contingency(state: &AppState, key: &str) -> Option<Contingency> {
    state
        .release
        .plan()
        .contingencies
        .iter()
        .find(|c| c.key == key)
        .cloned()
}

/// Attaches `key` inside the caller's transaction: checklist to the thread, clocks started.
pub async fn attach_in(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &Incident,
    key: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let Some(contingency) = contingency(state, key) else {
        return Ok(());
    };
    let id = incident.id;
    let release_id = &state.release.id;
    let zone = state.release.plan().release.timezone;
    let checklist = |key: &str| {
        incident_messages::runbook(
            &state.templates,
            &state.release.id,
            id,
            &contingency,
            &[],
            zone,
            key,
        )
    };
    incident_posts::queue_as(
        conn,
        release_id,
        id,
        &checklist_key(id),
        To::Thread,
        now,
        checklist,
    )
    .await?;
    for clock in runbook::clocks(&contingency, incident.severity, incident.opened_at) {
        let job_key = format!("{}{}", job_prefix(id), clock.kind.key());
        let payload = JobPayload::RunbookClock {
            incident: id.0,
            clock: clock.kind,
            deadline: clock.deadline,
        };
        jobs::schedule(conn, release_id, &job_key, clock.due_at, &payload).await?;
    }
    let detail = format!("{id} runbook {key}");
    audit::record(conn, release_id, now, user, "runbook-attach", &detail).await?;
    Ok(())
}

/// The "Runbook: …" button.
pub async fn attach(state: &AppState, user: &str, id: IncidentId, key: &str) -> Answered {
    let Some(contingency) = contingency(state, key) else {
        return refuse(format!("The plan has no runbook `{}`.", excerpt(key)));
    };
    let release_id = &state.release.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(mut incident) = incidents::load(&mut tx, release_id, id).await? else {
        return refuse(format!("There is no incident {id}."));
    };
    if !incident.is_open() {
        return refuse(format!("{id} is already resolved."));
    }
    if let Some(attached) = &incident.runbook {
        return refuse(format!("{id} already follows the runbook `{attached}`."));
    }
    incident.runbook = Some(key.to_string());
    incidents::save(&mut tx, release_id, &incident).await?;
    let plain = format!("{user} attached the runbook {} to {id}.", contingency.title);
    let body = format!("<@{user}> attached the runbook *{}*.", contingency.title);
    thread_note(&mut tx, state, id, ":clipboard:", &plain, &body, now).await?;
    attach_in(&mut tx, state, &incident, key, user, now).await?;
    tx.commit().await?;
    state.scheduler.wake();
    crate::workflows::refresh::request(
        state,
        crate::workflows::refresh::Target::Incident(incident.id),
    )
    .await;
    Ok(Answer::done(Text::plain(plain)))
}

/// A runbook step's "Done" button. Answers with the refreshed checklist, to show in place of the
/// one clicked.
pub async fn confirm_step(state: &AppState, user: &str, id: IncidentId, step: usize) -> Answered {
    let release_id = &state.release.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(incident) = incidents::load(&mut tx, release_id, id).await? else {
        return refuse(format!("There is no incident {id}."));
    };
    let Some(contingency) = incident
        .runbook
        .as_deref()
        .and_then(|k| contingency(state, k))
    else {
        return refuse(format!("{id} has no runbook."));
    };
    let Some(runbook_step) = contingency.steps.get(step) else {
        return refuse("That step is not in the runbook.".into());
    };
    let text = &runbook_step.text;
    if !runbook_steps::confirm_step(&mut tx, release_id, id, step, user, now).await? {
        return refuse(format!("Step {} of {id} is already confirmed.", step + 1));
    }
    let mut plain = format!("Step {} of {id} confirmed by {user}: {text}.", step + 1);
    match runbook::effect(runbook_step) {
        Some(effect) if effect.pauses_rollout() => {
            plain.push_str(&rollout::runbook_effect(&mut tx, state, id, effect, user, now).await?);
        }
        Some(StepEffect::HotfixDeployed) => {
            incidents::record_hotfix(&mut tx, release_id, id, now).await?;
            plain.push_str(" Hotfix recorded.");
        }
        Some(_) | None => {}
    }
    audit::record(&mut tx, release_id, now, user, "runbook-step", &plain).await?;
    let body = plain.replacen(&format!("by {user}"), &format!("by <@{user}>"), 1);
    thread_note(&mut tx, state, id, ":white_check_mark:", &plain, &body, now).await?;
    let confirmed = runbook_steps::confirmed_steps(&mut tx, release_id, id).await?;
    tx.commit().await?;
    state.scheduler.wake();
    let zone = state.release.plan().release.timezone;
    let refreshed = incident_messages::runbook(
        &state.templates,
        &state.release.id,
        id,
        &contingency,
        &confirmed,
        zone,
        &checklist_key(id),
    )?;
    Ok(Answer::Message(refreshed))
}

/// Runs one due runbook clock: a notice in the thread unless its condition was met.
pub async fn run_clock(
    state: &AppState,
    job: jobs::Job,
    id: IncidentId,
    kind: ClockKind,
    deadline: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let release_id = job.release_id.clone();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    jobs::finish(&mut tx, &job, now).await?;
    if let Some(incident) = incidents::load(&mut tx, &release_id, id).await? {
        notify(&mut tx, state, &incident, kind, deadline, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn notify(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &Incident,
    kind: ClockKind,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let id = incident.id;
    let release_id = &state.release.id;
    let hotfix = incidents::hotfix_at(conn, release_id, id).await?;
    let hotfix_clock = matches!(kind, ClockKind::HotfixReminder | ClockKind::HotfixBreach);
    if hotfix_clock && (hotfix.is_some() || !incident.is_open()) {
        return Ok(());
    }
    if kind == ClockKind::ReviewReminder && review_held(conn, state, incident).await? {
        return Ok(());
    }
    let step_text = match kind.step() {
        Some(step) => {
            let confirmed = runbook_steps::confirmed_steps(conn, release_id, id).await?;
            if !incident.is_open() || confirmed.iter().any(|(done, _, _)| *done == step) {
                return Ok(());
            }
            incident
                .runbook
                .as_deref()
                .and_then(|k| contingency(state, k))
                .and_then(|c| c.steps.get(step).map(|s| s.text.clone()))
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let zone = state.release.plan().release.timezone;
    let mut people: Vec<String> = incident.owner().map(str::to_string).into_iter().collect();
    people.extend(state.release_managers());
    people.dedup();
    let by = local(deadline, zone);
    let (emoji, plain) = match kind {
        ClockKind::HotfixReminder => (
            ":hourglass_flowing_sand:",
            format!("Reminder: the hotfix for {id} is due by {by} and none is recorded yet."),
        ),
        ClockKind::HotfixBreach => (
            ":x:",
            format!("Hotfix deadline breached: {id} has no hotfix recorded at {by}."),
        ),
        ClockKind::ReviewReminder => (
            ":memo:",
            format!("Reminder: hold the post-incident review for {id} by {by}."),
        ),
        ClockKind::StepReminder(step) => (
            ":hourglass_flowing_sand:",
            format!("Reminder: step {} of {id}, “{step_text}”, is due by {by}.", step + 1),
        ),
        ClockKind::StepBreach(step) => (
            ":x:",
            format!("Deadline passed: step {} of {id}, “{step_text}”, was due by {by} and is not confirmed.", step + 1),
        ),
    };
    let body = format!("*{plain}* {}", users(&people));
    thread_note(conn, state, id, emoji, &plain, &body, now).await?;
    audit::record(
        conn,
        release_id,
        now,
        crate::workflows::launch::setup::GOLIVE,
        &kind.key(),
        &plain,
    )
    .await?;
    Ok(())
}

async fn review_held(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &Incident,
) -> Result<bool, WorkflowError> {
    let Some(contingency) = incident
        .runbook
        .as_deref()
        .and_then(|k| contingency(state, k))
    else {
        return Ok(false);
    };
    let confirmed = runbook_steps::confirmed_steps(conn, &state.release.id, incident.id).await?;
    Ok(confirmed.iter().any(|(step, _, _)| {
        contingency
            .steps
            .get(*step)
            .is_some_and(|step| runbook::effect(step) == Some(StepEffect::ReviewHeld))
    }))
}

/// A refused runbook step; its text may quote what was typed.
fn refuse(why: String) -> Answered {
    Ok(Answer::refused(Text::plain(why)))
}
