//! Slack's request signing: unsigned, forged and stale requests are refused and change nothing.

use chrono::Utc;

use crate::fake_slack::{self, event_callback, url_verification};
use crate::harness::{spawn_app, Options, CHANNEL, RM};

const FORM: &str = "application/x-www-form-urlencoded";

fn assign_on_call() -> String {
    fake_slack::slash_command_form(
        RM,
        CHANNEL,
        "role on-call <@U0EVE>",
        "http://127.0.0.1:9/response",
    )
}

async fn on_call_holders(app: &crate::harness::TestApp) -> String {
    app.command(RM, "role").await.text()
}

#[tokio::test]
async fn a_wrong_signature_is_refused_with_401() {
    let app = spawn_app(Options::default()).await;
    let body = assign_on_call();
    let forged = fake_slack::sign("not-the-secret", Utc::now().timestamp(), &body);
    let reply = app
        .post(
            "/slack/commands",
            FORM,
            &body,
            Some((Utc::now().timestamp(), forged)),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert!(on_call_holders(&app)
        .await
        .contains("On-Call (on-call): nobody"));
}

#[tokio::test]
async fn missing_signature_headers_are_refused() {
    let app = spawn_app(Options::default()).await;
    let reply = app
        .post("/slack/commands", FORM, &assign_on_call(), None)
        .await;
    assert_eq!(reply.status, 401);
    assert!(reply.body.contains("missing Slack signature headers"));
}

#[tokio::test]
async fn a_request_older_than_five_minutes_is_refused() {
    let app = spawn_app(Options::default()).await;
    let stale = Utc::now().timestamp() - 301;
    let reply = app
        .post_signed("/slack/commands", FORM, &assign_on_call(), stale)
        .await;
    assert_eq!(reply.status, 401);
    assert!(on_call_holders(&app)
        .await
        .contains("On-Call (on-call): nobody"));
    let fresh = app
        .post_signed(
            "/slack/commands",
            FORM,
            &assign_on_call(),
            Utc::now().timestamp() - 60,
        )
        .await;
    assert_eq!(fresh.status, 200);
    assert!(on_call_holders(&app)
        .await
        .contains("On-Call (on-call): U0EVE"));
}

#[tokio::test]
async fn a_signed_but_malformed_payload_gets_400() {
    let app = spawn_app(Options::default()).await;
    let reply = app
        .post_signed(
            "/slack/commands",
            FORM,
            "text=status",
            Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.starts_with("malformed request"),
        "{}",
        reply.body
    );
    let events = app
        .post_signed(
            "/slack/events",
            "application/json",
            "{not json",
            Utc::now().timestamp(),
        )
        .await;
    assert_eq!(events.status, 400);
}

#[tokio::test]
async fn the_events_url_check_is_answered_with_its_challenge() {
    let app = spawn_app(Options::default()).await;
    let body = url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P").to_string();
    let reply = app
        .post_signed(
            "/slack/events",
            "application/json",
            &body,
            Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn a_redelivered_event_is_handled_once() {
    let app = spawn_app(Options::default()).await;
    let mention = serde_json::json!({
        "type": "app_mention", "user": RM, "text": "<@U0BOT> status", "ts": "1773150000.000100",
        "channel": CHANNEL, "event_ts": "1773150000.000100"
    });
    let body = event_callback("Ev0MENTION1", mention).to_string();
    for _ in 0..3 {
        let reply = app
            .post_signed(
                "/slack/events",
                "application/json",
                &body,
                Utc::now().timestamp(),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    app.settled().await;
    let replies = app.fake.all_posts();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0].thread_ts.as_deref(), Some("1773150000.000100"));
    assert!(replies[0].text.contains("Summit 4.0.0"));
}

#[tokio::test]
async fn health_and_metrics_are_served() {
    let app = spawn_app(Options::default()).await;
    assert_eq!(app.get("/healthz").await.body, "ok");
    app.command(RM, "status").await;
    let metrics = app.get("/metrics").await.body;
    assert!(
        metrics.contains("golive_commands_total{command=\"status\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("golive_request_seconds_count{route=\"commands\"} 1"),
        "{metrics}"
    );
}
