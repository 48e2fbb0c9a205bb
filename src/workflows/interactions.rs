//! Clicks and modal submissions: route to their launch, de-duplicate, hand to the workflow that
//! owns the control, and show its answer to the person.

use std::collections::HashMap;

use crate::slack::action_id::{Button, Form, FormError, NO_GO_REASON_BLOCK, REOPEN_REASON_BLOCK};
use crate::slack::inbound::{Action, Submission};
use crate::state::AppState;
use crate::workflows::answer::{self, Answer, Answered, Text};
use crate::workflows::events::first_delivery;
use crate::workflows::{
    checklists::clicks as checklist_clicks, incidents::clicks as incident_clicks, rollout, votes,
    WorkflowError,
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

/// Handles a click after it has been acknowledged and tells the person who clicked what
/// they need to know, visible only to them. Slack's redeliveries of the same click are dropped
/// here, so a click counts once.
pub async fn on_action(state: &AppState, action: Action) {
    let answered = click(state, &action).await;
    let log = |error: &WorkflowError| {
        tracing::error!(%error, action = action.action.as_str(), user = action.user, "click failed");
    };
    let Some(message) = answer::reply(&state.templates, answered, log) else {
        return;
    };
    // Home has no channel to answer in: the answer comes as a direct message.
    let sent = if action.from_home() {
        state.slack.post(&action.user, &message).await.map(drop)
    } else {
        state
            .slack
            .post_ephemeral(&action.channel, &action.user, &message)
            .await
    };
    if let Err(error) = sent {
        tracing::warn!(%error, "could not answer a click");
    }
}

/// Routes a click to its launch and the workflow that owns the button.
async fn click(state: &AppState, action: &Action) -> Answered {
    let Some(state) = &launch_of(state, action.release.as_deref(), Some(&action.channel)) else {
        let why = "That button belongs to a launch golive no longer runs; nothing was changed.";
        return Ok(Answer::refused(Text::plain(why)));
    };
    let Some(button) = action.button.clone() else {
        let why =
            "That button is not golive's, or its message is out of date; nothing was changed.";
        return Ok(Answer::refused(Text::plain(why)));
    };
    if let Button::VoteGo(vote) = button {
        // De-duplicated in the same transaction as the ballot: the hot path of a vote.
        return votes::on_go(state, action, vote).await;
    }
    if !first_delivery(state, &action.delivery_id).await? {
        return Ok(Answer::Shown); // the first delivery was answered
    }
    match button {
        Button::ChecklistConfirm(item) => checklist_clicks::on_confirm(state, action, item).await,
        Button::ChecklistReopen(item) => checklist_clicks::on_reopen(state, action, item).await,
        Button::VoteGo(_) => Ok(Answer::Shown), // answered above
        Button::VoteNoGo(vote) => votes::on_no_go(state, action, vote).await,
        Button::Incident(..) | Button::IncidentRunbook(_) | Button::RunbookStepDone(_) => {
            incident_clicks::on_click(state, action, button).await
        }
        Button::RolloutApply(step) => rollout::steps::on_apply(state, action, step.percent).await,
        Button::RolloutHold(step) => rollout::steps::on_hold(state, action, step.percent).await,
    }
}

/// Handles a submitted modal; `Err` keeps the modal open with an error per input block.
pub async fn on_submission(
    state: &AppState,
    submission: Submission,
) -> Result<(), HashMap<String, String>> {
    let callback_id = submission.callback_id.as_str();
    if submission.form == Err(FormError::Unknown) {
        tracing::warn!(callback_id, "submission of an unknown modal");
        return Ok(());
    }
    let answered = submitted(state, &submission).await;
    let log = |error: &WorkflowError| {
        tracing::error!(%error, callback_id, user = submission.user, "submission failed");
    };
    let block = match &submission.form {
        Ok(Form::ReopenReason { .. }) => REOPEN_REASON_BLOCK,
        _ => NO_GO_REASON_BLOCK,
    };
    match answer::input_error(answered, log) {
        Some(text) => Err(HashMap::from([(block.to_string(), text)])),
        None => Ok(()),
    }
}

/// Routes a submission to its launch and the workflow that owns the modal.
async fn submitted(state: &AppState, submission: &Submission) -> Answered {
    let user = submission.user.as_str();
    let Some(state) = &launch_of(state, submission.release.as_deref(), None) else {
        let why = "This form belongs to a launch golive no longer runs; nothing was changed.";
        return Ok(Answer::refused(Text::plain(why)));
    };
    match &submission.form {
        Ok(Form::NoGoReason { vote, reason }) => {
            votes::on_reason(state, user, *vote, reason.clone()).await
        }
        Ok(Form::ReopenReason { item, reason }) => {
            checklist_clicks::on_reopen_reason(state, user, item.clone(), reason).await
        }
        // golive's own modal, but not metadata golive wrote: say so under the input.
        Err(FormError::Forged) => Ok(Answer::refused(Text::plain(
            "This form is not golive's; nothing was changed.",
        ))),
        Err(FormError::Unknown) => Ok(Answer::Shown), // answered by the caller
    }
}
