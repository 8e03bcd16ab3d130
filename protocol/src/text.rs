//! Which characters a text field may hold, and how text is made safe to show.
//!
//! One rule for every field, on every side: a control character (C0, DEL or
//! C1) or a bidirectional override never enters a record, whether typed at
//! the desk, at head office, or carried by a document that came over the
//! network. Line breaks are the one exception, and only in long texts (a
//! summary, a note, a result). A terminal that printed such characters raw
//! could be made to clear its screen, retitle its window or show forged
//! lines; the web pages escape through their templates. Text already stored
//! is still shown through [`printable`] as a second line of defence.

use std::borrow::Cow;

/// Characters of an offending value echoed back in an error message.
pub const MAX_ECHO_CHARS: usize = 40;

/// Whether `c` is a bidirectional embedding, override, isolate or mark: they
/// reorder how the text around them is displayed ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` may never appear in a field of this kind.
fn forbidden(c: char, multiline: bool) -> bool {
    (c.is_control() && !(multiline && c == '\n')) || is_bidi_control(c)
}

/// The first character a field may not hold, with its position (counted in
/// characters from 1), if any. Long texts (`multiline`) may hold `\n`.
pub fn first_forbidden(value: &str, multiline: bool) -> Option<(usize, char)> {
    value.chars().enumerate().find(|(_, c)| forbidden(*c, multiline)).map(|(i, c)| (i + 1, c))
}

/// Describes a forbidden character for an error message: `U+001B at character 5`.
pub fn describe(at: usize, c: char) -> String {
    format!("U+{:04X} at character {at}", c as u32)
}

/// Puts a long text's line breaks in one form (`\r\n` and a lone `\r` become
/// `\n`), as typed on any system, before it is checked.
pub fn normalize_line_breaks(value: &str) -> Cow<'_, str> {
    if value.contains('\r') {
        Cow::Owned(value.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(value)
    }
}

/// `text` with every character that could act on a terminal written out as
/// `\u{1b}` instead; line breaks are kept when `multiline`. Text that holds
/// none (all text stored since the rule) comes back unchanged and uncopied.
pub fn printable(text: &str, multiline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| forbidden(c, multiline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if forbidden(c, multiline) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value cut to [`MAX_ECHO_CHARS`] characters and made printable, for
/// quoting what someone typed in an error without echoing all of it.
pub fn echo(value: &str) -> String {
    let count = value.chars().count();
    let shown: String = value.chars().take(MAX_ECHO_CHARS).collect();
    let shown = printable(&shown, false).into_owned();
    if count > MAX_ECHO_CHARS {
        format!("{shown}… ({count} characters)")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_found_and_line_breaks_only_in_long_texts() {
        type Case<'a> = (&'a str, bool, Option<(usize, char)>);
        let cases: [Case<'_>; 10] = [
            ("张伟 3栋501", false, None),
            ("楼上漏水\n已报修", true, None),
            ("楼上漏水\n已报修", false, Some((5, '\n'))),
            ("evil\x1b[2J", false, Some((5, '\x1b'))),
            ("evil\x1b[2J", true, Some((5, '\x1b'))),
            ("x\x07y", true, Some((2, '\x07'))),
            ("a\u{9b}b", false, Some((2, '\u{9b}'))),
            ("138\u{202E}0000", false, Some((4, '\u{202E}'))),
            ("tab\there", true, Some((4, '\t'))),
            ("del\x7f", false, Some((4, '\x7f'))),
        ];
        for (value, multiline, expected) in cases {
            assert_eq!(first_forbidden(value, multiline), expected, "{value:?} multiline={multiline}");
        }
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_act_on() {
        assert_eq!(printable("x\x1b]0;pwned\x07y", false), "x\\u{1b}]0;pwned\\u{7}y");
        assert_eq!(printable("1\r\n伪造行", false), "1\\u{d}\\u{a}伪造行");
        assert_eq!(printable("第一行\n第二行", true), "第一行\n第二行");
        assert!(matches!(printable("朝阳花园", false), Cow::Borrowed(_)));
    }

    #[test]
    fn line_breaks_are_normalised_and_echoes_are_cut() {
        assert_eq!(normalize_line_breaks("a\r\nb\rc"), "a\nb\nc");
        let long = "长".repeat(131_000);
        let e = echo(&long);
        assert!(e.chars().count() < MAX_ECHO_CHARS + 30, "{e}");
        assert!(e.ends_with("(131000 characters)"), "{e}");
        assert_eq!(echo("-5度"), "-5度");
    }
}
