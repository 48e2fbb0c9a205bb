//! The storage functions on both stores: every test here runs twice, on a fresh SQLite file
//! and on a fresh database of the PostgreSQL server this test binary shares, each opened with
//! `golive::storage::connect` as golive opens its store.
//!
//! A test is an `async fn` taking a [`Fresh`] store, written once; [`on_both!`] makes it a module
//! of the test's name with the tests `sqlite` and `postgres` (`cargo test --test api
//! storage::votes` runs both stores, `… storage:: postgres` one). A test that cannot start PostgreSQL fails with the install hint,
//! it is never skipped. What two replicas do at once is shown with two transactions of one store:
//! two connections to PostgreSQL are what two replicas have.

mod audit;
mod changes;
mod checklists;
mod deliveries;
mod incidents;
mod metrics;
mod refresh_asks;
mod roles;
mod rollout;
mod votes;

use std::time::Duration;

use chrono::Utc;
use golive::storage::{self, releases, Db, Pooled, Store};

use crate::servers::postgres::Postgres;

/// The release every fresh store holds.
pub const RELEASE: &str = "r";

/// A fresh store with release [`RELEASE`] in it.
pub struct Fresh {
    pub store: Store,
    /// Where it is, for opening it a second time as another replica would.
    pub url: String,
    // The SQLite file's folder, removed when the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    /// A new SQLite file in a temporary folder.
    pub async fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("golive.db").display());
        Fresh::open(&url, Some(dir)).await
    }

    /// A new database on the shared PostgreSQL server.
    pub async fn postgres() -> Fresh {
        let url = Postgres::shared().fresh_database("storage");
        Fresh::open(&url, None).await
    }

    async fn open(url: &str, dir: Option<tempfile::TempDir>) -> Fresh {
        let store = storage::connect(url).await.expect("the store opens");
        let mut conn = store.db.acquire().await.expect("a connection");
        releases::ensure(&mut conn, RELEASE, "R", "1", "#c", None, Utc::now())
            .await
            .expect("the release is stored");
        Fresh {
            store,
            url: url.to_string(),
            _dir: dir,
        }
    }

    pub fn db(&self) -> &Db {
        &self.store.db
    }

    /// A connection from the store's pool.
    pub async fn conn(&self) -> Pooled {
        self.store.db.acquire().await.expect("a connection")
    }

    /// Waits until a statement of another transaction waits for a lock this one holds: then two
    /// transactions overlap for sure. On PostgreSQL the server says so; SQLite's writers queue up
    /// at `BEGIN IMMEDIATE` whichever comes first, so there is nothing to wait for.
    pub async fn until_one_waits_for_a_lock(&self) {
        let Db::Postgres(pool) = self.db() else {
            return;
        };
        for _ in 0..1000 {
            let (waiting,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(pool)
            .await
            .expect("pg_stat_activity reads");
            if waiting > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no transaction ever waited for the other's lock");
    }
}

/// For each test `async fn name(store: Fresh)` of the module, the module `name` with two tests,
/// `sqlite` and `postgres`, which run it on a fresh store of that kind.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::storage::Fresh::sqlite().await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::storage::Fresh::postgres().await).await
                }
            }
        )*
    };
}
pub(crate) use on_both;
