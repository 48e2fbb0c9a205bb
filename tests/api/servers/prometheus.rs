//! A real Prometheus (Debian `prometheus`) scraping one target every second, evaluating every
//! second, its storage in a temporary folder, its web API on a free loopback port. Tests wait for
//! data with [`Prometheus::wait_for`], never for a fixed time: a `rate(...[w])` has a value once
//! two scrapes are stored, about two seconds after the start.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{missing, poll, ServerProcess, Signal};

/// The job name in the scrape config (the `job` label of every scraped series).
pub const JOB: &str = "golive-test";

pub struct Prometheus {
    process: ServerProcess,
    url: String,
    dir: Mutex<Option<tempfile::TempDir>>,
}

/// One element of an instant query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels (empty for an aggregate without `by`, or a scalar).
    pub metric: BTreeMap<String, String>,
    /// The value; Prometheus's `"NaN"`, `"+Inf"` and `"-Inf"` become the f64 ones.
    pub value: f64,
}

impl Prometheus {
    /// Starts Prometheus scraping `http://<scrape_target>/metrics` every second and waits for
    /// `/-/ready` (blocks, about a second).
    pub fn start(scrape_target: SocketAddr) -> Prometheus {
        let started = Instant::now();
        let binary = binary();
        let dir = super::scratch_dir("prometheus");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      \
                 - targets: ['{scrape_target}']\n"
            ),
        )
        .expect("write prometheus.yml");

        for attempt in 1..=3 {
            let port = super::free_port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = dir.path().join(format!("prometheus-{attempt}.log"));
            let mut command = Command::new(&binary);
            command
                .current_dir(dir.path())
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--log.level=warn");
            let process = ServerProcess::spawn("prometheus", command, &log, Signal::Term)
                .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
            let ready = poll(Duration::from_secs(30), Duration::from_millis(50), || {
                if process.has_exited() {
                    return Some(false);
                }
                (super::http_status(addr, "/-/ready").ok() == Some(200)).then_some(true)
            });
            let port_taken = || {
                std::fs::read_to_string(&log)
                    .map(|t| t.contains("address already in use"))
                    .unwrap_or(false)
            };
            match ready {
                Some(true) => {}
                Some(false) if port_taken() && attempt < 3 => continue,
                Some(false) => panic!("prometheus exited at start\n{}", process.log_tail()),
                None => panic!("prometheus not ready within 30 s\n{}", process.log_tail()),
            }
            eprintln!(
                "prometheus (pid {}) ready on {addr} in {} ms, scraping {scrape_target}",
                process.pid(),
                started.elapsed().as_millis()
            );
            return Prometheus {
                process,
                url: format!("http://{addr}"),
                dir: Mutex::new(Some(dir)),
            };
        }
        unreachable!("the last attempt panics")
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// An instant query (`GET /api/v1/query`) at the current time: the vector's samples, or the
    /// scalar as one sample; `Err` with Prometheus's error (or the HTTP failure).
    pub async fn query(&self, query: &str) -> Result<Vec<Sample>, String> {
        let params = form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish();
        let url = format!("{}/api/v1/query?{params}", self.url);
        // A client per call: the test may call from different runtimes.
        let answer = reqwest::Client::new()
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let body: Value = answer
            .json()
            .await
            .map_err(|e| format!("GET {url}: not JSON: {e}"))?;
        if body["status"] != "success" {
            return Err(format!("{}: {}", body["errorType"], body["error"]));
        }
        let data = &body["data"];
        let sample = |metric: &Value, value: &Value| -> Result<Sample, String> {
            let metric = metric
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let text = value[1].as_str().ok_or(format!("no value in {value}"))?;
            Ok(Sample {
                metric,
                value: parse_value(text)?,
            })
        };
        match data["resultType"].as_str() {
            Some("vector") => data["result"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| sample(&s["metric"], &s["value"]))
                .collect(),
            Some("scalar") => Ok(vec![sample(&Value::Null, &data["result"])?]),
            other => Err(format!(
                "resultType {other:?} is not an instant vector or scalar"
            )),
        }
    }

    /// Polls `query` (every 200 ms, `timeout` in real time) until its first sample's value
    /// satisfies `predicate`, and returns that value. Panics on timeout with the last answer.
    pub async fn wait_for(
        &self,
        query: &str,
        predicate: impl Fn(f64) -> bool,
        timeout: Duration,
    ) -> f64 {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.query(query).await;
            if let Ok(samples) = &answer {
                if let Some(first) = samples.first() {
                    if predicate(first.value) {
                        return first.value;
                    }
                }
            }
            if Instant::now() >= deadline {
                panic!("`{query}` did not satisfy the predicate within {timeout:?}; last answer: {answer:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops Prometheus by its pid (SIGTERM, SIGKILL after the grace) and removes its folder.
    /// Idempotent; drop does it too.
    pub fn stop(&self) {
        self.process.stop();
        self.dir.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text
            .parse()
            .map_err(|e| format!("value {text:?} is not a number: {e}")),
    }
}

fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("prometheus"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| missing("prometheus", "apt-get install -y prometheus"))
}
