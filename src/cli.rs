//! The command line's arguments: what each command takes, with every number range-checked
//! before any work starts. `main` parses them (clap) and hands each command to
//! `src/commands/`; it lives in the library so that the option parsing can be fuzzed and
//! tested in process.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::batch::{CHUNK_RUNS, MAX_RUNS, SEGMENT_CHUNKS, Shard};
use crate::design::{DEFAULT_MORRIS_LEVELS, ExperimentRequest, Method, RangeRequest, SweepRequest};

/// The most worker threads a batch may ask for (more than any machine's cores; each thread
/// holds a copy of the model's state, so a typo like 1000000 must not start a million).
pub const MAX_THREADS: u32 = 1024;

/// The longest wait between checkpoints: a day.
pub const MAX_CHECKPOINT_SECONDS: f64 = 86_400.0;

/// The finest `--precision` accepted: finer targets need more runs than [`MAX_RUNS`] for any
/// outcome with spread, so they are typos.
pub const MIN_PRECISION: f64 = 1e-12;

/// Exit statuses, shown at the end of `entente --help` and in the man page.
pub const EXIT_STATUS_HELP: &str = "\
Exit status: 0 success; 1 a scenario, design or run error (the message says which file, line \
and key); 2 a usage error (an unknown option, a value out of range).";

/// The whole command line: the global options and the command.
#[derive(Parser)]
#[command(
    name = "entente",
    version,
    about = "Scenario and influence simulation of states, their ties and sanctions",
    long_about = None,
    after_help = EXIT_STATUS_HELP
)]
pub struct Cli {
    /// Print nothing on standard output and no progress, warnings or timings on standard
    /// error; errors are still printed and the exit status tells. Files (--out, --report,
    /// --trace) are still written.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command to run, with its own arguments.
    #[command(subcommand)]
    pub command: Command,
}

/// Scenario overrides by key, shared by the commands that load scenarios.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct OverrideArgs {
    /// Set KEY to VALUE in every scenario before validation, as if the file said it
    /// (repeatable): a parameter key such as `rules.influence.rate=0.2`,
    /// `actors.VEN.growth=0.01` or `ties.VEN.RUS.arms.weight=0.3`, or any key of an entry
    /// (`scenario.end="2028-12"`). VALUE is a TOML value: a number, "text" or an inline
    /// table such as `{ dist = "uniform", low = 0, high = 1 }` [default: the files as
    /// written].
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub assignments: Vec<String>,
}

impl OverrideArgs {
    /// The overrides, or the first assignment that is not `KEY=VALUE`.
    pub fn overrides(&self) -> Result<crate::Overrides, crate::scenario::OverrideError> {
        let mut overrides = crate::Overrides::new();
        for assignment in &self.assignments {
            overrides.push_assignment(assignment)?;
        }
        Ok(overrides)
    }
}

/// The shells `entente completions` writes scripts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash (source the script, or put it in bash-completion's directory).
    Bash,
    /// Zsh (put the script, named `_entente`, on `$fpath`).
    Zsh,
    /// Fish (put the script in `~/.config/fish/completions/`).
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

/// entente's commands.
#[derive(Subcommand)]
pub enum Command {
    /// Validate a scenario file and print what it holds.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Scenario overrides (`--set`).
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Run a scenario once and print its outcome values.
    Run(RunArgs),
    /// Run a Monte Carlo batch of a scenario and summarise every outcome.
    Batch {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Scenario overrides (`--set`).
        #[command(flatten)]
        overrides: OverrideArgs,
        /// How many runs, and whether to keep each run's values.
        #[command(flatten)]
        request: BatchRequest,
        /// The options shared with `compare`.
        #[command(flatten)]
        common: BatchArgs,
    },
    /// Run scenarios with common random numbers and compare their outcome distributions.
    Compare {
        /// Two or more scenario files; the first is the baseline of the differences.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Runs per scenario [default: 10000, or the design's size].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
        runs: Option<u64>,
        /// Scenario overrides (`--set`), applied to every scenario.
        #[command(flatten)]
        overrides: OverrideArgs,
        /// The options shared with `batch`.
        #[command(flatten)]
        common: BatchArgs,
    },
    /// Write the HTML report (and its SVG charts) of a batch or comparison output directory.
    ///
    /// It reads the exact totals the directory keeps (partial.entente) and its manifest, once
    /// every file matches the directory's commit.json. A batch run to a precision target keeps
    /// no totals: it is rerun from its manifest.json (the same binary gives the same bits), and
    /// its summary files are checked against the rerun.
    Report {
        /// The output directory of `entente batch --out` or `entente compare --out`.
        directory: PathBuf,
        /// Where to write the report [default: report.html in the directory].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Worker threads. Results are identical for any count [default: every core].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_THREADS)))]
        threads: Option<u32>,
    },
    /// Combine the partial results of every shard of a batch or comparison (`--shard`) into the
    /// result one process would give: bit-identical for the same binary, seed and scenarios.
    Merge {
        /// Shard output directories (holding partial.entente) or partial-result files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Write the merged results into this directory (created if needed), each file atomically
        /// [default: print only].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write the HTML report of the merged results to FILE [default: no report].
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Which uncertain inputs drive each outcome (and, given a VARIANT, each paired difference
    /// VARIANT − SCENARIO): Sobol' indices with bootstrap intervals, or Morris screening.
    Sensitivity(SensitivityArgs),
    /// Scenario discovery on a finished design: where in the inputs do the runs of interest lie
    /// (PRIM boxes, and a ranking of inputs by Kolmogorov–Smirnov distance).
    Discover(DiscoverArgs),
    /// Print a shell completion script to standard output (`entente completions bash >
    /// ~/.local/share/bash-completion/completions/entente`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff) to standard output (`entente man > entente.1`, then
    /// `man ./entente.1`).
    Man,
    /// Repeat a batch or comparison from its manifest.json alone (the scenario texts are in it).
    Rerun {
        /// The manifest.json of an earlier batch or comparison.
        manifest: PathBuf,
        /// Write the results into this directory [default: print only].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Worker threads. Results are identical for any count [default: every core].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_THREADS)))]
        threads: Option<u32>,
    },
}

/// The sensitivity methods of `entente sensitivity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SensitivityMethod {
    /// Sobol' first-order and total indices (Saltelli 2010 design, N·(k + 2) runs).
    Sobol,
    /// Morris elementary effects (r·(k + 1) runs): a cheap screening of many inputs.
    Morris,
}

/// What `entente sensitivity` takes.
#[derive(clap::Args)]
pub struct SensitivityArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A variant to pair with it: the paired differences VARIANT − SCENARIO are analysed too
    /// (same values of the shared inputs, same noise) [default: the scenario alone].
    pub variant: Option<PathBuf>,
    /// Scenario overrides (`--set`), applied to the scenario and the variant.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The sensitivity method.
    #[arg(long, value_enum, default_value_t = SensitivityMethod::Sobol)]
    pub method: SensitivityMethod,
    /// Base points N (Sobol', a power of two; N·(k + 2) runs) or trajectories r (Morris;
    /// r·(k + 1) runs) [default: 1024 base points, or 20 trajectories].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
    pub points: Option<u64>,
    /// Which inputs the design varies.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Analyse only these outcomes (repeatable) [default: every outcome].
    #[arg(long = "outcome", value_name = "NAME")]
    pub outcomes: Vec<String>,
    /// Bootstrap resamples behind each interval.
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(10..=100_000))]
    pub resamples: u64,
    /// Seed of the random streams and of the design [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads. Results are identical for any count [default: every core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_THREADS)))]
    pub threads: Option<u32>,
    /// Write sensitivity.json, sensitivity.csv and the per-run runs.csv (for `entente
    /// discover`) into this directory, each file atomically [default: print only].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Keep the runs' outputs in memory up to SIZE (bytes, or with K, M, G or T); a larger
    /// design spills them to a scratch file (in --out, or the temporary directory) and is
    /// analysed a group of outputs at a time. Results are the same either way.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = memory_size)]
    pub memory_budget: u64,
    /// In the text output, list this many inputs per output (the most influential first).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub top: usize,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

/// Which inputs a design varies, shared by the exploration commands.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct InputArgs {
    /// Vary only the uncertain parameters whose keys match PATTERN (`*` any characters, `?`
    /// one; repeatable); the others keep their Monte Carlo draws [default: every uncertain
    /// parameter].
    #[arg(long = "params", value_name = "PATTERN")]
    pub params: Vec<String>,
    /// Treat the fixed number KEY as uniform on [LOW, HIGH] for the analysis (repeatable)
    /// [default: fixed numbers stay fixed].
    #[arg(long = "range", value_name = "KEY=LOW,HIGH", value_parser = range_request)]
    pub ranges: Vec<RangeRequest>,
    /// Run each design point R times, with noise streams shared across points (common random
    /// numbers); estimators use each point's mean [default: one run per point, its own
    /// noise].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub replications: Option<u64>,
    /// Morris: grid levels (even).
    #[arg(long, value_name = "P", default_value_t = DEFAULT_MORRIS_LEVELS)]
    pub morris_levels: usize,
    /// Morris: select the trajectories from a pool of M (Campolongo 2007) [default: 4·r].
    #[arg(long, value_name = "M")]
    pub morris_pool: Option<u64>,
}

/// What `entente discover` takes.
#[derive(clap::Args)]
pub struct DiscoverArgs {
    /// The output directory of `entente sensitivity --out` (or of a design run with --out).
    pub directory: PathBuf,
    /// Which runs are of interest: a yes/no outcome (`survives_2030`), or a comparison of an
    /// outcome or paired difference with a number (`survives_2030 difference > 0`,
    /// `capacity_2030 <= 0.4`; operators < <= > >= == !=).
    #[arg(long = "where", value_name = "EXPR")]
    pub condition: String,
    /// PRIM's peeling fraction α.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05)]
    pub peel_alpha: f64,
    /// The smallest share of all runs a box may hold.
    #[arg(long, value_name = "MASS", default_value_t = 0.05)]
    pub mass_min: f64,
    /// The box chosen is the one of highest coverage with at least this density.
    #[arg(long, value_name = "DENSITY", default_value_t = 0.8)]
    pub threshold: f64,
    /// Also write the whole result (trajectory, chosen box, ranking) as JSON to FILE,
    /// atomically [default: print only].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write an HTML page with the trade-off curve and the chosen box to FILE
    /// [default: no page].
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

/// `--range KEY=LOW,HIGH`.
fn range_request(text: &str) -> Result<RangeRequest, String> {
    let (key, bounds) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected KEY=LOW,HIGH"))?;
    let (low, high) = bounds
        .split_once(',')
        .ok_or_else(|| format!("{text:?}: expected KEY=LOW,HIGH"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<f64>()
            .map_err(|_| format!("{text:?}: {part:?} is not a number"))
    };
    Ok(RangeRequest {
        key: key.trim().to_string(),
        low: number(low)?,
        high: number(high)?,
    })
}

/// `--sweep KEY=V1,V2,...`.
pub fn sweep_request(text: &str) -> Result<SweepRequest, String> {
    let (key, values) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected KEY=V1,V2,..."))?;
    let values = values
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<f64>()
                .map_err(|_| format!("{text:?}: {part:?} is not a number"))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(SweepRequest {
        key: key.trim().to_string(),
        values,
    })
}

/// What `entente run` takes.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Scenario overrides (`--set`).
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Seed of the random streams [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Which run of a Monte Carlo batch to reproduce (its parameter draws and noise).
    #[arg(long, default_value_t = 0)]
    pub run: u64,
    /// Also write the month-by-month trace to this CSV file [default: no trace].
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Output format of the outcome values.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
    /// In the text output, show the monthly measures every N months.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub every: u32,
}

/// What `entente batch` takes besides its scenario and the options it shares with `compare`.
#[derive(clap::Args)]
pub struct BatchRequest {
    /// Number of runs (run indices 0 to N-1) [default: 10000, or the design's size].
    #[arg(long, value_name = "N", conflicts_with = "precision",
          value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
    pub runs: Option<u64>,
    /// Run until every outcome's 95% CI half-width is at most E (sequential stopping)
    /// [default: a fixed number of runs, --runs].
    #[arg(long, value_name = "E", value_parser = precision_target)]
    pub precision: Option<f64>,
    /// With --precision: never run more than this many runs.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000_000,
        requires = "precision",
        value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS)
    )]
    pub max_runs: u64,
    /// With --precision: judge only these outcomes (repeatable) [default: all].
    #[arg(
        long = "precision-outcome",
        value_name = "NAME",
        requires = "precision"
    )]
    pub precision_outcomes: Vec<String>,
    /// Also write every run's sampled parameters and outcomes (runs.csv, ema.tar.gz).
    #[arg(long, requires = "out")]
    pub per_run: bool,
}

/// Default number of runs of `entente batch` without --runs or --precision.
pub const DEFAULT_RUNS: u64 = 10_000;

/// Options shared by `batch` and `compare`.
#[derive(clap::Args)]
pub struct BatchArgs {
    /// Seed of the random streams [default: the (first) scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads. Results are identical for any count [default: every core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_THREADS)))]
    pub threads: Option<u32>,
    /// Write the results into this directory (created if needed), each file atomically
    /// [default: print only].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not keep monthly envelopes (faster; no envelopes.csv).
    #[arg(long)]
    pub no_envelopes: bool,
    /// Run only shard K of N of the runs (K from 0), or `auto`: K and N from a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX, with N from --shard-count or ENTENTE_SHARD_COUNT). Needs --out;
    /// writes a partial result there for `entente merge` [default: the whole batch].
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// With --shard auto under a Kubernetes Indexed Job: the number of shards (its
    /// completions) [default: ENTENTE_SHARD_COUNT].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
    pub shard_count: Option<u64>,
    /// Continue the batch whose checkpoint is in --out, running only the runs it lacks; starts
    /// afresh if there is none, and does nothing if the batch there is finished.
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// With --out: save progress (a checkpoint) at most this often, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = checkpoint_seconds)]
    pub checkpoint_every: f64,
    /// Refuse to start a batch whose estimated memory exceeds SIZE (bytes, or with K, M, G or T:
    /// powers of 1024) [default: three quarters of this machine's physical memory].
    #[arg(long, value_name = "SIZE", value_parser = memory_size)]
    pub max_memory: Option<u64>,
    /// Also write a self-contained HTML report (charts inline, no network) to FILE, and each
    /// chart as an SVG file in FILE's directory under `<FILE stem>-charts/` [default: no
    /// report].
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The sampling design of the runs.
    #[command(flatten)]
    pub design: DesignArgs,
}

/// The designs `batch` and `compare` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DesignChoice {
    /// Independent Monte Carlo draws (the default).
    Mc,
    /// A Latin hypercube of --points points over the varied inputs.
    Lhs,
    /// The Saltelli design on scrambled Sobol' points: --points base points, N·(k + 2) runs.
    Sobol,
    /// --points Morris trajectories, r·(k + 1) runs.
    Morris,
    /// Every combination of the --sweep values.
    Grid,
}

/// How `batch` and `compare` choose each run's inputs (see docs/EXPLORATION.md).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DesignArgs {
    /// The sampling design. A design with a size (lhs, sobol, morris, grid) sets the number of
    /// runs [default: mc, or grid when --sweep is given].
    #[arg(long, value_enum, value_name = "DESIGN")]
    pub design: Option<DesignChoice>,
    /// Points of the design: Latin hypercube points, Sobol' base points (a power of two) or
    /// Morris trajectories [default: none; lhs, sobol and morris need it].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
    pub points: Option<u64>,
    /// Sweep KEY over these values (repeatable; every combination is run, the last KEY
    /// fastest). Fixed numbers may be swept too [default: no sweep].
    #[arg(long = "sweep", value_name = "KEY=V1,V2,...", value_parser = sweep_request)]
    pub sweeps: Vec<SweepRequest>,
    /// Which inputs the design varies.
    #[command(flatten)]
    pub inputs: InputArgs,
}

impl DesignArgs {
    /// The experiment these options ask for, or `None` for a plain Monte Carlo batch.
    pub fn request(&self) -> Option<ExperimentRequest> {
        let method = match self.design {
            Some(DesignChoice::Lhs) => Method::LatinHypercube,
            Some(DesignChoice::Sobol) => Method::Sobol,
            Some(DesignChoice::Morris) => Method::Morris,
            Some(DesignChoice::Grid) => Method::Grid,
            Some(DesignChoice::Mc) => Method::MonteCarlo,
            None if !self.sweeps.is_empty() => Method::Grid,
            None => Method::MonteCarlo,
        };
        let request = self
            .inputs
            .request(method, self.points, self.sweeps.clone());
        (!request.is_plain() || request.points.is_some()).then_some(request)
    }
}

impl InputArgs {
    /// The experiment these inputs ask for with `method`, `points` and `sweeps`.
    pub fn request(
        &self,
        method: Method,
        points: Option<u64>,
        sweeps: Vec<SweepRequest>,
    ) -> ExperimentRequest {
        ExperimentRequest {
            method,
            points,
            params: self.params.clone(),
            ranges: self.ranges.clone(),
            sweeps,
            replications: self.replications,
            morris_levels: self.morris_levels,
            morris_pool: self.morris_pool,
        }
    }
}

/// The experiment a recorded command line (of `batch` or `compare`) asked for, if any: how a
/// partial result's header, which keeps the command, says which design its runs followed.
pub fn recorded_design(command: &[String]) -> Option<ExperimentRequest> {
    match Cli::try_parse_from(command).ok()?.command {
        Command::Batch { common, .. } | Command::Compare { common, .. } => common.design.request(),
        _ => None,
    }
}

/// What `run` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum RunFormat {
    /// Plain text for people.
    Text,
    /// JSON, for programs.
    Json,
}

/// What `batch` and `compare` print.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Plain text tables for people.
    Text,
    /// JSON, for programs.
    Json,
    /// Markdown tables (batch and compare only), for reports.
    Markdown,
}

/// `--precision E`: a positive, finite half-width.
fn precision_target(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !(value.is_finite() && value >= MIN_PRECISION) {
        return Err(format!(
            "{text} is not a half-width entente can reach: give a number from {MIN_PRECISION} up"
        ));
    }
    Ok(value)
}

/// `--checkpoint-every SECONDS`: from 0 (after every round of chunks) to a day.
fn checkpoint_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(value.is_finite() && (0.0..=MAX_CHECKPOINT_SECONDS).contains(&value)) {
        return Err(format!(
            "{text} is not a number of seconds from 0 to {MAX_CHECKPOINT_SECONDS} (a day)"
        ));
    }
    Ok(value)
}

/// `--max-memory SIZE`: bytes, or a number with K, M, G or T (powers of 1024, an optional
/// trailing `B` or `iB`).
pub fn memory_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, scale) = match upper.chars().last() {
        Some('K') => (&upper[..upper.len() - 1], 1u64 << 10),
        Some('M') => (&upper[..upper.len() - 1], 1 << 20),
        Some('G') => (&upper[..upper.len() - 1], 1 << 30),
        Some('T') => (&upper[..upper.len() - 1], 1 << 40),
        _ => (upper, 1),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 512M or 8G"))?;
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{text:?} is not a size from 1 byte up"));
    }
    Ok(bytes as u64)
}

/// Why `--shard` cannot be used as given.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShardError {
    /// The value is neither `K/N` nor `auto` (the value as given).
    #[error("--shard {0:?}: expected K/N (shard K of N, K from 0) or auto")]
    Syntax(String),
    /// K, N or a scheduler's variable is not a whole number.
    #[error("{name}={value:?} is not a whole number")]
    Number {
        /// What was read: `--shard K`, `--shard N` or the variable's name.
        name: &'static str,
        /// The text found.
        value: String,
    },
    /// N is 0, or K is not below N.
    #[error("--shard {index}/{count}: K must be at least 0 and below N, and N at least 1")]
    Range {
        /// The shard asked for (K).
        index: u64,
        /// The number of shards (N).
        count: u64,
    },
    /// More shards than the batch has segments: a shard runs whole segments.
    #[error(
        "--shard {index}/{count}: a batch of {runs} runs has {segments} segment{} of {} runs, and a shard runs whole segments: give at most {segments} shards, or more runs",
        if *segments == 1 { "" } else { "s" }, SEGMENT_CHUNKS * CHUNK_RUNS
    )]
    TooMany {
        /// The shard asked for (K).
        index: u64,
        /// The number of shards (N).
        count: u64,
        /// The batch's runs.
        runs: u64,
        /// The batch's segments, the most shards it can be split into.
        segments: u64,
    },
    /// A Slurm task id below the job array's first id.
    #[error("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {minimum}")]
    SlurmMinimum {
        /// `SLURM_ARRAY_TASK_ID`.
        id: u64,
        /// `SLURM_ARRAY_TASK_MIN`.
        minimum: u64,
    },
    /// `--shard auto` in a Kubernetes Indexed Job that does not say how many shards there are.
    #[error(
        "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not the number of shards; give --shard-count N or set ENTENTE_SHARD_COUNT to the job's completions"
    )]
    KubernetesCount,
    /// `--shard auto` outside a Slurm job array or a Kubernetes Indexed Job.
    #[error(
        "--shard auto: neither SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard K/N, for example --shard 3/64"
    )]
    NoScheduler,
}

/// The segments of a batch of `runs` runs: the most shards it can be split into.
pub fn segments(runs: u64) -> u64 {
    runs.div_ceil(CHUNK_RUNS).div_ceil(SEGMENT_CHUNKS)
}

/// The shard `--shard` asks for in a batch of `runs` runs (the whole batch without it);
/// `variable` reads the environment (Slurm's and Kubernetes' variables for `auto`).
pub fn resolve_shard(
    spec: Option<&str>,
    shard_count: Option<u64>,
    runs: u64,
    variable: impl Fn(&str) -> Option<String>,
) -> Result<Shard, ShardError> {
    let Some(spec) = spec else {
        return Ok(Shard::WHOLE);
    };
    let variable = |name: &str| variable(name).filter(|value| !value.is_empty());
    let number = |name: &'static str, text: &str| -> Result<u64, ShardError> {
        text.trim().parse::<u64>().map_err(|_| ShardError::Number {
            name,
            value: text.to_string(),
        })
    };
    let (index, count) = if spec == "auto" {
        if let (Some(id), Some(count)) = (
            variable("SLURM_ARRAY_TASK_ID"),
            variable("SLURM_ARRAY_TASK_COUNT"),
        ) {
            let id = number("SLURM_ARRAY_TASK_ID", &id)?;
            let minimum = match variable("SLURM_ARRAY_TASK_MIN") {
                Some(minimum) => number("SLURM_ARRAY_TASK_MIN", &minimum)?,
                None => 0,
            };
            let index = id
                .checked_sub(minimum)
                .ok_or(ShardError::SlurmMinimum { id, minimum })?;
            (index, number("SLURM_ARRAY_TASK_COUNT", &count)?)
        } else if let Some(index) = variable("JOB_COMPLETION_INDEX") {
            let index = number("JOB_COMPLETION_INDEX", &index)?;
            let count = match (shard_count, variable("ENTENTE_SHARD_COUNT")) {
                (Some(count), _) => count,
                (None, Some(count)) => number("ENTENTE_SHARD_COUNT", &count)?,
                (None, None) => return Err(ShardError::KubernetesCount),
            };
            (index, count)
        } else {
            return Err(ShardError::NoScheduler);
        }
    } else {
        let (index, count) = spec
            .split_once('/')
            .ok_or_else(|| ShardError::Syntax(spec.to_string()))?;
        (number("--shard K", index)?, number("--shard N", count)?)
    };
    if count == 0 || index >= count {
        return Err(ShardError::Range { index, count });
    }
    let segments = segments(runs);
    if count > segments {
        return Err(ShardError::TooMany {
            index,
            count,
            runs,
            segments,
        });
    }
    Ok(Shard { index, count })
}

/// The memory `--max-memory` allows by default: three quarters of the machine's physical
/// memory (from /proc/meminfo), or 4 GiB where that cannot be read.
pub fn default_max_memory() -> u64 {
    const FALLBACK: u64 = 4 << 30;
    let physical = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kilobytes.checked_mul(1024)
        });
    physical.map_or(FALLBACK, |bytes| bytes / 4 * 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arguments: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(std::iter::once("entente").chain(arguments.iter().copied()))
            .map_err(|error| error.to_string())
    }

    /// Issue 13: every numeric option is range-checked before any work starts.
    #[test]
    fn issue_13_numbers_out_of_range_are_refused_by_the_parser() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["batch", "s.toml", "--runs", "18446744073709551615"],
                "--runs",
            ),
            (&["batch", "s.toml", "--runs", "9007199254740993"], "--runs"),
            (&["batch", "s.toml", "--runs", "0"], "--runs"),
            (
                &["compare", "a", "b", "--runs", "18446744073709551361"],
                "--runs",
            ),
            (&["batch", "s.toml", "--precision", "1e-300"], "--precision"),
            (&["batch", "s.toml", "--precision", "nan"], "--precision"),
            (
                &["batch", "s.toml", "--precision", "0.1", "--max-runs", "0"],
                "--max-runs",
            ),
            (
                &["batch", "s.toml", "--checkpoint-every", "1e20"],
                "--checkpoint-every",
            ),
            (
                &["batch", "s.toml", "--checkpoint-every=-1"],
                "--checkpoint-every",
            ),
            (
                &["batch", "s.toml", "--checkpoint-every", "inf"],
                "--checkpoint-every",
            ),
            (&["batch", "s.toml", "--threads", "4000000000"], "--threads"),
            (&["batch", "s.toml", "--max-memory", "0"], "--max-memory"),
            (&["batch", "s.toml", "--max-memory", "lots"], "--max-memory"),
        ];
        for (arguments, option) in cases {
            let error = parse(arguments)
                .err()
                .unwrap_or_else(|| panic!("{arguments:?} parsed"));
            assert!(error.contains(option), "{arguments:?}: {error}");
        }
        assert!(parse(&["batch", "s.toml", "--runs", "9007199254740992"]).is_ok());
        assert!(parse(&["batch", "s.toml", "--checkpoint-every", "86400"]).is_ok());
    }

    #[test]
    fn memory_sizes_read_with_binary_units() {
        assert_eq!(memory_size("512M"), Ok(512 << 20));
        assert_eq!(memory_size("8g"), Ok(8 << 30));
        assert_eq!(memory_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(memory_size("4096"), Ok(4096));
        assert!(memory_size("-1G").is_err());
        assert!(memory_size("1e30T").is_err());
    }

    /// Issue 13: `--shard 0/18446744073709551615` crashed `merge` (capacity overflow) and
    /// `0/1000000000` aborted on a 4 GB allocation; a shard count is now at most the
    /// batch's segments.
    #[test]
    fn issue_13_shard_counts_are_bounded_by_the_segments() {
        let none = |_: &str| None;
        let runs = 5 * SEGMENT_CHUNKS * CHUNK_RUNS;
        assert_eq!(
            resolve_shard(Some("4/5"), None, runs, none),
            Ok(Shard { index: 4, count: 5 })
        );
        for spec in ["0/6", "0/1000000000", "0/18446744073709551615"] {
            let error = resolve_shard(Some(spec), None, runs, none).unwrap_err();
            assert!(
                matches!(error, ShardError::TooMany { segments: 5, .. }),
                "{spec}: {error}"
            );
        }
        assert_eq!(
            resolve_shard(Some("3/3"), None, runs, none),
            Err(ShardError::Range { index: 3, count: 3 })
        );
        let slurm = |name: &str| match name {
            "SLURM_ARRAY_TASK_ID" => Some("7".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("5".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(
            resolve_shard(Some("auto"), None, runs, slurm),
            Ok(Shard { index: 2, count: 4 })
        );
    }
}

#[cfg(test)]
mod help_tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every option that takes a value and is not required says what happens without it:
    /// clap's `[default: X]` from a default value, or the same words written into its help.
    #[test]
    fn issue_17_every_optional_value_shows_its_default_in_help() {
        let mut missing = Vec::new();
        let root = Cli::command();
        let mut commands = vec![(String::from("entente"), root)];
        while let Some((path, command)) = commands.pop() {
            for argument in command.get_arguments() {
                let takes_value = argument.get_action().takes_values();
                let has_default = !argument.get_default_values().is_empty();
                let help = argument
                    .get_long_help()
                    .or(argument.get_help())
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if takes_value
                    && !argument.is_required_set()
                    && !argument.is_positional()
                    && !has_default
                    && !help.contains("[default: ")
                {
                    missing.push(format!("{path} --{}", argument.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                commands.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
        assert!(
            missing.is_empty(),
            "options without a default in their help: {missing:#?}"
        );
    }

    /// The exit statuses are documented where users look for them.
    #[test]
    fn issue_17_help_documents_the_exit_statuses() {
        let help = Cli::command().render_long_help().to_string();
        for status in ["0 success", "1 a scenario", "2 a usage error"] {
            assert!(
                help.contains(status),
                "{status:?} missing from --help:\n{help}"
            );
        }
    }
}
