//! The real `golive` binary: plan checks, the rehearsal, and a kill -9 in the middle of a launch.

#[path = "api/plan_files.rs"]
mod plan_files;

#[path = "api/fake_slack/mod.rs"]
#[allow(unused_imports)]
mod fake_slack;

use std::process::{Command, Stdio};
use std::time::Duration;

use fake_slack::FakeSlack;

const GOLIVE: &str = env!("CARGO_BIN_EXE_golive");

fn golive(args: &[&str]) -> std::process::Output {
    Command::new(GOLIVE)
        .args(args)
        .output()
        .expect("golive runs")
}

/// Where `needle` starts in `text`, as 1-based line and column.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let offset = text.find(needle).expect("needle in text");
    let line = text[..offset].matches('\n').count() + 1;
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[test]
fn plan_check_reports_each_problem_with_line_and_column() {
    let shipped = std::fs::read_to_string("deploy/plans/summit-v4.toml").unwrap();
    let broken = shipped
        .replacen("\"America/Los_Angeles\"", "\"America/Los_Angelos\"", 1)
        .replacen("time = \"08:00\"", "time = \"8 o'clock\"", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, &broken).unwrap();

    let output = golive(&["plan", "check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let (zone_line, zone_column) = position(&broken, "\"America/Los_Angelos\"");
    let (time_line, time_column) = position(&broken, "\"8 o'clock\"");
    let prefix = file.display().to_string();
    assert!(
        stderr.contains(&format!("{prefix}:{zone_line}:{zone_column}: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{prefix}:{time_line}:{time_column}: ")),
        "{stderr}"
    );
    assert!(stderr.contains("2 problem(s)"), "{stderr}");
}

#[test]
fn plan_check_reports_a_syntax_error_with_its_position() {
    let output = golive(&["plan", "check", "tests/fixtures/plans/broken.toml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tests/fixtures/plans/broken.toml:1:1: missing field"),
        "{stderr}"
    );
}

#[test]
fn plan_check_reports_a_unicode_minus_in_a_day_instead_of_crashing() {
    let shipped = std::fs::read_to_string("deploy/plans/summit-v4.toml").unwrap();
    let broken = shipped.replacen(
        "deadline = \"L-1 15:00\"",
        "deadline = \"L\u{2212}1 15:00\"",
        1,
    );
    assert_ne!(
        broken, shipped,
        "the shipped plan has the go/no-go deadline"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("minus.toml");
    std::fs::write(&file, &broken).unwrap();

    let output = golive(&["plan", "check", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let (line, column) = position(&broken, "\"L\u{2212}1 15:00\"");
    assert!(
        stderr.contains(&format!(
            "{}:{line}:{column}: day `L\u{2212}1` must look like",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("1 problem(s)"), "{stderr}");
}

#[test]
fn plan_check_accepts_the_shipped_plan() {
    let output = golive(&["plan", "check", "deploy/plans/summit-v4.toml"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ok (Summit 4.0.0, 12 milestones, 4 checklists)"),
        "{stdout}"
    );
}

#[test]
fn plan_show_prints_pacific_and_utc_times() {
    let output = golive(&["plan", "show", "--launch-date", "2026-03-10"]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("Final deployment verification"))
        .expect("milestone listed");
    assert!(
        line.contains("Tue 2026-03-10 06:00 PDT") && line.contains("2026-03-10 13:00 UTC"),
        "{line}"
    );
}

#[test]
fn rehearse_prints_launch_day_posts_as_people_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("rehearsal.db").display());
    let output = golive(&[
        "rehearse",
        "--launch-date",
        "2026-03-10",
        "--clock-speed",
        "20000",
        "--database",
        &database,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout
        .find("Final deployment verification")
        .expect("06:00 milestone");
    let last = stdout
        .find("Extended monitoring begins")
        .expect("18:00 milestone");
    assert!(first < last);
    assert!(stdout.contains("── Tue 2026-03-10 06:0"), "{stdout}");
    assert_eq!(
        stdout.matches("Launch-day milestone").count(),
        12,
        "{stdout}"
    );
}

/// The shipped plan as release `version` in `channel`, written to `dir`.
fn plan_in(dir: &std::path::Path, version: &str, channel: &str) -> String {
    plan_files::plan_file(dir, version, channel, "TBD")
        .display()
        .to_string()
}

#[test]
fn rehearse_runs_every_plan_given_on_one_clock() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("rehearsal.db").display());
    let a = plan_in(dir.path(), "4.1.0", "#v41-launch");
    let b = plan_in(dir.path(), "4.2.0", "#v42-launch");
    let output = golive(&[
        "rehearse",
        "--plan",
        &a,
        "--plan",
        &b,
        "--launch-date",
        "2026-03-10",
        "--clock-speed",
        "20000",
        "--database",
        &database,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Rehearsing Summit 4.1.0 in #v41-launch, Summit 4.2.0 in #v42-launch"),
        "{stdout}"
    );
    for channel in ["v41-launch", "v42-launch"] {
        let milestones = stdout
            .split("── ")
            .filter(|post| post.contains(channel) && post.contains("Launch-day milestone"))
            .count();
        assert_eq!(milestones, 12, "{channel}: {stdout}");
    }
}

#[test]
fn plan_ics_prints_a_calendar_and_asks_for_l_day_while_it_is_tbd() {
    let tbd = golive(&["plan", "ics"]);
    assert_eq!(tbd.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tbd.stderr).contains("--launch-date"));
    let output = golive(&["plan", "ics", "--launch-date", "2026-03-10"]);
    assert!(output.status.success());
    let feed = String::from_utf8_lossy(&output.stdout);
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"), "{feed}");
    assert!(
        feed.contains("SUMMARY:Final deployment verification\r\n"),
        "{feed}"
    );
    assert!(feed.contains("DTSTART:20260310T130000Z\r\n"), "{feed}");
}

#[test]
fn export_writes_a_rehearsed_launchs_record() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("rehearsal.db").display());
    let rehearsed = golive(&[
        "rehearse",
        "--launch-date",
        "2026-03-10",
        "--clock-speed",
        "20000",
        "--until",
        "2026-03-10T18:00:00Z",
        "--database",
        &database,
    ]);
    assert!(rehearsed.status.success());
    let out = dir.path().join("record.md");
    let exported = golive(&[
        "export",
        "--database",
        &database,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let record = std::fs::read_to_string(&out).unwrap();
    assert!(
        record.contains(
            "- 2026-03-10 06:00 PDT — Final deployment verification: posted 2026-03-10 06:0"
        ),
        "{record}"
    );
    let csv = golive(&["export", "--database", &database, "--format", "csv"]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(
        csv.starts_with("time_utc,time_local,release,kind,what,who\n"),
        "{csv}"
    );
    assert!(csv.lines().count() > 5, "{csv}");
    let missing = golive(&["export", "--database", "sqlite:///nonexistent/golive.db"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("There is no database"));
    let format = golive(&["export", "--database", &database, "--format", "pdf"]);
    assert_eq!(format.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&format.stderr).contains("`pdf` is not a format"));
}

#[test]
fn plan_show_prints_each_plan_given() {
    let dir = tempfile::tempdir().unwrap();
    let a = plan_in(dir.path(), "4.1.0", "#v41-launch");
    let b = plan_in(dir.path(), "4.2.0", "#v42-launch");
    let output = golive(&["plan", "show", &a, &b, "--launch-date", "2026-03-10"]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (first, second) = (stdout.find("4.1.0"), stdout.find("4.2.0"));
    assert!(
        matches!((first, second), (Some(a), Some(b)) if a < b),
        "{stdout}"
    );
}

#[test]
fn launch_date_with_several_plans_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("golive.db").display());
    let a = plan_in(dir.path(), "4.1.0", "#v41-launch");
    let b = plan_in(dir.path(), "4.2.0", "#v42-launch");
    let output = Command::new(GOLIVE)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(["--plan", &a, "--plan", &b, "--launch-date", "2026-03-10"])
        .env_remove("SLACK_BOT_TOKEN")
        .output()
        .expect("golive runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--launch-date sets one launch's L-Day, but 2 plans are given"),
        "{stderr}"
    );
    assert!(!dir.path().join("golive.db").exists(), "nothing started");
}

#[test]
fn plan_check_refuses_two_plans_on_one_channel_at_the_second_plans_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = plan_in(dir.path(), "4.1.0", "#v41-launch");
    let b = plan_in(dir.path(), "4.2.0", "#v41-launch");
    let output = golive(&["plan", "check", &a, &b]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let source = std::fs::read_to_string(&b).unwrap();
    let (line, column) = position(&source, "\"#v41-launch\"");
    assert!(
        stderr.contains(&format!(
            "{b}:{line}:{column}: channel #v41-launch is also the launch channel of {a}"
        )),
        "{stderr}"
    );
}

fn serve(fake: &FakeSlack, database: &str, clock_start: &str) -> std::process::Child {
    Command::new(GOLIVE)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--launch-date",
            "2026-03-10",
        ])
        .args(["--clock-start", clock_start, "--clock-speed", "3600"])
        .env("SLACK_BOT_TOKEN", "xoxb-test")
        .env("SLACK_API_URL", fake.api_url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("golive starts")
}

fn count(posts: &[fake_slack::Message], needle: &str) -> usize {
    posts.iter().filter(|m| m.text.contains(needle)).count()
}

#[tokio::test]
async fn kill_9_mid_launch_loses_nothing_and_doubles_nothing() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("golive.db").display());

    // 05:59:30 PDT at 3600×: 06:00 falls due after ~8 ms, 07:00 after ~1 s.
    let mut first = serve(&fake, &database, "2026-03-10T12:59:30Z");
    let posts = fake.wait_for_posts(2, Duration::from_secs(20)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    assert!(
        count(&posts, "Production deployment begins") == 1,
        "{posts:#?}"
    );

    // Back at 08:30 PDT: 08:00 fell due while golive was down.
    let mut second = serve(&fake, &database, "2026-03-10T15:30:00Z");
    let _ = fake.wait_for_posts(5, Duration::from_secs(20)).await; // 08:00 late, standup, 09:00 ×3 …
    let posts = fake.wait_for_posts(6, Duration::from_secs(20)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    for milestone in [
        "Final deployment verification",
        "Production deployment begins",
        "Smoke tests",
    ] {
        assert_eq!(count(&posts, milestone), 1, "{milestone}: {posts:#?}");
    }
    let smoke = posts
        .iter()
        .find(|m| m.text.contains("Smoke tests"))
        .unwrap();
    // At 3600× a few real milliseconds of start-up are minutes of plan time, so allow a margin.
    let late_by = smoke
        .text
        .split("posted late by ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|minutes| minutes.parse::<u32>().ok());
    assert!(matches!(late_by, Some(30..=40)), "{}", smoke.text);
    assert_eq!(
        count(&posts, "Feature flag gradual enable (10%)"),
        1,
        "{posts:#?}"
    );
}

/// `golive serve` on a known port with HTTP commands enabled, against the fake Slack; callers
/// add the clock and the launch date.
fn serve_on(fake: &FakeSlack, database: &str, port: u16) -> Command {
    let mut command = Command::new(GOLIVE);
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database", database])
        .env("SLACK_BOT_TOKEN", "xoxb-test")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("GOLIVE_RELEASE_MANAGERS", "U0RELMGR")
        .env("SLACK_API_URL", fake.api_url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// `golive serve` at 120× from `clock_start`.
fn serve_commands(
    fake: &FakeSlack,
    database: &str,
    port: u16,
    clock_start: &str,
) -> std::process::Child {
    serve_on(fake, database, port)
        .args(["--clock-start", clock_start, "--clock-speed", "120"])
        .spawn()
        .expect("golive starts")
}

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// A signed `/golive <text>` from `user`, once golive answers on `port`.
async fn command(fake: &FakeSlack, port: u16, user: &str, text: &str) {
    let form = fake_slack::slash_command_form(user, "C0LAUNCH", text, &fake.response_url("cmd"));
    let timestamp = chrono::Utc::now().timestamp();
    let signature = fake_slack::sign(SECRET, timestamp, &form);
    for _ in 0..400 {
        let sent = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/slack/commands"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", &signature)
            .body(form.clone())
            .send()
            .await;
        if let Ok(response) = sent {
            assert_eq!(response.status().as_u16(), 200);
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("golive never answered on port {port}");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn kill_9_mid_escalation_wait_resumes_the_wait_and_pages_once() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("golive.db").display());
    let port = free_port();

    // At 120×, the 15-minute L1 wait is 7.5 s of real time.
    let mut first = serve_commands(&fake, &database, port, "2026-03-09T19:00:00Z");
    command(&fake, port, "U0RELMGR", "role on-call <@U0ONCALL>").await;
    command(&fake, port, "U0RELMGR", "role engineering-lead <@U0LEAD>").await;
    command(&fake, port, "U0MEMBER", "escalate P1 disk full").await;
    let paged = |user: &str| fake.messages(user).len();
    for _ in 0..400 {
        if paged("U0ONCALL") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().unwrap(); // SIGKILL, minutes into the 15-minute wait
    first.wait().unwrap();
    assert_eq!(paged("U0ONCALL"), 1);
    assert_eq!(paged("U0LEAD"), 0);

    // Back 13 minutes after the start: at least 2 minutes (1 s) of the wait are left.
    let mut second = serve_commands(&fake, &database, free_port(), "2026-03-09T19:13:00Z");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        paged("U0LEAD"),
        0,
        "the wait resumes; it does not restart or fire early"
    );
    for _ in 0..1_000 {
        if paged("U0LEAD") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(paged("U0LEAD"), 1, "L2 paged once");
    assert_eq!(paged("U0ONCALL"), 1, "L1 not paged again");
}

/// Sends SIGTERM, as systemd or Kubernetes stop a service, and waits for the exit off the
/// runtime, so the fake Slack on it keeps answering while golive finishes its work.
async fn terminate(mut child: std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn sigterm_right_after_a_burst_of_go_clicks_keeps_every_acknowledged_click_and_a_restart_counts_none_twice(
) {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("golive.db").display());
    let port = free_port();
    let golive = serve_on(&fake, &database, port)
        .args([
            "--launch-date",
            "2026-03-10",
            "--clock-start",
            "2026-03-09T16:00:00Z",
        ])
        .spawn()
        .expect("golive starts");
    let voters: Vec<String> = (0..200).map(|n| format!("U0V{n:04}")).collect();
    let mentions: Vec<String> = voters.iter().map(|u| format!("<@{u}>")).collect();
    for role in golive::domain::plan::Plan::embedded().gonogo.voters {
        let text = format!("role {} {}", role.key(), mentions.join(" "));
        command(&fake, port, "U0RELMGR", &text).await;
    }
    command(&fake, port, "U0RELMGR", "gonogo open").await;
    let vote = fake
        .wait_for_posts(1, Duration::from_secs(10))
        .await
        .into_iter()
        .find(|m| m.text.starts_with("Go/no-go vote:"))
        .expect("the vote is posted");
    let value = vote
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap()["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();

    let payloads: Vec<String> = voters
        .iter()
        .enumerate()
        .map(|(n, user)| {
            let mut payload = fake_slack::block_actions_payload(
                user,
                &vote,
                "vote",
                "vote.go",
                &value,
                &fake.response_url("click"),
            );
            payload["actions"][0]["action_ts"] = format!("1700000200.{n:06}").into();
            serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
        })
        .collect();
    assert_eq!(click_all(port, &payloads).await, voters.len());
    // Every click is acknowledged: stop at once.
    let status = terminate(golive).await;
    assert!(status.success(), "a clean stop: {status:?}");
    let count_rows = |sql: &'static str| {
        let database = database.clone();
        async move {
            let options: sqlx::sqlite::SqliteConnectOptions = database.parse().unwrap();
            let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
            n as usize
        }
    };
    const BALLOTS: &str = "SELECT COUNT(*) FROM ballots";
    const BALLOT_ROWS: &str = "SELECT COUNT(*) FROM audit_log WHERE action = 'ballot'";
    assert_eq!(
        count_rows(BALLOTS).await,
        voters.len(),
        "no acknowledged click lost"
    );

    // Slack redelivers a part of the burst to the restarted golive: nothing counts twice.
    let port = free_port();
    let again = serve_on(&fake, &database, port)
        .args(["--clock-start", "2026-03-09T16:01:00Z"])
        .spawn()
        .expect("golive starts again");
    command(&fake, port, "U0RELMGR", "status").await;
    assert_eq!(click_all(port, &payloads[..50]).await, 50);
    let status = terminate(again).await;
    assert!(status.success(), "a clean stop: {status:?}");
    assert_eq!(count_rows(BALLOTS).await, voters.len());
    assert_eq!(
        count_rows(BALLOT_ROWS).await,
        voters.len(),
        "no click stored twice"
    );
    let votes_posted = fake
        .all_posts()
        .iter()
        .filter(|m| m.text.starts_with("Go/no-go vote:"))
        .count();
    assert_eq!(votes_posted, 1, "the vote is not posted again");
}

/// Sends every click form, freshly signed, at once; returns how many were acknowledged.
async fn click_all(port: u16, forms: &[String]) -> usize {
    let client = reqwest::Client::new();
    let clicks = forms.iter().map(|form| {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = fake_slack::sign(SECRET, timestamp, form);
        client
            .post(format!("http://127.0.0.1:{port}/slack/interactivity"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(form.clone())
            .send()
    });
    futures_util::future::join_all(clicks)
        .await
        .into_iter()
        .filter(|click| click.as_ref().is_ok_and(|r| r.status().is_success()))
        .count()
}

#[test]
fn a_launch_date_beyond_year_9999_is_refused_not_a_crash() {
    let output = golive(&["plan", "show", "--launch-date", "+262142-12-31"]);
    assert_eq!(output.status.code(), Some(2), "a usage error, not a panic");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("must be YYYY-MM-DD"), "{stderr}");
}

/// A golive that a failing assertion stops too, instead of leaving it running.
struct Stopped(Option<std::process::Child>);

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The first `n` direct messages to `user`, once there are that many.
async fn direct_messages(fake: &FakeSlack, user: &str, n: usize) -> Vec<fake_slack::Message> {
    for _ in 0..800 {
        let messages = fake.messages(user);
        if messages.len() >= n {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{user} never got {n} direct message(s): {:#?}",
        fake.messages(user)
    );
}

/// Sends `signal` (`-HUP`, `-TERM`) to `child`.
fn signal(child: &std::process::Child, signal: &str) {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
}

#[tokio::test]
async fn sighup_reads_the_plan_again_and_an_invalid_one_changes_nothing() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("golive.db").display());
    let plan = dir.path().join("summit.toml");
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/plans/summit-v4.toml"
    ))
    .unwrap();
    let source = shipped.replacen("launch_date = \"TBD\"", "launch_date = \"2026-03-10\"", 1);
    std::fs::write(&plan, &source).unwrap();
    let port = free_port();
    // 05:00 PDT on L-Day on a real-time clock: nothing falls due while the test runs.
    let mut child = Stopped(Some(
        serve_on(&fake, &database, port)
            .args(["--plan", plan.to_str().unwrap()])
            .args(["--clock-start", "2026-03-10T12:00:00Z"])
            .spawn()
            .expect("golive starts"),
    ));
    command(&fake, port, "U0MEMBER", "status").await;

    let moved = source.replacen(
        "time = \"12:00\"\nactivity = \"Status check\"",
        "time = \"12:30\"\nactivity = \"Status check\"",
        1,
    );
    assert_ne!(moved, source);
    std::fs::write(&plan, &moved).unwrap();
    signal(child.0.as_ref().unwrap(), "-HUP");
    let told = direct_messages(&fake, "U0RELMGR", 1).await;
    let dm = &told[0];
    assert!(
        dm.text.contains(
            "1 moved: Status check (Tue 2026-03-10 12:00 PDT → Tue 2026-03-10 12:30 PDT)"
        ),
        "{}",
        dm.text
    );

    std::fs::write(
        &plan,
        moved.replacen("channel = \"#v4-launch\"", "channel = \"v4\"", 1),
    )
    .unwrap();
    signal(child.0.as_ref().unwrap(), "-HUP");
    let told = direct_messages(&fake, "U0RELMGR", 2).await;
    let refused = &told[1];
    assert!(
        refused.text.contains("could not reload its plans"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains(&format!("{}:", plan.display())),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("must start with #"),
        "{}",
        refused.text
    );

    let status = terminate(child.0.take().unwrap()).await;
    assert!(
        status.success(),
        "golive is still running after both reloads: {status}"
    );
}
