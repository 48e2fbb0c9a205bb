//! The success-metric scorecards: listed by command, actuals recorded by who may, the scorecard
//! posted on its table's day and kept in step when an actual changes.

use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

/// L-Day morning, with the launch table's scorecard due at the 16:00 review.
async fn launch_day() -> TestApp {
    spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", "09:30"),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn metrics_lists_every_table_with_targets_and_unknown_actuals() {
    let app = launch_day().await;
    let all = app.command(MEMBER, "metrics").await.text();
    for line in [
        "Launch success metrics (L):",
        "API error rate &lt;1% [api-error-rate]: target &lt;1%, actual TBD: unknown",
        "Expanded rollout success metrics (L+14):",
        "Migration targets (L+42):",
        "Customers on v4 [customers-on-v4]: target 75%, actual TBD: unknown",
        "90-day success metrics (L+90):",
    ] {
        assert!(all.contains(line), "`{line}` in {all}");
    }
    let one = app.command(MEMBER, "metrics 30-day").await.text();
    assert!(
        one.contains("Support NPS [support-nps]: target &gt;50"),
        "{one}"
    );
    assert!(!one.contains("Launch success metrics"), "{one}");
    let unknown = app.command(MEMBER, "metrics 60-day").await.text();
    assert!(
        unknown.contains("There is no metrics table `60-day`"),
        "{unknown}"
    );
    assert!(
        unknown.contains("`launch`, `expanded-rollout`, `migration`"),
        "{unknown}"
    );
}

#[tokio::test]
async fn an_actual_is_recorded_by_who_may_and_judged_against_its_target() {
    let app = launch_day().await;
    let refused = app
        .command(MEMBER, "metric set api-error-rate 0.4%")
        .await
        .text();
    assert!(
        refused.contains("Only release managers or the metric's team"),
        "{refused}"
    );
    let bad = app
        .command(RM, "metric set api-error-rate low")
        .await
        .text();
    assert!(bad.contains("`low` is not a value"), "{bad}");
    assert!(
        bad.contains("Usage: `/golive metric set &lt;metric&gt; &lt;value&gt;`"),
        "{bad}"
    );
    let unknown = app.command(RM, "metric set uptime 99%").await.text();
    assert!(unknown.contains("There is no metric `uptime`"), "{unknown}");
    assert!(unknown.contains("`support-nps`"), "{unknown}");
    assert!(!app.audit().await.iter().any(|e| e.action == "metric"));

    let done = app
        .command(RM, "metric set api-error-rate 0.4%")
        .await
        .text();
    assert!(done.contains("API error rate &lt;1% is now 0.4%"), "{done}");
    let missed = app
        .command(RM, "metric set customer-complaints-10 12")
        .await
        .text();
    assert!(missed.contains("is now 12"), "{missed}");
    let card = app.command(MEMBER, "metrics launch").await.text();
    assert!(
        card.contains("target &lt;1%, actual 0.4% (by U0RELMGR"),
        "{card}"
    );
    assert!(
        card.contains("0.4% (by U0RELMGR, Tue 2026-03-10 09:30 PDT): met"),
        "{card}"
    );
    assert!(
        card.contains("target &lt;10, actual 12 (by U0RELMGR, Tue 2026-03-10 09:30 PDT): missed"),
        "{card}"
    );
    let audit = app.audit().await;
    assert!(audit
        .iter()
        .any(|e| e.action == "metric" && e.detail == "api-error-rate = 0.4%"));

    // The metric's own team: marketing's lead enters press coverage.
    app.command(RM, "role marketing-lead <@U0MKT>").await;
    let press = app
        .command("U0MKT", "metric set press-coverage-positive 85%")
        .await
        .text();
    assert!(press.contains("is now 85%"), "{press}");
    let not_theirs = app
        .command("U0MKT", "metric set support-nps 60")
        .await
        .text();
    assert!(not_theirs.contains("Only release managers"), "{not_theirs}");
}

#[tokio::test]
async fn the_scorecard_is_posted_at_the_review_and_updated_when_an_actual_changes() {
    let app = launch_day().await;
    app.command(RM, "metric set deployment-success 100%").await;
    app.advance_to(pacific("2026-03-10", "16:01")).await;
    let card = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Launch success metrics (L)"))
        .expect("the launch scorecard is posted at 16:00");
    assert!(
        card.text
            .contains("Deployment success [deployment-success]: target 100%, actual 100%"),
        "{}",
        card.text
    );
    assert!(card.text.contains("Zero P0 incidents at launch [zero-p0-incidents-at-launch]: target Yes, actual TBD: unknown"));

    app.command(RM, "metric set zero-p0-incidents-at-launch yes")
        .await;
    let updated = app
        .wait_for_message(&card.ts, |m| m.text.contains("target Yes, actual yes"))
        .await;
    assert!(updated.text.contains(": met"), "{}", updated.text);
    let cards = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.text.starts_with("Launch success metrics"))
        .count();
    assert_eq!(cards, 1, "updated in place, not posted again");
}

#[tokio::test]
async fn a_metric_with_a_query_is_measured_on_prometheus_when_its_scorecard_is_posted() {
    use crate::fake_flags::{Answer, FakePrometheus};
    let prometheus = FakePrometheus::start().await;
    let query = r#"100 * sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#;
    prometheus.answer(query, Answer::Value("0.4213".into()));
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", "15:59"),
        rollout: golive::config::RolloutConfig {
            prometheus_url: Some(prometheus.url.clone()),
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    app.advance_to(pacific("2026-03-10", "16:01")).await;
    let card = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("Launch success metrics (L)"))
        .expect("the launch scorecard is posted at 16:00");
    assert!(
        card.text.contains(
            "API error rate &lt;1% [api-error-rate]: target &lt;1%, actual 0.421% (by Prometheus"
        ) && card.text.contains(": met"),
        "{}",
        card.text
    );
    assert_eq!(
        prometheus.queries(),
        vec![query.to_string()],
        "measured once, at the post"
    );
    let audit = app.audit().await;
    assert!(audit
        .iter()
        .any(|e| e.action == "metric" && e.detail == "api-error-rate = 0.421% (measured)"));
}
