//! Scenario discovery: which regions of the input space produce the cases of interest, found
//! with PRIM boxes and ranked with regional sensitivity, as EMA Workbench does (issue 15).
//!
//! Methods, with where they come from:
//! - **PRIM.** Friedman and Fisher (1999), "Bump hunting in high-dimensional data", with the
//!   conventions of EMA Workbench's `analysis/prim.py` (Kwakkel 2017, "The Exploratory
//!   Modeling Workbench"). Starting from the box holding every case, each peeling step looks
//!   at the lower and the upper side of every input and removes the in-box cases beyond that
//!   input's `peel_alpha` (or 1 − `peel_alpha`) quantile among the in-box cases; it keeps the
//!   peel that leaves the highest density (Friedman and Fisher's original objective, not EMA's
//!   default "lenient1" gain per case removed), ties going to the peel removing fewer cases,
//!   then to the earlier input, lower side first. Peeling stops when the best peel would not
//!   raise the density or would leave a mass below `mass_min`.
//! - **Quantiles.** EMA's `get_quantile` (after sdtoolkit): the sorted in-box values at
//!   positions ⌊(m − 1)q⌋ and ⌈(m − 1)q⌉, moved apart past ties, and the limit halfway between
//!   them, so that a limit never splits tied values and lies between cases, not on one.
//! - **Pasting.** Friedman and Fisher's pasting, applied to the last peeled box (as EMA does):
//!   for each side of each input, the cases outside the box only because of that side's limit
//!   are candidates, and the ⌊`paste_alpha` × cases in the box⌋ (at least one, ties kept
//!   together) nearest the limit are added back; the expansion raising the density most is
//!   kept, and pasting repeats until none raises it. The pasted boxes follow the peeled ones
//!   on the trajectory; [`Cases::paste`] pastes any other box.
//! - **Choosing the box.** EMA's `find_box` followed by `select(i)`: the box of highest
//!   coverage among those whose density reaches `threshold_density`, or the densest box if
//!   none does ([`choose_box`]); the whole trajectory is returned for choosing another.
//! - **Quasi-p-values.** Bryant and Lempert (2010), "Thinking inside the box", as EMA computes
//!   them: for each restricted side of each input, the one-sided binomial probability of at
//!   least the box's cases of interest among its cases if the density were that of the box
//!   with this one limit removed, P(X ≥ y_box | n_box, p_without). The binomial probabilities
//!   come from Loader's (2000) saddle-point form, "Fast and accurate computation of binomial
//!   probabilities", which avoids the cancellation of large ln Γ values, and the tail is summed
//!   from its largest term until the rest cannot change the sum: about 1e-12 relative for any
//!   n (tested against exact and 40-digit sums up to n = 10⁷).
//! - **Regional sensitivity.** Spear and Hornberger (1980), as EMA's `regional_sa`: for each
//!   input, the two-sample Kolmogorov–Smirnov distance between its values in the cases of
//!   interest and in the others, computed exactly by sorting, with its asymptotic p-value from
//!   [`crate::stats::kolmogorov_smirnov_p_value`]; inputs are ranked by distance.
//!
//! Data: n cases of k numeric inputs, column-major (`columns[input][case]`), with a name per
//! input and a boolean per case saying whether it is of interest; [`Cases::new`] checks them
//! once. A box is a lower and an upper limit per input, both inclusive; an input is restricted
//! on a side when its limit there lies inside the data's range. Everything is deterministic.
//!
//! Named constants: [`DEFAULT_PEEL_ALPHA`], [`DEFAULT_PASTE_ALPHA`], [`DEFAULT_MASS_MIN`] and
//! [`DEFAULT_THRESHOLD_DENSITY`] are EMA's defaults; [`MAX_CASES`] comes from storing case
//! numbers in 32 bits; `TAIL_TOLERANCE`, `LN_SQRT_TWO_PI` and `STIRLING_SERIES_FROM` belong to
//! the binomial tail.

use std::cmp::Ordering;

use serde::Serialize;

use crate::stats::kolmogorov_smirnov_p_value;

/// Fraction of the in-box cases a peel removes (EMA's `peel_alpha`): small peels make PRIM
/// "patient", taking many small steps instead of a few greedy ones.
pub const DEFAULT_PEEL_ALPHA: f64 = 0.05;

/// Fraction of the in-box cases a pasting step adds back (EMA's `paste_alpha`).
pub const DEFAULT_PASTE_ALPHA: f64 = 0.05;

/// Smallest fraction of all cases a peeled box may hold (EMA's `mass_min`): smaller boxes
/// describe too few cases to be trusted.
pub const DEFAULT_MASS_MIN: f64 = 0.05;

/// Density the chosen box must reach (EMA's `threshold` for a binary outcome).
pub const DEFAULT_THRESHOLD_DENSITY: f64 = 0.8;

/// Most cases PRIM takes: case numbers are stored in 32 bits, which halves the memory of the
/// per-input sorted orders (a million cases of 30 inputs take 120 MB instead of 240).
pub const MAX_CASES: usize = u32::MAX as usize;

/// Size, relative to the sum so far, below which the rest of a binomial tail is dropped: a
/// quarter of the spacing of doubles near 1, so the rest cannot change the sum's last bit.
const TAIL_TOLERANCE: f64 = f64::EPSILON / 4.0;

/// ln √(2π), the constant of Stirling's formula.
const LN_SQRT_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Counts above which Stirling's error term comes from its asymptotic series; at or below,
/// from ln n! computed directly (n! is exact in a double up to 18!).
const STIRLING_SERIES_FROM: u64 = 15;

/// Errors in the cases or settings handed to scenario discovery.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
pub enum DiscoveryError {
    /// No case was given.
    #[error("there are no cases")]
    NoCases,
    /// No input column was given.
    #[error("there are no input columns")]
    NoInputs,
    /// The number of names is not the number of input columns.
    #[error("{names} input names were given for {columns} input columns")]
    NameCount {
        /// Names given.
        names: usize,
        /// Input columns given.
        columns: usize,
    },
    /// An input column whose length is not the number of cases.
    #[error("input `{column}` has {found} values where there are {expected} cases")]
    ColumnLength {
        /// The input's name.
        column: String,
        /// The column's length.
        found: usize,
        /// The number of cases.
        expected: usize,
    },
    /// An input value that is NaN or infinite.
    #[error("input `{column}` has the non-finite value {value} in row {row}")]
    NonFinite {
        /// The input's name.
        column: String,
        /// The case's index, from 0.
        row: usize,
        /// The value found.
        value: f64,
    },
    /// No case is of interest.
    #[error("no case is of interest: there is nothing to find")]
    NoCaseOfInterest,
    /// Every case is of interest.
    #[error("every case is of interest: there is nothing to tell them from")]
    EveryCaseOfInterest,
    /// More cases than [`MAX_CASES`].
    #[error("there are {cases} cases; at most {most} are supported")]
    TooManyCases {
        /// Cases given.
        cases: usize,
        /// The most supported.
        most: usize,
    },
    /// A box whose number of limits is not the number of inputs.
    #[error("the box has limits for {found} inputs where there are {expected}")]
    LimitCount {
        /// Limits given.
        found: usize,
        /// The number of inputs.
        expected: usize,
    },
    /// A PRIM setting outside its range (or NaN).
    #[error("setting `{name}` is {value}; it must be in {range}")]
    InvalidSetting {
        /// The setting's name, such as "peel_alpha".
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range allowed, written as an interval such as "(0, 0.5)".
        range: &'static str,
    },
}

/// PRIM's parameters; [`Default`] gives EMA's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PrimSettings {
    /// Fraction of the in-box cases each peel removes, in (0, 0.5).
    pub peel_alpha: f64,
    /// Fraction of the in-box cases each pasting step adds back, in (0, 1].
    pub paste_alpha: f64,
    /// Smallest mass (fraction of all cases) a peeled box may have, in [0, 1].
    pub mass_min: f64,
    /// Density the chosen box must reach, in [0, 1].
    pub threshold_density: f64,
}

impl Default for PrimSettings {
    fn default() -> Self {
        PrimSettings {
            peel_alpha: DEFAULT_PEEL_ALPHA,
            paste_alpha: DEFAULT_PASTE_ALPHA,
            mass_min: DEFAULT_MASS_MIN,
            threshold_density: DEFAULT_THRESHOLD_DENSITY,
        }
    }
}

impl PrimSettings {
    fn validate(&self) -> Result<(), DiscoveryError> {
        check_setting("peel_alpha", self.peel_alpha, "(0, 0.5)", |a| {
            a > 0.0 && a < 0.5
        })?;
        check_setting("paste_alpha", self.paste_alpha, "(0, 1]", |a| {
            a > 0.0 && a <= 1.0
        })?;
        check_setting("mass_min", self.mass_min, "[0, 1]", |m| {
            (0.0..=1.0).contains(&m)
        })?;
        check_setting("threshold_density", self.threshold_density, "[0, 1]", |d| {
            (0.0..=1.0).contains(&d)
        })
    }
}

/// An error naming `name` unless `valid(value)`; NaN fails every range check.
fn check_setting(
    name: &'static str,
    value: f64,
    range: &'static str,
    valid: impl Fn(f64) -> bool,
) -> Result<(), DiscoveryError> {
    if valid(value) {
        Ok(())
    } else {
        Err(DiscoveryError::InvalidSetting { name, value, range })
    }
}

/// The limits of a box on one input; a case is inside when lower ≤ value ≤ upper.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Limits {
    /// The smallest value inside the box (inclusive).
    pub lower: f64,
    /// The largest value inside the box (inclusive).
    pub upper: f64,
}

impl Limits {
    /// Whether `value` lies within the limits, both included (false for NaN).
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// Which phase of PRIM produced a box of the trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// A box from peeling (including the first box, which holds every case).
    Peeling,
    /// A box from pasting the last peeled box.
    Pasting,
}

/// One box of PRIM's trajectory with its statistics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrimBox {
    /// Which phase produced the box.
    pub phase: Phase,
    /// Cases inside the box.
    pub cases: u64,
    /// Cases of interest inside the box.
    pub cases_of_interest: u64,
    /// Cases of interest inside the box over all cases of interest.
    pub coverage: f64,
    /// Cases of interest inside the box over the cases inside it.
    pub density: f64,
    /// Cases inside the box over all cases.
    pub mass: f64,
    /// Inputs with at least one limit inside the data's range.
    pub restricted_inputs: usize,
    /// The box's limits, one per input in the input order.
    pub limits: Vec<Limits>,
}

/// One restricted input of a box, with the quasi-p-value of each restricted side (`None` for
/// a side left at the data's extreme).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restriction {
    /// The input's position among the columns.
    pub input: usize,
    /// The input's name.
    pub name: String,
    /// The box's lower limit on the input.
    pub lower: f64,
    /// The box's upper limit on the input.
    pub upper: f64,
    /// The data's smallest value of the input.
    pub minimum: f64,
    /// The data's largest value of the input.
    pub maximum: f64,
    /// The quasi-p-value of the lower limit (`None` if it is at the data's minimum).
    pub quasi_p_lower: Option<f64>,
    /// The quasi-p-value of the upper limit (`None` if it is at the data's maximum).
    pub quasi_p_upper: Option<f64>,
}

/// What PRIM found: the trajectory (peeled boxes from the whole data down, then the pasted
/// ones), the chosen box's position on it and the chosen box's restrictions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrimResult {
    /// The settings PRIM ran with.
    pub settings: PrimSettings,
    /// The inputs' names, in the input order.
    pub names: Vec<String>,
    /// All cases.
    pub cases: u64,
    /// All cases of interest.
    pub cases_of_interest: u64,
    /// The boxes in order: the peeled ones from the whole data down, then the pasted ones.
    pub trajectory: Vec<PrimBox>,
    /// Position of the chosen box on the trajectory ([`choose_box`]).
    pub chosen: usize,
    /// The chosen box's restricted inputs, in the input order.
    pub restrictions: Vec<Restriction>,
}

impl PrimResult {
    /// The chosen box of the trajectory.
    pub fn chosen_box(&self) -> &PrimBox {
        &self.trajectory[self.chosen]
    }
}

/// One input's regional sensitivity: the Kolmogorov–Smirnov distance between its values in
/// the two groups of cases, and the distance's p-value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputSensitivity {
    /// The input's position among the columns.
    pub input: usize,
    /// The input's name.
    pub name: String,
    /// The two-sample Kolmogorov–Smirnov distance, in [0, 1].
    pub distance: f64,
    /// The distance's asymptotic p-value.
    pub p_value: f64,
}

/// Checked cases for scenario discovery: named numeric input columns (`columns[input][case]`)
/// and whether each case is of interest. Borrows the data; holds only each input's range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cases<'a> {
    names: &'a [String],
    columns: &'a [Vec<f64>],
    of_interest: &'a [bool],
    minimum: Vec<f64>,
    maximum: Vec<f64>,
    cases_of_interest: u64,
}

impl<'a> Cases<'a> {
    /// Checks the data: at least one case and one input, a name per column, columns as long as
    /// `of_interest`, finite values, and both kinds of case present.
    pub fn new(
        names: &'a [String],
        columns: &'a [Vec<f64>],
        of_interest: &'a [bool],
    ) -> Result<Self, DiscoveryError> {
        let cases = of_interest.len();
        if cases == 0 {
            return Err(DiscoveryError::NoCases);
        }
        if cases > MAX_CASES {
            return Err(DiscoveryError::TooManyCases {
                cases,
                most: MAX_CASES,
            });
        }
        if columns.is_empty() {
            return Err(DiscoveryError::NoInputs);
        }
        if names.len() != columns.len() {
            return Err(DiscoveryError::NameCount {
                names: names.len(),
                columns: columns.len(),
            });
        }
        let mut minimum = Vec::with_capacity(columns.len());
        let mut maximum = Vec::with_capacity(columns.len());
        for (name, column) in names.iter().zip(columns) {
            if column.len() != cases {
                return Err(DiscoveryError::ColumnLength {
                    column: name.clone(),
                    found: column.len(),
                    expected: cases,
                });
            }
            if let Some((row, &value)) = column.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(DiscoveryError::NonFinite {
                    column: name.clone(),
                    row,
                    value,
                });
            }
            minimum.push(column.iter().copied().fold(f64::INFINITY, f64::min));
            maximum.push(column.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        }
        let cases_of_interest = of_interest.iter().filter(|&&interest| interest).count();
        if cases_of_interest == 0 {
            return Err(DiscoveryError::NoCaseOfInterest);
        }
        if cases_of_interest == cases {
            return Err(DiscoveryError::EveryCaseOfInterest);
        }
        Ok(Cases {
            names,
            columns,
            of_interest,
            minimum,
            maximum,
            cases_of_interest: cases_of_interest as u64,
        })
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.of_interest.len()
    }

    /// Always false: [`Cases::new`] refuses empty data.
    pub fn is_empty(&self) -> bool {
        self.of_interest.is_empty()
    }

    /// Number of input columns.
    pub fn inputs(&self) -> usize {
        self.columns.len()
    }

    /// Number of cases of interest.
    pub fn cases_of_interest(&self) -> u64 {
        self.cases_of_interest
    }

    /// The box holding every case: each input's limits are its smallest and largest values.
    pub fn full_box(&self) -> Vec<Limits> {
        self.minimum
            .iter()
            .zip(&self.maximum)
            .map(|(&lower, &upper)| Limits { lower, upper })
            .collect()
    }

    /// Whether each case lies inside the box `limits`: with [`Cases::new`] over this split, the
    /// in-box and out-of-box cases can be compared by [`Cases::regional_sensitivity`].
    pub fn in_box(&self, limits: &[Limits]) -> Result<Vec<bool>, DiscoveryError> {
        self.check_limits(limits)?;
        Ok((0..self.len())
            .map(|case| self.violations(limits, case).count == 0)
            .collect())
    }

    /// PRIM: peels from the whole data, pastes the last peeled box, chooses a box on the
    /// trajectory and describes its restrictions (see the module header).
    pub fn prim(&self, settings: &PrimSettings) -> Result<PrimResult, DiscoveryError> {
        settings.validate()?;
        let mut trajectory = self.peel(settings);
        // The trajectory starts with the box of all cases, so it has a last box.
        let last = &trajectory[trajectory.len() - 1];
        let pasted = self.paste_from(
            last.limits.clone(),
            last.cases,
            last.cases_of_interest,
            settings.paste_alpha,
        );
        trajectory.extend(pasted);
        let chosen = choose_box(&trajectory, settings.threshold_density);
        let restrictions = self.describe(&trajectory[chosen].limits);
        Ok(PrimResult {
            settings: *settings,
            names: self.names.to_vec(),
            cases: self.len() as u64,
            cases_of_interest: self.cases_of_interest,
            trajectory,
            chosen,
            restrictions,
        })
    }

    /// Pastes the box `limits` until no expansion raises its density, returning the boxes
    /// pasting passes through (empty when the first expansion already fails).
    pub fn paste(
        &self,
        limits: &[Limits],
        paste_alpha: f64,
    ) -> Result<Vec<PrimBox>, DiscoveryError> {
        self.check_limits(limits)?;
        check_setting("paste_alpha", paste_alpha, "(0, 1]", |a| {
            a > 0.0 && a <= 1.0
        })?;
        let (cases, interesting) = self.count_in_box(limits);
        Ok(self.paste_from(limits.to_vec(), cases, interesting, paste_alpha))
    }

    /// The restricted inputs of the box `limits`, with their quasi-p-values, in the input
    /// order: for a box of the trajectory other than the chosen one.
    pub fn restrictions(&self, limits: &[Limits]) -> Result<Vec<Restriction>, DiscoveryError> {
        self.check_limits(limits)?;
        Ok(self.describe(limits))
    }

    /// Regional sensitivity of every input between the cases of interest and the others,
    /// ranked by decreasing distance, ties in the input order.
    pub fn regional_sensitivity(&self) -> Vec<InputSensitivity> {
        let mut ranking: Vec<InputSensitivity> = self
            .columns
            .iter()
            .enumerate()
            .map(|(input, column)| {
                let (mut interesting, mut other) = (Vec::new(), Vec::new());
                for (&value, &interest) in column.iter().zip(self.of_interest) {
                    if interest {
                        interesting.push(value);
                    } else {
                        other.push(value);
                    }
                }
                let distance = kolmogorov_smirnov_distance(&interesting, &other);
                InputSensitivity {
                    input,
                    name: self.names[input].clone(),
                    distance,
                    p_value: kolmogorov_smirnov_p_value(
                        distance,
                        interesting.len() as u64,
                        other.len() as u64,
                    ),
                }
            })
            .collect();
        // A stable sort keeps tied inputs in the input order.
        ranking.sort_by(|a, b| b.distance.total_cmp(&a.distance));
        ranking
    }

    fn check_limits(&self, limits: &[Limits]) -> Result<(), DiscoveryError> {
        if limits.len() == self.inputs() {
            Ok(())
        } else {
            Err(DiscoveryError::LimitCount {
                found: limits.len(),
                expected: self.inputs(),
            })
        }
    }

    /// A trajectory entry for the box `limits` holding `cases` cases, `interesting` of them
    /// of interest.
    fn entry(&self, phase: Phase, limits: Vec<Limits>, cases: u64, interesting: u64) -> PrimBox {
        let restricted_inputs = limits
            .iter()
            .enumerate()
            .filter(|(input, limits)| {
                limits.lower > self.minimum[*input] || limits.upper < self.maximum[*input]
            })
            .count();
        PrimBox {
            phase,
            cases,
            cases_of_interest: interesting,
            coverage: interesting as f64 / self.cases_of_interest as f64,
            density: if cases == 0 {
                0.0
            } else {
                interesting as f64 / cases as f64
            },
            mass: cases as f64 / self.len() as f64,
            restricted_inputs,
            limits,
        }
    }

    /// The limits `case` lies outside of: how many, and the last one found (as a side, see
    /// [`Side`]). Stops counting at two, which is all pasting and quasi-p-values need.
    fn violations(&self, limits: &[Limits], case: usize) -> Violations {
        let mut found = Violations {
            count: 0,
            side: None,
        };
        for (input, (limits, column)) in limits.iter().zip(self.columns).enumerate() {
            let value = column[case];
            let side = if value < limits.lower {
                Side::Lower
            } else if value > limits.upper {
                Side::Upper
            } else {
                continue;
            };
            found.count += 1;
            found.side = Some((input, side));
            if found.count > 1 {
                break;
            }
        }
        found
    }

    /// Cases inside the box `limits`, and how many of them are of interest.
    fn count_in_box(&self, limits: &[Limits]) -> (u64, u64) {
        let (mut cases, mut interesting) = (0, 0);
        for case in 0..self.len() {
            if self.violations(limits, case).count == 0 {
                cases += 1;
                interesting += u64::from(self.of_interest[case]);
            }
        }
        (cases, interesting)
    }

    /// The peeling phase: the trajectory from the whole data to the last peeled box.
    fn peel(&self, settings: &PrimSettings) -> Vec<PrimBox> {
        let mut peeler = Peeler::new(self);
        let mut trajectory = vec![self.entry(
            Phase::Peeling,
            peeler.limits.clone(),
            peeler.cases() as u64,
            peeler.interesting,
        )];
        let total = self.len() as f64;
        while let Some(peel) = peeler.best_peel(settings.peel_alpha) {
            let kept = (peeler.cases() - peel.removed) as u64;
            let kept_interesting = peeler.interesting - peel.interesting_removed;
            let raises_density = compare_densities(
                kept_interesting,
                kept,
                peeler.interesting,
                peeler.cases() as u64,
            ) == Ordering::Greater;
            if !raises_density || (kept as f64 / total) < settings.mass_min {
                break;
            }
            peeler.apply(&peel);
            trajectory.push(self.entry(
                Phase::Peeling,
                peeler.limits.clone(),
                kept,
                kept_interesting,
            ));
        }
        trajectory
    }

    /// The pasting phase from the box `limits` of `cases` cases, `interesting` of them of
    /// interest: the boxes each accepted expansion leads to.
    fn paste_from(
        &self,
        mut limits: Vec<Limits>,
        mut cases: u64,
        mut interesting: u64,
        paste_alpha: f64,
    ) -> Vec<PrimBox> {
        let mut pasted = Vec::new();
        while let Some(paste) = self.best_paste(&limits, cases, paste_alpha) {
            let grown = cases + paste.added;
            let grown_interesting = interesting + paste.interesting_added;
            if compare_densities(grown_interesting, grown, interesting, cases) != Ordering::Greater
            {
                break;
            }
            match paste.side {
                Side::Lower => limits[paste.input].lower = paste.limit,
                Side::Upper => limits[paste.input].upper = paste.limit,
            }
            cases = grown;
            interesting = grown_interesting;
            pasted.push(self.entry(Phase::Pasting, limits.clone(), cases, interesting));
        }
        pasted
    }

    /// The expansion of the box `limits` (holding `cases` cases) that leaves the highest
    /// density, ties going to the one adding more cases, then to the earlier input, lower
    /// side first; `None` when every case inside the other limits is already in the box.
    fn best_paste(&self, limits: &[Limits], cases: u64, paste_alpha: f64) -> Option<Change> {
        // The candidates of each side: cases outside the box only because of that side's
        // limit, so that moving that limit alone brings them in.
        let mut candidates: Vec<Vec<(f64, bool)>> = vec![Vec::new(); 2 * self.inputs()];
        let mut interesting = 0;
        for case in 0..self.len() {
            let violations = self.violations(limits, case);
            match (violations.count, violations.side) {
                (0, _) => interesting += u64::from(self.of_interest[case]),
                (1, Some((input, side))) => candidates[2 * input + side as usize]
                    .push((self.columns[input][case], self.of_interest[case])),
                _ => {}
            }
        }
        // Up to paste_alpha of the in-box cases are added, at least one.
        let wanted = ((paste_alpha * cases as f64).floor() as usize).max(1);
        let mut best: Option<Change> = None;
        for (slot, mut outside) in candidates.into_iter().enumerate() {
            if outside.is_empty() {
                continue;
            }
            let (input, side) = (slot / 2, Side::from_index(slot % 2));
            // Nearest the box first.
            match side {
                Side::Lower => outside.sort_unstable_by(|a, b| b.0.total_cmp(&a.0)),
                Side::Upper => outside.sort_unstable_by(|a, b| a.0.total_cmp(&b.0)),
            }
            let mut taken = wanted.min(outside.len());
            // A limit cannot pass between equal values, so ties come in together.
            while taken < outside.len() && outside[taken].0 == outside[taken - 1].0 {
                taken += 1;
            }
            let last_in = outside[taken - 1].0;
            let limit = match (side, outside.get(taken)) {
                // Every candidate comes in: nothing inside the other limits lies beyond this
                // one any more, so the side goes back to the data's extreme (unrestricted).
                (Side::Lower, None) => self.minimum[input],
                (Side::Upper, None) => self.maximum[input],
                (Side::Lower, Some(&(first_out, _))) => lower_limit_between(first_out, last_in),
                (Side::Upper, Some(&(first_out, _))) => upper_limit_between(last_in, first_out),
            };
            let change = Change {
                input,
                side,
                limit,
                added: taken as u64,
                interesting_added: outside[..taken].iter().filter(|(_, i)| *i).count() as u64,
            };
            let better = match &best {
                None => true,
                Some(best) => {
                    compare_densities(
                        interesting + change.interesting_added,
                        cases + change.added,
                        interesting + best.interesting_added,
                        cases + best.added,
                    )
                    .then(change.added.cmp(&best.added))
                        == Ordering::Greater
                }
            };
            if better {
                best = Some(change);
            }
        }
        best
    }

    /// The restricted inputs of the box `limits` and their quasi-p-values: one pass over the
    /// cases counts those inside and, for each side, those outside only because of it (the
    /// cases the box gains when that one limit is removed).
    fn describe(&self, limits: &[Limits]) -> Vec<Restriction> {
        let (mut cases, mut interesting) = (0u64, 0u64);
        let mut beyond = vec![(0u64, 0u64); 2 * self.inputs()];
        for case in 0..self.len() {
            let violations = self.violations(limits, case);
            let interest = u64::from(self.of_interest[case]);
            match (violations.count, violations.side) {
                (0, _) => {
                    cases += 1;
                    interesting += interest;
                }
                (1, Some((input, side))) => {
                    let slot = &mut beyond[2 * input + side as usize];
                    slot.0 += 1;
                    slot.1 += interest;
                }
                _ => {}
            }
        }
        let quasi_p = |slot: (u64, u64)| {
            let without = cases + slot.0;
            let density_without = if without == 0 {
                0.0
            } else {
                (interesting + slot.1) as f64 / without as f64
            };
            binomial_upper_tail(interesting, cases, density_without)
        };
        limits
            .iter()
            .enumerate()
            .filter_map(|(input, limits)| {
                let (minimum, maximum) = (self.minimum[input], self.maximum[input]);
                let lower_restricted = limits.lower > minimum;
                let upper_restricted = limits.upper < maximum;
                (lower_restricted || upper_restricted).then(|| Restriction {
                    input,
                    name: self.names[input].clone(),
                    lower: limits.lower,
                    upper: limits.upper,
                    minimum,
                    maximum,
                    quasi_p_lower: lower_restricted.then(|| quasi_p(beyond[2 * input])),
                    quasi_p_upper: upper_restricted.then(|| quasi_p(beyond[2 * input + 1])),
                })
            })
            .collect()
    }
}

/// A side of an input's range; its index (0 or 1) orders the lower side first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Lower = 0,
    Upper = 1,
}

impl Side {
    fn from_index(index: usize) -> Side {
        if index == 0 { Side::Lower } else { Side::Upper }
    }
}

/// How many limits a case lies outside of (counted up to two), and one of them.
struct Violations {
    count: u32,
    side: Option<(usize, Side)>,
}

/// A candidate pasting step: a new limit on one side of one input and the cases it adds.
struct Change {
    input: usize,
    side: Side,
    limit: f64,
    added: u64,
    interesting_added: u64,
}

/// A candidate peel: a new limit on one side of one input and the cases it removes.
struct Peel {
    input: usize,
    side: Side,
    limit: f64,
    removed: usize,
    interesting_removed: u64,
}

/// The peeling state: the box's limits, which cases are inside, and for each input the
/// in-box cases sorted by that input's value. Sorting once and filtering the orders after each
/// peel makes every quantile a lookup, and a step costs O(k × cases in the box).
struct Peeler<'c, 'a> {
    cases: &'c Cases<'a>,
    limits: Vec<Limits>,
    inside: Vec<bool>,
    orders: Vec<Vec<u32>>,
    interesting: u64,
}

impl<'c, 'a> Peeler<'c, 'a> {
    fn new(cases: &'c Cases<'a>) -> Self {
        let orders = cases
            .columns
            .iter()
            .map(|column| {
                // Sorting (value, case) pairs keeps the comparisons in contiguous memory; the
                // case number breaks ties so that the order is the same on every run.
                let mut keyed: Vec<(f64, u32)> = column.iter().copied().zip(0u32..).collect();
                keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                keyed.into_iter().map(|(_, case)| case).collect()
            })
            .collect();
        Peeler {
            cases,
            limits: cases.full_box(),
            inside: vec![true; cases.len()],
            orders,
            interesting: cases.cases_of_interest,
        }
    }

    fn cases(&self) -> usize {
        self.orders[0].len()
    }

    /// The peel leaving the highest density, ties going to the one removing fewer cases, then
    /// to the earlier input, lower side first; `None` when no peel removes anything.
    fn best_peel(&self, alpha: f64) -> Option<Peel> {
        let total = self.cases() as u64;
        let mut best: Option<Peel> = None;
        for input in 0..self.cases.inputs() {
            for side in [Side::Lower, Side::Upper] {
                let Some(peel) = self.peel(input, side, alpha) else {
                    continue;
                };
                let better = match &best {
                    None => true,
                    Some(best) => {
                        compare_densities(
                            self.interesting - peel.interesting_removed,
                            total - peel.removed as u64,
                            self.interesting - best.interesting_removed,
                            total - best.removed as u64,
                        )
                        .then(best.removed.cmp(&peel.removed))
                            == Ordering::Greater
                    }
                };
                if better {
                    best = Some(peel);
                }
            }
        }
        best
    }

    /// The peel of `side` of `input`: the in-box cases beyond EMA's alpha (or 1 − alpha)
    /// quantile of the in-box values; `None` when it would remove nothing (all values tied).
    fn peel(&self, input: usize, side: Side, alpha: f64) -> Option<Peel> {
        let order = &self.orders[input];
        let column = &self.cases.columns[input];
        let value = |position: usize| column[order[position] as usize];
        let last = order.len() - 1;
        let (limit, removed_range) = match side {
            Side::Lower => {
                let position = last as f64 * alpha;
                let below = position.floor() as usize;
                let mut above = (position.ceil() as usize).min(last);
                while value(below) == value(above) && above < last {
                    above += 1;
                }
                let limit = if value(below) < value(above) {
                    lower_limit_between(value(below), value(above))
                } else {
                    value(below)
                };
                let removed = order.partition_point(|&case| column[case as usize] < limit);
                (limit, 0..removed)
            }
            Side::Upper => {
                let position = last as f64 * (1.0 - alpha);
                let mut below = position.floor() as usize;
                let above = (position.ceil() as usize).min(last);
                while value(below) == value(above) && below > 0 {
                    below -= 1;
                }
                let limit = if value(below) < value(above) {
                    upper_limit_between(value(below), value(above))
                } else {
                    value(above)
                };
                let kept = order.partition_point(|&case| column[case as usize] <= limit);
                (limit, kept..order.len())
            }
        };
        if removed_range.is_empty() {
            return None;
        }
        let interesting_removed = order[removed_range.clone()]
            .iter()
            .filter(|&&case| self.cases.of_interest[case as usize])
            .count() as u64;
        Some(Peel {
            input,
            side,
            limit,
            removed: removed_range.len(),
            interesting_removed,
        })
    }

    fn apply(&mut self, peel: &Peel) {
        let order = &self.orders[peel.input];
        let removed = match peel.side {
            Side::Lower => &order[..peel.removed],
            Side::Upper => &order[order.len() - peel.removed..],
        };
        for &case in removed {
            self.inside[case as usize] = false;
        }
        for order in &mut self.orders {
            order.retain(|&case| self.inside[case as usize]);
        }
        match peel.side {
            Side::Lower => self.limits[peel.input].lower = peel.limit,
            Side::Upper => self.limits[peel.input].upper = peel.limit,
        }
        self.interesting -= peel.interesting_removed;
    }
}

/// A lower limit between an excluded value `outside` and an included value `inside` > it:
/// halfway, or `inside` itself where the two are adjacent doubles and halfway rounds onto
/// `outside`. Halving first keeps the sum finite for values near the largest double.
fn lower_limit_between(outside: f64, inside: f64) -> f64 {
    let halfway = outside / 2.0 + inside / 2.0;
    if halfway > outside { halfway } else { inside }
}

/// An upper limit between an included value `inside` and an excluded value `outside` > it.
fn upper_limit_between(inside: f64, outside: f64) -> f64 {
    let halfway = inside / 2.0 + outside / 2.0;
    if halfway < outside { halfway } else { inside }
}

/// Compares the densities a/b and c/d exactly (by cross-multiplying in 128 bits), so that ties
/// are real ties and the choice between boxes does not depend on rounding.
fn compare_densities(a: u64, b: u64, c: u64, d: u64) -> Ordering {
    (u128::from(a) * u128::from(d)).cmp(&(u128::from(c) * u128::from(b)))
}

/// The box PRIM chooses on `trajectory`: the one of highest coverage among those whose density
/// reaches `threshold_density` (ties going to the denser, then the earlier box); if none
/// does, the densest (ties going to the higher coverage, then the earlier box). 0 for an empty
/// trajectory.
pub fn choose_box(trajectory: &[PrimBox], threshold_density: f64) -> usize {
    let by_coverage = |a: &PrimBox, b: &PrimBox| {
        a.coverage
            .total_cmp(&b.coverage)
            .then(a.density.total_cmp(&b.density))
    };
    let by_density = |a: &PrimBox, b: &PrimBox| {
        a.density
            .total_cmp(&b.density)
            .then(a.coverage.total_cmp(&b.coverage))
    };
    greatest(
        trajectory,
        |candidate| candidate.density >= threshold_density,
        by_coverage,
    )
    .or_else(|| greatest(trajectory, |_| true, by_density))
    .unwrap_or(0)
}

/// The earliest position of the greatest box under `order` among the `eligible` ones.
fn greatest(
    trajectory: &[PrimBox],
    eligible: impl Fn(&PrimBox) -> bool,
    order: impl Fn(&PrimBox, &PrimBox) -> Ordering,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (index, candidate) in trajectory.iter().enumerate() {
        let greater = best.is_none_or(|kept| order(candidate, &trajectory[kept]).is_gt());
        if eligible(candidate) && greater {
            best = Some(index);
        }
    }
    best
}

/// Regional sensitivity of the inputs `columns` (named `names`) between the cases where
/// `split` is true and the others, ranked by decreasing distance; any split works, such as
/// PRIM's in-box cases ([`Cases::in_box`]).
pub fn regional_sensitivity(
    names: &[String],
    columns: &[Vec<f64>],
    split: &[bool],
) -> Result<Vec<InputSensitivity>, DiscoveryError> {
    Ok(Cases::new(names, columns, split)?.regional_sensitivity())
}

/// The two-sample Kolmogorov–Smirnov distance: the largest difference between the empirical
/// distribution functions of `first` and `second`, exactly (the difference is kept as an
/// integer over the product of the sizes and divided once). NaN when a sample is empty.
pub fn kolmogorov_smirnov_distance(first: &[f64], second: &[f64]) -> f64 {
    if first.is_empty() || second.is_empty() {
        return f64::NAN;
    }
    let sorted = |values: &[f64]| {
        // Adding 0 turns −0 into +0, which total_cmp would otherwise hold apart although
        // they are the same value.
        let mut sorted: Vec<f64> = values.iter().map(|value| value + 0.0).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        sorted
    };
    let (first, second) = (sorted(first), sorted(second));
    let (n, m) = (first.len() as u128, second.len() as u128);
    let (mut i, mut j) = (0usize, 0usize);
    let mut largest = 0u128;
    while i < first.len() || j < second.len() {
        // The next value of either sample; both distribution functions step past all of its
        // copies before they are compared, since they are defined at values, not at cases.
        let next = match (first.get(i), second.get(j)) {
            (Some(&a), Some(&b)) => {
                if b.total_cmp(&a).is_lt() {
                    b
                } else {
                    a
                }
            }
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        while i < first.len() && first[i].total_cmp(&next) != Ordering::Greater {
            i += 1;
        }
        while j < second.len() && second[j].total_cmp(&next) != Ordering::Greater {
            j += 1;
        }
        largest = largest.max((i as u128 * m).abs_diff(j as u128 * n));
    }
    largest as f64 / (n * m) as f64
}

/// P(X ≥ `successes`) for X binomial with `trials` trials of probability `probability`: the
/// one-sided p-value behind the quasi-p-values. Accurate to about 1e-12 relative for any number
/// of trials (what remains is the rounding of n·p and n·(1 − p)); tails below the smallest
/// double are 0. NaN for a probability outside [0, 1].
pub fn binomial_upper_tail(successes: u64, trials: u64, probability: f64) -> f64 {
    if successes == 0 {
        return 1.0;
    }
    if successes > trials {
        return 0.0;
    }
    if !(0.0..=1.0).contains(&probability) {
        return f64::NAN;
    }
    if probability == 0.0 {
        return 0.0;
    }
    if probability == 1.0 {
        return 1.0;
    }
    let (n, p) = (trials as f64, probability);
    let odds = p / (1.0 - p);
    if successes as f64 > n * p {
        // At or beyond the mode the terms only shrink: sum upwards from the first.
        let mut sum = 0.0;
        for k in successes..=trials {
            let term = binomial_probability(k, trials, p);
            sum += term;
            let ratio = (trials - k) as f64 / (k + 1) as f64 * odds;
            // The terms after this one shrink at least as fast as `ratio`, so their sum is at
            // most term × ratio / (1 − ratio).
            if term * ratio <= TAIL_TOLERANCE * sum * (1.0 - ratio) {
                break;
            }
        }
        sum.min(1.0)
    } else {
        // At or below the mean the upper tail is at least a half (the median is at least
        // ⌊np⌋), so 1 − (lower tail) loses nothing; the lower tail's terms shrink going down
        // from successes − 1.
        let mut lower = 0.0;
        for k in (0..successes).rev() {
            let term = binomial_probability(k, trials, p);
            lower += term;
            let ratio = k as f64 / (trials - k + 1) as f64 / odds;
            if term * ratio <= TAIL_TOLERANCE * lower * (1.0 - ratio) {
                break;
            }
        }
        (1.0 - lower).clamp(0.0, 1.0)
    }
}

/// P(X = k) for X binomial(n, p), 0 < p < 1, in Loader's (2000) saddle-point form:
/// exp(−[stirling(n) − stirling(k) − stirling(n−k)] − bd0(k, np) − bd0(n−k, nq)) /
/// √(2π k (n−k)/n), each part accurate to rounding, so that no large logarithms cancel.
fn binomial_probability(k: u64, n: u64, p: f64) -> f64 {
    let q = 1.0 - p;
    let trials = n as f64;
    if k == 0 {
        return (trials * (-p).ln_1p()).exp();
    }
    if k == n {
        return (trials * p.ln()).exp();
    }
    let (x, rest) = (k as f64, (n - k) as f64);
    let exponent = stirling_error(n)
        - stirling_error(k)
        - stirling_error(n - k)
        - deviance(x, trials * p)
        - deviance(rest, trials * q);
    let log_scale = 2.0 * LN_SQRT_TWO_PI + x.ln() + (-x / trials).ln_1p();
    (exponent - 0.5 * log_scale).exp()
}

/// Stirling's error ln n! − [(n + ½) ln n − n + ln √(2π)], for n ≥ 1.
fn stirling_error(n: u64) -> f64 {
    // Coefficients of the asymptotic series: 1/12, 1/360, 1/1260, 1/1680, 1/1188.
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let x = n as f64;
    if n <= STIRLING_SERIES_FROM {
        let ln_factorial = (2..=n).map(|i| i as f64).product::<f64>().ln();
        return ln_factorial - (x + 0.5) * x.ln() + x - LN_SQRT_TWO_PI;
    }
    let xx = x * x;
    // Fewer terms are needed as n grows (Loader's cut-offs).
    if n > 500 {
        (S0 - S1 / xx) / x
    } else if n > 80 {
        (S0 - (S1 - S2 / xx) / xx) / x
    } else if n > 35 {
        (S0 - (S1 - (S2 - S3 / xx) / xx) / xx) / x
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / xx) / xx) / xx) / xx) / x
    }
}

/// The deviance term x ln(x/μ) + μ − x, by a series when x is near μ, where the direct form
/// would cancel.
fn deviance(x: f64, mean: f64) -> f64 {
    /// Series terms before giving up (it converges in a handful when |x − μ| < 0.1 (x + μ)).
    const MAX_TERMS: u32 = 1000;
    if (x - mean).abs() < 0.1 * (x + mean) {
        let v = (x - mean) / (x + mean);
        let mut sum = (x - mean) * v;
        let mut power = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..MAX_TERMS {
            power *= v2;
            let next = sum + power / f64::from(2 * j + 1);
            if next == sum {
                return next;
            }
            sum = next;
        }
        return sum;
    }
    x * (x / mean).ln() + mean - x
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::{RngExt, SeedableRng};

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|input| format!("x{input}")).collect()
    }

    /// 20,000 cases of 5 inputs uniform on [0, 1]; a case is of interest when x0 is in
    /// [0.2, 0.6] and x3 > 0.7 (a 12% base rate), with 1% of the labels flipped.
    fn planted() -> (Vec<String>, Vec<Vec<f64>>, Vec<bool>) {
        const CASES: usize = 20_000;
        let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        let mut columns = vec![Vec::new(); 5];
        let mut of_interest = Vec::with_capacity(CASES);
        for _ in 0..CASES {
            let row: [f64; 5] = std::array::from_fn(|_| random.random::<f64>());
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
            let inside = (0.2..=0.6).contains(&row[0]) && row[3] > 0.7;
            let flipped = random.random::<f64>() < 0.01;
            of_interest.push(inside != flipped);
        }
        (names(5), columns, of_interest)
    }

    #[test]
    fn prim_finds_the_planted_box() {
        let (names, columns, of_interest) = planted();
        let cases = Cases::new(&names, &columns, &of_interest).unwrap();
        let settings = PrimSettings {
            threshold_density: 0.9,
            ..PrimSettings::default()
        };
        let result = cases.prim(&settings).unwrap();
        let chosen = result.chosen_box();
        assert!(chosen.density >= 0.9, "density {}", chosen.density);
        assert!(chosen.coverage >= 0.8, "coverage {}", chosen.coverage);
        assert_eq!(chosen.restricted_inputs, 2);
        let restricted: Vec<usize> = result.restrictions.iter().map(|r| r.input).collect();
        assert_eq!(restricted, [0, 3]);
        let (x0, x3) = (&result.restrictions[0], &result.restrictions[1]);
        assert!((x0.lower - 0.2).abs() < 0.03, "x0 lower {}", x0.lower);
        assert!((x0.upper - 0.6).abs() < 0.03, "x0 upper {}", x0.upper);
        assert!((x3.lower - 0.7).abs() < 0.03, "x3 lower {}", x3.lower);
        assert_eq!(x3.upper, x3.maximum);
        for input in [1, 2, 4] {
            assert_eq!(chosen.limits[input].lower, cases.minimum[input]);
            assert_eq!(chosen.limits[input].upper, cases.maximum[input]);
        }
        for p in [x0.quasi_p_lower, x0.quasi_p_upper, x3.quasi_p_lower] {
            assert!(p.unwrap() < 1e-10, "quasi-p {p:?}");
        }
        assert_eq!(x3.quasi_p_upper, None);
        // The counts behind the chosen box's statistics are those of its limits.
        assert_eq!(
            cases.count_in_box(&chosen.limits),
            (chosen.cases, chosen.cases_of_interest)
        );
    }

    #[test]
    fn the_peeling_trajectory_narrows_from_the_whole_data() {
        let (names, columns, of_interest) = planted();
        let cases = Cases::new(&names, &columns, &of_interest).unwrap();
        let result = cases.prim(&PrimSettings::default()).unwrap();
        let first = &result.trajectory[0];
        assert_eq!(first.coverage, 1.0);
        assert_eq!(first.mass, 1.0);
        assert_eq!(first.restricted_inputs, 0);
        let base_rate = cases.cases_of_interest() as f64 / cases.len() as f64;
        assert_eq!(first.density, base_rate);
        let peeled: Vec<&PrimBox> = result
            .trajectory
            .iter()
            .take_while(|entry| entry.phase == Phase::Peeling)
            .collect();
        assert!(peeled.len() > 10, "{} peels", peeled.len());
        assert!(
            result.trajectory[peeled.len()..]
                .iter()
                .all(|entry| entry.phase == Phase::Pasting)
        );
        for pair in peeled.windows(2) {
            assert!(pair[1].coverage <= pair[0].coverage);
            assert!(pair[1].mass < pair[0].mass);
            assert!(pair[1].density > pair[0].density);
            assert!(pair[1].mass >= DEFAULT_MASS_MIN);
        }
        // Each entry's counts are those of its limits.
        for entry in &result.trajectory {
            assert_eq!(
                cases.count_in_box(&entry.limits),
                (entry.cases, entry.cases_of_interest)
            );
        }
    }

    /// x = 1, …, 20, of interest from 9 up except 12 and 15: the box [10.5, 20] holds 11, …, 20
    /// (10 cases, 8 of interest, density 0.8). With paste_alpha 0.1 each step adds one case:
    /// 10 (of interest, 9/11 = 0.818), then 9 (of interest, 10/12 = 0.833); adding 8 would
    /// lower the density to 10/13, so pasting stops with the lower limit halfway to 8.
    #[test]
    fn pasting_extends_a_box_peeled_too_far() {
        let names = names(1);
        let columns = vec![(1..=20).map(f64::from).collect::<Vec<_>>()];
        let of_interest: Vec<bool> = (1..=20).map(|x| x >= 9 && x != 12 && x != 15).collect();
        let cases = Cases::new(&names, &columns, &of_interest).unwrap();
        let narrow = [Limits {
            lower: 10.5,
            upper: 20.0,
        }];
        let pasted = cases.paste(&narrow, 0.1).unwrap();
        assert_eq!(pasted.len(), 2);
        assert_eq!(pasted[0].limits[0].lower, 9.5);
        assert_eq!((pasted[0].cases, pasted[0].cases_of_interest), (11, 9));
        assert_eq!(pasted[1].limits[0].lower, 8.5);
        assert_eq!((pasted[1].cases, pasted[1].cases_of_interest), (12, 10));
        assert_eq!(pasted[1].density, 10.0 / 12.0);
        // Every case of interest is then inside.
        assert_eq!(pasted[1].coverage, 1.0);
        assert_eq!(pasted[0].coverage, 0.9);
        assert!(pasted.iter().all(|entry| entry.phase == Phase::Pasting));
        // A box no expansion improves stays as it is.
        assert!(cases.paste(&pasted[1].limits, 0.1).unwrap().is_empty());
    }

    /// Two inputs; the box x0 ≥ 4.5 (cases 5–10: 6 cases, 5 of interest). Without its lower
    /// limit the box holds all 10 cases, 6 of interest, so the quasi-p-value is
    /// P(X ≥ 5 | 6, 0.6) = 6·0.6⁵·0.4 + 0.6⁶ = 0.233280.
    #[test]
    fn quasi_p_values_compare_with_the_box_without_each_limit() {
        let names = names(2);
        let columns = vec![(1..=10).map(f64::from).collect::<Vec<_>>(), vec![0.0; 10]];
        let of_interest: Vec<bool> = (1..=10).map(|x| x == 2 || (x >= 5 && x != 7)).collect();
        let cases = Cases::new(&names, &columns, &of_interest).unwrap();
        let mut limits = cases.full_box();
        limits[0].lower = 4.5;
        let restrictions = cases.restrictions(&limits).unwrap();
        assert_eq!(restrictions.len(), 1);
        let restriction = &restrictions[0];
        assert_eq!((restriction.input, restriction.name.as_str()), (0, "x0"));
        assert_eq!((restriction.minimum, restriction.maximum), (1.0, 10.0));
        let expected = 6.0 * 0.6f64.powi(5) * 0.4 + 0.6f64.powi(6);
        assert!((restriction.quasi_p_lower.unwrap() - expected).abs() < 1e-15);
        assert_eq!(restriction.quasi_p_upper, None);
        assert_eq!(
            cases.in_box(&limits).unwrap(),
            (1..=10).map(|x| x >= 5).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_chosen_box_is_the_widest_dense_enough_or_else_the_densest() {
        let entry = |coverage: f64, density: f64| PrimBox {
            phase: Phase::Peeling,
            cases: 0,
            cases_of_interest: 0,
            coverage,
            density,
            mass: 0.0,
            restricted_inputs: 0,
            limits: Vec::new(),
        };
        let trajectory = [
            entry(1.0, 0.2),
            entry(0.9, 0.7),
            entry(0.8, 0.85),
            entry(0.8, 0.9),
            entry(0.5, 0.95),
        ];
        assert_eq!(choose_box(&trajectory, 0.8), 3);
        assert_eq!(choose_box(&trajectory, 0.92), 4);
        assert_eq!(choose_box(&trajectory, 0.99), 4);
        assert_eq!(choose_box(&trajectory, 0.0), 0);
        assert_eq!(choose_box(&[], 0.8), 0);
    }

    /// Hand-computed values, exact rational sums and 40-digit mpmath sums.
    #[test]
    fn the_binomial_tail_matches_exact_values() {
        let close = |got: f64, expected: f64, tolerance: f64| {
            assert!(
                ((got - expected) / expected).abs() < tolerance,
                "{got} vs {expected}"
            );
        };
        // 176/1024: C(10,7) + C(10,8) + C(10,9) + C(10,10) = 120 + 45 + 10 + 1.
        close(binomial_upper_tail(7, 10, 0.5), 0.171875, 1e-14);
        close(binomial_upper_tail(10, 10, 0.5), 1.0 / 1024.0, 1e-14);
        assert_eq!(binomial_upper_tail(0, 10, 0.3), 1.0);
        assert_eq!(binomial_upper_tail(11, 10, 0.3), 0.0);
        assert_eq!(binomial_upper_tail(1, 10, 0.0), 0.0);
        assert_eq!(binomial_upper_tail(10, 10, 1.0), 1.0);
        assert!(binomial_upper_tail(1, 10, 1.5).is_nan());
        close(binomial_upper_tail(3, 10, 0.5), 0.9453125, 1e-14);
        close(
            binomial_upper_tail(5_100, 10_000, 0.5),
            EXACT_5100_10000,
            1e-12,
        );
        close(
            binomial_upper_tail(3_002_000, 10_000_000, 0.3),
            MPMATH_3002000_1E7,
            1e-12,
        );
        close(
            binomial_upper_tail(2_999_000, 10_000_000, 0.3),
            MPMATH_2999000_1E7,
            1e-13,
        );
        close(
            binomial_upper_tail(3_010_000, 10_000_000, 0.3),
            MPMATH_3010000_1E7,
            2e-12,
        );
        close(binomial_upper_tail(40, 100, 0.1), EXACT_40_100, 1e-12);
    }

    /// P(X ≥ 5100 | 10⁴, ½), summed exactly in rational arithmetic (Python's `fractions`).
    const EXACT_5100_10000: f64 = 0.023292763852473693;
    /// P(X ≥ 40 | 100, 0.1), summed exactly in rational arithmetic.
    const EXACT_40_100: f64 = 2.945529793746522e-15;
    /// P(X ≥ k | 10⁷, 0.3) for k = 3,002,000, 2,999,000 and 3,010,000, from mpmath at 40
    /// digits (summing exp(ln Γ) terms until they fall below 10⁻³⁰ of the sum, p being the
    /// double nearest 0.3); scipy 1.17.1's `binom.sf(k - 1, n, p)` agrees to 1e-11.
    const MPMATH_3002000_1E7: f64 = 0.08383265881327497;
    const MPMATH_2999000_1E7: f64 = 0.7550244222843701;
    const MPMATH_3010000_1E7: f64 = 2.6338251809533695e-12;

    #[test]
    fn regional_sensitivity_ranks_the_planted_inputs_first() {
        let (names, columns, of_interest) = planted();
        let ranking = regional_sensitivity(&names, &columns, &of_interest).unwrap();
        let order: Vec<usize> = ranking.iter().map(|entry| entry.input).collect();
        assert!(
            order[..2].contains(&0) && order[..2].contains(&3),
            "{order:?}"
        );
        for entry in &ranking[..2] {
            // About 0.45 for x0 (at 0.6, 1 for the cases of interest against 0.55 for the
            // others) and 0.8 for x3 (at 0.7, 0 against 0.8), less the flipped labels.
            assert!(entry.distance > 0.4, "{entry:?}");
            assert!(entry.p_value < 1e-10, "{entry:?}");
        }
        for entry in &ranking[2..] {
            assert!(entry.distance < 0.05, "{entry:?}");
        }
        assert!(
            ranking
                .windows(2)
                .all(|pair| pair[0].distance >= pair[1].distance)
        );
    }

    /// first = {1, 2, 3, 4}, second = {3, 4, 5, 6, 7}: after 4 the distribution functions are
    /// 4/4 and 2/5, the largest gap, 0.6. Counting the tied 3 in one sample before the other
    /// would give 0.75 at 3 instead of the true 3/4 − 1/5.
    #[test]
    fn the_kolmogorov_smirnov_distance_is_exact() {
        let first = [4.0, 2.0, 3.0, 1.0];
        let second = [3.0, 7.0, 5.0, 4.0, 6.0];
        assert_eq!(kolmogorov_smirnov_distance(&first, &second), 0.6);
        assert_eq!(kolmogorov_smirnov_distance(&second, &first), 0.6);
        assert_eq!(kolmogorov_smirnov_distance(&first, &first), 0.0);
        assert_eq!(kolmogorov_smirnov_distance(&[1.0], &[2.0]), 1.0);
        assert_eq!(kolmogorov_smirnov_distance(&[-0.0, 1.0], &[0.0, 2.0]), 0.5);
        assert!(kolmogorov_smirnov_distance(&[], &first).is_nan());
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let names = names(2);
        let good = vec![vec![1.0, 2.0, 3.0], vec![0.5, 0.5, 0.5]];
        let interest = [true, false, false];
        assert_eq!(
            Cases::new(&names, &[Vec::new(), Vec::new()], &[]),
            Err(DiscoveryError::NoCases)
        );
        assert_eq!(
            Cases::new(&[], &[], &interest),
            Err(DiscoveryError::NoInputs)
        );
        assert_eq!(
            Cases::new(&names[..1], &good, &interest),
            Err(DiscoveryError::NameCount {
                names: 1,
                columns: 2
            })
        );
        let short = vec![vec![1.0, 2.0, 3.0], vec![0.5, 0.5]];
        assert_eq!(
            Cases::new(&names, &short, &interest),
            Err(DiscoveryError::ColumnLength {
                column: "x1".into(),
                found: 2,
                expected: 3
            })
        );
        let infinite = vec![vec![1.0, 2.0, 3.0], vec![0.5, f64::INFINITY, 0.5]];
        assert_eq!(
            Cases::new(&names, &infinite, &interest),
            Err(DiscoveryError::NonFinite {
                column: "x1".into(),
                row: 1,
                value: f64::INFINITY
            })
        );
        let not_a_number = vec![vec![1.0, 2.0, f64::NAN], vec![0.5; 3]];
        assert!(matches!(
            Cases::new(&names, &not_a_number, &interest),
            Err(DiscoveryError::NonFinite { row: 2, ref column, .. }) if column == "x0"
        ));
        assert_eq!(
            Cases::new(&names, &good, &[false; 3]),
            Err(DiscoveryError::NoCaseOfInterest)
        );
        assert_eq!(
            Cases::new(&names, &good, &[true; 3]),
            Err(DiscoveryError::EveryCaseOfInterest)
        );
        assert_eq!(
            regional_sensitivity(&names, &good, &[true; 3]),
            Err(DiscoveryError::EveryCaseOfInterest)
        );
        let cases = Cases::new(&names, &good, &interest).unwrap();
        for (name, settings) in [
            (
                "peel_alpha",
                PrimSettings {
                    peel_alpha: 0.5,
                    ..PrimSettings::default()
                },
            ),
            (
                "paste_alpha",
                PrimSettings {
                    paste_alpha: 0.0,
                    ..PrimSettings::default()
                },
            ),
            (
                "mass_min",
                PrimSettings {
                    mass_min: f64::NAN,
                    ..PrimSettings::default()
                },
            ),
            (
                "threshold_density",
                PrimSettings {
                    threshold_density: 1.5,
                    ..PrimSettings::default()
                },
            ),
        ] {
            assert!(matches!(
                cases.prim(&settings),
                Err(DiscoveryError::InvalidSetting { name: found, .. }) if found == name
            ));
        }
        assert_eq!(
            cases.restrictions(&cases.full_box()[..1]),
            Err(DiscoveryError::LimitCount {
                found: 1,
                expected: 2
            })
        );
        // Tiny data still gives a trajectory: every case is inside its first box.
        let result = cases.prim(&PrimSettings::default()).unwrap();
        assert_eq!(result.trajectory[0].cases, 3);
    }
}
