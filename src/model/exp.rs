//! A branch-free `exp` for `f32` lanes, for the substitution logit's weights.
//!
//! Method (as in Cephes' `expf`): write x = k·ln 2 + r with k = round(x / ln 2) and
//! |r| ≤ ln 2 / 2, take e^r from a degree-6 polynomial, and scale by 2^k through the exponent
//! bits. ln 2 is split into a high and a low part (Cody and Waite) so that r is exact to `f32`
//! precision. The relative error is below 2·10⁻⁷ on [−87, 0]; the unit test checks it against
//! `f64::exp`. It uses only `f32` additions, multiplications and conversions, never a fused
//! multiply-add, so every x86-64 machine gives the same bits; and it is plain arithmetic on
//! arrays, which the compiler turns into vector instructions.

/// Below this, e^x is under `f32`'s smallest normal number and is returned as 0.
const LOWEST: f32 = -87.0;

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `k · LN2_HIGH` is exact for the k that occur (|k| ≤ 126).
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;

/// 1.5·2²³: adding it to a float of magnitude below 2²² rounds it to an integer.
const ROUNDING: f32 = 12_582_912.0;

/// Cephes' `expf` coefficients for e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln 2 / 2.
const P0: f32 = 1.987_569_1e-4;
const P1: f32 = 1.398_199_9e-3;
const P2: f32 = 8.333_452e-3;
const P3: f32 = 4.166_579_6e-2;
const P4: f32 = 1.666_666_5e-1;
const P5: f32 = 0.5;

/// e^x for x ≤ 0 (larger x are treated as 0, where e^x = 1); 0 below [`LOWEST`].
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    let x = x.min(0.0);
    let underflow = x < LOWEST;
    let x = x.max(LOWEST);
    // k = round(x·log₂e), to nearest even, by adding and removing 1.5·2²³: the sum's last
    // mantissa bits then hold k, read back as an integer without a float-to-int conversion
    // (whose saturating semantics would keep the compiler from using vector instructions).
    let shifted = x * LOG2_E + ROUNDING;
    let k_float = shifted - ROUNDING;
    let k = shifted.to_bits().wrapping_sub(ROUNDING.to_bits()) as i32;
    let r = (x - k_float * LN2_HIGH) - k_float * LN2_LOW;
    let polynomial = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
    let e_r = polynomial * r * r + r + 1.0;
    let scale = f32::from_bits((k.wrapping_add(127) as u32) << 23);
    if underflow { 0.0 } else { e_r * scale }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_exponential_to_two_parts_in_ten_million() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x <= 0.0 {
            let exact = f64::from(x).exp();
            let got = f64::from(exp_nonpositive(x));
            worst = worst.max(((got - exact) / exact).abs());
            x += 0.000_37;
        }
        assert!(worst < 2e-7, "worst relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-100.0), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive(3.0), 1.0);
    }
}
