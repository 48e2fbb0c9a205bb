//! The rollout's notes (a change's outcome in its step's thread, a command's in the channel, a
//! failure to each release manager), queued in the transaction that decides them and sent
//! exactly once on the launch's rollout lane, after the change they tell of.

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::job::{JobPayload, NoteTo};
use crate::slack::incident_messages::tag_block_id;
use crate::slack::messages::{self, Tone};
use crate::state::AppState;
use crate::storage::jobs;
use crate::workflows::sending::{self, Tagged};
use crate::workflows::WorkflowError;

/// Queues a note due `now`.
pub async fn queue(
    conn: &mut impl AsConn,
    state: &AppState,
    to: NoteTo,
    tone: Tone,
    plain: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let key = format!(
        "rollout:note:{}:{:08x}",
        now.timestamp_millis(),
        rand::random::<u32>()
    );
    let message = messages::notice(&state.templates, tone, plain, body)?;
    let mut blocks = serde_json::to_value(&message.blocks).unwrap_or_default();
    // The first block carries the tag, so a note in a thread can be found again after a crash.
    if let Some(first) = blocks.get_mut(0) {
        first["block_id"] = tag_block_id(&key).into();
    }
    let payload = JobPayload::RolloutNote {
        to,
        text: message.text,
        blocks,
    };
    jobs::schedule(conn, &state.release.id, &key, now, &payload).await?;
    Ok(())
}

/// Queues the same note to each release manager.
pub async fn to_release_managers(
    conn: &mut impl AsConn,
    state: &AppState,
    plain: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    for manager in state.release_managers() {
        queue(
            conn,
            state,
            NoteTo::User(manager),
            Tone::Error,
            plain,
            body,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Where a step's notes go: its post's thread once it is posted, else the channel.
pub fn to_step(step: Option<u8>) -> NoteTo {
    step.map_or(NoteTo::Channel, NoteTo::Step)
}

/// Sends one queued note.
pub async fn run(
    state: &AppState,
    job: jobs::Job,
    to: NoteTo,
    text: String,
    blocks: serde_json::Value,
) -> Result<(), WorkflowError> {
    let channel = state.release.channel();
    let (channel, thread_ts) = match &to {
        NoteTo::Channel => (channel, None),
        NoteTo::User(user) => (user.clone(), None),
        NoteTo::Step(percent) => {
            let plan = state.release.plan();
            let key = plan
                .feature_flags
                .iter()
                .find(|s| s.percent == *percent)
                .map(|s| plan.step_post_key(s));
            let posted = match key {
                Some(key) => {
                    let mut conn = state.db.acquire().await?;
                    jobs::get(&mut conn, &job.release_id, &key).await?
                }
                None => None,
            };
            match posted.and_then(|p| p.channel.zip(p.ts)) {
                Some((channel, ts)) => (channel, Some(ts)),
                None => (channel, None),
            }
        }
    };
    let message = Tagged {
        channel,
        thread_ts,
        text,
        blocks,
        direct: matches!(to, NoteTo::User(_)),
        audited_as: "rollout-note",
    };
    sending::send(state, &job, message).await
}
