//! The `checklist_posts` and `checklist_confirmations` tables: where each checklist was posted
//! and which of its items are confirmed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{from_millis, to_millis, StoreError};
use crate::domain::checklist::Confirmation;

/// Where a checklist was posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistPost {
    pub checklist: String,
    pub channel: String,
    pub ts: String,
}

/// Records a post of a checklist; it becomes the live one.
pub async fn record_post(
    conn: &mut SqliteConnection,
    release_id: &str,
    checklist: &str,
    channel: &str,
    ts: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT OR IGNORE INTO checklist_posts (release_id, checklist, channel, ts, posted_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(release_id)
    .bind(checklist)
    .bind(channel)
    .bind(ts)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest post of a checklist, if it was ever posted.
pub async fn latest_post(
    conn: &mut SqliteConnection,
    release_id: &str,
    checklist: &str,
) -> Result<Option<ChecklistPost>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT channel, ts FROM checklist_posts WHERE release_id = ? AND checklist = ?
         ORDER BY id DESC LIMIT 1",
    )
    .bind(release_id)
    .bind(checklist)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(channel, ts)| ChecklistPost {
        checklist: checklist.to_string(),
        channel,
        ts,
    }))
}

/// The keys of every checklist posted at least once.
pub async fn posted_checklists(
    conn: &mut SqliteConnection,
    release_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT checklist FROM checklist_posts WHERE release_id = ?
         GROUP BY checklist ORDER BY MIN(id)",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(key,)| key).collect())
}

/// Confirms an item; false when it was confirmed already (the earlier confirmation stands).
pub async fn confirm_item(
    conn: &mut SqliteConnection,
    release_id: &str,
    checklist: &str,
    item: &str,
    confirmation: &Confirmation,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT OR IGNORE INTO checklist_confirmations
            (release_id, checklist, item, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(release_id)
    .bind(checklist)
    .bind(item)
    .bind(&confirmation.by)
    .bind(to_millis(confirmation.at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Reopens an item if it is still the confirmation `was`; false when someone else changed it.
pub async fn reopen_item(
    conn: &mut SqliteConnection,
    release_id: &str,
    checklist: &str,
    item: &str,
    was: &Confirmation,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM checklist_confirmations
          WHERE release_id = ? AND checklist = ? AND item = ? AND confirmed_by = ? AND confirmed_at = ?",
    )
    .bind(release_id)
    .bind(checklist)
    .bind(item)
    .bind(&was.by)
    .bind(to_millis(was.at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The confirmations of one checklist, by item key.
pub async fn confirmations(
    conn: &mut SqliteConnection,
    release_id: &str,
    checklist: &str,
) -> Result<HashMap<String, Confirmation>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT item, confirmed_by, confirmed_at FROM checklist_confirmations
          WHERE release_id = ? AND checklist = ?",
    )
    .bind(release_id)
    .bind(checklist)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item, by, at)| {
            let at = from_millis(at);
            (item, Confirmation { by, at })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_confirmation_of_an_item_keeps_the_first() {
        let (_dir, pool) = crate::storage::test_store().await;
        let mut conn = pool.acquire().await.unwrap();
        let first = Confirmation {
            by: "U1".into(),
            at: from_millis(1_000),
        };
        let second = Confirmation {
            by: "U2".into(),
            at: from_millis(2_000),
        };
        assert!(confirm_item(&mut conn, "r", "l-1", "i", &first)
            .await
            .unwrap());
        assert!(!confirm_item(&mut conn, "r", "l-1", "i", &second)
            .await
            .unwrap());
        let stored = confirmations(&mut conn, "r", "l-1").await.unwrap();
        assert_eq!(stored["i"], first);
        assert!(!reopen_item(&mut conn, "r", "l-1", "i", &second)
            .await
            .unwrap());
        assert!(reopen_item(&mut conn, "r", "l-1", "i", &first)
            .await
            .unwrap());
        assert!(confirmations(&mut conn, "r", "l-1")
            .await
            .unwrap()
            .is_empty());
    }
}
