//! Clicks and modal submissions: de-duplicate, then hand to the workflow that owns the control.

use std::collections::HashMap;

use crate::slack::action_id::{Button, Form, FormError, NO_GO_REASON_BLOCK};
use crate::slack::inbound::{Action, Submission};
use crate::slack::messages::{self, Tone};
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::workflows::events::first_delivery;
use crate::workflows::{
    checklists::clicks as checklist_clicks, incidents::clicks as incident_clicks, votes,
};

/// The launch an input belongs to: the one its button or modal names, else the launch of the
/// channel it came from, else the only launch.
fn launch_of(state: &AppState, named: Option<&str>, channel: Option<&str>) -> Option<AppState> {
    let launches = &state.launches;
    let release = match named {
        Some(key) => launches.get(key),
        None => channel
            .and_then(|c| launches.in_channel(c))
            .or_else(|| launches.only()),
    }?;
    Some(state.for_release(release))
}

/// Handles a click after it has been acknowledged. Slack's redeliveries of the same click are
/// dropped here, so a click counts once.
pub async fn on_action(state: &AppState, action: Action) {
    let Some(state) = &launch_of(state, action.release.as_deref(), Some(&action.channel)) else {
        let text = "That button belongs to a launch golive no longer runs; nothing was changed.";
        tell(state, &action, text).await;
        return;
    };
    let Some(button) = action.button.clone() else {
        let text =
            "That button is not golive's, or its message is out of date; nothing was changed.";
        tell(state, &action, text).await;
        return;
    };
    if let Button::VoteGo(vote) = button {
        // De-duplicated in the same transaction as the ballot: the hot path of a vote.
        let _ = votes::on_go(state, &action, vote).await;
        return;
    }
    match first_delivery(state, &action.delivery_id).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::error!(%error, "could not record a click");
            return;
        }
    }
    let outcome: Result<(), String> = match button {
        Button::ChecklistConfirm(item) => checklist_clicks::on_confirm(state, &action, item).await,
        Button::ChecklistReopen(item) => checklist_clicks::on_reopen(state, &action, item).await,
        Button::VoteGo(_) => Ok(()), // handled above
        Button::VoteNoGo(vote) => votes::on_no_go(state, &action, vote).await,
        Button::Incident(..) | Button::IncidentRunbook(_) | Button::RunbookStepDone(_) => {
            incident_clicks::on_click(state, &action, button).await
        }
    };
    if let Err(refusal) = outcome {
        tell(state, &action, &refusal).await;
    }
}

/// Handles a submitted modal; `Err` keeps the modal open with an error per input block.
pub async fn on_submission(
    state: &AppState,
    submission: Submission,
) -> Result<(), HashMap<String, String>> {
    let user = submission.user.as_str();
    if submission.form == Err(FormError::Unknown) {
        tracing::warn!(
            callback_id = submission.callback_id,
            "submission of an unknown modal"
        );
        return Ok(());
    }
    let Some(state) = &launch_of(state, submission.release.as_deref(), None) else {
        let text = "This form belongs to a launch golive no longer runs; nothing was changed.";
        return Err(HashMap::from([(
            NO_GO_REASON_BLOCK.to_string(),
            text.to_string(),
        )]));
    };
    match submission.form {
        Ok(Form::NoGoReason { vote, reason }) => votes::on_reason(state, user, vote, reason).await,
        Ok(Form::ReopenReason { item, reason }) => {
            checklist_clicks::on_reopen_reason(state, user, item, &reason).await
        }
        Err(FormError::Forged) => {
            // golive's own modal, but not metadata golive wrote: say so under the input.
            let text = "This form is not golive's; nothing was changed.".to_string();
            Err(HashMap::from([(NO_GO_REASON_BLOCK.to_string(), text)]))
        }
        Err(FormError::Unknown) => Ok(()), // answered above
    }
}

/// Answers the person who clicked, visible only to them.
pub async fn tell(state: &AppState, action: &Action, text: &str) {
    let message = messages::notice(
        &state.templates,
        Tone::Refused,
        text,
        &crate::slack::render::slack_escape(text),
    )
    .unwrap_or_else(|_| Outgoing::text(text));
    if let Err(error) = state
        .slack
        .post_ephemeral(&action.channel, &action.user, &message)
        .await
    {
        tracing::warn!(%error, "could not answer a click");
    }
}
