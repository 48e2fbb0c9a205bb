//! Turning the raw plan into a [`Plan`], collecting every problem instead of stopping at the first.
//!
//! Each section converter records errors in a [`Checker`] and substitutes a placeholder for a
//! bad value so checking can go on; the placeholders never escape because any recorded error
//! makes [`plan`] return `Err`.

mod people;
mod phases;
mod rollout;
mod schedule;

use std::collections::HashSet;
use std::fmt::Display;
use std::ops::Range;
use std::str::FromStr;

use chrono::NaiveTime;
use toml::Spanned;

use super::error::{PlanError, PlanErrors};
use super::raw::RawPlan;
use super::{Owner, Plan, Role, KEY_MAX};
use crate::domain::day::{parse_time, DayOffset, DayTime};
use crate::domain::excerpt::excerpt;

/// Stands in for a day and time that failed to parse; never returned to callers.
const PLACEHOLDER: DayTime = DayTime {
    day: DayOffset::LAUNCH,
    time: NaiveTime::MIN,
};

/// Check a raw plan read from `source` and build the [`Plan`].
pub fn plan(source: &str, raw: RawPlan) -> Result<Plan, PlanErrors> {
    let mut check = Checker::new(source, &raw);
    let contingency_keys: Vec<String> = raw
        .contingencies
        .iter()
        .map(|c| c.key.get_ref().clone())
        .collect();
    let (rollout, step_defaults) = rollout::rollout(&mut check, raw.rollout, &contingency_keys);
    let mut plan = Plan {
        release: people::release(&mut check, raw.release),
        teams: people::teams(&mut check, raw.teams),
        roles: people::roles(&mut check, raw.roles),
        communication: people::communication(&mut check, raw.communication),
        war_room: people::war_room(&mut check, raw.war_room),
        post_times: schedule::post_times(&mut check, raw.post_times),
        launch_day: schedule::launch_day(&mut check, raw.launch_day),
        launch_week: schedule::launch_week(&mut check, raw.launch_week),
        pre_launch: schedule::pre_launch(&mut check, raw.pre_launch),
        phases: phases::phases(&mut check, raw.phases),
        deprecation: phases::deprecation(&mut check, raw.deprecation),
        checklists: schedule::checklists(&mut check, raw.checklists),
        escalation: people::escalation(&mut check, raw.escalation),
        feature_flags: rollout::steps(&mut check, raw.feature_flags, &step_defaults),
        rollout,
        metrics: phases::metrics(&mut check, raw.metrics),
        risks: phases::risks(raw.risks),
        contingencies: phases::contingencies(&mut check, raw.contingencies),
        recurring: schedule::recurring(&mut check, raw.recurring),
        gonogo: people::gonogo(&mut check, raw.gonogo),
    };
    if let Some(span) = step_defaults.team_from_plan.clone() {
        rollout::team_from_plan(&mut check, &mut plan, span);
    }
    check.finish().map(|()| plan)
}

/// Collects errors and reads checked values, pointing each error at its value's span.
pub struct Checker<'a> {
    source: &'a str,
    errors: Vec<PlanError>,
    /// Team keys declared in the plan; owners are checked against them.
    team_keys: HashSet<String>,
}

impl<'a> Checker<'a> {
    fn new(source: &'a str, raw: &RawPlan) -> Self {
        // Owners may name a team declared further down the file, so collect keys up front.
        let team_keys = raw
            .teams
            .iter()
            .map(|team| team.key.get_ref().clone())
            .collect();
        Checker {
            source,
            errors: Vec::new(),
            team_keys,
        }
    }

    fn finish(mut self) -> Result<(), PlanErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|error| (error.line, error.column));
        Err(PlanErrors(self.errors))
    }

    /// The (line, column) where `span` starts.
    pub fn locate(&self, span: Range<usize>) -> (usize, usize) {
        crate::domain::plan::error::line_and_column(self.source, span.start)
    }

    /// Record a problem at the start of `span`.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(PlanError::at(self.source, span, message));
    }

    /// Parse a spanned value, recording the parse error's message at the value.
    pub fn parse<T: FromStr>(&mut self, value: &Spanned<String>) -> Option<T>
    where
        T::Err: Display,
    {
        match value.get_ref().parse() {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                self.error(value.span(), error.to_string());
                None
            }
        }
    }

    /// A day such as "L-7"; L-Day itself stands in for a bad one.
    pub fn day(&mut self, value: &Spanned<String>) -> DayOffset {
        self.parse(value).unwrap_or(DayOffset::LAUNCH)
    }

    /// The first day of a week, which must be written in weeks ("L-8w") or land on one.
    pub fn week(&mut self, value: &Spanned<String>) -> DayOffset {
        let day = self.day(value);
        if day.0 % 7 != 0 {
            self.error(
                value.span(),
                format!(
                    "week `{}` must start on a week boundary, like L-8w",
                    excerpt(value.get_ref())
                ),
            );
        }
        day
    }

    /// A day and time such as "L-1 15:00".
    pub fn day_time(&mut self, value: &Spanned<String>) -> DayTime {
        self.parse(value).unwrap_or(PLACEHOLDER)
    }

    /// A wall-clock time such as "06:00".
    pub fn time(&mut self, value: &Spanned<String>) -> NaiveTime {
        self.try_time(value).unwrap_or(NaiveTime::MIN)
    }

    /// A wall-clock time, or `None` (with the error recorded) so that checks comparing it
    /// with other values can skip it rather than report a second, misleading error.
    pub fn try_time(&mut self, value: &Spanned<String>) -> Option<NaiveTime> {
        match parse_time(value.get_ref()) {
            Ok(time) => Some(time),
            Err(error) => {
                self.error(value.span(), error.to_string());
                None
            }
        }
    }

    /// A role key such as "sre-lead".
    pub fn role(&mut self, value: &Spanned<String>) -> Option<Role> {
        self.parse(value)
    }

    /// A declared team's key.
    pub fn team(&mut self, value: &Spanned<String>) -> String {
        let key = value.get_ref();
        if !self.team_keys.contains(key) {
            self.error(value.span(), format!("unknown team `{}`", excerpt(key)));
        }
        key.clone()
    }

    /// An owner: a declared team's key, or "all".
    pub fn owner(&mut self, value: &Spanned<String>) -> Owner {
        if value.get_ref() == "all" {
            return Owner::All;
        }
        Owner::Team(self.team(value))
    }

    /// A key that must be a slug of at most [`KEY_MAX`] characters and unique among `seen`
    /// (which it joins).
    pub fn key(
        &mut self,
        value: &Spanned<String>,
        seen: &mut HashSet<String>,
        what: &str,
    ) -> String {
        let key = value.get_ref();
        let well_formed = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-+.".contains(c));
        if !well_formed {
            self.error(
                value.span(),
                format!(
                    "{what} key `{}` must be lowercase letters, digits, `-`, `+` or `.`",
                    excerpt(key)
                ),
            );
        } else if key.len() > KEY_MAX {
            self.error(
                value.span(),
                format!(
                    "{what} key is {} characters long; keys are at most {KEY_MAX}",
                    key.len()
                ),
            );
        } else if !seen.insert(key.clone()) {
            self.error(
                value.span(),
                format!("duplicate {what} key `{}`", excerpt(key)),
            );
        }
        key.clone()
    }

    /// A list that must not be empty.
    pub fn non_empty<T>(&mut self, value: &Spanned<Vec<T>>, what: &str) {
        if value.get_ref().is_empty() {
            self.error(value.span(), format!("{what} must not be empty"));
        }
    }
}

/// Plan files write "-" for an empty table cell; it means the same as leaving the field out.
fn cell(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.trim().is_empty() && text.trim() != "-")
}
