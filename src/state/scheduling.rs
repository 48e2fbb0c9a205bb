//! What the job loop shares with everyone else: its wake-up call, its pass lock, and the jobs
//! it handed to tasks of their own. The loop itself is `scheduler`; use cases only [`wake`] it.
//!
//! [`wake`]: Scheduler::wake

use std::collections::{hash_map::Entry, HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::{watch, MutexGuard, Notify, Semaphore, SemaphorePermit};

use crate::domain::job::JobPayload;
use crate::storage::jobs::Job;

/// A due job with its payload, decoded once when the scheduler took it.
#[derive(Debug, Clone)]
pub struct DueJob {
    pub job: Job,
    pub payload: JobPayload,
}

/// How many jobs may be running apart at once.
pub const MAX_RUNNING: usize = 16;

/// Coordination for the job loop.
#[derive(Debug, Default)]
pub struct Scheduler {
    wake: Notify,
    /// One pass at a time: a pass started by a test or a rehearsal never races the loop.
    pass: tokio::sync::Mutex<()>,
    /// Jobs handed over to tasks of their own.
    pub apart: Apart,
}

impl Scheduler {
    /// Tells the loop that a job was added or re-timed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when someone calls [`Scheduler::wake`].
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Holds the pass lock for one pass over the due jobs.
    pub async fn pass(&self) -> MutexGuard<'_, ()> {
        self.pass.lock().await
    }
}

/// The jobs handed over and not yet finished.
#[derive(Debug)]
pub struct Apart {
    /// How many jobs are handed over and unfinished (queued in a lane included).
    unfinished: watch::Sender<usize>,
    /// Jobs waiting in each busy lane; a lane is here exactly while its task runs.
    lanes: Mutex<HashMap<String, VecDeque<DueJob>>>,
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
    /// Counts a job handed over.
    pub fn begin(&self) {
        self.unfinished.send_modify(|n| *n += 1);
    }

    /// Counts a job finished.
    pub fn finished(&self) {
        self.unfinished.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Queues `job` behind its lane's running task; gives it back when the lane is free, in
    /// which case the caller starts the lane's task with it.
    pub fn queue_in_lane(&self, lane: &str, job: DueJob) -> Option<DueJob> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        match lanes.entry(lane.to_string()) {
            Entry::Occupied(mut waiting) => {
                waiting.get_mut().push_back(job);
                None
            }
            Entry::Vacant(free) => {
                free.insert(VecDeque::new());
                Some(job)
            }
        }
    }

    /// The next job waiting in `lane`; `None` frees the lane.
    pub fn next_in(&self, lane: &str) -> Option<DueJob> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let next = lanes.get_mut(lane).and_then(VecDeque::pop_front);
        if next.is_none() {
            lanes.remove(lane);
        }
        next
    }

    /// Room to run one job (at most [`MAX_RUNNING`] at once).
    pub async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }

    /// Resolves once every job handed over has finished (tests, and a clean shutdown).
    pub async fn settled(&self) {
        let mut unfinished = self.unfinished.subscribe();
        let _ = unfinished.wait_for(|n| *n == 0).await;
    }
}
