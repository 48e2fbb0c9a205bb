//! The rollout's rules, free of IO: where a step stands, what a change asks the flag server
//! for, how a guard's reading is judged and when guards trip.

use crate::domain::plan::{Bound, FlagStep};

/// Where one of the plan's feature flag steps stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Its time has not come.
    Pending,
    /// Posted, waiting for someone to apply or hold it.
    Waiting,
    /// Being applied on the flag server.
    Applying,
    Applied,
    /// Someone chose not to apply it (for now); Apply still works.
    Held,
    /// A later step was applied first.
    Skipped,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Waiting => "waiting",
            Self::Applying => "applying",
            Self::Applied => "applied",
            Self::Held => "held",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Waiting,
            Self::Applying,
            Self::Applied,
            Self::Held,
            Self::Skipped,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether Apply or Hold may still act on the step.
    pub fn open(self) -> bool {
        matches!(self, Self::Waiting | Self::Held)
    }
}

/// What a change sets on the flag server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagTarget {
    /// The gradual rollout at this percentage, with the environment on.
    Percent(u8),
    /// The environment off: nobody gets the flag.
    Off,
}

impl FlagTarget {
    pub fn encode(self) -> String {
        match self {
            Self::Percent(p) => p.to_string(),
            Self::Off => "off".to_string(),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        match text {
            "off" => Some(Self::Off),
            n => n.parse().ok().filter(|p| *p <= 100).map(Self::Percent),
        }
    }

    /// Whether reaching this target exposes more users than `from` does.
    pub fn raises(self, from: Option<u8>) -> bool {
        match self {
            Self::Off => false,
            Self::Percent(p) => p > from.unwrap_or(0),
        }
    }
}

impl std::fmt::Display for FlagTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Percent(p) => write!(f, "{p}%"),
            Self::Off => write!(f, "off"),
        }
    }
}

/// The percentage `rollout back` goes to: the step before the highest step at or below `now`
/// (0 before the first step).
pub fn previous_percent(steps: &[FlagStep], now: u8) -> u8 {
    let below: Vec<u8> = steps
        .iter()
        .map(|s| s.percent)
        .filter(|p| *p < now)
        .collect();
    below.last().copied().unwrap_or(0)
}

/// One reading of a guard, judged.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardOutcome {
    Pass(f64),
    Fail(f64),
    /// No value to judge: Prometheus unreachable, an error, no data, NaN.
    Unknown(String),
}

impl GuardOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pass(_) => "pass",
            Self::Fail(_) => "fail",
            Self::Unknown(_) => "unknown",
        }
    }

    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Pass(v) | Self::Fail(v) => Some(*v),
            Self::Unknown(_) => None,
        }
    }
}

/// Judges a reading against its bound. NaN is no value; infinities are values.
pub fn judge(bound: Bound, reading: Result<f64, String>) -> GuardOutcome {
    match reading {
        Err(why) => GuardOutcome::Unknown(why),
        Ok(value) if value.is_nan() => GuardOutcome::Unknown("the query returned NaN".into()),
        Ok(value) if bound.holds(value) => GuardOutcome::Pass(value),
        Ok(value) => GuardOutcome::Fail(value),
    }
}

/// Out-of-bounds readings in a row after `outcome`, given the streak before it and whether
/// the previous reading tripped the guard (a trip starts a new count). A reading that could
/// not be judged neither extends nor breaks the streak.
pub fn next_streak(before: u32, tripped_before: bool, outcome: &GuardOutcome) -> u32 {
    let before = if tripped_before { 0 } else { before };
    match outcome {
        GuardOutcome::Pass(_) => 0,
        GuardOutcome::Fail(_) => before + 1,
        GuardOutcome::Unknown(_) => before,
    }
}

/// Whether a streak of `streak` out-of-bounds readings trips a guard that allows `failures`.
pub fn trips(streak: u32, failures: u32, outcome: &GuardOutcome) -> bool {
    matches!(outcome, GuardOutcome::Fail(_)) && streak >= failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::day::{DayOffset, DayTime};
    use chrono::{NaiveTime, TimeDelta};

    fn step(percent: u8) -> FlagStep {
        FlagStep {
            percent,
            at: DayTime {
                day: DayOffset::LAUNCH,
                time: NaiveTime::MIN,
            },
            auto: false,
            confirm_within: TimeDelta::minutes(15),
            hold: TimeDelta::minutes(30),
        }
    }

    #[test]
    fn back_goes_to_the_step_below_the_current_percentage() {
        let steps = [step(10), step(25), step(50)];
        assert_eq!(previous_percent(&steps, 50), 25);
        assert_eq!(previous_percent(&steps, 40), 25, "a hand-set percentage");
        assert_eq!(previous_percent(&steps, 10), 0);
        assert_eq!(previous_percent(&steps, 0), 0);
    }

    #[test]
    fn nan_and_errors_are_never_a_pass() {
        let bound = Bound::Below(0.01);
        assert_eq!(judge(bound, Ok(0.004)), GuardOutcome::Pass(0.004));
        assert_eq!(judge(bound, Ok(0.05)), GuardOutcome::Fail(0.05));
        assert_eq!(
            judge(bound, Ok(f64::INFINITY)),
            GuardOutcome::Fail(f64::INFINITY)
        );
        assert!(matches!(
            judge(bound, Ok(f64::NAN)),
            GuardOutcome::Unknown(_)
        ));
        assert!(matches!(
            judge(bound, Err("down".into())),
            GuardOutcome::Unknown(_)
        ));
        assert_eq!(judge(Bound::Above(0.9), Ok(0.95)), GuardOutcome::Pass(0.95));
    }

    #[test]
    fn a_guard_trips_on_the_nth_failure_in_a_row_and_then_counts_afresh() {
        let fail = GuardOutcome::Fail(1.0);
        let pass = GuardOutcome::Pass(0.0);
        let unknown = GuardOutcome::Unknown("no data".into());
        let mut streak = 0;
        let mut tripped = false;
        let mut trips_at = Vec::new();
        for (i, outcome) in [&fail, &unknown, &fail, &pass, &fail, &fail, &fail, &fail]
            .into_iter()
            .enumerate()
        {
            streak = next_streak(streak, tripped, outcome);
            tripped = trips(streak, 3, outcome);
            if tripped {
                trips_at.push(i);
            }
        }
        assert_eq!(
            trips_at,
            vec![6],
            "a pass breaks the first run; unknown does not count"
        );
    }

    #[test]
    fn targets_round_trip_and_reject_more_than_a_hundred() {
        assert_eq!(FlagTarget::decode("25"), Some(FlagTarget::Percent(25)));
        assert_eq!(FlagTarget::decode("off"), Some(FlagTarget::Off));
        assert_eq!(FlagTarget::decode("150"), None);
        assert!(FlagTarget::Percent(25).raises(Some(10)));
        assert!(!FlagTarget::Percent(10).raises(Some(25)));
        assert!(!FlagTarget::Off.raises(None));
    }
}
