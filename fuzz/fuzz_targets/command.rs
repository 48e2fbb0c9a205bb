//! `/golive` command text and the day, time and date readers it uses: never a panic, and an
//! error answer short enough for Slack whatever was typed.
#![no_main]

use std::str::FromStr;

use golive::domain::command::Command;
use golive::domain::day::{parse_date, parse_time, DayOffset, DayTime};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(error) = Command::parse(text) {
        let message = error.to_string();
        assert!(message.chars().count() < 1_500, "{message}");
    }
    if let Ok(day) = DayOffset::from_str(text) {
        assert_eq!(day.to_string().parse::<DayOffset>(), Ok(day));
    }
    let _ = DayTime::from_str(text);
    let _ = parse_time(text);
    let _ = parse_date(text);
});
