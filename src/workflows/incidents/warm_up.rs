//! Warming up before the first step falls due.
//!
//! The first escalation step after a start paid for first use: SQLite statements prepared on
//! each pool connection, and code run for the first time (rendering, Block Kit parsing), 10 to
//! 20 ms in all, which is more than a page's budget. So when incidents are open at start, one
//! escalation step is taken on every pool connection inside a transaction that is rolled back:
//! nothing is stored, queued or sent. With none open there is nothing to warm for: the first
//! timed page then belongs to an incident opened by this process, and opening it ran the same
//! code. (Warming costs about 2 MB of memory for the code it brings in.)

use std::time::Instant;

use chrono::TimeDelta;

use crate::domain::incident::{Incident, IncidentId, Severity};
use crate::slack::incident_messages;
use crate::state::AppState;
use crate::storage::{incidents, jobs, Pooled, POOL_SIZE};
use crate::workflows::incidents::escalation::advance;
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::WorkflowError;

/// Takes a rolled-back escalation step on every pool connection if any incident is open; says
/// whether it did. Only speed depends on it: the caller logs a failure and carries on.
pub async fn run(state: &AppState) -> Result<bool, WorkflowError> {
    let started = Instant::now();
    let open = incidents::open_count(&mut state.db.acquire().await?, &state.release.id).await?;
    if open == 0 {
        return Ok(false);
    }
    // Held together, so that each step runs on a different connection.
    let mut held = Vec::new();
    for _ in 0..POOL_SIZE {
        held.push(state.db.acquire().await?);
    }
    for conn in &mut held {
        step(state, conn).await?;
    }
    tracing::debug!(elapsed = ?started.elapsed(), open, "warmed up");
    Ok(true)
}

async fn step(state: &AppState, conn: &mut Pooled) -> Result<(), WorkflowError> {
    let release_id = &state.release.id;
    let ids = [release_id.clone()];
    let ladder = &state.release.plan().escalation;
    let now = state.clock.now();
    let mut tx = conn.begin().await?;
    // Opened an hour ago and never acknowledged: its next step is due now.
    let opened = now - TimeDelta::hours(1);
    let incident = Incident::open(
        IncidentId(0),
        Severity::P1,
        "warm-up",
        GOLIVE,
        ladder,
        opened,
    );
    let id = incidents::insert(&mut tx, release_id, &incident).await?;
    if let Some(mut incident) = incidents::load(&mut tx, release_id, id).await? {
        let open_p0 = incidents::open_p0_count(&mut tx, release_id).await?;
        jobs::close(&mut tx, release_id, "warm-up", now).await?;
        advance(&mut tx, state, &mut incident, open_p0, now).await?;
        incidents::save(&mut tx, release_id, &incident).await?;
        incidents::incident_post(&mut tx, release_id, id).await?;
        // The step then refreshes the incident post (see `escalation::render_live`).
        let plan = &state.release.plan();
        incident_messages::incident_post(
            &state.templates,
            &state.release.id,
            &incident,
            ladder,
            &plan.contingencies,
            plan.release.timezone,
            &incidents::message_key(id, 0),
        )?;
    }
    for job in jobs::claim_due(&mut tx, &ids, now, 10, state.leases.claim()).await? {
        jobs::begin_attempt(&mut tx, &job, now).await?;
    }
    jobs::next_wakeup(&mut tx, &ids, state.leases.claim()).await?;
    tx.rollback().await?;
    Ok(())
}
