//! The war-room board in a real headless Chromium: it renders (a screenshot is kept in
//! target/test-artifacts/), a click in Slack shows on the open page within a second without a
//! reload, and the page catches up by itself after golive restarts.

use std::time::Duration;

use crate::board::{board_path, vote_day, vote_go};
use crate::browser::{artifact, Browser};
use crate::harness::{Options, BOARD_TOKEN, MEMBER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_renders_in_a_browser_and_follows_slack_live_across_a_restart() {
    let app = vote_day().await;
    app.command(MEMBER, "escalate P2 <b>docs</b> typo on the pricing page")
        .await;
    app.run_due_jobs().await;
    let browser = Browser::start().await;
    let page = browser.page().await;
    page.goto(&format!(
        "{}{}?token={BOARD_TOKEN}",
        app.address,
        board_path(&app)
    ))
    .await;
    assert_eq!(
        page.url().await,
        format!("{}{}", app.address, board_path(&app)),
        "the token is dropped from the address"
    );
    page.wait_for(
        "document.querySelector('#vote') && document.body.innerText.includes('No vote held yet.')",
        Duration::from_secs(5),
    )
    .await;
    let text = page.body_text().await;
    for part in [
        "Summit 4.0.0",
        "Today",
        "Go / No-Go",
        "Rollout",
        "Open incidents",
        "Success metrics",
    ] {
        assert!(
            text.to_lowercase().contains(&part.to_lowercase()),
            "`{part}` in {text}"
        );
    }
    assert!(
        text.contains("<b>docs</b> typo"),
        "what people typed is shown as text, not markup: {text}"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#incidents b b').length")
            .await,
        0,
        "no markup from a summary"
    );
    // The clock runs on golive's time: 13:00 PDT on L-1.
    page.wait_for(
        "document.getElementById('clock').textContent.includes('13:0')",
        Duration::from_secs(5),
    )
    .await;
    let large = page
        .eval("parseFloat(getComputedStyle(document.body).fontSize)")
        .await;
    assert!(large.as_f64().unwrap() >= 24.0, "large type: {large}");
    page.screenshot(artifact("board.png")).await;

    // A Go clicked in Slack shows on the open page within a second, without a reload.
    vote_go(&app).await;
    let (_, took) = page
        .wait_for(
            "document.getElementById('tally-go')?.textContent === '1'",
            Duration::from_secs(1),
        )
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(page.reloads().await, 0, "updated in place");
    page.screenshot(artifact("board-after-go.png")).await;

    // golive restarts: the page notices, reconnects by itself and catches up.
    let options = Options {
        launch_date: Some(crate::harness::date("2026-03-10")),
        clock_start: crate::harness::pacific("2026-03-09", "13:00"),
        ..Options::default()
    };
    let mut app = app;
    app.shutdown().await;
    page.wait_for(
        "document.body.classList.contains('stale')",
        Duration::from_secs(5),
    )
    .await;
    let app = {
        let dir_app = app;
        dir_app.restart(options).await
    };
    app.command(MEMBER, "escalate P1 checkout errors after restart")
        .await;
    app.run_due_jobs().await;
    page.wait_for(
        "document.body.innerText.includes('checkout errors after restart') && !document.body.classList.contains('stale')",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(page.reloads().await, 0, "caught up without a reload");
    assert!(page.body_text().await.contains("INC-2"));
    let errors: Vec<String> = page
        .console()
        .into_iter()
        .filter(|line| !line.contains("events") && !line.contains("ERR_CONNECTION_REFUSED"))
        .collect();
    assert!(
        errors.is_empty(),
        "nothing else failed on the page: {errors:#?}"
    );
}
