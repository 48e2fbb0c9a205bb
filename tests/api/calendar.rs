//! The calendar feed: behind the board token, read by a real calendar parser, its events the
//! plan's, and an L-Day move raising SEQUENCE on the same UIDs.

use icalendar::{Calendar, Component, Event};

use crate::harness::{date, pacific, spawn_app, Options, BOARD_TOKEN, MEMBER, RM};

const FEED: &str = "/calendar/summit-4.0.0.ics";

fn events(body: &str) -> Vec<Event> {
    let calendar: Calendar = body.parse().expect("a calendar parser reads the feed");
    calendar
        .components
        .iter()
        .filter_map(|c| c.as_event().cloned())
        .collect()
}

fn named<'a>(events: &'a [Event], summary: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.get_summary() == Some(summary))
        .unwrap_or_else(|| panic!("no event {summary}"))
}

#[tokio::test]
async fn the_feed_needs_the_board_token_and_names_only_running_launches() {
    let app = spawn_app(Options::default()).await;
    assert_eq!(app.get(FEED).await.status, 401);
    assert_eq!(app.get(&format!("{FEED}?token=wrong")).await.status, 401);
    let missing = app
        .get(&format!("/calendar/summit-9.ics?token={BOARD_TOKEN}"))
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("golive runs no launch `summit-9`"));
    // L-Day is TBD: a valid calendar without events, which subscribed apps fill in later.
    let tbd = app.get(&format!("{FEED}?token={BOARD_TOKEN}")).await;
    assert_eq!(tbd.status, 200);
    assert!(events(&tbd.body).is_empty());
    let cookie = app
        .get_with_cookie(FEED, &format!("golive_board={BOARD_TOKEN}"))
        .await;
    assert_eq!(cookie.status, 200);
}

#[tokio::test]
async fn moving_l_day_moves_the_same_events_with_a_higher_sequence() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-02-01", "09:00"),
        ..Options::default()
    })
    .await;
    let before = events(&app.get(&format!("{FEED}?token={BOARD_TOKEN}")).await.body);
    let plan = golive::domain::plan::Plan::embedded();
    let launch = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let expected = golive::domain::calendar::events(&plan, &plan.timeline(launch), launch);
    assert_eq!(before.len(), expected.len());
    let verification = named(&before, "Final deployment verification");
    assert_eq!(verification.get_description(), Some("Owner: SRE"));
    assert_eq!(
        verification.property_value("DTSTART"),
        Some("20260310T130000Z"),
        "06:00 PDT"
    );
    let sequence = |e: &Event| {
        e.property_value("SEQUENCE")
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let first = sequence(verification);
    assert!(named(&before, "Launch standup: status sync")
        .get_uid()
        .is_some());

    let refused = app.command(MEMBER, "launch-date 2026-03-17").await.text();
    assert!(refused.contains("Only release managers"), "{refused}");
    let moved = app.command(RM, "launch-date 2026-03-17").await.text();
    assert!(moved.contains("L-Day is now 2026-03-17"), "{moved}");
    let after = events(&app.get(&format!("{FEED}?token={BOARD_TOKEN}")).await.body);
    let moved = named(&after, "Final deployment verification");
    assert_eq!(moved.get_uid(), verification.get_uid());
    assert_eq!(moved.property_value("DTSTART"), Some("20260317T130000Z"));
    assert_eq!(sequence(moved), first + 1);
    let uids = |events: &[Event]| {
        let mut uids: Vec<String> = events
            .iter()
            .filter_map(|e| e.get_uid())
            .map(String::from)
            .collect();
        uids.sort();
        uids
    };
    assert_eq!(
        uids(&before),
        uids(&after),
        "no copies: the same events, moved"
    );
}
