//! The systems golive drives besides Slack: the feature flag server and the metrics that guard
//! a rollout. Each is a port (a trait the workflows call) with an adapter for the real server.

mod http;
pub mod prometheus;
pub mod unleash;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::rollout::FlagTarget;

/// Which flag, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRef {
    pub flag: String,
    pub project: String,
    pub environment: String,
}

/// What the flag server says about the flag in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagReading {
    pub enabled: bool,
    /// golive's gradual rollout strategy's percentage, when it exists.
    pub percent: Option<u8>,
    /// Strategies that are not golive's: any of them can turn the flag on for everyone.
    pub others: usize,
}

impl FlagReading {
    /// The share of users the flag is on for, as far as golive's strategy tells.
    pub fn effective(&self) -> Option<u8> {
        if !self.enabled {
            return Some(0);
        }
        self.percent
    }

    /// Whether someone changed the flag outside golive: it is not where golive last set it (off,
    /// when golive never set it).
    pub fn changed_outside(&self, applied: Option<FlagTarget>) -> bool {
        match applied {
            Some(applied) => !self.is_at(applied),
            None => self.enabled,
        }
    }

    /// Whether the flag server is at `target`.
    pub fn is_at(&self, target: FlagTarget) -> bool {
        match target {
            FlagTarget::Off => !self.enabled,
            FlagTarget::Percent(p) => self.enabled && self.percent == Some(p),
        }
    }
}

/// Why a call to the flag server failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("the flag server refused the token (401): check GOLIVE_UNLEASH_TOKEN")]
    Unauthorized,
    #[error("the token may not change flags (403): GOLIVE_UNLEASH_TOKEN must be an admin token")]
    Forbidden,
    #[error("the flag server has no flag `{0}` in that project and environment (404)")]
    Missing(String),
    #[error("the flag server failed ({0})")]
    Server(String),
    #[error("the flag server cannot be reached ({0})")]
    Unreachable(String),
    #[error("the flag server answered something golive cannot read ({0})")]
    Unreadable(String),
}

impl FlagError {
    /// Whether trying again later can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Server(_) | Self::Unreachable(_))
    }
}

/// The feature flag server.
#[async_trait]
pub trait FlagServer: Send + Sync {
    /// Where it is, for posts ("Unleash at …").
    fn describe(&self) -> String;
    async fn read(&self, flag: &FlagRef) -> Result<FlagReading, FlagError>;
    /// Brings the flag to `target` and reads it back.
    async fn set(&self, flag: &FlagRef, target: FlagTarget) -> Result<FlagReading, FlagError>;
}

/// One instant sample of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub value: f64,
    /// Prometheus's own time of the evaluation.
    pub at: DateTime<Utc>,
}

/// Why a query gave no value to judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Prometheus cannot be reached ({0})")]
    Unreachable(String),
    #[error("Prometheus refused the query ({0})")]
    Refused(String),
    #[error("the query returned no data")]
    Empty,
    #[error("the query returned {0} series; a guard needs one")]
    Several(usize),
    #[error("Prometheus answered something golive cannot read ({0})")]
    Unreadable(String),
}

/// Where guards and measured actuals are read.
#[async_trait]
pub trait MetricSource: Send + Sync {
    async fn instant(&self, query: &str) -> Result<Sample, QueryError>;
}
