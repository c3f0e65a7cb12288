#!/usr/bin/env python3
"""NumPy yardstick for the performance issue: what an expert Python analyst would write.

A NumPy port of two of entente's rules, vectorised ACROSS RUNS (every array is shaped
(runs, ...), so each NumPy call processes all runs at once; the only Python loop is over
months), on the flagship scenario's dimensions: 14 actors, 4 channels, 204 monthly steps.

  1. Rule 1, capacity:  K <- K * exp(ln(1+g)/12 + sigma*eps) * (1 - war_drain),
     eps standard normal per run, actor and month (numpy Generator.standard_normal).
  2. Rules 6+5 fused as in entente's `tie_pass` (src/model/rules.rs): for each actor i,
     homophily updates row i on every channel (s = 1 - |x_i - x_j|/2 + bonus if both i and j
     are sanctioned, d = rate*(s - threshold); w += d*(1-w) if d > 0 else w += d*w, clamped to
     [0, 1], diagonal stays 0), then influence (Friedkin-Johnsen) reads that updated row and
     the positions from before the pass:
     x_i <- s_i*x_i(0) + (1-s_i)*((1-mu)*x_i + mu*xbar_i), xbar_i the mean of partners'
     positions weighted by i's ties summed over channels (x_i itself when i has no ties).

Tie weights are a dense tensor weights[runs, channel, from, to] in float32 (as entente stores
them) or float64; capacities and positions are float64 in both cases (as in entente; in the
float32 variant the positions are cast to float32 for the tie arithmetic, as tie_pass does).

Usage:
  python3 benches/numpy_yardstick.py [--runs N] [--repeat R] [--dtype float32|float64|both]
  python3 benches/numpy_yardstick.py --check   # 2 runs, 3 actors, 2 months vs a scalar loop

Timing is single-threaded: OMP/OPENBLAS/MKL_NUM_THREADS are set to 1 before numpy is
imported. Each repeat simulates all 204 months from the same initial state; the best of R
repeats is reported, per run-month (ns) and per whole run (us).
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ACTORS = 14
CHANNELS = 4
MONTHS = 204

# Rule parameters (the brief's plausible values).
RATE = 0.02  # homophily rate rho
THRESHOLD = 0.6  # homophily threshold theta
BONUS = 0.1  # homophily sanctions_bonus beta
MU = 0.1  # influence rate
SIGMA = 0.02  # capacity growth_noise


# --------------------------------------------------------------------------- data


def make_world(runs, actors=ACTORS, channels=CHANNELS, seed=20240601):
    """Random but plausible initial data, float64 (cast by the caller where wanted)."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.0, 0.3, size=(runs, channels, actors, actors))
    weights[rng.random(weights.shape) < 0.6] = 0.0  # 60% of ties absent
    weights[:, :, np.arange(actors), np.arange(actors)] = 0.0  # no self-ties
    positions = rng.uniform(-1.0, 1.0, size=(runs, actors))
    stubbornness = rng.uniform(0.05, 0.2, size=(runs, actors))
    growth = rng.uniform(-0.05, 0.06, size=(runs, actors))
    capacity = rng.uniform(0.5, 25.0, size=(runs, actors))
    # Scenario events are the same in every run: a few sanctioned actors, one at war.
    sanctioned = np.zeros(actors, dtype=bool)
    sanctioned[: max(1, actors // 4)] = True
    war_drain = np.zeros(actors)
    war_drain[min(3, actors - 1)] = 0.002
    return dict(
        weights=weights,
        positions=positions,
        anchor=positions.copy(),
        stubbornness=stubbornness,
        growth=growth,
        capacity=capacity,
        sanctioned=sanctioned,
        war_drain=war_drain,
    )


# --------------------------------------------------------------------------- NumPy port


class Capacity:
    """Rule 1 across runs: K *= exp(ln(1+g)/12 + sigma*eps) * (1 - drain)."""

    def __init__(self, world, sigma=SIGMA):
        self.monthly_growth = np.log1p(world["growth"]) / 12.0  # (runs, actors)
        self.keep = 1.0 - world["war_drain"]  # (actors,), broadcast over runs
        self.sigma = sigma
        self.eps = np.empty_like(self.monthly_growth)

    def step(self, capacity, rng):
        eps = self.eps
        rng.standard_normal(out=eps)  # one draw per run and actor this month
        eps *= self.sigma
        eps += self.monthly_growth
        np.exp(eps, out=eps)
        eps *= self.keep
        capacity *= eps


class TiePass:
    """Rules 6 (homophily) then 5 (influence) in one pass, as entente's tie_pass, across runs.

    Homophily is written in the branch-free form w <- w*(1 - |d|) + max(d, 0), which is
    algebraically w + d*(1 - w) for d > 0 and w + d*w otherwise (the --check mode compares it
    with the literal branchy form); it touches the (runs, channels, n, n) tensor three times
    (multiply, add, clip) with (runs, n, n) factors broadcast over channels.
    """

    def __init__(self, world, dtype, rate=RATE, threshold=THRESHOLD, bonus=BONUS, mu=MU):
        runs, actors = world["positions"].shape
        self.n = actors
        self.dtype = dtype
        both = np.outer(world["sanctioned"], world["sanctioned"]).astype(np.float64)
        # rate*(s - threshold) = rate*(1 - threshold + bonus*both) - (rate/2)*|x_i - x_j|
        self.level = (rate * ((1.0 - threshold) + bonus * both)).astype(dtype)  # (n, n)
        self.half_rate = dtype(-0.5 * rate)
        self.mu = mu
        s = world["stubbornness"]
        self.pull = s * world["anchor"]  # s_i x_i(0)
        self.free = 1.0 - s  # 1 - s_i
        shape = (runs, actors, actors)
        self.drive = np.empty(shape, dtype)  # d
        self.scale = np.empty(shape, dtype)  # 1 - |d|
        self.grow = np.empty(shape, dtype)  # max(d, 0)
        self.summed = np.empty(shape, dtype)  # ties summed over channels
        self.xf = np.empty((runs, actors), dtype)  # positions in the tie dtype
        self.rhs = np.ones((runs, actors, 2), dtype)  # [x_j, 1] for one batched matmul
        self.sums = np.empty((runs, actors, 2), dtype)  # [sum_j w x_j, sum_j w]
        self.has_ties = np.empty((runs, actors), bool)
        self.mean = np.empty((runs, actors), np.float64)  # xbar

    def step(self, weights, positions):
        n = self.n
        xf, drive = self.xf, self.drive
        np.copyto(xf, positions, casting="same_kind")
        # Homophily: d(i, j) for every run, in (runs, n, n); 0 on the diagonal.
        np.subtract(xf[:, :, None], xf[:, None, :], out=drive)
        np.abs(drive, out=drive)
        drive *= self.half_rate
        drive += self.level
        drive.reshape(drive.shape[0], n * n)[:, :: n + 1] = 0.0
        np.abs(drive, out=self.scale)
        np.subtract(1.0, self.scale, out=self.scale)
        np.maximum(drive, 0.0, out=self.grow)
        weights *= self.scale[:, None]  # same drive on every channel
        weights += self.grow[:, None]
        np.clip(weights, 0.0, 1.0, out=weights)
        # Influence, reading the updated rows and the positions from before the pass.
        np.sum(weights, axis=1, out=self.summed)
        self.rhs[:, :, 0] = xf
        np.matmul(self.summed, self.rhs, out=self.sums)  # weighted sum and total at once
        total = self.sums[:, :, 1]
        np.greater(total, 0.0, out=self.has_ties)
        mean = self.mean
        np.copyto(mean, positions)  # x_i itself where i has no ties
        np.divide(self.sums[:, :, 0], total, out=mean, where=self.has_ties)
        mean *= self.mu
        positions *= 1.0 - self.mu
        positions += mean
        positions *= self.free
        positions += self.pull


# --------------------------------------------------------------------------- scalar reference


def reference(world, months, seed):
    """Plain-Python scalar loops over runs, actors, channels and partners: the equations as
    written (the branchy homophily update), in float64. Returns (capacity, weights, positions)
    and counts of the branches taken."""
    runs, channels, n, _ = world["weights"].shape
    w = world["weights"].tolist()
    x = world["positions"].tolist()
    x0 = world["anchor"].tolist()
    s = world["stubbornness"].tolist()
    g = world["growth"].tolist()
    k = world["capacity"].tolist()
    sanctioned = world["sanctioned"].tolist()
    drain = world["war_drain"].tolist()
    rng = np.random.default_rng(seed)
    seen = dict(grow=0, shrink=0, bonus=0, no_ties=0, drained=0)
    for _month in range(months):
        eps = rng.standard_normal((runs, n)).tolist()  # the same stream as the NumPy port
        for r in range(runs):
            # Rule 1.
            for i in range(n):
                k[r][i] *= math.exp(math.log(1.0 + g[r][i]) / 12.0 + SIGMA * eps[r][i]) * (
                    1.0 - drain[i]
                )
                seen["drained"] += drain[i] > 0
            # Rules 6 then 5, row by row, positions from before the pass.
            old = list(x[r])
            new = [0.0] * n
            for i in range(n):
                for j in range(n):
                    if j == i:
                        continue
                    sim = 1.0 - abs(old[i] - old[j]) / 2.0
                    if sanctioned[i] and sanctioned[j]:
                        sim += BONUS
                        seen["bonus"] += 1
                    d = RATE * (sim - THRESHOLD)
                    for c in range(channels):
                        wij = w[r][c][i][j]
                        if d > 0:
                            wij = wij + d * (1.0 - wij)
                        else:
                            wij = wij + d * wij
                        w[r][c][i][j] = min(1.0, max(0.0, wij))
                    seen["grow" if d > 0 else "shrink"] += 1
                total = 0.0
                weighted = 0.0
                for c in range(channels):
                    for j in range(n):
                        total += w[r][c][i][j]
                        weighted += w[r][c][i][j] * old[j]
                if total > 0:
                    mean = weighted / total
                else:
                    mean = old[i]
                    seen["no_ties"] += 1
                new[i] = s[r][i] * x0[r][i] + (1.0 - s[r][i]) * (
                    (1.0 - MU) * old[i] + MU * mean
                )
            x[r] = new
    return np.array(k), np.array(w), np.array(x), seen


def check():
    runs, actors, months, seed = 2, 3, 2, 7
    world = make_world(runs, actors, CHANNELS, seed=11)
    # Exercise every branch: run 0's actor 2 far from the others and with no ties (so its
    # ties never grow and it keeps its own position), actors 0 and 1 sanctioned (bonus),
    # a war drain on actor 0, and ties that grow and shrink.
    world["positions"][0] = [-0.3, -0.6, 0.95]
    world["anchor"] = world["positions"].copy()
    world["weights"][0, :, 2, :] = 0.0
    world["weights"][1, :, 0, 1] = 0.25  # a tie between the two sanctioned actors
    world["sanctioned"] = np.array([True, True, False])
    world["war_drain"] = np.array([0.01, 0.0, 0.0])
    k_ref, w_ref, x_ref, seen = reference(world, months, seed)
    print(f"scalar reference: branches taken {seen}")
    assert all(count > 0 for count in seen.values()), "a branch was not exercised"
    failed = False
    for dtype in (np.float64, np.float32):
        weights = world["weights"].astype(dtype)
        positions = world["positions"].copy()
        capacity = world["capacity"].copy()
        cap, ties = Capacity(world), TiePass(world, dtype)
        rng = np.random.default_rng(seed)
        for _month in range(months):
            cap.step(capacity, rng)
            ties.step(weights, positions)
        for name, got, want in (
            ("capacity", capacity, k_ref),
            ("weights", weights.astype(np.float64), w_ref),
            ("positions", positions, x_ref),
        ):
            # |got - want| <= 1e-6 (relative for capacities above 1).
            error = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))
            ok = error <= 1e-6
            failed |= not ok
            print(f"  {dtype.__name__:8} {name:10} max error {error:.2e}  {'ok' if ok else 'MISMATCH'}")
    if failed:
        print("check FAILED")
        sys.exit(1)
    print("check passed: the NumPy port matches the scalar loop to 1e-6")


# --------------------------------------------------------------------------- timing


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def simulate(world, dtype, which, months=MONTHS, seed=1):
    """One timed batch of `months` months from a fresh copy of the initial state."""
    weights = world["weights"].astype(dtype)
    positions = world["positions"].copy()
    capacity = world["capacity"].copy()
    cap, ties = Capacity(world), TiePass(world, dtype)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if which == "capacity":
        for _month in range(months):
            cap.step(capacity, rng)
    elif which == "ties":
        for _month in range(months):
            ties.step(weights, positions)
    else:
        for _month in range(months):
            cap.step(capacity, rng)
            ties.step(weights, positions)
    elapsed = time.perf_counter() - start
    assert np.isfinite(capacity).all() and np.isfinite(positions).all()
    return elapsed


def bench(runs, repeat, dtypes):
    print(f"numpy {np.__version__}, Python {platform.python_version()}, CPU: {cpu_model()}")
    print(
        "single-threaded: OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1 set before "
        "importing numpy"
    )
    print(
        f"{runs} runs x {MONTHS} months, {ACTORS} actors, {CHANNELS} channels; "
        f"best of {repeat} repeats"
    )
    world = make_world(runs)
    cases = [("capacity (rule 1)", np.float64, "capacity", "K f64")]
    for dtype in dtypes:
        name = np.dtype(dtype).name
        cases.append(("tie pass (rules 6+5)", dtype, "ties", f"w {name}"))
        cases.append(("both (1, then 6+5)", dtype, "both", f"w {name}"))
    print(f"{'rule':22} {'dtype':9} {'ns/run-month':>13} {'us/run':>10} {'runs/s':>10}")
    for label, dtype, which, dtype_label in cases:
        best = min(simulate(world, dtype, which) for _ in range(repeat))
        per_run_month = best / (runs * MONTHS) * 1e9
        per_run = best / runs * 1e6
        print(
            f"{label:22} {dtype_label:9} {per_run_month:13.1f} {per_run:10.1f} "
            f"{1e6 / per_run:10.0f}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    parser.add_argument("--check", action="store_true", help="verify against a scalar loop")
    args = parser.parse_args()
    if args.check:
        check()
        return
    dtypes = (np.float32, np.float64) if args.dtype == "both" else (np.dtype(args.dtype).type,)
    bench(args.runs, args.repeat, dtypes)


if __name__ == "__main__":
    main()
