//! Incidents on the escalation ladder, on the manual clock against the fake Slack.
//!
//! The click rule under test: anyone in the launch channel may acknowledge, escalate, mark and
//! confirm runbook steps; only the owner, an engineering lead or a release manager may resolve.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;

use crate::fake_slack::{self, Fault, Message};
use crate::harness::{spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

const ON_CALL: &str = "U0ONCALL";
const LEAD: &str = "U0LEAD";
const VP: &str = "U0VP";
const EXEC: &str = "U0EXEC";

/// golive with every level of the ladder staffed, except the roles in `vacant`.
async fn staffed_app(vacant: &[&str]) -> TestApp {
    let app = spawn_app(Options::default()).await;
    for (role, user) in [
        ("on-call", ON_CALL),
        ("engineering-lead", LEAD),
        ("vp-engineering", VP),
        ("release-manager", RM),
        ("executive", EXEC),
    ] {
        if !vacant.contains(&role) {
            let reply = app.command(RM, &format!("role {role} <@{user}>")).await;
            assert!(reply.text().contains("is now held by"), "{}", reply.text());
        }
    }
    app
}

/// `/golive <text>` and every job it queued.
async fn run(app: &TestApp, user: &str, text: &str) -> String {
    let reply = app.command(user, text).await.text();
    app.run_due_jobs().await;
    reply
}

/// The incident post in the launch channel.
fn incident_post(app: &TestApp, id: &str) -> Message {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.thread_ts.is_none() && m.text.starts_with(&format!("{id} (")))
        .unwrap_or_else(|| panic!("no post for {id}"))
}

/// The texts of the incident's thread, in order.
fn thread(app: &TestApp, id: &str) -> Vec<String> {
    let root = incident_post(app, id);
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(root.ts.as_str()))
        .map(|m| m.text)
        .collect()
}

/// Direct messages `user` received.
fn dms(app: &TestApp, user: &str) -> Vec<String> {
    app.fake
        .messages(user)
        .into_iter()
        .map(|m| m.text)
        .collect()
}

fn count(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

/// How many audit lines the release has.
async fn audit_len(app: &TestApp) -> usize {
    let mut conn = app.state.db.acquire().await.unwrap();
    golive::storage::audit::list(&mut conn, &app.state.release.id)
        .await
        .unwrap()
        .len()
}

/// `user` clicks a button of `message`, signed, over HTTP; waits until golive has acted on it
/// (an audit line or an ephemeral answer) and its messages went out.
async fn click(
    app: &TestApp,
    user: &str,
    message: &Message,
    block: &str,
    action: &str,
    value: &str,
) {
    let audit_before = audit_len(app).await;
    let ephemerals_before = app.fake.ephemerals().len();
    let payload = fake_slack::block_actions_payload(
        user,
        message,
        block,
        action,
        value,
        &app.fake.response_url("click"),
    );
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let reply = app
        .post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            &body,
            chrono::Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The click is handled after its acknowledgement; wait for that, then for what it queued.
    app.settled().await;
    assert!(
        audit_len(app).await > audit_before || app.fake.ephemerals().len() > ephemerals_before,
        "the click changed something or was answered"
    );
    app.run_due_jobs().await;
    app.settled().await;
}

fn incident_value(n: i64) -> String {
    json!({ "n": n }).to_string()
}

#[tokio::test]
async fn the_full_ladder_pages_l1_to_l4_each_with_its_reason() {
    let app = staffed_app(&[]).await;
    let reply = run(&app, MEMBER, "escalate P1 checkout is slow").await;
    assert!(reply.contains("INC-1 (P1) is open"), "{reply}");
    let post = incident_post(&app, "INC-1");
    assert!(post.text.contains("checkout is slow"), "{}", post.text);
    assert_eq!(
        count(&thread(&app, "INC-1"), "Paging L1 Engineering On-Call"),
        1
    );
    assert_eq!(count(&dms(&app, ON_CALL), "You are paged (L1"), 1);

    app.advance(TimeDelta::minutes(14)).await;
    assert!(dms(&app, LEAD).is_empty(), "not before 15 minutes");
    app.advance(TimeDelta::minutes(1)).await;
    let texts = thread(&app, "INC-1");
    assert_eq!(
        count(
            &texts,
            "escalated to L2 Engineering Lead because nobody acknowledged it within 15 minutes"
        ),
        1,
        "{texts:#?}"
    );
    assert_eq!(count(&dms(&app, LEAD), "You are paged (L2"), 1);

    app.advance(TimeDelta::minutes(30)).await;
    let texts = thread(&app, "INC-1");
    assert_eq!(count(&texts, "escalated to L3"), 1, "{texts:#?}");
    assert_eq!(count(&dms(&app, VP), "You are paged (L3"), 1);
    assert_eq!(count(&dms(&app, RM), "You are paged (L3"), 1);

    app.advance(TimeDelta::hours(5)).await;
    assert!(
        dms(&app, EXEC).is_empty(),
        "L3 waits for customer impact or rollback"
    );
    click(
        &app,
        MEMBER,
        &post,
        "incident",
        "incident.customer_impact",
        &incident_value(1),
    )
    .await;
    let texts = thread(&app, "INC-1");
    assert_eq!(
        count(&texts, "Customer impact recorded for INC-1 by U0MEMBER"),
        1
    );
    assert_eq!(
        count(
            &texts,
            "escalated to L4 Executive Team because customer impact was reported"
        ),
        1,
        "{texts:#?}"
    );
    assert_eq!(count(&dms(&app, EXEC), "You are paged (L4"), 1);

    let mut conn = app.state.db.acquire().await.unwrap();
    let audit = golive::storage::audit::list(&mut conn, &app.state.release.id)
        .await
        .unwrap();
    let escalations: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "incident-escalate")
        .collect();
    assert_eq!(escalations.len(), 3);
    assert_eq!(
        escalations[0].at,
        "2026-03-09T12:15:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
}

#[tokio::test]
async fn a_p0_goes_to_l2_at_once() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P0 payments down").await;
    let texts = thread(&app, "INC-1");
    assert_eq!(count(&texts, "Paging L1"), 1, "{texts:#?}");
    assert_eq!(
        count(
            &texts,
            "escalated to L2 Engineering Lead because it is a P0"
        ),
        1
    );
    assert_eq!(count(&dms(&app, LEAD), "You are paged (L2"), 1);
    assert!(
        dms(&app, VP).is_empty(),
        "one P0 stays at L2: {:?}",
        dms(&app, VP)
    );
}

#[tokio::test]
async fn a_second_p0_sends_the_first_to_l3() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P0 payments down").await;
    run(&app, MEMBER, "escalate P0 login down").await;
    let first = thread(&app, "INC-1");
    assert_eq!(
        count(&first, "INC-1 escalated to L3 VP Engineering + Release Manager because more than one P0 is open"),
        1,
        "{first:#?}"
    );
    assert_eq!(count(&thread(&app, "INC-2"), "escalated to L3"), 1);
    assert_eq!(count(&dms(&app, VP), "You are paged (L3"), 2);
}

#[tokio::test]
async fn an_acknowledgement_stops_the_timers_and_names_the_owner() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P1 search is flaky").await;
    app.advance(TimeDelta::minutes(5)).await;
    let dm = app.fake.messages(ON_CALL).remove(0);
    click(
        &app,
        ON_CALL,
        &dm,
        "page",
        "incident.ack",
        &incident_value(1),
    )
    .await;
    let texts = thread(&app, "INC-1");
    assert_eq!(
        count(
            &texts,
            "INC-1 acknowledged by U0ONCALL, who owns it now; escalation timers stopped."
        ),
        1,
        "{texts:#?}"
    );
    let post = incident_post(&app, "INC-1").blocks.to_string();
    assert!(
        post.contains("At L1 Engineering On-Call · owned by <@U0ONCALL>"),
        "{post}"
    );
    app.advance(TimeDelta::hours(2)).await;
    assert!(dms(&app, LEAD).is_empty(), "{:?}", dms(&app, LEAD));
    let listed = app.command(MEMBER, "incidents").await.text();
    assert!(
        listed.contains("INC-1 P1 · L1 Engineering On-Call · owner U0ONCALL · open 2 h 5 min"),
        "{listed}"
    );
    let again = run(&app, LEAD, "ack INC-1").await;
    assert!(again.contains("already owned by U0ONCALL"), "{again}");
}

#[tokio::test]
async fn a_restart_mid_wait_resumes_with_the_time_left_and_pages_once() {
    let mut app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P1 exports stuck").await;
    app.advance(TimeDelta::minutes(10)).await;
    app.shutdown().await;
    app.clock.advance(TimeDelta::minutes(3));
    let app = app.restart(Options::default()).await;
    app.run_due_jobs().await;
    assert!(dms(&app, LEAD).is_empty(), "2 minutes were left");
    assert_eq!(
        count(&dms(&app, ON_CALL), "You are paged"),
        1,
        "L1 not paged again"
    );
    app.advance(TimeDelta::seconds(119)).await;
    assert!(dms(&app, LEAD).is_empty());
    app.advance(TimeDelta::seconds(1)).await;
    assert_eq!(count(&dms(&app, LEAD), "You are paged (L2"), 1);
    app.advance(TimeDelta::minutes(1)).await;
    assert_eq!(count(&thread(&app, "INC-1"), "escalated to L2"), 1);
}

#[tokio::test]
async fn a_wait_that_ran_out_while_down_escalates_at_start_once() {
    let mut app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P2 typo on pricing page").await;
    app.shutdown().await;
    app.clock.advance(TimeDelta::minutes(50));
    let app = app.restart(Options::default()).await;
    app.run_due_jobs().await;
    let texts = thread(&app, "INC-1");
    assert_eq!(count(&texts, "escalated to L2"), 1, "{texts:#?}");
    assert_eq!(
        count(&texts, "escalated to L3"),
        0,
        "the L2 wait starts when L2 is reached"
    );
    app.advance(TimeDelta::minutes(30)).await;
    assert_eq!(count(&thread(&app, "INC-1"), "escalated to L3"), 1);
    assert_eq!(count(&dms(&app, LEAD), "You are paged"), 1);
}

#[tokio::test]
async fn an_empty_level_is_reported_to_release_managers_and_skipped() {
    let app = staffed_app(&["engineering-lead"]).await;
    run(&app, MEMBER, "escalate P0 data loss").await;
    let texts = thread(&app, "INC-1");
    assert_eq!(
        count(&texts, "Nobody is assigned to L2 Engineering Lead (engineering-lead) for INC-1, so it goes on up. Release managers: U0RELMGR."),
        1,
        "{texts:#?}"
    );
    assert_eq!(
        count(
            &texts,
            "escalated to L3 VP Engineering + Release Manager because nobody is assigned to L2"
        ),
        1,
        "{texts:#?}"
    );
    assert_eq!(count(&dms(&app, RM), "Nobody is assigned to L2"), 1);
    assert_eq!(count(&dms(&app, VP), "You are paged (L3"), 1);
}

#[tokio::test]
async fn the_four_hour_hotfix_clock_reminds_then_reports_a_breach() {
    let app = staffed_app(&[]).await;
    run(
        &app,
        MEMBER,
        "escalate P0 wrong totals --runbook critical-bug",
    )
    .await;
    let texts = thread(&app, "INC-1");
    assert_eq!(
        count(&texts, "INC-1 runbook: Critical Bug Post-Launch"),
        1,
        "{texts:#?}"
    );
    app.advance(TimeDelta::minutes(179)).await;
    assert_eq!(count(&thread(&app, "INC-1"), "Reminder: the hotfix"), 0);
    app.advance(TimeDelta::minutes(1)).await;
    assert_eq!(
        count(
            &thread(&app, "INC-1"),
            "Reminder: the hotfix for INC-1 is due by"
        ),
        1
    );
    app.advance(TimeDelta::hours(1)).await;
    assert_eq!(
        count(
            &thread(&app, "INC-1"),
            "Hotfix deadline breached: INC-1 has no hotfix recorded"
        ),
        1
    );
    app.advance(TimeDelta::hours(20)).await;
    assert_eq!(
        count(
            &thread(&app, "INC-1"),
            "Reminder: hold the post-incident review for INC-1"
        ),
        1
    );
}

#[tokio::test]
async fn a_recorded_hotfix_stops_the_clock_and_a_paused_rollout_shows_in_status() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P0 wrong totals").await;
    let post = incident_post(&app, "INC-1");
    let runbook = json!({"n": 1, "r": "critical-bug"}).to_string();
    click(
        &app,
        MEMBER,
        &post,
        "runbook:critical-bug",
        "incident.runbook",
        &runbook,
    )
    .await;
    let checklist = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("INC-1 runbook"))
        .expect("the checklist is in the thread");
    let step = |s: usize| json!({"n": 1, "s": s}).to_string();
    click(
        &app,
        ON_CALL,
        &checklist,
        "step:2",
        "runbook.step_done",
        &step(1),
    )
    .await;
    let status = app.command(MEMBER, "status").await.text();
    assert!(
        status.contains("rollout paused for INC-1 by U0ONCALL"),
        "{status}"
    );
    assert!(
        status.contains("incident INC-1 P0 at L2, unacknowledged"),
        "{status}"
    );
    // Another person: the fake repeats one action_ts, so a second click of the same user on the
    // same message would look like Slack redelivering the first.
    click(
        &app,
        LEAD,
        &checklist,
        "step:4",
        "runbook.step_done",
        &step(3),
    )
    .await;
    assert_eq!(count(&thread(&app, "INC-1"), "Hotfix recorded."), 1);
    let refreshed = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.ts == checklist.ts)
        .unwrap();
    assert!(
        refreshed
            .text
            .contains("4. Deploy hotfix within 4 hours for P0 (done: U0LEAD"),
        "{}",
        refreshed.text
    );
    app.advance(TimeDelta::hours(5)).await;
    assert_eq!(count(&thread(&app, "INC-1"), "Hotfix deadline breached"), 0);
    assert_eq!(count(&thread(&app, "INC-1"), "Reminder: the hotfix"), 0);

    let refused = run(&app, MEMBER, "rollout resume").await;
    assert!(
        refused.contains("Only release managers, SRE and engineering leads"),
        "{refused}"
    );
    let resumed = run(&app, LEAD, "rollout resume").await;
    assert!(resumed.contains("The rollout is resumed"), "{resumed}");
    assert!(!app
        .command(MEMBER, "status")
        .await
        .text()
        .contains("rollout paused"));
}

#[tokio::test]
async fn resolve_by_someone_who_may_not_is_refused_privately() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P1 emails delayed").await;
    let post = incident_post(&app, "INC-1");
    click(
        &app,
        "U0STRANGER",
        &post,
        "incident",
        "incident.resolve",
        &incident_value(1),
    )
    .await;
    let refusal = app.fake.ephemerals().pop().expect("an ephemeral refusal");
    assert_eq!(refusal.user, "U0STRANGER");
    assert!(
        refusal.text.contains("Only the owner of INC-1 (nobody yet), an engineering lead or a release manager can resolve it"),
        "{}",
        refusal.text
    );
    assert!(app
        .command(MEMBER, "incidents")
        .await
        .text()
        .contains("INC-1"));

    run(&app, ON_CALL, "ack INC-1").await;
    let done = run(&app, ON_CALL, "resolve INC-1 queue drained").await;
    assert!(done.contains("INC-1 resolved by U0ONCALL after"), "{done}");
    let texts = thread(&app, "INC-1");
    assert!(
        texts.last().unwrap().contains("Note: queue drained"),
        "{texts:#?}"
    );
    assert!(app
        .command(MEMBER, "incidents")
        .await
        .text()
        .contains("none"));
    app.advance(TimeDelta::hours(1)).await;
    assert!(
        dms(&app, LEAD).is_empty(),
        "a resolved incident escalates no more"
    );
}

#[tokio::test]
async fn a_page_whose_outcome_was_unknown_is_found_in_the_thread_not_sent_again() {
    let app = staffed_app(&[]).await;
    // The incident post goes out; the first thread note is stored but its answer is lost.
    app.fake
        .fail_next("chat.postMessage", Fault::ServerError(500));
    app.command(MEMBER, "escalate P2 cache misses").await;
    app.run_due_jobs().await;
    app.advance(TimeDelta::seconds(10)).await;
    let before = thread(&app, "INC-1").len();
    assert!(before >= 1);
    app.fake
        .fail_next("chat.postMessage", Fault::DropAfterStore);
    run(&app, ON_CALL, "ack INC-1").await;
    app.advance(TimeDelta::minutes(10)).await;
    let texts = thread(&app, "INC-1");
    assert_eq!(count(&texts, "acknowledged by U0ONCALL"), 1, "{texts:#?}");
    assert_eq!(count(&dms(&app, ON_CALL), "You are paged"), 1);
}

#[tokio::test]
async fn a_slow_slack_in_one_thread_does_not_hold_up_other_pages() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P1 exports stuck").await;
    run(&app, MEMBER, "escalate P1 search results empty").await;
    // From now on Slack takes 3 s to answer each thread note in the launch channel.
    app.fake.slow_down(CHANNEL, Duration::from_secs(3));
    app.clock.advance(TimeDelta::minutes(15));
    golive::scheduler::run_due(&app.state)
        .await
        .expect("scheduler pass");
    // Both incidents' L2 pages arrive by DM while the first thread note still waits for Slack.
    for _ in 0..200 {
        if count(&dms(&app, LEAD), "You are paged (L2") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(count(&dms(&app, LEAD), "You are paged (L2"), 2);
    for id in ["INC-1", "INC-2"] {
        assert_eq!(count(&thread(&app, id), "escalated to L2"), 0, "{id}");
    }
    app.state.scheduler.apart.settled().await;
    for id in ["INC-1", "INC-2"] {
        let texts = thread(&app, id);
        assert_eq!(count(&texts, "escalated to L2"), 1, "{id}: {texts:#?}");
    }
}

#[tokio::test]
async fn simultaneous_commands_on_one_incident_all_get_a_real_answer() {
    let app = staffed_app(&[]).await;
    run(&app, MEMBER, "escalate P1 exports stuck").await;
    let people = ["U0A", "U0B", "U0C", "U0D", "U0E", "U0F", "U0G", "U0H"];
    let replies = futures_util::future::join_all(people.iter().enumerate().map(|(n, user)| {
        let text = if n % 2 == 0 {
            "ack INC-1"
        } else {
            "resolve INC-1"
        };
        app.command(user, text)
    }))
    .await;
    for reply in &replies {
        assert!(
            !reply.text().contains("internal error"),
            "each waits its turn: {}",
            reply.text()
        );
    }
    let acks = replies
        .iter()
        .filter(|r| r.text().contains("acknowledged"))
        .count();
    assert!(
        acks >= 1,
        "{:#?}",
        replies.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_dm_page_whose_outcome_was_unknown_is_found_in_the_dm_not_sent_again() {
    let app = staffed_app(&[]).await;
    // The L1 page reaches the on-call's DM, but its answer is lost.
    app.fake.fail_next_to(ON_CALL, Fault::DropAfterStore);
    run(&app, MEMBER, "escalate P2 slow exports").await;
    assert_eq!(count(&dms(&app, ON_CALL), "You are paged"), 1);
    // The retry looks in the DM (opened by user id) and finds the page there.
    app.advance(TimeDelta::seconds(10)).await;
    app.advance(TimeDelta::seconds(10)).await;
    assert!(app.fake.calls("conversations.open") >= 1);
    assert_eq!(count(&dms(&app, ON_CALL), "You are paged"), 1);
    let mut conn = app.state.db.acquire().await.unwrap();
    let jobs = golive::storage::jobs::list(&mut conn, &app.state.release.id)
        .await
        .unwrap();
    let unfinished: Vec<_> = jobs
        .iter()
        .filter(|j| {
            j.kind == "incident_message" && j.state != golive::storage::jobs::JobState::Done
        })
        .map(|j| &j.key)
        .collect();
    assert!(unfinished.is_empty(), "{unfinished:?}");
}

#[tokio::test]
async fn a_plain_deadline_in_the_plan_reminds_halfway_and_notices_when_passed() {
    let app = staffed_app(&[]).await;
    run(
        &app,
        MEMBER,
        "escalate P2 chat answers slow --runbook llm-outage",
    )
    .await;
    app.advance(TimeDelta::minutes(14)).await;
    assert_eq!(
        count(&thread(&app, "INC-1"), "Reminder: step 2 of INC-1"),
        0
    );
    app.advance(TimeDelta::minutes(1)).await;
    assert_eq!(
        count(
            &thread(&app, "INC-1"),
            "Reminder: step 2 of INC-1, “Customer communication within 30 minutes”, is due by"
        ),
        1
    );
    app.advance(TimeDelta::minutes(15)).await;
    assert_eq!(
        count(
            &thread(&app, "INC-1"),
            "Deadline passed: step 2 of INC-1, “Customer communication within 30 minutes”"
        ),
        1
    );
}

#[tokio::test]
async fn a_confirmed_step_stops_its_deadline_and_reducing_the_flag_pauses_the_rollout() {
    let app = staffed_app(&[]).await;
    run(
        &app,
        MEMBER,
        "escalate P1 checkout slow --runbook llm-outage",
    )
    .await;
    let checklist = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("INC-1 runbook"))
        .expect("the checklist is in the thread");
    let step = |s: usize| json!({"n": 1, "s": s}).to_string();
    click(
        &app,
        ON_CALL,
        &checklist,
        "step:2",
        "runbook.step_done",
        &step(1),
    )
    .await;
    app.advance(TimeDelta::hours(1)).await;
    let texts = thread(&app, "INC-1");
    assert_eq!(count(&texts, "Reminder: step 2"), 0, "{texts:#?}");
    assert_eq!(count(&texts, "Deadline passed"), 0, "{texts:#?}");

    run(
        &app,
        MEMBER,
        "escalate P1 p99 over a second --runbook performance",
    )
    .await;
    let performance = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.text.starts_with("INC-2 runbook"))
        .expect("the performance checklist");
    let first = json!({"n": 2, "s": 0}).to_string();
    click(
        &app,
        LEAD,
        &performance,
        "step:1",
        "runbook.step_done",
        &first,
    )
    .await;
    let texts = thread(&app, "INC-2");
    assert_eq!(
        count(
            &texts,
            "Nothing is applied yet: there is no step to go back to."
        ),
        1,
        "{texts:#?}"
    );
    let status = app.command(MEMBER, "status").await.text();
    assert!(status.contains("rollout paused for INC-2"), "{status}");
    let audit = app.audit().await;
    assert!(audit.iter().any(|e| e.action == "rollout-pause"));
}
