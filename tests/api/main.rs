//! The API test binary: every integration test module is declared here.

mod calendar;
mod checklists;
mod commands;
mod doctor;
mod fake_flags;
mod fake_slack;
mod fake_slack_selftest;
mod harness;
mod in_hand;
mod incidents;
mod launches;
mod limits;
mod metrics;
mod plan_changes;
mod plan_files;
mod record;
mod restarts;
mod rollout;
mod schedule;
mod servers;
mod servers_selftest;
mod signatures;
mod socket_mode;
mod templates;
mod votes;
mod warm_up;
