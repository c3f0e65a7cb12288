//! `entente check` (validate a scenario and show it) and `entente run` (one run, its outcome
//! values and optionally its month-by-month trace).

use std::path::Path;

use anyhow::{Context, Result};

use entente::cli::{RunArgs, RunFormat};
use entente::model::{Model, Simulation};
use entente::outcome::Trace;
use entente::report;
use entente::scenario::Scenario;

use super::{emit, print_warnings};

pub fn check(path: &Path, quiet: bool) -> Result<()> {
    let scenario = Scenario::load(path)?;
    if !quiet {
        emit(&scenario.to_string())?;
        print_warnings(&scenario);
    }
    Ok(())
}

pub fn run(request: RunArgs) -> Result<()> {
    let scenario = Scenario::load(&request.scenario)?;
    print_warnings(&scenario);
    let seed = request.seed.unwrap_or(scenario.seed());
    let model = Model::new(scenario);
    let mut simulation = Simulation::new(&model);
    let mut recorded = Trace::new(&model);
    let result = simulation.run(seed, request.run, Some(&mut recorded));
    if let Some(path) = &request.trace {
        report::write_atomic(path, report::trace_csv(&recorded).as_bytes())
            .with_context(|| format!("cannot write the trace to {}", path.display()))?;
    }
    match request.format {
        RunFormat::Text => emit(&report::run_text(
            &model,
            seed,
            request.run,
            &result,
            Some((&recorded, request.every as usize)),
        )),
        RunFormat::Json => emit(&report::run_json(&model, seed, request.run, &result)),
    }
}
