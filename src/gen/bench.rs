//! A large evidence tree for throughput benchmarks: auth, access and firewall logs for several
//! hosts, part of it gzip-compressed, of a requested total size.

use std::io::{BufWriter, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::utc;
use super::write::{apache_time, set_mtime, syslog_line, Style};

const HOSTS: usize = 4;

/// Writes about `total_mb` MB of uncompressed log text under `root`; returns bytes written
/// (uncompressed).
pub fn write_bench(root: &Path, total_mb: u64, seed: u64) -> std::io::Result<u64> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let per_host = total_mb * 1_000_000 / HOSTS as u64;
    let mut total = 0u64;
    let t0 = utc(2026, 3, 1, 0, 0, 0);
    for h in 0..HOSTS {
        let host = format!("h{h:02}");
        let dir = root.join(&host).join("var/log");
        std::fs::create_dir_all(dir.join("apache2"))?;
        // Per host: auth 35 %, access 45 %, firewall 20 %; the older third of each gzip'd.
        for (rel, share, kind) in [("auth.log", 35, 0), ("apache2/access.log", 45, 1), ("ufw.log", 20, 2)] {
            let bytes = per_host * share / 100;
            for (suffix, part, gz) in [(".1.gz", 3, true), ("", 2, false)] {
                let target = bytes * part / 5;
                let path = dir.join(format!("{rel}{suffix}"));
                let file = std::fs::File::create(&path)?;
                let mut out: Box<dyn Write> = if gz {
                    Box::new(BufWriter::with_capacity(
                        1 << 20,
                        flate2::write::GzEncoder::new(file, flate2::Compression::fast()),
                    ))
                } else {
                    Box::new(BufWriter::with_capacity(1 << 20, file))
                };
                let mut written = 0u64;
                let span = if gz { 0 } else { 1 };
                let mut t = t0 + span * 7 * 86_400;
                while written < target {
                    let line = line(&mut rng, kind, &host, t);
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                    written += line.len() as u64 + 1;
                    t += rng.random_range(0..2);
                }
                out.flush()?;
                drop(out);
                set_mtime(&path, t + 60)?;
                total += written;
            }
        }
    }
    Ok(total)
}

fn ip(rng: &mut ChaCha8Rng) -> String {
    format!("198.51.100.{}", rng.random_range(1..255))
}

fn line(rng: &mut ChaCha8Rng, kind: u8, host: &str, t: i64) -> String {
    match kind {
        0 => {
            let pid = rng.random_range(1000..60_000);
            let msg = match rng.random_range(0..4) {
                0 => format!("Failed password for root from {} port {} ssh2", ip(rng), rng.random_range(30_000..60_000)),
                1 => format!("Invalid user admin from {} port {}", ip(rng), rng.random_range(30_000..60_000)),
                2 => format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={}  user=root", ip(rng)),
                _ => format!("Accepted publickey for deploy from 10.0.0.9 port {} ssh2: ED25519 SHA256:abcdefghijklmnop", rng.random_range(30_000..60_000)),
            };
            syslog_line(Style::Bsd, t, 0, host, "sshd", Some(pid), &msg)
        }
        1 => {
            let status = [200, 200, 200, 304, 404][rng.random_range(0..5)];
            format!(
                "{} - - {} \"GET /products/{}?page={} HTTP/1.1\" {status} {} \"https://shop.example.com/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\"",
                ip(rng),
                apache_time(t),
                rng.random_range(1..5000),
                rng.random_range(1..50),
                rng.random_range(200..60_000)
            )
        }
        _ => {
            let msg = format!(
                "[{}.{:06}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:8a:11:02:52:54:00:01:02:03:08:00 SRC={} DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID={} PROTO=TCP SPT={} DPT={} WINDOW=1024 RES=0x00 SYN URGP=0",
                t - 1_700_000_000,
                rng.random_range(0..1_000_000),
                ip(rng),
                rng.random_range(1000..65_000),
                rng.random_range(30_000..60_000),
                rng.random_range(1..10_000)
            );
            syslog_line(Style::Bsd, t, 0, host, "kernel", None, &msg)
        }
    }
}
