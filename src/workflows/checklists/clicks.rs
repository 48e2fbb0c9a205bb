//! Clicks on checklist items: Confirm, Reopen (with its reason modal), and who may do either.
//!
//! A click counts only on the live (latest) post of a checklist and only from the item owner's
//! people or a release manager. Each change is one guarded write (see `storage::checklists`);
//! the live post is then rendered again from the store.

use crate::domain::checklist::{may_confirm, ChecklistError, ChecklistSpec};
use crate::domain::plan::Owner;
use crate::slack::action_id::ItemRef;
use crate::slack::checklist_messages;
use crate::slack::format::{local, owner_mention};
use crate::slack::inbound::Action;
use crate::state::AppState;
use crate::storage::{audit, checklists};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};
use crate::workflows::checklists::progress;
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

/// A click on an item's Confirm button; the live post shows the confirmation.
pub async fn on_confirm(state: &AppState, action: &Action, item: ItemRef) -> Answered {
    let (spec, item) = match clicked_item(state, action, item).await? {
        Ok(clicked) => clicked,
        Err(refusal) => return Ok(refusal.into()),
    };
    let text = spec
        .item(&item.item)
        .map(|i| i.text.clone())
        .unwrap_or_default();
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    drop(conn);
    let confirmed = match progress.confirm(&item.item, &action.user, now) {
        Ok(confirmed) => confirmed,
        Err(error) => return Ok(refusal(state, error).into()),
    };
    let mut tx = state.db.begin().await?;
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
        return Ok(told(format!(
            "“{text}” was confirmed by someone else a moment ago; nothing was changed."
        ))
        .into());
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
    Ok(Answer::Shown)
}

/// A click on an item's Reopen button: asks for the reason in a modal.
pub async fn on_reopen(state: &AppState, action: &Action, item: ItemRef) -> Answered {
    let (spec, item) = match clicked_item(state, action, item).await? {
        Ok(clicked) => clicked,
        Err(refusal) => return Ok(refusal.into()),
    };
    let Some(text) = spec.item(&item.item).map(|i| i.text.clone()) else {
        return Ok(told("That item is no longer on the checklist; nothing was changed.").into());
    };
    let mut conn = state.db.acquire().await?;
    let progress = progress(&mut conn, state, spec).await?;
    drop(conn);
    if !progress.confirmed.contains_key(&item.item) {
        return Ok(told(format!("“{text}” is open already; nothing was changed.")).into());
    }
    let view = checklist_messages::reopen_modal(&state.release.id, &item, &text);
    state.slack.open_view(&action.trigger_id, &view).await?;
    Ok(Answer::Shown)
}

/// The reopen modal was submitted; a refusal keeps it open with the reason under its input.
pub async fn on_reopen_reason(
    state: &AppState,
    user: &str,
    item: ItemRef,
    reason: &str,
) -> Answered {
    let spec = match ChecklistSpec::from_plan(&state.release.plan(), &item.checklist) {
        Ok(spec) => spec,
        Err(error) => return Ok(told(format!("{error}.")).into()),
    };
    if let Err(refusal) = permitted(state, &spec, &item, user).await {
        return Ok(refusal.into());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let progress = progress(&mut tx, state, spec).await?;
    let reopened = match progress.reopen(&item.item, user, reason, now) {
        Ok(reopened) => reopened,
        Err(error) => return Ok(refusal(state, error).into()),
    };
    let release = &state.release.id;
    checklists::reopen_item(&mut tx, release, &item.checklist, &item.item, &reopened.was).await?;
    let detail = format!(
        "{}/{} (confirmed by {}): {}",
        item.checklist, item.item, reopened.was.by, reopened.reason
    );
    audit::record(&mut tx, release, now, user, "checklist-reopen", &detail).await?;
    tx.commit().await?;
    refresh::spawn(state, Target::Checklist(item.checklist));
    Ok(Answer::Shown)
}

/// The checklist and item a click names, once the click is known to be on the live post from
/// someone who may change the item; else the refusal to give.
async fn clicked_item(
    state: &AppState,
    action: &Action,
    item: ItemRef,
) -> Result<Result<(ChecklistSpec, ItemRef), Refusal>, WorkflowError> {
    let spec = match ChecklistSpec::from_plan(&state.release.plan(), &item.checklist) {
        Ok(spec) => spec,
        Err(error) => return Ok(Err(told(format!("{error}.")))),
    };
    let live = {
        let mut conn = state.db.acquire().await?;
        checklists::latest_post(&mut conn, &state.release.id, &spec.key).await?
    };
    // Home shows the live post's items; a message's button must be on the live post.
    if !action.from_home()
        && live
            .as_ref()
            .is_none_or(|post| post.ts != action.message_ts)
    {
        return Ok(Err(told(format!(
            "This is an old post of the checklist “{}”; use its latest post in the channel (or `/golive checklist {}`). Nothing was changed.",
            spec.title, spec.key
        ))));
    }
    Ok(permitted(state, &spec, &item, &action.user)
        .await
        .map(|()| (spec, item)))
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
    let plan = &state.release.plan();
    let ids = state.release.slack_ids();
    let roles = state.release.snapshot().roles.clone();
    let who = owner_mention(plan, &found.owner, &ids.groups, &roles);
    Err(told(format!(
        "Only {} ({who}) or a release manager can change “{}”; nothing was changed.",
        plan.owner_name(&found.owner),
        found.text
    )))
}

/// The people of an owner team (see [`AppState::team_people`]).
async fn owner_people(state: &AppState, owner: &Owner, user: &str) -> Vec<String> {
    let Owner::Team(key) = owner else {
        return Vec::new();
    };
    let plan = state.release.plan();
    match plan.team(key) {
        Some(team) => state.team_people(team, user).await,
        None => Vec::new(),
    }
}

/// A refusal in golive's own mrkdwn (mentions of owners and confirmers).
fn told(why: impl Into<String>) -> Refusal {
    Refusal::new(Text::mrkdwn(why))
}

fn refusal(state: &AppState, error: ChecklistError) -> Refusal {
    let zone = state.release.plan().release.timezone;
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
