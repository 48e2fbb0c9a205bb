//! Handlebars templates (`message-templates/`) → [`Outgoing`] messages.
//!
//! Templates produce JSON: `{"text": fallback, "blocks": [...]}`. The registry is strict (a
//! missing field is an error, not an empty string) and its escape makes any value safe inside a
//! JSON string *and* inside Slack mrkdwn (`&`, `<`, `>`). Text that is already mrkdwn (mentions,
//! dates) goes through the `mrkdwn` helper, which escapes for JSON only. Every rendered message is
//! parsed into slack-morphism blocks, so a broken template fails a test rather than a launch.

use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::limits;
use super::port::Outgoing;

/// The message templates, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "scheduled_post",
        include_str!("../../message-templates/scheduled_post.json.hbs"),
    ),
    (
        "status",
        include_str!("../../message-templates/status.json.hbs"),
    ),
    (
        "help",
        include_str!("../../message-templates/help.json.hbs"),
    ),
    (
        "timeline_day",
        include_str!("../../message-templates/timeline_day.json.hbs"),
    ),
    (
        "roles",
        include_str!("../../message-templates/roles.json.hbs"),
    ),
    (
        "notice",
        include_str!("../../message-templates/notice.json.hbs"),
    ),
    (
        "incident",
        include_str!("../../message-templates/incident.json.hbs"),
    ),
    (
        "incident_note",
        include_str!("../../message-templates/incident_note.json.hbs"),
    ),
    (
        "runbook",
        include_str!("../../message-templates/runbook.json.hbs"),
    ),
    (
        "incidents",
        include_str!("../../message-templates/incidents.json.hbs"),
    ),
    (
        "checklist",
        include_str!("../../message-templates/checklist.json.hbs"),
    ),
    (
        "checklist_reminder",
        include_str!("../../message-templates/checklist_reminder.json.hbs"),
    ),
    (
        "checklist_summary",
        include_str!("../../message-templates/checklist_summary.json.hbs"),
    ),
    (
        "vote",
        include_str!("../../message-templates/vote.json.hbs"),
    ),
    (
        "vote_decision",
        include_str!("../../message-templates/vote_decision.json.hbs"),
    ),
    (
        "gate_blocked",
        include_str!("../../message-templates/gate_blocked.json.hbs"),
    ),
    (
        "launches",
        include_str!("../../message-templates/launches.json.hbs"),
    ),
    (
        "scorecard",
        include_str!("../../message-templates/scorecard.json.hbs"),
    ),
    (
        "rollout_step",
        include_str!("../../message-templates/rollout_step.json.hbs"),
    ),
    (
        "rollout",
        include_str!("../../message-templates/rollout.json.hbs"),
    ),
];

/// Why a message could not be rendered: always a bug in a template or its context.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {source}")]
    Render {
        name: &'static str,
        source: Box<RenderError>,
    },
    #[error("template {name} produced invalid message JSON: {source}")]
    Json {
        name: &'static str,
        source: serde_json::Error,
    },
}

/// The compiled template registry.
pub struct Templates {
    registry: Handlebars<'static>,
}

/// A rendered template before it becomes slack-morphism blocks: limits are fitted on the JSON.
#[derive(Deserialize)]
struct RenderedJson {
    text: String,
    blocks: Vec<Value>,
}

impl Templates {
    /// Compiles every template; fails on a syntax error.
    pub fn new() -> Result<Self, Box<handlebars::TemplateError>> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(|s| json_escape(&slack_escape(s)));
        registry.register_helper("mrkdwn", Box::new(mrkdwn_helper));
        for (name, source) in TEMPLATES {
            registry
                .register_template_string(name, source)
                .map_err(Box::new)?;
        }
        Ok(Self { registry })
    }

    /// The name of every template, as [`Templates::render`] takes it.
    pub fn names() -> impl Iterator<Item = &'static str> {
        TEMPLATES.iter().map(|(name, _)| *name)
    }

    /// Renders `name` with `context` into a message.
    pub fn render<T: Serialize>(
        &self,
        name: &'static str,
        context: &T,
    ) -> Result<Outgoing, TemplateError> {
        let json = self
            .registry
            .render(name, context)
            .map_err(|e| TemplateError::Render {
                name,
                source: Box::new(e),
            })?;
        let mut rendered: RenderedJson =
            serde_json::from_str(&json).map_err(|source| TemplateError::Json { name, source })?;
        // Whatever a template was given, the message stays within Slack's limits.
        let fitted = limits::fit_message(&mut rendered.text, &mut rendered.blocks);
        if !fitted.untouched() {
            tracing::warn!(template = name, changes = ?fitted.changes, "message fitted to Slack's limits");
        }
        let blocks = serde_json::from_value(Value::Array(rendered.blocks))
            .map_err(|source| TemplateError::Json { name, source })?;
        let text = rendered.text;
        Ok(Outgoing {
            text,
            blocks,
            tag: None,
            thread_ts: None,
        })
    }
}

/// Writes a value that is already Slack mrkdwn, escaped for JSON only.
fn mrkdwn_helper(
    helper: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = helper.param(0).ok_or_else(|| {
        RenderError::from(handlebars::RenderErrorReason::ParamNotFoundForIndex(
            "mrkdwn", 0,
        ))
    })?;
    let text = match value.value() {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    out.write(&json_escape(&text))?;
    Ok(())
}

/// Escapes the three characters Slack mrkdwn treats as control characters.
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for the inside of a JSON string literal.
fn json_escape(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_escaped_for_json_and_slack() {
        let templates = Templates::new().unwrap();
        let message = templates
            .render(
                "notice",
                &json!({"text": "a \"b\" <c> & d", "emoji": ":x:", "body": "<@U1> ok"}),
            )
            .unwrap();
        assert_eq!(message.text, "a \"b\" &lt;c&gt; &amp; d");
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        assert_eq!(blocks[0]["text"]["text"], ":x: <@U1> ok");
    }

    #[test]
    fn a_missing_field_is_an_error_not_an_empty_string() {
        let templates = Templates::new().unwrap();
        let error = templates
            .render("notice", &json!({"text": "hi"}))
            .unwrap_err();
        assert!(matches!(error, TemplateError::Render { .. }), "{error}");
    }
}
