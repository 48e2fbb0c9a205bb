//! The fake workspace's memory: channels, people, posts and the open sockets.
//! Handlers lock it briefly and never across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, Notify};

use super::limits::{self, Refusal};
use super::{Ephemeral, Fault, Message};

/// The first message ts; later ones count up from here so every ts is unique and ordered.
const FIRST_TS_SECONDS: u64 = 1_700_000_000;

pub(super) struct Shared {
    state: Mutex<State>,
    /// Woken on every change a test may wait for (a post, a socket coming or going).
    changed: Notify,
    pub base_url: String,
    pub socket_url: String,
}

#[derive(Default)]
pub(super) struct State {
    pub channels: Vec<Channel>,
    pub usergroups: Vec<Usergroup>,
    pub users: Vec<User>,
    /// What the `x-oauth-scopes` header of every Web API answer lists.
    pub scopes: Vec<String>,
    pub posts: Vec<Message>,
    pub ephemerals: Vec<Ephemeral>,
    pub responses: Vec<(String, Value)>,
    pub views_opened: Vec<Value>,
    pub views_published: Vec<(String, Value)>,
    pub calls: HashMap<String, usize>,
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// Faults for the next `chat.postMessage` to a channel, by the channel named in the call.
    pub faults_to: HashMap<String, VecDeque<Fault>>,
    /// `chat.postMessage` to these channels waits this long before it takes effect.
    pub slow_channels: HashMap<String, Duration>,
    /// Channels whose posts are stored at once but answered only once the gate opens.
    pub held_answers: HashMap<String, tokio::sync::watch::Receiver<bool>>,
    /// Messages and views refused for breaking Block Kit limits: (method, refusal).
    pub refused: Vec<(String, Refusal)>,
    pub sockets: Vec<Socket>,
    pub pending_acks: HashMap<String, oneshot::Sender<Value>>,
    next_ts: u64,
    next_id: u64,
    next_socket: usize,
}

pub(super) struct Channel {
    pub id: String,
    pub name: String,
    pub is_member: bool,
}

pub(super) struct Usergroup {
    pub id: String,
    pub handle: String,
    pub users: Vec<String>,
}

pub(super) struct User {
    pub id: String,
    pub name: String,
    pub tz: String,
    /// Deactivated: `users.info` still answers, with `deleted: true`.
    pub deleted: bool,
}

/// One open Socket Mode connection; frames sent here go out on its WebSocket.
pub(super) struct Socket {
    pub id: u64,
    pub outgoing: mpsc::UnboundedSender<String>,
}

impl State {
    /// Refuses a message over Slack's limits, as Slack does, and remembers the refusal.
    pub fn check_message(
        &mut self,
        method: &str,
        text: Option<&str>,
        blocks: Option<&Value>,
    ) -> Result<(), String> {
        let checked =
            limits::check_message(text.unwrap_or_default(), blocks.unwrap_or(&Value::Null));
        self.refuse_if(method, checked)
    }

    /// Refuses a view over Slack's limits.
    pub fn check_view(&mut self, method: &str, view: &Value) -> Result<(), String> {
        let checked = limits::check_view(view);
        self.refuse_if(method, checked)
    }

    fn refuse_if(&mut self, method: &str, checked: Result<(), Refusal>) -> Result<(), String> {
        checked.map_err(|refusal| {
            let code = refusal.code.to_string();
            self.refused.push((method.to_string(), refusal));
            code
        })
    }
}

impl Shared {
    pub fn new(base_url: String, socket_url: String) -> Shared {
        Shared {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            base_url,
            socket_url,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes everyone in [`Shared::wait_until`] to check their condition again.
    pub fn notify_changed(&self) {
        self.changed.notify_waiters();
    }

    /// Waits until `check` returns `Some`, re-checking after each change, up to `timeout`.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Register before checking so a change between the check and the await is not lost.
            notified.as_mut().enable();
            if let Some(found) = check(&self.lock()) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

impl State {
    /// Maps a channel argument to the channel id messages are stored under: a known id,
    /// `#name` or `name`, a DM id (`D…`), or a user id, which Slack turns into a DM.
    pub fn resolve_channel(&self, channel: &str) -> Option<String> {
        let name = channel.strip_prefix('#').unwrap_or(channel);
        if let Some(known) = self
            .channels
            .iter()
            .find(|known| known.id == channel || known.name == name)
        {
            return Some(known.id.clone());
        }
        if channel.starts_with('D') {
            return Some(channel.to_string());
        }
        if channel.starts_with('U') || channel.starts_with('W') {
            return Some(format!("D{channel}"));
        }
        None
    }

    /// A fresh message ts like `1700000000.000100`; strictly increasing.
    pub fn next_ts(&mut self) -> String {
        self.next_ts += 1;
        let micros = self.next_ts * 100;
        let seconds = FIRST_TS_SECONDS + micros / 1_000_000;
        format!("{seconds}.{:06}", micros % 1_000_000)
    }

    /// A fresh number, unique within this fake.
    pub fn next_number(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh id with `prefix`, e.g. `V0000000001`.
    pub fn next_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{:010}", self.next_number())
    }

    /// Hands `frame` to one open socket, taking turns like Slack spreads load and skipping
    /// sockets that closed since; false when none took it.
    pub fn send_to_next_socket(&mut self, frame: &str) -> bool {
        for _ in 0..self.sockets.len() {
            self.next_socket = (self.next_socket + 1) % self.sockets.len();
            if self.sockets[self.next_socket]
                .outgoing
                .send(frame.to_string())
                .is_ok()
            {
                return true;
            }
        }
        false
    }

    /// Counts a call of `method` and takes the fault queued for it, if any.
    pub fn begin_call(&mut self, method: &str, channel: Option<&str>) -> Option<Fault> {
        *self.calls.entry(method.to_string()).or_default() += 1;
        let to = channel.and_then(|channel| self.faults_to.get_mut(channel)?.pop_front());
        to.or_else(|| self.faults.get_mut(method)?.pop_front())
    }
}
