//! The pure core of golive: plans, days relative to L-Day, timelines, the checklist and go/no-go
//! vote state machines, incidents and runbooks, and the bounded quoting of input in their errors.
//! No IO, no clock.

pub mod calendar;
pub mod checklist;
pub mod command;
pub mod day;
pub mod excerpt;
pub mod incident;
pub mod job;
pub mod launch_choice;
pub mod metric;
pub mod plan;
pub mod rollout;
pub mod runbook;
pub mod signed_link;
pub mod status;
pub mod timeline;
pub mod vote;
