//! [`AppState`]: what every handler and the scheduler share. Cheap to clone, passed explicitly.

pub mod ballot_queue;
pub mod board_feeds;
pub mod home_viewers;
pub mod leases;
pub mod refresh_claims;
pub mod scheduling;
pub mod status_cache;

use std::sync::Arc;

use crate::background::Background;
use crate::clock::SharedClock;
use crate::domain::plan::Role;
use crate::metrics::Metrics;
use crate::release::{Launches, Release};
use crate::slack::port::SlackPort;
use crate::slack::render::Templates;
use crate::storage::writer::Writer;
use scheduling::Scheduler;

/// Shared handles of a running bot.
#[derive(Clone)]
pub struct AppState {
    /// Reads, and the scheduler's own bookkeeping.
    pub db: crate::storage::Db,
    /// Changes people make (commands, clicks): one ordered, group-committed writer.
    pub writer: Writer,
    pub slack: Arc<dyn SlackPort>,
    pub templates: Arc<Templates>,
    pub clock: SharedClock,
    /// The launch this handle acts for: the one a command, click or job belongs to (see
    /// [`AppState::for_release`]); at start-up, the first plan's.
    pub release: Arc<Release>,
    /// Every running launch, one per plan.
    pub launches: Arc<Launches>,
    pub metrics: Arc<Metrics>,
    /// Bumped by SQLite's commit hook on every connection: "the store has changed".
    pub store_changes: Arc<std::sync::atomic::AtomicU64>,
    /// Cached store-backed status lines (see `workflows::status_extras`).
    pub status_extras: Arc<status_cache::StatusExtrasCache>,
    /// The last `/golive status` answer of each launch (see `launch::status_report`).
    pub status_answers: Arc<status_cache::StatusAnswers>,
    /// Ballots waiting to be written together (see `workflows::ballots`).
    pub ballots: Arc<ballot_queue::BallotBatch>,
    /// The job loop's wake-up call and pass lock.
    pub scheduler: Arc<Scheduler>,
    /// This replica's name, lease time and launches held.
    pub leases: Arc<leases::Leases>,
    /// Release managers from `GOLIVE_RELEASE_MANAGERS`: always allowed, so a bad role
    /// assignment can never lock everyone out.
    pub bootstrap_release_managers: Arc<Vec<String>>,
    /// Work after acknowledgements (clicks, events, late answers, refreshes): tracked, bounded.
    pub background: Background,
    /// Interactive messages with a chat.update in flight (checklists, votes).
    pub refreshes: Arc<refresh_claims::Refreshes>,
    /// The read-only views' settings: links golive hands out are signed with the board token.
    pub views: Arc<Views>,
    /// The flag server and the guards' metrics, when configured.
    pub rollout: Arc<RolloutPorts>,
    /// The war-room board's live feeds.
    pub boards: Arc<board_feeds::BoardFeeds>,
    /// Who has Home open, for publishing it again after a change.
    pub homes: Arc<home_viewers::HomeViewers>,
    /// User groups' members as Slack last listed them.
    pub group_members: Arc<GroupMembers>,
}

/// User groups' members, kept a few minutes: Home asks for every team on every publish, and
/// Slack allows few `usergroups.users.list` calls a minute.
#[derive(Default)]
pub struct GroupMembers {
    listed: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Vec<String>)>>,
}

impl GroupMembers {
    const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(300);

    fn get(&self, group: &str) -> Option<Vec<String>> {
        let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        let (at, members) = listed.get(group)?;
        (at.elapsed() < Self::KEPT_FOR).then(|| members.clone())
    }

    fn keep(&self, group: &str, members: &[String]) {
        let mut listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        listed.insert(
            group.to_string(),
            (std::time::Instant::now(), members.to_vec()),
        );
    }
}

/// What the rollout talks to. Without a flag server steps are recorded only; without a metric
/// source guards are not watched.
#[derive(Default)]
pub struct RolloutPorts {
    pub flags: Option<Arc<dyn crate::integrations::FlagServer>>,
    pub metrics: Option<Arc<dyn crate::integrations::MetricSource>>,
}

/// What links to the read-only views need.
#[derive(Debug, Default)]
pub struct Views {
    pub board_token: Option<crate::config::Secret>,
    /// golive's address as people reach it, without a trailing slash.
    pub public_url: Option<String>,
}

impl AppState {
    /// This handle acting for `release`: everything else is shared.
    pub fn for_release(&self, release: Arc<Release>) -> AppState {
        AppState {
            release,
            ..self.clone()
        }
    }

    /// This handle acting for the running launch `id`, if it runs.
    pub fn for_release_id(&self, id: &str) -> Option<AppState> {
        self.launches
            .get(id)
            .map(|release| self.for_release(release))
    }

    /// Who holds `role` now.
    pub fn holders(&self, role: Role) -> Vec<String> {
        self.release
            .snapshot()
            .roles
            .get(&role)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `user` holds `role` now.
    pub fn holds(&self, role: Role, user: &str) -> bool {
        self.holders(role).iter().any(|u| u == user)
    }

    /// The release managers: the holders of the role, then those from
    /// `GOLIVE_RELEASE_MANAGERS`, who are always release managers so that a bad role assignment
    /// can never lock everyone out. The one rule for the gate, the ladder and the commands.
    pub fn release_managers(&self) -> Vec<String> {
        let mut managers = self.holders(Role::ReleaseManager);
        for user in self.bootstrap_release_managers.iter() {
            if !managers.contains(user) {
                managers.push(user.clone());
            }
        }
        managers
    }

    /// Whether `user` is a release manager (see [`AppState::release_managers`]).
    pub fn is_release_manager(&self, user: &str) -> bool {
        self.bootstrap_release_managers.iter().any(|u| u == user)
            || self.holds(Role::ReleaseManager, user)
    }

    /// A team's people: its listed members, its lead role's holders, and (only when `asking`
    /// is not among those, since it is a Web API call) its user group's members. The one rule
    /// for who acts for a team: checklist items, metrics, rollout steps.
    pub async fn team_people(&self, team: &crate::domain::plan::Team, asking: &str) -> Vec<String> {
        let mut people = team.members.clone();
        if let Some(role) = team.lead_role {
            people.extend(self.holders(role));
        }
        if people.iter().any(|p| p == asking) {
            return people;
        }
        let ids = self.release.slack_ids();
        if let Some(group) = team.usergroup.as_ref().and_then(|h| ids.groups.get(h)) {
            if let Some(members) = self.group_members.get(group) {
                people.extend(members);
                return people;
            }
            match self.slack.usergroup_members(group).await {
                Ok(members) => {
                    self.group_members.keep(group, &members);
                    people.extend(members);
                }
                Err(error) => {
                    tracing::warn!(%error, group, "could not list a user group's members")
                }
            }
        }
        people
    }

    /// Whether `user` is one of a team's people.
    pub async fn in_team(&self, team: &crate::domain::plan::Team, user: &str) -> bool {
        self.team_people(team, user).await.iter().any(|u| u == user)
    }
}
