//! An incident's messages (the incident post, thread notes, pages by DM, runbook checklists),
//! each sent exactly once.
//!
//! A message is rendered when its step is decided and queued as a `incident_message` job in the
//! same transaction, so deciding and queueing are one atomic act. Sending follows the posting
//! protocol of [`crate::workflows::posts`]: the attempt is committed as `sending` before Slack is called,
//! and an attempt found `sending` (the bot died or the outcome was unknown) first looks for the
//! message in Slack: in the channel history by metadata, or in the thread by the tag block id.
//!
//! Messages are sent apart from the scheduler's pass: pages by DM at once, and an incident's
//! post and thread notes one after another in their lane, so the thread reads in order.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::SqliteConnection;

use crate::domain::incident::IncidentId;
use crate::domain::job::JobPayload;
use crate::slack::port::{Outgoing, PostTag, Posted};
use crate::state::AppState;
use crate::storage::incidents::{self, message_key};
use crate::storage::{audit, jobs};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::WorkflowError;

/// Where a queued message goes.
pub use crate::domain::job::MessageTo as To;

/// The lane a message's job is sent in: the incident's, for its post and thread notes, which
/// go out in order; `None` for a DM, which goes out on its own at once.
pub fn lane(release_id: &str, incident: IncidentId, to: &To) -> Option<String> {
    match to {
        To::User(_) => None,
        To::Channel | To::Thread => Some(format!("{release_id}:{incident}")),
    }
}

/// Queues a message for `id`, due `now`. `render` gets the job key, which the message carries.
pub async fn queue(
    conn: &mut SqliteConnection,
    release_id: &str,
    id: IncidentId,
    to: To,
    now: DateTime<Utc>,
    render: impl FnOnce(&str) -> Result<Outgoing, crate::slack::render::TemplateError>,
) -> Result<(), WorkflowError> {
    let sequence = incidents::next_message(conn, release_id, id).await?;
    queue_as(
        conn,
        release_id,
        id,
        &message_key(id, sequence),
        to,
        now,
        render,
    )
    .await
}

/// Queues a message under a chosen key (a runbook checklist, which is updated in place later).
pub async fn queue_as(
    conn: &mut SqliteConnection,
    release_id: &str,
    id: IncidentId,
    key: &str,
    to: To,
    now: DateTime<Utc>,
    render: impl FnOnce(&str) -> Result<Outgoing, crate::slack::render::TemplateError>,
) -> Result<(), WorkflowError> {
    let message = render(key)?;
    let payload = JobPayload::IncidentMessage {
        incident: id.0,
        to,
        text: message.text,
        blocks: serde_json::to_value(&message.blocks).unwrap_or_default(),
    };
    jobs::schedule(conn, release_id, key, now, &payload).await?;
    Ok(())
}

/// A message to send, as its job holds it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub incident: IncidentId,
    pub to: To,
    pub text: String,
    pub blocks: serde_json::Value,
}

/// Sends one queued message, whose attempt the scheduler has begun. Failures are recorded on the
/// job and retried, never dropped.
pub async fn run(state: &AppState, job: jobs::Job, queued: Queued) -> Result<(), WorkflowError> {
    let id = queued.incident;
    let (channel, thread_ts) = match &queued.to {
        To::Channel => (state.release.channel(), None),
        To::User(user) => (user.clone(), None),
        To::Thread => {
            let mut conn = state.db.acquire().await?;
            match incidents::incident_post(&mut conn, &job.release_id, id).await? {
                Some((channel, ts)) => (channel, Some(ts)),
                // The incident post has not gone out yet; its thread waits for it.
                None => return retry(state, &job, "incident post not sent yet", false).await,
            }
        }
    };
    let tag = PostTag {
        release_id: job.release_id.clone(),
        key: job.key.clone(),
    };
    if job.state == jobs::JobState::Sending {
        let found = match &thread_ts {
            Some(ts) => state.slack.find_reply(&channel, ts, &tag).await,
            None => state.slack.find_post(&channel, &tag).await,
        };
        match found {
            Ok(Some(posted)) => return finish(state, &job, Some(&posted)).await,
            Ok(None) => {}
            // Without `im:history` a DM cannot be looked up; a page sent twice beats one lost.
            Err(error) if matches!(queued.to, To::User(_)) && !error.is_transient() => {
                tracing::warn!(key = job.key, %error, "cannot look for a DM page; sending it");
            }
            Err(error) => return retry(state, &job, &error.to_string(), true).await,
        }
    }
    let message = Outgoing {
        text: queued.text,
        blocks: serde_json::from_value(queued.blocks).unwrap_or_default(),
        tag: Some(tag),
        thread_ts,
    };
    match state.slack.post(&channel, &message).await {
        Ok(posted) => finish(state, &job, Some(&posted)).await,
        // Refused even as plain text: it can never go out, and its thread must not wait on it.
        Err(error) if error.rejects_message() => {
            tracing::error!(key = job.key, %error, "Slack refused an incident message even as plain text");
            finish(state, &job, None).await
        }
        Err(error) => retry(state, &job, &error.to_string(), error.outcome_unknown()).await,
    }
}

/// Records the outcome on the single writer: finishes from many sends share a commit, and never
/// wait on the pool's write lock.
async fn finish(
    state: &AppState,
    job: &jobs::Job,
    posted: Option<&Posted>,
) -> Result<(), WorkflowError> {
    let now = state.clock.now();
    let (release_id, key) = (job.release_id.clone(), job.key.clone());
    let posted = posted.cloned();
    state
        .writer
        .write(
            move |conn| {
                Box::pin(async move {
                    let (channel, ts) = match &posted {
                        Some(p) => (Some(p.channel.as_str()), Some(p.ts.as_str())),
                        None => (None, None),
                    };
                    jobs::complete(conn, &release_id, &key, channel, ts, now).await?;
                    if let Some(ts) = ts {
                        let detail = format!("{key} sent (ts {ts})");
                        audit::record(conn, &release_id, now, GOLIVE, "incident-message", &detail)
                            .await?;
                    }
                    Ok(())
                })
            },
            |_| {},
        )
        .await?;
    Ok(())
}

async fn retry(
    state: &AppState,
    job: &jobs::Job,
    error: &str,
    outcome_unknown: bool,
) -> Result<(), WorkflowError> {
    let exponent = job.attempts.clamp(0, 6) as u32;
    let wait = TimeDelta::seconds(5 * 2_i64.pow(exponent)).min(TimeDelta::minutes(5));
    tracing::warn!(
        key = job.key,
        error,
        "incident message not sent; will retry"
    );
    let mut conn = state.db.acquire().await?;
    jobs::retry_later(
        &mut conn,
        &job.release_id,
        &job.key,
        error,
        state.clock.now() + wait,
        outcome_unknown,
    )
    .await?;
    Ok(())
}
