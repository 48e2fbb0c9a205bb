//! The launch record: everything one launch did, from the store, against its plan (the
//! timeline planned and posted, checklists, votes, incidents, metric actuals, the audit log),
//! for `golive export` as Markdown (the launch review's first draft), CSV or JSON.

mod formats;

use crate::storage::Db;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

pub use formats::{render, Format, FormatError};

use crate::domain::plan::Plan;
use crate::domain::vote::VoteState;
use crate::storage::rollout::{self, ChangeState};
use crate::storage::{audit, checklists, history, jobs, metrics, releases, StoreError};

/// A time in UTC and in the plan's zone.
#[derive(Debug, Clone, Serialize)]
pub struct When {
    pub utc: String,
    pub local: String,
}

impl When {
    fn at(at: DateTime<Utc>, zone: Tz) -> Self {
        Self {
            utc: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            local: at
                .with_timezone(&zone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LaunchRecord {
    pub release: String,
    pub name: String,
    pub channel: String,
    pub zone: String,
    pub launch_date: Option<String>,
    pub timeline: Vec<PostRecord>,
    pub checklists: Vec<ChecklistRecord>,
    pub votes: Vec<VoteRecord>,
    pub incidents: Vec<IncidentRecord>,
    pub rollout: Vec<RolloutRecord>,
    pub guards: Vec<GuardRecord>,
    pub metrics: Vec<MetricRecord>,
    pub audit: Vec<EventRecord>,
}

/// One change asked of the flag server: a step applied, a command, a guard going back.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutRecord {
    /// The step's percentage, for a step's change.
    pub step: Option<u8>,
    pub target: String,
    pub why: String,
    pub by: String,
    pub asked: When,
    /// applied, blocked, failed or pending.
    pub outcome: String,
    /// What the flag server read after it, or why it was not made.
    pub detail: String,
    pub done: Option<When>,
}

/// One reading of a guard.
#[derive(Debug, Clone, Serialize)]
pub struct GuardRecord {
    pub guard: String,
    pub at: When,
    pub value: Option<f64>,
    pub outcome: String,
    pub streak: u32,
    pub tripped: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostRecord {
    pub title: String,
    pub planned: When,
    pub posted: Option<When>,
    /// Minutes after its time it was posted, when later than a minute.
    pub late_by_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChecklistRecord {
    pub key: String,
    pub title: String,
    pub items: Vec<ItemRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemRecord {
    pub text: String,
    pub owner: String,
    pub confirmed_by: Option<String>,
    pub confirmed: Option<When>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoteRecord {
    pub opened_by: String,
    pub opened: When,
    pub deadline: When,
    pub decision: Option<String>,
    pub ballots: Vec<BallotRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BallotRecord {
    pub voter: String,
    pub choice: String,
    pub reason: Option<String>,
    pub at: When,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentRecord {
    pub id: String,
    pub severity: String,
    pub summary: String,
    pub opened_by: String,
    pub opened: When,
    pub level: u8,
    pub owner: Option<String>,
    pub acknowledged: Option<When>,
    pub resolved_by: Option<String>,
    pub resolved: Option<When>,
    pub note: Option<String>,
    pub runbook: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricRecord {
    pub table: String,
    pub day: String,
    pub metric: String,
    pub target: String,
    pub actual: Option<String>,
    pub entered_by: Option<String>,
    pub verdict: String,
}

/// One row of the audit log: the CSV's rows.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub at: When,
    pub kind: String,
    pub what: String,
    pub who: String,
}

/// The record of `plan`'s launch as the store holds it.
pub async fn build(db: &Db, plan: &Plan) -> Result<LaunchRecord, StoreError> {
    let info = &plan.release;
    let id = info.id();
    let zone = info.timezone;
    let mut conn = db.acquire().await?;
    let launch_date = releases::load(&mut conn, &id).await?.launch_date;
    let jobs = jobs::list(&mut conn, &id).await?;
    let timeline = launch_date
        .map(|d| plan.timeline(d))
        .unwrap_or_default()
        .into_iter()
        .map(|occurrence| {
            let done = jobs
                .iter()
                .find(|j| j.key == occurrence.key)
                .and_then(|j| j.done_at);
            let late = done.map(|at| (at - occurrence.at).num_minutes());
            PostRecord {
                title: occurrence.title,
                planned: When::at(occurrence.at, zone),
                posted: done.map(|at| When::at(at, zone)),
                late_by_minutes: late.filter(|m| *m > 1),
            }
        })
        .collect();
    let mut lists = Vec::new();
    for checklist in &plan.checklists {
        let confirmed = checklists::confirmations(&mut conn, &id, &checklist.key).await?;
        let items = checklist
            .items
            .iter()
            .map(|item| {
                let done = confirmed.get(&item.key);
                ItemRecord {
                    text: item.text.clone(),
                    owner: plan.owner_name(&item.owner),
                    confirmed_by: done.map(|c| c.by.clone()),
                    confirmed: done.map(|c| When::at(c.at, zone)),
                }
            })
            .collect();
        lists.push(ChecklistRecord {
            key: checklist.key.clone(),
            title: checklist.title.clone(),
            items,
        });
    }
    let votes = history::votes(&mut conn, &id)
        .await?
        .into_iter()
        .map(|stored| VoteRecord {
            opened_by: stored.opened_by,
            opened: When::at(stored.opened_at, zone),
            deadline: When::at(stored.vote.deadline, zone),
            decision: match stored.vote.state {
                VoteState::Closed { decision, .. } => Some(decision.key().to_string()),
                VoteState::Open => None,
            },
            ballots: stored
                .vote
                .ballots
                .into_iter()
                .map(|b| BallotRecord {
                    voter: b.voter,
                    choice: b.choice.key().to_string(),
                    reason: b.reason,
                    at: When::at(b.at, zone),
                })
                .collect(),
        })
        .collect();
    let incidents = history::incidents(&mut conn, &id)
        .await?
        .into_iter()
        .map(|incident| IncidentRecord {
            id: incident.id.to_string(),
            severity: incident.severity.as_str().to_string(),
            summary: incident.summary,
            opened_by: incident.opened_by,
            opened: When::at(incident.opened_at, zone),
            level: incident.level,
            owner: incident.acked.as_ref().map(|(who, _)| who.clone()),
            acknowledged: incident.acked.as_ref().map(|(_, at)| When::at(*at, zone)),
            resolved_by: incident.resolved.as_ref().map(|r| r.by.clone()),
            resolved: incident.resolved.as_ref().map(|r| When::at(r.at, zone)),
            note: incident.resolved.and_then(|r| r.note),
            runbook: incident.runbook,
        })
        .collect();
    let rollout = rollout::changes(&mut conn, &id)
        .await?
        .into_iter()
        .map(|change| {
            let (outcome, detail) = match change.state {
                ChangeState::Applied {
                    recorded_only: true,
                    ..
                } => ("applied", "recorded only (no flag server)".to_string()),
                ChangeState::Applied { read_back, .. } => (
                    "applied",
                    format!(
                        "read back {}",
                        read_back.map_or("?".into(), |r| r.to_string())
                    ),
                ),
                ChangeState::Blocked(why) => ("blocked", why),
                ChangeState::Failed(why) => ("failed", why),
                ChangeState::Pending => ("pending", String::new()),
            };
            RolloutRecord {
                step: change.step,
                target: change.target.to_string(),
                why: change.why.as_str().to_string(),
                by: change.by,
                asked: When::at(change.at, zone),
                outcome: outcome.to_string(),
                detail,
                done: change.done_at.map(|at| When::at(at, zone)),
            }
        })
        .collect();
    let guards = rollout::readings(&mut conn, &id)
        .await?
        .into_iter()
        .map(|reading| GuardRecord {
            guard: reading.guard,
            at: When::at(reading.at, zone),
            value: reading.outcome.value(),
            outcome: reading.outcome.as_str().to_string(),
            streak: reading.streak,
            tripped: reading.tripped,
        })
        .collect();
    let actuals = metrics::latest(&mut conn, &id).await?;
    let mut scored = Vec::new();
    for group in &plan.metrics {
        for (day, when) in group.at.iter().enumerate() {
            for metric in &group.metrics {
                let stored = actuals.get(&metric.key);
                let verdict = metric.judge(day, stored.map(|s| s.value.as_str()));
                scored.push(MetricRecord {
                    table: group.title.clone(),
                    day: when.to_string(),
                    metric: metric.name.clone(),
                    target: metric.targets.get(day).cloned().unwrap_or_default(),
                    actual: stored.map(|s| s.value.clone()),
                    entered_by: stored.map(|s| s.entered_by.clone()),
                    verdict: verdict.as_str().to_string(),
                });
            }
        }
    }
    let audit = audit::list(&mut conn, &id)
        .await?
        .into_iter()
        .map(|entry| EventRecord {
            at: When::at(entry.at, zone),
            kind: entry.action,
            what: entry.detail,
            who: entry.actor,
        })
        .collect();
    Ok(LaunchRecord {
        release: id,
        name: format!("{} {}", info.name, info.version),
        channel: info.channel.clone(),
        zone: zone.name().to_string(),
        launch_date: launch_date.map(|d| d.to_string()),
        timeline,
        checklists: lists,
        votes,
        incidents,
        rollout,
        guards,
        metrics: scored,
        audit,
    })
}
