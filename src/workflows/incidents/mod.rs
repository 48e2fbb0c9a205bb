//! Incidents: raising one, acknowledging, escalating by hand, marking the L4 conditions,
//! resolving, and listing them. Commands and buttons both land here.
//!
//! Who may do what (the rule golive applies to commands and clicks alike): anyone in the launch
//! channel may raise an incident, acknowledge it, escalate it, mark customer impact or a rollback
//! under consideration, attach a runbook and confirm its steps. Only the incident's owner (who
//! acknowledged it), an engineering lead or a release manager may resolve it. Everyone else gets
//! an ephemeral refusal and nothing changes.

pub mod clicks;
pub mod escalation;
pub mod posts;
pub mod reports;
pub mod runbooks;
pub mod warm_up;

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use self::escalation::{advance, climb, thread_note};
use crate::domain::excerpt::excerpt;
use crate::domain::incident::{Incident, IncidentId, Mark, Reason, Severity};
use crate::domain::plan::Role;
use crate::slack::format::duration;
use crate::slack::incident_messages;
use crate::slack::render::slack_escape;
use crate::state::AppState;
use crate::storage::incidents::message_key;
use crate::storage::{audit, incidents};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};
use crate::workflows::incidents::posts::{self as incident_posts, To};
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

/// `/golive escalate <severity> <summary> [--runbook <key>]`.
pub async fn raise(
    state: &AppState,
    user: &str,
    severity: Severity,
    summary: &str,
    runbook: Option<&str>,
) -> Answered {
    let plan = &state.release.plan();
    if plan.escalation.is_empty() {
        let why = "The plan has no escalation ladder, so golive cannot page anyone.";
        return Ok(Answer::refused(Text::plain(why)));
    }
    if let Some(key) = runbook {
        if !plan.contingencies.iter().any(|c| c.key == key) {
            let keys: Vec<&str> = plan.contingencies.iter().map(|c| c.key.as_str()).collect();
            return Ok(Answer::refused(Text::plain(format!(
                "The plan has no runbook `{}`. Runbooks: {}.",
                excerpt(key),
                keys.join(", ")
            ))));
        }
    }
    let now = state.clock.now();
    let release_id = &state.release.id;
    let mut incident = Incident::open(
        IncidentId(0),
        severity,
        summary,
        user,
        &plan.escalation,
        now,
    );
    let mut tx = state.db.begin().await?;
    incident.id = incidents::insert(&mut tx, release_id, &incident).await?;
    let id = incident.id;
    incident.runbook = runbook.map(str::to_string);
    let detail = format!("{id} {} {summary}", severity.as_str());
    audit::record(&mut tx, release_id, now, user, "incident-open", &detail).await?;
    let zone = plan.release.timezone;
    let post = {
        let incident = incident.clone();
        move |key: &str| {
            incident_messages::incident_post(
                &state.templates,
                &state.release.id,
                &incident,
                &plan.escalation,
                &plan.contingencies,
                zone,
                key,
            )
        }
    };
    incident_posts::queue(&mut tx, release_id, id, To::Channel, now, post).await?;
    if let Some(key) = runbook {
        runbooks::attach_in(&mut tx, state, &incident, key, user, now).await?;
    }
    escalation::page(&mut tx, state, &mut incident, None, now).await?;
    let open_p0 = incidents::open_p0_count(&mut tx, release_id).await?;
    advance(&mut tx, state, &mut incident, open_p0, now).await?;
    incidents::save(&mut tx, release_id, &incident).await?;
    // The post shows where the incident stands once its first steps are taken (a P0 is at L2).
    let root = message_key(id, 0);
    incident_posts::queue_as(&mut tx, release_id, id, &root, To::Channel, now, |key| {
        incident_messages::incident_post(
            &state.templates,
            &state.release.id,
            &incident,
            &plan.escalation,
            &plan.contingencies,
            zone,
            key,
        )
    })
    .await?;
    let moved = if severity == Severity::P0 {
        reevaluate_others(&mut tx, state, id, open_p0, now).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    state.scheduler.wake();
    for other in &moved {
        refresh::request(state, Target::Incident(other.id)).await;
    }
    Ok(Answer::done(Text::plain(format!(
        "{id} ({}) is open and L{} {} is paged in the launch channel's thread.",
        severity.as_str(),
        incident.level,
        level_name(state, incident.level)
    ))))
}

/// A new P0 can change what is due for the other open incidents ("multiple-open-p0"); returns
/// those that moved.
async fn reevaluate_others(
    conn: &mut impl AsConn,
    state: &AppState,
    raised: IncidentId,
    open_p0: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Incident>, WorkflowError> {
    let mut moved = Vec::new();
    let ladder = &state.release.plan().escalation;
    for mut other in incidents::open(conn, &state.release.id).await? {
        let due_now = other
            .next_step(ladder, open_p0, now)
            .is_some_and(|step| step.due_at <= now);
        if other.id != raised && due_now {
            incidents::cancel_waits(conn, &state.release.id, other.id).await?;
            advance(conn, state, &mut other, open_p0, now).await?;
            incidents::save(conn, &state.release.id, &other).await?;
            moved.push(other);
        }
    }
    Ok(moved)
}

/// Acknowledge: `user` owns the incident and its waits stop.
pub async fn acknowledge(state: &AppState, user: &str, id: IncidentId) -> Answered {
    change(
        state,
        id,
        |incident, now| {
            incident
                .acknowledge(user, now)
                .map_err(|e| refused(e.to_string()))
                .map(|_| Step::Acknowledged)
        },
        user,
    )
    .await
}

/// Resolve, by the owner, an engineering lead or a release manager.
pub async fn resolve(state: &AppState, user: &str, id: IncidentId, note: Option<&str>) -> Answered {
    let allowed = |incident: &Incident| {
        incident.owner() == Some(user)
            || state.is_release_manager(user)
            || state.holds(Role::EngineeringLead, user)
    };
    change(
        state,
        id,
        |incident, now| {
            if !allowed(incident) {
                let owner = incident
                    .owner()
                    .map_or("nobody yet".to_string(), str::to_string);
                return Err(refused(format!(
                    "Only the owner of {id} ({owner}), an engineering lead or a release manager can resolve it; nothing was changed."
                )));
            }
            incident
                .resolve(user, note, now)
                .map_err(|e| refused(e.to_string()))
                .map(|_| Step::Resolved)
        },
        user,
    )
    .await
}

/// "Escalate now".
pub async fn escalate_now(state: &AppState, user: &str, id: IncidentId) -> Answered {
    change(
        state,
        id,
        |incident, _| {
            if !incident.is_open() {
                return Err(refused(format!("{id} is already resolved.")));
            }
            let ladder = &state.release.plan().escalation;
            match crate::domain::incident::next_level(ladder, incident.level) {
                Some(_) => Ok(Step::EscalateNow),
                None => Err(refused(format!(
                    "{id} is already at the top of the escalation ladder."
                ))),
            }
        },
        user,
    )
    .await
}

/// "Customer impact" or "Rollback considered".
pub async fn mark(state: &AppState, user: &str, id: IncidentId, mark: Mark) -> Answered {
    change(
        state,
        id,
        |incident, _| match incident.mark(mark) {
            Ok(true) => Ok(Step::Marked(mark)),
            Ok(false) => Err(refused(format!(
                "{} is already recorded for {id}.",
                mark_text(mark)
            ))),
            Err(e) => Err(refused(e.to_string())),
        },
        user,
    )
    .await
}

/// What a change did, for the thread and the audit log.
enum Step {
    Acknowledged,
    Resolved,
    EscalateNow,
    Marked(Mark),
}

/// Loads the incident, applies `decide`, then stores, logs, tells the thread and moves the ladder,
/// all in one transaction.
async fn change(
    state: &AppState,
    id: IncidentId,
    decide: impl FnOnce(&mut Incident, DateTime<Utc>) -> Result<Step, Refusal>,
    user: &str,
) -> Answered {
    let release_id = &state.release.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(mut incident) = incidents::load(&mut tx, release_id, id).await? else {
        return Ok(Answer::refused(Text::plain(format!(
            "There is no incident {id}."
        ))));
    };
    let step = match decide(&mut incident, now) {
        Ok(step) => step,
        Err(refusal) => return Ok(refusal.into()),
    };
    let (action, plain, body, emoji) = describe(state, &incident, &step, user);
    audit::record(&mut tx, release_id, now, user, action, &plain).await?;
    thread_note(&mut tx, state, id, emoji, &plain, &body, now).await?;
    match step {
        Step::Acknowledged | Step::Resolved => {
            incidents::cancel_waits(&mut tx, release_id, id).await?;
        }
        Step::EscalateNow => {
            incidents::cancel_waits(&mut tx, release_id, id).await?;
            let reason = Reason::Manual {
                by: user.to_string(),
            };
            climb(&mut tx, state, &mut incident, reason, now).await?;
        }
        Step::Marked(_) => {}
    }
    let open_p0 = incidents::open_p0_count(&mut tx, release_id).await?;
    let open_p0 = if incident.is_open() {
        open_p0
    } else {
        open_p0.saturating_sub(1)
    };
    advance(&mut tx, state, &mut incident, open_p0, now).await?;
    incidents::save(&mut tx, release_id, &incident).await?;
    tx.commit().await?;
    state.scheduler.wake();
    refresh::request(state, Target::Incident(incident.id)).await;
    Ok(Answer::done(Text::plain(plain)))
}

/// A refusal of an incident step; its text may quote what was typed.
fn refused(why: String) -> Refusal {
    Refusal::new(Text::plain(why))
}

fn describe(
    state: &AppState,
    incident: &Incident,
    step: &Step,
    user: &str,
) -> (&'static str, String, String, &'static str) {
    let id = incident.id;
    match step {
        Step::Acknowledged => (
            "incident-ack",
            format!("{id} acknowledged by {user}, who owns it now; escalation timers stopped."),
            format!(
                "*{id} acknowledged by <@{user}>*, who owns it now. Escalation timers stopped."
            ),
            ":raising_hand:",
        ),
        Step::Resolved => {
            let note = incident.resolved.as_ref().and_then(|r| r.note.clone());
            let plain_note = note
                .as_ref()
                .map(|n| format!(" Note: {n}"))
                .unwrap_or_default();
            let body_note = note
                .map(|n| format!("\n> {}", slack_escape(&n)))
                .unwrap_or_default();
            let open_for = duration(state.clock.now() - incident.opened_at);
            (
                "incident-resolve",
                format!("{id} resolved by {user} after {open_for}.{plain_note}"),
                format!("*{id} resolved* by <@{user}> after {open_for}.{body_note}"),
                ":white_check_mark:",
            )
        }
        Step::EscalateNow => (
            "incident-escalate-now",
            format!("{user} asked to escalate {id} now."),
            format!("<@{user}> asked to escalate {id} now."),
            ":arrow_double_up:",
        ),
        Step::Marked(mark) => (
            "incident-mark",
            format!("{} recorded for {id} by {user}.", mark_text(*mark)),
            format!("*{}* recorded for {id} by <@{user}>.", mark_text(*mark)),
            ":bangbang:",
        ),
    }
}

fn mark_text(mark: Mark) -> &'static str {
    match mark {
        Mark::CustomerImpact => "Customer impact",
        Mark::RollbackConsidered => "Rollback under consideration",
    }
}

fn level_name(state: &AppState, level: u8) -> String {
    state
        .release
        .plan()
        .escalation
        .iter()
        .find(|l| l.level == level)
        .map_or(String::new(), |l| l.name.clone())
}
