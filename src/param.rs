//! Numeric parameters that may be uncertain: a fixed number or a distribution drawn once per run.

use std::fmt;

use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution as _, StandardNormal, Triangular};

use crate::rng::{self, Purpose};

/// Index of a parameter in [`crate::scenario::Scenario::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub u32);

/// How many rejected draws a truncated normal may take before falling back to a uniform draw
/// over its bounds. Rejection keeps the exact distribution whenever the bounds hold a
/// reasonable share of the mass; the fallback only matters for windows far narrower than the
/// standard deviation, where the truncated normal is nearly uniform anyway.
const TRUNCATED_NORMAL_MAX_TRIES: u32 = 1000;

/// A parameter's value or the distribution it is drawn from. Validation guarantees the
/// invariants noted on each variant, so sampling never fails.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Fixed(f64),
    /// `low < high`.
    Uniform {
        low: f64,
        high: f64,
    },
    /// `sd >= 0`, optional bounds with `low < high` and the mean inside them.
    Normal {
        mean: f64,
        sd: f64,
        low: Option<f64>,
        high: Option<f64>,
    },
    /// `alpha, beta > 0`, rescaled from `[0, 1]` to `[low, high]`, `low < high`.
    Beta {
        alpha: f64,
        beta: f64,
        low: f64,
        high: f64,
    },
    /// `low <= mode <= high`, `low < high`.
    Triangular {
        low: f64,
        mode: f64,
        high: f64,
    },
}

impl Distribution {
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
    pub distribution: Distribution,
    pub purpose: Purpose,
}

impl ParamSpec {
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
}
