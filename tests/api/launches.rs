//! Two launches in one bot: each in its own channel with its own L-Day, posts, status, vote and
//! incidents, nothing crossing over; and commands from a channel that is neither launch's.

use std::path::PathBuf;

use crate::fake_slack::Message;
use crate::harness::{
    action_value, pacific, plan_file, spawn_app, Options, TestApp, CHANNEL, MEMBER,
};

/// The second launch's channel as the fake workspace knows it.
const CHANNEL_41: &str = "C0LAUNCH41";
/// A channel that is no launch's.
const ELSEWHERE: &str = "C0RANDOM";
const V40: &str = "summit-4.0.0";
const V41: &str = "summit-4.1.0";

/// v4.0.0 in #v4-launch with L-Day 2026-03-10, v4.1.0 in #v41-launch a week later.
async fn two_launches() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let plans: Vec<PathBuf> = vec![
        plan_file(dir.path(), "4.0.0", "#v4-launch", "2026-03-10"),
        plan_file(dir.path(), "4.1.0", "#v41-launch", "2026-03-17"),
    ];
    let app = spawn_app(Options {
        clock_start: pacific("2026-03-09", "09:00"),
        plans,
        channels: vec![(CHANNEL_41, "v41-launch"), (ELSEWHERE, "random")],
        ..Options::default()
    })
    .await;
    (app, dir)
}

fn posted(app: &TestApp, channel: &str, starts: &str) -> Vec<Message> {
    app.fake
        .messages(channel)
        .into_iter()
        .filter(|m| m.text.starts_with(starts) || m.text.contains(starts))
        .collect()
}

async fn audit_of(app: &TestApp, release: &str) -> Vec<golive::storage::audit::AuditEntry> {
    let mut conn = app.state.db.acquire().await.unwrap();
    golive::storage::audit::list(&mut conn, release)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_launch_posts_its_schedule_in_its_own_channel_at_its_own_times() {
    let (app, _dir) = two_launches().await;
    app.advance_to(pacific("2026-03-10", "06:01")).await;
    let final_check = "Final deployment verification";
    assert_eq!(posted(&app, CHANNEL, final_check).len(), 1);
    assert!(posted(&app, CHANNEL_41, final_check).is_empty());

    app.advance_to(pacific("2026-03-17", "06:01")).await;
    assert_eq!(posted(&app, CHANNEL, final_check).len(), 1, "not again");
    assert_eq!(posted(&app, CHANNEL_41, final_check).len(), 1);
    let jobs = |release: &str| {
        let db = app.state.db.clone();
        let release = release.to_string();
        async move {
            let mut conn = db.acquire().await.unwrap();
            golive::storage::jobs::list(&mut conn, &release)
                .await
                .unwrap()
        }
    };
    let done_41 = jobs(V41).await.into_iter().filter(|j| j.done_at.is_some());
    for job in done_41 {
        assert!(
            job.channel.as_deref() != Some(CHANNEL),
            "{} of 4.1.0 posted in 4.0.0's channel",
            job.key
        );
    }
}

#[tokio::test]
async fn status_in_a_launch_channel_is_that_launchs_and_elsewhere_lists_both() {
    let (app, _dir) = two_launches().await;
    let here = app.command_in(CHANNEL, MEMBER, "status").await.text();
    assert!(here.contains("Summit 4.0.0"), "{here}");
    assert!(!here.contains("4.1.0"), "{here}");
    let there = app.command_in(CHANNEL_41, MEMBER, "status").await.text();
    assert!(there.contains("Summit 4.1.0"), "{there}");

    let elsewhere = app.command_in(ELSEWHERE, MEMBER, "status").await.text();
    assert!(elsewhere.contains("golive runs 2 launches"), "{elsewhere}");
    for line in [
        "Summit 4.0.0 (summit-4.0.0) in #v4-launch: L-Day Tue 2026-03-10",
        "Summit 4.1.0 (summit-4.1.0) in #v41-launch: L-Day Tue 2026-03-17",
    ] {
        assert!(elsewhere.contains(line), "{line} in {elsewhere}");
    }
    assert!(elsewhere.contains("no open incidents"), "{elsewhere}");
    let chosen = app
        .command_in(ELSEWHERE, MEMBER, "status --release summit-4.1.0")
        .await
        .text();
    assert!(chosen.contains("Summit 4.1.0"), "{chosen}");
    assert!(!chosen.contains("golive runs"), "{chosen}");
}

#[tokio::test]
async fn outside_a_launch_channel_a_command_names_its_launch_or_is_told_how() {
    let (app, _dir) = two_launches().await;
    let before = audit_of(&app, V40).await.len() + audit_of(&app, V41).await.len();
    let unsure = app
        .command_in(ELSEWHERE, MEMBER, "escalate P1 checkout is slow")
        .await
        .text();
    assert!(unsure.contains("golive runs 2 launches here"), "{unsure}");
    assert!(
        unsure.contains("`/golive escalate P1 checkout is slow --release summit-4.0.0`"),
        "{unsure}"
    );
    let unknown = app
        .command_in(ELSEWHERE, MEMBER, "incidents --release summit-9")
        .await
        .text();
    assert!(
        unknown.contains("golive runs no launch `summit-9`"),
        "{unknown}"
    );
    let broken = app
        .command_in(ELSEWHERE, MEMBER, "incidents --release")
        .await
        .text();
    assert!(
        broken.contains("`--release` needs a release key"),
        "{broken}"
    );
    let after = audit_of(&app, V40).await.len() + audit_of(&app, V41).await.len();
    assert_eq!(after, before, "nothing changed");

    let raised = app
        .command_in(
            ELSEWHERE,
            MEMBER,
            "escalate P1 checkout is slow --release summit-4.1.0",
        )
        .await
        .text();
    assert!(raised.contains("INC-1"), "{raised}");
    app.run_due_jobs().await;
    assert!(!posted(&app, CHANNEL_41, "INC-1 (P1)").is_empty());
    assert!(posted(&app, CHANNEL, "INC-1").is_empty());
    let help = app.command_in(ELSEWHERE, MEMBER, "help").await.text();
    assert!(help.contains("/golive status"), "{help}");
}

#[tokio::test]
async fn incidents_and_votes_stay_in_their_launch() {
    let (app, _dir) = two_launches().await;
    let a = app
        .command_in(CHANNEL, MEMBER, "escalate P1 checkout is slow")
        .await
        .text();
    let b = app
        .command_in(CHANNEL_41, MEMBER, "escalate P2 docs typo")
        .await
        .text();
    assert!(a.contains("INC-1") && b.contains("INC-1"), "{a} / {b}");
    app.run_due_jobs().await;
    let incident_41 = posted(&app, CHANNEL_41, "INC-1 (P2)")
        .into_iter()
        .find(|m| m.thread_ts.is_none())
        .expect("4.1.0's incident post");
    let ack = action_value(&incident_41, "incident.ack");
    assert!(ack.contains(V41), "{ack}");
    app.click(MEMBER, &incident_41, "incident", "incident.ack", &ack)
        .await;
    app.settled().await;
    let listed_40 = app.command_in(CHANNEL, MEMBER, "incidents").await.text();
    let listed_41 = app.command_in(CHANNEL_41, MEMBER, "incidents").await.text();
    assert!(!listed_40.contains("owner U0MEMBER"), "{listed_40}");
    assert!(listed_41.contains("owner U0MEMBER"), "{listed_41}");
    assert!(listed_41.contains("docs typo") && !listed_41.contains("checkout"));

    for channel in [CHANNEL, CHANNEL_41] {
        app.open_vote_held_by(channel, "U0ENG").await;
    }
    let vote_41 = posted(&app, CHANNEL_41, "Go/no-go vote:")
        .pop()
        .expect("4.1.0's vote");
    let go = action_value(&vote_41, "vote.go");
    assert!(go.contains(V41), "{go}");
    app.click("U0ENG", &vote_41, "vote", "vote.go", &go).await;
    app.settled().await;
    let ballots = |release: &'static str| {
        let db = app.state.db.clone();
        async move {
            let mut conn = db.acquire().await.unwrap();
            golive::storage::votes::latest(&mut conn, release)
                .await
                .unwrap()
                .unwrap()
                .vote
                .ballots
                .len()
        }
    };
    assert_eq!(ballots(V41).await, 1);
    assert_eq!(ballots(V40).await, 0);
    let ballot = |entries: Vec<golive::storage::audit::AuditEntry>| {
        entries.iter().filter(|e| e.action == "ballot").count()
    };
    assert_eq!(ballot(audit_of(&app, V41).await), 1);
    assert_eq!(ballot(audit_of(&app, V40).await), 0);
}
