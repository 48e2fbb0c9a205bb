//! The `jobs` table: timed work, written before it is attempted.
//!
//! Life of a job: `pending` (waiting for `due_at`) → `sending` (an attempt began; its outcome is
//! unknown until recorded) → `done`. A job whose attempt failed before reaching Slack goes back to
//! `pending`; one whose outcome is unknown stays `sending`, so the next attempt first asks Slack
//! whether the post already exists. Moving L-Day re-times `pending` jobs and cancels the ones the
//! new timeline no longer has.
//!
//! A job whose attempt runs on a task of its own is `in_hand` while it runs (see
//! [`hand_over`]); the scheduler's queries skip it, and [`take_back_all`] clears the flag at start.

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{from_millis, to_millis, StoreError};
use crate::domain::job::JobPayload;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Sending,
    Done,
    Cancelled,
}

impl JobState {
    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "pending" => Ok(Self::Pending),
            "sending" => Ok(Self::Sending),
            "done" => Ok(Self::Done),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(StoreError::Corrupt(format!("job state {other:?}"))),
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub release_id: String,
    pub key: String,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub state: JobState,
    pub payload: String,
    pub attempts: i64,
    pub attempt_started_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub ts: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    /// When a failed job is tried again (or a held one looked at again).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

type JobRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

const COLUMNS: &str = "release_id, key, kind, due_at, state, payload, attempts, attempt_started_at, channel, ts, done_at, next_attempt_at";

fn from_row(row: JobRow) -> Result<Job, StoreError> {
    let (
        release_id,
        key,
        kind,
        due_at,
        state,
        payload,
        attempts,
        started,
        channel,
        ts,
        done_at,
        next,
    ) = row;
    Ok(Job {
        release_id,
        key,
        kind,
        due_at: from_millis(due_at),
        state: JobState::parse(&state)?,
        payload,
        attempts,
        attempt_started_at: started.map(from_millis),
        channel,
        ts,
        done_at: done_at.map(from_millis),
        next_attempt_at: next.map(from_millis),
    })
}

/// Schedules a job, or re-times it if it has not started; started and finished jobs are kept as
/// they are, which is what makes re-scheduling idempotent.
pub async fn schedule(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    due_at: DateTime<Utc>,
    payload: &JobPayload,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "INSERT INTO jobs (release_id, key, kind, due_at, state, payload) VALUES ($1, $2, $3, $4, 'pending', $5)
         ON CONFLICT (release_id, key) DO UPDATE
            SET due_at = excluded.due_at, payload = excluded.payload, state = 'pending', next_attempt_at = NULL
          WHERE jobs.state IN ('pending', 'cancelled')",
    )
    .bind(release_id)
    .bind(key)
    .bind(payload.kind())
    .bind(to_millis(due_at))
    .bind(payload.encode())
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Cancels the pending jobs of `kind` whose key is not in `keep`; returns how many.
pub async fn cancel_pending_except(
    conn: &mut impl AsConn,
    release_id: &str,
    kind: &str,
    keep: &std::collections::HashSet<String>,
) -> Result<usize, StoreError> {
    crate::on!(conn, |conn| {
        let pending: Vec<(String,)> = sqlx::query_as(
            "SELECT key FROM jobs WHERE release_id = $1 AND kind = $2 AND state = 'pending'",
        )
        .bind(release_id)
        .bind(kind)
        .fetch_all(&mut *conn)
        .await?;
        let mut cancelled = 0;
        for (key,) in pending.into_iter().filter(|(k,)| !keep.contains(k)) {
            sqlx::query("UPDATE jobs SET state = 'cancelled' WHERE release_id = $1 AND key = $2")
                .bind(release_id)
                .bind(&key)
                .execute(&mut *conn)
                .await?;
            cancelled += 1;
        }
        Ok(cancelled)
    })
}

/// Gives a job a new key (its occurrence moved to another time, which its key spells), keeping
/// its state and history; a cancelled job holding the new key makes way.
pub async fn rekey(
    conn: &mut impl AsConn,
    release_id: &str,
    from: &str,
    to: &str,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("DELETE FROM jobs WHERE release_id = $1 AND key = $2 AND state = 'cancelled'")
            .bind(release_id)
            .bind(to)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE jobs SET key = $1 WHERE release_id = $2 AND key = $3")
            .bind(to)
            .bind(release_id)
            .bind(from)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Unfinished jobs of `kind` waiting to be retried after `now` (they failed and are backing off).
pub async fn waiting_retries(
    conn: &mut impl AsConn,
    release_id: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Job>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE next_attempt_at > $1 AND state IN ('pending', 'sending')
            AND release_id = $2 AND kind = $3 ORDER BY due_at, key"
    ))
        .bind(to_millis(now))
        .bind(release_id)
        .bind(kind)
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(from_row).collect()
    })
}

/// Keeps a due job waiting until `until` (later than now, so after its due time), leaving its
/// state and last error as they are.
pub async fn hold_until(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "UPDATE jobs SET next_attempt_at = $1 WHERE release_id = $2 AND key = $3 AND state IN ('pending', 'sending')",
    )
    .bind(to_millis(until))
    .bind(release_id)
    .bind(key)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Keys of the jobs of `kind` that are waiting, under way or done: every one not cancelled.
pub async fn keys_not_cancelled(
    conn: &mut impl AsConn,
    release_id: &str,
    kind: &str,
) -> Result<std::collections::HashSet<String>, StoreError> {
    crate::on!(conn, |conn| {
        let keys: Vec<(String,)> = sqlx::query_as(
            "SELECT key FROM jobs WHERE release_id = $1 AND kind = $2 AND state <> 'cancelled'",
        )
        .bind(release_id)
        .bind(kind)
        .fetch_all(conn)
        .await?;
        Ok(keys.into_iter().map(|(key,)| key).collect())
    })
}

/// The release ids a query of the running launches binds: a JSON array, read with `json_each`.
fn running(releases: &[String]) -> String {
    serde_json::to_string(releases).unwrap_or_else(|_| "[]".to_string())
}

/// When the scheduler must next wake up: the earliest unfinished job of the running
/// `releases` (a launch whose plan was removed keeps its jobs, unrun). Two index lookups,
/// however many jobs wait.
pub async fn next_wakeup(
    conn: &mut impl AsConn,
    releases: &[String],
) -> Result<Option<DateTime<Utc>>, StoreError> {
    crate::on!(conn, |conn| {
        let (at,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(at) FROM (
            SELECT MIN(due_at) AS at FROM jobs
             WHERE state IN ('pending', 'sending') AND in_hand = 0 AND next_attempt_at IS NULL
               AND release_id IN (SELECT value FROM json_each($1))
            UNION ALL
            SELECT MIN(next_attempt_at) FROM jobs
             WHERE state IN ('pending', 'sending') AND in_hand = 0 AND next_attempt_at IS NOT NULL
               AND release_id IN (SELECT value FROM json_each($1)))",
        )
        .bind(running(releases))
        .fetch_one(conn)
        .await?;
        Ok(at.map(from_millis))
    })
}

/// Unfinished jobs of the running `releases` whose time has come, oldest first.
pub async fn due(
    conn: &mut impl AsConn,
    releases: &[String],
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Job>, StoreError> {
    crate::on!(conn, |conn| {
        // A retry is only ever set later than its job fell due, so `due_at <= now` holds for every
        // due job, and lets the index skip the jobs still waiting.
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE state IN ('pending', 'sending') AND in_hand = 0
            AND due_at <= $1 AND COALESCE(next_attempt_at, due_at) <= $1
            AND release_id IN (SELECT value FROM json_each($3))
          ORDER BY due_at, key LIMIT $2"
        ))
        .bind(to_millis(now))
        .bind(limit)
        .bind(running(releases))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(from_row).collect()
    })
}

/// One job, by key.
pub async fn get(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
) -> Result<Option<Job>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE release_id = $1 AND key = $2"
        ))
        .bind(release_id)
        .bind(key)
        .fetch_optional(conn)
        .await?;
        row.map(from_row).transpose()
    })
}

/// Every job of a release, in due order.
pub async fn list(conn: &mut impl AsConn, release_id: &str) -> Result<Vec<Job>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE release_id = $1 ORDER BY due_at, key"
        ))
        .bind(release_id)
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(from_row).collect()
    })
}

/// Marks the start of an attempt; must be committed before the attempt touches Slack.
pub async fn begin_attempt(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        start_attempt(conn, release_id, key, now, false).await
    })
}

/// Begins an attempt that a task of its own will make: as [`begin_attempt`], and the job is
/// `in_hand` until [`complete`] or [`retry_later`] records how it went.
pub async fn hand_over(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        start_attempt(conn, release_id, key, now, true).await
    })
}

async fn start_attempt(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    now: DateTime<Utc>,
    in_hand: bool,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "UPDATE jobs SET state = 'sending', attempts = attempts + 1, attempt_started_at = $1, in_hand = $2
          WHERE release_id = $3 AND key = $4 AND state IN ('pending', 'sending')",
    )
    .bind(to_millis(now))
    .bind(in_hand)
    .bind(release_id)
    .bind(key)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Takes back every job handed over: at start no task holds one. Returns how many.
pub async fn take_back_all(conn: &mut impl AsConn) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query("UPDATE jobs SET in_hand = 0 WHERE in_hand = 1")
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    })
}

/// Records a finished job and where its post landed.
pub async fn complete(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    channel: Option<&str>,
    ts: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
        "UPDATE jobs SET state = 'done', channel = $1, ts = $2, done_at = $3, next_attempt_at = NULL, last_error = NULL,
                in_hand = 0
          WHERE release_id = $4 AND key = $5",
    )
    .bind(channel)
    .bind(ts)
    .bind(to_millis(now))
    .bind(release_id)
    .bind(key)
    .execute(conn)
    .await?;
        Ok(())
    })
}

/// Records a job that finished without a post of its own (a decision, a reminder, a skip).
pub async fn finish(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        complete(conn, release_id, key, None, None, now).await
    })
}

/// Records a failed attempt and when to try again. `reached_slack` says whether the outcome is
/// unknown (the job stays `sending`, so the next attempt looks for the post first).
pub async fn retry_later(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    reached_slack: bool,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let state = if reached_slack { "sending" } else { "pending" };
        sqlx::query(
            "UPDATE jobs SET state = $1, last_error = $2, next_attempt_at = $3, in_hand = 0
          WHERE release_id = $4 AND key = $5",
        )
        .bind(state)
        .bind(error)
        .bind(to_millis(next_attempt_at))
        .bind(release_id)
        .bind(key)
        .execute(conn)
        .await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{from_millis, test_store};

    fn vote(vote: i64) -> JobPayload {
        JobPayload::VoteClose { vote }
    }

    #[tokio::test]
    async fn a_job_in_hand_is_neither_due_nor_waited_for_until_its_outcome_is_recorded() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let (early, late) = (from_millis(1_000), from_millis(5_000));
        schedule(&mut conn, "r", "a", early, &vote(1))
            .await
            .unwrap();
        schedule(&mut conn, "r", "b", late, &vote(2)).await.unwrap();
        hand_over(&mut conn, "r", "a", early).await.unwrap();
        let due_keys = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.key).collect::<Vec<_>>();
        let r = ["r".to_string()];
        assert!(due_keys(due(&mut conn, &r, late, 10).await.unwrap()) == ["b"]);
        assert_eq!(next_wakeup(&mut conn, &r).await.unwrap(), Some(late));
        let parked = from_millis(3_000);
        retry_later(&mut conn, "r", "a", "503", parked, true)
            .await
            .unwrap();
        assert_eq!(next_wakeup(&mut conn, &r).await.unwrap(), Some(parked));
        let again = &list(&mut conn, "r").await.unwrap()[0];
        assert_eq!((again.state, again.attempts), (JobState::Sending, 1));
    }

    #[tokio::test]
    async fn the_jobs_of_a_launch_no_longer_run_are_kept_but_not_due() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let at = from_millis(1_000);
        crate::storage::releases::ensure(&mut conn, "gone", "Gone", "1", "#gone", None, at)
            .await
            .unwrap();
        schedule(&mut conn, "gone", "a", at, &vote(1))
            .await
            .unwrap();
        schedule(&mut conn, "r", "b", at, &vote(2)).await.unwrap();
        let r = ["r".to_string()];
        let due_keys: Vec<String> = due(&mut conn, &r, at, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.key)
            .collect();
        assert_eq!(due_keys, ["b"]);
        assert_eq!(next_wakeup(&mut conn, &[]).await.unwrap(), None);
        assert_eq!(list(&mut conn, "gone").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn at_start_every_job_in_hand_is_taken_back_still_sending() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let at = from_millis(1_000);
        for key in ["a", "b"] {
            schedule(&mut conn, "r", key, at, &vote(1)).await.unwrap();
            hand_over(&mut conn, "r", key, at).await.unwrap();
        }
        complete(&mut conn, "r", "b", Some("C1"), Some("1.1"), at)
            .await
            .unwrap();
        assert!(due(&mut conn, &["r".to_string()], at, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(take_back_all(&mut conn).await.unwrap(), 1);
        let due = due(&mut conn, &["r".to_string()], at, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].key.as_str(), due[0].state),
            ("a", JobState::Sending),
            "its outcome is unknown, so it is looked up before it is sent again"
        );
    }
}
