//! A [`SlackPort`] that never retries a message Slack refused as it is.
//!
//! Rendering keeps messages within Slack's limits, but Slack can still refuse one
//! (`invalid_blocks`, `msg_too_long`, `invalid_arguments`): resending it unchanged would fail
//! forever while the page or the milestone it carries reaches nobody. This wrapper sends the
//! reduced plain-text form instead ([`Outgoing::reduced`]), counts the refusal, and reports it
//! so the release managers can be told; the caller sees the reduced message's outcome.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::port::{Outgoing, PostTag, Posted, SlackError, SlackPort};
use crate::metrics::Metrics;

/// How many refusals may wait to be reported; past that they are still counted and logged.
pub const REPORT_QUEUE: usize = 64;

/// A message Slack refused, for the release managers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The Web API method (`chat.postMessage`).
    pub method: &'static str,
    /// Where it was going: a channel or a user id.
    pub to: String,
    /// Slack's error code.
    pub code: String,
    /// The start of the fallback text, to say which message it was.
    pub preview: String,
}

/// The wrapper; see the module docs.
pub struct Reducing {
    inner: Arc<dyn SlackPort>,
    metrics: Arc<Metrics>,
    reports: mpsc::Sender<Refused>,
}

impl Reducing {
    /// Wraps `inner`; refusals are reported on the returned receiver.
    pub fn new(
        inner: Arc<dyn SlackPort>,
        metrics: Arc<Metrics>,
    ) -> (Self, mpsc::Receiver<Refused>) {
        let (reports, received) = mpsc::channel(REPORT_QUEUE);
        let port = Self {
            inner,
            metrics,
            reports,
        };
        (port, received)
    }

    fn refused(&self, method: &'static str, to: &str, message: &Outgoing, error: &SlackError) {
        let code = error.refusal().unwrap_or("other");
        tracing::warn!(
            method,
            to,
            code,
            "Slack refused a message as it is; sending its plain-text form"
        );
        self.metrics.message_refused(code);
        let report = Refused {
            method,
            to: to.to_string(),
            code: code.to_string(),
            preview: super::limits::truncate(&message.text, 120),
        };
        if self.reports.try_send(report).is_err() {
            tracing::warn!(
                "too many refused messages waiting to be reported; this one is only logged"
            );
        }
    }
}

#[async_trait]
impl SlackPort for Reducing {
    async fn post(&self, channel: &str, message: &Outgoing) -> Result<Posted, SlackError> {
        match self.inner.post(channel, message).await {
            Err(error) if error.rejects_message() && message.can_reduce() => {
                self.refused("chat.postMessage", channel, message, &error);
                self.inner.post(channel, &message.reduced()).await
            }
            outcome => outcome,
        }
    }

    async fn update(&self, channel: &str, ts: &str, message: &Outgoing) -> Result<(), SlackError> {
        match self.inner.update(channel, ts, message).await {
            Err(error) if error.rejects_message() && message.can_reduce() => {
                self.refused("chat.update", channel, message, &error);
                self.inner.update(channel, ts, &message.reduced()).await
            }
            outcome => outcome,
        }
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &Outgoing,
    ) -> Result<(), SlackError> {
        match self.inner.post_ephemeral(channel, user, message).await {
            Err(error) if error.rejects_message() && message.can_reduce() => {
                self.refused("chat.postEphemeral", channel, message, &error);
                let reduced = message.reduced();
                self.inner.post_ephemeral(channel, user, &reduced).await
            }
            outcome => outcome,
        }
    }

    async fn publish_view(&self, user: &str, view: &serde_json::Value) -> Result<(), SlackError> {
        self.inner.publish_view(user, view).await
    }

    async fn open_view(
        &self,
        trigger_id: &str,
        view: &serde_json::Value,
    ) -> Result<(), SlackError> {
        self.inner.open_view(trigger_id, view).await
    }

    async fn respond(&self, response_url: &str, message: &Outgoing) -> Result<(), SlackError> {
        match self.inner.respond(response_url, message).await {
            Err(error) if error.rejects_message() && message.can_reduce() => {
                self.refused("response_url", "response_url", message, &error);
                self.inner.respond(response_url, &message.reduced()).await
            }
            outcome => outcome,
        }
    }

    async fn find_post(&self, channel: &str, tag: &PostTag) -> Result<Option<Posted>, SlackError> {
        self.inner.find_post(channel, tag).await
    }

    async fn find_reply(
        &self,
        channel: &str,
        thread_ts: &str,
        tag: &PostTag,
    ) -> Result<Option<Posted>, SlackError> {
        self.inner.find_reply(channel, thread_ts, tag).await
    }

    async fn channel_id(&self, name: &str) -> Result<Option<String>, SlackError> {
        self.inner.channel_id(name).await
    }

    async fn usergroups(&self) -> Result<Vec<(String, String)>, SlackError> {
        self.inner.usergroups().await
    }

    async fn usergroup_members(&self, group_id: &str) -> Result<Vec<String>, SlackError> {
        self.inner.usergroup_members(group_id).await
    }
}
