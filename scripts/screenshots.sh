#!/usr/bin/env bash
# Regenerates the pictures of the report in docs/report/ from the flagship comparison:
#   flagship-answer.png   the report's first screen (the answer), in a 1400×1000 window
#   flagship-charts.png   the timeline, a probability chart, a fan chart, the forest plot, a
#                         distribution, its CDF and the two tie networks
#   arms-share-rus-2021-fan.svg   the fan chart the README shows
# Screenshots come from headless Chromium (Debian: `apt-get install chromium`), so they show
# what a browser draws, overlaps included. Not run by CI (it needs a browser); rerun after a
# change to the report or the flagship.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "scripts/screenshots.sh needs Chromium (Debian: apt-get install chromium)" >&2
    exit 1
fi
cargo build --release --locked -q
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

target/release/entente compare scenarios/venezuela/baseline.toml scenarios/venezuela/no_war.toml \
    --runs 20000 --quiet --report "$out/report.html"
mkdir -p docs/report
cp "$out/report-charts/arms-share-rus-2021-fan.svg" docs/report/

shot() { # shot PAGE WIDTH,HEIGHT PNG
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
        --window-size="$2" --screenshot="$3" "file://$1" >/dev/null 2>&1
}
shot "$out/report.html" 1400,1000 docs/report/flagship-answer.png

cat > "$out/charts.html" <<'PAGE'
<!DOCTYPE html>
<html><head><meta charset="utf-8"/><style>body{margin:8px;font-family:sans-serif}img{margin:4px;vertical-align:top}</style></head>
<body>
<img src="report-charts/venezuela-baseline-timeline.svg" width="1300"><br>
<img src="report-charts/survives-2030-probability.svg" width="640">
<img src="report-charts/chn-overtakes-rus-arms-fan.svg" width="640"><br>
<img src="report-charts/answer-forest.svg" width="1000"><br>
<img src="report-charts/ven-capacity-2030-distribution.svg" width="640">
<img src="report-charts/ven-capacity-2030-cdf.svg" width="640"><br>
<img src="report-charts/venezuela-baseline-network.svg" width="640">
<img src="report-charts/venezuela-no-war-network.svg" width="640">
</body></html>
PAGE
shot "$out/charts.html" 1400,2400 docs/report/flagship-charts.png
echo "docs/report/: flagship-answer.png, flagship-charts.png, arms-share-rus-2021-fan.svg"
