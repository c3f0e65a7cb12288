//! Errors in scenario files: what is wrong, where (line and column), and how it is shown.

use std::fmt;
use std::ops::Range;

use thiserror::Error;

/// Why a scenario could not be loaded.
#[derive(Debug, Error)]
pub enum ScenarioError {
    // The reason is part of the message and not the error's `source`, so that a chain of
    // causes printed in full (`{:#}`) does not say it twice.
    /// The scenario file (or a file it extends) could not be read.
    #[error("cannot read scenario file {path}: {reason}")]
    Read {
        /// The file, as it was named.
        path: String,
        /// Why it could not be read.
        reason: ReadError,
    },
    /// The files were read but hold problems: every one found, with its place.
    #[error("{0}")]
    Invalid(InvalidScenario),
    /// Overrides by key that name nothing in the scenario (see [`super::Overrides`]).
    #[error("{0}")]
    Overrides(super::OverrideErrors),
}

/// Why a scenario file, or a file it extends, could not be read.
pub use crate::files::ReadError;

/// One problem found in a scenario file. Messages name the bad value and what was expected;
/// the key and position are added when the diagnostic is shown.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum Problem {
    /// The file is not valid TOML; the message is the parser's.
    #[error("{0}")]
    Syntax(String),
    /// A key that nothing reads, such as a misspelt one.
    #[error("unknown key `{key}`{suggestion}; expected one of: {expected}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The nearest known key, if it is close enough to be a typo.
        suggestion: Suggestion,
        /// The keys allowed here, comma-separated.
        expected: String,
    },
    /// A required key is absent.
    #[error("missing required key `{key}` ({expected})")]
    MissingKey {
        /// The missing key.
        key: String,
        /// What the key should hold, such as "the scenario's name".
        expected: String,
    },
    /// A value of the wrong TOML type, such as a string where a number belongs.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The type wanted, such as "a number".
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A name that refers to nothing: an unknown actor id, channel, tag or choice.
    #[error("unknown {what} {value:?}{suggestion}; expected one of: {expected}")]
    UnknownName {
        /// What kind of name it is, such as "actor id" or "channel".
        what: &'static str,
        /// The name as written.
        value: String,
        /// The nearest known name, if it is close enough to be a typo.
        suggestion: Suggestion,
        /// The names allowed here, comma-separated (a long list is abbreviated).
        expected: String,
    },
    /// A number outside the range its key allows.
    #[error("value {value} is outside the allowed range [{low}, {high}]")]
    OutOfRange {
        /// The number written.
        value: f64,
        /// The smallest value allowed.
        low: f64,
        /// The largest value allowed.
        high: f64,
    },
    /// A distribution that can draw values outside the range its key allows.
    #[error(
        "distribution {distribution} can draw values outside the allowed range [{low}, {high}]{hint}"
    )]
    DistributionOutOfRange {
        /// The distribution, as shown to the user.
        distribution: String,
        /// The smallest value allowed.
        low: f64,
        /// The largest value allowed.
        high: f64,
        /// Advice on how to bound it (such as giving `low` and `high`), or empty.
        hint: &'static str,
    },
    /// A distribution whose own parameters are wrong (a uniform with `low` above `high`, an
    /// unknown `dist`, ...).
    #[error("invalid distribution: {0}")]
    BadDistribution(String),
    /// A date not written as a month "YYYY-MM".
    #[error("invalid date {value:?}: expected a month written \"YYYY-MM\", such as \"2019-01\"")]
    BadDate {
        /// The text written.
        value: String,
    },
    /// A date before the scenario's start or after its end.
    #[error("date {value} is outside the scenario period {start} to {end}")]
    DateOutsidePeriod {
        /// The date written.
        value: String,
        /// The scenario's first month.
        start: String,
        /// The scenario's last month.
        end: String,
    },
    /// Any other problem; the message says what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// A second entry with an id or name that must be unique.
    #[error("duplicate {what} {value:?}; the first one is at {first}")]
    Duplicate {
        /// What kind of entry it is, such as "tie".
        what: &'static str,
        /// The repeated id or name.
        value: String,
        /// Where the first one is: "line 12", or "baseline.toml:12" in another file.
        first: String,
    },
    /// A file named by `extends` could not be read.
    #[error("cannot read the scenario this one extends, {path}: {reason}")]
    BaseUnreadable {
        /// The file, as it was named.
        path: String,
        /// Why it could not be read.
        reason: String,
    },
    /// A file extends itself, directly or through others.
    #[error("`extends` goes round in a circle: {chain}")]
    ExtendsCycle {
        /// The files of the circle, in order.
        chain: String,
    },
    /// More files in an `extends` chain than [`super::MAX_EXTENDS_DEPTH`].
    #[error("`extends` chain is longer than {limit} files (the limit): {chain}")]
    ExtendsTooLong {
        /// The most files a chain may hold.
        limit: usize,
        /// The files of the chain, in order.
        chain: String,
    },
    /// An overlay removes an entry that the scenario it extends does not have.
    #[error("no {what} {value:?} to remove in the scenario this one extends{suggestion}")]
    NothingToRemove {
        /// What kind of entry it is, such as "event".
        what: &'static str,
        /// The id or name given for removal.
        value: String,
        /// The nearest entry of that kind, if it is close enough to be a typo.
        suggestion: Suggestion,
    },
    /// A sanctions or secondary sanctions event whose coalition names no actor.
    #[error("empty coalition: `coalition` and `coalition_tags` together name no actor")]
    EmptyCoalition,
    /// A scenario period longer than [`super::MAX_PERIOD_MONTHS`].
    #[error(
        "the scenario runs {months} months, {start} to {end}, more than the limit of {limit} \
         months ({} years)",
        limit / 12
    )]
    PeriodTooLong {
        /// The months the scenario would run.
        months: usize,
        /// The scenario's first month.
        start: String,
        /// The scenario's last month.
        end: String,
        /// The most months allowed.
        limit: usize,
    },
    /// More actors than [`super::MAX_ACTORS`].
    #[error("{count} actors, more than the limit of {limit}")]
    TooManyActors {
        /// The number of actors declared.
        count: usize,
        /// The most actors allowed.
        limit: usize,
    },
    /// More actors and channels than fit one run's tie weights in
    /// [`super::MAX_TIE_WEIGHT_BYTES`].
    #[error(
        "{count} actors on {channels} channels need {bytes} bytes ({} MiB) of tie weights in \
         each run, more than the limit of {limit} bytes ({} MiB); with {channels} channels at \
         most {most} actors fit",
        bytes.div_ceil(1024 * 1024),
        limit / (1024 * 1024)
    )]
    TieWeightsTooLarge {
        /// The number of actors declared.
        count: usize,
        /// The number of channels declared.
        channels: usize,
        /// The bytes one run's tie weights would take.
        bytes: usize,
        /// The most bytes allowed.
        limit: usize,
        /// The most actors that fit with this many channels.
        most: usize,
    },
}

/// The longest name for which a "did you mean" is looked for. Typos are made in names people
/// type, which are short.
pub const MAX_SUGGESTED_CHARS: usize = 64;

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
    fn shorten(&mut self) {
        if let Some(candidate) = &mut self.0 {
            shorten(candidate, MAX_QUOTED_CHARS);
        }
    }

    /// The candidate closest to `typed` by edit distance, if it is close enough to be a typo.
    /// Names longer than [`MAX_SUGGESTED_CHARS`] get no suggestion: the edit distance takes
    /// time and memory in proportion to the product of the two lengths.
    pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Suggestion {
        let typed_length = typed.chars().count();
        if typed_length > MAX_SUGGESTED_CHARS {
            return Suggestion(None);
        }
        let limit = (typed_length / 3).max(1);
        let typed: Vec<char> = typed.to_lowercase().chars().collect();
        let mut scratch = EditScratch::default();
        // Lengths that differ by more than the limit need more edits than it allows, which is
        // cheap to see without computing the distance.
        let best = candidates
            .into_iter()
            .filter(|candidate| {
                candidate.len() <= 4 * (typed_length + limit)
                    && candidate.chars().count().abs_diff(typed_length) <= limit
            })
            .map(|candidate| (edit_distance(&typed, candidate, &mut scratch), candidate))
            .filter(|(distance, _)| *distance <= limit)
            .min_by_key(|(distance, _)| *distance);
        Suggestion(best.map(|(_, candidate)| candidate.to_string()))
    }
}

/// The `count` candidates nearest to `typed` by edit distance, nearest first (ties in
/// candidate order), however far they are: for messages that list the names a user could have
/// meant, such as an unknown parameter key on the command line.
pub fn nearest_names<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    count: usize,
) -> Vec<String> {
    let typed: Vec<char> = typed
        .chars()
        .take(MAX_SUGGESTED_CHARS)
        .flat_map(char::to_lowercase)
        .collect();
    let mut scratch = EditScratch::default();
    let mut ranked: Vec<(usize, usize, &str)> = candidates
        .into_iter()
        .enumerate()
        .map(|(order, candidate)| {
            let clipped: String = candidate.chars().take(4 * MAX_SUGGESTED_CHARS).collect();
            (
                edit_distance(&typed, &clipped, &mut scratch),
                order,
                candidate,
            )
        })
        .collect();
    ranked.sort_unstable();
    ranked
        .into_iter()
        .take(count)
        .map(|(_, _, candidate)| candidate.to_string())
        .collect()
}

/// Buffers of [`edit_distance`], reused from one candidate to the next.
#[derive(Default)]
struct EditScratch {
    right: Vec<char>,
    table: Vec<usize>,
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
/// characters (optimal string alignment), case-insensitive: "VNE" is one edit from "VEN".
/// `left` is already lowercase.
fn edit_distance(left: &[char], right: &str, scratch: &mut EditScratch) -> usize {
    scratch.right.clear();
    scratch
        .right
        .extend(right.chars().flat_map(char::to_lowercase));
    let right = &scratch.right;
    let width = right.len() + 1;
    let table = &mut scratch.table;
    table.clear();
    table.resize((left.len() + 1) * width, 0);
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
    /// The dotted key the problem concerns, such as `ties[3].weight`.
    pub key: String,
    /// Where the problem is, as a byte range in the joined text of [`Sources`].
    pub span: Range<usize>,
    /// What is wrong.
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
    /// The file's path, as it was named or as `extends` resolved it.
    pub path: String,
    /// The file's whole text.
    pub text: String,
    /// Where the file starts in the joined text.
    offset: usize,
    /// Where each line starts in `text`, found once so that placing a diagnostic is a binary
    /// search rather than a count of the newlines before it.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The 1-based line holding byte `offset` of the file, and where that line starts.
    fn line_at(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        (line, self.line_starts[line - 1])
    }
}

impl Sources {
    /// Adds a file; returns its offset in the joined text.
    pub(crate) fn add(&mut self, path: String, text: String) -> usize {
        let offset = self
            .files
            .last()
            .map_or(0, |last| last.offset + last.text.len() + 1);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        self.files.push(SourceFile {
            path,
            text,
            offset,
            line_starts,
        });
        offset
    }

    /// The files, in order: the one named, then each file it extends.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Where each file starts in the joined text, in order.
    fn file_starts(&self) -> Vec<usize> {
        self.files.iter().map(|file| file.offset).collect()
    }

    /// The index of the file holding a joined-text offset, and the offset within that file.
    fn file_at(&self, offset: usize) -> Option<(usize, usize)> {
        let index = self
            .files
            .partition_point(|file| file.offset <= offset)
            .checked_sub(1)?;
        let file = &self.files[index];
        Some((index, (offset - file.offset).min(file.text.len())))
    }

    /// "line N" for an offset in the first file, "FILE:N" for one in another.
    pub(crate) fn describe_line(&self, offset: usize) -> String {
        match self.file_at(offset) {
            Some((index, local)) => {
                let file = &self.files[index];
                let (line, _) = file.line_at(local);
                if index == 0 {
                    format!("line {line}")
                } else {
                    format!("{}:{line}", file.path)
                }
            }
            None => format!("byte {offset}"),
        }
    }
}

/// The most diagnostics of one file kept and shown. A file with more (a long list of values of
/// the wrong type, a generated file gone wrong) gets its first ones and a count of the rest:
/// more would not help the reader, and keeping every one costs memory in proportion to the
/// input, which a hostile file can make large.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 50;

/// The most characters of a user's name or value quoted in a message (an id, a key, a date
/// as written); longer ones are cut in the middle with `…`, so that no message grows with the
/// input.
pub const MAX_QUOTED_CHARS: usize = 100;

/// The most characters of a free-text message (one that quotes values inside a sentence).
const MAX_MESSAGE_CHARS: usize = 400;

/// How many diagnostics are collected before the list is sorted and cut back to the first
/// [`MAX_DIAGNOSTICS_PER_FILE`] of each file; large enough that this happens rarely, small
/// enough that the list stays small.
const COMPACT_AT: usize = 4096;

/// The problems found so far, kept in memory that does not grow with their number: past
/// [`COMPACT_AT`] the list is sorted and only the first [`MAX_DIAGNOSTICS_PER_FILE`] of each
/// file are kept, the others counted. Every name and message is shortened as it comes in.
///
/// The count is exact because validation reports each problem once; the final deduplication
/// (a safety net) only sees what is kept, so a problem reported twice with more than
/// `COMPACT_AT` others in between would be counted twice.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    /// Where each file starts in the joined text (see [`Sources`]), to count per file.
    file_starts: Vec<usize>,
    /// Per file, the diagnostics dropped because it had enough earlier ones.
    omitted: Vec<usize>,
    /// Per file, once it has [`MAX_DIAGNOSTICS_PER_FILE`] kept, where the last of them starts:
    /// a problem further on will not be shown.
    last_kept: Vec<Option<usize>>,
}

impl Diagnostics {
    /// An empty list for problems in the files of `sources`.
    pub(crate) fn new(sources: &Sources) -> Diagnostics {
        Diagnostics {
            list: Vec::new(),
            file_starts: sources.file_starts(),
            omitted: vec![0; sources.files.len()],
            last_kept: vec![None; sources.files.len()],
        }
    }

    pub fn push(&mut self, key: impl Into<String>, span: Range<usize>, problem: Problem) {
        self.add(Diagnostic {
            key: key.into(),
            span,
            problem,
        });
    }

    pub fn add(&mut self, mut diagnostic: Diagnostic) {
        shorten(&mut diagnostic.key, MAX_QUOTED_CHARS);
        diagnostic.problem.shorten();
        self.list.push(diagnostic);
        let limit = COMPACT_AT.max(4 * MAX_DIAGNOSTICS_PER_FILE * self.file_starts.len());
        if self.list.len() >= limit {
            self.compact();
        }
    }

    /// Whether a problem starting at joined-text `offset` may be among those shown: false once
    /// its file has [`MAX_DIAGNOSTICS_PER_FILE`] problems before it. Work that only serves the
    /// message (a "did you mean" over thousands of names) can be skipped when it is false; the
    /// problem must still be pushed, to be counted.
    pub fn will_show(&self, offset: usize) -> bool {
        let file = self.file_of(offset);
        self.last_kept
            .get(file)
            .copied()
            .flatten()
            .is_none_or(|last| offset <= last)
    }

    fn file_of(&self, offset: usize) -> usize {
        self.file_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds the problems collected by another list for the same files.
    pub(crate) fn append(&mut self, other: Diagnostics) {
        if self.omitted.len() < other.omitted.len() {
            self.omitted.resize(other.omitted.len(), 0);
        }
        for (count, more) in self.omitted.iter_mut().zip(&other.omitted) {
            *count += more;
        }
        self.extend(other.list);
    }

    /// Sorts the list by place, drops repeats, and keeps the first
    /// [`MAX_DIAGNOSTICS_PER_FILE`] of each file, counting the others.
    fn compact(&mut self) {
        self.list
            .sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        self.list.dedup();
        let files = self.file_starts.len().max(1);
        let mut kept_per_file = vec![0usize; files];
        self.omitted.resize(files.max(self.omitted.len()), 0);
        self.last_kept.resize(files.max(self.last_kept.len()), None);
        let mut list = std::mem::take(&mut self.list);
        list.retain(|diagnostic| {
            let file = self.file_of(diagnostic.span.start);
            if kept_per_file[file] < MAX_DIAGNOSTICS_PER_FILE {
                kept_per_file[file] += 1;
                if kept_per_file[file] == MAX_DIAGNOSTICS_PER_FILE {
                    self.last_kept[file] = Some(diagnostic.span.start);
                }
                true
            } else {
                self.omitted[file] += 1;
                false
            }
        });
        self.list = list;
    }

    /// The diagnostics kept, in order of place, and per file the number dropped.
    fn finish(mut self) -> (Vec<Diagnostic>, Vec<usize>) {
        self.compact();
        (self.list, self.omitted)
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, diagnostics: T) {
        for diagnostic in diagnostics {
            self.add(diagnostic);
        }
    }
}

/// Cuts `text` to at most `limit` characters by replacing its middle with `…`, keeping its
/// start and end, which are what a reader recognises.
fn shorten(text: &mut String, limit: usize) {
    if text.len() <= limit {
        return;
    }
    let count = character_count(text);
    if count <= limit {
        return;
    }
    let kept_start = (limit - 1) / 2;
    let kept_end = limit - 1 - kept_start;
    let start_end = text
        .char_indices()
        .nth(kept_start)
        .map_or(text.len(), |(index, _)| index);
    let end_start = text
        .char_indices()
        .rev()
        .nth(kept_end.saturating_sub(1))
        .map_or(0, |(index, _)| index);
    let end_start = if kept_end == 0 { text.len() } else { end_start };
    *text = format!("{}…{}", &text[..start_end], &text[end_start..]);
}

impl Problem {
    /// Shortens every name, value and message the problem quotes (see [`MAX_QUOTED_CHARS`]).
    fn shorten(&mut self) {
        let quoted = |text: &mut String| shorten(text, MAX_QUOTED_CHARS);
        let message = |text: &mut String| shorten(text, MAX_MESSAGE_CHARS);
        match self {
            Problem::Syntax(text) | Problem::Invalid(text) | Problem::BadDistribution(text) => {
                message(text)
            }
            Problem::UnknownKey {
                key,
                suggestion,
                expected,
            } => {
                quoted(key);
                suggestion.shorten();
                message(expected);
            }
            Problem::MissingKey { key, expected } => {
                quoted(key);
                message(expected);
            }
            Problem::UnknownName {
                value,
                suggestion,
                expected,
                ..
            } => {
                quoted(value);
                suggestion.shorten();
                message(expected);
            }
            Problem::BadDate { value } | Problem::Duplicate { value, .. } => quoted(value),
            Problem::DateOutsidePeriod { .. }
            | Problem::WrongType { .. }
            | Problem::OutOfRange { .. }
            | Problem::DistributionOutOfRange { .. }
            | Problem::EmptyCoalition
            | Problem::PeriodTooLong { .. }
            | Problem::TooManyActors { .. }
            | Problem::TieWeightsTooLarge { .. } => {}
            Problem::BaseUnreadable { path, reason } => {
                message(path);
                message(reason);
            }
            Problem::ExtendsCycle { chain } | Problem::ExtendsTooLong { chain, .. } => {
                message(chain)
            }
            Problem::NothingToRemove {
                value, suggestion, ..
            } => {
                quoted(value);
                suggestion.shorten();
            }
        }
    }
}

/// Every problem found in a scenario, with the text needed to show where they are.
#[derive(Debug)]
pub struct InvalidScenario {
    /// The file the user named.
    pub origin: String,
    /// The problems, in order of place: all of them, or for a file with more than
    /// [`MAX_DIAGNOSTICS_PER_FILE`], its first ones (see `omitted`).
    pub diagnostics: Vec<Located>,
    /// The files with more problems than are kept, and how many more.
    pub omitted: Vec<Omitted>,
}

/// Problems of one file found but not kept, past its first [`MAX_DIAGNOSTICS_PER_FILE`].
#[derive(Clone, Debug, PartialEq)]
pub struct Omitted {
    /// The file's path.
    pub file: String,
    /// How many problems past the kept ones were found in it.
    pub count: usize,
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
    pub fn in_sources(sources: &Sources, diagnostics: Vec<Diagnostic>) -> InvalidScenario {
        let mut collected = Diagnostics::new(sources);
        collected.extend(diagnostics);
        InvalidScenario::collected(sources, collected)
    }

    /// The problems collected while reading `sources`.
    pub(crate) fn collected(sources: &Sources, diagnostics: Diagnostics) -> InvalidScenario {
        let (diagnostics, omitted) = diagnostics.finish();
        let diagnostics = diagnostics
            .into_iter()
            .map(
                |mut diagnostic| match sources.file_at(diagnostic.span.start) {
                    Some((index, local)) => {
                        let file = &sources.files[index];
                        let length = diagnostic.span.end.saturating_sub(diagnostic.span.start);
                        let original = diagnostic.span.clone();
                        diagnostic.span = local..local + length;
                        let mut located = locate(file, diagnostic);
                        located.diagnostic.span = original;
                        located.file = file.path.clone();
                        located
                    }
                    None => locate(&SourceFile::empty(), diagnostic),
                },
            )
            .collect();
        let omitted = omitted
            .into_iter()
            .enumerate()
            .filter(|&(_, count)| count > 0)
            .map(|(index, count)| Omitted {
                file: sources
                    .files
                    .get(index)
                    .map_or_else(String::new, |file| file.path.clone()),
                count,
            })
            .collect();
        // The file the user named: under `--set` overrides, the one they apply to (listed
        // second), so that the count reads "2 errors in baseline.toml with <overrides>".
        let origin = match sources.files.as_slice() {
            [overrides, named, ..] if overrides.path == super::OVERRIDES_FILE => {
                format!("{} with {}", named.path, overrides.path)
            }
            files => files
                .first()
                .map_or_else(String::new, |file| file.path.clone()),
        };
        InvalidScenario {
            origin,
            diagnostics,
            omitted,
        }
    }

    /// How many problems were found, kept or not.
    pub fn total(&self) -> usize {
        self.diagnostics.len()
            + self
                .omitted
                .iter()
                .map(|omitted| omitted.count)
                .sum::<usize>()
    }
}

impl SourceFile {
    /// A file with no text, to place a diagnostic whose span is in no file.
    fn empty() -> SourceFile {
        SourceFile {
            path: String::new(),
            text: String::new(),
            offset: 0,
            line_starts: vec![0],
        }
    }
}

/// Turns a byte span into a line, a column (in characters) and the width of the underline, and
/// keeps the line's text (shortened around the caret when long).
fn locate(file: &SourceFile, diagnostic: Diagnostic) -> Located {
    let text = &file.text;
    let start = floor_char_boundary(text, diagnostic.span.start.min(text.len()));
    let (line, line_start) = file.line_at(start);
    let line_end = file
        .line_starts
        .get(line)
        .map_or(text.len(), |next| next - 1);
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
            let last_of_file = self
                .diagnostics
                .get(index + 1)
                .is_none_or(|next| next.file != located.file);
            let omitted = self
                .omitted
                .iter()
                .find(|omitted| omitted.file == located.file);
            if let (true, Some(omitted)) = (last_of_file, omitted) {
                writeln!(
                    f,
                    "… and {} more error{} in {}",
                    omitted.count,
                    if omitted.count == 1 { "" } else { "s" },
                    omitted.file
                )?;
            }
        }
        let total = self.total();
        write!(
            f,
            "{total} error{} in {}",
            if total == 1 { "" } else { "s" },
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

    #[test]
    fn issue_13_shorten_keeps_the_start_and_end_of_long_names() {
        let mut text: String = ('a'..='z').collect();
        shorten(&mut text, 10);
        assert_eq!(text, "abcd…vwxyz");
        let mut short = String::from("VEN");
        shorten(&mut short, 10);
        assert_eq!(short, "VEN");
        let mut accented = "é".repeat(50);
        shorten(&mut accented, 11);
        assert_eq!(accented, format!("{}…{}", "é".repeat(5), "é".repeat(5)));
    }

    #[test]
    fn issue_13_no_suggestion_for_names_longer_than_a_typo() {
        let long = "x".repeat(MAX_SUGGESTED_CHARS + 1);
        let mut close = long.clone();
        close.pop();
        assert_eq!(Suggestion::closest(&long, [close.as_str()]).0, None);
        // Lengths too far apart are not compared at all, and are not close anyway.
        assert_eq!(Suggestion::closest("trade", ["t", "tradeoffs"]).0, None);
        assert_eq!(
            Suggestion::closest("trde", ["arms", "trade"]).0,
            Some("trade".into())
        );
    }

    #[test]
    fn issue_13_the_collector_keeps_the_first_50_of_each_file_in_bounded_memory() {
        let mut sources = Sources::default();
        sources.add("a.toml".into(), "x\n".repeat(100_000));
        let second = sources.add("b.toml".into(), "y\n".repeat(10));
        let mut diagnostics = Diagnostics::new(&sources);
        // Backwards, so that every cut must keep the ones pushed last.
        for offset in (0..100_000).rev() {
            diagnostics.push(
                "x",
                2 * offset..2 * offset + 1,
                Problem::Invalid("bad".into()),
            );
            assert!(diagnostics.list.len() <= COMPACT_AT);
        }
        diagnostics.push("y", second..second + 1, Problem::Invalid("bad".into()));
        // Conservative: "may be shown" until a cut proves otherwise.
        assert!(!diagnostics.will_show(2 * 99_999));
        assert!(diagnostics.will_show(2 * 49));
        assert!(diagnostics.will_show(second + 4));
        let invalid = InvalidScenario::collected(&sources, diagnostics);
        assert_eq!(invalid.total(), 100_001);
        let lines: Vec<usize> = invalid.diagnostics.iter().map(|shown| shown.line).collect();
        let mut expected: Vec<usize> = (1..=50).collect();
        expected.push(1);
        assert_eq!(lines, expected);
        assert_eq!(
            invalid.omitted,
            vec![Omitted {
                file: "a.toml".into(),
                count: 100_000 - 50
            }]
        );
        let shown = invalid.to_string();
        assert!(
            shown.contains("\n… and 99950 more errors in a.toml\n\nb.toml:1:1"),
            "{shown}"
        );
        assert!(shown.ends_with("\n100001 errors in a.toml"));
    }
}
