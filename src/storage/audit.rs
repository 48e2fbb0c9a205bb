//! The `audit_log` table: who did what, when.

use super::{AsConn, Conn};
use chrono::{DateTime, Utc};

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
    conn: &mut impl AsConn,
    release_id: &str,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "INSERT INTO audit_log (release_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(release_id)
    .bind(to_millis(at))
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// One entry to append with [`record_all`].
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    pub release_id: &'a str,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
}

/// Appends many entries in one statement, in the order given.
pub async fn record_all(
    conn: &mut impl AsConn,
    entries: &[NewEntry<'_>],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&str, i64, &str, &str, &str)> = entries
        .iter()
        .map(|e| (e.release_id, to_millis(e.at), e.actor, e.action, e.detail))
        .collect();
    let rows = super::json_rows(&rows)?;
    // The rows as one bound JSON array, read in their order: SQLite's json_each numbers them by
    // `key`, PostgreSQL's jsonb_array_elements WITH ORDINALITY by `n`.
    match conn.conn() {
        Conn::Sqlite(conn) => {
            sqlx::query(
                "INSERT INTO audit_log (release_id, at, actor, action, detail)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
                   FROM json_each($1) ORDER BY key",
            )
            .bind(rows)
            .execute(conn)
            .await?;
        }
        Conn::Postgres(conn) => {
            sqlx::query(
                "INSERT INTO audit_log (release_id, at, actor, action, detail)
                 SELECT r ->> 0, (r ->> 1)::bigint, r ->> 2, r ->> 3, r ->> 4
                   FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (r, n)
                  ORDER BY n",
            )
            .bind(rows)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// The whole log of a release, oldest first.
pub async fn list(conn: &mut impl AsConn, release_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, detail FROM audit_log WHERE release_id = $1 ORDER BY id",
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
    })
}

/// How many entries of `action` a release's log holds.
pub async fn count(
    conn: &mut impl AsConn,
    release_id: &str,
    action: &str,
) -> Result<u32, StoreError> {
    crate::on!(conn, |conn| {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE release_id = $1 AND action = $2")
                .bind(release_id)
                .bind(action)
                .fetch_one(conn)
                .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    })
}
