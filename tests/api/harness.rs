//! `spawn_app()`: golive in process on port 0 with a fresh store, a fake Slack and a manual
//! clock, plus verbs tests read like sentences with.
//!
//! The store is a temporary SQLite file, or with `GOLIVE_TEST_STORE=postgres` a fresh database on
//! the PostgreSQL server the test binary shares (`scripts/test` runs this suite both ways).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use golive::clock::{ManualClock, SharedClock};
use golive::config::{Config, RolloutConfig, Secret, SlackConfig};
use golive::startup::Application;
use golive::state::AppState;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fake_slack::{self, FakeSlack};
use crate::servers::postgres::Postgres;

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const BOT_TOKEN: &str = "xoxb-test-token";
pub const APP_TOKEN: &str = "xapp-test-token";
/// `GOLIVE_PUBLIC_URL`: the address in the links golive hands out.
pub const PUBLIC_URL: &str = "https://golive.example";
/// `GOLIVE_BOARD_TOKEN`: opens the read-only views.
pub const BOARD_TOKEN: &str = "board-test-token";
/// The launch channel as the fake workspace knows it.
pub const CHANNEL: &str = "C0LAUNCH";
/// A release manager (from GOLIVE_RELEASE_MANAGERS).
pub const RM: &str = "U0RELMGR";
/// Someone without a role.
pub const MEMBER: &str = "U0MEMBER";
/// The SRE user group's id.
pub const SRE_GROUP: &str = "S0SRE";

/// How a test wants its app.
#[derive(Clone)]
pub struct Options {
    pub launch_date: Option<NaiveDate>,
    pub clock_start: DateTime<Utc>,
    pub socket_mode: bool,
    /// Plan files; none runs the embedded plan.
    pub plans: Vec<std::path::PathBuf>,
    /// More channels in the fake workspace (id, name), besides the launch channel.
    pub channels: Vec<(&'static str, &'static str)>,
    /// The flag server and Prometheus (none by default: steps are recorded only).
    pub rollout: RolloutConfig,
    /// The replica's name and lease time.
    pub replica: golive::config::ReplicaConfig,
    /// How long one Slack call may go unanswered.
    pub slack_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            launch_date: None,
            clock_start: "2026-03-09T12:00:00Z".parse().unwrap(),
            socket_mode: false,
            plans: Vec::new(),
            channels: Vec::new(),
            rollout: RolloutConfig::default(),
            replica: golive::config::ReplicaConfig::default(),
            slack_timeout: golive::config::DEFAULT_SLACK_TIMEOUT,
        }
    }
}

/// The store the apps of this test run use, from `GOLIVE_TEST_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStore {
    /// A SQLite file in the app's temporary folder: the default (unset or empty).
    Sqlite,
    /// A database of the app's own on the shared test PostgreSQL.
    Postgres,
}

impl TestStore {
    /// `GOLIVE_TEST_STORE`: `sqlite` (or unset) or `postgres`; anything else fails the test.
    pub fn from_env() -> TestStore {
        let value = std::env::var_os("GOLIVE_TEST_STORE").unwrap_or_default();
        match value.to_str() {
            Some("" | "sqlite") => TestStore::Sqlite,
            Some("postgres") => TestStore::Postgres,
            _ => panic!(
                "GOLIVE_TEST_STORE={value:?} names no store: use `sqlite` (the default) or `postgres`"
            ),
        }
    }
}

/// Where a new app keeps its store: a fresh SQLite file in `dir`, or a fresh database on the
/// shared test PostgreSQL (which starts then, or fails the test saying how to install it).
fn fresh_database_url(dir: &std::path::Path) -> String {
    match TestStore::from_env() {
        TestStore::Sqlite => format!("sqlite://{}", dir.join("golive.db").display()),
        TestStore::Postgres => Postgres::shared().fresh_database("app"),
    }
}

/// A running golive with its fake Slack and clock.
pub struct TestApp {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub fake: FakeSlack,
    pub address: String,
    /// The store's URL: a restart opens the same one.
    pub database_url: String,
    _dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    http: reqwest::Client,
}

/// A fake workspace with the launch channel and an `sre` user group.
pub async fn fake_workspace() -> FakeSlack {
    let fake = FakeSlack::start().await;
    fake.add_channel(CHANNEL, "v4-launch");
    fake.add_usergroup(SRE_GROUP, "sre", &["U0SRE1"]);
    fake
}

/// golive against a fresh fake workspace and database.
pub async fn spawn_app(options: Options) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let fake = fake_workspace().await;
    for (id, name) in &options.channels {
        fake.add_channel(id, name);
    }
    let clock = ManualClock::new(options.clock_start);
    let database_url = fresh_database_url(dir.path());
    let app = start(options, dir, database_url, fake, clock, 0).await;
    app.until_it_holds_its_launches().await;
    app
}

/// golive on a fresh database of the shared test PostgreSQL, whatever `GOLIVE_TEST_STORE` says:
/// for what only a shared store does (replicas).
pub async fn spawn_app_on_postgres(options: Options) -> TestApp {
    spawn_app_on(options, Postgres::shared().fresh_database("replicas")).await
}

/// golive on the store at `database_url`.
pub async fn spawn_app_on(options: Options, database_url: String) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let fake = fake_workspace().await;
    let clock = ManualClock::new(options.clock_start);
    let app = start(options, dir, database_url, fake, clock, 0).await;
    app.until_it_holds_its_launches().await;
    app
}

/// Starts golive; `port` 0 takes any free one.
async fn start(
    options: Options,
    dir: Arc<tempfile::TempDir>,
    database_url: String,
    fake: FakeSlack,
    clock: Arc<ManualClock>,
    port: u16,
) -> TestApp {
    let config = Config {
        listen: ([127, 0, 0, 1], port).into(),
        plans: options.plans.clone(),
        database_url: database_url.clone(),
        launch_date: options.launch_date,
        launch_date_for_all: false,
        clock_start: None,
        clock_speed: 1.0,
        release_managers: vec![RM.to_string()],
        slack: SlackConfig {
            bot_token: Some(Secret::new(BOT_TOKEN)),
            signing_secret: Some(Secret::new(SIGNING_SECRET)),
            app_token: options.socket_mode.then(|| Secret::new(APP_TOKEN)),
            api_url: fake.api_url(),
            call_timeout: options.slack_timeout,
        },
        board_token: Some(Secret::new(BOARD_TOKEN)),
        public_url: Some(PUBLIC_URL.to_string()),
        rollout: options.rollout.clone(),
        replica: options.replica.clone(),
    };
    let shared: SharedClock = clock.clone();
    let app = Application::build(config, shared, None)
        .await
        .expect("golive starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("golive runs");
    });
    let test_app = TestApp {
        state,
        clock,
        fake,
        address,
        database_url,
        _dir: dir,
        stop: Some(stop),
        task: Some(task),
        http: reqwest::Client::new(),
    };
    test_app.wait_until_ready().await;
    test_app
}

/// Fails the test when a command's answer is a message real Slack would refuse.
pub fn assert_within_slack_limits(reply: &Reply) {
    let Ok(answer) = serde_json::from_str::<Value>(&reply.body) else {
        return;
    };
    let text = answer["text"].as_str().unwrap_or_default();
    if let Err(refusal) = fake_slack::limits::check_message(text, &answer["blocks"]) {
        panic!(
            "Slack would refuse this answer ({refusal:?}): {}",
            reply.body
        );
    }
}

/// A signed request's outcome.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// The body as JSON (commands answer with a message).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The fallback text of a message reply.
    pub fn text(&self) -> String {
        self.json()["text"].as_str().unwrap_or_default().to_string()
    }
}

impl TestApp {
    /// Stops golive gracefully and starts it again on the same database, fake Slack, clock and
    /// address (an open page reconnects to it).
    pub async fn restart(mut self, options: Options) -> TestApp {
        self.shutdown().await;
        let dir = self._dir.clone();
        let port = self.port();
        let (database_url, fake) = (self.database_url.clone(), self.fake.clone());
        let app = start(options, dir, database_url, fake, self.clock.clone(), port).await;
        app.until_it_holds_its_launches().await;
        app
    }

    /// Another replica on this app's store, fake Slack and clock, on a port of its own;
    /// `options.replica` names it.
    pub async fn replica(&self, options: Options) -> TestApp {
        let (database_url, fake) = (self.database_url.clone(), self.fake.clone());
        start(
            options,
            self._dir.clone(),
            database_url,
            fake,
            self.clock.clone(),
            0,
        )
        .await
    }

    /// golive's HTTP port.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// Stops golive and waits for it to finish.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Waits until the scheduler has looked up the channel (its first act).
    async fn wait_until_ready(&self) {
        for _ in 0..500 {
            if self.state.release.slack_ids().channel.is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("golive never resolved the launch channel");
    }

    /// Waits until golive holds every launch it runs. On SQLite it does from the start; on
    /// PostgreSQL its heartbeat takes them just after start, and until then a scheduler pass
    /// runs nothing of theirs.
    async fn until_it_holds_its_launches(&self) {
        for _ in 0..1000 {
            let launches = self.state.launches.ids();
            if self.state.leases.held_of(launches.clone()).len() == launches.len() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("golive never took its launches");
    }

    /// Moves the clock and runs whatever fell due.
    pub async fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
        self.run_due_jobs().await;
    }

    /// Sets the clock and runs whatever fell due.
    pub async fn advance_to(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.run_due_jobs().await;
    }

    /// Scheduler passes, as the loop would make them, and the work they handed over, until
    /// nothing is due now (work handed over may queue more, such as a change's notes).
    pub async fn run_due_jobs(&self) {
        for _ in 0..10 {
            let next = golive::scheduler::run_due(&self.state)
                .await
                .expect("scheduler pass");
            self.state.scheduler.apart.settled().await;
            let now = self.state.clock.now();
            if next.is_none_or(|at| at > now) && !self.due_now().await {
                return;
            }
        }
    }

    /// Whether a job of a running launch is due now and not in hand.
    async fn due_now(&self) -> bool {
        let mut conn = self.state.db.acquire().await.unwrap();
        let running = self.state.leases.held_of(self.state.launches.ids());
        let now = self.state.clock.now();
        let claim = self.state.leases.claim();
        golive::storage::jobs::any_due(&mut conn, &running, now, claim)
            .await
            .unwrap()
    }

    /// Posts a signed form body, the way Slack does.
    pub async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        timestamp: i64,
    ) -> Reply {
        let signature = fake_slack::sign(SIGNING_SECRET, timestamp, body);
        self.post(path, content_type, body, Some((timestamp, signature)))
            .await
    }

    /// Posts with arbitrary (or no) signature headers.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        signed: Option<(i64, String)>,
    ) -> Reply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some((timestamp, signature)) = signed {
            request = request
                .header("x-slack-request-timestamp", timestamp.to_string())
                .header("x-slack-signature", signature);
        }
        let response = request.send().await.expect("golive answers");
        Reply {
            status: response.status().as_u16(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// Gives `voter` every voting role of the plan, then opens the vote, both in `channel` and
    /// as the release manager.
    pub async fn open_vote_held_by(&self, channel: &str, voter: &str) {
        for role in self.state.release.plan().gonogo.voters.clone() {
            let text = format!("role {} <@{voter}>", role.key());
            let reply = self.command_in(channel, RM, &text).await.text();
            assert!(reply.contains("is now held by"), "{reply}");
        }
        let opened = self.command_in(channel, RM, "gonogo open").await.text();
        assert!(opened.contains("Go/no-go vote opened"), "{opened}");
    }

    /// `/golive <text>` from `user` in the launch channel, over signed HTTP.
    pub async fn command(&self, user: &str, text: &str) -> Reply {
        self.command_in(CHANNEL, user, text).await
    }

    /// `/golive <text>` from `user` in `channel`, over signed HTTP.
    pub async fn command_in(&self, channel: &str, user: &str, text: &str) -> Reply {
        let form =
            fake_slack::slash_command_form(user, channel, text, &self.fake.response_url("cmd"));
        let reply = self
            .post_signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                &form,
                Utc::now().timestamp(),
            )
            .await;
        assert_within_slack_limits(&reply);
        reply
    }

    /// A GET on golive's own HTTP server with a cookie.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Reply {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .header("cookie", cookie)
            .send()
            .await
            .expect("golive answers");
        Reply {
            status: response.status().as_u16(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// A GET on golive's own HTTP server.
    pub async fn get(&self, path: &str) -> Reply {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("golive answers");
        Reply {
            status: response.status().as_u16(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// The launch channel's top-level post texts, in order.
    pub fn channel_texts(&self) -> Vec<String> {
        self.fake
            .messages(CHANNEL)
            .into_iter()
            .map(|m| m.text)
            .collect()
    }
}

pub use crate::plan_files::plan_file;

/// The instant of a wall time in Los Angeles on a date.
pub fn pacific(date: &str, time: &str) -> DateTime<Utc> {
    use chrono::TimeZone;
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::America::Los_Angeles
        .from_local_datetime(&naive)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// A date from text.
pub fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Distinct `action_ts` values, so separate clicks are not mistaken for Slack's redeliveries.
static NEXT_ACTION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl TestApp {
    /// A click by `user` on a button of a posted message, as Slack would send it: returns the
    /// payload (to deliver again) and golive's answer.
    pub async fn click(
        &self,
        user: &str,
        message: &fake_slack::Message,
        block_id: &str,
        action_id: &str,
        value: &str,
    ) -> (Value, Reply) {
        let mut payload = fake_slack::block_actions_payload(
            user,
            message,
            block_id,
            action_id,
            value,
            &self.fake.response_url("click"),
        );
        let n = NEXT_ACTION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        payload["actions"][0]["action_ts"] = format!("1700000100.{n:06}").into();
        let reply = self.interact(&payload).await;
        (payload, reply)
    }

    /// Delivers an interaction payload (a click or a modal submission) over signed HTTP.
    pub async fn interact(&self, payload: &Value) -> Reply {
        let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            &form,
            Utc::now().timestamp(),
        )
        .await
    }

    /// `user` submits a modal golive opened with a text input's value.
    pub async fn submit(
        &self,
        user: &str,
        view: &Value,
        block_id: &str,
        action_id: &str,
        text: &str,
    ) -> Reply {
        let values = serde_json::json!({
            block_id: { action_id: { "type": "plain_text_input", "value": text } }
        });
        let payload = fake_slack::view_submission_payload(user, view, values);
        self.interact(&payload).await
    }

    /// The launch channel's message with this ts, as it reads now.
    pub fn message(&self, ts: &str) -> fake_slack::Message {
        self.fake
            .messages(CHANNEL)
            .into_iter()
            .find(|m| m.ts == ts)
            .unwrap_or_else(|| panic!("no message {ts}"))
    }

    /// Waits until the bot has settled (every acknowledged click, event and refresh done, every
    /// message handed over sent), then expects the message with this ts to satisfy `check`.
    pub async fn wait_for_message(
        &self,
        ts: &str,
        check: impl Fn(&fake_slack::Message) -> bool,
    ) -> fake_slack::Message {
        self.settled().await;
        let message = self.message(ts);
        assert!(
            check(&message),
            "message {ts} is not in the expected state once golive settled: {}",
            message.text
        );
        message
    }

    /// Waits until the bot has settled; returns the texts of `user`'s ephemeral messages, which
    /// must be at least `n`.
    pub async fn wait_for_ephemerals(&self, user: &str, n: usize) -> Vec<String> {
        self.settled().await;
        let mine = self
            .fake
            .ephemerals()
            .into_iter()
            .filter(|e| e.user == user);
        let texts: Vec<String> = mine.map(|e| e.text).collect();
        assert!(
            texts.len() >= n,
            "expected {n} ephemeral answers for {user}: {texts:#?}"
        );
        texts
    }

    /// Resolves once golive has nothing left in flight: the work after acknowledgements and the
    /// messages handed over by the scheduler. Tests wait for this, never for a fixed time.
    pub async fn settled(&self) {
        self.state.background.settled().await;
        self.state.scheduler.apart.settled().await;
        // A refresh may have been requested by a message sent apart; let it finish too.
        self.state.background.settled().await;
    }

    /// The release's audit log.
    pub async fn audit(&self) -> Vec<golive::storage::audit::AuditEntry> {
        let mut conn = self.state.db.acquire().await.unwrap();
        golive::storage::audit::list(&mut conn, &self.state.release.id)
            .await
            .unwrap()
    }
}

/// The value of the button `action_id` on a posted message.
pub fn action_value(message: &fake_slack::Message, action_id: &str) -> String {
    let blocks = message.blocks.as_array().cloned().unwrap_or_default();
    let buttons = blocks.iter().flat_map(|block| {
        let elements = block["elements"].as_array().cloned().unwrap_or_default();
        elements.into_iter().chain([block["accessory"].clone()])
    });
    buttons
        .into_iter()
        .find(|button| button["action_id"] == action_id)
        .and_then(|button| button["value"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no {action_id} button in {}", message.text))
}
