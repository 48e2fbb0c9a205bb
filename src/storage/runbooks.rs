//! The `runbook_steps` and `rollout_pauses` tables: what people confirmed of a contingency
//! runbook, and the rollout pauses its steps recorded.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{from_millis, to_millis, StoreError};
use crate::domain::incident::IncidentId;

/// Records a confirmed runbook step; false when it was already confirmed.
pub async fn confirm_step(
    conn: &mut SqliteConnection,
    release_id: &str,
    id: IncidentId,
    step: usize,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO runbook_steps (release_id, incident, step, done_by, done_at) VALUES (?, ?, ?, ?, ?)
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
}

/// The confirmed steps of an incident's runbook: (step, by, at).
pub async fn confirmed_steps(
    conn: &mut SqliteConnection,
    release_id: &str,
    id: IncidentId,
) -> Result<Vec<(usize, String, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT step, done_by, done_at FROM runbook_steps WHERE release_id = ? AND incident = ? ORDER BY step",
    )
    .bind(release_id)
    .bind(id.0)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(step, by, at)| (step as usize, by, from_millis(at)))
        .collect())
}

/// A rollout pause in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutPause {
    pub incident: Option<IncidentId>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Records a rollout pause unless one is already in force; returns whether it was recorded.
pub async fn pause_rollout(
    conn: &mut SqliteConnection,
    release_id: &str,
    incident: IncidentId,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if rollout_pause(conn, release_id).await?.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO rollout_pauses (release_id, incident, paused_by, paused_at) VALUES (?, ?, ?, ?)",
    )
    .bind(release_id)
    .bind(incident.0)
    .bind(by)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(true)
}

/// The rollout pause in force, if any.
pub async fn rollout_pause(
    conn: &mut SqliteConnection,
    release_id: &str,
) -> Result<Option<RolloutPause>, StoreError> {
    let row: Option<(Option<i64>, String, i64)> = sqlx::query_as(
        "SELECT incident, paused_by, paused_at FROM rollout_pauses
          WHERE release_id = ? AND resumed_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(release_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(incident, by, at)| RolloutPause {
        incident: incident.map(IncidentId),
        by,
        at: from_millis(at),
    }))
}

/// Ends every rollout pause in force; returns how many.
pub async fn resume_rollout(
    conn: &mut SqliteConnection,
    release_id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE rollout_pauses SET resumed_by = ?, resumed_at = ? WHERE release_id = ? AND resumed_at IS NULL",
    )
    .bind(by)
    .bind(to_millis(now))
    .bind(release_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
