//! Tests for reading plans: the embedded Summit plan, and each kind of error with its location.

use super::*;
use crate::domain::day::DayOffset;

/// The smallest valid plan: 30 lines, so appended sections start on line 31.
const MINIMAL: &str = r##"[release]
name = "Summit"
version = "4.0.0"
codename = "Test"
release_type = "Major version"
channel = "#v4-launch"
timezone = "America/Los_Angeles"
launch_date = "TBD"

[[teams]]
key = "sre"
name = "SRE"

[war_room]
location = "Zoom"
opens = "L 06:00"
closes = "L 20:00"

[post_times]
launch_week_morning = "09:00"
launch_week_afternoon = "13:00"
launch_week_evening = "17:00"
pre_launch_week = "09:00"
phase_start = "09:00"
phase_milestone = "09:00"

[gonogo]
deadline = "L-1 15:00"
voters = ["sre-lead"]
rule = "unanimous"
"##;

/// Every error as "line:column: message" for a plan that must be invalid.
fn errors(source: &str) -> Vec<String> {
    match Plan::parse(source) {
        Ok(_) => panic!("plan parsed but should not have"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

fn with(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

#[test]
fn the_minimal_plan_is_valid() {
    let plan = Plan::parse(MINIMAL).unwrap();
    assert_eq!(plan.team("sre").map(|team| team.name.as_str()), Some("SRE"));
}

#[test]
fn the_embedded_plan_describes_summit_v4() {
    let plan = Plan::embedded();
    assert_eq!(plan.release.id(), "summit-4.0.0");
    assert_eq!(plan.release.channel, "#v4-launch");
    assert_eq!(plan.release.timezone, chrono_tz::America::Los_Angeles);
    assert_eq!(plan.release.launch_date, None);
    assert_eq!(plan.release.scope.len(), 3);
}

#[test]
fn the_embedded_plan_has_every_section() {
    let plan = Plan::embedded();
    assert_eq!(plan.launch_day.len(), 12);
    assert_eq!(plan.phases.len(), 7);
    assert_eq!(plan.escalation.len(), 4);
    assert_eq!(plan.launch_week.len(), 8);
    assert_eq!(plan.pre_launch.len(), 8);
    assert_eq!(plan.feature_flags.len(), 5);
    assert_eq!(plan.metrics.len(), 5);
    assert_eq!(plan.risks.len(), 6);
    assert_eq!(plan.roles.len(), Role::ALL.len());
    let keys: Vec<_> = plan.contingencies.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "critical-bug",
            "llm-outage",
            "performance",
            "security-incident"
        ]
    );
}

#[test]
fn the_embedded_checklists_have_8_7_8_and_6_items() {
    let plan = Plan::embedded();
    let sizes: Vec<_> = plan
        .checklists
        .iter()
        .map(|c| (c.key.as_str(), c.items.len()))
        .collect();
    assert_eq!(sizes, [("l-7", 8), ("l-1", 7), ("l-day", 8), ("l+7", 6)]);
    assert_eq!(plan.checklist("l-1").unwrap().due.to_string(), "L-1 17:00");
}

#[test]
fn only_production_deployment_waits_for_a_go() {
    let plan = Plan::embedded();
    let gated: Vec<_> = plan
        .launch_day
        .iter()
        .filter(|m| m.gate.is_some())
        .collect();
    assert_eq!(gated.len(), 1);
    assert_eq!(gated[0].key, "0700-production-deployment-begins");
    assert_eq!(plan.launch_day[0].key, "0600-final-deployment-verification");
}

#[test]
fn the_go_no_go_is_unanimous_among_six_leads_at_the_rc_1_meeting() {
    let gonogo = Plan::embedded().gonogo;
    assert_eq!(gonogo.deadline.to_string(), "L-1 15:00");
    assert_eq!(gonogo.voters.len(), 6);
    assert_eq!(gonogo.rule, DecisionRule::Unanimous);
}

#[test]
fn rc_milestones_count_days_before_l_day() {
    let plan = Plan::embedded();
    let rc: Vec<_> = plan.phases[2]
        .milestones
        .iter()
        .map(|m| (m.key.as_str(), m.day))
        .collect();
    assert_eq!(rc[0], ("rc-10", DayOffset(-10)));
    assert_eq!(rc[4], ("rc-1", DayOffset(-1)));
}

#[test]
fn a_syntax_error_is_located() {
    assert_eq!(errors("[release\n"), ["1:9: invalid table header"]);
}

#[test]
fn a_misspelt_field_is_rejected_where_it_is_written() {
    let source = with("\n[[launch_day]]\ntime = \"06:00\"\nactivty = \"X\"\nowner = \"sre\"\n");
    let found = errors(&source);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("34:1: unknown field `activty`"),
        "{found:?}"
    );
}

#[test]
fn an_unknown_team_in_an_owner_points_at_the_owner() {
    let source = with("\n[[launch_day]]\ntime = \"06:00\"\nactivity = \"X\"\nowner = \"ops\"\n");
    assert_eq!(errors(&source), ["35:9: unknown team `ops`"]);
}

#[test]
fn an_unknown_role_points_at_the_role() {
    let source = with("\n[[roles]]\nrole = \"cto\"\n");
    assert_eq!(errors(&source), ["33:8: unknown role `cto`"]);
}

#[test]
fn an_impossible_time_points_at_the_time() {
    let source = with("\n[[launch_day]]\ntime = \"25:00\"\nactivity = \"X\"\nowner = \"sre\"\n");
    assert_eq!(
        errors(&source),
        ["33:8: time `25:00` must be HH:MM on a 24-hour clock"]
    );
}

#[test]
fn a_bad_day_offset_points_at_the_day() {
    let source = with("\n[[launch_week]]\nday = \"L+x\"\nmorning = \"Rollout\"\n");
    assert_eq!(
        errors(&source),
        ["33:7: day `L+x` must look like L, L+3, L-7 or L-8w"]
    );
}

#[test]
fn a_bad_cron_points_at_the_expression() {
    let source = with(
        "\n[[recurring]]\nkey = \"standup\"\ntitle = \"Standup\"\ncron = \"every day\"\nfrom = \"L\"\nuntil = \"L+7\"\nowner = \"all\"\n",
    );
    let found = errors(&source);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("35:8: invalid cron `every day`"),
        "{found:?}"
    );
}

#[test]
fn an_unknown_time_zone_points_at_the_zone() {
    let source = MINIMAL.replace("America/Los_Angeles", "Pacific/Nowhere");
    assert_eq!(
        errors(&source),
        ["7:12: unknown time zone `Pacific/Nowhere`"]
    );
}

#[test]
fn a_duplicate_team_key_points_at_the_second_key() {
    let source = with("\n[[teams]]\nkey = \"sre\"\nname = \"Other SRE\"\n");
    assert_eq!(errors(&source), ["33:7: duplicate team key `sre`"]);
}

#[test]
fn a_launch_date_must_be_a_date_or_tbd() {
    let source = MINIMAL.replace("launch_date = \"TBD\"", "launch_date = \"next week\"");
    assert_eq!(
        errors(&source),
        ["8:15: launch_date `next week` must be YYYY-MM-DD or \"TBD\""]
    );
    let far = MINIMAL.replace("launch_date = \"TBD\"", "launch_date = \"+262142-12-31\"");
    assert_eq!(
        errors(&far),
        ["8:15: launch_date `+262142-12-31` must be YYYY-MM-DD or \"TBD\""]
    );
    let dated = MINIMAL.replace("launch_date = \"TBD\"", "launch_date = \"2026-12-01\"");
    let launch = Plan::parse(&dated).unwrap().release.launch_date;
    assert_eq!(launch, "2026-12-01".parse().ok());
}

#[test]
fn escalation_levels_must_run_one_to_four_in_order() {
    let level = |number: u8| {
        format!("\n[[escalation]]\nlevel = {number}\nname = \"L{number}\"\nroles = [\"on-call\"]\n")
    };
    let source = with(&format!("{}{}", level(1), level(3)));
    assert_eq!(
        errors(&source),
        ["38:9: escalation levels must be 1 to 4 in order; expected 2, found 3"]
    );
}

#[test]
fn an_empty_checklist_points_at_its_items() {
    let source = with("\n[[checklists]]\nkey = \"l-1\"\ntitle = \"Day before\"\ndue = \"L-1 17:00\"\nitems = []\n");
    assert_eq!(errors(&source), ["36:9: checklist items must not be empty"]);
}

#[test]
fn a_metric_needs_one_target_per_day() {
    let source = with(
        "\n[[metrics]]\nkey = \"launch\"\ntitle = \"Launch\"\nat = [\"L\", \"L+7\"]\nmetrics = [{ name = \"Errors\", targets = [\"<1%\"] }]\n",
    );
    assert_eq!(
        errors(&source),
        ["36:41: expected 2 targets, one for each day in `at`, found 1"]
    );
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let source = MINIMAL
        .replace("America/Los_Angeles", "Mars/Olympus")
        .replace("L 20:00", "L 24:00")
        .replace("[\"sre-lead\"]", "[\"sre-lead\", \"janitor\"]");
    let found = errors(&format!(
        "{source}\n[[launch_day]]\ntime = \"06:00\"\nactivity = \"X\"\nowner = \"ops\"\n"
    ));
    assert_eq!(
        found,
        [
            "7:12: unknown time zone `Mars/Olympus`",
            "17:10: time `24:00` must be HH:MM on a 24-hour clock",
            "29:23: unknown role `janitor`",
            "35:9: unknown team `ops`",
        ]
    );
}

#[test]
fn an_unknown_gate_points_at_the_gate() {
    let source = with("\n[[launch_day]]\ntime = \"07:00\"\nactivity = \"Deploy\"\nowner = \"sre\"\ngate = \"vibes\"\n");
    assert_eq!(
        errors(&source),
        ["36:8: unknown gate `vibes`; expected \"go-decision\""]
    );
}

#[test]
fn feature_flag_steps_must_grow_over_time() {
    let step = |percent: u8, at: &str| {
        format!("\n[[feature_flags]]\npercent = {percent}\nat = \"{at}\"\n")
    };
    let source = with(&format!("{}{}", step(50, "L 09:00"), step(25, "L 08:00")));
    assert_eq!(
        errors(&source),
        [
            "37:11: feature flag steps must increase the percentage",
            "38:6: feature flag steps must be in time order",
        ]
    );
}

#[test]
fn launch_day_milestones_must_be_in_time_order() {
    let milestone = |time: &str| {
        format!("\n[[launch_day]]\ntime = \"{time}\"\nactivity = \"At {time}\"\nowner = \"all\"\n")
    };
    let source = with(&format!("{}{}", milestone("09:00"), milestone("08:00")));
    assert_eq!(
        errors(&source),
        ["38:8: L-Day milestones must be in time order"]
    );
}

#[test]
fn a_deadline_with_a_unicode_minus_points_at_the_deadline() {
    let source = MINIMAL.replace("L-1 15:00", "L\u{2212}1 15:00");
    assert_eq!(
        errors(&source),
        ["28:12: day `L\u{2212}1` must look like L, L+3, L-7 or L-8w"]
    );
}

#[test]
fn days_with_wide_characters_after_l_point_at_each_field() {
    let source = MINIMAL
        .replace("opens = \"L 06:00\"", "opens = \"L\u{2014}1 06:00\"")
        .replace("closes = \"L 20:00\"", "closes = \"L\u{200b} 20:00\"");
    let found = errors(&format!(
        "{source}\n[[launch_week]]\nday = \"L\u{e9}\"\nmorning = \"Rollout\"\n"
    ));
    assert_eq!(
        found,
        [
            "16:9: day `L\u{2014}1` must look like L, L+3, L-7 or L-8w",
            "17:10: day `L\u{200b}` must look like L, L+3, L-7 or L-8w",
            "33:7: day `L\u{e9}` must look like L, L+3, L-7 or L-8w",
        ]
    );
}

#[test]
fn errors_quote_a_long_value_only_in_part() {
    let long = "\u{2212}".repeat(3_000);
    let source = MINIMAL
        .replace("America/Los_Angeles", &long)
        .replace("L-1 15:00", &format!("L{long} 15:00"));
    for error in errors(&source) {
        assert!(error.chars().count() < 200, "{error}");
    }
}

#[test]
fn no_input_makes_parsing_panic() {
    for source in [
        "",
        "\u{0}",
        "[[teams]]\nkey = 1",
        "release = 3",
        "é",
        MINIMAL.get(..200).unwrap(),
    ] {
        assert!(Plan::parse(source).is_err());
    }
}

#[test]
fn a_key_longer_than_slack_allows_points_at_the_key() {
    let key = "k".repeat(KEY_MAX + 1);
    let source = with(&format!(
        "\n[[contingencies]]\nkey = \"{key}\"\ntitle = \"T\"\nsteps = [\"Step\"]\n"
    ));
    assert_eq!(
        errors(&source),
        ["33:7: contingency key is 201 characters long; keys are at most 200"]
    );
}

#[test]
fn an_item_without_a_key_is_keyed_by_its_text_cut_to_the_longest_key() {
    let text = "word ".repeat(100);
    let source = with(&format!(
        "\n[[checklists]]\nkey = \"l-1\"\ntitle = \"Day before\"\ndue = \"L-1 17:00\"\nitems = [{{ text = \"{text}\", owner = \"sre\" }}]\n"
    ));
    let plan = Plan::parse(&source).unwrap();
    let key = &plan.checklists[0].items[0].key;
    assert_eq!(key, &"word-".repeat(40).trim_end_matches('-'));
    assert_eq!(item_key("Smoke tests passed"), "smoke-tests-passed");
}

#[test]
fn a_runbook_step_with_an_unknown_effect_or_a_bad_deadline_is_reported_at_its_steps() {
    let source = super::EMBEDDED_SOURCE.replacen(
        "{ text = \"Reduce feature flag percentage\", effect = \"rollout-back\" }",
        "{ text = \"Reduce feature flag percentage\", effect = \"shrug\", within = \"soon\", only = \"P1\" }",
        1,
    );
    let errors = Plan::parse(&source).unwrap_err().to_string();
    assert!(errors.contains("unknown effect `shrug`; effects are pause-rollout, rollout-back, kill-flag, hotfix, review"), "{errors}");
    assert!(
        errors.contains("`within = \"soon\"` is not a duration"),
        "{errors}"
    );
    assert!(errors.contains("`only` takes \"P0\""), "{errors}");
    let steps_line = source[..source.find("effect = \"shrug\"").unwrap()]
        .rfind("steps = [")
        .map(|at| source[..at].lines().count() + 1)
        .unwrap();
    for error in errors.lines() {
        assert!(
            error.starts_with(&format!("{steps_line}:")),
            "{error} (steps at line {steps_line})"
        );
    }
}

#[test]
fn the_embedded_plan_runs_its_rollout_on_summit_v4_guarded_by_error_rate_and_latency() {
    let plan = Plan::embedded();
    let rollout = plan
        .rollout
        .clone()
        .expect("the shipped plan runs its rollout");
    assert_eq!(
        (
            rollout.flag.as_str(),
            rollout.project.as_str(),
            rollout.environment.as_str()
        ),
        ("summit-v4", "default", "production")
    );
    assert_eq!(rollout.team, "sre");
    assert_eq!(rollout.failures, 3);
    assert!(rollout.back_on_failure);
    assert_eq!(rollout.runbook.as_deref(), Some("performance"));
    let guards: Vec<(&str, Bound)> = rollout
        .guards
        .iter()
        .map(|g| (g.key.as_str(), g.bound))
        .collect();
    assert_eq!(
        guards,
        [
            ("api-error-rate", Bound::Below(0.01)),
            ("p99-latency", Bound::Below(0.5))
        ]
    );
    assert!(rollout.guards[0].query.contains(r#"code=~"5..""#));
    let steps: Vec<(u8, bool, i64, i64)> = plan
        .feature_flags
        .iter()
        .map(|s| {
            (
                s.percent,
                s.auto,
                s.confirm_within.num_minutes(),
                s.hold.num_minutes(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (10, false, 15, 60),
            (25, false, 15, 60),
            (50, false, 15, 60),
            (75, false, 15, 60),
            (100, false, 15, 60)
        ]
    );
    // The launch-day steps are their milestones' posts; the later ones have posts of their own.
    let keys: Vec<String> = plan
        .feature_flags
        .iter()
        .map(|s| plan.step_post_key(s))
        .collect();
    assert_eq!(
        keys,
        [
            "milestone:0900-feature-flag-gradual-enable-10",
            "milestone:1100-feature-flag-expand-25",
            "milestone:1400-feature-flag-expand-50",
            "flag:75",
            "flag:100"
        ]
    );
}

#[test]
fn a_rollout_section_reports_every_problem_where_it_is_written() {
    let source = with(
        r#"
[rollout]
flag = "summit-v4"
team = "growth"
hold = "soon"
failures = 0
on_failure = "retreat"
runbook = "nope"

[[rollout.guards]]
key = "error-rate"
query = "up"
below = 0.01
above = 0.5

[[rollout.guards]]
key = "latency"
query = " "

[[feature_flags]]
percent = 10
at = "L 09:00"
confirm_within = "0m"
"#,
    );
    assert_eq!(
        errors(&source),
        [
            "34:8: unknown team `growth`",
            "35:8: `soon` is not a duration like \"30m\", \"4h\" or \"2d\"",
            "36:12: failures must be between 1 and 100",
            "37:14: on_failure takes \"pause\" or \"back\" (pause, and set the previous step's percentage), not `retreat`",
            "38:11: unknown contingency `nope`; the plan has none",
            "41:7: guard `error-rate` needs exactly one finite bound: `below = …` or `above = …`",
            "47:7: guard `latency` needs exactly one finite bound: `below = …` or `above = …`",
            "48:9: a guard's query must not be empty",
            "53:18: `0m` is not a duration like \"30m\", \"4h\" or \"2d\"",
        ]
    );
}

#[test]
fn a_rollout_without_a_team_takes_its_milestones_owner_or_says_it_needs_one() {
    assert!(
        !EMBEDDED_SOURCE.contains("\nteam = \"sre\""),
        "the shipped plan names none"
    );
    assert_eq!(Plan::embedded().rollout.unwrap().team, "sre");
    let source =
        with("\n[rollout]\nflag = \"f\"\n\n[[feature_flags]]\npercent = 10\nat = \"L 09:00\"\n");
    assert_eq!(
        errors(&source),
        ["32:1: `[rollout]` needs a `team` (the team that confirms steps): the launch-day milestones of its steps do not name one team"]
    );
}
