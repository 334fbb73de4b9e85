//! Import speed and memory check on a generated GPX file (see BENCHMARKS.md, section import).
//!
//! `cargo run --example import_speed -- gen FILE [POINTS]` writes a test file;
//! `cargo run --example import_speed -- scan FILE` times a bare quick-xml event scan;
//! `cargo run --example import_speed -- import FILE` times `import::read_file` into a counting sink.
//! Run the two modes under `/usr/bin/time -v` to compare peak memory.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use quick_xml::Reader;
use quick_xml::events::Event;
use trailatlas::import::{Discard, read_file};

fn generate(path: &Path, points: u64) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        w,
        "<gpx version=\"1.1\" creator=\"gen\" xmlns=\"http://www.topografix.com/GPX/1/1\">"
    )?;
    for i in 0..points / 100 {
        let f = i as f64;
        writeln!(
            w,
            "  <wpt lat=\"{:.7}\" lon=\"{:.7}\"><name>W{i}</name><sym>Gas Station</sym></wpt>",
            10.0 + f * 1e-4,
            20.0 + f * 1e-4
        )?;
    }
    writeln!(w, "  <trk><name>big</name><trkseg>")?;
    let t0 = 1_556_685_071i64;
    for i in 0..points {
        let f = i as f64;
        let s = t0 + i as i64;
        let (h, m, sec) = ((s / 3600) % 24, (s / 60) % 60, s % 60);
        writeln!(
            w,
            "    <trkpt lat=\"{:.9}\" lon=\"{:.9}\"><ele>{:.1}</ele><time>2019-05-01T{h:02}:{m:02}:{sec:02}Z</time></trkpt>",
            47.0 + f * 1e-6,
            11.0 + f * 1e-6,
            800.0 + (f * 0.01).sin() * 100.0
        )?;
    }
    writeln!(w, "  </trkseg></trk>\n</gpx>")?;
    w.flush()
}

fn scan(path: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let f = std::fs::File::open(path)?;
    let mut r = Reader::from_reader(BufReader::with_capacity(64 * 1024, f));
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        match r.read_event_into(&mut buf)? {
            Event::Eof => break,
            Event::Start(_) | Event::Empty(_) => n += 1,
            _ => {}
        }
    }
    Ok(n)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: import_speed gen|scan|import FILE [POINTS]");
        std::process::exit(2);
    };
    let path = Path::new(file);
    let t = Instant::now();
    match mode.as_str() {
        "gen" => {
            let points = args
                .get(2)
                .and_then(|p| p.parse().ok())
                .unwrap_or(1_000_000);
            generate(path, points)?;
            println!("generated {points} points in {:?}", t.elapsed());
        }
        "scan" => {
            let n = scan(path)?;
            println!("scan: {n} elements in {:.3} s", t.elapsed().as_secs_f64());
        }
        "import" => {
            let mut sink = Discard::default();
            let c = read_file(path, &mut sink)?;
            println!(
                "import: {} track points, {} waypoints in {:.3} s (check {:.1})",
                c.track_points,
                c.waypoints,
                t.elapsed().as_secs_f64(),
                sink.lat_sum
            );
        }
        _ => eprintln!("unknown mode {mode}"),
    }
    Ok(())
}
