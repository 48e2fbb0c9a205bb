//! The only place action ids and modal callback ids are spelled. Button values are small serde
//! structs, never strings split by hand.

use serde::{Deserialize, Serialize};

/// Every interactive control golive posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionId {
    ChecklistConfirm,
    ChecklistReopen,
    VoteGo,
    VoteNoGo,
    IncidentAcknowledge,
    IncidentEscalate,
    IncidentResolve,
    IncidentCustomerImpact,
    IncidentRollbackConsidered,
    IncidentRunbook,
    RunbookStepDone,
    RolloutApply,
    RolloutHold,
}

impl ActionId {
    pub const ALL: [ActionId; 13] = [
        Self::ChecklistConfirm,
        Self::ChecklistReopen,
        Self::VoteGo,
        Self::VoteNoGo,
        Self::IncidentAcknowledge,
        Self::IncidentEscalate,
        Self::IncidentResolve,
        Self::IncidentCustomerImpact,
        Self::IncidentRollbackConsidered,
        Self::IncidentRunbook,
        Self::RunbookStepDone,
        Self::RolloutApply,
        Self::RolloutHold,
    ];

    /// The `action_id` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChecklistConfirm => "checklist.confirm",
            Self::ChecklistReopen => "checklist.reopen",
            Self::VoteGo => "vote.go",
            Self::VoteNoGo => "vote.nogo",
            Self::IncidentAcknowledge => "incident.ack",
            Self::IncidentEscalate => "incident.escalate",
            Self::IncidentResolve => "incident.resolve",
            Self::IncidentCustomerImpact => "incident.customer_impact",
            Self::IncidentRollbackConsidered => "incident.rollback",
            Self::IncidentRunbook => "incident.runbook",
            Self::RunbookStepDone => "runbook.step_done",
            Self::RolloutApply => "rollout.apply",
            Self::RolloutHold => "rollout.hold",
        }
    }

    /// The action for a wire `action_id`, if golive posted it.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// `callback_id` of the modal asking for a No-Go reason.
pub const NO_GO_REASON_MODAL: &str = "vote.nogo_reason";
/// Block and action ids of the reason input in that modal.
pub const NO_GO_REASON_BLOCK: &str = "reason";
pub const NO_GO_REASON_INPUT: &str = "reason_input";
/// `callback_id` of the modal asking why a checklist item is reopened.
pub const REOPEN_REASON_MODAL: &str = "checklist.reopen_reason";
/// The reopen modal's reason input: its block and action ids.
pub const REOPEN_REASON_BLOCK: &str = "reason";
pub const REOPEN_REASON_INPUT: &str = "reason_input";

/// A button value or modal metadata: `reference` with the launch it belongs to (`"l"`), so that
/// a click in a DM and a submitted modal, which come from no launch channel, reach their launch.
pub fn scoped_value<T: Serialize>(release: &str, reference: &T) -> String {
    let mut value = serde_json::to_value(reference).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        fields.insert("l".to_string(), release.into());
    }
    value.to_string()
}

/// The launch a button value or modal metadata names; `None` for values written before
/// launches were named, or not golive's.
pub fn launch_of(value: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Scope {
        l: Option<String>,
    }
    serde_json::from_str::<Scope>(value).ok()?.l
}

/// The value of a checklist item's buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    #[serde(rename = "c")]
    pub checklist: String,
    #[serde(rename = "i")]
    pub item: String,
}

/// The value of a vote's buttons, and the No-Go modal's private metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRef {
    #[serde(rename = "v")]
    pub vote: i64,
}

/// The value of an incident's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRef {
    #[serde(rename = "n")]
    pub incident: i64,
}

/// The value of a "Runbook" button: which contingency to attach to which incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookRef {
    #[serde(rename = "n")]
    pub incident: i64,
    #[serde(rename = "r")]
    pub runbook: String,
}

/// The value of a runbook step's "Done" button (0-based step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRef {
    #[serde(rename = "n")]
    pub incident: i64,
    #[serde(rename = "s")]
    pub step: usize,
}

/// The value of a feature flag step's Apply and Hold buttons: the step's percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagStepRef {
    #[serde(rename = "p")]
    pub percent: u8,
}

/// What a click on an incident's own buttons asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentButton {
    Acknowledge,
    Escalate,
    Resolve,
    CustomerImpact,
    RollbackConsidered,
}

/// A click on one of golive's buttons with its value decoded: parsed once, at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    ChecklistConfirm(ItemRef),
    ChecklistReopen(ItemRef),
    VoteGo(VoteRef),
    VoteNoGo(VoteRef),
    Incident(IncidentButton, IncidentRef),
    IncidentRunbook(RunbookRef),
    RunbookStepDone(StepRef),
    RolloutApply(FlagStepRef),
    RolloutHold(FlagStepRef),
}

impl Button {
    /// The button `action` with its `value`; `None` when the value is not one golive wrote
    /// (an old message's button, or a forged one).
    pub fn parse(action: ActionId, value: &str) -> Option<Self> {
        fn read<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
            serde_json::from_str(value).ok()
        }
        let incident = |button| read(value).map(|r| Self::Incident(button, r));
        match action {
            ActionId::ChecklistConfirm => read(value).map(Self::ChecklistConfirm),
            ActionId::ChecklistReopen => read(value).map(Self::ChecklistReopen),
            ActionId::VoteGo => read(value).map(Self::VoteGo),
            ActionId::VoteNoGo => read(value).map(Self::VoteNoGo),
            ActionId::IncidentAcknowledge => incident(IncidentButton::Acknowledge),
            ActionId::IncidentEscalate => incident(IncidentButton::Escalate),
            ActionId::IncidentResolve => incident(IncidentButton::Resolve),
            ActionId::IncidentCustomerImpact => incident(IncidentButton::CustomerImpact),
            ActionId::IncidentRollbackConsidered => incident(IncidentButton::RollbackConsidered),
            ActionId::IncidentRunbook => read(value).map(Self::IncidentRunbook),
            ActionId::RunbookStepDone => read(value).map(Self::RunbookStepDone),
            ActionId::RolloutApply => read(value).map(Self::RolloutApply),
            ActionId::RolloutHold => read(value).map(Self::RolloutHold),
        }
    }
}

/// A submitted golive modal with its metadata and inputs decoded: parsed once, at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// Why a voter votes No-Go.
    NoGoReason { vote: VoteRef, reason: String },
    /// Why a confirmed checklist item is reopened.
    ReopenReason { item: ItemRef, reason: String },
}

/// Why a submitted modal is not a golive form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A callback id golive does not use.
    Unknown,
    /// golive's callback id, but metadata golive did not write.
    Forged,
}

impl Form {
    /// The form a modal with `callback_id` carries.
    pub fn parse(
        callback_id: &str,
        private_metadata: &str,
        inputs: &std::collections::HashMap<String, String>,
    ) -> Result<Self, FormError> {
        let input = |id: &str| inputs.get(id).cloned().unwrap_or_default();
        let metadata = |_| FormError::Forged;
        match callback_id {
            NO_GO_REASON_MODAL => Ok(Self::NoGoReason {
                vote: serde_json::from_str(private_metadata).map_err(metadata)?,
                reason: input(NO_GO_REASON_INPUT),
            }),
            REOPEN_REASON_MODAL => Ok(Self::ReopenReason {
                item: serde_json::from_str(private_metadata).map_err(metadata)?,
                reason: input(REOPEN_REASON_INPUT),
            }),
            _ => Err(FormError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submitted_modal_decodes_into_its_form_or_not_at_all() {
        let inputs = std::collections::HashMap::from([(
            NO_GO_REASON_INPUT.to_string(),
            "smoke tests red".to_string(),
        )]);
        assert_eq!(
            Form::parse(NO_GO_REASON_MODAL, r#"{"v":3}"#, &inputs),
            Ok(Form::NoGoReason {
                vote: VoteRef { vote: 3 },
                reason: "smoke tests red".into()
            })
        );
        assert_eq!(
            Form::parse(NO_GO_REASON_MODAL, "garbage", &inputs),
            Err(FormError::Forged)
        );
        assert_eq!(
            Form::parse("someone.else", r#"{"v":3}"#, &inputs),
            Err(FormError::Unknown)
        );
    }

    #[test]
    fn a_button_value_decodes_into_its_typed_reference_or_not_at_all() {
        assert_eq!(
            Button::parse(ActionId::VoteGo, r#"{"v":3}"#),
            Some(Button::VoteGo(VoteRef { vote: 3 }))
        );
        assert_eq!(
            Button::parse(ActionId::IncidentResolve, r#"{"n":7}"#),
            Some(Button::Incident(
                IncidentButton::Resolve,
                IncidentRef { incident: 7 }
            ))
        );
        assert_eq!(Button::parse(ActionId::VoteGo, r#"{"n":7}"#), None);
        assert_eq!(Button::parse(ActionId::ChecklistConfirm, "not json"), None);
    }

    #[test]
    fn a_scoped_value_names_its_launch_and_still_decodes_as_its_reference() {
        let value = scoped_value("summit-4.1.0", &VoteRef { vote: 3 });
        assert_eq!(value, r#"{"l":"summit-4.1.0","v":3}"#);
        assert_eq!(launch_of(&value).as_deref(), Some("summit-4.1.0"));
        assert_eq!(
            Button::parse(ActionId::VoteGo, &value),
            Some(Button::VoteGo(VoteRef { vote: 3 }))
        );
        assert_eq!(launch_of(r#"{"v":3}"#), None);
        assert_eq!(launch_of("not json"), None);
    }

    #[test]
    fn every_action_id_round_trips() {
        for action in ActionId::ALL {
            assert_eq!(ActionId::parse(action.as_str()), Some(action));
        }
        assert_eq!(ActionId::parse("vote.maybe"), None);
    }

    #[test]
    fn button_values_are_compact_json() {
        let value = serde_json::to_string(&ItemRef {
            checklist: "l-1".into(),
            item: "war-room".into(),
        })
        .unwrap();
        assert_eq!(value, r#"{"c":"l-1","i":"war-room"}"#);
        assert_eq!(
            serde_json::from_str::<VoteRef>(r#"{"v":3}"#).unwrap(),
            VoteRef { vote: 3 }
        );
    }
}
