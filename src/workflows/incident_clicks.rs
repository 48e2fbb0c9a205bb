//! Clicks on an incident's buttons and its runbook checklist, handed to the incident workflows.
//! A refusal goes back to the person who clicked; success shows in the incident's thread.

use super::incidents::{self, Outcome};
use super::runbooks;
use crate::domain::incident::{IncidentId, Mark};
use crate::slack::action_id::{ActionId, IncidentRef, RunbookRef, StepRef};
use crate::slack::inbound::Action;
use crate::state::AppState;

/// Handles one incident or runbook click; `Err` is the refusal to show the person.
pub async fn on_click(state: &AppState, action: &Action) -> Result<(), String> {
    match outcome(state, action).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(refusal)) => Err(refusal),
        Err(error) => {
            tracing::error!(%error, action = action.action.as_str(), "incident click failed");
            Err("Sorry, golive could not do that because of an internal error; nothing was changed.".into())
        }
    }
}

async fn outcome(state: &AppState, action: &Action) -> Result<Outcome, super::WorkflowError> {
    let user = action.user.as_str();
    if action.action == ActionId::RunbookStepDone {
        let Ok(step) = serde_json::from_str::<StepRef>(&action.value) else {
            return Ok(Err("That button is out of date.".into()));
        };
        let id = IncidentId(step.incident);
        return Ok(
            match runbooks::confirm_step(state, user, id, step.step).await? {
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
        );
    }
    if action.action == ActionId::IncidentRunbook {
        let Ok(runbook) = serde_json::from_str::<RunbookRef>(&action.value) else {
            return Ok(Err("That button is out of date.".into()));
        };
        return runbooks::attach(state, user, IncidentId(runbook.incident), &runbook.runbook).await;
    }
    let Ok(reference) = serde_json::from_str::<IncidentRef>(&action.value) else {
        return Ok(Err("That button is out of date.".into()));
    };
    let id = IncidentId(reference.incident);
    match action.action {
        ActionId::IncidentAcknowledge => incidents::acknowledge(state, user, id).await,
        ActionId::IncidentEscalate => incidents::escalate_now(state, user, id).await,
        ActionId::IncidentResolve => incidents::resolve(state, user, id, None).await,
        ActionId::IncidentCustomerImpact => {
            incidents::mark(state, user, id, Mark::CustomerImpact).await
        }
        ActionId::IncidentRollbackConsidered => {
            incidents::mark(state, user, id, Mark::RollbackConsidered).await
        }
        _ => Ok(Err(
            "This control is not handled by this version of golive.".into(),
        )),
    }
}
