//! [`AppState`]: what every handler and the scheduler share. Cheap to clone, passed explicitly.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::clock::SharedClock;
use crate::domain::plan::Role;
use crate::metrics::Metrics;
use crate::release::Release;
use crate::scheduler::Scheduler;
use crate::slack::port::SlackPort;
use crate::slack::render::Templates;
use crate::storage::writer::Writer;

/// Shared handles of a running bot.
#[derive(Clone)]
pub struct AppState {
    /// Reads, and the scheduler's own bookkeeping.
    pub db: SqlitePool,
    /// Changes people make (commands, clicks): one ordered, group-committed writer.
    pub writer: Writer,
    pub slack: Arc<dyn SlackPort>,
    pub templates: Arc<Templates>,
    pub clock: SharedClock,
    pub release: Arc<Release>,
    pub metrics: Arc<Metrics>,
    /// Bumped by SQLite's commit hook on every connection: "the store has changed".
    pub store_changes: Arc<std::sync::atomic::AtomicU64>,
    /// Cached store-backed status lines (see `workflows::status_extras`).
    pub status_extras: Arc<crate::workflows::status_extras::StatusExtrasCache>,
    /// Ballots waiting to be written together (see `workflows::ballots`).
    pub ballots: Arc<crate::workflows::ballots::BallotBatch>,
    /// The job loop's wake-up call and pass lock.
    pub scheduler: Arc<Scheduler>,
    /// Release managers from `GOLIVE_RELEASE_MANAGERS`: always allowed, so a bad role
    /// assignment can never lock everyone out.
    pub bootstrap_release_managers: Arc<Vec<String>>,
    /// Interactive messages with a chat.update in flight (checklists, votes).
    pub refreshes: Arc<crate::workflows::refresh::Refreshes>,
    /// Slots for clicks and events acknowledged and still being handled: a bound on work in
    /// hand, so memory follows what is open rather than how fast requests arrive.
    pub in_hand: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Who holds `role` now.
    pub fn holders(&self, role: Role) -> Vec<String> {
        self.release
            .snapshot()
            .roles
            .get(&role)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `user` holds `role` now.
    pub fn holds(&self, role: Role, user: &str) -> bool {
        self.holders(role).iter().any(|u| u == user)
    }

    /// Whether `user` may run release-manager commands.
    pub fn is_release_manager(&self, user: &str) -> bool {
        self.bootstrap_release_managers.iter().any(|u| u == user)
            || self.holds(Role::ReleaseManager, user)
    }
}
