#!/usr/bin/env bash
# Startup of the real app window to its first frame on screen, on the 1,000,000-point
# database the app benchmark builds (run `cargo bench --bench app` first), under Xvfb.
# Prints first_frame_ms (from process start) and peak RSS per run.
set -euo pipefail
cd "$(dirname "$0")/.."
db=target/bench-data/app-1000000.sqlite
[ -f "$db" ] || { echo "run cargo bench --bench app first (it builds $db)"; exit 1; }
cargo build --release --quiet
display=:93
Xvfb $display -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb' EXIT
sleep 1
tmp=$(mktemp -d)
cp "$db" "$tmp/app.sqlite"
for i in 1 2 3 4 5; do
  DISPLAY=$display TRAILATLAS_EXIT_AFTER_FIRST_FRAME=1 \
    /usr/bin/time -f "peak_rss_kb=%M" target/release/trailatlas --db "$tmp/app.sqlite" 2>&1 \
    | grep -E "first_frame_ms|peak_rss_kb" | tr '\n' ' '
  echo
done
rm -rf "$tmp"
