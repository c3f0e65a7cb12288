//! The mechanisms, one function each, dispatched from one `match` in a fixed order. Each reads
//! its parameters from the run's drawn values; equations are documented in docs/MODEL.md.

use rand_distr::{Distribution, StandardNormal};

use super::Scratch;
use super::world::{CompiledRule, Model, State};
use crate::rng;
use crate::scenario::RuleKind;

/// Distances in the substitution logit are measured in units of this many kilometres.
const DISTANCE_UNIT_KM: f64 = 10_000.0;

/// Floor under capacities before taking logarithms, so that a zero capacity gives a very
/// unattractive partner instead of an infinite utility.
const MINIMUM_CAPACITY: f64 = 1e-12;

/// Applies one rule for one month.
pub(super) fn apply(
    rule: &CompiledRule,
    model: &Model,
    values: &[f64],
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
) {
    let param = |index: usize| values[rule.params[index]];
    match rule.kind {
        RuleKind::Capacity => capacity(state, scratch, param(0)),
        RuleKind::SanctionPressure => sanction_pressure(
            model,
            values,
            state,
            scratch,
            month,
            param(0),
            param(1),
            param(2),
        ),
        RuleKind::SanctionSubstitution => sanction_substitution(
            model,
            values,
            state,
            scratch,
            rule,
            month,
            Substitution {
                share: param(0),
                affinity_weight: param(1),
                capacity_weight: param(2),
                tie_weight: param(3),
                distance_weight: param(4),
                dissuasion_weight: param(5),
            },
        ),
        RuleKind::Dissuasion => dissuasion(model, values, state, scratch, month, param(0)),
        RuleKind::Outreach => outreach(model, values, state, month, param(0), param(1)),
        RuleKind::CommitmentWaning => {
            commitment_waning(model, state, scratch, rule, param(0), param(1), param(2))
        }
        RuleKind::Homophily => homophily(state, scratch, rule, param(0), param(1), param(2)),
        RuleKind::Influence => influence(state, scratch, rule, param(0)),
        RuleKind::RegimeSurvival => regime_survival(
            model,
            state,
            scratch,
            month,
            param(0),
            param(1),
            param(2),
            param(3),
        ),
    }
}

/// Rule 1: K ← K · exp(ln(1 + g)/12 + σε) · (1 − war drain).
fn capacity(state: &mut State, scratch: &mut Scratch, growth_noise: f64) {
    for actor in 0..state.actor_count() {
        let mut log_change = state.growth[actor].ln_1p() / 12.0;
        if growth_noise > 0.0 {
            let shock: f64 = StandardNormal.sample(&mut scratch.noise_streams[actor]);
            log_change += growth_noise * shock;
        }
        state.capacity[actor] *= log_change.exp() * (1.0 - scratch.war_drain[actor]);
    }
}

/// Rule 2: each active sanction cuts the coalition's ties with the target by
/// `tie_decay × intensity` a month (both directions); the target's lost dependence is recorded
/// for substitution; pressure = Σ intensity × coalition share of the target's ties costs the
/// target capacity and stability.
#[allow(clippy::too_many_arguments)]
fn sanction_pressure(
    model: &Model,
    values: &[f64],
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
    tie_decay: f64,
    capacity_hit: f64,
    stability_hit: f64,
) {
    let n = state.actor_count();
    for sanction in model
        .sanctions
        .iter()
        .filter(|event| event.window.contains(month))
    {
        let intensity = values[sanction.intensity];
        let target = sanction.target;
        let exposure = state.share_held(
            target,
            |partner| sanction.in_coalition[partner],
            sanction.channels,
        );
        scratch.pressure[target] += intensity * exposure;
        let cut = tie_decay * intensity;
        for channel in sanction.channels.iter() {
            for &member in &sanction.coalition {
                let inward = state.index(channel, target, member);
                let lost = state.weights[inward] * cut;
                state.weights[inward] -= lost;
                scratch.lost[channel * n + target] += lost;
                let outward = state.index(channel, member, target);
                state.weights[outward] *= 1.0 - cut;
            }
        }
    }
    for target in 0..n {
        let pressure = scratch.pressure[target];
        if pressure > 0.0 {
            state.capacity[target] *= (1.0 - capacity_hit * pressure).max(0.0);
            if state.regime_lasts(target) {
                state.stability[target] -= stability_hit * pressure;
            }
        }
    }
}

struct Substitution {
    share: f64,
    affinity_weight: f64,
    capacity_weight: f64,
    tie_weight: f64,
    distance_weight: f64,
    dissuasion_weight: f64,
}

/// Rule 3: `share` of the tie weight a target lost this month on each channel goes to the
/// partners that do not sanction it, split by a logit over closeness of positions, capacity,
/// the existing tie, distance and secondary-sanction exposure.
fn sanction_substitution(
    model: &Model,
    values: &[f64],
    state: &mut State,
    scratch: &mut Scratch,
    rule: &CompiledRule,
    month: u32,
    parameters: Substitution,
) {
    let n = state.actor_count();
    let mean_capacity = state.capacity.iter().sum::<f64>() / n as f64;
    let log_mean_capacity = mean_capacity.max(MINIMUM_CAPACITY).ln();
    for target in 0..n {
        if rule
            .channels
            .iter()
            .all(|channel| scratch.lost[channel * n + target] <= 0.0)
        {
            continue;
        }
        // The utility terms that do not depend on the channel, computed once per target.
        for partner in 0..n {
            scratch.base_utility[partner] = if partner == target
                || scratch.barred[target * n + partner]
            {
                f64::NEG_INFINITY
            } else {
                let mut penalty = 0.0;
                for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
                    if secondary.target == target && secondary.window.contains(month) {
                        penalty +=
                            values[secondary.intensity] * scratch.exposure[index * n + partner];
                    }
                }
                -parameters.affinity_weight
                    * (state.position[target] - state.position[partner]).abs()
                    + parameters.capacity_weight
                        * (state.capacity[partner].max(MINIMUM_CAPACITY).ln() - log_mean_capacity)
                    - parameters.distance_weight * model.distance[target * n + partner]
                        / DISTANCE_UNIT_KM
                    - parameters.dissuasion_weight * penalty
            };
        }
        for channel in rule.channels.iter() {
            let lost = scratch.lost[channel * n + target];
            if lost <= 0.0 {
                continue;
            }
            let mut best = f64::NEG_INFINITY;
            for partner in 0..n {
                let utility = scratch.base_utility[partner]
                    + parameters.tie_weight * state.weight(channel, target, partner);
                scratch.utility[partner] = utility;
                best = best.max(utility);
            }
            if best == f64::NEG_INFINITY {
                continue;
            }
            let mut total = 0.0;
            for utility in scratch.utility.iter_mut() {
                *utility = (*utility - best).exp();
                total += *utility;
            }
            let replaced = parameters.share * lost;
            for partner in 0..n {
                let index = state.index(channel, target, partner);
                let added = replaced * scratch.utility[partner] / total;
                state.weights[index] = (state.weights[index] + added).min(1.0);
            }
        }
    }
}

/// Rule 9: under secondary sanctions, each third party's ties with the target (both
/// directions) shrink by `rate × intensity × exposure`, exposure being the share of the third
/// party's ties held by the coalition.
fn dissuasion(
    model: &Model,
    values: &[f64],
    state: &mut State,
    scratch: &Scratch,
    month: u32,
    rate: f64,
) {
    let n = state.actor_count();
    for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
        if !secondary.window.contains(month) {
            continue;
        }
        let intensity = values[secondary.intensity];
        let target = secondary.target;
        for third in (0..n).filter(|&third| third != target && !secondary.in_coalition[third]) {
            let factor = 1.0 - rate * intensity * scratch.exposure[index * n + third];
            for channel in secondary.channels.iter() {
                let outward = state.index(channel, third, target);
                state.weights[outward] *= factor;
                let inward = state.index(channel, target, third);
                state.weights[inward] *= factor;
            }
        }
    }
}

/// Rule 8: an active offer raises the receiver's dependence on the offerer by
/// `strength × f × (1 − w)`, with f = max(0, 1 − gap/gap_limit), and pulls its position by
/// `position_pull × f` of the gap.
fn outreach(
    model: &Model,
    values: &[f64],
    state: &mut State,
    month: u32,
    gap_limit: f64,
    position_pull: f64,
) {
    for offer in model
        .outreach
        .iter()
        .filter(|event| event.window.contains(month))
    {
        let gap = (state.position[offer.from] - state.position[offer.to]).abs();
        let effect = (1.0 - gap / gap_limit).max(0.0);
        let pull = values[offer.strength] * effect;
        for channel in offer.channels.iter() {
            let index = state.index(channel, offer.to, offer.from);
            state.weights[index] += pull * (1.0 - state.weights[index]);
        }
        state.position[offer.to] +=
            position_pull * effect * (state.position[offer.from] - state.position[offer.to]);
    }
}

/// Rule 4: a patron's commitments (others' dependence on it) above its budget
/// `(headroom × initial commitments + slack) × K/K₀ × (1 − war absorption)` are shed at
/// `rate` a month, cutting the farthest clients' ties first.
fn commitment_waning(
    model: &Model,
    state: &mut State,
    scratch: &mut Scratch,
    rule: &CompiledRule,
    headroom: f64,
    slack: f64,
    rate: f64,
) {
    let n = state.actor_count();
    for patron in 0..n {
        scratch.commitment[patron] = state.commitment(patron, rule.channels);
    }
    for patron in 0..n {
        let initial_capacity = state.initial_capacity[patron];
        let capacity_ratio = if initial_capacity > 0.0 {
            state.capacity[patron] / initial_capacity
        } else {
            1.0
        };
        let budget = (headroom * state.initial_commitment[patron] + slack)
            * capacity_ratio
            * (1.0 - scratch.budget_absorbed[patron]);
        let mut excess = rate * (scratch.commitment[patron] - budget);
        if excess <= 0.0 {
            continue;
        }
        let order = &model.farthest_first[patron * (n - 1)..(patron + 1) * (n - 1)];
        for &client in order {
            let dependence: f64 = rule
                .channels
                .iter()
                .map(|channel| state.weight(channel, client, patron))
                .sum();
            if dependence <= 0.0 {
                continue;
            }
            let cut = dependence.min(excess);
            let keep = 1.0 - cut / dependence;
            for channel in rule.channels.iter() {
                let index = state.index(channel, client, patron);
                state.weights[index] *= keep;
            }
            excess -= cut;
            if excess <= 0.0 {
                break;
            }
        }
    }
}

/// Rule 6: with similarity s = 1 − |xᵢ − xⱼ|/2 plus `sanctions_bonus` when both are
/// sanctioned, d = s − threshold; a tie grows by rate·d·(1 − w) when d > 0 and decays by
/// rate·|d|·w otherwise.
fn homophily(
    state: &mut State,
    scratch: &Scratch,
    rule: &CompiledRule,
    rate: f64,
    threshold: f64,
    sanctions_bonus: f64,
) {
    let n = state.actor_count();
    for channel in rule.channels.iter() {
        for from in 0..n {
            for to in (0..n).filter(|&to| to != from) {
                let mut similarity = 1.0 - (state.position[from] - state.position[to]).abs() / 2.0;
                if scratch.sanctioned[from] && scratch.sanctioned[to] {
                    similarity += sanctions_bonus;
                }
                let drive = similarity - threshold;
                let index = state.index(channel, from, to);
                let weight = state.weights[index];
                let room = if drive > 0.0 { 1.0 - weight } else { weight };
                state.weights[index] = weight + rate * drive * room;
            }
        }
    }
}

/// Rule 5 (Friedkin–Johnsen): xᵢ ← sᵢ·xᵢ(0) + (1 − sᵢ)·((1 − μ)·xᵢ + μ·x̄ᵢ), where x̄ᵢ is
/// the mean position of i's partners weighted by i's ties on the rule's channels.
fn influence(state: &mut State, scratch: &mut Scratch, rule: &CompiledRule, rate: f64) {
    let n = state.actor_count();
    for actor in 0..n {
        let mut total = 0.0;
        let mut weighted = 0.0;
        for channel in rule.channels.iter() {
            for (partner, weight) in state.row(channel, actor).iter().enumerate() {
                total += weight;
                weighted += weight * state.position[partner];
            }
        }
        let own = state.position[actor];
        let neighbours = if total > 0.0 { weighted / total } else { own };
        let stubbornness = state.stubbornness[actor];
        scratch.next_position[actor] = stubbornness * state.anchor[actor]
            + (1.0 - stubbornness) * ((1.0 - rate) * own + rate * neighbours);
    }
    state.position.copy_from_slice(&scratch.next_position);
}

/// Rule 7: for followed regimes, σ ← σ + support_gain·S − opposition, where S is the mean over
/// channels of the regime's ties to non-sanctioning partners weighted by their similarity;
/// then the regime ends with probability base_hazard·(1 − σ)^hazard_shape. One uniform is
/// drawn per followed actor every month, ended or not, so that streams stay aligned.
#[allow(clippy::too_many_arguments)]
fn regime_survival(
    model: &Model,
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
    support_gain: f64,
    opposition: f64,
    base_hazard: f64,
    hazard_shape: f64,
) {
    let n = state.actor_count();
    let channel_count = model.channel_count() as f64;
    for (index, &actor) in model.followed.iter().enumerate() {
        let draw = rng::unit(&mut scratch.hazard_streams[index]);
        if !state.regime_lasts(actor) {
            continue;
        }
        let mut support = 0.0;
        for channel in 0..model.channel_count() {
            for (partner, weight) in state.row(channel, actor).iter().enumerate() {
                if !scratch.barred[actor * n + partner] {
                    let similarity =
                        1.0 - (state.position[actor] - state.position[partner]).abs() / 2.0;
                    support += weight * similarity;
                }
            }
        }
        let support = (support / channel_count).min(1.0);
        let stability =
            (state.stability[actor] + support_gain * support - opposition).clamp(0.0, 1.0);
        state.stability[actor] = stability;
        let hazard = base_hazard * (1.0 - stability).powf(hazard_shape);
        if draw < hazard {
            state.regime_end[actor] = month;
        }
    }
}
