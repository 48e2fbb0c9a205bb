//! Go/no-go votes and their ballots.

use std::collections::BTreeMap;

use chrono::Utc;
use golive::domain::plan::{DecisionRule, Role};
use golive::domain::vote::{Ballot, Choice, Vote};
use golive::storage::votes::{self, VoteStoreError};
use golive::storage::{from_millis, to_millis};

use super::{on_both, Fresh, RELEASE};

fn vote() -> Vote {
    let holders = BTreeMap::from([(Role::QaLead, vec!["UQA".to_string()])]);
    let deadline = "2026-03-09T22:00:00Z".parse().unwrap();
    Vote::open(&[Role::QaLead], &holders, deadline, DecisionRule::Unanimous).unwrap()
}

fn ballot(choice: Choice, reason: Option<&str>) -> Ballot {
    ballot_of("UQA", choice, reason)
}

fn ballot_of(voter: &str, choice: Choice, reason: Option<&str>) -> Ballot {
    Ballot {
        voter: voter.into(),
        choice,
        reason: reason.map(Into::into),
        at: from_millis(to_millis(Utc::now())),
    }
}

on_both!(
    a_second_open_vote_of_a_release_is_refused,
    a_refused_vote_leaves_its_transaction_usable,
    a_changed_ballot_replaces_the_first_and_a_closed_vote_takes_none,
    the_schema_refuses_a_no_go_without_a_reason,
    many_ballots_in_one_statement_keep_each_voters_last_and_skip_closed_votes,
    the_same_voter_twice_in_one_batch_keeps_the_last,
    ballots_are_listed_in_the_order_cast,
);

/// While a vote of a release is open another is refused; once it closes one opens.
async fn a_second_open_vote_of_a_release_is_refused(store: Fresh) {
    let mut conn = store.conn().await;
    let first = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let second = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now()).await;
    assert!(matches!(second, Err(VoteStoreError::AlreadyOpen)));
    assert!(
        votes::close(&mut conn, first, Choice::NoGo, "URM", Utc::now())
            .await
            .unwrap()
    );
    assert!(votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .is_ok());
}

/// A refused second vote leaves the transaction it was tried in usable: what else the
/// transaction does is kept.
async fn a_refused_vote_leaves_its_transaction_usable(store: Fresh) {
    let mut tx = store.db().begin().await.unwrap();
    let first = votes::open(&mut tx, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let second = votes::open(&mut tx, RELEASE, &vote(), "URM", Utc::now()).await;
    assert!(matches!(second, Err(VoteStoreError::AlreadyOpen)));
    votes::set_message(&mut tx, first, "C1", "1.0")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.conn().await;
    let stored = votes::latest(&mut conn, RELEASE).await.unwrap().unwrap();
    assert_eq!(stored.id, first);
    assert_eq!(stored.message, Some(("C1".into(), "1.0".into())));
}

/// A changed ballot replaces the voter's first; a closed vote takes no ballot and closes
/// once.
async fn a_changed_ballot_replaces_the_first_and_a_closed_vote_takes_none(store: Fresh) {
    let mut conn = store.conn().await;
    let id = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    assert!(
        votes::record_ballot(&mut conn, id, &ballot(Choice::Go, None))
            .await
            .unwrap()
    );
    let no_go = ballot(Choice::NoGo, Some("flaky"));
    assert!(votes::record_ballot(&mut conn, id, &no_go).await.unwrap());
    let stored = votes::load(&mut conn, RELEASE, id).await.unwrap().unwrap();
    assert_eq!(stored.vote.ballots, [no_go]);
    assert!(votes::close(&mut conn, id, Choice::NoGo, "URM", Utc::now())
        .await
        .unwrap());
    assert!(!votes::close(&mut conn, id, Choice::Go, "URM", Utc::now())
        .await
        .unwrap());
    assert!(
        !votes::record_ballot(&mut conn, id, &ballot(Choice::Go, None))
            .await
            .unwrap()
    );
    assert!(votes::load(&mut conn, "other", id).await.unwrap().is_none());
}

/// The schema refuses a No-Go whose reason is blank.
async fn the_schema_refuses_a_no_go_without_a_reason(store: Fresh) {
    let mut conn = store.conn().await;
    let id = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let refused = votes::record_ballot(&mut conn, id, &ballot(Choice::NoGo, Some(" "))).await;
    assert!(refused.is_err());
}

/// Many ballots in one statement keep each voter's last; a closed vote takes none of them.
async fn many_ballots_in_one_statement_keep_each_voters_last_and_skip_closed_votes(store: Fresh) {
    let mut conn = store.conn().await;
    let id = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let (go, no_go) = (
        ballot(Choice::Go, None),
        ballot(Choice::NoGo, Some("it's \"red\"")),
    );
    let second = ballot_of("UX", Choice::Go, None);
    votes::record_ballots(&mut conn, &[(id, &go), (id, &second), (id, &no_go)])
        .await
        .unwrap();
    let mut stored = votes::load(&mut conn, RELEASE, id)
        .await
        .unwrap()
        .unwrap()
        .vote
        .ballots;
    stored.sort_by(|a, b| a.voter.cmp(&b.voter));
    assert_eq!(stored, [no_go.clone(), second]);
    votes::record_ballots(&mut conn, &[]).await.unwrap();
    assert!(votes::close(&mut conn, id, Choice::NoGo, "URM", Utc::now())
        .await
        .unwrap());
    votes::record_ballots(&mut conn, &[(id, &ballot_of("UY", Choice::Go, None))])
        .await
        .unwrap();
    let stored = votes::load(&mut conn, RELEASE, id).await.unwrap().unwrap();
    assert_eq!(stored.vote.ballots.len(), 2, "a closed vote takes none");
    let refused = votes::record_ballots(&mut conn, &[(id, &ballot(Choice::NoGo, Some(" ")))]).await;
    assert!(refused.is_ok(), "nothing is written to a closed vote");
}

/// The same voter twice in one batch, over a ballot already stored: the batch's last
/// ballot of that voter is the one kept.
async fn the_same_voter_twice_in_one_batch_keeps_the_last(store: Fresh) {
    let mut conn = store.conn().await;
    let id = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let stored_first = ballot(Choice::NoGo, Some("before"));
    assert!(votes::record_ballot(&mut conn, id, &stored_first)
        .await
        .unwrap());
    let (go, no_go, go_again) = (
        ballot(Choice::Go, None),
        ballot(Choice::NoGo, Some("changed my mind")),
        Ballot {
            at: from_millis(to_millis(Utc::now()) + 1),
            ..ballot(Choice::Go, None)
        },
    );
    votes::record_ballots(&mut conn, &[(id, &go), (id, &no_go)])
        .await
        .unwrap();
    let stored = votes::load(&mut conn, RELEASE, id).await.unwrap().unwrap();
    assert_eq!(stored.vote.ballots, [no_go]);
    votes::record_ballots(&mut conn, &[(id, &go), (id, &go_again)])
        .await
        .unwrap();
    let stored = votes::latest(&mut conn, RELEASE).await.unwrap().unwrap();
    assert_eq!(stored.vote.ballots, [go_again]);
}

/// Ballots come back ordered by when they were cast, then by voter, with their reasons.
async fn ballots_are_listed_in_the_order_cast(store: Fresh) {
    let mut conn = store.conn().await;
    let id = votes::open(&mut conn, RELEASE, &vote(), "URM", Utc::now())
        .await
        .unwrap();
    let at = |millis| from_millis(millis);
    let cast = [
        Ballot {
            at: at(3_000),
            ..ballot_of("UA", Choice::Go, None)
        },
        Ballot {
            at: at(1_000),
            ..ballot_of("UC", Choice::NoGo, Some("why"))
        },
        Ballot {
            at: at(1_000),
            ..ballot_of("UB", Choice::Go, None)
        },
    ];
    for ballot in &cast {
        assert!(votes::record_ballot(&mut conn, id, ballot).await.unwrap());
    }
    let stored = votes::load(&mut conn, RELEASE, id).await.unwrap().unwrap();
    let order: Vec<(&str, Option<&str>)> = stored
        .vote
        .ballots
        .iter()
        .map(|b| (b.voter.as_str(), b.reason.as_deref()))
        .collect();
    assert_eq!(order, [("UB", None), ("UC", Some("why")), ("UA", None)]);
}
