"""EMA Workbench reads entente's per-run archive: `load_results` gives the experiments and
one array per outcome, their values equal entente's summary, and PRIM runs on them.

Usage: python3 tests/ema/check_load_results.py ENTENTE_BINARY
(CI installs ema_workbench into a virtual environment and runs this; see .ci/run.)
"""

import csv
import math
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from ema_workbench import load_results  # noqa: E402
from ema_workbench.analysis import prim  # noqa: E402

RUNS = 600


def main(binary):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    scenario = os.path.join(root, "scenarios", "minimal.toml")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [binary, "batch", scenario, "--runs", str(RUNS), "--per-run", "--out", out],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        experiments, outcomes = load_results(os.path.join(out, "ema.tar.gz"))
        with open(os.path.join(out, "summary.csv"), newline="") as file:
            summary = {row["outcome"]: row for row in csv.DictReader(file)}

    assert experiments.shape[0] == RUNS, experiments.shape
    assert "actors.HOME.stability" in experiments.columns, list(experiments.columns)
    assert list(experiments["scenario"][:3]) == [0, 1, 2]
    assert set(outcomes) == set(summary), (set(outcomes), set(summary))
    for name, values in outcomes.items():
        assert values.shape == (RUNS,), (name, values.shape)
        finite = values[np.isfinite(values)]
        assert len(finite) == int(summary[name]["count"]), name
        if len(finite):
            expected = float(summary[name]["mean"])
            assert math.isclose(finite.mean(), expected, rel_tol=1e-12), (name, finite.mean())

    x = experiments.drop(columns=["scenario", "policy", "model"])
    y = outcomes["home_survives"] == 0
    box = prim.Prim(x, y, threshold=0.2).find_box()
    assert box is not None
    print(f"ema_workbench loaded {RUNS} runs and {len(outcomes)} outcomes; PRIM found a box")


if __name__ == "__main__":
    main(sys.argv[1])
