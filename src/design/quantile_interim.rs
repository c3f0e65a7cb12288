//! Interim quantile functions until the exact ones land (being written beside this work).
use crate::param::Distribution;
impl Distribution {
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
            Distribution::Normal { mean, sd, .. } => mean + sd * crate::stats::normal_quantile(p),
            Distribution::Beta { low, high, .. } => low + (high - low) * p,
        }
    }
}
