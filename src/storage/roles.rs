//! The `role_assignments` table: who holds which role in a release.

use super::AsConn;
use chrono::{DateTime, Utc};

use super::{to_millis, StoreError};

/// Makes `users` the holders of `role`, replacing whoever held it. Two replacements at once
/// (from two replicas) leave one of them, not both.
pub async fn replace_holders(
    conn: &mut impl AsConn,
    release_id: &str,
    role: &str,
    users: &[String],
    assigned_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::releases::lock(conn, release_id).await?;
    crate::on!(conn, |conn| {
        sqlx::query("DELETE FROM role_assignments WHERE release_id = $1 AND role = $2")
            .bind(release_id)
            .bind(role)
            .execute(&mut *conn)
            .await?;
        for user in users {
            sqlx::query(
                "INSERT INTO role_assignments (release_id, role, user_id, assigned_by, assigned_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(release_id)
            .bind(role)
            .bind(user)
            .bind(assigned_by)
            .bind(to_millis(now))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
}

/// Every (role, user) pair of a release, in role then assignment order.
pub async fn list(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    crate::on!(conn, |conn| {
        Ok(sqlx::query_as(
            "SELECT role, user_id FROM role_assignments WHERE release_id = $1
         ORDER BY role, assigned_at, user_id",
        )
        .bind(release_id)
        .fetch_all(conn)
        .await?)
    })
}

/// Whether a role has ever been assigned in this release (the plan's defaults apply only before).
pub async fn any_assigned(conn: &mut impl AsConn, release_id: &str) -> Result<bool, StoreError> {
    crate::on!(conn, |conn| {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM role_assignments WHERE release_id = $1")
                .bind(release_id)
                .fetch_one(conn)
                .await?;
        Ok(n > 0)
    })
}
