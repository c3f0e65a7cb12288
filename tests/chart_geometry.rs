//! Issue 17: every chart's labels and keys lie inside its canvas and never over its data. Read
//! from the SVG geometry: each `<text>` gets a box from its position, anchor, baseline shift,
//! rotation and an average glyph width (the browser measures text, not plotters, so the
//! estimate is generous); each data mark (a line, area, bar or dot in a series colour) gets
//! its outline. A text box that leaves the canvas or crosses a mark fails the test.

mod common;

use std::path::Path;

use entente::report::charts;

/// The series colours as plotters writes them: a text over one of these is over data.
const SERIES_COLOURS: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

/// Average advance of a sans-serif glyph as a share of the font size (digits are 0.556 em in
/// Helvetica and Arial, lower case about 0.5): generous, so that a real overlap is not missed.
const GLYPH_WIDTH_EM: f64 = 0.56;

/// Pixels a text box may touch a mark or the canvas edge by: anti-aliasing, not overlap.
const TOLERANCE: f64 = 1.0;

#[derive(Clone, Copy, Debug)]
struct Box2 {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Box2 {
    fn shrunk(self, by: f64) -> Box2 {
        Box2 {
            left: self.left + by,
            top: self.top + by,
            right: self.right - by,
            bottom: self.bottom - by,
        }
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        self.left <= x && x <= self.right && self.top <= y && y <= self.bottom
    }

    /// Whether the segment from `a` to `b` passes through the box (Liang–Barsky clipping).
    fn crossed_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let mut low: f64 = 0.0;
        let mut high: f64 = 1.0;
        for (p, q) in [
            (-dx, a.0 - self.left),
            (dx, self.right - a.0),
            (-dy, a.1 - self.top),
            (dy, self.bottom - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    low = low.max(t);
                } else {
                    high = high.min(t);
                }
            }
        }
        low <= high
    }
}

/// A number attribute, 0 when absent.
fn number(node: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name)
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The box a `<text>` element covers.
fn text_box(node: roxmltree::Node<'_, '_>) -> Box2 {
    let text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let characters = text.trim().chars().count() as f64;
    let size = number(node, "font-size");
    let (x, y) = (number(node, "x"), number(node, "y"));
    let width = characters * GLYPH_WIDTH_EM * size;
    let left = match node.attribute("text-anchor") {
        Some("middle") => x - width / 2.0,
        Some("end") => x - width,
        _ => x,
    };
    // Glyphs reach about 0.75 em above the baseline and 0.2 em below it; `dy` moves the
    // baseline (an ex is about half an em).
    let baseline = y + match node.attribute("dy") {
        Some(shift) if shift.ends_with("em") => {
            shift.trim_end_matches("em").parse::<f64>().unwrap_or(0.0) * size
        }
        Some(shift) if shift.ends_with("ex") => {
            shift.trim_end_matches("ex").parse::<f64>().unwrap_or(0.0) * size * 0.5
        }
        _ => 0.0,
    };
    let (top, bottom) = match node.attribute("dominant-baseline") {
        Some("middle") | Some("central") => (y - 0.5 * size, y + 0.5 * size),
        _ => (baseline - 0.75 * size, baseline + 0.2 * size),
    };
    let unrotated = Box2 {
        left,
        top,
        right: left + width,
        bottom,
    };
    // plotters writes rotated axis descriptions as `rotate(270, cx, cy)`.
    match node.attribute("transform") {
        Some(transform) if transform.starts_with("rotate(") => {
            let parts: Vec<f64> = transform
                .trim_start_matches("rotate(")
                .trim_end_matches(')')
                .split(',')
                .filter_map(|part| part.trim().parse().ok())
                .collect();
            let (angle, cx, cy) = (parts[0], parts[1], parts[2]);
            let radians = angle.to_radians();
            let rotate = |(px, py): (f64, f64)| {
                let (dx, dy) = (px - cx, py - cy);
                (
                    cx + dx * radians.cos() - dy * radians.sin(),
                    cy + dx * radians.sin() + dy * radians.cos(),
                )
            };
            let corners = [
                rotate((unrotated.left, unrotated.top)),
                rotate((unrotated.right, unrotated.top)),
                rotate((unrotated.left, unrotated.bottom)),
                rotate((unrotated.right, unrotated.bottom)),
            ];
            Box2 {
                left: corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min),
                top: corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min),
                right: corners
                    .iter()
                    .map(|c| c.0)
                    .fold(f64::NEG_INFINITY, f64::max),
                bottom: corners
                    .iter()
                    .map(|c| c.1)
                    .fold(f64::NEG_INFINITY, f64::max),
            }
        }
        _ => unrotated,
    }
}

/// A data mark's outline: segments, and filled boxes or polygons.
enum Mark {
    Segments(Vec<((f64, f64), (f64, f64))>),
    Area(Vec<(f64, f64)>),
}

fn points(text: &str) -> Vec<(f64, f64)> {
    text.split_whitespace()
        .filter_map(|pair| {
            let (x, y) = pair.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

fn is_series_colour(node: roxmltree::Node<'_, '_>, attribute: &str) -> bool {
    node.attribute(attribute)
        .is_some_and(|colour| SERIES_COLOURS.contains(&colour.to_uppercase().as_str()))
}

/// The data marks of a chart: shapes stroked or filled in a series colour.
fn marks(document: &roxmltree::Document<'_>) -> Vec<Mark> {
    let mut found = Vec::new();
    for node in document.descendants().filter(|node| node.is_element()) {
        let filled = is_series_colour(node, "fill");
        let stroked = is_series_colour(node, "stroke");
        if !filled && !stroked {
            continue;
        }
        match node.tag_name().name() {
            "polyline" | "polygon" => {
                let outline = points(node.attribute("points").unwrap_or(""));
                if filled && outline.len() > 2 {
                    found.push(Mark::Area(outline));
                } else {
                    found.push(Mark::Segments(
                        outline.windows(2).map(|pair| (pair[0], pair[1])).collect(),
                    ));
                }
            }
            "line" => found.push(Mark::Segments(vec![(
                (number(node, "x1"), number(node, "y1")),
                (number(node, "x2"), number(node, "y2")),
            )])),
            "rect" => {
                let (x, y) = (number(node, "x"), number(node, "y"));
                let (width, height) = (number(node, "width"), number(node, "height"));
                found.push(Mark::Area(vec![
                    (x, y),
                    (x + width, y),
                    (x + width, y + height),
                    (x, y + height),
                ]));
            }
            "circle" => {
                let (x, y, r) = (number(node, "cx"), number(node, "cy"), number(node, "r"));
                found.push(Mark::Area(vec![
                    (x - r, y - r),
                    (x + r, y - r),
                    (x + r, y + r),
                    (x - r, y + r),
                ]));
            }
            _ => {}
        }
    }
    found
}

/// Whether `point` lies inside the polygon (even-odd rule).
fn inside(polygon: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
    let mut result = false;
    let mut previous = polygon[polygon.len() - 1];
    for &current in polygon {
        if (current.1 > y) != (previous.1 > y)
            && x < (previous.0 - current.0) * (y - current.1) / (previous.1 - current.1) + current.0
        {
            result = !result;
        }
        previous = current;
    }
    result
}

fn overlaps(mark: &Mark, text: &Box2) -> bool {
    match mark {
        Mark::Segments(segments) => segments.iter().any(|&(a, b)| text.crossed_by(a, b)),
        Mark::Area(polygon) => {
            let corners = [
                (text.left, text.top),
                (text.right, text.top),
                (text.left, text.bottom),
                (text.right, text.bottom),
            ];
            corners.iter().any(|&corner| inside(polygon, corner))
                || polygon.iter().any(|&vertex| text.contains(vertex))
                || polygon
                    .iter()
                    .zip(polygon.iter().cycle().skip(1))
                    .any(|(&a, &b)| text.crossed_by(a, b))
        }
    }
}

/// Every problem of one chart: texts outside the canvas or over a data mark.
fn problems(name: &str, svg: &str) -> Vec<String> {
    let document =
        roxmltree::Document::parse(svg).unwrap_or_else(|error| panic!("{name}: {error}"));
    let root = document.root_element();
    let canvas = Box2 {
        left: 0.0,
        top: 0.0,
        right: number(root, "width"),
        bottom: number(root, "height"),
    };
    let data = marks(&document);
    let mut found = Vec::new();
    for node in document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
    {
        let label: String = node
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        let label = label.trim();
        if label.is_empty() {
            continue;
        }
        let text = text_box(node).shrunk(TOLERANCE);
        if !(canvas.contains((text.left, text.top)) && canvas.contains((text.right, text.bottom))) {
            found.push(format!("{name}: {label:?} leaves the canvas ({text:?})"));
        }
        if data.iter().any(|mark| overlaps(mark, &text)) {
            found.push(format!("{name}: {label:?} lies over data ({text:?})"));
        }
    }
    found
}

/// Checks every SVG in `directory`, and that there are some.
fn check_directory(directory: &Path) -> usize {
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "svg") {
            let svg = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            found.extend(problems(&name, &svg));
            checked += 1;
        }
    }
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
    checked
}

#[test]
fn issue_17_report_charts_keep_labels_and_keys_inside_and_off_the_data() {
    let directory = tempfile::tempdir().unwrap();
    let report = directory.path().join("report.html");
    common::entente_ok(
        common::repository(),
        &[
            "compare",
            "scenarios/venezuela/baseline.toml",
            "scenarios/venezuela/no_war.toml",
            "--runs",
            "512",
            "--quiet",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let checked = check_directory(&directory.path().join("report-charts"));
    assert!(checked > 100, "only {checked} charts");

    let single = directory.path().join("single/report.html");
    common::entente_ok(
        common::repository(),
        &[
            "batch",
            "scenarios/minimal.toml",
            "--runs",
            "512",
            "--quiet",
            "--report",
            single.to_str().unwrap(),
        ],
    );
    assert!(check_directory(&directory.path().join("single/report-charts")) > 10);
}

#[test]
fn issue_17_exploration_charts_keep_labels_and_keys_inside_and_off_the_data() {
    let bars: Vec<charts::SobolBar<'_>> = ["rules.regime_survival.revenue_elasticity", "a", "b"]
        .iter()
        .enumerate()
        .map(|(index, input)| charts::SobolBar {
            input,
            first: 0.6 / (index + 1) as f64,
            first_interval: (0.5 / (index + 1) as f64, 0.7 / (index + 1) as f64),
            total: 0.9 / (index + 1) as f64,
            total_interval: (0.8 / (index + 1) as f64, 1.0 / (index + 1) as f64),
        })
        .collect();
    let mut found = problems(
        "sobol",
        &charts::sobol_bars("Sobol' indices", &bars).unwrap(),
    );
    let trajectory: Vec<(f64, f64)> = (0..20)
        .map(|step| (1.0 - step as f64 * 0.045, 0.3 + step as f64 * 0.035))
        .collect();
    found.extend(problems(
        "prim",
        &charts::prim_tradeoff("PRIM trade-off", &trajectory, 12).unwrap(),
    ));
    let rows = [
        charts::ForestRow {
            label: "arms_share_rus_2030",
            estimate: 0.32,
            low: 0.31,
            high: 0.33,
            relevant: Some(0.05),
            series: 1,
        },
        charts::ForestRow {
            label: "survives_2030",
            estimate: -0.024,
            low: -0.028,
            high: -0.02,
            relevant: Some(0.01),
            series: 1,
        },
    ];
    found.extend(problems(
        "forest",
        &charts::forest("Differences", "difference", &rows).unwrap(),
    ));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The check itself: a label written over a bar is found.
#[test]
fn a_label_over_a_bar_is_found() {
    let svg = r##"<svg width="200" height="100" xmlns="http://www.w3.org/2000/svg">
<rect x="10" y="10" width="100" height="50" fill="#0072B2"/>
<text x="20" y="30" font-size="12">over the bar</text>
<text x="150" y="90" font-size="12">outside the canvas</text>
<text x="10" y="90" font-size="10">fine</text>
</svg>"##;
    let found = problems("test", svg);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("over the bar") && found[0].contains("over data"));
    assert!(found[1].contains("outside the canvas") && found[1].contains("leaves the canvas"));
}
