//! The board on the wire: a page fetched over a raw keep-alive TCP connection, timed to the first
//! byte of the answer and to its last, and a board's Server-Sent Events stream read as a
//! browser's `EventSource` reads it, each `board` event timed as it arrives.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{header, Request};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::golive::BOARD_TOKEN;

/// The cookie an admitted board screen sends.
pub fn board_cookie() -> String {
    format!("golive_board={BOARD_TOKEN}")
}

/// One answer, with when its first and last bytes arrived (from just before the request went).
pub struct Fetched {
    pub status: u16,
    pub first_byte: Duration,
    pub complete: Duration,
    pub body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection read byte by byte off the socket.
pub struct PageClient {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl PageClient {
    pub async fn connect(addr: SocketAddr) -> PageClient {
        let stream = TcpStream::connect(addr).await.expect("connect to golive");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        PageClient {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(1 << 16),
        }
    }

    /// `GET path` with the board's cookie; the whole answer (Content-Length or chunked).
    pub async fn get(&mut self, path: &str) -> Result<Fetched, String> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nAccept: text/html\r\nUser-Agent: golive-views-bench\r\n\r\n",
            self.host,
            board_cookie()
        );
        self.buf.clear();
        let sent = Instant::now();
        self.stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("send: {e}"))?;
        let mut first_byte = None;
        let mut chunk = [0u8; 1 << 16];
        loop {
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("golive closed the connection".into());
            }
            first_byte.get_or_insert_with(|| sent.elapsed());
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(done) = complete(&self.buf)? {
                let complete = sent.elapsed();
                return Ok(Fetched {
                    status: done.status,
                    first_byte: first_byte.unwrap_or(complete),
                    complete,
                    body: done.body,
                });
            }
        }
    }
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// The answer in `buf` once all of it has arrived.
fn complete(buf: &[u8]) -> Result<Option<Answer>, String> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head}"))?;
    let rest = &buf[head_end + 4..];
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    if let Some(length) = field("content-length:") {
        let length: usize = length.parse().map_err(|_| "a bad Content-Length")?;
        return Ok((rest.len() >= length).then(|| Answer {
            status,
            body: rest[..length].to_vec(),
        }));
    }
    if field("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        return Ok(dechunk(rest).map(|body| Answer { status, body }));
    }
    Err(format!("an answer with neither length nor chunks: {head}"))
}

/// The body of a complete chunked encoding, or `None` while its last chunk has not arrived.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return find(rest, b"\r\n").map(|_| body);
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `board` event as it arrived.
pub struct BoardEvent {
    pub at: Instant,
    /// The Go tally the update's HTML shows (`id="tally-go">N<`), when it shows a vote.
    pub go: Option<u64>,
}

/// An open `GET /board/<release>/events`; its events arrive on `events`. Dropping it closes the
/// connection, as closing the page does.
pub struct EventStream {
    pub events: mpsc::UnboundedReceiver<BoardEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EventStream {
    /// Opens the stream; returns once golive answered 200 with `text/event-stream`.
    pub async fn open(addr: SocketAddr, release: &str) -> Result<EventStream, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let request = Request::get(format!("/board/{release}/events"))
            .header(header::HOST, addr.to_string())
            .header(header::COOKIE, board_cookie())
            .header(header::ACCEPT, "text/event-stream")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if response.status() != 200 || !kind.starts_with("text/event-stream") {
            return Err(format!("answered {} ({kind})", response.status()));
        }
        let (tx, events) = mpsc::unbounded_channel();
        let mut body = response.into_body();
        let task = tokio::spawn(async move {
            let _keep = (sender, DropAbort(driver));
            let mut text = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let at = Instant::now();
                text.push_str(&String::from_utf8_lossy(&data));
                while let Some(end) = text.find("\n\n") {
                    let block: String = text.drain(..end + 2).collect();
                    if let Some(go) = board_event(&block) {
                        if tx.send(BoardEvent { at, go }).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(EventStream { events, task })
    }

    /// Waits up to `timeout` for the next event.
    pub async fn next(&mut self, timeout: Duration) -> Option<BoardEvent> {
        tokio::time::timeout(timeout, self.events.recv())
            .await
            .ok()
            .flatten()
    }
}

struct DropAbort(tokio::task::JoinHandle<()>);

impl Drop for DropAbort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A `board` event's Go tally (`Some(None)` when its HTML shows no vote); `None` for a
/// keep-alive comment or another event.
fn board_event(block: &str) -> Option<Option<u64>> {
    let mut name = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = value.trim_start();
        } else if let Some(value) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    if name != "board" || data.is_empty() {
        return None;
    }
    let update: serde_json::Value = serde_json::from_str(&data).ok()?;
    let html = update["html"].as_str()?;
    Some(go_tally(html))
}

/// The Go tally an HTML part of the board shows.
pub fn go_tally(html: &str) -> Option<u64> {
    const MARK: &str = "id=\"tally-go\">";
    let from = html.find(MARK)? + MARK.len();
    let digits: String = html[from..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    html[from + digits.len()..]
        .starts_with('<')
        .then(|| digits.parse().ok())
        .flatten()
}
