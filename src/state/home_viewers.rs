//! Who has golive's Home tab open (opened it within the last hour), and when each was last
//! published: a change publishes again for them, at most once a second per person, coalesced.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

/// A Home opened longer ago than this is not published again until it is opened again.
pub const WATCHED_FOR: TimeDelta = TimeDelta::hours(1);
/// At most one publish per person in this time.
pub const MIN_GAP: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Viewer {
    opened: DateTime<Utc>,
    published: Option<Instant>,
    dirty: bool,
}

#[derive(Debug, Default)]
pub struct HomeViewers {
    viewers: Mutex<HashMap<String, Viewer>>,
}

impl HomeViewers {
    /// `user` opened Home at `now` (golive's clock) and was published at `published`.
    pub fn opened(&self, user: &str, now: DateTime<Utc>, published: Instant) {
        let mut viewers = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        viewers.insert(
            user.to_string(),
            Viewer {
                opened: now,
                published: Some(published),
                dirty: false,
            },
        );
    }

    /// Something changed: every Home still watched is to be published again; the others are
    /// forgotten.
    pub fn changed(&self, now: DateTime<Utc>) {
        let mut viewers = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        viewers.retain(|_, v| now - v.opened <= WATCHED_FOR);
        for viewer in viewers.values_mut() {
            viewer.dirty = true;
        }
    }

    /// The people to publish for at `now` (changed since, and not published within
    /// [`MIN_GAP`]); they count as published.
    pub fn due(&self, now: Instant) -> Vec<String> {
        let mut viewers = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        let mut due = Vec::new();
        for (user, viewer) in viewers.iter_mut() {
            let waited = viewer
                .published
                .is_none_or(|at| now.saturating_duration_since(at) >= MIN_GAP);
            if viewer.dirty && waited {
                viewer.dirty = false;
                viewer.published = Some(now);
                due.push(user.clone());
            }
        }
        due
    }

    pub fn watching(&self) -> usize {
        self.viewers.lock().map_or(0, |v| v.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_published_once_a_second_at_most_and_only_for_recent_viewers() {
        let homes = HomeViewers::default();
        let (now, at) = (Utc::now(), Instant::now());
        homes.opened("U1", now, at);
        homes.opened("U2", now - TimeDelta::hours(2), at);
        homes.changed(now);
        assert_eq!(
            homes.watching(),
            1,
            "a Home opened two hours ago is forgotten"
        );
        assert!(
            homes.due(at).is_empty(),
            "U1 was published less than a second ago"
        );
        homes.changed(now);
        assert_eq!(homes.due(at + MIN_GAP), vec!["U1".to_string()]);
        assert!(
            homes.due(at + MIN_GAP * 2).is_empty(),
            "coalesced: one publish per change"
        );
    }
}
