//! The HTML report (`--report`, `entente report DIR`), through the command line in a temporary
//! directory: the page and every chart are well-formed XML, each expected chart is there with
//! its series named, and a scenario compared with itself shows no difference.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use entente::outcome::OutcomeKind;
use entente::scenario::Scenario;

const BASELINE: &str = "scenarios/venezuela/baseline.toml";
const NO_WAR: &str = "scenarios/venezuela/no_war.toml";
const MINIMAL: &str = "scenarios/minimal.toml";

mod common;

/// Runs `entente` from the repository root with `arguments` then the paths `extra`, and
/// asserts that it succeeded.
fn entente(arguments: &[&str], extra: &[&Path]) -> std::process::Output {
    let extra: Vec<&str> = extra
        .iter()
        .map(|path| path.to_str().expect("temporary paths are UTF-8"))
        .collect();
    common::entente_ok(common::repository(), &[arguments, &extra].concat())
}

/// Parses XML, allowing the page's `<!DOCTYPE html>`.
fn parse(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every text of an XML document, joined by newlines.
fn texts(document: &roxmltree::Document<'_>) -> String {
    document
        .descendants()
        .filter(|node| node.is_text())
        .filter_map(|node| node.text())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The chart files of a report and their parsed texts, by file name.
fn charts(directory: &Path) -> Vec<(String, String)> {
    let mut charts: Vec<(String, String)> = std::fs::read_dir(directory)
        .expect("the chart directory exists")
        .map(|entry| entry.expect("a directory entry").path())
        .map(|path: PathBuf| {
            let svg = read(&path);
            let document = parse(&svg)
                .unwrap_or_else(|error| panic!("{} is not well-formed: {error}", path.display()));
            assert_eq!(document.root_element().tag_name().name(), "svg");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, texts(&document))
        })
        .collect();
    charts.sort();
    charts
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[test]
fn the_flagship_comparison_report_is_well_formed_and_has_every_chart_with_its_series() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report = directory.path().join("report.html");
    let out = directory.path().join("results");
    entente(
        &[
            "compare",
            BASELINE,
            NO_WAR,
            "--runs",
            "300",
            "--threads",
            "2",
        ],
        &[Path::new("--report"), &report, Path::new("--out"), &out],
    );
    let html = read(&report);
    let page = parse(&html).expect("the report is well-formed XML");
    let page_text = texts(&page);
    for section in [
        "Scenarios",
        "Comparison",
        "Outcomes",
        "Over time",
        "Tie network",
        "Provenance",
    ] {
        assert!(page_text.contains(section), "no {section} section");
    }
    // Issue 17: the answer comes first: the question, the key outcomes' forest plot and one
    // sentence per key outcome, before the scenarios' metadata.
    let answer = html.find("id=\"answer\"").expect("an answer section");
    assert!(answer < html.find("id=\"comparison\"").unwrap());
    assert!(answer < html.find("id=\"scenarios\"").unwrap());
    assert!(page_text.contains("Is Russia's war in Ukraine aiding the survival"));
    assert!(html.contains("answer-forest.svg"));
    let sentences = page
        .descendants()
        .find(|node| node.attribute("class") == Some("sentences"))
        .expect("the sentences");
    let sentences: Vec<String> = sentences
        .children()
        .filter(|node| node.has_tag_name("li"))
        .map(|node| node.text().unwrap_or_default().to_string())
        .collect();
    let key: Vec<String> = Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(BASELINE))
        .expect("the baseline loads")
        .outcomes()
        .iter()
        .filter(|spec| spec.key)
        .map(|spec| spec.name.clone())
        .collect();
    assert!(key.len() >= 4, "the flagship marks its key outcomes");
    assert_eq!(sentences.len(), key.len(), "{sentences:#?}");
    for name in &key {
        assert!(
            sentences
                .iter()
                .any(|sentence| sentence.contains(&format!(" {name} "))),
            "no sentence on {name}: {sentences:#?}"
        );
    }
    assert!(!page_text.contains("no effect"));
    // no_war.toml names what it takes away, so each key difference is read as the war's effect.
    let survival = sentences
        .iter()
        .find(|sentence| sentence.contains(" survives_2030 "))
        .expect("a sentence on survival to 2030");
    // (At 300 runs the difference need not be resolved, so its verb is not checked here.)
    assert!(
        survival.contains("with the war (venezuela-baseline)")
            && survival.contains("without it (venezuela-no-war)"),
        "{survival}"
    );

    // Provenance: the manifest with the seed and the scenario files' text.
    assert!(page_text.contains("\"seed\": 2022"));
    assert!(page_text.contains("entente_version"));
    assert!(!html.contains("<script"), "the report runs no scripts");

    let names = ["venezuela-baseline", "venezuela-no-war"];
    let charts = charts(&directory.path().join("report-charts"));
    let by_name = |file: &str| {
        charts
            .iter()
            .find(|(name, _)| name == file)
            .map(|(_, text)| text.as_str())
            .unwrap_or_else(|| panic!("no chart {file}"))
    };
    let scenario = Scenario::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(BASELINE)
            .as_path(),
    )
    .expect("the baseline loads");
    // Which scenarios have values of each outcome (a month outcome may never happen).
    let summaries: Vec<serde_json::Value> = names
        .iter()
        .map(|name| {
            serde_json::from_str(&read(&out.join(format!("summary-{name}.json"))))
                .expect("a summary is JSON")
        })
        .collect();
    let mut expected = BTreeSet::new();
    for spec in scenario.outcomes() {
        let kind = OutcomeKind::of(spec);
        let stem = slug(&spec.name);
        if kind != OutcomeKind::Number {
            let text = by_name(&format!("{stem}-probability.svg"));
            for name in names {
                assert!(text.contains(name), "{stem} probability lacks {name}");
            }
            expected.insert(format!("{stem}-probability.svg"));
        }
        if kind != OutcomeKind::Flag {
            let with_values: Vec<&str> = names
                .iter()
                .zip(&summaries)
                .filter(|(_, summary)| {
                    summary["outcomes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|outcome| outcome["name"] == spec.name && outcome["count"] != 0)
                })
                .map(|(name, _)| *name)
                .collect();
            if with_values.is_empty() {
                continue;
            }
            for chart in ["distribution", "cdf"] {
                let file = format!("{stem}-{chart}.svg");
                let text = by_name(&file);
                for name in names {
                    assert_eq!(
                        text.contains(name),
                        with_values.contains(&name),
                        "{file}: series {name}"
                    );
                }
                expected.insert(file);
            }
        }
    }
    // The timelines: the war is an event of the baseline, not of the counterfactual.
    let baseline_timeline = by_name("venezuela-baseline-timeline.svg");
    assert!(baseline_timeline.contains("russia_ukraine_war"));
    assert!(
        baseline_timeline.contains("secondary_sanctions"),
        "the legend names the kinds"
    );
    assert!(!by_name("venezuela-no-war-timeline.svg").contains("russia_ukraine_war"));
    for name in names {
        expected.insert(format!("{name}-timeline.svg"));
        let text = by_name(&format!("{name}-network.svg"));
        assert!(
            text.contains("VEN"),
            "the network centres on the followed regime"
        );
        assert!(text.contains("start") && text.contains("end"));
        expected.insert(format!("{name}-network.svg"));
    }
    let fans: Vec<&(String, String)> = charts
        .iter()
        .filter(|(name, _)| name.ends_with("-fan.svg"))
        .collect();
    assert!(!fans.is_empty(), "fan charts are drawn");
    for (file, text) in &fans {
        for name in names {
            assert!(text.contains(name), "{file} lacks {name}");
        }
        // The war is marked and named in the key.
        assert!(
            text.contains("russia_ukraine_war"),
            "{file} does not mark the war"
        );
        expected.insert(file.clone());
    }
    // The headline's forest plot, one row per key outcome.
    let forest = by_name("answer-forest.svg");
    for name in &key {
        assert!(forest.contains(name), "the forest plot lacks {name}");
    }
    expected.insert("answer-forest.svg".to_string());
    let found: BTreeSet<String> = charts.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(
        found, expected,
        "the chart files are exactly the expected ones"
    );
    // Each chart is also inline in the page, with a link to its file.
    for file in &found {
        assert!(
            html.contains(&format!("href=\"report-charts/{file}\"")),
            "{file} is not in the page"
        );
    }
    assert_eq!(
        page.descendants()
            .filter(|node| node.tag_name().name() == "svg")
            .count(),
        found.len()
    );
}

#[test]
fn a_scenario_compared_with_itself_shows_no_difference_in_its_report() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report = directory.path().join("self.html");
    entente(
        &[
            "compare",
            MINIMAL,
            MINIMAL,
            "--runs",
            "400",
            "--no-envelopes",
        ],
        &[Path::new("--report"), &report],
    );
    let html = read(&report);
    let page = parse(&html).expect("the report is well-formed XML");
    let table = page
        .descendants()
        .find(|node| node.attribute("id") == Some("comparison-1"))
        .expect("the comparison table");
    let rows: Vec<Vec<String>> = table
        .children()
        .filter(|node| node.tag_name().name() == "tr")
        .skip(1)
        .map(|row| {
            row.children()
                .filter(|cell| cell.tag_name().name() == "td")
                .map(|cell| cell.text().unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    let scenario = Scenario::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(MINIMAL)
            .as_path(),
    )
    .expect("the minimal scenario loads");
    assert_eq!(rows.len(), scenario.outcomes().len());
    for row in rows {
        let difference = row[3].trim_start_matches("ΔP ").trim_start_matches("Δ ");
        assert!(
            difference.starts_with("0 ["),
            "{}: difference {}",
            row[0],
            row[3]
        );
        assert_eq!(row[4], "0.00", "{}: standardised difference", row[0]);
        assert_eq!(row[5], "0", "{}: KS distance", row[0]);
        assert_eq!(row[1], row[2], "{}: both sides", row[0]);
    }
    // No difference is marked as one.
    assert!(!html.contains("<tr class=\"up\">") && !html.contains("<tr class=\"down\">"));
}

#[test]
fn entente_report_of_a_directory_is_the_report_the_batch_would_have_written() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let results = directory.path().join("results");
    let during = directory.path().join("during/report.html");
    entente(
        &["compare", MINIMAL, MINIMAL, "--runs", "300"],
        &[Path::new("--out"), &results, Path::new("--report"), &during],
    );
    // From the exact totals the directory keeps: the same page, byte for byte, as the one the
    // comparison wrote as it finished, and no rerun.
    let after = directory.path().join("after/report.html");
    let output = entente(&["report"], &[&results, Path::new("--out"), &after]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("rerunning"), "{stderr}");
    assert_eq!(read(&during), read(&after));
    assert_eq!(
        charts(&directory.path().join("during/report-charts")),
        charts(&directory.path().join("after/report-charts"))
    );
}

#[test]
fn entente_report_of_a_directory_without_totals_reruns_it_and_checks_the_summaries() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let results = directory.path().join("results");
    // A batch run to a precision target keeps no exact totals (partial.entente).
    entente(
        &["batch", MINIMAL, "--precision", "0.2", "--max-runs", "600"],
        &[Path::new("--out"), &results],
    );
    assert!(!results.join("partial.entente").exists());
    let output = entente(&["report"], &[&results]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("rerunning"));
    let html = read(&results.join("report.html"));
    parse(&html).expect("the report is well-formed XML");
    assert!(html.contains("home_survives"));
    let leftovers: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".entente-report-rerun"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the scratch rerun is removed: {leftovers:?}"
    );
    let charts = charts(&results.join("report-charts"));
    assert!(charts.iter().any(|(name, _)| name == "minimal-network.svg"));

    // An edited summary is refused by the commit record, naming the file.
    let summary = results.join("summary.json");
    let original = read(&summary);
    let edited = original.replacen("\"runs\": ", "\"runs\": 1", 1);
    std::fs::write(&summary, &edited).expect("the summary can be edited");
    let results_text = results.to_str().expect("temporary paths are UTF-8");
    let stderr = common::entente_fails(common::repository(), &["report", results_text]);
    assert!(
        stderr.contains("summary.json does not match the commit record"),
        "{stderr}"
    );
    // Edited with its commit record made to agree (as another binary's results would), it
    // is refused by the rerun, which says which file differs.
    let record_path = results.join("commit.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&read(&record_path)).expect("the record is JSON");
    for file in record["files"].as_array_mut().unwrap() {
        if file["name"] == "summary.json" {
            file["bytes"] = edited.len().into();
            file["crc32"] = format!("{:08x}", crc32fast::hash(edited.as_bytes())).into();
        }
    }
    std::fs::write(&record_path, record.to_string()).unwrap();
    let stderr = common::entente_fails(common::repository(), &["report", results_text]);
    assert!(
        stderr.contains("summary.json differs from a rerun of its manifest"),
        "{stderr}"
    );
}

/// Issue 17: a single batch's report does not claim pairing, and a scenario without events
/// says so instead of drawing an empty timeline.
#[test]
fn issue_17_a_single_batch_without_events_says_what_it_is() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let minimal = Path::new(env!("CARGO_MANIFEST_DIR")).join(MINIMAL);
    let scenario = Scenario::load(&minimal).expect("the minimal scenario loads");
    let events: Vec<String> = scenario
        .events()
        .iter()
        .map(|event| format!("{:?}", event.id))
        .collect();
    let overlay = directory.path().join("quiet.toml");
    std::fs::write(
        &overlay,
        format!(
            "extends = {:?}\n[scenario]\nname = \"quiet\"\n[remove]\nevents = [{}]\n",
            minimal.display().to_string(),
            events.join(", ")
        ),
    )
    .unwrap();
    let report = directory.path().join("report.html");
    entente(
        &["batch", "--runs", "200", "--report"],
        &[&report, &overlay],
    );
    let html = read(&report);
    assert!(html.contains("No events"), "{html}");
    assert!(!html.contains("paired"), "a single batch is not paired");
    assert!(
        !directory
            .path()
            .join("report-charts/quiet-timeline.svg")
            .exists()
    );
    assert!(directory.path().join("report-charts").is_dir());
}
