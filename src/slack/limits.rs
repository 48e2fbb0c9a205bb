//! Slack's Block Kit limits, enforced where messages are rendered.
//!
//! Slack refuses a whole message (`invalid_blocks`, `msg_too_long`) when one part of it is over
//! a limit, and a refused message is a post nobody sees. Every message and view golive renders
//! passes through [`fit_message`] or [`fit_view`], which shorten what is too long and drop what
//! is too many, so no template and no input can produce a message Slack refuses for its size.
//! Lists meant to be read whole are bounded earlier, with [`pack_lines`], so that they end with
//! "and N more" instead of being cut mid-line.
//!
//! Lengths are counted in UTF-16 code units, which is never less than Slack's character count.

use serde_json::Value;

/// Blocks in one message.
pub const MESSAGE_BLOCKS: usize = 50;
/// Blocks in a modal or a Home tab.
pub const VIEW_BLOCKS: usize = 100;
/// A section's text; also the default for any text object.
pub const SECTION_TEXT: usize = 3_000;
/// A header's text.
pub const HEADER_TEXT: usize = 150;
/// Fields in a section, and each field's text.
pub const FIELDS: usize = 10;
pub const FIELD_TEXT: usize = 2_000;
/// Elements in a context block.
pub const CONTEXT_ELEMENTS: usize = 10;
/// Elements in an actions block.
pub const ACTIONS_ELEMENTS: usize = 25;
/// A button's (or an option's) text, and a button's value.
pub const BUTTON_TEXT: usize = 75;
pub const BUTTON_VALUE: usize = 2_000;
/// An input's label and hint, and an input's placeholder.
pub const LABEL_TEXT: usize = 2_000;
pub const PLACEHOLDER_TEXT: usize = 150;
/// A modal's title, submit and close texts.
pub const MODAL_TITLE: usize = 24;
/// A block id or an action id.
pub const ID: usize = 255;
/// The top-level fallback text: Slack truncates past 40,000; notifications read far less.
pub const FALLBACK_TEXT: usize = 4_000;

/// The marker put where text was cut.
const CUT: char = '…';

/// Length as Slack counts it (conservatively: UTF-16 code units).
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` shortened to at most `max` units, ending in "…" when cut. The cut never falls inside
/// a mrkdwn token (`<@U…>`, `<!date^…|…>`, `<https://…|…>`), which would show as broken markup,
/// nor inside an HTML entity (`&amp;`).
pub fn truncate(text: &str, max: usize) -> String {
    if length(text) <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(length("…"));
    let mut end = 0;
    let mut used = 0;
    for (index, c) in text.char_indices() {
        used += c.len_utf16();
        if used > budget {
            break;
        }
        end = index + c.len_utf8();
    }
    let mut kept = &text[..end];
    if let Some(open) = kept.rfind('<') {
        if !kept[open..].contains('>') {
            kept = &kept[..open];
        }
    }
    if let Some(amp) = kept.rfind('&') {
        if !kept[amp..].contains(';') && kept.len() - amp <= "&amp;".len() {
            kept = &kept[..amp];
        }
    }
    let mut out = kept.trim_end().to_string();
    out.push(CUT);
    out
}

/// Joins `lines` one per line into at most `budget` units. Lines that do not fit are left out
/// and counted: the result then ends with `more(n)`, e.g. "…and 12 more: `/golive incidents`".
/// Each line is shortened to `line_max` first, so one long line cannot crowd out the rest.
pub fn pack_lines(
    lines: &[String],
    budget: usize,
    line_max: usize,
    more: impl Fn(usize) -> String,
) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let line = truncate(line, line_max);
        let left = lines.len() - index - 1;
        // Room must remain for the "and N more" line if anything after this one is left out.
        let tail = if left > 0 { length(&more(left)) + 1 } else { 0 };
        let separator = usize::from(!out.is_empty());
        if length(&out) + separator + length(&line) + tail > budget {
            let tail = more(lines.len() - index);
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&tail);
            return truncate(&out, budget);
        }
        if separator == 1 {
            out.push('\n');
        }
        out.push_str(&line);
    }
    out
}

/// What [`fit_message`] or [`fit_view`] had to change, for the log: empty when nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fitted {
    pub changes: Vec<String>,
}

impl Fitted {
    fn note(&mut self, what: impl Into<String>) {
        self.changes.push(what.into());
    }

    /// Whether the message was within every limit already.
    pub fn untouched(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Brings a message's fallback text and blocks within Slack's message limits.
pub fn fit_message(text: &mut String, blocks: &mut Vec<Value>) -> Fitted {
    let mut fitted = Fitted::default();
    if length(text) > FALLBACK_TEXT {
        *text = truncate(text, FALLBACK_TEXT);
        fitted.note("fallback text shortened");
    }
    fit_blocks(blocks, MESSAGE_BLOCKS, &mut fitted);
    fitted
}

/// Brings a modal or Home view (`{"type": "modal", "title": …, "blocks": […]}`) within limits.
pub fn fit_view(view: &mut Value) -> Fitted {
    let mut fitted = Fitted::default();
    for key in ["title", "submit", "close"] {
        fit_text_at(view, key, MODAL_TITLE, key, &mut fitted);
    }
    if let Some(Value::String(metadata)) = view.get_mut("private_metadata") {
        if length(metadata) > SECTION_TEXT {
            // Cut metadata is garbage; it means a bug, so say so loudly rather than mangle it.
            fitted.note("private_metadata over 3000 (left as is)");
        }
    }
    if let Some(Value::Array(blocks)) = view.get_mut("blocks") {
        fit_blocks(blocks, VIEW_BLOCKS, &mut fitted);
    }
    fitted
}

/// A view fitted to Slack's limits; what had to change is logged.
pub fn view(mut view: Value) -> Value {
    let fitted = fit_view(&mut view);
    if !fitted.untouched() {
        tracing::warn!(changes = ?fitted.changes, "view fitted to Slack's limits");
    }
    view
}

fn fit_blocks(blocks: &mut Vec<Value>, max: usize, fitted: &mut Fitted) {
    if blocks.len() > max {
        let dropped = blocks.len() - (max - 1);
        blocks.truncate(max - 1);
        blocks.push(serde_json::json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("…and {dropped} more not shown") }]
        }));
        fitted.note(format!("{dropped} blocks dropped"));
    }
    for block in blocks.iter_mut() {
        fit_block(block, fitted);
    }
}

fn fit_block(block: &mut Value, fitted: &mut Fitted) {
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    fit_id(block, "block_id", fitted);
    match kind.as_str() {
        "header" => fit_text_at(block, "text", HEADER_TEXT, "header", fitted),
        "section" => {
            fit_text_at(block, "text", SECTION_TEXT, "section", fitted);
            if let Some(Value::Array(fields)) = block.get_mut("fields") {
                fit_list(fields, FIELDS, "fields", fitted);
                for field in fields.iter_mut() {
                    fit_text_object(field, FIELD_TEXT, "field", fitted);
                }
            }
            if let Some(accessory) = block.get_mut("accessory") {
                fit_element(accessory, fitted);
            }
        }
        "context" => {
            if let Some(Value::Array(elements)) = block.get_mut("elements") {
                fit_list(elements, CONTEXT_ELEMENTS, "context elements", fitted);
                for element in elements.iter_mut() {
                    fit_text_object(element, SECTION_TEXT, "context", fitted);
                }
            }
        }
        "actions" => {
            if let Some(Value::Array(elements)) = block.get_mut("elements") {
                fit_list(elements, ACTIONS_ELEMENTS, "actions", fitted);
                for element in elements.iter_mut() {
                    fit_element(element, fitted);
                }
            }
        }
        "input" => {
            fit_text_at(block, "label", LABEL_TEXT, "label", fitted);
            fit_text_at(block, "hint", LABEL_TEXT, "hint", fitted);
            if let Some(element) = block.get_mut("element") {
                fit_element(element, fitted);
            }
        }
        _ => {}
    }
}

fn fit_element(element: &mut Value, fitted: &mut Fitted) {
    fit_id(element, "action_id", fitted);
    fit_text_at(element, "text", BUTTON_TEXT, "button", fitted);
    fit_text_at(
        element,
        "placeholder",
        PLACEHOLDER_TEXT,
        "placeholder",
        fitted,
    );
    if let Some(Value::String(value)) = element.get_mut("value") {
        if length(value) > BUTTON_VALUE {
            // A cut value would not decode; golive's values are small structs, so this is a bug.
            fitted.note("button value over 2000 (left as is)");
        }
    }
    if let Some(Value::Array(options)) = element.get_mut("options") {
        for option in options.iter_mut() {
            fit_text_at(option, "text", BUTTON_TEXT, "option", fitted);
            fit_text_at(option, "description", BUTTON_TEXT, "option", fitted);
        }
    }
}

/// Shortens `{"type": …, "text": "…"}` in place; anything else is left alone.
fn fit_text_object(object: &mut Value, max: usize, what: &str, fitted: &mut Fitted) {
    if let Some(Value::String(text)) = object.get_mut("text") {
        if length(text) > max {
            *text = truncate(text, max);
            fitted.note(format!("{what} text shortened to {max}"));
        }
    }
}

/// As [`fit_text_object`] for `parent[key]`, when present (indexing would insert a null).
fn fit_text_at(parent: &mut Value, key: &str, max: usize, what: &str, fitted: &mut Fitted) {
    if let Some(object) = parent.get_mut(key) {
        fit_text_object(object, max, what, fitted);
    }
}

fn fit_list(list: &mut Vec<Value>, max: usize, what: &str, fitted: &mut Fitted) {
    if list.len() > max {
        fitted.note(format!("{} {what} dropped", list.len() - max));
        list.truncate(max);
    }
}

fn fit_id(object: &mut Value, key: &str, fitted: &mut Fitted) {
    if let Some(Value::String(id)) = object.get_mut(key) {
        if id.len() > ID {
            fitted.note(format!("{key} over {ID} (left as is)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_text_is_kept_as_it_is() {
        assert_eq!(truncate("hello", 5), "hello");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_and_marked() {
        let cut = truncate(&"é".repeat(10), 5);
        assert_eq!(cut, "éééé…");
        assert!(length(&cut) <= 5);
    }

    #[test]
    fn characters_outside_the_basic_plane_count_twice() {
        let cut = truncate(&"🚀".repeat(10), 5);
        assert_eq!(cut, "🚀🚀…");
    }

    #[test]
    fn a_cut_never_leaves_half_a_mention_or_entity() {
        assert_eq!(truncate("see <@U0123456789> now", 12), "see…");
        assert_eq!(truncate("fish &amp; chips", 9), "fish…");
    }

    #[test]
    fn packed_lines_end_with_how_many_were_left_out() {
        let lines: Vec<String> = (1..=100).map(|n| format!("line {n}")).collect();
        let packed = pack_lines(&lines, 60, 100, |n| format!("…and {n} more"));
        assert!(length(&packed) <= 60, "{packed}");
        let shown = packed.lines().filter(|l| l.starts_with("line")).count();
        assert!(
            packed.ends_with(&format!("…and {} more", 100 - shown)),
            "{packed}"
        );
    }

    #[test]
    fn packed_lines_that_fit_are_all_shown() {
        let lines = vec!["a".to_string(), "b".to_string()];
        assert_eq!(pack_lines(&lines, 60, 100, |n| format!("{n} more")), "a\nb");
    }

    #[test]
    fn a_message_over_every_limit_is_brought_within_them() {
        let long = "x".repeat(5_000);
        let mut text = long.clone();
        let mut blocks: Vec<Value> = (0..60)
            .map(|_| json!({"type": "section", "text": {"type": "mrkdwn", "text": long}}))
            .collect();
        blocks[0] = json!({"type": "header", "text": {"type": "plain_text", "text": long}});
        blocks[1] = json!({"type": "actions", "elements": [
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": long}, "value": "v"}
        ]});
        blocks[2] = json!({"type": "section", "fields": (0..12)
            .map(|_| json!({"type": "mrkdwn", "text": long})).collect::<Vec<_>>()});
        let fitted = fit_message(&mut text, &mut blocks);
        assert!(!fitted.untouched());
        assert!(length(&text) <= FALLBACK_TEXT);
        assert_eq!(blocks.len(), MESSAGE_BLOCKS);
        assert!(length(blocks[0]["text"]["text"].as_str().unwrap()) <= HEADER_TEXT);
        let button = blocks[1]["elements"][0]["text"]["text"].as_str().unwrap();
        assert!(length(button) <= BUTTON_TEXT);
        assert_eq!(blocks[2]["fields"].as_array().unwrap().len(), FIELDS);
        assert!(length(blocks[2]["fields"][0]["text"].as_str().unwrap()) <= FIELD_TEXT);
        assert!(length(blocks[3]["text"]["text"].as_str().unwrap()) <= SECTION_TEXT);
        assert!(blocks[2].get("hint").is_none() && blocks[3].get("hint").is_none());
    }

    #[test]
    fn fitting_adds_nothing_to_blocks_it_leaves_alone() {
        let mut text = "hi".to_string();
        let original = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": "hi"}})];
        let mut blocks = original.clone();
        assert!(fit_message(&mut text, &mut blocks).untouched());
        assert_eq!(blocks, original);
    }
}
