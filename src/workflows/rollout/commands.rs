//! `/golive rollout` and its sub-commands: list, pause, resume, set, back, kill. Each change is
//! for release managers and the rollout's team, audited, posted in the launch channel and
//! shown by `/golive status`.

use super::changes::reading_code;
use super::{applied_percent, flag_ref, may_change, notes, pause_in, request_in, who_may};
use crate::domain::command::RolloutCommand;
use crate::domain::job::NoteTo;
use crate::domain::plan::{Role, Rollout};
use crate::domain::rollout::{previous_percent, FlagTarget, StepState};
use crate::slack::format::local;
use crate::slack::messages::Tone;
use crate::slack::rollout_messages;
use crate::state::AppState;
use crate::storage::audit;
use crate::storage::rollout::{self as store, ChangeState, ChangeWhy};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};

fn no_rollout() -> Answered {
    Ok(Answer::refused(Text::plain(
        "This launch's plan has no `[rollout]`: its feature flag steps are posted as text only.",
    )))
}

/// Runs a rollout command for `user`.
pub async fn run(state: &AppState, user: &str, command: RolloutCommand) -> Answered {
    let plan = state.release.plan();
    let Some(rollout) = plan.rollout.clone() else {
        return no_rollout();
    };
    if command == RolloutCommand::List {
        return list(state, &rollout).await;
    }
    let lead = command == RolloutCommand::Resume && state.holds(Role::EngineeringLead, user);
    if !(lead || may_change(state, &rollout, user).await) {
        let team = plan.owner_name(&crate::domain::plan::Owner::Team(rollout.team.clone()));
        let why = if command == RolloutCommand::Resume {
            format!("Only release managers, {team} and engineering leads can resume the rollout; nothing was changed.")
        } else {
            format!("Only release managers and {team} can change the rollout; nothing was changed.")
        };
        return Ok(Refusal::new(Text::plain(why))
            .naming("They are", who_may(state, &rollout).await)
            .into());
    }
    let release_id = &state.release.id;
    let now = state.clock.now();
    let zone = plan.release.timezone;
    let mut tx = state.db.begin().await?;
    let record = store::flag(&mut tx, release_id).await?;
    let at = applied_percent(record.applied);
    let (plain, body, done) = match command {
        RolloutCommand::List => unreachable!("answered above"),
        RolloutCommand::Pause(reason) => {
            if let Some(pause) = store::pause_in_force(&mut tx, release_id).await? {
                return Ok(Answer::refused(Text::plain(format!(
                    "The rollout is paused already (by {} since {}).",
                    pause.by,
                    local(pause.at, zone)
                ))));
            }
            pause_in(&mut tx, state, None, reason.as_deref(), user, now).await?;
            let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
            (
                format!("Rollout paused by {user}{why}. No step is applied until `/golive rollout resume`."),
                format!(":double_vertical_bar: Rollout paused by <@{user}>{}. No step is applied until `/golive rollout resume`.", crate::slack::render::slack_escape(&why)),
                "The rollout is paused.".to_string(),
            )
        }
        RolloutCommand::Resume => {
            let Some(pause) = store::pause_in_force(&mut tx, release_id).await? else {
                return Ok(Answer::refused(Text::plain("The rollout is not paused.")));
            };
            store::resume(&mut tx, release_id, user, now).await?;
            audit::record(&mut tx, release_id, now, user, "rollout-resume", "").await?;
            if let Some(id) = pause.incident {
                let plain = format!("Rollout resumed by {user}.");
                let body = format!("Rollout resumed by <@{user}>.");
                crate::workflows::incidents::escalation::thread_note(
                    &mut tx,
                    state,
                    id,
                    ":arrow_forward:",
                    &plain,
                    &body,
                    now,
                )
                .await?;
            }
            (
                format!("Rollout resumed by {user}."),
                format!(":arrow_forward: Rollout resumed by <@{user}>."),
                format!(
                    "The rollout is resumed (paused since {}).",
                    local(pause.at, zone)
                ),
            )
        }
        RolloutCommand::Set(percent) => {
            let target = FlagTarget::Percent(percent);
            request_in(&mut tx, state, None, target, ChangeWhy::Set, user, now).await?;
            (
                format!("{user} sets the rollout to {percent}% (from {at}%)."),
                format!(":control_knobs: <@{user}> sets the rollout to {percent}% (from {at}%)."),
                format!("Setting {percent}%: the launch channel shows the value read back."),
            )
        }
        RolloutCommand::Back => {
            let previous = previous_percent(&plan.feature_flags, at);
            if at == 0 {
                return Ok(Answer::refused(Text::plain(
                    "The rollout is at 0% or off: there is no step to go back to.",
                )));
            }
            let target = FlagTarget::Percent(previous);
            request_in(&mut tx, state, None, target, ChangeWhy::Back, user, now).await?;
            (
                format!("{user} takes the rollout back to {previous}% (from {at}%)."),
                format!(":rewind: <@{user}> takes the rollout back to {previous}% (from {at}%)."),
                format!("Going back to {previous}%: the launch channel shows the value read back."),
            )
        }
        RolloutCommand::Kill => {
            request_in(
                &mut tx,
                state,
                None,
                FlagTarget::Off,
                ChangeWhy::Kill,
                user,
                now,
            )
            .await?;
            (
                format!("{user} switches the feature flag off."),
                format!(
                    ":octagonal_sign: <@{user}> switches the feature flag `{}` off.",
                    rollout.flag
                ),
                "Switching the flag off: the launch channel shows the value read back.".to_string(),
            )
        }
    };
    notes::queue(
        &mut tx,
        state,
        NoteTo::Channel,
        Tone::Done,
        &plain,
        &body,
        now,
    )
    .await?;
    tx.commit().await?;
    state.scheduler.wake();
    Ok(Answer::done(Text::plain(done)))
}

/// `/golive rollout`: every step with its time, state, who and when, and the flag server now.
async fn list(state: &AppState, rollout: &Rollout) -> Answered {
    let plan = state.release.plan();
    let zone = plan.release.timezone;
    let release_id = &state.release.id;
    let (steps, changes, record, pause) = {
        let mut conn = state.db.acquire().await?;
        (
            store::steps(&mut conn, release_id).await?,
            store::changes(&mut conn, release_id).await?,
            store::flag(&mut conn, release_id).await?,
            store::pause_in_force(&mut conn, release_id).await?,
        )
    };
    let launch = state.release.snapshot().launch_date;
    let mut lines = Vec::new();
    for step in &plan.feature_flags {
        let when = launch.map_or(step.at.to_string(), |day| {
            local(crate::domain::day::resolve(zone, day, step.at), zone)
        });
        let stored = steps.get(&step.percent);
        let shown = match stored.map(|s| s.state) {
            None => "pending".to_string(),
            Some(StepState::Waiting) => "waiting for confirmation".to_string(),
            Some(s) if pause.is_some() && s.open() => format!("{} (paused)", s.as_str()),
            Some(s) => s.as_str().to_string(),
        };
        let who = stored
            .and_then(|s| s.by.clone())
            .map(|(user, at)| {
                (
                    format!(" by {user} at {}", local(at, zone)),
                    format!(" by <@{user}> at {}", local(at, zone)),
                )
            })
            .unwrap_or_default();
        lines.push((
            format!("{}% at {when}: {shown}{}", step.percent, who.0),
            format!("*{}%* at {when}: {shown}{}", step.percent, who.1),
        ));
    }
    if let Some(last) = changes.iter().rev().find(|c| c.step.is_none()) {
        let outcome = match &last.state {
            ChangeState::Applied { .. } => "applied",
            ChangeState::Pending => "in progress",
            ChangeState::Blocked(_) => "blocked",
            ChangeState::Failed(_) => "failed",
        };
        let how = match last.why {
            ChangeWhy::Set => "`rollout set`",
            ChangeWhy::Back => "`rollout back`",
            ChangeWhy::Kill => "`rollout kill`",
            ChangeWhy::Guard => "a tripped guard",
            ChangeWhy::Runbook => "a runbook step",
            ChangeWhy::Step => "a step",
        };
        let line = format!(
            "last change outside the steps: {} by {how}, asked by {} at {}: {outcome}",
            last.target,
            last.by,
            local(last.at, zone)
        );
        lines.push((line.clone(), line));
    }
    let applied = record
        .applied
        .map_or("nothing yet".to_string(), |t| t.to_string());
    let server = match &state.rollout.flags {
        None => "no flag server is set (GOLIVE_UNLEASH_URL): steps are recorded only".to_string(),
        Some(flags) => match flags.read(&flag_ref(rollout)).await {
            Ok(reading) => {
                let code = reading_code(&reading);
                let drift = if reading.changed_outside(record.applied) {
                    " (changed outside golive: the next step asks again)"
                } else {
                    ""
                };
                format!(
                    "{} reads {}{drift}",
                    flags.describe(),
                    super::shown_reading(&code)
                )
            }
            Err(error) => format!("{} cannot be read: {error}", flags.describe()),
        },
    };
    lines.push((
        format!("golive last set {applied}; {server}"),
        format!("golive last set *{applied}*; {server}"),
    ));
    if let Some(pause) = pause {
        let why = pause.reason.map(|r| format!(": {r}")).unwrap_or_default();
        let line = format!(
            "paused by {} since {}{why}",
            pause.by,
            local(pause.at, zone)
        );
        lines.push((line.clone(), line));
    }
    let header = format!(
        "Rollout of {} ({} / {})",
        rollout.flag, rollout.project, rollout.environment
    );
    Ok(Answer::Message(rollout_messages::rollout(
        &state.templates,
        &header,
        &lines,
    )?))
}
