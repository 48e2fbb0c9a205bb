//! `--release <key>`: which launch a command is for. Any sub-command takes it; it is taken out
//! of the text before the command itself is parsed.

use super::command::CommandError;
use super::excerpt::excerpt;

const USAGE: &str = "<command> --release <release-key>";

/// A command's text without `--release`, and the launch it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub text: String,
    pub release: Option<String>,
}

/// Splits `--release <key>` (or `--release=<key>`) off `text`; the text is unchanged when it
/// has none.
pub fn take(text: &str) -> Result<Chosen, CommandError> {
    if !text.contains("--release") {
        return Ok(Chosen {
            text: text.to_string(),
            release: None,
        });
    }
    let mut kept = Vec::new();
    let mut release = None;
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        let key = if word == "--release" {
            words.next().filter(|key| !key.starts_with("--"))
        } else if let Some(key) = word.strip_prefix("--release=") {
            Some(key).filter(|key| !key.is_empty())
        } else {
            kept.push(word);
            continue;
        };
        let Some(key) = key else {
            return Err(malformed("`--release` needs a release key."));
        };
        if release.replace(key.to_string()).is_some() {
            return Err(malformed("give `--release` once."));
        }
        if key.chars().count() > 200 {
            return Err(malformed(format!(
                "`{}` is too long for a release key.",
                excerpt(key)
            )));
        }
    }
    Ok(Chosen {
        text: kept.join(" "),
        release,
    })
}

fn malformed(message: impl Into<String>) -> CommandError {
    CommandError::Malformed {
        message: message.into(),
        usage: USAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(text: &str, release: Option<&str>) -> Chosen {
        Chosen {
            text: text.into(),
            release: release.map(String::from),
        }
    }

    #[test]
    fn a_command_without_the_option_is_left_as_typed() {
        assert_eq!(
            take("escalate P1  checkout  fails").unwrap(),
            chosen("escalate P1  checkout  fails", None)
        );
    }

    #[test]
    fn the_option_is_taken_out_wherever_it_is() {
        assert_eq!(
            take("--release summit-4.1.0 status").unwrap(),
            chosen("status", Some("summit-4.1.0"))
        );
        assert_eq!(
            take("escalate P1 checkout fails --release=summit-4.1.0").unwrap(),
            chosen("escalate P1 checkout fails", Some("summit-4.1.0"))
        );
        assert_eq!(
            take("--release summit-4.1.0").unwrap(),
            chosen("", Some("summit-4.1.0"))
        );
    }

    #[test]
    fn a_missing_or_repeated_key_is_an_error_with_the_usage() {
        for text in [
            "status --release",
            "status --release=",
            "--release --runbook x",
            "--release a --release b",
        ] {
            let error = take(text).unwrap_err().to_string();
            assert!(
                error.contains("Usage: `/golive <command> --release"),
                "{text}: {error}"
            );
        }
    }
}
