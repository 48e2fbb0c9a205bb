//! The in-process load generator: hyper 1 HTTP/1.1 keep-alive connections, each sending signed
//! `/golive` slash commands one after another, checking every answer.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{header, Request};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::net::TcpStream;
use tokio::time::MissedTickBehavior;

use crate::server::{RELEASE_MANAGER, SIGNING_SECRET};

/// Which command a scenario sends.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `/golive status`: read-only, answered from memory.
    Status,
    /// `/golive role on-call <@U0BENCHn>`: a role assignment plus an audit row in SQLite.
    AssignRole,
    /// A signed block_actions click on Go in vote 1 by voter `n % VOTERS`: acknowledged at
    /// once, then de-duplicated, checked and stored (a ballot upsert plus an audit row).
    VoteGo,
}

/// How many voters the vote benchmark registers (each voting role held by all of them).
pub const VOTERS: u64 = 100;

/// The Go click as Slack sends it (the recorded fixture), with placeholders for the voter and
/// the click's `action_ts`, which together make each click a distinct delivery.
fn click_template() -> String {
    let mut payload: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/slack/block_actions_button.json"
    ))
    .expect("the block_actions fixture is JSON");
    payload["user"]["id"] = "__USER__".into();
    let action = &mut payload["actions"][0];
    action["action_id"] = "vote.go".into();
    action["value"] = r#"{"v":1}"#.into();
    action["action_ts"] = "__TS__".into();
    payload.to_string()
}

impl Kind {
    /// The command text; role assignments name a different holder each time.
    fn text(self, n: u64) -> String {
        match self {
            Kind::Status => "status".to_string(),
            Kind::AssignRole => format!("role on-call <@U0BENCH{n}>"),
            Kind::VoteGo => String::new(),
        }
    }

    /// Whether the answer's text says the command did what was asked.
    fn succeeded(self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        let failed = lower.contains("error")
            || lower.contains("sorry")
            || lower.contains("only release managers")
            || lower.contains("working on it");
        !failed
            && match self {
                Kind::Status | Kind::VoteGo => true,
                Kind::AssignRole => text.contains("is now held by"),
            }
    }
}

/// What one scenario measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latency of each request in the measured window, in microseconds (from sending).
    pub latencies: Vec<u32>,
    /// Latency from the instant each request was due (open-loop pacing only).
    pub latencies_from_schedule: Vec<u32>,
    /// Requests answered successfully in the measured window.
    pub ok: u64,
    /// Requests that failed (status, body or transport), warm-up included.
    pub errors: u64,
    /// A few of those failures, for the report.
    pub samples: Vec<String>,
    /// Length of the measured window.
    pub window: Duration,
    /// The text of one successful answer, to show what was measured.
    pub example: Option<String>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    pub fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.latencies_from_schedule
            .extend(other.latencies_from_schedule);
        self.ok += other.ok;
        self.errors += other.errors;
        if self.example.is_none() {
            self.example = other.example;
        }
        for sample in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(sample);
            }
        }
    }

    pub fn fail(&mut self, why: String) {
        self.errors += 1;
        if self.samples.len() < 5 {
            self.samples.push(why);
        }
    }
}

/// Percentile `p` (0–100) of sorted microsecond latencies, in milliseconds.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Builds signed requests the way Slack does: a form body, `v0:{ts}:{body}` HMAC-SHA256.
pub struct Signer {
    mac: Hmac<Sha256>,
    host: String,
    channel: usize,
    click: String,
}

impl Signer {
    fn new(addr: SocketAddr, channel: usize) -> Self {
        Self {
            mac: Hmac::new_from_slice(SIGNING_SECRET.as_bytes()).expect("any key length works"),
            host: addr.to_string(),
            channel,
            click: click_template(),
        }
    }

    /// A signed Go click by voter `n % VOTERS`, unique through its `action_ts`.
    fn click(&self, n: u64) -> Request<Full<Bytes>> {
        let payload = self
            .click
            .replace("__USER__", &format!("U0V{}", n % VOTERS))
            .replace("__TS__", &format!("1700000100.{n:06}"));
        let body = serde_urlencoded::to_string([("payload", payload)]).expect("form encoding");
        self.signed("/slack/interactivity", body)
    }

    fn request(&self, text: &str) -> Request<Full<Bytes>> {
        self.command_as(RELEASE_MANAGER, text)
    }

    /// A signed `/golive <text>` from `user`.
    pub fn command_as(&self, user: &str, text: &str) -> Request<Full<Bytes>> {
        let channel = format!("C0BENCH{}", self.channel);
        let body = serde_urlencoded::to_string([
            ("token", "bench-verification-token"),
            ("team_id", "T0BENCH"),
            ("team_domain", "bench"),
            ("channel_id", channel.as_str()),
            ("channel_name", "launch"),
            ("user_id", user),
            ("user_name", "bench"),
            ("command", "/golive"),
            ("text", text),
            ("api_app_id", "A0BENCH"),
            ("is_enterprise_install", "false"),
            (
                "response_url",
                "https://hooks.slack.com/commands/T0BENCH/1/bench",
            ),
            ("trigger_id", "1.2.bench"),
        ])
        .expect("form encoding");
        self.signed("/slack/commands", body)
    }

    /// `body` posted to `path`, signed now.
    pub fn signed(&self, path: &str, body: String) -> Request<Full<Bytes>> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970");
        self.signed_at(path, body, now.as_secs())
    }

    /// `body` posted to `path`, signed as if sent at unix second `at`.
    pub fn signed_at(&self, path: &str, body: String, at: u64) -> Request<Full<Bytes>> {
        let ts = at.to_string();
        let mut mac = self.mac.clone();
        mac.update(b"v0:");
        mac.update(ts.as_bytes());
        mac.update(b":");
        mac.update(body.as_bytes());
        let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        Request::post(path)
            .header(header::HOST, &self.host)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(Full::new(Bytes::from(body)))
            .expect("valid request")
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    pub signer: Signer,
}

impl Connection {
    /// Connects; `index` names the connection's channel in its commands.
    pub async fn open(addr: SocketAddr, index: usize) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect to golive");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Self {
            sender,
            signer: Signer::new(addr, index),
        }
    }

    /// Sends one signed command and checks the answer: its text, or why it failed.
    async fn call(&mut self, kind: Kind, n: u64) -> Result<String, String> {
        let request = match kind {
            Kind::VoteGo => self.signer.click(n),
            _ => self.signer.request(&kind.text(n)),
        };
        self.send(request, kind).await
    }

    /// Sends one request and reads the whole answer.
    pub async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<(hyper::StatusCode, Bytes), String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection lost: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body failed: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// Whether the server closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    async fn send(&mut self, request: Request<Full<Bytes>>, kind: Kind) -> Result<String, String> {
        let (status, body) = self.exchange(request).await?;
        if status != hyper::StatusCode::OK {
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
        if matches!(kind, Kind::VoteGo) {
            // A click is acknowledged with an empty 200; what it did shows in the store.
            return if body.is_empty() {
                Ok("(empty acknowledgement)".to_string())
            } else {
                Err(format!(
                    "unexpected click answer: {}",
                    String::from_utf8_lossy(&body)
                ))
            };
        }
        let text = ephemeral_text(&body)?;
        if !kind.succeeded(&text) {
            return Err(format!("unexpected answer: {text}"));
        }
        Ok(text)
    }
}

/// The text of an ephemeral JSON answer, or why the body is not one.
pub fn ephemeral_text(body: &[u8]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        response_type: Option<String>,
        text: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )
    })?;
    if answer.response_type.as_deref() != Some("ephemeral") {
        return Err("the answer is not ephemeral".to_string());
    }
    Ok(answer.text.unwrap_or_default())
}

/// Sends one signed `/golive <text>` as the release manager and returns the answer's text.
pub async fn command(addr: SocketAddr, text: &str) -> Result<String, String> {
    let mut connection = Connection::open(addr, 0).await;
    let request = connection.signer.request(text);
    connection.send(request, Kind::Status).await
}

/// Whether golive refuses a request whose signature is wrong (it must answer 401), so the
/// figures are known to include signature verification.
pub async fn refuses_bad_signature(addr: SocketAddr) -> Result<(), String> {
    let mut connection = Connection::open(addr, 0).await;
    let mut request = connection.signer.request("status");
    request.headers_mut().insert(
        "x-slack-signature",
        header::HeaderValue::from_static(
            "v0=0000000000000000000000000000000000000000000000000000000000000000",
        ),
    );
    match connection.send(request, Kind::Status).await {
        Err(why) if why.starts_with("HTTP 401") => Ok(()),
        Err(why) => Err(format!("a forged request got {why}")),
        Ok(text) => Err(format!("a forged request was answered: {text}")),
    }
}

async fn open_all(addr: SocketAddr, connections: usize) -> Vec<Connection> {
    let mut all = Vec::with_capacity(connections);
    for index in 0..connections {
        all.push(Connection::open(addr, index).await);
    }
    all
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// Maximum throughput: `connections` connections each send the next request as soon as the
/// previous one is answered, for `warmup` (checked, not timed) and then `duration` (timed).
pub async fn closed_loop(
    addr: SocketAddr,
    kind: Kind,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Outcome {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let tasks: Vec<_> = open_all(addr, connections)
        .await
        .into_iter()
        .map(|mut connection| {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let result = connection.call(kind, n).await;
                    let latency = sent.elapsed();
                    match result {
                        Err(why) => {
                            outcome.fail(why);
                            if connection.sender.is_closed() {
                                break;
                            }
                        }
                        Ok(text) if sent >= measure_from => {
                            outcome.ok += 1;
                            outcome.latencies.push(micros(latency));
                            outcome.example.get_or_insert(text);
                        }
                        Ok(_) => {}
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await.expect("load task panicked"));
    }
    total.window = Instant::now().saturating_duration_since(measure_from);
    total.latencies.sort_unstable();
    total
}

/// Open-loop pacing at `rate` requests/s spread over `connections` connections (each on its own
/// tokio interval, phase-shifted, with missed ticks sent in a burst so a slow server is not
/// offered less load).
pub async fn fixed_rate(
    addr: SocketAddr,
    kind: Kind,
    rate: u32,
    connections: usize,
    duration: Duration,
) -> Outcome {
    let period = Duration::from_secs_f64(connections as f64 / rate as f64);
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + duration;
    let tasks: Vec<_> = open_all(addr, connections)
        .await
        .into_iter()
        .enumerate()
        .map(|(index, mut connection)| {
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                let first = start + period.mul_f64(index as f64 / connections as f64);
                let mut ticks = tokio::time::interval_at(first.into(), period);
                ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
                let mut n = 0;
                loop {
                    let due = ticks.tick().await.into_std();
                    if due >= end {
                        break;
                    }
                    let sent = Instant::now();
                    n += 1;
                    match connection.call(kind, n).await {
                        Err(why) => {
                            outcome.fail(why);
                            if connection.sender.is_closed() {
                                break;
                            }
                        }
                        Ok(text) => {
                            outcome.ok += 1;
                            outcome.example.get_or_insert(text);
                            outcome.latencies.push(micros(sent.elapsed()));
                            outcome.latencies_from_schedule.push(micros(due.elapsed()));
                        }
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await.expect("load task panicked"));
    }
    total.window = duration;
    total.latencies.sort_unstable();
    total.latencies_from_schedule.sort_unstable();
    total
}
