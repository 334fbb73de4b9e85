//! Reads GPX files and prints counts or the error (a manual check and timing tool).
fn main() {
    for arg in std::env::args().skip(1) {
        let mut sink = trailatlas::import::Collect::default();
        let t = std::time::Instant::now();
        match trailatlas::import::read_file(std::path::Path::new(&arg), &mut sink) {
            Ok(c) => println!("{arg}: {c:?} in {:?}", t.elapsed()),
            Err(e) => println!("{e}"),
        }
    }
}
