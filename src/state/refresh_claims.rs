//! Which interactive messages have a chat.update in flight, so that at most one runs per
//! message (see `workflows::refresh`, which does the updating).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::domain::incident::IncidentId;

/// A message golive keeps up to date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The latest post of a checklist, by key.
    Checklist(String),
    /// A go/no-go vote's message, by vote id.
    Vote(i64),
    /// An incident's post in the launch channel.
    Incident(IncidentId),
    /// A posted success-metric scorecard, by its post's key.
    Scorecard(String),
    /// A feature flag step's post, by the step's percentage.
    RolloutStep(u8),
}

/// As stored in `refresh_asks`: `vote:3`, `checklist:l-1`, and so on.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Checklist(key) => write!(f, "checklist:{key}"),
            Target::Vote(id) => write!(f, "vote:{id}"),
            Target::Incident(id) => write!(f, "incident:{}", id.0),
            Target::Scorecard(key) => write!(f, "scorecard:{key}"),
            Target::RolloutStep(percent) => write!(f, "step:{percent}"),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unknown = || format!("not a message golive keeps up to date: {text:?}");
        let (kind, id) = text.split_once(':').ok_or_else(unknown)?;
        let number = |id: &str| id.parse::<i64>().map_err(|_| unknown());
        Ok(match kind {
            "checklist" => Target::Checklist(id.to_string()),
            "vote" => Target::Vote(number(id)?),
            "incident" => Target::Incident(IncidentId(number(id)?)),
            "scorecard" => Target::Scorecard(id.to_string()),
            "step" => Target::RolloutStep(id.parse().map_err(|_| unknown())?),
            _ => return Err(unknown()),
        })
    }
}

/// Messages with an update in flight, each with whether it changed again since.
#[derive(Debug)]
pub struct Refreshes {
    in_flight: Mutex<HashMap<(String, Target), bool>>,
    /// Renders reading the store at once. Refreshes run in the background, often many together
    /// (a restart takes a thousand overdue steps); they must leave the pool's other connections
    /// to the scheduler and to commands.
    pub reading: Semaphore,
}

/// How many of the pool's connections refreshes may use at once.
const READERS: usize = 2;

impl Default for Refreshes {
    fn default() -> Self {
        Self {
            in_flight: Mutex::default(),
            reading: Semaphore::new(READERS),
        }
    }
}

impl Refreshes {
    /// Claims the update of `release`'s `target`; false when one is in flight (it is marked
    /// dirty instead).
    pub fn claim(&self, release: &str, target: &Target) -> bool {
        let key = (release.to_string(), target.clone());
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        match in_flight.get_mut(&key) {
            Some(dirty) => {
                *dirty = true;
                false
            }
            None => {
                in_flight.insert(key, false);
                true
            }
        }
    }

    /// After an update: true when it must run again, else releases the claim.
    pub fn again(&self, release: &str, target: &Target) -> bool {
        let key = (release.to_string(), target.clone());
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        match in_flight.get_mut(&key) {
            Some(dirty) if *dirty => {
                *dirty = false;
                true
            }
            _ => {
                in_flight.remove(&key);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_reads_back_as_written() {
        let targets = [
            Target::Checklist("l-1:final".into()),
            Target::Vote(3),
            Target::Incident(IncidentId(12)),
            Target::Scorecard("l+7-scorecard".into()),
            Target::RolloutStep(25),
        ];
        for target in targets {
            assert_eq!(target.to_string().parse::<Target>(), Ok(target));
        }
        for bad in ["", "vote", "vote:x", "step:300", "poll:1"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }
}
