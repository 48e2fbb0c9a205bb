//! The reference server the throughput is measured against: `perf/bare-axum` from the shared
//! tools beside this repository (a fixed 200 for the two Slack routes, no signature, no
//! database), built in release mode and driven by the same load generator in the same run.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running bare-axum; dropping it kills the process.
pub struct Reference {
    child: Child,
    pub addr: SocketAddr,
}

/// Where the reference's sources are: `GOLIVE_BARE_AXUM`, else `../shared/perf/bare-axum`.
fn sources() -> PathBuf {
    std::env::var_os("GOLIVE_BARE_AXUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/perf/bare-axum"))
}

impl Reference {
    /// Builds (the sources are copied first: they may be read-only) and starts the reference,
    /// or says why it cannot.
    pub fn spawn() -> Result<Self, String> {
        let from = sources();
        if !from.join("Cargo.toml").exists() {
            return Err(format!(
                "no bare-axum at {} (set GOLIVE_BARE_AXUM to its folder)",
                from.display()
            ));
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bare-axum");
        let copy = root.join("src-copy");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(copy.join("src")).map_err(|e| e.to_string())?;
        for file in ["Cargo.toml", "src/main.rs"] {
            std::fs::copy(from.join(file), copy.join(file)).map_err(|e| format!("{file}: {e}"))?;
        }
        let built = Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "--manifest-path"])
            .arg(copy.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target"))
            .status()
            .map_err(|e| e.to_string())?;
        if !built.success() {
            return Err("bare-axum did not build".into());
        }
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?;
        let child = Command::new(root.join("target/release/bare-axum"))
            .arg(addr.port().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("bare-axum did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Self { child, addr })
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
