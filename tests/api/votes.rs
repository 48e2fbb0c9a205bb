//! The go/no-go vote as people use it: opened by a release manager, voted with buttons and a
//! reason modal, closed by command or at the deadline on the bot's clock, and the gate it puts
//! on production deployment.

use std::sync::Arc;
use std::time::Duration;

use golive::slack::action_id::NO_GO_REASON_MODAL;

use crate::fake_slack::Message;
use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

/// One holder per voting role.
const VOTERS: [(&str, &str); 6] = [
    ("engineering-lead", "U0ENG"),
    ("qa-lead", "U0QA"),
    ("sre-lead", "U0SRELEAD"),
    ("security-lead", "U0SEC"),
    ("product-manager", "U0PM"),
    ("support-lead", "U0SUP"),
];

/// The morning before L-Day; the plan's vote closes at L-1 15:00 PDT.
fn day_before() -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-09", "09:00"),
        ..Options::default()
    }
}

async fn with_voters(options: Options) -> TestApp {
    let app = spawn_app(options).await;
    for (role, user) in VOTERS {
        let reply = app.command(RM, &format!("role {role} <@{user}>")).await;
        assert!(reply.text().contains("is now held by"), "{}", reply.text());
    }
    app
}

/// Opens the vote and returns its message.
async fn open_vote(app: &TestApp) -> Message {
    let reply = app.command(RM, "gonogo open").await.text();
    assert!(reply.contains("Go/no-go vote opened"), "{reply}");
    vote_message(app)
}

fn vote_message(app: &TestApp) -> Message {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Go/no-go vote:"))
        .expect("the vote is posted")
}

fn value(message: &Message) -> String {
    let actions = message
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions");
    actions.expect("the vote is open")["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn go(app: &TestApp, user: &str, vote: &Message) {
    let (_, reply) = app.click(user, vote, "vote", "vote.go", &value(vote)).await;
    assert_eq!(reply.status, 200);
}

/// A No-Go by `user` with `reason`: the click, the modal, the submission.
async fn no_go(app: &TestApp, user: &str, vote: &Message, reason: &str) -> crate::harness::Reply {
    let opened = app.fake.views_opened().len();
    app.click(user, vote, "vote", "vote.nogo", &value(vote))
        .await;
    app.fake
        .wait_for_calls("views.open", opened + 1, Duration::from_secs(5))
        .await;
    let view = app.fake.views_opened()[opened].clone();
    assert_eq!(view["callback_id"], NO_GO_REASON_MODAL);
    assert_eq!(view["private_metadata"], value(vote));
    app.submit(user, &view, "reason", "reason_input", reason)
        .await
}

async fn ballots(app: &TestApp) -> Vec<golive::domain::vote::Ballot> {
    let mut conn = app.state.db.acquire().await.unwrap();
    golive::storage::votes::latest(&mut conn, &app.state.release.id)
        .await
        .unwrap()
        .unwrap()
        .vote
        .ballots
}

#[tokio::test]
async fn a_release_manager_opens_the_vote_with_deadline_voters_and_buttons() {
    let app = with_voters(day_before()).await;
    let refused = app.command(MEMBER, "gonogo open").await.text();
    assert!(refused.contains("Only release managers"), "{refused}");

    let vote = open_vote(&app).await;
    assert!(
        vote.text.contains("Voting closes Mon 2026-03-09 15:00 PDT"),
        "{}",
        vote.text
    );
    let voters = vote.blocks[2]["text"]["text"].as_str().unwrap();
    for (_, user) in VOTERS {
        assert!(voters.contains(&format!("<@{user}>")), "{voters}");
    }
    assert_eq!(vote.blocks[4]["elements"][0]["text"]["text"], "Go");
    assert_eq!(vote.blocks[4]["elements"][1]["text"]["text"], "No-Go");
    let again = app.command(RM, "gonogo open").await.text();
    assert!(again.contains("already open"), "{again}");
}

#[tokio::test]
async fn a_vote_cannot_open_while_a_voting_role_is_vacant() {
    let app = spawn_app(day_before()).await;
    let refused = app.command(RM, "gonogo open").await.text();
    assert!(
        refused.contains("Nobody holds engineering-lead"),
        "{refused}"
    );
}

#[tokio::test]
async fn the_message_shows_live_who_voted_what_and_a_changed_vote_replaces_the_first() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    go(&app, "U0ENG", &vote).await;
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 1 · No-Go 0 · not voted 5")
    })
    .await;

    let reply = no_go(&app, "U0ENG", &vote, "load test failed at 80%").await;
    assert_eq!(reply.status, 200);
    let changed = app
        .wait_for_message(&vote.ts, |m| {
            m.text.contains("Go 0 · No-Go 1 · not voted 5")
        })
        .await;
    let voters = changed.blocks[2]["text"]["text"].as_str().unwrap();
    assert!(
        voters.contains("<@U0ENG> (Engineering Lead): No-Go: _load test failed at 80%_"),
        "{voters}"
    );

    go(&app, "U0ENG", &vote).await;
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 1 · No-Go 0 · not voted 5")
    })
    .await;
    assert_eq!(ballots(&app).await.len(), 1, "one ballot per voter");
}

#[tokio::test]
async fn a_no_go_without_a_reason_keeps_the_modal_open_with_an_error() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    let reply = no_go(&app, "U0QA", &vote, "   ").await;
    let body = reply.json();
    assert_eq!(body["response_action"], "errors");
    assert_eq!(body["errors"]["reason"], "A No-Go needs a reason.");
    assert!(ballots(&app).await.is_empty());
}

#[tokio::test]
async fn a_non_voters_click_is_refused_and_not_counted() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    go(&app, MEMBER, &vote).await;
    let told = app.wait_for_ephemerals(MEMBER, 1).await;
    assert!(told[0].contains("Only the voters can vote"), "{told:?}");
    assert!(told[0].contains("not counted"), "{told:?}");
    app.click(MEMBER, &vote, "vote", "vote.nogo", &value(&vote))
        .await;
    let told = app.wait_for_ephemerals(MEMBER, 2).await;
    assert!(told[1].contains("Only the voters"), "{told:?}");
    assert!(
        app.fake.views_opened().is_empty(),
        "no modal for a non-voter"
    );
    assert!(ballots(&app).await.is_empty());
    assert!(!app.message(&vote.ts).edited);
}

#[tokio::test]
async fn the_deadline_closes_the_vote_and_a_missing_vote_means_no_go() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    for (_, user) in &VOTERS[..5] {
        go(&app, user, &vote).await;
    }
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 5 · No-Go 0 · not voted 1")
    })
    .await;
    app.advance_to(pacific("2026-03-09", "14:59")).await;
    assert!(app.channel_texts().iter().all(|t| !t.contains("decision")));

    app.advance_to(pacific("2026-03-09", "15:00")).await;
    let decision = app
        .channel_texts()
        .into_iter()
        .find(|t| t.starts_with("Go/no-go decision"))
        .expect("the decision is posted");
    assert!(
        decision.contains("No-Go. Go 5 · No-Go 0 · not voted 1"),
        "{decision}"
    );
    assert!(decision.contains("Not voted: U0SUP"), "{decision}");
    let closed = app
        .wait_for_message(&vote.ts, |m| m.text.contains("Decision: No-Go"))
        .await;
    assert!(closed
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["type"] != "actions"));
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "gonogo-close" && e.actor == "golive"));

    // A click on the closed vote is answered and changes nothing.
    go(&app, "U0SUP", &vote).await;
    let told = app.wait_for_ephemerals("U0SUP", 1).await;
    assert!(
        told[0].contains("This vote is closed with a No-Go decision"),
        "{told:?}"
    );
    assert_eq!(ballots(&app).await.len(), 5);
}

#[tokio::test]
async fn closing_by_command_decides_go_posts_the_reasons_and_ticks_the_meeting_item() {
    let app = with_voters(day_before()).await;
    app.command(MEMBER, "checklist l-1").await;
    let vote = open_vote(&app).await;
    for (_, user) in VOTERS {
        go(&app, user, &vote).await;
    }
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 6 · No-Go 0 · not voted 0")
    })
    .await;
    let refused = app.command(MEMBER, "gonogo close").await.text();
    assert!(refused.contains("Only release managers"), "{refused}");
    let closed = app.command(RM, "gonogo close").await.text();
    assert!(closed.contains("Vote closed: Go"), "{closed}");
    let decision = app
        .channel_texts()
        .into_iter()
        .find(|t| t.starts_with("Go/no-go decision"))
        .unwrap();
    assert!(
        decision.contains("Go. Go 6 · No-Go 0 · not voted 0"),
        "{decision}"
    );
    let checklist = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("L-1 Day"))
        .unwrap();
    let ticked = app
        .wait_for_message(&checklist.ts, |m| m.text.contains("1 of 7 done"))
        .await;
    assert!(
        ticked
            .text
            .contains("[x] Final go/no-go meeting held (Release Engineering): done by golive"),
        "{}",
        ticked.text
    );
    let status = app.command(MEMBER, "gonogo status").await.text();
    assert!(status.contains("Decision: Go"), "{status}");
}

#[tokio::test]
async fn a_no_go_decision_lists_each_reason() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    for (_, user) in &VOTERS[1..] {
        go(&app, user, &vote).await;
    }
    no_go(&app, "U0ENG", &vote, "P1 regression in billing").await;
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 5 · No-Go 1 · not voted 0")
    })
    .await;
    app.command(RM, "gonogo close").await;
    let decision = app
        .channel_texts()
        .into_iter()
        .find(|t| t.starts_with("Go/no-go decision"))
        .unwrap();
    assert!(
        decision.contains("No-Go from U0ENG: P1 regression in billing"),
        "{decision}"
    );
}

#[tokio::test]
async fn a_deadline_given_as_a_time_of_day_closes_the_vote_then() {
    let app = with_voters(day_before()).await;
    let reply = app.command(RM, "gonogo open --deadline 11:30").await.text();
    assert!(reply.contains("closes Mon 2026-03-09 11:30 PDT"), "{reply}");
    let vote = vote_message(&app);
    go(&app, "U0ENG", &vote).await;
    app.wait_for_message(&vote.ts, |m| m.text.contains("Go 1 ·"))
        .await;
    app.advance_to(pacific("2026-03-09", "11:30")).await;
    app.wait_for_message(&vote.ts, |m| m.text.contains("Decision: No-Go"))
        .await;
    let status = app.command(MEMBER, "gonogo status").await.text();
    assert!(status.contains("Decision: No-Go"), "{status}");
}

#[tokio::test]
async fn fifty_voters_clicking_at_once_lose_no_vote() {
    let app = spawn_app(day_before()).await;
    let users: Vec<String> = (0..50).map(|n| format!("U0VOTER{n:02}")).collect();
    let mentions: Vec<String> = users.iter().map(|u| format!("<@{u}>")).collect();
    for (role, _) in VOTERS {
        app.command(RM, &format!("role {role} {}", mentions.join(" ")))
            .await;
    }
    let vote = open_vote(&app).await;
    let app = Arc::new(app);
    let clicks: Vec<_> = users
        .iter()
        .map(|user| {
            let (app, vote, user) = (app.clone(), vote.clone(), user.clone());
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                go(&app, &user, &vote).await;
                started.elapsed()
            })
        })
        .collect();
    for click in clicks {
        let acknowledged_in = click.await.unwrap();
        assert!(
            acknowledged_in < Duration::from_secs(3),
            "{acknowledged_in:?}"
        );
    }
    app.wait_for_message(&vote.ts, |m| {
        m.text.contains("Go 50 · No-Go 0 · not voted 0")
    })
    .await;
    assert_eq!(ballots(&app).await.len(), 50);
}

#[tokio::test]
async fn a_click_slack_delivers_twice_counts_once() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    let (payload, _) = app
        .click("U0ENG", &vote, "vote", "vote.go", &value(&vote))
        .await;
    let again = app.interact(&payload).await;
    assert_eq!(again.status, 200);
    go(&app, "U0QA", &vote).await;
    app.wait_for_message(&vote.ts, |m| m.text.contains("Go 2 ·"))
        .await;
    let cast = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "ballot" && e.actor == "U0ENG")
        .count();
    assert_eq!(cast, 1);
}

/// Launch day, half an hour before production deployment (07:00 PDT).
fn launch_morning() -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", "06:30"),
        ..Options::default()
    }
}

#[tokio::test]
async fn without_a_go_production_deployment_is_posted_blocked_and_release_managers_alerted() {
    let app = spawn_app(launch_morning()).await;
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    let post = deployment_post(&app);
    assert!(
        post.text
            .contains("BLOCKED (no Go recorded: no go/no-go vote has been held)"),
        "{}",
        post.text
    );
    let blocks = post.blocks.to_string();
    assert!(
        blocks.contains(&format!("Release managers: <@{RM}>")),
        "{blocks}"
    );
    let dm = app.fake.messages(RM);
    assert_eq!(dm.len(), 1, "each release manager is told directly");
    assert!(dm[0].text.contains("BLOCKED"), "{}", dm[0].text);
}

#[tokio::test]
async fn with_a_go_production_deployment_is_posted_as_usual() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    for (_, user) in VOTERS {
        go(&app, user, &vote).await;
    }
    app.wait_for_message(&vote.ts, |m| m.text.contains("Go 6 ·"))
        .await;
    app.advance_to(pacific("2026-03-09", "15:00")).await;
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    let post = deployment_post(&app);
    assert!(
        post.text
            .starts_with("Launch-day milestone · L: Production deployment begins"),
        "{}",
        post.text
    );
    assert!(!post.text.contains("BLOCKED"));
    assert!(app.fake.messages(RM).is_empty(), "no alert");
}

#[tokio::test]
async fn after_a_no_go_production_deployment_is_blocked_with_the_decision() {
    let app = with_voters(day_before()).await;
    open_vote(&app).await;
    app.advance_to(pacific("2026-03-09", "15:00")).await;
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    let post = deployment_post(&app);
    assert!(
        post.text
            .contains("the vote decided No-Go at Mon 2026-03-09 15:00 PDT"),
        "{}",
        post.text
    );
}

/// The 07:00 launch-day milestone as posted.
fn deployment_post(app: &TestApp) -> Message {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.contains("Production deployment begins"))
        .expect("the deployment milestone is posted")
}

#[tokio::test]
async fn a_click_whose_value_golive_did_not_write_is_refused_and_changes_nothing() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    let (_, reply) = app
        .click("U0ENG", &vote, "vote", "vote.go", r#"{"forged":true}"#)
        .await;
    assert_eq!(reply.status, 200, "acknowledged like any click");
    let told = app.wait_for_ephemerals("U0ENG", 1).await;
    assert!(told[0].contains("not golive's"), "{told:?}");
    assert!(ballots(&app).await.is_empty(), "nothing was counted");
}

#[tokio::test]
async fn a_no_go_form_with_metadata_golive_did_not_write_keeps_the_modal_open() {
    let app = with_voters(day_before()).await;
    let vote = open_vote(&app).await;
    let opened = app.fake.views_opened().len();
    app.click("U0ENG", &vote, "vote", "vote.nogo", &value(&vote))
        .await;
    app.fake
        .wait_for_calls("views.open", opened + 1, Duration::from_secs(5))
        .await;
    let mut view = app.fake.views_opened()[opened].clone();
    view["private_metadata"] = r#"{"v":"forged"}"#.into();
    let reply = app
        .submit("U0ENG", &view, "reason", "reason_input", "looks bad")
        .await;
    let answer = reply.json();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    assert!(
        answer["errors"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not golive's"),
        "{answer}"
    );
    assert!(ballots(&app).await.is_empty(), "nothing was counted");
}
