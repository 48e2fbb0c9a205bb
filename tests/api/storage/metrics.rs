//! Success-metric actuals.

use golive::storage::{from_millis, metrics};

use super::{on_both, Fresh, RELEASE};

on_both!(the_newest_actual_of_each_metric_is_its_actual,);

/// Of several actuals of a metric, the newest is its actual; another launch has none.
async fn the_newest_actual_of_each_metric_is_its_actual(store: Fresh) {
    let mut conn = store.conn().await;
    let (early, late) = (from_millis(1_000), from_millis(2_000));
    metrics::record(&mut conn, RELEASE, "nps", "40", "U1", early)
        .await
        .unwrap();
    metrics::record(&mut conn, RELEASE, "nps", "55", "U2", late)
        .await
        .unwrap();
    metrics::record(&mut conn, RELEASE, "errors", "0.4%", "U1", early)
        .await
        .unwrap();
    let newest = metrics::latest(&mut conn, RELEASE).await.unwrap();
    assert_eq!(newest.len(), 2);
    assert_eq!(newest["nps"].value, "55");
    assert_eq!(newest["nps"].entered_by, "U2");
    assert_eq!(newest["nps"].at, late);
    assert!(metrics::latest(&mut conn, "other")
        .await
        .unwrap()
        .is_empty());
}
