//! What golive posts, when: a plan laid out on the calendar for a given L-Day.
//!
//! Keys identify posts across runs and launch-date moves, so the scheduler can tell a post it
//! already made from a new one. Everything here is computed; nothing is sent.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::domain::day::{resolve, resolve_local, DayOffset, DayTime};
use crate::domain::plan::{FlagStep, Owner, Plan, Recurring};

/// Most posts one recurring item may make; a cron firing every second for the plan's whole
/// range would otherwise build hundreds of millions of posts.
const MAX_FIRES: usize = 10_000;

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
    /// A success-metric table's day: its scorecard.
    Scorecard,
    /// A feature flag step with no launch-day milestone at its time.
    FlagStep,
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
        timeline.scorecards();
        timeline.flag_steps();
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

    fn scorecards(&mut self) {
        for group in &self.plan.metrics {
            for (index, day) in group.at.iter().enumerate() {
                let key = scorecard_key(&group.key, index);
                let at = DayTime {
                    day: *day,
                    time: group.time,
                };
                let title = format!("Scorecard: {} ({day})", group.title);
                self.push(key, at, OccurrenceKind::Scorecard, title);
            }
        }
    }

    fn flag_steps(&mut self) {
        let Some(rollout) = &self.plan.rollout else {
            return;
        };
        for step in &self.plan.feature_flags {
            if self.plan.step_milestone(step).is_some() {
                continue; // the milestone's own post is the step's
            }
            let title = format!("Feature flag to {}%", step.percent);
            let post = self.push(
                flag_key(step.percent),
                step.at,
                OccurrenceKind::FlagStep,
                title,
            );
            post.owner = Some(Owner::Team(rollout.team.clone()));
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
            .take(MAX_FIRES)
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
/// The key of a metric group's scorecard on its `index`th day.
pub fn scorecard_key(group: &str, index: usize) -> String {
    format!("scorecard:{group}:{index}")
}

/// The metric group and day index a scorecard key names.
pub fn scorecard_of(key: &str) -> Option<(&str, usize)> {
    let (group, index) = key.strip_prefix("scorecard:")?.rsplit_once(':')?;
    Some((group, index.parse().ok()?))
}

fn flag_key(percent: u8) -> String {
    format!("flag:{percent}")
}

impl Plan {
    /// The launch-day milestone at a step's time, whose post is the step's.
    pub fn step_milestone(&self, step: &FlagStep) -> Option<&crate::domain::plan::Milestone> {
        if step.at.day != DayOffset::LAUNCH {
            return None;
        }
        self.launch_day.iter().find(|m| m.time == step.at.time)
    }

    /// The key of the post that carries a step.
    pub fn step_post_key(&self, step: &FlagStep) -> String {
        match self.step_milestone(step) {
            Some(milestone) => format!("milestone:{}", milestone.key),
            None => flag_key(step.percent),
        }
    }

    /// The step a post carries, when the plan's rollout runs and the post is a step's.
    pub fn step_of_post(&self, key: &str) -> Option<&FlagStep> {
        self.rollout.as_ref()?;
        self.feature_flags
            .iter()
            .find(|step| self.step_post_key(step) == key)
    }
}

/// What stays the same about an occurrence when its plan moves it to another time: a
/// launch-day milestone's key holds its time (`milestone:0600-final-deployment-verification`),
/// so its identity is the key without it; every other key is its own identity.
pub fn identity(key: &str) -> String {
    let timed = key.strip_prefix("milestone:").and_then(|rest| {
        let time = rest.get(..5)?;
        let timed = time.ends_with('-') && time.bytes().take(4).all(|b| b.is_ascii_digit());
        timed.then(|| rest.get(5..)).flatten()
    });
    match timed {
        Some(activity) => format!("milestone:{activity}"),
        None => key.to_string(),
    }
}

fn recurring_key(key: &str, fire: NaiveDateTime, same_day_as_previous: bool) -> String {
    let date = fire.date().format("%Y-%m-%d");
    if same_day_as_previous {
        format!("recurring:{key}:{date}T{}", fire.time().format("%H:%M"))
    } else {
        format!("recurring:{key}:{date}")
    }
}

#[cfg(test)]
mod tests;
