//! `golive doctor`, the real binary against the fake Slack: a new installation's mistakes, each
//! reported on its own line with its fix.

use std::path::{Path, PathBuf};
use std::process::Command;

use golive::domain::plan::Plan;
use golive::slack::scopes::BOT_SCOPES;

use crate::fake_flags::{Answer, FakePrometheus, FakeUnleash, ADMIN_TOKEN};
use crate::fake_slack::FakeSlack;
use crate::harness::{APP_TOKEN, BOT_TOKEN, CHANNEL, RM};

const GOLIVE: &str = env!("CARGO_BIN_EXE_golive");
const SHIPPED_PLAN: &str = "deploy/plans/summit-v4.toml";

/// A workspace where everything the shipped plan needs is right.
async fn healthy_workspace() -> FakeSlack {
    let fake = FakeSlack::start().await;
    fake.add_channel(CHANNEL, "v4-launch");
    fake.join(CHANNEL);
    fake.grant_scopes(BOT_SCOPES);
    for (n, handle) in group_handles().iter().enumerate() {
        fake.add_usergroup(&format!("S0{n:04}"), handle, &[]);
    }
    for (id, name) in [(RM, "rita"), ("U0ONCALL", "otto"), ("U0QALEAD", "quinn")] {
        fake.add_user(id, name, "America/Los_Angeles");
    }
    fake
}

fn group_handles() -> Vec<String> {
    let teams = Plan::embedded().teams.into_iter();
    teams.filter_map(|team| team.usergroup).collect()
}

const ERROR_RATE: &str =
    r#"sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#;
const P99: &str =
    "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))";

/// A flag server with the shipped plan's flag, and a Prometheus where both guards read.
async fn rollout_servers() -> (FakeUnleash, FakePrometheus) {
    let unleash = FakeUnleash::start().await;
    unleash.create_flag("summit-v4");
    let prometheus = FakePrometheus::start().await;
    prometheus.answer(ERROR_RATE, Answer::Value("0.002".into()));
    prometheus.answer(P99, Answer::Value("0.21".into()));
    (unleash, prometheus)
}

#[tokio::test]
async fn a_flag_with_a_stray_strategy_or_a_guard_without_data_fails_with_the_fix() {
    let fake = healthy_workspace().await;
    let (unleash, prometheus) = rollout_servers().await;
    prometheus.answer(P99, Answer::Empty);
    unleash.fail_next(&[401]);
    let env = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("GOLIVE_UNLEASH_URL", unleash.url.as_str()),
        ("GOLIVE_UNLEASH_TOKEN", "not-a-token"),
        ("GOLIVE_PROMETHEUS_URL", prometheus.url.as_str()),
    ];
    let (code, stdout) = doctor(&fake, &env, &["--plan", SHIPPED_PLAN]).await;
    assert_eq!(code, Some(1), "{stdout}");
    let flag = format!("rollout flag ({SHIPPED_PLAN}: summit-v4)");
    let (line, fix) = line_of(&stdout, &flag);
    assert!(line.contains("refused the token (401)"), "{line}");
    assert!(fix.contains("create the flag `summit-v4`"), "{fix}");
    let (line, fix) = line_of(
        &stdout,
        &format!("rollout guard ({SHIPPED_PLAN}: p99-latency)"),
    );
    assert!(line.contains("the query returned no data"), "{line}");
    assert!(
        fix.contains("an unreadable guard blocks every step"),
        "{fix}"
    );
    let (line, _) = line_of(
        &stdout,
        &format!("rollout guard ({SHIPPED_PLAN}: api-error-rate)"),
    );
    assert!(line.starts_with("ok"), "{line}");

    let (_, stdout) = doctor(
        &fake,
        &[("SLACK_BOT_TOKEN", BOT_TOKEN)],
        &["--plan", SHIPPED_PLAN],
    )
    .await;
    let (line, _) = line_of(&stdout, &flag);
    assert!(line.contains("GOLIVE_UNLEASH_URL is not set"), "{line}");
}

/// The shipped plan with these (role, user id) holders, written to a file in `dir`.
fn staffed_plan(dir: &Path, holders: &[(&str, &str)]) -> PathBuf {
    let mut plan = std::fs::read_to_string(SHIPPED_PLAN).unwrap();
    for (role, user) in holders {
        let line = format!("\nrole = \"{role}\"\n");
        assert!(plan.contains(&line), "{role} is in the shipped plan");
        plan = plan.replacen(&line, &format!("{line}users = [\"{user}\"]\n"), 1);
    }
    let file = dir.join("staffed.toml");
    std::fs::write(&file, plan).unwrap();
    file
}

/// What `golive doctor ARGS` printed and its exit code, with only `env` of golive's settings
/// set. It runs off the runtime, so the fake on it keeps answering meanwhile.
async fn doctor(fake: &FakeSlack, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(GOLIVE);
    command.arg("doctor").args(args);
    for name in [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "GOLIVE_RELEASE_MANAGERS",
        "GOLIVE_PLAN",
        "GOLIVE_UNLEASH_URL",
        "GOLIVE_UNLEASH_TOKEN",
        "GOLIVE_PROMETHEUS_URL",
    ] {
        command.env_remove(name);
    }
    command
        .env("SLACK_API_URL", fake.api_url())
        .envs(env.iter().copied());
    let output = tokio::task::spawn_blocking(move || command.output().expect("golive runs"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout)
}

/// The line of check `name` and the line after it (the fix, for a failure).
fn line_of<'a>(stdout: &'a str, name: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|line| {
            line.get(9..)
                .is_some_and(|rest| rest.starts_with(&format!("{name}: ")))
        })
        .unwrap_or_else(|| panic!("no line for {name}:\n{stdout}"));
    (lines[at], lines.get(at + 1).copied().unwrap_or_default())
}

#[tokio::test]
async fn a_right_installation_passes_every_check() {
    let fake = healthy_workspace().await;
    let dir = tempfile::tempdir().unwrap();
    let plan = staffed_plan(
        dir.path(),
        &[("on-call", "U0ONCALL"), ("qa-lead", "U0QALEAD")],
    );
    let plan = plan.to_str().unwrap();
    let (unleash, prometheus) = rollout_servers().await;
    let env = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_APP_TOKEN", APP_TOKEN),
        ("GOLIVE_RELEASE_MANAGERS", RM),
        ("GOLIVE_UNLEASH_URL", unleash.url.as_str()),
        ("GOLIVE_UNLEASH_TOKEN", ADMIN_TOKEN),
        ("GOLIVE_PROMETHEUS_URL", prometheus.url.as_str()),
    ];

    let (code, stdout) = doctor(&fake, &env, &["--plan", plan, "--plan", SHIPPED_PLAN]).await;

    assert_eq!(code, Some(0), "{stdout}");
    let (checks, summary) = stdout.trim_end().rsplit_once('\n').unwrap();
    assert!(
        checks.lines().all(|line| line.starts_with("ok ")),
        "{stdout}"
    );
    assert_eq!(summary, "All 18 checks passed.", "{stdout}");
    for expected in [
        format!("ok       rollout flag ({plan}: summit-v4): Unleash at {} has the flag in default/production (off)", unleash.url),
        format!("ok       rollout guard ({plan}: api-error-rate): reads 0.002 (must be below 0.01)"),
        format!("ok       rollout guard ({plan}: p99-latency): reads 0.21 (must be below 0.5)"),
    ] {
        assert!(stdout.lines().any(|line| line == expected), "no `{expected}` in:\n{stdout}");
    }
    let groups = group_handles().len();
    for expected in [
        "ok       bot token: works: @golive (U0BOT) in golive-test".to_string(),
        format!("ok       bot token scopes: all {} scopes the app manifest asks for are granted", BOT_SCOPES.len()),
        "ok       Socket Mode app token: opens a Socket Mode connection".to_string(),
        format!("ok       plan {plan}: parses (Summit 4.0.0)"),
        format!("ok       launch channel ({plan}): #v4-launch (C0LAUNCH); golive is a member"),
        format!("ok       user groups ({plan}): all {groups} user groups the teams name exist"),
        format!("ok       role holders ({plan}): 2 named, all active Slack users"),
        format!("ok       role holders ({SHIPPED_PLAN}): the plan names nobody yet (release managers assign roles with /golive role)"),
        "ok       release managers (GOLIVE_RELEASE_MANAGERS): 1 named, all active Slack users".to_string(),
    ] {
        assert!(stdout.lines().any(|line| line == expected), "no `{expected}` in:\n{stdout}");
    }
    assert_eq!(fake.calls("apps.connections.open"), 1);
    assert_eq!(
        fake.socket_connections(),
        0,
        "the doctor opens no WebSocket"
    );
}

#[tokio::test]
async fn each_mistake_fails_its_check_with_the_fix() {
    let fake = FakeSlack::start().await;
    fake.add_channel(CHANNEL, "v4-launch");
    let granted: Vec<&str> = BOT_SCOPES
        .iter()
        .copied()
        .filter(|scope| !matches!(*scope, "users:read" | "im:write"))
        .collect();
    fake.grant_scopes(&granted);
    let handles = group_handles();
    for (n, handle) in handles
        .iter()
        .enumerate()
        .filter(|(_, h)| *h != "qa" && *h != "cs")
    {
        fake.add_usergroup(&format!("S0{n:04}"), handle, &[]);
    }
    fake.add_user("U0GONE", "gone", "America/Los_Angeles");
    fake.deactivate_user("U0GONE");
    let dir = tempfile::tempdir().unwrap();
    let plan = staffed_plan(dir.path(), &[("qa-lead", "U0GONE"), ("on-call", "U0GHOST")]);
    let plan = plan.to_str().unwrap();
    let env = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_APP_TOKEN", APP_TOKEN),
    ];

    let (code, stdout) = doctor(&fake, &env, &["--plan", plan]).await;

    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        line_of(&stdout, "bot token").0.starts_with("ok "),
        "{stdout}"
    );
    let failures = [
        (
            "bot token scopes".to_string(),
            "missing users:read, im:write",
            "reinstall the app",
        ),
        (
            format!("launch channel ({plan})"),
            "golive is not a member of #v4-launch (C0LAUNCH)",
            "type /invite @golive in #v4-launch",
        ),
        (
            format!("user groups ({plan})"),
            "no user group @qa (team qa), @cs (team cs)",
            "create them in Slack (People → User groups)",
        ),
        (
            format!("role holders ({plan})"),
            "U0GONE (qa-lead) is deactivated; U0GHOST (on-call) is not a user of this workspace",
            "put the member ids of active people in the plan's [[roles]] users",
        ),
    ];
    for (name, why, fix) in failures {
        let (line, next) = line_of(&stdout, &name);
        assert_eq!(line, format!("FAIL     {name}: {why}"), "{stdout}");
        assert!(
            next.starts_with("         fix: ") && next.contains(fix),
            "{name}: {next}"
        );
    }
    assert!(
        stdout.ends_with("4 of 11 checks failed, 3 not run.\n"),
        "{stdout}"
    );
}

#[tokio::test]
async fn without_a_bot_token_the_first_check_says_to_set_it_and_the_rest_say_why_not() {
    let fake = healthy_workspace().await;

    let (code, stdout) = doctor(&fake, &[], &[]).await;

    assert_eq!(code, Some(1), "{stdout}");
    let (line, fix) = line_of(&stdout, "bot token");
    assert_eq!(line, "FAIL     bot token: SLACK_BOT_TOKEN is not set");
    assert!(
        fix.starts_with("         fix: set SLACK_BOT_TOKEN to "),
        "{fix}"
    );
    for name in [
        "bot token scopes",
        "launch channel (embedded plan)",
        "user groups (embedded plan)",
    ] {
        let (line, _) = line_of(&stdout, name);
        assert_eq!(
            line,
            format!("NOT RUN  {name}: needs a working bot token (see `bot token`)")
        );
    }
    let (socket, _) = line_of(&stdout, "Socket Mode app token");
    assert!(
        socket.starts_with("FAIL     Socket Mode app token: neither SLACK_APP_TOKEN"),
        "{socket}"
    );
    assert_eq!(fake.calls("auth.test"), 0);
}

#[tokio::test]
async fn a_plan_that_does_not_parse_fails_with_each_problem_at_its_line_and_column() {
    let fake = healthy_workspace().await;
    let env = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_SIGNING_SECRET", "s3cret"),
    ];
    let broken = "tests/fixtures/plans/broken.toml";

    let (code, stdout) = doctor(&fake, &env, &["--plan", broken]).await;

    assert_eq!(code, Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|line| *line == format!("FAIL     plan {broken}: 1 problem(s)"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(
        lines[at + 1],
        format!("         {broken}:1:1: missing field `war_room`")
    );
    assert!(
        lines[at + 2].starts_with("         fix: correct the plan file"),
        "{stdout}"
    );
    let (channel, _) = line_of(&stdout, &format!("launch channel ({broken})"));
    assert!(channel.starts_with("NOT RUN  "), "{channel}");
    let (socket, _) = line_of(&stdout, "Socket Mode app token");
    assert!(
        socket.starts_with("NOT RUN  "),
        "HTTP mode needs no app token: {socket}"
    );
}

#[tokio::test]
async fn an_app_token_slack_refuses_fails_the_socket_mode_check() {
    let fake = healthy_workspace().await;
    let env = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_APP_TOKEN", "xoxb-pasted-the-bot-token-twice"),
    ];

    let (code, stdout) = doctor(&fake, &env, &[]).await;

    assert_eq!(code, Some(1), "{stdout}");
    let (line, fix) = line_of(&stdout, "Socket Mode app token");
    assert_eq!(
        line,
        "FAIL     Socket Mode app token: Slack refused it (apps.connections.open: not_allowed_token_type)"
    );
    assert!(fix.contains("connections:write"), "{fix}");
}
