//! The Home tab's Block Kit view. A home never exceeds Slack's 100 blocks: long lists end with
//! "and N more".

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::format::slack_date;
use super::limits::truncate;
use super::render::slack_escape;

/// Slack's limit on a Home view.
pub const MAX_BLOCKS: usize = 100;

/// Something waiting on the person, with its button's value.
#[derive(Debug, Clone)]
pub enum Waiting {
    Item {
        checklist: String,
        text: String,
        value: String,
    },
    Vote {
        deadline: DateTime<Utc>,
        value: String,
    },
    Incident {
        id: String,
        severity: String,
        summary: String,
        value: String,
    },
    Step {
        percent: u8,
        value: String,
    },
}

/// One launch on a person's Home.
#[derive(Debug, Clone)]
pub struct HomeLaunch {
    pub name: String,
    pub channel: String,
    pub zone: Tz,
    pub takes_part: bool,
    pub waiting: Vec<Waiting>,
    /// The next posts: title and time.
    pub next: Vec<(String, DateTime<Utc>)>,
    pub rollout: Option<String>,
    /// Open incidents, one line each (mrkdwn).
    pub incidents: Vec<String>,
    pub board_link: Option<String>,
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}})
}

fn button(text: &str, action_id: &str, value: &str, style: Option<&str>) -> Value {
    let mut button = json!({
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, 75)},
        "action_id": action_id,
        "value": value,
    });
    if let Some(style) = style {
        button["style"] = style.into();
    }
    button
}

fn waiting_blocks(item: &Waiting, zone: Tz) -> Vec<Value> {
    match item {
        Waiting::Item {
            checklist,
            text,
            value,
        } => {
            let mut block = section(&format!(
                ":ballot_box_with_check: {} _({})_",
                slack_escape(text),
                slack_escape(checklist)
            ));
            block["accessory"] = button("Confirm", "checklist.confirm", value, Some("primary"));
            vec![block]
        }
        Waiting::Vote { deadline, value } => vec![
            section(&format!(
                ":vertical_traffic_light: Your go/no-go vote, open until {}",
                slack_date(*deadline, zone)
            )),
            json!({"type": "actions", "elements": [
                button("Go", "vote.go", value, Some("primary")),
                button("No-Go", "vote.nogo", value, Some("danger")),
            ]}),
        ],
        Waiting::Incident {
            id,
            severity,
            summary,
            value,
        } => {
            let mut block = section(&format!(
                ":rotating_light: *{id}* ({severity}) is paging you: {}",
                slack_escape(summary)
            ));
            block["accessory"] = button("Acknowledge", "incident.ack", value, Some("primary"));
            vec![block]
        }
        Waiting::Step { percent, value } => {
            let mut block = section(&format!(
                ":triangular_flag_on_post: Rollout step {percent}% waits for confirmation"
            ));
            block["accessory"] = button(
                &format!("Apply {percent}%"),
                "rollout.apply",
                value,
                Some("primary"),
            );
            vec![block]
        }
    }
}

/// Blocks a launch takes besides what is waiting: header, context, the heading of the
/// waiting list, next posts, rollout and incidents, the board link, a divider.
const LAUNCH_FRAME: usize = 7;

/// The Home view of `launches` (the person's), naming the `others` golive runs.
pub fn home(launches: &[HomeLaunch], others: &[String]) -> Value {
    let mut blocks: Vec<Value> = Vec::new();
    if launches.is_empty() {
        let running = if others.is_empty() {
            "golive runs no launch.".to_string()
        } else {
            format!(
                "You take part in none of the launches golive runs: {}.",
                slack_escape(&others.join(", "))
            )
        };
        blocks.push(section(&running));
    }
    for (n, launch) in launches.iter().enumerate() {
        // Room for this launch's frame and every later one's.
        let reserve = LAUNCH_FRAME * (launches.len() - n) + 1;
        blocks.push(json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&launch.name, 150)}}));
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(&launch.channel)}]}));
        if launch.waiting.is_empty() {
            blocks.push(section(":white_check_mark: Nothing is waiting on you."));
        } else {
            blocks.push(section(&format!(
                "*Waiting on you* ({})",
                launch.waiting.len()
            )));
            let mut shown = 0;
            for item in &launch.waiting {
                let more = waiting_blocks(item, launch.zone);
                if blocks.len() + more.len() + reserve > MAX_BLOCKS {
                    break;
                }
                blocks.extend(more);
                shown += 1;
            }
            if shown < launch.waiting.len() {
                blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn",
                    "text": format!("and {} more", launch.waiting.len() - shown)}]}));
            }
        }
        let next: Vec<String> = launch
            .next
            .iter()
            .map(|(title, at)| {
                format!("{} · {}", slack_date(*at, launch.zone), slack_escape(title))
            })
            .collect();
        let next = if next.is_empty() {
            "Nothing more is planned.".to_string()
        } else {
            format!("*Next*\n{}", next.join("\n"))
        };
        blocks.push(section(&next));
        let mut status = Vec::new();
        if let Some(rollout) = &launch.rollout {
            status.push(rollout.clone());
        }
        if launch.incidents.is_empty() {
            status.push("No open incidents.".to_string());
        } else {
            let shown = launch.incidents.iter().take(5).cloned();
            status.push(format!(
                "*Open incidents*\n{}",
                shown.collect::<Vec<_>>().join("\n")
            ));
            if launch.incidents.len() > 5 {
                status.push(format!("and {} more", launch.incidents.len() - 5));
            }
        }
        blocks.push(section(&status.join("\n")));
        if let Some(link) = &launch.board_link {
            blocks.push(section(&format!(
                "<{link}|The war-room board> (link valid for a day)"
            )));
        }
        if n + 1 < launches.len() {
            blocks.push(json!({"type": "divider"}));
        }
    }
    blocks.truncate(MAX_BLOCKS);
    json!({"type": "home", "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(waiting: usize) -> HomeLaunch {
        HomeLaunch {
            name: "Summit 4.0.0".into(),
            channel: "#v4-launch".into(),
            zone: chrono_tz::America::Los_Angeles,
            takes_part: true,
            waiting: (0..waiting)
                .map(|n| Waiting::Item {
                    checklist: "L-1".into(),
                    text: format!("item {n}"),
                    value: "{}".into(),
                })
                .collect(),
            next: Vec::new(),
            rollout: None,
            incidents: Vec::new(),
            board_link: None,
        }
    }

    #[test]
    fn a_long_list_ends_with_and_n_more_within_a_hundred_blocks() {
        let view = home(&[launch(150), launch(150)], &[]);
        let blocks = view["blocks"].as_array().unwrap();
        assert!(blocks.len() <= MAX_BLOCKS, "{}", blocks.len());
        let text = view.to_string();
        assert!(
            text.contains("and 65 more") || text.contains(" more\""),
            "{text}"
        );
        assert_eq!(
            blocks.iter().filter(|b| b["type"] == "header").count(),
            2,
            "both launches are shown"
        );
    }
}
