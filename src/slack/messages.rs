//! One context struct per template, and the functions that fill them from domain values.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::format::{duration, local, local_time, owner_mention, slack_date, users};
use super::port::Outgoing;
use super::render::{TemplateError, Templates};
use crate::domain::command::USAGE;
use crate::domain::day::DayOffset;
use crate::domain::plan::{Plan, Role};
use crate::domain::status::{Countdown, Status};
use crate::domain::timeline::{Occurrence, OccurrenceKind};

/// Workspace facts needed to mention people.
pub struct Audience<'a> {
    pub groups: &'a HashMap<String, String>,
    pub roles: &'a BTreeMap<Role, Vec<String>>,
}

#[derive(Serialize)]
struct ScheduledPost<'a> {
    emoji: &'static str,
    label: String,
    title: &'a str,
    detail: Option<&'a str>,
    when: String,
    when_pt: String,
    owner_name: Option<String>,
    owner_mention: Option<String>,
    late: Option<String>,
}

fn kind_look(kind: OccurrenceKind) -> (&'static str, &'static str) {
    match kind {
        OccurrenceKind::Milestone => (":rocket:", "Launch-day milestone"),
        OccurrenceKind::LaunchWeek => (":calendar:", "Launch week"),
        OccurrenceKind::PreLaunchWeek => (":spiral_calendar_pad:", "Pre-launch week"),
        OccurrenceKind::PhaseStart => (":checkered_flag:", "Phase"),
        OccurrenceKind::PhaseMilestone => (":pushpin:", "Release candidate"),
        OccurrenceKind::Recurring => (":repeat:", "Recurring"),
        OccurrenceKind::ChecklistDue => (":ballot_box_with_check:", "Checklist due"),
        OccurrenceKind::GoNoGoDeadline => (":vertical_traffic_light:", "Go/no-go"),
    }
}

/// A timed post from the plan, marked late when it goes out more than a minute after its time.
pub fn scheduled_post(
    templates: &Templates,
    plan: &Plan,
    occurrence: &Occurrence,
    audience: &Audience,
    late_by: Option<TimeDelta>,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let (emoji, kind) = kind_look(occurrence.kind);
    let context = ScheduledPost {
        emoji,
        label: format!("{kind} · {}", occurrence.day),
        title: &occurrence.title,
        detail: occurrence.detail.as_deref(),
        when: slack_date(occurrence.at, zone),
        when_pt: local(occurrence.at, zone),
        owner_name: occurrence.owner.as_ref().map(|o| plan.owner_name(o)),
        owner_mention: occurrence
            .owner
            .as_ref()
            .map(|o| owner_mention(plan, o, audience.groups, audience.roles)),
        late: late_by.map(duration),
    };
    templates.render("scheduled_post", &context)
}

#[derive(Serialize)]
struct StatusContext {
    release: String,
    channel: String,
    launch: String,
    countdown: String,
    phase: Option<String>,
    last: Option<String>,
    last_pt: Option<String>,
    next: Option<String>,
    next_pt: Option<String>,
    open: Vec<String>,
}

fn occurrence_line(plan: &Plan, o: &Occurrence, when: String) -> String {
    let owner = o
        .owner
        .as_ref()
        .map(|x| format!(" ({})", plan.owner_name(x)));
    format!("{when} · {}{}", o.title, owner.unwrap_or_default())
}

/// `/golive status`.
pub fn status(
    templates: &Templates,
    plan: &Plan,
    status: &Status,
    now: DateTime<Utc>,
) -> Result<Outgoing, TemplateError> {
    status_with(templates, plan, status, now, Vec::new())
}

/// `/golive status` with more open items (incidents, a rollout pause) listed first.
pub fn status_with(
    templates: &Templates,
    plan: &Plan,
    status: &Status,
    now: DateTime<Utc>,
    mut open: Vec<String>,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let release = &plan.release;
    let launch = match status.launch_date {
        Some(date) => date.format("%a %Y-%m-%d").to_string(),
        None => "TBD: set it with `/golive launch-date YYYY-MM-DD`".to_string(),
    };
    let countdown = match &status.countdown {
        Countdown::Unset => "L-Day not set".to_string(),
        Countdown::Ahead(left) => format!("{} to go", duration(*left)),
        Countdown::Day(day) if day.0 == 0 => "launch day".to_string(),
        Countdown::Day(day) => format!("day {day}"),
    };
    if !status.overdue.is_empty() {
        open.push(format!(
            "{} scheduled post(s) overdue, being sent",
            status.overdue.len()
        ));
    }
    if status.remaining > 0 {
        open.push(format!(
            "{} scheduled post(s) still to come",
            status.remaining
        ));
    }
    if !status.unassigned_roles.is_empty() {
        let keys: Vec<&str> = status.unassigned_roles.iter().map(|r| r.key()).collect();
        open.push(format!("nobody holds: {}", keys.join(", ")));
    }
    open.extend(status.gonogo.iter().cloned());
    open.extend(status.open_checklists.iter().cloned());
    let context = StatusContext {
        release: format!(
            "{} {} \"{}\"",
            release.name, release.version, release.codename
        ),
        channel: release.channel.clone(),
        launch,
        countdown,
        phase: status.phase.map(|(n, name)| format!("{n} · {name}")),
        last: status.last.map(|(o, at)| {
            occurrence_line(
                plan,
                o,
                format!(
                    "{} (posted {} ago)",
                    slack_date(o.at, zone),
                    duration(now - at)
                ),
            )
        }),
        last_pt: status
            .last
            .map(|(o, _)| occurrence_line(plan, o, local(o.at, zone))),
        next: status.next.map(|o| {
            occurrence_line(
                plan,
                o,
                format!("{} (in {})", slack_date(o.at, zone), duration(o.at - now)),
            )
        }),
        next_pt: status
            .next
            .map(|o| occurrence_line(plan, o, local(o.at, zone))),
        open,
    };
    templates.render("status", &context)
}

#[derive(Serialize)]
struct HelpLine {
    usage: &'static str,
    about: &'static str,
}

/// `/golive help`.
pub fn help(templates: &Templates) -> Result<Outgoing, TemplateError> {
    let commands: Vec<HelpLine> = USAGE
        .iter()
        .map(|(usage, about)| HelpLine { usage, about })
        .collect();
    templates.render("help", &serde_json::json!({ "commands": commands }))
}

#[derive(Serialize)]
struct TimelineItem<'a> {
    when: String,
    time_pt: String,
    title: &'a str,
    owner: Option<String>,
    posted: bool,
}

/// `/golive timeline [day]`: one day's occurrences.
pub fn timeline_day(
    templates: &Templates,
    plan: &Plan,
    day: DayOffset,
    timeline: &[Occurrence],
    posted: &HashMap<String, DateTime<Utc>>,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let items: Vec<TimelineItem> = timeline
        .iter()
        .filter(|o| o.day == day)
        .map(|o| TimelineItem {
            when: slack_date(o.at, zone),
            time_pt: local_time(o.at, zone),
            title: &o.title,
            owner: o.owner.as_ref().map(|x| plan.owner_name(x)),
            posted: posted.contains_key(&o.key),
        })
        .collect();
    let date = timeline.iter().find(|o| o.day == day).map(|o| {
        o.at.with_timezone(&zone)
            .format(" (%a %Y-%m-%d)")
            .to_string()
    });
    let heading = format!("Schedule for {day}{}", date.unwrap_or_default());
    templates.render(
        "timeline_day",
        &serde_json::json!({ "heading": heading, "items": items }),
    )
}

#[derive(Serialize)]
struct RoleLine {
    key: &'static str,
    title: &'static str,
    holders: String,
    holders_plain: String,
}

/// `/golive role`: every role and who holds it.
pub fn roles(
    templates: &Templates,
    roles: &BTreeMap<Role, Vec<String>>,
) -> Result<Outgoing, TemplateError> {
    let lines: Vec<RoleLine> = Role::ALL
        .iter()
        .map(|role| {
            let holders = roles.get(role).cloned().unwrap_or_default();
            RoleLine {
                key: role.key(),
                title: role.title(),
                holders: users(&holders),
                holders_plain: holders.join(", "),
            }
        })
        .collect();
    templates.render("roles", &serde_json::json!({ "roles": lines }))
}

/// What kind of short reply a notice is.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Done,
    Refused,
    Error,
}

/// A short reply. `body` is mrkdwn (may hold mentions); the fallback text is `plain`.
pub fn notice(
    templates: &Templates,
    tone: Tone,
    plain: &str,
    body: &str,
) -> Result<Outgoing, TemplateError> {
    let emoji = match tone {
        Tone::Done => ":white_check_mark:",
        Tone::Refused => ":no_entry:",
        Tone::Error => ":warning:",
    };
    templates.render(
        "notice",
        &serde_json::json!({ "text": plain, "emoji": emoji, "body": body }),
    )
}
