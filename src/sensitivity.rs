//! Global sensitivity indices from model evaluations: Sobol' first-order and total-effect
//! indices (variance-based) and Morris elementary effects (screening), each with a bootstrap
//! interval. The first part of the exploratory-modelling issue (15): the estimators, written and
//! tested against known answers before the designs and commands that will feed them.
//!
//! Methods, with where they come from:
//! - **Design.** Saltelli et al. (2010), "Variance based sensitivity analysis of model output":
//!   two independent N × k matrices of inputs, A and B, and for each input i the matrix AB_i,
//!   A with column i taken from B; N·(k + 2) evaluations.
//! - **First-order index.** Saltelli et al. (2010), table 2 (b):
//!   S_i = (1/N) Σ_j (f(B)_j − ȳ) (f(AB_i)_j − f(A)_j) / V, with ȳ the mean of every
//!   evaluation: centring changes nothing in expectation, lowers the variance, and is what
//!   SALib does (it standardises the output first).
//! - **Total-effect index.** Jansen (1999): S_Ti = (1/2N) Σ_j (f(A)_j − f(AB_i)_j)² / V.
//! - **Variance.** V is the population variance of the 2N values f(A) and f(B). Both choices
//!   are SALib's (`sobol.analyze`), so the two agree to rounding on the same numbers.
//! - **Morris.** Morris (1991) elementary effects along trajectories (each point differs from
//!   the previous one in one input); μ is their mean, μ* the mean of their absolute values
//!   (Campolongo, Cariboni and Saltelli 2007), σ their standard deviation (n − 1).
//! - **Intervals.** The bootstrap (Efron 1979): resamples ([`BOOTSTRAP_RESAMPLES`] unless the
//!   caller asks for another number) of the N rows
//!   (or of the trajectories) with replacement, drawn from a seeded stream, and the estimate
//!   ± z₀.₉₇₅ times the standard deviation of the resampled estimates, as SALib reports them.

use rand::RngExt;

use crate::rng::{self, Purpose};
use crate::stats::{CONFIDENCE, Interval, normal_quantile};

/// Bootstrap resamples behind every interval: the interval's half-width is then known to
/// about 2% (the standard error of a standard deviation from 1,000 values).
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// A bootstrap resample whose variance is below this fraction of the full sample's is taken
/// to have none: the difference of two nearly equal sums there is rounding, and dividing by
/// it would give an arbitrary huge estimate.
const MIN_RESAMPLED_VARIANCE: f64 = 1e-9;

/// One input's Sobol' indices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SobolIndex {
    /// The first-order index: the share of the output's variance due to the input alone.
    pub first: f64,
    /// The bootstrap confidence interval of the first-order index.
    pub first_interval: Interval,
    /// The total index: the share due to the input with all its interactions.
    pub total: f64,
    /// The bootstrap confidence interval of the total index.
    pub total_interval: Interval,
}

impl SobolIndex {
    /// Whether neither interval is wider than the index it bounds: wider, an index cannot be
    /// told from 0 (or from its neighbours) at this sample size. An index of exactly 0 with an
    /// interval of no width (an input the output does not depend on) is resolved.
    pub fn resolved(&self) -> bool {
        let width = |interval: &Interval| interval.high - interval.low;
        width(&self.first_interval) <= self.first.abs()
            && width(&self.total_interval) <= self.total.abs()
    }

    /// Base points N that would make both intervals no wider than their indices, from the
    /// current `base` points (intervals narrow as 1/√N), or `None` where an index is 0.
    pub fn base_points_to_resolve(&self, base: usize) -> Option<usize> {
        let factor = |index: f64, interval: &Interval| {
            let width = interval.high - interval.low;
            (index != 0.0 && width.is_finite()).then(|| (width / index.abs()).powi(2))
        };
        let factor = factor(self.first, &self.first_interval)?
            .max(factor(self.total, &self.total_interval)?);
        let points = (base as f64) * factor.max(1.0);
        (points < usize::MAX as f64).then(|| points.ceil() as usize)
    }
}

/// The evaluations of a Saltelli design for one output: `a[j]` = f(A_j), `b[j]` = f(B_j) and
/// `ab[i][j]` = f(AB_i,j), for N rows and k inputs.
#[derive(Clone, Copy, Debug)]
pub struct SaltelliOutputs<'a> {
    /// The output at each row of matrix A.
    pub a: &'a [f64],
    /// The output at each row of matrix B.
    pub b: &'a [f64],
    /// Per input i, the output at each row of AB_i (A with column i taken from B).
    pub ab: &'a [Vec<f64>],
}

/// Errors in the evaluations handed to an estimator.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SensitivityError {
    /// Too few rows (base points or trajectories) to estimate anything.
    #[error("the design has {rows} rows; at least {least} are needed")]
    TooFewRows {
        /// Rows given.
        rows: usize,
        /// The fewest needed.
        least: usize,
    },
    /// A list of evaluations of the wrong length.
    #[error("{what} has {found} values where {expected} were expected")]
    Mismatch {
        /// Which list, such as "f(B)".
        what: &'static str,
        /// Its length.
        found: usize,
        /// The length it should have.
        expected: usize,
    },
    /// The output takes one value throughout, so every index would divide by zero.
    #[error("the output has no variance over the design: every index is undefined")]
    NoVariance,
    /// An evaluation is NaN or infinite.
    #[error("a value of the output is not finite (NaN or infinite): drop or replace such runs")]
    NotFinite,
}

/// The mean of every evaluation (f(A), f(B) and every f(AB_i)): SALib centres the output on
/// it before estimating, which changes the first-order estimate (not the total) and lowers its
/// variance; entente does the same so that both give the same numbers.
fn grand_mean(outputs: &SaltelliOutputs<'_>) -> f64 {
    let count = outputs.a.len() * (outputs.ab.len() + 2);
    let sum: f64 = outputs.a.iter().sum::<f64>()
        + outputs.b.iter().sum::<f64>()
        + outputs.ab.iter().flatten().sum::<f64>();
    sum / count as f64
}

/// The (first, total) indices of every input from every row of the evaluations.
fn sobol_point_estimates(outputs: &SaltelliOutputs<'_>, centre: f64) -> Vec<(f64, f64)> {
    let n = outputs.a.len() as f64;
    let mean = (outputs.a.iter().sum::<f64>() + outputs.b.iter().sum::<f64>()) / (2.0 * n);
    let variance = outputs
        .a
        .iter()
        .chain(outputs.b)
        .map(|value| (value - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    outputs
        .ab
        .iter()
        .map(|ab| {
            let (mut first, mut total) = (0.0, 0.0);
            for ((a, b), ab) in outputs.a.iter().zip(outputs.b).zip(ab) {
                first += (b - centre) * (ab - a);
                total += (a - ab).powi(2);
            }
            (first / n / variance, total / (2.0 * n) / variance)
        })
        .collect()
}

/// Rows of the bootstrap's sums taken at a time: a block of every term of 30 inputs (62 ×
/// 256 doubles, 127 KB) stays in a core's second-level cache while the resamples pass over it.
const BLOCK_ROWS: usize = 256;

/// Partial sums of [`weighted_sum`]: eight, so that two 4-lane vector registers accumulate
/// at once and the additions' latency is hidden.
const PARTIAL_SUMS: usize = 8;

/// Σ weights·values, with [`PARTIAL_SUMS`] partial sums in a fixed order: the same bits on
/// every instruction set (no fused multiply-add), whichever one the compiler vectorises for.
#[inline(always)]
fn weighted_sum_inline(weights: &[u8], values: &[f64]) -> f64 {
    let mut partial = [0.0; PARTIAL_SUMS];
    let mut weight_chunks = weights.chunks_exact(PARTIAL_SUMS);
    let mut value_chunks = values.chunks_exact(PARTIAL_SUMS);
    for (w, v) in (&mut weight_chunks).zip(&mut value_chunks) {
        for lane in 0..PARTIAL_SUMS {
            partial[lane] += f64::from(w[lane]) * v[lane];
        }
    }
    let tail: f64 = weight_chunks
        .remainder()
        .iter()
        .zip(value_chunks.remainder())
        .map(|(w, v)| f64::from(*w) * v)
        .sum();
    let quarters = [
        partial[0] + partial[4],
        partial[1] + partial[5],
        partial[2] + partial[6],
        partial[3] + partial[7],
    ];
    (quarters[0] + quarters[1]) + (quarters[2] + quarters[3]) + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn weighted_sum_avx2(weights: &[u8], values: &[f64]) -> f64 {
    weighted_sum_inline(weights, values)
}

/// Σ weights·values, on AVX2 where the model's steps use it (same bits either way, tested).
fn weighted_sum(weights: &[u8], values: &[f64], avx2: bool) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is true only where the processor has AVX2 (see `Resamples::new`).
        return unsafe { weighted_sum_avx2(weights, values) };
    }
    let _ = avx2;
    weighted_sum_inline(weights, values)
}

/// The bootstrap resamples of N rows: how many times each resample drew each row, drawn once
/// from the seed's stream and shared by every output of a design (all of whose estimators
/// resample the same base points).
#[derive(Clone, Debug)]
pub struct Resamples {
    rows: usize,
    /// `counts[resample * rows + row]`: one byte each, since a row drawn more than 255 times
    /// in N draws has a probability below 10^-500 (the count saturates if it ever happens).
    /// At 10^7 runs of a 30-input design, 200 resamples of its 312,500 base points take 62 MB.
    counts: Vec<u8>,
    avx2: bool,
}

impl Resamples {
    /// Draws `resamples` bootstrap resamples of `rows` rows from `seed`'s stream
    /// `bootstrap:sobol`.
    pub fn new(rows: usize, resamples: usize, seed: u64) -> Resamples {
        let mut stream = rng::stream(seed, 0, Purpose::named("bootstrap:sobol"));
        let mut counts = vec![0u8; rows * resamples];
        for resample in counts.chunks_exact_mut(rows.max(1)) {
            for _ in 0..rows {
                let count = &mut resample[stream.random_range(0..rows)];
                *count = count.saturating_add(1);
            }
        }
        Resamples {
            rows,
            counts,
            avx2: crate::model::InstructionSet::preferred() == crate::model::InstructionSet::Avx2,
        }
    }

    /// The number of rows each resample draws from (and draws).
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn each(&self) -> impl Iterator<Item = &[u8]> {
        self.counts.chunks_exact(self.rows.max(1))
    }
}

/// Sobol' first-order and total indices of every input, with intervals from `resamples`
/// bootstrap resamples drawn from `seed`. Deterministic: the same evaluations and seed give
/// the same bits.
///
/// A resample is kept as the number of times it drew each row, and its sums as weighted sums
/// of per-row terms computed once (f(B)(f(AB_i) − f(A)), (f(A) − f(AB_i))², and the centred
/// f(A), f(B) and their squares): the same resampled estimates as recomputing from the drawn
/// rows, in a fraction of the time.
pub fn sobol_indices(
    outputs: &SaltelliOutputs<'_>,
    seed: u64,
    resamples: usize,
) -> Result<Vec<SobolIndex>, SensitivityError> {
    sobol_indices_resampled(outputs, &Resamples::new(outputs.a.len(), resamples, seed))
}

/// [`sobol_indices`] with resamples drawn beforehand (and shared between outputs).
pub fn sobol_indices_resampled(
    outputs: &SaltelliOutputs<'_>,
    resamples: &Resamples,
) -> Result<Vec<SobolIndex>, SensitivityError> {
    let rows = outputs.a.len();
    if rows < 2 {
        return Err(SensitivityError::TooFewRows { rows, least: 2 });
    }
    let check = |what, found: usize| {
        if found == rows {
            Ok(())
        } else {
            Err(SensitivityError::Mismatch {
                what,
                found,
                expected: rows,
            })
        }
    };
    check("f(B)", outputs.b.len())?;
    check("a resample", resamples.rows())?;
    for ab in outputs.ab {
        check("an f(AB_i)", ab.len())?;
    }
    let all = outputs
        .a
        .iter()
        .chain(outputs.b)
        .chain(outputs.ab.iter().flatten());
    if all.clone().any(|value| !value.is_finite()) {
        return Err(SensitivityError::NotFinite);
    }
    let centre = grand_mean(outputs);
    let full_variance = {
        let n = rows as f64;
        let mean = (outputs.a.iter().sum::<f64>() + outputs.b.iter().sum::<f64>()) / (2.0 * n);
        outputs
            .a
            .iter()
            .chain(outputs.b)
            .map(|value| (value - mean).powi(2))
            .sum::<f64>()
            / (2.0 * n)
    };
    let estimates = sobol_point_estimates(outputs, centre);
    if estimates
        .iter()
        .any(|(first, total)| !first.is_finite() || !total.is_finite())
    {
        return Err(SensitivityError::NoVariance);
    }
    let centred = |values: &[f64]| values.iter().map(|v| v - centre).collect::<Vec<f64>>();
    let (a, b) = (centred(outputs.a), centred(outputs.b));
    let sums: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    let squares: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a * a + b * b).collect();
    let first_terms: Vec<Vec<f64>> = outputs
        .ab
        .iter()
        .map(|ab| {
            (0..rows)
                .map(|row| b[row] * (ab[row] - outputs.a[row]))
                .collect()
        })
        .collect();
    let total_terms: Vec<Vec<f64>> = outputs
        .ab
        .iter()
        .map(|ab| {
            (0..rows)
                .map(|row| (outputs.a[row] - ab[row]).powi(2))
                .collect()
        })
        .collect();
    let inputs = outputs.ab.len();
    let count = resamples.counts.len() / rows;
    let mut firsts = vec![Vec::with_capacity(count); inputs];
    let mut totals = vec![Vec::with_capacity(count); inputs];
    let n = rows as f64;
    let avx2 = resamples.avx2;
    // Every resample's sum of every term: sums[resample * terms + term], terms being the
    // centred f(A) + f(B), their squares, then each input's first-order and total terms.
    // Rows are taken in blocks so that a block of every term stays in the cache while each
    // resample's counts pass over it (all terms for all rows would not fit).
    let terms: Vec<&[f64]> = [sums.as_slice(), squares.as_slice()]
        .into_iter()
        .chain(first_terms.iter().map(Vec::as_slice))
        .chain(total_terms.iter().map(Vec::as_slice))
        .collect();
    let mut resampled = vec![0.0; count * terms.len()];
    for start in (0..rows).step_by(BLOCK_ROWS) {
        let end = (start + BLOCK_ROWS).min(rows);
        for (counts, totals) in resamples
            .each()
            .zip(resampled.chunks_exact_mut(terms.len()))
        {
            let counts = &counts[start..end];
            for (total, term) in totals.iter_mut().zip(&terms) {
                *total += weighted_sum(counts, &term[start..end], avx2);
            }
        }
    }
    for totals_of_resample in resampled.chunks_exact(terms.len()) {
        let mean = totals_of_resample[0] / (2.0 * n);
        let mut variance = totals_of_resample[1] / (2.0 * n) - mean * mean;
        // A resample that drew (nearly) only equal values has no variance to apportion; its
        // estimates are left out, as a resample of constant rows would be.
        if variance <= MIN_RESAMPLED_VARIANCE * full_variance {
            variance = f64::NAN;
        }
        for input in 0..inputs {
            firsts[input].push(totals_of_resample[2 + input] / n / variance);
            totals[input].push(totals_of_resample[2 + inputs + input] / (2.0 * n) / variance);
        }
    }
    Ok(estimates
        .into_iter()
        .enumerate()
        .map(|(input, (first, total))| SobolIndex {
            first,
            first_interval: bootstrap_interval(first, &firsts[input]),
            total,
            total_interval: bootstrap_interval(total, &totals[input]),
        })
        .collect())
}

/// The estimate ± z·(standard deviation of the resampled estimates); resamples whose estimate
/// is not finite (a resample with no variance) are left out.
fn bootstrap_interval(estimate: f64, resampled: &[f64]) -> Interval {
    let finite: Vec<f64> = resampled
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let count = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / count;
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1.0);
    let half = normal_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0) * variance.sqrt();
    Interval {
        low: estimate - half,
        high: estimate + half,
    }
}

/// One input's Morris measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MorrisIndex {
    /// μ: the mean of the input's elementary effects.
    pub mu: f64,
    /// The bootstrap confidence interval of μ.
    pub mu_interval: Interval,
    /// μ*: the mean of the effects' absolute values, the input's overall influence.
    pub mu_star: f64,
    /// The bootstrap confidence interval of μ*.
    pub mu_star_interval: Interval,
    /// σ: the effects' standard deviation (n − 1), a sign of nonlinearity or interactions.
    pub sigma: f64,
    /// The bootstrap confidence interval of σ.
    pub sigma_interval: Interval,
}

/// μ, μ* and σ (n − 1) of one input's elementary effects.
fn morris_measures(effects: &[f64]) -> (f64, f64, f64) {
    let count = effects.len() as f64;
    let mu = effects.iter().sum::<f64>() / count;
    let mu_star = effects.iter().map(|e| e.abs()).sum::<f64>() / count;
    let sigma = (effects.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (count - 1.0)).sqrt();
    (mu, mu_star, sigma)
}

/// The elementary effects of one trajectory: `points` are k + 1 input vectors of k inputs
/// each, every one differing from the previous in exactly one input, and `outputs` the model's
/// value at each. Returns (input, effect) for each step: (y₊ − y)/(x₊ − x) in that input.
pub fn elementary_effects(
    points: &[Vec<f64>],
    outputs: &[f64],
) -> Result<Vec<(usize, f64)>, SensitivityError> {
    if points.len() != outputs.len() {
        return Err(SensitivityError::Mismatch {
            what: "the trajectory's outputs",
            found: outputs.len(),
            expected: points.len(),
        });
    }
    let mut effects = Vec::with_capacity(points.len().saturating_sub(1));
    for step in 1..points.len() {
        let (before, after) = (&points[step - 1], &points[step]);
        let changed: Vec<usize> = (0..before.len())
            .filter(|&input| before[input] != after[input])
            .collect();
        let [input] = changed[..] else {
            return Err(SensitivityError::Mismatch {
                what: "the inputs changed in one step of a trajectory",
                found: changed.len(),
                expected: 1,
            });
        };
        let effect = (outputs[step] - outputs[step - 1]) / (after[input] - before[input]);
        if !effect.is_finite() {
            return Err(SensitivityError::NotFinite);
        }
        effects.push((input, effect));
    }
    Ok(effects)
}

/// Morris μ, μ* (with a bootstrap interval over trajectories, from `seed`) and σ of `inputs`
/// inputs, from each trajectory's elementary effects (as [`elementary_effects`] gives them).
pub fn morris_indices(
    trajectories: &[Vec<(usize, f64)>],
    inputs: usize,
    seed: u64,
) -> Result<Vec<MorrisIndex>, SensitivityError> {
    if trajectories.len() < 2 {
        return Err(SensitivityError::TooFewRows {
            rows: trajectories.len(),
            least: 2,
        });
    }
    let measures = |chosen: &mut dyn Iterator<Item = usize>| {
        let mut effects = vec![Vec::new(); inputs];
        for trajectory in chosen {
            for &(input, effect) in &trajectories[trajectory] {
                effects[input].push(effect);
            }
        }
        effects
    };
    let all = measures(&mut (0..trajectories.len()));
    let mut stream = rng::stream(seed, 0, Purpose::named("bootstrap:morris"));
    let mut resampled = vec![[const { Vec::new() }; 3]; inputs];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        let picks: Vec<usize> = (0..trajectories.len())
            .map(|_| stream.random_range(0..trajectories.len()))
            .collect();
        for (input, effects) in measures(&mut picks.into_iter()).iter().enumerate() {
            let (mu, mu_star, sigma) = morris_measures(effects);
            resampled[input][0].push(mu);
            resampled[input][1].push(mu_star);
            resampled[input][2].push(sigma);
        }
    }
    Ok(all
        .iter()
        .enumerate()
        .map(|(input, effects)| {
            let (mu, mu_star, sigma) = morris_measures(effects);
            MorrisIndex {
                mu,
                mu_interval: bootstrap_interval(mu, &resampled[input][0]),
                mu_star,
                mu_star_interval: bootstrap_interval(mu_star, &resampled[input][1]),
                sigma,
                sigma_interval: bootstrap_interval(sigma, &resampled[input][2]),
            }
        })
        .collect())
}

/// Test functions with known indices, shared by the estimators' and the designs' tests.
#[cfg(test)]
pub(crate) mod known {
    /// The Ishigami function (a = 7, b = 0.1) of three inputs on [−π, π].
    pub(crate) fn ishigami(x: &[f64]) -> f64 {
        let (a, b) = (7.0, 0.1);
        x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
    }

    /// Its first-order and total indices (Saltelli et al. 2008, §2.9).
    pub(crate) const ISHIGAMI_FIRST: [f64; 3] = [0.3139, 0.4424, 0.0];
    pub(crate) const ISHIGAMI_TOTAL: [f64; 3] = [0.5576, 0.4424, 0.2437];

    /// Sobol' indices of evaluations given as three arrays.
    pub(crate) fn indices(
        a: &[f64],
        b: &[f64],
        ab: &[Vec<f64>],
        seed: u64,
    ) -> Vec<super::SobolIndex> {
        super::sobol_indices(
            &super::SaltelliOutputs { a, b, ab },
            seed,
            super::BOOTSTRAP_RESAMPLES,
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::known::{ISHIGAMI_FIRST, ISHIGAMI_TOTAL, ishigami};
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A Saltelli design of `n` rows over `k` inputs uniform on [low, high], evaluated by `f`.
    fn saltelli(
        n: usize,
        k: usize,
        low: f64,
        high: f64,
        f: impl Fn(&[f64]) -> f64,
    ) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let mut random = ChaCha8Rng::seed_from_u64(2010);
        let mut draw = || -> Vec<f64> {
            (0..k)
                .map(|_| low + (high - low) * random.random::<f64>())
                .collect()
        };
        let a_rows: Vec<Vec<f64>> = (0..n).map(|_| draw()).collect();
        let b_rows: Vec<Vec<f64>> = (0..n).map(|_| draw()).collect();
        let a = a_rows.iter().map(|row| f(row)).collect();
        let b = b_rows.iter().map(|row| f(row)).collect();
        let ab = (0..k)
            .map(|input| {
                a_rows
                    .iter()
                    .zip(&b_rows)
                    .map(|(a_row, b_row)| {
                        let mut row = a_row.clone();
                        row[input] = b_row[input];
                        f(&row)
                    })
                    .collect()
            })
            .collect();
        (a, b, ab)
    }

    /// Ishigami (a = 7, b = 0.1) on U(−π, π)³: S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424,
    /// 0.2437 (Saltelli et al. 2008, §2.9). At N = 2^14 random rows each estimate must lie
    /// within 1.5 of its 95% half-widths (about three standard errors) of the known value, and
    /// the half-widths must be small enough for that to mean something.
    #[test]
    fn ishigami_indices_match_the_known_values() {
        let pi = std::f64::consts::PI;
        let (a, b, ab) = saltelli(1 << 14, 3, -pi, pi, ishigami);
        let outputs = SaltelliOutputs {
            a: &a,
            b: &b,
            ab: &ab,
        };
        let indices = sobol_indices(&outputs, 1, BOOTSTRAP_RESAMPLES).unwrap();
        for (input, index) in indices.iter().enumerate() {
            for (estimate, interval, known) in [
                (index.first, index.first_interval, ISHIGAMI_FIRST[input]),
                (index.total, index.total_interval, ISHIGAMI_TOTAL[input]),
            ] {
                let half = interval.half_width();
                assert!(half < 0.05, "input {input}: half-width {half}");
                assert!(
                    (estimate - known).abs() < 1.5 * half,
                    "input {input}: {estimate} ± {half} against {known}"
                );
            }
        }
        assert!(indices[0].resolved() && indices[1].resolved());
        // x3 acts only through its interaction with x1: no first-order effect to resolve.
        assert!(!indices[2].resolved());
        assert_eq!(
            indices,
            sobol_indices(&outputs, 1, BOOTSTRAP_RESAMPLES).unwrap(),
            "deterministic"
        );
        assert_ne!(
            indices,
            sobol_indices(&outputs, 2, BOOTSTRAP_RESAMPLES).unwrap(),
            "seeded bootstrap"
        );
    }

    /// A linear function of independent uniform inputs has S1 = ST = c_i² / Σ c² exactly in
    /// expectation; the estimators get within their intervals.
    #[test]
    fn a_linear_function_splits_its_variance_by_squared_coefficients() {
        let coefficients = [3.0, -2.0, 1.0, 0.0];
        let linear = |x: &[f64]| x.iter().zip(&coefficients).map(|(x, c)| x * c).sum();
        let (a, b, ab) = saltelli(1 << 13, 4, 0.0, 1.0, linear);
        let indices = super::known::indices(&a, &b, &ab, 3);
        let total: f64 = coefficients.iter().map(|c| c * c).sum();
        for (index, c) in indices.iter().zip(coefficients) {
            let known = c * c / total;
            for (estimate, interval) in [
                (index.first, index.first_interval),
                (index.total, index.total_interval),
            ] {
                let half = interval.half_width();
                assert!(
                    (estimate - known).abs() < 1.5 * half + 1e-12,
                    "{estimate} vs {known}"
                );
            }
        }
        // An input with no effect has a total index of exactly 0: f(AB_i) = f(A) row by row.
        assert_eq!(indices[3].total, 0.0);
    }

    #[test]
    fn bad_evaluations_are_errors_not_panics() {
        let ab = vec![vec![1.0, 2.0]];
        let short = SaltelliOutputs {
            a: &[1.0, 2.0],
            b: &[1.0],
            ab: &ab,
        };
        assert!(matches!(
            sobol_indices(&short, 1, BOOTSTRAP_RESAMPLES),
            Err(SensitivityError::Mismatch { what: "f(B)", .. })
        ));
        let constant = SaltelliOutputs {
            a: &[1.0, 1.0],
            b: &[1.0, 1.0],
            ab: &[vec![1.0, 1.0]],
        };
        assert_eq!(
            sobol_indices(&constant, 1, BOOTSTRAP_RESAMPLES),
            Err(SensitivityError::NoVariance)
        );
        let nan = SaltelliOutputs {
            a: &[1.0, f64::NAN],
            b: &[1.0, 2.0],
            ab: &[vec![1.0, 1.0]],
        };
        assert_eq!(
            sobol_indices(&nan, 1, BOOTSTRAP_RESAMPLES),
            Err(SensitivityError::NotFinite)
        );
        assert!(matches!(
            elementary_effects(&[vec![0.0, 0.0], vec![1.0, 1.0]], &[0.0, 1.0]),
            Err(SensitivityError::Mismatch { found: 2, .. })
        ));
    }

    /// Morris on a linear function: every elementary effect of input i is c_i, so μ = c_i,
    /// μ* = |c_i| and σ = 0 exactly, whatever the trajectories.
    #[test]
    fn weighted_sums_are_the_same_bits_on_every_instruction_set() {
        let mut stream = rng::stream(4, 0, Purpose::named("test"));
        for length in [0, 1, 7, 8, 9, 4096, 4099] {
            let weights: Vec<u8> = (0..length).map(|_| stream.random_range(0..4)).collect();
            let values: Vec<f64> = (0..length).map(|_| stream.random::<f64>() - 0.3).collect();
            let portable = weighted_sum(&weights, &values, false);
            let expected: f64 = weights
                .iter()
                .zip(&values)
                .map(|(w, v)| f64::from(*w) * v)
                .sum();
            assert!((portable - expected).abs() <= 1e-12 * (1.0 + expected.abs()));
            if crate::model::InstructionSet::detected() == crate::model::InstructionSet::Avx2 {
                assert_eq!(
                    weighted_sum(&weights, &values, true).to_bits(),
                    portable.to_bits()
                );
            }
        }
    }

    #[test]
    fn morris_on_a_linear_function_gives_exact_effects() {
        let coefficients = [2.5, -4.0, 0.0];
        let linear = |x: &[f64]| -> f64 { x.iter().zip(&coefficients).map(|(x, c)| x * c).sum() };
        let mut random = ChaCha8Rng::seed_from_u64(1991);
        let delta = 0.5;
        let trajectories: Vec<Vec<(usize, f64)>> = (0..10)
            .map(|_| {
                let mut point: Vec<f64> = (0..3).map(|_| random.random::<f64>() * 0.5).collect();
                let mut points = vec![point.clone()];
                // Inputs in a random order, each moved once by ±Δ.
                let mut order = [0, 1, 2];
                for swap in (1..3).rev() {
                    order.swap(swap, random.random_range(0..=swap));
                }
                for input in order {
                    point[input] += if random.random::<bool>() {
                        delta
                    } else {
                        -delta
                    };
                    points.push(point.clone());
                }
                let outputs: Vec<f64> = points.iter().map(|point| linear(point)).collect();
                elementary_effects(&points, &outputs).unwrap()
            })
            .collect();
        let indices = morris_indices(&trajectories, 3, 5).unwrap();
        for (index, c) in indices.iter().zip(coefficients) {
            assert!((index.mu - c).abs() < 1e-12, "{index:?}");
            assert!((index.mu_star - c.abs()).abs() < 1e-12, "{index:?}");
            assert!(index.sigma.abs() < 1e-12, "{index:?}");
            assert!((index.mu_star_interval.high - index.mu_star_interval.low).abs() < 1e-9);
        }
    }
}
