//! Which replica is alive, and which holds each launch: the `replicas` and `leases` tables.
//!
//! A replica beats (renews its row) a few times per lease time; a launch's lease holds while its
//! holder's row does. Taking over a launch bumps its fencing token.

use chrono::{DateTime, Utc};

use super::{among, to_millis, AsConn, Conn, StoreError};

/// Renews `holder`'s row until `until`.
pub async fn beat(
    conn: &mut impl AsConn,
    holder: &str,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query(
            "INSERT INTO replicas (holder, until_ms) VALUES ($1, $2)
             ON CONFLICT (holder) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(holder)
        .bind(to_millis(until))
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Takes each of the launches `names` that nobody alive at `now` holds, and returns every one of
/// them `holder` holds afterwards.
pub async fn take(
    conn: &mut impl AsConn,
    names: &[String],
    holder: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let names = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    // A lease changes hands only when its holder's row ran out (or is gone).
    let upsert = "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = leases.token + 1
         WHERE leases.holder <> excluded.holder
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.holder = leases.holder AND r.until_ms > $3)";
    let given = match conn.conn() {
        // `WHERE true` tells SQLite's parser the upsert is not a join's ON.
        Conn::Sqlite(_) => "SELECT value, $2, 1 FROM json_each($1) WHERE true",
        Conn::Postgres(_) => "SELECT value, $2, 1 FROM jsonb_array_elements_text($1::jsonb)",
    };
    let insert = format!("INSERT INTO leases (name, holder, token) {given} {upsert}");
    let held = format!(
        "SELECT name FROM leases WHERE holder = $2 AND {}",
        among(conn, "name", 1)
    );
    let rows: Vec<(String,)> = crate::on!(conn, |c| {
        sqlx::query(&insert)
            .bind(&names)
            .bind(holder)
            .bind(to_millis(now))
            .execute(&mut *c)
            .await?;
        sqlx::query_as(&held)
            .bind(&names)
            .bind(holder)
            .fetch_all(c)
            .await?
    });
    Ok(rows.into_iter().map(|(name,)| name).collect())
}

/// The fencing token of launch `name`'s lease, and its holder.
pub async fn holder(
    conn: &mut impl AsConn,
    name: &str,
) -> Result<Option<(String, i64)>, StoreError> {
    crate::on!(conn, |conn| {
        Ok(
            sqlx::query_as("SELECT holder, token FROM leases WHERE name = $1")
                .bind(name)
                .fetch_optional(conn)
                .await?,
        )
    })
}

/// `holder` stops: its row goes, so the others take its launches at their next beat.
pub async fn leave(conn: &mut impl AsConn, holder: &str) -> Result<(), StoreError> {
    crate::on!(conn, |conn| {
        sqlx::query("DELETE FROM replicas WHERE holder = $1")
            .bind(holder)
            .execute(conn)
            .await?;
        Ok(())
    })
}
