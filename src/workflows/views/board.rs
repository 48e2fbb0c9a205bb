//! What the war-room board shows of one launch, gathered from the store: the time and the next
//! post, today's timeline, the posted checklists, the vote, the rollout with its guards, open
//! incidents and the success metrics. Plain data; `server::board` renders it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::checklist::ChecklistSpec;
use crate::domain::rollout::{FlagTarget, GuardOutcome, StepState};
use crate::slack::format::duration;
use crate::state::AppState;
use crate::storage::rollout as rollout_store;
use crate::storage::{checklists, incidents, metrics, votes};
use crate::workflows::launch::gate::{self, GateState};
use crate::workflows::{checklists as checklist_flow, WorkflowError};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Board {
    pub release: String,
    pub name: String,
    pub channel: String,
    /// golive's clock, in the plan's zone and as an instant the page counts from.
    pub now_local: String,
    pub now_iso: String,
    pub zone: String,
    pub next: Option<NextPost>,
    pub today: Vec<TimelineRow>,
    pub checklists: Vec<ChecklistRow>,
    pub vote: Option<VoteRow>,
    pub rollout: Option<RolloutRow>,
    pub incidents: Vec<IncidentRow>,
    pub metrics: Vec<MetricRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NextPost {
    pub title: String,
    pub at_local: String,
    pub at_iso: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineRow {
    pub time: String,
    pub title: String,
    /// posted, late, next, due, blocked, skipped or later.
    pub state: &'static str,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChecklistRow {
    pub title: String,
    pub done: usize,
    pub total: usize,
    pub percent: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VoteRow {
    pub go: usize,
    pub no_go: usize,
    pub waiting: usize,
    pub open: bool,
    pub decision: String,
    /// (voter, reason) of every No-Go, as typed.
    pub reasons: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RolloutRow {
    pub flag: String,
    pub percent: u8,
    pub off: bool,
    pub paused: Option<String>,
    pub steps: Vec<StepRow>,
    pub guards: Vec<GuardRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepRow {
    pub percent: u8,
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GuardRow {
    pub key: String,
    pub bound: String,
    /// ok, failing, unknown or unread.
    pub state: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub severity: String,
    pub summary: String,
    pub level: u8,
    pub owner: Option<String>,
    pub age: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricRow {
    pub name: String,
    pub target: String,
    pub actual: String,
    pub verdict: &'static str,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The board of `state`'s launch now.
pub async fn board(state: &AppState) -> Result<Board, WorkflowError> {
    let release = &state.release;
    let plan = release.plan();
    let snapshot = release.snapshot();
    let zone = plan.release.timezone;
    let now = state.clock.now();
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%a %H:%M").to_string();
    let today = now.with_timezone(&zone).date_naive();
    let next = snapshot
        .timeline
        .iter()
        .find(|o| o.at > now && !snapshot.posted.contains_key(&o.key))
        .map(|o| NextPost {
            title: o.title.clone(),
            at_local: local(o.at),
            at_iso: iso(o.at),
        });
    let mut next_marked = false;
    let mut rows = Vec::new();
    for o in snapshot
        .timeline
        .iter()
        .filter(|o| o.at.with_timezone(&zone).date_naive() == today)
    {
        let time = o.at.with_timezone(&zone).format("%H:%M").to_string();
        if let GateState::Blocked(why) = gate::gate(state, o).await? {
            rows.push(TimelineRow {
                time,
                title: o.title.clone(),
                state: "blocked",
                note: why,
            });
            continue;
        }
        let (state, note) = match snapshot.posted.get(&o.key) {
            Some(at) if *at - o.at > chrono::TimeDelta::minutes(1) => {
                ("late", format!("posted late by {}", duration(*at - o.at)))
            }
            Some(_) => ("posted", String::new()),
            None if snapshot.skipped.contains(&o.key) => ("skipped", String::new()),
            None if o.at <= now => ("due", format!("due {} ago", duration(now - o.at))),
            None if !next_marked => {
                next_marked = true;
                ("next", format!("in {}", duration(o.at - now)))
            }
            None => ("later", String::new()),
        };
        rows.push(TimelineRow {
            time,
            title: o.title.clone(),
            state,
            note,
        });
    }
    let mut conn = state.db.acquire().await?;
    let mut lists = Vec::new();
    for key in checklists::posted_checklists(&mut conn, &release.id).await? {
        let Ok(spec) = ChecklistSpec::from_plan(&plan, &key) else {
            continue;
        };
        let progress = checklist_flow::progress(&mut conn, state, spec).await?;
        let total = progress.spec.items.len();
        let done = progress.done();
        lists.push(ChecklistRow {
            title: progress.spec.title.clone(),
            done,
            total,
            percent: (done * 100).checked_div(total).unwrap_or(0),
        });
    }
    let vote = votes::latest(&mut conn, &release.id).await?.map(|stored| {
        let outcome = stored.vote.decide();
        let open = stored.vote.state == crate::domain::vote::VoteState::Open;
        VoteRow {
            go: outcome.go,
            no_go: outcome.no_go,
            waiting: outcome.missing.len(),
            open,
            decision: if open {
                format!("open until {}", local(stored.vote.deadline))
            } else {
                outcome.decision.key().to_uppercase()
            },
            reasons: outcome.reasons,
        }
    });
    let rollout = match &plan.rollout {
        None => None,
        Some(rollout) => {
            let steps = rollout_store::steps(&mut conn, &release.id).await?;
            let record = rollout_store::flag(&mut conn, &release.id).await?;
            let pause = rollout_store::pause_in_force(&mut conn, &release.id).await?;
            let readings = rollout_store::latest_readings(&mut conn, &release.id).await?;
            Some(RolloutRow {
                flag: rollout.flag.clone(),
                percent: crate::workflows::rollout::applied_percent(record.applied),
                off: record.applied == Some(FlagTarget::Off),
                paused: pause.map(|p| {
                    let why = p.reason.map(|r| format!(": {r}")).unwrap_or_default();
                    format!("paused by {} at {}{why}", p.by, local(p.at))
                }),
                steps: plan
                    .feature_flags
                    .iter()
                    .map(|s| StepRow {
                        percent: s.percent,
                        state: steps
                            .get(&s.percent)
                            .map_or(StepState::Pending, |s| s.state)
                            .as_str(),
                    })
                    .collect(),
                guards: rollout
                    .guards
                    .iter()
                    .map(|g| {
                        let reading = readings.get(&g.key);
                        let (state, value) = match reading.map(|r| &r.outcome) {
                            None => ("unread", "not read yet".to_string()),
                            Some(GuardOutcome::Pass(v)) => ("ok", format!("{v}")),
                            Some(GuardOutcome::Fail(v)) => ("failing", format!("{v}")),
                            Some(GuardOutcome::Unknown(why)) => ("unknown", why.clone()),
                        };
                        GuardRow {
                            key: g.key.clone(),
                            bound: g.bound.to_string(),
                            state,
                            value,
                        }
                    })
                    .collect(),
            })
        }
    };
    let open = incidents::open(&mut conn, &release.id).await?;
    let incidents = open
        .into_iter()
        .map(|i| IncidentRow {
            id: i.id.to_string(),
            severity: i.severity.as_str().to_string(),
            summary: i.summary,
            level: i.level,
            owner: i.acked.map(|(who, _)| who),
            age: duration(now - i.opened_at),
        })
        .collect();
    let actuals = metrics::latest(&mut conn, &release.id).await?;
    let metrics = plan
        .metrics
        .first()
        .map(|group| {
            group
                .metrics
                .iter()
                .map(|m| {
                    let stored = actuals.get(&m.key);
                    let verdict = m.judge(0, stored.map(|s| s.value.as_str()));
                    MetricRow {
                        name: m.name.clone(),
                        target: m.targets.first().cloned().unwrap_or_default(),
                        actual: stored.map_or("TBD".to_string(), |s| s.value.clone()),
                        verdict: verdict.as_str(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Board {
        release: release.id.clone(),
        name: format!("{} {}", plan.release.name, plan.release.version),
        channel: plan.release.channel.clone(),
        now_local: now
            .with_timezone(&zone)
            .format("%a %Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        now_iso: iso(now),
        zone: zone.name().to_string(),
        next,
        today: rows,
        checklists: lists,
        vote,
        rollout,
        incidents,
        metrics,
    })
}
