//! Ballots are judged and written in batches, on a connection of their own.
//!
//! Whoever finds no batch in progress takes every click waiting, and in one `BEGIN IMMEDIATE`
//! transaction reads each vote once, asks the domain whether each click counts, upserts the
//! ballots that do with their audit rows, and commits; then it tells each clicker how theirs
//! went. Under a burst the store commits once per batch instead of once per click, and the
//! writer never queues behind the clicks waiting for the shared pool. A lone click is written
//! at once. Judging inside the write transaction also means no ballot lands after a close.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sqlx::{Connection, SqliteConnection};
use tokio::sync::oneshot;

use super::WorkflowError;
use crate::domain::vote::{Choice, VoteError};
use crate::state::AppState;
use crate::storage::votes::{self, StoredVote};
use crate::storage::{audit, deliveries, StoreError};

/// A click asking to cast a ballot.
#[derive(Debug, Clone)]
pub struct Click {
    pub vote: i64,
    pub voter: String,
    pub choice: Choice,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    /// Slack's delivery id of a button click, recorded in the same transaction as the ballot,
    /// so a redelivered click counts once.
    pub delivery: Option<String>,
}

/// What became of a click.
#[derive(Debug)]
pub enum Counted {
    /// Stored; it replaces the voter's earlier ballot.
    Stored,
    /// Not counted, with the vote as it stood (for the explanation).
    Refused(VoteError, Box<StoredVote>),
    /// There is no such vote.
    NoSuchVote,
    /// Slack delivered this click before; it was handled then.
    Duplicate,
}

/// Clicks waiting for the next batch, and the batch writer's own connection.
#[derive(Debug, Default)]
pub struct BallotBatch {
    waiting: Mutex<Vec<Waiting>>,
    writer: tokio::sync::Mutex<Option<SqliteConnection>>,
}

#[derive(Debug)]
struct Waiting {
    click: Click,
    done: oneshot::Sender<Result<Counted, String>>,
}

/// Judges and stores one click, together with whatever other clicks are waiting.
pub async fn cast(state: &AppState, click: Click) -> Result<Counted, WorkflowError> {
    let batch = &state.ballots;
    let (done, outcome) = oneshot::channel();
    lock(&batch.waiting).push(Waiting { click, done });
    {
        let mut writer = batch.writer.lock().await;
        let waiting = std::mem::take(&mut *lock(&batch.waiting));
        if !waiting.is_empty() {
            write(state, &mut writer, waiting).await;
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

async fn write(state: &AppState, writer: &mut Option<SqliteConnection>, waiting: Vec<Waiting>) {
    let clicks: Vec<&Click> = waiting.iter().map(|w| &w.click).collect();
    let outcome = match connection(state, writer).await {
        Ok(conn) => write_all(state, conn, &clicks).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(counted) => {
            for (one, counted) in waiting.into_iter().zip(counted) {
                let _ = one.done.send(Ok(counted));
            }
        }
        Err(error) => {
            // Start the next batch on a fresh connection.
            *writer = None;
            let error = error.to_string();
            for one in waiting {
                let _ = one.done.send(Err(error.clone()));
            }
        }
    }
}

async fn connection<'a>(
    state: &AppState,
    writer: &'a mut Option<SqliteConnection>,
) -> Result<&'a mut SqliteConnection, WorkflowError> {
    if writer.is_none() {
        let options = state.db.connect_options();
        *writer = Some(SqliteConnection::connect_with(&options).await?);
    }
    Ok(writer.as_mut().expect("just connected"))
}

async fn write_all(
    state: &AppState,
    conn: &mut SqliteConnection,
    clicks: &[&Click],
) -> Result<Vec<Counted>, WorkflowError> {
    let release = &state.release.id;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut loaded: HashMap<i64, Option<StoredVote>> = HashMap::new();
    let mut counted = Vec::with_capacity(clicks.len());
    for click in clicks {
        if let Some(delivery) = &click.delivery {
            if !deliveries::first_delivery(&mut tx, delivery, click.at).await? {
                counted.push(Counted::Duplicate);
                continue;
            }
        }
        if let std::collections::hash_map::Entry::Vacant(entry) = loaded.entry(click.vote) {
            entry.insert(votes::load_without_ballots(&mut tx, click.vote).await?);
        }
        let Some(Some(stored)) = loaded.get(&click.vote) else {
            counted.push(Counted::NoSuchVote);
            continue;
        };
        let reason = click.reason.as_deref();
        let ballot = match stored
            .vote
            .cast(&click.voter, click.choice, reason, click.at)
        {
            Ok(ballot) => ballot,
            Err(error) => {
                counted.push(Counted::Refused(error, Box::new(stored.clone())));
                continue;
            }
        };
        votes::record_ballot(&mut tx, click.vote, &ballot).await?;
        let mut detail = format!("vote {}: {}", click.vote, ballot.choice.key());
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
        counted.push(Counted::Stored);
    }
    tx.commit().await?;
    Ok(counted)
}
