//! The `jobs` table: timed work, written before it is attempted.
//!
//! Life of a job: `pending` (waiting for `due_at`) → `sending` (an attempt began; its outcome is
//! unknown until recorded) → `done`. A job whose attempt failed before reaching Slack goes back to
//! `pending`; one whose outcome is unknown stays `sending`, so the next attempt first asks Slack
//! whether the post already exists. Moving L-Day re-times `pending` jobs and cancels the ones the
//! new timeline no longer has.
//!
//! Jobs are leased, not owned: a replica [`claim_due`]s a due job for a while (a lease it keeps
//! renewing), and records the job's outcome only with the claim's fencing token, so a replica
//! whose lease passed to another (it died, or was only slow) cannot overwrite the new holder's
//! result: the late outcome is refused with [`StoreError::LeaseLost`].

use chrono::{DateTime, Utc};

use super::{among, from_millis, to_millis, AsConn, Conn, StoreError};
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
    /// The fencing token of the last claim: what its outcome is recorded with.
    pub lease: i64,
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
    i64,
);

const COLUMNS: &str = "release_id, key, kind, due_at, state, payload, attempts, attempt_started_at, channel, ts, done_at, next_attempt_at, lease_token";

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
        lease,
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
        lease,
    })
}

/// Who claims, on the lease clock: a job is held by `holder` until `until`; a lease that ran out
/// before `now` has let go.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub holder: &'a str,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// "This outcome was refused": the job's lease passed to another replica.
fn fenced(done: u64, release_id: &str, key: &str) -> Result<(), StoreError> {
    match done {
        0 => Err(StoreError::LeaseLost(format!("{release_id}/{key}"))),
        _ => Ok(()),
    }
}

/// Runs a [`fenced_update`] of the claimed `job` whose own parameters are bound, binding the
/// fence after them; [`StoreError::LeaseLost`] when the lease passed to another claim.
macro_rules! run_fenced {
    ($conn:expr, $job:expr, $query:expr) => {{
        let done = $query
            .bind(&$job.release_id)
            .bind(&$job.key)
            .bind($job.lease)
            .execute($conn)
            .await?;
        fenced(done.rows_affected(), &$job.release_id, &$job.key)
    }};
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
    job: &Job,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let set = "next_attempt_at = $1, lease_until = NULL";
        let sql = format!(
            "{} AND state IN ('pending', 'sending')",
            fenced_update(set, 2)
        );
        run_fenced!(conn, job, sqlx::query(&sql).bind(to_millis(until)))
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

/// Unfinished and held by nobody, as the claimant (holder `$holder`, at `$now`) sees it: a lease
/// that ran out counts as let go, except the claimant's own (it is alive and still at work).
fn unheld(now: usize, holder: usize) -> String {
    format!(
        "state IN ('pending', 'sending')
         AND (lease_until IS NULL OR (lease_until <= ${now} AND COALESCE(lease_holder, '') <> ${holder}))"
    )
}

/// An update of the claimed job `$first`, `$first + 1` (release, key) that takes effect only
/// under its lease's fencing token, `$first + 2`.
fn fenced_update(set: &str, first: usize) -> String {
    let (key, token) = (first + 1, first + 2);
    format!("UPDATE jobs SET {set} WHERE release_id = ${first} AND key = ${key} AND lease_token = ${token}")
}

/// The release ids a query of the running launches binds: a JSON array.
fn running(releases: &[String]) -> String {
    serde_json::to_string(releases).unwrap_or_else(|_| "[]".to_string())
}

/// When the scheduler must next wake up: the earliest unfinished job of the running `releases`
/// that [`claim_due`] could claim (a launch whose plan was removed keeps its jobs, unrun). A job
/// whose lease ran out counts again, except one the claimant itself still holds: it wakes the
/// loop when it finishes. Index lookups, however many jobs wait.
pub async fn next_wakeup(
    conn: &mut impl AsConn,
    releases: &[String],
    claim: Claim<'_>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let free = unheld(2, 3);
    let ours = among(conn, "release_id", 1);
    let sql = format!(
        "SELECT MIN(at) FROM (
            SELECT MIN(due_at) AS at FROM jobs WHERE {free} AND next_attempt_at IS NULL AND {ours}
            UNION ALL
            SELECT MIN(next_attempt_at) FROM jobs WHERE {free} AND next_attempt_at IS NOT NULL AND {ours}
         ) AS earliest"
    );
    let (at,): (Option<i64>,) = crate::on!(conn, |c| {
        sqlx::query_as(&sql)
            .bind(running(releases))
            .bind(to_millis(claim.now))
            .bind(claim.holder)
            .fetch_one(c)
            .await?
    });
    Ok(at.map(from_millis))
}

/// Claims up to `limit` unfinished jobs of the running `releases` whose time `due_by` has come,
/// and that nobody holds: a lease that ran out counts as let go, except the claimant's own (it
/// is alive and still at work on them). Each claim makes a new fencing token. Oldest first.
/// On PostgreSQL, rows another replica is claiming are skipped, not waited for.
pub async fn claim_due(
    conn: &mut impl AsConn,
    releases: &[String],
    due_by: DateTime<Utc>,
    limit: i64,
    claim: Claim<'_>,
) -> Result<Vec<Job>, StoreError> {
    // A retry is only ever set later than its job fell due, so `due_at <= now` holds for every
    // due job, and lets the index skip the jobs still waiting.
    let free = format!(
        "{} AND due_at <= $1 AND COALESCE(next_attempt_at, due_at) <= $1",
        unheld(4, 5)
    );
    let ours = among(conn, "release_id", 3);
    let skip_locked = match conn.conn() {
        Conn::Sqlite(_) => "",
        Conn::Postgres(_) => "FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE jobs SET lease_holder = $5, lease_token = lease_token + 1, lease_until = $6
          WHERE (release_id, key) IN (
            SELECT release_id, key FROM jobs WHERE {free} AND {ours}
             ORDER BY due_at, key LIMIT $2 {skip_locked})
         RETURNING {COLUMNS}"
    );
    let rows: Vec<JobRow> = crate::on!(conn, |c| {
        sqlx::query_as(&sql)
            .bind(to_millis(due_by))
            .bind(limit)
            .bind(running(releases))
            .bind(to_millis(claim.now))
            .bind(claim.holder)
            .bind(to_millis(claim.until))
            .fetch_all(c)
            .await?
    });
    let mut jobs = rows
        .into_iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    // RETURNING keeps no order.
    jobs.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
    Ok(jobs)
}

/// Whether a job of the running `releases` is due by `due_by` and not held by another replica
/// (free, its lease run out, or held by `claim.holder` itself): a look, not a claim.
pub async fn any_due(
    conn: &mut impl AsConn,
    releases: &[String],
    due_by: DateTime<Utc>,
    claim: Claim<'_>,
) -> Result<bool, StoreError> {
    let ours = among(conn, "release_id", 3);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE state IN ('pending', 'sending')
            AND (lease_until IS NULL OR lease_until <= $2 OR lease_holder = $4)
            AND due_at <= $1 AND COALESCE(next_attempt_at, due_at) <= $1 AND {ours} LIMIT 1) AS due"
    );
    let (found,): (i64,) = crate::on!(conn, |c| {
        sqlx::query_as(&sql)
            .bind(to_millis(due_by))
            .bind(to_millis(claim.now))
            .bind(running(releases))
            .bind(claim.holder)
            .fetch_one(c)
            .await?
    });
    Ok(found > 0)
}

/// Extends every lease `holder` still has (one that ran out is lost, and stays lost); returns
/// how many.
pub async fn renew(conn: &mut impl AsConn, claim: Claim<'_>) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1
              WHERE lease_holder = $2 AND lease_until > $3 AND state IN ('pending', 'sending')",
        )
        .bind(to_millis(claim.until))
        .bind(claim.holder)
        .bind(to_millis(claim.now))
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    })
}

/// Lets go of `job` without recording an outcome (the pass is done with it for now).
pub async fn let_go(conn: &mut impl AsConn, job: &Job) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(&fenced_update("lease_until = NULL", 1))
            .bind(&job.release_id)
            .bind(&job.key)
            .bind(job.lease)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Lets go of every job `holder` holds (a replica stopping); returns how many.
pub async fn let_go_all(conn: &mut impl AsConn, holder: &str) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = NULL WHERE lease_holder = $1 AND lease_until IS NOT NULL",
        )
        .bind(holder)
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    })
}

/// Lets go of every job anyone holds: for a store only one process opens (SQLite), where any
/// lease found at start belongs to a process that is gone. Returns how many.
pub async fn let_go_every_lease(conn: &mut impl AsConn) -> Result<u64, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query("UPDATE jobs SET lease_until = NULL WHERE lease_until IS NOT NULL")
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
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

/// When each finished job of a release finished, by key: what a launch's status reads, without
/// the payloads.
pub async fn done_times(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(String, i64)> = crate::on!(conn, |conn| {
        sqlx::query_as(
            "SELECT key, done_at FROM jobs WHERE release_id = $1 AND done_at IS NOT NULL",
        )
        .bind(release_id)
        .fetch_all(conn)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(key, at)| (key, from_millis(at)))
        .collect())
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

/// Marks the start of an attempt on the claimed `job`; must be committed before the attempt
/// touches Slack.
pub async fn begin_attempt(
    conn: &mut impl AsConn,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let set = "state = 'sending', attempts = attempts + 1, attempt_started_at = $1";
        let sql = format!(
            "{} AND state IN ('pending', 'sending')",
            fenced_update(set, 2)
        );
        run_fenced!(conn, job, sqlx::query(&sql).bind(to_millis(now)))
    })
}

/// Records the claimed `job` finished and where its post landed.
pub async fn complete(
    conn: &mut impl AsConn,
    job: &Job,
    channel: Option<&str>,
    ts: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let set = "state = 'done', channel = $1, ts = $2, done_at = $3, next_attempt_at = NULL,
                   last_error = NULL, lease_until = NULL";
        let sql = fenced_update(set, 4);
        let query = sqlx::query(&sql).bind(channel).bind(ts);
        run_fenced!(conn, job, query.bind(to_millis(now)))
    })
}

/// Records the claimed `job` finished without a post of its own (a decision, a reminder, a
/// skip).
pub async fn finish(
    conn: &mut impl AsConn,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    complete(conn, job, None, None, now).await
}

/// Finishes the unfinished job `key`, which something else made moot (a vote closed by its
/// last ballot ends its deadline job); a job finished already stays as it was.
pub async fn close(
    conn: &mut impl AsConn,
    release_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "UPDATE jobs SET state = 'done', done_at = $1, next_attempt_at = NULL, lease_until = NULL
              WHERE release_id = $2 AND key = $3 AND state IN ('pending', 'sending')",
        )
        .bind(to_millis(now))
        .bind(release_id)
        .bind(key)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Records a failed attempt of the claimed `job` and when to try again. `reached_slack` says
/// whether the outcome is unknown (the job stays `sending`, so the next attempt looks for the
/// post first).
pub async fn retry_later(
    conn: &mut impl AsConn,
    job: &Job,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    reached_slack: bool,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        let state = if reached_slack { "sending" } else { "pending" };
        let set = "state = $1, last_error = $2, next_attempt_at = $3, lease_until = NULL";
        let sql = fenced_update(set, 4);
        let query = sqlx::query(&sql).bind(state).bind(error);
        run_fenced!(conn, job, query.bind(to_millis(next_attempt_at)))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::storage::{from_millis, test_store};

    fn vote(vote: i64) -> JobPayload {
        JobPayload::VoteClose { vote }
    }

    fn claim(holder: &str, now: DateTime<Utc>) -> Claim<'_> {
        Claim {
            holder,
            now,
            until: now + TimeDelta::seconds(10),
        }
    }

    fn keys(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(|j| j.key.as_str()).collect()
    }

    #[tokio::test]
    async fn a_claimed_job_is_neither_due_nor_waited_for_until_its_outcome_is_recorded() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let (early, late) = (from_millis(1_000), from_millis(5_000));
        schedule(&mut conn, "r", "a", early, &vote(1))
            .await
            .unwrap();
        schedule(&mut conn, "r", "b", late, &vote(2)).await.unwrap();
        let r = ["r".to_string()];
        let a = claim_due(&mut conn, &r, early, 10, claim("one", early))
            .await
            .unwrap();
        assert_eq!(keys(&a), ["a"]);
        begin_attempt(&mut conn, &a[0], early).await.unwrap();
        let b = claim_due(&mut conn, &r, late, 10, claim("one", early))
            .await
            .unwrap();
        assert_eq!(keys(&b), ["b"], "a is held");
        let_go(&mut conn, &b[0]).await.unwrap();
        assert_eq!(
            next_wakeup(&mut conn, &r, claim("one", early))
                .await
                .unwrap(),
            Some(late)
        );
        let parked = from_millis(3_000);
        retry_later(&mut conn, &a[0], "503", parked, true)
            .await
            .unwrap();
        assert_eq!(
            next_wakeup(&mut conn, &r, claim("one", early))
                .await
                .unwrap(),
            Some(parked)
        );
        let again = &list(&mut conn, "r").await.unwrap()[0];
        assert_eq!((again.state, again.attempts), (JobState::Sending, 1));
    }

    #[tokio::test]
    async fn a_lease_that_ran_out_passes_to_another_and_the_late_outcome_is_refused() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let at = from_millis(1_000);
        schedule(&mut conn, "r", "a", at, &vote(1)).await.unwrap();
        let r = ["r".to_string()];
        let slow = claim_due(&mut conn, &r, at, 10, claim("slow", at))
            .await
            .unwrap()
            .remove(0);
        let before = at + TimeDelta::seconds(9);
        assert!(claim_due(&mut conn, &r, before, 10, claim("other", before))
            .await
            .unwrap()
            .is_empty());
        let after = at + TimeDelta::seconds(11);
        assert_eq!(
            renew(&mut conn, claim("slow", after)).await.unwrap(),
            0,
            "a lease that ran out stays lost"
        );
        let taken = claim_due(&mut conn, &r, after, 10, claim("other", after))
            .await
            .unwrap()
            .remove(0);
        assert!(taken.lease > slow.lease, "a new claim, a new token");
        complete(&mut conn, &taken, Some("C1"), Some("2.2"), after)
            .await
            .unwrap();
        let late = complete(&mut conn, &slow, Some("C1"), Some("1.1"), after).await;
        assert!(matches!(late, Err(StoreError::LeaseLost(_))), "{late:?}");
        let job = get(&mut conn, "r", "a").await.unwrap().unwrap();
        assert_eq!(
            job.ts.as_deref(),
            Some("2.2"),
            "the new holder's outcome stands"
        );
    }

    #[tokio::test]
    async fn a_replica_never_claims_again_what_it_still_holds_and_renews_what_it_holds() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let at = from_millis(1_000);
        schedule(&mut conn, "r", "a", at, &vote(1)).await.unwrap();
        let r = ["r".to_string()];
        claim_due(&mut conn, &r, at, 10, claim("one", at))
            .await
            .unwrap();
        let later = at + TimeDelta::seconds(5);
        assert_eq!(renew(&mut conn, claim("one", later)).await.unwrap(), 1);
        let long_after = at + TimeDelta::hours(1);
        assert!(
            claim_due(&mut conn, &r, long_after, 10, claim("one", long_after))
                .await
                .unwrap()
                .is_empty(),
            "its own task is still at work on it"
        );
        assert_eq!(
            next_wakeup(&mut conn, &r, claim("one", long_after))
                .await
                .unwrap(),
            None,
            "nor does it wake for it"
        );
        assert_eq!(
            next_wakeup(&mut conn, &r, claim("other", long_after))
                .await
                .unwrap(),
            Some(at),
            "another replica may take it"
        );
        assert_eq!(let_go_all(&mut conn, "one").await.unwrap(), 1);
        let again = claim_due(&mut conn, &r, long_after, 10, claim("one", long_after))
            .await
            .unwrap();
        assert_eq!(keys(&again), ["a"]);
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
        let due = claim_due(&mut conn, &r, at, 10, claim("one", at))
            .await
            .unwrap();
        assert_eq!(keys(&due), ["b"]);
        assert_eq!(
            next_wakeup(&mut conn, &[], claim("one", at)).await.unwrap(),
            None
        );
        assert_eq!(list(&mut conn, "gone").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn at_start_on_sqlite_every_job_in_hand_is_taken_back_still_sending() {
        let (_dir, pool) = test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let at = from_millis(1_000);
        for key in ["a", "b"] {
            schedule(&mut conn, "r", key, at, &vote(1)).await.unwrap();
        }
        let r = ["r".to_string()];
        let held = claim_due(&mut conn, &r, at, 10, claim("gone", at))
            .await
            .unwrap();
        for job in &held {
            begin_attempt(&mut conn, job, at).await.unwrap();
        }
        complete(&mut conn, &held[1], Some("C1"), Some("1.1"), at)
            .await
            .unwrap();
        assert!(claim_due(&mut conn, &r, at, 10, claim("new", at))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(let_go_every_lease(&mut conn).await.unwrap(), 1);
        let due = claim_due(&mut conn, &r, at, 10, claim("new", at))
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].key.as_str(), due[0].state),
            ("a", JobState::Sending),
            "its outcome is unknown, so it is looked up before it is sent again"
        );
    }
}
