//! Two replicas in one test process on one real PostgreSQL, sharing the fake Slack and the
//! manual clock (which the leases run on): what one changes the other shows, their clicks make
//! one tally, and a holder that is only slow cannot record an outcome once its lease has passed.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use golive::config::ReplicaConfig;
use golive::scheduler::heartbeat;
use golive::storage::jobs::{self, JobState};

use crate::fake_slack::{self, Message};
use crate::harness::{date, pacific, spawn_app_on_postgres, Options, TestApp, CHANNEL, MEMBER, RM};
use crate::servers::postgres::Postgres;

const ON_CALL: &str = "U0ONCALL";

fn named(name: &str) -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-09", "09:00"),
        replica: ReplicaConfig {
            id: Some(name.to_string()),
            ..ReplicaConfig::default()
        },
        ..Options::default()
    }
}

/// Replica a, which holds the launch (it started first), and replica b.
async fn two_replicas() -> (TestApp, TestApp) {
    let a = spawn_app_on_postgres(named("replica-a")).await;
    let b = a.replica(named("replica-b")).await;
    (a, b)
}

/// Asks `app` for its status until `shows` holds, for at most `within`.
async fn status_until(app: &TestApp, within: Duration, shows: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let status = app.command(MEMBER, "status").await.text();
        if shows(&status) {
            return status;
        }
        assert!(started.elapsed() < within, "never shown: {status}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn database(app: &TestApp) -> String {
    app.database_url.rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn what_one_replica_changes_the_other_shows_in_its_status_within_a_second() {
    let (a, b) = two_replicas().await;
    let before = b.command(MEMBER, "status").await.text();
    assert!(before.contains("nobody holds: on-call"), "{before}");
    let moved = a.command(RM, "launch-date 2026-03-17").await.text();
    assert!(moved.contains("L-Day is now 2026-03-17"), "{moved}");
    a.command(RM, &format!("role on-call <@{ON_CALL}>")).await;
    a.command(MEMBER, "escalate P2 slow exports").await;
    // b answers from its own memory: it shows the three changes once it has followed the store.
    let status = status_until(&b, Duration::from_secs(1), |s| {
        s.contains("7 d ") && !s.contains("nobody holds: on-call") && s.contains("INC-1")
    })
    .await;
    assert!(status.contains("incident INC-1 P2"), "{status}");
}

#[tokio::test]
async fn clicks_on_two_replicas_make_one_tally_and_a_redelivery_to_the_other_counts_once() {
    let (a, b) = two_replicas().await;
    let voters = ["U0ENG", "U0QA", "U0SRELEAD", "U0SEC", "U0PM", "U0SUP"];
    let roles = [
        "engineering-lead",
        "qa-lead",
        "sre-lead",
        "security-lead",
        "product-manager",
        "support-lead",
    ];
    for (role, user) in roles.iter().zip(voters) {
        a.command(RM, &format!("role {role} <@{user}>")).await;
    }
    let opened = b.command(RM, "gonogo open").await.text();
    assert!(opened.contains("Go/no-go vote opened"), "{opened}");
    let vote = a
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Go/no-go vote:"))
        .expect("the vote is posted");
    let value = go_value(&vote);
    let clicks = voters.iter().enumerate().map(|(n, user)| {
        let payload = fake_slack::block_actions_payload(
            user,
            &vote,
            "vote",
            "vote.go",
            &value,
            &a.fake.response_url("click"),
        );
        let (first, again) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        async move { tokio::join!(first.interact(&payload), again.interact(&payload)) }
    });
    for (one, two) in futures_util::future::join_all(clicks).await {
        assert_eq!((one.status, two.status), (200, 200));
    }
    a.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 6 · No-Go 0 · not voted 0")
    })
    .await;
    let mut conn = b.state.db.acquire().await.unwrap();
    let stored = golive::storage::votes::latest(&mut conn, &b.state.release.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.vote.ballots.len(), 6);
    let ballots = a
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "ballot")
        .count();
    assert_eq!(ballots, 6, "each click counted once, on whichever replica");
}

fn go_value(vote: &Message) -> String {
    let actions = vote.blocks.as_array().unwrap().iter();
    let row = actions.clone().find(|b| b["type"] == "actions").unwrap();
    row["elements"][0]["value"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_holder_only_slow_past_its_lease_has_its_late_outcome_refused_and_nothing_doubles() {
    let (a, b) = two_replicas().await;
    a.command(RM, &format!("role on-call <@{ON_CALL}>")).await;
    // Slack takes a's page at once but is slow to say so.
    let answer = a.fake.hold_answers(ON_CALL);
    a.command(MEMBER, "escalate P2 slow exports").await;
    a.state.scheduler.wake();
    let fake = a.fake.clone();
    tokio::time::timeout(Duration::from_secs(10), async {
        while fake.messages(ON_CALL).is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the page reaches Slack");
    // a stalls: its heartbeat misses its beats, so its row runs out and b takes the launch.
    Postgres::shared().psql(
        &database(&a),
        "UPDATE replicas SET until_ms = 0 WHERE holder = 'replica-a'",
    );
    heartbeat::beat(&b.state).await.unwrap();
    b.clock.advance(TimeDelta::seconds(10));
    b.run_due_jobs().await;
    // b found a's page in the DM by its tag and recorded it; then a hears back from Slack.
    answer.send_replace(true);
    a.state.scheduler.apart.settled().await;
    let pages: Vec<_> = a
        .fake
        .messages(ON_CALL)
        .into_iter()
        .filter(|m| m.text.contains("You are paged"))
        .collect();
    assert_eq!(pages.len(), 1, "{pages:#?}");
    let mut conn = b.state.db.acquire().await.unwrap();
    let page = jobs::list(&mut conn, &b.state.release.id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.ts.as_deref() == Some(pages[0].ts.as_str()))
        .expect("the page's job recorded the page");
    assert_eq!(page.state, JobState::Done);
    assert!(page.lease >= 2, "b's claim recorded it: {page:?}");
    let sent = b
        .audit()
        .await
        .into_iter()
        .filter(|e| e.detail.contains(&page.key) && e.detail.contains("sent"))
        .count();
    assert_eq!(sent, 1, "one outcome recorded: b's");
}

#[tokio::test]
async fn a_replica_that_stops_hands_its_launch_over_at_the_next_beat() {
    let (mut a, b) = two_replicas().await;
    let holder = |app: &TestApp| {
        Postgres::shared().psql(
            &database(app),
            "SELECT holder FROM leases WHERE name = 'summit-4.0.0'",
        )
    };
    assert_eq!(holder(&b).trim(), "replica-a");
    a.shutdown().await;
    heartbeat::beat(&b.state).await.unwrap();
    assert_eq!(
        holder(&b).trim(),
        "replica-b",
        "no wait for a lease to run out"
    );
}

#[tokio::test]
async fn in_socket_mode_each_replica_holds_a_connection_and_a_redelivered_event_counts_once() {
    let socket = |name| Options {
        socket_mode: true,
        ..named(name)
    };
    let a = spawn_app_on_postgres(socket("replica-a")).await;
    let b = a.replica(socket("replica-b")).await;
    let fake = a.fake.clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.socket_connections() < 2 {
        assert!(Instant::now() < deadline, "both replicas connect");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Slack spreads envelopes over the connections: both replicas answer commands.
    for _ in 0..4 {
        let payload =
            fake_slack::slash_command_payload(MEMBER, CHANNEL, "status", &fake.response_url("s"));
        let ack = fake.send_envelope("slash_commands", payload, true).await;
        let text = ack["payload"]["text"].as_str().unwrap_or_default();
        assert!(text.contains("Summit 4.0.0"), "{ack}");
    }
    for app in [&a, &b] {
        let metrics = app.state.metrics.render();
        assert!(
            metrics.contains("command=\"status\""),
            "each replica answered some: {metrics}"
        );
    }
    // Slack's redelivery of an event reaches the other replica: Home is published once.
    let opened = serde_json::json!({"type": "app_home_opened", "user": MEMBER,
        "channel": "D0HOME", "tab": "home", "event_ts": "1773150000.000100"});
    for _ in 0..2 {
        let envelope = fake_slack::event_callback("Ev0REDELIVERED", opened.clone());
        fake.send_envelope("events_api", envelope, false).await;
    }
    a.settled().await;
    b.settled().await;
    let published = fake
        .views_published()
        .into_iter()
        .filter(|(user, _)| user == MEMBER)
        .count();
    assert_eq!(published, 1);
}
