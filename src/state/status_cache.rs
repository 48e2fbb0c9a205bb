//! The last computed store-backed lines of `/golive status` (see `workflows::status_extras`,
//! which decides when they may be reused).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The store-backed status lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusExtras {
    pub incidents: Vec<String>,
    pub checklists: Vec<String>,
    pub gonogo: Option<String>,
}

#[derive(Debug)]
struct Entry {
    changes: u64,
    second: i64,
    computed: Instant,
    extras: Arc<StatusExtras>,
}

/// The cache: one entry per launch.
#[derive(Debug, Default)]
pub struct StatusExtrasCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl StatusExtrasCache {
    /// The cached lines of `release`, if computed at `changes` in `second` less than `max_age`
    /// ago.
    pub fn fresh(
        &self,
        release: &str,
        changes: u64,
        second: i64,
        max_age: Duration,
    ) -> Option<Arc<StatusExtras>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(release)?;
        let fresh = entry.changes == changes
            && entry.second == second
            && entry.computed.elapsed() < max_age;
        fresh.then(|| entry.extras.clone())
    }

    /// Keeps the lines of `release` computed at `changes` in `second`.
    pub fn keep(&self, release: &str, changes: u64, second: i64, extras: Arc<StatusExtras>) {
        let entry = Entry {
            changes,
            second,
            computed: Instant::now(),
            extras,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(release.to_string(), entry);
    }
}
