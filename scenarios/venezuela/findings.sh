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
