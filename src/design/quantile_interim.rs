//! Quantile functions (inverse distribution functions) of the parameter distributions, as the
//! designs need them. Interim: exact for fixed, uniform and triangular parameters; the
//! truncated normal's uses a normal distribution function accurate to about 1e-7 (Numerical
//! Recipes' `erfcc`) and Acklam's inverse; beta parameters are refused by
//! `Experiment::new` until an exact inverse incomplete beta function lands.

use crate::param::Distribution;
use crate::stats::normal_quantile;

/// The standard normal distribution function, from the complementary error function of
/// Numerical Recipes (2nd ed., §6.2, `erfcc`: fractional error below 1.2e-7 everywhere).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x);
    let polynomial = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let complement = t * polynomial.exp();
    if z >= 0.0 {
        1.0 - 0.5 * complement
    } else {
        0.5 * complement
    }
}

impl Distribution {
    /// The value below which a draw falls with probability `probability` (clamped to [0, 1];
    /// NaN gives the median), inside [`Distribution::support`].
    pub fn quantile(&self, probability: f64) -> f64 {
        let p = if probability.is_nan() {
            0.5
        } else {
            probability.clamp(0.0, 1.0)
        };
        match *self {
            Distribution::Fixed(value) => value,
            Distribution::Uniform { low, high } => low + (high - low) * p,
            Distribution::Triangular { low, mode, high } => {
                let cut = (mode - low) / (high - low);
                if p < cut {
                    low + ((high - low) * (mode - low) * p).sqrt()
                } else {
                    high - ((high - low) * (high - mode) * (1.0 - p)).sqrt()
                }
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                if sd == 0.0 {
                    return mean;
                }
                let below = low.map_or(0.0, |low| normal_cdf((low - mean) / sd));
                let above = high.map_or(1.0, |high| normal_cdf((high - mean) / sd));
                let inner = (below + p * (above - below)).clamp(f64::MIN_POSITIVE, 1.0 - 1e-16);
                let value = mean + sd * normal_quantile(inner);
                value.clamp(
                    low.unwrap_or(f64::NEG_INFINITY),
                    high.unwrap_or(f64::INFINITY),
                )
            }
            // Refused by `Experiment::new`; the midpoint keeps this function infallible.
            Distribution::Beta { low, high, .. } => low + (high - low) * p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_invert_the_distribution_functions() {
        // Φ(1.959964) = 0.975 (tables).
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 2e-7);
        let truncated = Distribution::Normal {
            mean: 0.055,
            sd: 0.01,
            low: Some(0.03),
            high: Some(0.08),
        };
        assert!((truncated.quantile(0.5) - 0.055).abs() < 1e-6);
        assert!(truncated.quantile(1e-12) >= 0.03 && truncated.quantile(1.0) <= 0.08);
        let triangular = Distribution::Triangular {
            low: 0.0,
            mode: 0.25,
            high: 1.0,
        };
        // F(0.25) = 0.25 at the mode.
        assert!((triangular.quantile(0.25) - 0.25).abs() < 1e-12);
        assert_eq!(
            Distribution::Uniform {
                low: 1.0,
                high: 3.0
            }
            .quantile(0.25),
            1.5
        );
        let grid: Vec<f64> = (0..=100)
            .map(|i| truncated.quantile(i as f64 / 100.0))
            .collect();
        assert!(grid.windows(2).all(|pair| pair[0] <= pair[1]));
    }
}
