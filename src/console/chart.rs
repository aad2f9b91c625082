//! Charts drawn on the server as SVG: they print, need no script, and carry a `<title>` and a
//! `<desc>` (the figures in words) that screen readers read out.

use std::fmt::Write as _;

use super::html::esc;

/// One series of a column chart. `None` is a value with nothing to measure (a satisfaction
/// rate of a week with no rating): no column, and "—" where it would stand.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub color: &'a str,
}

/// What the values are, for the y axis: counts step by whole numbers, rates run from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Count,
    Percent,
    Amount,
}

impl Scale {
    /// The axis maximum for values up to `max`: four equal steps, each a round number, so
    /// every tick is exact (no 0.25 shown as 0.2).
    fn top(self, max: f64) -> f64 {
        match self {
            Scale::Percent => 100.0,
            Scale::Count => nice_max(max).max(4.0),
            Scale::Amount => nice_max(max),
        }
    }
}

const W: f64 = 600.0;
const H: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// A round axis maximum at or above `max`: four steps of 1, 2, 2.5 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let quarter = max / 4.0;
    let magnitude = 10f64.powf(quarter.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if 4.0 * step * magnitude >= max - 1e-9 {
            return 4.0 * step * magnitude;
        }
    }
    40.0 * magnitude
}

/// A value as written on the chart: whole numbers without decimals, others with up to two.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A value, or "—" for nothing to measure.
fn shown(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), number)
}

fn open(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" class="chart-svg" data-chart="{id}"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

/// The y axis with gridlines, and its unit.
fn y_axis(out: &mut String, max: f64, unit: &str) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e7eb"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#616e7c">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            number(v)
        );
    }
    let _ = write!(
        out,
        r##"<text x="4" y="16" font-size="11" fill="#616e7c">{}</text>"##,
        esc(unit)
    );
}

/// Grouped columns: one group per label, one column per series; a legend on top.
pub fn columns(
    id: &str,
    title: &str,
    desc: &str,
    (unit, scale): (&str, Scale),
    labels: &[String],
    series: &[Series<'_>],
) -> String {
    let mut out = String::new();
    open(&mut out, id, title, desc);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(0.0, f64::max);
    let max = scale.top(max);
    y_axis(&mut out, max, unit);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(1) as f64;
    let group_w = plot_w / n;
    let k = series.len().max(1) as f64;
    let col_w = (group_w * 0.8 / k).max(1.0);
    // Every label when they fit, else every few.
    let every = ((labels.len() as f64) / 12.0).ceil().max(1.0) as usize;
    for (i, label) in labels.iter().enumerate() {
        let gx = LEFT + group_w * i as f64 + group_w * 0.1;
        for (j, s) in series.iter().enumerate() {
            let x = gx + col_w * j as f64;
            let Some(v) = s.values.get(i).copied().flatten() else {
                // Nothing to measure: a dash on the baseline, not a column of zero.
                let _ = write!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#616e7c" class="no-data"><title>{} {}: —</title>—</text>"##,
                    x + col_w / 2.0,
                    TOP + plot_h - 3.0,
                    esc(label),
                    esc(s.name)
                );
                continue;
            };
            let h = plot_h * (v / max).min(1.0);
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                TOP + plot_h - h,
                (col_w - 1.0).max(0.5),
                s.color,
                esc(label),
                esc(s.name),
                number(v)
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1f2933">{}</text>"##,
                LEFT + group_w * (i as f64 + 0.5),
                H - BOTTOM + 14.0,
                esc(label)
            );
        }
    }
    let mut lx = LEFT;
    for s in series {
        let _ = write!(
            out,
            r##"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#1f2933">{}</text>"##,
            H - 14.0,
            s.color,
            lx + 14.0,
            H - 5.0,
            esc(s.name)
        );
        lx += 24.0 + 12.0 * s.name.chars().count() as f64;
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one per item, with the value at the end ("—" and no bar for nothing to
/// measure).
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    (unit, scale): (&str, Scale),
    items: &[(String, Option<f64>)],
) -> String {
    let mut out = String::new();
    open(&mut out, id, title, desc);
    let max = scale.top(items.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max));
    let label_w = 96.0;
    let plot_w = W - label_w - 60.0;
    let row_h = ((H - TOP - 8.0) / items.len().max(1) as f64).min(28.0);
    let _ = write!(
        out,
        r##"<text x="4" y="16" font-size="11" fill="#616e7c">{}</text>"##,
        esc(unit)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let w = plot_w * (v.unwrap_or(0.0) / max).min(1.0);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#1f2933">{}</text><rect x="{label_w}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="#1d5fa8"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="11" fill="#1f2933">{}</text>"##,
            label_w - 6.0,
            y + row_h * 0.65,
            esc(label),
            y + row_h * 0.15,
            row_h * 0.7,
            esc(label),
            shown(*v),
            label_w + w + 4.0,
            y + row_h * 0.65,
            shown(*v)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round_and_every_tick_exact() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 8.0);
        assert_eq!(nice_max(142.0), 200.0);
        assert_eq!(nice_max(97.8), 100.0);
        assert_eq!(nice_max(2.2), 4.0);
        assert_eq!(nice_max(0.3), 0.4);
        assert_eq!(Scale::Count.top(1.0), 4.0);
        assert_eq!(Scale::Count.top(0.0), 4.0);
        assert_eq!(Scale::Percent.top(0.0), 100.0);
        for max in [0.3, 1.0, 2.2, 7.0, 13.0, 97.8, 142.0, 3_001.0] {
            let top = nice_max(max);
            assert!(top >= max, "{max} → {top}");
            for i in 0..=4 {
                let tick = top * f64::from(i) / 4.0;
                let written: f64 = number(tick).parse().expect("a number");
                assert!(
                    (written - tick).abs() < 1e-9,
                    "{max}: tick {tick} written {written}"
                );
            }
        }
    }

    #[test]
    fn nothing_to_measure_is_a_dash_not_a_zero() {
        let svg = columns(
            "satisfaction",
            "满意度",
            "d",
            ("%", Scale::Percent),
            &["11-30".into(), "12-07".into()],
            &[Series {
                name: "满意度",
                values: vec![None, Some(97.5)],
                color: "#8e44ad",
            }],
        );
        assert!(svg.contains("11-30 满意度: —"), "{svg}");
        assert!(svg.contains("12-07 满意度: 97.5"), "{svg}");
        assert!(!svg.contains("满意度: 0"), "{svg}");
        assert!(
            svg.contains(">100</text>"),
            "a rate's axis runs to 100: {svg}"
        );
        let svg = bars(
            "ontime",
            "按时率",
            "d",
            ("%", Scale::Percent),
            &[
                ("及时签收率".into(), Some(0.0)),
                ("按时办结率".into(), None),
            ],
        );
        assert!(svg.contains("及时签收率: 0<"), "{svg}");
        assert!(svg.contains("按时办结率: —"), "{svg}");
    }

    #[test]
    fn charts_are_titled_for_screen_readers_and_escaped() {
        let svg = columns(
            "daily",
            "每日收到与办结",
            "收到 3 件 <全部>",
            ("件", Scale::Count),
            &["1日".into(), "2日".into()],
            &[Series {
                name: "收到",
                values: vec![Some(1.0), Some(2.0)],
                color: "#1d5fa8",
            }],
        );
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="daily-t">每日收到与办结</title>"#));
        assert!(svg.contains("&lt;全部&gt;"));
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "two columns and a legend key"
        );
        let svg = bars(
            "cat",
            "类别",
            "d",
            ("件", Scale::Count),
            &[("路灯照明".into(), Some(4.0))],
        );
        assert!(svg.contains("路灯照明: 4"));
    }
}
