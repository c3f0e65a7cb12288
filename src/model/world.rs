//! The compiled model (what every run of a scenario shares) and the per-run world state, both
//! as flat arrays indexed by actor and channel.

use wide::f32x8;

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
    /// 1 for the coalition's members, 0 for others and in the padding: a padded row for
    /// [`State::share_held`].
    pub coalition_mask: Vec<f32>,
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
    pub channels: ChannelSet,
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
    pub(crate) rules: Vec<CompiledRule>,
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
            rules: Vec::new(),
            waning_channels: None,
            fuse_tie_pass: false,
            followed: Vec::new(),
            noise_purposes: Vec::new(),
            hazard_purposes: Vec::new(),
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
                    let mut coalition_mask = vec![0.0; padded(n)];
                    for &member in &members {
                        coalition_mask[member] = 1.0;
                    }
                    let compiled = SanctionEvent {
                        window,
                        coalition: members,
                        coalition_mask,
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
                    channels,
                } => model.outreach.push(OutreachEvent {
                    window,
                    from: from.0 as usize,
                    to: to.0 as usize,
                    strength: slot(*strength),
                    channels: *channels,
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
                    .hazard_purposes
                    .push(Purpose::named(&format!("hazard:{}", actor.id)));
            }
        }
        model
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn actor_count(&self) -> usize {
        self.n
    }

    pub fn channel_count(&self) -> usize {
        self.channel_count
    }

    pub fn months(&self) -> usize {
        self.months
    }
}

/// Marks an actor whose regime has not ended.
pub const REGIME_LASTS: u32 = u32::MAX;

/// Tie rows are padded to a multiple of this many weights, so that passes over a row work on
/// whole groups of lanes the compiler can vectorise, with no remainder loop.
pub const LANES: usize = 8;

/// The length of a padded row of `n` actors' ties.
pub fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// The state of one run's world: one array per attribute, ties as one dense array.
///
/// Tie weights are `f32`: they lie in [0, 1], where single precision resolves 6·10⁻⁸, far
/// below any parameter's uncertainty, and it halves the memory a run touches every month
/// (docs/PERFORMANCE.md). Rows are padded with zeros to [`State::stride`]; the padding and the
/// diagonal (an actor's tie to itself) are always 0.
#[derive(Clone, Debug)]
pub struct State {
    n: usize,
    stride: usize,
    pub capacity: Vec<f64>,
    pub initial_capacity: Vec<f64>,
    /// Annual growth rate.
    pub growth: Vec<f64>,
    pub position: Vec<f64>,
    /// The initial position each actor is anchored to (Friedkin-Johnsen's x(0)).
    pub anchor: Vec<f64>,
    pub stubbornness: Vec<f64>,
    /// Stability of followed regimes (0 for others).
    pub stability: Vec<f64>,
    /// The month index in which each regime ended, or [`REGIME_LASTS`].
    pub regime_end: Vec<u32>,
    /// `weights[(channel * n + from) * stride + to]`: how much `from` depends on `to`.
    pub(crate) weights: Vec<f32>,
    /// Each actor's commitments at the start, for the commitment-waning budget.
    pub initial_commitment: Vec<f64>,
}

impl State {
    pub(crate) fn sized(n: usize, channels: usize) -> State {
        let stride = padded(n);
        State {
            n,
            stride,
            capacity: vec![0.0; n],
            initial_capacity: vec![0.0; n],
            growth: vec![0.0; n],
            position: vec![0.0; n],
            anchor: vec![0.0; n],
            stubbornness: vec![0.0; n],
            stability: vec![0.0; n],
            regime_end: vec![REGIME_LASTS; n],
            weights: vec![0.0; channels * n * stride],
            initial_commitment: vec![0.0; n],
        }
    }

    /// Sets the state at the start of a run from the drawn parameter values.
    pub(crate) fn initialise(&mut self, model: &Model, params: &[f64]) {
        let scenario = model.scenario();
        for (index, actor) in scenario.actors.iter().enumerate() {
            self.capacity[index] = params[slot(actor.capacity)];
            self.initial_capacity[index] = self.capacity[index];
            self.growth[index] = params[slot(actor.growth)];
            self.position[index] = params[slot(actor.position)];
            self.anchor[index] = self.position[index];
            self.stubbornness[index] = params[slot(actor.stubbornness)];
            self.stability[index] = actor.stability.map_or(0.0, |id| params[slot(id)]);
            self.regime_end[index] = REGIME_LASTS;
        }
        self.weights.fill(0.0);
        for tie in &scenario.ties {
            let index = self.index(
                tie.channel.0 as usize,
                tie.from.0 as usize,
                tie.to.0 as usize,
            );
            self.weights[index] = params[slot(tie.weight)] as f32;
        }
    }

    pub fn actor_count(&self) -> usize {
        self.n
    }

    /// The length of a padded tie row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Index of the tie `from -> to` on `channel` in [`State::weights`].
    #[inline]
    pub fn index(&self, channel: usize, from: usize, to: usize) -> usize {
        (channel * self.n + from) * self.stride + to
    }

    #[inline]
    pub fn weight(&self, channel: usize, from: usize, to: usize) -> f64 {
        f64::from(self.weights[self.index(channel, from, to)])
    }

    /// The padded row of `from`'s ties on `channel` ([`State::stride`] weights).
    #[inline]
    pub fn row(&self, channel: usize, from: usize) -> &[f32] {
        let start = self.index(channel, from, 0);
        &self.weights[start..start + self.stride]
    }

    #[inline]
    pub(crate) fn row_mut(&mut self, channel: usize, from: usize) -> &mut [f32] {
        let start = self.index(channel, from, 0);
        &mut self.weights[start..start + self.stride]
    }

    /// Sets the tie `from -> to` on `channel`, keeping the state's invariants: the weight is
    /// clamped to [0, 1] (a non-finite one becomes 0), and an actor's tie to itself stays 0.
    pub fn set_weight(&mut self, channel: usize, from: usize, to: usize, weight: f64) {
        if from != to {
            let index = self.index(channel, from, to);
            self.weights[index] = if weight.is_finite() {
                weight.clamp(0.0, 1.0) as f32
            } else {
                0.0
            };
        }
    }

    pub fn regime_lasts(&self, actor: usize) -> bool {
        self.regime_end[actor] == REGIME_LASTS
    }

    /// Share of `actor`'s tie weight on `channels` held by the partners whose `mask` entry is
    /// 1 (a padded row of 0s and 1s); 0 when the actor has no ties there.
    pub fn share_held(&self, actor: usize, mask: &[f32], channels: ChannelSet) -> f64 {
        let mut held = ZERO;
        let mut total = ZERO;
        for channel in channels.iter() {
            let row = self.row(channel, actor);
            for (weights, mask) in row.chunks_exact(LANES).zip(mask.chunks_exact(LANES)) {
                let weights = load(weights);
                total += weights;
                held += weights * load(mask);
            }
        }
        let total = lane_sum(&total.to_array());
        if total > 0.0 {
            lane_sum(&held.to_array()) / total
        } else {
            0.0
        }
    }

    pub fn attribute(&self, attribute: Attribute, actor: usize) -> f64 {
        match attribute {
            Attribute::Capacity => self.capacity[actor],
            Attribute::Growth => self.growth[actor],
            Attribute::Position => self.position[actor],
            Attribute::Stability => self.stability[actor],
            Attribute::Stubbornness => self.stubbornness[actor],
        }
    }

    pub(crate) fn attribute_mut(&mut self, attribute: Attribute, actor: usize) -> &mut f64 {
        match attribute {
            Attribute::Capacity => &mut self.capacity[actor],
            Attribute::Growth => &mut self.growth[actor],
            Attribute::Position => &mut self.position[actor],
            Attribute::Stability => &mut self.stability[actor],
            Attribute::Stubbornness => &mut self.stubbornness[actor],
        }
    }

    /// Keeps every actor attribute in its domain and replaces non-finite values by 0; returns
    /// how many non-finite values it found. Tie weights need no such pass: every rule keeps
    /// the weights it writes finite and in [0, 1] (see `rules`).
    pub(crate) fn sanitise(&mut self) -> u64 {
        let mut non_finite = 0;
        let mut clamp = |values: &mut [f64], low: f64, high: f64| {
            for value in values {
                let finite = value.is_finite();
                non_finite += u64::from(!finite);
                let kept = if finite { *value } else { 0.0 };
                *value = kept.max(low).min(high);
            }
        };
        clamp(&mut self.capacity, 0.0, f64::MAX);
        clamp(&mut self.position, -1.0, 1.0);
        clamp(&mut self.stability, 0.0, 1.0);
        clamp(&mut self.stubbornness, 0.0, 1.0);
        clamp(&mut self.growth, -0.99, f64::MAX);
        non_finite
    }
}

/// Lane vectors of the constants the passes use.
pub(crate) const ZERO: f32x8 = f32x8::splat(0.0);
pub(crate) const HALF: f32x8 = f32x8::splat(0.5);
pub(crate) const ONE: f32x8 = f32x8::splat(1.0);

/// A group of [`LANES`] weights as one vector (the slice is exactly that long).
#[inline(always)]
pub(crate) fn load(lanes: &[f32]) -> f32x8 {
    f32x8::new(lanes.try_into().expect("a group of LANES"))
}

#[inline(always)]
pub(crate) fn store(lanes: &mut [f32], vector: f32x8) {
    lanes.copy_from_slice(&vector.to_array());
}

/// The sum of a group of lanes, in a fixed order (so the same on every machine), widened.
#[inline]
pub(crate) fn lane_sum(lanes: &[f32; LANES]) -> f64 {
    let pairs = [
        lanes[0] + lanes[4],
        lanes[1] + lanes[5],
        lanes[2] + lanes[6],
        lanes[3] + lanes[7],
    ];
    f64::from((pairs[0] + pairs[2]) + (pairs[1] + pairs[3]))
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
