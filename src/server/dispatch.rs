//! Routes a parsed [`Inbound`] to its workflow and produces the acknowledgement, always within
//! Slack's 3-second limit: work that may take longer continues after the ack.
//!
//! Events are acknowledged first and handled after, as tracked background work; at most
//! `background::MAX_RUNNING` of them are in hand at once. A click runs the same way, but its
//! acknowledgement waits for the click's work (its ballot or confirmation stored) up to
//! [`ACK_BUDGET`]: Slack never sends a click again, so one acknowledged and then lost to a crash
//! would be lost for good.

use std::sync::Arc;
use std::time::Duration;

use crate::slack::inbound::{CommandRequest, Event, Inbound};
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::workflows::views::home;
use crate::workflows::{commands, events, interactions};

/// How long a command may run before golive acknowledges and answers later via response_url.
/// Slack gives 3 s; this leaves room for the network.
pub const ACK_BUDGET: Duration = Duration::from_millis(2_500);

/// What to send back to Slack as the acknowledgement.
#[derive(Debug, Clone)]
pub enum Ack {
    /// An empty 200 (or a bare Socket Mode ack).
    Empty,
    /// An ephemeral message for the person who asked (shared: see `commands::handle`).
    Message(Arc<Outgoing>),
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
            let worker = state.clone();
            let work = async move { on_event(&worker, &event_id, event).await };
            state.background.spawn(work).await;
            Ack::Empty
        }
        Inbound::Action(action) => {
            // Clicks are answered by ephemeral message or chat.update: the ack carries nothing.
            let worker = state.clone();
            let (done, handled) = tokio::sync::oneshot::channel::<()>();
            let work = async move {
                interactions::on_action(&worker, action).await;
                drop(done);
            };
            state.background.spawn(work).await;
            let _ = tokio::time::timeout(ACK_BUDGET, handled).await;
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

async fn command(state: &AppState, request: CommandRequest, response_url: String) -> Ack {
    // Run inline (no task hop on the hot path); only a command still busy at the budget moves to
    // its own task, answering through response_url.
    let mut work = {
        let state = state.clone();
        Box::pin(async move { commands::handle(&state, &request).await })
    };
    match tokio::time::timeout(ACK_BUDGET, &mut work).await {
        Ok(reply) => Ack::Message(reply),
        Err(_) => {
            let worker = state.clone();
            let late = async move {
                let reply = work.await;
                if let Err(error) = worker.slack.respond(&response_url, &reply).await {
                    tracing::error!(%error, "could not deliver a late command answer");
                }
            };
            state.background.spawn(late).await;
            Ack::Message(Arc::new(Outgoing::text("Working on it…")))
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
        Event::AppHomeOpened { user } => home::opened(state, &user).await,
        Event::Other => Ok(()),
    };
    if let Err(error) = outcome {
        tracing::error!(%error, event_id, "event handling failed");
    }
}
