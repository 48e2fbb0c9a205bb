//! The parts of `/golive status` that live only in the store (checklist progress, the vote,
//! incidents), cached so that a burst of status requests costs no database round trips.
//!
//! A cached answer is reused only while the store has not committed any change since (every
//! connection bumps the store's change counter from SQLite's commit hook), the bot's clock is in
//! the same second (lines show ages), and it is younger than [`MAX_AGE`] — which bounds the
//! tiny window in which the hook has fired but the commit is not yet visible to readers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub use crate::state::status_cache::{StatusExtras, StatusExtrasCache};
use crate::state::AppState;
use crate::workflows::{
    checklists, incidents::reports as incident_reports, rollout, votes, WorkflowError,
};

/// How long a cached answer may be reused at most.
pub const MAX_AGE: Duration = Duration::from_millis(250);

/// The cached store-backed status lines, if they may be reused now.
pub fn fresh(state: &AppState) -> Option<Arc<StatusExtras>> {
    let changes = state.store_changes.load(Ordering::Acquire);
    let second = state.clock.now().timestamp();
    let cache = &state.status_extras;
    cache.fresh(&state.release.id, changes, second, MAX_AGE)
}

/// The store-backed status lines, from the cache when nothing changed.
pub async fn load(state: &AppState) -> Result<Arc<StatusExtras>, WorkflowError> {
    let changes = state.store_changes.load(Ordering::Acquire);
    let second = state.clock.now().timestamp();
    let cache = &state.status_extras;
    if let Some(extras) = cache.fresh(&state.release.id, changes, second, MAX_AGE) {
        return Ok(extras);
    }
    let extras = match read(state).await {
        Ok(extras) => Arc::new(extras),
        Err(WorkflowError::Store(error)) if error.is_unreachable() => {
            // Status still answers from memory, and says what it could not read.
            tracing::warn!(%error, "status without the store");
            let mut last = cache.last(&state.release.id).unwrap_or_default();
            let extras = Arc::make_mut(&mut last);
            extras.incidents.insert(0, UNREACHABLE.to_string());
            return Ok(last);
        }
        Err(error) => return Err(error),
    };
    cache.keep(&state.release.id, changes, second, extras.clone());
    Ok(extras)
}

/// The first status line while the store cannot be read.
pub const UNREACHABLE: &str =
    "golive's database is unreachable: incidents, checklists, the vote and the rollout as last read";

async fn read(state: &AppState) -> Result<StatusExtras, WorkflowError> {
    Ok(StatusExtras {
        incidents: incident_reports::status_lines(state).await?,
        checklists: checklists::open_lines(state).await?,
        gonogo: votes::status_line(state).await?,
        rollout: rollout::status_lines(state).await?,
    })
}
