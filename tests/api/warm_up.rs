//! Warming up at start: a rolled-back escalation step on every pool connection.

use golive::clock::ManualClock;
use golive::config::Config;
use golive::domain::incident::{Incident, IncidentId, Severity};
use golive::startup::Application;
use golive::state::AppState;
use golive::storage::incidents;
use golive::workflows::incidents::warm_up;

async fn counts(state: &AppState) -> (i64, i64, i64) {
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
    let mut n = Vec::new();
    for table in ["incidents", "jobs", "audit_log"] {
        let sql = count(table);
        let mut conn = state.db.acquire().await.unwrap();
        let (rows,): (i64,) =
            golive::on!(&mut conn, |c| sqlx::query_as(&sql).fetch_one(c).await).unwrap();
        n.push(rows);
    }
    (n[0], n[1], n[2])
}

#[tokio::test]
async fn with_an_incident_open_warming_up_takes_a_step_on_every_connection_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        database_url: format!("sqlite://{}", dir.path().join("w.db").display()),
        ..Config::default()
    };
    let clock = ManualClock::new(chrono::Utc::now());
    let app = Application::build(config, clock, None).await.unwrap();
    let state = app.state();
    assert!(!warm_up::run(&state).await.unwrap(), "nothing to warm for");
    let ladder = &state.release.plan().escalation;
    let open = Incident::open(
        IncidentId(0),
        Severity::P2,
        "open",
        "U1",
        ladder,
        state.clock.now(),
    );
    let mut conn = state.db.acquire().await.unwrap();
    incidents::insert(&mut conn, &state.release.id, &open)
        .await
        .unwrap();
    drop(conn);
    let before = counts(&state).await;
    assert!(warm_up::run(&state).await.expect("every step runs"));
    assert_eq!(counts(&state).await, before);
}
