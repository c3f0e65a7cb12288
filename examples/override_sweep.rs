//! Overrides by key: the flagship with one judged input, how much stability a unit of revenue
//! buys (`rules.regime_survival.revenue_elasticity`, uniform on 0.005 to 0.03 in the file),
//! fixed at values across its range, 1,000 runs each, and the share of runs in which the
//! regime lasts to 2030 (from the per-run table). `entente batch FILE --set KEY=VALUE` does the
//! same on the command line. Run it from the repository root:
//! `cargo run --release --example override_sweep`.

use entente::{Overrides, Scenario, api};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "scenarios/venezuela/baseline.toml".as_ref();
    for elasticity in [0.005, 0.01, 0.02, 0.03] {
        let key = "rules.regime_survival.revenue_elasticity";
        let scenario = Scenario::load_with(path, &Overrides::new().set(key, elasticity))?;
        let batch = api::batch(&scenario, &api::Settings::runs(1_000))?;
        let survived = batch.table.column("survives_2030").unwrap();
        let share = survived.iter().sum::<f64>() / survived.len() as f64;
        println!("revenue_elasticity {elasticity:<5}  P(survives 2030) = {share:.3}");
    }
    Ok(())
}
