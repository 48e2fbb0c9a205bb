//! Slack mrkdwn fragments: mentions, dates that render in each reader's zone, durations.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::domain::plan::{Owner, Plan, Role};

/// `<@U…>` for each user, space-separated.
pub fn users(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("<@{id}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How to reach an owner: the team's user group if the workspace has it, else the team lead's
/// role holders, else the team's listed members, else its name in bold.
pub fn owner_mention(
    plan: &Plan,
    owner: &Owner,
    groups: &HashMap<String, String>,
    roles: &BTreeMap<Role, Vec<String>>,
) -> String {
    let key = match owner {
        Owner::All => return "<!here>".to_string(),
        Owner::Team(key) => key,
    };
    let Some(team) = plan.team(key) else {
        return format!("*{key}*");
    };
    if let Some(id) = team
        .usergroup
        .as_ref()
        .and_then(|handle| groups.get(handle))
    {
        return format!("<!subteam^{id}>");
    }
    let leads = team
        .lead_role
        .and_then(|role| roles.get(&role))
        .filter(|u| !u.is_empty());
    if let Some(leads) = leads {
        return users(leads);
    }
    if !team.members.is_empty() {
        return users(&team.members);
    }
    format!("*{}*", team.name)
}

/// A wall time in the plan's zone, e.g. "Tue 2026-03-10 06:00 PDT".
pub fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

/// Time of day in the plan's zone, e.g. "06:00 PDT".
pub fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%H:%M %Z").to_string()
}

/// A date Slack renders in each reader's own zone, with the plan-zone time as fallback.
pub fn slack_date(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{}>",
        at.timestamp(),
        local(at, zone)
    )
}

/// A short human duration: "3 d 4 h", "2 h 5 min", "12 min", "40 s".
pub fn duration(span: TimeDelta) -> String {
    let secs = span.num_seconds().max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(TimeDelta::seconds(40)), "40 s");
        assert_eq!(duration(TimeDelta::minutes(12)), "12 min");
        assert_eq!(duration(TimeDelta::minutes(125)), "2 h 5 min");
        assert_eq!(duration(TimeDelta::hours(76)), "3 d 4 h");
    }

    #[test]
    fn slack_date_falls_back_to_pacific_time() {
        let at: DateTime<Utc> = "2026-03-10T13:00:00Z".parse().unwrap();
        assert_eq!(
            slack_date(at, chrono_tz::America::Los_Angeles),
            "<!date^1773147600^{date_short_pretty} at {time}|Tue 2026-03-10 06:00 PDT>"
        );
    }
}
