//! Properties of every parser of outside input: commands, days and times, Slack payloads, button
//! values and plans. Whatever arrives, each answers `Ok` or a typed error and never panics; a
//! command's error stays short enough for Slack; a plan's error points inside the file.
//!
//! Inputs are arbitrary Unicode (control characters included, up to ~10k characters), words
//! built from the characters that broke parsers before (U+2212 minus, em dash, é, zero-width
//! space), and the real fixtures and the shipped plan with one value replaced or cut short.

use std::str::FromStr;

use chrono::{Days, NaiveDate};

use golive::domain::command::Command;
use golive::domain::day::{parse_time, DayOffset, DayTime};
use golive::domain::plan::Plan;
use golive::slack::action_id::{ActionId, ItemRef, RunbookRef, StepRef};
use golive::slack::inbound::{self, Inbound};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use slack_morphism::prelude::SlackInteractionEvent;

const SHIPPED_PLAN: &str = include_str!("../deploy/plans/summit-v4.toml");
const SLASH_COMMAND: &str = include_str!("fixtures/slack/slash_command.form");
const BLOCK_ACTIONS: &str = include_str!("fixtures/slack/block_actions_button.json");
const VIEW_SUBMISSION: &str = include_str!("fixtures/slack/view_submission.json");
const APP_MENTION: &str = include_str!("fixtures/slack/event_app_mention.json");
const URL_VERIFICATION: &str = include_str!("fixtures/slack/event_url_verification.json");

/// The longest error answer a command may produce; Slack's limit for a section is 3,000.
const MAX_COMMAND_ERROR: usize = 1_500;

// ---- strategies ----

/// Any characters at all, control characters and unassigned-looking ones included.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// One word of any characters but whitespace, so a command quotes it whole if it quotes it.
fn long_word(max: usize) -> impl Strategy<Value = String> {
    any_text(max).prop_map(|text| text.chars().filter(|c| !c.is_whitespace()).collect())
}

/// Characters that are not ASCII but look like, or hide next to, what parsers expect.
fn wide_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        '\u{2212}',
        '\u{2014}',
        '\u{2013}',
        '\u{e9}',
        '\u{200b}',
        '\u{a0}',
        '\u{301}',
        '\u{ff0b}',
        '\u{1f680}',
        '\u{feff}',
        '\u{2009}',
        '\u{85}',
    ])
}

/// Characters that look like what parsers expect, and the ones that look alike but are not.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            'L', 'l', '+', '-', 'w', ':', ' ', '0', '1', '7', '9', 'I', 'N', 'C', '<', '>', '@',
            '|', 'U', 'P',
        ]),
        2 => wide_char(),
        1 => prop::sample::select(vec!['\u{0}', '\n', '\t', '\u{7f}', '\u{1b}']),
        1 => any::<char>(),
    ]
}

/// A short word made of [`tricky_char`]s.
fn tricky_word(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// Something shaped like a day or a day and time: "L", a sign-like character, digits, a time.
fn day_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            3 => Just("L"),
            1 => prop::sample::select(vec!["l", "", "L+", "L-"]),
        ],
        prop_oneof![wide_char().prop_map(String::from), tricky_word(4)],
        prop::sample::select(vec!["", "1", "7w", "3660", "99999999999", "0"]),
        prop::sample::select(vec![
            "",
            " 15:00",
            " 9:00",
            " 25:61",
            "  15:00",
            " 15:00:00",
        ]),
    )
        .prop_map(|(head, middle, digits, time)| format!("{head}{middle}{digits}{time}"))
}

/// A `/golive` command line: a real verb (or not), then words a person might type or paste.
fn command_text() -> impl Strategy<Value = String> {
    let verb = prop::sample::select(vec![
        "",
        "status",
        "help",
        "timeline",
        "launch-date",
        "role",
        "roles",
        "escalate",
        "incidents",
        "ack",
        "resolve",
        "rollout",
        "checklist",
        "gonogo",
        "go-no-go",
        "TIMELINE",
        "deploy",
    ]);
    let word = prop_oneof![
        3 => tricky_word(12),
        2 => day_like(),
        1 => prop::sample::select(vec![
            "open", "close", "status", "--deadline", "--runbook", "resume", "P0", "p1", "INC-7",
            "<@U0ONCALL|dana>", "on-call", "2026-03-10", "+262142-12-31", "-0001-01-01",
            "l-1", "phase-3", "critical-bug",
        ])
        .prop_map(str::to_string),
        1 => any_text(3_000),
        1 => long_word(3_000),
    ];
    (verb, prop::collection::vec(word, 0..6))
        .prop_map(|(verb, words)| format!("{verb} {}", words.join(" ")))
}

/// `source` cut at a character boundary `at` picks, or whole.
fn truncated(source: &str, at: Option<Index>) -> String {
    match at {
        None => source.to_string(),
        Some(index) => {
            let boundaries: Vec<usize> = source.char_indices().map(|(i, _)| i).collect();
            match boundaries.get(index.index(boundaries.len().max(1))) {
                Some(&cut) => source[..cut].to_string(),
                None => String::new(),
            }
        }
    }
}

/// What to put in place of a fixture's or plan's value.
#[derive(Debug, Clone)]
enum Replacement {
    Text(String),
    Number(i64),
    Null,
    Removed,
}

fn replacement() -> impl Strategy<Value = Replacement> {
    prop_oneof![
        4 => any_text(60).prop_map(Replacement::Text),
        2 => day_like().prop_map(Replacement::Text),
        1 => any_text(10_000).prop_map(Replacement::Text),
        1 => any::<i64>().prop_map(Replacement::Number),
        1 => Just(Replacement::Null),
        1 => Just(Replacement::Removed),
    ]
}

/// The JSON fixture with the `at`-th leaf (in document order) replaced.
fn mutated_json(fixture: &str, at: Index, with: &Replacement) -> String {
    let mut value: Value = serde_json::from_str(fixture).expect("fixtures are JSON");
    let mut leaves = Vec::new();
    leaf_paths(&value, &mut Vec::new(), &mut leaves);
    let path = &leaves[at.index(leaves.len())];
    replace_at(&mut value, path, with);
    value.to_string()
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Item(usize),
}

fn leaf_paths(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Item(index));
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn replace_at(value: &mut Value, path: &[Step], with: &Replacement) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut parent = value;
    for step in parents {
        parent = match step {
            Step::Key(key) => &mut parent[key.as_str()],
            Step::Item(index) => &mut parent[*index],
        };
    }
    let new = match with {
        Replacement::Text(text) => Value::String(text.clone()),
        Replacement::Number(number) => Value::from(*number),
        Replacement::Null | Replacement::Removed => Value::Null,
    };
    match (last, parent) {
        (Step::Key(key), Value::Object(map)) if matches!(with, Replacement::Removed) => {
            map.remove(key);
        }
        (Step::Key(key), parent) => parent[key.as_str()] = new,
        (Step::Item(index), parent) => parent[*index] = new,
    }
}

/// An interaction as Slack sends it over HTTP: the JSON in a `payload` form field.
fn interaction_form(payload: &str) -> String {
    serde_urlencoded::to_string([("payload", payload)]).expect("a form encodes")
}

/// The byte ranges of every double-quoted value (`key = "..."` or inside an array) in a plan.
fn quoted_values(source: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    let mut escaped = false;
    let mut in_comment = false;
    for (index, character) in source.char_indices() {
        match (start, character) {
            (None, '\n') => in_comment = false,
            (None, '#') => in_comment = true,
            (None, '"') if !in_comment => start = Some(index + 1),
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(open), '"') if !escaped => {
                ranges.push(open..index);
                start = None;
            }
            _ => {}
        }
        escaped = false;
    }
    ranges
}

/// The shipped plan with its `value`-th quoted value replaced, written as TOML would write it
/// or (when `raw`) pasted in as is, which may break the file's syntax too.
fn mutated_plan(value: usize, with: &str, raw: bool) -> String {
    let values = quoted_values(SHIPPED_PLAN);
    let range = values[value % values.len()].clone();
    let inner = if raw {
        with.to_string()
    } else {
        basic_string_body(with)
    };
    format!(
        "{}{inner}{}",
        &SHIPPED_PLAN[..range.start],
        &SHIPPED_PLAN[range.end..]
    )
}

/// `text` escaped to sit between the quotes of a TOML basic string.
fn basic_string_body(text: &str) -> String {
    let mut body = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => body.push_str("\\\""),
            '\\' => body.push_str("\\\\"),
            '\t' => body.push('\t'),
            c if c.is_control() => body.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => body.push(c),
        }
    }
    body
}

// ---- checks ----

/// Every error of a plan names a line of `source` and a column within that line (1-based,
/// counted in characters, at most one past the line's end).
fn assert_located(source: &str) -> Result<(), TestCaseError> {
    let Err(errors) = Plan::parse(source) else {
        return Ok(());
    };
    prop_assert!(!errors.0.is_empty());
    let lines: Vec<&str> = source.split('\n').collect();
    for error in &errors.0 {
        prop_assert!(
            (1..=lines.len()).contains(&error.line),
            "line {} of {}: {error}",
            error.line,
            lines.len()
        );
        let width = lines[error.line - 1].chars().count();
        prop_assert!(
            (1..=width + 1).contains(&error.column),
            "column {} of {width} on line {}: {error}",
            error.column,
            error.line
        );
    }
    Ok(())
}

fn assert_short_command_error(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = Command::parse(text) {
        let message = error.to_string();
        prop_assert!(
            message.chars().count() < MAX_COMMAND_ERROR,
            "{} characters: {message}",
            message.chars().count()
        );
    }
    Ok(())
}

/// A parsed action's button value decodes (or not) into every button value type without panic.
fn decode_values(inbound: &Inbound) {
    if let Inbound::Action(action) = inbound {
        // Decoded at the edge: a parsed click's button matches its action id, or is absent.
        if let Some(button) = &action.button {
            let _ = format!("{button:?}");
        }
    }
    if let Inbound::Submission(submission) = inbound {
        // Decoded at the edge: a form is there only for a modal golive opened.
        if let Ok(form) = &submission.form {
            let _ = format!("{form:?}");
        }
    }
}

// ---- commands, days and times ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_command_text_parses_or_gets_a_short_error(text in command_text(), day in day_like()) {
        assert_short_command_error(&text)?;
        assert_short_command_error(&format!("timeline {day}"))?;
    }

    #[test]
    fn arbitrary_text_parses_as_a_command_or_gets_a_short_error(text in any_text(400)) {
        assert_short_command_error(&text)?;
    }

    #[test]
    fn days_and_times_parse_or_fail_with_a_short_error(text in prop_oneof![day_like(), any_text(200)]) {
        for message in [
            DayOffset::from_str(&text).err().map(|e| e.to_string()),
            DayTime::from_str(&text).err().map(|e| e.to_string()),
            parse_time(&text).err().map(|e| e.to_string()),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(message.chars().count() < 200, "{message}");
        }
    }

    #[test]
    fn a_parsed_day_reads_back_from_its_label(text in day_like()) {
        if let Ok(day) = DayOffset::from_str(&text) {
            prop_assert_eq!(day.to_string().parse::<DayOffset>(), Ok(day));
        }
        if let Ok(at) = DayTime::from_str(&text) {
            prop_assert_eq!(at.to_string().parse::<DayTime>(), Ok(at));
        }
    }

    #[test]
    fn any_launch_date_a_command_accepts_lays_out_the_plan(
        date in prop_oneof![
            (0u64..4_000).prop_map(|days| NaiveDate::MIN + Days::new(days)),
            (0u64..4_000).prop_map(|days| NaiveDate::MAX - Days::new(days)),
            (0u64..2_900_000).prop_map(|days| NaiveDate::MIN + Days::new(days * 64)),
        ],
        plan in Just(Plan::embedded()),
    ) {
        // chrono writes years past 9999 with a sign ("+262142-12-31") and reads them back.
        let text = format!("launch-date {}", date.format("%Y-%m-%d"));
        if let Ok(Command::LaunchDate(date)) = Command::parse(&text) {
            prop_assert!(!plan.timeline(date).is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn very_long_command_text_gets_a_short_error(
        text in any_text(10_000),
        word in long_word(10_000),
        verb in command_text(),
    ) {
        assert_short_command_error(&text)?;
        assert_short_command_error(&word)?;
        assert_short_command_error(&format!("{verb} {word}"))?;
    }
}

// ---- Slack payloads and button values ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bodies_parse_or_are_refused(body in prop_oneof![any_text(600), tricky_word(60)]) {
        let _ = inbound::command_from_form(&body);
        let _ = inbound::event_from_json(&body);
        if let Ok(parsed) = inbound::interaction_from_form(&body) {
            decode_values(&parsed);
        }
        let _ = inbound::interaction_from_form(&interaction_form(&body));
    }

    #[test]
    fn a_slash_command_with_one_field_replaced_or_cut_parses_or_is_refused(
        field in any::<Index>(),
        value in prop_oneof![command_text(), any_text(200)],
        cut in proptest::option::of(any::<Index>()),
    ) {
        let mut fields: Vec<(String, String)> =
            serde_urlencoded::from_str(SLASH_COMMAND).expect("the fixture is a form");
        let at = field.index(fields.len());
        fields[at].1 = value;
        let body = truncated(&serde_urlencoded::to_string(&fields).expect("encodes"), cut);
        if let Ok(Inbound::Command { request, .. }) = inbound::command_from_form(&body) {
            assert_short_command_error(&request.text)?;
        }
    }

    #[test]
    fn an_interaction_with_one_value_replaced_or_cut_parses_or_is_refused(
        fixture in prop::sample::select(vec![BLOCK_ACTIONS, VIEW_SUBMISSION]),
        action in prop::sample::select(ActionId::ALL.to_vec()),
        leaf in any::<Index>(),
        with in replacement(),
        cut in proptest::option::of(any::<Index>()),
    ) {
        // Make the click one of golive's own, so parsing goes on past the action id.
        let fixture = fixture.replace("\"vote_go\"", &format!("\"{}\"", action.as_str()));
        let payload = truncated(&mutated_json(&fixture, leaf, &with), cut);
        let parsed = inbound::interaction_from_form(&interaction_form(&payload));
        if let Ok(parsed) = &parsed {
            decode_values(parsed);
        }
        // Clicks are read from the fields golive uses; whatever slack-morphism's full parse
        // takes, that reading gives the same.
        if let Ok(full) = serde_json::from_str::<SlackInteractionEvent>(&payload) {
            let full = format!("{:?}", inbound::interaction(full));
            prop_assert_eq!(parsed.map(|p| format!("{p:?}")).ok(), Some(full));
        }
    }

    #[test]
    fn a_click_reads_as_slack_morphism_reads_it(
        action in prop::sample::select(ActionId::ALL.to_vec()),
        user in prop_oneof![any_text(12), tricky_word(12)],
        value in prop_oneof![any_text(40), tricky_word(20)],
        response_url in prop_oneof![
            Just("https://hooks.slack.com/actions/T0/1/x".to_string()),
            Just("HTTPS://Hooks.Slack.com".to_string()),
            any_text(20),
        ],
        drop in proptest::option::of(prop::sample::select(vec![
            "user", "container", "trigger_id", "team", "api_app_id", "response_url", "actions",
        ])),
    ) {
        let mut payload: Value = serde_json::from_str(BLOCK_ACTIONS).expect("the fixture is JSON");
        payload["actions"][0]["action_id"] = action.as_str().into();
        payload["actions"][0]["value"] = value.into();
        payload["user"]["id"] = user.into();
        payload["response_url"] = response_url.into();
        if let Some(field) = drop {
            payload.as_object_mut().expect("an object").remove(field);
        }
        let payload = payload.to_string();
        let parsed = inbound::interaction_from_form(&interaction_form(&payload));
        match serde_json::from_str::<SlackInteractionEvent>(&payload) {
            Ok(full) => prop_assert_eq!(
                parsed.map(|p| format!("{p:?}")).ok(),
                Some(format!("{:?}", inbound::interaction(full)))
            ),
            Err(_) => prop_assert!(parsed.is_err(), "{:?}", parsed),
        }
    }

    #[test]
    fn an_event_with_one_value_replaced_or_cut_parses_or_is_refused(
        fixture in prop::sample::select(vec![APP_MENTION, URL_VERIFICATION]),
        leaf in any::<Index>(),
        with in replacement(),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let _ = inbound::event_from_json(&truncated(&mutated_json(fixture, leaf, &with), cut));
    }

    #[test]
    fn action_ids_parse_only_as_golive_spells_them(text in prop_oneof![any_text(40), tricky_word(30)]) {
        if let Some(action) = ActionId::parse(&text) {
            prop_assert_eq!(action.as_str(), text.as_str());
        }
    }

    #[test]
    fn button_values_round_trip_whatever_they_hold(
        checklist in any_text(80),
        item in any_text(80),
        runbook in any_text(80),
        number in any::<i64>(),
        step in any::<usize>(),
    ) {
        let item = ItemRef { checklist, item };
        let text = serde_json::to_string(&item).expect("encodes");
        prop_assert_eq!(serde_json::from_str::<ItemRef>(&text).ok(), Some(item));
        let runbook = RunbookRef { incident: number, runbook };
        let text = serde_json::to_string(&runbook).expect("encodes");
        prop_assert_eq!(serde_json::from_str::<RunbookRef>(&text).ok(), Some(runbook));
        let step = StepRef { incident: number, step };
        let text = serde_json::to_string(&step).expect("encodes");
        prop_assert_eq!(serde_json::from_str::<StepRef>(&text).ok(), Some(step));
    }
}

// ---- plans ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_text_is_a_plan_or_located_errors(source in prop_oneof![any_text(300), tricky_word(80)]) {
        assert_located(&source)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_shipped_plan_with_one_value_replaced_or_cut_is_valid_or_located(
        at in any::<Index>(),
        only_days in any::<bool>(),
        with in prop_oneof![5 => day_like(), 2 => any_text(40), 1 => any_text(3_000)],
        raw in prop::bool::weighted(0.2),
        cut in proptest::option::of(any::<Index>()),
    ) {
        // Half the time the value replaced is one of the plan's days or days and times.
        let values = quoted_values(SHIPPED_PLAN);
        let days: Vec<usize> = (0..values.len())
            .filter(|&i| SHIPPED_PLAN[values[i].clone()].starts_with('L'))
            .collect();
        let value = if only_days { days[at.index(days.len())] } else { at.index(values.len()) };
        let source = truncated(&mutated_plan(value, &with, raw), cut);
        assert_located(&source)?;
    }
}

#[test]
fn the_mutation_helpers_touch_only_the_chosen_value() {
    let values = quoted_values(SHIPPED_PLAN);
    assert!(values.len() > 500, "{}", values.len());
    let deadline = values
        .iter()
        .position(|range| &SHIPPED_PLAN[range.clone()] == "L-1 15:00")
        .expect("the shipped plan has the go/no-go deadline");
    let source = mutated_plan(deadline, "L\u{2212}1 15:00", false);
    assert!(source.contains("deadline = \"L\u{2212}1 15:00\""));
    let errors = Plan::parse(&source).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(Plan::parse(&mutated_plan(deadline, "L-1 15:00", false)).is_ok());
    let quoted = mutated_plan(deadline, "say \"hi\" \\ \u{0}\n", false);
    assert!(Plan::parse(&quoted).is_err_and(|errors| errors.0[0].message.contains("say")));
}

#[test]
fn the_furthest_launch_dates_a_command_accepts_lay_out_the_plan() {
    let plan = Plan::embedded();
    for text in [
        "+262142-12-31",
        "262142-12-31",
        "-262143-01-01",
        "-262144-01-01",
        "0000-01-01",
        "9999-12-31",
        "+10000-01-01",
    ] {
        if let Ok(Command::LaunchDate(date)) = Command::parse(&format!("launch-date {text}")) {
            assert!(!plan.timeline(date).is_empty());
        }
    }
}
