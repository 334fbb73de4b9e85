#!/usr/bin/env bash
# Peer benchmark (not run in CI): trailatlas against GDAL and GPSBabel on generated GPX.
#
#   bash bench/peers.sh                 # 10k, 100k and 1M points, 10,000 waypoints each
#   SIZES="10000 100000" bash bench/peers.sh
#
# Import: wall time and peak RSS (/usr/bin/time -f '%e %M') of
#   trailatlas --db X import FILE        (release build, a fresh database each time)
#   ogr2ogr -f GPKG out.gpkg FILE        (GDAL, all GPX layers into a GeoPackage)
#   gpsbabel -i gpx -f FILE -o gpx -F /dev/null   (read and write)
#   gpx::read alone                      (examples/peers.rs gpx; parse only, no storage)
# Nearest waypoint: QUERIES seeded positions, 5 nearest each, on the largest size's data:
#   trailatlas: core::nearest::WaypointIndex over the store's waypoints (examples/peers.rs
#     nearest, in process),
#     and `trailatlas nearest` when that command exists (one process per query);
#   GeoPackage: the rtree_waypoints_geom R-tree in the ogr2ogr output through sqlite3, a
#     +-0.15 degree window then ORDER BY distance LIMIT 5 (GeoPackage has no k-NN).
# Needs: apt-get install gdal-bin gpsbabel sqlite3 time
# Prints a markdown table; BENCHMARKS.md section "peers" holds one run's output.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10000 100000 1000000"}
WAYPOINTS=${WAYPOINTS:-10000}
QUERIES=${QUERIES:-10000}
WORK=${WORK:-$(mktemp -d /tmp/trailatlas-peers.XXXXXX)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

for tool in ogr2ogr gpsbabel sqlite3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install gdal-bin gpsbabel sqlite3)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet --bin trailatlas --example peers
TA=$CARGO_TARGET_DIR/release/trailatlas
PEERS=$CARGO_TARGET_DIR/release/examples/peers

# measure NAME CMD... -> sets S (seconds) and KB (peak RSS); aborts loudly on failure.
measure() {
  local name=$1; shift
  if ! /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
    echo "$name failed: $*" >&2; cat "$WORK/err.txt" >&2; exit 1
  fi
  read -r S KB <"$WORK/time.txt"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }'; }

echo "Machine: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(rustc --version | cut -d' ' -f2), GDAL $(gdal-config --version 2>/dev/null || ogr2ogr --version | cut -d' ' -f2 | tr -d ,), $(gpsbabel -V 2>/dev/null | grep -o 'Version [0-9.]*' | head -1)"
echo "Work dir: $WORK"
echo
echo "| points (+$WAYPOINTS wpts) | file MB | trailatlas import | ogr2ogr → GPKG | gpsbabel gpx→gpx | gpx::read only | ogr2ogr / trailatlas | gpsbabel / trailatlas |"
echo "|---|---|---|---|---|---|---|---|"
LAST=""
for n in $SIZES; do
  f=$WORK/peers-$n.gpx
  [ -s "$f" ] || "$PEERS" gen "$f" "$n" "$WAYPOINTS" >/dev/null
  size_mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.1f", b / 1e6 }')
  rm -f "$WORK/ta-$n.sqlite"*
  measure trailatlas "$TA" --db "$WORK/ta-$n.sqlite" import "$f"; ta_s=$S; ta_kb=$KB
  rm -f "$WORK/ogr-$n.gpkg"
  measure ogr2ogr ogr2ogr -f GPKG "$WORK/ogr-$n.gpkg" "$f"; ogr_s=$S; ogr_kb=$KB
  measure gpsbabel gpsbabel -i gpx -f "$f" -o gpx -F /dev/null; gb_s=$S; gb_kb=$KB
  measure gpx "$PEERS" gpx "$f"; gx_s=$S; gx_kb=$KB
  echo "| $n | $size_mb | ${ta_s} s, $(mb "$ta_kb") MB | ${ogr_s} s, $(mb "$ogr_kb") MB | ${gb_s} s, $(mb "$gb_kb") MB | ${gx_s} s, $(mb "$gx_kb") MB | $(ratio "$ogr_s" "$ta_s") time, $(ratio "$ogr_kb" "$ta_kb") mem | $(ratio "$gb_s" "$ta_s") time, $(ratio "$gb_kb" "$ta_kb") mem |"
  LAST=$n
done

echo
q=$WORK/queries.txt
"$PEERS" queries "$q" "$QUERIES"
# trailatlas in-process: the R-tree over the store's waypoints.
"$PEERS" nearest "$WORK/ta-$LAST.sqlite" "$q" 5 >"$WORK/nearest.txt"
ta_us=$(grep -o '[0-9.]* us/query' "$WORK/nearest.txt" | cut -d' ' -f1)
# GeoPackage R-tree via sqlite3: one process, all queries.
sql=$WORK/queries.sql
kx=$(awk 'BEGIN { printf "%.6f", cos(44 * 3.14159265 / 180) ^ 2 }')
awk -F, -v kx="$kx" '{ printf "SELECT count(*) FROM (SELECT r.id FROM rtree_waypoints_geom r WHERE r.minx BETWEEN %f AND %f AND r.miny BETWEEN %f AND %f ORDER BY (r.minx-(%f))*(r.minx-(%f))*%s + (r.miny-(%f))*(r.miny-(%f)) LIMIT 5);\n", $2-0.15, $2+0.15, $1-0.15, $1+0.15, $2, $2, kx, $1, $1 }' "$q" >"$sql"
measure sqlite3 sqlite3 "$WORK/ogr-$LAST.gpkg" ".read $sql"
short=$(grep -cv '^5$' "$WORK/out.txt" || true)
gp_us=$(awk -v s="$S" -v n="$QUERIES" 'BEGIN { printf "%.2f", s * 1e6 / n }')
echo "| nearest 5 of $WAYPOINTS waypoints, $QUERIES queries | time per query |"
echo "|---|---|"
echo "| trailatlas WaypointIndex (rstar, in process; $(grep -o 'load+index [0-9.]* s' "$WORK/nearest.txt")) | ${ta_us} µs |"
if "$TA" nearest --help >/dev/null 2>&1; then
  head -n 50 "$q" >"$WORK/q50.txt"
  start=$(date +%s.%N)
  while IFS= read -r at; do "$TA" --db "$WORK/ta-$LAST.sqlite" nearest --at "$at" -n 5 --json >/dev/null; done <"$WORK/q50.txt"
  end=$(date +%s.%N)
  cli_ms=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) * 1000 / 50 }')
  echo "| trailatlas nearest CLI (one process per query, 50 queries) | ${cli_ms} ms |"
fi
echo "| GeoPackage rtree_waypoints_geom via sqlite3 (one process, incl. startup; $short of $QUERIES windows held < 5) | ${gp_us} µs |"
echo "| ratio GeoPackage / trailatlas in-process | $(ratio "$gp_us" "$ta_us") |"
