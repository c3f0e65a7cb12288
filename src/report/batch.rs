//! Batch outputs: `summary.json`, `summary.csv`, `envelopes.csv`, `manifest.json` and the
//! summary table printed on the terminal.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::csv_number;
use crate::batch::{BatchOptions, RunPlan};
use crate::outcome::OutcomeKind;
use crate::rng::fnv1a;
use crate::stats::Interval;
use crate::summary::{OutcomeSummary, QUANTILES, ScenarioSummary, TargetCheck};
use crate::time::Month;

/// `summary.json`: the whole summary, pretty-printed; NaN (no value) is written as null.
pub fn summary_json(summary: &ScenarioSummary) -> String {
    let mut text = serde_json::to_string_pretty(summary).expect("summaries serialise");
    text.push('\n');
    text
}

/// The columns of `summary.csv`, one row per outcome.
const SUMMARY_COLUMNS: [&str; 23] = [
    "outcome",
    "kind",
    "count",
    "missing",
    "mean",
    "standard_deviation",
    "mean_low",
    "mean_high",
    "min",
    "p5",
    "p25",
    "median",
    "p75",
    "p95",
    "max",
    "probability",
    "probability_low",
    "probability_high",
    "judged_half_width",
    "target_low",
    "target_high",
    "target_value",
    "target_inside",
];

/// `summary.csv`: one row per outcome; month outcomes in months since the start.
pub fn summary_csv(summary: &ScenarioSummary) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(SUMMARY_COLUMNS)
        .expect("writing to memory cannot fail");
    for outcome in &summary.outcomes {
        let probability = outcome.probability.as_ref();
        let mut record = vec![
            outcome.name.clone(),
            outcome.kind.name().to_string(),
            outcome.count.to_string(),
            outcome.missing.to_string(),
            csv_number(outcome.mean),
            csv_number(outcome.standard_deviation),
            csv_number(outcome.mean_interval.low),
            csv_number(outcome.mean_interval.high),
            csv_number(outcome.min),
        ];
        record.extend(outcome.quantiles.values().map(csv_number));
        record.push(csv_number(outcome.max));
        record.push(probability.map_or(String::new(), |p| csv_number(p.value)));
        record.push(probability.map_or(String::new(), |p| csv_number(p.interval.low)));
        record.push(probability.map_or(String::new(), |p| csv_number(p.interval.high)));
        record.push(csv_number(outcome.judged_half_width));
        let target = outcome.target.as_ref();
        record.push(target.map_or(String::new(), |target| csv_number(target.low)));
        record.push(target.map_or(String::new(), |target| csv_number(target.high)));
        record.push(target.map_or(String::new(), |target| csv_number(target.value)));
        record.push(target.map_or(String::new(), |target| target.inside.to_string()));
        writer
            .write_record(&record)
            .expect("writing to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory cannot fail"))
        .expect("CSV of UTF-8 fields is UTF-8")
}

/// `envelopes.csv`: one row per month and outcome, with the mean and the quantile band.
pub fn envelopes_csv(summary: &ScenarioSummary) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["month", "outcome", "count", "mean"];
    header.extend(QUANTILES.map(|(name, _)| name));
    writer
        .write_record(&header)
        .expect("writing to memory cannot fail");
    let months = summary
        .envelopes
        .first()
        .map_or(0, |envelope| envelope.months.len());
    for month in 0..months {
        for envelope in &summary.envelopes {
            let row = &envelope.months[month];
            let mut record = vec![
                row.month.clone(),
                envelope.outcome.clone(),
                row.count.to_string(),
                csv_number(row.mean),
            ];
            record.extend(row.quantiles.values().map(csv_number));
            writer
                .write_record(&record)
                .expect("writing to memory cannot fail");
        }
    }
    String::from_utf8(writer.into_inner().expect("writing to memory cannot fail"))
        .expect("CSV of UTF-8 fields is UTF-8")
}

/// A scenario file as read, for the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestFile {
    /// The file's path, as it was named or as `extends` resolved it.
    pub path: String,
    /// FNV-1a (64-bit) of the file's bytes, in hex: identifies the file, not a security hash.
    pub fnv1a64: String,
    /// The file's whole text.
    pub text: String,
}

/// Everything needed to reproduce a batch, for `manifest.json`.
#[derive(Clone, Debug)]
pub struct BatchRecord {
    /// The program's arguments, the program first.
    pub command: Vec<String>,
    /// Per scenario (one for a batch, several for a comparison), its files as (path, text):
    /// the one named on the command line first, then each file it extends.
    pub scenarios: Vec<Vec<(String, String)>>,
    /// The scenario's name, or for a comparison the names joined by " vs ".
    pub scenario: String,
    /// Seed, plan, threads and what was kept, as the batch ran.
    pub options: BatchOptions,
    /// Runs done (for a precision plan, where it stopped).
    pub runs: u64,
    /// When the batch started (wall clock).
    pub started: SystemTime,
    /// How long the batch took.
    pub elapsed: Duration,
    /// The names of the result files written beside the manifest, in the order written.
    pub outputs: Vec<String>,
}

/// `manifest.json`: version, command, scenario files (with their text, so that
/// `entente rerun manifest.json` reproduces the batch from the manifest alone), seed, plan,
/// threads, times and speed.
pub fn manifest_json(record: &BatchRecord) -> String {
    let seconds = record.elapsed.as_secs_f64();
    let options = &record.options;
    let plan = match &options.plan {
        RunPlan::Fixed(runs) => serde_json::json!({ "runs": runs }),
        RunPlan::Precision {
            target,
            max_runs,
            outcomes,
        } => serde_json::json!({
            "precision": target,
            "max_runs": max_runs,
            "outcomes": outcomes,
        }),
    };
    let scenarios: Vec<serde_json::Value> = record
        .scenarios
        .iter()
        .map(|files| {
            let files: Vec<ManifestFile> = files
                .iter()
                .map(|(path, text)| ManifestFile {
                    path: path.clone(),
                    fnv1a64: format!("{:016x}", fnv1a(text.as_bytes())),
                    text: text.clone(),
                })
                .collect();
            serde_json::json!({ "files": files })
        })
        .collect();
    let manifest = serde_json::json!({
        "entente_version": env!("CARGO_PKG_VERSION"),
        "command": record.command,
        "command_line": shell_words(&record.command),
        "scenario": record.scenario,
        "scenarios": scenarios,
        "seed": options.seed,
        "plan": plan,
        "runs": record.runs,
        "threads": options.threads,
        "envelopes": options.envelopes,
        // Envelopes come from the first runs only (batch::ENVELOPE_RUNS).
        "envelope_runs": if options.envelopes {
            record.runs.min(crate::batch::ENVELOPE_RUNS)
        } else {
            0
        },
        "per_run": options.per_run,
        "started": utc_timestamp(record.started),
        "finished": utc_timestamp(record.started + record.elapsed),
        "elapsed_seconds": seconds,
        "runs_per_second": record.runs as f64 / seconds,
        "outputs": record.outputs,
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifests serialise");
    text.push('\n');
    text
}

/// The arguments as one line a POSIX shell reads back as the same arguments.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A time as ISO 8601 in UTC to the second, such as `2026-11-27T23:14:05Z`.
pub fn utc_timestamp(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs()) as i64;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// The terminal table of a batch: per outcome its mean (or probability) with the interval,
/// spread and quantiles; months shown as dates.
pub fn batch_text(summary: &ScenarioSummary) -> String {
    let mut text = String::new();
    let start = Month::parse(&summary.start);
    let _ = writeln!(
        text,
        "scenario  {} ({} to {})\nruns      {} (seed {})",
        summary.scenario, summary.start, summary.end, summary.runs, summary.seed
    );
    if let Some(precision) = &summary.precision {
        let _ = writeln!(
            text,
            "precision target ±{} {} after {} runs ({} checks)",
            precision.target,
            if precision.reached {
                "reached"
            } else {
                "NOT reached (--max-runs)"
            },
            summary.runs,
            precision.checkpoints.len()
        );
    }
    let width = name_width(
        summary.outcomes.iter().map(|outcome| outcome.name.as_str()),
        "outcome",
    );
    let _ = writeln!(
        text,
        "\n{:width$}  {:<26}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}",
        "outcome", "estimate (95% CI)", "sd", "p5", "p25", "median", "p75", "p95"
    );
    for outcome in &summary.outcomes {
        let _ = writeln!(
            text,
            "{:width$}  {:<26}  {:>8}  {}",
            outcome.name,
            estimate(outcome),
            short(outcome.standard_deviation),
            outcome
                .quantiles
                .values()
                .map(|value| format!("{:>8}", shown(outcome.kind, value, start)))
                .join("  ")
        );
    }
    targets_table(&mut text, summary, width);
    let _ = writeln!(
        text,
        "\nflags: probability of yes; month outcomes: probability it happened (quantiles: when)."
    );
    let _ = writeln!(
        text,
        "quantiles within ±{:.1}% (relative); intervals at 95%.",
        summary.accuracy.quantile_relative_error * 100.0
    );
    if summary.non_finite > 0 {
        let _ = writeln!(
            text,
            "warning: {} non-finite values were produced and replaced by 0",
            summary.non_finite
        );
    }
    text
}

/// The outcomes that carry a calibration target, with its check.
fn targets(summary: &ScenarioSummary) -> Vec<(&OutcomeSummary, &TargetCheck)> {
    summary
        .outcomes
        .iter()
        .filter_map(|outcome| outcome.target.as_ref().map(|target| (outcome, target)))
        .collect()
}

/// The calibration targets of a batch, if its scenario states any: band, the batch's value
/// and whether it falls inside.
fn targets_table(text: &mut String, summary: &ScenarioSummary, width: usize) {
    let targets = targets(summary);
    if targets.is_empty() {
        return;
    }
    let met = targets.iter().filter(|(_, target)| target.inside).count();
    let _ = writeln!(
        text,
        "\ncalibration targets: {met} of {} met (median, or probability for yes/no, inside the band; the observed value, where given, inside the 5-95% range)",
        targets.len()
    );
    let _ = writeln!(
        text,
        "{:width$}  {:>19}  {:>8}  {:>27}  {:>6}  source",
        "outcome", "band", "value", "observed (5-95%)", "met"
    );
    for (outcome, target) in targets {
        let _ = writeln!(
            text,
            "{:width$}  {:>19}  {:>8}  {:>27}  {:>6}  {}",
            outcome.name,
            format!("[{}, {}]", short(target.low), short(target.high)),
            short(target.value),
            observed_text(outcome, target),
            if target.inside { "yes" } else { "NO" },
            target.source
        );
    }
}

/// The batch summary as Markdown tables, for reports such as docs/VALIDATION.md.
pub fn batch_markdown(summary: &ScenarioSummary) -> String {
    let mut text = String::new();
    let start = Month::parse(&summary.start);
    let _ = writeln!(
        text,
        "Scenario `{}`, {} to {}, {} runs, seed {}.\n",
        summary.scenario, summary.start, summary.end, summary.runs, summary.seed
    );
    let _ = writeln!(
        text,
        "| outcome | estimate (95% CI) | sd | p5 | median | p95 |\n|---|---|---|---|---|---|"
    );
    for outcome in &summary.outcomes {
        let value = |value| shown(outcome.kind, value, start);
        let _ = writeln!(
            text,
            "| `{}` | {} | {} | {} | {} | {} |",
            outcome.name,
            estimate(outcome),
            short(outcome.standard_deviation),
            value(outcome.quantiles.p5),
            value(outcome.quantiles.median),
            value(outcome.quantiles.p95)
        );
    }
    let targets = targets(summary);
    if !targets.is_empty() {
        let _ = writeln!(
            text,
            "\n| target | band | value | observed (model's 5–95%) | met | source |\n|---|---|---|---|---|---|"
        );
        for (outcome, target) in targets {
            let _ = writeln!(
                text,
                "| `{}` ({}) | {} to {} | {} | {} | {} | {} |",
                outcome.name,
                target.statistic,
                short(target.low),
                short(target.high),
                short(target.value),
                observed_text(outcome, target),
                if target.inside { "yes" } else { "**no**" },
                target.source
            );
        }
    }
    text
}

/// A target's observed value and the batch's 5–95% range, or "–" without one.
fn observed_text(outcome: &OutcomeSummary, target: &TargetCheck) -> String {
    match target.observed {
        Some(observed) => format!(
            "{} in [{}, {}]{}",
            short(observed),
            short(outcome.quantiles.p5),
            short(outcome.quantiles.p95),
            if target.observed_in_band == Some(false) {
                " (outside)"
            } else {
                ""
            }
        ),
        None => "–".to_string(),
    }
}

fn estimate(outcome: &OutcomeSummary) -> String {
    match (outcome.kind, &outcome.probability) {
        (OutcomeKind::Number, _) | (_, None) => {
            with_interval("", outcome.mean, outcome.mean_interval)
        }
        (_, Some(probability)) => with_interval("P=", probability.value, probability.interval),
    }
}

/// `{prefix}{value} [{low}, {high}]`, each number to four significant digits.
pub(crate) fn with_interval(prefix: &str, value: f64, interval: Interval) -> String {
    format!(
        "{prefix}{} [{}, {}]",
        short(value),
        short(interval.low),
        short(interval.high)
    )
}

/// The width of a column of names, at least that of its header.
pub(crate) fn name_width<'a>(names: impl Iterator<Item = &'a str>, header: &str) -> usize {
    names.map(str::len).max().unwrap_or(0).max(header.len())
}

/// A value for the terminal: months as dates, other numbers to four significant places.
fn shown(kind: OutcomeKind, value: f64, start: Option<Month>) -> String {
    match (kind, start) {
        (OutcomeKind::Month, Some(start)) if value.is_finite() => {
            start.plus(value.round() as i32).to_string()
        }
        _ => short(value),
    }
}

/// Four significant digits, without exponent for the usual range.
pub(crate) fn short(value: f64) -> String {
    if value.is_nan() {
        return "-".to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(utc_timestamp(leap_day), "2000-02-29T01:02:03Z");
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        let words = ["entente", "batch", "my file.toml", "--seed", "it's"].map(String::from);
        assert_eq!(
            shell_words(&words),
            r"entente batch 'my file.toml' --seed 'it'\''s'"
        );
    }

    #[test]
    fn short_numbers_keep_four_significant_digits() {
        assert_eq!(short(0.123456), "0.1235");
        assert_eq!(short(12.5), "12.50");
        assert_eq!(short(-0.00012), "-0.0001200");
        assert_eq!(short(f64::NAN), "-");
    }
}
