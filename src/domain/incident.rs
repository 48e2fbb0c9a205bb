//! An incident on the escalation ladder: a pure state machine.
//!
//! Transitions take the event and `now` and say what happened; the workflow stores the result,
//! schedules the next wait as a job and sends the pages. [`Incident::next_step`] reads the
//! ladder from the plan ([`EscalationLevel`]): a level's `escalate_when` conditions move the
//! incident up at once, its `escalate_after_minutes` wait moves it up when nobody has
//! acknowledged it by then. An acknowledgement stops the waits, never the conditions.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};

use super::excerpt::excerpt;
use super::plan::{EscalationLevel, EscalationTrigger, Role};

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    P0,
    P1,
    P2,
}

impl Severity {
    /// "P0", "P1" or "P2".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::P0 => "P0",
            Self::P1 => "P1",
            Self::P2 => "P2",
        }
    }
}

impl FromStr for Severity {
    type Err = IncidentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_uppercase().as_str() {
            "P0" => Ok(Self::P0),
            "P1" => Ok(Self::P1),
            "P2" => Ok(Self::P2),
            _ => Err(IncidentError::BadSeverity(text.to_string())),
        }
    }
}

/// An incident's short id, shown as `INC-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentId(pub i64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{}", self.0)
    }
}

impl FromStr for IncidentId {
    type Err = IncidentError;

    /// Accepts `INC-7`, `inc-7` and `7`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.to_ascii_uppercase();
        let digits = upper.strip_prefix("INC-").unwrap_or(&upper);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(IncidentId)
            .ok_or_else(|| IncidentError::BadId(text.to_string()))
    }
}

/// A fact someone records about an incident that can move it to the top of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    CustomerImpact,
    RollbackConsidered,
}

/// Why an incident moved up a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Nobody acknowledged it within the level's wait.
    NoAcknowledgement { minutes: u32 },
    /// One of the level's `escalate_when` conditions holds.
    Condition(EscalationTrigger),
    /// Someone pressed "Escalate now".
    Manual { by: String },
    /// The level it reached has nobody assigned, so it went on up.
    NobodyAssigned { level: u8 },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAcknowledgement { minutes } => {
                write!(f, "nobody acknowledged it within {minutes} minutes")
            }
            Self::Condition(EscalationTrigger::P0) => f.write_str("it is a P0"),
            Self::Condition(EscalationTrigger::MultipleOpenP0) => {
                f.write_str("more than one P0 is open")
            }
            Self::Condition(EscalationTrigger::CustomerImpact) => {
                f.write_str("customer impact was reported")
            }
            Self::Condition(EscalationTrigger::RollbackConsidered) => {
                f.write_str("a rollback is being considered")
            }
            Self::Manual { by } => write!(f, "<@{by}> escalated it by hand"),
            Self::NobodyAssigned { level } => write!(f, "nobody is assigned to L{level}"),
        }
    }
}

/// The next move up the ladder and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalate {
    pub to_level: u8,
    pub reason: Reason,
    pub due_at: DateTime<Utc>,
}

/// How an incident was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// One incident and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub severity: Severity,
    pub summary: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    /// The ladder level it has reached (1..=4 in the Summit plan).
    pub level: u8,
    /// When it reached `level`: the level's wait counts from here.
    pub level_since: DateTime<Utc>,
    /// Who owns it (acknowledged it) and when.
    pub acked: Option<(String, DateTime<Utc>)>,
    pub customer_impact: bool,
    pub rollback_considered: bool,
    /// The contingency runbook attached, by plan key.
    pub runbook: Option<String>,
    pub resolved: Option<Resolution>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error("`{}` is not a severity: use P0, P1 or P2.", excerpt(.0))]
    BadSeverity(String),
    #[error("`{}` is not an incident id such as INC-7.", excerpt(.0))]
    BadId(String),
    #[error("{0} is already resolved.")]
    Resolved(IncidentId),
    #[error("{id} is already owned by {owner}.")]
    AlreadyOwned { id: IncidentId, owner: String },
    #[error("{0} is already at the top of the escalation ladder.")]
    TopOfLadder(IncidentId),
}

impl Incident {
    /// A new incident at the bottom of the ladder.
    pub fn open(
        id: IncidentId,
        severity: Severity,
        summary: &str,
        by: &str,
        ladder: &[EscalationLevel],
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            severity,
            summary: summary.to_string(),
            opened_by: by.to_string(),
            opened_at: now,
            level: ladder.iter().map(|l| l.level).min().unwrap_or(1),
            level_since: now,
            acked: None,
            customer_impact: false,
            rollback_considered: false,
            runbook: None,
            resolved: None,
        }
    }

    /// Whether it still needs someone.
    pub fn is_open(&self) -> bool {
        self.resolved.is_none()
    }

    /// The person who acknowledged it.
    pub fn owner(&self) -> Option<&str> {
        self.acked.as_ref().map(|(user, _)| user.as_str())
    }

    /// `user` takes ownership; the ladder's waits stop.
    pub fn acknowledge(&mut self, user: &str, now: DateTime<Utc>) -> Result<(), IncidentError> {
        self.check_open()?;
        if let Some(owner) = self.owner() {
            return Err(IncidentError::AlreadyOwned {
                id: self.id,
                owner: owner.to_string(),
            });
        }
        self.acked = Some((user.to_string(), now));
        Ok(())
    }

    /// Moves one level up the ladder; returns the new level.
    pub fn escalate(
        &mut self,
        ladder: &[EscalationLevel],
        now: DateTime<Utc>,
    ) -> Result<u8, IncidentError> {
        self.check_open()?;
        let next = next_level(ladder, self.level).ok_or(IncidentError::TopOfLadder(self.id))?;
        self.level = next;
        self.level_since = now;
        Ok(next)
    }

    /// Closes it, with an optional note.
    pub fn resolve(
        &mut self,
        user: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), IncidentError> {
        self.check_open()?;
        self.resolved = Some(Resolution {
            by: user.to_string(),
            at: now,
            note: note.map(str::to_string),
        });
        Ok(())
    }

    /// Records a fact; returns false when it was already recorded.
    pub fn mark(&mut self, mark: Mark) -> Result<bool, IncidentError> {
        self.check_open()?;
        let flag = match mark {
            Mark::CustomerImpact => &mut self.customer_impact,
            Mark::RollbackConsidered => &mut self.rollback_considered,
        };
        let changed = !*flag;
        *flag = true;
        Ok(changed)
    }

    /// The next move up the ladder, if any: at once when a condition of the current level holds,
    /// else at the end of the level's wait unless someone has acknowledged it.
    pub fn next_step(
        &self,
        ladder: &[EscalationLevel],
        open_p0: usize,
        now: DateTime<Utc>,
    ) -> Option<Escalate> {
        if !self.is_open() {
            return None;
        }
        let current = ladder.iter().find(|l| l.level == self.level)?;
        let to_level = next_level(ladder, self.level)?;
        let holds = |trigger: &EscalationTrigger| match trigger {
            EscalationTrigger::P0 => self.severity == Severity::P0,
            EscalationTrigger::MultipleOpenP0 => open_p0 > 1,
            EscalationTrigger::CustomerImpact => self.customer_impact,
            EscalationTrigger::RollbackConsidered => self.rollback_considered,
        };
        if let Some(trigger) = current.escalate_when.iter().find(|t| holds(t)) {
            return Some(Escalate {
                to_level,
                reason: Reason::Condition(*trigger),
                due_at: now,
            });
        }
        if self.acked.is_some() {
            return None;
        }
        let minutes = current.escalate_after_minutes?;
        Some(Escalate {
            to_level,
            reason: Reason::NoAcknowledgement { minutes },
            due_at: self.level_since + TimeDelta::minutes(i64::from(minutes)),
        })
    }

    fn check_open(&self) -> Result<(), IncidentError> {
        match self.resolved {
            Some(_) => Err(IncidentError::Resolved(self.id)),
            None => Ok(()),
        }
    }
}

/// The level above `level` in the ladder, if any.
pub fn next_level(ladder: &[EscalationLevel], level: u8) -> Option<u8> {
    ladder.iter().map(|l| l.level).filter(|l| *l > level).min()
}

/// The people a level pages: every holder of its roles, each once, in role order.
pub fn people(level: &EscalationLevel, roles: &BTreeMap<Role, Vec<String>>) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    for role in &level.roles {
        for user in roles.get(role).into_iter().flatten() {
            if !people.contains(user) {
                people.push(user.clone());
            }
        }
    }
    people
}

#[cfg(test)]
mod tests;
