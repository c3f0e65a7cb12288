//! Malformed scenario files (`tests/malformed/*.toml`) and exactly the errors each must report.
//!
//! Each file is a small valid scenario with one mistake (or, for `several_errors_at_once.toml`,
//! several), named by the file and described by its first line. The table below lists, for each
//! file, every diagnostic expected in order: line, column, dotted key and a fragment of the
//! message. A spurious extra error, a missing one or a moved caret fails the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use entente::scenario::{Scenario, ScenarioError};

/// One expected diagnostic: 1-based line and column, dotted key, and a fragment of the message.
type Expected = (usize, usize, &'static str, &'static str);

const CASES: &[(&str, &[Expected])] = &[
    (
        "tie_weight_with_channels.toml",
        &[(
            26,
            1,
            "outcomes[0].channels",
            "unknown key `channels` (did you mean `channel`?)",
        )],
    ),
    (
        "bad_targets.toml",
        &[
            (
                32,
                30,
                "outcomes[0].target.high",
                "the band is empty: high 0.2 is below low 0.6",
            ),
            (
                39,
                10,
                "outcomes[1].target",
                "missing required key `source`",
            ),
            (
                45,
                10,
                "outcomes[2].target",
                "measure regime_change_month is a month; targets apply",
            ),
        ],
    ),
    (
        "bad_date_format.toml",
        &[(4, 9, "scenario.start", "invalid date \"2020/01\"")],
    ),
    (
        "beta_bad_alpha.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "beta needs alpha > 0 and beta > 0",
        )],
    ),
    (
        "date_outside_period.toml",
        &[(
            30,
            9,
            "events[0].start",
            "date 2021-03 is outside the scenario period 2020-01 to 2020-12",
        )],
    ),
    (
        "duplicate_actor_id.toml",
        &[(16, 6, "actors[1].id", "actor id \"A\" is used twice")],
    ),
    (
        "duplicate_event_id.toml",
        &[(
            37,
            6,
            "events",
            "duplicate event id \"oil\"; the first one is at line 28",
        )],
    ),
    (
        "duplicate_tie.toml",
        &[(
            27,
            1,
            "ties",
            "duplicate tie \"A -> B on trade\"; the first one is at line 21",
        )],
    ),
    (
        "empty_coalition.toml",
        &[(31, 13, "events[0].coalition", "empty coalition")],
    ),
    (
        "empty_partners.toml",
        &[(
            31,
            12,
            "outcomes[0].partners",
            "the list of partners is empty",
        )],
    ),
    (
        "end_before_start.toml",
        &[(
            5,
            7,
            "scenario.end",
            "the scenario ends (2019-12) before it starts (2020-01)",
        )],
    ),
    (
        "event_missing_kind.toml",
        &[(27, 1, "events[0]", "missing required key `kind`")],
    ),
    (
        "missing_required_key.toml",
        &[(15, 1, "actors[1]", "missing required key `capacity`")],
    ),
    (
        "misspelt_section.toml",
        &[(
            8,
            3,
            "actor",
            "unknown key `actor` (did you mean `actors`?)",
        )],
    ),
    (
        "no_actors.toml",
        &[(1, 1, "", "missing required key `actors`")],
    ),
    (
        "no_channels.toml",
        &[(
            6,
            12,
            "scenario.channels",
            "a scenario needs at least one channel",
        )],
    ),
    (
        "normal_negative_sd.toml",
        &[(29, 8, "rules[0].rate", "normal needs sd >= 0, got sd -0.02")],
    ),
    (
        "normal_unbounded_on_unit_param.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "can draw values outside the allowed range [0, 1]; bound it with `low` and `high`",
        )],
    ),
    (
        "outcome_window_reversed.toml",
        &[(33, 6, "outcomes[0].to", "the window ends before it starts")],
    ),
    (
        "period_too_long.toml",
        &[(
            5,
            7,
            "scenario.end",
            "the scenario runs 2412 months, 1900-01 to 2100-12, more than the limit of 2400 \
             months (200 years)",
        )],
    ),
    (
        "partner_and_partners.toml",
        &[(
            31,
            11,
            "outcomes[0].partner",
            "give either `partner` (one actor) or `partners` (a list), not both",
        )],
    ),
    (
        "self_tie.toml",
        &[(23, 6, "ties[0].to", "a tie must join two different actors")],
    ),
    (
        "several_errors_at_once.toml",
        &[
            (
                6,
                8,
                "scenario.seed",
                "expected a non-negative integer, found a negative integer",
            ),
            (
                19,
                12,
                "actors[1].position",
                "value 1.5 is outside the allowed range [-1, 1]",
            ),
            (24, 6, "ties[0].to", "unknown actor id \"C\""),
            (31, 9, "events[0].start", "date 2019-06 is outside"),
            (
                38,
                8,
                "rules[0].rule",
                "unknown rule \"influense\" (did you mean `influence`?)",
            ),
        ],
    ),
    (
        "shock_actor_and_actors.toml",
        &[(
            32,
            10,
            "events[0].actors",
            "give either `actor` (one actor) or `actors` (a list), not both",
        )],
    ),
    (
        "survives_without_stability.toml",
        &[(
            30,
            9,
            "outcomes[0].actor",
            "measure survives needs an actor with a `stability`, and \"B\" has none",
        )],
    ),
    (
        "target_in_coalition.toml",
        &[(
            32,
            10,
            "events[0].target",
            "the target \"A\" is also in the coalition",
        )],
    ),
    (
        "toml_syntax_error.toml",
        &[(3, 13, "", "TOML syntax error")],
    ),
    (
        "too_many_channels.toml",
        &[(
            6,
            451,
            "scenario.channels",
            "at most 64 channels are allowed",
        )],
    ),
    (
        "triangular_mode_outside.toml",
        &[(
            33,
            13,
            "events[0].intensity",
            "triangular needs low <= mode <= high",
        )],
    ),
    (
        "uniform_low_above_high.toml",
        &[(
            29,
            8,
            "rules[0].rate",
            "uniform needs low < high, got low 0.3, high 0.1",
        )],
    ),
    (
        "unknown_actor_in_tie.toml",
        &[(
            23,
            6,
            "ties[0].to",
            "unknown actor id \"C\" (did you mean `A`?); expected one of: A, B",
        )],
    ),
    (
        "unknown_channel.toml",
        &[(
            24,
            11,
            "ties[0].channel",
            "unknown channel \"trad\" (did you mean `trade`?)",
        )],
    ),
    (
        "unknown_coalition_tags.toml",
        &[
            (
                33,
                19,
                "events[0].coalition_tags",
                "unknown tag \"wset\" (did you mean `west`?)",
            ),
            (
                33,
                27,
                "events[0].coalition_tags",
                "unknown tag \"east\"; expected one of: target, west",
            ),
        ],
    ),
    (
        "unknown_event_kind.toml",
        &[(
            29,
            8,
            "events[0].kind",
            "unknown event kind \"sanction\" (did you mean `sanctions`?)",
        )],
    ),
    (
        "unknown_key_typo.toml",
        &[(
            18,
            1,
            "actors[1].postion",
            "unknown key `postion` (did you mean `position`?)",
        )],
    ),
    (
        "unknown_rule.toml",
        &[(
            28,
            8,
            "rules[0].rule",
            "unknown rule \"influense\" (did you mean `influence`?)",
        )],
    ),
    (
        "unknown_rule_param.toml",
        &[(
            29,
            1,
            "rules[0].rat",
            "unknown key `rat` (did you mean `rate`?); expected one of: channels, rate, rule",
        )],
    ),
    (
        "weight_above_one.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "value 1.5 is outside the allowed range [0, 1]",
        )],
    ),
    (
        "wrong_type.toml",
        &[(
            10,
            12,
            "actors[0].capacity",
            "expected a number or a distribution table",
        )],
    ),
];

fn malformed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed")
}

/// Loads `tests/malformed/<file>` and asserts that it fails with exactly the `expected`
/// diagnostics, in order.
fn check(file: &str, expected: &[Expected]) {
    let path = malformed_dir().join(file);
    let invalid = match Scenario::load(&path) {
        Ok(_) => panic!("{file}: loaded without error"),
        Err(ScenarioError::Read { path, reason }) => panic!("{file}: cannot read {path}: {reason}"),
        Err(ScenarioError::Invalid(invalid)) => invalid,
    };
    let found: Vec<(usize, usize, &str, String)> = invalid
        .diagnostics
        .iter()
        .map(|located| {
            (
                located.line,
                located.column,
                located.diagnostic.key.as_str(),
                located.diagnostic.problem.to_string(),
            )
        })
        .collect();
    let positions: Vec<(usize, usize, &str)> = found
        .iter()
        .map(|(line, column, key, _)| (*line, *column, *key))
        .collect();
    let expected_positions: Vec<(usize, usize, &str)> = expected
        .iter()
        .map(|(line, column, key, _)| (*line, *column, *key))
        .collect();
    assert_eq!(
        found.len(),
        expected.len(),
        "{file}: wrong number of errors; the report was:\n{invalid}"
    );
    assert_eq!(
        positions, expected_positions,
        "{file}: wrong diagnostics (line, column, key); the report was:\n{invalid}"
    );
    for ((line, _, _, message), (_, _, _, fragment)) in found.iter().zip(expected) {
        assert!(
            message.contains(fragment),
            "{file}:{line}: message {message:?} does not contain {fragment:?}"
        );
    }
    assert!(
        positions.windows(2).all(|pair| pair[0] <= pair[1]),
        "{file}: diagnostics are not in line order"
    );
}

#[test]
fn each_malformed_file_reports_exactly_its_errors() {
    for (file, expected) in CASES {
        check(file, expected);
    }
}

#[test]
fn several_errors_are_all_reported_in_one_pass() {
    let (_, expected) = CASES
        .iter()
        .find(|(file, _)| *file == "several_errors_at_once.toml")
        .unwrap();
    assert!(expected.len() >= 4);
    let keys: BTreeSet<&str> = expected.iter().map(|(_, _, key, _)| *key).collect();
    assert_eq!(keys.len(), expected.len(), "the errors should be distinct");
}

#[test]
fn display_shows_source_line_caret_and_count() {
    let path = malformed_dir().join("several_errors_at_once.toml");
    let Err(ScenarioError::Invalid(invalid)) = Scenario::load(&path) else {
        panic!("several_errors_at_once.toml should be invalid");
    };
    let shown = invalid.to_string();
    let origin = path.display().to_string();
    assert!(
        shown.starts_with(&format!(
            "{origin}:6:8: `scenario.seed`: expected a non-negative integer"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("19 | position = 1.5\n   |            ^^^\n"),
        "{shown}"
    );
    assert!(shown.ends_with(&format!("5 errors in {origin}")), "{shown}");
}

#[test]
fn a_missing_file_is_a_read_error_naming_the_path() {
    let path = malformed_dir().join("no_such_scenario.toml");
    match Scenario::load(&path) {
        Err(ScenarioError::Read { path: named, .. }) => {
            assert_eq!(named, path.display().to_string());
        }
        Err(other) => panic!("expected a read error, got: {other}"),
        Ok(_) => panic!("a missing file loaded"),
    }
    let message = Scenario::load(&path).err().unwrap().to_string();
    assert!(message.contains("no_such_scenario.toml"), "{message}");
}

#[test]
fn every_malformed_file_is_listed_and_says_what_is_wrong() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(malformed_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    let listed: BTreeSet<String> = CASES.iter().map(|(file, _)| file.to_string()).collect();
    assert_eq!(listed.len(), CASES.len(), "a file is listed twice");
    let unlisted: Vec<&String> = on_disk.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "files without expectations: {unlisted:?}"
    );
    let absent: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(
        absent.is_empty(),
        "listed files that do not exist: {absent:?}"
    );
    for file in &on_disk {
        let text = std::fs::read_to_string(malformed_dir().join(file)).unwrap();
        assert!(
            text.starts_with("# "),
            "{file} should start with a `#` comment saying what is wrong"
        );
    }
}

#[test]
fn issue_13_a_stray_key_after_a_70000_character_description_prints() {
    let description = "x".repeat(70_000);
    let text = format!(
        "scenario = {{ name = \"long\", description = \"{description}\", stray = 1, \
         start = \"2020-01\", end = \"2020-12\", channels = [\"trade\"] }}\n\
         [[actors]]\nid = \"A\"\ncapacity = 1.0\nposition = 0.5\nlocation = [10.0, 20.0]\n"
    );
    let column = text.find("stray").unwrap() + 1;
    assert!(column > usize::from(u16::MAX));
    let Err(ScenarioError::Invalid(invalid)) = Scenario::from_toml(&text, "long.toml") else {
        panic!("the stray key should be reported");
    };
    let shown = invalid.to_string();
    assert!(
        shown.starts_with(&format!(
            "long.toml:1:{column}: `scenario.stray`: unknown key `stray`"
        )),
        "{}",
        &shown[..300.min(shown.len())]
    );
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 4, "{shown}");
    let source = lines[1].strip_prefix("1 | ").unwrap();
    let caret = lines[2].strip_prefix("  | ").unwrap();
    assert!(source.chars().count() <= 200, "{source}");
    // Cut before the caret; the rest of the line fits, so it is shown to its end.
    assert!(source.starts_with('…'), "{source}");
    assert!(source.ends_with("channels = [\"trade\"] }"), "{source}");
    // The caret stands under `stray` in the shortened line.
    let caret_column = caret.find('^').unwrap();
    let under: String = source
        .chars()
        .skip(caret_column)
        .take(caret.len() - caret_column)
        .collect();
    assert_eq!(under, "stray");
    assert_eq!(lines[3], "1 error in long.toml");
}
