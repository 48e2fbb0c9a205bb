//! The go/no-go vote: `/golive gonogo open|close|status`, Go and No-Go clicks, the No-Go reason
//! modal, closing at the deadline, and the gate on production deployment.
//!
//! Ballots are upserts guarded by the vote being open, and a close reads the ballots inside the
//! write transaction that closes it, so no ballot is lost or counted after the decision.

pub mod ballots;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

use self::ballots::{Click, Counted};
use crate::domain::command::GoNoGoCommand;
use crate::domain::day::resolve;
use crate::domain::job::JobPayload;
use crate::domain::plan::{slug, Role};
use crate::domain::vote::{Choice, Outcome, Vote, VoteError, VoteState};
use crate::slack::action_id::VoteRef;
use crate::slack::format::{local, users};
use crate::slack::inbound::Action;
use crate::slack::port::Outgoing;
use crate::slack::vote_messages::{self, choice_name, tally};
use crate::state::AppState;
use crate::storage::audit;
use crate::storage::jobs::{self, Job};
use crate::storage::votes::{self, StoredVote, VoteStoreError};
use crate::workflows::answer::{Answer, Answered, Refusal, Text};
use crate::workflows::checklists;
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::refresh::{self, Target};
use crate::workflows::WorkflowError;

/// The L-1 checklist item the decision ticks.
const MEETING_CHECKLIST: &str = "l-1";
const MEETING_ITEM: &str = "Final go/no-go meeting held";

/// `/golive gonogo …`; open and close are for release managers (checked by the caller).
pub async fn command(state: &AppState, user: &str, command: GoNoGoCommand) -> Answered {
    match command {
        GoNoGoCommand::Open { deadline } => open(state, user, deadline).await,
        GoNoGoCommand::Close => close_command(state, user).await,
        GoNoGoCommand::Status => status(state).await,
    }
}

/// A refusal in golive's own words and mrkdwn (mentions of voters).
fn told(why: impl Into<String>) -> Refusal {
    Refusal::new(Text::mrkdwn(why))
}

fn refused(why: impl Into<String>) -> Answered {
    Ok(told(why).into())
}

fn done(text: impl Into<String>) -> Answered {
    Ok(Answer::done(Text::mrkdwn(text)))
}

async fn open(state: &AppState, user: &str, time: Option<NaiveTime>) -> Answered {
    let now = state.clock.now();
    let deadline = match deadline(state, time, now) {
        Ok(deadline) => deadline,
        Err(text) => return refused(text),
    };
    let plan = &state.release.plan();
    let roles = &state.release.snapshot().roles;
    let vote = match Vote::open(&plan.gonogo.voters, roles, deadline, plan.gonogo.rule) {
        Ok(vote) => vote,
        Err(error) => {
            let error = capitalized(&error.to_string());
            let text = format!("{error}. Assign the role(s) with `/golive role <role> @user`.");
            // Plain, so `<role>` is shown rather than read as a Slack link.
            return Ok(Answer::refused(Text::plain(text)));
        }
    };
    let Some(id) = store_open(state, user, &vote, now).await? else {
        return refused(
            "A go/no-go vote is already open; see `/golive gonogo status`. Nothing was changed.",
        );
    };
    state.scheduler.wake();
    post_vote(state, id, &vote, now).await?;
    let voters: Vec<&str> = vote.voters.iter().map(|v| v.user.as_str()).collect();
    let text = format!(
        "Go/no-go vote opened; it closes {}. Voters: {}.",
        local(deadline, plan.release.timezone),
        voters.join(", ")
    );
    done(text)
}

/// Stores the open vote and its deadline job; None while another vote is open.
async fn store_open(
    state: &AppState,
    user: &str,
    vote: &Vote,
    now: DateTime<Utc>,
) -> Result<Option<i64>, WorkflowError> {
    let release = &state.release.id;
    let mut tx = state.db.begin().await?;
    let id = match votes::open(&mut tx, release, vote, user, now).await {
        Ok(id) => id,
        Err(VoteStoreError::AlreadyOpen) => return Ok(None),
        Err(VoteStoreError::Store(error)) => return Err(error.into()),
    };
    let payload = JobPayload::VoteClose { vote: id };
    let (key, deadline) = (close_key(id), vote.deadline);
    jobs::schedule(&mut tx, release, &key, deadline, &payload).await?;
    let zone = state.release.plan().release.timezone;
    let detail = format!("vote {id} opened, closes {}", local(deadline, zone));
    audit::record(&mut tx, release, now, user, "gonogo-open", &detail).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Posts the vote and remembers where; if it cannot be posted nobody can vote, so the vote is
/// withdrawn and can be opened again.
async fn post_vote(
    state: &AppState,
    id: i64,
    vote: &Vote,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let launch = state.release.snapshot().launch_date;
    let message = vote_messages::vote(&state.templates, &state.release.plan(), id, vote, launch)?;
    match state.slack.post(&state.release.channel(), &message).await {
        Ok(posted) => {
            let mut conn = state.db.acquire().await?;
            votes::set_message(&mut conn, id, &posted.channel, &posted.ts).await?;
            Ok(())
        }
        Err(error) => {
            let mut tx = state.db.begin().await?;
            votes::discard(&mut tx, id).await?;
            let release = &state.release.id;
            jobs::close(&mut tx, release, &close_key(id), now).await?;
            tx.commit().await?;
            Err(error.into())
        }
    }
}

/// The plan's deadline (e.g. L-1 15:00), or the next `time` of day in the plan's zone.
fn deadline(
    state: &AppState,
    time: Option<NaiveTime>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let plan = &state.release.plan();
    let zone = plan.release.timezone;
    if let Some(time) = time {
        let today = now.with_timezone(&zone).date_naive();
        let at = |date: chrono::NaiveDate| {
            zone.from_local_datetime(&date.and_time(time))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        };
        let first = at(today).filter(|t| *t > now);
        return first
            .or_else(|| at(today + Duration::days(1)))
            .ok_or_else(|| format!("{time} does not exist in {zone} today or tomorrow."));
    }
    let planned = plan.gonogo.deadline;
    let Some(launch) = state.release.snapshot().launch_date else {
        return Err(format!("L-Day is not set, so the plan's deadline ({planned}) has no date. Give one with `/golive gonogo open --deadline HH:MM`."));
    };
    let at = resolve(zone, launch, planned);
    if at <= now {
        return Err(format!("The plan's deadline ({planned}, {}) has passed. Give one with `/golive gonogo open --deadline HH:MM`.", local(at, zone)));
    }
    Ok(at)
}

fn close_key(id: i64) -> String {
    format!("vote:{id}:close")
}

async fn close_command(state: &AppState, user: &str) -> Answered {
    let latest = {
        let mut conn = state.db.acquire().await?;
        votes::latest(&mut conn, &state.release.id).await?
    };
    let Some(open) = latest.filter(|v| v.vote.state == VoteState::Open) else {
        return refused("No go/no-go vote is open; nothing was changed.");
    };
    match close(state, open.id, Some(user)).await? {
        Some(outcome) => {
            let text = format!(
                "Vote closed: {}. {}.",
                choice_name(outcome.decision),
                tally(&outcome)
            );
            done(text)
        }
        None => refused("The vote closed a moment ago; nothing was changed."),
    }
}

/// Closes a vote: records the decision, cancels its deadline job, ticks the L-1 item, posts the
/// decision and updates the vote message. None when it was closed already.
pub async fn close(
    state: &AppState,
    id: i64,
    closed_by: Option<&str>,
) -> Result<Option<Outcome>, WorkflowError> {
    let now = state.clock.now();
    let release = &state.release.id;
    let actor = closed_by.unwrap_or(GOLIVE);
    let mut tx = state.db.begin().await?;
    let Some(stored) = votes::load(&mut tx, &state.release.id, id).await? else {
        return Ok(None);
    };
    let Ok(outcome) = stored.vote.close() else {
        return Ok(None);
    };
    if !votes::close(&mut tx, id, outcome.decision, actor, now).await? {
        return Ok(None);
    }
    jobs::close(&mut tx, release, &close_key(id), now).await?;
    let detail = format!(
        "vote {id}: {} ({})",
        choice_name(outcome.decision),
        tally(&outcome)
    );
    audit::record(&mut tx, release, now, actor, "gonogo-close", &detail).await?;
    let item = slug(MEETING_ITEM);
    let why = format!(
        "go/no-go decision recorded ({})",
        choice_name(outcome.decision)
    );
    let ticked =
        checklists::confirm_for_golive(&mut tx, state, MEETING_CHECKLIST, &item, &why, now).await?;
    tx.commit().await?;
    let plan = &state.release.plan();
    let decision = vote_messages::decision(&state.templates, plan, &outcome, closed_by)?;
    if let Err(error) = state.slack.post(&state.release.channel(), &decision).await {
        tracing::error!(%error, id, "could not post the go/no-go decision");
    }
    refresh::request(state, Target::Vote(id)).await;
    if ticked {
        refresh::request(state, Target::Checklist(MEETING_CHECKLIST.to_string())).await;
    }
    Ok(Some(outcome))
}

/// Runs a `vote_close` job: the deadline has come.
pub async fn close_at_deadline(state: &AppState, job: Job, id: i64) -> Result<(), WorkflowError> {
    close(state, id, None).await?;
    let mut conn = state.db.acquire().await?;
    jobs::finish(&mut conn, &job, state.clock.now()).await?;
    Ok(())
}

async fn status(state: &AppState) -> Answered {
    let latest = {
        let mut conn = state.db.acquire().await?;
        votes::latest(&mut conn, &state.release.id).await?
    };
    let Some(stored) = latest else {
        return done("No go/no-go vote has been opened yet. A release manager opens it with `/golive gonogo open`.");
    };
    let launch = state.release.snapshot().launch_date;
    Ok(Answer::Message(vote_messages::vote(
        &state.templates,
        &state.release.plan(),
        stored.id,
        &stored.vote,
        launch,
    )?))
}

/// The vote's message rendered from the store: (channel, ts, message).
pub async fn render_live(
    state: &AppState,
    id: i64,
) -> Result<Option<(String, String, Outgoing)>, WorkflowError> {
    let stored = {
        let mut conn = state.db.acquire().await?;
        votes::load(&mut conn, &state.release.id, id).await?
    };
    let Some(StoredVote {
        vote,
        message: Some((channel, ts)),
        ..
    }) = stored
    else {
        return Ok(None);
    };
    let launch = state.release.snapshot().launch_date;
    let message = vote_messages::vote(&state.templates, &state.release.plan(), id, &vote, launch)?;
    Ok(Some((channel, ts, message)))
}

/// A click on Go; the vote's message shows the ballot. Its delivery id is recorded with the
/// ballot (see [`ballots`]), so the caller routes it here before its own de-duplication.
pub async fn on_go(state: &AppState, action: &Action, reference: VoteRef) -> Answered {
    let click = Click {
        vote: reference.vote,
        voter: action.user.clone(),
        choice: Choice::Go,
        reason: None,
        at: state.clock.now(),
        delivery: Some(action.delivery_id.clone()),
        release: state.release.id.clone(),
    };
    cast(state, click).await
}

/// Judges and stores a ballot (with other clicks arriving at the same time), then refreshes
/// the vote's message.
async fn cast(state: &AppState, click: Click) -> Answered {
    let vote = click.vote;
    match ballots::cast(state, click).await? {
        Counted::Stored => {
            refresh::spawn(state, Target::Vote(vote));
            Ok(Answer::Shown)
        }
        Counted::Duplicate => Ok(Answer::Shown),
        Counted::Refused(error, stored) => Ok(refusal(state, &stored, error).into()),
        Counted::NoSuchVote => refused(NO_SUCH_VOTE),
    }
}

const NO_SUCH_VOTE: &str = "That vote no longer exists; nothing was changed.";

/// A click on No-Go: asks for the reason in a modal.
pub async fn on_no_go(state: &AppState, action: &Action, vote: VoteRef) -> Answered {
    let stored = {
        let mut conn = state.db.acquire().await?;
        votes::load_without_ballots(&mut conn, &state.release.id, vote.vote).await?
    };
    let Some(stored) = stored else {
        return refused(NO_SUCH_VOTE);
    };
    if let Err(error) = stored.vote.may_vote(&action.user, state.clock.now()) {
        return Ok(refusal(state, &stored, error).into());
    }
    let view = vote_messages::no_go_modal(&state.release.id, VoteRef { vote: stored.id });
    state.slack.open_view(&action.trigger_id, &view).await?;
    Ok(Answer::Shown)
}

/// The No-Go modal was submitted; a refusal (an empty reason) keeps it open with an error.
pub async fn on_reason(state: &AppState, voter: &str, vote: VoteRef, reason: String) -> Answered {
    let click = Click {
        vote: vote.vote,
        voter: voter.to_string(),
        choice: Choice::NoGo,
        reason: Some(reason),
        at: state.clock.now(),
        delivery: None,
        release: state.release.id.clone(),
    };
    cast(state, click).await
}

fn refusal(state: &AppState, stored: &StoredVote, error: VoteError) -> Refusal {
    let zone = state.release.plan().release.timezone;
    let vote = &stored.vote;
    match error {
        VoteError::NotAVoter => {
            let voters: Vec<String> = vote.voters.iter().map(|v| v.user.clone()).collect();
            let roles: Vec<&str> = state
                .release
                .plan()
                .gonogo
                .voters
                .iter()
                .map(Role::key)
                .collect();
            told(format!(
                "Only the voters can vote ({}; they hold {}). Your click was not counted.",
                users(&voters),
                roles.join(", ")
            ))
        }
        VoteError::AlreadyClosed => {
            let decided = match vote.state {
                VoteState::Closed { decision, at } => {
                    format!(
                        " with a {} decision at {}",
                        choice_name(decision),
                        local(at, zone)
                    )
                }
                VoteState::Open => String::new(),
            };
            told(format!(
                "This vote is closed{decided}; nothing was changed."
            ))
        }
        VoteError::DeadlinePassed => told(format!(
            "Voting closed at {}; your vote was not counted.",
            local(vote.deadline, zone)
        )),
        VoteError::ReasonRequired => told("A No-Go needs a reason."),
        VoteError::VacantRoles(_) => told(format!("{error}.")),
    }
}

/// One line for `/golive status` while a vote is open.
pub async fn status_line(state: &AppState) -> Result<Option<String>, WorkflowError> {
    let mut conn = state.db.acquire().await?;
    let Some(stored) = votes::latest(&mut conn, &state.release.id).await? else {
        return Ok(None);
    };
    let zone = state.release.plan().release.timezone;
    let outcome = stored.vote.decide();
    Ok((stored.vote.state == VoteState::Open).then(|| {
        format!(
            "go/no-go vote open until {}: {}",
            local(stored.vote.deadline, zone),
            tally(&outcome)
        )
    }))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
