//! Comparison outputs: the terminal table of `entente compare`, and the same as JSON and CSV.

use std::fmt::Write as _;

use super::batch::{name_width, short, with_interval};
use super::csv_number;
use crate::outcome::OutcomeKind;
use crate::summary::{ComparedSide, ComparisonSummary, OutcomeComparison, PairedDifference};

/// `comparison.json`: the whole comparison; NaN is written as null.
pub fn comparison_json(summary: &ComparisonSummary) -> String {
    let mut text = serde_json::to_string_pretty(summary).expect("comparisons serialise");
    text.push('\n');
    text
}

const COMPARISON_COLUMNS: [&str; 22] = [
    "outcome",
    "kind",
    "baseline",
    "scenario",
    "baseline_mean",
    "scenario_mean",
    "baseline_median",
    "scenario_median",
    "baseline_probability",
    "scenario_probability",
    "pairs",
    "mean_difference",
    "difference_low",
    "difference_high",
    "probability_change",
    "probability_change_low",
    "probability_change_high",
    "ks_distance",
    "ks_p_value",
    "paired_half_width",
    "unpaired_half_width",
    "variance_reduction",
];

/// `comparison.csv`: one row per outcome and scenario after the first.
pub fn comparison_csv(summary: &ComparisonSummary) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(COMPARISON_COLUMNS)
        .expect("writing to memory cannot fail");
    for outcome in &summary.outcomes {
        let baseline = &outcome.sides[0];
        for (difference, side) in outcome.differences.iter().zip(&outcome.sides[1..]) {
            let probability = |side: &ComparedSide| {
                side.probability
                    .map_or(String::new(), |probability| csv_number(probability.value))
            };
            let change = difference.probability_change;
            let record = vec![
                outcome.name.clone(),
                outcome.kind.name().to_string(),
                baseline.scenario.clone(),
                side.scenario.clone(),
                csv_number(baseline.mean),
                csv_number(side.mean),
                csv_number(baseline.median),
                csv_number(side.median),
                probability(baseline),
                probability(side),
                difference.pairs.to_string(),
                csv_number(difference.mean_difference),
                csv_number(difference.interval.low),
                csv_number(difference.interval.high),
                change.map_or(String::new(), |change| csv_number(change.value)),
                change.map_or(String::new(), |change| csv_number(change.interval.low)),
                change.map_or(String::new(), |change| csv_number(change.interval.high)),
                csv_number(difference.ks_distance),
                csv_number(difference.ks_p_value),
                csv_number(difference.paired_half_width),
                csv_number(difference.unpaired_half_width),
                csv_number(difference.variance_reduction),
            ];
            writer
                .write_record(&record)
                .expect("writing to memory cannot fail");
        }
    }
    String::from_utf8(writer.into_inner().expect("writing to memory cannot fail"))
        .expect("CSV of UTF-8 fields is UTF-8")
}

/// The terminal table: per outcome each scenario's estimate, then each difference from the
/// first scenario with its interval, the KS distance and what the pairing saved.
pub fn comparison_text(summary: &ComparisonSummary) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "compare   {}\nruns      {} per scenario, paired (common random numbers), seed {}",
        summary.scenarios.join(" vs "),
        summary.runs,
        summary.seed
    );
    let width = name_width(
        summary.outcomes.iter().map(|outcome| outcome.name.as_str()),
        "outcome",
    );
    let side_width = summary
        .scenarios
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max(18);
    for (index, name) in summary.scenarios.iter().enumerate().skip(1) {
        let first = &summary.scenarios[0];
        let _ = writeln!(text, "\nB − A: {name} − {first}");
        let _ = writeln!(
            text,
            "{:width$}  {:>side_width$}  {:>side_width$}  {:<34}  {:>6}  {:>8}  {:>9}",
            "outcome", first, name, "B − A (95% CI)", "KS D", "KS p", "CI saved"
        );
        for outcome in &summary.outcomes {
            let [a, b, difference, distance, p, saved] = row_cells(outcome, index);
            let _ = writeln!(
                text,
                "{:width$}  {a:>side_width$}  {b:>side_width$}  {difference:<34}  {distance:>6}  {p:>8}  {saved:>9}",
                outcome.name,
            );
        }
    }
    let _ = writeln!(
        text,
        "\nflags: probability of yes (P); month outcomes: probability it happened; numbers: mean."
    );
    let _ = writeln!(
        text,
        "ΔP: paired change in probability (Newcombe); Δ: mean paired difference (t). KS p assumes"
    );
    let _ = writeln!(
        text,
        "independent samples (conservative for paired runs). CI saved: 1 − paired/unpaired width."
    );
    if !summary.unmatched.is_empty() {
        let _ = writeln!(
            text,
            "not compared (missing from a scenario): {}",
            summary.unmatched.join(", ")
        );
    }
    text
}

/// The comparison as Markdown tables (one per scenario after the first), for reports such as
/// docs/FINDINGS.md.
pub fn comparison_markdown(summary: &ComparisonSummary) -> String {
    let mut text = String::new();
    let first = &summary.scenarios[0];
    for (index, name) in summary.scenarios.iter().enumerate().skip(1) {
        let _ = writeln!(
            text,
            "`{name}` − `{first}`: {} paired runs, seed {}.\n",
            summary.runs, summary.seed
        );
        let _ = writeln!(
            text,
            "| outcome | `{first}` | `{name}` | B − A (95% CI) | KS D | KS p | CI saved |\n|---|---|---|---|---|---|---|"
        );
        for outcome in &summary.outcomes {
            let cells = row_cells(outcome, index);
            let _ = writeln!(text, "| `{}` | {} |", outcome.name, cells.join(" | "));
        }
        text.push('\n');
    }
    text
}

/// One outcome's row against scenario `index`: both sides, the difference, KS distance and
/// p-value, and the interval width the pairing saved.
pub(super) fn row_cells(outcome: &OutcomeComparison, index: usize) -> [String; 6] {
    let difference = &outcome.differences[index - 1];
    [
        side_text(outcome, &outcome.sides[0]),
        side_text(outcome, &outcome.sides[index]),
        difference_text(outcome.kind, difference),
        short(difference.ks_distance),
        p_value(difference.ks_p_value),
        saved(difference),
    ]
}

fn side_text(outcome: &OutcomeComparison, side: &ComparedSide) -> String {
    match (outcome.kind, side.probability) {
        (OutcomeKind::Number, _) | (_, None) => short(side.mean),
        (_, Some(probability)) => format!("P={}", short(probability.value)),
    }
}

fn difference_text(kind: OutcomeKind, difference: &PairedDifference) -> String {
    match (kind, difference.probability_change) {
        (OutcomeKind::Number, _) | (_, None) => {
            with_interval("Δ ", difference.mean_difference, difference.interval)
        }
        (_, Some(change)) => with_interval("ΔP ", change.value, change.interval),
    }
}

fn p_value(p: f64) -> String {
    if p.is_nan() {
        "-".to_string()
    } else if p < 1e-4 {
        "<1e-4".to_string()
    } else {
        format!("{p:.4}")
    }
}

fn saved(difference: &PairedDifference) -> String {
    let ratio = difference.paired_half_width / difference.unpaired_half_width;
    if ratio.is_finite() {
        format!("{:.0}%", (1.0 - ratio) * 100.0)
    } else {
        "-".to_string()
    }
}
