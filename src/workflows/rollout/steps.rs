//! A feature flag step's post and its buttons: the post (the launch-day milestone's own post,
//! with the step's state, Apply and Hold), what posting it starts (the reminder, an `auto`
//! step's change), the clicks, and keeping the post in step with the store.

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use super::{may_change, request_in, who_may};
use crate::domain::job::JobPayload;
use crate::domain::plan::{FlagStep, Owner};
use crate::domain::rollout::StepState;
use crate::domain::timeline::Occurrence;
use crate::slack::format::{local, slack_date};
use crate::slack::inbound::Action;
use crate::slack::messages::{self, Audience};
use crate::slack::port::Outgoing;
use crate::slack::rollout_messages::{self, StepView};
use crate::state::AppState;
use crate::storage::rollout::{self as store, ChangeWhy, StoredStep};
use crate::storage::{audit, jobs};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

pub fn reminder_key(percent: u8) -> String {
    format!("rollout:remind:{percent}")
}

/// The step's state line as its post shows it.
async fn view(state: &AppState, step: &FlagStep) -> Result<StepView, WorkflowError> {
    let release_id = &state.release.id;
    let zone = state.release.plan().release.timezone;
    let stored = {
        let mut conn = state.db.acquire().await?;
        store::steps(&mut conn, release_id)
            .await?
            .remove(&step.percent)
    };
    let StoredStep {
        state: at,
        by,
        change,
    } = stored.unwrap_or(StoredStep {
        state: StepState::Waiting,
        change: None,
        by: None,
    });
    let plan = state.release.plan();
    let team = plan
        .rollout
        .as_ref()
        .map(|r| plan.owner_name(&Owner::Team(r.team.clone())))
        .unwrap_or_default();
    let server = match &state.rollout.flags {
        Some(flags) => flags.describe(),
        None => "no flag server (steps are recorded only)".to_string(),
    };
    let percent = step.percent;
    let who = |plain: bool| {
        by.as_ref().map_or(String::new(), |(user, when)| {
            if plain {
                format!(" by {user} at {}", local(*when, zone))
            } else {
                format!(" by <@{user}> at {}", slack_date(*when, zone))
            }
        })
    };
    let (plain, body) = match at {
        StepState::Pending | StepState::Waiting => {
            let auto = if step.auto {
                " (applied by golive at its time)"
            } else {
                ""
            };
            let line = format!("Rollout step {percent}%: waiting for confirmation by {team} or a release manager{auto} · {server}");
            (line.clone(), line)
        }
        StepState::Applying => {
            let line = format!("Rollout step {percent}%: being applied · {server}");
            (line.clone(), line)
        }
        StepState::Applied => {
            let applied = match change {
                Some(id) => {
                    let mut conn = state.db.acquire().await?;
                    store::change(&mut conn, release_id, id).await?
                }
                None => None,
            };
            let read = read_back(state, applied).await;
            (
                format!("Rollout step {percent}%: applied{}{read}", who(true)),
                format!(
                    ":white_check_mark: Rollout step {percent}%: applied{}{read}",
                    who(false)
                ),
            )
        }
        StepState::Held => (
            format!(
                "Rollout step {percent}%: held{}; Apply still applies it",
                who(true)
            ),
            format!(
                ":double_vertical_bar: Rollout step {percent}%: held{}; Apply still applies it",
                who(false)
            ),
        ),
        StepState::Skipped => {
            let line = format!("Rollout step {percent}%: skipped (a later step was applied first)");
            (line.clone(), line)
        }
    };
    Ok(StepView {
        percent,
        plain,
        body,
        open: matches!(
            at,
            StepState::Pending | StepState::Waiting | StepState::Held
        ),
    })
}

/// "; Unleash at … reads 25%", or that it was recorded only.
async fn read_back(state: &AppState, change: Option<store::Change>) -> String {
    match change.map(|c| c.state) {
        Some(store::ChangeState::Applied {
            recorded_only: true,
            ..
        }) => "; recorded only (no flag server is set)".to_string(),
        Some(store::ChangeState::Applied {
            read_back: Some(read),
            ..
        }) => {
            let server = state
                .rollout
                .flags
                .as_ref()
                .map_or_else(String::new, |f| f.describe());
            format!("; {server} read back {read}")
        }
        _ => String::new(),
    }
}

/// The post of a step's occurrence, when the occurrence carries one: its usual post with the
/// step's state and buttons.
pub async fn scheduled_message(
    state: &AppState,
    occurrence: &Occurrence,
    audience: &Audience<'_>,
    late_by: Option<chrono::TimeDelta>,
) -> Result<Option<Outgoing>, WorkflowError> {
    let plan = state.release.plan();
    let Some(step) = plan.step_of_post(&occurrence.key).copied() else {
        return Ok(None);
    };
    let base = messages::scheduled_post(&state.templates, &plan, occurrence, audience, late_by)?;
    let view = view(state, &step).await?;
    Ok(Some(rollout_messages::step_post(
        &state.templates,
        &state.release.id,
        base,
        &view,
    )?))
}

/// A step's post as it should read now: (channel, ts, message).
pub async fn render_live(
    state: &AppState,
    percent: u8,
) -> Result<Option<(String, String, Outgoing)>, WorkflowError> {
    let plan = state.release.plan();
    let Some(step) = plan.feature_flags.iter().find(|s| s.percent == percent) else {
        return Ok(None);
    };
    let key = plan.step_post_key(step);
    let posted = {
        let mut conn = state.db.acquire().await?;
        jobs::get(&mut conn, &state.release.id, &key).await?
    };
    let Some((channel, ts)) = posted.and_then(|job| job.channel.zip(job.ts)) else {
        return Ok(None);
    };
    let snapshot = state.release.snapshot();
    let Some(occurrence) = snapshot.timeline.iter().find(|o| o.key == key) else {
        return Ok(None);
    };
    let ids = state.release.slack_ids();
    let audience = Audience {
        groups: &ids.groups,
        roles: &snapshot.roles,
    };
    let message = scheduled_message(state, occurrence, &audience, None).await?;
    Ok(message.map(|m| (channel, ts, m)))
}

/// Brings every posted step's post up to date with the store (at start).
pub async fn refresh_posted(state: &AppState) {
    let plan = state.release.plan();
    if plan.rollout.is_none() {
        return;
    }
    let known = match state.db.acquire().await {
        Ok(mut conn) => store::steps(&mut conn, &state.release.id).await,
        Err(error) => Err(error.into()),
    };
    match known {
        Ok(known) => {
            for percent in known.keys() {
                refresh::request(state, Target::RolloutStep(*percent)).await;
            }
        }
        Err(error) => tracing::warn!(%error, "could not read the rollout's steps"),
    }
}

/// Brings a step's post up to date, in the background.
pub fn refresh(state: &AppState, percent: u8) {
    refresh::spawn(state, Target::RolloutStep(percent));
}

/// After a step's post went out: the step waits for confirmation (one reminder later), or an
/// `auto` step asks for its change now.
pub async fn scheduled_post_made(
    conn: &mut impl AsConn,
    state: &AppState,
    occurrence_key: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let plan = state.release.plan();
    let Some(step) = plan.step_of_post(occurrence_key).copied() else {
        return Ok(());
    };
    let release_id = &state.release.id;
    let known = store::steps(conn, release_id).await?;
    if known.contains_key(&step.percent) {
        return Ok(());
    }
    if step.auto {
        store::set_step(
            conn,
            release_id,
            step.percent,
            StepState::Applying,
            None,
            None,
        )
        .await?;
        let target = crate::domain::rollout::FlagTarget::Percent(step.percent);
        request_in(
            conn,
            state,
            Some(step.percent),
            target,
            ChangeWhy::Step,
            GOLIVE,
            now,
        )
        .await?;
        return Ok(());
    }
    store::set_step(
        conn,
        release_id,
        step.percent,
        StepState::Waiting,
        None,
        None,
    )
    .await?;
    let payload = JobPayload::RolloutReminder {
        percent: step.percent,
    };
    let at = now + step.confirm_within;
    jobs::schedule(conn, release_id, &reminder_key(step.percent), at, &payload).await?;
    Ok(())
}

/// The step a button names, when the plan still has it and `user` may act on it (`what` they
/// tried, for the refusal); else the answer.
async fn admitted(
    state: &AppState,
    user: &str,
    percent: u8,
    what: &str,
) -> Result<FlagStep, Answer> {
    let plan = state.release.plan();
    let Some(rollout) = plan.rollout.as_ref() else {
        return Err(Answer::refused(Text::plain(
            "This launch's plan has no rollout any more; nothing was changed.",
        )));
    };
    let Some(step) = plan
        .feature_flags
        .iter()
        .find(|s| s.percent == percent)
        .copied()
    else {
        return Err(Answer::refused(Text::plain(format!(
            "The plan has no {percent}% step any more; nothing was changed."
        ))));
    };
    if may_change(state, rollout, user).await {
        return Ok(step);
    }
    let team = plan.owner_name(&Owner::Team(rollout.team.clone()));
    let why = format!("Only release managers and {team} can {what}; nothing was changed.");
    Err(Refusal::new(Text::plain(why))
        .naming("They are", who_may(state, rollout).await)
        .into())
}

/// Apply: the step's change is recorded and made by a job; the post shows the outcome.
pub async fn on_apply(state: &AppState, action: &Action, percent: u8) -> Answered {
    let user = action.user.as_str();
    let step = match admitted(state, user, percent, "apply a rollout step").await {
        Ok(step) => step,
        Err(answer) => return Ok(answer),
    };
    let release_id = &state.release.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = store::steps(&mut tx, release_id).await?.remove(&percent);
    match current.as_ref().map(|s| s.state) {
        Some(StepState::Applying) => {
            return Ok(Answer::refused(Text::plain(format!(
                "{percent}% is being applied already."
            ))))
        }
        Some(StepState::Applied) => {
            return Ok(Answer::refused(Text::plain(format!(
                "{percent}% is applied already; `/golive rollout` shows the rollout."
            ))))
        }
        _ => {}
    }
    store::set_step(
        &mut tx,
        release_id,
        percent,
        StepState::Applying,
        None,
        None,
    )
    .await?;
    let target = crate::domain::rollout::FlagTarget::Percent(step.percent);
    request_in(
        &mut tx,
        state,
        Some(percent),
        target,
        ChangeWhy::Step,
        user,
        now,
    )
    .await?;
    tx.commit().await?;
    state.scheduler.wake();
    refresh(state, percent);
    let text = format!(
        "Applying {percent}%: golive checks the pause and the guards, sets the flag and reads it back; the post shows the outcome."
    );
    Ok(Answer::done(Text::plain(text)))
}

/// Hold: the step is not applied for now; Apply still applies it later.
pub async fn on_hold(state: &AppState, action: &Action, percent: u8) -> Answered {
    let user = action.user.as_str();
    if let Err(answer) = admitted(state, user, percent, "hold a rollout step").await {
        return Ok(answer);
    }
    let release_id = &state.release.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = store::steps(&mut tx, release_id).await?.remove(&percent);
    if let Some(stored) = current.filter(|s| !s.state.open() && s.state != StepState::Pending) {
        return Ok(Answer::refused(Text::plain(format!(
            "{percent}% is {} and cannot be held.",
            stored.state.as_str()
        ))));
    }
    store::set_step(
        &mut tx,
        release_id,
        percent,
        StepState::Held,
        None,
        Some((user, now)),
    )
    .await?;
    jobs::close(&mut tx, release_id, &reminder_key(percent), now).await?;
    audit::record(
        &mut tx,
        release_id,
        now,
        user,
        "rollout-hold",
        &format!("{percent}%"),
    )
    .await?;
    tx.commit().await?;
    refresh(state, percent);
    let text = format!("{percent}% is held; Apply on its post applies it when you are ready.");
    Ok(Answer::done(Text::plain(text)))
}

/// The one reminder of a step still waiting for its confirmation, in its thread.
pub async fn remind(state: &AppState, job: jobs::Job, percent: u8) -> Result<(), WorkflowError> {
    let release_id = &state.release.id;
    let now = state.clock.now();
    let plan = state.release.plan();
    let mut tx = state.db.begin().await?;
    jobs::finish(&mut tx, &job, now).await?;
    let stored = store::steps(&mut tx, release_id).await?.remove(&percent);
    let waiting = stored.is_some_and(|s| s.state == StepState::Waiting);
    if let Some(rollout) = plan.rollout.as_ref().filter(|_| waiting) {
        let ids = state.release.slack_ids();
        let team = crate::domain::plan::Owner::Team(rollout.team.clone());
        let snapshot = state.release.snapshot();
        let mention =
            crate::slack::format::owner_mention(&plan, &team, &ids.groups, &snapshot.roles);
        let plain = format!(
            "Rollout step {percent}% is still waiting for confirmation: Apply or Hold on its post."
        );
        let body = format!("{mention}: rollout step {percent}% is still waiting for confirmation: *Apply* or *Hold* on its post.");
        let to = crate::domain::job::NoteTo::Step(percent);
        let tone = messages::Tone::Refused;
        super::notes::queue(&mut tx, state, to, tone, &plain, &body, now).await?;
    }
    tx.commit().await?;
    state.scheduler.wake();
    Ok(())
}
