//! `GET /export/<release>.<md|csv>?expires=…&sig=…`: the launch record behind a link that
//! `/golive export` signed with the board token, open until it expires.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::DateTime;

use crate::domain::signed_link;
use crate::record::{self, Format};
use crate::state::AppState;

#[derive(Clone)]
struct Export {
    state: AppState,
    token: String,
}

#[derive(serde::Deserialize)]
struct Signed {
    expires: Option<i64>,
    sig: Option<String>,
}

/// The route, when a board token is configured.
pub fn routes(state: AppState, token: Option<&str>) -> Router {
    let Some(token) = token else {
        return Router::new();
    };
    Router::new()
        .route("/export/{file}", get(export))
        .with_state(Export {
            state,
            token: token.to_string(),
        })
}

async fn export(
    State(export): State<Export>,
    Path(file): Path<String>,
    Query(signed): Query<Signed>,
) -> Response {
    let path = format!("/export/{file}");
    let now = export.state.clock.now();
    let expires = signed
        .expires
        .and_then(|at| DateTime::from_timestamp(at, 0));
    let valid = match (expires, &signed.sig) {
        (Some(expires), Some(sig)) => signed_link::verify(&export.token, &path, expires, sig, now),
        _ => false,
    };
    if !valid {
        let why = "This link is not one golive signed, or it has expired: ask for a new one with `/golive export`.";
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let Some((release, format, mime)) =
        file.rsplit_once('.')
            .and_then(|(release, extension)| match extension {
                "md" => Some((release, Format::Markdown, "text/markdown; charset=utf-8")),
                "csv" => Some((release, Format::Csv, "text/csv; charset=utf-8")),
                _ => None,
            })
    else {
        return (StatusCode::NOT_FOUND, "Exports are .md or .csv.").into_response();
    };
    let Some(state) = export.state.for_release_id(release) else {
        return (StatusCode::NOT_FOUND, "golive runs no such launch.").into_response();
    };
    let built = record::build(&state.db, &state.release.plan()).await;
    let text = match built.map(|r| record::render(&r, format)) {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => {
            tracing::error!(%error, "could not write a launch record");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(error) => {
            tracing::error!(%error, "could not read a launch record");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let attachment = format!("attachment; filename=\"{file}\"");
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, attachment),
        ],
        text,
    )
        .into_response()
}
