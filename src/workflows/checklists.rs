//! Checklists as interactive messages: posting them (when due and on demand), confirming and
//! reopening items, the one reminder near the deadline, and progress for `/golive status`.
//!
//! The latest post of a checklist is the live one; a click on an older post changes nothing.
//! Every change is written first (one transaction, guarded by the table's key), then the live
//! post is rendered again from the store (see [`super::refresh`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::refresh::{self, Target};
use super::refusal::{self, told, Refusal};
use super::setup::GOLIVE;
use super::WorkflowError;
use crate::domain::checklist::{
    may_confirm, ChecklistError, ChecklistSpec, Confirmation, Progress,
};
use crate::domain::plan::{ChecklistItem, Owner};
use crate::slack::action_id::ItemRef;
use crate::slack::checklist_messages::{self, REOPEN_REASON_BLOCK, REOPEN_REASON_INPUT};
use crate::slack::format::{local, owner_mention};
use crate::slack::inbound::{Action, Submission};
use crate::slack::messages::{self, Tone};
use crate::slack::port::{Outgoing, Posted};
use crate::state::AppState;
use crate::storage::jobs::{self, Job};
use crate::storage::{audit, checklists};

/// The job kind of the reminder near a checklist's deadline.
pub const REMINDER: &str = "checklist_reminder";

/// The checklist key of a scheduled checklist post ("checklist:l-1:due" → "l-1").
pub fn due_checklist(occurrence_key: &str) -> Option<&str> {
    occurrence_key
        .strip_prefix("checklist:")?
        .strip_suffix(":due")
}

/// The checklist with its confirmations from the store.
pub async fn progress(
    conn: &mut SqliteConnection,
    state: &AppState,
    spec: ChecklistSpec,
) -> Result<Progress, WorkflowError> {
    let confirmed = checklists::confirmations(conn, &state.release.id, &spec.key).await?;
    Ok(Progress { spec, confirmed })
}

/// When a checklist's items should all be done, once L-Day is known.
pub fn deadline(state: &AppState, spec: &ChecklistSpec) -> Option<DateTime<Utc>> {
    let launch = state.release.snapshot().launch_date?;
    spec.deadline(&state.release.plan, launch)
}

/// The checklist message as the store has it now.
pub async fn message(state: &AppState, spec: ChecklistSpec) -> Result<Outgoing, WorkflowError> {
    let deadline = deadline(state, &spec);
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    Ok(checklist_messages::checklist(
        &state.templates,
        &state.release.plan,
        &progress,
        deadline,
    )?)
}

/// The live post of a checklist rendered from the store: (channel, ts, message).
pub async fn render_live(
    state: &AppState,
    key: &str,
) -> Result<Option<(String, String, Outgoing)>, WorkflowError> {
    let Ok(spec) = ChecklistSpec::from_plan(&state.release.plan, key) else {
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
pub async fn post_on_demand(
    state: &AppState,
    user: &str,
    key: &str,
) -> Result<Outgoing, WorkflowError> {
    let spec = match ChecklistSpec::from_plan(&state.release.plan, key) {
        Ok(spec) => spec,
        Err(error) => {
            let text = format!("{error}.");
            return Ok(messages::notice(
                &state.templates,
                Tone::Refused,
                &text,
                &text,
            )?);
        }
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
    Ok(messages::notice(
        &state.templates,
        Tone::Done,
        &text,
        &text,
    )?)
}

async fn record_post(
    conn: &mut SqliteConnection,
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
    match ChecklistSpec::from_plan(&state.release.plan, key) {
        Ok(spec) => Ok(Some(message(state, spec).await?)),
        Err(_) => Ok(None),
    }
}

/// Inside the transaction that records a scheduled checklist post: remembers it as the live post
/// and schedules the one reminder, [`REMIND_BEFORE`](crate::domain::checklist::REMIND_BEFORE)
/// before the deadline (at once if that has passed, never after the deadline).
pub async fn scheduled_post_made(
    conn: &mut SqliteConnection,
    state: &AppState,
    occurrence_key: &str,
    posted: &Posted,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let Some(key) = due_checklist(occurrence_key) else {
        return Ok(());
    };
    record_post(conn, state, key, posted, now).await?;
    let spec = ChecklistSpec::from_plan(&state.release.plan, key).ok();
    let Some(deadline) = spec.and_then(|spec| deadline(state, &spec)) else {
        return Ok(());
    };
    if now < deadline {
        let remind_at = (deadline - crate::domain::checklist::REMIND_BEFORE).max(now);
        let payload = serde_json::json!({ "checklist": key }).to_string();
        let job_key = format!("checklist:{key}:reminder");
        jobs::schedule(
            conn,
            &state.release.id,
            &job_key,
            REMINDER,
            remind_at,
            &payload,
        )
        .await?;
    }
    Ok(())
}

/// Runs a reminder job: if items are still open, mentions their owners in the checklist's thread
/// and posts a summary in the channel. At most once: the job is marked done before anything is
/// posted, so a crash mid-way loses the reminder rather than repeating it.
pub async fn remind(state: &AppState, job: Job) -> Result<(), WorkflowError> {
    let now = state.clock.now();
    let key = job
        .key
        .strip_prefix("checklist:")
        .and_then(|k| k.strip_suffix(":reminder"))
        .unwrap_or_default()
        .to_string();
    {
        let mut tx = state.db.begin().await?;
        jobs::complete(&mut tx, &job.release_id, &job.key, None, None, now).await?;
        tx.commit().await?;
    }
    let Ok(spec) = ChecklistSpec::from_plan(&state.release.plan, &key) else {
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
    let plan = &state.release.plan;
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

/// A click on an item's Confirm button.
pub async fn on_confirm(state: &AppState, action: &Action) -> Result<(), String> {
    let outcome = confirm(state, action).await;
    refusal::answered(state, action, outcome).await
}

async fn confirm(state: &AppState, action: &Action) -> Result<(), Refusal> {
    let (spec, item) = clicked_item(state, action).await?;
    let text = spec
        .item(&item.item)
        .map(|i| i.text.clone())
        .unwrap_or_default();
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    drop(conn);
    let confirmed = progress
        .confirm(&item.item, &action.user, now)
        .map_err(|error| refusal(state, error))?;
    let mut tx = state.db.begin_with("BEGIN IMMEDIATE").await?;
    let release = &state.release.id;
    let stored = checklists::confirm_item(
        &mut tx,
        release,
        &item.checklist,
        &item.item,
        &confirmed.confirmation,
    )
    .await?;
    if !stored {
        return Err(told(format!(
            "“{text}” was confirmed by someone else a moment ago; nothing was changed."
        )));
    }
    let detail = format!("{}/{}: {text}", item.checklist, item.item);
    audit::record(
        &mut tx,
        release,
        now,
        &action.user,
        "checklist-confirm",
        &detail,
    )
    .await?;
    tx.commit().await?;
    refresh::request(state, Target::Checklist(item.checklist)).await;
    Ok(())
}

/// A click on an item's Reopen button: asks for the reason in a modal.
pub async fn on_reopen(state: &AppState, action: &Action) -> Result<(), String> {
    let outcome = reopen_clicked(state, action).await;
    refusal::answered(state, action, outcome).await
}

async fn reopen_clicked(state: &AppState, action: &Action) -> Result<(), Refusal> {
    let (spec, item) = clicked_item(state, action).await?;
    let Some(text) = spec.item(&item.item).map(|i| i.text.clone()) else {
        return Err(told(
            "That item is no longer on the checklist; nothing was changed.",
        ));
    };
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    drop(conn);
    if !progress.confirmed.contains_key(&item.item) {
        return Err(told(format!(
            "“{text}” is open already; nothing was changed."
        )));
    }
    let view = checklist_messages::reopen_modal(&item, &text);
    state.slack.open_view(&action.trigger_id, &view).await?;
    Ok(())
}

/// The reopen modal was submitted. An empty reason keeps the modal open with an error.
pub async fn on_reopen_reason(
    state: &AppState,
    submission: &Submission,
) -> Result<(), HashMap<String, String>> {
    let error = |text: String| HashMap::from([(REOPEN_REASON_BLOCK.to_string(), text)]);
    match reopen(state, submission).await {
        Ok(()) => Ok(()),
        Err(refusal) => Err(error(refusal.text())),
    }
}

async fn reopen(state: &AppState, submission: &Submission) -> Result<(), Refusal> {
    let item: ItemRef = serde_json::from_str(&submission.private_metadata)
        .map_err(|_| told("This form is not golive's; nothing was changed."))?;
    let spec = ChecklistSpec::from_plan(&state.release.plan, &item.checklist)
        .map_err(|error| told(format!("{error}.")))?;
    permitted(state, &spec, &item, &submission.user).await?;
    let reason = submission
        .inputs
        .get(REOPEN_REASON_INPUT)
        .map(String::as_str)
        .unwrap_or_default();
    let now = state.clock.now();
    let mut tx = state.db.begin_with("BEGIN IMMEDIATE").await?;
    let progress = progress(&mut tx, state, spec).await?;
    let reopened = progress
        .reopen(&item.item, &submission.user, reason, now)
        .map_err(|error| refusal(state, error))?;
    let release = &state.release.id;
    checklists::reopen_item(&mut tx, release, &item.checklist, &item.item, &reopened.was).await?;
    let detail = format!(
        "{}/{} (confirmed by {}): {}",
        item.checklist, item.item, reopened.was.by, reopened.reason
    );
    audit::record(
        &mut tx,
        release,
        now,
        &submission.user,
        "checklist-reopen",
        &detail,
    )
    .await?;
    tx.commit().await?;
    refresh::spawn(state, Target::Checklist(item.checklist));
    Ok(())
}

/// Confirms an item on golive's behalf inside the caller's transaction (the go/no-go decision
/// ticks "Final go/no-go meeting held"); true when it was open.
pub async fn confirm_for_golive(
    conn: &mut SqliteConnection,
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

/// One line per posted checklist that still has open items, for `/golive status`.
pub async fn open_lines(state: &AppState) -> Result<Vec<String>, WorkflowError> {
    let plan = &state.release.plan;
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
        let names: Vec<String> = open
            .iter()
            .map(|i| format!("{} ({})", i.text, plan.owner_name(&i.owner)))
            .collect();
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

/// The checklist and item a click names, after checking the click is on the live post and the
/// person may change the item.
async fn clicked_item(
    state: &AppState,
    action: &Action,
) -> Result<(ChecklistSpec, ItemRef), Refusal> {
    let item: ItemRef = serde_json::from_str(&action.value)
        .map_err(|_| told("That button is not golive's; nothing was changed."))?;
    let spec = ChecklistSpec::from_plan(&state.release.plan, &item.checklist)
        .map_err(|error| told(format!("{error}.")))?;
    let live = {
        let mut conn = state.db.acquire().await?;
        checklists::latest_post(&mut conn, &state.release.id, &spec.key).await?
    };
    if live
        .as_ref()
        .is_none_or(|post| post.ts != action.message_ts)
    {
        return Err(told(format!(
            "This is an old post of the checklist “{}”; use its latest post in the channel (or `/golive checklist {}`). Nothing was changed.",
            spec.title, spec.key
        )));
    }
    permitted(state, &spec, &item, &action.user).await?;
    Ok((spec, item))
}

/// Refuses unless `user` is a release manager or one of the item owner's people.
async fn permitted(
    state: &AppState,
    spec: &ChecklistSpec,
    item: &ItemRef,
    user: &str,
) -> Result<(), Refusal> {
    let Some(found) = spec.item(&item.item) else {
        return Err(told(
            "That item is no longer on the checklist; nothing was changed.",
        ));
    };
    let release_manager = state.is_release_manager(user);
    let people = if release_manager {
        Vec::new()
    } else {
        owner_people(state, &found.owner, user).await
    };
    if may_confirm(&found.owner, user, &people, release_manager) {
        return Ok(());
    }
    let plan = &state.release.plan;
    let ids = state.release.slack_ids();
    let roles = state.release.snapshot().roles.clone();
    let who = owner_mention(plan, &found.owner, &ids.groups, &roles);
    Err(told(format!(
        "Only {} ({who}) or a release manager can change “{}”; nothing was changed.",
        plan.owner_name(&found.owner),
        found.text
    )))
}

/// The people of an owner team: its lead role's holders, its listed members, and (only when
/// needed, since it is a Web API call) its user group's members.
async fn owner_people(state: &AppState, owner: &Owner, user: &str) -> Vec<String> {
    let Owner::Team(key) = owner else {
        return Vec::new();
    };
    let Some(team) = state.release.plan.team(key) else {
        return Vec::new();
    };
    let snapshot = state.release.snapshot();
    let mut people: Vec<String> = team.members.clone();
    if let Some(holders) = team.lead_role.and_then(|role| snapshot.roles.get(&role)) {
        people.extend(holders.iter().cloned());
    }
    if people.iter().any(|p| p == user) {
        return people;
    }
    let ids = state.release.slack_ids();
    if let Some(group) = team.usergroup.as_ref().and_then(|h| ids.groups.get(h)) {
        match state.slack.usergroup_members(group).await {
            Ok(members) => people.extend(members),
            Err(error) => tracing::warn!(%error, group, "could not list a user group's members"),
        }
    }
    people
}

fn refusal(state: &AppState, error: ChecklistError) -> Refusal {
    let zone = state.release.plan.release.timezone;
    match error {
        ChecklistError::AlreadyConfirmed { text, by } => told(format!(
            "“{text}” was already confirmed by <@{}> at {}; nothing was changed.",
            by.by,
            local(by.at, zone)
        )),
        other => told(format!(
            "{}; nothing was changed.",
            capitalized(&other.to_string())
        )),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
