//! Keeping an interactive message in step with the store.
//!
//! After every change a workflow asks for its message to be refreshed. The message is rendered
//! from the store, never patched, and at most one chat.update per message is in flight: a request
//! arriving meanwhile only marks the message dirty, and the update in flight renders it once more
//! when it finishes. A burst of clicks thus costs a few updates, and the last one to land always
//! shows the latest state.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use super::{checklists, escalation, votes};
use crate::domain::incident::IncidentId;
use crate::state::AppState;

/// A message golive keeps up to date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The latest post of a checklist, by key.
    Checklist(String),
    /// A go/no-go vote's message, by vote id.
    Vote(i64),
    /// An incident's post in the launch channel.
    Incident(IncidentId),
}

/// Messages with an update in flight, each with whether it changed again since.
#[derive(Debug)]
pub struct Refreshes {
    in_flight: Mutex<HashMap<Target, bool>>,
    /// Renders reading the store at once. Refreshes run in the background, often many together
    /// (a restart takes a thousand overdue steps); they must leave the pool's other connections
    /// to the scheduler and to commands.
    reading: Semaphore,
}

/// How many of the pool's connections refreshes may use at once.
const READERS: usize = 2;

impl Default for Refreshes {
    fn default() -> Self {
        Self {
            in_flight: Mutex::default(),
            reading: Semaphore::new(READERS),
        }
    }
}

impl Refreshes {
    /// Claims the update of `target`; false when one is in flight (it is marked dirty instead).
    fn claim(&self, target: &Target) -> bool {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        match in_flight.get_mut(target) {
            Some(dirty) => {
                *dirty = true;
                false
            }
            None => {
                in_flight.insert(target.clone(), false);
                true
            }
        }
    }

    /// After an update: true when it must run again, else releases the claim.
    fn again(&self, target: &Target) -> bool {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        match in_flight.get_mut(target) {
            Some(dirty) if *dirty => {
                *dirty = false;
                true
            }
            _ => {
                in_flight.remove(target);
                false
            }
        }
    }
}

/// Brings `target`'s message up to date with the store. Failures are logged: the next change
/// renders the whole message again.
pub async fn request(state: &AppState, target: Target) {
    if !state.refreshes.claim(&target) {
        return;
    }
    loop {
        if let Err(error) = update(state, &target).await {
            tracing::warn!(?target, %error, "could not update an interactive message");
        }
        if !state.refreshes.again(&target) {
            return;
        }
    }
}

/// Runs [`request`] in the background, for callers that must answer Slack first.
pub fn spawn(state: &AppState, target: Target) {
    let worker = state.clone();
    let work = async move { request(&worker, target).await };
    state.background.spawn_follow_up(work);
}

async fn update(state: &AppState, target: &Target) -> Result<(), super::WorkflowError> {
    let live = {
        let _reading = state.refreshes.reading.acquire().await;
        match target {
            Target::Checklist(key) => checklists::render_live(state, key).await?,
            Target::Vote(id) => votes::render_live(state, *id).await?,
            Target::Incident(id) => escalation::render_live(state, *id).await?,
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
        assert!(refreshes.claim(&target));
        assert!(!refreshes.claim(&target));
        assert!(!refreshes.claim(&target));
        assert!(refreshes.again(&target));
        assert!(!refreshes.again(&target));
        assert!(refreshes.claim(&target));
    }
}
