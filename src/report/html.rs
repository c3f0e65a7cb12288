//! The self-contained HTML report of a batch or a comparison: the scenarios (question, actors,
//! events, rules), every outcome's distributions and probabilities, fan charts of the monthly
//! envelopes with the events marked, the comparison table, the focus actor's tie network at the
//! start and the end, and the manifest to rerun it. Charts are inline SVG; there are no
//! scripts and nothing is fetched, so the file opens offline and prints.

use std::fmt::Write as _;

use super::charts::{self, ChartError, FanSeries, HistogramSeries, Marker, NetworkTie};
use super::headline;
use crate::model::{LANES, Model, Simulation};
use crate::outcome::OutcomeKind;
use crate::scenario::{EventKind, Measure, OutcomeSpec, Scenario};
use crate::summary::{ComparisonSummary, ScenarioSummary};

/// Runs whose start and end states give the tie network's medians: enough for stable medians
/// of weights in [0, 1], and cheap next to any batch.
pub const NETWORK_RUNS: u64 = 200;

/// Ties shown around the focus actor: the strongest, so that large worlds stay legible.
const NETWORK_PARTNERS: usize = 14;

/// The focus actor's ties (mean weight over channels, median over runs) at the start and end.
pub struct FocusNetwork {
    /// The focus actor's id.
    pub actor: String,
    /// Its strongest ties (by the larger of start and end), strongest first.
    pub ties: Vec<NetworkTie>,
}

/// The actor a report centres on: the first whose regime survival is followed (the question's
/// subject in the flagship), else the first actor.
pub fn focus_actor(scenario: &Scenario) -> usize {
    scenario
        .actors()
        .iter()
        .position(|actor| actor.stability.is_some())
        .unwrap_or(0)
}

/// The focus actor's ties to every other actor, mean over channels, median over the first
/// `runs` runs of `seed`, in the first month (before any rule acts) and after the last.
pub fn focus_network(model: &Model, seed: u64, runs: u64) -> FocusNetwork {
    let scenario = model.scenario();
    let focus = focus_actor(scenario);
    let n = model.actor_count();
    let channels = model.channel_count();
    let mut simulation = Simulation::new(model);
    let mut start = vec![Vec::new(); n];
    let mut end = vec![Vec::new(); n];
    let mean_ties = |simulation: &Simulation<'_>, lane: usize, into: &mut Vec<Vec<f64>>| {
        let state = simulation.state();
        for (partner, values) in into.iter_mut().enumerate() {
            let total: f64 = (0..channels)
                .map(|channel| f64::from(state.weight(channel, focus, partner).0[lane]))
                .sum();
            values.push(total / channels as f64);
        }
    };
    // Runs are computed a group at a time: each group's start and end serve all its runs.
    let runs = runs.max(1);
    let mut outcomes = Vec::new();
    for first in (0..runs).step_by(LANES) {
        let used = (runs - first).min(LANES as u64) as usize;
        simulation.reset(seed, first);
        for lane in 0..used {
            mean_ties(&simulation, lane, &mut start);
        }
        simulation.run_from_reset(&mut outcomes, |_, _| {});
        for lane in 0..used {
            mean_ties(&simulation, lane, &mut end);
        }
    }
    let mut ties: Vec<NetworkTie> = (0..n)
        .filter(|&partner| partner != focus)
        .map(|partner| NetworkTie {
            partner: scenario.actors()[partner].id.clone(),
            start: median(&mut start[partner]),
            end: median(&mut end[partner]),
        })
        .collect();
    ties.sort_by(|a, b| b.start.max(b.end).total_cmp(&a.start.max(a.end)));
    ties.truncate(NETWORK_PARTNERS);
    FocusNetwork {
        actor: scenario.actors()[focus].id.clone(),
        ties,
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

/// One scenario of a report: its model, its batch summary and its focus network.
pub struct ReportScenario<'a> {
    /// The compiled scenario.
    pub model: &'a Model,
    /// Its batch summary.
    pub summary: &'a ScenarioSummary,
    /// Its focus actor's tie network (see [`focus_network`]).
    pub network: FocusNetwork,
}

/// What a report is made from.
pub struct ReportInput<'a> {
    /// The scenarios, in the order run (the baseline first in a comparison).
    pub scenarios: Vec<ReportScenario<'a>>,
    /// The paired comparison, when there are several scenarios.
    pub comparison: Option<&'a ComparisonSummary>,
    /// `manifest.json` of the batch or comparison, for provenance.
    pub manifest: String,
    /// The directory, relative to the report, that holds each chart's SVG file.
    pub chart_directory: String,
}

/// One chart: its file name (for the SVG written beside the report), title and SVG text.
pub struct ChartFile {
    /// The SVG file's name, such as `survives-2030-fan.svg`.
    pub file_name: String,
    /// The chart's title.
    pub title: String,
    /// The chart as SVG text.
    pub svg: String,
}

/// A rendered report: the HTML page and each of its charts.
pub struct Report {
    /// The whole page, charts inline.
    pub html: String,
    /// Each chart, to be written beside the page.
    pub charts: Vec<ChartFile>,
}

/// A self-contained page of charts (the exploration commands' reports): a title, an
/// introduction, and for each section a heading, a caption and its inline SVG chart. Text is
/// escaped; the charts are SVG that entente drew.
pub fn chart_page(
    title: &str,
    introduction: &str,
    sections: &[(String, String, String)],
) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}\
         section{{margin:2em 0}}p.caption{{color:#555;font-size:0.9em}}svg{{max-width:100%;height:auto}}</style>\n\
         </head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        escape(title),
        escape(title),
        escape(introduction)
    );
    for (heading, caption, svg) in sections {
        page.push_str(&format!(
            "<section>\n<h2>{}</h2>\n<p class=\"caption\">{}</p>\n{}\n</section>\n",
            escape(heading),
            escape(caption),
            svg
        ));
    }
    page.push_str("</body>\n</html>\n");
    page
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

/// A file-name-safe form of an outcome or scenario name.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// What an outcome's values are, for axis descriptions, with units.
fn value_axis(scenario: &Scenario, spec: &OutcomeSpec) -> String {
    let actor = |id: crate::scenario::ActorId| scenario.actor(id).id.clone();
    match &spec.measure {
        Measure::TieShare { actor: a, .. } => {
            format!("share of {}'s tie weight (0–1)", actor(*a))
        }
        Measure::TieWeight {
            actor: a, partner, ..
        } => {
            format!("tie weight {} → {} (0–1)", actor(*a), actor(*partner))
        }
        Measure::Attribute {
            actor: a,
            attribute,
        } => {
            format!("{} of {}", attribute.name(), actor(*a))
        }
        Measure::Survives { actor: a } => format!("probability {}'s regime lasts", actor(*a)),
        Measure::RegimeChangeMonth { .. } | Measure::Crossover { .. } => {
            format!("months since {}", scenario.start())
        }
        Measure::Flow { actor: a, .. } => {
            format!("flow on {}'s ties (weight × volume)", actor(*a))
        }
        Measure::ShareOfPartner { actor: a, .. } => {
            format!("{}'s share of the partners' flows (0–1)", actor(*a))
        }
        Measure::Vote { actor: a, .. } => {
            format!("vote of {} (1 yes, 0 abstain, −1 no)", actor(*a))
        }
    }
}

/// The monthly measure behind an outcome's envelope, for fan-chart axes.
fn measure_axis(scenario: &Scenario, spec: &OutcomeSpec) -> String {
    let actor = |id: crate::scenario::ActorId| scenario.actor(id).id.clone();
    match &spec.measure {
        Measure::Survives { actor: a } | Measure::RegimeChangeMonth { actor: a } => {
            format!("share of runs in which {}'s regime lasts", actor(*a))
        }
        Measure::Crossover {
            actor: a,
            partner,
            rival,
            ..
        } => format!(
            "{}'s share of {}'s ties minus {}'s (−1 to 1)",
            actor(*partner),
            actor(*a),
            actor(*rival)
        ),
        _ => value_axis(scenario, spec),
    }
}

/// Builds the report and its charts.
pub fn render(input: &ReportInput<'_>) -> Result<Report, ChartError> {
    let mut charts_out: Vec<ChartFile> = Vec::new();
    let first = input.scenarios[0].model.scenario();
    let names: Vec<&str> = input
        .scenarios
        .iter()
        .map(|scenario| scenario.summary.scenario.as_str())
        .collect();
    let title = if names.len() == 1 {
        format!("entente report: {}", names[0])
    } else {
        format!("entente report: {}", names.join(" vs "))
    };
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let summary = &input.scenarios[0].summary;
    let (scope, pairing) = if input.comparison.is_some() {
        (
            "runs per scenario",
            " Comparisons are paired run by run (common random numbers).",
        )
    } else {
        ("runs", "")
    };
    let _ = writeln!(
        html,
        "<p class=\"lead\">{} {scope}, seed {}, {} to {}. Intervals are 95%.{pairing}</p>",
        summary.runs,
        summary.seed,
        escape(&summary.start),
        escape(&summary.end)
    );
    html.push_str("<nav>");
    if input.comparison.is_some() {
        html.push_str("<a href=\"#answer\">Answer</a> · <a href=\"#comparison\">Comparison</a> · ");
    }
    html.push_str(
        "<a href=\"#scenarios\">Scenarios</a> · <a href=\"#outcomes\">Outcomes</a> · \
         <a href=\"#envelopes\">Over time</a> · <a href=\"#network\">Tie network</a> · \
         <a href=\"#provenance\">Provenance</a></nav>\n",
    );

    // The answer first, then every difference.
    if let Some(comparison) = input.comparison {
        let scenarios: Vec<&Scenario> = input
            .scenarios
            .iter()
            .map(|scenario| scenario.model.scenario())
            .collect();
        answer_section(
            &mut html,
            &mut charts_out,
            &input.chart_directory,
            &scenarios,
            comparison,
        )?;
        comparison_section(&mut html, first, comparison);
    }

    // The scenarios.
    html.push_str("<section id=\"scenarios\"><h2>Scenarios</h2>\n");
    for (index, scenario) in input.scenarios.iter().enumerate() {
        let scenario = scenario.model.scenario();
        scenario_section(&mut html, index, scenario);
        if scenario.events().is_empty() {
            html.push_str("<p>No events: the world runs on its rules alone.</p>\n");
            continue;
        }
        let chart_title = format!("{}: events", scenario.name());
        let svg = charts::timeline(
            &chart_title,
            scenario.start().year(),
            scenario.start().month(),
            scenario.months(),
            &timeline_events(scenario),
        )?;
        push_chart(
            &mut html,
            &mut charts_out,
            &input.chart_directory,
            format!("{}-timeline.svg", slug(scenario.name())),
            chart_title,
            svg,
        );
    }
    html.push_str("</section>\n");

    // Every outcome of the first scenario, with each scenario that has it.
    html.push_str("<section id=\"outcomes\"><h2>Outcomes</h2>\n");
    for spec in first.outcomes() {
        let sides = per_scenario(input, |summary| {
            summary
                .outcomes
                .iter()
                .find(|outcome| outcome.name == spec.name)
        });
        let kind = OutcomeKind::of(spec);
        let _ = writeln!(
            html,
            "<h3 id=\"outcome-{}\">{}</h3>\n<div class=\"charts\">",
            slug(&spec.name),
            escape(&spec.name)
        );
        if kind != OutcomeKind::Number {
            let probabilities: Vec<charts::ProbabilitySeries<'_>> = sides
                .iter()
                .filter_map(|&(index, outcome)| {
                    outcome
                        .probability
                        .as_ref()
                        .map(|probability| charts::ProbabilitySeries {
                            scenario: names[index],
                            probability,
                        })
                })
                .collect();
            let axis = match kind {
                OutcomeKind::Flag => "probability of yes".to_string(),
                _ => "probability it happened".to_string(),
            };
            let chart_title = format!("{}: probability with 95% interval", spec.name);
            let svg = charts::probability(&chart_title, &axis, &probabilities)?;
            push_chart(
                &mut html,
                &mut charts_out,
                &input.chart_directory,
                format!("{}-probability.svg", slug(&spec.name)),
                chart_title,
                svg,
            );
        }
        if kind != OutcomeKind::Flag {
            let histograms: Vec<HistogramSeries<'_>> = sides
                .iter()
                .filter(|(_, outcome)| outcome.count > 0)
                .map(|&(index, outcome)| HistogramSeries {
                    scenario: names[index],
                    histogram: &outcome.histogram,
                })
                .collect();
            if !histograms.is_empty() {
                let axis = value_axis(first, spec);
                let chart_title = format!("{}: distribution over runs", spec.name);
                let svg = charts::distribution(&chart_title, &axis, &histograms)?;
                push_chart(
                    &mut html,
                    &mut charts_out,
                    &input.chart_directory,
                    format!("{}-distribution.svg", slug(&spec.name)),
                    chart_title,
                    svg,
                );
                let chart_title = format!("{}: cumulative distribution", spec.name);
                let svg = charts::cumulative(&chart_title, &axis, &histograms)?;
                push_chart(
                    &mut html,
                    &mut charts_out,
                    &input.chart_directory,
                    format!("{}-cdf.svg", slug(&spec.name)),
                    chart_title,
                    svg,
                );
            }
        }
        html.push_str("</div>\n");
    }
    html.push_str("</section>\n");

    // Fan charts, one per distinct monthly measure.
    html.push_str(
        "<section id=\"envelopes\"><h2>Over time</h2>\n<p>Median across runs of each \
         monthly measure, with the 50% and 90% bands; grey lines mark the first scenario's \
         events after its start, numbered in the key under each chart.",
    );
    if summary.envelope_runs > 0 {
        html.push_str(&format!(
            " The bands come from the batch's first {} runs; the outcome summaries use every run.",
            summary.envelope_runs
        ));
    }
    html.push_str("</p>\n<div class=\"charts\">");
    if summary.envelopes.is_empty() {
        html.push_str("<p>This batch kept no monthly envelopes (<code>--no-envelopes</code>).</p>");
    }
    // Events already running at the start are not marked: they are the world as it begins.
    let mut dated: Vec<&crate::scenario::Event> = first
        .events()
        .iter()
        .filter(|event| event.start > first.start())
        .collect();
    dated.sort_by_key(|event| event.start);
    let markers: Vec<Marker> = dated
        .iter()
        .map(|event| Marker {
            month: event.start.months_since(first.start()).max(0) as usize,
            label: event.id.clone(),
        })
        .collect();
    let mut drawn: Vec<&crate::summary::Envelope> = Vec::new();
    for envelope in &summary.envelopes {
        if drawn.iter().any(|seen| seen.months == envelope.months) {
            continue;
        }
        drawn.push(envelope);
        let Some(spec) = first
            .outcomes()
            .iter()
            .find(|spec| spec.name == envelope.outcome)
        else {
            continue;
        };
        let series: Vec<FanSeries<'_>> = per_scenario(input, |summary| {
            summary
                .envelopes
                .iter()
                .find(|candidate| candidate.outcome == envelope.outcome)
        })
        .into_iter()
        .map(|(index, envelope)| FanSeries {
            scenario: names[index],
            envelope,
        })
        .collect();
        let chart_title = format!("{}: monthly measure over runs", envelope.outcome);
        let svg = charts::fan(
            &chart_title,
            &measure_axis(first, spec),
            first.start().year(),
            first.start().month(),
            &series,
            &markers,
        )?;
        push_chart(
            &mut html,
            &mut charts_out,
            &input.chart_directory,
            format!("{}-fan.svg", slug(&envelope.outcome)),
            chart_title,
            svg,
        );
    }
    html.push_str("</div></section>\n");

    // Tie networks.
    html.push_str("<section id=\"network\"><h2>Tie network</h2>\n");
    let _ = writeln!(
        html,
        "<p>The focus actor's dependence on each partner (tie weight, mean over channels), \
         median over the first {NETWORK_RUNS} runs, in the first and the last month; line \
         width grows with the weight.</p>\n<div class=\"charts\">"
    );
    for (index, scenario) in input.scenarios.iter().enumerate() {
        let network = &scenario.network;
        let chart_title = format!("{}: ties of {}", names[index], network.actor);
        let svg = charts::network(
            &chart_title,
            &network.actor,
            "mean tie weight",
            &network.ties,
            index,
        )?;
        push_chart(
            &mut html,
            &mut charts_out,
            &input.chart_directory,
            format!("{}-network.svg", slug(names[index])),
            chart_title,
            svg,
        );
    }
    html.push_str("</div></section>\n");

    // Provenance.
    let _ = writeln!(
        html,
        "<section id=\"provenance\"><h2>Provenance</h2>\n<p>entente {}; rerun with \
         <code>entente rerun manifest.json</code> after saving the manifest below (it holds \
         the scenario files' text).</p>\n<pre class=\"manifest\">{}</pre>\n</section>",
        env!("CARGO_PKG_VERSION"),
        escape(&input.manifest)
    );
    html.push_str("</body>\n</html>\n");
    Ok(Report {
        html,
        charts: charts_out,
    })
}

/// Each scenario's part of a summary that `pick` finds (an outcome, an envelope), with the
/// scenario's index; scenarios without it are left out.
fn per_scenario<'a, T>(
    input: &'a ReportInput<'_>,
    pick: impl Fn(&'a ScenarioSummary) -> Option<&'a T>,
) -> Vec<(usize, &'a T)> {
    input
        .scenarios
        .iter()
        .enumerate()
        .filter_map(|(index, scenario)| pick(scenario.summary).map(|part| (index, part)))
        .collect()
}

/// A scenario's events for its timeline chart, in date order.
fn timeline_events(scenario: &Scenario) -> Vec<charts::TimelineEvent> {
    let mut events: Vec<&crate::scenario::Event> = scenario.events().iter().collect();
    events.sort_by_key(|event| event.start);
    let last = scenario.months().saturating_sub(1);
    let month =
        |when: crate::time::Month| (when.months_since(scenario.start()).max(0) as usize).min(last);
    events
        .iter()
        .map(|event| {
            let start = month(event.start);
            let end = match (&event.kind, event.end) {
                (EventKind::Shock { .. } | EventKind::Tie { .. }, _) => start,
                (_, Some(end)) => month(end),
                (_, None) => last,
            };
            charts::TimelineEvent {
                label: event.id.clone(),
                kind: event.kind.name(),
                start,
                end,
            }
        })
        .collect()
}

/// Adds a chart to the page (inline, in a figure with its title) and to the chart files.
fn push_chart(
    html: &mut String,
    charts: &mut Vec<ChartFile>,
    directory: &str,
    file_name: String,
    title: String,
    svg: String,
) {
    let _ = writeln!(
        html,
        "<figure id=\"chart-{}\">{}<figcaption>{} <a href=\"{}/{}\">(SVG)</a></figcaption></figure>",
        escape(file_name.trim_end_matches(".svg")),
        strip_xml_declaration(&svg),
        escape(&title),
        escape(directory),
        escape(&file_name)
    );
    charts.push(ChartFile {
        file_name,
        title,
        svg,
    });
}

/// An SVG document inlined in HTML must not carry an XML declaration.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .find("?>")
            .map_or(svg, |end| rest[end + 2..].trim_start()),
        None => svg,
    }
}

fn scenario_section(html: &mut String, index: usize, scenario: &Scenario) {
    let _ = writeln!(
        html,
        "<article class=\"scenario\" style=\"border-left-color:{}\"><h3>{}</h3>\n<p>{}</p>\n\
         <p>{} to {}, channels: {}.</p>",
        charts::css_colour(index),
        escape(scenario.name()),
        escape(scenario.description()),
        scenario.start(),
        scenario.end(),
        escape(&scenario.channels().join(", "))
    );
    html.push_str(
        "<details><summary>Actors</summary><table><tr><th>id</th><th>name</th><th>tags</th></tr>\n",
    );
    for actor in scenario.actors() {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&actor.id),
            escape(&actor.name),
            escape(&actor.tags.join(", "))
        );
    }
    html.push_str("</table></details>\n");
    // Folded: the timeline chart after the article shows the events; the table gives dates.
    let _ = writeln!(
        html,
        "<details><summary>Events ({}), as a table</summary><table><tr><th>from</th><th>to</th>\
         <th>event</th><th>kind</th><th>actors</th></tr>",
        scenario.events().len()
    );
    let mut events: Vec<&crate::scenario::Event> = scenario.events().iter().collect();
    events.sort_by_key(|event| event.start);
    for event in events {
        let actor = |id: &crate::scenario::ActorId| scenario.actor(*id).id.clone();
        let involved = match &event.kind {
            EventKind::Sanctions {
                coalition, target, ..
            }
            | EventKind::SecondarySanctions {
                coalition, target, ..
            } => format!(
                "{} → {}",
                coalition.iter().map(actor).collect::<Vec<_>>().join(", "),
                actor(target)
            ),
            EventKind::War { belligerent, .. } => actor(belligerent),
            EventKind::Outreach { from, to, .. } | EventKind::Tie { from, to, .. } => {
                format!("{} → {}", actor(from), actor(to))
            }
            EventKind::Shock { actors, .. } => {
                actors.iter().map(actor).collect::<Vec<_>>().join(", ")
            }
        };
        let end = match event.end {
            Some(end) => end.to_string(),
            None if matches!(event.kind, EventKind::Shock { .. } | EventKind::Tie { .. }) => {
                String::new()
            }
            None => "end".to_string(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            event.start,
            escape(&end),
            escape(&event.id),
            event.kind.name(),
            escape(&involved)
        );
    }
    html.push_str("</table></details>\n");
    let rules: Vec<&str> = scenario
        .rules()
        .iter()
        .map(|rule| rule.kind.name())
        .collect();
    let _ = writeln!(
        html,
        "<p>Rules on: {}.</p></article>",
        escape(&rules.join(", "))
    );
}

/// The headline: the question, the key outcomes' differences as a forest plot ranked by size,
/// and one generated sentence each (see `headline`).
fn answer_section(
    html: &mut String,
    charts_out: &mut Vec<ChartFile>,
    chart_directory: &str,
    scenarios: &[&Scenario],
    comparison: &ComparisonSummary,
) -> Result<(), ChartError> {
    html.push_str("<section id=\"answer\"><h2>The answer</h2>\n");
    match scenarios.iter().find_map(|scenario| scenario.question()) {
        Some(question) => {
            let _ = writeln!(html, "<p class=\"question\">{}</p>", escape(question));
        }
        None => {
            html.push_str("<ul class=\"question\">");
            for scenario in scenarios {
                let _ = write!(
                    html,
                    "<li><b>{}</b>: {}</li>",
                    escape(scenario.name()),
                    escape(scenario.description())
                );
            }
            html.push_str("</ul>\n");
        }
    }
    let (effects, declared) = headline::key_effects(scenarios, comparison);
    let names = &comparison.scenarios;
    let several = names.len() > 2;
    let chosen = if declared {
        "the outcomes the scenario marks as key"
    } else {
        "the scenario marks no outcome as key (`key = true`), so these are the largest \
         standardised differences"
    };
    // A single variant that names what it takes away is read as the effect of that.
    let effect_of = scenarios
        .get(1)
        .and_then(|variant| variant.effect_of())
        .filter(|_| !several);
    let reading = match effect_of {
        Some(thing) => format!(
            "The effect of {} (<b>{}</b> minus <b>{}</b>, which takes it away)",
            escape(thing),
            escape(&names[0]),
            escape(&names[1])
        ),
        _ => format!("Each variant minus <b>{}</b>", escape(&names[0])),
    };
    let _ = writeln!(
        html,
        "<p>{reading}, {} paired runs: {chosen}, largest first (against the smallest \
         difference declared to matter, where there is one).</p>",
        comparison.runs
    );
    let labels: Vec<String> = effects
        .iter()
        .map(|effect| {
            if several {
                format!("{} ({})", effect.outcome, names[effect.variant])
            } else {
                effect.outcome.clone()
            }
        })
        .collect();
    let rows: Vec<charts::ForestRow<'_>> = effects
        .iter()
        .zip(&labels)
        .map(|(effect, label)| charts::ForestRow {
            label,
            estimate: effect.estimate,
            low: effect.low,
            high: effect.high,
            relevant: effect.relevant,
            series: effect.variant,
        })
        .collect();
    let title = match effect_of {
        Some(thing) => format!(
            "Effect of {thing} ({} − {}), 95% intervals",
            names[0], names[1]
        ),
        None if several => format!(
            "Each variant − {}: paired differences, 95% intervals",
            names[0]
        ),
        None => format!(
            "{} − {}: paired differences, 95% intervals",
            names[1], names[0]
        ),
    };
    let svg = charts::forest(
        &title,
        "difference (probability for yes/no and month outcomes; else the outcome's units)",
        &rows,
    )?;
    push_chart(
        html,
        charts_out,
        chart_directory,
        "answer-forest.svg".to_string(),
        title,
        svg,
    );
    html.push_str("<ul class=\"sentences\">\n");
    for effect in &effects {
        let _ = writeln!(
            html,
            "<li>{}</li>",
            escape(&headline::sentence(
                effect,
                &names[0],
                &names[effect.variant]
            ))
        );
    }
    html.push_str("</ul>\n</section>\n");
    Ok(())
}

fn comparison_section(html: &mut String, first: &Scenario, comparison: &ComparisonSummary) {
    html.push_str("<section id=\"comparison\"><h2>Comparison</h2>\n");
    let baseline = &comparison.scenarios[0];
    for (index, name) in comparison.scenarios.iter().enumerate().skip(1) {
        let _ = writeln!(
            html,
            "<p><b>{}</b> − <b>{}</b>, {} paired runs. A difference is shaded when its interval \
             excludes 0 and it may reach the outcome's declared threshold of practical \
             relevance (<code>relevant</code>), or, for an outcome without one, when its \
             standardised size d = Δ / √((Var A + Var B) / 2) is at least {} (Cohen's \
             \"small\"): at many runs a tiny difference is resolved without mattering.</p>\n\
             <table class=\"comparison\" id=\"comparison-{}\"><tr><th>outcome</th>\
             <th>{}</th><th>{}</th><th>B − A (95% CI)</th><th>d</th><th>KS D</th><th>KS p</th>\
             <th>CI saved</th></tr>",
            escape(name),
            escape(baseline),
            comparison.runs,
            headline::SMALL_STANDARDISED_DIFFERENCE,
            index,
            escape(baseline),
            escape(name)
        );
        for outcome in &comparison.outcomes {
            let mut cells = super::compare::row_cells(outcome, index).to_vec();
            let relevant = first
                .outcomes()
                .iter()
                .find(|spec| spec.name == outcome.name)
                .and_then(|spec| spec.relevant);
            let effect = headline::effect(outcome, index, relevant, None);
            let class = match (effect.marked(), effect.estimate > 0.0) {
                (false, _) => "",
                (true, true) => " class=\"up\"",
                (true, false) => " class=\"down\"",
            };
            cells.insert(3, format!("{:.2}", effect.standardised));
            let _ = write!(html, "<tr{class}><td>{}</td>", escape(&outcome.name));
            for cell in cells {
                let _ = write!(html, "<td>{}</td>", escape(&cell));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>\n");
    }
    html.push_str("</section>\n");
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;\
max-width:1600px;margin:0 auto;padding:1em 2em;color:#222;line-height:1.4}\
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}\
h3{margin-bottom:.3em}nav{margin:1em 0}.lead{color:#444}\
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;flex:0 1 620px;min-width:320px}\
figure svg{width:100%;height:auto}figcaption{font-size:.85em;color:#555}\
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}th{background:#f3f3f3}\
tr.up td:nth-child(4){background:#dbeeff}tr.down td:nth-child(4){background:#ffe3d6}\
.question{font-size:1.15em;font-weight:600}ul.sentences li{margin:.3em 0}\
.scenario{border-left:6px solid;padding-left:1em;margin:1em 0}\
pre.manifest{background:#f7f7f7;padding:1em;overflow:auto;font-size:.75em;max-height:30em}\
@media print{figure{break-inside:avoid}pre.manifest{max-height:none}nav{display:none}}";
