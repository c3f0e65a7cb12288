//! Numeric parameters that may be uncertain: a fixed number or a distribution drawn once per run.

use std::f64::consts::FRAC_1_SQRT_2;
use std::fmt;

use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution as _, StandardNormal, Triangular};

use crate::rng::{self, Purpose};
use crate::special;

/// Index of a parameter in [`crate::scenario::Scenario::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub u32);

/// How many rejected draws a truncated normal may take before falling back to a uniform draw
/// over its bounds. Rejection keeps the exact distribution whenever the bounds hold a
/// reasonable share of the mass; the fallback only matters for windows far narrower than the
/// standard deviation, where the truncated normal is nearly uniform anyway.
const TRUNCATED_NORMAL_MAX_TRIES: u32 = 1000;

/// The smallest positive double, which stands in for a probability of zero where the exact
/// quantile would be infinite: a normal distribution unbounded below, at probability 0, gives
/// the quantile of this probability instead (about 38.5 standard deviations below the mean),
/// so that a design point on the edge of the unit cube still names a finite parameter value.
const SMALLEST_PROBABILITY: f64 = f64::from_bits(1);

/// A parameter's value or the distribution it is drawn from. Validation guarantees the
/// invariants noted on each variant, so sampling never fails.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// A fixed number: every run takes this value and draws nothing.
    Fixed(f64),
    /// Uniform between two bounds. `low < high`.
    Uniform {
        /// The smallest value.
        low: f64,
        /// The largest value.
        high: f64,
    },
    /// Normal, truncated to its bounds by rejection. `sd >= 0`, optional bounds with
    /// `low < high` and the mean inside them.
    Normal {
        /// The mean before truncation.
        mean: f64,
        /// The standard deviation before truncation (0 gives the mean).
        sd: f64,
        /// The lower bound, if any.
        low: Option<f64>,
        /// The upper bound, if any.
        high: Option<f64>,
    },
    /// `alpha, beta > 0`, rescaled from `[0, 1]` to `[low, high]`, `low < high`.
    Beta {
        /// The first shape parameter (weight toward `high`).
        alpha: f64,
        /// The second shape parameter (weight toward `low`).
        beta: f64,
        /// The value a draw of 0 is mapped to.
        low: f64,
        /// The value a draw of 1 is mapped to.
        high: f64,
    },
    /// Triangular: density rising linearly from `low` to `mode`, falling to `high`.
    /// `low <= mode <= high`, `low < high`.
    Triangular {
        /// The smallest value.
        low: f64,
        /// The most likely value.
        mode: f64,
        /// The largest value.
        high: f64,
    },
}

impl Distribution {
    /// Whether it is a fixed number rather than a distribution to draw from.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Distribution::Fixed(_))
    }

    /// The smallest and largest value a draw can take (infinite for an unbounded normal).
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Distribution::Fixed(value) => (value, value),
            Distribution::Uniform { low, high }
            | Distribution::Beta { low, high, .. }
            | Distribution::Triangular { low, high, .. } => (low, high),
            Distribution::Normal {
                sd,
                mean,
                low,
                high,
            } => {
                if sd == 0.0 {
                    (mean, mean)
                } else {
                    (
                        low.unwrap_or(f64::NEG_INFINITY),
                        high.unwrap_or(f64::INFINITY),
                    )
                }
            }
        }
    }

    /// The quantile function (inverse distribution function): the value below which a share
    /// `probability` of the distribution lies. Design samplers use it to put a point of the
    /// unit cube onto a parameter's distribution.
    ///
    /// It is exact to a few units in the last place for the uniform and triangular kinds, to
    /// about 1e-14 relative for the normal kind (absolute, about 1e-16 times the standard
    /// deviation, for a value next to zero) and for the beta kind with alpha and beta of 1 or
    /// more; an alpha or beta below 1 magnifies the beta kind's error by about its inverse
    /// (3e-13 at 0.01), as it magnifies any error in the probability (see `special`).
    ///
    /// It never fails and is non-decreasing in `probability` (between adjacent doubles it
    /// can step back by up to the error above, as any quantile computed in floating point
    /// can; the tests check grids with steps of 1e-4 and the tails down to 1e-300, and runs
    /// of a million steps of 1e-6 were checked by hand). The value always lies inside
    /// [`Distribution::support`]; probability 0 gives the support's lower end and 1 its upper
    /// end, except that an unbounded side of a normal distribution gives the (finite) quantile
    /// of the smallest positive double instead of an infinity. A probability below 0 or above
    /// 1 counts as 0 or 1, and NaN as 1/2, the median.
    pub fn quantile(&self, probability: f64) -> f64 {
        let p = if probability.is_nan() {
            0.5
        } else {
            probability.clamp(0.0, 1.0)
        };
        let (low, high) = self.support();
        // The ends of the support are exact answers, and saying so spares every kind below from
        // rounding its way to them.
        if p == 0.0 && low.is_finite() {
            return low;
        }
        if p == 1.0 && high.is_finite() {
            return high;
        }
        let value = match *self {
            Distribution::Fixed(value) => value,
            Distribution::Uniform { low, high } => low + (high - low) * p,
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                // No spread (or a NaN one, which validation rules out): the mean.
                if sd.is_nan() || sd <= 0.0 {
                    return mean;
                }
                let lower = low.map_or(f64::NEG_INFINITY, |low| (low - mean) / sd);
                let upper = high.map_or(f64::INFINITY, |high| (high - mean) / sd);
                mean + sd * truncated_standard_normal_quantile(lower, upper, p)
            }
            Distribution::Beta {
                alpha,
                beta,
                low,
                high,
            } => {
                let unit = special::inverse_beta_regularized(p, alpha, beta);
                // Validation checked alpha and beta; the fallback, the same as `sample`'s,
                // keeps the quantile infallible.
                let unit = if unit.is_nan() { 0.5 } else { unit };
                low + (high - low) * unit
            }
            Distribution::Triangular { low, mode, high } => {
                // The distribution function is a parabola on each side of the mode: the share
                // p of the mass below x ≤ mode is (x − low)² / ((high − low)(mode − low)).
                let width = high - low;
                let below_mode = (mode - low) / width;
                if p <= below_mode {
                    low + width * (p * below_mode).sqrt()
                } else {
                    high - width * ((1.0 - p) * ((high - mode) / width)).sqrt()
                }
            }
        };
        // Rounding can step a unit in the last place past an end of the support; the support
        // is a promise, so the value is brought back inside (f64::max and min also turn a NaN
        // from invalid parameters into an end, keeping the function infallible).
        value.max(low).min(high)
    }

    /// Draws one value. Fixed values consume no randomness.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match *self {
            Distribution::Fixed(value) => value,
            Distribution::Uniform { low, high } => low + (high - low) * rng::unit(rng),
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                let low = low.unwrap_or(f64::NEG_INFINITY);
                let high = high.unwrap_or(f64::INFINITY);
                for _ in 0..TRUNCATED_NORMAL_MAX_TRIES {
                    let standard: f64 = StandardNormal.sample(rng);
                    let value = mean + sd * standard;
                    if (low..=high).contains(&value) {
                        return value;
                    }
                }
                low + (high - low) * rng::unit(rng)
            }
            Distribution::Beta {
                alpha,
                beta,
                low,
                high,
            } => {
                // Validation checked alpha and beta; the fallback keeps sampling infallible.
                let unit = Beta::new(alpha, beta).map_or(0.5, |beta| beta.sample(rng));
                low + (high - low) * unit
            }
            Distribution::Triangular { low, mode, high } => {
                Triangular::new(low, high, mode).map_or(mode, |triangular| triangular.sample(rng))
            }
        }
    }
}

/// The quantile at probability `p` (in [0, 1]) of the standard normal distribution truncated
/// from `lower` to `upper`, either of which may be infinite.
///
/// The target is named from the side of the mean where the window lies: a window above the
/// mean is solved in the upper tail, one below it in the lower tail (by symmetry), and one that
/// holds the mean in whichever part the target falls. Within [`special::CENTRAL_OFFSET`] of
/// Φ(z) = 1/2 the target goes to [`special::normal_quantile_from_center`] as Φ(z) − 1/2,
/// further out as the logarithm of the nearer tail, in each case formed as a sum of terms of
/// one sign where the window allows, so that a quantile next to the mean or far in a tail
/// keeps its relative precision. Working with the logarithm of the upper tail keeps windows
/// far out (say 8 to 9, or 40 to 41, standard deviations above the mean, where the tail
/// probability underflows) exact too.
fn truncated_standard_normal_quantile(lower: f64, upper: f64, p: f64) -> f64 {
    // An empty window or NaN bounds cannot come out of validation; the answers below keep
    // the function infallible all the same.
    if lower.is_nan() || upper.is_nan() {
        return 0.0;
    }
    if lower >= upper {
        return lower;
    }
    // Computing the complement once keeps it exact for p ≥ 1/2, and within a unit in the last
    // place otherwise, so that both p and 1 − p keep their relative precision.
    let complement = 1.0 - p;
    let z = if lower >= 0.0 {
        upper_window_quantile(lower, upper, p, complement)
    } else if upper <= 0.0 {
        -upper_window_quantile(-upper, -lower, complement, p)
    } else {
        // The masses of the window's two halves, Φ(0) − Φ(lower) and Φ(upper) − Φ(0).
        let below_mean = 0.5 * special::erf(-lower * FRAC_1_SQRT_2);
        let above_mean = 0.5 * special::erf(upper * FRAC_1_SQRT_2);
        let inside = below_mean + above_mean;
        let offset = p * inside - below_mean;
        if offset.abs() < special::CENTRAL_OFFSET {
            special::normal_quantile_from_center(offset)
        } else if offset > 0.0 {
            let upper_tail = special::normal_upper_tail(upper) + complement * inside;
            special::normal_upper_quantile_from_ln(upper_tail.max(SMALLEST_PROBABILITY).ln())
        } else {
            let lower_tail = special::normal_upper_tail(-lower) + p * inside;
            -special::normal_upper_quantile_from_ln(lower_tail.max(SMALLEST_PROBABILITY).ln())
        }
    };
    z.max(lower).min(upper)
}

/// The quantile at probability `p` (with `complement` = 1 − p) of the standard normal
/// distribution truncated from `lower` to `upper`, with 0 ≤ `lower` < `upper`.
///
/// With Q the upper tail and ρ = Q(upper)/Q(lower), the target z has Q(z) = Q(lower)·r where
/// r = 1 − p(1 − ρ) = (1 − p) + pρ. Near the mean it is found from
/// Φ(z) − 1/2 = (Φ(lower) − 1/2) + Q(lower)·p(1 − ρ), a sum of two positive terms; elsewhere
/// from ln Q(z) = ln Q(lower) + ln r, with r taken from whichever form has no cancellation,
/// without ever forming Q itself.
fn upper_window_quantile(lower: f64, upper: f64, p: f64, complement: f64) -> f64 {
    let ln_tail_lower = special::ln_normal_upper_tail(lower);
    let ln_ratio = special::ln_normal_upper_tail(upper) - ln_tail_lower;
    // 1 − ρ: the share of the tail beyond `lower` that lies inside the window.
    let inside_share = -ln_ratio.exp_m1();
    let offset = 0.5 * special::erf(lower * FRAC_1_SQRT_2)
        + special::normal_upper_tail(lower) * p * inside_share;
    if offset < special::CENTRAL_OFFSET {
        return special::normal_quantile_from_center(offset);
    }
    let ln_share = if p < 0.5 {
        (-p * inside_share).ln_1p()
    } else {
        (complement + p * ln_ratio.exp()).ln()
    };
    special::normal_upper_quantile_from_ln(ln_tail_lower + ln_share.max(SMALLEST_PROBABILITY.ln()))
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Fixed(value) => write!(f, "{value}"),
            Distribution::Uniform { low, high } => write!(f, "uniform({low}, {high})"),
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                write!(f, "normal(mean {mean}, sd {sd}")?;
                if let Some(low) = low {
                    write!(f, ", low {low}")?;
                }
                if let Some(high) = high {
                    write!(f, ", high {high}")?;
                }
                write!(f, ")")
            }
            Distribution::Beta {
                alpha,
                beta,
                low,
                high,
            } => write!(f, "beta({alpha}, {beta}) on [{low}, {high}]"),
            Distribution::Triangular { low, mode, high } => {
                write!(f, "triangular({low}, mode {mode}, {high})")
            }
        }
    }
}

/// One parameter of a scenario: where it was written and what it is drawn from.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// A stable dotted name such as `actors.VEN.growth`, used in reports and as the name of the
    /// parameter's random stream.
    pub key: String,
    /// The fixed value or the distribution each run draws it from.
    pub distribution: Distribution,
    /// The random stream it is drawn from: `param:` and its key.
    pub purpose: Purpose,
}

impl ParamSpec {
    /// A parameter named `key`, drawn from its own stream `param:KEY`.
    pub fn new(key: String, distribution: Distribution) -> ParamSpec {
        let purpose = Purpose::named(&format!("param:{key}"));
        ParamSpec {
            key,
            distribution,
            purpose,
        }
    }
}

/// Draws every parameter of a run into `values` (resized once, then reused). Each uncertain
/// parameter uses its own stream, so adding or removing one never changes another's draw.
pub fn draw_all(specs: &[ParamSpec], seed: u64, run: u64, values: &mut Vec<f64>) {
    values.clear();
    values.extend(specs.iter().map(|spec| match spec.distribution {
        Distribution::Fixed(value) => value,
        ref distribution => distribution.sample(&mut rng::stream(seed, run, spec.purpose)),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(distribution: Distribution, count: u64) -> Vec<f64> {
        (0..count)
            .map(|run| distribution.sample(&mut rng::stream(3, run, Purpose::named("test"))))
            .collect()
    }

    fn mean(values: &[f64]) -> f64 {
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn draws_stay_in_support_and_have_the_right_mean() {
        let cases = [
            (
                Distribution::Uniform {
                    low: 1.0,
                    high: 3.0,
                },
                2.0,
            ),
            (
                Distribution::Normal {
                    mean: 0.5,
                    sd: 0.1,
                    low: Some(0.0),
                    high: Some(1.0),
                },
                0.5,
            ),
            (
                Distribution::Beta {
                    alpha: 2.0,
                    beta: 6.0,
                    low: 0.0,
                    high: 2.0,
                },
                0.5,
            ),
            (
                Distribution::Triangular {
                    low: 0.0,
                    mode: 0.3,
                    high: 0.6,
                },
                0.3,
            ),
        ];
        for (distribution, expected_mean) in cases {
            let values = draws(distribution.clone(), 20_000);
            let (low, high) = distribution.support();
            assert!(
                values.iter().all(|v| (low..=high).contains(v)),
                "{distribution}"
            );
            let error = (mean(&values) - expected_mean).abs();
            assert!(error < 0.01, "{distribution}: mean off by {error}");
        }
    }

    #[test]
    fn truncated_normal_respects_one_sided_bound() {
        let values = draws(
            Distribution::Normal {
                mean: 0.0,
                sd: 1.0,
                low: Some(0.0),
                high: None,
            },
            5_000,
        );
        assert!(values.iter().all(|v| *v >= 0.0));
        // Half-normal mean is sd * sqrt(2 / pi) = 0.7979.
        assert!((mean(&values) - 0.7979).abs() < 0.03);
    }

    #[test]
    fn adding_a_parameter_does_not_shift_the_others() {
        let uncertain = |key: &str| {
            ParamSpec::new(
                key.into(),
                Distribution::Uniform {
                    low: 0.0,
                    high: 1.0,
                },
            )
        };
        let mut before = Vec::new();
        let mut after = Vec::new();
        draw_all(&[uncertain("a"), uncertain("c")], 9, 4, &mut before);
        draw_all(
            &[uncertain("a"), uncertain("b"), uncertain("c")],
            9,
            4,
            &mut after,
        );
        assert_eq!(before[0], after[0]);
        assert_eq!(before[1], after[2]);
        assert_ne!(after[1], after[2]);
    }

    fn normal(mean: f64, sd: f64, low: Option<f64>, high: Option<f64>) -> Distribution {
        Distribution::Normal {
            mean,
            sd,
            low,
            high,
        }
    }

    fn beta(alpha: f64, beta: f64, low: f64, high: f64) -> Distribution {
        Distribution::Beta {
            alpha,
            beta,
            low,
            high,
        }
    }

    /// Distributions for the shape tests: every kind, with the extreme cases of each (a pole at
    /// both ends, a spike at one end, windows far in the tails, a window narrower than a
    /// millionth of the standard deviation, one-sided bounds, no spread).
    fn shapes() -> Vec<Distribution> {
        vec![
            Distribution::Fixed(4.0),
            Distribution::Uniform {
                low: 0.1,
                high: 0.3,
            },
            Distribution::Triangular {
                low: 0.0,
                mode: 0.3,
                high: 0.6,
            },
            Distribution::Triangular {
                low: 0.0,
                mode: 0.0,
                high: 1.0,
            },
            Distribution::Triangular {
                low: -1.0,
                mode: 2.0,
                high: 2.0,
            },
            normal(0.0, 1.0, None, None),
            normal(0.5, 0.1, Some(0.0), Some(1.0)),
            normal(0.0, 1.0, Some(0.0), None),
            normal(1.0, 2.0, None, Some(1.5)),
            normal(0.0, 1.0, Some(8.0), Some(9.0)),
            normal(0.0, 1.0, Some(-9.0), Some(-8.0)),
            normal(0.0, 1.0, Some(40.0), Some(41.0)),
            normal(3.0, 1.0, Some(3.0 - 1e-6), Some(3.0 + 2e-6)),
            normal(2.0, 0.0, Some(1.0), Some(3.0)),
            beta(2.0, 6.0, 0.0, 2.0),
            beta(0.1, 0.1, 0.0, 1.0),
            beta(500.0, 2.0, -1.0, 1.0),
            beta(0.5, 300.0, 0.0, 10.0),
            beta(0.01, 5.0, 0.0, 1.0),
        ]
    }

    #[test]
    fn quantiles_match_scipy() {
        // Reference values: scipy 1.17.1 `ppf` (uniform, triang, norm, truncnorm, beta) at
        // p = 0, 0.1, 0.5, 0.9, 1, each checked against mpmath 1.4.1 at 50 digits, with which
        // they agree to 1e-12 relative or better. NaN marks an infinite scipy value (an
        // unbounded side, tested separately).
        let probabilities = [0.0, 0.1, 0.5, 0.9, 1.0];
        let cases = [
            (
                Distribution::Uniform {
                    low: 1.0,
                    high: 3.0,
                },
                [1.0, 1.2, 2.0, 2.8, 3.0],
            ),
            (
                Distribution::Triangular {
                    low: 0.0,
                    mode: 0.3,
                    high: 0.6,
                },
                [0.0, 0.13416407864998736, 0.3, 0.4658359213500126, 0.6],
            ),
            (
                Distribution::Triangular {
                    low: 0.0,
                    mode: 0.0,
                    high: 1.0,
                },
                [
                    0.0,
                    0.05131670194948623,
                    0.2928932188134524,
                    0.6837722339831621,
                    1.0,
                ],
            ),
            (
                Distribution::Triangular {
                    low: -1.0,
                    mode: 2.0,
                    high: 2.0,
                },
                [
                    -1.0,
                    -0.05131670194948623,
                    1.1213203435596428,
                    1.846049894151541,
                    2.0,
                ],
            ),
            (
                normal(0.5, 0.1, None, None),
                [
                    f64::NAN,
                    0.3718448434455399,
                    0.5,
                    0.6281551565544601,
                    f64::NAN,
                ],
            ),
            (
                normal(0.5, 0.1, Some(0.0), Some(1.0)),
                [0.0, 0.3718449741140557, 0.5, 0.6281550258859444, 1.0],
            ),
            (
                normal(0.0, 1.0, Some(0.0), None),
                [
                    0.0,
                    0.12566134685507402,
                    0.6744897501960817,
                    1.6448536269514729,
                    f64::NAN,
                ],
            ),
            (
                normal(1.0, 2.0, None, Some(1.5)),
                [
                    f64::NAN,
                    -2.1117210235578088,
                    -0.05252358512377575,
                    1.1950018145316252,
                    1.5,
                ],
            ),
            (
                normal(0.0, 1.0, Some(8.0), Some(9.0)),
                [
                    8.0,
                    8.012960571504212,
                    8.08488889901817,
                    8.278609037011552,
                    9.0,
                ],
            ),
            (
                normal(-3.0, 0.5, Some(-10.0), Some(-7.0)),
                [
                    -10.0,
                    -7.1394016708456,
                    -7.042455503695773,
                    -7.006481524803637,
                    -7.0,
                ],
            ),
            (
                beta(2.0, 6.0, 0.0, 2.0),
                [
                    0.0,
                    0.15764689232028253,
                    0.4569799270131914,
                    0.9051298867155994,
                    2.0,
                ],
            ),
            (
                beta(0.1, 0.1, 0.0, 1.0),
                [
                    0.0,
                    8.869280011934583e-08,
                    0.5000000000000001,
                    0.9999999113071999,
                    1.0,
                ],
            ),
            (
                beta(500.0, 2.0, -1.0, 1.0),
                [
                    -1.0,
                    0.9845168876540724,
                    0.9933045458544125,
                    0.9978760060760201,
                    1.0,
                ],
            ),
            (
                beta(0.5, 300.0, 0.0, 10.0),
                [
                    0.0,
                    0.00026339550643351734,
                    0.007585715900255887,
                    0.04502828669764905,
                    10.0,
                ],
            ),
        ];
        for (distribution, expected) in cases {
            for (p, expected) in probabilities.into_iter().zip(expected) {
                if expected.is_nan() {
                    continue;
                }
                let got = distribution.quantile(p);
                let error = (got - expected).abs() / expected.abs().max(1e-300);
                assert!(
                    error < 1e-10,
                    "{distribution} at {p}: {got}, expected {expected} (relative error {error:e})"
                );
            }
        }
    }

    #[test]
    fn quantiles_far_in_the_tails_match_mpmath() {
        // Reference values: the root of mpmath's `ncdf` (1.4.1, 50 digits) for the target
        // probability written in the tail on the window's side. scipy's truncnorm loses up to
        // six digits at such points, hence mpmath.
        let cases = [
            // A window 40 to 41 standard deviations above the mean, where the tail
            // probabilities (about 1e-350) are far below the smallest double.
            (
                normal(0.0, 1.0, Some(40.0), Some(41.0)),
                0.1,
                40.00263228320701,
            ),
            (
                normal(0.0, 1.0, Some(40.0), Some(41.0)),
                0.5,
                40.01731412676465,
            ),
            (
                normal(0.0, 1.0, Some(-41.0), Some(-40.0)),
                0.5,
                -40.01731412676465,
            ),
            // A half-normal next to its bound, where a tail's logarithm near ln(1/2) would be
            // off by 1e-4 relative.
            (
                normal(0.0, 1.0, Some(0.0), None),
                1e-12,
                1.2533141373155002e-12,
            ),
            (
                normal(0.0, 1.0, Some(0.0), None),
                1e-5,
                1.2533141373483121e-05,
            ),
            (normal(0.0, 1.0, None, None), 1e-300, -37.0470962993612),
        ];
        for (distribution, p, expected) in cases {
            let got = distribution.quantile(p);
            let error = ((got - expected) / expected).abs();
            assert!(
                error < 1e-13,
                "{distribution} at {p:e}: {got}, expected {expected} (relative error {error:e})"
            );
        }
    }

    #[test]
    fn quantiles_rise_with_probability_and_stay_in_support() {
        // A regular grid, and both tails down to 1e-300 and 1 − 1e-16 in quarter decades.
        let steps = 10_000;
        let mut probabilities: Vec<f64> = (0..=steps).map(|i| i as f64 / steps as f64).collect();
        probabilities.extend((4..=1200).map(|k| 10f64.powf(-k as f64 / 4.0)));
        probabilities.extend((4..=64).map(|k| 1.0 - 10f64.powf(-k as f64 / 4.0)));
        probabilities.sort_by(f64::total_cmp);
        for distribution in shapes() {
            let (low, high) = distribution.support();
            let mut previous = f64::NEG_INFINITY;
            for &p in &probabilities {
                let value = distribution.quantile(p);
                assert!(
                    value >= previous,
                    "{distribution}: {value} at {p} after {previous}"
                );
                assert!(
                    (low..=high).contains(&value) && value.is_finite(),
                    "{distribution}: {value} at {p} outside [{low}, {high}]"
                );
                previous = value;
            }
        }
    }

    #[test]
    fn quantile_ends_are_the_support_or_finite() {
        for distribution in shapes() {
            let (low, high) = distribution.support();
            let (first, last) = (distribution.quantile(0.0), distribution.quantile(1.0));
            if low.is_finite() {
                assert_eq!(first, low, "{distribution}");
            }
            if high.is_finite() {
                assert_eq!(last, high, "{distribution}");
            }
            assert!(first.is_finite() && last.is_finite(), "{distribution}");
        }
        // An unbounded side gives the quantile of the smallest positive double: mpmath's root
        // of ncdf(z) = 4.94e-324 is −38.467405617144344.
        let standard = normal(0.0, 1.0, None, None);
        assert!((standard.quantile(0.0) + 38.467405617144344).abs() < 1e-13);
        assert!((standard.quantile(1.0) - 38.467405617144344).abs() < 1e-13);
        assert!(standard.quantile(0.0) < standard.quantile(1e-300));
    }

    #[test]
    fn quantile_takes_any_probability() {
        for distribution in shapes() {
            let median = distribution.quantile(0.5);
            assert_eq!(distribution.quantile(f64::NAN), median, "{distribution}");
            let first = distribution.quantile(0.0);
            let last = distribution.quantile(1.0);
            for below in [-1e-300, -0.5, -7.0, f64::NEG_INFINITY] {
                assert_eq!(distribution.quantile(below), first, "{distribution}");
            }
            for above in [1.0 + 1e-15, 2.0, f64::INFINITY] {
                assert_eq!(distribution.quantile(above), last, "{distribution}");
            }
        }
        // No spread: the mean, whatever the probability.
        let point = normal(2.0, 0.0, None, Some(5.0));
        for p in [0.0, 1e-9, 0.3, 1.0] {
            assert_eq!(point.quantile(p), 2.0);
        }
        assert_eq!(Distribution::Fixed(-1.5).quantile(0.7), -1.5);
    }

    #[test]
    fn quantiles_describe_the_distribution_that_sample_draws() {
        // The quantile function at a fine regular grid of probabilities is the distribution
        // itself, discretised; the sampler's draws must come from the same one. Compare means
        // and the Kolmogorov-Smirnov distance between the draws and the grid: with 10,000
        // draws, 0.0195 is the 0.1% critical value (1.95/√n), and the grid's own step adds
        // 5e-5.
        let cases = [
            Distribution::Uniform {
                low: 1.0,
                high: 3.0,
            },
            normal(0.5, 0.1, Some(0.0), Some(1.0)),
            normal(0.0, 1.0, Some(0.0), None),
            normal(1.0, 2.0, Some(-3.0), Some(1.5)),
            beta(2.0, 6.0, 0.0, 2.0),
            beta(0.5, 0.5, -1.0, 1.0),
            Distribution::Triangular {
                low: 0.0,
                mode: 0.3,
                high: 0.6,
            },
        ];
        let grid_size = 20_000;
        for distribution in cases {
            let grid: Vec<f64> = (0..grid_size)
                .map(|i| distribution.quantile((i as f64 + 0.5) / grid_size as f64))
                .collect();
            let mut sample = draws(distribution.clone(), 10_000);
            sample.sort_by(f64::total_cmp);
            let (low, high) = distribution.support();
            let scale = grid[grid_size - 1] - grid[0];
            let mean_gap = (mean(&grid) - mean(&sample)).abs();
            assert!(
                mean_gap < 0.02 * scale,
                "{distribution}: means differ by {mean_gap} (support [{low}, {high}])"
            );
            let mut distance = 0.0_f64;
            for (rank, value) in sample.iter().enumerate() {
                let below_in_grid = grid.partition_point(|g| g <= value) as f64 / grid_size as f64;
                let before = rank as f64 / sample.len() as f64;
                let after = (rank + 1) as f64 / sample.len() as f64;
                distance = distance
                    .max((below_in_grid - before).abs())
                    .max((below_in_grid - after).abs());
            }
            assert!(
                distance < 0.0195 + 5e-5,
                "{distribution}: Kolmogorov-Smirnov distance {distance}"
            );
        }
    }
}
