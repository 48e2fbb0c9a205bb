//! Following a store other replicas share: a launch another replica changed is read again, so
//! `/golive status` here shows what was done there within moments of its commit, and the job
//! loop of the replica holding it looks for work the change queued.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use crate::release::{Release, Snapshot};
use crate::state::AppState;
use crate::storage::{releases, roles};
use crate::workflows::launch::schedule::skipped;
use crate::workflows::launch::setup::{posted, role_map};
use crate::workflows::WorkflowError;

/// How many times a read is tried again when a change of this replica's own overtook it.
const TRIES: usize = 3;

/// Reads again each launch the store says changed, until `shutdown` turns true.
pub async fn run(
    state: AppState,
    mut changed: broadcast::Receiver<String>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let first = tokio::select! {
            message = changed.recv() => message,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        if matches!(first, Err(broadcast::error::RecvError::Closed)) {
            break; // a store nobody else changes: nothing to follow
        }
        let mut which = HashSet::new();
        let mut every = false;
        let mut note = |message: Result<String, broadcast::error::RecvError>| match message {
            Ok(id) if !id.is_empty() => {
                which.insert(id);
            }
            // The feed was lost for a moment, or fell behind: anything may have changed.
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => every = true,
            Err(broadcast::error::RecvError::Closed) => {}
        };
        note(first);
        // Everything queued meanwhile is read once.
        loop {
            match changed.try_recv() {
                Ok(id) => note(Ok(id)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    note(Err(broadcast::error::RecvError::Lagged(n)))
                }
                Err(_) => break,
            }
        }
        let mut wake = false;
        for release in state.launches.all().iter() {
            if every || which.contains(&release.id) {
                if let Err(error) = reload(&state, release).await {
                    tracing::warn!(release = release.id, %error, "could not read a launch again");
                }
                wake |= state.leases.holds(&release.id);
            }
        }
        // Another replica may have queued work for a launch this one runs (a page, a vote's
        // deadline): the loop's next wake-up was reckoned without it.
        if wake {
            state.scheduler.wake();
        }
    }
}

/// Reads `release`'s stored state again and puts it in, unless a change of this replica's
/// own landed meanwhile (then it reads again).
pub async fn reload(state: &AppState, release: &Arc<Release>) -> Result<(), WorkflowError> {
    for _ in 0..TRIES {
        let version = release.version();
        let before = release.snapshot();
        let mut conn = state.db.acquire().await?;
        let stored = releases::load(&mut conn, &release.id).await?;
        let timeline = match stored.launch_date {
            Some(_) if stored.launch_date == before.launch_date => before.timeline.clone(),
            Some(date) => Arc::new(release.plan().timeline(date)),
            None => Arc::default(),
        };
        let snapshot = Snapshot {
            launch_date: stored.launch_date,
            posted: posted(&mut conn, &release.id).await?,
            skipped: skipped(&mut conn, &release.id, &timeline).await?,
            roles: role_map(roles::list(&mut conn, &release.id).await?),
            timeline,
        };
        if release.replace_if_unchanged(version, snapshot) {
            return Ok(());
        }
    }
    Ok(())
}
