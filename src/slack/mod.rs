//! The Slack adapter: the only code that knows Slack's wire types.

pub mod action_id;
pub mod checklist_messages;
pub mod checkup;
pub mod console;
pub mod format;
pub mod home_view;
pub mod inbound;
pub mod incident_messages;
pub mod launch_messages;
pub mod limits;
pub mod messages;
pub mod metric_messages;
pub mod port;
pub mod reduced;
pub mod render;
pub mod rollout_messages;
pub mod scopes;
pub mod vote_messages;
pub mod web;
