//! Checklist posts and item confirmations.

use golive::domain::checklist::Confirmation;
use golive::storage::{checklists, from_millis};

use super::{on_both, Fresh, RELEASE};

fn confirmation(by: &str, millis: i64) -> Confirmation {
    Confirmation {
        by: by.into(),
        at: from_millis(millis),
    }
}

on_both!(
    a_second_confirmation_of_an_item_keeps_the_first,
    the_latest_post_of_a_checklist_is_the_live_one,
);

/// A second confirmation of an item keeps the first; only the confirmation that stands
/// reopens it.
async fn a_second_confirmation_of_an_item_keeps_the_first(store: Fresh) {
    let mut conn = store.conn().await;
    let (first, second) = (confirmation("U1", 1_000), confirmation("U2", 2_000));
    assert!(
        checklists::confirm_item(&mut conn, RELEASE, "l-1", "i", &first)
            .await
            .unwrap()
    );
    assert!(
        !checklists::confirm_item(&mut conn, RELEASE, "l-1", "i", &second)
            .await
            .unwrap()
    );
    let stored = checklists::confirmations(&mut conn, RELEASE, "l-1")
        .await
        .unwrap();
    assert_eq!(stored["i"], first);
    assert!(
        !checklists::reopen_item(&mut conn, RELEASE, "l-1", "i", &second)
            .await
            .unwrap()
    );
    assert!(
        checklists::reopen_item(&mut conn, RELEASE, "l-1", "i", &first)
            .await
            .unwrap()
    );
    assert!(checklists::confirmations(&mut conn, RELEASE, "l-1")
        .await
        .unwrap()
        .is_empty());
}

/// The newest post of a checklist is the live one; the same message recorded again changes
/// nothing; checklists are listed in the order first posted.
async fn the_latest_post_of_a_checklist_is_the_live_one(store: Fresh) {
    let mut conn = store.conn().await;
    let at = from_millis(1_000);
    for (checklist, ts) in [
        ("l-1", "1.0"),
        ("l-7", "2.0"),
        ("l-1", "3.0"),
        ("l-7", "2.0"),
    ] {
        checklists::record_post(&mut conn, RELEASE, checklist, "C1", ts, at)
            .await
            .unwrap();
    }
    let live = checklists::latest_post(&mut conn, RELEASE, "l-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((live.channel.as_str(), live.ts.as_str()), ("C1", "3.0"));
    let live = checklists::latest_post(&mut conn, RELEASE, "l-7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.ts, "2.0");
    assert!(checklists::latest_post(&mut conn, RELEASE, "l-day")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        checklists::posted_checklists(&mut conn, RELEASE)
            .await
            .unwrap(),
        ["l-1", "l-7"]
    );
}
