//! One test module per rule: on a tiny world with only that rule on, check the direction and
//! the size of its effect against the equation in docs/MODEL.md.

use entente::model::{LANES, Model, RunState, Simulation};
use entente::scenario::Scenario;

/// Builds a model from scenario text without its `[scenario]` header.
fn model(body: &str) -> Model {
    let text = format!(
        "[scenario]\nname = \"tiny\"\nstart = \"2020-01\"\nend = \"2021-12\"\nchannels = [\"trade\", \"arms\"]\n{body}"
    );
    match Scenario::from_toml(&text, "tiny.toml") {
        Ok(scenario) => Model::new(scenario),
        Err(error) => panic!("test scenario is invalid:\n{error}\n{text}"),
    }
}

/// An actor table with the given id, position and optional extra keys.
fn actor(id: &str, position: f64, extra: &str) -> String {
    format!(
        "[[actors]]\nid = \"{id}\"\ncapacity = 1.0\nposition = {position}\nlocation = [0.0, 0.0]\n{extra}\n"
    )
}

fn tie(from: &str, to: &str, channel: &str, weight: f64) -> String {
    format!(
        "[[ties]]\nfrom = \"{from}\"\nto = \"{to}\"\nchannel = \"{channel}\"\nweight = {weight}\n"
    )
}

/// A `sanctions` or `secondary_sanctions` event from the first month; `channels` of `None`
/// leaves the key out (every channel).
fn sanction_event(
    id: &str,
    kind: &str,
    coalition: &str,
    target: &str,
    intensity: f64,
    channels: Option<&str>,
) -> String {
    let channels = channels.map_or(String::new(), |channel| {
        format!("channels = [\"{channel}\"]\n")
    });
    format!(
        "[[events]]\nid = \"{id}\"\nkind = \"{kind}\"\nstart = \"2020-01\"\ncoalition = [\"{coalition}\"]\ntarget = \"{target}\"\nintensity = {intensity}\n{channels}"
    )
}

/// Runs the first `months` steps of run 0 and returns the state.
fn after(model: &Model, months: u32) -> RunState {
    let mut simulation = Simulation::new(model);
    simulation.reset(1, 0);
    for month in 0..months {
        simulation.step(month);
    }
    simulation.state().lane(0)
}

/// Tie weights are `f32` (resolution 6·10⁻⁸ near 1) and the logit's exponential is exact to
/// 2·10⁻⁷ relative, so values that pass through a weight are compared to 10⁻⁶, far below any
/// effect a rule is tested for.
const WEIGHT_TOLERANCE: f64 = 1e-6;

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < WEIGHT_TOLERANCE,
        "expected {expected}, got {actual}"
    );
}

const TRADE: usize = 0;
const ARMS: usize = 1;

mod capacity {
    use super::*;

    #[test]
    fn grows_at_the_annual_rate_and_war_drains_the_belligerent_only() {
        let body = format!(
            "{}{}{}",
            actor("A", 0.0, "growth = 0.12"),
            actor("B", 0.0, "growth = 0.12"),
            "[[events]]\nid = \"w\"\nkind = \"war\"\nstart = \"2020-01\"\nbelligerent = \"B\"\ncapacity_drain = 0.01\n\
             [[rules]]\nrule = \"capacity\"\n"
        );
        let state = after(&model(&body), 12);
        close(state.capacity[0], 1.12);
        close(state.capacity[1], 1.12 * 0.99f64.powi(12));
    }

    #[test]
    fn growth_noise_spreads_runs_around_the_trend() {
        let body = format!(
            "{}[[rules]]\nrule = \"capacity\"\ngrowth_noise = 0.02\n",
            actor("A", 0.0, "")
        );
        let model = model(&body);
        let mut simulation = Simulation::new(&model);
        let mut finals = Vec::new();
        for first in (0..400).step_by(LANES) {
            simulation.reset(5, first);
            for month in 0..12 {
                simulation.step(month);
            }
            for lane in 0..LANES {
                finals.push(simulation.state().lane(lane).capacity[0].ln());
            }
        }
        let mean = finals.iter().sum::<f64>() / finals.len() as f64;
        let variance =
            finals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (finals.len() - 1) as f64;
        // Twelve N(0, 0.02²) shocks: log-capacity has mean 0 and sd 0.02·√12 = 0.0693.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!(
            (variance.sqrt() - 0.0693).abs() < 0.008,
            "sd {}",
            variance.sqrt()
        );
    }
}

mod sanction_pressure {
    use super::*;

    fn sanctioned(rules: &str) -> Model {
        model(&format!(
            "{}{}{}{}{}{}{}\
             {}{rules}",
            actor("T", 0.5, "stability = 0.6"),
            actor("W", -0.5, ""),
            actor("P", 0.5, ""),
            tie("T", "W", "trade", 0.6),
            tie("T", "P", "trade", 0.2),
            tie("W", "T", "trade", 0.4),
            tie("T", "W", "arms", 0.3),
            sanction_event("s", "sanctions", "W", "T", 0.5, Some("trade")),
        ))
    }

    #[test]
    fn cuts_coalition_ties_both_ways_on_sanctioned_channels_only() {
        let model = sanctioned("[[rules]]\nrule = \"sanction_pressure\"\ntie_decay = 0.1\n");
        let state = after(&model, 1);
        close(state.weight(TRADE, 0, 1), 0.6 * 0.95);
        close(state.weight(TRADE, 1, 0), 0.4 * 0.95);
        close(state.weight(TRADE, 0, 2), 0.2);
        close(state.weight(ARMS, 0, 1), 0.3);
    }

    #[test]
    fn pressure_is_intensity_times_coalition_share_and_costs_capacity_and_stability() {
        let model = sanctioned(
            "[[rules]]\nrule = \"sanction_pressure\"\ncapacity_hit = 0.1\nstability_hit = 0.2\n",
        );
        let state = after(&model, 1);
        let pressure = 0.5 * 0.6 / 0.8;
        close(state.capacity[0], 1.0 - 0.1 * pressure);
        close(state.stability[0], 0.6 - 0.2 * pressure);
        close(state.capacity[1], 1.0);
    }
}

mod sanction_substitution {
    use super::*;

    fn world(extra_actor_position: f64, substitution: &str) -> Model {
        let sanctions = sanction_event("s", "sanctions", "W", "T", 1.0, Some("trade"));
        model(&format!(
            "{}{}{}{}{}{}\
             {sanctions}\
             [[rules]]\nrule = \"sanction_pressure\"\ntie_decay = 0.1\n[[rules]]\nrule = \"sanction_substitution\"\n{substitution}",
            actor("T", 0.5, ""),
            actor("W", -0.5, ""),
            actor("NEAR", 0.5, ""),
            actor("FAR", extra_actor_position, ""),
            tie("T", "W", "trade", 0.5),
            tie("T", "NEAR", "trade", 0.1),
        ))
    }

    #[test]
    fn lost_volume_goes_to_non_sanctioning_partners_by_logit_on_affinity() {
        let model = world(
            -0.5,
            "share = 0.8\naffinity_weight = 2.0\ncapacity_weight = 0.0\ntie_weight = 0.0\n",
        );
        let state = after(&model, 1);
        let lost = 0.5 * 0.1;
        // NEAR sits at the target's position, FAR one unit away: weights e^0 and e^-2.
        let near_share = 1.0 / (1.0 + (-2.0f64).exp());
        close(state.weight(TRADE, 0, 1), 0.5 - lost);
        close(state.weight(TRADE, 0, 2), 0.1 + 0.8 * lost * near_share);
        close(state.weight(TRADE, 0, 3), 0.8 * lost * (1.0 - near_share));
        assert!(state.weight(TRADE, 0, 2) > state.weight(TRADE, 0, 3));
    }

    #[test]
    fn secondary_sanction_exposure_deters_substitution_toward_exposed_partners() {
        let exposed = tie("NEAR", "W", "trade", 1.0)
            + &sanction_event("d", "secondary_sanctions", "W", "T", 1.0, None);
        let sanctions = sanction_event("s", "sanctions", "W", "T", 1.0, Some("trade"));
        let parameters = "share = 1.0\naffinity_weight = 0.0\ncapacity_weight = 0.0\ntie_weight = 0.0\ndissuasion_weight = 1.0\n";
        let model = model(&format!(
            "{}{}{}{}{}{}{exposed}\
             {sanctions}\
             [[rules]]\nrule = \"sanction_pressure\"\n[[rules]]\nrule = \"sanction_substitution\"\n{parameters}",
            actor("T", 0.5, ""),
            actor("W", -0.5, ""),
            actor("NEAR", 0.5, ""),
            actor("FAR", 0.5, ""),
            tie("T", "W", "trade", 0.5),
            tie("T", "NEAR", "trade", 0.0),
        ));
        let state = after(&model, 1);
        // NEAR's whole trade is with W (exposure 1, e^-1); FAR has none (e^0).
        let lost = 0.5 * 0.1;
        let near_share = (-1.0f64).exp() / (1.0 + (-1.0f64).exp());
        close(state.weight(TRADE, 0, 2), lost * near_share);
        close(state.weight(TRADE, 0, 3), lost * (1.0 - near_share));
    }

    #[test]
    fn a_new_partner_penalty_keeps_lost_volume_with_partners_already_tied() {
        // Issue 16: oil lost to sanctions goes to buyers that can take it, not to a partner
        // with no tie on the channel. FAR has none; NEAR has 0.1.
        let model = world(
            0.5,
            "share = 1.0\naffinity_weight = 0.0\ncapacity_weight = 0.0\ntie_weight = 0.0\nnew_partner_penalty = 3.0\n",
        );
        let state = after(&model, 1);
        let lost = 0.5 * 0.1;
        let near_share = 1.0 / (1.0 + (-3.0f64).exp());
        close(state.weight(TRADE, 0, 2), 0.1 + lost * near_share);
        close(state.weight(TRADE, 0, 3), lost * (1.0 - near_share));
    }

    #[test]
    fn without_sanctions_nothing_moves() {
        let model = model(&format!(
            "{}{}{}{}[[rules]]\nrule = \"sanction_pressure\"\n[[rules]]\nrule = \"sanction_substitution\"\n",
            actor("T", 0.5, ""),
            actor("P", 0.5, ""),
            tie("T", "P", "trade", 0.3),
            tie("P", "T", "arms", 0.2),
        ));
        let state = after(&model, 24);
        close(state.weight(TRADE, 0, 1), 0.3);
        close(state.weight(ARMS, 1, 0), 0.2);
    }
}

mod commitment_waning {
    use super::*;

    /// A patron with a near and a far client, each depending on it 0.5 on arms.
    fn world(war: &str) -> Model {
        model(&format!(
            "[[actors]]\nid = \"P\"\ncapacity = 1.0\nposition = 0.5\nlocation = [55.8, 37.6]\n\
             [[actors]]\nid = \"NEAR\"\ncapacity = 1.0\nposition = 0.5\nlocation = [53.9, 27.6]\n\
             [[actors]]\nid = \"FAR\"\ncapacity = 1.0\nposition = 0.5\nlocation = [10.5, -66.9]\n\
             {}{}{war}\
             [[rules]]\nrule = \"commitment_waning\"\nheadroom = 1.0\nslack = 0.0\nrate = 1.0\nchannels = [\"arms\"]\n",
            tie("NEAR", "P", "arms", 0.5),
            tie("FAR", "P", "arms", 0.5),
        ))
    }

    #[test]
    fn a_patron_at_war_sheds_its_farthest_client_first() {
        let war = "[[events]]\nid = \"w\"\nkind = \"war\"\nstart = \"2020-01\"\nbelligerent = \"P\"\nbudget_absorbed = 0.5\n";
        let state = after(&world(war), 1);
        // Budget 1.0 × (1 − 0.5) = 0.5 against commitments of 1.0: shed 0.5, all from FAR.
        close(state.weight(ARMS, 2, 0), 0.0);
        close(state.weight(ARMS, 1, 0), 0.5);
    }

    #[test]
    fn a_patron_within_its_budget_keeps_every_client() {
        let state = after(&world(""), 24);
        close(state.weight(ARMS, 2, 0), 0.5);
        close(state.weight(ARMS, 1, 0), 0.5);
    }
}

mod influence {
    use super::*;

    #[test]
    fn positions_move_toward_partners_anchored_by_stubbornness() {
        let model = model(&format!(
            "{}{}{}{}[[rules]]\nrule = \"influence\"\nrate = 0.5\n",
            actor("A", 0.0, ""),
            actor("S", 0.0, "stubbornness = 0.2"),
            actor("B", 1.0, ""),
            tie("A", "B", "trade", 1.0) + &tie("S", "B", "trade", 1.0),
        ));
        let state = after(&model, 1);
        close(state.position[0], 0.5);
        close(state.position[1], 0.8 * (0.5 * 0.0 + 0.5 * 1.0));
        // B depends on nobody and keeps its position.
        close(state.position[2], 1.0);
    }

    #[test]
    fn converges_to_the_friedkin_johnsen_equilibrium() {
        let model = model(&format!(
            "{}{}{}[[rules]]\nrule = \"influence\"\nrate = 0.5\n",
            actor("S", 0.0, "stubbornness = 0.2"),
            actor("B", 1.0, ""),
            tie("S", "B", "trade", 1.0),
        ));
        let state = after(&model, 24);
        // x* = 0.8 · (0.5 x* + 0.5) ⇒ x* = 0.4 / 0.6.
        assert!((state.position[0] - 0.4 / 0.6).abs() < 1e-6);
    }
}

mod homophily {
    use super::*;

    fn world(sanctions: &str) -> Model {
        model(&format!(
            "{}{}{}{}{}{sanctions}[[rules]]\nrule = \"homophily\"\nrate = 0.1\nthreshold = 0.75\nsanctions_bonus = 0.2\nchannels = [\"arms\"]\n",
            actor("A", 0.5, ""),
            actor("B", 0.5, ""),
            actor("C", -1.0, ""),
            tie("A", "B", "arms", 0.2),
            tie("A", "C", "arms", 0.4),
        ))
    }

    #[test]
    fn close_ties_grow_and_distant_ties_decay() {
        let state = after(&world(""), 1);
        close(state.weight(ARMS, 0, 1), 0.2 + 0.1 * 0.25 * 0.8);
        // A and C are 1.5 apart: similarity 0.25, drive -0.5.
        close(state.weight(ARMS, 0, 2), 0.4 - 0.1 * 0.5 * 0.4);
        close(state.weight(TRADE, 0, 1), 0.0);
    }

    #[test]
    fn shared_sanctions_status_adds_to_similarity() {
        let sanctions = sanction_event("s1", "sanctions", "C", "A", 0.1, None)
            + &sanction_event("s2", "sanctions", "C", "B", 0.1, None);
        let state = after(&world(&sanctions), 1);
        close(state.weight(ARMS, 0, 1), 0.2 + 0.1 * 0.45 * 0.8);
    }
}

mod regime_survival {
    use super::*;

    fn world(stability: f64, survival: &str) -> Model {
        model(&format!(
            "{}{}{}[[rules]]\nrule = \"regime_survival\"\n{survival}\n\
             [[outcomes]]\nname = \"change\"\nmeasure = \"regime_change_month\"\nactor = \"R\"\n\
             [[outcomes]]\nname = \"lasts\"\nmeasure = \"survives\"\nactor = \"R\"\nat = \"2020-12\"\n",
            actor("R", 0.5, &format!("stability = {stability}")),
            actor("FRIEND", 0.5, ""),
            tie("R", "FRIEND", "trade", 1.0),
        ))
    }

    #[test]
    fn support_from_like_minded_partners_raises_stability_and_opposition_lowers_it() {
        let supported = after(
            &world(
                0.5,
                "support_gain = 0.1\nopposition = 0.0\nbase_hazard = 0.0",
            ),
            1,
        );
        // One of two channels fully tied to an identical partner: support 0.5.
        close(supported.stability[0], 0.5 + 0.1 * 0.5);
        let opposed = after(
            &world(
                0.5,
                "support_gain = 0.0\nopposition = 0.03\nbase_hazard = 0.0",
            ),
            1,
        );
        close(opposed.stability[0], 0.47);
    }

    #[test]
    fn monthly_hazard_matches_its_survival_probability() {
        // Stability pinned at 0: hazard = base_hazard every month, so P(survive 12) = 0.9^12.
        let model = world(
            0.0,
            "support_gain = 0.0\nopposition = 0.0\nbase_hazard = 0.1",
        );
        let mut simulation = Simulation::new(&model);
        let runs = 4000;
        let survived = (0..runs)
            .filter(|&run| simulation.run(3, run, None).outcomes[1] == 1.0)
            .count();
        let fraction = survived as f64 / runs as f64;
        let expected = 0.9f64.powi(12);
        // Binomial sd is sqrt(p(1 - p)/n) = 0.0071; allow four of them.
        assert!(
            (fraction - expected).abs() < 0.029,
            "{fraction} vs {expected}"
        );
    }

    #[test]
    fn a_certain_hazard_ends_the_regime_in_the_first_month_and_it_stays_ended() {
        let model = world(
            0.0,
            "support_gain = 0.0\nopposition = 0.0\nbase_hazard = 1.0",
        );
        let result = Simulation::new(&model).run(1, 0, None);
        assert_eq!(result.outcomes[0], 0.0);
        assert_eq!(result.outcomes[1], 0.0);
    }

    #[test]
    fn a_stability_shock_after_the_fall_leaves_stability_frozen() {
        // Regression (found writing the flagship): a shock in 2020-06 moved the stability of a
        // regime that had ended in 2020-01, although stability stops moving at the fall.
        let shock = "[[events]]\nid = \"unrest\"\nkind = \"shock\"\nstart = \"2020-06\"\nactor = \"R\"\nattribute = \"stability\"\noperation = \"add\"\nvalue = 0.3\n";
        // Stability 0 makes the hazard certain: the regime ends in the first month.
        let fallen = model(&format!(
            "{}{}{}[[rules]]\nrule = \"regime_survival\"\nsupport_gain = 0.0\nopposition = 0.0\nbase_hazard = 1.0\n{shock}",
            actor("R", 0.5, "stability = 0.0"),
            actor("FRIEND", 0.5, ""),
            tie("R", "FRIEND", "trade", 1.0),
        ));
        let state = after(&fallen, 12);
        assert!(!state.regime_lasts(0));
        close(state.stability[0], 0.0);
        // A lasting regime still takes the shock.
        let lasting = model(&format!(
            "{}{}{}[[rules]]\nrule = \"regime_survival\"\nsupport_gain = 0.0\nopposition = 0.0\nbase_hazard = 0.0\n{shock}",
            actor("R", 0.5, "stability = 0.0"),
            actor("FRIEND", 0.5, ""),
            tie("R", "FRIEND", "trade", 1.0),
        ));
        close(after(&lasting, 12).stability[0], 0.3);
    }

    #[test]
    fn a_fully_stable_regime_never_ends() {
        let model = world(
            1.0,
            "support_gain = 0.1\nopposition = 0.0\nbase_hazard = 1.0",
        );
        let result = Simulation::new(&model).run(1, 0, None);
        assert!(result.outcomes[0].is_nan());
        assert_eq!(result.outcomes[1], 1.0);
    }
}

mod outreach {
    use super::*;

    fn world(receiver_position: f64) -> Model {
        model(&format!(
            "{}{}[[events]]\nid = \"o\"\nkind = \"outreach\"\nstart = \"2020-01\"\nfrom = \"W\"\nto = \"T\"\nstrength = 0.2\nchannels = [\"trade\"]\n\
             [[rules]]\nrule = \"outreach\"\ngap_scale = 1.0\nposition_pull = 0.5\n",
            actor("W", -0.5, ""),
            actor("T", receiver_position, ""),
        ))
    }

    #[test]
    fn an_offer_pulls_ties_and_position_by_its_size_scaled_down_by_the_alignment_gap() {
        let state = after(&world(0.0), 1);
        // Gap 0.5 on a scale of 1: effect e^-0.5.
        let effect = (-0.5f64).exp();
        close(state.weight(TRADE, 1, 0), 0.2 * effect);
        close(state.weight(ARMS, 1, 0), 0.0);
        close(state.position[1], 0.0 + 0.5 * effect * -0.5);
    }

    #[test]
    fn an_offer_across_a_wide_gap_still_works_but_less() {
        // Issue 16: the old gap limit made every offer across a gap of 1.5 void; a graded
        // response keeps e^-1.5 of it.
        let state = after(&world(1.0), 1);
        close(state.weight(TRADE, 1, 0), 0.2 * (-1.5f64).exp());
        assert!(state.weight(TRADE, 1, 0) < after(&world(0.0), 1).weight(TRADE, 1, 0));
    }

    #[test]
    fn what_an_offer_added_fades_after_it_ends_and_the_rest_of_the_tie_stays() {
        let model = model(&format!(
            "{}{}{}[[events]]\nid = \"o\"\nkind = \"outreach\"\nstart = \"2020-01\"\nend = \"2020-01\"\nfrom = \"W\"\nto = \"T\"\nstrength = 0.2\nfade = 0.5\nchannels = [\"trade\"]\n\
             [[rules]]\nrule = \"outreach\"\n",
            actor("W", 0.0, ""),
            actor("T", 0.0, ""),
            tie("T", "W", "trade", 0.5),
        ));
        // Month 0 adds 0.2 × (1 − 0.5) = 0.1; each later month takes back half of what is left.
        close(after(&model, 1).weight(TRADE, 1, 0), 0.6);
        close(after(&model, 2).weight(TRADE, 1, 0), 0.55);
        close(after(&model, 3).weight(TRADE, 1, 0), 0.525);
        close(
            after(&model, 24).weight(TRADE, 1, 0),
            0.5 + 0.1 * 0.5f64.powi(23),
        );
    }
}

mod tie_relaxation {
    use super::*;

    #[test]
    fn a_cut_tie_relaxes_back_toward_its_initial_weight_once_the_cut_stops() {
        let model = model(&format!(
            "{}{}{}{}[[events]]\nid = \"s\"\nkind = \"sanctions\"\nstart = \"2020-01\"\nend = \"2020-02\"\ncoalition = [\"B\"]\ntarget = \"A\"\nintensity = 1.0\nchannels = [\"trade\"]\n\
             [[rules]]\nrule = \"tie_relaxation\"\nrate = 0.25\nchannels = [\"trade\"]\n\
             [[rules]]\nrule = \"sanction_pressure\"\ntie_decay = 0.5\ncapacity_hit = 0.0\nstability_hit = 0.0\n",
            actor("A", 0.0, ""),
            actor("B", 0.0, ""),
            tie("A", "B", "trade", 0.8),
            tie("A", "B", "arms", 0.8),
        ));
        // Relaxation comes first each month: 0.8 → 0.4; 0.4 + 0.25 × 0.4 = 0.5 → 0.25; then,
        // sanctions over, 0.25 + 0.25 × 0.55 and on toward 0.8.
        close(after(&model, 1).weight(TRADE, 0, 1), 0.4);
        close(after(&model, 2).weight(TRADE, 0, 1), 0.25);
        close(after(&model, 3).weight(TRADE, 0, 1), 0.3875);
        close(
            after(&model, 24).weight(TRADE, 0, 1),
            0.8 - 0.55 * 0.75f64.powi(22),
        );
        // The arms tie, outside the rule's channels and the sanction's, never moved.
        close(after(&model, 24).weight(ARMS, 0, 1), 0.8);
    }

    #[test]
    fn a_tie_event_sets_the_tie_and_the_level_it_relaxes_toward() {
        // Issue 16: an intermediary's exit (Rosneft, 2020-03) ends a tie for good.
        let model = model(&format!(
            "{}{}{}[[events]]\nid = \"exit\"\nkind = \"tie\"\nstart = \"2020-04\"\nfrom = \"A\"\nto = \"B\"\nchannels = [\"trade\"]\nweight = 0.1\n\
             [[rules]]\nrule = \"tie_relaxation\"\nrate = 0.5\n",
            actor("A", 0.0, ""),
            actor("B", 0.0, ""),
            tie("A", "B", "trade", 0.6),
        ));
        close(after(&model, 3).weight(TRADE, 0, 1), 0.6);
        close(after(&model, 4).weight(TRADE, 0, 1), 0.1);
        close(after(&model, 24).weight(TRADE, 0, 1), 0.1);
    }
}

mod patron_bid {
    use super::*;

    /// C loses half its trade tie to S (who sanctions it) in month 0; P1 (close to C) and P2
    /// (far) have doubled their capacity with the same commitments, so each has spare
    /// capacity 1 − 0.5/(0.5 × 2) = 0.5 unless `grown` is false.
    fn world(grown: bool) -> Model {
        let growth = if grown {
            "[[events]]\nid = \"rise\"\nkind = \"shock\"\nstart = \"2020-01\"\nactors = [\"P1\", \"P2\"]\nattribute = \"capacity\"\noperation = \"multiply\"\nvalue = 2.0\n"
        } else {
            ""
        };
        model(&format!(
            "{}{}{}{}{}{}{}{}{}{}{}{growth}\
             [[rules]]\nrule = \"sanction_pressure\"\ntie_decay = 0.5\ncapacity_hit = 0.0\nstability_hit = 0.0\n\
             [[rules]]\nrule = \"patron_bid\"\nrate = 0.5\naffinity_weight = 2.0\nchannels = [\"trade\"]\n",
            actor("C", 0.5, ""),
            actor("S", -0.5, ""),
            actor("P1", 0.5, ""),
            actor("P2", -0.5, ""),
            actor("X", 0.5, ""),
            actor("Y", 0.5, ""),
            tie("C", "S", "trade", 0.6),
            tie("X", "P1", "trade", 0.5),
            tie("Y", "P2", "trade", 0.5),
            sanction_event("s", "sanctions", "S", "C", 1.0, Some("trade")),
            "",
        ))
    }

    #[test]
    fn rising_patrons_take_up_the_dependence_a_client_lost_by_affinity_and_spare_capacity() {
        let state = after(&world(true), 1);
        // Unmet dependence 0.3; the logit runs over X, Y, P1 (similarity 1) and P2 (0.5):
        // e^2, e^2, e^2 and e^1. X and Y have no commitments, hence no spare capacity.
        let e = std::f64::consts::E;
        let total = 3.0 * e * e + e;
        close(state.weight(TRADE, 0, 2), 0.5 * 0.3 * 0.5 * e * e / total);
        close(state.weight(TRADE, 0, 3), 0.5 * 0.3 * 0.5 * e / total);
        close(state.weight(TRADE, 0, 4), 0.0);
        close(state.weight(TRADE, 0, 1), 0.3);
    }

    #[test]
    fn a_patron_without_spare_capacity_takes_nothing() {
        let state = after(&world(false), 1);
        close(state.weight(TRADE, 0, 2), 0.0);
        close(state.weight(TRADE, 0, 3), 0.0);
    }
}

mod dissuasion {
    use super::*;

    #[test]
    fn secondary_sanctions_cut_third_party_ties_by_their_exposure() {
        let secondary = sanction_event("d", "secondary_sanctions", "W", "T", 1.0, Some("trade"));
        let model = model(&format!(
            "{}{}{}{}{}{}{}{}\
             {secondary}\
             [[rules]]\nrule = \"dissuasion\"\nrate = 0.2\n",
            actor("T", 0.5, ""),
            actor("W", -0.5, ""),
            actor("EXPOSED", 0.0, ""),
            actor("SHELTERED", 0.5, ""),
            tie("EXPOSED", "W", "trade", 0.5),
            tie("EXPOSED", "T", "trade", 0.5),
            tie("SHELTERED", "T", "trade", 0.5),
            tie("T", "EXPOSED", "trade", 0.4),
        ));
        let state = after(&model, 1);
        // EXPOSED holds half its trade with W: factor 1 − 0.2 × 1 × 0.5.
        close(state.weight(TRADE, 2, 0), 0.5 * 0.9);
        close(state.weight(TRADE, 0, 2), 0.4 * 0.9);
        close(state.weight(TRADE, 3, 0), 0.5);
    }

    #[test]
    fn a_stake_in_the_target_offsets_exposure_to_the_coalition() {
        // Issue 16: a third party weighs its exposure to the sanctioner against its stake in
        // the target. EXPOSED holds half its trade with W and half with T.
        let cut = |stake_weight: f64| {
            let secondary =
                sanction_event("d", "secondary_sanctions", "W", "T", 1.0, Some("trade"));
            let model = model(&format!(
                "{}{}{}{}{}{secondary}\
                 [[rules]]\nrule = \"dissuasion\"\nrate = 0.2\nstake_weight = {stake_weight}\n",
                actor("T", 0.5, ""),
                actor("W", -0.5, ""),
                actor("EXPOSED", 0.0, ""),
                tie("EXPOSED", "W", "trade", 0.5),
                tie("EXPOSED", "T", "trade", 0.5),
            ));
            after(&model, 1).weight(TRADE, 2, 0)
        };
        close(cut(0.0), 0.5 * (1.0 - 0.2 * 0.5));
        close(cut(0.5), 0.5 * (1.0 - 0.2 * 0.25));
        close(cut(1.0), 0.5);
        close(cut(3.0), 0.5);
    }
}

mod revenue {
    use super::*;

    #[test]
    fn capacity_above_its_trend_raises_stability_by_the_elasticity() {
        // A windfall multiplies capacity by e^0.3 in month 0; the trend (τ = 10 months) moves
        // a tenth of the way each month, and stability gains 0.1 × the deviation.
        let model = model(&format!(
            "{}[[events]]\nid = \"windfall\"\nkind = \"shock\"\nstart = \"2020-01\"\nactor = \"R\"\nattribute = \"capacity\"\noperation = \"multiply\"\nvalue = {}\n\
             [[rules]]\nrule = \"regime_survival\"\nsupport_gain = 0.0\nopposition = 0.0\nbase_hazard = 0.0\nrevenue_elasticity = 0.1\nrevenue_trend_months = 10.0\n",
            actor("R", 0.5, "stability = 0.5"),
            0.3f64.exp(),
        ));
        close(after(&model, 1).stability[0], 0.5 + 0.1 * 0.27);
        close(
            after(&model, 2).stability[0],
            0.5 + 0.1 * 0.27 + 0.1 * 0.243,
        );
    }
}

mod transitions {
    use super::*;

    /// R's regime falls in month 0 (stability 0, hazard 1); its successor sits at −0.5,
    /// reached at a quarter of the way a month; W's sanctions lift two months after the fall.
    fn world() -> Model {
        model(&format!(
            "{}{}{}{}\
             [[rules]]\nrule = \"sanction_pressure\"\ntie_decay = 0.5\ncapacity_hit = 0.0\nstability_hit = 0.0\n\
             [[rules]]\nrule = \"regime_survival\"\nsupport_gain = 0.0\nopposition = 0.0\nbase_hazard = 1.0\n\
             [[outcomes]]\nname = \"west_if_fell\"\nmeasure = \"tie_share\"\nactor = \"R\"\npartner = \"W\"\nat = \"2020-06\"\ngiven = \"fell\"\n\
             [[outcomes]]\nname = \"west_if_survived\"\nmeasure = \"tie_share\"\nactor = \"R\"\npartner = \"W\"\nat = \"2020-06\"\ngiven = \"survived\"\n",
            actor(
                "R",
                0.5,
                "stability = 0.0\nsuccessor_position = -0.5\ntransition_months = 4\nsanctions_lift_months = 2"
            ),
            actor("W", -0.5, ""),
            tie("R", "W", "trade", 0.8),
            sanction_event("s", "sanctions", "W", "R", 1.0, Some("trade")),
        ))
    }

    #[test]
    fn a_fallen_regime_moves_toward_its_successor_and_sanctions_lift_after_the_lag() {
        let model = world();
        let state = after(&model, 3);
        assert_eq!(state.regime_end[0], Some(0));
        // Month 1: 0.5 + (−0.5 − 0.5)/4; month 2: a quarter of the rest.
        close(state.position[0], 0.0625);
        // Cut in months 0 and 1 (0.8 → 0.4 → 0.2), lifted from month 2 on.
        close(state.weight(TRADE, 0, 1), 0.2);
        close(after(&model, 12).weight(TRADE, 0, 1), 0.2);
    }

    #[test]
    fn a_conditional_outcome_is_read_only_in_runs_that_meet_its_condition() {
        let result = Simulation::new(&world()).run(1, 0, None);
        close(result.outcomes[0], 1.0);
        assert!(result.outcomes[1].is_nan());
    }
}

mod flows_and_votes {
    use super::*;

    fn world(outcomes: &str) -> Model {
        let text = format!(
            "[scenario]\nname = \"flows\"\nstart = \"2020-01\"\nend = \"2020-12\"\nchannels = [\"trade\", \"arms\"]\nflows_scale_with_capacity = [\"trade\"]\n\
             [[actors]]\nid = \"A\"\ncapacity = 2.0\nposition = 0.2\nlocation = [0.0, 0.0]\n\
             [[actors]]\nid = \"B\"\ncapacity = 1.0\nposition = -0.5\nlocation = [0.0, 0.0]\n\
             [[actors]]\nid = \"P\"\ncapacity = 1.0\nposition = 0.8\nlocation = [0.0, 0.0]\n\
             {}{}{}{outcomes}",
            tie("A", "P", "trade", 0.5),
            tie("B", "P", "trade", 0.5),
            tie("A", "P", "arms", 0.4),
        );
        Model::new(Scenario::from_toml(&text, "flows.toml").unwrap())
    }

    fn outcomes(model: &Model) -> Vec<f64> {
        Simulation::new(model).run(1, 0, None).outcomes
    }

    #[test]
    fn flows_scale_weights_by_the_volume_of_the_from_actor() {
        let model = world(
            "[[outcomes]]\nname = \"trade_flow\"\nmeasure = \"flow\"\nactor = \"A\"\npartner = \"P\"\nchannels = [\"trade\"]\n\
             [[outcomes]]\nname = \"all_flow\"\nmeasure = \"flow\"\nactor = \"A\"\npartner = \"P\"\n\
             [[outcomes]]\nname = \"of_trade\"\nmeasure = \"share_of_partner\"\nactor = \"A\"\npartner = \"P\"\nchannels = [\"trade\"]\n\
             [[outcomes]]\nname = \"of_arms\"\nmeasure = \"share_of_partner\"\nactor = \"B\"\npartner = \"P\"\nchannels = [\"arms\"]\n",
        );
        let values = outcomes(&model);
        close(values[0], 0.5 * 2.0);
        close(values[1], 0.5 * 2.0 + 0.4);
        // A's trade flow to P is 1.0 of 1.5; B has no arms flow to P.
        close(values[2], 1.0 / 1.5);
        close(values[3], 0.0);
    }

    #[test]
    fn votes_map_the_score_to_yes_abstain_or_no() {
        let model = world(
            "[[outcomes]]\nname = \"a_plain\"\nmeasure = \"vote\"\nactor = \"A\"\nyes_below = -0.2\nno_above = 0.5\n\
             [[outcomes]]\nname = \"a_pulled\"\nmeasure = \"vote\"\nactor = \"A\"\nyes_below = -0.2\nno_above = 0.5\npartner = \"P\"\npartner_weight = 1.0\nchannels = [\"trade\"]\n\
             [[outcomes]]\nname = \"b_plain\"\nmeasure = \"vote\"\nactor = \"B\"\nyes_below = -0.2\nno_above = 0.5\n",
        );
        // A: 0.2 abstains; 0.2 + 0.5 (its trade tie to P) = 0.7 votes no; B at −0.5 votes yes.
        assert_eq!(outcomes(&model), vec![0.0, -1.0, 1.0]);
    }
}

mod shocks {
    use super::*;

    #[test]
    fn a_shock_changes_its_attribute_once_in_its_month() {
        let model = model(&format!(
            "{}{}[[events]]\nid = \"cut\"\nkind = \"shock\"\nstart = \"2020-03\"\nactors = [\"A\", \"B\"]\nattribute = \"capacity\"\noperation = \"multiply\"\nvalue = 0.5\n\
             [[events]]\nid = \"turn\"\nkind = \"shock\"\nstart = \"2020-02\"\nactor = \"A\"\nattribute = \"position\"\noperation = \"set\"\nvalue = -0.3\n",
            actor("A", 0.2, ""),
            actor("B", 0.2, ""),
        ));
        close(after(&model, 2).capacity[0], 1.0);
        close(after(&model, 2).position[0], -0.3);
        let state = after(&model, 12);
        close(state.capacity[0], 0.5);
        close(state.capacity[1], 0.5);
        close(state.position[1], 0.2);
    }
}

mod numeric_trouble {
    use super::*;

    #[test]
    fn non_finite_values_are_counted_and_replaced_not_panicked_on() {
        // Two shocks multiply a capacity by 1e300 each: the second overflows to infinity.
        let model = model(&format!(
            "{}[[events]]\nid = \"boom\"\nkind = \"shock\"\nstart = \"2020-02\"\nactor = \"A\"\nattribute = \"capacity\"\noperation = \"multiply\"\nvalue = 1e300\n\
             [[events]]\nid = \"bust\"\nkind = \"shock\"\nstart = \"2020-03\"\nactor = \"A\"\nattribute = \"capacity\"\noperation = \"multiply\"\nvalue = 1e300\n\
             [[outcomes]]\nname = \"capacity\"\nmeasure = \"capacity\"\nactor = \"A\"\n",
            actor("A", 0.0, ""),
        ));
        let result = Simulation::new(&model).run(1, 0, None);
        assert_eq!(result.non_finite, 1);
        assert_eq!(result.outcomes[0], 0.0);
    }
}
