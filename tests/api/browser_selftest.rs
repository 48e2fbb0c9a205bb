//! Proves the headless Chromium of `browser.rs` against a tiny site: a page whose
//! `EventSource` writes each message into `#live` changes live without a reload, a screenshot is
//! a PNG, a cookie set on a redirect is sent by the page's `EventSource`, and failures say what
//! the page showed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use tokio::sync::watch;

use crate::browser::{artifact, Browser, Page};

const PAGE: &str = r#"<!doctype html>
<html>
<head><meta charset="utf-8"><title>Live</title></head>
<body>
<h1>Live updates</h1>
<div id="live">waiting</div>
<script>
  const source = new EventSource('/events');
  source.onmessage = (event) => { document.getElementById('live').textContent = event.data; };
</script>
</body>
</html>"#;

/// The site: `/` (the page), `/events` ("one", then "two" once the test calls [`Site::next`]),
/// `/login?token=x` (sets the `session` cookie and redirects to `/`).
struct Site {
    addr: SocketAddr,
    step: watch::Sender<u32>,
    /// The Cookie header of every `/events` request, in order.
    cookies: Arc<Mutex<Vec<Option<String>>>>,
}

#[derive(Clone)]
struct AppState {
    step: watch::Receiver<u32>,
    cookies: Arc<Mutex<Vec<Option<String>>>>,
}

impl Site {
    async fn start() -> Site {
        let (step, steps) = watch::channel(0);
        let cookies = Arc::new(Mutex::new(Vec::new()));
        let state = AppState {
            step: steps,
            cookies: Arc::clone(&cookies),
        };
        let app = Router::new()
            .route("/", get(|| async { Html(PAGE) }))
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .route("/events", get(events))
            .route("/login", get(login))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the site");
        let addr = listener.local_addr().expect("the site's address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Site {
            addr,
            step,
            cookies,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Lets `/events` send its next message.
    fn next(&self) {
        self.step.send_modify(|step| *step += 1);
    }

    fn cookies(&self) -> Vec<Option<String>> {
        self.cookies.lock().unwrap().clone()
    }
}

async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .map(str::to_owned);
    state.cookies.lock().unwrap().push(cookie);
    let stream = futures_util::stream::unfold((0u32, state.step), |(sent, mut step)| async move {
        let data = match sent {
            0 => "one",
            1 => {
                let _ = step.wait_for(|s| *s >= 1).await;
                "two"
            }
            _ => std::future::pending().await,
        };
        Some((Ok(Event::default().data(data)), (sent + 1, step)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn login(axum::extract::RawQuery(query): axum::extract::RawQuery) -> impl IntoResponse {
    let token = query
        .as_deref()
        .and_then(|q| q.strip_prefix("token="))
        .unwrap_or("none")
        .to_owned();
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                format!("session={token}; Path=/; HttpOnly; SameSite=Lax"),
            ),
            (header::LOCATION, "/".to_owned()),
        ],
    )
}

const LIVE_IS_ONE: &str = "document.querySelector('#live').textContent === 'one'";
const LIVE_IS_TWO: &str = "document.querySelector('#live').textContent === 'two'";

#[tokio::test]
async fn a_live_update_shows_without_a_reload_and_a_screenshot_is_a_png() {
    let site = Site::start().await;
    let started = Instant::now();
    let browser = Browser::start().await;
    let start = started.elapsed();
    let opened = Instant::now();
    let page = browser.page().await;
    let open = opened.elapsed();
    let load = page.goto(&site.url("/")).await;
    let (_, first) = page.wait_for(LIVE_IS_ONE, Duration::from_secs(5)).await;
    assert_eq!(page.text("#live").await.as_deref(), Some("one"));
    assert_eq!(page.text("#nothing-here").await, None);

    let updated = Instant::now();
    site.next();
    let (value, _) = page.wait_for(LIVE_IS_TWO, Duration::from_secs(1)).await;
    let live = updated.elapsed();
    assert_eq!(value, Value::Bool(true));
    assert_eq!(page.text("#live").await.as_deref(), Some("two"));
    assert_eq!(page.reloads().await, 0, "the page was reloaded");

    let path = artifact("browser-selftest.png");
    let _ = std::fs::remove_file(&path);
    let shot = Instant::now();
    let size = page.screenshot(&path).await;
    let shoot = shot.elapsed();
    let png = std::fs::read(&path).expect("the screenshot");
    assert_eq!(png.len(), size);
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {:?}",
        &png[..png.len().min(8)]
    );
    // The IHDR chunk: width and height of the default viewport.
    assert_eq!(&png[16..24], [0, 0, 7, 128, 0, 0, 4, 56], "not 1920x1080");

    // A reload is counted (the new EventSource gets "one" and "two" at once).
    page.eval("location.reload()").await;
    page.wait_for("window.__golive_loads === 2", Duration::from_secs(5))
        .await;
    page.wait_for(LIVE_IS_TWO, Duration::from_secs(5)).await;
    assert_eq!(page.reloads().await, 1);
    assert_eq!(site.cookies().len(), 2, "one /events request per load");

    eprintln!(
        "browser timings: start {start:?}, page {open:?}, goto {load:?}, first message \
         {first:?}, live update {live:?}, screenshot {shoot:?} ({size} bytes)"
    );
    let pid = browser.pid();
    let stopping = Instant::now();
    drop(page);
    drop(browser);
    eprintln!("browser stop {:?}", stopping.elapsed());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "chromium {pid} still runs"
    );
}

#[tokio::test]
async fn a_cookie_set_on_a_redirect_is_sent_by_the_event_source() {
    let site = Site::start().await;
    let browser = Browser::start().await;
    let page = browser.page().await;
    page.goto(&site.url("/login?token=x")).await;
    assert_eq!(page.url().await, site.url("/"));
    page.wait_for(LIVE_IS_ONE, Duration::from_secs(5)).await;
    assert_eq!(site.cookies(), [Some("session=x".to_owned())]);

    // Kept across navigations, and by a second tab.
    page.goto(&site.url("/")).await;
    page.wait_for(LIVE_IS_ONE, Duration::from_secs(5)).await;
    let other = browser.page().await;
    other.goto(&site.url("/")).await;
    other.wait_for(LIVE_IS_ONE, Duration::from_secs(5)).await;
    assert_eq!(site.cookies(), vec![Some("session=x".to_owned()); 3]);

    let tabs = |targets: Value| {
        targets
            .as_array()
            .map(|t| t.iter().filter(|t| t["type"] == "page").count())
    };
    assert_eq!(tabs(browser.targets().await), Some(2));
    browser.close(other).await;
    let closed = Instant::now();
    while tabs(browser.targets().await) != Some(1) {
        assert!(
            closed.elapsed() < Duration::from_secs(5),
            "the tab stays open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The message of the panic `f` ends with.
async fn panic_message<F>(f: F) -> String
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let error = match tokio::spawn(f).await {
        Ok(_) => panic!("it did not panic"),
        Err(error) => error,
    };
    let payload = error.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn failures_quote_the_exception_or_the_page() {
    let site = Site::start().await;
    let browser = Browser::start().await;
    let page: Arc<Page> = Arc::new(browser.page().await);
    page.goto(&site.url("/")).await;
    page.wait_for(LIVE_IS_ONE, Duration::from_secs(5)).await;
    page.eval("console.log('hello from the page')").await;

    let threw = {
        let page = Arc::clone(&page);
        panic_message(async move { page.eval("null.nope").await }).await
    };
    assert!(threw.contains("JavaScript threw: TypeError"), "{threw}");

    let timed_out = {
        let page = Arc::clone(&page);
        panic_message(async move { page.wait_for(LIVE_IS_TWO, Duration::from_millis(200)).await })
            .await
    };
    assert!(timed_out.contains("waited 200ms for"), "{timed_out}");
    assert!(timed_out.contains("last value: false"), "{timed_out}");
    assert!(timed_out.contains("Live updates\none"), "{timed_out}");
    assert!(timed_out.contains("hello from the page"), "{timed_out}");

    let unreachable = {
        let page = Arc::clone(&page);
        let port = crate::servers::free_port();
        panic_message(async move { page.goto(&format!("http://127.0.0.1:{port}/")).await }).await
    };
    assert!(
        unreachable.contains("net::ERR_CONNECTION_REFUSED"),
        "{unreachable}"
    );
}
