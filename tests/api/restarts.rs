//! Nothing lost, nothing doubled: restarts, downtime, Slack failures.

use std::time::Duration;

use chrono::TimeDelta;

use crate::fake_slack::Fault;
use crate::harness::{date, pacific, spawn_app, Options, RM};

fn launch_day(at: &str) -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", at),
        ..Options::default()
    }
}

fn count(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

#[tokio::test]
async fn a_restart_keeps_state_and_posts_nothing_twice() {
    let app = spawn_app(launch_day("05:59")).await;
    app.command(RM, "role on-call <@U0DANA>").await;
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    assert_eq!(app.channel_texts().len(), 2);

    let app = app.restart(launch_day("07:00")).await;
    app.advance_to(pacific("2026-03-10", "08:00")).await;
    let texts = app.channel_texts();
    assert_eq!(
        count(&texts, "Final deployment verification"),
        1,
        "{texts:#?}"
    );
    assert_eq!(
        count(&texts, "Production deployment begins"),
        1,
        "{texts:#?}"
    );
    assert_eq!(count(&texts, "Smoke tests"), 1, "{texts:#?}");
    assert!(app
        .command(RM, "role")
        .await
        .text()
        .contains("On-Call (on-call): U0DANA"));
}

#[tokio::test]
async fn posts_that_fell_due_while_down_go_out_at_start_marked_late() {
    let mut app = spawn_app(launch_day("05:50")).await;
    app.shutdown().await;
    app.clock.set(pacific("2026-03-10", "08:30"));
    let app = app.restart(launch_day("08:30")).await;
    app.run_due_jobs().await;
    let texts = app.channel_texts();
    let late: Vec<&String> = texts
        .iter()
        .filter(|t| t.contains("posted late by"))
        .collect();
    assert_eq!(
        late.len(),
        3,
        "06:00, 07:00 and 08:00; the 08:30 standup is on time: {texts:#?}"
    );
    assert!(
        texts[0].contains("Final deployment verification")
            && texts[0].ends_with("posted late by 2 h 30 min"),
        "{}",
        texts[0]
    );
    app.advance(TimeDelta::minutes(1)).await;
    assert_eq!(
        app.channel_texts().len(),
        texts.len(),
        "nothing posted twice"
    );
}

/// Two minutes after a 06:00 post whose outcome golive did not hear: it looked in the channel,
/// found the post, and did not send it again.
async fn found_not_repeated(app: &crate::harness::TestApp) {
    app.advance(TimeDelta::minutes(2)).await;
    assert_eq!(
        app.fake.all_posts().len(),
        1,
        "history showed the post, so it was not sent again"
    );
    assert!(app.fake.calls("conversations.history") >= 1);
    let status = app.command(RM, "status").await.text();
    assert!(
        status.contains("Last: Tue 2026-03-10 06:00 PDT · Final deployment verification"),
        "{status}"
    );
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_not_repeated() {
    let app = spawn_app(launch_day("05:59")).await;
    app.fake
        .fail_next("chat.postMessage", Fault::DropAfterStore);
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    assert_eq!(
        app.fake.all_posts().len(),
        1,
        "Slack stored it, golive did not hear back"
    );
    found_not_repeated(&app).await;
}

#[tokio::test]
async fn a_post_slack_never_answers_is_given_up_on_in_time_and_found_not_repeated() {
    let app = spawn_app(Options {
        slack_timeout: Duration::from_millis(300),
        ..launch_day("05:59")
    })
    .await;
    let answers = app.fake.hold_answers(crate::harness::CHANNEL);
    // The pass returns although Slack never answers: the call's outcome became unknown.
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    assert_eq!(
        app.fake.all_posts().len(),
        1,
        "Slack has it, golive never heard"
    );
    answers.send_replace(true);
    found_not_repeated(&app).await;
}

#[tokio::test]
async fn a_server_error_is_retried_until_the_post_lands_once() {
    let app = spawn_app(launch_day("05:59")).await;
    app.fake
        .fail_next("chat.postMessage", Fault::ServerError(503));
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    assert!(app.fake.all_posts().is_empty());
    app.advance(TimeDelta::seconds(30)).await;
    let posts = app.fake.all_posts();
    assert_eq!(posts.len(), 1);
    assert!(posts[0].text.contains("Final deployment verification"));
}

#[tokio::test]
async fn a_rate_limited_post_waits_for_retry_after_and_lands_once() {
    let app = spawn_app(launch_day("05:59")).await;
    app.fake.fail_next(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let started = std::time::Instant::now();
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "honoured Retry-After"
    );
    assert_eq!(app.fake.all_posts().len(), 1);
    assert_eq!(app.fake.calls("chat.postMessage"), 2);
    let metrics = app.get("/metrics").await.body;
    assert!(
        metrics.contains("golive_slack_retries_total{method=\"chat.postMessage\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_missing_channel_is_retried_not_dropped() {
    let app = spawn_app(launch_day("05:59")).await;
    app.fake
        .fail_next("chat.postMessage", Fault::ApiError("not_in_channel".into()));
    app.advance_to(pacific("2026-03-10", "06:00")).await;
    assert!(app.fake.all_posts().is_empty());
    app.advance(TimeDelta::minutes(1)).await;
    assert_eq!(app.fake.all_posts().len(), 1);
}
