//! The bench's own connection to golive's store (SQLite read-only, or the PostgreSQL database),
//! to count what golive stored and to see who holds a launch.

use sqlx::{PgPool, SqlitePool};

pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens `url` as golive names it: `sqlite://FILE` (read-only) or `postgres://…`.
    pub async fn open(url: &str) -> Store {
        if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            Store::Postgres(pool)
        } else {
            let pool = SqlitePool::connect(&format!("{url}?mode=ro"))
                .await
                .unwrap_or_else(|e| panic!("open {url} read-only: {e}"));
            Store::Sqlite(pool)
        }
    }

    /// The first column of the first row of `sql`, a whole number; `None` without a row (or
    /// while the table does not exist yet).
    pub async fn number(&self, sql: &str) -> Option<i64> {
        match self {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await.ok()?,
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await.ok()?,
        }
    }

    /// The first column of the first row of `sql`, a text.
    pub async fn text(&self, sql: &str) -> Option<String> {
        match self {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await.ok()?,
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await.ok()?,
        }
    }

    pub async fn close(self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }
}
