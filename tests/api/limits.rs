//! Slack's limits and faults, as a careless typist and a failing Slack produce them: every
//! message stays within Block Kit's limits, a refused message still goes out, and the launch
//! channel keeps plan order while posts are retried.

use chrono::TimeDelta;

use crate::fake_slack::{Fault, Message};
use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, RM};

const ON_CALL: &str = "U0ONCALL";

fn at_launch(time: &str) -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", time),
        ..Options::default()
    }
}

/// golive with an on-call holder, so that incidents page someone.
async fn with_on_call(options: Options) -> TestApp {
    let app = spawn_app(options).await;
    let reply = app.command(RM, &format!("role on-call <@{ON_CALL}>")).await;
    assert!(reply.text().contains("is now held by"), "{}", reply.text());
    app
}

fn assert_nothing_refused(app: &TestApp) {
    let refused = app.fake.refused();
    assert!(refused.is_empty(), "Slack would have refused: {refused:#?}");
}

fn section_texts(message: &Message) -> Vec<String> {
    let blocks = message.blocks.as_array().cloned().unwrap_or_default();
    blocks
        .iter()
        .filter_map(|b| b["text"]["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_incident_with_a_4000_character_summary_is_posted_and_pages_on_call() {
    let app = with_on_call(Options::default()).await;
    let summary = "checkout times out for every customer in the EU region ".repeat(80);
    assert!(summary.chars().count() >= 4_000);
    let reply = app.command(RM, &format!("escalate P1 {summary}")).await;
    assert!(reply.text().contains("INC-1"), "{}", reply.text());
    app.run_due_jobs().await;

    let post = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.thread_ts.is_none() && m.text.starts_with("INC-1 ("))
        .expect("the incident post went out");
    assert!(
        section_texts(&post).iter().any(|t| t.contains('…')),
        "the summary is shortened where shown"
    );
    let pages = app.fake.messages(ON_CALL);
    assert_eq!(pages.len(), 1, "on-call is paged once");
    assert!(pages[0].text.contains("You are paged"), "{}", pages[0].text);
    assert_nothing_refused(&app);

    let mut conn = app.state.db.acquire().await.unwrap();
    let stored = golive::storage::incidents::open(&mut conn, &app.state.release.id)
        .await
        .unwrap();
    assert_eq!(stored[0].summary, summary.trim(), "the store keeps it all");
}

#[tokio::test]
async fn status_and_incidents_stay_within_limits_with_many_open_incidents() {
    let app = with_on_call(Options::default()).await;
    let summary = "x".repeat(400);
    for n in 0..40 {
        app.command(RM, &format!("escalate P2 {n} {summary}")).await;
    }
    app.run_due_jobs().await;

    let status = app.command(RM, "status").await;
    assert!(
        status
            .body
            .contains("and 30 more open incidents: `/golive incidents`"),
        "{}",
        status.text()
    );
    let incidents = app.command(RM, "incidents").await;
    assert!(
        incidents.text().contains("INC-1 P2"),
        "{}",
        incidents.text()
    );
    let mention = golive::workflows::launch::status_report::build(&app.state).await;
    assert!(mention.is_ok(), "the @golive answer renders too");
    assert_nothing_refused(&app);
}

#[tokio::test]
async fn status_stays_within_limits_with_every_checklist_posted_and_open() {
    let app = spawn_app(Options::default()).await;
    for key in [
        "l-7", "l-1", "l-day", "l+7", "phase-1", "phase-2", "phase-3", "phase-4", "phase-5",
        "phase-6", "phase-7",
    ] {
        let reply = app.command(RM, &format!("checklist {key}")).await;
        assert!(!reply.text().contains("Sorry"), "{key}: {}", reply.text());
    }
    app.run_due_jobs().await;
    let status = app.command(RM, "status").await;
    assert!(status.text().contains("checklist"), "{}", status.text());
    assert_nothing_refused(&app);
}

#[tokio::test]
async fn a_fresh_launch_ten_days_out_reports_skipped_posts_not_overdue_ones() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-20")),
        clock_start: pacific("2026-03-10", "12:00"),
        ..Options::default()
    })
    .await;
    let status = app.command(RM, "status").await.text();
    assert!(!status.contains("overdue"), "{status}");
    assert!(
        status.contains("skipped, already past when L-Day was set"),
        "{status}"
    );
    assert!(status.contains("still to come"), "{status}");
}

#[tokio::test]
async fn two_milestones_due_together_keep_plan_order_through_a_dropped_call_and_a_429() {
    let app = spawn_app(at_launch("09:59")).await;
    app.fake
        .fail_next("chat.postMessage", Fault::ServerError(503));
    app.fake.fail_next(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    app.advance_to(pacific("2026-03-10", "10:00")).await;
    assert!(
        app.channel_texts().is_empty(),
        "the second waits while the first is retried: {:#?}",
        app.channel_texts()
    );
    app.advance(TimeDelta::seconds(10)).await;
    app.advance_to(pacific("2026-03-10", "10:30")).await;
    let texts = app.channel_texts();
    let order = [
        "Press embargo lifts",
        "Press release, blog, social",
        "Customer email",
    ];
    assert_eq!(texts.len(), order.len(), "each once: {texts:#?}");
    for (text, title) in texts.iter().zip(order) {
        assert!(text.contains(title), "plan order: {texts:#?}");
    }
}

#[tokio::test]
async fn a_post_slack_refuses_goes_out_as_plain_text_and_the_release_managers_are_told() {
    let app = spawn_app(at_launch("05:59")).await;
    app.fake
        .fail_next("chat.postMessage", Fault::ApiError("invalid_blocks".into()));
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    let posts = app.fake.messages(CHANNEL);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert!(posts[0].text.contains("Final deployment verification"));
    assert!(posts[0].blocks.is_null(), "the reduced form has no blocks");
    assert!(posts[0].metadata.is_some(), "and still carries its tag");

    app.fake
        .wait_for_posts(2, std::time::Duration::from_secs(5))
        .await;
    let to_rm = app.fake.messages(RM);
    assert_eq!(to_rm.len(), 1, "told once: {to_rm:#?}");
    assert!(
        to_rm[0].text.contains("invalid_blocks"),
        "{}",
        to_rm[0].text
    );
    let metrics = app.get("/metrics").await.body;
    assert!(
        metrics.contains("golive_refused_messages_total{error=\"invalid_blocks\"} 1"),
        "{metrics}"
    );

    app.advance_to(pacific("2026-03-10", "07:00")).await;
    assert_eq!(
        app.channel_texts().len(),
        2,
        "the next one is not held back"
    );
}

#[tokio::test]
async fn a_post_refused_even_as_plain_text_is_not_retried_and_holds_nothing_back() {
    let app = spawn_app(at_launch("05:59")).await;
    for _ in 0..2 {
        app.fake
            .fail_next("chat.postMessage", Fault::ApiError("msg_too_long".into()));
    }
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    let calls = app.fake.calls("chat.postMessage");
    app.advance(TimeDelta::minutes(10)).await;
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    let texts = app.channel_texts();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert!(texts[0].contains("Production deployment begins"));
    assert!(
        app.fake.calls("chat.postMessage") <= calls + 2,
        "the refused post was not tried again"
    );
}
