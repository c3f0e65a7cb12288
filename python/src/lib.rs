//! `entente._native`: the Rust half of the `entente` Python module. Thin wrappers of
//! [`entente::api`] that load scenarios (with overrides), run them with the GIL released, and
//! hand back JSON text and per-run columns as raw little-endian `f64` buffers; the Python
//! package (`python/entente/__init__.py`) turns those into dicts, NumPy arrays and DataFrames.

use std::path::PathBuf;

use entente::api::{self, RunTable, Settings};
use entente::design::{ExperimentRequest, Method, RangeRequest, SweepRequest};
use entente::outcome::OutcomeKind;
use entente::{Overrides, Scenario};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

create_exception!(
    entente,
    ScenarioError,
    PyValueError,
    "A scenario file that cannot be read or holds problems, or an override that names nothing \
     in the scenario. The message is entente's own, every problem with its file:line:column."
);

/// The Python error for an error of entente's scenario loader.
fn scenario_error(error: entente::ScenarioError) -> PyErr {
    ScenarioError::new_err(error.to_string())
}

/// The Python error for a batch that cannot start (a design or run count that does not fit).
fn api_error(error: api::ApiError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// A Python value (bool, int, float, str, dict, list or tuple) as a TOML value.
fn toml_value(value: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract::<bool>()?));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(value.extract::<i64>()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract::<f64>()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(value.extract::<String>()?));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (name, item) in dict.iter() {
            let name: String = name.extract().map_err(|_| {
                PyTypeError::new_err(format!("override `{key}`: table keys must be str"))
            })?;
            let item = toml_value(&item, &format!("{key}.{name}"))?;
            table.insert(name, item);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| toml_value(&item?, key))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(toml::Value::Array(items));
    }
    // NumPy scalars and other number-likes: integers by __index__, then floats by __float__.
    if let Ok(integer) = value.extract::<i64>() {
        return Ok(toml::Value::Integer(integer));
    }
    if let Ok(number) = value.extract::<f64>() {
        return Ok(toml::Value::Float(number));
    }
    Err(PyTypeError::new_err(format!(
        "override `{key}`: expected a bool, int, float, str, dict or list, got {}",
        value.get_type().name()?
    )))
}

/// The overrides given as a dict of dotted key to value.
fn overrides_of(overrides: Option<&Bound<'_, PyDict>>) -> PyResult<Overrides> {
    let mut result = Overrides::new();
    if let Some(overrides) = overrides {
        for (key, value) in overrides.iter() {
            let key: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err("override keys must be str (dotted keys)"))?;
            let value = toml_value(&value, &key)?;
            result.push(key, value);
        }
    }
    Ok(result)
}

/// Loads `path` with `overrides`, without the GIL.
fn load(py: Python<'_>, path: PathBuf, overrides: Overrides) -> PyResult<Scenario> {
    py.detach(move || Scenario::load_with(&path, &overrides))
        .map_err(scenario_error)
}

/// Which inputs a batch's design varies, as given to `batch` and `compare`.
struct DesignOptions {
    design: Option<String>,
    points: Option<u64>,
    params: Option<Vec<String>>,
    replications: Option<u64>,
    ranges: Option<Vec<(String, (f64, f64))>>,
    sweeps: Option<Vec<(String, Vec<f64>)>>,
}

impl DesignOptions {
    /// The experiment asked for, or `None` for a plain Monte Carlo batch (as `--design`,
    /// `--points`, `--params`, `--range`, `--sweep` and `--replications` on the command line).
    fn request(self) -> PyResult<Option<ExperimentRequest>> {
        let sweeps: Vec<SweepRequest> = self
            .sweeps
            .unwrap_or_default()
            .into_iter()
            .map(|(key, values)| SweepRequest { key, values })
            .collect();
        let method = match self.design.as_deref() {
            Some("mc") => Method::MonteCarlo,
            Some("lhs") => Method::LatinHypercube,
            Some("sobol") => Method::Sobol,
            Some("morris") => Method::Morris,
            Some("grid") => Method::Grid,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "design {other:?}: expected one of \"mc\", \"lhs\", \"sobol\", \"morris\", \
                     \"grid\""
                )));
            }
            None if !sweeps.is_empty() => Method::Grid,
            None => Method::MonteCarlo,
        };
        let request = ExperimentRequest {
            method,
            points: self.points,
            params: self.params.unwrap_or_default(),
            ranges: self
                .ranges
                .unwrap_or_default()
                .into_iter()
                .map(|(key, (low, high))| RangeRequest { key, low, high })
                .collect(),
            sweeps,
            replications: self.replications,
            ..ExperimentRequest::default()
        };
        Ok((!request.is_plain() || request.points.is_some()).then_some(request))
    }
}

/// A run table as (columns, parameter count, rows, column-major little-endian f64 buffer).
fn table_tuple<'py>(py: Python<'py>, table: &RunTable) -> PyResult<Bound<'py, PyTuple>> {
    let width = table.columns.len();
    let rows = table.rows();
    // Written in place into the bytearray, column after column, so that each column is
    // contiguous for NumPy.
    let buffer = PyByteArray::new_with(py, table.values.len() * 8, |bytes| {
        let mut cells = bytes.chunks_exact_mut(8);
        for column in 0..width {
            for row in 0..rows {
                let cell = cells.next().expect("one cell per value");
                cell.copy_from_slice(&table.values[row * width + column].to_le_bytes());
            }
        }
        Ok(())
    })?;
    (table.columns.clone(), table.parameter_count, rows, buffer).into_pyobject(py)
}

/// Loads and validates a scenario; a dict describing it (see `entente.check`).
#[pyfunction]
#[pyo3(signature = (path, overrides=None))]
fn check<'py>(
    py: Python<'py>,
    path: PathBuf,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let scenario = load(py, path, overrides_of(overrides)?)?;
    let info = PyDict::new(py);
    info.set_item("name", scenario.name())?;
    info.set_item("description", scenario.description())?;
    info.set_item("question", scenario.question())?;
    info.set_item("start", scenario.start().to_string())?;
    info.set_item("end", scenario.end().to_string())?;
    info.set_item("months", scenario.months())?;
    info.set_item("seed", scenario.seed())?;
    info.set_item("channels", scenario.channels().to_vec())?;
    let actors = PyList::empty(py);
    for actor in scenario.actors() {
        let entry = PyDict::new(py);
        entry.set_item("id", &actor.id)?;
        entry.set_item("name", &actor.name)?;
        entry.set_item("tags", actor.tags.clone())?;
        entry.set_item("followed", actor.stability.is_some())?;
        actors.append(entry)?;
    }
    info.set_item("actors", actors)?;
    let ties: Vec<String> = scenario
        .ties()
        .iter()
        .map(|tie| scenario.tie_name(tie))
        .collect();
    info.set_item("ties", ties)?;
    let events = PyList::empty(py);
    for event in scenario.events() {
        let entry = PyDict::new(py);
        entry.set_item("id", &event.id)?;
        entry.set_item("kind", event.kind.name())?;
        entry.set_item("start", event.start.to_string())?;
        entry.set_item("end", event.end.map(|month| month.to_string()))?;
        events.append(entry)?;
    }
    info.set_item("events", events)?;
    let rules: Vec<&str> = scenario
        .rules()
        .iter()
        .map(|rule| rule.kind.name())
        .collect();
    info.set_item("rules", rules)?;
    let outcomes = PyList::empty(py);
    for spec in scenario.outcomes() {
        let entry = PyDict::new(py);
        entry.set_item("name", &spec.name)?;
        entry.set_item("kind", OutcomeKind::of(spec).name())?;
        entry.set_item("measure", spec.measure.name())?;
        entry.set_item("key", spec.key)?;
        entry.set_item("relevant", spec.relevant)?;
        outcomes.append(entry)?;
    }
    info.set_item("outcomes", outcomes)?;
    let parameters = PyList::empty(py);
    for spec in scenario.params() {
        let entry = PyDict::new(py);
        entry.set_item("key", &spec.key)?;
        entry.set_item("distribution", spec.distribution.to_string())?;
        entry.set_item("uncertain", !spec.distribution.is_fixed())?;
        parameters.append(entry)?;
    }
    info.set_item("parameters", parameters)?;
    let files: Vec<&str> = scenario
        .sources()
        .iter()
        .map(|file| file.path.as_str())
        .collect();
    info.set_item("files", files)?;
    info.set_item("warnings", scenario.warnings())?;
    info.set_item("text", scenario.to_string())?;
    Ok(info)
}

/// One run's outcomes as a list of (name, number) in scenario order (see `entente.run`).
#[pyfunction]
#[pyo3(signature = (path, seed=None, run=0, overrides=None))]
fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    seed: Option<u64>,
    run: u64,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<(String, f64)>> {
    let scenario = load(py, path, overrides_of(overrides)?)?;
    let outcomes = py.detach(|| api::run(&scenario, seed, run));
    Ok(outcomes
        .names()
        .iter()
        .map(|name| {
            let number = outcomes.number(name).expect("a name of these outcomes");
            (name.clone(), number)
        })
        .collect())
}

/// A batch: (summary JSON, (columns, parameter count, rows, column-major f64 buffer),
/// warnings) (see `entente.batch`).
#[pyfunction]
#[pyo3(signature = (path, runs=None, seed=None, threads=0, design=None, points=None,
    params=None, replications=None, ranges=None, sweeps=None, overrides=None, envelopes=true))]
#[allow(clippy::too_many_arguments)]
fn batch<'py>(
    py: Python<'py>,
    path: PathBuf,
    runs: Option<u64>,
    seed: Option<u64>,
    threads: usize,
    design: Option<String>,
    points: Option<u64>,
    params: Option<Vec<String>>,
    replications: Option<u64>,
    ranges: Option<Vec<(String, (f64, f64))>>,
    sweeps: Option<Vec<(String, Vec<f64>)>>,
    overrides: Option<&Bound<'py, PyDict>>,
    envelopes: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let design = DesignOptions {
        design,
        points,
        params,
        replications,
        ranges,
        sweeps,
    }
    .request()?;
    let scenario = load(py, path, overrides_of(overrides)?)?;
    let settings = Settings {
        runs,
        seed,
        threads,
        design,
        envelopes,
        per_run: true,
    };
    let result = py
        .detach(|| {
            api::batch(&scenario, &settings)
                .map(|batch| (entente::report::summary_json(&batch.summary), batch.table))
        })
        .map_err(api_error)?;
    let (summary, table) = result;
    (summary, table_tuple(py, &table)?, scenario.warnings()).into_pyobject(py)
}

/// A paired comparison: (comparison JSON, [summary JSON], [(columns, parameter count, rows,
/// buffer)], [warnings]) (see `entente.compare`).
#[pyfunction]
#[pyo3(signature = (paths, runs=None, seed=None, threads=0, design=None, points=None,
    params=None, replications=None, ranges=None, sweeps=None, overrides=None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    runs: Option<u64>,
    seed: Option<u64>,
    threads: usize,
    design: Option<String>,
    points: Option<u64>,
    params: Option<Vec<String>>,
    replications: Option<u64>,
    ranges: Option<Vec<(String, (f64, f64))>>,
    sweeps: Option<Vec<(String, Vec<f64>)>>,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let design = DesignOptions {
        design,
        points,
        params,
        replications,
        ranges,
        sweeps,
    }
    .request()?;
    let overrides = overrides_of(overrides)?;
    let scenarios = paths
        .into_iter()
        .map(|path| load(py, path, overrides.clone()))
        .collect::<PyResult<Vec<_>>>()?;
    let settings = Settings {
        runs,
        seed,
        threads,
        design,
        envelopes: false,
        per_run: true,
    };
    let comparison = py
        .detach(|| api::compare(&scenarios, &settings))
        .map_err(api_error)?;
    let summaries: Vec<String> = comparison
        .summaries
        .iter()
        .map(entente::report::summary_json)
        .collect();
    let tables = comparison
        .tables
        .iter()
        .map(|table| table_tuple(py, table))
        .collect::<PyResult<Vec<_>>>()?;
    let warnings: Vec<Vec<String>> = scenarios.iter().map(Scenario::warnings).collect();
    (
        entente::report::comparison_json(&comparison.comparison),
        summaries,
        tables,
        warnings,
    )
        .into_pyobject(py)
}

/// The compiled half of the `entente` Python package.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("ScenarioError", module.py().get_type::<ScenarioError>())?;
    module.add_function(wrap_pyfunction!(check, module)?)?;
    module.add_function(wrap_pyfunction!(run, module)?)?;
    module.add_function(wrap_pyfunction!(batch, module)?)?;
    module.add_function(wrap_pyfunction!(compare, module)?)?;
    Ok(())
}
