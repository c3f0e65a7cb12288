//! Determinism is a contract: the same scenario, seed and run index give bit-identical
//! traces; switching an event or rule off does not shift the random draws of anything else.

use std::path::Path;

use entente::model::{LANES, Model, Simulation};
use entente::outcome::Trace;
use entente::report;
use entente::scenario::Scenario;

fn minimal() -> Model {
    Model::new(Scenario::load(Path::new("scenarios/minimal.toml")).unwrap())
}

fn trace_bytes(model: &Model, seed: u64, run: u64) -> String {
    let mut trace = Trace::new(model);
    Simulation::new(model).run(seed, run, Some(&mut trace));
    report::trace_csv(&trace)
}

#[test]
fn same_seed_and_run_give_identical_trace_bytes() {
    let model = minimal();
    let first = trace_bytes(&model, 7, 0);
    assert_eq!(first, trace_bytes(&model, 7, 0));
    // A simulation reused after other runs gives the same bytes as a fresh one.
    let mut simulation = Simulation::new(&model);
    simulation.run(7, 3, None);
    let mut trace = Trace::new(&model);
    simulation.run(7, 0, Some(&mut trace));
    assert_eq!(first, report::trace_csv(&trace));
}

#[test]
fn other_seeds_and_runs_give_other_traces() {
    let model = minimal();
    let base = trace_bytes(&model, 7, 0);
    assert_ne!(base, trace_bytes(&model, 8, 0));
    assert_ne!(base, trace_bytes(&model, 7, 1));
}

#[test]
fn adding_an_event_does_not_shift_other_parameter_draws() {
    let text = std::fs::read_to_string("scenarios/minimal.toml").unwrap();
    let base = Model::new(Scenario::from_toml(&text, "a").unwrap());
    // A variant with an extra uncertain event parameter placed before every other event.
    let variant_text = text.replacen(
        "[[events]]",
        "[[events]]\nid = \"extra\"\nkind = \"war\"\nstart = \"2024-12\"\nbelligerent = \"NEIGHBOUR\"\n\
         capacity_drain = { dist = \"uniform\", low = 0.0, high = 0.001 }\n\n[[events]]",
        1,
    );
    let variant = Model::new(Scenario::from_toml(&variant_text, "b").unwrap());
    let drawn = |model: &Model| {
        let mut simulation = Simulation::new(model);
        let lane = simulation.reset(11, 5);
        let scenario = model.scenario();
        scenario
            .params()
            .iter()
            .zip(simulation.params(lane))
            .map(|(spec, value)| (spec.key.clone(), *value))
            .collect::<Vec<_>>()
    };
    let base_draws = drawn(&base);
    let variant_draws = drawn(&variant);
    assert_eq!(variant_draws.len(), base_draws.len() + 2);
    for (key, value) in &base_draws {
        let matching = variant_draws
            .iter()
            .find(|(other, _)| other == key)
            .unwrap();
        assert_eq!(matching.1.to_bits(), value.to_bits(), "{key}");
    }
}

#[test]
fn reading_only_the_measures_reductions_use_gives_the_same_outcomes() {
    // Batches without envelopes skip the monthly measures no outcome needs; the outcome
    // values must be the same bits as when every measure is read every month.
    for path in [
        "scenarios/minimal.toml",
        "scenarios/venezuela/baseline.toml",
    ] {
        let model = Model::new(Scenario::load(Path::new(path)).unwrap());
        let mut every = Simulation::new(&model);
        let mut lazy = Simulation::new(&model);
        lazy.set_every_measure(false);
        let (mut left, mut right) = (Vec::new(), Vec::new());
        for first in (0..24).step_by(LANES) {
            every.run_group(3, first, &mut left, |_, _| {});
            lazy.run_group(3, first, &mut right, |_, _| {});
            let left_bits: Vec<u64> = left.iter().map(|value| value.to_bits()).collect();
            let right_bits: Vec<u64> = right.iter().map(|value| value.to_bits()).collect();
            assert_eq!(left_bits, right_bits, "{path}, runs from {first}");
        }
    }
}
