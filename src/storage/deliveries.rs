//! The `deliveries` table: ids of inbound Slack deliveries already handled.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{to_millis, StoreError};

/// Records a delivery id; true the first time it is seen, false for Slack's retries.
pub async fn first_delivery(
    conn: &mut SqliteConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query("INSERT OR IGNORE INTO deliveries (id, received_at) VALUES (?, ?)")
        .bind(id)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
