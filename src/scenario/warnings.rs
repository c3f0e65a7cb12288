//! Warnings: things a valid scenario says that will have no effect, such as an event whose
//! rule is off. They are printed by `entente check` and `entente run` but do not stop a run.

use super::{EventKind, Measure, RuleKind, Scenario};

impl Scenario {
    /// Every warning about this scenario, in file order of the things they concern.
    pub fn warnings(&self) -> Vec<String> {
        let on = |kind: RuleKind| self.rule(kind).is_some();
        let mut warnings = Vec::new();
        for event in &self.events {
            let acting: &[RuleKind] = match event.kind {
                EventKind::Sanctions { .. } => &[RuleKind::SanctionPressure],
                EventKind::SecondarySanctions { .. } => {
                    &[RuleKind::Dissuasion, RuleKind::SanctionSubstitution]
                }
                EventKind::War { .. } => &[RuleKind::Capacity, RuleKind::CommitmentWaning],
                EventKind::Outreach { .. } => &[RuleKind::Outreach],
                EventKind::Shock { .. } | EventKind::Tie { .. } => continue,
            };
            if !acting.iter().copied().any(on) {
                let names: Vec<&str> = acting.iter().map(|kind| kind.name()).collect();
                warnings.push(format!(
                    "event {:?} ({}) has no effect: no rule acts on it (switch on {})",
                    event.id,
                    event.kind.name(),
                    names.join(" or ")
                ));
            }
        }
        let has_event = |name: &str| self.events.iter().any(|event| event.kind.name() == name);
        let idle_rules = [
            (RuleKind::SanctionPressure, "sanctions"),
            (RuleKind::SanctionSubstitution, "sanctions"),
            (RuleKind::Dissuasion, "secondary_sanctions"),
            (RuleKind::Outreach, "outreach"),
        ];
        for (kind, event) in idle_rules {
            if on(kind) && !has_event(event) {
                warnings.push(format!(
                    "rule {} has nothing to act on: the scenario has no {event} event",
                    kind.name()
                ));
            }
        }
        if on(RuleKind::RegimeSurvival) && self.actors.iter().all(|actor| actor.stability.is_none())
        {
            warnings.push(
                "rule regime_survival has nothing to act on: no actor has a `stability`".into(),
            );
        }
        if !on(RuleKind::RegimeSurvival) {
            for outcome in &self.outcomes {
                if matches!(
                    outcome.measure,
                    Measure::Survives { .. } | Measure::RegimeChangeMonth { .. }
                ) {
                    warnings.push(format!(
                        "outcome {:?} cannot change: rule regime_survival is off, so every regime lasts",
                        outcome.name
                    ));
                }
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(body: &str) -> Scenario {
        let text = format!(
            "[scenario]\nname = \"w\"\nstart = \"2020-01\"\nend = \"2020-12\"\nchannels = [\"trade\"]\n\
             [[actors]]\nid = \"A\"\ncapacity = 1\nposition = 0\nlocation = [0, 0]\nstability = 0.5\n\
             [[actors]]\nid = \"B\"\ncapacity = 1\nposition = 0\nlocation = [0, 0]\n{body}"
        );
        Scenario::from_toml(&text, "w.toml").unwrap()
    }

    #[test]
    fn an_event_without_its_rule_and_a_rule_without_events_are_reported() {
        let warnings = scenario(
            "[[events]]\nid = \"offer\"\nkind = \"outreach\"\nstart = \"2020-02\"\nfrom = \"A\"\nto = \"B\"\nstrength = 0.1\n\
             [[rules]]\nrule = \"dissuasion\"\n",
        )
        .warnings();
        assert_eq!(
            warnings,
            [
                "event \"offer\" (outreach) has no effect: no rule acts on it (switch on outreach)",
                "rule dissuasion has nothing to act on: the scenario has no secondary_sanctions event",
            ]
        );
    }

    #[test]
    fn survival_outcomes_without_the_survival_rule_are_reported() {
        let warnings =
            scenario("[[outcomes]]\nname = \"lasts\"\nmeasure = \"survives\"\nactor = \"A\"\n")
                .warnings();
        assert_eq!(
            warnings,
            ["outcome \"lasts\" cannot change: rule regime_survival is off, so every regime lasts"]
        );
        let fine = scenario(
            "[[rules]]\nrule = \"regime_survival\"\n[[outcomes]]\nname = \"lasts\"\nmeasure = \"survives\"\nactor = \"A\"\n",
        );
        assert!(fine.warnings().is_empty());
    }
}
