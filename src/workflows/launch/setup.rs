//! Opening a release at start-up: its row, its first role holders, its jobs, its Slack ids.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::storage::{AsConn, Db};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::plan::{Plan, Role};
use crate::release::{Release, SlackIds, Snapshot};
use crate::slack::port::{SlackError, SlackPort};
use crate::storage::{jobs, roles};
use crate::workflows::launch::plan_sync::{bring_in_step, PlanChanges, Reading};
use crate::workflows::WorkflowError;

/// Actor name for changes golive makes itself.
pub const GOLIVE: &str = "golive";

/// A release as opened at start-up, with what its plan changed since the last start.
pub struct Opened {
    pub release: Release,
    pub changes: PlanChanges,
}

/// Loads (or creates) the plan's release and brings it in step with the plan (see
/// [`plan_sync`](super::plan_sync)).
///
/// `launch_override` (from `--launch-date`) wins over the stored L-Day; the plan's own date
/// counts for a release seen for the first time.
pub async fn open_release(
    db: &Db,
    plan: Arc<Plan>,
    launch_override: Option<NaiveDate>,
    release_managers: &[String],
    now: DateTime<Utc>,
) -> Result<Opened, WorkflowError> {
    let id = plan.release.id();
    let mut tx = db.begin().await?;
    let reading = Reading {
        launch_override,
        previous: None,
        release_managers,
        now,
    };
    let changes = bring_in_step(&mut tx, &plan, reading).await?;
    let snapshot = Snapshot {
        launch_date: changes.launch_date,
        skipped: changes.skipped.clone(),
        timeline: Arc::new(changes.timeline.clone()),
        posted: posted(&mut tx, &id).await?,
        roles: role_map(roles::list(&mut tx, &id).await?),
    };
    tx.commit().await?;
    Ok(Opened {
        release: Release::new(plan, snapshot),
        changes,
    })
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

pub(crate) async fn posted(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<HashMap<String, DateTime<Utc>>, WorkflowError> {
    Ok(jobs::done_times(conn, release_id)
        .await?
        .into_iter()
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
