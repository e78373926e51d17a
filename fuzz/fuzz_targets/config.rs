//! The `--config` TOML on arbitrary text, over the defaults of every built-in SQL rule plus a
//! rule with one parameter of each kind: never a panic; an accepted file's values are in range,
//! and the configuration it gives prints (`detect --print-config`) as a file that reads back to
//! the same configuration.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::detect::config::{Config, Param, Value};
use logsleuth_fuzz::detect::rule_file::{SqlRule, BUILTIN};

fn defaults() -> Config {
    DEFAULTS.clone()
}

/// The defaults, built once.
static DEFAULTS: LazyLock<Config> = LazyLock::new(|| {
    let sql: Vec<SqlRule> = BUILTIN.iter().map(|(n, t)| SqlRule::parse(n, t).expect("built-in")).collect();
    let mut decls = SqlRule::declarations(&sql);
    decls.push((
        "kinds".into(),
        "Every kind: {ratio}, {label}, {names}, {min_count}.".into(),
        vec![
            Param::new("ratio", Value::Float(0.5), "a float"),
            Param::new("label", Value::Str("x".into()), "a string"),
            Param::new("names", Value::List(vec!["root".into()]), "a list"),
            Param::new("min_count", Value::Int(3), "a count"),
        ],
    ));
    Config::defaults(&decls)
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = defaults().apply(text) else { return };
    let printed = config.to_toml();
    let again = defaults().apply(&printed).unwrap_or_else(|e| panic!("the printed config reads back: {e}\n{printed}"));
    assert_eq!(again.to_toml(), printed, "and gives the same configuration");
    for rule in ["kinds", "ssh_bruteforce"] {
        for (name, value) in config.params(rule) {
            match value {
                Value::Int(i) => assert!(i >= 0, "{rule}.{name} = {i}"),
                Value::Float(f) => assert!(f.is_finite() && f >= 0.0, "{rule}.{name} = {f}"),
                _ => {}
            }
        }
    }
});
