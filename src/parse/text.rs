//! Small byte/str scanning helpers shared by the parsers: no regex, no allocation unless a
//! value has to be rewritten (an IPv6 address made canonical, an escaped quote removed).

use std::borrow::Cow;
use std::net::IpAddr;

/// A `memmem` searcher for a byte-string literal, built once per call site: building one per
/// line (as `memchr::memmem::find` and `str::find(&str)` do) cost more than the search.
/// `finder!(b" [").find(hay)`.
macro_rules! finder {
    ($needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}
pub(crate) use finder;

/// Start of the first ` word ` in `hay` (forward twin of [`rfind_word`]; for short lines this
/// beats a general substring searcher's setup).
pub fn find_word(hay: &[u8], word: &[u8]) -> Option<usize> {
    let (&first, _) = word.split_first()?;
    let Some(&key) = word.get(1) else { return memchr::memchr(first, hay) };
    memchr::memchr_iter(key, hay).filter_map(|i| i.checked_sub(1)).find(|&at| hay[at..].starts_with(word))
}

/// Start of the last ` word ` in `hay`: scans backwards for the word's first letter, which is
/// much rarer in a log line than the space before it. `word` is a short literal like `b" from "`.
pub fn rfind_word(hay: &[u8], word: &[u8]) -> Option<usize> {
    let (&first, _) = word.split_first()?;
    let Some(&key) = word.get(1) else { return memchr::memrchr(first, hay) };
    memchr::memrchr_iter(key, hay).filter_map(|i| i.checked_sub(1)).find(|&at| hay[at..].starts_with(word))
}

/// Splits at the first occurrence of `pat`.
#[inline]
pub fn split_once<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    s.split_once(pat)
}

/// The first space-separated token and the rest (leading spaces of the rest skipped).
#[inline]
pub fn token(s: &str) -> (&str, &str) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], s[i + 1..].trim_start_matches(' ')),
        None => (s, ""),
    }
}

/// Parses a decimal port/number that must be the whole string.
#[inline]
pub fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[inline]
pub fn parse_port(s: &str) -> Option<i32> {
    parse_u32(s).filter(|&p| p <= 65_535).map(|p| p as i32)
}

/// Where a log names a peer: an address (made canonical) or a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer<'a> {
    Ip(Cow<'a, str>),
    Domain(&'a str),
}

/// Classifies a peer token: IPv4 stays borrowed; IPv6 is rewritten to its canonical text and
/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 address; anything else that looks like
/// a host name is a domain.
pub fn peer(s: &str) -> Option<Peer<'_>> {
    let s = s.trim_matches(|c| c == '[' || c == ']');
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    if b[0].is_ascii_digit() && b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return s.parse::<std::net::Ipv4Addr>().ok().map(|_| Peer::Ip(Cow::Borrowed(s)));
    }
    if s.contains(':') {
        let ip: IpAddr = s.parse().ok()?;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        let canon = ip.to_string();
        return Some(Peer::Ip(if canon == s { Cow::Borrowed(s) } else { Cow::Owned(canon) }));
    }
    if b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')) {
        return Some(Peer::Domain(s));
    }
    None
}

/// `ADDR`, `ADDR:PORT` or `[IPv6]:PORT` → (address text without brackets, port). A bare IPv6
/// address is never split at its last colon.
pub fn addr_port(s: &str) -> (&str, Option<i32>) {
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            (h.trim_matches(|c| c == '[' || c == ']'), parse_port(p))
        }
        _ => (s, None),
    }
}

/// Canonical IP text, or `None` when `s` is not an address.
pub fn ip(s: &str) -> Option<Cow<'_, str>> {
    match peer(s)? {
        Peer::Ip(ip) => Some(ip),
        Peer::Domain(_) => None,
    }
}

/// Value of `KEY=value` in a space-separated key/value message (`SRC=1.2.3.4 DST=…`); the key
/// must start the message or follow a space.
pub fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    s.split(' ').find_map(|tok| tok.strip_prefix(key)?.strip_prefix('='))
}

/// Strips one trailing ` [preauth]`-style suffix.
#[inline]
pub fn strip_suffix_tag<'a>(s: &'a str, tag: &str) -> &'a str {
    s.strip_suffix(tag).map(str::trim_end).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers() {
        assert_eq!(peer("203.0.113.7"), Some(Peer::Ip(Cow::Borrowed("203.0.113.7"))));
        assert_eq!(peer("2001:DB8::0:1"), Some(Peer::Ip(Cow::Owned("2001:db8::1".into()))));
        assert_eq!(peer("::ffff:198.51.100.4"), Some(Peer::Ip(Cow::Owned("198.51.100.4".into()))));
        assert_eq!(peer("[2001:db8::1]"), Some(Peer::Ip(Cow::Borrowed("2001:db8::1"))));
        assert_eq!(peer("scanner.example.net"), Some(Peer::Domain("scanner.example.net")));
        assert_eq!(peer("999.1.1.1"), None);
        assert_eq!(peer("a b"), None);
    }

    #[test]
    fn addresses_with_ports() {
        assert_eq!(addr_port("198.51.100.7:51234"), ("198.51.100.7", Some(51234)));
        assert_eq!(addr_port("[2001:db8::7]:51235"), ("2001:db8::7", Some(51235)));
        assert_eq!(addr_port("2001:db8::7"), ("2001:db8::7", None));
        assert_eq!(addr_port("198.51.100.7"), ("198.51.100.7", None));
    }

    #[test]
    fn key_values() {
        let m = "IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.5 PROTO=TCP SPT=4444 DPT=22";
        assert_eq!(kv(m, "SRC"), Some("1.2.3.4"));
        assert_eq!(kv(m, "OUT"), Some(""));
        assert_eq!(kv(m, "DPT"), Some("22"));
        assert_eq!(kv(m, "PT"), None);
        assert_eq!(kv("XSRC=1 SRC=2", "SRC"), Some("2"));
    }

    #[test]
    fn reverse_word_search() {
        let s = b"root from x from 1.2.3.4 port 22";
        assert_eq!(rfind_word(s, b" from "), Some(11));
        assert_eq!(rfind_word(s, b" port "), Some(24));
        assert_eq!(rfind_word(b" from", b" from "), None);
        assert_eq!(rfind_word(b"from ", b" from "), None);
        assert_eq!(rfind_word(b"a b", b" "), Some(1));
        assert_eq!(rfind_word(b"abc", b""), None);
    }

    #[test]
    fn tokens() {
        assert_eq!(token("a  b c"), ("a", "b c"));
        assert_eq!(token("abc"), ("abc", ""));
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_port("22"), Some(22));
    }
}
