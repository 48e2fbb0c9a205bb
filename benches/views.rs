//! golive's read-only views, measured on the real release binary (a child process on loopback,
//! driven the way Slack and a war-room screen drive it):
//!
//!     cargo bench --bench views                         # everything, about 1.5 minutes
//!     cargo bench --bench views -- --only board,home    # some parts: board, clicks, streams, home, export
//!
//! Cargo builds `golive` in the bench (release, fat LTO) profile first. The parts:
//! - board: `GET /board/<release>` behind the board cookie on one keep-alive connection, read off
//!   the socket: time to the answer's first byte and to its last; then the same page in a real
//!   headless Chromium (Debian's, over the DevTools protocol: the tests' `browser.rs` driver):
//!   navigation → load event as DevTools reports it, and the page's own Navigation and Paint
//!   Timing (load event end, first contentful paint).
//! - clicks: a board's event stream open (`GET /board/<release>/events`), a go/no-go vote open,
//!   then signed Go clicks one at a time, each from a new voter, sent at a spread of moments
//!   (golive looks at a watched launch every 100 ms): time from sending a click until the `board`
//!   event whose HTML shows the new Go tally arrives.
//! - streams: golive's CPU time (utime + stime from /proc/<pid>/stat) and RSS (/proc/<pid>/status)
//!   during a burst of 1,000 Go clicks, each from a new voter of a 1,000-voter vote (so each one
//!   changes the tally), with 100 board streams open, against the same burst on a golive with no
//!   board open; once as fast as golive acknowledges them, once paced at 250 a second (so the
//!   boards are rendered and sent many times). Each burst runs on a fresh golive, three times
//!   for each case, none and many boards in turn; the medians are compared.
//! - home: signed Events API `app_home_opened` deliveries to `/slack/events`: time until the
//!   fake Slack (the tests' `fake_slack`, in this process) has the `views.publish` for that user.
//! - export: a launch whose audit log has 10,000 rows (`/golive metric set` commands by a
//!   release manager), then `golive export --format md` and `--format csv` on the stopped
//!   golive's database: best and median of 5, rows per second.
//!
//! The load generator, the fake Slack and Chromium share the machine with golive. Run without
//! `--bench` (as `cargo test --benches` does) every part runs at a small size as a smoke test;
//! the exit code is non-zero when a request failed, golive died or a view showed the wrong thing.

#[path = "../tests/api/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "load/client.rs"]
mod client;
#[path = "load/machine.rs"]
mod machine;
// The tests' fake Slack; the bench uses a few of its verbs.
#[allow(unused_imports)]
#[path = "../tests/api/fake_slack/mod.rs"]
mod fake_slack;
#[path = "views/golive.rs"]
mod golive;
#[allow(dead_code)]
#[path = "load/server.rs"]
mod server;
#[path = "../tests/api/servers/mod.rs"]
mod servers;
#[path = "views/wire.rs"]
mod wire;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::{header, Request};

use client::{percentile, Connection};
use golive::{Golive, BOARD_TOKEN};
use server::RELEASE_MANAGER;
use wire::{EventStream, PageClient};

/// How big each part is.
#[derive(Clone, Copy)]
struct Sizes {
    board_warmup: usize,
    board_requests: usize,
    renders: usize,
    clicks: usize,
    streams: usize,
    burst: u64,
    burst_voters: u64,
    pace: u32,
    burst_runs: usize,
    idle_window: Duration,
    homes: usize,
    audit_rows: u64,
    export_runs: usize,
}

const FULL: Sizes = Sizes {
    board_warmup: 20,
    board_requests: 300,
    renders: 20,
    clicks: 60,
    streams: 100,
    burst: 1_000,
    burst_voters: 1_000,
    pace: 250,
    burst_runs: 3,
    idle_window: Duration::from_secs(2),
    homes: 120,
    audit_rows: 10_000,
    export_runs: 5,
};

const SMOKE: Sizes = Sizes {
    board_warmup: 2,
    board_requests: 10,
    renders: 1,
    clicks: 3,
    streams: 5,
    burst: 50,
    burst_voters: 50,
    pace: 500,
    burst_runs: 1,
    idle_window: Duration::from_millis(200),
    homes: 3,
    audit_rows: 200,
    export_runs: 1,
};

/// Voters in the vote: each holds every voting role.
const VOTERS: u64 = 100;
/// Connections a burst of clicks or commands is sent over.
const BURST_CONNECTIONS: usize = 16;
/// The launch channel of the embedded plan, in the fake Slack.
const CHANNEL: &str = "C0LAUNCH";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Board,
    Clicks,
    Streams,
    Home,
    Export,
}

impl Part {
    const ALL: [Part; 5] = [
        Part::Board,
        Part::Clicks,
        Part::Streams,
        Part::Home,
        Part::Export,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Board => "board",
            Part::Clicks => "clicks",
            Part::Streams => "streams",
            Part::Home => "home",
            Part::Export => "export",
        }
    }
}

/// What the run found: figure lines (each with the command that reproduces it) and failures.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
    notes: Vec<String>,
}

impl Report {
    fn figure(&mut self, part: Part, text: String) {
        let line = format!(
            "- {text} — `cargo bench --bench views -- --only {}`",
            part.name()
        );
        println!("{line}");
        self.lines.push(line);
    }

    fn fail(&mut self, why: String) {
        println!("!!! {why}");
        self.failures.push(why);
    }

    /// Records golive's WARN/ERROR lines and whether it is still up.
    fn check(&mut self, part: Part, golive: &Golive) {
        if !golive.alive() {
            self.fail(format!(
                "{}: golive died\n{}",
                part.name(),
                golive.log_tail()
            ));
        }
        let problems = golive.problems();
        let noted = format!("{}: ", part.name());
        if !problems.is_empty() && !self.notes.iter().any(|n| n.starts_with(&noted)) {
            let note = format!(
                "{}: golive logged {} WARN/ERROR line(s), e.g. {}",
                part.name(),
                problems.len(),
                problems[0]
            );
            println!("note: {note}");
            self.notes.push(note);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let sizes = if benching { FULL } else { SMOKE };
    let parts = match parts(&args) {
        Ok(parts) => parts,
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::FAILURE;
        }
    };

    println!("golive views benchmark — {}", server::binary().display());
    if !benching {
        println!("(smoke run: pass --bench, as `cargo bench` does, for the real figures)");
    }
    let machine = machine();
    println!("{machine}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let began = Instant::now();
    let mut report = Report::default();
    runtime.block_on(async {
        for part in &parts {
            println!("{}…", part.name());
            match part {
                Part::Board => board(&sizes, &mut report).await,
                Part::Clicks => clicks(&sizes, &mut report).await,
                Part::Streams => streams(&sizes, &mut report).await,
                Part::Home => home(&sizes, &mut report).await,
                Part::Export => export(&sizes, &mut report).await,
            }
        }
    });
    drop(runtime);

    println!();
    println!("### golive views benchmark");
    println!();
    println!("{machine}");
    println!(
        "Whole run: `{}` ({:.0} s here).",
        if benching {
            "cargo bench --bench views"
        } else {
            "cargo test --bench views (smoke sizes)"
        },
        began.elapsed().as_secs_f64()
    );
    println!();
    for line in &report.lines {
        println!("{line}");
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    if !report.failures.is_empty() {
        println!();
        println!(
            "!!! {} FAILURE(S) — the figures above are not valid:",
            report.failures.len()
        );
        for why in &report.failures {
            println!("!!! {why}");
        }
        return ExitCode::FAILURE;
    }
    if !benching {
        println!("Smoke run finished.");
    }
    ExitCode::SUCCESS
}

/// The parts `--only a,b` names; all of them by default.
fn parts(args: &[String]) -> Result<Vec<Part>, String> {
    let Some(at) = args.iter().position(|a| a == "--only") else {
        return Ok(Part::ALL.to_vec());
    };
    let names = args.get(at + 1).map_or("", String::as_str);
    names
        .split(',')
        .map(|name| {
            Part::ALL
                .into_iter()
                .find(|p| p.name() == name.trim())
                .ok_or_else(|| {
                    format!("--only takes board, clicks, streams, home or export, not {name:?}")
                })
        })
        .collect()
}

/// Starts golive off the runtime's worker (the start waits with the thread's sleep).
async fn start(slack_api: Option<String>) -> Golive {
    tokio::task::spawn_blocking(move || Golive::start(slack_api.as_deref()))
        .await
        .expect("starting golive")
}

/// Stops golive (SIGTERM, wait) off the runtime's worker.
async fn stop(golive: Golive) -> Golive {
    tokio::task::spawn_blocking(move || {
        golive.stop();
        golive
    })
    .await
    .expect("stopping golive")
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// p50 and p99 of `samples`, in ms.
fn p50_p99(samples: &[Duration]) -> (f64, f64) {
    let mut sorted: Vec<u32> = samples.iter().copied().map(micros).collect();
    sorted.sort_unstable();
    (percentile(&sorted, 50.0), percentile(&sorted, 99.0))
}

/// `<@U0V0> <@U0V1> …`, the vote's `count` voters.
fn voters(count: u64) -> String {
    (0..count)
        .map(|n| format!("<@U0V{n}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Gives every voting role to the voters and opens the vote, its deadline almost a day away.
async fn open_vote(addr: SocketAddr, voters_count: u64) -> Result<(), String> {
    let mentions = voters(voters_count);
    for role in [
        "engineering-lead",
        "qa-lead",
        "sre-lead",
        "security-lead",
        "product-manager",
        "support-lead",
    ] {
        client::command(addr, &format!("role {role} {mentions}"))
            .await
            .map_err(|why| format!("assigning {role}: {why}"))?;
    }
    // A minute ago in the plan's zone: the deadline is then almost a day away.
    let deadline = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .with_timezone(&chrono_tz::America::Los_Angeles)
        .format("%H:%M");
    let opened = client::command(addr, &format!("gonogo open --deadline {deadline}"))
        .await
        .map_err(|why| format!("opening the vote: {why}"))?;
    if !opened.contains("vote opened") {
        return Err(format!("opening the vote: {opened}"));
    }
    Ok(())
}

/// A signed Go click on the vote by `voter`, a distinct delivery through its `action_ts`.
fn go_click(connection: &Connection, voter: &str, n: u64) -> Request<http_body_util::Full<Bytes>> {
    let mut payload: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/slack/block_actions_button.json"
    ))
    .expect("the block_actions fixture is JSON");
    payload["user"]["id"] = voter.into();
    let action = &mut payload["actions"][0];
    action["action_id"] = "vote.go".into();
    action["value"] = r#"{"v":1}"#.into();
    action["action_ts"] = format!("1700000400.{n:06}").into();
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("a form");
    connection.signer.signed("/slack/interactivity", body)
}

/// Sends one click and checks golive's empty acknowledgement.
async fn click(connection: &mut Connection, voter: &str, n: u64) -> Result<(), String> {
    let request = go_click(connection, voter, n);
    let (status, body) = connection.exchange(request).await?;
    if status != 200 || !body.is_empty() {
        return Err(format!(
            "a click got {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    Ok(())
}

/// The release key of the launch `/board` shows (`id="launch-<release>"`).
async fn release_key(addr: SocketAddr) -> Result<String, String> {
    let mut page = PageClient::connect(addr).await;
    let every = page.get("/board").await?;
    if every.status != 200 {
        return Err(format!("GET /board answered {}", every.status));
    }
    let html = String::from_utf8_lossy(&every.body);
    const MARK: &str = "id=\"launch-";
    let from = html
        .find(MARK)
        .ok_or_else(|| format!("/board names no launch: {}", &html[..html.len().min(300)]))?
        + MARK.len();
    let to = html[from..].find('"').ok_or("an unterminated id")? + from;
    Ok(html[from..to].to_string())
}

/// How many audit rows of `action` golive's database holds.
async fn audit_rows(store: &sqlx::SqlitePool, action: Option<&str>) -> u64 {
    let counted: Result<(i64,), _> = match action {
        Some(action) => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = ?")
                .bind(action)
                .fetch_one(store)
                .await
        }
        None => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_log")
                .fetch_one(store)
                .await
        }
    };
    counted.map_or(0, |(n,)| n as u64)
}

async fn read_only(golive: &Golive) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!(
        "{}?mode=ro",
        golive::database_url(&golive.database())
    ))
    .await
    .expect("open golive's database read-only")
}

/// Waits until `action` has `rows` audit rows (up to 30 s); when the last one counted came.
async fn stored(store: &sqlx::SqlitePool, action: &str, rows: u64) -> (u64, Instant) {
    let mut last = (audit_rows(store, Some(action)).await, Instant::now());
    while last.0 < rows && last.1.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let now = audit_rows(store, Some(action)).await;
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    last
}

// ---------------------------------------------------------------------------------------------
// 1. The board page

async fn board(sizes: &Sizes, report: &mut Report) {
    let golive = start(None).await;
    let addr = golive.addr;
    if let Err(why) = open_vote(addr, VOTERS).await {
        return report.fail(format!("board: {why}"));
    }
    let release = match release_key(addr).await {
        Ok(release) => release,
        Err(why) => return report.fail(format!("board: {why}")),
    };
    let path = format!("/board/{release}");
    let mut page = PageClient::connect(addr).await;
    let (mut first, mut full, mut size) = (Vec::new(), Vec::new(), 0);
    for n in 0..sizes.board_warmup + sizes.board_requests {
        match page.get(&path).await {
            Ok(got)
                if got.status == 200
                    && wire::go_tally(&String::from_utf8_lossy(&got.body)) == Some(0) =>
            {
                if n >= sizes.board_warmup {
                    first.push(got.first_byte);
                    full.push(got.complete);
                    size = got.body.len();
                }
            }
            Ok(got) => {
                return report.fail(format!(
                    "board: GET {path} answered {} without the vote's tally: {}",
                    got.status,
                    String::from_utf8_lossy(&got.body[..got.body.len().min(300)])
                ))
            }
            Err(why) => return report.fail(format!("board: GET {path}: {why}")),
        }
    }
    let (first50, first99) = p50_p99(&first);
    let (full50, full99) = p50_p99(&full);
    report.figure(
        Part::Board,
        format!(
            "Board `GET /board/<release>` (embedded plan, a vote open, {:.1} kB of HTML), {} requests on one keep-alive connection: first byte p50 {first50:.2} ms, p99 {first99:.2} ms; whole body p50 {full50:.2} ms, p99 {full99:.2} ms",
            size as f64 / 1000.0,
            first.len(),
        ),
    );

    // The same page in Chromium.
    let browser = browser::Browser::start().await;
    let tab = browser.page().await;
    let url = format!("http://{addr}{path}");
    // The board link sets the cookie and drops the token from the address.
    tab.goto(&format!("{url}?token={BOARD_TOKEN}")).await;
    if tab.url().await != url {
        report.fail(format!(
            "board: the token link ended on {}",
            tab.url().await
        ));
    }
    const TIMING: &str = "(() => { const n = performance.getEntriesByType('navigation')[0]; \
        if (!n || !(n.loadEventEnd > 0)) return null; \
        const p = performance.getEntriesByName('first-contentful-paint')[0]; \
        return { response: n.responseStart, load: n.loadEventEnd, fcp: p ? p.startTime : -1, \
                 tally: (document.getElementById('tally-go') || {}).textContent }; })()";
    const PAINT: &str = "(() => { const p = performance.getEntriesByType('paint') \
        .find(e => e.name === 'first-contentful-paint'); return p ? p.startTime : -1; })()";
    let (mut navigations, mut loads, mut paints) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..sizes.renders {
        let took = tab.goto(&url).await;
        let (timing, _) = tab.wait_for(TIMING, Duration::from_secs(10)).await;
        if timing["tally"] != "0" {
            return report.fail(format!("board: Chromium shows {timing} for the tally"));
        }
        // First contentful paint may come after the load event: up to a second more.
        let mut fcp = timing["fcp"].as_f64().unwrap_or(-1.0);
        let asked = Instant::now();
        while fcp < 0.0 && asked.elapsed() < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            fcp = tab.eval(PAINT).await.as_f64().unwrap_or(-1.0);
        }
        navigations.push(took);
        let ms = |v: &serde_json::Value| Duration::from_secs_f64(v.as_f64().unwrap_or(0.0) / 1e3);
        loads.push(ms(&timing["load"]));
        if fcp >= 0.0 {
            paints.push(Duration::from_secs_f64(fcp / 1e3));
        }
    }
    let (nav50, nav99) = p50_p99(&navigations);
    let (load50, load99) = p50_p99(&loads);
    let paint = if paints.is_empty() {
        "first contentful paint not reported".to_string()
    } else {
        let (p50, p99) = p50_p99(&paints);
        format!("first contentful paint p50 {p50:.1} ms, p99 {p99:.1} ms")
    };
    report.figure(
        Part::Board,
        format!(
            "Board in headless Chromium ({}), {} loads of `/board/<release>`: navigation → load event (DevTools) p50 {nav50:.1} ms, p99 {nav99:.1} ms; the page's load event end p50 {load50:.1} ms, p99 {load99:.1} ms; {paint}",
            chromium_version(),
            navigations.len(),
        ),
    );
    if sizes.renders > 1 {
        tab.screenshot(browser::artifact("views-board.png")).await;
    }
    browser.close(tab).await;
    drop(browser);
    report.check(Part::Board, &golive);
}

fn chromium_version() -> String {
    std::process::Command::new(browser::CHROMIUM)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "Chromium".to_string())
}

// ---------------------------------------------------------------------------------------------
// 2. A click, until an open board shows it

async fn clicks(sizes: &Sizes, report: &mut Report) {
    let golive = start(None).await;
    let addr = golive.addr;
    if let Err(why) = open_vote(addr, VOTERS).await {
        return report.fail(format!("clicks: {why}"));
    }
    let release = match release_key(addr).await {
        Ok(release) => release,
        Err(why) => return report.fail(format!("clicks: {why}")),
    };
    let mut stream = match EventStream::open(addr, &release).await {
        Ok(stream) => stream,
        Err(why) => return report.fail(format!("clicks: the event stream: {why}")),
    };
    match stream.next(Duration::from_secs(5)).await {
        Some(event) if event.go == Some(0) => {}
        Some(event) => {
            return report.fail(format!("clicks: the first update shows {:?}", event.go))
        }
        None => return report.fail("clicks: no first update within 5 s".into()),
    }
    let mut connection = Connection::open(addr, 0).await;
    let (mut shown, mut acked) = (Vec::new(), Vec::new());
    for i in 0..sizes.clicks as u64 {
        // golive looks at a watched launch every 100 ms: clicks at a spread of moments.
        tokio::time::sleep(Duration::from_millis((i * 37) % 120)).await;
        while stream.events.try_recv().is_ok() {}
        let sent = Instant::now();
        if let Err(why) = click(&mut connection, &format!("U0V{i}"), i).await {
            return report.fail(format!("clicks: {why}"));
        }
        acked.push(sent.elapsed());
        let deadline = sent + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stream.next(left).await {
                Some(event) if event.go >= Some(i + 1) => {
                    shown.push(event.at.duration_since(sent));
                    break;
                }
                Some(_) => {}
                None => {
                    return report.fail(format!(
                        "clicks: Go #{} did not show on the board within 5 s",
                        i + 1
                    ))
                }
            }
        }
    }
    let (shown50, shown99) = p50_p99(&shown);
    let (ack50, ack99) = p50_p99(&acked);
    let max = shown.iter().max().copied().unwrap_or_default();
    report.figure(
        Part::Clicks,
        format!(
            "Click → open board: a signed Go click until the board's event stream delivers the new tally, {} clicks from new voters: p50 {shown50:.1} ms, p99 {shown99:.1} ms, max {:.1} ms (golive looks every 100 ms; the click's own acknowledgement p50 {ack50:.2} ms, p99 {ack99:.2} ms)",
            shown.len(),
            max.as_secs_f64() * 1e3,
        ),
    );
    report.check(Part::Clicks, &golive);
}

// ---------------------------------------------------------------------------------------------
// 3. Memory and CPU with many boards open during a burst of clicks

/// What one burst cost golive.
struct Burst {
    boards: usize,
    rss_idle: u64,
    rss_before: u64,
    rss_peak: u64,
    rss_after: u64,
    idle_cpu: Duration,
    burst_cpu: Duration,
    window: Duration,
    clicks: u64,
    stored: u64,
    events: usize,
    final_tallies_ok: bool,
}

async fn streams(sizes: &Sizes, report: &mut Report) {
    let mb = |b: u64| b as f64 / 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let voters = sizes.burst_voters;
    let shown = voters.min(sizes.burst);
    for pace in [None, Some(sizes.pace)] {
        let how = match pace {
            None => "as fast as acknowledged".to_string(),
            Some(rate) => format!("paced at {rate}/s"),
        };
        // Fresh golives, none and many boards in turn, so drift on the machine hits both.
        let (mut none, mut many) = (Vec::new(), Vec::new());
        for _ in 0..sizes.burst_runs {
            for boards in [0, sizes.streams] {
                match burst(sizes, boards, pace, report).await {
                    Ok(run) if boards == 0 => none.push(run),
                    Ok(run) => many.push(run),
                    Err(why) => {
                        return report.fail(format!("streams ({boards} boards, {how}): {why}"))
                    }
                }
            }
        }
        for runs in [&none, &many] {
            let run = median_run(runs);
            let cpus: Vec<String> = runs
                .iter()
                .map(|r| format!("{:.0}", ms(r.burst_cpu)))
                .collect();
            report.figure(
                Part::Streams,
                format!(
                    "Vote burst with {} board stream(s) open: {} Go clicks from {voters} voters, {how}, over {BURST_CONNECTIONS} connections ({} stored): golive CPU {:.0} ms (median of {} fresh golives: {} ms) in the {:.2} s from the first click to 1 s after the last was stored; RSS {:.1} MB before, peak {:.1} MB, {:.1} MB after; {}idle {:.1} s before: {:.0} ms CPU",
                    run.boards,
                    run.clicks,
                    run.stored,
                    ms(run.burst_cpu),
                    runs.len(),
                    cpus.join(", "),
                    run.window.as_secs_f64(),
                    mb(run.rss_before),
                    mb(run.rss_peak),
                    mb(run.rss_after),
                    if run.boards > 0 {
                        format!(
                            "{} board events delivered ({:.1} a board); RSS {:.1} MB before the boards opened; ",
                            run.events,
                            run.events as f64 / run.boards as f64,
                            mb(run.rss_idle),
                        )
                    } else {
                        String::new()
                    },
                    sizes.idle_window.as_secs_f64(),
                    ms(run.idle_cpu),
                ),
            );
            for run in runs.iter().filter(|r| !r.final_tallies_ok) {
                report.fail(format!(
                    "streams: not every one of the {} boards ended on Go {shown}",
                    run.boards,
                ));
            }
        }
        let (none, many) = (median_run(&none), median_run(&many));
        report.figure(
            Part::Streams,
            format!(
                "{} board streams open vs none, the same burst ({} clicks {how}), medians: golive CPU {:.0} ms vs {:.0} ms ({:+.0} ms); RSS before the burst {:.1} vs {:.1} MB ({:+.2} MB; {:.1} kB a stream from before the boards opened), peak {:.1} vs {:.1} MB ({:+.2} MB)",
                many.boards,
                many.clicks,
                ms(many.burst_cpu),
                ms(none.burst_cpu),
                ms(many.burst_cpu) - ms(none.burst_cpu),
                mb(many.rss_before),
                mb(none.rss_before),
                (many.rss_before as f64 - none.rss_before as f64) / 1e6,
                (many.rss_before as f64 - many.rss_idle as f64) / 1e3 / many.boards.max(1) as f64,
                mb(many.rss_peak),
                mb(none.rss_peak),
                (many.rss_peak as f64 - none.rss_peak as f64) / 1e6,
            ),
        );
    }
}

/// The run with the median CPU time.
fn median_run(runs: &[Burst]) -> &Burst {
    let mut sorted: Vec<&Burst> = runs.iter().collect();
    sorted.sort_by_key(|r| r.burst_cpu);
    sorted[sorted.len() / 2]
}

async fn burst(
    sizes: &Sizes,
    boards: usize,
    pace: Option<u32>,
    report: &mut Report,
) -> Result<Burst, String> {
    let golive = start(None).await;
    let addr = golive.addr;
    open_vote(addr, sizes.burst_voters).await?;
    let release = release_key(addr).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = golive.memory("VmRSS");
    let mut streams = Vec::new();
    for _ in 0..boards {
        streams.push(EventStream::open(addr, &release).await?);
    }
    for stream in &mut streams {
        match stream.next(Duration::from_secs(5)).await {
            Some(event) if event.go == Some(0) => {}
            other => return Err(format!("a board's first update: {:?}", other.map(|e| e.go))),
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_idle = golive.cpu();
    tokio::time::sleep(sizes.idle_window).await;
    let idle_cpu = golive.cpu().saturating_sub(cpu_idle);
    for stream in &mut streams {
        while stream.events.try_recv().is_ok() {}
    }
    let rss_before = golive.memory("VmRSS");

    // RSS sampled every 5 ms while the burst runs.
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = {
        let (sampling, peak, pid) = (sampling.clone(), peak.clone(), golive.pid());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = server::memory_of(pid, "VmRSS") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let store = read_only(&golive).await;
    let before = audit_rows(&store, Some("ballot")).await;
    let cpu_start = golive.cpu();
    let began = Instant::now();
    let clicks = send_burst(addr, sizes.burst, sizes.burst_voters, pace).await?;
    let (stored, _) = stored(&store, "ballot", before + clicks).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let burst_cpu = golive.cpu().saturating_sub(cpu_start);
    let window = began.elapsed();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let rss_after = golive.memory("VmRSS");
    store.close().await;

    let mut events = 0;
    let mut final_tallies_ok = true;
    for stream in &mut streams {
        let mut last = None;
        while let Ok(event) = stream.events.try_recv() {
            events += 1;
            last = Some(event.go);
        }
        // A stream that got nothing after the burst would still show 0.
        final_tallies_ok &= last == Some(Some(sizes.burst_voters.min(sizes.burst)));
    }
    drop(streams);
    report.check(Part::Streams, &golive);
    Ok(Burst {
        boards,
        rss_idle,
        rss_before,
        rss_peak: peak.load(Ordering::Relaxed).max(rss_after),
        rss_after,
        idle_cpu,
        burst_cpu,
        window,
        clicks,
        stored: stored - before,
        events,
        final_tallies_ok,
    })
}

/// `total` Go clicks (click `n` by voter `n % voters`) over [`BURST_CONNECTIONS`] connections:
/// each connection sends the next as soon as its last is acknowledged, or, with a `pace`, click
/// `n` at `n / pace` seconds from the start; how many were acknowledged.
async fn send_burst(
    addr: SocketAddr,
    total: u64,
    voters: u64,
    pace: Option<u32>,
) -> Result<u64, String> {
    let next = Arc::new(AtomicU64::new(0));
    let began = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for index in 0..BURST_CONNECTIONS {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr, index).await;
            let mut acked = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<u64, String>(acked);
                }
                if let Some(rate) = pace {
                    let due = began + Duration::from_secs_f64(n as f64 / f64::from(rate));
                    tokio::time::sleep_until(due).await;
                }
                click(&mut connection, &format!("U0V{}", n % voters), 1_000 + n).await?;
                acked += 1;
            }
        }));
    }
    let mut acked = 0;
    for task in tasks {
        acked += task.await.map_err(|e| e.to_string())??;
    }
    Ok(acked)
}

// ---------------------------------------------------------------------------------------------
// 4. Home, published after app_home_opened

async fn home(sizes: &Sizes, report: &mut Report) {
    let fake = fake_slack::FakeSlack::start().await;
    fake.add_channel(CHANNEL, "v4-launch");
    fake.join(CHANNEL);
    let golive = start(Some(fake.api_url())).await;
    let addr = golive.addr;
    // Home then shows each voter the vote waiting on them.
    if let Err(why) = open_vote(addr, VOTERS).await {
        return report.fail(format!("home: {why}"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = fake.calls("views.publish");
    let mut connection = Connection::open(addr, 0).await;
    let (mut published, mut acked, mut users) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sizes.homes as u64 {
        let user = format!("U0V{}", i % VOTERS);
        let body = serde_json::json!({
            "token": "views-bench",
            "team_id": fake_slack::TEAM_ID,
            "api_app_id": fake_slack::APP_ID,
            "type": "event_callback",
            "event_id": format!("Ev0VIEWS{i:05}"),
            "event_time": chrono::Utc::now().timestamp(),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": format!("D0V{}", i % VOTERS),
                "tab": "home",
                "event_ts": format!("1700000500.{i:06}"),
            },
        })
        .to_string();
        let mut request = connection.signer.signed("/slack/events", body);
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        let sent = Instant::now();
        match connection.exchange(request).await {
            Ok((status, _)) if status == 200 => acked.push(sent.elapsed()),
            Ok((status, body)) => {
                return report.fail(format!(
                    "home: app_home_opened answered {status}: {}",
                    String::from_utf8_lossy(&body)
                ))
            }
            Err(why) => return report.fail(format!("home: {why}")),
        }
        let want = base + i as usize + 1;
        let got = fake
            .wait_for_calls("views.publish", want, Duration::from_secs(5))
            .await;
        if got < want {
            return report.fail(format!(
                "home: no views.publish for {user} within 5 s\n{}",
                golive.log_tail()
            ));
        }
        published.push(sent.elapsed());
        users.push(user);
    }
    let views = fake.views_published();
    let for_users: Vec<&str> = views[base.min(views.len())..]
        .iter()
        .map(|(user, _)| user.as_str())
        .collect();
    if for_users != users.iter().map(String::as_str).collect::<Vec<_>>() {
        report.fail(format!(
            "home: views.publish went to {} users in another order or for others than the {} who opened Home",
            for_users.len(),
            users.len()
        ));
    }
    let waiting = views
        .last()
        .map(|(_, view)| view.to_string().contains("vote.go"))
        .unwrap_or(false);
    let refused = fake.refused();
    if !refused.is_empty() {
        report.fail(format!("home: the fake Slack refused {refused:?}"));
    }
    let (pub50, pub99) = p50_p99(&published);
    let (ack50, ack99) = p50_p99(&acked);
    report.figure(
        Part::Home,
        format!(
            "Home: a signed `app_home_opened` delivery to `/slack/events` until the fake Slack has that user's `views.publish`, {} opens by {} voters (an open vote waiting on each{}): p50 {pub50:.2} ms, p99 {pub99:.2} ms (acknowledged p50 {ack50:.2} ms, p99 {ack99:.2} ms)",
            published.len(),
            VOTERS.min(sizes.homes as u64),
            if waiting { ", with its Go button" } else { "" },
        ),
    );
    report.check(Part::Home, &golive);
}

// ---------------------------------------------------------------------------------------------
// 5. Export of a launch with many audit rows

async fn export(sizes: &Sizes, report: &mut Report) {
    let golive = start(None).await;
    let addr = golive.addr;
    let began = Instant::now();
    let sent = match metric_commands(addr, sizes.audit_rows).await {
        Ok(sent) => sent,
        Err(why) => return report.fail(format!("export: {why}")),
    };
    let store = read_only(&golive).await;
    let (metric_rows, _) = stored(&store, "metric", sizes.audit_rows).await;
    let took = began.elapsed();
    if metric_rows < sizes.audit_rows {
        return report.fail(format!(
            "export: {metric_rows} of {} metric commands reached the audit log",
            sizes.audit_rows
        ));
    }
    store.close().await;
    report.check(Part::Export, &golive);
    let golive = stop(golive).await;
    let store = sqlx::SqlitePool::connect(&format!(
        "{}?mode=ro",
        golive::database_url(&golive.database())
    ))
    .await
    .expect("open golive's database");
    let rows = audit_rows(&store, None).await;
    store.close().await;
    report.figure(
        Part::Export,
        format!(
            "Export set-up: {sent} signed `/golive metric set support-nps <n>` commands by a release manager ({BURST_CONNECTIONS} connections) stored as audit rows in {:.2} s ({:.0}/s); {rows} audit rows in all",
            took.as_secs_f64(),
            sent as f64 / took.as_secs_f64(),
        ),
    );
    for format in ["md", "csv"] {
        let out = golive.dir().join(format!("record.{format}"));
        let mut times = Vec::new();
        for _ in 0..sizes.export_runs {
            let _ = std::fs::remove_file(&out);
            let began = Instant::now();
            let ran = std::process::Command::new(server::binary())
                .arg("export")
                .arg("--database")
                .arg(golive::database_url(&golive.database()))
                .args(["--format", format])
                .arg("--out")
                .arg(&out)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", golive.dir())
                .output();
            let took = began.elapsed();
            match ran {
                Ok(ran) if ran.status.success() => times.push(took),
                Ok(ran) => {
                    return report.fail(format!(
                        "export: golive export --format {format} failed ({}): {}",
                        ran.status,
                        String::from_utf8_lossy(&ran.stderr)
                    ))
                }
                Err(why) => return report.fail(format!("export: cannot run golive: {why}")),
            }
        }
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let shown = written.matches("support-nps = ").count() as u64;
        if shown != metric_rows {
            report.fail(format!(
                "export: the {format} record shows {shown} of the {metric_rows} metric audit rows"
            ));
        }
        times.sort();
        let best = times[0];
        let median = times[times.len() / 2];
        report.figure(
            Part::Export,
            format!(
                "`golive export --database sqlite://… --format {format}` of a launch with {rows} audit rows ({:.2} MB written): best {:.0} ms of {}, median {:.0} ms; {:.0} rows/s",
                written.len() as f64 / 1e6,
                best.as_secs_f64() * 1e3,
                times.len(),
                median.as_secs_f64() * 1e3,
                rows as f64 / best.as_secs_f64(),
            ),
        );
    }
}

/// `total` `/golive metric set support-nps <n>` commands by the release manager over
/// [`BURST_CONNECTIONS`] connections, each answer checked; how many were answered.
async fn metric_commands(addr: SocketAddr, total: u64) -> Result<u64, String> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for index in 0..BURST_CONNECTIONS {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr, index).await;
            let mut answered = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<u64, String>(answered);
                }
                let text = format!("metric set support-nps {}", n % 100);
                let request = connection.signer.command_as(RELEASE_MANAGER, &text);
                let (status, body) = connection.exchange(request).await?;
                let answer = client::ephemeral_text(&body)?;
                let lower = answer.to_ascii_lowercase();
                if status != 200
                    || lower.contains("sorry")
                    || lower.contains("only release managers")
                    || lower.contains("there is no metric")
                {
                    return Err(format!("`{text}` answered {status}: {answer}"));
                }
                answered += 1;
            }
        }));
    }
    let mut answered = 0;
    for task in tasks {
        answered += task.await.map_err(|e| e.to_string())??;
    }
    Ok(answered)
}

// ---------------------------------------------------------------------------------------------

/// CPU count, model, memory and load, for the report.
fn machine() -> String {
    let (cpus, model) = (machine::cpus(), machine::cpu_model());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kib: u64 = m
                .lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some(format!("{:.0} GiB", kib as f64 / (1024.0 * 1024.0)))
        })
        .unwrap_or_else(|| "? GiB".into());
    let load = machine::load_average();
    format!(
        "Machine: {cpus} CPU(s) available (nproc), {model}, {memory} RAM; load average before the run: {load}. The load generator, the fake Slack and Chromium run on the same machine."
    )
}
