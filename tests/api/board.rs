//! The war-room board over HTTP: the token and its cookie, the page and what it escapes, and
//! the event stream that carries each change. `board_browser.rs` opens it in Chromium.

use std::time::Duration;

use crate::harness::{
    action_value, date, pacific, spawn_app, Options, TestApp, BOARD_TOKEN, CHANNEL, MEMBER,
};

/// L-1 afternoon: the vote can be held and the page has a day to show.
pub async fn vote_day() -> TestApp {
    spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-09", "13:00"),
        ..Options::default()
    })
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn board_path(app: &TestApp) -> String {
    format!("/board/{}", app.state.release.id)
}

pub fn board_cookie() -> String {
    format!("golive_board={BOARD_TOKEN}")
}

/// Opens the vote, held by U0ENG, and votes Go.
pub async fn vote_go(app: &TestApp) {
    app.open_vote_held_by(CHANNEL, "U0ENG").await;
    let vote = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .rfind(|m| m.text.starts_with("Go/no-go vote:"))
        .expect("the vote's post");
    let go = action_value(&vote, "vote.go");
    app.click("U0ENG", &vote, "vote", "vote.go", &go).await;
    app.settled().await;
}

#[tokio::test]
async fn the_board_needs_its_token_and_a_link_with_it_sets_a_cookie_without_keeping_it() {
    let app = vote_day().await;
    let http = client();
    let url = |path: &str| format!("{}{path}", app.address);
    for path in [
        board_path(&app),
        "/board".to_string(),
        format!("{}/events", board_path(&app)),
    ] {
        let bare = http.get(url(&path)).send().await.unwrap();
        assert_eq!(bare.status(), 401, "{path}");
        let wrong = http
            .get(url(&format!("{path}?token=nope")))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let link = http
        .get(url(&format!("{}?token={BOARD_TOKEN}", board_path(&app))))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 303);
    assert_eq!(link.headers()["location"], board_path(&app).as_str());
    let cookie = link.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&board_cookie()) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let page = app
        .get_with_cookie(&board_path(&app), &board_cookie())
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Summit 4.0.0"), "{}", page.body);
    assert!(
        !page.body.contains(BOARD_TOKEN),
        "the page never shows the token"
    );
    for outside in ["http://", "https://", "//cdn", "<link", "src="] {
        assert!(
            !page.body.contains(outside),
            "loads nothing from outside: `{outside}`"
        );
    }
    let unknown = app
        .get_with_cookie("/board/summit-9", &board_cookie())
        .await;
    assert_eq!(unknown.status, 404);
    let every = app.get_with_cookie("/board", &board_cookie()).await;
    assert_eq!(every.status, 200);
    assert!(every
        .body
        .contains(&format!("id=\"launch-{}\"", app.state.release.id)));
}

#[tokio::test]
async fn what_people_typed_is_escaped_on_the_board() {
    let app = vote_day().await;
    app.command(
        MEMBER,
        "escalate P1 <script>alert('x')</script> & \"quotes\"",
    )
    .await;
    app.run_due_jobs().await;
    let page = app
        .get_with_cookie(&board_path(&app), &board_cookie())
        .await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;"),
        "{}",
        page.body
    );
}

/// Reads server-sent events from a response until `done` accepts the events so far.
pub async fn events_until(
    response: &mut reqwest::Response,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&events) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the stream sends within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data: ").or(line.strip_prefix("data:")))
                .collect();
            if block.lines().any(|l| l == "event: board") {
                events.push(serde_json::from_str(&data.join("\n")).unwrap());
            }
        }
    }
    events
}

#[tokio::test]
async fn the_event_stream_sends_the_board_and_then_each_change() {
    let app = vote_day().await;
    let mut stream = client()
        .get(format!("{}{}/events", app.address, board_path(&app)))
        .header("cookie", board_cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let first = events_until(&mut stream, |e| !e.is_empty()).await;
    assert!(first[0]["html"]
        .as_str()
        .unwrap()
        .contains("No vote held yet."));
    assert!(first[0]["now"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-09T20:00:00"));
    vote_go(&app).await;
    let events = events_until(&mut stream, |e| {
        e.iter()
            .any(|e| e["html"].as_str().unwrap().contains("id=\"tally-go\">1<"))
    })
    .await;
    assert!(!events.is_empty());
    assert_eq!(app.state.boards.running(), 1, "one renderer for the launch");
    drop(stream);
    // The renderer ends once nobody watches.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.state.boards.running() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the feed ends");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_screen_joining_a_watched_board_starts_from_golives_time_now() {
    let app = vote_day().await;
    let open = |app: &TestApp| {
        let request = client()
            .get(format!("{}{}/events", app.address, board_path(app)))
            .header("cookie", board_cookie());
        async move { request.send().await.unwrap() }
    };
    let mut first = open(&app).await;
    let seen = events_until(&mut first, |e| !e.is_empty()).await;
    assert!(seen[0]["now"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-09T20:00:00"));
    app.clock.advance(chrono::TimeDelta::seconds(30));
    let mut second = open(&app).await;
    let joined = events_until(&mut second, |e| !e.is_empty()).await;
    assert!(
        joined[0]["now"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-09T20:00:30"),
        "{}",
        joined[0]["now"]
    );
    assert_eq!(app.state.boards.running(), 1, "both screens share one feed");
}
