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
