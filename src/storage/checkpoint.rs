//! WAL checkpoints on a connection of their own.
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses its threshold, so now and
//! then a page or an answer waited for megabytes of copying and an fsync. The pool's connections
//! (the scheduler, pages, commands) have it turned off; the single writer keeps it, so a burst of
//! changes pays for its own log (see `writer`). This task checkpoints shortly after commits,
//! off every request path, so the log the pool writes is copied too. A PASSIVE checkpoint never
//! blocks anyone. Should the log still pass [`HARD_LIMIT`] frames, one RESTART checkpoint waits
//! for the writers so the log starts over: a last resort that keeps the WAL bounded.

use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::Notify;

use super::StoreError;

/// How long commits may gather before one checkpoint takes them all.
const SETTLE: Duration = Duration::from_millis(100);

/// Log frames (pages of 4 KiB, so about 200 MB) past which a checkpoint may make writers wait.
pub const HARD_LIMIT: i64 = 50_000;

/// What one checkpoint found: frames in the log, and frames copied into the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    pub log: i64,
    pub copied: i64,
}

/// Starts the checkpoint task; `commits` is notified on every commit of every connection.
pub async fn start(options: &SqliteConnectOptions, commits: Arc<Notify>) -> Result<(), StoreError> {
    let conn = SqliteConnection::connect_with(options).await?;
    tokio::spawn(run(conn, commits));
    Ok(())
}

async fn run(mut conn: SqliteConnection, commits: Arc<Notify>) {
    loop {
        commits.notified().await;
        tokio::time::sleep(SETTLE).await;
        if let Err(error) = checkpoint(&mut conn).await {
            tracing::warn!(%error, "WAL checkpoint failed; the next commit tries again");
        }
    }
}

/// Copies what it can from the log into the database without waiting for anyone; restarts the
/// log, waiting for writers, when it has grown past [`HARD_LIMIT`].
pub async fn checkpoint(conn: &mut SqliteConnection) -> Result<Checkpointed, StoreError> {
    let (_, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    if log > HARD_LIMIT {
        tracing::info!(log, copied, "WAL past its limit; restarting it");
        let (_, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(&mut *conn)
            .await?;
        return Ok(Checkpointed { log, copied });
    }
    Ok(Checkpointed { log, copied })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commits_stay_in_the_log_until_the_checkpointer_copies_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = crate::storage::connect(&url).await.unwrap();
        let crate::storage::Db::Sqlite(pool) = &store.db else {
            panic!("a SQLite URL opens SQLite");
        };
        let (auto,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(auto, 0, "no commit runs a checkpoint itself");
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(pool)
            .await
            .unwrap();
        for n in 0..20 {
            sqlx::query("INSERT INTO t (n) VALUES (?)")
                .bind(n)
                .execute(pool)
                .await
                .unwrap();
        }
        let mut conn = pool.acquire().await.unwrap();
        let done = checkpoint(&mut conn).await.unwrap();
        assert!(done.log >= 20, "every commit is still in the log: {done:?}");
        assert_eq!(
            done.copied, done.log,
            "nobody reads, so all of it is copied"
        );
    }
}
