//! One run of the teaching scenario, its outcomes read by name: the numbers
//! `entente run scenarios/minimal.toml --seed 7` prints. Run it from the repository root:
//! `cargo run --release --example one_run`.

use entente::{OutcomeValue, Scenario, api};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scenario = Scenario::load("scenarios/minimal.toml".as_ref())?;
    // Run 0 of the batch seeded 7 (`None` would take the scenario's own seed).
    let outcomes = api::run(&scenario, Some(7), 0);
    for (name, value) in outcomes.iter() {
        println!("{name:28} {value:.4}");
    }
    // One outcome by name: decoded (a number, a yes/no flag, a month or "never") ...
    if let Some(OutcomeValue::Month(Some(month))) = outcomes.get("home_regime_change") {
        println!("the regime fell in {month}");
    }
    // ... or as a number (flags 1 or 0, months since the start, "never" NaN).
    if let Some(share) = outcomes.number("riser_share_of_home_trade") {
        println!("the riser's share of its trade at the end: {share:.4}");
    }
    Ok(())
}
