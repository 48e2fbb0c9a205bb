//! The golive release binary as a child process for the views benchmark: `golive serve` on a free
//! loopback port with a fresh SQLite file, the board token set, and either the console transport
//! (no bot token) or a fake Slack's Web API. Spawned through the tests' `servers::ServerProcess`
//! (its own process group, SIGKILL if the bench dies), stopped with SIGTERM, so the database is
//! closed cleanly before `golive export` reads it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::server::{self, RELEASE_MANAGER, SIGNING_SECRET};
use crate::servers::{self, ServerProcess, Signal};

/// The board token golive is given; the board's cookie carries it.
pub const BOARD_TOKEN: &str = "golive-views-bench-board-token";
/// The bot token golive is given when it talks to the fake Slack.
pub const BOT_TOKEN: &str = "xoxb-views-bench";

/// A running `golive serve`; stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
pub struct Golive {
    // Dropped first: the process stops before its folder goes.
    process: ServerProcess,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Golive {
    /// Starts golive and waits until `/healthz` answers. `slack_api`: the fake Slack's Web API
    /// URL (then golive has a bot token), or `None` for the console transport.
    pub fn start(slack_api: Option<&str>) -> Golive {
        let dir = servers::scratch_dir("views-golive");
        let addr: SocketAddr = format!("127.0.0.1:{}", servers::free_port())
            .parse()
            .expect("a loopback address");
        let mut command = Command::new(server::binary());
        command
            .args(["serve", "--listen", &addr.to_string()])
            .arg("--database")
            .arg(database_url(&dir.path().join("golive.db")))
            // Only what is set here: whatever the caller's shell has must not change the figures.
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("GOLIVE_RELEASE_MANAGERS", RELEASE_MANAGER)
            .env("GOLIVE_BOARD_TOKEN", BOARD_TOKEN);
        if let Some(api) = slack_api {
            command
                .env("SLACK_BOT_TOKEN", BOT_TOKEN)
                .env("SLACK_API_URL", api);
        }
        let log = dir.path().join("golive.log");
        let process = ServerProcess::spawn("golive", command, &log, Signal::Term)
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server::binary().display()));
        let golive = Golive { process, addr, dir };
        golive.wait_ready();
        golive
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if servers::http_status(self.addr, "/healthz").ok() == Some(200) {
                return;
            }
            if self.process.has_exited() {
                panic!("golive exited during start-up\n{}", self.log_tail());
            }
            if Instant::now() > deadline {
                panic!(
                    "golive did not answer /healthz within 20 s\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The SQLite file golive writes.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("golive.db")
    }

    /// A scratch folder that lives as long as this golive.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn alive(&self) -> bool {
        !self.process.has_exited()
    }

    /// A `/proc/<pid>/status` figure in bytes: "VmRSS", "VmHWM".
    pub fn memory(&self, field: &str) -> u64 {
        server::memory_of(self.pid(), field).unwrap_or(0)
    }

    /// User + system CPU time of the process so far (`/proc/<pid>/stat`, fields 14 and 15).
    pub fn cpu(&self) -> Duration {
        cpu_of(self.pid())
    }

    /// Stops golive with SIGTERM and waits for it; its files stay until this value drops.
    pub fn stop(&self) {
        self.process.stop();
    }

    /// WARN and ERROR lines in golive's log.
    pub fn problems(&self) -> Vec<String> {
        std::fs::read_to_string(self.process.log_path())
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR") || l.contains("panicked"))
            .map(plain)
            .collect()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}

/// A log line without its terminal colours (`ESC [ … m`).
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `sqlite://<path>`, as golive's `--database` takes it.
pub fn database_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// User + system CPU time of process `pid`, from `/proc/<pid>/stat` in clock ticks (100 a second
/// on Linux: `getconf CLK_TCK`).
pub fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces: count from the `)` that closes it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = tick(14 - 3) + tick(15 - 3);
    Duration::from_millis(ticks * 10)
}
