//! The deadline-driven loop over the `jobs` table.
//!
//! [`run_due`] does whatever is due and returns the next deadline; the loop sleeps on the bot's
//! clock until then, or until a workflow adds or re-times a job. There is no polling interval:
//! an idle bot with nothing due sleeps. Most jobs run in the pass, in due order; an incident's
//! messages run apart (see [`apart`]).

pub mod apart;
pub mod heartbeat;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use self::apart::Placement;
use crate::domain::incident::IncidentId;
use crate::domain::job::JobPayload;
use crate::state::scheduling::DueJob;
use crate::state::AppState;
use crate::storage::jobs;
use crate::storage::{audit, StoreError};
use crate::workflows::launch::setup::GOLIVE;
use crate::workflows::{
    checklists, incidents::escalation, incidents::posts as incident_posts, incidents::runbooks,
    launch::posts, rollout, votes, WorkflowError,
};

/// How long a stopping bot waits for messages already handed over.
const DRAIN: Duration = Duration::from_secs(5);

/// How many due jobs one pass takes from the store.
const BATCH: i64 = 100;

/// Runs every job due now; returns when the next one falls due.
pub async fn run_due(state: &AppState) -> Result<Option<DateTime<Utc>>, WorkflowError> {
    let _pass = state.scheduler.pass().await;
    // Jobs a job queues for now (an escalation's pages) run in the same pass; each job runs at
    // most once per pass, so one that stays due cannot spin the loop.
    let mut seen = std::collections::HashSet::new();
    let running = state.leases.held_of(state.launches.ids());
    loop {
        let due = {
            let mut conn = state.db.acquire().await?;
            let now = state.clock.now();
            jobs::claim_due(&mut conn, &running, now, BATCH, state.leases.claim()).await?
        };
        let (fresh, again): (Vec<jobs::Job>, Vec<jobs::Job>) = due
            .into_iter()
            .partition(|job| seen.insert((job.release_id.clone(), job.key.clone())));
        // Run once per pass: one claimed again is let go, for the next pass.
        if !again.is_empty() {
            let mut conn = state.db.acquire().await?;
            for job in &again {
                jobs::let_go(&mut conn, job).await?;
            }
        }
        if fresh.is_empty() {
            break;
        }
        let fresh = decode(state, fresh).await?;
        let (apart, in_pass): (Vec<_>, Vec<_>) = fresh
            .into_iter()
            .map(|job| (placement(&job), job))
            .partition(|(placement, _)| *placement != Placement::InPass);
        hand_over(state, apart).await?;
        for job in in_plan_order(state, in_pass.into_iter().map(|(_, job)| job).collect()) {
            let Some(state) = state.for_release_id(&job.job.release_id) else {
                continue; // its plan was removed while the pass ran
            };
            let is_post = matches!(job.payload, JobPayload::Post { .. });
            if is_post && posts::held_until(&state, &job.job).await?.is_some() {
                continue;
            }
            run_and_settle(&state, job).await?;
        }
    }
    let mut conn = state.db.acquire().await?;
    Ok(jobs::next_wakeup(&mut conn, &running, state.leases.claim()).await?)
}

/// Due jobs with each launch channel's posts in plan order (by time, then as its plan lists
/// them); other jobs keep their places.
fn in_plan_order(state: &AppState, mut due: Vec<DueJob>) -> Vec<DueJob> {
    let slots: Vec<usize> = (0..due.len())
        .filter(|&i| matches!(due[i].payload, JobPayload::Post { .. }))
        .collect();
    let snapshots: std::collections::HashMap<String, _> = state
        .launches
        .all()
        .iter()
        .map(|r| (r.id.clone(), r.snapshot()))
        .collect();
    let mut posts: Vec<DueJob> = slots.iter().map(|&i| due[i].clone()).collect();
    let place = |due: &DueJob| {
        let position = snapshots
            .get(&due.job.release_id)
            .map_or(usize::MAX, |s| posts::position(&s.timeline, &due.job.key));
        (due.job.due_at, position)
    };
    posts.sort_by_key(place);
    for (slot, post) in slots.into_iter().zip(posts) {
        due[slot] = post;
    }
    due
}

/// Where a due job runs.
fn placement(due: &DueJob) -> Placement {
    match &due.payload {
        JobPayload::IncidentMessage { incident, to, .. } => {
            match incident_posts::lane(&due.job.release_id, IncidentId(*incident), to) {
                Some(lane) => Placement::Lane(lane),
                None => Placement::Apart,
            }
        }
        // Flag server and Prometheus calls never hold up the pass; one launch's rollout work
        // runs in order.
        JobPayload::RolloutChange { .. }
        | JobPayload::RolloutGuards { .. }
        | JobPayload::RolloutNote { .. } => {
            Placement::Lane(format!("rollout:{}", due.job.release_id))
        }
        _ => Placement::InPass,
    }
}

/// Decodes each due job's payload; a job that cannot be read is finished with the reason in
/// the log and the audit log, since running it again could never succeed.
async fn decode(state: &AppState, due: Vec<jobs::Job>) -> Result<Vec<DueJob>, WorkflowError> {
    let mut decoded = Vec::with_capacity(due.len());
    for job in due {
        match JobPayload::decode(&job.kind, &job.key, &job.payload) {
            Ok(payload) => decoded.push(DueJob { job, payload }),
            Err(error) => {
                tracing::error!(%error, "unreadable job; finishing it");
                let now = state.clock.now();
                let mut tx = state.db.begin().await?;
                jobs::finish(&mut tx, &job, now).await?;
                let detail = error.to_string();
                audit::record(
                    &mut tx,
                    &job.release_id,
                    now,
                    GOLIVE,
                    "job-unreadable",
                    &detail,
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(decoded)
}

/// Begins the attempts of the claimed `jobs` in one commit, then starts each on its own task.
async fn hand_over(state: &AppState, jobs: Vec<(Placement, DueJob)>) -> Result<(), WorkflowError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    for (_, due) in &jobs {
        jobs::begin_attempt(&mut tx, &due.job, now).await?;
    }
    tx.commit().await?;
    // Each job goes as it was read: its state and attempts before this attempt began.
    for (placement, job) in jobs {
        apart::start(state, job, placement);
    }
    Ok(())
}

/// Runs one job for its launch; a failure parks it for a minute rather than spin on it. Errs
/// only when even that cannot be recorded.
async fn run_and_settle(state: &AppState, due: DueJob) -> Result<(), WorkflowError> {
    let Some(state) = &state.for_release_id(&due.job.release_id) else {
        return Ok(()); // its plan was removed: the job stays as it is, with the history
    };
    let DueJob { job, payload } = due;
    let claimed = job.clone();
    let outcome = match payload {
        JobPayload::Post { .. } => posts::run(state, job).await,
        JobPayload::Escalation { incident } => {
            escalation::run(state, job, IncidentId(incident)).await
        }
        JobPayload::IncidentMessage {
            incident,
            to,
            text,
            blocks,
        } => {
            let queued = incident_posts::Queued {
                incident: IncidentId(incident),
                to,
                text,
                blocks,
            };
            incident_posts::run(state, job, queued).await
        }
        JobPayload::RunbookClock {
            incident,
            clock,
            deadline,
        } => runbooks::run_clock(state, job, IncidentId(incident), clock, deadline).await,
        JobPayload::VoteClose { vote } => votes::close_at_deadline(state, job, vote).await,
        JobPayload::ChecklistReminder { checklist } => {
            checklists::remind(state, job, checklist).await
        }
        JobPayload::RolloutChange { change } => rollout::changes::run(state, job, change).await,
        JobPayload::RolloutGuards { until } => rollout::guards::watch(state, job, until).await,
        JobPayload::RolloutReminder { percent } => {
            rollout::steps::remind(state, job, percent).await
        }
        JobPayload::RolloutNote { to, text, blocks } => {
            rollout::notes::run(state, job, to, text, blocks).await
        }
    };
    let settled = match outcome {
        Ok(()) => Ok(()),
        Err(WorkflowError::Store(StoreError::LeaseLost(job))) => {
            lost(&job);
            return Ok(());
        }
        Err(error) => park(state, &claimed, &error.to_string()).await,
    };
    // A job the run left unfinished (held, or waiting on something) is free for the next pass.
    let mut conn = state.db.acquire().await?;
    jobs::let_go(&mut conn, &claimed).await?;
    settled
}

/// A job's outcome refused: its lease passed to another replica, which does the job.
fn lost(job: &str) {
    tracing::warn!(
        job,
        "the lease on a job ran out and another replica took it; its outcome here is dropped"
    );
}

/// Retries a failed job in a minute, its outcome treated as unknown so the next attempt looks
/// before it posts.
async fn park(state: &AppState, job: &jobs::Job, error: &str) -> Result<(), WorkflowError> {
    tracing::error!(key = job.key, error, "job failed");
    let retry_at = state.clock.now() + chrono::TimeDelta::minutes(1);
    let mut conn = state.db.acquire().await?;
    match jobs::retry_later(&mut conn, job, error, retry_at, true).await {
        Err(StoreError::LeaseLost(job)) => lost(&job),
        done => done?,
    }
    Ok(())
}

/// Runs jobs until `shutdown` turns true.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        for release in state.launches.all().iter() {
            if release.slack_ids().channel.is_none() {
                // Not found at start (golive not yet invited?): look again before posting.
                crate::workflows::launch::setup::resolve_slack_ids(state.slack.as_ref(), release)
                    .await;
            }
        }
        let next = match run_due(&state).await {
            Ok(next) => next,
            Err(error) => {
                tracing::error!(%error, "scheduler pass failed; retrying shortly");
                Some(state.clock.now() + chrono::TimeDelta::seconds(5))
            }
        };
        let sleep = async {
            match next {
                Some(at) => state.clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = state.scheduler.woken() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    // Messages already handed over get a moment to land; any cut off stay `sending` and are
    // looked up at the next start.
    let _ = tokio::time::timeout(DRAIN, state.scheduler.apart.settled()).await;
}
