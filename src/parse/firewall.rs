//! Firewall packet logs inside syslog:
//! - netfilter (iptables/nftables `LOG`, UFW, firewalld) kernel lines,
//!   `kernel: [12345.678] [UFW BLOCK] IN=eth0 OUT= MAC=… SRC=… DST=… PROTO=TCP SPT=… DPT=…`,
//!   with or without a prefix. The prefix becomes `rule_name` and decides the action: a
//!   `BLOCK`/`DROP`/`REJECT`/`DENY` word is a block, `ALLOW`/`ACCEPT` an allow, `AUDIT` an audit,
//!   and no verdict word (a plain `LOG` rule) is `firewall.log` with outcome unknown;
//! - pf as pfSense and OPNsense log it, `filterlog[pid]: RULE,SUB,ANCHOR,TRACKER,IFACE,REASON,ACTION,DIR,IPVER,…`
//!   (the CSV layout of the pfSense "Filter Log Format" documentation, IPv4 and IPv6);
//! - MikroTik RouterOS, `firewall,info [PREFIX ]CHAIN: in:IF out:IF, …, proto TCP (SYN), SRC:PORT->DST:PORT, len N`.

use std::borrow::Cow;

use super::text;
use super::{Event, Module};
use crate::schema::{action, outcome};

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

/// Returns `Some(Module::Firewall)` when the message is a firewall packet log.
pub fn analyze<'a>(program: &'a str, msg: &'a str, ev: &mut Event<'a>) -> Option<Module> {
    if program == "filterlog" {
        return filterlog(msg, ev);
    }
    if !(program == "kernel" || program.is_empty()) {
        return None;
    }
    if let Some(r) = msg.strip_prefix("firewall,") {
        return mikrotik(r, ev);
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
    set_verdict(ev, verdict(prefix));
    if !prefix.is_empty() {
        ev.rule_name = Some(Cow::Borrowed(prefix));
    }
    ev.source_ip = text::ip(src);
    ev.destination_ip = dst.and_then(text::ip);
    ev.source_port = spt.and_then(text::parse_port);
    ev.destination_port = dpt.and_then(text::parse_port);
    ev.observer_ingress_interface_name = iface.filter(|s| !s.is_empty()).map(Cow::Borrowed);
    ev.network_transport = proto.map(transport);
    Some(Module::Firewall)
}

/// Action and outcome from a log prefix or a verdict word (case-insensitive).
fn verdict(word: &str) -> (&'static str, &'static str) {
    let has = |w: &str| word.as_bytes().windows(w.len()).any(|x| x.eq_ignore_ascii_case(w.as_bytes()));
    if ["BLOCK", "DROP", "DENY", "REJECT"].into_iter().any(has) {
        (action::FIREWALL_BLOCK, outcome::FAILURE)
    } else if ["ALLOW", "ACCEPT", "PASS"].into_iter().any(has) {
        (action::FIREWALL_ALLOW, outcome::SUCCESS)
    } else if has("AUDIT") {
        (action::FIREWALL_AUDIT, outcome::UNKNOWN)
    } else {
        (action::FIREWALL_LOG, outcome::UNKNOWN)
    }
}

fn set_verdict(ev: &mut Event<'_>, (act, out): (&'static str, &'static str)) {
    super::set_action(ev, act, out, "network");
}

/// Transport names in lower case (`TCP` → `tcp`, `ICMPv6` → `ipv6-icmp`).
fn transport(p: &str) -> Cow<'_, str> {
    match p {
        "TCP" | "tcp" => Cow::Borrowed("tcp"),
        "UDP" | "udp" => Cow::Borrowed("udp"),
        "ICMP" | "icmp" => Cow::Borrowed("icmp"),
        "ICMPv6" | "ipv6-icmp" | "icmpv6" => Cow::Borrowed("ipv6-icmp"),
        other if other.bytes().any(|c| c.is_ascii_uppercase()) => Cow::Owned(other.to_ascii_lowercase()),
        other => Cow::Borrowed(other),
    }
}

/// pf's `filterlog` CSV. Fields 0-8 are common (rule, sub-rule, anchor, tracker, interface,
/// reason, action, direction, IP version); IPv4 then has TOS, ECN, TTL, id, offset, flags,
/// protocol id, protocol name, length, source, destination (9-19); IPv6 has class, flow label,
/// hop limit, protocol name, protocol id, length, source, destination (9-16). TCP and UDP add
/// source and destination ports after the addresses.
fn filterlog<'a>(msg: &'a str, ev: &mut Event<'a>) -> Option<Module> {
    let mut f = [""; 24];
    let mut n = 0;
    for (i, v) in msg.split(',').take(f.len()).enumerate() {
        f[i] = v;
        n = i + 1;
    }
    let (proto, src_at) = match f[8] {
        "4" if n >= 20 => (f[16], 18),
        "6" if n >= 17 => (f[12], 15),
        _ => return None,
    };
    let src = text::ip(f[src_at])?;
    set_verdict(ev, verdict(f[6]));
    ev.source_ip = Some(src);
    ev.destination_ip = text::ip(f[src_at + 1]);
    if matches!(proto, "tcp" | "udp") && n > src_at + 3 {
        ev.source_port = text::parse_port(f[src_at + 2]);
        ev.destination_port = text::parse_port(f[src_at + 3]);
    }
    ev.network_transport = Some(transport(proto));
    ev.observer_ingress_interface_name = (!f[4].is_empty()).then_some(Cow::Borrowed(f[4]));
    ev.rule_name = (!f[0].is_empty()).then_some(Cow::Borrowed(f[0]));
    Some(Module::Firewall)
}

/// MikroTik RouterOS: after the `firewall,` topics, `[PREFIX ]CHAIN: in:IF out:IF, …, proto
/// P[ (FLAGS)], SRC[:PORT]->DST[:PORT], …`. The log prefix (`log-prefix`) decides the verdict
/// as for netfilter.
fn mikrotik<'a>(r: &'a str, ev: &mut Event<'a>) -> Option<Module> {
    let (_topics, rest) = text::token(r);
    let (head, body) = rest.split_once(": in:")?;
    let prefix = head.rsplit_once(' ').map_or("", |(p, _chain)| p.trim());
    let mut flow = None;
    let mut proto = None;
    let mut iface = None;
    for (i, part) in body.split(", ").enumerate() {
        if i == 0 {
            iface = part.split(' ').next().filter(|s| !s.is_empty());
        } else if let Some(p) = part.strip_prefix("proto ") {
            proto = Some(p.split(' ').next().unwrap_or(p));
        } else if part.contains("->") && flow.is_none() {
            flow = part.split_once("->");
        }
    }
    let (src, dst) = flow?;
    let (sip, sport) = text::addr_port(src);
    let (dip, dport) = text::addr_port(dst);
    ev.source_ip = Some(text::ip(sip)?);
    ev.destination_ip = text::ip(dip);
    ev.source_port = sport;
    ev.destination_port = dport;
    set_verdict(ev, verdict(prefix));
    if !prefix.is_empty() {
        ev.rule_name = Some(Cow::Borrowed(prefix));
    }
    ev.network_transport = proto.map(transport);
    ev.observer_ingress_interface_name = iface.map(Cow::Borrowed);
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
    fn plain_netfilter_log_without_prefix() {
        let mut ev = Event::default();
        let msg = "[ 812.337106] IN=eth0 OUT= MAC=52:54:00:aa:bb:cc:52:54:00:dd:ee:ff:08:00 SRC=198.51.100.66 DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=13737 PROTO=TCP SPT=54321 DPT=445 WINDOW=1024 RES=0x00 SYN URGP=0";
        assert_eq!(analyze("kernel", msg, &mut ev), Some(Module::Firewall));
        assert_eq!((ev.event_action.as_deref(), ev.event_outcome.as_deref()), (Some("firewall.log"), Some("unknown")));
        assert_eq!((ev.destination_port, ev.rule_name.as_deref()), (Some(445), None));
        let mut ev = Event::default();
        analyze("kernel", "nft-drop: IN=eth0 OUT= SRC=198.51.100.66 DST=10.0.0.5 PROTO=UDP SPT=1 DPT=53", &mut ev);
        assert_eq!(ev.event_action.as_deref(), Some("firewall.block"));
    }

    #[test]
    fn pf_filterlog_v4_and_v6() {
        let mut ev = Event::default();
        let msg = "5,,,1000000103,igb1,match,block,in,4,0x0,,64,35212,0,none,6,tcp,60,198.51.100.5,203.0.113.10,51234,22,0,S,1234567,,64240,,mss;sackOK;TS;nop;wscale";
        assert_eq!(analyze("filterlog", msg, &mut ev), Some(Module::Firewall));
        assert_eq!(ev.event_action.as_deref(), Some("firewall.block"));
        assert_eq!(
            (ev.source_ip.as_deref(), ev.destination_ip.as_deref()),
            (Some("198.51.100.5"), Some("203.0.113.10"))
        );
        assert_eq!((ev.source_port, ev.destination_port), (Some(51234), Some(22)));
        assert_eq!(
            (ev.network_transport.as_deref(), ev.observer_ingress_interface_name.as_deref()),
            (Some("tcp"), Some("igb1"))
        );
        let mut ev = Event::default();
        let msg =
            "77,,,1000000115,em0,match,pass,out,6,0x00,0x00000,64,udp,17,40,2001:db8::10,2001:db8::53,33000,53,40";
        assert_eq!(analyze("filterlog", msg, &mut ev), Some(Module::Firewall));
        assert_eq!(ev.event_action.as_deref(), Some("firewall.allow"));
        assert_eq!((ev.source_ip.as_deref(), ev.destination_port), (Some("2001:db8::10"), Some(53)));
        let mut ev = Event::default();
        let msg = "9,,,1000000103,igb0,match,block,in,4,0x0,,242,54321,0,none,1,icmp,28,198.51.100.9,203.0.113.10,request,1234,0";
        assert_eq!(analyze("filterlog", msg, &mut ev), Some(Module::Firewall));
        assert_eq!((ev.network_transport.as_deref(), ev.destination_port), (Some("icmp"), None));
        assert_eq!(analyze("filterlog", "garbage,1,2", &mut Event::default()), None);
    }

    #[test]
    fn mikrotik_firewall() {
        let mut ev = Event::default();
        let msg = "firewall,info DROP-WAN input: in:ether1 out:(unknown 0), src-mac 00:0c:29:aa:bb:cc, proto TCP (SYN), 198.51.100.70:40001->203.0.113.1:23, len 60";
        assert_eq!(analyze("", msg, &mut ev), Some(Module::Firewall));
        assert_eq!((ev.event_action.as_deref(), ev.rule_name.as_deref()), (Some("firewall.block"), Some("DROP-WAN")));
        assert_eq!(
            (ev.source_ip.as_deref(), ev.source_port, ev.destination_port),
            (Some("198.51.100.70"), Some(40001), Some(23))
        );
        assert_eq!(
            (ev.network_transport.as_deref(), ev.observer_ingress_interface_name.as_deref()),
            (Some("tcp"), Some("ether1"))
        );
        let mut ev = Event::default();
        let msg = "firewall,info input: in:ether1 out:(unknown 0), src-mac 00:0c:29:aa:bb:cc, proto ICMP (type 8, code 0), 198.51.100.71->203.0.113.1, len 84";
        assert_eq!(analyze("", msg, &mut ev), Some(Module::Firewall));
        assert_eq!((ev.event_action.as_deref(), ev.destination_port), (Some("firewall.log"), None));
    }

    #[test]
    fn other_kernel_lines_are_not_firewall() {
        let mut ev = Event::default();
        assert_eq!(analyze("kernel", "[    0.000000] Linux version 6.1.0", &mut ev), None);
        assert_eq!(analyze("sshd", "IN=eth0 SRC=1.2.3.4", &mut ev), None);
    }
}
