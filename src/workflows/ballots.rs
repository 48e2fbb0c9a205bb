//! Casting a ballot: judged and stored through the store's single writer.
//!
//! Each click is one change on the writer (see `storage::writer`): inside the write transaction
//! it records the delivery id, reads the vote, asks the domain whether the click counts, and
//! upserts the ballot with its audit row. Under a burst the writer commits many clicks at once;
//! judging inside the write transaction means no ballot lands after a close.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::SqliteConnection;

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

/// Judges and stores one click.
pub async fn cast(state: &AppState, click: Click) -> Result<Counted, WorkflowError> {
    let release = state.release.id.clone();
    let counted = state
        .writer
        .write(
            move |conn: &mut SqliteConnection| -> BoxFuture<'_, Result<Counted, StoreError>> {
                Box::pin(judge_and_store(conn, release, click))
            },
            |_| {},
        )
        .await?;
    Ok(counted)
}

async fn judge_and_store(
    conn: &mut SqliteConnection,
    release: String,
    click: Click,
) -> Result<Counted, StoreError> {
    if let Some(delivery) = &click.delivery {
        if !deliveries::first_delivery(conn, delivery, click.at).await? {
            return Ok(Counted::Duplicate);
        }
    }
    let Some(stored) = votes::load_without_ballots(conn, click.vote).await? else {
        return Ok(Counted::NoSuchVote);
    };
    let reason = click.reason.as_deref();
    let ballot = match stored
        .vote
        .cast(&click.voter, click.choice, reason, click.at)
    {
        Ok(ballot) => ballot,
        Err(error) => return Ok(Counted::Refused(error, Box::new(stored))),
    };
    votes::record_ballot(conn, click.vote, &ballot).await?;
    let mut detail = format!("vote {}: {}", click.vote, ballot.choice.key());
    if let Some(reason) = &ballot.reason {
        detail.push_str(&format!(" ({reason})"));
    }
    audit::record(conn, &release, ballot.at, &ballot.voter, "ballot", &detail).await?;
    Ok(Counted::Stored)
}
