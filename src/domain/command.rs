//! `/golive` command text → [`Command`]: every malformed input becomes a [`CommandError`] that
//! says what was wrong and shows the usage.

use chrono::{NaiveDate, NaiveTime};

use super::day::DayOffset;
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
    /// Post a checklist now: "l-7", "l-1", "l-day", "l+7" or "phase-N".
    Checklist(String),
    /// Open, close or show the go/no-go vote.
    GoNoGo(GoNoGoCommand),
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
];

/// Why a command could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{0}` is not a golive command.")]
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

impl Command {
    /// The short name used in metrics and the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Help => "help",
            Self::Timeline(_) => "timeline",
            Self::LaunchDate(_) => "launch-date",
            Self::Roles | Self::AssignRole(..) => "role",
            Self::Checklist(_) => "checklist",
            Self::GoNoGo(_) => "gonogo",
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
            "checklist" => parse_checklist(&rest),
            "gonogo" | "go-no-go" => parse_gonogo(&rest),
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
            format!("`{usage}` takes no arguments, got `{extra}`."),
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
            .map_err(|_| malformed(format!("`{day}` is not a day: use L, L+N or L-N."), USAGE)),
        [_, extra, ..] => Err(malformed(format!("unexpected `{extra}`."), USAGE)),
    }
}

fn parse_launch_date(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "launch-date YYYY-MM-DD";
    match rest {
        [] => Err(malformed("the launch date is missing.", USAGE)),
        [date] => NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(Command::LaunchDate)
            .map_err(|_| {
                malformed(
                    format!("`{date}` is not a date in the form YYYY-MM-DD."),
                    USAGE,
                )
            }),
        [_, extra, ..] => Err(malformed(format!("unexpected `{extra}`."), USAGE)),
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
            format!("`{role}` is not a role. Roles: {}.", keys.join(", ")),
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
            user_id(u).ok_or_else(|| malformed(format!("`{u}` is not a user mention."), USAGE))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Command::AssignRole(role, users))
}

fn parse_checklist(rest: &[&str]) -> Result<Command, CommandError> {
    const USAGE: &str = "checklist <l-7|l-1|l-day|l+7|phase-N>";
    match rest {
        [] => Err(malformed("name the checklist.", USAGE)),
        [key] => Ok(Command::Checklist(key.to_ascii_lowercase())),
        [_, extra, ..] => Err(malformed(format!("unexpected `{extra}`."), USAGE)),
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
        (_, [extra, ..]) => return Err(malformed(format!("unexpected `{extra}`."), USAGE)),
        (other, []) => {
            return Err(malformed(
                format!("`{other}` is not a gonogo action."),
                USAGE,
            ))
        }
    };
    Ok(Command::GoNoGo(command))
}

/// The user id in an escaped mention (`<@U123>` or `<@U123|name>`).
pub fn user_id(mention: &str) -> Option<String> {
    let inner = mention.strip_prefix("<@")?.strip_suffix('>')?;
    let id = inner.split('|').next()?;
    let valid = id.len() >= 2
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
    fn extra_words_are_refused() {
        assert!(Command::parse("status please").is_err());
    }
}
