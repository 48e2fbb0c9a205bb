//! One context struct per template, and the functions that fill them from domain values.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::format::{duration, local, local_time, owner_mention, slack_date, users};
use super::limits::{self, pack_lines};
use super::port::Outgoing;
use super::render::{slack_escape, TemplateError, Templates};
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
        OccurrenceKind::Scorecard => (":bar_chart:", "Scorecard"),
        OccurrenceKind::FlagStep => (":triangular_flag_on_post:", "Rollout step"),
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
    /// The "Open" list as mrkdwn, packed within a section's limit.
    open_text: String,
    open_plain: String,
}

/// Room for the "Open" list in its section, and in the fallback text.
const OPEN_BUDGET: usize = limits::SECTION_TEXT - 100;
const OPEN_PLAIN_BUDGET: usize = limits::FALLBACK_TEXT / 2;
/// The longest single line in it.
const OPEN_LINE: usize = 600;

/// Titles of occurrences, the first few of them, for one line of the status.
fn titles(occurrences: &[&Occurrence]) -> String {
    const SHOWN: usize = 3;
    let mut names: Vec<String> = occurrences
        .iter()
        .take(SHOWN)
        .map(|o| format!("{} ({})", o.title, o.day))
        .collect();
    if occurrences.len() > SHOWN {
        names.push(format!("and {} more", occurrences.len() - SHOWN));
    }
    names.join(", ")
}

fn occurrence_line(plan: &Plan, o: &Occurrence, when: String) -> String {
    let owner = o
        .owner
        .as_ref()
        .map(|x| format!(" ({})", plan.owner_name(x)));
    format!("{when} · {}{}", o.title, owner.unwrap_or_default())
}

/// `/golive status`, with more open items (incidents, a rollout pause) listed first.
pub fn status(
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
            "{} scheduled post(s) overdue, being sent now: {}",
            status.overdue.len(),
            titles(&status.overdue)
        ));
    }
    if status.remaining > status.overdue.len() {
        open.push(format!(
            "{} scheduled post(s) still to come",
            status.remaining - status.overdue.len()
        ));
    }
    if !status.skipped.is_empty() {
        open.push(format!(
            "{} post(s) skipped, already past when L-Day was set: {}",
            status.skipped.len(),
            titles(&status.skipped)
        ));
    }
    if !status.unassigned_roles.is_empty() {
        let keys: Vec<&str> = status.unassigned_roles.iter().map(|r| r.key()).collect();
        open.push(format!("nobody holds: {}", keys.join(", ")));
    }
    open.extend(status.gonogo.iter().cloned());
    open.extend(status.open_checklists.iter().cloned());
    let more = |n: usize| format!("…and {n} more not shown");
    let bullets: Vec<String> = open
        .iter()
        .map(|l| format!("• {}", slack_escape(l)))
        .collect();
    let open_text = pack_lines(&bullets, OPEN_BUDGET, OPEN_LINE, more);
    let plain: Vec<String> = open.iter().map(|l| format!("Open: {l}")).collect();
    let open_plain = pack_lines(&plain, OPEN_PLAIN_BUDGET, OPEN_LINE, more);
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
        open_text,
        open_plain,
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
