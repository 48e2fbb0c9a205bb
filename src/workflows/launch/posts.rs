//! Posting one scheduled occurrence, exactly once.
//!
//! The protocol: the attempt is recorded (`sending`) and committed before Slack is called, and
//! every post carries message metadata naming its job. If golive dies mid-call, or the call fails
//! in a way that leaves the outcome unknown, the job is still `sending` next time, so the channel
//! history is searched for the tagged post before anything is sent again.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::timeline::Occurrence;
use crate::slack::messages::{self, Audience, Tone};
use crate::slack::port::{Outgoing, PostTag, Posted};
use crate::slack::vote_messages::{self, Blocked};
use crate::state::AppState;
use crate::storage::audit;
use crate::storage::jobs::{self, Job, JobState};
use crate::workflows::launch::gate::{self, GateState};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::{checklists, metrics, rollout, WorkflowError};

/// A post going out more than this after its time is marked late.
const LATE_AFTER: TimeDelta = TimeDelta::minutes(1);

/// Plan order in the launch channel: a due post waits while an earlier one (by time, then plan
/// order) is backing off after a transient failure, so the channel reads as the timeline. The
/// earlier post's retry time is returned, or `None` when nothing earlier is waiting. Posts that
/// can never succeed are finished, not retried (see [`run`]), so they hold nothing back.
pub async fn held_until(
    state: &AppState,
    job: &Job,
) -> Result<Option<DateTime<Utc>>, WorkflowError> {
    let now = state.clock.now();
    let waiting = {
        let mut conn = state.db.acquire().await?;
        jobs::waiting_retries(&mut conn, &job.release_id, &job.kind, now).await?
    };
    let snapshot = state.release.snapshot();
    let place = |job: &Job| (job.due_at, position(&snapshot.timeline, &job.key));
    let held = waiting
        .iter()
        .filter(|earlier| earlier.key != job.key && place(earlier) < place(job))
        .filter_map(|earlier| earlier.next_attempt_at)
        .max();
    if let Some(until) = held {
        let mut conn = state.db.acquire().await?;
        jobs::hold_until(&mut conn, job, until).await?;
        tracing::info!(key = job.key, %until, "post waits for an earlier one being retried");
    }
    Ok(held)
}

/// Where `key` stands in the plan's order (the timeline is sorted by time, then plan order).
pub fn position(timeline: &[Occurrence], key: &str) -> usize {
    timeline
        .iter()
        .position(|o| o.key == key)
        .unwrap_or(usize::MAX)
}

/// Runs one due `post` job. Failures are recorded on the job and retried later, never dropped.
pub async fn run(state: &AppState, job: Job) -> Result<(), WorkflowError> {
    let release = &state.release;
    let snapshot = release.snapshot();
    let Some(occurrence) = snapshot.timeline.iter().find(|o| o.key == job.key) else {
        // The plan no longer has it (a plan edit): nothing to post.
        let mut conn = state.db.acquire().await?;
        jobs::finish(&mut conn, &job, state.clock.now()).await?;
        return Ok(());
    };
    let channel = release.channel();
    let tag = PostTag {
        release_id: job.release_id.clone(),
        key: job.key.clone(),
    };
    if job.state == JobState::Sending {
        match state.slack.find_post(&channel, &tag).await {
            Ok(Some(found)) => {
                return record_posted(state, &job, &found, "found after an interrupted attempt")
                    .await
            }
            Ok(None) => {}
            Err(error) => return retry_later(state, &job, &error.to_string(), true).await,
        }
    }
    let now = state.clock.now();
    {
        let mut conn = state.db.acquire().await?;
        jobs::begin_attempt(&mut conn, &job, now).await?;
    }
    let late_by = Some(now - job.due_at).filter(|late| *late > LATE_AFTER);
    let ids = release.slack_ids();
    let audience = Audience {
        groups: &ids.groups,
        roles: &snapshot.roles,
    };
    let (mut message, blocked) = compose(state, occurrence, &audience, late_by).await?;
    message.tag = Some(tag);
    match state.slack.post(&channel, &message).await {
        Ok(posted) => {
            if late_by.is_some() {
                state.metrics.late_post();
            }
            record_posted(state, &job, &posted, "posted").await?;
            if let Some(blocked) = blocked {
                alert_release_managers(state, occurrence, &blocked).await;
            }
            Ok(())
        }
        // Even the plain-text form was refused: retrying can never succeed, and waiting on it
        // would hold back the rest of the plan. The release managers were told of the refusal.
        Err(error) if error.rejects_message() => give_up(state, &job, &error.to_string()).await,
        Err(error) => retry_later(state, &job, &error.to_string(), error.outcome_unknown()).await,
    }
}

/// Finishes a post Slack will never accept, with the reason in the audit log.
async fn give_up(state: &AppState, job: &Job, error: &str) -> Result<(), WorkflowError> {
    tracing::error!(
        key = job.key,
        error,
        "Slack refused a post even as plain text; not retrying"
    );
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    jobs::finish(&mut tx, job, now).await?;
    let detail = format!("{} refused by Slack ({error}); not posted", job.key);
    audit::record(
        &mut tx,
        &job.release_id,
        now,
        GOLIVE,
        "post-refused",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn record_posted(
    state: &AppState,
    job: &Job,
    posted: &Posted,
    how: &str,
) -> Result<(), WorkflowError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    jobs::complete(&mut tx, job, Some(&posted.channel), Some(&posted.ts), now).await?;
    checklists::scheduled_post_made(&mut tx, state, &job.key, posted, now).await?;
    rollout::steps::scheduled_post_made(&mut tx, state, &job.key, now).await?;
    audit::record(
        &mut tx,
        &job.release_id,
        now,
        GOLIVE,
        "post",
        &format!("{} {how} (ts {})", job.key, posted.ts),
    )
    .await?;
    tx.commit().await?;
    state.release.update(|s| {
        s.posted.insert(job.key.clone(), now);
    });
    tracing::info!(key = job.key, ts = posted.ts, "{how}");
    Ok(())
}

/// The message for an occurrence: a checklist is posted as the interactive checklist, and a
/// milestone gated on a Go is posted as blocked (with why) while no Go is recorded.
async fn compose(
    state: &AppState,
    occurrence: &Occurrence,
    audience: &Audience<'_>,
    late_by: Option<TimeDelta>,
) -> Result<(Outgoing, Option<String>), WorkflowError> {
    let plan = &state.release.plan();
    if let Some(checklist) = checklists::scheduled_message(state, &occurrence.key).await? {
        return Ok((checklist, None));
    }
    if let Some(scorecard) = metrics::scheduled_message(state, &occurrence.key).await? {
        return Ok((scorecard, None));
    }
    if let Some(step) =
        rollout::steps::scheduled_message(state, occurrence, audience, late_by).await?
    {
        return Ok((step, None));
    }
    if let GateState::Blocked(why) = gate::gate(state, occurrence).await? {
        let managers = state.release_managers();
        let blocked = Blocked {
            state: &why,
            release_managers: &managers,
            late_by,
        };
        let message = vote_messages::gate_blocked(&state.templates, plan, occurrence, &blocked)?;
        return Ok((message, Some(why)));
    }
    let message = messages::scheduled_post(&state.templates, plan, occurrence, audience, late_by)?;
    Ok((message, None))
}

/// Tells each release manager directly that a gated milestone is blocked.
async fn alert_release_managers(state: &AppState, occurrence: &Occurrence, why: &str) {
    let text = format!(
        "“{}” is BLOCKED: {why}. Production deployment must not begin without a recorded Go.",
        occurrence.title
    );
    let Ok(alert) = messages::notice(&state.templates, Tone::Refused, &text, &text) else {
        return;
    };
    for manager in state.release_managers() {
        if let Err(error) = state.slack.post(&manager, &alert).await {
            tracing::error!(%error, manager, "could not alert a release manager");
        }
    }
}

/// Backs off 5 s, 10 s, 20 s … up to 5 minutes of clock time between attempts.
fn backoff(attempts: i64) -> TimeDelta {
    let exponent = attempts.clamp(0, 6) as u32;
    TimeDelta::seconds(5 * 2_i64.pow(exponent)).min(TimeDelta::minutes(5))
}

async fn retry_later(
    state: &AppState,
    job: &Job,
    error: &str,
    outcome_unknown: bool,
) -> Result<(), WorkflowError> {
    let next: DateTime<Utc> = state.clock.now() + backoff(job.attempts);
    tracing::warn!(key = job.key, error, %next, "post failed; will retry");
    let mut conn = state.db.acquire().await?;
    jobs::retry_later(&mut conn, job, error, next, outcome_unknown).await?;
    Ok(())
}
