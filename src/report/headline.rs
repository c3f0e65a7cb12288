//! The answer first: the key outcomes' paired differences, ranked by size, each read out in
//! one sentence generated from its numbers.
//!
//! Wording follows two rules. A difference whose 95% interval contains 0 is "not resolved",
//! never "no effect": absence of evidence is not evidence of absence (Altman and Bland 1995,
//! BMJ 311:485). A difference is called small or large only against a threshold of practical
//! relevance the scenario declares (`relevant` on the outcome), as in equivalence testing
//! (Schuirmann 1987; Lakens 2017, "Equivalence tests", Social Psychological and Personality
//! Science 8:355): an interval wholly inside ±threshold is smaller than what matters, one wholly
//! outside it is larger. Without a threshold the size of a difference is shown, not judged,
//! except for the report's shading, which then falls back to a standardised difference of
//! [`SMALL_STANDARDISED_DIFFERENCE`] (Cohen's "small" effect).

use crate::outcome::OutcomeKind;
use crate::scenario::Scenario;
use crate::summary::{ComparisonSummary, OutcomeComparison};

/// Cohen's (1988) "small" standardised difference d = Δ / √((Var A + Var B) / 2): without a
/// declared threshold, the comparison table shades resolved differences at least this large.
pub const SMALL_STANDARDISED_DIFFERENCE: f64 = 0.2;

/// How many outcomes the headline shows when the scenario marks none as key: the largest
/// standardised differences.
pub const FALLBACK_OUTCOMES: usize = 6;

/// What a difference's interval says, against the threshold when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The interval contains 0 and reaches past the threshold (or there is none): the sign is
    /// not known.
    Unresolved,
    /// The interval contains 0 but lies within ±threshold: whatever the difference is, it is
    /// smaller than what matters.
    NegligibleEither,
    /// The interval excludes 0 and lies within ±threshold: real but smaller than what matters.
    ResolvedSmall,
    /// The interval excludes 0 and straddles the threshold: real; it may or may not matter.
    ResolvedPerhapsRelevant,
    /// The interval excludes 0 and lies wholly beyond the threshold: real and large enough to
    /// matter.
    ResolvedRelevant,
    /// The interval excludes 0 and no threshold is declared.
    ResolvedUnjudged,
}

impl Verdict {
    /// Judges a difference's 95% interval `[low, high]` against `relevant`.
    pub fn of(low: f64, high: f64, relevant: Option<f64>) -> Verdict {
        let resolved = low > 0.0 || high < 0.0;
        match relevant {
            None if resolved => Verdict::ResolvedUnjudged,
            None => Verdict::Unresolved,
            Some(threshold) => {
                let inside = -threshold < low && high < threshold;
                let beyond = low >= threshold || high <= -threshold;
                match (resolved, inside, beyond) {
                    (false, true, _) => Verdict::NegligibleEither,
                    (false, false, _) => Verdict::Unresolved,
                    (true, true, _) => Verdict::ResolvedSmall,
                    (true, _, true) => Verdict::ResolvedRelevant,
                    (true, false, false) => Verdict::ResolvedPerhapsRelevant,
                }
            }
        }
    }

    /// Whether the report marks the difference: resolved and, against a threshold, possibly
    /// larger than it.
    pub fn marked(self) -> bool {
        matches!(
            self,
            Verdict::ResolvedRelevant | Verdict::ResolvedPerhapsRelevant
        )
    }
}

/// One key outcome's difference between a variant and the first scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyEffect {
    /// The outcome's name.
    pub outcome: String,
    /// How its values are read.
    pub kind: OutcomeKind,
    /// The variant's index among the comparison's scenarios (1 for the first variant).
    pub variant: usize,
    /// The first scenario's value (mean, or probability for yes/no and month outcomes).
    pub baseline_value: f64,
    /// The variant's value, likewise.
    pub variant_value: f64,
    /// The paired difference, variant minus first (a change in probability for yes/no and
    /// month outcomes).
    pub estimate: f64,
    /// Its 95% interval.
    pub low: f64,
    /// Its 95% interval's upper limit.
    pub high: f64,
    /// The scenario's threshold of practical relevance, if declared.
    pub relevant: Option<f64>,
    /// The difference over √((Var A + Var B) / 2): comparable across outcomes of any unit.
    pub standardised: f64,
    /// What the variant takes away (its `effect_of`), when it names it: the difference is
    /// then read the other way round, the first scenario minus the variant, as the effect of
    /// that, and `estimate`, `low`, `high` and `standardised` are of that difference.
    pub effect_of: Option<String>,
}

impl KeyEffect {
    /// What the interval says.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.low, self.high, self.relevant)
    }

    /// Whether the report shades the difference: resolved and possibly beyond the threshold,
    /// or, for an outcome without one, of standardised size at least
    /// [`SMALL_STANDARDISED_DIFFERENCE`].
    pub fn marked(&self) -> bool {
        match self.verdict() {
            Verdict::ResolvedUnjudged => self.standardised.abs() >= SMALL_STANDARDISED_DIFFERENCE,
            verdict => verdict.marked(),
        }
    }

    /// How the headline ranks effects: by size against the threshold when the outcome has
    /// one, else by the standardised difference.
    fn rank(&self) -> f64 {
        match self.relevant {
            Some(threshold) => self.estimate.abs() / threshold,
            None => self.standardised.abs(),
        }
    }
}

/// The paired difference of `outcome` for variant `variant` (1-based among the scenarios),
/// read as the effect of `effect_of` (the first scenario minus the variant) when it is given.
pub fn effect(
    outcome: &OutcomeComparison,
    variant: usize,
    relevant: Option<f64>,
    effect_of: Option<&str>,
) -> KeyEffect {
    let difference = &outcome.differences[variant - 1];
    let (estimate, interval) = match difference.probability_change {
        Some(change) => (change.value, change.interval),
        None => (difference.mean_difference, difference.interval),
    };
    let side_value = |index: usize| {
        let side = &outcome.sides[index];
        side.probability
            .as_ref()
            .map_or(side.mean, |probability| probability.value)
    };
    // The unpaired half-width is z·√(Var A / n + Var B / n), so √((Var A + Var B) / 2) is
    // that over z·√(2 / n).
    let pairs = difference.pairs.max(1) as f64;
    let spread = difference.unpaired_half_width
        / (crate::stats::normal_quantile(0.975) * (2.0 / pairs).sqrt());
    let standardised = if spread > 0.0 {
        difference.mean_difference / spread
    } else {
        0.0
    };
    // The effect of what the variant takes away is the first scenario minus the variant.
    let sign = if effect_of.is_some() { -1.0 } else { 1.0 };
    let (low, high) = if effect_of.is_some() {
        (-interval.high, -interval.low)
    } else {
        (interval.low, interval.high)
    };
    KeyEffect {
        outcome: outcome.name.clone(),
        kind: outcome.kind,
        variant,
        baseline_value: side_value(0),
        variant_value: side_value(variant),
        estimate: sign * estimate,
        low,
        high,
        relevant,
        standardised: sign * standardised,
        effect_of: effect_of.map(str::to_string),
    }
}

/// The effects the headline shows, largest first: every key outcome (`key = true`) of the
/// first scenario for every variant, or, if none is marked, the [`FALLBACK_OUTCOMES`]
/// largest standardised differences. The flag says whether the scenario marked them.
pub fn key_effects(
    scenarios: &[&Scenario],
    comparison: &ComparisonSummary,
) -> (Vec<KeyEffect>, bool) {
    let first = scenarios[0];
    let spec = |name: &str| first.outcomes().iter().find(|spec| spec.name == name);
    let declared = comparison
        .outcomes
        .iter()
        .any(|outcome| spec(&outcome.name).is_some_and(|spec| spec.key));
    let mut effects: Vec<KeyEffect> = Vec::new();
    for outcome in &comparison.outcomes {
        let Some(spec) = spec(&outcome.name) else {
            continue;
        };
        if declared && !spec.key {
            continue;
        }
        for variant in 1..comparison.scenarios.len() {
            let effect_of = scenarios
                .get(variant)
                .and_then(|scenario| scenario.effect_of());
            effects.push(effect(outcome, variant, spec.relevant, effect_of));
        }
    }
    effects.sort_by(|a, b| b.rank().total_cmp(&a.rank()));
    if !declared {
        effects.truncate(FALLBACK_OUTCOMES);
    }
    (effects, declared)
}

/// A number with four significant digits, without trailing noise (`0.02450`, `-1.6e-5`).
pub fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    format!("{value:.decimals$}")
}

/// One sentence reading out `effect`: both values, the difference with its interval, and
/// what that interval says against the threshold.
pub fn sentence(effect: &KeyEffect, baseline: &str, variant: &str) -> String {
    let measure = match effect.kind {
        OutcomeKind::Flag => "the probability of",
        OutcomeKind::Month => "the probability that it happens,",
        OutcomeKind::Number => "the mean of",
    };
    let amount = significant(effect.estimate.abs());
    // "X higher", or "the war raises it by X" when the variant names what it takes away.
    let change = match &effect.effect_of {
        Some(thing) if effect.estimate >= 0.0 => format!("{thing} raises it by {amount}"),
        Some(thing) => format!("{thing} lowers it by {amount}"),
        None if effect.estimate >= 0.0 => format!("{amount} higher"),
        None => format!("{amount} lower"),
    };
    let interval = format!(
        "95% interval {} to {}",
        significant(effect.low),
        significant(effect.high)
    );
    let values = match &effect.effect_of {
        Some(thing) => format!(
            "{measure} {} is {} with {thing} ({baseline}) and {} without it ({variant})",
            effect.outcome,
            significant(effect.baseline_value),
            significant(effect.variant_value),
        ),
        None => format!(
            "{measure} {} is {} in {variant} against {} in {baseline}",
            effect.outcome,
            significant(effect.variant_value),
            significant(effect.baseline_value),
        ),
    };
    // The threshold as the scenario wrote it (0.01, not 0.01000).
    let threshold = effect
        .relevant
        .map(|relevant| format!("{relevant}"))
        .unwrap_or_default();
    let reading = match effect.verdict() {
        Verdict::Unresolved => format!(
            "the difference, {} ({interval}), is not resolved: the interval includes 0, so \
             these runs cannot tell its sign{}",
            significant(effect.estimate),
            if effect.relevant.is_some() {
                format!(" nor rule out a difference of {threshold} that matters")
            } else {
                String::new()
            }
        ),
        Verdict::NegligibleEither => format!(
            "the difference, {} ({interval}), is not resolved, and the whole interval lies \
             within ±{threshold}, the smallest difference declared to matter",
            significant(effect.estimate)
        ),
        Verdict::ResolvedSmall => format!(
            "{change} ({interval}): a real difference, but smaller than {threshold}, the \
             smallest declared to matter"
        ),
        Verdict::ResolvedPerhapsRelevant => format!(
            "{change} ({interval}): a real difference that may or may not reach {threshold}, \
             the smallest declared to matter"
        ),
        Verdict::ResolvedRelevant => format!(
            "{change} ({interval}): larger than {threshold}, the smallest difference declared \
             to matter"
        ),
        Verdict::ResolvedUnjudged => format!(
            "{change} ({interval}); the scenario declares no threshold of practical relevance \
             for it, so its size is not judged"
        ),
    };
    let mut text = format!("{values}: {reading}.");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A difference of `estimate` with interval `[low, high]`, threshold `relevant`.
    fn effect(estimate: f64, low: f64, high: f64, relevant: Option<f64>) -> KeyEffect {
        KeyEffect {
            outcome: "survives_2030".into(),
            kind: OutcomeKind::Flag,
            variant: 1,
            baseline_value: 0.55,
            variant_value: 0.55 + estimate,
            estimate,
            low,
            high,
            relevant,
            standardised: estimate / 0.5,
            effect_of: None,
        }
    }

    fn check(estimate: f64, low: f64, high: f64, relevant: Option<f64>, expected: Verdict) {
        let effect = effect(estimate, low, high, relevant);
        assert_eq!(effect.verdict(), expected, "{effect:?}");
        let text = sentence(&effect, "with-war", "no-war");
        // Never "no effect", whatever the numbers.
        assert!(!text.contains("no effect"), "{text}");
        match expected {
            Verdict::Unresolved | Verdict::NegligibleEither => {
                assert!(text.contains("not resolved"), "{text}");
            }
            _ => assert!(!text.contains("not resolved"), "{text}"),
        }
        // "Smaller than what matters" only against a declared threshold.
        if relevant.is_none() {
            assert!(!text.contains("smaller than"), "{text}");
            assert!(!text.contains("larger than"), "{text}");
        }
    }

    #[test]
    fn issue_17_verdicts_follow_the_interval_and_the_threshold() {
        // The flagship's answer: resolved, and beyond a threshold of 1 point.
        check(
            -0.0245,
            -0.0277,
            -0.0213,
            Some(0.01),
            Verdict::ResolvedRelevant,
        );
        // A tiny but resolved difference at 100,000 runs: real, smaller than what matters.
        check(4.7e-5, 1e-5, 8e-5, Some(0.01), Verdict::ResolvedSmall);
        check(
            0.012,
            0.004,
            0.02,
            Some(0.01),
            Verdict::ResolvedPerhapsRelevant,
        );
        check(0.001, -0.003, 0.005, Some(0.01), Verdict::NegligibleEither);
        check(0.001, -0.03, 0.032, Some(0.01), Verdict::Unresolved);
        check(0.001, -0.03, 0.032, None, Verdict::Unresolved);
        check(0.02, 0.01, 0.03, None, Verdict::ResolvedUnjudged);
    }

    #[test]
    fn issue_17_only_differences_that_may_matter_are_marked() {
        assert!(Verdict::of(0.1, 0.2, Some(0.05)).marked());
        assert!(Verdict::of(0.01, 0.2, Some(0.05)).marked());
        assert!(!Verdict::of(1e-5, 8e-5, Some(0.01)).marked());
        assert!(!Verdict::of(-0.1, 0.2, Some(0.05)).marked());
    }

    #[test]
    fn sentences_name_both_scenarios_and_the_interval() {
        let text = sentence(
            &effect(-0.0245, -0.0277, -0.0213, Some(0.01)),
            "with-war",
            "no-war",
        );
        assert_eq!(
            text,
            "The probability of survives_2030 is 0.5255 in no-war against 0.5500 in with-war: \
             0.02450 lower (95% interval -0.02770 to -0.02130): larger than 0.01, the smallest \
             difference declared to matter."
        );
    }

    #[test]
    fn issue_17_a_named_counterfactual_is_read_as_the_effect_of_what_it_takes_away() {
        // The flagship: no-war − baseline is −0.0245, so the war raises survival by 0.0245.
        let mut war = effect(0.0245, 0.0213, 0.0277, Some(0.01));
        war.baseline_value = 0.55;
        war.variant_value = 0.5255;
        war.effect_of = Some("the war".into());
        assert_eq!(
            sentence(&war, "with-war", "no-war"),
            "The probability of survives_2030 is 0.5500 with the war (with-war) and 0.5255 \
             without it (no-war): the war raises it by 0.02450 (95% interval 0.02130 to \
             0.02770): larger than 0.01, the smallest difference declared to matter."
        );
    }

    #[test]
    fn significant_keeps_four_digits() {
        assert_eq!(significant(0.0245), "0.02450");
        assert_eq!(significant(-1.6), "-1.600");
        assert_eq!(significant(1234.4), "1234");
        assert_eq!(significant(4.7e-5), "4.700e-5");
        assert_eq!(significant(0.0), "0");
    }
}
