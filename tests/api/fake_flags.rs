//! In-process stand-ins for Unleash's admin routes and Prometheus's instant query API, for the
//! many rollout cases a real server cannot be made to show on demand: errors, outages, a
//! hand-made change, NaN. They know only the servers' side of the wire, as
//! `../shared/flag-servers.md` describes it for unleash-server 7.5.1 and Prometheus 2.42.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

pub const ADMIN_TOKEN: &str = "*:*.fake-admin-token";
/// A backend token: Unleash answers 403 on admin routes.
pub const CLIENT_TOKEN: &str = "default:production.fake-client-token";

/// A strategy of a flag's environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub id: String,
    pub name: String,
    pub title: Option<String>,
    pub rollout: String,
}

#[derive(Debug, Clone, Default)]
pub struct FlagState {
    pub enabled: bool,
    pub strategies: Vec<Strategy>,
}

#[derive(Default)]
struct UnleashInner {
    /// (project, flag) → environment → state.
    flags: HashMap<(String, String), HashMap<String, FlagState>>,
    /// Statuses to answer the next calls with, before doing anything.
    failures: VecDeque<u16>,
    /// Statuses to answer the next writes with, after doing them: the call landed but its
    /// caller cannot know.
    lost_answers: VecDeque<u16>,
    /// Every call as "METHOD path".
    calls: Vec<String>,
    next_id: u64,
}

/// A fake Unleash with flags in project `default`, environments `development` and `production`.
#[derive(Clone)]
pub struct FakeUnleash {
    inner: Arc<Mutex<UnleashInner>>,
    pub url: String,
}

type Shared = Arc<Mutex<UnleashInner>>;

fn refuse(headers: &HeaderMap, inner: &mut UnleashInner, call: String) -> Option<Response> {
    inner.calls.push(call);
    if let Some(status) = inner.failures.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        return Some((status, Json(json!({"message": "injected"}))).into_response());
    }
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => Some(StatusCode::UNAUTHORIZED.into_response()),
        Some(token) if token.trim_start_matches("Bearer ") == ADMIN_TOKEN => None,
        Some(token) if token.trim_start_matches("Bearer ") == CLIENT_TOKEN => {
            Some(StatusCode::FORBIDDEN.into_response())
        }
        Some(_) => Some(StatusCode::UNAUTHORIZED.into_response()),
    }
}

/// A write that took effect but whose answer is lost.
fn lost(inner: &mut UnleashInner) -> Option<Response> {
    let status = inner.lost_answers.pop_front()?;
    Some(StatusCode::from_u16(status).unwrap().into_response())
}

fn feature_json(environments: &HashMap<String, FlagState>, name: &str) -> Value {
    let environments: Vec<Value> = ["development", "production"]
        .iter()
        .map(|env| {
            let state = environments.get(*env).cloned().unwrap_or_default();
            let strategies: Vec<Value> = state
                .strategies
                .iter()
                .map(|s| {
                    json!({"id": s.id, "name": s.name, "title": s.title,
                           "parameters": {"rollout": s.rollout, "stickiness": "default", "groupId": name}})
                })
                .collect();
            json!({"name": env, "enabled": state.enabled, "strategies": strategies})
        })
        .collect();
    json!({"name": name, "environments": environments})
}

async fn read_feature(
    State(inner): State<Shared>,
    Path((project, flag)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(refused) = refuse(&headers, &mut inner, format!("GET {flag}")) {
        return refused;
    }
    match inner.flags.get(&(project, flag.clone())) {
        Some(envs) => Json(feature_json(envs, &flag)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn add_strategy(
    State(inner): State<Shared>,
    Path((project, flag, env)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(refused) = refuse(
        &headers,
        &mut inner,
        format!("POST {flag}/{env}/strategies"),
    ) {
        return refused;
    }
    // Unleash refuses a number where it wants the string "25".
    let Some(rollout) = body["parameters"]["rollout"].as_str().map(str::to_string) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    inner.next_id += 1;
    let id = format!("strategy-{}", inner.next_id);
    let Some(envs) = inner.flags.get_mut(&(project, flag)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let strategy = Strategy {
        id: id.clone(),
        name: body["name"].as_str().unwrap_or_default().to_string(),
        title: body["title"].as_str().map(str::to_string),
        rollout,
    };
    envs.entry(env).or_default().strategies.push(strategy);
    lost(&mut inner).unwrap_or_else(|| Json(json!({"id": id})).into_response())
}

async fn change_strategy(
    State(inner): State<Shared>,
    Path((project, flag, env, id)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(refused) = refuse(&headers, &mut inner, format!("PATCH {flag}/{env}/{id}")) {
        return refused;
    }
    let Some(value) = body[0]["value"].as_str().map(str::to_string) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let strategy = inner
        .flags
        .get_mut(&(project, flag))
        .and_then(|envs| envs.get_mut(&env))
        .and_then(|state| state.strategies.iter_mut().find(|s| s.id == id));
    match strategy {
        Some(strategy) => {
            strategy.rollout = value;
            lost(&mut inner).unwrap_or_else(|| Json(json!({})).into_response())
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn switch(
    State(inner): State<Shared>,
    Path((project, flag, env, on)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if let Some(refused) = refuse(&headers, &mut inner, format!("POST {flag}/{env}/{on}")) {
        return refused;
    }
    let Some(envs) = inner.flags.get_mut(&(project, flag.clone())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let state = envs.entry(env).or_default();
    match on.as_str() {
        "on" => {
            // Unleash's trap: switching on with no strategy adds a default one at 100 %.
            if state.strategies.is_empty() {
                state.strategies.push(Strategy {
                    id: "default-strategy".into(),
                    name: "flexibleRollout".into(),
                    title: None,
                    rollout: "100".into(),
                });
            }
            state.enabled = true;
        }
        "off" => state.enabled = false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    lost(&mut inner).unwrap_or_else(|| StatusCode::OK.into_response())
}

impl FakeUnleash {
    pub async fn start() -> Self {
        let inner: Shared = Arc::default();
        let base = "/api/admin/projects/{project}/features/{flag}";
        let app = Router::new()
            .route(base, get(read_feature))
            .route(
                &format!("{base}/environments/{{env}}/strategies"),
                post(add_strategy),
            )
            .route(
                &format!("{base}/environments/{{env}}/strategies/{{id}}"),
                patch(change_strategy),
            )
            .route(&format!("{base}/environments/{{env}}/{{on}}"), post(switch))
            .with_state(inner.clone());
        let url = serve(app).await;
        Self { inner, url }
    }

    /// Creates a flag, off in every environment, with no strategy.
    pub fn create_flag(&self, flag: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .flags
            .insert(("default".into(), flag.into()), HashMap::new());
    }

    pub fn production(&self, flag: &str) -> FlagState {
        let inner = self.inner.lock().unwrap();
        inner
            .flags
            .get(&("default".to_string(), flag.to_string()))
            .and_then(|envs| envs.get("production").cloned())
            .unwrap_or_default()
    }

    /// Someone changes every strategy's percentage by hand.
    pub fn set_by_hand(&self, flag: &str, rollout: &str) {
        let mut inner = self.inner.lock().unwrap();
        let state = inner
            .flags
            .get_mut(&("default".to_string(), flag.to_string()))
            .and_then(|envs| envs.get_mut("production"))
            .expect("the flag is in production");
        for strategy in &mut state.strategies {
            strategy.rollout = rollout.to_string();
        }
    }

    /// The next calls answer these statuses, one each, before anything is done.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().failures.extend(statuses);
    }

    /// The next writes take effect but answer these statuses, as if the answer were lost.
    pub fn lose_answers(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().lost_answers.extend(statuses);
    }

    /// Every call so far, as "METHOD flag/…".
    pub fn calls(&self) -> Vec<String> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// The calls that changed something.
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET "))
            .collect()
    }
}

/// What the fake Prometheus answers for a query.
#[derive(Debug, Clone)]
pub enum Answer {
    /// One sample with this value as Prometheus writes it ("0.004", "NaN", "+Inf").
    Value(String),
    /// No series.
    Empty,
    /// `status: error` with this HTTP status (422 a query that cannot run, 503 a timeout).
    Error(u16),
}

#[derive(Clone)]
pub struct FakePrometheus {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    queries: Arc<Mutex<Vec<String>>>,
    pub url: String,
}

async fn query(
    State(fake): State<FakePrometheus>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let query = form.get("query").cloned().unwrap_or_default();
    fake.queries.lock().unwrap().push(query.clone());
    let answer = fake.answers.lock().unwrap().get(&query).cloned();
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    match answer.unwrap_or(Answer::Empty) {
        Answer::Value(value) => Json(json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {}, "value": [now, value]}]}}))
        .into_response(),
        Answer::Empty => {
            Json(json!({"status": "success", "data": {"resultType": "vector", "result": []}}))
                .into_response()
        }
        Answer::Error(status) => (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({"status": "error", "errorType": "execution", "error": "injected"})),
        )
            .into_response(),
    }
}

impl FakePrometheus {
    pub async fn start() -> Self {
        let mut fake = Self {
            answers: Arc::default(),
            queries: Arc::default(),
            url: String::new(),
        };
        let app = Router::new()
            .route("/api/v1/query", post(query))
            .with_state(fake.clone());
        fake.url = serve(app).await;
        fake
    }

    pub fn answer(&self, query: &str, answer: Answer) {
        self.answers
            .lock()
            .unwrap()
            .insert(query.to_string(), answer);
    }

    pub fn queries(&self) -> Vec<String> {
        self.queries.lock().unwrap().clone()
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}
