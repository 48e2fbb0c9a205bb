//! Reports on incidents: `/golive incidents` and the incident lines of `/golive status`.

use crate::slack::format::duration;
use crate::slack::incident_messages::{self, shown_summary, SUMMARY_IN_LIST};
use crate::state::AppState;
use crate::storage::incidents;
use crate::workflows::answer::{Answer, Answered};
use crate::workflows::WorkflowError;

/// `/golive incidents`.
pub async fn list(state: &AppState) -> Answered {
    let mut conn = state.db.acquire().await?;
    let open = incidents::open(&mut conn, &state.release.id).await?;
    Ok(Answer::Message(incident_messages::incidents(
        &state.templates,
        &open,
        &state.release.plan().escalation,
        state.clock.now(),
    )?))
}

/// How many incidents `/golive status` lists one by one.
const STATUS_INCIDENTS: usize = 10;

/// Lines for `/golive status`: each open incident, and a rollout pause in force.
pub async fn status_lines(state: &AppState) -> Result<Vec<String>, WorkflowError> {
    let mut conn = state.db.acquire().await?;
    let release_id = &state.release.id;
    let now = state.clock.now();
    let open = incidents::open(&mut conn, release_id).await?;
    let mut lines: Vec<String> = open
        .iter()
        .take(STATUS_INCIDENTS)
        .map(|incident| {
            let owner = incident
                .owner()
                .map_or("unacknowledged".to_string(), |o| format!("owned by {o}"));
            format!(
                "incident {} {} at L{}, {owner}, open {}: {}",
                incident.id,
                incident.severity.as_str(),
                incident.level,
                duration(now - incident.opened_at),
                shown_summary(&incident.summary, SUMMARY_IN_LIST)
            )
        })
        .collect();
    if open.len() > STATUS_INCIDENTS {
        let more = open.len() - STATUS_INCIDENTS;
        lines.push(format!(
            "…and {more} more open incidents: `/golive incidents` lists them"
        ));
    }
    Ok(lines)
}
