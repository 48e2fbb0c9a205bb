//! Tests for reading plans: the embedded Summit plan, and each kind of error with its location.

use super::*;
use crate::domain::day::DayOffset;

#[test]
fn the_embedded_plan_parses() {
    let plan = Plan::embedded();
    assert_eq!(plan.release.id(), "summit-4.0.0");
    assert_eq!(plan.release.channel, "#v4-launch");
    assert_eq!(plan.release.timezone, chrono_tz::America::Los_Angeles);
    assert_eq!(plan.release.launch_date, None);
}
