//! The escalation ladder under load, in process, on the system clock with a recording Slack port.
//!
//!     cargo bench --bench escalation
//!
//! Measured: (1) the process CPU time of an idle golive with 10,000 open incidents waiting on
//! escalation timers, over 5 s from 1 s after they were stored (from /proc/self/stat; 0 means
//! under one 10 ms tick); (2) page
//! latency at normal speed among 10,000 other waiting incidents: 100 waits falling due 2 to 3 s
//! after start, each page's post time minus its due time, p50/p99/max, and apart from them the
//! first page after start; (3) a restart with 1,000 overdue escalation steps: time from start
//! until every step is decided and its pages are queued, then until every page is sent, and that
//! each page went out once. Run without `--bench` (as `cargo test --benches` does) it runs
//! smaller sizes as a smoke test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use golive::clock::{SharedClock, SystemClock};
use golive::config::Config;
use golive::domain::incident::{Incident, IncidentId, Severity};
use golive::domain::job::{JobPayload, MessageTo};
use golive::domain::plan::Role;
use golive::slack::port::{Outgoing, PostTag, Posted, SlackError, SlackPort};
use golive::startup::Application;
use golive::state::AppState;
use golive::storage::incidents::{self, message_key};
use golive::storage::jobs;
use tokio::sync::oneshot;

/// Records every post with the real time it arrived.
#[derive(Default)]
struct Recorder {
    posts: Mutex<Vec<(String, String, DateTime<Utc>)>>,
}

#[async_trait]
impl SlackPort for Recorder {
    async fn post(&self, channel: &str, message: &Outgoing) -> Result<Posted, SlackError> {
        let key = message
            .tag
            .as_ref()
            .map(|t| t.key.clone())
            .unwrap_or_default();
        let mut posts = self.posts.lock().unwrap();
        posts.push((key, channel.to_string(), Utc::now()));
        Ok(Posted {
            channel: channel.to_string(),
            ts: format!("{}.{:06}", Utc::now().timestamp(), posts.len()),
        })
    }
    async fn update(&self, _: &str, _: &str, _: &Outgoing) -> Result<(), SlackError> {
        Ok(())
    }
    async fn post_ephemeral(&self, _: &str, _: &str, _: &Outgoing) -> Result<(), SlackError> {
        Ok(())
    }
    async fn publish_view(&self, _: &str, _: &serde_json::Value) -> Result<(), SlackError> {
        Ok(())
    }

    async fn open_view(&self, _: &str, _: &serde_json::Value) -> Result<(), SlackError> {
        Ok(())
    }
    async fn respond(&self, _: &str, _: &Outgoing) -> Result<(), SlackError> {
        Ok(())
    }
    async fn find_post(&self, _: &str, _: &PostTag) -> Result<Option<Posted>, SlackError> {
        Ok(None)
    }
    async fn channel_id(&self, _: &str) -> Result<Option<String>, SlackError> {
        Ok(Some("C0LAUNCH".into()))
    }
    async fn usergroups(&self) -> Result<Vec<(String, String)>, SlackError> {
        Ok(Vec::new())
    }
}

struct Bot {
    state: AppState,
    recorder: Arc<Recorder>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn build(dir: &std::path::Path, recorder: Arc<Recorder>) -> Application {
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        database_url: format!("sqlite://{}", dir.join("golive.db").display()),
        release_managers: vec!["U0RELMGR".into()],
        ..Config::default()
    };
    let clock: SharedClock = Arc::new(SystemClock);
    let app = Application::build(config, clock, Some(recorder))
        .await
        .expect("golive builds");
    app.state().release.update(|s| {
        s.roles.insert(Role::OnCall, vec!["U0ONCALL".into()]);
        s.roles.insert(Role::EngineeringLead, vec!["U0LEAD".into()]);
    });
    app
}

fn run(app: Application, recorder: Arc<Recorder>) -> Bot {
    let state = app.state();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("golive runs");
    });
    Bot {
        state,
        recorder,
        stop,
        task,
    }
}

/// Stores `n` open P1 incidents at L1 whose 15-minute wait ends at `due(i)`, with their incident
/// posts already sent. Returns the due time per escalation job key.
async fn seed(
    state: &AppState,
    n: usize,
    due: impl Fn(usize) -> DateTime<Utc>,
) -> HashMap<i64, DateTime<Utc>> {
    let release = &state.release;
    let mut tx = state.db.begin().await.unwrap();
    let mut dues = HashMap::new();
    for i in 0..n {
        let at = due(i);
        let since = at - TimeDelta::minutes(15);
        let incident = Incident::open(
            IncidentId(0),
            Severity::P1,
            "load",
            "U0REPORTER",
            &release.plan().escalation,
            since,
        );
        let id = incidents::insert(&mut tx, &release.id, &incident)
            .await
            .unwrap();
        incidents::next_message(&mut tx, &release.id, id)
            .await
            .unwrap();
        let root = message_key(id, 0);
        let post = JobPayload::IncidentMessage {
            incident: id.0,
            to: MessageTo::Channel,
            text: "load".into(),
            blocks: serde_json::json!([]),
        };
        jobs::schedule(&mut tx, &release.id, &root, since, &post)
            .await
            .unwrap();
        let posted = jobs::get(&mut tx, &release.id, &root)
            .await
            .unwrap()
            .unwrap();
        jobs::complete(&mut tx, &posted, Some("C0LAUNCH"), Some("1.0"), since)
            .await
            .unwrap();
        let key = format!("incident:{id}:l2");
        let payload = JobPayload::Escalation { incident: id.0 };
        jobs::schedule(&mut tx, &release.id, &key, at, &payload)
            .await
            .unwrap();
        dues.insert(id.0, at);
    }
    tx.commit().await.unwrap();
    state.scheduler.wake();
    dues
}

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the ")" that ends field 2.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn pending_escalations(state: &AppState) -> i64 {
    let sql = "SELECT COUNT(*) FROM jobs WHERE kind = 'escalation' AND state IN ('pending', 'sending') AND due_at <= $1";
    let mut conn = state.db.acquire().await.unwrap();
    let (n,): (i64,) = golive::on!(&mut conn, |c| sqlx::query_as(sql)
        .bind(Utc::now().timestamp_millis())
        .fetch_one(c)
        .await)
    .unwrap();
    n
}

async fn idle_cpu(waiting: usize, window: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let app = build(dir.path(), recorder.clone()).await;
    let bot = run(app, recorder);
    let now = Utc::now();
    seed(&bot.state, waiting, |i| {
        now + TimeDelta::hours(1) + TimeDelta::seconds(i as i64)
    })
    .await;
    // The store settles first: a checkpoint copies what was just written within the second.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let before = cpu_time();
    tokio::time::sleep(window).await;
    let used = cpu_time() - before;
    println!(
        "idle with {waiting} incidents waiting: {} ms CPU over {} s ({} posts)",
        used.as_millis(),
        window.as_secs(),
        bot.recorder.posts.lock().unwrap().len()
    );
    let _ = bot.stop.send(());
    let _ = bot.task.await;
}

async fn page_latency(waits: usize, waiting: usize) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let app = build(dir.path(), recorder.clone()).await;
    // Stored before golive starts, as after a restart: the other open incidents, waiting an hour
    // and more, and the measured ones.
    let now = Utc::now();
    seed(&app.state(), waiting, |i| {
        now + TimeDelta::hours(1) + TimeDelta::seconds(i as i64)
    })
    .await;
    let start = Utc::now();
    let span = 1_000 / waits.max(1) as i64;
    // The first wait falls due alone, a second before the others: the first page after a start
    // pays one-time costs (code paged in, statements prepared) and is reported on its own.
    let dues = seed(&app.state(), waits + 1, |i| match i {
        0 => start + TimeDelta::milliseconds(1_000),
        i => start + TimeDelta::milliseconds(2_000 + span * (i as i64 - 1)),
    })
    .await;
    let bot = run(app, recorder.clone());
    let first = dues.keys().min().copied().unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(4_000)).await;
    let posts = recorder.posts.lock().unwrap().clone();
    for (what, dm) in [("DM pages", true), ("thread mentions", false)] {
        let mut late: Vec<f64> = Vec::new();
        let mut cold = f64::NAN;
        for (key, _, at) in posts.iter().filter(|p| (p.1 == "U0LEAD") == dm) {
            let number = key
                .strip_prefix("incident:INC-")
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse::<i64>().ok());
            if let Some((n, due)) = number.and_then(|n| Some((n, dues.get(&n)?))) {
                let ms = (*at - *due).num_microseconds().unwrap_or(0) as f64 / 1_000.0;
                if n == first {
                    cold = ms;
                } else {
                    late.push(ms);
                }
            }
        }
        late.sort_by(|a, b| a.total_cmp(b));
        println!(
            "page latency, {waits} waits at normal speed among {waiting} waiting, {} {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (first after start: {cold:.1} ms)",
            late.len(),
            percentile(&late, 0.5),
            percentile(&late, 0.99),
            late.last().copied().unwrap_or(f64::NAN)
        );
    }
    let _ = bot.stop.send(());
    let _ = bot.task.await;
}

async fn restart_overdue(overdue: usize) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let app = build(dir.path(), recorder.clone()).await;
    let now = Utc::now();
    seed(&app.state(), overdue, |i| {
        now - TimeDelta::minutes(5) + TimeDelta::milliseconds(i as i64)
    })
    .await;
    let started = Instant::now();
    let bot = run(app, recorder.clone());
    while pending_escalations(&bot.state).await > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let decided = started.elapsed();
    // Each escalation queues two messages: the DM page, and the thread note saying why and who.
    let expected = overdue * 2;
    while recorder.posts.lock().unwrap().len() < expected
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = started.elapsed();
    let posts = recorder.posts.lock().unwrap().clone();
    let mut keys: Vec<&String> = posts.iter().map(|(k, _, _)| k).collect();
    keys.sort();
    keys.dedup();
    println!(
        "restart with {overdue} overdue steps: all decided and queued in {} ms, {} pages sent in {} ms, {} distinct (each once: {})",
        decided.as_millis(),
        posts.len(),
        sent.as_millis(),
        keys.len(),
        keys.len() == posts.len() && posts.len() == expected
    );
    let _ = bot.stop.send(());
    let _ = bot.task.await;
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    if full {
        idle_cpu(10_000, Duration::from_secs(5)).await;
        page_latency(100, 10_000).await;
        restart_overdue(1_000).await;
    } else {
        idle_cpu(100, Duration::from_millis(200)).await;
        page_latency(10, 100).await;
        restart_overdue(20).await;
    }
}
