//! The plan's dated items as an iCalendar feed (RFC 5545), for `golive plan ics` and
//! `GET /calendar/<release>.ics`. Times are in UTC, so no VTIMEZONE is needed and every
//! calendar app shows them in its reader's zone; `SEQUENCE` counts L-Day moves, so an app updates
//! the events it has instead of adding copies.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use crate::domain::calendar;
use crate::domain::plan::Plan;

/// How long each event lasts in a calendar: the plan gives times, not durations.
const LENGTH: TimeDelta = TimeDelta::minutes(30);

/// The feed of `plan` for L-Day `launch`; `stamp` is when it was made (the bot's clock).
pub fn feed(plan: &Plan, launch: NaiveDate, sequence: u32, stamp: DateTime<Utc>) -> String {
    let release = &plan.release;
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("{} {}", release.name, release.version))
        .description(&format!(
            "The launch plan of {} {}, coordinated in {}",
            release.name, release.version, release.channel
        ));
    for event in calendar::events(plan, &plan.timeline(launch), launch) {
        calendar.push(
            Event::new()
                .uid(&event.uid)
                .summary(&event.title)
                .description(&event.description)
                .starts(event.at)
                .ends(event.at + LENGTH)
                .sequence(sequence)
                .timestamp(stamp)
                .done(),
        );
    }
    calendar.done().to_string()
}

/// The feed of a launch whose L-Day is not set: the calendar, without events.
pub fn empty(plan: &Plan) -> String {
    let release = &plan.release;
    Calendar::new()
        .name(&format!("{} {}", release.name, release.version))
        .done()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_parses_back_with_every_event_in_utc_and_its_sequence() {
        let plan = Plan::embedded();
        let launch = "2026-03-10".parse().unwrap();
        let stamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let text = feed(&plan, launch, 2, stamp);
        let parsed: Calendar = text.parse().expect("a calendar parser reads the feed");
        let events: Vec<&Event> = parsed
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .collect();
        assert_eq!(
            events.len(),
            calendar::events(&plan, &plan.timeline(launch), launch).len()
        );
        let verification = events
            .iter()
            .find(|e| e.get_summary() == Some("Final deployment verification"))
            .unwrap();
        assert!(
            text.contains("DTSTART:20260310T130000Z"),
            "06:00 PDT in UTC"
        );
        assert_eq!(verification.property_value("SEQUENCE"), Some("2"));
        assert_eq!(verification.get_description(), Some("Owner: SRE"));
        assert!(
            text.lines().all(|line| line.len() <= 75 + 1),
            "lines folded"
        );
    }
}
