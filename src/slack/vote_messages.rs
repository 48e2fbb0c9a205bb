//! Go/no-go messages: the vote with its live tally, the decision, the modal asking for a No-Go
//! reason, and the blocked production-deployment milestone. One context struct per template.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::action_id::{
    scoped_value, ActionId, VoteRef, NO_GO_REASON_BLOCK, NO_GO_REASON_INPUT, NO_GO_REASON_MODAL,
};
use super::format::{duration, local, slack_date, users};
use super::limits::{self, truncate};
use super::port::Outgoing;
use super::render::{slack_escape, TemplateError, Templates};
use crate::domain::plan::Plan;
use crate::domain::timeline::Occurrence;
use crate::domain::vote::{Choice, Outcome, Vote, VoteState};

#[derive(Serialize)]
struct VoteContext {
    header: String,
    question: String,
    deadline: String,
    deadline_pt: String,
    rule: &'static str,
    /// The voter lines (mrkdwn), cut into sections within Slack's 3,000 characters each.
    voter_sections: Vec<String>,
    tally: String,
    open: bool,
    decision: Option<&'static str>,
    value: String,
    go_action: &'static str,
    no_go_action: &'static str,
}

/// Most characters golive puts in one section's text (Slack allows 3,000).
const SECTION_TEXT: usize = 2_900;

/// "✅ <@U1> (QA Lead): Go" or "⛔ <@U1> (QA Lead): No-Go: _reason_".
fn voter_line(vote: &Vote, voter: &crate::domain::vote::Voter) -> String {
    let ballot = vote.ballots.iter().find(|b| b.voter == voter.user);
    let (emoji, said) = match ballot.map(|b| b.choice) {
        Some(Choice::Go) => (":white_check_mark:", "Go"),
        Some(Choice::NoGo) => (":no_entry:", "No-Go"),
        None => (":hourglass_flowing_sand:", "not voted yet"),
    };
    let roles: Vec<&str> = voter.roles.iter().map(|r| r.title()).collect();
    let reason = ballot
        .and_then(|b| b.reason.as_deref())
        .map(|r| format!(": _{}_", slack_escape(&truncate(r, 500))))
        .unwrap_or_default();
    format!(
        "{emoji} <@{}> ({}): {said}{reason}",
        voter.user,
        roles.join(", ")
    )
}

/// Most voter sections in the vote message: with its header, question, tally, buttons and
/// decision it stays within Slack's 50 blocks, so no voter list can push the buttons out.
const VOTER_SECTIONS: usize = limits::MESSAGE_BLOCKS - 5;

/// Lines joined into as few section texts as fit; the first starts with the heading. Lines
/// beyond [`VOTER_SECTIONS`] sections are counted at the end instead.
fn sections(lines: &[String]) -> Vec<String> {
    let mut sections = vec!["*Voters*".to_string()];
    for (index, line) in lines.iter().enumerate() {
        let full = sections.len() == VOTER_SECTIONS;
        let last = sections.last_mut().expect("never empty");
        if last.len() + 1 + line.len() <= SECTION_TEXT {
            last.push('\n');
            last.push_str(line);
        } else if !full {
            sections.push(line.clone());
        } else {
            // SECTION_TEXT leaves Slack's last 100 characters for this line.
            let left = lines.len() - index;
            last.push_str(&format!("\n…and {left} more voters not shown"));
            break;
        }
    }
    sections
}

const RULE: &str = "Go only if every voter votes Go; a No-Go or a missing vote means No-Go";

/// The vote message: question, deadline, every voter with their current vote, and the buttons
/// while it is open.
pub fn vote(
    templates: &Templates,
    plan: &Plan,
    id: i64,
    vote: &Vote,
    launch_date: Option<NaiveDate>,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let release = &plan.release;
    let on = launch_date.map_or_else(
        || "on L-Day".to_string(),
        |d| format!("on {}", d.format("%a %Y-%m-%d")),
    );
    let lines: Vec<String> = vote
        .voters
        .iter()
        .map(|voter| voter_line(vote, voter))
        .collect();
    let decision = match vote.state {
        VoteState::Open => None,
        VoteState::Closed { decision, .. } => Some(choice_name(decision)),
    };
    let context = VoteContext {
        header: format!("Go/no-go: {} {}", release.name, release.version),
        question: format!(
            "Do we launch *{} {} \"{}\"* {on}?",
            release.name, release.version, release.codename
        ),
        deadline: slack_date(vote.deadline, zone),
        deadline_pt: local(vote.deadline, zone),
        rule: RULE,
        voter_sections: sections(&lines),
        tally: tally(&vote.decide()),
        open: vote.state == VoteState::Open,
        decision,
        value: scoped_value(&release.id(), &VoteRef { vote: id }),
        go_action: ActionId::VoteGo.as_str(),
        no_go_action: ActionId::VoteNoGo.as_str(),
    };
    templates.render("vote", &context)
}

#[derive(Serialize)]
struct DecisionContext {
    release: String,
    emoji: &'static str,
    decision: &'static str,
    tally: String,
    how: String,
    reasons: Vec<ReasonLine>,
    missing: Option<String>,
    missing_plain: Option<String>,
}

#[derive(Serialize)]
struct ReasonLine {
    voter: String,
    voter_plain: String,
    reason: String,
}

/// The decision, with the tally and every No-Go reason. `closed_by` is None at the deadline.
pub fn decision(
    templates: &Templates,
    plan: &Plan,
    outcome: &Outcome,
    closed_by: Option<&str>,
) -> Result<Outgoing, TemplateError> {
    let release = &plan.release;
    let (emoji, decision) = match outcome.decision {
        Choice::Go => (":white_check_mark:", "Go"),
        Choice::NoGo => (":no_entry:", "No-Go"),
    };
    let context = DecisionContext {
        release: format!("{} {}", release.name, release.version),
        emoji,
        decision,
        tally: tally(outcome),
        how: closed_by.map_or("closed at the deadline".to_string(), |u| {
            format!("closed by <@{u}>")
        }),
        reasons: outcome
            .reasons
            .iter()
            .map(|(voter, reason)| ReasonLine {
                voter: format!("<@{voter}>"),
                voter_plain: voter.clone(),
                reason: reason.clone(),
            })
            .collect(),
        missing: (!outcome.missing.is_empty()).then(|| users(&outcome.missing)),
        missing_plain: (!outcome.missing.is_empty()).then(|| outcome.missing.join(", ")),
    };
    templates.render("vote_decision", &context)
}

/// "Go 4 · No-Go 1 · not voted 1"
pub fn tally(outcome: &Outcome) -> String {
    format!(
        "Go {} · No-Go {} · not voted {}",
        outcome.go,
        outcome.no_go,
        outcome.missing.len()
    )
}

/// "Go" or "No-Go".
pub fn choice_name(choice: Choice) -> &'static str {
    match choice {
        Choice::Go => "Go",
        Choice::NoGo => "No-Go",
    }
}

/// The modal asking for a No-Go reason; the vote of `release` rides along as private metadata.
pub fn no_go_modal(release: &str, vote: VoteRef) -> Value {
    limits::view(json!({
        "type": "modal",
        "callback_id": NO_GO_REASON_MODAL,
        "private_metadata": scoped_value(release, &vote),
        "title": { "type": "plain_text", "text": "Vote No-Go" },
        "submit": { "type": "plain_text", "text": "Vote No-Go" },
        "close": { "type": "plain_text", "text": "Cancel" },
        "blocks": [
            {
                "type": "input",
                "block_id": NO_GO_REASON_BLOCK,
                "label": { "type": "plain_text", "text": "Why No-Go?" },
                "element": {
                    "type": "plain_text_input",
                    "action_id": NO_GO_REASON_INPUT,
                    "multiline": true
                }
            }
        ]
    }))
}

#[derive(Serialize)]
struct BlockedContext<'a> {
    title: &'a str,
    label: String,
    when: String,
    when_pt: String,
    owner_name: Option<String>,
    late: Option<String>,
    state: &'a str,
    managers: String,
}

/// Why a gated milestone is blocked and who is alerted.
pub struct Blocked<'a> {
    pub state: &'a str,
    pub release_managers: &'a [String],
    pub late_by: Option<TimeDelta>,
}

/// A gated milestone posted without a recorded Go: blocked, with the decision's state, and the
/// release managers mentioned. The fallback text reads like the usual post with the block
/// stated before the title.
pub fn gate_blocked(
    templates: &Templates,
    plan: &Plan,
    occurrence: &Occurrence,
    blocked: &Blocked,
) -> Result<Outgoing, TemplateError> {
    let zone = plan.release.timezone;
    let managers = blocked.release_managers;
    let context = BlockedContext {
        title: &occurrence.title,
        label: format!("Launch-day milestone · {}", occurrence.day),
        when: slack_date(occurrence.at, zone),
        when_pt: local(occurrence.at, zone),
        owner_name: occurrence.owner.as_ref().map(|o| plan.owner_name(o)),
        late: blocked.late_by.map(duration),
        state: blocked.state,
        managers: if managers.is_empty() {
            "nobody holds the role".to_string()
        } else {
            users(managers)
        },
    };
    templates.render("gate_blocked", &context)
}

/// When a vote closes, in words: "at Mon 2026-03-09 15:00 PDT".
pub fn when(at: DateTime<Utc>, plan: &Plan) -> String {
    local(at, plan.release.timezone)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::plan::Role;

    /// An open vote with `n` voters, each holding every voting role of the embedded plan.
    fn open_vote_of(n: usize) -> (Plan, Templates, Vec<String>, Vote) {
        let plan = Plan::embedded();
        let templates = Templates::new().unwrap();
        let users: Vec<String> = (0..n).map(|n| format!("U0VOTER{n:03}")).collect();
        let voters = &plan.gonogo.voters;
        let holders: BTreeMap<Role, Vec<String>> =
            voters.iter().map(|role| (*role, users.clone())).collect();
        let deadline: DateTime<Utc> = "2026-03-09T22:00:00Z".parse().unwrap();
        let vote = Vote::open(voters, &holders, deadline, plan.gonogo.rule).unwrap();
        (plan, templates, users, vote)
    }

    #[test]
    fn many_voters_are_spread_over_sections_within_slacks_limit() {
        let (plan, templates, _, vote) = open_vote_of(200);
        let message = super::vote(&templates, &plan, 1, &vote, None).unwrap();
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let blocks = blocks.as_array().unwrap();
        assert!(blocks.len() <= 50);
        let mut shown = 0;
        for block in blocks {
            if let Some(text) = block["text"]["text"].as_str() {
                assert!(text.chars().count() <= 3000, "{} characters", text.len());
                shown += text.matches("not voted yet").count();
            }
        }
        assert_eq!(shown, 200);
    }

    #[test]
    fn a_vote_with_long_reasons_from_every_voter_keeps_its_tally_and_buttons() {
        let (plan, templates, users, mut vote) = open_vote_of(150);
        let deadline = vote.deadline;
        let reason = "<&>".repeat(700);
        for user in &users {
            let at = deadline - TimeDelta::hours(1);
            let ballot = vote.cast(user, Choice::NoGo, Some(&reason), at);
            vote.ballots.push(ballot.unwrap());
        }
        let message = super::vote(&templates, &plan, 1, &vote, None).unwrap();
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let blocks = blocks.as_array().unwrap();
        assert!(blocks.len() <= limits::MESSAGE_BLOCKS);
        let voters = &blocks[blocks.len() - 3]["text"]["text"];
        let shown = blocks
            .iter()
            .filter_map(|b| b["text"]["text"].as_str())
            .map(|t| t.matches("No-Go: _").count())
            .sum::<usize>();
        assert!(
            voters
                .as_str()
                .unwrap()
                .ends_with(&format!("…and {} more voters not shown", 150 - shown)),
            "{voters}"
        );
        assert_eq!(
            blocks[blocks.len() - 2]["elements"][0]["text"],
            "Go 0 · No-Go 150 · not voted 0"
        );
        assert_eq!(
            blocks[blocks.len() - 1]["elements"][1]["action_id"],
            "vote.nogo"
        );
    }

    #[test]
    fn an_open_vote_shows_every_voter_and_both_buttons() {
        let plan = Plan::embedded();
        let templates = Templates::new().unwrap();
        let holders: BTreeMap<Role, Vec<String>> = plan
            .gonogo
            .voters
            .iter()
            .enumerate()
            .map(|(n, role)| (*role, vec![format!("U{n}")]))
            .collect();
        let deadline: DateTime<Utc> = "2026-03-09T22:00:00Z".parse().unwrap();
        let vote = Vote::open(&plan.gonogo.voters, &holders, deadline, plan.gonogo.rule).unwrap();
        let message = super::vote(&templates, &plan, 7, &vote, None).unwrap();
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let voters = blocks[2]["text"]["text"].as_str().unwrap();
        assert_eq!(voters.matches("not voted yet").count(), 6, "{voters}");
        assert!(voters.starts_with("*Voters*\n:hourglass_flowing_sand: <@U0> (Engineering Lead)"));
        assert_eq!(
            blocks[4]["elements"][0]["value"],
            r#"{"l":"summit-4.0.0","v":7}"#
        );
        assert_eq!(blocks[4]["elements"][1]["action_id"], "vote.nogo");
    }
}
