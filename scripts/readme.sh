#!/usr/bin/env bash
# Regenerates the outputs and figures README.md quotes: every block between
#
#   <!-- readme.sh: NAME -->
#   ...
#   <!-- /readme.sh -->
#
# is what the generator NAME below writes, from the commands the README shows, run here with
# the release build. Text outside the blocks is the README's own.
#
#   scripts/readme.sh            # rewrite the blocks (all but the measured ones)
#   scripts/readme.sh --check    # fail, with a diff, if a block differs from a fresh run
#   scripts/readme.sh --measure  # rewrite the blocks and measure the performance figures
#
# The outputs are bit-identical for any thread count, so --check compares everything but the
# timings: the last line of `entente batch` and `compare` ("N runs in T s (R runs/s, K threads)")
# keeps only its run count, and the measured blocks (performance, limits) are not compared;
# each must exist, and the performance block must name the machine it was measured on.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-write}
case $mode in
    write | --check | --measure) ;;
    *)
        echo "usage: $0 [--check | --measure]" >&2
        exit 2
        ;;
esac

cargo build --release --locked -q --bin entente --examples
entente=target/release/entente
flagship=scenarios/venezuela/baseline.toml
no_war=scenarios/venezuela/no_war.toml

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
blocks=$out/blocks
mkdir "$blocks"

fence() { # fence [LANGUAGE] < TEXT: the text in a code fence
    echo "\`\`\`${1:-}"
    cat
    echo '```'
}

expect_status() { # expect_status WANT GOT WHAT: the exit statuses the README promises
    if [[ $2 != "$1" ]]; then
        echo "$0: $3 exited with $2, the README says $1" >&2
        exit 1
    fi
}

# Formats the number $1 (a fraction) as points or a percentage: $2 decimals, ties away from 0.
percent() { awk -v x="$1" -v d="$2" 'BEGIN { x *= 100; x += (x < 0 ? -1e-9 : 1e-9); printf "%.*f", d, x }'; }
# The same with its sign written (+, or − U+2212), as a change.
signed() {
    local text
    text=$(percent "$1" "$2")
    case $text in
        -*) echo "−${text#-}" ;;
        *) echo "+$text" ;;
    esac
}
magnitude() { local text; text=$(percent "$1" "$2"); echo "${text#-}"; }

# --- the flagship comparison: the README's main command and its whole output -----------------
"$entente" compare "$flagship" "$no_war" >"$out/compare.out" 2>"$out/compare.err"
cat "$out/compare.out" "$out/compare.err" | fence >"$blocks/compare-flagship"

row() { # row NAME: the comparison table's row of outcome NAME (fields: name A B Δ value [low, high] ...)
    awk -v name="$1" '$1 == name { print; found = 1 } END { if (!found) exit 1 }' "$out/compare.out" || {
        echo "$0: no row $1 in the flagship comparison" >&2
        exit 1
    }
}
field() { row "$1" | awk -v n="$2" '{ value = $n; gsub(/^P=|[][,]/, "", value); print value }'; }

# Survival with and without the war, and the war's effect (B − A is no war − war: its negative).
p_war=$(field survives_2030 2)
p_no_war=$(field survives_2030 3)
d2030=$(field survives_2030 5)
d2030_low=$(field survives_2030 6)
d2030_high=$(field survives_2030 7)
d2025=$(field survives_2025 5)
if awk -v d="$d2030" 'BEGIN { exit !(d < 0) }'; then
    verb=raises
    interval="$(magnitude "$d2030_high" 1) to $(magnitude "$d2030_low" 1)"
else
    verb=lowers
    interval="$(magnitude "$d2030_low" 1) to $(magnitude "$d2030_high" 1)"
fi
if awk -v a="$d2030" -v b="$d2025" 'BEGIN { exit !((a < 0) == (b < 0)) }'; then
    to2025="and by $(magnitude "$d2025" 1) points to 2025"
else
    to2025="and changes it by $(signed "$(awk -v d="$d2025" 'BEGIN { print -d }')" 1) points to 2025"
fi
# Over the judged inputs: the sensitivity design of docs/FINDINGS.md (scenarios/venezuela/findings.sh),
# whose `survives_2030 difference` line gives the 5th and 95th percentiles over the design points.
design=$(grep -m1 "^survives_2030 difference " docs/FINDINGS.md) || {
    echo "$0: docs/FINDINGS.md has no 'survives_2030 difference' line" >&2
    exit 1
}
points=$(grep -m1 -oE "[0-9]+ base points" docs/FINDINGS.md | awk '{ print $1 }')
replications=$(sed -E 's/.*each the mean of ([0-9]+) runs.*/\1/' <<<"$design")
q05=$(sed -E 's/.*[^0-9]5% (-?[0-9.]+).*/\1/' <<<"$design")
q95=$(sed -E 's/.*95% (-?[0-9.]+).*/\1/' <<<"$design")
effect_low=$(signed "$(awk -v q="$q95" 'BEGIN { print -q }')" 1)
effect_high=$(signed "$(awk -v q="$q05" 'BEGIN { print -q }')" 1)
arms_war=$(printf '%.2f' "$(field arms_share_rus_2023 2)")
arms_no_war=$(printf '%.2f' "$(field arms_share_rus_2023 3)")
overtakes_war=$(percent "$(field chn_overtakes_rus_arms 2)" 1)
overtakes_no_war=$(percent "$(field chn_overtakes_rus_arms 3)" 1)

fmt -w 96 >"$blocks/reading-flagship" <<EOF
In this model the regime lasts to 2030 in $(percent "$p_war" 1)% of runs with the war and
$(percent "$p_no_war" 1)% without: the war *$verb* survival by $(magnitude "$d2030" 1) points (95% interval
$interval), $to2025. Those intervals are Monte Carlo error around an average over every
judged input, not real-world uncertainty. Over the judged inputs themselves (docs/FINDINGS.md,
"What drives the answer": $points design points, each the mean of $replications paired runs), the war changes
survival to 2030 by $effect_low to $effect_high points (5th to 95th percentile of the points). Money
carries the effect: the 2022 oil windfall lifts Venezuela's revenue above its trend, which buys
the regime stability (\`regime_survival\`'s revenue term), and the two inputs that decide the
effect's size are the windfall and how much stability a unit of revenue buys, both
judgements. What the war takes away is Russia: its share of Venezuela's arms ties in 2023 is
$arms_war with the war and $arms_no_war without, and China overtakes Russia on arms in $overtakes_war% of runs
instead of $overtakes_no_war%; Venezuela's oil goes to the same places either way.
EOF

# --- errors: a scenario with two mistakes, an unknown override key, a usage error ------------
mkdir "$out/errors"
awk '!wrong_to && /^to = "WEST"$/ { print "to = \"WSET\""; wrong_to = 1; next }
     !wrong_weight && /^weight = 0\.05$/ { print "weight = 1.05"; wrong_weight = 1; next }
     { print }' scenarios/minimal.toml >"$out/errors/broken.toml"
status=0
(cd "$out/errors" && "$OLDPWD/$entente" check broken.toml) >"$out/check.out" 2>"$out/check.err" || status=$?
expect_status 1 "$status" "entente check broken.toml"
fence <"$out/check.err" >"$blocks/check-error"

status=0
"$entente" run scenarios/minimal.toml --set rules.influence.rat=0.1 2>"$out/set.err" || status=$?
expect_status 1 "$status" "entente run --set rules.influence.rat=0.1"
status=0
"$entente" batch scenarios/minimal.toml --runs 0 2>"$out/usage.err" || status=$?
expect_status 2 "$status" "entente batch --runs 0"
{
    echo '$ entente run scenarios/minimal.toml --set rules.influence.rat=0.1'
    cat "$out/set.err"
    echo '$ entente batch scenarios/minimal.toml --runs 0'
    cat "$out/usage.err"
} | fence >"$blocks/errors"
grep -q "^Exit status: 0 success; 1 .*; 2 a usage error" <("$entente" --help) || {
    echo "$0: entente --help no longer states the exit statuses the README gives" >&2
    exit 1
}

# --- the library: examples/war_effect.rs and what it prints ----------------------------------
{
    awk 'NR == 1, !/^\/\/!/ { if (/^\/\/!/ || /^$/) next } { print }' examples/war_effect.rs | fence rust
    echo
    echo 'prints (`cargo run --release --example war_effect`):'
    echo
    target/release/examples/war_effect | fence
} >"$blocks/library-example"

# --- measured: throughput, criterion, NumPy, the limits' costs (--measure only) --------------
best_rate() { # best_rate REPEATS COMMAND...: the best runs/s of the last stderr line
    local repeats=$1 best=0 rate
    shift
    for ((i = 0; i < repeats; i++)); do
        rate=$("$@" 2>&1 >/dev/null | tail -n 1 | sed -E 's/.*\(([0-9]+) runs\/s.*/\1/')
        best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a ? b : a) }')
    done
    echo "$best"
}
rate() { # rate R: runs/s, to three digits
    awk -v r="$1" 'BEGIN { if (r >= 1e5) printf "%.0fk", r / 1e3; else if (r >= 1e3) printf "%.1fk", r / 1e3; else printf "%.0f", r }'
}

prose() { fmt -w 96 <<<"$1"; }

measure() {
    local repeats=3 cpu cores avx2 commit dirty
    cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: *//') ||
        cpu=$(lscpu | sed -n 's/^Model name: *//p')
    cores=$(nproc)
    avx2=$(grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo "with AVX2" || echo "without AVX2")
    commit=$(git rev-parse --short HEAD)
    dirty=$(git status --porcelain --untracked-files=no | grep -vq ' README.md$' && echo " with uncommitted changes" || true)
    local machine="$cpu ($cores cores, $avx2), $(date -u +%Y-%m-%d), commit $commit$dirty"

    local -A batch
    for threads in 1 2; do
        batch[env$threads]=$(best_rate $repeats "$entente" batch "$flagship" --runs 20000 --threads $threads)
        batch[noenv$threads]=$(best_rate $repeats "$entente" batch "$flagship" --runs 20000 --threads $threads --no-envelopes)
        batch[portable$threads]=$(best_rate $repeats env ENTENTE_INSTRUCTIONS=portable "$entente" batch "$flagship" --runs 20000 --threads $threads --no-envelopes)
        batch[minimal$threads]=$(best_rate $repeats "$entente" batch scenarios/minimal.toml --runs 300000 --threads $threads)
    done
    local resident
    resident=$(/usr/bin/time -f '%M' "$entente" batch "$flagship" --runs 20000 --threads 2 -q 2>&1 | tail -n 1)
    # The saving of --no-envelopes: 1 − (time without) / (time with) = 1 − rate with / rate without.
    saving() { awk -v with="${batch[env$1]}" -v without="${batch[noenv$1]}" 'BEGIN { printf "%.0f", 100 * (1 - with / without) }'; }
    local scenario_shape
    scenario_shape=$("$entente" check "$flagship" | awk '
        /^channels / { channels = NF - 1 } /^period / { sub(/.*\(/, ""); months = $1 }
        /^actors \(/ { gsub(/[()]/, "", $2); actors = $2 } /^rules \(/ { gsub(/[(,]/, "", $2); rules = $2 }
        /^outcomes \(/ { gsub(/[()]/, "", $2); outcomes = $2 }
        END { printf "%s actors, %s channels, %s months, %s rules, %s outcomes", actors, channels, months, rules, outcomes }')

    # Criterion: the median throughput of each benchmark in the table.
    local filter='^(run/flagship|batch/flagship|scale/200-actors)/' started elapsed
    started=$(date +%s)
    cargo bench --locked -q --bench core -- --warm-up-time 1 --measurement-time 3 "$filter" >"$out/criterion" 2>&1
    elapsed=$(($(date +%s) - started))
    local -A bench
    while read -r name value; do bench[$name]=$value; done < <(awk '
        $1 ~ /^(run|batch|scale|step)\// { name = $1 }
        # The first throughput after the name; a "change:" block after it has its own.
        /thrpt:/ && name != "" { sub(/.*\[/, ""); value = $3; unit = $4
            scale = unit ~ /^K/ ? 1e3 : unit ~ /^M/ ? 1e6 : unit ~ /^G/ ? 1e9 : 1
            printf "%s %.6g\n", name, value * scale; name = "" }' "$out/criterion")
    for name in run/flagship/portable batch/flagship/1-threads batch/flagship/${cores}-threads scale/200-actors/portable; do
        [[ -n ${bench[$name]:-} ]] || {
            echo "$0: no throughput for $name in the criterion output:" >&2
            cat "$out/criterion" >&2
            exit 1
        }
    done
    ties() { awk -v r="$1" 'BEGIN { e = int(log(r) / log(10)); printf "%.2f·10%s", r / 10 ^ e, (e == 9 ? "⁹" : e == 8 ? "⁸" : e == 10 ? "¹⁰" : "^" e) }'; }
    optional() { [[ -n ${bench[$1]:-} ]] && "$2" "${bench[$1]}" || echo "(no AVX2)"; }

    # The NumPy yardstick: two rules vectorised across runs, against entente on the same world.
    local python="" numpy_line
    for candidate in "${NUMPY_PYTHON:-}" target/ema-venv/bin/python target/py-venv/bin/python python3; do
        if [[ -n $candidate ]] && "$candidate" -c 'import numpy' 2>/dev/null; then
            python=$candidate
            break
        fi
    done
    if [[ -n $python ]]; then
        local numpy yard_portable yard_avx2 version
        numpy=$("$python" benches/numpy_yardstick.py --runs 4096 --repeat 5 --dtype float32 | awk '/^both/ { print $NF }')
        version=$("$python" -c 'import numpy; print(numpy.__version__)')
        yard_portable=$(best_rate $repeats env ENTENTE_INSTRUCTIONS=portable "$entente" batch benches/yardstick.toml --runs 40000 --threads 1 --no-envelopes)
        yard_avx2=$(best_rate $repeats "$entente" batch benches/yardstick.toml --runs 40000 --threads 1 --no-envelopes)
        ratio() { awk -v a="$1" -v b="$numpy" 'BEGIN { printf "%.1f", a / b }'; }
        numpy_line="The NumPy yardstick (\`benches/numpy_yardstick.py --runs 4096 --repeat 5 --dtype float32\`, NumPy $version, one thread: the capacity rule and the tie pass vectorised across 4,096 runs, float32 ties) does $(rate "$numpy") runs/s; entente on the same world (\`entente batch benches/yardstick.toml --runs 40000 --threads 1 --no-envelopes\`, best of $repeats) $(rate "$yard_portable") portable and $(rate "$yard_avx2") ${avx2#with }: $(ratio "$yard_portable")× and $(ratio "$yard_avx2")× NumPy."
    else
        numpy_line="The NumPy yardstick (\`benches/numpy_yardstick.py\`) was not run: no Python with NumPy here (set NUMPY_PYTHON)."
    fi

    {
        prose "Measured by \`scripts/readme.sh --measure\` on $machine, release build."
        echo
        echo "Whole batches: the runs/s of the last line \`entente batch\` prints, best of $repeats."
        echo
        echo "| command | 1 thread | 2 threads |"
        echo "|---|---|---|"
        echo "| \`entente batch $flagship --runs 20000\` | $(rate "${batch[env1]}") runs/s | $(rate "${batch[env2]}") runs/s ($((resident / 1024)) MB resident) |"
        echo "| the same with \`--no-envelopes\` | $(rate "${batch[noenv1]}") runs/s | $(rate "${batch[noenv2]}") runs/s |"
        echo "| the same with \`ENTENTE_INSTRUCTIONS=portable\` and \`--no-envelopes\` | $(rate "${batch[portable1]}") runs/s | $(rate "${batch[portable2]}") runs/s |"
        echo "| \`entente batch scenarios/minimal.toml --runs 300000\` | $(rate "${batch[minimal1]}") runs/s | $(rate "${batch[minimal2]}") runs/s |"
        echo
        prose "\`--no-envelopes\` saves $(saving 1)% of the flagship batch's time on 1 thread and $(saving 2)% on 2."
        echo
        prose "Criterion (\`cargo bench --bench core -- --warm-up-time 1 --measurement-time 3 '$filter'\`, $((elapsed / 60)) min $((elapsed % 60)) s with the build; \`benches/core.rs\`), the median of each:"
        echo
        echo "| benchmark | measures | portable | AVX2 |"
        echo "|---|---|---|---|"
        echo "| \`run/flagship/*\` | 8 whole runs of \`$flagship\` ($scenario_shape), one core | $(rate "${bench[run/flagship/portable]}") runs/s | $(optional run/flagship/avx2 rate) runs/s |"
        echo "| \`batch/flagship/*\` | 2,048 flagship runs with summaries and envelopes, on 1 thread and on $cores | | $(rate "${bench[batch/flagship/1-threads]}") and $(rate "${bench[batch/flagship/${cores}-threads]}") runs/s |"
        echo "| \`scale/200-actors/*\` | one month of 8 runs of a generated world of 200 actors tied densely on 4 channels, one core | $(ties "${bench[scale/200-actors/portable]}") tie-updates/s | $(optional scale/200-actors/avx2 ties) |"
        echo
        prose "$numpy_line"
    } >"$blocks/performance"

    # The limits' costs: near-limit bad input, and a file over the limit.
    local head='[scenario]\nname = "hostile"\nstart = "2020-01"\nend = "2020-12"\nchannels = ["trade"]\n\n[[actors]]\nid = "A"\ncapacity = 1.0\nposition = 0.5\ntags = [\n'
    elements() { printf '%b' "$head"; awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) print "  true,"; print "]" }'; }
    elements 1000000 >"$out/elements.toml"
    elements 1300000 >"$out/large.toml"
    local near over near_bytes over_bytes
    # Both are refused (exit status 1): only the time's line is kept.
    near=$({ /usr/bin/time -f '%e s with %M KB' "$entente" check -q "$out/elements.toml" 2>&1 || true; } | tail -n 1)
    over=$({ /usr/bin/time -f '%e s with %M KB' "$entente" check -q "$out/large.toml" 2>&1 || true; } | tail -n 1)
    near_bytes=$(awk -v b="$(stat -c %s "$out/elements.toml")" 'BEGIN { printf "%.1f", b / 1e6 }')
    over_bytes=$(awk -v b="$(stat -c %s "$out/large.toml")" 'BEGIN { printf "%.1f", b / 1e6 }')
    kb_to_mb() { awk '{ printf "%s s with %.1f MB", $1, $4 / 1024 }' <<<"$1"; }
    prose "Measured by \`scripts/readme.sh --measure\` on $machine (\`/usr/bin/time entente check FILE\`, release build): $near_bytes MB of wrong-typed values answer in $(kb_to_mb "$near") peak memory (the \`toml\` crate's parse tree); a $over_bytes MB file is refused by its size in $(kb_to_mb "$over")." >"$blocks/limits"
}
measured="performance limits"
if [[ $mode == --measure ]]; then
    measure
fi

# --- splice the blocks into the README ---------------------------------------------------------
# Each block's content becomes the generator's; a measured block without a fresh measurement
# keeps what the README has.
awk -v blocks="$blocks" -v measured=" $measured " '
    function fail(message) { print FILENAME ":" FNR ": " message > "/dev/stderr"; failed = 1; exit 1 }
    /^<!-- readme\.sh: [a-z0-9-]+ -->$/ {
        if (inside) fail("a block opens inside block " name)
        print
        name = $3; inside = 1; seen[name] = 1
        file = blocks "/" name
        fresh = (getline line < file) > 0
        if (fresh) { print line; while ((getline line < file) > 0) print line; close(file) }
        else if (index(measured, " " name " ") == 0) fail("no generator writes block " name)
        next
    }
    /^<!-- \/readme\.sh -->$/ { if (!inside) fail("a block closes that never opened"); inside = 0; print; next }
    inside && fresh { next }
    { print }
    END {
        if (failed) exit 1
        if (inside) fail("block " name " never closes")
        split(measured, names, " ")
        for (i in names) if (!(names[i] in seen)) fail("the README has no block " names[i])
    }' README.md >"$out/README.md"
for generated in "$blocks"/*; do
    grep -qx "<!-- readme.sh: $(basename "$generated") -->" README.md || {
        echo "$0: README.md has no block $(basename "$generated")" >&2
        exit 1
    }
done

if [[ $mode == --check ]]; then
    performance=$(awk '/^<!-- readme\.sh: performance -->$/ { inside = 1; next }
        /^<!-- \/readme\.sh -->$/ { inside = 0 } inside' README.md | tr '\n' ' ')
    [[ $performance =~ ^Measured\ by\ .*\ on\ .*\ cores ]] || {
        echo "$0: README.md's performance block does not name the machine it was measured on" >&2
        exit 1
    }
    # Timings are masked: the last line of a batch keeps only its run count.
    mask() { sed -E 's/^([0-9]+ runs) in [0-9.]+ s \([0-9]+ runs\/s, [0-9]+ threads?\)$/\1 in (time masked)/' "$1"; }
    if ! diff -u <(mask README.md) <(mask "$out/README.md") --label README.md --label "fresh run"; then
        echo "README.md's quoted outputs are not what $0 produces; run it and commit the result" >&2
        exit 1
    fi
    exit 0
fi
cp "$out/README.md" README.md
if [[ $mode == --measure ]]; then
    echo "rewrote README.md's generated blocks, measured ones included" >&2
else
    echo "rewrote README.md's generated blocks but the measured ones ($measured: --measure)" >&2
fi
