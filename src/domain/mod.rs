//! The pure core of golive: plans, days relative to L-Day and timelines. No IO, no clock.

pub mod checklist;
pub mod command;
pub mod day;
pub mod plan;
pub mod status;
pub mod timeline;
pub mod vote;
