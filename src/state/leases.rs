//! This replica's name, its lease time, and the launches it holds.
//!
//! On a store only one process opens (SQLite) this process holds every launch. On a shared one
//! (PostgreSQL) the heartbeat (`scheduler::heartbeat`) keeps the replica's row alive and takes the
//! launches nobody alive holds; the scheduler's pass runs only the held launches' jobs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{watch, Notify};

use crate::clock::SharedClock;
use crate::storage::jobs::Claim;

/// Leases of one replica. They run on real time (a replica dies in real time, however fast a
/// rehearsal's clock runs), or on a test's clock.
pub struct Leases {
    /// The name this replica's leases carry.
    pub holder: String,
    /// Within this time of a replica dying, another takes over its work.
    pub term: Duration,
    /// Whether other replicas share the store.
    pub shared: bool,
    pub clock: SharedClock,
    /// The launches this replica holds (shared store only).
    held: Mutex<Arc<HashSet<String>>>,
    /// Asks the heartbeat to beat now; it counts the beats it made.
    beat_asked: Notify,
    beats: watch::Sender<u64>,
}

impl Leases {
    pub fn new(holder: String, term: Duration, shared: bool, clock: SharedClock) -> Self {
        Self {
            holder,
            term,
            shared,
            clock,
            held: Mutex::default(),
            beat_asked: Notify::new(),
            beats: watch::Sender::new(0),
        }
    }

    /// Has the heartbeat beat now (launches were added) and waits for that beat, for at most
    /// a beat's time. Nothing to wait for on a store of one process.
    pub async fn beat_now(&self) {
        if !self.shared {
            return;
        }
        let mut beats = self.beats.subscribe();
        let made = *beats.borrow_and_update();
        self.beat_asked.notify_one();
        let wait = self.beat().to_std().unwrap_or_default();
        let _ = tokio::time::timeout(wait, beats.wait_for(|n| *n > made)).await;
    }

    /// Resolves when someone calls [`Leases::beat_now`].
    pub async fn beat_asked(&self) {
        self.beat_asked.notified().await;
    }

    /// Counts a beat made.
    pub fn beaten(&self) {
        self.beats.send_modify(|n| *n += 1);
    }

    /// How long a lease runs once taken or renewed: three quarters of the term, so that with a
    /// beat every quarter a dead holder's work is taken within the term.
    pub fn ttl(&self) -> TimeDelta {
        TimeDelta::from_std(self.term * 3 / 4).unwrap_or(TimeDelta::seconds(7))
    }

    /// How often the heartbeat beats.
    pub fn beat(&self) -> TimeDelta {
        TimeDelta::from_std(self.term / 4).unwrap_or(TimeDelta::seconds(2))
    }

    /// A claim made now.
    pub fn claim(&self) -> Claim<'_> {
        let now = self.now();
        Claim {
            holder: &self.holder,
            now,
            until: now + self.ttl(),
        }
    }

    /// Now, on the leases' clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Of the `running` launches, those whose jobs this replica runs.
    pub fn held_of(&self, running: Vec<String>) -> Vec<String> {
        if !self.shared {
            return running;
        }
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner()).clone();
        running.into_iter().filter(|r| held.contains(r)).collect()
    }

    /// Whether this replica runs `release`'s jobs and updates its messages.
    pub fn holds(&self, release: &str) -> bool {
        !self.shared
            || self
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(release)
    }

    /// Records the launches the store says this replica holds; returns those it took just now.
    pub fn now_holding(&self, launches: Vec<String>) -> Vec<String> {
        let launches: HashSet<String> = launches.into_iter().collect();
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let took = launches.difference(&held).cloned().collect();
        *held = Arc::new(launches);
        took
    }

    /// A name for this process: its host, pid and a random part, unless one was given.
    pub fn default_holder() -> String {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "golive".into());
        format!(
            "{host}-{}-{:04x}",
            std::process::id(),
            rand::random::<u16>()
        )
    }
}
