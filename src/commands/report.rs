//! `entente report DIR`, and the HTML report that `--report FILE` writes: the page and each
//! chart as an SVG file beside it, every file atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use entente::batch;
use entente::model::Model;
use entente::partial::Header;
use entente::report;
use entente::results::{Committed, MANIFEST_FILE, PARTIAL_FILE};
use entente::summary::{ComparisonSummary, ScenarioSummary};

use entente::summary::summarise;

use super::{batch_of, check_same_binary};

/// `entente report DIR`: from the exact totals the directory keeps, or, for a batch run to a
/// precision target (which keeps none), by rerunning its manifest into a scratch directory
/// and checking that the rerun's summary files are DIR's, byte for byte.
pub fn report_command(directory: &Path, out: Option<PathBuf>, threads: Option<u32>) -> Result<()> {
    let report = out.unwrap_or_else(|| directory.join("report.html"));
    let committed = Committed::open_finished(directory)?;
    if committed.contains(PARTIAL_FILE) {
        return report_from_partial(&committed, &report);
    }
    note!(
        "{} has no {PARTIAL_FILE} (a batch run to a precision target keeps none): rerunning \
         the batch from its manifest",
        directory.display()
    );
    let scratch = directory.join(format!(".entente-report-rerun-{}", std::process::id()));
    // A scratch directory left by an interrupted report holds nothing of the user's.
    let _ = std::fs::remove_dir_all(&scratch);
    let rerun = super::rerun::rerun_command(
        &directory.join(MANIFEST_FILE),
        Some(scratch.clone()),
        threads,
        Some(report.clone()),
    );
    let checked = rerun.and_then(|()| same_summaries(&committed, &scratch, &report));
    let _ = std::fs::remove_dir_all(&scratch);
    checked
}

/// `entente report DIR` from the exact totals a results directory keeps: no run is repeated.
fn report_from_partial(committed: &Committed, report: &Path) -> Result<()> {
    let directory = committed.directory();
    let partial_path = directory.join(PARTIAL_FILE);
    let (header, partial) = entente::partial::decode(&committed.read(PARTIAL_FILE)?)
        .with_context(|| format!("cannot report {}", partial_path.display()))?;
    if header.shard != batch::Shard::WHOLE {
        anyhow::bail!(
            "{} holds shard {} of a batch, not its results: merge every shard first \
             (`entente merge DIR... --out RESULTS`), then report RESULTS",
            directory.display(),
            header.shard
        );
    }
    check_same_binary(&header, &partial_path)?;
    let manifest = String::from_utf8(committed.read(MANIFEST_FILE)?)
        .with_context(|| format!("{} is not UTF-8", directory.join(MANIFEST_FILE).display()))?;
    check_manifest(&manifest, &header, &directory.join(MANIFEST_FILE))?;
    let (models, options) = batch_of(&header)?;
    batch::check_partial(&models, &options, &partial)
        .with_context(|| format!("cannot report {}", partial_path.display()))?;
    let result = batch::merge(&models, &options, std::slice::from_ref(&partial))?;
    let (summaries, comparison) = summarise(&models, header.seed, &result, None);
    let summary_references: Vec<&ScenarioSummary> = summaries.iter().collect();
    write_report(
        report,
        &ReportSources {
            models: &models,
            summaries: &summary_references,
            comparison: comparison.as_ref(),
            seed: header.seed,
            runs: result.runs,
            manifest: &manifest,
        },
    )
}

/// Fails unless the manifest shown as the report's provenance describes the batch whose
/// totals are drawn: the same seed, run count and scenario texts.
fn check_manifest(manifest: &str, header: &Header, path: &Path) -> Result<()> {
    let value: serde_json::Value = serde_json::from_str(manifest)
        .with_context(|| format!("{} is not a manifest (invalid JSON)", path.display()))?;
    let texts: Option<Vec<Vec<String>>> = value["scenarios"].as_array().map(|scenarios| {
        scenarios
            .iter()
            .map(|scenario| {
                scenario["files"]
                    .as_array()
                    .map(|files| {
                        files
                            .iter()
                            .map(|file| file["text"].as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    });
    let header_texts: Vec<Vec<String>> = header
        .scenarios
        .iter()
        .map(|files| files.iter().map(|(_, text)| text.clone()).collect())
        .collect();
    let mut differences = Vec::new();
    if value["seed"].as_u64() != Some(header.seed) {
        differences.push(format!("the seed ({} vs {})", value["seed"], header.seed));
    }
    if value["runs"].as_u64() != Some(header.runs) {
        differences.push(format!(
            "the run count ({} vs {})",
            value["runs"], header.runs
        ));
    }
    if texts.as_ref() != Some(&header_texts) {
        differences.push("the scenario files' text".to_string());
    }
    if !differences.is_empty() {
        anyhow::bail!(
            "{} does not describe the batch whose totals are in {PARTIAL_FILE}: they differ in {}",
            path.display(),
            differences.join("; ")
        );
    }
    Ok(())
}

/// Fails unless each summary file of the rerun in `rerun` equals the committed one.
fn same_summaries(committed: &Committed, rerun: &Path, report: &Path) -> Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(rerun)
        .with_context(|| format!("cannot read {}", rerun.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            ["summary", "comparison", "envelopes"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        })
        .collect();
    names.sort();
    for name in names {
        let recorded = committed.read(&name)?;
        if recorded != std::fs::read(rerun.join(&name))? {
            anyhow::bail!(
                "{} differs from a rerun of its manifest (another entente binary, or an edited \
                 file): {} shows this binary's rerun, not the directory's results",
                committed.directory().join(&name).display(),
                report.display()
            );
        }
    }
    Ok(())
}

/// What a report is made from, besides the charts' own computation.
pub struct ReportSources<'a> {
    pub models: &'a [Model],
    pub summaries: &'a [&'a ScenarioSummary],
    pub comparison: Option<&'a ComparisonSummary>,
    pub seed: u64,
    pub runs: u64,
    /// The text of `manifest.json`, shown as the report's provenance.
    pub manifest: &'a str,
}

/// Writes the HTML report to `path` and each chart into `<stem>-charts/` beside it, every
/// file atomically; the charts first, so that the page's links hold when it appears.
pub fn write_report(path: &Path, sources: &ReportSources<'_>) -> Result<()> {
    let network_runs = sources.runs.min(report::html::NETWORK_RUNS);
    let scenarios = sources
        .models
        .iter()
        .zip(sources.summaries)
        .map(|(model, summary)| report::html::ReportScenario {
            model,
            summary,
            network: report::html::focus_network(model, sources.seed, network_runs),
        })
        .collect();
    let stem = path.file_stem().map_or_else(
        || "report".to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let chart_directory = format!("{stem}-charts");
    let input = report::html::ReportInput {
        scenarios,
        comparison: sources.comparison,
        manifest: sources.manifest.to_string(),
        chart_directory: chart_directory.clone(),
    };
    let rendered = report::html::render(&input)?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .join(&chart_directory);
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create chart directory {}", directory.display()))?;
    for chart in &rendered.charts {
        let chart_path = directory.join(&chart.file_name);
        report::write_atomic(&chart_path, chart.svg.as_bytes())
            .with_context(|| format!("cannot write {}", chart_path.display()))?;
    }
    report::write_atomic(path, rendered.html.as_bytes())
        .with_context(|| format!("cannot write report {}", path.display()))?;
    note!(
        "report: {} ({} charts in {})",
        path.display(),
        rendered.charts.len(),
        directory.display()
    );
    Ok(())
}
