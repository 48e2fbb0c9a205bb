//! The plan's dated items as calendar events, with identities that survive restarts and L-Day
//! moves, so calendar apps update an event instead of adding a copy.

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Utc};

use super::day::{resolve, DayTime};
use super::plan::Plan;
use super::timeline::{Occurrence, OccurrenceKind};

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across restarts and L-Day moves: `milestone:0600-…@summit-4.0.0.golive`.
    pub uid: String,
    pub at: DateTime<Utc>,
    pub title: String,
    /// The owner team and the item's details.
    pub description: String,
}

/// When a deprecation step tied to a day is shown.
const DEPRECATION_TIME: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};

/// Every dated item of `plan` for the timeline of one L-Day (`timeline`, see
/// `Plan::timeline`), plus the deprecation steps tied to a day.
pub fn events(
    plan: &Plan,
    timeline: &[Occurrence],
    launch: chrono::NaiveDate,
) -> Vec<CalendarEvent> {
    let release = plan.release.id();
    let mut nth: HashMap<String, usize> = HashMap::new();
    let mut events: Vec<CalendarEvent> = timeline
        .iter()
        .map(|occurrence| {
            let identity = match occurrence.kind {
                // A recurring item's key holds its date; its place in the series does not move
                // with L-Day.
                OccurrenceKind::Recurring => {
                    let series = occurrence.key.rsplit_once(':').map_or("", |(s, _)| s);
                    let n = nth.entry(series.to_string()).or_default();
                    *n += 1;
                    format!("{series}:{n}")
                }
                _ => occurrence.key.clone(),
            };
            let mut description = Vec::new();
            if let Some(owner) = &occurrence.owner {
                description.push(format!("Owner: {}", plan.owner_name(owner)));
            }
            description.extend(occurrence.detail.iter().cloned());
            CalendarEvent {
                uid: format!("{identity}@{release}.golive"),
                at: occurrence.at,
                title: occurrence.title.clone(),
                description: description.join("\n"),
            }
        })
        .collect();
    for (index, step) in plan.deprecation.iter().enumerate() {
        let Some(day) = step.day else { continue };
        let at = resolve(
            plan.release.timezone,
            launch,
            DayTime {
                day,
                time: DEPRECATION_TIME,
            },
        );
        events.push(CalendarEvent {
            uid: format!("deprecation:{index}@{release}.golive"),
            at,
            title: format!("Deprecation: {}", step.title),
            description: step.when.clone(),
        });
    }
    events.sort_by_key(|event| event.at);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(launch: &str) -> Vec<CalendarEvent> {
        let plan = Plan::embedded();
        let launch = launch.parse().unwrap();
        events(&plan, &plan.timeline(launch), launch)
    }

    #[test]
    fn every_uid_is_unique_and_survives_a_move_of_l_day() {
        let (before, after) = (feed("2026-03-10"), feed("2026-03-17"));
        let uids = |events: &[CalendarEvent]| {
            let mut uids: Vec<String> = events.iter().map(|e| e.uid.clone()).collect();
            uids.sort();
            uids
        };
        let mut unique = uids(&before);
        unique.dedup();
        assert_eq!(unique.len(), before.len(), "no two events share a UID");
        assert_eq!(
            uids(&before),
            uids(&after),
            "moving L-Day moves the same events"
        );
        let standup = |events: &[CalendarEvent]| {
            events
                .iter()
                .find(|e| e.title.contains("Launch standup"))
                .map(|e| (e.uid.clone(), e.at))
                .unwrap()
        };
        let (uid, at) = standup(&before);
        let (moved_uid, moved_at) = standup(&after);
        assert_eq!(uid, moved_uid);
        assert_eq!(moved_at - at, chrono::TimeDelta::days(7));
    }

    #[test]
    fn a_milestone_names_its_owner_team() {
        let events = feed("2026-03-10");
        let verification = events
            .iter()
            .find(|e| e.title == "Final deployment verification")
            .unwrap();
        assert_eq!(verification.description, "Owner: SRE");
        assert_eq!(verification.at.to_rfc3339(), "2026-03-10T13:00:00+00:00");
    }
}
