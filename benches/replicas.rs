//! golive on PostgreSQL replicas against golive on SQLite, in one run: same machine, same build,
//! same client. The release binary runs as child processes on loopback; PostgreSQL is the tests'
//! throwaway server (`tests/api/servers/postgres.rs`: fsync and synchronous_commit off); the
//! fake Slack is the tests' (`tests/api/fake_slack`), in this process.
//!
//!     cargo bench --bench replicas                      # everything, about 5 minutes
//!     cargo bench --bench replicas -- --only status,clicks,failover,many
//!
//! `cargo bench` builds the `golive` binary in the bench (release) profile first; the bench runs
//! target/release/golive and fails saying so when it is missing (`GOLIVE_BENCH_BINARY=path`
//! measures another build). The parts, each setup on a fresh store: SQLite (a file), one replica
//! on PostgreSQL, two replicas on one PostgreSQL database.
//! 1. `/golive status` over signed HTTP with the load benchmark's client (`load/client.rs`):
//!    64 workers, each with a keep-alive connection to every golive and sending its requests to
//!    them in turn (round robin), the next as soon as the last is answered; 0.5 s of warm-up,
//!    then 4 s measured. Throughput, latency p50/p99, CPU per 1,000 requests (golive's processes,
//!    PostgreSQL's server with all its backends).
//! 2. Go clicks: a go/no-go vote of 1,000 voters (each holding every voting role), then signed
//!    block_actions Go clicks from the same 64 workers for 4 s, click n by voter n % 1,000, each
//!    a distinct delivery. golive acknowledges a click once it is stored (`server/dispatch.rs`),
//!    so the acknowledgement latency is the storing latency. Then the store is counted until every
//!    acknowledged click is in: one `ballot` audit row and one delivery id per click, one ballot
//!    row per voter, no more.
//! 3. Failover after kill -9, real time (no rehearsal clock), `GOLIVE_LEASE_SECS` 10 (the
//!    default) and 2, 5 runs each: see `replicas/failover.rs`.
//! 4. 1,000 launches in one deployment: two replicas on one PostgreSQL, and one process on SQLite
//!    for reference, idle CPU over 30 s once settled and RSS: see `replicas/many.rs`.
//!
//! The load generator and the fake Slack share the 2-core machine with golive and PostgreSQL.
//! Run without `--bench` (as `cargo test --benches` does) every part runs small as a smoke test.
//! The exit code is non-zero when a request failed, a click was not stored exactly once, a post
//! was made twice or a golive died.

#[allow(dead_code)]
#[path = "load/client.rs"]
mod client;
// The tests' fake Slack; the bench uses a few of its verbs.
#[path = "replicas/failover.rs"]
mod failover;
#[allow(unused_imports)]
#[path = "../tests/api/fake_slack/mod.rs"]
mod fake_slack;
#[path = "replicas/golive.rs"]
mod golive;
#[path = "replicas/load.rs"]
mod load;
#[path = "load/machine.rs"]
mod machine;
#[path = "replicas/many.rs"]
mod many;
#[path = "replicas/plans.rs"]
mod plans;
#[allow(dead_code)]
#[path = "load/server.rs"]
mod server;
#[path = "../tests/api/servers/mod.rs"]
mod servers;
#[path = "replicas/store.rs"]
mod store;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use client::percentile;
use fake_slack::FakeSlack;
use golive::{server_cpu, Golive, Spec};
use servers::postgres::Postgres;
use store::Store;

/// How big a run is.
#[derive(Clone, Copy)]
struct Sizes {
    workers: usize,
    warmup: Duration,
    status: Duration,
    clicks: Duration,
    voters: u64,
    leases: &'static [u64],
    failovers: usize,
    launches: usize,
    idle_window: Duration,
}

const FULL: Sizes = Sizes {
    workers: 64,
    warmup: Duration::from_millis(500),
    status: Duration::from_secs(4),
    clicks: Duration::from_secs(4),
    voters: 1_000,
    leases: &[10, 2],
    failovers: 5,
    launches: 1_000,
    idle_window: Duration::from_secs(30),
};

const SMOKE: Sizes = Sizes {
    workers: 8,
    warmup: Duration::from_millis(100),
    status: Duration::from_millis(500),
    clicks: Duration::from_millis(500),
    voters: 50,
    leases: &[2],
    failovers: 1,
    launches: 20,
    idle_window: Duration::from_secs(2),
};

/// The three stores parts 1 and 2 compare.
#[derive(Clone, Copy, PartialEq)]
enum Setup {
    Sqlite,
    OnePostgres,
    TwoPostgres,
}

impl Setup {
    const ALL: [Setup; 3] = [Setup::Sqlite, Setup::OnePostgres, Setup::TwoPostgres];

    fn title(self) -> &'static str {
        match self {
            Setup::Sqlite => "SQLite",
            Setup::OnePostgres => "PostgreSQL, 1 replica",
            Setup::TwoPostgres => "PostgreSQL, 2 replicas",
        }
    }
}

/// What parts 1 and 2 measured on one setup.
struct Figures {
    /// CPU over 1 s at idle before the load: golive's processes, PostgreSQL's.
    idle: (Duration, Duration),
    status: Option<load::Run>,
    /// CPU per 1,000 status requests: golive's processes, PostgreSQL's.
    status_cpu: (f64, f64),
    clicks: Option<(load::Run, load::Stored)>,
    click_cpu: (f64, f64),
    problems: Vec<String>,
    alive: bool,
}

impl Figures {
    fn status_rate(&self) -> f64 {
        self.status.as_ref().map_or(f64::NAN, |s| s.outcome.rate())
    }

    fn click_rate(&self) -> f64 {
        self.clicks.as_ref().map_or(f64::NAN, |(_, s)| s.rate)
    }

    /// Every acknowledged click stored exactly once.
    fn stored_once(&self, voters: u64) -> bool {
        self.clicks.as_ref().is_none_or(|(run, stored)| {
            let acked = run.outcome.ok as i64;
            stored.audited == acked
                && stored.deliveries == acked
                && stored.ballots == acked.min(voters as i64)
        })
    }

    fn errors(&self) -> u64 {
        self.status.as_ref().map_or(0, |s| s.outcome.errors)
            + self.clicks.as_ref().map_or(0, |(c, _)| c.outcome.errors)
    }
}

/// Parts 1 and 2 on one setup, on a fresh store.
async fn setup_run(
    setup: Setup,
    postgres: &Postgres,
    sizes: &Sizes,
    parts: &Parts,
    dir: &Path,
) -> Figures {
    let (url, names): (String, &[&str]) = match setup {
        Setup::Sqlite => (
            format!("sqlite://{}", dir.join("load.db").display()),
            &["load-sqlite"],
        ),
        Setup::OnePostgres => {
            postgres.create_database("load_one");
            (postgres.url("load_one"), &["load-pg-a"])
        }
        Setup::TwoPostgres => {
            postgres.create_database("load_two");
            (postgres.url("load_two"), &["load-pg2-a", "load-pg2-b"])
        }
    };
    let golives: Vec<Golive> = names
        .iter()
        .map(|name| Golive::start(&Spec::new(name, &url), dir))
        .collect();
    for golive in &golives {
        golive.wait_ready(Duration::from_secs(30)).await;
    }
    let store = Store::open(&url).await;
    let targets: Vec<_> = golives.iter().map(|g| g.addr).collect();
    let on_postgres = setup != Setup::Sqlite;
    let cpu = || {
        let golive: Duration = golives.iter().map(Golive::cpu).sum();
        let server = if on_postgres {
            server_cpu(postgres.pid())
        } else {
            Duration::ZERO
        };
        (golive, server)
    };
    let per_thousand = |before: (Duration, Duration), after: (Duration, Duration), n: u64| {
        let n = n.max(1) as f64 / 1000.0;
        (
            (after.0 - before.0).as_secs_f64() * 1000.0 / n,
            after.1.saturating_sub(before.1).as_secs_f64() * 1000.0 / n,
        )
    };
    // Let the replicas' start-up (migrations, first beats) finish, then golive's CPU at idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = cpu();
    let idle = (after.0 - before.0, after.1.saturating_sub(before.1));

    let mut figures = Figures {
        idle,
        status: None,
        status_cpu: (f64::NAN, f64::NAN),
        clicks: None,
        click_cpu: (f64::NAN, f64::NAN),
        problems: Vec::new(),
        alive: true,
    };
    if parts.status {
        println!(
            "1. {}: /golive status, {} workers…",
            setup.title(),
            sizes.workers
        );
        let before = cpu();
        let run = load::closed_loop(
            &targets,
            load::Work::Status,
            sizes.workers,
            sizes.warmup,
            sizes.status,
        )
        .await;
        figures.status_cpu = per_thousand(before, cpu(), run.sent);
        figures.status = Some(run);
    }
    if parts.clicks {
        println!(
            "2. {}: Go clicks, {} voters, {} workers…",
            setup.title(),
            sizes.voters,
            sizes.workers
        );
        let vote = load::open_vote(targets[0], sizes.voters, &store).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = cpu();
        let (run, stored) = load::clicks(
            &targets,
            vote,
            sizes.voters,
            sizes.workers,
            sizes.clicks,
            &store,
        )
        .await;
        figures.click_cpu = per_thousand(before, cpu(), run.outcome.ok);
        figures.clicks = Some((run, stored));
    }
    store.close().await;
    for golive in &golives {
        figures.alive &= golive.alive();
        figures.problems.extend(
            golive
                .problems()
                .into_iter()
                .map(|p| format!("{}: {p}", golive.name)),
        );
        golive.stop();
    }
    figures
}

/// Which parts run (`--only status,clicks,failover,many`; all by default).
struct Parts {
    status: bool,
    clicks: bool,
    failover: bool,
    many: bool,
}

impl Parts {
    fn from_args(args: &[String]) -> Parts {
        let Some(at) = args.iter().position(|a| a == "--only") else {
            return Parts {
                status: true,
                clicks: true,
                failover: true,
                many: true,
            };
        };
        let names: Vec<&str> = args
            .get(at + 1)
            .map_or("", |s| s.as_str())
            .split(',')
            .collect();
        for name in &names {
            assert!(
                ["status", "clicks", "failover", "many"].contains(name),
                "--only takes status, clicks, failover or many, not {name:?}"
            );
        }
        Parts {
            status: names.contains(&"status"),
            clicks: names.contains(&"clicks"),
            failover: names.contains(&"failover"),
            many: names.contains(&"many"),
        }
    }
}

/// min / median / max in seconds.
fn spread(values: &[Duration]) -> String {
    let mut sorted: Vec<f64> = values.iter().map(Duration::as_secs_f64).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return "—".to_string();
    }
    format!(
        "{:.2} / {:.2} / {:.2} s",
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    )
}

/// "4 s", "0.5 s".
fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// "12,345".
fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// CPU count, model and load, for the report.
fn machine() -> String {
    format!(
        "Machine: {} CPU(s), {}; load average before the run: {}.",
        machine::cpus(),
        machine::cpu_model(),
        machine::load_average()
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let sizes = if benching { FULL } else { SMOKE };
    let parts = Parts::from_args(&args);
    let begun = Instant::now();
    let machine = machine();
    println!("golive replicas benchmark — {}", golive::binary().display());
    if !benching {
        println!("(smoke run: pass --bench, as `cargo bench` does, for the real figures)");
    }
    println!("{machine}");
    let postgres = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("PostgreSQL starts");
    let version = postgres.psql("postgres", "SHOW server_version");
    let dir = tempfile::Builder::new()
        .prefix("golive-replicas-bench-")
        .tempdir()
        .expect("a temporary folder");
    let mut failed = Vec::new();

    // Parts 1 and 2.
    let mut figures = Vec::new();
    if parts.status || parts.clicks {
        for setup in Setup::ALL {
            figures.push((
                setup,
                setup_run(setup, &postgres, &sizes, &parts, dir.path()).await,
            ));
        }
    }

    // Part 3.
    let fake = FakeSlack::start().await;
    let mut failovers = Vec::new();
    if parts.failover {
        for &lease in sizes.leases {
            let mut runs = Vec::new();
            for n in 0..sizes.failovers {
                println!(
                    "3. failover, GOLIVE_LEASE_SECS={lease}, run {} of {}…",
                    n + 1,
                    sizes.failovers
                );
                let tag = format!("l{lease}r{n}");
                runs.push(failover::run(&postgres, &fake, lease, &tag, dir.path()).await);
            }
            failovers.push((lease, runs));
        }
    }

    // Part 4.
    let mut many_figures = None;
    if parts.many {
        println!("4. {} launches: writing the plans…", sizes.launches);
        let folder = dir.path().join("plans");
        many::write_plans(sizes.launches, &folder, &fake);
        println!(
            "4. {} launches: two replicas on PostgreSQL, idle {:.0} s…",
            sizes.launches,
            sizes.idle_window.as_secs_f64()
        );
        let (replicas, server) = many::replicas(
            &postgres,
            &fake,
            &folder,
            sizes.launches,
            sizes.idle_window,
            dir.path(),
        )
        .await;
        println!(
            "4. {} launches: one process on SQLite, idle {:.0} s…",
            sizes.launches,
            sizes.idle_window.as_secs_f64()
        );
        let sqlite = many::sqlite(
            &fake,
            &folder,
            sizes.launches,
            sizes.idle_window,
            dir.path(),
        )
        .await;
        many_figures = Some((replicas, server, sqlite));
    }

    // The report.
    let mut table = Vec::new();
    if !figures.is_empty() {
        let sqlite_status = figures[0].1.status_rate();
        let sqlite_clicks = figures[0].1.click_rate();
        let ratio = |value: f64, of: f64, setup: Setup| {
            if setup == Setup::Sqlite || !value.is_finite() {
                String::new()
            } else {
                format!(" ({:.2}× SQLite)", value / of)
            }
        };
        let mut row = |label: String, cell: &dyn Fn(Setup, &Figures) -> String| {
            let cells: Vec<String> = figures.iter().map(|(s, f)| cell(*s, f)).collect();
            table.push(format!("| {label} | {} |", cells.join(" | ")));
        };
        let header: Vec<&str> = figures.iter().map(|(s, _)| s.title()).collect();
        println!();
        println!("### golive on PostgreSQL replicas against SQLite, one run");
        println!();
        println!("{machine} PostgreSQL {} (fsync off).", version.trim());
        println!();
        println!("| figure | {} |", header.join(" | "));
        println!("|---|{}", "---:|".repeat(header.len()));
        row(
            "0. CPU at idle over 1 s before the load: golive / PostgreSQL".into(),
            &|setup, f| {
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                cpu_cell((ms(f.idle.0), ms(f.idle.1)), setup)
            },
        );
        if parts.status {
            row(
                format!(
                    "1. `/golive status`, {} in flight, {}",
                    sizes.workers,
                    secs(sizes.status)
                ),
                &|setup, f| {
                    format!(
                        "{} req/s{}",
                        thousands(f.status_rate()),
                        ratio(f.status_rate(), sqlite_status, setup)
                    )
                },
            );
            let base = figures[0].1.status.as_ref().map(|s| &s.outcome.latencies);
            row("1. status latency p50 / p99".into(), &|setup, f| {
                f.status.as_ref().map_or("—".into(), |s| {
                    latency_cell(&s.outcome.latencies, base, setup)
                })
            });
            row("1. status answered per golive".into(), &|_, f| {
                f.status.as_ref().map_or("—".into(), |s| {
                    s.per_target
                        .iter()
                        .map(|n| thousands(*n as f64))
                        .collect::<Vec<_>>()
                        .join(" + ")
                })
            });
            row(
                "1. CPU per 1,000 status: golive / PostgreSQL".into(),
                &|setup, f| cpu_cell(f.status_cpu, setup),
            );
        }
        if parts.clicks {
            row(
                format!(
                    "2. Go clicks stored, {} voters, {} in flight, {}",
                    thousands(sizes.voters as f64),
                    sizes.workers,
                    secs(sizes.clicks)
                ),
                &|setup, f| {
                    format!(
                        "{} clicks/s{}",
                        thousands(f.click_rate()),
                        ratio(f.click_rate(), sqlite_clicks, setup)
                    )
                },
            );
            row(
                "2. click acknowledged (= stored) p50 / p99".into(),
                &|setup, f| {
                    f.clicks.as_ref().map_or("—".into(), |(c, _)| {
                        let base = figures[0]
                            .1
                            .clicks
                            .as_ref()
                            .map(|(c, _)| &c.outcome.latencies);
                        latency_cell(&c.outcome.latencies, base, setup)
                    })
                },
            );
            let voters = sizes.voters;
            row(
                "2. acknowledged → ballot audit rows / delivery ids / ballots (one per voter)"
                    .into(),
                &|_, f| {
                    f.clicks.as_ref().map_or("—".into(), |(c, s)| {
                        format!(
                            "{} → {} / {} / {} {}",
                            c.outcome.ok,
                            s.audited,
                            s.deliveries,
                            s.ballots,
                            if f.stored_once(voters) {
                                "✅ each once"
                            } else {
                                "❌ NOT each once"
                            }
                        )
                    })
                },
            );
            row(
                "2. CPU per 1,000 clicks: golive / PostgreSQL".into(),
                &|setup, f| cpu_cell(f.click_cpu, setup),
            );
        }
        row(
            "failed requests / WARN+ERROR lines logged / golive alive".into(),
            &|_, f| {
                format!(
                    "{} / {} / {}",
                    f.errors(),
                    f.problems.len(),
                    if f.alive { "yes" } else { "NO" }
                )
            },
        );
        for line in &table {
            println!("{line}");
        }
        for (setup, f) in &figures {
            if f.errors() > 0 || !f.alive || !f.stored_once(sizes.voters) {
                failed.push(format!("{}: requests failed or clicks lost", setup.title()));
            }
            let samples = f
                .status
                .iter()
                .chain(f.clicks.iter().map(|(c, _)| c))
                .flat_map(|r| r.outcome.samples.iter());
            for sample in samples {
                println!("!!! {}: {sample}", setup.title());
            }
            for problem in f.problems.iter().take(5) {
                println!("!!! {}: {problem}", setup.title());
            }
        }
    }

    if !failovers.is_empty() {
        println!();
        println!(
            "| 3. failover after kill -9 of the launch's holder, real time | runs | kill → survivor holds the lease, min / median / max | kill → survivor's post of the first job due after the kill, min / median / max | posted twice |"
        );
        println!("|---|---:|---:|---:|---:|");
        for (lease, runs) in &failovers {
            let leases: Vec<Duration> = runs.iter().map(|r| r.lease).collect();
            let posts: Vec<Duration> = runs.iter().map(|r| r.post).collect();
            let dues: Vec<Duration> = runs.iter().map(|r| r.due).collect();
            let doubled: usize = runs.iter().map(|r| r.doubled).sum();
            println!(
                "| `GOLIVE_LEASE_SECS={lease}`{} | {} | {} | {} (the job due on average {:.2} s after the kill) | {doubled} |",
                if *lease == 10 { " (default)" } else { "" },
                runs.len(),
                spread(&leases),
                spread(&posts),
                dues.iter().map(Duration::as_secs_f64).sum::<f64>() / dues.len().max(1) as f64,
            );
            if doubled > 0 {
                failed.push(format!("lease {lease}: a post was made twice"));
            }
            for problem in runs.iter().flat_map(|r| r.problems.iter()).take(5) {
                println!("!!! lease {lease}: {problem}");
            }
        }
    }

    if let Some((replicas, server, sqlite)) = &many_figures {
        println!();
        println!(
            "| 4. {} launches, idle | start → /healthz | settled after | launches held | CPU over {}, settled | RSS |",
            thousands(sizes.launches as f64),
            secs(sizes.idle_window)
        );
        println!("|---|---:|---:|---:|---:|---:|");
        let idle_row = |idle: &many::Idle| {
            println!(
                "| {} | {:.2} s | {:.1} s{} | {} | {:.0} ms ({:.2} % of a core) | {:.1} MB |",
                idle.what,
                idle.ready.as_secs_f64(),
                idle.settled.as_secs_f64(),
                if idle.quiet { "" } else { " (never quiet)" },
                thousands(idle.held as f64),
                idle.cpu.as_secs_f64() * 1000.0,
                100.0 * idle.cpu.as_secs_f64() / idle.window.as_secs_f64(),
                idle.rss as f64 / 1e6,
            );
        };
        for idle in replicas {
            idle_row(idle);
        }
        println!(
            "| PostgreSQL server, all its processes, same window | | | | {:.0} ms ({:.2} % of a core) | |",
            server.as_secs_f64() * 1000.0,
            100.0 * server.as_secs_f64() / sizes.idle_window.as_secs_f64()
        );
        idle_row(sqlite);
        let problems: Vec<&String> = replicas
            .iter()
            .chain([sqlite])
            .flat_map(|i| i.problems.iter())
            .collect();
        println!(
            "WARN/ERROR lines logged by the three processes: {}",
            problems.len()
        );
        for problem in problems.iter().take(5) {
            println!("    {problem}");
        }
    }

    println!();
    println!(
        "reproduce: cargo bench --bench replicas    (this run: {:.0} s; load average after: {})",
        begun.elapsed().as_secs_f64(),
        machine::load_average()
    );
    drop(fake);
    postgres.stop();
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("NOT VALID: {}", failed.join("; "));
        ExitCode::FAILURE
    }
}

/// "0.12 / 0.34 ms", with the ratios to SQLite's (`base`) on PostgreSQL.
fn latency_cell(latencies: &[u32], base: Option<&Vec<u32>>, setup: Setup) -> String {
    let (p50, p99) = (percentile(latencies, 50.0), percentile(latencies, 99.0));
    let mut cell = format!("{p50:.2} / {p99:.2} ms");
    if let (Some(base), false) = (base, setup == Setup::Sqlite) {
        cell.push_str(&format!(
            " ({:.2}× / {:.2}× SQLite)",
            p50 / percentile(base, 50.0),
            p99 / percentile(base, 99.0)
        ));
    }
    cell
}

/// "0.12 / 0.34 ms" (golive / PostgreSQL), PostgreSQL left out on SQLite.
fn cpu_cell((golive, server): (f64, f64), setup: Setup) -> String {
    if !golive.is_finite() {
        return "—".into();
    }
    match setup {
        Setup::Sqlite => format!("{golive:.0} ms / —"),
        _ => format!("{golive:.0} ms / {server:.0} ms"),
    }
}
