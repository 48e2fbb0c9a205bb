//! Slack's Block Kit limits, as Slack enforces them: a message or view over any of them is
//! refused whole (`invalid_blocks`, `msg_too_long`). The fake checks every message and view it
//! is sent, so a test cannot pass with a message real Slack would refuse. Lengths are counted
//! in characters, as Slack's documentation states them.

use serde_json::Value;

/// Why Slack would refuse a message: its error code and what was over the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub why: String,
}

fn refuse(code: &'static str, why: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        code,
        why: why.into(),
    })
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Checks a message's fallback text and blocks (`blocks` is `Value::Null` when there are none).
pub fn check_message(text: &str, blocks: &Value) -> Result<(), Refusal> {
    if chars(text) > 40_000 {
        return refuse("msg_too_long", format!("text of {} chars", chars(text)));
    }
    check_blocks(blocks, 50)
}

/// Checks a modal or Home view.
pub fn check_view(view: &Value) -> Result<(), Refusal> {
    for key in ["title", "submit", "close"] {
        within(&view[key], 24, key)?;
    }
    if let Some(metadata) = view["private_metadata"].as_str() {
        if chars(metadata) > 3_000 {
            return refuse("invalid_arguments", "private_metadata over 3000");
        }
    }
    check_blocks(&view["blocks"], 100)
}

fn check_blocks(blocks: &Value, max: usize) -> Result<(), Refusal> {
    let Some(blocks) = blocks.as_array() else {
        return Ok(());
    };
    if blocks.len() > max {
        return refuse(
            "invalid_blocks",
            format!("{} blocks (max {max})", blocks.len()),
        );
    }
    for block in blocks {
        check_block(block)?;
    }
    Ok(())
}

fn check_block(block: &Value) -> Result<(), Refusal> {
    id(&block["block_id"], "block_id")?;
    match block["type"].as_str().unwrap_or_default() {
        "header" => within(&block["text"], 150, "header"),
        "section" => {
            within(&block["text"], 3_000, "section text")?;
            if let Some(fields) = block["fields"].as_array() {
                if fields.len() > 10 {
                    return refuse("invalid_blocks", format!("{} fields", fields.len()));
                }
                for field in fields {
                    within(field, 2_000, "field")?;
                }
            }
            if block["text"].is_null() && block["fields"].is_null() {
                return refuse("invalid_blocks", "section without text or fields");
            }
            element(&block["accessory"])
        }
        "context" => {
            let elements = block["elements"].as_array().cloned().unwrap_or_default();
            if elements.is_empty() || elements.len() > 10 {
                return refuse(
                    "invalid_blocks",
                    format!("{} context elements", elements.len()),
                );
            }
            elements
                .iter()
                .try_for_each(|e| within(e, 3_000, "context element"))
        }
        "actions" => {
            let elements = block["elements"].as_array().cloned().unwrap_or_default();
            if elements.is_empty() || elements.len() > 25 {
                return refuse(
                    "invalid_blocks",
                    format!("{} action elements", elements.len()),
                );
            }
            elements.iter().try_for_each(element)
        }
        "input" => {
            within(&block["label"], 2_000, "input label")?;
            within(&block["hint"], 2_000, "input hint")?;
            element(&block["element"])
        }
        "divider" | "image" | "rich_text" | "markdown" => Ok(()),
        other => refuse("invalid_blocks", format!("unknown block type {other:?}")),
    }
}

fn element(element: &Value) -> Result<(), Refusal> {
    if element.is_null() {
        return Ok(());
    }
    id(&element["action_id"], "action_id")?;
    within(&element["placeholder"], 150, "placeholder")?;
    if element["type"] == "button" {
        within(&element["text"], 75, "button text")?;
        if let Some(value) = element["value"].as_str() {
            if chars(value) > 2_000 {
                return refuse("invalid_blocks", "button value over 2000");
            }
        }
    }
    if let Some(options) = element["options"].as_array() {
        for option in options {
            within(&option["text"], 75, "option text")?;
        }
    }
    Ok(())
}

/// A text object's text within `max` characters (absent objects pass).
fn within(object: &Value, max: usize, what: &str) -> Result<(), Refusal> {
    match object["text"].as_str() {
        Some(text) if chars(text) > max => refuse(
            "invalid_blocks",
            format!("{what} of {} chars (max {max})", chars(text)),
        ),
        _ => Ok(()),
    }
}

fn id(value: &Value, what: &str) -> Result<(), Refusal> {
    match value.as_str() {
        Some(id) if chars(id) > 255 => refuse("invalid_blocks", format!("{what} over 255")),
        _ => Ok(()),
    }
}
