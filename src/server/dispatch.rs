//! Routes a parsed [`Inbound`] to its workflow and produces the acknowledgement, always within
//! Slack's 3-second limit: work that may take longer continues after the ack.
//!
//! Clicks and events are acknowledged first and handled after, on a task each; at most
//! [`MAX_IN_HAND`] of them are in hand at once.

use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use crate::slack::inbound::{Event, Inbound};
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::workflows::{commands, events, interactions};

/// How long a command may run before golive acknowledges and answers later via response_url.
/// Slack gives 3 s; this leaves room for the network.
pub const ACK_BUDGET: Duration = Duration::from_millis(2_500);

/// How many acknowledged clicks and events may be in hand (handled after their ack) at once.
///
/// Without a bound, inputs acknowledged faster than the store takes them pile up as tasks of a
/// few kilobytes each, and memory follows the number of requests answered (100,000 quick event
/// deliveries held 130 MB). At the bound the next acknowledgement waits for a slot, which slows
/// the sender instead; slots free as fast as the store takes the work (a few milliseconds
/// each), well inside Slack's 3 seconds. 512 is one full batch of the single writer, so a
/// burst of vote clicks still shares its commits.
pub const MAX_IN_HAND: usize = 512;

/// What to send back to Slack as the acknowledgement.
#[derive(Debug, Clone)]
pub enum Ack {
    /// An empty 200 (or a bare Socket Mode ack).
    Empty,
    /// An ephemeral message for the person who asked.
    Message(Outgoing),
    /// The Events API URL check's answer.
    Challenge(String),
    /// A submitted modal has invalid inputs: input block id → message; the modal stays open.
    ViewErrors(std::collections::HashMap<String, String>),
}

/// Handles one inbound payload.
pub async fn handle(state: &AppState, inbound: Inbound) -> Ack {
    match inbound {
        Inbound::Command {
            request,
            response_url,
        } => command(state, request, response_url).await,
        Inbound::UrlVerification { challenge } => Ack::Challenge(challenge),
        Inbound::Event { event_id, event } => {
            let slot = in_hand_slot(state).await;
            let state = state.clone();
            tokio::spawn(async move {
                on_event(&state, &event_id, event).await;
                drop(slot);
            });
            Ack::Empty
        }
        Inbound::Action(action) => {
            // Clicks are answered by ephemeral message or chat.update, so ack at once.
            let slot = in_hand_slot(state).await;
            let state = state.clone();
            tokio::spawn(async move {
                interactions::on_action(&state, action).await;
                drop(slot);
            });
            Ack::Empty
        }
        Inbound::Submission(submission) => {
            match interactions::on_submission(state, submission).await {
                Ok(()) => Ack::Empty,
                Err(errors) => Ack::ViewErrors(errors),
            }
        }
        Inbound::UnhandledInteraction { kind } => {
            tracing::debug!(kind, "interaction ignored");
            Ack::Empty
        }
    }
}

/// Waits for room to take one more click or event in hand (see [`MAX_IN_HAND`]).
async fn in_hand_slot(state: &AppState) -> Option<OwnedSemaphorePermit> {
    // The semaphore is never closed; if it were, handling without a slot beats dropping work.
    state.in_hand.clone().acquire_owned().await.ok()
}

async fn command(state: &AppState, request: commands::CommandRequest, response_url: String) -> Ack {
    // Run inline (no task hop on the hot path); only a command still busy at the budget moves to
    // its own task, answering through response_url.
    let mut work = {
        let state = state.clone();
        Box::pin(async move { commands::handle(&state, &request).await })
    };
    match tokio::time::timeout(ACK_BUDGET, &mut work).await {
        Ok(reply) => Ack::Message(reply),
        Err(_) => {
            let state = state.clone();
            tokio::spawn(async move {
                let reply = work.await;
                if let Err(error) = state.slack.respond(&response_url, &reply).await {
                    tracing::error!(%error, "could not deliver a late command answer");
                }
            });
            Ack::Message(Outgoing::text("Working on it…"))
        }
    }
}

async fn on_event(state: &AppState, event_id: &str, event: Event) {
    match events::first_delivery(state, event_id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(event_id, "duplicate delivery dropped");
            return;
        }
        Err(error) => {
            tracing::error!(%error, event_id, "could not record a delivery");
            return;
        }
    }
    let outcome = match event {
        Event::AppMention { channel, thread_ts } => {
            events::answer_mention(state, &channel, &thread_ts).await
        }
        Event::Other => Ok(()),
    };
    if let Err(error) = outcome {
        tracing::error!(%error, event_id, "event handling failed");
    }
}
