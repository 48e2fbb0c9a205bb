//! HTTP plumbing of the fake Web API: routing, bearer-token checks, queued faults, and
//! request parameters from a query string, a form or a JSON body. What each method does
//! lives in `methods.rs`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::methods;
use super::state::Shared;
use super::Fault;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/{method}", any(web_api_call))
        .route("/response/{id}", post(response_url))
        .with_state(shared)
}

/// A Web API error code such as `channel_not_found`.
pub(super) type ApiError = String;

async fn web_api_call(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref(), &headers, &body);
    let to = (method == "chat.postMessage")
        .then(|| params.text("channel"))
        .flatten();
    let fault = shared.lock().begin_call(&method, to.as_deref());
    match fault {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let headers = [(header::RETRY_AFTER, retry_after_secs.to_string())];
            let body = Json(json!({"ok": false, "error": "ratelimited"}));
            return (StatusCode::TOO_MANY_REQUESTS, headers, body).into_response();
        }
        Some(Fault::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "fake Slack server error").into_response();
        }
        Some(Fault::ApiError(error)) => {
            return Json(json!({"ok": false, "error": error})).into_response()
        }
        Some(Fault::DropAfterStore) | None => {}
    }

    let outcome = match authorize(&method, &headers) {
        Ok(()) => {
            if method == "chat.postMessage" {
                let channel = params.text("channel").unwrap_or_default();
                let slow = shared.lock().slow_channels.get(&channel).copied();
                if let Some(by) = slow {
                    tokio::time::sleep(by).await;
                }
            }
            let done = methods::call(&shared, &method, &params);
            if method == "chat.postMessage" {
                let channel = params.text("channel").unwrap_or_default();
                let held = shared.lock().held_answers.get(&channel).cloned();
                if let Some(mut held) = held {
                    shared.notify_changed();
                    let _ = held.wait_for(|open| *open).await;
                }
            }
            done
        }
        Err(error) => Err(error),
    };
    shared.notify_changed();
    if fault == Some(Fault::DropAfterStore) {
        return broken_response();
    }
    let reply = match outcome {
        Ok(Value::Object(mut fields)) => {
            fields.insert("ok".into(), Value::Bool(true));
            Value::Object(fields)
        }
        Ok(other) => panic!("fake Slack method {method} answered a non-object: {other}"),
        Err(error) => json!({"ok": false, "error": error}),
    };
    // Slack names the token's scopes on every answer.
    let scopes = shared.lock().scopes.join(",");
    ([("x-oauth-scopes", scopes)], Json(reply)).into_response()
}

/// Bot methods take any `xoxb-` token; `apps.connections.open` takes an app-level `xapp-` one.
fn authorize(method: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| "not_authed".to_string())?;
    let wanted = if method == "apps.connections.open" {
        "xapp-"
    } else {
        "xoxb-"
    };
    if token.starts_with(wanted) {
        Ok(())
    } else if token.starts_with("xapp-") || token.starts_with("xoxb-") {
        Err("not_allowed_token_type".into())
    } else {
        Err("invalid_auth".into())
    }
}

/// Headers promise a body that never comes: hyper aborts the connection mid-response, so
/// the client sees a network error after the call took effect.
fn broken_response() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("fake Slack dropped the connection"))
    });
    let mut response = Response::new(Body::from_stream(failing));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    response
}

/// `POST /response/<id>`: records the JSON body and answers like Slack's webhook, `ok`.
async fn response_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let text = body["text"].as_str().unwrap_or_default().to_string();
    let checked = shared
        .lock()
        .check_message("response_url", Some(&text), body.get("blocks"));
    if let Err(code) = checked {
        shared.notify_changed();
        return (StatusCode::BAD_REQUEST, code).into_response();
    }
    shared.lock().responses.push((id, body));
    shared.notify_changed();
    ([(header::CONTENT_TYPE, "text/plain")], "ok").into_response()
}

/// Arguments of one call, merged from the query string and the body. Slack accepts both
/// forms and JSON; in forms, structured arguments (`blocks`, `view`) arrive as JSON strings.
pub(super) struct Params(Map<String, Value>);

impl Params {
    fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
        let mut fields = Map::new();
        let mut add_form = |form: &[u8]| {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(form).unwrap_or_default();
            for (key, value) in pairs {
                fields.insert(key, Value::String(value));
            }
        };
        add_form(query.unwrap_or_default().as_bytes());
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.contains("json"));
        if is_json {
            if let Ok(Value::Object(json)) = serde_json::from_slice(body) {
                fields.extend(json);
            }
        } else {
            add_form(body);
        }
        Params(fields)
    }

    /// A scalar argument as text; `None` when absent, null or empty.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(text) if text.is_empty() => None,
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.text(key).as_deref(), Some("true" | "1"))
    }

    /// A structured argument, decoding it when it came as a JSON string.
    pub fn json(&self, key: &str) -> Option<Value> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::String(text) => serde_json::from_str(text).ok(),
            other => Some(other.clone()),
        }
    }
}
