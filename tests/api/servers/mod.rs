//! Real servers for the tests, started on free loopback ports and stopped by their process ids:
//! [`postgres::Postgres`], [`unleash::Unleash`] (on its own Postgres) and
//! [`prometheus::Prometheus`] scraping an [`exporter::Exporter`] whose traffic the test sets.
//!
//! `scripts/install-test-servers` installs them (Debian `postgresql` and `prometheus`, npm
//! `unleash-server` into `${GOLIVE_TEST_SERVERS:-$HOME/.cache/golive-test-servers}`); a server
//! whose binary is missing panics with the command that installs it, it is never skipped.
//!
//! The `start()` functions block (a few seconds; Unleash up to 45) and can be called from a
//! `#[tokio::test]` before the app under test runs. Each server is stopped when its value is
//! dropped: a signal to its process group, a wait, SIGKILL if it does not go. Every server is
//! spawned from one thread that lives as long as the test process and gets SIGKILL as its parent
//! death signal, so none outlives the test binary, whether the test passed, panicked or the binary
//! was interrupted. Logs go to a file in the server's temporary folder and are quoted when a
//! server fails to start.
// Shared by every test module; each test uses only some of the helpers.
#![allow(dead_code)]

pub mod exporter;
pub mod postgres;
pub mod prometheus;
pub mod unleash;

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The command that installs everything these helpers start.
pub const INSTALL: &str = "scripts/install-test-servers";

/// Where `scripts/install-test-servers` puts what does not come from apt.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOLIVE_TEST_SERVERS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache/golive-test-servers")
}

/// Panics: `what` is missing, and this is how to install it.
pub fn missing(what: &str, how: &str) -> ! {
    panic!("{what} is missing: run `{INSTALL}` from the repository root (or `{how}`)")
}

/// A port nobody listens on right now on 127.0.0.1. Another process may take it before the
/// server binds it: the `start()` functions retry with a new port when the server says so.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// A temporary folder for one server, removed when the value drops. Its name carries this
/// process's id, so folders left by a test binary that was killed are swept by the next one.
pub fn scratch_dir(what: &str) -> tempfile::TempDir {
    static SWEPT: OnceLock<()> = OnceLock::new();
    SWEPT.get_or_init(sweep_stale_scratch_dirs);
    tempfile::Builder::new()
        .prefix(&format!("golive-test-{}-{what}-", std::process::id()))
        .tempdir()
        .expect("create a temporary folder")
}

fn sweep_stale_scratch_dirs() {
    // Only where /proc tells which processes live.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("golive-test-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Calls `check` every `interval` until it returns `Some`, or `None` once `timeout` has passed.
pub fn poll<T>(
    timeout: Duration,
    interval: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(interval);
    }
}

/// The status code of a plain `GET path` on `addr`, without a runtime (for readiness checks).
pub fn http_status(addr: SocketAddr, path: &str) -> io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    std::str::from_utf8(&head[..read])
        .ok()
        .and_then(|h| h.strip_prefix("HTTP/1.1 ").or(h.strip_prefix("HTTP/1.0 ")))
        .and_then(|h| h.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP answer"))
}

/// Whether this process runs as root (PostgreSQL then has to run as another user).
pub fn is_root() -> bool {
    sys::is_root()
}

/// The uid and gid of a local user, from `getent passwd`.
pub fn system_user(name: &str) -> Option<(u32, u32)> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .output()
        .ok()?;
    let line = String::from_utf8(out.stdout).ok()?;
    let mut fields = line.trim().split(':').skip(2);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// The signal a server is asked to stop with (SIGKILL follows if it takes too long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM.
    Term,
    /// SIGINT: PostgreSQL's "fast" shutdown (SIGTERM waits for every client to leave).
    Int,
    /// SIGKILL.
    Kill,
}

/// A server's process, in a process group of its own, stopped on drop (see [`Self::stop`]).
pub struct ServerProcess {
    name: String,
    pid: u32,
    log: PathBuf,
    stop_signal: Signal,
    child: Mutex<Option<Child>>,
}

impl ServerProcess {
    /// How long a server has to stop after its stop signal before it gets SIGKILL.
    pub const GRACE: Duration = Duration::from_secs(10);

    /// Spawns `command` with stdin closed and stdout and stderr appended to `log`, as the
    /// leader of a new process group, from the long-lived spawner thread with SIGKILL as its
    /// parent death signal.
    pub fn spawn(
        name: &str,
        mut command: Command,
        log: &Path,
        stop_signal: Signal,
    ) -> io::Result<ServerProcess> {
        let out = File::options().create(true).append(true).open(log)?;
        command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        sys::kill_with_parent(&mut command);
        let child = spawn_from_long_lived_thread(command)?;
        Ok(ServerProcess {
            name: name.to_owned(),
            pid: child.id(),
            log: log.to_owned(),
            stop_signal,
            child: Mutex::new(Some(child)),
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Whether the process has exited (or was stopped).
    pub fn has_exited(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match child.as_mut() {
            None => true,
            Some(c) => !matches!(c.try_wait(), Ok(None)),
        }
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "--- last lines of {} ({}) ---\n{}",
            self.name,
            self.log.display(),
            lines[from..].join("\n")
        )
    }

    /// Sends the stop signal to the process group, waits up to [`Self::GRACE`], then SIGKILLs
    /// the group and reaps the process. Idempotent.
    pub fn stop(&self) {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut child) = guard.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            sys::signal_group(self.pid, self.stop_signal);
            let gone = poll(Self::GRACE, Duration::from_millis(20), || {
                child.try_wait().ok().flatten()
            });
            if gone.is_none() {
                eprintln!(
                    "{} (pid {}) did not stop within {:?}: SIGKILL",
                    self.name,
                    self.pid,
                    Self::GRACE
                );
            }
        }
        // Whatever the leader left in its group goes too.
        sys::signal_group(self.pid, Signal::Kill);
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Linux delivers the parent death signal when the *thread* that forked the child ends, not the
/// process: a test's thread (or a runtime's blocking thread) ends long before a shared server
/// should. So every server is forked by this one thread, which lives until the process exits.
fn spawn_from_long_lived_thread(command: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("test-server-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("start the test server spawner thread");
        jobs
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .send((command, reply))
        .expect("the spawner thread runs");
    answer.recv().expect("the spawner thread answers")
}

/// Runs `f` when the test process exits normally (the test harness returns or calls `exit`):
/// statics are never dropped, so this is how a shared server stops and removes its files.
pub fn at_exit(f: extern "C" fn()) {
    sys::at_exit(f)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod sys {
    use super::Signal;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    pub fn is_root() -> bool {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() == 0 }
    }

    pub fn signal_group(pid: u32, signal: Signal) {
        let sig = match signal {
            Signal::Term => libc::SIGTERM,
            Signal::Int => libc::SIGINT,
            Signal::Kill => libc::SIGKILL,
        };
        // SAFETY: kill has no memory preconditions; the group is the one the child leads.
        unsafe {
            libc::kill(-(pid as libc::pid_t), sig);
        }
    }

    pub fn kill_with_parent(command: &mut Command) {
        let parent = std::process::id();
        // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid).
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl: then nobody would send the signal.
                if libc::getppid() as u32 != parent {
                    return Err(std::io::Error::other("the test process is gone"));
                }
                Ok(())
            });
        }
    }

    pub fn at_exit(f: extern "C" fn()) {
        // SAFETY: f is a plain function that lives for the whole program.
        unsafe {
            libc::atexit(f);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    //! Without libc here: signals through kill(1); no parent death signal, no exit hook.
    use super::Signal;
    use std::process::Command;

    pub fn is_root() -> bool {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    }

    pub fn signal_group(pid: u32, signal: Signal) {
        let name = match signal {
            Signal::Term => "TERM",
            Signal::Int => "INT",
            Signal::Kill => "KILL",
        };
        let _ = Command::new("kill")
            .args(["-s", name, "--", &format!("-{pid}")])
            .stderr(std::process::Stdio::null())
            .status();
    }

    pub fn kill_with_parent(_command: &mut Command) {}

    pub fn at_exit(_f: extern "C" fn()) {}
}
