//! The war-room board in a real headless Chromium: it renders (a screenshot is kept in
//! target/test-artifacts/), a click in Slack shows on the open page within a second without a
//! reload, and the page catches up by itself after golive restarts.

use std::time::Duration;

use crate::board::{board_path, vote_day, vote_go};
use crate::browser::{artifact, Browser};
use crate::harness::{Options, BOARD_TOKEN, MEMBER};

/// The lowest contrast ratio between any element's text and the nearest background behind it.
const CONTRAST: &str = r#"(() => {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let lowest = { ratio: 21, what: "" };
  for (const el of document.querySelectorAll("body *")) {
    if (!el.childNodes.length || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(behind(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < lowest.ratio) lowest = { ratio, what: el.tagName + "." + el.className + ": " + el.textContent.slice(0, 40) };
  }
  return lowest;
})()"#;

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
    // WCAG AA: every text on the page contrasts 4.5:1 or more with the panel behind it.
    let lowest = page.eval(CONTRAST).await;
    assert!(
        lowest["ratio"].as_f64().unwrap() >= 4.5,
        "AA contrast: {lowest}"
    );
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
