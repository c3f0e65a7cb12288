"""The Python module against the command line: the same scenario and seed give the same
numbers, overrides mean what the same line in the file means, errors carry their place, and
thread counts and designs behave as the command line's.

The command line is target/release/entente (building it is CI's job: `cargo build --release`);
the module is the installed `entente` (`pip install ./python`).
"""

import csv
import json
import math
import re
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import entente

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "entente"
MINIMAL = ROOT / "scenarios" / "minimal.toml"
BASELINE = ROOT / "scenarios" / "venezuela" / "baseline.toml"
NO_WAR = ROOT / "scenarios" / "venezuela" / "no_war.toml"

pd = pytest.importorskip("pandas")


def cli(*args):
    """Runs the command line; its standard output."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with `cargo build --release`")
    completed = subprocess.run(
        [str(CLI), *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def months_between(start, month):
    """Months from `start` to `month`, both YYYY-MM."""
    (y0, m0), (y1, m1) = (map(int, text.split("-")) for text in (start, month))
    return (y1 - y0) * 12 + (m1 - m0)


def same_numbers(a, b):
    """Equal as numbers, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def read_runs_csv(path):
    """runs.csv as (columns, float matrix rows × columns), empty cells NaN."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    values = np.array(
        [[float(cell) if cell != "" else math.nan for cell in row] for row in rows[1:]]
    )
    return rows[0], values


def assert_runs_equal_csv(frame, path):
    """A per-run frame equals a runs.csv bit for bit (NaN for NaN)."""
    columns, values = read_runs_csv(path)
    assert columns == ["run", *frame.columns]
    assert np.array_equal(frame.index.to_numpy(), values[:, 0].astype(np.int64))
    assert np.array_equal(frame.to_numpy(), values[:, 1:], equal_nan=True)


# (a) the same numbers as the command line


@pytest.mark.parametrize("path, seed, run", [(MINIMAL, 7, 0), (MINIMAL, 3, 12), (BASELINE, 11, 5)])
def test_run_equals_cli(path, seed, run):
    ours = entente.run(path, seed=seed, run=run)
    theirs = json.loads(cli("run", path, "--seed", seed, "--run", run, "--format", "json"))
    assert list(ours) == list(theirs["outcomes"])
    for name, value in theirs["outcomes"].items():
        if isinstance(value, bool):
            expected = 1.0 if value else 0.0
        elif value is None:
            expected = math.nan
        elif isinstance(value, str):
            expected = float(months_between(theirs["start"], value))
        else:
            expected = float(value)
        assert same_numbers(ours[name], expected), (name, ours[name], value)


def test_batch_equals_cli(tmp_path):
    out = tmp_path / "batch"
    stdout = cli(
        "batch", BASELINE, "--runs", 300, "--seed", 5, "--per-run", "--out", out, "--format", "json"
    )
    ours = entente.batch(BASELINE, runs=300, seed=5)
    assert ours.summary_json == stdout
    assert_runs_equal_csv(ours.runs, out / "runs.csv")
    assert len(ours) == 300 and len(ours.runs) == 300
    assert list(ours.runs.columns) == ours.parameters + ours.outcomes
    # The summary frame is the JSON's outcomes, in order.
    parsed = json.loads(stdout)
    assert list(ours.summary.index) == [outcome["name"] for outcome in parsed["outcomes"]]
    first = parsed["outcomes"][0]
    row = ours.summary.loc[first["name"]]
    assert row["mean"] == first["mean"] and row["p95"] == first["quantiles"]["p95"]
    assert row["probability"] == first["probability"]["value"]
    assert row["probability_low"] == first["probability"]["interval"]["low"]


def test_run_is_the_batch_row():
    frame = entente.batch(MINIMAL, runs=40, seed=9).runs
    single = entente.run(MINIMAL, seed=9, run=17)
    for name, value in single.items():
        assert same_numbers(value, frame.loc[17, name]), name


def test_compare_equals_cli():
    stdout = cli("compare", BASELINE, NO_WAR, "--runs", 300, "--seed", 5, "--format", "json")
    ours = entente.compare([BASELINE, NO_WAR], runs=300, seed=5)
    assert ours.comparison_json == stdout
    assert ours.scenarios == ["venezuela-baseline", "venezuela-no-war"]
    differences = ours.differences
    survival = differences.loc["survives_2030"]
    entry = next(o for o in json.loads(stdout)["outcomes"] if o["name"] == "survives_2030")
    assert survival["scenario"] == "venezuela-no-war"
    assert survival["probability_change"] == entry["differences"][0]["probability_change"]["value"]
    assert survival["mean_difference"] == entry["differences"][0]["mean_difference"]
    # Each scenario's rows are its own batch's rows: the same runs, paired.
    alone = entente.batch(NO_WAR, runs=300, seed=5)
    pd.testing.assert_frame_equal(ours.runs["venezuela-no-war"], alone.runs, check_exact=True)
    assert set(ours.summaries) == set(ours.scenarios)
    assert ours.summaries["venezuela-no-war"].equals(alone.summary)


# (b) an override equals the edited file


EDITS = [
    ("actors.HOME.growth", -0.05, "growth = -0.02\n", "growth = -0.05\n"),
    (
        "actors.HOME.stability",
        {"dist": "uniform", "low": 0.4, "high": 0.6},
        'stability = { dist = "uniform", low = 0.5, high = 0.7 }',
        'stability = { dist = "uniform", low = 0.4, high = 0.6 }',
    ),
    (
        "rules.regime_survival.revenue_elasticity",
        0.5,
        "opposition = 0.006 ",
        "revenue_elasticity = 0.5\nopposition = 0.006 ",
    ),
]


@pytest.mark.parametrize("key, value, old, new", EDITS, ids=[edit[0] for edit in EDITS])
def test_override_equals_edited_file(tmp_path, key, value, old, new):
    text = MINIMAL.read_text()
    assert text.count(old) == 1
    edited = tmp_path / "minimal.toml"
    edited.write_text(text.replace(old, new))
    overridden = entente.batch(MINIMAL, runs=200, seed=4, overrides={key: value})
    from_file = entente.batch(edited, runs=200, seed=4)
    pd.testing.assert_frame_equal(overridden.runs, from_file.runs, check_exact=True)
    assert overridden.summary_json == from_file.summary_json
    single = entente.run(MINIMAL, seed=4, run=3, overrides={key: value})
    single_from_file = entente.run(edited, seed=4, run=3)
    assert list(single) == list(single_from_file)
    assert all(same_numbers(single[name], single_from_file[name]) for name in single)
    # ...and the override changed something.
    plain = entente.batch(MINIMAL, runs=200, seed=4)
    assert overridden.summary_json != plain.summary_json


def test_override_of_the_flagship_elasticity():
    key = "rules.regime_survival.revenue_elasticity"
    low = entente.batch(BASELINE, runs=300, seed=3, overrides={key: 0.0})
    high = entente.batch(BASELINE, runs=300, seed=3)
    assert not low.runs["survives_2030"].equals(high.runs["survives_2030"])
    described = entente.check(BASELINE, overrides={key: 0.25})
    parameter = next(p for p in described["parameters"] if p["key"] == key)
    assert parameter["distribution"] == "0.25" and not parameter["uncertain"]


# (c) errors


def test_bad_file_raises_with_its_place(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.read_text().replace("capacity = 0.2\n", 'capacity = "lots"\n'))
    with pytest.raises(entente.ScenarioError) as raised:
        entente.check(bad)
    message = str(raised.value)
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "lots" in text)
    assert re.search(re.escape(str(bad)) + rf":{line}:\d+", message), message
    assert isinstance(raised.value, ValueError)
    # The same error from run and batch.
    with pytest.raises(entente.ScenarioError):
        entente.batch(bad, runs=10)


def test_syntax_error_and_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[scenario]\nname = "x\n')
    with pytest.raises(entente.ScenarioError, match=re.escape(str(broken)) + r":2:\d+"):
        entente.run(broken)
    with pytest.raises(entente.ScenarioError, match="cannot read"):
        entente.check(tmp_path / "absent.toml")


def test_unknown_override_key_names_the_nearest():
    with pytest.raises(entente.ScenarioError) as raised:
        entente.batch(BASELINE, runs=10, overrides={"actors.VNE.growth": 0.0})
    message = str(raised.value)
    assert "VNE" in message and "VEN" in message, message
    with pytest.raises(entente.ScenarioError, match="regime_survival"):
        entente.check(BASELINE, overrides={"rules.regime_survivl.revenue_elasticity": 0.0})
    with pytest.raises(TypeError):
        entente.check(MINIMAL, overrides={"actors.HOME.growth": object()})


def test_bad_design_and_runs():
    with pytest.raises(ValueError, match="design"):
        entente.batch(MINIMAL, runs=10, design="latin")
    with pytest.raises(ValueError, match="runs"):
        entente.batch(MINIMAL, runs=10, design="lhs", points=20)
    with pytest.raises(ValueError, match="two scenarios"):
        entente.compare([MINIMAL], runs=10)


# (d) threads


def test_threads_give_identical_frames():
    one = entente.batch(BASELINE, runs=400, seed=8, threads=1)
    two = entente.batch(BASELINE, runs=400, seed=8, threads=2)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)
    assert one.summary_json == two.summary_json


def test_the_gil_is_released():
    """Another Python thread keeps running while a batch runs."""
    done = threading.Event()
    ticks = 0

    def work():
        entente.batch(BASELINE, runs=1500, seed=1, threads=1, envelopes=False)
        done.set()

    started = time.perf_counter()
    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - started
    # Holding the GIL, the batch would let this loop tick only at its ends.
    assert ticks > 0.2 * elapsed / 0.001 or elapsed < 0.05, (ticks, elapsed)


# (e) designs


def test_latin_hypercube_design(tmp_path):
    ours = entente.batch(BASELINE, seed=6, design="lhs", points=64, params=["actors.VEN.*"])
    assert len(ours.runs) == 64 and len(ours) == 64
    out = tmp_path / "lhs"
    stdout = cli(
        "batch", BASELINE, "--seed", 6, "--design", "lhs", "--points", 64,
        "--params", "actors.VEN.*", "--per-run", "--out", out, "--format", "json",
    )
    assert ours.summary_json == stdout
    assert_runs_equal_csv(ours.runs, out / "runs.csv")


def test_without_pandas(monkeypatch):
    monkeypatch.setattr(entente, "_pd", None)
    result = entente.batch(MINIMAL, runs=25, seed=2)
    assert isinstance(result.runs, dict)
    assert list(result.runs)[0] == "run" and result.runs["run"].dtype == np.int64
    assert all(len(column) == 25 for column in result.runs.values())
    assert isinstance(result.summary, dict) and "home_survives" in result.summary


def test_check_describes_the_scenario():
    described = entente.check(MINIMAL)
    assert described["name"] == "minimal"
    assert (described["start"], described["end"], described["seed"]) == ("2020-01", "2024-12", 1)
    assert [actor["id"] for actor in described["actors"]][:2] == ["HOME", "WEST"]
    assert described["outcomes"][0] == {
        "name": "home_survives",
        "kind": "flag",
        "measure": "survives",
        "key": False,
        "relevant": None,
    }
    assert described["question"] == "Do sanctions push HOME toward RISER?"
    key = [o for o in described["outcomes"] if o["key"]]
    assert [(o["name"], o["relevant"]) for o in key] == [("riser_share_of_home_trade", 0.05)]
    uncertain = [p["key"] for p in described["parameters"] if p["uncertain"]]
    assert uncertain == entente.batch(MINIMAL, runs=5).parameters
    assert described["text"] == cli("check", MINIMAL)
