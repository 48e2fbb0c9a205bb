//! One function per use case: load → decide in the domain → save in one transaction → notify.

pub mod ballots;
pub mod checklist_clicks;
pub mod checklists;
pub mod commands;
pub mod escalation;
pub mod events;
pub mod gate;
pub mod incident_clicks;
pub mod incident_posts;
pub mod incident_reports;
pub mod incidents;
pub mod interactions;
pub mod posts;
pub mod refresh;
pub mod refusal;
pub mod refusals;
pub mod runbooks;
pub mod schedule;
pub mod setup;
pub mod status_extras;
pub mod status_report;
pub mod votes;
pub mod warm_up;

use crate::slack::port::SlackError;
use crate::slack::render::TemplateError;
use crate::storage::StoreError;

/// What can go wrong inside a workflow. Users see a short apology; the log gets the cause.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Slack(#[from] SlackError),
}

impl From<sqlx::Error> for WorkflowError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}
