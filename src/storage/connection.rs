//! Connections to either database, behind one type each, so a storage function is written once
//! and runs its SQL on whichever store golive was started with.
//!
//! A storage function takes `&mut impl AsConn` and opens its body with [`on!`], which compiles the
//! body once per database: the same SQL text (with `$1` placeholders, which both read) wherever
//! the two agree, a `match` on [`Conn`] where they do not (JSON rows, locking).

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// A borrowed connection to one of the two databases.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Anything a storage function can run its statements on: a connection, a pooled one, a
/// transaction.
pub trait AsConn: Send {
    fn conn(&mut self) -> Conn<'_>;
}

impl AsConn for SqliteConnection {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Sqlite(self)
    }
}

impl AsConn for PgConnection {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Postgres(self)
    }
}

impl AsConn for Conn<'_> {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl AsConn for PoolConnection<Sqlite> {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Sqlite(self)
    }
}

impl AsConn for PoolConnection<Postgres> {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Postgres(self)
    }
}

impl AsConn for Transaction<'_, Sqlite> {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Sqlite(self)
    }
}

impl AsConn for Transaction<'_, Postgres> {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Postgres(self)
    }
}

/// Runs `$body` with `$c` bound to the database's own connection type: the body is compiled
/// for each database.
#[macro_export]
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $crate::storage::AsConn::conn($conn) {
            $crate::storage::Conn::Sqlite($c) => $body,
            $crate::storage::Conn::Postgres($c) => $body,
        }
    };
}

/// The store's pool.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection taken from the pool.
pub enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    /// Starts a transaction that will write, on this connection (see [`Db::begin`]).
    pub async fn begin(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        use sqlx::Connection as _;
        Ok(match self {
            Pooled::Sqlite(c) => Tx::Sqlite(c.begin_with("BEGIN IMMEDIATE").await?),
            Pooled::Postgres(c) => Tx::Postgres(c.begin().await?),
        })
    }
}

impl AsConn for Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction that will write.
pub enum Tx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

impl AsConn for Tx<'_> {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(c) => Conn::Sqlite(c),
            Tx::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// The writer's connection: on SQLite one of its own, outside the pool; on PostgreSQL one taken
/// from the pool for each batch, so a database that went away and came back is reconnected.
pub enum Connection {
    Sqlite(SqliteConnection),
    Postgres(PoolConnection<Postgres>),
}

impl AsConn for Connection {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Connection::Sqlite(c) => Conn::Sqlite(c),
            Connection::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Db {
    /// A connection from the pool.
    pub async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// Starts a transaction that will write. On SQLite, IMMEDIATE takes the write lock up
    /// front: a deferred transaction that read first fails outright ("database is locked") when
    /// another connection committed meanwhile, where this one waits its turn.
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Whether this is the PostgreSQL store, which several replicas may share.
    pub fn is_shared(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
