//! Bad input gets a clear error, never a panic: every line of the shipped scenarios is deleted,
//! or has its value replaced by values of the wrong type or range, and each mutant must either
//! be rejected with diagnostics that point inside the file, or validate and run to the end.

use entente::model::{Model, Simulation};
use entente::scenario::{Scenario, ScenarioError};

const REPLACEMENTS: [&str; 9] = [
    "\"x\"",
    "-1",
    "1e308",
    "[]",
    "{}",
    "{ dist = \"normal\", mean = 0, sd = -1 }",
    "\"2999-01\"",
    "[\"NOBODY\"]",
    "true",
];

fn mutants(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut mutants = Vec::new();
    for index in 0..lines.len() {
        let mut deleted = lines.clone();
        deleted.remove(index);
        mutants.push(deleted.join("\n"));
        if let Some((key, _)) = lines[index].split_once(" = ") {
            for replacement in REPLACEMENTS {
                let mut changed = lines.clone();
                let line = format!("{key} = {replacement}");
                changed[index] = &line;
                mutants.push(changed.join("\n"));
            }
        }
    }
    mutants
}

fn check_all_mutants(path: &str) {
    check_mutants(path, 1);
}

/// Checks every `stride`-th mutant of the file at `path`.
fn check_mutants(path: &str, stride: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rejected = 0;
    let all: Vec<String> = mutants(&text).into_iter().step_by(stride).collect();
    for mutant in &all {
        match Scenario::from_toml(mutant, "mutant.toml") {
            Ok(scenario) => {
                let outcomes = scenario.outcomes().len();
                let model = Model::new(scenario);
                let result = Simulation::new(&model).run(1, 0, None);
                assert_eq!(result.outcomes.len(), outcomes);
            }
            Err(ScenarioError::Invalid(invalid)) => {
                rejected += 1;
                let line_count = mutant.lines().count().max(1);
                assert!(!invalid.diagnostics.is_empty());
                for located in &invalid.diagnostics {
                    assert!(
                        (1..=line_count).contains(&located.line),
                        "line {} of {line_count}: {}",
                        located.line,
                        located.diagnostic.problem
                    );
                    assert!(located.column >= 1);
                }
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
    // Most mutants of a scenario are wrong; if few were rejected, validation is too lax.
    assert!(
        rejected * 2 > all.len(),
        "{rejected} of {} rejected",
        all.len()
    );
}

#[test]
fn mutants_of_the_teaching_scenario_never_panic() {
    check_all_mutants("scenarios/minimal.toml");
}

#[test]
fn mutants_of_the_island_scenario_never_panic() {
    check_all_mutants("tests/scenarios/islands.toml");
}

#[test]
fn mutants_of_the_flagship_scenario_never_panic() {
    // The flagship has about 8,000 mutants; every 13th keeps the test quick in debug builds
    // while still touching every section of the file.
    check_mutants("scenarios/venezuela/baseline.toml", 13);
}

#[test]
fn mutants_of_an_overlay_never_panic() {
    let directory = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string("scenarios/minimal.toml").unwrap();
    let base_lines = base.lines().count();
    std::fs::write(directory.path().join("minimal.toml"), &base).unwrap();
    let overlay = r#"extends = "minimal.toml"
[scenario]
name = "variant"
[remove]
events = ["patron_war"]
ties = [{ from = "HOME", to = "WEST", channel = "arms" }]
[[actors]]
id = "OLD"
capacity = 3.0
[[events]]
id = "late_shock"
kind = "shock"
start = "2023-06"
actors = ["HOME"]
attribute = "stability"
operation = "add"
value = -0.1"#;
    let path = directory.path().join("variant.toml");
    for mutant in mutants(overlay) {
        std::fs::write(&path, &mutant).unwrap();
        match Scenario::load(&path) {
            Ok(scenario) => {
                let model = Model::new(scenario);
                Simulation::new(&model).run(1, 0, None);
            }
            Err(ScenarioError::Invalid(invalid)) => {
                for located in &invalid.diagnostics {
                    let lines = if located.file.ends_with("variant.toml") {
                        mutant.lines().count()
                    } else {
                        base_lines
                    };
                    assert!((1..=lines.max(1)).contains(&located.line), "{invalid}");
                }
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
}
