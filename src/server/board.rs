//! The war-room board: `GET /board` (every launch) and `GET /board/<release>`, an HTML page for
//! the big screen, kept live by `GET /board/<release>/events` (Server-Sent Events) without a
//! reload. Read-only, behind the board token (a `?token=` link sets a cookie and drops the
//! token from the address); off without `GOLIVE_BOARD_TOKEN`. It loads nothing from outside,
//! shows no secret, and escapes everything people typed.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use handlebars::Handlebars;
use serde::Serialize;
use tokio::sync::watch;

use super::calendar::{cookie, same, COOKIE};
use crate::state::board_feeds::Update;
use crate::state::AppState;
use crate::workflows::views::board::{board, Board};

/// How often a watched launch is looked at for changes; a change shows within this.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// An update goes out at least this often, so the page's clock stays in step.
const RESYNC: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Boards {
    state: AppState,
    token: String,
}

#[derive(serde::Deserialize)]
struct Asked {
    token: Option<String>,
    /// A signed link (Home hands them out): valid until `expires` for its path.
    expires: Option<i64>,
    sig: Option<String>,
}

/// The board's routes, when a board token is configured.
pub fn routes(state: AppState, token: Option<&str>) -> Router {
    let Some(token) = token else {
        return Router::new();
    };
    Router::new()
        .route("/board", get(every_launch))
        .route("/board/{release}", get(one_launch))
        .route("/board/{release}/events", get(events))
        .with_state(Boards {
            state,
            token: token.to_string(),
        })
}

fn templates() -> &'static Handlebars<'static> {
    static TEMPLATES: OnceLock<Handlebars<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // HTML escaping is handlebars' default: everything people typed is escaped.
        for (name, source) in [
            (
                "board",
                include_str!("../../message-templates/board.html.hbs"),
            ),
            (
                "board_sections",
                include_str!("../../message-templates/board_sections.html.hbs"),
            ),
        ] {
            if let Err(error) = registry.register_template_string(name, source) {
                tracing::error!(%error, name, "a board template does not compile");
            }
        }
        registry
    })
}

/// `None` when the request carries the token, else the answer: a `?token=` link gets the cookie
/// and a redirect to the same page without the token.
fn admitted(boards: &Boards, asked: &Asked, headers: &HeaderMap, uri: &Uri) -> Option<Response> {
    let matches = |given: &str| same(given.as_bytes(), boards.token.as_bytes());
    let signed = match (
        asked
            .expires
            .and_then(|e| chrono::DateTime::from_timestamp(e, 0)),
        &asked.sig,
    ) {
        (Some(expires), Some(sig)) => Some(crate::domain::signed_link::verify(
            &boards.token,
            uri.path(),
            expires,
            sig,
            boards.state.clock.now(),
        )),
        _ => None,
    };
    if asked.token.is_some() || signed.is_some() {
        let valid = asked.token.as_deref().is_some_and(matches) || signed == Some(true);
        if !valid {
            return Some(unauthorized());
        }
        let cookie = format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000",
            boards.token
        );
        let mut response = Redirect::to(uri.path()).into_response();
        if let Ok(value) = cookie.parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return Some(response);
    }
    match cookie(headers, COOKIE) {
        Some(given) if matches(&given) => None,
        _ => Some(unauthorized()),
    }
}

fn unauthorized() -> Response {
    let page = "<!DOCTYPE html><title>golive</title><p>The war-room board needs its link: open the board link with <code>?token=…</code> once on this screen.</p>";
    (StatusCode::UNAUTHORIZED, Html(page)).into_response()
}

#[derive(Serialize)]
struct Page {
    title: String,
    now_iso: String,
    now_local: String,
    zone_json: String,
    launches: Vec<Launch>,
}

#[derive(Serialize)]
struct Launch {
    release: String,
    sections: String,
}

/// One launch's live part, as HTML.
fn sections(board: &Board) -> String {
    templates()
        .render("board_sections", board)
        .unwrap_or_else(|error| {
            tracing::error!(%error, "the board does not render");
            "<p>The board cannot be shown; golive's log says why.</p>".to_string()
        })
}

async fn page(boards: &Boards, states: Vec<AppState>, title: String) -> Response {
    let mut launches = Vec::new();
    let mut first: Option<Board> = None;
    for state in &states {
        match board(state).await {
            Ok(board) => {
                launches.push(Launch {
                    release: board.release.clone(),
                    sections: sections(&board),
                });
                first.get_or_insert(board);
            }
            Err(error) => {
                tracing::error!(%error, "could not gather the board");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    }
    let (now_iso, now_local, zone) = first.map_or_else(
        || {
            (
                boards.state.clock.now().to_rfc3339(),
                String::new(),
                "UTC".to_string(),
            )
        },
        |b| (b.now_iso, b.now_local, b.zone),
    );
    // Inside <script>: a JSON string with "<" escaped cannot end the script element.
    let zone_json = serde_json::to_string(&zone)
        .unwrap_or_else(|_| "\"UTC\"".into())
        .replace('<', "\\u003c");
    let page = Page {
        title,
        now_iso,
        now_local,
        zone_json,
        launches,
    };
    match templates().render("board", &page) {
        Ok(html) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
                ),
            ],
            Html(html),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "the board page does not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn every_launch(
    State(boards): State<Boards>,
    Query(asked): Query<Asked>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(response) = admitted(&boards, &asked, &headers, &uri) {
        return response;
    }
    let states: Vec<AppState> = boards
        .state
        .launches
        .all()
        .iter()
        .map(|release| boards.state.for_release(release.clone()))
        .collect();
    page(&boards, states, "Every launch".to_string()).await
}

async fn one_launch(
    State(boards): State<Boards>,
    Path(release): Path<String>,
    Query(asked): Query<Asked>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(response) = admitted(&boards, &asked, &headers, &uri) {
        return response;
    }
    let Some(state) = boards.state.for_release_id(&release) else {
        return not_running(&release);
    };
    let plan = state.release.plan();
    let title = format!("{} {}", plan.release.name, plan.release.version);
    page(&boards, vec![state], title).await
}

fn not_running(release: &str) -> Response {
    let why = format!(
        "golive runs no launch `{}`.",
        crate::domain::excerpt::excerpt(release)
    );
    (StatusCode::NOT_FOUND, why).into_response()
}

async fn events(
    State(boards): State<Boards>,
    Path(release): Path<String>,
    headers: HeaderMap,
) -> Response {
    if cookie(&headers, COOKIE).is_none_or(|given| !same(given.as_bytes(), boards.token.as_bytes()))
    {
        return unauthorized();
    }
    let Some(state) = boards.state.for_release_id(&release) else {
        return not_running(&release);
    };
    let first = match board(&state).await {
        Ok(board) => update(&board),
        Err(error) => {
            tracing::error!(%error, "could not gather the board");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let renderer = state.clone();
    let mut receiver = state
        .boards
        .subscribe(&release, first.clone(), move |sender| {
            tokio::spawn(render_while_watched(renderer, sender));
        });
    // A screen joining a running feed starts from this fresh update, not the feed's last one
    // (which may be seconds old, and would set the page's clock back).
    receiver.borrow_and_update();
    Sse::new(stream_of(first, receiver))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// An update as the page reads it: the live part's HTML and golive's clock.
fn update(board: &Board) -> Update {
    let data = serde_json::json!({ "html": sections(board), "now": board.now_iso });
    Arc::new(data.to_string())
}

/// `first`, then every later update, as events; the latest only when several came meanwhile.
fn stream_of(
    first: Update,
    receiver: watch::Receiver<Update>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (receiver, Some(first)),
        |(mut receiver, first)| async move {
            let data = match first {
                Some(first) => first,
                None => {
                    receiver.changed().await.ok()?;
                    receiver.borrow_and_update().clone()
                }
            };
            let event = Event::default()
                .event("board")
                .retry(Duration::from_secs(1))
                .data(data.as_str());
            Some((Ok(event), (receiver, None)))
        },
    )
}

/// Renders a launch's board when the store or the minute changes, while anyone watches it.
async fn render_while_watched(state: AppState, sender: watch::Sender<Update>) {
    let release = state.release.id.clone();
    let mut seen = (u64::MAX, i64::MIN);
    let mut last_html = String::new();
    let mut last_sent = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(LOOK_EVERY).await;
        if state.boards.retire(&release, &sender) {
            return;
        }
        let changes = state
            .store_changes
            .load(std::sync::atomic::Ordering::Acquire);
        let minute = state.clock.now().timestamp() / 60;
        let resync = last_sent.elapsed() >= RESYNC;
        if (changes, minute) == seen && !resync {
            continue;
        }
        seen = (changes, minute);
        let board = match board(&state).await {
            Ok(board) => board,
            Err(error) => {
                tracing::warn!(%error, "could not gather the board; trying again");
                continue;
            }
        };
        let html = sections(&board);
        if html != last_html || resync {
            last_html = html;
            last_sent = tokio::time::Instant::now();
            sender.send_replace(update(&board));
        }
    }
}
