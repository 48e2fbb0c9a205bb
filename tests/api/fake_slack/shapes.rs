//! How Slack renders what the fake stores: messages, channels, user groups, users and
//! views as JSON, with every field slack-morphism 2.31 requires when it parses them.

use chrono::{Offset, TimeZone, Utc};
use serde_json::{json, Value};

use super::state::{Channel, State, User, Usergroup};
use super::{Message, APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID};

/// When every fake channel, group and view was "created" (unix seconds).
const CREATED: i64 = 1_690_000_000;

/// A message the way Slack returns it for a bot post.
pub(super) fn message_json(message: &Message, with_metadata: bool) -> Value {
    let mut json = json!({
        "type": "message",
        "ts": message.ts,
        "text": message.text,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
    });
    if !message.blocks.is_null() {
        json["blocks"] = message.blocks.clone();
    }
    if let Some(thread_ts) = &message.thread_ts {
        json["thread_ts"] = thread_ts.clone().into();
    }
    if let (true, Some(metadata)) = (with_metadata, &message.metadata) {
        json["metadata"] = metadata.clone();
    }
    if message.edited {
        json["edited"] = json!({"user": BOT_USER_ID, "ts": message.ts});
    }
    json
}

pub(super) fn channel_json(channel: &Channel) -> Value {
    json!({
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": CREATED,
        "creator": "U0ADMIN",
        "is_channel": true,
        "is_group": false,
        "is_im": false,
        "is_mpim": false,
        "is_private": false,
        "is_archived": false,
        "is_general": false,
        "is_shared": false,
        "is_org_shared": false,
        "is_member": channel.is_member,
        "num_members": 3,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    })
}

/// Every field slack-morphism's `SlackUserGroup` requires is present, `users` only on request.
pub(super) fn usergroup_json(group: &Usergroup, include_users: bool) -> Value {
    let mut json = json!({
        "id": group.id,
        "team_id": TEAM_ID,
        "is_usergroup": true,
        "is_subteam": true,
        "name": group.handle,
        "description": "",
        "handle": group.handle,
        "is_external": false,
        "auto_provision": false,
        "date_create": CREATED,
        "date_update": CREATED,
        "date_delete": 0,
        "auto_type": null,
        "created_by": "U0ADMIN",
        "updated_by": "U0ADMIN",
        "deleted_by": null,
        "prefs": {"channels": [], "groups": []},
        "user_count": group.users.len(),
        "channel_count": 0,
    });
    if include_users {
        json["users"] = json!(group.users);
    }
    json
}

pub(super) fn user_json(user: &User) -> Value {
    let tz: chrono_tz::Tz = user.tz.parse().unwrap_or(chrono_tz::UTC);
    let offset_seconds = tz
        .offset_from_utc_datetime(&Utc::now().naive_utc())
        .fix()
        .local_minus_utc();
    json!({
        "id": user.id,
        "team_id": TEAM_ID,
        "name": user.name,
        "real_name": user.name,
        "deleted": user.deleted,
        "is_bot": false,
        "is_admin": false,
        "tz": user.tz,
        "tz_label": user.tz,
        "tz_offset": offset_seconds,
        "profile": {"real_name": user.name, "display_name": user.name},
    })
}

/// The view as Slack stores it: the bot's view plus id, hash, state and app fields.
pub(super) fn stateful_view(state: &mut State, mut view: Value) -> Value {
    let id = state.next_id("V");
    let hash = format!("{CREATED}.{}", state.next_id("h"));
    let stored = json!({
        "id": id,
        "team_id": TEAM_ID,
        "state": {"values": {}},
        "hash": hash,
        "previous_view_id": null,
        "root_view_id": id,
        "app_id": APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    });
    for (key, value) in stored.as_object().into_iter().flatten() {
        view[key] = value.clone();
    }
    for key in ["private_metadata", "callback_id", "external_id"] {
        if view.get(key).is_none() {
            view[key] = "".into();
        }
    }
    view
}
