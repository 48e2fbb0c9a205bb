//! Opening the PostgreSQL store, which several replicas share: a pool, the writer on a
//! connection of its own, and the notification feed that tells this replica what the others
//! changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::broadcast;

use super::{writer, Db, Store, StoreError};

/// Connections in each replica's pool.
pub const POOL_SIZE: u32 = 8;

/// The channel the schema's triggers notify on, with the changed launch's id.
pub const CHANNEL: &str = "golive_changes";

/// How long a request waits for a connection before it is refused: Slack wants an answer in 3 s.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects, applies the migrations (PostgreSQL's migrator holds an advisory lock, so replicas
/// starting together migrate once), and starts the writer and the notification feed.
pub async fn connect(url: &str) -> Result<Store, StoreError> {
    // Names this store's connections in the change notifications they cause.
    let origin = format!("{:016x}", rand::random::<u64>());
    let options: PgConnectOptions = url.parse()?;
    let options = options.options([(ORIGIN, &origin)]);
    let pool = PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    let changes = Arc::new(AtomicU64::new(0));
    let (changed_elsewhere, _) = broadcast::channel(4096);
    let (refresh_asked, _) = broadcast::channel(4096);
    let mut listener = PgListener::connect_with(&pool).await?;
    listener
        .listen_all([CHANNEL, super::refresh_asks::CHANNEL])
        .await?;
    let feeds = Feeds {
        origin,
        changes: changes.clone(),
        changed: changed_elsewhere.clone(),
        refresh_asked: refresh_asked.clone(),
    };
    tokio::spawn(follow(listener, feeds));
    let writer = writer::Writer::start(writer::Source::Pool(pool.clone()), changes.clone());
    Ok(Store {
        db: Db::Postgres(pool),
        writer,
        changes,
        changed_elsewhere,
        refresh_asked,
    })
}

/// The setting each connection's notifications name it by (see migration 0003).
const ORIGIN: &str = "golive.origin";

/// Where the notifications go.
struct Feeds {
    /// This store's connections' origin: what they changed, memory holds already.
    origin: String,
    changes: Arc<AtomicU64>,
    changed: broadcast::Sender<String>,
    refresh_asked: broadcast::Sender<String>,
}

/// Passes every notification on: each change is counted, and passed on unless this store made
/// it. A lost connection is re-made by the listener; what was notified meanwhile is unknown, so
/// it says "maybe any" on both feeds.
async fn follow(mut listener: PgListener, feeds: Feeds) {
    loop {
        let notification = match listener.try_recv().await {
            Ok(notification) => notification,
            Err(error) => {
                tracing::warn!(%error, "lost the database's change feed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                None
            }
        };
        let Some(notification) = notification else {
            feeds.changes.fetch_add(1, Ordering::Release);
            let _ = feeds.changed.send(String::new());
            let _ = feeds.refresh_asked.send(String::new());
            continue;
        };
        let payload = notification.payload();
        if notification.channel() == super::refresh_asks::CHANNEL {
            let _ = feeds.refresh_asked.send(payload.to_string());
            continue;
        }
        feeds.changes.fetch_add(1, Ordering::Release);
        let (release, origin) = payload.rsplit_once('\t').unwrap_or((payload, ""));
        if origin != feeds.origin {
            let _ = feeds.changed.send(release.to_string());
        }
    }
}
