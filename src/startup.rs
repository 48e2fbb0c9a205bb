//! Building and running the application: store, plan, release, Slack, HTTP, scheduler.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::background::Background;
use crate::clock::{ScaledClock, SharedClock, SystemClock};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::plans::{self, PlansError};
use crate::release::{Launches, Release};
use crate::scheduler;
use crate::server::{http, socket_mode::SocketMode};
use crate::slack::console::Console;
use crate::slack::port::SlackPort;
use crate::slack::reduced::{Reducing, Refused};
use crate::slack::render::Templates;
use crate::slack::web::{hyper_client, HyperClient, RetryPolicy, WebApi};
use crate::state::AppState;
use crate::storage::{self, StoreError};
use crate::workflows::{
    incidents::warm_up, launch::reload, launch::setup, refusals, WorkflowError,
};

/// How long a stopping bot waits for work it acknowledged before the signal.
const BACKGROUND_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Why golive could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Plans(#[from] PlansError),
    #[error("--launch-date sets one launch's L-Day, but {0} plans are given: set it in each plan, or with `/golive launch-date` in the launch's channel")]
    LaunchDateForSeveral(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot build the Slack client: {0}")]
    SlackClient(std::io::Error),
    #[error("cannot start Socket Mode: {0}")]
    SocketMode(String),
    #[error("cannot set up the rollout: {0}")]
    Rollout(String),
    #[error("broken message template: {0}")]
    Templates(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The clock `config` asks for: real time, or a rehearsal clock.
pub fn clock_for(config: &Config) -> SharedClock {
    match (config.clock_start, config.replica.clock_anchor) {
        (Some(start), Some(anchor)) => {
            Arc::new(ScaledClock::anchored(start, config.clock_speed, anchor))
        }
        (Some(start), None) => Arc::new(ScaledClock::stopped(start, config.clock_speed)),
        (None, _) if config.clock_speed != 1.0 => {
            Arc::new(ScaledClock::stopped(chrono::Utc::now(), config.clock_speed))
        }
        (None, _) => Arc::new(SystemClock),
    }
}

/// The flag server and metric source `config` names.
fn rollout_ports(
    config: &crate::config::RolloutConfig,
) -> Result<crate::state::RolloutPorts, String> {
    use crate::integrations::{prometheus::Prometheus, unleash::Unleash};
    let flags: Option<Arc<dyn crate::integrations::FlagServer>> =
        match (&config.unleash_url, &config.unleash_token) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(
                    "GOLIVE_UNLEASH_URL is set but GOLIVE_UNLEASH_TOKEN (an admin token) is not"
                        .into(),
                )
            }
            (Some(url), Some(token)) => Some(Arc::new(
                Unleash::new(url, token.expose()).map_err(|e| e.to_string())?,
            )),
        };
    let metrics: Option<Arc<dyn crate::integrations::MetricSource>> = match &config.prometheus_url {
        None => None,
        Some(url) => Some(Arc::new(Prometheus::new(url).map_err(|e| e.to_string())?)),
    };
    Ok(crate::state::RolloutPorts { flags, metrics })
}

/// A built, not yet running, golive.
pub struct Application {
    state: AppState,
    listener: TcpListener,
    signing_secret: Option<String>,
    socket: Option<(Arc<HyperClient>, String)>,
    /// Slack under the reducing wrapper, and the refusals it reports.
    refusals: (Arc<dyn SlackPort>, mpsc::Receiver<Refused>),
    /// The plan files and folders, read again on every reload.
    plan_paths: Vec<std::path::PathBuf>,
    board_token: Option<String>,
    /// What the plans changed since the last start, for each launch's release managers.
    plan_notices: Vec<(Arc<Release>, String)>,
    /// The launches other replicas change (a shared store only).
    followed: tokio::sync::broadcast::Receiver<String>,
    /// The launches other replicas asked this one's messages of (a shared store only).
    asked: tokio::sync::broadcast::Receiver<String>,
}

impl Application {
    /// Connects the store, opens the release and binds the listener. `slack` overrides the
    /// transport (the console in rehearsals); by default it is the Web API when a bot token is
    /// set and the console otherwise.
    pub async fn build(
        config: Config,
        clock: SharedClock,
        slack: Option<Arc<dyn SlackPort>>,
    ) -> Result<Self, StartError> {
        let files = plans::load(&config.plans)?;
        if files.len() > 1 && config.launch_date.is_some() && !config.launch_date_for_all {
            return Err(StartError::LaunchDateForSeveral(files.len()));
        }
        let store = storage::connect(&config.database_url).await?;
        let followed = store.changed_elsewhere.subscribe();
        let asked = store.refresh_asked.subscribe();
        let db = store.db.clone();
        if !db.is_shared() {
            // One process opens a SQLite file: a job still leased was held by one that died.
            let mut conn = db.acquire().await.map_err(StoreError::from)?;
            let taken_back = storage::jobs::let_go_every_lease(&mut conn).await?;
            if taken_back > 0 {
                tracing::warn!(
                    taken_back,
                    "jobs in hand at the last stop; they are retried"
                );
            }
        }
        let leases = Arc::new(crate::state::leases::Leases::new(
            config
                .replica
                .id
                .clone()
                .unwrap_or_else(crate::state::leases::Leases::default_holder),
            config.replica.lease,
            db.is_shared(),
            // Leases run on real time, unless the clock is a test's: a rehearsal clock may run
            // an hour a second, and a replica dies in real time.
            if config.clock_start.is_some() || config.clock_speed != 1.0 {
                Arc::new(SystemClock)
            } else {
                clock.clone()
            },
        ));
        if leases.shared {
            // Jobs leased under this replica's name were held by an earlier run of it that died
            // (a restart under a fixed name): nobody else may take them until they run out.
            let mut conn = db.acquire().await.map_err(StoreError::from)?;
            storage::jobs::let_go_all(&mut conn, &leases.holder).await?;
        }
        let metrics = Arc::new(Metrics::new());
        let client = match &config.slack.bot_token {
            Some(_) => Some(Arc::new(
                hyper_client(&config.slack.api_url).map_err(StartError::SlackClient)?,
            )),
            None => None,
        };
        let slack: Arc<dyn SlackPort> = match (slack, &client, &config.slack.bot_token) {
            (Some(slack), _, _) => slack,
            (None, Some(client), Some(token)) => {
                let retry = RetryPolicy {
                    call_timeout: config.slack.call_timeout,
                    ..RetryPolicy::default()
                };
                let web = WebApi::new(client.clone(), token.expose(), metrics.clone());
                Arc::new(web.with_retry(retry))
            }
            _ => Arc::new(Console::new(
                Box::new(std::io::stdout()),
                clock.clone(),
                files[0].plan.release.timezone,
            )),
        };
        let direct = slack;
        let (reducing, refused) = Reducing::new(direct.clone(), metrics.clone());
        let slack: Arc<dyn SlackPort> = Arc::new(reducing);
        let mut releases = Vec::with_capacity(files.len());
        let mut plan_notices = Vec::new();
        for file in files {
            let file_shown = file.shown();
            let opened = setup::open_release(
                &db,
                Arc::new(file.plan),
                config.launch_date,
                &config.release_managers,
                clock.now(),
            )
            .await?;
            let release = Arc::new(opened.release);
            if opened.changes.worth_telling() {
                let plan = release.plan();
                let text = reload::changed_text(&plan, &file_shown, &opened.changes);
                plan_notices.push((release.clone(), text));
            }
            releases.push(release);
        }
        let launches = Arc::new(Launches::new(releases.clone()));
        let templates = Templates::new().map_err(|e| StartError::Templates(e.to_string()))?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen.to_string(),
                    source,
                })?;
        let socket = match (&config.slack.app_token, client) {
            (Some(token), Some(client)) => Some((client, token.expose().to_string())),
            _ => None,
        };
        let state = AppState {
            db,
            writer: store.writer,
            store_changes: store.changes,
            status_extras: Arc::default(),
            status_answers: Arc::default(),
            ballots: Arc::default(),
            slack,
            templates: Arc::new(templates),
            clock,
            release: releases[0].clone(),
            launches,
            metrics,
            scheduler: Arc::default(),
            leases,
            bootstrap_release_managers: Arc::new(config.release_managers.clone()),
            refreshes: Arc::default(),
            background: Background::default(),
            views: Arc::new(crate::state::Views {
                board_token: config.board_token.clone(),
                public_url: config.public_url.clone(),
            }),
            rollout: Arc::new(rollout_ports(&config.rollout).map_err(StartError::Rollout)?),
            boards: Arc::default(),
            homes: Arc::default(),
            group_members: Arc::default(),
        };
        Ok(Self {
            state,
            listener,
            signing_secret: config
                .slack
                .signing_secret
                .as_ref()
                .map(|s| s.expose().to_string()),
            socket,
            refusals: (direct, refused),
            plan_paths: config.plans.clone(),
            board_token: config.board_token.as_ref().map(|s| s.expose().to_string()),
            plan_notices,
            followed,
            asked,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The shared state, for tests and rehearsals.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The plan files and folders a reload reads.
    pub fn plan_paths(&self) -> Vec<std::path::PathBuf> {
        self.plan_paths.clone()
    }

    /// Serves HTTP, Socket Mode (if configured) and the scheduler until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let (stop, stopped) = watch::channel(false);
        let state = self.state;
        state.clock.start();
        let socket = match self.socket {
            Some((client, token)) => Some(
                SocketMode::start(client, &token, state.clone())
                    .await
                    .map_err(|e| StartError::SocketMode(e.to_string()))?,
            ),
            None => None,
        };
        let scheduler = {
            let state = state.clone();
            let stopped = stopped.clone();
            let notices = self.plan_notices;
            tokio::spawn(async move {
                // Names first, so the first post already mentions the right groups.
                for release in state.launches.all().iter() {
                    setup::resolve_slack_ids(state.slack.as_ref(), release).await;
                    let state = state.for_release(release.clone());
                    if let Err(error) = warm_up::run(&state).await {
                        tracing::warn!(%error, "warm-up failed; the first page may be slower");
                    }
                    // A stop between a change's record and its post's update left the post
                    // behind the store: show every posted step as the store has it.
                    crate::workflows::rollout::steps::refresh_posted(&state).await;
                }
                for (release, text) in notices {
                    reload::tell_managers(&state, &release, &text).await;
                }
                if state.leases.shared {
                    // The launches this replica holds, before its first pass.
                    if let Err(error) = scheduler::heartbeat::beat(&state).await {
                        tracing::warn!(%error, "first heartbeat failed; the next one tries again");
                    }
                    tokio::spawn(scheduler::heartbeat::run(state.clone(), stopped.clone()));
                }
                scheduler::run(state.clone(), stopped).await;
                if state.leases.shared {
                    if let Err(error) = scheduler::heartbeat::leave(&state).await {
                        tracing::warn!(%error, "could not let go of the leases; they run out");
                    }
                }
            })
        };
        // Only a shared store has others' changes to follow.
        let follower = state.leases.shared.then(|| {
            let asks =
                crate::workflows::refresh::follow_asks(state.clone(), self.asked, stopped.clone());
            let changes = crate::workflows::launch::follow::run(
                state.clone(),
                self.followed,
                stopped.clone(),
            );
            tokio::spawn(async move { tokio::join!(asks, changes) })
        });
        let homes = tokio::spawn(crate::workflows::views::home::keep_fresh(
            state.clone(),
            stopped.clone(),
        ));
        let (direct, refused) = self.refusals;
        let refusals = tokio::spawn(refusals::report(
            state.clone(),
            direct,
            refused,
            stopped.clone(),
        ));
        let app = http::router(
            state.clone(),
            self.signing_secret.as_deref(),
            self.board_token.as_deref(),
        );
        let mut http_stopped = stopped.clone();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            let _ = http_stopped.wait_for(|s| *s).await;
        });
        let server = tokio::spawn(async move { server.await });
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
        state.boards.close_all();
        if let Some(socket) = socket {
            socket.shutdown().await;
        }
        // No new acknowledgements from here on; then the work acknowledged before the signal
        // finishes (clicks stored, answers sent), within a bound.
        let _ = server.await;
        let cut_off = state.background.drain(BACKGROUND_DRAIN).await;
        if cut_off > 0 {
            tracing::warn!(cut_off, "stopped with acknowledged work still running");
        }
        let _ = scheduler.await;
        if let Some(follower) = follower {
            let _ = follower.await;
        }
        let _ = refusals.await;
        let _ = homes.await;
        Ok(())
    }
}
