//! Running an experiment's design on a scenario (and, paired, on a variant) and turning the
//! per-run outcomes into sensitivity indices: what `entente sensitivity` computes, without
//! its input and output.
//!
//! Runs are computed in groups of [`LANES`] on a rayon pool, each group's values written to
//! its own place, so the values are the same bits for any thread count. A pair of scenarios
//! runs each group in both (same run indices, so the same noise and the same values of the
//! shared varied parameters), and the paired difference of each shared outcome is variant −
//! scenario, run by run.
//!
//! Memory: one `f64` per run and output while within a budget; past it the rows go to a
//! scratch file and are read back a group of outputs at a time (see [`OutputTable`]).

use rayon::prelude::*;

use crate::design::{Experiment, ExperimentScratch, SaltelliMatrix};
use crate::model::{LANES, Model, Simulation};
use crate::sensitivity::{
    MorrisIndex, Resamples, SaltelliOutputs, SensitivityError, SobolIndex, elementary_effects,
    morris_indices, sobol_indices_resampled,
};

/// Groups of runs a worker takes at a time: large enough to amortise scheduling, small
/// enough that the progress bar moves.
const GROUPS_PER_TASK: u64 = 16;

/// The name of one analysed output of a design: an outcome of the scenario, or the paired
/// difference of an outcome shared with the variant.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputName {
    /// The outcome's name, followed by ` difference` for a paired difference.
    pub name: String,
    /// The outcome's name in its scenario.
    pub outcome: String,
    /// Whether the output is the paired difference, variant minus scenario.
    pub difference: bool,
}

/// One output's values, one per run in run order.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Which output it is.
    pub name: OutputName,
    /// Its value in each run, in run order (NaN where missing).
    pub values: Vec<f64>,
}

/// Runs read back at a time from a spilled table.
const ROWS_PER_READ: usize = 8192;

/// A design's per-run outputs, row by row (run-major): in memory, or past the memory budget
/// in a scratch file (removed when the table is dropped), read back a group of columns at a
/// time, so that memory stays within the budget whatever the number of runs.
pub struct OutputTable {
    names: Vec<OutputName>,
    runs: u64,
    storage: Storage,
}

enum Storage {
    Memory(Vec<f64>),
    File {
        file: std::sync::Mutex<std::fs::File>,
        path: std::path::PathBuf,
    },
}

impl Drop for OutputTable {
    fn drop(&mut self) {
        if let Storage::File { path, .. } = &self.storage {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl OutputTable {
    /// The outputs' names, in column order.
    pub fn names(&self) -> &[OutputName] {
        &self.names
    }

    /// The number of runs (rows).
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Whether the table went to a scratch file.
    pub fn spilled(&self) -> bool {
        matches!(self.storage, Storage::File { .. })
    }

    /// Calls `each` with every run's row (its outputs in table order), in run order.
    pub fn for_each_row(
        &self,
        mut each: impl FnMut(u64, &[f64]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let columns = self.names.len();
        if columns == 0 {
            return (0..self.runs).try_for_each(|run| each(run, &[]));
        }
        match &self.storage {
            Storage::Memory(values) => {
                for (run, row) in values.chunks_exact(columns).enumerate() {
                    each(run as u64, row)?;
                }
                Ok(())
            }
            Storage::File { file, .. } => {
                use std::io::{Read, Seek, SeekFrom};
                let mut file = file
                    .lock()
                    .map_err(|_| std::io::Error::other("a thread writing the outputs panicked"))?;
                file.seek(SeekFrom::Start(0))?;
                let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut *file);
                let mut bytes = vec![0u8; ROWS_PER_READ * columns * 8];
                let mut row = vec![0.0; columns];
                let mut run = 0;
                while run < self.runs {
                    let rows = (self.runs - run).min(ROWS_PER_READ as u64) as usize;
                    let chunk = &mut bytes[..rows * columns * 8];
                    reader.read_exact(chunk)?;
                    for encoded in chunk.chunks_exact(columns * 8) {
                        for (value, word) in row.iter_mut().zip(encoded.chunks_exact(8)) {
                            *value = f64::from_le_bytes(word.try_into().expect("8 bytes"));
                        }
                        each(run, &row)?;
                        run += 1;
                    }
                }
                Ok(())
            }
        }
    }

    /// The values of the outputs `columns` (a range of table positions), one [`Output`] each.
    pub fn outputs(&self, columns: std::ops::Range<usize>) -> std::io::Result<Vec<Output>> {
        let mut outputs: Vec<Output> = self.names[columns.clone()]
            .iter()
            .map(|name| Output {
                name: name.clone(),
                values: Vec::with_capacity(self.runs as usize),
            })
            .collect();
        self.for_each_row(|_, row| {
            for (output, value) in outputs.iter_mut().zip(&row[columns.clone()]) {
                output.values.push(*value);
            }
            Ok(())
        })?;
        Ok(outputs)
    }
}

/// The bytes a design's outputs take in memory: `runs` values for each of `outputs` outputs.
pub fn memory_bytes(runs: u64, outputs: usize) -> u64 {
    runs.saturating_mul(outputs as u64)
        .saturating_mul(std::mem::size_of::<f64>() as u64)
}

/// What [`run_design`] runs and where its outputs go.
pub struct DesignRuns<'a> {
    /// The seed of the random streams and of the design.
    pub seed: u64,
    /// Runs of each scenario, indices 0 to `runs` − 1.
    pub runs: u64,
    /// Outcome names to keep (empty: every outcome).
    pub outcomes: &'a [String],
    /// Bytes of per-run outputs kept in memory; beyond, they go to a scratch file.
    pub memory_budget: u64,
    /// Where that scratch file is created.
    pub scratch_directory: &'a std::path::Path,
}

/// Runs the runs of `scenario` (and of `variant`, paired) that `request` asks for on `pool`,
/// calling `progress` with the number of runs finished by each task, and returns the table
/// of the outputs kept: the scenario's outcomes, then the paired differences of those the
/// variant shares; and the non-finite numbers replaced.
pub fn run_design(
    scenario: &Model,
    variant: Option<&Model>,
    request: &DesignRuns<'_>,
    pool: &rayon::ThreadPool,
    progress: &(dyn Fn(u64) + Sync),
) -> std::io::Result<(OutputTable, u64)> {
    let DesignRuns {
        seed,
        runs,
        outcomes: wanted,
        memory_budget: budget,
        scratch_directory,
    } = *request;
    let chosen = |model: &Model| -> Vec<(usize, String)> {
        model
            .scenario()
            .outcomes()
            .iter()
            .enumerate()
            .filter(|(_, spec)| wanted.is_empty() || wanted.contains(&spec.name))
            .map(|(index, spec)| (index, spec.name.clone()))
            .collect()
    };
    let own = chosen(scenario);
    let shared: Vec<(usize, usize, String)> = match variant {
        Some(variant) => {
            let theirs = chosen(variant);
            own.iter()
                .filter_map(|(index, name)| {
                    theirs
                        .iter()
                        .find(|(_, other)| other == name)
                        .map(|(other, _)| (*index, *other, name.clone()))
                })
                .collect()
        }
        None => Vec::new(),
    };
    let names: Vec<OutputName> = own
        .iter()
        .map(|(_, name)| OutputName {
            name: name.clone(),
            outcome: name.clone(),
            difference: false,
        })
        .chain(shared.iter().map(|(_, _, name)| OutputName {
            name: format!("{name} difference"),
            outcome: name.clone(),
            difference: true,
        }))
        .collect();
    let columns = names.len();
    let storage = if memory_bytes(runs, columns) <= budget {
        Storage::Memory(Vec::new())
    } else {
        let path = scratch_directory.join(format!(
            ".entente-outputs-{}-{}.scratch",
            std::process::id(),
            SCRATCH_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Storage::File {
            file: std::sync::Mutex::new(file),
            path,
        }
    };
    let mut table = OutputTable {
        names,
        runs,
        storage,
    };
    let groups = runs.div_ceil(LANES as u64);
    let tasks = groups.div_ceil(GROUPS_PER_TASK);
    let scenario_outcomes = scenario.scenario().outcomes().len();
    let variant_outcomes = variant.map_or(0, |model| model.scenario().outcomes().len());
    let spill = match &table.storage {
        Storage::File { file, .. } => Some(file),
        Storage::Memory(_) => None,
    };
    // Each task computes its runs' rows (run-major); in memory the tasks' rows are joined in
    // order, on disk each task writes its rows at its first run's offset: either way the
    // table is the same whatever thread ran which task.
    let blocks: Vec<std::io::Result<(Vec<f64>, u64)>> = pool.install(|| {
        (0..tasks)
            .into_par_iter()
            .map_init(
                || {
                    // Outcomes only: each month reads just the measures the reductions use.
                    let mut simulation = Simulation::new(scenario);
                    simulation.set_every_measure(false);
                    let paired = variant.map(|variant| {
                        let mut paired = Simulation::new(variant);
                        paired.set_every_measure(false);
                        paired
                    });
                    (simulation, paired, Vec::new(), Vec::new())
                },
                |(simulation, paired, values, paired_values), task| {
                    let first_group = task * GROUPS_PER_TASK;
                    let last_group = (first_group + GROUPS_PER_TASK).min(groups);
                    let mut rows = Vec::new();
                    let mut non_finite = 0;
                    for group in first_group..last_group {
                        let first_run = group * LANES as u64;
                        let counts = simulation.run_group(seed, first_run, values, |_, _| {});
                        if let Some(paired) = paired.as_mut() {
                            let more = paired.run_group(seed, first_run, paired_values, |_, _| {});
                            non_finite += more.iter().sum::<u64>();
                        }
                        non_finite += counts.iter().sum::<u64>();
                        let lanes = (runs - first_run).min(LANES as u64) as usize;
                        for lane in 0..lanes {
                            let mine = &values[lane * scenario_outcomes..][..scenario_outcomes];
                            rows.extend(own.iter().map(|(index, _)| mine[*index]));
                            if !shared.is_empty() {
                                let theirs =
                                    &paired_values[lane * variant_outcomes..][..variant_outcomes];
                                rows.extend(
                                    shared
                                        .iter()
                                        .map(|(index, other, _)| theirs[*other] - mine[*index]),
                                );
                            }
                        }
                    }
                    progress(((last_group - first_group) * LANES as u64).min(runs));
                    match spill {
                        Some(file) => {
                            let first_run = first_group * LANES as u64;
                            write_rows(file, first_run * (columns as u64) * 8, &rows)?;
                            Ok((Vec::new(), non_finite))
                        }
                        None => Ok((rows, non_finite)),
                    }
                },
            )
            .collect()
    });
    let mut non_finite = 0;
    for block in blocks {
        let (rows, count) = block?;
        non_finite += count;
        if let Storage::Memory(values) = &mut table.storage {
            values.extend_from_slice(&rows);
        }
    }
    Ok((table, non_finite))
}

/// Scratch files made by this process so far (their names must differ).
static SCRATCH_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Writes `rows` (little-endian doubles) at byte `offset` of the shared scratch file.
fn write_rows(
    file: &std::sync::Mutex<std::fs::File>,
    offset: u64,
    rows: &[f64],
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let bytes: Vec<u8> = rows.iter().flat_map(|value| value.to_le_bytes()).collect();
    let mut file = file
        .lock()
        .map_err(|_| std::io::Error::other("a thread writing the outputs panicked"))?;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(&bytes)
}

/// The mean over each design point's replications (run r is replication r mod R of point
/// r / R), so that estimators see one value per point.
pub fn point_means(experiment: &Experiment, values: &[f64]) -> Vec<f64> {
    let replications = experiment.replications() as usize;
    values
        .chunks(replications)
        .map(|chunk| chunk.iter().sum::<f64>() / chunk.len() as f64)
        .collect()
}

/// Sobol' indices of one output of a Sobol' experiment, from its per-point values.
pub fn sobol_analysis(
    experiment: &Experiment,
    point_values: &[f64],
    resamples: &Resamples,
) -> Result<Vec<SobolIndex>, SensitivityError> {
    let inputs = experiment.uncertainties().len();
    let base_points = point_values.len() / (inputs + 2);
    let mut a = Vec::with_capacity(base_points);
    let mut b = Vec::with_capacity(base_points);
    let mut ab = vec![Vec::with_capacity(base_points); inputs];
    for (point, value) in point_values.iter().enumerate() {
        match experiment.saltelli_row(point as u64) {
            Some((_, SaltelliMatrix::A)) => a.push(*value),
            Some((_, SaltelliMatrix::B)) => b.push(*value),
            Some((_, SaltelliMatrix::Mixed(input))) => ab[input].push(*value),
            None => {}
        }
    }
    sobol_indices_resampled(
        &SaltelliOutputs {
            a: &a,
            b: &b,
            ab: &ab,
        },
        resamples,
    )
}

/// Morris measures of one output of a Morris experiment, from its per-point values. The
/// elementary effects are in units of the output per unit of an input's probability scale
/// (the design's unit cube), which puts inputs of different units on one footing.
pub fn morris_analysis(
    experiment: &Experiment,
    point_values: &[f64],
    seed: u64,
) -> Result<Vec<MorrisIndex>, SensitivityError> {
    let inputs = experiment.uncertainties().len();
    let steps = inputs + 1;
    let mut scratch = ExperimentScratch::default();
    let mut trajectories = Vec::with_capacity(point_values.len() / steps);
    for (trajectory, outputs) in point_values.chunks_exact(steps).enumerate() {
        let points: Vec<Vec<f64>> = (0..steps)
            .map(|step| {
                let mut coordinates = vec![0.0; inputs];
                experiment.coordinates(
                    (trajectory * steps + step) as u64,
                    &mut scratch,
                    &mut coordinates,
                );
                coordinates
            })
            .collect();
        trajectories.push(elementary_effects(&points, outputs)?);
    }
    morris_indices(&trajectories, inputs, seed)
}

/// Writes one CSV row per run of `experiment`: the run, its design point, its replication
/// and the value of every varied input, then, given a table, every output of the run. The
/// inputs of a run are a function of its index alone, so they are recomputed as the rows are
/// written, streamed whatever their number. Without a table, the first `runs` runs: a batch's
/// `experiments.csv`; with one, its runs: `sensitivity`'s `runs.csv`.
pub fn write_design_rows(
    experiment: &Experiment,
    runs: u64,
    outputs: Option<&OutputTable>,
    writer: impl std::io::Write,
) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(writer);
    let mut header = vec!["run", "point", "replication"];
    header.extend(experiment.uncertainties().iter().map(|u| u.key.as_str()));
    if let Some(table) = outputs {
        header.extend(table.names().iter().map(|output| output.name.as_str()));
    }
    writer.write_record(&header)?;
    let mut values = vec![0.0; experiment.uncertainties().len()];
    let mut scratch = ExperimentScratch::default();
    let mut record = csv::StringRecord::new();
    let mut row = |run: u64, outputs: &[f64]| -> std::io::Result<()> {
        let located = experiment.locate(run);
        experiment.values(located.point, &mut scratch, &mut values);
        record.clear();
        record.push_field(&run.to_string());
        record.push_field(&located.point.to_string());
        record.push_field(&located.replication.to_string());
        for value in values.iter().chain(outputs) {
            record.push_field(&crate::report::csv_number(*value));
        }
        Ok(writer.write_record(&record)?)
    };
    match outputs {
        Some(table) => table.for_each_row(row)?,
        None => (0..runs).try_for_each(|run| row(run, &[]))?,
    }
    writer.flush()
}

/// How `entente discover --where` compares an output with a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Comparison {
    /// Operators, longest first so that `>=` is not read as `>`.
    const OPERATORS: [(&'static str, Comparison); 6] = [
        (">=", Comparison::GreaterOrEqual),
        ("<=", Comparison::LessOrEqual),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        (">", Comparison::Greater),
        ("<", Comparison::Less),
    ];

    fn holds(self, value: f64, number: f64) -> bool {
        match self {
            Comparison::Less => value < number,
            Comparison::LessOrEqual => value <= number,
            Comparison::Greater => value > number,
            Comparison::GreaterOrEqual => value >= number,
            Comparison::Equal => value == number,
            Comparison::NotEqual => value != number,
        }
    }
}

/// Which runs are of interest: a yes/no output that is yes, or an output compared with a
/// number (`survives_2030 difference > 0`).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The output's name (a column of `runs.csv`).
    pub output: String,
    /// The comparison and the number it compares with; `None` for a yes/no output, of
    /// interest where it is 1.
    pub comparison: Option<(Comparison, f64)>,
}

/// Why a `--where` expression cannot be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConditionError {
    /// No output name before the operator, or nothing at all (the expression as given).
    #[error(
        "--where {0:?}: give an output name, optionally followed by < <= > >= == or != and a number"
    )]
    Empty(String),
    /// What follows the operator is not a finite number.
    #[error("--where {text:?}: {number:?} is not a finite number")]
    Number {
        /// The whole expression.
        text: String,
        /// The text after the operator.
        number: String,
    },
}

impl Condition {
    /// Reads `OUTPUT`, or `OUTPUT OP NUMBER` with OP one of `<`, `<=`, `>`, `>=`, `==`, `!=`
    /// (spaces around OP optional).
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let found = Comparison::OPERATORS
            .iter()
            .filter_map(|(symbol, comparison)| {
                text.find(symbol).map(|at| (at, symbol.len(), *comparison))
            })
            .min_by_key(|(at, length, _)| (*at, usize::MAX - length));
        let (output, comparison) = match found {
            Some((at, length, comparison)) => {
                let number_text = text[at + length..].trim();
                let number: f64 = number_text
                    .parse()
                    .ok()
                    .filter(|number: &f64| number.is_finite())
                    .ok_or_else(|| ConditionError::Number {
                        text: text.to_string(),
                        number: number_text.to_string(),
                    })?;
                (text[..at].trim(), Some((comparison, number)))
            }
            None => (text.trim(), None),
        };
        if output.is_empty() {
            return Err(ConditionError::Empty(text.to_string()));
        }
        Ok(Condition {
            output: output.to_string(),
            comparison,
        })
    }

    /// Whether a run whose output is `value` is of interest. A missing value (NaN: the month
    /// never came) satisfies no comparison but `!=`, as in IEEE arithmetic.
    pub fn holds(&self, value: f64) -> bool {
        match self.comparison {
            Some((comparison, number)) => comparison.holds(value, number),
            None => value == 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_outputs_operators_and_numbers() {
        let condition = Condition::parse("survives_2030 difference > 0").expect("valid");
        assert_eq!(condition.output, "survives_2030 difference");
        assert_eq!(condition.comparison, Some((Comparison::Greater, 0.0)));
        assert!(condition.holds(1.0) && !condition.holds(0.0) && !condition.holds(f64::NAN));
        let condition = Condition::parse("capacity>=-0.5").expect("valid");
        assert_eq!(
            condition.comparison,
            Some((Comparison::GreaterOrEqual, -0.5))
        );
        assert!(condition.holds(-0.5) && !condition.holds(-0.6));
        let yes = Condition::parse(" survives_2030 ").expect("valid");
        assert_eq!(
            (yes.output.as_str(), yes.comparison),
            ("survives_2030", None)
        );
        assert!(yes.holds(1.0) && !yes.holds(0.0));
        assert!(matches!(
            Condition::parse("x > lots"),
            Err(ConditionError::Number { .. })
        ));
        assert!(matches!(
            Condition::parse("<= 3"),
            Err(ConditionError::Empty(_))
        ));
    }
}
