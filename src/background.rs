//! Work that runs after Slack has been acknowledged: clicks, events, late command answers and
//! message refreshes.
//!
//! Every such task is tracked, so a stopping bot waits for it (within a bound) instead of
//! exiting with acknowledged clicks unstored, and tests can wait until the bot has settled. How
//! many may run at once is bounded too: past [`MAX_RUNNING`], the next acknowledgement waits for
//! a running task to finish, so a burst of clicks slows down instead of growing memory.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

/// How many tasks may run after their acknowledgement at once.
///
/// Without a bound, inputs acknowledged faster than the store takes them pile up as tasks of a
/// few kilobytes each, and memory follows the number of requests answered (100,000 quick event
/// deliveries held 130 MB). At the bound the next acknowledgement waits for room, which slows
/// the sender instead; room frees as fast as the store takes the work (a few milliseconds
/// each), well inside Slack's 3 seconds. 512 is one full batch of the single writer, so a
/// burst of vote clicks still shares its commits.
pub const MAX_RUNNING: usize = 512;

/// The tracked background work of one bot; cheap to clone.
#[derive(Clone)]
pub struct Background {
    tracker: TaskTracker,
    permits: Arc<Semaphore>,
}

impl Default for Background {
    fn default() -> Self {
        Self::new(MAX_RUNNING)
    }
}

impl Background {
    /// Room for `max_running` tasks at once.
    pub fn new(max_running: usize) -> Self {
        Self {
            tracker: TaskTracker::new(),
            permits: Arc::new(Semaphore::new(max_running)),
        }
    }

    /// Starts `work` once there is room for it; waits while [`MAX_RUNNING`] tasks run.
    pub async fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = self.permits.clone().acquire_owned().await.ok();
        self.tracker.spawn(async move {
            work.await;
            drop(permit);
        });
    }

    /// Starts follow-up work of a task already running (a message refresh) at once: tracked, but
    /// taking no room, since waiting for room from inside a task could wait forever. Callers
    /// bound it themselves (refreshes run at most one per message).
    pub fn spawn_follow_up<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(work);
    }

    /// How many tasks are running or waiting to finish.
    pub fn running(&self) -> usize {
        self.tracker.len()
    }

    /// Resolves once no task is running (tests, and the load benchmark's "all stored").
    pub async fn settled(&self) {
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }

    /// At shutdown: waits up to `bound` for the running tasks; returns how many were cut off.
    pub async fn drain(&self, bound: Duration) -> usize {
        self.tracker.close();
        if tokio::time::timeout(bound, self.tracker.wait())
            .await
            .is_err()
        {
            return self.tracker.len();
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn settled_waits_for_every_task_started() {
        let background = Background::default();
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..10 {
            let done = done.clone();
            background
                .spawn(async move {
                    tokio::task::yield_now().await;
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .await;
        }
        background.settled().await;
        assert_eq!(done.load(Ordering::SeqCst), 10);
        assert_eq!(background.running(), 0);
    }

    #[tokio::test]
    async fn past_the_bound_the_next_task_waits_for_room() {
        let background = Background::new(1);
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        background
            .spawn(async move {
                let _ = released.await;
            })
            .await;
        let second = background.spawn(async {});
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut second)
                .await
                .is_err(),
            "no room while the first runs"
        );
        let _ = release.send(());
        second.await;
        background.settled().await;
    }

    #[tokio::test]
    async fn drain_lets_acknowledged_work_finish() {
        let background = Background::default();
        let done = Arc::new(AtomicUsize::new(0));
        let finished = done.clone();
        background
            .spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                finished.fetch_add(1, Ordering::SeqCst);
            })
            .await;
        assert_eq!(background.drain(Duration::from_secs(5)).await, 0);
        assert_eq!(
            done.load(Ordering::SeqCst),
            1,
            "finished before the drain returned"
        );
    }

    #[tokio::test]
    async fn drain_reports_what_it_had_to_cut_off() {
        let background = Background::default();
        background.spawn(std::future::pending()).await;
        assert_eq!(background.drain(Duration::from_millis(10)).await, 1);
    }
}
