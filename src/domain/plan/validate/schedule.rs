//! Checks for what happens when: post times, L-Day, launch and pre-launch weeks, checklists,
//! and recurring meetings.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveTime;

use super::super::raw::{
    RawChecklist, RawLaunchWeekDay, RawMilestone, RawPostTimes, RawPreLaunchWeek, RawRecurring,
};
use super::super::{
    item_key, slug, Checklist, ChecklistItem, Gate, LaunchWeekDay, Milestone, Owner, PostTimes,
    PreLaunchTask, PreLaunchWeek, Recurring,
};
use super::{cell, Checker};
use crate::domain::day::DayOffset;
use crate::domain::excerpt::excerpt;

pub fn post_times(check: &mut Checker, raw: RawPostTimes) -> PostTimes {
    PostTimes {
        launch_week_morning: check.time(&raw.launch_week_morning),
        launch_week_afternoon: check.time(&raw.launch_week_afternoon),
        launch_week_evening: check.time(&raw.launch_week_evening),
        pre_launch_week: check.time(&raw.pre_launch_week),
        phase_start: check.time(&raw.phase_start),
        phase_milestone: check.time(&raw.phase_milestone),
    }
}

pub fn launch_day(check: &mut Checker, raw: Vec<RawMilestone>) -> Vec<Milestone> {
    let mut seen = HashSet::new();
    let mut previous = None;
    raw.into_iter()
        .map(|milestone| {
            let parsed = check.try_time(&milestone.time);
            // The schedule is read top to bottom on the day, so out-of-order rows are a typo.
            if let (Some(time), Some(before)) = (parsed, previous) {
                if time < before {
                    check.error(
                        milestone.time.span(),
                        "L-Day milestones must be in time order",
                    );
                }
            }
            previous = parsed.or(previous);
            let time = parsed.unwrap_or(NaiveTime::MIN);
            let key = format!("{}-{}", time.format("%H%M"), slug(&milestone.activity));
            if !seen.insert(key.clone()) {
                check.error(
                    milestone.time.span(),
                    format!("duplicate milestone `{}`", excerpt(&key)),
                );
            }
            let gate = milestone
                .gate
                .as_ref()
                .and_then(|gate| match gate.get_ref().as_str() {
                    "go-decision" => Some(Gate::GoDecision),
                    other => {
                        check.error(
                            gate.span(),
                            format!(
                                "unknown gate `{}`; expected \"go-decision\"",
                                excerpt(other)
                            ),
                        );
                        None
                    }
                });
            Milestone {
                key,
                time,
                activity: milestone.activity,
                owner: check.owner(&milestone.owner),
                gate,
            }
        })
        .collect()
}

pub fn launch_week(check: &mut Checker, raw: Vec<RawLaunchWeekDay>) -> Vec<LaunchWeekDay> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|row| {
            let day = check.day(&row.day);
            if !seen.insert(day) {
                check.error(row.day.span(), format!("duplicate launch week day `{day}`"));
            }
            LaunchWeekDay {
                day,
                summary: cell(row.summary),
                morning: cell(row.morning),
                afternoon: cell(row.afternoon),
                evening: cell(row.evening),
            }
        })
        .collect()
}

pub fn pre_launch(check: &mut Checker, raw: Vec<RawPreLaunchWeek>) -> Vec<PreLaunchWeek> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|row| {
            let week = check.week(&row.week);
            if !seen.insert(week) {
                check.error(
                    row.week.span(),
                    format!("duplicate pre-launch week `{}`", week.week_label()),
                );
            }
            let tasks = row
                .tasks
                .into_iter()
                .map(|task| PreLaunchTask {
                    owner: check.owner(&task.owner),
                    task: task.task,
                })
                .collect();
            PreLaunchWeek { week, tasks }
        })
        .collect()
}

pub fn checklists(check: &mut Checker, raw: Vec<RawChecklist>) -> Vec<Checklist> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|checklist| {
            let key = check.key(&checklist.key, &mut seen, "checklist");
            check.non_empty(&checklist.items, "checklist items");
            let mut item_keys = HashSet::new();
            let items = checklist
                .items
                .into_inner()
                .into_iter()
                .map(|item| {
                    let key = match &item.key {
                        Some(key) => check.key(key, &mut item_keys, "checklist item"),
                        None => derived_item_key(check, &item.text, &mut item_keys),
                    };
                    ChecklistItem {
                        key,
                        owner: check.owner(&item.owner),
                        text: item.text.into_inner(),
                    }
                })
                .collect();
            Checklist {
                key,
                title: checklist.title,
                due: check.day_time(&checklist.due),
                items,
            }
        })
        .collect()
}

fn derived_item_key(
    check: &mut Checker,
    text: &toml::Spanned<String>,
    seen: &mut HashSet<String>,
) -> String {
    let key = item_key(text.get_ref());
    if key.is_empty() {
        check.error(text.span(), "checklist item text must not be empty");
    } else if !seen.insert(key.clone()) {
        check.error(
            text.span(),
            format!(
                "duplicate checklist item key `{}`; give one of them a `key`",
                excerpt(&key)
            ),
        );
    }
    key
}

pub fn recurring(check: &mut Checker, raw: Vec<RawRecurring>) -> Vec<Recurring> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|item| {
            let key = check.key(&item.key, &mut seen, "recurring");
            let schedule = cron::Schedule::from_str(item.cron.get_ref());
            if let Err(error) = &schedule {
                check.error(
                    item.cron.span(),
                    format!("invalid cron `{}`: {error}", excerpt(item.cron.get_ref())),
                );
            }
            let from: Option<DayOffset> = check.parse(&item.from);
            let until: Option<DayOffset> = check.parse(&item.until);
            if let (Some(from), Some(until)) = (from, until) {
                if until < from {
                    check.error(item.until.span(), "`until` must not be before `from`");
                }
            }
            let owner: Owner = check.owner(&item.owner);
            Some(Recurring {
                key,
                title: item.title,
                schedule: schedule.ok()?,
                from: from?,
                until: until?,
                owner,
            })
        })
        .collect()
}
