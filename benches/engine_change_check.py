#!/usr/bin/env python3
"""Compare two engines' batch summaries outcome by outcome (stdlib only).

Usage: benches/engine_change_check.py OLD_ROOT NEW_ROOT [SCENARIO ...]

The check recorded in docs/PERFORMANCE.md ("Results moved once"): the lane engine against
the engine before it, on the seven flagship scenarios at 10^5 runs each. Exits 1 if any
|z| > 3.

OLD_ROOT/NAME/summary.json and NEW_ROOT/NAME/summary.json are `entente batch` summaries of the
same scenario. For every outcome:

  z = (mean_new - mean_old) / sqrt(sd_new^2/n_new + sd_old^2/n_old)

over the non-missing values (n = count; a flag's mean is its probability). For month outcomes
(and any outcome with missing values) the share that happened, count/(count+missing), is also
compared with a pooled two-proportion z, reported as a separate row "NAME [happened]".
Outcomes whose two standard deviations are both 0 are not tested; they are reported as
identical (same mean) or not.

The z assumes the two batches are independent samples. Both engines draw from the same seed,
so if their runs are positively correlated this z understates the difference (a conservative
check would then rerun one side with another --seed).
"""
import json
import math
import os
import sys

SCENARIOS = ["baseline", "no_war", "china_restraint", "dissuasion", "rapprochement",
             "sanctions_expanded", "sanctions_relaxed"]


def load(path):
    with open(path) as f:
        data = json.load(f)
    return data, {o["name"]: o for o in data["outcomes"]}


def mean_z(o, n):
    n_old, n_new = o["count"], n["count"]
    if n_old == 0 or n_new == 0:
        return None, "no values"
    sd_old, sd_new = o["standard_deviation"] or 0.0, n["standard_deviation"] or 0.0
    if sd_old == 0.0 and sd_new == 0.0:
        return None, "identical" if o["mean"] == n["mean"] else "constant, differs"
    se = math.sqrt(sd_new ** 2 / n_new + sd_old ** 2 / n_old)
    return (n["mean"] - o["mean"]) / se, ""


def share_z(o, n):
    t_old, t_new = o["count"] + o["missing"], n["count"] + n["missing"]
    p_old, p_new = o["count"] / t_old, n["count"] / t_new
    pooled = (o["count"] + n["count"]) / (t_old + t_new)
    var = pooled * (1 - pooled) * (1 / t_old + 1 / t_new)
    if var == 0.0:
        return p_old, p_new, None, "identical" if p_old == p_new else "constant, differs"
    return p_old, p_new, (p_new - p_old) / math.sqrt(var), ""


def fmt(x):
    if x is None:
        return "-"
    return f"{x:.6g}"


def compare(name, old_root, new_root):
    old_data, old = load(os.path.join(old_root, name, "summary.json"))
    new_data, new = load(os.path.join(new_root, name, "summary.json"))
    rows = []  # (label, kind, old, new, z, note)
    for key, o in old.items():
        if key not in new:
            rows.append((key, o["kind"], o["mean"], None, None, "missing in new"))
            continue
        n = new[key]
        z, note = mean_z(o, n)
        rows.append((key, o["kind"], o["mean"], n["mean"], z, note))
        if o["kind"] == "month" or o["missing"] or n["missing"]:
            p_old, p_new, z, note = share_z(o, n)
            rows.append((key + " [happened]", "share", p_old, p_new, z, note))
    for key in new:
        if key not in old:
            rows.append((key, new[key]["kind"], None, new[key]["mean"], None, "missing in old"))

    print(f"== {name}: old runs {old_data['runs']}, new runs {new_data['runs']}, "
          f"seeds {old_data['seed']} / {new_data['seed']}")
    width = max(len(r[0]) for r in rows)
    print(f"{'outcome':<{width}}  {'kind':<6} {'old mean':>13} {'new mean':>13} {'z':>8}")
    for label, kind, m_old, m_new, z, note in rows:
        zs = f"{z:8.2f}" if z is not None else f"{'-':>8}"
        flag = "  ***" if z is not None and abs(z) > 3 else ("  *" if z is not None and abs(z) > 2 else "")
        print(f"{label:<{width}}  {kind:<6} {fmt(m_old):>13} {fmt(m_new):>13} {zs}"
              f"{flag}{'  ' + note if note else ''}")
    tested = [r for r in rows if r[4] is not None]
    worst = max(tested, key=lambda r: abs(r[4])) if tested else None
    over2 = [r for r in tested if abs(r[4]) > 2]
    over3 = [r for r in tested if abs(r[4]) > 3]
    untested = [r for r in rows if r[4] is None]
    print(f"-- {name}: {len(tested)} tested ({sum(1 for r in tested if r[1] != 'share')} means, "
          f"{sum(1 for r in tested if r[1] == 'share')} shares), {len(untested)} not tested; "
          f"max |z| = {abs(worst[4]):.2f} ({worst[0]}); |z|>2: {len(over2)}; |z|>3: {len(over3)}")
    for r in untested:
        print(f"   not tested: {r[0]} ({r[5]})")
    print()
    return name, tested, worst, over2, over3


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old_root, new_root = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or [s for s in SCENARIOS
                             if os.path.exists(os.path.join(old_root, s, "summary.json"))
                             and os.path.exists(os.path.join(new_root, s, "summary.json"))]
    results = [compare(s, old_root, new_root) for s in names]
    print("== overall")
    n_tested = n2 = n3 = 0
    for name, tested, worst, over2, over3 in results:
        n_tested += len(tested)
        n2 += len(over2)
        n3 += len(over3)
        print(f"{name:<20} max |z| {abs(worst[4]):5.2f}  {worst[0]}")
    print(f"tests: {n_tested}; |z|>2: {n2} ({100 * n2 / max(n_tested, 1):.1f}%, ~4.6% expected by "
          f"chance); |z|>3: {n3} (~0.27% expected)")
    for name, tested, worst, over2, over3 in results:
        for r in over3:
            print(f"  |z|>3: {name} {r[0]}: old {fmt(r[2])}, new {fmt(r[3])}, z {r[4]:.2f}")
    return 1 if n3 else 0


if __name__ == "__main__":
    sys.exit(main())
