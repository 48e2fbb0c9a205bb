//! Context structs and builders for the incident templates: the incident post, its thread
//! notes and pages, the runbook checklist and `/golive incidents`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::action_id::{scoped_value, IncidentRef, RunbookRef, StepRef};
use super::format::{duration, local, local_time, slack_date};
use super::port::Outgoing;
use super::render::{slack_escape, TemplateError, Templates};
use crate::domain::incident::{Incident, IncidentId, Severity};
use crate::domain::plan::{Contingency, EscalationLevel};

/// The block id that marks a message as the post of job `key`, so it can be found in a thread
/// after an attempt whose outcome is unknown.
pub fn tag_block_id(key: &str) -> String {
    format!("golive:{key}")
}

fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 => ":rotating_light:",
        Severity::P1 => ":warning:",
        Severity::P2 => ":large_yellow_circle:",
    }
}

fn incident_value(release: &str, id: IncidentId) -> String {
    scoped_value(release, &IncidentRef { incident: id.0 })
}

/// How much of an incident's summary each message shows; the store keeps all of it. An
/// incident pages whatever its summary, so what is shown must leave room for the rest.
pub const SUMMARY_IN_POST: usize = 1_500;
pub const SUMMARY_IN_PAGE: usize = 500;
pub const SUMMARY_IN_LIST: usize = 150;

/// The summary as a message shows it: at most `max` characters, marked where cut.
pub fn shown_summary(summary: &str, max: usize) -> String {
    super::limits::truncate(summary, max)
}

#[derive(Serialize)]
struct RunbookButton<'a> {
    key: &'a str,
    title: &'a str,
    value: String,
}

#[derive(Serialize)]
struct IncidentPost<'a> {
    tag: String,
    id: String,
    severity: &'static str,
    emoji: &'static str,
    summary: String,
    opened_by: String,
    opened_by_plain: &'a str,
    when: String,
    level: u8,
    level_name: &'a str,
    /// Where it stands now (level and owner, or how it was closed).
    standing: String,
    open: bool,
    runbook: Option<&'a str>,
    value: String,
    runbooks: Vec<RunbookButton<'a>>,
}

/// The incident of `release` in the launch channel as it stands, with its buttons and one button
/// per runbook while it is open.
#[allow(clippy::too_many_arguments)]
pub fn incident_post(
    templates: &Templates,
    release: &str,
    incident: &Incident,
    ladder: &[EscalationLevel],
    contingencies: &[Contingency],
    zone: Tz,
    key: &str,
) -> Result<Outgoing, TemplateError> {
    let runbook = incident
        .runbook
        .as_ref()
        .and_then(|key| contingencies.iter().find(|c| &c.key == key));
    let context = IncidentPost {
        tag: tag_block_id(key),
        id: incident.id.to_string(),
        severity: incident.severity.as_str(),
        emoji: severity_emoji(incident.severity),
        summary: shown_summary(&incident.summary, SUMMARY_IN_POST),
        opened_by: format!("<@{}>", incident.opened_by),
        opened_by_plain: &incident.opened_by,
        when: format!(
            "{} ({})",
            slack_date(incident.opened_at, zone),
            local(incident.opened_at, zone)
        ),
        level: incident.level,
        level_name: ladder
            .iter()
            .find(|l| l.level == incident.level)
            .map_or("", |l| l.name.as_str()),
        standing: standing(incident, ladder, zone),
        open: incident.is_open(),
        runbook: runbook.map(|c| c.title.as_str()),
        value: incident_value(release, incident.id),
        runbooks: contingencies
            .iter()
            .filter(|c| runbook.is_none_or(|attached| attached.key != c.key))
            .map(|c| RunbookButton {
                key: &c.key,
                title: &c.title,
                value: scoped_value(
                    release,
                    &RunbookRef {
                        incident: incident.id.0,
                        runbook: c.key.clone(),
                    },
                ),
            })
            .collect(),
    };
    templates.render("incident", &context)
}

fn standing(incident: &Incident, ladder: &[EscalationLevel], zone: Tz) -> String {
    if let Some(resolution) = &incident.resolved {
        return format!(
            ":white_check_mark: Resolved by <@{}> {}",
            resolution.by,
            slack_date(resolution.at, zone)
        );
    }
    let level = ladder
        .iter()
        .find(|l| l.level == incident.level)
        .map_or(String::new(), |l| format!(" {}", l.name));
    let owner = incident
        .owner()
        .map_or("unacknowledged".to_string(), |o| format!("owned by <@{o}>"));
    format!("At L{}{level} · {owner}", incident.level)
}

/// What a thread note or DM says.
pub struct Note<'a> {
    /// The launch whose incident it is.
    pub release: &'a str,
    pub id: IncidentId,
    pub emoji: &'static str,
    /// Fallback text (notifications).
    pub plain: &'a str,
    /// mrkdwn, may hold mentions.
    pub body: &'a str,
    pub at: DateTime<Utc>,
    /// Adds an Acknowledge button (pages).
    pub ack_button: bool,
}

#[derive(Serialize)]
struct NoteContext<'a> {
    tag: String,
    id: String,
    emoji: &'static str,
    text: &'a str,
    body: &'a str,
    when: String,
    when_pt: String,
    ack_value: Option<String>,
}

/// One step of an incident, stamped with its time.
pub fn note(
    templates: &Templates,
    note: &Note,
    zone: Tz,
    key: &str,
) -> Result<Outgoing, TemplateError> {
    let context = NoteContext {
        tag: tag_block_id(key),
        id: note.id.to_string(),
        emoji: note.emoji,
        text: note.plain,
        body: note.body,
        when: slack_date(note.at, zone),
        when_pt: local_time(note.at, zone),
        ack_value: note
            .ack_button
            .then(|| incident_value(note.release, note.id)),
    };
    templates.render("incident_note", &context)
}

#[derive(Serialize)]
struct StepLine<'a> {
    number: usize,
    text: &'a str,
    done: Option<String>,
    done_plain: Option<String>,
    value: String,
}

/// The runbook of `release`'s incident as a checklist; `confirmed` holds (step, by, at) of
/// confirmed steps.
pub fn runbook(
    templates: &Templates,
    release: &str,
    id: IncidentId,
    contingency: &Contingency,
    confirmed: &[(usize, String, DateTime<Utc>)],
    zone: Tz,
    key: &str,
) -> Result<Outgoing, TemplateError> {
    let steps: Vec<StepLine> = contingency
        .steps
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let done = confirmed.iter().find(|(step, _, _)| *step == index);
            StepLine {
                number: index + 1,
                text: &text.text,
                done: done.map(|(_, by, at)| format!("done by <@{by}> {}", slack_date(*at, zone))),
                done_plain: done.map(|(_, by, at)| format!("{by} at {}", local_time(*at, zone))),
                value: scoped_value(
                    release,
                    &StepRef {
                        incident: id.0,
                        step: index,
                    },
                ),
            }
        })
        .collect();
    templates.render(
        "runbook",
        &serde_json::json!({
            "tag": tag_block_id(key),
            "id": id.to_string(),
            "title": contingency.title,
            "steps": steps,
        }),
    )
}

#[derive(Serialize)]
struct IncidentLine {
    plain: String,
    line: String,
}

/// `/golive incidents`.
pub fn incidents(
    templates: &Templates,
    incidents: &[Incident],
    ladder: &[EscalationLevel],
    now: DateTime<Utc>,
) -> Result<Outgoing, TemplateError> {
    let lines: Vec<IncidentLine> = incidents
        .iter()
        .map(|incident| {
            let level = ladder
                .iter()
                .find(|l| l.level == incident.level)
                .map_or(String::new(), |l| format!(" {}", l.name));
            let age = duration(now - incident.opened_at);
            let shown = shown_summary(&incident.summary, SUMMARY_IN_LIST);
            let summary = slack_escape(&shown);
            let (owner_plain, owner) = match incident.owner() {
                Some(user) => (user.to_string(), format!("<@{user}>")),
                None => (
                    "nobody (unacknowledged)".into(),
                    "_nobody (unacknowledged)_".into(),
                ),
            };
            IncidentLine {
                plain: format!(
                    "{} {} · L{}{level} · owner {owner_plain} · open {age} · {}",
                    incident.id,
                    incident.severity.as_str(),
                    incident.level,
                    shown
                ),
                line: format!(
                    "*{} {}* · L{}{level} · owner {owner} · open {age} · {summary}",
                    incident.id,
                    incident.severity.as_str(),
                    incident.level
                ),
            }
        })
        .collect();
    templates.render("incidents", &serde_json::json!({ "incidents": lines }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::Plan;

    #[test]
    fn every_incident_template_renders_into_valid_blocks() {
        let templates = Templates::new().unwrap();
        let plan = Plan::embedded();
        let zone = plan.release.timezone;
        let now: DateTime<Utc> = "2026-03-10T17:00:00Z".parse().unwrap();
        let mut incident = Incident::open(
            IncidentId(3),
            Severity::P0,
            "checkout \"fails\" <badly>",
            "U0A",
            &plan.escalation,
            now,
        );
        let post = incident_post(
            &templates,
            "summit-4.0.0",
            &incident,
            &plan.escalation,
            &plan.contingencies,
            zone,
            "incident:INC-3:m00000",
        )
        .unwrap();
        assert!(post
            .text
            .starts_with("INC-3 (P0): checkout \"fails\" &lt;badly&gt;"));
        assert_eq!(post.blocks.len(), 2 + plan.contingencies.len());
        let paged = note(
            &templates,
            &Note {
                release: "summit-4.0.0",
                id: incident.id,
                emoji: ":pager:",
                plain: "paged",
                body: "<@U0A> paged",
                at: now,
                ack_button: true,
            },
            zone,
            "k",
        )
        .unwrap();
        assert_eq!(paged.blocks.len(), 3);
        let checklist = runbook(
            &templates,
            "summit-4.0.0",
            incident.id,
            &plan.contingencies[0],
            &[(1, "U0A".into(), now)],
            zone,
            "k",
        )
        .unwrap();
        assert!(checklist
            .text
            .contains("2. If affecting &gt;10% of customers: pause rollout (done: U0A at"));
        incident.acknowledge("U0B", now).unwrap();
        let list = incidents(&templates, &[incident], &plan.escalation, now).unwrap();
        assert!(
            list.text
                .contains("INC-3 P0 · L1 Engineering On-Call · owner U0B"),
            "{}",
            list.text
        );
    }
}
