//! The API test binary: every integration test module is declared here.

mod fake_slack;
mod fake_slack_selftest;
