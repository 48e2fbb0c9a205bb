//! `/golive` command text → [`Command`]: every malformed input becomes a [`CommandError`] that
//! says what was wrong and shows the usage.

use chrono::{NaiveDate, NaiveTime};

use super::day::{parse_date, DayOffset};
use super::excerpt::excerpt;
use super::incident::{IncidentId, Severity};
use super::plan::Role;

/// A parsed `/golive` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Status,
    Help,
    /// The schedule of one day; `None` means launch day.
    Timeline(Option<DayOffset>),
    LaunchDate(NaiveDate),
    /// List the roles.
    Roles,
    /// Make these users the holders of a role.
    AssignRole(Role, Vec<String>),
    /// Open an incident, optionally with a contingency runbook attached.
    Escalate {
        severity: Severity,
        summary: String,
        runbook: Option<String>,
    },
    /// List the open incidents.
    Incidents,
    /// Take ownership of an incident.
    Ack(IncidentId),
    /// Close an incident with an optional note.
    Resolve(IncidentId, Option<String>),
    /// Show or change the rollout.
    Rollout(RolloutCommand),
    /// Post a checklist now: "l-7", "l-1", "l-day", "l+7" or "phase-N".
    Checklist(String),
    /// Open, close or show the go/no-go vote.
    GoNoGo(GoNoGoCommand),
    /// The success-metric scorecards, or one table's.
    Metrics(Option<String>),
    /// Record a metric's actual, as typed (checked against the plan's metrics).
    MetricSet {
        metric: String,
        value: String,
    },
    /// A link to the launch record in a format ("md" or "csv"; Markdown when none is given).
    Export(Option<String>),
}

/// What `/golive gonogo` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoNoGoCommand {
    /// Open the vote; the deadline is the plan's unless a time of day is given.
    Open {
        deadline: Option<NaiveTime>,
    },
    Close,
    Status,
}

const METRICS_USAGE: &str = "metrics [table]";
const METRIC_SET_USAGE: &str = "metric set <metric> <value>";

/// One line of usage per command, in the order `help` shows them.
pub const USAGE: &[(&str, &str)] = &[
    (
        "status",
        "release, phase, L-Day countdown, last and next milestones, what is open",
    ),
    ("help", "this list"),
    (
        "timeline [L|L+1|L-7|...]",
        "one day's schedule with times (launch day by default)",
    ),
    (
        "launch-date YYYY-MM-DD",
        "set or move L-Day and reschedule what is not yet posted (release managers)",
    ),
    ("role", "list who holds each role"),
    (
        "role <role> <@user> [<@user> ...]",
        "make these people the holders of a role (release managers)",
    ),
    (
        "escalate <P0|P1|P2> <summary> [--runbook <key>]",
        "open an incident and page the escalation ladder, optionally with a contingency runbook",
    ),
    ("incidents", "the open incidents with level, owner and age"),
    (
        "ack <INC-n>",
        "take ownership of an incident; its escalation timers stop",
    ),
    (
        "resolve <INC-n> [note]",
        "close an incident (its owner, engineering leads, release managers)",
    ),
    (
        "rollout",
        "the feature flag steps: time, percentage, state, who applied them, and the flag server now",
    ),
    (
        "rollout pause [reason] | resume",
        "pause the rollout (no step is applied) or resume it (release managers, the rollout's team; engineering leads may resume)",
    ),
    (
        "rollout set <N>% | back | kill",
        "jump to a percentage (0 to 100), go back to the previous step's, or switch the flag off (release managers, the rollout's team)",
    ),
    (
        "checklist <l-7|l-1|l-day|l+7|phase-N>",
        "post a checklist (or a phase's exit criteria) with a Confirm button per item",
    ),
    (
        "gonogo open [--deadline HH:MM]",
        "open the go/no-go vote; the deadline defaults to the plan's (release managers)",
    ),
    (
        "gonogo close",
        "close the vote now and post the decision (release managers)",
    ),
    (
        "gonogo status",
        "who has voted what, and the decision so far",
    ),
    (
        "metrics [table]",
        "the success-metric scorecards: target, actual, met or missed",
    ),
    (
        "metric set <metric> <value>",
        "record a metric's actual (release managers, the metric's team)",
    ),
    (
        "export [md|csv]",
        "a link, valid for a day, to the launch record (release managers)",
    ),
];

/// Why a command could not be understood. Messages quote the input only in [`excerpt`]s, so an
/// answer stays short whatever was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{}` is not a golive command.", excerpt(.0))]
    Unknown(String),
    #[error("{message}\nUsage: `/golive {usage}`")]
    Malformed {
        message: String,
        usage: &'static str,
    },
}

fn malformed(message: impl Into<String>, usage: &'static str) -> CommandError {
    CommandError::Malformed {
        message: message.into(),
        usage,
    }
}

/// A word after everything the command takes.
fn unexpected(extra: &str, usage: &'static str) -> CommandError {
    malformed(format!("unexpected `{}`.", excerpt(extra)), usage)
}

/// `/golive rollout …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutCommand {
    List,
    Pause(Option<String>),
    Resume,
    /// Jump to a percentage, 0 to 100.
    Set(u8),
    Back,
    Kill,
}

const ROLLOUT_USAGE: &str = "rollout [pause [reason] | resume | set <N>% | back | kill]";

fn parse_rollout(rest: &[&str]) -> Result<RolloutCommand, CommandError> {
    let Some((first, more)) = rest.split_first() else {
        return Ok(RolloutCommand::List);
    };
    let only = |command: RolloutCommand| match more.first() {
        None => Ok(command),
        Some(extra) => Err(unexpected(extra, ROLLOUT_USAGE)),
    };
    match first.to_ascii_lowercase().as_str() {
        "pause" => Ok(RolloutCommand::Pause(
            (!more.is_empty()).then(|| more.join(" ")),
        )),
        "resume" => only(RolloutCommand::Resume),
        "back" => only(RolloutCommand::Back),
        "kill" => only(RolloutCommand::Kill),
        "set" => match more {
            [value] => {
                let number = value.strip_suffix('%').unwrap_or(value);
                match number.parse::<u8>() {
                    Ok(percent) if percent <= 100 => Ok(RolloutCommand::Set(percent)),
                    _ => Err(malformed(
                        format!(
                            "`{}` is not a percentage from 0 to 100, e.g. `rollout set 25%`.",
                            crate::domain::excerpt::excerpt(value)
                        ),
                        "rollout set <N>%",
                    )),
                }
            }
            [] => Err(malformed(
                "say which percentage, e.g. `rollout set 25%`.",
                "rollout set <N>%",
            )),
            [_, extra, ..] => Err(unexpected(extra, "rollout set <N>%")),
        },
        _ => Err(unexpected(first, ROLLOUT_USAGE)),
    }
}

impl Command {
    /// The short name used in metrics and the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Help => "help",
            Self::Timeline(_) => "timeline",
            Self::LaunchDate(_) => "launch-date",
            Self::Roles | Self::AssignRole(..) => "role",
            Self::Escalate { .. } => "escalate",
            Self::Incidents => "incidents",
            Self::Ack(_) => "ack",
            Self::Resolve(..) => "resolve",
            Self::Rollout(_) => "rollout",
            Self::Checklist(_) => "checklist",
            Self::GoNoGo(_) => "gonogo",
            Self::Metrics(_) => "metrics",
            Self::MetricSet { .. } => "metric",
            Self::Export(_) => "export",
        }
    }

    /// Parses the text after `/golive`. Empty text means `status`.
    pub fn parse(text: &str) -> Result<Command, CommandError> {
        let mut words = text.split_whitespace();
        let Some(verb) = words.next() else {
            return Ok(Command::Status);
        };
        let rest: Vec<&str> = words.collect();
        match verb.to_ascii_lowercase().as_str() {
            "status" => no_arguments(Command::Status, &rest, "status"),
            "help" => no_arguments(Command::Help, &rest, "help"),
            "timeline" => parse_timeline(&rest),
            "launch-date" => parse_launch_date(&rest),
            "role" | "roles" => parse_role(&rest),
            "escalate" => parse_escalate(&rest),
            "incidents" => no_arguments(Command::Incidents, &rest, "incidents"),
            "ack" => parse_incident_id(&rest, "ack <INC-n>").map(Command::Ack),
            "resolve" => parse_resolve(&rest),
            "rollout" => parse_rollout(&rest).map(Command::Rollout),
            "checklist" => parse_checklist(&rest),
            "gonogo" | "go-no-go" => parse_gonogo(&rest),
            "metrics" => match rest.as_slice() {
                [] => Ok(Command::Metrics(None)),
                [table] => Ok(Command::Metrics(Some(table.to_ascii_lowercase()))),
                [_, extra, ..] => Err(unexpected(extra, METRICS_USAGE)),
            },
            "export" => match rest.as_slice() {
                [] => Ok(Command::Export(None)),
                [format] => Ok(Command::Export(Some(format.to_ascii_lowercase()))),
                [_, extra, ..] => Err(unexpected(extra, "export [md|csv]")),
            },
            "metric" => match rest.as_slice() {
                [set, metric, value @ ..]
                    if set.eq_ignore_ascii_case("set") && !value.is_empty() =>
                {
                    Ok(Command::MetricSet {
                        metric: metric.to_ascii_lowercase(),
                        value: value.join(" "),
                    })
                }
                _ => Err(malformed(
                    "say which metric and its value.",
                    METRIC_SET_USAGE,
                )),
            },
            _ => Err(CommandError::Unknown(verb.to_string())),
        }
    }
}

fn no_arguments(
    command: Command,
    rest: &[&str],
    usage: &'static str,
) -> Result<Command, CommandError> {
    match rest.first() {
        None => Ok(command),
        Some(extra) => Err(malformed(
            format!("`{usage}` takes no arguments, got `{}`.", excerpt(extra)),
            usage,
        )),
    }
}

fn parse_timeline(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "timeline [L|L+1|L-7|...]";
    match rest {
        [] => Ok(Command::Timeline(None)),
        [day] => day
            .to_ascii_uppercase()
            .parse::<DayOffset>()
            .map(|d| Command::Timeline(Some(d)))
            .map_err(|_| {
                let day = excerpt(day);
                malformed(format!("`{day}` is not a day: use L, L+N or L-N."), USAGE)
            }),
        [_, extra, ..] => Err(unexpected(extra, USAGE)),
    }
}

fn parse_launch_date(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "launch-date YYYY-MM-DD";
    match rest {
        [] => Err(malformed("the launch date is missing.", USAGE)),
        [date] => parse_date(date).map(Command::LaunchDate).map_err(|_| {
            malformed(
                format!("`{}` is not a date in the form YYYY-MM-DD.", excerpt(date)),
                USAGE,
            )
        }),
        [_, extra, ..] => Err(unexpected(extra, USAGE)),
    }
}

fn parse_role(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "role <role> <@user> [<@user> ...]";
    let Some((role, users)) = rest.split_first() else {
        return Ok(Command::Roles);
    };
    let role: Role = role.to_ascii_lowercase().parse().map_err(|_| {
        let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        malformed(
            format!(
                "`{}` is not a role. Roles: {}.",
                excerpt(role),
                keys.join(", ")
            ),
            USAGE,
        )
    })?;
    if users.is_empty() {
        return Err(malformed(
            format!("name who holds `{}`.", role.key()),
            USAGE,
        ));
    }
    let users = users
        .iter()
        .map(|u| {
            user_id(u)
                .ok_or_else(|| malformed(format!("`{}` is not a user mention.", excerpt(u)), USAGE))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Command::AssignRole(role, users))
}

fn parse_escalate(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "escalate <P0|P1|P2> <summary> [--runbook <key>]";
    let Some((severity, words)) = rest.split_first() else {
        return Err(malformed("the severity is missing.", USAGE));
    };
    let severity: Severity = severity
        .parse()
        .map_err(|e: super::incident::IncidentError| malformed(e.to_string(), USAGE))?;
    let mut summary = Vec::new();
    let mut runbook = None;
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if *word == "--runbook" {
            let key = words
                .next()
                .ok_or_else(|| malformed("name the runbook after `--runbook`.", USAGE))?;
            runbook = Some(key.to_ascii_lowercase());
        } else {
            summary.push(*word);
        }
    }
    if summary.is_empty() {
        return Err(malformed("say what is wrong after the severity.", USAGE));
    }
    Ok(Command::Escalate {
        severity,
        summary: summary.join(" "),
        runbook,
    })
}

fn parse_incident_id(rest: &[&str], usage: &'static str) -> Result<IncidentId, CommandError> {
    match rest {
        [] => Err(malformed("name the incident, e.g. `INC-7`.", usage)),
        [id] => id
            .parse()
            .map_err(|e: super::incident::IncidentError| malformed(e.to_string(), usage)),
        [_, extra, ..] => Err(unexpected(extra, usage)),
    }
}

fn parse_resolve(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "resolve <INC-n> [note]";
    let id = parse_incident_id(&rest[..rest.len().min(1)], USAGE)?;
    let note = (rest.len() > 1).then(|| rest[1..].join(" "));
    Ok(Command::Resolve(id, note))
}

fn parse_checklist(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "checklist <l-7|l-1|l-day|l+7|phase-N>";
    match rest {
        [] => Err(malformed("name the checklist.", USAGE)),
        [key] => Ok(Command::Checklist(key.to_ascii_lowercase())),
        [_, extra, ..] => Err(unexpected(extra, USAGE)),
    }
}

fn parse_gonogo(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "gonogo <open [--deadline HH:MM]|close|status>";
    let Some((verb, args)) = rest.split_first() else {
        return Ok(Command::GoNoGo(GoNoGoCommand::Status));
    };
    let command = match (verb.to_ascii_lowercase().as_str(), args) {
        ("open", []) => GoNoGoCommand::Open { deadline: None },
        ("open", ["--deadline", time]) => {
            let time =
                super::day::parse_time(time).map_err(|e| malformed(format!("{e}."), USAGE))?;
            GoNoGoCommand::Open {
                deadline: Some(time),
            }
        }
        ("open", ["--deadline"]) => return Err(malformed("the deadline time is missing.", USAGE)),
        ("close", []) => GoNoGoCommand::Close,
        ("status", []) => GoNoGoCommand::Status,
        (_, [extra, ..]) => return Err(unexpected(extra, USAGE)),
        (other, []) => {
            return Err(malformed(
                format!("`{}` is not a gonogo action.", excerpt(other)),
                USAGE,
            ))
        }
    };
    Ok(Command::GoNoGo(command))
}

/// The longest user id accepted. Slack's are about eleven characters; the cap keeps a pasted
/// wall of capitals from becoming a role holder that every later answer has to show.
const MAX_USER_ID: usize = 32;

/// The user id in an escaped mention (`<@U123>` or `<@U123|name>`).
pub fn user_id(mention: &str) -> Option<String> {
    let inner = mention.strip_prefix("<@")?.strip_suffix('>')?;
    let id = inner.split('|').next()?;
    let valid = (2..=MAX_USER_ID).contains(&id.len())
        && id.starts_with(['U', 'W'])
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_means_status() {
        assert_eq!(Command::parse("  "), Ok(Command::Status));
    }

    #[test]
    fn timeline_takes_an_optional_day() {
        assert_eq!(Command::parse("timeline"), Ok(Command::Timeline(None)));
        assert_eq!(
            Command::parse("timeline l+1"),
            Ok(Command::Timeline(Some(DayOffset(1))))
        );
    }

    #[test]
    fn launch_date_must_be_iso() {
        assert_eq!(
            Command::parse("launch-date 2026-03-10"),
            Ok(Command::LaunchDate(
                NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
            ))
        );
        let error = Command::parse("launch-date 10/03/2026").unwrap_err();
        assert!(error.to_string().contains("YYYY-MM-DD"), "{error}");
    }

    #[test]
    fn launch_date_needs_a_four_digit_year() {
        for date in ["+262142-12-31", "262142-12-31", "-0001-01-01"] {
            let error = Command::parse(&format!("launch-date {date}")).unwrap_err();
            assert!(error.to_string().contains("YYYY-MM-DD"), "{error}");
        }
    }

    #[test]
    fn role_assignment_takes_escaped_mentions() {
        assert_eq!(
            Command::parse("role on-call <@U0ONCALL|dana> <@U0TWO>"),
            Ok(Command::AssignRole(
                Role::OnCall,
                vec!["U0ONCALL".into(), "U0TWO".into()]
            ))
        );
    }

    #[test]
    fn role_with_plain_name_is_refused_with_usage() {
        let error = Command::parse("role on-call dana").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`dana` is not a user mention.\nUsage: `/golive role <role> <@user> [<@user> ...]`"
        );
    }

    #[test]
    fn unknown_role_lists_the_roles() {
        let error = Command::parse("role janitor <@U1>").unwrap_err();
        assert!(error.to_string().contains("release-manager"), "{error}");
    }

    #[test]
    fn unknown_verb_is_reported() {
        assert_eq!(
            Command::parse("deploy now"),
            Err(CommandError::Unknown("deploy".into()))
        );
    }

    #[test]
    fn escalate_takes_a_severity_a_summary_and_an_optional_runbook() {
        assert_eq!(
            Command::parse("escalate p0 checkout fails --runbook critical-bug"),
            Ok(Command::Escalate {
                severity: Severity::P0,
                summary: "checkout fails".into(),
                runbook: Some("critical-bug".into()),
            })
        );
        assert!(Command::parse("escalate P3 meh").is_err());
        assert!(Command::parse("escalate P1").is_err());
        assert!(Command::parse("escalate P1 x --runbook").is_err());
    }

    #[test]
    fn ack_and_resolve_name_an_incident() {
        assert_eq!(Command::parse("ack INC-7"), Ok(Command::Ack(IncidentId(7))));
        assert_eq!(
            Command::parse("resolve inc-7 rolled back the flag"),
            Ok(Command::Resolve(
                IncidentId(7),
                Some("rolled back the flag".into())
            ))
        );
        assert_eq!(
            Command::parse("resolve 7"),
            Ok(Command::Resolve(IncidentId(7), None))
        );
        assert!(Command::parse("ack").is_err());
        assert!(Command::parse("ack seven").is_err());
    }

    #[test]
    fn incidents_and_rollout_resume_parse() {
        assert_eq!(Command::parse("incidents"), Ok(Command::Incidents));
        assert_eq!(
            Command::parse("rollout resume"),
            Ok(Command::Rollout(RolloutCommand::Resume))
        );
        assert_eq!(
            Command::parse("rollout"),
            Ok(Command::Rollout(RolloutCommand::List))
        );
        assert_eq!(
            Command::parse("rollout pause error rate climbing"),
            Ok(Command::Rollout(RolloutCommand::Pause(Some(
                "error rate climbing".into()
            ))))
        );
        assert_eq!(
            Command::parse("rollout set 25%"),
            Ok(Command::Rollout(RolloutCommand::Set(25)))
        );
        assert_eq!(
            Command::parse("rollout set 0"),
            Ok(Command::Rollout(RolloutCommand::Set(0)))
        );
        assert!(Command::parse("rollout set 150%").is_err());
        assert!(Command::parse("rollout set -5").is_err());
        assert!(Command::parse("rollout set").is_err());
        assert!(Command::parse("rollout back now").is_err());
        assert!(Command::parse("rollout sideways").is_err());
    }

    #[test]
    fn checklist_names_the_checklist() {
        assert_eq!(
            Command::parse("checklist L-1"),
            Ok(Command::Checklist("l-1".into()))
        );
        assert!(Command::parse("checklist").is_err());
    }

    #[test]
    fn gonogo_opens_with_an_optional_deadline() {
        assert_eq!(
            Command::parse("gonogo open"),
            Ok(Command::GoNoGo(GoNoGoCommand::Open { deadline: None }))
        );
        assert_eq!(
            Command::parse("gonogo open --deadline 15:30"),
            Ok(Command::GoNoGo(GoNoGoCommand::Open {
                deadline: NaiveTime::from_hms_opt(15, 30, 0)
            }))
        );
        assert!(Command::parse("gonogo open --deadline 3pm").is_err());
        assert_eq!(
            Command::parse("gonogo close"),
            Ok(Command::GoNoGo(GoNoGoCommand::Close))
        );
        assert_eq!(
            Command::parse("gonogo status"),
            Ok(Command::GoNoGo(GoNoGoCommand::Status))
        );
        assert!(Command::parse("gonogo maybe").is_err());
    }

    #[test]
    fn a_timeline_day_with_a_wide_character_after_l_is_refused_with_usage() {
        for day in [
            "L\u{2212}1",
            "L\u{2014}1",
            "L\u{e9}",
            "L\u{200b}",
            "l\u{2212}7",
        ] {
            let error = Command::parse(&format!("timeline {day}")).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "`{day}` is not a day: use L, L+N or L-N.\nUsage: `/golive timeline [L|L+1|L-7|...]`"
                )
            );
        }
    }

    #[test]
    fn errors_quote_a_long_word_only_in_part() {
        let long = "\u{2212}".repeat(3_000);
        for text in [
            long.clone(),
            format!("status {long}"),
            format!("timeline L{long}"),
            format!("timeline L {long}"),
            format!("launch-date {long}"),
            format!("role {long} <@U1>"),
            format!("role on-call <@U1> {long}"),
            format!("escalate {long} checkout is down"),
            format!("ack {long}"),
            format!("resolve INC-{long}"),
            format!("checklist l-1 {long}"),
            format!("gonogo {long}"),
            format!("gonogo open --deadline {long}"),
            format!("gonogo close {long}"),
        ] {
            let message = Command::parse(&text).unwrap_err().to_string();
            assert!(message.chars().count() < 400, "{message}");
            assert!(message.contains('\u{2026}'), "{message}");
        }
    }

    #[test]
    fn a_mention_longer_than_any_slack_id_is_not_a_user() {
        let mention = format!("<@U{}>", "A".repeat(3_000));
        let error = Command::parse(&format!("role on-call {mention}")).unwrap_err();
        assert!(
            error.to_string().contains("is not a user mention"),
            "{error}"
        );
    }

    #[test]
    fn extra_words_are_refused() {
        assert!(Command::parse("status please").is_err());
    }
}
