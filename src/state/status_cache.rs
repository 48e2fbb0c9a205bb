//! The last computed store-backed lines of `/golive status` (see `workflows::status_extras`,
//! which decides when they may be reused).

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

/// The cache, one per running bot.
#[derive(Debug, Default)]
pub struct StatusExtrasCache {
    entry: Mutex<Option<Entry>>,
}

impl StatusExtrasCache {
    /// The cached lines, if computed at `changes` in `second` less than `max_age` ago.
    pub fn fresh(&self, changes: u64, second: i64, max_age: Duration) -> Option<Arc<StatusExtras>> {
        let entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entry.as_ref()?;
        let fresh = entry.changes == changes
            && entry.second == second
            && entry.computed.elapsed() < max_age;
        fresh.then(|| entry.extras.clone())
    }

    /// Keeps lines computed at `changes` in `second`.
    pub fn keep(&self, changes: u64, second: i64, extras: Arc<StatusExtras>) {
        *self.entry.lock().unwrap_or_else(|e| e.into_inner()) = Some(Entry {
            changes,
            second,
            computed: Instant::now(),
            extras,
        });
    }
}
