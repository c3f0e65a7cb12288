//! `entente rerun MANIFEST`: repeats a batch or comparison from its manifest.json alone (the
//! scenario texts and the command are in it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Parser;

use entente::cli::{BatchArgs, Cli, Command};
use entente::files::read_regular_file;
use entente::scenario::Scenario;

use super::batch::{batch_command, compare_command};
use super::loaded_from;

/// The largest manifest read (it holds the scenario texts, each at most a few megabytes).
const MAXIMUM_MANIFEST_BYTES: u64 = 256 << 20;

/// Reruns the batch or comparison a manifest records, with this machine's threads, into `out`
/// if given (nothing written without one), and writes its HTML report to `report` if given.
pub fn rerun_command(
    path: &Path,
    out: Option<PathBuf>,
    threads: Option<u32>,
    report: Option<PathBuf>,
) -> Result<()> {
    let bytes = read_regular_file(path, MAXIMUM_MANIFEST_BYTES, "a manifest")
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a manifest (invalid JSON)", path.display()))?;
    let field = |name: &str| {
        manifest
            .get(name)
            .with_context(|| format!("{}: manifest has no `{name}`", path.display()))
    };
    let version = field("entente_version")?.as_str().unwrap_or("?");
    if version != env!("CARGO_PKG_VERSION") {
        note!(
            "warning: the manifest was written by entente {version}, this is {}; results may differ",
            env!("CARGO_PKG_VERSION")
        );
    }
    let command: Vec<String> = serde_json::from_value(field("command")?.clone())
        .with_context(|| format!("{}: `command` is not a list of strings", path.display()))?;
    let recorded: Vec<Vec<(String, String)>> = field("scenarios")?
        .as_array()
        .with_context(|| format!("{}: `scenarios` is not a list", path.display()))?
        .iter()
        .map(|scenario| {
            scenario["files"]
                .as_array()
                .filter(|files| !files.is_empty())
                .map(|files| {
                    files
                        .iter()
                        .map(|file| {
                            let path = file["path"].as_str().unwrap_or_default().to_string();
                            let text = file["text"].as_str().unwrap_or_default().to_string();
                            (path, text)
                        })
                        .collect()
                })
                .with_context(|| format!("{}: a scenario without files", path.display()))
        })
        .collect::<Result<_>>()?;
    let mut loaded = Vec::new();
    for files in &recorded {
        let scenario = Scenario::from_files(files)?;
        loaded.push(loaded_from(scenario, files.clone()));
    }
    let cli = Cli::try_parse_from(&command)
        .with_context(|| format!("{}: the recorded command does not parse", path.display()))?;
    let override_common = |mut common: BatchArgs| {
        common.out = out.clone();
        common.threads = threads;
        common.report = report.clone();
        common
    };
    let rerun: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Batch {
            mut request,
            common,
            ..
        } if loaded.len() == 1 => {
            // Per-run files need a directory to go to.
            request.per_run &= out.is_some();
            batch_command(loaded.remove(0), &request, &override_common(common), &rerun)
        }
        Command::Compare { runs, common, .. } if loaded.len() >= 2 => {
            compare_command(loaded, runs, &override_common(common), &rerun)
        }
        _ => anyhow::bail!(
            "{}: the recorded command is neither a batch nor a comparison of its scenarios",
            path.display()
        ),
    }
}
