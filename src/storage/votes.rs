//! The `votes` and `ballots` tables: go/no-go votes, each voter's current ballot, decisions.

use super::{AsConn, Conn};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{from_millis, to_millis, StoreError};
use crate::domain::plan::{DecisionRule, Role};
use crate::domain::vote::{Ballot, Choice, Vote, VoteState, Voter};

/// A vote as stored, with where its message is.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVote {
    pub id: i64,
    pub vote: Vote,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub message: Option<(String, String)>,
}

/// Why a vote could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum VoteStoreError {
    #[error("a vote is already open")]
    AlreadyOpen,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize, Deserialize)]
struct VoterRow {
    user: String,
    roles: Vec<String>,
}

type VoteRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str =
    "id, state, voters, rule, deadline, opened_by, opened_at, channel, ts, decision, closed_by, closed_at";

/// Stores a new open vote; refused while another vote of the release is open.
pub async fn open(
    conn: &mut impl AsConn,
    release_id: &str,
    vote: &Vote,
    opened_by: &str,
    now: DateTime<Utc>,
) -> Result<i64, VoteStoreError> {
    crate::on!(conn, |conn| {
        let voters: Vec<VoterRow> = vote
            .voters
            .iter()
            .map(|v| VoterRow {
                user: v.user.clone(),
                roles: v.roles.iter().map(|r| r.key().to_string()).collect(),
            })
            .collect();
        let voters = serde_json::to_string(&voters).unwrap_or_else(|_| "[]".into());
        // Nothing inserted is the open vote's conflict: no error, which on PostgreSQL would
        // abort the caller's transaction.
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO votes (release_id, state, voters, rule, deadline, opened_by, opened_at)
         VALUES ($1, 'open', $2, 'unanimous', $3, $4, $5)
         ON CONFLICT (release_id) WHERE state = 'open' DO NOTHING RETURNING id",
        )
        .bind(release_id)
        .bind(voters)
        .bind(to_millis(vote.deadline))
        .bind(opened_by)
        .bind(to_millis(now))
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)?;
        inserted.map(|(id,)| id).ok_or(VoteStoreError::AlreadyOpen)
    })
}

/// Records where the vote's message was posted.
pub async fn set_message(
    conn: &mut impl AsConn,
    id: i64,
    channel: &str,
    ts: &str,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("UPDATE votes SET channel = $1, ts = $2 WHERE id = $3")
            .bind(channel)
            .bind(ts)
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Removes a vote whose message could not be posted, so another can be opened.
pub async fn discard(conn: &mut impl AsConn, id: i64) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("DELETE FROM votes WHERE id = $1 AND state = 'open'")
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Saves a ballot, replacing the voter's earlier one; false when the vote is no longer open.
pub async fn record_ballot(
    conn: &mut impl AsConn,
    id: i64,
    ballot: &Ballot,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
        "INSERT INTO ballots (vote_id, voter, choice, reason, cast_at)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM votes WHERE id = $6 AND state = 'open')
         ON CONFLICT (vote_id, voter) DO UPDATE
            SET choice = excluded.choice, reason = excluded.reason, cast_at = excluded.cast_at",
    )
    .bind(id)
    .bind(&ballot.voter)
    .bind(ballot.choice.key())
    .bind(&ballot.reason)
    .bind(to_millis(ballot.at))
    .bind(id)
    .execute(conn)
    .await?;
        Ok(done.rows_affected() >= 1)
    })
}

/// Upserts many ballots in one statement, in the order given (a later ballot of the same voter
/// replaces an earlier one), each only while its vote is open.
pub async fn record_ballots(
    conn: &mut impl AsConn,
    ballots: &[(i64, &Ballot)],
) -> Result<(), StoreError> {
    if ballots.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, &str, &str, Option<&str>, i64)> = ballots
        .iter()
        .map(|(vote, b)| {
            let reason = b.reason.as_deref();
            (
                *vote,
                b.voter.as_str(),
                b.choice.key(),
                reason,
                to_millis(b.at),
            )
        })
        .collect();
    let rows = super::json_rows(&rows)?;
    match conn.conn() {
        // SQLite upserts the rows one after the other, in order: a voter's last ballot stays.
        Conn::Sqlite(conn) => {
            sqlx::query(
                "INSERT INTO ballots (vote_id, voter, choice, reason, cast_at)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
                   FROM json_each($1)
                  WHERE EXISTS (SELECT 1 FROM votes WHERE id = value ->> 0 AND state = 'open')
                  ORDER BY key
                 ON CONFLICT (vote_id, voter) DO UPDATE
                    SET choice = excluded.choice, reason = excluded.reason, cast_at = excluded.cast_at",
            )
            .bind(rows)
            .execute(conn)
            .await?;
        }
        // PostgreSQL refuses to upsert one row twice in a statement: each voter's last ballot
        // of the batch is picked first.
        Conn::Postgres(conn) => {
            sqlx::query(
                "INSERT INTO ballots (vote_id, voter, choice, reason, cast_at)
                 SELECT DISTINCT ON (vote_id, voter) vote_id, voter, choice, reason, cast_at
                   FROM (SELECT (r ->> 0)::bigint AS vote_id, r ->> 1 AS voter, r ->> 2 AS choice,
                                r ->> 3 AS reason, (r ->> 4)::bigint AS cast_at, n
                           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (r, n)) AS given
                  WHERE EXISTS (SELECT 1 FROM votes WHERE id = given.vote_id AND state = 'open')
                  ORDER BY vote_id, voter, n DESC
                 ON CONFLICT (vote_id, voter) DO UPDATE
                    SET choice = excluded.choice, reason = excluded.reason, cast_at = excluded.cast_at",
            )
            .bind(rows)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Closes an open vote with its decision; false when it was closed already.
pub async fn close(
    conn: &mut impl AsConn,
    id: i64,
    decision: Choice,
    closed_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
            "UPDATE votes SET state = 'closed', decision = $1, closed_by = $2, closed_at = $3
          WHERE id = $4 AND state = 'open'",
        )
        .bind(decision.key())
        .bind(closed_by)
        .bind(to_millis(now))
        .bind(id)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// One vote with its ballots.
pub async fn load(
    conn: &mut impl AsConn,
    release_id: &str,
    id: i64,
) -> Result<Option<StoredVote>, StoreError> {
    crate::on!(conn, |conn| {
        let Some(mut stored) = load_without_ballots(conn, release_id, id).await? else {
            return Ok(None);
        };
        stored.vote.ballots = ballots(conn, id).await?;
        Ok(Some(stored))
    })
}

/// One vote of a release without its ballots: enough to judge a new ballot, and cheaper on
/// every click. Another release's vote is not found.
pub async fn load_without_ballots(
    conn: &mut impl AsConn,
    release_id: &str,
    id: i64,
) -> Result<Option<StoredVote>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<VoteRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM votes WHERE id = $1 AND release_id = $2"
        ))
        .bind(id)
        .bind(release_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(from_row).transpose()
    })
}

/// The release's most recent vote (open or closed), with its ballots.
pub async fn latest(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Option<StoredVote>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<VoteRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM votes WHERE release_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(release_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(mut stored) = row.map(from_row).transpose()? else {
            return Ok(None);
        };
        stored.vote.ballots = ballots(conn, stored.id).await?;
        Ok(Some(stored))
    })
}

fn from_row(row: VoteRow) -> Result<StoredVote, StoreError> {
    let (
        id,
        state,
        voters,
        rule,
        deadline,
        opened_by,
        opened_at,
        channel,
        ts,
        decision,
        closed_by,
        closed_at,
    ) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("vote {id}: {what}"));
    let voters: Vec<VoterRow> = serde_json::from_str(&voters).map_err(|_| corrupt("voters"))?;
    let voters = voters
        .into_iter()
        .map(|v| Voter {
            user: v.user,
            roles: v
                .roles
                .iter()
                .filter_map(|r| r.parse::<Role>().ok())
                .collect(),
        })
        .collect();
    if rule != "unanimous" {
        return Err(corrupt("rule"));
    }
    let state = match (state.as_str(), decision.as_deref().and_then(Choice::parse)) {
        ("open", None) => VoteState::Open,
        ("closed", Some(decision)) => VoteState::Closed {
            decision,
            at: from_millis(closed_at.unwrap_or_default()),
        },
        _ => return Err(corrupt("state")),
    };
    Ok(StoredVote {
        id,
        vote: Vote {
            voters,
            deadline: from_millis(deadline),
            rule: DecisionRule::Unanimous,
            state,
            ballots: Vec::new(),
        },
        opened_by,
        opened_at: from_millis(opened_at),
        closed_by,
        message: channel.zip(ts),
    })
}

async fn ballots(conn: &mut impl AsConn, id: i64) -> Result<Vec<Ballot>, StoreError> {
    type BallotRow = (String, String, Option<String>, i64);
    let rows: Vec<BallotRow> = match conn.conn() {
        // One row holding every ballot as JSON: a row each would be a message each from the
        // connection's thread, and a vote message is rendered again after every burst of clicks.
        Conn::Sqlite(conn) => {
            let (rows,): (String,) = sqlx::query_as(
                "SELECT json_group_array(json_array(voter, choice, reason, cast_at)
                                         ORDER BY cast_at, voter)
                   FROM ballots WHERE vote_id = $1",
            )
            .bind(id)
            .fetch_one(conn)
            .await?;
            serde_json::from_str(&rows)
                .map_err(|_| StoreError::Corrupt(format!("vote {id}: ballots")))?
        }
        // Over the network the rows come in one answer anyway.
        Conn::Postgres(conn) => {
            sqlx::query_as(
                "SELECT voter, choice, reason, cast_at FROM ballots WHERE vote_id = $1
                  ORDER BY cast_at, voter",
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        }
    };
    rows.into_iter()
        .map(|(voter, choice, reason, at)| {
            let choice = Choice::parse(&choice)
                .ok_or_else(|| StoreError::Corrupt(format!("vote {id}: ballot {voter}")))?;
            Ok(Ballot {
                voter,
                choice,
                reason,
                at: from_millis(at),
            })
        })
        .collect()
}
