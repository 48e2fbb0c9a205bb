//! The `deliveries` table: ids of inbound Slack deliveries already handled.

use std::collections::HashSet;

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{to_millis, StoreError};

/// Records a delivery id; true the first time it is seen, false for Slack's retries.
pub async fn first_delivery(
    conn: &mut impl AsConn,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done =
            sqlx::query("INSERT OR IGNORE INTO deliveries (id, received_at) VALUES ($1, $2)")
                .bind(id)
                .bind(to_millis(now))
                .execute(conn)
                .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Records many delivery ids (each with when it arrived) in two statements, whatever their
/// number. For each, in order: true the first time it is seen; an id given twice is new at most
/// once, the first time. Meant for a write transaction, so that nothing lands in between.
pub async fn first_deliveries(
    conn: &mut impl AsConn,
    deliveries: &[(&str, DateTime<Utc>)],
) -> Result<Vec<bool>, StoreError> {
    crate::on!(conn, |conn| {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = deliveries.iter().map(|(id, _)| *id).collect();
        // The ids seen before, as one JSON array: a row per id would be a message per id from the
        // connection's thread.
        let (seen,): (String,) = sqlx::query_as(
            "SELECT json_group_array(id) FROM deliveries
          WHERE id IN (SELECT value FROM json_each($1))",
        )
        .bind(super::json_rows(&ids)?)
        .fetch_one(&mut *conn)
        .await?;
        let mut seen: HashSet<String> = serde_json::from_str(&seen)
            .map_err(|e| StoreError::Corrupt(format!("seen delivery ids: {e}")))?;
        let first: Vec<bool> = ids.iter().map(|id| seen.insert(id.to_string())).collect();
        let new: Vec<(&str, i64)> = deliveries
            .iter()
            .zip(&first)
            .filter(|(_, first)| **first)
            .map(|((id, at), _)| (*id, to_millis(*at)))
            .collect();
        if !new.is_empty() {
            sqlx::query(
                "INSERT OR IGNORE INTO deliveries (id, received_at)
             SELECT value ->> 0, value ->> 1 FROM json_each($1)",
            )
            .bind(super::json_rows(&new)?)
            .execute(conn)
            .await?;
        }
        Ok(first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn many_deliveries_are_new_once_each_in_order() {
        let (_dir, pool) = crate::storage::test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let now = Utc::now();
        assert!(first_delivery(&mut conn, "seen", now).await.unwrap());
        let given = [("a", now), ("seen", now), ("b", now), ("a", now)];
        let new = first_deliveries(&mut conn, &given).await.unwrap();
        assert_eq!(new, [true, false, true, false]);
        assert!(!first_delivery(&mut conn, "b", now).await.unwrap());
        let sql = "SELECT received_at FROM deliveries WHERE id = 'a'";
        let (at,): (i64,) =
            crate::on!(&mut conn, |c| sqlx::query_as(sql).fetch_one(c).await).unwrap();
        assert_eq!(at, to_millis(now));
        assert!(first_deliveries(&mut conn, &[]).await.unwrap().is_empty());
    }
}
