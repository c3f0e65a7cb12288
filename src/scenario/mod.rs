//! Scenarios: the validated, cannot-be-invalid description of a world, its timeline, its rules
//! and what to measure. `load` reads a TOML file and returns a [`Scenario`] or every error in it.

mod diagnostic;
mod display;
mod overlay;
mod overrides;
mod reader;
mod rules;
mod validate;
mod warnings;

use std::path::Path;

pub use diagnostic::{
    Diagnostic, InvalidScenario, MAX_DIAGNOSTICS_PER_FILE, MAX_QUOTED_CHARS, MAX_SOURCE_LINE_CHARS,
    Omitted, Problem, ReadError, ScenarioError, SourceFile, Sources, nearest_names,
};
pub use overlay::MAX_EXTENDS_DEPTH;
pub use overrides::{OVERRIDES_FILE, OverrideError, OverrideErrors, Overrides};
pub use rules::{RULE_DEFINITIONS, RuleDefinition, RuleKind};

use crate::param::{ParamId, ParamSpec};
use crate::time::Month;

/// Index of an actor in [`Scenario::actors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(pub u32);

/// Index of a channel in [`Scenario::channels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelId(pub u32);

/// The largest scenario file read, in bytes (8 MiB), for the file named and each file it
/// extends. Real scenarios are tens of kilobytes (the flagship is 65 KB; a dense 100-actor
/// world on four channels written out tie by tie is about 2.5 MB). Parsing takes memory in
/// proportion to the file, about 30 bytes for each byte of a file of short values (the `toml`
/// crate's parse tree), so the limit keeps a mistaken or hostile file to at most about 300 MB,
/// and a 10 MB file is refused at once by its size.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The longest scenario period, in months (200 years). A run keeps its outcomes' values and
/// traces month by month, so the period bounds what a run and a batch hold; no question the
/// engine is built for spans centuries.
pub const MAX_PERIOD_MONTHS: usize = 2400;

/// The most actors a scenario may have. A model keeps several tables with an entry for every
/// pair of actors (distances, each actor's others ordered by distance, the tie weights of
/// each run), so memory grows with the square of the count: at 4,096 actors the distances
/// alone take 128 MiB.
pub const MAX_ACTORS: usize = 4096;

/// The most bytes one run's tie weights may take (1 GiB): `channels × actors × actors`, 4 bytes
/// each (see `model::State`). Each thread of a batch holds those of a group of `model::LANES`
/// runs, so with many channels the actor limit is lower than [`MAX_ACTORS`].
pub const MAX_TIE_WEIGHT_BYTES: usize = 1 << 30;

/// The most channels a scenario may declare, so that a set of channels fits in one `u64`.
pub const MAX_CHANNELS: usize = 64;

/// A set of channels as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChannelSet(pub u64);

impl ChannelSet {
    /// The set of the first `count` channels (all 64 when `count` is 64 or more).
    pub fn all(count: usize) -> ChannelSet {
        ChannelSet(if count >= 64 {
            u64::MAX
        } else {
            (1u64 << count) - 1
        })
    }
    /// Whether the channel with this index is in the set (false for an index of 64 or more).
    pub fn contains(self, channel: usize) -> bool {
        channel < 64 && self.0 & (1u64 << channel) != 0
    }
    /// Adds the channel with this index, which must be below 64.
    pub fn insert(&mut self, channel: usize) {
        self.0 |= 1u64 << channel;
    }
    /// Whether the set holds no channel.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The channel indices in increasing order (one step per member, not per bit).
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut remaining = self.0;
        std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let channel = remaining.trailing_zeros() as usize;
            remaining &= remaining - 1;
            Some(channel)
        })
    }
}

/// A validated scenario. Every id refers to an existing actor, channel or parameter; every
/// date lies inside the period; every parameter's distribution is valid and within the
/// bounds of what it parameterises. Only validation builds one (its fields are private to the
/// crate), so the engine indexes into it without checks.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) description: String,
    /// The question the scenario and its variants answer (`question`), if it states one.
    pub(crate) question: Option<String>,
    /// What this scenario, as a counterfactual variant, takes away from the one it is
    /// compared with (`effect_of`): reports read that one minus this one as its effect.
    pub(crate) effect_of: Option<String>,
    pub(crate) start: Month,
    pub(crate) end: Month,
    pub(crate) seed: u64,
    pub(crate) channels: Vec<String>,
    /// The channels whose flows scale with the `from` actor's capacity (`flows_scale_with_capacity`);
    /// on the others an actor's volume is 1, and a flow is the tie weight itself.
    pub(crate) capacity_flow_channels: ChannelSet,
    pub(crate) actors: Vec<Actor>,
    pub(crate) ties: Vec<Tie>,
    pub(crate) events: Vec<Event>,
    /// The rules switched on, in the engine's fixed order of application (see `RuleKind`).
    pub(crate) rules: Vec<Rule>,
    pub(crate) outcomes: Vec<OutcomeSpec>,
    /// Every numeric parameter, fixed or uncertain; referred to by [`ParamId`].
    pub(crate) params: Vec<ParamSpec>,
    /// The files it was read from: the one named, then each file it extends.
    pub(crate) sources: Sources,
}

impl Scenario {
    /// Reads and validates a scenario file, following `extends` to the files it builds on.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        overlay::load(path)
    }

    /// Validates scenario text; `origin` names it in error messages (usually the file path).
    /// Text has no file to be relative to, so `extends` is not followed here.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let mut sources = Sources::default();
        sources.add(origin.to_string(), text.to_string());
        let (root, errors) = toml::de::DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            let mut diagnostics = diagnostic::Diagnostics::new(&sources);
            diagnostics.extend(validate::syntax_diagnostics(errors, 0));
            return Err(ScenarioError::Invalid(InvalidScenario::collected(
                &sources,
                diagnostics,
            )));
        }
        match validate::validate(&root, &sources) {
            Ok(mut scenario) => {
                scenario.sources = sources;
                Ok(scenario)
            }
            Err(diagnostics) => Err(ScenarioError::Invalid(InvalidScenario::collected(
                &sources,
                diagnostics,
            ))),
        }
    }

    /// Rebuilds a scenario from files recorded earlier (a batch manifest): `files` holds
    /// (path, text) of the file named, then of each file it extends, in order.
    pub fn from_files(files: &[(String, String)]) -> Result<Scenario, ScenarioError> {
        if files.is_empty() {
            return Err(ScenarioError::Read {
                path: String::new(),
                reason: std::io::Error::other("no scenario file was given").into(),
            });
        }
        let mut sources = Sources::default();
        for (path, text) in files {
            sources.add(path.clone(), text.clone());
        }
        overlay::resolve(sources, Vec::new())
    }

    /// The files the scenario was read from: the one named, then each file it extends.
    pub fn sources(&self) -> &[SourceFile] {
        self.sources.files()
    }

    /// The scenario's name, from its `[scenario]` table.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scenario's free-text description, from its `[scenario]` table.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The question the scenario asks (`[scenario] question`), if it states one.
    pub fn question(&self) -> Option<&str> {
        self.question.as_deref()
    }

    /// What this scenario, as a counterfactual, takes away (`[scenario] effect_of`, such as
    /// "Russia's war in Ukraine"): a comparison's report then reads the first scenario minus
    /// this one as the effect of that.
    pub fn effect_of(&self) -> Option<&str> {
        self.effect_of.as_deref()
    }

    /// A tie's name as keys and messages write it: `FROM.TO.CHANNEL` (`VEN.RUS.arms`).
    pub fn tie_name(&self, tie: &Tie) -> String {
        format!(
            "{}.{}.{}",
            self.actor(tie.from).id,
            self.actor(tie.to).id,
            self.channels[tie.channel.0 as usize]
        )
    }

    /// The first month simulated.
    pub fn start(&self) -> Month {
        self.start
    }

    /// The last month simulated.
    pub fn end(&self) -> Month {
        self.end
    }

    /// The default seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The names of the channels ties are declared on, in [`ChannelId`] order.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// The channels whose flows scale with the `from` actor's capacity.
    pub fn capacity_flow_channels(&self) -> ChannelSet {
        self.capacity_flow_channels
    }

    /// Every actor, in [`ActorId`] order.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// The initial ties the scenario declares; a pair and channel not listed starts at 0.
    pub fn ties(&self) -> &[Tie] {
        &self.ties
    }

    /// The dated events of the timeline.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The rules switched on, in the engine's order of application.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The outcomes to measure in every run.
    pub fn outcomes(&self) -> &[OutcomeSpec] {
        &self.outcomes
    }

    /// Every parameter, fixed or uncertain, in [`ParamId`] order.
    pub fn params(&self) -> &[ParamSpec] {
        &self.params
    }

    /// Number of monthly steps, both ends included.
    pub fn months(&self) -> usize {
        self.end.months_since(self.start) as usize + 1
    }

    /// The actor with this id.
    pub fn actor(&self, id: ActorId) -> &Actor {
        &self.actors[id.0 as usize]
    }

    /// The parameter with this id.
    pub fn param(&self, id: ParamId) -> &ParamSpec {
        &self.params[id.0 as usize]
    }

    /// The rule of this kind if the scenario switches it on, or `None`.
    pub fn rule(&self, kind: RuleKind) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.kind == kind)
    }

    /// The number of parameters drawn from a distribution rather than fixed.
    pub fn uncertain_param_count(&self) -> usize {
        self.uncertain_param_keys().count()
    }

    /// The keys of the parameters drawn from a distribution, in scenario order: the columns
    /// per-run rows give before the outcomes.
    pub fn uncertain_param_keys(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|param| !param.distribution.is_fixed())
            .map(|param| param.key.as_str())
    }
}

/// A state or bloc of the scenario (one `[[actors]]` entry) and its attributes.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Short unique id such as `"VEN"`: letters, digits, `_` or `-`.
    pub id: String,
    /// Name to show in reports; the id when the scenario gives none.
    pub name: String,
    /// Tags that events and rules use to name groups of actors (`coalition_tags`).
    pub tags: Vec<String>,
    /// Economic and military resources, in the scenario's own unit.
    pub capacity: ParamId,
    /// Annual growth rate of capacity (0.03 = 3% a year).
    pub growth: ParamId,
    /// Alignment: -1 the US-led order, +1 the Russia/China-led counter-order.
    pub position: ParamId,
    /// Weight of the actor's initial position in each month's update, in [0, 1].
    pub stubbornness: ParamId,
    /// Regime stability in [0, 1]; only actors that have one are followed for survival.
    pub stability: Option<ParamId>,
    /// Latitude and longitude in degrees.
    pub location: (f64, f64),
    /// What follows the regime if it falls (only actors with a `stability` have one).
    pub successor: Option<Successor>,
}

/// The transition after a followed regime falls: the successor's position, the months the
/// actor takes to reach it, and the months after the fall at which sanctions aimed at the
/// actor lift.
#[derive(Clone, Debug)]
pub struct Successor {
    /// The successor regime's position, in [-1, 1] (`successor_position`).
    pub position: ParamId,
    /// Time constant of the move to the successor's position, in months, at least 1.
    pub transition_months: ParamId,
    /// Months after the fall from which sanctions aimed at the actor stop acting, at least 0.
    pub sanctions_lift_months: ParamId,
}

/// How much `from` depends on `to` on one channel, in [0, 1].
#[derive(Clone, Debug)]
pub struct Tie {
    /// The dependent actor.
    pub from: ActorId,
    /// The actor depended on.
    pub to: ActorId,
    /// The channel the tie is on.
    pub channel: ChannelId,
    /// The initial weight, in [0, 1]; also the tie's fundamental level until a tie event sets it.
    pub weight: ParamId,
}

/// A dated event. Active in every month from `start` to `end` inclusive; one-off events
/// (shocks) act in their start month only.
#[derive(Clone, Debug)]
pub struct Event {
    /// Unique name of the event, used in messages and parameter keys.
    pub id: String,
    /// The first month the event acts.
    pub start: Month,
    /// The last month the event acts, inclusive; `None` for the end of the scenario.
    pub end: Option<Month>,
    /// What the event does.
    pub kind: EventKind,
}

/// What an event does, with its parameters (docs/MODEL.md gives the equations).
#[derive(Clone, Debug)]
pub enum EventKind {
    /// A coalition cuts its ties with a target.
    Sanctions {
        /// The sanctioning actors.
        coalition: Vec<ActorId>,
        /// The sanctioned actor.
        target: ActorId,
        /// How hard the sanctions bite, in [0, 1].
        intensity: ParamId,
        /// The channels whose ties are cut.
        channels: ChannelSet,
    },
    /// A belligerent fights a war that drains capacity and absorbs its commitment budget.
    War {
        /// The actor at war.
        belligerent: ActorId,
        /// Fraction of its capacity lost each month, in [0, 1].
        capacity_drain: ParamId,
        /// Fraction of its commitment budget the war takes, in [0, 1].
        budget_absorbed: ParamId,
    },
    /// `from` offers `to` closer ties; what the offer added fades at `fade` a month after
    /// the event ends.
    Outreach {
        /// The actor making the offer.
        from: ActorId,
        /// The actor receiving it, whose tie to `from` grows.
        to: ActorId,
        /// Size of the offer, in [0, 1].
        strength: ParamId,
        /// Monthly fraction of what the offer added that is taken back after it ends, in [0, 1].
        fade: ParamId,
        /// The channels the offer acts on.
        channels: ChannelSet,
    },
    /// A one-off structural change of a tie in the start month: `from`'s tie to `to` on
    /// `channels` is set to `weight`, and so is the level it relaxes toward (an
    /// intermediary's exit, a contract signed).
    Tie {
        /// The dependent actor of the tie.
        from: ActorId,
        /// The actor depended on.
        to: ActorId,
        /// The channels whose tie is set.
        channels: ChannelSet,
        /// The new weight and fundamental level, in [0, 1].
        weight: ParamId,
    },
    /// A coalition penalises third parties for their ties with a target.
    SecondarySanctions {
        /// The actors imposing the secondary sanctions.
        coalition: Vec<ActorId>,
        /// The actor whose partners are penalised.
        target: ActorId,
        /// How hard the penalty bites, in [0, 1].
        intensity: ParamId,
        /// The channels on which exposure is measured and ties are cut.
        channels: ChannelSet,
    },
    /// A one-off change of an attribute of some actors, in the start month.
    Shock {
        /// The actors whose attribute changes.
        actors: Vec<ActorId>,
        /// The attribute changed.
        attribute: Attribute,
        /// Whether `value` is added, multiplied or set.
        operation: ShockOperation,
        /// The amount added, the factor, or the new value.
        value: ParamId,
    },
}

impl EventKind {
    /// The event's `kind` as written in a scenario file, such as `"sanctions"`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Sanctions { .. } => "sanctions",
            EventKind::War { .. } => "war",
            EventKind::Outreach { .. } => "outreach",
            EventKind::SecondarySanctions { .. } => "secondary_sanctions",
            EventKind::Shock { .. } => "shock",
            EventKind::Tie { .. } => "tie",
        }
    }
}

/// Actor attributes that shocks can change and outcomes can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// Economic and military resources, in the scenario's own unit, at least 0.
    Capacity,
    /// Annual growth rate of capacity (0.03 = 3% a year), at least -0.99.
    Growth,
    /// Alignment, in [-1, 1]: -1 the US-led order, +1 the Russia/China-led counter-order.
    Position,
    /// Regime stability of a followed actor, in [0, 1].
    Stability,
    /// Weight of the actor's initial position in each month's update, in [0, 1].
    Stubbornness,
}

impl Attribute {
    /// The attributes' names as written in a scenario file, in declaration order.
    pub const NAMES: [&'static str; 5] = [
        "capacity",
        "growth",
        "position",
        "stability",
        "stubbornness",
    ];
    /// Every attribute, in the order of [`Attribute::NAMES`].
    pub const ALL: [Attribute; 5] = [
        Attribute::Capacity,
        Attribute::Growth,
        Attribute::Position,
        Attribute::Stability,
        Attribute::Stubbornness,
    ];
    /// The attribute's name as written in a scenario file, such as `"capacity"`.
    pub fn name(self) -> &'static str {
        Attribute::NAMES[self as usize]
    }
}

/// How a shock event changes an attribute with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShockOperation {
    /// The value is added to the attribute.
    Add,
    /// The attribute is multiplied by the value.
    Multiply,
    /// The attribute is set to the value.
    Set,
}

impl ShockOperation {
    /// The operations' names as written in a scenario file, in declaration order.
    pub const NAMES: [&'static str; 3] = ["add", "multiply", "set"];
    /// The operation's name as written in a scenario file, such as `"add"`.
    pub fn name(self) -> &'static str {
        ShockOperation::NAMES[self as usize]
    }
}

/// A rule switched on, with its parameters in the order of its [`RuleDefinition`].
#[derive(Clone, Debug)]
pub struct Rule {
    /// Which mechanism the rule is.
    pub kind: RuleKind,
    /// The rule's parameters, one per entry of its definition's parameter list.
    pub params: Vec<ParamId>,
    /// The channels the rule acts on (all channels unless the scenario says otherwise).
    pub channels: ChannelSet,
}

/// A named measure of a run.
#[derive(Clone, Debug)]
pub struct OutcomeSpec {
    /// Unique name of the outcome, shown in reports.
    pub name: String,
    /// What is read from the run each month.
    pub measure: Measure,
    /// How the monthly values become the outcome's one value.
    pub reduction: Reduction,
    /// A calibration band the outcome should fall in, if the scenario states one.
    pub target: Option<Target>,
    /// Whether the scenario marks it as one of the outcomes that answer its question
    /// (`key = true`): reports lead with these.
    pub key: bool,
    /// The smallest difference between scenarios that matters in practice (`relevant`), in
    /// the outcome's units (a probability for yes/no and month outcomes): reports call a
    /// difference small or large only against it.
    pub relevant: Option<f64>,
    /// Read only in runs where the actor's regime survived (or fell) by the end of the
    /// outcome's window; missing (NaN) in the others.
    pub given: Option<Given>,
}

/// The condition of a conditional outcome (`given = "survived"` or `"fell"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Given {
    /// Read only in runs where the regime still lasts at the end of the window.
    Survived,
    /// Read only in runs where the regime has fallen by the end of the window.
    Fell,
}

impl Given {
    /// The conditions' names as written in a scenario file, in declaration order.
    pub const NAMES: [&'static str; 2] = ["survived", "fell"];
    /// The condition's name as written in a scenario file.
    pub fn name(self) -> &'static str {
        Given::NAMES[self as usize]
    }
}

/// A calibration target: the band an outcome's batch median (for yes/no outcomes, its
/// probability of yes) should fall in, where the band comes from, and optionally the observed
/// value, which should lie inside the batch's 90% band (5th to 95th percentile).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Lower end of the band.
    pub low: f64,
    /// Upper end of the band.
    pub high: f64,
    /// The value observed in the world, if stated.
    pub observed: Option<f64>,
    /// Where the band comes from (a citation or a judgement).
    pub source: String,
}

/// What an outcome reads from a run each month (docs/MODEL.md, "Outcomes").
#[derive(Clone, Debug)]
pub enum Measure {
    /// Share of `actor`'s tie weight on `channels` held by `partners` together.
    TieShare {
        /// The actor whose ties are read.
        actor: ActorId,
        /// The partners whose share is measured.
        partners: Vec<ActorId>,
        /// The channels summed over.
        channels: ChannelSet,
    },
    /// Weight of the tie from `actor` to `partner` on one channel.
    TieWeight {
        /// The dependent actor.
        actor: ActorId,
        /// The actor depended on.
        partner: ActorId,
        /// The channel read.
        channel: ChannelId,
    },
    /// The value of one of `actor`'s attributes.
    Attribute {
        /// The actor read.
        actor: ActorId,
        /// The attribute read.
        attribute: Attribute,
    },
    /// 1 while the actor's regime lasts, 0 after it has ended.
    Survives {
        /// The followed actor (one with a stability).
        actor: ActorId,
    },
    /// The month the actor's regime ended, or none.
    RegimeChangeMonth {
        /// The followed actor (one with a stability).
        actor: ActorId,
    },
    /// The first month in which `partner`'s share of `actor`'s ties exceeds `rival`'s.
    Crossover {
        /// The actor whose ties are read.
        actor: ActorId,
        /// The partner whose share must come to exceed the rival's.
        partner: ActorId,
        /// The partner it is compared with.
        rival: ActorId,
        /// The channels summed over.
        channels: ChannelSet,
    },
    /// The flow on `actor`'s ties to `partners` on `channels`: Σ weight × the actor's volume.
    Flow {
        /// The actor whose ties carry the flow.
        actor: ActorId,
        /// The partners the flow goes to.
        partners: Vec<ActorId>,
        /// The channels summed over.
        channels: ChannelSet,
    },
    /// `actor`'s share of the flows on every actor's ties to `partners` on `channels` (for
    /// arms, "Venezuela's share of Russia's arms exports").
    ShareOfPartner {
        /// The actor whose share is measured.
        actor: ActorId,
        /// The partners whose incoming flows are shared out.
        partners: Vec<ActorId>,
        /// The channels summed over.
        channels: ChannelSet,
    },
    /// A vote: score = position + `partner_weight` × Σ ties to `partner` on `channels`;
    /// yes (1) below `yes_below`, no (−1) above `no_above`, abstain (0) between.
    Vote {
        /// The voting actor.
        actor: ActorId,
        /// Scores below this vote yes.
        yes_below: f64,
        /// Scores above this vote no.
        no_above: f64,
        /// The partner whose ties pull the score, if any.
        partner: Option<ActorId>,
        /// Weight of the ties to `partner` in the score (0 without a partner).
        partner_weight: f64,
        /// The channels whose ties to `partner` are summed.
        channels: ChannelSet,
    },
}

impl Measure {
    /// The measure's name as written in a scenario file (an attribute's own name for
    /// [`Measure::Attribute`]).
    pub fn name(&self) -> &'static str {
        match self {
            Measure::TieShare { .. } => "tie_share",
            Measure::TieWeight { .. } => "tie_weight",
            Measure::Attribute { attribute, .. } => attribute.name(),
            Measure::Survives { .. } => "survives",
            Measure::RegimeChangeMonth { .. } => "regime_change_month",
            Measure::Crossover { .. } => "crossover",
            Measure::Flow { .. } => "flow",
            Measure::ShareOfPartner { .. } => "share_of_partner",
            Measure::Vote { .. } => "vote",
        }
    }

    /// The actor the measure is about.
    pub fn actor(&self) -> ActorId {
        match self {
            Measure::TieShare { actor, .. }
            | Measure::TieWeight { actor, .. }
            | Measure::Attribute { actor, .. }
            | Measure::Survives { actor }
            | Measure::RegimeChangeMonth { actor }
            | Measure::Crossover { actor, .. }
            | Measure::Flow { actor, .. }
            | Measure::ShareOfPartner { actor, .. }
            | Measure::Vote { actor, .. } => *actor,
        }
    }

    /// Whether the measure is a month (or none) rather than a number.
    pub fn is_month(&self) -> bool {
        matches!(
            self,
            Measure::RegimeChangeMonth { .. } | Measure::Crossover { .. }
        )
    }
}

/// How a measure's monthly values become one outcome value. Month indices count from the
/// scenario start (0 = the start month) and are inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reduction {
    /// The value at the end of one month.
    At(u32),
    /// The mean of the monthly values over a window of months.
    Mean {
        /// The window's first month.
        from: u32,
        /// The window's last month.
        to: u32,
    },
    /// The smallest monthly value over a window of months.
    Min {
        /// The window's first month.
        from: u32,
        /// The window's last month.
        to: u32,
    },
    /// The largest monthly value over a window of months.
    Max {
        /// The window's first month.
        from: u32,
        /// The window's last month.
        to: u32,
    },
}

impl Reduction {
    /// The last month the reduction reads (its month, or its window's end).
    pub fn last_month(self) -> u32 {
        match self {
            Reduction::At(at) => at,
            Reduction::Mean { to, .. } | Reduction::Min { to, .. } | Reduction::Max { to, .. } => {
                to
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_sets_iterate_their_members_in_order() {
        let mut set = ChannelSet::default();
        for channel in [5, 0, 63, 17] {
            set.insert(channel);
        }
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 5, 17, 63]);
        assert!(set.contains(17) && !set.contains(16));
        assert_eq!(ChannelSet::all(3).iter().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(ChannelSet::all(64).iter().count(), 64);
        assert!(ChannelSet::default().is_empty());
    }
}
