//! A plan that changes while its launch runs, read again between starts and on reload
//! (SIGHUP): posts not yet made follow it, posts made stay made, roles the plan changed follow
//! it, the release managers hear what changed; an invalid plan changes nothing; a plan added or
//! removed starts or stops its launch.

use std::path::{Path, PathBuf};

use golive::workflows::launch::reload::{reload, ReloadError};

use crate::harness::{pacific, plan_file, spawn_app, Options, TestApp, CHANNEL, MEMBER, RM};

const V40: &str = "summit-4.0.0";

fn options(plans: Vec<PathBuf>) -> Options {
    Options {
        clock_start: pacific("2026-03-10", "05:00"),
        plans,
        channels: vec![("C0LAUNCH41", "v41-launch")],
        ..Options::default()
    }
}

/// The plan of `path` with `edits` (from → to) made, each exactly once.
fn edit(path: &Path, edits: &[(&str, &str)]) {
    let mut source = std::fs::read_to_string(path).unwrap();
    for (from, to) in edits {
        assert_eq!(source.matches(from).count(), 1, "`{from}` once in the plan");
        source = source.replacen(from, to, 1);
    }
    std::fs::write(path, source).unwrap();
}

/// Moves Status check 12:00 → 12:30, removes the customer email, adds a partner briefing at
/// 13:00, moves the already posted 06:00 verification to 06:45, and names an on-call holder.
const CHANGES: &[(&str, &str)] = &[
    (
        "time = \"12:00\"\nactivity = \"Status check\"\nowner = \"all\"\n",
        "time = \"12:30\"\nactivity = \"Status check\"\nowner = \"all\"\n\n[[launch_day]]\ntime = \"13:00\"\nactivity = \"Partner briefing\"\nowner = \"all\"\n",
    ),
    (
        "[[launch_day]]\ntime = \"10:30\"\nactivity = \"Customer email announcement\"\nowner = \"marketing\"\n\n",
        "",
    ),
    (
        "time = \"06:00\"\nactivity = \"Final deployment verification\"",
        "time = \"06:45\"\nactivity = \"Final deployment verification\"",
    ),
    (
        "role = \"on-call\"",
        "role = \"on-call\"\nusers = [\"U0ONCALL2\"]",
    ),
];

fn count(app: &TestApp, text: &str) -> usize {
    app.channel_texts()
        .iter()
        .filter(|t| t.contains(text))
        .count()
}

fn dms(app: &TestApp, user: &str) -> Vec<String> {
    app.fake
        .messages(user)
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// A running launch whose 06:00 post is made, with an engineering lead assigned by command.
async fn under_way(dir: &Path) -> (TestApp, PathBuf) {
    let plan = plan_file(dir, "4.0.0", "#v4-launch", "2026-03-10");
    let app = spawn_app(options(vec![plan.clone()])).await;
    let reply = app
        .command(RM, "role engineering-lead <@U0ENG>")
        .await
        .text();
    assert!(reply.contains("is now held by"), "{reply}");
    app.advance_to(pacific("2026-03-10", "06:01")).await;
    assert_eq!(count(&app, "Final deployment verification"), 1);
    (app, plan)
}

/// What the rest of launch day shows once the changes are in force.
async fn assert_changes_followed(app: &TestApp) {
    let told = dms(app, RM).join("\n");
    for line in [
        "The plan of Summit 4.0.0 changed",
        "1 moved: Status check (Tue 2026-03-10 12:00 PDT → Tue 2026-03-10 12:30 PDT)",
        "1 cancelled: Customer email announcement (Tue 2026-03-10 10:30 PDT)",
        "1 added: Partner briefing (Tue 2026-03-10 13:00 PDT)",
        "Engineering On-Call now held by U0ONCALL2",
    ] {
        assert!(told.contains(line), "`{line}` in {told}");
    }
    assert!(!told.contains("Final deployment verification"), "{told}");
    let audit = app.audit().await;
    assert!(audit
        .iter()
        .any(|e| e.action == "plan" && e.detail.contains("1 moved")));
    let roles = app.command(MEMBER, "role").await.text();
    assert!(roles.contains("U0ONCALL2"), "{roles}");
    assert!(
        roles.contains("U0ENG"),
        "a role the plan did not change stays: {roles}"
    );

    app.advance_to(pacific("2026-03-10", "12:15")).await;
    assert_eq!(count(app, "Status check"), 0, "moved to 12:30");
    app.advance_to(pacific("2026-03-10", "18:30")).await;
    assert_eq!(count(app, "Final deployment verification"), 1, "not again");
    assert_eq!(count(app, "Status check"), 1);
    assert_eq!(count(app, "Partner briefing"), 1);
    assert_eq!(count(app, "Customer email announcement"), 0);
}

#[tokio::test]
async fn a_plan_changed_between_starts_is_followed_from_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (app, plan) = under_way(dir.path()).await;
    edit(&plan, CHANGES);
    let app = app.restart(options(vec![plan])).await;
    // Told once the restarted bot has looked up its workspace.
    for _ in 0..400 {
        if !dms(&app, RM).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_changes_followed(&app).await;
}

#[tokio::test]
async fn a_plan_changed_while_running_is_followed_on_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (app, plan) = under_way(dir.path()).await;
    edit(&plan, CHANGES);
    let done = reload(&app.state, std::slice::from_ref(&plan))
        .await
        .expect("reloaded");
    assert_eq!(done.changed, [V40]);
    assert_changes_followed(&app).await;
    let again = reload(&app.state, &[plan]).await.expect("reloaded");
    assert!(
        again.changed.is_empty(),
        "reading an unchanged plan changes nothing"
    );
}

#[tokio::test]
async fn an_invalid_plan_is_refused_with_its_lines_and_the_running_plan_stays() {
    let dir = tempfile::tempdir().unwrap();
    let (app, plan) = under_way(dir.path()).await;
    edit(
        &plan,
        &[
            (
                "time = \"12:00\"\nactivity = \"Status check\"",
                "time = \"25:00\"\nactivity = \"Status check\"",
            ),
            ("channel = \"#v4-launch\"", "channel = \"v4-launch\""),
        ],
    );
    let before = app.state.release.plan();
    let Err(ReloadError::Plans(error)) = reload(&app.state, std::slice::from_ref(&plan)).await
    else {
        panic!("an invalid plan was put in force");
    };
    let shown = error.to_string();
    let file = plan.display().to_string();
    assert_eq!(shown.matches(&format!("{file}:")).count(), 2, "{shown}");
    assert!(shown.contains("must start with #"), "{shown}");
    assert!(std::sync::Arc::ptr_eq(&before, &app.state.release.plan()));
    let told = dms(&app, RM).join("\n");
    assert!(told.contains("could not reload its plans"), "{told}");
    assert!(told.contains(&format!("{file}:")), "{told}");
    let audit = app.audit().await;
    assert!(audit.iter().any(|e| e.action == "plan-refused"));
    app.advance_to(pacific("2026-03-10", "12:01")).await;
    assert_eq!(
        count(&app, "Status check"),
        1,
        "the running plan still posts"
    );
}

#[tokio::test]
async fn a_plan_added_starts_its_launch_and_a_plan_removed_stops_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (app, v40) = under_way(dir.path()).await;
    let v41 = plan_file(dir.path(), "4.1.0", "#v41-launch", "2026-03-10");
    let done = reload(&app.state, &[v40.clone(), v41.clone()])
        .await
        .expect("reloaded");
    assert_eq!(done.added, ["summit-4.1.0"]);
    assert_eq!(app.state.launches.ids(), [V40, "summit-4.1.0"]);
    assert!(dms(&app, RM)
        .join("\n")
        .contains("golive now runs Summit 4.1.0"));
    app.advance_to(pacific("2026-03-10", "08:01")).await;
    let smoke = |channel: &str| {
        app.fake
            .messages(channel)
            .iter()
            .filter(|m| m.text.contains("Smoke tests"))
            .count()
    };
    assert_eq!((smoke(CHANNEL), smoke("C0LAUNCH41")), (1, 1));

    let done = reload(&app.state, &[v41]).await.expect("reloaded");
    assert_eq!(done.removed, [V40]);
    assert_eq!(app.state.launches.ids(), ["summit-4.1.0"]);
    app.advance_to(pacific("2026-03-10", "09:01")).await;
    let flag = |channel: &str| {
        app.fake
            .messages(channel)
            .iter()
            .filter(|m| m.text.contains("Feature flag gradual enable"))
            .count()
    };
    assert_eq!((flag(CHANNEL), flag("C0LAUNCH41")), (0, 1));
    let mut conn = app.state.db.acquire().await.unwrap();
    let history = golive::storage::audit::list(&mut conn, V40).await.unwrap();
    assert!(history.iter().any(|e| e.action == "plan-removed"));
    assert!(history.iter().any(|e| e.action == "role"), "history kept");
    let pending = golive::storage::jobs::list(&mut conn, V40).await.unwrap();
    assert!(
        pending.iter().any(|j| j.done_at.is_none()),
        "its jobs kept, unrun"
    );
    let _ = v40;
}
