//! The pure core of golive: plans, days relative to L-Day, timelines, incidents and runbooks.
//! No IO, no clock.

pub mod command;
pub mod day;
pub mod incident;
pub mod plan;
pub mod runbook;
pub mod status;
pub mod timeline;
