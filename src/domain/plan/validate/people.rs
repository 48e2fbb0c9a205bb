//! Checks for who is involved: release, teams, roles, channels, war room, escalation, go/no-go.

use std::collections::HashSet;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::super::raw::{
    RawChannel, RawEscalation, RawGoNoGo, RawRelease, RawRole, RawTeam, RawWarRoom,
};
use super::super::{
    CommChannel, DecisionRule, EscalationLevel, EscalationTrigger, GoNoGo, Located, ReleaseInfo,
    Responsibilities, Role, RoleAssignment, Team, WarRoom,
};
use super::{Checker, PLACEHOLDER};
use crate::domain::day::{parse_date, DayTime};
use crate::domain::excerpt::excerpt;

/// The escalation ladder always has exactly these rungs.
const LEVELS: usize = 4;

pub fn release(check: &mut Checker, raw: RawRelease) -> ReleaseInfo {
    if !raw.channel.get_ref().starts_with('#') {
        check.error(
            raw.channel.span(),
            format!(
                "channel `{}` must start with #",
                excerpt(raw.channel.get_ref())
            ),
        );
    }
    let timezone = raw.timezone.get_ref().parse::<Tz>().unwrap_or_else(|_| {
        check.error(
            raw.timezone.span(),
            format!("unknown time zone `{}`", excerpt(raw.timezone.get_ref())),
        );
        Tz::UTC
    });
    let located = Located {
        name: check.locate(raw.name.span()),
        channel: check.locate(raw.channel.span()),
    };
    ReleaseInfo {
        name: raw.name.into_inner(),
        version: raw.version,
        codename: raw.codename,
        release_type: raw.release_type,
        channel: raw.channel.into_inner(),
        timezone,
        launch_date: launch_date(check, &raw.launch_date),
        scope: raw.scope,
        release_managers: raw.release_managers,
        located,
    }
}

fn launch_date(check: &mut Checker, raw: &toml::Spanned<String>) -> Option<NaiveDate> {
    let text = raw.get_ref();
    if text == "TBD" {
        return None;
    }
    let parsed = parse_date(text);
    if parsed.is_err() {
        check.error(
            raw.span(),
            format!(
                "launch_date `{}` must be YYYY-MM-DD or \"TBD\"",
                excerpt(text)
            ),
        );
    }
    parsed.ok()
}

pub fn teams(check: &mut Checker, raw: Vec<RawTeam>) -> Vec<Team> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|team| Team {
            key: check.key(&team.key, &mut seen, "team"),
            name: team.name,
            usergroup: team.usergroup,
            lead_role: team.lead_role.as_ref().and_then(|role| check.role(role)),
            members: team.members,
            responsibilities: team.responsibilities.map(|row| Responsibilities {
                pre_launch: row.pre_launch,
                launch: row.launch,
                post_launch: row.post_launch,
            }),
        })
        .collect()
}

pub fn roles(check: &mut Checker, raw: Vec<RawRole>) -> Vec<RoleAssignment> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|assignment| {
            let role = check.role(&assignment.role)?;
            if !seen.insert(role) {
                check.error(assignment.role.span(), format!("duplicate role `{role}`"));
            }
            Some(RoleAssignment {
                role,
                users: assignment.users,
            })
        })
        .collect()
}

pub fn communication(check: &mut Checker, raw: Vec<RawChannel>) -> Vec<CommChannel> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .map(|channel| CommChannel {
            key: check.key(&channel.key, &mut seen, "channel"),
            name: channel.name,
            purpose: channel.purpose,
            cadence: channel.cadence,
        })
        .collect()
}

pub fn war_room(check: &mut Checker, raw: RawWarRoom) -> WarRoom {
    let opens: Option<DayTime> = check.parse(&raw.opens);
    let closes: Option<DayTime> = check.parse(&raw.closes);
    if let (Some(opens), Some(closes)) = (opens, closes) {
        if (closes.day, closes.time) <= (opens.day, opens.time) {
            check.error(raw.closes.span(), "the war room must close after it opens");
        }
    }
    WarRoom {
        location: raw.location,
        opens: opens.unwrap_or(PLACEHOLDER),
        closes: closes.unwrap_or(PLACEHOLDER),
        participants: raw
            .participants
            .iter()
            .map(|team| check.team(team))
            .collect(),
    }
}

pub fn escalation(check: &mut Checker, raw: Vec<RawEscalation>) -> Vec<EscalationLevel> {
    let count = raw.len();
    raw.into_iter()
        .enumerate()
        .map(|(index, level)| {
            let expected = index + 1;
            let number = *level.level.get_ref();
            if expected > LEVELS || number != expected as i64 {
                check.error(level.level.span(), format!("escalation levels must be 1 to {LEVELS} in order; expected {expected}, found {number}"));
            }
            let escalate_after_minutes = level.escalate_after_minutes.as_ref().and_then(|minutes| {
                let value = u32::try_from(*minutes.get_ref()).ok().filter(|value| *value > 0);
                if value.is_none() {
                    check.error(minutes.span(), "escalate_after_minutes must be a positive number of minutes");
                }
                value
            });
            let escalate_when: Vec<_> = level.escalate_when.iter().filter_map(|trigger| parse_trigger(check, trigger)).collect();
            let escalates = escalate_after_minutes.is_some() || !escalate_when.is_empty();
            if index + 1 == count && escalates {
                check.error(level.level.span(), "the top escalation level has nowhere to escalate to");
            }
            EscalationLevel {
                level: u8::try_from(number).unwrap_or(0),
                name: level.name,
                roles: level.roles.iter().filter_map(|role| check.role(role)).collect(),
                escalate_after_minutes,
                escalate_when,
            }
        })
        .collect()
}

fn parse_trigger(check: &mut Checker, raw: &toml::Spanned<String>) -> Option<EscalationTrigger> {
    let found = EscalationTrigger::ALL
        .iter()
        .find(|(_, key)| key == raw.get_ref());
    if found.is_none() {
        let known: Vec<_> = EscalationTrigger::ALL.iter().map(|(_, key)| *key).collect();
        check.error(
            raw.span(),
            format!(
                "unknown escalation trigger `{}`; expected one of {}",
                excerpt(raw.get_ref()),
                known.join(", ")
            ),
        );
    }
    found.map(|(trigger, _)| *trigger)
}

pub fn gonogo(check: &mut Checker, raw: RawGoNoGo) -> GoNoGo {
    let mut voters: Vec<Role> = Vec::new();
    for voter in &raw.voters {
        match check.role(voter) {
            Some(role) if voters.contains(&role) => {
                check.error(voter.span(), format!("duplicate voter `{role}`"))
            }
            Some(role) => voters.push(role),
            None => {}
        }
    }
    if raw.voters.is_empty() {
        check.error(raw.deadline.span(), "go/no-go needs at least one voter");
    }
    if raw.rule.get_ref() != "unanimous" {
        check.error(
            raw.rule.span(),
            format!(
                "unknown decision rule `{}`; expected \"unanimous\"",
                excerpt(raw.rule.get_ref())
            ),
        );
    }
    GoNoGo {
        deadline: check.day_time(&raw.deadline),
        voters,
        rule: DecisionRule::Unanimous,
    }
}
