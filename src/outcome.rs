//! Outcomes: each month the tracker reads every outcome's measure from the state and folds it
//! into its reduction (value at a month, mean, min, max, first month of a crossover).
//!
//! Every outcome value is encoded as one `f64` so that batches can treat them alike: numbers as
//! themselves, yes/no as 1 or 0, and months as the number of months since the scenario start,
//! or NaN when the month never came (the regime survived, the crossover never happened).

use std::fmt;

use crate::model::{Model, State, padded};
use crate::scenario::{ActorId, Attribute, ChannelSet, Measure, OutcomeSpec, Reduction};
use crate::time::Month;

/// How an outcome's encoded values are to be read and summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A quantity: summarised by its mean, spread and quantiles.
    Number,
    /// Yes (1) or no (0): summarised by the probability of yes.
    Flag,
    /// Months since the start until something happened, or NaN when it never did: summarised
    /// by the probability that it happened and the distribution of when.
    Month,
}

impl OutcomeKind {
    pub fn of(spec: &OutcomeSpec) -> OutcomeKind {
        match spec.measure {
            Measure::Survives { .. } => OutcomeKind::Flag,
            Measure::RegimeChangeMonth { .. } | Measure::Crossover { .. } => OutcomeKind::Month,
            _ => OutcomeKind::Number,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Number => "number",
            OutcomeKind::Flag => "flag",
            OutcomeKind::Month => "month",
        }
    }
}

/// An outcome value decoded for people.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutcomeValue {
    Number(f64),
    Flag(bool),
    Month(Option<Month>),
}

impl OutcomeValue {
    /// Decodes the `f64` encoding of `spec`'s value (see the module documentation).
    pub fn decode(spec: &OutcomeSpec, start: Month, encoded: f64) -> OutcomeValue {
        match OutcomeKind::of(spec) {
            OutcomeKind::Flag => OutcomeValue::Flag(encoded == 1.0),
            OutcomeKind::Month => {
                OutcomeValue::Month((!encoded.is_nan()).then(|| start.plus(encoded as i32)))
            }
            OutcomeKind::Number => OutcomeValue::Number(encoded),
        }
    }
}

impl fmt::Display for OutcomeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutcomeValue::Number(value) => match f.precision() {
                Some(precision) => write!(f, "{value:.precision$}"),
                None => write!(f, "{value}"),
            },
            OutcomeValue::Flag(true) => f.write_str("yes"),
            OutcomeValue::Flag(false) => f.write_str("no"),
            OutcomeValue::Month(Some(month)) => write!(f, "{month}"),
            OutcomeValue::Month(None) => f.write_str("never"),
        }
    }
}

/// A measure compiled for fast reading: partner sets become padded masks of 1s and 0s, and a
/// tie becomes its index. Outcomes whose measures compile alike share one reading.
#[derive(Clone, Debug, PartialEq)]
enum Probe {
    Share {
        actor: usize,
        mask: Vec<f32>,
        channels: ChannelSet,
    },
    Weight {
        channel: usize,
        actor: usize,
        partner: usize,
    },
    Attribute {
        actor: usize,
        attribute: Attribute,
    },
    Regime {
        actor: usize,
    },
    Crossover {
        actor: usize,
        partner: Vec<f32>,
        rival: Vec<f32>,
        channels: ChannelSet,
    },
}

impl Probe {
    fn compile(measure: &Measure, actors: usize) -> Probe {
        let mask = |members: &mut dyn Iterator<Item = ActorId>| {
            let mut mask = vec![0.0; padded(actors)];
            for member in members {
                mask[member.0 as usize] = 1.0;
            }
            mask
        };
        match measure {
            Measure::TieShare {
                actor,
                partners,
                channels,
            } => Probe::Share {
                actor: actor.0 as usize,
                mask: mask(&mut partners.iter().copied()),
                channels: *channels,
            },
            Measure::TieWeight {
                actor,
                partner,
                channel,
            } => Probe::Weight {
                channel: channel.0 as usize,
                actor: actor.0 as usize,
                partner: partner.0 as usize,
            },
            Measure::Attribute { actor, attribute } => Probe::Attribute {
                actor: actor.0 as usize,
                attribute: *attribute,
            },
            Measure::Survives { actor } | Measure::RegimeChangeMonth { actor } => Probe::Regime {
                actor: actor.0 as usize,
            },
            Measure::Crossover {
                actor,
                partner,
                rival,
                channels,
            } => Probe::Crossover {
                actor: actor.0 as usize,
                partner: mask(&mut std::iter::once(*partner)),
                rival: mask(&mut std::iter::once(*rival)),
                channels: *channels,
            },
        }
    }

    /// The measure's value in `state`. Month measures return the quantity they test: 1 while
    /// the regime lasts, or the partner's share minus the rival's.
    fn read(&self, state: &State) -> f64 {
        match self {
            Probe::Share {
                actor,
                mask,
                channels,
            } => state.share_held(*actor, mask, *channels),
            Probe::Weight {
                channel,
                actor,
                partner,
            } => state.weight(*channel, *actor, *partner),
            Probe::Attribute { actor, attribute } => state.attribute(*attribute, *actor),
            Probe::Regime { actor } => f64::from(u8::from(state.regime_lasts(*actor))),
            Probe::Crossover {
                actor,
                partner,
                rival,
                channels,
            } => {
                state.share_held(*actor, partner, *channels)
                    - state.share_held(*actor, rival, *channels)
            }
        }
    }
}

/// For each outcome, the first outcome whose monthly measure is the same (itself if none
/// earlier is): such outcomes share one reading each month, and one envelope.
pub fn measure_sources(model: &Model) -> Vec<usize> {
    let probes: Vec<Probe> = model
        .scenario()
        .outcomes
        .iter()
        .map(|spec| Probe::compile(&spec.measure, model.actor_count()))
        .collect();
    probes
        .iter()
        .map(|probe| probes.iter().position(|other| other == probe).unwrap_or(0))
        .collect()
}

/// Running reduction of one outcome.
#[derive(Clone, Copy, Debug)]
struct Accumulator {
    value: f64,
    sum: f64,
    count: u32,
}

const EMPTY: Accumulator = Accumulator {
    value: f64::NAN,
    sum: 0.0,
    count: 0,
};

/// Folds every outcome's monthly measure into its value, without allocating.
pub struct Tracker {
    probes: Vec<Probe>,
    /// See [`measure_sources`].
    sources: Vec<usize>,
    accumulators: Vec<Accumulator>,
    /// Each outcome's measure in the month last observed, for traces and envelopes.
    latest: Vec<f64>,
}

impl Tracker {
    pub fn new(model: &Model) -> Tracker {
        Tracker {
            probes: model
                .scenario()
                .outcomes
                .iter()
                .map(|spec| Probe::compile(&spec.measure, model.actor_count()))
                .collect(),
            sources: measure_sources(model),
            accumulators: vec![EMPTY; model.scenario().outcomes.len()],
            latest: vec![f64::NAN; model.scenario().outcomes.len()],
        }
    }

    /// Bytes of memory the tracker holds (its compiled measures and running values).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let masks: usize = self
            .probes
            .iter()
            .map(|probe| match probe {
                Probe::Share { mask, .. } => mask.capacity() * size_of::<f32>(),
                Probe::Crossover { partner, rival, .. } => {
                    (partner.capacity() + rival.capacity()) * size_of::<f32>()
                }
                _ => 0,
            })
            .sum();
        self.probes.capacity() * size_of::<Probe>()
            + masks
            + self.sources.capacity() * size_of::<usize>()
            + self.accumulators.capacity() * size_of::<Accumulator>()
            + self.latest.capacity() * size_of::<f64>()
    }

    pub fn reset(&mut self) {
        self.accumulators.fill(EMPTY);
        self.latest.fill(f64::NAN);
    }

    /// Reads the outcomes' measures at the end of `month`: every one when `every_measure`
    /// (traces and envelopes want them all), otherwise only those whose reduction uses this
    /// month, the others' latest values being left as NaN.
    pub fn observe(&mut self, model: &Model, state: &State, month: u32, every_measure: bool) {
        let outcomes = model.scenario().outcomes.iter();
        for (outcome, (spec, accumulator)) in outcomes.zip(&mut self.accumulators).enumerate() {
            let needed = every_measure
                || match (&spec.measure, spec.reduction) {
                    // A crossover is watched until it happens.
                    (Measure::Crossover { .. }, _) => accumulator.value.is_nan(),
                    (_, Reduction::At(at)) => at == month,
                    (
                        _,
                        Reduction::Mean { from, to }
                        | Reduction::Min { from, to }
                        | Reduction::Max { from, to },
                    ) => (from..=to).contains(&month),
                };
            if !needed {
                self.latest[outcome] = f64::NAN;
                continue;
            }
            // An earlier outcome with the same measure was read this month when every measure
            // is read; otherwise it may not have been, and this one reads its own.
            let source = self.sources[outcome];
            let value = if every_measure && source < outcome {
                self.latest[source]
            } else {
                self.probes[outcome].read(state)
            };
            self.latest[outcome] = value;
            if let Measure::Crossover { .. } = spec.measure {
                if accumulator.value.is_nan() && value > 0.0 {
                    accumulator.value = f64::from(month);
                }
                continue;
            }
            match spec.reduction {
                Reduction::At(at) if at == month => accumulator.value = value,
                Reduction::At(_) => {}
                Reduction::Mean { from, to }
                | Reduction::Min { from, to }
                | Reduction::Max { from, to }
                    if (from..=to).contains(&month) =>
                {
                    accumulator.sum += value;
                    accumulator.count += 1;
                    accumulator.value = match spec.reduction {
                        Reduction::Min { .. } => accumulator.value.min(value),
                        Reduction::Max { .. } => accumulator.value.max(value),
                        _ => accumulator.value,
                    };
                }
                _ => {}
            }
        }
    }

    /// Each outcome's measure in the month last observed.
    pub fn latest(&self) -> &[f64] {
        &self.latest
    }

    /// Writes the encoded value of every outcome into `out` (cleared first).
    pub fn finish(&self, model: &Model, state: &State, out: &mut Vec<f64>) {
        out.clear();
        for (spec, accumulator) in model.scenario().outcomes.iter().zip(&self.accumulators) {
            let value = match (&spec.measure, spec.reduction) {
                (Measure::RegimeChangeMonth { actor }, _) => {
                    let actor = actor.0 as usize;
                    if state.regime_lasts(actor) {
                        f64::NAN
                    } else {
                        f64::from(state.regime_end[actor])
                    }
                }
                (Measure::Crossover { .. }, _) => accumulator.value,
                (_, Reduction::Mean { .. }) => accumulator.sum / f64::from(accumulator.count),
                _ => accumulator.value,
            };
            out.push(value);
        }
    }
}

/// The month-by-month record of one run: for each actor its capacity, position and (if
/// followed) stability and regime, then each outcome's monthly measure.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub columns: Vec<String>,
    /// Row-major: `values[month * columns.len() + column]`.
    pub values: Vec<f64>,
    pub months: Vec<Month>,
}

impl Trace {
    /// An empty trace with the columns of `model`, with room for every month.
    pub fn new(model: &Model) -> Trace {
        let scenario = model.scenario();
        let mut columns = Vec::new();
        for actor in &scenario.actors {
            columns.push(format!("{}.capacity", actor.id));
            columns.push(format!("{}.position", actor.id));
            if actor.stability.is_some() {
                columns.push(format!("{}.stability", actor.id));
                columns.push(format!("{}.regime", actor.id));
            }
        }
        columns.extend(scenario.outcomes.iter().map(|outcome| outcome.name.clone()));
        Trace {
            values: Vec::with_capacity(columns.len() * model.months()),
            months: Vec::with_capacity(model.months()),
            columns,
        }
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.months.clear();
    }

    pub(crate) fn record(&mut self, model: &Model, state: &State, tracker: &Tracker, month: u32) {
        let scenario = model.scenario();
        self.months.push(scenario.start.plus(month as i32));
        for (index, actor) in scenario.actors.iter().enumerate() {
            self.values.push(state.capacity[index]);
            self.values.push(state.position[index]);
            if actor.stability.is_some() {
                self.values.push(state.stability[index]);
                self.values
                    .push(f64::from(u8::from(state.regime_lasts(index))));
            }
        }
        self.values.extend_from_slice(tracker.latest());
    }

    /// The recorded row of one month.
    pub fn row(&self, month: usize) -> &[f64] {
        let width = self.columns.len();
        &self.values[month * width..(month + 1) * width]
    }
}
