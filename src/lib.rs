//! golive: a Slack bot that runs a software release launch from a plan.
//!
//! - `domain`: the plan, its days and its timeline; pure, no IO, time is an argument.
//! - `plan_report`: the text `golive plan show` prints.

pub mod domain;
pub mod plan_report;
