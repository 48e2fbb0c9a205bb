//! The rollout end to end against real servers: the shared Unleash (each test with a flag of its
//! own, created here in project `default` before golive starts; golive never creates flags) and
//! a Prometheus of each test's own scraping an exporter whose traffic the test sets. golive runs
//! on the manual clock against the fake Slack; the flag is read back through Unleash's admin API,
//! guards through Prometheus. Tests wait for data and for golive to settle, never a fixed time.

use std::time::Duration;

use chrono::TimeDelta;
use golive::config::{RolloutConfig, Secret};
use golive::domain::plan::Guard;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::fake_slack::Message;
use crate::harness::{date, pacific, spawn_app, Options, Reply, TestApp, CHANNEL, MEMBER, RM};
use crate::servers::exporter::Exporter;
use crate::servers::prometheus::Prometheus;
use crate::servers::unleash::Unleash;

/// L-Day of every test here (Pacific daylight time since 2026-03-08).
const L_DAY: &str = "2026-03-10";
/// The title golive gives its own gradual rollout strategy.
const STRATEGY_TITLE: &str = "golive gradual rollout";
const ON_CALL: &str = "U0ONCALL";
/// The healthy p99 latency the exporter serves, well inside a histogram bucket: at 50 ms, a
/// bucket's upper bound, the 0.99 quantile sits exactly on the bound and floating-point rounding
/// makes `histogram_quantile` flip between 0.05 and 10 (the highest finite bucket) from one
/// evaluation to the next, which would trip the p99 guard at random.
const LATENCY: f64 = 0.045;
/// How long Prometheus may take to show what the exporter serves.
const DATA_TIMEOUT: Duration = Duration::from_secs(60);

/// One test's servers, flag, plan file and golive settings.
struct Rig {
    unleash: &'static Unleash,
    exporter: Exporter,
    prometheus: Prometheus,
    flag: String,
    options: Options,
    _dir: tempfile::TempDir,
}

/// A flag name nobody else on the shared Unleash uses.
fn unique_flag(test: &str) -> String {
    format!("rollout-real-{test}-{:08x}", rand::random::<u32>())
}

/// The flag's `production` environment as Unleash's admin API shows it.
async fn production(flag: &str) -> Value {
    let (status, feature) = Unleash::shared()
        .admin(
            Method::GET,
            &format!("/projects/default/features/{flag}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "read {flag}: {feature}");
    feature["environments"]
        .as_array()
        .and_then(|envs| envs.iter().find(|e| e["name"] == "production"))
        .cloned()
        .unwrap_or_else(|| panic!("{flag} has no production environment: {feature}"))
}

/// Expects production enabled with exactly one strategy, golive's, at `percent`; returns its id.
async fn assert_one_strategy_at(flag: &str, percent: u8) -> String {
    let env = production(flag).await;
    assert_eq!(env["enabled"], true, "production is on: {env}");
    let strategies = env["strategies"].as_array().cloned().unwrap_or_default();
    assert_eq!(strategies.len(), 1, "exactly one strategy: {env}");
    let strategy = &strategies[0];
    assert_eq!(strategy["name"], "flexibleRollout", "{strategy}");
    assert_eq!(strategy["title"], STRATEGY_TITLE, "{strategy}");
    assert_eq!(
        strategy["parameters"]["rollout"],
        percent.to_string(),
        "{strategy}"
    );
    strategy["id"].as_str().expect("a strategy id").to_string()
}

impl Rig {
    /// Creates the test's flag on the shared Unleash, starts an exporter with healthy traffic
    /// (no errors, [`LATENCY`]) and a Prometheus scraping it, and writes the plan: the embedded one with
    /// this flag. golive starts on L-Day at 08:55 PT.
    async fn new(test: &str) -> Rig {
        let unleash = tokio::task::spawn_blocking(Unleash::shared)
            .await
            .expect("the shared Unleash starts");
        let flag = unique_flag(test);
        let (status, created) = Unleash::shared()
            .admin(
                Method::POST,
                "/projects/default/features",
                Some(json!({"name": flag, "type": "release"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {flag}: {created}");
        let untouched = production(&flag).await;
        assert_eq!(untouched["enabled"], false, "{untouched}");

        let exporter = Exporter::start();
        exporter.set_traffic(100, 0.0, LATENCY);
        let target = exporter.addr();
        let prometheus = tokio::task::spawn_blocking(move || Prometheus::start(target))
            .await
            .expect("prometheus starts");

        let dir = tempfile::tempdir().unwrap();
        let source = golive::domain::plan::EMBEDDED_SOURCE;
        assert!(
            source.contains("flag = \"summit-v4\""),
            "the plan's flag line"
        );
        let plan = dir.path().join("summit-v4.toml");
        std::fs::write(
            &plan,
            source.replacen("flag = \"summit-v4\"", &format!("flag = \"{flag}\""), 1),
        )
        .unwrap();
        let options = Options {
            launch_date: Some(date(L_DAY)),
            clock_start: pacific(L_DAY, "08:55"),
            plans: vec![plan],
            rollout: RolloutConfig {
                unleash_url: Some(unleash.url().to_string()),
                unleash_token: Some(Secret::new(unleash.admin_token())),
                prometheus_url: Some(prometheus.url().to_string()),
            },
            ..Options::default()
        };
        Rig {
            unleash,
            exporter,
            prometheus,
            flag,
            options,
            _dir: dir,
        }
    }

    /// golive on the rig's plan, with `on-call` staffed (the ladder's first level).
    async fn spawn(&self) -> TestApp {
        let app = spawn_app(self.options.clone()).await;
        let staffed = app
            .command(RM, &format!("role on-call <@{ON_CALL}>"))
            .await
            .text();
        assert!(staffed.contains("is now held by"), "{staffed}");
        app
    }

    /// Waits until Prometheus has healthy data for every guard of the plan.
    async fn wait_for_healthy_guards(&self, app: &TestApp) {
        for guard in guards(app) {
            let value = self
                .prometheus
                .wait_for(&guard.query, |v| guard.bound.holds(v), DATA_TIMEOUT)
                .await;
            eprintln!("guard {} reads {value} before the first step", guard.key);
        }
    }

    fn unleash_description(&self) -> String {
        format!("Unleash at {}", self.unleash.url())
    }
}

fn guards(app: &TestApp) -> Vec<Guard> {
    app.state
        .release
        .plan()
        .rollout
        .as_ref()
        .expect("the plan has a rollout")
        .guards
        .clone()
}

fn guard(app: &TestApp, key: &str) -> Guard {
    guards(app)
        .into_iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("no guard {key}"))
}

/// Runs due jobs and lets golive settle: what a click or a tick set off, including the change
/// job of the rollout's lane and the post refreshes after it.
async fn settle(app: &TestApp) {
    app.settled().await;
    app.run_due_jobs().await;
    app.settled().await;
}

/// The launch channel's top-level post carrying the step of `percent`.
fn step_post(app: &TestApp, percent: u8) -> Message {
    let marker = format!("Rollout step {percent}%:");
    let posts: Vec<Message> = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && m.text.contains(&marker))
        .collect();
    assert_eq!(
        posts.len(),
        1,
        "one post carries the {percent}% step: {:#?}",
        app.channel_texts()
    );
    posts.into_iter().next().unwrap()
}

/// The value of a button of a step post's actions block, if the post offers it.
fn button_value(post: &Message, action_id: &str) -> Option<String> {
    post.blocks
        .as_array()?
        .iter()
        .find(|b| b["block_id"] == "rollout.actions")?["elements"]
        .as_array()?
        .iter()
        .find(|e| e["action_id"] == action_id)
        .and_then(|e| e["value"].as_str())
        .map(str::to_string)
}

/// `user` clicks Apply on the step's post as it reads now, and golive settles.
async fn click_apply(app: &TestApp, user: &str, percent: u8) -> Reply {
    let post = step_post(app, percent);
    let value = button_value(&post, "rollout.apply")
        .unwrap_or_else(|| panic!("the {percent}% post offers Apply: {}", post.text));
    let parsed: Value = serde_json::from_str(&value).expect("the value is JSON");
    assert_eq!(parsed["p"], percent, "{value}");
    assert_eq!(parsed["l"], app.state.release.id.as_str(), "{value}");
    let (_, reply) = app
        .click(user, &post, "rollout.actions", "rollout.apply", &value)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    settle(app).await;
    reply
}

/// The texts of a post's thread.
fn thread(app: &TestApp, root: &Message) -> Vec<String> {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(root.ts.as_str()))
        .map(|m| m.text)
        .collect()
}

/// At the step's time its post offers Apply; RM applies it; Unleash reads the percentage with
/// golive's one strategy (the same one as `strategy`, when known), the post says so in place and
/// its thread too. Returns the strategy's id.
async fn apply_step_at(
    rig: &Rig,
    app: &TestApp,
    percent: u8,
    time: &str,
    strategy: Option<&str>,
) -> String {
    app.advance_to(pacific(L_DAY, time)).await;
    app.settled().await;
    let post = step_post(app, percent);
    assert!(
        post.text.contains(&format!(
            "Rollout step {percent}%: waiting for confirmation"
        )),
        "{}",
        post.text
    );
    assert!(
        button_value(&post, "rollout.apply").is_some(),
        "{}",
        post.blocks
    );
    click_apply(app, RM, percent).await;

    let id = assert_one_strategy_at(&rig.flag, percent).await;
    if let Some(known) = strategy {
        assert_eq!(
            id, known,
            "golive found its strategy again instead of adding one"
        );
    }
    let now = app.message(&post.ts);
    assert_eq!(now.ts, post.ts);
    assert!(
        now.text
            .contains(&format!("Rollout step {percent}%: applied by {RM} at "))
            && now.text.contains(&format!(
                "; {} read back {percent}%",
                rig.unleash_description()
            )),
        "the post was updated in place: {}",
        now.text
    );
    assert!(
        button_value(&now, "rollout.apply").is_none(),
        "an applied step offers no Apply: {}",
        now.blocks
    );
    assert_eq!(
        step_post(app, percent).ts,
        post.ts,
        "no second post for the step"
    );
    let said = format!(
        "Step {percent}%: applied by {RM}; {} reads {percent}%.",
        rig.unleash_description()
    );
    let notes = thread(app, &post);
    assert!(
        notes.iter().any(|t| t.contains(&said)),
        "the step's thread says it: {notes:#?}"
    );
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsed_launch_day_applies_10_25_and_50_percent_on_unleash_as_people_confirm() {
    let rig = Rig::new("rehearsed").await;
    let app = rig.spawn().await;
    rig.wait_for_healthy_guards(&app).await;

    // 09:00: the milestone's post carries the 10% step with Apply and Hold.
    app.advance_to(pacific(L_DAY, "09:00")).await;
    app.settled().await;
    let post = step_post(&app, 10);
    assert!(
        post.text.contains("Feature flag gradual enable (10%)"),
        "the 09:00 milestone's own post: {}",
        post.text
    );
    assert!(
        button_value(&post, "rollout.hold").is_some(),
        "{}",
        post.blocks
    );

    // Someone without a role is refused, privately, with who may; Unleash is untouched.
    click_apply(&app, MEMBER, 10).await;
    let told = app.wait_for_ephemerals(MEMBER, 1).await;
    assert!(
        told.iter()
            .any(|t| t.contains("Only release managers and SRE can apply a rollout step")),
        "{told:#?}"
    );
    let blocks = app.fake.ephemerals().last().unwrap().blocks.to_string();
    assert!(
        blocks.contains(&format!("<@{RM}>")),
        "names who may: {blocks}"
    );
    let untouched = production(&rig.flag).await;
    assert_eq!(untouched["enabled"], false, "{untouched}");
    assert_eq!(untouched["strategies"], json!([]), "{untouched}");

    // RM applies 10%: golive's strategy, created before the environment went on.
    let strategy = apply_step_at(&rig, &app, 10, "09:00", None).await;

    // A restart in the middle: golive finds its strategy again by its title.
    let app = app.restart(rig.options.clone()).await;
    assert_eq!(assert_one_strategy_at(&rig.flag, 10).await, strategy);

    apply_step_at(&rig, &app, 25, "11:00", Some(&strategy)).await;
    apply_step_at(&rig, &app, 50, "14:00", Some(&strategy)).await;

    // `/golive rollout`: the three steps applied, by whom, and what Unleash reads now.
    let listed = app.command(MEMBER, "rollout").await.text();
    for (percent, time) in [(10, "09:00"), (25, "11:00"), (50, "14:00")] {
        let line = listed
            .lines()
            .find(|l| l.starts_with(&format!("{percent}% at ")))
            .unwrap_or_else(|| panic!("no {percent}% line: {listed}"));
        assert!(
            line.contains(time) && line.contains(&format!(": applied by {RM} at ")),
            "{line}"
        );
    }
    for percent in [75, 100] {
        let line = listed
            .lines()
            .find(|l| l.starts_with(&format!("{percent}% at ")))
            .unwrap_or_else(|| panic!("no {percent}% line: {listed}"));
        assert!(line.ends_with(": pending"), "{line}");
    }
    assert!(
        listed.contains(&format!(
            "golive last set 50%; {} reads 50%",
            rig.unleash_description()
        )),
        "{listed}"
    );
    assert!(!listed.contains("changed outside golive"), "{listed}");
    let history = app.audit().await;
    let applied: Vec<&str> = history
        .iter()
        .filter(|e| e.action == "rollout-apply")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(applied.len(), 3, "{applied:#?}");
}

/// The top-level "Rollout paused" posts of tripped guards.
fn paused_posts(app: &TestApp) -> Vec<Message> {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && m.text.starts_with("Rollout paused:"))
        .collect()
}

/// The top-level incident posts.
fn incident_posts(app: &TestApp) -> Vec<Message> {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && m.text.starts_with("INC-"))
        .collect()
}

/// One guard reading a minute from now, and the work it sets off (a trip's change back is made
/// by the lane's next job, so golive settles twice).
async fn next_minute(app: &TestApp) {
    app.advance(TimeDelta::minutes(1)).await;
    settle(app).await;
    settle(app).await;
}

/// 10% at 09:00 and 25% at 11:00 applied on healthy traffic, then 5% of requests fail: once
/// Prometheus shows it, the clock moves a minute at a time; the third reading out of bounds
/// trips the error-rate guard (two do not). Returns golive's strategy id.
async fn trip_the_error_rate_after_25(rig: &Rig, app: &TestApp) -> String {
    rig.wait_for_healthy_guards(app).await;
    let strategy = apply_step_at(rig, app, 10, "09:00", None).await;
    apply_step_at(rig, app, 25, "11:00", Some(&strategy)).await;

    rig.exporter.set_traffic(100, 0.05, LATENCY);
    let error_rate = guard(app, "api-error-rate");
    let seen = rig
        .prometheus
        .wait_for(&error_rate.query, |v| v > 0.01, DATA_TIMEOUT)
        .await;
    eprintln!("the error rate reads {seen}");
    for minute in 1..=2 {
        next_minute(app).await;
        assert!(
            paused_posts(app).is_empty(),
            "tripped after {minute} readings"
        );
        assert_one_strategy_at(&rig.flag, 25).await;
    }
    next_minute(app).await;
    assert_eq!(paused_posts(app).len(), 1, "{:#?}", app.channel_texts());
    strategy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_guard_pauses_the_rollout_pages_on_call_and_goes_back_a_step() {
    let rig = Rig::new("failing").await;
    let app = rig.spawn().await;
    let strategy = trip_the_error_rate_after_25(&rig, &app).await;
    let error_rate = guard(&app, "api-error-rate");

    // The post names the guard, its query, the value read and the bound.
    let text = paused_posts(&app)[0].text.clone();
    assert!(
        text.contains("Guard api-error-rate out of bounds 3 times in a row: ")
            && text.contains(&format!("(must be {})", error_rate.bound))
            && text.contains(&format!("Query: {}.", error_rate.query)),
        "{text}"
    );
    let value: f64 = text
        .split("in a row: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a value in {text}"));
    assert!(value > 0.01, "the value read: {value}");
    assert!(
        text.contains("golive sets the previous step's 10%."),
        "{text}"
    );

    // A P1 incident with the Performance runbook, L1 on-call paged.
    let incidents = incident_posts(&app);
    assert_eq!(incidents.len(), 1, "{:#?}", app.channel_texts());
    let incident = &incidents[0];
    assert!(
        incident
            .text
            .starts_with("INC-1 (P1): Guard api-error-rate out of bounds"),
        "{}",
        incident.text
    );
    let in_thread = thread(&app, incident);
    assert!(
        in_thread
            .iter()
            .any(|t| t.starts_with("INC-1 runbook: Performance Issues Under Load")),
        "{in_thread:#?}"
    );
    assert!(
        in_thread.iter().any(|t| t.starts_with(&format!(
            "Paging L1 Engineering On-Call for INC-1: {ON_CALL}"
        ))),
        "{in_thread:#?}"
    );
    let pages: Vec<String> = app
        .fake
        .messages(ON_CALL)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert!(
        pages
            .iter()
            .any(|t| t.starts_with("You are paged (L1 Engineering On-Call) for INC-1 (P1)")),
        "{pages:#?}"
    );
    let listed = app.command(MEMBER, "incidents").await.text();
    assert!(
        listed.contains("INC-1 P1 · L1 Engineering On-Call")
            && listed.contains("Guard api-error-rate out of bounds"),
        "{listed}"
    );

    // Unleash is back at the previous step's 10%, on the same one strategy.
    assert_eq!(assert_one_strategy_at(&rig.flag, 10).await, strategy);
    let said = format!(
        "Back to 10% after a guard tripped: applied by golive; {} reads 10%.",
        rig.unleash_description()
    );
    assert!(
        app.channel_texts().iter().any(|t| t.contains(&said)),
        "{:#?}",
        app.channel_texts()
    );
    let status = app.command(MEMBER, "status").await.text();
    assert!(
        status.contains("rollout paused (Guard api-error-rate out of bounds 3 times in a row")
            && status.contains("`/golive rollout resume` ends it"),
        "{status}"
    );
    assert!(
        status.contains(&format!("rollout of `{}`: golive last set 10%", rig.flag)),
        "{status}"
    );

    // 14:00: the 50% step is posted, but its Apply is blocked while the rollout is paused.
    app.advance_to(pacific(L_DAY, "14:00")).await;
    settle(&app).await;
    let post = step_post(&app, 50);
    click_apply(&app, RM, 50).await;
    let notes = thread(&app, &post);
    assert!(
        notes
            .iter()
            .any(|t| t.contains("Step 50%: not applied: the rollout is paused")),
        "{notes:#?}"
    );
    assert_eq!(assert_one_strategy_at(&rig.flag, 10).await, strategy);
    let now = app.message(&post.ts);
    assert!(
        now.text
            .contains("Rollout step 50%: waiting for confirmation"),
        "{}",
        now.text
    );
    let listed = app.command(MEMBER, "rollout").await.text();
    assert!(
        listed.contains("50% at Tue 2026-03-10 14:00 PDT: waiting for confirmation (paused)")
            || listed.contains("50% at Tue 2026-03-10 14:00 PDT: waiting for confirmation"),
        "{listed}"
    );
    assert!(listed.contains("golive last set 10%"), "{listed}");
}

/// A guard that stays out of bounds after it tripped, while the rollout is paused and its
/// incident is open, trips once: no second pause post, no second incident, no second step back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_still_out_of_bounds_while_the_rollout_is_paused_does_not_trip_again() {
    let rig = Rig::new("still-failing").await;
    let app = rig.spawn().await;
    let strategy = trip_the_error_rate_after_25(&rig, &app).await;
    assert_eq!(assert_one_strategy_at(&rig.flag, 10).await, strategy);
    // Three more readings out of bounds, inside the 25% step's hour of hold.
    for _ in 0..3 {
        next_minute(&app).await;
    }
    let paused: Vec<String> = paused_posts(&app).into_iter().map(|m| m.text).collect();
    let incidents: Vec<String> = incident_posts(&app).into_iter().map(|m| m.text).collect();
    let unleash = production(&rig.flag).await;
    assert!(
        paused.len() == 1 && incidents.len() == 1,
        "the rollout paused once, one incident:\n{paused:#?}\n{incidents:#?}"
    );
    assert_eq!(
        unleash["strategies"][0]["parameters"]["rollout"], "10",
        "the rollout stays at the previous step while paused: {unleash}"
    );
}

/// `/golive status` tells a hand-made change on the flag server from golive's own: right after a
/// step golive applied and read back, there is none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_does_not_call_a_step_golive_applied_a_change_outside_golive() {
    let rig = Rig::new("status").await;
    let app = rig.spawn().await;
    rig.wait_for_healthy_guards(&app).await;
    apply_step_at(&rig, &app, 10, "09:00", None).await;
    let status = app.command(MEMBER, "status").await.text();
    let line = status
        .lines()
        .find(|l| l.contains(&format!("rollout of `{}`", rig.flag)))
        .unwrap_or_else(|| panic!("a rollout line: {status}"));
    assert!(
        !line.contains("changed outside golive"),
        "Unleash reads the 10% golive set and read back: {line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_made_change_on_unleash_is_shown_and_the_next_step_asks_again() {
    let rig = Rig::new("hand-made").await;
    let app = rig.spawn().await;
    rig.wait_for_healthy_guards(&app).await;
    let strategy = apply_step_at(&rig, &app, 10, "09:00", None).await;

    // Someone sets 40 % on Unleash directly.
    let (status, patched) = Unleash::shared()
        .admin(
            Method::PATCH,
            &format!(
                "/projects/default/features/{}/environments/production/strategies/{strategy}",
                rig.flag
            ),
            Some(json!([{"op": "replace", "path": "/parameters/rollout", "value": "40"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_one_strategy_at(&rig.flag, 40).await;

    let listed = app.command(MEMBER, "rollout").await.text();
    assert!(
        listed.contains(&format!(
            "golive last set 10%; {} reads 40% (changed outside golive: the next step asks again)",
            rig.unleash_description()
        )),
        "{listed}"
    );

    // The 25% step's first Apply is blocked, naming the hand-made change.
    app.advance_to(pacific(L_DAY, "11:00")).await;
    settle(&app).await;
    let post = step_post(&app, 25);
    click_apply(&app, RM, 25).await;
    let notes = thread(&app, &post);
    let blocked = format!(
        "Step 25%: not applied: {} reads 40%, but golive last set 10%: someone changed the flag outside golive.",
        rig.unleash_description()
    );
    assert!(notes.iter().any(|t| t.contains(&blocked)), "{notes:#?}");
    assert_one_strategy_at(&rig.flag, 40).await;
    let now = app.message(&post.ts);
    assert!(
        now.text
            .contains("Rollout step 25%: waiting for confirmation"),
        "{}",
        now.text
    );

    // Asked again, it applies 25 % over the hand-made 40 %.
    click_apply(&app, RM, 25).await;
    assert_eq!(assert_one_strategy_at(&rig.flag, 25).await, strategy);
    let now = app.message(&post.ts);
    assert!(
        now.text
            .contains(&format!("Rollout step 25%: applied by {RM} at ")),
        "{}",
        now.text
    );
    let listed = app.command(MEMBER, "rollout").await.text();
    assert!(
        listed.contains(&format!(
            "golive last set 25%; {} reads 25%",
            rig.unleash_description()
        )) && !listed.contains("changed outside golive"),
        "{listed}"
    );
}

/// Unleash lets a strategy be disabled by hand (it then serves nobody, whatever its
/// percentage): golive's strategy disabled is a hand-made change, and the step asked again
/// brings the strategy back on at its percentage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golives_strategy_disabled_by_hand_is_a_hand_made_change() {
    let rig = Rig::new("disabled").await;
    let app = rig.spawn().await;
    rig.wait_for_healthy_guards(&app).await;
    let strategy = apply_step_at(&rig, &app, 10, "09:00", None).await;

    let (status, patched) = Unleash::shared()
        .admin(
            Method::PATCH,
            &format!(
                "/projects/default/features/{}/environments/production/strategies/{strategy}",
                rig.flag
            ),
            Some(json!([{"op": "replace", "path": "/disabled", "value": true}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let env = production(&rig.flag).await;
    assert_eq!(env["strategies"][0]["disabled"], true, "{env}");

    let listed = app.command(MEMBER, "rollout").await.text();
    assert!(
        listed.contains("golive last set 10%;")
            && listed.contains("(changed outside golive: the next step asks again)"),
        "{listed}"
    );

    app.advance_to(pacific(L_DAY, "11:00")).await;
    settle(&app).await;
    let post = step_post(&app, 25);
    click_apply(&app, RM, 25).await;
    let notes = thread(&app, &post);
    assert!(
        notes.iter().any(|t| t.contains("Step 25%: not applied: ")
            && t.contains("but golive last set 10%: someone changed the flag outside golive")),
        "{notes:#?}"
    );
    click_apply(&app, RM, 25).await;
    assert_eq!(assert_one_strategy_at(&rig.flag, 25).await, strategy);
    let env = production(&rig.flag).await;
    assert_eq!(
        env["strategies"][0]["disabled"], false,
        "golive's strategy serves again: {env}"
    );
    let now = app.message(&post.ts);
    assert!(
        now.text
            .contains(&format!("Rollout step 25%: applied by {RM} at ")),
        "{}",
        now.text
    );
}
