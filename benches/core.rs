//! Criterion benchmarks of the model core: whole runs (runs/s) and steps (run-steps/s), of the
//! teaching scenario and of the flagship (`scenarios/venezuela/baseline.toml`), on each
//! instruction set this processor has; whole flagship batches with their summaries (runs/s on
//! one thread and on every core); and steps of generated dense worlds of 50, 200 and 1,000
//! actors (tie-updates per second on one core). The engine computes [`LANES`] runs at once,
//! so a timed iteration is a group of that many runs, and throughputs count runs, not groups.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use std::fmt::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente::batch::{self, BatchOptions, RunPlan};
use entente::model::{InstructionSet, LANES, Model, Simulation};
use entente::scenario::Scenario;
use entente::summary::ScenarioSummary;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
    group.throughput(Throughput::Elements(LANES as u64));
    for (name, path) in SCENARIOS {
        let model = load(path);
        for set in instruction_sets() {
            let mut simulation = Simulation::new(&model);
            simulation.set_every_measure(false);
            simulation.set_instruction_set(set);
            let mut outcomes = Vec::new();
            let mut first = 0u64;
            group.bench_function(format!("{name}/{}", set.name()), |bencher| {
                bencher.iter(|| {
                    first += LANES as u64;
                    black_box(simulation.run_group(1, first, &mut outcomes, |_, _| {}))
                })
            });
        }
    }
    group.finish();
}

/// The instruction sets this processor runs: the portable one, and AVX2 where it has it.
fn instruction_sets() -> Vec<InstructionSet> {
    let mut sets = vec![InstructionSet::Portable];
    if InstructionSet::detected() == InstructionSet::Avx2 {
        sets.push(InstructionSet::Avx2);
    }
    sets
}

/// Times `iterations` steps of `simulation` going through the scenario's months in order; at
/// the end of the months the state goes back to `start`, outside the timed steps, so that
/// every measured step is one of a real run (a state stepped past its end would drift to
/// values no run reaches).
fn timed_steps(
    simulation: &mut Simulation<'_>,
    start: &entente::model::State,
    months: u32,
    iterations: u64,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut month = 0;
    for _ in 0..iterations {
        let began = Instant::now();
        simulation.step(month);
        elapsed += began.elapsed();
        black_box(simulation.state().log_capacity[0]);
        month += 1;
        if month == months {
            month = 0;
            simulation.state_mut().clone_from(start);
        }
    }
    elapsed
}

/// One month with every rule on, for a group of runs: throughput is run-steps per second.
fn step(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("step");
    group.throughput(Throughput::Elements(LANES as u64));
    for (name, path) in SCENARIOS {
        let model = load(path);
        let months = model.months() as u32;
        for set in instruction_sets() {
            let mut simulation = Simulation::new(&model);
            simulation.set_instruction_set(set);
            simulation.reset(1, 0);
            let start = simulation.state().clone();
            group.bench_function(format!("{name}/{}", set.name()), |bencher| {
                bencher.iter_custom(|iterations| {
                    timed_steps(&mut simulation, &start, months, iterations)
                })
            });
        }
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

/// Channels of the generated worlds.
const SCALE_CHANNELS: [&str; 4] = ["trade", "arms", "finance", "diplomacy"];

/// A generated world of `actors` actors as scenario TOML: every rule on, on every channel; a
/// Western tenth sanctions the last actor (whose regime is followed) on every channel and
/// deters others with secondary sanctions; one actor is at war; one outreach offer. Its ties
/// are set densely in code afterwards (see [`scale`]).
fn generated_world(actors: usize) -> String {
    let mut toml = String::from(
        "[scenario]\nname = \"generated\"\nstart = \"2020-01\"\nend = \"2029-12\"\n\
         channels = [\"trade\", \"arms\", \"finance\", \"diplomacy\"]\n",
    );
    let west = (actors / 10).max(1);
    let target = actors - 1;
    for actor in 0..actors {
        let side = if actor < west { "west" } else { "east" };
        let position = if actor < west {
            -0.8
        } else {
            (actor % 17) as f64 / 17.0 - 0.3
        };
        let latitude = (actor % 90) as f64 * 1.5 - 60.0;
        let longitude = (actor % 240) as f64 * 1.5 - 180.0;
        write!(
            toml,
            "[[actors]]\nid = \"A{actor}\"\ntags = [\"{side}\"]\ncapacity = {}\n\
             growth = 0.02\nposition = {position}\nstubbornness = 0.05\nlocation = [{latitude}, {longitude}]\n",
            1.0 + (actor % 7) as f64,
        )
        .unwrap();
        if actor == target {
            toml.push_str("stability = 0.6\n");
        }
    }
    write!(
        toml,
        "[[events]]\nid = \"sanctions\"\nkind = \"sanctions\"\nstart = \"2020-06\"\n\
         coalition_tags = [\"west\"]\ntarget = \"A{target}\"\nintensity = 0.5\n\
         [[events]]\nid = \"deterrence\"\nkind = \"secondary_sanctions\"\nstart = \"2021-01\"\n\
         coalition_tags = [\"west\"]\ntarget = \"A{target}\"\nintensity = 0.3\n\
         [[events]]\nid = \"war\"\nkind = \"war\"\nstart = \"2022-02\"\nbelligerent = \"A{west}\"\n\
         capacity_drain = 0.002\nbudget_absorbed = 0.5\n\
         [[events]]\nid = \"offer\"\nkind = \"outreach\"\nstart = \"2022-03\"\nfrom = \"A0\"\n\
         to = \"A{target}\"\nstrength = 0.05\n"
    )
    .unwrap();
    for rule in [
        "capacity\"\ngrowth_noise = 0.005\n#\"",
        "sanction_pressure",
        "sanction_substitution",
        "dissuasion",
        "outreach",
        "commitment_waning",
        "homophily",
        "influence",
        "regime_survival",
    ] {
        write!(toml, "[[rules]]\nrule = \"{rule}\"\n").unwrap();
    }
    write!(
        toml,
        "[[outcomes]]\nname = \"survives\"\nmeasure = \"survives\"\nactor = \"A{target}\"\n"
    )
    .unwrap();
    toml
}

/// One month of a generated world whose every pair of actors is tied on all four channels.
/// Throughput is in tie-updates: one tie-update is one directed tie weight on one channel of
/// one run carried through one month of every rule that is on, so a step of a group of n
/// actors counts LANES·4·n·(n − 1) of them. Criterion's elements/s is then tie-updates per
/// second, on one core.
fn scale(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("scale");
    for actors in [50, 200, 1000] {
        let scenario = Scenario::from_toml(&generated_world(actors), "generated.toml")
            .expect("the generated world is valid");
        let model = Model::new(scenario);
        let months = model.months() as u32;
        for set in instruction_sets() {
            let mut simulation = Simulation::new(&model);
            simulation.set_instruction_set(set);
            simulation.reset(1, 0);
            // Dense ties: each row of each channel sums to about 1 in expectation.
            let mut random = ChaCha8Rng::seed_from_u64(actors as u64);
            for channel in 0..SCALE_CHANNELS.len() {
                for from in 0..actors {
                    for to in 0..actors {
                        let weight = random.random::<f64>() * 2.0 / actors as f64;
                        simulation.state_mut().set_weight(channel, from, to, weight);
                    }
                }
            }
            let ties = (LANES * SCALE_CHANNELS.len() * actors * (actors - 1)) as u64;
            group.throughput(Throughput::Elements(ties));
            if actors >= 1000 {
                group.sample_size(10);
            }
            let start = simulation.state().clone();
            group.bench_function(format!("{actors}-actors/{}", set.name()), |bencher| {
                bencher.iter_custom(|iterations| {
                    timed_steps(&mut simulation, &start, months, iterations)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, run, step, batch, scale);
criterion_main!(benches);
