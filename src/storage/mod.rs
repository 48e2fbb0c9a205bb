//! SQLite persistence: the only module that writes SQL.
//!
//! Every function takes a connection or transaction chosen by the caller, so a workflow can make
//! several changes atomically. Times are stored as unix milliseconds (UTC).

pub mod audit;
pub mod checklists;
pub mod checkpoint;
pub mod deliveries;
pub mod history;
pub mod incidents;
pub mod jobs;
pub mod metrics;
pub mod releases;
pub mod roles;
pub mod rollout;
pub mod runbooks;
pub mod votes;
pub mod writer;

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};
use tokio::sync::Notify;

/// Connections in the pool, all opened at start.
pub const POOL_SIZE: u32 = 4;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("write failed: {0}")]
    Write(String),
}

/// The store: a pool for reads and occasional writes, and the single writer for changes people make.
#[derive(Clone)]
pub struct Store {
    pub pool: SqlitePool,
    pub writer: writer::Writer,
    /// Counts commits on any of the store's connections (see [`count_commits`]).
    pub changes: Arc<AtomicU64>,
}

/// Opens (creating if missing) the database at `url`, in WAL mode, applies the migrations and
/// starts the writer and the checkpointer.
pub async fn connect(url: &str) -> Result<Store, StoreError> {
    let options = options(url)?;
    let changes = Arc::new(AtomicU64::new(0));
    let commits = Arc::new(Notify::new());
    let hook = (changes.clone(), commits.clone());
    {
        // One connection first: it creates the file, switches it to WAL (which needs the file
        // to itself) and migrates it, before the pool opens its connections side by side.
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        conn.close().await?;
    }
    // Every connection is opened at start and kept: opening one, and preparing its statements,
    // costs milliseconds that a page due now should not wait for.
    let pool = SqlitePoolOptions::new()
        .max_connections(POOL_SIZE)
        .min_connections(POOL_SIZE)
        .idle_timeout(None)
        .max_lifetime(None)
        // A connection to a local file does not drop: checking it costs a round trip to its
        // thread on every acquire, for nothing.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let hook = hook.clone();
            Box::pin(async move { count_commits(conn, hook.0, hook.1).await })
        })
        .connect_with(options.clone())
        .await?;
    let writer = writer::Writer::start(&options, changes.clone(), commits.clone()).await?;
    checkpoint::start(&options, commits).await?;
    Ok(Store {
        pool,
        writer,
        changes,
    })
}

/// Makes `conn` bump `changes` whenever it commits, so readers can tell cheaply whether anything
/// changed since they last looked, and tell the checkpointer there is log to copy.
pub async fn count_commits(
    conn: &mut sqlx::SqliteConnection,
    changes: Arc<AtomicU64>,
    commits: Arc<Notify>,
) -> Result<(), sqlx::Error> {
    conn.lock_handle().await?.set_commit_hook(move || {
        changes.fetch_add(1, Ordering::Release);
        commits.notify_one();
        true
    });
    Ok(())
}

/// Starts a transaction that will write. IMMEDIATE takes the write lock up front: a deferred
/// transaction that read first fails outright ("database is locked") when another connection
/// committed meanwhile, where this one waits its turn.
pub async fn begin_write(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL is durable across process crashes (kill -9); only an OS crash can lose the
        // last commits, and the job protocol re-checks Slack for those.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        // No commit on the pool runs a checkpoint (see `checkpoint`); the writer turns it back on.
        .pragma("wal_autocheckpoint", "0")
        // Statement journals (a batch statement keeps one, to undo itself alone on an error)
        // stay in memory instead of spilling to a temporary file past 64 KiB.
        .pragma("temp_store", "memory")
        .foreign_keys(true))
}

/// Rows for a statement that reads them with `json_each(?)`: one bound JSON array, so a batch of
/// any size is one prepared statement and one round trip to the connection.
pub(crate) fn json_rows<T: serde::Serialize>(rows: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::Write(format!("cannot encode rows: {e}")))
}

/// An instant as stored: unix milliseconds.
pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A stored instant back as a time; corrupt values fall back to the epoch rather than panic.
pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// A fresh store in a temporary directory, with release `r` in it.
#[cfg(test)]
pub(crate) async fn test_store() -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let pool = connect(&url).await.expect("the store opens").pool;
    let mut conn = pool.acquire().await.expect("a connection");
    releases::ensure(&mut conn, "r", "R", "1", "#c", None, Utc::now())
        .await
        .expect("the release is stored");
    (dir, pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_commit_on_any_connection_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = connect(&format!("sqlite://{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
        let before = store.changes.load(Ordering::Acquire);
        let mut conn = store.pool.acquire().await.unwrap();
        releases::ensure(&mut conn, "r", "R", "1", "#c", None, Utc::now())
            .await
            .unwrap();
        assert!(store.changes.load(Ordering::Acquire) > before);
        let read = store.changes.load(Ordering::Acquire);
        releases::load(&mut conn, "r").await.unwrap();
        assert_eq!(
            store.changes.load(Ordering::Acquire),
            read,
            "a read is not a change"
        );
    }
}
