//! Parts 1 and 2: `/golive status` and stored Go clicks over signed HTTP, with the load
//! benchmark's client (`load/client.rs`), spread round robin over one or two golives: each
//! worker keeps one keep-alive connection to each golive and sends its requests to them in
//! turn, so as many requests are in flight as there are workers, whatever the number of golives.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::Request;

use crate::client::{self, ephemeral_text, Connection, Outcome};
use crate::server::RELEASE_MANAGER;
use crate::store::Store;

/// What the workers send.
#[derive(Clone, Copy)]
pub enum Work {
    /// `/golive status` from the release manager; the answer must be an ephemeral message.
    Status,
    /// A Go click on vote `vote` by voter `n % voters`, a distinct delivery through its
    /// `action_ts`; the acknowledgement must be an empty 200.
    Go { vote: i64, voters: u64 },
}

/// One closed-loop run.
pub struct Run {
    pub outcome: Outcome,
    /// Requests answered by each golive in the measured window.
    pub per_target: Vec<u64>,
    /// Requests sent, warm-up included.
    pub sent: u64,
}

/// The Go click as Slack sends it (the recorded fixture), with placeholders for the voter and
/// the click's `action_ts`.
fn click_template(vote: i64) -> String {
    let mut payload: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/slack/block_actions_button.json"
    ))
    .expect("the block_actions fixture is JSON");
    payload["user"]["id"] = "__USER__".into();
    let action = &mut payload["actions"][0];
    action["action_id"] = "vote.go".into();
    action["value"] = format!(r#"{{"v":{vote}}}"#).into();
    action["action_ts"] = "__TS__".into();
    payload.to_string()
}

fn request(
    work: Work,
    connection: &Connection,
    template: &str,
    n: u64,
) -> Request<http_body_util::Full<Bytes>> {
    match work {
        Work::Status => connection.signer.command_as(RELEASE_MANAGER, "status"),
        Work::Go { voters, .. } => {
            let payload = template
                .replace("__USER__", &format!("U0V{}", n % voters))
                .replace("__TS__", &format!("1700000500.{n:06}"));
            let body = serde_urlencoded::to_string([("payload", payload)]).expect("a form");
            connection.signer.signed("/slack/interactivity", body)
        }
    }
}

/// Checks one answer: `Ok` with the answer's text, or why it is not the expected one.
fn check(work: Work, status: hyper::StatusCode, body: &[u8]) -> Result<String, String> {
    if status != hyper::StatusCode::OK {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    match work {
        Work::Go { .. } if body.is_empty() => Ok(String::new()),
        Work::Go { .. } => Err(format!(
            "a click answered with a body: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
        Work::Status => {
            let text = ephemeral_text(body)?;
            let lower = text.to_ascii_lowercase();
            if ["error", "sorry", "working on it", "unavailable"]
                .iter()
                .any(|bad| lower.contains(bad))
            {
                return Err(format!("unexpected answer: {text}"));
            }
            Ok(text)
        }
    }
}

/// `workers` workers, each sending the next request as soon as the previous one is answered,
/// in turn to each of `targets`, for `warmup` (checked, not timed) and then `duration` (timed).
pub async fn closed_loop(
    targets: &[SocketAddr],
    work: Work,
    workers: usize,
    warmup: Duration,
    duration: Duration,
) -> Run {
    let template = Arc::new(match work {
        Work::Go { vote, .. } => click_template(vote),
        Work::Status => String::new(),
    });
    let counter = Arc::new(AtomicU64::new(0));
    let mut all = Vec::with_capacity(workers);
    for worker in 0..workers {
        let mut connections = Vec::with_capacity(targets.len());
        for addr in targets {
            connections.push(Connection::open(*addr, worker).await);
        }
        all.push(connections);
    }
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let tasks: Vec<_> = all
        .into_iter()
        .enumerate()
        .map(|(worker, mut connections)| {
            let counter = counter.clone();
            let template = template.clone();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                let mut per_target = vec![0u64; connections.len()];
                let mut turn = worker;
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let target = turn % connections.len();
                    turn += 1;
                    let connection = &mut connections[target];
                    let request = request(work, connection, &template, n);
                    let result = match connection.exchange(request).await {
                        Ok((status, body)) => check(work, status, &body),
                        Err(why) => Err(why),
                    };
                    let latency = sent.elapsed();
                    match result {
                        Err(why) => {
                            outcome.fail(why);
                            if connection.is_closed() {
                                break;
                            }
                        }
                        Ok(text) if sent >= measure_from => {
                            outcome.ok += 1;
                            per_target[target] += 1;
                            outcome
                                .latencies
                                .push(latency.as_micros().min(u32::MAX as u128) as u32);
                            if !text.is_empty() {
                                outcome.example.get_or_insert(text);
                            }
                        }
                        Ok(_) => {}
                    }
                }
                (outcome, per_target)
            })
        })
        .collect();
    let mut total = Outcome::default();
    let mut per_target = vec![0u64; targets.len()];
    for task in tasks {
        let (outcome, counts) = task.await.expect("a load task panicked");
        total.merge(outcome);
        for (sum, count) in per_target.iter_mut().zip(counts) {
            *sum += count;
        }
    }
    total.window = Instant::now().saturating_duration_since(measure_from);
    total.latencies.sort_unstable();
    Run {
        outcome: total,
        per_target,
        sent: counter.load(Ordering::Relaxed),
    }
}

/// The plan's voting roles.
const VOTING_ROLES: [&str; 6] = [
    "engineering-lead",
    "qa-lead",
    "sre-lead",
    "security-lead",
    "product-manager",
    "support-lead",
];

/// Gives every voting role to voters `U0V0`…, opens the vote (its deadline almost a day away)
/// and returns its id as stored.
pub async fn open_vote(addr: SocketAddr, voters: u64, store: &Store) -> i64 {
    let mentions: Vec<String> = (0..voters).map(|n| format!("<@U0V{n}>")).collect();
    let mentions = mentions.join(" ");
    for role in VOTING_ROLES {
        let answer = client::command(addr, &format!("role {role} {mentions}")).await;
        let answer = answer.unwrap_or_else(|why| panic!("assigning {role} failed: {why}"));
        assert!(
            answer.contains("is now held by"),
            "assigning {role}: {answer}"
        );
    }
    // A minute ago in the plan's zone: the deadline is then almost a day away.
    let deadline = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .with_timezone(&chrono_tz::America::Los_Angeles)
        .format("%H:%M");
    let opened = client::command(addr, &format!("gonogo open --deadline {deadline}")).await;
    let opened = opened.unwrap_or_else(|why| panic!("opening the vote failed: {why}"));
    assert!(opened.contains("vote opened"), "opening the vote: {opened}");
    store
        .number("SELECT id FROM votes WHERE state = 'open'")
        .await
        .expect("the open vote is stored")
}

/// What the store holds after a click run, counted once every acknowledged click is in.
pub struct Stored {
    /// `ballot` rows in the audit log: one per click stored.
    pub audited: i64,
    /// Delivery ids recorded: one per distinct click received.
    pub deliveries: i64,
    /// Rows of the vote's `ballots`: one per voter who clicked.
    pub ballots: i64,
    /// Stored clicks per second, from the first click to the last one stored.
    pub rate: f64,
}

/// Sends Go clicks for `duration` and waits (up to 30 s without progress) until as many clicks
/// are stored as were acknowledged; then counts what the store holds.
pub async fn clicks(
    targets: &[SocketAddr],
    vote: i64,
    voters: u64,
    workers: usize,
    duration: Duration,
    store: &Store,
) -> (Run, Stored) {
    let audited = || store.number("SELECT COUNT(*) FROM audit_log WHERE action = 'ballot'");
    let start = Instant::now();
    let run = closed_loop(
        targets,
        Work::Go { vote, voters },
        workers,
        Duration::ZERO,
        duration,
    )
    .await;
    let acknowledged = run.outcome.ok as i64;
    let mut last = (audited().await.unwrap_or(0), Instant::now());
    while last.0 < acknowledged && last.1.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let now = audited().await.unwrap_or(0);
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    let rate = last.0 as f64 / last.1.duration_since(start).as_secs_f64();
    // Anything stored twice would show up a moment later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = Stored {
        audited: audited().await.unwrap_or(0),
        deliveries: store
            .number("SELECT COUNT(*) FROM deliveries")
            .await
            .unwrap_or(0),
        ballots: store
            .number(&format!(
                "SELECT COUNT(*) FROM ballots WHERE vote_id = {vote}"
            ))
            .await
            .unwrap_or(0),
        rate,
    };
    (run, stored)
}
