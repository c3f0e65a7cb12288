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
    --params rules.regime_survival.revenue_elasticity --params actors.VEN.stability
    --params 'rules.commitment_waning.*' --params rules.sanction_substitution.share
    --params rules.tie_relaxation.rate --params rules.patron_bid.rate)
# The same options as typed, quotes included, for the document.
DRIVERS_SHOWN="--points 256 --replications 64 --outcome survives_2025 --outcome survives_2030"
DRIVERS_SHOWN+=" --params 'events.oil_windfall*' --params 'events.russia_ukraine_war.*'"
DRIVERS_SHOWN+=" --params rules.homophily.rate --params rules.regime_survival.opposition"
DRIVERS_SHOWN+=" --params rules.regime_survival.revenue_elasticity --params actors.VEN.stability"
DRIVERS_SHOWN+=" --params 'rules.commitment_waning.*' --params rules.sanction_substitution.share"
DRIVERS_SHOWN+=" --params rules.tie_relaxation.rate --params rules.patron_bid.rate"

# The outcomes each section shows (a comparison table has one row per outcome; the full tables
# are one `entente compare` away).
SURVIVAL="survives_2025 survives_2030 regime_change_month stability_min"
CHINA="oil_share_chn_2023 oil_share_chn_2030 oil_flow_chn_2030 arms_share_chn_2030 arms_weight_chn_2021 arms_weight_chn_2030 finance_weight_chn_2021 finance_weight_chn_2030 finance_share_chn_2030 trade_weight_chn_2021 trade_weight_chn_2030 diplomacy_share_chn_2030 chn_overtakes_rus_arms"
RUSSIA="arms_share_rus_2023 arms_share_rus_2030 arms_weight_rus_2021 arms_weight_rus_2030 arms_flow_rus_2021 finance_weight_rus_2030 diplomacy_share_rus_2030 oil_share_rus_2023 rus_capacity_2030"
OIL="oil_share_chn_2025 oil_share_ind_2025 oil_share_usa_2023 oil_share_usa_2025 oil_share_rus_2025 oil_flow_2023 oil_flow_2030 west_oil_share_2030"
CAMPS="autocracy_arms_share_2030 autocracy_diplomacy_weight_2030 diplomacy_share_rus_2030 diplomacy_share_chn_2030 ven_position vote_ven_2030"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

compare() { # compare A B RUNS [OUTCOME...]: the markdown table of B − A, only the rows named
    local a=$1 b=$2 runs=$3
    shift 3
    "$entente" compare "$a" "$b" --runs "$runs" --no-envelopes --format markdown 2>/dev/null |
        awk -v keep=" $* " 'keep == "  " || !/^\| `/ { print; next }
            { name = $2; gsub(/`/, "", name); if (index(keep, " " name " ")) print }'
}

shown() { # shown A B RUNS OUTCOME...: the command line and its table
    echo "\`entente compare $1 $2 --runs $3\`:"
    echo
    compare "$@"
    echo
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
    echo
    echo "## Every judged number"
    echo
    echo "Every value of \`baseline.toml\` whose comment says \"judgement\" (\`python3 $here/judged.py $here/baseline.toml\`):"
    echo
    python3 "$here/judged.py" "$here/baseline.toml"
} > "$out/VALIDATION.md"

{
    cat "$report/findings-intro.md"
    echo
    echo "## 1. Does the war raise or lower the regime's survival? (the title question)"
    echo
    shown "$here/baseline.toml" "$here/no_war.toml" "$MAIN_RUNS" $SURVIVAL $RUSSIA $CHINA $OIL
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
    cat "$report/findings-h1.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_substitution.toml" "$RUNS" $SURVIVAL $OIL $CHINA
    shown "$here/baseline.toml" "$here/sanctions_relaxed.toml" "$RUNS" $SURVIVAL $OIL
    shown "$here/baseline.toml" "$here/sanctions_expanded.toml" "$RUNS" $SURVIVAL $OIL
    cat "$report/findings-h2.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_homophily.toml" "$RUNS" $SURVIVAL $CAMPS
    cat "$report/findings-h3.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_waning.toml" "$RUNS" $SURVIVAL $RUSSIA
    cat "$report/findings-h4.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_bidding.toml" "$RUNS" $SURVIVAL $CHINA
    shown "$here/baseline.toml" "$here/china_restraint.toml" "$RUNS" $SURVIVAL $CHINA
    cat "$report/findings-h5.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_outreach.toml" "$RUNS" $SURVIVAL $OIL
    shown "$here/baseline.toml" "$here/rapprochement.toml" "$RUNS" $SURVIVAL $OIL $CAMPS
    cat "$report/findings-h6.md"
    echo
    shown "$here/baseline.toml" "$here/dissuasion.toml" "$RUNS" $SURVIVAL $OIL $CHINA
    shown "$here/baseline.toml" "$here/ablations/no_tariffs_2025.toml" "$RUNS" $SURVIVAL $OIL
    shown "$here/baseline.toml" "$here/ablations/no_dissuasion.toml" "$RUNS" $SURVIVAL $OIL
    cat "$report/findings-h7.md"
    echo
    shown "$here/baseline.toml" "$here/ablations/no_revenue.toml" "$RUNS" $SURVIVAL
    shown "$here/baseline.toml" "$here/ablations/no_rosneft.toml" "$RUNS" $SURVIVAL
    shown "$here/baseline.toml" "$here/ablations/no_relaxation.toml" "$RUNS" $SURVIVAL $OIL
    cat "$report/findings-fall.md"
    echo
    echo "\`entente batch $here/baseline.toml --runs $MAIN_RUNS --format markdown\`, the conditional outcomes:"
    echo
    "$entente" batch "$here/baseline.toml" --runs "$MAIN_RUNS" --no-envelopes --format markdown 2>/dev/null |
        awk '/^\| outcome \|/ { print; getline; print; next }
            /^\| `[a-z_0-9]*_if_(survived|fell)` \|/ || /^\| `(survives_2030|vote_es11_[a-z]*_2022|vote_ven_2030)` \|/ { print }'
    echo
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
