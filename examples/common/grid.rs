//! The benchmark network and drive shared by `match_bench` and `match_store_bench`: an
//! `n × n` grid of 500 m blocks, every block side its own way with three bends (as OSM splits
//! streets at crossings), classes by line; and a drive up and down its columns at 15 m a
//! second with 5 to 15 m of GPS noise.

use trailatlas::core::model::LatLon;

pub const BLOCK_M: f64 = 500.0;

/// xorshift64*: the same network and noise every run.
pub struct Rng(pub u64);
impl Rng {
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn offset(p: LatLon, e: f64, n: f64) -> LatLon {
    LatLon {
        lat: p.lat + n / 111_319.49,
        lon: p.lon + e / (111_319.49 * p.lat.to_radians().cos()),
    }
}

pub const ORIGIN: LatLon = LatLon {
    lat: 43.0,
    lon: -122.0,
};

/// Grid crossing (i east, j north).
pub fn node(i: usize, j: usize) -> LatLon {
    offset(ORIGIN, i as f64 * BLOCK_M, j as f64 * BLOCK_M)
}

/// The `highway` value of grid line `line`.
pub fn class_of(line: usize) -> &'static str {
    match line % 4 {
        0 => "secondary",
        1 => "track",
        2 => "unclassified",
        _ => "residential",
    }
}

/// A way: its crossings' grid indices (i, j) at both ends, its geometry, its highway.
pub type Way = ((usize, usize), (usize, usize), Vec<LatLon>, &'static str);

/// Every way of the grid.
pub fn ways(n: usize, rng: &mut Rng) -> Vec<Way> {
    let mut out = Vec::with_capacity(2 * (n + 1) * n);
    for line in 0..=n {
        for horizontal in [true, false] {
            for b in 0..n {
                let (ia, ib) = if horizontal {
                    ((b, line), (b + 1, line))
                } else {
                    ((line, b), (line, b + 1))
                };
                let (a, z) = (node(ia.0, ia.1), node(ib.0, ib.1));
                let mut g = vec![a];
                for k in 1..4 {
                    let f = k as f64 / 4.0;
                    let p = LatLon {
                        lat: a.lat + (z.lat - a.lat) * f,
                        lon: a.lon + (z.lon - a.lon) * f,
                    };
                    g.push(offset(p, 6.0 * rng.unit() - 3.0, 6.0 * rng.unit() - 3.0));
                }
                g.push(z);
                out.push((ia, ib, g, class_of(line)));
            }
        }
    }
    out
}

/// `points` log points up and down the grid's columns, 15 m apart, 5 to 15 m off.
pub fn drive(n: usize, points: usize, rng: &mut Rng) -> Vec<LatLon> {
    let mut truth: Vec<LatLon> = Vec::new();
    'outer: for col in 0..n {
        let rows: Vec<usize> = if col % 2 == 0 {
            (0..=n).collect()
        } else {
            (0..=n).rev().collect()
        };
        for j in rows {
            truth.push(node(col, j));
            if truth.len() * (BLOCK_M as usize / 15) > points + 1000 {
                break 'outer;
            }
        }
        truth.push(node(col + 1, if col % 2 == 0 { n } else { 0 }));
    }
    let mut pts = Vec::with_capacity(points);
    for w in truth.windows(2) {
        let d = trailatlas::core::geodesy::distance_m(w[0], w[1]);
        let k_n = (d / 15.0).ceil() as usize;
        for k in 0..k_n {
            let f = k as f64 / k_n as f64;
            let p = LatLon {
                lat: w[0].lat + (w[1].lat - w[0].lat) * f,
                lon: w[0].lon + (w[1].lon - w[0].lon) * f,
            };
            let a = rng.unit() * std::f64::consts::TAU;
            let r = 5.0 + 10.0 * rng.unit();
            pts.push(offset(p, r * a.sin(), r * a.cos()));
            if pts.len() == points {
                return pts;
            }
        }
    }
    pts
}
