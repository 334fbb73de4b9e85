//! GPX reader speed (in memory, criterion) against a bare quick-xml event scan of the same bytes (the floor).
//! Target: `import/read_bytes` within 2.5x of `import/bare_scan`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quick_xml::Reader;
use quick_xml::events::Event;
use trailatlas::import::{Discard, read_bytes};

/// A Garmin-like track: lat/lon/ele/time on every point, plus some waypoints.
fn generate(points: u32) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"bench\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\">\n",
    );
    for i in 0..points / 100 {
        s.push_str(&format!(
            "  <wpt lat=\"{:.7}\" lon=\"{:.7}\"><name>W{i}</name><sym>Gas Station</sym></wpt>\n",
            10.0 + f64::from(i) * 1e-4,
            20.0 + f64::from(i) * 1e-4
        ));
    }
    s.push_str("  <trk><name>big</name><trkseg>\n");
    for i in 0..points {
        let f = f64::from(i);
        s.push_str(&format!(
            "    <trkpt lat=\"{:.9}\" lon=\"{:.9}\"><ele>{:.1}</ele><time>2019-05-01T{:02}:{:02}:{:02}Z</time></trkpt>\n",
            47.0 + f * 1e-6,
            11.0 + f * 1e-6,
            800.0 + (f * 0.01).sin() * 100.0,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60
        ));
    }
    s.push_str("  </trkseg></trk>\n</gpx>\n");
    s.into_bytes()
}

fn bare_scan(bytes: &[u8]) -> u64 {
    let mut r = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        match r.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(_) | Event::Empty(_)) => n += 1,
            Ok(_) => {}
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let bytes = generate(50_000);
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("bare_scan", |b| b.iter(|| bare_scan(black_box(&bytes))));
    g.bench_function("read_bytes", |b| {
        b.iter(|| {
            let mut sink = Discard::default();
            let counts = read_bytes(Path::new("bench.gpx"), black_box(&bytes), &mut sink);
            black_box((counts.ok(), sink.lat_sum))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
