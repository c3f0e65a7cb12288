//! Exploratory modelling from the command line (issue 15): `entente sensitivity` on a scenario
//! whose outcome is a known function of its inputs gives the analytic indices; its results do
//! not depend on the thread count; bad requests are refused before any run, naming what is
//! wrong; `entente discover` finds where the runs of interest lie.

mod common;

use std::path::Path;

use common::{entente, entente_ok, text};

/// Two actors whose capacities grow at uncertain yearly rates, and nothing else: A's capacity
/// at the end is 1.5 (1 + g_A)^2 exactly (two years of the capacity rule without noise), so its
/// Sobol' indices are 1 for g_A and 0 for g_B, and the share of A in the total depends on both.
const ANALYTIC: &str = r#"
[scenario]
name = "analytic"
start = "2020-01"
end = "2021-12"
seed = 11
channels = ["trade"]

[[actors]]
id = "A"
capacity = 1.5
growth = { dist = "uniform", low = 0.0, high = 0.2 }
position = 0.0
location = [0.0, 0.0]

[[actors]]
id = "B"
capacity = 1.0
growth = { dist = "triangular", low = -0.1, mode = 0.0, high = 0.3 }
position = 0.5
location = [10.0, 10.0]

[[ties]]
from = "A"
to = "B"
channel = "trade"
weight = 0.5

[[rules]]
rule = "capacity"

[[outcomes]]
name = "capacity_a"
measure = "capacity"
actor = "A"
at = "2021-12"
"#;

fn workspace() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("analytic.toml"), ANALYTIC).unwrap();
    directory
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The (input, first, total) indices of the output named `name`.
fn sobol(document: &serde_json::Value, name: &str) -> Vec<(String, f64, f64)> {
    document["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|output| output["name"] == name)
        .unwrap_or_else(|| panic!("no output {name}"))["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|index| {
            (
                index["input"].as_str().unwrap().to_string(),
                index["first"].as_f64().unwrap(),
                index["total"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn issue_15_sobol_indices_of_an_analytic_outcome() {
    let directory = workspace();
    entente_ok(
        directory.path(),
        &[
            "sensitivity",
            "analytic.toml",
            "--points",
            "1024",
            "--out",
            "out",
            "--format",
            "json",
        ],
    );
    let document = json(&directory.path().join("out/sensitivity.json"));
    assert_eq!(document["runs_per_scenario"], 1024 * 4);
    let indices = sobol(&document, "capacity_a");
    assert_eq!(indices[0].0, "actors.A.growth");
    assert_eq!(indices[1].0, "actors.B.growth");
    // A's capacity is a function of A's growth alone: its first-order and total indices are 1
    // (within the estimator's error at 1,024 base points), B's growth has none at all: every
    // AB row that changes only B's growth gives exactly A's value.
    assert!((indices[0].1 - 1.0).abs() < 0.03, "{indices:?}");
    assert!((indices[0].2 - 1.0).abs() < 0.03, "{indices:?}");
    assert_eq!(indices[1].2, 0.0, "{indices:?}");
    assert!(indices[1].1.abs() < 0.01, "{indices:?}");
    // The per-run file has one row per run, with the design's values of both inputs.
    let runs = std::fs::read_to_string(directory.path().join("out/runs.csv")).unwrap();
    let mut lines = runs.lines();
    assert_eq!(
        lines.next(),
        Some("run,point,replication,actors.A.growth,actors.B.growth,capacity_a")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|line| {
            line.split(',')
                .map(|field| field.parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4096);
    for row in &rows {
        // capacity_a = 1.5 (1 + g)^2 in single precision.
        let expected = 1.5 * (1.0 + row[3]).powi(2);
        assert!((row[5] - expected).abs() < 1e-5 * expected, "{row:?}");
        assert!((0.0..=0.2).contains(&row[3]) && (-0.1..=0.3).contains(&row[4]));
    }
}

#[test]
fn issue_15_morris_screening_finds_the_only_input_that_matters() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "sensitivity",
            "analytic.toml",
            "--method",
            "morris",
            "--points",
            "10",
            "--format",
            "json",
        ],
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let indices = &document["outputs"][0]["indices"];
    let mu_star = |input: usize| indices[input]["mu_star"].as_f64().unwrap();
    // d capacity / d probability of A's growth: positive; B's growth changes nothing.
    assert!(mu_star(0) > 0.1, "{indices}");
    assert_eq!(mu_star(1), 0.0, "{indices}");
    assert_eq!(
        indices[0]["mu"], indices[0]["mu_star"],
        "the effect is monotone"
    );
}

#[test]
fn issue_15_sensitivity_is_identical_for_any_thread_count() {
    let directory = workspace();
    let run = |threads: &str, out: &str| {
        entente_ok(
            directory.path(),
            &[
                "sensitivity",
                "analytic.toml",
                "--points",
                "64",
                "--threads",
                threads,
                "--out",
                out,
            ],
        );
        let mut analysis = json(&directory.path().join(out).join("sensitivity.json"));
        // The command line is recorded as given, threads included; everything else must match.
        analysis["command"] = serde_json::Value::Null;
        (
            analysis,
            std::fs::read(directory.path().join(out).join("runs.csv")).unwrap(),
        )
    };
    let one = run("1", "one");
    let three = run("3", "three");
    assert_eq!(
        one.0, three.0,
        "the analyses differ between 1 and 3 threads"
    );
    assert!(one.1 == three.1, "runs.csv differs between 1 and 3 threads");
    // Doubles written in full, so that equal text means equal bits.
    assert!(one.0["outputs"][0]["indices"][0]["first"].as_f64().unwrap() > 0.9);
}

#[test]
fn issue_15_bad_design_requests_are_refused_before_any_run() {
    let directory = workspace();
    let refused = |arguments: &[&str], expected: &[&str]| {
        let mut all = vec!["sensitivity", "analytic.toml"];
        all.extend_from_slice(arguments);
        let output = entente(directory.path(), &all);
        assert_eq!(output.status.code(), Some(1), "{arguments:?}");
        let stderr = text(&output.stderr);
        for part in expected {
            assert!(stderr.contains(part), "{arguments:?}: {stderr}");
        }
        assert!(!directory.path().join("out").exists());
    };
    refused(
        &["--points", "100", "--out", "out"],
        &["power of two of base points", "100 given"],
    );
    refused(
        &["--method", "morris", "--points", "1"],
        &["at least 2 trajectories"],
    );
    refused(
        &["--params", "actors.A.grwth"],
        &["matches no uncertain parameter", "`actors.A.growth`"],
    );
    refused(
        &["--range", "actors.A.growth=0,1"],
        &["already uncertain", "uniform(0, 0.2)"],
    );
    refused(
        &[
            "--range",
            "actors.B.position=0.6,0.2",
            "--range",
            "actors.B.postion=0,1",
        ],
        &[
            "LOW must be below HIGH",
            "no parameter has the key `actors.B.postion`",
            "`actors.B.position`",
        ],
    );
    refused(
        &["--outcome", "capacity_b"],
        &["no such outcome", "capacity_a"],
    );
}

#[test]
fn issue_15_a_range_turns_a_fixed_number_into_an_input() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "sensitivity",
            "analytic.toml",
            "--params",
            "actors.B.*",
            "--range",
            "actors.A.capacity=1,2",
            "--points",
            "512",
            "--format",
            "json",
        ],
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let indices = sobol(&document, "capacity_a");
    let keys: Vec<&str> = indices.iter().map(|(key, _, _)| key.as_str()).collect();
    assert_eq!(keys, ["actors.A.capacity", "actors.B.growth"]);
    // A's growth keeps its Monte Carlo draw, shared by the runs of a base point; A's capacity
    // is now the input that moves the outcome most, B's growth none.
    assert!(indices[0].2 > 0.5, "{indices:?}");
    assert_eq!(indices[1].2, 0.0, "{indices:?}");
}

#[test]
fn issue_15_discover_recovers_where_an_outcome_is_high() {
    let directory = workspace();
    entente_ok(
        directory.path(),
        &[
            "sensitivity",
            "analytic.toml",
            "--points",
            "2048",
            "--out",
            "out",
        ],
    );
    // capacity_a > 1.5 · 1.15² ⇔ A's growth > 0.15: the top quarter of its range.
    entente_ok(
        directory.path(),
        &[
            "discover",
            "out",
            "--where",
            "capacity_a > 1.98375",
            "--out",
            "discovery.json",
        ],
    );
    let document = json(&directory.path().join("discovery.json"));
    assert_eq!(document["cases"], 2048);
    let restrictions = document["prim"]["restrictions"].as_array().unwrap();
    assert_eq!(restrictions.len(), 1, "{restrictions:?}");
    assert_eq!(restrictions[0]["name"], "actors.A.growth");
    let lower = restrictions[0]["lower"].as_f64().unwrap();
    assert!((lower - 0.15).abs() < 0.005, "{lower}");
    let ranking = document["regional_sensitivity"].as_array().unwrap();
    assert_eq!(ranking[0]["name"], "actors.A.growth");
    // Unknown outputs and malformed conditions are errors that say what exists.
    let output = entente(
        directory.path(),
        &["discover", "out", "--where", "capacity_b > 1"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("`capacity_a`"),
        "{}",
        text(&output.stderr)
    );
    let output = entente(
        directory.path(),
        &["discover", "out", "--where", "capacity_a"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("not yes/no"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn issue_15_discover_refuses_a_tampered_runs_file() {
    let directory = workspace();
    entente_ok(
        directory.path(),
        &[
            "sensitivity",
            "analytic.toml",
            "--points",
            "64",
            "--out",
            "out",
        ],
    );
    let path = directory.path().join("out/runs.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let output = entente(
        directory.path(),
        &["discover", "out", "--where", "capacity_a > 1.8"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("runs.csv"),
        "{}",
        text(&output.stderr)
    );
}

/// The rows of a CSV file as numbers, after its header (which is returned first).
fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|line| {
            line.split(',')
                .map(|field| field.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn issue_15_a_latin_hypercube_batch_sets_the_runs_and_records_each_runs_inputs() {
    let directory = workspace();
    entente_ok(
        directory.path(),
        &[
            "batch",
            "analytic.toml",
            "--design",
            "lhs",
            "--points",
            "50",
            "--per-run",
            "--out",
            "out",
        ],
    );
    let (header, rows) = csv_rows(&directory.path().join("out/experiments.csv"));
    assert_eq!(
        header,
        [
            "run",
            "point",
            "replication",
            "actors.A.growth",
            "actors.B.growth"
        ]
    );
    assert_eq!(rows.len(), 50);
    // One point in each fiftieth of each input's probability scale: for A's uniform growth
    // on [0, 0.2], one value in each interval of width 0.004.
    let mut strata: Vec<usize> = rows.iter().map(|row| (row[3] / 0.004) as usize).collect();
    strata.sort_unstable();
    assert_eq!(strata, (0..50).collect::<Vec<_>>());
    // The runs used exactly these inputs: runs.csv has the parameters each run drew.
    let (runs_header, runs) = csv_rows(&directory.path().join("out/runs.csv"));
    let growth = runs_header
        .iter()
        .position(|name| name == "actors.A.growth")
        .unwrap();
    let capacity = runs_header
        .iter()
        .position(|name| name == "capacity_a")
        .unwrap();
    for (run, row) in runs.iter().zip(&rows) {
        assert_eq!(run[growth], row[3]);
        let expected = 1.5 * (1.0 + row[3]).powi(2);
        assert!((run[capacity] - expected).abs() < 1e-5 * expected);
    }
    // A design's size is its run count: another --runs is refused, as is --precision.
    let output = entente(
        directory.path(),
        &[
            "batch",
            "analytic.toml",
            "--design",
            "lhs",
            "--points",
            "50",
            "--runs",
            "60",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("the design has 50 runs"));
}

#[test]
fn issue_15_sweeps_run_every_combination_with_common_random_numbers() {
    let directory = workspace();
    let output = entente_ok(
        directory.path(),
        &[
            "compare",
            "analytic.toml",
            "analytic.toml",
            "--sweep",
            "actors.A.capacity=1,2",
            "--sweep",
            "actors.A.growth=0,0.1,0.2",
            "--replications",
            "4",
            "--out",
            "out",
            "--format",
            "json",
        ],
    );
    let (_, rows) = csv_rows(&directory.path().join("out/experiments.csv"));
    assert_eq!(rows.len(), 2 * 3 * 4);
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter(|row| row[2] == 0.0)
        .map(|row| (row[3], row[4]))
        .collect();
    assert_eq!(
        points,
        [
            (1.0, 0.0),
            (1.0, 0.1),
            (1.0, 0.2),
            (2.0, 0.0),
            (2.0, 0.1),
            (2.0, 0.2)
        ]
    );
    // A scenario compared with itself under one design: both sides ran the same inputs and
    // noise, so the paired difference is exactly 0; and the mean capacity is the mean of
    // c (1 + g)^2 over the grid (c in {1, 2}, g in {0, 0.1, 0.2}).
    let comparison: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(comparison["runs"], 24);
    let outcome = &comparison["outcomes"][0];
    assert_eq!(outcome["name"], "capacity_a");
    assert_eq!(outcome["differences"][0]["mean_difference"], 0.0);
    let expected = (1.0 + 2.0) / 2.0 * (1.0 + 1.21 + 1.44) / 3.0;
    let mean = outcome["sides"][0]["mean"].as_f64().unwrap();
    assert!((mean - expected).abs() < 1e-5, "{mean} vs {expected}");
}

#[test]
fn issue_15_a_design_batch_is_the_same_for_any_threads_and_shards() {
    let directory = workspace();
    let run = |arguments: &[&str]| {
        let mut all = vec![
            "batch",
            "analytic.toml",
            "--design",
            "sobol",
            "--points",
            "2048",
            "--no-envelopes",
        ];
        all.extend_from_slice(arguments);
        entente_ok(directory.path(), &all);
    };
    run(&["--threads", "1", "--out", "one"]);
    run(&["--threads", "2", "--out", "two"]);
    run(&["--shard", "0/2", "--out", "shard0"]);
    run(&["--shard", "1/2", "--out", "shard1"]);
    entente_ok(
        directory.path(),
        &["merge", "shard0", "shard1", "--out", "merged"],
    );
    let read = |directory_name: &str, file: &str| {
        std::fs::read(directory.path().join(directory_name).join(file)).unwrap()
    };
    for file in ["summary.json", "experiments.csv"] {
        assert!(
            read("one", file) == read("two", file),
            "{file}: 1 vs 2 threads"
        );
        assert!(
            read("one", file) == read("merged", file),
            "{file}: whole vs merged"
        );
    }
    // A shard of another design does not merge with these.
    entente_ok(
        directory.path(),
        &[
            "batch",
            "analytic.toml",
            "--design",
            "lhs",
            "--points",
            "8192",
            "--no-envelopes",
            "--shard",
            "1/2",
            "--out",
            "other",
        ],
    );
    let output = entente(directory.path(), &["merge", "shard0", "other"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("the design"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn issue_15_outputs_past_the_memory_budget_spill_to_disk_with_the_same_results() {
    let directory = workspace();
    let run = |out: &str, budget: &str| {
        entente_ok(
            directory.path(),
            &[
                "sensitivity",
                "analytic.toml",
                "analytic.toml",
                "--points",
                "256",
                "--memory-budget",
                budget,
                "--out",
                out,
            ],
        );
        let mut analysis = json(&directory.path().join(out).join("sensitivity.json"));
        analysis["command"] = serde_json::Value::Null;
        let runs = std::fs::read(directory.path().join(out).join("runs.csv")).unwrap();
        // The scratch file is gone once the results are committed.
        let leftovers: Vec<String> = std::fs::read_dir(directory.path().join(out))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("scratch"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        (analysis, runs)
    };
    // 1,024 runs of 2 outputs (capacity_a and its difference) take 16 KB: a budget of 4 KB
    // spills them and analyses one output at a time.
    let (in_memory, in_memory_runs) = run("memory", "1G");
    let (spilled, spilled_runs) = run("spilled", "4K");
    assert_eq!(in_memory, spilled);
    assert!(
        in_memory_runs == spilled_runs,
        "runs.csv differs when spilled"
    );
    assert_eq!(in_memory["outputs"].as_array().unwrap().len(), 2);
}

#[test]
fn issue_15_a_killed_design_batch_resumes_to_the_same_bits_and_refuses_another_design() {
    let directory = tempfile::tempdir().unwrap();
    let scenario = common::repository().join("scenarios/minimal.toml");
    let scenario = scenario.to_str().unwrap();
    let design = ["--design", "lhs", "--points", "12000"];
    let mut whole = vec!["batch", scenario];
    whole.extend(design);
    whole.extend(["--out", "whole"]);
    entente_ok(directory.path(), &whole);
    let mut killed = vec!["batch", scenario];
    killed.extend(design);
    killed.extend([
        "--threads",
        "1",
        "--checkpoint-every",
        "0",
        "--out",
        "killed",
    ]);
    common::killed_after_checkpoint(
        directory.path(),
        &killed,
        &directory.path().join("killed/checkpoint.entente"),
    );
    assert!(
        !directory.path().join("killed/summary.json").exists(),
        "the batch was killed before it finished (make it longer if this fails)"
    );
    // Resuming under another design is refused: its runs would not be the same runs.
    let mut other = vec!["batch", scenario, "--design", "lhs", "--points", "12000"];
    other.extend(["--params", "actors.HOME.*", "--resume", "--out", "killed"]);
    let output = entente(directory.path(), &other);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("the design"),
        "{}",
        text(&output.stderr)
    );
    let mut resume = vec!["batch", scenario];
    resume.extend(design);
    resume.extend(["--resume", "--out", "killed"]);
    let output = entente_ok(directory.path(), &resume);
    assert!(
        text(&output.stderr).contains("resuming from"),
        "{}",
        text(&output.stderr)
    );
    for file in ["summary.json", "envelopes.csv", "experiments.csv"] {
        let read = |name: &str| std::fs::read(directory.path().join(name).join(file)).unwrap();
        assert!(
            read("whole") == read("killed"),
            "{file} differs after resuming"
        );
    }
}
