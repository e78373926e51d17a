//! Neutralising attacker-controlled log text for each place it is shown: terminals (no
//! control or escape sequences), spreadsheets (no formulas), HTML (escaped). Log lines are
//! written by whoever sent the packet or the request; nothing from them may act.

use std::borrow::Cow;

/// Text safe for a terminal: control characters (including ESC, so no ANSI sequences) and
/// Unicode bidi overrides are shown as `\xNN` / `\u{NNNN}` instead of acting.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV cell that a spreadsheet will not run: cells starting with `=`, `+`, `-`, `@`, tab or
/// CR get a leading apostrophe (OWASP's advice); control characters are escaped as for terminals.
pub fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    let t = terminal(s);
    match t.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{t}")),
        _ => t,
    }
}

/// HTML text or attribute content, fully escaped (`& < > " '`).
pub fn html(s: &str) -> Cow<'_, str> {
    html_escape::encode_quoted_attribute(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal("tab\there"), "tab\\x09here");
    }

    #[test]
    fn spreadsheet_formulas_are_defused() {
        assert_eq!(spreadsheet_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(spreadsheet_cell("-2+3"), "'-2+3");
        assert_eq!(spreadsheet_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_cell("ok"), "ok");
    }

    #[test]
    fn html_escapes_everything_that_could_be_markup() {
        assert_eq!(html("<script>alert('x')</script>"), "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;");
        assert_eq!(html("\"><img src=x onerror=alert(1)>"), "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    }
}
