//! Checklists as interactive messages: posting them (when due and on demand), rendering the live
//! post from the store, the one reminder near the deadline, and progress for `/golive status`.
//! Clicks on items are in [`clicks`].
//!
//! The latest post of a checklist is the live one; a click on an older post changes nothing.

pub mod clicks;

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::checklist::{ChecklistSpec, Confirmation, Progress};
use crate::domain::job::JobPayload;
use crate::domain::plan::ChecklistItem;
use crate::slack::checklist_messages;
use crate::slack::format::owner_mention;
use crate::slack::port::{Outgoing, Posted};
use crate::state::AppState;
use crate::storage::jobs::{self, Job};
use crate::storage::{audit, checklists};
use crate::workflows::answer::{Answer, Answered, Text};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::WorkflowError;

/// The checklist key of a scheduled checklist post ("checklist:l-1:due" → "l-1").
pub fn due_checklist(occurrence_key: &str) -> Option<&str> {
    occurrence_key
        .strip_prefix("checklist:")?
        .strip_suffix(":due")
}

/// The checklist with its confirmations from the store.
pub async fn progress(
    conn: &mut impl AsConn,
    state: &AppState,
    spec: ChecklistSpec,
) -> Result<Progress, WorkflowError> {
    let confirmed = checklists::confirmations(conn, &state.release.id, &spec.key).await?;
    Ok(Progress { spec, confirmed })
}

/// When a checklist's items should all be done, once L-Day is known.
pub fn deadline(state: &AppState, spec: &ChecklistSpec) -> Option<DateTime<Utc>> {
    let launch = state.release.snapshot().launch_date?;
    spec.deadline(&state.release.plan(), launch)
}

/// The checklist message as the store has it now.
pub async fn message(state: &AppState, spec: ChecklistSpec) -> Result<Outgoing, WorkflowError> {
    let deadline = deadline(state, &spec);
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    Ok(checklist_messages::checklist(
        &state.templates,
        &state.release.plan(),
        &progress,
        deadline,
    )?)
}

/// The live post of a checklist rendered from the store: (channel, ts, message).
pub async fn render_live(
    state: &AppState,
    key: &str,
) -> Result<Option<(String, String, Outgoing)>, WorkflowError> {
    let Ok(spec) = ChecklistSpec::from_plan(&state.release.plan(), key) else {
        return Ok(None);
    };
    let post = {
        let mut conn = state.db.acquire().await?;
        checklists::latest_post(&mut conn, &state.release.id, key).await?
    };
    let Some(post) = post else { return Ok(None) };
    let message = message(state, spec).await?;
    Ok(Some((post.channel, post.ts, message)))
}

/// `/golive checklist <key>`: posts the checklist to the launch channel; it becomes the live post.
pub async fn post_on_demand(state: &AppState, user: &str, key: &str) -> Answered {
    let spec = match ChecklistSpec::from_plan(&state.release.plan(), key) {
        Ok(spec) => spec,
        // The error quotes the key as typed.
        Err(error) => return Ok(Answer::refused(Text::plain(format!("{error}.")))),
    };
    let title = spec.title.clone();
    let message = message(state, spec).await?;
    let posted = state.slack.post(&state.release.channel(), &message).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    record_post(&mut tx, state, key, &posted, now).await?;
    audit::record(&mut tx, &state.release.id, now, user, "checklist-post", key).await?;
    tx.commit().await?;
    let text =
        format!("Posted the checklist “{title}”; earlier posts of it no longer take clicks.");
    Ok(Answer::done(Text::mrkdwn(text)))
}

async fn record_post(
    conn: &mut impl AsConn,
    state: &AppState,
    key: &str,
    posted: &Posted,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let release = &state.release.id;
    checklists::record_post(conn, release, key, &posted.channel, &posted.ts, now).await?;
    Ok(())
}

/// The message for a scheduled checklist post ("checklist:l-1:due"), if the key names one.
pub async fn scheduled_message(
    state: &AppState,
    occurrence_key: &str,
) -> Result<Option<Outgoing>, WorkflowError> {
    let Some(key) = due_checklist(occurrence_key) else {
        return Ok(None);
    };
    match ChecklistSpec::from_plan(&state.release.plan(), key) {
        Ok(spec) => Ok(Some(message(state, spec).await?)),
        Err(_) => Ok(None),
    }
}

/// Inside the transaction that records a scheduled checklist post: remembers it as the live post
/// and schedules the one reminder, [`REMIND_BEFORE`](crate::domain::checklist::REMIND_BEFORE)
/// before the deadline (at once if that has passed, never after the deadline).
pub async fn scheduled_post_made(
    conn: &mut impl AsConn,
    state: &AppState,
    occurrence_key: &str,
    posted: &Posted,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let Some(key) = due_checklist(occurrence_key) else {
        return Ok(());
    };
    record_post(conn, state, key, posted, now).await?;
    let spec = ChecklistSpec::from_plan(&state.release.plan(), key).ok();
    let Some(deadline) = spec.and_then(|spec| deadline(state, &spec)) else {
        return Ok(());
    };
    if now < deadline {
        let remind_at = (deadline - crate::domain::checklist::REMIND_BEFORE).max(now);
        let payload = JobPayload::ChecklistReminder {
            checklist: key.to_string(),
        };
        let job_key = format!("checklist:{key}:reminder");
        jobs::schedule(conn, &state.release.id, &job_key, remind_at, &payload).await?;
    }
    Ok(())
}

/// Runs a reminder job: if items are still open, mentions their owners in the checklist's thread
/// and posts a summary in the channel. At most once: the job is marked done before anything is
/// posted, so a crash mid-way loses the reminder rather than repeating it.
pub async fn remind(state: &AppState, job: Job, key: String) -> Result<(), WorkflowError> {
    let now = state.clock.now();
    {
        let mut tx = state.db.begin().await?;
        jobs::finish(&mut tx, &job, now).await?;
        tx.commit().await?;
    }
    let Ok(spec) = ChecklistSpec::from_plan(&state.release.plan(), &key) else {
        return Ok(());
    };
    let Some(deadline) = deadline(state, &spec) else {
        return Ok(());
    };
    let mut conn = state.db.acquire().await?;
    let post = checklists::latest_post(&mut conn, &state.release.id, &key).await?;
    let progress = progress(&mut conn, state, spec).await?;
    drop(conn);
    if progress.open_items().is_empty() {
        return Ok(());
    }
    let plan = &state.release.plan();
    let ids = state.release.slack_ids();
    let roles = state.release.snapshot().roles.clone();
    let mention = |item: &ChecklistItem| owner_mention(plan, &item.owner, &ids.groups, &roles);
    let (mut thread, summary) =
        checklist_messages::reminder(&state.templates, plan, &progress, deadline, mention)?;
    let channel = state.release.channel();
    thread.thread_ts = post.map(|p| p.ts);
    state.slack.post(&channel, &thread).await?;
    state.slack.post(&channel, &summary).await?;
    let mut conn = state.db.acquire().await?;
    let open = progress.open_items().len();
    let detail = format!("{key}: {open} item(s) open");
    audit::record(
        &mut conn,
        &state.release.id,
        now,
        GOLIVE,
        "checklist-reminder",
        &detail,
    )
    .await?;
    Ok(())
}

/// Confirms an item on golive's behalf inside the caller's transaction (the go/no-go decision
/// ticks "Final go/no-go meeting held"); true when it was open.
pub async fn confirm_for_golive(
    conn: &mut impl AsConn,
    state: &AppState,
    checklist: &str,
    item: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<bool, WorkflowError> {
    let release = &state.release.id;
    let confirmation = Confirmation {
        by: GOLIVE.to_string(),
        at: now,
    };
    if !checklists::confirm_item(conn, release, checklist, item, &confirmation).await? {
        return Ok(false);
    }
    let detail = format!("{checklist}/{item}: {why}");
    audit::record(conn, release, now, GOLIVE, "checklist-confirm", &detail).await?;
    Ok(true)
}

/// How many open items `/golive status` names per checklist.
const STATUS_ITEMS: usize = 5;

/// One line per posted checklist that still has open items, for `/golive status`.
pub async fn open_lines(state: &AppState) -> Result<Vec<String>, WorkflowError> {
    let plan = &state.release.plan();
    let mut conn = state.db.acquire().await?;
    let mut lines = Vec::new();
    for key in checklists::posted_checklists(&mut conn, &state.release.id).await? {
        let Ok(spec) = ChecklistSpec::from_plan(plan, &key) else {
            continue;
        };
        let progress = progress(&mut conn, state, spec).await?;
        let open = progress.open_items();
        if open.is_empty() {
            continue;
        }
        let mut names: Vec<String> = open
            .iter()
            .take(STATUS_ITEMS)
            .map(|i| format!("{} ({})", i.text, plan.owner_name(&i.owner)))
            .collect();
        if open.len() > STATUS_ITEMS {
            names.push(format!(
                "and {} more in the checklist's post",
                open.len() - STATUS_ITEMS
            ));
        }
        lines.push(format!(
            "checklist {}: {} of {} done; open: {}",
            progress.spec.title,
            progress.done(),
            progress.spec.items.len(),
            names.join(", ")
        ));
    }
    Ok(lines)
}
