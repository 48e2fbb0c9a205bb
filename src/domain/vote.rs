//! The go/no-go vote: who may vote, ballots cast and changed until the vote closes, and the
//! decision the plan's rule draws from them. Pure: the workflow loads the vote, asks here what a
//! click means, and saves the answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::plan::{DecisionRule, Role};

/// A voter's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Go,
    NoGo,
}

impl Choice {
    /// How it is stored and shown: "go" or "no-go".
    pub fn key(self) -> &'static str {
        match self {
            Choice::Go => "go",
            Choice::NoGo => "no-go",
        }
    }

    /// The choice for a stored key.
    pub fn parse(key: &str) -> Option<Choice> {
        [Choice::Go, Choice::NoGo]
            .into_iter()
            .find(|c| c.key() == key)
    }
}

/// Someone entitled to vote, and the role that entitles them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub user: String,
    pub roles: Vec<Role>,
}

/// One voter's current vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub voter: String,
    pub choice: Choice,
    /// Required for a No-Go.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Whether the vote still takes ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteState {
    Open,
    Closed { decision: Choice, at: DateTime<Utc> },
}

/// A go/no-go vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub voters: Vec<Voter>,
    pub deadline: DateTime<Utc>,
    pub rule: DecisionRule,
    pub state: VoteState,
    /// The latest ballot of each voter who voted.
    pub ballots: Vec<Ballot>,
}

/// What the ballots add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: Choice,
    pub go: usize,
    pub no_go: usize,
    /// (voter, reason) of every No-Go.
    pub reasons: Vec<(String, String)>,
    /// Voters who have not voted.
    pub missing: Vec<String>,
}

/// Why a ballot or a close was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("only the voters can vote")]
    NotAVoter,
    #[error("the vote is closed")]
    AlreadyClosed,
    #[error("the deadline has passed")]
    DeadlinePassed,
    #[error("a No-Go needs a reason")]
    ReasonRequired,
    #[error("nobody holds {}, so the vote cannot be held", .0.iter().map(|r| r.key()).collect::<Vec<_>>().join(", "))]
    VacantRoles(Vec<Role>),
}

impl Vote {
    /// A new open vote: the voters are whoever holds the voting roles now, each once.
    pub fn open(
        voting_roles: &[Role],
        holders: &BTreeMap<Role, Vec<String>>,
        deadline: DateTime<Utc>,
        rule: DecisionRule,
    ) -> Result<Vote, VoteError> {
        let held = |role: &Role| holders.get(role).filter(|users| !users.is_empty());
        let vacant: Vec<Role> = voting_roles
            .iter()
            .filter(|r| held(r).is_none())
            .copied()
            .collect();
        if !vacant.is_empty() {
            return Err(VoteError::VacantRoles(vacant));
        }
        let mut voters: Vec<Voter> = Vec::new();
        for role in voting_roles {
            for user in held(role).into_iter().flatten() {
                match voters.iter_mut().find(|v| &v.user == user) {
                    Some(voter) => voter.roles.push(*role),
                    None => voters.push(Voter {
                        user: user.clone(),
                        roles: vec![*role],
                    }),
                }
            }
        }
        Ok(Vote {
            voters,
            deadline,
            rule,
            state: VoteState::Open,
            ballots: Vec::new(),
        })
    }

    /// A voter's ballot; it replaces their earlier one when saved.
    pub fn cast(
        &self,
        voter: &str,
        choice: Choice,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ballot, VoteError> {
        self.check_open(now)?;
        if !self.is_voter(voter) {
            return Err(VoteError::NotAVoter);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if choice == Choice::NoGo && reason.is_none() {
            return Err(VoteError::ReasonRequired);
        }
        Ok(Ballot {
            voter: voter.to_string(),
            choice,
            reason: reason.map(str::to_string),
            at: now,
        })
    }

    /// Whether a No-Go could be cast now by `voter` (checked before asking for the reason).
    pub fn may_vote(&self, voter: &str, now: DateTime<Utc>) -> Result<(), VoteError> {
        self.check_open(now)?;
        if self.is_voter(voter) {
            Ok(())
        } else {
            Err(VoteError::NotAVoter)
        }
    }

    /// Closes the vote with the decision its ballots make.
    pub fn close(&self) -> Result<Outcome, VoteError> {
        match self.state {
            VoteState::Open => Ok(self.decide()),
            VoteState::Closed { .. } => Err(VoteError::AlreadyClosed),
        }
    }

    /// The decision the ballots make under the plan's rule. Unanimous: Go only if every voter
    /// voted Go; any No-Go or a missing vote means No-Go.
    pub fn decide(&self) -> Outcome {
        let ballot = |user: &str| self.ballots.iter().find(|b| b.voter == user);
        let missing: Vec<String> = self
            .voters
            .iter()
            .filter(|v| ballot(&v.user).is_none())
            .map(|v| v.user.clone())
            .collect();
        let counted = self.ballots.iter().filter(|b| self.is_voter(&b.voter));
        let (go, no_go) = counted.fold((0, 0), |(go, no), b| match b.choice {
            Choice::Go => (go + 1, no),
            Choice::NoGo => (go, no + 1),
        });
        let reasons = self
            .ballots
            .iter()
            .filter(|b| b.choice == Choice::NoGo)
            .map(|b| (b.voter.clone(), b.reason.clone().unwrap_or_default()))
            .collect();
        let decision = match self.rule {
            DecisionRule::Unanimous if no_go == 0 && missing.is_empty() => Choice::Go,
            DecisionRule::Unanimous => Choice::NoGo,
        };
        Outcome {
            decision,
            go,
            no_go,
            reasons,
            missing,
        }
    }

    /// Whether `user` is one of the voters.
    pub fn is_voter(&self, user: &str) -> bool {
        self.voters.iter().any(|v| v.user == user)
    }

    fn check_open(&self, now: DateTime<Utc>) -> Result<(), VoteError> {
        match self.state {
            VoteState::Closed { .. } => Err(VoteError::AlreadyClosed),
            VoteState::Open if now >= self.deadline => Err(VoteError::DeadlinePassed),
            VoteState::Open => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    const ROLES: [Role; 2] = [Role::EngineeringLead, Role::QaLead];

    fn vote() -> Vote {
        let holders = BTreeMap::from([
            (Role::EngineeringLead, vec!["UENG".to_string()]),
            (Role::QaLead, vec!["UQA".to_string()]),
        ]);
        Vote::open(
            &ROLES,
            &holders,
            at("2026-03-09T22:00:00Z"),
            DecisionRule::Unanimous,
        )
        .unwrap()
    }

    fn with(mut vote: Vote, ballots: &[(&str, Choice, Option<&str>)]) -> Vote {
        for (voter, choice, reason) in ballots {
            let ballot = vote
                .cast(voter, *choice, *reason, at("2026-03-09T20:00:00Z"))
                .unwrap();
            vote.ballots.retain(|b| b.voter != ballot.voter);
            vote.ballots.push(ballot);
        }
        vote
    }

    #[test]
    fn voters_are_the_holders_of_the_voting_roles_at_open_time() {
        let users: Vec<String> = vote().voters.into_iter().map(|v| v.user).collect();
        assert_eq!(users, ["UENG", "UQA"]);
    }

    #[test]
    fn someone_holding_two_voting_roles_votes_once() {
        let holders = BTreeMap::from([
            (Role::EngineeringLead, vec!["U1".to_string()]),
            (Role::QaLead, vec!["U1".to_string()]),
        ]);
        let deadline = at("2026-03-09T22:00:00Z");
        let vote = Vote::open(&ROLES, &holders, deadline, DecisionRule::Unanimous).unwrap();
        assert_eq!(vote.voters.len(), 1);
        assert_eq!(vote.voters[0].roles, ROLES);
    }

    #[test]
    fn a_vote_cannot_open_while_a_voting_role_is_vacant() {
        let holders = BTreeMap::from([(Role::EngineeringLead, vec!["U1".to_string()])]);
        let deadline = at("2026-03-09T22:00:00Z");
        let error = Vote::open(&ROLES, &holders, deadline, DecisionRule::Unanimous).unwrap_err();
        assert_eq!(error, VoteError::VacantRoles(vec![Role::QaLead]));
    }

    #[test]
    fn a_no_go_needs_a_reason() {
        let now = at("2026-03-09T20:00:00Z");
        assert_eq!(
            vote().cast("UQA", Choice::NoGo, Some("  "), now),
            Err(VoteError::ReasonRequired)
        );
        assert_eq!(
            vote().cast("UQA", Choice::NoGo, None, now),
            Err(VoteError::ReasonRequired)
        );
    }

    #[test]
    fn a_non_voter_is_refused() {
        let now = at("2026-03-09T20:00:00Z");
        assert_eq!(
            vote().cast("UOTHER", Choice::Go, None, now),
            Err(VoteError::NotAVoter)
        );
    }

    #[test]
    fn ballot_after_deadline_is_rejected() {
        let late = at("2026-03-09T22:00:00Z");
        assert_eq!(
            vote().cast("UQA", Choice::Go, None, late),
            Err(VoteError::DeadlinePassed)
        );
    }

    #[test]
    fn ballot_on_a_closed_vote_is_rejected() {
        let mut vote = vote();
        vote.state = VoteState::Closed {
            decision: Choice::NoGo,
            at: at("2026-03-09T19:00:00Z"),
        };
        assert_eq!(
            vote.cast("UQA", Choice::Go, None, at("2026-03-09T20:00:00Z")),
            Err(VoteError::AlreadyClosed)
        );
        assert_eq!(vote.close(), Err(VoteError::AlreadyClosed));
    }

    #[test]
    fn every_voter_voting_go_is_a_go() {
        let vote = with(
            vote(),
            &[("UENG", Choice::Go, None), ("UQA", Choice::Go, None)],
        );
        let outcome = vote.decide();
        assert_eq!(outcome.decision, Choice::Go);
        assert_eq!((outcome.go, outcome.no_go), (2, 0));
    }

    #[test]
    fn one_no_go_makes_a_no_go_with_its_reason() {
        let vote = with(
            vote(),
            &[
                ("UENG", Choice::Go, None),
                ("UQA", Choice::NoGo, Some("P1 open")),
            ],
        );
        let outcome = vote.decide();
        assert_eq!(outcome.decision, Choice::NoGo);
        assert_eq!(
            outcome.reasons,
            [("UQA".to_string(), "P1 open".to_string())]
        );
    }

    #[test]
    fn a_missing_vote_makes_a_no_go() {
        let outcome = with(vote(), &[("UENG", Choice::Go, None)]).decide();
        assert_eq!(outcome.decision, Choice::NoGo);
        assert_eq!(outcome.missing, ["UQA"]);
    }

    #[test]
    fn a_changed_vote_counts_only_once() {
        let vote = with(
            vote(),
            &[
                ("UENG", Choice::Go, None),
                ("UQA", Choice::NoGo, Some("flaky")),
                ("UQA", Choice::Go, None),
            ],
        );
        let outcome = vote.decide();
        assert_eq!(outcome.decision, Choice::Go);
        assert_eq!((outcome.go, outcome.no_go), (2, 0));
    }
}
