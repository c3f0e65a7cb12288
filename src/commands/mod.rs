//! The commands of the `entente` binary, one file each, and what they share: loading
//! scenarios, printing, threads, progress bars and rebuilding a batch from a partial result's
//! header. Results directories are the library's `results` module's business.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once by `--quiet`: commands then print nothing but errors.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Makes every command print nothing on standard output and no notes, warnings, progress or
/// timings on standard error (errors are printed by `main`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `eprintln!` unless `--quiet`: notes, warnings and timings on standard error.
macro_rules! note {
    ($($argument:tt)*) => {
        if !$crate::commands::quiet() {
            eprintln!($($argument)*);
        }
    };
}

pub mod batch;
pub mod discover;
pub mod merge;
pub mod report;
pub mod rerun;
pub mod sensitivity;
pub mod single;

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};

use entente::batch::BatchOptions;
use entente::cli::OverrideArgs;
use entente::model::Model;
use entente::partial::Header;
use entente::scenario::Scenario;

/// A scenario and the files it was read from, as (path, text).
pub type Loaded = (Scenario, Vec<(String, String)>);

/// Loads a scenario with the `--set` overrides and prints its warnings; returns it with the files it was read from.
pub fn load(path: &Path, overrides: &OverrideArgs) -> Result<Loaded> {
    let scenario = Scenario::load_with(path, &overrides.overrides()?)?;
    let files = scenario
        .sources()
        .iter()
        .map(|file| (file.path.clone(), file.text.clone()))
        .collect();
    Ok(loaded_from(scenario, files))
}

pub fn loaded_from(scenario: Scenario, files: Vec<(String, String)>) -> Loaded {
    print_warnings(&scenario);
    (scenario, files)
}

/// Prints each of the scenario's warnings to standard error.
pub fn print_warnings(scenario: &Scenario) {
    for warning in scenario.warnings() {
        note!("warning: {warning}");
    }
}

/// Writes `text` to standard output. A closed pipe (`entente check f | head -1`) is not an
/// error: the reader has what it wanted.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    if quiet() {
        return Ok(());
    }
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

/// A progress bar on standard error when it is a terminal, hidden otherwise.
pub fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    if quiet() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => indicatif::ProgressBar::new(total),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = match total {
        Some(_) => "{bar:40} {pos}/{len} runs  {rate}  eta {eta}",
        None => "{spinner} {pos} runs  {rate}",
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        // Whole runs a second: indicatif's own `{per_sec}` prints `3,142.8618/s`.
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, writer: &mut dyn std::fmt::Write| {
                let _ = write!(writer, "{:.0} runs/s", state.per_sec());
            },
        ));
    }
    bar
}

/// The worker threads `--threads` asks for, or every core.
pub fn thread_count(requested: Option<u32>) -> usize {
    entente::batch::worker_threads(requested.map(|threads| threads as usize))
}

/// FNV-1a of this executable's bytes: partial results merge bit-identically only when the same
/// binary wrote them all.
pub fn binary_fingerprint() -> Result<String> {
    let path = std::env::current_exe().context("cannot find this program's executable")?;
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read this program's executable {}", path.display()))?;
    Ok(format!("{:016x}", entente::rng::fnv1a(&bytes)))
}

/// Refuses a partial result written by another entente version or binary: its totals would
/// merge or summarise without error but need not be the bits this binary gives (`--resume`
/// refuses them for the same reason).
pub fn check_same_binary(header: &Header, path: &Path) -> Result<()> {
    let binary = binary_fingerprint()?;
    let version = env!("CARGO_PKG_VERSION");
    if header.binary != binary || header.entente_version != version {
        anyhow::bail!(
            "{} was written by another entente binary (entente {} {}, this is entente {version} \
             {binary}): results are bit-identical only for one binary; use the binary that ran \
             the batch, or rerun it with this one (`entente rerun MANIFEST`)",
            path.display(),
            header.entente_version,
            header.binary
        );
    }
    Ok(())
}

/// The scenarios and batch options a partial-result header records, to summarise or merge it.
pub fn batch_of(header: &Header) -> Result<(Vec<Model>, BatchOptions)> {
    let mut models = Vec::new();
    for files in &header.scenarios {
        models.push(Model::new(Scenario::from_files(files)?));
    }
    // The design, if any, is in the recorded command; its runs take their inputs from it.
    if let (Some(request), Some(first)) = (
        entente::cli::recorded_design(&header.command),
        models.first(),
    ) {
        let experiment = std::sync::Arc::new(entente::design::Experiment::new(
            &request,
            first.scenario(),
            header.seed,
        )?);
        for model in &mut models {
            model.set_experiment(std::sync::Arc::clone(&experiment));
        }
    }
    Ok((models, header.batch_options()))
}
