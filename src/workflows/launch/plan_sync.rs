//! Bringing a launch's stored state in step with its plan, at start and on every reload: what
//! already happened stays, what is still to come follows the plan.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::storage::AsConn;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::plan::{Plan, Role};
use crate::domain::timeline::Occurrence;
use crate::slack::format::local;
use crate::storage::{audit, releases, roles, StoreError};
use crate::workflows::launch::schedule::{skipped, sync_posts, PostChange, Sync, Synced};
use crate::workflows::launch::setup::GOLIVE;

/// How the plan is being read.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// `--launch-date` at start-up: wins over the stored L-Day.
    pub launch_override: Option<NaiveDate>,
    /// The plan in force until now, on a reload.
    pub previous: Option<&'a Plan>,
    /// `GOLIVE_RELEASE_MANAGERS`: release managers of every launch.
    pub release_managers: &'a [String],
    pub now: DateTime<Utc>,
}

/// What reading the plan changed, and the state it leaves.
#[derive(Debug, Clone, Default)]
pub struct PlanChanges {
    pub launch_date: Option<NaiveDate>,
    /// L-Day as it was, when this reading set or moved it.
    pub launch_date_moved: Option<Option<NaiveDate>>,
    pub timeline: Vec<Occurrence>,
    pub skipped: HashSet<String>,
    pub posts: Synced,
    /// Roles whose holders the plan changed, with their holders now.
    pub roles: BTreeMap<Role, Vec<String>>,
}

impl PlanChanges {
    /// Whether the plan changed posts or roles (a moved L-Day has an audit row of its own).
    pub fn worth_telling(&self) -> bool {
        self.posts.changed() || !self.roles.is_empty()
    }

    /// One line per kind of change, for the audit log and the release managers.
    pub fn summary(&self, plan: &Plan) -> Vec<String> {
        let zone = plan.release.timezone;
        let mut lines = Vec::new();
        if let Some(was) = self.launch_date_moved {
            let was = was.map_or("TBD".to_string(), |d| d.to_string());
            let now = self
                .launch_date
                .map_or("TBD".to_string(), |d| d.to_string());
            lines.push(format!("L-Day {was} → {now}"));
        }
        let listed = |what: &str, changes: &[PostChange]| {
            let shown: Vec<String> = changes
                .iter()
                .take(SHOWN)
                .map(|c| change_line(c, zone))
                .collect();
            let more = changes.len().saturating_sub(SHOWN);
            let more = if more > 0 {
                format!("; …and {more} more")
            } else {
                String::new()
            };
            format!("{} {what}: {}{more}", changes.len(), shown.join("; "))
        };
        if !self.posts.moved.is_empty() {
            lines.push(listed("moved", &self.posts.moved));
        }
        if !self.posts.removed.is_empty() {
            lines.push(listed("cancelled", &self.posts.removed));
        }
        if !self.posts.added.is_empty() {
            lines.push(listed("added", &self.posts.added));
        }
        for (role, holders) in &self.roles {
            let holders = if holders.is_empty() {
                "nobody".to_string()
            } else {
                holders.join(", ")
            };
            lines.push(format!("{} now held by {holders}", role.title()));
        }
        lines
    }
}

/// "Deploy (Tue 2026-03-10 07:00 PDT → Tue 2026-03-10 08:00 PDT)".
fn change_line(change: &PostChange, zone: chrono_tz::Tz) -> String {
    match (change.from, change.to) {
        (Some(from), Some(to)) => format!(
            "{} ({} → {})",
            change.title,
            local(from, zone),
            local(to, zone)
        ),
        (Some(at), None) | (None, Some(at)) => format!("{} ({})", change.title, local(at, zone)),
        (None, None) => change.title.clone(),
    }
}

/// How many posts of each kind a summary names.
const SHOWN: usize = 10;

/// Brings the release of `plan` in step with it, inside the caller's transaction: its row, its
/// L-Day, its role holders and its post jobs.
pub async fn bring_in_step(
    tx: &mut impl AsConn,
    plan: &Plan,
    reading: Reading<'_>,
) -> Result<PlanChanges, StoreError> {
    let info = &plan.release;
    let id = info.id();
    let now = reading.now;
    let stored = releases::ensure(
        tx,
        &id,
        &info.name,
        &info.version,
        &info.channel,
        info.launch_date,
        now,
    )
    .await?;
    let mut changes = PlanChanges {
        roles: sync_roles(tx, plan, reading).await?,
        launch_date: stored.launch_date,
        ..PlanChanges::default()
    };
    // The plan's own L-Day counts when it changed in the plan (or the store has none yet);
    // `--launch-date` wins over both.
    let plan_moved = match reading.previous {
        Some(previous) => previous.release.launch_date != info.launch_date,
        None => stored.launch_date.is_none(),
    };
    let wanted = reading
        .launch_override
        .or(info.launch_date.filter(|_| plan_moved));
    let mut how = Sync::Resume;
    if let Some(date) = wanted.filter(|d| Some(*d) != stored.launch_date) {
        releases::set_launch_date(tx, &id, date, now).await?;
        let detail = format!("set to {date} from the plan or the command line");
        audit::record(tx, &id, now, GOLIVE, "launch-date", &detail).await?;
        changes.launch_date_moved = Some(stored.launch_date);
        changes.launch_date = Some(date);
        how = Sync::Moved;
    }
    changes.timeline = changes
        .launch_date
        .map(|d| plan.timeline(d))
        .unwrap_or_default();
    changes.posts = sync_posts(tx, &id, &changes.timeline, now, how).await?;
    changes.skipped = skipped(tx, &id, &changes.timeline).await?;
    if changes.worth_telling() {
        let detail = changes.summary(plan).join("; ");
        audit::record(tx, &id, now, GOLIVE, "plan", &detail).await?;
    }
    Ok(changes)
}

/// The holders the plan names for each role; its release managers hold that role.
fn named_roles(plan: &Plan) -> BTreeMap<String, Vec<String>> {
    let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for assignment in &plan.roles {
        let holders = named.entry(assignment.role.key().to_string()).or_default();
        for user in &assignment.users {
            if !holders.contains(user) {
                holders.push(user.clone());
            }
        }
    }
    if !plan.release.release_managers.is_empty() {
        let managers = named
            .entry(Role::ReleaseManager.key().to_string())
            .or_default();
        for user in &plan.release.release_managers {
            if !managers.contains(user) {
                managers.push(user.clone());
            }
        }
    }
    named
}

/// Seeds the role holders of a new release from the plan; afterwards changes only the roles
/// whose holders the plan itself changed, so that `/golive role` assignments of other roles
/// stay. Returns the roles it changed.
async fn sync_roles(
    tx: &mut impl AsConn,
    plan: &Plan,
    reading: Reading<'_>,
) -> Result<BTreeMap<Role, Vec<String>>, StoreError> {
    let id = plan.release.id();
    let named = named_roles(plan);
    let before = match releases::plan_roles(tx, &id).await? {
        Some(before) => before,
        // Never read, or read before golive kept what it named: seed a release nobody has
        // staffed yet, and from here on compare with this reading.
        None => {
            if !roles::any_assigned(tx, &id).await? {
                let managers = Role::ReleaseManager.key();
                let mut seeds: Vec<(&str, &[String])> = named
                    .iter()
                    .filter(|(key, users)| !users.is_empty() && key.as_str() != managers)
                    .map(|(key, users)| (key.as_str(), users.as_slice()))
                    .collect();
                // Release managers always: those every launch has make the role non-empty.
                seeds.push((managers, named.get(managers).map_or(&[], Vec::as_slice)));
                for (key, users) in seeds {
                    if !users.is_empty() || !reading.release_managers.is_empty() {
                        set_holders(tx, &id, key, users, reading).await?;
                    }
                }
            }
            releases::set_plan_roles(tx, &id, &named).await?;
            return Ok(BTreeMap::new());
        }
    };
    let mut changed = BTreeMap::new();
    let keys: BTreeSet<&String> = before.keys().chain(named.keys()).collect();
    for key in keys {
        let (was, now) = (before.get(key), named.get(key));
        if was.map(Vec::as_slice).unwrap_or_default() == now.map(Vec::as_slice).unwrap_or_default()
        {
            continue;
        }
        let Ok(role) = key.parse::<Role>() else {
            continue;
        };
        let holders = set_holders(
            tx,
            &id,
            key,
            now.map(Vec::as_slice).unwrap_or_default(),
            reading,
        )
        .await?;
        changed.insert(role, holders);
    }
    releases::set_plan_roles(tx, &id, &named).await?;
    Ok(changed)
}

/// Makes `users` (with the release managers every launch has, for that role) the holders of
/// `key`, with its audit row; returns the holders.
async fn set_holders(
    tx: &mut impl AsConn,
    id: &str,
    key: &str,
    users: &[String],
    reading: Reading<'_>,
) -> Result<Vec<String>, StoreError> {
    let mut holders = users.to_vec();
    if key == Role::ReleaseManager.key() {
        for user in reading.release_managers {
            if !holders.contains(user) {
                holders.push(user.clone());
            }
        }
    }
    roles::replace_holders(tx, id, key, &holders, GOLIVE, reading.now).await?;
    let detail = format!("{key} = {} (from the plan)", holders.join(", "));
    audit::record(tx, id, reading.now, GOLIVE, "role", &detail).await?;
    Ok(holders)
}
