//! The rollout on real servers: the golive release binary as a child process, a fake Slack in
//! this process, a real Unleash (7.5.1, on its own PostgreSQL) and a real Prometheus scraping an
//! exporter with healthy traffic (the servers of `tests/api/servers`, installed by
//! `scripts/install-test-servers`).
//!
//!     cargo bench --bench rollout
//!
//! Measured:
//! (i) Apply latency: a launch whose plan has 60 steps, 1% to 60% a minute apart (L 00:01 to
//!     L 01:00, no launch-day milestone at those times), on a clock running 120 times real time.
//!     As each step's post arrives in the fake Slack, the release manager's Apply is sent as
//!     Slack sends it (a signed block_actions POST to `/slack/interactivity`); the time runs from
//!     just before that POST until Unleash's admin API reads the new percentage (polled every
//!     2 ms). golive checks the pause, reads both guards from Prometheus, reads the flag, sets it
//!     and reads it back in between. p50, p99 and max over the 60, and the acknowledgement time.
//! (ii) The guard loop: 10 launches at once, each with the plan's two guards and one `auto`
//!     step (10% at L 00:01, held a day), on a clock running 600 times real time, so each guard
//!     is read every virtual minute (every 100 ms). golive's process CPU time (user + system,
//!     from /proc) over a window, per 1,000 guard readings; readings are Prometheus's own count
//!     of the instant queries it answered (only golive queries it during the window).
//! (iii) Idle: the same 10 launches on a real-time clock the day before L-Day, no step due and
//!     no hold running: golive's CPU over a window.
//!
//! Run without `--bench` (as `cargo test --benches` does) it runs smaller sizes as a smoke test.

// The tests' fake Slack; the bench uses a few of its verbs.
#[allow(unused_imports)]
#[path = "../tests/api/fake_slack/mod.rs"]
mod fake_slack;
#[path = "../tests/api/servers/mod.rs"]
mod servers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fake_slack::{FakeSlack, Message};
use serde_json::{json, Value};
use servers::exporter::Exporter;
use servers::prometheus::Prometheus;
use servers::unleash::Unleash;

const SIGNING_SECRET: &str = "golive-rollout-bench-signing-secret";
const BOT_TOKEN: &str = "xoxb-rollout-bench";
const RELEASE_MANAGER: &str = "U0BENCHRM";
const L_DAY: &str = "2026-03-10";
/// Healthy traffic's latency, inside a histogram bucket (on a bucket's bound the 0.99 quantile
/// flips between the bound and 10 s from one evaluation to the next).
const LATENCY: f64 = 0.045;

/// How big a run is.
#[derive(Clone, Copy)]
struct Sizes {
    applies: u8,
    apply_speed: f64,
    launches: usize,
    guard_speed: f64,
    guard_window: Duration,
    idle_window: Duration,
}

const FULL: Sizes = Sizes {
    applies: 60,
    apply_speed: 120.0,
    launches: 10,
    guard_speed: 600.0,
    guard_window: Duration::from_secs(20),
    idle_window: Duration::from_secs(10),
};

const SMOKE: Sizes = Sizes {
    applies: 3,
    apply_speed: 120.0,
    launches: 2,
    guard_speed: 600.0,
    guard_window: Duration::from_secs(2),
    idle_window: Duration::from_secs(1),
};

/// The `golive` executable Cargo built for this bench.
fn binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_golive") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/golive"),
    }
}

/// A wall time on L-Day (or another day) in Los Angeles.
fn pacific(date: &str, time: &str) -> DateTime<Utc> {
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S")
            .expect("a date and time");
    chrono_tz::America::Los_Angeles
        .from_local_datetime(&naive)
        .earliest()
        .expect("a Los Angeles time")
        .with_timezone(&Utc)
}

/// One launch's plan: the shipped plan as release `version` in `#channel`, on L-Day, rolling out
/// `flag` with the plan's guards and `steps` (TOML `[[feature_flags]]` tables) instead of its own.
fn plan_source(version: &str, channel: &str, flag: &str, steps: &str) -> String {
    let shipped = golive::domain::plan::EMBEDDED_SOURCE;
    let mut source = String::new();
    let mut skipping = false;
    for line in shipped.lines() {
        if line == "[[feature_flags]]" {
            skipping = true;
        }
        if skipping {
            skipping = !line.trim().is_empty();
            continue;
        }
        source.push_str(line);
        source.push('\n');
    }
    let replaced = [
        ("version = \"4.0.0\"", format!("version = \"{version}\"")),
        (
            "channel = \"#v4-launch\"",
            format!("channel = \"#{channel}\""),
        ),
        (
            "launch_date = \"TBD\"",
            format!("launch_date = \"{L_DAY}\""),
        ),
        ("flag = \"summit-v4\"", format!("flag = \"{flag}\"")),
    ];
    for (from, to) in replaced {
        assert!(source.contains(from), "the shipped plan has `{from}`");
        source = source.replacen(from, &to, 1);
    }
    source.push('\n');
    source.push_str(steps);
    source
}

/// The guards' queries of the shipped plan.
fn guard_queries() -> Vec<String> {
    let plan = golive::domain::plan::Plan::parse(golive::domain::plan::EMBEDDED_SOURCE)
        .expect("the shipped plan parses");
    plan.rollout
        .expect("the shipped plan has a rollout")
        .guards
        .into_iter()
        .map(|g| g.query)
        .collect()
}

/// An admin API call on the bench's Unleash.
async fn admin(
    http: &reqwest::Client,
    unleash: &Unleash,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http
        .request(method, unleash.admin_url(path))
        .header("Authorization", unleash.admin_token());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("unleash answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn create_flag(http: &reqwest::Client, unleash: &Unleash, flag: &str) {
    let (status, body) = admin(
        http,
        unleash,
        reqwest::Method::POST,
        "/projects/default/features",
        Some(json!({"name": flag, "type": "release"})),
    )
    .await;
    assert_eq!(status, 201, "create {flag}: {body}");
}

/// golive's strategy's percentage in production while the environment is on.
async fn unleash_percent(http: &reqwest::Client, unleash: &Unleash, flag: &str) -> Option<u8> {
    let (status, feature) = admin(
        http,
        unleash,
        reqwest::Method::GET,
        &format!("/projects/default/features/{flag}"),
        None,
    )
    .await;
    if status != 200 {
        return None;
    }
    let production = feature["environments"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == "production")?;
    if production["enabled"] != true {
        return None;
    }
    production["strategies"]
        .as_array()?
        .iter()
        .find(|s| s["title"] == "golive gradual rollout")?["parameters"]["rollout"]
        .as_str()?
        .parse()
        .ok()
}

/// A running `golive serve`, killed (by its pid) when dropped.
struct Golive {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Golive {
    fn spawn(
        plans: &[PathBuf],
        slack: &FakeSlack,
        unleash: &Unleash,
        prometheus: &Prometheus,
        clock_start: DateTime<Utc>,
        speed: f64,
    ) -> Golive {
        let dir = tempfile::Builder::new()
            .prefix("golive-rollout-bench-")
            .tempdir()
            .expect("a temporary folder");
        let port = servers::free_port();
        let addr = format!("127.0.0.1:{port}");
        let log = |name: &str| std::fs::File::create(dir.path().join(name)).expect("a log file");
        let mut command = Command::new(binary());
        command
            .args(["serve", "--listen", &addr])
            .arg("--database")
            .arg(format!(
                "sqlite://{}",
                dir.path().join("golive.db").display()
            ))
            .args(
                plans
                    .iter()
                    .flat_map(|p| [std::ffi::OsStr::new("--plan"), p.as_os_str()]),
            )
            .arg("--clock-start")
            .arg(clock_start.to_rfc3339())
            .arg("--clock-speed")
            .arg(speed.to_string())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("SLACK_API_URL", slack.api_url())
            .env("GOLIVE_RELEASE_MANAGERS", RELEASE_MANAGER)
            .env("GOLIVE_UNLEASH_URL", unleash.url())
            .env("GOLIVE_UNLEASH_TOKEN", unleash.admin_token())
            .env("GOLIVE_PROMETHEUS_URL", prometheus.url())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        Golive { child, addr, dir }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = format!("http://{}/healthz", self.addr);
            if let Ok(answer) = http.get(&url).send().await {
                if answer.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("golive exited at start ({status}):\n{}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "golive not ready within 30 s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// User + system CPU time of the golive process so far.
    fn cpu(&self) -> Duration {
        process_cpu(self.pid())
    }

    /// A signed block_actions POST, as Slack sends a click; returns the HTTP status.
    async fn click(&self, http: &reqwest::Client, payload: &Value) -> u16 {
        let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let timestamp = Utc::now().timestamp();
        let signature = fake_slack::sign(SIGNING_SECRET, timestamp, &form);
        http.post(format!("http://{}/slack/interactivity", self.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(form)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

impl Drop for Golive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU time of process `pid`, from /proc/<pid>/stat.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15, counted after the ")" that ends field 2.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn clock_ticks_per_second() -> f64 {
    100.0
}

/// How many instant queries Prometheus has answered, from its own `/metrics`.
async fn prometheus_queries(http: &reqwest::Client, prometheus: &Prometheus) -> f64 {
    let text = http
        .get(format!("{}/metrics", prometheus.url()))
        .send()
        .await
        .expect("prometheus answers")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.starts_with("prometheus_http_requests_total{")
                && l.contains("handler=\"/api/v1/query\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The top-level post in `channel` carrying the step of `percent`, once it is there.
async fn step_post(slack: &FakeSlack, channel: &str, percent: u8, golive: &Golive) -> Message {
    let marker = format!("Rollout step {percent}%:");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(post) = slack
            .messages(channel)
            .into_iter()
            .find(|m| m.thread_ts.is_none() && m.text.contains(&marker))
        {
            return post;
        }
        assert!(
            Instant::now() < deadline,
            "no {percent}% post within 60 s:\n{}",
            golive.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn apply_value(post: &Message) -> String {
    post.blocks
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["block_id"] == "rollout.actions"))
        .and_then(|b| b["elements"].as_array())
        .and_then(|e| e.iter().find(|e| e["action_id"] == "rollout.apply"))
        .and_then(|e| e["value"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("the post offers Apply: {}", post.text))
}

/// Waits until Prometheus has data for every guard.
async fn wait_for_guard_data(prometheus: &Prometheus) {
    for query in guard_queries() {
        prometheus
            .wait_for(
                &query,
                |v| v.is_finite() && v < 0.5,
                Duration::from_secs(60),
            )
            .await;
    }
}

/// (i): Apply click → Unleash reads the new percentage.
async fn apply_latency(
    sizes: Sizes,
    http: &reqwest::Client,
    unleash: &Unleash,
    prometheus: &Prometheus,
    dir: &Path,
) {
    let slack = FakeSlack::start().await;
    slack.add_channel("C0BENCHAPPLY", "bench-apply");
    let flag = format!("bench-apply-{:08x}", rand::random::<u32>());
    create_flag(http, unleash, &flag).await;
    let steps: String = (1..=sizes.applies)
        .map(|p| {
            let minutes = u32::from(p);
            format!(
                "[[feature_flags]]\npercent = {p}\nat = \"L {:02}:{:02}\"\n\n",
                minutes / 60,
                minutes % 60
            )
        })
        .collect();
    let plan = dir.join("apply.toml");
    std::fs::write(&plan, plan_source("4.0.100", "bench-apply", &flag, &steps)).unwrap();
    let mut golive = Golive::spawn(
        &[plan],
        &slack,
        unleash,
        prometheus,
        pacific(L_DAY, "00:00:30"),
        sizes.apply_speed,
    );
    golive.wait_ready(http).await;

    let mut took = Vec::new();
    let mut acks = Vec::new();
    for percent in 1..=sizes.applies {
        let post = step_post(&slack, "C0BENCHAPPLY", percent, &golive).await;
        let mut payload = fake_slack::block_actions_payload(
            RELEASE_MANAGER,
            &post,
            "rollout.actions",
            "rollout.apply",
            &apply_value(&post),
            &slack.response_url("bench"),
        );
        payload["actions"][0]["action_ts"] = format!("1700000200.{percent:06}").into();
        let started = Instant::now();
        let status = golive.click(http, &payload).await;
        let acked = started.elapsed();
        assert_eq!(status, 200, "the click is acknowledged");
        loop {
            if unleash_percent(http, unleash, &flag).await == Some(percent) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Unleash never read {percent}%:\n{:#?}\n{}",
                slack
                    .messages("C0BENCHAPPLY")
                    .iter()
                    .rev()
                    .take(5)
                    .map(|m| m.text.clone())
                    .collect::<Vec<_>>(),
                golive.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        took.push(started.elapsed().as_secs_f64() * 1_000.0);
        acks.push(acked.as_secs_f64() * 1_000.0);
    }
    took.sort_by(|a, b| a.total_cmp(b));
    acks.sort_by(|a, b| a.total_cmp(b));
    println!(
        "(i) Apply click -> Unleash reads the new percentage, {} applies: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (click acknowledged: p50 {:.1} ms, p99 {:.1} ms)",
        took.len(),
        percentile(&took, 0.5),
        percentile(&took, 0.99),
        took.last().copied().unwrap_or(f64::NAN),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
    );
}

/// The plan files of `n` launches rolling out one `auto` step each, on flags of their own, and a
/// fake Slack with their channels.
async fn launches(
    n: usize,
    http: &reqwest::Client,
    unleash: &Unleash,
    dir: &Path,
    tag: &str,
) -> (Vec<PathBuf>, Vec<String>, FakeSlack) {
    let slack = FakeSlack::start().await;
    let mut plans = Vec::new();
    let mut flags = Vec::new();
    for i in 0..n {
        let channel = format!("bench-{tag}-{i}");
        slack.add_channel(&format!("C0{}{i}", tag.to_uppercase()), &channel);
        let flag = format!("bench-{tag}-{i}-{:08x}", rand::random::<u32>());
        create_flag(http, unleash, &flag).await;
        let steps =
            "[[feature_flags]]\npercent = 10\nat = \"L 00:01\"\nauto = true\nhold = \"1d\"\n";
        let path = dir.join(format!("{tag}-{i}.toml"));
        let version = format!("4.0.{}", 200 + i);
        std::fs::write(&path, plan_source(&version, &channel, &flag, steps)).unwrap();
        plans.push(path);
        flags.push(flag);
    }
    (plans, flags, slack)
}

/// (ii): golive's CPU per 1,000 guard readings, `n` launches holding a step at once.
async fn guard_loop(
    sizes: Sizes,
    http: &reqwest::Client,
    unleash: &Unleash,
    prometheus: &Prometheus,
    dir: &Path,
) {
    let (plans, flags, slack) = launches(sizes.launches, http, unleash, dir, "guards").await;
    let mut golive = Golive::spawn(
        &plans,
        &slack,
        unleash,
        prometheus,
        pacific(L_DAY, "00:00:50"),
        sizes.guard_speed,
    );
    golive.wait_ready(http).await;
    // Every launch's auto step applied on Unleash: from then on only the guards run.
    let deadline = Instant::now() + Duration::from_secs(60);
    for flag in &flags {
        while unleash_percent(http, unleash, flag).await != Some(10) {
            assert!(
                Instant::now() < deadline,
                "{flag} was never set to 10%:\n{}",
                golive.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Two halves: whether a reading costs more as readings pile up in the store.
    let mut marks = Vec::new();
    let started = Instant::now();
    for _ in 0..3 {
        if !marks.is_empty() {
            tokio::time::sleep(sizes.guard_window / 2).await;
        }
        marks.push((
            golive.cpu().as_secs_f64(),
            prometheus_queries(http, prometheus).await,
            started.elapsed().as_secs_f64(),
        ));
    }
    let per_thousand = |from: usize, to: usize| {
        let (cpu, readings) = (marks[to].0 - marks[from].0, marks[to].1 - marks[from].1);
        1_000.0 * cpu / readings.max(1.0)
    };
    let cpu = marks[2].0 - marks[0].0;
    let readings = marks[2].1 - marks[0].1;
    let window = marks[2].2 - marks[0].2;
    let expected = sizes.launches as f64 * 2.0 * window * sizes.guard_speed / 60.0;
    println!(
        "(ii) guard loop, {} launches x 2 guards, each read every virtual minute at {}x: {readings:.0} readings in {window:.1} s ({:.0}/s, {:.0}% of the {expected:.0} due), golive CPU {cpu:.2} s = {:.3} CPU s per 1,000 readings ({:.3} in the first half, {:.3} in the second), {:.1}% of one core",
        sizes.launches,
        sizes.guard_speed,
        readings / window,
        100.0 * readings / expected,
        per_thousand(0, 2),
        per_thousand(0, 1),
        per_thousand(1, 2),
        100.0 * cpu / window,
    );
}

/// (iii): golive's CPU with the same launches and no step due.
async fn idle(
    sizes: Sizes,
    http: &reqwest::Client,
    unleash: &Unleash,
    prometheus: &Prometheus,
    dir: &Path,
) {
    let (plans, _, slack) = launches(sizes.launches, http, unleash, dir, "idle").await;
    let day_before = NaiveDate::parse_from_str(L_DAY, "%Y-%m-%d").unwrap() - chrono::Days::new(1);
    let mut golive = Golive::spawn(
        &plans,
        &slack,
        unleash,
        prometheus,
        pacific(&day_before.to_string(), "12:00:00"),
        1.0,
    );
    golive.wait_ready(http).await;
    // Start-up catches up with the past (skipped posts); then nothing is due for hours.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let queries_before = prometheus_queries(http, prometheus).await;
    let (before, started) = (golive.cpu(), Instant::now());
    tokio::time::sleep(sizes.idle_window).await;
    let (cpu, window) = (
        (golive.cpu() - before).as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    let queries = prometheus_queries(http, prometheus).await - queries_before;
    println!(
        "(iii) no step due, {} launches with guards, {window:.1} s on a real-time clock: golive CPU {:.0} ms ({:.2}% of one core), {queries:.0} guard readings",
        sizes.launches,
        cpu * 1_000.0,
        100.0 * cpu / window,
    );
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full { FULL } else { SMOKE };
    let begun = Instant::now();
    let unleash = tokio::task::spawn_blocking(Unleash::start)
        .await
        .expect("unleash starts");
    let exporter = Exporter::start();
    exporter.set_traffic(100, 0.0, LATENCY);
    let target = exporter.addr();
    let prometheus = tokio::task::spawn_blocking(move || Prometheus::start(target))
        .await
        .expect("prometheus starts");
    wait_for_guard_data(&prometheus).await;
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "rollout bench: golive {} ({}), Unleash 7.5.1 and Prometheus on loopback, {} CPUs",
        binary().display(),
        if full { "full" } else { "smoke" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    apply_latency(sizes, &http, &unleash, &prometheus, dir.path()).await;
    guard_loop(sizes, &http, &unleash, &prometheus, dir.path()).await;
    idle(sizes, &http, &unleash, &prometheus, dir.path()).await;
    println!(
        "reproduce: cargo bench --bench rollout    (this run: {:.0} s with the servers' start)",
        begun.elapsed().as_secs_f64()
    );
}
