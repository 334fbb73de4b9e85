//! Import benchmark (issue 2): a generated 1,000,000-point GPX file (~100 MB, 10,000
//! waypoints), timed in one run against the references: a bare quick-xml scan of the file and
//! `gpx::read`. Each measurement runs in its own child process so its peak resident memory
//! (from `wait4`) is its own.
//!
//! `cargo bench --bench import` (add `-- --points N` for another size).

#![allow(unsafe_code)] // wait4 for the children's peak RSS; std does not expose it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "child.rs"]
mod child;
#[path = "../tests/gen.rs"]
mod generator;

use child::{best_of, measure};

/// Child: a bare quick-xml pass over the file (events only, nothing kept).
fn child_scan(path: &Path) {
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(
        1 << 16,
        std::fs::File::open(path).unwrap(),
    ));
    let mut buf = Vec::new();
    let mut events = 0u64;
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            quick_xml::events::Event::Eof => break,
            _ => events += 1,
        }
        buf.clear();
    }
    println!("{events} events");
}

/// Child: `gpx::read`, the whole file into memory.
fn child_gpx(path: &Path) {
    let gpx = gpx::read(BufReader::new(std::fs::File::open(path).unwrap())).unwrap();
    let points: usize = gpx
        .tracks
        .iter()
        .flat_map(|t| &t.segments)
        .map(|s| s.points.len())
        .sum();
    println!("{points} points, {} waypoints", gpx.waypoints.len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let what = &args[i + 1];
        let path = PathBuf::from(&args[i + 2]);
        match what.as_str() {
            "scan" => child_scan(&path),
            "gpx" => child_gpx(&path),
            other => panic!("unknown child {other}"),
        }
        return;
    }
    let points: usize = args
        .iter()
        .position(|a| a == "--points")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let file = generator::bench_gpx(points);
    let dir = file.parent().unwrap().to_path_buf();
    let mb = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;
    let me = std::env::current_exe().unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_trailatlas"));
    // Warm the page cache so every contender reads from memory.
    let mut r = BufReader::new(std::fs::File::open(&file).unwrap());
    while !r.fill_buf().unwrap().is_empty() {
        let n = r.buffer().len();
        r.consume(n);
    }

    let scan = best_of(3, || {
        let mut c = Command::new(&me);
        c.args(["--child", "scan"]).arg(&file);
        measure(c)
    });
    let gpx = best_of(2, || {
        let mut c = Command::new(&me);
        c.args(["--child", "gpx"]).arg(&file);
        measure(c)
    });
    let import = best_of(3, || {
        let db = dir.join("bench.sqlite");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
        let mut c = Command::new(&bin);
        c.arg("--db").arg(&db).arg("import").arg(&file);
        measure(c)
    });
    println!(
        "file: {} ({mb:.1} MB, {points} track points, 10000 waypoints)",
        file.display()
    );
    println!("| step | wall s | MB/s | peak RSS MB | ratio to bare scan |");
    println!("|---|---|---|---|---|");
    for (name, r) in [
        ("bare quick-xml scan", &scan),
        ("gpx::read", &gpx),
        ("trailatlas import (parse+classify+store+index)", &import),
    ] {
        println!(
            "| {name} | {:.2} | {:.0} | {:.0} | {:.2}x |",
            r.secs,
            mb / r.secs,
            r.peak_rss_mb,
            r.secs / scan.secs
        );
    }
    println!(
        "import vs gpx::read: {:.2}x faster; import vs bare scan: {:.2}x (target <= 2.5x); import peak RSS {:.0} MB (target < 64 MB)",
        gpx.secs / import.secs,
        import.secs / scan.secs,
        import.peak_rss_mb
    );
}
