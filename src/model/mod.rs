//! The model: a scenario compiled into flat arrays, the state of a group of runs (one run per
//! SIMD lane, struct-of-arrays), and the [`Simulation`] that steps it. Steps are infallible
//! and do not allocate: every buffer is sized when the simulation is built and reused for each
//! group of runs.
//!
//! Run *r* is always computed in lane *r* mod [`LANES`] of the group of runs *r* / [`LANES`],
//! and no lane ever reads another lane, so a run's results do not depend on which runs share
//! its group, nor on threads, shards or resumption.

mod lanes;
mod rules;
mod world;

pub use lanes::{LANES, Lanes, Mask};
pub use world::{Model, REGIME_LASTS, RunState, State};

use crate::design::ExperimentScratch;
use crate::outcome::{Trace, Tracker};
use crate::param;
use crate::rng::{self, LaneStreams};
use crate::scenario::{Attribute, RuleKind, ShockOperation};

/// What one run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// One value per outcome, in scenario order, encoded as numbers (see [`crate::outcome`]).
    pub outcomes: Vec<f64>,
    /// How many non-finite numbers (NaN, infinity) the steps produced and replaced by 0.
    pub non_finite: u64,
}

/// The instructions the model's steps are compiled to. Both give the same bits (the lane
/// operations are exact IEEE operations without fused multiply-add; see `lanes`), so the
/// choice changes only the speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstructionSet {
    /// The portable x86-64 (or other) baseline: SSE2 on x86-64, two instructions per 8 lanes.
    Portable,
    /// AVX2, one instruction per 8 lanes; chosen at run time where the processor has it.
    Avx2,
}

impl InstructionSet {
    /// The fastest set this processor runs.
    pub fn detected() -> InstructionSet {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return InstructionSet::Avx2;
        }
        InstructionSet::Portable
    }

    /// `set` if this processor runs it, else the portable set.
    pub fn available(set: InstructionSet) -> InstructionSet {
        match set {
            InstructionSet::Avx2 if InstructionSet::detected() == InstructionSet::Avx2 => set,
            _ => InstructionSet::Portable,
        }
    }

    /// The set's name on the command line and in reports: "portable" or "avx2".
    pub fn name(self) -> &'static str {
        match self {
            InstructionSet::Portable => "portable",
            InstructionSet::Avx2 => "avx2",
        }
    }

    /// The set named `name` ("portable" or "avx2"), if any.
    pub fn named(name: &str) -> Option<InstructionSet> {
        [InstructionSet::Portable, InstructionSet::Avx2]
            .into_iter()
            .find(|set| set.name() == name)
    }

    /// The set new simulations use: the detected best, unless [`InstructionSet::prefer`] chose
    /// one.
    pub fn preferred() -> InstructionSet {
        match PREFERRED_INSTRUCTIONS.load(std::sync::atomic::Ordering::Relaxed) {
            1 => InstructionSet::Portable,
            2 => InstructionSet::available(InstructionSet::Avx2),
            _ => InstructionSet::detected(),
        }
    }

    /// Makes new simulations in this process use `set` where the processor runs it (the
    /// command line's `ENTENTE_INSTRUCTIONS`, for measuring one against the other).
    pub fn prefer(set: InstructionSet) {
        let code = match set {
            InstructionSet::Portable => 1,
            InstructionSet::Avx2 => 2,
        };
        PREFERRED_INSTRUCTIONS.store(code, std::sync::atomic::Ordering::Relaxed);
    }
}

/// 0: detect; 1: portable; 2: AVX2 (see [`InstructionSet::preferred`]).
static PREFERRED_INSTRUCTIONS: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Scratch buffers a step needs, sized once per model; one [`Lanes`] per actor unless noted.
pub(crate) struct Scratch {
    /// ln(1 − capacity drained by wars) this month.
    pub war_log_keep: Vec<Lanes>,
    pub budget_absorbed: Vec<Lanes>,
    /// `barred[target * n + partner]`: the partner sanctions the target this month (events
    /// are the same in every lane).
    pub barred: Vec<bool>,
    /// Whether each actor is the target of an active sanction this month.
    pub sanctioned: Vec<bool>,
    /// The lanes in which sanctions aimed at each actor have lifted this month (its regime
    /// fell at least its `sanctions_lift_months` ago); none for most actors.
    pub sanctions_lifted: Vec<Mask>,
    /// Patron bid: each actor's spare capacity this month, in [0, 1], and every row's total
    /// weight (`row_total[channel * n + from]`) at the start of the rule.
    pub spare: Vec<Lanes>,
    pub row_total: Vec<Lanes>,
    /// Sanction pressure on each actor this month.
    pub pressure: Vec<Lanes>,
    /// `lost[channel * n + target]`: the target's tie weight cut by sanctions this month.
    pub lost: Vec<Lanes>,
    /// `exposure[event * n + actor]`: share of the actor's ties held by the coalition of each
    /// secondary-sanctions event (in model order), this month.
    pub exposure: Vec<Lanes>,
    /// `stake[event * n + actor]`: share of the actor's ties on the event's channels held by
    /// the target of each secondary-sanctions event, this month.
    pub stake: Vec<Lanes>,
    pub next_position: Vec<Lanes>,
    /// Substitution logit: the channel-independent utility of each partner, then each
    /// partner's full utility and its e^(u − best).
    pub base_utility: Vec<Lanes>,
    pub odds: Vec<Lanes>,
    /// The partners a target may turn to this month (a list of actors, the same in every lane).
    pub partners: Vec<usize>,
    /// Each actor's log capacity relative to the log of the mean, for the substitution logit.
    pub relative_log_capacity: Vec<Lanes>,
    /// Each actor's commitments this month (how much the others depend on it).
    pub commitment: Vec<Lanes>,
    /// ln(1 + growth)/12 for each actor: recomputed when a run starts and when a shock
    /// changes an actor's growth.
    pub monthly_growth: Vec<Lanes>,
    /// Commitment waning: each patron's excess over its budget this month.
    pub excess: Vec<Lanes>,
    /// A per-partner factor: homophily's factor, regime support's similarity, a patron bid's
    /// logit factor.
    pub drive: Vec<Lanes>,
    /// One growth-noise stream per actor and one hazard stream per followed actor, each
    /// eight streams at once.
    pub noise_streams: Vec<LaneStreams>,
    pub hazard_streams: Vec<LaneStreams>,
    /// Non-finite numbers found, per lane.
    pub non_finite: [u64; LANES],
}

/// Runs a model: owns the state of a group of [`LANES`] runs and the scratch buffers, and
/// reuses them from group to group.
pub struct Simulation<'m> {
    model: &'m Model,
    /// The drawn parameter values of each lane's run, in scenario order.
    params: [Vec<f64>; LANES],
    /// The same values by parameter, one [`Lanes`] each, for the rules.
    values: Vec<Lanes>,
    /// The values of the varied parameters at a lane's design point, and the design's
    /// buffers (used only when the model has an experiment).
    design_values: Vec<f64>,
    design_scratch: ExperimentScratch,
    state: State,
    scratch: Scratch,
    tracker: Tracker,
    /// Whether every outcome's measure is read every month (for traces and envelopes), or
    /// only in the months its reduction uses.
    every_measure: bool,
    instruction_set: InstructionSet,
}

impl<'m> Simulation<'m> {
    /// A simulation of `model` with every buffer its runs need, so that running allocates
    /// nothing more; it reads every measure each month and uses the best instruction set.
    pub fn new(model: &'m Model) -> Simulation<'m> {
        let n = model.actor_count();
        let channels = model.channel_count();
        let param_count = model.scenario().params.len();
        let actors = || vec![Lanes::ZERO; n];
        // Placeholder streams, replaced by each group's own in `reset_lanes`.
        let placeholder = LaneStreams::new([0; 8], [0; LANES]);
        Simulation {
            model,
            params: std::array::from_fn(|_| Vec::with_capacity(param_count)),
            values: vec![Lanes::ZERO; param_count],
            design_values: vec![
                0.0;
                model
                    .experiment()
                    .map_or(0, |experiment| experiment.uncertainties().len())
            ],
            design_scratch: ExperimentScratch::default(),
            state: State::sized(n, channels, model.outreach.len(), model.keeps_fundamentals),
            scratch: Scratch {
                war_log_keep: actors(),
                budget_absorbed: actors(),
                barred: vec![false; n * n],
                sanctioned: vec![false; n],
                sanctions_lifted: vec![Mask::NONE; n],
                spare: actors(),
                row_total: if model.bid_channels.is_some() {
                    vec![Lanes::ZERO; channels * n]
                } else {
                    Vec::new()
                },
                pressure: actors(),
                lost: vec![Lanes::ZERO; channels * n],
                exposure: vec![Lanes::ZERO; model.secondary_sanctions.len() * n],
                stake: vec![Lanes::ZERO; model.secondary_sanctions.len() * n],
                next_position: actors(),
                base_utility: actors(),
                odds: actors(),
                partners: vec![0; n],
                relative_log_capacity: actors(),
                commitment: actors(),
                monthly_growth: actors(),
                excess: actors(),
                drive: actors(),
                noise_streams: vec![placeholder.clone(); n],
                hazard_streams: vec![placeholder; model.followed.len()],
                non_finite: [0; LANES],
            },
            tracker: Tracker::new(model),
            every_measure: true,
            instruction_set: InstructionSet::preferred(),
        }
    }

    /// Whether each month reads every outcome's measure (the default, needed by traces and by
    /// observers of monthly measures) or only those the outcomes' reductions use, which is
    /// faster and gives the same outcome values.
    pub fn set_every_measure(&mut self, every_measure: bool) {
        self.every_measure = every_measure;
    }

    /// Chooses the instructions the steps run on (the detected best by default); a set the
    /// processor lacks falls back to the portable one. Returns the set now in use.
    pub fn set_instruction_set(&mut self, set: InstructionSet) -> InstructionSet {
        self.instruction_set = InstructionSet::available(set);
        self.instruction_set
    }

    /// The instruction set the steps run on.
    pub fn instruction_set(&self) -> InstructionSet {
        self.instruction_set
    }

    /// The parameter values drawn for the run in `lane`, in scenario order.
    pub fn params(&self, lane: usize) -> &[f64] {
        &self.params[lane]
    }

    /// The state of the current group of runs, as the last step left it.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, for tools that set one up by hand (benchmarks of generated worlds, tests);
    /// the next reset overwrites it.
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// Bytes of memory that belong to one group of runs in flight: the state, the scratch
    /// buffers, the random streams, the drawn parameters and the outcome tracker. A batch
    /// worker holds one such set per scenario, whatever the number of runs; divide by
    /// [`LANES`] for the memory per run.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        fn bytes<T>(values: &Vec<T>) -> usize {
            values.capacity() * size_of::<T>()
        }
        let state = &self.state;
        let scratch = &self.scratch;
        let state_bytes = [
            &state.log_capacity,
            &state.initial_log_capacity,
            &state.growth,
            &state.position,
            &state.anchor,
            &state.stubbornness,
            &state.stability,
            &state.regime_end,
            &state.weights,
            &state.initial_commitment,
            &state.fundamental,
            &state.fundamental_total,
            &state.log_capacity_trend,
            &state.outreach_added,
            &state.initial_bid_commitment,
        ]
        .into_iter()
        .map(bytes)
        .sum::<usize>();
        let scratch_bytes = [
            &scratch.war_log_keep,
            &scratch.budget_absorbed,
            &scratch.pressure,
            &scratch.lost,
            &scratch.exposure,
            &scratch.stake,
            &scratch.next_position,
            &scratch.base_utility,
            &scratch.odds,
            &scratch.relative_log_capacity,
            &scratch.commitment,
            &scratch.monthly_growth,
            &scratch.excess,
            &scratch.drive,
            &scratch.spare,
            &scratch.row_total,
        ]
        .into_iter()
        .map(bytes)
        .sum::<usize>()
            + bytes(&scratch.barred)
            + bytes(&scratch.sanctioned)
            + bytes(&scratch.sanctions_lifted)
            + bytes(&scratch.partners)
            + bytes(&scratch.noise_streams)
            + bytes(&scratch.hazard_streams);
        size_of::<Self>()
            + state_bytes
            + scratch_bytes
            + self.params.iter().map(bytes).sum::<usize>()
            + bytes(&self.values)
            + self.tracker.memory_bytes()
    }

    /// Starts the group of runs that holds `run` (runs `run − run mod LANES` on, one per
    /// lane) and returns the lane `run` is in.
    pub fn reset(&mut self, seed: u64, run: u64) -> usize {
        let first = run - run % LANES as u64;
        self.reset_lanes(seed, std::array::from_fn(|lane| first + lane as u64));
        (run % LANES as u64) as usize
    }

    /// Starts a group with any run in each lane: draws the runs' parameters and sets their
    /// initial state, without allocating once warm. Batches always put run *r* in lane
    /// *r* mod [`LANES`] (see [`Simulation::reset`]); other placements exist to test that a
    /// lane's results do not depend on its neighbours.
    pub fn reset_lanes(&mut self, seed: u64, runs: [u64; LANES]) {
        let model = self.model;
        // The streams of each lane: its run's own, or under an experiment with replications,
        // its replication's (common random numbers across design points).
        let streams: [u64; LANES] = match &model.experiment {
            Some(bound) => runs.map(|run| bound.experiment.stream_run(run)),
            None => runs,
        };
        for (lane, &stream) in streams.iter().enumerate() {
            param::draw_all(
                &model.scenario().params,
                seed,
                stream,
                &mut self.params[lane],
            );
            if let Some(bound) = &model.experiment {
                let point = bound.experiment.locate(runs[lane]).point;
                bound
                    .experiment
                    .values(point, &mut self.design_scratch, &mut self.design_values);
                for (slot, value) in bound.slots.iter().zip(&self.design_values) {
                    if let Some(slot) = slot {
                        self.params[lane][*slot] = *value;
                    }
                }
            }
        }
        for (slot, values) in self.values.iter_mut().enumerate() {
            *values = Lanes::from_f64(&std::array::from_fn(|lane| self.params[lane][slot]));
        }
        self.state.initialise(model, &self.params, &self.values);
        // Each run's commitments at the start, the reference of waning's budget and of bids'
        // spare capacity (none where the rule is off).
        let state = &mut self.state;
        let n = model.actor_count();
        for (channels, initial) in [
            (model.waning_channels, &mut state.initial_commitment),
            (model.bid_channels, &mut state.initial_bid_commitment),
        ] {
            let channels = channels.unwrap_or_default();
            rules::commitments(&state.weights, n, channels, initial, None);
        }
        rules::update_monthly_growth(
            &self.state,
            &mut self.scratch.monthly_growth,
            0..model.actor_count(),
        );
        for (actor, stream) in self.scratch.noise_streams.iter_mut().enumerate() {
            *stream = LaneStreams::new(rng::key(seed, model.noise_purposes[actor]), streams);
        }
        for (index, stream) in self.scratch.hazard_streams.iter_mut().enumerate() {
            *stream = LaneStreams::new(rng::key(seed, model.hazard_purposes[index]), streams);
        }
        self.scratch.non_finite = [0; LANES];
        self.tracker.reset();
    }

    /// Applies month `month` (0 = the scenario's start) to every lane: events, then every
    /// rule in order, then the outcomes' measures.
    pub fn step(&mut self, month: u32) {
        match self.instruction_set {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `instruction_set` is `Avx2` only where the processor has AVX2
            // (`InstructionSet::available`).
            InstructionSet::Avx2 => unsafe { self.step_avx2(month) },
            _ => self.step_inline(month),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn step_avx2(&mut self, month: u32) {
        self.step_inline(month);
    }

    /// Every month of the current group, calling `observe` after each; compiled once per
    /// instruction set so that the whole loop, rules included, uses the chosen one.
    fn months<F: FnMut(&Simulation<'m>, u32)>(&mut self, observe: F) {
        match self.instruction_set {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `step`.
            InstructionSet::Avx2 => unsafe { self.months_avx2(observe) },
            _ => self.months_inline(observe),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn months_avx2<F: FnMut(&Simulation<'m>, u32)>(&mut self, observe: F) {
        self.months_inline(observe);
    }

    #[inline(always)]
    fn months_inline<F: FnMut(&Simulation<'m>, u32)>(&mut self, mut observe: F) {
        for month in 0..self.model.months() as u32 {
            self.step_inline(month);
            observe(self, month);
        }
    }

    #[inline(always)]
    fn step_inline(&mut self, month: u32) {
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
                        &self.values,
                        &mut self.state,
                        &mut self.scratch,
                    );
                    index += 2;
                }
                _ => {
                    rules::apply(
                        rule,
                        model,
                        &self.values,
                        &mut self.state,
                        &mut self.scratch,
                        month,
                    );
                    index += 1;
                }
            }
        }
        self.state.sanitise(&mut self.scratch.non_finite);
        self.tracker
            .observe(model, &self.state, month, self.every_measure);
    }

    /// One whole run (computed in its lane of its group). With a trace, every month's state
    /// of that run is also recorded into it.
    pub fn run(&mut self, seed: u64, run: u64, mut trace: Option<&mut Trace>) -> RunResult {
        if let Some(trace) = trace.as_deref_mut() {
            trace.clear();
        }
        let model = self.model;
        let lane = self.reset(seed, run);
        // A trace records every measure every month.
        let every_measure = self.every_measure;
        self.every_measure |= trace.is_some();
        self.months(|simulation, month| {
            if let Some(trace) = trace.as_deref_mut() {
                trace.record(model, &simulation.state, &simulation.tracker, month, lane);
            }
        });
        self.every_measure = every_measure;
        let mut outcomes = Vec::with_capacity(LANES * model.scenario().outcomes.len());
        self.tracker.finish(model, &self.state, &mut outcomes);
        let count = model.scenario().outcomes.len();
        outcomes.drain(..lane * count);
        outcomes.truncate(count);
        RunResult {
            outcomes,
            non_finite: self.scratch.non_finite[lane],
        }
    }

    /// The group of runs holding `first_run` (a multiple of [`LANES`]), for batches: writes
    /// the outcome values of every lane into `outcomes` (cleared first; lane by lane, each
    /// lane's outcomes in scenario order), calls `observe` after every month with each
    /// outcome's measure that month, and returns each lane's count of non-finite numbers
    /// replaced. Allocates nothing once `outcomes` has room.
    pub fn run_group(
        &mut self,
        seed: u64,
        first_run: u64,
        outcomes: &mut Vec<f64>,
        observe: impl FnMut(u32, &[Lanes]),
    ) -> [u64; LANES] {
        debug_assert_eq!(
            first_run % LANES as u64,
            0,
            "groups start on a multiple of LANES"
        );
        self.reset(seed, first_run);
        self.run_from_reset(outcomes, observe)
    }

    /// Every month of the group the last reset started, as [`Simulation::run_group`] does.
    pub fn run_from_reset(
        &mut self,
        outcomes: &mut Vec<f64>,
        mut observe: impl FnMut(u32, &[Lanes]),
    ) -> [u64; LANES] {
        self.months(|simulation, month| observe(month, simulation.tracker.latest()));
        self.tracker.finish(self.model, &self.state, outcomes);
        self.scratch.non_finite
    }

    /// Sets this month's event-driven scratch values and applies one-off shocks.
    #[cfg_attr(feature = "profile-parts", inline(never))]
    #[cfg_attr(not(feature = "profile-parts"), inline(always))]
    fn begin_month(&mut self, month: u32) {
        let model = self.model;
        let scratch = &mut self.scratch;
        let state = &mut self.state;
        let values = &self.values;
        let n = model.actor_count();
        scratch.budget_absorbed.fill(Lanes::ZERO);
        scratch.sanctioned.fill(false);
        scratch.barred.fill(false);
        scratch.pressure.fill(Lanes::ZERO);
        scratch.lost.fill(Lanes::ZERO);
        // The drained share first (in `war_log_keep`), then its logarithm.
        scratch.war_log_keep.fill(Lanes::ZERO);
        let mut at_war = false;
        for war in model.wars.iter().filter(|war| war.window.contains(month)) {
            at_war = true;
            let actor = war.belligerent;
            scratch.war_log_keep[actor] =
                (scratch.war_log_keep[actor] + values[war.capacity_drain]).min(Lanes::ONE);
            scratch.budget_absorbed[actor] =
                (scratch.budget_absorbed[actor] + values[war.budget_absorbed]).min(Lanes::ONE);
        }
        if at_war {
            for keep in &mut scratch.war_log_keep {
                *keep = (Lanes::ONE - *keep).ln();
            }
        }
        for sanction in model
            .sanctions
            .iter()
            .filter(|sanction| sanction.window.contains(month))
        {
            scratch.sanctioned[sanction.target] = true;
            for &member in &sanction.coalition {
                scratch.barred[sanction.target * n + member] = true;
            }
        }
        // Transitions: a fallen regime's successor position becomes the actor's anchor, its
        // position moves toward it, and sanctions aimed at it lift after their lag.
        for (index, &actor) in model.followed.iter().enumerate() {
            let Some(successor) = &model.successors[index] else {
                continue;
            };
            let fell = !state.regime_lasts(actor);
            if !fell.any() {
                scratch.sanctions_lifted[actor] = Mask::NONE;
                continue;
            }
            let target = values[successor.position];
            let step = Lanes::ONE / values[successor.transition_months];
            let position = state.position[actor];
            state.position[actor] = fell.select(position + step * (target - position), position);
            state.anchor[actor] = fell.select(target, state.anchor[actor]);
            let lift_month = state.regime_end[actor] + values[successor.sanctions_lift_months];
            scratch.sanctions_lifted[actor] =
                fell & lift_month.less_or_equal(Lanes::splat(month as f32));
        }
        for (index, secondary) in model.secondary_sanctions.iter().enumerate() {
            let exposure = &mut scratch.exposure[index * n..(index + 1) * n];
            if !secondary.window.contains(month) {
                exposure.fill(Lanes::ZERO);
                scratch.stake[index * n..(index + 1) * n].fill(Lanes::ZERO);
                continue;
            }
            let stake = &mut scratch.stake[index * n..(index + 1) * n];
            for (actor, (exposure, stake)) in exposure.iter_mut().zip(stake).enumerate() {
                // One pass over the actor's rows for both shares.
                let mut total = Lanes::ZERO;
                let mut held = Lanes::ZERO;
                for channel in secondary.channels.iter() {
                    for (&weight, &member) in state
                        .row(channel, actor)
                        .iter()
                        .zip(&secondary.in_coalition)
                    {
                        total += weight;
                        if member {
                            held += weight;
                        }
                    }
                }
                let in_target = state.weight_sum(secondary.channels, actor, secondary.target);
                let some = total.greater_than(Lanes::ZERO);
                *exposure = some.select(held / total, Lanes::ZERO);
                *stake = some.select(in_target / total, Lanes::ZERO);
            }
        }
        for shock in model.shocks.iter().filter(|shock| shock.month == month) {
            self.apply_shock(shock);
        }
        for change in model.tie_events.iter().filter(|event| event.month == month) {
            let weight = self.values[change.weight];
            for channel in change.channels.iter() {
                self.state.set_tie(channel, change.from, change.to, weight);
            }
        }
    }

    /// A one-off shock, lane by lane (shocks are rare: their cost does not matter).
    #[inline(never)]
    fn apply_shock(&mut self, shock: &world::ShockEvent) {
        let state = &mut self.state;
        for lane in 0..LANES {
            let value = self.params[lane][shock.value];
            for &actor in &shock.actors {
                // A fallen regime's stability is frozen at the fall (docs/MODEL.md).
                if shock.attribute == Attribute::Stability
                    && !state.regime_lasts(actor).is_set(lane)
                {
                    continue;
                }
                let before = f64::from(state.attribute(shock.attribute, actor).0[lane]);
                let after = match shock.operation {
                    ShockOperation::Add => before + value,
                    ShockOperation::Multiply => before * value,
                    ShockOperation::Set => value,
                };
                // Growth is kept in its domain at once, since this month's capacity step
                // uses it before the end-of-month clamp.
                let after = if shock.attribute == Attribute::Growth {
                    if after.is_finite() {
                        after.max(-0.99)
                    } else {
                        after
                    }
                } else {
                    after
                };
                state.set_attribute(shock.attribute, actor, lane, after);
            }
        }
        if shock.attribute == Attribute::Growth {
            rules::update_monthly_growth(
                &self.state,
                &mut self.scratch.monthly_growth,
                shock.actors.iter().copied(),
            );
        }
    }
}
