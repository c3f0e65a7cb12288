//! The catalogue of rules: their names, parameters, defaults and bounds. The validation pass
//! reads `[[rules]]` tables against it, and `docs/MODEL.md` documents the same names.

/// The mechanisms the engine knows, in the fixed order in which a step applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    /// Capacity grows at each actor's rate, with monthly noise; wars drain belligerents.
    Capacity,
    /// Ties relax toward their fundamental level.
    TieRelaxation,
    /// Sanctioning coalitions cut ties with the target, which loses capacity and stability.
    SanctionPressure,
    /// Tie volume lost to sanctions moves partly to non-sanctioning partners.
    SanctionSubstitution,
    /// Secondary sanctions make third parties cut their ties with the target.
    Dissuasion,
    /// Outreach events pull the receiver's ties (and position) toward the offerer.
    Outreach,
    /// A patron whose commitments exceed its budget sheds its farthest clients first.
    CommitmentWaning,
    /// Patrons with spare capacity take up the dependence that clients lost.
    PatronBid,
    /// Ties grow between actors with close positions and decay between distant ones.
    Homophily,
    /// Positions move toward those of the partners an actor depends on (Friedkin–Johnsen).
    Influence,
    /// Followed regimes gain or lose stability and may fall by a monthly hazard.
    RegimeSurvival,
}

/// A parameter of a rule: its TOML key, default, allowed range and meaning.
#[derive(Debug)]
pub struct RuleParameter {
    /// The key in the rule's `[[rules]]` table, such as `"rate"`.
    pub key: &'static str,
    /// The value used when the scenario does not give one.
    pub default: f64,
    /// The smallest value allowed.
    pub low: f64,
    /// The largest value allowed (infinite when unbounded).
    pub high: f64,
    /// What the parameter means, in a few words.
    pub meaning: &'static str,
}

/// One rule of the catalogue: its name, what it does and its parameters.
#[derive(Debug)]
pub struct RuleDefinition {
    /// Which mechanism it is.
    pub kind: RuleKind,
    /// The rule's name in a scenario file, such as `"tie_relaxation"`.
    pub name: &'static str,
    /// One line saying what the rule does.
    pub summary: &'static str,
    /// Whether the rule accepts a `channels` list (default: every channel).
    pub takes_channels: bool,
    /// The rule's parameters, in the order of [`super::Rule::params`].
    pub params: &'static [RuleParameter],
}

const fn param(
    key: &'static str,
    default: f64,
    low: f64,
    high: f64,
    meaning: &'static str,
) -> RuleParameter {
    RuleParameter {
        key,
        default,
        low,
        high,
        meaning,
    }
}

const UNBOUNDED: f64 = f64::INFINITY;

/// Every rule, in [`RuleKind`] order.
pub static RULE_DEFINITIONS: [RuleDefinition; 11] = [
    RuleDefinition {
        kind: RuleKind::Capacity,
        name: "capacity",
        summary: "capacity grows at each actor's rate; wars drain belligerents",
        takes_channels: false,
        params: &[param(
            "growth_noise",
            0.0,
            0.0,
            1.0,
            "standard deviation of the monthly log-growth shock",
        )],
    },
    RuleDefinition {
        kind: RuleKind::TieRelaxation,
        name: "tie_relaxation",
        summary: "ties relax toward their fundamental level (their initial weight, or the weight a tie event set)",
        takes_channels: true,
        params: &[param(
            "rate",
            0.02,
            0.0,
            1.0,
            "monthly fraction of the gap between a tie and its fundamental level closed",
        )],
    },
    RuleDefinition {
        kind: RuleKind::SanctionPressure,
        name: "sanction_pressure",
        summary: "sanctioning coalitions cut ties with the target, which loses capacity and stability",
        takes_channels: false,
        params: &[
            param(
                "tie_decay",
                0.1,
                0.0,
                1.0,
                "monthly fraction of a coalition tie cut at intensity 1",
            ),
            param(
                "capacity_hit",
                0.005,
                0.0,
                1.0,
                "monthly fraction of the target's capacity lost per unit of pressure",
            ),
            param(
                "stability_hit",
                0.02,
                0.0,
                1.0,
                "monthly loss of the target's stability per unit of pressure",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::SanctionSubstitution,
        name: "sanction_substitution",
        summary: "tie volume lost to sanctions moves partly to non-sanctioning partners (logit choice)",
        takes_channels: true,
        params: &[
            param(
                "share",
                0.5,
                0.0,
                1.0,
                "fraction of the lost tie volume that is replaced",
            ),
            param(
                "affinity_weight",
                2.0,
                0.0,
                UNBOUNDED,
                "logit weight on closeness of positions",
            ),
            param(
                "capacity_weight",
                1.0,
                0.0,
                UNBOUNDED,
                "logit weight on the log of the partner's capacity relative to the mean",
            ),
            param(
                "tie_weight",
                2.0,
                0.0,
                UNBOUNDED,
                "logit weight on the existing tie to the partner",
            ),
            param(
                "distance_weight",
                0.0,
                0.0,
                UNBOUNDED,
                "logit penalty per 10,000 km of distance to the partner",
            ),
            param(
                "dissuasion_weight",
                5.0,
                0.0,
                UNBOUNDED,
                "logit penalty per unit of secondary-sanction exposure of the partner",
            ),
            param(
                "new_partner_penalty",
                0.0,
                0.0,
                UNBOUNDED,
                "logit penalty for a partner with no tie on the channel (it cannot absorb the flow)",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::Dissuasion,
        name: "dissuasion",
        summary: "secondary sanctions shrink third parties' ties to the target by their exposure to the coalition",
        takes_channels: false,
        params: &[
            param(
                "rate",
                0.1,
                0.0,
                1.0,
                "monthly fraction of a fully exposed third party's tie cut at intensity 1",
            ),
            param(
                "stake_weight",
                0.0,
                0.0,
                UNBOUNDED,
                "weight of the third party's stake in the target against its exposure to the coalition",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::Outreach,
        name: "outreach",
        summary: "an offer pulls the receiver's ties back to the offerer in proportion to its size, less so across a wide alignment gap",
        takes_channels: false,
        params: &[
            param(
                "gap_scale",
                1.0,
                1e-9,
                UNBOUNDED,
                "alignment gap over which an offer's effect falls by a factor e",
            ),
            param(
                "position_pull",
                0.0,
                0.0,
                1.0,
                "monthly fraction of the alignment gap the receiver closes at full effect",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::CommitmentWaning,
        name: "commitment_waning",
        summary: "a patron whose commitments exceed its budget sheds ties, farthest clients first",
        takes_channels: true,
        params: &[
            param(
                "headroom",
                1.25,
                0.0,
                UNBOUNDED,
                "budget at the start as a multiple of the patron's initial commitments",
            ),
            param(
                "slack",
                0.5,
                0.0,
                UNBOUNDED,
                "budget at the start beyond initial commitments, in tie-weight units",
            ),
            param(
                "rate",
                0.1,
                0.0,
                1.0,
                "monthly fraction of the over-commitment shed",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::PatronBid,
        name: "patron_bid",
        summary: "patrons with spare capacity take up the dependence others dropped, by affinity",
        takes_channels: true,
        params: &[
            param(
                "rate",
                0.05,
                0.0,
                1.0,
                "monthly fraction of a client's unmet dependence taken up at full spare capacity",
            ),
            param(
                "affinity_weight",
                2.0,
                0.0,
                UNBOUNDED,
                "logit weight on closeness of positions between client and bidder",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::Homophily,
        name: "homophily",
        summary: "ties grow between actors with close positions and a shared sanctions status, and decay otherwise",
        takes_channels: true,
        params: &[
            param("rate", 0.05, 0.0, 1.0, "monthly adjustment rate of ties"),
            param(
                "threshold",
                0.75,
                0.0,
                2.0,
                "similarity at which a tie neither grows nor decays",
            ),
            param(
                "sanctions_bonus",
                0.2,
                0.0,
                1.0,
                "similarity added when both actors are sanctioned",
            ),
        ],
    },
    RuleDefinition {
        kind: RuleKind::Influence,
        name: "influence",
        summary: "positions move toward tie-weighted neighbours, anchored by stubbornness (Friedkin-Johnsen)",
        takes_channels: true,
        params: &[param(
            "rate",
            0.1,
            0.0,
            1.0,
            "monthly weight of the neighbours' mean position",
        )],
    },
    RuleDefinition {
        kind: RuleKind::RegimeSurvival,
        name: "regime_survival",
        summary: "stability rises with external support and falls with opposition; a monthly hazard can end the regime",
        takes_channels: false,
        params: &[
            param(
                "support_gain",
                0.02,
                0.0,
                1.0,
                "monthly stability gained per unit of support from like-minded partners",
            ),
            param(
                "opposition",
                0.005,
                0.0,
                1.0,
                "monthly stability lost to domestic opposition",
            ),
            param(
                "base_hazard",
                0.02,
                0.0,
                1.0,
                "monthly probability of regime change at stability 0",
            ),
            param(
                "hazard_shape",
                3.0,
                0.0,
                UNBOUNDED,
                "exponent k in hazard = base_hazard * (1 - stability)^k",
            ),
            param(
                "revenue_elasticity",
                0.0,
                0.0,
                UNBOUNDED,
                "monthly stability gained per unit of log capacity above its trend (lost below it)",
            ),
            param(
                "revenue_trend_months",
                36.0,
                1.0,
                UNBOUNDED,
                "time constant of the capacity trend, in months",
            ),
        ],
    },
];

impl RuleKind {
    /// The rule's entry in [`RULE_DEFINITIONS`].
    pub fn definition(self) -> &'static RuleDefinition {
        &RULE_DEFINITIONS[self as usize]
    }

    /// The rule's name in a scenario file, such as `"tie_relaxation"`.
    pub fn name(self) -> &'static str {
        self.definition().name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_in_kind_order_with_valid_defaults() {
        for (index, definition) in RULE_DEFINITIONS.iter().enumerate() {
            assert_eq!(definition.kind as usize, index, "{}", definition.name);
            for param in definition.params {
                assert!(
                    param.low <= param.default && param.default <= param.high,
                    "{}.{}",
                    definition.name,
                    param.key
                );
            }
        }
    }
}
