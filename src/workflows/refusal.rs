//! What a click or a modal submission gets back when it changes nothing: a refusal told to the
//! person, or an internal failure that is logged and answered with an apology.

use crate::slack::inbound::Action;
use crate::slack::messages::{self, Tone};
use crate::slack::port::Outgoing;
use crate::slack::port::SlackError;
use crate::slack::render::TemplateError;
use crate::state::AppState;
use crate::storage::StoreError;
use crate::workflows::WorkflowError;

/// Why a click or submission changed nothing.
#[derive(Debug)]
pub enum Refusal {
    /// Told to the person, ephemerally (or under the modal's input).
    Told(String),
    /// An internal failure; the person gets an apology.
    Failed(WorkflowError),
}

/// A refusal with this text.
pub fn told(text: impl Into<String>) -> Refusal {
    Refusal::Told(text.into())
}

impl Refusal {
    /// The text for the person; a failure is logged here, once.
    pub fn text(self) -> String {
        match self {
            Refusal::Told(text) => text,
            Refusal::Failed(error) => {
                tracing::error!(%error, "interaction failed");
                "Sorry, golive could not do that because of an internal error; nothing was changed."
                    .to_string()
            }
        }
    }
}

macro_rules! failed_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Refusal {
            fn from(error: $error) -> Self {
                Refusal::Failed(error.into())
            }
        }
    )*};
}

failed_from!(
    WorkflowError,
    StoreError,
    SlackError,
    TemplateError,
    sqlx::Error
);

/// Tells the person who clicked why nothing changed, visible only to them. Refusal texts are
/// golive's own mrkdwn (mentions included), so they are not escaped again.
pub async fn tell(state: &AppState, action: &Action, refusal: Refusal) {
    let text = refusal.text();
    let message = messages::notice(&state.templates, Tone::Refused, &text, &text)
        .unwrap_or_else(|_| Outgoing::text(text.clone()));
    let sent = state
        .slack
        .post_ephemeral(&action.channel, &action.user, &message)
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, "could not answer a click");
    }
}

/// Runs a click handler and tells the person any refusal; the result is for
/// `interactions::on_action`, which then has nothing more to say.
pub async fn answered(
    state: &AppState,
    action: &Action,
    outcome: Result<(), Refusal>,
) -> Result<(), String> {
    if let Err(refusal) = outcome {
        tell(state, action, refusal).await;
    }
    Ok(())
}
