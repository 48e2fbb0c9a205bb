//! Slack payloads as they arrive over HTTP or Socket Mode, and the button values and modal
//! metadata inside them: parsed or refused, never a panic.
#![no_main]

use golive::slack::action_id::{ActionId, IncidentRef, ItemRef, RunbookRef, StepRef, VoteRef};
use golive::slack::inbound::{self, Inbound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &str| {
    let _ = inbound::command_from_form(body);
    let _ = inbound::event_from_json(body);
    let _ = ActionId::parse(body);
    decode(body);
    interaction(body);
    // The body as the JSON an interaction form carries, so the fuzzer reaches the payload parser
    // without having to learn URL encoding first.
    if let Ok(form) = serde_urlencoded::to_string([("payload", body)]) {
        interaction(&form);
    }
});

fn interaction(form: &str) {
    match inbound::interaction_from_form(form) {
        Ok(Inbound::Action(action)) => decode(&action.value),
        Ok(Inbound::Submission(submission)) => decode(&submission.private_metadata),
        _ => {}
    }
}

fn decode(value: &str) {
    let _ = serde_json::from_str::<ItemRef>(value);
    let _ = serde_json::from_str::<VoteRef>(value);
    let _ = serde_json::from_str::<IncidentRef>(value);
    let _ = serde_json::from_str::<RunbookRef>(value);
    let _ = serde_json::from_str::<StepRef>(value);
}
