//! Output: run results as text or JSON, traces as CSV, and the atomic file writes that keep a
//! user's data whole (write a temporary file beside the target, then rename it over).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::model::{Model, RunResult};
use crate::outcome::{OutcomeValue, Trace};
use crate::scenario::Measure;

mod batch;
pub mod charts;
mod compare;
pub mod headline;
pub mod html;
mod runs;

pub use batch::{
    BatchRecord, batch_markdown, batch_text, envelopes_csv, manifest_json, summary_csv,
    summary_json, utc_timestamp,
};
pub use compare::{comparison_csv, comparison_json, comparison_markdown, comparison_text};
pub use runs::{EMA_ARCHIVE, RunsWriter};

/// Writes `bytes` to `path` atomically: readers see the old file or the whole new one, never
/// a part. The temporary file is removed if anything fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A file written beside its target under a temporary name and renamed over the target by
/// [`AtomicFile::commit`]; dropped without a commit, the temporary file is removed.
pub struct AtomicFile {
    target: PathBuf,
    temporary: PathBuf,
    writer: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    /// Creates the temporary file `.NAME.tmp-PID` in the target's directory, to be written
    /// through and then committed over `target`.
    pub fn create(target: &Path) -> std::io::Result<AtomicFile> {
        let directory = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let file_name = target.file_name().ok_or_else(|| {
            std::io::Error::other(format!("{} is not a file path", target.display()))
        })?;
        let temporary = directory.join(format!(
            ".{}.tmp-{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::File::create(&temporary)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temporary,
            writer: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Flushes, syncs and renames the file over its target.
    pub fn commit(mut self) -> std::io::Result<()> {
        let writer = self
            .writer
            .take()
            .expect("an uncommitted file has its writer");
        let file = writer.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.temporary, &self.target)
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// A number for CSV: the shortest text that reads back to the same `f64`, or an empty field
/// for NaN (a missing value to pandas, R and spreadsheets).
pub fn csv_number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        value.to_string()
    }
}

/// The text report of one run: a header, one line per outcome and, given a trace, each
/// outcome's monthly measure at the end of every `every`-th month and of the last month.
pub fn run_text(
    model: &Model,
    seed: u64,
    run: u64,
    result: &RunResult,
    trace: Option<(&Trace, usize)>,
) -> String {
    let scenario = model.scenario();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "scenario  {} ({} to {}, {} months)",
        scenario.name,
        scenario.start,
        scenario.end,
        scenario.months()
    );
    let _ = writeln!(text, "seed      {seed}, run {run}");
    let width = batch::name_width(
        scenario
            .outcomes
            .iter()
            .map(|outcome| outcome.name.as_str()),
        "outcome",
    );
    let _ = writeln!(text, "\n{:width$}  value", "outcome");
    for (spec, &encoded) in scenario.outcomes.iter().zip(&result.outcomes) {
        let value = OutcomeValue::decode(spec, scenario.start, encoded);
        let _ = writeln!(text, "{:width$}  {value:.4}", spec.name);
    }
    if let Some((trace, every)) = trace {
        trace_table(&mut text, model, trace, every.max(1), width);
    }
    let _ = writeln!(text, "\nnon-finite values replaced: {}", result.non_finite);
    text
}

/// Appends the monthly measures of the outcomes that are not months, one row per outcome and
/// one column per shown month.
fn trace_table(text: &mut String, model: &Model, trace: &Trace, every: usize, width: usize) {
    let scenario = model.scenario();
    let months = trace.months.len();
    let shown: Vec<usize> = (0..months)
        .filter(|month| (month + 1) % every == 0 || month + 1 == months)
        .collect();
    let first_outcome_column = trace.columns.len() - scenario.outcomes.len();
    let period = if every == 1 {
        "each month".to_string()
    } else {
        format!("every {every} months")
    };
    let _ = writeln!(
        text,
        "\nmonthly measures, {period} (--every N; --trace FILE for every series)"
    );
    let _ = write!(text, "{:width$}", "");
    for &month in &shown {
        let _ = write!(text, "  {:>7}", trace.months[month].to_string());
    }
    text.push('\n');
    for (index, spec) in scenario.outcomes.iter().enumerate() {
        if spec.measure.is_month() {
            continue;
        }
        let _ = write!(text, "{:width$}", spec.name);
        for &month in &shown {
            let value = trace.row(month)[first_outcome_column + index];
            let shown_value = match spec.measure {
                Measure::Survives { .. } => (if value == 1.0 { "yes" } else { "no" }).to_string(),
                _ => format!("{value:.3}"),
            };
            let _ = write!(text, "  {shown_value:>7}");
        }
        text.push('\n');
    }
}

/// The JSON report of one run: outcome values at full precision, with months as `YYYY-MM`.
pub fn run_json(model: &Model, seed: u64, run: u64, result: &RunResult) -> String {
    let scenario = model.scenario();
    let outcomes: serde_json::Map<String, serde_json::Value> = scenario
        .outcomes
        .iter()
        .zip(&result.outcomes)
        .map(|(spec, &encoded)| {
            let value = match OutcomeValue::decode(spec, scenario.start, encoded) {
                OutcomeValue::Number(number) => json!(number),
                OutcomeValue::Flag(flag) => json!(flag),
                OutcomeValue::Month(month) => json!(month.map(|month| month.to_string())),
            };
            (spec.name.clone(), value)
        })
        .collect();
    let report = json!({
        "scenario": scenario.name,
        "start": scenario.start.to_string(),
        "end": scenario.end.to_string(),
        "seed": seed,
        "run": run,
        "outcomes": outcomes,
        "non_finite": result.non_finite,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// The trace as CSV: a `month` column, then one column per series, numbers at full precision
/// (shortest representation that reads back to the same `f64`).
pub fn trace_csv(trace: &Trace) -> String {
    let mut text = String::from("month");
    for column in &trace.columns {
        text.push(',');
        text.push_str(column);
    }
    text.push('\n');
    for (index, month) in trace.months.iter().enumerate() {
        let _ = write!(text, "{month}");
        for value in trace.row(index) {
            let _ = write!(text, ",{value}");
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temporary() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new contents");
        let entries: Vec<_> = std::fs::read_dir(directory.path()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_cleanly() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("missing").join("out.csv");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
