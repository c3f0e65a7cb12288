//! Scaling out: shards of a batch merge into exactly the one-process result, for any split;
//! `merge` refuses what is not one batch; and a batch killed with SIGKILL finishes with
//! `--resume` into the same bits as an uninterrupted run.

use std::convert::Infallible;
use std::path::Path;
use std::process::{Command, Output};

use entente::batch::{self, BatchOptions, CHUNK_RUNS, RunPlan, SEGMENT_CHUNKS, Shard, Sharding};
use entente::model::Model;
use entente::report;
use entente::scenario::Scenario;
use entente::sketch::Sketch;
use entente::summary::{ComparisonSummary, ScenarioSummary};

/// Two actors over a year: fast enough in a debug build for batches of many segments.
const SMALL: &str = r#"
[scenario]
name = "small"
start = "2020-01"
end = "2020-12"
seed = 11
channels = ["trade", "arms"]

[[actors]]
id = "A"
capacity = { dist = "normal", mean = 1.0, sd = 0.2, low = 0.1, high = 2.0 }
growth = 0.02
position = -0.5
stubbornness = 0.1
stability = { dist = "uniform", low = 0.5, high = 0.9 }
location = [10.0, -66.0]

[[actors]]
id = "B"
capacity = 2.0
growth = 0.01
position = { dist = "uniform", low = 0.0, high = 0.8 }
stubbornness = 0.1
location = [55.0, 37.0]

[[ties]]
from = "A"
to = "B"
channel = "trade"
weight = { dist = "uniform", low = 0.2, high = 0.6 }

[[rules]]
rule = "capacity"
growth_noise = 0.01

[[rules]]
rule = "homophily"

[[rules]]
rule = "influence"

[[rules]]
rule = "regime_survival"

[[outcomes]]
name = "a_survives"
measure = "survives"
actor = "A"

[[outcomes]]
name = "a_capacity"
measure = "capacity"
actor = "A"

[[outcomes]]
name = "a_position_mean"
measure = "position"
actor = "A"
over = "mean"
"#;

fn small_model(name: &str) -> Model {
    let text = SMALL.replace("name = \"small\"", &format!("name = \"{name}\""));
    Model::new(Scenario::from_toml(&text, "small.toml").expect("the small scenario is valid"))
}

fn options(runs: u64, threads: usize) -> BatchOptions {
    BatchOptions {
        seed: 11,
        plan: RunPlan::Fixed(runs),
        threads,
        envelopes: true,
        per_run: false,
    }
}

/// Every summary of a batch result as JSON text: what `summary.json` would hold.
fn summaries(models: &[Model], result: &batch::BatchResult) -> String {
    let mut text: String = models
        .iter()
        .enumerate()
        .map(|(index, model)| {
            report::summary_json(&ScenarioSummary::new(model, 11, result, index, None))
        })
        .collect();
    if models.len() > 1 {
        text.push_str(&report::comparison_json(&ComparisonSummary::new(
            models, 11, result,
        )));
    }
    text
}

fn whole(models: &[Model], runs: u64) -> String {
    let result = batch::run(models, &options(runs, 2), &|_| {}, |_| {
        Ok::<(), Infallible>(())
    })
    .expect("no rows, no errors");
    summaries(models, &result)
}

fn sharded(models: &[Model], runs: u64, count: u64, threads: usize) -> String {
    let partials: Vec<batch::Partial> = (0..count)
        .map(|index| {
            let sharding = Sharding {
                shard: Shard { index, count },
                ..Sharding::default()
            };
            let (result, partial) = batch::run_sharded(
                models,
                &options(runs, threads),
                &sharding,
                &|_| {},
                |_| Ok::<(), Infallible>(()),
                |_| Ok(()),
            )
            .expect("no errors");
            assert_eq!(
                result.is_some(),
                count == 1,
                "only the whole batch has a result"
            );
            partial
        })
        .collect();
    // Merged in a scrambled order: the order partials are given in must not matter.
    let mut scrambled = partials.clone();
    scrambled.reverse();
    let result = batch::merge(models, &options(runs, 1), &scrambled).expect("every shard");
    summaries(models, &result)
}

#[test]
fn merged_shards_equal_one_process_for_any_split() {
    let models = [small_model("small")];
    // 9 segments and a half: shard boundaries inside the run range, a short last chunk, and
    // splits with more shards than segments (some shards empty).
    let runs = 9 * SEGMENT_CHUNKS * CHUNK_RUNS + 5 * CHUNK_RUNS + 17;
    let expected = whole(&models, runs);
    for (count, threads) in [(1, 2), (2, 1), (3, 2), (4, 3), (9, 2), (16, 1)] {
        assert_eq!(
            sharded(&models, runs, count, threads),
            expected,
            "{count} shards on {threads} threads"
        );
    }
}

#[test]
fn merged_shards_of_a_comparison_equal_one_process() {
    let models = [small_model("small"), small_model("other")];
    let runs = 3 * SEGMENT_CHUNKS * CHUNK_RUNS + 100;
    assert_eq!(sharded(&models, runs, 5, 2), whole(&models, runs));
}

#[test]
fn shards_cover_every_run_once_in_whole_segments() {
    for runs in [1, 255, 256, 4096, 4097, 100_000, 10_000_000] {
        for count in [1, 2, 7, 64] {
            let mut next = 0;
            for index in 0..count {
                let span = Shard { index, count }.runs(runs);
                assert_eq!(span.start, next, "{runs} runs, shard {index}/{count}");
                assert!(span.start.is_multiple_of(SEGMENT_CHUNKS * CHUNK_RUNS) || span.is_empty());
                next = span.end;
            }
            assert_eq!(next, runs, "{runs} runs in {count} shards");
        }
    }
}

#[test]
fn merge_says_which_shards_are_missing_or_doubled() {
    let models = [small_model("small")];
    let runs = 4 * SEGMENT_CHUNKS * CHUNK_RUNS;
    let shard = |index| {
        let sharding = Sharding {
            shard: Shard { index, count: 4 },
            ..Sharding::default()
        };
        batch::run_sharded(
            &models,
            &options(runs, 1),
            &sharding,
            &|_| {},
            |_| Ok::<(), Infallible>(()),
            |_| Ok(()),
        )
        .expect("no errors")
        .1
    };
    let (zero, two) = (shard(0), shard(2));
    let error = batch::merge(&models, &options(runs, 1), &[zero.clone(), two.clone()])
        .expect_err("shards 1 and 3 are missing");
    assert_eq!(
        error.to_string(),
        "2 shards are missing: 1, 3; merge needs every shard of the batch"
    );
    let error =
        batch::merge(&models, &options(runs, 1), &[zero.clone(), zero]).expect_err("shard 0 twice");
    assert_eq!(
        error,
        batch::PartialError::Duplicate(Shard { index: 0, count: 4 })
    );
}

/// Found by the fuzzer (tests/fuzz.rs; fuzz/regressions/decoder-sketch-precision-mismatch.entente):
/// a partial result whose sketch had another precision passed `check_partial` and panicked
/// when merged. Counts past the runs a partial covers could likewise overflow when shards are
/// combined or summarised; the counts of replaced non-finite numbers, which no run count
/// bounds, saturate instead.
#[test]
fn check_partial_refuses_foreign_precisions_and_counts_past_the_runs() {
    let models = [small_model("small"), small_model("other")];
    let runs = 2 * SEGMENT_CHUNKS * CHUNK_RUNS;
    let shard = |index| {
        let sharding = Sharding {
            shard: Shard { index, count: 2 },
            ..Sharding::default()
        };
        batch::run_sharded(
            &models,
            &options(runs, 1),
            &sharding,
            &|_| {},
            |_| Ok::<(), Infallible>(()),
            |_| Ok(()),
        )
        .expect("no errors")
        .1
    };
    let (first, second) = (shard(0), shard(1));
    let check =
        |partial: &batch::Partial| batch::check_partial(&models, &options(runs, 1), partial);
    assert_eq!(check(&first), Ok(()));
    assert_eq!(check(&second), Ok(()));

    let mut foreign = first.clone();
    foreign.unordered.sketches[0][0] = Sketch::new(7);
    assert_eq!(
        check(&foreign),
        Err(batch::PartialError::Shape("the precision of its sketches"))
    );
    let counts = |what| {
        Err(batch::PartialError::Counts {
            runs: SEGMENT_CHUNKS * CHUNK_RUNS,
            what,
        })
    };
    let mut damaged = first.clone();
    damaged.segments[0].moments[0][0].count = u64::MAX;
    assert_eq!(check(&damaged), counts("an outcome's values"));
    let mut damaged = first.clone();
    damaged.segments[0].ones[1][0] = u64::MAX;
    assert_eq!(check(&damaged), counts("an outcome's ones"));
    let mut damaged = first.clone();
    damaged.segments[0].flags[0][0].both = u64::MAX;
    assert_eq!(check(&damaged), counts("a paired flag"));
    let mut damaged = first.clone();
    damaged.segments[0].differences[0][2].missing += 1;
    assert_eq!(check(&damaged), counts("a paired difference"));

    let mut replaced = first.clone();
    replaced.segments[0].non_finite[0] = u64::MAX;
    assert_eq!(check(&replaced), Ok(()));
    let mut merged = second.clone();
    merged.segments[0].non_finite[0] = 5;
    let result = batch::merge(&models, &options(runs, 1), &[replaced, merged])
        .expect("every shard, each checked");
    assert_eq!(result.scenarios[0].non_finite, u64::MAX);
}

/// Found by the fuzzer (tests/fuzz.rs; fuzz/regressions/decoder-header-without-scenarios.entente):
/// a partial-result file whose header named no scenario decoded, and `report` and `merge`
/// panicked on the batch of no model it describes (`check_partial` indexed the first model).
#[test]
fn a_partial_result_of_no_scenario_is_refused() {
    let models = [small_model("small")];
    let runs = 300;
    let (_, partial) = batch::run_sharded(
        &models,
        &options(runs, 1),
        &Sharding::default(),
        &|_| {},
        |_| Ok::<(), Infallible>(()),
        |_| Ok(()),
    )
    .expect("no errors");
    let header = |scenarios: Vec<Vec<(String, String)>>| entente::partial::Header {
        entente_version: "0".to_string(),
        binary: "0".to_string(),
        seed: 11,
        runs,
        shard: Shard::WHOLE,
        envelopes: true,
        command: Vec::new(),
        scenarios,
    };
    let file = vec![("small.toml".to_string(), SMALL.to_string())];
    let whole = header(vec![file]);
    let (decoded, _) = entente::partial::decode(&entente::partial::encode(&whole, &partial))
        .expect("a header with a scenario decodes");
    assert_eq!(decoded, whole);
    for scenarios in [Vec::new(), vec![Vec::new()]] {
        let error =
            entente::partial::decode(&entente::partial::encode(&header(scenarios), &partial))
                .expect_err("a header without a scenario file");
        assert_eq!(
            error.to_string(),
            "damaged or cut short: a header naming no scenario, or a scenario of no file"
        );
    }
    assert_eq!(
        batch::check_partial(&[], &options(runs, 1), &partial),
        Err(batch::PartialError::Shape("a batch of no scenario"))
    );
}

// --- Through the command line --------------------------------------------------------------

mod common;

fn succeeds(arguments: &[&str]) -> Output {
    common::entente_ok(common::repository(), arguments)
}

fn fails(arguments: &[&str]) -> String {
    common::entente_fails(common::repository(), arguments)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[test]
fn the_command_line_shards_merges_and_refuses_what_is_not_one_batch() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let scenario = directory.path().join("small.toml");
    std::fs::write(&scenario, SMALL).expect("the scenario is written");
    let runs = (5 * SEGMENT_CHUNKS * CHUNK_RUNS).to_string();
    // `entente batch <scenario> --runs <runs> <extra> --out <out>`.
    let batch = |scenario: &Path, extra: &[&str], out: &Path| {
        let arguments = [&["batch", text(scenario), "--runs", &runs], extra].concat();
        succeeds(&[arguments.as_slice(), &["--out", text(out)]].concat());
    };
    let whole = directory.path().join("whole");
    batch(&scenario, &[], &whole);
    let shard_directory = |index: u64| directory.path().join(format!("shards/{index}"));
    for index in 0..3 {
        batch(
            &scenario,
            &["--shard", &format!("{index}/3")],
            &shard_directory(index),
        );
        assert!(shard_directory(index).join("partial.entente").exists());
        assert!(!shard_directory(index).join("checkpoint.entente").exists());
    }
    let merged = directory.path().join("merged");
    succeeds(&[
        "merge",
        text(&shard_directory(2)),
        text(&shard_directory(0)),
        text(&shard_directory(1)),
        "--out",
        text(&merged),
    ]);
    for file in ["summary.json", "summary.csv", "envelopes.csv"] {
        assert_eq!(read(&whole.join(file)), read(&merged.join(file)), "{file}");
    }
    // The merged manifest records the whole batch's command: rerun gives the same bits.
    let rerun = directory.path().join("rerun");
    succeeds(&[
        "rerun",
        text(&merged.join("manifest.json")),
        "--out",
        text(&rerun),
    ]);
    assert_eq!(
        read(&whole.join("summary.json")),
        read(&rerun.join("summary.json"))
    );

    let stderr = fails(&[
        "merge",
        text(&shard_directory(0)),
        text(&shard_directory(2)),
    ]);
    assert!(stderr.contains("1 shard is missing: 1;"), "{stderr}");
    let stderr = fails(&[
        "merge",
        text(&shard_directory(0)),
        text(&shard_directory(0)),
    ]);
    assert!(
        stderr.contains("shard 0/3 is given more than once"),
        "{stderr}"
    );
    // Shards 0 and 2 of this batch with something else in the middle: refused.
    let merge_with = |middle: &Path| {
        fails(&[
            "merge",
            text(&shard_directory(0)),
            text(middle),
            text(&shard_directory(2)),
        ])
    };
    // Another seed.
    let other_seed = directory.path().join("other-seed");
    batch(&scenario, &["--seed", "99", "--shard", "1/3"], &other_seed);
    let stderr = merge_with(&other_seed);
    assert!(stderr.contains("differ in the seed (11 vs 99)"), "{stderr}");
    // Another scenario text (the same file name, one number changed).
    let edited = directory.path().join("edited/small.toml");
    std::fs::create_dir_all(edited.parent().unwrap()).unwrap();
    std::fs::write(&edited, SMALL.replace("growth = 0.02", "growth = 0.03")).unwrap();
    let other_scenario = directory.path().join("other-scenario");
    batch(&edited, &["--shard", "1/3"], &other_scenario);
    let stderr = merge_with(&other_scenario);
    assert!(
        stderr.contains("differ in the scenario files' text"),
        "{stderr}"
    );
    // Another split.
    let other_split = directory.path().join("other-split");
    batch(&scenario, &["--shard", "1/4"], &other_split);
    let stderr = fails(&["merge", text(&shard_directory(0)), text(&other_split)]);
    assert!(stderr.contains("the number of shards (3 vs 4)"), "{stderr}");
    // Another binary (a header rewritten as another build would write it).
    let (mut header, partial) =
        entente::partial::decode(&read(&shard_directory(1).join("partial.entente")))
            .expect("a partial result");
    header.binary = "0123456789abcdef".to_string();
    let other_binary = directory.path().join("other-binary.entente");
    std::fs::write(&other_binary, entente::partial::encode(&header, &partial)).unwrap();
    let stderr = merge_with(&other_binary);
    assert!(stderr.contains("differ in the binary"), "{stderr}");
    // Shard specifications that cannot be.
    for (spec, message) in [
        ("3/3", "K must be at least 0 and below N"),
        ("1-3", "expected K/N"),
        ("auto", "neither SLURM_ARRAY_TASK_ID"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args([
                "batch",
                text(&scenario),
                "--runs",
                "10",
                "--shard",
                spec,
                "--out",
            ])
            .arg(directory.path().join("never"))
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(message),
            "{spec}: {stderr}"
        );
    }
    // `auto` reads a Slurm array task's index and count ...
    let auto_shard = |name: &str, environment: &[(&str, &str)]| {
        let out = directory.path().join(name);
        let output = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args(["batch", text(&scenario), "--runs", &runs, "--shard", "auto"])
            .arg("--out")
            .arg(&out)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .envs(environment.iter().copied())
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}");
        entente::partial::decode(&read(&out.join("partial.entente")))
            .expect("a partial result")
            .0
            .shard
    };
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "5"),
        ("SLURM_ARRAY_TASK_MIN", "4"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    assert_eq!(
        auto_shard("slurm-task", &slurm),
        Shard { index: 1, count: 3 }
    );
    // ... or a Kubernetes Indexed Job's completion index, with the count from the environment.
    let kubernetes = [("JOB_COMPLETION_INDEX", "2"), ("ENTENTE_SHARD_COUNT", "3")];
    assert_eq!(
        auto_shard("k8s-pod", &kubernetes),
        Shard { index: 2, count: 3 }
    );
}

/// Regression test for the scale-out issue: a batch killed with SIGKILL after a checkpoint
/// finishes with `--resume` into the same bytes as a batch never interrupted.
#[test]
fn a_batch_killed_mid_way_resumes_to_the_same_bits() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let scenario = "scenarios/minimal.toml";
    let runs = "12000";
    let uninterrupted = directory.path().join("uninterrupted");
    succeeds(&[
        "batch",
        scenario,
        "--runs",
        runs,
        "--out",
        text(&uninterrupted),
    ]);

    let killed = directory.path().join("killed");
    let checkpoint = killed.join("checkpoint.entente");
    common::killed_after_checkpoint(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "batch",
            scenario,
            "--runs",
            runs,
            "--threads",
            "1",
            "--checkpoint-every",
            "0",
            "--out",
            text(&killed),
        ],
        &checkpoint,
    );
    assert!(
        !killed.join("summary.json").exists(),
        "the batch was killed before it finished (make it longer if this fails)"
    );
    let resume = [
        "batch",
        scenario,
        "--runs",
        runs,
        "--resume",
        "--out",
        text(&killed),
    ];
    let output = succeeds(&resume);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("resuming from"), "{stderr}");
    for file in ["summary.json", "summary.csv", "envelopes.csv"] {
        assert_eq!(
            read(&uninterrupted.join(file)),
            read(&killed.join(file)),
            "{file}"
        );
    }
    assert!(
        !checkpoint.exists(),
        "the checkpoint is removed once the results are whole"
    );
    // Resuming a finished batch does nothing and says so.
    let output = succeeds(&resume);
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing to resume"));
    // A checkpoint of another batch is refused.
    let other = directory.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    // (The finished batch's own totals, presented as another seed's checkpoint.)
    let (mut header, partial) =
        entente::partial::decode(&read(&uninterrupted.join("partial.entente")))
            .expect("a finished batch keeps its totals");
    header.seed = 4;
    std::fs::write(
        other.join("checkpoint.entente"),
        entente::partial::encode(&header, &partial),
    )
    .unwrap();
    let stderr = fails(&[
        "batch",
        scenario,
        "--runs",
        runs,
        "--resume",
        "--out",
        text(&other),
    ]);
    assert!(
        stderr.contains("it is a checkpoint of another batch"),
        "{stderr}"
    );
}
