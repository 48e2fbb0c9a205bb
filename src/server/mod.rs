//! Entry points for Slack: HTTP routes and the Socket Mode listener. Both verify (HTTP), parse
//! with `slack::inbound`, then hand off to [`dispatch`]; neither holds business logic.

pub mod dispatch;
pub mod http;
pub mod socket_mode;
