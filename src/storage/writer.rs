//! The single writer: changes made on behalf of people go through one connection, in order, with
//! group commit.
//!
//! SQLite admits one writer at a time; pool connections racing for its lock spend their time in
//! busy-waits. Here changes queue on a channel; the writer takes everything queued, runs it in one
//! transaction, commits once, then completes each change in queue order. A change's
//! `after_commit` step (updating the in-memory snapshot) therefore runs in commit order, so memory
//! never shows an older state than the store.
//!
//! Rule for changes: they do not fail for business reasons (those are decided before, or reported
//! as values); an error means the database failed, and then the whole batch is rolled back and
//! every change in it reports the error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{Connection, StoreError};

/// How a batch that found no connection fails.
pub const UNREACHABLE: &str = "the database is unreachable";

/// How many queued changes one transaction takes at most.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce() + Send>;
type Change = Box<
    dyn for<'c> FnOnce(&'c mut Connection) -> BoxFuture<'c, Result<Completion, StoreError>> + Send,
>;

struct Queued {
    change: Change,
    fail: Box<dyn FnOnce(String) + Send>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::UnboundedSender<Queued>,
}

impl Writer {
    /// Starts the writer's task on `source`; `changes` counts its commits.
    pub fn start(source: Source, changes: Arc<AtomicU64>) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(source, receiver, changes));
        Self { queue }
    }

    /// Runs `change` in the writer's transaction; once it has committed, runs `after_commit` with
    /// the change's result and returns that result.
    pub async fn write<T, F, A>(&self, change: F, after_commit: A) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Connection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
        A: FnOnce(&T) + Send + 'static,
    {
        let (done, result) = oneshot::channel::<Result<T, StoreError>>();
        let slot = Arc::new(Mutex::new(Some(done)));
        let on_success = slot.clone();
        let change: Change = Box::new(move |conn| {
            Box::pin(async move {
                let value = change(conn).await?;
                Ok(Box::new(move || {
                    after_commit(&value);
                    if let Some(done) = on_success.lock().unwrap_or_else(|e| e.into_inner()).take()
                    {
                        let _ = done.send(Ok(value));
                    }
                }) as Completion)
            })
        });
        let fail = Box::new(move |error: String| {
            if let Some(done) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = done.send(Err(StoreError::Write(error)));
            }
        });
        self.queue
            .send(Queued { change, fail })
            .map_err(|_| StoreError::Write("the writer has stopped".into()))?;
        result
            .await
            .map_err(|_| StoreError::Write("the writer dropped a change".into()))?
    }
}

/// Where the writer's connection comes from.
pub enum Source {
    /// A connection of its own (SQLite).
    Own(Connection),
    /// A connection from the pool for each batch (PostgreSQL).
    Pool(sqlx::PgPool),
}

async fn run(
    mut source: Source,
    mut queue: mpsc::UnboundedReceiver<Queued>,
    changes: Arc<AtomicU64>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match &mut source {
            Source::Own(conn) => {
                // SQLite's commit hook counts the commit.
                commit_batch(conn, batch).await;
            }
            Source::Pool(pool) => match pool.acquire().await {
                Ok(conn) => {
                    if commit_batch(&mut Connection::Postgres(conn), batch).await {
                        changes.fetch_add(1, Ordering::Release);
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "no database connection for a write batch");
                    let message = format!("{UNREACHABLE}: {error}");
                    batch.into_iter().for_each(|q| (q.fail)(message.clone()));
                }
            },
        }
    }
}

/// Commits one batch; false when it was rolled back.
async fn commit_batch(conn: &mut Connection, batch: Vec<Queued>) -> bool {
    let mut completions = Vec::with_capacity(batch.len());
    let mut failures = Vec::with_capacity(batch.len());
    let outcome: Result<(), StoreError> = async {
        // IMMEDIATE takes SQLite's write lock up front: a deferred transaction that reads first
        // could fail to upgrade while the pool writes, instead of waiting for it.
        let begin = match conn {
            Connection::Sqlite(_) => "BEGIN IMMEDIATE",
            Connection::Postgres(_) => "BEGIN",
        };
        exec(conn, begin).await?;
        for queued in batch {
            failures.push(queued.fail);
            match (queued.change)(conn).await {
                Ok(completion) => completions.push(completion),
                Err(error) => {
                    rollback(conn).await;
                    return Err(error);
                }
            }
        }
        if let Err(error) = exec(conn, "COMMIT").await {
            rollback(conn).await;
            return Err(error.into());
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            completions.into_iter().for_each(|complete| complete());
            true
        }
        Err(error) => {
            tracing::error!(%error, "write batch rolled back");
            let message = match error.is_unreachable() {
                true => format!("{UNREACHABLE}: {error}"),
                false => error.to_string(),
            };
            failures.into_iter().for_each(|fail| fail(message.clone()));
            false
        }
    }
}

/// Ends a failed batch's transaction; a connection that cannot even do that has dropped, and the
/// next batch's BEGIN says so.
async fn rollback(conn: &mut Connection) {
    if let Err(error) = exec(conn, "ROLLBACK").await {
        tracing::warn!(%error, "rollback failed");
    }
}

async fn exec(conn: &mut Connection, sql: &str) -> Result<(), sqlx::Error> {
    crate::on!(conn, |c| sqlx::query(sql).execute(c).await.map(drop))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::SqliteConnectOptions;

    use super::*;

    async fn writer() -> (Writer, sqlx::SqlitePool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options.clone())
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        (
            Writer::start(
                Source::Own(Connection::Sqlite(
                    <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
                        .await
                        .unwrap(),
                )),
                Arc::default(),
            ),
            pool,
            dir,
        )
    }

    fn insert(
        n: i64,
    ) -> impl for<'c> FnOnce(&'c mut Connection) -> BoxFuture<'c, Result<i64, StoreError>> {
        move |conn| {
            Box::pin(async move {
                crate::on!(conn, |conn| sqlx::query("INSERT INTO t (n) VALUES ($1)")
                    .bind(n)
                    .execute(conn)
                    .await
                    .map(drop))?;
                Ok(n)
            })
        }
    }

    #[tokio::test]
    async fn concurrent_changes_complete_in_queue_order() {
        let (writer, pool, _dir) = writer().await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let writes = (0..100).map(|n| {
            let order = order.clone();
            writer.write(insert(n), move |n| order.lock().unwrap().push(*n))
        });
        let results = futures_util::future::join_all(writes).await;
        assert!(results.iter().all(|r| r.is_ok()));
        assert_eq!(*order.lock().unwrap(), (0..100).collect::<Vec<_>>());
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 100);
    }

    #[tokio::test]
    async fn a_failed_change_rolls_back_its_batch_and_reports_the_error() {
        let (writer, pool, _dir) = writer().await;
        writer.write(insert(1), |_| {}).await.unwrap();
        // 2 and a duplicate 1 queue together; the duplicate fails, so neither lands.
        let (two, duplicate) = tokio::join!(
            writer.write(insert(2), |_| {}),
            writer.write(insert(1), |_| {})
        );
        assert!(duplicate.is_err());
        assert!(two.is_err(), "its batch was rolled back, so it says so");
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}
