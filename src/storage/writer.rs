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

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// How many queued changes one transaction takes at most.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce() + Send>;
type Change = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<Completion, StoreError>>
        + Send,
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
    /// Opens the writer's own connection and starts its task.
    pub async fn start(
        options: &SqliteConnectOptions,
        changes: Arc<AtomicU64>,
        commits: Arc<tokio::sync::Notify>,
    ) -> Result<Self, StoreError> {
        let mut conn = SqliteConnection::connect_with(options).await?;
        // Unlike the pool's connections, the writer checkpoints after its own commits (SQLite's
        // default): under a burst of changes it pays for the log it writes, which keeps the log
        // bounded; a page due now, sent from the pool, never waits for it.
        sqlx::query("PRAGMA wal_autocheckpoint = 1000")
            .execute(&mut conn)
            .await?;
        super::count_commits(&mut conn, changes, commits).await?;
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(conn, receiver));
        Ok(Self { queue })
    }

    /// Runs `change` in the writer's transaction; once it has committed, runs `after_commit` with
    /// the change's result and returns that result.
    pub async fn write<T, F, A>(&self, change: F, after_commit: A) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>
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

async fn run(mut conn: SqliteConnection, mut queue: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch).await;
    }
}

async fn commit_batch(conn: &mut SqliteConnection, batch: Vec<Queued>) {
    let mut completions = Vec::with_capacity(batch.len());
    let mut failures = Vec::with_capacity(batch.len());
    let outcome: Result<(), StoreError> = async {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first could
        // fail to upgrade while the pool writes, instead of waiting for it.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        for queued in batch {
            failures.push(queued.fail);
            completions.push((queued.change)(&mut tx).await?);
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => completions.into_iter().for_each(|complete| complete()),
        Err(error) => {
            tracing::error!(%error, "write batch rolled back");
            let message = error.to_string();
            failures.into_iter().for_each(|fail| fail(message.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

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
            Writer::start(&options, Arc::default(), Arc::default())
                .await
                .unwrap(),
            pool,
            dir,
        )
    }

    fn insert(
        n: i64,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<i64, StoreError>>
    {
        move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (n) VALUES (?)")
                    .bind(n)
                    .execute(conn)
                    .await?;
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
