//! The running release: its plan plus an in-memory copy of its stored state.
//!
//! The store is the source of truth; this copy is what `/golive status` reads, so answering a
//! command costs no database round trip. Workflows update it only after their transaction
//! commits, by swapping in a new [`Snapshot`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::plan::{Plan, Role};
use crate::domain::status::Progress;
use crate::domain::timeline::Occurrence;

/// The release's state at one moment. Cheap to share; replaced whole on every change.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub launch_date: Option<NaiveDate>,
    /// The plan resolved for `launch_date` (empty while it is unset).
    pub timeline: Arc<Vec<Occurrence>>,
    /// Occurrence key → when it was posted.
    pub posted: HashMap<String, DateTime<Utc>>,
    /// Occurrence keys that will not be posted (already past when L-Day was set or moved).
    pub skipped: HashSet<String>,
    pub roles: BTreeMap<Role, Vec<String>>,
}

impl Snapshot {
    /// What `/golive status` is computed from.
    pub fn progress(&self) -> Progress<'_> {
        Progress {
            launch_date: self.launch_date,
            timeline: &self.timeline,
            posted: &self.posted,
            skipped: &self.skipped,
            roles: &self.roles,
        }
    }
}

/// Workspace ids golive looked up for the plan's names.
#[derive(Debug, Clone, Default)]
pub struct SlackIds {
    /// The launch channel's id, once resolved.
    pub channel: Option<String>,
    /// User group handle → id.
    pub groups: HashMap<String, String>,
}

/// One release this bot runs.
pub struct Release {
    /// The release key (`summit-4.0.0`): the same across plan reloads.
    pub id: String,
    /// The plan in force; a reload swaps it together with the timeline.
    plan: RwLock<Arc<Plan>>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Bumped on every change to `snapshot`.
    version: AtomicU64,
    slack_ids: RwLock<Arc<SlackIds>>,
}

impl Release {
    /// A release with its loaded state.
    pub fn new(plan: Arc<Plan>, snapshot: Snapshot) -> Self {
        Self {
            id: plan.release.id(),
            plan: RwLock::new(plan),
            snapshot: RwLock::new(Arc::new(snapshot)),
            version: AtomicU64::new(0),
            slack_ids: RwLock::new(Arc::default()),
        }
    }

    /// The plan in force.
    pub fn plan(&self) -> Arc<Plan> {
        self.plan.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a reloaded plan in force, with its timeline and the occurrences it will not post.
    pub fn replace_plan(
        &self,
        plan: Arc<Plan>,
        timeline: Arc<Vec<Occurrence>>,
        skipped: HashSet<String>,
    ) {
        *self.plan.write().unwrap_or_else(|e| e.into_inner()) = plan;
        self.update(|s| {
            s.timeline = timeline;
            s.skipped = skipped;
        });
    }

    /// The current state.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies a change that has been committed to the store.
    pub fn update(&self, change: impl FnOnce(&mut Snapshot)) {
        let mut guard = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        change(Arc::make_mut(&mut guard));
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts the changes applied: [`Release::replace_if_unchanged`] refuses a snapshot read
    /// before the last of them.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Puts in a snapshot read from the store, unless a change was applied since `version`
    /// (the read may predate it); false then.
    pub fn replace_if_unchanged(&self, version: u64, snapshot: Snapshot) -> bool {
        let mut guard = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        if self.version.load(Ordering::Acquire) != version {
            return false;
        }
        *guard = Arc::new(snapshot);
        self.version.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// Sets L-Day, its resolved timeline and the occurrences that will not be posted.
    pub fn set_timeline(
        &self,
        launch_date: NaiveDate,
        timeline: Arc<Vec<Occurrence>>,
        skipped: HashSet<String>,
    ) {
        self.update(|s| {
            s.launch_date = Some(launch_date);
            s.timeline = timeline;
            s.skipped = skipped;
        });
    }

    /// The looked-up Slack ids.
    pub fn slack_ids(&self) -> Arc<SlackIds> {
        self.slack_ids
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the looked-up Slack ids.
    pub fn set_slack_ids(&self, ids: SlackIds) {
        *self.slack_ids.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ids);
    }

    /// Whether `channel` (an id, or a name with or without `#`) is this launch's channel.
    pub fn is_channel(&self, channel: &str) -> bool {
        let named = self.plan();
        let named = named.release.channel.trim_start_matches('#');
        self.slack_ids().channel.as_deref() == Some(channel)
            || named == channel.trim_start_matches('#')
    }

    /// Where posts go: the resolved channel id, else the channel as the plan names it.
    pub fn channel(&self) -> String {
        self.slack_ids()
            .channel
            .clone()
            .unwrap_or_else(|| self.plan().release.channel.clone())
    }
}

/// Every release this bot runs, one per plan. Replaced whole when the plans are reloaded.
#[derive(Default)]
pub struct Launches {
    all: RwLock<Arc<Vec<Arc<Release>>>>,
}

impl Launches {
    /// The launches of `releases`, in the order the plans were given.
    pub fn new(releases: Vec<Arc<Release>>) -> Self {
        Self {
            all: RwLock::new(Arc::new(releases)),
        }
    }

    /// Every running launch.
    pub fn all(&self) -> Arc<Vec<Arc<Release>>> {
        self.all.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the running set (after a reload).
    pub fn replace(&self, releases: Vec<Arc<Release>>) {
        *self.all.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(releases);
    }

    /// The running launch with release key `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Release>> {
        self.all().iter().find(|r| r.id == id).cloned()
    }

    /// The launch whose channel `channel` (an id, or the plan's name for it) is.
    pub fn in_channel(&self, channel: &str) -> Option<Arc<Release>> {
        self.all().iter().find(|r| r.is_channel(channel)).cloned()
    }

    /// The only launch, when exactly one runs.
    pub fn only(&self) -> Option<Arc<Release>> {
        match self.all().as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    }

    /// The release keys of the running launches.
    pub fn ids(&self) -> Vec<String> {
        self.all().iter().map(|r| r.id.clone()).collect()
    }
}
