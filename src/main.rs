//! The `entente` command line: parses the arguments (`entente::cli`) and hands each command to
//! its file in `src/commands/`. The only place that uses `anyhow` and prints errors: once, as
//! `error: ...` on standard error, with exit status 1 (2 for a usage error, from clap; see
//! `entente::cli::EXIT_STATUS_HELP`).

mod commands;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use entente::cli::{Cli, Command};
use entente::model::InstructionSet;

use commands::batch::{batch_command, compare_command};

/// Names the instruction set the model runs on (`portable` or `avx2`) instead of the fastest
/// the processor has; both give the same bits, so this only serves to measure them.
const INSTRUCTIONS_VARIABLE: &str = "ENTENTE_INSTRUCTIONS";

fn main() -> ExitCode {
    let outcome = choose_instructions().and_then(|()| execute(Cli::parse()));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Formatted whole first and written at once: standard error is unbuffered, and a
            // long error printed piece by piece costs a system call per piece.
            let text = format!("error: {error:#}\n");
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            ExitCode::FAILURE
        }
    }
}

fn choose_instructions() -> Result<()> {
    let Some(name) = std::env::var_os(INSTRUCTIONS_VARIABLE) else {
        return Ok(());
    };
    let name = name.to_string_lossy();
    let set = InstructionSet::named(&name).ok_or_else(|| {
        anyhow::anyhow!("{INSTRUCTIONS_VARIABLE}={name}: expected `portable` or `avx2`")
    })?;
    InstructionSet::prefer(set);
    Ok(())
}

fn execute(cli: Cli) -> Result<()> {
    let command: Vec<String> = std::env::args().collect();
    commands::set_quiet(cli.quiet);
    match cli.command {
        Command::Check {
            scenario,
            overrides,
        } => commands::single::check(&scenario, &overrides),
        Command::Run(request) => commands::single::run(request),
        Command::Batch {
            scenario,
            overrides,
            request,
            common,
        } => batch_command(
            commands::load(&scenario, &overrides)?,
            &request,
            &common,
            &command,
        ),
        Command::Compare {
            scenarios,
            runs,
            overrides,
            common,
        } => {
            let loaded = scenarios
                .iter()
                .map(|path| commands::load(path, &overrides))
                .collect::<Result<_>>()?;
            compare_command(loaded, runs, &common, &command)
        }
        Command::Completions { shell } => commands::single::completions(shell),
        Command::Man => commands::single::man(),
        Command::Rerun {
            manifest,
            out,
            threads,
        } => commands::rerun::rerun_command(&manifest, out, threads, None),
        Command::Merge {
            inputs,
            out,
            report,
            format,
        } => commands::merge::merge_command(&inputs, out.as_deref(), report.as_deref(), format),
        Command::Report {
            directory,
            out,
            threads,
        } => commands::report::report_command(&directory, out, threads),
        Command::Sensitivity(args) => commands::sensitivity::sensitivity_command(args, &command),
        Command::Discover(args) => commands::discover::discover_command(args),
    }
}
