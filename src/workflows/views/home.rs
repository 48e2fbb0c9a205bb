//! golive's Home tab: for one person, the launches they take part in, and first of all what is
//! waiting on them (their open checklist items, their vote, incidents paging them, rollout
//! steps they may apply), then the next posts, the rollout, open incidents and the board.
//! Published when they open it, and again after each change while they have it open.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::checklist::ChecklistSpec;
use crate::domain::plan::Owner;
use crate::domain::rollout::StepState;
use crate::domain::signed_link;
use crate::slack::action_id::{scoped_value, FlagStepRef, IncidentRef, ItemRef, VoteRef};
use crate::slack::home_view::{self, HomeLaunch, Waiting};
use crate::state::AppState;
use crate::storage::rollout as rollout_store;
use crate::storage::{checklists, incidents, votes};
use crate::workflows::{checklists as checklist_flow, rollout, WorkflowError};

/// How long a board link on Home is valid.
const BOARD_LINK_FOR: TimeDelta = TimeDelta::days(1);
/// How often the store is looked at for changes to publish.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// `user` opened Home: publish it, and keep it fresh for the next hour.
pub async fn opened(state: &AppState, user: &str) -> Result<(), WorkflowError> {
    state.homes.opened(user, state.clock.now(), Instant::now());
    publish(state, user).await
}

/// Builds and publishes `user`'s Home.
pub async fn publish(state: &AppState, user: &str) -> Result<(), WorkflowError> {
    let mut launches = Vec::new();
    let mut others = Vec::new();
    for release in state.launches.all().iter() {
        let state = state.for_release(release.clone());
        let launch = launch(&state, user).await?;
        if launch.takes_part {
            launches.push(launch);
        } else {
            others.push(launch.name);
        }
    }
    let view = home_view::home(&launches, &others);
    state.slack.publish_view(user, &view).await?;
    Ok(())
}

/// Publishes Home again for the people who have it open, after each change, until `stopped`.
pub async fn keep_fresh(state: AppState, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut seen = state
        .store_changes
        .load(std::sync::atomic::Ordering::Acquire);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let changes = state
            .store_changes
            .load(std::sync::atomic::Ordering::Acquire);
        if state.homes.watching() == 0 {
            seen = changes; // nobody has Home open: nothing to publish
            continue;
        }
        if changes != seen {
            seen = changes;
            state.homes.changed(state.clock.now());
        }
        for user in state.homes.due(Instant::now()) {
            if let Err(error) = publish(&state, &user).await {
                tracing::warn!(%error, user, "could not publish a Home");
            }
        }
    }
}

/// One launch as `user` sees it on Home.
async fn launch(state: &AppState, user: &str) -> Result<HomeLaunch, WorkflowError> {
    let release = &state.release;
    let plan = release.plan();
    let snapshot = release.snapshot();
    let zone = plan.release.timezone;
    let now = state.clock.now();
    let id = release.id.as_str();
    let mut teams = Vec::new();
    for team in &plan.teams {
        if state.in_team(team, user).await {
            teams.push(team.key.clone());
        }
    }
    let holds_role = snapshot
        .roles
        .values()
        .any(|holders| holders.iter().any(|h| h == user));
    let mut waiting = Vec::new();
    let mut conn = state.db.acquire().await?;
    for key in checklists::posted_checklists(&mut conn, id).await? {
        let Ok(spec) = ChecklistSpec::from_plan(&plan, &key) else {
            continue;
        };
        let progress = checklist_flow::progress(&mut conn, state, spec).await?;
        for item in progress.open_items() {
            let mine = matches!(&item.owner, Owner::Team(team) if teams.contains(team));
            if mine {
                waiting.push(Waiting::Item {
                    checklist: progress.spec.title.clone(),
                    text: item.text.clone(),
                    value: scoped_value(
                        id,
                        &ItemRef {
                            checklist: progress.spec.key.clone(),
                            item: item.key.clone(),
                        },
                    ),
                });
            }
        }
    }
    let mut voter = false;
    if let Some(stored) = votes::latest(&mut conn, id).await? {
        voter = stored.vote.voters.iter().any(|v| v.user == user);
        let open = stored.vote.state == crate::domain::vote::VoteState::Open;
        let voted = stored.vote.ballots.iter().any(|b| b.voter == user);
        if open && voter && !voted {
            waiting.push(Waiting::Vote {
                deadline: stored.vote.deadline,
                value: scoped_value(id, &VoteRef { vote: stored.id }),
            });
        }
    }
    let open = incidents::open(&mut conn, id).await?;
    for incident in &open {
        let level = plan.escalation.iter().find(|l| l.level == incident.level);
        let paged = level.is_some_and(|l| {
            crate::domain::incident::people(l, &snapshot.roles)
                .iter()
                .any(|p| p == user)
        });
        if paged && incident.acked.is_none() {
            waiting.push(Waiting::Incident {
                id: incident.id.to_string(),
                severity: incident.severity.as_str().to_string(),
                summary: incident.summary.clone(),
                value: scoped_value(
                    id,
                    &IncidentRef {
                        incident: incident.id.0,
                    },
                ),
            });
        }
    }
    let mut rollout_line = None;
    if let Some(plan_rollout) = &plan.rollout {
        let steps = rollout_store::steps(&mut conn, id).await?;
        let record = rollout_store::flag(&mut conn, id).await?;
        let paused = rollout_store::pause_in_force(&mut conn, id).await?;
        drop(conn);
        if paused.is_none() && rollout::may_change(state, plan_rollout, user).await {
            for step in &plan.feature_flags {
                let open = steps
                    .get(&step.percent)
                    .is_some_and(|s| matches!(s.state, StepState::Waiting | StepState::Held));
                if open {
                    waiting.push(Waiting::Step {
                        percent: step.percent,
                        value: scoped_value(
                            id,
                            &FlagStepRef {
                                percent: step.percent,
                            },
                        ),
                    });
                }
            }
        }
        let at = rollout::applied_percent(record.applied);
        let pause = paused.map_or(String::new(), |p| format!(" · paused by {}", p.by));
        rollout_line = Some(format!("Rollout of `{}`: {at}%{pause}", plan_rollout.flag));
    }
    let next = snapshot
        .timeline
        .iter()
        .filter(|o| o.at > now && !snapshot.posted.contains_key(&o.key))
        .take(3)
        .map(|o| (o.title.clone(), o.at))
        .collect();
    let incident_lines = open
        .iter()
        .map(|i| {
            let owner = i
                .acked
                .as_ref()
                .map_or("unacknowledged".to_string(), |(who, _)| {
                    format!("owned by <@{who}>")
                });
            format!(
                "{} {} L{} · {owner} · {}",
                i.id,
                i.severity.as_str(),
                i.level,
                crate::slack::format::duration(now - i.opened_at)
            )
        })
        .collect();
    let takes_part = state.is_release_manager(user)
        || holds_role
        || voter
        || !teams.is_empty()
        || !waiting.is_empty();
    Ok(HomeLaunch {
        name: format!("{} {}", plan.release.name, plan.release.version),
        channel: plan.release.channel.clone(),
        zone,
        takes_part,
        waiting,
        next,
        rollout: rollout_line,
        incidents: incident_lines,
        board_link: board_link(state, now),
    })
}

/// A signed link to the launch's board, valid for a day, when the board is on.
fn board_link(state: &AppState, now: DateTime<Utc>) -> Option<String> {
    let views = &state.views;
    let (token, base) = (views.board_token.as_ref()?, views.public_url.as_ref()?);
    let path = format!("/board/{}", state.release.id);
    let expires = now + BOARD_LINK_FOR;
    let signature = signed_link::sign(token.expose(), &path, expires);
    Some(format!(
        "{base}{path}?expires={}&sig={signature}",
        expires.timestamp()
    ))
}
