//! Criterion benchmarks of the model core on the teaching scenario: one full run (runs/s) and
//! one step (step time). The flagship and scaling benchmarks come with the batch engine.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente::model::{Model, Simulation};
use entente::scenario::Scenario;

fn minimal() -> Model {
    Model::new(Scenario::load(Path::new("scenarios/minimal.toml")).expect("valid scenario"))
}

/// One whole run of the teaching scenario (5 actors, 3 channels, 60 months, 8 rules), with
/// parameter draws and outcome reduction: throughput is runs per second.
fn run(criterion: &mut Criterion) {
    let model = minimal();
    let mut simulation = Simulation::new(&model);
    let mut group = criterion.benchmark_group("run");
    group.throughput(Throughput::Elements(1));
    let mut index = 0u64;
    group.bench_function("minimal", |bencher| {
        bencher.iter(|| {
            index += 1;
            black_box(simulation.run(1, index, None))
        })
    });
    group.finish();
}

/// One month of the teaching scenario with every rule on: throughput is steps per second.
fn step(criterion: &mut Criterion) {
    let model = minimal();
    let months = model.months() as u32;
    let mut simulation = Simulation::new(&model);
    simulation.reset(1, 0);
    let mut month = 0;
    let mut group = criterion.benchmark_group("step");
    group.throughput(Throughput::Elements(1));
    group.bench_function("minimal", |bencher| {
        bencher.iter(|| {
            simulation.step(month);
            month = (month + 1) % months;
            black_box(simulation.state().capacity[0])
        })
    });
    group.finish();
}

criterion_group!(benches, run, step);
criterion_main!(benches);
