//! netfilter / UFW / iptables / firewalld kernel log lines inside syslog:
//! `kernel: [12345.678] [UFW BLOCK] IN=eth0 OUT= MAC=… SRC=… DST=… PROTO=TCP SPT=… DPT=…`.
//! The log prefix becomes `rule_name` and decides the action (block/allow/audit).

use std::borrow::Cow;

use super::text;
use super::{Event, Module};

/// A key of up to 8 bytes packed into an integer (0 for longer keys, which none of ours are).
const fn key_code(k: &[u8]) -> u64 {
    if k.is_empty() || k.len() > 8 {
        return 0;
    }
    let mut code = 0u64;
    let mut i = 0;
    while i < k.len() {
        code = code << 8 | k[i] as u64;
        i += 1;
    }
    code
}
const SRC: u64 = key_code(b"SRC");
const DST: u64 = key_code(b"DST");
const SPT: u64 = key_code(b"SPT");
const DPT: u64 = key_code(b"DPT");
const IN: u64 = key_code(b"IN");
const PROTO: u64 = key_code(b"PROTO");

/// Returns `Some(Module::Firewall)` when the message is a netfilter packet log.
pub fn analyze<'a>(program: &'a str, msg: &'a str, ev: &mut Event<'a>) -> Option<Module> {
    if !(program == "kernel" || program.is_empty()) {
        return None;
    }
    let mut m = msg;
    // Kernel uptime stamp: `[ 1234.567890] `
    if m.starts_with('[') {
        if let Some(end) = text::finder!(b"] ").find(m.as_bytes()) {
            let inner = m[1..end].trim();
            if !inner.is_empty() && inner.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                m = &m[end + 2..];
            }
        }
    }
    let in_at = if m.starts_with("IN=") { 0 } else { text::finder!(b" IN=").find(m.as_bytes())? + 1 };
    let kvs = &m[in_at..];
    // One pass over `KEY=value` tokens; keys compared as packed integers, not strings (a
    // UFW line has ~20 tokens, and string matching each against six keys was most of its cost).
    let (mut src, mut dst, mut spt, mut dpt, mut iface, mut proto) = (None, None, None, None, None, None);
    let b = kvs.as_bytes();
    let mut at = 0;
    while at < b.len() {
        let end = memchr::memchr(b' ', &b[at..]).map_or(b.len(), |i| at + i);
        let tok = &b[at..end];
        if let Some(eq) = tok.iter().position(|&c| c == b'=') {
            let v = Some(&kvs[at + eq + 1..end]);
            match key_code(&tok[..eq]) {
                SRC => src = v,
                DST => dst = v,
                SPT => spt = v,
                DPT => dpt = v,
                IN => iface = v,
                PROTO => proto = v,
                _ => {}
            }
        }
        at = end + 1;
    }
    let src = src?;
    let prefix = m[..in_at].trim().trim_start_matches('[').trim_end_matches(':').trim_end_matches(']').trim();
    let has = |word: &str| prefix.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word.as_bytes()));
    let (action, outcome) = if ["BLOCK", "DROP", "DENY", "REJECT"].into_iter().any(has) {
        ("firewall.block", "failure")
    } else if ["ALLOW", "ACCEPT"].into_iter().any(has) {
        ("firewall.allow", "success")
    } else if has("AUDIT") {
        ("firewall.audit", "unknown")
    } else {
        ("firewall.log", "unknown")
    };
    ev.event_action = Some(Cow::Borrowed(action));
    ev.event_outcome = Some(Cow::Borrowed(outcome));
    ev.event_category = Some(Cow::Borrowed("network"));
    if !prefix.is_empty() {
        ev.rule_name = Some(Cow::Borrowed(prefix));
    }
    ev.source_ip = text::ip(src);
    ev.destination_ip = dst.and_then(text::ip);
    ev.source_port = spt.and_then(text::parse_port);
    ev.destination_port = dpt.and_then(text::parse_port);
    ev.observer_ingress_interface_name = iface.filter(|s| !s.is_empty()).map(Cow::Borrowed);
    ev.network_transport = proto.map(|p| match p {
        "TCP" => Cow::Borrowed("tcp"),
        "UDP" => Cow::Borrowed("udp"),
        "ICMP" => Cow::Borrowed("icmp"),
        "ICMPv6" => Cow::Borrowed("ipv6-icmp"),
        other if other.bytes().any(|c| c.is_ascii_uppercase()) => Cow::Owned(other.to_ascii_lowercase()),
        other => Cow::Borrowed(other),
    });
    Some(Module::Firewall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufw_block_with_uptime() {
        let mut ev = Event::default();
        let msg = "[ 5023.123456] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.23 DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=240 ID=54321 PROTO=TCP SPT=43210 DPT=3389 WINDOW=1024 RES=0x00 SYN URGP=0";
        assert_eq!(analyze("kernel", msg, &mut ev), Some(Module::Firewall));
        assert_eq!(ev.event_action.as_deref(), Some("firewall.block"));
        assert_eq!(ev.rule_name.as_deref(), Some("UFW BLOCK"));
        assert_eq!(ev.source_ip.as_deref(), Some("198.51.100.23"));
        assert_eq!(ev.destination_port, Some(3389));
        assert_eq!(ev.source_port, Some(43210));
        assert_eq!(ev.network_transport.as_deref(), Some("tcp"));
        assert_eq!(ev.observer_ingress_interface_name.as_deref(), Some("eth0"));
    }

    #[test]
    fn iptables_prefixes_and_icmp() {
        let mut ev = Event::default();
        let msg = "IPTABLES-ACCEPT: IN=eth1 OUT= SRC=2001:db8::5 DST=2001:db8::1 LEN=64 PROTO=ICMPv6 TYPE=128 CODE=0";
        assert_eq!(analyze("kernel", msg, &mut ev), Some(Module::Firewall));
        assert_eq!(ev.event_action.as_deref(), Some("firewall.allow"));
        assert_eq!(ev.network_transport.as_deref(), Some("ipv6-icmp"));
        assert_eq!(ev.destination_port, None);
        let mut ev = Event::default();
        assert_eq!(
            analyze("kernel", "[UFW AUDIT] IN=lo OUT= SRC=127.0.0.1 DST=127.0.0.1 PROTO=UDP SPT=1 DPT=2", &mut ev),
            Some(Module::Firewall)
        );
        assert_eq!(ev.event_action.as_deref(), Some("firewall.audit"));
    }

    #[test]
    fn other_kernel_lines_are_not_firewall() {
        let mut ev = Event::default();
        assert_eq!(analyze("kernel", "[    0.000000] Linux version 6.1.0", &mut ev), None);
        assert_eq!(analyze("sshd", "IN=eth0 SRC=1.2.3.4", &mut ev), None);
    }
}
