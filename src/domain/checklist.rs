//! A checklist as it stands: which items are confirmed, by whom and when, and the transitions
//! confirm and reopen. Pure: the workflow loads the confirmations, asks here what happens, and
//! saves the answer. Who may confirm is decided here too, from facts the workflow gathers.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::day::{resolve, DayOffset, DayTime};
use super::excerpt::excerpt;
use super::plan::{item_key, ChecklistItem, Owner, Plan, Role};

/// How long before a checklist's deadline the owners of open items are reminded.
pub const REMIND_BEFORE: Duration = Duration::hours(2);

/// A checklist golive can post: one of the plan's checklists or a phase's exit criteria.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistSpec {
    /// "l-7", "l-1", "l-day", "l+7" or "phase-N".
    pub key: String,
    pub title: String,
    /// When the plan posts it; `None` for exit criteria, which are posted on demand.
    pub due: Option<DayTime>,
    pub items: Vec<ChecklistItem>,
}

/// Who confirmed an item, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A checklist with its confirmations.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub spec: ChecklistSpec,
    /// Item key → its confirmation; an item without one is open.
    pub confirmed: HashMap<String, Confirmation>,
}

/// An item was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub item: String,
    pub confirmation: Confirmation,
}

/// An item was reopened, with the reason for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopened {
    pub item: String,
    pub by: String,
    pub reason: String,
    pub at: DateTime<Utc>,
    /// The confirmation it undoes.
    pub was: Confirmation,
}

/// Why a checklist change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    #[error("there is no checklist `{}`; checklists: {}", excerpt(.0), .1)]
    UnknownChecklist(String, String),
    #[error("this checklist has no item `{}`", excerpt(.0))]
    UnknownItem(String),
    #[error("“{text}” was already confirmed")]
    AlreadyConfirmed { text: String, by: Confirmation },
    #[error("“{0}” is open already")]
    NotConfirmed(String),
    #[error("a reason is needed to reopen an item")]
    ReasonRequired,
}

impl ChecklistSpec {
    /// The checklist `key` names in the plan: a checklist key, or "phase-N" for that phase's
    /// exit criteria. Exit criteria belong to the release managers' team, since they sign a
    /// phase off.
    pub fn from_plan(plan: &Plan, key: &str) -> Result<ChecklistSpec, ChecklistError> {
        let key = key.to_ascii_lowercase();
        if let Some(checklist) = plan.checklist(&key) {
            return Ok(ChecklistSpec {
                key,
                title: checklist.title.clone(),
                due: Some(checklist.due),
                items: checklist.items.clone(),
            });
        }
        let phase = key
            .strip_prefix("phase-")
            .and_then(|n| n.parse::<u8>().ok())
            .and_then(|n| plan.phases.iter().find(|p| p.number == n));
        let Some(phase) = phase else {
            return Err(ChecklistError::UnknownChecklist(key, known_keys(plan)));
        };
        let owner = plan
            .teams
            .iter()
            .find(|team| team.lead_role == Some(Role::ReleaseManager))
            .map_or(Owner::All, |team| Owner::Team(team.key.clone()));
        Ok(ChecklistSpec {
            title: format!("Phase {} exit criteria: {}", phase.number, phase.name),
            key,
            due: None,
            items: phase
                .exit_criteria
                .iter()
                .map(|text| ChecklistItem {
                    key: item_key(text),
                    text: text.clone(),
                    owner: owner.clone(),
                })
                .collect(),
        })
    }

    /// Every checklist the plan has, scheduled ones first.
    pub fn all(plan: &Plan) -> Vec<ChecklistSpec> {
        let keys = plan.checklists.iter().map(|c| c.key.clone());
        let phases = plan.phases.iter().map(|p| format!("phase-{}", p.number));
        keys.chain(phases)
            .filter_map(|key| ChecklistSpec::from_plan(plan, &key).ok())
            .collect()
    }

    /// The item with this key.
    pub fn item(&self, key: &str) -> Option<&ChecklistItem> {
        self.items.iter().find(|item| item.key == key)
    }

    /// When its items should all be done: the end of its due day in the plan's zone.
    pub fn deadline(&self, plan: &Plan, launch: NaiveDate) -> Option<DateTime<Utc>> {
        let due = self.due?;
        let next_day = DayTime {
            day: DayOffset(due.day.0 + 1),
            time: NaiveTime::MIN,
        };
        Some(resolve(plan.release.timezone, launch, next_day))
    }
}

fn known_keys(plan: &Plan) -> String {
    let mut keys: Vec<String> = plan.checklists.iter().map(|c| c.key.clone()).collect();
    keys.push("phase-N".to_string());
    keys.join(", ")
}

impl Progress {
    /// Confirms an open item.
    pub fn confirm(
        &self,
        item: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Confirmed, ChecklistError> {
        let found = self.item(item)?;
        if let Some(done) = self.confirmed.get(item) {
            return Err(ChecklistError::AlreadyConfirmed {
                text: found.text.clone(),
                by: done.clone(),
            });
        }
        Ok(Confirmed {
            item: item.to_string(),
            confirmation: Confirmation {
                by: by.to_string(),
                at: now,
            },
        })
    }

    /// Reopens a confirmed item; the reason must say something.
    pub fn reopen(
        &self,
        item: &str,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Reopened, ChecklistError> {
        let found = self.item(item)?;
        let Some(was) = self.confirmed.get(item) else {
            return Err(ChecklistError::NotConfirmed(found.text.clone()));
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ChecklistError::ReasonRequired);
        }
        Ok(Reopened {
            item: item.to_string(),
            by: by.to_string(),
            reason: reason.to_string(),
            at: now,
            was: was.clone(),
        })
    }

    /// Items not yet confirmed, in plan order.
    pub fn open_items(&self) -> Vec<&ChecklistItem> {
        let open = |item: &&ChecklistItem| !self.confirmed.contains_key(&item.key);
        self.spec.items.iter().filter(open).collect()
    }

    /// How many items are confirmed.
    pub fn done(&self) -> usize {
        self.spec.items.len() - self.open_items().len()
    }

    fn item(&self, key: &str) -> Result<&ChecklistItem, ChecklistError> {
        self.spec
            .item(key)
            .ok_or_else(|| ChecklistError::UnknownItem(key.to_string()))
    }
}

/// Whether `user` may confirm or reopen an item of `owner`: everyone may for items owned by
/// all; otherwise the owner team's people (`team_people`) and release managers.
pub fn may_confirm(
    owner: &Owner,
    user: &str,
    team_people: &[String],
    release_manager: bool,
) -> bool {
    release_manager || *owner == Owner::All || team_people.iter().any(|p| p == user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::embedded()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn l1() -> Progress {
        Progress {
            spec: ChecklistSpec::from_plan(&plan(), "l-1").unwrap(),
            confirmed: HashMap::new(),
        }
    }

    #[test]
    fn an_open_item_is_confirmed_by_whoever_clicked_at_that_time() {
        let now = at("2026-03-09T18:00:00Z");
        let confirmed = l1().confirm("war-room-scheduled", "U1", now).unwrap();
        assert_eq!(confirmed.confirmation.by, "U1");
        assert_eq!(confirmed.confirmation.at, now);
    }

    #[test]
    fn a_confirmed_item_cannot_be_confirmed_again() {
        let mut progress = l1();
        let first = Confirmation {
            by: "U1".into(),
            at: at("2026-03-09T18:00:00Z"),
        };
        progress
            .confirmed
            .insert("war-room-scheduled".into(), first.clone());
        let error = progress
            .confirm("war-room-scheduled", "U2", at("2026-03-09T18:01:00Z"))
            .unwrap_err();
        assert!(matches!(error, ChecklistError::AlreadyConfirmed { by, .. } if by == first));
    }

    #[test]
    fn reopening_needs_a_reason_and_a_confirmed_item() {
        let now = at("2026-03-09T18:00:00Z");
        let mut progress = l1();
        assert!(matches!(
            progress.reopen("war-room-scheduled", "U1", "late", now),
            Err(ChecklistError::NotConfirmed(_))
        ));
        progress.confirmed.insert(
            "war-room-scheduled".into(),
            Confirmation {
                by: "U1".into(),
                at: now,
            },
        );
        assert_eq!(
            progress.reopen("war-room-scheduled", "U1", "  ", now),
            Err(ChecklistError::ReasonRequired)
        );
        let reopened = progress
            .reopen("war-room-scheduled", "U2", " room moved ", now)
            .unwrap();
        assert_eq!(reopened.reason, "room moved");
        assert_eq!(reopened.was.by, "U1");
    }

    #[test]
    fn an_unknown_item_is_refused() {
        let error = l1()
            .confirm("no-such-item", "U1", at("2026-03-09T18:00:00Z"))
            .unwrap_err();
        assert_eq!(error, ChecklistError::UnknownItem("no-such-item".into()));
    }

    #[test]
    fn phase_exit_criteria_are_a_checklist_owned_by_release_engineering() {
        let spec = ChecklistSpec::from_plan(&plan(), "phase-1").unwrap();
        assert_eq!(spec.items[0].text, "All P0/P1 bugs resolved");
        assert_eq!(spec.items[0].owner, Owner::Team("release-eng".into()));
        assert_eq!(spec.due, None);
    }

    #[test]
    fn an_unknown_checklist_lists_the_known_ones() {
        let error = ChecklistSpec::from_plan(&plan(), "l-3").unwrap_err();
        assert!(error.to_string().contains("l-day"), "{error}");
        assert!(ChecklistSpec::from_plan(&plan(), "phase-9").is_err());
    }

    #[test]
    fn the_deadline_is_the_end_of_the_due_day_in_the_plan_zone() {
        let spec = ChecklistSpec::from_plan(&plan(), "l-1").unwrap();
        let launch = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        // L-1 is 2026-03-09 (PDT, UTC-7): its end is 2026-03-10 00:00 PDT.
        assert_eq!(
            spec.deadline(&plan(), launch),
            Some(at("2026-03-10T07:00:00Z"))
        );
    }

    #[test]
    fn team_people_and_release_managers_may_confirm_others_may_not() {
        let sre = Owner::Team("sre".into());
        let people = vec!["U1".to_string()];
        assert!(may_confirm(&sre, "U1", &people, false));
        assert!(may_confirm(&sre, "U9", &people, true));
        assert!(!may_confirm(&sre, "U9", &people, false));
        assert!(may_confirm(&Owner::All, "U9", &[], false));
    }

    #[test]
    fn progress_counts_confirmed_items() {
        let mut progress = l1();
        progress.confirmed.insert(
            "war-room-scheduled".into(),
            Confirmation {
                by: "U1".into(),
                at: at("2026-03-09T18:00:00Z"),
            },
        );
        assert_eq!(progress.done(), 1);
        assert_eq!(progress.open_items().len(), 6);
    }
}
