//! The one validation pass: parsed TOML tree in, a [`Scenario`] that cannot be invalid out, or
//! every problem found. Later sections are checked even when earlier ones have errors, so a
//! user sees all mistakes in one go.

use std::collections::HashMap;

use toml::de::DeTable;

use super::diagnostic::{Diagnostic, Problem, Sources, Suggestion};
use super::reader::{Diagnostics, Located, TableReader, Value, number_value};
use super::rules::RULE_DEFINITIONS;
use super::{
    Actor, ActorId, Attribute, ChannelId, ChannelSet, Event, EventKind, Given, MAX_ACTORS,
    MAX_CHANNELS, MAX_PERIOD_MONTHS, MAX_TIE_WEIGHT_BYTES, Measure, OutcomeSpec, Reduction, Rule,
    Scenario, ShockOperation, Successor, Target, Tie,
};
use crate::param::{Distribution, ParamId, ParamSpec};
use crate::time::Month;

/// Checks a parsed scenario tree (spans are offsets in the joined text of `sources`) and
/// builds the scenario, or returns every problem found.
pub(super) fn validate(
    root: &toml::Spanned<DeTable<'_>>,
    sources: &Sources,
) -> Result<Scenario, Diagnostics> {
    let mut validator = Validator {
        diagnostics: Diagnostics::new(sources),
        params: Vec::new(),
        period: None,
        channels: Vec::new(),
        actor_ids: Vec::new(),
        actor_index: HashMap::new(),
        channel_index: HashMap::new(),
        actors_by_tag: HashMap::new(),
        known_tags: None,
        actor_has_stability: Vec::new(),
        capacity_flow_channels: ChannelSet::default(),
        question: None,
        effect_of: None,
        sources,
    };
    let scenario = validator.scenario(root);
    match scenario {
        Some(scenario) if validator.diagnostics.is_empty() => Ok(scenario),
        _ => Err(validator.diagnostics),
    }
}

/// The syntax errors of one file as diagnostics, their spans moved by `offset`.
pub(super) fn syntax_diagnostics(
    errors: Vec<toml::de::Error>,
    offset: usize,
) -> impl Iterator<Item = Diagnostic> {
    errors.into_iter().map(move |error| {
        let span = error.span().unwrap_or(0..0);
        Diagnostic {
            key: String::new(),
            span: span.start + offset..span.end + offset,
            problem: Problem::Syntax(format!("TOML syntax error: {}", error.message().trim())),
        }
    })
}

/// Bounds of a parameter: values outside them are errors.
#[derive(Clone, Copy)]
struct Bounds {
    low: f64,
    high: f64,
}

const UNIT: Bounds = Bounds {
    low: 0.0,
    high: 1.0,
};
const NON_NEGATIVE: Bounds = Bounds {
    low: 0.0,
    high: f64::INFINITY,
};
const ALIGNMENT: Bounds = Bounds {
    low: -1.0,
    high: 1.0,
};
const GROWTH: Bounds = Bounds {
    low: -0.99,
    high: 10.0,
};
/// A duration in months of at least one month.
const MONTHS: Bounds = Bounds {
    low: 1.0,
    high: f64::INFINITY,
};
const ANY: Bounds = Bounds {
    low: f64::NEG_INFINITY,
    high: f64::INFINITY,
};

const EVENT_KINDS: [&str; 6] = [
    "sanctions",
    "war",
    "outreach",
    "secondary_sanctions",
    "shock",
    "tie",
];
const MEASURES: [&str; 13] = [
    "tie_share",
    "tie_weight",
    "capacity",
    "growth",
    "position",
    "stability",
    "stubbornness",
    "survives",
    "regime_change_month",
    "crossover",
    "flow",
    "share_of_partner",
    "vote",
];
const DISTRIBUTIONS: [&str; 4] = ["uniform", "normal", "beta", "triangular"];
const REDUCTIONS: [&str; 3] = ["mean", "min", "max"];

struct Validator<'s> {
    diagnostics: Diagnostics,
    params: Vec<ParamSpec>,
    period: Option<(Month, Month)>,
    channels: Vec<String>,
    actor_ids: Vec<String>,
    /// Each actor id's index in `actor_ids`: looking ids up by scanning would make a file with
    /// many actors and many references take time in proportion to their product.
    actor_index: HashMap<String, u32>,
    /// Each channel's index in `channels`.
    channel_index: HashMap<String, usize>,
    /// The actors that carry each tag, in actor order.
    actors_by_tag: HashMap<String, Vec<ActorId>>,
    /// Every tag in use, sorted, found once when a tag is first not found.
    known_tags: Option<Vec<String>>,
    actor_has_stability: Vec<bool>,
    /// `[scenario] flows_scale_with_capacity` (read after the channels).
    capacity_flow_channels: ChannelSet,
    /// `[scenario] question`.
    question: Option<String>,
    /// `[scenario] effect_of`.
    effect_of: Option<String>,
    /// The scenario's files, to say where an earlier duplicate is.
    sources: &'s Sources,
}

impl Validator<'_> {
    /// Where an offset is, for "the first one is at line N".
    fn line_of(&self, offset: usize) -> String {
        self.sources.describe_line(offset)
    }

    fn problem(&mut self, key: impl Into<String>, span: std::ops::Range<usize>, problem: Problem) {
        self.diagnostics.push(key, span, problem);
    }

    fn scenario(&mut self, root: &toml::Spanned<DeTable<'_>>) -> Option<Scenario> {
        let mut top = TableReader::root(root);
        let header = top.get("scenario");
        let mut meta = None;
        match header {
            Some(value) => {
                if let Some(mut table) =
                    TableReader::new(value, "scenario".into(), &mut self.diagnostics)
                {
                    meta = self.scenario_header(&mut table);
                    table.finish(&mut self.diagnostics);
                }
            }
            None => top.missing_at(
                "scenario",
                "a [scenario] table with name, start, end and channels",
                0..0,
            ),
        }

        let no_actor_tables = match top.get("actors").map(|value| value.get_ref()) {
            None => true,
            Some(toml::de::DeValue::Array(tables)) => tables.is_empty(),
            // Not an array: reported as the wrong type by `items`.
            Some(_) => false,
        };
        self.check_actor_count(&mut top);
        let actors = self.items(&mut top, "actors", Validator::actor);
        let ties = self.items(&mut top, "ties", Validator::tie);
        let ties = self.without_duplicate_ties(ties);
        let events = self.items(&mut top, "events", Validator::event);
        self.check_unique("events", "event id", &events, |event| &event.id);
        let mut rules = self.items(&mut top, "rules", Validator::rule);
        let outcomes = self.items(&mut top, "outcomes", Validator::outcome);
        self.check_unique("outcomes", "outcome name", &outcomes, |outcome| {
            &outcome.name
        });
        if no_actor_tables {
            top.missing_at("actors", "at least one [[actors]] table", 0..0);
        }
        top.finish(&mut self.diagnostics);

        self.check_unique("rules", "rule", &rules, |rule| rule.kind.name());
        rules.sort_by_key(|(rule, _)| rule.kind);

        let (name, description, seed) = meta?;
        let (start, end) = self.period?;
        Some(Scenario {
            name,
            description,
            question: self.question.take(),
            effect_of: self.effect_of.take(),
            start,
            end,
            seed,
            channels: std::mem::take(&mut self.channels),
            capacity_flow_channels: self.capacity_flow_channels,
            actors,
            ties: ties.into_iter().map(|(tie, _)| tie).collect(),
            events: events.into_iter().map(|(event, _)| event).collect(),
            rules: rules.into_iter().map(|(rule, _)| rule).collect(),
            outcomes: outcomes.into_iter().map(|(outcome, _)| outcome).collect(),
            params: std::mem::take(&mut self.params),
            sources: Sources::default(),
        })
    }

    /// Refuses more actors than a run can hold (see [`MAX_ACTORS`] and
    /// [`MAX_TIE_WEIGHT_BYTES`]), pointing at the first actor past the limit. Checked from the
    /// number of `[[actors]]` tables, before any is read, and long before a model allocates
    /// anything per pair of actors.
    fn check_actor_count(&mut self, top: &mut TableReader) {
        let Some(toml::de::DeValue::Array(tables)) = top.get("actors").map(|value| value.get_ref())
        else {
            return;
        };
        let count = tables.len();
        // Channels past the limit are reported already; count those a run would hold.
        let channels = self.channels.len().clamp(1, MAX_CHANNELS);
        // Saturating: a hostile count squared could overflow.
        let weight_bytes = |actors: usize| {
            channels
                .saturating_mul(actors)
                .saturating_mul(actors)
                .saturating_mul(4)
        };
        let most = actor_limit(channels);
        if count <= most {
            return;
        }
        let first_over = tables[most].span();
        let problem = if most == MAX_ACTORS {
            Problem::TooManyActors {
                count,
                limit: MAX_ACTORS,
            }
        } else {
            Problem::TieWeightsTooLarge {
                count,
                channels,
                bytes: weight_bytes(count),
                limit: MAX_TIE_WEIGHT_BYTES,
                most,
            }
        };
        self.problem("actors", first_over.start..first_over.start + 1, problem);
    }

    /// Reads every table of an array of tables with `read`, keeping those without errors.
    fn items<'t, 'i, T>(
        &mut self,
        top: &mut TableReader<'t, 'i>,
        key: &'static str,
        mut read: impl FnMut(&mut Self, &mut TableReader<'t, 'i>) -> Option<T>,
    ) -> Vec<T> {
        let mut items = Vec::new();
        for (index, value) in top.array(key, &mut self.diagnostics) {
            let Some(mut table) =
                TableReader::new(value, format!("{key}[{index}]"), &mut self.diagnostics)
            else {
                continue;
            };
            let item = read(self, &mut table);
            table.finish(&mut self.diagnostics);
            items.extend(item);
        }
        items
    }

    fn scenario_header(&mut self, table: &mut TableReader) -> Option<(String, String, u64)> {
        let name = table.required_string("name", "the scenario's name", &mut self.diagnostics);
        let description = table.string("description", &mut self.diagnostics);
        self.question = table
            .string("question", &mut self.diagnostics)
            .map(|question| question.value);
        self.effect_of = table
            .string("effect_of", &mut self.diagnostics)
            .map(|effect_of| effect_of.value);
        let seed = table.unsigned("seed", &mut self.diagnostics);
        let start = self.month_value(table, "start", true);
        let end = self.month_value(table, "end", true);
        if let (Some(start), Some(end)) = (&start, &end) {
            if end.value < start.value {
                self.problem(
                    table.key_path("end"),
                    end.span.clone(),
                    Problem::Invalid(format!(
                        "the scenario ends ({}) before it starts ({})",
                        end.value, start.value
                    )),
                );
            } else {
                let months = end.value.months_since(start.value) as usize + 1;
                if months > MAX_PERIOD_MONTHS {
                    self.problem(
                        table.key_path("end"),
                        end.span.clone(),
                        Problem::PeriodTooLong {
                            months,
                            start: start.value.to_string(),
                            end: end.value.to_string(),
                            limit: MAX_PERIOD_MONTHS,
                        },
                    );
                }
                // Kept even when too long, so that the dates in the rest of the file are
                // still checked against it.
                self.period = Some((start.value, end.value));
            }
        }
        match table.string_list("channels", &mut self.diagnostics) {
            None if !table.has("channels") => table.missing(
                "channels",
                "the list of tie channels, such as [\"trade\", \"arms\"]",
            ),
            None => {}
            Some(list) => {
                let key = table.key_path("channels");
                if list.is_empty() {
                    self.problem(
                        key.clone(),
                        table.span_of("channels"),
                        Problem::Invalid("a scenario needs at least one channel".into()),
                    );
                }
                if list.len() > MAX_CHANNELS {
                    self.problem(
                        key.clone(),
                        list[MAX_CHANNELS].span.clone(),
                        Problem::Invalid(format!("at most {MAX_CHANNELS} channels are allowed")),
                    );
                }
                for channel in list {
                    if !valid_identifier(&channel.value) {
                        self.problem(
                            key.clone(),
                            channel.span.clone(),
                            Problem::Invalid(format!(
                                "channel name {:?} must be letters, digits, '_' or '-'",
                                channel.value
                            )),
                        );
                    } else if self.channel_index.contains_key(&channel.value) {
                        self.problem(
                            key.clone(),
                            channel.span,
                            Problem::Invalid(format!(
                                "channel {:?} is listed twice",
                                channel.value
                            )),
                        );
                    } else {
                        self.channel_index
                            .insert(channel.value.clone(), self.channels.len());
                        self.channels.push(channel.value);
                    }
                }
            }
        }
        // Read after the channels, which it names; none when absent.
        if table.has("flows_scale_with_capacity") {
            self.capacity_flow_channels = self
                .channel_set(table, "flows_scale_with_capacity")
                .unwrap_or_default();
        } else {
            table.get("flows_scale_with_capacity");
        }
        Some((
            name?.value,
            description.map(|text| text.value).unwrap_or_default(),
            seed.map_or(0, |seed| seed.value),
        ))
    }

    // ----- parameters -------------------------------------------------------------------

    /// Reads a parameter: a number, or a distribution table. `default` of `None` makes it
    /// required. Registers it under `name` (its stable key) and returns its id.
    fn param(
        &mut self,
        table: &mut TableReader,
        key: &'static str,
        name: String,
        default: Option<f64>,
        bounds: Bounds,
    ) -> Option<ParamId> {
        let distribution = match table.get(key) {
            None => match default {
                Some(value) => Distribution::Fixed(value),
                None => {
                    table.missing(key, "a number or a distribution");
                    return None;
                }
            },
            Some(value) => self.distribution_value(&table.key_path(key), value, bounds)?,
        };
        Some(self.register(name, distribution))
    }

    fn register(&mut self, name: String, distribution: Distribution) -> ParamId {
        self.params.push(ParamSpec::new(name, distribution));
        ParamId(self.params.len() as u32 - 1)
    }

    /// A number or a `{ dist = ... }` table, checked against `bounds`.
    fn distribution_value(
        &mut self,
        key: &str,
        value: &Value<'_>,
        bounds: Bounds,
    ) -> Option<Distribution> {
        let distribution = if matches!(value.get_ref(), toml::de::DeValue::Table(_)) {
            let mut table = TableReader::new(value, key.to_string(), &mut self.diagnostics)?;
            let (distribution, known_kind) = self.distribution_table(&mut table);
            if !known_kind {
                // Which keys a distribution of an unknown kind may have cannot be told.
                table.accept_any_key();
            }
            table.finish(&mut self.diagnostics);
            distribution?
        } else if super::reader::as_number(value.get_ref()).is_some() {
            Distribution::Fixed(number_value(key, value, &mut self.diagnostics)?.value)
        } else {
            self.problem(
                key,
                value.span(),
                Problem::WrongType {
                    expected: "a number or a distribution table such as { dist = \"uniform\", low = 0.1, high = 0.3 }",
                    found: super::reader::type_name(value.get_ref()),
                },
            );
            return None;
        };
        let (low, high) = distribution.support();
        if low < bounds.low || high > bounds.high {
            let problem = match distribution {
                Distribution::Fixed(value) => Problem::OutOfRange {
                    value,
                    low: bounds.low,
                    high: bounds.high,
                },
                _ => Problem::DistributionOutOfRange {
                    distribution: distribution.to_string(),
                    low: bounds.low,
                    high: bounds.high,
                    hint: if matches!(distribution, Distribution::Normal { .. }) {
                        "; bound it with `low` and `high` inside that range"
                    } else {
                        ""
                    },
                },
            };
            self.problem(key, value.span(), problem);
            return None;
        }
        Some(distribution)
    }

    /// Reads `{ dist = "...", ... }`. Returns the distribution (if valid) and whether the
    /// kind was recognised, so that unknown keys are only reported for a known kind.
    fn distribution_table(&mut self, table: &mut TableReader) -> (Option<Distribution>, bool) {
        let Some(kind) = table.required_string(
            "dist",
            "the distribution: uniform, normal, beta or triangular",
            &mut self.diagnostics,
        ) else {
            return (None, false);
        };
        if !DISTRIBUTIONS.contains(&kind.value.as_str()) {
            self.problem(
                table.key_path("dist"),
                kind.span.clone(),
                Problem::UnknownName {
                    what: "distribution",
                    value: kind.value.clone(),
                    suggestion: Suggestion::closest(&kind.value, DISTRIBUTIONS),
                    expected: DISTRIBUTIONS.join(", "),
                },
            );
            return (None, false);
        }
        let distribution = match kind.value.as_str() {
            "uniform" => {
                let low = self.dist_number(table, &kind.value, "low", true);
                let high = self.dist_number(table, &kind.value, "high", true);
                match (low, high) {
                    (Some(low), Some(high)) if low < high => {
                        Some(Distribution::Uniform { low, high })
                    }
                    (Some(low), Some(high)) => self.bad_distribution(
                        table,
                        &kind,
                        format!("uniform needs low < high, got low {low}, high {high}"),
                    ),
                    _ => None,
                }
            }
            "normal" => {
                let mean = self.dist_number(table, &kind.value, "mean", true);
                let sd = self.dist_number(table, &kind.value, "sd", true);
                let low = self.dist_number(table, &kind.value, "low", false);
                let high = self.dist_number(table, &kind.value, "high", false);
                match (mean, sd) {
                    (Some(_), Some(sd)) if sd < 0.0 => self.bad_distribution(
                        table,
                        &kind,
                        format!("normal needs sd >= 0, got sd {sd}"),
                    ),
                    (Some(mean), Some(sd)) => match (low, high) {
                        (Some(low), Some(high)) if low >= high => self.bad_distribution(
                            table,
                            &kind,
                            format!("normal needs low < high, got low {low}, high {high}"),
                        ),
                        _ if low.is_some_and(|low| mean < low)
                            || high.is_some_and(|high| mean > high) =>
                        {
                            self.bad_distribution(
                                table,
                                &kind,
                                format!("normal needs its mean {mean} inside its bounds"),
                            )
                        }
                        _ => Some(Distribution::Normal {
                            mean,
                            sd,
                            low,
                            high,
                        }),
                    },
                    _ => None,
                }
            }
            "beta" => {
                let alpha = self.dist_number(table, &kind.value, "alpha", true);
                let beta = self.dist_number(table, &kind.value, "beta", true);
                let low = self
                    .dist_number(table, &kind.value, "low", false)
                    .unwrap_or(0.0);
                let high = self
                    .dist_number(table, &kind.value, "high", false)
                    .unwrap_or(1.0);
                match (alpha, beta) {
                    (Some(alpha), Some(beta)) if alpha <= 0.0 || beta <= 0.0 => self
                        .bad_distribution(
                            table,
                            &kind,
                            format!(
                                "beta needs alpha > 0 and beta > 0, got alpha {alpha}, beta {beta}"
                            ),
                        ),
                    (Some(_), Some(_)) if low >= high => self.bad_distribution(
                        table,
                        &kind,
                        format!("beta needs low < high, got low {low}, high {high}"),
                    ),
                    (Some(alpha), Some(beta)) => Some(Distribution::Beta {
                        alpha,
                        beta,
                        low,
                        high,
                    }),
                    _ => None,
                }
            }
            _ => {
                let low = self.dist_number(table, &kind.value, "low", true);
                let mode = self.dist_number(table, &kind.value, "mode", true);
                let high = self.dist_number(table, &kind.value, "high", true);
                match (low, mode, high) {
                    (Some(low), Some(mode), Some(high))
                        if low <= mode && mode <= high && low < high =>
                    {
                        Some(Distribution::Triangular { low, mode, high })
                    }
                    (Some(low), Some(mode), Some(high)) => self.bad_distribution(
                        table,
                        &kind,
                        format!(
                            "triangular needs low <= mode <= high and low < high, got low {low}, mode {mode}, high {high}"
                        ),
                    ),
                    _ => None,
                }
            }
        };
        (distribution, true)
    }

    /// A number of a distribution table; `required` ones are reported when missing.
    fn dist_number(
        &mut self,
        table: &mut TableReader,
        kind: &str,
        key: &'static str,
        required: bool,
    ) -> Option<f64> {
        if required && !table.has(key) {
            table.get(key);
            let span = table.span.clone();
            table.missing_at(
                key,
                format!("a number, needed by a {kind} distribution"),
                span,
            );
            return None;
        }
        table
            .number(key, &mut self.diagnostics)
            .map(|number| number.value)
    }

    fn bad_distribution(
        &mut self,
        table: &TableReader,
        kind: &Located<String>,
        message: String,
    ) -> Option<Distribution> {
        self.problem(
            table.path.clone(),
            table.span.clone(),
            Problem::BadDistribution(message),
        );
        let _ = kind;
        None
    }

    // ----- names, dates, channels --------------------------------------------------------

    /// A `YYYY-MM` month; when `inside` is true it must lie in the scenario period.
    fn month_value(
        &mut self,
        table: &mut TableReader,
        key: &'static str,
        required: bool,
    ) -> Option<Located<Month>> {
        let text = if required {
            table.required_string(key, "a month written \"YYYY-MM\"", &mut self.diagnostics)
        } else {
            table.string(key, &mut self.diagnostics)
        }?;
        match Month::parse(&text.value) {
            Some(month) => Some(Located {
                value: month,
                span: text.span,
            }),
            None => {
                self.problem(
                    table.key_path(key),
                    text.span,
                    Problem::BadDate { value: text.value },
                );
                None
            }
        }
    }

    /// A month inside the scenario period, as a month index from the start.
    fn dated(
        &mut self,
        table: &mut TableReader,
        key: &'static str,
        required: bool,
    ) -> Option<Located<Month>> {
        let month = self.month_value(table, key, required)?;
        let (start, end) = self.period?;
        if month.value < start || month.value > end {
            self.problem(
                table.key_path(key),
                month.span.clone(),
                Problem::DateOutsidePeriod {
                    value: month.value.to_string(),
                    start: start.to_string(),
                    end: end.to_string(),
                },
            );
            return None;
        }
        Some(month)
    }

    fn month_index(&self, month: Month) -> u32 {
        self.period
            .map_or(0, |(start, _)| month.months_since(start) as u32)
    }

    /// The "did you mean" and the list of names for a message saying that `name` is not one
    /// of `names`; both empty when the message will not be shown (see
    /// `Diagnostics::will_show`), since looking for the closest of many names takes time.
    fn names_for_message(&self, name: &Located<String>, names: &[String]) -> (Suggestion, String) {
        if !self.diagnostics.will_show(name.span.start) {
            return (Suggestion(None), String::new());
        }
        (
            Suggestion::closest(&name.value, names.iter().map(String::as_str)),
            abbreviated_list(names),
        )
    }

    fn actor_ref(&mut self, key: String, name: &Located<String>) -> Option<ActorId> {
        if self.actor_ids.is_empty() {
            // No actor is declared, or none has a valid id, which is already reported.
            return None;
        }
        match self.actor_index.get(&name.value) {
            Some(&index) => Some(ActorId(index)),
            None => {
                let (suggestion, expected) = self.names_for_message(name, &self.actor_ids);
                self.problem(
                    key,
                    name.span.clone(),
                    Problem::UnknownName {
                        what: "actor id",
                        value: name.value.clone(),
                        suggestion,
                        expected,
                    },
                );
                None
            }
        }
    }

    fn required_actor(
        &mut self,
        table: &mut TableReader,
        key: &'static str,
        what: &str,
    ) -> Option<ActorId> {
        let name = table.required_string(key, what, &mut self.diagnostics)?;
        self.actor_ref(table.key_path(key), &name)
    }

    fn actor_list(&mut self, table: &mut TableReader, key: &'static str) -> Option<Vec<ActorId>> {
        let names = table.string_list(key, &mut self.diagnostics)?;
        let mut ids = Vec::new();
        let mut ok = true;
        for name in &names {
            match self.actor_ref(table.key_path(key), name) {
                Some(id) => ids.push(id),
                None => ok = false,
            }
        }
        ok.then_some(ids)
    }

    fn channel_ref(&mut self, key: String, name: &Located<String>) -> Option<ChannelId> {
        if self.channels.is_empty() {
            // The channel list itself is missing or invalid, which is already reported.
            return None;
        }
        match self.channel_index.get(&name.value).copied() {
            // Channels past the limit are already reported, and would not fit in a `ChannelSet`.
            Some(index) if index >= MAX_CHANNELS => None,
            Some(index) => Some(ChannelId(index as u32)),
            None => {
                let (suggestion, expected) = self.names_for_message(name, &self.channels);
                self.problem(
                    key,
                    name.span.clone(),
                    Problem::UnknownName {
                        what: "channel",
                        value: name.value.clone(),
                        suggestion,
                        expected,
                    },
                );
                None
            }
        }
    }

    /// A list of channels under `key`; every channel when the key is absent.
    fn channel_set(&mut self, table: &mut TableReader, key: &'static str) -> Option<ChannelSet> {
        let Some(names) = table.string_list(key, &mut self.diagnostics) else {
            return (!table.has(key)).then(|| ChannelSet::all(self.channels.len()));
        };
        let mut set = ChannelSet::default();
        let mut ok = true;
        for name in &names {
            match self.channel_ref(table.key_path(key), name) {
                Some(channel) => set.insert(channel.0 as usize),
                None => ok = false,
            }
        }
        if ok && set.is_empty() {
            self.problem(
                table.key_path(key),
                table.span_of(key),
                Problem::Invalid("the list of channels is empty".into()),
            );
            return None;
        }
        ok.then_some(set)
    }

    // ----- actors and ties ---------------------------------------------------------------

    fn actor(&mut self, table: &mut TableReader) -> Option<Actor> {
        let id = table.required_string(
            "id",
            "a short unique id such as \"VEN\"",
            &mut self.diagnostics,
        );
        let id_text = id
            .as_ref()
            .map_or_else(|| "?".to_string(), |id| id.value.clone());
        let name = table.string("name", &mut self.diagnostics);
        let tags = table
            .string_list("tags", &mut self.diagnostics)
            .unwrap_or_default();
        let key = |attribute: &str| format!("actors.{id_text}.{attribute}");
        let capacity = self.param(table, "capacity", key("capacity"), None, NON_NEGATIVE);
        let growth = self.param(table, "growth", key("growth"), Some(0.0), GROWTH);
        let position = self.param(table, "position", key("position"), None, ALIGNMENT);
        let stubbornness = self.param(table, "stubbornness", key("stubbornness"), Some(0.0), UNIT);
        let stability = if table.has("stability") {
            Some(self.param(table, "stability", key("stability"), None, UNIT))
        } else {
            table.get("stability");
            None
        };
        let location = self.location(table);
        let successor = self.successor(table, &key, stability.is_some());

        let id = id?;
        let mut valid = true;
        if !valid_identifier(&id.value) {
            self.problem(
                table.key_path("id"),
                id.span.clone(),
                Problem::Invalid(format!(
                    "actor id {:?} must be letters, digits, '_' or '-'",
                    id.value
                )),
            );
            valid = false;
        } else if self.actor_index.contains_key(&id.value) {
            self.problem(
                table.key_path("id"),
                id.span.clone(),
                Problem::Invalid(format!("actor id {:?} is used twice", id.value)),
            );
            valid = false;
        }
        if valid {
            // Register the id even if attributes have errors, so ties can still be checked.
            let actor = ActorId(self.actor_ids.len() as u32);
            self.actor_index.insert(id.value.clone(), actor.0);
            self.actor_ids.push(id.value.clone());
            for tag in &tags {
                let carriers = self.actors_by_tag.entry(tag.value.clone()).or_default();
                // A tag listed twice by one actor makes it a member once.
                if carriers.last() != Some(&actor) {
                    carriers.push(actor);
                }
            }
            self.actor_has_stability.push(stability.is_some());
        }
        let actor = Actor {
            name: name.map_or_else(|| id.value.clone(), |name| name.value),
            id: id.value,
            tags: tags.into_iter().map(|tag| tag.value).collect(),
            capacity: capacity?,
            growth: growth?,
            position: position?,
            stubbornness: stubbornness?,
            stability: match stability {
                Some(parsed) => Some(parsed?),
                None => None,
            },
            location: location?,
            successor: successor?,
        };
        valid.then_some(actor)
    }

    /// The transition keys of a followed actor: `successor_position` (which makes the
    /// transition happen), `transition_months` and `sanctions_lift_months`.
    fn successor(
        &mut self,
        table: &mut TableReader,
        key: &dyn Fn(&str) -> String,
        followed: bool,
    ) -> Option<Option<Successor>> {
        const KEYS: [&str; 3] = [
            "successor_position",
            "transition_months",
            "sanctions_lift_months",
        ];
        if !table.has("successor_position") {
            for extra in KEYS {
                table.get(extra);
            }
            if let Some(extra) = KEYS[1..].iter().find(|extra| table.has(extra)) {
                self.problem(
                    table.key_path(extra),
                    table.span_of(extra),
                    Problem::Invalid(format!(
                        "`{extra}` describes a transition, which needs `successor_position`"
                    )),
                );
                return None;
            }
            return Some(None);
        }
        if !followed {
            table.get("successor_position");
            self.problem(
                table.key_path("successor_position"),
                table.span_of("successor_position"),
                Problem::Invalid(
                    "a successor follows a regime's fall, so the actor needs a `stability`".into(),
                ),
            );
            return None;
        }
        let position = self.param(
            table,
            "successor_position",
            key("successor_position"),
            None,
            ALIGNMENT,
        );
        let months = self.param(
            table,
            "transition_months",
            key("transition_months"),
            Some(12.0),
            MONTHS,
        );
        let lift = self.param(
            table,
            "sanctions_lift_months",
            key("sanctions_lift_months"),
            Some(12.0),
            NON_NEGATIVE,
        );
        Some(Some(Successor {
            position: position?,
            transition_months: months?,
            sanctions_lift_months: lift?,
        }))
    }

    fn location(&mut self, table: &mut TableReader) -> Option<(f64, f64)> {
        let key = table.key_path("location");
        let Some(value) = table.get("location") else {
            table.missing("location", "[latitude, longitude] in degrees");
            return None;
        };
        let wrong = |validator: &mut Validator| {
            validator.problem(
                key.clone(),
                value.span(),
                Problem::Invalid(
                    "expected [latitude, longitude] in degrees, such as [10.5, -66.9]".into(),
                ),
            );
            None
        };
        let toml::de::DeValue::Array(items) = value.get_ref() else {
            return wrong(self);
        };
        if items.len() != 2 {
            return wrong(self);
        }
        let latitude = number_value(&key, &items[0], &mut self.diagnostics)?;
        let longitude = number_value(&key, &items[1], &mut self.diagnostics)?;
        if latitude.value.abs() > 90.0 || longitude.value.abs() > 180.0 {
            self.problem(
                key,
                value.span(),
                Problem::Invalid(format!(
                    "latitude must be within [-90, 90] and longitude within [-180, 180], got [{}, {}]",
                    latitude.value, longitude.value
                )),
            );
            return None;
        }
        Some((latitude.value, longitude.value))
    }

    fn tie(&mut self, table: &mut TableReader) -> Option<(Tie, std::ops::Range<usize>)> {
        let from_name =
            table.required_string("from", "the actor that depends", &mut self.diagnostics);
        let to_name = table.required_string("to", "the actor depended on", &mut self.diagnostics);
        let channel_name = table.required_string(
            "channel",
            "one of the scenario's channels",
            &mut self.diagnostics,
        );
        let text = |name: &Option<Located<String>>| {
            name.as_ref()
                .map_or_else(|| "?".to_string(), |name| name.value.clone())
        };
        let param_name = format!(
            "ties.{}.{}.{}.weight",
            text(&from_name),
            text(&to_name),
            text(&channel_name)
        );
        let weight = self.param(table, "weight", param_name, None, UNIT);
        let from = from_name.and_then(|name| self.actor_ref(table.key_path("from"), &name));
        let to = to_name.and_then(|name| self.actor_ref(table.key_path("to"), &name));
        let channel =
            channel_name.and_then(|name| self.channel_ref(table.key_path("channel"), &name));
        let (from, to, channel, weight) = (from?, to?, channel?, weight?);
        if from == to {
            self.problem(
                table.key_path("to"),
                table.span_of("to"),
                Problem::Invalid(format!(
                    "a tie must join two different actors, but from and to are both {:?}",
                    self.actor_ids[from.0 as usize]
                )),
            );
            return None;
        }
        Some((
            Tie {
                from,
                to,
                channel,
                weight,
            },
            table.span.clone(),
        ))
    }

    fn without_duplicate_ties(
        &mut self,
        ties: Vec<(Tie, std::ops::Range<usize>)>,
    ) -> Vec<(Tie, std::ops::Range<usize>)> {
        let mut kept: Vec<(Tie, std::ops::Range<usize>)> = Vec::with_capacity(ties.len());
        // Where each (from, to, channel) was first written.
        let mut first_at: HashMap<(ActorId, ActorId, u32), usize> = HashMap::new();
        for (tie, span) in ties {
            let identity = (tie.from, tie.to, tie.channel.0);
            if let Some(&first_start) = first_at.get(&identity) {
                self.problem(
                    "ties",
                    span.start..span.start + 1,
                    Problem::Duplicate {
                        what: "tie",
                        value: format!(
                            "{} -> {} on {}",
                            self.actor_ids[tie.from.0 as usize],
                            self.actor_ids[tie.to.0 as usize],
                            self.channels[tie.channel.0 as usize]
                        ),
                        first: self.line_of(first_start),
                    },
                );
            } else {
                first_at.insert(identity, span.start);
                kept.push((tie, span));
            }
        }
        kept
    }

    // ----- events -------------------------------------------------------------------------

    fn event(&mut self, table: &mut TableReader) -> Option<(Event, std::ops::Range<usize>)> {
        let id = table.required_string("id", "a unique name for the event", &mut self.diagnostics);
        let kind = table.required_string(
            "kind",
            "sanctions, war, outreach, secondary_sanctions, shock or tie",
            &mut self.diagnostics,
        );
        let start = self.dated(table, "start", true);
        let end = self.dated(table, "end", false);
        if let (Some(start), Some(end)) = (&start, &end)
            && end.value < start.value
        {
            self.problem(
                table.key_path("end"),
                end.span.clone(),
                Problem::Invalid(format!(
                    "the event ends ({}) before it starts ({})",
                    end.value, start.value
                )),
            );
        }
        let id_text = id
            .as_ref()
            .map_or_else(|| "?".to_string(), |id| id.value.clone());
        let name = |key: &str| format!("events.{id_text}.{key}");
        let Some(kind) = kind else {
            // The missing kind is reported; without it, no key can be told unknown.
            table.accept_any_key();
            return None;
        };
        let event_kind = match kind.value.as_str() {
            "sanctions" | "secondary_sanctions" => {
                let coalition = self.coalition(table);
                let target = self.required_actor(table, "target", "the sanctioned actor");
                let intensity = self.param(table, "intensity", name("intensity"), None, UNIT);
                let channels = self.channel_set(table, "channels");
                let (coalition, target) = (coalition?, target?);
                if coalition.contains(&target) {
                    self.problem(
                        table.key_path("target"),
                        table.span_of("target"),
                        Problem::Invalid(format!(
                            "the target {:?} is also in the coalition",
                            self.actor_ids[target.0 as usize]
                        )),
                    );
                    return None;
                }
                let (intensity, channels) = (intensity?, channels?);
                if kind.value == "sanctions" {
                    EventKind::Sanctions {
                        coalition,
                        target,
                        intensity,
                        channels,
                    }
                } else {
                    EventKind::SecondarySanctions {
                        coalition,
                        target,
                        intensity,
                        channels,
                    }
                }
            }
            "war" => {
                let belligerent = self.required_actor(table, "belligerent", "the actor at war");
                let drain = self.param(
                    table,
                    "capacity_drain",
                    name("capacity_drain"),
                    Some(0.0),
                    UNIT,
                );
                let absorbed = self.param(
                    table,
                    "budget_absorbed",
                    name("budget_absorbed"),
                    Some(0.0),
                    UNIT,
                );
                EventKind::War {
                    belligerent: belligerent?,
                    capacity_drain: drain?,
                    budget_absorbed: absorbed?,
                }
            }
            "outreach" => {
                let pair = self.two_actors(
                    table,
                    (
                        "the actor making the offer",
                        "the actor receiving the offer",
                    ),
                    "an outreach",
                );
                let strength = self.param(table, "strength", name("strength"), None, UNIT);
                let fade = self.param(table, "fade", name("fade"), Some(0.0), UNIT);
                let channels = self.channel_set(table, "channels");
                let (from, to) = pair?;
                EventKind::Outreach {
                    from,
                    to,
                    strength: strength?,
                    fade: fade?,
                    channels: channels?,
                }
            }
            "tie" => {
                let pair = self.two_actors(
                    table,
                    ("the actor whose tie changes", "the partner of the tie"),
                    "a tie",
                );
                let weight = self.param(table, "weight", name("weight"), None, UNIT);
                let channels = self.channel_set(table, "channels");
                if table.has("end") {
                    self.problem(
                        table.key_path("end"),
                        table.span_of("end"),
                        Problem::Invalid(
                            "a tie event is a one-off change in its start month; it has no `end`"
                                .into(),
                        ),
                    );
                    return None;
                }
                let (from, to) = pair?;
                EventKind::Tie {
                    from,
                    to,
                    channels: channels?,
                    weight: weight?,
                }
            }
            "shock" => {
                let actors = if table.has("actor") {
                    let both = table.has("actors");
                    if both {
                        table.get("actors");
                        self.problem(
                            table.key_path("actors"),
                            table.span_of("actors"),
                            Problem::Invalid(
                                "give either `actor` (one actor) or `actors` (a list), not both"
                                    .into(),
                            ),
                        );
                    }
                    table
                        .required_string("actor", "", &mut self.diagnostics)
                        .and_then(|name| self.actor_ref(table.key_path("actor"), &name))
                        .map(|id| vec![id])
                        .filter(|_| !both)
                } else {
                    table.get("actor");
                    match self.actor_list(table, "actors") {
                        Some(list) if !list.is_empty() => Some(list),
                        Some(_) => {
                            self.problem(
                                table.key_path("actors"),
                                table.span_of("actors"),
                                Problem::Invalid("a shock needs at least one actor".into()),
                            );
                            None
                        }
                        None => {
                            if !table.has("actors") {
                                table.missing(
                                    "actor",
                                    "the actor (or `actors`, a list) the shock hits",
                                );
                            }
                            None
                        }
                    }
                };
                let attribute = self.choice(table, "attribute", &Attribute::NAMES, None);
                let operation = self.choice(table, "operation", &ShockOperation::NAMES, Some(0));
                let value = self.param(table, "value", name("value"), None, ANY);
                let stability_missing = attribute == Some(Attribute::Stability as usize)
                    && actors.as_ref().is_some_and(|actors| {
                        actors
                            .iter()
                            .any(|actor| !self.actor_has_stability[actor.0 as usize])
                    });
                if stability_missing {
                    self.problem(
                        table.key_path("attribute"),
                        table.span_of("attribute"),
                        Problem::Invalid(
                            "a stability shock needs actors that have a `stability`".into(),
                        ),
                    );
                    return None;
                }
                EventKind::Shock {
                    actors: actors?,
                    attribute: Attribute::ALL[attribute?],
                    operation: [
                        ShockOperation::Add,
                        ShockOperation::Multiply,
                        ShockOperation::Set,
                    ][operation?],
                    value: value?,
                }
            }
            other => {
                self.problem(
                    table.key_path("kind"),
                    kind.span.clone(),
                    Problem::UnknownName {
                        what: "event kind",
                        value: other.to_string(),
                        suggestion: Suggestion::closest(other, EVENT_KINDS),
                        expected: EVENT_KINDS.join(", "),
                    },
                );
                // Accept any key so that only the kind is reported, not every key after it.
                table.accept_any_key();
                return None;
            }
        };
        let id = id?;
        Some((
            Event {
                id: id.value,
                start: start?.value,
                end: end.map(|end| end.value),
                kind: event_kind,
            },
            id.span,
        ))
    }

    /// An event's `from` and `to` actors (described by `what` in "missing" messages), which
    /// must differ: `event` names the event in the message when they do not.
    fn two_actors(
        &mut self,
        table: &mut TableReader,
        what: (&str, &str),
        event: &str,
    ) -> Option<(ActorId, ActorId)> {
        let from = self.required_actor(table, "from", what.0);
        let to = self.required_actor(table, "to", what.1);
        let (from, to) = (from?, to?);
        if from == to {
            self.problem(
                table.key_path("to"),
                table.span_of("to"),
                Problem::Invalid(format!("{event} needs two different actors")),
            );
            return None;
        }
        Some((from, to))
    }

    /// One of a fixed list of names; returns its index. `default` applies when absent.
    fn choice(
        &mut self,
        table: &mut TableReader,
        key: &'static str,
        names: &[&'static str],
        default: Option<usize>,
    ) -> Option<usize> {
        let value = match (table.string(key, &mut self.diagnostics), default) {
            (Some(value), _) => value,
            (None, Some(default)) if !table.has(key) => return Some(default),
            (None, _) => {
                if !table.has(key) {
                    table.missing(key, format!("one of: {}", names.join(", ")));
                }
                return None;
            }
        };
        match names.iter().position(|name| *name == value.value) {
            Some(index) => Some(index),
            None => {
                self.problem(
                    table.key_path(key),
                    value.span,
                    Problem::UnknownName {
                        what: key_what(key),
                        value: value.value.clone(),
                        suggestion: Suggestion::closest(&value.value, names.iter().copied()),
                        expected: names.join(", "),
                    },
                );
                None
            }
        }
    }

    fn coalition(&mut self, table: &mut TableReader) -> Option<Vec<ActorId>> {
        let mut members = self.actor_list(table, "coalition");
        if members.is_none() && table.has("coalition") {
            return None;
        }
        let tags = table.string_list("coalition_tags", &mut self.diagnostics);
        let mut unknown_tag = false;
        for tag in tags.iter().flatten() {
            let Some(matching) = self.actors_by_tag.get(&tag.value) else {
                unknown_tag = true;
                if self.actor_ids.is_empty() {
                    // No actor is declared, or none has a valid id, which is already reported.
                    continue;
                }
                let problem = if self.actors_by_tag.is_empty() {
                    Problem::Invalid(format!("unknown tag {:?}: no actor has `tags`", tag.value))
                } else {
                    if self.known_tags.is_none() {
                        let mut known: Vec<String> = self.actors_by_tag.keys().cloned().collect();
                        known.sort();
                        self.known_tags = Some(known);
                    }
                    let known = self.known_tags.as_deref().unwrap_or_default();
                    let (suggestion, expected) = self.names_for_message(tag, known);
                    Problem::UnknownName {
                        what: "tag",
                        value: tag.value.clone(),
                        suggestion,
                        expected,
                    }
                };
                self.problem(table.key_path("coalition_tags"), tag.span.clone(), problem);
                continue;
            };
            members.get_or_insert_with(Vec::new).extend(matching);
        }
        if unknown_tag {
            return None;
        }
        let mut members = members.unwrap_or_default();
        members.sort();
        members.dedup();
        if members.is_empty() {
            let span = table.span_of("coalition");
            self.problem(table.key_path("coalition"), span, Problem::EmptyCoalition);
            return None;
        }
        Some(members)
    }

    // ----- rules --------------------------------------------------------------------------

    fn rule(&mut self, table: &mut TableReader) -> Option<(Rule, std::ops::Range<usize>)> {
        let names: Vec<&'static str> = RULE_DEFINITIONS.iter().map(|rule| rule.name).collect();
        let index = self.choice(table, "rule", &names, None);
        let Some(index) = index else {
            table.accept_any_key();
            return None;
        };
        let definition = &RULE_DEFINITIONS[index];
        let mut params = Vec::with_capacity(definition.params.len());
        let mut ok = true;
        for param in definition.params {
            let bounds = Bounds {
                low: param.low,
                high: param.high,
            };
            let name = format!("rules.{}.{}", definition.name, param.key);
            match self.param(table, param.key, name, Some(param.default), bounds) {
                Some(id) => params.push(id),
                None => ok = false,
            }
        }
        let channels = if definition.takes_channels {
            self.channel_set(table, "channels")
        } else {
            Some(ChannelSet::all(self.channels.len()))
        };
        let span = table
            .get("rule")
            .map_or(table.span.clone(), |value| value.span());
        Some((
            Rule {
                kind: definition.kind,
                params,
                channels: channels?,
            },
            span,
        ))
        .filter(|_| ok)
    }

    // ----- outcomes -----------------------------------------------------------------------

    fn outcome(
        &mut self,
        table: &mut TableReader,
    ) -> Option<(OutcomeSpec, std::ops::Range<usize>)> {
        let name = table.required_string("name", "the outcome's name", &mut self.diagnostics);
        let measure = self.choice(table, "measure", &MEASURES, None);
        let actor = self.required_actor(table, "actor", "the actor the measure is about");
        let Some(measure_index) = measure else {
            table.accept_any_key();
            return None;
        };
        let measure_name = MEASURES[measure_index];
        // The keys every measure may have: known even when the measure itself has an error,
        // so that a mistake there is not also reported as unknown `at`, `over`, ...
        for key in ["at", "over", "from", "to", "target", "source", "given"] {
            table.get(key);
        }
        let actor = actor?;
        let needs_regime = |validator: &mut Validator, table: &mut TableReader| {
            if validator.actor_has_stability[actor.0 as usize] {
                Some(())
            } else {
                validator.problem(
                    table.key_path("actor"),
                    table.get("actor").map_or(0..0, |value| value.span()),
                    Problem::Invalid(format!(
                        "measure {measure_name} needs an actor with a `stability`, and {:?} has none",
                        validator.actor_ids[actor.0 as usize]
                    )),
                );
                None
            }
        };
        let measure = match measure_name {
            "tie_share" | "flow" | "share_of_partner" => {
                let partners = if table.has("partners") {
                    let both = table.has("partner");
                    if both {
                        self.problem(
                            table.key_path("partner"),
                            table.span_of("partner"),
                            Problem::Invalid(
                                "give either `partner` (one actor) or `partners` (a list), not both"
                                    .into(),
                            ),
                        );
                    }
                    table.get("partner");
                    match self.actor_list(table, "partners") {
                        Some(list) if list.is_empty() => {
                            self.problem(
                                table.key_path("partners"),
                                table.span_of("partners"),
                                Problem::Invalid("the list of partners is empty".into()),
                            );
                            None
                        }
                        list => list.filter(|_| !both),
                    }
                } else {
                    table.get("partners");
                    table
                        .required_string(
                            "partner",
                            "the partner (or `partners`, a list) whose share is measured",
                            &mut self.diagnostics,
                        )
                        .and_then(|name| self.actor_ref(table.key_path("partner"), &name))
                        .map(|id| vec![id])
                };
                let channels = self.channel_set(table, "channels");
                let (partners, channels) = (partners?, channels?);
                match measure_name {
                    "tie_share" => Measure::TieShare {
                        actor,
                        partners,
                        channels,
                    },
                    "flow" => Measure::Flow {
                        actor,
                        partners,
                        channels,
                    },
                    _ => Measure::ShareOfPartner {
                        actor,
                        partners,
                        channels,
                    },
                }
            }
            "vote" => {
                let yes_below = table.number("yes_below", &mut self.diagnostics);
                let no_above = table.number("no_above", &mut self.diagnostics);
                for (key, value) in [("yes_below", &yes_below), ("no_above", &no_above)] {
                    if value.is_none() && !table.has(key) {
                        table.missing(key, "a threshold on the vote's score (position scale)");
                    }
                }
                let partner = match table.string("partner", &mut self.diagnostics) {
                    Some(name) => Some(self.actor_ref(table.key_path("partner"), &name)?),
                    None => None,
                };
                let partner_weight = table.number("partner_weight", &mut self.diagnostics);
                let channels = self.channel_set(table, "channels");
                let (yes_below, no_above) = (yes_below?, no_above?);
                if yes_below.value > no_above.value {
                    self.problem(
                        table.key_path("no_above"),
                        no_above.span,
                        Problem::Invalid(format!(
                            "no_above {} is below yes_below {}: a score would be both yes and no",
                            no_above.value, yes_below.value
                        )),
                    );
                    return None;
                }
                if partner.is_none() && partner_weight.is_some() {
                    self.problem(
                        table.key_path("partner_weight"),
                        table.span_of("partner_weight"),
                        Problem::Invalid("`partner_weight` needs a `partner`".into()),
                    );
                    return None;
                }
                Measure::Vote {
                    actor,
                    yes_below: yes_below.value,
                    no_above: no_above.value,
                    partner,
                    partner_weight: partner_weight.map_or(0.0, |weight| weight.value),
                    channels: channels?,
                }
            }
            "tie_weight" => {
                let partner = self.required_actor(table, "partner", "the partner depended on");
                let channel = table
                    .required_string("channel", "one channel", &mut self.diagnostics)
                    .and_then(|name| self.channel_ref(table.key_path("channel"), &name));
                Measure::TieWeight {
                    actor,
                    partner: partner?,
                    channel: channel?,
                }
            }
            "survives" => {
                needs_regime(self, table)?;
                Measure::Survives { actor }
            }
            "regime_change_month" => {
                needs_regime(self, table)?;
                Measure::RegimeChangeMonth { actor }
            }
            "crossover" => {
                let partner =
                    self.required_actor(table, "partner", "the actor whose share may overtake");
                let rival =
                    self.required_actor(table, "rival", "the actor whose share may be overtaken");
                let channels = self.channel_set(table, "channels");
                Measure::Crossover {
                    actor,
                    partner: partner?,
                    rival: rival?,
                    channels: channels?,
                }
            }
            attribute => {
                let index = Attribute::NAMES
                    .iter()
                    .position(|name| *name == attribute)
                    .unwrap_or(0);
                if Attribute::ALL[index] == Attribute::Stability {
                    needs_regime(self, table)?;
                }
                Measure::Attribute {
                    actor,
                    attribute: Attribute::ALL[index],
                }
            }
        };
        let target = self.target(table, &measure);
        let given = self.given(table, &measure, actor);
        let key = table
            .boolean("key", &mut self.diagnostics)
            .is_some_and(|key| key.value);
        let relevant = self.relevant_difference(table);
        let reduction = self.reduction(table, &measure)?;
        let name = name?;
        if !valid_identifier(&name.value) {
            self.problem(
                table.key_path("name"),
                name.span.clone(),
                Problem::Invalid(format!(
                    "outcome name {:?} must be letters, digits, '_' or '-' (it becomes a column name)",
                    name.value
                )),
            );
            return None;
        }
        Some((
            OutcomeSpec {
                name: name.value,
                measure,
                reduction,
                target: target?,
                given: given?,
                key,
                relevant: relevant?,
            },
            name.span,
        ))
    }

    /// An outcome's optional `relevant`: the smallest difference between scenarios that
    /// matters in practice, in the outcome's units (a probability for yes/no and month
    /// outcomes); positive and finite.
    fn relevant_difference(&mut self, table: &mut TableReader) -> Option<Option<f64>> {
        let Some(relevant) = table.number("relevant", &mut self.diagnostics) else {
            return Some(None).filter(|_| !table.has("relevant"));
        };
        if relevant.value <= 0.0 {
            self.problem(
                table.key_path("relevant"),
                relevant.span,
                Problem::Invalid(format!(
                    "relevant = {}: the smallest difference that matters must be above 0",
                    relevant.value
                )),
            );
            return None;
        }
        Some(Some(relevant.value))
    }

    /// An outcome's optional condition `given = "survived" | "fell"`, on the regime of its
    /// actor: only number outcomes about a followed actor can be conditioned.
    fn given(
        &mut self,
        table: &mut TableReader,
        measure: &Measure,
        actor: ActorId,
    ) -> Option<Option<Given>> {
        if !table.has("given") {
            return Some(None);
        }
        let index = self.choice(table, "given", &Given::NAMES, None)?;
        let problem = if !self.actor_has_stability[actor.0 as usize] {
            Some(format!(
                "`given` conditions on {:?}'s regime, and it has no `stability`",
                self.actor_ids[actor.0 as usize]
            ))
        } else if measure.is_month() || matches!(measure, Measure::Survives { .. }) {
            Some(format!(
                "measure {} is about the regime itself; `given` applies to number outcomes",
                measure.name()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.problem(
                table.key_path("given"),
                table.span_of("given"),
                Problem::Invalid(problem),
            );
            return None;
        }
        Some(Some([Given::Survived, Given::Fell][index]))
    }

    /// An outcome's optional calibration target: `target = { low, high }` and a `source`
    /// naming where the band comes from. Returns `None` on error, `Some(None)` without one.
    fn target(&mut self, table: &mut TableReader, measure: &Measure) -> Option<Option<Target>> {
        let source = table.string("source", &mut self.diagnostics);
        let Some(value) = table.get("target") else {
            return Some(None);
        };
        let path = table.key_path("target");
        if measure.is_month() {
            self.problem(
                path,
                value.span(),
                Problem::Invalid(format!(
                    "measure {} is a month; targets apply to numbers and yes/no outcomes",
                    measure.name()
                )),
            );
            return None;
        }
        let mut band = TableReader::new(value, path.clone(), &mut self.diagnostics)?;
        let low = band.number("low", &mut self.diagnostics);
        let high = band.number("high", &mut self.diagnostics);
        let observed = band.number("observed", &mut self.diagnostics);
        for key in ["low", "high"] {
            if !band.has(key) {
                let span = band.span.clone();
                band.missing_at(
                    key,
                    "a number: targets are written { low = …, high = … }",
                    span,
                );
            }
        }
        band.finish(&mut self.diagnostics);
        let (low, high) = (low?, high?);
        if low.value > high.value {
            self.problem(
                format!("{path}.high"),
                high.span,
                Problem::Invalid(format!(
                    "the band is empty: high {} is below low {}",
                    high.value, low.value
                )),
            );
            return None;
        }
        if source.is_none() {
            self.problem(
                path,
                value.span(),
                Problem::MissingKey {
                    key: "source".into(),
                    expected:
                        "where the target's band comes from, such as a row of the calibration data"
                            .into(),
                },
            );
            return None;
        }
        Some(Some(Target {
            low: low.value,
            high: high.value,
            observed: observed.map(|observed| observed.value),
            source: source.map(|source| source.value).unwrap_or_default(),
        }))
    }

    fn reduction(&mut self, table: &mut TableReader, measure: &Measure) -> Option<Reduction> {
        let at = self.dated(table, "at", false);
        let over = if table.has("over") {
            Some(self.choice(table, "over", &REDUCTIONS, None)?)
        } else {
            table.get("over");
            None
        };
        let from = self.dated(table, "from", false);
        let to = self.dated(table, "to", false);
        let (_, end) = self.period?;
        let last = self.month_index(end);
        let misplaced = |validator: &mut Validator, key: &str, reason: &str| {
            validator.problem(
                table.key_path(key),
                table.span_of(key),
                Problem::Invalid(reason.to_string()),
            );
            None
        };
        if measure.is_month() && (at.is_some() || over.is_some() || from.is_some() || to.is_some())
        {
            let key = ["at", "over", "from", "to"]
                .into_iter()
                .find(|key| table.has(key))
                .unwrap_or("at");
            return misplaced(
                self,
                key,
                &format!(
                    "measure {} is a month over the whole run; `at`, `over`, `from` and `to` do not apply",
                    measure.name()
                ),
            );
        }
        if at.is_some() && over.is_some() {
            return misplaced(
                self,
                "at",
                "give either `at` (one month) or `over` (a window), not both",
            );
        }
        if over.is_none() && (from.is_some() || to.is_some()) {
            return misplaced(
                self,
                if from.is_some() { "from" } else { "to" },
                "`from` and `to` need `over` (mean, min or max)",
            );
        }
        if matches!(measure, Measure::Survives { .. }) && over.is_some() {
            return misplaced(
                self,
                "over",
                "measure survives is read at one month (`at`), not over a window",
            );
        }
        let from_index = from.map_or(0, |month| self.month_index(month.value));
        let to_index = to.map_or(last, |month| self.month_index(month.value));
        if from_index > to_index {
            return misplaced(self, "to", "the window ends before it starts");
        }
        Some(match over {
            Some(0) => Reduction::Mean {
                from: from_index,
                to: to_index,
            },
            Some(1) => Reduction::Min {
                from: from_index,
                to: to_index,
            },
            Some(_) => Reduction::Max {
                from: from_index,
                to: to_index,
            },
            None => Reduction::At(at.map_or(last, |month| self.month_index(month.value))),
        })
    }

    /// Reports every item whose name (`name_of`) repeats an earlier one's.
    fn check_unique<T>(
        &mut self,
        section: &str,
        what: &'static str,
        items: &[(T, std::ops::Range<usize>)],
        name_of: impl Fn(&T) -> &str,
    ) {
        // Where each name was first written.
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        for (item, span) in items {
            let name = name_of(item);
            match first_at.get(name) {
                Some(&first) => self.problem(
                    section,
                    span.clone(),
                    Problem::Duplicate {
                        what,
                        value: name.to_string(),
                        first: self.line_of(first),
                    },
                ),
                None => {
                    first_at.insert(name, span.start);
                }
            }
        }
    }
}

fn key_what(key: &str) -> &'static str {
    match key {
        "rule" => "rule",
        "measure" => "measure",
        "attribute" => "attribute",
        "operation" => "operation",
        "over" => "reduction",
        _ => "value",
    }
}

/// The most actors a scenario with `channels` channels may have: at most [`MAX_ACTORS`], and
/// few enough that one run's tie weights (`channels × actors × actors`, 4 bytes each, as each
/// lane of `model::State` holds them) fit in [`MAX_TIE_WEIGHT_BYTES`].
fn actor_limit(channels: usize) -> usize {
    let fits = |actors: usize| channels * actors * actors * 4 <= MAX_TIE_WEIGHT_BYTES;
    // The weights grow with the count, so the largest count that fits is found by bisection.
    let (mut low, mut high) = (0, MAX_ACTORS);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if fits(middle) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    low
}

/// Names that become ids and column headers: ASCII letters, digits, `_`, `-` and `.`.
fn valid_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A list of names for an error message, cut short when long: the first 12 names, each cut to
/// 40 characters, then how many there are in all.
fn abbreviated_list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    const NAME_CHARS: usize = 40;
    let shown: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|name| match name.char_indices().nth(NAME_CHARS) {
            Some((cut, _)) => format!("{}…", &name[..cut]),
            None => name.clone(),
        })
        .collect();
    if names.len() <= SHOWN {
        shown.join(", ")
    } else {
        format!("{}, ... ({} in all)", shown.join(", "), names.len())
    }
}
