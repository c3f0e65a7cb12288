//! A mergeable quantile sketch: a log-linear histogram in the style of HdrHistogram
//! (Tene 2012) and DDSketch (Masson, Rim and Lee 2019), so that batches of any size keep
//! quantiles and histograms in bounded memory.
//!
//! Each finite value falls in a bucket whose key is its IEEE-754 bit pattern cut to the exponent
//! and the top `precision_bits` bits of the mantissa: 2^precision_bits buckets per power of two,
//! each `2^-precision_bits` of its lower edge wide. Reading a quantile returns the middle of the
//! bucket holding that order statistic, clamped to the exact minimum and maximum, so its
//! **relative error is at most 2^-(precision_bits+1)**: 0.2% at 8 bits, 1.6% at 5. Values whose
//! magnitude is below [`ZERO_THRESHOLD`] share one bucket read as 0, an absolute error of at
//! most that threshold.
//!
//! Merging adds integer bucket counts, so it is exact and does not depend on the order of
//! merges: a batch's quantiles are the same for any thread count or split of its runs. The
//! count type is a parameter: totals count in `u64`; a batch's workers, which hand their counts
//! to the totals after every round, count in `u32` and so hold half the memory.

/// Magnitudes below this count as zero (absolute error at most this much).
pub const ZERO_THRESHOLD: f64 = 1e-9;

/// Bits of mantissa kept for outcome summaries: relative error at most 2^-9 (about 0.2%).
pub const SUMMARY_PRECISION_BITS: u32 = 8;

/// Bits of mantissa kept for monthly envelopes, of which there is one per outcome and month:
/// relative error at most 2^-6 (about 1.6%), with an eighth of the buckets of a summary.
pub const ENVELOPE_PRECISION_BITS: u32 = 5;

/// An unsigned integer type for bucket counts.
pub trait Count: Copy + Default + PartialEq + std::fmt::Debug + Into<u64> {
    /// Adds `count`; the caller guarantees it fits (a worker's counts are flushed every round).
    fn add(&mut self, count: u64);
}

impl Count for u64 {
    #[inline]
    fn add(&mut self, count: u64) {
        *self += count;
    }
}

impl Count for u32 {
    #[inline]
    fn add(&mut self, count: u64) {
        let sum = u64::from(*self) + count;
        debug_assert!(sum <= u64::from(u32::MAX), "a u32 sketch count overflowed");
        *self = sum as u32;
    }
}

/// Bucket counts for one sign, dense over the range of keys seen so far.
#[derive(Clone, Debug, Default, PartialEq)]
struct Buckets<C> {
    first_key: u64,
    counts: Vec<C>,
}

impl<C: Count> Buckets<C> {
    #[inline]
    fn add(&mut self, key: u64, count: u64) {
        if self.counts.is_empty() {
            self.first_key = key;
            self.counts.push(C::default());
        }
        if key < self.first_key {
            let grow = (self.first_key - key) as usize;
            self.counts
                .splice(0..0, std::iter::repeat_n(C::default(), grow));
            self.first_key = key;
        }
        let index = (key - self.first_key) as usize;
        if index >= self.counts.len() {
            self.counts.resize(index + 1, C::default());
        }
        self.counts[index].add(count);
    }

    fn merge<D: Count>(&mut self, other: &Buckets<D>) {
        for (key, count) in other.iter() {
            self.add(key, count);
        }
    }

    fn clear(&mut self) {
        self.counts.fill(C::default());
    }

    /// `(key, count)` of non-empty buckets in increasing key order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(offset, &count)| (self.first_key + offset as u64, count.into()))
            .filter(|&(_, count)| count > 0)
    }
}

/// A quantile sketch of finite values (see the module documentation), counting in `C`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sketch<C = u64> {
    precision_bits: u32,
    positive: Buckets<C>,
    negative: Buckets<C>,
    zero: u64,
    count: u64,
    min: f64,
    max: f64,
}

/// One bucket of a sketch in increasing order of value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// The value a quantile in this bucket is read as.
    pub value: f64,
    /// How many values fell in the bucket.
    pub count: u64,
}

impl Sketch<u64> {
    /// An empty sketch counting in `u64` that keeps `precision_bits` bits of mantissa (at most
    /// 52): relative error at most 2^-(precision_bits+1).
    pub fn new(precision_bits: u32) -> Sketch<u64> {
        Sketch::with_counts(precision_bits)
    }

    /// The sketch's whole state, for storing partial results (see `crate::partial`).
    pub fn to_parts(&self) -> SketchParts {
        SketchParts {
            precision_bits: self.precision_bits,
            positive: (self.positive.first_key, self.positive.counts.clone()),
            negative: (self.negative.first_key, self.negative.counts.clone()),
            zero: self.zero,
            count: self.count,
            min: self.min,
            max: self.max,
        }
    }

    /// The sketch whose state `parts` is; `None` if no sequence of insertions could have made
    /// it: more mantissa bits than a double has, counts that do not add up, a minimum above
    /// the maximum or one that is not finite (reading a quantile clamps to them), or bucket
    /// keys outside those of the finite values past [`ZERO_THRESHOLD`] (a key past them
    /// overflows when read, and merging sketches whose keys lie far apart would allocate
    /// buckets for the whole gap).
    pub fn from_parts(parts: SketchParts) -> Option<Sketch<u64>> {
        let sketch = Sketch {
            precision_bits: parts.precision_bits,
            positive: Buckets {
                first_key: parts.positive.0,
                counts: parts.positive.1,
            },
            negative: Buckets {
                first_key: parts.negative.0,
                counts: parts.negative.1,
            },
            zero: parts.zero,
            count: parts.count,
            min: parts.min,
            max: parts.max,
        };
        let counted = sketch
            .positive
            .counts
            .iter()
            .chain(&sketch.negative.counts)
            .try_fold(sketch.zero, |total, &count| total.checked_add(count));
        if sketch.precision_bits > 52 || counted != Some(sketch.count) {
            return None;
        }
        let extremes_fit = if sketch.count == 0 {
            sketch.min == f64::INFINITY && sketch.max == f64::NEG_INFINITY
        } else {
            sketch.min.is_finite() && sketch.max.is_finite() && sketch.min <= sketch.max
        };
        let keys = sketch.shift();
        let lowest = ZERO_THRESHOLD.to_bits() >> keys;
        let highest = f64::MAX.to_bits() >> keys;
        let keys_fit = |buckets: &Buckets<u64>| {
            buckets.counts.is_empty()
                || (buckets.first_key >= lowest
                    && (buckets.counts.len() as u64 - 1) <= highest - lowest
                    && buckets.first_key <= highest - (buckets.counts.len() as u64 - 1))
        };
        (extremes_fit && keys_fit(&sketch.positive) && keys_fit(&sketch.negative)).then_some(sketch)
    }
}

/// A sketch's state as plain values: the bucket counts of each sign from their first key.
#[derive(Clone, Debug, PartialEq)]
pub struct SketchParts {
    /// Bits of mantissa the buckets keep.
    pub precision_bits: u32,
    /// The buckets of positive values: the first bucket's key and the dense counts from it.
    pub positive: (u64, Vec<u64>),
    /// The buckets of negative values, keyed by magnitude: the first key and the counts from it.
    pub negative: (u64, Vec<u64>),
    /// How many values had a magnitude below [`ZERO_THRESHOLD`].
    pub zero: u64,
    /// How many values were inserted in all.
    pub count: u64,
    /// The exact smallest value inserted (+∞ when empty).
    pub min: f64,
    /// The exact largest value inserted (−∞ when empty).
    pub max: f64,
}

impl<C: Count> Sketch<C> {
    /// An empty sketch whose buckets count in `C`.
    pub fn with_counts(precision_bits: u32) -> Sketch<C> {
        assert!(precision_bits <= 52, "a double has 52 bits of mantissa");
        Sketch {
            precision_bits,
            positive: Buckets::default(),
            negative: Buckets::default(),
            zero: 0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Bits of mantissa its buckets keep.
    pub fn precision_bits(&self) -> u32 {
        self.precision_bits
    }

    /// Number of values inserted.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn shift(&self) -> u32 {
        52 - self.precision_bits
    }

    /// Adds a finite value; non-finite values are ignored (callers count them as missing).
    #[inline]
    pub fn insert(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        let magnitude = value.abs();
        if magnitude < ZERO_THRESHOLD {
            self.zero += 1;
            return;
        }
        let key = magnitude.to_bits() >> self.shift();
        if value > 0.0 {
            self.positive.add(key, 1);
        } else {
            self.negative.add(key, 1);
        }
    }

    /// Adds another sketch's counts; both must have the same precision.
    pub fn merge<D: Count>(&mut self, other: &Sketch<D>) {
        assert_eq!(self.precision_bits, other.precision_bits);
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zero += other.zero;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Empties the sketch but keeps its memory, so refilling it does not allocate.
    pub fn clear(&mut self) {
        self.positive.clear();
        self.negative.clear();
        self.zero = 0;
        self.count = 0;
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
    }

    /// The exact smallest value inserted (NaN when empty).
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// The exact largest value inserted (NaN when empty).
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// The middle of the bucket with key `key`, clamped to the values seen.
    fn value_of(&self, key: u64, negative: bool) -> f64 {
        let low = f64::from_bits(key << self.shift());
        let high = f64::from_bits((key + 1) << self.shift());
        let middle = low + (high - low) / 2.0;
        let value = if negative { -middle } else { middle };
        value.clamp(self.min, self.max)
    }

    /// The non-empty buckets in increasing order of value.
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        let negative = self.negative.iter().rev().map(|(key, count)| Bucket {
            value: self.value_of(key, true),
            count,
        });
        let zero = (self.zero > 0).then(|| Bucket {
            value: 0.0f64.clamp(self.min, self.max),
            count: self.zero,
        });
        let positive = self.positive.iter().map(|(key, count)| Bucket {
            value: self.value_of(key, false),
            count,
        });
        negative.chain(zero).chain(positive)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1): the order statistic of rank round(q·(n − 1)), read as the
    /// middle of its bucket. `quantile(0.0)` and `quantile(1.0)` are the exact min and max.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        if q <= 0.0 {
            return self.min;
        }
        if q >= 1.0 {
            return self.max;
        }
        let rank = (q * (self.count - 1) as f64).round() as u64;
        let mut seen = 0;
        for bucket in self.buckets() {
            seen += bucket.count;
            if seen > rank {
                return bucket.value;
            }
        }
        self.max
    }

    /// The Kolmogorov–Smirnov distance between two sketches of the same precision: the largest
    /// gap between their cumulative distributions, evaluated at bucket edges. Identical samples
    /// give exactly 0; otherwise it is at most the exact distance.
    pub fn kolmogorov_smirnov_distance<D: Count>(&self, other: &Sketch<D>) -> f64 {
        assert_eq!(self.precision_bits, other.precision_bits);
        if self.count == 0 || other.count == 0 {
            return f64::NAN;
        }
        // Keys ordered by value: negative buckets by decreasing magnitude, zero, positive.
        let (left, right) = (self.ordered_keys(), other.ordered_keys());
        let (mut i, mut j) = (0, 0);
        let (mut below_left, mut below_right) = (0u64, 0u64);
        let mut distance = 0.0f64;
        while i < left.len() || j < right.len() {
            let key = match (left.get(i), right.get(j)) {
                (Some(a), Some(b)) => a.0.min(b.0),
                (Some(a), None) => a.0,
                (None, Some(b)) => b.0,
                (None, None) => break,
            };
            if left.get(i).is_some_and(|entry| entry.0 == key) {
                below_left += left[i].1;
                i += 1;
            }
            if right.get(j).is_some_and(|entry| entry.0 == key) {
                below_right += right[j].1;
                j += 1;
            }
            let gap = (below_left as f64 / self.count as f64
                - below_right as f64 / other.count as f64)
                .abs();
            distance = distance.max(gap);
        }
        distance
    }

    /// Bucket keys in value order (negative buckets by decreasing magnitude, zero, positive),
    /// as signed keys that compare like the values, with their counts.
    fn ordered_keys(&self) -> Vec<(i128, u64)> {
        let negative = self
            .negative
            .iter()
            .rev()
            .map(|(key, count)| (-(key as i128) - 1, count));
        let zero = (self.zero > 0).then_some((0i128, self.zero));
        let positive = self
            .positive
            .iter()
            .map(|(key, count)| (key as i128 + 1, count));
        negative.chain(zero).chain(positive).collect()
    }

    /// Counts in `bins` equal-width bins from the minimum to the maximum, each bucket placed by
    /// the value it is read as (so a count may sit one bin off where a bucket straddles an edge).
    pub fn histogram(&self, bins: usize) -> Histogram {
        let (low, high) = (self.min(), self.max());
        let mut counts = vec![0u64; bins.max(1)];
        if self.count > 0 {
            let width = (high - low) / counts.len() as f64;
            for bucket in self.buckets() {
                let index = if width > 0.0 {
                    (((bucket.value - low) / width) as usize).min(counts.len() - 1)
                } else {
                    0
                };
                counts[index] += bucket.count;
            }
        }
        Histogram { low, high, counts }
    }
}

/// Equal-width bin counts from `low` to `high`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Histogram {
    /// The lower edge of the first bin: the smallest value (NaN when empty).
    pub low: f64,
    /// The upper edge of the last bin: the largest value (NaN when empty).
    pub high: f64,
    /// The number of values in each bin, from `low` up.
    pub counts: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).round() as usize]
    }

    #[test]
    fn quantiles_are_within_the_stated_relative_error() {
        let values: Vec<f64> = (0..20_000)
            .map(|i| {
                let x = (i as f64 * 0.618_033_988_75).fract();
                (x - 0.3) * 1000.0f64.powf(x)
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for bits in [SUMMARY_PRECISION_BITS, ENVELOPE_PRECISION_BITS] {
            let mut sketch = Sketch::new(bits);
            values.iter().for_each(|&value| sketch.insert(value));
            let bound = 2f64.powi(-(bits as i32 + 1));
            for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0] {
                let exact = exact_quantile(&sorted, q);
                let got = sketch.quantile(q);
                assert!(
                    (got - exact).abs() <= bound * exact.abs() + ZERO_THRESHOLD,
                    "bits {bits} q {q}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn merging_is_exact_and_order_free() {
        let values: Vec<f64> = (0..5000)
            .map(|i| ((i * 7919) % 1000) as f64 / 10.0 - 20.0)
            .collect();
        let mut whole = Sketch::new(SUMMARY_PRECISION_BITS);
        values.iter().for_each(|&value| whole.insert(value));
        let parts: Vec<Sketch> = values
            .chunks(333)
            .map(|chunk| {
                let mut part = Sketch::new(SUMMARY_PRECISION_BITS);
                chunk.iter().for_each(|&value| part.insert(value));
                part
            })
            .collect();
        let mut forward = Sketch::new(SUMMARY_PRECISION_BITS);
        parts.iter().for_each(|part| forward.merge(part));
        let mut backward = Sketch::new(SUMMARY_PRECISION_BITS);
        parts.iter().rev().for_each(|part| backward.merge(part));
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert_eq!(forward.quantile(q).to_bits(), whole.quantile(q).to_bits());
            assert_eq!(backward.quantile(q).to_bits(), whole.quantile(q).to_bits());
        }
        assert_eq!(forward.count(), 5000);
    }

    #[test]
    fn narrow_counts_merge_into_wide_ones_exactly() {
        let values: Vec<f64> = (0..3000).map(|i| f64::from(i % 97) - 30.0).collect();
        let mut wide = Sketch::new(ENVELOPE_PRECISION_BITS);
        values.iter().for_each(|&value| wide.insert(value));
        let mut total = Sketch::new(ENVELOPE_PRECISION_BITS);
        let mut worker: Sketch<u32> = Sketch::with_counts(ENVELOPE_PRECISION_BITS);
        for round in values.chunks(700) {
            round.iter().for_each(|&value| worker.insert(value));
            total.merge(&worker);
            worker.clear();
        }
        assert_eq!(total, wide);
        assert_eq!(worker.count(), 0);
    }

    #[test]
    fn kolmogorov_smirnov_distance_of_shifted_uniforms() {
        let mut left = Sketch::new(SUMMARY_PRECISION_BITS);
        let mut right = Sketch::new(SUMMARY_PRECISION_BITS);
        for i in 0..10_000 {
            let x = (i as f64 + 0.5) / 10_000.0;
            left.insert(x);
            right.insert(x + 0.2);
        }
        assert_eq!(left.kolmogorov_smirnov_distance(&left.clone()), 0.0);
        let distance = left.kolmogorov_smirnov_distance(&right);
        assert!((distance - 0.2).abs() < 0.005, "{distance}");
    }

    /// Found by the fuzzer (tests/fuzz.rs, fuzz/regressions/decoder-sketch-minimum-above-maximum.entente):
    /// a partial-result file whose sketch had its minimum above its maximum decoded, and
    /// reading a quantile panicked in `f64::clamp`. Keys past those of finite values
    /// overflowed when read, or would allocate the gap between two sketches when merged.
    #[test]
    fn parts_no_insertions_could_make_are_refused() {
        let mut sketch = Sketch::new(SUMMARY_PRECISION_BITS);
        for value in [-3.0, 0.25, 0.5, 1e300] {
            sketch.insert(value);
        }
        let parts = sketch.to_parts();
        assert_eq!(Sketch::from_parts(parts.clone()), Some(sketch));
        let empty = Sketch::new(ENVELOPE_PRECISION_BITS).to_parts();
        assert!(Sketch::from_parts(empty.clone()).is_some());
        let damaged = [
            SketchParts {
                min: 0.42,
                max: 0.0,
                ..parts.clone()
            },
            SketchParts {
                min: f64::NAN,
                ..parts.clone()
            },
            SketchParts {
                max: f64::INFINITY,
                ..parts.clone()
            },
            SketchParts {
                min: 0.0,
                ..empty.clone()
            },
            SketchParts {
                positive: (u64::MAX, parts.positive.1.clone()),
                ..parts.clone()
            },
            SketchParts {
                negative: (0, parts.negative.1.clone()),
                ..parts.clone()
            },
            SketchParts {
                precision_bits: 53,
                ..parts.clone()
            },
        ];
        for parts in damaged {
            assert_eq!(Sketch::from_parts(parts.clone()), None, "{parts:?}");
        }
        let highest = f64::MAX.to_bits() >> (52 - SUMMARY_PRECISION_BITS);
        let mut widest = parts.clone();
        widest.positive = (highest, vec![1, 2]);
        assert_eq!(
            Sketch::from_parts(widest.clone()),
            None,
            "one key past the largest double"
        );
        widest.positive.0 = highest - 1;
        assert!(
            Sketch::from_parts(widest).is_some(),
            "up to the largest double"
        );
    }

    #[test]
    fn histogram_counts_every_value() {
        let mut sketch = Sketch::new(SUMMARY_PRECISION_BITS);
        for i in 0..1000 {
            sketch.insert(f64::from(i) / 1000.0);
        }
        sketch.insert(f64::NAN);
        let histogram = sketch.histogram(10);
        assert_eq!(histogram.counts.iter().sum::<u64>(), 1000);
        assert!(
            histogram
                .counts
                .iter()
                .all(|&count| (90..=110).contains(&count)),
            "{histogram:?}"
        );
        assert_eq!((histogram.low, histogram.high), (0.0, 0.999));
    }
}
