//! Monte Carlo batches: many runs of one scenario, or paired runs of several, in parallel on a
//! rayon pool, folded into accumulators whose result does not depend on the thread count.
//!
//! How determinism is kept: runs are grouped in fixed chunks of [`CHUNK_RUNS`] consecutive run
//! indices. A worker runs a whole chunk in index order into fresh per-chunk moments; after each
//! round the chunks are folded into the batch's totals in chunk order, whichever thread ran
//! them. Quantile sketches merge exactly (integer counts), so they are merged per worker. Run
//! i of every scenario draws from the streams keyed by (seed, i, purpose), which is also what
//! makes the runs of a comparison paired (common random numbers).
//!
//! This module does no I/O: per-run rows and progress go to callbacks given by the caller.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::model::{LANES, Model, Simulation};
use crate::outcome::{self, OutcomeKind};
use crate::scenario::Scenario;
use crate::sketch::{ENVELOPE_PRECISION_BITS, SUMMARY_PRECISION_BITS, Sketch};
use crate::stats::{ExactSum, Moments, PairedCounts, wilson};

/// Runs per chunk: the unit of work and of the fixed merge order. Changing it changes the last
/// bits of means and standard deviations, so it is part of the reproducibility contract.
pub const CHUNK_RUNS: u64 = 256;

/// The most runs a batch may have (2^53): run, chunk and segment indices then never overflow,
/// and run counts are exact in the `f64` arithmetic of the summaries.
pub const MAX_RUNS: u64 = 1 << 53;

/// Runs before the first precision check of a sequential batch: enough for the standard
/// deviation estimate behind the check to be stable (see `RunPlan::Precision`).
pub const PRECISION_FIRST_RUNS: u64 = 4096;

/// Chunks per round and per worker when the run count is fixed: rounds bound the memory of
/// per-chunk results and of per-run rows waiting to be written, and nothing else.
const CHUNKS_PER_WORKER_PER_ROUND: u64 = 8;

/// Runs whose monthly measures a worker holds before adding them to its envelope cells: one
/// group of runs, whose lanes give one cell's values together. One run touches every cell
/// once, each in its own sketch, and a flagship worker has thousands: added run by run, nearly
/// every addition would miss the cache. Held for a group, the values of one cell fill one
/// cache line and are added together, with the cell's sketch in cache, in run order.
const ENVELOPE_PENDING_RUNS: usize = LANES;

/// Envelopes (the monthly measures' means and quantiles across runs, for fan charts) are taken
/// from runs 0 to this − 1 only; every run still counts in the outcomes' summaries. A fan
/// chart's quantiles are then known to within a percentile point (the binomial standard error
/// of a median at 4,096 runs is 0.8 points, of a 5th percentile 0.34), finer than a chart
/// shows, and a batch of many runs pays for envelopes only on its first runs: reading every
/// measure every month and adding it to a sketch costs about as much as the model itself in
/// the lane engine (docs/PERFORMANCE.md). A multiple of [`CHUNK_RUNS`], so a chunk is wholly
/// in or out, whatever the sharding.
pub const ENVELOPE_RUNS: u64 = 4_096;

/// How many runs a batch does.
#[derive(Clone, Debug, PartialEq)]
pub enum RunPlan {
    /// Exactly this many runs, indices 0 to n − 1.
    Fixed(u64),
    /// Sequential stopping (Chow and Robbins 1965): run until the 95% confidence interval of
    /// every selected outcome has a half-width of at most `target`, or until `max_runs`. The
    /// first check comes after [`PRECISION_FIRST_RUNS`]; each later one after the number of
    /// runs the current estimates say is needed (times 1.1, at most doubling). Checks fall at
    /// run counts that depend only on the results, never on the thread count.
    Precision {
        /// The widest 95% confidence half-width allowed, in the outcomes' own units (for
        /// probabilities, a fraction).
        target: f64,
        /// The most runs to do if the target is not reached.
        max_runs: u64,
        /// Indices of the outcomes to check; all outcomes when `None`.
        outcomes: Option<Vec<usize>>,
    },
}

/// What to run and what to keep.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// The seed every run's random streams are keyed by.
    pub seed: u64,
    /// How many runs to do.
    pub plan: RunPlan,
    /// Worker threads (0 counts as 1); the results do not depend on it.
    pub threads: usize,
    /// Keep monthly envelopes (a sketch per outcome and month).
    pub envelopes: bool,
    /// Hand every run's sampled parameters and outcomes to the row callback.
    pub per_run: bool,
}

/// The accumulated results of one scenario in a batch.
#[derive(Clone, Debug)]
pub struct ScenarioTotals {
    /// Per outcome: moments of the finite values (NaN, the "never" of month outcomes, is
    /// counted in `missing`).
    pub moments: Vec<Moments>,
    /// Per outcome: how many runs gave exactly 1 (the "yes" of flags).
    pub ones: Vec<u64>,
    /// Per outcome: a quantile sketch of its finite values.
    pub sketches: Vec<Sketch>,
    /// `[month * outcomes + outcome]`: each outcome's monthly measure; empty without envelopes.
    pub envelope_sums: Vec<EnvelopeSum>,
    /// `[month * outcomes + outcome]`: a quantile sketch of each outcome's monthly measure over
    /// the envelope runs; empty without envelopes.
    pub envelope_sketches: Vec<Sketch>,
    /// Non-finite numbers the runs produced and replaced (see `State::sanitise`).
    pub non_finite: u64,
}

/// Sum and count of finite values of one outcome in one month, for the envelope's mean. The
/// sum is exact ([`ExactSum`]), so envelope sums merge in any order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EnvelopeSum {
    /// The exact sum of the finite values.
    pub sum: ExactSum,
    /// How many finite values were summed.
    pub count: u64,
}

impl EnvelopeSum {
    fn merge(&mut self, other: &EnvelopeSum) {
        self.sum.merge(&other.sum);
        self.count += other.count;
    }
}

/// Paired statistics of scenario k against the first scenario, per shared outcome.
#[derive(Clone, Debug)]
pub struct PairTotals {
    /// `(outcome index in the first scenario, outcome index in scenario k)`.
    pub outcomes: Vec<(usize, usize)>,
    /// Moments of run-by-run differences (scenario k minus the first).
    pub differences: Vec<Moments>,
    /// Yes/no counts of paired flags, and of whether paired month outcomes happened (all zero
    /// for numbers).
    pub flags: Vec<PairedCounts>,
}

/// One precision check of a sequential batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Checkpoint {
    /// Runs done at the check.
    pub runs: u64,
    /// The widest half-width among the checked outcomes, and that outcome's index.
    pub widest_half_width: f64,
    /// The index of the outcome with the widest half-width.
    pub widest_outcome: usize,
}

/// Everything a batch produced.
#[derive(Clone, Debug)]
pub struct BatchResult {
    /// Runs done (for a precision plan, where it stopped).
    pub runs: u64,
    /// Per scenario, in the order given, its totals.
    pub scenarios: Vec<ScenarioTotals>,
    /// For each scenario after the first, its pairing with the first (empty for one scenario).
    pub pairs: Vec<PairTotals>,
    /// Precision checks, in order (empty for a fixed run count).
    pub checkpoints: Vec<Checkpoint>,
    /// Whether a precision target was reached (`None` for a fixed run count).
    pub precision_reached: Option<bool>,
}

/// A block of per-run rows, in run order: for each run, the scenario's uncertain parameters
/// (in scenario order) then its outcomes.
pub struct RunRows<'a> {
    /// The run index of the first row.
    pub first_run: u64,
    /// Values per row: the uncertain parameters' count plus the outcomes'.
    pub width: usize,
    /// The rows one after another, `width` values each.
    pub values: &'a [f64],
}

/// The yes/no counts behind an outcome's probability, as (successes, trials): for flags the
/// runs that said yes, for month outcomes the runs in which it happened; `None` for numbers.
pub fn probability_counts(kind: OutcomeKind, moments: &Moments, ones: u64) -> Option<(u64, u64)> {
    match kind {
        OutcomeKind::Number => None,
        OutcomeKind::Flag => Some((ones, moments.count)),
        OutcomeKind::Month => Some((moments.count, moments.count + moments.missing)),
    }
}

/// The half-width an outcome is judged by in a precision check: the Wilson interval of its
/// probability for flags and month outcomes (see `probability_counts`), the t interval of
/// the mean for numbers.
pub fn judged_half_width(kind: OutcomeKind, moments: &Moments, ones: u64) -> f64 {
    match probability_counts(kind, moments, ones) {
        Some((successes, trials)) => wilson(successes, trials).half_width(),
        None => moments.half_width(),
    }
}

/// Which part of a batch's runs one process runs: shard `index` of `count`. Shards are made of
/// whole segments ([`SEGMENT_CHUNKS`] chunks), shared out as evenly as they go; a shard can be
/// empty when there are fewer segments than shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard this is, from 0 to `count` − 1.
    pub index: u64,
    /// How many shards the batch is split into, at least 1.
    pub count: u64,
}

impl Shard {
    /// The whole batch.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The chunk indices of a batch of `runs` runs that this shard runs.
    pub fn chunks(self, runs: u64) -> Range<u64> {
        let chunks = runs.div_ceil(CHUNK_RUNS);
        let segments = u128::from(chunks.div_ceil(SEGMENT_CHUNKS));
        let share = |index: u64| {
            let segment = (segments * u128::from(index) / u128::from(self.count)) as u64;
            (segment * SEGMENT_CHUNKS).min(chunks)
        };
        share(self.index)..share(self.index + 1)
    }

    /// The run indices of a batch of `runs` runs that this shard runs.
    pub fn runs(self, runs: u64) -> Range<u64> {
        let chunks = self.chunks(runs);
        // Saturating: past MAX_RUNS (refused by the command line) the ends stay at `runs`
        // instead of wrapping to an empty range.
        (chunks.start.saturating_mul(CHUNK_RUNS)).min(runs)
            ..(chunks.end.saturating_mul(CHUNK_RUNS)).min(runs)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How a batch is split and kept: which shard it runs, the partial result it resumes from, and
/// how often it hands a snapshot of its progress to the checkpoint callback.
#[derive(Clone, Debug)]
pub struct Sharding {
    /// The part of the batch's runs to run ([`Shard::WHOLE`] by default).
    pub shard: Shard,
    /// Progress of an interrupted run of this shard to go on from, if any.
    pub resume: Option<Partial>,
    /// How often to hand a snapshot of the progress to the checkpoint callback; never when
    /// `None`.
    pub checkpoint_every: Option<Duration>,
}

impl Default for Sharding {
    fn default() -> Sharding {
        Sharding {
            shard: Shard::WHOLE,
            resume: None,
            checkpoint_every: None,
        }
    }
}

/// What a batch is estimated to hold in memory, from its scenarios' sizes alone (computed
/// before anything is allocated, so that an impossible batch is refused at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The compiled models and the batch's merged totals, held once.
    pub shared: u64,
    /// Each worker thread's runs in flight and running totals.
    pub per_thread: u64,
    /// The number of worker threads.
    pub threads: u64,
}

impl MemoryEstimate {
    /// The whole estimate in bytes: the shared part plus each thread's (saturating).
    pub fn total(&self) -> u64 {
        self.shared
            .saturating_add(self.per_thread.saturating_mul(self.threads))
    }
}

/// Bytes assumed for one quantile sketch (an outcome's, or an envelope cell's): its buckets
/// grow with the spread of the values, and a few hundred buckets of 8 bytes cover the
/// flagship's widest. An estimate, not a bound.
const SKETCH_BYTES_ESTIMATE: u64 = 2048;

/// Bytes assumed for everything else a run in flight holds per actor (about 40 vectors of
/// `f64` and `f32` values, the random streams and the tracker).
const PER_ACTOR_BYTES_ESTIMATE: u64 = 2048;

/// Estimates the memory of a batch of `scenarios` run with `options` (see [`MemoryEstimate`]):
/// per scenario, the dense tie weights (channels × actors × actors, `f32`) in the model and,
/// for a group of `LANES` runs, in every worker's state, the distance and ordering tables (actors², 12
/// bytes), per-actor vectors, and the sketches of outcomes and envelope cells. Saturates
/// instead of overflowing, so absurd sizes give a huge estimate.
pub fn memory_estimate(scenarios: &[&Scenario], options: &BatchOptions) -> MemoryEstimate {
    let mut shared = 0u64;
    let mut per_thread = 0u64;
    for scenario in scenarios {
        let actors = scenario.actors().len() as u64;
        let weights = (scenario.channels().len() as u64)
            .saturating_mul(actors)
            .saturating_mul(actors)
            .saturating_mul(4);
        let tables = actors.saturating_mul(actors).saturating_mul(12);
        let outcomes = scenario.outcomes().len() as u64;
        let cells = if options.envelopes {
            outcomes.saturating_mul(scenario.months() as u64)
        } else {
            0
        };
        let sketches = outcomes
            .saturating_add(cells)
            .saturating_mul(SKETCH_BYTES_ESTIMATE);
        shared = shared
            .saturating_add(weights)
            .saturating_add(tables)
            .saturating_add(sketches);
        per_thread = per_thread
            // A worker's state holds the weights of LANES runs.
            .saturating_add(weights.saturating_mul(LANES as u64))
            .saturating_add(actors.saturating_mul(actors)) // the barred-tie table
            .saturating_add(actors.saturating_mul(PER_ACTOR_BYTES_ESTIMATE))
            .saturating_add(sketches)
            // Envelope values held for ENVELOPE_PENDING_RUNS runs.
            .saturating_add(cells.saturating_mul(8 * ENVELOPE_PENDING_RUNS as u64));
    }
    MemoryEstimate {
        shared,
        per_thread,
        threads: options.threads.max(1) as u64,
    }
}

/// At most this many missing shards are named in an error.
const MISSING_SHARDS_NAMED: usize = 20;

/// Why a batch cannot be split, resumed or merged as asked.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PartialError {
    /// A precision plan's run count is not known in advance, so it cannot be split or resumed.
    #[error(
        "a batch run to a precision target cannot be sharded or resumed: its run count is not known in advance; give --runs"
    )]
    PrecisionPlan,
    /// Two partial results of the same shard were given to merge.
    #[error("shard {0} is given more than once")]
    Duplicate(Shard),
    /// Partial results of splits into different numbers of shards (the two counts).
    #[error("the partial results are of {0} and {1} shards: they are not one split")]
    ShardCounts(u64, u64),
    /// Some shards of the batch are not among those given to merge.
    #[error("{count} shard{} missing: {}{}; merge needs every shard of the batch", if *count == 1 { " is" } else { "s are" }, named.iter().map(u64::to_string).collect::<Vec<_>>().join(", "), if named.len() as u64 == *count { "" } else { ", ..." })]
    Missing {
        /// The first missing shards' indices (at most 20 are named).
        named: Vec<u64>,
        /// How many shards are missing in all.
        count: u64,
    },
    /// A shard's partial result to merge is a checkpoint whose runs are not all done.
    #[error(
        "shard {shard} is not finished: {done} of its {chunks} chunks are done (rerun it with --resume)"
    )]
    Unfinished {
        /// The unfinished shard.
        shard: Shard,
        /// Chunks of the shard done.
        done: u64,
        /// Chunks the shard has.
        chunks: u64,
    },
    /// Totals that do not fit this batch: chunks not its shard's, lists of the wrong length,
    /// sketches of the wrong precision (the part named).
    #[error("its totals do not have the shape of this batch's ({0}): the file is damaged")]
    Shape(&'static str),
    /// Totals whose counts do not add up to the runs they cover.
    #[error("its counts are not those of the {runs} runs it covers ({what}): the file is damaged")]
    Counts {
        /// The runs the partial result covers.
        runs: u64,
        /// Which count is wrong.
        what: &'static str,
    },
}

/// Checks that a partial result read from a file fits a batch of `models` with `options`: its
/// chunks are its shard's, every list of totals has the batch's length, every sketch the
/// batch's precision, and its counts are those of the runs it covers (see `check_counts`).
/// (Whether it comes from the same scenarios, seed and binary is the file header's business.)
pub fn check_partial(
    models: &[Model],
    options: &BatchOptions,
    partial: &Partial,
) -> Result<(), PartialError> {
    if models.is_empty() {
        return Err(PartialError::Shape("a batch of no scenario"));
    }
    let shape = Shape::new(models, options);
    if let RunPlan::Fixed(runs) = options.plan
        && (partial.runs != runs || partial.chunks != partial.shard.chunks(runs))
    {
        return Err(PartialError::Shape("the chunks of its shard"));
    }
    let folded_lengths = |folded: &Folded| {
        (
            folded.moments.iter().map(Vec::len).collect::<Vec<_>>(),
            folded.ones.iter().map(Vec::len).collect::<Vec<_>>(),
            folded.differences.iter().map(Vec::len).collect::<Vec<_>>(),
            folded.flags.iter().map(Vec::len).collect::<Vec<_>>(),
            folded.non_finite.len(),
        )
    };
    let expected = folded_lengths(&Folded::empty(&shape));
    if partial
        .segments
        .iter()
        .chain(std::iter::once(&partial.current))
        .any(|folded| folded_lengths(folded) != expected)
    {
        return Err(PartialError::Shape("moments and counts"));
    }
    let unordered_lengths = |unordered: &Unordered| {
        (
            unordered.sketches.iter().map(Vec::len).collect::<Vec<_>>(),
            unordered
                .envelope_sums
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
            unordered
                .envelope_sketches
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
        )
    };
    if unordered_lengths(&partial.unordered) != unordered_lengths(&Unordered::empty(&shape)) {
        return Err(PartialError::Shape("sketches and envelopes"));
    }
    // Merging sketches of different precisions is a bug (it asserts): here it is damage.
    let precisions = |sketches: &[Vec<Sketch>], bits: u32| {
        sketches
            .iter()
            .flatten()
            .all(|sketch| sketch.precision_bits() == bits)
    };
    if !precisions(&partial.unordered.sketches, SUMMARY_PRECISION_BITS)
        || !precisions(
            &partial.unordered.envelope_sketches,
            ENVELOPE_PRECISION_BITS,
        )
    {
        return Err(PartialError::Shape("the precision of its sketches"));
    }
    check_counts(&shape, partial)
}

/// Checks that a partial result counts what the runs it covers count: every outcome and every
/// paired difference once a run (as a value or as missing), and no flag, sketch or envelope
/// cell more values than there were runs. Counts that pass cannot overflow when shards are
/// combined or summarised (the runs of the shards add up to the batch's), whatever a damaged
/// or crafted file says.
fn check_counts(shape: &Shape, partial: &Partial) -> Result<(), PartialError> {
    let covered = |chunk: u64| chunk.saturating_mul(CHUNK_RUNS).min(partial.runs);
    let runs = covered(partial.chunks.start + partial.done) - covered(partial.chunks.start);
    let refuse = |what| Err(PartialError::Counts { runs, what });
    let folded: Vec<&Folded> = partial
        .segments
        .iter()
        .chain(std::iter::once(&partial.current))
        .collect();
    let counted = |moments: &dyn Fn(&Folded) -> &Moments| {
        total(
            folded
                .iter()
                .flat_map(|folded| [moments(folded).count, moments(folded).missing]),
        )
    };
    for (model, kinds) in shape.outcome_kinds.iter().enumerate() {
        for outcome in 0..kinds.len() {
            if counted(&|folded| &folded.moments[model][outcome]) != Some(runs) {
                return refuse("an outcome's values");
            }
            let ones = total(folded.iter().map(|folded| folded.ones[model][outcome]));
            if ones.is_none_or(|ones| ones > runs) {
                return refuse("an outcome's ones");
            }
            if partial.unordered.sketches[model][outcome].count() > runs {
                return refuse("an outcome's sketch");
            }
        }
        let envelopes = partial.unordered.envelope_sums[model]
            .iter()
            .zip(&partial.unordered.envelope_sketches[model]);
        for (sum, sketch) in envelopes {
            if sum.count > runs || sketch.count() > runs {
                return refuse("an envelope cell");
            }
        }
    }
    for (pair, pairing) in shape.pairings.iter().enumerate() {
        for slot in 0..pairing.len() {
            if counted(&|folded| &folded.differences[pair][slot]) != Some(runs) {
                return refuse("a paired difference");
            }
            let flags = total(folded.iter().flat_map(|folded| {
                let counts = &folded.flags[pair][slot];
                [
                    counts.both,
                    counts.only_first,
                    counts.only_second,
                    counts.neither,
                ]
            }));
            if flags.is_none_or(|flags| flags > runs) {
                return refuse("a paired flag");
            }
        }
    }
    Ok(())
}

/// The sum of `counts`, or `None` if it overflows.
fn total(counts: impl IntoIterator<Item = u64>) -> Option<u64> {
    counts.into_iter().try_fold(0u64, u64::checked_add)
}

/// The worker threads a batch uses: the number asked for, or every core.
pub fn worker_threads(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Runs a batch of `models` (one for a batch, several for a paired comparison). Per-run rows
/// (only of the first model) go to `rows` in run order; `progress` is told of every finished
/// chunk's run count from the worker threads.
pub fn run<E>(
    models: &[Model],
    options: &BatchOptions,
    progress: &(dyn Fn(u64) + Sync),
    rows: impl FnMut(RunRows<'_>) -> Result<(), E>,
) -> Result<BatchResult, E> {
    let (result, _) = run_sharded(
        models,
        options,
        &Sharding::default(),
        progress,
        rows,
        |_| Ok(()),
    )?;
    Ok(result.expect("a whole batch has a result"))
}

/// [`run`] for one shard of a batch, possibly resumed from a partial result, handing a snapshot
/// of its progress to `checkpoint` at most every `sharding.checkpoint_every` (after a round of
/// chunks). Returns the batch result (for the whole batch only) and the partial result, which
/// [`merge`] combines with the other shards' into exactly the whole batch's result.
pub fn run_sharded<E>(
    models: &[Model],
    options: &BatchOptions,
    sharding: &Sharding,
    progress: &(dyn Fn(u64) + Sync),
    mut rows: impl FnMut(RunRows<'_>) -> Result<(), E>,
    mut checkpoint: impl FnMut(&Partial) -> Result<(), E>,
) -> Result<(Option<BatchResult>, Partial), E> {
    assert!(!models.is_empty(), "a batch needs a scenario");
    let threads = options.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("building a thread pool only fails when threads cannot be spawned");
    let shape = Shape::new(models, options);
    let mut workers: Vec<Worker<'_>> = (0..threads).map(|_| Worker::new(models, &shape)).collect();
    let (total_runs, mut goal) = match &options.plan {
        RunPlan::Fixed(runs) => (*runs, sharding.shard.runs(*runs).end),
        RunPlan::Precision { max_runs, .. } => (*max_runs, PRECISION_FIRST_RUNS.min(*max_runs)),
    };
    let chunks = match options.plan {
        RunPlan::Fixed(runs) => sharding.shard.chunks(runs),
        RunPlan::Precision { max_runs, .. } => 0..max_runs.div_ceil(CHUNK_RUNS),
    };
    let mut partial = match &sharding.resume {
        Some(resumed) => resumed.clone(),
        None => Partial::new(&shape, sharding.shard, total_runs, chunks),
    };
    let mut done = ((partial.chunks.start + partial.done) * CHUNK_RUNS).min(goal);
    let mut checkpoints = Vec::new();
    let mut precision_reached = None;
    let round_runs = CHUNK_RUNS * CHUNKS_PER_WORKER_PER_ROUND * threads as u64;
    let mut unflushed_runs: u64 = 0;
    let mut last_checkpoint = Instant::now();
    loop {
        while done < goal {
            let end = goal.min(done + round_runs);
            let results = run_round(&pool, &mut workers, &shape, done, end, progress);
            for chunk in &results {
                partial.push(chunk);
                if options.per_run {
                    rows(RunRows {
                        first_run: chunk.first_run,
                        width: shape.row_width,
                        values: &chunk.rows,
                    })?;
                }
            }
            // A worker's envelope counts are u32: they are handed to the u64 totals before
            // they could overflow, and at the end. Handing them over is serial work over
            // every envelope cell, so it is done as rarely as that allows.
            unflushed_runs += end - done;
            if unflushed_runs + round_runs > u64::from(u32::MAX) {
                for worker in &mut workers {
                    partial.unordered.take_envelopes(worker);
                }
                unflushed_runs = 0;
            }
            done = end;
            if let Some(every) = sharding.checkpoint_every
                && done < goal
                && last_checkpoint.elapsed() >= every
            {
                for worker in &mut workers {
                    partial.unordered.take(worker);
                }
                unflushed_runs = 0;
                checkpoint(&partial)?;
                last_checkpoint = Instant::now();
            }
        }
        let RunPlan::Precision {
            target,
            max_runs,
            outcomes,
        } = &options.plan
        else {
            break;
        };
        let checkpoint = partial.widest(&shape, outcomes.as_deref(), done);
        let reached = checkpoint.widest_half_width <= *target;
        checkpoints.push(checkpoint.clone());
        if reached || done >= *max_runs {
            precision_reached = Some(reached);
            break;
        }
        goal = next_goal(done, checkpoint.widest_half_width, *target, *max_runs);
    }
    for worker in &mut workers {
        partial.unordered.take(worker);
    }
    partial.close_segment();
    if let RunPlan::Precision { .. } = options.plan {
        // The batch stopped where its precision was reached: that is its run count.
        partial.runs = done;
        partial.chunks.end = partial.chunks.start + partial.done;
    }
    if sharding.shard != Shard::WHOLE {
        return Ok((None, partial));
    }
    let mut result = finish(&shape, &partial);
    result.checkpoints = checkpoints;
    result.precision_reached = precision_reached;
    Ok((Some(result), partial))
}

/// Combines the partial results of every shard of one batch (from the same binary, scenario
/// files and seed: the caller checks those) into exactly the result of the whole batch run in
/// one process: ordered totals are folded segment by segment in run order, as one process
/// folds them, and sketches and envelope sums merge exactly.
pub fn merge(
    models: &[Model],
    options: &BatchOptions,
    partials: &[Partial],
) -> Result<BatchResult, PartialError> {
    let whole = combine(models, options, partials)?;
    Ok(finish(&Shape::new(models, options), &whole))
}

/// The partial result of the whole batch that every shard's partial results make together:
/// one folded total and the merged sketches, which [`merge`] turns into the batch result and a
/// results directory keeps (so that reports and later merges need no rerun).
pub fn combine(
    models: &[Model],
    options: &BatchOptions,
    partials: &[Partial],
) -> Result<Partial, PartialError> {
    let shape = Shape::new(models, options);
    let count = partials.first().map_or(1, |partial| partial.shard.count);
    // A set of the indices seen, not a table of `count` slots: the count comes from a file.
    let mut seen = std::collections::BTreeSet::new();
    for partial in partials {
        if partial.shard.count != count {
            return Err(PartialError::ShardCounts(count, partial.shard.count));
        }
        if !seen.insert(partial.shard.index) {
            return Err(PartialError::Duplicate(partial.shard));
        }
    }
    if (seen.len() as u64) < count {
        let missing: Vec<u64> = (0..count)
            .filter(|index| !seen.contains(index))
            .take(MISSING_SHARDS_NAMED)
            .collect();
        return Err(PartialError::Missing {
            named: missing,
            count: count - seen.len() as u64,
        });
    }
    let mut ordered: Vec<&Partial> = partials.iter().collect();
    ordered.sort_by_key(|partial| partial.shard.index);
    let runs = ordered.first().map_or(0, |partial| partial.runs);
    let mut whole = Partial::new(&shape, Shard::WHOLE, runs, 0..0);
    let mut folded = Folded::empty(&shape);
    for partial in ordered {
        let chunks = partial.chunks.end - partial.chunks.start;
        if partial.done != chunks {
            return Err(PartialError::Unfinished {
                shard: partial.shard,
                done: partial.done,
                chunks,
            });
        }
        for segment in &partial.segments {
            folded.merge(segment);
        }
        whole.unordered.merge(&partial.unordered);
        whole.chunks.end = whole.chunks.end.max(partial.chunks.end);
    }
    whole.done = whole.chunks.end;
    whole.segments.push(folded);
    Ok(whole)
}

/// The batch result of the complete partial result of a whole batch: its segments folded in
/// order from empty totals, as every batch folds them.
fn finish(shape: &Shape, whole: &Partial) -> BatchResult {
    let mut folded = Folded::empty(shape);
    for segment in &whole.segments {
        folded.merge(segment);
    }
    let unordered = whole.unordered.clone();
    let scenarios = folded
        .moments
        .into_iter()
        .zip(folded.ones)
        .zip(folded.non_finite)
        .zip(unordered.sketches)
        .zip(
            unordered
                .envelope_sums
                .into_iter()
                .zip(unordered.envelope_sketches),
        )
        .map(
            |((((moments, ones), non_finite), sketches), (envelope_sums, envelope_sketches))| {
                ScenarioTotals {
                    moments,
                    ones,
                    sketches,
                    envelope_sums,
                    envelope_sketches,
                    non_finite,
                }
            },
        )
        .collect();
    let pairs = shape
        .pairings
        .iter()
        .zip(folded.differences.into_iter().zip(folded.flags))
        .map(|(pairing, (differences, flags))| PairTotals {
            outcomes: pairing.clone(),
            differences,
            flags,
        })
        .collect();
    BatchResult {
        runs: whole.runs,
        scenarios,
        pairs,
        checkpoints: Vec::new(),
        precision_reached: None,
    }
}

/// The run count of the next precision check: what the current half-width says is needed
/// (half-widths shrink as 1/√n), with a 10% margin, at least one more chunk and at most twice
/// the runs so far, rounded up to whole chunks.
fn next_goal(done: u64, half_width: f64, target: f64, max_runs: u64) -> u64 {
    let ratio = if half_width.is_finite() {
        (half_width / target).powi(2) * 1.1
    } else {
        2.0
    };
    let wanted = (done as f64 * ratio).ceil().min(2.0 * done as f64) as u64;
    let wanted = wanted.max(done + CHUNK_RUNS).div_ceil(CHUNK_RUNS) * CHUNK_RUNS;
    wanted.min(max_runs)
}

/// Sizes shared by every part of a batch.
struct Shape {
    seed: u64,
    months: Vec<usize>,
    outcome_kinds: Vec<Vec<OutcomeKind>>,
    /// For each model after the first, the outcomes it shares with the first, by name.
    pairings: Vec<Vec<(usize, usize)>>,
    /// Indices of the first model's uncertain parameters, for per-run rows.
    uncertain: Vec<usize>,
    row_width: usize,
    envelopes: bool,
    /// For each model, the outcomes that are their own measure source
    /// (`outcome::measure_sources`), in order: only these fill their envelope cells; outcomes
    /// with the same measure share them.
    own_sources: Vec<Vec<usize>>,
    per_run: bool,
}

impl Shape {
    fn new(models: &[Model], options: &BatchOptions) -> Shape {
        let first = models[0].scenario();
        let pairings = models[1..]
            .iter()
            .map(|model| shared_outcomes(&models[0], model))
            .collect();
        let uncertain: Vec<usize> = first
            .params()
            .iter()
            .enumerate()
            .filter(|(_, spec)| !spec.distribution.is_fixed())
            .map(|(index, _)| index)
            .collect();
        Shape {
            seed: options.seed,
            months: models.iter().map(Model::months).collect(),
            outcome_kinds: models
                .iter()
                .map(|model| {
                    model
                        .scenario()
                        .outcomes()
                        .iter()
                        .map(OutcomeKind::of)
                        .collect()
                })
                .collect(),
            pairings,
            row_width: uncertain.len() + first.outcomes().len(),
            uncertain,
            envelopes: options.envelopes,
            own_sources: models
                .iter()
                .map(|model| {
                    let sources = outcome::measure_sources(model);
                    (0..sources.len())
                        .filter(|&outcome| sources[outcome] == outcome)
                        .collect()
                })
                .collect(),
            per_run: options.per_run,
        }
    }

    fn outcome_count(&self, model: usize) -> usize {
        self.outcome_kinds[model].len()
    }

    /// Envelope cells of a model (one per month and outcome), 0 without envelopes.
    fn envelope_cells(&self, model: usize) -> usize {
        if self.envelopes {
            self.months[model] * self.outcome_count(model)
        } else {
            0
        }
    }
}

/// The outcomes of `other` that `first` also has: same name and same kind.
pub fn shared_outcomes(first: &Model, other: &Model) -> Vec<(usize, usize)> {
    let first = first.scenario().outcomes();
    let other = other.scenario().outcomes();
    first
        .iter()
        .enumerate()
        .filter_map(|(index, spec)| {
            other
                .iter()
                .position(|candidate| {
                    candidate.name == spec.name
                        && OutcomeKind::of(candidate) == OutcomeKind::of(spec)
                })
                .map(|position| (index, position))
        })
        .collect()
}

/// What one chunk of runs produced, folded into its segment in chunk order.
struct ChunkResult {
    index: u64,
    first_run: u64,
    folded: Folded,
    rows: Vec<f64>,
}

/// The totals whose floating-point value depends on the order of folding: moments of outcomes
/// and of paired differences; and, kept with them, counts. A chunk's are folded into its
/// segment's in chunk order, and segments' into the batch's in segment order, whichever
/// thread, process or machine ran them.
#[derive(Clone, Debug, PartialEq)]
pub struct Folded {
    /// Per scenario and outcome.
    pub moments: Vec<Vec<Moments>>,
    /// Per scenario and outcome: how many runs gave exactly 1.
    pub ones: Vec<Vec<u64>>,
    /// Per scenario after the first and shared outcome.
    pub differences: Vec<Vec<Moments>>,
    /// Per scenario after the first and shared outcome: the paired yes/no counts.
    pub flags: Vec<Vec<PairedCounts>>,
    /// Per scenario.
    pub non_finite: Vec<u64>,
}

impl Folded {
    fn empty(shape: &Shape) -> Folded {
        let models = shape.outcome_kinds.len();
        Folded {
            moments: (0..models)
                .map(|model| vec![Moments::EMPTY; shape.outcome_count(model)])
                .collect(),
            ones: (0..models)
                .map(|model| vec![0; shape.outcome_count(model)])
                .collect(),
            differences: shape
                .pairings
                .iter()
                .map(|pairing| vec![Moments::EMPTY; pairing.len()])
                .collect(),
            flags: shape
                .pairings
                .iter()
                .map(|pairing| vec![PairedCounts::default(); pairing.len()])
                .collect(),
            non_finite: vec![0; models],
        }
    }

    /// Folds `other`, which comes after everything folded so far, in.
    fn merge(&mut self, other: &Folded) {
        for (totals, parts) in self.moments.iter_mut().zip(&other.moments) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
        for (totals, parts) in self.ones.iter_mut().zip(&other.ones) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| *total += part);
        }
        for (totals, parts) in self.differences.iter_mut().zip(&other.differences) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
        for (totals, parts) in self.flags.iter_mut().zip(&other.flags) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
        // Saturating: how many numbers the runs replaced is not bounded by the run count, so
        // a damaged file's could overflow; no real batch comes near 2^64.
        for (total, part) in self.non_finite.iter_mut().zip(&other.non_finite) {
            *total = total.saturating_add(*part);
        }
    }

    /// Empties the totals in place, keeping their shape.
    fn clear(&mut self) {
        self.moments
            .iter_mut()
            .chain(&mut self.differences)
            .for_each(|moments| moments.fill(Moments::EMPTY));
        self.ones.iter_mut().for_each(|ones| ones.fill(0));
        self.flags
            .iter_mut()
            .for_each(|flags| flags.fill(PairedCounts::default()));
        self.non_finite.fill(0);
    }

    fn is_empty(&self) -> bool {
        self.moments
            .iter()
            .flatten()
            .all(|moments| moments.count == 0 && moments.missing == 0)
    }
}

/// The totals that merge exactly in any order: quantile sketches (integer counts) and
/// envelope sums ([`ExactSum`]). Per scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Unordered {
    /// Per scenario and outcome: a quantile sketch of its finite values.
    pub sketches: Vec<Vec<Sketch>>,
    /// Per scenario, `[month * outcomes + outcome]`: envelope sums (empty without envelopes).
    pub envelope_sums: Vec<Vec<EnvelopeSum>>,
    /// Per scenario, `[month * outcomes + outcome]`: envelope sketches (empty without
    /// envelopes).
    pub envelope_sketches: Vec<Vec<Sketch>>,
}

impl Unordered {
    fn empty(shape: &Shape) -> Unordered {
        let models = shape.outcome_kinds.len();
        Unordered {
            sketches: (0..models)
                .map(|model| vec![Sketch::new(SUMMARY_PRECISION_BITS); shape.outcome_count(model)])
                .collect(),
            envelope_sums: (0..models)
                .map(|model| vec![EnvelopeSum::default(); shape.envelope_cells(model)])
                .collect(),
            envelope_sketches: (0..models)
                .map(|model| {
                    vec![Sketch::new(ENVELOPE_PRECISION_BITS); shape.envelope_cells(model)]
                })
                .collect(),
        }
    }

    fn merge(&mut self, other: &Unordered) {
        for (totals, parts) in self.sketches.iter_mut().zip(&other.sketches) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
        for (totals, parts) in self.envelope_sums.iter_mut().zip(&other.envelope_sums) {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
        for (totals, parts) in self
            .envelope_sketches
            .iter_mut()
            .zip(&other.envelope_sketches)
        {
            totals
                .iter_mut()
                .zip(parts)
                .for_each(|(total, part)| total.merge(part));
        }
    }

    /// Moves everything a worker has accumulated in here and empties the worker's totals
    /// (keeping their memory).
    fn take(&mut self, worker: &mut Worker<'_>) {
        for (totals, parts) in self.sketches.iter_mut().zip(&mut worker.sketches) {
            for (total, part) in totals.iter_mut().zip(parts) {
                total.merge(part);
                part.clear();
            }
        }
        for (totals, parts) in self.envelope_sums.iter_mut().zip(&mut worker.envelope_sums) {
            for (total, part) in totals.iter_mut().zip(parts) {
                total.merge(part);
                *part = EnvelopeSum::default();
            }
        }
        self.take_envelopes(worker);
    }

    /// Moves a worker's envelope counts in here and empties its sketches (keeping their
    /// memory), before its `u32` counts could overflow.
    fn take_envelopes(&mut self, worker: &mut Worker<'_>) {
        for (totals, parts) in self
            .envelope_sketches
            .iter_mut()
            .zip(&mut worker.envelope_sketches)
        {
            for (total, part) in totals.iter_mut().zip(parts) {
                total.merge(part);
                part.clear();
            }
        }
    }
}

/// Runs per segment are [`SEGMENT_CHUNKS`] × [`CHUNK_RUNS`]: chunks fold into their segment,
/// segments into the batch. Shards are made of whole segments, so that a shard's partial result
/// holds one folded total per segment (a few kilobytes) rather than one per chunk. Changing it
/// changes the last bits of means and standard deviations, so it is part of the
/// reproducibility contract.
pub const SEGMENT_CHUNKS: u64 = 16;

/// Part of a batch: the chunks of one shard, as far as they are done. It is what a shard hands
/// to `entente merge`, and what a checkpoint saves for `--resume`.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    /// The shard this part belongs to.
    pub shard: Shard,
    /// Runs of the whole batch.
    pub runs: u64,
    /// The chunks this part covers.
    pub chunks: Range<u64>,
    /// How many of them are done, from the first.
    pub done: u64,
    /// The folded totals of the finished segments, in order. A part that starts at the first
    /// chunk keeps them folded into one, so that a whole batch holds one whatever its size.
    pub segments: Vec<Folded>,
    /// The folded totals of the done chunks of the segment in progress.
    pub current: Folded,
    /// The totals of the done chunks that merge in any order.
    pub unordered: Unordered,
}

impl Partial {
    fn new(shape: &Shape, shard: Shard, runs: u64, chunks: Range<u64>) -> Partial {
        Partial {
            shard,
            runs,
            chunks,
            done: 0,
            segments: Vec::new(),
            current: Folded::empty(shape),
            unordered: Unordered::empty(shape),
        }
    }

    /// Folds the next chunk in.
    fn push(&mut self, chunk: &ChunkResult) {
        let index = self.chunks.start + self.done;
        debug_assert_eq!(chunk.index, index, "chunks are folded in order");
        if index > self.chunks.start && index.is_multiple_of(SEGMENT_CHUNKS) {
            self.close_segment();
        }
        self.current.merge(&chunk.folded);
        self.done += 1;
    }

    /// Ends the segment in progress: its totals join the finished segments.
    fn close_segment(&mut self) {
        if self.current.is_empty() {
            return;
        }
        match self.segments.first_mut() {
            Some(head) if self.chunks.start == 0 => head.merge(&self.current),
            _ => self.segments.push(self.current.clone()),
        }
        self.current.clear();
    }

    /// The totals so far, folded as the finished batch will fold them up to here, for the
    /// precision checks of a sequential batch (which is never sharded).
    fn so_far(&self) -> Folded {
        let Some((head, rest)) = self.segments.split_first() else {
            return self.current.clone();
        };
        let mut folded = head.clone();
        for segment in rest.iter().chain(std::iter::once(&self.current)) {
            folded.merge(segment);
        }
        folded
    }

    /// The widest judged half-width among `selected` outcomes of every scenario (all when
    /// `None`): the precision check.
    fn widest(&self, shape: &Shape, selected: Option<&[usize]>, runs: u64) -> Checkpoint {
        let folded = self.so_far();
        let mut widest = Checkpoint {
            runs,
            widest_half_width: 0.0,
            widest_outcome: 0,
        };
        for (model, kinds) in shape.outcome_kinds.iter().enumerate() {
            for (outcome, kind) in kinds.iter().enumerate() {
                if selected.is_some_and(|selected| !selected.contains(&outcome)) {
                    continue;
                }
                let half = judged_half_width(
                    *kind,
                    &folded.moments[model][outcome],
                    folded.ones[model][outcome],
                );
                // An undefined half-width (fewer than two values) has not reached any target.
                let half = if half.is_nan() { f64::INFINITY } else { half };
                if half > widest.widest_half_width {
                    widest.widest_half_width = half;
                    widest.widest_outcome = outcome;
                }
            }
        }
        widest
    }
}

/// A worker's own simulations, buffers and order-free sketches.
struct Worker<'m> {
    simulations: Vec<Simulation<'m>>,
    outcomes: Vec<Vec<f64>>,
    sketches: Vec<Vec<Sketch>>,
    /// Counted in `u32`, half the memory of the totals' `u64`: one sketch per outcome and
    /// month is the bulk of a worker's memory, and these hand their counts to the totals after
    /// every round, far below `u32::MAX` values each.
    envelope_sketches: Vec<Vec<Sketch<u32>>>,
    /// Exact sums, so a worker keeps its own and they merge in any order.
    envelope_sums: Vec<Vec<EnvelopeSum>>,
    /// Monthly measures of up to [`ENVELOPE_PENDING_RUNS`] runs not yet added to the envelope
    /// cells, for each model: `[(month * sources + source) * ENVELOPE_PENDING_RUNS + slot]`,
    /// the sources being `Shape::own_sources`.
    pending_measures: Vec<Vec<f64>>,
    finished: Vec<ChunkResult>,
}

impl<'m> Worker<'m> {
    fn new(models: &'m [Model], shape: &Shape) -> Worker<'m> {
        Worker {
            simulations: models.iter().map(Simulation::new).collect(),
            outcomes: (0..models.len())
                .map(|model| Vec::with_capacity(LANES * shape.outcome_count(model)))
                .collect(),
            sketches: (0..models.len())
                .map(|model| vec![Sketch::new(SUMMARY_PRECISION_BITS); shape.outcome_count(model)])
                .collect(),
            envelope_sketches: (0..models.len())
                .map(|model| {
                    let cells = shape.envelope_cells(model);
                    vec![Sketch::with_counts(ENVELOPE_PRECISION_BITS); cells]
                })
                .collect(),
            envelope_sums: (0..models.len())
                .map(|model| vec![EnvelopeSum::default(); shape.envelope_cells(model)])
                .collect(),
            pending_measures: (0..models.len())
                .map(|model| {
                    let sources = if shape.envelopes {
                        shape.own_sources[model].len()
                    } else {
                        0
                    };
                    vec![0.0; shape.months[model] * sources * ENVELOPE_PENDING_RUNS]
                })
                .collect(),
            finished: Vec::new(),
        }
    }

    fn run_chunk(&mut self, shape: &Shape, index: u64, end: u64) -> ChunkResult {
        let first_run = index * CHUNK_RUNS;
        let last_run = (first_run + CHUNK_RUNS).min(end);
        let models = self.simulations.len();
        let mut result = ChunkResult {
            index,
            first_run,
            folded: Folded::empty(shape),
            rows: Vec::with_capacity(if shape.per_run {
                (last_run - first_run) as usize * shape.row_width
            } else {
                0
            }),
        };
        let folded = &mut result.folded;
        // Runs go through the model a group of LANES at a time, run r in lane r mod LANES;
        // chunks start on multiples of LANES, and lanes past the last run are computed and
        // left out.
        for group_start in (first_run..last_run).step_by(LANES) {
            let used = (last_run - group_start).min(LANES as u64) as usize;
            let envelopes = shape.envelopes && group_start < ENVELOPE_RUNS;
            for model in 0..models {
                let own_sources = &shape.own_sources[model];
                let pending = &mut self.pending_measures[model];
                let simulation = &mut self.simulations[model];
                simulation.set_every_measure(envelopes);
                let non_finite = simulation.run_group(
                    shape.seed,
                    group_start,
                    &mut self.outcomes[model],
                    |month, measures| {
                        if !envelopes {
                            return;
                        }
                        let base = month as usize * own_sources.len();
                        for (rank, &outcome) in own_sources.iter().enumerate() {
                            let start = (base + rank) * ENVELOPE_PENDING_RUNS;
                            for (slot, &value) in pending[start..start + ENVELOPE_PENDING_RUNS]
                                .iter_mut()
                                .zip(&measures[outcome].0)
                            {
                                *slot = f64::from(value);
                            }
                        }
                    },
                );
                folded.non_finite[model] += non_finite[..used].iter().sum::<u64>();
                if envelopes {
                    add_pending_measures(
                        shape,
                        model,
                        pending,
                        used,
                        &mut self.envelope_sums[model],
                        &mut self.envelope_sketches[model],
                    );
                }
            }
            for lane in 0..used {
                for model in 0..models {
                    let count = shape.outcome_count(model);
                    let values = &self.outcomes[model][lane * count..(lane + 1) * count];
                    for (outcome, &value) in values.iter().enumerate() {
                        folded.moments[model][outcome].push(value);
                        folded.ones[model][outcome] += u64::from(value == 1.0);
                        self.sketches[model][outcome].insert(value);
                    }
                    if shape.per_run && model == 0 {
                        let params = self.simulations[0].params(lane);
                        result
                            .rows
                            .extend(shape.uncertain.iter().map(|&param| params[param]));
                        result.rows.extend_from_slice(values);
                    }
                }
                let first_count = shape.outcome_count(0);
                let first = &self.outcomes[0][lane * first_count..(lane + 1) * first_count];
                for (pair, pairing) in shape.pairings.iter().enumerate() {
                    let other_count = shape.outcome_count(pair + 1);
                    let other =
                        &self.outcomes[pair + 1][lane * other_count..(lane + 1) * other_count];
                    for (slot, &(left, right)) in pairing.iter().enumerate() {
                        let (a, b) = (first[left], other[right]);
                        folded.differences[pair][slot].push(b - a);
                        match shape.outcome_kinds[0][left] {
                            OutcomeKind::Flag => folded.flags[pair][slot].push(a == 1.0, b == 1.0),
                            OutcomeKind::Month => {
                                folded.flags[pair][slot].push(a.is_finite(), b.is_finite())
                            }
                            OutcomeKind::Number => {}
                        }
                    }
                }
            }
        }
        result
    }
}

/// Adds the first `runs` pending runs' monthly measures of one model to its envelope cells,
/// cell by cell.
fn add_pending_measures(
    shape: &Shape,
    model: usize,
    pending: &[f64],
    runs: usize,
    sums: &mut [EnvelopeSum],
    sketches: &mut [Sketch<u32>],
) {
    let own_sources = &shape.own_sources[model];
    let outcome_count = shape.outcome_count(model);
    for (group, values) in pending.chunks_exact(ENVELOPE_PENDING_RUNS).enumerate() {
        let month = group / own_sources.len();
        let cell = month * outcome_count + own_sources[group % own_sources.len()];
        let (sum, sketch) = (&mut sums[cell], &mut sketches[cell]);
        for &value in &values[..runs] {
            if value.is_finite() {
                sum.sum.add(value);
                sum.count += 1;
                sketch.insert(value);
            }
        }
    }
}

/// Runs the chunks covering runs `begin..end` on the pool and returns them in chunk order.
fn run_round(
    pool: &rayon::ThreadPool,
    workers: &mut [Worker<'_>],
    shape: &Shape,
    begin: u64,
    end: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<ChunkResult> {
    debug_assert_eq!(begin % CHUNK_RUNS, 0, "rounds start on chunk boundaries");
    let next = AtomicU64::new(begin / CHUNK_RUNS);
    let last = end.div_ceil(CHUNK_RUNS);
    let collected = Mutex::new(Vec::new());
    pool.scope(|scope| {
        for worker in workers.iter_mut() {
            let next = &next;
            let collected = &collected;
            scope.spawn(move |_| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= last {
                        break;
                    }
                    let chunk = worker.run_chunk(shape, index, end);
                    let first = chunk.first_run;
                    progress((first + CHUNK_RUNS).min(end) - first);
                    worker.finished.push(chunk);
                }
                let finished = std::mem::take(&mut worker.finished);
                collected
                    .lock()
                    .expect("a worker panicked while holding the results")
                    .extend(finished);
            });
        }
    });
    let mut results = collected
        .into_inner()
        .expect("a worker panicked while holding the results");
    results.sort_by_key(|chunk| chunk.index);
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_goals_grow_by_whole_chunks_and_at_most_double() {
        assert_eq!(next_goal(4096, 0.02, 0.01, 1_000_000), 8192);
        let modest = next_goal(4096, 0.0105, 0.01, 1_000_000);
        assert_eq!(modest % CHUNK_RUNS, 0);
        assert!(modest > 4096 && modest < 8192, "{modest}");
        assert_eq!(next_goal(4096, 0.02, 0.01, 5000), 5000);
        assert_eq!(next_goal(4096, f64::INFINITY, 0.01, 1_000_000), 8192);
    }
}
