//! What to do when things go wrong or right: escalation, risks, contingencies and metrics.

use super::Role;
use crate::domain::day::DayOffset;

/// One rung of the escalation ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationLevel {
    /// 1..=4, in order.
    pub level: u8,
    pub name: String,
    pub roles: Vec<Role>,
    /// Escalate to the next level if nobody responds within this many minutes.
    pub escalate_after_minutes: Option<u32>,
    /// Escalate to the next level straight away when any of these holds.
    pub escalate_when: Vec<EscalationTrigger>,
}

/// A condition that moves an incident up the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationTrigger {
    /// A P0 issue; written "p0".
    P0,
    /// More than one P0 open at once; written "multiple-open-p0".
    MultipleOpenP0,
    /// Customers are affected; written "customer-impact".
    CustomerImpact,
    /// A rollback is being considered; written "rollback-considered".
    RollbackConsidered,
}

impl EscalationTrigger {
    /// Every trigger with its plan-file key.
    pub const ALL: [(EscalationTrigger, &'static str); 4] = [
        (EscalationTrigger::P0, "p0"),
        (EscalationTrigger::MultipleOpenP0, "multiple-open-p0"),
        (EscalationTrigger::CustomerImpact, "customer-impact"),
        (EscalationTrigger::RollbackConsidered, "rollback-considered"),
    ];

    /// The plan-file key, e.g. "multiple-open-p0".
    pub fn key(&self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(trigger, _)| trigger == self)
            .map_or("", |(_, key)| key)
    }
}

/// A known risk and how it is mitigated.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub risk: String,
    pub probability: Level,
    pub impact: Level,
    pub mitigation: String,
}

/// A coarse rating for probability and impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

/// A rehearsed response to a scenario, e.g. "llm-outage".
#[derive(Debug, Clone, PartialEq)]
pub struct Contingency {
    pub key: String,
    pub title: String,
    pub steps: Vec<RunbookStep>,
}

/// One step of a runbook: what to do, what confirming it records, and by when (from the
/// incident's opening) it is due. All plan data, never read from the words.
#[derive(Debug, Clone, PartialEq)]
pub struct RunbookStep {
    pub text: String,
    pub effect: Option<StepEffect>,
    pub within: Option<chrono::TimeDelta>,
    /// The step applies to P0 incidents only.
    pub p0_only: bool,
}

/// What confirming a runbook step records besides the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEffect {
    /// The rollout pauses until `/golive rollout resume`.
    PauseRollout,
    /// The rollout pauses, and goes back to the previous step's percentage.
    RolloutBack,
    /// The rollout pauses, and the flag is switched off.
    KillFlag,
    /// The hotfix is recorded (its deadline clocks stop).
    HotfixDeployed,
    /// The post-incident review is held (its reminder stops).
    ReviewHeld,
}

impl StepEffect {
    /// The plan's spelling: `effect = "pause-rollout"`.
    pub const ALL: [(&'static str, StepEffect); 5] = [
        ("pause-rollout", StepEffect::PauseRollout),
        ("rollout-back", StepEffect::RolloutBack),
        ("kill-flag", StepEffect::KillFlag),
        ("hotfix", StepEffect::HotfixDeployed),
        ("review", StepEffect::ReviewHeld),
    ];

    /// Whether confirming the step pauses the rollout.
    pub fn pauses_rollout(self) -> bool {
        matches!(
            self,
            Self::PauseRollout | Self::RolloutBack | Self::KillFlag
        )
    }
}

/// Metrics checked together, at one or more days.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricGroup {
    /// "launch", "30-day", "90-day" or "expanded-rollout" in the Summit plan.
    pub key: String,
    pub title: String,
    /// The days the targets apply to; each metric has one target per day.
    pub at: Vec<DayOffset>,
    /// When the scorecard is posted on each of those days.
    pub time: chrono::NaiveTime,
    pub metrics: Vec<Metric>,
}

/// One measured quantity with its targets, aligned with [`MetricGroup::at`].
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The slug of its name (`support-nps`) unless the plan names one: what `/golive metric set` takes. A metric in
    /// several groups (customers migrated at 30 and 90 days) is one metric with one actual.
    pub key: String,
    pub name: String,
    /// The team that may enter its actual, besides the release managers.
    pub owner: Option<String>,
    /// As the plan writes them, for showing.
    pub targets: Vec<String>,
    /// The same, read.
    pub bounds: Vec<crate::domain::metric::Target>,
    /// A Prometheus query that measures the actual (in the targets' unit), when the plan has one.
    pub query: Option<String>,
}

impl Metric {
    /// Whether `actual` (as entered or measured) meets the target of the metric's `day`th day.
    pub fn judge(&self, day: usize, actual: Option<&str>) -> crate::domain::metric::Verdict {
        let actual = actual.and_then(|a| crate::domain::metric::Actual::parse(a).ok());
        self.bounds
            .get(day)
            .map_or(crate::domain::metric::Verdict::Unknown, |t| t.judge(actual))
    }
}
