//! Statistics for batches and comparisons: running moments, confidence intervals for means and
//! proportions, and the two-sample Kolmogorov–Smirnov p-value.
//!
//! Methods, with where they come from:
//! - **Moments.** Welford's (1962) one-pass update within a chunk of runs, and the pairwise
//!   merge of Chan, Golub and LeVeque (1979) between chunks. Merges happen in run-index order
//!   (see `batch`), so the floating-point result does not depend on the thread count.
//! - **Confidence interval of a mean.** Student's t with n − 1 degrees of freedom. The t quantile
//!   is found by bisection on the exact finite-series CDF below 30 degrees of freedom
//!   (Abramowitz and Stegun 1964, 26.7.3–4) and from 30 on by their Cornish–Fisher expansion
//!   around the normal quantile (26.7.5), which is within 1e-6 of the exact value there.
//! - **Normal quantile.** Acklam's (2003) rational approximation, relative error below 1.2e-9.
//! - **Proportions.** The Wilson (1927) score interval, which keeps its coverage near 0 and 1
//!   where the Wald interval collapses (Brown, Cai and DasGupta 2001).
//! - **Paired proportions.** Newcombe's (1998) method 10: Wilson intervals of both margins
//!   combined with the observed correlation φ of the paired outcomes.
//! - **Exact sums.** Envelope means add values in fixed point: each value rounded once to a
//!   multiple of 2^-64 (below 2^20 in magnitude) or of 2^-20 (above), then added as integers,
//!   which is associative, so the sum is the same for any order or split of the runs (shards,
//!   resumed batches). The idea is Kulisch's exact accumulator (Kulisch and Miranker 1981),
//!   cut to two `i128`s.
//! - **Kolmogorov–Smirnov.** The asymptotic Kolmogorov distribution
//!   Q(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²) with Stephens' (1970) small-sample correction
//!   λ = (√nₑ + 0.12 + 0.11/√nₑ)·D, nₑ = n·m/(n + m), as in Numerical Recipes' `probks`.

/// Confidence level of every interval entente reports.
pub const CONFIDENCE: f64 = 0.95;

/// Two-sided tail probability of [`CONFIDENCE`]: the quantile used is `1 - ALPHA / 2`.
const ALPHA: f64 = 1.0 - CONFIDENCE;

/// Running count, mean, sum of squared deviations, minimum and maximum of finite values.
/// Non-finite values are not folded in; they are counted in `missing`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// How many finite values were folded in.
    pub count: u64,
    /// How many non-finite values (NaN, infinities) were left out.
    pub missing: u64,
    /// The mean of the finite values (0 when there are none).
    pub mean: f64,
    /// Sum of squared deviations from the mean (Welford's M2).
    pub squares: f64,
    /// The smallest finite value (+∞ when there are none).
    pub min: f64,
    /// The largest finite value (−∞ when there are none).
    pub max: f64,
}

impl Default for Moments {
    fn default() -> Moments {
        Moments::EMPTY
    }
}

impl Moments {
    /// Moments of no values at all.
    pub const EMPTY: Moments = Moments {
        count: 0,
        missing: 0,
        mean: 0.0,
        squares: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    /// Folds one value in (Welford's update).
    #[inline]
    pub fn push(&mut self, value: f64) {
        if !value.is_finite() {
            self.missing += 1;
            return;
        }
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.squares += delta * (value - self.mean);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Folds another set of moments in (Chan, Golub and LeVeque's pairwise update). The result
    /// depends on the order of merges only in the last bits, which is why batches merge in a
    /// fixed order.
    pub fn merge(&mut self, other: &Moments) {
        self.missing += other.missing;
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            let missing = self.missing;
            *self = *other;
            self.missing = missing;
            return;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        let weight = other.count as f64 / count as f64;
        self.mean += delta * weight;
        self.squares += other.squares + delta * delta * self.count as f64 * weight;
        self.count = count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The mean, or NaN when no finite value was folded in.
    pub fn mean_or_nan(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.mean }
    }

    /// The sample variance (n − 1 in the denominator); NaN below two values.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.squares / (self.count - 1) as f64
        }
    }

    /// The sample standard deviation (n − 1 in the denominator); NaN below two values.
    pub fn standard_deviation(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Half-width of the confidence interval of the mean; NaN below two values.
    pub fn half_width(&self) -> f64 {
        if self.count < 2 {
            return f64::NAN;
        }
        let degrees = (self.count - 1) as f64;
        student_t_quantile(1.0 - ALPHA / 2.0, degrees)
            * (self.variance() / self.count as f64).sqrt()
    }
}

/// The quantile of the standard normal distribution at probability `p` (Acklam 2003).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    /// Below this probability (and above one minus it) the tail formula applies.
    const LOW: f64 = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Below this many degrees of freedom the t quantile is found by bisection on the exact CDF.
const EXACT_T_BELOW: f64 = 30.0;

/// The quantile of Student's t distribution with `degrees` degrees of freedom at `p`.
pub fn student_t_quantile(p: f64, degrees: f64) -> f64 {
    if degrees < EXACT_T_BELOW && degrees == degrees.round() && degrees >= 1.0 {
        // P(|T| <= t) = 2p − 1 for the upper quantile; bisect on the exact integer-degree CDF.
        let upper = p.max(1.0 - p);
        let target = 2.0 * upper - 1.0;
        let (mut low, mut high) = (0.0f64, 1.0f64);
        while student_t_central(high, degrees as u32) < target {
            high *= 2.0;
        }
        for _ in 0..200 {
            let middle = 0.5 * (low + high);
            if student_t_central(middle, degrees as u32) < target {
                low = middle;
            } else {
                high = middle;
            }
        }
        let quantile = 0.5 * (low + high);
        return if p < 0.5 { -quantile } else { quantile };
    }
    let z = normal_quantile(p);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / degrees + g2 / degrees.powi(2) + g3 / degrees.powi(3) + g4 / degrees.powi(4)
}

/// P(|T| <= t) for Student's t with integer degrees of freedom: the finite series of
/// Abramowitz and Stegun (1964, 26.7.3 and 26.7.4) in θ = atan(t / √ν).
fn student_t_central(t: f64, degrees: u32) -> f64 {
    let theta = (t / f64::from(degrees).sqrt()).atan();
    let (sin, cos) = theta.sin_cos();
    let cos2 = cos * cos;
    if degrees % 2 == 1 {
        // Odd: (2/π)[θ + sin θ (cos θ + (2/3) cos³θ + … + (2·4…(ν−3))/(1·3…(ν−2)) cos^(ν−2)θ)].
        let mut sum = 0.0;
        if degrees > 1 {
            let mut term = cos;
            sum = term;
            let mut k = 2;
            while k + 1 < degrees {
                term *= cos2 * f64::from(k) / f64::from(k + 1);
                sum += term;
                k += 2;
            }
        }
        std::f64::consts::FRAC_2_PI * (theta + sin * sum)
    } else {
        // Even: sin θ [1 + (1/2) cos²θ + (1·3)/(2·4) cos⁴θ + … up to cos^(ν−2)θ].
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 1;
        while k + 1 < degrees {
            term *= cos2 * f64::from(k) / f64::from(k + 1);
            sum += term;
            k += 2;
        }
        sin * sum
    }
}

/// The unit of an [`ExactSum`]'s fine part: 2^-64. A value below [`EXACT_SUM_SPLIT`] in
/// magnitude is rounded to a multiple of it once (an absolute error below 2.8e-20).
pub const EXACT_SUM_UNIT: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// Values of at least this magnitude (2^20, about 10^6) go to an [`ExactSum`]'s coarse part,
/// in units of [`EXACT_SUM_COARSE_UNIT`]: a relative error below 2^-41 each.
pub const EXACT_SUM_SPLIT: f64 = 1_048_576.0;

/// The unit of an [`ExactSum`]'s coarse part: 2^-20.
pub const EXACT_SUM_COARSE_UNIT: f64 = 1.0 / 1_048_576.0;

/// `value / unit` rounded to the nearest integer, halves away from zero (as `f64::round`), for
/// a `unit` that is a power of 2; `None` for NaN, infinities and magnitudes of 2^126 or more
/// (which leave no room below `i128::MAX` for adding). Done on the bits: `round` and the
/// float-to-`i128` conversion are library calls on the portable x86-64 target, and were a
/// tenth of a batch's time with envelopes.
#[inline]
fn fixed_point(value: f64, unit: f64) -> Option<i128> {
    const MANTISSA_BITS: i32 = 52;
    let bits = value.to_bits();
    let biased = ((bits >> MANTISSA_BITS) & 0x7ff) as i32;
    if biased == 0x7ff {
        return None;
    }
    if biased == 0 {
        // Zero or subnormal: below 2^-1022, far below half of any unit used.
        return Some(0);
    }
    let mantissa = i128::from((bits & ((1 << MANTISSA_BITS) - 1)) | (1 << MANTISSA_BITS));
    // value = mantissa · 2^(biased − 1075), unit = 2^unit_exponent.
    let unit_exponent = ((unit.to_bits() >> MANTISSA_BITS) & 0x7ff) as i32 - 1023;
    let shift = biased - 1075 - unit_exponent;
    let magnitude = if shift >= 0 {
        // mantissa < 2^53: the result is below 2^126 while 53 + shift ≤ 126.
        if shift > 126 - (MANTISSA_BITS + 1) {
            return None;
        }
        mantissa << shift
    } else if -shift > MANTISSA_BITS + 1 {
        // Less than half a unit.
        0
    } else {
        let dropped = -shift;
        let whole = mantissa >> dropped;
        let remainder = mantissa & ((1 << dropped) - 1);
        whole + i128::from(remainder >= 1 << (dropped - 1))
    };
    Some(if value < 0.0 { -magnitude } else { magnitude })
}

/// A sum of finite values in fixed point (see the module documentation): the same bits
/// whatever the order in which values and partial sums are added. Small values add up in
/// units of 2^-64 (up to a total of 9.2e18), large ones in units of 2^-20 (up to 1.6e32), so
/// that quantities in any unit, shares or dollars, sum over 10^8 runs. A sum that would leave
/// that range is marked overflowed and reads as NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactSum {
    fine: i128,
    coarse: i128,
    overflowed: bool,
}

impl ExactSum {
    /// Adds one value; non-finite values or values too large to hold mark the sum overflowed.
    #[inline]
    pub fn add(&mut self, value: f64) {
        let (part, unit) = if value.abs() < EXACT_SUM_SPLIT {
            (&mut self.fine, EXACT_SUM_UNIT)
        } else {
            (&mut self.coarse, EXACT_SUM_COARSE_UNIT)
        };
        let Some(scaled) = fixed_point(value, unit) else {
            self.overflowed = true;
            return;
        };
        match part.checked_add(scaled) {
            Some(sum) => *part = sum,
            None => self.overflowed = true,
        }
    }

    /// Adds another sum.
    pub fn merge(&mut self, other: &ExactSum) {
        match (
            self.fine.checked_add(other.fine),
            self.coarse.checked_add(other.coarse),
        ) {
            (Some(fine), Some(coarse)) => {
                self.fine = fine;
                self.coarse = coarse;
                self.overflowed |= other.overflowed;
            }
            _ => self.overflowed = true,
        }
    }

    /// The sum, or NaN if it overflowed: each part rounded once to the nearest `f64`, then
    /// added.
    pub fn value(&self) -> f64 {
        if self.overflowed {
            f64::NAN
        } else {
            self.fine as f64 * EXACT_SUM_UNIT + self.coarse as f64 * EXACT_SUM_COARSE_UNIT
        }
    }

    /// The sum's raw state, for storing partial results: (fine units, coarse units,
    /// overflowed).
    pub fn to_parts(self) -> (i128, i128, bool) {
        (self.fine, self.coarse, self.overflowed)
    }

    /// The sum whose raw state [`ExactSum::to_parts`] gave.
    pub fn from_parts(fine: i128, coarse: i128, overflowed: bool) -> ExactSum {
        ExactSum {
            fine,
            coarse,
            overflowed,
        }
    }
}

/// A confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

impl Interval {
    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether `value` lies in the interval, both bounds included (false for NaN).
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// The Wilson score interval of a proportion of `successes` in `trials`; [0, 1] without trials.
pub fn wilson(successes: u64, trials: u64) -> Interval {
    if trials == 0 {
        return Interval {
            low: 0.0,
            high: 1.0,
        };
    }
    let z = normal_quantile(1.0 - ALPHA / 2.0);
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At no successes the lower limit is exactly 0 (and at all successes the upper exactly
    // 1), but centre − half rounds to a tiny positive number such as 5.4e-20 (issue 17).
    Interval {
        low: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        high: if successes == trials {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// Counts of paired yes/no outcomes: run i of scenario A and run i of scenario B.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PairedCounts {
    /// Pairs where both scenarios said yes.
    pub both: u64,
    /// Pairs where only the first scenario said yes.
    pub only_first: u64,
    /// Pairs where only the second scenario said yes.
    pub only_second: u64,
    /// Pairs where neither said yes.
    pub neither: u64,
}

impl PairedCounts {
    /// Counts one pair: the first scenario's answer and the second's.
    pub fn push(&mut self, first: bool, second: bool) {
        match (first, second) {
            (true, true) => self.both += 1,
            (true, false) => self.only_first += 1,
            (false, true) => self.only_second += 1,
            (false, false) => self.neither += 1,
        }
    }

    /// Adds another set of counts (exact, in any order).
    pub fn merge(&mut self, other: &PairedCounts) {
        self.both += other.both;
        self.only_first += other.only_first;
        self.only_second += other.only_second;
        self.neither += other.neither;
    }

    /// The number of pairs counted.
    pub fn total(&self) -> u64 {
        self.both + self.only_first + self.only_second + self.neither
    }

    /// The change in probability, second minus first.
    pub fn difference(&self) -> f64 {
        let n = self.total() as f64;
        (self.only_second as f64 - self.only_first as f64) / n
    }

    /// Newcombe's (1998) method 10 interval for the difference second minus first.
    pub fn difference_interval(&self) -> Interval {
        let n = self.total();
        if n == 0 {
            return Interval {
                low: -1.0,
                high: 1.0,
            };
        }
        let first_yes = self.both + self.only_first;
        let second_yes = self.both + self.only_second;
        let p1 = first_yes as f64 / n as f64;
        let p2 = second_yes as f64 / n as f64;
        let first = wilson(first_yes, n);
        let second = wilson(second_yes, n);
        let (a, b, c, d) = (
            self.both as f64,
            self.only_first as f64,
            self.only_second as f64,
            self.neither as f64,
        );
        let denominator = ((a + b) * (c + d) * (a + c) * (b + d)).sqrt();
        let phi = if denominator > 0.0 {
            (a * d - b * c) / denominator
        } else {
            0.0
        };
        let difference = p2 - p1;
        // Newcombe writes the interval for p1 − p2; this is the same interval mirrored.
        let low_terms = (p2 - second.low).powi(2)
            - 2.0 * phi * (p2 - second.low) * (first.high - p1)
            + (first.high - p1).powi(2);
        let high_terms = (second.high - p2).powi(2)
            - 2.0 * phi * (second.high - p2) * (p1 - first.low)
            + (p1 - first.low).powi(2);
        Interval {
            low: (difference - low_terms.max(0.0).sqrt()).max(-1.0),
            high: (difference + high_terms.max(0.0).sqrt()).min(1.0),
        }
    }
}

/// The asymptotic p-value of a two-sample Kolmogorov–Smirnov distance `distance` between
/// samples of sizes `first` and `second` (Stephens' correction; see the module header).
pub fn kolmogorov_smirnov_p_value(distance: f64, first: u64, second: u64) -> f64 {
    /// Terms of the alternating series before giving up (it converges in a few for λ > 0.3).
    const MAX_TERMS: u32 = 100;
    if first == 0 || second == 0 {
        return f64::NAN;
    }
    let effective = (first as f64 * second as f64 / (first + second) as f64).sqrt();
    let lambda = (effective + 0.12 + 0.11 / effective) * distance;
    let exponent = -2.0 * lambda * lambda;
    let mut sum = 0.0;
    let mut sign = 2.0;
    let mut previous_term = 0.0f64;
    for j in 1..=MAX_TERMS {
        let term = sign * (exponent * f64::from(j * j)).exp();
        sum += term;
        if term.abs() <= 1e-3 * previous_term.abs() || term.abs() <= 1e-12 * sum.abs() {
            return sum.clamp(0.0, 1.0);
        }
        sign = -sign;
        previous_term = term;
    }
    // The series did not converge: λ is so small that the distributions are indistinguishable.
    1.0
}

#[cfg(test)]
mod tests {
    /// The bit-level rounding of `ExactSum` is `(value / unit).round() as i128`, halves
    /// included, over values of every magnitude and sign.
    #[test]
    fn fixed_point_rounds_as_the_float_round_does() {
        use rand::{RngExt, SeedableRng};
        let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let reference = |value: f64, unit: f64| -> Option<i128> {
            let scaled = (value / unit).round();
            (!scaled.is_nan() && scaled.abs() < 2f64.powi(126)).then_some(scaled as i128)
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2f64.powi(-65),
            2f64.powi(-64),
            1.5 * 2f64.powi(-64),
            2.5 * 2f64.powi(-64),
            -2.5 * 2f64.powi(-64),
            2f64.powi(62),
            2f64.powi(63) * 0.999,
        ];
        for _ in 0..200_000 {
            let exponent = random.random_range(-80..110);
            let sign = if random.random::<bool>() { 1.0 } else { -1.0 };
            values.push(sign * random.random::<f64>() * 2f64.powi(exponent));
        }
        for unit in [EXACT_SUM_UNIT, EXACT_SUM_COARSE_UNIT] {
            for &value in &values {
                assert_eq!(
                    fixed_point(value, unit),
                    reference(value, unit),
                    "{value:e} / {unit:e}"
                );
            }
        }
    }

    #[test]
    fn exact_sums_do_not_depend_on_the_order_of_additions() {
        let values: Vec<f64> = (0..1000)
            .map(|i| ((i as f64 * 0.618_033_988_75).fract() - 0.4) * 10f64.powi(i % 7 - 3))
            .collect();
        let mut forward = ExactSum::default();
        values.iter().for_each(|&value| forward.add(value));
        let mut backward = ExactSum::default();
        values.iter().rev().for_each(|&value| backward.add(value));
        // Three parts added separately, then merged in another order.
        let mut parts = [ExactSum::default(); 3];
        for (index, &value) in values.iter().enumerate() {
            parts[index % 3].add(value);
        }
        let mut merged = parts[2];
        merged.merge(&parts[0]);
        merged.merge(&parts[1]);
        assert_eq!(forward, backward);
        assert_eq!(forward, merged);
        // Neumaier's compensated sum as the reference: good to about one rounding here.
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        for &value in &values {
            let next = sum + value;
            compensation += if sum.abs() >= value.abs() {
                (sum - next) + value
            } else {
                (value - next) + sum
            };
            sum = next;
        }
        let reference = sum + compensation;
        assert!(
            (forward.value() - reference).abs() <= reference.abs() * 4.0 * f64::EPSILON,
            "{} vs {reference}",
            forward.value()
        );
    }

    #[test]
    fn an_exact_sum_that_cannot_hold_its_values_reads_as_nan() {
        let mut sum = ExactSum::default();
        sum.add(1.0);
        assert_eq!(sum.value(), 1.0);
        sum.add(1e38);
        assert!(sum.value().is_nan());
        // Dollars, not billions: sums of 2.5e13 over many runs fit, with a tiny relative error.
        let mut dollars = ExactSum::default();
        let mut halves = [ExactSum::default(); 2];
        for run in 0..100_000u32 {
            let value = 2.5e13 + f64::from(run) * 0.37;
            dollars.add(value);
            halves[(run % 2) as usize].add(value);
        }
        let [even, mut odd] = halves;
        odd.merge(&even);
        assert_eq!(dollars, odd);
        let expected = 2.5e13 * 1e5 + 0.37 * (99_999.0 * 100_000.0 / 2.0);
        assert!((dollars.value() - expected).abs() <= expected * 1e-15);
        let mut near_limit = ExactSum::default();
        near_limit.add(1e32);
        near_limit.add(1e32);
        assert!(
            near_limit.value().is_nan(),
            "the coarse range is ±1.6e32 in value"
        );
    }

    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326347874040841).abs() < 1e-8);
        assert!((normal_quantile(0.999) - 3.090232306167813).abs() < 1e-8);
    }

    #[test]
    fn student_t_quantiles_match_tables() {
        // Two-sided 95% critical values from standard tables.
        for (degrees, expected, tolerance) in [
            (1.0, 12.706204736, 1e-6),
            (2.0, 4.302652730, 1e-6),
            (3.0, 3.182446305, 1e-6),
            (4.0, 2.776445105, 1e-6),
            (5.0, 2.570581836, 1e-6),
            (10.0, 2.228138852, 1e-6),
            (29.0, 2.045229642, 1e-6),
            (30.0, 2.042272456, 1e-6),
            (1000.0, 1.962339081, 1e-8),
        ] {
            let got = student_t_quantile(0.975, degrees);
            assert!(
                (got - expected).abs() < tolerance,
                "t({degrees}) = {got}, expected {expected}"
            );
        }
    }

    #[test]
    fn moments_merge_matches_one_pass() {
        let values: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let mut whole = Moments::EMPTY;
        values.iter().for_each(|&v| whole.push(v));
        let mut merged = Moments::EMPTY;
        for chunk in values.chunks(64) {
            let mut part = Moments::EMPTY;
            chunk.iter().for_each(|&v| part.push(v));
            merged.merge(&part);
        }
        assert_eq!(merged.count, 1000);
        assert!((merged.mean - whole.mean).abs() < 1e-12);
        assert!((merged.variance() - whole.variance()).abs() < 1e-9);
        assert_eq!((merged.min, merged.max), (whole.min, whole.max));
        let mean = values.iter().sum::<f64>() / 1000.0;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 999.0;
        assert!((whole.variance() - variance).abs() < 1e-9);
    }

    #[test]
    fn moments_count_non_finite_values_as_missing() {
        let mut moments = Moments::EMPTY;
        for value in [1.0, f64::NAN, 3.0, f64::INFINITY] {
            moments.push(value);
        }
        assert_eq!((moments.count, moments.missing, moments.mean), (2, 2, 2.0));
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 81 successes in 263 trials: Wilson 95% interval (0.2553, 0.3662), as in Newcombe
        // (1998a), Table II, example (e).
        let interval = wilson(81, 263);
        assert!((interval.low - 0.2553).abs() < 1e-4, "{interval:?}");
        assert!((interval.high - 0.3662).abs() < 1e-4, "{interval:?}");
        // No successes still gives a non-degenerate interval.
        let zero = wilson(0, 10);
        assert_eq!(zero.low, 0.0);
        // Issue 17: at 100,000 trials the rounding of centre − half printed 5.4e-20.
        assert_eq!(wilson(0, 100_000).low, 0.0);
        assert_eq!(wilson(100_000, 100_000).high, 1.0);
        assert!((zero.high - 0.2775).abs() < 1e-4, "{zero:?}");
    }

    #[test]
    fn newcombe_paired_interval_covers_the_true_difference() {
        use rand::{RngExt, SeedableRng};
        // Correlated pairs: first ~ Bernoulli(0.3); second copies it with probability 0.6,
        // otherwise is a fresh Bernoulli(0.45). True difference: 0.4·(0.45 − 0.3) = 0.06.
        let truth = 0.4 * (0.45 - 0.3);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let replications = 2000;
        let mut covered = 0;
        for _ in 0..replications {
            let mut counts = PairedCounts::default();
            for _ in 0..150 {
                let first = rng.random::<f64>() < 0.3;
                let second = if rng.random::<f64>() < 0.6 {
                    first
                } else {
                    rng.random::<f64>() < 0.45
                };
                counts.push(first, second);
            }
            let interval = counts.difference_interval();
            assert!(
                interval.contains(counts.difference()),
                "{counts:?} {interval:?}"
            );
            covered += usize::from(interval.contains(truth));
        }
        let coverage = covered as f64 / replications as f64;
        assert!((0.93..=0.975).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn newcombe_interval_of_identical_outcomes_is_narrow_around_zero() {
        let counts = PairedCounts {
            both: 300,
            only_first: 0,
            only_second: 0,
            neither: 700,
        };
        let interval = counts.difference_interval();
        assert_eq!(counts.difference(), 0.0);
        assert!(
            interval.contains(0.0) && interval.half_width() < 0.01,
            "{interval:?}"
        );
    }

    #[test]
    fn kolmogorov_smirnov_p_values_match_the_asymptotic_distribution() {
        // With a huge sample, λ = √nₑ·D; Q(1.3581) = 0.05 is the classic 5% critical value.
        let n = 1_000_000_000u64;
        let effective = ((n as f64) / 2.0).sqrt();
        let p = kolmogorov_smirnov_p_value(1.3581 / effective, n, n);
        assert!((p - 0.05).abs() < 1e-4, "{p}");
        assert_eq!(kolmogorov_smirnov_p_value(0.0, 100, 100), 1.0);
        assert!(kolmogorov_smirnov_p_value(0.5, 1000, 1000) < 1e-12);
    }
}
