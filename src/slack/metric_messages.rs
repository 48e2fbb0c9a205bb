//! Scorecards: a success-metric table on one of its days, each metric with its target, actual
//! and whether it is met.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::format::{local, slack_date};
use super::limits::truncate;
use super::port::Outgoing;
use super::render::{slack_escape, TemplateError, Templates};
use crate::domain::metric::Verdict;

/// One metric on a scorecard.
#[derive(Debug, Clone)]
pub struct ScoreLine {
    pub key: String,
    pub name: String,
    /// The target as the plan writes it.
    pub target: String,
    /// The actual as entered, with who entered it and when.
    pub actual: Option<(String, String, DateTime<Utc>)>,
    pub verdict: Verdict,
}

/// One table on one day.
#[derive(Debug, Clone)]
pub struct Scorecard {
    /// "Launch success metrics (L)".
    pub title: String,
    pub lines: Vec<ScoreLine>,
}

#[derive(Serialize)]
struct Line {
    plain: String,
    body: String,
}

#[derive(Serialize)]
struct Context {
    title: String,
    header: String,
    lines: Vec<Line>,
    hint: &'static str,
}

const HINT: &str = "Record an actual with `/golive metric set <metric> <value>`; `/golive metrics` lists every table.";

/// How many scorecards one message holds: each is a header-like line plus its metrics.
const SHOWN: usize = 12;

/// One scorecard, as posted on its day and updated in place when an actual changes.
pub fn scorecard(
    templates: &Templates,
    card: &Scorecard,
    zone: Tz,
) -> Result<Outgoing, TemplateError> {
    let lines = card.lines.iter().map(|l| line(l, zone)).collect();
    templates.render(
        "scorecard",
        &Context {
            title: card.title.clone(),
            header: truncate(&card.title, 150),
            lines,
            hint: HINT,
        },
    )
}

/// Several scorecards in one message (`/golive metrics`): one section per table and day.
pub fn scorecards(
    templates: &Templates,
    cards: &[Scorecard],
    zone: Tz,
) -> Result<Outgoing, TemplateError> {
    let lines: Vec<Line> = cards
        .iter()
        .take(SHOWN)
        .map(|card| {
            let shown: Vec<Line> = card.lines.iter().map(|l| line(l, zone)).collect();
            let plain: Vec<String> = shown.iter().map(|l| l.plain.clone()).collect();
            let body: Vec<String> = shown.iter().map(|l| l.body.clone()).collect();
            Line {
                plain: format!("{}:\n{}", card.title, plain.join("\n")),
                body: format!("*{}*\n{}", slack_escape(&card.title), body.join("\n")),
            }
        })
        .collect();
    templates.render(
        "scorecard",
        &Context {
            title: "Success metrics".to_string(),
            header: "Success metrics".to_string(),
            lines,
            hint: HINT,
        },
    )
}

fn line(line: &ScoreLine, zone: Tz) -> Line {
    let (emoji, verdict) = match line.verdict {
        Verdict::Met => (":white_check_mark:", "met"),
        Verdict::Missed => (":x:", "missed"),
        Verdict::Unknown => (":grey_question:", "unknown"),
    };
    let (actual_plain, actual_body) = match &line.actual {
        Some((value, by, at)) => (
            format!("{value} (by {by}, {})", local(*at, zone)),
            format!(
                "{} ({}, {})",
                slack_escape(value),
                who(by),
                slack_date(*at, zone)
            ),
        ),
        None => ("TBD".to_string(), "TBD".to_string()),
    };
    Line {
        plain: format!(
            "{} [{}]: target {}, actual {actual_plain}: {verdict}",
            line.name, line.key, line.target
        ),
        body: format!(
            "{emoji} *{}* `{}` · target {} · actual {actual_body} · {verdict}",
            slack_escape(&line.name),
            slack_escape(&line.key),
            slack_escape(&line.target)
        ),
    }
}

/// A person's mention, or a measuring source's name ("Prometheus") as it is.
fn who(by: &str) -> String {
    let person = by.len() > 1
        && (by.starts_with('U') || by.starts_with('W'))
        && by
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if person {
        format!("<@{by}>")
    } else {
        slack_escape(by)
    }
}
