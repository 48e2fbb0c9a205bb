//! Role holders.

use chrono::{TimeDelta, Utc};
use golive::storage::roles;

use super::{on_both, Fresh, RELEASE};

fn users(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|u| u.to_string()).collect()
}

on_both!(
    new_holders_replace_the_old_ones,
    holders_replaced_by_two_transactions_at_once_are_the_last_ones,
);

/// Replacing a role's holders leaves only the new ones (a user named twice holds it once);
/// other roles keep theirs; roles are listed in role, then assignment order.
async fn new_holders_replace_the_old_ones(store: Fresh) {
    let mut conn = store.conn().await;
    let now = Utc::now();
    assert!(!roles::any_assigned(&mut conn, RELEASE).await.unwrap());
    roles::replace_holders(&mut conn, RELEASE, "qa-lead", &users(&["UQ"]), "URM", now)
        .await
        .unwrap();
    roles::replace_holders(
        &mut conn,
        RELEASE,
        "on-call",
        &users(&["U2", "U1"]),
        "URM",
        now,
    )
    .await
    .unwrap();
    let later = now + TimeDelta::seconds(1);
    roles::replace_holders(
        &mut conn,
        RELEASE,
        "on-call",
        &users(&["U3", "U1", "U3"]),
        "URM",
        later,
    )
    .await
    .unwrap();
    let pairs = roles::list(&mut conn, RELEASE).await.unwrap();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(r, u)| (r.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [("on-call", "U1"), ("on-call", "U3"), ("qa-lead", "UQ")]
    );
    assert!(roles::any_assigned(&mut conn, RELEASE).await.unwrap());
    roles::replace_holders(&mut conn, RELEASE, "qa-lead", &[], "URM", later)
        .await
        .unwrap();
    assert_eq!(roles::list(&mut conn, RELEASE).await.unwrap().len(), 2);
}

/// Two replicas replacing a role's holders at once (the second waiting for the first): the
/// role ends with the holders of one of them, the last, not both.
async fn holders_replaced_by_two_transactions_at_once_are_the_last_ones(store: Fresh) {
    let now = Utc::now();
    let mut conn = store.conn().await;
    roles::replace_holders(&mut conn, RELEASE, "on-call", &users(&["U0"]), "URM", now)
        .await
        .unwrap();
    let mut first = store.db().begin().await.unwrap();
    roles::replace_holders(
        &mut first,
        RELEASE,
        "on-call",
        &users(&["U1", "U2"]),
        "URM",
        now,
    )
    .await
    .unwrap();
    let db = store.db().clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        roles::replace_holders(&mut tx, RELEASE, "on-call", &users(&["U3"]), "URM", now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    store.until_one_waits_for_a_lock().await;
    first.commit().await.unwrap();
    second.await.unwrap();
    let pairs = roles::list(&mut conn, RELEASE).await.unwrap();
    assert_eq!(pairs, [("on-call".to_string(), "U3".to_string())]);
}
