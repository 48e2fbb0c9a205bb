//! Asks for a launch's holder to render a message again: asks for one message fold into one,
//! taking them empties them, and on PostgreSQL each ask is notified with its launch.

use std::time::Duration;

use chrono::Utc;
use golive::storage::{refresh_asks, releases, Db};

use super::{on_both, Fresh};

on_both!(asks_fold_per_message_and_are_taken_once,);

async fn asks_fold_per_message_and_are_taken_once(store: Fresh) {
    let mut heard = store.store.refresh_asked.subscribe();
    let mut conn = store.conn().await;
    for id in ["a", "b"] {
        releases::ensure(&mut conn, id, "A", "1", "#a", None, Utc::now())
            .await
            .unwrap();
    }
    for (release, target) in [
        ("a", "vote:1"),
        ("a", "vote:1"),
        ("a", "step:10"),
        ("b", "vote:1"),
    ] {
        refresh_asks::ask(&mut conn, release, target).await.unwrap();
    }
    if matches!(store.db(), Db::Postgres(_)) {
        let first = tokio::time::timeout(Duration::from_secs(10), heard.recv())
            .await
            .expect("an ask is notified")
            .unwrap();
        assert_eq!(first, "a");
    }
    let mut taken = refresh_asks::take(&mut conn, &["a".to_string()])
        .await
        .unwrap();
    taken.sort();
    let expected = [("a", "step:10"), ("a", "vote:1")].map(|(r, t)| (r.to_string(), t.to_string()));
    assert_eq!(taken, expected);
    assert!(refresh_asks::take(&mut conn, &["a".to_string()])
        .await
        .unwrap()
        .is_empty());
    let others = refresh_asks::take(&mut conn, &["b".to_string()])
        .await
        .unwrap();
    assert_eq!(others, [("b".to_string(), "vote:1".to_string())]);
}
