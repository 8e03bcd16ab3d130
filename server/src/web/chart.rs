//! Charts drawn on the server as SVG: a few hundred bytes each, no script,
//! no library. A line chart of one or more series over periods, with its
//! axis, grid, labels and a legend; a gap where a value is missing.

use std::fmt::Write;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its colour (a CSS colour).
    pub colour: &'static str,
    /// One value per period; none where there is nothing to show.
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 44.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round top for the axis at or above `max`.
fn nice_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A line chart; `top` fixes the axis (100 for percentages), else it fits the values.
pub fn line(title: &str, labels: &[String], series: &[Series], top: Option<f64>) -> String {
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
    let top = top.unwrap_or_else(|| nice_top(max));
    let n = labels.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + if n == 1 { plot_w / 2.0 } else { plot_w * i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + plot_h * (1.0 - (v / top).clamp(0.0, 1.0));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    let _ = write!(svg, "<title>{}</title>", escape(title));
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#666">{}</text>"##,
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 4.0,
            y(v) + 3.0,
            if top >= 10.0 { format!("{v:.0}") } else { format!("{v:.1}") }
        );
    }
    for (i, label) in labels.iter().enumerate() {
        if n > 12 && i % 2 == 1 {
            continue;
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#666">{}</text>"##,
            x(i),
            HEIGHT - BOTTOM + 14.0,
            escape(label)
        );
    }
    for (k, s) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(path, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(svg, r#"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"#, path.trim_end(), s.colour);
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"><title>{} {}: {v:.1}</title></circle>"#,
                    x(i),
                    y(*v),
                    s.colour,
                    escape(&s.name),
                    escape(&labels[i.min(labels.len().saturating_sub(1))])
                );
            }
        }
        let lx = LEFT + 140.0 * k as f64;
        let _ = write!(
            svg,
            r##"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#333">{}</text>"##,
            HEIGHT - 16.0,
            s.colour,
            lx + 14.0,
            HEIGHT - 7.0,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_each_value_leaves_gaps_and_escapes_its_words() {
        let labels: Vec<String> = ["2026-09", "2026-10", "2026-11"].iter().map(|s| s.to_string()).collect();
        let s = Series { name: "投诉<量>".into(), colour: "#c0392b", values: vec![Some(3.0), None, Some(7.0)] };
        let svg = line("趋势", &labels, &[s], None);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches(" M").count() + svg.matches("\"M").count(), 2, "a gap starts a new line: {svg}");
        assert!(svg.contains("投诉&lt;量&gt;") && !svg.contains("<量>"));
        assert_eq!(nice_top(7.0), 10.0);
        assert_eq!(nice_top(130.0), 200.0);
        assert_eq!(nice_top(0.0), 1.0);
    }
}
