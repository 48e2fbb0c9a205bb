//! Keeping an interactive message in step with the store.
//!
//! After every change a workflow asks for its message to be refreshed. The message is rendered
//! from the store, never patched, and at most one chat.update per message is in flight: a request
//! arriving meanwhile only marks the message dirty, and the update in flight renders it once more
//! when it finishes. A burst of clicks thus costs a few updates, and the last one to land always
//! shows the latest state.
//!
//! That holds only while one process updates a message, so on a shared store a replica that does
//! not hold the launch asks its holder instead (`storage::refresh_asks`), one ask in flight per
//! message as for updates: the holder hears, and refreshes as if the change were its own. Asks
//! outlive a holder dying: the replica taking the launch over renders what was asked.

use tokio::sync::{broadcast, watch};

pub use crate::state::refresh_claims::{Refreshes, Target};
use crate::state::AppState;
use crate::storage::refresh_asks;
use crate::workflows::{checklists, incidents::escalation, metrics, rollout, votes};

/// Brings `target`'s message up to date with the store. Failures are logged: the next change
/// renders the whole message again.
pub async fn request(state: &AppState, target: Target) {
    let release = &state.release.id;
    if !state.refreshes.claim(release, &target) {
        return;
    }
    loop {
        if state.leases.holds(release) {
            if let Err(error) = update(state, &target).await {
                tracing::warn!(?target, %error, "could not update an interactive message");
            }
        } else if let Err(error) = ask_holder(state, &target).await {
            tracing::warn!(?target, %error, "could not ask the launch's holder for a refresh");
        }
        if !state.refreshes.again(release, &target) {
            return;
        }
    }
}

async fn ask_holder(state: &AppState, target: &Target) -> Result<(), crate::storage::StoreError> {
    let mut conn = state.db.acquire().await?;
    refresh_asks::ask(&mut conn, &state.release.id, &target.to_string()).await
}

/// On a shared store: renders what other replicas asked of the launches this one holds, as
/// they ask, until `shutdown` turns true.
pub async fn follow_asks(
    state: AppState,
    mut asked: broadcast::Receiver<String>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let release = tokio::select! {
            message = asked.recv() => message,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let releases = match release {
            Ok(id) if !id.is_empty() => vec![id],
            // The feed was lost for a moment, or fell behind: anything may have been asked.
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => state.launches.ids(),
            Err(broadcast::error::RecvError::Closed) => break,
        };
        take_asks(&state, releases).await;
    }
}

/// Renders every ask waiting for those of `releases` this replica holds: as they are heard, and
/// when it takes a launch over.
pub async fn take_asks(state: &AppState, releases: Vec<String>) {
    let held: Vec<String> = releases
        .into_iter()
        .filter(|r| state.leases.holds(r))
        .collect();
    if held.is_empty() {
        return;
    }
    let asks = match state.db.acquire().await {
        Ok(mut conn) => refresh_asks::take(&mut conn, &held).await,
        Err(error) => Err(error.into()),
    };
    let asks = match asks {
        Ok(asks) => asks,
        Err(error) => {
            // They stay asked: the next ask, or the next holder, takes them.
            tracing::warn!(%error, "could not read the refreshes other replicas asked for");
            return;
        }
    };
    for (release, target) in asks {
        let (Some(state), Ok(target)) = (state.for_release_id(&release), target.parse()) else {
            tracing::warn!(
                release,
                target,
                "dropped a refresh asked for nothing golive runs"
            );
            continue;
        };
        spawn(&state, target);
    }
}

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
