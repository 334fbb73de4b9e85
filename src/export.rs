//! GPX 1.1 writer with the Garmin `gpxx` extensions the reader understands, so a file read by
//! `import` and written here reads back equal.
//!
//! Written with quick-xml's `Writer`: the `gpx` crate cannot write Garmin extensions
//! (categories, address, display colours, route shaping points), so it is only used in tests,
//! as an independent reader of what we write. Not for reading (see `import`) and not for
//! choosing what to export (the caller builds the [`GpxData`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

use crate::core::model::{GpxData, LatLon, LineMeta, Route, Track, TrackPoint, Waypoint};
use crate::import::format_time_ms;

const GPX_NS: &str = "http://www.topografix.com/GPX/1/1";
const GPXX_NS: &str = "http://www.garmin.com/xmlschemas/GpxExtensions/v3";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const SCHEMA_LOCATION: &str = "http://www.topografix.com/GPX/1/1 \
    http://www.topografix.com/GPX/1/1/gpx.xsd \
    http://www.garmin.com/xmlschemas/GpxExtensions/v3 \
    http://www8.garmin.com/xmlschemas/GpxExtensionsv3.xsd";
/// Written when the data has no creator.
const DEFAULT_CREATOR: &str = "trailatlas";

/// Why a GPX file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing to the output failed.
    #[error("cannot write GPX: {0}")]
    Io(#[from] io::Error),
    /// A position is NaN, infinite or out of range, which GPX cannot hold.
    #[error("cannot write GPX: {what} has an invalid position (lat {lat}, lon {lon})")]
    InvalidPosition {
        /// Which point, e.g. `waypoint 3` or `track 1 segment 0 point 7`.
        what: String,
        /// Latitude as given.
        lat: f64,
        /// Longitude as given.
        lon: f64,
    },
}

/// Writes `data` as GPX 1.1 (UTF-8, two-space indent) with the Garmin `gpxx` namespace.
pub fn write_gpx<W: Write>(w: W, data: &GpxData) -> Result<(), ExportError> {
    validate(data)?;
    let mut xw = Writer::new_with_indent(w, b' ', 2);
    xw.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let creator = data.creator.as_deref().unwrap_or(DEFAULT_CREATOR);
    let root = BytesStart::new("gpx").with_attributes([
        ("version", "1.1"),
        ("creator", creator),
        ("xmlns", GPX_NS),
        ("xmlns:gpxx", GPXX_NS),
        ("xmlns:xsi", XSI_NS),
        ("xsi:schemaLocation", SCHEMA_LOCATION),
    ]);
    xw.write_event(Event::Start(root.borrow()))?;
    if let Some(name) = &data.name {
        xw.create_element("metadata")
            .write_inner_content(|w| text_el(w, "name", Some(name)))?;
    }
    for wpt in &data.waypoints {
        write_point(&mut xw, "wpt", wpt, &[])?;
    }
    for rte in &data.routes {
        write_route(&mut xw, rte)?;
    }
    for trk in &data.tracks {
        write_track(&mut xw, trk)?;
    }
    xw.write_event(Event::End(root.to_end()))?;
    let mut inner = xw.into_inner();
    inner.write_all(b"\n")?;
    inner.flush()?;
    Ok(())
}

/// Writes `data` to a new file at `path` (replacing it).
pub fn write_gpx_file(path: &Path, data: &GpxData) -> Result<(), ExportError> {
    let f = File::create(path)?;
    write_gpx(BufWriter::new(f), data)
}

fn validate(data: &GpxData) -> Result<(), ExportError> {
    let check = |p: LatLon, what: &dyn Fn() -> String| {
        if p.is_valid() {
            Ok(())
        } else {
            Err(ExportError::InvalidPosition {
                what: what(),
                lat: p.lat,
                lon: p.lon,
            })
        }
    };
    for (i, w) in data.waypoints.iter().enumerate() {
        check(w.pos, &|| format!("waypoint {i}"))?;
    }
    for (r, rte) in data.routes.iter().enumerate() {
        for (i, p) in rte.points.iter().enumerate() {
            check(p.wpt.pos, &|| format!("route {r} point {i}"))?;
            for (j, s) in p.shaping.iter().enumerate() {
                check(*s, &|| format!("route {r} point {i} shaping point {j}"))?;
            }
        }
    }
    for (t, trk) in data.tracks.iter().enumerate() {
        for (s, seg) in trk.segments.iter().enumerate() {
            for (i, p) in seg.iter().enumerate() {
                check(p.pos, &|| format!("track {t} segment {s} point {i}"))?;
            }
        }
    }
    Ok(())
}

fn text_el<W: Write>(w: &mut Writer<W>, name: &str, text: Option<&str>) -> io::Result<()> {
    if let Some(t) = text {
        w.create_element(name)
            .write_text_content(BytesText::new(t))?;
    }
    Ok(())
}

fn lat_lon_attrs(p: LatLon) -> [(String, String); 2] {
    [
        ("lat".into(), p.lat.to_string()),
        ("lon".into(), p.lon.to_string()),
    ]
}

fn start_with_pos(name: &str, p: LatLon) -> BytesStart<'_> {
    let attrs = lat_lon_attrs(p);
    let mut s = BytesStart::new(name);
    for (k, v) in &attrs {
        s.push_attribute((k.as_str(), v.as_str()));
    }
    s
}

/// A `<wpt>` or `<rtept>`, with its Garmin extensions and (for route points) shaping points.
fn write_point<W: Write>(
    w: &mut Writer<W>,
    tag: &str,
    p: &Waypoint,
    shaping: &[LatLon],
) -> io::Result<()> {
    let start = start_with_pos(tag, p.pos);
    w.write_event(Event::Start(start.borrow()))?;
    text_el(w, "ele", p.ele_m.map(|e| e.to_string()).as_deref())?;
    text_el(w, "time", p.time_ms.map(format_time_ms).as_deref())?;
    text_el(w, "name", p.name.as_deref())?;
    text_el(w, "cmt", p.cmt.as_deref())?;
    text_el(w, "desc", p.desc.as_deref())?;
    text_el(w, "sym", p.sym.as_deref())?;
    text_el(w, "type", p.type_.as_deref())?;
    let has_wpt_ext = !p.categories.is_empty() || p.address.is_some();
    if has_wpt_ext || !shaping.is_empty() {
        w.create_element("extensions").write_inner_content(|w| {
            if has_wpt_ext {
                w.create_element("gpxx:WaypointExtension")
                    .write_inner_content(|w| {
                        if !p.categories.is_empty() {
                            w.create_element("gpxx:Categories")
                                .write_inner_content(|w| {
                                    for c in &p.categories {
                                        text_el(w, "gpxx:Category", Some(c))?;
                                    }
                                    Ok(())
                                })?;
                        }
                        if let Some(a) = &p.address {
                            // The model keeps the address as one line; it reads back the same.
                            w.create_element("gpxx:Address").write_inner_content(|w| {
                                text_el(w, "gpxx:StreetAddress", Some(a))
                            })?;
                        }
                        Ok(())
                    })?;
            }
            if !shaping.is_empty() {
                w.create_element("gpxx:RoutePointExtension")
                    .write_inner_content(|w| {
                        for s in shaping {
                            w.write_event(Event::Empty(start_with_pos("gpxx:rpt", *s)))?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    }
    w.write_event(Event::End(start.to_end()))?;
    Ok(())
}

/// The `name` .. `type` children shared by `<trk>` and `<rte>`, then the colour extension.
fn write_line_meta<W: Write>(w: &mut Writer<W>, m: &LineMeta, ext: &str) -> io::Result<()> {
    text_el(w, "name", m.name.as_deref())?;
    text_el(w, "cmt", m.cmt.as_deref())?;
    text_el(w, "desc", m.desc.as_deref())?;
    text_el(w, "number", m.number.map(|n| n.to_string()).as_deref())?;
    text_el(w, "type", m.type_.as_deref())?;
    if let Some(color) = &m.display_color {
        w.create_element("extensions").write_inner_content(|w| {
            w.create_element(ext).write_inner_content(|w| {
                if ext == "gpxx:RouteExtension" {
                    // Required by the gpxx schema; BaseCamp and devices expect it.
                    text_el(w, "gpxx:IsAutoNamed", Some("false"))?;
                }
                text_el(w, "gpxx:DisplayColor", Some(color))
            })?;
            Ok(())
        })?;
    }
    Ok(())
}

fn write_route<W: Write>(w: &mut Writer<W>, r: &Route) -> io::Result<()> {
    w.create_element("rte").write_inner_content(|w| {
        write_line_meta(w, &r.meta, "gpxx:RouteExtension")?;
        for p in &r.points {
            write_point(w, "rtept", &p.wpt, &p.shaping)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_track<W: Write>(w: &mut Writer<W>, t: &Track) -> io::Result<()> {
    w.create_element("trk").write_inner_content(|w| {
        write_line_meta(w, &t.meta, "gpxx:TrackExtension")?;
        for seg in &t.segments {
            if seg.is_empty() {
                w.write_event(Event::Empty(BytesStart::new("trkseg")))?;
                continue;
            }
            w.create_element("trkseg").write_inner_content(|w| {
                for p in seg {
                    write_track_point(w, p)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_track_point<W: Write>(w: &mut Writer<W>, p: &TrackPoint) -> io::Result<()> {
    let start = start_with_pos("trkpt", p.pos);
    if p.ele_m.is_none() && p.time_ms.is_none() {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start.borrow()))?;
    text_el(w, "ele", p.ele_m.map(|e| e.to_string()).as_deref())?;
    text_el(w, "time", p.time_ms.map(format_time_ms).as_deref())?;
    w.write_event(Event::End(start.to_end()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::RoutePoint;
    use crate::import::{Collect, read_bytes};

    fn export(data: &GpxData) -> String {
        let mut out = Vec::new();
        if let Err(e) = write_gpx(&mut out, data) {
            panic!("{e}");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    fn reread(text: &str) -> GpxData {
        let mut c = Collect::default();
        if let Err(e) = read_bytes(Path::new("out.gpx"), text.as_bytes(), &mut c) {
            panic!("{e}\n{text}");
        }
        c.data
    }

    fn sample() -> GpxData {
        let wpt = Waypoint {
            pos: LatLon::new(38.329195976257324, -123.04363489151001),
            ele_m: Some(12.5),
            time_ms: Some(1_690_479_435_123),
            name: Some("76 <Bodega> & \"Bay\"".into()),
            cmt: Some("line 1\nline 2".into()),
            desc: Some("d".into()),
            sym: Some("Gas Station".into()),
            type_: Some("user".into()),
            categories: vec!["Fuel".into(), "Stops".into()],
            address: Some("900 Highway 1, Bodega Bay".into()),
            kind: crate::core::kinds::classify(&Waypoint {
                sym: Some("Gas Station".into()),
                ..Waypoint::default()
            }),
        };
        GpxData {
            creator: Some("test".into()),
            name: Some("Trip".into()),
            waypoints: vec![wpt.clone()],
            tracks: vec![Track {
                meta: LineMeta {
                    name: Some("T".into()),
                    number: Some(3),
                    display_color: Some("Red".into()),
                    ..LineMeta::default()
                },
                segments: vec![
                    vec![],
                    vec![
                        TrackPoint {
                            pos: LatLon::new(1.0, 2.0),
                            ele_m: None,
                            time_ms: None,
                        },
                        TrackPoint {
                            pos: LatLon::new(-1.5, 179.9),
                            ele_m: Some(-3.0),
                            time_ms: Some(0),
                        },
                    ],
                ],
            }],
            routes: vec![Route {
                meta: LineMeta {
                    name: Some("R".into()),
                    display_color: Some("Magenta".into()),
                    ..LineMeta::default()
                },
                points: vec![
                    RoutePoint {
                        wpt: wpt.clone(),
                        shaping: vec![LatLon::new(38.4, -123.1), LatLon::new(38.5, -123.2)],
                    },
                    RoutePoint {
                        wpt: Waypoint {
                            pos: LatLon::new(38.6, -123.3),
                            ..Waypoint::default()
                        },
                        shaping: vec![],
                    },
                ],
            }],
        }
    }

    #[test]
    fn round_trips_every_field() {
        let data = sample();
        assert_eq!(reread(&export(&data)), data);
    }

    #[test]
    fn declares_gpxx_and_writes_garmin_extensions() {
        let text = export(&sample());
        assert!(text.contains("xmlns:gpxx=\"http://www.garmin.com/xmlschemas/GpxExtensions/v3\""));
        assert!(text.contains("<gpxx:DisplayColor>Magenta</gpxx:DisplayColor>"));
        assert!(text.contains("<gpxx:rpt lat=\"38.4\" lon=\"-123.1\"/>"));
        assert!(text.contains("<time>2023-07-27T17:37:15.123Z</time>"));
        assert!(text.contains("<time>1970-01-01T00:00:00Z</time>"));
    }

    #[test]
    fn gpx_crate_reads_the_output() {
        let text = export(&sample());
        let g = gpx::read(text.as_bytes());
        let Ok(g) = g else { panic!("{g:?}\n{text}") };
        assert_eq!(g.waypoints.len(), 1);
        assert_eq!(
            g.waypoints[0].name.as_deref(),
            Some("76 <Bodega> & \"Bay\"")
        );
        assert_eq!(g.routes[0].points.len(), 2);
        assert_eq!(g.tracks[0].segments.len(), 2);
    }

    #[test]
    fn invalid_positions_are_refused() {
        let mut data = sample();
        data.tracks[0].segments[1][1].pos.lat = f64::NAN;
        let e = write_gpx(Vec::new(), &data).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("track 0 segment 1 point 1")));
    }

    #[test]
    fn empty_data_is_a_valid_empty_gpx() {
        let text = export(&GpxData::default());
        assert!(text.contains("creator=\"trailatlas\""));
        let back = reread(&text);
        assert_eq!(back.creator.as_deref(), Some("trailatlas"));
        assert!(back.waypoints.is_empty() && back.tracks.is_empty() && back.routes.is_empty());
    }
}
