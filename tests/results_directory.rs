//! Issue 13: what a results directory guarantees, through the command line. Each test is a
//! bullet of the issue's "Why" that failed before: mixed batches, `--resume` trusting any
//! summary, two writers at once, unwritable directories found late, partial results of
//! another binary, numbers that wrapped or panicked, and memory that ran out mid-batch.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{entente, entente_fails, entente_ok, repository, text};

const MINIMAL: &str = "scenarios/minimal.toml";
const FLAGSHIP: &str = "scenarios/venezuela/baseline.toml";

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn batch(scenario: &str, runs: &str, out: &Path, extra: &[&str]) -> String {
    let arguments = [
        &["batch", scenario, "--runs", runs, "--out", path(out)],
        extra,
    ]
    .concat();
    text(&entente_ok(repository(), &arguments).stderr)
}

/// Replaces a committed file and makes the commit record agree, as a results directory
/// written whole by some other program would: only entente's own checks can then refuse it.
fn rewrite_committed(directory: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(directory.join(name), bytes).unwrap();
    let record_path = directory.join("commit.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&read(&record_path)).expect("the record is JSON");
    for file in record["files"].as_array_mut().unwrap() {
        if file["name"] == name {
            file["bytes"] = bytes.len().into();
            file["crc32"] = format!("{:08x}", crc32fast::hash(bytes)).into();
        }
    }
    std::fs::write(&record_path, record.to_string()).unwrap();
}

/// A one-shard batch of the minimal scenario in `directory/shard`, and its partial result.
fn one_shard(directory: &Path) -> (entente::partial::Header, entente::batch::Partial) {
    let shard = directory.join("shard");
    batch(MINIMAL, "300", &shard, &["--shard", "0/1"]);
    entente::partial::decode(&read(&shard.join("partial.entente"))).unwrap()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Was: a directory holding another scenario's results was "already finished" (exit 0).
#[test]
fn issue_13_resume_refuses_another_batchs_results() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out");
    batch(MINIMAL, "300", &out, &[]);
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            FLAGSHIP,
            "--runs",
            "300",
            "--resume",
            "--out",
            path(&out),
        ],
    );
    assert!(
        stderr.contains("holds the finished results of another batch")
            && stderr.contains("the scenario files' text"),
        "{stderr}"
    );
    // The same batch is finished, and says so.
    let stderr = batch(MINIMAL, "300", &out, &["--resume"]);
    assert!(
        stderr.contains("already holds the finished results of this batch"),
        "{stderr}"
    );
    assert!(
        !out.join(".entente-staging").exists(),
        "a batch with nothing to do leaves no staging directory"
    );
    // Another seed of the same scenario is another batch.
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            MINIMAL,
            "--runs",
            "300",
            "--seed",
            "5",
            "--resume",
            "--out",
            path(&out),
        ],
    );
    assert!(stderr.contains("the seed"), "{stderr}");
}

/// Was: killed between the renames of a batch shorter than --checkpoint-every, the
/// directory held summary.json and a temporary file, and --resume said there was nothing
/// to resume.
#[test]
fn issue_13_resume_does_not_trust_a_summary_without_a_commit_record() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out");
    let expected = directory.path().join("expected");
    batch(MINIMAL, "300", &expected, &[]);
    // What a kill between two renames left: one result file, no commit record.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("summary.json"),
        read(&expected.join("summary.json")),
    )
    .unwrap();
    std::fs::write(out.join(".summary.csv.tmp-1234"), b"half a file").unwrap();
    let stderr = batch(MINIMAL, "300", &out, &["--resume"]);
    assert!(stderr.contains("starting from the first run"), "{stderr}");
    // (partial.entente records the command, which differs by --resume.)
    for name in ["summary.json", "summary.csv", "envelopes.csv"] {
        assert!(
            read(&out.join(name)) == read(&expected.join(name)),
            "{name}"
        );
    }
    // `report` refuses a directory without a commit record rather than guessing.
    std::fs::remove_file(out.join("commit.json")).unwrap();
    let stderr = entente_fails(repository(), &["report", path(&out)]);
    assert!(stderr.contains("holds no finished results"), "{stderr}");
}

/// Was: a full disk while writing the flagship's results over the minimal's left
/// summary.json of one and the rest of the other, and `report` drew one and named the other.
/// Now any file of another batch (here the manifest of a batch with another seed) is refused.
#[test]
fn issue_13_report_refuses_files_of_two_batches() {
    let directory = tempfile::tempdir().unwrap();
    let first = directory.path().join("first");
    let second = directory.path().join("second");
    batch(MINIMAL, "300", &first, &[]);
    batch(MINIMAL, "300", &second, &["--seed", "8"]);
    std::fs::copy(second.join("manifest.json"), first.join("manifest.json")).unwrap();
    let stderr = entente_fails(repository(), &["report", path(&first)]);
    assert!(
        stderr.contains("manifest.json does not match the commit record"),
        "{stderr}"
    );
    // Even with a commit record that agrees, a manifest of another seed is not shown as the
    // provenance of these totals.
    rewrite_committed(
        &first,
        "manifest.json",
        &read(&second.join("manifest.json")),
    );
    let stderr = entente_fails(repository(), &["report", path(&first)]);
    assert!(
        stderr.contains("does not describe the batch whose totals are in partial.entente")
            && stderr.contains("the seed"),
        "{stderr}"
    );
    std::fs::copy(second.join("summary.json"), first.join("summary.json")).unwrap();
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            MINIMAL,
            "--runs",
            "300",
            "--resume",
            "--out",
            path(&first),
        ],
    );
    assert!(
        stderr.contains("does not match the commit record"),
        "{stderr}"
    );
}

/// Was: two batches writing one --out at once mixed their files. Now the second is refused
/// at once, naming the first's pid, and the first finishes whole.
#[test]
fn issue_13_a_second_writer_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out");
    let mut first = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "batch",
            FLAGSHIP,
            "--runs",
            "500",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&out)
        .current_dir(repository())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock = out.join(".entente.lock");
    let mut waited = 0;
    while std::fs::read_to_string(&lock).map_or(true, |text| text.is_empty()) {
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
        assert!(waited < 6000, "the first batch never locked its directory");
    }
    let second = entente(
        repository(),
        &["batch", MINIMAL, "--runs", "300", "--out", path(&out)],
    );
    let first_status = first.wait().unwrap();
    let stderr = text(&second.stderr);
    assert!(!second.status.success());
    assert!(
        stderr.contains("is in use by another entente process")
            && stderr.contains(&format!("pid {}", first.id())),
        "{stderr}"
    );
    assert!(first_status.success());
    let summary = String::from_utf8(read(&out.join("summary.json"))).unwrap();
    assert!(
        summary.contains("\"runs\": 500"),
        "the first batch's results stand"
    );
}

/// Was: an unwritable --out failed only after the whole batch had run (53.7 s).
#[test]
fn issue_13_an_unwritable_out_fails_before_any_run() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    // 10^8 flagship runs would take hours: the error must come first.
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            FLAGSHIP,
            "--runs",
            "100000000",
            "--out",
            &format!("{}/out", path(&file)),
        ],
    );
    assert!(stderr.contains("cannot create directory"), "{stderr}");
    assert!(!stderr.contains("runs in"), "{stderr}");
}

/// Was: `--runs` near u64::MAX ran 0 runs and reported them done; `--precision 1e-300
/// --max-runs 0` ran an empty batch; `--checkpoint-every 1e20` panicked. All are refused as
/// usage errors (exit status 2) before anything runs.
#[test]
fn issue_13_numbers_out_of_range_are_usage_errors() {
    for arguments in [
        &["batch", MINIMAL, "--runs", "18446744073709551361"][..],
        &["batch", MINIMAL, "--runs", "18446744073709551615"],
        &["batch", MINIMAL, "--precision", "1e-300", "--max-runs", "0"],
        &["batch", MINIMAL, "--checkpoint-every", "1e20"],
        &["compare", MINIMAL, MINIMAL, "--runs", "0"],
    ] {
        let output = entente(repository(), arguments);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{arguments:?}: {}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stderr).contains("invalid value"),
            "{arguments:?}"
        );
    }
    let directory = tempfile::tempdir().unwrap();
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            MINIMAL,
            "--runs",
            "300",
            "--shard",
            "0/1000000000",
            "--out",
            path(&directory.path().join("shard")),
        ],
    );
    assert!(
        stderr.contains("give at most 1 shards") || stderr.contains("at most 1 shard"),
        "{stderr}"
    );
}

/// Was: `entente merge` of a shard numbered 0/18446744073709551615 crashed (capacity
/// overflow), and of 0/1000000000 aborted on a 4 GB allocation. The command line no longer
/// writes such shards; a crafted file that claims one is refused as damaged (its chunks are
/// not its shard's), and `batch::combine` no longer allocates by the claimed count.
#[test]
fn issue_13_merge_of_a_crafted_shard_count_is_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let (mut header, mut partial) = one_shard(directory.path());
    for count in [u64::MAX, 1_000_000_000] {
        header.shard.count = count;
        partial.shard.count = count;
        let crafted = directory.path().join(format!("crafted-{count}.entente"));
        std::fs::write(&crafted, entente::partial::encode(&header, &partial)).unwrap();
        let output = entente(repository(), &["merge", path(&crafted)]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cannot merge") && stderr.contains("the file is damaged"),
            "{stderr}"
        );
    }
}

/// Was: `merge` and `report` accepted partial results of another version or binary.
#[test]
fn issue_13_report_and_merge_refuse_another_binarys_totals() {
    let directory = tempfile::tempdir().unwrap();
    let (mut header, partial) = one_shard(directory.path());
    header.binary = "0123456789abcdef".to_string();
    let other = directory.path().join("other.entente");
    std::fs::write(&other, entente::partial::encode(&header, &partial)).unwrap();
    let stderr = entente_fails(repository(), &["merge", path(&other)]);
    assert!(
        stderr.contains("was written by another entente binary"),
        "{stderr}"
    );
    // A whole batch's results directory whose totals another binary wrote.
    let results = directory.path().join("results");
    batch(MINIMAL, "300", &results, &[]);
    let (mut header, partial) =
        entente::partial::decode(&read(&results.join("partial.entente"))).unwrap();
    header.binary = "0123456789abcdef".to_string();
    rewrite_committed(
        &results,
        "partial.entente",
        &entente::partial::encode(&header, &partial),
    );
    let stderr = entente_fails(repository(), &["report", path(&results)]);
    assert!(
        stderr.contains("was written by another entente binary"),
        "{stderr}"
    );
}

/// Was: a damaged checkpoint could be resumed from with different numbers.
#[test]
fn issue_13_resume_refuses_a_damaged_checkpoint() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out");
    batch(MINIMAL, "300", &out, &[]);
    // The finished batch's totals, as a checkpoint of a longer batch would hold them, damaged.
    let mut bytes = read(&out.join("partial.entente"));
    let last = bytes.len() - 9;
    bytes[last] ^= 0x01;
    std::fs::write(out.join("checkpoint.entente"), &bytes).unwrap();
    let stderr = entente_fails(
        repository(),
        &[
            "batch",
            MINIMAL,
            "--runs",
            "600",
            "--resume",
            "--out",
            path(&out),
        ],
    );
    assert!(
        stderr.contains("cannot resume from") && stderr.contains("its checksum does not match"),
        "{stderr}"
    );
}

/// Was: 20,000 actors were accepted and the run grew to 6.35 GB before aborting. The
/// estimate now refuses a batch above --max-memory before anything is allocated.
#[test]
fn issue_13_a_batch_above_the_memory_limit_is_refused_with_its_estimate() {
    let stderr = entente_fails(
        repository(),
        &["batch", FLAGSHIP, "--runs", "100", "--max-memory", "1M"],
    );
    assert!(
        stderr.contains("this batch needs about")
            && stderr.contains("more than the limit of 1.0 MB"),
        "{stderr}"
    );
    let output = entente_ok(
        repository(),
        &["batch", FLAGSHIP, "--runs", "100", "--max-memory", "2G"],
    );
    assert!(text(&output.stderr).contains("100 runs in"));
}

/// A shard's directory is committed like any results directory: `merge` refuses one whose
/// partial result was damaged after it was written, naming the file.
#[test]
fn issue_13_merge_refuses_a_damaged_shard_directory() {
    let directory = tempfile::tempdir().unwrap();
    let shard = directory.path().join("shard");
    batch(MINIMAL, "300", &shard, &["--shard", "0/1"]);
    let partial_path = shard.join("partial.entente");
    let mut bytes = read(&partial_path);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&partial_path, &bytes).unwrap();
    let stderr = entente_fails(
        repository(),
        &["merge", path(&shard), "--out", path(&shard)],
    );
    assert!(stderr.contains("is also one of the inputs"), "{stderr}");
    let stderr = entente_fails(repository(), &["merge", path(&shard)]);
    assert!(
        stderr.contains("partial.entente does not match the commit record"),
        "{stderr}"
    );
    // The file alone, without its directory's record, is refused by its own checksum.
    let stderr = entente_fails(repository(), &["merge", path(&partial_path)]);
    assert!(stderr.contains("its checksum does not match"), "{stderr}");
}
