//! `/golive` commands over signed HTTP: what the person who typed them sees.

use crate::harness::{date, spawn_app, Options, MEMBER, RM};

#[tokio::test]
async fn status_without_launch_date_says_tbd_and_how_to_set_it() {
    let app = spawn_app(Options::default()).await;
    let reply = app.command(MEMBER, "status").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["response_type"], "ephemeral");
    let text = reply.text();
    assert!(
        text.contains("Summit 4.0.0 \"Governance Evolution\""),
        "{text}"
    );
    assert!(text.contains("L-Day not set"), "{text}");
    let blocks = reply.json()["blocks"].to_string();
    assert!(
        blocks.contains("/golive launch-date YYYY-MM-DD"),
        "{blocks}"
    );
}

#[tokio::test]
async fn status_shows_countdown_phase_and_next_milestone() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        ..Options::default()
    })
    .await;
    // 2026-03-09 12:00 UTC is 05:00 PDT the day before L-Day.
    let text = app.command(MEMBER, "").await.text();
    assert!(text.contains("1 d 1 h to go"), "{text}");
    assert!(text.contains("Phase 3 · Release Candidate"), "{text}");
    assert!(text.contains("Next: Mon 2026-03-09"), "{text}");
    assert!(text.contains("nobody holds: on-call"), "{text}");
}

#[tokio::test]
async fn help_lists_every_command_with_its_usage() {
    let app = spawn_app(Options::default()).await;
    let text = app.command(MEMBER, "help").await.text();
    for usage in [
        "status",
        "help",
        "timeline [L|L+1|L-7|...]",
        "launch-date YYYY-MM-DD",
        "role &lt;role&gt; &lt;@user&gt;",
    ] {
        assert!(
            text.contains(&format!("/golive {usage}")),
            "missing {usage}: {text}"
        );
    }
}

#[tokio::test]
async fn unknown_and_malformed_commands_get_the_usage() {
    let app = spawn_app(Options::default()).await;
    let unknown = app.command(MEMBER, "deploy now").await;
    assert_eq!(unknown.status, 200);
    assert!(
        unknown.text().contains("`deploy` is not a golive command"),
        "{}",
        unknown.text()
    );
    assert!(unknown.text().contains("/golive help"));
    let malformed = app.command(RM, "launch-date next-tuesday").await.text();
    assert!(
        malformed.contains("Usage: `/golive launch-date YYYY-MM-DD`"),
        "{malformed}"
    );
    assert!(
        app.command(MEMBER, "status")
            .await
            .text()
            .contains("L-Day not set"),
        "nothing changed"
    );
}

#[tokio::test]
async fn only_release_managers_set_the_launch_date() {
    let app = spawn_app(Options::default()).await;
    let refused = app.command(MEMBER, "launch-date 2026-03-10").await.text();
    assert!(
        refused.contains("Only release managers can set L-Day; nothing was changed"),
        "{refused}"
    );
    assert!(app
        .command(MEMBER, "status")
        .await
        .text()
        .contains("L-Day not set"));

    let done = app.command(RM, "launch-date 2026-03-10").await.text();
    assert!(done.contains("L-Day is now 2026-03-10 (was TBD)"), "{done}");
    let timeline = app.command(MEMBER, "timeline L").await.text();
    assert!(
        timeline.starts_with("Schedule for L (Tue 2026-03-10)"),
        "{timeline}"
    );
    assert!(
        timeline.contains("06:00 PDT Final deployment verification (SRE)"),
        "{timeline}"
    );
    assert!(
        timeline.contains("18:00 PDT Extended monitoring begins (SRE)"),
        "{timeline}"
    );
}

#[tokio::test]
async fn moving_the_launch_date_reschedules_what_is_not_yet_posted() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        ..Options::default()
    })
    .await;
    app.command(RM, "launch-date 2026-03-17").await;
    let timeline = app.command(MEMBER, "timeline L+1").await.text();
    assert!(
        timeline.starts_with("Schedule for L+1 (Wed 2026-03-18)"),
        "{timeline}"
    );
    // Nothing is due any more on the old L-Day.
    app.advance_to(crate::harness::pacific("2026-03-10", "18:30"))
        .await;
    let posts = app.channel_texts();
    assert!(
        posts
            .iter()
            .all(|t| !t.contains("Final deployment verification")),
        "{posts:?}"
    );
}

#[tokio::test]
async fn release_managers_assign_roles_and_everyone_can_list_them() {
    let app = spawn_app(Options::default()).await;
    let refused = app
        .command(MEMBER, "role on-call <@U0DANA|dana>")
        .await
        .text();
    assert!(
        refused.contains("Only release managers can assign roles"),
        "{refused}"
    );

    let done = app
        .command(RM, "role on-call <@U0DANA|dana> <@U0LEE>")
        .await;
    assert!(
        done.text()
            .contains("On-Call is now held by U0DANA, U0LEE."),
        "{}",
        done.text()
    );
    let list = app.command(MEMBER, "role").await.text();
    assert!(list.contains("On-Call (on-call): U0DANA, U0LEE"), "{list}");
    assert!(
        list.contains("Release Manager (release-manager): U0RELMGR"),
        "{list}"
    );
}

#[tokio::test]
async fn concurrent_role_changes_leave_memory_and_store_agreeing() {
    let app = spawn_app(Options::default()).await;
    let changes = (0..40).map(|i| {
        let app = &app;
        async move {
            app.command(RM, &format!("role on-call <@U0ONCALL{i}>"))
                .await
        }
    });
    let replies = futures_util::future::join_all(changes).await;
    assert!(replies.iter().all(|r| r.text().contains("is now held by")));
    let in_memory = app.command(RM, "role").await.text();
    let app = app.restart(Options::default()).await;
    let from_store = app.command(RM, "role").await.text();
    assert_eq!(in_memory, from_store);
}

#[tokio::test]
async fn a_day_with_a_wide_character_after_l_gets_the_error_and_usage_privately() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        ..Options::default()
    })
    .await;
    for day in ["L\u{2212}1", "L\u{2014}1", "L\u{e9}", "L\u{200b}"] {
        let reply = app.command(MEMBER, &format!("timeline {day}")).await;
        assert_eq!(reply.status, 200, "{day:?}: {}", reply.body);
        assert_eq!(reply.json()["response_type"], "ephemeral");
        let text = reply.text();
        assert!(text.contains(&format!("`{day}` is not a day")), "{text}");
        assert!(
            text.contains("Usage: `/golive timeline [L|L+1|L-7|...]`"),
            "{text}"
        );
    }
    let timeline = app.command(MEMBER, "timeline L-1").await.text();
    assert!(timeline.starts_with("Schedule for L-1"), "{timeline}");
}

#[tokio::test]
async fn answers_to_a_3000_character_word_stay_short() {
    let app = spawn_app(Options::default()).await;
    let word = "\u{2212}".repeat(3_000);
    let mention = format!("<@U{}>", "A".repeat(3_000));
    let cases = [
        (MEMBER, word.clone(), "is not a golive command"),
        (MEMBER, format!("timeline L{word}"), "is not a day"),
        (RM, format!("launch-date {word}"), "is not a date"),
        (RM, format!("role {word} <@U1>"), "is not a role"),
        (
            RM,
            format!("role on-call {mention}"),
            "is not a user mention",
        ),
        (MEMBER, format!("ack INC-{word}"), "is not an incident id"),
        (MEMBER, format!("checklist {word}"), "there is no checklist"),
        (
            MEMBER,
            format!("escalate P2 slow pages --runbook {word}"),
            "has no runbook",
        ),
    ];
    for (user, text, expected) in cases {
        let reply = app.command(user, &text).await;
        assert_eq!(reply.status, 200, "{expected}: {}", reply.body);
        assert_eq!(reply.json()["response_type"], "ephemeral");
        let answer = reply.text();
        assert!(answer.contains(expected), "{answer}");
        assert!(answer.chars().count() < 1_500, "{answer}");
        let blocks = reply.json()["blocks"].to_string();
        assert!(blocks.chars().count() < 3_000, "{blocks}");
    }
}

#[tokio::test]
async fn a_refusal_names_every_release_manager_by_the_one_rule() {
    let app = spawn_app(Options::default()).await;
    let reply = app.command(RM, "role release-manager <@U0OTHER>").await;
    assert!(reply.text().contains("is now held by"), "{}", reply.text());
    let refused = app.command(MEMBER, "launch-date 2026-04-01").await.body;
    assert!(refused.contains("<@U0OTHER>"), "{refused}");
    assert!(
        refused.contains(&format!("<@{RM}>")),
        "configured release managers stay release managers: {refused}"
    );
    let still = app.command(RM, "launch-date 2026-04-01").await.text();
    assert!(still.contains("L-Day is now 2026-04-01"), "{still}");
}
