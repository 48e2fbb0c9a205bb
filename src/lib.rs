//! golive: a Slack bot that runs a software release launch from a plan.
//!
//! Codemap. Dependencies point inward, with no cycles: domain, then storage and slack, then
//! state, then workflows, then scheduler and server, then startup.
//! - [`domain`]: the plan, days relative to L-Day, the timeline, commands, status, incidents
//!   on the escalation ladder and contingency runbooks. Pure: no IO,
//!   time is an argument.
//! - [`storage`]: SQLite through sqlx; the only module that writes SQL.
//! - [`slack`]: the Slack adapter: Web API port, templates, inbound payload parsing.
//! - [`state`]: what handlers and the scheduler share, and the in-memory coordination between
//!   use cases (ballot queue, refresh claims, status cache, the job loop's signal).
//! - [`workflows`]: one function per use case (load → decide → save → notify), grouped by
//!   capability: launch, checklists, votes, incidents.
//! - [`scheduler`]: the deadline-driven loop over stored jobs.
//! - [`server`]: HTTP routes and Socket Mode, both handing off to `server::dispatch`.
//! - [`clock`]: the one clock every timer reads (system, rehearsal or manual).
//! - [`background`]: the tracked, bounded work that runs after Slack is acknowledged.
//! - [`ics`]: the plan's dated items as an iCalendar feed.
//! - [`record`]: the launch record (`golive export`): Markdown, CSV or JSON.
//! - [`plans`]: finding, reading and checking the plan files, one launch each.
//! - [`startup`], [`config`], [`cli`], [`run`]: building and running the application.
//! - [`doctor`]: the first-run check of tokens, scopes, channel, user groups and people; it
//!   sits beside startup and reuses the workflows' Slack lookups.
//!
//! Invariants: a job is stored before it is attempted, and an attempt is recorded before Slack
//! is called, so nothing is lost or posted twice across crashes; the in-memory [`release`]
//! snapshot changes only after its transaction commits.

pub mod background;
pub mod cli;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod ics;
pub mod integrations;
pub mod metrics;
pub mod plan_report;
pub mod plans;
pub mod record;
pub mod release;
pub mod run;
pub mod scheduler;
pub mod server;
pub mod slack;
pub mod startup;
pub mod state;
pub mod storage;
pub mod workflows;
