//! What a stored job is for: one enum of job kinds with their payloads, decoded once when the
//! scheduler takes the job, so no use case reads fields out of untyped JSON or splits a key.
//!
//! The store keeps the kind in a column of its own and the rest as JSON. Rows written before a
//! field was added to the payload lack it; [`JobPayload::decode`] then reads it from the job's
//! key, in this one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::incident::IncidentId;
use super::runbook::ClockKind;

/// Where an incident message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageTo {
    /// Top level in the launch channel (the incident post).
    Channel,
    /// The incident post's thread.
    Thread,
    /// A direct message to this user.
    User(String),
}

/// Where a rollout note goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteTo {
    /// Top level in the launch channel.
    Channel,
    /// The thread of the post of the step with this percentage (the channel until it is posted).
    Step(u8),
    /// A direct message to this user.
    User(String),
}

/// A job and what it needs, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobPayload {
    /// Post one occurrence of the timeline (the key names it).
    Post { title: String },
    /// Decide an incident's next escalation step.
    Escalation {
        #[serde(rename = "n")]
        incident: i64,
    },
    /// Send one rendered incident message.
    IncidentMessage {
        #[serde(rename = "n")]
        incident: i64,
        to: MessageTo,
        text: String,
        blocks: Value,
    },
    /// A runbook clock fires: a reminder or a breach.
    RunbookClock {
        #[serde(rename = "n")]
        incident: i64,
        clock: ClockKind,
        deadline: DateTime<Utc>,
    },
    /// Close a go/no-go vote at its deadline.
    VoteClose { vote: i64 },
    /// Remind the owners of a checklist's open items.
    ChecklistReminder { checklist: String },
    /// Make one recorded change on the flag server.
    RolloutChange { change: i64 },
    /// Read the rollout's guards, and again every minute until `until`.
    RolloutGuards { until: DateTime<Utc> },
    /// Remind the rollout's team of a step waiting for confirmation.
    RolloutReminder { percent: u8 },
    /// Send one rendered rollout note.
    RolloutNote {
        to: NoteTo,
        text: String,
        blocks: Value,
    },
}

/// Why a stored job could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job {key} ({kind}) cannot be read: {why}")]
pub struct JobError {
    pub kind: String,
    pub key: String,
    pub why: String,
}

impl JobPayload {
    /// The kind of a scheduled post, as the store holds it.
    pub const POST: &'static str = "post";

    /// The kind as the store's `kind` column holds it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Post { .. } => Self::POST,
            Self::Escalation { .. } => "escalation",
            Self::IncidentMessage { .. } => "incident_message",
            Self::RunbookClock { .. } => "runbook_clock",
            Self::VoteClose { .. } => "vote_close",
            Self::ChecklistReminder { .. } => "checklist_reminder",
            Self::RolloutChange { .. } => "rollout_change",
            Self::RolloutGuards { .. } => "rollout_guards",
            Self::RolloutReminder { .. } => "rollout_reminder",
            Self::RolloutNote { .. } => "rollout_note",
        }
    }

    /// The payload as the store's `payload` column holds it (the kind is left out).
    pub fn encode(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(fields) = value.as_object_mut() {
            fields.remove("kind");
        }
        value.to_string()
    }

    /// Reads a stored job: its kind, key and payload.
    pub fn decode(kind: &str, key: &str, payload: &str) -> Result<Self, JobError> {
        let error = |why: String| JobError {
            kind: kind.to_string(),
            key: key.to_string(),
            why,
        };
        let mut value: Value = serde_json::from_str(payload).map_err(|e| error(e.to_string()))?;
        let fields = value
            .as_object_mut()
            .ok_or_else(|| error("the payload is not an object".into()))?;
        fields.insert("kind".into(), kind.into());
        // Rows from before these fields were stored: the key has them.
        if kind == "runbook_clock" && !fields.contains_key("clock") {
            let clock = key.rsplit(':').next().and_then(ClockKind::parse);
            let clock = clock.ok_or_else(|| error("no runbook clock in the key".into()))?;
            fields.insert(
                "clock".into(),
                serde_json::to_value(clock).unwrap_or_default(),
            );
        }
        if kind == "checklist_reminder" && !fields.contains_key("checklist") {
            let checklist = key
                .strip_prefix("checklist:")
                .and_then(|k| k.strip_suffix(":reminder"))
                .ok_or_else(|| error("no checklist in the key".into()))?;
            fields.insert("checklist".into(), checklist.into());
        }
        serde_json::from_value(value).map_err(|e| error(e.to_string()))
    }

    /// The incident this job belongs to, if any.
    pub fn incident(&self) -> Option<IncidentId> {
        match self {
            Self::Escalation { incident }
            | Self::IncidentMessage { incident, .. }
            | Self::RunbookClock { incident, .. } => Some(IncidentId(*incident)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(payload: JobPayload) {
        let stored = payload.encode();
        assert!(!stored.contains("\"kind\""), "{stored}");
        let read = JobPayload::decode(payload.kind(), "k", &stored).unwrap();
        assert_eq!(read, payload);
    }

    #[test]
    fn every_kind_round_trips_through_the_store() {
        round_trip(JobPayload::Post {
            title: "Smoke tests".into(),
        });
        round_trip(JobPayload::Escalation { incident: 7 });
        round_trip(JobPayload::IncidentMessage {
            incident: 7,
            to: MessageTo::User("U1".into()),
            text: "paged".into(),
            blocks: serde_json::json!([]),
        });
        round_trip(JobPayload::RunbookClock {
            incident: 7,
            clock: ClockKind::HotfixBreach,
            deadline: "2026-03-10T20:00:00Z".parse().unwrap(),
        });
        round_trip(JobPayload::VoteClose { vote: 3 });
        round_trip(JobPayload::ChecklistReminder {
            checklist: "l-1".into(),
        });
    }

    #[test]
    fn rows_stored_before_the_fields_existed_are_read_from_their_keys() {
        let clock = JobPayload::decode(
            "runbook_clock",
            "incident:INC-7:hotfix-breach",
            r#"{"n":7,"deadline":"2026-03-10T20:00:00Z"}"#,
        )
        .unwrap();
        assert!(matches!(
            clock,
            JobPayload::RunbookClock {
                clock: ClockKind::HotfixBreach,
                ..
            }
        ));
        let reminder =
            JobPayload::decode("checklist_reminder", "checklist:l-1:reminder", "{}").unwrap();
        assert_eq!(
            reminder,
            JobPayload::ChecklistReminder {
                checklist: "l-1".into()
            }
        );
    }

    #[test]
    fn an_unreadable_job_is_a_typed_error() {
        assert!(JobPayload::decode("post", "k", "not json").is_err());
        assert!(JobPayload::decode("teleport", "k", "{}").is_err());
        assert!(JobPayload::decode("vote_close", "k", r#"{"vote":"x"}"#).is_err());
    }
}
