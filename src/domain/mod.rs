//! The pure core of golive: plans, days relative to L-Day, timelines, and the checklist and
//! go/no-go vote state machines. No IO, no clock.

pub mod checklist;
pub mod command;
pub mod day;
pub mod plan;
pub mod status;
pub mod timeline;
pub mod vote;
