//! Contingency runbooks attached to incidents: which steps have effects, and which clocks a
//! runbook starts. Pure: the plan's step texts are the data.
//!
//! A step's effect is read from its words, so a plan can phrase its own runbooks: a step that
//! says "pause rollout" records a rollout pause when confirmed; a step about a "hotfix within N
//! hours" records the hotfix and starts a reminder one hour before the deadline and a breach
//! notice at it (only for a P0 when the step says "for P0"); a step about a "review within N
//! hours" starts a reminder halfway to that deadline.

use chrono::{DateTime, TimeDelta, Utc};

use super::incident::Severity;
use super::plan::Contingency;

/// What confirming a step records besides the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEffect {
    PauseRollout,
    HotfixDeployed,
    ReviewHeld,
}

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
}

impl ClockKind {
    /// The job-key suffix, e.g. "hotfix-breach".
    pub fn key(self) -> &'static str {
        match self {
            Self::HotfixReminder => "hotfix-reminder",
            Self::HotfixBreach => "hotfix-breach",
            Self::ReviewReminder => "review-reminder",
        }
    }

    /// The kind for a job-key suffix.
    pub fn parse(key: &str) -> Option<Self> {
        [
            Self::HotfixReminder,
            Self::HotfixBreach,
            Self::ReviewReminder,
        ]
        .into_iter()
        .find(|k| k.key() == key)
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

/// The effect of confirming `step`, read from its words.
pub fn effect(step: &str) -> Option<StepEffect> {
    let step = step.to_ascii_lowercase();
    if step.contains("pause rollout") {
        Some(StepEffect::PauseRollout)
    } else if step.contains("hotfix within") {
        Some(StepEffect::HotfixDeployed)
    } else if step.contains("review within") {
        Some(StepEffect::ReviewHeld)
    } else {
        None
    }
}

/// The clocks `runbook` starts for an incident of `severity` opened at `opened_at`.
pub fn clocks(
    runbook: &Contingency,
    severity: Severity,
    opened_at: DateTime<Utc>,
) -> Vec<RunbookClock> {
    let mut clocks = Vec::new();
    for step in &runbook.steps {
        let lower = step.to_ascii_lowercase();
        let Some(hours) = within_hours(&lower) else {
            continue;
        };
        let deadline = opened_at + TimeDelta::hours(hours);
        match effect(step) {
            Some(StepEffect::HotfixDeployed) => {
                if lower.contains("for p0") && severity != Severity::P0 {
                    continue;
                }
                clocks.push(RunbookClock {
                    kind: ClockKind::HotfixReminder,
                    due_at: deadline - TimeDelta::hours(1),
                    deadline,
                });
                clocks.push(RunbookClock {
                    kind: ClockKind::HotfixBreach,
                    due_at: deadline,
                    deadline,
                });
            }
            Some(StepEffect::ReviewHeld) => clocks.push(RunbookClock {
                kind: ClockKind::ReviewReminder,
                due_at: opened_at + TimeDelta::hours(hours) / 2,
                deadline,
            }),
            _ => {}
        }
    }
    clocks
}

/// N in "within N hours".
fn within_hours(step: &str) -> Option<i64> {
    let after = step.split("within ").nth(1)?;
    let mut words = after.split_whitespace();
    let hours = words.next()?.parse().ok()?;
    words.next()?.starts_with("hour").then_some(hours)
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
        let steps: Vec<Option<StepEffect>> =
            critical_bug().steps.iter().map(|s| effect(s)).collect();
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
        ] {
            assert_eq!(ClockKind::parse(kind.key()), Some(kind));
        }
    }
}
