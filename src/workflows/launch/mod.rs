//! The launch itself: opening a release, turning the plan into scheduled posts, posting them
//! exactly once and in plan order, the gate on deployment, and the status of the launch.

pub mod export;
pub mod follow;
pub mod gate;
pub mod overview;
pub mod plan_sync;
pub mod posts;
pub mod reload;
pub mod schedule;
pub mod setup;
pub mod status_extras;
pub mod status_report;
