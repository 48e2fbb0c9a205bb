//! `/golive status` and the answer to an `@golive` mention: one message, built in one place.

use crate::domain::status;
use crate::slack::messages;
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::workflows::{launch::status_extras, WorkflowError};

/// Where the release stands now: the schedule from memory, the rest from the store (cached).
pub async fn build(state: &AppState) -> Result<Outgoing, WorkflowError> {
    let release = &state.release;
    let plan = &release.plan();
    let snapshot = release.snapshot();
    let now = state.clock.now();
    let mut status = status::compute(plan, snapshot.progress(), now);
    let extras = status_extras::load(state).await?;
    status.open_checklists = extras.checklists.clone();
    status.gonogo = extras.gonogo.clone();
    Ok(messages::status(
        &state.templates,
        plan,
        &status,
        now,
        extras.incidents.clone(),
    )?)
}
