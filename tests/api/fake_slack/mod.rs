//! A local stand-in for Slack that golive's integration tests talk to.
//!
//! `FakeSlack` serves the Web API under `/api/<method>`, records what the bot posts to
//! `response_url`s under `/response/<id>`, and runs a Socket Mode WebSocket server. It answers
//! with the shapes slack-morphism 2.31 parses (see `slack-platform.md` §6 and §10), so a test
//! can point the real client at it, drive the bot, and read what a person would see in Slack.
//! It owns no golive code: it only knows Slack's side of the wire.
// Shared by every test module; each test uses only some of the verbs.
#![allow(dead_code)]

pub mod limits;
mod methods;
mod payloads;
mod shapes;
mod signing;
mod socket_mode;
mod state;
mod web_api;

pub use payloads::{
    block_actions_payload, event_callback, slash_command_form, slash_command_payload,
    url_verification, view_submission_payload,
};
pub use signing::sign;

use std::sync::Arc;
use std::time::Duration;

use state::{Channel, Shared, User, Usergroup};

/// Ids of the one workspace, app and bot user the fake knows.
pub const TEAM_ID: &str = "T0GOLIVE";
pub const TEAM_DOMAIN: &str = "golive-test";
pub const APP_ID: &str = "A0GOLIVE";
pub const BOT_USER_ID: &str = "U0BOT";
pub const BOT_ID: &str = "B0BOT";

/// A message as it appears in a channel, after any `chat.update`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub text: String,
    /// The blocks as posted (`Null` when the post had none).
    pub blocks: serde_json::Value,
    pub metadata: Option<serde_json::Value>,
    pub edited: bool,
}

/// A `chat.postEphemeral` call: only `user` saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ephemeral {
    pub channel: String,
    pub user: String,
    pub text: String,
    pub blocks: serde_json::Value,
}

/// How the next call of one Web API method fails; see [`FakeSlack::fail_next`].
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`; nothing is stored.
    RateLimited { retry_after_secs: u64 },
    /// This HTTP status with a non-JSON body; nothing is stored.
    ServerError(u16),
    /// The call takes effect (the message is stored) but the connection breaks before the
    /// response body arrives, so the client cannot know whether it worked.
    DropAfterStore,
    /// HTTP 200 `{"ok":false,"error":<this>}`, e.g. `channel_not_found`; nothing is stored.
    ApiError(String),
}

/// A running fake Slack; dropping the test's runtime stops it.
#[derive(Clone)]
pub struct FakeSlack {
    shared: Arc<Shared>,
}

impl FakeSlack {
    /// Binds the Web API and the Socket Mode server on `127.0.0.1:0` and starts serving.
    pub async fn start() -> FakeSlack {
        let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Slack Web API");
        let socket_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Slack Socket Mode server");
        let base_url = format!("http://{}", api_listener.local_addr().unwrap());
        let socket_url = format!("ws://{}/socket", socket_listener.local_addr().unwrap());
        let shared = Arc::new(Shared::new(base_url, socket_url));

        let router = web_api::router(shared.clone());
        tokio::spawn(async move { axum::serve(api_listener, router).await });
        tokio::spawn(socket_mode::accept_loop(socket_listener, shared.clone()));
        FakeSlack { shared }
    }

    /// What golive gets as its Slack API URL: `http://127.0.0.1:PORT/api`, no trailing slash.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.shared.base_url)
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// A `response_url` whose POSTs show up in [`FakeSlack::responses`].
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.shared.base_url)
    }

    /// Adds a public channel the bot is not yet a member of, e.g. `("C0LAUNCH", "v4-launch")`.
    pub fn add_channel(&self, id: &str, name: &str) {
        let mut state = self.shared.lock();
        state.channels.push(Channel {
            id: id.to_string(),
            name: name.to_string(),
            is_member: false,
        });
    }

    /// Adds a user group, e.g. `("S0SRE", "sre", &["U1"])`.
    pub fn add_usergroup(&self, id: &str, handle: &str, users: &[&str]) {
        let mut state = self.shared.lock();
        state.usergroups.push(Usergroup {
            id: id.to_string(),
            handle: handle.to_string(),
            users: users.iter().map(|user| user.to_string()).collect(),
        });
    }

    /// Adds a person with an IANA time zone such as `"Europe/Berlin"`.
    pub fn add_user(&self, id: &str, name: &str, tz: &str) {
        let mut state = self.shared.lock();
        state.users.push(User {
            id: id.to_string(),
            name: name.to_string(),
            tz: tz.to_string(),
            deleted: false,
        });
    }

    /// Deactivates a person added with [`FakeSlack::add_user`], as a workspace admin would.
    pub fn deactivate_user(&self, id: &str) {
        let mut state = self.shared.lock();
        for user in state.users.iter_mut().filter(|user| user.id == id) {
            user.deleted = true;
        }
    }

    /// The scopes the installed app's tokens have, as every Web API answer's `x-oauth-scopes`
    /// header lists them (none until set).
    pub fn grant_scopes(&self, scopes: &[&str]) {
        self.shared.lock().scopes = scopes.iter().map(|scope| scope.to_string()).collect();
    }

    /// Makes the bot a member of a channel added with [`FakeSlack::add_channel`].
    pub fn join(&self, channel: &str) {
        let mut state = self.shared.lock();
        for known in state
            .channels
            .iter_mut()
            .filter(|known| known.id == channel)
        {
            known.is_member = true;
        }
    }

    /// Top-level and thread messages in `channel` (an id, `#name` or a user id for a DM),
    /// oldest first, with edits applied.
    pub fn messages(&self, channel: &str) -> Vec<Message> {
        let state = self.shared.lock();
        let Some(channel) = state.resolve_channel(channel) else {
            return Vec::new();
        };
        let mut messages: Vec<Message> = state
            .posts
            .iter()
            .filter(|message| message.channel == channel)
            .cloned()
            .collect();
        messages.sort_by(|a, b| a.ts.cmp(&b.ts));
        messages
    }

    /// Every `chat.postMessage` that was stored, in arrival order (edits applied).
    pub fn all_posts(&self) -> Vec<Message> {
        self.shared.lock().posts.clone()
    }

    pub fn ephemerals(&self) -> Vec<Ephemeral> {
        self.shared.lock().ephemerals.clone()
    }

    /// JSON bodies POSTed to any [`FakeSlack::response_url`], in arrival order.
    pub fn responses(&self) -> Vec<serde_json::Value> {
        let state = self.shared.lock();
        state
            .responses
            .iter()
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// JSON bodies POSTed to `response_url(id)`.
    pub fn responses_to(&self, id: &str) -> Vec<serde_json::Value> {
        let state = self.shared.lock();
        let to_id = state.responses.iter().filter(|(to, _)| to == id);
        to_id.map(|(_, body)| body.clone()).collect()
    }

    /// The `view` argument of each `views.open`, as the bot sent it.
    pub fn views_opened(&self) -> Vec<serde_json::Value> {
        self.shared.lock().views_opened.clone()
    }

    /// `(user_id, view)` of each `views.publish` (App Home).
    pub fn views_published(&self) -> Vec<(String, serde_json::Value)> {
        self.shared.lock().views_published.clone()
    }

    /// Every message and view refused for breaking Block Kit limits, as `(method, why)`.
    pub fn refused(&self) -> Vec<(String, String)> {
        let state = self.shared.lock();
        let refused = state.refused.iter();
        refused
            .map(|(method, r)| (method.clone(), format!("{}: {}", r.code, r.why)))
            .collect()
    }

    /// How many requests reached `method` (e.g. `"chat.postMessage"`), failed ones included.
    pub fn calls(&self, method: &str) -> usize {
        self.shared.lock().calls.get(method).copied().unwrap_or(0)
    }

    /// Waits until at least `n` messages were posted or `timeout` passes; returns all posts.
    pub async fn wait_for_posts(&self, n: usize, timeout: Duration) -> Vec<Message> {
        let enough = |state: &state::State| (state.posts.len() >= n).then_some(());
        self.shared.wait_until(timeout, enough).await;
        self.all_posts()
    }

    /// Waits until `method` was called at least `n` times or `timeout` passes; returns the count.
    pub async fn wait_for_calls(&self, method: &str, n: usize, timeout: Duration) -> usize {
        let enough = |state: &state::State| {
            let calls = state.calls.get(method).copied().unwrap_or(0);
            (calls >= n).then_some(())
        };
        self.shared.wait_until(timeout, enough).await;
        self.calls(method)
    }

    /// Makes the next call of `method` fail; several faults for one method apply in order.
    pub fn fail_next(&self, method: &str, fault: Fault) {
        let mut state = self.shared.lock();
        state
            .faults
            .entry(method.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Makes the next `chat.postMessage` to `channel` (as named in the call: a channel or user
    /// id) fail; several faults apply in order.
    pub fn fail_next_to(&self, channel: &str, fault: Fault) {
        let mut state = self.shared.lock();
        state
            .faults_to
            .entry(channel.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Makes every `chat.postMessage` to `channel` (an id, as golive sends it) answer only after
    /// `by`, as a slow or busy Slack would; the message is stored when the answer goes.
    pub fn slow_down(&self, channel: &str, by: Duration) {
        self.shared
            .lock()
            .slow_channels
            .insert(channel.to_string(), by);
    }

    /// Makes every `chat.postMessage` to `channel` take effect at once but answer only when
    /// the returned gate is sent `true`: the message is in Slack while its sender still waits
    /// to hear so.
    pub fn hold_answers(&self, channel: &str) -> tokio::sync::watch::Sender<bool> {
        let (gate, held) = tokio::sync::watch::channel(false);
        self.shared
            .lock()
            .held_answers
            .insert(channel.to_string(), held);
        gate
    }

    /// Whether a Socket Mode client is connected (its `hello` was sent) within `timeout`.
    pub async fn socket_connected(&self, timeout: Duration) -> bool {
        let connected = |state: &state::State| (!state.sockets.is_empty()).then_some(());
        self.shared.wait_until(timeout, connected).await.is_some()
    }

    /// How many Socket Mode connections are open now.
    pub fn socket_connections(&self) -> usize {
        self.shared.lock().sockets.len()
    }

    /// Sends an envelope of `kind` (`slash_commands`, `interactive`, `events_api`) to one
    /// connected client and returns its ack frame, e.g. `{"envelope_id":…,"payload":{…}}`,
    /// or `Value::Null` when no ack arrives within 5 s. Panics when no client connects in 5 s.
    pub async fn send_envelope(
        &self,
        kind: &str,
        payload: serde_json::Value,
        accepts_response_payload: bool,
    ) -> serde_json::Value {
        socket_mode::send_envelope(self, kind, payload, accepts_response_payload).await
    }

    /// Asks every connected client to reconnect (`refresh_requested`), as Slack does when it
    /// recycles its socket URLs.
    pub fn disconnect(&self) {
        socket_mode::disconnect_all(&self.shared, "refresh_requested");
    }
}
