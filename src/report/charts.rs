//! The report's charts as SVG text, drawn with plotters' SVG backend: outcome distributions and
//! their CDFs, probabilities with intervals, fan charts of monthly envelopes, and the tie
//! network of one actor. Each chart has a title, axis descriptions with units and a legend
//! naming its series (the scenarios), so that it stands alone in a paper or a slide.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::sketch::Histogram;
use crate::summary::{Envelope, Probability};

/// Width and height of a chart, in SVG pixels.
const WIDTH: u32 = 760;
const HEIGHT: u32 = 380;

/// Series colours: the Okabe–Ito palette, told apart by people with the common colour-vision
/// deficiencies; a scenario keeps its colour in every chart.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

/// The colour of the `index`-th scenario.
pub fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The colour of the `index`-th scenario as CSS.
pub fn css_colour(index: usize) -> String {
    let RGBColor(red, green, blue) = colour(index);
    format!("#{red:02x}{green:02x}{blue:02x}")
}

/// Why a chart could not be drawn (plotters' errors, which an SVG string target should not
/// give).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart {chart}: {message}")]
pub struct ChartError {
    /// The chart's title.
    pub chart: String,
    /// What plotters reported.
    pub message: String,
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws into an SVG string of the standard size.
fn render(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into));
        drawn.map_err(|error| ChartError {
            chart: title.to_string(),
            message: error.to_string(),
        })?;
    }
    Ok(svg)
}

/// How an entry of a chart's key marks its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// A short line, for series drawn as lines.
    Line,
    /// A filled square, for bars and areas.
    Swatch,
    /// An open circle, for a marked point.
    Ring,
    /// A dot on a line: an estimate and its interval.
    DotOnLine,
}

/// One entry of a chart's key: its series' mark and colour, and its label.
struct Key {
    label: String,
    colour: RGBColor,
    mark: Mark,
}

impl Key {
    fn new(label: impl Into<String>, colour: RGBColor, mark: Mark) -> Key {
        Key {
            label: label.into(),
            colour,
            mark,
        }
    }
}

/// Height of one row of a chart's key, in pixels.
const KEY_ROW_HEIGHT: u32 = 18;

/// Width of a key entry's mark and the gap before its label, in pixels.
const KEY_MARK_WIDTH: i32 = 26;

/// Gap between two entries on a row of the key, in pixels.
const KEY_GAP: i32 = 22;

/// A generous estimate of the width of one character of the key's font (12 points, which
/// plotters' SVG writes as about 9.7 pixels): the browser measures the text, not plotters,
/// so the layout leaves room for wide glyphs.
const KEY_CHAR_WIDTH: f64 = 6.2;

/// Each key entry's row and left edge: entries left to right, a new row when the next would
/// pass the right margin.
fn key_layout(keys: &[Key], width: u32) -> Vec<(usize, i32)> {
    let right = width as i32 - 12;
    let mut placed = Vec::with_capacity(keys.len());
    let (mut row, mut x) = (0, 12);
    for key in keys {
        let entry = KEY_MARK_WIDTH + (key.label.chars().count() as f64 * KEY_CHAR_WIDTH) as i32;
        if x > 12 && x + entry > right {
            row += 1;
            x = 12;
        }
        placed.push((row, x));
        x += entry + KEY_GAP;
    }
    placed
}

/// [`render`] with the chart's key in a strip of its own under the plot, so that the key
/// never covers data: `draw` gets the area above the strip, of the size given.
fn render_keyed(
    title: &str,
    (width, height): (u32, u32),
    keys: &[Key],
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<String, ChartError> {
    let layout = key_layout(keys, width);
    let rows = layout.last().map_or(0, |&(row, _)| row + 1) as u32;
    let strip = if rows == 0 {
        0
    } else {
        rows * KEY_ROW_HEIGHT + 8
    };
    render(title, (width, height + strip), |root| {
        let (plot, strip_area) = root.split_vertically(height);
        draw(&plot)?;
        for (key, &(row, x)) in keys.iter().zip(&layout) {
            let y = 4 + (row as u32 * KEY_ROW_HEIGHT) as i32 + KEY_ROW_HEIGHT as i32 / 2;
            match key.mark {
                Mark::Line => strip_area.draw(&PathElement::new(
                    vec![(x, y), (x + 18, y)],
                    key.colour.stroke_width(2),
                ))?,
                Mark::Swatch => strip_area.draw(&Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    key.colour.mix(0.8).filled(),
                ))?,
                Mark::Ring => {
                    strip_area.draw(&Circle::new((x + 8, y), 6, key.colour.stroke_width(3)))?
                }
                Mark::DotOnLine => {
                    strip_area.draw(&PathElement::new(
                        vec![(x, y), (x + 18, y)],
                        key.colour.stroke_width(3),
                    ))?;
                    strip_area.draw(&Circle::new((x + 9, y), 5, key.colour.filled()))?
                }
            }
            strip_area.draw(&Text::new(
                key.label.clone(),
                (x + KEY_MARK_WIDTH, y),
                TextStyle::from(("sans-serif", 12).into_font())
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    })
}

/// "YYYY-MM" of the month `offset` months after `first_year`-`first_month`, for time axes
/// whose ticks fall where plotters puts them, not only on January.
fn month_label(first_year: i32, first_month: u32, offset: f64) -> String {
    let month = i64::from(first_month) - 1 + offset.round() as i64;
    format!(
        "{}-{:02}",
        i64::from(first_year) + month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

/// A chart builder with the title and the room for axis labels every plot here uses.
fn framed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(70);
    builder
}

/// A padded range around `low..high` for an axis, never empty.
fn axis_range(low: f64, high: f64) -> std::ops::Range<f64> {
    if !low.is_finite() || !high.is_finite() {
        return 0.0..1.0;
    }
    let span = high - low;
    if span <= 0.0 {
        let pad = low.abs().max(1.0) * 0.05;
        return low - pad..high + pad;
    }
    low - span * 0.03..high + span * 0.03
}

/// One scenario's histogram of an outcome.
pub struct HistogramSeries<'a> {
    /// The scenario's name, for the legend.
    pub scenario: &'a str,
    /// The outcome's histogram in that scenario.
    pub histogram: &'a Histogram,
}

/// The key of a chart of histogram series: each scenario's line.
fn histogram_keys(series: &[HistogramSeries<'_>]) -> Vec<Key> {
    series
        .iter()
        .enumerate()
        .map(|(index, series)| Key::new(series.scenario, colour(index), Mark::Line))
        .collect()
}

/// The smallest lower edge and the largest upper edge of the series' bins as drawn.
fn histogram_span(series: &[HistogramSeries<'_>]) -> (f64, f64) {
    series
        .iter()
        .flat_map(|series| densities(series.histogram))
        .fold(
            (f64::INFINITY, f64::NEG_INFINITY),
            |(low, high), (left, right, _)| (low.min(left), high.max(right)),
        )
}

/// Density of each bin: the share of the runs in it divided by its width, so that scenarios
/// whose bins differ can be overlaid. `(left edge, right edge, density)`. A histogram of one
/// repeated value (low = high, every run in the first bin) is drawn as one narrow bin around
/// it, [`SPIKE_WIDTH`] of its magnitude (at least of 1) wide.
fn densities(histogram: &Histogram) -> Vec<(f64, f64, f64)> {
    let total: u64 = histogram.counts.iter().sum();
    if total == 0 {
        return Vec::new();
    }
    if histogram.high <= histogram.low {
        let width = histogram.low.abs().max(1.0) * SPIKE_WIDTH;
        let left = histogram.low - width / 2.0;
        return vec![(left, left + width, 1.0 / width)];
    }
    let width = (histogram.high - histogram.low) / histogram.counts.len() as f64;
    histogram
        .counts
        .iter()
        .enumerate()
        .map(|(index, &count)| {
            let left = histogram.low + width * index as f64;
            (left, left + width, count as f64 / total as f64 / width)
        })
        .collect()
}

/// Width of the bin drawn for an outcome with one value in every run, relative to the value.
const SPIKE_WIDTH: f64 = 0.02;

/// The distributions of one outcome across scenarios, overlaid as step outlines of their
/// histograms (density, so that different bin widths compare).
pub fn distribution(
    title: &str,
    axis: &str,
    series: &[HistogramSeries<'_>],
) -> Result<String, ChartError> {
    let binned: Vec<Vec<(f64, f64, f64)>> = series
        .iter()
        .map(|series| densities(series.histogram))
        .collect();
    let (low, high) = histogram_span(series);
    let top = binned
        .iter()
        .flatten()
        .map(|&(_, _, density)| density)
        .filter(|density| density.is_finite())
        .fold(0.0, f64::max);
    let keys = histogram_keys(series);
    render_keyed(title, (WIDTH, HEIGHT), &keys, |root| {
        let mut chart = framed(root, title)
            .build_cartesian_2d(axis_range(low, high), 0.0..(top * 1.08).max(1e-9))?;
        chart
            .configure_mesh()
            .x_desc(axis)
            .y_desc("density (share of runs per unit)")
            .light_line_style(WHITE)
            .draw()?;
        for (index, bins) in binned.iter().enumerate() {
            let colour = colour(index);
            let mut outline = Vec::with_capacity(bins.len() * 2 + 2);
            if let Some(&(left, _, _)) = bins.first() {
                outline.push((left, 0.0));
            }
            for &(left, right, density) in bins {
                outline.push((left, density));
                outline.push((right, density));
            }
            if let Some(&(_, right, _)) = bins.last() {
                outline.push((right, 0.0));
            }
            chart.draw_series(std::iter::once(Polygon::new(
                outline.clone(),
                colour.mix(0.15).filled(),
            )))?;
            chart.draw_series(LineSeries::new(outline, colour.stroke_width(2)))?;
        }
        Ok(())
    })
}

/// The cumulative distributions of one outcome across scenarios, from their histograms.
pub fn cumulative(
    title: &str,
    axis: &str,
    series: &[HistogramSeries<'_>],
) -> Result<String, ChartError> {
    let (low, high) = histogram_span(series);
    let keys = histogram_keys(series);
    render_keyed(title, (WIDTH, HEIGHT), &keys, |root| {
        let mut chart = framed(root, title).build_cartesian_2d(axis_range(low, high), 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc(axis)
            .y_desc("share of runs at or below")
            .light_line_style(WHITE)
            .draw()?;
        for (index, series) in series.iter().enumerate() {
            let colour = colour(index);
            let bins = densities(series.histogram);
            let mut share = 0.0;
            let mut steps = Vec::with_capacity(bins.len() + 1);
            if let Some(&(left, _, _)) = bins.first() {
                steps.push((left, 0.0));
            }
            for &(left, right, density) in &bins {
                share += density * (right - left);
                steps.push((right, share.min(1.0)));
            }
            chart.draw_series(LineSeries::new(steps, colour.stroke_width(2)))?;
        }
        Ok(())
    })
}

/// One scenario's probability of a yes/no outcome.
pub struct ProbabilitySeries<'a> {
    /// The scenario's name, for the axis.
    pub scenario: &'a str,
    /// The probability and its interval in that scenario.
    pub probability: &'a Probability,
}

/// Probabilities of a yes/no outcome (or of an event happening) as bars with their 95%
/// intervals as error bars, one bar per scenario.
pub fn probability(
    title: &str,
    axis: &str,
    series: &[ProbabilitySeries<'_>],
) -> Result<String, ChartError> {
    let names: Vec<String> = series.iter().map(|s| s.scenario.to_string()).collect();
    let count = series.len().max(1);
    let keys: Vec<Key> = series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            let probability = series.probability;
            Key::new(
                format!(
                    "{}: {:.3} [{:.3}, {:.3}]",
                    series.scenario,
                    probability.value,
                    probability.interval.low,
                    probability.interval.high
                ),
                colour(index),
                Mark::Swatch,
            )
        })
        .collect();
    render_keyed(title, (WIDTH, HEIGHT), &keys, |root| {
        let mut chart = framed(root, title).build_cartesian_2d(0.0..count as f64, 0.0..1.0)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(count * 2 + 1)
            .x_label_formatter(&|x| {
                let position = x - x.floor();
                if (position - 0.5).abs() < 1e-6 {
                    names.get(x.floor() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("scenario")
            .y_desc(axis)
            .light_line_style(WHITE)
            .draw()?;
        for (index, series) in series.iter().enumerate() {
            let colour = colour(index);
            let centre = index as f64 + 0.5;
            let probability = series.probability;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(centre - 0.3, 0.0), (centre + 0.3, probability.value)],
                colour.mix(0.75).filled(),
            )))?;
            let (low, high) = (probability.interval.low, probability.interval.high);
            let whisker = BLACK.stroke_width(2);
            chart.draw_series([
                PathElement::new(vec![(centre, low), (centre, high)], whisker),
                PathElement::new(vec![(centre - 0.08, low), (centre + 0.08, low)], whisker),
                PathElement::new(vec![(centre - 0.08, high), (centre + 0.08, high)], whisker),
            ])?;
        }
        Ok(())
    })
}

/// One scenario's monthly envelope of an outcome's measure.
pub struct FanSeries<'a> {
    /// The scenario's name, for the legend.
    pub scenario: &'a str,
    /// The measure's monthly envelope in that scenario.
    pub envelope: &'a Envelope,
}

/// A dated event marked on fan charts: its first month (index from the scenario start) and
/// its id. Markers are numbered in the order given; the key under the chart names them.
pub struct Marker {
    /// The event's first month, counted from the scenario start (0).
    pub month: usize,
    /// The event's id, named in the key under the chart.
    pub label: String,
}

/// Characters per line of the marker key under a fan chart.
const KEY_LINE_CHARACTERS: usize = 120;

/// The key of numbered markers, as lines of at most [`KEY_LINE_CHARACTERS`].
fn marker_key(markers: &[Marker]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("events:");
    for (index, marker) in markers.iter().enumerate() {
        let entry = format!(" {} {}", index + 1, marker.label);
        if line.chars().count() + entry.chars().count() > KEY_LINE_CHARACTERS {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(&entry);
    }
    lines.push(line);
    lines
}

/// Fan chart: per scenario, the median of a monthly measure across runs with its 50% (25th to
/// 75th percentile) and 90% (5th to 95th) bands, over the scenario's months, with events marked.
pub fn fan(
    title: &str,
    axis: &str,
    first_year: i32,
    first_month: u32,
    series: &[FanSeries<'_>],
    markers: &[Marker],
) -> Result<String, ChartError> {
    let months = series
        .iter()
        .map(|series| series.envelope.months.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let finite = |value: f64| value.is_finite().then_some(value);
    let values = series.iter().flat_map(|series| {
        series
            .envelope
            .months
            .iter()
            .flat_map(|month| [month.quantiles.p5, month.quantiles.p95])
    });
    let (low, high) = values
        .filter_map(finite)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    let key = marker_key(markers);
    let key_height = if markers.is_empty() {
        0
    } else {
        14 * key.len() as u32 + 10
    };
    let keys: Vec<Key> = series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            Key::new(
                format!("{}: median, 50% and 90% bands", series.scenario),
                colour(index),
                Mark::Line,
            )
        })
        .collect();
    render_keyed(title, (WIDTH, HEIGHT + 40 + key_height), &keys, |root| {
        let (plot, key_area) = root.split_vertically(HEIGHT + 40);
        for (line, text) in key.iter().enumerate() {
            if markers.is_empty() {
                break;
            }
            key_area.draw(&Text::new(
                text.clone(),
                (12, 4 + 14 * line as i32),
                ("sans-serif", 11).into_font().color(&RGBColor(70, 70, 70)),
            ))?;
        }
        // Event numbers sit in a band of their own above the data.
        let y_range = {
            let range = axis_range(low, high);
            if markers.is_empty() {
                range
            } else {
                range.start..range.end + (range.end - range.start) * MARKER_HEADROOM
            }
        };
        let mut chart =
            framed(&plot, title).build_cartesian_2d(0.0..(months - 1) as f64, y_range.clone())?;
        let label_month = |x: &f64| month_label(first_year, first_month, *x);
        chart
            .configure_mesh()
            .x_desc("month")
            .y_desc(axis)
            .x_label_formatter(&label_month)
            .light_line_style(WHITE)
            .draw()?;
        let span = y_range.end - y_range.start;
        // Numbers of markers closer than this many months go on alternating rows.
        const CROWDED_MONTHS: usize = 4;
        // One line per month with events, numbered with every event it starts.
        let mut months_marked: Vec<(usize, Vec<usize>)> = Vec::new();
        for (index, marker) in markers.iter().enumerate() {
            match months_marked.last_mut() {
                Some((month, numbers)) if *month == marker.month => numbers.push(index + 1),
                _ => months_marked.push((marker.month, vec![index + 1])),
            }
        }
        let mut row = 0;
        let mut previous: Option<usize> = None;
        for (month, numbers) in &months_marked {
            let x = *month as f64;
            row = match previous {
                Some(before) if *month < before + CROWDED_MONTHS => (row + 1) % 3,
                _ => 0,
            };
            previous = Some(*month);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, y_range.start), (x, y_range.end)],
                RGBColor(150, 150, 150).stroke_width(1),
            )))?;
            let label = match (numbers.first(), numbers.last()) {
                (Some(first), Some(last)) if first != last => format!("{first}–{last}"),
                (Some(first), _) => format!("{first}"),
                _ => String::new(),
            };
            chart.draw_series(std::iter::once(Text::new(
                label,
                (x, y_range.end - span * 0.035 * row as f64),
                ("sans-serif", 10).into_font().color(&RGBColor(70, 70, 70)),
            )))?;
        }
        for (index, series) in series.iter().enumerate() {
            let colour = colour(index);
            let months = &series.envelope.months;
            let band = |lower: fn(&crate::summary::Quantiles) -> f64,
                        upper: fn(&crate::summary::Quantiles) -> f64| {
                let mut points: Vec<(f64, f64)> = months
                    .iter()
                    .enumerate()
                    .filter_map(|(m, month)| {
                        finite(upper(&month.quantiles)).map(|value| (m as f64, value))
                    })
                    .collect();
                let lower_points: Vec<(f64, f64)> = months
                    .iter()
                    .enumerate()
                    .filter_map(|(m, month)| {
                        finite(lower(&month.quantiles)).map(|value| (m as f64, value))
                    })
                    .collect();
                points.extend(lower_points.into_iter().rev());
                points
            };
            chart.draw_series(std::iter::once(Polygon::new(
                band(|q| q.p5, |q| q.p95),
                colour.mix(0.12).filled(),
            )))?;
            chart.draw_series(std::iter::once(Polygon::new(
                band(|q| q.p25, |q| q.p75),
                colour.mix(0.28).filled(),
            )))?;
            let median: Vec<(f64, f64)> = months
                .iter()
                .enumerate()
                .filter_map(|(m, month)| finite(month.quantiles.median).map(|v| (m as f64, v)))
                .collect();
            chart.draw_series(LineSeries::new(median, colour.stroke_width(2)))?;
        }
        Ok(())
    })
}

/// The room above a fan chart's data for the numbers of the events, as a share of the data's
/// span: three rows of numbers, each 3.5% of the plot's height.
const MARKER_HEADROOM: f64 = 0.14;

/// One event on a scenario's timeline: months from the scenario start (the end inclusive;
/// equal to the start for one-off shocks), its id and its kind.
pub struct TimelineEvent {
    /// The event's id.
    pub label: String,
    /// The event's kind, such as "sanctions", which sets its colour.
    pub kind: &'static str,
    /// The first month, counted from the scenario start (0).
    pub start: usize,
    /// The last month, inclusive, counted likewise.
    pub end: usize,
}

/// Pixels per event row of a timeline.
const TIMELINE_ROW: u32 = 17;

/// A scenario's events as bars over its months, one row each in date order, coloured by kind
/// (one-off shocks as dots).
pub fn timeline(
    title: &str,
    first_year: i32,
    first_month: u32,
    months: usize,
    events: &[TimelineEvent],
) -> Result<String, ChartError> {
    let mut kinds: Vec<&str> = Vec::new();
    for event in events {
        if !kinds.contains(&event.kind) {
            kinds.push(event.kind);
        }
    }
    let rows = events.len().max(1);
    let height = 100 + TIMELINE_ROW * rows as u32;
    let keys: Vec<Key> = kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| Key::new(*kind, colour(index), Mark::Swatch))
        .collect();
    render_keyed(title, (WIDTH + 200, height), &keys, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            // Room for the last month's label, centred on the right edge.
            .margin_right(40)
            .x_label_area_size(42)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..months.max(2) as f64, -0.5..rows as f64 - 0.5)?;
        let label_month = |x: &f64| month_label(first_year, first_month, *x);
        let label_event = |y: &f64| {
            let row = y.round();
            if (y - row).abs() > 1e-6 || row < 0.0 {
                return String::new();
            }
            events
                .get(rows - 1 - row as usize)
                .map(|event| event.label.clone())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_desc("month")
            .y_desc("event")
            .x_label_formatter(&label_month)
            .y_labels(rows)
            .y_label_formatter(&label_event)
            .disable_y_mesh()
            .light_line_style(WHITE)
            .draw()?;
        for (kind_index, kind) in kinds.iter().enumerate() {
            let colour = colour(kind_index);
            for (index, event) in events.iter().enumerate().filter(|(_, e)| e.kind == *kind) {
                let y = (rows - 1 - index) as f64;
                // One-off events (shocks, tie changes) are one month wide and drawn solid.
                let (end, fill) = if event.end > event.start {
                    (event.end as f64 + 1.0, colour.mix(0.8).filled())
                } else {
                    (event.start as f64 + 1.0, colour.filled())
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(event.start as f64, y - 0.35), (end, y + 0.35)],
                    fill,
                )))?;
            }
        }
        Ok(())
    })
}

/// One partner of the focus actor in a tie network.
pub struct NetworkTie {
    /// The partner's actor id.
    pub partner: String,
    /// The tie's weight at the start, in [0, 1].
    pub start: f64,
    /// The tie's weight at the end, in [0, 1].
    pub end: f64,
}

/// The focus actor's ties to each partner at the start and at the end, side by side: the
/// actor in the middle, partners around it, each line as wide as the tie's weight.
pub fn network(
    title: &str,
    actor: &str,
    measure: &str,
    ties: &[NetworkTie],
    scenario_index: usize,
) -> Result<String, ChartError> {
    render(title, (WIDTH, HEIGHT + 60), |root| {
        let titled = root.titled(title, ("sans-serif", 18))?;
        let panels = titled.split_evenly((1, 2));
        for (panel, (label, pick)) in panels.iter().zip([
            (
                "start",
                (|tie: &NetworkTie| tie.start) as fn(&NetworkTie) -> f64,
            ),
            ("end", |tie: &NetworkTie| tie.end),
        ]) {
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("{actor} (centre), {label}: {measure}"),
                    ("sans-serif", 14),
                )
                .margin(8)
                .build_cartesian_2d(-1.45..1.45, -1.3..1.3)?;
            let colour = colour(scenario_index);
            let count = ties.len().max(1);
            for (index, tie) in ties.iter().enumerate() {
                let angle = std::f64::consts::TAU * index as f64 / count as f64;
                let (x, y) = (angle.cos(), angle.sin());
                let weight = pick(tie);
                if weight.is_finite() && weight > 0.0 {
                    let width = (1.0 + weight * 14.0).round() as u32;
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, 0.0), (x, y)],
                        colour.mix(0.8).stroke_width(width),
                    )))?;
                }
                chart.draw_series(std::iter::once(Circle::new(
                    (x, y),
                    4,
                    RGBColor(60, 60, 60).filled(),
                )))?;
                // Each label sits outside its partner's node, on the side away from the
                // centre, so that no tie's line runs through it.
                let horizontal = if x > 0.3 {
                    HPos::Left
                } else if x < -0.3 {
                    HPos::Right
                } else {
                    HPos::Center
                };
                let vertical = if y > 0.3 {
                    VPos::Bottom
                } else if y < -0.3 {
                    VPos::Top
                } else {
                    VPos::Center
                };
                chart.draw_series(std::iter::once(Text::new(
                    format!("{} {:.2}", tie.partner, weight),
                    (x * 1.08, y * 1.08),
                    TextStyle::from(("sans-serif", 11).into_font())
                        .pos(Pos::new(horizontal, vertical)),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new((0.0, 0.0), 7, BLACK.filled())))?;
        }
        Ok(())
    })
}

/// One input's bar pair in a Sobol' chart: its key and its indices.
pub struct SobolBar<'a> {
    /// The input's parameter key.
    pub input: &'a str,
    /// The first-order index.
    pub first: f64,
    /// The first-order index's interval, (low, high).
    pub first_interval: (f64, f64),
    /// The total index.
    pub total: f64,
    /// The total index's interval, (low, high).
    pub total_interval: (f64, f64),
}

/// Height of a Sobol' chart per input (two bars and a gap), in SVG pixels.
const SOBOL_ROW_HEIGHT: u32 = 30;
/// Room for the input keys left of a Sobol' or PRIM chart.
const KEY_AREA_WIDTH: u32 = 330;

/// A chart builder for one row per named input: the title, and room for the names left of
/// the plot.
fn keyed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(KEY_AREA_WIDTH);
    builder
}

/// The name of the row whose middle is at `y` on a chart with a row per key, the first key
/// at the top; empty between rows.
fn row_key(keys: &[String], y: f64) -> String {
    let position = y - y.floor();
    let row = y.floor() as usize;
    if (position - 0.5).abs() < 1e-6 && row < keys.len() {
        keys[keys.len() - 1 - row].clone()
    } else {
        String::new()
    }
}

/// One row of a forest plot: a paired difference with its interval.
pub struct ForestRow<'a> {
    /// The row's label (the outcome, and the variant when there are several).
    pub label: &'a str,
    /// The difference.
    pub estimate: f64,
    /// Its 95% interval's lower limit.
    pub low: f64,
    /// Its 95% interval's upper limit.
    pub high: f64,
    /// The smallest difference declared to matter, drawn as a grey band ±relevant.
    pub relevant: Option<f64>,
    /// Colour index of the variant the difference belongs to.
    pub series: usize,
}

/// Paired differences as a forest plot: one row per difference in the order given (the
/// caller ranks them), a dot at the estimate, a line over its 95% interval, a grey band over
/// ±the threshold that matters, and a vertical line at 0.
pub fn forest(title: &str, axis: &str, rows: &[ForestRow<'_>]) -> Result<String, ChartError> {
    let count = rows.len().max(1);
    let height = 110 + SOBOL_ROW_HEIGHT * count as u32;
    let labels: Vec<String> = rows.iter().map(|row| row.label.to_string()).collect();
    let reach = rows
        .iter()
        .flat_map(|row| [row.low.abs(), row.high.abs(), row.relevant.unwrap_or(0.0)])
        .filter(|value| value.is_finite())
        .fold(0.0_f64, f64::max);
    let reach = if reach > 0.0 { reach * 1.1 } else { 1.0 };
    let mut keys = vec![Key::new(
        "mean paired difference and its 95% interval",
        RGBColor(60, 60, 60),
        Mark::DotOnLine,
    )];
    if rows.iter().any(|row| row.relevant.is_some()) {
        keys.push(Key::new(
            "± the smallest difference declared to matter",
            RGBColor(200, 200, 200),
            Mark::Swatch,
        ));
    }
    render_keyed(
        title,
        (WIDTH + KEY_AREA_WIDTH - 70, height),
        &keys,
        |root| {
            let mut builder = keyed(root, title);
            let mut chart = builder.build_cartesian_2d(-reach..reach, 0.0..count as f64)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(count * 2 + 1)
                .y_label_formatter(&|y| row_key(&labels, *y))
                .x_desc(axis)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for (index, row) in rows.iter().enumerate() {
                let y = (count - 1 - index) as f64 + 0.5;
                if let Some(relevant) = row.relevant {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(-relevant, y - 0.4), (relevant, y + 0.4)],
                        RGBColor(200, 200, 200).mix(0.5).filled(),
                    )))?;
                }
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, count as f64)],
                BLACK.stroke_width(1),
            )))?;
            for (index, row) in rows.iter().enumerate() {
                let y = (count - 1 - index) as f64 + 0.5;
                let colour = colour(row.series);
                chart.draw_series([
                    PathElement::new(vec![(row.low, y), (row.high, y)], colour.stroke_width(3)),
                    PathElement::new(
                        vec![(row.low, y - 0.15), (row.low, y + 0.15)],
                        colour.stroke_width(2),
                    ),
                    PathElement::new(
                        vec![(row.high, y - 0.15), (row.high, y + 0.15)],
                        colour.stroke_width(2),
                    ),
                ])?;
                chart.draw_series(std::iter::once(Circle::new(
                    (row.estimate, y),
                    5,
                    colour.filled(),
                )))?;
            }
            Ok(())
        },
    )
}

/// Sobol' indices as horizontal bars, one pair per input (first-order dark, total light),
/// each with its 95% interval as a whisker; inputs in the order given (the caller sorts).
pub fn sobol_bars(title: &str, bars: &[SobolBar<'_>]) -> Result<String, ChartError> {
    let count = bars.len().max(1);
    let height = 110 + SOBOL_ROW_HEIGHT * count as u32;
    let keys: Vec<String> = bars.iter().map(|bar| bar.input.to_string()).collect();
    let high = bars
        .iter()
        .map(|bar| bar.total_interval.1.max(bar.first_interval.1))
        .fold(1.0_f64, f64::max)
        .min(1.5);
    let low = bars
        .iter()
        .map(|bar| bar.first_interval.0.min(bar.total_interval.0))
        .fold(0.0_f64, f64::min)
        .max(-0.5);
    let (first_colour, total_colour) = (colour(0), colour(5));
    let legend = [
        Key::new("total index, 95% interval", total_colour, Mark::Swatch),
        Key::new(
            "first-order index, 95% interval",
            first_colour,
            Mark::Swatch,
        ),
    ];
    render_keyed(
        title,
        (WIDTH + KEY_AREA_WIDTH - 70, height),
        &legend,
        |root| {
            let mut builder = keyed(root, title);
            let mut chart = builder.build_cartesian_2d(low..high, 0.0..count as f64)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(count * 2 + 1)
                .y_label_formatter(&|y| row_key(&keys, *y))
                .x_desc("share of the output's variance (index)")
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for (index, bar) in bars.iter().enumerate() {
                let row = (count - 1 - index) as f64;
                let series = [
                    (row + 0.55, bar.total, bar.total_interval, total_colour),
                    (row + 0.2, bar.first, bar.first_interval, first_colour),
                ];
                for (bottom, value, (whisker_low, whisker_high), fill) in series {
                    let top = bottom + 0.3;
                    let middle = bottom + 0.15;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(0.0, bottom), (value, top)],
                        fill.mix(0.85).filled(),
                    )))?;
                    let whisker = BLACK.stroke_width(1);
                    chart.draw_series([
                        PathElement::new(
                            vec![(whisker_low, middle), (whisker_high, middle)],
                            whisker,
                        ),
                        PathElement::new(
                            vec![(whisker_low, bottom + 0.05), (whisker_low, top - 0.05)],
                            whisker,
                        ),
                        PathElement::new(
                            vec![(whisker_high, bottom + 0.05), (whisker_high, top - 0.05)],
                            whisker,
                        ),
                    ])?;
                }
            }
            Ok(())
        },
    )
}

/// Inputs named next to their point on a Morris chart: the most influential, so that labels
/// of the many inputs near the origin do not cover each other.
const MORRIS_LABELS: usize = 8;

/// The Morris μ*–σ plane: one point per input (`(key, μ*, σ)`); the `MORRIS_LABELS`
/// inputs of highest μ* are numbered by rank, and the key under the plot names them (names
/// beside close points would cover each other). Points on the diagonal σ = μ* act through
/// interactions or non-linearly as much as directly.
pub fn morris_plane(title: &str, points: &[(&str, f64, f64)]) -> Result<String, ChartError> {
    let high_x = points.iter().map(|point| point.1).fold(0.0_f64, f64::max);
    let high_y = points.iter().map(|point| point.2).fold(0.0_f64, f64::max);
    // Every effect 0 (an output the inputs do not move) still gets a readable axis.
    let top = if high_x.max(high_y) > 0.0 {
        high_x.max(high_y) * 1.15
    } else {
        1.0
    };
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| points[b].1.total_cmp(&points[a].1));
    let labelled: Vec<usize> = order
        .into_iter()
        .take(MORRIS_LABELS)
        .filter(|&index| points[index].1 > 0.0)
        .collect();
    let key_height = 18 * labelled.len().div_ceil(2) as u32 + 16;
    render(title, (WIDTH, HEIGHT + 120 + key_height), |root| {
        let (plot, key) = root.split_vertically(HEIGHT + 120);
        let mut chart = framed(&plot, title).build_cartesian_2d(0.0..top, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("mu* (mean absolute elementary effect)")
            .y_desc("sigma (spread of the effects)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (top, top)],
            RGBColor(160, 160, 160).stroke_width(1),
        )))?;
        let dot = colour(0);
        chart.draw_series(
            points
                .iter()
                .map(|&(_, mu_star, sigma)| Circle::new((mu_star, sigma), 4, dot.filled())),
        )?;
        chart.draw_series(labelled.iter().enumerate().map(|(rank, &index)| {
            let (_, mu_star, sigma) = points[index];
            Text::new(
                format!("{}", rank + 1),
                (mu_star, sigma),
                ("sans-serif", 12).into_font().color(&BLACK),
            )
        }))?;
        let style = ("sans-serif", 12).into_font().color(&BLACK);
        for (rank, &index) in labelled.iter().enumerate() {
            let column = (rank % 2) as i32;
            let line = (rank / 2) as i32;
            key.draw(&Text::new(
                format!("{}: {}", rank + 1, points[index].0),
                (80 + column * 340, 4 + line * 18),
                style.clone(),
            ))?;
        }
        Ok(())
    })
}

/// PRIM's peeling and pasting trajectory: density against coverage, one point per box, the
/// chosen box circled.
pub fn prim_tradeoff(
    title: &str,
    boxes: &[(f64, f64)],
    chosen: usize,
) -> Result<String, ChartError> {
    let keys: Vec<Key> = boxes
        .get(chosen)
        .map(|point| {
            Key::new(
                format!(
                    "chosen box: coverage {:.2}, density {:.2}",
                    point.0, point.1
                ),
                colour(1),
                Mark::Ring,
            )
        })
        .into_iter()
        .collect();
    render_keyed(title, (WIDTH, HEIGHT), &keys, |root| {
        let mut chart = framed(root, title).build_cartesian_2d(0.0..1.02, 0.0..1.02)?;
        chart
            .configure_mesh()
            .x_desc("coverage (share of the points of interest inside the box)")
            .y_desc("density (share inside that is of interest)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let line = colour(0);
        chart.draw_series(LineSeries::new(boxes.iter().copied(), line.stroke_width(2)))?;
        chart.draw_series(
            boxes
                .iter()
                .map(|&point| Circle::new(point, 3, line.filled())),
        )?;
        if let Some(&point) = boxes.get(chosen) {
            let mark = colour(1);
            chart.draw_series(std::iter::once(Circle::new(point, 8, mark.stroke_width(3))))?;
        }
        Ok(())
    })
}

/// One restricted input of a PRIM box: its key, the box's limits and the data's range.
pub struct BoxRange<'a> {
    /// The input's parameter key.
    pub input: &'a str,
    /// The box's lower limit, in the input's units.
    pub lower: f64,
    /// The box's upper limit, in the input's units.
    pub upper: f64,
    /// The data's smallest value of the input.
    pub minimum: f64,
    /// The data's largest value of the input.
    pub maximum: f64,
}

/// A PRIM box drawn as ranges: for each restricted input, the part of its range (scaled to
/// 0–1 between the data's minimum and maximum) the box keeps, with the limits written in the
/// input's units beside it.
pub fn prim_box(title: &str, ranges: &[BoxRange<'_>]) -> Result<String, ChartError> {
    let count = ranges.len().max(1);
    let height = 100 + SOBOL_ROW_HEIGHT * count as u32;
    let keys: Vec<String> = ranges.iter().map(|range| range.input.to_string()).collect();
    render(title, (WIDTH + KEY_AREA_WIDTH - 70, height), |root| {
        let mut builder = keyed(root, title);
        let mut chart = builder.build_cartesian_2d(-0.02..1.45, 0.0..count as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(count * 2 + 1)
            .y_label_formatter(&|y| row_key(&keys, *y))
            .x_labels(6)
            .x_label_formatter(&|x| {
                if *x <= 1.0 + 1e-9 {
                    format!("{x:.1}")
                } else {
                    String::new()
                }
            })
            .x_desc("position in the input's range (0 = its minimum, 1 = its maximum)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let kept = colour(2);
        for (index, range) in ranges.iter().enumerate() {
            let row = (count - 1 - index) as f64;
            let span = range.maximum - range.minimum;
            let scale = |value: f64| {
                if span > 0.0 {
                    (value - range.minimum) / span
                } else {
                    0.5
                }
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, row + 0.3), (1.0, row + 0.7)],
                RGBColor(225, 225, 225).filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (scale(range.lower), row + 0.3),
                    (scale(range.upper), row + 0.7),
                ],
                kept.mix(0.85).filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("[{:.4}, {:.4}]", range.lower, range.upper),
                (1.03, row + 0.62),
                ("sans-serif", 11).into_font().color(&BLACK),
            )))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(bins: &[(f64, f64, f64)]) -> f64 {
        bins.iter()
            .map(|&(left, right, density)| (right - left) * density)
            .sum()
    }

    #[test]
    fn densities_integrate_to_one_whatever_the_bins() {
        let spread = Histogram {
            low: -2.0,
            high: 3.0,
            counts: vec![1, 0, 7, 2],
        };
        let bins = densities(&spread);
        assert_eq!(bins.len(), 4);
        assert_eq!(bins[0].0, -2.0);
        assert_eq!(bins[3].1, 3.0);
        assert!((area(&bins) - 1.0).abs() < 1e-12);
        assert!((bins[2].2 - 0.7 / 1.25).abs() < 1e-12);
    }

    #[test]
    fn one_repeated_value_is_a_narrow_bin_around_it_not_an_empty_chart() {
        let constant = Histogram {
            low: 0.25,
            high: 0.25,
            counts: vec![40, 0, 0],
        };
        let bins = densities(&constant);
        assert_eq!(bins.len(), 1);
        let (left, right, _) = bins[0];
        assert!(left < 0.25 && 0.25 < right);
        assert!((area(&bins) - 1.0).abs() < 1e-12);
        let empty = Histogram {
            low: f64::NAN,
            high: f64::NAN,
            counts: vec![0; 20],
        };
        assert!(densities(&empty).is_empty());
    }

    /// Every text element of an SVG chart, and how many rectangles are filled with `colour`
    /// (plotters writes the fill as `#rrggbb`), parsed as XML.
    fn parsed(svg: &str, colour: RGBColor) -> (Vec<String>, usize) {
        let document = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        let texts = document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .filter_map(|node| node.text().map(|text| text.trim().to_string()))
            .collect();
        let RGBColor(red, green, blue) = colour;
        let fill = format!("#{red:02X}{green:02X}{blue:02X}");
        let rectangles = document
            .descendants()
            .filter(|node| node.has_tag_name("rect"))
            .filter(|node| {
                node.attribute("fill")
                    .is_some_and(|value| value.eq_ignore_ascii_case(&fill))
            })
            .count();
        (texts, rectangles)
    }

    #[test]
    fn sobol_bars_draw_two_bars_per_input_and_name_every_input() {
        let bars = [
            SobolBar {
                input: "rules.homophily.rate",
                first: 0.4,
                first_interval: (0.3, 0.5),
                total: 0.6,
                total_interval: (0.5, 0.7),
            },
            SobolBar {
                input: "actors.VEN.stability",
                first: 0.05,
                first_interval: (-0.02, 0.12),
                total: 0.1,
                total_interval: (0.08, 0.12),
            },
        ];
        let svg = sobol_bars("Sobol' indices of x", &bars).unwrap();
        let (texts, first_bars) = parsed(&svg, colour(0));
        let (_, total_bars) = parsed(&svg, colour(5));
        // One bar per input and series, plus one swatch per series in the legend.
        assert_eq!((first_bars, total_bars), (3, 3), "{svg}");
        for expected in [
            "rules.homophily.rate",
            "actors.VEN.stability",
            "first-order index, 95% interval",
            "total index, 95% interval",
        ] {
            assert!(
                texts.iter().any(|text| text == expected),
                "{expected}: {texts:?}"
            );
        }
    }

    #[test]
    fn morris_planes_number_the_largest_effects_and_name_them_below() {
        let points = [("a.b", 0.5, 0.1), ("c.d", 0.0, 0.0), ("e.f", 0.2, 0.3)];
        let svg = morris_plane("Morris screening of x", &points).unwrap();
        let (texts, _) = parsed(&svg, colour(0));
        assert!(texts.iter().any(|text| text == "1: a.b"), "{texts:?}");
        assert!(texts.iter().any(|text| text == "2: e.f"), "{texts:?}");
        // An input without effect is not labelled (it would sit on the origin's labels).
        assert!(!texts.iter().any(|text| text.contains("c.d")), "{texts:?}");
    }

    #[test]
    fn prim_boxes_show_each_restriction_with_its_limits() {
        let ranges = [BoxRange {
            input: "rules.homophily.rate",
            lower: 0.003,
            upper: 0.0076,
            minimum: 0.003,
            maximum: 0.01,
        }];
        let svg = prim_box("The chosen box", &ranges).unwrap();
        let (texts, kept) = parsed(&svg, colour(2));
        assert_eq!(kept, 1);
        assert!(
            texts.iter().any(|text| text == "[0.0030, 0.0076]"),
            "{texts:?}"
        );
        let svg = prim_tradeoff("PRIM", &[(1.0, 0.5), (0.8, 0.7), (0.5, 0.9)], 1).unwrap();
        let (texts, _) = parsed(&svg, colour(0));
        assert!(
            texts
                .iter()
                .any(|text| text == "chosen box: coverage 0.80, density 0.70"),
            "{texts:?}"
        );
    }

    #[test]
    fn month_labels_count_from_the_start_month() {
        assert_eq!(month_label(2014, 1, 0.0), "2014-01");
        assert_eq!(month_label(2014, 11, 3.0), "2015-02");
        assert_eq!(month_label(2014, 1, 203.0), "2030-12");
    }
}
