//! Jobs run apart from the scheduler's pass.
//!
//! An incident's messages are sent on tasks of their own, so a slow or rate-limited Slack call
//! never holds up the next escalation, and the pages of one step go out together. The pass
//! claims each job and begins its attempt (commits it `sending`) before handing it over, so
//! nothing reaches Slack before the store knows. Jobs that share a lane (one incident's posts and thread
//! notes) run one after another in the order they were handed over; the rest run at once, at
//! most `state::scheduling::MAX_RUNNING` at a time.

use crate::state::scheduling::DueJob;
use crate::state::AppState;

/// Where a due job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// In the pass, in due order: milestone posts keep the plan's order, decisions queue work.
    InPass,
    /// On a task of its own, at once.
    Apart,
    /// On a task of its own, after the jobs handed over earlier with the same lane.
    Lane(String),
}

/// Runs `job`, whose attempt the caller has begun and committed, where `placement` says.
pub(super) fn start(state: &AppState, job: DueJob, placement: Placement) {
    state.scheduler.apart.begin();
    let state = state.clone();
    match placement {
        Placement::Lane(lane) => {
            if let Some(job) = state.scheduler.apart.queue_in_lane(&lane, job) {
                tokio::spawn(async move { run_lane(&state, lane, job).await });
            }
        }
        Placement::Apart | Placement::InPass => {
            tokio::spawn(async move { run_one(&state, job).await });
        }
    }
}

async fn run_lane(state: &AppState, lane: String, first: DueJob) {
    let mut next = Some(first);
    while let Some(job) = next {
        run_one(state, job).await;
        next = state.scheduler.apart.next_in(&lane);
    }
}

async fn run_one(state: &AppState, job: DueJob) {
    let apart = &state.scheduler.apart;
    let permit = apart.permit().await;
    let claimed = job.job.clone();
    // On a task of its own, so that even a panic ends here and the job is parked, not lost.
    let run = {
        let state = state.clone();
        tokio::spawn(async move { super::run_and_settle(&state, job).await })
    };
    match run.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::error!(key = claimed.key, %error, "could not record a job's outcome")
        }
        Err(error) => {
            let key = &claimed.key;
            tracing::error!(key, %error, "a job's task failed; retrying it later");
            if let Err(error) = super::park(state, &claimed, &error.to_string()).await {
                tracing::error!(key, %error, "could not park a failed job");
            }
        }
    }
    drop(permit);
    apart.finished();
    // The job may have been re-timed (a retry): let the loop look again.
    state.scheduler.wake();
}
