//! Typed, error-collecting access to the parsed TOML tree (`toml::de::DeTable`, which keeps the
//! byte span of every key and value). Each getter records a problem and returns `None` instead
//! of stopping, so one pass finds every error in a file; `finish` reports the keys nobody asked
//! for as unknown, with a "did you mean" from the keys that were asked for.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(super) use super::diagnostic::Diagnostics;
use super::diagnostic::{Diagnostic, Problem, Suggestion};

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

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
    /// Required keys found missing, reported by `finish` unless a misspelling of one of them
    /// is found there: holding them back, rather than withdrawing a report already made, keeps
    /// the list of problems append-only.
    missing: Vec<Diagnostic>,
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
                missing: Vec::new(),
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
            missing: Vec::new(),
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

    /// Records that a required key is missing, pointing at the table's first line; reported
    /// by `finish`.
    pub fn missing(&mut self, key: &str, expected: impl Into<String>) {
        let span = self.header_span();
        self.missing_at(key, expected, span);
    }

    /// Records that a required key is missing, pointing at `span`; reported by `finish`.
    pub fn missing_at(&mut self, key: &str, expected: impl Into<String>, span: Range<usize>) {
        self.missing.push(Diagnostic {
            key: self.path.clone(),
            span,
            problem: Problem::MissingKey {
                key: key.to_string(),
                expected: expected.into(),
            },
        });
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
            self.missing(key, expected);
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

    /// An optional `true` or `false`.
    pub fn boolean(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Located<bool>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(Located {
                value: *flag,
                span: value.span(),
            }),
            other => {
                diagnostics.push(
                    self.key_path(key),
                    value.span(),
                    Problem::WrongType {
                        expected: "true or false",
                        found: type_name(other),
                    },
                );
                None
            }
        }
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

    /// Reports the missing required keys and every key that was never asked for. A misspelt
    /// required key (`postion` for a missing `position`) is one mistake: the "did you mean"
    /// replaces the "missing key" report.
    pub fn finish(self, diagnostics: &mut Diagnostics) {
        let missing_keys: Vec<&str> = self
            .missing
            .iter()
            .filter_map(|diagnostic| match &diagnostic.problem {
                Problem::MissingKey { key, .. } => Some(key.as_str()),
                _ => None,
            })
            .collect();
        let mut misspelt: Vec<String> = Vec::new();
        if !self.any_key {
            let mut expected: Vec<&str> = self.asked.clone();
            expected.sort_unstable();
            let expected = expected.join(", ");
            for (name, _) in self.table.iter() {
                let key = name.get_ref().as_ref();
                if self.asked.contains(&key) {
                    continue;
                }
                // The "did you mean" decides whether a missing key was misspelt, and is shown;
                // when it can do neither (a key close to no missing one, in a part of the file
                // past the problems shown), it is not looked for: a file with many unknown keys
                // would spend its time there.
                let needed = diagnostics.will_show(name.span().start)
                    || Suggestion::closest(key, missing_keys.iter().copied())
                        .0
                        .is_some();
                let suggestion = if needed {
                    Suggestion::closest(key, self.asked.iter().copied())
                } else {
                    Suggestion(None)
                };
                if let Some(candidate) = &suggestion.0
                    && missing_keys.contains(&candidate.as_str())
                    && !misspelt.contains(candidate)
                {
                    misspelt.push(candidate.clone());
                }
                diagnostics.push(
                    self.key_path(key),
                    name.span(),
                    Problem::UnknownKey {
                        key: key.to_string(),
                        suggestion,
                        expected: expected.clone(),
                    },
                );
            }
        }
        for diagnostic in self.missing {
            if let Problem::MissingKey { key, .. } = &diagnostic.problem
                && !misspelt.contains(key)
            {
                diagnostics.add(diagnostic);
            }
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
