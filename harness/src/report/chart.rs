//! Charts as hand-written inline SVG.
//!
//! Plain strings keep the report dependency-free and self-contained (no script, no font or
//! stylesheet fetched), and the output is deterministic, so Markdown/HTML snapshots stay stable.
//! Coordinates are rounded to one decimal for the same reason. The SVG is meant to be inlined in
//! HTML, which needs no `xmlns` (leaving it out keeps every URL out of the report).

use std::fmt::Write as _;

/// One data series of a line chart.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Markers only (sparse test points every few epochs) instead of a connected line.
    pub(crate) markers_only: bool,
}

const W: f64 = 480.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// Escapes text for SVG/XML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn open(title: &str, class: &str) -> String {
    format!(
        r##"<svg class="chart {class}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title><rect class="bg" x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/><text x="{x}" y="18" text-anchor="middle" font-size="13" font-family="sans-serif">{t}</text>"##,
        t = xml(title),
        x = W / 2.0
    )
}

/// The finite range of `values`, padded by 5 % when `pad` (so points do not sit on the frame).
fn bounds(values: impl Iterator<Item = f64>, pad: bool) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    // A flat series still needs a visible range.
    if (hi - lo).abs() < 1e-12 {
        Some((
            lo - 0.5_f64.max(lo.abs() * 0.05),
            hi + 0.5_f64.max(hi.abs() * 0.05),
        ))
    } else if pad {
        let pad = (hi - lo) * 0.05;
        Some((lo - pad, hi + pad))
    } else {
        Some((lo, hi))
    }
}

fn axes(svg: &mut String, x: Option<(f64, f64)>, y: (f64, f64), x_label: &str, y_label: &str) {
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let _ = write!(
        svg,
        r##"<g class="axes" stroke="#444" stroke-width="1"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/></g>"##,
        b = TOP + ph,
        r = LEFT + pw
    );
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let yv = y.0 + (y.1 - y.0) * f;
        let py = TOP + ph - ph * f;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{r}" y2="{py:.1}" stroke="#e5e5e5"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="10" font-family="sans-serif">{yl}</text>"##,
            r = LEFT + pw,
            tx = LEFT - 4.0,
            ty = py + 3.0,
            yl = fmt_num(yv),
        );
        // Bar charts label their bars instead of a numeric x axis.
        if let Some(x) = x {
            let _ = write!(
                svg,
                r#"<text x="{px:.1}" y="{bx}" text-anchor="middle" font-size="10" font-family="sans-serif">{xl}</text>"#,
                px = LEFT + pw * f,
                bx = TOP + ph + 14.0,
                xl = fmt_num(x.0 + (x.1 - x.0) * f),
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text x="{cx}" y="{by}" text-anchor="middle" font-size="11" font-family="sans-serif">{xl}</text><text x="12" y="{cy}" text-anchor="middle" font-size="11" font-family="sans-serif" transform="rotate(-90 12 {cy})">{yl}</text>"#,
        cx = LEFT + pw / 2.0,
        by = H - 8.0,
        xl = xml(x_label),
        cy = TOP + ph / 2.0,
        yl = xml(y_label),
    );
}

/// A line chart; `None` when no series has a finite point (nothing to draw).
pub(crate) fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Option<String> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    // Epochs start and end at the frame; values get headroom.
    let x = bounds(all().map(|p| p.0), false)?;
    let y = bounds(all().map(|p| p.1), true)?;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sx = |v: f64| LEFT + (v - x.0) / (x.1 - x.0) * pw;
    let sy = |v: f64| TOP + ph - (v - y.0) / (y.1 - y.0) * ph;
    let mut svg = open(title, "line-chart");
    axes(&mut svg, Some(x), y, x_label, y_label);
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|&(a, b)| (sx(a), sy(b)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        if !s.markers_only && pts.len() > 1 {
            let mut d = String::new();
            for (j, (px, py)) in pts.iter().enumerate() {
                let _ = write!(d, "{}{px:.1},{py:.1} ", if j == 0 { 'M' } else { 'L' });
            }
            let _ = write!(
                svg,
                r#"<path class="series" data-series="{n}" d="{d}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                n = xml(&s.name),
                d = d.trim_end()
            );
        } else {
            for (px, py) in &pts {
                let _ = write!(
                    svg,
                    r#"<rect class="marker" data-series="{n}" x="{x:.1}" y="{y:.1}" width="6" height="6" fill="{color}"/>"#,
                    n = xml(&s.name),
                    x = px - 3.0,
                    y = py - 3.0
                );
            }
        }
        // Legend, top right, one line per series.
        let ly = TOP + 6.0 + 14.0 * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="{ry:.1}" width="10" height="10" fill="{color}"/><text x="{tx}" y="{ty:.1}" font-size="10" font-family="sans-serif">{n}</text>"#,
            lx = W - RIGHT - 130.0,
            ry = ly - 8.0,
            tx = W - RIGHT - 116.0,
            ty = ly,
            n = xml(&s.name)
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A vertical bar chart of labelled values (accuracy per version: 0–100 %).
pub(crate) fn bar_chart(
    title: &str,
    y_label: &str,
    bars: &[(String, f64)],
    y_max: f64,
) -> Option<String> {
    let bars: Vec<&(String, f64)> = bars.iter().filter(|(_, v)| v.is_finite()).collect();
    if bars.is_empty() {
        return None;
    }
    let top = bars.iter().map(|(_, v)| *v).fold(y_max, f64::max);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut svg = open(title, "bar-chart");
    axes(&mut svg, None, (0.0, top), "", y_label);
    let slot = pw / bars.len() as f64;
    for (i, (label, v)) in bars.iter().enumerate() {
        let h = (v / top).clamp(0.0, 1.0) * ph;
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let y = TOP + ph - h;
        let _ = write!(
            svg,
            r#"<rect class="bar" data-label="{l}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="10" font-family="sans-serif">{vt}</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="10" font-family="sans-serif">{l}</text>"#,
            l = xml(label),
            w = slot * 0.7,
            c = COLORS[i % COLORS.len()],
            cx = x + slot * 0.35,
            ty = (y - 4.0).max(TOP - 2.0),
            vt = format_args!("{v:.2}"),
            ly = TOP + ph + 28.0,
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A histogram of `values` in `bins` equal bins over `[lo, hi]`; bars carry their counts.
pub(crate) fn histogram(
    title: &str,
    x_label: &str,
    values: &[f64],
    lo: f64,
    hi: f64,
    bins: usize,
) -> Option<String> {
    if values.is_empty() || bins == 0 || hi <= lo {
        return None;
    }
    let mut counts = vec![0u32; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let i = ((f * bins as f64) as usize).min(bins - 1);
        counts[i] += 1;
    }
    // A multiple of 4 so the four grid lines fall on whole submissions.
    let top = f64::from(counts.iter().copied().max().unwrap_or(1).max(1).div_ceil(4) * 4);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut svg = open(title, "histogram");
    axes(&mut svg, Some((lo, hi)), (0.0, top), x_label, "submissions");
    let bw = pw / bins as f64;
    for (i, c) in counts.iter().enumerate() {
        let h = f64::from(*c) / top * ph;
        let _ = write!(
            svg,
            r##"<rect class="bin" data-count="{c}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="#1f77b4" stroke="#ffffff"/>"##,
            x = LEFT + bw * i as f64,
            y = TOP + ph - h,
            w = bw,
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chart_draws_data_dependent_paths() {
        let s = |n: &str, pts: Vec<(f64, f64)>| Series {
            name: n.into(),
            points: pts,
            markers_only: false,
        };
        let a = line_chart(
            "t",
            "epoch",
            "loss",
            &[s("a", vec![(0.0, 1.0), (1.0, 0.5)])],
        )
        .unwrap();
        let b = line_chart(
            "t",
            "epoch",
            "loss",
            &[s("a", vec![(0.0, 1.0), (1.0, 0.9)])],
        )
        .unwrap();
        assert!(a.contains("<path class=\"series\""));
        assert_ne!(a, b);
        assert!(line_chart("t", "x", "y", &[s("a", vec![])]).is_none());
    }

    #[test]
    fn histogram_counts_every_value_and_escapes_titles() {
        let h = histogram("<a&b>", "points", &[0.0, 50.0, 100.0, 100.0], 0.0, 100.0, 4).unwrap();
        assert!(h.contains("&lt;a&amp;b&gt;"));
        let total: u32 = h
            .split("data-count=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse::<u32>().unwrap())
            .sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn bar_chart_heights_follow_values() {
        let svg = bar_chart(
            "acc",
            "%",
            &[("v1".into(), 50.0), ("v2".into(), 100.0)],
            100.0,
        )
        .unwrap();
        assert!(
            svg.contains(r#"height="93.0""#) && svg.contains(r#"height="186.0""#),
            "{svg}"
        );
    }
}
