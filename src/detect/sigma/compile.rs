//! A Sigma detection compiled to one polars expression over the case's columns, so that one
//! lazy pass over the events (with projection and predicate pushdown) evaluates many rules.
//!
//! Matching follows the specification: case-insensitive unless `cased` (both sides lower-cased;
//! each column is lower-cased once per pass, see [`Registry`]), `*` and `?` wildcards with `\`
//! escapes, lists OR-ed unless `all`, keywords searched anywhere in the logsource's keyword
//! column, and an absent (null) field never matching a value, so that `not filter` holds for it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use polars::prelude::*;

use super::condition::{self, Cond};
use super::mapping::{Entry, Mapping, Source};
use super::rule::{Detection, Item, Modifier, Value};
use super::Skip;

/// The sources (mapped fields) of every compiled rule, each computed once per pass as
/// `__s{i}` and, when a case-insensitive match needs it, lower-cased as `__l{i}`.
#[derive(Debug, Default)]
pub struct Registry {
    pub sources: Vec<Source>,
    index: HashMap<Source, usize>,
}

impl Registry {
    pub fn id(&mut self, s: &Source) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.sources.push(s.clone());
        self.index.insert(s.clone(), self.sources.len() - 1);
        self.sources.len() - 1
    }
    pub fn raw_name(i: usize) -> String {
        format!("__s{i}")
    }
    pub fn lower_name(i: usize) -> String {
        format!("__l{i}")
    }
    /// Source `i` computed into its pass column.
    pub fn raw_expr(&self, i: usize) -> Expr {
        self.sources[i].expr().alias(Self::raw_name(i))
    }
    /// The lower-cased copy of source `i`'s pass column.
    pub fn lower_expr(i: usize) -> Expr {
        col(Self::raw_name(i)).cast(DataType::String).str().to_lowercase().alias(Self::lower_name(i))
    }
}

/// What an event must contain for a rule to match it, derived from its condition: at least one
/// of some lower-cased literals in a lower-cased source (by source id), all of several such
/// needs, or one of them; `Any` when nothing is known. A pass first keeps the events that hold a
/// needed literal (one Aho-Corasick scan per source for all its rules), then runs the rules on
/// those alone; since a need is necessary for a match, the narrowing never loses one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    Any,
    Lits(BTreeSet<(usize, String)>),
    /// Every part is necessary (so any one of them alone is too).
    All(Vec<Need>),
    /// One of the parts is.
    OneOf(Vec<Need>),
}

impl Need {
    fn and(parts: Vec<Need>) -> Need {
        let mut parts: Vec<Need> = parts.into_iter().filter(|p| *p != Need::Any).collect();
        match parts.len() {
            0 => Need::Any,
            1 => parts.remove(0),
            _ => Need::All(parts),
        }
    }
    fn or(parts: Vec<Need>) -> Need {
        if parts.is_empty() || parts.contains(&Need::Any) {
            return Need::Any;
        }
        let mut parts = parts;
        if parts.len() == 1 {
            return parts.remove(0);
        }
        Need::OneOf(parts)
    }

    /// Every literal the need may use.
    pub fn literals(&self, out: &mut BTreeSet<(usize, String)>) {
        match self {
            Need::Any => {}
            Need::Lits(l) => out.extend(l.iter().cloned()),
            Need::All(p) | Need::OneOf(p) => p.iter().for_each(|x| x.literals(out)),
        }
    }

    /// The cheapest literal set that is necessary, given how often each literal occurs (`rate`,
    /// a share of a sample of events): with its estimated share of events, or `None` for `Any`.
    pub fn resolve(&self, rate: &dyn Fn(&(usize, String)) -> f64) -> Option<(f64, BTreeSet<(usize, String)>)> {
        match self {
            Need::Any => None,
            Need::Lits(l) => Some((l.iter().map(rate).sum(), l.clone())),
            Need::All(parts) => parts
                .iter()
                .filter_map(|p| p.resolve(rate))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.len().cmp(&b.1.len()))),
            Need::OneOf(parts) => {
                let mut total = 0.0;
                let mut out = BTreeSet::new();
                for p in parts {
                    let (r, l) = p.resolve(rate)?;
                    total += r;
                    out.extend(l);
                }
                Some((total, out))
            }
        }
    }
}

/// What a compiled rule reads: source ids, raw and lower-cased.
#[derive(Debug, Default, Clone)]
pub struct Uses {
    pub raw: BTreeSet<usize>,
    pub lower: BTreeSet<usize>,
}

struct Ctx<'a> {
    mapping: &'a Mapping,
    entry: &'a Entry,
    reg: &'a mut Registry,
    uses: Uses,
    /// The need of the item compiled last.
    need: Need,
}

impl Ctx<'_> {
    fn source(&self, item: &Item) -> Result<Source, Skip> {
        match &item.field {
            Some(f) => self.mapping.field(self.entry, f).ok_or_else(|| Skip::Field(f.clone())),
            None => match &self.entry.keywords {
                Some(c) => Ok(Source::Column(c.clone())),
                None => Err(Skip::Field(format!("keywords (logsource '{}' has no keyword column)", self.entry.name))),
            },
        }
    }
    fn raw(&mut self, s: &Source) -> Expr {
        let i = self.reg.id(s);
        self.uses.raw.insert(i);
        col(Registry::raw_name(i))
    }
    /// Registers the source with its lower-cased copy; its id.
    fn lower_id(&mut self, s: &Source) -> usize {
        let i = self.reg.id(s);
        self.uses.raw.insert(i);
        self.uses.lower.insert(i);
        i
    }
    fn lower(&mut self, s: &Source) -> Expr {
        col(Registry::lower_name(self.lower_id(s)))
    }
}

/// A compiled detection: its expression, what it reads, and what a matching event contains.
#[derive(Debug)]
pub struct CompiledDetection {
    pub expr: Expr,
    pub uses: Uses,
    pub need: Need,
}

/// Compiles a detection against the mapping.
pub fn detection(
    det: &Detection,
    entry: &Entry,
    mapping: &Mapping,
    reg: &mut Registry,
) -> Result<CompiledDetection, Skip> {
    let mut cx = Ctx { mapping, entry, reg, uses: Uses::default(), need: Need::Any };
    let mut searches: BTreeMap<String, Expr> = BTreeMap::new();
    let mut needs: BTreeMap<String, Need> = BTreeMap::new();
    for (name, maps) in &det.searches {
        let mut any: Option<Expr> = None;
        let mut any_need = Vec::new();
        for map in maps {
            let mut all: Option<Expr> = None;
            let mut all_need = Vec::new();
            for item in map {
                cx.need = Need::Any;
                let e = item_expr(&mut cx, item)?.fill_null(lit(false));
                all_need.push(std::mem::replace(&mut cx.need, Need::Any));
                all = Some(match all {
                    Some(a) => a.and(e),
                    None => e,
                });
            }
            any_need.push(Need::and(all_need));
            let e = all.unwrap_or(lit(true));
            any = Some(match any {
                Some(a) => a.or(e),
                None => e,
            });
        }
        searches.insert(name.clone(), any.unwrap_or(lit(false)));
        needs.insert(name.clone(), Need::or(any_need));
    }
    let mut out: Option<Expr> = None;
    let mut out_need = Vec::new();
    for c in &det.conditions {
        let e = cond_expr(c, &searches)?;
        out_need.push(cond_need(c, &needs));
        out = Some(match out {
            Some(o) => o.or(e),
            None => e,
        });
    }
    Ok(CompiledDetection { expr: out.unwrap_or(lit(false)), uses: cx.uses, need: Need::or(out_need) })
}

/// What a condition needs of an event, from what its searches need.
fn cond_need(c: &Cond, needs: &BTreeMap<String, Need>) -> Need {
    match c {
        Cond::Ref(r) => needs.get(r).cloned().unwrap_or(Need::Any),
        Cond::Not(_) => Need::Any,
        Cond::And(xs) => Need::and(xs.iter().map(|x| cond_need(x, needs)).collect()),
        Cond::Or(xs) => Need::or(xs.iter().map(|x| cond_need(x, needs)).collect()),
        Cond::Of { count, pattern } => {
            let parts: Vec<Need> =
                condition::members(pattern.as_deref(), needs).iter().map(|n| needs[*n].clone()).collect();
            if count.is_none() {
                Need::and(parts)
            } else {
                Need::or(parts)
            }
        }
    }
}

fn cond_expr(c: &Cond, searches: &BTreeMap<String, Expr>) -> Result<Expr, Skip> {
    Ok(match c {
        Cond::Ref(r) => searches.get(r).cloned().ok_or_else(|| Skip::Condition(format!("'{r}' is not defined")))?,
        Cond::Not(x) => cond_expr(x, searches)?.not(),
        Cond::And(xs) => {
            xs.iter().map(|x| cond_expr(x, searches)).reduce(|a, b| Ok(a?.and(b?))).unwrap_or(Ok(lit(true)))?
        }
        Cond::Or(xs) => {
            xs.iter().map(|x| cond_expr(x, searches)).reduce(|a, b| Ok(a?.or(b?))).unwrap_or(Ok(lit(false)))?
        }
        Cond::Of { count, pattern } => {
            let names = condition::members(pattern.as_deref(), searches);
            let exprs: Vec<Expr> = names.iter().map(|n| searches[*n].clone()).collect();
            if exprs.is_empty() {
                return Err(Skip::Condition(format!(
                    "'of {}' matches no search",
                    pattern.as_deref().unwrap_or("them")
                )));
            }
            match count {
                None => exprs.into_iter().reduce(|a, b| a.and(b)).unwrap_or(lit(true)),
                Some(1) => exprs.into_iter().reduce(|a, b| a.or(b)).unwrap_or(lit(false)),
                Some(n) => {
                    // At least n of them: their sum as integers.
                    let sum =
                        exprs.into_iter().map(|e| e.cast(DataType::Int32)).reduce(|a, b| a + b).unwrap_or(lit(0i32));
                    sum.gt_eq(lit(*n as i32))
                }
            }
        }
    })
}

/// One search value after the transforming modifiers: a pattern with wildcards, or a literal
/// (base64 output, whose `*` and `?` are data).
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(String),
    Star,
    One,
}

/// Splits a Sigma string into literal text and wildcards, following the specification's
/// escaping: `\*` and `\?` are plain, `\\` is one backslash, any other `\` is itself.
pub fn pieces(s: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut text = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if matches!(chars.get(i + 1), Some('*' | '?')) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            '\\' if chars.get(i + 1) == Some(&'\\') => {
                text.push('\\');
                i += 2;
            }
            '*' | '?' => {
                if !text.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut text)));
                }
                out.push(if chars[i] == '*' { Piece::Star } else { Piece::One });
                i += 1;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Lit(text));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    Contains,
    Starts,
    Ends,
}

/// The windash permutations of a value: every `-`, `/`, en dash, em dash and horizontal bar as
/// each of the others.
fn windash(v: &str) -> Result<Vec<String>, Skip> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let n = v.chars().filter(|c| DASHES.contains(c)).count();
    if n > 5 {
        return Err(Skip::Modifier(format!("windash over {n} dashes ({} variants)", 5usize.pow(n as u32))));
    }
    let mut out = vec![String::new()];
    for c in v.chars() {
        if DASHES.contains(&c) {
            out = out.into_iter().flat_map(|p| DASHES.iter().map(move |d| format!("{p}{d}"))).collect();
        } else {
            for p in &mut out {
                p.push(c);
            }
        }
    }
    Ok(out)
}

/// The three base64 forms of `bytes` at offsets 0, 1 and 2 of an encoded stream, cut to the
/// characters that do not depend on the neighbours (as pySigma's `base64offset`).
fn base64offset(bytes: &[u8]) -> Vec<String> {
    let e = base64::engine::general_purpose::STANDARD;
    let start = [0usize, 2, 3];
    let end_cut = [0usize, 3, 2];
    (0..3)
        .map(|i| {
            let mut buf = vec![b' '; i];
            buf.extend_from_slice(bytes);
            let enc = e.encode(&buf);
            let cut = end_cut[(bytes.len() + i) % 3];
            enc[start[i]..enc.len().saturating_sub(cut).max(start[i])].to_string()
        })
        .collect()
}

fn utf16(s: &str, m: Modifier) -> Vec<u8> {
    let mut out = Vec::new();
    if m == Modifier::Utf16 {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for u in s.encode_utf16() {
        let b = if m == Modifier::Utf16Be { u.to_be_bytes() } else { u.to_le_bytes() };
        out.extend_from_slice(&b);
    }
    out
}

/// Applies the transforming modifiers in order: each value becomes one or more patterns.
fn transform(item: &Item, values: Vec<String>) -> Result<Vec<Vec<Piece>>, Skip> {
    // Values as bytes until a base64 step turns them into literal text.
    enum V {
        Text(String),
        Bytes(Vec<u8>),
        Lit(String),
    }
    let mut vs: Vec<V> = values.into_iter().map(V::Text).collect();
    for m in &item.modifiers {
        vs = match m {
            Modifier::Windash => {
                let mut out = Vec::new();
                for v in vs {
                    match v {
                        V::Text(t) => out.extend(windash(&t)?.into_iter().map(V::Text)),
                        _ => return Err(Skip::Modifier("windash after an encoding".into())),
                    }
                }
                out
            }
            Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16 => vs
                .into_iter()
                .map(|v| match v {
                    V::Text(t) => Ok(V::Bytes(utf16(&t, *m))),
                    _ => Err(Skip::Modifier("utf16 after an encoding".into())),
                })
                .collect::<Result<_, _>>()?,
            Modifier::Base64 | Modifier::Base64Offset => {
                let mut out = Vec::new();
                for v in vs {
                    let bytes = match v {
                        V::Text(t) => t.into_bytes(),
                        V::Bytes(b) => b,
                        V::Lit(_) => return Err(Skip::Modifier("base64 twice".into())),
                    };
                    if *m == Modifier::Base64 {
                        out.push(V::Lit(base64::engine::general_purpose::STANDARD.encode(bytes)));
                    } else {
                        out.extend(base64offset(&bytes).into_iter().map(V::Lit));
                    }
                }
                out
            }
            _ => vs,
        };
    }
    vs.into_iter()
        .map(|v| match v {
            V::Text(t) => Ok(pieces(&t)),
            V::Lit(l) => Ok(vec![Piece::Lit(l)]),
            V::Bytes(_) => Err(Skip::Modifier("utf16 without base64: the case holds text, not UTF-16 bytes".into())),
        })
        .collect()
}

fn lowered(p: &[Piece]) -> Vec<Piece> {
    p.iter()
        .map(|x| match x {
            Piece::Lit(s) => Piece::Lit(s.to_lowercase()),
            other => other.clone(),
        })
        .collect()
}

fn regex_of(p: &[Piece], mode: Mode) -> String {
    let mut r = String::new();
    if matches!(mode, Mode::Exact | Mode::Starts) {
        r.push('^');
    }
    for x in p {
        match x {
            Piece::Lit(s) => r.push_str(&regex::escape(s)),
            Piece::Star => r.push_str(".*"),
            Piece::One => r.push('.'),
        }
    }
    if matches!(mode, Mode::Exact | Mode::Ends) {
        r.push('$');
    }
    r
}

fn literal(p: &[Piece]) -> Option<String> {
    match p {
        [] => Some(String::new()),
        [Piece::Lit(s)] => Some(s.clone()),
        _ => None,
    }
}

/// OR of patterns (or AND with `all`) over a text expression.
fn match_patterns(target: Expr, patterns: &[Vec<Piece>], mode: Mode, all: bool) -> Expr {
    let one = |p: &Vec<Piece>| -> Expr {
        match (literal(p), mode) {
            (Some(s), Mode::Exact) => target.clone().eq(lit(s)),
            (Some(s), Mode::Contains) => target.clone().str().contains_literal(lit(s)),
            (Some(s), Mode::Starts) => target.clone().str().starts_with(lit(s)),
            (Some(s), Mode::Ends) => target.clone().str().ends_with(lit(s)),
            (None, _) => target.clone().str().contains(lit(format!("(?s){}", regex_of(p, mode))), false),
        }
    };
    if all || patterns.len() == 1 {
        let exprs = patterns.iter().map(one);
        return if all { exprs.reduce(|a, b| a.and(b)) } else { exprs.reduce(|a, b| a.or(b)) }.unwrap_or(lit(false));
    }
    // Several alternatives: literals for exact matches as one set lookup, everything else as
    // one regular expression (an alternation of literals runs as one Aho-Corasick scan).
    let mut exprs = Vec::new();
    let exact: Vec<String> =
        if mode == Mode::Exact { patterns.iter().filter_map(|p| literal(p)).collect() } else { Vec::new() };
    if !exact.is_empty() {
        exprs.push(crate::query::one_of(target.clone(), exact.iter().map(String::as_str)));
    }
    let rest: Vec<String> =
        patterns.iter().filter(|p| mode != Mode::Exact || literal(p).is_none()).map(|p| regex_of(p, mode)).collect();
    if !rest.is_empty() {
        exprs.push(target.str().contains(lit(format!("(?s)(?:{})", rest.join("|"))), false));
    }
    exprs.into_iter().reduce(|a, b| a.or(b)).unwrap_or(lit(false))
}

/// Checks a regular expression the way polars will run it (Rust `regex` syntax).
pub fn check_regex(r: &str) -> Result<(), Skip> {
    regex::Regex::new(r).map(drop).map_err(|e| {
        let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
        Skip::Value(format!("invalid regular expression {r:?}: {first}"))
    })
}

fn texts(item: &Item) -> Result<Vec<String>, Skip> {
    item.values.iter().map(|v| v.text().ok_or_else(|| Skip::Value("null mixed with other values".into()))).collect()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The literals an item's patterns need: each pattern's longest literal piece, lower-cased (for
/// `all`, the longest one of all the patterns); `Any` when a pattern has no literal part.
fn literal_need(cx: &mut Ctx<'_>, source: &Source, patterns: &[Vec<Piece>], all: bool) -> Need {
    let longest = |p: &Vec<Piece>| -> Option<String> {
        p.iter()
            .filter_map(|x| match x {
                Piece::Lit(s) if !s.is_empty() => Some(s.to_lowercase()),
                _ => None,
            })
            .max_by_key(|s| s.chars().count())
    };
    let lits: Option<Vec<String>> = patterns.iter().map(longest).collect();
    let Some(mut lits) = lits.filter(|l| !l.is_empty()) else { return Need::Any };
    // Only ASCII lower-cases one character at a time (Unicode has context: a final sigma).
    if source.numeric() || matches!(source, Source::Parent(_)) || lits.iter().any(|l| !l.is_ascii()) {
        return Need::Any;
    }
    lits.sort();
    lits.dedup();
    let i = cx.lower_id(source);
    need_of(i, lits.into_iter().map(|l| vec![l]).collect(), all)
}

/// What an item needs of source `i`, given the literals each of its patterns needs one of:
/// one literal of every pattern with `all`, else one literal of any.
fn need_of(i: usize, per_pattern: Vec<Vec<String>>, all: bool) -> Need {
    let lits = |l: Vec<String>| Need::Lits(l.into_iter().map(|x| (i, x)).collect());
    if all {
        Need::and(per_pattern.into_iter().map(lits).collect())
    } else {
        lits(per_pattern.into_iter().flatten().collect())
    }
}

/// How an item's values combine: OR, or AND with `all`; `neq` negates each (for a present
/// field); the match mode and case.
#[derive(Clone, Copy)]
struct Shape {
    all: bool,
    neq: bool,
    mode: Mode,
    cased: bool,
}

impl Shape {
    fn of(item: &Item) -> Shape {
        let has = |m| item.has(m);
        let mode = if has(Modifier::Contains)
            || (item.field.is_none() && !has(Modifier::StartsWith) && !has(Modifier::EndsWith))
        {
            Mode::Contains
        } else if has(Modifier::StartsWith) {
            Mode::Starts
        } else if has(Modifier::EndsWith) {
            Mode::Ends
        } else {
            Mode::Exact
        };
        Shape { all: has(Modifier::All), neq: has(Modifier::Neq), mode, cased: has(Modifier::Cased) }
    }
    fn combine(self, exprs: Vec<Expr>) -> Expr {
        if self.all { exprs.into_iter().reduce(|a, b| a.and(b)) } else { exprs.into_iter().reduce(|a, b| a.or(b)) }
            .unwrap_or(lit(false))
    }
    fn negate(self, e: Expr, raw: Expr) -> Expr {
        if self.neq {
            raw.is_not_null().and(e.not())
        } else {
            e
        }
    }
}

/// One `field|modifiers: values` item as an expression, by the kind of match its modifiers ask.
fn item_expr(cx: &mut Ctx<'_>, item: &Item) -> Result<Expr, Skip> {
    let source = cx.source(item)?;
    let shape = Shape::of(item);
    if item.has(Modifier::Exists) || item.values.contains(&Value::Null) {
        return presence_expr(cx, item, &source, shape);
    }
    if let Some(op) = [Modifier::Lt, Modifier::Lte, Modifier::Gt, Modifier::Gte].into_iter().find(|m| item.has(*m)) {
        return compare_expr(cx, item, &source, shape, op);
    }
    if item.has(Modifier::FieldRef) {
        return fieldref_expr(cx, item, &source, shape);
    }
    if item.has(Modifier::Cidr) {
        return cidr_expr(cx, item, &source, shape);
    }
    if item.has(Modifier::Re) {
        return regex_expr(cx, item, &source, shape);
    }
    if item.modifiers.iter().any(|m| matches!(m, Modifier::ReFlag(_))) {
        return Err(Skip::Modifier("regular expression flags without 're'".into()));
    }
    if source == Source::AuditType {
        return audit_type_expr(cx, item, shape);
    }
    // Numbers against a numeric column, compared as numbers.
    if source.numeric()
        && shape.mode == Mode::Exact
        && item.modifiers.iter().all(|m| *m == Modifier::All || *m == Modifier::Neq)
    {
        if let Some(nums) = item.values.iter().map(number).collect::<Option<Vec<f64>>>() {
            let raw = cx.raw(&source);
            let exprs = nums
                .into_iter()
                .map(|n| shape.negate(raw.clone().cast(DataType::Float64).eq(lit(n)), raw.clone()))
                .collect();
            return Ok(shape.combine(exprs));
        }
    }
    string_expr(cx, item, &source, shape)
}

/// `exists: true/false`, and `null` (the field is absent).
fn presence_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape) -> Result<Expr, Skip> {
    if item.has(Modifier::Exists) {
        let want = match item.values.as_slice() {
            [Value::Bool(b)] => *b,
            [Value::Str(s)] if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                s.eq_ignore_ascii_case("true")
            }
            _ => return Err(Skip::Value("'exists' takes true or false".into())),
        };
        let raw = cx.raw(source);
        return Ok(if want { raw.is_not_null() } else { raw.is_null() });
    }
    if item.values.len() > 1 {
        return Err(Skip::Value("null cannot be part of a list of values".into()));
    }
    let raw = cx.raw(source);
    Ok(if shape.neq { raw.is_not_null() } else { raw.is_null() })
}

/// `lt`, `lte`, `gt`, `gte`: the field as a number.
fn compare_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape, op: Modifier) -> Result<Expr, Skip> {
    let raw = cx.raw(source).cast(DataType::Float64);
    let exprs = item
        .values
        .iter()
        .map(|v| {
            let n = number(v).ok_or_else(|| Skip::Value(format!("{v:?} is not a number")))?;
            Ok(match op {
                Modifier::Lt => raw.clone().lt(lit(n)),
                Modifier::Lte => raw.clone().lt_eq(lit(n)),
                Modifier::Gt => raw.clone().gt(lit(n)),
                _ => raw.clone().gt_eq(lit(n)),
            })
        })
        .collect::<Result<Vec<_>, Skip>>()?;
    Ok(shape.combine(exprs))
}

/// `fieldref`: the values name other fields of the same event.
fn fieldref_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape) -> Result<Expr, Skip> {
    let mut exprs = Vec::new();
    for name in texts(item)? {
        let other = cx.mapping.field(cx.entry, &name).ok_or_else(|| Skip::Field(name.clone()))?;
        let (a, b) = if shape.cased {
            (cx.raw(source).cast(DataType::String), cx.raw(&other).cast(DataType::String))
        } else if source.numeric() && other.numeric() {
            (cx.raw(source), cx.raw(&other))
        } else {
            (cx.lower(source), cx.lower(&other))
        };
        let e = match shape.mode {
            Mode::Exact => a.clone().eq(b),
            Mode::Contains => a.clone().str().contains_literal(b),
            Mode::Starts => a.clone().str().starts_with(b),
            Mode::Ends => a.clone().str().ends_with(b),
        };
        exprs.push(shape.negate(e, a));
    }
    Ok(shape.combine(exprs))
}

/// `cidr`: the address in one (or with `all`, every) network; a polars UDF in the same pass.
fn cidr_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape) -> Result<Expr, Skip> {
    let nets = texts(item)?
        .iter()
        .map(|t| crate::query::cidr::Cidr::parse(t).map_err(Skip::Value))
        .collect::<Result<Vec<_>, _>>()?;
    let all = shape.all;
    let raw = cx.raw(source).cast(DataType::String);
    let e = raw.clone().map(
        move |c: Column| {
            let s = c.str()?;
            let out: BooleanChunked =
                s.iter()
                    .map(|v| {
                        v.map(|ip| {
                            if all {
                                nets.iter().all(|n| n.contains(ip))
                            } else {
                                nets.iter().any(|n| n.contains(ip))
                            }
                        })
                    })
                    .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    );
    Ok(shape.negate(e, raw))
}

/// `re` with its flags: case-sensitive unless `i`, checked before the pass runs.
fn regex_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape) -> Result<Expr, Skip> {
    let flags: String = item
        .modifiers
        .iter()
        .filter_map(|m| match m {
            Modifier::ReFlag(c) => Some(*c),
            _ => None,
        })
        .collect();
    let raw = cx.raw(source).cast(DataType::String);
    let mut exprs = Vec::new();
    // What each pattern's matches must hold, for the narrowing (see [`Need`]).
    let mut needs: Option<Vec<Vec<String>>> = Some(Vec::new());
    for r in texts(item)? {
        let pattern = if flags.is_empty() { r } else { format!("(?{flags}){r}") };
        check_regex(&pattern)?;
        needs = needs.and_then(|mut n| {
            n.push(regex_literals(&pattern)?);
            Some(n)
        });
        exprs.push(shape.negate(raw.clone().str().contains(lit(pattern), false), raw.clone()));
    }
    if let Some(needs) = needs.filter(|n| !n.is_empty() && !shape.neq && !source.numeric()) {
        if !matches!(source, Source::Parent(_)) {
            // The regex runs on the source as it is: no lower-cased copy is registered.
            cx.need = need_of(cx.reg.id(source), needs, shape.all);
        }
    }
    Ok(shape.combine(exprs))
}

/// Literals every match of a regular expression holds, lower-cased: its prefixes or its
/// suffixes (a finite set, as the regex crate's own prefilter uses them), whichever set's
/// shortest literal is longer, each cut to its ASCII part; `None` when a match may hold none (an
/// empty or unbounded set, a literal with no ASCII part at its anchored end).
fn regex_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut best: Option<Vec<String>> = None;
    let shortest = |l: &[String]| l.iter().map(String::len).min().unwrap_or(0);
    for prefix in [true, false] {
        let kind = if prefix { ExtractKind::Prefix } else { ExtractKind::Suffix };
        let seq = Extractor::new().kind(kind).extract(&hir);
        let Some(found) = seq.literals().filter(|l| !l.is_empty()) else { continue };
        // A literal's ASCII part at the end the match is anchored to (a match that starts with
        // `ipfs.io` and a no-break space starts with `ipfs.io`).
        let ascii = |b: &[u8]| -> Vec<u8> {
            if prefix {
                b.iter().take_while(|c| c.is_ascii()).copied().collect()
            } else {
                b[b.iter().rposition(|c| !c.is_ascii()).map_or(0, |i| i + 1)..].to_vec()
            }
        };
        let texts: Option<Vec<String>> = found
            .iter()
            .map(|l| {
                let text = String::from_utf8(ascii(l.as_bytes())).ok()?;
                (!text.is_empty()).then(|| text.to_ascii_lowercase())
            })
            .collect();
        let Some(mut texts) = texts else { continue };
        texts.sort();
        texts.dedup();
        // One of a set is needed: a literal holding another one of the set adds nothing.
        let all = texts.clone();
        texts.retain(|t| !all.iter().any(|o| o != t && t.contains(o.as_str())));
        if best.as_deref().is_none_or(|b| shortest(b) < shortest(&texts)) {
            best = Some(texts);
        }
    }
    best
}

/// `type: EXECVE`: the audit event has a record of that type.
fn audit_type_expr(cx: &mut Ctx<'_>, item: &Item, shape: Shape) -> Result<Expr, Skip> {
    let types = texts(item)?;
    if shape.mode != Mode::Exact || types.iter().any(|t| literal(&pieces(t)).is_none()) {
        return Err(Skip::Modifier("audit record types are matched by plain value only".into()));
    }
    let record = |alts: &[String]| {
        let alts: Vec<String> = alts.iter().map(|t| regex::escape(t)).collect();
        format!("(?m)^(?:node=\\S+ )?type=(?i:{})(?: |$)", alts.join("|"))
    };
    let text = cx.raw(&Source::Column("event_original".into()));
    let exprs: Vec<Expr> = if shape.all {
        types.iter().map(|t| text.clone().str().contains(lit(record(std::slice::from_ref(t))), false)).collect()
    } else {
        vec![text.str().contains(lit(record(&types)), false)]
    };
    Ok(shape.combine(exprs))
}

/// Text values after the transforming modifiers, with wildcards, in the match mode.
fn string_expr(cx: &mut Ctx<'_>, item: &Item, source: &Source, shape: Shape) -> Result<Expr, Skip> {
    let patterns = transform(item, texts(item)?)?;
    if !shape.neq {
        cx.need = literal_need(cx, source, &patterns, shape.all);
    }
    let encoded = item.modifiers.iter().any(|m| matches!(m, Modifier::Base64 | Modifier::Base64Offset));
    let (target, patterns) = if shape.cased || encoded {
        (cx.raw(source).cast(DataType::String), patterns)
    } else if source.numeric() {
        let raw = cx.raw(source).cast(DataType::String);
        (raw, patterns.iter().map(|p| lowered(p)).collect())
    } else {
        (cx.lower(source), patterns.iter().map(|p| lowered(p)).collect::<Vec<_>>())
    };
    let e = match_patterns(target.clone(), &patterns, shape.mode, shape.all);
    Ok(shape.negate(e, target))
}

#[cfg(test)]
mod tests {
    use super::super::rule::{parse_file, Body};
    use super::*;

    /// Web requests: (path, query, method, status, agent, client, raw line).
    fn web() -> DataFrame {
        df!(
            "url_path" => ["/index.php", "/etc/passwd", "/a/../../x", "/Admin/Login", "/q", "/b64"],
            "url_query" => [None, None, Some("id=1"), None, Some("x=*star*"), Some("p=ZXZpbCBwYXlsb2Fk")],
            "http_request_method" => ["GET", "GET", "POST", "get", "PUT", "GET"],
            "http_response_status_code" => [200i32, 404, 500, 302, 201, 200],
            "user_agent_original" => [Some("Mozilla/5.0"), Some("sqlmap/1.7"), None, Some("curl/8.0"), Some("Nikto"), None],
            "source_ip" => ["10.0.0.5", "203.0.113.9", "10.1.2.3", "2001:db8::1", "192.168.1.1", "10.0.0.6"],
            "destination_ip" => [Some("10.0.0.5"), None, None, None, None, None],
            "event_original" => ["GET /index.php", "GET /etc/passwd", "POST /a/../../x?id=1", "get /Admin/Login", "PUT /q?x=*star*", "GET /b64"],
            "host_name" => ["web01"; 6],
            "user_name" => [Some("10.0.0.5"), None, None, None, None, None],
        )
        .unwrap()
    }

    /// Which rows of `df` the rule (a detection under `logsource`) matches.
    fn run(df: &DataFrame, logsource: &str, body: &str) -> Result<Vec<usize>, Skip> {
        let yaml = format!("title: t\nlogsource:\n{logsource}\ndetection:\n{body}\n");
        let (_, body) = parse_file(&yaml).remove(0);
        let Body::Detection(det) = body? else { panic!("not a detection") };
        let mapping = Mapping::load(None).unwrap();
        let entry = mapping.logsource(&det.logsource).expect("logsource").clone();
        let mut reg = Registry::default();
        let c = detection(&det, &entry, &mapping, &mut reg)?;
        let mut lf = df.clone().lazy();
        let raw: Vec<Expr> = c.uses.raw.iter().map(|&i| reg.raw_expr(i)).collect();
        if !raw.is_empty() {
            lf = lf.with_columns(raw);
        }
        let low: Vec<Expr> = c.uses.lower.iter().map(|&i| Registry::lower_expr(i)).collect();
        if !low.is_empty() {
            lf = lf.with_columns(low);
        }
        let out = lf.select([c.expr.fill_null(lit(false)).alias("m")]).collect().unwrap();
        Ok(out
            .column("m")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, v)| *v == Some(true))
            .map(|(i, _)| i)
            .collect())
    }

    const WEB: &str = "    category: webserver";

    fn web_rule(body: &str) -> Vec<usize> {
        run(&web(), WEB, body).unwrap()
    }

    /// What every match of a regular expression holds: prefixes or suffixes, lower-cased, cut
    /// to their ASCII part; nothing when a match may hold none. Each literal found is in every
    /// match of the samples, whatever their case.
    #[test]
    fn regex_literals_are_in_every_match() {
        let zip = r"\.(zip|asp|htm)\?d=[0-9]{1,3}\.[0-9]{1,3}";
        let lits = regex_literals(zip).unwrap();
        assert_eq!(lits.len(), 30, "{lits:?}");
        assert!(lits.iter().all(|l| [".asp?d=", ".htm?d=", ".zip?d="].iter().any(|p| l.starts_with(p))), "{lits:?}");
        let tails = r"-[a-z0-9]{3}\.[a-z0-9-]{3,}-s-account\.workers\.dev|\.up\.railway\.app";
        assert_eq!(regex_literals(tails).unwrap(), ["-s-account.workers.dev", ".up.railway.app"]);
        let ipfs = regex_literals(r"(?i)ipfs\.io/").unwrap();
        assert!(ipfs.len() == 1 && ipfs[0].len() >= 4 && "ipfs.io/".contains(&ipfs[0]), "{ipfs:?}");
        for none in [r".*", r"^", r"[a-z]*x?", r"é+", r"a|b*"] {
            assert_eq!(regex_literals(none), None, "{none}");
        }
        let ipfs = r"(?i)(ipfs\.io/|ipfs\.io\s).+\..+@.+\.[a-z]+";
        let lits = regex_literals(ipfs).unwrap();
        let re = regex::Regex::new(ipfs).unwrap();
        for text in ["GET https://IPFS.io/x.y@a.bc", "ipfs.io\u{a0}a.b@c.de", "ipfs.io\ta.b@c.de"] {
            assert!(re.is_match(text), "{text}");
            let low = text.to_lowercase();
            assert!(lits.iter().any(|l| low.contains(l.as_str())), "{text}: {lits:?}");
        }
    }

    /// A rule whose regular expression holds literals is narrowed by them; one without is not.
    #[test]
    fn regex_rules_need_their_literals() {
        let need = |body: &str| {
            let yaml = format!("title: t\nlogsource:\n{WEB}\ndetection:\n{body}\n");
            let (_, body) = parse_file(&yaml).remove(0);
            let Body::Detection(det) = body.unwrap() else { panic!("not a detection") };
            let mapping = Mapping::load(None).unwrap();
            let entry = mapping.logsource(&det.logsource).unwrap().clone();
            let mut reg = Registry::default();
            detection(&det, &entry, &mapping, &mut reg).unwrap().need
        };
        let Need::Lits(l) = need("    sel:\n        cs-uri-query|re: '\\.(zip|asp)\\?d='\n    condition: sel") else {
            panic!("literals expected")
        };
        assert_eq!(l.into_iter().map(|(_, s)| s).collect::<Vec<_>>(), [".asp?d=", ".zip?d="]);
        assert_eq!(need("    sel:\n        cs-uri-query|re: '.*'\n    condition: sel"), Need::Any);
        assert_eq!(need("    sel:\n        cs-uri-query|re|neq: 'abc'\n    condition: sel"), Need::Any);
    }

    #[test]
    fn plain_values_are_exact_and_case_insensitive() {
        assert_eq!(web_rule("    sel:\n        cs-method: get\n    condition: sel"), vec![0, 1, 3, 5]);
        assert_eq!(web_rule("    sel:\n        cs-uri-stem: /admin/login\n    condition: sel"), vec![3]);
        // Not a substring match.
        assert!(web_rule("    sel:\n        cs-uri-stem: /admin\n    condition: sel").is_empty());
        // cased: exact case only.
        assert_eq!(web_rule("    sel:\n        cs-method|cased: get\n    condition: sel"), vec![3]);
    }

    #[test]
    fn contains_startswith_endswith_and_all() {
        assert_eq!(web_rule("    sel:\n        cs-uri-query|contains: '../'\n    condition: sel"), vec![2]);
        // cs-uri-query is the request target: path and query.
        assert_eq!(web_rule("    sel:\n        cs-uri-query|contains: '/x?id='\n    condition: sel"), vec![2]);
        assert_eq!(web_rule("    sel:\n        cs-uri-stem|startswith: '/ETC'\n    condition: sel"), vec![1]);
        assert_eq!(web_rule("    sel:\n        cs-uri-stem|endswith:\n            - '.php'\n            - 'login'\n    condition: sel"), vec![0, 3]);
        assert_eq!(
            web_rule("    sel:\n        c-useragent|contains|all:\n            - 'sql'\n            - 'map'\n    condition: sel"),
            vec![1]
        );
        assert!(web_rule("    sel:\n        c-useragent|contains|all:\n            - 'sql'\n            - 'nikto'\n    condition: sel").is_empty());
        // Several contains values at once (one alternation) and several startswith values.
        assert_eq!(web_rule("    sel:\n        c-useragent|contains:\n            - 'SQLMAP'\n            - 'nikto'\n            - 'nuclei'\n            - 'x(y'\n    condition: sel"), vec![1, 4]);
        assert_eq!(web_rule("    sel:\n        cs-uri-stem|startswith:\n            - '/a/'\n            - '/q'\n            - '/z'\n            - '/y'\n    condition: sel"), vec![2, 4]);
    }

    #[test]
    fn wildcards_and_their_escapes() {
        assert_eq!(web_rule("    sel:\n        cs-uri-stem: '/*/login'\n    condition: sel"), vec![3]);
        assert_eq!(web_rule("    sel:\n        cs-uri-stem: '/?'\n    condition: sel"), vec![4]);
        assert_eq!(
            run(&web(), "    category: proxy", "    sel:\n        c-uri-extension: PHP\n    condition: sel").unwrap(),
            vec![0]
        );
        // \\* is a plain star: only the query that holds one.
        assert_eq!(web_rule("    sel:\n        cs-uri-query|contains: '=\\*star\\*'\n    condition: sel"), vec![4]);
        assert_eq!(pieces(r"a\*b"), vec![Piece::Lit("a*b".into())]);
        assert_eq!(pieces(r"a\\*"), vec![Piece::Lit("a\\".into()), Piece::Star]);
        assert_eq!(pieces(r"a\\\*"), vec![Piece::Lit("a\\*".into())]);
        assert_eq!(pieces(r"C:\Windows\x?"), vec![Piece::Lit(r"C:\Windows\x".into()), Piece::One]);
        assert_eq!(pieces(r"\\\\"), vec![Piece::Lit(r"\\".into())]);
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(web_rule("    sel:\n        sc-status: 404\n    condition: sel"), vec![1]);
        assert_eq!(
            web_rule("    sel:\n        sc-status:\n            - 500\n            - '302'\n    condition: sel"),
            vec![2, 3]
        );
        assert_eq!(web_rule("    sel:\n        sc-status|gte: 400\n    condition: sel"), vec![1, 2]);
        assert_eq!(web_rule("    sel:\n        sc-status|lt: 201\n    condition: sel"), vec![0, 5]);
        assert_eq!(web_rule("    sel:\n        sc-status|lte: 201\n    condition: sel"), vec![0, 4, 5]);
        assert_eq!(web_rule("    sel:\n        sc-status|gt: 404\n    condition: sel"), vec![2]);
        assert_eq!(web_rule("    sel:\n        sc-status|startswith: '2'\n    condition: sel"), vec![0, 4, 5]);
    }

    #[test]
    fn regular_expressions_with_flags_and_errors() {
        assert_eq!(web_rule("    sel:\n        c-useragent|re: '^(sqlmap|curl)/'\n    condition: sel"), vec![1, 3]);
        // Case-sensitive unless |i.
        assert!(web_rule("    sel:\n        c-useragent|re: '^NIKTO$'\n    condition: sel").is_empty());
        assert_eq!(web_rule("    sel:\n        c-useragent|re|i: '^NIKTO$'\n    condition: sel"), vec![4]);
        let e = run(&web(), WEB, "    sel:\n        c-useragent|re: '(unclosed'\n    condition: sel").unwrap_err();
        assert_eq!(e.kind(), "value");
        assert!(e.to_string().contains("(unclosed"), "{e}");
        let e = run(&web(), WEB, "    sel:\n        c-useragent|i: 'x'\n    condition: sel").unwrap_err();
        assert_eq!(e.kind(), "modifier");
    }

    #[test]
    fn cidr_exists_null_and_fieldref() {
        assert_eq!(web_rule("    sel:\n        c-ip|cidr: 10.0.0.0/8\n    condition: sel"), vec![0, 2, 5]);
        assert_eq!(web_rule("    sel:\n        c-ip|cidr:\n            - 10.0.0.0/30\n            - 2001:db8::/32\n    condition: sel"), vec![3]);
        assert_eq!(web_rule("    sel:\n        c-ip|cidr:\n            - 10.0.0.0/29\n            - 2001:db8::/32\n    condition: sel"), vec![0, 3, 5]);
        assert_eq!(
            run(&web(), WEB, "    sel:\n        c-ip|cidr: 10.0.0.0/33\n    condition: sel").unwrap_err().kind(),
            "value"
        );
        assert_eq!(web_rule("    sel:\n        c-useragent|exists: false\n    condition: sel"), vec![2, 5]);
        assert_eq!(web_rule("    sel:\n        c-useragent|exists: true\n    condition: sel"), vec![0, 1, 3, 4]);
        assert_eq!(web_rule("    sel:\n        c-useragent: null\n    condition: sel"), vec![2, 5]);
        // fieldref: the user name equals the client address (row 0).
        assert_eq!(web_rule("    sel:\n        cs-username|fieldref: c-ip\n    condition: sel"), vec![0]);
        assert_eq!(
            web_rule("    sel:\n        cs-uri-stem|fieldref|contains: cs-uri-stem\n    condition: sel"),
            vec![0, 1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn base64_and_base64offset() {
        // "evil payload" in base64 is ZXZpbCBwYXlsb2Fk.
        assert_eq!(
            web_rule("    sel:\n        cs-uri-query|base64|contains: 'evil payload'\n    condition: sel"),
            vec![5]
        );
        // At any offset: "payload" sits at byte 5 of the encoded text.
        assert_eq!(
            web_rule("    sel:\n        cs-uri-query|base64offset|contains: 'payload'\n    condition: sel"),
            vec![5]
        );
        assert!(
            web_rule("    sel:\n        cs-uri-query|base64offset|contains: 'payday'\n    condition: sel").is_empty()
        );
        assert_eq!(base64offset(b"/bin/bash"), vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
    }

    #[test]
    fn neq_and_utf16_encodings() {
        // neq: present and different from every value.
        assert_eq!(web_rule("    sel:\n        cs-method|neq: get\n    condition: sel"), vec![2, 4]);
        assert_eq!(web_rule("    sel:\n        c-useragent|neq: nikto\n    condition: sel"), vec![0, 1, 3]);
        // utf16le then base64: "ev" as UTF-16LE is 65 00 76 00, base64 ZQB2AA==.
        assert_eq!(utf16("ev", Modifier::Utf16Le), vec![0x65, 0, 0x76, 0]);
        assert_eq!(utf16("ev", Modifier::Utf16Be), vec![0, 0x65, 0, 0x76]);
        assert_eq!(utf16("e", Modifier::Utf16), vec![0xFF, 0xFE, 0x65, 0]);
        let df =
            df!("url_path" => ["/x"], "url_query" => [Some("a=ZQB2AA==")], "event_action" => ["http.request"]).unwrap();
        assert_eq!(
            run(&df, WEB, "    sel:\n        cs-uri-query|wide|base64|contains: 'ev'\n    condition: sel").unwrap(),
            vec![0]
        );
        assert!(run(&df, WEB, "    sel:\n        cs-uri-query|base64|contains: 'ev'\n    condition: sel")
            .unwrap()
            .is_empty());
        // UTF-16 alone cannot match text.
        assert_eq!(
            run(&df, WEB, "    sel:\n        cs-uri-query|wide: 'ev'\n    condition: sel").unwrap_err().kind(),
            "modifier"
        );
    }

    #[test]
    fn windash_expands_every_dash() {
        let v = windash("-a /b").unwrap();
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"/a -b".to_string()) && v.contains(&"\u{2013}a \u{2014}b".to_string()));
        let df = df!(
            "process_executable" => ["/usr/bin/tar", "/usr/bin/tar"],
            "process_command_line" => ["tar /x file", "tar -c file"],
            "event_action" => ["process.start", "process.start"],
        )
        .unwrap();
        let ls = "    product: linux\n    category: process_creation";
        assert_eq!(
            run(&df, ls, "    sel:\n        CommandLine|windash|contains: ' -x '\n    condition: sel").unwrap(),
            vec![0]
        );
    }

    #[test]
    fn keywords_search_the_keyword_column() {
        assert_eq!(
            web_rule("    keywords:\n        - 'ETC/PASSWD'\n        - '/q?'\n    condition: keywords"),
            vec![1, 4]
        );
        // '|all' keywords: every one of them.
        assert_eq!(
            web_rule(
                "    keywords:\n        '|all':\n            - 'post'\n            - 'id=1'\n    condition: keywords"
            ),
            vec![2]
        );
    }

    #[test]
    fn conditions_over_searches() {
        let d = "    selection_a:\n        cs-method: GET\n    selection_b:\n        sc-status: 200\n    filter_main:\n        c-useragent|contains: 'mozilla'\n";
        assert_eq!(web_rule(&format!("{d}    condition: all of selection_* and not 1 of filter_*")), vec![5]);
        assert_eq!(web_rule(&format!("{d}    condition: 1 of selection_*")), vec![0, 1, 3, 5]);
        assert_eq!(web_rule(&format!("{d}    condition: all of them")), vec![0]);
        assert_eq!(web_rule(&format!("{d}    condition: 1 of them")), vec![0, 1, 3, 5]);
        assert_eq!(web_rule(&format!("{d}    condition: selection_a and (selection_b or filter_main)")), vec![0, 5]);
        // A list of maps is OR; a condition list is OR too.
        assert_eq!(
            web_rule("    sel:\n        - cs-method: PUT\n        - sc-status: 404\n    condition: sel"),
            vec![1, 4]
        );
        assert_eq!(web_rule("    a:\n        cs-method: PUT\n    b:\n        sc-status: 404\n    condition:\n        - a\n        - b"), vec![1, 4]);
        // not over an absent field: the filter does not match, so not filter holds.
        assert_eq!(web_rule("    sel:\n        cs-method: POST\n    filter:\n        c-useragent|contains: x\n    condition: sel and not filter"), vec![2]);
    }

    #[test]
    fn unmapped_fields_and_unknown_modifiers_are_skips() {
        let e = run(&web(), WEB, "    sel:\n        Image|endswith: '/sh'\n    condition: sel").unwrap_err();
        assert_eq!(e, Skip::Field("Image".into()));
        let e = run(&web(), WEB, "    sel:\n        cs-method|bogus: x\n    condition: sel").unwrap_err();
        assert_eq!(e.kind(), "modifier");
        assert!(e.to_string().contains("bogus"));
        let e = run(&web(), WEB, "    sel:\n        cs-method|expand: '%Admins%'\n    condition: sel").unwrap_err();
        assert_eq!(e.kind(), "modifier");
        let e = run(&web(), WEB, "    sel:\n        cs-method: x\n    condition: sel and nothere").unwrap_err();
        assert_eq!(e.kind(), "condition");
    }

    #[test]
    fn audit_record_types_and_arguments() {
        let df = df!(
            "event_original" => [
                "type=SYSCALL msg=audit(1:1): comm=\"curl\" exe=\"/usr/bin/curl\"\ntype=EXECVE msg=audit(1:1): argc=2 a0=\"curl\" a1=\"http://x\"",
                "type=USER_LOGIN msg=audit(2:2): pid=1 uid=0 res=failed",
            ],
            "process_args" => [Some(Series::new("".into(), ["curl", "http://x"])), None],
            "process_executable" => [Some("/usr/bin/curl"), None],
        )
        .unwrap();
        let ls = "    product: linux\n    service: auditd";
        assert_eq!(
            run(&df, ls, "    sel:\n        type: EXECVE\n        a0: curl\n    condition: sel").unwrap(),
            vec![0]
        );
        assert_eq!(run(&df, ls, "    sel:\n        type: 'USER_LOGIN'\n    condition: sel").unwrap(), vec![1]);
        assert_eq!(
            run(&df, ls, "    sel:\n        comm: curl\n        a1|startswith: 'http'\n    condition: sel").unwrap(),
            vec![0]
        );
        assert_eq!(run(&df, ls, "    sel:\n        res: failed\n    condition: sel").unwrap(), vec![1]);
        assert!(
            run(&df, ls, "    sel:\n        type: EXEC\n    condition: sel").unwrap().is_empty(),
            "a whole record type"
        );
    }
}
