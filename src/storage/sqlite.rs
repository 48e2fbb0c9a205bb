//! Opening the SQLite store: one file in WAL mode, a pool, the single writer and the
//! checkpointer.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Connection;
use tokio::sync::{broadcast, Notify};

use super::{checkpoint, writer, Db, Store, StoreError};

/// Connections in the pool, all opened at start.
pub const POOL_SIZE: u32 = 4;

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
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
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
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    // Unlike the pool's connections, the writer checkpoints after its own commits (SQLite's
    // default): under a burst of changes it pays for the log it writes, which keeps the log
    // bounded; a page due now, sent from the pool, never waits for it.
    sqlx::query("PRAGMA wal_autocheckpoint = 1000")
        .execute(&mut conn)
        .await?;
    count_commits(&mut conn, changes.clone(), commits.clone()).await?;
    let writer = writer::Writer::start(
        writer::Source::Own(super::Connection::Sqlite(conn)),
        changes.clone(),
    );
    checkpoint::start(&options, commits).await?;
    Ok(Store {
        db: Db::Sqlite(pool),
        writer,
        changes,
        // One process owns the file: nobody else changes it.
        changed_elsewhere: broadcast::channel(1).0,
        refresh_asked: broadcast::channel(1).0,
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
