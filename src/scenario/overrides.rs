//! Parameter overrides by key: `rules.regime_survival.revenue_elasticity = 0.01` without editing
//! a scenario file.
//!
//! An override names a value by the same dotted key that reports and designs use for
//! parameters (`actors.VEN.growth`, `ties.VEN.RUS.arms.weight`, `events.war.capacity_drain`,
//! `rules.influence.rate`) or any other key of an entry (`outcomes.survives_2030.year`,
//! `scenario.end`). The overrides become one more overlay, written as TOML text (shown as the
//! file `<overrides>`) on top of the scenario's chain of files, so an override means exactly
//! what the same line written into the file would mean, is validated by the same pass, and is
//! recorded in manifests with the files, which `entente rerun` then replays. Unlike an overlay
//! file, an override cannot add an entry: it must name one the scenario has, and every key that
//! names none is reported at once, with the nearest names.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use thiserror::Error;

use super::diagnostic::{Suggestion, nearest_names};
use super::{Scenario, ScenarioError, overlay};

/// The file name overrides are shown under in messages and manifests.
pub const OVERRIDES_FILE: &str = "<overrides>";

/// Values to set by dotted key, applied in order (a later value for the same key wins).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    entries: Vec<(String, toml::Value)>,
}

/// An override that names nothing in the scenario, or is not a `KEY=VALUE` assignment.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum OverrideError {
    /// `--set` text without `=`, or whose value is not a TOML value.
    #[error("override `{text}`: {reason}")]
    Syntax {
        /// The text as given.
        text: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A key whose section or entry the scenario does not have.
    #[error("override `{key}`: {reason}{suggestion}")]
    Unknown {
        /// The dotted key as given.
        key: String,
        /// What it names that the scenario lacks, and what there is.
        reason: String,
        /// The nearest name, if one is close enough to be a typo.
        suggestion: Suggestion,
    },
}

/// Every override that names nothing, reported together.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct OverrideErrors(pub Vec<OverrideError>);

/// Which entry an override sets a key of, as the overlay names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Scenario,
    /// `[[section]]` entry with these identity keys and values.
    Entry {
        section: &'static str,
        identity: Vec<(&'static str, String)>,
    },
}

impl Overrides {
    /// No overrides.
    pub fn new() -> Overrides {
        Overrides::default()
    }

    /// Adds `key = value` (builder style): `Overrides::new().set("actors.VEN.growth", 0.01)`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<toml::Value>) -> Overrides {
        self.push(key, value);
        self
    }

    /// Adds `key = value`.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<toml::Value>) {
        self.entries.push((key.into(), value.into()));
    }

    /// Adds an assignment written `KEY=VALUE` as on the command line, where VALUE is a TOML
    /// value: a number, `"text"`, `true`, or an inline table such as
    /// `{ dist = "uniform", low = 0, high = 1 }`. A bare word that is not a TOML value is taken
    /// as text, so `--set outcomes.x.actor=VEN` needs no quotes.
    pub fn push_assignment(&mut self, text: &str) -> Result<(), OverrideError> {
        let syntax = |reason: &str| OverrideError::Syntax {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| syntax("expected KEY=VALUE, such as actors.VEN.growth=0.01"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(syntax("the key before `=` is empty"));
        }
        let value = value.trim();
        let parsed = match toml::from_str::<toml::Table>(&format!("value = {value}")) {
            Ok(mut table) => table.remove("value").expect("the key was just written"),
            Err(_) if is_bare_word(value) => toml::Value::String(value.to_string()),
            Err(_) => {
                return Err(syntax(
                    "the value is not a TOML value (a number, \"text\", true or false, [a list] \
                     or { an = \"inline table\" })",
                ));
            }
        };
        self.push(key, parsed);
        Ok(())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The overrides in order, as (dotted key, value).
    pub fn entries(&self) -> &[(String, toml::Value)] {
        &self.entries
    }

    /// Checks every key against `scenario` and writes the overlay text, or every key that
    /// names nothing.
    fn overlay_text(&self, scenario: &Scenario) -> Result<String, OverrideErrors> {
        let mut by_target: BTreeMap<Target, BTreeMap<String, toml::Value>> = BTreeMap::new();
        let mut errors = Vec::new();
        for (key, value) in &self.entries {
            match target_of(key, scenario) {
                Ok((target, rest)) => {
                    by_target
                        .entry(target)
                        .or_default()
                        .insert(rest, value.clone());
                }
                Err(error) => errors.push(error),
            }
        }
        if !errors.is_empty() {
            return Err(OverrideErrors(errors));
        }
        let mut text = String::from("# Overrides by key, applied on top of the scenario.\n");
        for (target, keys) in &by_target {
            match target {
                Target::Scenario => text.push_str("[scenario]\n"),
                Target::Entry { section, identity } => {
                    let _ = writeln!(text, "[[{section}]]");
                    for (name, value) in identity {
                        let _ = writeln!(text, "{name} = {}", toml::Value::from(value.as_str()));
                    }
                }
            }
            for (key, value) in keys {
                let _ = writeln!(text, "{} = {}", dotted_key(key), inline(value));
            }
        }
        Ok(text)
    }
}

impl Scenario {
    /// [`Scenario::load`] with `overrides` applied as one more overlay on top of the file.
    pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        let scenario = Scenario::load(path)?;
        scenario.with_overrides(overrides)
    }

    /// This scenario with `overrides` applied, validated again from its files. The result's
    /// sources start with the overrides' text (as [`OVERRIDES_FILE`]), so a manifest that
    /// records them replays the same scenario.
    pub fn with_overrides(&self, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        if overrides.is_empty() {
            return Ok(self.clone());
        }
        let text = overrides
            .overlay_text(self)
            .map_err(ScenarioError::Overrides)?;
        let mut files = vec![(OVERRIDES_FILE.to_string(), text)];
        files.extend(
            self.sources()
                .iter()
                .map(|file| (file.path.clone(), file.text.clone())),
        );
        let mut sources = super::diagnostic::Sources::default();
        for (path, text) in files {
            sources.add(path, text);
        }
        overlay::resolve(sources, Vec::new())
    }
}

/// A bare word taken as text: letters, digits, `_`, `-` and `.` (an actor id, a channel).
fn is_bare_word(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// A key (possibly dotted, for a key inside a table) written for TOML, each part quoted
/// unless it is a bare key.
fn dotted_key(key: &str) -> String {
    key.split('.')
        .map(|part| {
            if !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                part.to_string()
            } else {
                toml::Value::from(part).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A value written inline (`{ dist = "uniform", low = 0.0, high = 1.0 }` for a table).
fn inline(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(table) => {
            let parts: Vec<String> = table
                .iter()
                .map(|(key, value)| format!("{} = {}", dotted_key(key), inline(value)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// The sections an override can name, with the key that identifies an entry there (none for
/// `[scenario]`; `from.to.channel` for ties) and what an entry is called in messages.
const SECTIONS: [(&str, &str, &str); 6] = [
    ("scenario", "", "key"),
    ("actors", "id", "actor"),
    ("events", "id", "event"),
    ("rules", "rule", "rule"),
    ("outcomes", "name", "outcome"),
    ("ties", "from.to.channel", "tie"),
];

/// The names the entries of `section` go by (`FROM.TO.CHANNEL` for ties).
fn entry_names(section: &str, scenario: &Scenario) -> Vec<String> {
    match section {
        "actors" => scenario
            .actors()
            .iter()
            .map(|actor| actor.id.clone())
            .collect(),
        "events" => scenario
            .events()
            .iter()
            .map(|event| event.id.clone())
            .collect(),
        "rules" => scenario
            .rules()
            .iter()
            .map(|rule| rule.kind.name().to_string())
            .collect(),
        "outcomes" => scenario
            .outcomes()
            .iter()
            .map(|outcome| outcome.name.clone())
            .collect(),
        "ties" => scenario
            .ties()
            .iter()
            .map(|tie| scenario.tie_name(tie))
            .collect(),
        _ => Vec::new(),
    }
}

/// The entry a dotted key sets, and the key within it; an error naming what is missing.
fn target_of(key: &str, scenario: &Scenario) -> Result<(Target, String), OverrideError> {
    let parts: Vec<&str> = key.split('.').collect();
    let Some(&(section, identity, kind)) = SECTIONS.iter().find(|entry| entry.0 == parts[0]) else {
        let sections: Vec<&str> = SECTIONS.iter().map(|entry| entry.0).collect();
        return Err(OverrideError::Unknown {
            key: key.to_string(),
            reason: format!(
                "no section `{}`; keys start with {}",
                parts[0],
                sections.join(", ")
            ),
            suggestion: Suggestion::closest(parts[0], sections),
        });
    };
    // The parts naming the entry: none, one, or a tie's three.
    let identity_parts = if identity.is_empty() {
        0
    } else {
        identity.split('.').count()
    };
    if parts.len() < identity_parts + 2 || parts.iter().any(|part| part.is_empty()) {
        let shape = [section.to_string(), identity.to_uppercase(), "KEY".into()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(".");
        return Err(OverrideError::Unknown {
            key: key.to_string(),
            reason: format!("expected a key of the form {shape}"),
            suggestion: Suggestion(None),
        });
    }
    let rest = parts[identity_parts + 1..].join(".");
    if identity_parts == 0 {
        return Ok((Target::Scenario, rest));
    }
    let typed = parts[1..=identity_parts].join(".");
    let names = entry_names(section, scenario);
    if !names.contains(&typed) {
        let candidates = names.iter().map(String::as_str);
        return Err(OverrideError::Unknown {
            key: key.to_string(),
            reason: format!(
                "the scenario has no {kind} `{typed}`; nearest: {}",
                nearest_names(&typed, candidates.clone(), 8).join(", ")
            ),
            suggestion: Suggestion::closest(&typed, candidates),
        });
    }
    let identity = identity
        .split('.')
        .zip(&parts[1..=identity_parts])
        .map(|(name, value)| (name, value.to_string()))
        .collect();
    Ok((Target::Entry { section, identity }, rest))
}
