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

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{Model, Simulation};
use crate::outcome::{self, OutcomeKind};
use crate::sketch::{ENVELOPE_PRECISION_BITS, SUMMARY_PRECISION_BITS, Sketch};
use crate::stats::{Moments, PairedCounts, wilson};

/// Runs per chunk: the unit of work and of the fixed merge order. Changing it changes the last
/// bits of means and standard deviations, so it is part of the reproducibility contract.
pub const CHUNK_RUNS: u64 = 256;

/// Runs before the first precision check of a sequential batch: enough for the standard
/// deviation estimate behind the check to be stable (see `RunPlan::Precision`).
pub const PRECISION_FIRST_RUNS: u64 = 4096;

/// Chunks per round and per worker when the run count is fixed: rounds bound the memory of
/// per-chunk results and of per-run rows waiting to be written, and nothing else.
const CHUNKS_PER_WORKER_PER_ROUND: u64 = 8;

/// Runs whose monthly measures a worker holds before adding them to its envelope cells. One
/// run touches every cell once, each in its own sketch, and a flagship worker has thousands:
/// added run by run, nearly every addition misses the cache. Held for this many runs, the
/// values of one cell fill one cache line and are added together, with the cell's sketch in
/// cache. It divides [`CHUNK_RUNS`], so each cell still sums its values in run order.
const ENVELOPE_PENDING_RUNS: usize = 8;

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
        target: f64,
        max_runs: u64,
        /// Indices of the outcomes to check; all outcomes when `None`.
        outcomes: Option<Vec<usize>>,
    },
}

/// What to run and what to keep.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub seed: u64,
    pub plan: RunPlan,
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
    pub sketches: Vec<Sketch>,
    /// `[month * outcomes + outcome]`: each outcome's monthly measure; empty without envelopes.
    pub envelope_sums: Vec<EnvelopeSum>,
    pub envelope_sketches: Vec<Sketch>,
    /// Non-finite numbers the runs produced and replaced (see `State::sanitise`).
    pub non_finite: u64,
}

/// Sum and count of finite values of one outcome in one month, for the envelope's mean.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EnvelopeSum {
    pub sum: f64,
    pub count: u64,
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
    pub runs: u64,
    /// The widest half-width among the checked outcomes, and that outcome's index.
    pub widest_half_width: f64,
    pub widest_outcome: usize,
}

/// Everything a batch produced.
#[derive(Clone, Debug)]
pub struct BatchResult {
    pub runs: u64,
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
    pub first_run: u64,
    pub width: usize,
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

/// Runs a batch of `models` (one for a batch, several for a paired comparison). Per-run rows
/// (only of the first model) go to `rows` in run order; `progress` is told of every finished
/// chunk's run count from the worker threads.
pub fn run<E>(
    models: &[Model],
    options: &BatchOptions,
    progress: &(dyn Fn(u64) + Sync),
    mut rows: impl FnMut(RunRows<'_>) -> Result<(), E>,
) -> Result<BatchResult, E> {
    assert!(!models.is_empty(), "a batch needs a scenario");
    let threads = options.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("building a thread pool only fails when threads cannot be spawned");
    let shape = Shape::new(models, options);
    let mut totals = Totals::new(&shape);
    let mut workers: Vec<Worker<'_>> = (0..threads).map(|_| Worker::new(models, &shape)).collect();
    let mut checkpoints = Vec::new();
    let mut precision_reached = None;
    let mut done: u64 = 0;
    let mut goal = match &options.plan {
        RunPlan::Fixed(runs) => *runs,
        RunPlan::Precision { max_runs, .. } => PRECISION_FIRST_RUNS.min(*max_runs),
    };
    let round_runs = CHUNK_RUNS * CHUNKS_PER_WORKER_PER_ROUND * threads as u64;
    let mut unflushed_runs: u64 = 0;
    loop {
        while done < goal {
            let end = goal.min(done + round_runs);
            let results = run_round(&pool, &mut workers, &shape, done, end, progress);
            for chunk in &results {
                totals.fold(chunk);
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
                    totals.take_envelopes(worker);
                }
                unflushed_runs = 0;
            }
            done = end;
        }
        let RunPlan::Precision {
            target,
            max_runs,
            outcomes,
        } = &options.plan
        else {
            break;
        };
        let checkpoint = totals.widest(&shape, outcomes.as_deref(), done);
        let reached = checkpoint.widest_half_width <= *target;
        checkpoints.push(checkpoint.clone());
        if reached || done >= *max_runs {
            precision_reached = Some(reached);
            break;
        }
        goal = next_goal(done, checkpoint.widest_half_width, *target, *max_runs);
    }
    for worker in &mut workers {
        totals.take_envelopes(worker);
        totals.merge_sketches(worker);
    }
    Ok(BatchResult {
        runs: done,
        scenarios: totals.scenarios,
        pairs: totals.pairs,
        checkpoints,
        precision_reached,
    })
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

/// What one chunk of runs produced, folded into the totals in chunk order.
struct ChunkResult {
    index: u64,
    first_run: u64,
    moments: Vec<Vec<Moments>>,
    ones: Vec<Vec<u64>>,
    envelope_sums: Vec<Vec<EnvelopeSum>>,
    differences: Vec<Vec<Moments>>,
    flags: Vec<Vec<PairedCounts>>,
    non_finite: Vec<u64>,
    rows: Vec<f64>,
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
    /// Monthly measures of up to [`ENVELOPE_PENDING_RUNS`] runs not yet added to the envelope
    /// cells, for each model: `[(month * sources + source) * ENVELOPE_PENDING_RUNS + slot]`,
    /// the sources being `Shape::own_sources`.
    pending_measures: Vec<Vec<f64>>,
    finished: Vec<ChunkResult>,
}

impl<'m> Worker<'m> {
    fn new(models: &'m [Model], shape: &Shape) -> Worker<'m> {
        Worker {
            simulations: models
                .iter()
                .map(|model| {
                    let mut simulation = Simulation::new(model);
                    simulation.set_every_measure(shape.envelopes);
                    simulation
                })
                .collect(),
            outcomes: (0..models.len())
                .map(|model| Vec::with_capacity(shape.outcome_count(model)))
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
            moments: (0..models)
                .map(|model| vec![Moments::EMPTY; shape.outcome_count(model)])
                .collect(),
            ones: (0..models)
                .map(|model| vec![0; shape.outcome_count(model)])
                .collect(),
            envelope_sums: (0..models)
                .map(|model| {
                    let cells = shape.envelope_cells(model);
                    vec![EnvelopeSum::default(); cells]
                })
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
            rows: Vec::with_capacity(if shape.per_run {
                (last_run - first_run) as usize * shape.row_width
            } else {
                0
            }),
        };
        for run in first_run..last_run {
            let slot = ((run - first_run) as usize) % ENVELOPE_PENDING_RUNS;
            let flush = slot + 1 == ENVELOPE_PENDING_RUNS || run + 1 == last_run;
            for model in 0..models {
                let envelopes = shape.envelopes;
                let own_sources = &shape.own_sources[model];
                let pending = &mut self.pending_measures[model];
                result.non_finite[model] += self.simulations[model].run_into(
                    shape.seed,
                    run,
                    &mut self.outcomes[model],
                    |month, measures| {
                        if !envelopes {
                            return;
                        }
                        let base = month as usize * own_sources.len();
                        for (rank, &outcome) in own_sources.iter().enumerate() {
                            pending[(base + rank) * ENVELOPE_PENDING_RUNS + slot] =
                                measures[outcome];
                        }
                    },
                );
                if envelopes && flush {
                    add_pending_measures(
                        shape,
                        model,
                        pending,
                        slot + 1,
                        &mut result.envelope_sums[model],
                        &mut self.envelope_sketches[model],
                    );
                }
                let values = &self.outcomes[model];
                for (outcome, &value) in values.iter().enumerate() {
                    result.moments[model][outcome].push(value);
                    result.ones[model][outcome] += u64::from(value == 1.0);
                    self.sketches[model][outcome].insert(value);
                }
                if shape.per_run && model == 0 {
                    let params = self.simulations[0].params();
                    result
                        .rows
                        .extend(shape.uncertain.iter().map(|&param| params[param]));
                    result.rows.extend_from_slice(values);
                }
            }
            for (pair, pairing) in shape.pairings.iter().enumerate() {
                let (first, other) = (&self.outcomes[0], &self.outcomes[pair + 1]);
                for (slot, &(left, right)) in pairing.iter().enumerate() {
                    let (a, b) = (first[left], other[right]);
                    result.differences[pair][slot].push(b - a);
                    match shape.outcome_kinds[0][left] {
                        OutcomeKind::Flag => result.flags[pair][slot].push(a == 1.0, b == 1.0),
                        OutcomeKind::Month => {
                            result.flags[pair][slot].push(a.is_finite(), b.is_finite())
                        }
                        OutcomeKind::Number => {}
                    }
                }
            }
        }
        result
    }
}

/// Adds the first `runs` pending runs' monthly measures of one model to its envelope cells:
/// cell by cell, each cell's values in run order (the sums' order is part of the bits).
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
                sum.sum += value;
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

/// The batch's running totals.
struct Totals {
    scenarios: Vec<ScenarioTotals>,
    pairs: Vec<PairTotals>,
}

impl Totals {
    fn new(shape: &Shape) -> Totals {
        let scenarios = (0..shape.outcome_kinds.len())
            .map(|model| {
                let outcomes = shape.outcome_count(model);
                let cells = shape.envelope_cells(model);
                ScenarioTotals {
                    moments: vec![Moments::EMPTY; outcomes],
                    ones: vec![0; outcomes],
                    sketches: vec![Sketch::new(SUMMARY_PRECISION_BITS); outcomes],
                    envelope_sums: vec![EnvelopeSum::default(); cells],
                    envelope_sketches: vec![Sketch::new(ENVELOPE_PRECISION_BITS); cells],
                    non_finite: 0,
                }
            })
            .collect();
        let pairs = shape
            .pairings
            .iter()
            .map(|pairing| PairTotals {
                outcomes: pairing.clone(),
                differences: vec![Moments::EMPTY; pairing.len()],
                flags: vec![PairedCounts::default(); pairing.len()],
            })
            .collect();
        Totals { scenarios, pairs }
    }

    /// Folds one chunk in; called in chunk order.
    fn fold(&mut self, chunk: &ChunkResult) {
        for (model, totals) in self.scenarios.iter_mut().enumerate() {
            for (total, part) in totals.moments.iter_mut().zip(&chunk.moments[model]) {
                total.merge(part);
            }
            for (total, part) in totals.ones.iter_mut().zip(&chunk.ones[model]) {
                *total += part;
            }
            for (total, part) in totals
                .envelope_sums
                .iter_mut()
                .zip(&chunk.envelope_sums[model])
            {
                total.sum += part.sum;
                total.count += part.count;
            }
            totals.non_finite += chunk.non_finite[model];
        }
        for (pair, totals) in self.pairs.iter_mut().enumerate() {
            for (total, part) in totals.differences.iter_mut().zip(&chunk.differences[pair]) {
                total.merge(part);
            }
            for (total, part) in totals.flags.iter_mut().zip(&chunk.flags[pair]) {
                total.merge(part);
            }
        }
    }

    fn merge_sketches(&mut self, worker: &Worker<'_>) {
        for (model, totals) in self.scenarios.iter_mut().enumerate() {
            for (total, part) in totals.sketches.iter_mut().zip(&worker.sketches[model]) {
                total.merge(part);
            }
        }
    }

    /// Moves a worker's envelope counts into the totals and empties its sketches (keeping
    /// their memory), before its `u32` counts could overflow.
    fn take_envelopes(&mut self, worker: &mut Worker<'_>) {
        for (model, totals) in self.scenarios.iter_mut().enumerate() {
            for (total, part) in totals
                .envelope_sketches
                .iter_mut()
                .zip(&mut worker.envelope_sketches[model])
            {
                total.merge(part);
                part.clear();
            }
        }
    }

    /// The widest judged half-width among `selected` outcomes of every scenario (all when
    /// `None`): the precision check.
    fn widest(&self, shape: &Shape, selected: Option<&[usize]>, runs: u64) -> Checkpoint {
        let mut widest = Checkpoint {
            runs,
            widest_half_width: 0.0,
            widest_outcome: 0,
        };
        for (model, totals) in self.scenarios.iter().enumerate() {
            for (outcome, kind) in shape.outcome_kinds[model].iter().enumerate() {
                if selected.is_some_and(|selected| !selected.contains(&outcome)) {
                    continue;
                }
                let half = judged_half_width(*kind, &totals.moments[outcome], totals.ones[outcome]);
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
