//! One function per use case: load → decide in the domain → save in one transaction → notify.
//!
//! Use cases are grouped by capability, each folder holding its commands, clicks and jobs:
//! [`launch`] (the schedule, posts, gate and status), [`checklists`], [`votes`] and
//! [`incidents`] (the ladder, incident messages, runbooks), [`metrics`] and [`rollout`] (flag
//! steps on the flag server, guards). Beside them: the routing of commands,
//! clicks and events, the one answer every use case gives ([`answer`]), message refreshes, and
//! telling release managers of messages Slack refused ([`refusals`]).

pub mod answer;
pub mod checklists;
pub mod commands;
pub mod events;
pub mod incidents;
pub mod interactions;
pub mod launch;
pub mod metrics;
pub mod refresh;
pub mod refusals;
pub mod rollout;
pub mod sending;
pub mod views;
pub mod votes;

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
