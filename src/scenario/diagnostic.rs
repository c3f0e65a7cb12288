//! Errors in scenario files: what is wrong, where (line and column), and how it is shown.

use std::fmt;
use std::ops::Range;

use thiserror::Error;

/// Why a scenario could not be loaded.
#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(InvalidScenario),
}

/// One problem found in a scenario file. Messages name the bad value and what was expected;
/// the key and position are added when the diagnostic is shown.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum Problem {
    #[error("{0}")]
    Syntax(String),
    #[error("unknown key `{key}`{suggestion}; expected one of: {expected}")]
    UnknownKey {
        key: String,
        suggestion: Suggestion,
        expected: String,
    },
    #[error("missing required key `{key}` ({expected})")]
    MissingKey { key: String, expected: String },
    #[error("expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    #[error("unknown {what} {value:?}{suggestion}; expected one of: {expected}")]
    UnknownName {
        what: &'static str,
        value: String,
        suggestion: Suggestion,
        expected: String,
    },
    #[error("value {value} is outside the allowed range [{low}, {high}]")]
    OutOfRange { value: f64, low: f64, high: f64 },
    #[error(
        "distribution {distribution} can draw values outside the allowed range [{low}, {high}]{hint}"
    )]
    DistributionOutOfRange {
        distribution: String,
        low: f64,
        high: f64,
        hint: &'static str,
    },
    #[error("invalid distribution: {0}")]
    BadDistribution(String),
    #[error("invalid date {value:?}: expected a month written \"YYYY-MM\", such as \"2019-01\"")]
    BadDate { value: String },
    #[error("date {value} is outside the scenario period {start} to {end}")]
    DateOutsidePeriod {
        value: String,
        start: String,
        end: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("duplicate {what} {value:?}; the first one is at {first}")]
    Duplicate {
        what: &'static str,
        value: String,
        /// Where the first one is: "line 12", or "baseline.toml:12" in another file.
        first: String,
    },
    #[error("cannot read the scenario this one extends, {path}: {reason}")]
    BaseUnreadable { path: String, reason: String },
    #[error("`extends` goes round in a circle: {chain}")]
    ExtendsCycle { chain: String },
    #[error("no {what} {value:?} to remove in the scenario this one extends{suggestion}")]
    NothingToRemove {
        what: &'static str,
        value: String,
        suggestion: Suggestion,
    },
    #[error("empty coalition: `coalition` and `coalition_tags` together name no actor")]
    EmptyCoalition,
}

/// A "did you mean" hint, empty when nothing is close enough.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Suggestion(pub Option<String>);

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(candidate) => write!(f, " (did you mean `{candidate}`?)"),
            None => Ok(()),
        }
    }
}

impl Suggestion {
    /// The candidate closest to `typed` by edit distance, if it is close enough to be a typo.
    pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Suggestion {
        let limit = (typed.chars().count() / 3).max(1);
        let best = candidates
            .into_iter()
            .map(|candidate| (edit_distance(typed, candidate), candidate))
            .filter(|(distance, _)| *distance <= limit)
            .min_by_key(|(distance, _)| *distance);
        Suggestion(best.map(|(_, candidate)| candidate.to_string()))
    }
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
/// characters (optimal string alignment), case-insensitive: "VNE" is one edit from "VEN".
fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.to_lowercase().chars().collect();
    let right: Vec<char> = right.to_lowercase().chars().collect();
    let width = right.len() + 1;
    let mut table = vec![0usize; (left.len() + 1) * width];
    for i in 0..=left.len() {
        for j in 0..=right.len() {
            table[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let substitution = usize::from(left[i - 1] != right[j - 1]);
                let mut best = (table[(i - 1) * width + j] + 1)
                    .min(table[i * width + j - 1] + 1)
                    .min(table[(i - 1) * width + j - 1] + substitution);
                if i > 1 && j > 1 && left[i - 1] == right[j - 2] && left[i - 2] == right[j - 1] {
                    best = best.min(table[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    table[left.len() * width + right.len()]
}

/// A problem, the dotted key it concerns (`ties[3].weight`) and its byte span in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub key: String,
    pub span: Range<usize>,
    pub problem: Problem,
}

/// The files a scenario was read from: the one named, then each file it extends. Their texts
/// are laid end to end (each followed by a newline) so that one byte offset names a place in
/// any of them; spans in the parsed trees are offsets in that joined text.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

/// One file of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// Where the file starts in the joined text.
    offset: usize,
}

impl Sources {
    /// Adds a file; returns its offset in the joined text.
    pub(crate) fn add(&mut self, path: String, text: String) -> usize {
        let offset = self
            .files
            .last()
            .map_or(0, |last| last.offset + last.text.len() + 1);
        self.files.push(SourceFile { path, text, offset });
        offset
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The file holding a joined-text offset, and the offset within that file.
    fn file_at(&self, offset: usize) -> Option<(&SourceFile, usize)> {
        let index = self.files.partition_point(|file| file.offset <= offset);
        let file = self.files.get(index.checked_sub(1)?)?;
        Some((file, (offset - file.offset).min(file.text.len())))
    }

    /// "line N" for an offset in the first file, "FILE:N" for one in another.
    pub(crate) fn describe_line(&self, offset: usize) -> String {
        match self.file_at(offset) {
            Some((file, local)) => {
                let line = file.text[..local].matches('\n').count() + 1;
                if file.offset == 0 {
                    format!("line {line}")
                } else {
                    format!("{}:{line}", file.path)
                }
            }
            None => format!("byte {offset}"),
        }
    }
}

/// Every problem found in a scenario, with the text needed to show where they are.
#[derive(Debug)]
pub struct InvalidScenario {
    /// The file the user named.
    pub origin: String,
    pub diagnostics: Vec<Located>,
}

/// A diagnostic with its file, 1-based line and column and the line's text, for display.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub diagnostic: Diagnostic,
    /// The file the problem is in (an overlay or a file it extends).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub source_line: String,
    /// Width of the underline in characters (at least 1).
    pub width: usize,
}

impl InvalidScenario {
    /// Diagnostics of a single text, named `origin`.
    pub fn new(origin: &str, text: &str, diagnostics: Vec<Diagnostic>) -> InvalidScenario {
        let mut sources = Sources::default();
        sources.add(origin.to_string(), text.to_string());
        InvalidScenario::in_sources(&sources, diagnostics)
    }

    /// Diagnostics whose spans are offsets in the joined text of `sources`.
    pub fn in_sources(sources: &Sources, mut diagnostics: Vec<Diagnostic>) -> InvalidScenario {
        diagnostics.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        diagnostics.dedup();
        let diagnostics = diagnostics
            .into_iter()
            .map(
                |mut diagnostic| match sources.file_at(diagnostic.span.start) {
                    Some((file, local)) => {
                        let length = diagnostic.span.end.saturating_sub(diagnostic.span.start);
                        let original = diagnostic.span.clone();
                        diagnostic.span = local..local + length;
                        let mut located = locate(&file.text, diagnostic);
                        located.diagnostic.span = original;
                        located.file = file.path.clone();
                        located
                    }
                    None => locate("", diagnostic),
                },
            )
            .collect();
        InvalidScenario {
            origin: sources
                .files
                .first()
                .map_or_else(String::new, |file| file.path.clone()),
            diagnostics,
        }
    }
}

/// Turns a byte span into a line, a column (in characters) and the width of the underline.
fn locate(text: &str, diagnostic: Diagnostic) -> Located {
    let start = floor_char_boundary(text, diagnostic.span.start.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
    let line_end = text[start..]
        .find('\n')
        .map_or(text.len(), |index| start + index);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let span_end = floor_char_boundary(text, diagnostic.span.end.clamp(start, line_end));
    let width = text[start..span_end].chars().count().max(1);
    Located {
        file: String::new(),
        line,
        column,
        source_line: text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string(),
        width,
        diagnostic,
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl fmt::Display for InvalidScenario {
    /// Shows each problem as `file:line:column: key: message`, the line itself and a caret
    /// underline, then a count, in the style of compilers so that editors can jump to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, located) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            let gutter = located.line.to_string().len();
            let key = if located.diagnostic.key.is_empty() {
                String::new()
            } else {
                format!("`{}`: ", located.diagnostic.key)
            };
            writeln!(
                f,
                "{}:{}:{}: {key}{}",
                located.file, located.line, located.column, located.diagnostic.problem
            )?;
            writeln!(f, "{:>gutter$} | {}", located.line, located.source_line)?;
            writeln!(
                f,
                "{:>gutter$} | {:>pad$}{}",
                "",
                "",
                "^".repeat(located.width),
                pad = located.column - 1
            )?;
        }
        let count = self.diagnostics.len();
        write!(
            f,
            "{count} error{} in {}",
            if count == 1 { "" } else { "s" },
            self.origin
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["VEN", "RUS", "CHN"];
        assert_eq!(Suggestion::closest("VNE", names).0, Some("VEN".into()));
        assert_eq!(Suggestion::closest("rus", names).0, Some("RUS".into()));
        assert_eq!(Suggestion::closest("XYZW", names).0, None);
    }

    #[test]
    fn locates_spans_by_line_and_character_column() {
        let text = "a = 1\nname = \"Č\" # x\nweight = 1.5\n";
        let start = text.find("1.5").unwrap();
        let problem = Problem::OutOfRange {
            value: 1.5,
            low: 0.0,
            high: 1.0,
        };
        let diagnostic = Diagnostic {
            key: "weight".into(),
            span: start..start + 3,
            problem,
        };
        let invalid = InvalidScenario::new("f.toml", text, vec![diagnostic]);
        let shown = invalid.to_string();
        assert!(
            shown.starts_with("f.toml:3:10: `weight`: value 1.5 is outside"),
            "{shown}"
        );
        assert!(
            shown.contains("3 | weight = 1.5\n  |          ^^^\n"),
            "{shown}"
        );
        assert!(shown.ends_with("1 error in f.toml"), "{shown}");
    }
}
