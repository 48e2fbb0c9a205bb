//! The launch itself: L-Day milestones, launch and pre-launch weeks, checklists, feature flag
//! steps, the go/no-go decision and recurring meetings.

use chrono::NaiveTime;

use super::{Owner, Role};
use crate::domain::day::{DayOffset, DayTime};

/// One line of the L-Day schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Stable slug of time and activity, e.g. "0600-final-deployment-verification".
    pub key: String,
    /// Wall-clock time on L-Day in the plan's zone.
    pub time: NaiveTime,
    pub activity: String,
    pub owner: Owner,
    /// A condition that must hold before the milestone may start.
    pub gate: Option<Gate>,
}

/// A condition guarding a milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// A Go must be recorded before this milestone (production deployment) starts.
    GoDecision,
}

/// One day of launch week: the schedule summary and the timeline's three slots.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchWeekDay {
    pub day: DayOffset,
    pub summary: Option<String>,
    pub morning: Option<String>,
    pub afternoon: Option<String>,
    pub evening: Option<String>,
}

/// One week before launch and what each team does in it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreLaunchWeek {
    /// The first day of the week, e.g. L-56 for week "L-8".
    pub week: DayOffset,
    pub tasks: Vec<PreLaunchTask>,
}

/// One team's work in a pre-launch week.
#[derive(Debug, Clone, PartialEq)]
pub struct PreLaunchTask {
    pub owner: Owner,
    pub task: String,
}

/// A named checklist, e.g. "l-1", due at a day and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Checklist {
    /// "l-7", "l-1", "l-day" or "l+7" in the Summit plan.
    pub key: String,
    pub title: String,
    pub due: DayTime,
    pub items: Vec<ChecklistItem>,
}

/// One item on a checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    /// Slug of the text unless the plan names one; unique within its checklist.
    pub key: String,
    pub text: String,
    pub owner: Owner,
}

/// One step of the gradual feature flag rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagStep {
    /// Share of traffic with the flag on, 1..=100.
    pub percent: u8,
    pub at: DayTime,
    /// Applied by golive at its time, without a confirmation (guards and pauses still hold it).
    pub auto: bool,
    /// How long the step waits for its confirmation before one reminder.
    pub confirm_within: chrono::TimeDelta,
    /// How long after the step its guards are watched, every minute.
    pub hold: chrono::TimeDelta,
}

/// How the plan's feature flag steps are run: the flag on the flag server, who confirms a step,
/// and the guards that must hold. A plan without `[rollout]` posts its steps as text only.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    pub flag: String,
    pub project: String,
    pub environment: String,
    /// The team that confirms steps (with the release managers).
    pub team: String,
    /// Out-of-bounds readings in a row that trip a guard.
    pub failures: u32,
    /// A tripped guard also sets the previous step's percentage.
    pub back_on_failure: bool,
    /// The contingency a tripped guard's P1 incident runs.
    pub runbook: Option<String>,
    pub guards: Vec<Guard>,
}

/// A Prometheus query that must stay within its bound while the rollout goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub key: String,
    pub query: String,
    pub bound: Bound,
}

/// Where a guard's value must stay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Below(f64),
    Above(f64),
}

impl Bound {
    /// Whether `value` is within the bound; NaN never is.
    pub fn holds(self, value: f64) -> bool {
        match self {
            Self::Below(limit) => value < limit,
            Self::Above(limit) => value > limit,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Below(limit) => write!(f, "below {limit}"),
            Self::Above(limit) => write!(f, "above {limit}"),
        }
    }
}

/// How and by when the launch is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoNoGo {
    /// When voting closes, e.g. "L-1 15:00".
    pub deadline: DayTime,
    pub voters: Vec<Role>,
    pub rule: DecisionRule,
}

/// How ballots combine into a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRule {
    /// Go only if every voter votes Go.
    Unanimous,
}

/// A meeting or report that repeats, such as the daily launch standup.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurring {
    pub key: String,
    pub title: String,
    /// Six- or seven-field cron (seconds first), interpreted in the plan's zone.
    pub schedule: cron::Schedule,
    /// First day it may occur.
    pub from: DayOffset,
    /// Last day it may occur (inclusive).
    pub until: DayOffset,
    pub owner: Owner,
}
