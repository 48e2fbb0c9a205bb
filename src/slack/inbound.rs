//! Every inbound Slack payload, parsed once into a closed [`Inbound`], whichever transport
//! (HTTP or Socket Mode) delivered it. Slack's wire types stop here.

use slack_morphism::prelude::*;

use crate::workflows::commands::CommandRequest;

/// What Slack asked golive to handle.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// A `/golive` command.
    Command {
        request: CommandRequest,
        response_url: String,
    },
    /// The Events API's URL check (HTTP mode only).
    UrlVerification { challenge: String },
    /// An Events API delivery, identified for de-duplication.
    Event { event_id: String, event: Event },
    /// A click or submission golive does not handle (yet): acknowledged and ignored.
    UnhandledInteraction { kind: &'static str },
}

/// The events golive acts on.
#[derive(Debug, Clone)]
pub enum Event {
    /// Someone @-mentioned the bot; it answers in the thread.
    AppMention { channel: String, thread_ts: String },
    /// Anything else: acknowledged, ignored.
    Other,
}

/// A payload that could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("malformed slash command form: {0}")]
    Command(#[from] serde_urlencoded::de::Error),
    #[error("malformed JSON payload: {0}")]
    Json(#[from] serde_json::Error),
    #[error("interaction form has no payload field")]
    MissingPayload,
}

/// A slash command from its form-encoded body.
pub fn command_from_form(body: &str) -> Result<Inbound, InboundError> {
    let event: SlackCommandEvent = serde_urlencoded::from_str(body)?;
    Ok(command(event))
}

/// A slash command from slack-morphism's parsed form.
pub fn command(event: SlackCommandEvent) -> Inbound {
    Inbound::Command {
        request: CommandRequest {
            user: event.user_id.to_string(),
            channel: event.channel_id.to_string(),
            text: event.text.unwrap_or_default(),
        },
        response_url: event.response_url.value().to_string(),
    }
}

/// An Events API delivery from its JSON body.
pub fn event_from_json(body: &str) -> Result<Inbound, InboundError> {
    Ok(match serde_json::from_str::<SlackPushEvent>(body)? {
        SlackPushEvent::UrlVerification(check) => Inbound::UrlVerification {
            challenge: check.challenge,
        },
        SlackPushEvent::EventCallback(callback) => event(callback),
        SlackPushEvent::AppRateLimited(_) => {
            tracing::warn!("Slack reports the app's event deliveries are rate limited");
            Inbound::Event {
                event_id: String::new(),
                event: Event::Other,
            }
        }
    })
}

/// An Events API callback from slack-morphism's parsed form.
pub fn event(callback: SlackPushEventCallback) -> Inbound {
    let event = match callback.event {
        SlackEventCallbackBody::AppMention(mention) => Event::AppMention {
            channel: mention.channel.to_string(),
            thread_ts: mention
                .origin
                .thread_ts
                .unwrap_or(mention.origin.ts)
                .to_string(),
        },
        _ => Event::Other,
    };
    Inbound::Event {
        event_id: callback.event_id.to_string(),
        event,
    }
}

/// An interaction from its form-encoded body (`payload=<json>`).
pub fn interaction_from_form(body: &str) -> Result<Inbound, InboundError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_str(body)?;
    let payload = form
        .into_iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v)
        .ok_or(InboundError::MissingPayload)?;
    Ok(interaction(serde_json::from_str(&payload)?))
}

/// An interaction from slack-morphism's parsed form.
pub fn interaction(event: SlackInteractionEvent) -> Inbound {
    let kind = match event {
        SlackInteractionEvent::BlockActions(_) => "block_actions",
        SlackInteractionEvent::ViewSubmission(_) => "view_submission",
        _ => "other",
    };
    Inbound::UnhandledInteraction { kind }
}
