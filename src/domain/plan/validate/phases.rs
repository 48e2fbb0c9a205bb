//! Checks for the rollout phases, deprecation steps, metrics, risks and contingencies.

use std::collections::HashSet;

use super::super::raw::{
    RawContingency, RawDeprecation, RawMetricGroup, RawPhase, RawRisk, RawStep,
};
use super::super::{
    Activity, Contingency, DeprecationStep, Metric, MetricGroup, Phase, PhaseMilestone, Risk,
    RunbookStep, StepEffect, WeeklyGoal,
};
use super::Checker;
use crate::domain::day::DayOffset;
use crate::domain::excerpt::excerpt;

pub fn phases(check: &mut Checker, raw: Vec<RawPhase>) -> Vec<Phase> {
    raw.into_iter()
        .enumerate()
        .map(|(index, phase)| {
            let expected = index + 1;
            let number = *phase.number.get_ref();
            if number != expected as i64 {
                check.error(phase.number.span(), format!("phases must be numbered 1, 2, 3, ... in order; expected {expected}, found {number}"));
            }
            let start: Option<DayOffset> = check.parse(&phase.start);
            let end: Option<Option<DayOffset>> = phase.end.as_ref().map(|end| check.parse(end));
            if let (Some(start), Some(Some(end)), Some(raw_end)) = (start, end, &phase.end) {
                if end < start {
                    check.error(raw_end.span(), "a phase must not end before it starts");
                }
            }
            let start = start.unwrap_or(DayOffset::LAUNCH);
            let end = end.map(|end| end.unwrap_or(start));
            Phase {
                number: u8::try_from(number).unwrap_or(0),
                name: phase.name,
                objective: phase.objective,
                weeks: phase.weeks,
                duration: phase.duration,
                start,
                end,
                activities: phase.activities.into_iter().map(|activity| Activity {
                    name: activity.name,
                    owner: activity.owner.as_ref().map(|owner| check.owner(owner)),
                    duration: activity.duration,
                }).collect(),
                exit_criteria: phase.exit_criteria,
                participants: phase.participants.iter().map(|team| check.team(team)).collect(),
                selection: phase.selection,
                weekly: phase.weekly.into_iter().map(|goal| WeeklyGoal {
                    week: check.week(&goal.week),
                    focus: goal.focus,
                    target: goal.target,
                }).collect(),
                milestones: phase_milestones(check, phase.milestones),
            }
        })
        .collect()
}

fn phase_milestones(
    check: &mut Checker,
    raw: Vec<super::super::raw::RawPhaseMilestone>,
) -> Vec<PhaseMilestone> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|milestone| PhaseMilestone {
            key: check.key(&milestone.key, &mut seen, "phase milestone"),
            day: check.day(&milestone.day),
            time: milestone.time.as_ref().map(|time| check.time(time)),
            title: milestone.title,
        })
        .collect()
}

pub fn deprecation(check: &mut Checker, raw: Vec<RawDeprecation>) -> Vec<DeprecationStep> {
    raw.into_iter()
        .map(|step| DeprecationStep {
            title: step.title,
            day: step.day.as_ref().map(|day| check.day(day)),
            when: step.when,
        })
        .collect()
}

/// When a scorecard is posted unless its group says otherwise.
const SCORECARD_TIME: chrono::NaiveTime = match chrono::NaiveTime::from_hms_opt(9, 0, 0) {
    Some(time) => time,
    None => chrono::NaiveTime::MIN,
};

pub fn metrics(check: &mut Checker, raw: Vec<RawMetricGroup>) -> Vec<MetricGroup> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|group| {
            let at: Vec<_> = group.at.iter().map(|day| check.day(day)).collect();
            let time = group
                .time
                .as_ref()
                .map_or(SCORECARD_TIME, |t| check.time(t));
            let metrics = group
                .metrics
                .into_iter()
                .map(|metric| {
                    if metric.targets.get_ref().len() != at.len() {
                        check.error(
                            metric.targets.span(),
                            format!(
                                "expected {} targets, one for each day in `at`, found {}",
                                at.len(),
                                metric.targets.get_ref().len()
                            ),
                        );
                    }
                    let mut bounds = Vec::new();
                    for target in metric.targets.get_ref() {
                        match crate::domain::metric::Target::parse(target) {
                            Ok(bound) => bounds.push(bound),
                            Err(error) => check.error(metric.targets.span(), error.to_string()),
                        }
                    }
                    if let Some(query) = metric
                        .query
                        .as_ref()
                        .filter(|q| q.get_ref().trim().is_empty())
                    {
                        check.error(query.span(), "a metric's query must not be empty");
                    }
                    let key = match &metric.key {
                        Some(key) => check.key(key, &mut HashSet::new(), "metric"),
                        None => crate::domain::plan::slug(&metric.name),
                    };
                    Metric {
                        key,
                        query: metric.query.map(|q| q.into_inner()),
                        owner: metric.owner.map(|owner| check.team(&owner)),
                        name: metric.name,
                        targets: metric.targets.into_inner(),
                        bounds,
                    }
                })
                .collect();
            MetricGroup {
                key: check.key(&group.key, &mut seen, "metric group"),
                title: group.title,
                at,
                time,
                metrics,
            }
        })
        .collect()
}

pub fn risks(raw: Vec<RawRisk>) -> Vec<Risk> {
    raw.into_iter()
        .map(|risk| Risk {
            risk: risk.risk,
            probability: risk.probability,
            impact: risk.impact,
            mitigation: risk.mitigation,
        })
        .collect()
}

/// A step as the plan writes it; problems are reported at the runbook's `steps`.
fn runbook_step(check: &mut Checker, span: std::ops::Range<usize>, raw: RawStep) -> RunbookStep {
    let (text, effect, within, only) = match raw {
        RawStep::Text(text) => (text, None, None, None),
        RawStep::Step {
            text,
            effect,
            within,
            only,
        } => (text, effect, within, only),
    };
    let effect = effect.and_then(|name| {
        let found = StepEffect::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e);
        if found.is_none() {
            let names: Vec<&str> = StepEffect::ALL.iter().map(|(n, _)| *n).collect();
            let message = format!(
                "step `{}`: unknown effect `{}`; effects are {}",
                excerpt(&text),
                excerpt(&name),
                names.join(", ")
            );
            check.error(span.clone(), message);
        }
        found
    });
    let within = within.and_then(|text_within| match duration(&text_within) {
        Some(within) => Some(within),
        None => {
            let message = format!(
                "step `{}`: `within = \"{}\"` is not a duration like \"30m\", \"4h\" or \"2d\"",
                excerpt(&text),
                excerpt(&text_within)
            );
            check.error(span.clone(), message);
            None
        }
    });
    let p0_only = match only.as_deref() {
        None => false,
        Some(only) if only.eq_ignore_ascii_case("p0") => true,
        Some(only) => {
            let message = format!(
                "step `{}`: `only` takes \"P0\" (a step for P0 incidents only), not `{}`",
                excerpt(&text),
                excerpt(only)
            );
            check.error(span.clone(), message);
            false
        }
    };
    RunbookStep {
        text,
        effect,
        within,
        p0_only,
    }
}

/// "30m", "4h", "48h", "2d": a positive duration of at most a year.
pub(super) fn duration(text: &str) -> Option<chrono::TimeDelta> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    if !(1..=366 * 24 * 60).contains(&number) {
        return None;
    }
    let minutes = match unit {
        'm' => number,
        'h' => number * 60,
        'd' => number * 24 * 60,
        _ => return None,
    };
    (minutes <= 366 * 24 * 60).then(|| chrono::TimeDelta::minutes(minutes))
}

pub fn contingencies(check: &mut Checker, raw: Vec<RawContingency>) -> Vec<Contingency> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|scenario| {
            check.non_empty(&scenario.steps, "contingency steps");
            let span = scenario.steps.span();
            let steps = scenario
                .steps
                .into_inner()
                .into_iter()
                .map(|step| runbook_step(check, span.clone(), step))
                .collect();
            Contingency {
                key: check.key(&scenario.key, &mut seen, "contingency"),
                title: scenario.title,
                steps,
            }
        })
        .collect()
}
