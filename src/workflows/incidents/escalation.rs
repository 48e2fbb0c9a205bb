//! Moving incidents up the escalation ladder: paging a level, skipping an empty one, and the
//! stored waits (`escalation` jobs) that survive restarts.
//!
//! Everything here runs inside the caller's transaction: the new level, the audit lines, the
//! queued pages and the next wait commit together or not at all, so a crash never pages twice
//! and never loses a page. A wait that ran out while golive was down is simply due at start-up.

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::incident::{people, Incident, IncidentId, Reason};
use crate::domain::job::JobPayload;
use crate::domain::plan::{EscalationLevel, Role};
use crate::slack::format::users;
use crate::slack::incident_messages::{self, note, shown_summary, Note, SUMMARY_IN_PAGE};
use crate::state::AppState;
use crate::storage::incidents::{self, job_prefix};
use crate::storage::{audit, jobs};
use crate::workflows::incidents::posts::{self as incident_posts, To};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

/// Runs one due `escalation` job: decides the step, and if it is due takes it.
pub async fn run(state: &AppState, job: jobs::Job, id: IncidentId) -> Result<(), WorkflowError> {
    let release_id = job.release_id.clone();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if let Some(mut incident) = incidents::load(&mut tx, &release_id, id).await? {
        let open_p0 = incidents::open_p0_count(&mut tx, &release_id).await?;
        let level = incident.level;
        // The job is finished first: `advance` may schedule this same key again.
        jobs::finish(&mut tx, &job, now).await?;
        advance(&mut tx, state, &mut incident, open_p0, now).await?;
        incidents::save(&mut tx, &release_id, &incident).await?;
        tx.commit().await?;
        if incident.level != level {
            // Off the pass, so the pages just queued are not held up by the update.
            refresh::spawn(state, Target::Incident(incident.id));
        }
        return Ok(());
    }
    jobs::finish(&mut tx, &job, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes every step that is due now and stores the wait for the next one, if any.
pub async fn advance(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &mut Incident,
    open_p0: usize,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let ladder = &state.release.plan().escalation;
    while let Some(step) = incident.next_step(ladder, open_p0, now) {
        if step.due_at > now {
            let key = format!("{}l{}", job_prefix(incident.id), step.to_level);
            let payload = JobPayload::Escalation {
                incident: incident.id.0,
            };
            let release_id = &state.release.id;
            jobs::schedule(conn, release_id, &key, step.due_at, &payload).await?;
            break;
        }
        if !climb(conn, state, incident, step.reason, now).await? {
            break;
        }
    }
    Ok(())
}

/// Moves one level up (and on past empty levels), says why in the thread and pages the new
/// level. Returns false at the top of the ladder.
pub async fn climb(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &mut Incident,
    reason: Reason,
    now: DateTime<Utc>,
) -> Result<bool, WorkflowError> {
    let ladder = &state.release.plan().escalation;
    let from = incident.level;
    if incident.escalate(ladder, now).is_err() {
        return Ok(false);
    }
    let Some(level) = level(ladder, incident.level) else {
        return Ok(false);
    };
    let detail = format!(
        "{} L{from} → L{} {}: {reason}",
        incident.id, incident.level, level.name
    );
    audit::record(
        conn,
        &state.release.id,
        now,
        GOLIVE,
        "incident-escalate",
        &detail,
    )
    .await?;
    let plain = format!(
        "{} escalated to L{} {} because {}.",
        incident.id,
        incident.level,
        level.name,
        plain_reason(&reason)
    );
    let body = format!(
        "*{} escalated to L{} {}* because {reason}.",
        incident.id, incident.level, level.name
    );
    page(conn, state, incident, Some((plain, body)), now).await?;
    Ok(true)
}

/// Pages the incident's current level by DM and in the thread, where `why` (plain, mrkdwn) says
/// why it escalated; an empty level is reported to the release managers and skipped upward.
pub async fn page(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &mut Incident,
    why: Option<(String, String)>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let ladder = &state.release.plan().escalation;
    let Some(level) = level(ladder, incident.level).cloned() else {
        tracing::error!(incident = %incident.id, "the plan has no escalation ladder; nobody paged");
        return Ok(());
    };
    let paged = people(&level, &state.release.snapshot().roles);
    if paged.is_empty() {
        return report_empty(conn, state, incident, &level, why, now).await;
    }
    let id = incident.id;
    let who = users(&paged);
    let (why_plain, why_body) = why.clone().unwrap_or_default();
    let plain = format!(
        "{why_plain}{}Paging L{} {} for {id}: {}",
        if why.is_some() { " " } else { "" },
        level.level,
        level.name,
        paged.join(", ")
    );
    let body = format!(
        "{why_body}{}*Paging L{} {}*: {who}. Acknowledge to take ownership of {id}.",
        if why.is_some() { "\n" } else { "" },
        level.level,
        level.name
    );
    let emoji = if why.is_some() {
        ":arrow_double_up:"
    } else {
        ":pager:"
    };
    let summary = shown_summary(&incident.summary, SUMMARY_IN_PAGE);
    let dm_plain = format!(
        "You are paged (L{} {}) for {id} ({}): {summary}",
        level.level,
        level.name,
        incident.severity.as_str(),
    );
    let dm_body = format!(
        "*You are paged* (L{} {}) for *{id}* ({}): {}\nSee the thread in {}.",
        level.level,
        level.name,
        incident.severity.as_str(),
        crate::slack::render::slack_escape(&summary),
        state.release.plan().release.channel
    );
    for user in paged {
        let release_id = &state.release.id;
        let zone = state.release.plan().release.timezone;
        let message = Note {
            release: &state.release.id,
            id,
            emoji: ":rotating_light:",
            plain: &dm_plain,
            body: &dm_body,
            at: now,
            ack_button: true,
        };
        let to = To::User(user);
        incident_posts::queue(conn, release_id, id, to, now, |key| {
            note(&state.templates, &message, zone, key)
        })
        .await?;
    }
    // The DMs are queued first, so the pages go out before the thread mention.
    thread_note(conn, state, id, emoji, &plain, &body, now).await?;
    audit::record(
        conn,
        &state.release.id,
        now,
        GOLIVE,
        "incident-page",
        &format!("{id} L{}: {plain}", level.level),
    )
    .await?;
    Ok(())
}

async fn report_empty(
    conn: &mut impl AsConn,
    state: &AppState,
    incident: &mut Incident,
    level: &EscalationLevel,
    why: Option<(String, String)>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let id = incident.id;
    let managers = state.release_managers();
    let (why_plain, why_body) = why
        .map(|(plain, body)| (format!("{plain} "), format!("{body}\n")))
        .unwrap_or_default();
    let roles: Vec<&str> = level.roles.iter().map(Role::key).collect();
    let top = crate::domain::incident::next_level(&state.release.plan().escalation, level.level)
        .is_none();
    let what = if top {
        "it stays at the top of the ladder".to_string()
    } else {
        "it goes on up".to_string()
    };
    let plain = format!(
        "{why_plain}Nobody is assigned to L{} {} ({}) for {id}, so {what}. Release managers: {}.",
        level.level,
        level.name,
        roles.join(", "),
        managers.join(", ")
    );
    let body = format!(
        "{why_body}*Nobody is assigned to L{} {}* (`{}`) for {id}, so {what}. {}: please assign it with `/golive role`.",
        level.level,
        level.name,
        roles.join("`, `"),
        users(&managers)
    );
    thread_note(conn, state, id, ":warning:", &plain, &body, now).await?;
    for manager in managers {
        let release_id = &state.release.id;
        let zone = state.release.plan().release.timezone;
        let message = Note {
            release: &state.release.id,
            id,
            emoji: ":warning:",
            plain: &plain,
            body: &body,
            at: now,
            ack_button: false,
        };
        incident_posts::queue(conn, release_id, id, To::User(manager), now, |key| {
            note(&state.templates, &message, zone, key)
        })
        .await?;
    }
    audit::record(
        conn,
        &state.release.id,
        now,
        GOLIVE,
        "incident-empty-level",
        &plain,
    )
    .await?;
    if top {
        return Ok(());
    }
    let reason = Reason::NobodyAssigned { level: level.level };
    Box::pin(climb(conn, state, incident, reason, now)).await?;
    Ok(())
}

/// The incident post as the store has it now, with where it landed; `None` before it is posted.
/// Rendered from the store, so an update never shows an older state (see `refresh`).
pub async fn render_live(
    state: &AppState,
    id: IncidentId,
) -> Result<Option<(String, String, crate::slack::port::Outgoing)>, WorkflowError> {
    let release_id = &state.release.id;
    let (post, incident) = {
        let mut conn = state.db.acquire().await?;
        let post = incidents::incident_post(&mut conn, release_id, id).await?;
        (post, incidents::load(&mut conn, release_id, id).await?)
    };
    let (Some((channel, ts)), Some(incident)) = (post, incident) else {
        return Ok(None);
    };
    let plan = &state.release.plan();
    let message = incident_messages::incident_post(
        &state.templates,
        &state.release.id,
        &incident,
        &plan.escalation,
        &plan.contingencies,
        plan.release.timezone,
        &incidents::message_key(id, 0),
    )?;
    Ok(Some((channel, ts, message)))
}

/// Queues a note in the incident's thread.
pub async fn thread_note(
    conn: &mut impl AsConn,
    state: &AppState,
    id: IncidentId,
    emoji: &'static str,
    plain: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let zone = state.release.plan().release.timezone;
    let message = Note {
        release: &state.release.id,
        id,
        emoji,
        plain,
        body,
        at: now,
        ack_button: false,
    };
    incident_posts::queue(conn, &state.release.id, id, To::Thread, now, |key| {
        note(&state.templates, &message, zone, key)
    })
    .await
}

/// The incident a job key belongs to (`incident:INC-7:…`).
pub fn incident_of(key: &str) -> Option<IncidentId> {
    key.strip_prefix("incident:")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// The ladder's level `level`, else its first; `None` only for a plan without a ladder (one
/// changed since the incident opened).
fn level(ladder: &[EscalationLevel], level: u8) -> Option<&EscalationLevel> {
    ladder.iter().find(|l| l.level == level).or(ladder.first())
}

fn plain_reason(reason: &Reason) -> String {
    match reason {
        Reason::Manual { by } => format!("{by} escalated it by hand"),
        other => other.to_string(),
    }
}
