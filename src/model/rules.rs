//! The mechanisms, one function each, dispatched from one `match` in the fixed rule order.
//! Each reads its parameters from the run's drawn values; equations are in docs/MODEL.md.
//!
//! Every rule leaves the tie weights it writes finite and in [0, 1], so a step needs no pass
//! over all weights afterwards. Passes over whole rows work on padded rows of `f32` in groups
//! of [`LANES`], which the compiler turns into vector instructions; sums over a row are folded
//! lane by lane and then across lanes in a fixed order, so results do not depend on the thread
//! or the machine (only on the binary: see ARCHITECTURE.md).

use rand_distr::{Distribution, StandardNormal};

use super::Scratch;
use super::exp::exp_nonpositive;
use super::world::{CompiledRule, HALF, LANES, Model, ONE, State, ZERO, lane_sum, load, store};
use crate::rng;
use crate::scenario::RuleKind;
use wide::f32x8;

/// Floor under capacities before taking logarithms, so that a zero capacity gives a very
/// unattractive partner instead of an infinite utility.
const MINIMUM_CAPACITY: f64 = 1e-12;

/// A rule's drawn parameter values for this run, in definition order.
fn parameters<'a>(rule: &'a CompiledRule, values: &'a [f64]) -> impl Fn(usize) -> f64 + 'a {
    move |index| values[rule.params[index]]
}

/// Applies one rule for one month.
pub(super) fn apply(
    rule: &CompiledRule,
    model: &Model,
    values: &[f64],
    state: &mut State,
    scratch: &mut Scratch,
    month: u32,
) {
    let param = parameters(rule, values);
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
        RuleKind::Homophily => tie_pass(state, scratch, Some(homophily(rule, values)), None),
        RuleKind::Influence => tie_pass(state, scratch, None, Some(influence(rule, values))),
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

/// Applies homophily and then influence, which come one after the other in the rule order,
/// in one pass over the tie rows. Homophily changes only row `i` while it visits actor `i`,
/// and influence at `i` reads only row `i` and the positions from before the pass, so one
/// pass gives exactly what two would, while touching every weight once.
pub(super) fn apply_homophily_and_influence(
    homophily_rule: &CompiledRule,
    influence_rule: &CompiledRule,
    values: &[f64],
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

/// Rule 1: K ← K · exp(ln(1 + g)/12 + σε) · (1 − war drain).
fn capacity(state: &mut State, scratch: &mut Scratch, growth_noise: f64) {
    for actor in 0..state.actor_count() {
        let mut log_change = scratch.monthly_growth[actor];
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
        let exposure = state.share_held(target, &sanction.coalition_mask, sanction.channels);
        scratch.pressure[target] += intensity * exposure;
        let keep = (1.0 - tie_decay * intensity).clamp(0.0, 1.0) as f32;
        for channel in sanction.channels.iter() {
            for &member in &sanction.coalition {
                let inward = state.index(channel, target, member);
                let before = state.weights[inward];
                let after = before * keep;
                state.weights[inward] = after;
                scratch.lost[channel * n + target] += f64::from(before - after);
                let outward = state.index(channel, member, target);
                state.weights[outward] *= keep;
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
    let mut logs_taken = false;
    for target in 0..n {
        if rule
            .channels
            .iter()
            .all(|channel| scratch.lost[channel * n + target] <= 0.0)
        {
            continue;
        }
        // Capacities' logarithms are needed only in months with a loss: taken once then.
        if !logs_taken {
            logs_taken = true;
            let mean_capacity = state.capacity.iter().sum::<f64>() / n as f64;
            let log_mean = mean_capacity.max(MINIMUM_CAPACITY).ln();
            for (log, capacity) in scratch.log_capacity.iter_mut().zip(&state.capacity) {
                *log = capacity.max(MINIMUM_CAPACITY).ln() - log_mean;
            }
        }
        // The utility terms that do not depend on the channel, computed once per target.
        let distances = &model.distance_units[target * n..(target + 1) * n];
        for (partner, &distance) in distances.iter().enumerate() {
            let utility = if partner == target || scratch.barred[target * n + partner] {
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
                    + parameters.capacity_weight * scratch.log_capacity[partner]
                    - parameters.distance_weight * distance
                    - parameters.dissuasion_weight * penalty
            };
            // An infinite capacity gives a non-finite utility: counted, and the partner left
            // out of the choice.
            scratch.base_utility[partner] = if utility.is_nan() || utility == f64::INFINITY {
                scratch.non_finite += 1;
                f64::NEG_INFINITY
            } else {
                utility
            };
        }
        for channel in rule.channels.iter() {
            let lost = scratch.lost[channel * n + target];
            if lost <= 0.0 {
                continue;
            }
            let row_start = state.index(channel, target, 0);
            let row = &mut state.weights[row_start..row_start + n];
            let mut best = f64::NEG_INFINITY;
            for (utility, (&base, &weight)) in scratch
                .utility
                .iter_mut()
                .zip(scratch.base_utility.iter().zip(row.iter()))
            {
                let full = base + parameters.tie_weight * f64::from(weight);
                *utility = full;
                if full > best {
                    best = full;
                }
            }
            if best == f64::NEG_INFINITY {
                continue;
            }
            // Each partner's e^(u − best) in single precision, in vector lanes; barred
            // partners (u = −∞) give exactly 0.
            for (lane, &utility) in scratch.choice.iter_mut().zip(&scratch.utility) {
                *lane = (utility - best) as f32;
            }
            // The padding, never written above, is masked out through `live`.
            for (odds, &live) in scratch.choice.iter_mut().zip(&scratch.live) {
                *odds = exp_nonpositive(*odds) * live;
            }
            let mut lanes = [0f32; LANES];
            for chunk in scratch.choice.chunks_exact(LANES) {
                for lane in 0..LANES {
                    lanes[lane] += chunk[lane];
                }
            }
            let scale = parameters.share * lost / lane_sum(&lanes);
            for (weight, &odds) in row.iter_mut().zip(&scratch.choice) {
                let raised = f64::from(*weight) + scale * f64::from(odds);
                *weight = raised.min(1.0) as f32;
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
        let outside = |third: usize| third != target && secondary.coalition_mask[third] == 0.0;
        for third in (0..n).filter(|&third| outside(third)) {
            let factor =
                (1.0 - rate * intensity * scratch.exposure[index * n + third]).clamp(0.0, 1.0);
            let factor = factor as f32;
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
            let weight = f64::from(state.weights[index]);
            state.weights[index] = (weight + pull * (1.0 - weight)).clamp(0.0, 1.0) as f32;
        }
        state.position[offer.to] +=
            position_pull * effect * (state.position[offer.from] - state.position[offer.to]);
    }
}

/// Each actor's commitments on `channels` (how much the others depend on it) into `columns`:
/// the column sums of the tie matrices, added row by row in actor order.
pub(super) fn commitments(
    state: &State,
    channels: crate::scenario::ChannelSet,
    columns: &mut [f32],
) {
    columns.fill(0.0);
    for channel in channels.iter() {
        for client in 0..state.actor_count() {
            for (columns, weights) in columns
                .chunks_exact_mut(LANES)
                .zip(state.row(channel, client).chunks_exact(LANES))
            {
                store(columns, load(columns) + load(weights));
            }
        }
    }
}

/// Rule 4: a patron's commitments (others' dependence on it) above its budget
/// `(headroom × initial commitments + slack) × K/K₀ × (1 − war absorption)` are shed at
/// `rate` a month, cutting the farthest clients' ties first.
///
/// A patron's clients' dependence on it is a column of the tie matrices, which row-major
/// storage holds one cache line per client. When few patrons are over budget, their columns
/// are walked directly. When many are, the columns summed over the rule's channels are
/// transposed in 8 × 8 vector blocks into one row per patron (`scratch.dependence`), each walk
/// turns its row into the factors each tie is kept at, and one more pass over the rows
/// multiplies them in. Both ways sum the channels in the same order in `f32` and multiply the
/// ties not cut by nothing (or by exactly 1), so they give the same bits. Each patron's cuts
/// touch only its own column, so the patrons do not interact.
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
    commitments(state, rule.channels, &mut scratch.commitment);
    let mut over_budget = 0;
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
        let excess = rate * (f64::from(scratch.commitment[patron]) - budget);
        scratch.excess[patron] = excess;
        over_budget += usize::from(excess > 0.0);
    }
    if n < TRANSPOSE_FROM_ACTORS || over_budget * PATRONS_PER_TRANSPOSED_PASS < n {
        wane_column_by_column(model, state, &scratch.excess, rule.channels);
    } else {
        wane_in_bands(
            model,
            state,
            &scratch.excess,
            &mut scratch.dependence,
            rule.channels,
        );
    }
}

/// Commitment waning's cuts, given each patron's excess: walks each patron's column directly.
fn wane_column_by_column(
    model: &Model,
    state: &mut State,
    excesses: &[f64],
    channels: crate::scenario::ChannelSet,
) {
    let n = state.actor_count();
    for patron in (0..n).filter(|&patron| excesses[patron] > 0.0) {
        let order = &model.farthest_first[patron * (n - 1)..(patron + 1) * (n - 1)];
        let mut excess = excesses[patron];
        for &client in order {
            let mut dependence = 0f32;
            for channel in channels.iter() {
                dependence += state.weights[state.index(channel, client, patron)];
            }
            let Some(keep) = shed(f64::from(dependence), &mut excess) else {
                continue;
            };
            for channel in channels.iter() {
                let index = state.index(channel, client, patron);
                state.weights[index] *= keep;
            }
            if excess <= 0.0 {
                break;
            }
        }
    }
}

/// Commitment waning's cuts, given each patron's excess: on transposed bands of columns.
/// Kept out of line: inlined into the rule dispatch, it slowed small worlds, which never take
/// this way, by 8% (measured on the flagship).
#[inline(never)]
fn wane_in_bands(
    model: &Model,
    state: &mut State,
    excesses: &[f64],
    dependence: &mut [f32],
    channels: crate::scenario::ChannelSet,
) {
    let n = state.actor_count();
    let stride = state.stride();
    for first_patron in (0..n).step_by(PATRONS_PER_BAND) {
        let band = first_patron..(first_patron + PATRONS_PER_BAND).min(n);
        if band.clone().all(|patron| excesses[patron] <= 0.0) {
            continue;
        }
        transpose_dependence(state, channels, band.clone(), dependence);
        for patron in band.clone() {
            let offset = (patron - first_patron) * stride;
            let row = &mut dependence[offset..offset + stride];
            let mut excess = excesses[patron];
            if excess <= 0.0 {
                row.fill(1.0);
                continue;
            }
            row[patron] = 1.0;
            let order = &model.farthest_first[patron * (n - 1)..(patron + 1) * (n - 1)];
            let mut walked = order.len();
            for (rank, &client) in order.iter().enumerate() {
                row[client] = shed_mostly_whole(f64::from(row[client]), &mut excess).unwrap_or(1.0);
                if excess <= 0.0 {
                    walked = rank + 1;
                    break;
                }
            }
            for &client in &order[walked..] {
                row[client] = 1.0;
            }
        }
        multiply_transposed(state, channels, band, dependence);
    }
}

/// From this share of patrons over budget (one in this many) on, commitment waning works on
/// transposed columns rather than walking the columns one tie at a time.
const PATRONS_PER_TRANSPOSED_PASS: usize = 8;

/// Below this many actors the tie matrices fit in the first-level cache, columns are cheap to
/// walk, and commitment waning never transposes. Measured: the flagship's 14 actors ran 4%
/// slower with transposed bands; the 50-actor scale benchmark ran 31% faster with them.
const TRANSPOSE_FROM_ACTORS: usize = 32;

/// Patrons whose transposed columns commitment waning holds at once: a multiple of
/// [`LANES`], and small enough for the band to stay in cache (64 rows of 200 actors: 51 KB).
pub(super) const PATRONS_PER_BAND: usize = 64;

/// One client's share of a patron's excess: with the client's `dependence` on the patron,
/// cuts min(dependence, excess) from the excess and returns the factor the client's ties to
/// the patron are kept at; `None` when the client does not depend on the patron.
#[inline]
fn shed(dependence: f64, excess: &mut f64) -> Option<f32> {
    if dependence <= 0.0 {
        return None;
    }
    let cut = dependence.min(*excess);
    *excess -= cut;
    Some((1.0 - cut / dependence) as f32)
}

/// [`shed`] for walks where most clients are cut whole (a band of patrons far over budget):
/// a whole cut skips the division, whose quotient would be exactly 1, so the bits are the same;
/// where cuts are mostly partial the branch costs more than it saves.
#[inline]
fn shed_mostly_whole(dependence: f64, excess: &mut f64) -> Option<f32> {
    if dependence <= 0.0 {
        return None;
    }
    if dependence <= *excess {
        *excess -= dependence;
        return Some(0.0);
    }
    let cut = *excess;
    *excess = 0.0;
    Some((1.0 - cut / dependence) as f32)
}

/// Writes into `transposed` each client's dependence on each patron of `band` (which starts
/// on a multiple of [`LANES`]) summed over `channels` in channel order: row `patron − band
/// start`, column `client`, rows `stride` long. Padding columns read as 0.
fn transpose_dependence(
    state: &State,
    channels: crate::scenario::ChannelSet,
    band: std::ops::Range<usize>,
    transposed: &mut [f32],
) {
    let n = state.actor_count();
    let stride = state.stride();
    for first_client in (0..n).step_by(LANES) {
        for first_patron in band.clone().step_by(LANES) {
            let mut rows = [ZERO; LANES];
            for (offset, row) in rows.iter_mut().enumerate().take(n - first_client) {
                for channel in channels.iter() {
                    let weights = state.row(channel, first_client + offset);
                    *row += load(&weights[first_patron..first_patron + LANES]);
                }
            }
            // Indexing the array, not `into_iter`, keeps it in registers.
            let columns = f32x8::transpose(rows);
            for (lane, column) in columns.iter().enumerate().take(band.end - first_patron) {
                let start = (first_patron - band.start + lane) * stride + first_client;
                store(&mut transposed[start..start + LANES], *column);
            }
        }
    }
}

/// Multiplies each tie on `channels` from a client to a patron of `band` by the factor at row
/// `patron − band start`, column `client` of `transposed`.
fn multiply_transposed(
    state: &mut State,
    channels: crate::scenario::ChannelSet,
    band: std::ops::Range<usize>,
    transposed: &[f32],
) {
    let n = state.actor_count();
    let stride = state.stride();
    for first_client in (0..n).step_by(LANES) {
        for first_patron in band.clone().step_by(LANES) {
            // Patrons past the last actor keep factor 1 (their weights are padding, 0).
            let mut columns = [ONE; LANES];
            for (lane, column) in columns.iter_mut().enumerate().take(band.end - first_patron) {
                let start = (first_patron - band.start + lane) * stride + first_client;
                *column = load(&transposed[start..start + LANES]);
            }
            let keeps = f32x8::transpose(columns);
            for (offset, keep) in keeps.iter().enumerate().take(n - first_client) {
                let client = first_client + offset;
                for channel in channels.iter() {
                    let weights =
                        &mut state.row_mut(channel, client)[first_patron..first_patron + LANES];
                    store(weights, load(weights) * *keep);
                }
            }
        }
    }
}

/// Homophily's parameters for one pass.
struct Homophily {
    rate: f64,
    threshold: f64,
    sanctions_bonus: f64,
    channels: crate::scenario::ChannelSet,
}

fn homophily(rule: &CompiledRule, values: &[f64]) -> Homophily {
    let param = parameters(rule, values);
    Homophily {
        rate: param(0),
        threshold: param(1),
        sanctions_bonus: param(2),
        channels: rule.channels,
    }
}

/// Influence's parameters for one pass.
struct Influence {
    rate: f64,
    channels: crate::scenario::ChannelSet,
}

fn influence(rule: &CompiledRule, values: &[f64]) -> Influence {
    Influence {
        rate: values[rule.params[0]],
        channels: rule.channels,
    }
}

/// One pass over every actor's tie rows, applying homophily (rule 6) and then influence
/// (rule 5) to each actor's rows, whichever of the two is on.
///
/// Rule 6: with similarity s = 1 − |xᵢ − xⱼ|/2 plus `sanctions_bonus` when both are
/// sanctioned, d = s − threshold; a tie grows by rate·d·(1 − w) when d > 0 and decays by
/// rate·|d|·w otherwise.
///
/// Rule 5 (Friedkin–Johnsen): xᵢ ← sᵢ·xᵢ(0) + (1 − sᵢ)·((1 − μ)·xᵢ + μ·x̄ᵢ), where x̄ᵢ is
/// the mean position of i's partners weighted by i's ties on the rule's channels.
fn tie_pass(
    state: &mut State,
    scratch: &mut Scratch,
    homophily: Option<Homophily>,
    influence: Option<Influence>,
) {
    let n = state.actor_count();
    for (lane, position) in scratch.positions.iter_mut().zip(&state.position) {
        *lane = *position as f32;
    }
    for from in 0..n {
        if let Some(homophily) = &homophily {
            // The rate-scaled drive toward every partner, in vector lanes; then 0 for the
            // actor itself, and 0 in the padding (through `live`), which therefore stays 0.
            let own = scratch.positions[from];
            let rate = homophily.rate as f32;
            let level = 1.0 - homophily.threshold as f32;
            let bonus = homophily.sanctions_bonus as f32 * scratch.sanctioned_mask[from];
            let own = f32x8::splat(own);
            let (rate, level, bonus) =
                (f32x8::splat(rate), f32x8::splat(level), f32x8::splat(bonus));
            for (((drive, positions), sanctioned), live) in scratch
                .drive
                .chunks_exact_mut(LANES)
                .zip(scratch.positions.chunks_exact(LANES))
                .zip(scratch.sanctioned_mask.chunks_exact(LANES))
                .zip(scratch.live.chunks_exact(LANES))
            {
                let gap = level - HALF * (own - load(positions)).abs() + bonus * load(sanctioned);
                store(drive, load(live) * rate * gap);
            }
            scratch.drive[from] = 0.0;
            for channel in homophily.channels.iter() {
                let row = state.row_mut(channel, from);
                for (weights, drives) in row
                    .chunks_exact_mut(LANES)
                    .zip(scratch.drive.chunks_exact(LANES))
                {
                    let weight = load(weights);
                    let drive = load(drives);
                    let room = drive.simd_gt(ZERO).select(ONE - weight, weight);
                    store(weights, (weight + drive * room).max(ZERO).min(ONE));
                }
            }
        }
        if let Some(influence) = &influence {
            let mut total = ZERO;
            let mut weighted = ZERO;
            for channel in influence.channels.iter() {
                let row = state.row(channel, from);
                for (weights, positions) in row
                    .chunks_exact(LANES)
                    .zip(scratch.positions.chunks_exact(LANES))
                {
                    let weights = load(weights);
                    total += weights;
                    weighted += weights * load(positions);
                }
            }
            let total = lane_sum(&total.to_array());
            let own = state.position[from];
            let neighbours = if total > 0.0 {
                lane_sum(&weighted.to_array()) / total
            } else {
                own
            };
            let stubbornness = state.stubbornness[from];
            scratch.next_position[from] = stubbornness * state.anchor[from]
                + (1.0 - stubbornness)
                    * ((1.0 - influence.rate) * own + influence.rate * neighbours);
        }
    }
    if influence.is_some() {
        state.position.copy_from_slice(&scratch.next_position);
    }
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
        // Each partner's similarity, or 0 if it sanctions the regime: the same on every channel.
        let own = state.position[actor];
        for partner in 0..n {
            scratch.drive[partner] = if scratch.barred[actor * n + partner] {
                0.0
            } else {
                (1.0 - (own - state.position[partner]).abs() / 2.0) as f32
            };
        }
        let mut lanes = ZERO;
        for channel in 0..model.channel_count() {
            let row = state.row(channel, actor);
            for (weights, similarities) in row
                .chunks_exact(LANES)
                .zip(scratch.drive.chunks_exact(LANES))
            {
                lanes += load(weights) * load(similarities);
            }
        }
        let support = (lane_sum(&lanes.to_array()) / channel_count).min(1.0);
        let stability =
            (state.stability[actor] + support_gain * support - opposition).clamp(0.0, 1.0);
        state.stability[actor] = stability;
        let hazard = base_hazard * (1.0 - stability).powf(hazard_shape);
        if draw < hazard {
            state.regime_end[actor] = month;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::model::Simulation;
    use crate::scenario::{ChannelSet, Scenario};

    /// A world of `actors` actors on three channels spread over the globe, with commitment
    /// waning on and random dense ties.
    fn waning_world(actors: usize) -> String {
        let mut toml = String::from(
            "[scenario]\nname = \"waning\"\nstart = \"2020-01\"\nend = \"2020-12\"\n\
             channels = [\"trade\", \"arms\", \"finance\"]\n",
        );
        for actor in 0..actors {
            toml.push_str(&format!(
                "[[actors]]\nid = \"A{actor}\"\ncapacity = 1\nposition = 0\n\
                 location = [{}, {}]\n",
                (actor * 37 % 120) as f64 - 60.0,
                (actor * 53 % 340) as f64 - 170.0,
            ));
        }
        toml.push_str("[[rules]]\nrule = \"commitment_waning\"\n");
        toml
    }

    /// Regression test for the performance issue's banded waning: walking the columns one tie
    /// at a time and walking transposed bands of them give the same bits, whichever patrons
    /// are over budget and by how much (some cut a column whole, some part of one client).
    #[test]
    fn both_ways_of_waning_cut_the_same_ties_to_the_bit() {
        for actors in [5, 13, 70, 130] {
            let scenario = Scenario::from_toml(&waning_world(actors), "waning.toml")
                .expect("the waning world is valid");
            let model = Model::new(scenario);
            let mut simulation = Simulation::new(&model);
            simulation.reset(7, 0);
            let mut random = ChaCha8Rng::seed_from_u64(actors as u64);
            for channel in 0..3 {
                for from in 0..actors {
                    for to in 0..actors {
                        // A fifth of the ties absent, so that some clients do not depend
                        // on their patron at all.
                        let weight = if random.random::<f64>() < 0.2 {
                            0.0
                        } else {
                            random.random::<f64>() * 2.0 / actors as f64
                        };
                        simulation.state_mut().set_weight(channel, from, to, weight);
                    }
                }
            }
            let channels = ChannelSet(0b101);
            // A third of the patrons over budget, from a sliver to more than they hold.
            let excesses: Vec<f64> = (0..actors)
                .map(|patron| match patron % 3 {
                    0 => random.random::<f64>() * 3.0,
                    1 => random.random::<f64>() * 0.05,
                    _ => -1.0,
                })
                .collect();
            let mut by_columns = simulation.state().clone();
            wane_column_by_column(&model, &mut by_columns, &excesses, channels);
            let mut in_bands = simulation.state().clone();
            let mut dependence =
                vec![0.0; PATRONS_PER_BAND.min(in_bands.stride()) * in_bands.stride()];
            wane_in_bands(&model, &mut in_bands, &excesses, &mut dependence, channels);
            assert_ne!(
                by_columns.weights,
                simulation.state().weights,
                "{actors} actors: some ties must be cut"
            );
            let bits = |state: &State| {
                state
                    .weights
                    .iter()
                    .map(|w| w.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&by_columns), bits(&in_bands), "{actors} actors");
        }
    }
}
