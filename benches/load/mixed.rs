//! Scenario e, a long mixed run: every kind of input golive takes — `/golive` commands of every
//! kind (malformed ones too), button clicks, Events API deliveries and forged or broken requests —
//! sent from several keep-alive connections while golive's resident memory is sampled.
//!
//! What golive keeps must follow what is open (incidents, checklists, votes), not how many
//! requests it has answered: each connection resolves every incident it opens, so the open state
//! stays the same size from start to end and any growth is memory golive should not be keeping.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{header, Request, StatusCode};

use crate::client::{ephemeral_text, Connection, Outcome};
use crate::server::{memory_of, RELEASE_MANAGER};

/// The families of input, for running one alone (`--mix commands,events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Commands,
    Clicks,
    Events,
    Forged,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Commands,
        Family::Clicks,
        Family::Events,
        Family::Forged,
    ];

    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Commands => "commands",
            Family::Clicks => "clicks",
            Family::Events => "events",
            Family::Forged => "forged",
        }
    }
}

/// One position in the mix: what is sent.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// `/golive <text>` from the release manager; `{n}` in the text becomes the input's number.
    Command(&'static str),
    /// The same from a person who holds no role.
    CommandByAnyone(&'static str),
    /// `/golive escalate P2 …`: opens an incident, remembered for the two below.
    Escalate,
    /// `/golive ack INC-n` on the incident this connection opened last.
    Ack,
    /// `/golive resolve INC-n …` on the incident this connection opened first.
    Resolve,
    /// A Go click on the open vote, as a distinct delivery.
    VoteGo,
    /// A click on a button golive posts (action id, button value).
    Click(&'static str, &'static str),
    /// A click on this connection's open incident.
    IncidentClick(&'static str),
    /// A click on a button golive never posted.
    UnknownClick,
    /// The previous click delivered again (Slack's retry).
    ClickAgain,
    /// An `app_mention` event with a fresh event id.
    Mention,
    /// A `message` event golive ignores, with a fresh event id.
    OtherEvent,
    /// The previous event delivered again.
    EventAgain,
    /// The Events API URL check.
    UrlVerification,
    /// A forged or broken request and the status golive must answer.
    Forged(Forgery),
}

#[derive(Debug, Clone, Copy)]
enum Forgery {
    WrongSignature,
    NoSignature,
    Stale,
    NotJson,
    NoPayload,
}

/// The mix, one cycle; every connection walks it in order from its own starting point.
const MIX: &[Slot] = &[
    Slot::Command("status"),
    Slot::VoteGo,
    Slot::Command("help"),
    Slot::Mention,
    Slot::Escalate,
    Slot::Forged(Forgery::WrongSignature),
    Slot::Command("timeline"),
    Slot::Click("checklist.confirm", r#"{"c":"l-7","i":"no-such-item"}"#),
    Slot::Command("timeline L-1"),
    Slot::OtherEvent,
    Slot::Command("timeline L+banana{n}"),
    Slot::Command("role"),
    Slot::Command("role on-call <@U0MIX{n}>"),
    Slot::IncidentClick("incident.customer_impact"),
    Slot::Command("incidents"),
    Slot::Forged(Forgery::NoSignature),
    Slot::Command("gonogo status"),
    Slot::Ack,
    Slot::VoteGo,
    Slot::Command("gonogo"),
    Slot::ClickAgain,
    Slot::Command("escalate P9 printer on fire {n}"),
    Slot::EventAgain,
    Slot::Command("ack INC-x{n}"),
    Slot::CommandByAnyone("status"),
    Slot::Forged(Forgery::Stale),
    Slot::Command("frobnicate-{n} the {n} widgets"),
    Slot::Mention,
    Slot::CommandByAnyone("role qa-lead <@U0MIX{n}>"),
    Slot::UnknownClick,
    Slot::Command("launch-date 20xx-{n}"),
    Slot::Forged(Forgery::NotJson),
    Slot::Command("checklist no-such-list-{n}"),
    Slot::Command("gonogo open --deadline 25:{n}"),
    Slot::UrlVerification,
    Slot::Command("resolve INC-9999{n} not ours"),
    Slot::Resolve,
    Slot::Forged(Forgery::NoPayload),
    Slot::Command(""),
    Slot::Click("incident.ack", r#"{"n":999999}"#),
];

impl Slot {
    fn family(self) -> Family {
        match self {
            Slot::Command(_)
            | Slot::CommandByAnyone(_)
            | Slot::Escalate
            | Slot::Ack
            | Slot::Resolve => Family::Commands,
            Slot::VoteGo
            | Slot::Click(..)
            | Slot::IncidentClick(_)
            | Slot::UnknownClick
            | Slot::ClickAgain => Family::Clicks,
            Slot::Mention | Slot::OtherEvent | Slot::EventAgain | Slot::UrlVerification => {
                Family::Events
            }
            Slot::Forged(_) => Family::Forged,
        }
    }
}

/// How the run goes.
pub struct Run {
    pub inputs: u64,
    pub connections: usize,
    /// RSS is sampled every this many inputs.
    pub every: u64,
    pub families: Vec<Family>,
}

/// What the run measured.
pub struct Measured {
    pub outcome: Outcome,
    /// (inputs answered, VmRSS bytes), from the start to the end.
    pub samples: Vec<(u64, u64)>,
    /// Incidents the run opened and resolved.
    pub incidents: u64,
    pub elapsed: Duration,
}

impl Measured {
    pub fn start(&self) -> u64 {
        self.samples.first().map_or(0, |s| s.1)
    }

    pub fn end(&self) -> u64 {
        self.samples.last().map_or(0, |s| s.1)
    }

    pub fn max(&self) -> u64 {
        self.samples.iter().map(|s| s.1).max().unwrap_or(0)
    }

    /// Least-squares growth in bytes per 10,000 inputs over the samples from `from` inputs on.
    pub fn slope_from(&self, from: u64) -> f64 {
        let points: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|s| s.0 >= from)
            .map(|&(x, y)| (x as f64, y as f64))
            .collect();
        let n = points.len() as f64;
        if n < 2.0 {
            return f64::NAN;
        }
        let (mx, my) = (
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        sxy / sxx * 10_000.0
    }
}

/// Sends `run.inputs` mixed inputs to golive (process `pid`) at `addr` and samples its RSS at the
/// start, every `run.every` inputs and at the end. A vote must be open (its voters `U0V0`…).
pub async fn run(addr: SocketAddr, pid: u32, run: &Run) -> Measured {
    let mix: Vec<Slot> = MIX
        .iter()
        .copied()
        .filter(|s| run.families.contains(&s.family()))
        .collect();
    assert!(!mix.is_empty(), "the mix has no inputs");
    let counter = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let incidents = Arc::new(AtomicU64::new(0));
    let rss = move || memory_of(pid, "VmRSS").unwrap_or(0);
    let samples = Arc::new(Mutex::new(vec![(0, rss())]));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..run.connections {
        let mut walker = Walker {
            connection: Connection::open(addr, index).await,
            mix: mix.clone(),
            position: index * 7 % mix.len(),
            opened: VecDeque::new(),
            last_click: None,
            last_event: None,
            incidents: incidents.clone(),
        };
        let (counter, answered, samples) = (counter.clone(), answered.clone(), samples.clone());
        let (total, every) = (run.inputs, run.every);
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let sent = Instant::now();
                match walker.step(n).await {
                    Ok(()) => {
                        outcome.ok += 1;
                        outcome.latencies.push(micros(sent.elapsed()));
                    }
                    Err(why) => {
                        outcome.fail(why);
                        if walker.connection.is_closed() {
                            break;
                        }
                    }
                }
                let done = answered.fetch_add(1, Ordering::Relaxed) + 1;
                if done % every == 0 && done < total {
                    samples.lock().unwrap().push((done, rss()));
                }
            }
            outcome.merge(walker.finish().await);
            outcome
        }));
    }
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await.expect("mixed-run task panicked"));
    }
    let elapsed = started.elapsed();
    total.window = elapsed;
    total.latencies.sort_unstable();
    let mut samples = Arc::try_unwrap(samples).unwrap().into_inner().unwrap();
    samples.push((answered.load(Ordering::Relaxed), rss()));
    samples.sort_unstable();
    Measured {
        outcome: total,
        samples,
        incidents: incidents.load(Ordering::Relaxed),
        elapsed,
    }
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// One connection walking the mix, with the incidents it opened and not yet resolved.
struct Walker {
    connection: Connection,
    mix: Vec<Slot>,
    position: usize,
    opened: VecDeque<u64>,
    last_click: Option<String>,
    last_event: Option<String>,
    incidents: Arc<AtomicU64>,
}

/// What a correct answer looks like.
enum Expect {
    /// 200 with an ephemeral message (refusals and usage errors are correct answers too).
    Message,
    /// 200 with an ephemeral message containing this text.
    MessageWith(&'static str),
    /// 200 with an empty body: an acknowledged click or event.
    Empty,
    /// 200 with this body.
    Body(&'static str),
    /// This status (forged or broken requests).
    Status(StatusCode),
}

const CHALLENGE: &str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";

impl Walker {
    /// Sends input `n`: the next slot of the mix.
    async fn step(&mut self, n: u64) -> Result<(), String> {
        let slot = self.mix[self.position % self.mix.len()];
        self.position += 1;
        let (request, expect) = self.input(slot, n);
        let (status, body) = self.connection.exchange(request).await?;
        let text = check(&expect, status, &body).map_err(|why| format!("{slot:?}: {why}"))?;
        if let Slot::Escalate = slot {
            let number = incident_number(&text)
                .ok_or_else(|| format!("escalate answered without an incident: {text}"))?;
            self.opened.push_back(number);
            self.incidents.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Resolves whatever this connection still has open, so the run ends as it began.
    async fn finish(&mut self) -> Outcome {
        let mut outcome = Outcome::default();
        while let Some(number) = self.opened.pop_front() {
            let text = format!("resolve INC-{number} end of the mixed run");
            let request = self.connection.signer.command_as(RELEASE_MANAGER, &text);
            let answer = self.connection.exchange(request).await;
            let resolved = answer.and_then(|(status, body)| {
                check(&Expect::MessageWith("resolved"), status, &body).map(|_| ())
            });
            if let Err(why) = resolved {
                outcome.fail(format!("resolving INC-{number}: {why}"));
            }
        }
        outcome
    }

    fn input(&mut self, slot: Slot, n: u64) -> (Request<Full<Bytes>>, Expect) {
        let signer = &self.connection.signer;
        let fill = |text: &str| text.replace("{n}", &n.to_string());
        match slot {
            Slot::Command(text) => (
                signer.command_as(RELEASE_MANAGER, &fill(text)),
                Expect::Message,
            ),
            Slot::CommandByAnyone(text) => (
                signer.command_as(&format!("U0MIX{}", n % 1_000), &fill(text)),
                Expect::Message,
            ),
            Slot::Escalate => (
                signer.command_as(
                    RELEASE_MANAGER,
                    &format!("escalate P2 checkout latency up, mixed run input {n}"),
                ),
                Expect::MessageWith("is open"),
            ),
            Slot::Ack => match self.opened.back() {
                Some(number) => (
                    signer.command_as(RELEASE_MANAGER, &format!("ack INC-{number}")),
                    Expect::MessageWith("INC-"),
                ),
                None => (
                    signer.command_as(RELEASE_MANAGER, "incidents"),
                    Expect::Message,
                ),
            },
            Slot::Resolve => match self.opened.pop_front() {
                Some(number) => (
                    signer.command_as(
                        RELEASE_MANAGER,
                        &format!("resolve INC-{number} fixed by input {n}"),
                    ),
                    Expect::MessageWith("resolved"),
                ),
                None => (
                    signer.command_as(RELEASE_MANAGER, "incidents"),
                    Expect::Message,
                ),
            },
            Slot::VoteGo => {
                let voter = format!("U0V{}", n % VOTERS);
                self.click(&voter, "vote.go", r#"{"v":1}"#, n)
            }
            Slot::Click(action, value) => self.click("U0MIXCLICK", action, value, n),
            Slot::IncidentClick(action) => {
                let number = self.opened.back().copied().unwrap_or(999_999);
                let value = format!(r#"{{"n":{number}}}"#);
                self.click(RELEASE_MANAGER, action, &value, n)
            }
            Slot::UnknownClick => self.click("U0MIXCLICK", "vote.maybe", "{}", n),
            Slot::ClickAgain => match self.last_click.clone() {
                Some(body) => (
                    self.connection.signer.signed("/slack/interactivity", body),
                    Expect::Empty,
                ),
                None => self.click("U0MIXCLICK", "vote.maybe", "{}", n),
            },
            Slot::Mention => self.event("app_mention", n),
            Slot::OtherEvent => self.event("message", n),
            Slot::EventAgain => match self.last_event.clone() {
                Some(body) => (
                    self.connection.signer.signed("/slack/events", body),
                    Expect::Empty,
                ),
                None => self.event("app_mention", n),
            },
            Slot::UrlVerification => {
                let body = include_str!("../../tests/fixtures/slack/event_url_verification.json");
                (
                    signer.signed("/slack/events", body.to_string()),
                    Expect::Body(CHALLENGE),
                )
            }
            Slot::Forged(forgery) => (self.forged(forgery, n), expect_for(forgery)),
        }
    }

    /// A signed block_actions click by `user` on `action` with button `value`, distinct through
    /// its `action_ts`.
    fn click(
        &mut self,
        user: &str,
        action: &str,
        value: &str,
        n: u64,
    ) -> (Request<Full<Bytes>>, Expect) {
        let mut payload: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/slack/block_actions_button.json"
        ))
        .expect("the block_actions fixture is JSON");
        payload["user"]["id"] = user.into();
        let first = &mut payload["actions"][0];
        first["action_id"] = action.into();
        first["value"] = value.into();
        first["action_ts"] = format!("1700000200.{n:06}").into();
        let body =
            serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encoding");
        self.last_click = Some(body.clone());
        (
            self.connection.signer.signed("/slack/interactivity", body),
            Expect::Empty,
        )
    }

    /// A signed event_callback of `kind` with the fresh event id `EvMIX<n>`.
    fn event(&mut self, kind: &str, n: u64) -> (Request<Full<Bytes>>, Expect) {
        let mut event: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/slack/event_app_mention.json"
        ))
        .expect("the app_mention fixture is JSON");
        event["event_id"] = format!("EvMIX{n}").into();
        event["event"]["type"] = kind.into();
        event["event"]["ts"] = format!("1700000300.{n:06}").into();
        let body = event.to_string();
        self.last_event = Some(body.clone());
        (
            self.connection.signer.signed("/slack/events", body),
            Expect::Empty,
        )
    }

    fn forged(&self, forgery: Forgery, n: u64) -> Request<Full<Bytes>> {
        let signer = &self.connection.signer;
        match forgery {
            Forgery::WrongSignature => {
                let mut request = signer.command_as(RELEASE_MANAGER, "role on-call <@U0EVIL>");
                request.headers_mut().insert(
                    "x-slack-signature",
                    header::HeaderValue::from_static(
                        "v0=0000000000000000000000000000000000000000000000000000000000000000",
                    ),
                );
                request
            }
            Forgery::NoSignature => Request::post("/slack/interactivity")
                .header(header::HOST, "golive")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(format!("payload=forged-{n}"))))
                .expect("valid request"),
            Forgery::Stale => {
                let ten_minutes_ago = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .expect("clock after 1970")
                    .as_secs()
                    - 600;
                let body = format!(r#"{{"type":"event_callback","event_id":"EvOLD{n}"}}"#);
                signer.signed_at("/slack/events", body, ten_minutes_ago)
            }
            Forgery::NotJson => signer.signed("/slack/events", format!("not json {n}")),
            Forgery::NoPayload => signer.signed("/slack/interactivity", format!("nothing={n}")),
        }
    }
}

/// How many voters scenario e's vote has (`U0V0`…).
pub const VOTERS: u64 = 10;

fn expect_for(forgery: Forgery) -> Expect {
    match forgery {
        Forgery::WrongSignature | Forgery::NoSignature | Forgery::Stale => {
            Expect::Status(StatusCode::UNAUTHORIZED)
        }
        Forgery::NotJson | Forgery::NoPayload => Expect::Status(StatusCode::BAD_REQUEST),
    }
}

/// The answer's text when it is what `expect` says, or why not.
fn check(expect: &Expect, status: StatusCode, body: &[u8]) -> Result<String, String> {
    let shown = || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    match expect {
        Expect::Status(wanted) if status == *wanted => return Ok(String::new()),
        Expect::Status(wanted) => return Err(format!("HTTP {status}, not {wanted}: {}", shown())),
        _ if status != StatusCode::OK => return Err(format!("HTTP {status}: {}", shown())),
        _ => {}
    }
    match expect {
        Expect::Empty if body.is_empty() => Ok(String::new()),
        Expect::Body(wanted) if body == wanted.as_bytes() => Ok(String::new()),
        Expect::Message => ephemeral_text(body),
        Expect::MessageWith(wanted) => {
            let text = ephemeral_text(body)?;
            if text.contains(wanted) {
                Ok(text)
            } else {
                Err(format!("the answer does not say {wanted:?}: {text}"))
            }
        }
        _ => Err(format!("unexpected body: {}", shown())),
    }
}

/// The number in "INC-<n> (P2) is open …".
fn incident_number(text: &str) -> Option<u64> {
    let start = text.find("INC-")? + 4;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
