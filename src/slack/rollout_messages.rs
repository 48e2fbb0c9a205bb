//! The rollout's messages: a step's post (the milestone's post with the step's state and its
//! Apply and Hold buttons), and `/golive rollout`.

use serde::Serialize;

use super::action_id::{scoped_value, FlagStepRef};
use super::port::Outgoing;
use super::render::{TemplateError, Templates};

/// How a step's post shows the step now.
#[derive(Debug, Clone)]
pub struct StepView {
    pub percent: u8,
    /// The state line, plain and as mrkdwn (with mentions).
    pub plain: String,
    pub body: String,
    /// Whether Apply and Hold are offered.
    pub open: bool,
}

#[derive(Serialize)]
struct StepContext {
    plain: String,
    body: String,
    buttons: bool,
    percent: u8,
    value: String,
}

/// `post` (the milestone's or the step's own post) with the step's state and buttons.
pub fn step_post(
    templates: &Templates,
    release_id: &str,
    mut post: Outgoing,
    view: &StepView,
) -> Result<Outgoing, TemplateError> {
    let step = templates.render(
        "rollout_step",
        &StepContext {
            plain: view.plain.clone(),
            body: view.body.clone(),
            buttons: view.open,
            percent: view.percent,
            value: scoped_value(
                release_id,
                &FlagStepRef {
                    percent: view.percent,
                },
            ),
        },
    )?;
    post.text = format!("{}\n{}", post.text, step.text);
    post.blocks.extend(step.blocks);
    Ok(post)
}

#[derive(Serialize)]
struct ListContext<'a> {
    header: &'a str,
    plain: String,
    body: String,
    hint: &'static str,
}

const HINT: &str = "`/golive rollout pause [reason]` · `resume` · `set <N>%` · `back` · `kill` (release managers and the rollout's team)";

/// `/golive rollout`: a header line, then one line per step and the flag server's reading.
pub fn rollout(
    templates: &Templates,
    header: &str,
    lines: &[(String, String)],
) -> Result<Outgoing, TemplateError> {
    let plain: Vec<&str> = lines.iter().map(|(p, _)| p.as_str()).collect();
    let body: Vec<&str> = lines.iter().map(|(_, b)| b.as_str()).collect();
    templates.render(
        "rollout",
        &ListContext {
            header,
            plain: format!("{header}\n{}", plain.join("\n")),
            body: body.join("\n"),
            hint: HINT,
        },
    )
}
