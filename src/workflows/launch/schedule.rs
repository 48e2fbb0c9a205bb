//! Turning the plan's timeline into stored jobs, and keeping them in step with L-Day.

use std::collections::{HashMap, HashSet};

use crate::storage::AsConn;
use chrono::{DateTime, Utc};

use crate::domain::job::JobPayload;
use crate::domain::timeline::{identity, Occurrence};
use crate::storage::jobs::{self, Job, JobState};
use crate::storage::StoreError;

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
    conn: &mut impl AsConn,
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

/// One post whose plan changed: its title, and its time before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostChange {
    pub title: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What bringing the jobs in step with a timeline did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synced {
    /// Occurrences still to come.
    pub scheduled: usize,
    pub cancelled: usize,
    /// Posts new to an already scheduled launch (not reported when L-Day moved, nor for a
    /// launch scheduled for the first time).
    pub added: Vec<PostChange>,
    /// Posts not yet made whose time changed.
    pub moved: Vec<PostChange>,
    /// Posts not yet made that the timeline no longer holds.
    pub removed: Vec<PostChange>,
    /// Posts made under a key the plan moved: their new key and when they were made.
    pub posted_as: Vec<(String, Option<DateTime<Utc>>)>,
}

impl Synced {
    /// Whether the plan changed any post.
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.moved.is_empty() && self.removed.is_empty())
    }
}

/// Schedules every future occurrence, re-times pending ones, and cancels what the timeline no
/// longer holds. Returns (scheduled, cancelled).
pub async fn sync_jobs(
    conn: &mut impl AsConn,
    release_id: &str,
    timeline: &[Occurrence],
    now: DateTime<Utc>,
    how: Sync,
) -> Result<(usize, usize), StoreError> {
    let synced = sync_posts(conn, release_id, timeline, now, how).await?;
    Ok((synced.scheduled, synced.cancelled))
}

/// Brings the post jobs in step with `timeline` and says what changed. A post already made or
/// under way is never touched; one not yet made follows the timeline: re-timed (into the past
/// too, when it is then due at once, unless L-Day just moved), re-titled, or cancelled; a new
/// one is scheduled if its time is still to come.
pub async fn sync_posts(
    conn: &mut impl AsConn,
    release_id: &str,
    timeline: &[Occurrence],
    now: DateTime<Utc>,
    how: Sync,
) -> Result<Synced, StoreError> {
    let existing: HashMap<String, Job> = jobs::list(conn, release_id)
        .await?
        .into_iter()
        .filter(|job| job.kind == POST)
        .map(|job| (job.key.clone(), job))
        .collect();
    let report_added = how == Sync::Resume && !existing.is_empty();
    let mut moved_away = moved_away(&existing, timeline, how);
    let mut rekeyed = HashSet::new();
    let mut synced = Synced::default();
    let mut keep = HashSet::new();
    for occurrence in timeline {
        let future = occurrence.at > now;
        synced.scheduled += usize::from(future);
        let mut job = existing
            .get(&occurrence.key)
            .filter(|j| j.state != JobState::Cancelled);
        if job.is_none() {
            // The same post at another time: its job follows it, posted or not.
            let from = moved_away
                .get_mut(&identity(&occurrence.key))
                .and_then(|keys| keys.pop());
            if let Some(from) = from.and_then(|key| existing.get(&key)) {
                jobs::rekey(conn, release_id, &from.key, &occurrence.key).await?;
                rekeyed.insert(from.key.clone());
                if from.state == JobState::Done {
                    synced
                        .posted_as
                        .push((occurrence.key.clone(), from.done_at));
                }
                job = Some(from);
            }
        }
        let schedule = match job.map(|j| (j.state, j)) {
            Some((JobState::Sending | JobState::Done, _)) => false,
            Some((JobState::Pending, job)) if how == Sync::Resume || future => {
                keep.insert(occurrence.key.clone());
                if job.due_at != occurrence.at {
                    synced.moved.push(PostChange {
                        title: occurrence.title.clone(),
                        from: Some(job.due_at),
                        to: Some(occurrence.at),
                    });
                }
                job.due_at != occurrence.at || title_of(job).as_ref() != Some(&occurrence.title)
            }
            Some((JobState::Pending, _)) => false, // past when L-Day moved: cancelled below
            Some((JobState::Cancelled, _)) | None => {
                if future && report_added {
                    synced.added.push(PostChange {
                        title: occurrence.title.clone(),
                        from: None,
                        to: Some(occurrence.at),
                    });
                }
                future
            }
        };
        if future {
            keep.insert(occurrence.key.clone());
        }
        if schedule {
            let payload = JobPayload::Post {
                title: occurrence.title.clone(),
            };
            jobs::schedule(conn, release_id, &occurrence.key, occurrence.at, &payload).await?;
        }
    }
    for job in existing.values().filter(|j| !rekeyed.contains(&j.key)) {
        if job.state == JobState::Pending && !keep.contains(&job.key) {
            let in_timeline = timeline.iter().any(|o| o.key == job.key);
            if how == Sync::Resume || !in_timeline {
                synced.removed.push(PostChange {
                    title: title_of(job).unwrap_or_else(|| job.key.clone()),
                    from: Some(job.due_at),
                    to: None,
                });
            }
        }
    }
    synced.removed.sort_by_key(|change| change.from);
    synced.cancelled = jobs::cancel_pending_except(conn, release_id, POST, &keep).await?;
    Ok(synced)
}

/// The jobs of occurrences the timeline no longer holds under their key, by identity (see
/// [`identity`]), latest first. Only a reading of the plan moves posts: when L-Day moves, every
/// date in a key moves with it and nothing is the same post at another time.
fn moved_away(
    existing: &HashMap<String, Job>,
    timeline: &[Occurrence],
    how: Sync,
) -> HashMap<String, Vec<String>> {
    let mut away: HashMap<String, Vec<(DateTime<Utc>, String)>> = HashMap::new();
    if how == Sync::Resume {
        let current: HashSet<&str> = timeline.iter().map(|o| o.key.as_str()).collect();
        for job in existing.values() {
            if job.state != JobState::Cancelled && !current.contains(job.key.as_str()) {
                let keys = away.entry(identity(&job.key)).or_default();
                keys.push((job.due_at, job.key.clone()));
            }
        }
    }
    away.into_iter()
        .map(|(identity, mut keys)| {
            keys.sort_by(|a, b| b.cmp(a));
            (identity, keys.into_iter().map(|(_, key)| key).collect())
        })
        .collect()
}

/// The title a stored post job carries.
fn title_of(job: &Job) -> Option<String> {
    match JobPayload::decode(&job.kind, &job.key, &job.payload) {
        Ok(JobPayload::Post { title }) => Some(title),
        _ => None,
    }
}
