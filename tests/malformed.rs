//! Malformed scenario files (`tests/malformed/*.toml`) and exactly the errors each must report.
//!
//! Each file is a small valid scenario with one mistake (or, for `several_errors_at_once.toml`,
//! several), named by the file and described by its first line; the overlays among them extend
//! `tests/malformed/bases/base.toml`. The table below lists, for each file, every diagnostic
//! expected in order: line, column, dotted key and a fragment of the message. A spurious extra
//! error, a missing one or a moved caret fails the test. Files with more errors than are shown
//! are listed apart with their first error and their total, and a few files' whole reports are
//! compared with the `.expected` file beside them; `ENTENTE_BLESS=1 cargo test --test
//! malformed` rewrites those from the current reports, to be reviewed before committing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use entente::scenario::{MAX_DIAGNOSTICS_PER_FILE, Scenario, ScenarioError};

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
    (
        "at_and_over.toml",
        &[(
            31,
            6,
            "outcomes[0].at",
            "give either `at` (one month) or `over` (a window), not both",
        )],
    ),
    (
        "beta_bounds_reversed.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "invalid distribution: beta needs low < high, got low 0.8, high 0.2",
        )],
    ),
    (
        "channel_listed_twice.toml",
        &[(
            6,
            30,
            "scenario.channels",
            "channel \"trade\" is listed twice",
        )],
    ),
    (
        "distribution_missing_parameter.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "missing required key `high` (a number, needed by a uniform distribution)",
        )],
    ),
    (
        "distribution_unknown_key.toml",
        &[(
            25,
            53,
            "ties[0].weight.mode",
            "unknown key `mode`; expected one of: dist, high, low",
        )],
    ),
    (
        "duplicate_outcome_name.toml",
        &[(
            33,
            8,
            "outcomes",
            "duplicate outcome name \"a_position\"; the first one is at line 28",
        )],
    ),
    (
        "duplicate_rule.toml",
        &[(
            32,
            8,
            "rules",
            "duplicate rule \"influence\"; the first one is at line 28",
        )],
    ),
    (
        "empty_channel_list.toml",
        &[(
            34,
            12,
            "events[0].channels",
            "the list of channels is empty",
        )],
    ),
    (
        "event_ends_before_start.toml",
        &[(
            32,
            7,
            "events[0].end",
            "the event ends (2020-02) before it starts (2020-03)",
        )],
    ),
    (
        "event_unknown_actor.toml",
        &[(
            31,
            15,
            "events[0].belligerent",
            "unknown actor id \"C\" (did you mean `A`?); expected one of: A, B",
        )],
    ),
    (
        "extends_a_directory.toml",
        &[(2, 11, "extends", ": it is a directory, not a regular file")],
    ),
    (
        "extends_itself.toml",
        &[(2, 11, "extends", "`extends` goes round in a circle: ")],
    ),
    (
        "extends_missing_base.toml",
        &[(
            2,
            11,
            "extends",
            "cannot read the scenario this one extends, ",
        )],
    ),
    (
        "extends_not_a_string.toml",
        &[(
            2,
            11,
            "extends",
            "expected a string (the path of the scenario this one extends), found an integer",
        )],
    ),
    (
        "from_without_over.toml",
        &[(
            31,
            8,
            "outcomes[0].from",
            "`from` and `to` need `over` (mean, min or max)",
        )],
    ),
    (
        "invalid_actor_id.toml",
        &[(
            22,
            6,
            "actors[2].id",
            "actor id \"C D\" must be letters, digits, '_' or '-'",
        )],
    ),
    (
        "invalid_channel_name.toml",
        &[(
            6,
            22,
            "scenario.channels",
            "channel name \"arms sales\" must be letters, digits, '_' or '-'",
        )],
    ),
    (
        "invalid_outcome_name.toml",
        &[(
            28,
            8,
            "outcomes[0].name",
            "outcome name \"a position\" must be letters, digits, '_' or '-' (it becomes a column name)",
        )],
    ),
    (
        "latitude_out_of_range.toml",
        &[(
            19,
            12,
            "actors[1].location",
            "latitude must be within [-90, 90] and longitude within [-180, 180], got [95, 40]",
        )],
    ),
    (
        "location_wrong_shape.toml",
        &[(
            19,
            12,
            "actors[1].location",
            "expected [latitude, longitude] in degrees, such as [10.5, -66.9]",
        )],
    ),
    (
        "missing_channels.toml",
        &[(
            2,
            1,
            "scenario",
            "missing required key `channels` (the list of tie channels, such as [\"trade\", \"arms\"])",
        )],
    ),
    (
        "missing_location.toml",
        &[(
            15,
            1,
            "actors[1]",
            "missing required key `location` ([latitude, longitude] in degrees)",
        )],
    ),
    (
        "missing_scenario_table.toml",
        &[(
            1,
            1,
            "",
            "missing required key `scenario` (a [scenario] table with name, start, end and channels)",
        )],
    ),
    (
        "month_measure_with_window.toml",
        &[(
            31,
            6,
            "outcomes[0].at",
            "measure regime_change_month is a month over the whole run; `at`, `over`, `from` and `to` do not apply",
        )],
    ),
    (
        "normal_bounds_reversed.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "invalid distribution: normal needs low < high, got low 0.9, high 0.1",
        )],
    ),
    (
        "normal_mean_outside_bounds.toml",
        &[(
            25,
            10,
            "ties[0].weight",
            "invalid distribution: normal needs its mean 0.95 inside its bounds",
        )],
    ),
    (
        "not_finite_number.toml",
        &[(
            17,
            12,
            "actors[1].capacity",
            "expected a finite number, found NaN",
        )],
    ),
    (
        "issue_16_transition_tie_vote_given.toml",
        &[
            (
                13,
                25,
                "actors[0].sanctions_lift_months",
                "describes a transition, which needs `successor_position`",
            ),
            (
                20,
                22,
                "actors[1].successor_position",
                "a successor follows a regime's fall, so the actor needs a `stability`",
            ),
            (
                27,
                7,
                "events[0].end",
                "a tie event is a one-off change in its start month; it has no `end`",
            ),
            (
                37,
                12,
                "outcomes[0].no_above",
                "no_above 0.2 is below yes_below 0.5",
            ),
            (
                44,
                9,
                "outcomes[1].given",
                "`given` conditions on \"B\"'s regime, and it has no `stability`",
            ),
        ],
    ),
    (
        "issue_17_key_relevant_question.toml",
        &[
            (
                4,
                12,
                "scenario.question",
                "expected a string, found an integer",
            ),
            (
                5,
                13,
                "scenario.effect_of",
                "expected a string, found a boolean",
            ),
            (
                27,
                7,
                "outcomes[0].key",
                "expected true or false, found a string",
            ),
            (
                28,
                12,
                "outcomes[0].relevant",
                "relevant = -0.1: the smallest difference that matters must be above 0",
            ),
        ],
    ),
    (
        "outreach_to_itself.toml",
        &[(
            32,
            6,
            "events[0].to",
            "an outreach needs two different actors",
        )],
    ),
    (
        "overlay_nothing_to_remove.toml",
        &[(
            5,
            11,
            "remove.events",
            "no event \"wr\" to remove in the scenario this one extends (did you mean `war`?)",
        )],
    ),
    (
        "overlay_remove_not_a_table.toml",
        &[(
            3,
            10,
            "remove",
            "expected a table listing what to remove, such as `events = [\"war\"]`, found an array",
        )],
    ),
    (
        "overlay_remove_tie_by_name.toml",
        &[(
            5,
            9,
            "remove.ties",
            "expected a table { from, to, channel } of strings, found a string",
        )],
    ),
    (
        "overlay_remove_unknown_section.toml",
        &[(
            5,
            1,
            "remove.channels",
            "unknown key `channels`; expected one of: actors, events, ties, rules, outcomes",
        )],
    ),
    (
        "rule_parameter_out_of_range.toml",
        &[(
            29,
            13,
            "rules[0].tie_decay",
            "value 1.5 is outside the allowed range [0, 1]",
        )],
    ),
    (
        "scenario_not_a_table.toml",
        &[(2, 12, "scenario", "expected a table, found a string")],
    ),
    (
        "section_not_an_array.toml",
        &[(2, 8, "ties", "expected an array of tables, found a string")],
    ),
    (
        "shock_missing_actor.toml",
        &[(
            27,
            1,
            "events[0]",
            "missing required key `actor` (the actor (or `actors`, a list) the shock hits)",
        )],
    ),
    (
        "shock_unknown_attribute.toml",
        &[(
            32,
            13,
            "events[0].attribute",
            "unknown attribute \"wealth\"; expected one of: capacity, growth, position, stability, stubbornness",
        )],
    ),
    (
        "shock_unknown_operation.toml",
        &[(
            33,
            13,
            "events[0].operation",
            "unknown operation \"subtract\"; expected one of: add, multiply, set",
        )],
    ),
    (
        "shock_without_actors.toml",
        &[(
            31,
            10,
            "events[0].actors",
            "a shock needs at least one actor",
        )],
    ),
    (
        "stability_shock_without_stability.toml",
        &[(
            32,
            13,
            "events[0].attribute",
            "a stability shock needs actors that have a `stability`",
        )],
    ),
    (
        "survives_over_window.toml",
        &[(
            31,
            8,
            "outcomes[0].over",
            "measure survives is read at one month (`at`), not over a window",
        )],
    ),
    (
        "tag_not_a_string.toml",
        &[(
            17,
            17,
            "actors[1].tags",
            "expected a string, found an integer",
        )],
    ),
    (
        "tags_but_no_actor_has_tags.toml",
        &[(
            31,
            19,
            "events[0].coalition_tags",
            "unknown tag \"west\": no actor has `tags`",
        )],
    ),
    (
        "target_missing_high.toml",
        &[(
            31,
            10,
            "outcomes[0].target",
            "missing required key `high` (a number: targets are written { low = …, high = … })",
        )],
    ),
    (
        "unknown_distribution.toml",
        &[(
            25,
            19,
            "ties[0].weight.dist",
            "unknown distribution \"gaussian\"; expected one of: uniform, normal, beta, triangular",
        )],
    ),
    (
        "unknown_measure.toml",
        &[(
            29,
            11,
            "outcomes[0].measure",
            "unknown measure \"wealth\"; expected one of: tie_share, tie_weight, capacity, growth, position, stability, stubbornness, survives, regime_change_month, crossover",
        )],
    ),
    (
        "unknown_reduction.toml",
        &[(
            31,
            8,
            "outcomes[0].over",
            "unknown reduction \"median\" (did you mean `mean`?); expected one of: mean, min, max",
        )],
    ),
];

/// Files with more problems than are kept: the first diagnostic expected, and how many there
/// are in all. Only the first [`MAX_DIAGNOSTICS_PER_FILE`] are kept and shown.
const CAPPED: &[(&str, Expected, usize)] = &[(
    "more_than_50_errors.toml",
    (
        17,
        9,
        "actors[1].tags",
        "expected a string, found an integer",
    ),
    60,
)];

/// Files whose whole report is compared with `tests/malformed/NAME.expected`: one of each
/// kind of report (several errors, a shortened long line, a count of errors left out, an
/// error in an overlay, a syntax error, a "did you mean").
const SNAPSHOTS: &[&str] = &[
    "several_errors_at_once.toml",
    "too_many_channels.toml",
    "more_than_50_errors.toml",
    "overlay_nothing_to_remove.toml",
    "toml_syntax_error.toml",
    "unknown_coalition_tags.toml",
    "distribution_unknown_key.toml",
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
        Err(ScenarioError::Overrides(errors)) => {
            panic!("{file}: no overrides were given: {errors}")
        }
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
    assert_eq!(invalid.total(), expected.len(), "{file}: {invalid}");
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
    let listed: BTreeSet<String> = CASES
        .iter()
        .map(|(file, _)| file.to_string())
        .chain(CAPPED.iter().map(|(file, _, _)| file.to_string()))
        .collect();
    assert_eq!(
        listed.len(),
        CASES.len() + CAPPED.len(),
        "a file is listed twice"
    );
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

#[test]
fn issue_13_the_corpus_has_a_file_for_each_distinct_error() {
    // At least 60 files, and no two of them expecting the same first message: each covers a
    // check of its own.
    assert!(CASES.len() + CAPPED.len() >= 60, "{} files", CASES.len());
    let mut firsts = BTreeSet::new();
    for (file, expected) in CASES {
        let (_, _, key, fragment) = expected[0];
        assert!(
            firsts.insert((key, fragment)),
            "{file} expects the same first error as another file"
        );
    }
}

#[test]
fn issue_13_a_file_with_more_than_50_errors_shows_50_and_counts_all() {
    for (file, (line, column, key, fragment), total) in CAPPED {
        let path = malformed_dir().join(file);
        let Err(ScenarioError::Invalid(invalid)) = Scenario::load(&path) else {
            panic!("{file} should be invalid");
        };
        assert_eq!(invalid.total(), *total, "{file}");
        assert_eq!(
            invalid.diagnostics.len(),
            MAX_DIAGNOSTICS_PER_FILE,
            "{file}"
        );
        let first = &invalid.diagnostics[0];
        assert_eq!(
            (first.line, first.column, first.diagnostic.key.as_str()),
            (*line, *column, *key),
            "{file}"
        );
        assert!(first.diagnostic.problem.to_string().contains(fragment));
        // The first ones by place: their columns increase along the line.
        let columns: Vec<usize> = invalid
            .diagnostics
            .iter()
            .map(|shown| shown.column)
            .collect();
        assert!(
            columns.windows(2).all(|pair| pair[0] < pair[1]),
            "{columns:?}"
        );
        assert_eq!(invalid.omitted.len(), 1);
        assert_eq!(invalid.omitted[0].count, total - MAX_DIAGNOSTICS_PER_FILE);
    }
}

/// The report of loading `tests/malformed/<file>`, with the directory written as
/// `tests/malformed` so that it does not depend on where the repository is.
fn rendered(file: &str) -> String {
    let path = malformed_dir().join(file);
    let Err(error) = Scenario::load(&path) else {
        panic!("{file} should be invalid");
    };
    error
        .to_string()
        .replace(&malformed_dir().display().to_string(), "tests/malformed")
}

/// Compares each snapshot file's whole report (headers, source lines, carets, counts) with its
/// `.expected` file. Run with `ENTENTE_BLESS=1` to write the reports as the new expectations,
/// then review the difference before committing it.
#[test]
fn issue_13_whole_reports_match_their_snapshots() {
    let bless = std::env::var_os("ENTENTE_BLESS").is_some_and(|value| value == "1");
    let mut differing = Vec::new();
    for file in SNAPSHOTS {
        let report = rendered(file) + "\n";
        let expected_path = malformed_dir().join(file.replace(".toml", ".expected"));
        if bless {
            std::fs::write(&expected_path, &report).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|error| {
            panic!(
                "{}: {error}; run with ENTENTE_BLESS=1 to write it",
                expected_path.display()
            )
        });
        if report != expected {
            differing.push(format!(
                "{file}: the report differs from {}:\n--- expected\n{expected}--- found\n{report}",
                expected_path.display()
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{}\n(run with ENTENTE_BLESS=1 to accept the new reports)",
        differing.join("\n")
    );
}

#[test]
fn every_snapshot_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(malformed_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".expected"))
        .collect();
    let listed: BTreeSet<String> = SNAPSHOTS
        .iter()
        .map(|file| file.replace(".toml", ".expected"))
        .collect();
    assert_eq!(on_disk, listed);
}
