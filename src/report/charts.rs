//! PNG charts with plotters. The DejaVu Sans font is compiled into the binary and registered
//! for every family plotters may ask for, so charts render their text on a machine with no
//! system fonts. Every chart has a title, axis descriptions with units, and says UTC where it
//! shows time. Text from logs (addresses, user names) is stripped of control characters.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::data::Series2;
use crate::parse::time::civil_from_days;
use crate::sanitize::terminal;

const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const F: &str = "sans-serif";
const W: u32 = 1000;
const H: u32 = 420;

type Res = Result<(), String>;

fn font() -> Res {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            for style in [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic, FontStyle::Oblique] {
                plotters::style::register_font(family, style, FONT)
                    .map_err(|_| "embedded font is invalid".to_string())?;
            }
        }
        Ok(())
    })
    .clone()
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// `MM-DD HH:MM` of UTC micros.
pub fn label_time(t: i64) -> String {
    let secs = t.div_euclid(1_000_000);
    let (_, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{m:02}-{d:02} {:02}:{:02}", s / 3600, s % 3600 / 60)
}

fn short(s: &str, n: usize) -> String {
    let t = terminal(s);
    if t.chars().count() > n {
        t.chars().take(n - 1).collect::<String>() + "…"
    } else {
        t.into_owned()
    }
}

type TimeChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordi64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart with a UTC time x axis and a numeric y axis from 0 to `max`, mesh drawn.
fn time_chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    title: &str,
    y_desc: &str,
    span: (i64, i64),
    max: f64,
) -> Result<TimeChart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (F, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(span.0..span.1, 0f64..max)
        .map_err(err)?;
    // Counts: whole-number ticks only (never 0.5 of a login).
    let ticks = (max.floor() as usize).clamp(1, 10);
    chart
        .configure_mesh()
        .x_desc("time (UTC)")
        .y_desc(y_desc)
        .x_labels(8)
        .x_label_formatter(&|v| label_time(*v))
        .y_labels(ticks + 1)
        .y_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .label_style((F, 12))
        .axis_desc_style((F, 14))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Lines over time, one per series, with an optional horizontal threshold.
pub fn lines(
    path: &Path,
    title: &str,
    y_desc: &str,
    series: &Series2,
    span: (i64, i64),
    threshold: Option<(f64, &str)>,
) -> Res {
    font()?;
    let root = BitMapBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max = series.values().flat_map(|s| s.values()).fold(threshold.map_or(1.0, |t| t.0), |a, b| a.max(*b)) * 1.1;
    let mut chart = time_chart(&root, title, y_desc, span, max)?;
    for (k, (name, s)) in series.iter().take(PALETTE.len()).enumerate() {
        let c = PALETTE[k];
        chart
            .draw_series(LineSeries::new(s.iter().map(|(t, v)| (*t, *v)), c.stroke_width(2)))
            .map_err(err)?
            .label(short(name, 30))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    if let Some((t, label)) = threshold {
        chart
            .draw_series(LineSeries::new(vec![(span.0, t), (span.1, t)], RED.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .label_font((F, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Horizontal bars, largest first.
pub fn bars(path: &Path, title: &str, x_desc: &str, items: &[(String, u64)]) -> Res {
    font()?;
    let n = items.len().max(1) as i32;
    let root = BitMapBackend::new(path, (W, 60 + 28 * n as u32 + 60)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(1) as f64 * 1.1;
    let labels: Vec<String> = items.iter().map(|(k, _)| short(k, 28)).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (F, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(220)
        .build_cartesian_2d(0f64..max, (0i32..n).into_segmented())
        .map_err(err)?;
    let fmt = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => labels.get((n - 1 - *i) as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .x_labels((max.floor() as usize).clamp(1, 10) + 1)
        .x_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .y_labels(n as usize)
        .y_label_formatter(&fmt)
        .label_style((F, 12))
        .axis_desc_style((F, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
            let y = n - 1 - i as i32;
            let mut bar = Rectangle::new(
                [(0.0, SegmentValue::Exact(y)), (*v as f64, SegmentValue::Exact(y + 1))],
                PALETTE[0].mix(0.8).filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(err)?;
    root.present().map_err(err)
}

/// Hour of day (x) by day (y) heat map; `cells[(day label, [24 counts])]`.
pub fn heatmap(path: &Path, title: &str, cells: &[(String, [f64; 24])]) -> Res {
    font()?;
    let n = cells.len().max(1) as i32;
    let root = BitMapBackend::new(path, (W, (80 + 18 * n as u32 + 60).max(240))).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max = cells.iter().flat_map(|(_, c)| c.iter()).fold(1f64, |a, b| a.max(*b));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (F, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0i32..24, 0i32..n)
        .map_err(err)?;
    let fmt = |i: &i32| cells.get((n - 1 - *i) as usize).map(|c| c.0.clone()).unwrap_or_default();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("hour of day (UTC)")
        .y_desc("day")
        .x_labels(24)
        .y_labels(n as usize)
        .y_label_formatter(&fmt)
        .label_style((F, 11))
        .axis_desc_style((F, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(cells.iter().enumerate().flat_map(|(d, (_, row))| {
            let y = n - 1 - d as i32;
            row.iter().enumerate().map(move |(h, v)| {
                let f = (v / max).sqrt();
                let c = RGBColor(255, (255.0 * (1.0 - f)) as u8, (255.0 * (1.0 - f * 0.9)) as u8);
                Rectangle::new([(h as i32, y), (h as i32 + 1, y + 1)], c.filled())
            })
        }))
        .map_err(err)?;
    root.present().map_err(err)
}

/// One series with its baseline band and the flagged points.
pub fn anomaly(path: &Path, title: &str, y_desc: &str, points: &[(i64, f64, f64, f64)], flagged: &[(i64, f64)]) -> Res {
    font()?;
    let root = BitMapBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return root.present().map_err(err);
    };
    let max = points.iter().map(|p| p.1.max(p.3)).fold(1f64, f64::max) * 1.1;
    let mut chart = time_chart(&root, title, y_desc, (first.0, last.0 + 1), max)?;
    let mut band: Vec<(i64, f64)> = points.iter().map(|p| (p.0, p.3)).collect();
    band.extend(points.iter().rev().map(|p| (p.0, p.2)));
    chart
        .draw_series(std::iter::once(Polygon::new(band, PALETTE[2].mix(0.25).filled())))
        .map_err(err)?
        .label("baseline (median ± 3 MAD, same hour of day)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], PALETTE[2].mix(0.4).filled()));
    chart
        .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), PALETTE[0].stroke_width(2)))
        .map_err(err)?
        .label("observed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], PALETTE[0].stroke_width(3)));
    chart
        .draw_series(flagged.iter().map(|(t, v)| Circle::new((*t, *v), 6, RED.filled())))
        .map_err(err)?
        .label("flagged")
        .legend(|(x, y)| Circle::new((x + 9, y), 5, RED.filled()));
    chart
        .configure_series_labels()
        .label_font((F, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// A correlation matrix with values; axis ticks are series numbers (the page lists the names).
pub fn matrix(path: &Path, title: &str, m: &[Vec<f64>], names: &[String]) -> Res {
    font()?;
    let n = m.len().max(1) as i32;
    let side = 120 + 80 * n as u32;
    let root = BitMapBackend::new(path, (side.max(420) + 180, side.max(420))).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (F, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(0i32..n, 0i32..n)
        .map_err(err)?;
    let name = |i: usize| names.get(i).map(|s| short(s, 26)).unwrap_or_else(|| format!("series {}", i + 1));
    let num = |i: &i32| short(&name(*i as usize), 11);
    let rev = |i: &i32| name((n - 1 - i) as usize);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(n as usize)
        .y_labels(n as usize)
        .x_label_formatter(&num)
        .y_label_formatter(&rev)
        .x_desc("series (hourly counts)")
        .y_desc("")
        .label_style((F, 12))
        .axis_desc_style((F, 13))
        .draw()
        .map_err(err)?;
    for (i, row) in m.iter().enumerate() {
        for (j, r) in row.iter().enumerate() {
            let y = n - 1 - i as i32;
            let x = j as i32;
            let v = if r.is_finite() { *r } else { 0.0 };
            let c = if v >= 0.0 {
                RGBColor(255, (255.0 * (1.0 - v)) as u8, (255.0 * (1.0 - v)) as u8)
            } else {
                RGBColor((255.0 * (1.0 + v)) as u8, (255.0 * (1.0 + v)) as u8, 255)
            };
            chart.draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1, y + 1)], c.filled()))).map_err(err)?;
            let text = if r.is_finite() { format!("{v:.2}") } else { "–".into() };
            chart
                .draw_series(std::iter::once(Text::new(text, (x, y + 1), (F, 12).into_font().color(&BLACK))))
                .map_err(err)?;
        }
    }
    root.present().map_err(err)
}

/// An incident on the overview: its rank, severity (0 low … 3 critical), hosts and span.
pub struct Mark {
    pub rank: usize,
    pub severity: u8,
    pub hosts: Vec<String>,
    pub from: i64,
    pub to: i64,
}

const SEVERITY_COLOURS: [RGBColor; 4] =
    [RGBColor(96, 125, 139), RGBColor(239, 108, 0), RGBColor(198, 40, 40), RGBColor(123, 31, 162)];

/// The case at one glance: one row per host, its event volume as grey bars behind (each row
/// scaled to its own busiest interval), and each incident as a bar of its severity's colour
/// over its span, labelled with its rank.
pub fn overview(path: &Path, title: &str, volume: &Series2, marks: &[Mark], span: (i64, i64), bucket: i64) -> Res {
    font()?;
    let mut hosts: Vec<String> = volume.keys().cloned().collect();
    for m in marks {
        for h in &m.hosts {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
    }
    hosts.sort();
    let rows = hosts.len().max(1);
    let height = (120 + 60 * rows as u32).min(900);
    let root = BitMapBackend::new(path, (W, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (F, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d(span.0..span.1.max(span.0 + 1), 0f64..rows as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (UTC); grey: events per interval, scaled per host; colour: incident (severity), #rank")
        .x_labels(8)
        .x_label_formatter(&|v| label_time(*v))
        .y_labels(0)
        .disable_y_mesh()
        .label_style((F, 12))
        .axis_desc_style((F, 13))
        .draw()
        .map_err(err)?;
    // Host names in the left margin, at the middle of their rows.
    for (row, host) in hosts.iter().enumerate() {
        let (_, py) = chart.backend_coord(&(span.0, row as f64 + 0.5));
        root.draw(&Text::new(short(host, 12), (6, py - 7), (F, 13).into_font().style(FontStyle::Bold))).map_err(err)?;
    }
    for (row, host) in hosts.iter().enumerate() {
        let Some(s) = volume.get(host) else { continue };
        let max = s.values().fold(1.0f64, |a, b| a.max(*b));
        let y0 = row as f64 + 0.1;
        chart
            .draw_series(s.iter().map(|(t, v)| {
                let h = 0.8 * v / max;
                Rectangle::new([(*t, y0), (*t + bucket, y0 + h)], RGBColor(200, 200, 205).filled())
            }))
            .map_err(err)?;
    }
    let min_width = (span.1 - span.0) / 200;
    for m in marks {
        let c = SEVERITY_COLOURS[m.severity.min(3) as usize];
        for h in &m.hosts {
            let Some(row) = hosts.iter().position(|x| x == h) else { continue };
            let y = row as f64 + 0.35;
            let to = m.to.max(m.from + min_width);
            chart
                .draw_series(std::iter::once(Rectangle::new([(m.from, y), (to, y + 0.3)], c.filled())))
                .map_err(err)?;
            // Ranks of the first ten only: more labels would overlap.
            if m.rank <= 10 {
                chart
                    .draw_series(std::iter::once(Text::new(format!("#{}", m.rank), (m.from, y + 0.62), (F, 13))))
                    .map_err(err)?;
            }
        }
    }
    root.present().map_err(err)
}
