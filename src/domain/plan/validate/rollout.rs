//! Checks for the rollout: the `[rollout]` table (flag, team, guards) and the feature flag steps
//! it runs.

use std::collections::HashSet;

use chrono::TimeDelta;
use toml::Spanned;

use super::super::raw::{RawFlagStep, RawGuard, RawRollout};
use super::super::{Bound, FlagStep, Guard, Rollout};
use super::phases::duration;
use super::{Checker, PLACEHOLDER};
use crate::domain::day::DayTime;
use crate::domain::excerpt::excerpt;

/// What a step takes from `[rollout]` unless it says otherwise, and where `[rollout]` is
/// written when its team is to be found from the plan.
#[derive(Debug, Clone)]
pub struct StepDefaults {
    confirm_within: TimeDelta,
    hold: TimeDelta,
    pub team_from_plan: Option<std::ops::Range<usize>>,
}

const CONFIRM_WITHIN: TimeDelta = TimeDelta::minutes(15);
const HOLD: TimeDelta = TimeDelta::minutes(30);
const FAILURES: u32 = 3;

fn within(check: &mut Checker, value: Option<&Spanned<String>>, default: TimeDelta) -> TimeDelta {
    let Some(value) = value else { return default };
    duration(value.get_ref()).unwrap_or_else(|| {
        let message = format!(
            "`{}` is not a duration like \"30m\", \"4h\" or \"2d\"",
            excerpt(value.get_ref())
        );
        check.error(value.span(), message);
        default
    })
}

pub fn rollout(
    check: &mut Checker,
    raw: Option<Spanned<RawRollout>>,
    contingencies: &[String],
) -> (Option<Rollout>, StepDefaults) {
    let mut defaults = StepDefaults {
        confirm_within: CONFIRM_WITHIN,
        hold: HOLD,
        team_from_plan: None,
    };
    let Some(raw) = raw else {
        return (None, defaults);
    };
    let span = raw.span();
    let raw = raw.into_inner();
    defaults.confirm_within = within(check, raw.confirm_within.as_ref(), CONFIRM_WITHIN);
    defaults.hold = within(check, raw.hold.as_ref(), HOLD);
    for (value, what) in [
        (&raw.flag, "flag"),
        (&raw.project, "project"),
        (&raw.environment, "environment"),
    ] {
        if value.get_ref().trim().is_empty() {
            let at = if value.span().is_empty() {
                span.clone()
            } else {
                value.span()
            };
            check.error(at, format!("rollout {what} must not be empty"));
        }
    }
    let team = match &raw.team {
        Some(team) => check.team(team),
        None => {
            defaults.team_from_plan = Some(span.clone());
            String::new()
        }
    };
    let failures = match &raw.failures {
        None => FAILURES,
        Some(n) => u32::try_from(*n.get_ref())
            .ok()
            .filter(|n| (1..=100).contains(n))
            .unwrap_or_else(|| {
                check.error(n.span(), "failures must be between 1 and 100");
                FAILURES
            }),
    };
    let back_on_failure = match raw.on_failure.as_ref().map(|v| (v.get_ref().as_str(), v)) {
        None | Some(("pause", _)) => false,
        Some(("back", _)) => true,
        Some((other, value)) => {
            let message = format!(
                "on_failure takes \"pause\" or \"back\" (pause, and set the previous step's percentage), not `{}`",
                excerpt(other)
            );
            check.error(value.span(), message);
            false
        }
    };
    let runbook = raw.runbook.map(|value| {
        if !contingencies.contains(value.get_ref()) {
            let known = if contingencies.is_empty() {
                "the plan has none".to_string()
            } else {
                format!("contingencies are {}", contingencies.join(", "))
            };
            let message = format!(
                "unknown contingency `{}`; {known}",
                excerpt(value.get_ref())
            );
            check.error(value.span(), message);
        }
        value.into_inner()
    });
    let mut seen = HashSet::new();
    let guards = raw
        .guards
        .into_iter()
        .map(|g| guard(check, g, &mut seen))
        .collect();
    let rollout = Rollout {
        flag: raw.flag.into_inner().trim().to_string(),
        project: raw.project.into_inner().trim().to_string(),
        environment: raw.environment.into_inner().trim().to_string(),
        team,
        failures,
        back_on_failure,
        runbook,
        guards,
    };
    (Some(rollout), defaults)
}

fn guard(check: &mut Checker, raw: RawGuard, seen: &mut HashSet<String>) -> Guard {
    let key = check.key(&raw.key, seen, "guard");
    if raw.query.get_ref().trim().is_empty() {
        check.error(raw.query.span(), "a guard's query must not be empty");
    }
    let bound = match (raw.below, raw.above) {
        (Some(limit), None) if limit.is_finite() => Bound::Below(limit),
        (None, Some(limit)) if limit.is_finite() => Bound::Above(limit),
        _ => {
            let message = format!(
                "guard `{}` needs exactly one finite bound: `below = …` or `above = …`",
                excerpt(&key)
            );
            check.error(raw.key.span(), message);
            Bound::Below(f64::INFINITY)
        }
    };
    Guard {
        key,
        query: raw.query.into_inner(),
        bound,
    }
}

/// The team of a `[rollout]` that names none: the owner of the launch-day milestones that carry
/// its steps, when they agree on one team.
pub fn team_from_plan(
    check: &mut Checker,
    plan: &mut super::super::Plan,
    span: std::ops::Range<usize>,
) {
    let owners: HashSet<String> = plan
        .feature_flags
        .iter()
        .filter_map(|step| plan.step_milestone(step))
        .filter_map(|m| match &m.owner {
            super::super::Owner::Team(team) => Some(team.clone()),
            super::super::Owner::All => None,
        })
        .collect();
    let Some(rollout) = plan.rollout.as_mut() else {
        return;
    };
    match owners.into_iter().collect::<Vec<_>>().as_slice() {
        [team] => rollout.team = team.clone(),
        _ => check.error(
            span,
            "`[rollout]` needs a `team` (the team that confirms steps): the launch-day milestones of its steps do not name one team",
        ),
    }
}

pub fn steps(check: &mut Checker, raw: Vec<RawFlagStep>, defaults: &StepDefaults) -> Vec<FlagStep> {
    let mut previous: Option<FlagStep> = None;
    raw.into_iter()
        .map(|step| {
            let percent = u8::try_from(*step.percent.get_ref())
                .ok()
                .filter(|percent| (1..=100).contains(percent));
            if percent.is_none() {
                check.error(step.percent.span(), "percent must be between 1 and 100");
            }
            let at: Option<DayTime> = check.parse(&step.at);
            if let (Some(previous), Some(percent)) = (previous, percent) {
                if percent <= previous.percent {
                    check.error(
                        step.percent.span(),
                        "feature flag steps must increase the percentage",
                    );
                }
            }
            if let (Some(previous), Some(at)) = (previous, at) {
                if (at.day, at.time) <= (previous.at.day, previous.at.time) {
                    check.error(step.at.span(), "feature flag steps must be in time order");
                }
            }
            let step = FlagStep {
                percent: percent.unwrap_or(100),
                at: at.unwrap_or(PLACEHOLDER),
                auto: step.auto,
                confirm_within: within(
                    check,
                    step.confirm_within.as_ref(),
                    defaults.confirm_within,
                ),
                hold: within(check, step.hold.as_ref(), defaults.hold),
            };
            // Only a fully valid step is a fair baseline for checking the next one.
            if percent.is_some() && at.is_some() {
                previous = Some(step);
            }
            step
        })
        .collect()
}
