//! Every inbound Slack payload, parsed once into a closed [`Inbound`], whichever transport
//! (HTTP or Socket Mode) delivered it. Slack's wire types stop here.

use std::borrow::Cow;

use serde::Deserialize;
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

impl Action {
    /// Whether the button was on golive's Home tab rather than on a message.
    pub fn from_home(&self) -> bool {
        self.channel.is_empty() && self.message_ts.starts_with("home:")
    }
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
    /// Someone opened golive's Home tab.
    AppHomeOpened { user: String },
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
        SlackEventCallbackBody::AppHomeOpened(opened)
            if opened.tab.as_deref().is_none_or(|tab| tab == "home") =>
        {
            Event::AppHomeOpened {
                user: opened.user.to_string(),
            }
        }
        _ => Event::Other,
    };
    Inbound::Event {
        event_id: callback.event_id.to_string(),
        event,
    }
}

/// An interaction from its form-encoded body (`payload=<json>`).
pub fn interaction_from_form(body: &str) -> Result<Inbound, InboundError> {
    let payload = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v)
        .ok_or(InboundError::MissingPayload)?;
    if let Some(click) = plain_click(&payload) {
        return Ok(click);
    }
    Ok(interaction(serde_json::from_str(&payload)?))
}

/// A click on a button in a message, read from the fields golive uses: the payload's message,
/// its blocks and the view are skipped rather than parsed, since clicks are golive's busiest
/// input. Anything else, or anything unusual (a field missing or of another shape), is `None`,
/// and goes to slack-morphism's full parse, which decides as before.
fn plain_click(payload: &str) -> Option<Inbound> {
    #[derive(Deserialize)]
    struct Click<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
        #[serde(borrow)]
        team: Option<Id<'a>>,
        #[serde(borrow)]
        user: Option<Id<'a>>,
        #[serde(borrow)]
        api_app_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        container: Option<Container<'a>>,
        #[serde(borrow)]
        trigger_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        response_url: Option<Cow<'a, str>>,
        #[serde(borrow)]
        actions: Option<Vec<ClickedAction<'a>>>,
    }
    #[derive(Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
    }
    #[derive(Deserialize)]
    struct Container<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
        #[serde(borrow)]
        message_ts: Option<Cow<'a, str>>,
        #[serde(borrow)]
        channel_id: Option<Cow<'a, str>>,
    }
    #[derive(Deserialize)]
    struct ClickedAction<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<Cow<'a, str>>,
        #[serde(borrow)]
        action_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        value: Option<Cow<'a, str>>,
        #[serde(borrow)]
        action_ts: Option<Cow<'a, str>>,
    }

    let click: Click = serde_json::from_str(payload).ok()?;
    let container = click.container?;
    let plain = click.kind == "block_actions"
        && click.team.is_some()
        && click.api_app_id.is_some()
        && container.kind == "message"
        && click
            .actions
            .iter()
            .flatten()
            .all(|a| a.kind.is_some() && a.action_id.is_some());
    if !plain {
        return None;
    }
    let message_ts = container.message_ts?.into_owned();
    let trigger_id = click.trigger_id?.into_owned();
    // As slack-morphism reads it: a URL, written back in its normal form.
    let response_url = match click.response_url {
        Some(url) => Some(url::Url::parse(&url).ok()?.to_string()),
        None => None,
    };
    let unhandled = Inbound::UnhandledInteraction {
        kind: "block_actions",
    };
    let Some(first) = click.actions.and_then(|actions| actions.into_iter().next()) else {
        return Some(unhandled);
    };
    let Some(action) = first.action_id.as_deref().and_then(ActionId::parse) else {
        return Some(unhandled);
    };
    let Some(user) = click.user else {
        return Some(unhandled);
    };
    let user = user.id.into_owned();
    let action_ts = first.action_ts.as_deref().unwrap_or_default();
    let value = first.value.as_deref();
    Some(Inbound::Action(Action {
        action,
        delivery_id: format!("action:{user}:{message_ts}:{}:{action_ts}", action.as_str()),
        user,
        channel: container
            .channel_id
            .map(Cow::into_owned)
            .unwrap_or_default(),
        message_ts,
        button: Button::parse(action, value.unwrap_or_default()),
        release: value.and_then(launch_of),
        trigger_id,
        response_url,
    }))
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
        // A button on golive's Home tab: no channel, the view instead of a message.
        SlackInteractionActionContainer::View(container) => {
            (String::new(), format!("home:{}", container.view_id))
        }
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
