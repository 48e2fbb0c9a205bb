//! The plan file's shape as serde reads it, before any meaning is checked.
//!
//! Values that need checking are `Spanned` so that errors can point at them. Every table
//! denies unknown fields, so a misspelt key is an error rather than silently ignored.

use serde::Deserialize;
use toml::Spanned;

use super::Level;

type Text = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub release: RawRelease,
    #[serde(default)]
    pub teams: Vec<RawTeam>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub communication: Vec<RawChannel>,
    pub war_room: RawWarRoom,
    pub post_times: RawPostTimes,
    #[serde(default)]
    pub launch_day: Vec<RawMilestone>,
    #[serde(default)]
    pub launch_week: Vec<RawLaunchWeekDay>,
    #[serde(default)]
    pub pre_launch: Vec<RawPreLaunchWeek>,
    #[serde(default)]
    pub phases: Vec<RawPhase>,
    #[serde(default)]
    pub deprecation: Vec<RawDeprecation>,
    #[serde(default)]
    pub checklists: Vec<RawChecklist>,
    #[serde(default)]
    pub escalation: Vec<RawEscalation>,
    #[serde(default)]
    pub feature_flags: Vec<RawFlagStep>,
    pub rollout: Option<Spanned<RawRollout>>,
    #[serde(default)]
    pub metrics: Vec<RawMetricGroup>,
    #[serde(default)]
    pub risks: Vec<RawRisk>,
    #[serde(default)]
    pub contingencies: Vec<RawContingency>,
    #[serde(default)]
    pub recurring: Vec<RawRecurring>,
    pub gonogo: RawGoNoGo,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    pub name: Text,
    pub version: String,
    pub codename: String,
    pub release_type: String,
    pub channel: Text,
    pub timezone: Text,
    pub launch_date: Text,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub release_managers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub key: Text,
    pub name: String,
    pub usergroup: Option<String>,
    pub lead_role: Option<Text>,
    #[serde(default)]
    pub members: Vec<String>,
    pub responsibilities: Option<RawResponsibilities>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponsibilities {
    pub pre_launch: String,
    pub launch: String,
    pub post_launch: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub role: Text,
    #[serde(default)]
    pub users: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub key: Text,
    pub name: String,
    pub purpose: String,
    pub cadence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWarRoom {
    pub location: String,
    pub opens: Text,
    pub closes: Text,
    #[serde(default)]
    pub participants: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPostTimes {
    pub launch_week_morning: Text,
    pub launch_week_afternoon: Text,
    pub launch_week_evening: Text,
    pub pre_launch_week: Text,
    pub phase_start: Text,
    pub phase_milestone: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilestone {
    pub time: Text,
    pub activity: String,
    pub owner: Text,
    pub gate: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLaunchWeekDay {
    pub day: Text,
    pub summary: Option<String>,
    pub morning: Option<String>,
    pub afternoon: Option<String>,
    pub evening: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreLaunchWeek {
    pub week: Text,
    pub tasks: Vec<RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub owner: Text,
    pub task: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub number: Spanned<i64>,
    pub name: String,
    pub objective: String,
    pub weeks: String,
    pub duration: Option<String>,
    pub start: Text,
    pub end: Option<Text>,
    #[serde(default)]
    pub participants: Vec<Text>,
    #[serde(default)]
    pub selection: Vec<String>,
    #[serde(default)]
    pub activities: Vec<RawActivity>,
    #[serde(default)]
    pub exit_criteria: Vec<String>,
    #[serde(default)]
    pub weekly: Vec<RawWeeklyGoal>,
    #[serde(default)]
    pub milestones: Vec<RawPhaseMilestone>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    pub name: String,
    pub owner: Option<Text>,
    pub duration: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeeklyGoal {
    pub week: Text,
    pub focus: String,
    pub target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhaseMilestone {
    pub key: Text,
    pub day: Text,
    pub time: Option<Text>,
    pub title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeprecation {
    pub title: String,
    pub day: Option<Text>,
    pub when: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecklist {
    pub key: Text,
    pub title: String,
    pub due: Text,
    pub items: Spanned<Vec<RawChecklistItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecklistItem {
    pub key: Option<Text>,
    pub text: Text,
    pub owner: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalation {
    pub level: Spanned<i64>,
    pub name: String,
    pub roles: Vec<Text>,
    pub escalate_after_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub escalate_when: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlagStep {
    pub percent: Spanned<i64>,
    pub at: Text,
    #[serde(default)]
    pub auto: bool,
    pub confirm_within: Option<Text>,
    pub hold: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRollout {
    pub flag: Text,
    #[serde(default = "default_project")]
    pub project: Text,
    #[serde(default = "default_environment")]
    pub environment: Text,
    /// The team that confirms steps; the owner of the launch-day step milestones unless given.
    pub team: Option<Text>,
    pub confirm_within: Option<Text>,
    pub hold: Option<Text>,
    pub failures: Option<Spanned<i64>>,
    /// "pause" (the default) or "back": what a tripped guard does besides pausing.
    pub on_failure: Option<Text>,
    pub runbook: Option<Text>,
    #[serde(default)]
    pub guards: Vec<RawGuard>,
}

fn default_project() -> Text {
    Spanned::new(0..0, "default".to_string())
}

fn default_environment() -> Text {
    Spanned::new(0..0, "production".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuard {
    pub key: Text,
    pub query: Text,
    pub below: Option<f64>,
    pub above: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetricGroup {
    pub key: Text,
    pub title: String,
    pub at: Vec<Text>,
    /// When the scorecard is posted on each day of `at` (default 09:00).
    pub time: Option<Text>,
    pub metrics: Vec<RawMetric>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub name: String,
    /// The key `/golive metric set` takes; the slug of the name unless given.
    pub key: Option<Text>,
    /// A Prometheus query whose value is the actual, in the target's unit.
    pub query: Option<Text>,
    /// The team whose members may enter its actual (release managers always may).
    pub owner: Option<Text>,
    pub targets: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    pub risk: String,
    pub probability: Level,
    pub impact: Level,
    pub mitigation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContingency {
    pub key: Text,
    pub title: String,
    pub steps: Spanned<Vec<RawStep>>,
}

/// A runbook step: its words alone, or its words with what confirming it does and its deadline.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawStep {
    Text(String),
    Step {
        text: String,
        effect: Option<String>,
        within: Option<String>,
        only: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecurring {
    pub key: Text,
    pub title: String,
    pub cron: Text,
    pub from: Text,
    pub until: Text,
    pub owner: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGoNoGo {
    pub deadline: Text,
    pub voters: Vec<Text>,
    pub rule: Text,
}
