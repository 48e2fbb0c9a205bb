//! Sending one queued, tagged message exactly once: the attempt is committed as `sending`
//! before Slack is called, and an attempt found `sending` (the bot died, or the outcome was
//! unknown) first looks for the message in Slack: in the channel history by its metadata, or
//! in the thread by its tag block id. Failures are recorded on the job and retried, never
//! dropped. Incident messages and rollout notes go out this way.

use chrono::TimeDelta;

use crate::slack::port::{Outgoing, PostTag, Posted};
use crate::state::AppState;
use crate::storage::{audit, jobs, StoreError};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::WorkflowError;

/// A message as its job holds it, and where it goes.
pub struct Tagged {
    pub channel: String,
    pub thread_ts: Option<String>,
    pub text: String,
    pub blocks: serde_json::Value,
    /// A direct message: without `im:history` it cannot be looked up, and one sent twice beats
    /// one lost.
    pub direct: bool,
    /// The audit action of a message sent.
    pub audited_as: &'static str,
}

/// Sends `message` for `job`, whose attempt the scheduler has begun.
pub async fn send(state: &AppState, job: &jobs::Job, message: Tagged) -> Result<(), WorkflowError> {
    let tag = PostTag {
        release_id: job.release_id.clone(),
        key: job.key.clone(),
    };
    let (channel, audited_as) = (message.channel.as_str(), message.audited_as);
    if job.state == jobs::JobState::Sending {
        let found = match &message.thread_ts {
            Some(ts) => state.slack.find_reply(channel, ts, &tag).await,
            None => state.slack.find_post(channel, &tag).await,
        };
        match found {
            Ok(Some(posted)) => return finish(state, job, Some(&posted), audited_as).await,
            Ok(None) => {}
            Err(error) if message.direct && !error.is_transient() => {
                tracing::warn!(key = job.key, %error, "cannot look for a direct message; sending it");
            }
            Err(error) => return retry(state, job, &error.to_string(), true).await,
        }
    }
    let outgoing = Outgoing {
        text: message.text,
        blocks: serde_json::from_value(message.blocks).unwrap_or_default(),
        tag: Some(tag),
        thread_ts: message.thread_ts,
    };
    match state.slack.post(channel, &outgoing).await {
        Ok(posted) => finish(state, job, Some(&posted), audited_as).await,
        // Refused even as plain text: it can never go out, and its thread must not wait on it.
        Err(error) if error.rejects_message() => {
            tracing::error!(key = job.key, %error, "Slack refused a message even as plain text");
            finish(state, job, None, audited_as).await
        }
        Err(error) => retry(state, job, &error.to_string(), error.outcome_unknown()).await,
    }
}

/// Records the outcome on the single writer: finishes from many sends share a commit, and never
/// wait on the pool's write lock.
async fn finish(
    state: &AppState,
    job: &jobs::Job,
    posted: Option<&Posted>,
    audited_as: &'static str,
) -> Result<(), WorkflowError> {
    let now = state.clock.now();
    let job = job.clone();
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
                    // A refused outcome writes nothing, so it fails alone, not the batch.
                    match jobs::complete(conn, &job, channel, ts, now).await {
                        Err(StoreError::LeaseLost(lost)) => {
                            tracing::warn!(job = lost, "lease ran out before the message's outcome was recorded; another replica has it");
                            return Ok(());
                        }
                        done => done?,
                    }
                    let (release_id, key) = (&job.release_id, &job.key);
                    if let Some(ts) = ts {
                        let detail = format!("{key} sent (ts {ts})");
                        audit::record(conn, release_id, now, GOLIVE, audited_as, &detail).await?;
                    }
                    Ok(())
                })
            },
            |_| {},
        )
        .await?;
    Ok(())
}

/// Tries again after 5 s, 10 s, 20 s … up to 5 minutes.
pub async fn retry(
    state: &AppState,
    job: &jobs::Job,
    error: &str,
    outcome_unknown: bool,
) -> Result<(), WorkflowError> {
    let exponent = job.attempts.clamp(0, 6) as u32;
    let wait = TimeDelta::seconds(5 * 2_i64.pow(exponent)).min(TimeDelta::minutes(5));
    tracing::warn!(key = job.key, error, "message not sent; will retry");
    let mut conn = state.db.acquire().await?;
    jobs::retry_later(
        &mut conn,
        job,
        error,
        state.clock.now() + wait,
        outcome_unknown,
    )
    .await?;
    Ok(())
}
