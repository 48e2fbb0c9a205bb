//! The last computed store-backed lines of `/golive status` (see `workflows::status_extras`,
//! which decides when they may be reused), and the last answer built from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::plan::Plan;
use crate::release::Snapshot;
use crate::slack::port::Outgoing;

/// The store-backed status lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusExtras {
    pub incidents: Vec<String>,
    pub checklists: Vec<String>,
    pub gonogo: Option<String>,
    /// The flag, a pause, guards out of bounds.
    pub rollout: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    changes: u64,
    second: i64,
    computed: Instant,
    extras: Arc<StatusExtras>,
}

/// The cache: one entry per launch.
#[derive(Debug, Default)]
pub struct StatusExtrasCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl StatusExtrasCache {
    /// The cached lines of `release`, if computed at `changes` in `second` less than `max_age`
    /// ago.
    pub fn fresh(
        &self,
        release: &str,
        changes: u64,
        second: i64,
        max_age: Duration,
    ) -> Option<Arc<StatusExtras>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(release)?;
        let fresh = entry.changes == changes
            && entry.second == second
            && entry.computed.elapsed() < max_age;
        fresh.then(|| entry.extras.clone())
    }

    /// The lines of `release` last computed, however old.
    pub fn last(&self, release: &str) -> Option<Arc<StatusExtras>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(release).map(|entry| entry.extras.clone())
    }

    /// Keeps the lines of `release` computed at `changes` in `second`.
    pub fn keep(&self, release: &str, changes: u64, second: i64, extras: Arc<StatusExtras>) {
        let entry = Entry {
            changes,
            second,
            computed: Instant::now(),
            extras,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(release.to_string(), entry);
    }
}

/// The last `/golive status` answer of each launch, with what it was computed from.
///
/// The answer is a function of the plan, the release's snapshot, the store-backed lines and the
/// bot's clock (shown to the second). Each entry holds the `Arc`s it was computed from, so
/// pointer equality with the current ones means "nothing changed": a replaced plan, snapshot or
/// set of lines is a new allocation, and one still held here cannot be reused for another.
#[derive(Default)]
pub struct StatusAnswers {
    entries: Mutex<HashMap<String, Answer>>,
    /// Held while an answer is computed (see `launch::status_report::answer`).
    computing: tokio::sync::Mutex<()>,
}

struct Answer {
    plan: Arc<Plan>,
    snapshot: Arc<Snapshot>,
    extras: Arc<StatusExtras>,
    second: i64,
    message: Arc<Outgoing>,
}

/// What a status answer was computed from.
pub struct AnswerInputs<'a> {
    pub plan: &'a Arc<Plan>,
    pub snapshot: &'a Arc<Snapshot>,
    pub extras: &'a Arc<StatusExtras>,
    /// The bot's clock, in whole unix seconds.
    pub second: i64,
}

impl StatusAnswers {
    /// Waits until no other answer is being computed.
    pub async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.computing.lock().await
    }

    /// The answer of `release` computed from exactly `inputs`, if any.
    pub fn fresh(&self, release: &str, inputs: &AnswerInputs<'_>) -> Option<Arc<Outgoing>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(release)?;
        let same = entry.second == inputs.second
            && Arc::ptr_eq(&entry.plan, inputs.plan)
            && Arc::ptr_eq(&entry.snapshot, inputs.snapshot)
            && Arc::ptr_eq(&entry.extras, inputs.extras);
        same.then(|| entry.message.clone())
    }

    /// Keeps `message` as the answer of `release` for `inputs`.
    pub fn keep(&self, release: &str, inputs: &AnswerInputs<'_>, message: Arc<Outgoing>) {
        let answer = Answer {
            plan: inputs.plan.clone(),
            snapshot: inputs.snapshot.clone(),
            extras: inputs.extras.clone(),
            second: inputs.second,
            message,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get_mut(release) {
            Some(entry) => *entry = answer,
            None => {
                entries.insert(release.to_string(), answer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(
        plan: &'a Arc<Plan>,
        snapshot: &'a Arc<Snapshot>,
        extras: &'a Arc<StatusExtras>,
        second: i64,
    ) -> AnswerInputs<'a> {
        AnswerInputs {
            plan,
            snapshot,
            extras,
            second,
        }
    }

    #[test]
    fn an_answer_is_reused_only_for_the_same_inputs_in_the_same_second() {
        let answers = StatusAnswers::default();
        let plan = Arc::new(crate::domain::plan::Plan::embedded());
        let snapshot = Arc::new(Snapshot::default());
        let extras = Arc::new(StatusExtras::default());
        let message = Arc::new(Outgoing::text("status"));
        answers.keep("r", &inputs(&plan, &snapshot, &extras, 10), message.clone());
        let hit = answers.fresh("r", &inputs(&plan, &snapshot, &extras, 10));
        assert!(hit.is_some_and(|m| Arc::ptr_eq(&m, &message)));
        assert!(answers
            .fresh("other", &inputs(&plan, &snapshot, &extras, 10))
            .is_none());
        assert!(answers
            .fresh("r", &inputs(&plan, &snapshot, &extras, 11))
            .is_none());
        let changed = Arc::new(Snapshot::default());
        assert!(answers
            .fresh("r", &inputs(&plan, &changed, &extras, 10))
            .is_none());
        let lines = Arc::new(StatusExtras::default());
        assert!(answers
            .fresh("r", &inputs(&plan, &snapshot, &lines, 10))
            .is_none());
    }
}
