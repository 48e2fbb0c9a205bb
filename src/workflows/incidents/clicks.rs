//! Clicks on an incident's buttons and its runbook checklist, handed to the incident workflows.
//! A refusal goes back to the person who clicked; success shows in the incident's thread.

use crate::domain::incident::{IncidentId, Mark};
use crate::slack::action_id::{Button, IncidentButton, StepRef};
use crate::slack::inbound::Action;
use crate::state::AppState;
use crate::workflows::incidents::runbooks;
use crate::workflows::incidents::{self, Outcome};

/// Handles one incident or runbook click; `Err` is the refusal to show the person.
pub async fn on_click(state: &AppState, action: &Action, button: Button) -> Result<(), String> {
    match outcome(state, action, button).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(refusal)) => Err(refusal),
        Err(error) => {
            tracing::error!(%error, action = action.action.as_str(), "incident click failed");
            Err("Sorry, golive could not do that because of an internal error; nothing was changed.".into())
        }
    }
}

async fn outcome(
    state: &AppState,
    action: &Action,
    button: Button,
) -> Result<Outcome, crate::workflows::WorkflowError> {
    let user = action.user.as_str();
    let (button, reference) = match button {
        Button::RunbookStepDone(step) => return step_done(state, action, step).await,
        Button::IncidentRunbook(runbook) => {
            let id = IncidentId(runbook.incident);
            return runbooks::attach(state, user, id, &runbook.runbook).await;
        }
        Button::Incident(button, reference) => (button, reference),
        _ => return Ok(Err("That button is not an incident's.".into())),
    };
    let id = IncidentId(reference.incident);
    match button {
        IncidentButton::Acknowledge => incidents::acknowledge(state, user, id).await,
        IncidentButton::Escalate => incidents::escalate_now(state, user, id).await,
        IncidentButton::Resolve => incidents::resolve(state, user, id, None).await,
        IncidentButton::CustomerImpact => {
            incidents::mark(state, user, id, Mark::CustomerImpact).await
        }
        IncidentButton::RollbackConsidered => {
            incidents::mark(state, user, id, Mark::RollbackConsidered).await
        }
    }
}

/// A runbook step marked done; its checklist is updated in place.
async fn step_done(
    state: &AppState,
    action: &Action,
    step: StepRef,
) -> Result<Outcome, crate::workflows::WorkflowError> {
    let id = IncidentId(step.incident);
    Ok(
        match runbooks::confirm_step(state, &action.user, id, step.step).await? {
            Ok(checklist) => {
                if let Err(error) = state
                    .slack
                    .update(&action.channel, &action.message_ts, &checklist)
                    .await
                {
                    tracing::warn!(%error, "could not refresh a runbook checklist");
                }
                Ok(String::new())
            }
            Err(refusal) => Err(refusal),
        },
    )
}
