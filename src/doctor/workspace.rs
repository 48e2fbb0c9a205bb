//! The workspace checks of each plan: the launch channel, the teams' user groups and the people
//! holding roles, plus the release managers from the environment.

use std::collections::HashMap;

use super::plans::Loaded;
use super::{needs_bot, slack_failure, Bot, Check, NEEDS_BOT};
use crate::domain::plan::Plan;
use crate::slack::checkup::Person;
use crate::slack::port::SlackError;
use crate::workflows::launch::setup::{look_up, missing_groups};

/// The channel, group and people checks of one plan, after its `plan` line if it has one.
pub async fn plan_checks(
    bot: Option<&Bot>,
    loaded: &Loaded,
    people: &mut People<'_>,
) -> Vec<Check> {
    let mut checks: Vec<Check> = loaded.check.iter().cloned().collect();
    let label = &loaded.label;
    let names = [
        format!("launch channel ({label})"),
        format!("user groups ({label})"),
        format!("role holders ({label})"),
    ];
    let Some(plan) = &loaded.plan else {
        let why = "the plan does not load (see above)";
        checks.extend(names.map(|name| Check::not_run(name, why)));
        return checks;
    };
    let [channel_name, groups_name, people_name] = names;
    match bot {
        Some(bot) => {
            // The same lookups the bot makes at start-up.
            let lookup = look_up(bot.checkup.port(), plan).await;
            checks.push(channel(bot, plan, channel_name, lookup.channel).await);
            checks.push(groups(plan, groups_name, lookup.groups));
        }
        None => {
            checks.push(Check::not_run(channel_name, NEEDS_BOT));
            checks.push(Check::not_run(groups_name, NEEDS_BOT));
        }
    }
    let fix = "put the member ids of active people in the plan's [[roles]] users and [release] \
               release_managers (in Slack: a profile → ⋮ → Copy member ID)";
    let nobody = "the plan names nobody yet (release managers assign roles with /golive role)";
    checks.push(people.check(people_name, holders(plan), nobody, fix).await);
    checks
}

async fn channel(
    bot: &Bot,
    plan: &Plan,
    name: String,
    found: Result<Option<String>, SlackError>,
) -> Check {
    let shown = format!("#{}", plan.release.channel.trim_start_matches('#'));
    let invite = format!("type /invite @{} in {shown}", bot.name);
    match found {
        Err(error) => slack_failure(name, "conversations.list", &error),
        Ok(None) => Check::failed(
            name,
            format!("golive sees no channel {shown}"),
            format!(
                "create {shown}, or set `channel` under [release] in the plan to the launch \
                 channel; a private channel shows only once golive is in it: {invite}"
            ),
        ),
        Ok(Some(id)) => match bot.checkup.is_member(&id).await {
            Ok(true) => Check::passed(name, format!("{shown} ({id}); golive is a member")),
            Ok(false) => Check::failed(
                name,
                format!("golive is not a member of {shown} ({id})"),
                invite,
            ),
            Err(error) => slack_failure(name, "conversations.info", &error),
        },
    }
}

fn groups(plan: &Plan, name: String, groups: Result<HashMap<String, String>, SlackError>) -> Check {
    let named = plan.teams.iter().filter(|t| t.usergroup.is_some()).count();
    if named == 0 {
        return Check::passed(name, "no team names a user group");
    }
    let groups = match groups {
        Ok(groups) => groups,
        Err(error) => return slack_failure(name, "usergroups.list", &error),
    };
    let missing = missing_groups(plan, &groups);
    if missing.is_empty() {
        return Check::passed(
            name,
            format!("all {named} user groups the teams name exist"),
        );
    }
    let listed: Vec<String> = missing
        .iter()
        .map(|(team, handle)| format!("@{handle} (team {team})"))
        .collect();
    Check::failed(
        name,
        format!("no user group {}", listed.join(", ")),
        "create them in Slack (People → User groups), or correct or remove those teams' \
         `usergroup` in the plan; until then golive mentions each team's lead instead",
    )
}

/// The people a plan names, each with what it names them as: its role holders and release
/// managers.
fn holders(plan: &Plan) -> Vec<(String, Vec<String>)> {
    let mut holders: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |user: &str, role: &str| match holders.iter_mut().find(|(u, _)| u == user) {
        Some((_, roles)) => roles.push(role.to_string()),
        None => holders.push((user.to_string(), vec![role.to_string()])),
    };
    for assignment in &plan.roles {
        for user in &assignment.users {
            add(user, assignment.role.key());
        }
    }
    for user in &plan.release.release_managers {
        add(user, "release_managers");
    }
    holders
}

/// Checks the release managers of `GOLIVE_RELEASE_MANAGERS`.
pub async fn release_managers(ids: &[String], people: &mut People<'_>) -> Check {
    let named = ids
        .iter()
        .map(|id| (id.clone(), vec!["GOLIVE_RELEASE_MANAGERS".to_string()]))
        .collect();
    let fix = "set GOLIVE_RELEASE_MANAGERS to the member ids of active people, comma-separated \
               (in Slack: a profile → ⋮ → Copy member ID)";
    let name = "release managers (GOLIVE_RELEASE_MANAGERS)".to_string();
    people.check(name, named, "not set", fix).await
}

/// Looks each person up once, however many checks name them.
pub struct People<'b> {
    bot: Option<&'b Bot>,
    seen: HashMap<String, Person>,
}

impl<'b> People<'b> {
    pub fn new(bot: Option<&'b Bot>) -> Self {
        Self {
            bot,
            seen: HashMap::new(),
        }
    }

    /// Passes when every named user id is an active person (`nobody` says why none is named).
    async fn check(
        &mut self,
        name: String,
        named: Vec<(String, Vec<String>)>,
        nobody: &str,
        fix: &str,
    ) -> Check {
        if named.is_empty() {
            return Check::passed(name, nobody);
        }
        let bot = match needs_bot(self.bot, &name) {
            Ok(bot) => bot,
            Err(not_run) => return not_run,
        };
        let mut problems = Vec::new();
        for (id, roles) in &named {
            let person = match self.seen.get(id) {
                Some(person) => *person,
                None => match bot.checkup.person(id).await {
                    Ok(person) => *self.seen.entry(id.clone()).or_insert(person),
                    Err(error) => return slack_failure(name, "users.info", &error),
                },
            };
            let roles = roles.join(", ");
            match person {
                Person::Active => {}
                Person::Deactivated => problems.push(format!("{id} ({roles}) is deactivated")),
                Person::Unknown => {
                    problems.push(format!("{id} ({roles}) is not a user of this workspace"))
                }
            }
        }
        if problems.is_empty() {
            let what = format!("{} named, all active Slack users", named.len());
            return Check::passed(name, what);
        }
        Check::failed(name, problems.join("; "), fix)
    }
}
