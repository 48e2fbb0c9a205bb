//! What `/golive status` reports, computed from the plan, the stored state and the time.

use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// Occurrences past their time, not posted yet, and still to be posted (late).
    pub overdue: Vec<&'a Occurrence>,
    /// Occurrences that will not be posted: already past when L-Day was set or moved.
    pub skipped: Vec<&'a Occurrence>,
    /// Roles the escalation ladder or the plan needs that nobody holds.
    pub unassigned_roles: Vec<Role>,
    /// Occurrences still to be posted, overdue ones included.
    pub remaining: usize,
    /// One line per posted checklist with open items (filled in from the store by the caller).
    pub open_checklists: Vec<String>,
    /// The open go/no-go vote, if any (filled in from the store by the caller).
    pub gonogo: Option<String>,
}

/// What the status is computed from: the plan's timeline and what became of each post.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub launch_date: Option<NaiveDate>,
    pub timeline: &'a [Occurrence],
    /// Occurrence key → when it was posted.
    pub posted: &'a HashMap<String, DateTime<Utc>>,
    /// Keys of occurrences that will not be posted.
    pub skipped: &'a HashSet<String>,
    pub roles: &'a BTreeMap<Role, Vec<String>>,
}

/// Computes the status at `now`.
pub fn compute<'a>(plan: &'a Plan, progress: Progress<'a>, now: DateTime<Utc>) -> Status<'a> {
    let Progress {
        launch_date,
        timeline,
        posted,
        skipped,
        roles,
    } = progress;
    let last = timeline
        .iter()
        .filter_map(|o| posted.get(&o.key).map(|at| (o, *at)))
        .max_by_key(|(o, _)| o.at);
    let unposted = || timeline.iter().filter(|o| !posted.contains_key(&o.key));
    let to_post = || unposted().filter(|o| !skipped.contains(&o.key));
    let next = to_post().find(|o| o.at > now);
    let overdue = to_post().filter(|o| o.at <= now).collect();
    let skipped = unposted().filter(|o| skipped.contains(&o.key)).collect();
    let remaining = to_post().count();
    Status {
        launch_date,
        countdown: countdown(plan, launch_date, timeline, now),
        phase: launch_date.and_then(|launch| current_phase(plan, launch, now)),
        last,
        next,
        overdue,
        skipped,
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
