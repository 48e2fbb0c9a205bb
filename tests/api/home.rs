//! golive's Home tab: published when someone opens it, with what is waiting on them first, its
//! buttons doing what the channel's do, and published again after a change.

use std::time::Duration;

use serde_json::{json, Value};

use crate::fake_slack::{self, event_callback};
use crate::harness::{date, pacific, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

/// In the fake workspace's `sre` user group.
const SRE: &str = "U0SRE1";

async fn open_home(app: &TestApp, user: &str, event_id: &str) {
    let opened = json!({"type": "app_home_opened", "user": user, "channel": "D0HOME",
        "tab": "home", "event_ts": "1773150000.000100"});
    let body = event_callback(event_id, opened).to_string();
    let reply = app
        .post_signed(
            "/slack/events",
            "application/json",
            &body,
            chrono::Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.status, 200);
    app.settled().await;
}

/// The last Home published for `user`.
fn home_of(app: &TestApp, user: &str) -> Value {
    app.fake
        .views_published()
        .into_iter()
        .rfind(|(u, _)| u == user)
        .map(|(_, view)| view)
        .unwrap_or_else(|| panic!("no Home published for {user}"))
}

fn button_value(view: &Value, action_id: &str) -> String {
    let text = view.to_string();
    let blocks = view["blocks"].as_array().unwrap();
    blocks
        .iter()
        .flat_map(|b| {
            let mut all: Vec<Value> = b["elements"].as_array().cloned().unwrap_or_default();
            all.push(b["accessory"].clone());
            all
        })
        .find(|e| e["action_id"] == action_id)
        .and_then(|e| e["value"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {action_id} on Home: {text}"))
}

/// A click on a Home button, as Slack sends it: from a view, not a message.
async fn click_home(app: &TestApp, user: &str, action_id: &str, value: &str) {
    let anywhere = fake_slack::Message {
        channel: String::new(),
        ts: String::new(),
        thread_ts: None,
        text: String::new(),
        blocks: Value::Null,
        metadata: None,
        edited: false,
    };
    let mut payload = fake_slack::block_actions_payload(
        user,
        &anywhere,
        "home",
        action_id,
        value,
        &app.fake.response_url("home"),
    );
    payload["container"] = json!({"type": "view", "view_id": "V0HOME"});
    payload["view"] = json!({"id": "V0HOME", "type": "home", "blocks": []});
    if let Some(fields) = payload.as_object_mut() {
        fields.remove("channel");
        fields.remove("message");
    }
    let reply = app.interact(&payload).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    app.settled().await;
}

/// L-1 afternoon: the L-1 checklist posted and the vote open, both waiting on SRE.
async fn l_minus_one() -> TestApp {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-09", "13:00"),
        ..Options::default()
    })
    .await;
    let posted = app.command(RM, "checklist l-1").await.text();
    assert!(!posted.contains("Only"), "{posted}");
    app.open_vote_held_by(CHANNEL, SRE).await;
    app.settled().await;
    app
}

#[tokio::test]
async fn home_shows_what_is_waiting_on_the_person_first_then_the_next_posts() {
    let app = l_minus_one().await;
    open_home(&app, SRE, "Ev0HOME1").await;
    let view = home_of(&app, SRE);
    assert_eq!(view["type"], "home");
    let blocks = view["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 100);
    let text = view.to_string();
    let waiting = text
        .find("Waiting on you")
        .expect("what is waiting comes first");
    let next = text.find("*Next*").expect("the next posts");
    assert!(waiting < next);
    assert!(text.contains("Your go/no-go vote"), "{text}");
    assert!(text.contains("\"vote.go\"") && text.contains("\"vote.nogo\""));
    assert!(
        text.contains("\"checklist.confirm\""),
        "an SRE item of L-1: {text}"
    );
    assert!(
        text.contains("<!date^"),
        "Slack date tokens, local to each reader"
    );
    assert!(text.contains("Rollout of `summit-v4`: 0%"), "{text}");
    assert!(
        text.contains("/board/") && text.contains("sig="),
        "a signed board link"
    );

    open_home(&app, MEMBER, "Ev0HOME2").await;
    let stranger = home_of(&app, MEMBER).to_string();
    assert!(stranger.contains("You take part in none"), "{stranger}");
}

#[tokio::test]
async fn a_button_on_home_does_what_the_channels_does_and_home_follows_the_change() {
    let app = l_minus_one().await;
    open_home(&app, SRE, "Ev0HOME3").await;
    let published = app.fake.views_published().len();
    let go = button_value(&home_of(&app, SRE), "vote.go");
    click_home(&app, SRE, "vote.go", &go).await;
    let vote = golive::storage::votes::latest(
        &mut app.state.db.acquire().await.unwrap(),
        &app.state.release.id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(vote.vote.ballots.len(), 1, "the Home click is a ballot");
    // Home is published again (at most once a second) without the vote waiting.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let view = home_of(&app, SRE).to_string();
        if app.fake.views_published().len() > published && !view.contains("Your go/no-go vote") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Home follows the ballot: {view}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A person who may not: the answer comes as a direct message, and nothing changes.
    let item = button_value(&home_of(&app, SRE), "checklist.confirm");
    click_home(&app, MEMBER, "checklist.confirm", &item).await;
    let told = app.fake.messages(MEMBER);
    assert!(
        told.iter()
            .any(|m| m.text.contains("Only") && m.text.contains("nothing was changed")),
        "{told:?}"
    );
    click_home(&app, SRE, "checklist.confirm", &item).await;
    // The checklist's post in the channel shows the confirmation, as after a click there.
    let checklist = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.edited && m.text.contains("L-1") && m.text.contains(SRE))
        .expect("the L-1 checklist, updated with the confirmation");
    assert!(checklist.thread_ts.is_none());
    let audit = app.audit().await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "checklist-confirm" && e.actor == SRE),
        "{audit:?}"
    );
}
