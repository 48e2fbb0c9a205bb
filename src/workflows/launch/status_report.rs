//! `/golive status` and the answer to an `@golive` mention: one message, built in one place.

use std::sync::Arc;

use crate::domain::status;
use crate::slack::messages;
use crate::slack::port::Outgoing;
use crate::state::status_cache::AnswerInputs;
use crate::state::AppState;
use crate::workflows::{launch::status_extras, WorkflowError};

/// Where the release stands now: the schedule from memory, the rest from the store (cached).
pub async fn build(state: &AppState) -> Result<Outgoing, WorkflowError> {
    let message = answer(state).await?;
    Ok(Outgoing::clone(&message))
}

/// The status message, rendered once per second while neither the release's state nor the
/// store changes: a burst of `/golive status` shares one rendering. Renderings take turns, so
/// when the second turns or the store changes under a burst, one request reads the store and
/// renders while the others wait for its answer instead of each doing the same.
pub async fn answer(state: &AppState) -> Result<Arc<Outgoing>, WorkflowError> {
    if let Some(message) = reuse(state) {
        return Ok(message);
    }
    let _turn = state.status_answers.turn().await;
    if let Some(message) = reuse(state) {
        return Ok(message);
    }
    let release = &state.release;
    let plan = release.plan();
    let snapshot = release.snapshot();
    let now = state.clock.now();
    let extras = status_extras::load(state).await?;
    let inputs = AnswerInputs {
        plan: &plan,
        snapshot: &snapshot,
        extras: &extras,
        second: now.timestamp(),
    };
    let mut status = status::compute(&plan, snapshot.progress(), now);
    status.open_checklists = extras.checklists.clone();
    status.gonogo = extras.gonogo.clone();
    let message = Arc::new(messages::status(
        &state.templates,
        &plan,
        &status,
        now,
        extras
            .incidents
            .iter()
            .chain(&extras.rollout)
            .cloned()
            .collect(),
    )?);
    state
        .status_answers
        .keep(&release.id, &inputs, message.clone());
    Ok(message)
}

/// The kept answer, if it was computed from what is current now.
fn reuse(state: &AppState) -> Option<Arc<Outgoing>> {
    let release = &state.release;
    let extras = status_extras::fresh(state)?;
    let (plan, snapshot) = (release.plan(), release.snapshot());
    let inputs = AnswerInputs {
        plan: &plan,
        snapshot: &snapshot,
        extras: &extras,
        second: state.clock.now().timestamp(),
    };
    state.status_answers.fresh(&release.id, &inputs)
}
