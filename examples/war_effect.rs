//! The title question through the library: the flagship with and without Russia's war in
//! Ukraine, 2,000 paired runs each, and the war's effect on the regime's survival to 2030.
//! Run it from the repository root: `cargo run --release --example war_effect`.

use entente::{Scenario, api};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let baseline = Scenario::load("scenarios/venezuela/baseline.toml".as_ref())?;
    let no_war = Scenario::load("scenarios/venezuela/no_war.toml".as_ref())?;
    let result = api::compare(&[baseline, no_war], &api::Settings::runs(2_000))?;
    let outcomes = &result.comparison.outcomes;
    let survival = outcomes.iter().find(|o| o.name == "survives_2030").unwrap();
    for side in &survival.sides {
        let p = side.probability.as_ref().unwrap().value;
        println!("{:20} P(survives 2030) = {p:.4}", side.scenario);
    }
    let change = survival.differences[0].probability_change.unwrap();
    let (low, high) = (change.interval.low, change.interval.high);
    println!("no war − war: {:+.4} [{low:+.4}, {high:+.4}]", change.value);
    Ok(())
}
