//! Ballots are judged and written in batches, as one change on the store's single writer.
//!
//! Whoever finds no batch in progress takes every click waiting and hands them to the writer as
//! one change: inside the write transaction it reads each vote once, asks the domain whether each
//! click counts, and upserts the ballots that do with their audit rows; then it tells each
//! clicker how theirs went. Under a burst a vote is read once per batch rather than once per
//! click, and the batch's delivery ids, ballots and audit rows take one statement each, not one
//! per click: each statement is a round trip to the connection's thread. A lone click is
//! written at once. Judging inside the write transaction also means no
//! ballot lands after a close.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::storage::{AsConn, Connection};
use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use crate::domain::vote::Ballot;
use crate::state::ballot_queue::Waiting;
pub use crate::state::ballot_queue::{BallotBatch, Click, Counted};
use crate::state::AppState;
use crate::storage::votes::{self, StoredVote};
use crate::storage::{audit, deliveries, StoreError};
use crate::workflows::WorkflowError;

/// Judges and stores one click, together with whatever other clicks are waiting.
pub async fn cast(state: &AppState, click: Click) -> Result<Counted, WorkflowError> {
    let batch = &state.ballots;
    let (done, outcome) = oneshot::channel();
    lock(&batch.waiting).push(Waiting { click, done });
    // Whoever finds no batch in flight writes batches until none is waiting; the others only
    // wait for their outcome. (Queueing every click for the lock instead makes each take its
    // turn, and with a bounded number of clicks in hand the batches shrink to a few clicks.)
    while let Ok(in_flight) = batch.in_flight.try_lock() {
        let waiting = std::mem::take(&mut *lock(&batch.waiting));
        if !waiting.is_empty() {
            write(state, waiting).await;
            continue;
        }
        drop(in_flight);
        // A click pushed while the lock was held found it taken and left its batch to us.
        if lock(&batch.waiting).is_empty() {
            break;
        }
    }
    match outcome.await {
        Ok(Ok(counted)) => Ok(counted),
        Ok(Err(error)) => Err(StoreError::Corrupt(format!("ballot batch failed: {error}")).into()),
        Err(_) => Err(StoreError::Corrupt("ballot batch dropped".to_string()).into()),
    }
}

fn lock(waiting: &Mutex<Vec<Waiting>>) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
    waiting.lock().unwrap_or_else(|e| e.into_inner())
}

async fn write(state: &AppState, waiting: Vec<Waiting>) {
    let clicks: Vec<Click> = waiting.iter().map(|w| w.click.clone()).collect();
    let outcome = state
        .writer
        .write(
            move |conn: &mut Connection| -> BoxFuture<'_, Result<Vec<Counted>, StoreError>> {
                Box::pin(write_all(conn, clicks))
            },
            |_| {},
        )
        .await;
    match outcome {
        Ok(counted) => {
            for (one, counted) in waiting.into_iter().zip(counted) {
                let _ = one.done.send(Ok(counted));
            }
        }
        Err(error) => {
            let error = error.to_string();
            for one in waiting {
                let _ = one.done.send(Err(error.clone()));
            }
        }
    }
}

/// Judges and stores a batch in a few statements, whatever its size: the delivery ids in one,
/// each vote read once, then every counted ballot in one upsert and its audit row in one insert.
async fn write_all(tx: &mut impl AsConn, clicks: Vec<Click>) -> Result<Vec<Counted>, StoreError> {
    let delivered: Vec<(&str, chrono::DateTime<chrono::Utc>)> = clicks
        .iter()
        .filter_map(|click| Some((click.delivery.as_deref()?, click.at)))
        .collect();
    let mut first = deliveries::first_deliveries(&mut *tx, &delivered)
        .await?
        .into_iter();
    let mut loaded: HashMap<(&str, i64), Option<StoredVote>> = HashMap::new();
    let mut counted = Vec::with_capacity(clicks.len());
    let mut ballots = Vec::with_capacity(clicks.len());
    for click in &clicks {
        if click.delivery.is_some() && first.next() != Some(true) {
            counted.push(Counted::Duplicate);
            continue;
        }
        let release = click.release.as_str();
        if let std::collections::hash_map::Entry::Vacant(entry) =
            loaded.entry((release, click.vote))
        {
            entry.insert(votes::load_without_ballots(&mut *tx, release, click.vote).await?);
        }
        let Some(Some(stored)) = loaded.get(&(release, click.vote)) else {
            counted.push(Counted::NoSuchVote);
            continue;
        };
        let reason = click.reason.as_deref();
        match stored
            .vote
            .cast(&click.voter, click.choice, reason, click.at)
        {
            Ok(ballot) => {
                let mut detail = format!("vote {}: {}", click.vote, ballot.choice.key());
                if let Some(reason) = &ballot.reason {
                    detail.push_str(&format!(" ({reason})"));
                }
                ballots.push((click.vote, release, ballot, detail));
                counted.push(Counted::Stored);
            }
            Err(error) => counted.push(Counted::Refused(error, Box::new(stored.clone()))),
        }
    }
    let rows: Vec<(i64, &Ballot)> = ballots.iter().map(|(vote, _, b, _)| (*vote, b)).collect();
    votes::record_ballots(&mut *tx, &rows).await?;
    let entries: Vec<audit::NewEntry<'_>> = ballots
        .iter()
        .map(|(_, release, ballot, detail)| audit::NewEntry {
            release_id: release,
            at: ballot.at,
            actor: &ballot.voter,
            action: "ballot",
            detail,
        })
        .collect();
    audit::record_all(&mut *tx, &entries).await?;
    Ok(counted)
}
