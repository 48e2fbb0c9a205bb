//! Entry points for Slack: HTTP routes and the Socket Mode listener (and, behind the board
//! token, the calendar feed and the signed export links). Both verify (HTTP), parse
//! with `slack::inbound`, then hand off to [`dispatch`]; neither holds business logic.

pub mod board;
pub mod calendar;
pub mod dispatch;
pub mod export;
pub mod http;
pub mod socket_mode;
