//! The `condition` of a Sigma detection: `and`, `or`, `not`, parentheses, and
//! `1 of PATTERN` / `all of PATTERN` / `1 of them` / `all of them` over the search identifiers.
//! Precedence, least to most binding: or, and, not, `x of`, parentheses (the specification's
//! order).

use std::collections::BTreeMap;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Ref(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// `N of PATTERN` (`all` is `None`); `pattern` `None` means `them`.
    Of {
        count: Option<usize>,
        pattern: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokens(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in s.chars() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                out.push(Token::Open);
            }
            ')' => {
                flush(&mut word, &mut out);
                out.push(Token::Close);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.' | '?') => word.push(c),
            '|' => {
                return Err(
                    "the pipe ('| count() ...') belongs to Sigma v1 aggregations, which correlation rules replaced"
                        .into(),
                )
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

/// How deep `not` and parentheses may nest: real conditions use a few levels; a fuzzed one of
/// thousands overflowed the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Cond::Or(parts) })
    }
    fn and(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Cond::And(parts) })
    }
    /// One level deeper (a `not` or a `(`): refused past [`MAX_DEPTH`], so that no condition
    /// can exhaust the stack of the recursive descent.
    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the condition nests more than {MAX_DEPTH} levels of 'not' and '('"));
        }
        Ok(())
    }
    fn not(&mut self) -> Result<Cond, String> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Cond, String> {
        match self.next() {
            Some(Token::Open) => {
                self.deeper()?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a '(' is not closed".into()),
                }
            }
            Some(Token::Close) => Err("a ')' without its '('".into()),
            Some(Token::Word(w)) => {
                if is_kw(self.peek(), "of") {
                    self.pos += 1;
                    let count = match w.to_ascii_lowercase().as_str() {
                        "all" => None,
                        "any" => Some(1),
                        n => match n.parse::<usize>() {
                            Ok(n) if n >= 1 => Some(n),
                            _ => return Err(format!("'{w} of': expected '1 of' or 'all of'")),
                        },
                    };
                    let pattern = match self.next() {
                        Some(Token::Word(p)) if p.eq_ignore_ascii_case("them") => None,
                        Some(Token::Word(p)) => Some(p),
                        _ => return Err(format!("'{w} of' is not followed by a search identifier pattern or 'them'")),
                    };
                    return Ok(Cond::Of { count, pattern });
                }
                for kw in ["and", "or", "not", "of"] {
                    if w.eq_ignore_ascii_case(kw) {
                        return Err(format!("'{w}' where a search identifier was expected"));
                    }
                }
                Ok(Cond::Ref(w))
            }
            None => Err("the condition ends where a search identifier was expected".into()),
        }
    }
}

/// Parses a condition string.
pub fn parse(s: &str) -> Result<Cond, String> {
    let toks = tokens(s).map_err(|e| format!("condition {s:?}: {e}"))?;
    if toks.is_empty() {
        return Err("the condition is empty".into());
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let c = p.or().map_err(|e| format!("condition {s:?}: {e}"))?;
    if p.pos < p.toks.len() {
        return Err(format!("condition {s:?}: unexpected {:?} after a complete expression", p.toks[p.pos]));
    }
    Ok(c)
}

/// Whether a search identifier matches a `1 of` pattern (`*` any run of characters).
pub fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// The search identifiers a `x of` names: those matching the pattern, or for `them` all that do
/// not start with `_`.
pub fn members<'a, T>(pattern: Option<&str>, searches: &'a BTreeMap<String, T>) -> Vec<&'a str> {
    searches
        .keys()
        .filter(|k| match pattern {
            Some(p) => glob(p, k),
            None => !k.starts_with('_'),
        })
        .map(String::as_str)
        .collect()
}

/// Checks that every identifier the condition names exists.
pub fn check_names<T>(c: &Cond, searches: &BTreeMap<String, T>) -> Result<(), String> {
    match c {
        Cond::Ref(r) if !searches.contains_key(r) => Err(format!("the condition names '{r}', which is not defined")),
        Cond::Ref(_) => Ok(()),
        Cond::Not(x) => check_names(x, searches),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().try_for_each(|x| check_names(x, searches)),
        Cond::Of { pattern, .. } if members(pattern.as_deref(), searches).is_empty() => {
            Err(format!("'of {}' matches no search identifier", pattern.as_deref().unwrap_or("them")))
        }
        Cond::Of { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Cond {
        Cond::Ref(s.into())
    }

    #[test]
    fn precedence_is_or_and_not() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Cond::Or(vec![r("a"), Cond::And(vec![r("b"), Cond::Not(Box::new(r("c")))])])
        );
        assert_eq!(parse("(a or b) and c").unwrap(), Cond::And(vec![Cond::Or(vec![r("a"), r("b")]), r("c")]));
        assert_eq!(parse("not not a").unwrap(), Cond::Not(Box::new(Cond::Not(Box::new(r("a"))))));
    }

    #[test]
    fn quantifiers() {
        assert_eq!(
            parse("1 of selection_* and not all of filter*").unwrap(),
            Cond::And(vec![
                Cond::Of { count: Some(1), pattern: Some("selection_*".into()) },
                Cond::Not(Box::new(Cond::Of { count: None, pattern: Some("filter*".into()) })),
            ])
        );
        assert_eq!(parse("all of them").unwrap(), Cond::Of { count: None, pattern: None });
        assert_eq!(parse("1 of them").unwrap(), Cond::Of { count: Some(1), pattern: None });
        assert_eq!(
            parse("selection\n  and\n  (\n 1 of x_* )").unwrap(),
            Cond::And(vec![r("selection"), Cond::Of { count: Some(1), pattern: Some("x_*".into()) }])
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep).unwrap_err().contains("nests more than"));
        assert!(parse(&"not ".repeat(100_000)).unwrap_err().contains("nests more than"));
        let fine = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse(&fine).unwrap(), Cond::Ref("a".into()));
    }

    #[test]
    fn bad_conditions_say_why() {
        for (c, why) in [
            ("a and", "ends"),
            ("(a or b", "not closed"),
            ("a b", "unexpected"),
            ("a | count() > 5", "v1 aggregations"),
            ("x of sel*", "expected '1 of'"),
            ("", "empty"),
            ("a and or b", "'or' where"),
        ] {
            let e = parse(c).unwrap_err();
            assert!(e.contains(why), "{c:?}: {e}");
        }
    }

    #[test]
    fn names_are_checked_and_them_skips_underscores() {
        let mut s = BTreeMap::new();
        s.insert("selection_a".to_string(), ());
        s.insert("selection_b".to_string(), ());
        s.insert("_private".to_string(), ());
        assert_eq!(members(None, &s), vec!["selection_a", "selection_b"]);
        assert_eq!(members(Some("sel*_b"), &s), vec!["selection_b"]);
        assert!(check_names(&parse("selection_a and not _private").unwrap(), &s).is_ok());
        assert!(check_names(&parse("selection_c").unwrap(), &s).unwrap_err().contains("'selection_c'"));
        assert!(check_names(&parse("1 of filter_*").unwrap(), &s).unwrap_err().contains("matches no"));
    }
}
