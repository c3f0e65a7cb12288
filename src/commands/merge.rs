//! `entente merge`: combines the partial results of every shard of a batch into what one
//! process would have given, bit for bit.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};

use entente::batch;
use entente::cli::Format;
use entente::files::read_regular_file;
use entente::partial::Header;
use entente::results::{Committed, PARTIAL_FILE, Staging};

use super::batch::{Outputs, Started, conclude};
use super::{batch_of, check_same_binary};

/// `entente merge`: reads every shard's partial result, checks they are one batch's, and writes
/// and prints what the batch would have given in one process.
pub fn merge_command(
    inputs: &[PathBuf],
    out: Option<&Path>,
    report: Option<&Path>,
    format: Format,
) -> Result<()> {
    let started = SystemTime::now();
    if let Some(out) = out {
        let same = |path: &Path| {
            std::fs::canonicalize(path).ok() == std::fs::canonicalize(out).ok() && out.exists()
        };
        if let Some(input) = inputs.iter().find(|input| same(input)) {
            anyhow::bail!(
                "--out {} is also one of the inputs ({}): merge into another directory",
                out.display(),
                input.display()
            );
        }
    }
    // Lock and stage the output first: an unwritable directory fails before any reading.
    let staging = out.map(Staging::begin).transpose()?;
    let clock = Instant::now();
    let mut read: Vec<(PathBuf, Header, batch::Partial)> = Vec::new();
    for input in inputs {
        let (path, bytes) = if input.is_dir() {
            let committed = Committed::open_finished(input).with_context(|| {
                format!(
                    "cannot merge {}: is it a finished shard's output directory?",
                    input.display()
                )
            })?;
            (input.join(PARTIAL_FILE), committed.read(PARTIAL_FILE)?)
        } else {
            (
                input.clone(),
                read_regular_file(
                    input,
                    entente::partial::MAXIMUM_BODY_BYTES,
                    "a partial result",
                )
                .with_context(|| format!("cannot read {}", input.display()))?,
            )
        };
        let (header, partial) = entente::partial::decode(&bytes)
            .with_context(|| format!("cannot merge {}", path.display()))?;
        read.push((path, header, partial));
    }
    let (first_path, first, _) = &read[0];
    for (path, header, _) in &read[1..] {
        let differences = first.differences(header);
        if !differences.is_empty() {
            anyhow::bail!(
                "{} and {} are not shards of one batch: they differ in {}",
                first_path.display(),
                path.display(),
                differences.join("; ")
            );
        }
    }
    check_same_binary(first, first_path)?;
    let (models, options) = batch_of(first)?;
    for (path, _, partial) in &read {
        batch::check_partial(&models, &options, partial)
            .with_context(|| format!("cannot merge {}", path.display()))?;
    }
    let partials: Vec<batch::Partial> =
        read.iter().map(|(_, _, partial)| partial.clone()).collect();
    let whole = batch::combine(&models, &options, &partials).with_context(|| {
        format!(
            "cannot merge the {} partial results given (from {})",
            partials.len(),
            first_path.display()
        )
    })?;
    let result = batch::merge(&models, &options, std::slice::from_ref(&whole))?;
    let command = whole_batch_command(&first.command);
    let whole_header = Header {
        shard: batch::Shard::WHOLE,
        command: command.clone(),
        ..first.clone()
    };
    note!(
        "merged {} shards of {} runs (entente {}, binary {})",
        partials.len(),
        first.runs,
        first.entente_version,
        first.binary
    );
    let run = Started {
        command: &command,
        scenarios: first.scenarios.clone(),
        options,
        at: started,
        clock,
    };
    let outputs = Outputs {
        staging,
        report,
        format,
        runs_done: None,
    };
    let kept = Some(Box::new((whole_header, whole)));
    conclude(&models, &result, None, run, outputs, None, kept)
}

/// A shard's command without what made it a shard (`--shard`, `--shard-count`, `--resume`,
/// `--out`, `--checkpoint-every`): the command of the whole batch, which is what the merged
/// manifest records, so that `entente rerun` repeats the whole batch in one process.
fn whole_batch_command(command: &[String]) -> Vec<String> {
    const WITH_VALUE: [&str; 4] = ["--shard", "--shard-count", "--out", "--checkpoint-every"];
    let mut whole = Vec::new();
    let mut arguments = command.iter();
    while let Some(argument) = arguments.next() {
        let flag = argument
            .split_once('=')
            .map_or(argument.as_str(), |(flag, _)| flag);
        if WITH_VALUE.contains(&argument.as_str()) {
            arguments.next(); // its value
        } else if !(argument == "--resume" || WITH_VALUE.contains(&flag)) {
            whole.push(argument.clone());
        }
    }
    whole
}
