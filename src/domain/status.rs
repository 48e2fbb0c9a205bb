//! What `/golive status` reports, computed from the plan, the stored state and the time.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::day::DayOffset;
use super::plan::{Plan, Role};
use super::timeline::Occurrence;

/// Where the release stands relative to L-Day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Countdown {
    /// L-Day is "TBD".
    Unset,
    /// L-Day is ahead: time left until the first launch-day milestone.
    Ahead(TimeDelta),
    /// Launch day or after: which day it is (L, L+1, ...).
    Day(DayOffset),
}

/// The status of one release at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Status<'a> {
    pub launch_date: Option<NaiveDate>,
    pub countdown: Countdown,
    /// The phase under way: (number, name).
    pub phase: Option<(u8, &'a str)>,
    /// The latest posted occurrence and when it was posted.
    pub last: Option<(&'a Occurrence, DateTime<Utc>)>,
    /// The next occurrence not yet posted.
    pub next: Option<&'a Occurrence>,
    /// Occurrences past their time and not posted yet.
    pub overdue: Vec<&'a Occurrence>,
    /// Roles the escalation ladder or the plan needs that nobody holds.
    pub unassigned_roles: Vec<Role>,
    pub remaining: usize,
    /// One line per posted checklist with open items (filled in from the store by the caller).
    pub open_checklists: Vec<String>,
    /// The open go/no-go vote, if any (filled in from the store by the caller).
    pub gonogo: Option<String>,
}

/// Computes the status. `posted` maps occurrence keys to when they were posted.
pub fn compute<'a>(
    plan: &'a Plan,
    launch_date: Option<NaiveDate>,
    timeline: &'a [Occurrence],
    posted: &HashMap<String, DateTime<Utc>>,
    roles: &BTreeMap<Role, Vec<String>>,
    now: DateTime<Utc>,
) -> Status<'a> {
    let last = timeline
        .iter()
        .filter_map(|o| posted.get(&o.key).map(|at| (o, *at)))
        .max_by_key(|(o, _)| o.at);
    let unposted = || timeline.iter().filter(|o| !posted.contains_key(&o.key));
    let next = unposted().find(|o| o.at > now);
    let overdue = unposted().filter(|o| o.at <= now).collect();
    let remaining = unposted().count();
    Status {
        launch_date,
        countdown: countdown(plan, launch_date, timeline, now),
        phase: launch_date.and_then(|launch| current_phase(plan, launch, now)),
        last,
        next,
        overdue,
        unassigned_roles: needed_roles(plan)
            .into_iter()
            .filter(|r| roles.get(r).is_none_or(|users| users.is_empty()))
            .collect(),
        remaining,
        open_checklists: Vec::new(),
        gonogo: None,
    }
}

fn countdown(
    plan: &Plan,
    launch: Option<NaiveDate>,
    timeline: &[Occurrence],
    now: DateTime<Utc>,
) -> Countdown {
    let Some(launch) = launch else {
        return Countdown::Unset;
    };
    let today = now.with_timezone(&plan.release.timezone).date_naive();
    let first = timeline
        .iter()
        .find(|o| o.day == DayOffset(0))
        .map(|o| o.at);
    match first {
        Some(start) if now < start && today <= launch => Countdown::Ahead(start - now),
        _ => Countdown::Day(DayOffset((today - launch).num_days() as i32)),
    }
}

/// The phase whose start has passed most recently.
pub fn current_phase(plan: &Plan, launch: NaiveDate, now: DateTime<Utc>) -> Option<(u8, &str)> {
    let today = DayOffset(
        (now.with_timezone(&plan.release.timezone).date_naive() - launch).num_days() as i32,
    );
    plan.phases
        .iter()
        .filter(|p| p.start <= today)
        .max_by_key(|p| p.start)
        .map(|p| (p.number, p.name.as_str()))
}

/// Roles somebody must hold for golive to reach people: release managers and every escalation level.
fn needed_roles(plan: &Plan) -> Vec<Role> {
    let mut roles = vec![Role::ReleaseManager];
    for level in &plan.escalation {
        for role in &level.roles {
            if !roles.contains(role) {
                roles.push(*role);
            }
        }
    }
    roles
}
