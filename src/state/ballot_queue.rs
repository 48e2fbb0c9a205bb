//! Go and No-Go clicks waiting to be written together (see `workflows::ballots`, which judges
//! and writes them).

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::domain::vote::{Choice, VoteError};
use crate::storage::votes::StoredVote;

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
    /// The launch whose vote it is: a batch may hold clicks of several.
    pub release: String,
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

/// Clicks waiting for the next batch; `in_flight` is held while a batch is on the writer.
#[derive(Debug, Default)]
pub struct BallotBatch {
    pub waiting: Mutex<Vec<Waiting>>,
    pub in_flight: tokio::sync::Mutex<()>,
}

/// A click waiting for its batch, and where to say how it went.
#[derive(Debug)]
pub struct Waiting {
    pub click: Click,
    pub done: oneshot::Sender<Result<Counted, String>>,
}
