//! Two replicas in one test process on one real PostgreSQL, sharing the fake Slack and the
//! manual clock (which the leases run on): what one changes the other shows, their clicks make
//! one tally, and a holder that is only slow cannot record an outcome once its lease has passed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use golive::config::ReplicaConfig;
use golive::scheduler::heartbeat;
use golive::storage::jobs::{self, JobState};
use golive::workflows::launch::plan_sync::{bring_in_step, Reading};

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

/// Waits for both replicas to settle until message `ts` is as `shows` wants, for at most 10 s:
/// what b asks of a's messages reaches a by a notification.
async fn message_until(apps: [&TestApp; 2], ts: &str, shows: impl Fn(&Message) -> bool) -> Message {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for app in apps {
            app.settled().await;
        }
        let message = apps[0].message(ts);
        if shows(&message) {
            return message;
        }
        assert!(Instant::now() < deadline, "never shown: {}", message.text);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The six roles the go/no-go vote needs, and who holds each.
const VOTERS: [(&str, &str); 6] = [
    ("engineering-lead", "U0ENG"),
    ("qa-lead", "U0QA"),
    ("sre-lead", "U0SRELEAD"),
    ("security-lead", "U0SEC"),
    ("product-manager", "U0PM"),
    ("support-lead", "U0SUP"),
];

/// Assigns the voters' roles on `roles` and opens the go/no-go vote on `opener`; returns its
/// message.
async fn open_vote(roles: &TestApp, opener: &TestApp) -> Message {
    for (role, user) in VOTERS {
        roles.command(RM, &format!("role {role} <@{user}>")).await;
    }
    let opened = opener.command(RM, "gonogo open").await.text();
    assert!(opened.contains("Go/no-go vote opened"), "{opened}");
    opener
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Go/no-go vote:"))
        .expect("the vote is posted")
}

fn go_click(app: &TestApp, voter: &str, vote: &Message) -> serde_json::Value {
    let url = app.fake.response_url("click");
    fake_slack::block_actions_payload(voter, vote, "vote", "vote.go", &go_value(vote), &url)
}

#[tokio::test]
async fn only_the_holder_updates_a_message_and_it_renders_what_the_other_replica_changed() {
    let (a, b) = two_replicas().await;
    let vote = open_vote(&b, &b).await;
    let updates = || a.fake.calls("chat.update");
    a.settled().await;
    b.settled().await;
    let before = updates();
    assert_eq!(b.interact(&go_click(&b, "U0ENG", &vote)).await.status, 200);
    let shown = message_until([&a, &b], &vote.ts, |m| m.text.contains("Go 1 ·")).await;
    assert!(shown.text.contains("not voted 5"), "{}", shown.text);
    let made = updates() - before;
    assert_eq!(made, 1, "one chat.update, by a, for b's click");
}

#[tokio::test]
async fn what_was_asked_of_a_holder_that_stopped_is_rendered_by_the_one_taking_over() {
    let (mut a, b) = two_replicas().await;
    let vote = open_vote(&a, &a).await;
    a.shutdown().await;
    // b has not beaten since: it still takes a for the holder, and asks a to show the ballot.
    assert_eq!(b.interact(&go_click(&b, "U0ENG", &vote)).await.status, 200);
    b.settled().await;
    assert!(
        b.message(&vote.ts).text.contains("Go 0 ·"),
        "b updates nothing it does not hold"
    );
    heartbeat::beat(&b.state).await.unwrap();
    message_until([&b, &b], &vote.ts, |m| m.text.contains("Go 1 ·")).await;
}

#[tokio::test]
async fn a_page_queued_on_the_other_replica_goes_out_from_the_holder_at_once() {
    let (a, b) = two_replicas().await;
    b.command(RM, &format!("role on-call <@{ON_CALL}>")).await;
    b.command(MEMBER, "escalate P2 slow exports").await;
    // Nobody wakes a and the clock stands still: only b's change tells a there is a page due.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a
        .fake
        .messages(ON_CALL)
        .iter()
        .any(|m| m.text.contains("You are paged"))
    {
        assert!(Instant::now() < deadline, "a never sent the page b queued");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_plan_change_two_replicas_read_at_once_is_recorded_and_told_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::plan_files::plan_file(dir.path(), "4.0.0", "#v4-launch", "2026-03-10");
    let a = spawn_app_on_postgres(Options {
        plans: vec![path.clone()],
        ..named("replica-a")
    })
    .await;
    let source = std::fs::read_to_string(&path).unwrap();
    let status_check = |at: &str| format!("time = \"{at}\"\nactivity = \"Status check\"");
    let moved = source
        .replacen(&status_check("12:00"), &status_check("12:30"), 1)
        .replacen(
            "role = \"on-call\"",
            "role = \"on-call\"\nusers = [\"U0ONCALL2\"]",
            1,
        );
    std::fs::write(&path, moved).unwrap();
    let plan = Arc::new(golive::plans::load(&[path]).unwrap().remove(0).plan);
    let now = a.state.clock.now();
    let reading = move || Reading {
        launch_override: None,
        previous: None,
        release_managers: &[],
        now,
    };
    // Replica a reads the change and has not committed yet when replica b reads it too.
    let mut first = a.state.db.begin().await.unwrap();
    let one = bring_in_step(&mut first, &plan, reading()).await.unwrap();
    assert!(one.worth_telling(), "{one:?}");
    let (db, read) = (a.state.db.clone(), plan.clone());
    let mut second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let two = bring_in_step(&mut tx, &read, reading()).await.unwrap();
        tx.commit().await.unwrap();
        two
    });
    let waiting = "SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'";
    let deadline = Instant::now() + Duration::from_secs(10);
    while Postgres::shared().psql(&database(&a), waiting).trim() == "0" && !second.is_finished() {
        assert!(
            Instant::now() < deadline,
            "b neither waited for a nor finished"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.commit().await.unwrap();
    let two = (&mut second).await.unwrap();
    assert!(!two.worth_telling(), "b found the change a made: {two:?}");
    let recorded = a
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "plan")
        .count();
    assert_eq!(recorded, 1);
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
    let vote = open_vote(&a, &b).await;
    let clicks = VOTERS.iter().enumerate().map(|(n, (_, user))| {
        let payload = go_click(&a, user, &vote);
        let (first, again) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        async move { tokio::join!(first.interact(&payload), again.interact(&payload)) }
    });
    for (one, two) in futures_util::future::join_all(clicks).await {
        assert_eq!((one.status, two.status), (200, 200));
    }
    message_until([&a, &b], &vote.ts, |m| {
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
    // Only a stalls: b's row outlives the jump past a's page lease, so a's heartbeat, which the
    // jump wakes, cannot take the launch back from a b that looks dead too.
    Postgres::shared().psql(
        &database(&a),
        "UPDATE replicas SET until_ms = 9000000000000 WHERE holder = 'replica-b'",
    );
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
