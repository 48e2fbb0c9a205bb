//! Events are acknowledged before they are handled, clicks once stored (or at the ack budget);
//! golive holds only so many at once, so a burst faster than the store slows the sender instead
//! of growing memory.

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

fn go_click(vote: i64, n: usize) -> Inbound {
    use golive::slack::action_id::{ActionId, Button, VoteRef};
    Inbound::Action(golive::slack::inbound::Action {
        action: ActionId::VoteGo,
        user: "U0ENG".to_string(),
        channel: CHANNEL.to_string(),
        message_ts: "1773150000.000001".to_string(),
        button: Some(Button::VoteGo(VoteRef { vote })),
        release: None,
        trigger_id: format!("trigger-{n}"),
        response_url: None,
        delivery_id: format!("action:U0ENG:burst:{n}"),
    })
}

#[tokio::test]
async fn a_click_is_acknowledged_once_stored_and_past_the_bound_clicks_wait_for_room() {
    let app = spawn_app(Options {
        launch_date: Some(crate::harness::date("2026-03-10")),
        clock_start: crate::harness::pacific("2026-03-09", "09:00"),
        ..Options::default()
    })
    .await;
    app.open_vote_held_by(CHANNEL, "U0ENG").await;
    let vote = {
        let mut conn = app.state.db.acquire().await.unwrap();
        golive::storage::votes::latest(&mut conn, &app.state.release.id)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    // The single writer held: no click can be stored until it is let go.
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let writer = app.state.writer.clone();
    let holding = tokio::spawn(async move {
        writer
            .write(
                move |_conn: &mut golive::storage::Connection| -> futures_util::future::BoxFuture<
                    '_,
                    Result<(), golive::storage::StoreError>,
                > {
                    Box::pin(async move {
                        let _ = held.await;
                        Ok(())
                    })
                },
                |_| {},
            )
            .await
    });
    tokio::task::yield_now().await;
    let clicks = MAX_IN_HAND + 20;
    let handle = |n| tokio::task::unconstrained(dispatch::handle(&app.state, go_click(vote, n)));
    // A click in hand is not acknowledged until it is stored: Slack never sends it again.
    let mut first = Box::pin(handle(0));
    assert!(futures_util::poll!(&mut first).is_pending());
    let waiting: Vec<_> = (1..clicks).map(|n| Box::pin(handle(n))).collect();
    let mut waiting = futures_util::future::join_all(waiting);
    assert!(
        futures_util::poll!(&mut waiting).is_pending(),
        "past {MAX_IN_HAND} clicks in hand the next ones wait"
    );
    assert_eq!(app.state.background.running(), MAX_IN_HAND);
    // A store slower than Slack's 3 s: the click is acknowledged at the budget, still in hand.
    let started = std::time::Instant::now();
    assert!(matches!(first.await, Ack::Empty));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(app.state.background.running() >= MAX_IN_HAND);
    release.send(()).unwrap();
    let acks = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("room frees once clicks are stored");
    assert!(acks.iter().all(|ack| matches!(ack, Ack::Empty)));
    holding.await.unwrap().unwrap();
    app.settled().await;
    let stored = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "ballot")
        .count();
    assert_eq!(stored, clicks, "every acknowledged click is stored, once");
}
