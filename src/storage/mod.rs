//! Persistence on SQLite or PostgreSQL: the only module that writes SQL.
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
pub mod leases;
pub mod metrics;
pub mod refresh_asks;
pub mod releases;
pub mod roles;
pub mod rollout;
pub mod runbooks;
pub mod votes;
pub mod writer;

mod connection;
mod postgres;
mod sqlite;

pub use connection::{AsConn, Conn, Connection, Db, Pooled, Tx};
pub use postgres::is_postgres;
pub use sqlite::{count_commits, POOL_SIZE};

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

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
    /// The job's lease passed to another replica: this outcome is refused (see `jobs`).
    #[error("the lease on {0} was lost to another replica")]
    LeaseLost(String),
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, out of connections), as
    /// opposed to refusing the statement: the same change may pass in a minute.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Database(error) => match error {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
                // Class 08 is "connection exception"; 57P01-03, the server shutting down or
                // starting.
                sqlx::Error::Database(db) => db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0")),
                _ => false,
            },
            StoreError::Write(why) => why.starts_with(writer::UNREACHABLE),
            _ => false,
        }
    }
}

/// The store: a pool for reads and occasional writes, and the single writer for changes people make.
#[derive(Clone)]
pub struct Store {
    pub db: Db,
    pub writer: writer::Writer,
    /// Counts commits seen by this process: its own, and (on PostgreSQL) other replicas'.
    pub changes: Arc<AtomicU64>,
    /// The launches another replica changed (on PostgreSQL): a release id, or `""` for "maybe
    /// any" after the notification connection was lost. This store's own changes are counted in
    /// `changes`, not passed on here.
    pub changed_elsewhere: broadcast::Sender<String>,
    /// The launches whose interactive messages a replica asked their holder to render again
    /// (on PostgreSQL; see `storage::refresh_asks`), or `""` for "maybe any".
    pub refresh_asked: broadcast::Sender<String>,
}

/// Opens the store at `url`: `postgres://…` for PostgreSQL, anything else for a SQLite file
/// (created if missing). Applies the migrations and starts the writer.
pub async fn connect(url: &str) -> Result<Store, StoreError> {
    if postgres::is_postgres(url) {
        postgres::connect(url).await
    } else {
        sqlite::connect(url).await
    }
}

/// Rows for a statement that reads them from one bound JSON array (SQLite's `json_each($1)`,
/// PostgreSQL's `jsonb_array_elements($1::jsonb)`), so a batch of any size is one prepared
/// statement and one round trip to the connection.
pub(crate) fn json_rows<T: serde::Serialize>(rows: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::Write(format!("cannot encode rows: {e}")))
}

/// "`column` is one of the JSON array bound as `$param`", in the store's dialect. On
/// PostgreSQL `= ANY (ARRAY(...))` lets the planner use the partial indexes, where
/// `IN (SELECT ...)` scans every row.
pub(crate) fn among(conn: &mut impl AsConn, column: &str, param: usize) -> String {
    match conn.conn() {
        Conn::Sqlite(_) => format!("{column} IN (SELECT value FROM json_each(${param}))"),
        Conn::Postgres(_) => {
            format!("{column} = ANY (ARRAY(SELECT jsonb_array_elements_text(${param}::jsonb)))")
        }
    }
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
pub(crate) async fn test_store() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let pool = connect(&url).await.expect("the store opens").db;
    let mut conn = pool.acquire().await.expect("a connection");
    releases::ensure(&mut conn, "r", "R", "1", "#c", None, Utc::now())
        .await
        .expect("the release is stored");
    (dir, pool)
}
