//! Writes a database in the current schema filled with the generated sample data, for the
//! upgrade tests in `data/db/` (run once per released schema version, then never again):
//! `cargo run --example make_db_fixture -- data/db/v1.sqlite`.

#[path = "../tests/gen.rs"]
mod generator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: make_db_fixture OUT.sqlite")?;
    let mut store = trailatlas::store::Store::open(std::path::Path::new(&out))?;
    let report = store.import_data("sample.gpx", &generator::sample_data());
    if let Some(e) = report.error {
        return Err(e.into());
    }
    let id = store.begin_drive("Sample drive", 1_700_000_000_000)?;
    store.append_drive_points(
        id,
        &generator::wander(trailatlas::core::model::LatLon::new(44.5, -121.0), 300, 3),
    )?;
    drop(store);
    // Fold the WAL into the main file so the fixture is one self-contained file.
    let conn = rusqlite::Connection::open(&out)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    println!("wrote {out}");
    Ok(())
}
