#!/usr/bin/env python3
"""Writes data/sample-oregon-loop.gpx: the bundled sample route (generated, not surveyed).

A BaseCamp-style export of a made-up backcountry loop in central Oregon: one track that wanders
between real town locations, plus fuel, campground, water, viewpoint and checkpoint waypoints.
Deterministic: rerunning gives the same file. Run from the project root.
"""
import math, random

random.seed(42)
anchors = [  # (lat, lon, name) roughly along real roads; the line between them is invented
    (44.0582, -121.3153, "Bend"), (43.8716, -121.4470, "Sunriver"), (43.6970, -121.2360, "China Hat"),
    (43.3890, -121.0580, "Fort Rock"), (43.2130, -120.9660, "Silver Lake"), (43.2440, -120.6700, "Christmas Valley"),
    (43.5300, -120.5900, "Glass Butte"), (43.7890, -120.9000, "Millican Road"), (44.0582, -121.3153, "Bend"),
]
pts = []
t0 = 1_717_243_200  # 2024-06-01T12:00:00Z
for (a, b) in zip(anchors, anchors[1:]):
    lat0, lon0, _ = a
    lat1, lon1, _ = b
    dist = math.hypot((lat1 - lat0) * 111.0, (lon1 - lon0) * 80.0)
    n = max(50, int(dist / 0.08))  # a point every ~80 m
    wig = random.uniform(0.004, 0.01)
    waves = random.choice([3, 5, 7])
    for i in range(n):
        f = i / n
        off = wig * math.sin(f * math.pi * waves) * math.sin(f * math.pi)
        lat = lat0 + (lat1 - lat0) * f + off + random.gauss(0, 0.00003)
        lon = lon0 + (lon1 - lon0) * f - off + random.gauss(0, 0.00003)
        pts.append((lat, lon))
pts.append((anchors[-1][0], anchors[-1][1]))

def ele(lat, lon):
    return 1350 + 250 * math.sin(lat * 9) * math.cos(lon * 7) + 30 * math.sin(lon * 25)

wpts = [
    (44.0560, -121.3100, "Bend Chevron", "Gas Station", "Fuel"),
    (43.8700, -121.4440, "Sunriver Fuel", "Gas Station", "Fuel"),
    (43.2135, -120.9650, "Silver Lake Mercantile", "Gas Station", "Fuel"),
    (43.2445, -120.6705, "Christmas Valley Gas", "Gas Station", "Fuel"),
    (43.7300, -121.2500, "China Hat Campground", "Campground", "Camping"),
    (43.3900, -121.0600, "Fort Rock State Park Camp", "Campground", "Camping"),
    (43.5290, -120.5920, "Glass Butte Dispersed Camp", "Campground", "Camping"),
    (43.3400, -120.7800, "Crack in the Ground", "Scenic Area", "Sightseeing"),
    (43.2200, -120.9400, "Silver Lake Water", "Drinking Water", "Services"),
    (43.6000, -120.7000, "Cattle guard gate", "Gate", None),
]
# Checkpoints: lat/long printed in the book, placed on the track.
for i, frac in enumerate([0.12, 0.3, 0.48, 0.66, 0.85], start=1):
    lat, lon = pts[int(frac * (len(pts) - 1))]
    wpts.append((round(lat, 5), round(lon, 5), f"CP{i}", "Flag, Blue", "Checkpoint"))

out = ['<?xml version="1.0" encoding="UTF-8" standalone="no" ?>',
       '<gpx xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" '
       'creator="trailatlas sample generator" version="1.1">',
       '  <metadata><name>Sample Oregon Loop</name></metadata>']
for lat, lon, name, sym, cat in wpts:
    out.append(f'  <wpt lat="{lat:.6f}" lon="{lon:.6f}"><ele>{ele(lat, lon):.1f}</ele><name>{name}</name><sym>{sym}</sym><type>user</type>')
    if cat:
        out.append(f'    <extensions><gpxx:WaypointExtension><gpxx:Categories><gpxx:Category>{cat}</gpxx:Category></gpxx:Categories></gpxx:WaypointExtension></extensions>')
    out.append('  </wpt>')
out.append('  <trk><name>Sample Oregon Loop</name><desc>Generated sample: Bend, Fort Rock, Christmas Valley, Glass Butte.</desc>')
out.append('    <extensions><gpxx:TrackExtension><gpxx:DisplayColor>Magenta</gpxx:DisplayColor></gpxx:TrackExtension></extensions>')
out.append('    <trkseg>')
for i, (lat, lon) in enumerate(pts):
    ts = t0 + i * 6
    stamp = __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(ts))
    out.append(f'      <trkpt lat="{lat:.6f}" lon="{lon:.6f}"><ele>{ele(lat, lon):.1f}</ele><time>{stamp}</time></trkpt>')
out.append('    </trkseg>\n  </trk>\n</gpx>\n')
open("data/sample-oregon-loop.gpx", "w").write("\n".join(out))
print(len(pts), "track points,", len(wpts), "waypoints")

# A replayable NMEA log of a drive along the first ~40 km of the loop, one fix a second at
# about 50 km/h, for demos (`--gps replay:data/sample-drive.nmea@10`) and tests.
def nmea(body):
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"${body}*{cs:02X}"

def dm(value, lat):
    a = abs(value)
    d = int(a)
    m = (a - d) * 60
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    return (f"{d:02d}{m:07.4f}" if lat else f"{d:03d}{m:07.4f}"), hemi

lines = []
t = 1_717_243_200
step = 0.2  # track points per second at ~80 m spacing gives ~16 m/s... keep 1 point / 5 s
i = 0.0
while i < min(len(pts) - 2, 500):
    k = int(i)
    f = i - k
    lat = pts[k][0] + (pts[k + 1][0] - pts[k][0]) * f
    lon = pts[k][1] + (pts[k + 1][1] - pts[k][1]) * f
    dlat = (pts[k + 1][0] - pts[k][0]) * 111_320
    dlon = (pts[k + 1][1] - pts[k][1]) * 111_320 * math.cos(math.radians(lat))
    course = (math.degrees(math.atan2(dlon, dlat)) + 360) % 360
    hms = __import__("time").strftime("%H%M%S", __import__("time").gmtime(t))
    dmy = __import__("time").strftime("%d%m%y", __import__("time").gmtime(t))
    la, lah = dm(lat, True)
    lo, loh = dm(lon, False)
    lines.append(nmea(f"GPRMC,{hms}.00,A,{la},{lah},{lo},{loh},27.0,{course:.1f},{dmy},,,A"))
    lines.append(nmea(f"GPGGA,{hms}.00,{la},{lah},{lo},{loh},1,09,0.9,{ele(lat, lon):.1f},M,-21.0,M,,"))
    t += 1
    i += step
open("data/sample-drive.nmea", "w").write("\r\n".join(lines) + "\r\n")
print(len(lines) // 2, "NMEA fixes")
