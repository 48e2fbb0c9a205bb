//! Clicks and events are acknowledged before they are handled; golive holds only so many at once,
//! so a burst faster than the store slows the sender instead of growing memory.

use std::time::Duration;

use golive::background::MAX_RUNNING as MAX_IN_HAND;
use golive::server::dispatch::{self, Ack};
use golive::slack::inbound::{Event, Inbound};

use crate::harness::{spawn_app, Options, CHANNEL};

fn mention(n: usize) -> Inbound {
    Inbound::Event {
        event_id: format!("Ev0BURST{n}"),
        event: Event::AppMention {
            channel: CHANNEL.to_string(),
            thread_ts: format!("1773150000.{n:06}"),
        },
    }
}

#[tokio::test]
async fn when_the_store_is_busy_the_ack_after_the_last_slot_waits_for_one() {
    let app = spawn_app(Options::default()).await;
    // Every pool connection held: each delivery waits to be recorded.
    let mut held = Vec::new();
    for _ in 0..golive::storage::POOL_SIZE {
        held.push(app.state.db.acquire().await.unwrap());
    }
    // Unconstrained: tokio's cooperative budget must not pass for waiting on a slot.
    let handle = |n| tokio::task::unconstrained(dispatch::handle(&app.state, mention(n)));
    for n in 0..MAX_IN_HAND {
        let ack = futures_util::FutureExt::now_or_never(handle(n));
        assert!(
            matches!(ack, Some(Ack::Empty)),
            "delivery {n} is acknowledged at once"
        );
    }
    let mut next = Box::pin(handle(MAX_IN_HAND));
    assert!(
        futures_util::poll!(&mut next).is_pending(),
        "with {MAX_IN_HAND} deliveries in hand the next one waits"
    );
    drop(held);
    let ack = tokio::time::timeout(Duration::from_secs(10), next).await;
    assert!(
        matches!(ack, Ok(Ack::Empty)),
        "a slot frees once a delivery is handled"
    );
}
