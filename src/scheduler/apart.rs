//! Jobs run apart from the scheduler's pass.
//!
//! An incident's messages are sent on tasks of their own, so a slow or rate-limited Slack call
//! never holds up the next escalation, and the pages of one step go out together. The pass
//! begins each attempt (commits it `sending`, in hand) before handing the job over, so nothing
//! reaches Slack before the store knows. Jobs that share a lane (one incident's posts and thread
//! notes) run one after another in the order they were handed over; the rest run at once, at
//! most [`MAX_RUNNING`] at a time.

use std::collections::{hash_map::Entry, HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::{watch, Semaphore};

use crate::state::AppState;
use crate::storage::jobs::Job;

/// How many jobs may be running apart at once.
pub const MAX_RUNNING: usize = 16;

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

/// The jobs handed over and not yet finished.
#[derive(Debug)]
pub struct Apart {
    /// How many jobs are handed over and unfinished (queued in a lane included).
    unfinished: watch::Sender<usize>,
    /// Jobs waiting in each busy lane; a lane is here exactly while its task runs.
    lanes: Mutex<HashMap<String, VecDeque<Job>>>,
    permits: Semaphore,
}

impl Default for Apart {
    fn default() -> Self {
        Self {
            unfinished: watch::Sender::new(0),
            lanes: Mutex::default(),
            permits: Semaphore::new(MAX_RUNNING),
        }
    }
}

impl Apart {
    /// Runs `job`, whose attempt the caller has begun and committed, where `placement` says.
    pub(super) fn start(&self, state: &AppState, job: Job, placement: Placement) {
        self.unfinished.send_modify(|n| *n += 1);
        let state = state.clone();
        match placement {
            Placement::Lane(lane) => {
                let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
                match lanes.entry(lane) {
                    Entry::Occupied(mut waiting) => waiting.get_mut().push_back(job),
                    Entry::Vacant(free) => {
                        let lane = free.key().clone();
                        free.insert(VecDeque::new());
                        tokio::spawn(async move { run_lane(&state, lane, job).await });
                    }
                }
            }
            Placement::Apart | Placement::InPass => {
                tokio::spawn(async move { run_one(&state, job).await });
            }
        }
    }

    /// Resolves once every job handed over has finished (tests, and a clean shutdown).
    pub async fn settled(&self) {
        let mut unfinished = self.unfinished.subscribe();
        let _ = unfinished.wait_for(|n| *n == 0).await;
    }

    fn next_in(&self, lane: &str) -> Option<Job> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let next = lanes.get_mut(lane).and_then(VecDeque::pop_front);
        if next.is_none() {
            lanes.remove(lane);
        }
        next
    }
}

async fn run_lane(state: &AppState, lane: String, first: Job) {
    let mut next = Some(first);
    while let Some(job) = next {
        run_one(state, job).await;
        next = state.scheduler.apart.next_in(&lane);
    }
}

async fn run_one(state: &AppState, job: Job) {
    let apart = &state.scheduler.apart;
    let permit = apart.permits.acquire().await;
    let (release_id, key) = (job.release_id.clone(), job.key.clone());
    // On a task of its own, so that even a panic ends here and the job is parked, not lost.
    let run = {
        let state = state.clone();
        tokio::spawn(async move { super::run_and_settle(&state, job).await })
    };
    match run.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(key, %error, "could not record a job's outcome"),
        Err(error) => {
            tracing::error!(key, %error, "a job's task failed; retrying it later");
            if let Err(error) = super::park(state, &release_id, &key, &error.to_string()).await {
                tracing::error!(key, %error, "could not park a failed job");
            }
        }
    }
    drop(permit);
    apart.unfinished.send_modify(|n| *n = n.saturating_sub(1));
    // The job may have been re-timed (a retry): let the loop look again.
    state.scheduler.wake();
}
