//! Parser micro-benchmarks (criterion): one line of each hot format, parse only.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logsleuth::parse::time::{YearRule, Zone};
use logsleuth::parse::{format_by_id, Event, FileCtx};

fn bench(c: &mut Criterion) {
    let ctx = FileCtx {
        rel_path: Arc::from("h/var/log/x"),
        host_hint: Some(Arc::from("h")),
        year: YearRule::Fixed(2026),
        zone: Zone::Utc,
    };
    let cases = [
        ("syslog_sshd_failed", "syslog", "Dec  5 10:00:01 web01 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 50022 ssh2"),
        ("syslog_ufw", "syslog", "Dec  5 10:00:01 web01 kernel: [ 5023.123456] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.23 DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=240 ID=54321 PROTO=TCP SPT=43210 DPT=3389 WINDOW=1024 RES=0x00 SYN URGP=0"),
        ("access_combined", "access", r#"203.0.113.7 - - [10/Oct/2026:13:55:36 -0700] "GET /products/42?page=3 HTTP/1.1" 200 2326 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0""#),
    ];
    let mut g = c.benchmark_group("parse");
    for (name, fmt, line) in cases {
        let parser = format_by_id(fmt).unwrap().build(&ctx, &[]).unwrap();
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut ev = Event::default();
                let m = parser.parse(std::hint::black_box(line), &mut ev).unwrap();
                std::hint::black_box((m, ev.timestamp));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
