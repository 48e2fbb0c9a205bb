//! What every use case that answers a person returns, and how the edge shows it: as the
//! ephemeral reply to a command or click, or as the error under a modal's input. An internal
//! error is logged once, by the edge, and the person gets an apology.

use std::sync::Arc;

use crate::slack::format::users;
use crate::slack::messages::{self, Tone};
use crate::slack::port::Outgoing;
use crate::slack::render::{slack_escape, Templates};
use crate::workflows::WorkflowError;

/// A use case's answer, or the internal error the edge logs and apologises for.
pub type Answered = Result<Answer, WorkflowError>;

/// What the person who asked is told.
#[derive(Debug)]
pub enum Answer {
    /// A message of its own (help, a listing).
    Message(Outgoing),
    /// A message shared by every answer in the same second (a burst of `/golive status`).
    Shared(Arc<Outgoing>),
    /// Done; the text says what changed.
    Done(Text),
    /// Done, and it shows where the person acted (the message they clicked, its thread, a modal
    /// opened for them), so there is nothing more to tell.
    Shown,
    /// Nothing was changed, and why.
    Refused(Refusal),
}

/// Why nothing was changed and, where the rule is about people, who may.
#[derive(Debug)]
pub struct Refusal {
    pub why: Text,
    pub who_may: Option<WhoMay>,
}

/// The people a rule allows, named after the refusal ("Release managers: <@U1>.").
#[derive(Debug)]
pub struct WhoMay {
    pub title: &'static str,
    pub people: Vec<String>,
}

/// A text in two forms: the plain fallback and the mrkdwn shown in the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub plain: String,
    pub mrkdwn: String,
}

/// The apology for an internal error; the cause is in the log.
pub const APOLOGY: &str = "Sorry, golive could not do that because of an internal error; nothing was changed. The error is in golive's log.";

/// The answer while the database cannot be reached: the change waits for it, not for a fix.
pub const UNREACHABLE: &str = "golive cannot save this right now: its database is unreachable. Nothing was changed; try again in a minute.";

/// What an error that reached the person says.
fn apology_for(error: &WorkflowError) -> &'static str {
    match error {
        WorkflowError::Store(store) if store.is_unreachable() => UNREACHABLE,
        _ => APOLOGY,
    }
}

impl Text {
    /// Text that may hold what someone typed: escaped, so Slack reads no markup in it.
    pub fn plain(text: impl Into<String>) -> Self {
        let plain = text.into();
        Self {
            mrkdwn: slack_escape(&plain),
            plain,
        }
    }

    /// golive's own mrkdwn (mentions, code), shown as written and used as the fallback too.
    pub fn mrkdwn(text: impl Into<String>) -> Self {
        let mrkdwn = text.into();
        Self {
            plain: mrkdwn.clone(),
            mrkdwn,
        }
    }

    /// A fallback and a richer mrkdwn form of the same words.
    pub fn new(plain: impl Into<String>, mrkdwn: impl Into<String>) -> Self {
        Self {
            plain: plain.into(),
            mrkdwn: mrkdwn.into(),
        }
    }
}

impl Refusal {
    pub fn new(why: Text) -> Self {
        Self { why, who_may: None }
    }

    /// The same refusal, naming who may (in the message, not the fallback).
    pub fn naming(self, title: &'static str, people: Vec<String>) -> Self {
        Self {
            who_may: Some(WhoMay { title, people }),
            ..self
        }
    }

    /// The refusal's mrkdwn, with who may.
    fn mrkdwn(&self) -> String {
        let Some(who_may) = &self.who_may else {
            return self.why.mrkdwn.clone();
        };
        let people = if who_may.people.is_empty() {
            "nobody yet".to_string()
        } else {
            users(&who_may.people)
        };
        format!("{} {}: {people}.", self.why.mrkdwn, who_may.title)
    }
}

impl From<Refusal> for Answer {
    fn from(refusal: Refusal) -> Self {
        Answer::Refused(refusal)
    }
}

impl Answer {
    pub fn done(text: Text) -> Self {
        Answer::Done(text)
    }

    pub fn refused(why: Text) -> Self {
        Answer::Refused(Refusal::new(why))
    }

    /// The ephemeral message; None when there is nothing more to tell.
    fn message(self, templates: &Templates) -> Option<Arc<Outgoing>> {
        let (tone, plain, mrkdwn) = match self {
            Answer::Message(message) => return Some(Arc::new(message)),
            Answer::Shared(message) => return Some(message),
            Answer::Shown => return None,
            Answer::Done(text) => (Tone::Done, text.plain, text.mrkdwn),
            Answer::Refused(refusal) => {
                let mrkdwn = refusal.mrkdwn();
                (Tone::Refused, refusal.why.plain, mrkdwn)
            }
        };
        Some(Arc::new(notice(templates, tone, plain, &mrkdwn)))
    }
}

/// The ephemeral reply to a command or click; None when there is nothing more to tell. An
/// internal error goes to `log`, once, and is answered with the apology.
pub fn reply(
    templates: &Templates,
    answered: Answered,
    log: impl FnOnce(&WorkflowError),
) -> Option<Arc<Outgoing>> {
    match answered {
        Ok(answer) => answer.message(templates),
        Err(error) => {
            log(&error);
            let apology = apology_for(&error);
            let apology = notice(templates, Tone::Error, apology.to_string(), apology);
            Some(Arc::new(apology))
        }
    }
}

/// The error to show under a modal's input (which keeps it open); None lets the modal close.
/// An internal error goes to `log`, once, and is answered with the apology.
pub fn input_error(answered: Answered, log: impl FnOnce(&WorkflowError)) -> Option<String> {
    match answered {
        Ok(Answer::Refused(refusal)) => Some(refusal.why.plain),
        Ok(Answer::Message(_) | Answer::Shared(_) | Answer::Done(_) | Answer::Shown) => None,
        Err(error) => {
            log(&error);
            Some(apology_for(&error).to_string())
        }
    }
}

/// A notice, or its fallback text alone should the template fail: a reply is always sent.
fn notice(templates: &Templates, tone: Tone, plain: String, mrkdwn: &str) -> Outgoing {
    messages::notice(templates, tone, &plain, mrkdwn).unwrap_or_else(|_| Outgoing::text(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoreError;

    fn templates() -> Templates {
        Templates::new().expect("the templates parse")
    }

    fn shown(outgoing: &Outgoing) -> String {
        let blocks = serde_json::to_string(&outgoing.blocks).unwrap_or_default();
        format!("{} {blocks}", outgoing.text)
    }

    fn unlogged(error: &WorkflowError) {
        panic!("logged {error}");
    }

    #[test]
    fn done_is_a_confirmation_with_its_mrkdwn() {
        let text = Text::new("Role is now held by U1.", "*Role* is now held by <@U1>.");
        let reply = reply(&templates(), Ok(Answer::done(text)), unlogged).expect("a reply");
        assert_eq!(reply.text, "Role is now held by U1.");
        let shown = shown(&reply);
        assert!(
            shown.contains(":white_check_mark: *Role* is now held by <@U1>."),
            "{shown}"
        );
    }

    #[test]
    fn typed_text_is_escaped_in_the_message() {
        let answer = Answer::refused(Text::plain("No runbook `<!channel>`."));
        let reply = reply(&templates(), Ok(answer), unlogged).expect("a reply");
        let shown = shown(&reply);
        assert!(
            shown.contains(":no_entry: No runbook `&lt;!channel&gt;`."),
            "{shown}"
        );
        assert!(!shown.contains("<!channel>"), "{shown}");
    }

    #[test]
    fn a_refusal_names_who_may_in_the_message() {
        let why = Text::mrkdwn("Only release managers can set L-Day; nothing was changed.");
        let people = vec!["U1".to_string(), "U2".to_string()];
        let answer = Refusal::new(why).naming("Release managers", people).into();
        let reply = reply(&templates(), Ok(answer), unlogged).expect("a reply");
        assert_eq!(
            reply.text,
            "Only release managers can set L-Day; nothing was changed."
        );
        let shown = shown(&reply);
        assert!(
            shown.contains("nothing was changed. Release managers: <@U1> <@U2>."),
            "{shown}"
        );
    }

    #[test]
    fn a_rule_nobody_holds_yet_says_so() {
        let refusal = Refusal::new(Text::mrkdwn("Only release managers can."))
            .naming("Release managers", Vec::new());
        assert_eq!(
            refusal.mrkdwn(),
            "Only release managers can. Release managers: nobody yet."
        );
    }

    #[test]
    fn a_message_is_sent_as_it_is_and_shown_sends_nothing() {
        let message = Outgoing::text("status");
        let sent = reply(&templates(), Ok(Answer::Message(message.clone())), unlogged);
        assert_eq!(sent, Some(Arc::new(message)));
        assert_eq!(reply(&templates(), Ok(Answer::Shown), unlogged), None);
    }

    #[test]
    fn an_internal_error_is_logged_once_and_answered_with_the_apology() {
        let error = || WorkflowError::Store(StoreError::Corrupt("disk on fire".into()));
        let mut logged = Vec::new();
        let sent = reply(&templates(), Err(error()), |e| logged.push(e.to_string()));
        let sent = sent.expect("an apology");
        assert_eq!(sent.text, APOLOGY);
        assert!(shown(&sent).contains(":warning:"));
        let under_input = input_error(Err(error()), |e| logged.push(e.to_string()));
        assert_eq!(under_input.as_deref(), Some(APOLOGY));
        assert_eq!(logged.len(), 2, "{logged:?}");
        assert!(
            logged.iter().all(|e| e.contains("disk on fire")),
            "{logged:?}"
        );
    }

    #[test]
    fn a_database_out_of_reach_is_said_as_such() {
        let error = WorkflowError::Store(StoreError::Database(sqlx::Error::PoolTimedOut));
        let sent = reply(&templates(), Err(error), |_| {}).expect("an answer");
        assert_eq!(sent.text, UNREACHABLE);
    }

    #[test]
    fn a_modal_shows_only_a_refusal_under_its_input() {
        let refused = Answer::refused(Text::mrkdwn("A No-Go needs a reason."));
        assert_eq!(
            input_error(Ok(refused), unlogged).as_deref(),
            Some("A No-Go needs a reason.")
        );
        assert_eq!(input_error(Ok(Answer::Shown), unlogged), None);
    }
}
