"""entente from Python: load a scenario, run it once, run a batch or a paired comparison.

The numbers are the command line's: ``entente.batch(path, runs=N, seed=S)`` gives the same
per-run rows as ``entente batch PATH --runs N --seed S --per-run`` writes to ``runs.csv`` and
the same summary as its ``--format json``, on any number of threads. The simulation runs in
Rust with the GIL released.

Functions:

- :func:`check`: validate a scenario and describe it (a dict).
- :func:`run`: one run's outcomes (a dict of name to number).
- :func:`batch`: many runs of one scenario (a :class:`Batch`).
- :func:`compare`: a paired comparison of scenarios (a :class:`Comparison`).

Overrides: every function takes ``overrides``, a dict of dotted key to value that changes the
scenario as the same line written into its file would (``entente.Overrides`` in Rust)::

    {"rules.regime_survival.revenue_elasticity": 0.01,
     "actors.VEN.growth": {"dist": "uniform", "low": -0.1, "high": 0.0},
     "scenario.end": "2028-12"}

Keys are ``scenario.KEY``, ``actors.ID.KEY``, ``ties.FROM.TO.CHANNEL.KEY``,
``events.ID.KEY``, ``rules.RULE.KEY`` and ``outcomes.NAME.KEY``; values are bool, int,
float, str, or a dict (a distribution or another table) or list of those. A key that names
nothing in the scenario raises :class:`ScenarioError` with the nearest names.

Outcome numbers: a flag is 1.0 (yes) or 0.0 (no); a month outcome counts months from the
scenario's start, NaN when it never happened; a conditional outcome is NaN in the runs where
its condition fails.

NumPy is required; pandas is optional: without it, per-run rows are dicts of NumPy arrays and
summaries dicts of dicts.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import ScenarioError

try:  # pandas is optional
    import pandas as _pd
except ImportError:  # pragma: no cover - exercised only where pandas is absent
    _pd = None

__all__ = [
    "Batch",
    "Comparison",
    "ScenarioError",
    "batch",
    "check",
    "compare",
    "run",
]

__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]
Overrides = Optional[Mapping[str, Any]]

#: The designs ``batch`` and ``compare`` accept, as the command line's ``--design``.
DESIGNS = ("mc", "lhs", "sobol", "morris", "grid")


def _overrides(overrides: Overrides) -> Optional[dict]:
    """The overrides as a plain dict (the native side wants a dict), or None."""
    if overrides is None:
        return None
    if not isinstance(overrides, Mapping):
        raise TypeError("overrides must be a dict of dotted key to value")
    return dict(overrides)


def _pairs(mapping: Optional[Mapping[str, Any]], what: str) -> Optional[list]:
    """A dict given for ranges or sweeps as a list of (key, value) pairs."""
    if mapping is None:
        return None
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a dict")
    if what == "ranges":
        return [(key, (float(low), float(high))) for key, (low, high) in mapping.items()]
    return [(key, [float(value) for value in values]) for key, values in mapping.items()]


def _columns(table: Tuple[List[str], int, int, bytearray]):
    """The run index and a (columns × rows) float matrix from a native run table."""
    names, parameter_count, rows, buffer = table
    matrix = np.frombuffer(buffer, dtype="<f8").reshape(len(names), rows)
    return names, parameter_count, matrix


def _runs_frame(table):
    """Per-run rows: a DataFrame indexed by run (or a dict of NumPy arrays without pandas)."""
    names, _, matrix = _columns(table)
    run = matrix[0].astype(np.int64)
    if _pd is None:
        result = {"run": run}
        result.update({name: matrix[index] for index, name in enumerate(names) if index > 0})
        return result
    # matrix[1:] is (columns × rows), C-contiguous: its transpose is the frame's one block.
    return _pd.DataFrame(
        matrix[1:].T,
        index=_pd.Index(run, name="run"),
        columns=_pd.Index(names[1:]),
        copy=False,
    )


def _flatten(prefix: str, value: Any, row: Dict[str, Any]) -> None:
    """Flattens a summary's nested JSON into ``row``: ``mean_interval.low`` → ``mean_low``,
    ``probability.interval.high`` → ``probability_high``, ``probability.value`` →
    ``probability``, ``quantiles.p5`` → ``p5``; lists (the histogram) are left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "value" and prefix in ("probability", "probability_change"):
                name = prefix
            elif key == "interval":
                name = prefix
            elif prefix == "quantiles":
                name = key
            elif prefix == "mean_interval":
                name = "mean_" + key
            elif prefix:
                name = prefix + "_" + key
            else:
                name = key
            _flatten(name, item, row)
    elif isinstance(value, list) or value is None:
        return
    else:
        row[prefix] = value


def _summary_rows(summary: dict) -> Dict[str, Dict[str, Any]]:
    """One flat dict per outcome of a summary JSON, by outcome name, in scenario order."""
    rows = {}
    for outcome in summary["outcomes"]:
        row: Dict[str, Any] = {}
        for key, value in outcome.items():
            if key in ("name", "histogram"):
                continue
            if key == "standard_deviation":
                row["sd"] = value
            elif key == "mean_interval":
                _flatten("mean_interval", value, row)
            else:
                _flatten(key, value, row)
        rows[outcome["name"]] = row
    return rows


def _summary_frame(summary: dict):
    """A summary JSON as a DataFrame, one row per outcome (a dict of dicts without pandas)."""
    rows = _summary_rows(summary)
    if _pd is None:
        return rows
    frame = _pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "outcome"
    return frame


def _differences_frame(comparison: dict):
    """The paired differences of a comparison JSON, one row per outcome and variant."""
    rows = []
    for outcome in comparison["outcomes"]:
        sides = {side["scenario"]: side for side in outcome["sides"]}
        reference = outcome["sides"][0]
        for difference in outcome["differences"]:
            row: Dict[str, Any] = {"outcome": outcome["name"], "kind": outcome["kind"]}
            _flatten("", difference, row)
            # "interval" of the mean difference flattens to the empty prefix: name it.
            if "low" in row:
                row["mean_difference_low"] = row.pop("low")
                row["mean_difference_high"] = row.pop("high")
            variant = sides.get(difference["scenario"], {})
            row["reference_mean"] = reference.get("mean")
            row["variant_mean"] = variant.get("mean")
            if reference.get("probability") is not None:
                row["reference_probability"] = reference["probability"]["value"]
            if variant.get("probability") is not None:
                row["variant_probability"] = variant["probability"]["value"]
            rows.append(row)
    if _pd is None:
        return rows
    frame = _pd.DataFrame(rows)
    return frame.set_index("outcome")


class Batch:
    """A batch of one scenario: per-run rows, the summary, and the summary JSON.

    Attributes:
        runs: per-run rows, a pandas DataFrame indexed by run (``run``), one column per
            uncertain parameter (its dotted key) then one per outcome, in scenario order
            (the columns of ``entente batch --per-run``'s ``runs.csv``); a dict of NumPy
            arrays (with a ``run`` entry) when pandas is not installed.
        summary: one row per outcome with the summary JSON's fields flattened: ``kind``,
            ``count``, ``missing``, ``mean``, ``sd``, ``mean_low``/``mean_high`` (its
            interval), ``min``, ``p5``…``p95``, ``median``, ``max``, ``probability`` with
            ``probability_low``/``probability_high``/``probability_successes``/
            ``probability_trials`` where the outcome has one, ``judged_half_width``, and the
            ``target_*`` fields of calibration targets. A dict of dicts without pandas.
        summary_json: the JSON text ``entente batch --format json`` prints.
        parameters: the uncertain parameters' keys (the first columns of ``runs``).
        outcomes: the outcome names (the last columns of ``runs``).
        warnings: the scenario's warnings (what ``entente`` prints as ``warning:`` lines).
    """

    def __init__(self, summary_json: str, table, warnings: List[str]):
        names, parameter_count, _ = _columns(table)
        self.summary_json: str = summary_json
        self.parameters: List[str] = list(names[1 : 1 + parameter_count])
        self.outcomes: List[str] = list(names[1 + parameter_count :])
        self.warnings: List[str] = list(warnings)
        self.runs = _runs_frame(table)
        self._summary = json.loads(summary_json)
        self.summary = _summary_frame(self._summary)

    @property
    def scenario(self) -> str:
        """The scenario's name."""
        return self._summary["scenario"]

    @property
    def seed(self) -> int:
        """The seed the batch ran from."""
        return self._summary["seed"]

    def summary_dict(self) -> dict:
        """The summary JSON parsed (with envelopes and histograms, which ``summary`` omits)."""
        return json.loads(self.summary_json)

    def __len__(self) -> int:
        """The number of runs."""
        return self._summary["runs"]

    def __repr__(self) -> str:
        return (
            f"<entente.Batch {self.scenario!r}: {len(self)} runs, seed {self.seed}, "
            f"{len(self.parameters)} uncertain parameters, {len(self.outcomes)} outcomes>"
        )


class Comparison:
    """A paired comparison: every scenario ran the same run indices from the same seed.

    Attributes:
        differences: the paired differences of each other scenario from the first, one row
            per outcome (the index) and variant (the ``scenario`` column): ``pairs``,
            ``mean_difference`` with ``mean_difference_low``/``mean_difference_high`` (its
            95% interval), ``probability_change`` with ``probability_change_low``/``_high``
            for flag and month outcomes, ``ks_distance``, ``ks_p_value``,
            ``paired_half_width``, ``unpaired_half_width``, ``variance_reduction``, and each
            side's ``reference_mean``/``variant_mean`` (``*_probability`` where there is
            one). A list of dicts without pandas.
        summaries: each scenario's summary (as :attr:`Batch.summary`), by scenario name.
        runs: each scenario's per-run rows (as :attr:`Batch.runs`), by scenario name; row
            *i* of every frame is the same run, so differences taken row by row are the
            paired differences.
        comparison_json: the JSON text ``entente compare --format json`` prints.
        scenarios: the scenario names in the order given (the first is the reference).
        unmatched: outcomes of the first scenario that another lacks (not compared).
        warnings: each scenario's warnings, by scenario name.
    """

    def __init__(self, comparison_json: str, summaries, tables, warnings):
        self.comparison_json: str = comparison_json
        self._comparison = json.loads(comparison_json)
        self.scenarios: List[str] = list(self._comparison["scenarios"])
        self.unmatched: List[str] = list(self._comparison.get("unmatched", []))
        self.differences = _differences_frame(self._comparison)
        self.summaries = {}
        self.summary_jsons: Dict[str, str] = {}
        for text in summaries:
            parsed = json.loads(text)
            self.summaries[parsed["scenario"]] = _summary_frame(parsed)
            self.summary_jsons[parsed["scenario"]] = text
        self.runs = {name: _runs_frame(table) for name, table in zip(self.scenarios, tables)}
        self.warnings = {name: list(items) for name, items in zip(self.scenarios, warnings)}

    @property
    def seed(self) -> int:
        """The seed the comparison ran from."""
        return self._comparison["seed"]

    def comparison_dict(self) -> dict:
        """The comparison JSON parsed."""
        return json.loads(self.comparison_json)

    def __repr__(self) -> str:
        return (
            f"<entente.Comparison {' vs '.join(self.scenarios)}: "
            f"{self._comparison['runs']} runs each, seed {self.seed}>"
        )


def check(path: PathLike, overrides: Overrides = None) -> Dict[str, Any]:
    """Loads and validates a scenario (as ``entente check``) and describes it.

    Args:
        path: the scenario file (TOML); files it ``extends`` are found relative to it.
        overrides: dotted key to value, applied on top of the file (see the module's help).

    Returns:
        A dict with ``name``, ``description``, ``question`` (or None), ``start`` and
        ``end`` (``YYYY-MM``),
        ``months``, ``seed``, ``channels``, ``actors`` (dicts of ``id``, ``name``, ``tags``,
        ``followed``), ``ties`` (``FROM.TO.CHANNEL``), ``events`` (dicts of ``id``, ``kind``,
        ``start``, ``end``), ``rules``, ``outcomes`` (dicts of ``name``, ``kind`` — number,
        flag or month — ``measure``, ``key`` (whether the scenario marks it as answering its
        question) and ``relevant``, the smallest difference that matters, or None),
        ``parameters`` (dicts of ``key``,
        ``distribution`` as text, and ``uncertain``), ``files`` (the chain of files read),
        ``warnings``, and ``text`` (what ``entente check`` prints).

    Raises:
        ScenarioError: the file cannot be read or holds problems (the message lists each
            with its ``file:line:column``), or an override names nothing in the scenario.
    """
    return _native.check(os.fspath(path), _overrides(overrides))


def run(
    path: PathLike,
    seed: Optional[int] = None,
    run: int = 0,
    overrides: Overrides = None,
) -> Dict[str, float]:
    """Runs a scenario once, as run ``run`` of the batch seeded ``seed`` (``entente run``).

    Args:
        path: the scenario file.
        seed: the seed; None takes the scenario's ``seed``.
        run: the run index: the same numbers as that row of any batch with the same seed.
        overrides: dotted key to value, applied on top of the file.

    Returns:
        Each outcome's number by name, in scenario order: flags 1.0 or 0.0, months counted
        from the scenario's start (NaN: never), NaN for a conditional outcome whose condition
        failed.

    Raises:
        ScenarioError: as :func:`check`.
    """
    return dict(_native.run(os.fspath(path), seed, int(run), _overrides(overrides)))


def batch(
    path: PathLike,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    design: Optional[str] = None,
    points: Optional[int] = None,
    params: Optional[Sequence[str]] = None,
    overrides: Overrides = None,
    *,
    replications: Optional[int] = None,
    ranges: Optional[Mapping[str, Tuple[float, float]]] = None,
    sweeps: Optional[Mapping[str, Iterable[float]]] = None,
    envelopes: bool = True,
) -> Batch:
    """Runs a batch of one scenario (``entente batch --per-run``).

    Args:
        path: the scenario file.
        runs: the number of runs; None: 10,000, or the design's size. A design with a size
            (lhs, sobol, morris, grid) sets it, and ``runs`` must then be None or equal.
        seed: the seed; None takes the scenario's ``seed``.
        threads: worker threads, 0 for every core; the results do not depend on it.
        design: ``"mc"`` (default), ``"lhs"``, ``"sobol"``, ``"morris"`` or ``"grid"``, as
            ``--design``.
        points: Latin hypercube points, Sobol' base points (a power of two) or Morris
            trajectories (``--points``).
        params: glob patterns on parameter keys choosing the inputs a design varies
            (``--params``); None: every uncertain parameter.
        overrides: dotted key to value, applied on top of the file.
        replications: runs of each design point (``--replications``).
        ranges: key to (low, high): a fixed number varied uniformly by the design
            (``--range KEY=LOW,HIGH``).
        sweeps: key to values for a grid (``--sweep KEY=V1,V2,...``); implies ``"grid"``.
        envelopes: keep monthly envelopes in the summary JSON, as the command line does
            unless ``--no-envelopes`` (False is a little faster; the frames are the same).

    Returns:
        A :class:`Batch`.

    Raises:
        ScenarioError: as :func:`check`.
        ValueError: a design or run count that does not fit the scenario.
    """
    return Batch(
        *_native.batch(
            os.fspath(path),
            runs,
            seed,
            int(threads),
            design,
            points,
            list(params) if params is not None else None,
            replications,
            _pairs(ranges, "ranges"),
            _pairs(sweeps, "sweeps"),
            _overrides(overrides),
            bool(envelopes),
        )
    )


def compare(
    paths: Sequence[PathLike],
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    design: Optional[str] = None,
    points: Optional[int] = None,
    overrides: Overrides = None,
    *,
    params: Optional[Sequence[str]] = None,
    replications: Optional[int] = None,
    ranges: Optional[Mapping[str, Tuple[float, float]]] = None,
    sweeps: Optional[Mapping[str, Iterable[float]]] = None,
) -> Comparison:
    """Runs a paired comparison of scenarios (``entente compare A B ...``).

    Every scenario runs the same run indices from the same seed (common random numbers); the
    first is the reference and the differences are each other scenario minus it.

    Args:
        paths: two or more scenario files.
        runs, seed, threads, design, points, params, replications, ranges, sweeps: as
            :func:`batch`; the seed defaults to the first scenario's, and a design is built
            on the first scenario and shared.
        overrides: dotted key to value, applied to every scenario (each must have the key).

    Returns:
        A :class:`Comparison`.

    Raises:
        ScenarioError: as :func:`check`, for any of the files.
        ValueError: fewer than two scenarios, or a design or run count that does not fit.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("compare takes a list of scenario files")
    return Comparison(
        *_native.compare(
            [os.fspath(path) for path in paths],
            runs,
            seed,
            int(threads),
            design,
            points,
            list(params) if params is not None else None,
            replications,
            _pairs(ranges, "ranges"),
            _pairs(sweeps, "sweeps"),
            _overrides(overrides),
        )
    )
