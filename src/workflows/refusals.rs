//! Telling the release managers when Slack refused a message that golive then sent as plain
//! text (see [`crate::slack::reduced`]): the message went out, but without its buttons, and
//! someone should know why.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::slack::messages::{self, Tone};
use crate::slack::port::SlackPort;
use crate::slack::reduced::Refused;
use crate::state::AppState;

/// Reports refusals until `shutdown`. Refusals that arrive together are told in one message,
/// once. `direct` is the port under the reducing wrapper, so a notice can never report itself.
pub async fn report(
    state: AppState,
    direct: Arc<dyn SlackPort>,
    mut refusals: mpsc::Receiver<Refused>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let first = tokio::select! {
            refused = refusals.recv() => refused,
            _ = shutdown.wait_for(|stop| *stop) => None,
        };
        let Some(first) = first else { return };
        let mut batch = vec![first];
        while let Ok(more) = refusals.try_recv() {
            batch.push(more);
        }
        tell(&state, direct.as_ref(), &batch).await;
    }
}

async fn tell(state: &AppState, direct: &dyn SlackPort, batch: &[Refused]) {
    let text = notice_text(batch);
    let Ok(notice) = messages::notice(&state.templates, Tone::Error, &text, &text) else {
        return;
    };
    for manager in managers_of(state, &batch[0].to) {
        if let Err(error) = direct.post(&manager, &notice).await {
            tracing::error!(%error, manager, "could not tell a release manager of a refused message");
        }
    }
}

/// Who hears of a refusal: the release managers of the launch whose channel it was for, else
/// (a direct message) those of every launch.
fn managers_of(state: &AppState, to: &str) -> Vec<String> {
    let launches = match state.launches.in_channel(to) {
        Some(release) => vec![release],
        None => state.launches.all().to_vec(),
    };
    let mut managers: Vec<String> = Vec::new();
    for release in launches {
        for manager in state.for_release(release).release_managers() {
            if !managers.contains(&manager) {
                managers.push(manager);
            }
        }
    }
    managers
}

/// The notice for refusals that arrived together.
fn notice_text(batch: &[Refused]) -> String {
    let first = &batch[0];
    let others = match batch.len() {
        1 => String::new(),
        n => format!(" ({} more like it)", n - 1),
    };
    format!(
        "Slack refused a message as it was ({}, {}) and golive sent it as plain text, without its buttons{others}. It began: “{}”. golive's log has the details.",
        first.method, first.code, first.preview
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str) -> Refused {
        Refused {
            method: "chat.postMessage",
            to: "C1".into(),
            code: code.into(),
            preview: "INC-1 (P1): checkout…".into(),
        }
    }

    #[test]
    fn one_notice_names_the_refusal_and_counts_the_rest() {
        let text = notice_text(&[refused("invalid_blocks"), refused("msg_too_long")]);
        assert!(text.contains("invalid_blocks"), "{text}");
        assert!(text.contains("1 more like it"), "{text}");
        assert!(text.contains("INC-1 (P1): checkout…"), "{text}");
    }
}
