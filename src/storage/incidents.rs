//! The `incidents` table, and the keys of the incident jobs.
//!
//! An incident's waits and messages are rows in `jobs` whose keys start with `incident:INC-n:`,
//! so ending an incident's waits is one update of its pending `escalation` jobs.

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{from_millis, to_millis, StoreError};
use crate::domain::incident::{Incident, IncidentId, Resolution, Severity};

/// The job kind of an escalation wait.
pub const ESCALATION: &str = "escalation";

/// The prefix of every job key belonging to `id`.
pub fn job_prefix(id: IncidentId) -> String {
    format!("incident:{id}:")
}

/// The key of the `sequence`-th message queued for `id`; zero-padded so keys sort in order.
pub fn message_key(id: IncidentId, sequence: i64) -> String {
    format!("{}m{sequence:05}", job_prefix(id))
}

#[derive(sqlx::FromRow)]
struct IncidentRow {
    number: i64,
    severity: String,
    summary: String,
    opened_by: String,
    opened_at: i64,
    level: i64,
    level_since: i64,
    acked_by: Option<String>,
    acked_at: Option<i64>,
    customer_impact: bool,
    rollback_considered: bool,
    runbook: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<i64>,
    resolution_note: Option<String>,
}

const COLUMNS: &str = "number, severity, summary, opened_by, opened_at, level, level_since, acked_by, acked_at, customer_impact, rollback_considered, runbook, resolved_by, resolved_at, resolution_note";

impl TryFrom<IncidentRow> for Incident {
    type Error = StoreError;

    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        let severity: Severity = row
            .severity
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("severity {:?}", row.severity)))?;
        Ok(Incident {
            id: IncidentId(row.number),
            severity,
            summary: row.summary,
            opened_by: row.opened_by,
            opened_at: from_millis(row.opened_at),
            level: u8::try_from(row.level)
                .map_err(|_| StoreError::Corrupt(format!("level {}", row.level)))?,
            level_since: from_millis(row.level_since),
            acked: row.acked_by.zip(row.acked_at.map(from_millis)),
            customer_impact: row.customer_impact,
            rollback_considered: row.rollback_considered,
            runbook: row.runbook,
            resolved: match (row.resolved_by, row.resolved_at) {
                (Some(by), Some(at)) => Some(Resolution {
                    by,
                    at: from_millis(at),
                    note: row.resolution_note,
                }),
                _ => None,
            },
        })
    }
}

/// Stores a new incident under the next free number and returns that number. Incidents opened
/// at once (by two replicas) get numbers one after the other.
pub async fn insert(
    conn: &mut impl AsConn,
    release_id: &str,
    incident: &Incident,
) -> Result<IncidentId, StoreError> {
    super::releases::lock(conn, release_id).await?;
    crate::on!(conn, |conn| {
        let (number,): (i64,) = sqlx::query_as(
        "INSERT INTO incidents (release_id, number, severity, summary, opened_by, opened_at, level, level_since)
         SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6, $5 FROM incidents WHERE release_id = $1
         RETURNING number",
    )
    .bind(release_id)
    .bind(incident.severity.as_str())
    .bind(&incident.summary)
    .bind(&incident.opened_by)
    .bind(to_millis(incident.opened_at))
    .bind(i64::from(incident.level))
    .fetch_one(conn)
    .await?;
        Ok(IncidentId(number))
    })
}

/// One incident, if it exists.
pub async fn load(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<Option<Incident>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<IncidentRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE release_id = $1 AND number = $2"
        ))
        .bind(release_id)
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
        row.map(Incident::try_from).transpose()
    })
}

/// The open incidents, oldest first.
pub async fn open(conn: &mut impl AsConn, release_id: &str) -> Result<Vec<Incident>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE release_id = $1 AND resolved_at IS NULL ORDER BY number"
    ))
    .bind(release_id)
    .fetch_all(conn)
    .await?;
        rows.into_iter().map(Incident::try_from).collect()
    })
}

/// How many P0 incidents are open.
pub async fn open_p0_count(conn: &mut impl AsConn, release_id: &str) -> Result<usize, StoreError> {
    crate::on!(conn, |conn| {
        let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM incidents WHERE release_id = $1 AND resolved_at IS NULL AND severity = 'P0'",
    )
    .bind(release_id)
    .fetch_one(conn)
    .await?;
        Ok(usize::try_from(count).unwrap_or_default())
    })
}

/// How many incidents are open.
pub async fn open_count(conn: &mut impl AsConn, release_id: &str) -> Result<usize, StoreError> {
    crate::on!(conn, |conn| {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM incidents WHERE release_id = $1 AND resolved_at IS NULL",
        )
        .bind(release_id)
        .fetch_one(conn)
        .await?;
        Ok(usize::try_from(count).unwrap_or_default())
    })
}

/// Writes back what transitions change.
pub async fn save(
    conn: &mut impl AsConn,
    release_id: &str,
    incident: &Incident,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let (acked_by, acked_at) = match &incident.acked {
            Some((by, at)) => (Some(by.as_str()), Some(to_millis(*at))),
            None => (None, None),
        };
        let resolved = incident.resolved.as_ref();
        sqlx::query(
        "UPDATE incidents SET level = $1, level_since = $2, acked_by = $3, acked_at = $4, customer_impact = $5,
                rollback_considered = $6, runbook = $7, resolved_by = $8, resolved_at = $9, resolution_note = $10
          WHERE release_id = $11 AND number = $12",
    )
    .bind(i64::from(incident.level))
    .bind(to_millis(incident.level_since))
    .bind(acked_by)
    .bind(acked_at)
    .bind(incident.customer_impact)
    .bind(incident.rollback_considered)
    .bind(&incident.runbook)
    .bind(resolved.map(|r| r.by.as_str()))
    .bind(resolved.map(|r| to_millis(r.at)))
    .bind(resolved.and_then(|r| r.note.as_deref()))
    .bind(release_id)
    .bind(incident.id.0)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Reserves the next message number of an incident (the first is 0: the incident post).
pub async fn next_message(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<i64, StoreError> {
    crate::on!(conn, |conn| {
        let (next,): (i64,) = sqlx::query_as(
        "UPDATE incidents SET messages = messages + 1 WHERE release_id = $1 AND number = $2 RETURNING messages - 1",
    )
    .bind(release_id)
    .bind(id.0)
    .fetch_one(conn)
    .await?;
        Ok(next)
    })
}

/// Where the incident post landed (channel, ts), once it is posted.
pub async fn incident_post(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<Option<(String, String)>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT channel, ts FROM jobs WHERE release_id = $1 AND key = $2 AND state = 'done'",
        )
        .bind(release_id)
        .bind(message_key(id, 0))
        .fetch_optional(conn)
        .await?;
        Ok(row.and_then(|(channel, ts)| channel.zip(ts)))
    })
}

/// Cancels the incident's pending escalation waits; returns how many.
pub async fn cancel_waits(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        // The incident's keys are those after its prefix and before the prefix with ':' + 1 (';'):
        // a range on the primary key, not a scan of every job.
        let prefix = job_prefix(id);
        let end = format!("{};", prefix.trim_end_matches(':'));
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled'
          WHERE release_id = $1 AND key > $2 AND key < $3 AND kind = $4 AND state = 'pending'",
        )
        .bind(release_id)
        .bind(&prefix)
        .bind(&end)
        .bind(ESCALATION)
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    })
}

/// Records the hotfix of an incident.
pub async fn record_hotfix(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("UPDATE incidents SET hotfix_at = COALESCE(hotfix_at, $1) WHERE release_id = $2 AND number = $3")
        .bind(to_millis(now))
        .bind(release_id)
        .bind(id.0)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// When the hotfix was recorded, if it was.
pub async fn hotfix_at(
    conn: &mut impl AsConn,
    release_id: &str,
    id: IncidentId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT hotfix_at FROM incidents WHERE release_id = $1 AND number = $2")
                .bind(release_id)
                .bind(id.0)
                .fetch_optional(conn)
                .await?;
        Ok(row.and_then(|(at,)| at).map(from_millis))
    })
}
