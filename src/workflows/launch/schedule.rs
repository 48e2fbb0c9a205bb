//! Turning the plan's timeline into stored jobs, and keeping them in step with L-Day.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::domain::job::JobPayload;
use crate::domain::timeline::Occurrence;
use crate::storage::{jobs, StoreError};

const POST: &str = JobPayload::POST;

/// How L-Day got its value, which decides what happens to occurrences already in the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Start-up with an unchanged L-Day: past jobs still pending fell due while golive was down
    /// and are posted late.
    Resume,
    /// L-Day was set or moved just now: occurrences already in the past are not posted.
    Moved,
}

/// The occurrences of `timeline` that will not be posted: those without a post job that is
/// waiting, under way or done (they were in the past when L-Day was set, or were cancelled).
pub async fn skipped(
    conn: &mut SqliteConnection,
    release_id: &str,
    timeline: &[Occurrence],
) -> Result<HashSet<String>, StoreError> {
    let live = jobs::keys_not_cancelled(conn, release_id, POST).await?;
    Ok(timeline
        .iter()
        .filter(|o| !live.contains(&o.key))
        .map(|o| o.key.clone())
        .collect())
}

/// Schedules every future occurrence, re-times pending ones, and cancels what the timeline no
/// longer holds. Returns (scheduled, cancelled).
pub async fn sync_jobs(
    conn: &mut SqliteConnection,
    release_id: &str,
    timeline: &[Occurrence],
    now: DateTime<Utc>,
    how: Sync,
) -> Result<(usize, usize), StoreError> {
    let future: Vec<&Occurrence> = timeline.iter().filter(|o| o.at > now).collect();
    for occurrence in &future {
        let payload = JobPayload::Post {
            title: occurrence.title.clone(),
        };
        jobs::schedule(conn, release_id, &occurrence.key, occurrence.at, &payload).await?;
    }
    let keep: HashSet<String> = match how {
        Sync::Resume => timeline.iter().map(|o| o.key.clone()).collect(),
        Sync::Moved => future.iter().map(|o| o.key.clone()).collect(),
    };
    let cancelled = jobs::cancel_pending_except(conn, release_id, POST, &keep).await?;
    Ok((future.len(), cancelled))
}
