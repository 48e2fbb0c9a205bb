//! Quoting what someone typed back to them, bounded.
//!
//! Error answers show the offending word so the reader sees what was not understood, but Slack
//! refuses a section longer than 3,000 characters, and a pasted paragraph is not worth echoing.
//! Every message that quotes input goes through [`excerpt`], so no answer grows with its input.

use std::borrow::Cow;

/// The most characters of input an error message repeats.
pub const MAX_CHARS: usize = 40;

/// `text` if it has at most [`MAX_CHARS`] characters; otherwise its first `MAX_CHARS - 1`
/// characters and "…", so the excerpt is never longer than `MAX_CHARS` characters. Cuts
/// between characters, never inside one.
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_CHARS) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
            cut.push('…');
            Cow::Owned(cut)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_quoted_whole() {
        assert_eq!(excerpt("deploy"), "deploy");
        assert_eq!(excerpt(""), "");
    }

    #[test]
    fn text_of_exactly_the_limit_is_quoted_whole() {
        let text = "x".repeat(MAX_CHARS);
        assert_eq!(excerpt(&text), text);
    }

    #[test]
    fn longer_text_is_cut_with_an_ellipsis() {
        let text = "x".repeat(MAX_CHARS + 1);
        let quoted = excerpt(&text);
        assert_eq!(quoted.chars().count(), MAX_CHARS);
        assert!(quoted.ends_with("x…"), "{quoted}");
    }

    #[test]
    fn text_is_cut_between_characters_not_bytes() {
        let text = "é−".repeat(3_000);
        let quoted = excerpt(&text);
        assert_eq!(quoted.chars().count(), MAX_CHARS);
        assert!(quoted.starts_with("é−é−"), "{quoted}");
    }

    #[test]
    fn a_3000_character_word_becomes_a_short_quote() {
        assert!(excerpt(&"a".repeat(3_000)).len() < 50);
    }
}
