//! Keeping an interactive message in step with the store.
//!
//! After every change a workflow asks for its message to be refreshed. The message is rendered
//! from the store, never patched, and at most one chat.update per message is in flight: a request
//! arriving meanwhile only marks the message dirty, and the update in flight renders it once more
//! when it finishes. A burst of clicks thus costs a few updates, and the last one to land always
//! shows the latest state. Replicas sharing a store do not see each other's claims, so on a
//! shared store an update during which the store changed renders once more: whichever replica's
//! update lands last then shows the latest state.

use std::sync::atomic::Ordering;

pub use crate::state::refresh_claims::{Refreshes, Target};
use crate::state::AppState;
use crate::workflows::{checklists, incidents::escalation, metrics, rollout, votes};

/// Brings `target`'s message up to date with the store. Failures are logged: the next change
/// renders the whole message again.
pub async fn request(state: &AppState, target: Target) {
    if !state.refreshes.claim(&state.release.id, &target) {
        return;
    }
    let mut rerenders = 0;
    loop {
        let seen = state.store_changes.load(Ordering::Acquire);
        let updated = update(state, &target).await;
        if let Err(error) = &updated {
            tracing::warn!(?target, %error, "could not update an interactive message");
        }
        // Bounded: on a busy store other launches' changes count too.
        let moved = state.store_changes.load(Ordering::Acquire) != seen;
        if state.leases.shared && updated.is_ok() && moved && rerenders < MAX_RERENDERS {
            rerenders += 1;
            continue;
        }
        if !state.refreshes.again(&state.release.id, &target) {
            return;
        }
    }
}

/// How many times in a row an update renders again because the shared store changed meanwhile.
const MAX_RERENDERS: usize = 3;

/// Runs [`request`] in the background, for callers that must answer Slack first.
pub fn spawn(state: &AppState, target: Target) {
    let worker = state.clone();
    let work = async move { request(&worker, target).await };
    state.background.spawn_follow_up(work);
}

async fn update(state: &AppState, target: &Target) -> Result<(), crate::workflows::WorkflowError> {
    let live = {
        let _reading = state.refreshes.reading.acquire().await;
        match target {
            Target::Checklist(key) => checklists::render_live(state, key).await?,
            Target::Vote(id) => votes::render_live(state, *id).await?,
            Target::Incident(id) => escalation::render_live(state, *id).await?,
            Target::Scorecard(key) => metrics::render_live(state, key).await?,
            Target::RolloutStep(percent) => rollout::steps::render_live(state, *percent).await?,
        }
    };
    if let Some((channel, ts, message)) = live {
        state.slack.update(&channel, &ts, &message).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_during_an_update_makes_it_run_once_more() {
        let refreshes = Refreshes::default();
        let target = Target::Vote(1);
        assert!(refreshes.claim("a", &target));
        assert!(!refreshes.claim("a", &target));
        assert!(refreshes.claim("b", &target), "another launch's vote 1");
        assert!(!refreshes.claim("a", &target));
        assert!(refreshes.again("a", &target));
        assert!(!refreshes.again("a", &target));
        assert!(refreshes.claim("a", &target));
    }
}
