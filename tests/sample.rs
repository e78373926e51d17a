//! The bundled sample (`datasets/sample`): the committed files are exactly what the generator
//! writes, and the whole tree ingests with the expected provenance, damage and duplicates.

use crate::common::*;

fn generate(dir: &std::path::Path) -> Vec<String> {
    logsleuth::gen::scenario::write_sample(dir, 20261205).unwrap()
}

#[test]
fn committed_sample_matches_the_generator() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let files = generate(&out);
    let committed = project_dir().join("datasets/sample");
    for f in &files {
        let a = std::fs::read(out.join(f)).unwrap();
        let b = std::fs::read(committed.join(f))
            .unwrap_or_else(|_| panic!("datasets/sample/{f} is missing: run `make dataset`"));
        assert!(a == b, "datasets/sample/{f} differs from the generator output: run `make dataset`");
    }
    let again = dir.path().join("again");
    generate(&again);
    for f in &files {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} is not deterministic"
        );
    }
}

#[test]
fn sample_ingests_with_provenance_damage_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("sample");
    let files = generate(&ev);
    let case = dir.path().join("case");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(out.contains("1 duplicate"), "{out}");
    assert_invariant(&case);
    let m = manifest(&case);
    assert_eq!(m.inputs.len(), files.len());
    let r = input(&m, "web01/var/log/apache2/access.log.3.gz");
    assert!(r.damaged && r.events > 0, "truncated archive: damaged but its good lines kept");
    assert_eq!(
        input(&m, "web01/home/deploy/backup/access.log.1").duplicate_of.as_deref(),
        Some("web01/var/log/apache2/access.log.1")
    );
    assert_eq!(input(&m, "web01/var/log/mail.log").size, 0);
    let gw = input(&m, "gw01/var/log/remote/gw01.log.1");
    assert_eq!(
        (gw.compression.as_deref(), gw.format.as_deref()),
        (Some("gzip"), Some("rfc5424")),
        "gzip found by magic bytes"
    );
    assert_eq!(input(&m, "db01/var/log/secure-20251215.xz").compression.as_deref(), Some("xz"));
    assert_eq!(input(&m, "db01/var/log/messages-20251215.zst").compression.as_deref(), Some("zstd"));
    assert_eq!(input(&m, "db01/var/log/messages-20251222.bz2").compression.as_deref(), Some("bzip2"));
    assert_eq!(input(&m, "web01/var/log/auth.log.3.gz").rotation_index, Some(3));
    assert_eq!(input(&m, "db01/var/log/secure-20251215.xz").rotation_index, Some(3));
    assert_eq!(input(&m, "db01/var/log/secure").rotation_index, Some(0));
    // The live auth.log spans New Year: December lines in 2025, January lines in 2026.
    let df = sql(
        &case,
        "SELECT MIN(timestamp) AS a, MAX(timestamp) AS b FROM events WHERE log_file_path = 'web01/var/log/auth.log'",
    );
    assert!(strings(&df, "a")[0].as_deref().unwrap().starts_with("2025-12-29"));
    assert!(strings(&df, "b")[0].as_deref().unwrap().starts_with("2026-01-04"));
    // Every source kind is present.
    let df = sql(&case, "SELECT DISTINCT event_module FROM events ORDER BY event_module");
    assert_eq!(
        strings(&df, "event_module").into_iter().flatten().collect::<Vec<_>>(),
        ["apache_access", "audit", "auth", "csv", "firewall", "json", "syslog"]
    );
    // Today's Linux evidence: app01's journal (an export stream) and db01's ENRICHED audit log.
    let j = input(&m, "app01/var/log/journal.export");
    assert_eq!(j.format.as_deref(), Some("journal_export"));
    assert_eq!((j.rejects, j.lines), (0, j.events), "one event per journal entry");
    let a = input(&m, "db01/var/log/audit/audit.log");
    assert_eq!(a.format.as_deref(), Some("audit"));
    assert_eq!(a.rejects, 0);
    assert_eq!(a.lines, a.events + a.continued);
    assert_eq!(
        count(&case, "SELECT COUNT(*) FROM events WHERE host_name = 'app01' AND event_action = 'auth.failure' AND source_ip = '198.51.100.23'"),
        16,
        "8 tries for deploy, each logged by sshd and PAM"
    );
    // The intrusion is in there with its meaning extracted.
    let n = count(&case, "SELECT COUNT(*) FROM events WHERE event_action = 'auth.success' AND source_ip = '198.51.100.23' AND user_name = 'deploy'");
    assert_eq!(n, 1);
    let n = count(
        &case,
        "SELECT COUNT(*) FROM events WHERE event_action = 'account.create' AND user_target_name = 'backdoor'",
    );
    assert_eq!(n, 1);
}
