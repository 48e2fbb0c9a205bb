//! Checklist messages: the checklist itself, the reminder in its thread, the channel summary
//! and the modal asking why an item is reopened. One context struct per template.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Value};

use super::action_id::{scoped_value, ActionId, ItemRef, REOPEN_REASON_MODAL};
use super::format::{local, slack_date};
use super::limits::{self, truncate};
use super::port::Outgoing;
use super::render::{TemplateError, Templates};
use crate::domain::checklist::Progress;
use crate::domain::plan::{ChecklistItem, Plan};

/// Block and action ids of the reason input in the reopen modal.
pub use super::action_id::{REOPEN_REASON_BLOCK, REOPEN_REASON_INPUT};

#[derive(Serialize)]
struct ChecklistContext<'a> {
    title: &'a str,
    header: String,
    progress: String,
    deadline: Option<String>,
    items: Vec<ItemLine<'a>>,
}

#[derive(Serialize)]
struct ItemLine<'a> {
    block_id: String,
    text: &'a str,
    owner: String,
    done: bool,
    done_by: Option<String>,
    done_by_plain: Option<&'a str>,
    done_at: Option<String>,
    done_at_pt: Option<String>,
    action_id: &'static str,
    button: &'static str,
    value: String,
}

/// The block id of an item's section, which its button's clicks carry.
pub fn item_block_id(item: &str) -> String {
    format!("item:{item}")
}

/// A checklist with each item's owner and state, and a Confirm or Reopen button per item.
pub fn checklist(
    templates: &Templates,
    plan: &Plan,
    progress: &Progress,
    deadline: Option<DateTime<Utc>>,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let spec = &progress.spec;
    let items = spec
        .items
        .iter()
        .map(|item| item_line(plan, progress, item, zone))
        .collect();
    let context = ChecklistContext {
        title: &spec.title,
        header: truncate(&format!("Checklist: {}", spec.title), 150),
        progress: format!("{} of {} done", progress.done(), spec.items.len()),
        deadline: deadline.map(|at| slack_date(at, zone)),
        items,
    };
    templates.render("checklist", &context)
}

fn item_line<'a>(
    plan: &Plan,
    progress: &'a Progress,
    item: &'a ChecklistItem,
    zone: Tz,
) -> ItemLine<'a> {
    let done = progress.confirmed.get(&item.key);
    let (action, button) = match done {
        Some(_) => (ActionId::ChecklistReopen, "Reopen"),
        None => (ActionId::ChecklistConfirm, "Confirm"),
    };
    let value = ItemRef {
        checklist: progress.spec.key.clone(),
        item: item.key.clone(),
    };
    ItemLine {
        block_id: item_block_id(&item.key),
        text: &item.text,
        owner: plan.owner_name(&item.owner),
        done: done.is_some(),
        done_by: done.map(|c| format!("<@{}>", c.by)),
        done_by_plain: done.map(|c| c.by.as_str()),
        done_at: done.map(|c| slack_date(c.at, zone)),
        done_at_pt: done.map(|c| local(c.at, zone)),
        action_id: action.as_str(),
        button,
        value: scoped_value(&plan.release.id(), &value),
    }
}

#[derive(Serialize)]
struct ReminderContext<'a> {
    title: &'a str,
    open: usize,
    done: usize,
    total: usize,
    deadline: String,
    deadline_pt: String,
    items: Vec<ReminderLine<'a>>,
}

#[derive(Serialize)]
struct ReminderLine<'a> {
    text: &'a str,
    owner: String,
    mention: String,
}

/// The reminder to owners of open items (for the checklist's thread) and the channel summary.
pub fn reminder(
    templates: &Templates,
    plan: &Plan,
    progress: &Progress,
    deadline: DateTime<Utc>,
    mention: impl Fn(&ChecklistItem) -> String,
) -> Result<(Outgoing, Outgoing), TemplateError> {
    let zone = plan.release.timezone;
    let open = progress.open_items();
    let context = ReminderContext {
        title: &progress.spec.title,
        open: open.len(),
        done: progress.done(),
        total: progress.spec.items.len(),
        deadline: slack_date(deadline, zone),
        deadline_pt: local(deadline, zone),
        items: open
            .iter()
            .map(|item| ReminderLine {
                text: &item.text,
                owner: plan.owner_name(&item.owner),
                mention: mention(item),
            })
            .collect(),
    };
    Ok((
        templates.render("checklist_reminder", &context)?,
        templates.render("checklist_summary", &context)?,
    ))
}

/// The modal asking why an item is reopened; `item` of `release` rides along as private
/// metadata.
pub fn reopen_modal(release: &str, item: &ItemRef, text: &str) -> Value {
    limits::view(json!({
        "type": "modal",
        "callback_id": REOPEN_REASON_MODAL,
        "private_metadata": scoped_value(release, item),
        "title": { "type": "plain_text", "text": "Reopen item" },
        "submit": { "type": "plain_text", "text": "Reopen" },
        "close": { "type": "plain_text", "text": "Cancel" },
        "blocks": [
            {
                "type": "section",
                "text": { "type": "plain_text", "text": truncate(text, 2900) }
            },
            {
                "type": "input",
                "block_id": REOPEN_REASON_BLOCK,
                "label": { "type": "plain_text", "text": "Why is it reopened?" },
                "element": {
                    "type": "plain_text_input",
                    "action_id": REOPEN_REASON_INPUT,
                    "multiline": true
                }
            }
        ]
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::checklist::{ChecklistSpec, Confirmation};

    /// Slack's limits: 50 blocks, 3000 characters of section text, 75 of button text.
    fn within_limits(message: &Outgoing) {
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let blocks = blocks.as_array().unwrap();
        assert!(blocks.len() <= 50, "{} blocks", blocks.len());
        for block in blocks {
            if let Some(text) = block["text"]["text"].as_str() {
                assert!(text.chars().count() <= 3000, "{text}");
            }
            if let Some(button) = block["accessory"]["text"]["text"].as_str() {
                assert!(button.chars().count() <= 75, "{button}");
            }
        }
    }

    #[test]
    fn every_checklist_in_the_plan_renders_within_block_kit_limits() {
        let plan = Plan::embedded();
        let templates = Templates::new().unwrap();
        let specs = ChecklistSpec::all(&plan);
        let largest = specs.iter().map(|s| s.items.len()).max().unwrap();
        assert!(largest >= 8);
        for spec in specs {
            let at: DateTime<Utc> = "2026-03-09T18:00:00Z".parse().unwrap();
            // Every item confirmed is the longest rendering.
            let confirmed: HashMap<String, Confirmation> = spec
                .items
                .iter()
                .map(|i| {
                    let by = "U0123456789".to_string();
                    (i.key.clone(), Confirmation { by, at })
                })
                .collect();
            for confirmed in [HashMap::new(), confirmed] {
                let progress = Progress {
                    spec: spec.clone(),
                    confirmed,
                };
                let message = checklist(&templates, &plan, &progress, Some(at)).unwrap();
                within_limits(&message);
                assert_eq!(message.blocks.len(), spec.items.len() + 2);
            }
        }
    }

    #[test]
    fn a_confirmed_item_shows_who_and_when_and_offers_reopen() {
        let plan = Plan::embedded();
        let templates = Templates::new().unwrap();
        let at: DateTime<Utc> = "2026-03-09T18:00:00Z".parse().unwrap();
        let spec = ChecklistSpec::from_plan(&plan, "l-1").unwrap();
        let key = spec.items[1].key.clone();
        let progress = Progress {
            spec,
            confirmed: HashMap::from([(
                key,
                Confirmation {
                    by: "U1".into(),
                    at,
                },
            )]),
        };
        let message = checklist(&templates, &plan, &progress, None).unwrap();
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let item = &blocks[3];
        assert!(item["text"]["text"]
            .as_str()
            .unwrap()
            .contains("done by <@U1> at <!date^"));
        assert_eq!(item["accessory"]["action_id"], "checklist.reopen");
        assert_eq!(blocks[2]["accessory"]["action_id"], "checklist.confirm");
        assert!(message
            .text
            .starts_with("L-1 Day (Day Before): 1 of 7 done"));
    }
}
