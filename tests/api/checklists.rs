//! Checklists as people use them: posted when due, confirmed and reopened by clicks, refused
//! for people outside the owner team, reminded once near the deadline, shown in status.

use golive::slack::action_id::REOPEN_REASON_MODAL;
use serde_json::Value;

use crate::fake_slack::Message;
use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM, SRE_GROUP};

/// Someone in the `sre` user group of the fake workspace.
const SRE: &str = "U0SRE1";

/// The hour before the L-7 checklist is due (L-Day 2026-03-10; L-7 is 2026-03-03 17:00 PST).
fn before_l7() -> Options {
    Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-03", "16:00"),
        ..Options::default()
    }
}

fn item(checklist: &str, item: &str) -> (String, String) {
    (
        format!("item:{item}"),
        format!(r#"{{"c":"{checklist}","i":"{item}"}}"#),
    )
}

/// The latest post of a checklist, found by the start of its fallback text.
fn checklist_post(app: &TestApp, title: &str) -> Message {
    app.fake
        .messages(CHANNEL)
        .into_iter()
        .rfind(|m| m.text.starts_with(title))
        .unwrap_or_else(|| panic!("no checklist {title}"))
}

async fn confirm(app: &TestApp, user: &str, post: &Message, key: &str) {
    let (block, value) = item("l-7", key);
    let (_, reply) = app
        .click(user, post, &block, "checklist.confirm", &value)
        .await;
    assert_eq!(reply.status, 200);
}

async fn l7_posted() -> (TestApp, Message) {
    let app = spawn_app(before_l7()).await;
    app.advance_to(pacific("2026-03-03", "17:00")).await;
    let post = checklist_post(&app, "L-7 Days");
    (app, post)
}

fn item_block<'a>(message: &'a Message, key: &str) -> &'a Value {
    message
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == format!("item:{key}"))
        .unwrap()
}

#[tokio::test]
async fn a_due_checklist_is_posted_with_owner_and_a_confirm_button_per_item() {
    let (app, post) = l7_posted().await;
    assert!(
        post.text
            .starts_with("L-7 Days (One Week Before): 0 of 8 done"),
        "{}",
        post.text
    );
    let metadata = post
        .metadata
        .clone()
        .expect("the post carries its job's tag");
    assert_eq!(metadata["event_payload"]["key"], "checklist:l-7:due");
    let block = item_block(&post, "infrastructure-validated");
    assert!(block["text"]["text"]
        .as_str()
        .unwrap()
        .contains("Owner: SRE"));
    assert_eq!(block["accessory"]["action_id"], "checklist.confirm");
    assert_eq!(
        block["accessory"]["value"],
        r#"{"c":"l-7","i":"infrastructure-validated","l":"summit-4.0.0"}"#
    );
    app.advance_to(pacific("2026-03-03", "18:00")).await;
    let posts = app.fake.messages(CHANNEL);
    assert_eq!(
        posts
            .iter()
            .filter(|m| m.text.starts_with("L-7 Days"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_confirmation_records_who_and_when_and_updates_the_message_in_place() {
    let (app, post) = l7_posted().await;
    app.clock.set(pacific("2026-03-03", "17:20"));
    confirm(&app, SRE, &post, "infrastructure-validated").await;
    let updated = app
        .wait_for_message(&post.ts, |m| m.text.contains("1 of 8 done"))
        .await;
    assert!(updated.edited, "chat.update, not a new post");
    let text = item_block(&updated, "infrastructure-validated")["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains(&format!("done by <@{SRE}>")), "{text}");
    assert!(
        updated.text.contains(&format!(
            "Infrastructure validated (SRE): done by {SRE} at Tue 2026-03-03 17:20 PST"
        )),
        "{}",
        updated.text
    );
    assert_eq!(
        item_block(&updated, "infrastructure-validated")["accessory"]["action_id"],
        "checklist.reopen"
    );
    let audit = app.audit().await;
    assert!(audit.iter().any(|e| e.actor == SRE
        && e.action == "checklist-confirm"
        && e.detail.contains("l-7/infrastructure-validated")));
}

#[tokio::test]
async fn someone_outside_the_owner_team_is_told_who_can_and_nothing_changes() {
    let (app, post) = l7_posted().await;
    confirm(&app, MEMBER, &post, "infrastructure-validated").await;
    let told = app.wait_for_ephemerals(MEMBER, 1).await;
    assert!(told[0].contains("Only SRE"), "{told:?}");
    assert!(told[0].contains("or a release manager"), "{told:?}");
    assert!(told[0].contains("nothing was changed"), "{told:?}");
    let blocks = app.fake.ephemerals()[0].blocks.to_string();
    assert!(
        blocks.contains(&format!("<!subteam^{SRE_GROUP}>")),
        "{blocks}"
    );
    assert!(!app.message(&post.ts).edited);
    assert!(!app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "checklist-confirm"));
}

#[tokio::test]
async fn a_release_manager_may_confirm_any_item() {
    let (app, post) = l7_posted().await;
    confirm(&app, RM, &post, "sales-team-enabled").await;
    let updated = app
        .wait_for_message(&post.ts, |m| m.text.contains("1 of 8 done"))
        .await;
    assert!(updated
        .text
        .contains(&format!("[x] Sales team enabled (Sales): done by {RM}")));
}

#[tokio::test]
async fn reopening_asks_for_a_reason_and_keeps_it_in_the_audit_log() {
    let (app, post) = l7_posted().await;
    confirm(&app, SRE, &post, "monitoring-configured").await;
    let confirmed = app
        .wait_for_message(&post.ts, |m| m.text.contains("1 of 8 done"))
        .await;
    let (block, value) = item("l-7", "monitoring-configured");
    app.click(SRE, &confirmed, &block, "checklist.reopen", &value)
        .await;
    app.fake
        .wait_for_calls("views.open", 1, std::time::Duration::from_secs(5))
        .await;
    let view = app.fake.views_opened()[0].clone();
    assert_eq!(view["callback_id"], REOPEN_REASON_MODAL);

    let empty = app.submit(SRE, &view, "reason", "reason_input", "  ").await;
    assert_eq!(empty.json()["response_action"], "errors");
    assert!(empty.json()["errors"]["reason"]
        .as_str()
        .unwrap()
        .contains("reason"));
    assert!(
        app.message(&post.ts).text.contains("1 of 8 done"),
        "nothing changed"
    );

    let done = app
        .submit(SRE, &view, "reason", "reason_input", "alerts fire twice")
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body, "");
    let reopened = app
        .wait_for_message(&post.ts, |m| m.text.contains("0 of 8 done"))
        .await;
    assert_eq!(
        item_block(&reopened, "monitoring-configured")["accessory"]["action_id"],
        "checklist.confirm"
    );
    let audit = app.audit().await;
    let entry = audit
        .iter()
        .find(|e| e.action == "checklist-reopen")
        .unwrap();
    assert_eq!(entry.actor, SRE);
    assert!(
        entry.detail.contains("alerts fire twice"),
        "{}",
        entry.detail
    );
}

#[tokio::test]
async fn a_click_on_an_old_post_of_a_checklist_changes_nothing() {
    let app = spawn_app(before_l7()).await;
    assert!(app
        .command(MEMBER, "checklist l-7")
        .await
        .text()
        .contains("Posted"));
    let old = checklist_post(&app, "L-7 Days");
    app.command(MEMBER, "checklist l-7").await;
    let latest = checklist_post(&app, "L-7 Days");
    assert_ne!(old.ts, latest.ts);
    confirm(&app, RM, &old, "rollback-tested").await;
    let told = app.wait_for_ephemerals(RM, 1).await;
    assert!(told[0].contains("old post"), "{told:?}");
    assert!(!app.message(&old.ts).edited && !app.message(&latest.ts).edited);
    confirm(&app, RM, &latest, "rollback-tested").await;
    app.wait_for_message(&latest.ts, |m| m.text.contains("1 of 8 done"))
        .await;
}

#[tokio::test]
async fn phase_exit_criteria_are_posted_on_demand_and_unknown_checklists_are_refused() {
    let app = spawn_app(before_l7()).await;
    app.command(MEMBER, "checklist phase-2").await;
    let post = checklist_post(&app, "Phase 2 exit criteria");
    assert!(post.text.contains("0 of"), "{}", post.text);
    let refused = app.command(MEMBER, "checklist l-3").await.text();
    assert!(refused.contains("no checklist `l-3`"), "{refused}");
}

#[tokio::test]
async fn many_clicks_at_once_lose_no_confirmation() {
    let (app, post) = l7_posted().await;
    let keys = [
        "rc-build-approved",
        "all-documentation-complete",
        "marketing-materials-approved",
        "sales-team-enabled",
        "support-team-trained",
        "infrastructure-validated",
        "monitoring-configured",
        "rollback-tested",
    ];
    let app = std::sync::Arc::new(app);
    let mut clicks = Vec::new();
    for round in 0..6 {
        for key in keys {
            let (app, post) = (app.clone(), post.clone());
            let user = if round % 2 == 0 { RM } else { SRE };
            clicks.push(tokio::spawn(async move {
                confirm(&app, user, &post, key).await;
            }));
        }
    }
    for click in clicks {
        click.await.unwrap();
    }
    let done = app
        .wait_for_message(&post.ts, |m| m.text.contains("8 of 8 done"))
        .await;
    assert!(!done.text.contains("[ ]"), "{}", done.text);
    let confirmations = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "checklist-confirm")
        .count();
    assert_eq!(confirmations, 8, "each item confirmed exactly once");
}

#[tokio::test]
async fn owners_of_open_items_are_reminded_once_near_the_deadline_with_a_summary() {
    let (app, post) = l7_posted().await;
    confirm(&app, RM, &post, "rc-build-approved").await;
    app.wait_for_message(&post.ts, |m| m.text.contains("1 of 8 done"))
        .await;
    app.advance_to(pacific("2026-03-03", "21:59")).await;
    assert!(app
        .fake
        .messages(CHANNEL)
        .iter()
        .all(|m| m.thread_ts.is_none()));

    app.advance_to(pacific("2026-03-03", "22:00")).await;
    let messages = app.fake.messages(CHANNEL);
    let thread: Vec<&Message> = messages
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(post.ts.as_str()))
        .collect();
    assert_eq!(thread.len(), 1);
    assert!(
        thread[0]
            .text
            .starts_with("Reminder: 7 item(s) of L-7 Days"),
        "{}",
        thread[0].text
    );
    assert!(!thread[0].text.contains("RC build approved"));
    let mentions = thread[0].blocks.to_string();
    assert!(
        mentions.contains(&format!("<!subteam^{SRE_GROUP}>")),
        "{mentions}"
    );
    let summary = messages.last().unwrap();
    assert!(summary.thread_ts.is_none());
    assert!(
        summary.text.contains("1 of 8 done, 7 still open"),
        "{}",
        summary.text
    );

    app.advance_to(pacific("2026-03-04", "09:00")).await;
    let reminders = app
        .fake
        .messages(CHANNEL)
        .iter()
        .filter(|m| m.text.starts_with("Reminder:"))
        .count();
    assert_eq!(reminders, 1, "one reminder only");
}

#[tokio::test]
async fn status_shows_the_open_items_of_posted_checklists() {
    let (app, post) = l7_posted().await;
    confirm(&app, RM, &post, "rc-build-approved").await;
    app.wait_for_message(&post.ts, |m| m.text.contains("1 of 8 done"))
        .await;
    let status = app.command(MEMBER, "status").await.text();
    assert!(
        status.contains("Open: checklist L-7 Days (One Week Before): 1 of 8 done; open: All documentation complete (Tech Writing)"),
        "{status}"
    );
    assert!(!status.contains("L-1 Day"), "not posted yet: {status}");
}
