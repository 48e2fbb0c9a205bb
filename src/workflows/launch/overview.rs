//! The set of launches as commands outside any launch channel see it (see
//! `workflows::commands`, which decides when).

use crate::domain::status;
use crate::release::Release;
use crate::slack::launch_messages::{self, LaunchSummary};
use crate::slack::port::Outgoing;
use crate::state::AppState;
use crate::storage::incidents;
use crate::workflows::answer::{Answer, Answered};
use crate::workflows::WorkflowError;

/// `/golive status` where no launch is meant, and a mention outside any launch channel: every
/// launch in one message.
pub async fn all(state: &AppState) -> Result<Outgoing, WorkflowError> {
    let launches = summaries(state).await?;
    Ok(launch_messages::overview(&state.templates, &launches)?)
}

/// A command that needs one launch, typed where golive cannot tell which.
pub fn choose(state: &AppState, typed: &str) -> Answered {
    let launches: Vec<LaunchSummary> = state.launches.all().iter().map(|r| named(r)).collect();
    let message = launch_messages::choose(&state.templates, &launches, typed)?;
    Ok(Answer::Message(message))
}

/// `--release` naming no running launch.
pub fn unknown(state: &AppState, key: &str) -> Answered {
    let launches: Vec<LaunchSummary> = state.launches.all().iter().map(|r| named(r)).collect();
    let message = launch_messages::unknown(&state.templates, key, &launches)?;
    Ok(Answer::Message(message))
}

async fn summaries(state: &AppState) -> Result<Vec<LaunchSummary>, WorkflowError> {
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let mut launches = Vec::new();
    for release in state.launches.all().iter() {
        let plan = release.plan();
        let snapshot = release.snapshot();
        let status = status::compute(&plan, snapshot.progress(), now);
        let mut summary = named(release);
        summary.phase = status.phase.map(|(n, name)| format!("{n} · {name}"));
        summary.next = status.next.map(|o| (o.title.clone(), o.at));
        summary.open_incidents = incidents::open_count(&mut conn, &release.id).await?;
        launches.push(summary);
    }
    Ok(launches)
}

/// A launch's names, before its state is looked at.
fn named(release: &Release) -> LaunchSummary {
    let plan = release.plan();
    let info = &plan.release;
    LaunchSummary {
        name: format!("{} {}", info.name, info.version),
        key: release.id.clone(),
        channel: info.channel.clone(),
        launch_date: release.snapshot().launch_date,
        phase: None,
        next: None,
        open_incidents: 0,
        zone: info.timezone,
    }
}
