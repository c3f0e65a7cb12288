//! `entente check` (validate a scenario and show it) and `entente run` (one run, its outcome
//! values and optionally its month-by-month trace), and the two that print what the command
//! line itself is: `entente completions SHELL` and `entente man`.

use std::path::Path;

use anyhow::{Context, Result};

use clap::CommandFactory;

use entente::cli::{Cli, OverrideArgs, RunArgs, RunFormat, Shell};
use entente::model::{Model, Simulation};
use entente::outcome::Trace;
use entente::report;
use entente::scenario::Scenario;

use super::{emit, print_warnings};

pub fn check(path: &Path, overrides: &OverrideArgs) -> Result<()> {
    let scenario = Scenario::load_with(path, &overrides.overrides()?)?;
    emit(&scenario.to_string())?;
    print_warnings(&scenario);
    Ok(())
}

pub fn run(request: RunArgs) -> Result<()> {
    let scenario = Scenario::load_with(&request.scenario, &request.overrides.overrides()?)?;
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

/// Prints the completion script of `shell` for the whole command line.
pub fn completions(shell: Shell) -> Result<()> {
    use clap_complete::Shell as Target;
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Elvish => Target::Elvish,
        Shell::Powershell => Target::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "entente", &mut script);
    emit(&String::from_utf8_lossy(&script))
}

/// Prints the manual page: the command, its options and every subcommand's, in roff.
pub fn man() -> Result<()> {
    let command = Cli::command();
    let mut page = Vec::new();
    let manual = clap_mangen::Man::new(command.clone());
    manual
        .render_title(&mut page)
        .and_then(|()| manual.render_name_section(&mut page))
        .and_then(|()| manual.render_synopsis_section(&mut page))
        .and_then(|()| manual.render_description_section(&mut page))
        .and_then(|()| manual.render_options_section(&mut page))
        .and_then(|()| manual.render_subcommands_section(&mut page))
        .context("cannot render the manual page")?;
    // Each subcommand's synopsis and options, in one page as `git help --all` lists them: a
    // section per subcommand, its options a subsection.
    for sub in command.get_subcommands() {
        let name = sub.get_name().to_string();
        let sub_manual = clap_mangen::Man::new(sub.clone().bin_name(format!("entente {name}")));
        let mut section = Vec::new();
        sub_manual
            .render_synopsis_section(&mut section)
            .and_then(|()| sub_manual.render_options_section(&mut section))
            .context("cannot render the manual page")?;
        let section = String::from_utf8_lossy(&section)
            .replace(
                ".SH SYNOPSIS",
                &format!(".SH \"ENTENTE {}\"", name.to_uppercase()),
            )
            .replace(".SH OPTIONS", ".SS Options");
        page.extend_from_slice(section.as_bytes());
    }
    page.extend_from_slice(
        format!(".SH \"EXIT STATUS\"\n{}\n", entente::cli::EXIT_STATUS_HELP).as_bytes(),
    );
    manual
        .render_version_section(&mut page)
        .context("cannot render the manual page")?;
    emit(&String::from_utf8_lossy(&page))
}
