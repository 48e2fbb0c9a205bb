//! Slack's deliveries: each id is handled once, whoever records it.

use chrono::Utc;
use golive::storage::{deliveries, to_millis};

use super::{on_both, Fresh};

on_both!(
    many_deliveries_are_new_once_each_in_order,
    a_delivery_recorded_by_two_connections_at_once_is_new_for_exactly_one,
);

/// Of a batch, each id is new once, the first time, in order; a recorded id is not new
/// again, and keeps when it first arrived.
async fn many_deliveries_are_new_once_each_in_order(store: Fresh) {
    let mut conn = store.conn().await;
    let now = Utc::now();
    let later = now + chrono::TimeDelta::seconds(5);
    assert!(deliveries::first_delivery(&mut conn, "seen", now)
        .await
        .unwrap());
    let given = [("a", now), ("seen", now), ("b", now), ("a", later)];
    let new = deliveries::first_deliveries(&mut conn, &given)
        .await
        .unwrap();
    assert_eq!(new, [true, false, true, false]);
    assert!(!deliveries::first_delivery(&mut conn, "b", now)
        .await
        .unwrap());
    let sql = "SELECT received_at FROM deliveries WHERE id = 'a'";
    let (at,): (i64,) = golive::on!(&mut conn, |c| sqlx::query_as(sql).fetch_one(c).await).unwrap();
    assert_eq!(
        at,
        to_millis(now),
        "an id given twice keeps its first arrival"
    );
    assert!(deliveries::first_deliveries(&mut conn, &[])
        .await
        .unwrap()
        .is_empty());
}

/// Two replicas recording the same delivery at once (two transactions, the second waiting
/// for the first): exactly one of them sees it as new.
async fn a_delivery_recorded_by_two_connections_at_once_is_new_for_exactly_one(store: Fresh) {
    let now = Utc::now();
    let given = [("both", now), ("only-second", now)];
    let mut first = store.db().begin().await.unwrap();
    let first_saw = deliveries::first_deliveries(&mut first, &given[..1])
        .await
        .unwrap();
    let db = store.db().clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let saw = deliveries::first_deliveries(&mut tx, &given).await.unwrap();
        tx.commit().await.unwrap();
        saw
    });
    store.until_one_waits_for_a_lock().await;
    first.commit().await.unwrap();
    let second_saw = second.await.unwrap();
    assert_eq!(first_saw, [true]);
    assert_eq!(second_saw, [false, true]);

    // And one delivery at a time the same way.
    let mut first = store.db().begin().await.unwrap();
    assert!(deliveries::first_delivery(&mut first, "single", now)
        .await
        .unwrap());
    let db = store.db().clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let new = deliveries::first_delivery(&mut tx, "single", now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        new
    });
    store.until_one_waits_for_a_lock().await;
    first.commit().await.unwrap();
    assert!(!second.await.unwrap(), "the second replica sees a retry");
}
