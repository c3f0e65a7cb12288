//! Monte Carlo batches: bit-identical results for any thread count, statistics that match
//! known distributions, sequential stopping that reaches its precision, and paired
//! comparisons (common random numbers) that are exact where they must be.

use std::convert::Infallible;
use std::path::Path;

use entente::batch::{self, BatchOptions, BatchResult, CHUNK_RUNS, RunPlan};
use entente::model::Model;
use entente::report;
use entente::scenario::Scenario;
use entente::summary::{ComparisonSummary, ScenarioSummary};

fn model(path: &str) -> Model {
    Model::new(Scenario::load(Path::new(path)).unwrap())
}

fn options(seed: u64, plan: RunPlan, threads: usize) -> BatchOptions {
    BatchOptions {
        seed,
        plan,
        threads,
        envelopes: true,
        per_run: false,
    }
}

fn run(models: &[Model], options: &BatchOptions) -> BatchResult {
    batch::run(models, options, &|_| {}, |_| Ok::<(), Infallible>(())).unwrap()
}

/// The summary JSON and per-run rows of a batch of `runs` runs on `threads` threads.
fn summary_and_rows(model: &Model, runs: u64, threads: usize) -> (String, Vec<u64>) {
    let mut options = options(3, RunPlan::Fixed(runs), threads);
    options.per_run = true;
    let mut rows = Vec::new();
    let result = batch::run(std::slice::from_ref(model), &options, &|_| {}, |block| {
        assert_eq!(block.values.len() % block.width, 0);
        rows.push(block.first_run);
        rows.extend(block.values.iter().map(|value| value.to_bits()));
        Ok::<(), Infallible>(())
    })
    .unwrap();
    let summary = ScenarioSummary::new(model, 3, &result, 0, None);
    (report::summary_json(&summary), rows)
}

#[test]
fn thread_count_determinism_of_summaries_and_rows() {
    let model = model("scenarios/minimal.toml");
    // Not a multiple of the chunk size, so the last chunk is partial.
    let runs = 5 * CHUNK_RUNS + 77;
    let (one, one_rows) = summary_and_rows(&model, runs, 1);
    for threads in [2, 4] {
        let (many, many_rows) = summary_and_rows(&model, runs, threads);
        assert!(
            one == many,
            "summary.json differs between 1 and {threads} threads"
        );
        assert!(
            one_rows == many_rows,
            "per-run rows differ at {threads} threads"
        );
    }
    assert!(one.contains(&format!("\"runs\": {runs}")));
}

#[test]
fn thread_count_determinism_of_comparisons() {
    let models = [
        model("scenarios/minimal.toml"),
        model("tests/scenarios/minimal_no_war.toml"),
    ];
    let compare = |threads| {
        let result = run(&models, &options(9, RunPlan::Fixed(1500), threads));
        report::comparison_json(&ComparisonSummary::new(&models, 9, &result))
    };
    let one = compare(1);
    assert!(
        one == compare(3),
        "comparison differs between 1 and 3 threads"
    );
}

#[test]
fn summaries_match_a_known_uniform_distribution() {
    let model = model("tests/scenarios/uniform.toml");
    let result = run(
        std::slice::from_ref(&model),
        &options(5, RunPlan::Fixed(40_000), 2),
    );
    let summary = ScenarioSummary::new(&model, 5, &result, 0, None);
    let drawn = &summary.outcomes[0];
    let (low, high) = (0.2, 0.6);
    let sd = (high - low) / 12f64.sqrt();
    assert_eq!(drawn.count, 40_000);
    // Four standard errors: a false failure about once in 16,000 seeds.
    assert!(
        (drawn.mean - 0.4).abs() < 4.0 * sd / 200.0,
        "mean {}",
        drawn.mean
    );
    assert!(
        (drawn.standard_deviation - sd).abs() < 0.002,
        "sd {}",
        drawn.standard_deviation
    );
    assert!(drawn.min >= low && drawn.max <= high);
    for (got, q) in drawn
        .quantiles
        .values()
        .iter()
        .zip([0.05, 0.25, 0.5, 0.75, 0.95])
    {
        let exact = low + q * (high - low);
        // Sampling error (about 0.001 here) plus the sketch's 0.2% relative error.
        assert!(
            (got - exact).abs() < 0.004 + exact * 2f64.powi(-9),
            "q{q}: {got}"
        );
    }
    // The histogram of a uniform is flat: 20 bins of about 2,000.
    let counts = &drawn.histogram.counts;
    assert_eq!(counts.iter().sum::<u64>(), 40_000);
    assert!(
        counts.iter().all(|&count| (1700..=2300).contains(&count)),
        "{counts:?}"
    );
    // Calibration targets: the median 0.4 meets [0.38, 0.42] and misses [0.5, 0.6].
    let met = drawn.target.as_ref().unwrap();
    assert!(met.inside && met.statistic == "median" && met.value == drawn.quantiles.median);
    assert!(!summary.outcomes[1].target.as_ref().unwrap().inside);
    // Envelope: from the first ENVELOPE_RUNS runs only, where the measure is the same every
    // month (the drawn value, rounded to f32 in the model).
    let envelope = &summary.envelopes[0];
    assert_eq!(envelope.months.len(), 12);
    let first = &envelope.months[0];
    assert_eq!(first.count, entente::batch::ENVELOPE_RUNS);
    assert_eq!(
        summary.envelope_runs,
        entente::batch::ENVELOPE_RUNS,
        "stated in the summary"
    );
    assert!(
        envelope
            .months
            .iter()
            .all(|month| month.mean == first.mean && month.count == first.count)
    );
    let envelope_error = sd / (entente::batch::ENVELOPE_RUNS as f64).sqrt();
    assert!(
        (first.mean - 0.4).abs() < 4.0 * envelope_error,
        "envelope mean {}",
        first.mean
    );
}

#[test]
fn mean_intervals_cover_the_true_mean_about_95_percent_of_the_time() {
    let model = model("tests/scenarios/uniform.toml");
    let seeds = 400;
    let covered = (0..seeds)
        .filter(|&seed| {
            let result = run(
                std::slice::from_ref(&model),
                &options(seed, RunPlan::Fixed(300), 1),
            );
            let summary = ScenarioSummary::new(&model, seed, &result, 0, None);
            summary.outcomes[0].mean_interval.contains(0.4)
        })
        .count();
    let coverage = covered as f64 / seeds as f64;
    // Binomial(400, 0.95) lies within ±3.2 points with probability 0.997.
    assert!((0.918..=0.982).contains(&coverage), "coverage {coverage}");
}

#[test]
fn sequential_stopping_reaches_its_precision() {
    let model = model("tests/scenarios/uniform.toml");
    let target = 0.001;
    let plan = RunPlan::Precision {
        target,
        max_runs: 1_000_000,
        outcomes: None,
    };
    let result = run(std::slice::from_ref(&model), &options(5, plan.clone(), 2));
    assert_eq!(result.precision_reached, Some(true));
    let summary = ScenarioSummary::new(&model, 5, &result, 0, Some(target));
    let half_width = summary.outcomes[0].judged_half_width;
    assert!(half_width <= target, "{half_width}");
    // About (1.96 · 0.1155 / 0.001)² = 51,200 runs are needed; stopping costs at most double.
    assert!(
        (51_200 / 2..=2 * 51_200).contains(&result.runs),
        "{} runs",
        result.runs
    );
    let checks = &result.checkpoints;
    assert!(checks.len() >= 2);
    assert!(checks[checks.len() - 2].widest_half_width > target);
    assert_eq!(checks.last().unwrap().runs, result.runs);
    // The stopping point is the same on another thread count.
    let again = run(std::slice::from_ref(&model), &options(5, plan, 1));
    assert_eq!(again.runs, result.runs);
}

#[test]
fn sequential_stopping_reports_when_max_runs_comes_first() {
    let model = model("tests/scenarios/uniform.toml");
    let plan = RunPlan::Precision {
        target: 1e-6,
        max_runs: 10_000,
        outcomes: None,
    };
    let result = run(std::slice::from_ref(&model), &options(5, plan, 2));
    assert_eq!(result.precision_reached, Some(false));
    assert_eq!(result.runs, 10_000);
}

#[test]
fn comparing_a_scenario_with_itself_gives_exactly_zero_differences() {
    let models = [
        model("scenarios/minimal.toml"),
        model("scenarios/minimal.toml"),
    ];
    let result = run(&models, &options(1, RunPlan::Fixed(2000), 2));
    let summary = ComparisonSummary::new(&models, 1, &result);
    assert_eq!(
        summary.outcomes.len(),
        models[0].scenario().outcomes().len()
    );
    for outcome in &summary.outcomes {
        let difference = &outcome.differences[0];
        assert_eq!(difference.mean_difference, 0.0, "{}", outcome.name);
        assert_eq!(difference.paired_half_width, 0.0, "{}", outcome.name);
        assert_eq!(difference.ks_distance, 0.0, "{}", outcome.name);
        if let Some(change) = difference.probability_change {
            assert_eq!(change.value, 0.0, "{}", outcome.name);
        }
        assert_eq!(
            outcome.sides[0].mean.to_bits(),
            outcome.sides[1].mean.to_bits()
        );
    }
}

#[test]
fn common_random_numbers_narrow_the_interval_of_a_difference() {
    let models = [
        model("scenarios/minimal.toml"),
        model("tests/scenarios/minimal_no_war.toml"),
    ];
    let result = run(&models, &options(1, RunPlan::Fixed(4000), 2));
    let summary = ComparisonSummary::new(&models, 1, &result);
    let stability = summary
        .outcomes
        .iter()
        .find(|outcome| outcome.name == "home_stability_min")
        .unwrap();
    let difference = &stability.differences[0];
    // The stability draw is shared run by run, so most of the variance cancels.
    assert!(difference.variance_reduction > 0.5, "{difference:?}");
    assert!(difference.paired_half_width < 0.5 * difference.unpaired_half_width);
    // Without the war the old patron keeps more of HOME's arms ties.
    let arms = summary
        .outcomes
        .iter()
        .find(|outcome| outcome.name == "old_share_of_home_arms_end")
        .unwrap();
    assert!(
        arms.differences[0].interval.low > 0.0,
        "{:?}",
        arms.differences[0]
    );
    assert!(arms.differences[0].ks_p_value < 1e-6);
}
