#!/usr/bin/env bash
# Regenerates docs/VALIDATION.md and docs/FINDINGS.md from the Venezuela scenario set: every
# number in them comes from the entente commands below, run with each scenario's seed; the
# prose around the tables is in scenarios/venezuela/report/*.md.
#
#   scenarios/venezuela/findings.sh           # rewrite the two documents
#   scenarios/venezuela/findings.sh --check   # fail if the documents differ from a fresh run
#
# Same binary, same bits: the results do not depend on the machine's thread count.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release --locked -q
entente=target/release/entente
here=scenarios/venezuela
report=$here/report

# Runs per scenario. The paired intervals of the main question are about ±0.01 at 10,000.
MAIN_RUNS=10000
RUNS=4000

# The sensitivity design of "What drives the answer": the judged inputs of the war's path to
# survival, 256 base points, each point's paired difference the mean of 64 runs.
DRIVERS=(--points 256 --replications 64 --outcome survives_2025 --outcome survives_2030
    --params 'events.oil_windfall*' --params 'events.russia_ukraine_war.*'
    --params rules.homophily.rate --params rules.regime_survival.opposition
    --params actors.VEN.stability --params 'rules.commitment_waning.*'
    --params rules.sanction_substitution.share)
# The same options as typed, quotes included, for the document.
DRIVERS_SHOWN="--points 256 --replications 64 --outcome survives_2025 --outcome survives_2030"
DRIVERS_SHOWN+=" --params 'events.oil_windfall*' --params 'events.russia_ukraine_war.*'"
DRIVERS_SHOWN+=" --params rules.homophily.rate --params rules.regime_survival.opposition"
DRIVERS_SHOWN+=" --params actors.VEN.stability --params 'rules.commitment_waning.*'"
DRIVERS_SHOWN+=" --params rules.sanction_substitution.share"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

compare() { # compare A B RUNS: the markdown table of B − A
    "$entente" compare "$1" "$2" --runs "$3" --no-envelopes --format markdown 2>/dev/null
}

{
    cat "$report/validation-intro.md"
    echo
    echo "## The baseline's calibration targets and outcomes"
    echo
    echo "\`entente batch $here/baseline.toml --runs $RUNS --format markdown\`:"
    echo
    "$entente" batch "$here/baseline.toml" --runs "$RUNS" --no-envelopes --format markdown 2>/dev/null
    echo
    cat "$report/validation-limits.md"
} > "$out/VALIDATION.md"

{
    cat "$report/findings-intro.md"
    echo
    echo "## 1. Does the war raise or lower the regime's survival? (the title question)"
    echo
    echo "\`entente compare $here/baseline.toml $here/no_war.toml --runs $MAIN_RUNS\`:"
    echo
    compare "$here/baseline.toml" "$here/no_war.toml" "$MAIN_RUNS"
    cat "$report/findings-drivers.md"
    echo
    echo "\`entente sensitivity $here/baseline.toml $here/no_war.toml $DRIVERS_SHOWN\`:"
    echo
    echo '```'
    "$entente" sensitivity "$here/baseline.toml" "$here/no_war.toml" "${DRIVERS[@]}" --top 6 \
        --out "$out/drivers" 2>/dev/null
    echo '```'
    echo
    echo "\`entente discover DIR --where 'survives_2030 difference > 0'\` on that design:"
    echo
    echo '```'
    "$entente" discover "$out/drivers" --where 'survives_2030 difference > 0' 2>/dev/null
    echo '```'
    echo
    for question in substitution overtaking dissuasion; do
        cat "$report/findings-$question.md"
        echo
        case $question in
            substitution)
                echo "\`entente compare $here/baseline.toml $here/ablations/no_substitution.toml --runs $RUNS\`:"
                echo
                compare "$here/baseline.toml" "$here/ablations/no_substitution.toml" "$RUNS"
                ;;
            overtaking)
                echo "\`entente batch $here/baseline.toml --runs $MAIN_RUNS --format markdown\` (the \`chn_overtakes_rus\` row is the month China's share of Venezuela's ties first exceeds Russia's):"
                echo
                "$entente" batch "$here/baseline.toml" --runs "$MAIN_RUNS" --no-envelopes --format markdown 2>/dev/null
                echo
                echo "And without the war (\`$here/no_war.toml\`):"
                echo
                "$entente" batch "$here/no_war.toml" --runs "$MAIN_RUNS" --no-envelopes --format markdown 2>/dev/null
                ;;
            dissuasion)
                for variant in dissuasion ablations/no_dissuasion; do
                    echo "\`entente compare $here/baseline.toml $here/$variant.toml --runs $RUNS\`:"
                    echo
                    compare "$here/baseline.toml" "$here/$variant.toml" "$RUNS"
                done
                ;;
        esac
    done
    echo "## 5. The other counterfactuals"
    echo
    for variant in sanctions_relaxed sanctions_expanded china_restraint rapprochement; do
        echo "### \`$variant\`: $(sed -n 's/^# *Question: *//p' "$here/$variant.toml" | head -1)"
        echo
        echo "\`entente compare $here/baseline.toml $here/$variant.toml --runs $RUNS\`:"
        echo
        compare "$here/baseline.toml" "$here/$variant.toml" "$RUNS"
    done
    echo "## 6. Ablations: does each hypothesis matter?"
    echo
    for ablation in "$here"/ablations/*.toml; do
        name=$(basename "$ablation" .toml)
        echo "### \`$name\`: $(sed -n 's/^# *Hypothesis: *//p' "$ablation" | head -1)"
        echo
        echo "\`entente compare $here/baseline.toml $ablation --runs $RUNS\`:"
        echo
        compare "$here/baseline.toml" "$ablation" "$RUNS"
    done
    cat "$report/findings-reading.md"
} > "$out/FINDINGS.md"

if [[ "${1:-}" == "--check" ]]; then
    status=0
    for document in VALIDATION.md FINDINGS.md; do
        if ! diff -u "docs/$document" "$out/$document"; then
            echo "docs/$document is not what $0 produces; run it and commit the result" >&2
            status=1
        fi
    done
    exit $status
fi
cp "$out/VALIDATION.md" "$out/FINDINGS.md" docs/
echo "wrote docs/VALIDATION.md and docs/FINDINGS.md" >&2
