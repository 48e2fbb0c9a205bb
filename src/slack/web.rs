//! [`SlackPort`] over the real Web API, through slack-morphism.
//!
//! slack-morphism's own rate control is off by default and its default connector is HTTPS-only;
//! this adapter builds an HTTP-or-HTTPS connector (so `SLACK_API_URL` can point at a local server)
//! and does the retrying itself: 429 waits for Retry-After, 5xx and transport errors back off.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::port::{Outgoing, PostTag, Posted, SlackError, SlackPort};
use crate::metrics::Metrics;

/// How many pages of 200 messages to search for a post whose outcome is unknown.
const HISTORY_PAGES: usize = 5;

/// The slack-morphism client type golive uses.
pub type HyperClient = SlackClient<SlackClientHyperHttpsConnector>;

/// How hard to retry a Slack call before giving the failure to the caller.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one attempt may go unanswered; then its outcome is unknown.
    pub call_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            call_timeout: crate::config::DEFAULT_SLACK_TIMEOUT,
        }
    }
}

/// The Web API client.
pub struct WebApi {
    client: Arc<HyperClient>,
    token: SlackApiToken,
    retry: RetryPolicy,
    metrics: Arc<Metrics>,
}

/// Builds a slack-morphism client for `api_url` (e.g. `https://slack.com/api`).
pub fn hyper_client(api_url: &str) -> std::io::Result<HyperClient> {
    let connector = SlackClientHyperConnector::from(https_connector()?).with_slack_api_url(api_url);
    Ok(SlackClient::new(connector))
}

/// An HTTPS connector that also speaks plain HTTP, for a local `SLACK_API_URL`.
pub(crate) fn https_connector() -> std::io::Result<HttpsConnector<HttpConnector>> {
    // Both ring and aws-lc-rs are linked through dependencies; rustls needs the choice made.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build())
}

impl WebApi {
    /// A client posting with `bot_token`.
    pub fn new(client: Arc<HyperClient>, bot_token: &str, metrics: Arc<Metrics>) -> Self {
        Self {
            client,
            token: SlackApiToken::new(bot_token.to_string().into()),
            retry: RetryPolicy::default(),
            metrics,
        }
    }

    /// Overrides the retry policy (tests shorten it).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Where a post's history can be read. A DM is posted to a user id, but its history is the
    /// IM channel's, which `conversations.open` names (opening it if need be).
    async fn history_channel(&self, channel: &str) -> Result<String, SlackError> {
        if !(channel.starts_with('U') || channel.starts_with('W')) {
            return Ok(channel.to_string());
        }
        let session = self.client.open_session(&self.token);
        let request =
            SlackApiConversationsOpenRequest::new().with_users(vec![SlackUserId(channel.into())]);
        let opened = self
            .with_retries("conversations.open", true, || {
                session.conversations_open(&request)
            })
            .await?;
        Ok(opened.channel.id.to_string())
    }

    /// Runs `call`, retrying what can be retried. With `retry_unknown` false an unknown outcome
    /// is returned at once: re-sending a post blindly could post it twice.
    pub(super) async fn with_retries<T, F, Fut>(
        &self,
        method: &str,
        retry_unknown: bool,
        call: F,
    ) -> Result<T, SlackError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = ClientResult<T>>,
    {
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        loop {
            let error = match tokio::time::timeout(self.retry.call_timeout, call()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) => classify(e),
                // The request may have reached Slack: as unknown as a dropped connection.
                Err(_) => {
                    SlackError::Unknown(format!("no answer within {:?}", self.retry.call_timeout))
                }
            };
            let wait = match &error {
                SlackError::RateLimited(after) => *after,
                SlackError::Unknown(_) if retry_unknown => backoff,
                _ => return Err(error),
            };
            if attempt >= self.retry.max_attempts {
                return Err(error);
            }
            self.metrics.slack_retry(method);
            tracing::warn!(method, attempt, ?wait, %error, "retrying Slack call");
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(self.retry.max_backoff);
            attempt += 1;
        }
    }
}

pub(super) fn classify(error: SlackClientError) -> SlackError {
    match error {
        SlackClientError::RateLimitError(e) => {
            SlackError::RateLimited(e.retry_after.unwrap_or(Duration::from_secs(1)))
        }
        SlackClientError::ApiError(e) => SlackError::Api(e.code),
        SlackClientError::HttpError(e) if e.status_code.is_client_error() => {
            SlackError::Api(format!("HTTP {}", e.status_code))
        }
        other => SlackError::Unknown(other.to_string()),
    }
}

/// The slack-morphism message content for an outgoing message.
pub fn content(message: &Outgoing) -> SlackMessageContent {
    let mut content = SlackMessageContent::new().with_text(message.text.clone());
    if !message.blocks.is_empty() {
        content = content.with_blocks(message.blocks.clone());
    }
    if let Some(tag) = &message.tag {
        let payload = [
            ("release".to_string(), tag.release_id.clone()),
            ("key".to_string(), tag.key.clone()),
        ];
        content = content.with_metadata(SlackMessageMetadata {
            event_type: PostTag::EVENT_TYPE.to_string(),
            event_payload: Some(payload.into_iter().collect()),
        });
    }
    content
}

/// The cursor of the next page, if Slack says there is one (it sends "" on the last page).
fn next_cursor(metadata: Option<SlackResponseMetadata>) -> Option<SlackCursorId> {
    metadata
        .and_then(|m| m.next_cursor)
        .filter(|c| !c.to_string().is_empty())
}

fn carries(message: &SlackHistoryMessage, tag: &PostTag) -> bool {
    let Some(meta) = &message.content.metadata else {
        return false;
    };
    let payload = meta.event_payload.as_ref();
    meta.event_type == PostTag::EVENT_TYPE
        && payload.and_then(|p| p.get("release")) == Some(&tag.release_id)
        && payload.and_then(|p| p.get("key")) == Some(&tag.key)
}

#[async_trait]
impl SlackPort for WebApi {
    async fn post(&self, channel: &str, message: &Outgoing) -> Result<Posted, SlackError> {
        let mut request = SlackApiChatPostMessageRequest::new(channel.into(), content(message));
        request.thread_ts = message.thread_ts.clone().map(Into::into);
        let session = self.client.open_session(&self.token);
        let response = self
            .with_retries("chat.postMessage", false, || {
                session.chat_post_message(&request)
            })
            .await?;
        self.metrics.post_sent();
        Ok(Posted {
            channel: response.channel.to_string(),
            ts: response.ts.to_string(),
        })
    }

    async fn update(&self, channel: &str, ts: &str, message: &Outgoing) -> Result<(), SlackError> {
        let request =
            SlackApiChatUpdateRequest::new(channel.into(), content(message), ts.to_string().into());
        let session = self.client.open_session(&self.token);
        self.with_retries("chat.update", true, || session.chat_update(&request))
            .await
            .map(drop)
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &Outgoing,
    ) -> Result<(), SlackError> {
        let mut request = SlackApiChatPostEphemeralRequest::new(
            channel.into(),
            user.to_string().into(),
            content(message),
        );
        request.thread_ts = message.thread_ts.clone().map(Into::into);
        let session = self.client.open_session(&self.token);
        self.with_retries("chat.postEphemeral", true, || {
            session.chat_post_ephemeral(&request)
        })
        .await
        .map(drop)
    }

    async fn open_view(
        &self,
        trigger_id: &str,
        view: &serde_json::Value,
    ) -> Result<(), SlackError> {
        let view: SlackView = serde_json::from_value(view.clone())
            .map_err(|e| SlackError::Api(format!("bad view: {e}")))?;
        let request = SlackApiViewsOpenRequest::new(trigger_id.to_string().into(), view);
        let session = self.client.open_session(&self.token);
        // Not retried on an unknown outcome: a trigger id is single-use and expires in 3 s.
        self.with_retries("views.open", false, || session.views_open(&request))
            .await
            .map(drop)
    }

    async fn publish_view(&self, user: &str, view: &serde_json::Value) -> Result<(), SlackError> {
        let view: SlackView = serde_json::from_value(view.clone())
            .map_err(|e| SlackError::Api(format!("bad view: {e}")))?;
        let request = SlackApiViewsPublishRequest::new(user.to_string().into(), view);
        let session = self.client.open_session(&self.token);
        // Publishing again is harmless: the latest view wins.
        self.with_retries("views.publish", true, || session.views_publish(&request))
            .await
            .map(drop)
    }

    async fn respond(&self, response_url: &str, message: &Outgoing) -> Result<(), SlackError> {
        let url: url::Url = response_url
            .parse()
            .map_err(|e| SlackError::Api(format!("bad response_url: {e}")))?;
        let request = SlackApiPostWebhookMessageRequest::new(content(message));
        let url = SlackResponseUrl::new(url);
        self.with_retries("response_url", true, || {
            self.client.respond_to_event(&url, &request)
        })
        .await
        .map(drop)
    }

    async fn find_post(&self, channel: &str, tag: &PostTag) -> Result<Option<Posted>, SlackError> {
        // Slack's ts is real time while the job's times may be on a rehearsal clock, so search
        // the newest messages rather than a time window; golive posts a few dozen a day at most.
        let channel = &self.history_channel(channel).await?;
        let session = self.client.open_session(&self.token);
        let mut cursor: Option<SlackCursorId> = None;
        for _page in 0..HISTORY_PAGES {
            let mut request = SlackApiConversationsHistoryRequest::new()
                .with_channel(channel.into())
                .with_include_all_metadata(true)
                .with_limit(200);
            request.cursor = cursor.clone();
            let page = self
                .with_retries("conversations.history", true, || {
                    session.conversations_history(&request)
                })
                .await?;
            if let Some(found) = page.messages.iter().find(|m| carries(m, tag)) {
                return Ok(Some(Posted {
                    channel: channel.to_string(),
                    ts: found.origin.ts.to_string(),
                }));
            }
            cursor = next_cursor(page.response_metadata);
            if cursor.is_none() {
                break;
            }
        }
        Ok(None)
    }

    async fn find_reply(
        &self,
        channel: &str,
        thread_ts: &str,
        tag: &PostTag,
    ) -> Result<Option<Posted>, SlackError> {
        let session = self.client.open_session(&self.token);
        let wanted = crate::slack::incident_messages::tag_block_id(&tag.key);
        let mut cursor: Option<SlackCursorId> = None;
        for _page in 0..HISTORY_PAGES {
            let mut request = SlackApiConversationsRepliesRequest::new(
                channel.into(),
                thread_ts.to_string().into(),
            )
            .with_limit(200);
            request.cursor = cursor.clone();
            let page = self
                .with_retries("conversations.replies", true, || {
                    session.conversations_replies(&request)
                })
                .await?;
            let found = page.messages.iter().find(|m| {
                m.content.blocks.iter().flatten().any(|block| {
                    serde_json::to_value(block)
                        .ok()
                        .and_then(|b| b.get("block_id").cloned())
                        .is_some_and(|id| id == wanted.as_str())
                })
            });
            if let Some(found) = found {
                return Ok(Some(Posted {
                    channel: channel.to_string(),
                    ts: found.origin.ts.to_string(),
                }));
            }
            cursor = next_cursor(page.response_metadata);
            if cursor.is_none() {
                break;
            }
        }
        Ok(None)
    }

    async fn channel_id(&self, name: &str) -> Result<Option<String>, SlackError> {
        let session = self.client.open_session(&self.token);
        let mut cursor: Option<SlackCursorId> = None;
        loop {
            let mut request = SlackApiConversationsListRequest::new()
                .with_types(vec![
                    SlackConversationType::Public,
                    SlackConversationType::Private,
                ])
                .with_exclude_archived(true)
                .with_limit(1000);
            request.cursor = cursor.clone();
            let page = self
                .with_retries("conversations.list", true, || {
                    session.conversations_list(&request)
                })
                .await?;
            if let Some(found) = page
                .channels
                .iter()
                .find(|c| c.name.as_deref() == Some(name))
            {
                return Ok(Some(found.id.to_string()));
            }
            cursor = next_cursor(page.response_metadata);
            if cursor.is_none() {
                return Ok(None);
            }
        }
    }

    async fn usergroups(&self) -> Result<Vec<(String, String)>, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUserGroupsListRequest::new();
        let groups = self
            .with_retries("usergroups.list", true, || {
                session.usergroups_list(&request)
            })
            .await?;
        Ok(groups
            .usergroups
            .into_iter()
            .map(|g| (g.handle, g.id.to_string()))
            .collect())
    }

    async fn usergroup_members(&self, group_id: &str) -> Result<Vec<String>, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUserGroupsUsersListRequest::new(group_id.to_string().into());
        let members = self
            .with_retries("usergroups.users.list", true, || {
                session.usergroups_users_list(&request)
            })
            .await?;
        Ok(members.users.into_iter().map(|u| u.to_string()).collect())
    }
}
