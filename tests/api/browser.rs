//! A real headless Chromium (Debian `chromium`, `/usr/bin/chromium`) for the tests that look at a
//! page golive serves: open it, read its DOM while Server-Sent Events change it, screenshot it.
//!
//! The browser is driven over the Chrome DevTools Protocol on one WebSocket per [`Page`]: requests
//! carry an id and a background task hands each answer to its caller; events (messages without
//! an id) go to a broadcast channel (load events) and a short console log (for failure
//! messages). Nothing here sleeps for a fixed time: [`Page::goto`] waits for the page's load
//! event, [`Page::wait_for`] polls a JavaScript predicate every 20 ms.
//!
//! [`Browser::start`] spawns Chromium with `--remote-debugging-port=0` (Chromium picks a free port
//! and writes it into `DevToolsActivePort` in its profile folder, so there is no port race) from
//! the long-lived spawner thread of [`crate::servers`], in a process group of its own, with
//! SIGKILL as its parent death signal: no Chromium outlives the test binary. Dropping the
//! [`Browser`] sends SIGTERM to the group, waits for the browser to exit, SIGKILLs what is left
//! (and Chromium's crash handlers, which leave the group), waits until none runs and removes the
//! profile. Pages of one browser share its cookies, like tabs do.
//!
//! ```ignore
//! let browser = Browser::start().await;
//! let page = browser.page().await;
//! page.goto(&format!("http://{addr}/board")).await;
//! page.wait_for("document.querySelector('#live')?.textContent === 'one'", Duration::from_secs(5))
//!     .await;
//! // ... something makes the server send an event ...
//! let (_, took) = page
//!     .wait_for("document.querySelector('#live').textContent === 'two'", Duration::from_secs(1))
//!     .await;
//! assert_eq!(page.text("#live").await.as_deref(), Some("two"));
//! assert_eq!(page.reloads().await, 0);
//! page.screenshot(artifact("board.png")).await;
//! ```
//!
//! Deadlines use the real clock: these helpers are not meant for `start_paused` runtimes.
//! Chromium opens at most 6 HTTP/1.1 connections per origin and an `EventSource` holds one for
//! as long as its page lives: a test that opens many pages of one origin closes those it is done
//! with (drop the [`Page`] and call [`Browser::close`]).
// Shared by the test modules; each uses only some of the helpers.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, oneshot, OnceCell};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::servers::{self, ServerProcess, Signal};

/// The browser the tests drive.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The viewport of a new page, and so the size of its screenshots.
pub const VIEWPORT: (u32, u32) = (1920, 1080);

/// How often [`Page::wait_for`] evaluates its predicate.
pub const POLL: Duration = Duration::from_millis(20);

/// The longest Chromium may take to listen for DevTools.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest one DevTools call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest [`Page::goto`] waits for the load event.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How many console lines a page keeps for failure messages.
const CONSOLE_LINES: usize = 50;
/// How much of the page's text a failure message quotes.
const BODY_CHARS: usize = 2000;

const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-breakpad",
    // Loopback only, whatever proxy the environment names.
    "--no-proxy-server",
    // A page that is not the front tab keeps its timers and rendering.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
];

/// The sessionStorage key of the load counter [`Page::goto`] installs.
const LOADS_KEY: &str = "__golive_loads";

/// A headless Chromium, stopped (with every process it started) when dropped.
pub struct Browser {
    // Dropped first: the process stops before its profile folder goes.
    process: ServerProcess,
    dir: tempfile::TempDir,
    port: u16,
    http: reqwest::Client,
    first_page_taken: AtomicBool,
}

impl Browser {
    /// Starts Chromium on a fresh profile and waits until it listens for DevTools (about 0.3 s).
    /// Panics with the command that installs it when `/usr/bin/chromium` is missing.
    pub async fn start() -> Browser {
        if !Path::new(CHROMIUM).exists() {
            servers::missing("Chromium", "apt-get install -y chromium");
        }
        let dir = servers::scratch_dir("chromium");
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).expect("create Chromium's profile folder");
        let mut command = Command::new(CHROMIUM);
        // Chromium's crash handlers (which leave its process group, see `Drop`) keep their
        // database under XDG_CONFIG_HOME, whatever the profile: in the scratch folder too.
        command
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank");
        let process = ServerProcess::spawn(
            "chromium",
            command,
            &dir.path().join("chromium.log"),
            Signal::Term,
        )
        .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));

        let port_file = profile.join("DevToolsActivePort");
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            if let Some(port) = read_port(&port_file) {
                break port;
            }
            if process.has_exited() {
                panic!(
                    "Chromium exited before it listened for DevTools\n{}",
                    process.log_tail()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "Chromium did not write {} within {START_TIMEOUT:?}\n{}",
                    port_file.display(),
                    process.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(CALL_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Browser {
            process,
            dir,
            port,
            http,
            first_page_taken: AtomicBool::new(false),
        }
    }

    /// A page to drive: the tab Chromium opened at start the first time, a new tab after that.
    /// Its Page, Runtime and Log domains are enabled and its viewport is [`VIEWPORT`].
    pub async fn page(&self) -> Page {
        let initial = if self.first_page_taken.swap(true, Ordering::SeqCst) {
            None
        } else {
            self.initial_tab().await
        };
        let target = match initial {
            Some(id) => id,
            None => self.new_tab().await,
        };
        Page::connect(self.port, target).await
    }

    /// Closes a page's tab (its connections, an `EventSource`'s too, close with it).
    pub async fn close(&self, page: Page) {
        let target = page.target_id.clone();
        drop(page);
        let url = format!("{}/json/close/{target}", self.http_url());
        let _ = self.http.get(url).send().await;
    }

    /// Chromium's targets (`/json/list`): its tabs, as `{"id", "type", "url", ...}` objects.
    pub async fn targets(&self) -> Value {
        self.json("GET", "/json/list").await
    }

    /// The DevTools port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The last lines of Chromium's own log.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The id of the `about:blank` tab Chromium opens at start, if it shows up within 5 s.
    async fn initial_tab(&self) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let targets = self.json("GET", "/json/list").await;
            let found = targets.as_array().and_then(|list| {
                list.iter()
                    .find(|t| t["type"] == "page" && t["url"] == "about:blank")
            });
            if let Some(id) = found.and_then(|t| t["id"].as_str()) {
                return Some(id.to_owned());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn new_tab(&self) -> String {
        // Chromium only opens a tab for a PUT here.
        let tab = self.json("PUT", "/json/new?about:blank").await;
        tab["id"]
            .as_str()
            .unwrap_or_else(|| panic!("Chromium opened no tab: {tab}"))
            .to_owned()
    }

    async fn json(&self, method: &str, path: &str) -> Value {
        let url = format!("{}{path}", self.http_url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let answer = self
            .http
            .request(method, &url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}\n{}", self.log_tail()));
        let text = answer.text().await.unwrap_or_default();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
    }
}

impl Drop for Browser {
    /// Stops the browser's process group (SIGTERM, then SIGKILL), then SIGKILLs what Chromium
    /// started outside it (its two crash handlers, in groups of their own, found by the scratch
    /// folder in their command line) and waits until none of them runs.
    fn drop(&mut self) {
        self.process.stop();
        let pid = self.process.pid();
        let dir = self.dir.path().to_string_lossy().into_owned();
        // Zombies are dead already: init reaps them (within a second or so here).
        let gone = servers::poll(Duration::from_secs(5), Duration::from_millis(20), || {
            let running: Vec<u32> = leftovers(pid, &dir)
                .into_iter()
                .filter_map(|(process, zombie)| (!zombie).then_some(process))
                .collect();
            running.iter().for_each(|&process| kill(process));
            running.is_empty().then_some(())
        });
        if gone.is_none() {
            eprintln!(
                "chromium (pid {pid}) left processes behind: {:?}",
                leftovers(pid, &dir)
            );
        }
    }
}

/// The processes (pid, whether a zombie) of the process group `group` or whose command line
/// names `dir`, from /proc.
fn leftovers(group: u32, dir: &str) -> Vec<(u32, bool)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let zombie = fields.first() == Some(&"Z");
        let in_group = fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group);
        let names_dir = || {
            std::fs::read(entry.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(dir))
                .unwrap_or(false)
        };
        if in_group || names_dir() {
            found.push((pid, zombie));
        }
    }
    found
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn kill(pid: u32) {
    // SAFETY: kill has no memory preconditions; the pid is one of Chromium's processes.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", &pid.to_string()])
        .status();
}

/// The port in `DevToolsActivePort` once Chromium has written its first line.
fn read_port(file: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(file).ok()?;
    let (port, _path) = text.split_once('\n')?;
    port.trim().parse().ok()
}

/// One tab, on its own DevTools WebSocket. Dropping it closes the connection, not the tab
/// (see [`Browser::close`]).
pub struct Page {
    target_id: String,
    out: mpsc::UnboundedSender<String>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
    load_counter: OnceCell<()>,
    /// The load counter when the last [`Page::goto`] finished.
    loads_at_goto: AtomicU64,
}

/// What the connection's task shares with its page.
struct Shared {
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value, Value>>>>,
    events: broadcast::Sender<Value>,
    console: Mutex<VecDeque<String>>,
    /// Why the connection ended, once it has.
    closed: Mutex<Option<String>>,
}

impl Page {
    async fn connect(port: u16, target_id: String) -> Page {
        let url = format!("ws://127.0.0.1:{port}/devtools/page/{target_id}");
        // A screenshot of a large page is one message of several megabytes.
        let config = WebSocketConfig::default()
            .max_message_size(Some(512 << 20))
            .max_frame_size(Some(512 << 20));
        let (socket, _) = tokio_tungstenite::connect_async_with_config(&url, Some(config), true)
            .await
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        let (out, outgoing) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            events: broadcast::channel(1024).0,
            console: Mutex::new(VecDeque::new()),
            closed: Mutex::new(None),
        });
        tokio::spawn(pump(socket, outgoing, Arc::clone(&shared)));
        let page = Page {
            target_id,
            out,
            shared,
            next_id: AtomicU64::new(0),
            load_counter: OnceCell::new(),
            loads_at_goto: AtomicU64::new(0),
        };
        for domain in ["Page", "Runtime", "Log"] {
            page.send(&format!("{domain}.enable"), json!({})).await;
        }
        page.send("Page.setLifecycleEventsEnabled", json!({ "enabled": true }))
            .await;
        page.set_viewport(VIEWPORT.0, VIEWPORT.1).await;
        page
    }

    /// Any DevTools command; panics with Chromium's error.
    pub async fn send(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (reply, answer) = oneshot::channel();
        lock(&self.shared.pending).insert(id, reply);
        // The task marks the connection closed before it drops the pending callers.
        if let Some(why) = lock(&self.shared.closed).clone() {
            lock(&self.shared.pending).remove(&id);
            return Err(format!("{method}: {why}"));
        }
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        if self.out.send(message).is_err() {
            lock(&self.shared.pending).remove(&id);
            return Err(format!("{method}: the DevTools connection is closed"));
        }
        match tokio::time::timeout(CALL_TIMEOUT, answer).await {
            Err(_) => {
                lock(&self.shared.pending).remove(&id);
                Err(format!("{method}: no answer within {CALL_TIMEOUT:?}"))
            }
            Ok(Err(_)) => Err(format!(
                "{method}: {}",
                lock(&self.shared.closed)
                    .clone()
                    .unwrap_or_else(|| "the DevTools connection is closed".into())
            )),
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(format!("{method}: {error}")),
        }
    }

    fn is_closed(&self) -> Option<String> {
        lock(&self.shared.closed).clone()
    }

    /// Opens `url` and waits for its load event (`document.readyState == 'complete'`); returns
    /// how long that took. Redirects are followed. Panics when the page does not load: a network
    /// error, or no load event within 30 s. The first call installs the load counter of
    /// [`Page::reloads`].
    pub async fn goto(&self, url: &str) -> Duration {
        let began = Instant::now();
        self.load_counter
            .get_or_init(|| async {
                let source = format!(
                    "(() => {{ if (window.top !== window) return; try {{ \
                     const n = Number(sessionStorage.getItem('{LOADS_KEY}') || 0) + 1; \
                     sessionStorage.setItem('{LOADS_KEY}', String(n)); \
                     window.{LOADS_KEY} = n; }} catch (e) {{}} }})()"
                );
                self.send(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": source }),
                )
                .await;
            })
            .await;

        let mut events = self.shared.events.subscribe();
        let navigation_start = epoch_ms();
        let navigated = self
            .call("Page.navigate", json!({ "url": url }))
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
        if let Some(error) = navigated["errorText"].as_str().filter(|e| !e.is_empty()) {
            panic!("goto {url}: {error}");
        }
        // A same-document navigation (only the fragment changes) has no load event.
        if let Some(loader) = navigated["loaderId"].as_str() {
            self.wait_for_load(url, loader, navigation_start, &mut events)
                .await;
        }
        let _ = self
            .try_eval(&format!("window.__golive_document = true; {}", loads_js()))
            .await
            .map(|loads| {
                self.loads_at_goto
                    .store(loads.as_u64().unwrap_or(0), Ordering::SeqCst)
            });
        began.elapsed()
    }

    /// The load event of the document `loader` loads; every 100 ms `document.readyState` of a
    /// document that started after `navigation_start` too, in case an event was missed.
    async fn wait_for_load(
        &self,
        url: &str,
        loader: &str,
        navigation_start: f64,
        events: &mut broadcast::Receiver<Value>,
    ) {
        let deadline = tokio::time::Instant::now() + LOAD_TIMEOUT;
        let mut check = tokio::time::interval(Duration::from_millis(100));
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let loaded = format!(
            "document.readyState === 'complete' && performance.timeOrigin >= {}",
            navigation_start - 1.0
        );
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => {
                        if event["method"] == "Page.lifecycleEvent"
                            && event["params"]["name"] == "load"
                            && event["params"]["loaderId"] == loader
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        panic!("goto {url}: {}", self.is_closed().unwrap_or_default())
                    }
                },
                _ = check.tick() => {
                    if let Ok(Value::Bool(true)) = self.try_eval(&loaded).await {
                        return;
                    }
                    if let Some(why) = self.is_closed() {
                        panic!("goto {url}: {why}");
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    panic!(
                        "goto {url}: no load event within {LOAD_TIMEOUT:?}\n{}",
                        self.describe().await
                    );
                }
            }
        }
    }

    /// The value of a JavaScript expression, awaited if it is a promise: `undefined` and `NaN`
    /// become `null`, `Infinity` and BigInts their text, a DOM node `{}`. Panics when it throws,
    /// with the exception's message.
    pub async fn eval(&self, js: &str) -> Value {
        self.try_eval(js).await.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_eval(&self, js: &str) -> Result<Value, String> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": js,
                    "returnByValue": true,
                    "awaitPromise": true,
                    "userGesture": true,
                }),
            )
            .await?;
        if let Some(details) = answer.get("exceptionDetails") {
            let message = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("an exception");
            return Err(format!("JavaScript threw: {message}\n  evaluating: {js}"));
        }
        let result = &answer["result"];
        Ok(
            match (result.get("value"), result["unserializableValue"].as_str()) {
                (Some(value), _) => value.clone(),
                (None, Some("-0")) => json!(0),
                (None, Some("NaN")) | (None, None) => Value::Null,
                (None, Some(other)) => Value::String(other.to_owned()),
            },
        )
    }

    /// Evaluates `js_predicate` every [`POLL`] until it is truthy (an exception counts as not
    /// yet, say while an element is missing or the page is loading); returns its value and how
    /// long it took. Panics after `timeout` with the last value, the page's text and console.
    pub async fn wait_for(&self, js_predicate: &str, timeout: Duration) -> (Value, Duration) {
        let began = Instant::now();
        let last = loop {
            let value = self.try_eval(js_predicate).await;
            if let Ok(value) = &value {
                if truthy(value) {
                    return (value.clone(), began.elapsed());
                }
            }
            if let Some(why) = self.is_closed() {
                panic!("waiting for `{js_predicate}`: {why}");
            }
            if began.elapsed() >= timeout {
                break value;
            }
            tokio::time::sleep(POLL).await;
        };
        let last = match last {
            Ok(value) => value.to_string(),
            Err(error) => error,
        };
        panic!(
            "waited {timeout:?} for `{js_predicate}`; last value: {last}\n{}",
            self.describe().await
        );
    }

    /// The rendered text (`innerText`) of the first element `selector` matches, if any.
    pub async fn text(&self, selector: &str) -> Option<String> {
        let selector = Value::String(selector.to_owned());
        let js = format!("(() => {{ const e = document.querySelector({selector}); return e ? e.innerText : null; }})()");
        match self.eval(&js).await {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The page's address now.
    pub async fn url(&self) -> String {
        match self.eval("location.href").await {
            Value::String(url) => url,
            other => other.to_string(),
        }
    }

    /// `document.body.innerText`, empty when there is no body yet.
    pub async fn body_text(&self) -> String {
        match self
            .try_eval("document.body ? document.body.innerText : ''")
            .await
        {
            Ok(Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(error) => format!("({error})"),
        }
    }

    /// The page's last console messages, JavaScript exceptions and browser log entries (failed
    /// requests, for one), oldest first.
    pub fn console(&self) -> Vec<String> {
        lock(&self.shared.console).iter().cloned().collect()
    }

    /// How many times a new document has loaded in this tab since the last [`Page::goto`]
    /// finished: 0 while live updates only changed the DOM. Counted by a script that runs in
    /// every new document (a sessionStorage counter) and by a mark `goto` leaves on its document.
    pub async fn reloads(&self) -> u64 {
        let seen = self
            .eval(&format!(
                "({{ loads: {}, same: window.__golive_document === true }})",
                loads_js()
            ))
            .await;
        let loads = seen["loads"].as_u64().unwrap_or(0);
        let counted = loads.saturating_sub(self.loads_at_goto.load(Ordering::SeqCst));
        if seen["same"] == true {
            counted
        } else {
            // Another document, maybe of another origin (another sessionStorage).
            counted.max(1)
        }
    }

    /// Sets the viewport (CSS pixels, scale 1, not mobile); new pages have [`VIEWPORT`].
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": false,
            }),
        )
        .await;
    }

    /// Writes a PNG of the viewport to `path` (creating its folder); returns its size in bytes.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> usize {
        let path = path.as_ref();
        let shot = self
            .send("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let data = shot["data"]
            .as_str()
            .unwrap_or_else(|| panic!("Page.captureScreenshot returned no data: {shot}"));
        let png = base64_decode(data);
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .unwrap_or_else(|e| panic!("create {}: {e}", folder.display()));
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        png.len()
    }

    /// The page's address, text and console, for failure messages.
    async fn describe(&self) -> String {
        let url = match self.try_eval("location.href").await {
            Ok(Value::String(url)) => url,
            Ok(other) => other.to_string(),
            Err(error) => format!("({error})"),
        };
        let body = self.body_text().await;
        let mut text: String = body.chars().take(BODY_CHARS).collect();
        if text.len() < body.len() {
            text.push_str(" […]");
        }
        let console = self.console();
        let from = console.len().saturating_sub(10);
        format!(
            "--- page {url} ---\n{text}\n--- console (last {}) ---\n{}",
            console.len() - from,
            console[from..].join("\n")
        )
    }
}

/// The JavaScript that reads the load counter.
fn loads_js() -> String {
    format!("(() => {{ try {{ return Number(sessionStorage.getItem('{LOADS_KEY}') || 0); }} catch (e) {{ return 0; }} }})()")
}

/// The page's connection: sends what the page queues, hands answers to their callers and
/// events to the broadcast channel, until the page is dropped or Chromium closes the socket.
async fn pump<S>(socket: S, mut outgoing: mpsc::UnboundedReceiver<String>, shared: Arc<Shared>)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin,
{
    let (mut sink, mut stream) = socket.split();
    let why = loop {
        tokio::select! {
            message = outgoing.recv() => match message {
                Some(text) => {
                    if let Err(e) = sink.send(Message::text(text)).await {
                        break format!("sending to Chromium failed: {e}");
                    }
                }
                None => {
                    let _ = sink.close().await;
                    break "the page was dropped".to_owned();
                }
            },
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => dispatch(&shared, text.as_str()),
                Some(Ok(Message::Close(_))) | None => {
                    break "Chromium closed the DevTools connection (did the browser stop?)"
                        .to_owned();
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("the DevTools connection failed: {e}"),
            },
        }
    };
    *lock(&shared.closed) = Some(why);
    lock(&shared.pending).clear();
}

fn dispatch(shared: &Shared, text: &str) {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Some(id) = message["id"].as_u64() {
        if let Some(reply) = lock(&shared.pending).remove(&id) {
            let _ = reply.send(match message.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
            });
        }
        return;
    }
    if let Some(line) = console_line(&message) {
        let mut console = lock(&shared.console);
        if console.len() == CONSOLE_LINES {
            console.pop_front();
        }
        console.push_back(line);
    }
    // Nobody listens between navigations: nothing to keep then.
    let _ = shared.events.send(message);
}

/// A console message, an uncaught exception or a browser log entry, as one line.
fn console_line(event: &Value) -> Option<String> {
    let params = &event["params"];
    match event["method"].as_str()? {
        "Runtime.consoleAPICalled" => {
            let args: Vec<String> = params["args"]
                .as_array()
                .map(|args| {
                    args.iter()
                        .map(|a| match (&a["value"], a["description"].as_str()) {
                            (Value::String(s), _) => s.clone(),
                            (Value::Null, Some(d)) => d.to_owned(),
                            (other, _) => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(format!(
                "console.{}: {}",
                params["type"].as_str().unwrap_or("log"),
                args.join(" ")
            ))
        }
        "Runtime.exceptionThrown" => {
            let details = &params["exceptionDetails"];
            let message = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("?");
            Some(format!("uncaught: {message}"))
        }
        "Log.entryAdded" => {
            let entry = &params["entry"];
            Some(format!(
                "{} {}: {} {}",
                entry["source"].as_str().unwrap_or("log"),
                entry["level"].as_str().unwrap_or("info"),
                entry["text"].as_str().unwrap_or(""),
                entry["url"].as_str().unwrap_or("")
            ))
        }
        _ => None,
    }
}

/// JavaScript's truthiness, of a value returned by value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Standard base64 (with or without padding), as DevTools sends binary data.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => panic!("not base64: {:?}", c as char),
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Where tests put screenshots: `target/test-artifacts/<name>`.
pub fn artifact(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-artifacts")
        .join(name)
}

#[test]
fn base64_decodes_with_and_without_padding() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8"), b"hello");
    assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
    assert_eq!(base64_decode(""), b"");
    assert_eq!(base64_decode("+/+/"), [0xfb, 0xff, 0xbf]);
}
