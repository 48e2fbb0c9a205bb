//! Part 3: failover after `kill -9`, on real time. Each run has a fresh database and two fresh
//! replicas of the release binary, both talking to the fake Slack, running a plan whose only
//! posts still to come are recurring posts firing once each, a second apart (`tick-N`). The
//! second replica starts a random part of a beat after the first (replicas started apart beat
//! out of step), and once both are up and beating the holder of the launch is killed with
//! SIGKILL at a random moment within a beat. Measured from the signal to (a) the survivor
//! holding the launch's lease (the `leases` row polled every 2 ms) and (b) the post of the first
//! tick due after the kill (at most a second later) arriving in the fake Slack (polled every
//! 2 ms): the survivor's first post of a job that fell due after the kill. Every tick must be
//! posted at most once.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::fake_slack::FakeSlack;
use crate::golive::{Golive, Spec};
use crate::plans;
use crate::servers::postgres::Postgres;
use crate::servers::Signal;
use crate::store::Store;

/// Ticks per run, a second apart, the first this long after the plan is written.
const TICKS: usize = 20;
const FIRST_TICK: i64 = 4;

/// One run's figures, from the kill.
pub struct Takeover {
    /// The survivor holds the launch's lease.
    pub lease: Duration,
    /// The survivor's post of the first job due after the kill arrived.
    pub post: Duration,
    /// How much later than the kill that job was due (under a second).
    pub due: Duration,
    /// Posts of a tick made more than once (must be none).
    pub doubled: usize,
    /// WARN/ERROR lines the survivor logged.
    pub problems: Vec<String>,
}

/// One failover run with `GOLIVE_LEASE_SECS=lease_secs`.
pub async fn run(
    postgres: &Postgres,
    fake: &FakeSlack,
    lease_secs: u64,
    tag: &str,
    dir: &Path,
) -> Takeover {
    let database = format!("failover_{tag}");
    postgres.create_database(&database);
    let url = postgres.url(&database);
    let channel = format!("bench-failover-{tag}");
    fake.add_channel(&format!("C0FO{}", tag.to_uppercase()), &channel);

    // Ticks every second from a few seconds on: time for both replicas to start first.
    let first = (Utc::now() + TimeDelta::seconds(FIRST_TICK))
        .duration_trunc(TimeDelta::seconds(1))
        .expect("a whole second");
    let ticks: Vec<DateTime<Utc>> = (0..TICKS as i64)
        .map(|n| first + TimeDelta::seconds(n))
        .collect();
    // L-Day a month away: nothing else in the plan falls due during the run.
    let launch = plans::today() + chrono::Days::new(30);
    let mut source = plans::source("Summit", "4.0.0", &channel, launch);
    source.push_str(&plans::ticks(&ticks, launch));
    let release = golive::domain::plan::Plan::parse(&source)
        .unwrap_or_else(|e| panic!("the failover plan is invalid: {e:?}"))
        .release
        .id();
    let plan = dir.join(format!("failover-{tag}.toml"));
    std::fs::write(&plan, &source).expect("write the plan");

    let api = fake.api_url();
    // A beat is a quarter of the lease time.
    let beat = Duration::from_secs(lease_secs) / 4;
    let mut replicas = Vec::new();
    for (n, name) in [format!("fo-{tag}-a"), format!("fo-{tag}-b")]
        .iter()
        .enumerate()
    {
        if n > 0 {
            tokio::time::sleep(beat.mul_f64(rand::random::<f64>())).await;
        }
        replicas.push(Golive::start(
            &Spec {
                lease_secs: Some(lease_secs),
                slack_api: Some(&api),
                plans: Some(&plan),
                stop: Signal::Kill,
                ..Spec::new(name, &url)
            },
            dir,
        ));
    }
    for replica in &replicas {
        replica.wait_ready(Duration::from_secs(30)).await;
    }
    let store = Store::open(&url).await;
    let holder_sql = format!("SELECT holder FROM leases WHERE name = '{release}'");
    // Settled: the launch is held and both replicas beat.
    let settled_by = Instant::now() + Duration::from_secs(20);
    loop {
        let held = store.text(&holder_sql).await.is_some();
        let beating = store
            .number("SELECT COUNT(*) FROM replicas")
            .await
            .unwrap_or(0);
        if held && beating == 2 {
            break;
        }
        assert!(
            Instant::now() < settled_by,
            "failover run {tag}: the launch never held by one of two beating replicas"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The kill at a random moment within a beat, once the ticks have begun.
    let wait = (ticks[0] - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + beat.mul_f64(rand::random::<f64>())).await;
    let holder = store.text(&holder_sql).await.expect("the launch is held");
    let (killed, survivor) = match replicas.iter().position(|r| r.name == holder) {
        Some(0) => (&replicas[0], &replicas[1]),
        Some(_) => (&replicas[1], &replicas[0]),
        None => panic!("the launch is held by {holder}, not by one of the bench's replicas"),
    };
    let killed_wall = Utc::now();
    let killed_at = killed.stop();
    let (tick, due) = ticks
        .iter()
        .enumerate()
        .find(|(_, at)| **at > killed_wall)
        .unwrap_or_else(|| panic!("failover run {tag}: the replicas took too long to settle"));
    let key = format!(
        "recurring:tick-{tick}:{}",
        due.with_timezone(&chrono_tz::America::Los_Angeles)
            .format("%Y-%m-%d")
    );

    let deadline = killed_at + Duration::from_secs(3 * lease_secs + 15);
    let (mut lease, mut post) = (None, None);
    while lease.is_none() || post.is_none() {
        assert!(
            Instant::now() < deadline,
            "failover run {tag}: no takeover within {:?} (lease: {lease:?}, post: {post:?})\n{}",
            deadline - killed_at,
            survivor.log_tail()
        );
        if lease.is_none() && store.text(&holder_sql).await.as_deref() == Some(&survivor.name) {
            lease = Some(killed_at.elapsed());
        }
        if post.is_none() && posted(fake, &channel, &key) > 0 {
            post = Some(killed_at.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let doubled = (0..TICKS)
        .map(|n| {
            let key = format!(
                "recurring:tick-{n}:{}",
                ticks[n]
                    .with_timezone(&chrono_tz::America::Los_Angeles)
                    .format("%Y-%m-%d")
            );
            posted(fake, &channel, &key).saturating_sub(1)
        })
        .sum();
    let problems = survivor.problems();
    survivor.stop();
    store.close().await;
    Takeover {
        lease: lease.expect("measured"),
        post: post.expect("measured"),
        due: (*due - killed_wall).to_std().unwrap_or_default(),
        doubled,
        problems,
    }
}

/// How many posts in `channel` carry golive's tag `key`.
fn posted(fake: &FakeSlack, channel: &str, key: &str) -> usize {
    fake.messages(&format!("#{channel}"))
        .iter()
        .filter(|m| {
            m.thread_ts.is_none()
                && m.metadata
                    .as_ref()
                    .and_then(|m| m["event_payload"]["key"].as_str())
                    == Some(key)
        })
        .count()
}
