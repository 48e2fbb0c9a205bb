//! The rollout: steps, changes asked of the flag server, the flag, pauses and guard readings.

use chrono::{TimeDelta, Utc};
use golive::domain::incident::IncidentId;
use golive::domain::rollout::{FlagTarget, GuardOutcome, StepState};
use golive::storage::rollout::{self, ChangeState, ChangeWhy, GuardReading};
use golive::storage::{from_millis, to_millis};

use super::{on_both, Fresh, RELEASE};

on_both!(
    a_change_is_recorded_then_finished,
    steps_keep_who_applied_them_and_earlier_open_ones_are_skipped,
    the_flag_record_settles_a_drift_when_golive_sets_the_flag,
    a_pause_is_recorded_once_until_resumed,
    a_pause_recorded_by_two_transactions_at_once_is_recorded_once,
    the_newest_reading_of_each_guard_is_its_reading,
);

/// A change is recorded pending and finished as applied (recorded only, or read back) or
/// failed; changes are listed oldest first.
async fn a_change_is_recorded_then_finished(store: Fresh) {
    let mut conn = store.conn().await;
    let now = from_millis(to_millis(Utc::now()));
    let by = "U1";
    let first = rollout::insert_change(
        &mut conn,
        RELEASE,
        Some(25),
        FlagTarget::Percent(25),
        ChangeWhy::Step,
        by,
        now,
    )
    .await
    .unwrap();
    let second = rollout::insert_change(
        &mut conn,
        RELEASE,
        None,
        FlagTarget::Off,
        ChangeWhy::Kill,
        by,
        now,
    )
    .await
    .unwrap();
    let third = rollout::insert_change(
        &mut conn,
        RELEASE,
        None,
        FlagTarget::Percent(5),
        ChangeWhy::Back,
        by,
        now,
    )
    .await
    .unwrap();
    let pending = rollout::change(&mut conn, RELEASE, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.state, ChangeState::Pending);
    assert_eq!(
        (pending.step, pending.target, pending.why),
        (Some(25), FlagTarget::Percent(25), ChangeWhy::Step)
    );

    let done = now + TimeDelta::seconds(1);
    let recorded_only = ChangeState::Applied {
        read_back: None,
        recorded_only: true,
    };
    let read_back = ChangeState::Applied {
        read_back: Some(FlagTarget::Off),
        recorded_only: false,
    };
    let failed = ChangeState::Failed("503".into());
    rollout::finish_change(&mut conn, RELEASE, first, &recorded_only, done)
        .await
        .unwrap();
    rollout::finish_change(&mut conn, RELEASE, second, &read_back, done)
        .await
        .unwrap();
    rollout::finish_change(&mut conn, RELEASE, third, &failed, done)
        .await
        .unwrap();
    let changes = rollout::changes(&mut conn, RELEASE).await.unwrap();
    let states: Vec<(i64, &ChangeState, Option<_>)> = changes
        .iter()
        .map(|c| (c.id, &c.state, c.done_at))
        .collect();
    assert_eq!(
        states,
        [
            (first, &recorded_only, Some(done)),
            (second, &read_back, Some(done)),
            (third, &failed, Some(done)),
        ]
    );
    assert!(rollout::change(&mut conn, "other", first)
        .await
        .unwrap()
        .is_none());
}

/// A step keeps who applied it when its state changes without saying; steps below one
/// applied first are skipped unless done.
async fn steps_keep_who_applied_them_and_earlier_open_ones_are_skipped(store: Fresh) {
    let mut conn = store.conn().await;
    let at = from_millis(5_000);
    rollout::set_step(&mut conn, RELEASE, 5, StepState::Waiting, None, None)
        .await
        .unwrap();
    rollout::set_step(&mut conn, RELEASE, 10, StepState::Applied, None, None)
        .await
        .unwrap();
    rollout::set_step(
        &mut conn,
        RELEASE,
        25,
        StepState::Applying,
        Some(7),
        Some(("U1", at)),
    )
    .await
    .unwrap();
    rollout::set_step(&mut conn, RELEASE, 25, StepState::Applied, None, None)
        .await
        .unwrap();
    rollout::skip_below(&mut conn, RELEASE, 25).await.unwrap();
    let steps = rollout::steps(&mut conn, RELEASE).await.unwrap();
    assert_eq!(steps[&5].state, StepState::Skipped);
    assert_eq!(steps[&10].state, StepState::Applied);
    assert_eq!(steps[&25].state, StepState::Applied);
    assert_eq!(steps[&25].change, Some(7));
    assert_eq!(steps[&25].by, Some(("U1".to_string(), at)));
}

/// The flag record: what golive set, the server's reading, a drift someone went over until
/// golive sets the flag again.
async fn the_flag_record_settles_a_drift_when_golive_sets_the_flag(store: Fresh) {
    let mut conn = store.conn().await;
    let at = from_millis(9_000);
    assert_eq!(
        rollout::flag(&mut conn, RELEASE).await.unwrap(),
        Default::default()
    );
    rollout::set_server(&mut conn, RELEASE, "40", at, Some("40"))
        .await
        .unwrap();
    rollout::set_server(&mut conn, RELEASE, "40", at, None)
        .await
        .unwrap();
    let flag = rollout::flag(&mut conn, RELEASE).await.unwrap();
    assert_eq!(flag.drift_seen.as_deref(), Some("40"));
    assert_eq!(flag.server, Some(("40".to_string(), at)));
    rollout::set_applied(&mut conn, RELEASE, FlagTarget::Percent(50))
        .await
        .unwrap();
    let flag = rollout::flag(&mut conn, RELEASE).await.unwrap();
    assert_eq!(
        (flag.applied, flag.drift_seen),
        (Some(FlagTarget::Percent(50)), None)
    );
}

/// A pause is recorded once while in force, and resuming ends it.
async fn a_pause_is_recorded_once_until_resumed(store: Fresh) {
    let mut conn = store.conn().await;
    let at = from_millis(1_000);
    assert!(rollout::pause(
        &mut conn,
        RELEASE,
        Some(IncidentId(3)),
        Some("bad"),
        "U1",
        at
    )
    .await
    .unwrap());
    assert!(!rollout::pause(&mut conn, RELEASE, None, None, "U2", at)
        .await
        .unwrap());
    let pause = rollout::pause_in_force(&mut conn, RELEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (pause.incident, pause.reason.as_deref(), pause.by.as_str()),
        (Some(IncidentId(3)), Some("bad"), "U1")
    );
    assert_eq!(
        rollout::resume(&mut conn, RELEASE, "U3", at).await.unwrap(),
        1
    );
    assert!(rollout::pause_in_force(&mut conn, RELEASE)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        rollout::resume(&mut conn, RELEASE, "U3", at).await.unwrap(),
        0
    );
}

/// Two replicas pausing the rollout at once (the second waiting for the first): one pause
/// is recorded.
async fn a_pause_recorded_by_two_transactions_at_once_is_recorded_once(store: Fresh) {
    let at = Utc::now();
    let mut first = store.db().begin().await.unwrap();
    assert!(
        rollout::pause(&mut first, RELEASE, None, Some("first"), "U1", at)
            .await
            .unwrap()
    );
    let db = store.db().clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let recorded = rollout::pause(&mut tx, RELEASE, None, Some("second"), "U2", at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        recorded
    });
    store.until_one_waits_for_a_lock().await;
    first.commit().await.unwrap();
    assert!(!second.await.unwrap(), "the second sees the first's pause");
    let mut conn = store.conn().await;
    assert_eq!(
        rollout::resume(&mut conn, RELEASE, "U3", at).await.unwrap(),
        1
    );
}

/// Guard readings: the newest of each guard, and all of them in order.
async fn the_newest_reading_of_each_guard_is_its_reading(store: Fresh) {
    let mut conn = store.conn().await;
    let reading = |guard: &str, millis, outcome, streak, tripped| GuardReading {
        guard: guard.into(),
        at: from_millis(millis),
        sampled_at: Some(from_millis(millis - 10)),
        outcome,
        streak,
        tripped,
    };
    let all = [
        reading("errors", 1_000, GuardOutcome::Pass(0.25), 0, false),
        reading(
            "latency",
            1_000,
            GuardOutcome::Unknown("no data".into()),
            0,
            false,
        ),
        reading("errors", 2_000, GuardOutcome::Fail(2.5), 3, true),
    ];
    for r in &all {
        rollout::record_reading(&mut conn, RELEASE, r)
            .await
            .unwrap();
    }
    let latest = rollout::latest_readings(&mut conn, RELEASE).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest["errors"], all[2]);
    assert_eq!(latest["latency"], all[1]);
    assert_eq!(rollout::readings(&mut conn, RELEASE).await.unwrap(), all);
}
