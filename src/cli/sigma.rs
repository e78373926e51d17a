//! `logsleuth sigma check PATH…`: loads and compiles Sigma rules without a case and says of
//! each whether it compiled or why it was skipped.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{exit, Exit, TextOrJson};
use crate::detect::sigma::{mapping::Mapping, RuleStatus, SigmaSet};
use crate::sanitize;

#[derive(Debug, Args)]
pub struct SigmaArgs {
    #[command(subcommand)]
    pub command: SigmaCommand,
}

#[derive(Debug, Subcommand)]
pub enum SigmaCommand {
    /// Load and compile Sigma rules (files, or folders searched recursively) and list each as
    /// compiled or skipped, with the reason; then counts by reason and by logsource.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Sigma rule files or folders.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Field and logsource mapping replacing the built-in queries/sigma_mapping.toml.
    #[arg(long, value_name = "FILE")]
    pub sigma_mapping: Option<PathBuf>,
    /// `text` for a person, `json` for a program: {"rules": [{"path", "id", "title", "status",
    /// "reason", …}], "summary": {…}}.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextOrJson,
}

pub fn run(args: SigmaArgs) -> Result<i32, Exit> {
    match args.command {
        SigmaCommand::Check(a) => check(a),
    }
}

fn check(args: CheckArgs) -> Result<i32, Exit> {
    let mapping =
        Mapping::load(args.sigma_mapping.as_deref()).map_err(|e| Exit { code: exit::USAGE, error: e.into() })?;
    let set = SigmaSet::load(&args.paths, &mapping).map_err(|e| Exit { code: exit::USAGE, error: e.into() })?;
    let u = &set.usage;
    if args.format == TextOrJson::Json {
        let doc = serde_json::json!({
            "rules": u.rules,
            "summary": {
                "files": u.files.len(),
                "compiled": u.compiled,
                "skipped": u.skipped,
                "skipped_by_reason": u.skipped_by_reason,
                "by_logsource": u.by_logsource.iter().map(|(k, (c, s))| (k.clone(), serde_json::json!({"compiled": c, "skipped": s}))).collect::<serde_json::Map<_, _>>(),
                "mapping": u.mapping,
            }
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return Ok(exit::OK);
    }
    for r in &u.rules {
        print_rule(r);
    }
    println!(
        "{} rule(s) in {} file(s): {} compiled, {} skipped (mapping: {})",
        u.rules.len(),
        u.files.len(),
        u.compiled,
        u.skipped,
        sanitize::terminal(&u.mapping)
    );
    for (kind, n) in &u.skipped_by_reason {
        println!("  skipped, {kind}: {n}");
    }
    println!("  by logsource (compiled / skipped):");
    for (ls, (c, s)) in &u.by_logsource {
        println!("    {:<48} {c:>4} / {s}", sanitize::terminal(ls));
    }
    Ok(exit::OK)
}

fn print_rule(r: &RuleStatus) {
    let what = format!("{} {}", r.path, if r.title.is_empty() { "(untitled)" } else { &r.title });
    match &r.reason {
        None => println!("compiled  {}", sanitize::terminal(&what)),
        Some(why) => println!("skipped   {}: {}", sanitize::terminal(&what), sanitize::terminal(why)),
    }
}
