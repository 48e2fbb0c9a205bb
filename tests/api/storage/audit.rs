//! The audit log: entries appended one at a time and many in one statement.

use chrono::Utc;
use golive::storage::audit::{self, NewEntry};
use golive::storage::{from_millis, to_millis};

use super::{on_both, Fresh, RELEASE};

on_both!(many_entries_are_appended_in_order,);

/// Many entries in one statement land in the order given, after the one before, with their
/// text as written.
async fn many_entries_are_appended_in_order(store: Fresh) {
    let mut conn = store.conn().await;
    let at = from_millis(to_millis(Utc::now()));
    audit::record(&mut conn, RELEASE, at, "U0", "first", "one")
        .await
        .unwrap();
    let entry = |actor, detail| NewEntry {
        release_id: RELEASE,
        at,
        actor,
        action: "ballot",
        detail,
    };
    let entries = [
        entry("U1", "a \"quoted\" ✓"),
        entry("U2", "b"),
        entry("U1", "c"),
    ];
    audit::record_all(&mut conn, &entries).await.unwrap();
    audit::record_all(&mut conn, &[]).await.unwrap();
    let log = audit::list(&mut conn, RELEASE).await.unwrap();
    let got: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("U0", "first", "one"),
            ("U1", "ballot", "a \"quoted\" ✓"),
            ("U2", "ballot", "b"),
            ("U1", "ballot", "c"),
        ]
    );
    assert!(log.iter().all(|e| e.at == at));
    assert_eq!(audit::count(&mut conn, RELEASE, "ballot").await.unwrap(), 3);
}
