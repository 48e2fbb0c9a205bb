//! The seven rollout phases, from alpha testing to migration complete, and the v3 deprecation.

use super::Owner;
use crate::domain::day::DayOffset;

/// One rollout phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// 1..=7, in plan order.
    pub number: u8,
    pub name: String,
    pub objective: String,
    /// The plan's own wording of when, e.g. "Week -8 to Week -6".
    pub weeks: String,
    /// The plan's stated length, e.g. "2 weeks".
    pub duration: Option<String>,
    pub start: DayOffset,
    /// Last day of the phase; `None` for open-ended phases.
    pub end: Option<DayOffset>,
    pub activities: Vec<Activity>,
    pub exit_criteria: Vec<String>,
    /// Team keys taking part.
    pub participants: Vec<String>,
    /// How beta customers are chosen (phase 2 only in the Summit plan).
    pub selection: Vec<String>,
    /// Week-by-week focus or targets.
    pub weekly: Vec<WeeklyGoal>,
    /// Dated milestones inside the phase, e.g. RC-10 "RC1 build".
    pub milestones: Vec<PhaseMilestone>,
}

/// Work done during a phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub name: String,
    pub owner: Option<Owner>,
    /// Free text such as "1 week", "Ongoing" or "As needed".
    pub duration: Option<String>,
}

/// What a phase aims at in one week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyGoal {
    /// The first day of the week.
    pub week: DayOffset,
    pub focus: String,
    pub target: Option<String>,
}

/// A dated milestone within a phase.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseMilestone {
    /// Stable key, e.g. "rc-10".
    pub key: String,
    pub day: DayOffset,
    /// Overrides the plan's default time for phase milestones.
    pub time: Option<chrono::NaiveTime>,
    pub title: String,
}

/// One step of retiring the previous major version.
#[derive(Debug, Clone, PartialEq)]
pub struct DeprecationStep {
    pub title: String,
    /// When it happens relative to L-Day, if the plan ties it to one.
    pub day: Option<DayOffset>,
    /// The plan's wording, e.g. "v5.0.0 release (~18 months)".
    pub when: String,
}
