//! The mechanisms, one function each, dispatched from one `match` in the fixed rule order.
//! Each reads its parameters from the runs' drawn values; equations are in docs/MODEL.md.
//!
//! Every function works on a group of runs at once, one run per lane of [`Lanes`]. What
//! differs between runs (parameters, weights, positions) is a lane value; what is the same
//! (events, the actors, distances) is a plain value, so a branch on it costs nothing. A branch
//! that depends on lane values becomes a [`Mask`](super::Mask) and a select, and a loop whose
//! length depends on them (waning's farthest-first walk) runs until no lane needs more, the
//! lanes already done multiplying by exactly 1. No lane ever reads another, so every run gets the same bits
//! whatever runs share its group.
//!
//! Every rule leaves the tie weights it writes finite and in [0, 1], so a step needs no pass
//! over all weights afterwards. All functions are `#[inline(always)]` so that they are
//! compiled inside each instruction set's copy of the month loop (see `Simulation::months`).

use super::Scratch;
use super::lanes::{Lanes, standard_normal, uniform};
use super::world::{CompiledRule, Model, State};
use crate::scenario::{ChannelSet, MAX_CHANNELS, RuleKind};

/// Floor under capacities before taking logarithms, so that a zero capacity gives a very
/// unattractive partner instead of an infinite utility.
const MINIMUM_CAPACITY: f32 = 1e-12;

const HALF: Lanes = Lanes::splat(0.5);

/// The largest exponent of a patron bid's per-actor logit factor e^(−β x / 2), so that a ratio
/// of two factors stays finite in `f32` (e^80 ≈ 5.5·10³⁴).
const BID_EXPONENT_LIMIT: f32 = 80.0;

/// A rule's drawn parameter values for this group, in definition order.
#[inline(always)]
fn parameters<'a>(rule: &'a CompiledRule, values: &'a [Lanes]) -> impl Fn(usize) -> Lanes + 'a {
    move |index| values[rule.params[index]]
}

/// Applies one rule for one month.
#[inline(always)]
pub(super) fn apply(
    rule: &CompiledRule,
    model: &Model,
    values: &[Lanes],
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
) {
    let param = parameters(rule, values);
    match rule.kind {
        RuleKind::Capacity => capacity(state, scratch, param(0)),
        RuleKind::TieRelaxation => tie_relaxation(state, rule.channels, param(0)),
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
                new_partner_penalty: param(6),
            },
        ),
        RuleKind::Dissuasion => {
            dissuasion(model, values, state, scratch, month, param(0), param(1))
        }
        RuleKind::Outreach => outreach(model, values, state, month, param(0), param(1)),
        RuleKind::CommitmentWaning => {
            commitment_waning(model, state, scratch, rule, param(0), param(1), param(2))
        }
        RuleKind::PatronBid => patron_bid(state, scratch, rule.channels, param(0), param(1)),
        RuleKind::Homophily => tie_pass(state, scratch, Some(homophily(rule, values)), None),
        RuleKind::Influence => tie_pass(state, scratch, None, Some(influence(rule, values))),
        RuleKind::RegimeSurvival => regime_survival(
            model,
            state,
            scratch,
            month,
            Survival {
                support_gain: param(0),
                opposition: param(1),
                base_hazard: param(2),
                hazard_shape: param(3),
                revenue_elasticity: param(4),
                revenue_trend_months: param(5),
            },
        ),
    }
}

/// Applies homophily and then influence, which come one after the other in the rule order,
/// in one pass over the tie rows. Homophily changes only row `i` while it visits actor `i`,
/// and influence at `i` reads only row `i` and the positions from before the pass, so one
/// pass gives exactly what two would, while touching every weight once.
#[inline(always)]
pub(super) fn apply_homophily_and_influence(
    homophily_rule: &CompiledRule,
    influence_rule: &CompiledRule,
    values: &[Lanes],
    state: &mut State,
    scratch: &mut Scratch,
) {
    tie_pass(
        state,
        scratch,
        Some(homophily(homophily_rule, values)),
        Some(influence(influence_rule, values)),
    );
}

/// ln(1 + growth)/12 for `actors`, the capacity rule's monthly log growth.
pub(super) fn update_monthly_growth(
    state: &State,
    monthly_growth: &mut [Lanes],
    actors: impl Iterator<Item = usize>,
) {
    for actor in actors {
        monthly_growth[actor] = (Lanes::ONE + state.growth[actor]).ln() * Lanes::splat(1.0 / 12.0);
    }
}

/// Rule 1: ln K ← ln K + ln(1 + g)/12 + σε + ln(1 − war drain), ε a standard normal drawn
/// from the actor's growth-noise stream. Lanes with σ ≤ 0 add exactly 0 for the noise; the
/// streams are read only when some lane has σ > 0, which changes nothing for the other lanes,
/// whose noise is never used.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn capacity(state: &mut State, scratch: &mut Scratch, growth_noise: Lanes) {
    let noisy = growth_noise.greater_than(Lanes::ZERO);
    let draw = noisy.any();
    for actor in 0..state.actor_count() {
        let mut change = scratch.monthly_growth[actor] + scratch.war_log_keep[actor];
        if draw {
            let (low, high) = scratch.noise_streams[actor].next_words();
            let noise = growth_noise * standard_normal(low, high);
            change += noisy.select(noise, Lanes::ZERO);
        }
        state.log_capacity[actor] += change;
    }
}

/// Rule 1b: every tie on `channels` relaxes toward its fundamental level,
/// w ← w + rate · (f − w). Both lie in [0, 1] and rate in [0, 1], so the result does too.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn tie_relaxation(state: &mut State, channels: ChannelSet, rate: Lanes) {
    let block = state.actor_count() * state.actor_count();
    for channel in channels.iter() {
        let range = channel * block..(channel + 1) * block;
        for (weight, &fundamental) in state.weights[range.clone()]
            .iter_mut()
            .zip(&state.fundamental[range])
        {
            *weight += rate * (fundamental - *weight);
        }
    }
}

/// Rule 2: each active sanction cuts the coalition's ties with the target by
/// `tie_decay × intensity` a month (both directions); the target's lost dependence is recorded
/// for substitution; pressure = Σ intensity × coalition share of the target's ties costs the
/// target capacity and stability.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn sanction_pressure(
    model: &Model,
    values: &[Lanes],
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
    tie_decay: Lanes,
    capacity_hit: Lanes,
    stability_hit: Lanes,
) {
    let n = state.actor_count();
    for sanction in model
        .sanctions
        .iter()
        .filter(|event| event.window.contains(month))
    {
        // Lanes where the target's regime fell and the sanctions lifted feel nothing.
        let lifted = scratch.sanctions_lifted[sanction.target];
        let intensity = lifted.select(Lanes::ZERO, values[sanction.intensity]);
        let target = sanction.target;
        let exposure = state.share_held(target, &sanction.in_coalition, sanction.channels);
        scratch.pressure[target] += intensity * exposure;
        let keep = (Lanes::ONE - tie_decay * intensity).clamp(Lanes::ZERO, Lanes::ONE);
        for channel in sanction.channels.iter() {
            for &member in &sanction.coalition {
                let inward = state.index(channel, target, member);
                let before = state.weights[inward];
                let after = before * keep;
                state.weights[inward] = after;
                scratch.lost[channel * n + target] += before - after;
                let outward = state.index(channel, member, target);
                state.weights[outward] *= keep;
            }
        }
    }
    for target in 0..n {
        let pressure = scratch.pressure[target];
        let pressed = pressure.greater_than(Lanes::ZERO);
        if !pressed.any() {
            continue;
        }
        let kept = (Lanes::ONE - capacity_hit * pressure).max(Lanes::ZERO);
        state.log_capacity[target] += pressed.select(kept.ln(), Lanes::ZERO);
        let stability = state.stability[target];
        state.stability[target] = (pressed & state.regime_lasts(target))
            .select(stability - stability_hit * pressure, stability);
    }
}

struct Substitution {
    share: Lanes,
    affinity_weight: Lanes,
    capacity_weight: Lanes,
    tie_weight: Lanes,
    distance_weight: Lanes,
    dissuasion_weight: Lanes,
    new_partner_penalty: Lanes,
}

/// Rule 3: `share` of the tie weight a target lost this month on each channel goes to the
/// partners that do not sanction it, split by a logit over closeness of positions, capacity,
/// the existing tie, distance and secondary-sanction exposure.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn sanction_substitution(
    model: &Model,
    values: &[Lanes],
    state: &mut State,
    scratch: &mut Scratch,
    rule: &CompiledRule,
    month: u32,
    parameters: Substitution,
) {
    let n = state.actor_count();
    let mut logs_taken = false;
    for target in 0..n {
        if !rule.channels.iter().any(|channel| {
            scratch.lost[channel * n + target]
                .greater_than(Lanes::ZERO)
                .any()
        }) {
            continue;
        }
        // Capacities relative to their mean are needed only in months with a loss: taken
        // once then.
        if !logs_taken {
            logs_taken = true;
            let mut total = Lanes::ZERO;
            for &log in &state.log_capacity {
                total += log.exp();
            }
            let mean = total * Lanes::splat(1.0 / n as f32);
            let log_mean = mean.max(Lanes::splat(MINIMUM_CAPACITY)).ln();
            let floor = Lanes::splat(MINIMUM_CAPACITY.ln());
            for (relative, &log) in scratch
                .relative_log_capacity
                .iter_mut()
                .zip(&state.log_capacity)
            {
                *relative = log.max(floor) - log_mean;
            }
        }
        // The partners in the choice: all but the target and those sanctioning it (the same in
        // every lane), listed once so that the passes below do not branch.
        let mut partners = 0;
        for partner in 0..n {
            if partner != target && !scratch.barred[target * n + partner] {
                scratch.partners[partners] = partner;
                partners += 1;
            }
        }
        let partners = &scratch.partners[..partners];
        // The utility terms that do not depend on the channel, computed once per target.
        let distances = &model.distance_units[target * n..(target + 1) * n];
        let own = state.position[target];
        for &partner in partners {
            let distance = distances[partner];
            let mut penalty = Lanes::ZERO;
            for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
                if secondary.target == target && secondary.window.contains(month) {
                    penalty += values[secondary.intensity] * scratch.exposure[index * n + partner];
                }
            }
            let utility = parameters.capacity_weight * scratch.relative_log_capacity[partner]
                - parameters.affinity_weight * (own - state.position[partner]).abs()
                - parameters.distance_weight * Lanes::splat(distance as f32)
                - parameters.dissuasion_weight * penalty;
            // An infinite capacity gives a non-finite utility: counted, and the partner left
            // out of the choice.
            let bad = utility.is_nan() | utility.equal(Lanes::INFINITY);
            bad.add_to(&mut scratch.non_finite);
            scratch.base_utility[partner] = bad.select(Lanes::NEG_INFINITY, utility);
        }
        for channel in rule.channels.iter() {
            let lost = scratch.lost[channel * n + target];
            let losing = lost.greater_than(Lanes::ZERO);
            if !losing.any() {
                continue;
            }
            let row_start = state.index(channel, target, 0);
            let row = &mut state.weights[row_start..row_start + n];
            let mut best = Lanes::NEG_INFINITY;
            for &partner in partners {
                let weight = row[partner];
                let untied = weight.equal(Lanes::ZERO);
                let full = scratch.base_utility[partner] + parameters.tie_weight * weight
                    - untied.select(parameters.new_partner_penalty, Lanes::ZERO);
                scratch.odds[partner] = full;
                best = full.max(best);
            }
            // Lanes where every partner is left out (u = −∞ for all) move nothing; there
            // u − best is NaN, whose e^x is 0 here.
            let moving = losing & best.greater_than(Lanes::NEG_INFINITY);
            let mut total = Lanes::ZERO;
            for &partner in partners {
                let odds = (scratch.odds[partner] - best).exp_nonpositive();
                scratch.odds[partner] = odds;
                total += odds;
            }
            let scale = moving.select(parameters.share * lost / total, Lanes::ZERO);
            for &partner in partners {
                let weight = &mut row[partner];
                *weight = (*weight + scale * scratch.odds[partner]).min(Lanes::ONE);
            }
        }
    }
}

/// Rule 9: under secondary sanctions, each third party's ties with the target (both
/// directions) shrink by `rate × intensity × max(0, exposure − stake_weight × stake)`,
/// exposure being the share of the third party's ties held by the coalition and stake the
/// share held by the target.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn dissuasion(
    model: &Model,
    values: &[Lanes],
    state: &mut State,
    scratch: &Scratch,
    month: u32,
    rate: Lanes,
    stake_weight: Lanes,
) {
    let n = state.actor_count();
    for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
        if !secondary.window.contains(month) {
            continue;
        }
        let target = secondary.target;
        let lifted = scratch.sanctions_lifted[target];
        let intensity = lifted.select(Lanes::ZERO, values[secondary.intensity]);
        let outside = |third: usize| third != target && !secondary.in_coalition[third];
        for third in (0..n).filter(|&third| outside(third)) {
            let net = (scratch.exposure[index * n + third]
                - stake_weight * scratch.stake[index * n + third])
                .max(Lanes::ZERO);
            let factor = (Lanes::ONE - rate * intensity * net).clamp(Lanes::ZERO, Lanes::ONE);
            for channel in secondary.channels.iter() {
                let outward = state.index(channel, third, target);
                state.weights[outward] *= factor;
                let inward = state.index(channel, target, third);
                state.weights[inward] *= factor;
            }
        }
    }
}

/// Rule 8: an active offer of size `strength` raises the receiver's dependence on the
/// offerer by `strength × f × (1 − w)`, with f = exp(−gap/gap_scale), and pulls its position
/// by `position_pull × f` of the gap. What an offer added is remembered per event and
/// channel; after the offer ends, `fade` of what is left is taken back each month (never
/// more than the tie holds).
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn outreach(
    model: &Model,
    values: &[Lanes],
    state: &mut State,
    month: u32,
    gap_scale: Lanes,
    position_pull: Lanes,
) {
    let channel_count = model.channel_count();
    let n = state.actor_count();
    for (event, offer) in model.outreach.iter().enumerate() {
        if month < offer.window.first {
            continue;
        }
        let added = &mut state.outreach_added[event * channel_count..(event + 1) * channel_count];
        if month > offer.window.last {
            let fade = values[offer.fade];
            for channel in offer.channels.iter() {
                let index = (channel * n + offer.to) * n + offer.from;
                let taken = (fade * added[channel]).min(state.weights[index]);
                state.weights[index] -= taken;
                added[channel] -= taken;
            }
            continue;
        }
        let gap = (state.position[offer.from] - state.position[offer.to]).abs();
        let effect = (-(gap / gap_scale)).exp_nonpositive();
        let pull = values[offer.strength] * effect;
        for channel in offer.channels.iter() {
            let index = (channel * n + offer.to) * n + offer.from;
            let weight = state.weights[index];
            let after = (weight + pull * (Lanes::ONE - weight)).clamp(Lanes::ZERO, Lanes::ONE);
            state.weights[index] = after;
            added[channel] += after - weight;
        }
        let toward_offerer = state.position[offer.from] - state.position[offer.to];
        state.position[offer.to] += position_pull * effect * toward_offerer;
    }
}

/// Each actor's commitments on `channels` (how much the others depend on it) into `columns`:
/// the column sums of the tie matrices (`weights`, of `n` actors), added channel by channel,
/// each in actor order; and, given `row_totals`, each row's sum into
/// `row_totals[channel * n + from]` from the same reads.
#[inline(always)]
pub(super) fn commitments(
    weights: &[Lanes],
    n: usize,
    channels: ChannelSet,
    columns: &mut [Lanes],
    mut row_totals: Option<&mut [Lanes]>,
) {
    columns.fill(Lanes::ZERO);
    // Row by row, adding each row into the column sums: the reads are contiguous, and each
    // column still adds its entries channel by channel, client by client, as a column-wise
    // loop would, so the sums have the same bits.
    for channel in channels.iter() {
        for client in 0..n {
            let start = (channel * n + client) * n;
            let row = &weights[start..start + n];
            match row_totals.as_deref_mut() {
                Some(totals) => {
                    let mut total = Lanes::ZERO;
                    for (column, &weight) in columns.iter_mut().zip(row) {
                        *column += weight;
                        total += weight;
                    }
                    totals[channel * n + client] = total;
                }
                None => {
                    for (column, &weight) in columns.iter_mut().zip(row) {
                        *column += weight;
                    }
                }
            }
        }
    }
}

/// Rule 4: a patron's commitments (others' dependence on it) above its budget
/// `(headroom × initial commitments + slack) × K/K₀ × (1 − war absorption)` are shed at
/// `rate` a month, cutting the farthest clients' ties first: each client in turn loses
/// min(its dependence, what is left of the excess), until nothing is. Each patron's cuts touch
/// only its own column, so the patrons do not interact.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn commitment_waning(
    model: &Model,
    state: &mut State,
    scratch: &mut Scratch,
    rule: &CompiledRule,
    headroom: Lanes,
    slack: Lanes,
    rate: Lanes,
) {
    let n = state.actor_count();
    commitments(
        &state.weights,
        n,
        rule.channels,
        &mut scratch.commitment,
        None,
    );
    for patron in 0..n {
        let initial = state.initial_log_capacity[patron];
        let capacity_ratio = initial
            .greater_than(Lanes::NEG_INFINITY)
            .select((state.log_capacity[patron] - initial).exp(), Lanes::ONE);
        let budget = (headroom * state.initial_commitment[patron] + slack)
            * capacity_ratio
            * (Lanes::ONE - scratch.budget_absorbed[patron]);
        scratch.excess[patron] = rate * (scratch.commitment[patron] - budget);
    }
    for patron in 0..n {
        let mut excess = scratch.excess[patron];
        let mut over = excess.greater_than(Lanes::ZERO);
        if !over.any() {
            continue;
        }
        let order = &model.farthest_first[patron * (n - 1)..(patron + 1) * (n - 1)];
        for &client in order {
            let mut dependence = Lanes::ZERO;
            for channel in rule.channels.iter() {
                dependence += state.weight(channel, client, patron);
            }
            let cutting = over & dependence.greater_than(Lanes::ZERO);
            if !cutting.any() {
                continue;
            }
            let cut = dependence.min(excess);
            // A whole cut gives exactly 0 (x/x = 1); lanes not cutting keep exactly 1.
            let keep = cutting.select(Lanes::ONE - cut / dependence, Lanes::ONE);
            excess = cutting.select(excess - cut, excess);
            for channel in rule.channels.iter() {
                let index = state.index(channel, client, patron);
                state.weights[index] *= keep;
            }
            over = excess.greater_than(Lanes::ZERO);
            if !over.any() {
                break;
            }
        }
    }
}

/// Rule 4b: patrons with spare capacity take up the dependence others dropped. A client's
/// unmet dependence on a channel is U = max(0, Σⱼ fⱼ − Σⱼ wⱼ), its row's fundamental total
/// less its current total. A bidder's spare capacity is s = max(0, 1 − C·K₀/(C₀·K)), how far
/// its commitments C on the rule's channels lag behind its capacity K (both against their
/// start values). Each bidder j that the client does not sanction gains
/// Δw = rate · U · sⱼ · e^(β sim) / Σₖ e^(β sim), so the uptake never exceeds rate · U and
/// a bidder without spare capacity takes nothing.
///
/// The logit's weights are e^(β (sim − 1)) = e^(−β |xᵢ − xⱼ| / 2) (the common factor e^β
/// cancels), taken as min(aᵢ/aⱼ, aⱼ/aᵢ) with aᵢ = e^(−β xᵢ / 2): one exponential per actor
/// instead of one per pair. The exponent is clamped to ±[`BID_EXPONENT_LIMIT`], which matters
/// only for affinity weights above 2 × that limit. They are computed only in months when some
/// client has unmet dependence and some bidder spare capacity.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn patron_bid(
    state: &mut State,
    scratch: &mut Scratch,
    channels: ChannelSet,
    rate: Lanes,
    affinity_weight: Lanes,
) {
    let n = state.actor_count();
    // One pass over the rows gives each bidder's commitments and each client's row totals.
    commitments(
        &state.weights,
        n,
        channels,
        &mut scratch.commitment,
        Some(&mut scratch.row_total),
    );
    let mut any_spare = false;
    for bidder in 0..n {
        let initial = state.initial_bid_commitment[bidder];
        let grown = (state.log_capacity[bidder] - state.initial_log_capacity[bidder]).exp();
        // The budget a bidder has for commitments grows with its capacity; spare is the part
        // of it not yet committed (none for a bidder that had no commitments to start with).
        let budget = initial * grown;
        let spare = (Lanes::ONE - scratch.commitment[bidder] / budget).max(Lanes::ZERO);
        let valid = budget.greater_than(Lanes::ZERO) & spare.is_finite();
        let spare = valid.select(spare.min(Lanes::ONE), Lanes::ZERO);
        any_spare |= spare.greater_than(Lanes::ZERO).any();
        scratch.spare[bidder] = spare;
    }
    if !any_spare {
        return;
    }
    let half_affinity = HALF * affinity_weight;
    let mut factors_taken = false;
    // What a client lacks on a channel: its row's fundamental total less its current total.
    let lacking = |client: usize, channel: usize| {
        let row = channel * n + client;
        state.fundamental_total[row] - scratch.row_total[row]
    };
    for client in 0..n {
        // Most months most clients lack nothing, and then neither the logit nor the rows are
        // needed.
        let wanting = channels
            .iter()
            .any(|channel| lacking(client, channel).greater_than(Lanes::ZERO).any());
        if !wanting {
            continue;
        }
        if !factors_taken {
            factors_taken = true;
            let limit = Lanes::splat(BID_EXPONENT_LIMIT);
            for (factor, &position) in scratch.drive.iter_mut().zip(&state.position) {
                *factor = (-(half_affinity * position)).clamp(-limit, limit).exp();
            }
        }
        let own = scratch.drive[client];
        let barred = &scratch.barred[client * n..(client + 1) * n];
        let mut total = Lanes::ZERO;
        for (partner, &barred) in barred.iter().enumerate() {
            // The client itself and the partners that sanction it are left out.
            scratch.odds[partner] = if barred || partner == client {
                Lanes::ZERO
            } else {
                let other = scratch.drive[partner];
                let odds = (own / other).min(other / own);
                total += odds;
                odds * scratch.spare[partner]
            };
        }
        for channel in channels.iter() {
            let unmet = lacking(client, channel);
            let bidding = unmet.greater_than(Lanes::ZERO);
            if !bidding.any() {
                continue;
            }
            let scale = bidding.select(rate * unmet / total, Lanes::ZERO);
            let start = state.index(channel, client, 0);
            for (weight, &share) in state.weights[start..start + n]
                .iter_mut()
                .zip(&scratch.odds)
            {
                *weight = (*weight + scale * share).clamp(Lanes::ZERO, Lanes::ONE);
            }
        }
    }
}

/// Homophily's parameters for one pass.
struct Homophily {
    rate: Lanes,
    /// 1 − threshold.
    level: Lanes,
    sanctions_bonus: Lanes,
    channels: ChannelSet,
}

#[inline(always)]
fn homophily(rule: &CompiledRule, values: &[Lanes]) -> Homophily {
    let param = parameters(rule, values);
    Homophily {
        rate: param(0),
        level: Lanes::ONE - param(1),
        sanctions_bonus: param(2),
        channels: rule.channels,
    }
}

/// Influence's parameters for one pass.
struct Influence {
    rate: Lanes,
    channels: ChannelSet,
}

#[inline(always)]
fn influence(rule: &CompiledRule, values: &[Lanes]) -> Influence {
    Influence {
        rate: values[rule.params[0]],
        channels: rule.channels,
    }
}

/// One pass over every actor's tie rows, applying homophily (rule 6) and then influence
/// (rule 5) to each actor's rows, whichever of the two is on.
///
/// Rule 6: with similarity s = 1 − |xᵢ − xⱼ|/2 plus `sanctions_bonus` when both are
/// sanctioned, d = rate·(s − threshold); a tie grows by d·(1 − w) when d > 0 and decays by
/// |d|·w otherwise. Both are w ← w·(1 − |d|) + max(d, 0), computed so: the factor and the
/// term depend only on the pair, so each weight costs one multiply-add and the clamp to
/// [0, 1] (which matters only when |d| > 1).
///
/// Rule 5 (Friedkin–Johnsen): xᵢ ← sᵢ·xᵢ(0) + (1 − sᵢ)·((1 − μ)·xᵢ + μ·x̄ᵢ), where x̄ᵢ is
/// the mean position of i's partners weighted by i's ties on the rule's channels: the ties
/// are summed over the channels for each partner first (while homophily writes them, when
/// both are on), then over the partners.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn tie_pass(
    state: &mut State,
    scratch: &mut Scratch,
    homophily: Option<Homophily>,
    influence: Option<Influence>,
) {
    let n = state.actor_count();
    let homophily_channels = homophily
        .as_ref()
        .map_or(ChannelSet(0), |homophily| homophily.channels);
    let influence_channels = influence
        .as_ref()
        .map_or(ChannelSet(0), |influence| influence.channels);
    // Where each channel's rows start, in three lists: channels homophily writes and influence
    // reads, those homophily only writes, and those influence only reads.
    let mut lists = [[0usize; MAX_CHANNELS]; 3];
    let mut lengths = [0usize; 3];
    for channel in ChannelSet(homophily_channels.0 | influence_channels.0).iter() {
        let list = match (
            homophily_channels.contains(channel),
            influence_channels.contains(channel),
        ) {
            (true, true) => 0,
            (true, false) => 1,
            _ => 2,
        };
        lists[list][lengths[list]] = channel * n * n;
        lengths[list] += 1;
    }
    let both = &lists[0][..lengths[0]];
    let written = &lists[1][..lengths[1]];
    let read = &lists[2][..lengths[2]];
    // A partner at a time, its ties on every channel: each partner's factor and term and its
    // sum over influence's channels stay in registers.
    for from in 0..n {
        let own = state.position[from];
        let mut total = Lanes::ZERO;
        let mut weighted = Lanes::ZERO;
        let row = from * n;
        for to in 0..n {
            let position = state.position[to];
            let mut sum = Lanes::ZERO;
            if let Some(homophily) = &homophily
                && to != from
            {
                let mut gap = homophily.level - HALF * (own - position).abs();
                if scratch.sanctioned[from] && scratch.sanctioned[to] {
                    // Not where either's sanctions lifted after its regime fell.
                    let lifted = scratch.sanctions_lifted[from] | scratch.sanctions_lifted[to];
                    gap += lifted.select(Lanes::ZERO, homophily.sanctions_bonus);
                }
                let drive = homophily.rate * gap;
                let factor = Lanes::ONE - drive.abs();
                let term = drive.max(Lanes::ZERO);
                for &start in both {
                    let weight = &mut state.weights[start + row + to];
                    *weight = (*weight * factor + term).clamp(Lanes::ZERO, Lanes::ONE);
                    sum += *weight;
                }
                for &start in written {
                    let weight = &mut state.weights[start + row + to];
                    *weight = (*weight * factor + term).clamp(Lanes::ZERO, Lanes::ONE);
                }
            } else {
                for &start in both {
                    sum += state.weights[start + row + to];
                }
            }
            if influence.is_some() {
                for &start in read {
                    sum += state.weights[start + row + to];
                }
                total += sum;
                weighted += sum * position;
            }
        }
        if let Some(influence) = &influence {
            let neighbours = total
                .greater_than(Lanes::ZERO)
                .select(weighted / total, own);
            let stubbornness = state.stubbornness[from];
            scratch.next_position[from] = stubbornness * state.anchor[from]
                + (Lanes::ONE - stubbornness)
                    * ((Lanes::ONE - influence.rate) * own + influence.rate * neighbours);
        }
    }
    if influence.is_some() {
        state.position.copy_from_slice(&scratch.next_position);
    }
}

struct Survival {
    support_gain: Lanes,
    opposition: Lanes,
    base_hazard: Lanes,
    hazard_shape: Lanes,
    revenue_elasticity: Lanes,
    revenue_trend_months: Lanes,
}

/// Rule 7: for followed regimes, σ ← σ + support_gain·S + ε·(ln K − T) − opposition, where S
/// is the mean over channels of the regime's ties to non-sanctioning partners weighted by
/// their similarity, and T the trend of ln K (T ← T + (ln K − T)/τ, updated first); then the
/// regime ends with probability base_hazard·(1 − σ)^hazard_shape. One uniform is drawn per
/// followed actor every month, ended or not, so that streams stay aligned.
#[cfg_attr(feature = "profile-parts", inline(never))]
#[cfg_attr(not(feature = "profile-parts"), inline(always))]
fn regime_survival(
    model: &Model,
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
    parameters: Survival,
) {
    let Survival {
        support_gain,
        opposition,
        base_hazard,
        hazard_shape,
        revenue_elasticity,
        revenue_trend_months,
    } = parameters;
    let n = state.actor_count();
    let per_channel = Lanes::splat(1.0 / model.channel_count() as f32);
    let trend_step = Lanes::ONE / revenue_trend_months;
    for (index, &actor) in model.followed.iter().enumerate() {
        let (_, high) = scratch.hazard_streams[index].next_words();
        let draw = uniform(high);
        // The trend follows capacity whether or not the regime lasts; a capacity of 0 (ln K =
        // −∞) would make it −∞ and the deviation NaN, so the deviation is taken as 0 there.
        let log_capacity = state.log_capacity[actor];
        let trend = state.log_capacity_trend[actor];
        let finite = log_capacity.is_finite() & trend.is_finite();
        let updated = trend + trend_step * (log_capacity - trend);
        state.log_capacity_trend[actor] = finite.select(updated, log_capacity);
        let deviation = finite.select(log_capacity - updated, Lanes::ZERO);
        let lasts = state.regime_lasts(actor);
        if !lasts.any() {
            continue;
        }
        // Each partner's similarity, or 0 if it sanctions the regime: the same on every channel.
        let own = state.position[actor];
        for (partner, (similarity, &position)) in
            scratch.drive.iter_mut().zip(&state.position).enumerate()
        {
            *similarity = if scratch.barred[actor * n + partner] {
                Lanes::ZERO
            } else {
                Lanes::ONE - HALF * (own - position).abs()
            };
        }
        let mut weighted = Lanes::ZERO;
        for channel in 0..model.channel_count() {
            for (&weight, &similarity) in state.row(channel, actor).iter().zip(&scratch.drive) {
                weighted += weight * similarity;
            }
        }
        let support = (weighted * per_channel).min(Lanes::ONE);
        let stability = (state.stability[actor] + support_gain * support - opposition
            + revenue_elasticity * deviation)
            .clamp(Lanes::ZERO, Lanes::ONE);
        state.stability[actor] = lasts.select(stability, state.stability[actor]);
        let hazard = base_hazard * (Lanes::ONE - stability).pow_nonnegative(hazard_shape);
        let ends = lasts & draw.less_than(hazard);
        state.regime_end[actor] = ends.select(Lanes::splat(month as f32), state.regime_end[actor]);
    }
}
