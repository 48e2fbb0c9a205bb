//! The golive release binary as a child process for the replicas benchmark: `golive serve` on a
//! free loopback port, on a SQLite file or a PostgreSQL database, with the console transport or
//! a fake Slack's Web API. Spawned through the tests' `servers::ServerProcess` (a process group of
//! its own, SIGKILL when the bench dies) and stopped by its pid when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::server::{self, RELEASE_MANAGER, SIGNING_SECRET};
use crate::servers::{self, ServerProcess, Signal};

/// The bot token golive is given when it talks to the fake Slack.
pub const BOT_TOKEN: &str = "xoxb-replicas-bench";

/// How one `golive serve` is started.
pub struct Spec<'a> {
    /// `GOLIVE_REPLICA_ID`, also the name of its log file.
    pub name: &'a str,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: &'a str,
    /// `GOLIVE_LEASE_SECS`, when given.
    pub lease_secs: Option<u64>,
    /// The fake Slack's Web API (golive then has a bot token), or `None`: the console transport.
    pub slack_api: Option<&'a str>,
    /// `GOLIVE_PLANS`: a plan file or a folder of them; `None`: the embedded plan.
    pub plans: Option<&'a Path>,
    /// How [`Golive::stop`] ends it: SIGTERM (a clean stop) or SIGKILL (`kill -9`).
    pub stop: Signal,
}

impl<'a> Spec<'a> {
    /// Replica `name` on `database_url`: default lease, console transport, the embedded plan,
    /// stopped cleanly.
    pub fn new(name: &'a str, database_url: &'a str) -> Self {
        Self {
            name,
            database_url,
            lease_secs: None,
            slack_api: None,
            plans: None,
            stop: Signal::Term,
        }
    }
}

/// A running `golive serve`; stopped by its pid when dropped.
pub struct Golive {
    process: ServerProcess,
    pub addr: SocketAddr,
    pub name: String,
    spawned: Instant,
}

impl Golive {
    /// Spawns golive with signed HTTP routes and its logs in `dir`.
    pub fn start(spec: &Spec, dir: &Path) -> Golive {
        let binary = binary();
        let port = servers::free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .env("DATABASE_URL", spec.database_url)
            .env("GOLIVE_LISTEN", addr.to_string())
            .env("GOLIVE_REPLICA_ID", spec.name)
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("GOLIVE_RELEASE_MANAGERS", RELEASE_MANAGER);
        if let Some(secs) = spec.lease_secs {
            command.env("GOLIVE_LEASE_SECS", secs.to_string());
        }
        if let Some(api) = spec.slack_api {
            command
                .env("SLACK_BOT_TOKEN", BOT_TOKEN)
                .env("SLACK_API_URL", api);
        }
        if let Some(plans) = spec.plans {
            command.env("GOLIVE_PLANS", plans);
        }
        let log = dir.join(format!("{}.log", spec.name));
        let spawned = Instant::now();
        let process = ServerProcess::spawn(spec.name, command, &log, spec.stop)
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        Golive {
            process,
            addr,
            name: spec.name.to_string(),
            spawned,
        }
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Waits until `GET /healthz` answers 200; the time from spawn. Panics with golive's log if
    /// it exits or takes longer than `within`.
    pub async fn wait_ready(&self, within: Duration) -> Duration {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let url = format!("http://{}/healthz", self.addr);
        loop {
            if let Ok(answer) = http.get(&url).send().await {
                if answer.status().is_success() {
                    return self.spawned.elapsed();
                }
            }
            assert!(
                !self.process.has_exited(),
                "{} exited at start:\n{}",
                self.name,
                self.process.log_tail()
            );
            assert!(
                self.spawned.elapsed() < within,
                "{} did not answer /healthz within {within:?}:\n{}",
                self.name,
                self.process.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Whether the process is still running.
    pub fn alive(&self) -> bool {
        !self.process.has_exited()
    }

    /// User + system CPU time so far.
    pub fn cpu(&self) -> Duration {
        cpu_of(self.pid())
    }

    /// VmRSS in bytes.
    pub fn rss(&self) -> u64 {
        server::memory_of(self.pid(), "VmRSS").unwrap_or(0)
    }

    /// Stops it with its spec's signal (for SIGKILL: `kill -9`, nothing let go) and reaps it.
    /// Returns the instant just before the signal was sent.
    pub fn stop(&self) -> Instant {
        let at = Instant::now();
        self.process.stop();
        at
    }

    /// WARN and ERROR lines in its log, but for the notices fitted to Slack's limits (a role
    /// given to 1,000 voters names them all in one notice, which golive shortens and says so).
    pub fn problems(&self) -> Vec<String> {
        std::fs::read_to_string(self.process.log_path())
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .filter(|l| !l.contains("fitted to Slack's limits"))
            .map(str::to_string)
            .collect()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}

/// The `golive` executable: target/release/golive, which `cargo bench` builds (in the bench
/// profile, from the same sources) before it runs the bench; `GOLIVE_BENCH_BINARY` names another
/// build to measure instead. Panics saying how to build it when missing.
pub fn binary() -> PathBuf {
    let path = std::env::var_os("GOLIVE_BENCH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(server::binary);
    if !path.is_file() {
        panic!(
            "{} is missing: run `cargo bench --bench replicas` (which builds it) or \
             `cargo build --release --bin golive` first",
            path.display()
        );
    }
    path
}

/// User + system CPU time of process `pid`, from /proc/<pid>/stat (zero once it is gone).
pub fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    ticks(&stat)
}

/// utime + stime of one /proc/<pid>/stat line.
fn ticks(stat: &str) -> Duration {
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15, counted after the ")" that ends field 2.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

/// CPU time of process `parent` and of its live children: a PostgreSQL server and its backends
/// (each backend is a session of its own, so its process group does not tell).
pub fn server_cpu(parent: u32) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let parent_id = parent.to_string();
    entries
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // Field 4, the parent's pid, is the second after the ")" that ends field 2.
            let after = stat.rsplit(')').next().unwrap_or_default();
            let ppid = after.split_whitespace().nth(1)?;
            (pid == parent || ppid == parent_id).then(|| ticks(&stat))
        })
        .sum()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn clock_ticks_per_second() -> f64 {
    100.0
}
