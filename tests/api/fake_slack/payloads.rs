//! What Slack sends to the app, built from the recorded fixtures in `tests/fixtures/slack/`
//! with the details of one test filled in. The same payloads serve HTTP mode (signed with
//! [`super::sign`]) and Socket Mode (as envelope payloads).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

use super::{Message, APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID};

const SLASH_COMMAND: &str = include_str!("../../fixtures/slack/slash_command.form");
const BLOCK_ACTIONS: &str = include_str!("../../fixtures/slack/block_actions_button.json");
const VIEW_SUBMISSION: &str = include_str!("../../fixtures/slack/view_submission.json");
const URL_VERIFICATION: &str = include_str!("../../fixtures/slack/event_url_verification.json");
const APP_MENTION: &str = include_str!("../../fixtures/slack/event_app_mention.json");

/// The urlencoded body of `/golive <text>` typed by `user_id` in `channel_id`.
pub fn slash_command_form(
    user_id: &str,
    channel_id: &str,
    text: &str,
    response_url: &str,
) -> String {
    let fields = slash_command_fields(user_id, channel_id, text, response_url);
    serde_urlencoded::to_string(fields).expect("form fields encode")
}

/// The same command as a Socket Mode `slash_commands` payload: the form fields as a JSON object.
pub fn slash_command_payload(
    user_id: &str,
    channel_id: &str,
    text: &str,
    response_url: &str,
) -> Value {
    let fields = slash_command_fields(user_id, channel_id, text, response_url);
    let object: Map<String, Value> = fields
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect();
    Value::Object(object)
}

fn slash_command_fields(
    user_id: &str,
    channel_id: &str,
    text: &str,
    response_url: &str,
) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> =
        serde_urlencoded::from_str(SLASH_COMMAND).expect("slash_command.form decodes");
    for (key, value) in fields.iter_mut() {
        match key.as_str() {
            "user_id" => *value = user_id.to_string(),
            "user_name" => *value = user_name(user_id),
            "channel_id" => *value = channel_id.to_string(),
            "channel_name" => *value = channel_id.to_lowercase(),
            "text" => *value = text.to_string(),
            "response_url" => *value = response_url.to_string(),
            "trigger_id" => *value = trigger_id(),
            _ => {}
        }
    }
    fields
}

/// A click on the button `action_id` in `block_id` of a posted `message`, as Slack sends it:
/// the whole message comes along, and the button's text and style are copied from it.
pub fn block_actions_payload(
    user_id: &str,
    message: &Message,
    block_id: &str,
    action_id: &str,
    value: &str,
    response_url: &str,
) -> Value {
    let mut payload: Value =
        serde_json::from_str(BLOCK_ACTIONS).expect("block_actions_button.json");
    payload["user"] = user_json(user_id);
    payload["trigger_id"] = trigger_id().into();
    payload["container"]["message_ts"] = message.ts.clone().into();
    payload["container"]["channel_id"] = message.channel.clone().into();
    payload["channel"] = json!({"id": message.channel, "name": message.channel.to_lowercase()});
    payload["message"] = stored_message(message);
    payload["response_url"] = response_url.into();

    let action = &mut payload["actions"][0];
    if let Some(button) = find_element(&message.blocks, action_id) {
        action["text"] = button["text"].clone();
        if let Some(style) = button.get("style") {
            action["style"] = style.clone();
        } else if let Some(fields) = action.as_object_mut() {
            fields.remove("style");
        }
    }
    action["action_id"] = action_id.into();
    action["block_id"] = block_id.into();
    action["value"] = value.into();
    // Every click has its own action_ts; only a redelivery repeats one.
    action["action_ts"] = action_ts().into();
    payload
}

/// `user_id` submitting a modal the bot opened (a `view` from `FakeSlack::views_opened`)
/// with `values` as `state.values`: `{block_id: {action_id: {type, value|selected_…}}}`.
pub fn view_submission_payload(user_id: &str, view: &Value, values: Value) -> Value {
    let mut payload: Value = serde_json::from_str(VIEW_SUBMISSION).expect("view_submission.json");
    payload["user"] = user_json(user_id);
    payload["trigger_id"] = trigger_id().into();
    let submitted = &mut payload["view"];
    for (key, value) in view.as_object().into_iter().flatten() {
        submitted[key] = value.clone();
    }
    submitted["state"] = json!({"values": values});
    payload
}

/// An Events API `event_callback` envelope around `event` (which needs a `type`).
pub fn event_callback(event_id: &str, event: Value) -> Value {
    let mut envelope: Value = serde_json::from_str(APP_MENTION).expect("event_app_mention.json");
    envelope["event_id"] = event_id.into();
    envelope["event"] = event;
    envelope
}

/// The `url_verification` request Slack sends when the events URL is saved.
pub fn url_verification(challenge: &str) -> Value {
    let mut request: Value =
        serde_json::from_str(URL_VERIFICATION).expect("event_url_verification.json");
    request["challenge"] = challenge.into();
    request
}

/// A posted message as Slack stores it and sends it back in interaction payloads.
fn stored_message(message: &Message) -> Value {
    let mut stored = json!({
        "type": "message",
        "ts": message.ts,
        "text": message.text,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "blocks": message.blocks.as_array().cloned().unwrap_or_default(),
    });
    if let Some(thread_ts) = &message.thread_ts {
        stored["thread_ts"] = thread_ts.clone().into();
    }
    if let Some(metadata) = &message.metadata {
        stored["metadata"] = metadata.clone();
    }
    stored
}

/// The interactive element with `action_id` anywhere in `blocks`.
fn find_element<'a>(blocks: &'a Value, action_id: &str) -> Option<&'a Value> {
    let blocks = blocks.as_array()?;
    let elements = blocks.iter().flat_map(|block| {
        let listed = block["elements"].as_array().into_iter().flatten();
        listed.chain([&block["accessory"], &block["element"]])
    });
    elements
        .into_iter()
        .find(|element| element["action_id"] == action_id)
}

fn user_json(user_id: &str) -> Value {
    json!({"id": user_id, "username": user_name(user_id), "name": user_name(user_id), "team_id": TEAM_ID})
}

fn user_name(user_id: &str) -> String {
    format!("user-{}", user_id.to_lowercase())
}

/// A fresh `trigger_id`; Slack's are single use.
fn action_ts() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("1700000100.{number:06}")
}

fn trigger_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("13345224609.738474920.{number:031x}")
}
