//! Incidents: numbers, what transitions change, and hotfixes.

use chrono::{DateTime, TimeDelta, Utc};
use golive::domain::incident::{Incident, IncidentId, Resolution, Severity};
use golive::storage::{from_millis, incidents, to_millis};

use super::{on_both, Fresh, RELEASE};

fn incident(summary: &str, severity: Severity, now: DateTime<Utc>) -> Incident {
    Incident::open(IncidentId(0), severity, summary, "U1", &[], now)
}

on_both!(
    incidents_are_numbered_in_order_and_saved_as_they_change,
    incidents_opened_by_two_transactions_at_once_get_distinct_numbers,
);

/// Incidents are numbered one after the other per launch; what a transition changes is
/// written back; the open ones and the P0s among them are counted.
async fn incidents_are_numbered_in_order_and_saved_as_they_change(store: Fresh) {
    let mut conn = store.conn().await;
    let now = from_millis(to_millis(Utc::now()));
    let first = incidents::insert(&mut conn, RELEASE, &incident("db down", Severity::P0, now))
        .await
        .unwrap();
    let second = incidents::insert(&mut conn, RELEASE, &incident("slow", Severity::P2, now))
        .await
        .unwrap();
    assert_eq!((first, second), (IncidentId(1), IncidentId(2)));
    assert_eq!(
        incidents::open_p0_count(&mut conn, RELEASE).await.unwrap(),
        1
    );

    let mut changed = incidents::load(&mut conn, RELEASE, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.summary, "db down");
    let later = now + TimeDelta::minutes(5);
    changed.level = 2;
    changed.level_since = later;
    changed.acked = Some(("U2".into(), later));
    changed.customer_impact = true;
    changed.runbook = Some("rollback".into());
    changed.resolved = Some(Resolution {
        by: "U2".into(),
        at: later,
        note: Some("fixed".into()),
    });
    incidents::save(&mut conn, RELEASE, &changed).await.unwrap();
    let stored = incidents::load(&mut conn, RELEASE, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, changed);

    let open = incidents::open(&mut conn, RELEASE).await.unwrap();
    assert_eq!(open.iter().map(|i| i.id).collect::<Vec<_>>(), [second]);
    assert_eq!(incidents::open_count(&mut conn, RELEASE).await.unwrap(), 1);
    assert_eq!(
        incidents::open_p0_count(&mut conn, RELEASE).await.unwrap(),
        0
    );
    assert_eq!(
        incidents::next_message(&mut conn, RELEASE, second)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        incidents::next_message(&mut conn, RELEASE, second)
            .await
            .unwrap(),
        1
    );

    assert_eq!(
        incidents::hotfix_at(&mut conn, RELEASE, second)
            .await
            .unwrap(),
        None
    );
    incidents::record_hotfix(&mut conn, RELEASE, second, later)
        .await
        .unwrap();
    incidents::record_hotfix(&mut conn, RELEASE, second, later + TimeDelta::hours(1))
        .await
        .unwrap();
    assert_eq!(
        incidents::hotfix_at(&mut conn, RELEASE, second)
            .await
            .unwrap(),
        Some(later),
        "the first hotfix stands"
    );
}

/// Two replicas opening an incident at once (two transactions, the second waiting for the
/// first): the incidents get numbers one after the other.
async fn incidents_opened_by_two_transactions_at_once_get_distinct_numbers(store: Fresh) {
    let now = Utc::now();
    let mut first = store.db().begin().await.unwrap();
    let first_id = incidents::insert(&mut first, RELEASE, &incident("a", Severity::P1, now))
        .await
        .unwrap();
    let db = store.db().clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let id = incidents::insert(&mut tx, RELEASE, &incident("b", Severity::P1, now)).await;
        tx.commit().await.unwrap();
        id
    });
    store.until_one_waits_for_a_lock().await;
    first.commit().await.unwrap();
    let second_id = second
        .await
        .unwrap()
        .expect("the second incident is stored");
    assert_eq!((first_id, second_id), (IncidentId(1), IncidentId(2)));
    let mut conn = store.conn().await;
    let summaries: Vec<String> = incidents::open(&mut conn, RELEASE)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.summary)
        .collect();
    assert_eq!(summaries, ["a", "b"]);
}
