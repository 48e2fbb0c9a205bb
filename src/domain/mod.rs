//! The pure core of golive: plans, days relative to L-Day and timelines. No IO, no clock.

pub mod day;
pub mod plan;
pub mod timeline;
