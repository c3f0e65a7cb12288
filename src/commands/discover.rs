//! `entente discover`: read a finished design's per-run results (checked against their
//! commit record), mark the runs of interest, and print PRIM's trade-off, its chosen box and
//! the inputs ranked by regional sensitivity; optionally write it all as JSON.

use anyhow::{Context, Result, bail};
use serde_json::json;

use entente::cli::{DiscoverArgs, RunFormat};
use entente::discovery::{Cases, PrimResult, PrimSettings};
use entente::exploration::Condition;
use entente::report::write_atomic;
use entente::results::Committed;
use entente::scenario::nearest_names;

use super::emit;
use super::sensitivity::{RUNS_FILE, SENSITIVITY_FILE};

pub fn discover_command(args: DiscoverArgs) -> Result<()> {
    let condition = Condition::parse(&args.condition)?;
    let settings = PrimSettings {
        peel_alpha: args.peel_alpha,
        mass_min: args.mass_min,
        threshold_density: args.threshold,
        ..PrimSettings::default()
    };
    let directory = Committed::open_finished(&args.directory)?;
    if !directory.contains(SENSITIVITY_FILE) || !directory.contains(RUNS_FILE) {
        bail!(
            "{} holds no design results ({SENSITIVITY_FILE} and {RUNS_FILE}): run `entente sensitivity ... --out {}` first",
            args.directory.display(),
            args.directory.display()
        );
    }
    let analysis: serde_json::Value = serde_json::from_slice(&directory.read(SENSITIVITY_FILE)?)
        .with_context(|| {
            format!(
                "{SENSITIVITY_FILE} in {} is not JSON",
                args.directory.display()
            )
        })?;
    let inputs: Vec<String> = analysis["inputs"]
        .as_array()
        .map(|inputs| {
            inputs
                .iter()
                .filter_map(|input| input["key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let bytes = directory.read(RUNS_FILE)?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read the header of {RUNS_FILE}"))?
        .iter()
        .map(str::to_string)
        .collect();
    let position = |name: &str| header.iter().position(|column| column == name);
    let input_columns: Vec<usize> = inputs
        .iter()
        .map(|key| {
            position(key).with_context(|| format!("{RUNS_FILE} has no column for the input {key}"))
        })
        .collect::<Result<_>>()?;
    let first_output = 3 + inputs.len();
    let Some(output_column) = position(&condition.output).filter(|&at| at >= first_output) else {
        let outputs = header.iter().skip(first_output).map(String::as_str);
        bail!(
            "--where: the design has no output `{}`; nearest: {}",
            condition.output,
            nearest_names(&condition.output, outputs, 3)
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    // The cases are the design's independent points: the A rows of a Sobol' design (its B
    // and AB rows share their base point's noise and most of its inputs) and the first point
    // of each Morris trajectory; each case's output is its point's mean over replications.
    let rows_per_block = analysis["block_points"]
        .as_u64()
        .filter(|&points| points > 0)
        .with_context(|| format!("{SENSITIVITY_FILE} has no block_points"))?;
    let point_column = position("point").context("runs.csv has no point column")?;
    let mut columns = vec![Vec::new(); inputs.len()];
    let mut outputs: Vec<f64> = Vec::new();
    let mut replications_seen: Vec<u64> = Vec::new();
    let mut last_point = None;
    for (row, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{RUNS_FILE}: cannot read row {}", row + 2))?;
        let number = |column: usize| -> Result<f64> {
            let text = record.get(column).unwrap_or("");
            if text.is_empty() {
                return Ok(f64::NAN);
            }
            text.parse().with_context(|| {
                format!(
                    "{RUNS_FILE} row {}, column {}: {text:?} is not a number",
                    row + 2,
                    header[column]
                )
            })
        };
        let point: u64 = record
            .get(point_column)
            .unwrap_or("")
            .parse()
            .with_context(|| format!("{RUNS_FILE} row {}: the point is not a number", row + 2))?;
        if !point.is_multiple_of(rows_per_block) {
            continue;
        }
        let value = number(output_column)?;
        if last_point == Some(point) {
            if let (Some(sum), Some(count)) = (outputs.last_mut(), replications_seen.last_mut()) {
                *sum += value;
                *count += 1;
            }
            continue;
        }
        last_point = Some(point);
        for (values, &column) in columns.iter_mut().zip(&input_columns) {
            values.push(number(column)?);
        }
        outputs.push(value);
        replications_seen.push(1);
    }
    for (sum, count) in outputs.iter_mut().zip(&replications_seen) {
        *sum /= *count as f64;
    }
    let of_interest: Vec<bool> = outputs
        .iter()
        .map(|value| condition.holds(*value))
        .collect();
    if condition.comparison.is_none()
        && outputs
            .iter()
            .any(|value| !(*value == 0.0 || *value == 1.0))
    {
        bail!(
            "--where {}: the output is not yes/no (it has values other than 0 and 1); compare it with a number, as in `{} > 0`",
            condition.output,
            condition.output
        );
    }
    let cases = Cases::new(&inputs, &columns, &of_interest)?;
    let prim = cases.prim(&settings)?;
    let ranking = cases.regional_sensitivity();
    let document = json!({
        "format": "entente discovery 1",
        "entente_version": env!("CARGO_PKG_VERSION"),
        "directory": args.directory.display().to_string(),
        "where": args.condition,
        "cases": of_interest.len(),
        "cases_of_interest": prim.cases_of_interest,
        "replications_per_case": replications_seen.first().copied().unwrap_or(0),
        "prim": prim,
        "regional_sensitivity": ranking,
    });
    if let Some(path) = &args.out {
        write_atomic(
            path,
            &serde_json::to_vec_pretty(&document).context("the result serialises")?,
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.report {
        write_atomic(path, discovery_page(&args.condition, &prim)?.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.format {
        RunFormat::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document).context("the result serialises")?
        )),
        RunFormat::Text => emit(&text(
            &args.condition,
            &prim,
            &ranking,
            replications_seen.first().copied().unwrap_or(1),
        )),
    }
}

/// Trajectory rows (and ranked inputs) shown: enough to see the trade-off's shape.
const TRAJECTORY_ROWS_SHOWN: usize = 12;

fn text(
    condition: &str,
    prim: &PrimResult,
    ranking: &[entente::discovery::InputSensitivity],
    replications: u64,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} of {} design points ({:.1}%) where `{condition}`{}",
        prim.cases_of_interest,
        prim.cases,
        100.0 * prim.cases_of_interest as f64 / prim.cases as f64,
        if replications > 1 {
            format!(" (each point's mean over its {replications} replications)")
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "\nPRIM trade-off (peeling α {}, then pasting):\n  {:>4}  {:>8}  {:>7}  {:>6}  {:>10}",
        prim.settings.peel_alpha, "box", "coverage", "density", "mass", "restricted"
    );
    let count = prim.trajectory.len();
    let step = count.div_ceil(TRAJECTORY_ROWS_SHOWN).max(1);
    for (index, candidate) in prim.trajectory.iter().enumerate() {
        if index % step != 0 && index != prim.chosen && index + 1 != count {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:>4}  {:>8.3}  {:>7.3}  {:>6.3}  {:>10}{}",
            index,
            candidate.coverage,
            candidate.density,
            candidate.mass,
            candidate.restricted_inputs,
            if index == prim.chosen {
                "  <- chosen"
            } else {
                ""
            }
        );
    }
    let chosen = prim.chosen_box();
    let _ = writeln!(
        out,
        "\nChosen box {}: coverage {:.3} (share of the runs of interest inside), density {:.3} (share of the runs inside that are of interest), mass {:.3}",
        prim.chosen, chosen.coverage, chosen.density, chosen.mass
    );
    if prim.restrictions.is_empty() {
        let _ = writeln!(out, "  no input is restricted");
    }
    // One column width for both tables: the longest input name shown (every input is in the
    // ranking), at least 5.
    let width = ranking
        .iter()
        .map(|input| input.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    for restriction in &prim.restrictions {
        let p_value =
            |value: Option<f64>| value.map_or_else(|| "-".to_string(), |p| format!("{p:.2e}"));
        let _ = writeln!(
            out,
            "  {:width$}  [{:.4}, {:.4}] of [{:.4}, {:.4}]  quasi-p low {} high {}",
            restriction.name,
            restriction.lower,
            restriction.upper,
            restriction.minimum,
            restriction.maximum,
            p_value(restriction.quasi_p_lower),
            p_value(restriction.quasi_p_upper),
        );
    }
    let _ = writeln!(
        out,
        "\nInputs ranked by regional sensitivity (Kolmogorov–Smirnov distance between the points of interest and the others):"
    );
    for input in ranking.iter().take(TRAJECTORY_ROWS_SHOWN) {
        let _ = writeln!(
            out,
            "  {:width$}  {:.3}  (p {:.2e})",
            input.name, input.distance, input.p_value,
        );
    }
    out
}

/// The HTML page of `--report`: PRIM's trade-off curve and the chosen box as ranges.
fn discovery_page(condition: &str, prim: &PrimResult) -> Result<String> {
    use entente::report::charts;
    let points: Vec<(f64, f64)> = prim
        .trajectory
        .iter()
        .map(|candidate| (candidate.coverage, candidate.density))
        .collect();
    let tradeoff = charts::prim_tradeoff(
        &format!("PRIM trade-off: {condition}"),
        &points,
        prim.chosen,
    )?;
    let ranges: Vec<charts::BoxRange<'_>> = prim
        .restrictions
        .iter()
        .map(|restriction| charts::BoxRange {
            input: &restriction.name,
            lower: restriction.lower,
            upper: restriction.upper,
            minimum: restriction.minimum,
            maximum: restriction.maximum,
        })
        .collect();
    let chosen = prim.chosen_box();
    let box_chart = charts::prim_box(&format!("The chosen box: {condition}"), &ranges)?;
    Ok(entente::report::html::chart_page(
        &format!("Where {condition}"),
        &format!(
            "{} of {} design points are of interest. The chosen box holds {:.1}% of them (coverage) at a density of {:.1}%.",
            prim.cases_of_interest,
            prim.cases,
            100.0 * chosen.coverage,
            100.0 * chosen.density
        ),
        &[
            (
                "Coverage against density".to_string(),
                "Each point is a box of PRIM's peeling (then pasting) trajectory; the circled one is chosen.".to_string(),
                tradeoff,
            ),
            (
                "The chosen box".to_string(),
                "For each restricted input, the part of its range the box keeps (green), with its limits.".to_string(),
                box_chart,
            ),
        ],
    ))
}
