//! A release plan: who does what, when, relative to L-Day.
//!
//! Plans are TOML files (see `deploy/plans/summit-v4.toml`). [`Plan::parse`] reads one into
//! types that cannot be wrong, reporting every problem with its line and column. This module
//! does no IO; the Summit v4 plan is compiled in.

mod error;
mod launch;
mod phase;
mod raw;
mod response;
mod role;
mod validate;

#[cfg(test)]
mod tests;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

pub use error::{PlanError, PlanErrors};
pub use launch::{
    Bound, Checklist, ChecklistItem, DecisionRule, FlagStep, Gate, GoNoGo, Guard, LaunchWeekDay,
    Milestone, PreLaunchTask, PreLaunchWeek, Recurring, Rollout,
};
pub use phase::{Activity, DeprecationStep, Phase, PhaseMilestone, WeeklyGoal};
pub use response::{
    Contingency, EscalationLevel, EscalationTrigger, Level, Metric, MetricGroup, Risk, RunbookStep,
    StepEffect,
};
pub use role::{Owner, Role, UnknownRole};

use crate::domain::day::DayTime;

/// The Summit v4 plan as shipped.
pub const EMBEDDED_SOURCE: &str = include_str!("../../../deploy/plans/summit-v4.toml");

/// A whole release plan, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub release: ReleaseInfo,
    pub teams: Vec<Team>,
    pub roles: Vec<RoleAssignment>,
    pub communication: Vec<CommChannel>,
    pub war_room: WarRoom,
    pub post_times: PostTimes,
    pub launch_day: Vec<Milestone>,
    pub launch_week: Vec<LaunchWeekDay>,
    pub pre_launch: Vec<PreLaunchWeek>,
    pub phases: Vec<Phase>,
    pub deprecation: Vec<DeprecationStep>,
    pub checklists: Vec<Checklist>,
    pub escalation: Vec<EscalationLevel>,
    pub feature_flags: Vec<FlagStep>,
    /// How the steps run; `None` posts them as text only.
    pub rollout: Option<Rollout>,
    pub metrics: Vec<MetricGroup>,
    pub risks: Vec<Risk>,
    pub contingencies: Vec<Contingency>,
    pub recurring: Vec<Recurring>,
    pub gonogo: GoNoGo,
}

/// What is being released, where it is coordinated and in which time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseInfo {
    pub name: String,
    pub version: String,
    pub codename: String,
    pub release_type: String,
    /// The coordination channel, e.g. "#v4-launch".
    pub channel: String,
    /// The zone every wall-clock time in the plan is read in.
    pub timezone: Tz,
    /// L-Day, once set; plans are written with "TBD" until then.
    pub launch_date: Option<NaiveDate>,
    pub scope: Vec<String>,
    /// Slack user ids of the release managers.
    pub release_managers: Vec<String>,
    /// Where the release's name and channel are written, for errors that span several plans.
    pub located: Located,
}

/// 1-based (line, column) positions in the plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Located {
    pub name: (usize, usize),
    pub channel: (usize, usize),
}

impl ReleaseInfo {
    /// A stable slug naming this release, e.g. "summit-4.0.0": what `--release` takes. At most
    /// [`RELEASE_KEY_MAX`] characters, since every button value carries it.
    pub fn id(&self) -> String {
        let mut id = format!("{}-{}", slug(&self.name), slug(&self.version));
        // A slug is ASCII, so a byte index is a character boundary.
        id.truncate(RELEASE_KEY_MAX);
        id.trim_end_matches('-').to_string()
    }
}

/// A team taking part in the launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// Short key used by owners, e.g. "sre".
    pub key: String,
    /// Display name, e.g. "SRE".
    pub name: String,
    /// Slack usergroup handle to mention, if any.
    pub usergroup: Option<String>,
    /// The role that leads this team, if the plan names one.
    pub lead_role: Option<Role>,
    /// Slack user ids, optional.
    pub members: Vec<String>,
    /// The team's row in the coordination matrix, if it has one.
    pub responsibilities: Option<Responsibilities>,
}

/// What a team does before, during and after launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Responsibilities {
    pub pre_launch: String,
    pub launch: String,
    pub post_launch: String,
}

/// The people holding one role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    pub role: Role,
    /// Slack user ids; empty while the plan says TBD.
    pub users: Vec<String>,
}

/// A way the launch team talks.
#[derive(Debug, Clone, PartialEq)]
pub struct CommChannel {
    pub key: String,
    /// Where it happens, e.g. "#v4-launch (Slack)".
    pub name: String,
    pub purpose: String,
    pub cadence: String,
}

/// The launch-day war room.
#[derive(Debug, Clone, PartialEq)]
pub struct WarRoom {
    pub location: String,
    pub opens: DayTime,
    pub closes: DayTime,
    /// Team keys in the room.
    pub participants: Vec<String>,
}

/// Wall-clock times for posts the plan does not time itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostTimes {
    pub launch_week_morning: NaiveTime,
    pub launch_week_afternoon: NaiveTime,
    pub launch_week_evening: NaiveTime,
    pub pre_launch_week: NaiveTime,
    pub phase_start: NaiveTime,
    pub phase_milestone: NaiveTime,
}

impl Plan {
    /// Parse and validate. Every problem is reported (not just the first), each with 1-based line and column of the offending value/key.
    pub fn parse(source: &str) -> Result<Plan, PlanErrors> {
        let raw: raw::RawPlan = toml::from_str(source)
            .map_err(|error| PlanErrors(vec![PlanError::from_toml(source, &error)]))?;
        validate::plan(source, raw)
    }

    /// The Summit v4 plan compiled into the binary.
    pub fn embedded() -> Plan {
        // A test parses the embedded plan, so this cannot fail in a released build.
        Plan::parse(EMBEDDED_SOURCE).expect("the embedded Summit v4 plan is valid")
    }

    /// The team with this key.
    pub fn team(&self, key: &str) -> Option<&Team> {
        self.teams.iter().find(|team| team.key == key)
    }

    /// The checklist with this key, e.g. "l-1".
    pub fn checklist(&self, key: &str) -> Option<&Checklist> {
        self.checklists
            .iter()
            .find(|checklist| checklist.key == key)
    }

    /// The users holding a role; empty if nobody is assigned.
    pub fn users_in(&self, role: Role) -> &[String] {
        self.roles
            .iter()
            .find(|assignment| assignment.role == role)
            .map_or(&[], |assignment| &assignment.users)
    }

    /// The display name of an owner: the team's name, or "All".
    pub fn owner_name(&self, owner: &Owner) -> String {
        match owner {
            Owner::All => "All".to_string(),
            Owner::Team(key) => self
                .team(key)
                .map_or_else(|| key.clone(), |team| team.name.clone()),
        }
    }
}

/// The longest key a plan may have. Keys name Slack blocks (`item:<key>`, `runbook:<key>`) and
/// ride in button values and modal metadata, which Slack bounds: a block id at 255 characters.
pub const KEY_MAX: usize = 200;

/// The longest release key.
pub const RELEASE_KEY_MAX: usize = 100;

/// The key of a checklist item (or an exit criterion) without one of its own: its text as a
/// slug, cut to [`KEY_MAX`] characters.
pub fn item_key(text: &str) -> String {
    let mut key = slug(text);
    // A slug is ASCII, so a byte index is a character boundary.
    key.truncate(KEY_MAX);
    key.trim_end_matches('-').to_string()
}

/// Lower-case text with runs of anything but letters, digits and dots turned into single dashes.
pub fn slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii_alphanumeric() || character == '.' {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}
