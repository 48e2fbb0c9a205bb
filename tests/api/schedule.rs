//! Scheduled posts as the channel sees them: in order, at their times, in Pacific time across
//! DST, mentioning their owners, exactly once.

use chrono::TimeDelta;

use crate::harness::{date, pacific, spawn_app, Options, CHANNEL, SRE_GROUP};

fn launch_day(at: &str) -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", at),
        ..Options::default()
    }
}

#[tokio::test]
async fn each_milestone_is_posted_at_its_time_and_not_before() {
    let app = spawn_app(launch_day("05:30")).await;
    app.advance_to(pacific("2026-03-10", "05:59")).await;
    assert!(app.channel_texts().is_empty());

    app.advance_to(pacific("2026-03-10", "06:00")).await;
    let posts = app.fake.messages(CHANNEL);
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .text
            .contains("Final deployment verification · Tue 2026-03-10 06:00 PDT · SRE"),
        "{}",
        posts[0].text
    );
    let blocks = posts[0].blocks.to_string();
    assert!(
        blocks.contains(&format!("<!subteam^{SRE_GROUP}>")),
        "owner team is mentioned: {blocks}"
    );
    assert!(
        blocks.contains("<!date^1773147600^"),
        "time renders in each reader's zone: {blocks}"
    );

    app.advance_to(pacific("2026-03-10", "06:59")).await;
    assert_eq!(app.channel_texts().len(), 1);
    app.advance_to(pacific("2026-03-10", "07:00")).await;
    assert!(app.channel_texts()[1].contains("Production deployment begins"));
}

#[tokio::test]
async fn a_launch_day_is_posted_in_plan_order() {
    let app = spawn_app(launch_day("05:30")).await;
    let mut at = pacific("2026-03-10", "05:30");
    while at < pacific("2026-03-10", "18:30") {
        at += TimeDelta::minutes(15);
        app.advance_to(at).await;
    }
    let milestones: Vec<String> = app
        .channel_texts()
        .into_iter()
        .filter(|t| t.starts_with("Launch-day milestone"))
        .collect();
    let expected = [
        "06:00 PDT · SRE",
        "07:00 PDT · Release Engineering",
        "08:00 PDT · QA",
        "09:00 PDT · SRE",
        "10:00 PDT · Marketing",
        "10:00 PDT · Marketing",
        "10:30 PDT · Marketing",
        "11:00 PDT · SRE",
        "12:00 PDT · All",
        "14:00 PDT · SRE",
        "16:00 PDT · All",
        "18:00 PDT · SRE",
    ];
    assert_eq!(milestones.len(), 12, "{milestones:#?}");
    for (text, tail) in milestones.iter().zip(expected) {
        // A flag step's milestone carries the step's state on a line of its own.
        let first = text.lines().next().unwrap_or_default();
        assert!(first.ends_with(tail), "{text} should end with {tail}");
    }
    assert!(
        milestones.iter().all(|t| !t.contains("late")),
        "posted on time: {milestones:#?}"
    );
}

#[tokio::test]
async fn launch_week_posts_follow_pacific_time_across_the_dst_change() {
    // L-Day Friday 2026-03-06 is in PST; L+3 (Monday 03-09) is after the switch to PDT.
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-06")),
        clock_start: "2026-03-06T16:00:00Z".parse().unwrap(),
        ..Options::default()
    })
    .await;
    app.advance_to("2026-03-06T17:00:00Z".parse().unwrap())
        .await;
    let friday = app.channel_texts();
    assert!(
        friday
            .iter()
            .any(|t| t
                .starts_with("Launch week · L: Deployment, rollout · Fri 2026-03-06 09:00 PST")),
        "{friday:#?}"
    );

    app.advance_to("2026-03-09T15:59:00Z".parse().unwrap())
        .await;
    assert!(app
        .channel_texts()
        .iter()
        .all(|t| !t.contains("L+3: Issue triage")));
    app.advance_to("2026-03-09T16:00:00Z".parse().unwrap())
        .await;
    let monday = app.channel_texts();
    assert!(
        monday
            .iter()
            .any(|t| t.starts_with("Launch week · L+3: Issue triage · Mon 2026-03-09 09:00 PDT")),
        "{monday:#?}"
    );
}

#[tokio::test]
async fn the_scheduler_loop_posts_on_its_own_when_the_clock_moves() {
    let app = spawn_app(launch_day("05:59")).await;
    app.clock.advance(TimeDelta::minutes(1));
    let posts = app
        .fake
        .wait_for_posts(1, std::time::Duration::from_secs(5))
        .await;
    assert_eq!(posts.len(), 1);
    assert!(posts[0].text.contains("Final deployment verification"));
}

#[tokio::test]
async fn every_post_carries_metadata_naming_its_job() {
    let app = spawn_app(launch_day("05:59")).await;
    app.advance(TimeDelta::minutes(1)).await;
    let post = &app.fake.messages(CHANNEL)[0];
    let metadata = post.metadata.as_ref().expect("metadata");
    assert_eq!(metadata["event_type"], "golive_post");
    assert_eq!(metadata["event_payload"]["release"], "summit-4.0.0");
    assert_eq!(
        metadata["event_payload"]["key"],
        "milestone:0600-final-deployment-verification"
    );
}
