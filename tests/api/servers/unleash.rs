//! A real Unleash (open source `unleash-server` 7.5.1 from npm, run by `node`) on its own
//! PostgreSQL, on a free loopback port, with one admin API token.
//!
//! It takes 3 to 45 s to become healthy, so most tests use [`Unleash::shared`]: one instance per
//! test binary, started by the first test that asks, stopped when the process exits. Tests on the
//! shared instance use flag names of their own. A fresh instance has the project `default` and
//! the environments `development` and `production`; the admin API is under `/api/admin` and takes
//! the token as `Authorization: <token>` (see `shared/flag-servers.md` for the calls and traps).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::postgres::Postgres;
use super::{missing, poll, ServerProcess, Signal};

/// How long Unleash may take to answer `GET /health` with 200.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);

const NPM_INSTALL: &str = "npm install --no-audit --no-fund --prefix \
     ~/.cache/golive-test-servers/unleash unleash-server@7.5.1";

pub struct Unleash {
    // Declared first: dropped (stopped) before its database.
    process: ServerProcess,
    postgres: Postgres,
    url: String,
    admin_token: String,
}

impl Unleash {
    /// Starts PostgreSQL, creates the database `unleash`, starts Unleash on it and waits until
    /// `GET /health` answers 200 (blocks up to [`STARTUP_TIMEOUT`]).
    pub fn start() -> Unleash {
        let started = Instant::now();
        let server_js = server_js();
        let node = which("node").unwrap_or_else(|| {
            missing(
                "node (Node 20 or newer, for unleash-server)",
                "apt-get install -y nodejs",
            )
        });
        let postgres = Postgres::start();
        postgres.create_database("unleash");
        let dir = postgres.dir().expect("a running postgres has its folder");
        let admin_token = format!("*:*.{:032x}", rand::random::<u128>());

        for attempt in 1..=3 {
            let port = super::free_port();
            let log = dir.join(format!("unleash-{attempt}.log"));
            let mut command = Command::new(&node);
            command
                .arg(&server_js)
                .current_dir(server_js.ancestors().nth(4).expect("the npm folder"))
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", &dir)
                .env("TZ", "UTC")
                .env("DATABASE_URL", postgres.url("unleash"))
                .env("DATABASE_SSL", "false")
                .env("HTTP_HOST", "127.0.0.1")
                .env("HTTP_PORT", port.to_string())
                .env("CHECK_VERSION", "false")
                .env("SEND_TELEMETRY", "false")
                .env("SCARF_ANALYTICS", "false")
                .env("DO_NOT_TRACK", "1")
                .env("LOG_LEVEL", "warn")
                .env("INIT_ADMIN_API_TOKENS", &admin_token);
            let process = ServerProcess::spawn("unleash", command, &log, Signal::Term)
                .unwrap_or_else(|e| {
                    panic!("start {} {}: {e}", node.display(), server_js.display())
                });
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let healthy = poll(STARTUP_TIMEOUT, Duration::from_millis(100), || {
                if process.has_exited() {
                    return Some(false);
                }
                (super::http_status(addr, "/health").ok() == Some(200)).then_some(true)
            });
            match healthy {
                Some(true) => {}
                Some(false) if port_taken(&process) && attempt < 3 => continue,
                Some(false) => panic!("unleash exited at start\n{}", process.log_tail()),
                None => panic!(
                    "unleash not healthy within {STARTUP_TIMEOUT:?}\n{}",
                    process.log_tail()
                ),
            }
            eprintln!(
                "unleash (pid {}) healthy on {addr} in {} ms, with its postgres",
                process.pid(),
                started.elapsed().as_millis()
            );
            return Unleash {
                process,
                postgres,
                url: format!("http://{addr}"),
                admin_token,
            };
        }
        unreachable!("the last attempt panics")
    }

    /// The instance this test binary shares, started on first use (blocks then). It stops when
    /// the process exits: by an exit hook that also removes its files, or else by the parent
    /// death signal. If it fails to start, every caller panics with the same message.
    pub fn shared() -> &'static Unleash {
        static SHARED: OnceLock<Result<Unleash, String>> = OnceLock::new();
        extern "C" fn stop_shared() {
            let _ = std::panic::catch_unwind(|| {
                if let Some(Ok(unleash)) = SHARED.get() {
                    unleash.stop();
                }
            });
        }
        let shared = SHARED.get_or_init(|| {
            let started = std::panic::catch_unwind(Unleash::start).map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unleash failed to start".into())
            });
            if started.is_ok() {
                super::at_exit(stop_shared);
            }
            started
        });
        match shared {
            Ok(unleash) => unleash,
            Err(message) => panic!("the shared Unleash did not start: {message}"),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `url()` + `/api/admin` + `path` (`path` starts with `/`).
    pub fn admin_url(&self, path: &str) -> String {
        format!("{}/api/admin{path}", self.url)
    }

    /// The `*:*.` admin token, sent as the `Authorization` header.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// An admin API call: the status and the JSON body (Null if none).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let mut request = reqwest::Client::new()
            .request(method, self.admin_url(path))
            .header("Authorization", self.admin_token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("unleash answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub fn postgres(&self) -> &Postgres {
        &self.postgres
    }

    /// Stops node by its pid (SIGTERM to its process group, SIGKILL after the grace), then its
    /// PostgreSQL. Idempotent; drop does it too.
    pub fn stop(&self) {
        self.process.stop();
        self.postgres.stop();
    }
}

impl Drop for Unleash {
    fn drop(&mut self) {
        self.process.stop();
    }
}

fn port_taken(process: &ServerProcess) -> bool {
    std::fs::read_to_string(process.log_path())
        .map(|t| t.contains("EADDRINUSE"))
        .unwrap_or(false)
}

/// `<cache>/unleash/node_modules/unleash-server/dist/server.js`, or a panic saying how to
/// install it.
fn server_js() -> PathBuf {
    let path = super::cache_dir().join("unleash/node_modules/unleash-server/dist/server.js");
    if !path.is_file() {
        missing(
            &format!("unleash-server 7.5.1 ({})", path.display()),
            NPM_INSTALL,
        );
    }
    path
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
