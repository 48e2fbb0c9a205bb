//! Contingency runbooks attached to incidents: what confirming a step records, and which clocks
//! a runbook starts. Pure: each step's effect and deadline are plan data (`effect`, `within`,
//! `only`), never read from its words.
//!
//! A step with a deadline starts clocks at the incident's opening: a hotfix step a reminder one
//! hour before its deadline (halfway, for a deadline of an hour or less) and a breach notice at
//! it; a review step a reminder halfway; any other step a reminder halfway and a notice at the
//! deadline when it is not confirmed by then. A step for P0 only starts none for a P1 or P2.

use chrono::{DateTime, TimeDelta, Utc};

use super::incident::Severity;
pub use super::plan::StepEffect;
use super::plan::{Contingency, RunbookStep};

/// What a runbook clock says when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    /// The hotfix deadline is near and no hotfix is recorded.
    HotfixReminder,
    /// The hotfix deadline passed without a hotfix.
    HotfixBreach,
    /// The post-incident review is due.
    ReviewReminder,
    /// A step's deadline is near (the step, 0-based).
    StepReminder(usize),
    /// A step's deadline passed and it is not confirmed.
    StepBreach(usize),
}

impl ClockKind {
    /// The job-key suffix, e.g. "hotfix-breach" or "step-reminder-1".
    pub fn key(self) -> String {
        match self {
            Self::HotfixReminder => "hotfix-reminder".to_string(),
            Self::HotfixBreach => "hotfix-breach".to_string(),
            Self::ReviewReminder => "review-reminder".to_string(),
            Self::StepReminder(step) => format!("step-reminder-{step}"),
            Self::StepBreach(step) => format!("step-breach-{step}"),
        }
    }

    /// The kind for a job-key suffix.
    pub fn parse(key: &str) -> Option<Self> {
        let step = |rest: &str| rest.parse::<usize>().ok();
        if let Some(rest) = key.strip_prefix("step-reminder-") {
            return step(rest).map(Self::StepReminder);
        }
        if let Some(rest) = key.strip_prefix("step-breach-") {
            return step(rest).map(Self::StepBreach);
        }
        [
            Self::HotfixReminder,
            Self::HotfixBreach,
            Self::ReviewReminder,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }

    /// The step whose confirmation makes this clock moot, for the generic step clocks.
    pub fn step(self) -> Option<usize> {
        match self {
            Self::StepReminder(step) | Self::StepBreach(step) => Some(step),
            _ => None,
        }
    }
}

/// One timed notice a runbook starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookClock {
    pub kind: ClockKind,
    pub due_at: DateTime<Utc>,
    /// The deadline the notice is about.
    pub deadline: DateTime<Utc>,
}

/// The effect of confirming `step`.
pub fn effect(step: &RunbookStep) -> Option<StepEffect> {
    step.effect
}

/// The clocks `runbook` starts for an incident of `severity` opened at `opened_at`.
pub fn clocks(
    runbook: &Contingency,
    severity: Severity,
    opened_at: DateTime<Utc>,
) -> Vec<RunbookClock> {
    let mut clocks = Vec::new();
    for (index, step) in runbook.steps.iter().enumerate() {
        let Some(within) = step.within else {
            continue;
        };
        if step.p0_only && severity != Severity::P0 {
            continue;
        }
        let deadline = opened_at + within;
        let halfway = opened_at + within / 2;
        let clock = |kind, due_at| RunbookClock {
            kind,
            due_at,
            deadline,
        };
        match step.effect {
            Some(StepEffect::HotfixDeployed) => {
                let reminder = if within > TimeDelta::hours(1) {
                    deadline - TimeDelta::hours(1)
                } else {
                    halfway
                };
                clocks.push(clock(ClockKind::HotfixReminder, reminder));
                clocks.push(clock(ClockKind::HotfixBreach, deadline));
            }
            Some(StepEffect::ReviewHeld) => clocks.push(clock(ClockKind::ReviewReminder, halfway)),
            _ => {
                clocks.push(clock(ClockKind::StepReminder(index), halfway));
                clocks.push(clock(ClockKind::StepBreach(index), deadline));
            }
        }
    }
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::Plan;

    fn critical_bug() -> Contingency {
        Plan::embedded()
            .contingencies
            .into_iter()
            .find(|c| c.key == "critical-bug")
            .unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn critical_bug_steps_pause_the_rollout_and_record_the_hotfix() {
        let steps: Vec<Option<StepEffect>> = critical_bug().steps.iter().map(effect).collect();
        assert_eq!(
            steps,
            vec![
                None,
                Some(StepEffect::PauseRollout),
                None,
                Some(StepEffect::HotfixDeployed),
                Some(StepEffect::ReviewHeld)
            ]
        );
    }

    #[test]
    fn a_p0_critical_bug_reminds_at_three_hours_breaches_at_four_and_asks_for_the_review() {
        let opened = at("2026-03-10T17:00:00Z");
        let clocks = clocks(&critical_bug(), Severity::P0, opened);
        let due: Vec<(ClockKind, DateTime<Utc>)> =
            clocks.iter().map(|c| (c.kind, c.due_at)).collect();
        assert_eq!(
            due,
            vec![
                (ClockKind::HotfixReminder, at("2026-03-10T20:00:00Z")),
                (ClockKind::HotfixBreach, at("2026-03-10T21:00:00Z")),
                (ClockKind::ReviewReminder, at("2026-03-11T17:00:00Z")),
            ]
        );
    }

    #[test]
    fn a_p1_critical_bug_has_no_hotfix_clock() {
        let clocks = clocks(&critical_bug(), Severity::P1, at("2026-03-10T17:00:00Z"));
        assert_eq!(clocks.len(), 1);
        assert_eq!(clocks[0].kind, ClockKind::ReviewReminder);
    }

    #[test]
    fn clock_kinds_round_trip_through_their_keys() {
        for kind in [
            ClockKind::HotfixReminder,
            ClockKind::HotfixBreach,
            ClockKind::ReviewReminder,
            ClockKind::StepReminder(1),
            ClockKind::StepBreach(12),
        ] {
            assert_eq!(ClockKind::parse(&kind.key()), Some(kind));
        }
        assert_eq!(ClockKind::parse("step-breach-x"), None);
    }

    #[test]
    fn a_step_with_a_deadline_and_no_effect_reminds_halfway_and_notices_the_deadline() {
        let llm = Plan::embedded()
            .contingencies
            .into_iter()
            .find(|c| c.key == "llm-outage")
            .unwrap();
        let opened = at("2026-03-10T17:00:00Z");
        let due: Vec<(ClockKind, DateTime<Utc>)> = clocks(&llm, Severity::P2, opened)
            .iter()
            .map(|c| (c.kind, c.due_at))
            .collect();
        assert_eq!(
            due,
            vec![
                (ClockKind::StepReminder(1), at("2026-03-10T17:15:00Z")),
                (ClockKind::StepBreach(1), at("2026-03-10T17:30:00Z")),
            ]
        );
    }

    #[test]
    fn every_scenario_of_the_summit_plan_declares_its_effects_and_deadlines() {
        let plan = Plan::embedded();
        for contingency in &plan.contingencies {
            let declared = contingency
                .steps
                .iter()
                .filter(|s| s.effect.is_some() || s.within.is_some())
                .count();
            assert!(declared > 0, "{} declares nothing", contingency.key);
        }
        let performance = plan
            .contingencies
            .iter()
            .find(|c| c.key == "performance")
            .unwrap();
        assert_eq!(performance.steps[0].effect, Some(StepEffect::RolloutBack));
    }
}
