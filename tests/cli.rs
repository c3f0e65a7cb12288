//! The `entente` command line, run as a user would: in a temporary directory, checking exit
//! status, standard output, standard error and the files written.

mod common;

use std::path::{Path, PathBuf};

use common::{entente, text};

/// A temporary directory holding a copy of the teaching scenario.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let scenario = directory.path().join("minimal.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml"),
        &scenario,
    )
    .unwrap();
    (directory, scenario)
}

#[test]
fn check_prints_what_the_scenario_holds() {
    let (directory, _) = workspace();
    let output = entente(directory.path(), &["check", "minimal.toml"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("scenario minimal\n"), "{stdout}");
    assert!(
        stdout.contains("period   2020-01 to 2024-12 (60 monthly steps)"),
        "{stdout}"
    );
    assert!(stdout.contains("actors (5)"), "{stdout}");
    assert!(
        stdout.contains("rules (8, applied in this order)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("intensity triangular(0.3, mode 0.5, 0.8)"),
        "{stdout}"
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn check_quiet_prints_nothing_on_success() {
    let (directory, _) = workspace();
    let output = entente(directory.path(), &["check", "--quiet", "minimal.toml"]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn check_reports_every_error_once_with_positions_and_fails() {
    let (directory, scenario) = workspace();
    let original = std::fs::read_to_string(&scenario).unwrap();
    let broken = original
        .replacen("to = \"WEST\"", "to = \"WSET\"", 1)
        .replacen("weight = 0.05", "weight = 1.05", 1);
    std::fs::write(directory.path().join("broken.toml"), broken).unwrap();
    let output = entente(directory.path(), &["check", "broken.toml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: broken.toml:"), "{stderr}");
    assert!(
        stderr.contains("`ties[0].to`: unknown actor id \"WSET\" (did you mean `WEST`?)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`ties[1].weight`: value 1.05 is outside the allowed range [0, 1]"),
        "{stderr}"
    );
    assert!(
        stderr.trim_end().ends_with("2 errors in broken.toml"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error:").count(),
        1,
        "printed once: {stderr}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let (directory, _) = workspace();
    let output = entente(directory.path(), &["run", "nowhere.toml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read scenario file nowhere.toml:"),
        "{stderr}"
    );
}

#[test]
fn run_prints_identical_bytes_for_the_same_seed_and_writes_the_trace() {
    let (directory, _) = workspace();
    let arguments = ["run", "minimal.toml", "--seed", "7", "--trace", "trace.csv"];
    let first = entente(directory.path(), &arguments);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let trace = std::fs::read_to_string(directory.path().join("trace.csv")).unwrap();
    let second = entente(directory.path(), &arguments);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(
        trace,
        std::fs::read_to_string(directory.path().join("trace.csv")).unwrap()
    );

    let stdout = text(&first.stdout);
    assert!(stdout.contains("seed      7, run 0"), "{stdout}");
    // Monthly measures every 12 months: the Decembers, the last month included once.
    let header = stdout
        .lines()
        .skip_while(|line| !line.starts_with("monthly measures, every 12 months"))
        .nth(1)
        .unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["2020-12", "2021-12", "2022-12", "2023-12", "2024-12"]
    );
    assert!(stdout.contains("home_survives"), "{stdout}");
    assert!(stdout.contains("non-finite values replaced: 0"), "{stdout}");

    let mut lines = trace.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("month,HOME.capacity,HOME.position,HOME.stability,HOME.regime,"));
    assert!(header.ends_with(",home_stability_min"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 60);
    assert!(rows[0].starts_with("2020-01,"));
    assert!(rows[59].starts_with("2024-12,"));
    let width = header.split(',').count();
    assert!(rows.iter().all(|row| row.split(',').count() == width));

    let other_seed = entente(directory.path(), &["run", "minimal.toml", "--seed", "8"]);
    assert_ne!(first.stdout, other_seed.stdout);
    // Only the trace was written: no temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn run_json_has_every_outcome_in_scenario_order() {
    let (directory, _) = workspace();
    let output = entente(
        directory.path(),
        &["run", "minimal.toml", "--format", "json"],
    );
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["seed"], 1);
    let outcomes = report["outcomes"].as_object().unwrap();
    let names: Vec<&str> = outcomes.keys().map(String::as_str).collect();
    assert_eq!(names[0], "home_survives");
    assert_eq!(names.len(), 8);
    assert!(outcomes["home_survives"].is_boolean());
    let share = outcomes["riser_share_of_home_trade"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));
}

#[test]
fn an_unwritable_trace_is_an_error_and_leaves_nothing_behind() {
    let (directory, _) = workspace();
    let output = entente(
        directory.path(),
        &["run", "minimal.toml", "--trace", "missing/trace.csv"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot write the trace to missing/trace.csv:"),
        "{stderr}"
    );
    assert!(!directory.path().join("missing").exists());
}

#[test]
fn an_event_whose_rule_is_off_is_a_warning_not_an_error() {
    let (directory, scenario) = workspace();
    let original = std::fs::read_to_string(&scenario).unwrap();
    let without_rule = original.replace("[[rules]]\nrule = \"outreach\"\n", "");
    assert_ne!(original, without_rule);
    std::fs::write(directory.path().join("quiet.toml"), without_rule).unwrap();
    let output = entente(directory.path(), &["check", "quiet.toml"]);
    assert!(output.status.success());
    assert_eq!(
        text(&output.stderr),
        "warning: event \"western_outreach\" (outreach) has no effect: no rule acts on it (switch on outreach)\n"
    );
    let run = entente(directory.path(), &["run", "quiet.toml"]);
    assert!(run.status.success());
    assert!(text(&run.stderr).starts_with("warning: event \"western_outreach\""));
}

#[test]
fn every_sets_the_months_of_the_monthly_measures() {
    let (directory, _) = workspace();
    let output = entente(directory.path(), &["run", "minimal.toml", "--every", "24"]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    let header = stdout
        .lines()
        .skip_while(|line| !line.starts_with("monthly measures, every 24 months"))
        .nth(1)
        .unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["2021-12", "2023-12", "2024-12"]
    );
    let rejected = entente(directory.path(), &["run", "minimal.toml", "--every", "0"]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(text(&rejected.stderr).contains("invalid value '0' for '--every <N>'"));
}

/// Issue 17: `--quiet` is accepted by every command, before or after its name, and silences
/// standard output and the notes on standard error, while files are still written.
#[test]
fn issue_17_quiet_silences_every_command_but_not_its_files() {
    let (directory, _) = workspace();
    let cases: [&[&str]; 5] = [
        &["-q", "check", "minimal.toml"],
        &["run", "minimal.toml", "--quiet", "--trace", "trace.csv"],
        &[
            "batch",
            "minimal.toml",
            "--runs",
            "64",
            "--quiet",
            "--out",
            "out",
        ],
        &[
            "--quiet",
            "compare",
            "minimal.toml",
            "minimal.toml",
            "--runs",
            "64",
        ],
        &["completions", "bash", "-q"],
    ];
    for arguments in cases {
        let output = entente(directory.path(), arguments);
        assert!(
            output.status.success(),
            "{arguments:?}: {}",
            text(&output.stderr)
        );
        assert!(
            output.stdout.is_empty() && output.stderr.is_empty(),
            "{arguments:?} printed {:?} {:?}",
            text(&output.stdout),
            text(&output.stderr)
        );
    }
    assert!(directory.path().join("trace.csv").is_file());
    assert!(directory.path().join("out/summary.json").is_file());
    // Errors are still printed, with the documented status.
    let output = entente(directory.path(), &["-q", "run", "nowhere.toml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).starts_with("error: cannot read scenario file nowhere.toml:"));
}

/// Issue 17: the exit statuses the README documents: 0, 1 for a scenario error, 2 for usage.
#[test]
fn issue_17_exit_statuses_are_zero_one_and_two() {
    let (directory, _) = workspace();
    let status = |arguments: &[&str]| entente(directory.path(), arguments).status.code();
    assert_eq!(status(&["check", "-q", "minimal.toml"]), Some(0));
    assert_eq!(status(&["check", "nowhere.toml"]), Some(1));
    assert_eq!(
        status(&["check", "minimal.toml", "--set", "rules.nothing.rate=1"]),
        Some(1)
    );
    assert_eq!(status(&["batch", "minimal.toml", "--runs", "0"]), Some(2));
    assert_eq!(
        status(&["batch", "minimal.toml", "--no-such-option"]),
        Some(2)
    );
}

/// Issue 17: `--set KEY=VALUE` gives the bytes the same value written into the file gives,
/// and a key that names nothing is refused with the names there are.
#[test]
fn issue_17_set_equals_the_edited_file() {
    let (directory, scenario) = workspace();
    let original = std::fs::read_to_string(&scenario).unwrap();
    assert!(
        original.contains("rate = 0.1\n"),
        "the edit below must apply"
    );
    let edited = original.replacen("rate = 0.1\n", "rate = 0.35\n", 1);
    std::fs::write(directory.path().join("edited.toml"), edited).unwrap();
    let rule = original[..original.find("rate = 0.1\n").unwrap()]
        .rsplit("rule = \"")
        .next()
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let set = format!("rules.{rule}.rate=0.35");
    let by_set = entente(
        directory.path(),
        &[
            "batch",
            "minimal.toml",
            "--runs",
            "256",
            "--format",
            "json",
            "--set",
            &set,
        ],
    );
    let by_file = entente(
        directory.path(),
        &["batch", "edited.toml", "--runs", "256", "--format", "json"],
    );
    let plain = entente(
        directory.path(),
        &["batch", "minimal.toml", "--runs", "256", "--format", "json"],
    );
    assert!(by_set.status.success(), "{}", text(&by_set.stderr));
    // The scenario's name is the same in both; the outcomes must be too.
    assert_eq!(text(&by_set.stdout), text(&by_file.stdout));
    assert_ne!(
        text(&by_set.stdout),
        text(&plain.stdout),
        "the override changed nothing"
    );

    let wrong = entente(
        directory.path(),
        &[
            "check",
            "minimal.toml",
            "--set",
            &format!("rules.{rule}x.rate=1"),
        ],
    );
    let stderr = text(&wrong.stderr);
    assert!(
        stderr.contains(&format!("did you mean `{rule}`?")),
        "{stderr}"
    );
    let out_of_range = entente(
        directory.path(),
        &[
            "check",
            "minimal.toml",
            "--set",
            &format!("rules.{rule}.rate=-5"),
        ],
    );
    let stderr = text(&out_of_range.stderr);
    assert!(
        stderr.contains("<overrides>:") && stderr.contains("-5"),
        "{stderr}"
    );
}

/// Issue 17: shell completions and the manual page name every subcommand.
#[test]
fn issue_17_completions_and_man_page_cover_every_subcommand() {
    let (directory, _) = workspace();
    let subcommands = [
        "check",
        "run",
        "batch",
        "compare",
        "report",
        "merge",
        "sensitivity",
        "discover",
        "rerun",
        "completions",
        "man",
    ];
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = entente(directory.path(), &["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for subcommand in subcommands {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
        // Fish writes long options without their dashes (`-l set`).
        assert!(
            script.contains("--set") || script.contains("-l set"),
            "{shell} lacks --set"
        );
    }
    let page = text(&entente(directory.path(), &["man"]).stdout);
    assert!(
        page.starts_with(".ie") && page.contains(".TH entente 1"),
        "{page}"
    );
    for subcommand in subcommands {
        let heading = format!(".SH \"ENTENTE {}\"", subcommand.to_uppercase());
        assert!(page.contains(&heading), "man page lacks {heading}");
    }
    assert!(page.contains(".SH \"EXIT STATUS\""));
}
