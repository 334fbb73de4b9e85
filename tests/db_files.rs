//! Hostile database files through the real binary: `--db` that is not SQLite, a truncated
//! database, a database from a newer version, and SIGKILLs while a fresh database's schema
//! is being created. Each fails with one clear line and leaves the file's bytes alone, or
//! (for kills) leaves a database that the next run opens and completes.
//! Opening every released schema version (`data/db/`) is in `store.rs`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use trailatlas::store::Store;

use crate::generator::Rng;
use crate::support::bin;

fn info(db: &Path) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(["info", "--json"])
        .output()
        .unwrap()
}

/// `info` on `db` fails with exit 1 and one stderr line containing `needle`, and the file's
/// bytes are unchanged.
fn check_refused(db: &Path, needle: &str) {
    let before = std::fs::read(db).unwrap();
    let out = info(db);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(
        std::fs::read(db).unwrap() == before,
        "the file was modified"
    );
}

#[test]
fn a_gpx_file_given_as_the_database_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("route.gpx");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-andorra-loop.gpx"),
        &db,
    )
    .unwrap();
    check_refused(&db, "not a database");
}

#[test]
fn random_bytes_as_the_database_are_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("junk.sqlite");
    let mut rng = Rng::new(3);
    let bytes: Vec<u8> = (0..8192).map(|_| (rng.next_f64() * 256.0) as u8).collect();
    std::fs::write(&db, bytes).unwrap();
    check_refused(&db, "not a database");
}

#[test]
fn a_truncated_database_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("cut.sqlite");
    let full =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/db/v1.sqlite")).unwrap();
    // Keep the header page: SQLite sees a database whose pages are missing.
    std::fs::write(&db, &full[..full.len() / 3]).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = info(&db);
    let err = String::from_utf8_lossy(&out.stderr);
    // Either refused with one line, or (if only free pages were cut) opened; never a panic.
    if out.status.success() {
        eprintln!(
            "truncated database still opened: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    } else {
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            std::fs::read(&db).unwrap() == before,
            "the file was modified"
        );
    }
}

#[test]
fn a_database_from_a_newer_version_is_refused_by_the_cli_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("future.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    check_refused(&db, "newer");
}

/// A fresh database killed while its schema is created: the next run opens it, finishes the
/// schema, and imports into it; nothing half-created is left behind.
#[test]
fn sigkill_while_the_schema_is_created_leaves_a_database_that_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-andorra-loop.gpx");
    // How long creating a database takes, to spread the kills over it.
    let probe = tmp.path().join("probe.sqlite");
    let t = std::time::Instant::now();
    assert!(info(&probe).status.success());
    let create = t.elapsed();
    let mut rng = Rng::new(77);
    let mut schema_states = std::collections::BTreeSet::new();
    for k in 0..20 {
        let db = tmp.path().join(format!("s{k}.sqlite"));
        let mut child = Command::new(bin())
            .arg("--db")
            .arg(&db)
            .args(["info", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(
            create
                .mul_f64(rng.next_f64())
                .max(Duration::from_micros(100)),
        );
        let _ = child.kill();
        let _ = child.wait();
        if db.exists() {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let v: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .unwrap();
            // A step is one transaction: no tables without the version, or the reverse.
            assert_eq!(
                v == 0,
                tables == 0,
                "run {k}: version {v} with {tables} schema rows"
            );
            schema_states.insert(v);
        }
        let out = Command::new(bin())
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg(&sample)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        assert_eq!(store.info().unwrap().files, 1);
    }
    eprintln!("schema versions seen after kills: {schema_states:?} (create takes {create:?})");
}
