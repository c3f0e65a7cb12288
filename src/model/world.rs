//! The compiled model (what every run of a scenario shares) and the per-run world state, both
//! as flat arrays indexed by actor and channel.

use std::sync::Arc;

use super::lanes::{LANES, Lanes, Mask};
use crate::design::Experiment;
use crate::param::ParamId;
use crate::rng::Purpose;
use crate::scenario::{Attribute, ChannelSet, EventKind, RuleKind, Scenario};

/// Mean radius of the Earth in kilometres, for great-circle distances.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Distances in the substitution logit are measured in units of this many kilometres.
const DISTANCE_UNIT_KM: f64 = 10_000.0;

/// Months in which an event is active, as month indices from the scenario start (inclusive).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub first: u32,
    pub last: u32,
}

impl Window {
    pub fn contains(self, month: u32) -> bool {
        (self.first..=self.last).contains(&month)
    }
}

/// A parameter's position in the run's drawn values.
pub(crate) type Slot = usize;

pub(crate) struct SanctionEvent {
    pub window: Window,
    pub coalition: Vec<usize>,
    /// Whether each actor is in the coalition.
    pub in_coalition: Vec<bool>,
    pub target: usize,
    pub intensity: Slot,
    pub channels: ChannelSet,
}

pub(crate) struct WarEvent {
    pub window: Window,
    pub belligerent: usize,
    pub capacity_drain: Slot,
    pub budget_absorbed: Slot,
}

pub(crate) struct OutreachEvent {
    pub window: Window,
    pub from: usize,
    pub to: usize,
    pub strength: Slot,
    /// Monthly fraction of what the offer added that fades after it ends.
    pub fade: Slot,
    pub channels: ChannelSet,
}

/// A one-off change of a tie and of its fundamental level (see `EventKind::Tie`).
pub(crate) struct TieEvent {
    pub month: u32,
    pub from: usize,
    pub to: usize,
    pub channels: ChannelSet,
    pub weight: Slot,
}

/// What follows a followed regime's fall (see `scenario::Successor`).
pub(crate) struct CompiledSuccessor {
    pub position: Slot,
    pub transition_months: Slot,
    pub sanctions_lift_months: Slot,
}

pub(crate) struct ShockEvent {
    pub month: u32,
    pub actors: Vec<usize>,
    pub attribute: Attribute,
    pub operation: crate::scenario::ShockOperation,
    pub value: Slot,
}

/// A rule switched on, with the slots of its parameters in definition order.
pub(crate) struct CompiledRule {
    pub kind: RuleKind,
    pub params: Vec<Slot>,
    pub channels: ChannelSet,
}

/// Everything the runs of one scenario share: the scenario, its events split by kind, the
/// distance matrix, and for each patron its other actors from the farthest to the nearest.
pub struct Model {
    scenario: Scenario,
    n: usize,
    channel_count: usize,
    months: usize,
    /// `distance_units[i * n + j]`: the great-circle distance between actors `i` and `j`, in
    /// the substitution logit's units of [`DISTANCE_UNIT_KM`].
    pub(crate) distance_units: Vec<f64>,
    /// `farthest_first[i * (n - 1)..]`: every actor but `i`, farthest from `i` first.
    pub(crate) farthest_first: Vec<usize>,
    pub(crate) sanctions: Vec<SanctionEvent>,
    pub(crate) secondary_sanctions: Vec<SanctionEvent>,
    pub(crate) wars: Vec<WarEvent>,
    pub(crate) outreach: Vec<OutreachEvent>,
    pub(crate) shocks: Vec<ShockEvent>,
    pub(crate) tie_events: Vec<TieEvent>,
    pub(crate) rules: Vec<CompiledRule>,
    /// The channels of the patron-bid rule, if it is on: each run's initial commitments on
    /// them are the bidders' reference.
    pub(crate) bid_channels: Option<ChannelSet>,
    /// For each followed actor (in `followed` order), its transition if it has one.
    pub(crate) successors: Vec<Option<CompiledSuccessor>>,
    /// Whether a rule reads the ties' fundamental levels (relaxation, bids): only then does
    /// the state keep them, a second array as large as the weights.
    pub(crate) keeps_fundamentals: bool,
    /// The channels of the commitment-waning rule, if it is on: each run's initial
    /// commitments are summed over them.
    pub(crate) waning_channels: Option<ChannelSet>,
    /// Whether homophily is directly followed by influence, so that a step applies both in
    /// one pass over the ties (see `rules::apply_homophily_and_influence`).
    pub(crate) fuse_tie_pass: bool,
    /// Actors whose regime is followed (those with a stability), in actor order.
    pub(crate) followed: Vec<usize>,
    pub(crate) noise_purposes: Vec<Purpose>,
    pub(crate) hazard_purposes: Vec<Purpose>,
    /// The design whose points set some parameters of each run, if any (see
    /// [`Model::set_experiment`]).
    pub(crate) experiment: Option<BoundExperiment>,
}

/// An experiment and, for each of its uncertainties, the slot of the model's parameter it
/// sets (none where this model's scenario says something else of the key).
pub(crate) struct BoundExperiment {
    pub experiment: Arc<Experiment>,
    pub slots: Vec<Option<Slot>>,
}

fn slot(id: ParamId) -> Slot {
    id.0 as usize
}

fn great_circle_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let half_chord = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * half_chord.sqrt().min(1.0).asin()
}

impl Model {
    /// Compiles a validated scenario into flat arrays: great-circle distances, each actor's
    /// others ordered farthest first, and the events split by kind.
    pub fn new(scenario: Scenario) -> Model {
        let n = scenario.actors.len();
        let mut distance = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                distance[i * n + j] =
                    great_circle_km(scenario.actors[i].location, scenario.actors[j].location);
            }
        }
        let mut farthest_first = Vec::with_capacity(n * n.saturating_sub(1));
        for i in 0..n {
            let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            // Ties in distance fall back to actor order so that the order is total and fixed.
            others.sort_by(|&a, &b| {
                distance[i * n + b]
                    .total_cmp(&distance[i * n + a])
                    .then(a.cmp(&b))
            });
            farthest_first.extend(others);
        }
        let last = scenario.months() as u32 - 1;
        let window = |event: &crate::scenario::Event| Window {
            first: event.start.months_since(scenario.start) as u32,
            last: event
                .end
                .map_or(last, |end| end.months_since(scenario.start) as u32),
        };
        let distance_units = distance.iter().map(|km| km / DISTANCE_UNIT_KM).collect();
        let mut model = Model {
            n,
            distance_units,
            channel_count: scenario.channels.len(),
            months: scenario.months(),
            farthest_first,
            sanctions: Vec::new(),
            secondary_sanctions: Vec::new(),
            wars: Vec::new(),
            outreach: Vec::new(),
            shocks: Vec::new(),
            tie_events: Vec::new(),
            rules: Vec::new(),
            bid_channels: None,
            successors: Vec::new(),
            keeps_fundamentals: false,
            waning_channels: None,
            fuse_tie_pass: false,
            followed: Vec::new(),
            noise_purposes: Vec::new(),
            hazard_purposes: Vec::new(),
            experiment: None,
            scenario: scenario.clone(),
        };
        for event in &scenario.events {
            let window = window(event);
            match &event.kind {
                EventKind::Sanctions {
                    coalition,
                    target,
                    intensity,
                    channels,
                }
                | EventKind::SecondarySanctions {
                    coalition,
                    target,
                    intensity,
                    channels,
                } => {
                    let members: Vec<usize> = coalition.iter().map(|id| id.0 as usize).collect();
                    let mut in_coalition = vec![false; n];
                    for &member in &members {
                        in_coalition[member] = true;
                    }
                    let compiled = SanctionEvent {
                        window,
                        coalition: members,
                        in_coalition,
                        target: target.0 as usize,
                        intensity: slot(*intensity),
                        channels: *channels,
                    };
                    if matches!(event.kind, EventKind::Sanctions { .. }) {
                        model.sanctions.push(compiled);
                    } else {
                        model.secondary_sanctions.push(compiled);
                    }
                }
                EventKind::War {
                    belligerent,
                    capacity_drain,
                    budget_absorbed,
                } => model.wars.push(WarEvent {
                    window,
                    belligerent: belligerent.0 as usize,
                    capacity_drain: slot(*capacity_drain),
                    budget_absorbed: slot(*budget_absorbed),
                }),
                EventKind::Outreach {
                    from,
                    to,
                    strength,
                    fade,
                    channels,
                } => model.outreach.push(OutreachEvent {
                    window,
                    from: from.0 as usize,
                    to: to.0 as usize,
                    strength: slot(*strength),
                    fade: slot(*fade),
                    channels: *channels,
                }),
                EventKind::Tie {
                    from,
                    to,
                    channels,
                    weight,
                } => model.tie_events.push(TieEvent {
                    month: window.first,
                    from: from.0 as usize,
                    to: to.0 as usize,
                    channels: *channels,
                    weight: slot(*weight),
                }),
                EventKind::Shock {
                    actors,
                    attribute,
                    operation,
                    value,
                } => model.shocks.push(ShockEvent {
                    month: window.first,
                    actors: actors.iter().map(|id| id.0 as usize).collect(),
                    attribute: *attribute,
                    operation: *operation,
                    value: slot(*value),
                }),
            }
        }
        model.rules = scenario
            .rules
            .iter()
            .map(|rule| CompiledRule {
                kind: rule.kind,
                params: rule.params.iter().map(|id| slot(*id)).collect(),
                channels: rule.channels,
            })
            .collect();
        model.waning_channels = model
            .rules
            .iter()
            .find(|rule| rule.kind == RuleKind::CommitmentWaning)
            .map(|rule| rule.channels);
        model.keeps_fundamentals = model
            .rules
            .iter()
            .any(|rule| matches!(rule.kind, RuleKind::TieRelaxation | RuleKind::PatronBid));
        model.bid_channels = model
            .rules
            .iter()
            .find(|rule| rule.kind == RuleKind::PatronBid)
            .map(|rule| rule.channels);
        model.fuse_tie_pass = model
            .rules
            .windows(2)
            .any(|pair| pair[0].kind == RuleKind::Homophily && pair[1].kind == RuleKind::Influence);
        for (index, actor) in scenario.actors.iter().enumerate() {
            model
                .noise_purposes
                .push(Purpose::named(&format!("growth-noise:{}", actor.id)));
            if actor.stability.is_some() {
                model.followed.push(index);
                model
                    .successors
                    .push(actor.successor.as_ref().map(|successor| CompiledSuccessor {
                        position: slot(successor.position),
                        transition_months: slot(successor.transition_months),
                        sanctions_lift_months: slot(successor.sanctions_lift_months),
                    }));
                model
                    .hazard_purposes
                    .push(Purpose::named(&format!("hazard:{}", actor.id)));
            }
        }
        model
    }

    /// The scenario the model was compiled from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Makes every run take the parameters `experiment` varies from its design point (and its
    /// streams from [`Experiment::stream_run`]). A parameter is set only where this scenario
    /// declares the key with the same distribution as the scenario the experiment was made
    /// for, so a variant that changes a parameter keeps its own; returns the keys left to the
    /// scenario's own draws.
    pub fn set_experiment(&mut self, experiment: Arc<Experiment>) -> Vec<String> {
        let mut unbound = Vec::new();
        let slots = experiment
            .uncertainties()
            .iter()
            .map(|uncertainty| {
                let slot = self.scenario.params().iter().position(|spec| {
                    spec.key == uncertainty.key && spec.distribution == uncertainty.declared
                });
                if slot.is_none() {
                    unbound.push(uncertainty.key.clone());
                }
                slot
            })
            .collect();
        self.experiment = Some(BoundExperiment { experiment, slots });
        unbound
    }

    /// The experiment set by [`Model::set_experiment`], if any.
    pub fn experiment(&self) -> Option<&Arc<Experiment>> {
        self.experiment.as_ref().map(|bound| &bound.experiment)
    }

    /// The number of actors.
    pub fn actor_count(&self) -> usize {
        self.n
    }

    /// The number of channels.
    pub fn channel_count(&self) -> usize {
        self.channel_count
    }

    /// The number of monthly steps of a run, both ends of the period included.
    pub fn months(&self) -> usize {
        self.months
    }
}

/// Marks an actor whose regime has not ended, in [`State::regime_end`].
pub const REGIME_LASTS: f32 = f32::INFINITY;

/// The state of the worlds of one group of [`LANES`] runs, one run per lane: one array of
/// [`Lanes`] per attribute, indexed by actor, and the ties as one dense array of them.
///
/// Everything is `f32`. Tie weights lie in [0, 1], where single precision resolves 6·10⁻⁸,
/// far below any parameter's uncertainty; capacity is kept as its natural logarithm, so that
/// growth is an addition and its precision is relative. The diagonal (an actor's tie to
/// itself) is always 0.
#[derive(Clone, Debug)]
pub struct State {
    n: usize,
    /// ln of each actor's capacity (−∞ for a capacity of 0).
    pub log_capacity: Vec<Lanes>,
    /// ln of each actor's capacity at the start of the run (commitment waning's budget and
    /// patron bids' spare capacity compare against it).
    pub initial_log_capacity: Vec<Lanes>,
    /// Annual growth rate.
    pub growth: Vec<Lanes>,
    /// Each actor's alignment, in [-1, 1].
    pub position: Vec<Lanes>,
    /// The initial position each actor is anchored to (Friedkin-Johnsen's x(0)).
    pub anchor: Vec<Lanes>,
    /// Weight of each actor's anchor in its monthly position update, in [0, 1].
    pub stubbornness: Vec<Lanes>,
    /// Stability of followed regimes (0 for others).
    pub stability: Vec<Lanes>,
    /// The month index in which each regime ended, or [`REGIME_LASTS`].
    pub regime_end: Vec<Lanes>,
    /// `weights[(channel * n + from) * n + to]`: how much `from` depends on `to`.
    pub(crate) weights: Vec<Lanes>,
    /// Each actor's commitments at the start, for the commitment-waning budget.
    pub initial_commitment: Vec<Lanes>,
    /// The level each tie relaxes toward (`tie_relaxation`, `patron_bid`), indexed as
    /// `weights`: its initial weight until a tie event sets it. Empty unless a rule reads it.
    pub(crate) fundamental: Vec<Lanes>,
    /// `fundamental_total[channel * n + from]`: the sum of a row's fundamental levels, kept
    /// with `fundamental` (a patron bid's reference for what a client lacks).
    pub(crate) fundamental_total: Vec<Lanes>,
    /// Each actor's trend of log capacity (`regime_survival`'s revenue term): an exponential
    /// moving average that starts at the initial log capacity.
    pub log_capacity_trend: Vec<Lanes>,
    /// `outreach_added[event * channels + channel]`: the weight each outreach event has added
    /// to its tie and not yet faded.
    pub(crate) outreach_added: Vec<Lanes>,
    /// Each actor's commitments at the start on the patron-bid rule's channels.
    pub initial_bid_commitment: Vec<Lanes>,
}

impl State {
    pub(crate) fn sized(
        n: usize,
        channels: usize,
        outreach_events: usize,
        keeps_fundamentals: bool,
    ) -> State {
        let actors = || vec![Lanes::ZERO; n];
        State {
            n,
            log_capacity: actors(),
            initial_log_capacity: actors(),
            growth: actors(),
            position: actors(),
            anchor: actors(),
            stubbornness: actors(),
            stability: actors(),
            regime_end: vec![Lanes::splat(REGIME_LASTS); n],
            weights: vec![Lanes::ZERO; channels * n * n],
            initial_commitment: actors(),
            fundamental: vec![
                Lanes::ZERO;
                if keeps_fundamentals {
                    channels * n * n
                } else {
                    0
                }
            ],
            fundamental_total: vec![Lanes::ZERO; if keeps_fundamentals { channels * n } else { 0 }],
            log_capacity_trend: actors(),
            outreach_added: vec![Lanes::ZERO; outreach_events * channels],
            initial_bid_commitment: actors(),
        }
    }

    /// Sets the state at the start of the runs from their drawn parameter values: `params[lane]`
    /// in scenario order, and the same as `values[slot]`, one [`Lanes`] per parameter.
    pub(crate) fn initialise(
        &mut self,
        model: &Model,
        params: &[Vec<f64>; LANES],
        values: &[Lanes],
    ) {
        let scenario = model.scenario();
        let value = |slot: Slot| values[slot];
        for (index, actor) in scenario.actors.iter().enumerate() {
            // The logarithm is taken in f64, then rounded: exact to f32 precision.
            let mut log_capacity = [0.0; LANES];
            for (log, params) in log_capacity.iter_mut().zip(params) {
                *log = params[slot(actor.capacity)].max(0.0).ln();
            }
            self.log_capacity[index] = Lanes::from_f64(&log_capacity);
            self.initial_log_capacity[index] = self.log_capacity[index];
            self.growth[index] = value(slot(actor.growth));
            self.position[index] = value(slot(actor.position));
            self.anchor[index] = self.position[index];
            self.stubbornness[index] = value(slot(actor.stubbornness));
            self.stability[index] = actor.stability.map_or(Lanes::ZERO, |id| value(slot(id)));
            self.regime_end[index] = Lanes::splat(REGIME_LASTS);
        }
        self.weights.fill(Lanes::ZERO);
        for tie in &scenario.ties {
            let index = self.index(
                tie.channel.0 as usize,
                tie.from.0 as usize,
                tie.to.0 as usize,
            );
            self.weights[index] = value(slot(tie.weight));
        }
        if !self.fundamental.is_empty() {
            self.fundamental.copy_from_slice(&self.weights);
            for row in 0..self.fundamental_total.len() {
                self.update_fundamental_total(row);
            }
        }
        self.log_capacity_trend.copy_from_slice(&self.log_capacity);
        self.outreach_added.fill(Lanes::ZERO);
    }

    /// The number of actors.
    pub fn actor_count(&self) -> usize {
        self.n
    }

    /// Index of the tie `from -> to` on `channel` in the weights.
    #[inline(always)]
    pub fn index(&self, channel: usize, from: usize, to: usize) -> usize {
        (channel * self.n + from) * self.n + to
    }

    /// The tie `from -> to` on `channel`, in every lane.
    #[inline(always)]
    pub fn weight(&self, channel: usize, from: usize, to: usize) -> Lanes {
        self.weights[self.index(channel, from, to)]
    }

    /// The row of `from`'s ties on `channel` (one entry per actor).
    #[inline(always)]
    pub fn row(&self, channel: usize, from: usize) -> &[Lanes] {
        let start = self.index(channel, from, 0);
        &self.weights[start..start + self.n]
    }

    /// Sets the tie `from -> to` on `channel` in every lane, and the level it relaxes toward,
    /// keeping the state's invariants:
    /// the weight is clamped to [0, 1] (a non-finite one becomes 0), and an actor's tie to
    /// itself stays 0.
    pub fn set_weight(&mut self, channel: usize, from: usize, to: usize, weight: f64) {
        if from != to {
            let weight = if weight.is_finite() {
                weight.clamp(0.0, 1.0) as f32
            } else {
                0.0
            };
            self.set_tie(channel, from, to, Lanes::splat(weight));
        }
    }

    /// Sets the tie `from -> to` on `channel`, and the level it relaxes toward where the state
    /// keeps those (a tie event; `set_weight`). `weight` must lie in [0, 1] and `from` ≠ `to`.
    pub(crate) fn set_tie(&mut self, channel: usize, from: usize, to: usize, weight: Lanes) {
        let index = self.index(channel, from, to);
        self.weights[index] = weight;
        if let Some(fundamental) = self.fundamental.get_mut(index) {
            *fundamental = weight;
            self.update_fundamental_total(channel * self.n + from);
        }
    }

    /// Recomputes one row's total of fundamental levels (`row` = channel × n + from), in
    /// actor order.
    fn update_fundamental_total(&mut self, row: usize) {
        let mut total = Lanes::ZERO;
        for &level in &self.fundamental[row * self.n..(row + 1) * self.n] {
            total += level;
        }
        self.fundamental_total[row] = total;
    }

    /// In which lanes `actor`'s regime has not ended.
    #[inline(always)]
    pub fn regime_lasts(&self, actor: usize) -> Mask {
        self.regime_end[actor].equal(Lanes::splat(REGIME_LASTS))
    }

    /// Share of `actor`'s tie weight on `channels` held by `members`; 0 where the actor has no
    /// ties there. Sums run in actor order, so every lane adds the same way.
    #[inline(always)]
    pub fn share_held(&self, actor: usize, in_group: &[bool], channels: ChannelSet) -> Lanes {
        let mut held = Lanes::ZERO;
        let mut total = Lanes::ZERO;
        for channel in channels.iter() {
            for (&weight, &member) in self.row(channel, actor).iter().zip(in_group) {
                total += weight;
                if member {
                    held += weight;
                }
            }
        }
        total
            .greater_than(Lanes::ZERO)
            .select(held / total, Lanes::ZERO)
    }

    /// The ties `from -> to` summed over `channels`, in channel order.
    #[inline(always)]
    pub fn weight_sum(&self, channels: ChannelSet, from: usize, to: usize) -> Lanes {
        let mut sum = Lanes::ZERO;
        for channel in channels.iter() {
            sum += self.weight(channel, from, to);
        }
        sum
    }

    /// Each lane's capacity of `actor`.
    #[inline(always)]
    pub fn capacity(&self, actor: usize) -> Lanes {
        self.log_capacity[actor].exp()
    }

    /// Each lane's value of one attribute of `actor` (capacity itself, not its logarithm).
    pub fn attribute(&self, attribute: Attribute, actor: usize) -> Lanes {
        match attribute {
            Attribute::Capacity => self.capacity(actor),
            Attribute::Growth => self.growth[actor],
            Attribute::Position => self.position[actor],
            Attribute::Stability => self.stability[actor],
            Attribute::Stubbornness => self.stubbornness[actor],
        }
    }

    /// Sets one lane of an attribute; capacity is given as itself and kept as its logarithm.
    pub(crate) fn set_attribute(
        &mut self,
        attribute: Attribute,
        actor: usize,
        lane: usize,
        value: f64,
    ) {
        let slot = match attribute {
            Attribute::Capacity => {
                self.log_capacity[actor].0[lane] = value.max(0.0).ln() as f32;
                return;
            }
            Attribute::Growth => &mut self.growth[actor],
            Attribute::Position => &mut self.position[actor],
            Attribute::Stability => &mut self.stability[actor],
            Attribute::Stubbornness => &mut self.stubbornness[actor],
        };
        slot.0[lane] = value as f32;
    }

    /// Keeps every actor attribute in its domain and replaces non-finite values by 0 (a NaN
    /// or infinite capacity by a capacity of 0); adds to each lane's count how many
    /// non-finite values it found. Tie weights need no such pass: every rule keeps the
    /// weights it writes finite and in [0, 1] (see `rules`).
    #[cfg_attr(feature = "profile-parts", inline(never))]
    #[cfg_attr(not(feature = "profile-parts"), inline(always))]
    pub(crate) fn sanitise(&mut self, non_finite: &mut [u64; LANES]) {
        let mut count = |mask: Mask| mask.add_to(non_finite);
        for log_capacity in &mut self.log_capacity {
            // −∞ is a capacity of 0, not a fault; NaN and +∞ are.
            let bad = log_capacity.is_nan() | log_capacity.equal(Lanes::INFINITY);
            count(bad);
            *log_capacity = bad.select(Lanes::NEG_INFINITY, *log_capacity);
        }
        let mut clamp = |values: &mut [Lanes], low: f32, high: f32| {
            let (low, high) = (Lanes::splat(low), Lanes::splat(high));
            for value in values {
                let finite = value.is_finite();
                count(!finite);
                *value = finite.select(*value, Lanes::ZERO).clamp(low, high);
            }
        };
        clamp(&mut self.position, -1.0, 1.0);
        clamp(&mut self.stability, 0.0, 1.0);
        clamp(&mut self.stubbornness, 0.0, 1.0);
        clamp(&mut self.growth, -0.99, f32::MAX);
    }

    /// One lane's world, in `f64`, for tests and tools that look at single runs.
    pub fn lane(&self, lane: usize) -> RunState {
        let pick = |values: &[Lanes]| {
            values
                .iter()
                .map(|value| f64::from(value.0[lane]))
                .collect()
        };
        RunState {
            n: self.n,
            capacity: self
                .log_capacity
                .iter()
                .map(|log| f64::from(log.0[lane]).exp())
                .collect(),
            growth: pick(&self.growth),
            position: pick(&self.position),
            stubbornness: pick(&self.stubbornness),
            stability: pick(&self.stability),
            regime_end: self
                .regime_end
                .iter()
                .map(|end| (end.0[lane] != REGIME_LASTS).then_some(end.0[lane] as u32))
                .collect(),
            weights: self.weights.iter().map(|weight| weight.0[lane]).collect(),
        }
    }
}

/// One run's world, taken out of its lane (see [`State::lane`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    n: usize,
    /// Each actor's capacity, in the scenario's unit.
    pub capacity: Vec<f64>,
    /// Each actor's annual growth rate.
    pub growth: Vec<f64>,
    /// Each actor's alignment, in [-1, 1].
    pub position: Vec<f64>,
    /// Each actor's stubbornness, in [0, 1].
    pub stubbornness: Vec<f64>,
    /// Each followed regime's stability, in [0, 1] (0 for other actors).
    pub stability: Vec<f64>,
    /// The month each regime ended in, if it did.
    pub regime_end: Vec<Option<u32>>,
    weights: Vec<f32>,
}

impl RunState {
    /// How much `from` depends on `to` on `channel`, in [0, 1].
    pub fn weight(&self, channel: usize, from: usize, to: usize) -> f64 {
        f64::from(self.weights[(channel * self.n + from) * self.n + to])
    }

    /// Whether `actor`'s regime has not ended.
    pub fn regime_lasts(&self, actor: usize) -> bool {
        self.regime_end[actor].is_none()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn great_circle_distances_are_right() {
        // Caracas to Moscow is about 9,900 km; a point to itself is 0.
        let caracas = (10.5, -66.9);
        let moscow = (55.75, 37.62);
        let distance = great_circle_km(caracas, moscow);
        assert!((distance - 9_900.0).abs() < 150.0, "{distance}");
        assert_eq!(great_circle_km(caracas, caracas), 0.0);
    }
}
