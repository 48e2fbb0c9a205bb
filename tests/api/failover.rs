//! Two replicas of the real binary on one real PostgreSQL run a launch day. The one holding the
//! launch is killed with -9 in the middle of the go/no-go vote's clicks, and comes back; halfway
//! through the day the one holding it then is killed while it pages for a P0. Each time the
//! other takes over, and every milestone, every page and every acknowledged click lands once.
//!
//! Both replicas run a rehearsal clock anchored to the same wall-clock instant, an hour a second,
//! so the test waits for the bots' clock to read a time, never for a fixed while.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use golive::domain::plan::Plan;
use serde_json::Value;

use crate::fake_slack::{self, FakeSlack, Message};
use crate::harness::{fake_workspace, pacific, BOT_TOKEN, CHANNEL, RM, SIGNING_SECRET};
use crate::servers::postgres::Postgres;

const GOLIVE: &str = env!("CARGO_BIN_EXE_golive");

/// Virtual seconds per real second.
const SPEED: i64 = 3600;
const LEASE_SECS: &str = "2";

const ON_CALL: &str = "U0ONCALL";
const VOTERS: [(&str, &str); 6] = [
    ("engineering-lead", "U0ENG"),
    ("qa-lead", "U0QA"),
    ("sre-lead", "U0SRELEAD"),
    ("security-lead", "U0SEC"),
    ("product-manager", "U0PM"),
    ("support-lead", "U0SUP"),
];

/// The rehearsal clock both replicas read: `start` at the wall-clock instant `anchor`.
#[derive(Clone, Copy)]
struct LaunchClock {
    start: DateTime<Utc>,
    anchor: DateTime<Utc>,
}

impl LaunchClock {
    /// When (real time) the bots' clock reads `at`.
    fn real(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.anchor + (at - self.start) / SPEED as i32
    }

    /// Waits until the bots' clock reads `at`.
    async fn reach(&self, at: DateTime<Utc>) {
        let left = (self.real(at) - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(left).await;
    }
}

/// One `golive serve` process, killed when dropped.
struct Replica {
    name: &'static str,
    address: String,
    child: Child,
    log: std::path::PathBuf,
}

impl Replica {
    fn start(
        name: &'static str,
        database_url: &str,
        fake: &FakeSlack,
        clock: LaunchClock,
        dir: &std::path::Path,
    ) -> Replica {
        let port = crate::servers::free_port();
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(GOLIVE)
            .arg("serve")
            .env_clear()
            .env("RUST_LOG", "info")
            .env("DATABASE_URL", database_url)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("SLACK_API_URL", fake.api_url())
            .env("GOLIVE_LISTEN", format!("127.0.0.1:{port}"))
            .env("GOLIVE_REPLICA_ID", name)
            .env("GOLIVE_LEASE_SECS", LEASE_SECS)
            .env("GOLIVE_RELEASE_MANAGERS", RM)
            .env("GOLIVE_LAUNCH_DATE", "2026-03-10")
            .env("GOLIVE_CLOCK_START", clock.start.to_rfc3339())
            .env("GOLIVE_CLOCK_SPEED", SPEED.to_string())
            .env("GOLIVE_CLOCK_ANCHOR", clock.anchor.to_rfc3339())
            .stdout(out.try_clone().expect("the log again"))
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .expect("golive starts");
        Replica {
            name,
            address: format!("http://127.0.0.1:{port}"),
            child,
            log,
        }
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}):\n{}", self.name, self.log_tail());
            }
            let healthy = client
                .get(format!("{}/healthz", self.address))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{} never answered /healthz:\n{}",
            self.name,
            self.log_tail()
        );
    }

    /// SIGKILL: no shutdown, no letting go of anything.
    fn kill(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn post_signed(&self, path: &str, body: String) -> Option<u16> {
        let timestamp = Utc::now().timestamp();
        let signature = fake_slack::sign(SIGNING_SECRET, timestamp, &body);
        let sent = reqwest::Client::new()
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .ok()?;
        Some(sent.status().as_u16())
    }

    async fn command(&self, fake: &FakeSlack, user: &str, text: &str) -> String {
        let form = fake_slack::slash_command_form(user, CHANNEL, text, &fake.response_url("cmd"));
        let timestamp = Utc::now().timestamp();
        let signature = fake_slack::sign(SIGNING_SECRET, timestamp, &form);
        let reply = reqwest::Client::new()
            .post(format!("{}/slack/commands", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(form)
            .send()
            .await
            .expect("the replica answers");
        let body: Value = reply.json().await.expect("a message");
        body["text"].as_str().unwrap_or_default().to_string()
    }

    /// Delivers a click payload; the HTTP status when it was acknowledged.
    async fn interact(&self, payload: &Value) -> Option<u16> {
        let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.post_signed("/slack/interactivity", form).await
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vote_message(fake: &FakeSlack) -> Option<Message> {
    fake.messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Go/no-go vote:"))
}

fn button_value(message: &Message, action_id: &str) -> String {
    let blocks = message.blocks.as_array().expect("blocks");
    blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action_id"] == action_id)
        .and_then(|e| e["value"].as_str().map(str::to_string))
        .expect("the button")
}

/// Polls `probe` until it is true, for at most `within` (real time).
async fn eventually(within: Duration, what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !probe() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The keys golive tagged its channel posts with, each with how many posts carry it.
fn tagged_posts(fake: &FakeSlack) -> HashMap<String, usize> {
    let mut keys = HashMap::new();
    for message in fake.all_posts() {
        let key = message
            .metadata
            .as_ref()
            .and_then(|m| m["event_payload"]["key"].as_str())
            .map(str::to_string);
        if let Some(key) = key {
            *keys.entry(key).or_insert(0) += 1;
        }
    }
    keys
}

fn pages(fake: &FakeSlack, user: &str, level: &str) -> usize {
    fake.messages(user)
        .iter()
        .filter(|m| m.text.contains(&format!("You are paged ({level}")))
        .count()
}

#[tokio::test]
async fn a_launch_day_on_two_replicas_survives_one_killed_halfway_with_nothing_lost_or_doubled() {
    let postgres = Postgres::shared();
    let database_url = postgres.fresh_database("failover");
    let fake = fake_workspace().await;
    // Every channel post takes a moment, as real Slack's do: the kill lands with work in flight.
    fake.slow_down(CHANNEL, Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let clock = LaunchClock {
        start: pacific("2026-03-10", "05:00"),
        anchor: Utc::now() + TimeDelta::seconds(4),
    };
    let mut replicas = vec![
        Replica::start("replica-a", &database_url, &fake, clock, dir.path()),
        Replica::start("replica-b", &database_url, &fake, clock, dir.path()),
    ];
    for replica in &mut replicas {
        replica.wait_ready().await;
    }

    // While the clock still reads 05:00: roles, then the go/no-go vote, clicked on both
    // replicas, each click also delivered a second time to the other one.
    let release = Plan::embedded().release.id();
    let holder_of = || {
        let held = postgres.psql(
            database_name(&database_url),
            &format!("SELECT holder || ' ' || token FROM leases WHERE name = '{release}'"),
        );
        let (holder, token) = held.trim().split_once(' ').expect("the launch is held");
        (holder.to_string(), token.parse::<i64>().expect("a token"))
    };
    let reply = replicas[0]
        .command(&fake, RM, &format!("role on-call <@{ON_CALL}>"))
        .await;
    assert!(reply.contains("is now held by"), "{reply}");
    for (n, (role, user)) in VOTERS.iter().enumerate() {
        let reply = replicas[n % 2]
            .command(&fake, RM, &format!("role {role} <@{user}>"))
            .await;
        assert!(reply.contains("is now held by"), "{reply}");
    }
    let opened = replicas[1]
        .command(&fake, RM, "gonogo open --deadline 06:30")
        .await;
    assert!(opened.contains("Go/no-go vote opened"), "{opened}");
    eventually(Duration::from_secs(10), "the vote is posted", || {
        vote_message(&fake).is_some()
    })
    .await;

    // The vote burst, the replica holding the launch killed in the middle of it. Each click goes
    // to both replicas (Slack's redelivery reaching the other one); one the dead replica cannot
    // acknowledge is clicked again, as a person would, and the balancer sends it to the other.
    let vote = vote_message(&fake).unwrap();
    let value = button_value(&vote, "vote.go");
    let click = |user: &str| {
        fake_slack::block_actions_payload(
            user,
            &vote,
            "vote",
            "vote.go",
            &value,
            &fake.response_url("click"),
        )
    };
    let (first_holder, first_token) = holder_of();
    let killed = replicas
        .iter()
        .position(|r| r.name == first_holder)
        .expect("a replica holds the launch");
    let mut acknowledged = 0;
    for (n, (_, user)) in VOTERS.iter().enumerate() {
        if n == VOTERS.len() / 2 {
            replicas[killed].kill();
        }
        let payload = click(user);
        let (one, two) = tokio::join!(
            replicas[n % 2].interact(&payload),
            replicas[1 - n % 2].interact(&payload)
        );
        if one.is_none() && two.is_none() {
            let again = replicas[1 - killed].interact(&click(user)).await;
            assert_eq!(again, Some(200), "the survivor acknowledges");
        }
        acknowledged += 1;
    }
    eventually(Duration::from_secs(10), "one tally of six Go", || {
        vote_message(&fake).is_some_and(|m| m.text.contains("Go 6 · No-Go 0 · not voted 0"))
    })
    .await;
    let stored = postgres.psql(database_name(&database_url), "SELECT COUNT(*) FROM ballots");
    assert_eq!(
        stored.trim(),
        acknowledged.to_string(),
        "every acknowledged click, once"
    );
    eventually(
        Duration::from_secs(20),
        "the survivor takes the launch",
        || holder_of().0 == replicas[1 - killed].name,
    )
    .await;
    assert!(holder_of().1 > first_token, "a new holder, a new token");

    // The dead replica comes back under its name, behind the one that holds the launch now.
    let name = replicas[killed].name;
    replicas[killed] = Replica::start(name, &database_url, &fake, clock, dir.path());
    replicas[killed].wait_ready().await;

    // Halfway through the day: a P0, and the replica holding the launch dies while it pages.
    clock.reach(pacific("2026-03-10", "11:30")).await;
    let holder = 1 - killed;
    let opened = replicas[holder]
        .command(&fake, RM, "escalate P0 payments down")
        .await;
    assert!(opened.contains("INC-1"), "{opened}");
    let (_, second_token) = holder_of();
    replicas[holder].kill();
    let survivor = &replicas[killed];
    eventually(
        Duration::from_secs(20),
        "the replica that came back takes over",
        || holder_of().0 == survivor.name,
    )
    .await;
    assert!(holder_of().1 > second_token, "a new holder, a new token");

    // The day runs to its end on it.
    clock.reach(pacific("2026-03-10", "19:00")).await;
    let plan = Plan::embedded();
    let milestones: Vec<String> = plan
        .launch_day
        .iter()
        .map(|m| format!("milestone:{}", m.key))
        .collect();
    eventually(Duration::from_secs(30), "every milestone is posted", || {
        let posted = tagged_posts(&fake);
        milestones.iter().all(|key| posted.contains_key(key))
    })
    .await;
    eventually(Duration::from_secs(30), "the P0 reaches L2", || {
        pages(&fake, "U0ENG", "L2") >= 1
    })
    .await;
    let posted = tagged_posts(&fake);
    let doubled: Vec<_> = posted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubled.is_empty(),
        "posted twice: {doubled:?}\n{}",
        survivor.log_tail()
    );
    assert_eq!(pages(&fake, ON_CALL, "L1"), 1, "the L1 page, once");
    assert_eq!(pages(&fake, "U0ENG", "L2"), 1, "the L2 page, once");
    let deploy = fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.contains("Production deployment begins"))
        .expect("the deployment milestone");
    assert!(
        !deploy.text.contains("BLOCKED"),
        "six Go on two replicas made one decision: {}",
        deploy.text
    );
}

/// The database name at the end of a URL.
fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}
