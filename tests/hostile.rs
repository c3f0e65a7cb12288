//! Hostile scenario files: huge ones, ones with a problem on every line, names thousands of
//! characters long, paths that are not files. Each must be refused with a report of bounded
//! size that still counts every problem, without a panic, a hang, or time or memory growing
//! faster than the file.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use entente::scenario::{
    InvalidScenario, MAX_ACTORS, MAX_DIAGNOSTICS_PER_FILE, MAX_PERIOD_MONTHS, MAX_QUOTED_CHARS,
    MAX_SCENARIO_FILE_BYTES, MAX_SOURCE_LINE_CHARS, Scenario, ScenarioError,
};

/// A valid header and one actor, with room for more keys in the actor's table.
const HEAD: &str = r#"[scenario]
name = "hostile"
start = "2020-01"
end = "2020-12"
channels = ["trade", "arms"]

[[actors]]
id = "A"
capacity = 1.0
position = 0.5
location = [10.0, 20.0]
"#;

/// The most bytes a report may take, however bad the file: 50 diagnostics of a few lines of at
/// most 200 characters each, and the count lines.
const MAX_REPORT_BYTES: usize = 64 * 1024;

/// Writes `text` to `name` in a temporary directory and loads it, expecting it to be invalid.
fn invalid(name: &str, text: &str) -> (tempfile::TempDir, String, InvalidScenario) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join(name);
    std::fs::write(&path, text).unwrap();
    let origin = path.display().to_string();
    match Scenario::load(&path) {
        Err(ScenarioError::Invalid(invalid)) => (directory, origin, invalid),
        Err(other) => panic!("{name}: expected diagnostics, got: {other}"),
        Ok(_) => panic!("{name}: loaded without error"),
    }
}

/// The lines of a report that start a diagnostic (`file:line:column: ...`).
fn headers<'a>(shown: &'a str, origin: &str) -> Vec<&'a str> {
    shown
        .lines()
        .filter(|line| line.starts_with(&format!("{origin}:")))
        .collect()
}

/// Asserts that a report of `count` problems in one file shows the first 50 and counts the rest.
fn assert_capped(shown: &str, origin: &str, count: usize) {
    assert!(
        shown.len() <= MAX_REPORT_BYTES,
        "the report takes {} bytes",
        shown.len()
    );
    assert_eq!(headers(shown, origin).len(), MAX_DIAGNOSTICS_PER_FILE);
    let more = count - MAX_DIAGNOSTICS_PER_FILE;
    assert!(
        shown.contains(&format!("\n… and {more} more errors in {origin}\n")),
        "{shown}"
    );
    assert!(
        shown.ends_with(&format!("\n{count} errors in {origin}")),
        "{}",
        &shown[shown.len().saturating_sub(300)..]
    );
    for line in shown.lines() {
        assert!(
            line.chars().count() <= MAX_SOURCE_LINE_CHARS + 1000,
            "a line of {} characters",
            line.chars().count()
        );
    }
}

/// Bad input as large as a scenario file may be (a little under
/// `MAX_SCENARIO_FILE_BYTES`, 8 MiB); a larger file is refused by its size alone.
const NEAR_LIMIT_BYTES: usize = 8_000_000;

#[test]
fn issue_13_megabytes_of_wrong_typed_elements_near_the_size_limit_show_50_and_count_all() {
    // One wrong-typed element a line: each is its own problem.
    let count = NEAR_LIMIT_BYTES / "  true,\n".len();
    let mut text = String::with_capacity(NEAR_LIMIT_BYTES + 100_000);
    text.push_str(HEAD);
    text.push_str("tags = [\n");
    for _ in 0..count {
        text.push_str("  true,\n");
    }
    text.push_str("]\n");
    let (_directory, origin, invalid) = invalid("elements.toml", &text);
    assert_eq!(invalid.total(), count);
    assert_eq!(invalid.diagnostics.len(), MAX_DIAGNOSTICS_PER_FILE);
    // The first ones by place are the ones kept.
    let lines: Vec<usize> = invalid.diagnostics.iter().map(|shown| shown.line).collect();
    let first_line = HEAD.lines().count() + 2;
    assert_eq!(lines, (first_line..first_line + 50).collect::<Vec<_>>());
    assert_eq!(invalid.omitted.len(), 1);
    assert_eq!(invalid.omitted[0].count, count - MAX_DIAGNOSTICS_PER_FILE);
    assert_capped(&invalid.to_string(), &origin, count);
}

#[test]
fn issue_13_megabytes_on_one_line_near_the_size_limit_show_50_short_lines() {
    let count = NEAR_LIMIT_BYTES / "true, ".len();
    let mut text = String::with_capacity(NEAR_LIMIT_BYTES + 100_000);
    text.push_str(HEAD);
    text.push_str("tags = [");
    for _ in 0..count {
        text.push_str("true, ");
    }
    text.push_str("]\n");
    let (_directory, origin, invalid) = invalid("one_line.toml", &text);
    assert_eq!(invalid.total(), count);
    let shown = invalid.to_string();
    assert_capped(&shown, &origin, count);
    let line = HEAD.lines().count() + 1;
    for (index, located) in invalid.diagnostics.iter().enumerate() {
        // `tags = [` then six characters an element.
        assert_eq!((located.line, located.column), (line, 9 + 6 * index));
        assert!(located.source_line.chars().count() <= MAX_SOURCE_LINE_CHARS);
        let under: String = located
            .source_line
            .chars()
            .skip(located.caret_column - 1)
            .take(located.width)
            .collect();
        assert_eq!(under, "true");
    }
}

#[test]
fn issue_13_a_megabytes_long_line_is_shown_cut_around_its_problem() {
    let description = "x".repeat(NEAR_LIMIT_BYTES);
    let text = format!(
        "scenario = {{ name = \"long\", description = \"{description}\", stray = 1, \
         start = \"2020-01\", end = \"2020-12\", channels = [\"trade\"] }}\n{}",
        &HEAD[HEAD.find("[[actors]]").unwrap()..]
    );
    let (_directory, origin, invalid) = invalid("long_line.toml", &text);
    let shown = invalid.to_string();
    let column = text.find("stray").unwrap() + 1;
    assert!(
        shown.starts_with(&format!(
            "{origin}:1:{column}: `scenario.stray`: unknown key"
        )),
        "{}",
        &shown[..300]
    );
    assert!(shown.len() < 1000, "{shown}");
    assert!(shown.ends_with(&format!("1 error in {origin}")));
}

#[test]
fn issue_13_each_file_of_a_chain_shows_its_first_50() {
    let mut base = String::from(HEAD);
    base.push_str("tags = [");
    base.push_str(&["1"; 60].join(", "));
    base.push_str("]\n");
    let overlay = format!(
        "extends = \"base.toml\"\n[[actors]]\nid = \"C\"\ncapacity = 1.0\nposition = 0.0\n\
         location = [0.0, 0.0]\ntags = [{}]\n",
        ["2"; 70].join(", ")
    );
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("base.toml"), &base).unwrap();
    let path = directory.path().join("variant.toml");
    std::fs::write(&path, &overlay).unwrap();
    let Err(ScenarioError::Invalid(invalid)) = Scenario::load(&path) else {
        panic!("both files' tags are wrong");
    };
    let shown = invalid.to_string();
    let base_path = directory.path().join("base.toml").display().to_string();
    let variant_path = path.display().to_string();
    assert_eq!(invalid.total(), 130, "{shown}");
    assert_eq!(invalid.diagnostics.len(), 100);
    assert_eq!(headers(&shown, &variant_path).len(), 50);
    assert_eq!(headers(&shown, &base_path).len(), 50);
    // Each file's count follows its last diagnostic shown; the files come in chain order.
    let variant_more = shown
        .find(&format!("\n… and 20 more errors in {variant_path}\n"))
        .expect("the overlay's count");
    let base_more = shown
        .find(&format!("\n… and 10 more errors in {base_path}\n"))
        .expect("the base's count");
    assert!(variant_more < base_more);
    assert!(shown.ends_with(&format!("\n130 errors in {variant_path}")));
}

#[test]
fn issue_13_a_misspelt_key_past_the_first_50_problems_still_replaces_its_missing_report() {
    // 80 unknown keys, then `postion` for the missing `position`: 81 problems, no "missing".
    let mut text = HEAD.replace("position = 0.5\n", "");
    for index in 0..80 {
        writeln!(text, "unknown_{index} = 1").unwrap();
    }
    text.push_str("postion = 0.5\n");
    let (_directory, origin, invalid) = invalid("misspelt.toml", &text);
    assert_eq!(invalid.total(), 81);
    let shown = invalid.to_string();
    assert!(!shown.contains("missing required key"), "{shown}");
    assert!(shown.ends_with(&format!("81 errors in {origin}")));
}

#[test]
fn issue_13_names_longer_than_a_typo_get_no_suggestion_and_are_quoted_short() {
    // Two ids of 100,000 characters that differ in one: the edit distance between them would
    // take 10^10 steps and 80 GB.
    let id = "a".repeat(100_000);
    let mut reference = id.clone();
    reference.replace_range(50_000..50_001, "b");
    let text = format!(
        "{}\n[[actors]]\nid = \"{id}\"\ncapacity = 1.0\nposition = 0.0\nlocation = [0.0, 0.0]\n\
         \n[[ties]]\nfrom = \"A\"\nto = \"{reference}\"\nchannel = \"trade\"\nweight = 0.5\n",
        HEAD
    );
    let (_directory, origin, invalid) = invalid("long_names.toml", &text);
    assert_eq!(invalid.total(), 1);
    let message = invalid.diagnostics[0].diagnostic.problem.to_string();
    assert!(message.starts_with("unknown actor id \"aaaa"), "{message}");
    assert!(!message.contains("did you mean"), "{message}");
    // The name is cut to MAX_QUOTED_CHARS, and each id in the list of known ones to 40.
    assert!(
        message.chars().count() < MAX_QUOTED_CHARS + 200,
        "{} characters",
        message.chars().count()
    );
    let shown = invalid.to_string();
    assert!(shown.len() < 2000, "{} bytes", shown.len());
    assert!(shown.ends_with(&format!("1 error in {origin}")));
}

#[test]
fn issue_13_thousands_of_duplicates_are_each_reported() {
    // Every event id repeats the first: 2,999 duplicates, each naming the first's line.
    let mut text = String::from(HEAD);
    for _ in 0..3000 {
        text.push_str(
            "\n[[events]]\nid = \"same\"\nkind = \"war\"\nstart = \"2020-02\"\nbelligerent = \"A\"\n",
        );
    }
    let (_directory, origin, invalid) = invalid("duplicates.toml", &text);
    assert_eq!(invalid.total(), 2999);
    let first_line = HEAD.lines().count() + 3;
    let message = invalid.diagnostics[0].diagnostic.problem.to_string();
    assert_eq!(
        message,
        format!("duplicate event id \"same\"; the first one is at line {first_line}")
    );
    assert_capped(&invalid.to_string(), &origin, 2999);
}

#[test]
fn issue_13_the_count_is_exact_when_problems_arrive_out_of_order() {
    // Missing keys are reported when their table is finished, after the problems inside it;
    // with thousands of tables the list is cut back several times on the way. 4,095 tables
    // and the first make 4,096 actors, the most allowed.
    let tables = MAX_ACTORS - 1;
    let mut text = String::from(HEAD);
    for index in 0..tables {
        write!(
            text,
            "\n[[actors]]\nid = \"B{index}\"\ncapacity = \"x\"\nlocation = [0.0, 0.0]\n"
        )
        .unwrap();
    }
    let (_directory, origin, invalid) = invalid("tables.toml", &text);
    // Each table: capacity of the wrong type, position missing.
    assert_eq!(invalid.total(), 2 * tables);
    let first = &invalid.diagnostics[0];
    assert_eq!(first.diagnostic.key, "actors[1]");
    assert!(
        first
            .diagnostic
            .problem
            .to_string()
            .starts_with("missing required key `position`")
    );
    assert_eq!(invalid.diagnostics[1].diagnostic.key, "actors[1].capacity");
    assert_capped(&invalid.to_string(), &origin, 2 * tables);
}

/// Loads `path` on another thread and waits at most `seconds`, so that a load that blocks
/// (a FIFO opened for reading) or never ends (a device read to its end) fails the test instead
/// of hanging it. `unblock` is run if the time runs out.
fn load_within(path: &Path, seconds: u64, unblock: impl FnOnce()) -> Result<(), String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let result = Scenario::load(&owned)
            .map(|_| ())
            .map_err(|error| error.to_string());
        sender.send(result).ok();
    });
    match receiver.recv_timeout(Duration::from_secs(seconds)) {
        Ok(result) => result,
        Err(_) => {
            unblock();
            panic!("loading {} did not finish", path.display());
        }
    }
}

/// The error message of loading `path`, which must be a read error naming it.
fn read_error(path: &Path) -> String {
    match Scenario::load(path) {
        Err(error @ ScenarioError::Read { .. }) => {
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("cannot read scenario file {}: ", path.display())),
                "{message}"
            );
            message
        }
        Err(other) => panic!("expected a read error, got: {other}"),
        Ok(_) => panic!("{} loaded", path.display()),
    }
}

#[test]
fn issue_13_a_directory_is_refused_by_name() {
    let directory = tempfile::tempdir().unwrap();
    let message = read_error(directory.path());
    assert!(
        message.ends_with(": it is a directory, not a regular file"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn issue_13_a_fifo_is_refused_without_blocking() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("scenario.toml");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let result = load_within(&fifo, 20, || {
        // Opening the writing end releases a reader blocked on the reading end.
        drop(std::fs::OpenOptions::new().write(true).open(&fifo));
    });
    let message = result.expect_err("a FIFO is not a scenario");
    assert_eq!(
        message,
        format!(
            "cannot read scenario file {}: it is a FIFO, not a regular file",
            fifo.display()
        )
    );
}

#[cfg(unix)]
#[test]
fn issue_13_a_socket_is_refused_by_name() {
    let directory = tempfile::tempdir().unwrap();
    let socket = directory.path().join("scenario.toml");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let message = read_error(&socket);
    assert!(
        message.ends_with(": it is a socket, not a regular file"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn issue_13_dev_zero_as_extends_is_refused_at_the_extends_line() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("variant.toml");
    for device in ["/dev/zero", "/dev/urandom"] {
        std::fs::write(&path, format!("# a variant\nextends = \"{device}\"\n")).unwrap();
        // Reading either to its end would never finish.
        let message = load_within(&path, 20, || {}).expect_err("a device is not a scenario");
        assert_eq!(
            message,
            format!(
                "{}:2:11: `extends`: cannot read the scenario this one extends, {device}: \
                 it is a character device, not a regular file\n\
                 2 | extends = \"{device}\"\n  |           {}\n1 error in {}",
                path.display(),
                "^".repeat(device.len() + 2),
                path.display()
            )
        );
    }
}

#[test]
fn issue_13_a_file_over_8_mib_is_refused_with_its_size() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("huge.toml");
    // Sparse: the size is set without writing the bytes, so the test is cheap.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_SCENARIO_FILE_BYTES + 1).unwrap();
    let message = read_error(&path);
    assert!(
        message.ends_with(&format!(
            ": it is {} bytes, larger than the limit of {MAX_SCENARIO_FILE_BYTES} bytes (8 MiB) \
             for a scenario file",
            MAX_SCENARIO_FILE_BYTES + 1
        )),
        "{message}"
    );
    // The same file as a base is reported where the overlay names it.
    let variant = directory.path().join("variant.toml");
    std::fs::write(&variant, "extends = \"huge.toml\"\n").unwrap();
    let Err(ScenarioError::Invalid(invalid)) = Scenario::load(&variant) else {
        panic!("a base over the limit is an error");
    };
    let message = invalid.diagnostics[0].diagnostic.problem.to_string();
    assert!(
        message.contains(&format!(
            "huge.toml: it is {} bytes, larger than the limit",
            MAX_SCENARIO_FILE_BYTES + 1
        )),
        "{message}"
    );
    assert_eq!(
        (invalid.diagnostics[0].line, invalid.diagnostics[0].column),
        (1, 11)
    );
}

#[test]
fn issue_13_a_file_at_the_limit_is_read() {
    // Exactly the limit is allowed: the file is read and parsed (here, as an empty scenario of
    // spaces, which lacks its sections).
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("spaces.toml");
    std::fs::write(&path, " ".repeat(MAX_SCENARIO_FILE_BYTES as usize)).unwrap();
    let Err(ScenarioError::Invalid(invalid)) = Scenario::load(&path) else {
        panic!("a file of spaces is not a scenario");
    };
    let messages: Vec<String> = invalid
        .diagnostics
        .iter()
        .map(|shown| shown.diagnostic.problem.to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("missing required key `scenario`"));
    assert!(messages[1].starts_with("missing required key `actors`"));
}

#[cfg(unix)]
#[test]
fn issue_13_a_link_to_a_regular_file_is_followed() {
    let directory = tempfile::tempdir().unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml");
    let link = directory.path().join("linked.toml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let scenario = Scenario::load(&link).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.name(), "minimal");
}

#[test]
fn issue_13_the_command_line_names_a_read_error_once() {
    let directory = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("check")
        .arg(directory.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error: cannot read scenario file {}: it is a directory, not a regular file\n",
            directory.path().display()
        )
    );
}

/// A scenario with `actors` actors (on one line each, as inline tables) and `channels` channels.
fn with_actors(actors: usize, channels: usize) -> String {
    let names: Vec<String> = (0..channels).map(|index| format!("\"c{index}\"")).collect();
    let mut text = format!(
        "[scenario]\nname = \"crowd\"\nstart = \"2020-01\"\nend = \"2020-12\"\nchannels = [{}]\n\n",
        names.join(", ")
    );
    for index in 0..actors {
        writeln!(
            text,
            "[[actors]]\nid = \"A{index}\"\ncapacity = 1.0\nposition = 0.0\nlocation = [0.0, 0.0]"
        )
        .unwrap();
    }
    text
}

/// The line of the `[[actors]]` header of actor `index` in [`with_actors`]'s text.
fn actor_line(index: usize) -> usize {
    7 + 5 * index
}

#[test]
fn issue_13_more_than_4096_actors_are_refused_at_the_first_one_over() {
    assert_eq!(MAX_ACTORS, 4096);
    let text = with_actors(MAX_ACTORS, 1);
    let scenario =
        Scenario::from_toml(&text, "crowd.toml").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.actors().len(), MAX_ACTORS);

    let text = with_actors(MAX_ACTORS + 1, 1);
    let Err(ScenarioError::Invalid(invalid)) = Scenario::from_toml(&text, "crowd.toml") else {
        panic!("4,097 actors are too many");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    let located = &invalid.diagnostics[0];
    assert_eq!(located.diagnostic.key, "actors");
    assert_eq!((located.line, located.column), (actor_line(MAX_ACTORS), 1));
    assert_eq!(
        located.diagnostic.problem.to_string(),
        "4097 actors, more than the limit of 4096"
    );
}

#[test]
fn issue_13_actors_whose_tie_weights_exceed_1_gib_are_refused() {
    // 64 channels × 2,049 actors × 2,049 × 4 bytes = 1,074,790,656 bytes.
    let text = with_actors(2049, 64);
    let Err(ScenarioError::Invalid(invalid)) = Scenario::from_toml(&text, "crowd.toml") else {
        panic!("2,049 actors on 64 channels are too many");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    let located = &invalid.diagnostics[0];
    assert_eq!((located.line, located.column), (actor_line(2048), 1));
    assert_eq!(
        located.diagnostic.problem.to_string(),
        "2049 actors on 64 channels need 1074790656 bytes (1026 MiB) of tie weights in each \
         run, more than the limit of 1073741824 bytes (1024 MiB); with 64 channels at most \
         2048 actors fit"
    );
    // 2,048 fit exactly: 64 × 2,048 × 2,048 × 4 bytes is 1 GiB.
    let text = with_actors(2048, 64);
    let scenario =
        Scenario::from_toml(&text, "crowd.toml").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(scenario.actors().len(), 2048);
}

#[test]
fn issue_13_a_period_of_200_years_is_allowed_and_one_month_more_is_not() {
    let scenario = |end: &str| {
        HEAD.replace("start = \"2020-01\"", "start = \"1900-01\"")
            .replace("end = \"2020-12\"", &format!("end = \"{end}\""))
    };
    let allowed = Scenario::from_toml(&scenario("2099-12"), "long.toml")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(allowed.months(), MAX_PERIOD_MONTHS);
    let Err(ScenarioError::Invalid(invalid)) =
        Scenario::from_toml(&scenario("2100-01"), "long.toml")
    else {
        panic!("2,401 months are too many");
    };
    assert_eq!(invalid.total(), 1, "{invalid}");
    let located = &invalid.diagnostics[0];
    assert_eq!(located.diagnostic.key, "scenario.end");
    assert_eq!((located.line, located.column), (4, 7));
    assert_eq!(
        located.diagnostic.problem.to_string(),
        "the scenario runs 2401 months, 1900-01 to 2100-01, more than the limit of 2400 months \
         (200 years)"
    );
}
