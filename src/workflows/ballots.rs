//! Ballots are written in batches: whoever finds no write in progress writes every ballot
//! waiting, in one transaction, and tells each clicker how theirs went. Under a burst of clicks
//! the store commits once per batch instead of once per click; a lone click is written at once.

use std::sync::Mutex;

use tokio::sync::oneshot;

use super::WorkflowError;
use crate::domain::vote::Ballot;
use crate::state::AppState;
use crate::storage::{audit, votes, StoreError};

/// Ballots waiting for the next batch, and the lock of the batch being written.
#[derive(Debug, Default)]
pub struct BallotBatch {
    waiting: Mutex<Vec<Waiting>>,
    writing: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Waiting {
    vote: i64,
    ballot: Ballot,
    /// Whether it was stored (false: the vote was no longer open), or why not.
    done: oneshot::Sender<Result<bool, String>>,
}

/// Stores a ballot with its audit row; false when the vote closed before it was written.
pub async fn record(state: &AppState, vote: i64, ballot: Ballot) -> Result<bool, WorkflowError> {
    let batch = &state.ballots;
    let (done, outcome) = oneshot::channel();
    lock(&batch.waiting).push(Waiting { vote, ballot, done });
    {
        let _writing = batch.writing.lock().await;
        let waiting = std::mem::take(&mut *lock(&batch.waiting));
        if !waiting.is_empty() {
            write(state, waiting).await;
        }
    }
    match outcome.await {
        Ok(Ok(stored)) => Ok(stored),
        Ok(Err(error)) => Err(StoreError::Corrupt(format!("ballot not stored: {error}")).into()),
        Err(_) => Err(StoreError::Corrupt("ballot batch dropped".to_string()).into()),
    }
}

fn lock(waiting: &Mutex<Vec<Waiting>>) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
    waiting.lock().unwrap_or_else(|e| e.into_inner())
}

async fn write(state: &AppState, waiting: Vec<Waiting>) {
    match write_all(state, &waiting).await {
        Ok(stored) => {
            for (one, stored) in waiting.into_iter().zip(stored) {
                let _ = one.done.send(Ok(stored));
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

async fn write_all(state: &AppState, waiting: &[Waiting]) -> Result<Vec<bool>, WorkflowError> {
    let release = &state.release.id;
    let mut tx = state.db.begin_with("BEGIN IMMEDIATE").await?;
    let mut stored = Vec::with_capacity(waiting.len());
    for Waiting { vote, ballot, .. } in waiting {
        let landed = votes::record_ballot(&mut tx, *vote, ballot).await?;
        if landed {
            let mut detail = format!("vote {vote}: {}", ballot.choice.key());
            if let Some(reason) = &ballot.reason {
                detail.push_str(&format!(" ({reason})"));
            }
            audit::record(
                &mut tx,
                release,
                ballot.at,
                &ballot.voter,
                "ballot",
                &detail,
            )
            .await?;
        }
        stored.push(landed);
    }
    tx.commit().await?;
    Ok(stored)
}
