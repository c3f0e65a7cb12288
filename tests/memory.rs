//! Memory per run in flight (the performance issue): what one `Simulation` holds for the
//! flagship and a dense 200-actor world, and that running does not make it grow.

use std::path::Path;

use entente::model::{LANES, Model, Simulation};
use entente::scenario::Scenario;

fn model(path: &str) -> Model {
    Model::new(Scenario::load(Path::new(path)).expect("valid scenario"))
}

/// A world of `actors` actors on four channels with two rules, as TOML.
fn world(actors: usize) -> String {
    let mut toml = String::from(
        "[scenario]\nname = \"dense\"\nstart = \"2020-01\"\nend = \"2020-12\"\n\
         channels = [\"trade\", \"arms\", \"finance\", \"diplomacy\"]\n",
    );
    for actor in 0..actors {
        toml.push_str(&format!(
            "[[actors]]\nid = \"A{actor}\"\ncapacity = 1.0\ngrowth = 0.02\nposition = 0.1\n\
             stubbornness = 0.05\nlocation = [0.0, {}]\n",
            actor as f64 / actors as f64
        ));
    }
    toml.push_str("[[rules]]\nrule = \"homophily\"\n[[rules]]\nrule = \"influence\"\n");
    toml
}

#[test]
fn a_run_in_flight_holds_a_few_kilobytes_at_the_flagship_and_its_weights_at_200_actors() {
    let flagship = model("scenarios/venezuela/baseline.toml");
    let mut simulation = Simulation::new(&flagship);
    let mut outcomes = Vec::new();
    simulation.run_group(1, 0, &mut outcomes, |_, _| {});
    let before = simulation.memory_bytes();
    for first in (8..160).step_by(LANES) {
        simulation.run_group(1, first, &mut outcomes, |_, _| {});
    }
    assert_eq!(
        simulation.memory_bytes(),
        before,
        "a warm simulation does not grow"
    );
    // About 150 KB for a group of 8 runs, 19 KB a run (docs/PERFORMANCE.md): 38 KB of
    // weights (14 × 14 actors × 6 channels × 32 bytes) and as much again for the levels they
    // relax toward (issue 16), 10 KB of random streams (15 × 640 bytes), 31 KB of drawn
    // parameters (about 320, as 8 `f64`s per run and as lanes of `f32`), 12 KB of outcome
    // reductions for 71 outcomes, and the per-actor lanes.
    assert!(before < 192 * 1024, "a flagship group holds {before} bytes");

    let dense = Model::new(Scenario::from_toml(&world(200), "dense.toml").expect("valid"));
    let simulation = Simulation::new(&dense);
    let bytes = simulation.memory_bytes();
    let weights = LANES * 4 * 200 * 200 * 4;
    eprintln!(
        "200 actors: {bytes} bytes per group of {LANES} runs in flight ({weights} of weights)"
    );
    assert!(bytes >= weights, "the weights alone are {weights} bytes");
    // Beyond the weights, about 2.2 KB per actor: 20 lanes of per-actor values (640 bytes), a
    // random stream (640 bytes) and the 200 × 200 table of who sanctions whom.
    assert!(
        bytes < weights + 200 * 3 * 1024,
        "200 actors hold {bytes} bytes"
    );
}
