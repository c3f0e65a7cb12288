//! `entente batch` and `entente compare`: check the request, run it (whole, one shard, or
//! resumed from a checkpoint), and conclude: summaries, per-run files and the manifest
//! committed to `--out` as a whole, the HTML report, and the table on standard output.

use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};

use entente::batch::{self, BatchOptions, RunPlan, Shard};
use entente::cli::{self, BatchArgs, BatchRequest, DEFAULT_RUNS, DesignArgs, Format};
use entente::design::Experiment;
use entente::model::Model;
use entente::partial::Header;
use entente::report;
use entente::results::{self, PARTIAL_FILE, Staging};
use entente::scenario::Scenario;
use entente::summary::ScenarioSummary;

use super::report::{ReportSources, write_report};
use entente::summary::summarise;

use super::{Loaded, binary_fingerprint, emit, progress_bar, thread_count};

pub fn batch_command(
    (scenario, files): Loaded,
    request: &BatchRequest,
    common: &BatchArgs,
    command: &[String],
) -> Result<()> {
    let seed = common.seed.unwrap_or(scenario.seed());
    let path = files
        .first()
        .map_or_else(String::new, |(path, _)| path.clone());
    let experiment = experiment_of(&common.design, &scenario, seed)?;
    let design_runs = design_runs(experiment.as_deref(), request.runs, request.precision)?;
    let plan = match request.precision {
        Some(target) => RunPlan::Precision {
            target,
            max_runs: request.max_runs,
            outcomes: precision_outcomes(&scenario, &request.precision_outcomes, &path)?,
        },
        None => RunPlan::Fixed(design_runs.or(request.runs).unwrap_or(DEFAULT_RUNS)),
    };
    let options = BatchOptions {
        seed,
        plan,
        threads: thread_count(common.threads),
        envelopes: !common.no_envelopes,
        per_run: request.per_run,
    };
    check_memory(&[&scenario], &options, common.max_memory)?;
    let shard = shard_of(common, &options)?;
    let staging = begin_output(common, shard, &options)?;
    let mut model = Model::new(scenario);
    if let Some(experiment) = &experiment {
        model.set_experiment(Arc::clone(experiment));
    }
    let runs_writer = match (&staging, request.per_run) {
        (Some(staging), true) => Some(
            report::RunsWriter::create(staging.path(), &model).with_context(|| {
                format!(
                    "cannot write per-run files in {}",
                    staging.directory().display()
                )
            })?,
        ),
        _ => None,
    };
    let run = Started {
        command,
        scenarios: vec![files],
        options,
        at: SystemTime::now(),
        clock: Instant::now(),
    };
    run_and_conclude(
        &[model],
        run,
        common,
        shard,
        staging,
        request.precision,
        runs_writer,
    )
}

/// The experiment `--design` and its options ask for on `scenario` (the first of a
/// comparison, whose parameters define the inputs), or `None` for a plain Monte Carlo batch.
pub fn experiment_of(
    design: &DesignArgs,
    scenario: &Scenario,
    seed: u64,
) -> Result<Option<Arc<Experiment>>> {
    match design.request() {
        Some(request) => Ok(Some(Arc::new(Experiment::new(&request, scenario, seed)?))),
        None => Ok(None),
    }
}

/// The runs a design with a size takes (`None` for Monte Carlo); an error if `--runs` asks
/// for another number or `--precision` is given, which would cut the design short.
fn design_runs(
    experiment: Option<&Experiment>,
    runs: Option<u64>,
    precision: Option<f64>,
) -> Result<Option<u64>> {
    let Some(size) = experiment.and_then(Experiment::runs) else {
        return Ok(None);
    };
    if precision.is_some() {
        anyhow::bail!(
            "--precision cannot be used with --design {}: the design's {size} runs are its size",
            experiment.map_or("", |experiment| experiment.method().name())
        );
    }
    if let Some(runs) = runs
        && runs != size
    {
        anyhow::bail!(
            "--runs {runs}: the design has {size} runs (points × runs per point × replications); drop --runs"
        );
    }
    Ok(Some(size))
}

/// The outcome indices `--precision-outcome` names (all when none is named).
fn precision_outcomes(
    scenario: &Scenario,
    names: &[String],
    path: &str,
) -> Result<Option<Vec<usize>>> {
    if names.is_empty() {
        return Ok(None);
    }
    let outcomes = scenario.outcomes();
    names
        .iter()
        .map(|name| {
            outcomes
                .iter()
                .position(|spec| &spec.name == name)
                .with_context(|| {
                    format!(
                        "--precision-outcome {name:?} is not an outcome of {path}; it has: {}",
                        outcomes
                            .iter()
                            .map(|spec| spec.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

pub fn compare_command(
    loaded: Vec<Loaded>,
    runs: Option<u64>,
    common: &BatchArgs,
    command: &[String],
) -> Result<()> {
    let seed = common.seed.unwrap_or(loaded[0].0.seed());
    let experiment = experiment_of(&common.design, &loaded[0].0, seed)?;
    let runs = design_runs(experiment.as_deref(), runs, None)?
        .or(runs)
        .unwrap_or(DEFAULT_RUNS);
    let options = BatchOptions {
        seed,
        plan: RunPlan::Fixed(runs),
        threads: thread_count(common.threads),
        envelopes: !common.no_envelopes,
        per_run: false,
    };
    let scenario_references: Vec<&Scenario> = loaded.iter().map(|(scenario, _)| scenario).collect();
    check_memory(&scenario_references, &options, common.max_memory)?;
    let shard = shard_of(common, &options)?;
    let staging = begin_output(common, shard, &options)?;
    let mut models = Vec::new();
    let mut scenarios = Vec::new();
    for (index, (scenario, files)) in loaded.into_iter().enumerate() {
        scenarios.push(files);
        let mut model = Model::new(scenario);
        if let Some(experiment) = &experiment {
            for key in model.set_experiment(Arc::clone(experiment)) {
                if index > 0 {
                    note!(
                        "note: {key} differs in {} (or is not in it): it keeps its own value",
                        model.scenario().name()
                    );
                }
            }
        }
        models.push(model);
    }
    let run = Started {
        command,
        scenarios,
        options,
        at: SystemTime::now(),
        clock: Instant::now(),
    };
    run_and_conclude(&models, run, common, shard, staging, None, None)
}

/// Runs a batch or comparison as asked (with a progress bar) and concludes it.
fn run_and_conclude(
    models: &[Model],
    run: Started<'_>,
    common: &BatchArgs,
    shard: Shard,
    mut staging: Option<Staging>,
    precision: Option<f64>,
    mut runs_writer: Option<report::RunsWriter>,
) -> Result<()> {
    let bar = progress_bar(match run.options.plan {
        RunPlan::Fixed(runs) => Some(runs),
        RunPlan::Precision { .. } => None,
    });
    let executed = run_as_asked(
        models,
        &run.options,
        common,
        shard,
        staging.as_mut(),
        &run.scenarios,
        run.command,
        &|runs| bar.inc(runs),
        |rows| match runs_writer.as_mut() {
            Some(writer) => writer.write(rows).context("cannot write per-run rows"),
            None => Ok(()),
        },
    )?;
    bar.finish_and_clear();
    conclude_executed(
        models,
        executed,
        run,
        common,
        staging,
        precision,
        runs_writer,
    )
}

/// Refuses a batch whose estimated memory is above `--max-memory` (or its default), before
/// anything is allocated for it.
fn check_memory(scenarios: &[&Scenario], options: &BatchOptions, limit: Option<u64>) -> Result<()> {
    let limit = limit.unwrap_or_else(cli::default_max_memory);
    let estimate = batch::memory_estimate(scenarios, options);
    if estimate.total() > limit {
        anyhow::bail!(
            "this batch needs about {} of memory ({} for the models and totals, {} for each of \
             {} threads), more than the limit of {} (--max-memory; the default is three \
             quarters of this machine's memory): use fewer threads{}, a smaller scenario, or \
             raise --max-memory",
            human_size(estimate.total()),
            human_size(estimate.shared),
            human_size(estimate.per_thread),
            estimate.threads,
            human_size(limit),
            if options.envelopes {
                ", --no-envelopes"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// A size for people: bytes below a kilobyte, then kB, MB, GB or TB (powers of 1000).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    if value < 1000.0 {
        return format!("{bytes} bytes");
    }
    let mut unit = 0;
    value /= 1000.0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The shard `--shard` asks for, checked against the batch's run count.
fn shard_of(common: &BatchArgs, options: &BatchOptions) -> Result<Shard> {
    match options.plan {
        RunPlan::Fixed(runs) => Ok(cli::resolve_shard(
            common.shard.as_deref(),
            common.shard_count,
            runs,
            |name| std::env::var(name).ok(),
        )?),
        RunPlan::Precision { .. } if common.shard.is_some() || common.resume => {
            Err(batch::PartialError::PrecisionPlan.into())
        }
        RunPlan::Precision { .. } => Ok(Shard::WHOLE),
    }
}

/// Checks what `--out` asks for and, with it, locks the directory and starts staging the
/// results there: a directory that cannot be written fails now, before any run.
fn begin_output(
    common: &BatchArgs,
    shard: Shard,
    options: &BatchOptions,
) -> Result<Option<Staging>> {
    let Some(directory) = common.out.as_deref() else {
        if shard != Shard::WHOLE {
            anyhow::bail!("--shard needs --out DIR: the shard's partial result is written there");
        }
        return Ok(None);
    };
    if options.per_run && (shard != Shard::WHOLE || common.resume) {
        anyhow::bail!(
            "--per-run cannot be combined with --shard or --resume yet: per-run files are \
             written as the runs go and are not split or resumed"
        );
    }
    Ok(Some(Staging::begin(directory)?))
}

/// What a batch or comparison is run with and when it started, for its manifest.
pub struct Started<'a> {
    pub command: &'a [String],
    pub scenarios: Vec<Vec<(String, String)>>,
    pub options: BatchOptions,
    /// When it started, and a clock of its elapsed time.
    pub at: SystemTime,
    pub clock: Instant,
}

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
    /// A shard ran and its partial result is staged; or `--resume` found the batch done.
    Staged,
    Finished,
}

/// Runs a batch or comparison as `common` asks: whole or one shard, from the start or from the
/// checkpoint in `--out` (`--resume`), saving checkpoints there as it goes.
#[allow(clippy::too_many_arguments)]
fn run_as_asked(
    models: &[Model],
    options: &BatchOptions,
    common: &BatchArgs,
    shard: Shard,
    staging: Option<&mut Staging>,
    scenarios: &[Vec<(String, String)>],
    command: &[String],
    progress: &(dyn Fn(u64) + Sync),
    rows: impl FnMut(batch::RunRows<'_>) -> Result<()>,
) -> Result<Executed> {
    let RunPlan::Fixed(runs) = options.plan else {
        let result = batch::run(models, options, progress, rows)?;
        let runs = result.runs;
        return Ok(Executed::Whole(result, runs, None));
    };
    let Some(staging) = staging else {
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
    let mut sharding = batch::Sharding {
        shard,
        resume: None,
        checkpoint_every: Some(std::time::Duration::from_secs_f64(common.checkpoint_every)),
    };
    if common.resume {
        match resume_point(staging, &header, models, options)? {
            Resume::Finished => return Ok(Executed::Finished),
            Resume::From(partial) => {
                progress(
                    ((partial.chunks.start + partial.done) * batch::CHUNK_RUNS).min(runs)
                        - shard.runs(runs).start,
                );
                sharding.resume = Some(*partial);
            }
            Resume::Start => {}
        }
    }
    let (result, partial) =
        batch::run_sharded(models, options, &sharding, progress, rows, |partial| {
            staging
                .checkpoint(&entente::partial::encode(&header, partial))
                .context("cannot write a checkpoint")
        })?;
    let resumed_runs = sharding.resume.as_ref().map_or(0, |partial| {
        ((partial.chunks.start + partial.done) * batch::CHUNK_RUNS).min(runs)
    });
    if let Some(result) = result {
        let runs_done = result.runs - resumed_runs;
        let kept = Box::new((header, partial));
        return Ok(Executed::Whole(result, runs_done, Some(kept)));
    }
    staging.write(PARTIAL_FILE, &entente::partial::encode(&header, &partial))?;
    let span = shard.runs(runs);
    note!(
        "shard {shard}: runs {} to {} of {runs} ({} runs) in {}; combine every shard with `entente merge`",
        span.start,
        span.end.saturating_sub(1),
        span.end - span.start,
        staging.directory().join(PARTIAL_FILE).display()
    );
    Ok(Executed::Staged)
}

/// Where `--resume` starts.
enum Resume {
    /// The directory already holds this batch's finished results.
    Finished,
    /// From the directory's checkpoint of this batch.
    From(Box<batch::Partial>),
    /// From the first run: the directory has no checkpoint and no results.
    Start,
}

/// Decides where `--resume` starts, refusing a checkpoint or finished results of another
/// batch (another scenario text, seed, run count, split or binary).
fn resume_point(
    staging: &Staging,
    header: &Header,
    models: &[Model],
    options: &BatchOptions,
) -> Result<Resume> {
    let directory = staging.directory();
    let differences = |found: &Header| {
        let mut differences = header.differences(found);
        if found.shard != header.shard {
            differences.push(format!("the shard ({} vs {})", header.shard, found.shard));
        }
        differences
    };
    if let Some(committed) = staging.committed()? {
        let finished = if committed.contains(PARTIAL_FILE) {
            let (found, _) = entente::partial::decode(&committed.read(PARTIAL_FILE)?)
                .with_context(|| {
                    format!("cannot read {}", directory.join(PARTIAL_FILE).display())
                })?;
            differences(&found)
        } else {
            vec!["its plan (it has no exact totals: a batch run to a precision target)".into()]
        };
        if finished.is_empty() {
            note!(
                "{} already holds the finished results of this batch; nothing to resume",
                directory.display()
            );
            return Ok(Resume::Finished);
        }
        if staging.checkpoint_bytes()?.is_none() {
            anyhow::bail!(
                "{} holds the finished results of another batch (it differs in {}) and no \
                 checkpoint of this one: there is nothing to resume; run without --resume to \
                 replace them, or write to another --out",
                directory.display(),
                finished.join("; ")
            );
        }
    }
    let Some(bytes) = staging.checkpoint_bytes()? else {
        note!(
            "no checkpoint in {}: starting from the first run",
            directory.display()
        );
        return Ok(Resume::Start);
    };
    let path = directory.join(results::CHECKPOINT_FILE);
    let (found, partial) = entente::partial::decode(&bytes)
        .with_context(|| format!("cannot resume from {}", path.display()))?;
    let differences = differences(&found);
    if !differences.is_empty() {
        anyhow::bail!(
            "cannot resume from {}: it is a checkpoint of another batch; it differs in {}",
            path.display(),
            differences.join("; ")
        );
    }
    batch::check_partial(models, options, &partial)
        .with_context(|| format!("cannot resume from {}", path.display()))?;
    note!(
        "resuming from {}: {} of {} chunks done",
        path.display(),
        partial.done,
        partial.chunks.end - partial.chunks.start
    );
    Ok(Resume::From(Box::new(partial)))
}

/// Writes and prints a batch's or comparison's results if it ran whole; commits a shard's.
fn conclude_executed(
    models: &[Model],
    executed: Executed,
    run: Started<'_>,
    common: &BatchArgs,
    staging: Option<Staging>,
    precision: Option<f64>,
    runs_writer: Option<report::RunsWriter>,
) -> Result<()> {
    let (result, runs_done, partial) = match executed {
        Executed::Whole(result, runs_done, partial) => (result, runs_done, partial),
        Executed::Staged => {
            if let Some(staging) = staging {
                staging.commit()?;
            }
            return Ok(());
        }
        Executed::Finished => {
            if let Some(staging) = staging {
                staging.abandon()?;
            }
            return Ok(());
        }
    };
    let outputs = Outputs {
        staging,
        report: common.report.as_deref(),
        format: common.format,
        runs_done: Some(runs_done),
    };
    conclude(
        models,
        &result,
        precision,
        run,
        outputs,
        runs_writer,
        partial,
    )
}

/// Where a finished batch's results go.
pub struct Outputs<'a> {
    /// The results directory being written, if any.
    pub staging: Option<Staging>,
    pub report: Option<&'a Path>,
    pub format: Format,
    /// Runs this process did (fewer than the batch's when it resumed or merged), for the
    /// closing line; `None` prints none.
    pub runs_done: Option<u64>,
}

/// Writes and prints the results of a finished batch (one model) or comparison (several):
/// the summaries, per-run files, exact totals and manifest, committed as a whole, then the
/// report, then the table on standard output.
pub fn conclude(
    models: &[Model],
    result: &batch::BatchResult,
    precision: Option<f64>,
    run: Started<'_>,
    outputs: Outputs<'_>,
    runs_writer: Option<report::RunsWriter>,
    partial: Option<Box<(Header, batch::Partial)>>,
) -> Result<()> {
    let seed = run.options.seed;
    let (summaries, comparison) = summarise(models, seed, result, precision);
    let mut record = report::BatchRecord {
        command: run.command.to_vec(),
        scenarios: run.scenarios,
        scenario: match &comparison {
            Some(comparison) => comparison.scenarios.join(" vs "),
            None => summaries[0].scenario.clone(),
        },
        options: run.options,
        runs: result.runs,
        started: run.at,
        elapsed: run.clock.elapsed(),
        // The files committed, filled in as they are staged.
        outputs: Vec::new(),
    };
    if let Some(mut staging) = outputs.staging {
        match &comparison {
            None => {
                write_scenario_summary(&mut staging, &summaries[0], "")?;
                staging.write("summary.csv", report::summary_csv(&summaries[0]).as_bytes())?;
            }
            Some(comparison) => {
                staging.write(
                    "comparison.json",
                    report::comparison_json(comparison).as_bytes(),
                )?;
                staging.write(
                    "comparison.csv",
                    report::comparison_csv(comparison).as_bytes(),
                )?;
                for summary in &summaries {
                    let suffix = format!("-{}", summary.scenario);
                    write_scenario_summary(&mut staging, summary, &suffix)?;
                }
            }
        }
        if let Some(writer) = runs_writer {
            let names = writer.finish().with_context(|| {
                format!(
                    "cannot write per-run files in {}",
                    staging.directory().display()
                )
            })?;
            for name in names {
                staging.adopt(&name);
            }
        }
        if let Some(experiment) = models.first().and_then(Model::experiment) {
            staging.write_streamed("experiments.csv", |writer| {
                entente::exploration::write_design_rows(experiment, result.runs, None, writer)
            })?;
        }
        if let Some(kept) = &partial {
            let (header, partial) = kept.as_ref();
            // The exact totals, so that `entente report` and `entente merge` need no rerun.
            staging.write(PARTIAL_FILE, &entente::partial::encode(header, partial))?;
        }
        record.outputs = staging.files().to_vec();
        staging.write(
            results::MANIFEST_FILE,
            report::manifest_json(&record).as_bytes(),
        )?;
        staging.commit()?;
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

/// Writes a scenario's `summary{suffix}.json` and, if it kept them, `envelopes{suffix}.csv`.
fn write_scenario_summary(
    staging: &mut Staging,
    summary: &ScenarioSummary,
    suffix: &str,
) -> Result<()> {
    staging.write(
        &format!("summary{suffix}.json"),
        report::summary_json(summary).as_bytes(),
    )?;
    if !summary.envelopes.is_empty() {
        staging.write(
            &format!("envelopes{suffix}.csv"),
            report::envelopes_csv(summary).as_bytes(),
        )?;
    }
    Ok(())
}

fn finished_line(runs: u64, scenarios: usize, elapsed: std::time::Duration, threads: usize) {
    let seconds = elapsed.as_secs_f64();
    let total = runs * scenarios as u64;
    note!(
        "{total} runs in {seconds:.2} s ({:.0} runs/s, {threads} thread{})",
        total as f64 / seconds,
        if threads == 1 { "" } else { "s" }
    );
}
