//! A throwaway PostgreSQL: `initdb` in a temporary folder, the server on 127.0.0.1 and a free
//! port, its Unix socket in that folder, `trust` authentication for the superuser `postgres`, no
//! fsync. As root it runs as the `postgres` user (PostgreSQL refuses root), which owns the
//! folder. Stopped by its pid on drop ("fast" shutdown), then the folder is removed.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{missing, poll, ServerProcess, Signal};

/// The superuser every database URL names.
pub const SUPERUSER: &str = "postgres";

pub struct Postgres {
    process: ServerProcess,
    port: u16,
    bin: PathBuf,
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl Postgres {
    /// Starts a new cluster and waits until it accepts connections (about a second).
    pub fn start() -> Postgres {
        let started = Instant::now();
        let bin = bin_dir();
        let dir = super::scratch_dir("postgres");
        let root = dir.path().to_owned();
        let run_as = if super::is_root() {
            let (uid, gid) = super::system_user("postgres").unwrap_or_else(|| {
                missing(
                    "the `postgres` user (PostgreSQL does not run as root)",
                    "apt-get install -y postgresql",
                )
            });
            std::os::unix::fs::chown(&root, Some(uid), Some(gid))
                .expect("hand the temporary folder to the postgres user");
            Some((uid, gid))
        } else {
            None
        };
        let command = |program: &str| {
            let mut c = Command::new(bin.join(program));
            c.current_dir(&root).env("LC_ALL", "C").env("TZ", "UTC");
            if let Some((uid, gid)) = run_as {
                c.uid(uid).gid(gid);
            }
            c
        };

        let data = root.join("data");
        let initdb = command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .output()
            .expect("run initdb");
        assert!(
            initdb.status.success(),
            "initdb failed: {}\n{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        );

        for attempt in 1..=3 {
            let port = super::free_port();
            let log = root.join(format!("postgres-{attempt}.log"));
            let mut server = command("postgres");
            server
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&root)
                .args(["-c", "listen_addresses=127.0.0.1"])
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off", "-c", "max_connections=100"]);
            let process = ServerProcess::spawn("postgres", server, &log, Signal::Int)
                .unwrap_or_else(|e| panic!("start {}: {e}", bin.join("postgres").display()));
            // Ours is ready when its own log says so: a check on the port alone could answer
            // for another server that took the port first.
            let ready = poll(Duration::from_secs(30), Duration::from_millis(25), || {
                if process.has_exited() {
                    return Some(false);
                }
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                text.contains("ready to accept connections").then_some(true)
            });
            match ready {
                Some(true) => {}
                Some(false) if log_says_port_taken(&log) && attempt < 3 => continue,
                Some(false) => panic!("postgres exited at start\n{}", process.log_tail()),
                None => panic!("postgres not ready within 30 s\n{}", process.log_tail()),
            }
            let postgres = Postgres {
                process,
                port,
                bin: bin.clone(),
                dir: Mutex::new(Some(dir)),
            };
            let isready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", SUPERUSER])
                .args(["-d", "postgres", "-t", "10"])
                .output()
                .expect("run pg_isready");
            assert!(
                isready.status.success(),
                "postgres logged ready but pg_isready says {}\n{}",
                String::from_utf8_lossy(&isready.stdout),
                postgres.process.log_tail()
            );
            eprintln!(
                "postgres (pid {}) ready on 127.0.0.1:{port} in {} ms",
                postgres.pid(),
                started.elapsed().as_millis()
            );
            return postgres;
        }
        unreachable!("the last attempt panics")
    }

    /// The server this test binary shares, started on first use (blocks then): each test that
    /// needs a database of its own takes one with [`Self::fresh_database`]. It stops when the
    /// process exits: by an exit hook that also removes its files, or else by the parent death
    /// signal. If it fails to start (PostgreSQL missing, say), every caller panics with the same
    /// message, the install hint included.
    pub fn shared() -> &'static Postgres {
        static SHARED: OnceLock<Result<Postgres, String>> = OnceLock::new();
        extern "C" fn stop_shared() {
            let _ = std::panic::catch_unwind(|| {
                if let Some(Ok(postgres)) = SHARED.get() {
                    postgres.stop();
                }
            });
        }
        let shared = SHARED.get_or_init(|| {
            let started = std::panic::catch_unwind(Postgres::start).map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "postgres failed to start".into())
            });
            if started.is_ok() {
                super::at_exit(stop_shared);
            }
            started
        });
        match shared {
            Ok(postgres) => postgres,
            Err(message) => panic!("the shared PostgreSQL did not start: {message}"),
        }
    }

    /// Creates a database no other test of this process uses and returns its URL.
    pub fn fresh_database(&self, what: &str) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!("{what}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.create_database(&name);
        self.url(&name)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `postgres://postgres@127.0.0.1:PORT/db` (trust authentication: no password).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// The folder holding the data directory, the socket and the logs (`None` once stopped).
    pub fn dir(&self) -> Option<PathBuf> {
        let dir = self.dir.lock().unwrap_or_else(|e| e.into_inner());
        dir.as_ref().map(|d| d.path().to_owned())
    }

    /// `CREATE DATABASE "name"`; panics on failure (e.g. when it exists).
    pub fn create_database(&self, name: &str) {
        let ident = format!("\"{}\"", name.replace('"', "\"\""));
        self.psql("postgres", &format!("CREATE DATABASE {ident}"));
    }

    /// Runs `sql` in database `db` with psql over TCP and returns what it printed (unaligned,
    /// tuples only: `SELECT 1` gives "1\n"). Panics when psql fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, "-d", db, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("psql prints UTF-8")
    }

    /// Stops the server by its pid (SIGINT, SIGKILL after [`ServerProcess::GRACE`]) and
    /// removes its folder. Idempotent; drop does it too.
    pub fn stop(&self) {
        self.process.stop();
        self.dir.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn log_says_port_taken(log: &Path) -> bool {
    std::fs::read_to_string(log)
        .map(|t| t.contains("could not bind") || t.contains("Address already in use"))
        .unwrap_or(false)
}

/// The newest `/usr/lib/postgresql/<version>/bin` with the server binaries, or the folder of an
/// `initdb` on PATH.
fn bin_dir() -> PathBuf {
    let complete = |dir: &Path| {
        ["initdb", "postgres", "pg_isready", "psql"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            complete(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .find(|dir| complete(dir))
        .unwrap_or_else(|| {
            missing(
                "PostgreSQL (initdb, postgres, pg_isready, psql in /usr/lib/postgresql/*/bin)",
                "apt-get install -y postgresql",
            )
        })
}
