//! Scenario variants: an overlay (`extends = "base.toml"` plus what differs) resolves to the
//! base with its changes, and every problem is reported in the file, line and column that
//! wrote it.

use std::path::Path;

use entente::model::{Model, Simulation};
use entente::param::Distribution;
use entente::scenario::{MAX_EXTENDS_DEPTH, Scenario, ScenarioError};

/// Writes `files` (name, text) into a temporary directory and loads the first.
fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Scenario, ScenarioError>) {
    let directory = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = directory.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let scenario = Scenario::load(&directory.path().join(files[0].0));
    (directory, scenario)
}

fn minimal() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml"))
        .unwrap()
}

const VARIANT: &str = r#"extends = "base/minimal.toml"

[scenario]
name = "variant"

[remove]
events = ["patron_war"]
ties = [{ from = "HOME", to = "WEST", channel = "arms" }]

[[actors]]
id = "OLD"
capacity = { dist = "uniform", low = 1.0, high = 2.0 }

[[rules]]
rule = "influence"
rate = 0.3

[[events]]
id = "late_shock"
kind = "shock"
start = "2023-06"
actors = ["HOME"]
attribute = "stability"
operation = "add"
value = -0.1
"#;

#[test]
fn an_overlay_resolves_to_the_base_with_its_changes() {
    let base = minimal();
    let (_directory, scenario) = load(&[("variant.toml", VARIANT), ("base/minimal.toml", &base)]);
    let scenario = scenario.unwrap_or_else(|error| panic!("{error}"));
    let (_again, original) = load(&[("minimal.toml", &base)]);
    let original = original.unwrap();
    assert_eq!(scenario.name(), "variant");
    // The header keys the overlay did not mention are the base's.
    assert_eq!(scenario.description(), original.description());
    assert_eq!(scenario.start(), original.start());
    let events: Vec<&str> = scenario
        .events()
        .iter()
        .map(|event| event.id.as_str())
        .collect();
    assert!(!events.contains(&"patron_war"), "{events:?}");
    assert!(events.contains(&"late_shock"), "{events:?}");
    assert_eq!(events.len(), original.events().len());
    assert_eq!(scenario.ties().len(), original.ties().len() - 1);
    // OLD's capacity changed; its other keys are the base's.
    let capacity = scenario
        .params()
        .iter()
        .find(|param| param.key == "actors.OLD.capacity")
        .unwrap();
    assert_eq!(
        capacity.distribution,
        Distribution::Uniform {
            low: 1.0,
            high: 2.0
        }
    );
    let old = scenario
        .actors()
        .iter()
        .find(|actor| actor.id == "OLD")
        .unwrap();
    assert_eq!(old.name, "Old patron");
    let rate = scenario
        .params()
        .iter()
        .find(|param| param.key == "rules.influence.rate")
        .unwrap();
    assert_eq!(rate.distribution, Distribution::Fixed(0.3));
    assert_eq!(scenario.sources().len(), 2);
    assert!(scenario.sources()[1].path.ends_with("minimal.toml"));
}

#[test]
fn overlays_keep_every_shared_draw_of_the_base() {
    // Removing an event must not move the draws of any parameter both files have: that is
    // what makes run i of the two a pair.
    let base = minimal();
    let overlay = "extends = \"minimal.toml\"\n[remove]\nevents = [\"patron_war\"]\n";
    let (_directory, variant) = load(&[("variant.toml", overlay), ("minimal.toml", &base)]);
    let variant = Model::new(variant.unwrap());
    let (_again, original) = load(&[("minimal.toml", &base)]);
    let original = Model::new(original.unwrap());
    let mut left = Simulation::new(&original);
    let mut right = Simulation::new(&variant);
    for run in 0..50 {
        let lane = left.reset(4, run);
        assert_eq!(right.reset(4, run), lane);
        for (index, spec) in variant.scenario().params().iter().enumerate() {
            let position = original
                .scenario()
                .params()
                .iter()
                .position(|other| other.key == spec.key)
                .unwrap();
            assert_eq!(
                left.params(lane)[position].to_bits(),
                right.params(lane)[index].to_bits()
            );
        }
    }
}

/// Loads `files` and checks the errors: (file name, line, column, key, part of the message).
fn check(files: &[(&str, &str)], expected: &[(&str, usize, usize, &str, &str)]) {
    let (_directory, result) = load(files);
    let Err(ScenarioError::Invalid(invalid)) = result else {
        panic!("expected the scenario to be invalid");
    };
    let found: Vec<String> = invalid
        .diagnostics
        .iter()
        .map(|located| {
            let file = Path::new(&located.file)
                .file_name()
                .unwrap()
                .to_string_lossy();
            format!(
                "{file}:{}:{} {} | {}",
                located.line, located.column, located.diagnostic.key, located.diagnostic.problem
            )
        })
        .collect();
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((file, line, column, key, message), got) in expected.iter().zip(&found) {
        let prefix = format!("{file}:{line}:{column} {key} | ");
        assert!(got.starts_with(&prefix), "expected {prefix}… got {got}");
        assert!(got.contains(message), "expected …{message}… in {got}");
    }
    // The rendered report names each file beside its own lines.
    let shown = invalid.to_string();
    for (file, line, column, _, _) in expected {
        assert!(
            shown.contains(&format!("{file}:{line}:{column}: ")),
            "{shown}"
        );
    }
}

#[test]
fn errors_in_an_overlay_point_at_the_overlay() {
    let base = minimal();
    let overlay = r#"extends = "minimal.toml"

[remove]
events = ["patron_wars"]
evnts = ["x"]

[[actors]]
id = "OLD"
capacity = -2.0
"#;
    check(
        &[("variant.toml", overlay), ("minimal.toml", &base)],
        &[
            (
                "variant.toml",
                4,
                11,
                "remove.events",
                "no event \"patron_wars\" to remove in the scenario this one extends (did you mean `patron_war`?)",
            ),
            (
                "variant.toml",
                5,
                1,
                "remove.evnts",
                "unknown key `evnts` (did you mean `events`?)",
            ),
            (
                "variant.toml",
                9,
                12,
                "actors[2].capacity",
                "value -2 is outside the allowed range",
            ),
        ],
    );
}

#[test]
fn errors_in_the_base_point_at_the_base() {
    let base = minimal().replace("capacity = 20.0", "capacity = \"lots\"");
    let line = base
        .lines()
        .position(|line| line == "capacity = \"lots\"")
        .unwrap()
        + 1;
    let overlay = "extends = \"minimal.toml\"\n[scenario]\nname = \"v\"\nseed = true\n";
    check(
        &[("variant.toml", overlay), ("minimal.toml", &base)],
        &[
            (
                "variant.toml",
                4,
                8,
                "scenario.seed",
                "expected a non-negative integer",
            ),
            (
                "minimal.toml",
                line,
                12,
                "actors[1].capacity",
                "expected a number or a distribution",
            ),
        ],
    );
}

#[test]
fn a_missing_base_is_reported_at_the_extends_line() {
    check(
        &[("variant.toml", "# a variant\nextends = \"nowhere.toml\"\n")],
        &[(
            "variant.toml",
            2,
            11,
            "extends",
            "cannot read the scenario this one extends",
        )],
    );
}

#[test]
fn extends_in_a_circle_is_an_error_not_a_hang() {
    check(
        &[
            ("a.toml", "extends = \"b.toml\"\n"),
            ("b.toml", "extends = \"a.toml\"\n"),
        ],
        &[(
            "b.toml",
            1,
            11,
            "extends",
            "`extends` goes round in a circle",
        )],
    );
}

#[test]
fn extends_must_be_a_path() {
    let base = minimal();
    check(
        &[("variant.toml", "extends = 3\n"), ("minimal.toml", &base)],
        &[("variant.toml", 1, 11, "extends", "expected a string")],
    );
}

#[test]
fn issue_13_an_extends_key_written_with_escapes_is_still_followed() {
    // `"ext\u0065nds"` is the key `extends`: the file is read without being parsed first only
    // when it cannot name a base, and this one does.
    let base = minimal();
    let overlay = "\"ext\\u0065nds\" = \"minimal.toml\"\n[scenario]\nname = \"escaped\"\n";
    let (_directory, scenario) = load(&[("variant.toml", overlay), ("minimal.toml", &base)]);
    let scenario = scenario.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.name(), "escaped");
    assert_eq!(scenario.sources().len(), 2);
}

#[test]
fn issue_13_overlays_with_thousands_of_entries_merge_and_remove_by_identity() {
    // 3,000 base events, an overlay that changes every other one and removes every third; each
    // is matched by looking its identity up, not by a scan of the base per entry.
    let mut base = minimal();
    let mut overlay = String::from("extends = \"base.toml\"\n[remove]\nevents = [");
    let mut changes = String::new();
    for index in 0..3000 {
        base.push_str(&format!(
            "\n[[events]]\nid = \"extra_{index}\"\nkind = \"war\"\nstart = \"2021-01\"\n\
             belligerent = \"OLD\"\ncapacity_drain = 0.01\n"
        ));
        if index % 3 == 0 {
            overlay.push_str(&format!("\"extra_{index}\", "));
        } else if index % 2 == 0 {
            changes.push_str(&format!(
                "\n[[events]]\nid = \"extra_{index}\"\ncapacity_drain = 0.02\n"
            ));
        }
    }
    overlay.push_str("\"no_such_event\"]\n");
    overlay.push_str(&changes);
    let (_directory, result) = load(&[("variant.toml", &overlay), ("base.toml", &base)]);
    let Err(ScenarioError::Invalid(invalid)) = result else {
        panic!("removing an event the base lacks is an error");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    assert!(
        invalid.diagnostics[0]
            .diagnostic
            .problem
            .to_string()
            .starts_with("no event \"no_such_event\" to remove"),
        "{invalid}"
    );
    let overlay = overlay.replace(", \"no_such_event\"]", "]");
    let (_directory, result) = load(&[("variant.toml", &overlay), ("base.toml", &base)]);
    let scenario = result.unwrap_or_else(|error| panic!("{error}"));
    let extra: Vec<&str> = scenario
        .events()
        .iter()
        .map(|event| event.id.as_str())
        .filter(|id| id.starts_with("extra_"))
        .collect();
    assert_eq!(extra.len(), 2000);
    assert!(!extra.contains(&"extra_3") && extra.contains(&"extra_4"));
    let drain = |index: usize| {
        let key = format!("events.extra_{index}.capacity_drain");
        let param = scenario.params().iter().find(|param| param.key == key);
        param.unwrap().distribution.clone()
    };
    assert_eq!(drain(4), Distribution::Fixed(0.02));
    assert_eq!(drain(5), Distribution::Fixed(0.01));
}

/// Writes a chain of `count` files, `f00.toml` extending `f01.toml` and so on, the last being
/// the minimal scenario (or, with `back_to`, extending that earlier file); loads the first.
fn chain(
    count: usize,
    back_to: Option<usize>,
) -> (tempfile::TempDir, Result<Scenario, ScenarioError>) {
    let base = minimal();
    let names: Vec<String> = (0..count)
        .map(|index| format!("f{index:02}.toml"))
        .collect();
    let mut files: Vec<(String, String)> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let text = match (names.get(index + 1), back_to) {
            (Some(next), _) => format!("extends = \"{next}\"\n[scenario]\nname = \"{name}\"\n"),
            (None, Some(earlier)) => format!("extends = \"{}\"\n", names[earlier]),
            (None, None) => base.clone(),
        };
        files.push((name.clone(), text));
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    load(&borrowed)
}

#[test]
fn issue_13_a_chain_of_17_files_without_a_cycle_loads() {
    let (_directory, scenario) = chain(17, None);
    let scenario = scenario.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.name(), "f00.toml");
    assert_eq!(scenario.sources().len(), 17);
}

#[test]
fn issue_13_a_chain_at_the_limit_loads_and_one_longer_says_so() {
    let (_directory, scenario) = chain(MAX_EXTENDS_DEPTH, None);
    let scenario = scenario.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.sources().len(), MAX_EXTENDS_DEPTH);

    let (directory, scenario) = chain(MAX_EXTENDS_DEPTH + 1, None);
    let Err(ScenarioError::Invalid(invalid)) = scenario else {
        panic!("a chain over the limit is an error");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    let located = &invalid.diagnostics[0];
    // Reported where the last file allowed names one more.
    assert!(located.file.ends_with("f31.toml"), "{invalid}");
    assert_eq!((located.line, located.column), (1, 11));
    let path = |index: usize| {
        directory
            .path()
            .join(format!("f{index:02}.toml"))
            .display()
            .to_string()
    };
    assert_eq!(
        located.diagnostic.problem.to_string(),
        format!(
            "`extends` chain is longer than 32 files (the limit): {} -> {} -> {} -> … (27 more) \
             -> {} -> {} -> {}",
            path(0),
            path(1),
            path(2),
            path(30),
            path(31),
            path(32)
        )
    );
    assert!(!invalid.to_string().contains("circle"));
}

#[test]
fn issue_13_a_long_cycle_is_still_a_cycle() {
    // f00 -> ... -> f19 -> f05: 20 files, back to the sixth.
    let (_directory, scenario) = chain(20, Some(5));
    let Err(ScenarioError::Invalid(invalid)) = scenario else {
        panic!("a cycle is an error");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    let message = invalid.diagnostics[0].diagnostic.problem.to_string();
    assert!(
        message.starts_with("`extends` goes round in a circle: "),
        "{message}"
    );
    assert!(
        message.contains("f18.toml -> ") && message.ends_with("f05.toml"),
        "{message}"
    );
}
