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

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::incident::IncidentId;
use crate::domain::job::JobPayload;
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::storage::incidents::{self, message_key};
use crate::storage::jobs;
use crate::workflows::{sending, WorkflowError};

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
    conn: &mut impl AsConn,
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
    conn: &mut impl AsConn,
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
                None => {
                    return sending::retry(state, &job, "incident post not sent yet", false).await
                }
            }
        }
    };
    let message = sending::Tagged {
        channel,
        thread_ts,
        text: queued.text,
        blocks: queued.blocks,
        direct: matches!(queued.to, To::User(_)),
        audited_as: "incident-message",
    };
    sending::send(state, &job, message).await
}
