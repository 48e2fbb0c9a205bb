//! The `checklist_posts` and `checklist_confirmations` tables: where each checklist was posted
//! and which of its items are confirmed.

use std::collections::HashMap;

use super::AsConn;
use chrono::{DateTime, Utc};

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
    conn: &mut impl AsConn,
    release_id: &str,
    checklist: &str,
    channel: &str,
    ts: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "INSERT INTO checklist_posts (release_id, checklist, channel, ts, posted_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(release_id)
        .bind(checklist)
        .bind(channel)
        .bind(ts)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// The latest post of a checklist, if it was ever posted.
pub async fn latest_post(
    conn: &mut impl AsConn,
    release_id: &str,
    checklist: &str,
) -> Result<Option<ChecklistPost>, StoreError> {
    crate::on!(conn, |conn| {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT channel, ts FROM checklist_posts WHERE release_id = $1 AND checklist = $2
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
    })
}

/// The keys of every checklist posted at least once.
pub async fn posted_checklists(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<String>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT checklist FROM checklist_posts WHERE release_id = $1
         GROUP BY checklist ORDER BY MIN(id)",
        )
        .bind(release_id)
        .fetch_all(conn)
        .await?;
        Ok(rows.into_iter().map(|(key,)| key).collect())
    })
}

/// Confirms an item; false when it was confirmed already (the earlier confirmation stands).
pub async fn confirm_item(
    conn: &mut impl AsConn,
    release_id: &str,
    checklist: &str,
    item: &str,
    confirmation: &Confirmation,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
            "INSERT INTO checklist_confirmations
            (release_id, checklist, item, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        )
        .bind(release_id)
        .bind(checklist)
        .bind(item)
        .bind(&confirmation.by)
        .bind(to_millis(confirmation.at))
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Reopens an item if it is still the confirmation `was`; false when someone else changed it.
pub async fn reopen_item(
    conn: &mut impl AsConn,
    release_id: &str,
    checklist: &str,
    item: &str,
    was: &Confirmation,
) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let done = sqlx::query(
        "DELETE FROM checklist_confirmations
          WHERE release_id = $1 AND checklist = $2 AND item = $3 AND confirmed_by = $4 AND confirmed_at = $5",
    )
    .bind(release_id)
    .bind(checklist)
    .bind(item)
    .bind(&was.by)
    .bind(to_millis(was.at))
    .execute(conn)
    .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The confirmations of one checklist, by item key.
pub async fn confirmations(
    conn: &mut impl AsConn,
    release_id: &str,
    checklist: &str,
) -> Result<HashMap<String, Confirmation>, StoreError> {
    crate::on!(conn, |conn| {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT item, confirmed_by, confirmed_at FROM checklist_confirmations
          WHERE release_id = $1 AND checklist = $2",
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
    })
}
