//! `GET /calendar/<release>.ics`: a launch's plan as a calendar feed, for whoever holds the
//! board token (`?token=`, or the board's cookie). Off without `GOLIVE_BOARD_TOKEN`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;
use crate::storage::audit;

/// The cookie a board link sets; the feed accepts it too.
pub const COOKIE: &str = "golive_board";

#[derive(Clone)]
struct Feed {
    state: AppState,
    token: String,
}

#[derive(serde::Deserialize)]
struct Asked {
    token: Option<String>,
}

/// The feed's route, when a board token is configured.
pub fn routes(state: AppState, token: Option<&str>) -> Router {
    let Some(token) = token else {
        return Router::new();
    };
    Router::new()
        .route("/calendar/{file}", get(feed))
        .with_state(Feed {
            state,
            token: token.to_string(),
        })
}

async fn feed(
    State(feed): State<Feed>,
    Path(file): Path<String>,
    Query(asked): Query<Asked>,
    headers: HeaderMap,
) -> Response {
    let given = asked.token.or_else(|| cookie(&headers, COOKIE));
    if !given.is_some_and(|given| same(given.as_bytes(), feed.token.as_bytes())) {
        let why = "This feed needs the board token: add ?token=… to the link.";
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let Some(release) = file.strip_suffix(".ics") else {
        return (StatusCode::NOT_FOUND, "Calendar feeds end in .ics.").into_response();
    };
    let Some(state) = feed.state.for_release_id(release) else {
        let why = format!(
            "golive runs no launch `{}`.",
            crate::domain::excerpt::excerpt(release)
        );
        return (StatusCode::NOT_FOUND, why).into_response();
    };
    let plan = state.release.plan();
    let snapshot = state.release.snapshot();
    let sequence = match state.db.acquire().await {
        Ok(mut conn) => audit::count(&mut conn, release, "launch-date").await,
        Err(error) => Err(error.into()),
    };
    let sequence = match sequence {
        Ok(sequence) => sequence,
        Err(error) => {
            tracing::error!(%error, "could not read the calendar's sequence");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let now = state.clock.now();
    // While L-Day is TBD the calendar is empty; subscribed apps fill in once it is set.
    let body = match snapshot.launch_date {
        Some(launch) => crate::ics::feed(&plan, launch, sequence, now),
        None => crate::ics::empty(&plan),
    };
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// Compares in time independent of where the inputs differ.
pub(super) fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}
