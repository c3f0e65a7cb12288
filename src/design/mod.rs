//! Sampling designs for exploratory modelling (issue 15): low-discrepancy Sobol' points,
//! plain or scrambled from a seed, and the Saltelli design on them; Latin hypercubes; Morris
//! trajectories, all in the unit cube; and `experiment`, which maps them onto a scenario's
//! parameters through each distribution's exact quantile function (`Distribution::quantile`).
//!
//! Methods, with where they come from:
//! - **Sobol' sequence.** Sobol' (1967), in Gray-code order (Antonov and Saleev 1979): point n
//!   is the exclusive or of the direction numbers v_j of the bits j set in n ⊕ (n >> 1), so any
//!   point is computed from its index alone. Direction numbers from Joe and Kuo's (2008)
//!   `new-joe-kuo-6.21201` table (`joe_kuo.rs`), 32 bits.
//! - **Scrambling.** Matoušek's (1998) linear matrix scramble with a random digital shift:
//!   each dimension's 32 bits go through a random lower-triangular binary matrix with a unit
//!   diagonal, then are xored with a random word. Each dimension's first 2^m points keep one
//!   point in each interval [k/2^m, (k + 1)/2^m) (tested), the property that makes the design
//!   low-discrepancy, while the points become random and unbiased for integrals. The matrices
//!   and shifts come from the seed's ChaCha8 streams, one per dimension.

mod experiment;
mod joe_kuo;

pub use experiment::{
    DEFAULT_MORRIS_LEVELS, Experiment, ExperimentError, ExperimentProblem, ExperimentRequest,
    ExperimentScratch, Located, Method, PROBABILITY_FLOOR, RangeRequest, SweepRequest, Uncertainty,
    glob_matches,
};

use rand::Rng;

use crate::rng::{self, Purpose};

/// Bits of each Sobol' coordinate: points are multiples of 2^-32, and at most 2^32 of them.
const BITS: usize = 32;

/// Dimensions the direction-number table covers (its entries and dimension 1).
pub const SOBOL_MAX_DIMENSIONS: usize = 1024;

/// 2^-32: turns a 32-bit coordinate into a number in [0, 1).
const TWO_TO_MINUS_32: f64 = 1.0 / 4_294_967_296.0;

/// Errors in asking for a design.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DesignError {
    /// More dimensions than the direction-number table covers.
    #[error("a Sobol' design has at most {most} dimensions; {asked} were asked for")]
    TooManyDimensions {
        /// The dimensions asked for.
        asked: usize,
        /// The most there can be ([`SOBOL_MAX_DIMENSIONS`]).
        most: usize,
    },
    /// A point past the 2^32 a Sobol' sequence of 32-bit coordinates has.
    #[error("a Sobol' design has at most 2^32 points; point {index} was asked for")]
    IndexTooLarge {
        /// The point's index, counted from 0.
        index: u64,
    },
    /// A Morris grid with an odd number of levels, or fewer than 2.
    #[error("a Morris design needs an even number of grid levels, at least 2; {levels} given")]
    MorrisLevels {
        /// The number of levels given.
        levels: usize,
    },
}

/// One dimension's linear matrix scramble and digital shift.
#[derive(Clone, Debug)]
struct Scramble {
    /// `rows[i]`: the input bits that make output bit i (bit 31 − i, counted from the most
    /// significant); bit i itself is always in, and otherwise only more significant bits.
    rows: [u32; BITS],
    shift: u32,
}

impl Scramble {
    fn from_stream(stream: &mut impl Rng) -> Scramble {
        let mut rows = [0; BITS];
        for (position, row) in rows.iter_mut().enumerate() {
            let own = 1u32 << (BITS - 1 - position);
            // Random bits strictly more significant than `own`, and `own` itself.
            let higher = !(own | (own - 1));
            *row = (stream.next_u32() & higher) | own;
        }
        Scramble {
            rows,
            shift: stream.next_u32(),
        }
    }

    fn apply(&self, word: u32) -> u32 {
        let mut out = 0;
        for (position, row) in self.rows.iter().enumerate() {
            out |= ((word & row).count_ones() & 1) << (BITS - 1 - position);
        }
        out ^ self.shift
    }
}

/// Sobol' points in `dimensions` dimensions, plain or scrambled.
#[derive(Clone, Debug)]
pub struct SobolSequence {
    /// `directions[d][j]`: direction number v_(j+1) of dimension d, as a 32-bit fraction.
    directions: Vec<[u32; BITS]>,
    scrambles: Option<Vec<Scramble>>,
}

impl SobolSequence {
    /// The plain sequence: point 0 is the origin.
    pub fn new(dimensions: usize) -> Result<SobolSequence, DesignError> {
        if dimensions > SOBOL_MAX_DIMENSIONS {
            return Err(DesignError::TooManyDimensions {
                asked: dimensions,
                most: SOBOL_MAX_DIMENSIONS,
            });
        }
        let directions = (0..dimensions).map(direction_numbers).collect();
        Ok(SobolSequence {
            directions,
            scrambles: None,
        })
    }

    /// The sequence scrambled from `seed`: the same seed gives the same points.
    pub fn scrambled(dimensions: usize, seed: u64) -> Result<SobolSequence, DesignError> {
        let mut sequence = SobolSequence::new(dimensions)?;
        let purpose = Purpose::named("design:sobol-scramble");
        sequence.scrambles = Some(
            (0..dimensions)
                .map(|dimension| {
                    Scramble::from_stream(&mut rng::stream(seed, dimension as u64, purpose))
                })
                .collect(),
        );
        Ok(sequence)
    }

    /// The number of coordinates of each point.
    pub fn dimensions(&self) -> usize {
        self.directions.len()
    }

    /// Writes point `index` into `out` (one coordinate in [0, 1) per dimension).
    pub fn point(&self, index: u64, out: &mut [f64]) -> Result<(), DesignError> {
        let index = u32::try_from(index).map_err(|_| DesignError::IndexTooLarge { index })?;
        let gray = index ^ (index >> 1);
        for (dimension, (coordinate, directions)) in
            out.iter_mut().zip(&self.directions).enumerate()
        {
            let mut word = 0;
            let mut bits = gray;
            while bits != 0 {
                word ^= directions[bits.trailing_zeros() as usize];
                bits &= bits - 1;
            }
            if let Some(scrambles) = &self.scrambles {
                word = scrambles[dimension].apply(word);
            }
            *coordinate = f64::from(word) * TWO_TO_MINUS_32;
        }
        Ok(())
    }
}

/// A Saltelli design (Saltelli et al. 2010) over `inputs` inputs on Sobol' points of twice as
/// many dimensions: base point j gives row j of A (the first `inputs` coordinates) and of B
/// (the others), and the AB_i rows mix them. Unit-cube coordinates; mapping them onto the
/// inputs' distributions is the caller's.
#[derive(Clone, Debug)]
pub struct SaltelliDesign {
    inputs: usize,
    sequence: SobolSequence,
}

/// Which matrix of a Saltelli design a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaltelliMatrix {
    /// The first half of the base point's coordinates.
    A,
    /// The second half of the base point's coordinates.
    B,
    /// A with the column of this input taken from B.
    Mixed(usize),
}

impl SaltelliDesign {
    /// Scrambled from `seed`; base point 0 is used too (scrambled, it is not the origin).
    pub fn new(inputs: usize, seed: u64) -> Result<SaltelliDesign, DesignError> {
        Ok(SaltelliDesign {
            inputs,
            sequence: SobolSequence::scrambled(2 * inputs, seed)?,
        })
    }

    /// Evaluations per base point: A, B and one AB_i per input.
    pub fn rows_per_point(&self) -> usize {
        self.inputs + 2
    }

    /// Writes row `matrix` of base point `point` into `out` (`inputs` coordinates), using
    /// `scratch` (`2 × inputs` long) for the base point.
    pub fn row(
        &self,
        point: u64,
        matrix: SaltelliMatrix,
        scratch: &mut [f64],
        out: &mut [f64],
    ) -> Result<(), DesignError> {
        self.base_point(point, scratch)?;
        self.row_of(matrix, scratch, out);
        Ok(())
    }

    /// Writes base point `point` (`2 × inputs` coordinates: A's row, then B's) into `base`.
    pub fn base_point(&self, point: u64, base: &mut [f64]) -> Result<(), DesignError> {
        self.sequence.point(point, base)
    }

    /// Writes row `matrix` of the base point `base` (as [`SaltelliDesign::base_point`] wrote
    /// it) into `out`: the k + 2 rows of a base point share one computation of it.
    pub fn row_of(&self, matrix: SaltelliMatrix, base: &[f64], out: &mut [f64]) {
        let (a, b) = base.split_at(self.inputs);
        match matrix {
            SaltelliMatrix::A => out.copy_from_slice(a),
            SaltelliMatrix::B => out.copy_from_slice(&b[..self.inputs]),
            SaltelliMatrix::Mixed(input) => {
                out.copy_from_slice(a);
                out[input] = b[input];
            }
        }
    }
}

/// A Latin hypercube of `points` points in `dimensions` dimensions (McKay, Beckman and
/// Conover 1979): in each dimension, point j lies in stratum π_d(j) of the `points` equal
/// strata of [0, 1), at a uniform position inside it, π_d a random permutation. Permutations
/// and positions come from the seed's streams, one per dimension, so the design depends only on
/// (seed, points, dimensions). Unit-cube coordinates, as for the Sobol' designs.
#[derive(Clone, Debug)]
pub struct LatinHypercube {
    points: usize,
    /// `coordinates[d * points + j]`.
    coordinates: Vec<f64>,
}

impl LatinHypercube {
    /// The hypercube of `points` points in `dimensions` dimensions drawn from `seed`.
    pub fn new(points: usize, dimensions: usize, seed: u64) -> LatinHypercube {
        use rand::RngExt;
        let purpose = Purpose::named("design:latin-hypercube");
        let mut coordinates = Vec::with_capacity(points * dimensions);
        let mut strata: Vec<usize> = Vec::with_capacity(points);
        for dimension in 0..dimensions {
            let mut stream = rng::stream(seed, dimension as u64, purpose);
            strata.clear();
            strata.extend(0..points);
            // Fisher–Yates.
            for last in (1..points).rev() {
                strata.swap(last, stream.random_range(0..=last));
            }
            coordinates.extend(
                strata
                    .iter()
                    .map(|&stratum| (stratum as f64 + stream.random::<f64>()) / points as f64),
            );
        }
        LatinHypercube {
            points,
            coordinates,
        }
    }

    /// The number of points.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Coordinate `dimension` of point `point`.
    pub fn coordinate(&self, point: usize, dimension: usize) -> f64 {
        self.coordinates[dimension * self.points + point]
    }
}

/// A Morris trajectory (Morris 1991) on a grid of `levels` levels per input: k + 1 points in
/// the unit cube, the first drawn on the grid, each next one moving one input, in a random
/// order, by ±Δ with Δ = levels / (2 (levels − 1)), the sign keeping it in [0, 1]. Drawn from
/// the seed's stream for `trajectory`, so it depends only on (seed, levels, inputs, index).
pub fn morris_trajectory(
    inputs: usize,
    levels: usize,
    seed: u64,
    trajectory: u64,
) -> Result<Vec<Vec<f64>>, DesignError> {
    use rand::RngExt;
    if levels < 2 || levels % 2 == 1 {
        return Err(DesignError::MorrisLevels { levels });
    }
    let mut stream = rng::stream(seed, trajectory, Purpose::named("design:morris"));
    let grid = (levels - 1) as f64;
    let delta = levels as f64 / (2.0 * grid);
    // Starting levels from the lower half, so that +Δ stays on the grid; the sign is chosen
    // afterwards so that every move stays inside [0, 1].
    let mut point: Vec<f64> = (0..inputs)
        .map(|_| stream.random_range(0..levels / 2) as f64 / grid)
        .collect();
    let mut order: Vec<usize> = (0..inputs).collect();
    for last in (1..inputs).rev() {
        order.swap(last, stream.random_range(0..=last));
    }
    for value in &mut point {
        if stream.random::<bool>() {
            *value += delta;
        }
    }
    let mut points = Vec::with_capacity(inputs + 1);
    points.push(point.clone());
    for input in order {
        point[input] = if point[input] + delta <= 1.0 + 1e-12 {
            point[input] + delta
        } else {
            point[input] - delta
        };
        points.push(point.clone());
    }
    Ok(points)
}

/// The 32 direction numbers of `dimension` (0-based): v_j = m_j · 2^(32 − j), the m_j past the
/// table's initial ones from Sobol's recurrence with the dimension's primitive polynomial.
fn direction_numbers(dimension: usize) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    if dimension == 0 {
        for (j, v) in v.iter_mut().enumerate() {
            *v = 1 << (BITS - 1 - j);
        }
        return v;
    }
    let (a, initial) = joe_kuo::DIRECTIONS[dimension - 1];
    let degree = initial.len();
    for j in 0..BITS {
        v[j] = if j < degree {
            initial[j] << (BITS - 1 - j)
        } else {
            let mut value = v[j - degree] ^ (v[j - degree] >> degree);
            for k in 1..degree {
                if (a >> (degree - 1 - k)) & 1 == 1 {
                    value ^= v[j - k];
                }
            }
            value
        };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 16 points of dimensions 1 to 6 and points 1,000 and 1,023 of dimensions 1,
    /// 2, 3, 6, 100, 512 and 1,024, as SALib 1.5's `sobol_sequence.sample` gives them (the
    /// Joe–Kuo reference sequence before scrambling).
    #[test]
    fn plain_points_match_the_reference_sequence() {
        let first: [[f64; 6]; 16] = [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25, 0.25, 0.75, 0.75],
            [0.25, 0.75, 0.75, 0.75, 0.25, 0.25],
            [0.375, 0.375, 0.625, 0.875, 0.375, 0.125],
            [0.875, 0.875, 0.125, 0.375, 0.875, 0.625],
            [0.625, 0.125, 0.875, 0.625, 0.625, 0.875],
            [0.125, 0.625, 0.375, 0.125, 0.125, 0.375],
            [0.1875, 0.3125, 0.9375, 0.4375, 0.5625, 0.3125],
            [0.6875, 0.8125, 0.4375, 0.9375, 0.0625, 0.8125],
            [0.9375, 0.0625, 0.6875, 0.1875, 0.3125, 0.5625],
            [0.4375, 0.5625, 0.1875, 0.6875, 0.8125, 0.0625],
            [0.3125, 0.1875, 0.3125, 0.5625, 0.9375, 0.4375],
            [0.8125, 0.6875, 0.8125, 0.0625, 0.4375, 0.9375],
            [0.5625, 0.4375, 0.0625, 0.8125, 0.1875, 0.6875],
            [0.0625, 0.9375, 0.5625, 0.3125, 0.6875, 0.1875],
        ];
        let sequence = SobolSequence::new(SOBOL_MAX_DIMENSIONS).unwrap();
        let mut point = vec![0.0; SOBOL_MAX_DIMENSIONS];
        for (index, expected) in first.iter().enumerate() {
            sequence.point(index as u64, &mut point).unwrap();
            assert_eq!(&point[..6], expected, "point {index}");
        }
        let dimensions = [0, 1, 2, 5, 99, 511, 1023];
        let later = [
            (
                1000,
                [
                    0.2197265625,
                    0.0966796875,
                    0.5185546875,
                    0.9072265625,
                    0.1865234375,
                    0.3955078125,
                    0.7138671875,
                ],
            ),
            (
                1023,
                [
                    0.0009765625,
                    0.7529296875,
                    0.6123046875,
                    0.4384765625,
                    0.5302734375,
                    0.6142578125,
                    0.9951171875,
                ],
            ),
        ];
        for (index, expected) in later {
            sequence.point(index, &mut point).unwrap();
            for (&dimension, expected) in dimensions.iter().zip(expected) {
                assert_eq!(
                    point[dimension], expected,
                    "point {index}, dimension {dimension}"
                );
            }
        }
    }

    /// Each dimension's first 2^m points put exactly one point in each interval of width
    /// 2^-m, plain and scrambled, in all 1,024 dimensions for m = 10 and in 64 of them up to
    /// m = 14; scrambling moves the points, and the same seed gives the same points.
    #[test]
    fn every_dimension_is_stratified_plain_and_scrambled() {
        let plain = SobolSequence::new(SOBOL_MAX_DIMENSIONS).unwrap();
        let scrambled = SobolSequence::scrambled(SOBOL_MAX_DIMENSIONS, 7).unwrap();
        let again = SobolSequence::scrambled(SOBOL_MAX_DIMENSIONS, 7).unwrap();
        let other = SobolSequence::scrambled(SOBOL_MAX_DIMENSIONS, 8).unwrap();
        for (sequence, exponent, dimensions) in [
            (&plain, 10, SOBOL_MAX_DIMENSIONS),
            (&scrambled, 10, SOBOL_MAX_DIMENSIONS),
            (&plain, 14, 64),
            (&scrambled, 14, 64),
        ] {
            let count = 1usize << exponent;
            let mut seen = vec![vec![false; count]; dimensions];
            let mut point = vec![0.0; SOBOL_MAX_DIMENSIONS];
            for index in 0..count as u64 {
                sequence.point(index, &mut point).unwrap();
                for (dimension, seen) in seen.iter_mut().enumerate() {
                    let stratum = (point[dimension] * count as f64) as usize;
                    assert!(
                        !seen[stratum],
                        "dimension {dimension}: two of the first {count} points in stratum {stratum}"
                    );
                    seen[stratum] = true;
                }
            }
        }
        let (mut a, mut b, mut c, mut d) = (vec![0.0; 8], vec![0.0; 8], vec![0.0; 8], vec![0.0; 8]);
        for index in [0, 1, 5, 1000] {
            plain.point(index, &mut a).unwrap();
            scrambled.point(index, &mut b).unwrap();
            again.point(index, &mut c).unwrap();
            other.point(index, &mut d).unwrap();
            assert_ne!(a, b, "point {index} scrambled");
            assert_eq!(b, c, "point {index}: same seed, same point");
            assert_ne!(b, d, "point {index}: another seed, another point");
        }
    }

    /// The Ishigami indices from a scrambled Saltelli design of 2^12 base points are within
    /// 0.02 of the known values: the low-discrepancy design does at 2^12 points better than the
    /// random one of the estimator tests at 2^14.
    #[test]
    fn a_saltelli_design_on_sobol_points_estimates_ishigami() {
        use crate::sensitivity::known::{ISHIGAMI_FIRST, ISHIGAMI_TOTAL, indices, ishigami};
        let pi = std::f64::consts::PI;
        let design = SaltelliDesign::new(3, 11).unwrap();
        assert_eq!(design.rows_per_point(), 5);
        let points = 1 << 12;
        let (mut scratch, mut row) = (vec![0.0; 6], vec![0.0; 3]);
        let mut evaluate = |point, matrix| {
            design.row(point, matrix, &mut scratch, &mut row).unwrap();
            let x: Vec<f64> = row.iter().map(|u| -pi + 2.0 * pi * u).collect();
            ishigami(&x)
        };
        let a: Vec<f64> = (0..points)
            .map(|j| evaluate(j, SaltelliMatrix::A))
            .collect();
        let b: Vec<f64> = (0..points)
            .map(|j| evaluate(j, SaltelliMatrix::B))
            .collect();
        let ab: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..points)
                    .map(|j| evaluate(j, SaltelliMatrix::Mixed(i)))
                    .collect()
            })
            .collect();
        for (input, index) in indices(&a, &b, &ab, 1).iter().enumerate() {
            assert!(
                (index.first - ISHIGAMI_FIRST[input]).abs() < 0.02,
                "S1 {input}: {index:?}"
            );
            assert!(
                (index.total - ISHIGAMI_TOTAL[input]).abs() < 0.02,
                "ST {input}: {index:?}"
            );
        }
    }

    /// Sobol's G function, g(x) = Π (|4x_i − 2| + a_i)/(1 + a_i) on the unit cube, has
    /// analytic indices (Saltelli et al. 2010): V_i = 1/(3 (1 + a_i)²), V = Π (1 + V_i) − 1,
    /// S_i = V_i / V and S_Ti = V_i Π_(j≠i) (1 + V_j) / V. With a = (0, 1, 4.5, 9, 99, 99) the
    /// first input dominates, interactions are strong and the last two barely matter.
    #[test]
    fn a_saltelli_design_on_sobol_points_estimates_the_g_function() {
        use crate::sensitivity::known::indices;
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
        let partial: Vec<f64> = a
            .iter()
            .map(|a| 1.0 / (3.0 * (1.0 + a) * (1.0 + a)))
            .collect();
        let product: f64 = partial.iter().map(|v| 1.0 + v).product();
        let variance = product - 1.0;
        let design = SaltelliDesign::new(a.len(), 5).unwrap();
        let points = 1 << 13;
        let (mut scratch, mut row) = (vec![0.0; 2 * a.len()], vec![0.0; a.len()]);
        let mut evaluate = |point, matrix| {
            design.row(point, matrix, &mut scratch, &mut row).unwrap();
            row.iter()
                .zip(&a)
                .map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
                .product::<f64>()
        };
        let first: Vec<f64> = (0..points)
            .map(|j| evaluate(j, SaltelliMatrix::A))
            .collect();
        let second: Vec<f64> = (0..points)
            .map(|j| evaluate(j, SaltelliMatrix::B))
            .collect();
        let mixed: Vec<Vec<f64>> = (0..a.len())
            .map(|i| {
                (0..points)
                    .map(|j| evaluate(j, SaltelliMatrix::Mixed(i)))
                    .collect()
            })
            .collect();
        for (input, index) in indices(&first, &second, &mixed, 3).iter().enumerate() {
            let expected_first = partial[input] / variance;
            let expected_total = partial[input] * product / (1.0 + partial[input]) / variance;
            assert!(
                (index.first - expected_first).abs() < 0.03,
                "S1 {input}: {index:?} vs {expected_first}"
            );
            assert!(
                (index.total - expected_total).abs() < 0.03,
                "ST {input}: {index:?} vs {expected_total}"
            );
            // The intervals are honest: they hold the analytic values.
            assert!(
                index.total_interval.contains(expected_total),
                "ST {input}: {index:?} vs {expected_total}"
            );
        }
    }

    /// Every dimension of a Latin hypercube has exactly one point in each stratum, and the
    /// design depends only on (seed, points, dimensions).
    #[test]
    fn a_latin_hypercube_has_one_point_per_stratum_in_every_dimension() {
        for points in [1, 7, 256, 1000] {
            let design = LatinHypercube::new(points, 12, 3);
            assert_eq!(design.points(), points);
            for dimension in 0..12 {
                let mut seen = vec![false; points];
                for point in 0..points {
                    let value = design.coordinate(point, dimension);
                    assert!((0.0..1.0).contains(&value));
                    let stratum = (value * points as f64) as usize;
                    assert!(!seen[stratum], "{points} points, dimension {dimension}");
                    seen[stratum] = true;
                }
            }
        }
        let (a, b) = (LatinHypercube::new(50, 3, 3), LatinHypercube::new(50, 3, 4));
        assert_eq!(a.coordinates, LatinHypercube::new(50, 3, 3).coordinates);
        assert_ne!(a.coordinates, b.coordinates);
    }

    /// A Morris trajectory moves each input exactly once, by ±Δ, on the grid and inside the
    /// unit cube; its elementary effects on a linear function are the coefficients.
    #[test]
    fn morris_trajectories_move_each_input_once_by_delta() {
        let levels = 4;
        let delta = levels as f64 / (2.0 * (levels - 1) as f64);
        let coefficients = [1.5, -3.0, 0.25, 0.0, 2.0];
        for trajectory in 0..50 {
            let points = morris_trajectory(5, levels, 9, trajectory).unwrap();
            assert_eq!(points.len(), 6);
            let mut moved = [false; 5];
            for step in 1..points.len() {
                let changed: Vec<usize> = (0..5)
                    .filter(|&i| points[step][i] != points[step - 1][i])
                    .collect();
                let [input] = changed[..] else {
                    panic!("trajectory {trajectory}: step {step} moved {changed:?}")
                };
                assert!(!moved[input], "input {input} moved twice");
                moved[input] = true;
                assert!(
                    ((points[step][input] - points[step - 1][input]).abs() - delta).abs() < 1e-12
                );
            }
            for point in &points {
                for &value in point {
                    let on_grid = value * (levels - 1) as f64;
                    assert!(
                        (on_grid - on_grid.round()).abs() < 1e-9 && (0.0..=1.0).contains(&value)
                    );
                }
            }
            let outputs: Vec<f64> = points
                .iter()
                .map(|x| x.iter().zip(&coefficients).map(|(x, c)| x * c).sum())
                .collect();
            for (input, effect) in
                crate::sensitivity::elementary_effects(&points, &outputs).unwrap()
            {
                assert!((effect - coefficients[input]).abs() < 1e-9);
            }
        }
        assert_eq!(morris_trajectory(3, 4, 9, 7), morris_trajectory(3, 4, 9, 7));
        assert_ne!(morris_trajectory(3, 4, 9, 7), morris_trajectory(3, 4, 9, 8));
        assert_eq!(
            morris_trajectory(3, 3, 9, 0),
            Err(DesignError::MorrisLevels { levels: 3 })
        );
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        assert_eq!(joe_kuo::DIRECTIONS.len() + 1, SOBOL_MAX_DIMENSIONS);
        assert_eq!(
            SobolSequence::new(SOBOL_MAX_DIMENSIONS + 1).unwrap_err(),
            DesignError::TooManyDimensions {
                asked: SOBOL_MAX_DIMENSIONS + 1,
                most: SOBOL_MAX_DIMENSIONS
            }
        );
        let sequence = SobolSequence::new(2).unwrap();
        let mut point = [0.0; 2];
        assert!(sequence.point(u64::from(u32::MAX), &mut point).is_ok());
        assert_eq!(
            sequence.point(1 << 32, &mut point),
            Err(DesignError::IndexTooLarge { index: 1 << 32 })
        );
    }
}
