//! Opening a release at start-up: its row, its first role holders, its jobs, its Slack ids.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqlitePool;

use crate::domain::plan::{Plan, Role};
use crate::release::{Release, SlackIds, Snapshot};
use crate::slack::port::{SlackError, SlackPort};
use crate::storage::{audit, jobs, releases, roles};
use crate::workflows::launch::schedule::{skipped, sync_jobs, Sync};
use crate::workflows::WorkflowError;

/// Actor name for changes golive makes itself.
pub const GOLIVE: &str = "golive";

/// Loads (or creates) the plan's release and brings its jobs up to date.
///
/// `launch_override` (from `--launch-date`) wins over the stored L-Day; the plan's own date only
/// seeds a release seen for the first time.
pub async fn open_release(
    db: &SqlitePool,
    plan: Arc<Plan>,
    launch_override: Option<NaiveDate>,
    release_managers: &[String],
    now: DateTime<Utc>,
) -> Result<Release, WorkflowError> {
    let info = &plan.release;
    let id = info.id();
    let mut tx = crate::storage::begin_write(db).await?;
    let stored = releases::ensure(
        &mut tx,
        &id,
        &info.name,
        &info.version,
        &info.channel,
        info.launch_date,
        now,
    )
    .await?;
    if !roles::any_assigned(&mut tx, &id).await? {
        seed_roles(&mut tx, &plan, release_managers, now).await?;
    }
    let mut how = Sync::Resume;
    let mut launch_date = stored.launch_date;
    if let Some(date) = launch_override.filter(|d| Some(*d) != launch_date) {
        releases::set_launch_date(&mut tx, &id, date, now).await?;
        audit::record(
            &mut tx,
            &id,
            now,
            GOLIVE,
            "launch-date",
            &format!("set to {date} at start-up"),
        )
        .await?;
        launch_date = Some(date);
        how = Sync::Moved;
    }
    let timeline = launch_date.map(|d| plan.timeline(d)).unwrap_or_default();
    sync_jobs(&mut tx, &id, &timeline, now, how).await?;
    let snapshot = Snapshot {
        launch_date,
        skipped: skipped(&mut tx, &id, &timeline).await?,
        timeline: Arc::new(timeline),
        posted: posted(&mut tx, &id).await?,
        roles: role_map(roles::list(&mut tx, &id).await?),
    };
    tx.commit().await?;
    Ok(Release::new(plan, snapshot))
}

async fn seed_roles(
    tx: &mut sqlx::SqliteConnection,
    plan: &Plan,
    release_managers: &[String],
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let id = plan.release.id();
    let mut seeds: BTreeMap<Role, Vec<String>> = BTreeMap::new();
    for assignment in &plan.roles {
        seeds
            .entry(assignment.role)
            .or_default()
            .extend(assignment.users.iter().cloned());
    }
    let managers = seeds.entry(Role::ReleaseManager).or_default();
    for user in plan.release.release_managers.iter().chain(release_managers) {
        if !managers.contains(user) {
            managers.push(user.clone());
        }
    }
    for (role, users) in seeds.iter().filter(|(_, users)| !users.is_empty()) {
        roles::replace_holders(tx, &id, role.key(), users, GOLIVE, now).await?;
        audit::record(
            tx,
            &id,
            now,
            GOLIVE,
            "role",
            &format!("{} = {}", role.key(), users.join(", ")),
        )
        .await?;
    }
    Ok(())
}

/// Stored (role, user) pairs as a map; unknown role keys (from a newer version) are skipped.
pub fn role_map(pairs: Vec<(String, String)>) -> BTreeMap<Role, Vec<String>> {
    let mut map: BTreeMap<Role, Vec<String>> = BTreeMap::new();
    for (role, user) in pairs {
        if let Ok(role) = role.parse::<Role>() {
            map.entry(role).or_default().push(user);
        }
    }
    map
}

async fn posted(
    conn: &mut sqlx::SqliteConnection,
    release_id: &str,
) -> Result<HashMap<String, DateTime<Utc>>, WorkflowError> {
    Ok(jobs::list(conn, release_id)
        .await?
        .into_iter()
        .filter_map(|job| job.done_at.map(|at| (job.key, at)))
        .collect())
}

/// The launch channel and the user groups as the workspace knows them, or why they could not
/// be listed.
pub struct SlackLookup {
    /// The channel's id; `None` when no channel golive can see has the plan's name.
    pub channel: Result<Option<String>, SlackError>,
    /// Every user group's id, by handle.
    pub groups: Result<HashMap<String, String>, SlackError>,
}

/// Looks up the plan's launch channel (by name, without '#') and the workspace's user groups.
pub async fn look_up(slack: &dyn SlackPort, plan: &Plan) -> SlackLookup {
    let name = plan.release.channel.trim_start_matches('#');
    SlackLookup {
        channel: slack.channel_id(name).await,
        groups: slack
            .usergroups()
            .await
            .map(|groups| groups.into_iter().collect()),
    }
}

/// The plan's teams whose user group handle is not among `groups`, as (team key, handle).
pub fn missing_groups<'p>(
    plan: &'p Plan,
    groups: &HashMap<String, String>,
) -> Vec<(&'p str, &'p str)> {
    plan.teams
        .iter()
        .filter_map(|team| Some((team.key.as_str(), team.usergroup.as_deref()?)))
        .filter(|(_, handle)| !groups.contains_key(*handle))
        .collect()
}

/// Looks up the launch channel and the plan's user groups in the workspace. Failures are logged
/// and leave the names as they are: posts then go to the channel by name and teams are named in
/// bold, which is worse but never silent.
pub async fn resolve_slack_ids(slack: &dyn SlackPort, release: &Release) {
    let plan = &release.plan();
    let lookup = look_up(slack, plan).await;
    let channel = match lookup.channel {
        Ok(Some(id)) => Some(id),
        Ok(None) => {
            tracing::error!(
                channel = plan.release.channel.trim_start_matches('#'),
                "launch channel not found; is golive invited to it?"
            );
            None
        }
        Err(error) => {
            tracing::error!(%error, "could not list channels");
            None
        }
    };
    let groups = match lookup.groups {
        Ok(groups) => groups,
        Err(error) => {
            tracing::warn!(%error, "could not list user groups; mentioning team leads instead");
            HashMap::new()
        }
    };
    for (team, handle) in missing_groups(plan, &groups) {
        tracing::info!(
            team,
            handle,
            "no such user group; mentioning the team lead instead"
        );
    }
    release.set_slack_ids(SlackIds { channel, groups });
}
