//! The gate on launch day: the milestone marked `gate = "go-decision"` (production deployment)
//! is posted as usual only when the latest go/no-go vote decided Go.

use crate::domain::plan::Gate;
use crate::domain::timeline::{Occurrence, OccurrenceKind};
use crate::domain::vote::{Choice, VoteState};
use crate::slack::format::local;
use crate::slack::vote_messages::tally;
use crate::state::AppState;
use crate::storage::votes;
use crate::workflows::WorkflowError;

/// Whether a gated milestone may be posted as usual, or why it is blocked.
pub enum GateState {
    Open,
    Blocked(String),
}

/// For a launch-day milestone gated on a Go: whether a Go is recorded. Other posts pass.
pub async fn gate(state: &AppState, occurrence: &Occurrence) -> Result<GateState, WorkflowError> {
    let gated = occurrence.kind == OccurrenceKind::Milestone
        && state.release.plan().launch_day.iter().any(|m| {
            m.gate == Some(Gate::GoDecision) && occurrence.key == format!("milestone:{}", m.key)
        });
    if !gated {
        return Ok(GateState::Open);
    }
    let latest = {
        let mut conn = state.db.acquire().await?;
        votes::latest(&mut conn, &state.release.id).await?
    };
    let zone = state.release.plan().release.timezone;
    let blocked = match latest {
        None => "no go/no-go vote has been held".to_string(),
        Some(stored) => match stored.vote.state {
            VoteState::Closed {
                decision: Choice::Go,
                ..
            } => return Ok(GateState::Open),
            VoteState::Closed { at, .. } => {
                let outcome = stored.vote.decide();
                format!(
                    "the vote decided No-Go at {} ({})",
                    local(at, zone),
                    tally(&outcome)
                )
            }
            VoteState::Open => format!(
                "the vote is still open until {} ({})",
                local(stored.vote.deadline, zone),
                tally(&stored.vote.decide())
            ),
        },
    };
    Ok(GateState::Blocked(blocked))
}
