//! The rollout against in-process fakes of Unleash and Prometheus: steps applied as people
//! confirm them, read back and shown in place; errors, outages, guards that fail or cannot be
//! read, a hand-made change, a restart mid-apply, and the `/golive rollout` commands.

use chrono::TimeDelta;
use golive::config::{RolloutConfig, Secret};
use serde_json::json;

use crate::fake_flags::{Answer, FakePrometheus, FakeUnleash, ADMIN_TOKEN, CLIENT_TOKEN};
use crate::fake_slack::Message;
use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

const FLAG: &str = "summit-v4";
const ERROR_RATE: &str =
    r#"sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#;
const P99: &str =
    "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))";
/// In the fake workspace's `sre` user group.
const SRE: &str = "U0SRE1";

struct Rig {
    app: TestApp,
    unleash: FakeUnleash,
    prometheus: FakePrometheus,
    options: Options,
}

fn healthy(prometheus: &FakePrometheus) {
    prometheus.answer(ERROR_RATE, Answer::Value("0.002".into()));
    prometheus.answer(P99, Answer::Value("0.21".into()));
}

/// L-Day 08:59 with the flag created on the fake Unleash and healthy guards.
async fn rig_with(token: &str, flags: bool) -> Rig {
    rig_of(token, flags, Vec::new()).await
}

async fn rig_of(token: &str, flags: bool, plans: Vec<std::path::PathBuf>) -> Rig {
    let unleash = FakeUnleash::start().await;
    unleash.create_flag(FLAG);
    let prometheus = FakePrometheus::start().await;
    healthy(&prometheus);
    let options = Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", "08:59"),
        rollout: RolloutConfig {
            unleash_url: flags.then(|| unleash.url.clone()),
            unleash_token: flags.then(|| Secret::new(token)),
            prometheus_url: flags.then(|| prometheus.url.clone()),
        },
        plans,
        ..Options::default()
    };
    let app = spawn_app(options.clone()).await;
    Rig {
        app,
        unleash,
        prometheus,
        options,
    }
}

async fn rig() -> Rig {
    rig_with(ADMIN_TOKEN, true).await
}

/// The post carrying the step of `percent`, once its time has come.
fn step_post(app: &TestApp, percent: u8) -> Message {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| {
            m.blocks.to_string().contains("rollout.state")
                && m.text.contains(&format!("Rollout step {percent}%"))
        })
        .unwrap_or_else(|| panic!("no post of the {percent}% step"))
}

fn value(app: &TestApp, percent: u8) -> String {
    json!({"p": percent, "l": app.state.release.id}).to_string()
}

fn has_buttons(message: &Message) -> bool {
    message.blocks.to_string().contains("rollout.apply")
}

/// A click on a step's button, and everything it starts, settled.
async fn click_step(app: &TestApp, user: &str, percent: u8, action: &str) -> String {
    let post = step_post(app, percent);
    app.click(user, &post, "rollout.actions", action, &value(app, percent))
        .await;
    app.settled().await;
    app.run_due_jobs().await;
    app.settled().await;
    let mine: Vec<String> = app
        .fake
        .ephemerals()
        .into_iter()
        .filter(|e| e.user == user)
        .map(|e| e.text)
        .collect();
    mine.last().cloned().unwrap_or_default()
}

fn thread_of(app: &TestApp, post: &Message) -> Vec<String> {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(post.ts.as_str()))
        .map(|m| m.text)
        .collect()
}

fn golives_strategies(rig: &Rig) -> Vec<crate::fake_flags::Strategy> {
    rig.unleash.production(FLAG).strategies
}

async fn to(app: &TestApp, time: &str) {
    app.advance_to(pacific("2026-03-10", time)).await;
    app.settled().await;
}

#[tokio::test]
async fn apply_by_the_team_sets_the_flag_reads_it_back_and_updates_the_post_in_place() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    let post = step_post(app, 10);
    assert!(
        post.text
            .starts_with("Launch-day milestone · L: Feature flag gradual enable (10%)"),
        "the milestone's own post carries the step: {}",
        post.text
    );
    assert!(has_buttons(&post), "{}", post.blocks);
    assert!(post.blocks.to_string().contains("Apply 10%"));
    let posts_before = app.fake.messages(CHANNEL).len();
    assert!(rig.unleash.writes().is_empty());

    let answer = click_step(app, SRE, 10, "rollout.apply").await;
    assert!(answer.contains("Applying 10%"), "{answer}");
    let state = rig.unleash.production(FLAG);
    assert!(state.enabled);
    assert_eq!(state.strategies.len(), 1, "{:?}", state.strategies);
    assert_eq!(
        state.strategies[0].title.as_deref(),
        Some("golive gradual rollout")
    );
    assert_eq!(state.strategies[0].rollout, "10");
    // The strategy is added before the environment is switched on (else Unleash adds its own).
    let writes = rig.unleash.writes();
    assert_eq!(
        writes,
        vec![
            format!("POST {FLAG}/production/strategies"),
            format!("POST {FLAG}/production/on")
        ]
    );
    let updated = app.message(&post.ts);
    assert!(updated.edited);
    assert!(
        updated.text.contains("Rollout step 10%: applied by U0SRE1")
            && updated.text.contains("read back 10%"),
        "{}",
        updated.text
    );
    assert!(!has_buttons(&updated), "no Apply once applied");
    let thread = thread_of(app, &post);
    assert!(
        thread
            .iter()
            .any(|t| t.contains("Step 10%: applied by U0SRE1") && t.contains("reads 10%")),
        "{thread:#?}"
    );
    assert_eq!(
        app.fake.messages(CHANNEL).len(),
        posts_before + 1,
        "one post for the step: the milestone's (and one note in its thread)"
    );
    let audit = app.audit().await;
    assert!(audit.iter().any(|e| e.action == "rollout-apply"));

    // The next step's percentage is set on the same strategy.
    to(app, "11:00").await;
    click_step(app, RM, 25, "rollout.apply").await;
    let state = rig.unleash.production(FLAG);
    assert_eq!(state.strategies.len(), 1);
    assert_eq!(state.strategies[0].rollout, "25");
    let again = click_step(app, RM, 25, "rollout.apply").await;
    assert!(again.contains("applied already"), "{again}");

    let list = app.command(MEMBER, "rollout").await.text();
    for line in [
        "10% at Tue 2026-03-10 09:00 PDT: applied by U0SRE1",
        "25% at Tue 2026-03-10 11:00 PDT: applied by U0RELMGR",
        "50% at Tue 2026-03-10 14:00 PDT: pending",
        "golive last set 25%",
        "reads 25%",
    ] {
        assert!(list.contains(line), "`{line}` in {list}");
    }
}

#[tokio::test]
async fn someone_outside_the_team_is_told_who_may_and_nothing_changes() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    let answer = click_step(app, MEMBER, 10, "rollout.apply").await;
    assert!(
        answer.contains("Only release managers and SRE can apply a rollout step"),
        "{answer}"
    );
    let told = app
        .fake
        .ephemerals()
        .into_iter()
        .last()
        .unwrap()
        .blocks
        .to_string();
    assert!(
        told.contains("<@U0RELMGR>") && told.contains("<@U0SRE1>"),
        "{told}"
    );
    let held = click_step(app, MEMBER, 10, "rollout.hold").await;
    assert!(held.contains("Only release managers and SRE"), "{held}");
    assert!(rig.unleash.writes().is_empty());
    assert!(has_buttons(&step_post(app, 10)));
    let refused = app.command(MEMBER, "rollout set 50%").await.text();
    assert!(
        refused.contains("Only release managers and SRE can change the rollout"),
        "{refused}"
    );
}

#[tokio::test]
async fn without_a_flag_server_a_step_is_recorded_only_and_the_post_says_so() {
    let rig = rig_with(ADMIN_TOKEN, false).await;
    let app = &rig.app;
    to(app, "09:00").await;
    let post = step_post(app, 10);
    assert!(
        post.text
            .contains("no flag server (steps are recorded only)"),
        "{}",
        post.text
    );
    click_step(app, RM, 10, "rollout.apply").await;
    let updated = app.message(&post.ts);
    assert!(
        updated.text.contains("applied by U0RELMGR"),
        "{}",
        updated.text
    );
    assert!(updated.text.contains("recorded only"), "{}", updated.text);
    assert!(rig.unleash.calls().is_empty());
    let list = app.command(MEMBER, "rollout").await.text();
    assert!(list.contains("no flag server is set"), "{list}");
}

#[tokio::test]
async fn a_token_the_flag_server_refuses_is_said_and_the_step_is_never_reported_applied() {
    for (token, said) in [
        ("wrong-token", "refused the token (401)"),
        (CLIENT_TOKEN, "must be an admin token"),
    ] {
        let rig = rig_with(token, true).await;
        let app = &rig.app;
        to(app, "09:00").await;
        click_step(app, RM, 10, "rollout.apply").await;
        let post = step_post(app, 10);
        let thread = thread_of(app, &post);
        assert!(
            thread
                .iter()
                .any(|t| t.contains("NOT applied") && t.contains(said)),
            "{thread:#?}"
        );
        assert!(!post.text.contains("applied by"), "{}", post.text);
        assert!(has_buttons(&post), "Apply is offered again");
        let told: Vec<Message> = app.fake.messages(RM);
        assert!(
            told.iter().any(|m| m.text.contains("NOT applied")),
            "the release managers are told directly"
        );
        assert!(rig.unleash.writes().is_empty());
        let audit = app.audit().await;
        assert!(audit.iter().any(|e| e.action == "rollout-failed"));
        assert!(!audit.iter().any(|e| e.action == "rollout-apply"));
    }
}

#[tokio::test]
async fn a_missing_flag_is_said_and_nothing_is_created() {
    let rig = rig().await;
    let app = &rig.app;
    rig.unleash.fail_next(&[404]);
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    let thread = thread_of(app, &step_post(app, 10));
    assert!(
        thread.iter().any(|t| t.contains("has no flag `summit-v4`")),
        "{thread:#?}"
    );
    assert!(rig.unleash.writes().is_empty());
}

#[tokio::test]
async fn a_flag_server_outage_is_retried_with_back_off_until_the_step_applies() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    rig.unleash.fail_next(&[503, 502]);
    click_step(app, RM, 10, "rollout.apply").await;
    let post = step_post(app, 10);
    let thread = thread_of(app, &post);
    assert!(
        thread
            .iter()
            .any(|t| t.contains("is not applied yet") && t.contains("HTTP 503")),
        "said once, with when it is tried again: {thread:#?}"
    );
    assert!(!rig.unleash.production(FLAG).enabled);
    assert!(post.text.contains("being applied"), "{}", post.text);
    // 10 s, then 20 s of back-off.
    app.advance(TimeDelta::seconds(10)).await;
    app.advance(TimeDelta::seconds(20)).await;
    app.settled().await;
    let state = rig.unleash.production(FLAG);
    assert!(
        state.enabled && state.strategies[0].rollout == "10",
        "{state:?}"
    );
    let thread = thread_of(app, &post);
    assert_eq!(
        thread
            .iter()
            .filter(|t| t.contains("is not applied yet"))
            .count(),
        1,
        "{thread:#?}"
    );
    assert!(app.message(&post.ts).text.contains("read back 10%"));
}

#[tokio::test]
async fn a_guard_that_cannot_be_read_blocks_the_step_and_says_why() {
    for (answer, said) in [
        (Answer::Value("NaN".into()), "the query returned NaN"),
        (Answer::Empty, "the query returned no data"),
        (Answer::Error(422), "Prometheus refused the query"),
    ] {
        let rig = rig().await;
        let app = &rig.app;
        rig.prometheus.answer(ERROR_RATE, answer);
        to(app, "09:00").await;
        click_step(app, RM, 10, "rollout.apply").await;
        let post = step_post(app, 10);
        let thread = thread_of(app, &post);
        assert!(
            thread.iter().any(|t| t.contains("not applied")
                && t.contains("guard api-error-rate cannot be read")
                && t.contains(said)
                && t.contains("never passes")),
            "{thread:#?}"
        );
        assert!(
            rig.unleash.writes().is_empty(),
            "{:?}",
            rig.unleash.writes()
        );
        assert!(has_buttons(&app.message(&post.ts)));
        let status = app.command(MEMBER, "status").await.text();
        assert!(
            status.contains("guard api-error-rate cannot be read"),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_guard_out_of_bounds_three_times_in_a_row_pauses_pages_on_call_and_goes_back() {
    let rig = rig().await;
    let app = &rig.app;
    app.command(RM, "role on-call <@U0ONCALL>").await;
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    to(app, "11:00").await;
    click_step(app, RM, 25, "rollout.apply").await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "25");
    // A reading out of bounds, one in bounds, then three out: only the last three trip it.
    rig.prometheus
        .answer(ERROR_RATE, Answer::Value("0.05".into()));
    app.advance(TimeDelta::minutes(1)).await;
    healthy(&rig.prometheus);
    app.advance(TimeDelta::minutes(1)).await;
    rig.prometheus
        .answer(ERROR_RATE, Answer::Value("0.05".into()));
    app.advance(TimeDelta::minutes(1)).await;
    app.advance(TimeDelta::minutes(1)).await;
    assert!(!app
        .fake
        .messages(CHANNEL)
        .iter()
        .any(|m| m.text.contains("Rollout paused")));
    app.advance(TimeDelta::minutes(1)).await;
    app.settled().await;
    app.run_due_jobs().await;
    app.settled().await;
    let channel = app.channel_texts();
    let paused: Vec<&String> = channel
        .iter()
        .filter(|t| t.contains("Rollout paused"))
        .collect();
    assert_eq!(paused.len(), 1, "{channel:#?}");
    for part in [
        "Guard api-error-rate out of bounds 3 times in a row: 0.05 (must be below 0.01)",
        ERROR_RATE,
        "previous step's 10%",
    ] {
        assert!(paused[0].contains(part), "`{part}` in {}", paused[0]);
    }
    assert_eq!(golives_strategies(&rig)[0].rollout, "10", "back a step");
    let incidents = app.command(MEMBER, "incidents").await.text();
    assert!(incidents.contains("INC-1 P1"), "{incidents}");
    assert!(
        channel
            .iter()
            .any(|t| t.contains("Paging L1 Engineering On-Call for INC-1: U0ONCALL")),
        "on-call is paged: {channel:#?}"
    );
    assert!(
        channel
            .iter()
            .any(|t| t.contains("INC-1 runbook: Performance Issues Under Load")),
        "{channel:#?}"
    );
    let status = app.command(MEMBER, "status").await.text();
    assert!(status.contains("rollout paused"), "{status}");
    // Paused: the next step is not applied.
    to(app, "14:00").await;
    click_step(app, RM, 50, "rollout.apply").await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "10");
    let thread = thread_of(app, &step_post(app, 50));
    assert!(
        thread.iter().any(|t| t.contains("the rollout is paused")),
        "{thread:#?}"
    );
    // Resumed, healthy: it is.
    healthy(&rig.prometheus);
    let resumed = app.command(RM, "rollout resume").await.text();
    assert!(resumed.contains("resumed"), "{resumed}");
    click_step(app, RM, 50, "rollout.apply").await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "50");
}

#[tokio::test]
async fn a_change_made_by_hand_is_shown_and_the_next_step_asks_again_before_it_applies() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    rig.unleash.set_by_hand(FLAG, "40");
    let list = app.command(MEMBER, "rollout").await.text();
    assert!(
        list.contains("golive last set 10%") && list.contains("reads 40% (changed outside golive"),
        "{list}"
    );
    to(app, "11:00").await;
    click_step(app, SRE, 25, "rollout.apply").await;
    assert_eq!(
        golives_strategies(&rig)[0].rollout,
        "40",
        "not applied over it unasked"
    );
    let thread = thread_of(app, &step_post(app, 25));
    assert!(
        thread
            .iter()
            .any(|t| t.contains("reads 40%, but golive last set 10%") && t.contains("Ask again")),
        "{thread:#?}"
    );
    let status = app.command(MEMBER, "status").await.text();
    assert!(status.contains("changed outside golive"), "{status}");
    click_step(app, SRE, 25, "rollout.apply").await;
    assert_eq!(
        golives_strategies(&rig)[0].rollout,
        "25",
        "asked again: applied"
    );
}

#[tokio::test]
async fn a_call_whose_answer_was_lost_is_reconciled_after_a_restart_without_setting_again() {
    let Rig {
        app,
        unleash,
        options,
        prometheus: _prometheus,
    } = rig().await;
    to(&app, "09:00").await;
    // The strategy is added but its answer is lost: golive cannot know it landed.
    unleash.lose_answers(&[502]);
    click_step(&app, RM, 10, "rollout.apply").await;
    let post = step_post(&app, 10);
    assert_eq!(unleash.production(FLAG).strategies.len(), 1);
    assert!(!app.message(&post.ts).text.contains("applied by"));
    let writes = unleash.writes().len();
    // golive stops and starts again before the retry.
    let app = app.restart(options).await;
    app.advance(TimeDelta::seconds(10)).await;
    app.settled().await;
    let state = unleash.production(FLAG);
    assert_eq!(
        state.strategies.len(),
        1,
        "never a second strategy: {state:?}"
    );
    assert!(
        state.enabled && state.strategies[0].rollout == "10",
        "{state:?}"
    );
    assert_eq!(
        unleash.writes().len(),
        writes + 1,
        "only what was missing (switching on): {:?}",
        unleash.writes()
    );
    assert!(app.message(&post.ts).text.contains("read back 10%"));
    // And once it is at the target, a retried change reads and does nothing more.
    let changes_before = unleash.writes().len();
    let again = click_step(&app, RM, 10, "rollout.apply").await;
    assert!(again.contains("applied already"), "{again}");
    assert_eq!(unleash.writes().len(), changes_before);
}

#[tokio::test]
async fn pause_resume_set_back_and_kill_are_audited_posted_and_shown() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    let paused = app
        .command(SRE, "rollout pause error budget burning")
        .await
        .text();
    assert!(paused.contains("The rollout is paused"), "{paused}");
    let status = app.command(MEMBER, "status").await.text();
    assert!(
        status.contains("rollout paused (error budget burning) by U0SRE1"),
        "{status}"
    );
    let again = app.command(RM, "rollout pause").await.text();
    assert!(again.contains("paused already"), "{again}");
    // While paused, going forward is refused by the flag's job; going back and off are not.
    app.command(RM, "rollout set 60%").await;
    app.run_due_jobs().await;
    app.settled().await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "10");
    assert!(app
        .channel_texts()
        .iter()
        .any(|t| t.contains("The rollout set to 60%: not applied: the rollout is paused")));
    app.command(RM, "rollout resume").await;
    app.command(RM, "rollout set 60%").await;
    app.run_due_jobs().await;
    app.settled().await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "60");
    let back = app.command(RM, "rollout back").await.text();
    assert!(back.contains("Going back to 50%"), "{back}");
    app.run_due_jobs().await;
    app.settled().await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "50");
    app.command(RM, "rollout kill").await;
    app.run_due_jobs().await;
    app.settled().await;
    let state = rig.unleash.production(FLAG);
    assert!(!state.enabled, "killed: the environment is off");
    let list = app.command(MEMBER, "rollout").await.text();
    assert!(list.contains("golive last set off"), "{list}");
    let channel = app.channel_texts();
    for said in [
        "Rollout paused by U0SRE1: error budget burning",
        "Rollout resumed by U0RELMGR",
        "U0RELMGR sets the rollout to 60% (from 10%)",
        "U0RELMGR takes the rollout back to 50% (from 60%)",
        "U0RELMGR switches the feature flag off",
        "The feature flag switched off: applied by U0RELMGR",
    ] {
        assert!(
            channel.iter().any(|t| t.contains(said)),
            "`{said}` in {channel:#?}"
        );
    }
    let actions: Vec<String> = app.audit().await.into_iter().map(|e| e.action).collect();
    for action in [
        "rollout-pause",
        "rollout-resume",
        "rollout-request",
        "rollout-apply",
        "rollout-blocked",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    for bad in ["rollout set 150%", "rollout set", "rollout sideways"] {
        let answer = app.command(RM, bad).await.text();
        assert!(
            answer.contains("Usage") || answer.contains("usage"),
            "{bad}: {answer}"
        );
    }
}

#[tokio::test]
async fn hold_keeps_a_step_and_a_waiting_step_is_reminded_once() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    let held = click_step(app, SRE, 10, "rollout.hold").await;
    assert!(held.contains("10% is held"), "{held}");
    let post = app.message(&step_post(app, 10).ts);
    assert!(post.text.contains("held by U0SRE1"), "{}", post.text);
    assert!(has_buttons(&post), "Apply still applies a held step");
    to(app, "11:00").await;
    // The 25% step waits; fifteen minutes later, one reminder in its thread.
    to(app, "11:15").await;
    to(app, "11:45").await;
    let thread = thread_of(app, &step_post(app, 25));
    assert_eq!(
        thread
            .iter()
            .filter(|t| t.contains("still waiting for confirmation"))
            .count(),
        1,
        "{thread:#?}"
    );
    assert!(
        thread_of(app, &step_post(app, 10))
            .iter()
            .all(|t| !t.contains("still waiting")),
        "a held step is not reminded"
    );
    // Applying 25% skips the held 10% step.
    click_step(app, RM, 25, "rollout.apply").await;
    let list = app.command(MEMBER, "rollout").await.text();
    assert!(
        list.contains("10% at Tue 2026-03-10 09:00 PDT: skipped"),
        "{list}"
    );
}

#[tokio::test]
async fn a_runbook_step_going_back_sets_the_previous_percentage_on_the_flag_server() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    to(app, "11:00").await;
    click_step(app, RM, 25, "rollout.apply").await;
    app.command(
        MEMBER,
        "escalate P1 p99 over a second --runbook performance",
    )
    .await;
    app.run_due_jobs().await;
    app.settled().await;
    let runbook = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("INC-1 runbook"))
        .expect("the runbook checklist");
    let first = json!({"n": 1, "s": 0, "l": app.state.release.id}).to_string();
    app.click(RM, &runbook, "step:1", "runbook.step_done", &first)
        .await;
    app.settled().await;
    app.run_due_jobs().await;
    app.settled().await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "10");
    let status = app.command(MEMBER, "status").await.text();
    assert!(status.contains("rollout paused for INC-1"), "{status}");
}

/// The rig's settings with a plan whose 10% step is applied by golive at its time.
async fn auto_rig(dir: &std::path::Path) -> Rig {
    let source = golive::domain::plan::EMBEDDED_SOURCE.replacen(
        "percent = 10\nat = \"L 09:00\"\n",
        "percent = 10\nat = \"L 09:00\"\nauto = true\n",
        1,
    );
    assert!(source.contains("auto = true"));
    let path = dir.join("auto.toml");
    std::fs::write(&path, source).unwrap();
    rig_of(ADMIN_TOKEN, true, vec![path]).await
}

#[tokio::test]
async fn an_auto_step_applies_itself_at_its_time_unless_the_rollout_is_paused() {
    let dir = tempfile::tempdir().unwrap();
    let rig = auto_rig(dir.path()).await;
    let app = &rig.app;
    to(app, "09:00").await;
    app.run_due_jobs().await;
    app.settled().await;
    assert_eq!(golives_strategies(&rig)[0].rollout, "10");
    let post = step_post(app, 10);
    assert!(post.text.contains("applied by golive"), "{}", post.text);

    let dir = tempfile::tempdir().unwrap();
    let rig = auto_rig(dir.path()).await;
    let app = &rig.app;
    app.command(RM, "rollout pause waiting on the press").await;
    to(app, "09:00").await;
    app.run_due_jobs().await;
    app.settled().await;
    assert!(
        rig.unleash.writes().is_empty(),
        "{:?}",
        rig.unleash.writes()
    );
    let post = step_post(app, 10);
    assert!(has_buttons(&post), "a person applies it once resumed");
    assert!(thread_of(app, &post)
        .iter()
        .any(|t| t.contains("not applied: the rollout is paused")));
}

#[tokio::test]
async fn the_launch_record_has_every_rollout_change_and_guard_reading() {
    use golive::record::{build, render, Format};
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    click_step(app, RM, 10, "rollout.apply").await;
    rig.prometheus
        .answer(ERROR_RATE, Answer::Value("0.05".into()));
    for _ in 0..3 {
        app.advance(TimeDelta::minutes(1)).await;
    }
    app.settled().await;
    app.run_due_jobs().await;
    let record = build(&app.state.db, &app.state.release.plan())
        .await
        .unwrap();
    let markdown = render(&record, Format::Markdown).unwrap();
    for line in [
        "step 10% to 10% asked by U0RELMGR: applied (read back 10%)",
        "guard to 0% asked by golive: applied (read back 0%)",
        "api-error-rate = 0.05 out of bounds 3 times in a row",
    ] {
        assert!(markdown.contains(line), "`{line}` in {markdown}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&render(&record, Format::Json).unwrap()).unwrap();
    assert_eq!(
        json["guards"].as_array().unwrap().len(),
        2 + 3 * 2,
        "{}",
        json["guards"]
    );
}

#[tokio::test]
async fn a_step_post_left_behind_by_a_failed_update_shows_the_store_after_a_restart() {
    let Rig {
        app,
        unleash,
        options,
        prometheus: _prometheus,
    } = rig().await;
    to(&app, "09:00").await;
    let post = step_post(&app, 10);
    // Both updates (to "being applied", then to "applied") are refused.
    for _ in 0..2 {
        app.fake.fail_next(
            "chat.update",
            crate::fake_slack::Fault::ApiError("internal_error".into()),
        );
    }
    click_step(&app, RM, 10, "rollout.apply").await;
    assert_eq!(unleash.production(FLAG).strategies[0].rollout, "10");
    let behind = app.message(&post.ts);
    assert!(
        !behind.text.contains("applied by"),
        "the update failed: {}",
        behind.text
    );
    let app = app.restart(options).await;
    // The start-up refresh runs once the launch's Slack names are resolved.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        app.settled().await;
        let shown = app.message(&post.ts);
        if shown.text.contains("Rollout step 10%: applied by U0RELMGR") && !has_buttons(&shown) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", shown.text);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_note_is_neither_doubled_when_its_answer_is_lost_nor_lost_when_slack_fails() {
    let rig = rig().await;
    let app = &rig.app;
    to(app, "09:00").await;
    // The note is stored by Slack, but golive never hears back.
    app.fake
        .fail_next_to(CHANNEL, crate::fake_slack::Fault::DropAfterStore);
    app.command(SRE, "rollout pause press embargo").await;
    app.run_due_jobs().await;
    app.advance(TimeDelta::seconds(10)).await;
    app.advance(TimeDelta::seconds(20)).await;
    let said = app
        .channel_texts()
        .into_iter()
        .filter(|t| t.contains("Rollout paused by U0SRE1: press embargo"))
        .count();
    assert_eq!(said, 1, "{:#?}", app.channel_texts());
    // Slack refuses the call (nothing stored, not retried within the call): the note's job
    // sends it again later, so it is not lost.
    app.fake.fail_next_to(
        CHANNEL,
        crate::fake_slack::Fault::ApiError("not_in_channel".into()),
    );
    app.command(SRE, "rollout resume").await;
    app.run_due_jobs().await;
    app.advance(TimeDelta::seconds(10)).await;
    let resumed = app
        .channel_texts()
        .into_iter()
        .filter(|t| t.contains("Rollout resumed by U0SRE1"))
        .count();
    assert_eq!(resumed, 1, "{:#?}", app.channel_texts());
    let audit = app.audit().await;
    assert!(
        audit.iter().any(|e| e.action == "rollout-note"),
        "the note's job finished"
    );
}
