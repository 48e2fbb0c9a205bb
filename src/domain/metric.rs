//! Success-metric targets as the plan writes them ("100%", "<1%", ">80%", "Yes", "10,000",
//! "+5%") and actuals as people enter them, and whether an actual meets its target.

use std::fmt;

/// How an actual is compared with a target's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// "100%", "2000", "+10": the value or more.
    AtLeast,
    /// "<=5": the value or less.
    AtMost,
    /// "<1%": strictly less.
    Below,
    /// ">80%": strictly more.
    Above,
}

/// What a number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Percent,
    /// A count, a score or a change ("+10").
    Number,
}

/// A target of one metric on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// "Yes" or "No": the actual must say the same.
    Answer(bool),
    Bound {
        comparison: Comparison,
        value: f64,
        unit: Unit,
    },
}

/// An actual as entered or measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Actual {
    Answer(bool),
    Number { value: f64, unit: Unit },
}

/// Where an actual stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// No actual yet, or one that cannot be compared (a yes/no for a number, % for a count).
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Missed => "missed",
            Self::Unknown => "unknown",
        }
    }
}

/// Why a target or an actual cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("`{0}` is not a target: write a number or a percentage, optionally after <, <=, > or >=, or Yes/No")]
    Target(String),
    #[error("`{0}` is not a value: write a number, a percentage (12.5%) or yes/no")]
    Actual(String),
}

impl Target {
    /// Reads a target as the plan writes it.
    pub fn parse(text: &str) -> Result<Target, MetricError> {
        let error = || MetricError::Target(crate::domain::excerpt::excerpt(text).to_string());
        let trimmed = text.trim();
        if let Some(answer) = answer(trimmed) {
            return Ok(Target::Answer(answer));
        }
        let (comparison, rest) = if let Some(rest) = trimmed.strip_prefix("<=") {
            (Comparison::AtMost, rest)
        } else if let Some(rest) = trimmed.strip_prefix(">=") {
            (Comparison::AtLeast, rest)
        } else if let Some(rest) = trimmed.strip_prefix('<') {
            (Comparison::Below, rest)
        } else if let Some(rest) = trimmed.strip_prefix('>') {
            (Comparison::Above, rest)
        } else {
            (Comparison::AtLeast, trimmed)
        };
        let (value, unit) = number(rest).ok_or_else(error)?;
        Ok(Target::Bound {
            comparison,
            value,
            unit,
        })
    }

    /// Whether `actual` meets this target.
    pub fn judge(&self, actual: Option<Actual>) -> Verdict {
        let Some(actual) = actual else {
            return Verdict::Unknown;
        };
        let met = match (self, actual) {
            (Target::Answer(want), Actual::Answer(got)) => *want == got,
            (
                Target::Bound {
                    comparison,
                    value,
                    unit,
                },
                Actual::Number {
                    value: got,
                    unit: got_unit,
                },
            ) if *unit == got_unit => match comparison {
                Comparison::AtLeast => got >= *value,
                Comparison::AtMost => got <= *value,
                Comparison::Below => got < *value,
                Comparison::Above => got > *value,
            },
            _ => return Verdict::Unknown,
        };
        if met {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    }
}

impl Actual {
    /// Reads an actual as a person types it: "0.4%", "12", "10,000", "+7", "yes".
    pub fn parse(text: &str) -> Result<Actual, MetricError> {
        let trimmed = text.trim();
        if let Some(answer) = answer(trimmed) {
            return Ok(Actual::Answer(answer));
        }
        number(trimmed)
            .map(|(value, unit)| Actual::Number { value, unit })
            .ok_or_else(|| MetricError::Actual(crate::domain::excerpt::excerpt(text).to_string()))
    }
}

impl fmt::Display for Actual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actual::Answer(true) => f.write_str("Yes"),
            Actual::Answer(false) => f.write_str("No"),
            Actual::Number { value, unit } => {
                write!(f, "{value}")?;
                if *unit == Unit::Percent {
                    f.write_str("%")?;
                }
                Ok(())
            }
        }
    }
}

fn answer(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Some(true),
        "no" | "n" | "false" => Some(false),
        _ => None,
    }
}

/// "12.5%", "10,000", "+10", "-3": a finite number and its unit.
fn number(text: &str) -> Option<(f64, Unit)> {
    let text = text.trim();
    let (digits, unit) = match text.strip_suffix('%') {
        Some(digits) => (digits.trim(), Unit::Percent),
        None => (text, Unit::Number),
    };
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    let plain: String = digits.chars().filter(|c| *c != ',' && *c != '_').collect();
    let starts_right = plain
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.');
    if !starts_right || plain.len() > 32 {
        return None;
    }
    let value: f64 = plain.parse().ok()?;
    value.is_finite().then_some((value, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(comparison: Comparison, value: f64, unit: Unit) -> Target {
        Target::Bound {
            comparison,
            value,
            unit,
        }
    }

    #[test]
    fn every_target_of_the_summit_plan_reads() {
        use Comparison::*;
        use Unit::*;
        for (text, target) in [
            ("100%", bound(AtLeast, 100.0, Percent)),
            ("Yes", Target::Answer(true)),
            ("<1%", bound(Below, 1.0, Percent)),
            ("<10", bound(Below, 10.0, Number)),
            (">80%", bound(Above, 80.0, Percent)),
            ("10,000", bound(AtLeast, 10_000.0, Number)),
            ("+10", bound(AtLeast, 10.0, Number)),
            ("+5%", bound(AtLeast, 5.0, Percent)),
            ("<=5", bound(AtMost, 5.0, Number)),
        ] {
            assert_eq!(Target::parse(text), Ok(target), "{text}");
        }
    }

    #[test]
    fn nonsense_is_not_a_target_or_a_value() {
        for text in ["", "%", "lots", "<", "1e999", "NaN", "inf", "<<1"] {
            assert!(Target::parse(text).is_err(), "{text}");
        }
        for text in ["", "soon", "12 %%", "nan"] {
            assert!(Actual::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn an_actual_meets_or_misses_its_target_by_its_comparison() {
        let judge = |target: &str, actual: &str| {
            Target::parse(target)
                .unwrap()
                .judge(Some(Actual::parse(actual).unwrap()))
        };
        assert_eq!(judge("<1%", "0.4%"), Verdict::Met);
        assert_eq!(judge("<1%", "1%"), Verdict::Missed);
        assert_eq!(judge("100%", "100%"), Verdict::Met);
        assert_eq!(judge(">80%", "80%"), Verdict::Missed);
        assert_eq!(judge("10,000", "12,500"), Verdict::Met);
        assert_eq!(judge("Yes", "no"), Verdict::Missed);
        assert_eq!(
            judge("<10", "3%"),
            Verdict::Unknown,
            "a percentage for a count"
        );
        assert_eq!(Target::parse("Yes").unwrap().judge(None), Verdict::Unknown);
    }
}
