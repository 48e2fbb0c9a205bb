//! golive's load benchmark: the real release binary as a child process, driven over HTTP with
//! signed `/golive` slash commands.
//!
//!     cargo bench --bench load              # full run, ~25 s
//!     cargo bench --bench load -- --strict  # exit non-zero when a target is missed
//!
//! Cargo builds the `golive` binary in the bench (release) profile first. Measured:
//! spawn → first answered `GET /healthz` (best and median of 5 fresh starts), idle RSS (the
//! embedded plan, and 10 plan files on a golive of their own), peak RSS,
//! and three scenarios over HTTP/1.1 keep-alive: `/golive status` and `/golive role on-call` at
//! maximum throughput (64 connections, closed loop), and `/golive status` paced at 1,000 req/s
//! (open loop), then Go clicks on an open go/no-go vote (signed block_actions over
//! `/slack/interactivity`, 64 connections) until every acknowledged click is stored, counted in
//! golive's database. Every request carries a fresh valid signature; every answer must be a 200 with an
//! ephemeral JSON message that reports success, or it counts as an error.
//!
//! Then, on a fresh golive, e. a long mixed run (`load/mixed.rs`): 100,000 inputs of every kind
//! (commands, clicks, events, forged requests) with golive's RSS sampled every 10,000.
//! `-- --mixed-only` runs just that, `-- --mix commands,events` only those families of input,
//! `-- --inputs 300000` makes it longer.
//!
//! The load generator shares the machine with golive, so throughput is "golive plus its client".
//! Run without `--bench` (as `cargo test --benches` does) it only smoke-tests itself briefly.

#[path = "load/client.rs"]
mod client;
#[path = "load/machine.rs"]
mod machine;
#[path = "load/mixed.rs"]
mod mixed;
#[path = "load/reference.rs"]
mod reference;
#[path = "load/server.rs"]
mod server;

use std::process::ExitCode;
use std::time::Duration;

use client::{percentile, Kind, Outcome};
use server::Server;

/// How long each part runs.
#[derive(Clone, Copy)]
struct Plan {
    starts: usize,
    idle: Duration,
    warmup: Duration,
    duration: Duration,
    connections: usize,
    paced_connections: usize,
    paced_rate: u32,
    mixed_inputs: u64,
    mixed_every: u64,
    mixed_connections: usize,
}

const FULL: Plan = Plan {
    starts: 5,
    idle: Duration::from_secs(1),
    warmup: Duration::from_millis(500),
    duration: Duration::from_secs(5),
    connections: 64,
    paced_connections: 16,
    paced_rate: 1_000,
    mixed_inputs: 100_000,
    mixed_every: 10_000,
    mixed_connections: 16,
};

const SMOKE: Plan = Plan {
    starts: 1,
    idle: Duration::from_millis(200),
    warmup: Duration::from_millis(50),
    duration: Duration::from_millis(300),
    connections: 8,
    paced_connections: 4,
    paced_rate: 200,
    mixed_inputs: 2_000,
    mixed_every: 500,
    mixed_connections: 4,
};

/// The product owner's targets.
const TARGET_START_MS: f64 = 100.0;
const TARGET_IDLE_RSS_MB: f64 = 15.0;
/// Idle RSS with this many launches running, each from its own plan file.
const MANY_PLANS: usize = 10;
const TARGET_IDLE_RSS_MANY_PLANS_MB: f64 = 20.0;
/// Peak RSS over scenarios a–d, the Go-click burst included.
const TARGET_PEAK_RSS_MB: f64 = 64.0;
const TARGET_STATUS_RPS: f64 = 20_000.0;
const TARGET_WRITE_RPS: f64 = 10_000.0;
const TARGET_PACED_P99_MS: f64 = 5.0;
const TARGET_VOTES_PER_S: f64 = 10_000.0;
/// Memory may not follow the number of requests answered: growth over the second half of the
/// mixed run, per 10,000 inputs.
const TARGET_MIXED_SLOPE_MB: f64 = 0.3;
/// golive's rates as a share of the bare reference server's, under the same load.
const TARGET_STATUS_RATIO: f64 = 0.5;
const TARGET_CLICK_RATIO: f64 = 0.25;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let strict = args.iter().any(|a| a == "--strict");
    let plan = if benching { &FULL } else { &SMOKE };

    println!("golive load benchmark — {}", server::binary().display());
    if !benching {
        println!("(smoke run: pass --bench, as `cargo bench` does, for the real figures)");
    }
    let machine = machine();
    println!("{machine}");
    let families = mix_families(&args);
    let mut plan = *plan;
    if let Some(inputs) = args
        .iter()
        .position(|a| a == "--inputs")
        .and_then(|at| args.get(at + 1)?.parse().ok())
    {
        plan.mixed_inputs = inputs;
    }
    let plan = &plan;
    if args.iter().any(|a| a == "--mixed-only") {
        let mixed = mixed_run(plan, &families);
        println!();
        for line in mixed.rows(&mut |_, ok| if ok { "✅ met" } else { "❌ MISSED" }) {
            println!("{line}");
        }
        return if mixed.report_failures() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }

    // 1. Start-up: spawn → first answered request, on fresh databases; the last one stays up.
    let mut starts = Vec::new();
    let mut server = None;
    for _ in 0..plan.starts {
        drop(server.take());
        let mut fresh = Server::spawn();
        starts.push(fresh.wait_ready().as_secs_f64() * 1000.0);
        server = Some(fresh);
    }
    let mut server = server.expect("at least one start");
    let mut sorted_starts = starts.clone();
    sorted_starts.sort_by(f64::total_cmp);
    let best_start = sorted_starts[0];
    let median_start = sorted_starts[sorted_starts.len() / 2];
    println!(
        "start → first answer: {} ms",
        starts
            .iter()
            .map(|s| format!("{s:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 2. Idle memory, then the same with MANY_PLANS launches on a golive of its own.
    std::thread::sleep(plan.idle);
    let idle_rss = server.memory("VmRSS").unwrap_or(0);
    let idle_rss_many = {
        let mut many = Server::spawn_with_plans(MANY_PLANS);
        many.wait_ready();
        std::thread::sleep(plan.idle);
        many.memory("VmRSS").unwrap_or(0)
    };

    // 3. Load.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let addr = server.addr;
    let (forgery, status, writes, paced, (votes, stored)) = runtime.block_on(async {
        let forgery = client::refuses_bad_signature(addr).await;
        println!("a. /golive status, {} connections…", plan.connections);
        let status = client::closed_loop(
            addr,
            Kind::Status,
            plan.connections,
            plan.warmup,
            plan.duration,
        )
        .await;
        println!("b. /golive role on-call, {} connections…", plan.connections);
        let writes = client::closed_loop(
            addr,
            Kind::AssignRole,
            plan.connections,
            plan.warmup,
            plan.duration,
        )
        .await;
        println!("c. /golive status at {} req/s…", plan.paced_rate);
        let paced = client::fixed_rate(
            addr,
            Kind::Status,
            plan.paced_rate,
            plan.paced_connections,
            plan.duration,
        )
        .await;
        println!(
            "d. Go clicks on the vote, {} connections…",
            plan.connections
        );
        let votes = votes(addr, &server.database(), plan).await;
        (forgery, status, writes, paced, votes)
    });
    drop(runtime);
    let peak_rss = server.memory("VmHWM").unwrap_or(0);
    let rss_after = server.memory("VmRSS").unwrap_or(0);
    let alive = server.alive();

    // 4. Report.
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let mut missed = Vec::new();
    let mut verdict = |name: &str, ok: bool| {
        if ok {
            "✅ met"
        } else {
            missed.push(name.to_string());
            "❌ MISSED"
        }
    };
    let mut table = vec![
        "| Figure | Measured | Target | |".to_string(),
        "|---|---:|---|---|".to_string(),
    ];
    table.push(format!(
        "| Start → first answered request (best / median of {}) | {best_start:.1} ms / {median_start:.1} ms | < {TARGET_START_MS} ms | {} |",
        starts.len(),
        verdict("start-up", median_start < TARGET_START_MS)
    ));
    table.push(format!(
        "| Idle RSS ({:.0} s after start), embedded plan | {:.1} MB | ≤ {TARGET_IDLE_RSS_MB} MB | {} |",
        plan.idle.as_secs_f64(),
        mb(idle_rss),
        verdict("idle RSS", mb(idle_rss) <= TARGET_IDLE_RSS_MB)
    ));
    table.push(format!(
        "| Idle RSS ({:.0} s after start), {MANY_PLANS} plans loaded | {:.1} MB | ≤ {TARGET_IDLE_RSS_MANY_PLANS_MB} MB | {} |",
        plan.idle.as_secs_f64(),
        mb(idle_rss_many),
        verdict(
            "idle RSS with many plans",
            mb(idle_rss_many) <= TARGET_IDLE_RSS_MANY_PLANS_MB
        )
    ));
    table.push(format!(
        "| Peak RSS (VmHWM after load) / RSS after load | {:.1} MB / {:.1} MB | peak ≤ {TARGET_PEAK_RSS_MB} MB | {} |",
        mb(peak_rss),
        mb(rss_after),
        verdict("peak RSS", mb(peak_rss) <= TARGET_PEAK_RSS_MB)
    ));
    let row = |label: String, outcome: &Outcome, target: String, verdict: &str| {
        format!(
            "| {label} | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms | {target} | {verdict} |",
            outcome.rate(),
            percentile(&outcome.latencies, 50.0),
            percentile(&outcome.latencies, 99.0),
        )
    };
    let v = verdict("status throughput", status.rate() >= TARGET_STATUS_RPS);
    table.push(row(
        format!(
            "a. `/golive status`, {} conns, max throughput",
            plan.connections
        ),
        &status,
        format!("≥ {TARGET_STATUS_RPS:.0} req/s"),
        v,
    ));
    let v = verdict("write throughput", writes.rate() >= TARGET_WRITE_RPS);
    table.push(row(
        format!(
            "b. `/golive role on-call <@U…>`, {} conns, max throughput",
            plan.connections
        ),
        &writes,
        format!("≥ {TARGET_WRITE_RPS:.0} req/s"),
        v,
    ));
    let paced_p99 = percentile(&paced.latencies, 99.0);
    let v = verdict("p99 at fixed rate", paced_p99 < TARGET_PACED_P99_MS);
    table.push(row(
        format!(
            "c. `/golive status` paced at {} req/s ({} conns)",
            plan.paced_rate, plan.paced_connections
        ),
        &paced,
        format!("p99 < {TARGET_PACED_P99_MS} ms"),
        v,
    ));
    table.push(format!(
        "| c. same, latency from the due time (incl. tokio's 1 ms timer granularity) | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms | — | |",
        percentile(&paced.latencies_from_schedule, 50.0),
        percentile(&paced.latencies_from_schedule, 99.0),
        percentile(&paced.latencies_from_schedule, 100.0),
    ));
    let v = verdict("stored votes", stored.rate >= TARGET_VOTES_PER_S);
    table.push(format!(
        "| d. Go clicks (signed block_actions), {} conns: acknowledged | {:.0} clicks/s, p50 {:.2} ms, p99 {:.2} ms | < 3 s each | {} |",
        plan.connections,
        votes.rate(),
        percentile(&votes.latencies, 50.0),
        percentile(&votes.latencies, 99.0),
        if percentile(&votes.latencies, 100.0) < 3000.0 { "✅" } else { "❌" }
    ));
    table.push(format!(
        "| d. same, stored (ballot upsert + audit row, counted in SQLite) | {} of {} stored, {:.0} votes/s | ≥ {TARGET_VOTES_PER_S:.0} votes/s, all stored | {v} |",
        stored.count, votes.ok, stored.rate
    ));
    let errors = status.errors + writes.errors + paced.errors + votes.errors;
    table.push(format!(
        "| Failed requests (a / b / c / d) | {} / {} / {} / {} | 0 | {} |",
        status.errors,
        writes.errors,
        paced.errors,
        votes.errors,
        if errors == 0 { "✅" } else { "❌ ERRORS" }
    ));
    table.push(format!(
        "| Forged signature refused with 401 | {} | yes | {} |",
        if forgery.is_ok() { "yes" } else { "NO" },
        if forgery.is_ok() { "✅" } else { "❌" }
    ));
    // The forged request above logs one WARN by design.
    let problems = server.logged_problems().saturating_sub(1);
    table.push(format!(
        "| WARN/ERROR lines in golive's log | {problems} | 0 | |"
    ));
    let log_tail = server.log_tail();
    drop(server);

    // 5. The long mixed run, on a fresh golive.
    let mixed = mixed_run(plan, &families);
    table.extend(mixed.rows(&mut verdict));

    // 6. The same load on the bare reference server, in this run, for the ratios.
    if benching {
        match reference_rates(plan) {
            Ok((bare_status, bare_clicks)) => {
                let status_ratio = status.rate() / bare_status.max(1.0);
                let click_ratio = stored.rate / bare_clicks.max(1.0);
                let v = verdict("status vs bare axum", status_ratio >= TARGET_STATUS_RATIO);
                table.push(format!(
                    "| vs bare axum, {} conns: `/golive status` | {:.0} of {bare_status:.0} req/s = {:.0}% | ≥ {:.0}% | {v} |",
                    plan.connections, status.rate(), status_ratio * 100.0, TARGET_STATUS_RATIO * 100.0
                ));
                let v = verdict(
                    "stored clicks vs bare axum",
                    click_ratio >= TARGET_CLICK_RATIO,
                );
                table.push(format!(
                    "| vs bare axum, {} conns: Go clicks stored | {:.0} of {bare_clicks:.0} req/s = {:.0}% | ≥ {:.0}% | {v} |",
                    plan.connections, stored.rate, click_ratio * 100.0, TARGET_CLICK_RATIO * 100.0
                ));
            }
            Err(why) => table.push(format!("| vs bare axum | not measured: {why} | | |")),
        }
    }

    println!();
    println!("### golive load benchmark");
    println!();
    println!("{machine}");
    println!();
    for line in &table {
        println!("{line}");
    }
    println!();
    for (name, outcome) in [("a", &status), ("b", &writes), ("c", &paced)] {
        let example = outcome.example.as_deref().unwrap_or("(none)");
        let example: String = example.chars().take(160).collect();
        println!("{name}. example answer: {}", example.replace('\n', " ⏎ "));
    }
    println!();

    let mut failed = false;
    if let Err(why) = &forgery {
        failed = true;
        println!("!!! golive does NOT verify signatures: {why}");
    }
    if errors > 0 || !alive {
        failed = true;
        println!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        if !alive {
            println!("!!! golive DIED during the run");
        }
        println!("!!! {errors} REQUEST(S) FAILED — the figures above are not valid.");
        for (name, outcome) in [("a", &status), ("b", &writes), ("c", &paced), ("d", &votes)] {
            for sample in &outcome.samples {
                println!("!!! {name}: {sample}");
            }
        }
        println!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        println!("{log_tail}");
    } else if problems > 0 {
        println!("{log_tail}");
    }
    failed |= mixed.report_failures();
    if !benching {
        println!("Smoke run finished; targets are judged only under `cargo bench`.");
    } else if !missed.is_empty() {
        println!("Targets missed: {}.", missed.join(", "));
        if strict {
            failed = true;
        }
    } else {
        println!("All targets met.");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The families of input `--mix a,b` names; all of them by default.
fn mix_families(args: &[String]) -> Vec<mixed::Family> {
    let Some(position) = args.iter().position(|a| a == "--mix") else {
        return mixed::Family::ALL.to_vec();
    };
    let names = args.get(position + 1).map_or("", String::as_str);
    names
        .split(',')
        .map(|name| {
            mixed::Family::parse(name).unwrap_or_else(|| {
                panic!("--mix takes commands, clicks, events or forged, not {name:?}")
            })
        })
        .collect()
}

/// Scenario e as measured, with what golive kept open and logged.
struct MixedRun {
    measured: mixed::Measured,
    connections: usize,
    families: Vec<mixed::Family>,
    /// RSS once the run's work has settled, a second after the last answer.
    settled: u64,
    open_incidents: i64,
    alive: bool,
    /// ERROR lines (the forged requests log a WARN each by design).
    errors_logged: usize,
    log_tail: String,
}

/// Scenario e on a fresh golive: a vote open with `mixed::VOTERS` voters, then the mixed inputs.
fn mixed_run(plan: &Plan, families: &[mixed::Family]) -> MixedRun {
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    println!(
        "e. a long mixed run: {} inputs ({}), {} connections…",
        plan.mixed_inputs,
        names.join(", "),
        plan.mixed_connections
    );
    let mut server = Server::spawn();
    server.wait_ready();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let run = mixed::Run {
        inputs: plan.mixed_inputs,
        connections: plan.mixed_connections,
        every: plan.mixed_every,
        families: families.to_vec(),
    };
    let (measured, settled, open_incidents) = runtime.block_on(async {
        let voters: Vec<String> = (0..mixed::VOTERS).map(|n| format!("<@U0V{n}>")).collect();
        open_vote(server.addr, &voters).await;
        tokio::time::sleep(plan.idle).await;
        let measured = mixed::run(server.addr, server.pid(), &run).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let settled = server.memory("VmRSS").unwrap_or(0);
        let store =
            sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", server.database().display()))
                .await
                .expect("open golive's database read-only");
        let (open,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM incidents WHERE resolved_at IS NULL")
                .fetch_one(&store)
                .await
                .expect("count open incidents");
        (measured, settled, open)
    });
    let log = server.log_tail();
    MixedRun {
        measured,
        connections: plan.mixed_connections,
        families: families.to_vec(),
        settled,
        open_incidents,
        alive: server.alive(),
        errors_logged: server.logged_errors(),
        log_tail: log,
    }
}

impl MixedRun {
    /// The report's rows; `verdict` judges the growth.
    fn rows(&self, verdict: &mut dyn FnMut(&str, bool) -> &'static str) -> Vec<String> {
        let mb = |bytes: u64| bytes as f64 / 1e6;
        let m = &self.measured;
        let inputs = m.samples.last().map_or(0, |s| s.0);
        let half = m.slope_from(inputs / 2) / 1e6;
        let names: Vec<&str> = self.families.iter().map(|f| f.name()).collect();
        let samples: Vec<String> = m
            .samples
            .iter()
            .map(|(n, rss)| match n % 1000 {
                0 => format!("{}k {:.1}", n / 1000, mb(*rss)),
                _ => format!("{n} {:.1}", mb(*rss)),
            })
            .collect();
        vec![
            format!(
                "| e. long mixed run: {inputs} inputs ({}), {} conns, {:.1} s | RSS start {:.1} MB, end {:.1} MB, max {:.1} MB; 1 s later {:.1} MB | — | |",
                names.join(", "),
                self.connections,
                m.elapsed.as_secs_f64(),
                mb(m.start()),
                mb(m.end()),
                mb(m.max()),
                mb(self.settled),
            ),
            format!(
                "| e. growth per 10,000 inputs (least squares): whole run / second half | {:.2} MB / {half:.2} MB | second half < {TARGET_MIXED_SLOPE_MB} MB | {} |",
                m.slope_from(0) / 1e6,
                verdict("memory bounded under a mixed run", half < TARGET_MIXED_SLOPE_MB),
            ),
            format!("| e. RSS samples (inputs answered, MB) | {} | | |", samples.join(" · ")),
            format!(
                "| e. incidents opened and resolved / still open / failed inputs / ERROR lines | {} / {} / {} / {} | — / 0 / 0 / 0 | {} |",
                m.incidents,
                self.open_incidents,
                m.outcome.errors,
                self.errors_logged,
                if self.clean() { "✅" } else { "❌" }
            ),
            format!(
                "| e. answered in: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms | | | |",
                percentile(&m.outcome.latencies, 50.0),
                percentile(&m.outcome.latencies, 99.0),
                percentile(&m.outcome.latencies, 100.0),
            ),
        ]
    }

    fn clean(&self) -> bool {
        self.alive
            && self.measured.outcome.errors == 0
            && self.open_incidents == 0
            && self.errors_logged == 0
    }

    /// Prints what went wrong, if anything; true when the run is not valid.
    fn report_failures(&self) -> bool {
        if self.clean() {
            return false;
        }
        if !self.alive {
            println!("!!! e: golive DIED during the mixed run");
        }
        for sample in &self.measured.outcome.samples {
            println!("!!! e: {sample}");
        }
        println!("{}", self.log_tail);
        true
    }
}

/// Gives every voting role to `voters` and opens the vote, its deadline almost a day away.
async fn open_vote(addr: std::net::SocketAddr, voters: &[String]) {
    for role in VOTING_ROLES {
        let answer = client::command(addr, &format!("role {role} {}", voters.join(" "))).await;
        answer.unwrap_or_else(|why| panic!("assigning {role} failed: {why}"));
    }
    // A minute ago in the plan's zone: the deadline is then almost a day away.
    let deadline = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .with_timezone(&chrono_tz::America::Los_Angeles)
        .format("%H:%M");
    let opened = client::command(addr, &format!("gonogo open --deadline {deadline}")).await;
    let opened = opened.unwrap_or_else(|why| panic!("opening the vote failed: {why}"));
    assert!(opened.contains("vote opened"), "opening the vote: {opened}");
}

/// The plan's voting roles.
const VOTING_ROLES: [&str; 6] = [
    "engineering-lead",
    "qa-lead",
    "sre-lead",
    "security-lead",
    "product-manager",
    "support-lead",
];

/// Votes counted in the store after the click scenario.
struct Stored {
    count: u64,
    /// Stored votes per second, from the first click to the last vote stored.
    rate: f64,
}

/// Registers `client::VOTERS` voters in every voting role, opens the vote, clicks Go from
/// `plan.connections` connections for `plan.duration`, then waits until every acknowledged click
/// is stored (each one is a `ballot` row in the audit log).
async fn votes(
    addr: std::net::SocketAddr,
    database: &std::path::Path,
    plan: &Plan,
) -> (Outcome, Stored) {
    let mentions: Vec<String> = (0..client::VOTERS).map(|n| format!("<@U0V{n}>")).collect();
    open_vote(addr, &mentions).await;

    let store = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", database.display()))
        .await
        .expect("open golive's database read-only");
    let count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'ballot'")
            .fetch_one(&store)
            .await
            .expect("count stored votes");
        n as u64
    };
    let start = std::time::Instant::now();
    let clicks = client::closed_loop(
        addr,
        Kind::VoteGo,
        plan.connections,
        Duration::ZERO,
        plan.duration,
    )
    .await;
    let mut last = (count().await, std::time::Instant::now());
    while last.0 < clicks.ok && last.1.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let now = count().await;
        if now != last.0 {
            last = (now, std::time::Instant::now());
        }
    }
    let rate = last.0 as f64 / last.1.duration_since(start).as_secs_f64();
    (
        clicks,
        Stored {
            count: last.0,
            rate,
        },
    )
}

/// CPU count, model and load, for the report.
fn machine() -> String {
    format!(
        "Machine: {} CPU(s) available (nproc), {}; load average before the run: {}. Load generator runs on the same machine.",
        machine::cpus(),
        machine::cpu_model(),
        machine::load_average()
    )
}

/// The bare reference server's rates for the status command and for clicks, with the same load
/// generator and connection count as golive's scenarios a and d.
fn reference_rates(plan: &Plan) -> Result<(f64, f64), String> {
    println!("reference: bare axum, {} connections…", plan.connections);
    let bare = reference::Reference::spawn()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (status, clicks) = runtime.block_on(async {
        let status = client::closed_loop(
            bare.addr,
            Kind::Status,
            plan.connections,
            plan.warmup,
            plan.duration,
        )
        .await;
        let clicks = client::closed_loop(
            bare.addr,
            Kind::VoteGo,
            plan.connections,
            plan.warmup,
            plan.duration,
        )
        .await;
        (status, clicks)
    });
    Ok((status.rate(), clicks.rate()))
}
