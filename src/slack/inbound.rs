//! Every inbound Slack payload, parsed once into a closed [`Inbound`], whichever transport
//! (HTTP or Socket Mode) delivered it. Slack's wire types stop here.

use slack_morphism::prelude::*;

use super::action_id::{launch_of, ActionId, Button, Form, FormError};

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
    /// A click on one of golive's buttons.
    Action(Action),
    /// A modal golive opened was submitted.
    Submission(Submission),
    /// A click or submission golive does not handle: acknowledged and ignored.
    UnhandledInteraction { kind: &'static str },
}

/// A slash command as golive needs it, whichever transport brought it.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub user: String,
    pub channel: String,
    pub text: String,
}

/// A button click, with where it happened.
#[derive(Debug, Clone)]
pub struct Action {
    pub action: ActionId,
    pub user: String,
    /// Channel and ts of the message holding the button.
    pub channel: String,
    pub message_ts: String,
    /// The button with its value decoded; `None` when the value is not one golive wrote.
    pub button: Option<Button>,
    /// The launch the button's value names (see `action_id::scoped_value`).
    pub release: Option<String>,
    pub trigger_id: String,
    pub response_url: Option<String>,
    /// Identifies this click for de-duplication of Slack's redeliveries.
    pub delivery_id: String,
}

/// A submitted modal.
#[derive(Debug, Clone)]
pub struct Submission {
    pub user: String,
    pub callback_id: String,
    /// The form with its metadata and inputs decoded, or why it is not golive's.
    pub form: Result<Form, FormError>,
    /// The launch the modal's metadata names.
    pub release: Option<String>,
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
    match event {
        SlackInteractionEvent::BlockActions(click) => block_action(click)
            .map(Inbound::Action)
            .unwrap_or(Inbound::UnhandledInteraction {
                kind: "block_actions",
            }),
        SlackInteractionEvent::ViewSubmission(submission) => {
            Inbound::Submission(view_submission(submission))
        }
        _ => Inbound::UnhandledInteraction { kind: "other" },
    }
}

fn block_action(click: SlackInteractionBlockActionsEvent) -> Option<Action> {
    let first = click.actions?.into_iter().next()?;
    let action = ActionId::parse(first.action_id.as_ref())?;
    let (channel, message_ts) = match click.container {
        SlackInteractionActionContainer::Message(container) => (
            container
                .channel_id
                .map(|c| c.to_string())
                .unwrap_or_default(),
            container.message_ts.to_string(),
        ),
        _ => return None,
    };
    let user = click.user?.id.to_string();
    let action_ts = first.action_ts.map(|ts| ts.to_string()).unwrap_or_default();
    Some(Action {
        action,
        delivery_id: format!("action:{user}:{message_ts}:{}:{action_ts}", action.as_str()),
        user,
        channel,
        message_ts,
        button: Button::parse(action, first.value.as_deref().unwrap_or_default()),
        release: first.value.as_deref().and_then(launch_of),
        trigger_id: click.trigger_id.to_string(),
        response_url: click.response_url.map(|u| u.value().to_string()),
    })
}

fn view_submission(submission: SlackInteractionViewSubmissionEvent) -> Submission {
    let (callback_id, private_metadata) = match &submission.view.view {
        SlackView::Modal(modal) => (
            modal
                .callback_id
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            modal.private_metadata.clone().unwrap_or_default(),
        ),
        SlackView::Home(home) => (
            home.callback_id
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            home.private_metadata.clone().unwrap_or_default(),
        ),
    };
    let inputs: std::collections::HashMap<String, String> = submission
        .view
        .state_params
        .state
        .map(|state| state.values)
        .unwrap_or_default()
        .into_values()
        .flat_map(|inputs| inputs.into_iter())
        .filter_map(|(action, value)| value.value.map(|v| (action.to_string(), v)))
        .collect();
    Submission {
        user: submission.user.id.to_string(),
        form: Form::parse(&callback_id, &private_metadata, &inputs),
        release: launch_of(&private_metadata),
        callback_id,
    }
}
