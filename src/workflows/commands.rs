//! `/golive …` commands: parse, check who may do it, act, answer (ephemerally).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use sqlx::SqliteConnection;

use crate::domain::command::{Command, CommandError, GoNoGoCommand};
use crate::domain::day::DayOffset;
use crate::domain::launch_choice;
use crate::domain::plan::Role;
use crate::slack::format::users;
use crate::slack::inbound::CommandRequest;
use crate::slack::messages::{self, Tone};
use crate::slack::port::Outgoing;
use crate::slack::render::slack_escape;
use crate::state::AppState;
use crate::storage::{audit, releases, roles, StoreError};
use crate::workflows::launch::overview as launch_overview;
use crate::workflows::launch::schedule::{skipped, sync_jobs, Sync};
use crate::workflows::{checklists, incidents, incidents::runbooks, votes, WorkflowError};

/// Handles one command and returns the ephemeral answer. Never fails: internal errors are logged
/// and answered with an apology that says nothing was changed. The answer is shared: a burst of
/// `/golive status` gets one message (see `launch::status_report`).
pub async fn handle(state: &AppState, request: &CommandRequest) -> Arc<Outgoing> {
    match answer(state, request).await {
        Ok(reply) => reply,
        Err(error) => {
            tracing::error!(%error, text = request.text, user = request.user, "command failed");
            let text = "Sorry, golive could not do that because of an internal error; nothing was changed. The error is in golive's log.";
            Arc::new(
                messages::notice(&state.templates, Tone::Error, text, text)
                    .unwrap_or_else(|_| Outgoing::text(text)),
            )
        }
    }
}

/// Finds the launch the command is for, then answers it: `--release <key>` names one; else the
/// launch of the channel it was typed in; else the only launch. Typed anywhere else with
/// several launches running, `status` lists them all and other commands say how to choose.
async fn answer(
    state: &AppState,
    request: &CommandRequest,
) -> Result<Arc<Outgoing>, WorkflowError> {
    let chosen = match launch_choice::take(&request.text) {
        Ok(chosen) => chosen,
        Err(error) => return parse_error(state, &error).map(Arc::new),
    };
    let command = match Command::parse(&chosen.text) {
        Ok(command) => command,
        Err(error) => return parse_error(state, &error).map(Arc::new),
    };
    state.metrics.command(command.name());
    let launches = &state.launches;
    let release = match &chosen.release {
        Some(key) => match launches.get(key) {
            Some(release) => release,
            None => return launch_overview::unknown(state, key).map(Arc::new),
        },
        None => match launches
            .in_channel(&request.channel)
            .or_else(|| launches.only())
        {
            Some(release) => release,
            None if command == Command::Status => {
                return launch_overview::all(state).await.map(Arc::new)
            }
            None if command == Command::Help => {
                return Ok(Arc::new(messages::help(&state.templates)?))
            }
            None => return launch_overview::choose(state, &chosen.text).map(Arc::new),
        },
    };
    let state = &state.for_release(release);
    if command == Command::Status {
        return crate::workflows::launch::status_report::answer(state).await;
    }
    answer_for(state, request, command).await.map(Arc::new)
}

/// Answers `command` for the launch `state` acts for.
async fn answer_for(
    state: &AppState,
    request: &CommandRequest,
    command: Command,
) -> Result<Outgoing, WorkflowError> {
    let release = &state.release;
    let plan = &release.plan();
    match command {
        Command::Status => crate::workflows::launch::status_report::build(state).await,
        Command::Help => Ok(messages::help(&state.templates)?),
        Command::Timeline(day) => {
            let snapshot = release.snapshot();
            if snapshot.launch_date.is_none() {
                let text = "L-Day is not set yet, so there are no times to show. A release manager can set it with `/golive launch-date YYYY-MM-DD`.";
                return Ok(messages::notice(
                    &state.templates,
                    Tone::Refused,
                    text,
                    text,
                )?);
            }
            let day = day.unwrap_or(DayOffset(0));
            Ok(messages::timeline_day(
                &state.templates,
                plan,
                day,
                &snapshot.timeline,
                &snapshot.posted,
            )?)
        }
        Command::Roles => Ok(messages::roles(
            &state.templates,
            &release.snapshot().roles,
        )?),
        Command::LaunchDate(date) => {
            if let Some(refusal) = require_release_manager(state, &request.user, "set L-Day")? {
                return Ok(refusal);
            }
            set_launch_date(state, &request.user, date).await
        }
        Command::AssignRole(role, holders) => {
            if let Some(refusal) = require_release_manager(state, &request.user, "assign roles")? {
                return Ok(refusal);
            }
            assign_role(state, &request.user, role, holders).await
        }
        Command::Escalate {
            severity,
            summary,
            runbook,
        } => {
            let outcome =
                incidents::raise(state, &request.user, severity, &summary, runbook.as_deref())
                    .await?;
            answer_outcome(state, outcome)
        }
        Command::Incidents => crate::workflows::incidents::reports::list(state).await,
        Command::Ack(id) => {
            let outcome = incidents::acknowledge(state, &request.user, id).await?;
            answer_outcome(state, outcome)
        }
        Command::Resolve(id, note) => {
            let outcome = incidents::resolve(state, &request.user, id, note.as_deref()).await?;
            answer_outcome(state, outcome)
        }
        Command::RolloutResume => {
            let outcome = runbooks::resume_rollout(state, &request.user).await?;
            answer_outcome(state, outcome)
        }
        Command::Checklist(key) => checklists::post_on_demand(state, &request.user, &key).await,
        Command::GoNoGo(action) => {
            let what = "open or close the go/no-go vote";
            if action != GoNoGoCommand::Status {
                if let Some(refusal) = require_release_manager(state, &request.user, what)? {
                    return Ok(refusal);
                }
            }
            votes::command(state, &request.user, action).await
        }
    }
}

/// A done or refused incident step as an ephemeral answer.
fn answer_outcome(
    state: &AppState,
    outcome: incidents::Outcome,
) -> Result<Outgoing, WorkflowError> {
    let (tone, text) = match outcome {
        Ok(done) => (Tone::Done, done),
        Err(refusal) => (Tone::Refused, refusal),
    };
    Ok(messages::notice(
        &state.templates,
        tone,
        &text,
        &slack_escape(&text),
    )?)
}

fn parse_error(state: &AppState, error: &CommandError) -> Result<Outgoing, WorkflowError> {
    let mut text = error.to_string();
    if matches!(error, CommandError::Unknown(_)) {
        text.push_str(" Try `/golive help` for the list of commands.");
    }
    Ok(messages::notice(
        &state.templates,
        Tone::Error,
        &text,
        &slack_escape(&text),
    )?)
}

/// The refusal to send when `user` is not a release manager, or None when they are.
fn require_release_manager(
    state: &AppState,
    user: &str,
    what: &str,
) -> Result<Option<Outgoing>, WorkflowError> {
    if state.is_release_manager(user) {
        return Ok(None);
    }
    let holders = state.release_managers();
    let who = if holders.is_empty() {
        "nobody yet".to_string()
    } else {
        users(&holders)
    };
    let plain = format!("Only release managers can {what}; nothing was changed.");
    let body =
        format!("Only release managers can {what}; nothing was changed. Release managers: {who}.");
    Ok(Some(messages::notice(
        &state.templates,
        Tone::Refused,
        &plain,
        &body,
    )?))
}

async fn set_launch_date(
    state: &AppState,
    user: &str,
    date: NaiveDate,
) -> Result<Outgoing, WorkflowError> {
    let release = state.release.clone();
    let now = state.clock.now();
    let previous = release.snapshot().launch_date;
    let was = previous.map_or("TBD".to_string(), |d| d.to_string());
    let timeline = Arc::new(release.plan().timeline(date));
    let (id, user, detail) = (
        release.id.clone(),
        user.to_string(),
        format!("{was} → {date}"),
    );
    let jobs = timeline.clone();
    type Synced = ((usize, usize), HashSet<String>);
    let ((scheduled, cancelled), _) = state
        .writer
        .write(
            move |conn: &mut SqliteConnection| -> BoxFuture<'_, Result<Synced, StoreError>> {
                Box::pin(async move {
                    releases::set_launch_date(conn, &id, date, now).await?;
                    let counts = sync_jobs(conn, &id, &jobs, now, Sync::Moved).await?;
                    let skipped = skipped(conn, &id, &jobs).await?;
                    audit::record(conn, &id, now, &user, "launch-date", &detail).await?;
                    Ok((counts, skipped))
                })
            },
            move |(_, skipped): &Synced| release.set_timeline(date, timeline, skipped.clone()),
        )
        .await?;
    state.scheduler.wake();
    let plain = format!("L-Day is now {date} (was {was}). {scheduled} post(s) scheduled, {cancelled} cancelled; anything already in the past is not posted.");
    Ok(messages::notice(
        &state.templates,
        Tone::Done,
        &plain,
        &plain,
    )?)
}

async fn assign_role(
    state: &AppState,
    user: &str,
    role: Role,
    holders: Vec<String>,
) -> Result<Outgoing, WorkflowError> {
    let release = state.release.clone();
    let now = state.clock.now();
    let (id, user) = (release.id.clone(), user.to_string());
    let stored = holders.clone();
    state
        .writer
        .write(
            move |conn: &mut SqliteConnection| -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    roles::replace_holders(conn, &id, role.key(), &stored, &user, now).await?;
                    let detail = format!("{} = {}", role.key(), stored.join(", "));
                    audit::record(conn, &id, now, &user, "role", &detail).await
                })
            },
            {
                let holders = holders.clone();
                move |_| {
                    release.update(|s| {
                        s.roles.insert(role, holders);
                    })
                }
            },
        )
        .await?;
    let plain = format!("{} is now held by {}.", role.title(), holders.join(", "));
    let body = format!("*{}* is now held by {}.", role.title(), users(&holders));
    Ok(messages::notice(
        &state.templates,
        Tone::Done,
        &plain,
        &body,
    )?)
}
