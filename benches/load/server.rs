//! The golive binary as a child process: spawn it on a free port with a fresh SQLite file, wait
//! for its first answered request, read its memory from /proc, and kill it when dropped (also
//! when the bench panics).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The signing secret the bench gives golive and signs every request with.
pub const SIGNING_SECRET: &str = "golive-bench-signing-secret";
/// The user named release manager through `GOLIVE_RELEASE_MANAGERS`.
pub const RELEASE_MANAGER: &str = "U0BENCH";

/// The `golive` executable. Cargo builds it (in the bench profile) before the bench and says
/// where through `CARGO_BIN_EXE_golive`; target/release/golive is the fallback.
pub fn binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_golive") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/golive"),
    }
}

/// A running `golive serve`. Dropping it kills the process and removes its files.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    spawned: Instant,
    dir: TempDir,
}

impl Server {
    /// Spawns `golive serve` with signed HTTP routes, the console transport (no bot token), the
    /// embedded plan and a database file of its own.
    pub fn spawn() -> Self {
        Self::spawn_with_plans(0)
    }

    /// Like [`Server::spawn`], but running `plans` launches from plan files (none: the embedded
    /// plan): copies of `deploy/plans/summit-v4.toml`, each with a version and channel of its
    /// own, as `golive serve --plan A.toml --plan B.toml …` runs them.
    pub fn spawn_with_plans(plans: usize) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("golive-bench-")
            .tempdir()
            .expect("create a temporary directory");
        let addr = free_port();
        let database = format!("sqlite://{}", dir.path().join("golive.db").display());
        let log =
            |name: &str| std::fs::File::create(dir.path().join(name)).expect("create a log file");
        let mut command = Command::new(binary());
        command
            .args([
                "serve",
                "--listen",
                &addr.to_string(),
                "--database",
                &database,
            ])
            .args(
                plan_files(dir.path(), plans)
                    .iter()
                    .flat_map(|plan| [std::ffi::OsStr::new("--plan"), plan.as_os_str()]),
            )
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("GOLIVE_RELEASE_MANAGERS", RELEASE_MANAGER)
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"));
        // Whatever the caller's shell has set must not change what is measured.
        for name in [
            "SLACK_BOT_TOKEN",
            "SLACK_APP_TOKEN",
            "SLACK_API_URL",
            "GOLIVE_PLAN",
            "GOLIVE_PLANS",
            "GOLIVE_LAUNCH_DATE",
            "GOLIVE_CLOCK_START",
            "GOLIVE_CLOCK_SPEED",
            "GOLIVE_LISTEN",
            "DATABASE_URL",
            "RUST_LOG",
        ] {
            command.env_remove(name);
        }
        let spawned = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        Self {
            child,
            addr,
            spawned,
            dir,
        }
    }

    /// The SQLite database file golive writes.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("golive.db")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time from spawn until `GET /healthz` first answers 200 "ok", polling with a short
    /// connect-retry loop. Panics (with golive's log) if it exits or takes over 10 s.
    pub fn wait_ready(&mut self) -> Duration {
        let give_up = self.spawned + Duration::from_secs(10);
        loop {
            if healthz(self.addr) {
                return self.spawned.elapsed();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "golive exited during start-up ({status}):\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() > give_up {
                panic!(
                    "golive did not answer /healthz within 10 s:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A `/proc/<pid>/status` field in bytes, e.g. "VmRSS" or "VmHWM".
    pub fn memory(&self, field: &str) -> Option<u64> {
        memory_of(self.pid(), field)
    }

    /// The last lines golive wrote to stderr and stdout.
    pub fn log_tail(&self) -> String {
        let mut out = String::new();
        for name in ["stderr.log", "stdout.log"] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(20)..];
            out.push_str(&format!(
                "--- golive {name} (last {} lines) ---\n",
                tail.len()
            ));
            for line in tail {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// How many lines golive logged at ERROR.
    pub fn logged_errors(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("stderr.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("ERROR"))
            .count()
    }

    /// How many lines golive logged at WARN or ERROR.
    pub fn logged_problems(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("stderr.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field of process `pid`, in bytes.
pub fn memory_of(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `count` plan files in `dir`: the Summit v4 plan with versions 4.1.0, 4.2.0, … and channels
/// #v4-launch-1, #v4-launch-2, … (each launch needs a release key and a channel of its own).
fn plan_files(dir: &std::path::Path, count: usize) -> Vec<PathBuf> {
    const SUMMIT: &str = include_str!("../../deploy/plans/summit-v4.toml");
    (1..=count)
        .map(|n| {
            let source = SUMMIT
                .replacen("version = \"4.0.0\"", &format!("version = \"4.{n}.0\""), 1)
                .replacen(
                    "channel = \"#v4-launch\"",
                    &format!("channel = \"#v4-launch-{n}\""),
                    1,
                );
            assert_ne!(source, SUMMIT, "the plan's version and channel lines moved");
            let path = dir.join(format!("summit-4.{n}.0.toml"));
            std::fs::write(&path, source).expect("write a plan file");
            path
        })
        .collect()
}

/// A port nobody listens on right now.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address")
}

/// One `GET /healthz` over a fresh connection: true when it answers 200 "ok".
fn healthz(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok")
}
