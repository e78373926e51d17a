//! A tiny HTML writer: markup we write is pushed as is, anything else goes through
//! [`Html::text`], which escapes `& < > " '`. Log content only ever enters through `text`, so a
//! log line can never become markup, an attribute or a script.

use crate::sanitize;

#[derive(Default)]
pub struct Html {
    pub buf: String,
}

impl Html {
    /// Our own markup (never log content).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.buf.push_str(s);
        self
    }
    /// Text from anywhere, escaped; control characters shown as escapes.
    pub fn text(&mut self, s: &str) -> &mut Self {
        let t = sanitize::terminal(s);
        self.buf.push_str(&sanitize::html(&t));
        self
    }
    pub fn el(&mut self, tag: &str, class: &str, text: &str) -> &mut Self {
        if class.is_empty() {
            self.raw(&format!("<{tag}>"));
        } else {
            self.raw(&format!("<{tag} class=\"{class}\">"));
        }
        self.text(text).raw(&format!("</{tag}>"))
    }
    /// A table: header cells, then rows of text cells (all escaped).
    pub fn table(&mut self, class: &str, head: &[&str], rows: &[Vec<String>]) -> &mut Self {
        self.raw(&format!("<table class=\"{class}\"><thead><tr>"));
        for h in head {
            self.el("th", "", h);
        }
        self.raw("</tr></thead><tbody>");
        for r in rows {
            self.raw("<tr>");
            for c in r {
                self.el("td", "", c);
            }
            self.raw("</tr>");
        }
        self.raw("</tbody></table>")
    }
}

pub const CSS: &str = r#"
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
h3{margin:22px 0 6px;font-size:17px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px;background:#fff}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#f0f0f3}
.meta{color:#555;font-size:13px}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.critical{background:#7b1fa2}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#607d8b}
.finding{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;margin:12px 0}
.evidence td:first-child{white-space:nowrap;font-family:monospace}.evidence td{font-family:monospace;font-size:12px}
.why{font-size:13px;color:#333}
.incident{background:#fff;border:1px solid #d0d0d8;border-left:6px solid #999;border-radius:6px;padding:8px 14px;margin:12px 0;color:#1d1d1f}
.incident.critical,.incident.high,.incident.medium,.incident.low{background:#fff}
.incident.critical{border-left-color:#7b1fa2}.incident.high{border-left-color:#c62828}.incident.medium{border-left-color:#ef6c00}.incident.low{border-left-color:#607d8b}
table.glance td:nth-child(3){font-weight:600}
table.glance td:not(:nth-child(3)),table.glance th{white-space:nowrap;word-break:normal}
.narrative{font-size:14px;line-height:1.45}
.strip{position:relative;height:14px;background:#eee;border-radius:3px;margin:6px 0 8px}
.strip span{position:absolute;top:2px;height:10px;border-radius:2px;opacity:.85}
details.group>summary{font-weight:600;margin:10px 0;cursor:pointer}
details.rule{margin-left:16px}
figure{margin:12px 0}figcaption{margin-top:2px}
img{max-width:100%;border:1px solid #e0e0e0;background:#fff;margin:6px 0}
.up{color:#c62828}.down{color:#2e7d32}
nav a{margin-right:12px}
"#;
