//! Messages about the set of launches: the overview `/golive status` gives outside any launch
//! channel, and how to choose a launch.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::format::{local, slack_date};
use super::port::Outgoing;
use super::render::{slack_escape, TemplateError, Templates};

/// How many launches one message lists; Slack allows 50 blocks.
const SHOWN: usize = 40;

/// One launch as the overview shows it.
#[derive(Debug, Clone)]
pub struct LaunchSummary {
    pub name: String,
    /// The release key, as `--release` takes it.
    pub key: String,
    pub channel: String,
    pub launch_date: Option<NaiveDate>,
    /// "2 · Beta Program".
    pub phase: Option<String>,
    /// The next post: title and time.
    pub next: Option<(String, DateTime<Utc>)>,
    pub open_incidents: usize,
    pub zone: Tz,
}

#[derive(Serialize)]
struct Line {
    plain: String,
    body: String,
}

#[derive(Serialize)]
struct Context {
    heading: String,
    launches: Vec<Line>,
    hint: String,
}

/// Every launch: name, release key, channel, L-Day, phase, next post, open incidents.
pub fn overview(
    templates: &Templates,
    launches: &[LaunchSummary],
) -> Result<Outgoing, TemplateError> {
    let mut lines: Vec<Line> = launches.iter().take(SHOWN).map(line).collect();
    if launches.len() > SHOWN {
        let more = format!("…and {} more launches not shown", launches.len() - SHOWN);
        lines.push(Line {
            plain: more.clone(),
            body: slack_escape(&more),
        });
    }
    templates.render(
        "launches",
        &Context {
            heading: format!("golive runs {} launches", launches.len()),
            launches: lines,
            hint: HINT.to_string(),
        },
    )
}

/// How to pick a launch, after the list of them.
const HINT: &str = "Type a command in a launch's channel, or add `--release <key>` anywhere, e.g. `/golive incidents --release <key>`.";

/// What a command needing one launch answers where it cannot tell which: the launches and how
/// to choose, with the command as typed.
pub fn choose(
    templates: &Templates,
    launches: &[LaunchSummary],
    typed: &str,
) -> Result<Outgoing, TemplateError> {
    let keys: Vec<String> = launches
        .iter()
        .map(|l| format!("`{}` ({})", l.key, l.channel))
        .collect();
    let example = launches.first().map_or("<key>", |l| l.key.as_str());
    let text = format!(
        "golive runs {} launches here: {}. Say which one: type the command in its channel, or add `--release <key>`, e.g. `/golive {} --release {example}`.",
        launches.len(),
        keys.join(", "),
        typed.trim()
    );
    notice(templates, &text)
}

/// The answer to `--release` naming no running launch.
pub fn unknown(
    templates: &Templates,
    key: &str,
    launches: &[LaunchSummary],
) -> Result<Outgoing, TemplateError> {
    let keys: Vec<String> = launches.iter().map(|l| format!("`{}`", l.key)).collect();
    let text = format!(
        "golive runs no launch `{}`; nothing was changed. Its launches: {}.",
        crate::domain::excerpt::excerpt(key),
        keys.join(", ")
    );
    notice(templates, &text)
}

fn notice(templates: &Templates, text: &str) -> Result<Outgoing, TemplateError> {
    super::messages::notice(
        templates,
        super::messages::Tone::Refused,
        text,
        &slack_escape(text),
    )
}

fn line(launch: &LaunchSummary) -> Line {
    let zone = launch.zone;
    let day = launch
        .launch_date
        .map_or("TBD".to_string(), |d| d.format("%a %Y-%m-%d").to_string());
    let phase = launch.phase.as_deref().unwrap_or("not started");
    let incidents = match launch.open_incidents {
        0 => "no open incidents".to_string(),
        1 => "1 open incident".to_string(),
        n => format!("{n} open incidents"),
    };
    let next_plain = launch
        .next
        .as_ref()
        .map_or("nothing scheduled".to_string(), |(title, at)| {
            format!("{title} at {}", local(*at, zone))
        });
    let next_body = launch
        .next
        .as_ref()
        .map_or("nothing scheduled".to_string(), |(title, at)| {
            format!("{} {}", slack_escape(title), slack_date(*at, zone))
        });
    let (name, key, channel) = (&launch.name, &launch.key, &launch.channel);
    Line {
        plain: format!(
            "{name} ({key}) in {channel}: L-Day {day}, phase {phase}, next {next_plain}, {incidents}"
        ),
        body: format!(
            "*{}* · `{}` · {}\nL-Day {day} · Phase {} · {incidents}\nNext: {next_body}",
            slack_escape(name),
            slack_escape(key),
            slack_escape(channel),
            slack_escape(phase),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: usize) -> LaunchSummary {
        LaunchSummary {
            name: format!("Summit 4.{n}.0"),
            key: format!("summit-4.{n}.0"),
            channel: format!("#v4{n}-launch"),
            launch_date: NaiveDate::from_ymd_opt(2026, 3, 10),
            phase: Some("2 · Beta Program".into()),
            next: Some(("Deploy".into(), "2026-03-10T17:00:00Z".parse().unwrap())),
            open_incidents: n,
            zone: chrono_tz::America::Los_Angeles,
        }
    }

    #[test]
    fn the_overview_names_each_launch_with_its_key_day_phase_next_post_and_incidents() {
        let templates = Templates::new().unwrap();
        let message = overview(&templates, &[summary(0), summary(1)]).unwrap();
        assert!(message.text.starts_with("golive runs 2 launches"));
        assert!(message.text.contains(
            "Summit 4.1.0 (summit-4.1.0) in #v41-launch: L-Day Tue 2026-03-10, phase 2 · Beta Program, next Deploy at"
        ));
        assert!(message.text.contains("1 open incident"));
        assert!(message.text.contains("no open incidents"));
        assert_eq!(message.blocks.len(), 4);
    }

    #[test]
    fn a_long_list_of_launches_stays_within_the_block_limit() {
        let templates = Templates::new().unwrap();
        let many: Vec<LaunchSummary> = (0..60).map(summary).collect();
        let message = overview(&templates, &many).unwrap();
        assert!(message.blocks.len() <= 50);
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let last_launch = &blocks[blocks.as_array().unwrap().len() - 2]["text"]["text"];
        assert_eq!(last_launch, "…and 20 more launches not shown");
    }
}
