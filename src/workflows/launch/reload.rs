//! Reading the plans again while golive runs (on SIGHUP): a running launch follows its changed
//! plan, a new plan starts a launch, a plan no longer given stops its launch (its history is
//! kept). An invalid set of plans changes nothing. Each change is in the audit log and told to
//! the launch's release managers by DM.

use std::path::PathBuf;
use std::sync::Arc;

use crate::storage::Connection;
use futures_util::future::BoxFuture;

use crate::domain::plan::Plan;
use crate::plans::{self, PlanFile, PlansError};
use crate::release::Release;
use crate::slack::messages::{self, Tone};
use crate::slack::render::slack_escape;
use crate::state::AppState;
use crate::storage::{audit, StoreError};
use crate::workflows::launch::plan_sync::{bring_in_step, PlanChanges, Reading};
use crate::workflows::launch::setup::{self, GOLIVE};
use crate::workflows::WorkflowError;

/// Why a reload changed nothing (or, for a store failure, stopped part way; what it did is
/// committed and in the audit log).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Plans(#[from] PlansError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
}

impl From<StoreError> for ReloadError {
    fn from(error: StoreError) -> Self {
        Self::Workflow(error.into())
    }
}

/// What a reload did, by release key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reloaded {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Reads the plans of `paths` again and puts them in force.
pub async fn reload(state: &AppState, paths: &[PathBuf]) -> Result<Reloaded, ReloadError> {
    let files = match plans::load(paths) {
        Ok(files) => files,
        Err(error) => {
            refused(state, &error).await;
            return Err(error.into());
        }
    };
    let mut done = Reloaded::default();
    let mut running = Vec::with_capacity(files.len());
    for file in files {
        let shown = file.shown();
        match state.launches.get(&file.plan.release.id()) {
            Some(release) => {
                if apply(state, &release, file).await? {
                    done.changed.push(release.id.clone());
                }
                running.push(release);
            }
            None => {
                let release = start(state, file).await?;
                let text = format!(
                    "golive now runs {} in {} (from {shown}).",
                    release_name(&release.plan()),
                    release.plan().release.channel
                );
                tell_managers(state, &release, &text).await;
                done.added.push(release.id.clone());
                running.push(release);
            }
        }
    }
    for gone in state.launches.all().iter() {
        if !running.iter().any(|r| r.id == gone.id) {
            stop(state, gone).await?;
            done.removed.push(gone.id.clone());
        }
    }
    state.launches.replace(running);
    // On a shared store a launch added is taken (or left to the replica that has it) at once.
    state.leases.beat_now().await;
    state.scheduler.wake();
    tracing::info!(?done, "plans reloaded");
    Ok(done)
}

/// Puts a running launch's reloaded plan in force; true when it changed anything.
async fn apply(
    state: &AppState,
    release: &Arc<Release>,
    file: PlanFile,
) -> Result<bool, ReloadError> {
    let shown = file.shown();
    let plan = Arc::new(file.plan);
    let previous = release.plan();
    let now = state.clock.now();
    let managers = state.bootstrap_release_managers.clone();
    let reading_plan = plan.clone();
    let in_force = release.clone();
    let changes = state
        .writer
        .write(
            move |conn: &mut Connection| -> BoxFuture<'_, Result<PlanChanges, StoreError>> {
                Box::pin(async move {
                    let reading = Reading {
                        launch_override: None,
                        previous: Some(&previous),
                        release_managers: &managers,
                        now,
                    };
                    bring_in_step(conn, &reading_plan, reading).await
                })
            },
            move |changes: &PlanChanges| put_in_force(&in_force, plan, changes),
        )
        .await?;
    if !changes.worth_telling() && changes.launch_date_moved.is_none() {
        return Ok(false);
    }
    let plan = release.plan();
    tell_managers(state, release, &changed_text(&plan, &shown, &changes)).await;
    Ok(true)
}

/// The in-memory launch after its plan's changes committed. Posts made meanwhile are kept as
/// they are: only the plan, the timeline, L-Day and the changed roles are replaced.
fn put_in_force(release: &Release, plan: Arc<Plan>, changes: &PlanChanges) {
    let timeline = Arc::new(changes.timeline.clone());
    release.replace_plan(plan, timeline, changes.skipped.clone());
    release.update(|snapshot| {
        snapshot.launch_date = changes.launch_date;
        for (role, holders) in &changes.roles {
            snapshot.roles.insert(*role, holders.clone());
        }
        for (key, at) in &changes.posts.posted_as {
            if let Some(at) = at {
                snapshot.posted.insert(key.clone(), *at);
            }
        }
    });
}

/// What the release managers hear when their launch's plan changed.
pub fn changed_text(plan: &Plan, shown: &str, changes: &PlanChanges) -> String {
    let lines: Vec<String> = changes
        .summary(plan)
        .into_iter()
        .map(|line| format!("• {line}"))
        .collect();
    format!(
        "The plan of {} changed ({shown}); golive follows it from now on, and nothing already posted is posted again:\n{}",
        release_name(plan),
        lines.join("\n")
    )
}

/// Opens the launch of a plan new to the running set.
async fn start(state: &AppState, file: PlanFile) -> Result<Arc<Release>, ReloadError> {
    let opened = setup::open_release(
        &state.db,
        Arc::new(file.plan),
        None,
        &state.bootstrap_release_managers,
        state.clock.now(),
    )
    .await?;
    let release = Arc::new(opened.release);
    setup::resolve_slack_ids(state.slack.as_ref(), &release).await;
    Ok(release)
}

/// Stops running a launch whose plan is no longer given; its stored history stays.
async fn stop(state: &AppState, release: &Arc<Release>) -> Result<(), ReloadError> {
    let mut conn = state.db.acquire().await.map_err(StoreError::from)?;
    let detail = "its plan is no longer among golive's plans; stopped, its history kept";
    audit::record(
        &mut conn,
        &release.id,
        state.clock.now(),
        GOLIVE,
        "plan-removed",
        detail,
    )
    .await?;
    let text = format!(
        "{}'s plan is no longer among golive's plans, so golive has stopped running it: nothing more is posted or escalated for it. Its history is kept.",
        release_name(&release.plan())
    );
    tell_managers(state, release, &text).await;
    Ok(())
}

/// An invalid set of plans: every problem logged and told to every launch's release managers;
/// the running plans stay in force.
async fn refused(state: &AppState, error: &PlansError) {
    tracing::error!(%error, "plans not reloaded; the running plans stay in force");
    let text = format!(
        "golive could not reload its plans, so the plans running stay in force. Fix these, then reload again:\n{error}"
    );
    for release in state.launches.all().iter() {
        if let Ok(mut conn) = state.db.acquire().await {
            let detail = crate::domain::excerpt::excerpt(&error.to_string()).to_string();
            let recorded = audit::record(
                &mut conn,
                &release.id,
                state.clock.now(),
                GOLIVE,
                "plan-refused",
                &detail,
            )
            .await;
            if let Err(error) = recorded {
                tracing::error!(%error, "could not record a refused reload");
            }
        }
        tell_managers(state, release, &text).await;
    }
}

/// DMs `text` to the release managers of `release`.
pub async fn tell_managers(state: &AppState, release: &Arc<Release>, text: &str) {
    let notice = match messages::notice(&state.templates, Tone::Done, text, &slack_escape(text)) {
        Ok(notice) => notice,
        Err(error) => {
            tracing::error!(%error, "could not render a plan notice");
            return;
        }
    };
    for manager in state.for_release(release.clone()).release_managers() {
        if let Err(error) = state.slack.post(&manager, &notice).await {
            tracing::warn!(%error, manager, "could not tell a release manager of a plan change");
        }
    }
}

fn release_name(plan: &Plan) -> String {
    format!("{} {}", plan.release.name, plan.release.version)
}
