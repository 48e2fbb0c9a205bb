//! The deadline-driven loop over the `jobs` table.
//!
//! [`run_due`] does whatever is due and returns the next deadline; the loop sleeps on the bot's
//! clock until then, or until a workflow adds or re-times a job. There is no polling interval:
//! an idle bot with nothing due sleeps.

use chrono::{DateTime, Utc};
use tokio::sync::{watch, Mutex, Notify};

use crate::state::AppState;
use crate::storage::incidents::ESCALATION;
use crate::storage::jobs;
use crate::workflows::{
    checklists, escalation, incident_posts, posts, runbooks, schedule, votes, WorkflowError,
};

/// Coordination for the job loop.
#[derive(Debug, Default)]
pub struct Scheduler {
    wake: Notify,
    /// One pass at a time: a pass started by a test or a rehearsal never races the loop.
    pass: Mutex<()>,
}

impl Scheduler {
    /// Tells the loop that a job was added or re-timed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// How many due jobs one pass takes from the store.
const BATCH: i64 = 100;

/// Runs every job due now; returns when the next one falls due.
pub async fn run_due(state: &AppState) -> Result<Option<DateTime<Utc>>, WorkflowError> {
    let _pass = state.scheduler.pass.lock().await;
    // Jobs a job queues for now (an escalation's pages) run in the same pass; each job runs at
    // most once per pass, so one that stays due cannot spin the loop.
    let mut seen = std::collections::HashSet::new();
    loop {
        let due = {
            let mut conn = state.db.acquire().await?;
            jobs::due(&mut conn, state.clock.now(), BATCH).await?
        };
        let fresh: Vec<jobs::Job> = due
            .into_iter()
            .filter(|job| seen.insert((job.release_id.clone(), job.key.clone())))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for job in fresh {
            let (release_id, key) = (job.release_id.clone(), job.key.clone());
            let outcome = match job.kind.as_str() {
                schedule::POST => posts::run(state, job).await,
                ESCALATION => escalation::run(state, job).await,
                incident_posts::MESSAGE => incident_posts::run(state, job).await,
                runbooks::CLOCK => runbooks::run_clock(state, job).await,
                votes::VOTE_CLOSE => votes::close_at_deadline(state, job).await,
                checklists::REMINDER => checklists::remind(state, job).await,
                other => {
                    tracing::error!(kind = other, key, "unknown job kind; leaving it");
                    Ok(())
                }
            };
            if let Err(error) = outcome {
                // Park the job for a minute rather than spin on it; treat its outcome as unknown
                // so the next attempt looks before it posts.
                tracing::error!(key, %error, "job failed");
                let retry_at = state.clock.now() + chrono::TimeDelta::minutes(1);
                let mut conn = state.db.acquire().await?;
                jobs::retry_later(
                    &mut conn,
                    &release_id,
                    &key,
                    &error.to_string(),
                    retry_at,
                    true,
                )
                .await?;
            }
        }
    }
    let mut conn = state.db.acquire().await?;
    Ok(jobs::next_wakeup(&mut conn).await?)
}

/// Runs jobs until `shutdown` turns true.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if state.release.slack_ids().channel.is_none() {
            // Not found at start (golive not yet invited?): look again before posting.
            crate::workflows::setup::resolve_slack_ids(state.slack.as_ref(), &state.release).await;
        }
        let next = match run_due(&state).await {
            Ok(next) => next,
            Err(error) => {
                tracing::error!(%error, "scheduler pass failed; retrying shortly");
                Some(state.clock.now() + chrono::TimeDelta::seconds(5))
            }
        };
        let sleep = async {
            match next {
                Some(at) => state.clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = state.scheduler.wake.notified() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
