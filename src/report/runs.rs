//! Per-run rows (`--per-run`): `runs.csv`, and the same rows in the layout EMA Workbench's
//! `load_results` reads (`ema.tar.gz`: `experiments.csv`, `experiments metadata.csv`,
//! `outcomes metadata.csv` and one `<outcome>.csv` per outcome), so that analysts can run PRIM
//! or CART there on entente's results. Rows are streamed to disk as the batch goes, so memory
//! does not grow with the number of runs.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use std::path::{Path, PathBuf};

use super::{AtomicFile, csv_number};
use crate::batch::RunRows;
use crate::model::Model;

/// Name of the EMA Workbench archive in the output directory.
pub const EMA_ARCHIVE: &str = "ema.tar.gz";

/// A scratch file removed when dropped.
struct ScratchFile {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl ScratchFile {
    fn create(directory: &Path, name: &str) -> std::io::Result<ScratchFile> {
        let path = directory.join(format!(".{name}.scratch-{}", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        Ok(ScratchFile {
            path,
            writer: BufWriter::with_capacity(1 << 16, file),
        })
    }

    /// Flushes the file and returns it rewound, with its length.
    fn rewound(&mut self) -> std::io::Result<(&mut File, u64)> {
        self.writer.flush()?;
        let file = self.writer.get_mut();
        let length = file.seek(SeekFrom::End(0))?;
        file.seek(SeekFrom::Start(0))?;
        Ok((file, length))
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Streams per-run rows into `runs.csv` and the EMA Workbench layout.
pub struct RunsWriter {
    runs: csv::Writer<AtomicFile>,
    experiments: ScratchFile,
    outcomes: Vec<(String, ScratchFile)>,
    parameter_count: usize,
    /// Columns of `experiments.csv`: the parameters, then EMA's scenario, policy and model.
    experiment_columns: Vec<String>,
    scenario: String,
    rows: u64,
    directory: PathBuf,
}

/// A name safe as a file name inside the archive.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl RunsWriter {
    /// Starts the files in `directory` for `model`'s uncertain parameters and outcomes.
    pub fn create(directory: &Path, model: &Model) -> std::io::Result<RunsWriter> {
        let scenario = model.scenario();
        let parameters: Vec<&str> = scenario.uncertain_param_keys().collect();
        let mut runs = csv::Writer::from_writer(AtomicFile::create(&directory.join("runs.csv"))?);
        let mut header = vec!["run"];
        header.extend(&parameters);
        header.extend(scenario.outcomes().iter().map(|spec| spec.name.as_str()));
        runs.write_record(&header)?;
        let mut experiments = ScratchFile::create(directory, "experiments.csv")?;
        let mut experiments_header = csv::Writer::from_writer(Vec::new());
        let mut columns = parameters.clone();
        columns.extend(["scenario", "policy", "model"]);
        experiments_header.write_record(&columns)?;
        experiments.writer.write_all(
            &experiments_header
                .into_inner()
                .map_err(|error| error.into_error())?,
        )?;
        let outcomes = scenario
            .outcomes()
            .iter()
            .map(|spec| {
                let name = file_safe(&spec.name);
                ScratchFile::create(directory, &format!("{name}.csv")).map(|file| (name, file))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(RunsWriter {
            runs,
            experiments,
            outcomes,
            parameter_count: parameters.len(),
            experiment_columns: columns.iter().map(|column| column.to_string()).collect(),
            scenario: file_safe(scenario.name()),
            rows: 0,
            directory: directory.to_path_buf(),
        })
    }

    /// Appends a block of rows (in run order).
    pub fn write(&mut self, rows: RunRows<'_>) -> std::io::Result<()> {
        let mut record = Vec::with_capacity(rows.width + 1);
        for (offset, row) in rows.values.chunks_exact(rows.width).enumerate() {
            let run = rows.first_run + offset as u64;
            record.clear();
            record.push(run.to_string());
            record.extend(row.iter().map(|&value| csv_number(value)));
            self.runs.write_record(&record)?;
            let experiments = &mut self.experiments.writer;
            for value in &row[..self.parameter_count] {
                write!(experiments, "{value},")?;
            }
            writeln!(experiments, "{run},none,{}", self.scenario)?;
            for ((_, file), value) in self.outcomes.iter_mut().zip(&row[self.parameter_count..]) {
                // pandas reads "nan" as missing; an empty line would be skipped and shift rows.
                if value.is_nan() {
                    writeln!(file.writer, "nan")?;
                } else {
                    writeln!(file.writer, "{value}")?;
                }
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Commits `runs.csv` and packs `ema.tar.gz`; returns the names of the files written.
    pub fn finish(mut self) -> std::io::Result<Vec<String>> {
        let runs = self.runs.into_inner().map_err(|error| error.into_error())?;
        runs.commit()?;
        let archive = AtomicFile::create(&self.directory.join(EMA_ARCHIVE))?;
        let encoder = flate2::write::GzEncoder::new(archive, flate2::Compression::fast());
        let mut tar = tar::Builder::new(encoder);
        let metadata: String = self
            .experiment_columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                let dtype = if index < self.parameter_count {
                    "float64"
                } else if column == "scenario" {
                    "int64"
                } else {
                    "object"
                };
                format!("{column},{dtype}\n")
            })
            .collect();
        append(&mut tar, "experiments metadata.csv", metadata.as_bytes())?;
        let (file, length) = self.experiments.rewound()?;
        append_reader(&mut tar, "experiments.csv", file, length)?;
        let outcome_metadata: String = self
            .outcomes
            .iter()
            .map(|(name, _)| format!("{name},({},)\n", self.rows))
            .collect();
        append(
            &mut tar,
            "outcomes metadata.csv",
            outcome_metadata.as_bytes(),
        )?;
        for (name, file) in &mut self.outcomes {
            let (file, length) = file.rewound()?;
            append_reader(&mut tar, &format!("{name}.csv"), file, length)?;
        }
        let encoder = tar.into_inner()?;
        encoder.finish()?.commit()?;
        Ok(vec!["runs.csv".to_string(), EMA_ARCHIVE.to_string()])
    }
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    append_reader(tar, name, bytes, bytes.len() as u64)
}

fn append_reader<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    reader: impl Read,
    length: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(length);
    header.set_mode(0o644);
    // A fixed time keeps the archive's bytes reproducible.
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, name, reader)
}
