//! Experiments: which of a scenario's parameters a design varies and over what, and the
//! parameter values and noise stream of every run of the design. The bridge between the
//! unit-cube designs of this module and a [`Model`](crate::Model): a model given an experiment
//! draws each run's other parameters as usual and takes the varied ones from the design.
//!
//! A run's values depend only on (seed, request, run index), never on threads, shards or which
//! runs share its group, so the batch contract (identical bytes for any split) carries over.
//!
//! How a run index maps onto the design: run r is replication r mod R of design point r / R
//! (R = `replications`, 1 by default). Unit-cube coordinates u become parameter values through
//! the marginal's exact quantile function, Q(u) (see [`Distribution::quantile`]); a Morris grid
//! coordinate x (a multiple of 1/(levels − 1)) is first moved to the middle of its probability
//! stratum, (x·(levels − 1) + ½)/levels, so that unbounded marginals get finite values.
//!
//! Noise (the monthly growth and hazard streams, and the draws of the parameters the design
//! does not vary): the estimators compare runs that differ in one input, so such runs must
//! not also differ in noise, or every input would be credited with the noise's variance (on
//! the flagship, a total index near 1 for every input). So without `replications`, the runs
//! of one Sobol' base point (its A, B and every AB_i row) share one stream index, the base
//! point's, as do the runs of one Morris trajectory; the indices then average over the noise
//! of the N base points and include each input's interactions with the noise. Latin
//! hypercube, grid and Monte Carlo points each have their own (stream index = point = run,
//! exactly as in a Monte Carlo batch). With `replications` R, replication j of every point
//! uses stream j: common random numbers across all points, and estimators use each point's
//! mean over its replications, the indices of the mean response.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{DesignError, LatinHypercube, SaltelliDesign, SaltelliMatrix, morris_trajectory};
use crate::param::Distribution;
use crate::rng::{self, Purpose};
use crate::scenario::{Scenario, nearest_names};

/// Probabilities handed to a quantile function stay at least this far from 0 and 1: a
/// scrambled Sobol' or Latin hypercube coordinate can be exactly 0, whose quantile is −∞ for
/// an unbounded marginal. 2^-33 is half of a Sobol' coordinate's resolution (2^-32), so no
/// two distinct design coordinates are merged by the clamp.
pub const PROBABILITY_FLOOR: f64 = 1.0 / 8_589_934_592.0;

/// Grid levels of a Morris design unless asked otherwise (Saltelli et al. 2008 recommend 4
/// levels with Δ = 2/3).
pub const DEFAULT_MORRIS_LEVELS: usize = 4;

/// Morris trajectories are selected (Campolongo et al. 2007) from a pool this many times
/// larger than the number asked for, unless asked otherwise.
pub const DEFAULT_MORRIS_POOL_FACTOR: u64 = 4;

/// The largest Morris pool: selection compares every pair of trajectories, which takes time
/// in proportion to pool² · (inputs + 1)² · inputs.
pub const MAX_MORRIS_POOL: u64 = 1000;

/// Keys listed after an unknown one, nearest first.
const NEAREST_KEYS_SHOWN: usize = 3;

/// The design a batch or an analysis uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Independent draws from every marginal (the batch's own Monte Carlo).
    #[default]
    MonteCarlo,
    /// A Latin hypercube over the varied parameters' marginals.
    LatinHypercube,
    /// The Saltelli A/B/AB design on scrambled Sobol' points, for Sobol' indices.
    Sobol,
    /// Morris trajectories, for elementary effects.
    Morris,
    /// Every combination of the swept values.
    Grid,
}

impl Method {
    /// The method's name on the command line (`--design`): "mc", "lhs", "sobol", "morris" or
    /// "grid".
    pub fn name(self) -> &'static str {
        match self {
            Method::MonteCarlo => "mc",
            Method::LatinHypercube => "lhs",
            Method::Sobol => "sobol",
            Method::Morris => "morris",
            Method::Grid => "grid",
        }
    }
}

/// A fixed number turned into a uniform uncertainty for the analysis (`--range KEY=LOW,HIGH`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangeRequest {
    /// The key of the fixed parameter, such as `actors.VEN.growth`.
    pub key: String,
    /// The uniform's lower end.
    pub low: f64,
    /// The uniform's upper end.
    pub high: f64,
}

/// The values a grid takes for one key (`--sweep KEY=V1,V2,...`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRequest {
    /// The key of the parameter swept.
    pub key: String,
    /// The values it takes, in order.
    pub values: Vec<f64>,
}

/// What a user asked for: the command line's design options, kept in manifests so that a
/// batch can be repeated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRequest {
    /// The design (`--design`).
    pub method: Method,
    /// Base points (Sobol'), trajectories (Morris) or points (Latin hypercube); unused by
    /// Monte Carlo and grids.
    pub points: Option<u64>,
    /// Glob patterns (`*` any run of characters, `?` one) on parameter keys choosing the
    /// uncertainties to vary; empty: every uncertain parameter.
    pub params: Vec<String>,
    /// Fixed numbers to vary as uniforms (`--range`).
    pub ranges: Vec<RangeRequest>,
    /// The keys a grid sweeps and their values (`--sweep`), the last varying fastest.
    pub sweeps: Vec<SweepRequest>,
    /// Runs of each design point; `None`: one, with run-indexed noise.
    pub replications: Option<u64>,
    /// Grid levels of a Morris design, even and at least 2.
    pub morris_levels: usize,
    /// Trajectories to select the Morris design from; `None`: four times as many as asked.
    pub morris_pool: Option<u64>,
}

impl Default for ExperimentRequest {
    fn default() -> ExperimentRequest {
        ExperimentRequest {
            method: Method::MonteCarlo,
            points: None,
            params: Vec::new(),
            ranges: Vec::new(),
            sweeps: Vec::new(),
            replications: None,
            morris_levels: DEFAULT_MORRIS_LEVELS,
            morris_pool: None,
        }
    }
}

impl ExperimentRequest {
    /// Whether this is a plain Monte Carlo batch with nothing changed: such a batch needs no
    /// experiment at all (and gives exactly the bytes it always gave).
    pub fn is_plain(&self) -> bool {
        self.method == Method::MonteCarlo
            && self.params.is_empty()
            && self.ranges.is_empty()
            && self.sweeps.is_empty()
            && self.replications.is_none()
    }
}

/// One problem with an experiment request, found before any run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExperimentProblem {
    /// A `--range` or `--sweep` key that names no parameter of the scenario.
    #[error("no parameter has the key `{key}`{}", listed(.nearest))]
    UnknownKey {
        /// The key as given.
        key: String,
        /// The nearest parameter keys, nearest first (at most three).
        nearest: Vec<String>,
    },
    /// A `--params` pattern that matches no uncertain parameter.
    #[error("--params `{pattern}` matches no uncertain parameter{}", listed(.nearest))]
    PatternMatchesNothing {
        /// The pattern as given.
        pattern: String,
        /// The nearest uncertain parameters' keys, nearest first (at most three).
        nearest: Vec<String>,
    },
    /// A `--range` on a parameter that already has a distribution.
    #[error(
        "--range {key}: `{key}` is already uncertain ({distribution}); --range turns a fixed number into a uniform uncertainty"
    )]
    RangeOnUncertain {
        /// The parameter's key.
        key: String,
        /// Its distribution, as shown to the user.
        distribution: String,
    },
    /// A `--range` whose bounds are not finite or not in increasing order.
    #[error("--range {key}={low},{high}: LOW must be below HIGH, and both finite")]
    RangeOrder {
        /// The parameter's key.
        key: String,
        /// The lower bound given.
        low: f64,
        /// The upper bound given.
        high: f64,
    },
    /// A key given more than once to `--range` and `--sweep` together.
    #[error("`{key}` is given twice to --range or --sweep")]
    Repeated {
        /// The repeated key.
        key: String,
    },
    /// A `--sweep` with no values, or a value that is not finite.
    #[error("--sweep {key}: give at least one finite value (V1,V2,...)")]
    EmptySweep {
        /// The swept key.
        key: String,
    },
    /// A grid design with nothing to sweep.
    #[error("--design grid needs at least one --sweep KEY=V1,V2,...")]
    GridWithoutSweep,
    /// A `--sweep` with a design other than the grid.
    #[error("--sweep needs --design grid (or no --design)")]
    SweepWithoutGrid,
    /// `--params` or `--range` with a grid design, which varies only the swept keys.
    #[error("--{option} has no meaning with --design grid: a grid varies the swept keys only")]
    NotForGrid {
        /// The option's name without its dashes: "params" or "range".
        option: &'static str,
    },
    /// A Latin hypercube, Sobol' or Morris design without `--points`.
    #[error("--design {method} needs --points N")]
    MissingPoints {
        /// The design's name (see [`Method::name`]).
        method: &'static str,
    },
    /// `--points` with a Monte Carlo or grid design, which have no points to set.
    #[error("--points has no meaning with --design {method}")]
    PointsNotUsed {
        /// The design's name (see [`Method::name`]).
        method: &'static str,
    },
    /// A Sobol' design whose base points are not a power of two of at least 2.
    #[error("--design sobol needs a power of two of base points, at least 2; {points} given")]
    SobolPoints {
        /// The base points given.
        points: u64,
    },
    /// A Morris design of fewer than 2 trajectories.
    #[error("--design morris needs at least 2 trajectories; {points} given")]
    MorrisTrajectories {
        /// The trajectories given.
        points: u64,
    },
    /// A Latin hypercube of fewer than 2 points.
    #[error("--design lhs needs at least 2 points; {points} given")]
    LatinPoints {
        /// The points given.
        points: u64,
    },
    /// A Morris pool smaller than the trajectories asked for, or larger than
    /// `MAX_MORRIS_POOL` (1,000).
    #[error(
        "--morris-pool {pool}: the pool must hold at least the {points} trajectories asked for, and at most {MAX_MORRIS_POOL}"
    )]
    MorrisPool {
        /// The pool given.
        pool: u64,
        /// The trajectories asked for.
        points: u64,
    },
    /// `--replications 0`.
    #[error("--replications must be at least 1")]
    NoReplications,
    /// No parameter to vary: the scenario has none uncertain and no `--range` was given.
    #[error("the design varies nothing: the scenario has no uncertain parameter (use --range)")]
    NothingVaried,
    /// A design of more runs than [`crate::batch::MAX_RUNS`].
    #[error("the design needs {runs} runs, more than the {most} a batch allows")]
    TooManyRuns {
        /// The runs the design needs (points × replications).
        runs: u128,
        /// The most runs a batch allows.
        most: u64,
    },
    /// A problem of the unit-cube design itself (too many dimensions, bad Morris levels).
    #[error("{0}")]
    Design(#[from] DesignError),
}

fn listed(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = nearest.iter().map(|key| format!("`{key}`")).collect();
        format!("; nearest keys: {}", names.join(", "))
    }
}

/// Every problem found in an experiment request.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentError(pub Vec<ExperimentProblem>);

impl fmt::Display for ExperimentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExperimentError {}

/// A parameter the design varies.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertainty {
    /// The parameter's key, such as `actors.VEN.growth`.
    pub key: String,
    /// The distribution the design maps its coordinates onto (for a `--range`, the uniform
    /// over the range; for a sweep, the scenario's own).
    pub marginal: Distribution,
    /// What the scenario itself says of the key: a model binds the design to its parameter of
    /// this key only if it says the same, so a variant that changes a parameter keeps its own.
    pub declared: Distribution,
}

/// Where a run lies in the design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    /// The design point (row of the design) the run evaluates.
    pub point: u64,
    /// Which of that point's replications it is, from 0.
    pub replication: u64,
}

#[derive(Clone, Debug)]
enum Layout {
    MonteCarlo {
        purposes: Vec<Purpose>,
    },
    Latin(LatinHypercube),
    Saltelli(SaltelliDesign),
    Morris {
        levels: usize,
        /// Coordinates of the selected trajectories: trajectory t, step s, input i at
        /// `(t * (inputs + 1) + s) * inputs + i`.
        coordinates: Vec<f64>,
    },
    Grid {
        values: Vec<Vec<f64>>,
    },
}

/// A validated experiment on one scenario: its uncertainties and the design over them.
#[derive(Clone, Debug)]
pub struct Experiment {
    request: ExperimentRequest,
    seed: u64,
    uncertainties: Vec<Uncertainty>,
    layout: Layout,
    /// Design points; `None` for Monte Carlo, where the batch's run count decides.
    points: Option<u64>,
}

/// Buffers of [`Experiment::values`], sized once per simulation.
#[derive(Clone, Debug, Default)]
pub struct ExperimentScratch {
    /// The last Sobol' base point computed, and its index: consecutive runs are rows of the
    /// same base point, which is then computed once.
    base: Vec<f64>,
    base_index: Option<u64>,
    coordinates: Vec<f64>,
}

impl Experiment {
    /// Validates `request` against `scenario`, returning every problem at once.
    pub fn new(
        request: &ExperimentRequest,
        scenario: &Scenario,
        seed: u64,
    ) -> Result<Experiment, ExperimentError> {
        let mut problems = Vec::new();
        let specs = scenario.params();
        let keys = || specs.iter().map(|spec| spec.key.as_str());
        let find = |key: &str| specs.iter().find(|spec| spec.key == key);
        let unknown = |key: &str| ExperimentProblem::UnknownKey {
            key: key.to_string(),
            nearest: nearest_names(key, keys(), NEAREST_KEYS_SHOWN),
        };
        let method = request.method;
        let grid = method == Method::Grid;

        let mut seen: Vec<&str> = Vec::new();
        let mut uncertainties = Vec::new();
        if grid {
            if request.sweeps.is_empty() {
                problems.push(ExperimentProblem::GridWithoutSweep);
            }
            if !request.params.is_empty() {
                problems.push(ExperimentProblem::NotForGrid { option: "params" });
            }
            if !request.ranges.is_empty() {
                problems.push(ExperimentProblem::NotForGrid { option: "range" });
            }
        } else if !request.sweeps.is_empty() {
            problems.push(ExperimentProblem::SweepWithoutGrid);
        }
        for sweep in &request.sweeps {
            if seen.contains(&sweep.key.as_str()) {
                problems.push(ExperimentProblem::Repeated {
                    key: sweep.key.clone(),
                });
            }
            seen.push(&sweep.key);
            if sweep.values.is_empty() || sweep.values.iter().any(|value| !value.is_finite()) {
                problems.push(ExperimentProblem::EmptySweep {
                    key: sweep.key.clone(),
                });
            }
            match find(&sweep.key) {
                None => problems.push(unknown(&sweep.key)),
                Some(spec) if grid => uncertainties.push(Uncertainty {
                    key: spec.key.clone(),
                    marginal: spec.distribution.clone(),
                    declared: spec.distribution.clone(),
                }),
                Some(_) => {}
            }
        }
        let mut ranged = Vec::new();
        for range in &request.ranges {
            if seen.contains(&range.key.as_str()) {
                problems.push(ExperimentProblem::Repeated {
                    key: range.key.clone(),
                });
            }
            seen.push(&range.key);
            if !(range.low.is_finite() && range.high.is_finite() && range.low < range.high) {
                problems.push(ExperimentProblem::RangeOrder {
                    key: range.key.clone(),
                    low: range.low,
                    high: range.high,
                });
            }
            match find(&range.key) {
                None => problems.push(unknown(&range.key)),
                Some(spec) if !spec.distribution.is_fixed() => {
                    problems.push(ExperimentProblem::RangeOnUncertain {
                        key: range.key.clone(),
                        distribution: spec.distribution.to_string(),
                    })
                }
                Some(spec) => ranged.push(Uncertainty {
                    key: spec.key.clone(),
                    marginal: Distribution::Uniform {
                        low: range.low,
                        high: range.high,
                    },
                    declared: spec.distribution.clone(),
                }),
            }
        }
        if !grid {
            // Parameters in scenario order, so that the design's columns do not depend on
            // the order of the options.
            let uncertain = |spec: &&crate::param::ParamSpec| !spec.distribution.is_fixed();
            for pattern in &request.params {
                if !specs
                    .iter()
                    .filter(uncertain)
                    .any(|spec| glob_matches(pattern, &spec.key))
                {
                    problems.push(ExperimentProblem::PatternMatchesNothing {
                        pattern: pattern.clone(),
                        nearest: nearest_names(
                            pattern,
                            specs.iter().filter(uncertain).map(|spec| spec.key.as_str()),
                            NEAREST_KEYS_SHOWN,
                        ),
                    });
                }
            }
            for spec in specs {
                if let Some(range) = ranged.iter().find(|range| range.key == spec.key) {
                    uncertainties.push(range.clone());
                } else if uncertain(&spec)
                    && (request.params.is_empty()
                        || request
                            .params
                            .iter()
                            .any(|pattern| glob_matches(pattern, &spec.key)))
                {
                    uncertainties.push(Uncertainty {
                        key: spec.key.clone(),
                        marginal: spec.distribution.clone(),
                        declared: spec.distribution.clone(),
                    });
                }
            }
            if uncertainties.is_empty() && problems.is_empty() {
                problems.push(ExperimentProblem::NothingVaried);
            }
        }
        if request.replications == Some(0) {
            problems.push(ExperimentProblem::NoReplications);
        }
        let name = method.name();
        let points = match (method, request.points) {
            (Method::MonteCarlo | Method::Grid, Some(_)) => {
                problems.push(ExperimentProblem::PointsNotUsed { method: name });
                None
            }
            (Method::MonteCarlo | Method::Grid, None) => None,
            (_, None) => {
                problems.push(ExperimentProblem::MissingPoints { method: name });
                None
            }
            (Method::Sobol, Some(points)) if points < 2 || !points.is_power_of_two() => {
                problems.push(ExperimentProblem::SobolPoints { points });
                None
            }
            (Method::Morris, Some(points)) if points < 2 => {
                problems.push(ExperimentProblem::MorrisTrajectories { points });
                None
            }
            (Method::LatinHypercube, Some(points)) if points < 2 => {
                problems.push(ExperimentProblem::LatinPoints { points });
                None
            }
            (_, Some(points)) => Some(points),
        };
        if method == Method::Morris {
            if let (Some(points), Some(pool)) = (points, request.morris_pool)
                && (pool < points || pool > MAX_MORRIS_POOL)
            {
                problems.push(ExperimentProblem::MorrisPool { pool, points });
            }
            if request.morris_levels < 2 || request.morris_levels % 2 == 1 {
                problems.push(ExperimentProblem::Design(DesignError::MorrisLevels {
                    levels: request.morris_levels,
                }));
            }
        }
        if !problems.is_empty() {
            return Err(ExperimentError(problems));
        }

        let inputs = uncertainties.len();
        let design_points = match method {
            Method::MonteCarlo => None,
            Method::Grid => Some(
                request
                    .sweeps
                    .iter()
                    .map(|sweep| sweep.values.len() as u128)
                    .product::<u128>(),
            ),
            Method::Sobol => points.map(|points| u128::from(points) * (inputs as u128 + 2)),
            Method::Morris => points.map(|points| u128::from(points) * (inputs as u128 + 1)),
            Method::LatinHypercube => points.map(u128::from),
        };
        if let Some(design_points) = design_points {
            let runs = design_points * u128::from(request.replications.unwrap_or(1));
            if runs > u128::from(crate::batch::MAX_RUNS) {
                return Err(ExperimentError(vec![ExperimentProblem::TooManyRuns {
                    runs,
                    most: crate::batch::MAX_RUNS,
                }]));
            }
        }
        // The designs draw from streams of their own purposes, so the batch seed serves.
        let design_seed = seed;
        let layout = match method {
            Method::MonteCarlo => Layout::MonteCarlo {
                purposes: uncertainties
                    .iter()
                    .map(|uncertainty| Purpose::named(&format!("design:mc:{}", uncertainty.key)))
                    .collect(),
            },
            Method::LatinHypercube => Layout::Latin(LatinHypercube::new(
                points.unwrap_or(0) as usize,
                inputs,
                design_seed,
            )),
            Method::Sobol => Layout::Saltelli(
                SaltelliDesign::new(inputs, design_seed)
                    .map_err(|error| ExperimentError(vec![error.into()]))?,
            ),
            Method::Morris => {
                let wanted = points.unwrap_or(0);
                let pool = request
                    .morris_pool
                    .unwrap_or(wanted.saturating_mul(DEFAULT_MORRIS_POOL_FACTOR))
                    .clamp(wanted, MAX_MORRIS_POOL.max(wanted));
                let coordinates =
                    select_morris(inputs, request.morris_levels, design_seed, pool, wanted)
                        .map_err(|error| ExperimentError(vec![error.into()]))?;
                Layout::Morris {
                    levels: request.morris_levels,
                    coordinates,
                }
            }
            Method::Grid => Layout::Grid {
                values: request
                    .sweeps
                    .iter()
                    .map(|sweep| sweep.values.clone())
                    .collect(),
            },
        };
        Ok(Experiment {
            request: request.clone(),
            seed,
            uncertainties,
            layout,
            points: design_points.map(|points| points as u64),
        })
    }

    /// The request the experiment was made from.
    pub fn request(&self) -> &ExperimentRequest {
        &self.request
    }

    /// The batch's seed, from which the design (its scramble, hypercube or trajectories) is
    /// drawn too.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The design's method.
    pub fn method(&self) -> Method {
        self.request.method
    }

    /// The varied parameters, in the design's column order.
    pub fn uncertainties(&self) -> &[Uncertainty] {
        &self.uncertainties
    }

    /// Design points (rows of the design), or `None` for Monte Carlo.
    pub fn points(&self) -> Option<u64> {
        self.points
    }

    /// Runs of each point.
    pub fn replications(&self) -> u64 {
        self.request.replications.unwrap_or(1)
    }

    /// Runs the whole design takes, or `None` for Monte Carlo (the batch decides).
    pub fn runs(&self) -> Option<u64> {
        self.points.map(|points| points * self.replications())
    }

    /// Base points of a Sobol' design, trajectories of a Morris design, points otherwise.
    pub fn base_points(&self) -> Option<u64> {
        self.request.points
    }

    /// Where run `run` lies in the design: point `run / R`, replication `run mod R`, with R
    /// the [`Experiment::replications`].
    pub fn locate(&self, run: u64) -> Located {
        let replications = self.replications();
        Located {
            point: run / replications,
            replication: run % replications,
        }
    }

    /// The index of the streams (monthly noise, draws of the parameters not varied) run
    /// `run` uses: with replications asked for, its replication's (shared by every point);
    /// otherwise its block's: the base point of a Sobol' design (A, B and every AB_i), the
    /// trajectory of a Morris design, the point itself for the others.
    pub fn stream_run(&self, run: u64) -> u64 {
        let located = self.locate(run);
        if self.request.replications.is_some() {
            located.replication
        } else {
            located.point / self.block_points()
        }
    }

    /// Design points per block: the k + 2 rows of a Sobol' base point, the k + 1 points of a
    /// Morris trajectory, 1 otherwise. A block's first point (A's row, a trajectory's start)
    /// is independent of every other block's: the cases scenario discovery may use.
    pub fn block_points(&self) -> u64 {
        let inputs = self.uncertainties.len() as u64;
        match self.layout {
            Layout::Saltelli(_) => inputs + 2,
            Layout::Morris { .. } => inputs + 1,
            _ => 1,
        }
    }

    /// The Saltelli matrix and base point of design point `point` (Sobol' designs only), in
    /// SALib's order: for each base point, A, then AB_1 … AB_k, then B.
    pub fn saltelli_row(&self, point: u64) -> Option<(u64, SaltelliMatrix)> {
        let rows = self.uncertainties.len() as u64 + 2;
        match self.layout {
            Layout::Saltelli(_) => {
                let within = point % rows;
                let matrix = match within {
                    0 => SaltelliMatrix::A,
                    last if last == rows - 1 => SaltelliMatrix::B,
                    mixed => SaltelliMatrix::Mixed(mixed as usize - 1),
                };
                Some((point / rows, matrix))
            }
            _ => None,
        }
    }

    /// The unit-cube coordinates of design point `point`, one per uncertainty (Latin
    /// hypercube, Sobol' and Morris designs; a grid and Monte Carlo have none and write NaN).
    pub fn coordinates(&self, point: u64, scratch: &mut ExperimentScratch, out: &mut [f64]) {
        let point = self.points.map_or(point, |points| point % points.max(1));
        let inputs = self.uncertainties.len();
        match &self.layout {
            Layout::Latin(hypercube) => {
                for (input, value) in out.iter_mut().enumerate() {
                    *value = hypercube.coordinate(point as usize, input);
                }
            }
            Layout::Saltelli(design) => {
                let (base, matrix) = self.saltelli_row(point).unwrap_or((0, SaltelliMatrix::A));
                if scratch.base_index != Some(base) {
                    scratch.base.resize(2 * inputs, 0.0);
                    // Base points stay below 2^32 (the run limit is far lower), so the design
                    // cannot fail here; a failure leaves the coordinates at NaN.
                    if design.base_point(base, &mut scratch.base).is_err() {
                        scratch.base.fill(f64::NAN);
                    }
                    scratch.base_index = Some(base);
                }
                design.row_of(matrix, &scratch.base, out);
            }
            Layout::Morris { coordinates, .. } => {
                let start = point as usize * inputs;
                out.copy_from_slice(&coordinates[start..start + inputs]);
            }
            Layout::MonteCarlo { .. } | Layout::Grid { .. } => out.fill(f64::NAN),
        }
    }

    /// The values of the varied parameters at design point `point`, one per uncertainty.
    /// Points past the design's last wrap around to its start: only the unused lanes of a
    /// design's last group of runs ask for them, and their results are dropped.
    pub fn values(&self, point: u64, scratch: &mut ExperimentScratch, out: &mut [f64]) {
        let point = self.points.map_or(point, |points| point % points.max(1));
        let mut coordinates = std::mem::take(&mut scratch.coordinates);
        coordinates.resize(self.uncertainties.len(), 0.0);
        match &self.layout {
            Layout::MonteCarlo { purposes } => {
                for ((value, uncertainty), purpose) in
                    out.iter_mut().zip(&self.uncertainties).zip(purposes)
                {
                    let probability = rng::unit(&mut rng::stream(self.seed, point, *purpose));
                    *value = quantile(&uncertainty.marginal, probability);
                }
            }
            Layout::Grid { values } => {
                let mut rest = point;
                // The last sweep varies fastest, as in nested loops written in option order.
                for (value, choices) in out.iter_mut().zip(values).rev() {
                    let count = choices.len() as u64;
                    *value = choices[(rest % count) as usize];
                    rest /= count;
                }
            }
            Layout::Morris { levels, .. } => {
                self.coordinates(point, scratch, &mut coordinates);
                let grid = (*levels - 1) as f64;
                for ((value, uncertainty), coordinate) in
                    out.iter_mut().zip(&self.uncertainties).zip(&coordinates)
                {
                    let probability = ((coordinate * grid).round() + 0.5) / *levels as f64;
                    *value = quantile(&uncertainty.marginal, probability);
                }
            }
            Layout::Latin(_) | Layout::Saltelli(_) => {
                self.coordinates(point, scratch, &mut coordinates);
                for ((value, uncertainty), coordinate) in
                    out.iter_mut().zip(&self.uncertainties).zip(&coordinates)
                {
                    *value = quantile(&uncertainty.marginal, *coordinate);
                }
            }
        }
        scratch.coordinates = coordinates;
    }

    /// The Morris trajectory and step of design point `point` (Morris designs only), and
    /// the input that step moved (`None` for a trajectory's first point).
    pub fn morris_step(&self, point: u64) -> Option<(u64, usize)> {
        match self.layout {
            Layout::Morris { .. } => {
                let steps = self.uncertainties.len() as u64 + 1;
                Some((point / steps, (point % steps) as usize))
            }
            _ => None,
        }
    }

    /// Grid levels of a Morris design.
    pub fn morris_levels(&self) -> Option<usize> {
        match self.layout {
            Layout::Morris { levels, .. } => Some(levels),
            _ => None,
        }
    }
}

fn quantile(marginal: &Distribution, probability: f64) -> f64 {
    marginal.quantile(probability.clamp(PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR))
}

/// Whether `key` matches `pattern`, where `*` stands for any run of characters (dots
/// included) and `?` for one character.
pub fn glob_matches(pattern: &str, key: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let key: Vec<char> = key.chars().collect();
    // The classic two-pointer match with backtracking to the last star: linear in practice
    // and never exponential.
    let (mut p, mut k) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while k < key.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == key[k]) {
            p += 1;
            k += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, k));
            p += 1;
        } else if let Some((star_p, star_k)) = star {
            p = star_p + 1;
            k = star_k + 1;
            star = Some((star_p, star_k + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Campolongo, Cariboni and Saltelli's (2007) selection of `wanted` trajectories from a pool
/// of `pool`: those far apart from each other, so the few trajectories a Morris design can
/// afford explore the space. The distance of two trajectories is the sum over their pairs of
/// points of the Euclidean distance; the selection is greedy (as SALib's "local" option, after
/// Ruano et al. 2012): the farthest pair first, then each time the trajectory whose squared
/// distances to those chosen sum highest, which raises Campolongo's objective (the root of
/// the sum of squared pairwise distances) the most. Ties go to the lower index.
fn select_morris(
    inputs: usize,
    levels: usize,
    seed: u64,
    pool: u64,
    wanted: u64,
) -> Result<Vec<f64>, DesignError> {
    let steps = inputs + 1;
    let mut trajectories = Vec::with_capacity(pool as usize);
    for index in 0..pool {
        let points = morris_trajectory(inputs, levels, seed, index)?;
        trajectories.push(points.concat());
    }
    let selected: Vec<usize> = if pool == wanted {
        (0..pool as usize).collect()
    } else {
        let count = pool as usize;
        let mut distance = vec![0.0; count * count];
        for m in 0..count {
            for l in m + 1..count {
                let mut sum = 0.0;
                for i in 0..steps {
                    for j in 0..steps {
                        let a = &trajectories[m][i * inputs..(i + 1) * inputs];
                        let b = &trajectories[l][j * inputs..(j + 1) * inputs];
                        let squared: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                        sum += squared.sqrt();
                    }
                }
                distance[m * count + l] = sum;
                distance[l * count + m] = sum;
            }
        }
        let mut first = (0, 1);
        for m in 0..count {
            for l in m + 1..count {
                if distance[m * count + l] > distance[first.0 * count + first.1] {
                    first = (m, l);
                }
            }
        }
        let mut selected = vec![first.0, first.1];
        let mut gain: Vec<f64> = (0..count)
            .map(|m| distance[m * count + first.0].powi(2) + distance[m * count + first.1].powi(2))
            .collect();
        while selected.len() < wanted as usize {
            let best = (0..count)
                .filter(|m| !selected.contains(m))
                .fold(None, |best: Option<usize>, m| match best {
                    Some(b) if gain[b] >= gain[m] => Some(b),
                    _ => Some(m),
                })
                .unwrap_or(0);
            selected.push(best);
            for (m, gain) in gain.iter_mut().enumerate() {
                *gain += distance[m * count + best].powi(2);
            }
        }
        selected.sort_unstable();
        selected
    };
    Ok(selected
        .into_iter()
        .flat_map(|index| trajectories[index].iter().copied())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
[scenario]
name = "two"
start = "2020-01"
end = "2021-12"
seed = 5
channels = ["trade"]

[[actors]]
id = "A"
capacity = 1.0
growth = { dist = "uniform", low = 0.0, high = 0.1 }
position = 0.2
location = [0.0, 0.0]

[[actors]]
id = "B"
capacity = 2.0
growth = { dist = "normal", mean = 0.02, sd = 0.01, low = -0.5, high = 0.5 }
position = 0.4
location = [10.0, 10.0]

[[ties]]
from = "A"
to = "B"
channel = "trade"
weight = 0.5

[[outcomes]]
name = "capacity_a"
measure = "capacity"
actor = "A"
"#;

    fn scenario() -> Scenario {
        Scenario::from_toml(SCENARIO, "two.toml").expect("valid scenario")
    }

    fn request(method: Method, points: Option<u64>) -> ExperimentRequest {
        ExperimentRequest {
            method,
            points,
            ..ExperimentRequest::default()
        }
    }

    fn problems(request: &ExperimentRequest) -> Vec<ExperimentProblem> {
        Experiment::new(request, &scenario(), 1)
            .expect_err("the request is invalid")
            .0
    }

    #[test]
    fn globs_match_keys() {
        assert!(glob_matches("actors.*.growth", "actors.VEN.growth"));
        assert!(glob_matches("*", "rules.outreach.gap_scale"));
        assert!(glob_matches("actors.V?N.*", "actors.VEN.growth"));
        assert!(!glob_matches("actors.*.growth", "actors.VEN.position"));
        assert!(!glob_matches("rules.*", "actors.VEN.growth"));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn every_uncertain_parameter_is_varied_by_default() {
        let experiment =
            Experiment::new(&request(Method::Sobol, Some(8)), &scenario(), 1).expect("valid");
        let keys: Vec<&str> = experiment
            .uncertainties()
            .iter()
            .map(|uncertainty| uncertainty.key.as_str())
            .collect();
        assert_eq!(keys, ["actors.A.growth", "actors.B.growth"]);
        assert_eq!(experiment.points(), Some(8 * 4));
        assert_eq!(experiment.runs(), Some(32));
    }

    #[test]
    fn sobol_rows_follow_salib_order() {
        let experiment =
            Experiment::new(&request(Method::Sobol, Some(4)), &scenario(), 1).expect("valid");
        let rows: Vec<_> = (0..8)
            .map(|point| experiment.saltelli_row(point).expect("a Sobol' design"))
            .collect();
        assert_eq!(
            rows,
            [
                (0, SaltelliMatrix::A),
                (0, SaltelliMatrix::Mixed(0)),
                (0, SaltelliMatrix::Mixed(1)),
                (0, SaltelliMatrix::B),
                (1, SaltelliMatrix::A),
                (1, SaltelliMatrix::Mixed(0)),
                (1, SaltelliMatrix::Mixed(1)),
                (1, SaltelliMatrix::B),
            ]
        );
        // The runs of one base point share their noise; the next base point has its own.
        assert_eq!(experiment.stream_run(0), 0);
        assert_eq!(experiment.stream_run(3), 0);
        assert_eq!(experiment.stream_run(4), 1);
        // AB_1 takes input 0 from B and input 1 from A.
        let mut scratch = ExperimentScratch::default();
        let mut row = |point| {
            let mut out = [0.0; 2];
            experiment.values(point, &mut scratch, &mut out);
            out
        };
        let (a, mixed, b) = (row(0), row(1), row(3));
        assert_eq!(mixed, [b[0], a[1]]);
        // The uniform marginal of A's growth puts the values in [0, 0.1].
        assert!((0.0..=0.1).contains(&a[0]) && (0.0..=0.1).contains(&b[0]));
    }

    #[test]
    fn ranges_turn_fixed_numbers_into_uniform_uncertainties() {
        let mut asked = request(Method::LatinHypercube, Some(10));
        asked.params = vec!["actors.A.*".into()];
        asked.ranges = vec![RangeRequest {
            key: "actors.B.position".into(),
            low: 0.0,
            high: 1.0,
        }];
        let experiment = Experiment::new(&asked, &scenario(), 1).expect("valid");
        let keys: Vec<&str> = experiment
            .uncertainties()
            .iter()
            .map(|uncertainty| uncertainty.key.as_str())
            .collect();
        assert_eq!(keys, ["actors.A.growth", "actors.B.position"]);
        // Ten Latin hypercube points: one in each tenth of the position's range.
        let mut scratch = ExperimentScratch::default();
        let mut tenths: Vec<usize> = (0..10)
            .map(|point| {
                let mut out = [0.0; 2];
                experiment.values(point, &mut scratch, &mut out);
                (out[1] * 10.0) as usize
            })
            .collect();
        tenths.sort_unstable();
        assert_eq!(tenths, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn grids_take_every_combination_with_the_last_sweep_fastest() {
        let mut asked = request(Method::Grid, None);
        asked.sweeps = vec![
            SweepRequest {
                key: "actors.A.position".into(),
                values: vec![0.1, 0.2],
            },
            SweepRequest {
                key: "actors.B.growth".into(),
                values: vec![0.0, 0.5, 1.0],
            },
        ];
        asked.replications = Some(2);
        let experiment = Experiment::new(&asked, &scenario(), 1).expect("valid");
        assert_eq!(experiment.points(), Some(6));
        assert_eq!(experiment.runs(), Some(12));
        let mut scratch = ExperimentScratch::default();
        let values: Vec<[f64; 2]> = (0..6)
            .map(|point| {
                let mut out = [0.0; 2];
                experiment.values(point, &mut scratch, &mut out);
                out
            })
            .collect();
        assert_eq!(
            values,
            [
                [0.1, 0.0],
                [0.1, 0.5],
                [0.1, 1.0],
                [0.2, 0.0],
                [0.2, 0.5],
                [0.2, 1.0]
            ]
        );
        // Replications share their streams across points.
        assert_eq!(
            experiment.locate(5),
            Located {
                point: 2,
                replication: 1
            }
        );
        assert_eq!(experiment.stream_run(5), 1);
        assert_eq!(experiment.stream_run(7), 1);
    }

    #[test]
    fn runs_keep_their_own_streams_without_replications() {
        let experiment = Experiment::new(&request(Method::LatinHypercube, Some(4)), &scenario(), 1)
            .expect("valid");
        assert_eq!(experiment.stream_run(3), 3);
    }

    #[test]
    fn morris_points_move_one_input_per_step_and_stay_finite() {
        let mut asked = request(Method::Morris, Some(3));
        asked.morris_pool = Some(12);
        let experiment = Experiment::new(&asked, &scenario(), 4).expect("valid");
        assert_eq!(experiment.points(), Some(9));
        let mut scratch = ExperimentScratch::default();
        for trajectory in 0..3 {
            let mut previous = [0.0; 2];
            for step in 0..3 {
                let point = trajectory * 3 + step;
                assert_eq!(
                    experiment.morris_step(point),
                    Some((trajectory, step as usize))
                );
                let mut values = [0.0; 2];
                experiment.values(point, &mut scratch, &mut values);
                // B's growth is an unbounded normal: the grid's end levels map to finite values.
                assert!(values.iter().all(|value| value.is_finite()));
                if step > 0 {
                    let moved = values
                        .iter()
                        .zip(&previous)
                        .filter(|(now, before)| now != before)
                        .count();
                    assert_eq!(moved, 1, "trajectory {trajectory} step {step}");
                }
                previous = values;
            }
        }
    }

    #[test]
    fn campolongo_selection_spreads_trajectories_further_than_the_first_ones() {
        fn spread(coordinates: &[f64], inputs: usize, count: usize) -> f64 {
            let steps = inputs + 1;
            let size = steps * inputs;
            let mut total = 0.0;
            for m in 0..count {
                for l in m + 1..count {
                    let mut sum = 0.0;
                    for i in 0..steps {
                        for j in 0..steps {
                            let a = &coordinates[m * size + i * inputs..][..inputs];
                            let b = &coordinates[l * size + j * inputs..][..inputs];
                            sum += a
                                .iter()
                                .zip(b)
                                .map(|(x, y)| (x - y).powi(2))
                                .sum::<f64>()
                                .sqrt();
                        }
                    }
                    total += sum * sum;
                }
            }
            total.sqrt()
        }
        let chosen = select_morris(4, 4, 9, 40, 5).expect("valid levels");
        let first = select_morris(4, 4, 9, 5, 5).expect("valid levels");
        assert!(spread(&chosen, 4, 5) > spread(&first, 4, 5));
    }

    #[test]
    fn bad_requests_name_every_problem() {
        let mut asked = request(Method::Sobol, Some(6));
        asked.params = vec!["actors.A.grwth".into()];
        asked.ranges = vec![
            RangeRequest {
                key: "actors.A.growth".into(),
                low: 0.0,
                high: 1.0,
            },
            RangeRequest {
                key: "actors.B.position".into(),
                low: 1.0,
                high: 0.5,
            },
            RangeRequest {
                key: "actors.B.postion".into(),
                low: 0.0,
                high: 1.0,
            },
        ];
        let found = problems(&asked);
        assert!(found.contains(&ExperimentProblem::SobolPoints { points: 6 }));
        assert!(found.iter().any(|problem| matches!(
            problem,
            ExperimentProblem::PatternMatchesNothing { nearest, .. }
                if nearest.first().map(String::as_str) == Some("actors.A.growth")
        )));
        assert!(found.iter().any(|problem| matches!(
            problem,
            ExperimentProblem::RangeOnUncertain { key, .. } if key == "actors.A.growth"
        )));
        assert!(found.iter().any(|problem| matches!(
            problem,
            ExperimentProblem::RangeOrder { key, .. } if key == "actors.B.position"
        )));
        assert!(found.iter().any(|problem| matches!(
            problem,
            ExperimentProblem::UnknownKey { key, nearest }
                if key == "actors.B.postion" && nearest[0] == "actors.B.position"
        )));
        let message = ExperimentError(found).to_string();
        assert!(
            message.contains("nearest keys: `actors.B.position`"),
            "{message}"
        );
    }

    #[test]
    fn small_designs_are_refused_before_any_run() {
        assert_eq!(
            problems(&request(Method::Morris, Some(1))),
            [ExperimentProblem::MorrisTrajectories { points: 1 }]
        );
        assert_eq!(
            problems(&request(Method::Sobol, None)),
            [ExperimentProblem::MissingPoints { method: "sobol" }]
        );
        assert_eq!(
            problems(&request(Method::Grid, None)),
            [ExperimentProblem::GridWithoutSweep]
        );
        let mut zero = request(Method::LatinHypercube, Some(4));
        zero.replications = Some(0);
        assert_eq!(problems(&zero), [ExperimentProblem::NoReplications]);
    }
}
