//! Typed, error-collecting access to the parsed TOML tree (`toml::de::DeTable`, which keeps the
//! byte span of every key and value). Each getter records a problem and returns `None` instead
//! of stopping, so one pass finds every error in a file; `finish` reports the keys nobody asked
//! for as unknown, with a "did you mean" from the keys that were asked for.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, Problem, Suggestion};

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// The problems found so far.
#[derive(Default)]
pub(super) struct Diagnostics {
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, key: impl Into<String>, span: Range<usize>, problem: Problem) {
        self.list.push(Diagnostic {
            key: key.into(),
            span,
            problem,
        });
    }
}

/// A string value and where it was written.
#[derive(Clone, Debug)]
pub(super) struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

pub(super) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reads a TOML number (integer or float) as `f64`.
pub(super) fn as_number(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
            .ok()
            .map(|value| value as f64),
        DeValue::Float(float) => float.as_str().parse().ok(),
        _ => None,
    }
}

/// One TOML table being read: `path` is its dotted name (`actors[2]`), used to name keys.
pub(super) struct TableReader<'t, 'i> {
    table: &'t DeTable<'i>,
    pub span: Range<usize>,
    pub path: String,
    asked: Vec<&'static str>,
    any_key: bool,
}

impl<'t, 'i> TableReader<'t, 'i> {
    /// Starts reading `value`, or records that it is not a table.
    pub fn new(
        value: &'t Value<'i>,
        path: String,
        diagnostics: &mut Diagnostics,
    ) -> Option<TableReader<'t, 'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(TableReader {
                table,
                span: value.span(),
                path,
                asked: Vec::new(),
                any_key: false,
            }),
            other => {
                diagnostics.push(
                    path,
                    value.span(),
                    Problem::WrongType {
                        expected: "a table",
                        found: type_name(other),
                    },
                );
                None
            }
        }
    }

    pub fn root(table: &'t Spanned<DeTable<'i>>) -> TableReader<'t, 'i> {
        TableReader {
            table: table.get_ref(),
            span: table.span(),
            path: String::new(),
            asked: Vec::new(),
            any_key: false,
        }
    }

    /// The dotted name of a key of this table.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`, if present. Marks the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'t Value<'i>> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map(|(_, value)| value)
    }

    /// Stops `finish` from reporting unknown keys: for a table whose kind (event kind, rule,
    /// measure) is itself wrong or missing, no other key can be judged.
    pub fn accept_any_key(&mut self) {
        self.any_key = true;
    }

    pub fn has(&self, key: &str) -> bool {
        self.table
            .iter()
            .any(|(name, _)| name.get_ref().as_ref() == key)
    }

    fn missing(&self, key: &'static str, expected: &str, diagnostics: &mut Diagnostics) {
        diagnostics.push(
            self.path.clone(),
            self.header_span(),
            Problem::MissingKey {
                key: key.to_string(),
                expected: expected.to_string(),
            },
        );
    }

    /// Where to point for a problem with `key`: its value, or the table's first line when the
    /// key is absent. Does not mark the key as known.
    pub fn span_of(&self, key: &str) -> Range<usize> {
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map_or_else(|| self.header_span(), |(_, value)| value.span())
    }

    /// Where to point for problems with the table as a whole: its first line.
    fn header_span(&self) -> Range<usize> {
        self.span.start..self.span.start + 1
    }

    fn wrong_type(
        &self,
        key: &str,
        value: &Value<'_>,
        expected: &'static str,
        diagnostics: &mut Diagnostics,
    ) {
        diagnostics.push(
            self.key_path(key),
            value.span(),
            Problem::WrongType {
                expected,
                found: type_name(value.get_ref()),
            },
        );
    }

    /// An optional string.
    pub fn string(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Located<String>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(Located {
                value: text.to_string(),
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, value, "a string", diagnostics);
                None
            }
        }
    }

    /// A required string; `expected` describes it in the "missing" message.
    pub fn required_string(
        &mut self,
        key: &'static str,
        expected: &str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Located<String>> {
        if !self.has(key) {
            self.get(key);
            self.missing(key, expected, diagnostics);
            return None;
        }
        self.string(key, diagnostics)
    }

    /// An optional list of strings; a single string is accepted as a list of one.
    pub fn string_list(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Vec<Located<String>>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(vec![Located {
                value: text.to_string(),
                span: value.span(),
            }]),
            DeValue::Array(items) => {
                let mut list = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(text) => list.push(Located {
                            value: text.to_string(),
                            span: item.span(),
                        }),
                        other => diagnostics.push(
                            self.key_path(key),
                            item.span(),
                            Problem::WrongType {
                                expected: "a string",
                                found: type_name(other),
                            },
                        ),
                    }
                }
                Some(list)
            }
            _ => {
                self.wrong_type(key, value, "a list of strings", diagnostics);
                None
            }
        }
    }

    /// An optional finite number (integer or float).
    pub fn number(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Located<f64>> {
        let value = self.get(key)?;
        number_value(&self.key_path(key), value, diagnostics)
    }

    /// An optional non-negative integer.
    pub fn unsigned(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Located<u64>> {
        let value = self.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(integer) => {
                u64::from_str_radix(integer.as_str(), integer.radix()).ok()
            }
            _ => None,
        };
        if parsed.is_none() {
            let found = match value.get_ref() {
                // TOML integers fit in an i64, so one that is not a u64 is negative.
                DeValue::Integer(_) => "a negative integer",
                other => type_name(other),
            };
            diagnostics.push(
                self.key_path(key),
                value.span(),
                Problem::WrongType {
                    expected: "a non-negative integer",
                    found,
                },
            );
        }
        parsed.map(|parsed| Located {
            value: parsed,
            span: value.span(),
        })
    }

    /// The elements of an array of tables (`[[actors]]`), each with its index.
    pub fn array(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Vec<(usize, &'t Value<'i>)> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        match value.get_ref() {
            DeValue::Array(items) => items.iter().enumerate().collect(),
            _ => {
                self.wrong_type(key, value, "an array of tables", diagnostics);
                Vec::new()
            }
        }
    }

    /// Reports every key that was never asked for. A misspelt required key (`postion` for a
    /// missing `position`) is one mistake: the "did you mean" replaces the "missing key" report.
    pub fn finish(self, diagnostics: &mut Diagnostics) {
        if self.any_key {
            return;
        }
        for (name, _) in self.table.iter() {
            let key = name.get_ref().as_ref();
            if self.asked.contains(&key) {
                continue;
            }
            let mut expected: Vec<&str> = self.asked.clone();
            expected.sort_unstable();
            let suggestion = Suggestion::closest(key, self.asked.iter().copied());
            if let Some(candidate) = &suggestion.0 {
                diagnostics.list.retain(|diagnostic| {
                    !(diagnostic.key == self.path
                        && matches!(&diagnostic.problem,
                            Problem::MissingKey { key: missing, .. } if missing == candidate))
                });
            }
            diagnostics.push(
                self.key_path(key),
                name.span(),
                Problem::UnknownKey {
                    key: key.to_string(),
                    suggestion,
                    expected: expected.join(", "),
                },
            );
        }
    }
}

/// Reads a value as a finite number, recording a problem otherwise.
pub(super) fn number_value(
    key: &str,
    value: &Value<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Located<f64>> {
    match as_number(value.get_ref()) {
        Some(number) if number.is_finite() => Some(Located {
            value: number,
            span: value.span(),
        }),
        Some(number) => {
            diagnostics.push(
                key,
                value.span(),
                Problem::Invalid(format!("expected a finite number, found {number}")),
            );
            None
        }
        None => {
            diagnostics.push(
                key,
                value.span(),
                Problem::WrongType {
                    expected: "a number",
                    found: type_name(value.get_ref()),
                },
            );
            None
        }
    }
}
