//! `process_activity`'s patterns: programs run the way intruders run them — downloads piped to
//! a shell, reverse shells, programs started from `/tmp`, `/dev/shm` or `/var/tmp`, `chmod +x`
//! then execute, history and log wiping, new SUID files, SSH keys planted in `authorized_keys`.
//!
//! The patterns are data (`queries/process_patterns.tsv`, or an analyst's file of the same
//! shape through `patterns_file`). The rule is SQL (`queries/process_activity.sql`): it declares
//! the file as a data table (`-- data: process_patterns = {patterns_file}`), which this module
//! reads and inlines as a `VALUES` list ([`Patterns::values_sql`]), so an exported rule needs
//! nothing beside the case.

use super::severity::Severity;

/// The built-in pattern file.
pub const BUILTIN_PATTERNS: &str = include_str!("../../queries/process_patterns.tsv");

/// One row of the pattern file.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: String,
    pub severity: Severity,
    /// The field the regex runs over: `command_line`, `executable` or `file_path`.
    pub field: &'static str,
    pub regex: String,
    pub unless_executable: Option<String>,
    pub title: String,
    pub reference: String,
}

/// Parses a pattern file; `origin` names it in errors.
pub fn parse_patterns(origin: &str, text: &str) -> Result<Vec<Pattern>, String> {
    let mut out = Vec::new();
    let mut header = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if !header {
            header = true;
            if f.first() == Some(&"id") {
                continue;
            }
        }
        let at = format!("{origin}:{}", n + 1);
        let [id, severity, field, regex, unless, title, reference] = f[..] else {
            return Err(format!("{at}: expected 7 tab-separated columns, found {}", f.len()));
        };
        let severity = Severity::parse(severity).ok_or_else(|| format!("{at}: unknown severity `{severity}`"))?;
        let field = match field {
            "command_line" => "command_line",
            "executable" => "executable",
            "file_path" => "file_path",
            other => return Err(format!("{at}: unknown field `{other}` (command_line, executable, file_path)")),
        };
        for (what, re) in [("pattern", Some(regex)), ("unless_executable", Some(unless).filter(|u| *u != "-"))] {
            if let Some(re) = re.filter(|r| !r.is_empty()) {
                // Parsed, not compiled: compiling two dozen Unicode-aware patterns took 0.25 s
                // of every detect; the engines compile them themselves.
                regex_syntax::Parser::new()
                    .parse(re)
                    .map_err(|e| format!("{at}: {what} is not a valid regular expression: {e}"))?;
            }
        }
        out.push(Pattern {
            id: id.to_string(),
            severity,
            field,
            regex: regex.to_string(),
            unless_executable: (unless != "-" && !unless.is_empty()).then(|| unless.to_string()),
            title: title.to_string(),
            reference: reference.to_string(),
        });
    }
    if out.is_empty() {
        return Err(format!("{origin}: no patterns"));
    }
    Ok(out)
}

/// Reads the pattern file `source` (`queries/process_patterns.tsv` when empty).
pub fn load(source: &str) -> Result<Vec<Pattern>, String> {
    if source.is_empty() {
        return parse_patterns("queries/process_patterns.tsv", BUILTIN_PATTERNS);
    }
    let text = std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?;
    parse_patterns(source, &text)
}

/// The rows as a SQL `VALUES` list of (ord, id, severity, field, regex, unless_executable ('' for
/// none), title, reference); `ord` is the row's place in the file (the first row of an id that
/// matches names a finding's pattern).
pub fn values_sql(patterns: &[Pattern]) -> String {
    use super::config::sql_string as q;
    patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "({i}, {}, {}, {}, {}, {}, {}, {})",
                q(&p.id),
                q(p.severity.as_str()),
                q(p.field),
                q(&p.regex),
                q(p.unless_executable.as_deref().unwrap_or("")),
                q(&p.title),
                q(&p.reference)
            )
        })
        .collect::<Vec<_>>()
        .join(",\n    ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_builtin_patterns_parse_and_name_their_fields() {
        let p = parse_patterns("builtin", BUILTIN_PATTERNS).unwrap();
        let ids: BTreeSet<&str> = p.iter().map(|p| p.id.as_str()).collect();
        for id in [
            "download_to_shell",
            "reverse_shell",
            "exec_from_tmp",
            "log_wiping",
            "suid_file",
            "ssh_key_planting",
            "chmod_x",
        ] {
            assert!(ids.contains(id), "{id}");
        }
        for p in &p {
            let high = ["download_to_shell", "reverse_shell", "exec_from_tmp", "log_wiping", "chmod_x"]
                .contains(&p.id.as_str());
            assert_eq!(p.severity == Severity::High, high, "{}", p.id);
        }
    }

    #[test]
    fn pattern_files_are_checked() {
        let e = parse_patterns("x.tsv", "a\tbad\tcommand_line\tx\t-\tt\tr\n").unwrap_err();
        assert!(e.contains("x.tsv:1") && e.contains("bad"), "{e}");
        assert!(parse_patterns("x.tsv", "a\thigh\targv\tx\t-\tt\tr\n").unwrap_err().contains("argv"));
        assert!(parse_patterns("x.tsv", "a\thigh\tcommand_line\tx\n").is_err());
        assert!(parse_patterns("x.tsv", "# only a comment\n").is_err());
        let bad = parse_patterns("x.tsv", "a\thigh\tcommand_line\t(unclosed\t-\tt\tr\n").unwrap_err();
        assert!(bad.starts_with("x.tsv:1: pattern is not a valid regular expression"), "{bad}");
    }

    /// The `VALUES` rows keep the file's order and quote what they hold.
    #[test]
    fn the_values_list_holds_every_row_in_order() {
        let p = parse_patterns(
            "x.tsv",
            "a\thigh\tcommand_line\tit's\t/sshd$\tA t\tref\nb\tlow\texecutable\t^/tmp/\t-\tB\tr2\n",
        )
        .unwrap();
        assert_eq!(
            values_sql(&p),
            "(0, 'a', 'high', 'command_line', 'it''s', '/sshd$', 'A t', 'ref'),\n    (1, 'b', 'low', 'executable', '^/tmp/', '', 'B', 'r2')"
        );
        assert_eq!(load("").unwrap().len(), parse_patterns("b", BUILTIN_PATTERNS).unwrap().len());
        assert!(load("/nonexistent/p.tsv").unwrap_err().starts_with("/nonexistent/p.tsv: "));
    }
}
