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
use entente::partial::Header;
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
    /// It reads the exact totals the directory keeps (partial.entente) and its manifest. A
    /// directory without them (from an older entente) is rerun from its manifest.json (the
    /// same binary gives the same bits), and its summary files are checked against the rerun.
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
    /// Combine the partial results of every shard of a batch or comparison (`--shard`) into the
    /// result one process would give: bit-identical for the same binary, seed and scenarios.
    Merge {
        /// Shard output directories (holding partial.entente) or partial-result files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Write the merged results into this directory (created if needed), each file atomically.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write the HTML report of the merged results to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
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
    /// Run only shard K of N of the runs (K from 0), or `auto`: K and N from a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX, with N from --shard-count or ENTENTE_SHARD_COUNT). Needs --out;
    /// writes a partial result there for `entente merge`.
    #[arg(long, value_name = "K/N|auto")]
    shard: Option<String>,
    /// With --shard auto under a Kubernetes Indexed Job: the number of shards (its completions).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    shard_count: Option<u64>,
    /// Continue the batch whose checkpoint is in --out, running only the runs it lacks; starts
    /// afresh if there is none, and does nothing if the batch there is finished.
    #[arg(long, requires = "out")]
    resume: bool,
    /// With --out: save progress (a checkpoint) at most this often, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    checkpoint_every: f64,
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
        Command::Merge {
            inputs,
            out,
            report,
            format,
        } => merge_command(&inputs, out.as_deref(), report.as_deref(), format),
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
    let partial_path = directory.join(PARTIAL_FILE);
    if partial_path.exists() {
        return report_from_partial(directory, &partial_path, &report);
    }
    eprintln!(
        "{} has no {PARTIAL_FILE} (written by entente since it could shard): rerunning the batch \
         from its manifest",
        directory.display()
    );
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

/// `entente report DIR` from the exact totals a results directory keeps: no run is repeated.
fn report_from_partial(directory: &Path, partial_path: &Path, report: &Path) -> Result<()> {
    let (header, partial) = entente::partial::decode(
        &std::fs::read(partial_path)
            .with_context(|| format!("cannot read {}", partial_path.display()))?,
    )
    .with_context(|| format!("cannot report {}", partial_path.display()))?;
    if header.shard != batch::Shard::WHOLE {
        anyhow::bail!(
            "{} holds shard {} of a batch, not its results: merge every shard first \
             (`entente merge DIR... --out RESULTS`), then report RESULTS",
            directory.display(),
            header.shard
        );
    }
    let (models, options) = batch_of(&header)?;
    batch::check_partial(&models, &options, &partial)
        .with_context(|| format!("cannot report {}", partial_path.display()))?;
    let result = batch::merge(&models, &options, std::slice::from_ref(&partial))?;
    let (summaries, comparison) = summarise(&models, header.seed, &result, None);
    let manifest_path = directory.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let summary_references: Vec<&ScenarioSummary> = summaries.iter().collect();
    write_report(
        report,
        &ReportSources {
            models: &models,
            summaries: &summary_references,
            comparison: comparison.as_ref(),
            seed: header.seed,
            runs: result.runs,
            manifest: &manifest,
        },
    )
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
    write_bytes(directory, name, text.as_bytes(), outputs)
}

fn write_bytes(
    directory: &Path,
    name: &str,
    bytes: &[u8],
    outputs: &mut Vec<String>,
) -> Result<()> {
    let path = directory.join(name);
    report::write_atomic(&path, bytes)
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
/// What a report is made from, besides the charts' own computation.
struct ReportSources<'a> {
    models: &'a [Model],
    summaries: &'a [&'a ScenarioSummary],
    comparison: Option<&'a ComparisonSummary>,
    seed: u64,
    runs: u64,
    /// The text of `manifest.json`, shown as the report's provenance.
    manifest: &'a str,
}

fn write_report(path: &Path, sources: &ReportSources<'_>) -> Result<()> {
    let network_runs = sources.runs.min(report::html::NETWORK_RUNS);
    let scenarios = sources
        .models
        .iter()
        .zip(sources.summaries)
        .map(|(model, summary)| report::html::ReportScenario {
            model,
            summary,
            network: report::html::focus_network(model, sources.seed, network_runs),
        })
        .collect();
    let stem = path.file_stem().map_or_else(
        || "report".to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let chart_directory = format!("{stem}-charts");
    let input = report::html::ReportInput {
        scenarios,
        comparison: sources.comparison,
        manifest: sources.manifest.to_string(),
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
    let scenarios = vec![files];
    let executed = run_as_asked(
        &models,
        &options,
        common,
        &scenarios,
        command,
        &|runs| bar.inc(runs),
        |rows| match runs_writer.as_mut() {
            Some(writer) => writer.write(rows).context("cannot write per-run rows"),
            None => Ok(()),
        },
    )?;
    bar.finish_and_clear();
    let run = Started {
        command,
        scenarios,
        options,
        started,
        clock,
    };
    conclude_executed(&models, executed, run, common, precision, runs_writer)
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
    let executed = run_as_asked(
        &models,
        &options,
        common,
        &scenarios,
        command,
        &|runs| bar.inc(runs),
        |_| Ok(()),
    )?;
    bar.finish_and_clear();
    let run = Started {
        command,
        scenarios,
        options,
        started,
        clock,
    };
    conclude_executed(&models, executed, run, common, None, None)
}

/// What a batch or comparison was started with, for its manifest.
struct Started<'a> {
    command: &'a [String],
    scenarios: Vec<Vec<(String, String)>>,
    options: BatchOptions,
    started: SystemTime,
    clock: Instant,
}

/// Writes and prints a batch's or comparison's results if it ran whole (a shard has written its
/// partial result already).
fn conclude_executed(
    models: &[Model],
    executed: Executed,
    run: Started<'_>,
    common: &BatchArgs,
    precision: Option<f64>,
    runs_writer: Option<report::RunsWriter>,
) -> Result<()> {
    let Executed::Whole(result, runs_done, partial) = executed else {
        return Ok(());
    };
    let record = report::BatchRecord {
        command: run.command.to_vec(),
        scenarios: run.scenarios,
        scenario: String::new(),
        options: run.options,
        runs: result.runs,
        started: run.started,
        elapsed: run.clock.elapsed(),
        outputs: Vec::new(),
    };
    let outputs = Outputs {
        directory: common.out.as_deref(),
        report: common.report.as_deref(),
        format: common.format,
        runs_done: Some(runs_done),
    };
    conclude(
        models,
        &result,
        precision,
        record,
        outputs,
        runs_writer,
        partial,
    )
}

/// Where a finished batch's results go.
struct Outputs<'a> {
    directory: Option<&'a Path>,
    report: Option<&'a Path>,
    format: Format,
    /// Runs this process did (fewer than the batch's when it resumed or merged), for the
    /// closing line; `None` prints none.
    runs_done: Option<u64>,
}

/// Writes and prints the results of a finished batch (one model) or comparison (several):
/// the summaries, per-run files, manifest and report, then the table on standard output.
fn conclude(
    models: &[Model],
    result: &batch::BatchResult,
    precision: Option<f64>,
    mut record: report::BatchRecord,
    outputs: Outputs<'_>,
    runs_writer: Option<report::RunsWriter>,
    partial: Option<Box<(Header, batch::Partial)>>,
) -> Result<()> {
    let seed = record.options.seed;
    let (summaries, comparison) = summarise(models, seed, result, precision);
    record.scenario = match &comparison {
        Some(comparison) => comparison.scenarios.join(" vs "),
        None => summaries[0].scenario.clone(),
    };
    if let Some(directory) = outputs.directory {
        let mut written = Vec::new();
        match &comparison {
            None => {
                write_scenario_summary(directory, &summaries[0], "", &mut written)?;
                write_output(
                    directory,
                    "summary.csv",
                    &report::summary_csv(&summaries[0]),
                    &mut written,
                )?;
            }
            Some(comparison) => {
                write_output(
                    directory,
                    "comparison.json",
                    &report::comparison_json(comparison),
                    &mut written,
                )?;
                write_output(
                    directory,
                    "comparison.csv",
                    &report::comparison_csv(comparison),
                    &mut written,
                )?;
                for summary in &summaries {
                    let suffix = format!("-{}", summary.scenario);
                    write_scenario_summary(directory, summary, &suffix, &mut written)?;
                }
            }
        }
        if let Some(writer) = runs_writer {
            written.extend(writer.finish().with_context(|| {
                format!("cannot write per-run files in {}", directory.display())
            })?);
        }
        if let Some(kept) = &partial {
            let (header, partial) = kept.as_ref();
            // The exact totals, so that `entente report` and `entente merge` need no rerun.
            write_bytes(
                directory,
                PARTIAL_FILE,
                &entente::partial::encode(header, partial),
                &mut written,
            )?;
        }
        record.outputs = written;
        write_manifest(directory, record.clone())?;
        // The results are whole: the checkpoint they were resumed from is no longer needed.
        remove_if_present(&directory.join(CHECKPOINT_FILE))?;
    }
    if let Some(path) = outputs.report {
        let summary_references: Vec<&ScenarioSummary> = summaries.iter().collect();
        let manifest = report::manifest_json(&record);
        let report_input = ReportSources {
            models,
            summaries: &summary_references,
            comparison: comparison.as_ref(),
            seed,
            runs: result.runs,
            manifest: &manifest,
        };
        write_report(path, &report_input)?;
    }
    match (&comparison, outputs.format) {
        (None, Format::Text) => emit(&report::batch_text(&summaries[0]))?,
        (None, Format::Json) => emit(&report::summary_json(&summaries[0]))?,
        (None, Format::Markdown) => emit(&report::batch_markdown(&summaries[0]))?,
        (Some(comparison), Format::Text) => emit(&report::comparison_text(comparison))?,
        (Some(comparison), Format::Json) => emit(&report::comparison_json(comparison))?,
        (Some(comparison), Format::Markdown) => emit(&report::comparison_markdown(comparison))?,
    }
    if let Some(runs_done) = outputs.runs_done {
        finished_line(
            runs_done,
            models.len(),
            record.elapsed,
            record.options.threads,
        );
    }
    Ok(())
}

/// The checkpoint a batch with `--out` saves as it goes, and the partial result a shard leaves.
const CHECKPOINT_FILE: &str = "checkpoint.entente";
const PARTIAL_FILE: &str = "partial.entente";

/// How [`run_as_asked`] ended.
enum Executed {
    /// The whole batch ran (perhaps resumed): its result, to be written by the caller, the
    /// runs done now (fewer than the batch's after a resume), and its partial result with its
    /// header when it ran with `--out` and a run count.
    Whole(
        batch::BatchResult,
        u64,
        Option<Box<(Header, batch::Partial)>>,
    ),
    /// A shard ran and its partial result is written; or `--resume` found it already done.
    Written,
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// FNV-1a of this executable's bytes: partial results merge bit-identically only when the same
/// binary wrote them all.
fn binary_fingerprint() -> Result<String> {
    let path = std::env::current_exe().context("cannot find this program's executable")?;
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read this program's executable {}", path.display()))?;
    Ok(format!("{:016x}", entente::rng::fnv1a(&bytes)))
}

/// The shard `--shard` asks for (the whole batch without it).
fn resolve_shard(common: &BatchArgs) -> Result<batch::Shard> {
    let Some(spec) = common.shard.as_deref() else {
        return Ok(batch::Shard::WHOLE);
    };
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let number = |name: &str, text: String| -> Result<u64> {
        text.trim()
            .parse::<u64>()
            .with_context(|| format!("{name}={text:?} is not a whole number"))
    };
    let (index, count) = if spec == "auto" {
        if let (Some(id), Some(count)) = (
            variable("SLURM_ARRAY_TASK_ID"),
            variable("SLURM_ARRAY_TASK_COUNT"),
        ) {
            let id = number("SLURM_ARRAY_TASK_ID", id)?;
            let minimum = match variable("SLURM_ARRAY_TASK_MIN") {
                Some(minimum) => number("SLURM_ARRAY_TASK_MIN", minimum)?,
                None => 0,
            };
            let index = id.checked_sub(minimum).with_context(|| {
                format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {minimum}")
            })?;
            (index, number("SLURM_ARRAY_TASK_COUNT", count)?)
        } else if let Some(index) = variable("JOB_COMPLETION_INDEX") {
            let index = number("JOB_COMPLETION_INDEX", index)?;
            let count = match (common.shard_count, variable("ENTENTE_SHARD_COUNT")) {
                (Some(count), _) => count,
                (None, Some(count)) => number("ENTENTE_SHARD_COUNT", count)?,
                (None, None) => anyhow::bail!(
                    "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not \
                     the number of shards; give --shard-count N or set ENTENTE_SHARD_COUNT to \
                     the job's completions"
                ),
            };
            (index, count)
        } else {
            anyhow::bail!(
                "--shard auto: neither SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job \
                 array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard \
                 K/N, for example --shard 3/64"
            )
        }
    } else {
        let (index, count) = spec.split_once('/').with_context(|| {
            format!("--shard {spec:?}: expected K/N (shard K of N, K from 0) or auto")
        })?;
        (
            number("--shard K", index.to_string())?,
            number("--shard N", count.to_string())?,
        )
    };
    if count == 0 || index >= count {
        anyhow::bail!(
            "--shard {index}/{count}: K must be at least 0 and below N, and N at least 1"
        );
    }
    Ok(batch::Shard { index, count })
}

/// Runs a batch or comparison as `common` asks: whole or one shard, from the start or from the
/// checkpoint in `--out` (`--resume`), saving checkpoints there as it goes.
fn run_as_asked(
    models: &[Model],
    options: &BatchOptions,
    common: &BatchArgs,
    scenarios: &[Vec<(String, String)>],
    command: &[String],
    progress: &(dyn Fn(u64) + Sync),
    rows: impl FnMut(batch::RunRows<'_>) -> Result<()>,
) -> Result<Executed> {
    let shard = resolve_shard(common)?;
    let sharded = shard != batch::Shard::WHOLE;
    let RunPlan::Fixed(runs) = options.plan else {
        if sharded || common.resume {
            return Err(batch::PartialError::PrecisionPlan.into());
        }
        let result = batch::run(models, options, progress, rows)?;
        let runs = result.runs;
        return Ok(Executed::Whole(result, runs, None));
    };
    let directory = common.out.as_deref();
    if sharded && directory.is_none() {
        anyhow::bail!("--shard needs --out DIR: the shard's partial result is written there");
    }
    if options.per_run && (sharded || common.resume) {
        anyhow::bail!(
            "--per-run cannot be combined with --shard or --resume yet: per-run files are \
             written as the runs go and are not split or resumed"
        );
    }
    if !(common.checkpoint_every.is_finite() && common.checkpoint_every >= 0.0) {
        anyhow::bail!(
            "--checkpoint-every must be a number of seconds, got {}",
            common.checkpoint_every
        );
    }
    let Some(directory) = directory else {
        let result = batch::run(models, options, progress, rows)?;
        return Ok(Executed::Whole(result, runs, None));
    };
    let header = Header {
        entente_version: env!("CARGO_PKG_VERSION").to_string(),
        binary: binary_fingerprint()?,
        seed: options.seed,
        runs,
        shard,
        envelopes: options.envelopes,
        command: command.to_vec(),
        scenarios: scenarios.to_vec(),
    };
    let checkpoint_path = directory.join(CHECKPOINT_FILE);
    let mut sharding = batch::Sharding {
        shard,
        resume: None,
        checkpoint_every: Some(std::time::Duration::from_secs_f64(common.checkpoint_every)),
    };
    let finished = if sharded {
        directory.join(PARTIAL_FILE)
    } else {
        directory.join(if models.len() > 1 {
            "comparison.json"
        } else {
            "summary.json"
        })
    };
    if common.resume {
        match std::fs::read(&checkpoint_path) {
            Ok(bytes) => {
                let (found, partial) = entente::partial::decode(&bytes)
                    .with_context(|| format!("cannot resume from {}", checkpoint_path.display()))?;
                let mut differences = header.differences(&found);
                if found.shard != shard {
                    differences.push(format!("the shard ({} vs {})", shard, found.shard));
                }
                if !differences.is_empty() {
                    anyhow::bail!(
                        "cannot resume from {}: it is a checkpoint of another batch; it differs in {}",
                        checkpoint_path.display(),
                        differences.join("; ")
                    );
                }
                batch::check_partial(models, options, &partial)
                    .with_context(|| format!("cannot resume from {}", checkpoint_path.display()))?;
                eprintln!(
                    "resuming from {}: {} of {} chunks done",
                    checkpoint_path.display(),
                    partial.done,
                    partial.chunks.end - partial.chunks.start
                );
                progress(
                    ((partial.chunks.start + partial.done) * batch::CHUNK_RUNS).min(runs)
                        - shard.runs(runs).start,
                );
                sharding.resume = Some(partial);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if finished.exists() {
                    eprintln!(
                        "{} already holds the finished results ({}); nothing to resume",
                        directory.display(),
                        finished.display()
                    );
                    return Ok(Executed::Written);
                }
                eprintln!(
                    "no checkpoint in {}: starting from the first run",
                    directory.display()
                );
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot read {}", checkpoint_path.display()));
            }
        }
    }
    let (result, partial) =
        batch::run_sharded(models, options, &sharding, progress, rows, |partial| {
            report::write_atomic(
                &checkpoint_path,
                &entente::partial::encode(&header, partial),
            )
            .with_context(|| format!("cannot write checkpoint {}", checkpoint_path.display()))
        })?;
    let resumed_runs = sharding.resume.as_ref().map_or(0, |partial| {
        ((partial.chunks.start + partial.done) * batch::CHUNK_RUNS).min(runs)
    });
    if let Some(result) = result {
        let runs_done = result.runs - resumed_runs;
        let kept = Box::new((header, partial));
        return Ok(Executed::Whole(result, runs_done, Some(kept)));
    }
    let partial_path = directory.join(PARTIAL_FILE);
    report::write_atomic(&partial_path, &entente::partial::encode(&header, &partial))
        .with_context(|| format!("cannot write {}", partial_path.display()))?;
    remove_if_present(&checkpoint_path)?;
    let span = shard.runs(runs);
    eprintln!(
        "shard {shard}: runs {} to {} of {runs} ({} runs) in {}; combine every shard with `entente merge`",
        span.start,
        span.end.saturating_sub(1),
        span.end - span.start,
        partial_path.display()
    );
    Ok(Executed::Written)
}

/// `entente merge`: reads every shard's partial result, checks they are one batch's, and writes
/// and prints what the batch would have given in one process.
fn merge_command(
    inputs: &[PathBuf],
    out: Option<&Path>,
    report: Option<&Path>,
    format: Format,
) -> Result<()> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut read: Vec<(PathBuf, Header, batch::Partial)> = Vec::new();
    for input in inputs {
        let path = if input.is_dir() {
            input.join(PARTIAL_FILE)
        } else {
            input.clone()
        };
        let bytes = std::fs::read(&path).with_context(|| {
            if input.is_dir() {
                format!(
                    "cannot read {}: is {} a finished shard's output directory?",
                    path.display(),
                    input.display()
                )
            } else {
                format!("cannot read {}", path.display())
            }
        })?;
        let (header, partial) = entente::partial::decode(&bytes)
            .with_context(|| format!("cannot merge {}", path.display()))?;
        read.push((path, header, partial));
    }
    let (first_path, first, _) = &read[0];
    for (path, header, _) in &read[1..] {
        let differences = first.differences(header);
        if !differences.is_empty() {
            anyhow::bail!(
                "{} and {} are not shards of one batch: they differ in {}",
                first_path.display(),
                path.display(),
                differences.join("; ")
            );
        }
    }
    let (models, options) = batch_of(first)?;
    for (path, _, partial) in &read {
        batch::check_partial(&models, &options, partial)
            .with_context(|| format!("cannot merge {}", path.display()))?;
    }
    let partials: Vec<batch::Partial> =
        read.iter().map(|(_, _, partial)| partial.clone()).collect();
    let whole = batch::combine(&models, &options, &partials).with_context(|| {
        format!(
            "cannot merge the {} partial results given (from {})",
            partials.len(),
            first_path.display()
        )
    })?;
    let result = batch::merge(&models, &options, std::slice::from_ref(&whole))?;
    let whole_header = Header {
        shard: batch::Shard::WHOLE,
        command: whole_batch_command(&first.command),
        ..first.clone()
    };
    if let Some(directory) = out {
        prepare_out(Some(directory))?;
    }
    eprintln!(
        "merged {} shards of {} runs (entente {}, binary {})",
        partials.len(),
        first.runs,
        first.entente_version,
        first.binary
    );
    let record = report::BatchRecord {
        command: whole_batch_command(&first.command),
        scenarios: first.scenarios.clone(),
        scenario: String::new(),
        options,
        runs: result.runs,
        started,
        elapsed: clock.elapsed(),
        outputs: Vec::new(),
    };
    let outputs = Outputs {
        directory: out,
        report,
        format,
        runs_done: None,
    };
    let kept = Some(Box::new((whole_header, whole)));
    conclude(&models, &result, None, record, outputs, None, kept)
}

/// A shard's command without what made it a shard (`--shard`, `--shard-count`, `--resume`,
/// `--out`, `--checkpoint-every`): the command of the whole batch, which is what the merged
/// manifest records, so that `entente rerun` repeats the whole batch in one process.
fn whole_batch_command(command: &[String]) -> Vec<String> {
    const WITH_VALUE: [&str; 4] = ["--shard", "--shard-count", "--out", "--checkpoint-every"];
    let mut whole = Vec::new();
    let mut arguments = command.iter();
    while let Some(argument) = arguments.next() {
        let flag = argument
            .split_once('=')
            .map_or(argument.as_str(), |(flag, _)| flag);
        if WITH_VALUE.contains(&argument.as_str()) {
            arguments.next(); // its value
        } else if !(argument == "--resume" || WITH_VALUE.contains(&flag)) {
            whole.push(argument.clone());
        }
    }
    whole
}

/// The scenarios and batch options a partial-result header records, to summarise or merge it.
fn batch_of(header: &Header) -> Result<(Vec<Model>, BatchOptions)> {
    let mut models = Vec::new();
    for files in &header.scenarios {
        models.push(Model::new(Scenario::from_files(files)?));
    }
    let options = BatchOptions {
        seed: header.seed,
        plan: RunPlan::Fixed(header.runs),
        threads: 1,
        envelopes: header.envelopes,
        per_run: false,
    };
    Ok((models, options))
}

/// Each scenario's summary of a batch result, and the comparison when there are several.
fn summarise(
    models: &[Model],
    seed: u64,
    result: &batch::BatchResult,
    precision: Option<f64>,
) -> (Vec<ScenarioSummary>, Option<ComparisonSummary>) {
    let summaries = models
        .iter()
        .enumerate()
        .map(|(index, model)| ScenarioSummary::new(model, seed, result, index, precision))
        .collect();
    let comparison = (models.len() > 1).then(|| ComparisonSummary::new(models, seed, result));
    (summaries, comparison)
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
