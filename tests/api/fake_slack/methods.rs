//! What each fake Web API method does to the workspace and answers. Responses carry every
//! field slack-morphism 2.31 requires (see `slack-platform.md` §10); `ok` is added by the caller.

use serde_json::{json, Value};

use super::shapes::{channel_json, message_json, stateful_view, user_json, usergroup_json};
use super::state::{Channel, Shared, State};
use super::web_api::{ApiError, Params};
use super::{Ephemeral, Message, APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID};
/// Slack's default page size for list and history methods.
const DEFAULT_LIMIT: usize = 100;

pub(super) fn call(shared: &Shared, method: &str, params: &Params) -> Result<Value, ApiError> {
    let mut state = shared.lock();
    let state = &mut *state;
    match method {
        "auth.test" => Ok(auth_test()),
        "apps.connections.open" => Ok(json!({
            "url": format!("{}?ticket={}&app_id={APP_ID}", shared.socket_url, state.next_id("t"))
        })),
        "chat.postMessage" => post_message(state, params),
        "chat.update" => update_message(state, params),
        "chat.postEphemeral" => post_ephemeral(state, params),
        "chat.getPermalink" => permalink(state, params),
        "conversations.history" => history(state, params),
        "conversations.open" => open_conversation(state, params),
        "conversations.replies" => replies(state, params),
        "conversations.list" => list_channels(state, params),
        "conversations.info" => channel_info(state, params),
        "conversations.join" => join_channel(state, params),
        "usergroups.list" => Ok(list_usergroups(state, params)),
        "usergroups.users.list" => usergroup_users(state, params),
        "users.info" => user_info(state, params),
        "views.open" => open_view(state, params),
        "views.publish" => publish_view(state, params),
        _ => Err("unknown_method".into()),
    }
}

fn auth_test() -> Value {
    json!({
        "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
        "team": TEAM_DOMAIN,
        "user": "golive",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": false,
    })
}

fn post_message(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let channel = channel_param(state, params)?;
    let text = params.text("text");
    let blocks = params.json("blocks");
    if text.is_none() && blocks.is_none() {
        return Err("no_text".into());
    }
    state.check_message("chat.postMessage", text.as_deref(), blocks.as_ref())?;
    let message = Message {
        channel: channel.clone(),
        ts: state.next_ts(),
        thread_ts: params.text("thread_ts"),
        text: text.unwrap_or_default(),
        blocks: blocks.unwrap_or(Value::Null),
        metadata: params.json("metadata"),
        edited: false,
    };
    let reply =
        json!({"channel": channel, "ts": message.ts, "message": message_json(&message, true)});
    state.posts.push(message);
    Ok(reply)
}

fn update_message(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let channel = channel_param(state, params)?;
    let ts = params.text("ts").ok_or("message_not_found")?;
    let (text, blocks) = (params.text("text"), params.json("blocks"));
    state.check_message("chat.update", text.as_deref(), blocks.as_ref())?;
    let message = state
        .posts
        .iter_mut()
        .find(|message| message.channel == channel && message.ts == ts)
        .ok_or("message_not_found")?;
    if let Some(text) = text {
        message.text = text;
    }
    if let Some(blocks) = blocks {
        message.blocks = blocks;
    }
    if let Some(metadata) = params.json("metadata") {
        message.metadata = Some(metadata);
    }
    message.edited = true;
    Ok(json!({
        "channel": channel,
        "ts": ts,
        "text": message.text,
        "message": message_json(message, true),
    }))
}

fn post_ephemeral(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let channel = channel_param(state, params)?;
    let user = params.text("user").ok_or("user_not_found")?;
    let text = params.text("text");
    let blocks = params.json("blocks");
    if text.is_none() && blocks.is_none() {
        return Err("no_text".into());
    }
    state.check_message("chat.postEphemeral", text.as_deref(), blocks.as_ref())?;
    state.ephemerals.push(Ephemeral {
        channel,
        user,
        text: text.unwrap_or_default(),
        blocks: blocks.unwrap_or(Value::Null),
    });
    Ok(json!({"message_ts": state.next_ts()}))
}

fn permalink(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let channel = channel_param(state, params)?;
    let ts = params.text("message_ts").ok_or("message_not_found")?;
    let archive_ts = ts.replace('.', "");
    let permalink = format!("https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{archive_ts}");
    Ok(json!({"channel": channel, "permalink": permalink}))
}

/// Top-level messages (and thread parents), newest first, between `oldest` and `latest`.
/// The IM channel with one user (`users`), as `conversations.open` names it.
fn open_conversation(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    // A JSON body sends `users` as an array; a form, as a comma-separated string.
    let users = match params.json("users") {
        Some(Value::Array(list)) => list.first().and_then(Value::as_str).map(str::to_string),
        _ => params.text("users"),
    };
    let users = users.ok_or("users_list_not_supplied")?;
    let user = users.split(',').next().unwrap_or_default();
    if !(user.starts_with('U') || user.starts_with('W')) {
        return Err("user_not_found".into());
    }
    let channel = state.resolve_channel(user).ok_or("user_not_found")?;
    Ok(json!({"channel": {"id": channel}, "already_open": true}))
}

fn history(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    // Posting accepts a user id for a DM; reading history needs the IM channel's id, as in Slack.
    let asked = params.text("channel").unwrap_or_default();
    if asked.starts_with('U') || asked.starts_with('W') {
        return Err("channel_not_found".into());
    }
    let channel = channel_param(state, params)?;
    let inclusive = params.flag("inclusive");
    let after_oldest = |ts: &str| match params.text("oldest") {
        Some(oldest) => ts > oldest.as_str() || (inclusive && ts == oldest),
        None => true,
    };
    let before_latest = |ts: &str| match params.text("latest") {
        Some(latest) => ts < latest.as_str() || (inclusive && ts == latest),
        None => true,
    };
    let mut messages: Vec<&Message> = state
        .posts
        .iter()
        .filter(|message| message.channel == channel)
        .filter(|message| {
            message
                .thread_ts
                .as_ref()
                .is_none_or(|parent| *parent == message.ts)
        })
        .filter(|message| after_oldest(&message.ts) && before_latest(&message.ts))
        .collect();
    messages.sort_by(|a, b| b.ts.cmp(&a.ts));
    let with_metadata = params.flag("include_all_metadata");
    let page = page(params, messages.len())?;
    let shown: Vec<Value> = messages[page.range.clone()]
        .iter()
        .map(|message| message_json(message, with_metadata))
        .collect();
    Ok(json!({
        "messages": shown,
        "has_more": !page.next_cursor.is_empty(),
        "pin_count": 0,
        "response_metadata": {"next_cursor": page.next_cursor},
    }))
}

/// A thread: its parent, then its replies, oldest first.
fn replies(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let channel = channel_param(state, params)?;
    let ts = params.text("ts").ok_or("thread_not_found")?;
    let thread: Vec<Value> = state
        .posts
        .iter()
        .filter(|message| message.channel == channel)
        .filter(|message| message.ts == ts || message.thread_ts.as_deref() == Some(&ts))
        .map(|message| message_json(message, params.flag("include_all_metadata")))
        .collect();
    if thread.is_empty() {
        return Err("thread_not_found".into());
    }
    Ok(json!({"messages": thread, "has_more": false, "response_metadata": {"next_cursor": ""}}))
}

fn list_channels(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    // Every fake channel is public, so asking only for private ones finds none.
    let types = params
        .text("types")
        .unwrap_or_else(|| "public_channel".into());
    let channels: Vec<&Channel> = if types.split(',').any(|kind| kind == "public_channel") {
        state.channels.iter().collect()
    } else {
        Vec::new()
    };
    let page = page(params, channels.len())?;
    let shown: Vec<Value> = channels[page.range]
        .iter()
        .map(|channel| channel_json(channel))
        .collect();
    Ok(json!({"channels": shown, "response_metadata": {"next_cursor": page.next_cursor}}))
}

fn channel_info(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let id = params.text("channel").ok_or("channel_not_found")?;
    let channel = state
        .channels
        .iter()
        .find(|channel| channel.id == id)
        .ok_or("channel_not_found")?;
    Ok(json!({"channel": channel_json(channel)}))
}

fn join_channel(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let id = channel_param(state, params)?;
    let channel = state
        .channels
        .iter_mut()
        .find(|channel| channel.id == id)
        .ok_or("channel_not_found")?;
    let already_in_channel = channel.is_member;
    channel.is_member = true;
    let mut reply = json!({"channel": channel_json(channel)});
    if already_in_channel {
        reply["warning"] = "already_in_channel".into();
        reply["response_metadata"] = json!({"warnings": ["already_in_channel"]});
    }
    Ok(reply)
}

fn list_usergroups(state: &mut State, params: &Params) -> Value {
    let include_users = params.flag("include_users");
    let groups: Vec<Value> = state
        .usergroups
        .iter()
        .map(|group| usergroup_json(group, include_users))
        .collect();
    json!({"usergroups": groups})
}

fn usergroup_users(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let id = params.text("usergroup").ok_or("no_such_subteam")?;
    let group = state
        .usergroups
        .iter()
        .find(|group| group.id == id)
        .ok_or("no_such_subteam")?;
    Ok(json!({"users": group.users}))
}

fn user_info(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let id = params.text("user").ok_or("user_not_found")?;
    let user = state
        .users
        .iter()
        .find(|user| user.id == id)
        .ok_or("user_not_found")?;
    Ok(json!({"user": user_json(user)}))
}

fn open_view(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    params.text("trigger_id").ok_or("invalid_trigger_id")?;
    let view = params.json("view").ok_or("invalid_arguments")?;
    state.check_view("views.open", &view)?;
    state.views_opened.push(view.clone());
    Ok(json!({"view": stateful_view(state, view)}))
}

fn publish_view(state: &mut State, params: &Params) -> Result<Value, ApiError> {
    let user = params.text("user_id").ok_or("user_not_found")?;
    let view = params.json("view").ok_or("invalid_arguments")?;
    state.check_view("views.publish", &view)?;
    state.views_published.push((user, view.clone()));
    Ok(json!({"view": stateful_view(state, view)}))
}

/// The channel argument resolved to a stored channel id, or `channel_not_found`.
fn channel_param(state: &State, params: &Params) -> Result<String, ApiError> {
    let channel = params.text("channel").ok_or("channel_not_found")?;
    state
        .resolve_channel(&channel)
        .ok_or_else(|| "channel_not_found".into())
}

/// One page of a cursor-paginated list; the cursor is the offset of the next item.
struct Page {
    range: std::ops::Range<usize>,
    next_cursor: String,
}

fn page(params: &Params, total: usize) -> Result<Page, ApiError> {
    let start = match params.text("cursor") {
        Some(cursor) => cursor
            .strip_prefix("offset:")
            .and_then(|offset| offset.parse().ok())
            .ok_or("invalid_cursor")?,
        None => 0,
    };
    let limit = params
        .text("limit")
        .and_then(|limit| limit.parse().ok())
        .filter(|&limit: &usize| limit > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let start = start.min(total);
    let end = (start + limit).min(total);
    let next_cursor = if end < total {
        format!("offset:{end}")
    } else {
        String::new()
    };
    Ok(Page {
        range: start..end,
        next_cursor,
    })
}
