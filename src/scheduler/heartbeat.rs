//! The heartbeat of a replica on a shared store: every quarter of the lease time it renews its
//! row and the jobs it holds, and takes the launches nobody alive holds (all of them, for the
//! first replica up; a dead replica's, when its row runs out). Taking a launch wakes the job
//! loop, which then runs that launch's due jobs, its dead holder's unfinished ones included.

use tokio::sync::watch;

use crate::state::AppState;
use crate::storage::{jobs, leases, StoreError};

/// Beats until `shutdown` turns true; then leaves, so the others take over at once.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = beat(&state).await {
            tracing::warn!(%error, "heartbeat failed; the next one tries again");
        }
        let leases = &state.leases;
        let next = leases.now() + leases.beat();
        tokio::select! {
            _ = leases.clock.sleep_until(next) => {}
            _ = leases.beat_asked() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

/// One beat: renew, take, and wake the loop (and render the refreshes asked) if a launch
/// changed hands.
pub async fn beat(state: &AppState) -> Result<(), StoreError> {
    let leases = &state.leases;
    let claim = leases.claim();
    let now = claim.now;
    let mut conn = state.db.acquire().await?;
    leases::beat(&mut conn, &leases.holder, claim.until).await?;
    jobs::renew(&mut conn, claim).await?;
    let held = leases::take(&mut conn, &state.launches.ids(), &leases.holder, now).await?;
    let took = leases.now_holding(held);
    if !took.is_empty() {
        tracing::info!(
            holder = leases.holder,
            launches = took.len(),
            "took over launches"
        );
        state.scheduler.wake();
        // What was asked of the last holder is this one's to render now.
        drop(conn);
        crate::workflows::refresh::take_asks(state, took).await;
    }
    leases.beaten();
    Ok(())
}

/// A replica stopping lets go of its launches and of the jobs it holds.
pub async fn leave(state: &AppState) -> Result<(), StoreError> {
    let mut conn = state.db.acquire().await?;
    jobs::let_go_all(&mut conn, &state.leases.holder).await?;
    leases::leave(&mut conn, &state.leases.holder).await
}
