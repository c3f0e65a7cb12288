//! Outcomes: each month the tracker reads every outcome's measure from the state and folds it
//! into its reduction (value at a month, mean, min, max, first month of a crossover).
//!
//! Every outcome value is encoded as one `f64` so that batches can treat them alike: numbers as
//! themselves, yes/no as 1 or 0, and months as the number of months since the scenario start,
//! or NaN when the month never came (the regime survived, the crossover never happened).

use std::fmt;

use crate::model::{LANES, Lanes, Model, REGIME_LASTS, State};
use crate::scenario::{ActorId, Attribute, ChannelSet, Given, Measure, OutcomeSpec, Reduction};
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
    /// The kind of an outcome's values, from its measure.
    pub fn of(spec: &OutcomeSpec) -> OutcomeKind {
        match spec.measure {
            Measure::Survives { .. } => OutcomeKind::Flag,
            Measure::RegimeChangeMonth { .. } | Measure::Crossover { .. } => OutcomeKind::Month,
            _ => OutcomeKind::Number,
        }
    }

    /// The kind's name in JSON and CSV output: "number", "flag" or "month".
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
    /// A quantity (NaN where a conditional outcome's condition does not hold).
    Number(f64),
    /// Yes or no.
    Flag(bool),
    /// The month something happened, or `None` when it never did.
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

/// A measure compiled for fast reading: partner sets become one yes/no per actor, and a tie
/// becomes its index. Outcomes whose measures compile alike share one reading.
#[derive(Clone, Debug, PartialEq)]
enum Probe {
    Share {
        actor: usize,
        members: Vec<bool>,
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
        partner: Vec<bool>,
        rival: Vec<bool>,
        channels: ChannelSet,
    },
    /// A flow, or (`of_partners`) the actor's share of every actor's flows to the members.
    Flow {
        actor: usize,
        members: Vec<bool>,
        channels: ChannelSet,
        /// The channels whose volume is the `from` actor's capacity.
        capacity_channels: ChannelSet,
        of_partners: bool,
    },
    Vote {
        actor: usize,
        yes_below: f32,
        no_above: f32,
        partner: Option<usize>,
        partner_weight: f32,
        channels: ChannelSet,
    },
}

impl Probe {
    fn compile(measure: &Measure, model: &Model) -> Probe {
        let actors = model.actor_count();
        let capacity_channels = model.scenario().capacity_flow_channels();
        let members = |group: &mut dyn Iterator<Item = ActorId>| {
            let mut members = vec![false; actors];
            for member in group {
                members[member.0 as usize] = true;
            }
            members
        };
        match measure {
            Measure::TieShare {
                actor,
                partners,
                channels,
            } => Probe::Share {
                actor: actor.0 as usize,
                members: members(&mut partners.iter().copied()),
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
                partner: members(&mut std::iter::once(*partner)),
                rival: members(&mut std::iter::once(*rival)),
                channels: *channels,
            },
            Measure::Flow {
                actor,
                partners,
                channels,
            }
            | Measure::ShareOfPartner {
                actor,
                partners,
                channels,
            } => Probe::Flow {
                actor: actor.0 as usize,
                members: members(&mut partners.iter().copied()),
                channels: *channels,
                capacity_channels,
                of_partners: matches!(measure, Measure::ShareOfPartner { .. }),
            },
            Measure::Vote {
                actor,
                yes_below,
                no_above,
                partner,
                partner_weight,
                channels,
            } => Probe::Vote {
                actor: actor.0 as usize,
                yes_below: *yes_below as f32,
                no_above: *no_above as f32,
                partner: partner.map(|partner| partner.0 as usize),
                partner_weight: *partner_weight as f32,
                channels: *channels,
            },
        }
    }

    /// The flow on `from`'s ties to `members` on `channels`: Σ weight × volume.
    #[inline(always)]
    fn flow(
        state: &State,
        from: usize,
        members: &[bool],
        channels: ChannelSet,
        capacity_channels: ChannelSet,
    ) -> Lanes {
        let mut flow = Lanes::ZERO;
        let mut capacity = None;
        for channel in channels.iter() {
            let mut held = Lanes::ZERO;
            for (&weight, &member) in state.row(channel, from).iter().zip(members) {
                if member {
                    held += weight;
                }
            }
            if capacity_channels.contains(channel) {
                held *= *capacity.get_or_insert_with(|| state.capacity(from));
            }
            flow += held;
        }
        flow
    }

    /// The measure's value in every lane of `state`. Month measures return the quantity they
    /// test: 1 while the regime lasts, or the partner's share minus the rival's.
    #[inline(always)]
    fn read(&self, state: &State) -> Lanes {
        match self {
            Probe::Share {
                actor,
                members,
                channels,
            } => state.share_held(*actor, members, *channels),
            Probe::Weight {
                channel,
                actor,
                partner,
            } => state.weight(*channel, *actor, *partner),
            Probe::Attribute { actor, attribute } => state.attribute(*attribute, *actor),
            Probe::Regime { actor } => state.regime_lasts(*actor).select(Lanes::ONE, Lanes::ZERO),
            Probe::Crossover {
                actor,
                partner,
                rival,
                channels,
            } => {
                state.share_held(*actor, partner, *channels)
                    - state.share_held(*actor, rival, *channels)
            }
            Probe::Flow {
                actor,
                members,
                channels,
                capacity_channels,
                of_partners,
            } => {
                let own = Probe::flow(state, *actor, members, *channels, *capacity_channels);
                if !of_partners {
                    return own;
                }
                let mut total = Lanes::ZERO;
                for from in 0..state.actor_count() {
                    total += Probe::flow(state, from, members, *channels, *capacity_channels);
                }
                total
                    .greater_than(Lanes::ZERO)
                    .select(own / total, Lanes::ZERO)
            }
            Probe::Vote {
                actor,
                yes_below,
                no_above,
                partner,
                partner_weight,
                channels,
            } => {
                let mut score = state.position[*actor];
                if let Some(partner) = partner {
                    let ties = state.weight_sum(*channels, *actor, *partner);
                    score += Lanes::splat(*partner_weight) * ties;
                }
                let yes = score.less_than(Lanes::splat(*yes_below));
                let no = score.greater_than(Lanes::splat(*no_above));
                yes.select(Lanes::ONE, no.select(-Lanes::ONE, Lanes::ZERO))
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
        .map(|spec| Probe::compile(&spec.measure, model))
        .collect();
    probes
        .iter()
        .map(|probe| probes.iter().position(|other| other == probe).unwrap_or(0))
        .collect()
}

/// Running reduction of one outcome, one value per lane.
#[derive(Clone, Copy, Debug)]
struct Accumulator {
    value: [f64; LANES],
    sum: [f64; LANES],
    /// Months folded in: the same in every lane.
    count: u32,
}

const EMPTY: Accumulator = Accumulator {
    value: [f64::NAN; LANES],
    sum: [0.0; LANES],
    count: 0,
};

/// Folds every outcome's monthly measure into its value for each lane, without allocating.
/// Measures are read in `f32` lanes and folded in `f64`.
pub struct Tracker {
    probes: Vec<Probe>,
    /// See [`measure_sources`].
    sources: Vec<usize>,
    accumulators: Vec<Accumulator>,
    /// Each outcome's measure in the month last observed, for traces and envelopes.
    latest: Vec<Lanes>,
}

impl Tracker {
    /// A tracker of `model`'s outcomes, with their measures compiled and their values empty.
    pub fn new(model: &Model) -> Tracker {
        Tracker {
            probes: model
                .scenario()
                .outcomes
                .iter()
                .map(|spec| Probe::compile(&spec.measure, model))
                .collect(),
            sources: measure_sources(model),
            accumulators: vec![EMPTY; model.scenario().outcomes.len()],
            latest: vec![Lanes::splat(f32::NAN); model.scenario().outcomes.len()],
        }
    }

    /// Bytes of memory the tracker holds (its compiled measures and running values).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let masks: usize = self
            .probes
            .iter()
            .map(|probe| match probe {
                Probe::Share { members, .. } => members.capacity(),
                Probe::Crossover { partner, rival, .. } => partner.capacity() + rival.capacity(),
                Probe::Flow { members, .. } => members.capacity(),
                _ => 0,
            })
            .sum();
        self.probes.capacity() * size_of::<Probe>()
            + masks
            + self.sources.capacity() * size_of::<usize>()
            + self.accumulators.capacity() * size_of::<Accumulator>()
            + self.latest.capacity() * size_of::<Lanes>()
    }

    /// Empties every outcome's running value, for the next group of runs.
    pub fn reset(&mut self) {
        self.accumulators.fill(EMPTY);
        self.latest.fill(Lanes::splat(f32::NAN));
    }

    /// Reads the outcomes' measures at the end of `month`: every one when `every_measure`
    /// (traces and envelopes want them all), otherwise only those whose reduction uses this
    /// month, the others' latest values being left as NaN.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    #[cfg_attr(not(feature = "profile-parts"), inline(always))]
    pub fn observe(&mut self, model: &Model, state: &State, month: u32, every_measure: bool) {
        let outcomes = model.scenario().outcomes.iter();
        for (outcome, (spec, accumulator)) in outcomes.zip(&mut self.accumulators).enumerate() {
            let needed = every_measure
                || match (&spec.measure, spec.reduction) {
                    // A crossover is watched until it happens in every lane.
                    (Measure::Crossover { .. }, _) => {
                        accumulator.value.iter().any(|value| value.is_nan())
                    }
                    (_, Reduction::At(at)) => at == month,
                    (
                        _,
                        Reduction::Mean { from, to }
                        | Reduction::Min { from, to }
                        | Reduction::Max { from, to },
                    ) => (from..=to).contains(&month),
                };
            if !needed {
                self.latest[outcome] = Lanes::splat(f32::NAN);
                continue;
            }
            // An earlier outcome with the same measure was read this month when every measure
            // is read; otherwise it may not have been, and this one reads its own.
            let source = self.sources[outcome];
            let lanes = if every_measure && source < outcome {
                self.latest[source]
            } else {
                self.probes[outcome].read(state)
            };
            self.latest[outcome] = lanes;
            let values = lanes.to_f64();
            if let Measure::Crossover { .. } = spec.measure {
                for (folded, value) in accumulator.value.iter_mut().zip(values) {
                    if folded.is_nan() && value > 0.0 {
                        *folded = f64::from(month);
                    }
                }
                continue;
            }
            match spec.reduction {
                Reduction::At(at) if at == month => accumulator.value = values,
                Reduction::At(_) => {}
                Reduction::Mean { from, to }
                | Reduction::Min { from, to }
                | Reduction::Max { from, to }
                    if (from..=to).contains(&month) =>
                {
                    accumulator.count += 1;
                    let folds = accumulator.sum.iter_mut().zip(&mut accumulator.value);
                    for ((sum, folded), value) in folds.zip(values) {
                        *sum += value;
                        *folded = match spec.reduction {
                            Reduction::Min { .. } => folded.min(value),
                            Reduction::Max { .. } => folded.max(value),
                            _ => *folded,
                        };
                    }
                }
                _ => {}
            }
        }
    }

    /// Each outcome's measure in the month last observed, in every lane.
    pub fn latest(&self) -> &[Lanes] {
        &self.latest
    }

    /// Writes the encoded value of every outcome of every lane into `out` (cleared first):
    /// lane by lane, each lane's outcomes in scenario order.
    pub fn finish(&self, model: &Model, state: &State, out: &mut Vec<f64>) {
        out.clear();
        for lane in 0..LANES {
            for (spec, accumulator) in model.scenario().outcomes.iter().zip(&self.accumulators) {
                let value = match (&spec.measure, spec.reduction) {
                    (Measure::RegimeChangeMonth { actor }, _) => {
                        let end = state.regime_end[actor.0 as usize].0[lane];
                        if end == REGIME_LASTS {
                            f64::NAN
                        } else {
                            f64::from(end)
                        }
                    }
                    (Measure::Crossover { .. }, _) => accumulator.value[lane],
                    (_, Reduction::Mean { .. }) => {
                        accumulator.sum[lane] / f64::from(accumulator.count)
                    }
                    _ => accumulator.value[lane],
                };
                out.push(match spec.given {
                    Some(given) if !holds(given, spec, state, lane) => f64::NAN,
                    _ => value,
                });
            }
        }
    }
}

/// Whether a conditional outcome's condition holds in `lane`: whether the regime of its actor
/// survived (or fell) by the last month of its window.
fn holds(given: Given, spec: &OutcomeSpec, state: &State, lane: usize) -> bool {
    let last = spec.reduction.last_month();
    let end = state.regime_end[spec.measure.actor().0 as usize].0[lane];
    let survived = end == REGIME_LASTS || end > last as f32;
    survived == (given == Given::Survived)
}

/// The month-by-month record of one run: for each actor its capacity, position and (if
/// followed) stability and regime, then each outcome's monthly measure.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The column names: `ID.capacity` and `ID.position` per actor (with `ID.stability` and
    /// `ID.regime` for a followed one), then each outcome's name.
    pub columns: Vec<String>,
    /// Row-major: `values[month * columns.len() + column]`.
    pub values: Vec<f64>,
    /// The calendar month of each row.
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

    /// Removes every row, keeping the columns and the memory.
    pub fn clear(&mut self) {
        self.values.clear();
        self.months.clear();
    }

    /// Records `lane`'s state and measures at the end of `month`.
    pub(crate) fn record(
        &mut self,
        model: &Model,
        state: &State,
        tracker: &Tracker,
        month: u32,
        lane: usize,
    ) {
        let scenario = model.scenario();
        self.months.push(scenario.start.plus(month as i32));
        for (index, actor) in scenario.actors.iter().enumerate() {
            self.values.push(f64::from(state.capacity(index).0[lane]));
            self.values.push(f64::from(state.position[index].0[lane]));
            if actor.stability.is_some() {
                self.values.push(f64::from(state.stability[index].0[lane]));
                self.values
                    .push(f64::from(u8::from(state.regime_lasts(index).is_set(lane))));
            }
        }
        self.values.extend(
            tracker
                .latest()
                .iter()
                .map(|lanes| f64::from(lanes.0[lane])),
        );
    }

    /// The recorded row of one month.
    pub fn row(&self, month: usize) -> &[f64] {
        let width = self.columns.len();
        &self.values[month * width..(month + 1) * width]
    }
}
