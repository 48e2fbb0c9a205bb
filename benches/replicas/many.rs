//! Part 4: many launches in one deployment. `launches` plan files (the shipped plan, each with a
//! release name, version, channel and L-Day of its own) in one folder, `GOLIVE_PLANS` naming it,
//! and a fake Slack that knows every launch channel. Two replicas of the release binary on one
//! PostgreSQL, then, for reference, one process on SQLite with the same folder. Once up and
//! settled (every launch held and CPU quiet, or a window's time spent waiting for it), each
//! process's CPU (utime + stime from /proc) over a window and its VmRSS at the end; the
//! PostgreSQL server's CPU (the server and its backends) too.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::fake_slack::FakeSlack;
use crate::golive::{cpu_of, server_cpu, Golive, Spec};
use crate::plans;
use crate::servers::postgres::Postgres;
use crate::store::Store;

/// One process's idle figures.
pub struct Idle {
    pub what: String,
    pub ready: Duration,
    /// From the start until CPU was quiet (or the bench gave up waiting).
    pub settled: Duration,
    /// Whether it went quiet (under 3 % of a core for two seconds running).
    pub quiet: bool,
    pub cpu: Duration,
    pub window: Duration,
    pub rss: u64,
    /// Launches whose lease it holds (PostgreSQL), or all of them (SQLite).
    pub held: i64,
    pub problems: Vec<String>,
}

/// Writes the plan files and tells the fake Slack of their channels.
pub fn write_plans(launches: usize, folder: &Path, fake: &FakeSlack) {
    std::fs::create_dir_all(folder).expect("a plan folder");
    let today = plans::today();
    for n in 0..launches {
        let channel = format!("launch-{n:04}");
        fake.add_channel(&format!("C0L{n:04}"), &channel);
        // L-Day two weeks to four months away: every launch has posts still to come.
        let launch = today + chrono::Days::new(14 + (n % 100) as u64);
        let source = plans::source(
            &format!("Summit {n:04}"),
            &format!("4.{n}.0"),
            &channel,
            launch,
        );
        std::fs::write(folder.join(format!("launch-{n:04}.toml")), source).expect("a plan file");
    }
}

/// Waits until every process's CPU grew by less than `quiet` per second for two seconds in a
/// row (at most `within`); whether it did.
async fn settle(pids: &[u32], quiet: Duration, within: Duration) -> bool {
    let started = Instant::now();
    let mut calm = 0;
    let mut before: Vec<Duration> = pids.iter().map(|p| cpu_of(*p)).collect();
    while calm < 2 && started.elapsed() < within {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now: Vec<Duration> = pids.iter().map(|p| cpu_of(*p)).collect();
        let busy = now.iter().zip(&before).any(|(n, b)| *n - *b >= quiet);
        calm = if busy { 0 } else { calm + 1 };
        before = now;
    }
    calm >= 2
}

/// CPU of each of `pids` (and of the PostgreSQL server `server` with its backends, when given)
/// over `window`.
async fn measure(pids: &[u32], server: Option<u32>, window: Duration) -> (Vec<Duration>, Duration) {
    let before: Vec<Duration> = pids.iter().map(|p| cpu_of(*p)).collect();
    let server_before = server.map(server_cpu).unwrap_or_default();
    tokio::time::sleep(window).await;
    let after: Vec<Duration> = pids.iter().map(|p| cpu_of(*p)).collect();
    let server_after = server.map(server_cpu).unwrap_or_default();
    let cpu = after.iter().zip(&before).map(|(a, b)| *a - *b).collect();
    (cpu, server_after.saturating_sub(server_before))
}

/// Two replicas on one fresh PostgreSQL database: each replica's figures, and the PostgreSQL
/// server's CPU over the same window.
pub async fn replicas(
    postgres: &Postgres,
    fake: &FakeSlack,
    folder: &Path,
    launches: usize,
    window: Duration,
    dir: &Path,
) -> (Vec<Idle>, Duration) {
    postgres.create_database("many_launches");
    let url = postgres.url("many_launches");
    let api = fake.api_url();
    let names = ["many-a", "many-b"];
    let started = Instant::now();
    let replicas: Vec<Golive> = names
        .iter()
        .map(|name| {
            Golive::start(
                &Spec {
                    slack_api: Some(&api),
                    plans: Some(folder),
                    ..Spec::new(name, &url)
                },
                dir,
            )
        })
        .collect();
    let mut ready = Vec::new();
    for replica in &replicas {
        ready.push(replica.wait_ready(Duration::from_secs(180)).await);
    }
    let store = Store::open(&url).await;
    // Every launch held by a replica, both beating.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = store
            .number("SELECT COUNT(*) FROM leases")
            .await
            .unwrap_or(0);
        let beating = store
            .number("SELECT COUNT(*) FROM replicas")
            .await
            .unwrap_or(0);
        if held as usize == launches && beating == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{held} of {launches} launches held, {beating} replicas beating after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pids: Vec<u32> = replicas.iter().map(Golive::pid).collect();
    let quiet = settle(&pids, Duration::from_millis(30), window).await;
    let settled = started.elapsed();
    let (cpu, server) = measure(&pids, Some(postgres.pid()), window).await;
    let mut idle = Vec::new();
    for ((replica, cpu), ready) in replicas.iter().zip(cpu).zip(ready) {
        let held = store
            .number(&format!(
                "SELECT COUNT(*) FROM leases WHERE holder = '{}'",
                replica.name
            ))
            .await
            .unwrap_or(0);
        assert!(
            replica.alive(),
            "{} died:\n{}",
            replica.name,
            replica.log_tail()
        );
        idle.push(Idle {
            what: format!("replica {} on PostgreSQL", replica.name),
            ready,
            settled,
            quiet,
            cpu,
            window,
            rss: replica.rss(),
            held,
            problems: replica.problems(),
        });
    }
    store.close().await;
    for replica in &replicas {
        replica.stop();
    }
    (idle, server)
}

/// One process on a fresh SQLite file with the same plans.
pub async fn sqlite(
    fake: &FakeSlack,
    folder: &Path,
    launches: usize,
    window: Duration,
    dir: &Path,
) -> Idle {
    let url = format!("sqlite://{}", dir.join("many.db").display());
    let api = fake.api_url();
    let started = Instant::now();
    let golive = Golive::start(
        &Spec {
            slack_api: Some(&api),
            plans: Some(folder),
            ..Spec::new("many-sqlite", &url)
        },
        dir,
    );
    let ready = golive.wait_ready(Duration::from_secs(180)).await;
    let quiet = settle(&[golive.pid()], Duration::from_millis(30), window).await;
    let settled = started.elapsed();
    let (cpu, _) = measure(&[golive.pid()], None, window).await;
    assert!(
        golive.alive(),
        "golive on SQLite died:\n{}",
        golive.log_tail()
    );
    let idle = Idle {
        what: "one process on SQLite".to_string(),
        ready,
        settled,
        quiet,
        cpu: cpu[0],
        window,
        rss: golive.rss(),
        held: launches as i64,
        problems: golive.problems(),
    };
    golive.stop();
    idle
}
