//! The `audit_log` table: who did what, when.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{from_millis, to_millis, StoreError};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Appends an entry.
pub async fn record(
    conn: &mut SqliteConnection,
    release_id: &str,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (release_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(release_id)
    .bind(to_millis(at))
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The whole log of a release, oldest first.
pub async fn list(
    conn: &mut SqliteConnection,
    release_id: &str,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT at, actor, action, detail FROM audit_log WHERE release_id = ? ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, detail)| AuditEntry {
            at: from_millis(at),
            actor,
            action,
            detail,
        })
        .collect())
}

/// How many entries of `action` a release's log holds.
pub async fn count(
    conn: &mut SqliteConnection,
    release_id: &str,
    action: &str,
) -> Result<u32, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE release_id = ? AND action = ?")
            .bind(release_id)
            .bind(action)
            .fetch_one(conn)
            .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}
