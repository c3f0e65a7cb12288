//! Scenario files and their variants: reading a file, following its `extends` chain, and
//! merging each overlay into the scenario it extends before the one validation pass.
//!
//! An overlay is a scenario file with `extends = "baseline.toml"` (a path relative to the
//! overlay) holding only what differs:
//! - keys of `[scenario]` replace the base's (give the variant its own `name`);
//! - `[remove]` lists what to drop: `events`, `actors`, `rules` and `outcomes` by id, rule or
//!   name, `ties` as `{ from, to, channel }` tables;
//! - each `[[actors]]`, `[[events]]`, `[[ties]]`, `[[rules]]` or `[[outcomes]]` entry whose
//!   identity (id; from, to and channel; rule; name) matches one of the base's replaces that
//!   entry's keys one by one; any other entry is added.
//!
//! Every file keeps its own byte range in one joined text (see `Sources`), so a problem in the
//! merged scenario is reported at the line and column of the file that wrote the value.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diagnostic::{
    Diagnostic, Diagnostics, InvalidScenario, Problem, ReadError, ScenarioError, Sources,
    Suggestion,
};
use super::reader::type_name;
use super::validate::{syntax_diagnostics, validate};
use super::{MAX_SCENARIO_FILE_BYTES, Scenario};
use crate::files::read_regular_file;

/// The most files in a chain of `extends`, the file named included. A chain that comes back
/// to a file is a cycle, reported as one; this bounds chains that do not (a generated chain
/// gone wrong), since each file is read and kept in memory.
pub const MAX_EXTENDS_DEPTH: usize = 32;

/// The sections whose entries an overlay matches by identity.
const SECTIONS: [&str; 5] = ["actors", "events", "ties", "rules", "outcomes"];

/// Reads `path` and every file it extends, merges them and validates the result.
pub(super) fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    read_chain(path, &mut sources, &mut diagnostics)?;
    resolve(sources, diagnostics)
}

/// Merges and validates a chain of files already read: the one named first, then each file
/// it extends, in order (their `extends` values are not followed again).
pub(super) fn resolve(
    sources: Sources,
    found_reading: Vec<Diagnostic>,
) -> Result<Scenario, ScenarioError> {
    let mut diagnostics = Diagnostics::new(&sources);
    diagnostics.extend(found_reading);
    let mut trees = Vec::with_capacity(sources.files().len());
    let mut any_syntax_error = false;
    let mut offset = 0;
    for file in sources.files() {
        let (tree, errors) = DeTable::parse_recoverable(&file.text);
        any_syntax_error |= !errors.is_empty();
        diagnostics.extend(syntax_diagnostics(errors, offset));
        trees.push(shift_table(tree, offset));
        offset += file.text.len() + 1;
    }
    if any_syntax_error {
        return Err(invalid(&sources, diagnostics));
    }
    for tree in &mut trees {
        if let Some(extends) = tree.get_mut().remove("extends")
            && !matches!(extends.get_ref(), DeValue::String(_))
        {
            diagnostics.push(
                "extends",
                extends.span(),
                Problem::WrongType {
                    expected: "a string (the path of the scenario this one extends)",
                    found: type_name(extends.get_ref()),
                },
            );
        }
    }
    if !diagnostics.is_empty() {
        // Without the base (unreadable, circular or not named by a path) the overlay alone
        // would only add a list of everything it does not restate.
        return Err(invalid(&sources, diagnostics));
    }
    // Fold from the deepest base up to the file named.
    let mut merged = trees.pop().expect("the chain holds the file named");
    while let Some(overlay) = trees.pop() {
        merge(merged.get_mut(), overlay.into_inner(), &mut diagnostics);
    }
    let validated = validate(&merged, &sources);
    // The trees borrow the texts in `sources`, which the scenario is about to take.
    drop(merged);
    match validated {
        Ok(mut scenario) if diagnostics.is_empty() => {
            scenario.sources = sources;
            Ok(scenario)
        }
        Ok(_) => Err(invalid(&sources, diagnostics)),
        Err(found) => {
            diagnostics.append(found);
            Err(invalid(&sources, diagnostics))
        }
    }
}

fn invalid(sources: &Sources, diagnostics: Diagnostics) -> ScenarioError {
    ScenarioError::Invalid(InvalidScenario::collected(sources, diagnostics))
}

/// Reads the file named and each file it extends into `sources`, the named one first. A base
/// that cannot be read, or a cycle, is reported at the `extends` that names it.
fn read_chain(
    path: &Path,
    sources: &mut Sources,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), ScenarioError> {
    let mut current: PathBuf = path.to_path_buf();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut named_by: Option<std::ops::Range<usize>> = None;
    loop {
        let text = match read_file(&current) {
            Ok(text) => text,
            Err(reason) => {
                return match named_by {
                    None => Err(ScenarioError::Read {
                        path: current.display().to_string(),
                        reason,
                    }),
                    Some(span) => {
                        diagnostics.push(Diagnostic {
                            key: "extends".into(),
                            span,
                            problem: Problem::BaseUnreadable {
                                path: current.display().to_string(),
                                reason: reason.to_string(),
                            },
                        });
                        Ok(())
                    }
                };
            }
        };
        seen.push(std::fs::canonicalize(&current).unwrap_or_else(|_| current.clone()));
        let offset = sources.add(current.display().to_string(), text);
        let text = &sources.files().last().expect("just added").text;
        if !may_name_a_base(text) {
            return Ok(());
        }
        let (tree, _) = DeTable::parse_recoverable(text);
        let Some(extends) = tree.get_ref().get("extends") else {
            return Ok(());
        };
        let DeValue::String(base) = extends.get_ref() else {
            return Ok(());
        };
        let span = extends.span();
        let span = span.start + offset..span.end + offset;
        let next = current
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join(base.as_ref());
        let canonical = std::fs::canonicalize(&next).unwrap_or_else(|_| next.clone());
        let cycle = seen.contains(&canonical);
        if cycle || seen.len() >= MAX_EXTENDS_DEPTH {
            let mut chain: Vec<String> = sources
                .files()
                .iter()
                .map(|file| file.path.clone())
                .collect();
            chain.push(next.display().to_string());
            let chain = describe_chain(&chain);
            diagnostics.push(Diagnostic {
                key: "extends".into(),
                span,
                problem: if cycle {
                    Problem::ExtendsCycle { chain }
                } else {
                    Problem::ExtendsTooLong {
                        limit: MAX_EXTENDS_DEPTH,
                        chain,
                    }
                },
            });
            return Ok(());
        }
        named_by = Some(span);
        current = next;
    }
}

/// A chain of files for a message, `a -> b -> c`: in full up to 8 files, otherwise the first
/// three and the last three around a count of the others.
fn describe_chain(paths: &[String]) -> String {
    const ENDS: usize = 3;
    if paths.len() <= 2 * ENDS + 2 {
        return paths.join(" -> ");
    }
    format!(
        "{} -> … ({} more) -> {}",
        paths[..ENDS].join(" -> "),
        paths.len() - 2 * ENDS,
        paths[paths.len() - ENDS..].join(" -> ")
    )
}

/// Reads a scenario file: a regular file (or a link to one) of at most
/// [`MAX_SCENARIO_FILE_BYTES`], as UTF-8 text.
fn read_file(path: &Path) -> Result<String, ReadError> {
    let bytes = read_regular_file(path, MAX_SCENARIO_FILE_BYTES, "a scenario file")?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// Whether `text` may have an `extends` key, checked without parsing it: the file is parsed
/// again when it is merged, and a parse of a large file takes most of the time it takes to
/// check. A TOML key spells `extends` out unless it is a quoted key with `\u` or `\U` escapes,
/// so a text with neither names no base.
fn may_name_a_base(text: &str) -> bool {
    text.contains("extends") || text.contains("\\u") || text.contains("\\U")
}

/// Moves every span of a parsed file by `offset`, its place in the joined text.
fn shift_table<'i>(table: Spanned<DeTable<'i>>, offset: usize) -> Spanned<DeTable<'i>> {
    if offset == 0 {
        return table;
    }
    let span = table.span();
    let table = table.into_inner();
    let mut shifted = DeTable::new();
    for (key, value) in table {
        let key_span = key.span();
        shifted.insert(
            Spanned::new(
                key_span.start + offset..key_span.end + offset,
                key.into_inner(),
            ),
            shift_value(value, offset),
        );
    }
    Spanned::new(span.start + offset..span.end + offset, shifted)
}

fn shift_value<'i>(value: Spanned<DeValue<'i>>, offset: usize) -> Spanned<DeValue<'i>> {
    let span = value.span();
    let span = span.start + offset..span.end + offset;
    match value.into_inner() {
        DeValue::Table(table) => {
            let inner = shift_table(Spanned::new(0..0, table), offset).into_inner();
            Spanned::new(span, DeValue::Table(inner))
        }
        DeValue::Array(mut array) => {
            // In place: a copy of a long array would double the memory it takes.
            for item in array.iter_mut() {
                let value = std::mem::replace(item, Spanned::new(0..0, DeValue::Boolean(false)));
                *item = shift_value(value, offset);
            }
            Spanned::new(span, DeValue::Array(array))
        }
        other => Spanned::new(span, other),
    }
}

fn string_of<'a>(table: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    match table.get(key)?.get_ref() {
        DeValue::String(text) => Some(text.as_ref()),
        _ => None,
    }
}

/// The identity of an entry of `section` by which overlays match it.
fn identity(section: &str, entry: &DeValue<'_>) -> Option<String> {
    let DeValue::Table(table) = entry else {
        return None;
    };
    match section {
        "actors" | "events" => string_of(table, "id").map(str::to_string),
        "rules" => string_of(table, "rule").map(str::to_string),
        "outcomes" => string_of(table, "name").map(str::to_string),
        "ties" => Some(format!(
            "{} -> {} on {}",
            string_of(table, "from")?,
            string_of(table, "to")?,
            string_of(table, "channel")?
        )),
        _ => None,
    }
}

/// What an entry of a section is called in messages.
fn entry_name(section: &str) -> &'static str {
    match section {
        "actors" => "actor",
        "events" => "event",
        "ties" => "tie",
        "rules" => "rule",
        _ => "outcome",
    }
}

/// Merges `overlay` into `base` (see the module documentation).
fn merge<'i>(base: &mut DeTable<'i>, mut overlay: DeTable<'i>, diagnostics: &mut Diagnostics) {
    if let Some(remove) = overlay.remove("remove") {
        apply_removals(base, &remove, diagnostics);
    }
    for (key, value) in overlay {
        let name = key.get_ref().as_ref();
        let merged = match (
            name,
            base.get_mut(name).map(Spanned::get_mut),
            value.get_ref(),
        ) {
            ("scenario", Some(DeValue::Table(base_header)), DeValue::Table(header)) => {
                for (header_key, header_value) in header.clone() {
                    base_header.insert(header_key, header_value);
                }
                true
            }
            (section, Some(DeValue::Array(base_entries)), DeValue::Array(entries))
                if SECTIONS.contains(&section) =>
            {
                // The first entry with each identity, found by looking up rather than by a
                // scan per overlay entry, which would take time in proportion to the product
                // of the two lengths.
                let mut position: HashMap<String, usize> = HashMap::new();
                for (index, entry) in base_entries.iter().enumerate() {
                    if let Some(name) = identity(section, entry.get_ref()) {
                        position.entry(name).or_insert(index);
                    }
                }
                for entry in entries.iter() {
                    let wanted = identity(section, entry.get_ref());
                    let matching = wanted
                        .as_ref()
                        .and_then(|name| position.get(name))
                        .map(|&index| base_entries.as_mut()[index].get_mut());
                    match (matching, entry.get_ref()) {
                        (Some(DeValue::Table(target)), DeValue::Table(changes)) => {
                            for (entry_key, entry_value) in changes.clone() {
                                target.insert(entry_key, entry_value);
                            }
                        }
                        _ => {
                            if let Some(name) = wanted {
                                position.entry(name).or_insert(base_entries.len());
                            }
                            base_entries.push(entry.clone());
                        }
                    }
                }
                true
            }
            _ => false,
        };
        if !merged {
            base.insert(key, value);
        }
    }
}

/// Applies an overlay's `[remove]` table to `base`.
fn apply_removals(
    base: &mut DeTable<'_>,
    remove: &Spanned<DeValue<'_>>,
    diagnostics: &mut Diagnostics,
) {
    let DeValue::Table(remove) = remove.get_ref() else {
        diagnostics.add(Diagnostic {
            key: "remove".into(),
            span: remove.span(),
            problem: Problem::WrongType {
                expected: "a table listing what to remove, such as `events = [\"war\"]`",
                found: type_name(remove.get_ref()),
            },
        });
        return;
    };
    for (key, list) in remove {
        let section = key.get_ref().as_ref();
        let path = format!("remove.{section}");
        if !SECTIONS.contains(&section) {
            diagnostics.add(Diagnostic {
                key: path,
                span: key.span(),
                problem: Problem::UnknownKey {
                    key: section.to_string(),
                    suggestion: Suggestion::closest(section, SECTIONS),
                    expected: SECTIONS.join(", "),
                },
            });
            continue;
        }
        let DeValue::Array(items) = list.get_ref() else {
            diagnostics.add(Diagnostic {
                key: path,
                span: list.span(),
                problem: Problem::WrongType {
                    expected: "an array",
                    found: type_name(list.get_ref()),
                },
            });
            continue;
        };
        let entries = match base.get_mut(section).map(Spanned::get_mut) {
            Some(DeValue::Array(entries)) => Some(entries),
            _ => None,
        };
        // The identities of the base's entries, each looked up once, and those removed so far.
        let existing: Vec<String> = entries
            .as_ref()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|entry| identity(section, entry.get_ref()))
                    .collect()
            })
            .unwrap_or_default();
        let mut remaining: HashSet<&str> = existing.iter().map(String::as_str).collect();
        let mut removed: HashSet<String> = HashSet::new();
        for item in items.iter() {
            let wanted = if section == "ties" {
                identity("ties", item.get_ref())
            } else {
                match item.get_ref() {
                    DeValue::String(text) => Some(text.to_string()),
                    _ => None,
                }
            };
            let Some(wanted) = wanted else {
                diagnostics.add(Diagnostic {
                    key: path.clone(),
                    span: item.span(),
                    problem: Problem::WrongType {
                        expected: if section == "ties" {
                            "a table { from, to, channel } of strings"
                        } else {
                            "a string"
                        },
                        found: type_name(item.get_ref()),
                    },
                });
                continue;
            };
            if remaining.remove(wanted.as_str()) {
                removed.insert(wanted);
                continue;
            }
            // A "did you mean" over many entries takes time; only worth it if it is shown.
            let suggestion = if diagnostics.will_show(item.span().start) {
                // In the base's order, so that of two equally close names the first is named.
                let candidates = existing
                    .iter()
                    .map(String::as_str)
                    .filter(|name| remaining.contains(name));
                Suggestion::closest(&wanted, candidates)
            } else {
                Suggestion(None)
            };
            diagnostics.add(Diagnostic {
                key: path.clone(),
                span: item.span(),
                problem: Problem::NothingToRemove {
                    what: entry_name(section),
                    value: wanted,
                    suggestion,
                },
            });
        }
        if let Some(entries) = entries
            && !removed.is_empty()
        {
            let mut kept = DeArray::new();
            for entry in entries.iter() {
                let name = identity(section, entry.get_ref());
                if !name.is_some_and(|name| removed.contains(&name)) {
                    kept.push(entry.clone());
                }
            }
            *entries = kept;
        }
    }
}
