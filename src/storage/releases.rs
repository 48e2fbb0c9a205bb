//! The `releases` table: one row per launch.

use std::collections::BTreeMap;

use super::{AsConn, Conn};
use chrono::{DateTime, NaiveDate, Utc};

use super::{to_millis, StoreError};

/// A release as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRelease {
    pub id: String,
    pub channel: String,
    pub launch_date: Option<NaiveDate>,
}

/// Creates the release row if it does not exist yet; an existing row keeps its launch date,
/// because `/golive launch-date` overrides what the plan said. The row is then held until the
/// transaction ends (see [`lock`]): two replicas reading a changed plan at once bring the
/// release in step one after the other, so the second finds nothing left to change.
pub async fn ensure(
    conn: &mut impl AsConn,
    id: &str,
    name: &str,
    version: &str,
    channel: &str,
    launch_date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<StoredRelease, StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "INSERT INTO releases (id, name, version, channel, launch_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(version)
        .bind(channel)
        .bind(launch_date.map(|d| d.to_string()))
        .bind(to_millis(now))
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    });
    lock(conn, id).await?;
    load(conn, id).await
}

/// Reads one release.
pub async fn load(conn: &mut impl AsConn, id: &str) -> Result<StoredRelease, StoreError> {
    crate::on!(conn, |conn| {
        let (id, channel, launch_date): (String, String, Option<String>) =
            sqlx::query_as("SELECT id, channel, launch_date FROM releases WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        let launch_date = launch_date
            .map(|d| d.parse::<NaiveDate>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("release {id}: launch_date: {e}")))?;
        Ok(StoredRelease {
            id,
            channel,
            launch_date,
        })
    })
}

/// Holds release `id` until the transaction ends, so that changes of one launch that read
/// before they write (the next incident number, a pause unless one is in force, a role's holders)
/// queue up rather than interleave. On PostgreSQL, which several replicas share, this locks the
/// release's row, as an update of it would: rows that only refer to the release (audit entries,
/// jobs) are still written meanwhile. On SQLite a write transaction holds the whole file already.
pub async fn lock(conn: &mut impl AsConn, id: &str) -> Result<(), StoreError> {
    match conn.conn() {
        Conn::Sqlite(_) => {}
        Conn::Postgres(conn) => {
            sqlx::query("SELECT 1 FROM releases WHERE id = $1 FOR NO KEY UPDATE")
                .bind(id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Sets or moves L-Day.
pub async fn set_launch_date(
    conn: &mut impl AsConn,
    id: &str,
    launch_date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("UPDATE releases SET launch_date = $1, updated_at = $2 WHERE id = $3")
            .bind(launch_date.to_string())
            .bind(to_millis(now))
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// The role holders the plan named when it was last read (role key → user ids); `None` for a
/// release last read before golive kept them.
pub async fn plan_roles(
    conn: &mut impl AsConn,
    id: &str,
) -> Result<Option<BTreeMap<String, Vec<String>>>, StoreError> {
    crate::on!(conn, |conn| {
        let (stored,): (Option<String>,) =
            sqlx::query_as("SELECT plan_roles FROM releases WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        stored
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("release {id}: plan_roles: {e}")))
    })
}

/// Keeps the role holders the plan names now.
pub async fn set_plan_roles(
    conn: &mut impl AsConn,
    id: &str,
    roles: &BTreeMap<String, Vec<String>>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let json = serde_json::to_string(roles)
            .map_err(|e| StoreError::Corrupt(format!("release {id}: plan_roles: {e}")))?;
        sqlx::query("UPDATE releases SET plan_roles = $1 WHERE id = $2")
            .bind(json)
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Whether the store holds release `id`.
pub async fn exists(conn: &mut impl AsConn, id: &str) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM releases WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?;
        Ok(n > 0)
    })
}
