//! `entente batch` and `entente compare` run as a user would, in a temporary directory: the
//! files written, and that they read back (JSON, CSV, the EMA Workbench archive) to the same
//! numbers.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{entente, entente_ok, text};
use serde_json::Value;

/// A temporary directory holding the teaching scenario and a no-war variant of it.
fn workspace() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("scenarios/minimal.toml"),
        directory.path().join("minimal.toml"),
    )
    .unwrap();
    std::fs::write(
        directory.path().join("no_war.toml"),
        "extends = \"minimal.toml\"\n[scenario]\nname = \"no_war\"\n[remove]\nevents = [\"patron_war\"]\n",
    )
    .unwrap();
    directory
}

fn json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Rows of a CSV file as maps from column to field.
fn csv_rows(path: PathBuf) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .zip(record.iter())
                .map(|(header, field)| (header.to_string(), field.to_string()))
                .collect()
        })
        .collect()
}

/// A JSON number, or NaN for null (how NaN is written).
fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

/// A CSV field as a number, NaN for an empty field.
fn field(row: &HashMap<String, String>, column: &str) -> f64 {
    let text = &row[column];
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse().unwrap()
    }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn batch_writes_every_output_and_they_read_back_to_the_same_numbers() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "batch",
            "minimal.toml",
            "--runs",
            "700",
            "--out",
            "out",
            "--per-run",
            "--threads",
            "2",
        ],
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("700 runs in") && stderr.contains("runs/s, 2 threads"),
        "{stderr}"
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("runs      700 (seed 1)"), "{stdout}");
    let out = directory.path().join("out");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".entente.lock",
            "commit.json",
            "ema.tar.gz",
            "envelopes.csv",
            "manifest.json",
            "partial.entente",
            "runs.csv",
            "summary.csv",
            "summary.json"
        ]
    );

    // summary.csv holds exactly the numbers of summary.json.
    let summary = json(out.join("summary.json"));
    let outcomes = summary["outcomes"].as_array().unwrap();
    let rows = csv_rows(out.join("summary.csv"));
    assert_eq!(rows.len(), outcomes.len());
    for (row, outcome) in rows.iter().zip(outcomes) {
        assert_eq!(row["outcome"], outcome["name"].as_str().unwrap());
        assert!(same(field(row, "mean"), number(&outcome["mean"])));
        assert!(same(
            field(row, "standard_deviation"),
            number(&outcome["standard_deviation"])
        ));
        assert!(same(
            field(row, "median"),
            number(&outcome["quantiles"]["median"])
        ));
        assert!(same(
            field(row, "mean_low"),
            number(&outcome["mean_interval"]["low"])
        ));
        assert_eq!(
            field(row, "count") as u64,
            outcome["count"].as_u64().unwrap()
        );
    }

    // runs.csv has every run in order, and its values give the summary's counts and means.
    let runs = csv_rows(out.join("runs.csv"));
    assert_eq!(runs.len(), 700);
    assert!(
        runs.iter()
            .enumerate()
            .all(|(index, row)| row["run"] == index.to_string())
    );
    for outcome in outcomes {
        let name = outcome["name"].as_str().unwrap();
        let values: Vec<f64> = runs
            .iter()
            .map(|row| field(row, name))
            .filter(|value| value.is_finite())
            .collect();
        assert_eq!(
            values.len() as u64,
            outcome["count"].as_u64().unwrap(),
            "{name}"
        );
        if !values.is_empty() {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!((mean - number(&outcome["mean"])).abs() < 1e-12, "{name}");
        }
    }
    assert!(runs[0].contains_key("actors.HOME.stability"));

    // A per-run row is the same run that `entente run --run I` shows.
    let single = entente(
        directory.path(),
        &["run", "minimal.toml", "--run", "123", "--format", "json"],
    );
    let single: Value = serde_json::from_slice(&single.stdout).unwrap();
    let share = single["outcomes"]["riser_share_of_home_trade"]
        .as_f64()
        .unwrap();
    assert!(same(field(&runs[123], "riser_share_of_home_trade"), share));

    // envelopes.csv: one row per month and outcome, as in summary.json.
    let envelopes = csv_rows(out.join("envelopes.csv"));
    assert_eq!(envelopes.len(), 60 * outcomes.len());
    let first = &summary["envelopes"][0]["months"][0];
    assert_eq!(envelopes[0]["month"], "2020-01");
    assert!(same(
        field(&envelopes[0], "p95"),
        number(&first["quantiles"]["p95"])
    ));

    // The manifest holds what reproduces the batch.
    let manifest = json(out.join("manifest.json"));
    assert_eq!(manifest["runs"], 700);
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["threads"], 2);
    assert_eq!(manifest["plan"]["runs"], 700);
    assert_eq!(manifest["entente_version"], env!("CARGO_PKG_VERSION"));
    let scenario_text = std::fs::read_to_string(directory.path().join("minimal.toml")).unwrap();
    assert_eq!(
        manifest["scenarios"][0]["files"][0]["text"],
        scenario_text.as_str()
    );
    assert!(
        manifest["command_line"]
            .as_str()
            .unwrap()
            .ends_with("--per-run --threads 2")
    );
    assert!(manifest["runs_per_second"].as_f64().unwrap() > 0.0);

    // The EMA Workbench archive: experiments, metadata and one file per outcome.
    let archive = std::fs::File::open(out.join("ema.tar.gz")).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut files = HashMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        files.insert(name, contents);
    }
    let experiments: Vec<&str> = files["experiments.csv"].lines().collect();
    assert_eq!(experiments.len(), 701);
    assert!(experiments[0].ends_with(",scenario,policy,model"));
    assert!(files["experiments metadata.csv"].contains("scenario,int64\n"));
    assert!(files["outcomes metadata.csv"].contains("home_survives,(700,)\n"));
    let shares: Vec<&str> = files["riser_share_of_home_trade.csv"].lines().collect();
    assert_eq!(shares.len(), 700);
    assert!(same(shares[123].parse().unwrap(), share));
    let changes = &files["home_regime_change.csv"];
    assert!(
        changes.lines().any(|line| line == "nan"),
        "survivals are written as nan"
    );
    // No scratch or temporary file is left behind: only the lock file is hidden.
    let hidden: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert_eq!(hidden, [".entente.lock"]);
}

#[test]
fn batch_output_is_identical_for_any_thread_count() {
    let directory = workspace();
    for threads in ["1", "3"] {
        entente_ok(
            directory.path(),
            &[
                "batch",
                "minimal.toml",
                "--runs",
                "600",
                "--threads",
                threads,
                "--out",
                threads,
            ],
        );
    }
    let one = std::fs::read(directory.path().join("1/summary.json")).unwrap();
    let three = std::fs::read(directory.path().join("3/summary.json")).unwrap();
    assert!(one == three, "summary.json differs between 1 and 3 threads");
}

#[test]
fn batch_with_precision_reports_how_many_runs_it_took() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "batch",
            "minimal.toml",
            "--precision",
            "0.01",
            "--precision-outcome",
            "home_survives",
            "--format",
            "json",
        ],
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let precision = &summary["precision"];
    assert_eq!(precision["reached"], true);
    assert_eq!(precision["target"], 0.01);
    let survives = &summary["outcomes"][0];
    assert_eq!(survives["name"], "home_survives");
    assert!(survives["judged_half_width"].as_f64().unwrap() <= 0.01);
    let checks = precision["checkpoints"].as_array().unwrap();
    assert_eq!(checks.last().unwrap()["runs"], summary["runs"]);
}

#[test]
fn batch_rejects_bad_options_with_clear_errors() {
    let directory = workspace();
    let unknown = entente(
        directory.path(),
        &[
            "batch",
            "minimal.toml",
            "--precision",
            "0.01",
            "--precision-outcome",
            "home_survive",
        ],
    );
    assert!(!unknown.status.success());
    let stderr = text(&unknown.stderr);
    assert!(
        stderr.starts_with("error: --precision-outcome \"home_survive\" is not an outcome"),
        "{stderr}"
    );
    assert!(stderr.contains("home_survives"), "{stderr}");
    let negative = entente(
        directory.path(),
        &["batch", "minimal.toml", "--precision", "0"],
    );
    assert!(!negative.status.success());
    assert!(
        text(&negative.stderr).contains("is not a half-width entente can reach"),
        "{}",
        text(&negative.stderr)
    );
    let per_run = entente(directory.path(), &["batch", "minimal.toml", "--per-run"]);
    assert!(!per_run.status.success());
    assert!(
        text(&per_run.stderr).contains("--out"),
        "{}",
        text(&per_run.stderr)
    );
}

#[test]
fn compare_prints_paired_differences_and_writes_them() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "compare",
            "minimal.toml",
            "no_war.toml",
            "--runs",
            "800",
            "--out",
            "cmp",
        ],
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("compare   minimal vs no_war\n"),
        "{stdout}"
    );
    assert!(stdout.contains("B − A: no_war − minimal"), "{stdout}");
    let comparison = json(directory.path().join("cmp/comparison.json"));
    assert_eq!(comparison["runs"], 800);
    let rows = csv_rows(directory.path().join("cmp/comparison.csv"));
    let outcomes = comparison["outcomes"].as_array().unwrap();
    assert_eq!(rows.len(), outcomes.len());
    for (row, outcome) in rows.iter().zip(outcomes) {
        let difference = &outcome["differences"][0];
        assert_eq!(row["scenario"], "no_war");
        assert!(same(
            field(row, "mean_difference"),
            number(&difference["mean_difference"])
        ));
        assert!(same(
            field(row, "ks_distance"),
            number(&difference["ks_distance"])
        ));
    }
    for name in [
        "summary-minimal.json",
        "summary-no_war.json",
        "manifest.json",
    ] {
        assert!(directory.path().join("cmp").join(name).exists(), "{name}");
    }
    let manifest = json(directory.path().join("cmp/manifest.json"));
    let scenarios = manifest["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    assert_eq!(
        scenarios[1]["files"].as_array().unwrap().len(),
        2,
        "the variant and its base"
    );
}

#[test]
fn compare_of_a_scenario_with_itself_shows_no_difference() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "compare",
            "minimal.toml",
            "minimal.toml",
            "--runs",
            "300",
            "--format",
            "json",
        ],
    );
    let comparison: Value = serde_json::from_slice(&output.stdout).unwrap();
    for outcome in comparison["outcomes"].as_array().unwrap() {
        let difference = &outcome["differences"][0];
        assert_eq!(difference["mean_difference"], 0.0, "{}", outcome["name"]);
        assert_eq!(difference["ks_distance"], 0.0, "{}", outcome["name"]);
    }
}

#[test]
fn output_closed_early_is_not_a_crash() {
    // Regression: `entente check f | head -1` panicked on the broken pipe.
    let directory = workspace();
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["check", "minimal.toml"])
        .current_dir(directory.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn rerun_reproduces_a_batch_from_its_manifest_alone() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "batch",
            "no_war.toml",
            "--runs",
            "500",
            "--seed",
            "77",
            "--per-run",
            "--out",
            "first",
        ],
    );
    // Move the manifest away from the scenario files and delete them: it must suffice.
    std::fs::rename(
        directory.path().join("first/manifest.json"),
        directory.path().join("manifest.json"),
    )
    .unwrap();
    std::fs::remove_file(directory.path().join("minimal.toml")).unwrap();
    std::fs::remove_file(directory.path().join("no_war.toml")).unwrap();
    let again = entente_ok(
        directory.path(),
        &[
            "rerun",
            "manifest.json",
            "--out",
            "second",
            "--threads",
            "1",
        ],
    );
    for name in ["summary.json", "envelopes.csv", "runs.csv"] {
        let first = std::fs::read(directory.path().join("first").join(name)).unwrap();
        let second = std::fs::read(directory.path().join("second").join(name)).unwrap();
        assert!(first == second, "{name} differs after rerun");
    }
    assert_eq!(text(&output.stdout), text(&again.stdout));
}

#[test]
fn rerun_reproduces_a_comparison() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "compare",
            "minimal.toml",
            "no_war.toml",
            "--runs",
            "300",
            "--out",
            "first",
        ],
    );
    let again = entente_ok(directory.path(), &["rerun", "first/manifest.json"]);
    assert_eq!(text(&output.stdout), text(&again.stdout));
}

#[test]
fn rerun_of_something_else_is_a_clear_error() {
    let directory = workspace();
    std::fs::write(
        directory.path().join("bad.json"),
        "{\"entente_version\": \"0.1.0\"}",
    )
    .unwrap();
    let output = entente(directory.path(), &["rerun", "bad.json"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: bad.json: manifest has no `command`"),
        "{stderr}"
    );
}

#[test]
fn markdown_output_has_a_row_per_outcome_and_the_targets() {
    let directory = workspace();
    let uniform = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/uniform.toml");
    std::fs::copy(uniform, directory.path().join("uniform.toml")).unwrap();
    let output = entente_ok(
        directory.path(),
        &[
            "batch",
            "uniform.toml",
            "--runs",
            "2000",
            "--format",
            "markdown",
        ],
    );
    let markdown = text(&output.stdout);
    assert!(
        markdown.contains("| outcome | estimate (95% CI) | sd | p5 | median | p95 |"),
        "{markdown}"
    );
    assert!(markdown.contains("| `drawn` | 0.4"), "{markdown}");
    assert!(
        markdown.contains("| `drawn` (median) | 0.3800 to 0.4200 | 0.3"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| yes | the parameter's own distribution |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| **no** | a band the batch must report as missed |"),
        "{markdown}"
    );
    let text_output = entente_ok(
        directory.path(),
        &["batch", "uniform.toml", "--runs", "2000"],
    );
    let table = text(&text_output.stdout);
    assert!(table.contains("calibration targets: 1 of 2 met"), "{table}");
    let compared = entente_ok(
        directory.path(),
        &[
            "compare",
            "minimal.toml",
            "no_war.toml",
            "--runs",
            "300",
            "--format",
            "markdown",
        ],
    );
    let markdown = text(&compared.stdout);
    assert!(
        markdown.starts_with("`no_war` − `minimal`: 300 paired runs, seed 1."),
        "{markdown}"
    );
    let rows = markdown
        .lines()
        .filter(|line| line.starts_with("| `"))
        .count();
    assert_eq!(rows, 8, "{markdown}");
}
