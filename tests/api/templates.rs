//! Every message template rendered with the most a user can put in it: the longest texts the
//! commands and the plan file accept, and as many open items as a launch can have. Each message
//! and view is checked by the fake Slack's own checker of Block Kit's limits, so a template (or
//! an input) that would make Slack refuse a message fails here, before a launch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use golive::domain::checklist::{ChecklistSpec, Confirmation, Progress};
use golive::domain::incident::{Incident, IncidentId, Mark, Severity};
use golive::domain::plan::{Plan, Role, KEY_MAX, RELEASE_KEY_MAX};
use golive::domain::status;
use golive::domain::timeline::{Occurrence, OccurrenceKind};
use golive::domain::vote::{Ballot, Choice, Vote, VoteState};
use golive::slack::action_id::{ItemRef, VoteRef};
use golive::slack::checklist_messages;
use golive::slack::format::users;
use golive::slack::incident_messages::{self, Note};
use golive::slack::launch_messages::{self, LaunchSummary};
use golive::slack::messages::{self, Audience, Tone};
use golive::slack::port::Outgoing;
use golive::slack::render::{TemplateError, Templates};
use golive::slack::vote_messages::{self, Blocked};
use golive::storage::incidents::message_key;
use serde_json::Value;

use crate::fake_slack::limits::{check_message, check_view};

/// The shipped plan's source, which the long variant starts from.
const PLAN_SOURCE: &str = include_str!("../../deploy/plans/summit-v4.toml");

/// Text hard on every count and escape: mrkdwn control characters and entities, mrkdwn that
/// must stay literal, accents, CJK, emoji outside the basic plane (one a joined sequence),
/// a backslash, quotes and a newline.
const HARD: &str =
    " <b> & &amp; <@U0FAKE> <!channel> *bold* _it_ ~s~ `code` \"q\" \\ ünïcødé 漢字 🚀👩‍👩‍👧\n";

/// How long a text golive lets a plan author or a user write is taken to be: more than any
/// message shows.
const PLAN_TEXT: usize = 3_000;
/// An incident summary or resolve note as long as a slash command's text is taken to be.
const SUMMARY: usize = 4_000;
/// The longest No-Go reason: Slack's plain-text input takes up to 3,000 characters.
const REASON: usize = 3_000;
/// A notice or note body longer than anything golive composes.
const BODY: usize = 10_000;

/// The instant every message is rendered at, and the L-Day of every timeline.
fn now() -> DateTime<Utc> {
    "2026-03-10T17:00:00Z".parse().unwrap()
}

fn launch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

/// `chars` characters: `lead` (which keeps texts, and keys derived from them, apart) then
/// [`HARD`] over and over.
fn long(lead: &str, chars: usize) -> String {
    lead.chars()
        .chain(HARD.chars().cycle())
        .take(chars)
        .collect()
}

/// A plan key as long as a plan may have it.
fn key(lead: &str) -> toml::Value {
    let lead = format!("{lead}-");
    let key = lead.chars().chain(std::iter::repeat('k')).take(KEY_MAX);
    toml::Value::String(key.collect())
}

/// `count` Slack user ids.
fn people(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("U{n:010}")).collect()
}

/// Every role held by `count` people.
fn holders(count: usize) -> BTreeMap<Role, Vec<String>> {
    Role::ALL
        .iter()
        .map(|role| (*role, people(count)))
        .collect()
}

/// The shipped plan with every text its authors may write made very long, and every list
/// golive posts made long: 60 items in two checklists, 60 exit criteria in two phases and 60
/// steps in two runbooks, 30 runbooks, 70 more L-Day milestones and a post every five minutes
/// of L-Day, every role a voter; and checklists, runbooks and every other item keyed as long
/// as a key may be.
fn long_plan() -> Plan {
    let mut plan: toml::Table = toml::from_str(PLAN_SOURCE).expect("the shipped plan is TOML");
    let text = |lead: String| toml::Value::String(long(&lead, PLAN_TEXT));
    let texts = |lead: &str, count: usize| {
        toml::Value::Array((0..count).map(|n| text(format!("{lead} {n} "))).collect())
    };
    let ids = |count: usize| {
        toml::Value::Array(people(count).into_iter().map(toml::Value::String).collect())
    };

    let release = table(&mut plan, "release");
    for key in ["name", "codename", "release_type"] {
        release.insert(key.into(), text(format!("{key} ")));
    }
    release.insert("version".into(), toml::Value::String(long("4.0.0 ", 500)));
    release.insert("channel".into(), text("#v4-launch ".into()));
    release.insert("scope".into(), texts("scope", 20));
    release.insert("release_managers".into(), ids(200));

    for (n, team) in tables(&mut plan, "teams").enumerate() {
        team.insert("name".into(), text(format!("Team {n} ")));
        team.insert("members".into(), ids(200));
    }
    for role in tables(&mut plan, "roles") {
        role.insert("users".into(), ids(200));
    }
    for channel in tables(&mut plan, "communication") {
        for key in ["name", "purpose", "cadence"] {
            channel.insert(key.into(), text(format!("{key} ")));
        }
    }
    table(&mut plan, "war_room").insert("location".into(), text("War room ".into()));

    for (n, milestone) in tables(&mut plan, "launch_day").enumerate() {
        milestone.insert("activity".into(), text(format!("Milestone {n} ")));
    }
    let milestones = array(&mut plan, "launch_day");
    for n in 0..70 {
        let mut milestone = toml::Table::new();
        let time = format!("{:02}:{:02}", 22 + n / 60, n % 60);
        milestone.insert("time".into(), toml::Value::String(time));
        milestone.insert("activity".into(), text(format!("Late milestone {n} ")));
        milestone.insert("owner".into(), toml::Value::String("all".into()));
        milestones.push(toml::Value::Table(milestone));
    }
    for day in tables(&mut plan, "launch_week") {
        for key in ["summary", "morning", "afternoon", "evening"] {
            day.insert(key.into(), text(format!("{key} ")));
        }
    }
    for week in tables(&mut plan, "pre_launch") {
        for (n, task) in tables(week, "tasks").enumerate() {
            task.insert("task".into(), text(format!("Task {n} ")));
        }
    }
    for (n, phase) in tables(&mut plan, "phases").enumerate() {
        for key in ["name", "objective", "weeks", "duration"] {
            phase.insert(key.into(), text(format!("{key} ")));
        }
        phase.insert("selection".into(), texts("selection", 20));
        let criteria = phase
            .get("exit_criteria")
            .and_then(toml::Value::as_array)
            .map_or(0, Vec::len);
        let criteria = if n < 2 { 60 } else { criteria };
        phase.insert("exit_criteria".into(), texts("Criterion", criteria));
        for (n, activity) in tables(&mut *phase, "activities").enumerate() {
            activity.insert("name".into(), text(format!("Activity {n} ")));
        }
        for (n, goal) in tables(&mut *phase, "weekly").enumerate() {
            goal.insert("focus".into(), text(format!("Focus {n} ")));
            goal.insert("target".into(), text(format!("Target {n} ")));
        }
        for (n, milestone) in tables(phase, "milestones").enumerate() {
            milestone.insert("title".into(), text(format!("Phase milestone {n} ")));
        }
    }
    for step in tables(&mut plan, "deprecation") {
        step.insert("title".into(), text("Deprecation ".into()));
        step.insert("when".into(), text("When ".into()));
    }
    for (n, checklist) in tables(&mut plan, "checklists").enumerate() {
        checklist.insert("key".into(), key(&format!("checklist-{n}")));
        checklist.insert("title".into(), text("Checklist ".into()));
        let items = array(checklist, "items");
        while n < 2 && items.len() < 60 {
            let mut item = toml::Table::new();
            item.insert("owner".into(), toml::Value::String("all".into()));
            items.push(toml::Value::Table(item));
        }
        for (n, item) in items
            .iter_mut()
            .filter_map(toml::Value::as_table_mut)
            .enumerate()
        {
            item.insert("text".into(), text(format!("Item {n} ")));
            if n % 2 == 0 {
                item.insert("key".into(), key(&format!("item-{n}")));
            }
        }
    }
    for level in tables(&mut plan, "escalation") {
        level.insert("name".into(), text("Level ".into()));
    }
    for group in tables(&mut plan, "metrics") {
        group.insert("title".into(), text("Metrics ".into()));
        for (n, metric) in tables(group, "metrics").enumerate() {
            metric.insert("name".into(), text(format!("Metric {n} ")));
        }
    }
    for risk in tables(&mut plan, "risks") {
        risk.insert("risk".into(), text("Risk ".into()));
        risk.insert("mitigation".into(), text("Mitigation ".into()));
    }
    let runbooks = array(&mut plan, "contingencies");
    while runbooks.len() < 30 {
        runbooks.push(toml::Value::Table(toml::Table::new()));
    }
    for (n, runbook) in tables(&mut plan, "contingencies").enumerate() {
        runbook.insert("key".into(), key(&format!("runbook-{n}")));
        runbook.insert("title".into(), text(format!("Runbook {n} ")));
        let steps = if n < 2 { 60 } else { 3 };
        runbook.insert("steps".into(), texts("Step", steps));
    }
    let rollout = table(&mut plan, "rollout");
    rollout.insert("runbook".into(), key("runbook-2"));
    rollout.insert("flag".into(), text("flag ".into()));
    for guard in tables(rollout, "guards") {
        guard.insert("query".into(), text("sum(rate(x[5m])) ".into()));
    }
    for recurring in tables(&mut plan, "recurring") {
        recurring.insert("title".into(), text("Recurring ".into()));
    }
    let mut every_five_minutes = toml::Table::new();
    for (key, value) in [
        ("key", "every-five-minutes"),
        ("cron", "0 */5 * * * *"),
        ("from", "L"),
        ("until", "L"),
        ("owner", "all"),
    ] {
        every_five_minutes.insert(key.into(), toml::Value::String(value.into()));
    }
    every_five_minutes.insert("title".into(), text("Every five minutes ".into()));
    array(&mut plan, "recurring").push(toml::Value::Table(every_five_minutes));
    let voters = Role::ALL
        .iter()
        .map(|role| toml::Value::String(role.key().into()))
        .collect();
    table(&mut plan, "gonogo").insert("voters".into(), toml::Value::Array(voters));

    let source = toml::to_string(&plan).expect("the long plan is TOML");
    Plan::parse(&source).unwrap_or_else(|errors| panic!("the long plan is refused: {errors}"))
}

fn table<'a>(parent: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    parent
        .get_mut(key)
        .and_then(toml::Value::as_table_mut)
        .expect(key)
}

fn array<'a>(parent: &'a mut toml::Table, key: &str) -> &'a mut Vec<toml::Value> {
    parent
        .get_mut(key)
        .and_then(toml::Value::as_array_mut)
        .expect(key)
}

fn tables<'a>(parent: &'a mut toml::Table, key: &str) -> impl Iterator<Item = &'a mut toml::Table> {
    parent
        .get_mut(key)
        .and_then(toml::Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table_mut)
}

/// The shipped plan and the long one, each with its timeline for [`launch`]; built once for
/// all the tests here.
fn plans() -> &'static [(Plan, Vec<Occurrence>)] {
    static PLANS: OnceLock<Vec<(Plan, Vec<Occurrence>)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        [Plan::embedded(), long_plan()]
            .into_iter()
            .map(|plan| {
                let timeline = plan.timeline(launch());
                (plan, timeline)
            })
            .collect()
    })
}

/// Renders messages and views, checks each against Slack's limits, and records which
/// templates were rendered.
struct Exercise {
    templates: Templates,
    covered: BTreeSet<&'static str>,
    messages: usize,
    views: usize,
    /// What Slack would refuse, by template and reason, with the first inputs it happened for.
    refused: BTreeMap<String, String>,
}

impl Exercise {
    fn new() -> Self {
        Self {
            templates: Templates::new().expect("the templates compile"),
            covered: BTreeSet::new(),
            messages: 0,
            views: 0,
            refused: BTreeMap::new(),
        }
    }

    /// Fails with everything Slack would have refused, or if the templates rendered are not
    /// exactly `templates`.
    fn finish(self, templates: &[&str]) {
        let expected: BTreeSet<&str> = templates.iter().copied().collect();
        let rendered: BTreeSet<&str> = self.covered.iter().copied().collect();
        assert_eq!(rendered, expected, "templates rendered");
        let refused: Vec<String> = self
            .refused
            .iter()
            .map(|(why, what)| format!("{why} (first: {what})"))
            .collect();
        assert!(
            refused.is_empty(),
            "Slack would refuse:\n{}",
            refused.join("\n")
        );
    }

    /// Checks a message rendered from `template`; `what` says which inputs, for the failure.
    fn message(
        &mut self,
        template: &'static str,
        what: &str,
        rendered: Result<Outgoing, TemplateError>,
    ) -> Value {
        let outgoing = rendered.unwrap_or_else(|e| panic!("{template} ({what}) failed: {e}"));
        let blocks = serde_json::to_value(&outgoing.blocks).expect("blocks serialize");
        if let Err(refusal) = check_message(&outgoing.text, &blocks) {
            let why = format!("{template}: {}", refusal.why);
            self.refused.entry(why).or_insert_with(|| what.to_string());
        }
        assert!(
            !outgoing.text.trim().is_empty(),
            "{template} ({what}) has no fallback text"
        );
        assert!(
            !outgoing.blocks.is_empty(),
            "{template} ({what}) has no blocks"
        );
        let mut ids = HashSet::new();
        for id in blocks
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["block_id"].as_str())
        {
            // Slack refuses a message whose blocks share an id.
            assert!(ids.insert(id), "{template} ({what}) repeats block id {id}");
        }
        self.covered.insert(template);
        self.messages += 1;
        blocks
    }

    /// Checks a modal.
    fn view(&mut self, what: &str, view: &Value) {
        if let Err(refusal) = check_view(view) {
            let why = format!("{what} modal: {}", refusal.why);
            self.refused.entry(why).or_insert_with(|| what.to_string());
        }
        self.views += 1;
    }
}

/// Every occurrence of each plan as a scheduled post, on time and over a year late, its owner
/// mentioned through a user group, through 200 role holders or through the team's members;
/// every L-Day milestone also as a blocked gate with a long vote state and 200 release
/// managers.
fn scheduled_posts(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let many = holders(200);
    let none = BTreeMap::new();
    for (plan, timeline) in plans {
        let groups: HashMap<String, String> = plan
            .teams
            .iter()
            .filter_map(|team| team.usergroup.clone())
            .map(|handle| (handle, "S0123456789".to_string()))
            .collect();
        let no_groups = HashMap::new();
        let audiences = [
            Audience {
                groups: &groups,
                roles: &none,
            },
            Audience {
                groups: &no_groups,
                roles: &many,
            },
            Audience {
                groups: &no_groups,
                roles: &none,
            },
        ];
        for occurrence in timeline {
            for (n, audience) in audiences.iter().enumerate() {
                let late = (n > 0).then(|| TimeDelta::days(400));
                let post =
                    messages::scheduled_post(&ex.templates, plan, occurrence, audience, late);
                ex.message("scheduled_post", &occurrence.key, post);
            }
        }
        let state = long("the vote is open ", REASON);
        let managers = people(200);
        for occurrence in timeline
            .iter()
            .filter(|o| o.kind == OccurrenceKind::Milestone)
        {
            for blocked in [
                Blocked {
                    state: &state,
                    release_managers: &managers,
                    late_by: Some(TimeDelta::days(400)),
                },
                Blocked {
                    state: "no vote was held",
                    release_managers: &[],
                    late_by: None,
                },
            ] {
                let post = vote_messages::gate_blocked(&ex.templates, plan, occurrence, &blocked);
                ex.message("gate_blocked", &occurrence.key, post);
            }
        }
    }
}

/// `/golive status` with every post overdue, or skipped, or posted; every role vacant; 60
/// incident lines with 4,000-character summaries, 30 open checklists and a long vote line; and
/// before L-Day is set.
fn status_reports(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let open: Vec<String> = (0..60)
        .map(|n| long(&format!("INC-{n} P0 · L4 · owner nobody · "), SUMMARY))
        .collect();
    let checklists: Vec<String> = (0..30)
        .map(|n| long(&format!("checklist {n}: 59 of 60 open: "), PLAN_TEXT))
        .collect();
    let vacant = BTreeMap::new();
    let everyone = holders(200);
    for (plan, timeline) in plans {
        let keys = || timeline.iter().map(|o| o.key.clone());
        let all_posted: HashMap<String, DateTime<Utc>> = keys()
            .map(|key| (key, now() - TimeDelta::days(400)))
            .collect();
        let none_posted = HashMap::new();
        let all_skipped: HashSet<String> = keys().collect();
        let none_skipped = HashSet::new();
        let late = now() + TimeDelta::days(400);
        let early = now() - TimeDelta::days(400);
        let cases = [
            (
                "every post overdue",
                &none_posted,
                &none_skipped,
                &vacant,
                late,
            ),
            (
                "every post skipped",
                &none_posted,
                &all_skipped,
                &vacant,
                late,
            ),
            (
                "every post to come",
                &none_posted,
                &none_skipped,
                &everyone,
                early,
            ),
            (
                "every post posted",
                &all_posted,
                &none_skipped,
                &everyone,
                late,
            ),
        ];
        for (what, posted, skipped, roles, at) in cases {
            let progress = status::Progress {
                launch_date: Some(launch()),
                timeline,
                posted,
                skipped,
                roles,
            };
            let mut report = status::compute(plan, progress, at);
            report.open_checklists = checklists.clone();
            report.gonogo = Some(long("Go/no-go vote open: 0 of 900 voted · ", PLAN_TEXT));
            for lines in [open.clone(), Vec::new()] {
                let message = messages::status(&ex.templates, plan, &report, at, lines);
                ex.message("status", what, message);
            }
        }
        let progress = status::Progress {
            launch_date: None,
            timeline: &[],
            posted: &none_posted,
            skipped: &none_skipped,
            roles: &vacant,
        };
        let report = status::compute(plan, progress, now());
        let message = messages::status(&ex.templates, plan, &report, now(), Vec::new());
        ex.message("status", "L-Day not set", message);
    }
    let launches: Vec<LaunchSummary> = (0..60)
        .map(|n| LaunchSummary {
            name: long(&format!("Launch {n} "), PLAN_TEXT),
            key: long("k", RELEASE_KEY_MAX),
            channel: long("#c", PLAN_TEXT),
            launch_date: Some(now().date_naive()),
            phase: Some(long("7 · ", PLAN_TEXT)),
            next: Some((long("Next ", PLAN_TEXT), now())),
            open_incidents: n * 1_000,
            zone: chrono_tz::America::Los_Angeles,
        })
        .collect();
    let overview = launch_messages::overview(&ex.templates, &launches);
    ex.message("launches", "sixty launches, every name long", overview);
}

/// `/golive help`, every day's schedule with all or none of it posted, the roles with nobody
/// and with 250 holders each, and notices of every tone with 10,000-character bodies.
fn replies(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let help = messages::help(&ex.templates);
    ex.message("help", "help", help);
    for (plan, timeline) in plans {
        let all_posted: HashMap<String, DateTime<Utc>> =
            timeline.iter().map(|o| (o.key.clone(), now())).collect();
        let none_posted = HashMap::new();
        let days: BTreeSet<_> = timeline.iter().map(|o| o.day).collect();
        let busiest = days
            .iter()
            .map(|day| timeline.iter().filter(|o| o.day == *day).count())
            .max()
            .unwrap_or_default();
        assert!(busiest >= 8, "some day has many posts: {busiest}");
        for day in &days {
            for posted in [&all_posted, &none_posted] {
                let message = messages::timeline_day(&ex.templates, plan, *day, timeline, posted);
                ex.message("timeline_day", &day.to_string(), message);
            }
        }
        let empty_day = golive::domain::day::DayOffset(-1_000);
        let message =
            messages::timeline_day(&ex.templates, plan, empty_day, timeline, &none_posted);
        ex.message("timeline_day", "a day without posts", message);
    }
    for roles in [BTreeMap::new(), holders(250)] {
        let message = messages::roles(&ex.templates, &roles);
        ex.message("roles", "roles", message);
    }
    let plain = long("Plain ", BODY);
    let mentions = users(&people(400));
    let body = format!("{mentions} {}", golive::slack::render::slack_escape(&plain));
    for tone in [Tone::Done, Tone::Refused, Tone::Error] {
        for (plain, body) in [(&plain, &body), (&plain, &plain), (&plain, &mentions)] {
            let message = messages::notice(&ex.templates, tone, plain, body);
            ex.message("notice", &format!("{tone:?}"), message);
        }
    }
}

/// 60 incidents with 4,000-character summaries: fresh, owned, escalated to the top with every
/// mark and a runbook attached, resolved with a 4,000-character note.
fn incidents(plan: &Plan) -> Vec<Incident> {
    let ladder = &plan.escalation;
    (0..60)
        .map(|n| {
            let severity = [Severity::P0, Severity::P1, Severity::P2][n % 3];
            let opened = now() - TimeDelta::days(n as i64 + 30);
            let summary = long(&format!("Incident {n} "), SUMMARY);
            let id = IncidentId(i64::MAX - n as i64);
            let mut incident =
                Incident::open(id, severity, &summary, "U0123456789", ladder, opened);
            if n % 4 >= 1 {
                incident.acknowledge("U0123456789", opened).unwrap();
            }
            if n % 4 >= 2 {
                while incident.escalate(ladder, opened).is_ok() {}
                incident.mark(Mark::CustomerImpact).unwrap();
                incident.mark(Mark::RollbackConsidered).unwrap();
                let runbook = &plan.contingencies[n % plan.contingencies.len()];
                incident.runbook = Some(runbook.key.clone());
            }
            if n % 4 == 3 {
                let note = long("Resolved ", SUMMARY);
                incident.resolve("U0123456789", Some(&note), now()).unwrap();
            }
            incident
        })
        .collect()
}

/// The incident post, its thread notes and pages, every runbook with no step, every step and
/// every other step done, and `/golive incidents` listing all 60 and none.
fn incident_reports(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let plain = long("Note ", BODY);
    let body = format!("{} {plain}", users(&people(300)));
    for (plan, _) in plans {
        let zone = plan.release.timezone;
        let ladder = &plan.escalation;
        let incidents = incidents(plan);
        // The first twelve are every state at every severity.
        for incident in &incidents[..12] {
            let key = message_key(incident.id, 99_999);
            let post = incident_messages::incident_post(
                &ex.templates,
                "summit-4.0.0",
                incident,
                ladder,
                &plan.contingencies,
                zone,
                &key,
            );
            ex.message("incident", &incident.id.to_string(), post);
            for ack_button in [true, false] {
                let note = Note {
                    release: "summit-4.0.0",
                    id: incident.id,
                    emoji: ":pager:",
                    plain: &plain,
                    body: &body,
                    at: now(),
                    ack_button,
                };
                let message = incident_messages::note(&ex.templates, &note, zone, &key);
                ex.message("incident_note", &incident.id.to_string(), message);
            }
        }
        let id = incidents[0].id;
        for contingency in &plan.contingencies {
            let steps = contingency.steps.len();
            let done = |every: usize| -> Vec<(usize, String, DateTime<Utc>)> {
                (0..steps)
                    .step_by(every)
                    .map(|step| (step, "U0123456789".to_string(), now()))
                    .collect()
            };
            for confirmed in [Vec::new(), done(1), done(2)] {
                let key = message_key(id, 99_999);
                let message = incident_messages::runbook(
                    &ex.templates,
                    "summit-4.0.0",
                    id,
                    contingency,
                    &confirmed,
                    zone,
                    &key,
                );
                ex.message("runbook", &contingency.key, message);
            }
        }
        let later = now() + TimeDelta::days(400);
        for listed in [&incidents[..], &incidents[..0]] {
            let message = incident_messages::incidents(&ex.templates, listed, ladder, later);
            ex.message("incidents", "incidents", message);
        }
    }
}

/// Every checklist and every phase's exit criteria with every item open, every item confirmed
/// and every other one; their reminders with 200 people to mention per item; the reopen modal
/// for every item and for a 10,000-character item.
fn checklists(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let mention = users(&people(200));
    for (plan, _) in plans {
        for spec in ChecklistSpec::all(plan) {
            let confirmation = Confirmation {
                by: "U0123456789".into(),
                at: now(),
            };
            let confirmed = |every: usize| -> HashMap<String, Confirmation> {
                spec.items
                    .iter()
                    .step_by(every)
                    .map(|item| (item.key.clone(), confirmation.clone()))
                    .collect()
            };
            let cases = [
                (HashMap::new(), Some(now())),
                (confirmed(1), Some(now())),
                (confirmed(2), None),
            ];
            for (confirmed, deadline) in cases {
                let progress = Progress {
                    spec: spec.clone(),
                    confirmed,
                };
                let message =
                    checklist_messages::checklist(&ex.templates, plan, &progress, deadline);
                ex.message("checklist", &spec.key, message);
                let (reminder, summary) =
                    checklist_messages::reminder(&ex.templates, plan, &progress, now(), |_| {
                        mention.clone()
                    })
                    .unwrap_or_else(|e| panic!("reminder of {}: {e}", spec.key));
                ex.message("checklist_reminder", &spec.key, Ok(reminder));
                ex.message("checklist_summary", &spec.key, Ok(summary));
            }
            for item in &spec.items {
                let reference = ItemRef {
                    checklist: spec.key.clone(),
                    item: item.key.clone(),
                };
                let view = checklist_messages::reopen_modal("summit-4.0.0", &reference, &item.text);
                ex.view("reopen", &view);
            }
        }
    }
    let reference = ItemRef {
        checklist: "l-day".into(),
        item: "morning-deployment-successful".into(),
    };
    let view = checklist_messages::reopen_modal("summit-4.0.0", &reference, &long("Reopen ", BODY));
    ex.view("reopen", &view);
}

/// Whatever the voters wrote, the vote keeps its tally and, while open, its buttons.
fn still_votable(blocks: &Value, vote: &Vote, what: &str) {
    let blocks = blocks.as_array().unwrap();
    let tally = vote_messages::tally(&vote.decide());
    let has_tally = blocks
        .iter()
        .any(|b| b["type"] == "context" && b["elements"][0]["text"] == tally.as_str());
    assert!(has_tally, "the vote ({what}) lost its tally");
    let buttons: Vec<&str> = blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap())
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    let expected: &[&str] = match vote.state {
        VoteState::Open => &["vote.go", "vote.nogo"],
        VoteState::Closed { .. } => &[],
    };
    assert_eq!(buttons, expected, "the vote's buttons ({what})");
}

/// Votes of 150 voters holding every voting role, and of 150 different people spread over
/// the voting roles: nobody voted, everyone Go, everyone No-Go with a 2,000-character reason, a mix; open
/// and closed; the decisions they make, and the No-Go modal.
fn votes(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    let deadline = now() + TimeDelta::hours(2);
    for (plan, _) in plans {
        let roles = &plan.gonogo.voters;
        let shared: BTreeMap<Role, Vec<String>> =
            roles.iter().map(|role| (*role, people(150))).collect();
        let distinct: BTreeMap<Role, Vec<String>> = roles
            .iter()
            .enumerate()
            .map(|(n, role)| {
                let each = 150 / roles.len() + 1;
                let users = (0..each).map(|m| format!("U{n:02}{m:08}")).collect();
                (*role, users)
            })
            .collect();
        for held in [&shared, &distinct] {
            let open = Vote::open(roles, held, deadline, plan.gonogo.rule).unwrap();
            assert!(open.voters.len() >= 150, "{} voters", open.voters.len());
            let ballots = |choose: &dyn Fn(usize) -> Option<Choice>| -> Vec<Ballot> {
                open.voters
                    .iter()
                    .enumerate()
                    .filter_map(|(n, voter)| {
                        let choice = choose(n)?;
                        Some(Ballot {
                            voter: voter.user.clone(),
                            choice,
                            reason: (choice == Choice::NoGo)
                                .then(|| long(&format!("No-Go {n} "), REASON)),
                            at: now(),
                        })
                    })
                    .collect()
            };
            let cases = [
                ("nobody voted", ballots(&|_| None)),
                ("everyone Go", ballots(&|_| Some(Choice::Go))),
                ("everyone No-Go", ballots(&|_| Some(Choice::NoGo))),
                (
                    "mixed",
                    ballots(&|n| [None, Some(Choice::Go), Some(Choice::NoGo)][n % 3]),
                ),
            ];
            for (what, ballots) in cases {
                let mut vote = Vote {
                    ballots,
                    ..open.clone()
                };
                let outcome = vote.decide();
                for state in [
                    VoteState::Open,
                    VoteState::Closed {
                        decision: outcome.decision,
                        at: now(),
                    },
                ] {
                    vote.state = state;
                    for launch_date in [Some(launch()), None] {
                        let message =
                            vote_messages::vote(&ex.templates, plan, i64::MAX, &vote, launch_date);
                        let blocks = ex.message("vote", what, message);
                        still_votable(&blocks, &vote, what);
                    }
                }
                for closed_by in [Some("U0123456789"), None] {
                    let message = vote_messages::decision(&ex.templates, plan, &outcome, closed_by);
                    ex.message("vote_decision", what, message);
                }
            }
        }
    }
    let view = vote_messages::no_go_modal("summit-4.0.0", VoteRef { vote: i64::MAX });
    ex.view("No-Go", &view);
}

/// The templates each group of tests renders; [`Exercise::finish`] holds each group to its list.
const SCHEDULED: &[&str] = &["scheduled_post", "gate_blocked"];
const STATUS: &[&str] = &["status", "launches"];
const REPLIES: &[&str] = &["help", "timeline_day", "roles", "notice"];
const INCIDENTS: &[&str] = &["incident", "incident_note", "runbook", "incidents"];
const CHECKLISTS: &[&str] = &["checklist", "checklist_reminder", "checklist_summary"];
const VOTES: &[&str] = &["vote", "vote_decision"];
const SCORECARDS: &[&str] = &["scorecard"];
const ROLLOUT: &[&str] = &["rollout_step", "rollout"];

/// Every flag step's post of both plans, open and closed, with 4,000-character state lines;
/// `/golive rollout` with every line that long.
fn rollout_messages(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    use golive::slack::rollout_messages::{self, StepView};
    for (plan, timeline) in plans {
        for step in &plan.feature_flags {
            let key = plan.step_post_key(step);
            let occurrence = timeline
                .iter()
                .find(|o| o.key == key)
                .expect("the step's post");
            for open in [true, false] {
                let base = golive::slack::port::Outgoing::text(long(&occurrence.title, 4_000));
                let view = StepView {
                    percent: step.percent,
                    plain: long("Rollout step ", 4_000),
                    body: long("Rollout step <@U0123456789> ", 4_000),
                    open,
                };
                let post = rollout_messages::step_post(&ex.templates, &"r".repeat(64), base, &view);
                ex.message("rollout_step", &key, post);
            }
        }
        let lines: Vec<(String, String)> = (0..20)
            .map(|n| {
                (
                    long(&format!("line {n} "), 4_000),
                    long(&format!("*line {n}* "), 4_000),
                )
            })
            .collect();
        let header = long(&format!("Rollout of {} ", plan.release.name), 500);
        let list = rollout_messages::rollout(&ex.templates, &header, &lines);
        ex.message("rollout", "rollout list", list);
    }
}

#[test]
fn rollout_posts_and_the_rollout_list_stay_within_slacks_limits() {
    let mut ex = Exercise::new();
    rollout_messages(&mut ex, plans());
    ex.finish(ROLLOUT);
}

/// Every metric table of both plans on each of its days, one at a time and all together, with
/// no actuals and with 4,000-character actuals entered by long ids.
fn scorecards(ex: &mut Exercise, plans: &[(Plan, Vec<Occurrence>)]) {
    use golive::domain::metric::Verdict;
    use golive::slack::metric_messages::{self, ScoreLine, Scorecard};
    for (plan, _) in plans {
        let zone = plan.release.timezone;
        for with_actuals in [false, true] {
            let mut cards = Vec::new();
            for group in &plan.metrics {
                for (day, when) in group.at.iter().enumerate() {
                    let lines = group
                        .metrics
                        .iter()
                        .map(|metric| ScoreLine {
                            key: metric.key.clone(),
                            name: metric.name.clone(),
                            target: metric.targets[day].clone(),
                            actual: with_actuals.then(|| {
                                (long("Actual ", 4_000), "U0123456789".to_string(), now())
                            }),
                            verdict: [Verdict::Met, Verdict::Missed, Verdict::Unknown][day % 3],
                        })
                        .collect();
                    let card = Scorecard {
                        title: format!("{} ({when})", group.title),
                        lines,
                    };
                    let one = metric_messages::scorecard(&ex.templates, &card, zone);
                    ex.message("scorecard", &card.title, one);
                    cards.push(card);
                }
            }
            let all = metric_messages::scorecards(&ex.templates, &cards, zone);
            ex.message("scorecard", "every table", all);
        }
    }
}

#[test]
fn scorecards_stay_within_slacks_limits_with_long_names_and_actuals() {
    let mut ex = Exercise::new();
    scorecards(&mut ex, plans());
    ex.finish(SCORECARDS);
}

#[test]
fn scheduled_posts_and_blocked_gates_stay_within_slacks_limits() {
    let mut ex = Exercise::new();
    scheduled_posts(&mut ex, plans());
    assert!(ex.messages > 1_000, "{} messages", ex.messages);
    ex.finish(SCHEDULED);
}

#[test]
fn status_stays_within_slacks_limits_with_everything_open() {
    let mut ex = Exercise::new();
    status_reports(&mut ex, plans());
    ex.finish(STATUS);
}

#[test]
fn help_timelines_roles_and_notices_stay_within_slacks_limits() {
    let mut ex = Exercise::new();
    replies(&mut ex, plans());
    ex.finish(REPLIES);
}

#[test]
fn incident_messages_stay_within_slacks_limits_with_huge_summaries_and_sixty_open() {
    let mut ex = Exercise::new();
    incident_reports(&mut ex, plans());
    ex.finish(INCIDENTS);
}

#[test]
fn checklists_reminders_and_the_reopen_modal_stay_within_slacks_limits() {
    let mut ex = Exercise::new();
    checklists(&mut ex, plans());
    assert!(ex.views > 100, "{} modals", ex.views);
    ex.finish(CHECKLISTS);
}

#[test]
fn votes_decisions_and_the_no_go_modal_stay_within_slacks_limits_with_many_voters() {
    let mut ex = Exercise::new();
    votes(&mut ex, plans());
    ex.finish(VOTES);
}

/// The names of the template files in `message-templates/`.
fn template_files() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/message-templates");
    std::fs::read_dir(dir)
        .expect("message-templates/ is readable")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".json.hbs").map(str::to_string))
        .collect()
}

#[test]
fn every_template_is_rendered_by_one_of_these_tests() {
    let compiled: BTreeSet<String> = Templates::names().map(str::to_string).collect();
    assert_eq!(
        compiled,
        template_files(),
        "every file in message-templates/ is compiled in, and nothing else"
    );
    let covered: BTreeSet<String> = [
        SCHEDULED, STATUS, REPLIES, INCIDENTS, CHECKLISTS, VOTES, SCORECARDS, ROLLOUT,
    ]
    .concat()
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(
        covered, compiled,
        "a new template needs rendering here with the longest inputs it can get"
    );
}
