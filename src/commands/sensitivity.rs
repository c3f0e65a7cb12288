//! `entente sensitivity`: build the design, run it on the scenario (and paired on a variant),
//! estimate each output's indices, print the most influential inputs and commit
//! sensitivity.json, sensitivity.csv and the per-run runs.csv to `--out`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde_json::{Value, json};

use entente::cli::{RunFormat, SensitivityArgs, SensitivityMethod};
use entente::design::{Experiment, Method};
use entente::exploration::{self, Output, OutputName};
use entente::model::Model;
use entente::report::csv_number;
use entente::results::Staging;
use entente::scenario::nearest_names;
use entente::sensitivity::{MorrisIndex, Resamples, SobolIndex};

use super::{emit, load, progress_bar, thread_count};

/// Base points of a Sobol' design without `--points`: 1024·(k + 2) runs, enough to resolve
/// total indices above about 0.05 on the flagship.
pub const DEFAULT_SOBOL_POINTS: u64 = 1024;
/// Trajectories of a Morris design without `--points`.
pub const DEFAULT_MORRIS_TRAJECTORIES: u64 = 20;

/// The name of the per-run file that `entente discover` reads.
pub const RUNS_FILE: &str = "runs.csv";
/// The name of the analysis file, which also lists the inputs and outputs of `runs.csv`.
pub const SENSITIVITY_FILE: &str = "sensitivity.json";

/// The indices of one output, or why it has none.
enum Indices {
    Sobol(Vec<SobolIndex>),
    Morris(Vec<MorrisIndex>),
    Missing(String),
}

struct Analysed {
    output: OutputName,
    mean: f64,
    standard_deviation: f64,
    /// The 5th, 50th and 95th percentiles of the design points' values (each point's mean
    /// over its replications): the output's range over the inputs.
    point_range: [f64; 3],
    indices: Indices,
}

/// The percentiles of the point values reported as the output's range over the inputs.
const RANGE_PERCENTILES: [f64; 3] = [0.05, 0.5, 0.95];

/// The percentile `probability` of `sorted` values (the nearest rank; NaN when empty).
fn percentile(sorted: &[f64], probability: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (probability * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn sensitivity_command(args: SensitivityArgs, command: &[String]) -> Result<()> {
    let (scenario, _) = load(&args.scenario, &args.overrides)?;
    let variant = args
        .variant
        .as_deref()
        .map(|path| load(path, &args.overrides))
        .transpose()?;
    let seed = args.seed.unwrap_or(scenario.seed());
    let method = match args.method {
        SensitivityMethod::Sobol => Method::Sobol,
        SensitivityMethod::Morris => Method::Morris,
    };
    let points = args.points.unwrap_or(match method {
        Method::Morris => DEFAULT_MORRIS_TRAJECTORIES,
        _ => DEFAULT_SOBOL_POINTS,
    });
    let request = args.inputs.request(method, Some(points), Vec::new());
    let experiment = Arc::new(Experiment::new(&request, &scenario, seed)?);
    for name in &args.outcomes {
        let known = |model: &entente::Scenario| {
            model.outcomes().iter().any(|outcome| &outcome.name == name)
        };
        if !known(&scenario) {
            let names = scenario
                .outcomes()
                .iter()
                .map(|outcome| outcome.name.as_str());
            bail!(
                "--outcome {name}: {} has no such outcome; nearest: {}",
                scenario.name(),
                nearest_names(name, names, 3).join(", ")
            );
        }
    }
    let mut model = Model::new(scenario);
    model.set_experiment(Arc::clone(&experiment));
    let mut unshared = Vec::new();
    let variant_model = variant.map(|(variant, _)| {
        let mut variant_model = Model::new(variant);
        unshared = variant_model.set_experiment(Arc::clone(&experiment));
        variant_model
    });
    for key in &unshared {
        note!(
            "note: {key} differs in the variant (or is not in it): the variant keeps its own value"
        );
    }
    let runs = experiment
        .runs()
        .context("a Sobol' or Morris design has a size")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(thread_count(args.threads))
        .build()
        .context("cannot start worker threads")?;
    let scenarios = 1 + u64::from(variant_model.is_some());
    let bar = progress_bar(Some(runs * scenarios));
    let started = Instant::now();
    // Past the memory budget the per-run outputs go to a scratch file, in the output
    // directory when there is one (it is on the disk the results go to).
    let scratch_directory = match &args.out {
        Some(directory) => {
            std::fs::create_dir_all(directory)
                .with_context(|| format!("cannot create {}", directory.display()))?;
            directory.clone()
        }
        None => std::env::temp_dir(),
    };
    let design_runs = exploration::DesignRuns {
        seed,
        runs,
        outcomes: &args.outcomes,
        memory_budget: args.memory_budget,
        scratch_directory: &scratch_directory,
    };
    let (table, non_finite) = exploration::run_design(
        &model,
        variant_model.as_ref(),
        &design_runs,
        &pool,
        &|finished| bar.inc(finished * scenarios),
    )
    .with_context(|| {
        format!(
            "cannot keep the runs' outputs in a scratch file in {}",
            scratch_directory.display()
        )
    })?;
    bar.finish_and_clear();
    let run_seconds = started.elapsed().as_secs_f64();
    let analysis_started = Instant::now();
    let resamples = args.resamples as usize;
    // Every output resamples the same base points: their resamples are drawn once.
    let shared = (method == Method::Sobol).then(|| {
        Resamples::new(
            experiment.base_points().unwrap_or(0) as usize,
            resamples,
            seed,
        )
    });
    // Outputs are analysed a group at a time, each group's values within the budget.
    let columns = table.names().len();
    let group = (args.memory_budget / exploration::memory_bytes(runs, 1).max(1)).max(1) as usize;
    let mut analysed: Vec<Analysed> = Vec::with_capacity(columns);
    for first in (0..columns).step_by(group) {
        let outputs = table
            .outputs(first..(first + group).min(columns))
            .context("cannot read the runs' outputs back from their scratch file")?;
        analysed.extend(pool.install(|| {
            outputs
                .par_iter()
                .map(|output| analyse(&experiment, output, seed, shared.as_ref()))
                .collect::<Vec<_>>()
        }));
    }
    let analysis_seconds = analysis_started.elapsed().as_secs_f64();
    note!(
        "{} runs of {} scenario{} in {run_seconds:.2} s ({:.0} runs/s); analysis of {} outputs in {analysis_seconds:.2} s ({:.1}% of the run time)",
        runs * scenarios,
        scenarios,
        if scenarios == 1 { "" } else { "s" },
        (runs * scenarios) as f64 / run_seconds,
        columns,
        100.0 * analysis_seconds / run_seconds
    );
    if non_finite > 0 {
        note!("warning: {non_finite} non-finite numbers were replaced by 0 in the runs");
    }
    let names = Names {
        scenario: model.scenario().name(),
        variant: variant_model
            .as_ref()
            .map(|variant| variant.scenario().name()),
    };
    let document = document(&experiment, &analysed, &names, runs, resamples, command);
    if let Some(directory) = &args.out {
        let mut staging = Staging::begin(directory)?;
        staging.write(
            SENSITIVITY_FILE,
            &serde_json::to_vec_pretty(&document).context("the analysis serialises")?,
        )?;
        staging.write(
            "sensitivity.csv",
            indices_csv(&experiment, &analysed)?.as_bytes(),
        )?;
        // Streamed: by far the largest file (about 900 bytes a run for the flagship pair's
        // 88 outputs).
        staging.write_streamed(RUNS_FILE, |writer| {
            exploration::write_design_rows(&experiment, runs, Some(&table), writer)
        })?;
        staging.write(
            "sensitivity.html",
            charts_page(&experiment, &analysed, &names)?.as_bytes(),
        )?;
        staging.commit()?;
    }
    match args.format {
        RunFormat::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document).context("the analysis serialises")?
        )),
        RunFormat::Text => emit(&text(&experiment, &analysed, &names, runs, args.top)),
    }
}

struct Names<'a> {
    scenario: &'a str,
    variant: Option<&'a str>,
}

fn analyse(
    experiment: &Experiment,
    output: &Output,
    seed: u64,
    resamples: Option<&Resamples>,
) -> Analysed {
    let count = output.values.len() as f64;
    let mean = output.values.iter().sum::<f64>() / count;
    let standard_deviation = (output
        .values
        .iter()
        .map(|value| (value - mean).powi(2))
        .sum::<f64>()
        / (count - 1.0))
        .sqrt();
    let missing = output
        .values
        .iter()
        .filter(|value| !value.is_finite())
        .count();
    let point_values = exploration::point_means(experiment, &output.values);
    let mut sorted: Vec<f64> = point_values
        .iter()
        .copied()
        .filter(|value| value.is_finite())
        .collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let point_range = RANGE_PERCENTILES.map(|probability| percentile(&sorted, probability));
    let indices = if missing > 0 {
        Indices::Missing(format!(
            "{missing} of {} runs have no value (the month never came); analyse a yes/no outcome instead",
            output.values.len()
        ))
    } else if standard_deviation == 0.0 {
        Indices::Missing("the same value in every run: nothing to apportion".into())
    } else {
        let estimated = match experiment.method() {
            Method::Morris => {
                exploration::morris_analysis(experiment, &point_values, seed).map(Indices::Morris)
            }
            _ => match resamples {
                Some(resamples) => {
                    exploration::sobol_analysis(experiment, &point_values, resamples)
                        .map(Indices::Sobol)
                }
                None => Ok(Indices::Missing("no resamples were drawn".into())),
            },
        };
        estimated.unwrap_or_else(|error| Indices::Missing(error.to_string()))
    };
    Analysed {
        output: output.name.clone(),
        mean,
        standard_deviation,
        point_range,
        indices,
    }
}

/// Runs needed to resolve an index whose total-effect interval is wider than it.
fn runs_to_resolve(experiment: &Experiment, index: &SobolIndex) -> Option<u64> {
    let base = experiment.base_points()? as usize;
    let per_point = (experiment.uncertainties().len() as u64 + 2) * experiment.replications();
    index
        .base_points_to_resolve(base)
        .and_then(|points| {
            (points as u64)
                .max(base as u64 + 1)
                .checked_next_power_of_two()
        })
        .and_then(|points| points.checked_mul(per_point))
        .filter(|&runs| runs <= entente::batch::MAX_RUNS)
}

fn document(
    experiment: &Experiment,
    analysed: &[Analysed],
    names: &Names<'_>,
    runs: u64,
    resamples: usize,
    command: &[String],
) -> Value {
    let inputs: Vec<Value> = experiment
        .uncertainties()
        .iter()
        .map(|uncertainty| {
            json!({
                "key": uncertainty.key,
                "distribution": uncertainty.marginal.to_string(),
            })
        })
        .collect();
    let outputs: Vec<Value> = analysed
        .iter()
        .map(|analysis| {
            let mut entry = json!({
                "name": analysis.output.name,
                "outcome": analysis.output.outcome,
                "difference": analysis.output.difference,
                "mean": analysis.mean,
                "standard_deviation": analysis.standard_deviation,
                "point_percentiles": {
                    "p5": analysis.point_range[0],
                    "p50": analysis.point_range[1],
                    "p95": analysis.point_range[2],
                },
            });
            let keys = experiment.uncertainties().iter().map(|u| u.key.as_str());
            let indices: Vec<Value> = index_fields(experiment, &analysis.indices)
                .into_iter()
                .zip(keys)
                .map(|(fields, key)| {
                    let mut entry = serde_json::Map::new();
                    entry.insert("input".into(), key.into());
                    entry.extend(fields.into_iter().map(|(name, value)| (name.into(), value)));
                    Value::Object(entry)
                })
                .collect();
            let error = match &analysis.indices {
                Indices::Missing(why) => Value::String(why.clone()),
                _ => Value::Null,
            };
            entry["indices"] = Value::Array(indices);
            entry["error"] = error;
            entry
        })
        .collect();
    json!({
        "format": "entente sensitivity 1",
        "entente_version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "method": experiment.method().name(),
        "seed": experiment.seed(),
        "scenario": names.scenario,
        "variant": names.variant,
        "points": experiment.base_points(),
        "replications": experiment.replications(),
        "morris_levels": experiment.morris_levels(),
        "block_points": experiment.block_points(),
        "runs_per_scenario": runs,
        "resamples": resamples,
        "inputs": inputs,
        "outputs": outputs,
    })
}

/// Each input's indices as (field, value) pairs in a fixed order: the one list behind both
/// sensitivity.json's entries and sensitivity.csv's columns. Empty for an output not analysed.
fn index_fields(experiment: &Experiment, indices: &Indices) -> Vec<Vec<(&'static str, Value)>> {
    match indices {
        Indices::Sobol(indices) => indices
            .iter()
            .map(|index| {
                vec![
                    ("first", index.first.into()),
                    ("first_low", index.first_interval.low.into()),
                    ("first_high", index.first_interval.high.into()),
                    ("total", index.total.into()),
                    ("total_low", index.total_interval.low.into()),
                    ("total_high", index.total_interval.high.into()),
                    ("resolved", index.resolved().into()),
                    (
                        "runs_to_resolve",
                        (!index.resolved())
                            .then(|| runs_to_resolve(experiment, index))
                            .flatten()
                            .into(),
                    ),
                ]
            })
            .collect(),
        Indices::Morris(indices) => indices
            .iter()
            .map(|index| {
                vec![
                    ("mu", index.mu.into()),
                    ("mu_low", index.mu_interval.low.into()),
                    ("mu_high", index.mu_interval.high.into()),
                    ("mu_star", index.mu_star.into()),
                    ("mu_star_low", index.mu_star_interval.low.into()),
                    ("mu_star_high", index.mu_star_interval.high.into()),
                    ("sigma", index.sigma.into()),
                    ("sigma_low", index.sigma_interval.low.into()),
                    ("sigma_high", index.sigma_interval.high.into()),
                ]
            })
            .collect(),
        Indices::Missing(_) => Vec::new(),
    }
}

/// sensitivity.csv: one row per analysed output and input, the columns of [`index_fields`]
/// (numbers in full, an absent number empty).
fn indices_csv(experiment: &Experiment, analysed: &[Analysed]) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header_written = false;
    for analysis in analysed {
        let keys = experiment.uncertainties().iter().map(|u| u.key.as_str());
        for (fields, key) in index_fields(experiment, &analysis.indices)
            .into_iter()
            .zip(keys)
        {
            if !header_written {
                let mut header = vec!["output", "input"];
                header.extend(fields.iter().map(|(name, _)| *name));
                writer.write_record(&header)?;
                header_written = true;
            }
            let mut record = vec![analysis.output.name.clone(), key.to_string()];
            record.extend(fields.iter().map(|(_, value)| {
                match value {
                    Value::Number(number) => number
                        .as_f64()
                        .map_or_else(|| number.to_string(), csv_number),
                    Value::Bool(flag) => flag.to_string(),
                    _ => String::new(),
                }
            }));
            writer.write_record(&record)?;
        }
    }
    Ok(String::from_utf8(
        writer.into_inner().map_err(|error| error.into_error())?,
    )?)
}

/// Inputs drawn per output in the Sobol' charts of `sensitivity.html`: the largest total
/// indices; the others are in sensitivity.csv.
const CHART_INPUTS: usize = 15;

/// `sensitivity.html`: each analysed output's Sobol' bars (the [`CHART_INPUTS`] inputs of
/// largest total index) or Morris plane.
fn charts_page(
    experiment: &Experiment,
    analysed: &[Analysed],
    names: &Names<'_>,
) -> Result<String> {
    use entente::report::charts;
    let keys: Vec<&str> = experiment
        .uncertainties()
        .iter()
        .map(|u| u.key.as_str())
        .collect();
    let mut sections = Vec::new();
    for analysis in analysed {
        let name = &analysis.output.name;
        match &analysis.indices {
            Indices::Sobol(indices) => {
                let mut order: Vec<usize> = (0..indices.len()).collect();
                order.sort_by(|&a, &b| indices[b].total.total_cmp(&indices[a].total));
                let bars: Vec<charts::SobolBar<'_>> = order
                    .iter()
                    .take(CHART_INPUTS)
                    .map(|&input| charts::SobolBar {
                        input: keys[input],
                        first: indices[input].first,
                        first_interval: (
                            indices[input].first_interval.low,
                            indices[input].first_interval.high,
                        ),
                        total: indices[input].total,
                        total_interval: (
                            indices[input].total_interval.low,
                            indices[input].total_interval.high,
                        ),
                    })
                    .collect();
                let svg = charts::sobol_bars(&format!("Sobol' indices of {name}"), &bars)?;
                sections.push((
                    name.clone(),
                    format!(
                        "The {} inputs of largest total index (of {}); bars are the estimates, whiskers their 95% bootstrap intervals.",
                        bars.len(),
                        indices.len()
                    ),
                    svg,
                ));
            }
            Indices::Morris(indices) => {
                let points: Vec<(&str, f64, f64)> = indices
                    .iter()
                    .zip(&keys)
                    .map(|(index, key)| (*key, index.mu_star, index.sigma))
                    .collect();
                let svg = charts::morris_plane(&format!("Morris screening of {name}"), &points)?;
                sections.push((
                    name.clone(),
                    "Each input's mean absolute elementary effect (mu*) against their spread (sigma); the grey diagonal marks sigma = mu*.".to_string(),
                    svg,
                ));
            }
            Indices::Missing(why) => {
                sections.push((name.clone(), format!("Not analysed: {why}"), String::new()));
            }
        }
    }
    let title = match names.variant {
        Some(variant) => format!(
            "Sensitivity of {} and of {variant} − {}",
            names.scenario, names.scenario
        ),
        None => format!("Sensitivity of {}", names.scenario),
    };
    Ok(entente::report::html::chart_page(
        &title,
        &format!(
            "{} design, {} inputs, seed {}; sensitivity.csv holds every index.",
            experiment.method().name(),
            keys.len(),
            experiment.seed()
        ),
        &sections,
    ))
}

fn text(
    experiment: &Experiment,
    analysed: &[Analysed],
    names: &Names<'_>,
    runs: u64,
    top: usize,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let inputs = experiment.uncertainties().len();
    let _ = writeln!(
        out,
        "{} of {}{}: {} inputs, {} {}, {} runs per scenario (seed {})",
        match experiment.method() {
            Method::Morris => "Morris screening",
            _ => "Sobol' indices",
        },
        names.scenario,
        names.variant.map_or_else(String::new, |variant| format!(
            " paired with {variant} (differences are {variant} − {})",
            names.scenario
        )),
        inputs,
        experiment.base_points().unwrap_or(0),
        match experiment.method() {
            Method::Morris => "trajectories",
            _ => "base points",
        },
        runs,
        experiment.seed()
    );
    let width = experiment
        .uncertainties()
        .iter()
        .map(|u| u.key.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 48);
    for analysis in analysed {
        let _ = writeln!(
            out,
            "\n{}  (mean {:.4}, sd {:.4}; over the design points{}: 5% {:.4}, median {:.4}, 95% {:.4})",
            analysis.output.name,
            analysis.mean,
            analysis.standard_deviation,
            if experiment.replications() > 1 {
                format!(", each the mean of {} runs", experiment.replications())
            } else {
                String::new()
            },
            analysis.point_range[0],
            analysis.point_range[1],
            analysis.point_range[2],
        );
        match &analysis.indices {
            Indices::Missing(why) => {
                let _ = writeln!(out, "  not analysed: {why}");
            }
            Indices::Sobol(indices) => {
                let mut order: Vec<usize> = (0..indices.len()).collect();
                order.sort_by(|&a, &b| indices[b].total.total_cmp(&indices[a].total));
                let _ = writeln!(
                    out,
                    "  {:width$}  {:>22}  {:>22}",
                    "input", "first-order [95% CI]", "total [95% CI]"
                );
                for &input in order.iter().take(top) {
                    let index = &indices[input];
                    let note = if index.resolved() {
                        String::new()
                    } else {
                        runs_to_resolve(experiment, index).map_or_else(
                            || "  unresolved (more runs than a batch allows)".to_string(),
                            |runs| format!("  unresolved (~{runs} runs)"),
                        )
                    };
                    let _ = writeln!(
                        out,
                        "  {:width$}  {:>6.3} [{:>6.3}, {:>6.3}]  {:>6.3} [{:>6.3}, {:>6.3}]{note}",
                        clip(&experiment.uncertainties()[input].key, width),
                        index.first,
                        index.first_interval.low,
                        index.first_interval.high,
                        index.total,
                        index.total_interval.low,
                        index.total_interval.high,
                    );
                }
                let unresolved = indices.iter().filter(|index| !index.resolved()).count();
                let _ = writeln!(
                    out,
                    "  {unresolved} of {} inputs unresolved (an interval wider than its index); sum of first-order indices {:.3}",
                    indices.len(),
                    indices.iter().map(|index| index.first).sum::<f64>()
                );
            }
            Indices::Morris(indices) => {
                let mut order: Vec<usize> = (0..indices.len()).collect();
                order.sort_by(|&a, &b| indices[b].mu_star.total_cmp(&indices[a].mu_star));
                let _ = writeln!(
                    out,
                    "  {:width$}  {:>28}  {:>9}  {:>9}",
                    "input", "mu* [95% CI]", "mu", "sigma"
                );
                for &input in order.iter().take(top) {
                    let index = &indices[input];
                    let _ = writeln!(
                        out,
                        "  {:width$}  {:>8.4} [{:>8.4}, {:>8.4}]  {:>9.4}  {:>9.4}",
                        clip(&experiment.uncertainties()[input].key, width),
                        index.mu_star,
                        index.mu_star_interval.low,
                        index.mu_star_interval.high,
                        index.mu,
                        index.sigma,
                    );
                }
            }
        }
    }
    out
}

/// `text` cut to `width` characters with an ellipsis, so that long keys keep the table's
/// columns aligned.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}
