//! Tidy checks: the architecture invariants of ARCHITECTURE.md, enforced by grep.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines of code (not comments) in `dir` that mention any of `forbidden`.
fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for word in forbidden {
                if code.contains(word) {
                    bad.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    bad
}

#[test]
fn core_is_pure() {
    let bad = offenders(
        "src/core",
        &[
            "rusqlite",
            "quick_xml",
            "gpx::",
            "krilla",
            "egui",
            "eframe",
            "std::fs",
            "std::net",
            "SystemTime",
            "Instant::now",
            "anyhow",
        ],
    );
    assert!(bad.is_empty(), "core must stay pure:\n{}", bad.join("\n"));
}

#[test]
fn scene_draws_nothing_itself_and_reads_no_database() {
    let bad = offenders(
        "src/scene",
        &["rusqlite", "krilla", "egui", "eframe", "std::fs", "anyhow"],
    );
    assert!(
        bad.is_empty(),
        "scene must stay backend-free:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_the_store_speaks_sql() {
    let mut bad = Vec::new();
    for dir in [
        "src/core",
        "src/import",
        "src/scene",
        "src/render",
        "src/gps",
        "src/cli",
        "src/app",
    ] {
        bad.extend(offenders(
            dir,
            &["rusqlite", "SELECT ", "INSERT INTO", "CREATE TABLE"],
        ));
    }
    assert!(bad.is_empty(), "SQL outside src/store:\n{}", bad.join("\n"));
}

#[test]
fn libraries_do_not_use_anyhow() {
    let mut bad = Vec::new();
    for dir in [
        "src/core",
        "src/import",
        "src/store",
        "src/scene",
        "src/render",
        "src/gps",
    ] {
        bad.extend(offenders(dir, &["anyhow"]));
    }
    assert!(
        bad.is_empty(),
        "anyhow belongs to cli/app:\n{}",
        bad.join("\n")
    );
}

#[test]
fn panels_never_touch_the_store_or_files() {
    let bad = offenders(
        "src/ui",
        &[
            "store::",
            "Store",
            "rusqlite",
            "std::fs",
            "import_file",
            "anyhow",
        ],
    );
    assert!(
        bad.is_empty(),
        "ui panels read the Model and push Commands; only app touches the store:\n{}",
        bad.join("\n")
    );
}
