//! The `metric_actuals` table: each metric's actuals, newest last.

use std::collections::HashMap;

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{from_millis, to_millis, StoreError};

/// A metric's actual as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredActual {
    pub value: String,
    pub entered_by: String,
    pub at: DateTime<Utc>,
}

/// Records an actual of `metric`.
pub async fn record(
    conn: &mut impl AsConn,
    release_id: &str,
    metric: &str,
    value: &str,
    entered_by: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "INSERT INTO metric_actuals (release_id, metric, value, entered_by, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(release_id)
    .bind(metric)
    .bind(value)
    .bind(entered_by)
    .bind(to_millis(at))
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// The newest actual of every metric of a release that has one.
pub async fn latest(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<HashMap<String, StoredActual>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT metric, value, entered_by, at FROM metric_actuals
          WHERE id IN (SELECT MAX(id) FROM metric_actuals WHERE release_id = $1 GROUP BY metric)",
        )
        .bind(release_id)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(metric, value, entered_by, at)| {
                let actual = StoredActual {
                    value,
                    entered_by,
                    at: from_millis(at),
                };
                (metric, actual)
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_store;

    #[tokio::test]
    async fn the_newest_actual_of_each_metric_is_its_actual() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let (early, late) = (from_millis(1_000), from_millis(2_000));
        record(&mut conn, "r", "nps", "40", "U1", early)
            .await
            .unwrap();
        record(&mut conn, "r", "nps", "55", "U2", late)
            .await
            .unwrap();
        record(&mut conn, "r", "errors", "0.4%", "U1", early)
            .await
            .unwrap();
        let newest = latest(&mut conn, "r").await.unwrap();
        assert_eq!(newest.len(), 2);
        assert_eq!(newest["nps"].value, "55");
        assert_eq!(newest["nps"].entered_by, "U2");
        assert!(latest(&mut conn, "other").await.unwrap().is_empty());
    }
}
