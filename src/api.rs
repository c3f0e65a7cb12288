//! The library's front door: one run, a batch or a paired comparison of scenarios in a few
//! calls, with outcomes read by name. The `entente` command line and the Python module are
//! built on the same pieces, and give the same numbers for the same scenario and seed.
//!
//! ```no_run
//! use entente::{Overrides, Scenario, api};
//!
//! let overrides = Overrides::new().set("rules.regime_survival.revenue_elasticity", 0.01);
//! let scenario = Scenario::load_with("scenarios/venezuela/baseline.toml".as_ref(), &overrides)?;
//! let batch = api::batch(&scenario, &api::Settings::runs(2_000))?;
//! let survived = batch.table.column("survives_2030").expect("an outcome of the scenario");
//! println!("P(survives 2030) = {}", survived.iter().sum::<f64>() / survived.len() as f64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use thiserror::Error;

use crate::batch::{self, BatchOptions, RunPlan};
use crate::design::{Experiment, ExperimentError, ExperimentRequest};
use crate::model::{Model, Simulation};
use crate::outcome::{OutcomeValue, Trace};
use crate::scenario::Scenario;
use crate::summary::{ComparisonSummary, ScenarioSummary};

/// How many runs, from which seed, on how many threads, with which design.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Runs of each scenario; a design with a size (Sobol', Morris, Latin hypercube, grid)
    /// takes its own size and this must then be `None` or equal to it.
    pub runs: Option<u64>,
    /// The seed; `None` takes the first scenario's `seed`.
    pub seed: Option<u64>,
    /// Worker threads; 0 takes every core. Results do not depend on it.
    pub threads: usize,
    /// The experimental design; `None` is plain Monte Carlo.
    pub design: Option<ExperimentRequest>,
    /// Keep monthly envelopes (each outcome's monthly measure, summarised).
    pub envelopes: bool,
    /// Keep every run's sampled parameters and outcomes in [`RunTable`]s.
    pub per_run: bool,
}

impl Settings {
    /// `runs` Monte Carlo runs from the scenario's seed, on every core, keeping per-run rows
    /// and no envelopes.
    pub fn runs(runs: u64) -> Settings {
        Settings {
            runs: Some(runs),
            seed: None,
            threads: 0,
            design: None,
            envelopes: false,
            per_run: true,
        }
    }
}

/// Why a batch could not start. Runs themselves cannot fail.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The design does not fit the scenario.
    #[error("{0}")]
    Design(#[from] ExperimentError),
    /// The run count is missing, zero, or differs from the design's size.
    #[error("{0}")]
    Runs(String),
    /// A comparison without scenarios.
    #[error("a comparison needs at least two scenarios, got {0}")]
    TooFewScenarios(usize),
}

/// One run's outcomes, by name.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcomes {
    names: Vec<String>,
    values: Vec<OutcomeValue>,
    encoded: Vec<f64>,
    /// Non-finite numbers the run produced and replaced by 0 (0 in a healthy model).
    pub non_finite: u64,
}

impl Outcomes {
    /// The outcome named `name`, decoded (a number, a yes/no flag, or a month or "never").
    pub fn get(&self, name: &str) -> Option<OutcomeValue> {
        self.position(name).map(|index| self.values[index])
    }

    /// The outcome named `name` as a number: flags are 1 or 0, months count from the
    /// scenario's start, and "never" (or a conditional outcome whose condition failed) is NaN.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.position(name).map(|index| self.encoded[index])
    }

    /// The outcome names, in scenario order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every outcome as (name, decoded value), in scenario order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, OutcomeValue)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|candidate| candidate == name)
    }
}

/// Runs `scenario` once, as run `run` of the batch seeded `seed` (the scenario's seed when
/// `None`): the same numbers as that run of any batch, and as `entente run --run RUN`.
pub fn run(scenario: &Scenario, seed: Option<u64>, run: u64) -> Outcomes {
    run_traced(scenario, seed, run, None)
}

/// [`run`], recording every outcome's measure month by month into `trace` when one is given
/// (make it with [`Trace::new`] on the same scenario's model).
pub fn run_traced(
    scenario: &Scenario,
    seed: Option<u64>,
    run: u64,
    trace: Option<&mut Trace>,
) -> Outcomes {
    let seed = seed.unwrap_or(scenario.seed());
    let model = Model::new(scenario.clone());
    let mut simulation = Simulation::new(&model);
    let result = simulation.run(seed, run, trace);
    let specs = model.scenario().outcomes();
    let start = model.scenario().start();
    Outcomes {
        names: specs.iter().map(|spec| spec.name.clone()).collect(),
        values: specs
            .iter()
            .zip(&result.outcomes)
            .map(|(spec, &encoded)| OutcomeValue::decode(spec, start, encoded))
            .collect(),
        encoded: result.outcomes,
        non_finite: result.non_finite,
    }
}

/// Every run's sampled uncertain parameters and outcomes, one row per run, columns by name.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTable {
    /// `run`, then each uncertain parameter's key, then each outcome's name.
    pub columns: Vec<String>,
    /// How many of the columns after `run` are parameters (the rest are outcomes).
    pub parameter_count: usize,
    /// Row after row, `columns.len()` values each; outcomes encoded as by
    /// [`Outcomes::number`], the run index as a number.
    pub values: Vec<f64>,
}

impl RunTable {
    fn new(model: &Model) -> RunTable {
        let scenario = model.scenario();
        let mut columns = vec!["run".to_string()];
        columns.extend(scenario.uncertain_param_keys().map(str::to_string));
        let parameter_count = columns.len() - 1;
        columns.extend(scenario.outcomes().iter().map(|spec| spec.name.clone()));
        RunTable {
            columns,
            parameter_count,
            values: Vec::new(),
        }
    }

    /// How many runs (rows).
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    /// One column's values, in run order.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let index = self.columns.iter().position(|column| column == name)?;
        Some(
            self.values
                .chunks_exact(self.columns.len())
                .map(|row| row[index])
                .collect(),
        )
    }
}

/// A batch of one scenario.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Each outcome's distribution, probabilities, quantiles and target checks.
    pub summary: ScenarioSummary,
    /// Per-run rows (empty unless [`Settings::per_run`]).
    pub table: RunTable,
}

/// A paired comparison: every scenario ran the same run indices from the same seed.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The paired differences of each scenario from the first, outcome by outcome.
    pub comparison: ComparisonSummary,
    /// Each scenario's own summary, in the order given.
    pub summaries: Vec<ScenarioSummary>,
    /// Each scenario's per-run rows, in the order given (empty unless
    /// [`Settings::per_run`]); row *i* of every table is the same run index, so differences
    /// taken row by row are the paired differences.
    pub tables: Vec<RunTable>,
}

/// Runs a batch of `scenario`: the same numbers as `entente batch` with the same seed, runs and
/// design, on any thread count.
pub fn batch(scenario: &Scenario, settings: &Settings) -> Result<Batch, ApiError> {
    let (models, options) = prepare(std::slice::from_ref(scenario), settings)?;
    let (summaries, _, mut tables) = execute(&models, &options);
    Ok(Batch {
        summary: summaries.into_iter().next().expect("one scenario"),
        table: tables.remove(0),
    })
}

/// Runs a paired comparison of `scenarios` (the first is the reference): the same numbers as
/// `entente compare` with the same seed, runs and design.
pub fn compare(scenarios: &[Scenario], settings: &Settings) -> Result<Comparison, ApiError> {
    if scenarios.len() < 2 {
        return Err(ApiError::TooFewScenarios(scenarios.len()));
    }
    let (models, options) = prepare(scenarios, settings)?;
    let (summaries, comparison, tables) = execute(&models, &options);
    Ok(Comparison {
        comparison: comparison.expect("several scenarios"),
        summaries,
        tables,
    })
}

/// The models (sharing the design, built on the first scenario) and the batch options.
fn prepare(
    scenarios: &[Scenario],
    settings: &Settings,
) -> Result<(Vec<Model>, BatchOptions), ApiError> {
    let seed = settings.seed.unwrap_or(scenarios[0].seed());
    let experiment = match &settings.design {
        Some(request) if !request.is_plain() || request.points.is_some() => {
            Some(Arc::new(Experiment::new(request, &scenarios[0], seed)?))
        }
        _ => None,
    };
    let runs = match (
        experiment.as_deref().and_then(Experiment::runs),
        settings.runs,
    ) {
        (Some(size), Some(runs)) if runs != size => {
            return Err(ApiError::Runs(format!(
                "runs = {runs}: the design has {size} runs (points × runs per point × \
                 replications); leave runs unset"
            )));
        }
        (Some(size), _) => size,
        (None, Some(0)) => return Err(ApiError::Runs("runs must be at least 1".into())),
        (None, Some(runs)) => runs,
        (None, None) => crate::cli::DEFAULT_RUNS,
    };
    let mut models: Vec<Model> = scenarios
        .iter()
        .map(|scenario| Model::new(scenario.clone()))
        .collect();
    if let Some(experiment) = &experiment {
        for model in &mut models {
            model.set_experiment(Arc::clone(experiment));
        }
    }
    let options = BatchOptions {
        seed,
        plan: RunPlan::Fixed(runs),
        threads: batch::worker_threads((settings.threads > 0).then_some(settings.threads)),
        envelopes: settings.envelopes,
        per_run: settings.per_run,
    };
    Ok((models, options))
}

/// Runs the batch; each scenario's summary, the comparison when there are several, and each
/// scenario's per-run table. The batch hands over the first scenario's rows; the others' come
/// from a batch of their own with the same options, whose runs are the same runs.
fn execute(
    models: &[Model],
    options: &BatchOptions,
) -> (
    Vec<ScenarioSummary>,
    Option<ComparisonSummary>,
    Vec<RunTable>,
) {
    let collect = |models: &[Model]| {
        let mut table = RunTable::new(&models[0]);
        let result = batch::run(models, options, &|_| {}, |rows| {
            for (offset, row) in rows.values.chunks_exact(rows.width).enumerate() {
                table.values.push((rows.first_run + offset as u64) as f64);
                table.values.extend_from_slice(row);
            }
            Ok::<(), std::convert::Infallible>(())
        });
        let Ok(result) = result;
        (result, table)
    };
    let (result, first_table) = collect(models);
    let (summaries, comparison) = crate::summary::summarise(models, options.seed, &result, None);
    let mut tables = vec![first_table];
    for model in &models[1..] {
        let table = if options.per_run {
            collect(std::slice::from_ref(model)).1
        } else {
            RunTable::new(model)
        };
        tables.push(table);
    }
    (summaries, comparison, tables)
}
