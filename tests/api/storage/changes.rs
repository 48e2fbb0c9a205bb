//! The store counts the commits it sees, so a view can tell cheaply whether anything changed:
//! on SQLite every commit of its connections, on PostgreSQL every change notified by any
//! replica, its own included. On PostgreSQL it passes on only the launches another replica
//! changed: its own changes, memory holds already.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use golive::storage::{self, releases};
use tokio::sync::broadcast::error::TryRecvError;

use super::{on_both, Fresh};

/// Waits until the store has counted more than `before` changes: at once on SQLite, whose
/// commits count themselves; on PostgreSQL once the notification has come back.
async fn until_counted(store: &Fresh, before: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = store.store.changes.load(Ordering::Acquire);
        if now > before {
            return now;
        }
        assert!(Instant::now() < deadline, "a change was never counted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

on_both!(every_commit_is_counted_and_a_read_is_not,);

/// A write on any connection of the pool is counted; a read is not.
async fn every_commit_is_counted_and_a_read_is_not(store: Fresh) {
    let before = store.store.changes.load(Ordering::Acquire);
    let mut conn = store.conn().await;
    releases::ensure(&mut conn, "c", "C", "1", "#c", None, Utc::now())
        .await
        .unwrap();
    let written = until_counted(&store, before).await;
    releases::load(&mut conn, "c").await.unwrap();
    releases::ensure(&mut conn, "m", "M", "1", "#m", None, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        until_counted(&store, written).await,
        written + 1,
        "a read is not a change, the next write is one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replicas_change_is_passed_on_and_its_own_is_not() {
    let ours = Fresh::postgres().await;
    let theirs = storage::connect(&ours.url).await.expect("the store opens");
    let mut feed = ours.store.changed_elsewhere.subscribe();
    let before = ours.store.changes.load(Ordering::Acquire);
    let mut conn = ours.conn().await;
    releases::ensure(&mut conn, "own", "O", "1", "#o", None, Utc::now())
        .await
        .unwrap();
    until_counted(&ours, before).await;
    assert_eq!(feed.try_recv(), Err(TryRecvError::Empty), "its own change");
    let mut conn = theirs.db.acquire().await.unwrap();
    releases::ensure(&mut conn, "other", "T", "1", "#t", None, Utc::now())
        .await
        .unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(10), feed.recv()).await;
    assert_eq!(
        heard.expect("the other's change is notified").unwrap(),
        "other"
    );
}
