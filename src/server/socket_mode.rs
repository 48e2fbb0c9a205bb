//! Socket Mode: the same payloads as HTTP mode, over a WebSocket golive opens to Slack. Frames
//! are not signed (the connection is authenticated by the app token), so there is no verify step.

use std::sync::Arc;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::dispatch::{self, Ack};
use crate::slack::inbound;
use crate::slack::web::{content, HyperClient};
use crate::state::AppState;

/// A running Socket Mode connection set.
pub struct SocketMode {
    listener: SlackClientSocketModeListener<SlackClientHyperHttpsConnector>,
}

impl SocketMode {
    /// Connects with `app_token` and starts delivering payloads to golive.
    pub async fn start(
        client: Arc<HyperClient>,
        app_token: &str,
        state: AppState,
    ) -> Result<Self, SlackClientError> {
        let environment = Arc::new(
            SlackClientEventsListenerEnvironment::new(client)
                .with_user_state(state)
                .with_error_handler(on_error),
        );
        let callbacks = SlackSocketModeListenerCallbacks::new()
            .with_command_events(on_command)
            .with_interaction_events(on_interaction)
            .with_push_events(on_push);
        let listener = SlackClientSocketModeListener::new(
            &SlackClientSocketModeConfig::new(),
            environment,
            callbacks,
        );
        listener
            .listen_for(&SlackApiToken::new(app_token.to_string().into()))
            .await?;
        listener.start().await;
        Ok(Self { listener })
    }

    /// Closes the connections.
    pub async fn shutdown(&self) {
        self.listener.shutdown().await;
    }
}

async fn app_state(
    states: &SlackClientEventsUserState,
) -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    // `start` always installs the state; its absence is a bug reported as an error, not a panic.
    states
        .read()
        .await
        .get_user_state::<AppState>()
        .cloned()
        .ok_or_else(|| "Socket Mode listener has no application state".into())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<HyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let state = app_state(&states).await?;
    let message = match dispatch::handle(&state, inbound::command(event)).await {
        Ack::Message(message) => content(&message),
        Ack::Empty | Ack::Challenge(_) | Ack::ViewErrors(_) => SlackMessageContent::new(),
    };
    Ok(SlackCommandEventResponse::new(message)
        .with_response_type(SlackMessageResponseType::Ephemeral))
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<HyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let state = app_state(&states).await?;
    Ok(
        match dispatch::handle(&state, inbound::interaction(event)).await {
            Ack::ViewErrors(errors) => {
                SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors))
                    .into()
            }
            _ => SlackInteractionResponse::Empty,
        },
    )
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<HyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let state = app_state(&states).await?;
    dispatch::handle(&state, inbound::event(event)).await;
    Ok(())
}

fn on_error(
    error: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<HyperClient>,
    _states: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::warn!(%error, "Socket Mode payload could not be handled");
    // A 2xx still acks the envelope: a payload golive cannot parse will not parse next time either.
    HttpStatusCode::OK
}
