//! The database going away under a running golive on PostgreSQL, through a link the test can
//! cut: status still answers from memory and says what it could not read, a change is refused
//! with a clear message and changes nothing, and once the database is back everything resumes,
//! the post that fell due meanwhile included.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use golive::workflows::answer::UNREACHABLE;
use golive::workflows::launch::status_extras;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::harness::{date, pacific, spawn_app_on, Options, CHANNEL, MEMBER, RM};
use crate::servers::postgres::Postgres;

/// A TCP link to the database that can be cut (every connection dropped, new ones refused) and
/// restored.
struct Link {
    port: u16,
    open: Arc<AtomicBool>,
    carried: Arc<Mutex<Vec<JoinHandle<()>>>>,
    _accepting: JoinHandle<()>,
}

impl Link {
    async fn to(target: SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let carried = Arc::new(Mutex::new(Vec::new()));
        let (gate, list) = (open.clone(), carried.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !gate.load(Ordering::Acquire) {
                    continue; // dropped: the connection is refused
                }
                let carry = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                list.lock().unwrap().push(carry);
            }
        });
        Link {
            port,
            open,
            carried,
            _accepting: accepting,
        }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::Release);
        for carry in self.carried.lock().unwrap().drain(..) {
            carry.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::Release);
    }
}

#[tokio::test]
async fn with_the_database_gone_status_answers_changes_are_refused_and_all_resumes_after() {
    let postgres = Postgres::shared();
    let database = postgres.fresh_database("outage");
    let name = database.rsplit('/').next().unwrap().to_string();
    let link = Link::to(([127, 0, 0, 1], postgres.port()).into()).await;
    let through_link = format!("postgres://postgres@127.0.0.1:{}/{name}", link.port);
    let app = spawn_app_on(
        Options {
            launch_date: Some(date("2026-03-10")),
            clock_start: pacific("2026-03-10", "05:30"),
            ..Options::default()
        },
        through_link,
    )
    .await;
    let held = app.command(RM, "role on-call <@U0ONCALL>").await.text();
    assert!(held.contains("is now held by U0ONCALL"), "{held}");

    link.cut();
    // 06:00's milestone falls due while the database is gone.
    app.clock.advance(TimeDelta::minutes(31));
    let status = app.command(MEMBER, "status").await.text();
    assert!(status.contains("Summit 4.0.0"), "{status}");
    assert!(status.contains(status_extras::UNREACHABLE), "{status}");
    let refused = app.command(RM, "role on-call <@U0OTHER>").await.text();
    assert_eq!(refused, UNREACHABLE);
    assert!(
        golive::scheduler::run_due(&app.state).await.is_err(),
        "the pass fails, and is tried again"
    );
    assert!(!app
        .fake
        .messages(CHANNEL)
        .iter()
        .any(|m| m.text.contains("Final deployment verification")));

    link.restore();
    app.run_due_jobs().await;
    let posted: Vec<_> = app
        .fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.text.contains("Final deployment verification"))
        .collect();
    assert_eq!(posted.len(), 1, "posted once the database is back");
    let held = app.command(RM, "role on-call <@U0OTHER>").await.text();
    assert!(held.contains("is now held by U0OTHER"), "{held}");
    let status = app.command(MEMBER, "status").await.text();
    assert!(!status.contains(status_extras::UNREACHABLE), "{status}");
    let roles = app.command(MEMBER, "role").await.text();
    assert!(
        roles.contains("U0OTHER") && !roles.contains("U0ONCALL"),
        "{roles}"
    );
}
