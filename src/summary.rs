//! Summaries of batch results, as plain serialisable data: per outcome its moments, interval,
//! quantiles, histogram and probability; per outcome and month its envelope; per compared
//! outcome the paired difference, the change in probability, the Kolmogorov–Smirnov distance
//! and the variance the pairing saved. See `stats` for the methods and `sketch` for the error
//! of quantiles.

use serde::Serialize;

use crate::batch::{BatchResult, Checkpoint, EnvelopeSum, PairTotals, ScenarioTotals};
use crate::model::Model;
use crate::outcome::OutcomeKind;
use crate::scenario::OutcomeSpec;
use crate::sketch::{ENVELOPE_PRECISION_BITS, SUMMARY_PRECISION_BITS, Sketch, ZERO_THRESHOLD};
use crate::stats::{
    CONFIDENCE, Interval, Moments, kolmogorov_smirnov_p_value, student_t_quantile, wilson,
};

/// Bins of each outcome's histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// The quantiles reported for every outcome and, for envelopes, every month.
pub const QUANTILES: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("median", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
];

/// How accurate the approximate parts of a summary are.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Accuracy {
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Largest relative error of an outcome quantile (the sketch's half bucket width).
    pub quantile_relative_error: f64,
    /// Largest relative error of an envelope quantile.
    pub envelope_relative_error: f64,
    /// Magnitudes below this are read as 0 by quantiles.
    pub zero_threshold: f64,
}

impl Accuracy {
    /// The accuracy of this build's summaries (its confidence level and sketch precisions).
    pub fn current() -> Accuracy {
        Accuracy {
            confidence: CONFIDENCE,
            quantile_relative_error: 2f64.powi(-(SUMMARY_PRECISION_BITS as i32 + 1)),
            envelope_relative_error: 2f64.powi(-(ENVELOPE_PRECISION_BITS as i32 + 1)),
            zero_threshold: ZERO_THRESHOLD,
        }
    }
}

/// The five reported quantiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quantiles {
    /// The 5th percentile.
    pub p5: f64,
    /// The 25th percentile (first quartile).
    pub p25: f64,
    /// The 50th percentile.
    pub median: f64,
    /// The 75th percentile (third quartile).
    pub p75: f64,
    /// The 95th percentile.
    pub p95: f64,
}

impl Quantiles {
    /// The five quantiles read from a sketch (NaN for an empty one).
    pub fn of(sketch: &Sketch) -> Quantiles {
        let [p5, p25, median, p75, p95] = QUANTILES.map(|(_, q)| sketch.quantile(q));
        Quantiles {
            p5,
            p25,
            median,
            p75,
            p95,
        }
    }

    /// The five quantiles in the order of [`QUANTILES`].
    pub fn values(&self) -> [f64; 5] {
        [self.p5, self.p25, self.median, self.p75, self.p95]
    }
}

/// A probability with its Wilson interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Probability {
    /// Successes over trials (NaN without trials).
    pub value: f64,
    /// Runs in which it was yes (or happened).
    pub successes: u64,
    /// Runs counted.
    pub trials: u64,
    /// The Wilson score interval of the probability.
    pub interval: Interval,
}

impl Probability {
    /// An outcome's probability, if it has one (see `batch::probability_counts`).
    pub fn of(kind: OutcomeKind, moments: &Moments, ones: u64) -> Option<Probability> {
        crate::batch::probability_counts(kind, moments, ones)
            .map(|(successes, trials)| Probability::new(successes, trials))
    }

    /// The probability of `successes` in `trials`, with its Wilson interval.
    pub fn new(successes: u64, trials: u64) -> Probability {
        Probability {
            value: successes as f64 / trials as f64,
            successes,
            trials,
            interval: wilson(successes, trials),
        }
    }
}

/// The summary of one outcome over a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeSummary {
    /// The outcome's name.
    pub name: String,
    /// How its values are read.
    pub kind: OutcomeKind,
    /// Runs with a finite value.
    pub count: u64,
    /// Runs without one: for month outcomes, runs in which it never happened.
    pub missing: u64,
    /// The mean of the finite values (NaN if none).
    pub mean: f64,
    /// The sample standard deviation of the finite values (NaN below two).
    pub standard_deviation: f64,
    /// Confidence interval of the mean (Student's t).
    pub mean_interval: Interval,
    /// The smallest finite value (NaN if none).
    pub min: f64,
    /// The reported quantiles of the finite values (months rounded to whole months).
    pub quantiles: Quantiles,
    /// The largest finite value (NaN if none).
    pub max: f64,
    /// Counts of the finite values in [`HISTOGRAM_BINS`] equal bins from `min` to `max`.
    pub histogram: crate::sketch::Histogram,
    /// Flags: the probability of yes. Month outcomes: the probability that it happened.
    pub probability: Option<Probability>,
    /// The half-width a precision target is judged by (see `batch::judged_half_width`).
    pub judged_half_width: f64,
    /// The scenario's calibration target for this outcome, and whether it is met.
    pub target: Option<TargetCheck>,
}

/// A calibration target against a batch: is the median (for yes/no outcomes, the probability
/// of yes) inside the band?
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetCheck {
    /// Lower end of the target band.
    pub low: f64,
    /// Upper end of the target band.
    pub high: f64,
    /// Where the band comes from.
    pub source: String,
    /// "median" or "probability".
    pub statistic: &'static str,
    /// The batch's value of that statistic.
    pub value: f64,
    /// The value observed in the world, if the target states one.
    pub observed: Option<f64>,
    /// Whether the observed value lies within the batch's 5th to 95th percentiles (`None`
    /// without one).
    pub observed_in_band: Option<bool>,
    /// Whether the target is met: the statistic inside the band, and the observed value (if
    /// any) inside the 90% band.
    pub inside: bool,
}

impl OutcomeSummary {
    fn new(
        spec: &OutcomeSpec,
        kind: OutcomeKind,
        moments: &Moments,
        ones: u64,
        sketch: &Sketch,
    ) -> Self {
        let name = spec.name.as_str();
        let half = moments.half_width();
        let probability = Probability::of(kind, moments, ones);
        let mut quantiles = Quantiles::of(sketch);
        if kind == OutcomeKind::Month {
            // Months are whole numbers and a sketch bucket below 256 holds at most one of
            // them, so rounding reads such quantiles back exactly.
            for value in [
                &mut quantiles.p5,
                &mut quantiles.p25,
                &mut quantiles.median,
                &mut quantiles.p75,
                &mut quantiles.p95,
            ] {
                *value = value.round();
            }
        }
        let mean = moments.mean_or_nan();
        let (min, max) = (sketch.min(), sketch.max());
        OutcomeSummary {
            name: name.to_string(),
            kind,
            count: moments.count,
            missing: moments.missing,
            mean,
            standard_deviation: moments.standard_deviation(),
            mean_interval: Interval {
                low: mean - half,
                high: mean + half,
            },
            min,
            quantiles,
            max,
            histogram: sketch.histogram(HISTOGRAM_BINS),
            probability,
            judged_half_width: crate::batch::judged_half_width(kind, moments, ones),
            target: spec.target.as_ref().map(|target| {
                let (statistic, value) = match probability {
                    Some(probability) if kind == OutcomeKind::Flag => {
                        ("probability", probability.value)
                    }
                    _ => ("median", quantiles.median),
                };
                let observed_in_band = target
                    .observed
                    .map(|observed| (quantiles.p5..=quantiles.p95).contains(&observed));
                TargetCheck {
                    low: target.low,
                    high: target.high,
                    source: target.source.clone(),
                    statistic,
                    value,
                    observed: target.observed,
                    observed_in_band,
                    inside: (target.low..=target.high).contains(&value)
                        && observed_in_band.unwrap_or(true),
                }
            }),
        }
    }
}

/// One month of an outcome's envelope.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvelopeMonth {
    /// "YYYY-MM".
    pub month: String,
    /// Runs with a finite value that month.
    pub count: u64,
    /// The mean of those values.
    pub mean: f64,
    /// Their quantiles (to the envelope sketches' precision).
    pub quantiles: Quantiles,
}

/// The monthly measure of one outcome across runs: for flags and month outcomes the mean is
/// the share of runs in which the measure is 1 (the regime lasts) that month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Envelope {
    /// The outcome's name.
    pub outcome: String,
    /// Every month of the scenario, in order.
    pub months: Vec<EnvelopeMonth>,
}

/// What a sequential batch did to reach its precision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrecisionReport {
    /// The half-width asked for (`--precision`).
    pub target: f64,
    /// Whether every checked outcome reached it before the run limit.
    pub reached: bool,
    /// Each precision check, in order.
    pub checkpoints: Vec<Checkpoint>,
}

/// The summary of a batch of one scenario: what `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioSummary {
    /// The scenario's name.
    pub scenario: String,
    /// The first month simulated, "YYYY-MM".
    pub start: String,
    /// The last month simulated, "YYYY-MM".
    pub end: String,
    /// The batch's seed.
    pub seed: u64,
    /// Runs done.
    pub runs: u64,
    /// Non-finite numbers produced and replaced over all runs (0 in a healthy model).
    pub non_finite: u64,
    /// How accurate the approximate parts are.
    pub accuracy: Accuracy,
    /// For a batch run to a precision target, how it went; `None` for a fixed run count.
    pub precision: Option<PrecisionReport>,
    /// Every outcome's summary, in the scenario's order.
    pub outcomes: Vec<OutcomeSummary>,
    /// How many runs the envelopes come from: the first `batch::ENVELOPE_RUNS` (or all, in a
    /// smaller batch); 0 without envelopes.
    pub envelope_runs: u64,
    /// Every outcome's monthly envelope (empty without envelopes).
    pub envelopes: Vec<Envelope>,
}

impl ScenarioSummary {
    /// Summarises scenario `index` of a batch result.
    pub fn new(
        model: &Model,
        seed: u64,
        result: &BatchResult,
        index: usize,
        precision_target: Option<f64>,
    ) -> ScenarioSummary {
        let scenario = model.scenario();
        let totals = &result.scenarios[index];
        let outcomes = scenario
            .outcomes()
            .iter()
            .enumerate()
            .map(|(outcome, spec)| {
                OutcomeSummary::new(
                    spec,
                    OutcomeKind::of(spec),
                    &totals.moments[outcome],
                    totals.ones[outcome],
                    &totals.sketches[outcome],
                )
            })
            .collect();
        ScenarioSummary {
            scenario: scenario.name().to_string(),
            start: scenario.start().to_string(),
            end: scenario.end().to_string(),
            seed,
            runs: result.runs,
            non_finite: totals.non_finite,
            accuracy: Accuracy::current(),
            precision: precision_target.map(|target| PrecisionReport {
                target,
                reached: result.precision_reached.unwrap_or(false),
                checkpoints: result.checkpoints.clone(),
            }),
            outcomes,
            envelope_runs: if totals.envelope_sums.is_empty() {
                0
            } else {
                result.runs.min(crate::batch::ENVELOPE_RUNS)
            },
            envelopes: envelopes(model, totals),
        }
    }
}

fn envelopes(model: &Model, totals: &ScenarioTotals) -> Vec<Envelope> {
    let scenario = model.scenario();
    let outcome_count = scenario.outcomes().len();
    if totals.envelope_sums.is_empty() {
        return Vec::new();
    }
    // Outcomes with the same monthly measure share their source's cells.
    let sources = crate::outcome::measure_sources(model);
    scenario
        .outcomes()
        .iter()
        .enumerate()
        .map(|(outcome, spec)| Envelope {
            outcome: spec.name.clone(),
            months: (0..model.months())
                .map(|month| {
                    let cell = month * outcome_count + sources[outcome];
                    let EnvelopeSum { sum, count } = totals.envelope_sums[cell];
                    EnvelopeMonth {
                        month: scenario.start().plus(month as i32).to_string(),
                        count,
                        mean: sum.value() / count as f64,
                        quantiles: Quantiles::of(&totals.envelope_sketches[cell]),
                    }
                })
                .collect(),
        })
        .collect()
}

/// One scenario's side of a compared outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparedSide {
    /// The scenario's name.
    pub scenario: String,
    /// Runs with a finite value.
    pub count: u64,
    /// The mean of the finite values (NaN if none).
    pub mean: f64,
    /// The median of the finite values.
    pub median: f64,
    /// For flags and month outcomes, the probability of yes (or that it happened).
    pub probability: Option<Probability>,
}

/// Scenario k against the first on one outcome, run by run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairedDifference {
    /// The name of scenario k, the B of the difference B − A (A being the first scenario).
    pub scenario: String,
    /// Pairs in which both values are finite.
    pub pairs: u64,
    /// The mean of the run-by-run differences, B − A.
    pub mean_difference: f64,
    /// Confidence interval of the mean paired difference (Student's t).
    pub interval: Interval,
    /// Flags: change in the probability of yes; month outcomes: in the probability that it
    /// happened (Newcombe's paired interval).
    pub probability_change: Option<ProbabilityChange>,
    /// Two-sample Kolmogorov–Smirnov distance between the two outcome distributions and its
    /// asymptotic p-value, which assumes independent samples: paired runs are positively
    /// correlated, which makes it conservative.
    pub ks_distance: f64,
    /// The asymptotic p-value of `ks_distance`.
    pub ks_p_value: f64,
    /// Half-width of the difference's interval with pairing (that of `interval`).
    pub paired_half_width: f64,
    /// Half-width the difference's interval would have for two independent samples of the
    /// same sizes (Welch).
    pub unpaired_half_width: f64,
    /// 1 − Var(B − A) / (Var(A) + Var(B)): the share of variance common random numbers removed.
    pub variance_reduction: f64,
}

/// A change in probability with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ProbabilityChange {
    /// The change, B minus A, in [-1, 1].
    pub value: f64,
    /// Newcombe's confidence interval of the paired change.
    pub interval: Interval,
}

/// One outcome compared across scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeComparison {
    /// The outcome's name.
    pub name: String,
    /// How its values are read.
    pub kind: OutcomeKind,
    /// Each scenario's summary of the outcome, the first scenario first.
    pub sides: Vec<ComparedSide>,
    /// Each later scenario against the first, in the order given.
    pub differences: Vec<PairedDifference>,
}

/// The result of `entente compare`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonSummary {
    /// The scenarios' names, the baseline first.
    pub scenarios: Vec<String>,
    /// The batch's seed.
    pub seed: u64,
    /// Runs per scenario.
    pub runs: u64,
    /// How accurate the approximate parts are.
    pub accuracy: Accuracy,
    /// The outcomes every scenario shares, in the first scenario's order.
    pub outcomes: Vec<OutcomeComparison>,
    /// Outcomes of the first scenario that some other scenario lacks (not compared).
    pub unmatched: Vec<String>,
}

impl ComparisonSummary {
    /// Summarises a comparison's batch result; `models` in the order they were run, the
    /// baseline first.
    pub fn new(models: &[Model], seed: u64, result: &BatchResult) -> ComparisonSummary {
        let first = models[0].scenario();
        let names: Vec<String> = models
            .iter()
            .map(|model| model.scenario().name().to_string())
            .collect();
        let mut outcomes = Vec::new();
        let mut unmatched = Vec::new();
        for (outcome, spec) in first.outcomes().iter().enumerate() {
            let positions: Option<Vec<(usize, usize)>> = result
                .pairs
                .iter()
                .map(|pair| {
                    pair.outcomes
                        .iter()
                        .position(|&(left, _)| left == outcome)
                        .map(|slot| (slot, pair.outcomes[slot].1))
                })
                .collect();
            let Some(positions) = positions else {
                unmatched.push(spec.name.clone());
                continue;
            };
            let kind = OutcomeKind::of(spec);
            let mut sides = vec![side(&names[0], kind, &result.scenarios[0], outcome)];
            let mut differences = Vec::new();
            for (pair_index, &(slot, other_outcome)) in positions.iter().enumerate() {
                let totals = &result.scenarios[pair_index + 1];
                sides.push(side(&names[pair_index + 1], kind, totals, other_outcome));
                differences.push(paired(
                    &names[pair_index + 1],
                    kind,
                    (&result.scenarios[0], outcome),
                    (totals, other_outcome),
                    &result.pairs[pair_index],
                    slot,
                ));
            }
            outcomes.push(OutcomeComparison {
                name: spec.name.clone(),
                kind,
                sides,
                differences,
            });
        }
        ComparisonSummary {
            scenarios: names,
            seed,
            runs: result.runs,
            accuracy: Accuracy::current(),
            outcomes,
            unmatched,
        }
    }
}

fn side(name: &str, kind: OutcomeKind, totals: &ScenarioTotals, outcome: usize) -> ComparedSide {
    let moments = &totals.moments[outcome];
    ComparedSide {
        scenario: name.to_string(),
        count: moments.count,
        mean: moments.mean_or_nan(),
        median: totals.sketches[outcome].quantile(0.5),
        probability: Probability::of(kind, moments, totals.ones[outcome]),
    }
}

fn paired(
    name: &str,
    kind: OutcomeKind,
    (first, first_outcome): (&ScenarioTotals, usize),
    (other, other_outcome): (&ScenarioTotals, usize),
    pair: &PairTotals,
    slot: usize,
) -> PairedDifference {
    let difference = &pair.differences[slot];
    let paired_half_width = difference.half_width();
    let (a, b) = (&first.moments[first_outcome], &other.moments[other_outcome]);
    let unpaired_half_width = welch_half_width(a, b);
    let mean = difference.mean_or_nan();
    let ks_distance =
        first.sketches[first_outcome].kolmogorov_smirnov_distance(&other.sketches[other_outcome]);
    PairedDifference {
        scenario: name.to_string(),
        pairs: difference.count,
        mean_difference: mean,
        interval: Interval {
            low: mean - paired_half_width,
            high: mean + paired_half_width,
        },
        probability_change: match kind {
            OutcomeKind::Number => None,
            _ => Some(ProbabilityChange {
                value: pair.flags[slot].difference(),
                interval: pair.flags[slot].difference_interval(),
            }),
        },
        ks_distance,
        ks_p_value: kolmogorov_smirnov_p_value(ks_distance, a.count, b.count),
        paired_half_width,
        unpaired_half_width,
        variance_reduction: 1.0 - difference.variance() / (a.variance() + b.variance()),
    }
}

/// Half-width of the interval of a difference of means of two independent samples, with the
/// Welch–Satterthwaite degrees of freedom.
fn welch_half_width(a: &Moments, b: &Moments) -> f64 {
    if a.count < 2 || b.count < 2 {
        return f64::NAN;
    }
    let (va, vb) = (a.variance() / a.count as f64, b.variance() / b.count as f64);
    let total = va + vb;
    if total == 0.0 {
        return 0.0;
    }
    let degrees = total * total / (va * va / (a.count - 1) as f64 + vb * vb / (b.count - 1) as f64);
    student_t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, degrees.round().max(1.0)) * total.sqrt()
}

/// Each scenario's summary of a batch result, and the comparison when there are several
/// (`models` in the order run, the baseline first).
pub fn summarise(
    models: &[crate::model::Model],
    seed: u64,
    result: &crate::batch::BatchResult,
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
