//! Clicks on an incident's buttons and its runbook checklist, handed to the incident workflows.
//! A refusal goes back to the person who clicked; success shows in the incident's thread.

use crate::domain::incident::{IncidentId, Mark};
use crate::slack::action_id::{Button, IncidentButton, StepRef};
use crate::slack::inbound::Action;
use crate::state::AppState;
use crate::workflows::answer::{Answer, Answered, Text};
use crate::workflows::incidents::{self, runbooks};

/// Handles one incident or runbook click.
pub async fn on_click(state: &AppState, action: &Action, button: Button) -> Answered {
    let user = action.user.as_str();
    let answer = match button {
        Button::RunbookStepDone(step) => return step_done(state, action, step).await,
        Button::IncidentRunbook(runbook) => {
            let id = IncidentId(runbook.incident);
            runbooks::attach(state, user, id, &runbook.runbook).await?
        }
        Button::Incident(button, reference) => {
            let id = IncidentId(reference.incident);
            on_incident(state, user, id, button).await?
        }
        _ => Answer::refused(Text::plain("That button is not an incident's.")),
    };
    // The thread tells everyone what was done, the clicker included.
    Ok(match answer {
        Answer::Done(_) => Answer::Shown,
        other => other,
    })
}

async fn on_incident(
    state: &AppState,
    user: &str,
    id: IncidentId,
    button: IncidentButton,
) -> Answered {
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
async fn step_done(state: &AppState, action: &Action, step: StepRef) -> Answered {
    let id = IncidentId(step.incident);
    let answer = runbooks::confirm_step(state, &action.user, id, step.step).await?;
    let Answer::Message(checklist) = answer else {
        return Ok(answer);
    };
    let updated = state
        .slack
        .update(&action.channel, &action.message_ts, &checklist)
        .await;
    if let Err(error) = updated {
        tracing::warn!(%error, "could not refresh a runbook checklist");
    }
    Ok(Answer::Shown)
}
