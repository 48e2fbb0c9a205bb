//! Interactive messages waiting for the replica holding their launch to render them again: the
//! `refresh_asks` table and the `golive_refresh` notification (a shared store only).

use super::{among, AsConn, Conn, StoreError};

/// The channel a replica notifies, with the launch's id, after asking for a refresh.
pub const CHANNEL: &str = "golive_refresh";

/// Asks the holder of `release` to render `target` again; asks already waiting fold into one.
pub async fn ask(conn: &mut impl AsConn, release: &str, target: &str) -> Result<(), StoreError> {
    let insert = "INSERT INTO refresh_asks (release_id, target) VALUES ($1, $2)
                  ON CONFLICT (release_id, target) DO NOTHING";
    // One statement: PostgreSQL sends the notification once the row is committed, so the holder
    // finds the row when it hears.
    let ask = match conn.conn() {
        Conn::Sqlite(_) => insert.to_string(),
        Conn::Postgres(_) => format!("WITH asked AS ({insert}) SELECT pg_notify('{CHANNEL}', $1)"),
    };
    crate::on!(conn, |c| {
        sqlx::query(&ask)
            .bind(release)
            .bind(target)
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Takes every ask waiting for the launches `releases`: (release id, target).
pub async fn take(
    conn: &mut impl AsConn,
    releases: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let ids = serde_json::to_string(releases).unwrap_or_else(|_| "[]".into());
    let take = format!(
        "DELETE FROM refresh_asks WHERE {} RETURNING release_id, target",
        among(conn, "release_id", 1)
    );
    crate::on!(conn, |c| {
        Ok(sqlx::query_as(&take).bind(&ids).fetch_all(c).await?)
    })
}
