//! Suppressions an auditor can read: `--suppress FILE`, a TOML list of what the organisation
//! knows to be harmless (its own scanners and monitoring, service accounts, a rule on one
//! host), each with a required reason. A suppressed finding is still written, marked with the
//! entry that muted it; the report lists every entry and how many findings it muted.
//!
//! ```toml
//! [[suppress]]
//! ip = "192.0.2.0/24"          # an address or a CIDR network
//! reason = "Our vulnerability scanner (ticket SEC-123)"
//!
//! [[suppress]]
//! user = "backup"
//! reason = "Service account; runs rsync over ssh every night"
//!
//! [[suppress]]
//! rule = "web_scan"
//! host = "web01"
//! reason = "Uptime monitor requests /health every minute"
//! ```
//!
//! An entry matches a finding when every field it gives matches (host and user names without
//! regard to case); the first matching entry mutes it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::detect::finding::{Finding, Suppressed, SuppressionUse};
use crate::error::AnalysisError;
use crate::query::cidr::Cidr;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    suppress: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    ip: Option<String>,
    user: Option<String>,
    rule: Option<String>,
    host: Option<String>,
    reason: Option<String>,
}

/// One entry, checked.
#[derive(Debug, Clone)]
pub struct Entry {
    ip: Option<Cidr>,
    ip_text: Option<String>,
    user: Option<String>,
    rule: Option<String>,
    host: Option<String>,
    pub reason: String,
}

impl Entry {
    /// What the entry matches, as the report shows it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(ip) = &self.ip_text {
            parts.push(format!("ip {ip}"));
        }
        if let Some(u) = &self.user {
            parts.push(format!("user {u}"));
        }
        if let Some(r) = &self.rule {
            parts.push(format!("rule {r}"));
        }
        if let Some(h) = &self.host {
            parts.push(format!("host {h}"));
        }
        parts.join(", ")
    }

    fn matches(&self, f: &Finding) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| match want {
            None => true,
            Some(w) => have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)),
        };
        self.ip.is_none_or(|net| f.source_ip.as_deref().is_some_and(|ip| net.contains(ip)))
            && same(&self.user, &f.user_name)
            && same(&self.host, &f.host_name)
            && self.rule.as_deref().is_none_or(|r| r == f.rule)
    }
}

/// A loaded suppression file.
#[derive(Debug, Clone)]
pub struct Suppressions {
    pub file: PathBuf,
    pub entries: Vec<Entry>,
}

impl Suppressions {
    /// Reads and checks `path`: every entry needs a reason and at least one of ip, user, rule,
    /// host; an ip must be an address or a CIDR network; `known_rules` are the loaded rule ids.
    pub fn load(path: &Path, known_rules: &[String]) -> Result<Suppressions, AnalysisError> {
        let err = |msg: String| AnalysisError::Config { path: path.to_path_buf(), msg };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::parse(&text, known_rules).map(|entries| Suppressions { file: path.to_path_buf(), entries }).map_err(err)
    }

    fn parse(text: &str, known_rules: &[String]) -> Result<Vec<Entry>, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for (i, e) in file.suppress.into_iter().enumerate() {
            let n = i + 1;
            let reason = e
                .reason
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| format!("suppression entry {n}: a reason is required"))?;
            if e.ip.is_none() && e.user.is_none() && e.rule.is_none() && e.host.is_none() {
                return Err(format!("suppression entry {n}: give at least one of ip, user, rule, host"));
            }
            let ip = e.ip.as_deref().map(Cidr::parse).transpose().map_err(|m| format!("suppression entry {n}: {m}"))?;
            if let Some(r) = &e.rule {
                if !known_rules.iter().any(|k| k == r) {
                    return Err(format!(
                        "suppression entry {n}: unknown rule {r:?} (rules: {})",
                        known_rules.join(", ")
                    ));
                }
            }
            out.push(Entry { ip, ip_text: e.ip, user: e.user, rule: e.rule, host: e.host, reason });
        }
        Ok(out)
    }

    /// Marks the findings each entry mutes (the first matching entry wins) and says how many.
    pub fn apply(&self, findings: &mut [Finding]) -> Vec<SuppressionUse> {
        let mut muted = vec![0usize; self.entries.len()];
        for f in findings.iter_mut() {
            if let Some((i, e)) = self.entries.iter().enumerate().find(|(_, e)| e.matches(f)) {
                muted[i] += 1;
                f.suppressed = Some(Suppressed { entry: i + 1, matches: e.describe(), reason: e.reason.clone() });
            }
        }
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| SuppressionUse {
                entry: i + 1,
                matches: e.describe(),
                reason: e.reason.clone(),
                file: self.file.display().to_string(),
                muted: muted[i],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::{Draft, Severity};

    fn finding(rule: &'static str, ip: Option<&str>, user: Option<&str>, host: &str) -> Finding {
        let mut d = Draft::new(rule, Severity::High);
        d.source_ip = ip.map(str::to_string);
        d.user_name = user.map(str::to_string);
        d.host_name = Some(host.to_string());
        d.finish()
    }

    #[test]
    fn entries_need_a_reason_and_a_subject() {
        let rules = vec!["web_scan".to_string()];
        assert!(Suppressions::parse("[[suppress]]\nip = \"192.0.2.1\"\n", &rules).unwrap_err().contains("reason"));
        assert!(Suppressions::parse("[[suppress]]\nreason = \"x\"\n", &rules).unwrap_err().contains("at least one"));
        assert!(Suppressions::parse("[[suppress]]\nip = \"300.1.1.1\"\nreason = \"x\"\n", &rules).is_err());
        assert!(Suppressions::parse("[[suppress]]\nrule = \"nosuch\"\nreason = \"x\"\n", &rules)
            .unwrap_err()
            .contains("unknown rule"));
        assert!(Suppressions::parse("[[suppress]]\nadress = \"1.2.3.4\"\nreason = \"x\"\n", &rules).is_err());
    }

    #[test]
    fn first_matching_entry_mutes_and_is_counted() {
        let rules = vec!["web_scan".to_string(), "ssh_bruteforce".to_string()];
        let text = "[[suppress]]\nip = \"192.0.2.0/24\"\nreason = \"our scanner\"\n\n\
                    [[suppress]]\nrule = \"web_scan\"\nhost = \"WEB01\"\nreason = \"monitor\"\n\n\
                    [[suppress]]\nuser = \"backup\"\nreason = \"service account\"\n";
        let s = Suppressions { file: "s.toml".into(), entries: Suppressions::parse(text, &rules).unwrap() };
        let mut f = vec![
            finding("ssh_bruteforce", Some("192.0.2.77"), None, "web01"),
            finding("web_scan", Some("198.51.100.1"), None, "web01"),
            finding("web_scan", Some("198.51.100.1"), None, "db01"),
            finding("ssh_bruteforce", None, Some("backup"), "db01"),
        ];
        let used = s.apply(&mut f);
        assert_eq!(used.iter().map(|u| u.muted).collect::<Vec<_>>(), [1, 1, 1]);
        assert_eq!(f[0].suppressed.as_ref().unwrap().matches, "ip 192.0.2.0/24");
        assert_eq!(f[1].suppressed.as_ref().unwrap().reason, "monitor");
        assert!(f[2].suppressed.is_none(), "another host");
        assert_eq!(f[3].suppressed.as_ref().unwrap().entry, 3);
    }
}
