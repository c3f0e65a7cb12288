//! Criterion benchmarks of the model core: one full run (runs/s) and one step (step time), of
//! the teaching scenario and of the flagship (`scenarios/venezuela/baseline.toml`), and whole
//! flagship batches with their summaries (runs/s on one thread and on every core).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente::batch::{self, BatchOptions, RunPlan};
use entente::model::{Model, Simulation};
use entente::scenario::Scenario;
use entente::summary::ScenarioSummary;

/// The benchmarked scenarios: the teaching one (5 actors, 3 channels, 60 months, 8 rules) and
/// the flagship (14 actors, 4 channels, 204 months, 9 rules, 45 outcomes).
const SCENARIOS: [(&str, &str); 2] = [
    ("minimal", "scenarios/minimal.toml"),
    ("flagship", "scenarios/venezuela/baseline.toml"),
];

fn load(path: &str) -> Model {
    Model::new(Scenario::load(Path::new(path)).expect("valid scenario"))
}

/// One whole run, with parameter draws and outcome reduction, into a reused outcome buffer,
/// reading each outcome's measure only in the months its reduction uses (as batches without
/// envelopes do): throughput is runs per second.
fn run(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("run");
    group.throughput(Throughput::Elements(1));
    for (name, path) in SCENARIOS {
        let model = load(path);
        let mut simulation = Simulation::new(&model);
        simulation.set_every_measure(false);
        let mut outcomes = Vec::new();
        let mut index = 0u64;
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                index += 1;
                black_box(simulation.run_into(1, index, &mut outcomes, |_, _| {}))
            })
        });
    }
    group.finish();
}

/// One month with every rule on: throughput is steps per second.
fn step(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("step");
    group.throughput(Throughput::Elements(1));
    for (name, path) in SCENARIOS {
        let model = load(path);
        let months = model.months() as u32;
        let mut simulation = Simulation::new(&model);
        simulation.reset(1, 0);
        let mut month = 0;
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                simulation.step(month);
                month = (month + 1) % months;
                black_box(simulation.state().capacity[0])
            })
        });
    }
    group.finish();
}

/// Runs per measured batch: four chunks per thread on this machine's two cores, so that every
/// worker has whole chunks to take.
const BATCH_RUNS: u64 = 2048;

/// A whole batch of the flagship, summaries and envelopes included, on one thread and on every
/// core: throughput is runs per second, the figure a user sees at the end of `entente batch`.
fn batch(criterion: &mut Criterion) {
    let model = load("scenarios/venezuela/baseline.toml");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = criterion.benchmark_group("batch");
    group.throughput(Throughput::Elements(BATCH_RUNS));
    group.sample_size(10);
    for threads in [1, cores] {
        let options = BatchOptions {
            seed: 1,
            plan: RunPlan::Fixed(BATCH_RUNS),
            threads,
            envelopes: true,
            per_run: false,
        };
        group.bench_function(format!("flagship/{threads}-threads"), |bencher| {
            bencher.iter(|| {
                let result = batch::run(std::slice::from_ref(&model), &options, &|_| {}, |_| {
                    Ok::<(), std::convert::Infallible>(())
                })
                .expect("no row sink to fail");
                black_box(ScenarioSummary::new(&model, 1, &result, 0, None))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, run, step, batch);
criterion_main!(benches);
