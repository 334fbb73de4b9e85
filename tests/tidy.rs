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

/// The crate names of a `[section]` of Cargo.toml (dashes as underscores, as code names them).
fn manifest_section(section: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let mut inside = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{section}]");
            continue;
        }
        if !inside || t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = t.split_once('=') {
            names.push(name.trim().replace('-', "_"));
        }
    }
    names
}

/// True when code (not comments) under one of `dirs` names `krate` as a path (`krate::`)
/// or in a `use`.
fn names_crate(dirs: &[&str], krate: &str) -> bool {
    let pats = [
        format!("{krate}::"),
        format!("use {krate}"),
        format!("{krate}!"),
    ];
    dirs.iter().any(|d| {
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(d), &mut files);
        files.iter().any(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| {
                let code = l.trim_start();
                !code.starts_with("//")
                    && pats.iter().any(|p| {
                        code.match_indices(p.as_str()).any(|(i, _)| {
                            // Not a longer name ending in this one (`my_geo::`), nor a module
                            // of our own (`super::nmea::`, `gps::nmea::`).
                            code[..i]
                                .chars()
                                .next_back()
                                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        })
                    })
            })
        })
    })
}

// Issue 15, defect 6: `nmea` was in [dependencies] with nothing using it. Every dependency is
// named by the code that needs it: [dependencies] by src/, [dev-dependencies] by tests,
// benches or examples.
#[test]
fn every_dependency_is_used_where_cargo_toml_says() {
    // None in flight now: the map and terrain import landed.
    const IN_FLIGHT: &[&str] = &[];
    let deps = manifest_section("dependencies");
    assert!(deps.len() > 10, "{deps:?}");
    let unused: Vec<&String> = deps
        .iter()
        .filter(|d| !IN_FLIGHT.contains(&d.as_str()) && !names_crate(&["src"], d))
        .collect();
    assert!(
        unused.is_empty(),
        "[dependencies] that src/ never names: {unused:?}"
    );
    let dev = manifest_section("dev-dependencies");
    let unused: Vec<&String> = dev
        .iter()
        .filter(|d| !names_crate(&["tests", "benches", "examples", "src"], d))
        .collect();
    assert!(
        unused.is_empty(),
        "[dev-dependencies] never named: {unused:?}"
    );
    // Only for tests (an oracle), so not in [dependencies].
    let test_only: Vec<&String> = deps
        .iter()
        .filter(|d| {
            names_crate(&["tests", "benches"], d)
                && !IN_FLIGHT.contains(&d.as_str())
                && !src_outside_tests_names(d)
        })
        .collect();
    assert!(
        test_only.is_empty(),
        "[dependencies] only tests use (make them dev-dependencies): {test_only:?}"
    );
}

/// True when src/ names `krate` outside its `#[cfg(test)]` modules (which sit at the end of
/// each file here).
fn src_outside_tests_names(krate: &str) -> bool {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.iter().any(|f| {
        let text = std::fs::read_to_string(f).unwrap();
        let body = text.split("#[cfg(test)]").next().unwrap_or("");
        body.lines().any(|l| {
            let code = l.trim_start();
            !code.starts_with("//")
                && (code.contains(&format!("{krate}::")) || code.contains(&format!("use {krate}")))
                && code
                    .find(&format!("{krate}::"))
                    .or_else(|| code.find(&format!("use {krate}")))
                    .is_some_and(|i| {
                        code[..i]
                            .chars()
                            .next_back()
                            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    })
        })
    })
}
