//! Packing of line points into BLOBs: 32 bytes a point, little-endian
//! (lat f64, lon f64, ele f64 or NaN, time i64 or `i64::MIN`).

use crate::core::model::{LatLon, TrackPoint};

use super::StoreError;

/// Bytes per packed point.
pub const POINT_BYTES: usize = 32;

/// Appends `p` to `buf`.
pub fn pack(buf: &mut Vec<u8>, p: &TrackPoint) {
    buf.extend_from_slice(&p.pos.lat.to_le_bytes());
    buf.extend_from_slice(&p.pos.lon.to_le_bytes());
    buf.extend_from_slice(&p.ele_m.unwrap_or(f64::NAN).to_le_bytes());
    buf.extend_from_slice(&p.time_ms.unwrap_or(i64::MIN).to_le_bytes());
}

fn word(chunk: &[u8], i: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    if let Some(s) = chunk.get(i * 8..i * 8 + 8) {
        w.copy_from_slice(s);
    }
    w
}

/// The first and last positions of a BLOB written by [`pack`]; `None` when it holds no point.
pub fn first_last(blob: &[u8]) -> Option<(LatLon, LatLon)> {
    let first = blob.get(..POINT_BYTES)?;
    let last = blob.get(blob.len().checked_sub(POINT_BYTES)?..)?;
    let pos = |c: &[u8]| {
        LatLon::new(
            f64::from_le_bytes(word(c, 0)),
            f64::from_le_bytes(word(c, 1)),
        )
    };
    Some((pos(first), pos(last)))
}

/// Unpacks a BLOB written by [`pack`], appending to `out`.
pub fn unpack_into(blob: &[u8], out: &mut Vec<TrackPoint>) -> Result<(), StoreError> {
    if !blob.len().is_multiple_of(POINT_BYTES) {
        return Err(StoreError::Corrupt(format!(
            "point blob of {} bytes is not a multiple of {POINT_BYTES}",
            blob.len()
        )));
    }
    out.reserve(blob.len() / POINT_BYTES);
    for c in blob.chunks_exact(POINT_BYTES) {
        let ele = f64::from_le_bytes(word(c, 2));
        let time = i64::from_le_bytes(word(c, 3));
        out.push(TrackPoint {
            pos: LatLon::new(
                f64::from_le_bytes(word(c, 0)),
                f64::from_le_bytes(word(c, 1)),
            ),
            ele_m: (!ele.is_nan()).then_some(ele),
            time_ms: (time != i64::MIN).then_some(time),
        });
    }
    Ok(())
}

/// Unpacks only positions and elevations (NaN where unknown) of a BLOB written by [`pack`]:
/// what drawing needs, at a third of the memory of [`TrackPoint`]s.
pub fn unpack_path_into(
    blob: &[u8],
    pos: &mut Vec<LatLon>,
    ele: &mut Vec<f32>,
) -> Result<(), StoreError> {
    if !blob.len().is_multiple_of(POINT_BYTES) {
        return Err(StoreError::Corrupt(format!(
            "point blob of {} bytes is not a multiple of {POINT_BYTES}",
            blob.len()
        )));
    }
    pos.reserve(blob.len() / POINT_BYTES);
    ele.reserve(blob.len() / POINT_BYTES);
    for c in blob.chunks_exact(POINT_BYTES) {
        pos.push(LatLon::new(
            f64::from_le_bytes(word(c, 0)),
            f64::from_le_bytes(word(c, 1)),
        ));
        ele.push(f64::from_le_bytes(word(c, 2)) as f32);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_keeps_missing_values_missing() {
        let pts = [
            TrackPoint {
                pos: LatLon::new(44.1, -121.3),
                ele_m: Some(1234.5),
                time_ms: Some(1_700_000_000_123),
            },
            TrackPoint {
                pos: LatLon::new(-0.0, 180.0),
                ele_m: None,
                time_ms: None,
            },
        ];
        let mut buf = Vec::new();
        for p in &pts {
            pack(&mut buf, p);
        }
        let mut out = Vec::new();
        unpack_into(&buf, &mut out).unwrap();
        assert_eq!(out, pts);
    }

    #[test]
    fn a_torn_blob_is_reported_not_panicked_on() {
        let mut out = Vec::new();
        assert!(unpack_into(&[0u8; 33], &mut out).is_err());
    }
}
