//! A tiny metrics exporter for Prometheus to scrape: `GET /metrics` on a free loopback port, in
//! the Prometheus text format, with traffic the test chooses at run time.
//!
//! It serves a service's usual request metrics:
//!
//! ```text
//! http_requests_total{code="200"}                       counter
//! http_requests_total{code="500"}                       counter
//! http_request_duration_seconds_bucket{le="0.005"} ... {le="+Inf"}   histogram
//! http_request_duration_seconds_sum / _count
//! ```
//!
//! Nothing is measured: each scrape first adds one scrape's worth of the traffic set by
//! [`Exporter::set_traffic`] to the counters, then renders them. With Prometheus scraping every
//! second (see [`super::prometheus::Prometheus`]) `requests_per_scrape` is the request rate per
//! second, and once two scrapes are stored:
//!
//! - `sum(rate(http_requests_total{code=~"5.."}[w])) / sum(rate(http_requests_total[w]))` is the
//!   error ratio;
//! - `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[w])))` is
//!   the latency (see [`Exporter::set_traffic`] for how), and `_sum / _count` is the latency too.
//!
//! A window `w` holding scrapes from before a change mixes old and new traffic, as a real
//! service's would. Any other client fetching `/metrics` also adds a scrape's worth.

use std::future::IntoFuture;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::sync::oneshot;

/// The histogram's upper bounds (Prometheus client defaults), before `+Inf`.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The quantile [`Exporter::set_traffic`] makes come out at the chosen latency.
pub const QUANTILE: f64 = 0.99;

pub struct Exporter {
    addr: SocketAddr,
    metrics: Arc<Mutex<Metrics>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Clone, Copy)]
struct Traffic {
    requests_per_scrape: f64,
    error_ratio: f64,
    latency_seconds: f64,
}

#[derive(Debug, Default)]
struct Metrics {
    traffic: Option<Traffic>,
    ok: f64,
    errors: f64,
    /// Per bucket of [`BUCKETS`], then one for `+Inf` only: not cumulative.
    buckets: [f64; BUCKETS.len() + 1],
    sum: f64,
    count: f64,
    scrapes: u64,
}

impl Exporter {
    /// Serves `/metrics` on 127.0.0.1 from a thread of its own (so it runs whatever the test's
    /// runtime does), with a healthy default traffic: 100 requests per scrape, no errors, 50 ms.
    pub fn start() -> Exporter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the exporter");
        listener.set_nonblocking(true).expect("non-blocking socket");
        let addr = listener.local_addr().expect("the exporter's address");
        let metrics = Arc::new(Mutex::new(Metrics::default()));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = Arc::clone(&metrics);
        let thread = std::thread::Builder::new()
            .name("test-exporter".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the exporter's runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let app = Router::new().route(
                        "/metrics",
                        get(move || {
                            let metrics = Arc::clone(&served);
                            async move { scrape(&metrics) }
                        }),
                    );
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => {
                            served.expect("the exporter serves");
                        }
                        _ = stopped => {}
                    }
                });
            })
            .expect("start the exporter thread");
        let exporter = Exporter {
            addr,
            metrics,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        exporter.set_traffic(100, 0.0, 0.05);
        exporter
    }

    /// The address to scrape (`Prometheus::start(exporter.addr())`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/metrics`.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// From the next scrape on, each scrape adds `requests_per_scrape` requests, of which the
    /// share `error_ratio` (0 to 1) answered 500 and the rest 200, all taking `latency_seconds`.
    ///
    /// `histogram_quantile` interpolates linearly inside the bucket where the quantile falls, so
    /// putting every request into the bucket of `latency_seconds` would read as about that
    /// bucket's upper bound. Instead, for the latency's bucket `(a, b]` and its place in it
    /// `t = (L - a) / (b - a)`, a share of the requests is counted in a neighbouring bucket so that
    /// the 0.99 quantile interpolates to exactly `L`:
    /// `f = (0.99 - t) / (1 - t)` of them in the first bucket (`le="0.005"`) when `t <= 0.99`, or
    /// `g = 1 - 0.99 / t` of them in `+Inf` when `t > 0.99`. Exact from 5 ms to 10 s; below 5 ms
    /// it reads as 4.95 ms, above 10 s as 10 s. `_sum` grows by `requests * L`, so the mean is `L`.
    pub fn set_traffic(&self, requests_per_scrape: u64, error_ratio: f64, latency_seconds: f64) {
        assert!(
            (0.0..=1.0).contains(&error_ratio),
            "error_ratio {error_ratio} is not between 0 and 1"
        );
        assert!(
            latency_seconds.is_finite() && latency_seconds >= 0.0,
            "latency_seconds {latency_seconds} is not a duration"
        );
        self.metrics.lock().unwrap().traffic = Some(Traffic {
            requests_per_scrape: requests_per_scrape as f64,
            error_ratio,
            latency_seconds,
        });
    }

    /// How many times `/metrics` was fetched.
    pub fn scrapes(&self) -> u64 {
        self.metrics.lock().unwrap().scrapes
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn scrape(metrics: &Mutex<Metrics>) -> impl IntoResponse {
    let mut m = metrics.lock().unwrap();
    if let Some(traffic) = m.traffic {
        m.add(traffic);
    }
    m.scrapes += 1;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m.render(),
    )
}

impl Metrics {
    fn add(&mut self, t: Traffic) {
        let n = t.requests_per_scrape;
        self.errors += n * t.error_ratio;
        self.ok += n * (1.0 - t.error_ratio);
        self.sum += n * t.latency_seconds;
        self.count += n;
        for (bucket, share) in latency_shares(t.latency_seconds) {
            self.buckets[bucket] += n * share;
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total Requests answered, by status code.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        out.push_str(&format!(
            "http_requests_total{{code=\"200\"}} {}\n",
            self.ok
        ));
        out.push_str(&format!(
            "http_requests_total{{code=\"500\"}} {}\n",
            self.errors
        ));
        out.push_str("# HELP http_request_duration_seconds How long requests took.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        let mut cumulative = 0.0;
        for (i, upper) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i];
            out.push_str(&format!(
                "http_request_duration_seconds_bucket{{le=\"{upper}\"}} {cumulative}\n"
            ));
        }
        cumulative += self.buckets[BUCKETS.len()];
        out.push_str(&format!(
            "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}\n"
        ));
        out.push_str(&format!("http_request_duration_seconds_sum {}\n", self.sum));
        out.push_str(&format!(
            "http_request_duration_seconds_count {}\n",
            self.count
        ));
        out
    }
}

/// Which buckets (index into [`BUCKETS`], `BUCKETS.len()` for `+Inf`) one request of latency
/// `latency` is spread over, with shares adding up to 1 (see [`Exporter::set_traffic`]).
fn latency_shares(latency: f64) -> Vec<(usize, f64)> {
    let Some(i) = BUCKETS.iter().position(|upper| latency <= *upper) else {
        return vec![(BUCKETS.len(), 1.0)];
    };
    let lower = if i == 0 { 0.0 } else { BUCKETS[i - 1] };
    let t = (latency - lower) / (BUCKETS[i] - lower);
    if t > QUANTILE {
        let above = 1.0 - QUANTILE / t;
        vec![(i, 1.0 - above), (BUCKETS.len(), above)]
    } else if i > 0 {
        let below = (QUANTILE - t) / (1.0 - t);
        vec![(0, below), (i, 1.0 - below)]
    } else {
        vec![(0, 1.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prometheus's histogram_quantile on one scrape's worth of cumulative buckets.
    fn quantile(q: f64, shares: &[(usize, f64)]) -> f64 {
        let mut per = [0.0; BUCKETS.len() + 1];
        for (i, s) in shares {
            per[*i] += s;
        }
        let total: f64 = per.iter().sum();
        let rank = q * total;
        let mut cumulative = 0.0;
        for (i, upper) in BUCKETS.iter().enumerate() {
            let before = cumulative;
            cumulative += per[i];
            if cumulative >= rank {
                let lower = if i == 0 { 0.0 } else { BUCKETS[i - 1] };
                return lower + (upper - lower) * (rank - before) / per[i];
            }
        }
        BUCKETS[BUCKETS.len() - 1]
    }

    #[test]
    fn the_99th_percentile_interpolates_to_the_chosen_latency() {
        for latency in [
            0.006, 0.05, 0.07, 0.3, 0.4999, 0.5, 0.75, 1.2, 4.0, 9.99, 10.0,
        ] {
            let got = quantile(QUANTILE, &latency_shares(latency));
            assert!(
                (got - latency).abs() < 1e-9,
                "latency {latency}: quantile {got}"
            );
        }
        assert!((quantile(QUANTILE, &latency_shares(0.001)) - 0.00495).abs() < 1e-9);
        assert_eq!(quantile(QUANTILE, &latency_shares(30.0)), 10.0);
    }
}
