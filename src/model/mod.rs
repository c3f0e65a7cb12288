//! The model: a scenario compiled into flat arrays, the per-run state (struct-of-arrays), and
//! the [`Simulation`] that steps it. Steps are infallible and do not allocate: every buffer is
//! sized when the simulation is built and reused for each run.

mod exp;
mod rules;
mod world;

pub use world::{LANES, Model, State, padded};

use rand_chacha::ChaCha8Rng;

use crate::outcome::{Trace, Tracker};
use crate::param;
use crate::rng::{self, Purpose};
use crate::scenario::{Attribute, RuleKind, ShockOperation};

/// What one run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// One value per outcome, in scenario order, encoded as numbers (see [`crate::outcome`]).
    pub outcomes: Vec<f64>,
    /// How many non-finite numbers (NaN, infinity) the steps produced and replaced by 0.
    pub non_finite: u64,
}

/// Scratch buffers a step needs, sized once per model.
pub(crate) struct Scratch {
    pub war_drain: Vec<f64>,
    pub budget_absorbed: Vec<f64>,
    /// `barred[target * n + partner]`: the partner sanctions the target this month.
    pub barred: Vec<bool>,
    /// Sanction pressure on each actor this month.
    pub pressure: Vec<f64>,
    /// `lost[channel * n + target]`: the target's tie weight cut by sanctions this month.
    pub lost: Vec<f64>,
    /// `exposure[event * n + actor]`: share of the actor's ties held by the coalition of each
    /// secondary-sanctions event (in model order), this month.
    pub exposure: Vec<f64>,
    pub next_position: Vec<f64>,
    /// Substitution logit: the channel-independent utility of each partner, then the full one.
    pub base_utility: Vec<f64>,
    pub utility: Vec<f64>,
    /// Each partner's e^(u − best) in the logit, a padded row.
    pub choice: Vec<f32>,
    /// 1 for each actor that is the target of an active sanction this month, 0 for others and
    /// in the padding; and a padded row of 1s for actors and 0s for the padding: rows for
    /// passes in vector lanes.
    pub sanctioned_mask: Vec<f32>,
    pub live: Vec<f32>,
    /// Each actor's log capacity relative to the log of the mean, for the substitution logit.
    pub log_capacity: Vec<f64>,
    /// Each actor's commitments this month (a padded row).
    pub commitment: Vec<f32>,
    /// ln(1 + growth)/12 for each actor, and the growth it was computed from: recomputed only
    /// when a shock or the domain clamp changes an actor's growth.
    pub monthly_growth: Vec<f64>,
    pub growth_seen: Vec<f64>,
    /// Commitment waning: each patron's excess over its budget this month, and the clients'
    /// dependence on each patron of a band, a padded row per patron, turned by the walk into
    /// the factor each tie is kept at.
    pub excess: Vec<f64>,
    pub dependence: Vec<f32>,
    /// Positions as a padded `f32` row, for passes over tie rows.
    pub positions: Vec<f32>,
    /// A padded row of per-partner factors: homophily's drive, regime support's similarity.
    pub drive: Vec<f32>,
    /// One growth-noise stream per actor and one hazard stream per followed actor.
    pub noise_streams: Vec<ChaCha8Rng>,
    pub hazard_streams: Vec<ChaCha8Rng>,
    pub non_finite: u64,
}

/// Runs a model: owns the state and scratch buffers and reuses them from run to run.
pub struct Simulation<'m> {
    model: &'m Model,
    params: Vec<f64>,
    state: State,
    scratch: Scratch,
    tracker: Tracker,
    /// Whether every outcome's measure is read every month (for traces and envelopes), or
    /// only in the months its reduction uses.
    every_measure: bool,
}

impl<'m> Simulation<'m> {
    pub fn new(model: &'m Model) -> Simulation<'m> {
        let n = model.actor_count();
        let channels = model.channel_count();
        // Placeholder streams, replaced by each run's own in `reset`.
        let placeholder = rng::stream(0, 0, Purpose(0));
        Simulation {
            model,
            params: Vec::with_capacity(model.scenario().params.len()),
            state: State::sized(n, channels),
            scratch: Scratch {
                war_drain: vec![0.0; n],
                budget_absorbed: vec![0.0; n],
                barred: vec![false; n * n],
                pressure: vec![0.0; n],
                lost: vec![0.0; channels * n],
                exposure: vec![0.0; model.secondary_sanctions.len() * n],
                next_position: vec![0.0; n],
                base_utility: vec![0.0; n],
                utility: vec![0.0; n],
                choice: vec![0.0; padded(n)],
                sanctioned_mask: vec![0.0; padded(n)],
                live: (0..padded(n))
                    .map(|index| if index < n { 1.0 } else { 0.0 })
                    .collect(),
                log_capacity: vec![0.0; n],
                commitment: vec![0.0; padded(n)],
                monthly_growth: vec![0.0; n],
                growth_seen: vec![f64::NAN; n],
                excess: vec![0.0; n],
                dependence: vec![0.0; rules::PATRONS_PER_BAND.min(padded(n)) * padded(n)],

                positions: vec![0.0; padded(n)],
                drive: vec![0.0; padded(n)],
                noise_streams: vec![placeholder.clone(); n],
                hazard_streams: vec![placeholder; model.followed.len()],
                non_finite: 0,
            },
            tracker: Tracker::new(model),
            every_measure: true,
        }
    }

    /// Whether each month reads every outcome's measure (the default, needed by traces and by
    /// observers of monthly measures) or only those the outcomes' reductions use, which is
    /// faster and gives the same outcome values.
    pub fn set_every_measure(&mut self, every_measure: bool) {
        self.every_measure = every_measure;
    }

    /// The parameter values drawn for the current run, in scenario order.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, for tools that set one up by hand (benchmarks of generated worlds, tests);
    /// the next [`Simulation::reset`] overwrites it.
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// Bytes of memory that belong to one run in flight: the state, the scratch buffers, the
    /// random streams, the drawn parameters and the outcome tracker. A batch worker holds one
    /// such set per scenario, whatever the number of runs.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        fn bytes<T>(values: &Vec<T>) -> usize {
            values.capacity() * size_of::<T>()
        }
        let state = &self.state;
        let scratch = &self.scratch;
        let state_bytes = [
            &state.capacity,
            &state.initial_capacity,
            &state.growth,
            &state.position,
            &state.anchor,
            &state.stubbornness,
            &state.stability,
            &state.initial_commitment,
        ]
        .into_iter()
        .map(bytes)
        .sum::<usize>()
            + bytes(&state.regime_end)
            + bytes(&state.weights);
        let scratch_bytes = [
            &scratch.war_drain,
            &scratch.budget_absorbed,
            &scratch.pressure,
            &scratch.lost,
            &scratch.exposure,
            &scratch.next_position,
            &scratch.base_utility,
            &scratch.utility,
            &scratch.log_capacity,
            &scratch.monthly_growth,
            &scratch.growth_seen,
            &scratch.excess,
        ]
        .into_iter()
        .map(bytes)
        .sum::<usize>()
            + [
                &scratch.choice,
                &scratch.sanctioned_mask,
                &scratch.live,
                &scratch.commitment,
                &scratch.positions,
                &scratch.drive,
                &scratch.dependence,
            ]
            .into_iter()
            .map(bytes)
            .sum::<usize>()
            + bytes(&scratch.barred)
            + bytes(&scratch.noise_streams)
            + bytes(&scratch.hazard_streams);
        size_of::<Self>()
            + state_bytes
            + scratch_bytes
            + bytes(&self.params)
            + self.tracker.memory_bytes()
    }

    /// Draws the run's parameters and sets the initial state, without allocating once warm.
    pub fn reset(&mut self, seed: u64, run: u64) {
        let model = self.model;
        param::draw_all(&model.scenario().params, seed, run, &mut self.params);
        self.state.initialise(model, &self.params);
        if let Some(channels) = model.waning_channels {
            rules::commitments(&self.state, channels, &mut self.scratch.commitment);
        } else {
            self.scratch.commitment.fill(0.0);
        }
        for (initial, &commitment) in self
            .state
            .initial_commitment
            .iter_mut()
            .zip(&self.scratch.commitment)
        {
            *initial = f64::from(commitment);
        }
        // NaN never equals anything, so every actor's monthly growth is computed afresh.
        self.scratch.growth_seen.fill(f64::NAN);
        for (actor, stream) in self.scratch.noise_streams.iter_mut().enumerate() {
            *stream = rng::stream(seed, run, model.noise_purposes[actor]);
        }
        for (index, stream) in self.scratch.hazard_streams.iter_mut().enumerate() {
            *stream = rng::stream(seed, run, model.hazard_purposes[index]);
        }
        self.scratch.non_finite = 0;
        self.tracker.reset();
    }

    /// Applies month `month` (0 = the scenario's start): events, then every rule in order.
    pub fn step(&mut self, month: u32) {
        let model = self.model;
        self.begin_month(month);
        let mut index = 0;
        while index < model.rules.len() {
            let rule = &model.rules[index];
            match model.rules.get(index + 1) {
                Some(next)
                    if model.fuse_tie_pass
                        && rule.kind == RuleKind::Homophily
                        && next.kind == RuleKind::Influence =>
                {
                    rules::apply_homophily_and_influence(
                        rule,
                        next,
                        &self.params,
                        &mut self.state,
                        &mut self.scratch,
                    );
                    index += 2;
                }
                _ => {
                    rules::apply(
                        rule,
                        model,
                        &self.params,
                        &mut self.state,
                        &mut self.scratch,
                        month,
                    );
                    index += 1;
                }
            }
        }
        self.scratch.non_finite += self.state.sanitise();
        self.tracker
            .observe(model, &self.state, month, self.every_measure);
    }

    /// One whole run. With a trace, every month's state is also recorded into it.
    pub fn run(&mut self, seed: u64, run: u64, mut trace: Option<&mut Trace>) -> RunResult {
        if let Some(trace) = trace.as_deref_mut() {
            trace.clear();
        }
        let mut outcomes = Vec::with_capacity(self.model.scenario().outcomes.len());
        let model = self.model;
        // A trace records every measure every month.
        let every_measure = self.every_measure;
        self.every_measure |= trace.is_some();
        let non_finite = self.run_observed(seed, run, &mut outcomes, |simulation, month| {
            if let Some(trace) = trace.as_deref_mut() {
                trace.record(model, &simulation.state, &simulation.tracker, month);
            }
        });
        self.every_measure = every_measure;
        RunResult {
            outcomes,
            non_finite,
        }
    }

    /// One whole run for batches: writes the outcome values into `outcomes` (cleared first),
    /// calls `observe` after every month with each outcome's measure that month, and returns
    /// the count of non-finite numbers replaced. Allocates nothing once `outcomes` has room.
    pub fn run_into(
        &mut self,
        seed: u64,
        run: u64,
        outcomes: &mut Vec<f64>,
        mut observe: impl FnMut(u32, &[f64]),
    ) -> u64 {
        self.run_observed(seed, run, outcomes, |simulation, month| {
            observe(month, simulation.tracker.latest())
        })
    }

    fn run_observed(
        &mut self,
        seed: u64,
        run: u64,
        outcomes: &mut Vec<f64>,
        mut observe: impl FnMut(&Simulation<'m>, u32),
    ) -> u64 {
        self.reset(seed, run);
        for month in 0..self.model.months() as u32 {
            self.step(month);
            observe(self, month);
        }
        self.tracker.finish(self.model, &self.state, outcomes);
        self.scratch.non_finite
    }

    /// Sets this month's event-driven scratch values and applies one-off shocks.
    fn begin_month(&mut self, month: u32) {
        let model = self.model;
        let scratch = &mut self.scratch;
        let state = &mut self.state;
        let n = model.actor_count();
        scratch.war_drain.fill(0.0);
        scratch.budget_absorbed.fill(0.0);
        scratch.sanctioned_mask.fill(0.0);
        scratch.barred.fill(false);
        scratch.pressure.fill(0.0);
        scratch.lost.fill(0.0);
        for war in model.wars.iter().filter(|war| war.window.contains(month)) {
            let actor = war.belligerent;
            scratch.war_drain[actor] =
                (scratch.war_drain[actor] + self.params[war.capacity_drain]).min(1.0);
            scratch.budget_absorbed[actor] =
                (scratch.budget_absorbed[actor] + self.params[war.budget_absorbed]).min(1.0);
        }
        for sanction in model
            .sanctions
            .iter()
            .filter(|sanction| sanction.window.contains(month))
        {
            scratch.sanctioned_mask[sanction.target] = 1.0;
            for &member in &sanction.coalition {
                scratch.barred[sanction.target * n + member] = true;
            }
        }
        for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
            let exposure = &mut scratch.exposure[index * n..(index + 1) * n];
            if !secondary.window.contains(month) {
                exposure.fill(0.0);
                continue;
            }
            for (actor, exposure) in exposure.iter_mut().enumerate() {
                *exposure = state.share_held(actor, &secondary.coalition_mask, secondary.channels);
            }
        }
        for shock in model.shocks.iter().filter(|shock| shock.month == month) {
            let value = self.params[shock.value];
            for &actor in &shock.actors {
                // A fallen regime's stability is frozen at the fall (docs/MODEL.md).
                if shock.attribute == Attribute::Stability && !state.regime_lasts(actor) {
                    continue;
                }
                let slot = state.attribute_mut(shock.attribute, actor);
                *slot = match shock.operation {
                    ShockOperation::Add => *slot + value,
                    ShockOperation::Multiply => *slot * value,
                    ShockOperation::Set => value,
                };
            }
        }
        for actor in 0..n {
            let growth = state.growth[actor];
            if growth != scratch.growth_seen[actor] {
                scratch.growth_seen[actor] = growth;
                scratch.monthly_growth[actor] = growth.ln_1p() / 12.0;
            }
        }
    }
}
