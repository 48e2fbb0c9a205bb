//! Plan problems located by line and column, so whoever edits the file can jump to them.

use std::fmt;
use std::ops::Range;

/// One problem in a plan file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct PlanError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Every problem found in a plan file, in file order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl PlanError {
    /// An error at the start of a byte span of `source`.
    pub fn at(source: &str, span: Range<usize>, message: impl Into<String>) -> PlanError {
        let (line, column) = line_and_column(source, span.start);
        PlanError {
            line,
            column,
            message: message.into(),
        }
    }

    /// A syntax or shape error from the TOML reader. Its message repeats the source excerpt,
    /// so only the first line (the description) is kept.
    pub fn from_toml(source: &str, error: &toml::de::Error) -> PlanError {
        let message = error
            .message()
            .lines()
            .next()
            .unwrap_or("invalid plan")
            .to_string();
        PlanError::at(source, error.span().unwrap_or(0..0), message)
    }
}

/// The 1-based line and column (in characters) of a byte offset; offsets past the end or
/// inside a character are clamped so that reporting never panics.
pub fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_is_line_one_column_one() {
        assert_eq!(line_and_column("abc", 0), (1, 1));
    }

    #[test]
    fn columns_restart_after_each_newline() {
        assert_eq!(line_and_column("ab\ncd\nef", 7), (3, 2));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_and_column("é = 1", 3), (1, 3));
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }

    #[test]
    fn all_errors_display_one_per_line() {
        let errors = PlanErrors(vec![
            PlanError {
                line: 1,
                column: 2,
                message: "first".into(),
            },
            PlanError {
                line: 3,
                column: 4,
                message: "second".into(),
            },
        ]);
        assert_eq!(errors.to_string(), "1:2: first\n3:4: second");
    }
}
