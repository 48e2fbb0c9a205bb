//! The Web API calls only `golive doctor` makes: who the bot token is and which scopes it has,
//! whether the app token opens Socket Mode, channel membership, and whether a user is real.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use slack_morphism::prelude::*;

use super::port::{SlackError, SlackPort};
use super::web::{classify, https_connector, HyperClient, WebApi};
use crate::metrics::Metrics;

/// Who a bot token is, from `auth.test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The bot user's name, e.g. "golive".
    pub user: String,
    pub user_id: String,
    pub team: String,
    /// The scopes granted to the token, from the `x-oauth-scopes` header ("" when absent).
    pub scopes: String,
}

/// What `users.info` says about a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Active,
    Deactivated,
    /// No such user in this workspace.
    Unknown,
}

/// The doctor's Web API client for one bot token.
pub struct Checkup {
    web: WebApi,
    client: Arc<HyperClient>,
    token: SlackApiToken,
    api_url: String,
}

impl Checkup {
    pub fn new(client: Arc<HyperClient>, api_url: &str, bot_token: &str) -> Self {
        Self {
            web: WebApi::new(client.clone(), bot_token, Arc::new(Metrics::new())),
            client,
            token: SlackApiToken::new(bot_token.to_string().into()),
            api_url: api_url.trim_end_matches('/').to_string(),
        }
    }

    /// The same token as the bot's [`SlackPort`], for the lookups the bot itself makes.
    pub fn port(&self) -> &dyn SlackPort {
        &self.web
    }

    /// `auth.test`, sent without slack-morphism because it does not expose response headers.
    pub async fn identity(&self) -> Result<Identity, SlackError> {
        let unknown = |e: &dyn std::error::Error| SlackError::Unknown(with_sources(e));
        let client: Client<_, String> = Client::builder(TokioExecutor::new())
            .build(https_connector().map_err(|e| unknown(&e))?);
        let request = hyper::Request::post(format!("{}/auth.test", self.api_url))
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.token.token_value.0),
            )
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(String::new())
            .map_err(|e| unknown(&e))?;
        let response = client.request(request).await.map_err(|e| unknown(&e))?;
        let status = response.status();
        let header = |name| {
            let value = response.headers().get(name)?;
            value.to_str().ok().map(str::to_string)
        };
        let scopes = header("x-oauth-scopes").unwrap_or_default();
        if status.as_u16() == 429 {
            let after = header(RETRY_AFTER.as_str()).and_then(|v| v.parse().ok());
            return Err(SlackError::RateLimited(Duration::from_secs(
                after.unwrap_or(1),
            )));
        }
        if !status.is_success() {
            let why = format!("HTTP {status}");
            return Err(if status.is_client_error() {
                SlackError::Api(why)
            } else {
                SlackError::Unknown(why)
            });
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unknown(&e))?;
        let reply: AuthTest = serde_json::from_slice(&body.to_bytes()).map_err(|e| unknown(&e))?;
        match reply {
            AuthTest {
                ok: true,
                user_id: Some(user_id),
                user,
                team,
                ..
            } => Ok(Identity {
                user: user.unwrap_or_default(),
                user_id,
                team: team.unwrap_or_default(),
                scopes,
            }),
            AuthTest { error, .. } => Err(SlackError::Api(
                error.unwrap_or_else(|| "invalid_response".to_string()),
            )),
        }
    }

    /// `conversations.info`: whether the bot is in the channel.
    pub async fn is_member(&self, channel_id: &str) -> Result<bool, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiConversationsInfoRequest::new(channel_id.into());
        let info = self
            .web
            .with_retries("conversations.info", true, || {
                session.conversations_info(&request)
            })
            .await?;
        Ok(info.channel.flags.is_member.unwrap_or(false))
    }

    /// `users.info`: whether a user id names an active person of this workspace.
    pub async fn person(&self, user_id: &str) -> Result<Person, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUsersInfoRequest::new(user_id.into());
        let found = self
            .web
            .with_retries("users.info", true, || session.users_info(&request))
            .await;
        match found {
            Ok(info) if info.user.deleted == Some(true) => Ok(Person::Deactivated),
            Ok(_) => Ok(Person::Active),
            Err(SlackError::Api(code)) if code == "user_not_found" => Ok(Person::Unknown),
            Err(error) => Err(error),
        }
    }
}

/// `apps.connections.open` with the app-level token, as Socket Mode starts; the WebSocket URL
/// it returns is not opened.
pub async fn socket_mode_opens(client: &HyperClient, app_token: &str) -> Result<(), SlackError> {
    let token = SlackApiToken::new(app_token.to_string().into());
    let session = client.open_session(&token);
    session
        .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
        .await
        .map(drop)
        .map_err(classify)
}

/// An error and its causes: a transport error's own text says little ("client error").
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The fields of an `auth.test` answer the doctor reads.
#[derive(serde::Deserialize)]
struct AuthTest {
    ok: bool,
    error: Option<String>,
    user_id: Option<String>,
    user: Option<String>,
    team: Option<String>,
}
