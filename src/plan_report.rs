//! The text `golive plan show` prints: a plan's timeline, resolved to PT and UTC when L-Day is known.

use chrono::NaiveDate;

use crate::domain::plan::Plan;

/// The resolved timeline as text.
pub fn show(plan: &Plan, launch: Option<NaiveDate>) -> String {
    let _ = (plan, launch);
    String::new()
}
