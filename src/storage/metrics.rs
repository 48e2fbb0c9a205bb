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
