//! Plan files for the bench: copies of `deploy/plans/summit-v4.toml` with a release name,
//! version, channel and L-Day of their own, and optionally recurring posts at chosen instants.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::Los_Angeles;

const SUMMIT: &str = include_str!("../../deploy/plans/summit-v4.toml");

/// The shipped plan as release `name` `version` in `#channel`, L-Day `launch_date`.
pub fn source(name: &str, version: &str, channel: &str, launch_date: NaiveDate) -> String {
    let mut source = SUMMIT.to_string();
    for (from, to) in [
        ("name = \"Summit\"", format!("name = \"{name}\"")),
        ("version = \"4.0.0\"", format!("version = \"{version}\"")),
        (
            "channel = \"#v4-launch\"",
            format!("channel = \"#{channel}\""),
        ),
        (
            "launch_date = \"TBD\"",
            format!("launch_date = \"{launch_date}\""),
        ),
    ] {
        assert!(source.contains(from), "the shipped plan has `{from}`");
        source = source.replacen(from, &to, 1);
    }
    source
}

/// `[[recurring]]` posts firing once each, at `at` (whole seconds), keyed `tick-0`, `tick-1`, …
/// in the plan's zone (America/Los_Angeles); `launch_date` is the plan's L-Day.
pub fn ticks(at: &[DateTime<Utc>], launch_date: NaiveDate) -> String {
    let mut toml = String::new();
    for (n, instant) in at.iter().enumerate() {
        let local = instant.with_timezone(&Los_Angeles).naive_local();
        let day = (local.date() - launch_date).num_days();
        let day = match day {
            0 => "L".to_string(),
            d if d > 0 => format!("L+{d}"),
            d => format!("L{d}"),
        };
        toml.push_str(&format!(
            "\n[[recurring]]\nkey = \"tick-{n}\"\ntitle = \"Bench tick {n}\"\ncron = \"{}\"\nfrom = \"{day}\"\nuntil = \"{day}\"\nowner = \"all\"\n",
            local.format("%-S %-M %-H %-d %-m *"),
        ));
    }
    toml
}

/// Today in the plan's zone.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&Los_Angeles).date_naive()
}
