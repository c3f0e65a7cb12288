//! Eight runs side by side: the [`Lanes`] vector the model computes with (one run per lane),
//! its [`Mask`]s, and branch-free `exp`, `ln` and a Box–Muller normal for lanes.
//!
//! Every operation is a plain loop over a fixed-size array marked `#[inline(always)]`, so the
//! compiler turns it into SIMD instructions for the target of the function it is inlined into:
//! two SSE2 instructions per operation in the portable build, one AVX2 instruction inside the
//! functions that `super::Simulation` compiles a second time with AVX2 enabled. Only
//! operations that IEEE 754 defines to one exact result are used (add, subtract, multiply,
//! divide, square root, compare, select, integer and bit operations), never a fused
//! multiply-add, so both compilations give the same bits; `tests/determinism.rs` checks it.
//!
//! Methods: `exp` is Cephes' `expf` (range reduction x = k·ln 2 + r with ln 2 split into a
//! high and a low part after Cody and Waite, a degree-6 polynomial for e^r, 2^k through the
//! exponent bits); `ln` is Cephes' `logf` (mantissa in [√½, √2), a degree-8 polynomial);
//! normals come from the Box–Muller transform z = √(−2 ln u₁)·cos 2πu₂ (Box and Muller 1958)
//! with 24-bit uniforms, the cosine from a Taylor polynomial on a quarter period. The unit
//! tests bound every function's error against `f64`.

// Lane loops index several arrays by the same lane, as the SIMD instructions they become do.
#![allow(clippy::needless_range_loop)]

use std::ops::{Add, AddAssign, BitAnd, BitOr, Div, Mul, MulAssign, Neg, Not, Sub, SubAssign};

/// Runs per group: the width of [`Lanes`].
pub const LANES: usize = 8;

/// One `f32` per run of a group of [`LANES`] runs.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(32))]
pub struct Lanes(pub [f32; LANES]);

/// One yes/no per lane, as all-ones or all-zeros bit patterns (what vector compares give).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
pub struct Mask(pub [u32; LANES]);

/// An empty statement the compiler cannot see through, in every lane operation: a loop that
/// holds one is never vectorised by LLVM's loop vectoriser, which would otherwise vectorise
/// loops over actors (gathering lane 0 of four actors, then lane 1, ...) instead of letting
/// each operation become one instruction over the 8 lanes. It emits no instruction.
#[inline(always)]
fn keep_lanes_together() {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty assembly block touches no memory, stack or flags.
    unsafe {
        std::arch::asm!("", options(nomem, nostack, preserves_flags));
    }
}

/// Applies `$op` lane by lane to build a new array.
macro_rules! lanewise {
    ($kind:ident, |$lane:ident| $body:expr) => {{
        keep_lanes_together();
        let mut out = [Default::default(); LANES];
        for $lane in 0..LANES {
            out[$lane] = $body;
        }
        $kind(out)
    }};
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:tt) => {
        impl $trait for Lanes {
            type Output = Lanes;
            #[inline(always)]
            fn $method(self, other: Lanes) -> Lanes {
                lanewise!(Lanes, |lane| self.0[lane] $op other.0[lane])
            }
        }
        impl $assign_trait for Lanes {
            #[inline(always)]
            fn $assign_method(&mut self, other: Lanes) {
                keep_lanes_together();
                for lane in 0..LANES {
                    self.0[lane] = self.0[lane] $op other.0[lane];
                }
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, +);
binary_operator!(Sub, sub, SubAssign, sub_assign, -);
binary_operator!(Mul, mul, MulAssign, mul_assign, *);

impl Div for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn div(self, other: Lanes) -> Lanes {
        lanewise!(Lanes, |lane| self.0[lane] / other.0[lane])
    }
}

impl Neg for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn neg(self) -> Lanes {
        lanewise!(Lanes, |lane| -self.0[lane])
    }
}

impl Default for Lanes {
    fn default() -> Lanes {
        Lanes::ZERO
    }
}

impl Lanes {
    /// 0 in every lane.
    pub const ZERO: Lanes = Lanes([0.0; LANES]);
    /// 1 in every lane.
    pub const ONE: Lanes = Lanes([1.0; LANES]);
    /// +∞ in every lane.
    pub const INFINITY: Lanes = Lanes([f32::INFINITY; LANES]);
    /// −∞ in every lane.
    pub const NEG_INFINITY: Lanes = Lanes([f32::NEG_INFINITY; LANES]);

    /// `value` in every lane.
    #[inline(always)]
    pub const fn splat(value: f32) -> Lanes {
        Lanes([value; LANES])
    }

    /// Rounds each lane of `values` to `f32`.
    #[inline(always)]
    pub fn from_f64(values: &[f64; LANES]) -> Lanes {
        lanewise!(Lanes, |lane| values[lane] as f32)
    }

    /// Each lane widened to `f64` (exactly).
    #[inline(always)]
    pub fn to_f64(self) -> [f64; LANES] {
        let mut out = [0.0; LANES];
        for lane in 0..LANES {
            out[lane] = f64::from(self.0[lane]);
        }
        out
    }

    /// The smaller of each pair; `other` where either is NaN (as the SSE `minps` instruction).
    #[inline(always)]
    pub fn min(self, other: Lanes) -> Lanes {
        lanewise!(Lanes, |lane| if self.0[lane] < other.0[lane] {
            self.0[lane]
        } else {
            other.0[lane]
        })
    }

    /// The larger of each pair; `other` where either is NaN (as the SSE `maxps` instruction).
    #[inline(always)]
    pub fn max(self, other: Lanes) -> Lanes {
        lanewise!(Lanes, |lane| if self.0[lane] > other.0[lane] {
            self.0[lane]
        } else {
            other.0[lane]
        })
    }

    /// Each lane held in `[low, high]`; NaN becomes `low`.
    #[inline(always)]
    pub fn clamp(self, low: Lanes, high: Lanes) -> Lanes {
        self.max(low).min(high)
    }

    /// The absolute value of each lane (the sign bit cleared, so −0 and −NaN lose theirs).
    #[inline(always)]
    pub fn abs(self) -> Lanes {
        lanewise!(Lanes, |lane| f32::from_bits(
            self.0[lane].to_bits() & 0x7fff_ffff
        ))
    }

    /// The square root of each lane (correctly rounded; NaN below 0).
    #[inline(always)]
    pub fn sqrt(self) -> Lanes {
        lanewise!(Lanes, |lane| self.0[lane].sqrt())
    }

    /// The lanes where `self < other` (false where either is NaN).
    #[inline(always)]
    pub fn less_than(self, other: Lanes) -> Mask {
        lanewise!(Mask, |lane| mask_bits(self.0[lane] < other.0[lane]))
    }

    /// The lanes where `self <= other` (false where either is NaN).
    #[inline(always)]
    pub fn less_or_equal(self, other: Lanes) -> Mask {
        lanewise!(Mask, |lane| mask_bits(self.0[lane] <= other.0[lane]))
    }

    /// The lanes where `self > other` (false where either is NaN).
    #[inline(always)]
    pub fn greater_than(self, other: Lanes) -> Mask {
        lanewise!(Mask, |lane| mask_bits(self.0[lane] > other.0[lane]))
    }

    /// The lanes where `self == other` (false where either is NaN; 0 equals −0).
    #[inline(always)]
    pub fn equal(self, other: Lanes) -> Mask {
        lanewise!(Mask, |lane| mask_bits(self.0[lane] == other.0[lane]))
    }

    /// Lanes that are neither infinite nor NaN.
    #[inline(always)]
    pub fn is_finite(self) -> Mask {
        lanewise!(Mask, |lane| mask_bits(
            self.0[lane].to_bits() & 0x7f80_0000 != 0x7f80_0000
        ))
    }

    /// Lanes that are NaN.
    #[inline(always)]
    pub fn is_nan(self) -> Mask {
        lanewise!(Mask, |lane| mask_bits(self.0[lane].is_nan()))
    }

    /// e^x in each lane: relative error below 2·10⁻⁷; 0 below −87 (under `f32`'s smallest
    /// normal), +∞ above 88 (where 2^k would leave the exponent's range), NaN for NaN.
    #[inline(always)]
    pub fn exp(self) -> Lanes {
        lanewise!(Lanes, |lane| exp_lane(self.0[lane]))
    }

    /// e^x for lanes known to be ≤ 0 or NaN (a logit's u − max u): as [`Lanes::exp`] there,
    /// without its overflow and NaN handling; NaN gives 0. For larger x the value is wrong.
    #[inline(always)]
    pub fn exp_nonpositive(self) -> Lanes {
        lanewise!(Lanes, |lane| exp_nonpositive_lane(self.0[lane]))
    }

    /// ln x in each lane: absolute error below 2·10⁻⁷ (relative near 1); −∞ at 0, NaN below
    /// 0 and for NaN, +∞ at +∞. Subnormal inputs are read as the smallest normal number.
    #[inline(always)]
    pub fn ln(self) -> Lanes {
        lanewise!(Lanes, |lane| ln_lane(self.0[lane]))
    }

    /// `base^exponent` for bases ≥ 0, as e^(exponent·ln base), with `powf`'s values at 0:
    /// 0^0 = 1, 0^y = 0 for y > 0 and +∞ for y < 0.
    #[inline(always)]
    pub fn pow_nonnegative(self, exponent: Lanes) -> Lanes {
        let general = (exponent * self.ln()).exp();
        let at_zero = exponent.equal(Lanes::ZERO).select(
            Lanes::ONE,
            exponent
                .greater_than(Lanes::ZERO)
                .select(Lanes::ZERO, Lanes::INFINITY),
        );
        self.equal(Lanes::ZERO).select(at_zero, general)
    }

    /// The sum of the lanes in a fixed order, for tests and diagnostics.
    pub fn lane_sum(self) -> f64 {
        self.0.iter().map(|&value| f64::from(value)).sum()
    }
}

#[inline(always)]
fn mask_bits(yes: bool) -> u32 {
    if yes { u32::MAX } else { 0 }
}

impl Mask {
    /// No lane set.
    pub const NONE: Mask = Mask([0; LANES]);
    /// Every lane set.
    pub const ALL: Mask = Mask([u32::MAX; LANES]);

    /// `yes` in the lanes that are set, `no` in the others.
    #[inline(always)]
    pub fn select(self, yes: Lanes, no: Lanes) -> Lanes {
        lanewise!(Lanes, |lane| f32::from_bits(
            (yes.0[lane].to_bits() & self.0[lane]) | (no.0[lane].to_bits() & !self.0[lane])
        ))
    }

    /// Whether any lane is set: the test that ends a loop which only some lanes still need.
    #[inline(always)]
    pub fn any(self) -> bool {
        self.0.iter().fold(0, |seen, &bits| seen | bits) != 0
    }

    /// Adds 1 to each lane's count where the lane is set (non-finite values found, per run).
    #[inline(always)]
    pub fn add_to(self, counts: &mut [u64; LANES]) {
        for (count, one) in counts.iter_mut().zip(self.ones()) {
            *count += u64::from(one);
        }
    }

    /// 1 in the lanes that are set, 0 in the others, for counting per lane.
    #[inline(always)]
    pub fn ones(self) -> [u32; LANES] {
        let mut out = [0; LANES];
        for lane in 0..LANES {
            out[lane] = self.0[lane] & 1;
        }
        out
    }

    /// Whether lane `lane` is set.
    #[inline(always)]
    pub fn is_set(self, lane: usize) -> bool {
        self.0[lane] != 0
    }
}

impl BitAnd for Mask {
    type Output = Mask;
    #[inline(always)]
    fn bitand(self, other: Mask) -> Mask {
        lanewise!(Mask, |lane| self.0[lane] & other.0[lane])
    }
}

impl BitOr for Mask {
    type Output = Mask;
    #[inline(always)]
    fn bitor(self, other: Mask) -> Mask {
        lanewise!(Mask, |lane| self.0[lane] | other.0[lane])
    }
}

impl Not for Mask {
    type Output = Mask;
    #[inline(always)]
    fn not(self) -> Mask {
        lanewise!(Mask, |lane| !self.0[lane])
    }
}

/// Below this, e^x is under `f32`'s smallest normal number and is returned as 0.
const EXP_LOWEST: f32 = -87.0;
/// Above this, 2^k would need the exponent reserved for infinity: returned as +∞.
const EXP_HIGHEST: f32 = 88.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `k · LN2_HIGH` is exact for the k that occur (|k| ≤ 127).
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
/// 1.5·2²³: adding it to a float of magnitude below 2²² rounds it to an integer.
const ROUNDING: f32 = 12_582_912.0;
/// Cephes' `expf` coefficients for e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln 2 / 2.
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// e^x for x in [EXP_LOWEST, EXP_HIGHEST]: the range reduction and the polynomial.
#[inline(always)]
fn exp_in_range(clamped: f32) -> f32 {
    // k = round(x·log₂e), to nearest even, by adding and removing 1.5·2²³: the sum's last
    // mantissa bits then hold k, read back without a float-to-int conversion (whose
    // saturating semantics would keep the compiler from using vector instructions).
    let shifted = clamped * LOG2_E + ROUNDING;
    let k_float = shifted - ROUNDING;
    let k = shifted.to_bits().wrapping_sub(ROUNDING.to_bits()) as i32;
    let r = (clamped - k_float * LN2_HIGH) - k_float * LN2_LOW;
    let polynomial =
        ((((EXP_P[0] * r + EXP_P[1]) * r + EXP_P[2]) * r + EXP_P[3]) * r + EXP_P[4]) * r + EXP_P[5];
    let e_r = polynomial * r * r + r + 1.0;
    let scale = f32::from_bits((k.wrapping_add(127) as u32) << 23);
    e_r * scale
}

#[inline(always)]
fn exp_lane(x: f32) -> f32 {
    let clamped = if x > EXP_LOWEST { x } else { EXP_LOWEST };
    let clamped = if clamped < EXP_HIGHEST {
        clamped
    } else {
        EXP_HIGHEST
    };
    let value = exp_in_range(clamped);
    let value = if x < EXP_LOWEST { 0.0 } else { value };
    let value = if x > EXP_HIGHEST {
        f32::INFINITY
    } else {
        value
    };
    if x.is_nan() { x } else { value }
}

#[inline(always)]
fn exp_nonpositive_lane(x: f32) -> f32 {
    let clamped = if x > EXP_LOWEST { x } else { EXP_LOWEST };
    let value = exp_in_range(clamped);
    let value = if x < EXP_LOWEST { 0.0 } else { value };
    if x.is_nan() { 0.0 } else { value }
}

/// √½: mantissas below it are doubled so that the polynomial's argument stays near 0.
const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// Cephes' `logf` coefficients.
const LN_P: [f32; 9] = [
    7.037_683_6e-2,
    -1.151_461e-1,
    1.167_699_9e-1,
    -1.242_014_1e-1,
    1.424_932_3e-1,
    -1.666_805_8e-1,
    2.000_071_4e-1,
    -2.499_999_4e-1,
    3.333_333e-1,
];

#[inline(always)]
fn ln_lane(x: f32) -> f32 {
    let normal = if x > f32::MIN_POSITIVE {
        x
    } else {
        f32::MIN_POSITIVE
    };
    let bits = normal.to_bits();
    let mut exponent = ((bits >> 23) & 0xff) as i32 - 126;
    // The mantissa as a number in [0.5, 1).
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = mantissa < SQRT_HALF;
    exponent -= i32::from(small);
    let m = if small {
        mantissa + mantissa - 1.0
    } else {
        mantissa - 1.0
    };
    let e = exponent as f32;
    let z = m * m;
    let mut y = LN_P[0];
    for &coefficient in &LN_P[1..] {
        y = y * m + coefficient;
    }
    let mut y = y * m * z;
    y += LN2_LOW * e;
    y += -0.5 * z;
    let value = m + y + LN2_HIGH * e;
    let value = if x == 0.0 { f32::NEG_INFINITY } else { value };
    let value = if x == f32::INFINITY { x } else { value };
    if x < 0.0 || x.is_nan() {
        f32::NAN
    } else {
        value
    }
}

/// 2⁻²⁴: turns the top 24 bits of a word into a uniform number in [0, 1).
const TWO_TO_MINUS_24: f32 = 1.0 / 16_777_216.0;

/// A uniform number in [0, 1) from the top 24 bits of each lane's word.
#[inline(always)]
pub fn uniform(words: [u32; LANES]) -> Lanes {
    lanewise!(Lanes, |lane| ((words[lane] >> 8) as i32) as f32
        * TWO_TO_MINUS_24)
}

/// A standard normal number in each lane from one 64-bit random word, given as its `low` and
/// `high` halves: Box–Muller with u₁ in (0, 1] from the high half and u₂ from the low half.
/// The tails are cut at |z| ≤ √(48 ln 2) ≈ 5.77 by u₁'s 24 bits (probability below 10⁻⁸).
#[inline(always)]
pub fn standard_normal(low: [u32; LANES], high: [u32; LANES]) -> Lanes {
    let radius_uniform = lanewise!(Lanes, |lane| (((high[lane] >> 8) + 1) as i32) as f32
        * TWO_TO_MINUS_24);
    let radius = (Lanes::splat(-2.0) * radius_uniform.ln()).sqrt();
    radius * cos_two_pi(uniform(low))
}

/// 1/k! for the odd k of sin's Taylor series up to θ¹³.
const SIN_TAYLOR: [f32; 6] = [
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5_040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
];

/// cos 2πt for t in [0, 1): −sin 2π(¼ − |t − ½|), the sine's argument in [−π/2, π/2], where
/// its Taylor series to θ¹³ is within 2·10⁻⁹ of it.
#[inline(always)]
fn cos_two_pi(t: Lanes) -> Lanes {
    let quarter = Lanes::splat(0.25) - (t - Lanes::splat(0.5)).abs();
    let theta = Lanes::splat(std::f32::consts::TAU) * quarter;
    let square = theta * theta;
    let mut series = Lanes::splat(SIN_TAYLOR[5]);
    for &coefficient in SIN_TAYLOR[..5].iter().rev() {
        series = series * square + Lanes::splat(coefficient);
    }
    -(theta + theta * square * series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_exponential_to_two_parts_in_ten_million() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let exact = f64::from(x).exp();
            let got = f64::from(Lanes::splat(x).exp().0[0]);
            worst = worst.max(((got - exact) / exact).abs());
            x += 0.000_91;
        }
        assert!(worst < 2e-7, "worst relative error {worst}");
        let special = Lanes([
            0.0,
            -100.0,
            f32::NEG_INFINITY,
            100.0,
            f32::NAN,
            1.0,
            -1.0,
            88.5,
        ]);
        let got = special.exp().0;
        assert_eq!(got[0], 1.0);
        assert_eq!(got[1], 0.0);
        assert_eq!(got[2], 0.0);
        assert_eq!(got[3], f32::INFINITY);
        assert!(got[4].is_nan());
        assert!((f64::from(got[5]) - 1f64.exp()).abs() < 1e-6);
        assert_eq!(got[7], f32::INFINITY);
    }

    #[test]
    fn the_nonpositive_exp_matches_the_full_one_where_it_applies() {
        let mut x = -90.0f32;
        while x <= 0.0 {
            let full = Lanes::splat(x).exp().0[0];
            let cheap = Lanes::splat(x).exp_nonpositive().0[0];
            assert!(
                full.to_bits() == cheap.to_bits() || (x <= EXP_LOWEST && cheap == 0.0),
                "{x}: {full} against {cheap}"
            );
            x += 0.0123;
        }
        let special = Lanes([f32::NEG_INFINITY, f32::NAN, 0.0, -87.5, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(special.exp_nonpositive().0[..4], [0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn ln_matches_the_logarithm() {
        let mut worst = 0f64;
        let mut x = 1e-30f32;
        while x < 1e30 {
            let exact = f64::from(x).ln();
            let got = f64::from(Lanes::splat(x).ln().0[0]);
            worst = worst.max((got - exact).abs() / exact.abs().max(1.0));
            x *= 1.000_37;
        }
        assert!(worst < 2e-7, "worst error {worst}");
        let special = Lanes([0.0, -1.0, f32::INFINITY, f32::NAN, 1.0, 2.0, 0.5, 1e-40]);
        let got = special.ln().0;
        assert_eq!(got[0], f32::NEG_INFINITY);
        assert!(got[1].is_nan());
        assert_eq!(got[2], f32::INFINITY);
        assert!(got[3].is_nan());
        assert_eq!(got[4], 0.0);
        assert!((f64::from(got[5]) - 2f64.ln()).abs() < 1e-7);
        assert!((f64::from(got[7]) - f64::from(f32::MIN_POSITIVE).ln()).abs() < 1e-5);
    }

    #[test]
    fn powers_of_nonnegative_bases_follow_powf() {
        let bases = Lanes([0.0, 0.0, 0.0, 0.5, 0.9, 1.0, 0.25, 0.01]);
        let exponents = Lanes([0.0, 2.0, -1.0, 3.0, 0.5, 7.0, 1.5, 2.2]);
        let got = bases.pow_nonnegative(exponents).0;
        for lane in 0..LANES {
            let exact = f64::from(bases.0[lane]).powf(f64::from(exponents.0[lane]));
            let got = f64::from(got[lane]);
            assert!(
                got == exact || ((got - exact) / exact).abs() < 1e-6,
                "{}^{}: {got} against {exact}",
                bases.0[lane],
                exponents.0[lane]
            );
        }
    }

    #[test]
    fn cosine_matches_on_the_whole_period() {
        let mut worst = 0f64;
        for step in 0..(1 << 16) {
            let t = step as f32 / 65_536.0;
            let exact = (std::f64::consts::TAU * f64::from(t)).cos();
            let got = f64::from(cos_two_pi(Lanes::splat(t)).0[0]);
            worst = worst.max((got - exact).abs());
        }
        assert!(worst < 5e-7, "worst error {worst}");
    }

    /// The Box–Muller normals from a scalar generator's words have the moments of a standard
    /// normal, and the same words give the same normals in every lane.
    #[test]
    fn normals_have_standard_moments() {
        use rand::{Rng, SeedableRng};
        let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut sum, mut squares, mut fourth, mut count) = (0f64, 0f64, 0f64, 0f64);
        for _ in 0..50_000 {
            let mut low = [0; LANES];
            let mut high = [0; LANES];
            for lane in 0..LANES {
                let word = random.next_u64();
                low[lane] = word as u32;
                high[lane] = (word >> 32) as u32;
            }
            let normals = standard_normal(low, high);
            for value in normals.0 {
                let value = f64::from(value);
                sum += value;
                squares += value * value;
                fourth += value.powi(4);
                count += 1.0;
            }
            let same = standard_normal([low[0]; LANES], [high[0]; LANES]);
            assert_eq!(same.0, [normals.0[0]; LANES]);
        }
        let mean = sum / count;
        let variance = squares / count - mean * mean;
        let kurtosis = fourth / count / (variance * variance);
        // Standard errors at 400,000 values: 0.0016 for the mean, 0.0022 for the variance,
        // 0.012 for the kurtosis; the bounds are about 4 of them.
        assert!(mean.abs() < 0.007, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.01, "variance {variance}");
        assert!((kurtosis - 3.0).abs() < 0.05, "kurtosis {kurtosis}");
    }

    #[test]
    fn masks_select_count_and_any() {
        let a = Lanes([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, f32::NAN]);
        let mask = a.greater_than(Lanes::splat(4.5));
        assert_eq!(mask.ones(), [0, 0, 0, 0, 1, 1, 1, 0]);
        assert!(mask.any());
        assert!(!Mask::NONE.any());
        let chosen = mask.select(Lanes::ONE, Lanes::ZERO);
        assert_eq!(chosen.0, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
        assert_eq!(a.clamp(Lanes::splat(2.0), Lanes::splat(6.0)).0[7], 2.0);
        assert_eq!(a.is_nan().ones(), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!((!a.is_finite()).ones(), [0, 0, 0, 0, 0, 0, 0, 1]);
    }
}
