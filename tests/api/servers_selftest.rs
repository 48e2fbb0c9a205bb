//! Proves the real servers of `servers/` start, answer and stop: PostgreSQL, Unleash (with the
//! admin calls of a gradual rollout, as golive's rollout client makes them) and Prometheus
//! reading an error ratio and a latency off the test's exporter.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::servers::exporter::Exporter;
use crate::servers::postgres::Postgres;
use crate::servers::prometheus::Prometheus;
use crate::servers::unleash::Unleash;

#[test]
fn postgres_answers_select_1_and_is_gone_after_drop() {
    let postgres = Postgres::start();
    assert_eq!(postgres.psql("postgres", "SELECT 1"), "1\n");
    postgres.create_database("golive_selftest");
    assert_eq!(
        postgres.psql("golive_selftest", "SELECT current_database()"),
        "golive_selftest\n"
    );
    assert!(postgres
        .url("golive_selftest")
        .starts_with("postgres://postgres@127.0.0.1:"));

    let pid = postgres.pid();
    let dir = postgres.dir().expect("its folder");
    drop(postgres);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "postgres {pid} still runs"
    );
    assert!(!dir.exists(), "{} is still there", dir.display());
}

#[tokio::test]
async fn unleash_takes_a_gradual_rollout_from_10_to_25_percent() {
    let unleash = Unleash::shared();
    let health = reqwest::get(format!("{}/health", unleash.url()))
        .await
        .expect("GET /health");
    assert_eq!(health.status(), StatusCode::OK);
    let anonymous = reqwest::get(unleash.admin_url("/projects/default/features"))
        .await
        .expect("GET without a token");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // This test's own flag: others share the instance.
    let flag = "servers-selftest-rollout";
    let base = format!("/projects/default/features/{flag}");
    let (status, created) = Unleash::shared()
        .admin(
            reqwest::Method::POST,
            "/projects/default/features",
            Some(json!({"name": flag, "type": "release"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "create the flag: {created}");

    // The gradual strategy first, with a title of its own; `rollout` is a string.
    let (status, strategy) = Unleash::shared()
        .admin(
            reqwest::Method::POST,
            &format!("{base}/environments/production/strategies"),
            Some(json!({
                "name": "flexibleRollout",
                "title": "golive gradual rollout",
                "parameters": {"rollout": "10", "stickiness": "default", "groupId": flag},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "add the strategy: {strategy}");
    let id = strategy["id"]
        .as_str()
        .expect("the strategy's id")
        .to_owned();
    assert_eq!(strategy["parameters"]["rollout"], "10");

    let (status, patched) = Unleash::shared()
        .admin(
            reqwest::Method::PATCH,
            &format!("{base}/environments/production/strategies/{id}"),
            Some(json!([{"op": "replace", "path": "/parameters/rollout", "value": "25"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "patch the rollout: {patched}");

    let (status, body) = Unleash::shared()
        .admin(
            reqwest::Method::POST,
            &format!("{base}/environments/production/on"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "switch production on: {body}");

    let (status, feature) = Unleash::shared()
        .admin(reqwest::Method::GET, &base, None)
        .await;
    assert_eq!(status, StatusCode::OK, "read the flag: {feature}");
    let production = feature["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == "production")
        .unwrap_or_else(|| panic!("no production environment in {feature}"));
    assert_eq!(production["enabled"], true, "{production}");
    let strategies = production["strategies"].as_array().expect("strategies");
    assert_eq!(strategies.len(), 1, "only ours: {production}");
    assert_eq!(strategies[0]["id"], id.as_str());
    assert_eq!(strategies[0]["title"], "golive gradual rollout");
    assert_eq!(strategies[0]["parameters"]["rollout"], "25");
}

#[tokio::test]
async fn prometheus_reads_the_exporter_s_error_ratio_and_latency() {
    let exporter = Exporter::start();
    exporter.set_traffic(200, 0.05, 0.3);
    let prometheus = Prometheus::start(exporter.addr());

    let ratio = prometheus
        .wait_for(
            r#"sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#,
            |v| (v - 0.05).abs() < 1e-6,
            Duration::from_secs(30),
        )
        .await;
    assert!((ratio - 0.05).abs() < 1e-6);

    let p99 = prometheus
        .wait_for(
            "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
            |v| (v - 0.3).abs() < 1e-6,
            Duration::from_secs(30),
        )
        .await;
    assert!((p99 - 0.3).abs() < 1e-6);

    let up = prometheus.query("up").await.expect("query up");
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0].metric["job"], crate::servers::prometheus::JOB);
    assert!(exporter.scrapes() >= 2);
}
