//! The `runbook_steps` table: what people confirmed of a contingency runbook.

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{from_millis, to_millis, StoreError};
use crate::domain::incident::IncidentId;

/// Records a confirmed runbook step; false when it was already confirmed.
pub async fn confirm_step(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
    step: usize,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
        "INSERT INTO runbook_steps (release_id, incident, step, done_by, done_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(release_id)
    .bind(id.0)
    .bind(step as i64)
    .bind(by)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The confirmed steps of an incident's runbook: (step, by, at).
pub async fn confirmed_steps(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<Vec<(usize, String, DateTime<Utc>)>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT step, done_by, done_at FROM runbook_steps WHERE release_id = $1 AND incident = $2 ORDER BY step",
    )
    .bind(release_id)
    .bind(id.0)
    .fetch_all(conn)
    .await?;
        Ok(rows
            .into_iter()
            .map(|(step, by, at)| (step as usize, by, from_millis(at)))
            .collect())
    })
}
