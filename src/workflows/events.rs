//! Events API deliveries: de-duplication of Slack's retries, and answering mentions.

use crate::state::AppState;
use crate::storage::deliveries;
use crate::workflows::launch::{overview, status_report};
use crate::workflows::WorkflowError;

/// True the first time a delivery id is seen; Slack's retries of it return false.
pub async fn first_delivery(state: &AppState, delivery_id: &str) -> Result<bool, WorkflowError> {
    let mut conn = state.db.acquire().await?;
    Ok(deliveries::first_delivery(&mut conn, delivery_id, state.clock.now()).await?)
}

/// Someone mentioned the bot: answer in the thread with the status of the channel's launch, or
/// of every launch in a channel that is none's.
pub async fn answer_mention(
    state: &AppState,
    channel: &str,
    thread_ts: &str,
) -> Result<(), WorkflowError> {
    let launches = &state.launches;
    let launch = launches.in_channel(channel).or_else(|| launches.only());
    let mut message = match launch {
        Some(release) => status_report::build(&state.for_release(release)).await?,
        None => overview::all(state).await?,
    };
    message.thread_ts = Some(thread_ts.to_string());
    state.slack.post(channel, &message).await?;
    Ok(())
}
