//! `/golive …` commands: parse, check who may do it, act, answer (ephemerally).

use std::collections::HashSet;
use std::sync::Arc;

use crate::storage::Connection;
use chrono::NaiveDate;
use futures_util::future::BoxFuture;

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
use crate::workflows::answer::{self, Answer, Answered, Refusal, Text};
use crate::workflows::incidents::reports;
use crate::workflows::launch::schedule::{skipped, sync_jobs, Sync};
use crate::workflows::launch::{export, overview as launch_overview, status_report};
use crate::workflows::{checklists, incidents, metrics, rollout, votes, WorkflowError};

/// Handles one command and returns the ephemeral answer. Never fails: an internal error is
/// logged here and answered with an apology that says nothing was changed. The answer may be
/// shared: a burst of `/golive status` gets one message (see `launch::status_report`).
pub async fn handle(state: &AppState, request: &CommandRequest) -> Arc<Outgoing> {
    let answered = answer(state, request).await;
    let log = |error: &WorkflowError| {
        tracing::error!(%error, text = request.text, user = request.user, "command failed");
    };
    // A command always hears back, even from a use case with nothing more to say.
    answer::reply(&state.templates, answered, log)
        .unwrap_or_else(|| Arc::new(Outgoing::text("Done.")))
}

/// Finds the launch the command is for, then answers it: `--release <key>` names one; else the
/// launch of the channel it was typed in; else the only launch. Typed anywhere else with
/// several launches running, `status` lists them all and other commands say how to choose.
async fn answer(state: &AppState, request: &CommandRequest) -> Answered {
    let chosen = match launch_choice::take(&request.text) {
        Ok(chosen) => chosen,
        Err(error) => return parse_error(state, &error),
    };
    let command = match Command::parse(&chosen.text) {
        Ok(command) => command,
        Err(error) => return parse_error(state, &error),
    };
    state.metrics.command(command.name());
    let launches = &state.launches;
    let release = match &chosen.release {
        Some(key) => match launches.get(key) {
            Some(release) => release,
            None => return launch_overview::unknown(state, key),
        },
        None => match launches
            .in_channel(&request.channel)
            .or_else(|| launches.only())
        {
            Some(release) => release,
            None if command == Command::Status => {
                return launch_overview::all(state).await.map(Answer::Message)
            }
            None if command == Command::Help => return help(state),
            None => return launch_overview::choose(state, &chosen.text),
        },
    };
    let state = &state.for_release(release);
    if state.leases.shared && !matches!(command, Command::Status | Command::Help) {
        // Another replica may have changed the launch a moment ago: decide on the store's state,
        // not on a copy that follows it within moments.
        crate::workflows::launch::follow::reload(state, &state.release).await?;
    }
    answer_for(state, request, command).await
}

/// Answers `command` for the launch `state` acts for.
async fn answer_for(state: &AppState, request: &CommandRequest, command: Command) -> Answered {
    let user = request.user.as_str();
    if let Some(what) = only_release_managers(&command) {
        if !state.is_release_manager(user) {
            let why = format!("Only release managers can {what}; nothing was changed.");
            let refusal = Refusal::new(Text::mrkdwn(why));
            return Ok(refusal
                .naming("Release managers", state.release_managers())
                .into());
        }
    }
    let release = &state.release;
    match command {
        Command::Status => status_report::answer(state).await.map(Answer::Shared),
        Command::Help => help(state),
        Command::Timeline(day) => timeline(state, day),
        Command::Roles => {
            let roles = &release.snapshot().roles;
            Ok(Answer::Message(messages::roles(&state.templates, roles)?))
        }
        Command::LaunchDate(date) => set_launch_date(state, user, date).await,
        Command::AssignRole(role, holders) => assign_role(state, user, role, holders).await,
        Command::Escalate {
            severity,
            summary,
            runbook,
        } => incidents::raise(state, user, severity, &summary, runbook.as_deref()).await,
        Command::Incidents => reports::list(state).await,
        Command::Ack(id) => incidents::acknowledge(state, user, id).await,
        Command::Resolve(id, note) => incidents::resolve(state, user, id, note.as_deref()).await,
        Command::Rollout(command) => rollout::commands::run(state, user, command).await,
        Command::Checklist(key) => checklists::post_on_demand(state, user, &key).await,
        Command::GoNoGo(action) => votes::command(state, user, action).await,
        Command::Metrics(table) => metrics::list(state, table.as_deref()).await,
        Command::MetricSet { metric, value } => metrics::set(state, user, &metric, &value).await,
        Command::Export(format) => export::link(state, format.as_deref()),
    }
}

/// What a command does that only release managers may, in the words of its refusal.
fn only_release_managers(command: &Command) -> Option<&'static str> {
    match command {
        Command::LaunchDate(_) => Some("set L-Day"),
        Command::AssignRole(..) => Some("assign roles"),
        Command::Export(_) => Some("export the launch record"),
        Command::GoNoGo(action) if *action != GoNoGoCommand::Status => {
            Some("open or close the go/no-go vote")
        }
        _ => None,
    }
}

fn help(state: &AppState) -> Answered {
    Ok(Answer::Message(messages::help(&state.templates)?))
}

fn timeline(state: &AppState, day: Option<DayOffset>) -> Answered {
    let snapshot = state.release.snapshot();
    if snapshot.launch_date.is_none() {
        let text = "L-Day is not set yet, so there are no times to show. A release manager can set it with `/golive launch-date YYYY-MM-DD`.";
        return Ok(Answer::refused(Text::mrkdwn(text)));
    }
    let day = day.unwrap_or(DayOffset(0));
    Ok(Answer::Message(messages::timeline_day(
        &state.templates,
        &state.release.plan(),
        day,
        &snapshot.timeline,
        &snapshot.posted,
    )?))
}

/// A command golive could not read: a warning with the usage, not a refusal.
fn parse_error(state: &AppState, error: &CommandError) -> Answered {
    let mut text = error.to_string();
    if matches!(error, CommandError::Unknown(_)) {
        text.push_str(" Try `/golive help` for the list of commands.");
    }
    Ok(Answer::Message(messages::notice(
        &state.templates,
        Tone::Error,
        &text,
        &slack_escape(&text),
    )?))
}

async fn set_launch_date(state: &AppState, user: &str, date: NaiveDate) -> Answered {
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
            move |conn: &mut Connection| -> BoxFuture<'_, Result<Synced, StoreError>> {
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
    Ok(Answer::done(Text::mrkdwn(plain)))
}

async fn assign_role(state: &AppState, user: &str, role: Role, holders: Vec<String>) -> Answered {
    let release = state.release.clone();
    let now = state.clock.now();
    let (id, user) = (release.id.clone(), user.to_string());
    let stored = holders.clone();
    state
        .writer
        .write(
            move |conn: &mut Connection| -> BoxFuture<'_, Result<(), StoreError>> {
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
    Ok(Answer::done(Text::new(plain, body)))
}
