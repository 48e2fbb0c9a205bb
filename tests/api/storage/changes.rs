//! The store counts the commits it sees, so a view can tell cheaply whether anything changed:
//! on SQLite every commit of its connections, on PostgreSQL every change notified by any
//! replica, its own included.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use golive::storage::{releases, Db};
use tokio::sync::broadcast;

use super::{on_both, Fresh};

/// Waits until `release`'s change has been counted: at once on SQLite, whose commits count
/// themselves; on PostgreSQL until its notification has come back.
async fn until_counted(store: &Fresh, feed: &mut broadcast::Receiver<String>, release: &str) {
    if matches!(store.db(), Db::Sqlite(_)) {
        return;
    }
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        while feed.recv().await.expect("the change feed runs") != release {}
    });
    heard
        .await
        .unwrap_or_else(|_| panic!("the change to {release} was never notified"));
}

on_both!(every_commit_is_counted_and_a_read_is_not,);

/// A write on any connection of the pool is counted; a read is not.
async fn every_commit_is_counted_and_a_read_is_not(store: Fresh) {
    let mut feed = store.store.changed_elsewhere.subscribe();
    let changes = || store.store.changes.load(Ordering::Acquire);
    let before = changes();
    let mut conn = store.conn().await;
    releases::ensure(&mut conn, "c", "C", "1", "#c", None, Utc::now())
        .await
        .unwrap();
    until_counted(&store, &mut feed, "c").await;
    let written = changes();
    assert!(written > before, "a write is a change");
    releases::load(&mut conn, "c").await.unwrap();
    releases::ensure(&mut conn, "m", "M", "1", "#m", None, Utc::now())
        .await
        .unwrap();
    until_counted(&store, &mut feed, "m").await;
    assert_eq!(
        changes(),
        written + 1,
        "a read is not a change, the next write is one"
    );
}
