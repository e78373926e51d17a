//! Triage on the bundled sample with the background every public web server receives added
//! (one-shot attack probes and scanner requests from hundreds of addresses, written as
//! Apache's combined log format writes them): incidents, severity reasons, noise folding,
//! suppressions, and the report's first screen.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use logsleuth::detect::finding::{FindingsDoc, Severity};
use logsleuth::triage::incidents::IncidentsDoc;

/// Attack probes as scanners send them (path and query as requested), each answered 404.
const PROBES: &[&str] = &[
    "/index.php?id=1%27%20UNION%20SELECT%201,2,3--",
    "/search?q=%3Cscript%3Ealert(document.domain)%3C/script%3E",
    "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/phpmyadmin/index.php",
    "/wp-login.php",
];
const NOISE_PROBERS: usize = 150;
const NOISE_SCANNERS: usize = 40;

/// One line of Apache's combined format.
fn combined(ip: &str, day: u32, month: &str, secs: u32, request: &str, status: u16, agent: &str) -> String {
    format!(
        "{ip} - - [{day:02}/{month}/{}:{:02}:{:02}:{:02} +0000] \"GET {request} HTTP/1.1\" {status} 196 \"-\" \"{agent}\"\n",
        if month == "Jan" { 2026 } else { 2025 },
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// The background: 150 addresses sending 1-2 probes each and 40 sending one request with a
/// scanner's user agent, spread over the sample's four weeks.
fn background() -> String {
    let mut out = String::new();
    let browser =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
    for i in 0..NOISE_PROBERS {
        let ip = format!("100.100.1.{}", i + 1);
        let (day, month) = if i % 27 < 24 { (8 + (i % 27) as u32, "Dec") } else { (1 + (i % 3) as u32, "Jan") };
        let secs = (i as u32 * 7919) % 86_000;
        out.push_str(&combined(&ip, day, month, secs, PROBES[i % PROBES.len()], 404, browser));
        if i % 3 == 0 {
            out.push_str(&combined(&ip, day, month, secs + 2, PROBES[(i + 1) % PROBES.len()], 404, browser));
        }
    }
    let agents = ["Mozilla/5.0 zgrab/0.x", "masscan/1.3 (https://github.com/robertdavidgraham/masscan)"];
    for i in 0..NOISE_SCANNERS {
        let ip = format!("100.100.2.{}", i + 1);
        out.push_str(&combined(&ip, 9 + (i % 20) as u32, "Dec", (i as u32 * 4111) % 86_000, "/", 200, agents[i % 2]));
    }
    out
}

/// The sample plus the background, run through `logsleuth run` with `extra` arguments.
fn noisy_case(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&ev, 20261205).unwrap();
    write(&ev, "web01/var/log/apache2/other_vhosts_access.log", background().as_bytes());
    let case = dir.path().join("case");
    let mut args = vec!["run", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    ok(&args);
    (dir, case)
}

fn load(case: &Path) -> (FindingsDoc, IncidentsDoc) {
    let f = FindingsDoc::load(&case.join("findings.json")).unwrap();
    let i = IncidentsDoc::load(&case.join("incidents.json")).unwrap().expect("incidents.json");
    (f, i)
}

/// The planted attackers of the sample (see src/gen/scenario.rs).
const PLANTED: &[&str] =
    &["198.51.100.23", "203.0.113.45", "203.0.113.200", "203.0.113.99", "203.0.113.150", "198.51.100.77"];

#[test]
fn the_intrusion_ranks_first_and_background_folds_into_summaries() {
    let (_d, case) = noisy_case(&[]);
    let (doc, inc) = load(&case);
    // The intrusion is incident #1, told from its findings.
    let first = &inc.incidents[0];
    assert_eq!(first.rank, 1);
    assert_eq!(first.severity, Severity::Critical);
    assert!(first.rules.contains_key("attack_chain") && first.rules.contains_key("success_after_failures"));
    assert!(first.actors.iter().any(|a| a.kind == "ip" && a.value == "198.51.100.23"), "{:?}", first.actors);
    assert!(first.actors.iter().any(|a| a.kind == "user" && a.value == "deploy"));
    assert!(first.hosts.contains(&"db01".to_string()), "lateral movement to db01 is part of it");
    assert!(first.narrative.contains("initial access") && first.narrative.contains("later"), "{}", first.narrative);
    assert!(first.severity_reason.as_deref().unwrap_or("").starts_with("access gained after an attack"));
    assert!(!first.key_evidence.is_empty());

    // Background: one summary per folded rule and host, with every address listed.
    let summaries: Vec<_> = doc.findings.iter().filter(|f| f.rule == "noise_summary").collect();
    let attack = summaries.iter().find(|s| s.details["folded_rule"] == "web_attack").expect("web_attack summary");
    let addresses = attack.details["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), NOISE_PROBERS, "{}", attack.title);
    assert!(attack.title.contains("none answered 2xx"), "{}", attack.title);
    assert!(attack.details["categories"].as_object().is_some_and(|c| c.len() >= 4));
    let scans = summaries.iter().find(|s| s.details["folded_rule"] == "web_scan").expect("web_scan summary");
    assert_eq!(scans.details["addresses"].as_array().unwrap().len(), NOISE_SCANNERS);
    // The folded findings stay, marked, pointing at their summary; per-rule counts don't change.
    let folded: Vec<_> = doc.findings.iter().filter(|f| f.noise).collect();
    assert!(folded.len() >= NOISE_PROBERS + NOISE_SCANNERS);
    assert!(folded.iter().all(|f| summaries.iter().any(|s| Some(&s.id) == f.noise_summary.as_ref())));
    let web_attacks = doc.findings.iter().filter(|f| f.rule == "web_attack").count();
    assert!(web_attacks >= NOISE_PROBERS + 2, "folded findings keep their rule");
    assert!(doc.findings.iter().filter(|f| f.noise).all(|f| f.source_ip.as_deref().unwrap().starts_with("100.100.")));

    // Every planted attacker's incident ranks above every noise summary.
    let noise_rank = inc.incidents.iter().filter(|i| i.noise).map(|i| i.rank).min().expect("noise incidents");
    for ip in PLANTED {
        let ranks: Vec<usize> = doc
            .findings
            .iter()
            .filter(|f| f.source_ip.as_deref() == Some(*ip))
            .filter_map(|f| inc.incidents.iter().find(|i| Some(&i.id) == f.incident.as_ref()))
            .map(|i| i.rank)
            .collect();
        assert!(!ranks.is_empty(), "{ip} is in an incident");
        assert!(ranks.iter().all(|r| *r < noise_rank), "{ip}: ranks {ranks:?}, noise from {noise_rank}");
    }

    // High and critical are few, and each says why.
    let serious: Vec<_> = doc.findings.iter().filter(|f| f.severity >= Severity::High).collect();
    assert!(serious.len() <= 12, "{} high/critical findings", serious.len());
    for f in &serious {
        assert!(f.details.get("severity_reason").and_then(|r| r.as_str()).is_some_and(|r| !r.is_empty()), "{f:?}");
    }
    let real = inc.incidents.iter().filter(|i| !i.noise && i.severity >= Severity::High).count();
    assert!(real <= 3, "{real} high/critical incidents");

    // A folded address can still be found.
    let c = case.to_str().unwrap();
    let out = ok(&["pivot", "--case", c, "--ip", "100.100.1.7"]);
    assert!(out.contains("100.100.1.7"), "{out}");

    // Deterministic: detect again gives the same incidents.
    ok(&["detect", "--case", c, "-q"]);
    let (_, again) = load(&case);
    assert_eq!(serde_json::to_string(&again.incidents).unwrap(), serde_json::to_string(&inc.incidents).unwrap());

    // The report: incidents first, the background summarised with its addresses.
    let html = std::fs::read_to_string(case.join("report/index.html")).unwrap();
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("id=\"incidents\"") < at("id=\"overview\"") && at("id=\"overview\"") < at("id=\"findings\""));
    assert!(at("table class=\"glance\"") < at("id=\"overview\""));
    assert!(html.contains(&logsleuth::report::html_text(&first.title)), "incident #1 on the page");
    assert!(html.contains("100.100.1.150"), "the full address list is in the report");
    first_screen(&case.join("report/index.html"), &first.title);
}

/// The first screen in Chromium at 1280×800: the DOM before the first section heading after
/// the incidents holds the incidents table, and a screenshot is kept for review.
fn first_screen(index: &Path, title: &str) {
    let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let Some(browser) = browser else {
        assert!(
            std::env::var_os("LOGSLEUTH_REQUIRE_BROWSER").is_none(),
            "LOGSLEUTH_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("skipped: chromium not installed (apt-get install chromium; .ci/run installs it)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let shot = profile.path().join("first-screen.png");
    let st = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        .arg(format!("--user-data-dir={}", profile.path().join("p").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,800")
        .arg(format!("file://{}", index.display()))
        .output()
        .expect("run chromium");
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "screenshot: {}", String::from_utf8_lossy(&st.stderr));
    // 1280×800, as asked.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1280);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 800);
    let _ = std::fs::copy(&shot, Path::new(env!("CARGO_TARGET_TMPDIR")).join("first-screen.png"));
    // What fits in 800 px: the head, the navigation and the incidents table come first.
    let html = std::fs::read_to_string(index).unwrap();
    let glance = html.find("table class=\"glance\"").unwrap();
    assert!(html[..glance].matches("<h2").count() == 1, "only the incidents heading comes before the table");
    assert!(html[glance..].find(&logsleuth::report::html_text(title)).is_some());
}

#[test]
fn suppressions_mute_findings_but_keep_them_visible() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suppress.toml");
    std::fs::write(
        &file,
        "[[suppress]]\nip = \"198.51.100.0/24\"\nreason = \"Red-team exercise RT-7, authorised by the CISO\"\n\n\
         [[suppress]]\nrule = \"rare_event\"\nhost = \"WEB01\"\nreason = \"Known noisy host\"\n\n\
         [[suppress]]\nuser = \"nobody-here\"\nreason = \"Service account\"\n",
    )
    .unwrap();
    let (_d, case) = noisy_case(&["--suppress", file.to_str().unwrap()]);
    let (doc, inc) = load(&case);
    // The critical chain is still written, as critical, marked with the entry that muted it.
    let chain = doc.findings.iter().find(|f| f.rule == "attack_chain").expect("chain kept");
    assert_eq!(chain.severity, Severity::Critical);
    let s = chain.suppressed.as_ref().expect("suppressed");
    assert_eq!((s.entry, s.matches.as_str()), (1, "ip 198.51.100.0/24"));
    assert!(chain.incident.is_none(), "a suppressed finding belongs to no incident");
    assert!(inc.incidents.iter().all(|i| !i.finding_ids.contains(&chain.id)));
    // Every entry is listed with what it muted.
    assert_eq!(doc.suppressions.len(), 3);
    assert!(doc.suppressions[0].muted >= 5, "{:?}", doc.suppressions[0]);
    assert!(doc.suppressions[1].muted >= 1);
    assert_eq!(doc.suppressions[2].muted, 0);
    let html = std::fs::read_to_string(case.join("report/index.html")).unwrap();
    assert!(html.contains("Red-team exercise RT-7, authorised by the CISO"));
    assert!(html.contains("table class=\"suppressed\""));
    assert!(html.contains(&logsleuth::report::html_text(&chain.title)), "the suppressed chain stays visible");
    // A suppressed critical does not alert.
    let c = case.to_str().unwrap();
    let out = run(&["detect", "--case", c, "-q", "--suppress", file.to_str().unwrap(), "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // An entry without a reason is refused, naming the file and the entry.
    std::fs::write(&file, "[[suppress]]\nip = \"203.0.113.45\"\n").unwrap();
    let out = run(&["detect", "--case", c, "-q", "--suppress", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("suppress.toml") && err.contains("entry 1: a reason is required"), "{err}");
}

#[test]
fn fail_on_alerts_on_the_period_and_names_the_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&ev, 20261205).unwrap();
    let (e, case) = (ev.to_str().unwrap(), dir.path().join("case"));
    let c = case.to_str().unwrap();
    // The whole case: the intrusion alerts, named on stdout (cron mails it), why on stderr.
    let out = run(&["run", e, "--case", c, "-q", "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("[critical] #1 Attack chain by 198.51.100.23"), "{stdout}");
    assert!(lines[0].contains("| hosts app01, db01, web01 |") && lines[0].contains("ip 198.51.100.23"), "{stdout}");
    assert!(lines.last().unwrap().starts_with("report: "), "the report's path comes after the alerts: {stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fail-on high: 2 incident(s) at or above high"));
    // The last hour of the case holds no high activity: no alert, only the report line.
    let out = run(&["run", e, "--case", c, "-q", "--last", "1h", "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    // The week of the intrusion alerts again.
    let out =
        run(&["run", e, "--case", c, "-q", "--from", "2025-12-29", "--to", "2026-01-01", "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("with activity from 2025-12-29T00:00:00Z"));
}
