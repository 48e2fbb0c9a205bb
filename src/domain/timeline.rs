//! What golive posts, when: a plan laid out on the calendar for a given L-Day.
//!
//! Keys identify posts across runs and launch-date moves, so the scheduler can tell a post it
//! already made from a new one. Everything here is computed; nothing is sent.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::domain::day::{resolve, resolve_local, DayOffset, DayTime};
use crate::domain::plan::{Owner, Plan, Recurring};

/// One post on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// Unique and stable, e.g. "milestone:0600-final-deployment-verification", "week:L+1:morning".
    pub key: String,
    pub at: DateTime<Utc>,
    pub day: DayOffset,
    pub kind: OccurrenceKind,
    pub title: String,
    pub detail: Option<String>,
    pub owner: Option<Owner>,
}

/// What a post is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceKind {
    Milestone,
    LaunchWeek,
    PreLaunchWeek,
    PhaseStart,
    PhaseMilestone,
    Recurring,
    ChecklistDue,
    GoNoGoDeadline,
}

impl Plan {
    /// Everything to post for a given L-Day, sorted by time then plan order.
    pub fn timeline(&self, launch: NaiveDate) -> Vec<Occurrence> {
        let mut timeline = Timeline {
            plan: self,
            launch,
            occurrences: Vec::new(),
        };
        timeline.pre_launch();
        timeline.phases();
        timeline.launch_day();
        timeline.launch_week();
        timeline.checklists();
        timeline.gonogo();
        for recurring in &self.recurring {
            timeline.recurring(recurring);
        }
        let mut occurrences = timeline.occurrences;
        // A stable sort keeps plan order among posts at the same instant.
        occurrences.sort_by_key(|occurrence| occurrence.at);
        occurrences
    }
}

struct Timeline<'a> {
    plan: &'a Plan,
    launch: NaiveDate,
    occurrences: Vec<Occurrence>,
}

impl Timeline<'_> {
    fn push(
        &mut self,
        key: String,
        at: DayTime,
        kind: OccurrenceKind,
        title: String,
    ) -> &mut Occurrence {
        self.occurrences.push(Occurrence {
            key,
            at: resolve(self.plan.release.timezone, self.launch, at),
            day: at.day,
            kind,
            title,
            detail: None,
            owner: None,
        });
        let last = self.occurrences.len() - 1;
        &mut self.occurrences[last]
    }

    fn pre_launch(&mut self) {
        let time = self.plan.post_times.pre_launch_week;
        for week in &self.plan.pre_launch {
            let label = week.week.week_label();
            let detail = week
                .tasks
                .iter()
                .map(|task| format!("{}: {}", self.plan.owner_name(&task.owner), task.task))
                .collect::<Vec<_>>()
                .join("\n");
            let at = DayTime {
                day: week.week,
                time,
            };
            let post = self.push(
                format!("prelaunch:{label}"),
                at,
                OccurrenceKind::PreLaunchWeek,
                format!("Week {label} begins"),
            );
            post.detail = Some(detail);
        }
    }

    fn phases(&mut self) {
        let times = self.plan.post_times;
        for phase in &self.plan.phases {
            let number = phase.number;
            let at = DayTime {
                day: phase.start,
                time: times.phase_start,
            };
            let title = format!("Phase {number}: {} begins", phase.name);
            self.push(
                format!("phase:{number}:start"),
                at,
                OccurrenceKind::PhaseStart,
                title,
            )
            .detail = Some(phase.objective.clone());
            for goal in &phase.weekly {
                let label = goal.week.week_label();
                let at = DayTime {
                    day: goal.week,
                    time: times.phase_milestone,
                };
                let title = format!("Phase {number} week {label}: {}", goal.focus);
                self.push(
                    format!("phase:{number}:week:{label}"),
                    at,
                    OccurrenceKind::PhaseMilestone,
                    title,
                )
                .detail = goal
                    .target
                    .as_ref()
                    .map(|target| format!("Target: {target}"));
            }
            for milestone in &phase.milestones {
                let time = milestone.time.unwrap_or(times.phase_milestone);
                let at = DayTime {
                    day: milestone.day,
                    time,
                };
                let title = format!("Phase {number}: {}", milestone.title);
                self.push(
                    format!("phase:{number}:{}", milestone.key),
                    at,
                    OccurrenceKind::PhaseMilestone,
                    title,
                );
            }
        }
    }

    fn launch_day(&mut self) {
        for milestone in &self.plan.launch_day {
            let at = DayTime {
                day: DayOffset::LAUNCH,
                time: milestone.time,
            };
            let key = format!("milestone:{}", milestone.key);
            let post = self.push(
                key,
                at,
                OccurrenceKind::Milestone,
                milestone.activity.clone(),
            );
            post.owner = Some(milestone.owner.clone());
        }
    }

    fn launch_week(&mut self) {
        let times = self.plan.post_times;
        for day in &self.plan.launch_week {
            let slots = [
                ("morning", times.launch_week_morning, &day.morning),
                ("afternoon", times.launch_week_afternoon, &day.afternoon),
                ("evening", times.launch_week_evening, &day.evening),
            ];
            // The day's summary rides on its first post so it is read at the start of the day.
            let mut summary = day.summary.clone();
            for (slot, time, text) in slots {
                let Some(text) = text else { continue };
                let at = DayTime { day: day.day, time };
                let key = format!("week:{}:{slot}", day.day);
                self.push(key, at, OccurrenceKind::LaunchWeek, text.clone())
                    .detail = summary.take();
            }
            if let Some(summary) = summary {
                let at = DayTime {
                    day: day.day,
                    time: times.launch_week_morning,
                };
                self.push(
                    format!("week:{}:summary", day.day),
                    at,
                    OccurrenceKind::LaunchWeek,
                    summary,
                );
            }
        }
    }

    fn checklists(&mut self) {
        for checklist in &self.plan.checklists {
            let key = format!("checklist:{}:due", checklist.key);
            let title = format!("Checklist due: {}", checklist.title);
            let post = self.push(key, checklist.due, OccurrenceKind::ChecklistDue, title);
            post.detail = Some(format!("{} items", checklist.items.len()));
        }
    }

    fn gonogo(&mut self) {
        let gonogo = &self.plan.gonogo;
        let voters = gonogo
            .voters
            .iter()
            .map(|role| role.title())
            .collect::<Vec<_>>()
            .join(", ");
        let title = "Go/no-go voting closes".to_string();
        let post = self.push(
            "gonogo:deadline".to_string(),
            gonogo.deadline,
            OccurrenceKind::GoNoGoDeadline,
            title,
        );
        post.detail = Some(format!("Voters: {voters}"));
    }

    /// Fires of a cron schedule on days from..=until. The schedule is run over naive local time
    /// (as if the zone were UTC) and each fire is then resolved, so DST follows [`resolve`].
    fn recurring(&mut self, recurring: &Recurring) {
        let tz = self.plan.release.timezone;
        let (Some(first), Some(last)) = (
            recurring.from.date(self.launch),
            recurring.until.date(self.launch),
        ) else {
            return;
        };
        let start = first.and_time(NaiveTime::MIN).and_utc() - Duration::seconds(1);
        let end = last.and_time(NaiveTime::MIN) + Duration::days(1);
        let mut previous_date = None;
        for fire in recurring
            .schedule
            .after(&start)
            .map(|fire| fire.naive_utc())
            .take_while(|fire| *fire < end)
        {
            let key = recurring_key(&recurring.key, fire, previous_date == Some(fire.date()));
            previous_date = Some(fire.date());
            self.occurrences.push(Occurrence {
                key,
                at: resolve_local(tz, fire),
                day: DayOffset(i32::try_from((fire.date() - self.launch).num_days()).unwrap_or(0)),
                kind: OccurrenceKind::Recurring,
                title: recurring.title.clone(),
                detail: None,
                owner: Some(recurring.owner.clone()),
            });
        }
    }
}

/// "recurring:launch-standup:2026-12-02"; a second fire on the same day adds its time.
fn recurring_key(key: &str, fire: NaiveDateTime, same_day_as_previous: bool) -> String {
    let date = fire.date().format("%Y-%m-%d");
    if same_day_as_previous {
        format!("recurring:{key}:{date}T{}", fire.time().format("%H:%M"))
    } else {
        format!("recurring:{key}:{date}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn find<'a>(timeline: &'a [Occurrence], key: &str) -> &'a Occurrence {
        timeline
            .iter()
            .find(|occurrence| occurrence.key == key)
            .unwrap()
    }

    #[test]
    fn occurrence_keys_are_unique_for_the_embedded_plan() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        let keys: HashSet<_> = timeline.iter().map(|occurrence| &occurrence.key).collect();
        assert_eq!(keys.len(), timeline.len());
    }

    #[test]
    fn the_timeline_is_sorted_by_time() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        assert!(timeline.windows(2).all(|pair| pair[0].at <= pair[1].at));
    }

    #[test]
    fn posts_at_the_same_instant_keep_plan_order() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        let ten: Vec<_> = timeline
            .iter()
            .filter(|o| o.kind == OccurrenceKind::Milestone && o.at == utc("2026-12-01T18:00:00Z"))
            .map(|o| o.title.as_str())
            .collect();
        assert_eq!(ten, ["Press embargo lifts", "Press release, blog, social"]);
    }

    #[test]
    fn a_milestone_resolves_to_standard_time_in_winter() {
        let timeline = Plan::embedded().timeline(date("2026-03-06"));
        let verification = find(&timeline, "milestone:0600-final-deployment-verification");
        assert_eq!(verification.at, utc("2026-03-06T14:00:00Z"));
        assert_eq!(verification.owner, Some(Owner::Team("sre".into())));
    }

    #[test]
    fn a_milestone_resolves_to_daylight_time_in_summer() {
        let timeline = Plan::embedded().timeline(date("2026-03-09"));
        let verification = find(&timeline, "milestone:0600-final-deployment-verification");
        assert_eq!(verification.at, utc("2026-03-09T13:00:00Z"));
    }

    #[test]
    fn a_timeline_spanning_the_november_change_shifts_its_utc_times() {
        // L-Day Friday 2026-10-30 is PDT; the change is Sunday 2026-11-01, so L+3 is PST.
        let timeline = Plan::embedded().timeline(date("2026-10-30"));
        assert_eq!(
            find(&timeline, "week:L:morning").at,
            utc("2026-10-30T16:00:00Z")
        );
        assert_eq!(
            find(&timeline, "week:L+3:morning").at,
            utc("2026-11-02T17:00:00Z")
        );
        assert_eq!(
            find(&timeline, "recurring:launch-standup:2026-10-31").at,
            utc("2026-10-31T15:30:00Z")
        );
        assert_eq!(
            find(&timeline, "recurring:launch-standup:2026-11-01").at,
            utc("2026-11-01T16:30:00Z")
        );
    }

    #[test]
    fn the_launch_standup_occurs_once_per_launch_week_day() {
        let plan = Plan::embedded();
        let timeline = plan.timeline(date("2026-12-01"));
        let standups: Vec<_> = timeline
            .iter()
            .filter(|o| o.key.starts_with("recurring:launch-standup:"))
            .collect();
        let days: Vec<_> = standups.iter().map(|o| o.day).collect();
        let week: Vec<_> = plan.launch_week.iter().map(|day| day.day).collect();
        assert_eq!(days, week);
        assert_eq!(standups[0].key, "recurring:launch-standup:2026-12-01");
    }

    #[test]
    fn the_executive_briefing_is_weekly() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        let briefings: Vec<_> = timeline
            .iter()
            .filter(|o| o.key.starts_with("recurring:executive-briefing:"))
            .collect();
        // Fridays from L-56 (2026-10-06) to L+56 (2027-01-26): 16 of them.
        assert_eq!(briefings.len(), 16);
        assert!(briefings
            .windows(2)
            .all(|pair| (pair[1].day.0 - pair[0].day.0) == 7));
    }

    #[test]
    fn the_go_no_go_deadline_and_checklist_dues_are_posted() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        let deadline = find(&timeline, "gonogo:deadline");
        assert_eq!(deadline.kind, OccurrenceKind::GoNoGoDeadline);
        assert_eq!(deadline.at, utc("2026-11-30T23:00:00Z"));
        let dues = timeline
            .iter()
            .filter(|o| o.kind == OccurrenceKind::ChecklistDue)
            .count();
        assert_eq!(dues, 4);
    }

    #[test]
    fn keys_name_weeks_phases_and_milestones_by_plan_day() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        let prelaunch = find(&timeline, "prelaunch:L-8");
        assert_eq!(prelaunch.day, DayOffset(-56));
        assert!(prelaunch
            .detail
            .as_deref()
            .unwrap()
            .starts_with("Engineering: Alpha start"));
        assert_eq!(find(&timeline, "phase:3:start").day, DayOffset(-14));
        assert_eq!(find(&timeline, "phase:3:rc-10").day, DayOffset(-10));
        assert_eq!(
            find(&timeline, "week:L+1:morning").detail.as_deref(),
            Some("Rollout to 75%, launch webinar")
        );
    }

    #[test]
    fn empty_launch_week_slots_are_not_posted() {
        let timeline = Plan::embedded().timeline(date("2026-12-01"));
        assert!(timeline.iter().all(|o| o.key != "week:L+6:evening"));
        assert!(timeline.iter().any(|o| o.key == "week:L+6:afternoon"));
    }

    #[test]
    fn keys_other_than_recurring_do_not_depend_on_the_launch_date() {
        let keys = |launch| -> HashSet<String> {
            Plan::embedded()
                .timeline(date(launch))
                .into_iter()
                .map(|o| o.key)
                .filter(|key| !key.starts_with("recurring:"))
                .collect()
        };
        assert_eq!(keys("2026-03-06"), keys("2026-12-01"));
    }
}
