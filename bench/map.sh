#!/usr/bin/env bash
# Map import benchmark (not run in CI): trailatlas against ogr2ogr and osmium on the
# Liechtenstein fixture and on a generated state-size extract (examples/map_state.rs: the
# fixture tiled TILES times with shifted ids and coordinates).
#
#   bash bench/map.sh              # TILES=140: ~20 M nodes, ~650 k road ways; RUNS=3 each
#
# Wall time and peak RSS (/usr/bin/time -f '%e %M') of, per input:
#   trailatlas --db X map import FILE     (release build, fresh database)
#   ogr2ogr -f GPKG out.gpkg FILE         (GDAL's OSM driver: OSM into SQLite with R-trees)
#   osmium tags-filter -R FILE w/highway ... (read, filter, write: the floor)
#   trailatlas map import --around ROUTE  (one 25 km corridor route through the state file)
# Needs: gdal-bin osmium-tool time. Prints a markdown table (BENCHMARKS.md "map import").
set -euo pipefail
cd "$(dirname "$0")/.."
TILES=${TILES:-140}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d /tmp/trailatlas-map.XXXXXX)}
mkdir -p "$WORK"
export GDAL_PAM_ENABLED=NO
cargo build --release --bins --example map_state >&2
BIN=target/release/trailatlas
LI=../shared/fixtures/maps/liechtenstein-latest.osm.pbf
STATE=$WORK/state.osm.pbf
[ -f "$STATE" ] || target/release/examples/map_state "$STATE" "$TILES"
# Before each run: no output left from the last, and the corridor database holds only the route.
fresh() {
  rm -f "$WORK"/t.sqlite* "$WORK"/out.gpkg "$WORK"/hw.osm.pbf "$WORK"/c.sqlite*
  cp "$WORK/route.sqlite" "$WORK/c.sqlite"
}
# Runs a command RUNS times from fresh; prints the median wall time and the largest peak RSS
# (one run on this shared host varies by a second; the median of three does not, much).
measure() { # label, command...
  local label=$1; shift
  local walls=() rss=0
  for ((i = 0; i < RUNS; i++)); do
    fresh
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    read -r secs kb <"$WORK/time"
    walls+=("$secs")
    ((kb > rss)) && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  printf '| %s | %s s | %s MB | %s |\n' "$label" "$median" "$((rss / 1024))" "${walls[*]}"
}
# One route across the state file, for the corridor of 25 km.
cat >"$WORK/route.gpx" <<'GPX'
<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Across</name><trkseg>
<trkpt lat="47.1" lon="9.5"/><trkpt lat="48.0" lon="10.5"/><trkpt lat="49.0" lon="11.5"/></trkseg></trk></gpx>
GPX
rm -f "$WORK"/route.sqlite*
$BIN --db "$WORK/route.sqlite" import "$WORK/route.gpx" >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(date -u +%F)"
echo
echo "| run | median wall | peak RSS | each run |"
echo "|---|---|---|---|"
for f in "$LI" "$STATE"; do
  name=$(basename "$f")
  measure "trailatlas map import $name" $BIN --db "$WORK/t.sqlite" map import "$f"
  measure "ogr2ogr -f GPKG $name" ogr2ogr -f GPKG "$WORK/out.gpkg" "$f"
  # -R: no referenced objects. With them osmium keeps id sets sized by the id range, which
  # the generator's 10^10 id shifts per tile blow up (killed at 23.7 GB here): an artefact of
  # the generated file, so the floor is read-filter-write without them.
  measure "osmium tags-filter -R $name" osmium tags-filter -R -O -o "$WORK/hw.osm.pbf" "$f" w/highway w/waterway w/natural w/landuse n/amenity n/place n/natural
done
measure "trailatlas map import --around (25 km) state" $BIN --db "$WORK/c.sqlite" map import --around Across "$STATE"
cp "$WORK/c.sqlite" "$WORK/corridor.sqlite"
fresh
$BIN --db "$WORK/t.sqlite" map import "$STATE" >/dev/null
echo
echo "database sizes: whole $(du -m "$WORK/t.sqlite" | cut -f1) MB, corridor $(du -m "$WORK/corridor.sqlite" | cut -f1) MB; state file $(du -m "$STATE" | cut -f1) MB"
echo "roads stored: whole $(sqlite3 "$WORK/t.sqlite" 'select count(*) from map_roads'), corridor $(sqlite3 "$WORK/corridor.sqlite" 'select count(*) from map_roads')"
