//! The narrow Web API surface golive uses, as a trait: the Slack Web API in production, the
//! console in rehearsals, a local Slack-compatible server in tests.

use std::time::Duration;

use async_trait::async_trait;
use slack_morphism::prelude::SlackBlock;

/// A message ready to send: fallback text plus Block Kit blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Plain-text fallback, shown in notifications and by clients without blocks.
    pub text: String,
    pub blocks: Vec<SlackBlock>,
    /// Identifies the post for the exactly-once check after a crash.
    pub tag: Option<PostTag>,
    pub thread_ts: Option<String>,
}

impl Outgoing {
    /// A text-only message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            blocks: Vec::new(),
            tag: None,
            thread_ts: None,
        }
    }
}

impl Outgoing {
    /// Whether [`Outgoing::reduced`] would send something different.
    pub fn can_reduce(&self) -> bool {
        !self.blocks.is_empty() || super::limits::length(&self.text) > super::limits::SECTION_TEXT
    }

    /// The reduced form sent when Slack refuses a message as it is: the fallback text alone,
    /// shortened well within every limit, with the same tag and thread.
    pub fn reduced(&self) -> Self {
        let text = if self.text.trim().is_empty() {
            "(golive had a message here that Slack refused.)".to_string()
        } else {
            super::limits::truncate(&self.text, super::limits::SECTION_TEXT)
        };
        Self {
            text,
            blocks: Vec::new(),
            tag: self.tag.clone(),
            thread_ts: self.thread_ts.clone(),
        }
    }
}

/// Message metadata golive attaches to every scheduled post, so a post whose outcome is unknown
/// can be found in the channel history before it is sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTag {
    pub release_id: String,
    pub key: String,
}

impl PostTag {
    /// The metadata event type golive uses.
    pub const EVENT_TYPE: &'static str = "golive_post";
}

/// Where a message landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
}

/// Why a Slack call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SlackError {
    /// HTTP 429: nothing happened; try again after the given delay.
    #[error("rate limited by Slack (retry after {0:?})")]
    RateLimited(Duration),
    /// Slack answered `ok: false`: the request was refused and nothing happened.
    #[error("Slack refused the call: {0}")]
    Api(String),
    /// A 5xx status or a transport failure: the request may or may not have taken effect.
    #[error("Slack call failed, outcome unknown: {0}")]
    Unknown(String),
}

impl SlackError {
    /// Whether the request may have taken effect in Slack.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }

    /// Whether Slack refused the message itself (its blocks, its length, its arguments), so
    /// that sending it again as it is can never succeed.
    pub fn rejects_message(&self) -> bool {
        self.refusal().is_some()
    }

    /// Slack's code for a refusal of the message itself, from a known, closed set.
    pub fn refusal(&self) -> Option<&'static str> {
        let Self::Api(code) = self else { return None };
        MESSAGE_REFUSALS
            .iter()
            .find(|known| **known == code)
            .copied()
    }

    /// Whether trying again later can succeed (an API refusal such as `channel_not_found` needs a
    /// person to fix something first, but golive keeps retrying slowly rather than dropping work).
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Api(_))
    }
}

/// Slack's answers to a message it will never accept as sent.
const MESSAGE_REFUSALS: &[&str] = &[
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "invalid_arguments",
    "invalid_attachments",
    "too_many_attachments",
    "no_text",
];

/// The Slack Web API as golive uses it.
#[async_trait]
pub trait SlackPort: Send + Sync + 'static {
    /// chat.postMessage. Not retried on an unknown outcome: the caller decides, after looking.
    async fn post(&self, channel: &str, message: &Outgoing) -> Result<Posted, SlackError>;
    /// chat.update.
    async fn update(&self, channel: &str, ts: &str, message: &Outgoing) -> Result<(), SlackError>;
    /// chat.postEphemeral.
    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &Outgoing,
    ) -> Result<(), SlackError>;
    /// views.open: shows a modal (`view` is Block Kit view JSON) in answer to a click.
    async fn open_view(&self, trigger_id: &str, view: &serde_json::Value)
        -> Result<(), SlackError>;
    /// views.publish: `user`'s App Home tab (`view` is a Block Kit home view).
    async fn publish_view(&self, user: &str, view: &serde_json::Value) -> Result<(), SlackError>;
    /// Posts to an interaction's response_url.
    async fn respond(&self, response_url: &str, message: &Outgoing) -> Result<(), SlackError>;
    /// Looks in the channel's recent history for a post carrying `tag`.
    async fn find_post(&self, channel: &str, tag: &PostTag) -> Result<Option<Posted>, SlackError>;
    /// Looks in the thread under `thread_ts` for a reply whose first block carries the block id
    /// [`crate::slack::incident_messages::tag_block_id`] of `tag` (a thread's replies are not in
    /// the channel history). By default, the channel history is searched.
    async fn find_reply(
        &self,
        channel: &str,
        thread_ts: &str,
        tag: &PostTag,
    ) -> Result<Option<Posted>, SlackError> {
        let _ = thread_ts;
        self.find_post(channel, tag).await
    }
    /// conversations.list: the id of the channel called `name` (without '#').
    async fn channel_id(&self, name: &str) -> Result<Option<String>, SlackError>;
    /// usergroups.list: (handle, id) of every user group.
    async fn usergroups(&self) -> Result<Vec<(String, String)>, SlackError>;
    /// usergroups.users.list: the user ids in a user group (by group id). Ports without user
    /// groups (the console) know no members.
    async fn usergroup_members(&self, group_id: &str) -> Result<Vec<String>, SlackError> {
        let _ = group_id;
        Ok(Vec::new())
    }
}
