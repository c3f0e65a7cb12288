//! The `entente` command line: check a scenario, run it once.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use entente::model::{Model, Simulation};
use entente::outcome::Trace;
use entente::report;
use entente::scenario::Scenario;

#[derive(Parser)]
#[command(
    name = "entente",
    version,
    about = "Scenario and influence simulation of states, their ties and sanctions",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a scenario file and print what it holds.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Print nothing on success; only the exit status tells.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a scenario once and print its outcome values.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Which run of a Monte Carlo batch to reproduce (its parameter draws and noise).
        #[arg(long, default_value_t = 0)]
        run: u64,
        /// Also write the month-by-month trace to this CSV file.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Output format of the outcome values.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// In the text output, show the monthly measures every N months.
        #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
        every: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    match execute(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { scenario, quiet } => {
            let scenario = Scenario::load(&scenario)?;
            if !quiet {
                print!("{scenario}");
                print_warnings(&scenario);
            }
            Ok(())
        }
        Command::Run {
            scenario,
            seed,
            run,
            trace,
            format,
            every,
        } => {
            let scenario = Scenario::load(&scenario)?;
            print_warnings(&scenario);
            let seed = seed.unwrap_or(scenario.seed());
            let model = Model::new(scenario);
            let mut simulation = Simulation::new(&model);
            let mut recorded = Trace::new(&model);
            let result = simulation.run(seed, run, Some(&mut recorded));
            if let Some(path) = &trace {
                report::write_atomic(path, report::trace_csv(&recorded).as_bytes())
                    .with_context(|| format!("cannot write the trace to {}", path.display()))?;
            }
            match format {
                Format::Text => print!(
                    "{}",
                    report::run_text(
                        &model,
                        seed,
                        run,
                        &result,
                        Some((&recorded, every as usize))
                    )
                ),
                Format::Json => print!("{}", report::run_json(&model, seed, run, &result)),
            }
            Ok(())
        }
    }
}

/// Prints each of the scenario's warnings to standard error.
fn print_warnings(scenario: &Scenario) {
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
}
