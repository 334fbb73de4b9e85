#!/usr/bin/env python3
"""Builds the bundled sample trip from real data: data/sample-andorra-loop.gpx and
data/sample-drive.nmea, from data/andorra.osm.pbf (OpenStreetMap, ODbL) and
data/N42E001.hgt.zip (SRTM, public domain).

The route is planned over the map's real road graph: drivable `highway=*` ways, split at the
nodes they share, one-way streets respected, access=no/private left out. Legs between via
points (real fuel stations, a real camp site, two passes) are found with Dijkstra; a metre of
track or unpaved road costs less than a metre of asphalt, and a road already driven costs
more, so the loop takes dirt where it can and does not come back the way it went.
Every track point lies on an OSM way (way nodes, plus points interpolated on the straight
pieces between them); elevations are bilinear in the SRTM tile; times follow a driving speed
per road type. The GPX is written as a route package's file looks (BaseCamp-style): Garmin
`gpxx` extensions (DisplayColor, waypoint categories), waypoints with Garmin `sym` names
("Gas Station", "Campground", "Summit", "Flag, Blue" for the lettered checkpoints, whose
names and comments carry their coordinates), one track. The NMEA log is GGA + RMC at 1 Hz
along the first part of the track, for `--gps replay:data/sample-drive.nmea@10`.

Needs Python 3 (standard library only) and the `osmium` command (osmium-tool), which reads
the PBF. Deterministic: rerunning gives the same files. Run from the project root:

    python3 data/make_sample.py
"""
import heapq
import math
import struct
import subprocess
import sys
import time
import zipfile

PBF = "data/andorra.osm.pbf"
HGT_ZIP = "data/N42E001.hgt.zip"
GPX_OUT = "data/sample-andorra-loop.gpx"
NMEA_OUT = "data/sample-drive.nmea"
NAME = "Sample Andorra Loop"

# Drivable highway values and how much a metre of each costs (tracks and unpaved roads are what
# the trip is for, so they are cheap; town streets are dear).
COST = {
    "track": 0.45, "unclassified": 0.8, "tertiary": 0.9, "tertiary_link": 0.9,
    "secondary": 1.0, "secondary_link": 1.0, "primary": 1.15, "primary_link": 1.15,
    "trunk": 1.3, "trunk_link": 1.3, "motorway": 1.5, "motorway_link": 1.5,
    "road": 1.0, "residential": 1.4, "living_street": 2.0, "service": 1.6,
}
UNPAVED = {"unpaved", "gravel", "dirt", "ground", "compacted", "fine_gravel", "earth",
           "grass", "mud", "sand", "pebblestone", "rock"}
# Driving speed, km/h, by highway value (tracks slow, mountain main roads moderate).
SPEED = {"track": 18, "unclassified": 32, "residential": 28, "living_street": 15,
         "service": 20, "tertiary": 40, "secondary": 45, "primary": 55, "trunk": 60}
REUSE = 6.0           # cost factor of a road already driven on this trip
STEP_M = 40.0         # track points at most this far apart
EARTH_R = 6_371_008.8
T0 = 1_780_304_400    # 2026-06-01T09:00:00Z

# Via points, in order: (label, lon, lat). Each snaps to the nearest road node.
VIA = [
    ("Andorra la Vella fuel", 1.52435, 42.5046824),
    ("Track above Santa Coloma", 1.5001, 42.5214),
    ("Camping Xixerella", 1.4880767, 42.5518067),
    ("Ordino", 1.5330, 42.5560),
    ("Coll d'Ordino", 1.5760, 42.5560),
    ("Canillo fuel", 1.6400616, 42.57958),
    ("Track below Envalira", 1.7217, 42.5649),
    ("Port d'Envalira", 1.7180, 42.5400),
    ("Pas de la Casa fuel", 1.7306629, 42.5466649),
    ("Cami de les Pardines (track)", 1.5901, 42.5288),
    ("Encamp fuel", 1.5595241, 42.5220951),
    ("Andorra la Vella fuel", 1.52435, 42.5046824),
]


def unescape(s):
    """OPL escapes: %hex% stands for one character."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "%":
            j = s.index("%", i + 1)
            out.append(chr(int(s[i + 1:j], 16)))
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def tags_of(field):
    tags = {}
    if field:
        for kv in field.split(","):
            if "=" in kv:
                k, v = kv.split("=", 1)
                tags[unescape(k)] = unescape(v)
    return tags


def read_osm():
    """Nodes (id -> lon, lat), POI nodes with tags, and highway ways (tags, node ids)."""
    text = subprocess.run(["osmium", "cat", "-f", "opl", PBF], check=True,
                          capture_output=True, text=True).stdout
    nodes, pois, ways = {}, [], []
    for line in text.splitlines():
        fields = {f[0]: f[1:] for f in line.split(" ") if f}
        if line.startswith("n"):
            nid = int(line[1:].split(" ", 1)[0])
            if "x" not in fields or not fields["x"]:
                continue
            lon, lat = float(fields["x"]), float(fields["y"])
            nodes[nid] = (lon, lat)
            t = tags_of(fields.get("T", ""))
            if (t.get("amenity") == "fuel" or t.get("tourism") == "camp_site"
                    or (t.get("place") in ("city", "town", "village") and "name" in t)):
                pois.append((nid, lon, lat, t))
        elif line.startswith("w"):
            t = tags_of(fields.get("T", ""))
            if "highway" in t:
                refs = [int(r[1:]) for r in fields.get("N", "").split(",") if r]
                ways.append((int(line[1:].split(" ", 1)[0]), t, refs))
    return nodes, pois, ways


def haversine(a, b):
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_R * math.asin(min(1.0, math.sqrt(h)))


def drivable(t):
    if t.get("highway") not in COST:
        return False
    if t.get("access") in ("no", "private") or t.get("motor_vehicle") in ("no", "private"):
        return False
    if t.get("motorcar") in ("no", "private") or t.get("area") == "yes":
        return False
    return True


def way_factor(t):
    f = COST[t["highway"]]
    if t.get("surface") in UNPAVED or t.get("tracktype") in ("grade2", "grade3", "grade4", "grade5"):
        f = min(f, 0.55)
    return f


def build_graph(nodes, ways):
    """Ways split at shared nodes into edges: adjacency node -> [(edge id, other node)]."""
    use = {}
    good = [(wid, t, [r for r in refs if r in nodes]) for wid, t, refs in ways if drivable(t)]
    for _, _, refs in good:
        for r in set(refs):
            use[r] = use.get(r, 0) + 1
        if refs:
            use[refs[0]] = use.get(refs[0], 0) + 1
            use[refs[-1]] = use.get(refs[-1], 0) + 1
    edges, adj = [], {}
    for wid, t, refs in good:
        oneway = t.get("oneway") in ("yes", "true", "1") or t.get("junction") == "roundabout"
        backward = t.get("oneway") == "-1"
        start = 0
        for i in range(1, len(refs)):
            if use.get(refs[i], 0) > 1 or i == len(refs) - 1:
                piece = refs[start:i + 1]
                length = sum(haversine(nodes[a], nodes[b]) for a, b in zip(piece, piece[1:]))
                eid = len(edges)
                edges.append({"way": wid, "tags": t, "nodes": piece, "length": length})
                u, v = piece[0], piece[-1]
                if not backward:
                    adj.setdefault(u, []).append((eid, v, False))
                if not oneway:
                    adj.setdefault(v, []).append((eid, u, True))
                start = i
    return edges, adj


def dijkstra(adj, edges, used, src, dst):
    """Cheapest path src -> dst: [(edge id, reversed)]."""
    best = {src: 0.0}
    prev = {}
    heap = [(0.0, src)]
    while heap:
        c, u = heapq.heappop(heap)
        if u == dst:
            break
        if c > best.get(u, math.inf):
            continue
        for eid, v, rev in adj.get(u, ()):
            e = edges[eid]
            w = e["length"] * way_factor(e["tags"]) * (REUSE if eid in used else 1.0)
            if c + w < best.get(v, math.inf):
                best[v] = c + w
                prev[v] = (u, eid, rev)
                heapq.heappush(heap, (c + w, v))
    if dst not in prev and src != dst:
        raise SystemExit(f"no road from node {src} to node {dst}")
    path, at = [], dst
    while at != src:
        u, eid, rev = prev[at]
        path.append((eid, rev))
        at = u
    path.reverse()
    return path


class Dem:
    """The SRTM tile: 1201 x 1201 big-endian int16, row 0 at the north edge."""

    def __init__(self, path):
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.lower().endswith(".hgt"))
            raw = z.read(name)
        self.n = int(math.isqrt(len(raw) // 2))
        self.v = struct.unpack(f">{self.n * self.n}h", raw)
        base = name.rsplit("/", 1)[-1]
        self.lat0 = int(base[1:3]) * (1 if base[0] in "Nn" else -1)
        self.lon0 = int(base[4:7]) * (1 if base[3] in "Ee" else -1)

    def at(self, lon, lat):
        n = self.n - 1
        x = (lon - self.lon0) * n
        y = (self.lat0 + 1 - lat) * n
        c, r = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - c, y - r
        acc = wsum = 0.0
        for dr, dc, w in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                          (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
            rr, cc = min(max(r + dr, 0), n), min(max(c + dc, 0), n)
            h = self.v[rr * self.n + cc]
            if h != -32768 and w > 0:
                acc += h * w
                wsum += w
        return acc / wsum if wsum > 0 else None


def nearest_node(adj, nodes, lon, lat):
    return min((n for n in adj), key=lambda n: haversine(nodes[n], (lon, lat)))


def dm(value, lat):
    a = abs(value)
    d = int(a)
    m = (a - d) * 60
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    return hemi, d, m


def coord_text(lon, lat):
    """Degrees and decimal minutes, as route packages print them: N42 30.281 E001 31.461."""
    h1, d1, m1 = dm(lat, True)
    h2, d2, m2 = dm(lon, False)
    return f"{h1}{d1:02d} {m1:06.3f} {h2}{d2:03d} {m2:06.3f}"


def xml(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    nodes, pois, ways = read_osm()
    edges, adj = build_graph(nodes, ways)
    dem = Dem(HGT_ZIP)
    vias = [nearest_node(adj, nodes, lon, lat) for _, lon, lat in VIA]
    used, legs = set(), []
    for a, b in zip(vias, vias[1:]):
        leg = dijkstra(adj, edges, used, a, b)
        used.update(eid for eid, _ in leg)
        legs.append(leg)
        print(f"leg to node {b}: {sum(edges[e]['length'] for e, _ in leg) / 1000:.1f} km", file=sys.stderr)

    # The track: way nodes in order, densified on the straight pieces, with the speed of each.
    pts = []  # (lon, lat, speed_kmh, way id, highway)
    for leg in legs:
        for eid, rev in leg:
            e = edges[eid]
            ids = list(reversed(e["nodes"])) if rev else e["nodes"]
            hw = e["tags"]["highway"]
            kmh = SPEED.get(hw.replace("_link", ""), 30)
            if e["tags"].get("surface") in UNPAVED:
                kmh = min(kmh, 25)
            for a, b in zip(ids, ids[1:]):
                pa, pb = nodes[a], nodes[b]
                k = max(1, math.ceil(haversine(pa, pb) / STEP_M))
                for j in range(k):
                    f = j / k
                    p = (pa[0] + (pb[0] - pa[0]) * f, pa[1] + (pb[1] - pa[1]) * f)
                    if not pts or (pts[-1][0], pts[-1][1]) != p:
                        pts.append((p[0], p[1], kmh, e["way"], hw))
    last = nodes[vias[-1]]
    pts.append((last[0], last[1], pts[-1][2], pts[-1][3], pts[-1][4]))

    # Along-track distance, time and elevation of every point.
    along, times, eles = [0.0], [T0], []
    for p, q in zip(pts, pts[1:]):
        d = haversine(p[:2], q[:2])
        along.append(along[-1] + d)
        times.append(times[-1] + d / (p[2] / 3.6))
    for p in pts:
        eles.append(dem.at(p[0], p[1]))
    total_m = along[-1]
    known = [e for e in eles if e is not None]
    climb = sum(max(0.0, b - a) for a, b in zip(known, known[1:]))

    def nearest_on_track(lon, lat):
        i = min(range(len(pts)), key=lambda i: haversine(pts[i][:2], (lon, lat)))
        return i, haversine(pts[i][:2], (lon, lat))

    # Waypoints: fuel stations the track passes (within 150 m), camp sites within 1.5 km,
    # the highest point, lettered checkpoints every ~15 km.
    places = [(lon, lat, t["name"]) for _, lon, lat, t in pois if "place" in t]

    def place_of(lon, lat):
        return min(places, key=lambda p: haversine(p[:2], (lon, lat)))[2]

    wpts, names = [], set()

    def unique(name):
        n, k = name, 2
        while n in names:
            n, k = f"{name} {k}", k + 1
        names.add(n)
        return n

    for nid, lon, lat, t in pois:
        if t.get("amenity") == "fuel":
            i, d = nearest_on_track(lon, lat)
            if d <= 150:
                brand = t.get("name") or t.get("operator") or "Fuel"
                name = unique(f"{brand} {place_of(lon, lat)}")
                wpts.append((along[i], lon, lat, name, "Gas Station", "Fuel",
                             f"fuel at km {along[i] / 1000:.1f}; OSM node {nid}"))
        elif t.get("tourism") == "camp_site":
            i, d = nearest_on_track(lon, lat)
            if d <= 1500:
                name = unique(t.get("name") or f"Camp site {place_of(lon, lat)}")
                wpts.append((along[i], lon, lat, name, "Campground", "Camping",
                             f"OSM node {nid}, {d:.0f} m off the track"))
    top = max(range(len(pts)), key=lambda i: eles[i] if eles[i] is not None else -1e9)
    wpts.append((along[top], pts[top][0], pts[top][1], f"High point {eles[top]:.0f} m",
                 "Summit", "Sightseeing", "highest point of the loop (SRTM)"))
    letters = "ABCDEFGHIJ"
    n_cp = max(3, min(len(letters), int(total_m // 15000)))
    for k in range(n_cp):
        target = total_m * (k + 0.5) / n_cp
        i = min(range(len(pts)), key=lambda i: abs(along[i] - target))
        lon, lat = pts[i][0], pts[i][1]
        c = coord_text(lon, lat)
        wpts.append((along[i], lon, lat, f"CP {letters[k]} {c}", "Flag, Blue", "Checkpoint",
                     f"Checkpoint {letters[k]}: {c}, km {along[i] / 1000:.1f}"))
    wpts.sort(key=lambda w: (w[0], w[3]))

    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no" ?>',
           '<gpx xmlns="http://www.topografix.com/GPX/1/1" '
           'xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'creator="trailatlas data/make_sample.py" version="1.1" '
           'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 '
           'http://www.topografix.com/GPX/1/1/gpx.xsd http://www.garmin.com/xmlschemas/GpxExtensions/v3 '
           'http://www8.garmin.com/xmlschemas/GpxExtensionsv3.xsd">',
           f'  <metadata><name>{NAME}</name>'
           '<desc>Built from OpenStreetMap data (c) OpenStreetMap contributors, ODbL; '
           'elevations from SRTM (public domain).</desc>'
           f'<time>{iso(T0)}</time></metadata>']
    for _, lon, lat, name, sym, cat, cmt in wpts:
        e = dem.at(lon, lat)
        ele = f"<ele>{e:.1f}</ele>" if e is not None else ""
        out.append(f'  <wpt lat="{lat:.7f}" lon="{lon:.7f}">{ele}<name>{xml(name)}</name>'
                   f'<cmt>{xml(cmt)}</cmt><sym>{sym}</sym><type>{cat}</type>')
        out.append('    <extensions><gpxx:WaypointExtension><gpxx:DisplayMode>SymbolAndName'
                   f'</gpxx:DisplayMode><gpxx:Categories><gpxx:Category>{cat}</gpxx:Category>'
                   '</gpxx:Categories></gpxx:WaypointExtension></extensions>')
        out.append('  </wpt>')
    out.append(f'  <trk><name>{NAME}</name>')
    out.append(f'    <desc>{total_m / 1000:.1f} km loop on OSM roads and tracks from Andorra la Vella: '
               "Sant Julia, Coll de la Gallina, La Massana, Coll d'Ordino, Canillo, Port d'Envalira, "
               f'Pas de la Casa, Encamp; {climb:.0f} m of climbing.</desc>')
    out.append('    <extensions><gpxx:TrackExtension><gpxx:DisplayColor>Magenta</gpxx:DisplayColor>'
               '</gpxx:TrackExtension></extensions>')
    out.append('    <trkseg>')
    for p, t, e in zip(pts, times, eles):
        ele = f"<ele>{e:.1f}</ele>" if e is not None else ""
        out.append(f'      <trkpt lat="{p[1]:.7f}" lon="{p[0]:.7f}">{ele}<time>{iso(round(t))}</time></trkpt>')
    out.append('    </trkseg>')
    out.append('  </trk>')
    out.append('</gpx>')
    with open(GPX_OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")

    # The drive log: one fix a second along the track, for the first DRIVE_S seconds.
    drive_s = 2500
    lines, k = [], 0
    for s in range(drive_s):
        t = T0 + s
        while k + 1 < len(times) - 1 and times[k + 1] <= t:
            k += 1
        if times[k + 1] <= t:
            break
        f = (t - times[k]) / (times[k + 1] - times[k])
        (lon0, lat0), (lon1, lat1) = pts[k][:2], pts[k + 1][:2]
        lon, lat = lon0 + (lon1 - lon0) * f, lat0 + (lat1 - lat0) * f
        e0, e1 = eles[k], eles[k + 1]
        ele = (e0 + (e1 - e0) * f) if e0 is not None and e1 is not None else (e0 or e1 or 0.0)
        dy = (lat1 - lat0) * 111_320
        dx = (lon1 - lon0) * 111_320 * math.cos(math.radians(lat))
        course = (math.degrees(math.atan2(dx, dy)) + 360) % 360
        knots = pts[k][2] / 1.852
        hms = time.strftime("%H%M%S", time.gmtime(t))
        dmy = time.strftime("%d%m%y", time.gmtime(t))
        h1, d1, m1 = dm(lat, True)
        h2, d2, m2 = dm(lon, False)
        la, lo = f"{d1:02d}{m1:07.4f},{h1}", f"{d2:03d}{m2:07.4f},{h2}"
        lines.append(nmea(f"GPRMC,{hms}.00,A,{la},{lo},{knots:.1f},{course:.1f},{dmy},,,A"))
        lines.append(nmea(f"GPGGA,{hms}.00,{la},{lo},1,09,0.9,{ele:.1f},M,49.6,M,,"))
    with open(NMEA_OUT, "w", encoding="ascii", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")

    fuel = [w for w in wpts if w[4] == "Gas Station"]
    camps = [w for w in wpts if w[4] == "Campground"]
    share = {}
    for p, q, a in zip(pts, pts[1:], range(len(pts))):
        d = along[a + 1] - along[a]
        share[p[4]] = share.get(p[4], 0.0) + d
    print(f"{GPX_OUT}: {len(pts)} points, {total_m / 1000:.1f} km, climb {climb:.0f} m, "
          f"{len(fuel)} fuel, {len(camps)} camp sites, {len(wpts)} waypoints, "
          f"{(times[-1] - T0) / 3600:.1f} h")
    print("by highway:", ", ".join(f"{k} {v / 1000:.1f} km" for k, v in sorted(share.items(), key=lambda x: -x[1])))
    print(f"{NMEA_OUT}: {len(lines) // 2} fixes")
    driven = {}
    for leg in legs:
        for eid, _ in leg:
            driven[eid] = driven.get(eid, 0) + 1
    twice = sum(edges[e]["length"] * (n - 1) for e, n in driven.items() if n > 1)
    print(f"driven twice: {twice / 1000:.1f} km")


def nmea(body):
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"${body}*{cs:02X}"


if __name__ == "__main__":
    sys.exit(main())
