//! Tests for laying the Summit plan out on the calendar, across daylight-saving changes.

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

#[test]
fn a_milestone_moved_to_another_time_keeps_its_identity() {
    use super::identity;
    assert_eq!(
        identity("milestone:0600-final-deployment-verification"),
        identity("milestone:0645-final-deployment-verification")
    );
    assert_ne!(
        identity("milestone:0600-smoke-tests"),
        identity("milestone:0600-status-check")
    );
    for key in [
        "recurring:standup:2026-03-09",
        "week:L:morning",
        "milestone:é",
        "milestone:",
    ] {
        assert_eq!(identity(key), key);
    }
}
