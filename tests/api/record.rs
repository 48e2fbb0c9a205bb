//! The launch record: what happened in a launch, against its plan, as Markdown, CSV and JSON.

use golive::record::{self, Format};

use crate::harness::{date, pacific, spawn_app, Options, MEMBER, PUBLIC_URL, RM};

#[tokio::test]
async fn the_record_holds_posts_incidents_votes_metrics_and_every_audited_event() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        clock_start: pacific("2026-03-10", "05:30"),
        ..Options::default()
    })
    .await;
    app.advance_to(pacific("2026-03-10", "06:05")).await;
    app.command(MEMBER, "escalate P1 checkout | slow, \"badly\"")
        .await;
    app.run_due_jobs().await;
    app.command(MEMBER, "ack INC-1").await;
    app.command(MEMBER, "resolve INC-1 cache warmed").await;
    app.command(RM, "metric set api-error-rate 0.4%").await;
    app.settled().await;

    let plan = app.state.release.plan();
    let launch = record::build(&app.state.db, &plan).await.unwrap();
    let verification = launch
        .timeline
        .iter()
        .find(|p| p.title == "Final deployment verification")
        .unwrap();
    assert_eq!(verification.planned.utc, "2026-03-10T13:00:00Z");
    assert!(verification.posted.is_some());
    assert!(
        launch.timeline.iter().any(|p| p.posted.is_none()),
        "the rest of the day is still to come"
    );
    assert_eq!(launch.incidents.len(), 1);
    assert_eq!(launch.incidents[0].resolved_by.as_deref(), Some(MEMBER));
    assert_eq!(launch.incidents[0].note.as_deref(), Some("cache warmed"));
    let metric = launch
        .metrics
        .iter()
        .find(|m| m.metric == "API error rate <1%")
        .unwrap();
    assert_eq!(
        (metric.actual.as_deref(), metric.verdict.as_str()),
        (Some("0.4%"), "met")
    );

    let markdown = record::render(&launch, Format::Markdown).unwrap();
    assert!(
        markdown.starts_with("# Launch record: Summit 4.0.0"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **INC-1 (P1)** checkout | slow, \"badly\": opened by U0MEMBER"),
        "{markdown}"
    );
    assert!(
        markdown.contains("API error rate <1% — target <1%, actual 0.4% (U0RELMGR): met"),
        "{markdown}"
    );

    let csv = record::render(&launch, Format::Csv).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["time_utc", "time_local", "release", "kind", "what", "who"]
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), launch.audit.len(), "one row per event");
    let escalated = rows
        .iter()
        .find(|r| r[3].starts_with("incident") && r[4].contains("badly"))
        .expect("the incident's opening, quotes and commas kept");
    assert_eq!(&escalated[2], "summit-4.0.0");
    assert!(rows
        .iter()
        .any(|r| &r[3] == "metric" && &r[4] == "api-error-rate = 0.4%"));

    let json: serde_json::Value =
        serde_json::from_str(&record::render(&launch, Format::Json).unwrap()).unwrap();
    assert_eq!(json["release"], "summit-4.0.0");
    assert_eq!(json["incidents"][0]["severity"], "P1");
}

#[tokio::test]
async fn a_release_manager_gets_a_signed_link_valid_for_a_day() {
    let app = spawn_app(Options {
        launch_date: Some(date("2026-03-10")),
        ..Options::default()
    })
    .await;
    let refused = app.command(MEMBER, "export").await.text();
    assert!(
        refused.contains("Only release managers can export the launch record"),
        "{refused}"
    );
    let bad = app.command(RM, "export pdf").await.text();
    assert!(bad.contains("`pdf` is not an export format"), "{bad}");

    let answer = app.command(RM, "export csv").await.text();
    let link = answer
        .split_whitespace()
        .find(|w| w.starts_with(PUBLIC_URL))
        .unwrap_or_else(|| panic!("a link in {answer}"));
    let path = link.trim_start_matches(PUBLIC_URL).replace("&amp;", "&");
    assert!(
        path.starts_with("/export/summit-4.0.0.csv?expires="),
        "{path}"
    );
    assert!(
        !answer.contains(crate::harness::BOARD_TOKEN),
        "the token is never shown"
    );
    let file = app.get(&path).await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.body
            .starts_with("time_utc,time_local,release,kind,what,who"),
        "{}",
        file.body
    );

    let other = path.replace(".csv?", ".md?");
    assert_eq!(
        app.get(&other).await.status,
        401,
        "a link opens only its own file"
    );
    let flipped = if path.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &path[..path.len() - 1]);
    assert_eq!(app.get(&forged).await.status, 401);
    app.advance(chrono::TimeDelta::hours(25)).await;
    assert_eq!(app.get(&path).await.status, 401, "expired after a day");
}
