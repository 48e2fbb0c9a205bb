//! Days relative to L-Day ("L-7", "L+2w") and wall-clock times on them ("L-1 15:00").
//!
//! A plan never names calendar dates, so it survives the launch date moving. Turning a relative
//! day into a UTC instant happens only in [`resolve`], which owns the daylight-saving rules.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::excerpt::excerpt;

/// The furthest a plan may reach from L-Day; ten years keeps date arithmetic far from overflow.
const MAX_DAYS: i32 = 3660;

/// A day relative to L-Day: "L", "L+3", "L-7", weeks "L-8w"/"L+2w" (= ±7N days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayOffset(pub i32);

/// A day offset plus a wall-clock time in the plan's zone: "L-1 15:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTime {
    pub day: DayOffset,
    pub time: NaiveTime,
}

/// Why a day or day-and-time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("day `{}` must look like L, L+3, L-7 or L-8w", excerpt(.0))]
    Malformed(String),
    #[error("day `{}` is more than {MAX_DAYS} days from L-Day", excerpt(.0))]
    OutOfRange(String),
    #[error("time `{}` must be HH:MM on a 24-hour clock", excerpt(.0))]
    BadTime(String),
    #[error("`{}` must be a day and a time, like \"L-1 15:00\"", excerpt(.0))]
    MissingTime(String),
    #[error("date `{}` must be YYYY-MM-DD", excerpt(.0))]
    BadDate(String),
}

impl DayOffset {
    /// L-Day itself.
    pub const LAUNCH: DayOffset = DayOffset(0);

    /// The week this day falls in, counting week 0 as L..L+6 and week -1 as L-7..L-1.
    pub fn week(self) -> i32 {
        self.0.div_euclid(7)
    }

    /// The label for the week starting on this day ("L-8"), as the plan's week tables write it.
    pub fn week_label(self) -> String {
        signed_label(self.week())
    }

    /// The calendar date of this day for a given L-Day; `None` only past chrono's range.
    pub fn date(self, launch: NaiveDate) -> Option<NaiveDate> {
        launch.checked_add_signed(Duration::days(i64::from(self.0)))
    }
}

impl FromStr for DayOffset {
    type Err = DayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || DayError::Malformed(text.to_string());
        let rest = text.strip_prefix('L').ok_or_else(malformed)?;
        if rest.is_empty() {
            return Ok(DayOffset::LAUNCH);
        }
        // The sign is matched as a character, never split off by byte offset: what follows "L"
        // may be any character, "−" (U+2212) or "é" included.
        let (sign, digits) = if let Some(digits) = rest.strip_prefix('+') {
            (1, digits)
        } else if let Some(digits) = rest.strip_prefix('-') {
            (-1, digits)
        } else {
            return Err(malformed());
        };
        let (digits, scale) = match digits.strip_suffix('w') {
            Some(weeks) => (weeks, 7),
            None => (digits, 1),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let count: i32 = digits
            .parse()
            .map_err(|_| DayError::OutOfRange(text.to_string()))?;
        match count.checked_mul(scale) {
            Some(days) if days <= MAX_DAYS => Ok(DayOffset(sign * days)),
            _ => Err(DayError::OutOfRange(text.to_string())),
        }
    }
}

impl fmt::Display for DayOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that reports can align days with `{:<6}`.
        f.pad(&signed_label(self.0))
    }
}

impl FromStr for DayTime {
    type Err = DayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (day, time) = text
            .split_once(' ')
            .ok_or_else(|| DayError::MissingTime(text.to_string()))?;
        Ok(DayTime {
            day: day.parse()?,
            time: parse_time(time)?,
        })
    }
}

impl fmt::Display for DayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.day, self.time.format("%H:%M"))
    }
}

/// Read a wall-clock time written "HH:MM" (24-hour, two-digit hour and minute).
pub fn parse_time(text: &str) -> Result<NaiveTime, DayError> {
    let bad = || DayError::BadTime(text.to_string());
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(bad());
    }
    NaiveTime::from_hms_opt(
        hours.parse().map_err(|_| bad())?,
        minutes.parse().map_err(|_| bad())?,
        0,
    )
    .ok_or_else(bad)
}

/// Read a calendar date written "YYYY-MM-DD". The year must have four digits: chrono alone also
/// takes "+262142-12-31", a launch date whose timeline runs off the end of its calendar.
pub fn parse_date(text: &str) -> Result<NaiveDate, DayError> {
    let bad = || DayError::BadDate(text.to_string());
    let (year, _) = text.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())
}

/// Resolve a local wall time on launch+offset in tz to UTC, correct across DST: a time in the
/// spring-forward gap moves forward by the gap; an ambiguous fall-back time takes the earlier instant.
pub fn resolve(tz: Tz, launch: NaiveDate, at: DayTime) -> DateTime<Utc> {
    // Offsets are capped at MAX_DAYS when parsed, so this only falls back for dates at chrono's edge.
    let date = at.day.date(launch).unwrap_or(launch);
    resolve_local(tz, date.and_time(at.time))
}

/// Resolve a local wall time in tz to UTC with the same daylight-saving rules as [`resolve`].
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    if let Some(earliest) = tz.from_local_datetime(&local).earliest() {
        return earliest.with_timezone(&Utc);
    }
    // The wall time was skipped. Reading it with the offset in force before the jump lands the
    // same distance past the jump as the time was past the gap's start, i.e. it moves forward by
    // the gap. Zones never change offset twice in a day, so a day earlier is safely "before".
    // At the very edge of chrono's calendar (where no zone offset is known either) the checked
    // arithmetic falls back to reading the wall time as UTC rather than overflowing.
    let offset = local
        .checked_sub_signed(Duration::days(1))
        .and_then(|before| tz.offset_from_local_datetime(&before).earliest())
        .map(|offset| offset.fix().local_minus_utc())
        .unwrap_or(0);
    let utc = local
        .checked_sub_signed(Duration::seconds(i64::from(offset)))
        .unwrap_or(local);
    Utc.from_utc_datetime(&utc)
}

fn signed_label(count: i32) -> String {
    match count {
        0 => "L".to_string(),
        n if n > 0 => format!("L+{n}"),
        n => format!("L{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Los_Angeles;

    fn day(text: &str) -> DayOffset {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DayTime {
        text.parse().unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn days_count_from_l_day_in_both_directions() {
        assert_eq!(day("L"), DayOffset(0));
        assert_eq!(day("L+3"), DayOffset(3));
        assert_eq!(day("L-7"), DayOffset(-7));
        assert_eq!(day("L+0"), DayOffset(0));
    }

    #[test]
    fn weeks_are_seven_days_each() {
        assert_eq!(day("L-8w"), DayOffset(-56));
        assert_eq!(day("L+2w"), DayOffset(14));
    }

    #[test]
    fn days_display_in_day_form() {
        assert_eq!(DayOffset(0).to_string(), "L");
        assert_eq!(DayOffset(3).to_string(), "L+3");
        assert_eq!(DayOffset(-56).to_string(), "L-56");
    }

    #[test]
    fn week_labels_follow_the_plan_tables() {
        assert_eq!(day("L-8w").week_label(), "L-8");
        assert_eq!(day("L-1").week_label(), "L-1");
        assert_eq!(day("L+6").week_label(), "L");
        assert_eq!(day("L+7").week_label(), "L+1");
    }

    #[test]
    fn malformed_days_are_rejected() {
        for text in [
            "", "D", "L3", "L+", "L-w", "L+3d", "L++3", "l+3", "L+ 3", "L+-3",
        ] {
            assert!(text.parse::<DayOffset>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn a_character_after_l_wider_than_a_byte_is_a_malformed_day() {
        // U+2212 minus, em dash, accented letter, zero-width space, emoji, combining mark.
        for text in [
            "L\u{2212}1",
            "L\u{2014}1",
            "L\u{e9}",
            "L\u{200b}",
            "L\u{200b}1",
            "L\u{1f680}",
            "L\u{301}+1",
            "L+\u{2212}1",
            "L-1\u{2009}w",
        ] {
            assert_eq!(
                text.parse::<DayOffset>(),
                Err(DayError::Malformed(text.to_string())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_day_and_time_with_a_unicode_minus_is_a_malformed_day() {
        assert_eq!(
            "L\u{2212}1 15:00".parse::<DayTime>(),
            Err(DayError::Malformed("L\u{2212}1".into()))
        );
    }

    #[test]
    fn errors_quote_a_long_day_only_in_part() {
        let text = format!("L{}", "\u{2212}".repeat(3_000));
        let message = text.parse::<DayOffset>().unwrap_err().to_string();
        assert!(message.chars().count() < 100, "{message}");
        let message = parse_time(&"9".repeat(3_000)).unwrap_err().to_string();
        assert!(message.chars().count() < 100, "{message}");
    }

    #[test]
    fn days_too_far_from_launch_are_rejected() {
        assert_eq!(
            "L+99999999999".parse::<DayOffset>(),
            Err(DayError::OutOfRange("L+99999999999".into()))
        );
        assert!("L-600w".parse::<DayOffset>().is_err());
    }

    #[test]
    fn day_times_round_trip_through_text() {
        assert_eq!(at("L-1 15:00").to_string(), "L-1 15:00");
        assert_eq!(at("L 06:00").day, DayOffset(0));
    }

    #[test]
    fn impossible_times_are_rejected() {
        for text in ["L 25:00", "L 12:60", "L 9:00", "L 0900", "L", "L 12:00:00"] {
            assert!(text.parse::<DayTime>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn dates_need_a_four_digit_year() {
        assert_eq!(parse_date("2026-03-10"), Ok(date("2026-03-10")));
        for text in [
            "+262142-12-31",
            "262142-12-31",
            "-0001-01-01",
            "26-03-10",
            "2026",
            "",
        ] {
            assert_eq!(
                parse_date(text),
                Err(DayError::BadDate(text.into())),
                "{text}"
            );
        }
        assert!(parse_date("2026-02-30").is_err());
    }

    #[test]
    fn wall_times_at_the_end_of_the_calendar_resolve_without_overflow() {
        let last = NaiveDate::MAX.and_time(NaiveTime::MIN);
        let first = NaiveDate::MIN.and_time(NaiveTime::MIN);
        for local in [last, first, NaiveDate::MAX.and_hms_opt(23, 59, 0).unwrap()] {
            let _ = resolve_local(Los_Angeles, local);
        }
        let _ = resolve(Los_Angeles, NaiveDate::MAX, at("L+3660 23:59"));
        let _ = resolve(Los_Angeles, NaiveDate::MIN, at("L-3660 00:00"));
    }

    #[test]
    fn summer_launch_reads_pacific_daylight_time() {
        // 2026-03-09 is the Monday after the spring change: PDT is UTC-7.
        assert_eq!(
            resolve(Los_Angeles, date("2026-03-09"), at("L 06:00")),
            utc("2026-03-09T13:00:00Z")
        );
    }

    #[test]
    fn winter_launch_reads_pacific_standard_time() {
        // 2026-03-06 is the Friday before the spring change: PST is UTC-8.
        assert_eq!(
            resolve(Los_Angeles, date("2026-03-06"), at("L 06:00")),
            utc("2026-03-06T14:00:00Z")
        );
    }

    #[test]
    fn offsets_crossing_the_change_use_the_target_days_zone() {
        // Launch on Friday in PST; L+3 is Monday in PDT.
        assert_eq!(
            resolve(Los_Angeles, date("2026-03-06"), at("L+3 06:00")),
            utc("2026-03-09T13:00:00Z")
        );
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_moves_forward_by_the_gap() {
        // 02:30 on 2026-03-08 does not exist in Los Angeles; it becomes 03:30 PDT.
        assert_eq!(
            resolve(Los_Angeles, date("2026-03-08"), at("L 02:30")),
            utc("2026-03-08T10:30:00Z")
        );
    }

    #[test]
    fn an_ambiguous_fall_back_time_takes_the_earlier_instant() {
        // 01:30 on 2026-11-01 happens twice; the first is still PDT.
        assert_eq!(
            resolve(Los_Angeles, date("2026-11-01"), at("L 01:30")),
            utc("2026-11-01T08:30:00Z")
        );
    }
}
