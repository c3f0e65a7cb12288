//! The `entente` command line: check a scenario, run it once, run batches and compare them.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use entente::batch::{self, BatchOptions, RunPlan};
use entente::model::{Model, Simulation};
use entente::outcome::Trace;
use entente::report;
use entente::scenario::Scenario;
use entente::summary::{ComparisonSummary, ScenarioSummary};

#[derive(Parser)]
#[command(
    name = "entente",
    version,
    about = "Scenario and influence simulation of states, their ties and sanctions",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a scenario file and print what it holds.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Print nothing on success; only the exit status tells.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a scenario once and print its outcome values.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Which run of a Monte Carlo batch to reproduce (its parameter draws and noise).
        #[arg(long, default_value_t = 0)]
        run: u64,
        /// Also write the month-by-month trace to this CSV file.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Output format of the outcome values.
        #[arg(long, value_enum, default_value_t = RunFormat::Text)]
        format: RunFormat,
        /// In the text output, show the monthly measures every N months.
        #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
        every: u32,
    },
    /// Run a Monte Carlo batch of a scenario and summarise every outcome.
    Batch {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Number of runs (run indices 0 to N-1).
        #[arg(long, value_name = "N", conflicts_with = "precision",
              value_parser = clap::value_parser!(u64).range(1..))]
        runs: Option<u64>,
        /// Run until every outcome's 95% CI half-width is at most E (sequential stopping).
        #[arg(long, value_name = "E")]
        precision: Option<f64>,
        /// With --precision: never run more than this many runs.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 10_000_000,
            requires = "precision"
        )]
        max_runs: u64,
        /// With --precision: judge only these outcomes (repeatable; default: all).
        #[arg(
            long = "precision-outcome",
            value_name = "NAME",
            requires = "precision"
        )]
        precision_outcomes: Vec<String>,
        /// Also write every run's sampled parameters and outcomes (runs.csv, ema.tar.gz).
        #[arg(long, requires = "out")]
        per_run: bool,
        #[command(flatten)]
        common: BatchArgs,
    },
    /// Run scenarios with common random numbers and compare their outcome distributions.
    Compare {
        /// Two or more scenario files; the first is the baseline of the differences.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Runs per scenario.
        #[arg(long, value_name = "N", default_value_t = 10_000,
              value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
        #[command(flatten)]
        common: BatchArgs,
    },
    /// Write the HTML report (and its SVG charts) of a batch or comparison output directory.
    ///
    /// The directory's manifest.json holds the scenario texts, seed and run count: the batch
    /// is run again from it (the same binary gives the same bits) and reported, and the
    /// directory's summary files are checked against the rerun.
    Report {
        /// The output directory of `entente batch --out` or `entente compare --out`.
        directory: PathBuf,
        /// Where to write the report (default: report.html in the directory).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Worker threads (default: every core). Results are identical for any count.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
    },
    /// Repeat a batch or comparison from its manifest.json alone (the scenario texts are in it).
    Rerun {
        /// The manifest.json of an earlier batch or comparison.
        manifest: PathBuf,
        /// Write the results into this directory (default: print only).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Worker threads (default: every core). Results are identical for any count.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
    },
}

/// Default number of runs of `entente batch` without --runs or --precision.
const DEFAULT_RUNS: u64 = 10_000;

/// Options shared by `batch` and `compare`.
#[derive(clap::Args)]
struct BatchArgs {
    /// Seed of the random streams (default: the (first) scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: every core). Results are identical for any count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// Write the results into this directory (created if needed), each file atomically.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not keep monthly envelopes (faster; no envelopes.csv).
    #[arg(long)]
    no_envelopes: bool,
    /// Also write a self-contained HTML report (charts inline, no network) to FILE, and each
    /// chart as an SVG file in FILE's directory under `<FILE stem>-charts/`.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// What `run` prints.
#[derive(Clone, Copy, ValueEnum)]
enum RunFormat {
    Text,
    Json,
}

/// What `batch` and `compare` print.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    /// Markdown tables (batch and compare only), for reports.
    Markdown,
}

fn main() -> ExitCode {
    match execute(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> Result<()> {
    let command: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Check { scenario, quiet } => {
            let scenario = Scenario::load(&scenario)?;
            if !quiet {
                emit(&scenario.to_string())?;
                print_warnings(&scenario);
            }
            Ok(())
        }
        Command::Run {
            scenario,
            seed,
            run,
            trace,
            format,
            every,
        } => {
            let scenario = Scenario::load(&scenario)?;
            print_warnings(&scenario);
            let seed = seed.unwrap_or(scenario.seed());
            let model = Model::new(scenario);
            let mut simulation = Simulation::new(&model);
            let mut recorded = Trace::new(&model);
            let result = simulation.run(seed, run, Some(&mut recorded));
            if let Some(path) = &trace {
                report::write_atomic(path, report::trace_csv(&recorded).as_bytes())
                    .with_context(|| format!("cannot write the trace to {}", path.display()))?;
            }
            match format {
                RunFormat::Text => emit(&report::run_text(
                    &model,
                    seed,
                    run,
                    &result,
                    Some((&recorded, every as usize)),
                ))?,
                RunFormat::Json => emit(&report::run_json(&model, seed, run, &result))?,
            }
            Ok(())
        }
        Command::Batch {
            scenario,
            runs,
            precision,
            max_runs,
            precision_outcomes,
            per_run,
            common,
        } => batch_command(
            load(&scenario)?,
            runs,
            precision,
            max_runs,
            &precision_outcomes,
            per_run,
            &common,
            &command,
        ),
        Command::Compare {
            scenarios,
            runs,
            common,
        } => {
            let loaded = scenarios
                .iter()
                .map(|path| load(path))
                .collect::<Result<_>>()?;
            compare_command(loaded, runs, &common, &command)
        }
        Command::Rerun {
            manifest,
            out,
            threads,
        } => rerun_command(&manifest, out, threads, None),
        Command::Report {
            directory,
            out,
            threads,
        } => report_command(&directory, out, threads),
    }
}

/// Repeats the batch or comparison a manifest records, from the scenario texts it holds, with
/// this machine's threads and `out` (nothing written without one).
/// `entente report DIR`: reruns DIR's manifest into a scratch directory inside DIR, writes the
/// report from the rerun, and checks that the rerun's summary files are DIR's, byte for byte.
fn report_command(directory: &Path, out: Option<PathBuf>, threads: Option<u32>) -> Result<()> {
    let report = out.unwrap_or_else(|| directory.join("report.html"));
    let scratch = directory.join(".entente-report-rerun");
    // A scratch directory left by an interrupted report holds nothing of the user's.
    let _ = std::fs::remove_dir_all(&scratch);
    let rerun = rerun_command(
        &directory.join("manifest.json"),
        Some(scratch.clone()),
        threads,
        Some(report.clone()),
    );
    let checked = rerun.and_then(|()| same_summaries(directory, &scratch, &report));
    let _ = std::fs::remove_dir_all(&scratch);
    checked
}

/// Fails unless each summary file of the rerun in `rerun` equals the one in `directory`.
fn same_summaries(directory: &Path, rerun: &Path, report: &Path) -> Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(rerun)
        .with_context(|| format!("cannot read {}", rerun.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            ["summary", "comparison", "envelopes"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        })
        .collect();
    names.sort();
    for name in names {
        let original = directory.join(&name);
        let recorded = std::fs::read(&original)
            .with_context(|| format!("cannot read {}", original.display()))?;
        if recorded != std::fs::read(rerun.join(&name))? {
            anyhow::bail!(
                "{} differs from a rerun of its manifest (another entente binary, or an edited \
                 file): {} shows this binary's rerun, not the directory's results",
                original.display(),
                report.display()
            );
        }
    }
    Ok(())
}

/// Reruns the batch or comparison a manifest records, into `out` if given, and writes its
/// HTML report to `report` if given.
fn rerun_command(
    path: &Path,
    out: Option<PathBuf>,
    threads: Option<u32>,
    report: Option<PathBuf>,
) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a manifest (invalid JSON)", path.display()))?;
    let field = |name: &str| {
        manifest
            .get(name)
            .with_context(|| format!("{}: manifest has no `{name}`", path.display()))
    };
    let version = field("entente_version")?.as_str().unwrap_or("?");
    if version != env!("CARGO_PKG_VERSION") {
        eprintln!(
            "warning: the manifest was written by entente {version}, this is {}; results may differ",
            env!("CARGO_PKG_VERSION")
        );
    }
    let command: Vec<String> = serde_json::from_value(field("command")?.clone())
        .with_context(|| format!("{}: `command` is not a list of strings", path.display()))?;
    let recorded: Vec<Vec<(String, String)>> = field("scenarios")?
        .as_array()
        .with_context(|| format!("{}: `scenarios` is not a list", path.display()))?
        .iter()
        .map(|scenario| {
            scenario["files"]
                .as_array()
                .filter(|files| !files.is_empty())
                .map(|files| {
                    files
                        .iter()
                        .map(|file| {
                            let path = file["path"].as_str().unwrap_or_default().to_string();
                            let text = file["text"].as_str().unwrap_or_default().to_string();
                            (path, text)
                        })
                        .collect()
                })
                .with_context(|| format!("{}: a scenario without files", path.display()))
        })
        .collect::<Result<_>>()?;
    let mut loaded = Vec::new();
    for files in &recorded {
        let scenario = Scenario::from_files(files)?;
        loaded.push(loaded_from(scenario, files.clone()));
    }
    let cli = Cli::try_parse_from(&command)
        .with_context(|| format!("{}: the recorded command does not parse", path.display()))?;
    let override_common = |mut common: BatchArgs| {
        common.out = out.clone();
        common.threads = threads;
        common.report = report.clone();
        common
    };
    let rerun: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Batch {
            runs,
            precision,
            max_runs,
            precision_outcomes,
            per_run,
            common,
            ..
        } if loaded.len() == 1 => {
            let per_run = per_run && out.is_some();
            batch_command(
                loaded.remove(0),
                runs,
                precision,
                max_runs,
                &precision_outcomes,
                per_run,
                &override_common(common),
                &rerun,
            )
        }
        Command::Compare { runs, common, .. } if loaded.len() >= 2 => {
            compare_command(loaded, runs, &override_common(common), &rerun)
        }
        _ => anyhow::bail!(
            "{}: the recorded command is neither a batch nor a comparison of its scenarios",
            path.display()
        ),
    }
}

fn loaded_from(scenario: Scenario, files: Vec<(String, String)>) -> Loaded {
    print_warnings(&scenario);
    (scenario, files)
}

/// A progress bar on standard error when it is a terminal, hidden otherwise.
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => indicatif::ProgressBar::new(total),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = match total {
        Some(_) => "{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}",
        None => "{spinner} {pos} runs  {per_sec}",
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn thread_count(requested: Option<u32>) -> usize {
    requested.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        |threads| threads as usize,
    )
}

/// A scenario and the files it was read from, as (path, text).
type Loaded = (Scenario, Vec<(String, String)>);

/// Loads a scenario and prints its warnings; returns it with the files it was read from.
fn load(path: &Path) -> Result<Loaded> {
    let scenario = Scenario::load(path)?;
    let files = scenario
        .sources()
        .iter()
        .map(|file| (file.path.clone(), file.text.clone()))
        .collect();
    Ok(loaded_from(scenario, files))
}

fn prepare_out(out: Option<&Path>) -> Result<()> {
    if let Some(directory) = out {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("cannot create output directory {}", directory.display()))?;
    }
    Ok(())
}

fn write_output(directory: &Path, name: &str, text: &str, outputs: &mut Vec<String>) -> Result<()> {
    let path = directory.join(name);
    report::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    outputs.push(name.to_string());
    Ok(())
}

/// Writes a scenario's `summary{suffix}.json` and, if it kept them, `envelopes{suffix}.csv`.
fn write_scenario_summary(
    directory: &Path,
    summary: &ScenarioSummary,
    suffix: &str,
    outputs: &mut Vec<String>,
) -> Result<()> {
    let name = format!("summary{suffix}.json");
    write_output(directory, &name, &report::summary_json(summary), outputs)?;
    if !summary.envelopes.is_empty() {
        let name = format!("envelopes{suffix}.csv");
        write_output(directory, &name, &report::envelopes_csv(summary), outputs)?;
    }
    Ok(())
}

/// Writes the HTML report to `path` and each chart into `<stem>-charts/` beside it, every
/// file atomically; the charts first, so that the page's links hold when it appears.
fn write_report(
    path: &Path,
    models: &[Model],
    summaries: &[&ScenarioSummary],
    comparison: Option<&ComparisonSummary>,
    record: &report::BatchRecord,
) -> Result<()> {
    let seed = record.options.seed;
    let network_runs = record.runs.min(report::html::NETWORK_RUNS);
    let scenarios = models
        .iter()
        .zip(summaries)
        .map(|(model, summary)| report::html::ReportScenario {
            model,
            summary,
            network: report::html::focus_network(model, seed, network_runs),
        })
        .collect();
    let stem = path.file_stem().map_or_else(
        || "report".to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let chart_directory = format!("{stem}-charts");
    let input = report::html::ReportInput {
        scenarios,
        comparison,
        manifest: report::manifest_json(record),
        chart_directory: chart_directory.clone(),
    };
    let rendered = report::html::render(&input)?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .join(&chart_directory);
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create chart directory {}", directory.display()))?;
    for chart in &rendered.charts {
        let chart_path = directory.join(&chart.file_name);
        report::write_atomic(&chart_path, chart.svg.as_bytes())
            .with_context(|| format!("cannot write {}", chart_path.display()))?;
    }
    report::write_atomic(path, rendered.html.as_bytes())
        .with_context(|| format!("cannot write report {}", path.display()))?;
    eprintln!(
        "report: {} ({} charts in {})",
        path.display(),
        rendered.charts.len(),
        directory.display()
    );
    Ok(())
}

/// Writes `manifest.json` last, so that it lists every other output.
fn write_manifest(directory: &Path, record: report::BatchRecord) -> Result<()> {
    let mut outputs = Vec::new();
    write_output(
        directory,
        "manifest.json",
        &report::manifest_json(&record),
        &mut outputs,
    )
}

fn finished_line(runs: u64, scenarios: usize, elapsed: std::time::Duration, threads: usize) {
    let seconds = elapsed.as_secs_f64();
    let total = runs * scenarios as u64;
    eprintln!(
        "{total} runs in {seconds:.2} s ({:.0} runs/s, {threads} thread{})",
        total as f64 / seconds,
        if threads == 1 { "" } else { "s" }
    );
}

#[allow(clippy::too_many_arguments)]
fn batch_command(
    (scenario, files): Loaded,
    runs: Option<u64>,
    precision: Option<f64>,
    max_runs: u64,
    precision_outcomes: &[String],
    per_run: bool,
    common: &BatchArgs,
    command: &[String],
) -> Result<()> {
    let seed = common.seed.unwrap_or(scenario.seed());
    let path = files
        .first()
        .map_or_else(String::new, |(path, _)| path.clone());
    let plan = match precision {
        Some(target) => {
            if !(target.is_finite() && target > 0.0) {
                anyhow::bail!("--precision must be a positive number, got {target}");
            }
            let outcomes = if precision_outcomes.is_empty() {
                None
            } else {
                Some(
                    precision_outcomes
                        .iter()
                        .map(|name| {
                            scenario
                                .outcomes()
                                .iter()
                                .position(|spec| &spec.name == name)
                                .with_context(|| {
                                    format!(
                                        "--precision-outcome {name:?} is not an outcome of {path}; it has: {}",
                                        scenario
                                            .outcomes()
                                            .iter()
                                            .map(|spec| spec.name.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                })
                        })
                        .collect::<Result<Vec<_>>>()?,
                )
            };
            RunPlan::Precision {
                target,
                max_runs,
                outcomes,
            }
        }
        None => RunPlan::Fixed(runs.unwrap_or(DEFAULT_RUNS)),
    };
    let threads = thread_count(common.threads);
    let options = BatchOptions {
        seed,
        plan,
        threads,
        envelopes: !common.no_envelopes,
        per_run,
    };
    prepare_out(common.out.as_deref())?;
    let model = Model::new(scenario);
    let mut runs_writer = match (&common.out, per_run) {
        (Some(directory), true) => Some(
            report::RunsWriter::create(directory, &model).with_context(|| {
                format!("cannot write per-run files in {}", directory.display())
            })?,
        ),
        _ => None,
    };
    let bar = progress_bar(match options.plan {
        RunPlan::Fixed(runs) => Some(runs),
        RunPlan::Precision { .. } => None,
    });
    let started = SystemTime::now();
    let clock = Instant::now();
    let models = [model];
    let result = batch::run(
        &models,
        &options,
        &|runs| bar.inc(runs),
        |rows| match runs_writer.as_mut() {
            Some(writer) => writer.write(rows),
            None => Ok(()),
        },
    )
    .context("cannot write per-run rows")?;
    let elapsed = clock.elapsed();
    bar.finish_and_clear();
    let summary = ScenarioSummary::new(&models[0], seed, &result, 0, precision);
    let mut record = report::BatchRecord {
        command: command.to_vec(),
        scenarios: vec![files],
        scenario: summary.scenario.clone(),
        options,
        runs: result.runs,
        started,
        elapsed,
        outputs: Vec::new(),
    };
    if let Some(directory) = &common.out {
        let mut outputs = Vec::new();
        write_scenario_summary(directory, &summary, "", &mut outputs)?;
        write_output(
            directory,
            "summary.csv",
            &report::summary_csv(&summary),
            &mut outputs,
        )?;
        if let Some(writer) = runs_writer.take() {
            outputs.extend(writer.finish().with_context(|| {
                format!("cannot write per-run files in {}", directory.display())
            })?);
        }
        record.outputs = outputs;
        write_manifest(directory, record.clone())?;
    }
    if let Some(path) = &common.report {
        write_report(path, &models, &[&summary], None, &record)?;
    }
    match common.format {
        Format::Text => emit(&report::batch_text(&summary))?,
        Format::Json => emit(&report::summary_json(&summary))?,
        Format::Markdown => emit(&report::batch_markdown(&summary))?,
    }
    finished_line(result.runs, 1, elapsed, threads);
    Ok(())
}

fn compare_command(
    loaded: Vec<Loaded>,
    runs: u64,
    common: &BatchArgs,
    command: &[String],
) -> Result<()> {
    let mut models = Vec::new();
    let mut scenarios = Vec::new();
    for (scenario, files) in loaded {
        scenarios.push(files);
        models.push(Model::new(scenario));
    }
    let seed = common.seed.unwrap_or(models[0].scenario().seed());
    let threads = thread_count(common.threads);
    let options = BatchOptions {
        seed,
        plan: RunPlan::Fixed(runs),
        threads,
        envelopes: !common.no_envelopes,
        per_run: false,
    };
    prepare_out(common.out.as_deref())?;
    let bar = progress_bar(Some(runs));
    let started = SystemTime::now();
    let clock = Instant::now();
    let result = batch::run(&models, &options, &|runs| bar.inc(runs), |_| {
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    let elapsed = clock.elapsed();
    bar.finish_and_clear();
    let summary = ComparisonSummary::new(&models, seed, &result);
    let scenario_summaries: Vec<ScenarioSummary> = models
        .iter()
        .enumerate()
        .map(|(index, model)| ScenarioSummary::new(model, seed, &result, index, None))
        .collect();
    let mut record = report::BatchRecord {
        command: command.to_vec(),
        scenarios,
        scenario: summary.scenarios.join(" vs "),
        options,
        runs: result.runs,
        started,
        elapsed,
        outputs: Vec::new(),
    };
    if let Some(directory) = &common.out {
        let mut outputs = Vec::new();
        write_output(
            directory,
            "comparison.json",
            &report::comparison_json(&summary),
            &mut outputs,
        )?;
        write_output(
            directory,
            "comparison.csv",
            &report::comparison_csv(&summary),
            &mut outputs,
        )?;
        for scenario_summary in &scenario_summaries {
            let suffix = format!("-{}", scenario_summary.scenario);
            write_scenario_summary(directory, scenario_summary, &suffix, &mut outputs)?;
        }
        record.outputs = outputs;
        write_manifest(directory, record.clone())?;
    }
    if let Some(path) = &common.report {
        let summaries: Vec<&ScenarioSummary> = scenario_summaries.iter().collect();
        write_report(path, &models, &summaries, Some(&summary), &record)?;
    }
    match common.format {
        Format::Text => emit(&report::comparison_text(&summary))?,
        Format::Json => emit(&report::comparison_json(&summary))?,
        Format::Markdown => emit(&report::comparison_markdown(&summary))?,
    }
    finished_line(result.runs, models.len(), elapsed, threads);
    Ok(())
}

/// Writes `text` to standard output. A closed pipe (`entente check f | head -1`) is not an
/// error: the reader has what it wanted.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

/// Prints each of the scenario's warnings to standard error.
fn print_warnings(scenario: &Scenario) {
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
}
