"""SALib as entente's peer: recompute the indices of `entente sensitivity --out DIR` with
SALib's own analysers from the per-run outputs entente wrote, and require the same point
estimates (to 1e-9) for every analysed output.

Sobol': SALib's `sobol.analyze` reads the outputs in its own order (for each base point: A,
AB_1 ... AB_k, B), which is the order of entente's runs. Morris: `morris.analyze` reads the
inputs (to see which one each step moved, and which way) and the outputs, trajectory after
trajectory, which is also entente's run order.

Usage: python check_sensitivity.py DIR [DIR ...]
"""

import csv
import json
import math
import sys

import numpy as np
from SALib.analyze import morris, sobol

TOLERANCE = 1e-9


def read_runs(directory):
    with open(f"{directory}/runs.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header, rows = rows[0], rows[1:]
    columns = {name: index for index, name in enumerate(header)}
    return columns, rows


def column(rows, index):
    return np.array([float(row[index]) if row[index] != "" else math.nan for row in rows])


def close(expected, found, what):
    if not math.isclose(expected, found, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
        raise SystemExit(f"{what}: SALib gives {expected!r}, entente {found!r}")


def check(directory):
    with open(f"{directory}/sensitivity.json") as handle:
        analysis = json.load(handle)
    columns, rows = read_runs(directory)
    keys = [entry["key"] for entry in analysis["inputs"]]
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    if analysis["replications"] != 1:
        raise SystemExit(f"{directory}: the peer check reads one run per design point")
    checked = 0
    for output in analysis["outputs"]:
        if output["error"] is not None:
            continue
        values = column(rows, columns[output["name"]])
        if analysis["method"] == "sobol":
            found = sobol.analyze(
                problem, values, calc_second_order=False, num_resamples=10, seed=1
            )
            for index, entry in enumerate(output["indices"]):
                what = f"{directory}: {output['name']} {entry['input']}"
                close(found["S1"][index], entry["first"], what + " first-order")
                close(found["ST"][index], entry["total"], what + " total")
                checked += 2
        else:
            inputs = np.column_stack([column(rows, columns[key]) for key in keys])
            found = morris.analyze(
                problem,
                inputs,
                values,
                num_levels=analysis["morris_levels"],
                num_resamples=10,
                seed=1,
            )
            for index, entry in enumerate(output["indices"]):
                what = f"{directory}: {output['name']} {entry['input']}"
                close(found["mu"][index], entry["mu"], what + " mu")
                close(found["mu_star"][index], entry["mu_star"], what + " mu*")
                close(found["sigma"][index], entry["sigma"], what + " sigma")
                checked += 3
    if checked == 0:
        raise SystemExit(f"{directory}: no index to check")
    print(f"{directory}: {checked} {analysis['method']} estimates agree with SALib to {TOLERANCE}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for directory in sys.argv[1:]:
        check(directory)
