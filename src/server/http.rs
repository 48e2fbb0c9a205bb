//! HTTP mode: `/slack/commands`, `/slack/interactivity`, `/slack/events` (each signed), plus
//! `/healthz` and `/metrics`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

use super::dispatch::{self, Ack};
use crate::slack::inbound::{self, Inbound, InboundError};
use crate::slack::port::Outgoing;
use crate::slack::web::content;
use crate::state::AppState;

/// The router; Slack routes exist only when a signing secret is configured, the calendar feed
/// only with a board token.
pub fn router(state: AppState, signing_secret: Option<&str>, board_token: Option<&str>) -> Router {
    let health = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state.clone())
        .merge(super::calendar::routes(state.clone(), board_token))
        .merge(super::export::routes(state.clone(), board_token))
        .merge(super::board::routes(state.clone(), board_token));
    let Some(secret) = signing_secret else {
        return health;
    };
    let verifier = SlackEventSignatureVerifier::new(&SlackSigningSecret::new(secret.to_string()));
    let slack = Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactivity", post(interactivity))
        .route("/slack/events", post(events))
        .with_state(SlackRoutes {
            state,
            verifier,
            last_answer: Arc::default(),
        });
    health.merge(slack)
}

#[derive(Clone)]
struct SlackRoutes {
    state: AppState,
    verifier: SlackEventSignatureVerifier,
    /// The last ephemeral answer sent and its JSON body: the same shared message (a burst of
    /// `/golive status`) is serialized once.
    last_answer: Arc<Mutex<Option<SentAnswer>>>,
}

/// An ephemeral answer and the JSON body it was sent as.
type SentAnswer = (Arc<Outgoing>, Bytes);

impl SlackRoutes {
    /// The JSON body of an ephemeral answer.
    fn answer_body(&self, message: &Arc<Outgoing>) -> Result<Bytes, serde_json::Error> {
        let last = || self.last_answer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((sent, body)) = last().as_ref() {
            if Arc::ptr_eq(sent, message) {
                return Ok(body.clone());
            }
        }
        let response = SlackCommandEventResponse::new(content(message))
            .with_response_type(SlackMessageResponseType::Ephemeral);
        let body = Bytes::from(serde_json::to_vec(&response)?);
        *last() = Some((message.clone(), body.clone()));
        Ok(body)
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

async fn commands(State(routes): State<SlackRoutes>, headers: HeaderMap, body: Bytes) -> Response {
    serve(
        &routes,
        "commands",
        &headers,
        &body,
        inbound::command_from_form,
    )
    .await
}

async fn interactivity(
    State(routes): State<SlackRoutes>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &routes,
        "interactivity",
        &headers,
        &body,
        inbound::interaction_from_form,
    )
    .await
}

async fn events(State(routes): State<SlackRoutes>, headers: HeaderMap, body: Bytes) -> Response {
    serve(&routes, "events", &headers, &body, inbound::event_from_json).await
}

/// Verify → parse → dispatch → ack, timing the whole request.
async fn serve(
    routes: &SlackRoutes,
    route: &'static str,
    headers: &HeaderMap,
    body: &Bytes,
    parse: fn(&str) -> Result<Inbound, InboundError>,
) -> Response {
    let started = Instant::now();
    let state = &routes.state;
    let response = match verified_body(&routes.verifier, headers, body) {
        Err(why) => {
            state.metrics.refused();
            tracing::warn!(route, why, "refused a Slack request");
            (StatusCode::UNAUTHORIZED, why).into_response()
        }
        Ok(text) => match parse(text) {
            Err(error) => {
                state.metrics.refused();
                tracing::warn!(route, %error, "malformed Slack request");
                (
                    StatusCode::BAD_REQUEST,
                    format!("malformed request: {error}"),
                )
                    .into_response()
            }
            Ok(inbound) => ack(routes, dispatch::handle(state, inbound).await),
        },
    };
    state
        .metrics
        .observe(route, started.elapsed().as_secs_f64());
    response
}

/// The body as text once its signature and timestamp check out; why not otherwise.
fn verified_body<'b>(
    verifier: &SlackEventSignatureVerifier,
    headers: &HeaderMap,
    body: &'b Bytes,
) -> Result<&'b str, String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let refuse = |why: String| why;
    let (Some(signature), Some(timestamp)) = (
        header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER),
        header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP),
    ) else {
        return Err(refuse("missing Slack signature headers".to_string()));
    };
    let text = std::str::from_utf8(body).map_err(|_| refuse("body is not UTF-8".to_string()))?;
    verifier
        .verify(signature, text, timestamp)
        .map_err(|e| refuse(format!("invalid Slack signature: {e}")))?;
    Ok(text)
}

fn ack(routes: &SlackRoutes, ack: Ack) -> Response {
    match ack {
        Ack::Empty => StatusCode::OK.into_response(),
        Ack::Challenge(challenge) => {
            ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response()
        }
        Ack::ViewErrors(errors) => {
            Json(serde_json::json!({"response_action": "errors", "errors": errors})).into_response()
        }
        Ack::Message(message) => match routes.answer_body(&message) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        },
    }
}
