//! An incident told in one paragraph, from its findings in time order: who, what, on which
//! host, when, and how long after the step before. An attack chain's steps, which also name
//! the events between findings (the download, the login elsewhere), tell it when there is one.

use crate::detect::finding::Finding;
use crate::parse::time::parse_rfc3339_utc;

use super::incidents::Actor;

/// `2025-12-30 02:38:29` (UTC).
fn clock(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replace('T', " ")
}

/// How long after: `84 s`, `12 min`, `3 h`, `2 d`.
pub fn after(micros: i64) -> String {
    let s = micros.max(0) / 1_000_000;
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", s / 60)
    } else if s < 2 * 86_400 {
        format!("{} h", s / 3600)
    } else {
        format!("{} d", s / 86_400)
    }
}

fn detail<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.details.get(key).and_then(|v| v.as_str())
}

/// What one finding says its actor did.
fn phrase(f: &Finding) -> String {
    let host = f.host_name.as_deref().unwrap_or("?");
    let user = f.user_name.as_deref().unwrap_or("?");
    let (a, b) = (parse_rfc3339_utc(&f.first_seen).unwrap_or(0), parse_rfc3339_utc(&f.last_seen).unwrap_or(0));
    match f.rule.as_str() {
        "ssh_bruteforce" | "ssh_bruteforce_slow" | "ssh_bruteforce_distributed" => {
            format!("brute-forced ssh on {host} ({} attempts in {})", f.count, after(b - a))
        }
        "password_spraying" => format!("sprayed passwords at {host} ({} attempts)", f.count),
        "success_after_failures" => format!("logged in as {user} on {host} at {}", clock(&f.last_seen)),
        "account_change" => {
            format!("changed account {user} on {host} ({})", detail(f, "actions").unwrap_or("account change"))
        }
        "sudo_activity" => match detail(f, "example_command") {
            Some(c) => format!("ran sudo as {user} on {host} (`{c}`)"),
            None => format!("failed sudo as {user} on {host} ({} times)", f.count),
        },
        "web_attack" => {
            format!(
                "sent {} attack request(s) to {host} ({})",
                f.count,
                detail(f, "categories").unwrap_or("web attacks")
            )
        }
        "web_scan" => format!("scanned web paths on {host} ({} requests)", f.count),
        "cross_source" => format!("was seen in {}", detail(f, "sources").unwrap_or("several sources")),
        _ => {
            let mut t = f.title.clone();
            if let Some(c) = t.get(..1) {
                t.replace_range(..1, &c.to_lowercase());
            }
            t
        }
    }
}

/// The paragraph.
pub fn tell(fs: &[&Finding], actors: &[Actor]) -> String {
    let who = actors.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().join(" / ");
    if let Some(chain) = fs.iter().find(|f| f.rule == "attack_chain") {
        if let Some(steps) = chain.details.get("steps").and_then(|s| s.as_array()) {
            let mut parts = Vec::new();
            let mut prev: Option<i64> = None;
            for s in steps {
                let time = s["time"].as_str().unwrap_or("");
                let t = parse_rfc3339_utc(time).unwrap_or(0);
                let what = s["what"].as_str().unwrap_or("");
                let step = s["step"].as_str().unwrap_or("");
                parts.push(match prev {
                    None => format!("at {} {step}: {what}", clock(time)),
                    Some(p) => format!("{} later {step}: {what}", after(t - p)),
                });
                prev = Some(t);
            }
            return format!("{who}: {}.", parts.join("; "));
        }
    }
    let mut parts = Vec::new();
    let mut prev: Option<i64> = None;
    for f in fs {
        let t = parse_rfc3339_utc(&f.first_seen).unwrap_or(0);
        parts.push(match prev {
            None => format!("{} at {}", phrase(f), clock(&f.first_seen)),
            Some(p) => format!("{} later {}", after(t - p), phrase(f)),
        });
        prev = Some(t);
    }
    format!("{who} {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::{Draft, Severity};

    #[test]
    fn findings_become_one_sentence_in_time_order() {
        let mut bf = Draft::new("ssh_bruteforce", Severity::Medium);
        bf.host_name = Some("web01".into());
        bf.count = 60;
        bf.add(1_000_000_000_000, "a", 1);
        bf.add(1_000_000_000_000 + 24 * 60_000_000, "a", 2);
        let mut ok = Draft::new("success_after_failures", Severity::High);
        ok.host_name = Some("web01".into());
        ok.user_name = Some("deploy".into());
        ok.add(1_000_000_000_000 + 25 * 60_000_000, "a", 3);
        let (bf, ok) = (bf.finish(), ok.finish());
        let who = [Actor { kind: "ip".into(), value: "203.0.113.45".into() }];
        assert_eq!(
            tell(&[&bf, &ok], &who),
            "203.0.113.45 brute-forced ssh on web01 (60 attempts in 24 min) at 1970-01-12 13:46:40, \
             25 min later logged in as deploy on web01 at 1970-01-12 14:11:40."
        );
        assert_eq!(after(84_000_000), "84 s");
    }
}
