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

/// The most characters of a source line shown under a diagnostic. A longer line (a minified
/// file, a huge string) is cut to this many characters around the caret, so that one report
/// stays readable and its size does not grow with the line.
pub const MAX_SOURCE_LINE_CHARS: usize = 200;

/// How many characters before the caret a shortened line keeps, so that the reader sees the key
/// the problem is under as well as what follows it.
const CONTEXT_BEFORE_CARET: usize = 60;

/// A diagnostic with its file, 1-based line and column and the line's text, for display.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub diagnostic: Diagnostic,
    /// The file the problem is in (an overlay or a file it extends).
    pub file: String,
    pub line: usize,
    /// The true column, in characters, however long the line.
    pub column: usize,
    /// The line's text, or for a line longer than [`MAX_SOURCE_LINE_CHARS`] the part around the
    /// problem with `…` where it was cut.
    pub source_line: String,
    /// Where the caret goes in `source_line`: its 1-based column in characters, equal to
    /// `column` unless the start of the line was cut off.
    pub caret_column: usize,
    /// Width of the underline in characters (at least 1), never past the end of `source_line`.
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

/// Turns a byte span into a line, a column (in characters) and the width of the underline, and
/// keeps the line's text (shortened around the caret when long).
fn locate(text: &str, diagnostic: Diagnostic) -> Located {
    let start = floor_char_boundary(text, diagnostic.span.start.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
    let line_end = text[start..]
        .find('\n')
        .map_or(text.len(), |index| start + index);
    let line = text[..start].matches('\n').count() + 1;
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    // The caret may sit on a trailing '\r' that the shown line drops; keep it inside the text.
    let caret = (start - line_start).min(line_text.len());
    let column = character_count(&text[line_start..start]) + 1;
    let span_end = floor_char_boundary(text, diagnostic.span.end.clamp(start, line_end));
    let width = character_count(&text[start..span_end]).max(1);
    let (source_line, caret_column, width) = excerpt(line_text, caret, width);
    Located {
        file: String::new(),
        line,
        column,
        source_line,
        caret_column,
        width,
        diagnostic,
    }
}

/// The number of characters in `text`: its bytes that do not continue a multi-byte character.
/// Counting bytes this way is several times faster than decoding, which matters on long lines.
fn character_count(text: &str) -> usize {
    text.bytes()
        .filter(|&byte| (byte & 0b1100_0000) != 0b1000_0000)
        .count()
}

/// The part of `line` shown under a diagnostic whose caret is at byte `caret` and whose
/// underline is `width` characters: the whole line if it has at most [`MAX_SOURCE_LINE_CHARS`]
/// characters, otherwise at most that many characters around the caret with `…` marking each
/// cut. Returns the text, the caret's 1-based column in it and the underline width, shortened
/// so that the underline ends inside the text.
fn excerpt(line: &str, caret: usize, width: usize) -> (String, usize, usize) {
    let (before, after) = line.split_at(caret);
    let before_count = character_count(before);
    let after_count = character_count(after);
    if before_count + after_count <= MAX_SOURCE_LINE_CHARS {
        return (line.to_string(), before_count + 1, width);
    }
    // Room for an ellipsis on each side; a line cut on one side only is one character shorter.
    let budget = MAX_SOURCE_LINE_CHARS - 2;
    let shown_before = CONTEXT_BEFORE_CARET
        .min(before_count)
        .max(budget.saturating_sub(after_count));
    let shown_after = budget - shown_before;
    let first = match shown_before.checked_sub(1) {
        Some(skipped) => before
            .char_indices()
            .rev()
            .nth(skipped)
            .map_or(0, |(index, _)| index),
        None => caret,
    };
    let last = after
        .char_indices()
        .nth(shown_after)
        .map_or(line.len(), |(index, _)| caret + index);
    let mut text = String::with_capacity(last - first + 2 * '…'.len_utf8());
    let cut_before = first > 0;
    if cut_before {
        text.push('…');
    }
    text.push_str(&line[first..last]);
    if last < line.len() {
        text.push('…');
    }
    let caret_column = shown_before + 1 + usize::from(cut_before);
    (text, caret_column, width.min(shown_after).max(1))
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Writes `count` spaces. Padding by a runtime width with `{:>width$}` panics for widths above
/// `u16::MAX`, and a column can be larger than that, so spaces are written in blocks instead.
fn write_spaces(f: &mut fmt::Formatter<'_>, mut count: usize) -> fmt::Result {
    const BLOCK: &str = "                                                                ";
    while count > 0 {
        let now = count.min(BLOCK.len());
        f.write_str(&BLOCK[..now])?;
        count -= now;
    }
    Ok(())
}

impl fmt::Display for InvalidScenario {
    /// Shows each problem as `file:line:column: key: message`, the line itself and a caret
    /// underline, then a count, in the style of compilers so that editors can jump to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, located) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
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
            // The gutter is as wide as the line number, so the two bars line up.
            let line = located.line.to_string();
            writeln!(f, "{line} | {}", located.source_line)?;
            write_spaces(f, line.len())?;
            f.write_str(" | ")?;
            write_spaces(f, located.caret_column - 1)?;
            writeln!(f, "{}", "^".repeat(located.width))?;
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

    /// A diagnostic `offset` bytes into a one-line text of `length` ASCII characters.
    fn shown_at(length: usize, offset: usize, width: usize) -> (String, Located) {
        let text: String = (0..length)
            .map(|index| char::from(b'a' + (index % 26) as u8))
            .collect();
        let diagnostic = Diagnostic {
            key: "stray".into(),
            span: offset..offset + width,
            problem: Problem::Invalid("bad".into()),
        };
        let invalid = InvalidScenario::new("long.toml", &text, vec![diagnostic]);
        let located = invalid.diagnostics[0].clone();
        (invalid.to_string(), located)
    }

    /// The character under the caret and the ones it underlines, as shown.
    fn underlined(located: &Located) -> String {
        located
            .source_line
            .chars()
            .skip(located.caret_column - 1)
            .take(located.width)
            .collect()
    }

    #[test]
    fn issue_13_a_diagnostic_past_column_65535_prints_a_shortened_line() {
        let offset = 70_000;
        let (shown, located) = shown_at(100_000, offset, 5);
        assert!(
            shown.starts_with("long.toml:1:70001: `stray`: bad\n"),
            "{}",
            &shown[..200]
        );
        assert_eq!(located.column, 70_001);
        let line = &located.source_line;
        assert_eq!(line.chars().count(), MAX_SOURCE_LINE_CHARS);
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        // 60 characters of context before the caret, after the opening ellipsis.
        assert_eq!(located.caret_column, 62);
        let expected: String = (offset..offset + 5)
            .map(|index| char::from(b'a' + (index % 26) as u8))
            .collect();
        assert_eq!(underlined(&located), expected);
        let caret_line = shown.lines().nth(2).unwrap();
        assert_eq!(caret_line, format!("  | {}^^^^^", " ".repeat(61)));
        assert!(shown.len() < 600, "{} bytes", shown.len());
        assert!(shown.ends_with("1 error in long.toml"));
    }

    #[test]
    fn issue_13_a_long_line_is_cut_on_one_side_near_its_ends() {
        // Near the start: nothing is cut before the caret.
        let (_, located) = shown_at(1_000, 3, 2);
        assert!(!located.source_line.starts_with('…'));
        assert!(located.source_line.ends_with('…'));
        assert_eq!(
            located.source_line.chars().count(),
            MAX_SOURCE_LINE_CHARS - 1
        );
        assert_eq!((located.caret_column, located.column), (4, 4));
        assert_eq!(underlined(&located), "de");
        // Near the end: the context before the caret grows to fill the budget.
        let (_, located) = shown_at(1_000, 995, 5);
        assert!(located.source_line.starts_with('…'));
        assert!(!located.source_line.ends_with('…'));
        assert_eq!(
            located.source_line.chars().count(),
            MAX_SOURCE_LINE_CHARS - 1
        );
        assert_eq!(located.column, 996);
        assert_eq!(underlined(&located), "hijkl");
        // At the very end of the line (a problem at the end of the file).
        let (_, located) = shown_at(1_000, 1_000, 1);
        assert_eq!(located.caret_column, MAX_SOURCE_LINE_CHARS);
        assert_eq!(located.width, 1);
    }

    #[test]
    fn issue_13_a_long_underline_stops_at_the_cut() {
        let (_, located) = shown_at(10_000, 5_000, 4_000);
        assert_eq!(located.width, MAX_SOURCE_LINE_CHARS - 2 - 60);
        assert!(
            located.caret_column - 1 + located.width < located.source_line.chars().count(),
            "the underline ends before the closing ellipsis"
        );
    }

    #[test]
    fn issue_13_shortened_lines_count_characters_not_bytes() {
        let text = format!("{}x = 1", "é".repeat(300));
        let offset = text.find('x').unwrap();
        let diagnostic = Diagnostic {
            key: "x".into(),
            span: offset..offset + 1,
            problem: Problem::Invalid("bad".into()),
        };
        let invalid = InvalidScenario::new("f.toml", &text, vec![diagnostic]);
        let located = &invalid.diagnostics[0];
        assert_eq!(located.column, 301);
        // Cut before the caret only: the text after it fits.
        assert!(located.source_line.starts_with("…éé"));
        assert!(located.source_line.ends_with("x = 1"));
        assert_eq!(
            located.source_line.chars().count(),
            MAX_SOURCE_LINE_CHARS - 1
        );
        assert_eq!(underlined(located), "x");
    }
}
