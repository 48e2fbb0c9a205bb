//! The `deliveries` table: ids of inbound Slack deliveries already handled.

use std::collections::HashSet;

use super::{AsConn, Conn};
use chrono::{DateTime, Utc};

use super::{to_millis, StoreError};

/// Records a delivery id; true the first time it is seen, false for Slack's retries.
pub async fn first_delivery(
    conn: &mut impl AsConn,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
            "INSERT INTO deliveries (id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Records many delivery ids (each with when it arrived) in one statement, whatever their
/// number. For each, in order: true the first time it is seen; an id given twice is new at most
/// once, the first time. The statement inserts what nobody recorded before and returns those ids,
/// so of two replicas recording the same id at once exactly one sees it as new.
pub async fn first_deliveries(
    conn: &mut impl AsConn,
    deliveries: &[(&str, DateTime<Utc>)],
) -> Result<Vec<bool>, StoreError> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(&str, i64)> = deliveries
        .iter()
        .map(|(id, at)| (*id, to_millis(*at)))
        .collect();
    let rows = super::json_rows(&rows)?;
    // Every delivery as one bound JSON array, in order, so an id given twice keeps its first
    // arrival. (SQLite needs the WHERE to read ON CONFLICT as the upsert's.)
    let inserted: Vec<(String,)> = match conn.conn() {
        Conn::Sqlite(conn) => {
            sqlx::query_as(
                "INSERT INTO deliveries (id, received_at)
                 SELECT value ->> 0, value ->> 1 FROM json_each($1) WHERE true ORDER BY key
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(rows)
            .fetch_all(conn)
            .await?
        }
        Conn::Postgres(conn) => {
            sqlx::query_as(
                "INSERT INTO deliveries (id, received_at)
                 SELECT r ->> 0, (r ->> 1)::bigint
                   FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (r, n) ORDER BY n
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(rows)
            .fetch_all(conn)
            .await?
        }
    };
    let mut new: HashSet<String> = inserted.into_iter().map(|(id,)| id).collect();
    Ok(deliveries.iter().map(|(id, _)| new.remove(*id)).collect())
}
