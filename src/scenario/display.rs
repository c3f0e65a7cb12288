//! The human-readable summary `entente check` prints: what a validated scenario holds.

use std::fmt::{self, Write as _};

use super::{EventKind, Measure, Reduction, Scenario, ShockOperation};
use crate::param::ParamId;

impl Scenario {
    fn param_text(&self, id: ParamId) -> String {
        self.param(id).distribution.to_string()
    }

    fn actor_ids(&self, ids: &[super::ActorId]) -> String {
        ids.iter()
            .map(|id| self.actor(*id).id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn channel_names(&self, set: super::ChannelSet) -> String {
        set.iter()
            .map(|channel| self.channels[channel].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn month_of(&self, index: u32) -> crate::time::Month {
        self.start.plus(index as i32)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario {}", self.name)?;
        if let Some(question) = &self.question {
            writeln!(f, "  question: {}", question.trim())?;
        }
        if let Some(effect_of) = &self.effect_of {
            writeln!(
                f,
                "  compared with another, takes away: {}",
                effect_of.trim()
            )?;
        }
        if !self.description.is_empty() {
            writeln!(f, "  {}", self.description.trim())?;
        }
        writeln!(
            f,
            "period   {} to {} ({} monthly steps), default seed {}",
            self.start,
            self.end,
            self.months(),
            self.seed
        )?;
        if self.sources.files().len() > 1 {
            let chain: Vec<&str> = self.sources.files()[1..]
                .iter()
                .map(|file| file.path.as_str())
                .collect();
            writeln!(
                f,
                "extends  {} (resolved below: the base with this file's changes)",
                chain.join(", which extends ")
            )?;
        }
        writeln!(f, "channels {}", self.channels.join(", "))?;
        if !self.capacity_flow_channels.is_empty() {
            writeln!(
                f,
                "flows    scale with the `from` actor's capacity on {}",
                self.channel_names(self.capacity_flow_channels)
            )?;
        }
        writeln!(
            f,
            "parameters {} ({} uncertain, drawn once per run)",
            self.params.len(),
            self.uncertain_param_count()
        )?;

        writeln!(f, "\nactors ({})", self.actors.len())?;
        let id_width = self
            .actors
            .iter()
            .map(|actor| actor.id.len())
            .max()
            .unwrap_or(0);
        for actor in &self.actors {
            let mut line = format!(
                "  {:<id_width$} {} — capacity {}, growth {}, position {}, stubbornness {}",
                actor.id,
                actor.name,
                self.param_text(actor.capacity),
                self.param_text(actor.growth),
                self.param_text(actor.position),
                self.param_text(actor.stubbornness)
            );
            if let Some(stability) = actor.stability {
                let _ = write!(line, ", stability {}", self.param_text(stability));
            }
            if !actor.tags.is_empty() {
                let _ = write!(line, " [{}]", actor.tags.join(", "));
            }
            writeln!(f, "{line}")?;
        }

        writeln!(f, "\nties ({})", self.ties.len())?;
        for (channel_index, channel) in self.channels.iter().enumerate() {
            let ties: Vec<String> = self
                .ties
                .iter()
                .filter(|tie| tie.channel.0 as usize == channel_index)
                .map(|tie| {
                    format!(
                        "{}->{} {}",
                        self.actor(tie.from).id,
                        self.actor(tie.to).id,
                        self.param_text(tie.weight)
                    )
                })
                .collect();
            writeln!(f, "  {channel} ({}): {}", ties.len(), ties.join(", "))?;
        }

        writeln!(f, "\nevents ({})", self.events.len())?;
        let mut events: Vec<_> = self.events.iter().collect();
        events.sort_by_key(|event| event.start);
        for event in events {
            let period = match (&event.kind, event.end) {
                (EventKind::Shock { .. } | EventKind::Tie { .. }, _) => {
                    format!("{} once", event.start)
                }
                (_, Some(end)) => format!("{} to {}", event.start, end),
                (_, None) => format!("{} on", event.start),
            };
            let detail = match &event.kind {
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
                } => format!(
                    "{} on {} by [{}], intensity {}, channels {}",
                    event.kind.name(),
                    self.actor(*target).id,
                    self.actor_ids(coalition),
                    self.param_text(*intensity),
                    self.channel_names(*channels)
                ),
                EventKind::War {
                    belligerent,
                    capacity_drain,
                    budget_absorbed,
                } => format!(
                    "war of {}, capacity drain {} a month, budget absorbed {}",
                    self.actor(*belligerent).id,
                    self.param_text(*capacity_drain),
                    self.param_text(*budget_absorbed)
                ),
                EventKind::Outreach {
                    from,
                    to,
                    strength,
                    fade,
                    channels,
                } => format!(
                    "outreach from {} to {}, strength {}, fade {} a month after it ends, channels {}",
                    self.actor(*from).id,
                    self.actor(*to).id,
                    self.param_text(*strength),
                    self.param_text(*fade),
                    self.channel_names(*channels)
                ),
                EventKind::Tie {
                    from,
                    to,
                    channels,
                    weight,
                } => format!(
                    "tie {}->{} set to {} (and its fundamental level), channels {}",
                    self.actor(*from).id,
                    self.actor(*to).id,
                    self.param_text(*weight),
                    self.channel_names(*channels)
                ),
                EventKind::Shock {
                    actors,
                    attribute,
                    operation,
                    value,
                } => format!(
                    "shock: {} {} of [{}] {} {}",
                    operation.name(),
                    attribute.name(),
                    self.actor_ids(actors),
                    match operation {
                        ShockOperation::Set => "to",
                        _ => "by",
                    },
                    self.param_text(*value)
                ),
            };
            writeln!(f, "  {:<18} {period}: {detail}", event.id)?;
        }

        writeln!(f, "\nrules ({}, applied in this order)", self.rules.len())?;
        for rule in &self.rules {
            let definition = rule.kind.definition();
            let params: Vec<String> = definition
                .params
                .iter()
                .zip(&rule.params)
                .map(|(param, id)| format!("{} {}", param.key, self.param_text(*id)))
                .collect();
            let mut line = format!("  {:<22} {}", definition.name, params.join(", "));
            if definition.takes_channels {
                let _ = write!(line, "; channels {}", self.channel_names(rule.channels));
            }
            writeln!(f, "{line}")?;
        }

        writeln!(f, "\noutcomes ({})", self.outcomes.len())?;
        for outcome in &self.outcomes {
            let subject = match &outcome.measure {
                Measure::TieShare {
                    actor,
                    partners,
                    channels,
                } => format!(
                    "share of {}'s ties held by {} on {}",
                    self.actor(*actor).id,
                    self.actor_ids(partners),
                    self.channel_names(*channels)
                ),
                Measure::TieWeight {
                    actor,
                    partner,
                    channel,
                } => format!(
                    "tie {}->{} on {}",
                    self.actor(*actor).id,
                    self.actor(*partner).id,
                    self.channels[channel.0 as usize]
                ),
                Measure::Attribute { actor, attribute } => {
                    format!("{} of {}", attribute.name(), self.actor(*actor).id)
                }
                Measure::Survives { actor } => {
                    format!("regime of {} survives", self.actor(*actor).id)
                }
                Measure::RegimeChangeMonth { actor } => {
                    format!("month the regime of {} ends", self.actor(*actor).id)
                }
                Measure::Crossover {
                    actor,
                    partner,
                    rival,
                    channels,
                } => format!(
                    "first month {}'s share of {}'s ties exceeds {}'s, on {}",
                    self.actor(*partner).id,
                    self.actor(*actor).id,
                    self.actor(*rival).id,
                    self.channel_names(*channels)
                ),
                Measure::Flow {
                    actor,
                    partners,
                    channels,
                } => format!(
                    "flow on {}'s ties to {} on {}",
                    self.actor(*actor).id,
                    self.actor_ids(partners),
                    self.channel_names(*channels)
                ),
                Measure::ShareOfPartner {
                    actor,
                    partners,
                    channels,
                } => format!(
                    "{}'s share of the flows on every tie to {} on {}",
                    self.actor(*actor).id,
                    self.actor_ids(partners),
                    self.channel_names(*channels)
                ),
                Measure::Vote {
                    actor,
                    yes_below,
                    no_above,
                    partner,
                    partner_weight,
                    channels,
                } => format!(
                    "vote of {}: yes below {yes_below}, no above {no_above}{}",
                    self.actor(*actor).id,
                    partner.map_or(String::new(), |partner| format!(
                        ", score + {partner_weight} x ties to {} on {}",
                        self.actor(partner).id,
                        self.channel_names(*channels)
                    ))
                ),
            };
            let when = match (outcome.measure.is_month(), outcome.reduction) {
                (true, _) => String::new(),
                (false, Reduction::At(month)) => format!(" at {}", self.month_of(month)),
                (false, Reduction::Mean { from, to }) => {
                    format!(", mean {} to {}", self.month_of(from), self.month_of(to))
                }
                (false, Reduction::Min { from, to }) => {
                    format!(", min {} to {}", self.month_of(from), self.month_of(to))
                }
                (false, Reduction::Max { from, to }) => {
                    format!(", max {} to {}", self.month_of(from), self.month_of(to))
                }
            };
            let given = outcome.given.map_or(String::new(), |given| {
                format!(" in runs where the regime {}", given.name())
            });
            let target = outcome.target.as_ref().map_or(String::new(), |target| {
                format!("; target {} to {}", target.low, target.high)
            });
            let key = match (outcome.key, outcome.relevant) {
                (true, Some(relevant)) => format!("; key, relevant difference {relevant}"),
                (true, None) => "; key".to_string(),
                (false, Some(relevant)) => format!("; relevant difference {relevant}"),
                (false, None) => String::new(),
            };
            writeln!(
                f,
                "  {:<28} {subject}{when}{given}{target}{key}",
                outcome.name
            )?;
        }
        Ok(())
    }
}
