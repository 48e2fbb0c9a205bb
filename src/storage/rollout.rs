//! The rollout tables: steps as they stand (`rollout_steps`), changes asked of the flag server
//! (`rollout_changes`), what golive last set (`rollout_flags`), pauses (`rollout_pauses`) and
//! guard readings (`guard_readings`).

use std::collections::HashMap;

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{from_millis, to_millis, StoreError};
use crate::domain::incident::IncidentId;
use crate::domain::rollout::{FlagTarget, GuardOutcome, StepState};

/// A step as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStep {
    pub state: StepState,
    pub change: Option<i64>,
    /// Who applied or held it, and when.
    pub by: Option<(String, DateTime<Utc>)>,
}

/// Every stored step of a release, by percentage.
pub async fn steps(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<HashMap<u8, StoredStep>, StoreError> {
    crate::on!(conn, |conn| {
        type StepRow = (i64, String, Option<i64>, Option<String>, Option<i64>);
        let rows: Vec<StepRow> = sqlx::query_as(
        "SELECT percent, state, change_id, by_user, at FROM rollout_steps WHERE release_id = $1",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
        rows.into_iter()
            .map(|(percent, state, change, by, at)| {
                let state = StepState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("rollout step state {state:?}")))?;
                let by = by.zip(at.map(from_millis));
                Ok((percent as u8, StoredStep { state, change, by }))
            })
            .collect()
    })
}

/// Sets a step's state; `by` names who applied or held it.
pub async fn set_step(
    conn: &mut impl AsConn,
    release_id: &str,
    percent: u8,
    state: StepState,
    change: Option<i64>,
    by: Option<(&str, DateTime<Utc>)>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "INSERT INTO rollout_steps (release_id, percent, state, change_id, by_user, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (release_id, percent) DO UPDATE
            SET state = excluded.state,
                change_id = COALESCE(excluded.change_id, rollout_steps.change_id),
                by_user = COALESCE(excluded.by_user, rollout_steps.by_user),
                at = COALESCE(excluded.at, rollout_steps.at)",
    )
    .bind(release_id)
    .bind(i64::from(percent))
    .bind(state.as_str())
    .bind(change)
    .bind(by.map(|(u, _)| u))
    .bind(by.map(|(_, at)| to_millis(at)))
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Marks every open step below `percent` skipped: a later one was applied first.
pub async fn skip_below(
    conn: &mut impl AsConn,
    release_id: &str,
    percent: u8,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "UPDATE rollout_steps SET state = 'skipped'
          WHERE release_id = $1 AND percent < $2 AND state IN ('waiting', 'held')",
        )
        .bind(release_id)
        .bind(i64::from(percent))
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Why a change was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeWhy {
    /// A step's Apply, or an `auto` step at its time.
    Step,
    Set,
    Back,
    Kill,
    /// A tripped guard going back a step.
    Guard,
    /// A runbook step's effect.
    Runbook,
}

impl ChangeWhy {
    const ALL: [Self; 6] = [
        Self::Step,
        Self::Set,
        Self::Back,
        Self::Kill,
        Self::Guard,
        Self::Runbook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Step => "step",
            Self::Set => "set",
            Self::Back => "back",
            Self::Kill => "kill",
            Self::Guard => "guard",
            Self::Runbook => "runbook",
        }
    }

    /// Whether the change may go on while the rollout is paused or a guard fails: a person
    /// going forward may not; going back and switching off always may.
    pub fn is_guarded(self) -> bool {
        matches!(self, Self::Step | Self::Set)
    }
}

/// Where a change is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeState {
    Pending,
    Applied {
        read_back: Option<FlagTarget>,
        recorded_only: bool,
    },
    /// Not attempted: paused, a guard, a hand-made change to confirm first.
    Blocked(String),
    Failed(String),
}

/// A change as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub step: Option<u8>,
    pub target: FlagTarget,
    pub why: ChangeWhy,
    pub by: String,
    pub at: DateTime<Utc>,
    pub state: ChangeState,
    pub done_at: Option<DateTime<Utc>>,
}

type ChangeRow = (
    i64,
    Option<i64>,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    bool,
    Option<String>,
    Option<i64>,
);

const CHANGE_COLUMNS: &str = "id, step, target, why, requested_by, requested_at, state, read_back, recorded_only, detail, done_at";

fn change_from(row: ChangeRow) -> Result<Change, StoreError> {
    let (id, step, target, why, by, at, state, read_back, recorded_only, detail, done_at) = row;
    let corrupt =
        |what: &str, value: &str| StoreError::Corrupt(format!("rollout change {what} {value:?}"));
    let target = FlagTarget::decode(&target).ok_or_else(|| corrupt("target", &target))?;
    let why = ChangeWhy::ALL
        .into_iter()
        .find(|w| w.as_str() == why)
        .ok_or_else(|| corrupt("why", &why))?;
    let detail = detail.unwrap_or_default();
    let state = match state.as_str() {
        "pending" => ChangeState::Pending,
        "applied" => ChangeState::Applied {
            read_back: read_back.as_deref().and_then(FlagTarget::decode),
            recorded_only,
        },
        "blocked" => ChangeState::Blocked(detail),
        "failed" => ChangeState::Failed(detail),
        other => return Err(corrupt("state", other)),
    };
    Ok(Change {
        id,
        step: step.map(|s| s as u8),
        target,
        why,
        by,
        at: from_millis(at),
        state,
        done_at: done_at.map(from_millis),
    })
}

/// Records a change to make; returns its id.
pub async fn insert_change(
    conn: &mut impl AsConn,
    release_id: &str,
    step: Option<u8>,
    target: FlagTarget,
    why: ChangeWhy,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    crate::on!(conn, |conn| {
        let done: (i64,) = sqlx::query_as(
        "INSERT INTO rollout_changes (release_id, step, target, why, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(release_id)
    .bind(step.map(i64::from))
    .bind(target.encode())
    .bind(why.as_str())
    .bind(by)
    .bind(to_millis(now))
    .fetch_one(conn)
    .await?;
        Ok(done.0)
    })
}

pub async fn change(
    conn: &mut impl AsConn,
    release_id: &str,
    id: i64,
) -> Result<Option<Change>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<ChangeRow> = sqlx::query_as(&format!(
            "SELECT {CHANGE_COLUMNS} FROM rollout_changes WHERE release_id = $1 AND id = $2"
        ))
        .bind(release_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
        row.map(change_from).transpose()
    })
}

/// Every change of a release, oldest first.
pub async fn changes(conn: &mut impl AsConn, release_id: &str) -> Result<Vec<Change>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<ChangeRow> = sqlx::query_as(&format!(
            "SELECT {CHANGE_COLUMNS} FROM rollout_changes WHERE release_id = $1 ORDER BY id"
        ))
        .bind(release_id)
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(change_from).collect()
    })
}

/// Records how a change ended.
pub async fn finish_change(
    conn: &mut impl AsConn,
    release_id: &str,
    id: i64,
    state: &ChangeState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let (name, read_back, recorded_only, detail) = match state {
            ChangeState::Pending => ("pending", None, false, None),
            ChangeState::Applied {
                read_back,
                recorded_only,
            } => (
                "applied",
                read_back.map(FlagTarget::encode),
                *recorded_only,
                None,
            ),
            ChangeState::Blocked(why) => ("blocked", None, false, Some(why.as_str())),
            ChangeState::Failed(why) => ("failed", None, false, Some(why.as_str())),
        };
        sqlx::query(
        "UPDATE rollout_changes SET state = $1, read_back = $2, recorded_only = $3, detail = $4, done_at = $5
          WHERE release_id = $6 AND id = $7",
    )
    .bind(name)
    .bind(read_back)
    .bind(recorded_only)
    .bind(detail)
    .bind(to_millis(now))
    .bind(release_id)
    .bind(id)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// What golive knows of the flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagRecord {
    /// What golive last set.
    pub applied: Option<FlagTarget>,
    /// A hand-made reading someone chose to go over with the next change.
    pub drift_seen: Option<String>,
    /// The flag server's last reading ("25", "off", or why it could not be read) and when.
    pub server: Option<(String, DateTime<Utc>)>,
}

pub async fn flag(conn: &mut impl AsConn, release_id: &str) -> Result<FlagRecord, StoreError> {
    crate::on!(conn, |conn| {
        type FlagRow = (Option<String>, Option<String>, Option<String>, Option<i64>);
        let row: Option<FlagRow> = sqlx::query_as(
        "SELECT applied, drift_seen, server, server_at FROM rollout_flags WHERE release_id = $1",
    )
    .bind(release_id)
    .fetch_optional(conn)
    .await?;
        Ok(
            row.map_or_else(FlagRecord::default, |(applied, drift, server, at)| {
                FlagRecord {
                    applied: applied.as_deref().and_then(FlagTarget::decode),
                    drift_seen: drift,
                    server: server.zip(at.map(from_millis)),
                }
            }),
        )
    })
}

/// Records what golive set; a drift someone went over is then settled.
pub async fn set_applied(
    conn: &mut impl AsConn,
    release_id: &str,
    applied: FlagTarget,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "INSERT INTO rollout_flags (release_id, applied) VALUES ($1, $2)
         ON CONFLICT (release_id) DO UPDATE SET applied = excluded.applied, drift_seen = NULL",
        )
        .bind(release_id)
        .bind(applied.encode())
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Records the flag server's reading and, when someone chose to go over it, that too.
pub async fn set_server(
    conn: &mut impl AsConn,
    release_id: &str,
    reading: &str,
    at: DateTime<Utc>,
    drift_seen: Option<&str>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "INSERT INTO rollout_flags (release_id, server, server_at, drift_seen) VALUES ($1, $2, $3, $4)
         ON CONFLICT (release_id) DO UPDATE
            SET server = excluded.server, server_at = excluded.server_at,
                drift_seen = COALESCE(excluded.drift_seen, rollout_flags.drift_seen)",
    )
    .bind(release_id)
    .bind(reading)
    .bind(to_millis(at))
    .bind(drift_seen)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// A rollout pause in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutPause {
    pub incident: Option<IncidentId>,
    pub reason: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Records a rollout pause unless one is already in force; returns whether it was recorded. Of
/// two pauses recorded at once (by two replicas), one is.
pub async fn pause(
    conn: &mut impl AsConn,
    release_id: &str,
    incident: Option<IncidentId>,
    reason: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    super::releases::lock(conn, release_id).await?;
    crate::on!(conn, |conn| {
        if pause_in_force(conn, release_id).await?.is_some() {
            return Ok(false);
        }
        sqlx::query(
        "INSERT INTO rollout_pauses (release_id, incident, reason, paused_by, paused_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(release_id)
    .bind(incident.map(|i| i.0))
    .bind(reason)
    .bind(by)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
        Ok(true)
    })
}

/// The rollout pause in force, if any.
pub async fn pause_in_force(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Option<RolloutPause>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<(Option<i64>, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT incident, reason, paused_by, paused_at FROM rollout_pauses
          WHERE release_id = $1 AND resumed_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(release_id)
        .fetch_optional(conn)
        .await?;
        Ok(row.map(|(incident, reason, by, at)| RolloutPause {
            incident: incident.map(IncidentId),
            reason,
            by,
            at: from_millis(at),
        }))
    })
}

/// Ends every rollout pause in force; returns how many.
pub async fn resume(
    conn: &mut impl AsConn,
    release_id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
        "UPDATE rollout_pauses SET resumed_by = $1, resumed_at = $2 WHERE release_id = $3 AND resumed_at IS NULL",
    )
    .bind(by)
    .bind(to_millis(now))
    .bind(release_id)
    .execute(conn)
    .await?;
        Ok(done.rows_affected())
    })
}

/// A guard reading as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardReading {
    pub guard: String,
    pub at: DateTime<Utc>,
    pub sampled_at: Option<DateTime<Utc>>,
    pub outcome: GuardOutcome,
    pub streak: u32,
    pub tripped: bool,
}

type ReadingRow = (
    String,
    i64,
    Option<i64>,
    Option<f64>,
    String,
    Option<String>,
    i64,
    bool,
);

fn reading_from(row: ReadingRow) -> GuardReading {
    let (guard, at, sampled_at, value, outcome, detail, streak, tripped) = row;
    let outcome = match (outcome.as_str(), value) {
        ("pass", Some(v)) => GuardOutcome::Pass(v),
        ("fail", Some(v)) => GuardOutcome::Fail(v),
        _ => GuardOutcome::Unknown(detail.unwrap_or_default()),
    };
    GuardReading {
        guard,
        at: from_millis(at),
        sampled_at: sampled_at.map(from_millis),
        outcome,
        streak: u32::try_from(streak).unwrap_or(0),
        tripped,
    }
}

pub async fn record_reading(
    conn: &mut impl AsConn,
    release_id: &str,
    reading: &GuardReading,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let detail = match &reading.outcome {
            GuardOutcome::Unknown(why) => Some(why.as_str()),
            _ => None,
        };
        sqlx::query(
        "INSERT INTO guard_readings (release_id, guard, at, sampled_at, value, outcome, detail, streak, tripped)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(release_id)
    .bind(&reading.guard)
    .bind(to_millis(reading.at))
    .bind(reading.sampled_at.map(to_millis))
    .bind(reading.outcome.value())
    .bind(reading.outcome.as_str())
    .bind(detail)
    .bind(i64::from(reading.streak))
    .bind(reading.tripped)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// The newest reading of each guard.
pub async fn latest_readings(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<HashMap<String, GuardReading>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<ReadingRow> = sqlx::query_as(
        "SELECT guard, at, sampled_at, value, outcome, detail, streak, tripped FROM guard_readings
          WHERE id IN (SELECT MAX(id) FROM guard_readings WHERE release_id = $1 GROUP BY guard)",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
        Ok(rows
            .into_iter()
            .map(reading_from)
            .map(|r| (r.guard.clone(), r))
            .collect())
    })
}

/// Every reading of a release, oldest first (for the launch record).
pub async fn readings(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<GuardReading>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<ReadingRow> = sqlx::query_as(
        "SELECT guard, at, sampled_at, value, outcome, detail, streak, tripped FROM guard_readings
          WHERE release_id = $1 ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
        Ok(rows.into_iter().map(reading_from).collect())
    })
}
