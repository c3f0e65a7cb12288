//! Special functions behind the exact quantile functions of `param`: the error function and the
//! normal distribution's tails, the logarithm of the gamma function, and the regularized
//! incomplete beta function with its inverse.
//!
//! Methods, with where they come from:
//! - **Error function.** W. J. Cody (1969), "Rational Chebyshev approximations for the error
//!   function", Mathematics of Computation 23, 631–637, as coded in his routine CALERF
//!   (SPECFUN on Netlib; Cody 1993, ACM TOMS 715). Three rational approximations, for
//!   |x| ≤ 0.46875, for |x| ≤ 4 and beyond, each accurate to about 18 significant digits, so a
//!   double comes out within a few units in the last place. The same routine gives the scaled
//!   complement erfcx(x) = exp(x²)·erfc(x), which lets the normal tail be written as a
//!   logarithm without ever underflowing.
//! - **Normal distribution.** Φ(x) and the upper tail Q(x) = 1 − Φ(x) = Φ(−x) from erfc, each
//!   tail computed directly rather than as one minus the other, so that small tail
//!   probabilities keep their relative precision. The quantile starts from Acklam's (2003)
//!   approximation (`stats::normal_quantile`, relative error about 1e-9) and refines it by
//!   Newton's method (rather than Halley's: two or three Newton steps already reach full
//!   precision). In the tails the equation solved is ln Q(z) = ln q: the logarithm keeps the
//!   iteration free of underflow however far out the target lies, and because the normal
//!   distribution is log-concave (ln Q is concave), Newton's method cannot overshoot: every
//!   iterate after the first lies above the root and decreases towards it. Within a quarter
//!   of the median (|z| < 0.674) it is erf(z/√2)/2 = p − 1/2 instead, which keeps the relative
//!   precision of a z close to 0 that the logarithm, near ln(1/2), would lose.
//! - **ln Γ.** Lanczos's (1964) approximation with the coefficients of Godfrey (g = 607/128,
//!   fourteen terms) as printed in Numerical Recipes, 3rd edition (Press, Teukolsky, Vetterling
//!   and Flannery 2007), §6.1, `gammln`. The correction to Stirling's formula, which the
//!   incomplete beta function needs with absolute precision, comes from Stirling's series from
//!   10 on and from this ln Γ below.
//! - **Regularized incomplete beta I_x(a, b).** The continued fraction of Numerical Recipes
//!   §6.4 (`betacf`, after Abramowitz and Stegun 26.5.8), evaluated by the modified Lentz
//!   method, on whichever side of the distribution's bulk converges fast. The factor
//!   x^a·(1 − x)^b / B(a, b) in front of it is computed as DiDonato and Morris (1992, ACM
//!   TOMS 708, routine `brcomp`) do: around the mean a/(a + b), with Stirling's series for
//!   the large parts of the gamma functions, so that large a and b (hundreds, thousands) do not
//!   lose digits to cancellation between logarithms of the size of a·ln a.
//! - **Inverse of I_x(a, b).** The initial guess and Halley iteration of Numerical Recipes'
//!   `invbetai` (the guess is Abramowitz and Stegun 26.5.22 when a, b ≥ 1 and a power law in the
//!   nearer tail otherwise), solved for whichever of x and 1 − x is below 1/2 and compared with
//!   whichever of p and 1 − p is the smaller, so that roots and targets near 0 and near 1
//!   keep their relative precision. The iteration is kept inside a bracket that shrinks at
//!   every step, with a bisection in the logarithm whenever a Halley step would leave the
//!   bracket or fails to halve the step before it (Numerical Recipes' `rtsafe` rule), so that
//!   it always converges and always stays in [0, 1].

// The coefficients below are written with all the digits their sources publish (18 to 21),
// more than a double holds, so that each can be checked against the source digit for digit.
#![allow(clippy::excessive_precision)]

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, LN_2};

use crate::stats;

/// 1/√π, the leading coefficient of erfc's asymptotic expansion (Cody's SQRPI).
const FRAC_1_SQRT_PI: f64 = FRAC_2_SQRT_PI / 2.0;

/// √(2/π): the ratio φ(z)/Q(z) is this over erfcx(z/√2).
const SQRT_2_OVER_PI: f64 = FRAC_2_SQRT_PI * FRAC_1_SQRT_2;

/// ln √(2π), the constant of Stirling's formula.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_741_78;

/// Up to this |x| erf is x times a rational function of x² (Cody's THRESH).
const ERF_SMALL: f64 = 0.46875;

/// Up to this |x| erfc is exp(−x²) times a rational function of x; beyond it, of 1/x².
const ERF_MIDDLE: f64 = 4.0;

/// Below this |x|, x² vanishes next to 1 in the first approximation (Cody's XSMALL).
const ERF_TINY: f64 = 1.11e-16;

/// From this x on, erfc(x) underflows to zero (Cody's XBIG for IEEE doubles).
const ERFC_UNDERFLOW: f64 = 26.543;

/// From this x on, erfcx(x) is 1/(x√π) to double precision (Cody's XHUGE).
const ERFCX_ASYMPTOTIC: f64 = 6.71e7;

/// From this x on, erfcx(x) underflows to zero (Cody's XMAX).
const ERFCX_UNDERFLOW: f64 = 2.53e307;

/// Below this x, erfcx(x) ≈ 2·exp(x²) overflows (Cody's XNEG).
const ERFCX_OVERFLOW: f64 = -26.628;

/// Cody's first approximation: erf(x) = x·P(x²)/Q(x²) for |x| ≤ 0.46875. Numerator
/// coefficients, the last being the highest power.
const ERF_A: [f64; 5] = [
    3.161_123_743_870_565_60e0,
    1.138_641_541_510_501_56e2,
    3.774_852_376_853_020_21e2,
    3.209_377_589_138_469_47e3,
    1.857_777_061_846_031_53e-1,
];

/// Denominator coefficients of the first approximation (its leading coefficient is 1).
const ERF_B: [f64; 4] = [
    2.360_129_095_234_412_09e1,
    2.440_246_379_344_441_73e2,
    1.282_616_526_077_372_28e3,
    2.844_236_833_439_170_62e3,
];

/// Cody's second approximation: erfcx(x) = P(x)/Q(x) for 0.46875 < x ≤ 4. Numerator
/// coefficients.
const ERF_C: [f64; 9] = [
    5.641_884_969_886_700_89e-1,
    8.883_149_794_388_375_94e0,
    6.611_919_063_714_162_95e1,
    2.986_351_381_974_001_31e2,
    8.819_522_212_417_690_90e2,
    1.712_047_612_634_070_58e3,
    2.051_078_377_826_071_47e3,
    1.230_339_354_797_997_25e3,
    2.153_115_354_744_038_46e-8,
];

/// Denominator coefficients of the second approximation.
const ERF_D: [f64; 8] = [
    1.574_492_611_070_983_47e1,
    1.176_939_508_913_124_99e2,
    5.371_811_018_620_098_58e2,
    1.621_389_574_566_690_19e3,
    3.290_799_235_733_459_63e3,
    4.362_619_090_143_247_16e3,
    3.439_367_674_143_721_64e3,
    1.230_339_354_803_749_42e3,
];

/// Cody's third approximation: erfcx(x) = (1/√π − R(1/x²)/x²)/x for x > 4, with R = P/Q.
/// Numerator coefficients.
const ERF_P: [f64; 6] = [
    3.053_266_349_612_323_44e-1,
    3.603_448_999_498_044_39e-1,
    1.257_817_261_112_292_46e-1,
    1.608_378_514_874_227_66e-2,
    6.587_491_615_298_378_03e-4,
    1.631_538_713_730_209_78e-2,
];

/// Denominator coefficients of the third approximation.
const ERF_Q: [f64; 5] = [
    2.568_520_192_289_822_42e0,
    1.872_952_849_923_460_47e0,
    5.279_051_029_514_284_12e-1,
    6.051_834_131_244_131_91e-2,
    2.335_204_976_268_691_85e-3,
];

/// Which of the three related functions `calerf` returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorFunction {
    Erf,
    Erfc,
    /// exp(x²)·erfc(x).
    ScaledErfc,
}

/// exp(−x²) without the error that rounding x² would bring: x is split as s + (x − s) with
/// s = x rounded down to a multiple of 1/16, whose square is exact, and the rest,
/// (x − s)(x + s), is small, so each exponential is accurate (Cody's device in CALERF).
fn exp_minus_square(x: f64) -> f64 {
    let split = (x * 16.0).trunc() / 16.0;
    let rest = (x - split) * (x + split);
    (-split * split).exp() * (-rest).exp()
}

/// exp(x²), split as in [`exp_minus_square`].
fn exp_square(x: f64) -> f64 {
    let split = (x * 16.0).trunc() / 16.0;
    let rest = (x - split) * (x + split);
    (split * split).exp() * rest.exp()
}

/// exp(−x²/2), split as in [`exp_minus_square`]; halving the exact square keeps it exact.
fn exp_minus_half_square(x: f64) -> f64 {
    if x.is_infinite() {
        // The split would subtract infinities.
        return 0.0;
    }
    let split = (x * 16.0).trunc() / 16.0;
    let rest = (x - split) * (x + split);
    (-0.5 * split * split).exp() * (-0.5 * rest).exp()
}

/// Cody's CALERF: erf, erfc or erfcx at `x`, all from the same three approximations.
fn calerf(x: f64, function: ErrorFunction) -> f64 {
    let y = x.abs();
    if y <= ERF_SMALL {
        let square = if y > ERF_TINY { y * y } else { 0.0 };
        let mut numerator = ERF_A[4] * square;
        let mut denominator = square;
        for (a, b) in ERF_A.iter().zip(&ERF_B).take(3) {
            numerator = (numerator + a) * square;
            denominator = (denominator + b) * square;
        }
        let erf = x * (numerator + ERF_A[3]) / (denominator + ERF_B[3]);
        return match function {
            ErrorFunction::Erf => erf,
            ErrorFunction::Erfc => 1.0 - erf,
            ErrorFunction::ScaledErfc => square.exp() * (1.0 - erf),
        };
    }
    let scaled = function == ErrorFunction::ScaledErfc;
    // erfc(|x|), or erfcx(|x|) when scaled; the sign is dealt with below.
    let tail = if y <= ERF_MIDDLE {
        let mut numerator = ERF_C[8] * y;
        let mut denominator = y;
        for (c, d) in ERF_C.iter().zip(&ERF_D).take(7) {
            numerator = (numerator + c) * y;
            denominator = (denominator + d) * y;
        }
        let ratio = (numerator + ERF_C[7]) / (denominator + ERF_D[7]);
        if scaled {
            ratio
        } else {
            ratio * exp_minus_square(y)
        }
    } else if y >= ERFC_UNDERFLOW && (!scaled || y >= ERFCX_UNDERFLOW) {
        0.0
    } else if y >= ERFCX_ASYMPTOTIC {
        FRAC_1_SQRT_PI / y
    } else {
        let inverse_square = 1.0 / (y * y);
        let mut numerator = ERF_P[5] * inverse_square;
        let mut denominator = inverse_square;
        for (p, q) in ERF_P.iter().zip(&ERF_Q).take(4) {
            numerator = (numerator + p) * inverse_square;
            denominator = (denominator + q) * inverse_square;
        }
        let correction = inverse_square * (numerator + ERF_P[4]) / (denominator + ERF_Q[4]);
        let ratio = (FRAC_1_SQRT_PI - correction) / y;
        if scaled {
            ratio
        } else {
            ratio * exp_minus_square(y)
        }
    };
    match function {
        ErrorFunction::Erf => {
            let erf = (0.5 - tail) + 0.5;
            if x < 0.0 { -erf } else { erf }
        }
        ErrorFunction::Erfc => {
            if x < 0.0 {
                2.0 - tail
            } else {
                tail
            }
        }
        ErrorFunction::ScaledErfc => {
            if x >= 0.0 {
                tail
            } else if x < ERFCX_OVERFLOW {
                f64::INFINITY
            } else {
                2.0 * exp_square(x) - tail
            }
        }
    }
}

/// The error function, erf(x) = (2/√π) ∫₀ˣ exp(−t²) dt.
pub fn erf(x: f64) -> f64 {
    calerf(x, ErrorFunction::Erf)
}

/// The complementary error function, erfc(x) = 1 − erf(x), with full relative precision in
/// its tail (it underflows to zero beyond x ≈ 26.5).
pub fn erfc(x: f64) -> f64 {
    calerf(x, ErrorFunction::Erfc)
}

/// The scaled complementary error function, erfcx(x) = exp(x²)·erfc(x), which behaves like
/// 1/(x√π) for large x instead of underflowing (infinite below x ≈ −26.6, where it overflows).
pub fn erfcx(x: f64) -> f64 {
    calerf(x, ErrorFunction::ScaledErfc)
}

/// Below this z, Q(z) is computed as erfc(z/√2)/2 directly; from it on, as
/// erfcx(z/√2)·exp(−z²/2)/2, where the exponential is taken from the unrounded square. In the
/// first range rounding z/√2 costs at most a few units in the last place; in the second it
/// would cost z² of them, which the split exponential avoids.
const NORMAL_TAIL_SPLIT: f64 = 1.0;

/// The standard normal distribution function Φ(x), each half from its own tail so that
/// Φ(−8) ≈ 6.2e-16 keeps all its digits.
pub fn normal_cdf(x: f64) -> f64 {
    if x < 0.0 {
        normal_upper_tail(-x)
    } else {
        1.0 - normal_upper_tail(x)
    }
}

/// The standard normal upper tail Q(x) = 1 − Φ(x) = Φ(−x), with full relative precision
/// until it underflows (beyond x ≈ 38.5).
pub fn normal_upper_tail(x: f64) -> f64 {
    if x < NORMAL_TAIL_SPLIT {
        0.5 * erfc(x * FRAC_1_SQRT_2)
    } else {
        0.5 * erfcx(x * FRAC_1_SQRT_2) * exp_minus_half_square(x)
    }
}

/// ln Q(x), the logarithm of the standard normal upper tail, finite however large x is (it is
/// about −x²/2 far out), and −∞ only at x = +∞.
pub fn ln_normal_upper_tail(x: f64) -> f64 {
    if x >= 0.0 {
        (0.5 * erfcx(x * FRAC_1_SQRT_2)).ln() - 0.5 * x * x
    } else {
        // Q(x) is 1 minus the small upper tail at −x; ln(1 − t) keeps t's digits.
        (-normal_upper_tail(-x)).ln_1p()
    }
}

/// Below this logarithm of a tail probability, Acklam's approximation is not used for the
/// starting point: exp of it would underflow. √(−2·ln q) starts Newton's method instead; it
/// lies above the root, where concavity guarantees convergence.
const LN_ACKLAM_FLOOR: f64 = -700.0;

/// At most this many Newton steps for a normal quantile. Two or three suffice from Acklam's
/// starting point and about six from √(−2·ln q); the cap only guards against rounding noise
/// that never settles.
const NORMAL_QUANTILE_MAX_STEPS: usize = 50;

/// The z whose standard normal upper tail has logarithm `ln_tail`: ln Q(z) = ln_tail, for
/// ln_tail ≤ 0. Taking the logarithm of the target lets the caller name tails far below the
/// smallest double (ln_tail = −10 000 gives z ≈ 141.4). Returns −∞ for ln_tail ≥ 0 and +∞
/// for ln_tail = −∞.
pub fn normal_upper_quantile_from_ln(ln_tail: f64) -> f64 {
    if ln_tail.is_nan() {
        return f64::NAN;
    }
    if ln_tail >= 0.0 {
        return f64::NEG_INFINITY;
    }
    if ln_tail == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    if ln_tail > -LN_2 {
        // A tail above one half: the root is negative, and by symmetry it is minus the root
        // for the complementary tail 1 − Q = −expm1(ln Q), which expm1 keeps precise.
        return -normal_upper_quantile_from_ln((-ln_tail.exp_m1()).ln());
    }
    let mut z = if ln_tail > LN_ACKLAM_FLOOR {
        -stats::normal_quantile(ln_tail.exp())
    } else {
        (-2.0 * ln_tail).sqrt()
    };
    for _ in 0..NORMAL_QUANTILE_MAX_STEPS {
        // Newton's step for ln Q(z) = ln_tail: the derivative of ln Q is −φ(z)/Q(z), which is
        // −√(2/π)/erfcx(z/√2) and so never underflows.
        let step = (ln_normal_upper_tail(z) - ln_tail) * erfcx(z * FRAC_1_SQRT_2) / SQRT_2_OVER_PI;
        z += step;
        if step.is_nan() || step.abs() <= f64::EPSILON * z.abs() {
            break;
        }
    }
    z
}

/// Within this distance of the median, in probability, a normal quantile is found from the
/// offset Φ(z) − 1/2 = erf(z/√2)/2 rather than from the logarithm of a tail (|z| < 0.674). A
/// tail's logarithm, near ln(1/2), carries an absolute rounding error of about 1e-16, which
/// is all of a z close to 0; erf keeps such a z's relative precision.
pub const CENTRAL_OFFSET: f64 = 0.25;

/// At most this many Newton steps on erf near the median; two or three suffice.
const CENTRAL_MAX_STEPS: usize = 20;

/// Below this |offset| the central Newton iteration starts from the linear approximation
/// z ≈ √(2π)·offset (relative error offset², negligible) instead of Acklam's, whose argument
/// 1/2 + offset would round away offset's low digits.
const CENTRAL_LINEAR_START: f64 = 1e-3;

/// The z with Φ(z) = 1/2 + `offset`, for −1/2 ≤ offset ≤ 1/2, with full relative precision
/// even for a tiny offset (a quantile next to the median). Returns ∓∞ at offset = ∓1/2 and NaN
/// beyond.
pub fn normal_quantile_from_center(offset: f64) -> f64 {
    if !(-0.5..=0.5).contains(&offset) {
        return f64::NAN;
    }
    if offset > CENTRAL_OFFSET {
        // 1/2 − offset is exact for offset in [1/4, 1/2].
        return normal_upper_quantile_from_ln((0.5 - offset).ln());
    }
    if offset < -CENTRAL_OFFSET {
        return -normal_upper_quantile_from_ln((0.5 + offset).ln());
    }
    let mut z = if offset.abs() < CENTRAL_LINEAR_START {
        offset * SQRT_2PI
    } else {
        stats::normal_quantile(0.5 + offset)
    };
    for _ in 0..CENTRAL_MAX_STEPS {
        // Newton's step for erf(z/√2)/2 = offset; the derivative is the density φ(z).
        let density = exp_minus_half_square(z) / SQRT_2PI;
        let step = (0.5 * erf(z * FRAC_1_SQRT_2) - offset) / density;
        z -= step;
        if step.is_nan() || step.abs() <= f64::EPSILON * z.abs() {
            break;
        }
    }
    z
}

/// The standard normal quantile Φ⁻¹(p) to full double precision: Acklam's approximation
/// refined by Newton's method, on erf near the median and on the logarithm of the nearer tail
/// elsewhere (see the module documentation). Returns ∓∞ at p = 0 and 1, NaN outside [0, 1].
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p < 0.5 - CENTRAL_OFFSET {
        -normal_upper_quantile_from_ln(p.ln())
    } else if p > 0.5 + CENTRAL_OFFSET {
        // 1 − p is exact for p in [1/2, 1].
        normal_upper_quantile_from_ln((1.0 - p).ln())
    } else {
        // p − 1/2 is exact for p in [1/4, 3/4].
        normal_quantile_from_center(p - 0.5)
    }
}

/// Lanczos's g for Godfrey's coefficients, plus one half: the shift in (x + g + 1/2).
const LANCZOS_SHIFT: f64 = 5.242_187_5;

/// The constant term of the Lanczos series.
const LANCZOS_CONSTANT: f64 = 0.999_999_999_999_997_092;

/// √(2π), the factor in front of the Lanczos series.
const SQRT_2PI: f64 = 2.506_628_274_631_000_5;

/// Godfrey's coefficients of the Lanczos series (Numerical Recipes, 3rd edition, `gammln`).
const LANCZOS_COEFFICIENTS: [f64; 14] = [
    57.156_235_665_862_923_5,
    -59.597_960_355_475_491_2,
    14.136_097_974_741_747_1,
    -0.491_913_816_097_620_199,
    0.339_946_499_848_118_887e-4,
    0.465_236_289_270_485_756e-4,
    -0.983_744_753_048_795_646e-4,
    0.158_088_703_224_912_494e-3,
    -0.210_264_441_724_104_883e-3,
    0.217_439_618_115_212_643e-3,
    -0.164_318_106_536_763_890e-3,
    0.844_182_239_838_527_433e-4,
    -0.261_908_384_015_814_087e-4,
    0.368_991_826_595_316_234e-5,
];

/// ln Γ(x) for x > 0 (NaN otherwise) by the Lanczos approximation; absolute error about
/// 1e-15, which is also the relative error away from x = 1 and x = 2 where ln Γ vanishes.
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let shifted = x + LANCZOS_SHIFT;
    let leading = (x + 0.5) * shifted.ln() - shifted;
    let mut series = LANCZOS_CONSTANT;
    let mut denominator = x;
    for coefficient in LANCZOS_COEFFICIENTS {
        denominator += 1.0;
        series += coefficient / denominator;
    }
    leading + (SQRT_2PI * series / x).ln()
}

/// From this argument on, the Stirling correction comes from its asymptotic series, whose
/// eight terms are then accurate to about 2e-18; below it, from ln Γ.
const STIRLING_SERIES_FROM: f64 = 10.0;

/// Coefficients B₂ₖ/(2k(2k − 1)) of Stirling's series, k = 1 to 8, the Bernoulli numbers
/// B₂ₖ divided by 2k(2k − 1): ln Γ(x) = (x − ½)ln x − x + ln√(2π) + Σ c_k / x^(2k−1).
const STIRLING_COEFFICIENTS: [f64; 8] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360_360.0,
    1.0 / 156.0,
    -3617.0 / 122_400.0,
];

/// The correction δ(x) = ln Γ(x) − [(x − ½)ln x − x + ln√(2π)] to Stirling's formula, with
/// absolute precision: small (1/(12x)) for large x, where it is summed from its series, so
/// that subtracting the large parts of several ln Γ values can be done exactly by hand.
fn stirling_correction(x: f64) -> f64 {
    if x >= STIRLING_SERIES_FROM {
        let inverse_square = 1.0 / (x * x);
        let sum = STIRLING_COEFFICIENTS
            .iter()
            .rev()
            .fold(0.0, |sum, coefficient| sum * inverse_square + coefficient);
        sum / x
    } else {
        ln_gamma(x) - ((x - 0.5) * x.ln() - x + LN_SQRT_2PI)
    }
}

/// From this ratio up, the logarithm of x/m or (1 − x)/n in [`ln_power_terms`] is taken as
/// ln_1p of its difference from 1, which is exact to rounding however large the ratio; below
/// it, where ln_1p would lose the ratio's digits to cancellation, as a difference of
/// logarithms.
const RATIO_FOR_LN_1P: f64 = 0.5;

/// ln[x^a·(1 − x)^b / B(a, b)], the factor in front of the continued fraction, for 0 < x < 1.
///
/// Written plainly, ln Γ(a + b) − ln Γ(a) − ln Γ(b) + a·ln x + b·ln(1 − x) adds and subtracts
/// terms of the size of a·ln a; for a and b in the hundreds that loses several digits. With
/// the mean m = a/(a + b) and n = 1 − m, Stirling's formula turns it exactly into
/// a·ln(x/m) + b·ln((1 − x)/n) + ½·ln(ab/(a + b)) − ln√(2π) + δ(a + b) − δ(a) − δ(b),
/// whose terms are small near the mean, where the factor matters. The first two terms are
/// taken from x − m where their ratios are not small, and from ln x and ln(1 − x) where they
/// are (which needs 1 − x only for x > 1/2, where it is exact); their first-order dependence
/// on m cancels, so rounding m costs nothing (DiDonato and Morris 1992).
fn ln_power_terms(x: f64, a: f64, b: f64) -> f64 {
    let total = a + b;
    // The larger of the two shares is computed by division and the smaller as its
    // complement, which is then exact, so that the two add up to exactly 1.
    let (mean, complement) = if a >= b {
        let mean = a / total;
        (mean, 1.0 - mean)
    } else {
        let complement = b / total;
        (1.0 - complement, complement)
    };
    let offset = x - mean;
    let below = offset / mean;
    let above = -offset / complement;
    let ln_x_ratio = if 1.0 + below >= RATIO_FOR_LN_1P {
        below.ln_1p()
    } else {
        x.ln() - mean.ln()
    };
    let ln_y_ratio = if 1.0 + above >= RATIO_FOR_LN_1P {
        above.ln_1p()
    } else {
        (1.0 - x).ln() - complement.ln()
    };
    a * ln_x_ratio + b * ln_y_ratio + 0.5 * (a * (b / total)).ln() - LN_SQRT_2PI
        + stirling_correction(total)
        - stirling_correction(a)
        - stirling_correction(b)
}

/// At most this many terms of the continued fraction. It needs about √max(a, b) of them on the
/// side where it is used (Numerical Recipes §6.4), so this covers parameters up to about 10⁷.
const CONTINUED_FRACTION_MAX_TERMS: usize = 10_000;

/// Denominators smaller than this are replaced by it in Lentz's method, which would otherwise
/// divide by zero (Numerical Recipes' FPMIN).
const LENTZ_TINY: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// The continued fraction for I_x(a, b)·a·B(a, b) / (x^a (1 − x)^b) (Numerical Recipes
/// `betacf`), which converges fast for x < (a + 1)/(a + b + 2).
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    let sum = a + b;
    let above = a + 1.0;
    let below = a - 1.0;
    let guard = |value: f64| {
        if value.abs() < LENTZ_TINY {
            LENTZ_TINY
        } else {
            value
        }
    };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - sum * x / above);
    let mut fraction = d;
    for m in 1..=CONTINUED_FRACTION_MAX_TERMS {
        let m = m as f64;
        let twice = 2.0 * m;
        // The even step of the recurrence.
        let numerator = m * (b - m) * x / ((below + twice) * (a + twice));
        d = 1.0 / guard(1.0 + numerator * d);
        c = guard(1.0 + numerator / c);
        fraction *= d * c;
        // The odd step.
        let numerator = -(a + m) * (sum + m) * x / ((a + twice) * (above + twice));
        d = 1.0 / guard(1.0 + numerator * d);
        c = guard(1.0 + numerator / c);
        let change = d * c;
        fraction *= change;
        if (change - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    fraction
}

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b)/B(a, b), the distribution
/// function of a Beta(a, b) variable at x, for a, b > 0 (NaN otherwise); 0 for x ≤ 0 and 1
/// for x ≥ 1.
pub fn beta_regularized(x: f64, a: f64, b: f64) -> f64 {
    if x.is_nan() || !(a > 0.0 && a.is_finite() && b > 0.0 && b.is_finite()) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    beta_regularized_and_complement(x, a, b).0.clamp(0.0, 1.0)
}

/// I_x(a, b) and 1 − I_x(a, b) for 0 < x < 1, the one that the continued fraction gives
/// directly (the smaller, as a rule) with relative precision and the other as 1 minus it.
fn beta_regularized_and_complement(x: f64, a: f64, b: f64) -> (f64, f64) {
    let front = ln_power_terms(x, a, b).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        let value = front * beta_continued_fraction(x, a, b) / a;
        (value, 1.0 - value)
    } else {
        // 1 − I_x(a, b) = I_(1−x)(b, a), whose fraction converges fast here.
        let complement = front * beta_continued_fraction(1.0 - x, b, a) / b;
        (1.0 - complement, complement)
    }
}

/// At most this many Halley or bisection steps when inverting I_x(a, b). Halley's method
/// converges cubically from the guess in a handful; bisection in the logarithm needs about 11
/// steps to find the binade (of some 2,100) and 53 more for the mantissa.
const INVERSE_BETA_MAX_STEPS: usize = 200;

/// Relative size of the error in I_x, compared with p or 1 − p, below which it counts as
/// rounding: I_x is computed to within about 1e-14 of its value, so Halley steps taken on an
/// error this small wander by the rounding instead of shrinking, and the search stops.
const INVERSE_BETA_NOISE: f64 = 1e-12;

/// The smallest positive (subnormal) double, the floor of the bisection in the logarithm.
const SMALLEST_POSITIVE: f64 = f64::from_bits(1);

/// The inverse of the regularized incomplete beta function: the x in [0, 1] with
/// I_x(a, b) = p, for a, b > 0 (NaN otherwise, or for p NaN); 0 for p ≤ 0 and 1 for p ≥ 1.
pub fn inverse_beta_regularized(p: f64, a: f64, b: f64) -> f64 {
    if p.is_nan() || !(a > 0.0 && a.is_finite() && b > 0.0 && b.is_finite()) {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    // 1 − p, exact for p ≥ 1/2 and within a unit in the last place otherwise: p and q both
    // keep their relative precision, and the search compares I with p or 1 − I with q,
    // whichever is smaller.
    let q = 1.0 - p;
    // Solve for whichever of x and 1 − x is at most 1/2, so that a root close to 0 or to 1
    // keeps its relative precision: for x itself when the root is below 1/2, and otherwise for
    // 1 − x through I_(1−x)(b, a) = 1 − p.
    let (half, half_complement) = beta_regularized_and_complement(0.5, a, b);
    let below_half = if p <= 0.5 {
        p <= half
    } else {
        q >= half_complement
    };
    if below_half {
        inverse_below_half(p, q, a, b)
    } else {
        1.0 - inverse_below_half(q, p, b, a)
    }
}

/// Numerical Recipes' starting point for the x with I_x(a, b) = p.
fn inverse_beta_guess(p: f64, a: f64, b: f64) -> f64 {
    if a >= 1.0 && b >= 1.0 {
        // Abramowitz and Stegun 26.5.22: a normal approximation on a logistic scale, from the
        // upper normal quantile of p.
        let z = -stats::normal_quantile(p);
        let lambda = (z * z - 3.0) / 6.0;
        let harmonic = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
        let w = z * (lambda + harmonic).sqrt() / harmonic
            - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0))
                * (lambda + 5.0 / 6.0 - 2.0 / (3.0 * harmonic));
        a / (a + b * (2.0 * w).exp())
    } else {
        // With a or b below 1 the density has a pole; the distribution function then grows
        // like a power in each tail, x^a near 0 and (1 − x)^b near 1, weighted by the share of
        // the mass that each power law would hold.
        let lower = (a * (a / (a + b)).ln()).exp() / a;
        let upper = (b * (b / (a + b)).ln()).exp() / b;
        let total = lower + upper;
        if p < lower / total {
            (a * total * p).powf(1.0 / a)
        } else {
            1.0 - (b * total * (1.0 - p)).powf(1.0 / b)
        }
    }
}

/// The x with I_x(a, b) = p (and q = 1 − p), for 0 < p ≤ I_(1/2)(a, b), so that the root lies
/// in (0, 1/2]: Halley's method from Numerical Recipes' guess, inside a bracket [low, high]
/// that starts as [0, 1/2] and that every evaluation narrows.
///
/// As in Numerical Recipes' `rtsafe`, a step is replaced by a bisection when it would leave
/// the bracket or when it is not at most half the step before it: far in a tail, Halley's
/// method crawls, moving x by a fixed fraction of itself per step. The bisection is geometric,
/// since the root may lie many orders of magnitude below 1/2.
fn inverse_below_half(p: f64, q: f64, a: f64, b: f64) -> f64 {
    let mut low = 0.0_f64;
    let mut high = 0.5_f64;
    // A guess of exactly 0 means that the power law underflowed: the root is then close to
    // the smallest positive double, if not below it.
    let guess = inverse_beta_guess(p, a, b);
    let mut x = if guess.is_nan() {
        0.5 * high
    } else {
        guess.clamp(SMALLEST_POSITIVE, high)
    };
    let mut previous_step = f64::INFINITY;
    for _ in 0..INVERSE_BETA_MAX_STEPS {
        if x <= 0.0 {
            // Bisection reached zero: the root lies below the smallest positive double.
            return 0.0;
        }
        let (value, complement) = beta_regularized_and_complement(x, a, b);
        // I_x − p, from the complements when they are the smaller numbers.
        let error = if p <= 0.5 { value - p } else { q - complement };
        if error == 0.0 {
            return x;
        }
        if error < 0.0 {
            low = x;
        } else {
            high = x;
        }
        // The density x^(a−1) (1 − x)^(b−1) / B(a, b), and its logarithmic derivative, which
        // Halley's correction to Newton's step uses.
        let density = ln_power_terms(x, a, b).exp() / (x * (1.0 - x));
        let newton = error / density;
        let curvature = (a - 1.0) / x - (b - 1.0) / (1.0 - x);
        let halley = newton / (1.0 - 0.5 * (newton * curvature).min(1.0));
        // A Newton step below the rounding of x means that x is the root to double precision.
        // (Newton's step is tested rather than Halley's, which collapses towards zero when the
        // curvature term is huge, far from the root.)
        if newton.abs() <= 2.0 * f64::EPSILON * x {
            return (x - halley).clamp(0.0, 1.0);
        }
        let candidate = x - halley;
        // The ends of the bracket count as inside: a root within rounding of an end lands
        // on it.
        let inside = candidate >= low && candidate <= high && candidate != x;
        let shrinking = halley.abs() <= 0.5 * previous_step;
        let next = if inside && shrinking {
            candidate
        } else if inside && error.abs() <= INVERSE_BETA_NOISE * p.min(q) {
            // Steps that stop shrinking once the error is down to the rounding of I_x mean
            // that x is as close to the root as I_x can tell.
            return x;
        } else {
            // Bisect in the logarithm; the smallest positive double stands in for zero, which
            // has none. The arithmetic mean is the fallback for a bracket too narrow for the
            // geometric one to fall strictly inside.
            let floor = if low > 0.0 { low } else { SMALLEST_POSITIVE };
            let geometric = floor.sqrt() * high.sqrt();
            let middle = if geometric > low && geometric < high {
                geometric
            } else {
                0.5 * (low + high)
            };
            if !(middle > low && middle < high) {
                // No double lies strictly between the ends: x is one of them, and the root.
                return x;
            }
            middle
        };
        previous_step = (next - x).abs();
        x = next;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |got − expected| / |expected|, or |got| when the expected value is zero.
    fn relative_error(got: f64, expected: f64) -> f64 {
        if expected == 0.0 {
            got.abs()
        } else {
            ((got - expected) / expected).abs()
        }
    }

    /// Asserts that every `(argument, expected)` pair is matched by `function` to `tolerance`
    /// relative error.
    fn assert_matches(
        name: &str,
        function: impl Fn(f64) -> f64,
        cases: &[(f64, f64)],
        tolerance: f64,
    ) {
        for &(argument, expected) in cases {
            let got = function(argument);
            let error = relative_error(got, expected);
            assert!(
                error <= tolerance,
                "{name}({argument:e}) = {got:e}, expected {expected:e} (relative error {error:e})"
            );
        }
    }

    #[test]
    fn error_functions_match_mpmath() {
        // Reference values: mpmath 1.4.1 at 50 digits (erf, erfc, exp(x²)·erfc(x)), rounded to
        // the nearest double.
        assert_matches(
            "erf",
            erf,
            &[
                (1e-10, 1.1283791670955126e-10),
                (0.1, 0.1124629160182849),
                (0.46875, 0.49261347321793797),
                (-1.3, -0.9340079449406524),
                (3.0, 0.9999779095030014),
            ],
            1e-15,
        );
        assert_matches(
            "erfc",
            erfc,
            &[
                (0.3, 0.6713732405408726),
                (2.0, 0.004677734981047266),
                (5.0, 1.537459794428035e-12),
                (10.0, 2.088487583762545e-45),
                (26.0, 5.663192408856143e-296),
                (-1.0, 1.8427007929497148),
            ],
            1e-15,
        );
        assert_matches(
            "erfcx",
            erfcx,
            &[
                (1.0, 0.427583576155807),
                (30.0, 0.01879588886141675),
                (1e8, 5.641895835477562e-09),
                (-2.0, 108.94090438997797),
            ],
            1e-15,
        );
        assert_eq!((erf(0.0), erfc(0.0), erfcx(0.0)), (0.0, 1.0, 1.0));
        assert_eq!((erf(f64::INFINITY), erfc(f64::INFINITY)), (1.0, 0.0));
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert!(erf(f64::NAN).is_nan());
    }

    #[test]
    fn normal_distribution_function_keeps_its_digits_in_both_tails() {
        // Reference values: mpmath 1.4.1 `ncdf` at 50 digits. Φ(−37.5) is near the smallest
        // normal double; Φ(8) = 1 − 6.2e-16 is the double just below 1 that it rounds to.
        assert_matches(
            "normal_cdf",
            normal_cdf,
            &[
                (-37.5, 4.605353009581955e-308),
                (-20.0, 2.7536241186062337e-89),
                (-8.0, 6.220960574271784e-16),
                (-7.0, 1.279812543885835e-12),
                (-1.959963984540054, 0.025000000000000012),
                (-0.5, 0.3085375387259869),
                (0.0, 0.5),
                (0.3, 0.6179114221889527),
                (1.0, 0.8413447460685429),
                (2.5, 0.9937903346742238),
                (8.0, 0.9999999999999993),
            ],
            1e-14,
        );
        // The upper tail is the lower tail mirrored, with its own precision.
        for x in [0.0, 0.7, 3.0, 8.0, 30.0] {
            assert_eq!(normal_upper_tail(x), normal_cdf(-x));
        }
        assert_eq!(normal_upper_tail(f64::INFINITY), 0.0);
        assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(f64::INFINITY), 1.0);
    }

    #[test]
    fn normal_quantile_is_exact_from_the_far_tails_to_the_median() {
        // Reference values: the root of mpmath's `ncdf` (1.4.1, 50 digits; in the upper half,
        // of the upper tail at the exact 1 − p). Acklam's approximation alone is off by up to
        // 1e-9 relative; near the median, a logarithm of the tail would be off by 1e-7 here.
        assert_matches(
            "normal_quantile",
            normal_quantile,
            &[
                (1e-300, -37.0470962993612),
                (1e-12, -7.034483825301132),
                (1e-5, -4.264890793922825),
                (0.025, -1.9599639845400543),
                (0.3, -0.5244005127080408),
                (0.5, 0.0),
                (0.500000001, 2.5066282037387115e-09),
                (0.975, 1.9599639845400538),
                (1.0 - f64::EPSILON / 2.0, 8.209536151601387),
            ],
            1e-14,
        );
        // Far beyond the smallest double, from the logarithm of the tail: mpmath again.
        assert_matches(
            "normal_upper_quantile_from_ln",
            normal_upper_quantile_from_ln,
            &[(-800.0, 39.88469483825668), (-10_000.0, 141.37983987312717)],
            1e-14,
        );
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan() && normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn normal_quantile_inverts_the_distribution_function() {
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            assert!(
                relative_error(normal_cdf(normal_quantile(p)), p) < 1e-15,
                "p = {p}"
            );
        }
        // Symmetry, exact by construction where 1 − p is exact too.
        for i in 1..1024 {
            let p = i as f64 / 1024.0;
            assert_eq!(normal_quantile(1.0 - p), -normal_quantile(p), "p = {p}");
        }
        for exponent in 1..300 {
            let p = 10f64.powi(-exponent);
            let z = normal_quantile(p);
            // Φ magnifies a relative error δ in z into z²·δ in Φ(z).
            let tolerance = 2.0 * f64::EPSILON * (1.0 + z * z);
            assert!(relative_error(normal_cdf(z), p) < tolerance, "p = {p:e}");
            let ln_tail = -(exponent as f64) * std::f64::consts::LN_10;
            assert!(relative_error(ln_normal_upper_tail(-z), ln_tail) < 1e-15);
        }
    }

    #[test]
    fn ln_gamma_matches_mpmath() {
        // Reference values: mpmath 1.4.1 `loggamma` at 50 digits. The error is absolute (about
        // 1e-15) near the zeros at 1 and 2, relative elsewhere.
        let cases = [
            (0.01, 4.599479878042022),
            (0.1, 2.252712651734206),
            (0.5, 0.5723649429247001),
            (1.0, 0.0),
            (1.5, -0.12078223763524522),
            (2.0, 0.0),
            (2.5, 0.2846828704729192),
            (7.3, 7.147892523022248),
            (9.99, 12.779315214350193),
            (10.0, 12.801827480081469),
            (33.3, 82.60372358165495),
            (100.0, 359.1342053695754),
            (1234.5, 7550.550901077895),
            (1e6, 12815504.569147611),
        ];
        for (x, expected) in cases {
            let got = ln_gamma(x);
            assert!(
                (got - expected).abs() <= 2e-15 * expected.abs().max(1.0),
                "ln_gamma({x}) = {got}, expected {expected}"
            );
        }
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.5).is_nan());
    }

    #[test]
    fn stirling_series_meets_the_lanczos_approximation() {
        // The correction switches from ln Γ minus Stirling's formula to the series at 10; both
        // ways must agree there and beyond, or the incomplete beta function would jump.
        // The difference of ln Γ and Stirling's formula keeps only the absolute precision of
        // ln Γ, about 1e-15 of its size.
        for x in [10.0, 12.5, 20.0, 50.0] {
            let from_lanczos = ln_gamma(x) - ((x - 0.5) * x.ln() - x + LN_SQRT_2PI);
            let from_series = stirling_correction(x);
            assert!(
                (from_lanczos - from_series).abs() < 1e-15 * ln_gamma(x),
                "at {x}: {from_lanczos:e} and {from_series:e}"
            );
        }
    }

    #[test]
    fn incomplete_beta_matches_mpmath() {
        // Reference values: mpmath 1.4.1 `betainc(a, b, 0, x, regularized=True)` at 50 digits.
        // They cover parameters below 1 (poles in the density), hundreds (where a plain sum of
        // ln Γ values would lose digits), both sides of the switch to the complement, and tiny
        // values far in the tails.
        let cases = [
            (0.5, 0.5, 0.3, 0.36901011956554536),
            (0.1, 0.1, 0.01, 0.3203082503756263),
            (0.1, 0.1, 0.999, 0.7457583434113918),
            (2.0, 6.0, 0.1, 0.1496944),
            (2.0, 6.0, 1e-10, 2.0999999993000002e-19),
            (30.0, 40.0, 0.4, 0.31814380259056296),
            (200.0, 300.0, 0.4, 0.502428616319932),
            (200.0, 300.0, 0.38, 0.18093001184220384),
            (200.0, 300.0, 0.45, 0.9881463456202629),
            (500.0, 2.0, 0.99, 0.03942289825448765),
            (500.0, 2.0, 0.9, 6.7425611793521955e-22),
            (0.5, 300.0, 0.001, 0.5613457311299088),
            (3.5, 0.2, 0.9, 0.17208706872128215),
            (0.01, 5.0, 1e-3, 0.9527958800070773),
            (5.0, 0.01, 0.5, 0.00011021571144581062),
        ];
        for (a, b, x, expected) in cases {
            let got = beta_regularized(x, a, b);
            let error = relative_error(got, expected);
            assert!(
                error < 1e-13,
                "I_{x}({a}, {b}) = {got:e}, expected {expected:e} (relative error {error:e})"
            );
            // The complementary form, I_x(a, b) + I_(1−x)(b, a) = 1.
            assert!((got + beta_regularized(1.0 - x, b, a) - 1.0).abs() < 1e-15);
        }
        assert_eq!(beta_regularized(0.0, 2.0, 3.0), 0.0);
        assert_eq!(beta_regularized(-1.0, 2.0, 3.0), 0.0);
        assert_eq!(beta_regularized(1.0, 2.0, 3.0), 1.0);
        // Beta(1, 1) is uniform.
        assert!((beta_regularized(0.3, 1.0, 1.0) - 0.3).abs() < 1e-15);
        assert!(beta_regularized(0.5, 0.0, 1.0).is_nan());
        assert!(beta_regularized(f64::NAN, 1.0, 1.0).is_nan());
    }

    #[test]
    fn inverse_incomplete_beta_matches_mpmath() {
        // Reference values: the root of mpmath's `betainc` (1.4.1, 50 digits), solved for the
        // smaller of x and 1 − x.
        let cases = [
            (0.1, 0.1, 0.1, 8.869280011934585e-08),
            (2.0, 6.0, 0.5, 0.22848996350659578),
            (500.0, 2.0, 0.1, 0.9922584438270362),
            (0.5, 300.0, 1e-12, 2.620176447823832e-27),
            (200.0, 300.0, 0.9, 0.42815285363512157),
            // With alpha = 0.01, I_x moves by 1% of a relative change in x, so a rounding of
            // I_x shows a hundredfold in x.
            (0.01, 5.0, 0.5, 9.89224042411254e-32),
        ];
        for (a, b, p, expected) in cases {
            let got = inverse_beta_regularized(p, a, b);
            let error = relative_error(got, expected);
            assert!(
                error < 1e-12,
                "I⁻¹_{p}({a}, {b}) = {got:e}, expected {expected:e} (relative error {error:e})"
            );
        }
        // Beta(5, 0.01) has its median within 1e-31 of 1: the nearest double is 1 itself.
        assert_eq!(inverse_beta_regularized(0.5, 5.0, 0.01), 1.0);
        assert_eq!(inverse_beta_regularized(0.0, 2.0, 3.0), 0.0);
        assert_eq!(inverse_beta_regularized(1.0, 2.0, 3.0), 1.0);
        assert!(inverse_beta_regularized(f64::NAN, 2.0, 3.0).is_nan());
        assert!(inverse_beta_regularized(0.5, -1.0, 3.0).is_nan());
    }

    #[test]
    fn inverse_incomplete_beta_round_trips() {
        let parameters = [
            (0.1, 0.1),
            (0.5, 0.5),
            (0.01, 5.0),
            (5.0, 0.01),
            (1.0, 1.0),
            (2.0, 6.0),
            (3.5, 0.2),
            (30.0, 40.0),
            (200.0, 300.0),
            (500.0, 2.0),
            (0.5, 300.0),
            (1000.0, 1000.0),
            (1e4, 2e4),
        ];
        let mut probabilities = vec![1e-12, 1e-6, 1e-3];
        probabilities.extend((1..20).map(|i| i as f64 / 20.0));
        probabilities.extend([1.0 - 1e-3, 1.0 - 1e-6, 1.0 - 1e-12]);
        for (a, b) in parameters {
            let mut previous = 0.0;
            for &p in &probabilities {
                let x = inverse_beta_regularized(p, a, b);
                assert!(
                    (0.0..=1.0).contains(&x) && x >= previous,
                    "({a}, {b}) at {p}: {x}"
                );
                previous = x;
                if x == 1.0 {
                    // The root lies between the double below 1 and 1 itself.
                    let below = 1.0 - f64::EPSILON / 2.0;
                    assert!(beta_regularized_and_complement(below, a, b).1 >= 1.0 - p);
                    continue;
                }
                // Compare I_x with p, or its complement with 1 − p, whichever is smaller: that
                // is where the search has relative precision. The tolerance allows for x
                // itself being rounded to a double where the density is steep.
                let (value, complement) = beta_regularized_and_complement(x, a, b);
                let (got, expected) = if p <= 0.5 {
                    (value, p)
                } else {
                    (complement, 1.0 - p)
                };
                let error = relative_error(got, expected);
                // Rounding x to a double moves I_x by up to the density times half a unit in
                // the last place of x, which near 1 (where the unit is 1.1e-16 while 1 − x is
                // small) can exceed the precision of the search.
                let density = ln_power_terms(x, a, b).exp() / (x * (1.0 - x));
                let rounding = density * f64::EPSILON * x / expected;
                assert!(
                    error < 1e-12 + rounding,
                    "({a}, {b}) at {p}: I = {got:e} (error {error:e}, rounding {rounding:e})"
                );
            }
        }
    }
}
