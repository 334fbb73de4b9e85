//! Bad input through the real binary: each hostile or broken file is imported between two
//! good files in ONE `trailatlas import` invocation. The bad file fails with one line naming
//! it (with `line:col` where the reader knows it), the good files import, nothing of the bad
//! file is stored, and the process's peak memory stays bounded.
//! Reader-level cases (encodings, positions, entities) are in `import.rs`; this is end to end.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::generator::Rng;
use crate::support::bin;

/// Peak resident memory allowed for an import that meets a 100 MB element.
const MAX_RSS_KB: u64 = 80 * 1024;

/// What one `trailatlas import --json` run left behind.
struct Run {
    code: i32,
    json: Value,
    stderr: String,
    peak_rss_kb: u64,
}

/// Runs `trailatlas --db DB ARGS...`, measuring the child's peak RSS: its own `VmHWM` (see
/// `cli::PEAK_RSS_ENV`), else `wait4`'s, which also counts this (large) test process.
// The child is reaped by `wait4`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_measured(db: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let mut child = Command::new(bin())
        .env(trailatlas::cli::PEAK_RSS_ENV, "1")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let (status, wait4_kb) = wait4(child.id());
    let stdout = out_t.join().unwrap();
    let json = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    let stderr = err_t.join().unwrap();
    let peak_rss_kb = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(wait4_kb);
    Run {
        code: status,
        json,
        stderr,
        peak_rss_kb,
    }
}

/// Waits for `pid`; returns its exit code (-1 when killed) and peak RSS in KiB.
#[allow(unsafe_code)]
fn wait4(pid: u32) -> (i32, u64) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, so all-zero is a valid value; wait4 writes into the
    // two out-pointers, which point at live locals, and reaps only our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(r, pid as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as u64)
}

fn info(db: &Path) -> Value {
    let out = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(["info", "--json"])
        .output()
        .unwrap();
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The file size moves with the WAL and free pages; it says nothing about what is stored.
    v.as_object_mut().unwrap().remove("file_bytes");
    v
}

fn good_gpx(path: &Path, name: &str, points: usize) {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">"#,
    );
    s.push_str(&format!(
        r#"<wpt lat="44" lon="-121"><name>{name} camp</name></wpt><trk><name>{name}</name><trkseg>"#
    ));
    for i in 0..points {
        s.push_str(&format!(
            r#"<trkpt lat="{}" lon="-121"/>"#,
            44.0 + i as f64 * 1e-4
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    std::fs::write(path, s).unwrap();
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
"#;

/// The expected outcome for the file under test.
enum Expect {
    /// Refused; the error contains this text, and `line:col` when `pos` is set.
    Fails { needle: &'static str, pos: bool },
    /// Accepted with this many track points and waypoints.
    Imports { points: u64, waypoints: u64 },
}

/// Imports `good_a BAD good_b` into a database already holding one file and checks the
/// outcome. Returns the run for further checks.
fn check(dir: &Path, bad: &Path, expect: Expect) -> Run {
    let db = dir.join("t.sqlite");
    let (base, a, b) = (dir.join("base.gpx"), dir.join("a.gpx"), dir.join("b.gpx"));
    good_gpx(&base, "Base", 30);
    good_gpx(&a, "Alpha", 10);
    good_gpx(&b, "Beta", 20);
    let pre = run_measured(&db, &["import".as_ref(), "--json".as_ref(), base.as_ref()]);
    assert_eq!(pre.code, 0, "{}", pre.stderr);
    let before = info(&db);
    let run = run_measured(
        &db,
        &[
            "import".as_ref(),
            "--json".as_ref(),
            a.as_os_str(),
            bad.as_os_str(),
            b.as_os_str(),
        ],
    );
    let files = run.json["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no JSON report for {}: {}", bad.display(), run.stderr));
    assert_eq!(files.len(), 3, "{}", run.json);
    assert_eq!(files[0]["status"], "imported", "{}", run.json);
    assert_eq!(files[2]["status"], "imported", "{}", run.json);
    let rep = &files[1];
    let after = info(&db);
    let grew = |k: &str| after[k].as_u64().unwrap() - before[k].as_u64().unwrap();
    match expect {
        Expect::Fails { needle, pos } => {
            assert_eq!(run.code, 1, "{}", run.json);
            assert_eq!(rep["status"], "failed", "{}", run.json);
            let err = rep["error"].as_str().unwrap();
            assert!(!err.contains('\n'), "error is not one line: {err:?}");
            let prefix = format!("{}:", bad.display());
            assert!(
                err.starts_with(&prefix),
                "error does not name the file: {err}"
            );
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
            if pos {
                let mut it = err[prefix.len()..].splitn(3, ':');
                let (l, c) = (it.next().unwrap(), it.next().unwrap_or(""));
                assert!(
                    l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok(),
                    "no line:col in {err}"
                );
            }
            let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains(&prefix)).collect();
            assert_eq!(lines, vec![err], "stderr: {}", run.stderr);
            // Only the two good files were added.
            assert_eq!(grew("files"), 2, "{after}");
            assert_eq!(grew("points"), 30, "{after}");
            assert_eq!(grew("waypoints"), 2, "{after}");
            assert_eq!(grew("tracks"), 2, "{after}");
            assert_eq!(after["routes"], before["routes"]);
            assert_eq!(after["drives"], before["drives"]);
        }
        Expect::Imports { points, waypoints } => {
            assert_eq!(run.code, 0, "{}", run.json);
            assert_eq!(rep["status"], "imported", "{}", run.json);
            assert_eq!(grew("files"), 3);
            assert_eq!(grew("points"), 30 + points);
            assert_eq!(grew("waypoints"), 2 + waypoints);
        }
    }
    let store = trailatlas::store::Store::open(&db).unwrap();
    store.integrity_check().unwrap();
    run
}

fn fails(needle: &'static str) -> Expect {
    Expect::Fails { needle, pos: true }
}

/// Writes `bytes` as `name` in a fresh directory and checks it.
fn check_bytes(name: &str, bytes: &[u8], expect: Expect) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    check(tmp.path(), &f, expect)
}

/// A valid file's text with `body` inside `<gpx>`.
fn gpx(body: &str) -> String {
    format!("{HEAD}{body}\n</gpx>\n")
}

// ---------------------------------------------------------------------------------------------
// Broken files.

#[test]
fn truncated_in_the_middle_of_a_point() {
    let text =
        gpx(r#"<trk><trkseg><trkpt lat="1" lon="2"/><trkpt lat="1" lon="2"/></trkseg></trk>"#);
    let cut = &text.as_bytes()[..text.find("<trkpt lat=\"1\" lon=\"2\"/></trkseg").unwrap() + 12];
    check_bytes("cut.gpx", cut, fails("not well-formed"));
}

#[test]
fn truncated_between_elements() {
    let text = gpx(r#"<trk><trkseg><trkpt lat="1" lon="2"/>"#);
    let cut = &text.as_bytes()[..text.find("</gpx>").unwrap()];
    check_bytes("cut2.gpx", cut, fails("truncated file?"));
}

#[test]
fn zero_byte_file() {
    check_bytes("empty.gpx", b"", fails("empty file"));
}

#[test]
fn binary_garbage() {
    let mut rng = Rng::new(7);
    let bytes: Vec<u8> = (0..64 * 1024)
        .map(|_| (rng.next_f64() * 256.0) as u8)
        .collect();
    check_bytes(
        "garbage.gpx",
        &bytes,
        Expect::Fails {
            needle: "",
            pos: false,
        },
    );
}

#[test]
fn garbage_after_a_valid_prefix() {
    let mut bytes = gpx(r#"<wpt lat="1" lon="2"><name>ok</name></wpt>"#).into_bytes();
    bytes.truncate(bytes.len() - 8);
    bytes.extend_from_slice(&[0, 0xFF, 0xFE, 0x80, b'<', 0, 0x13]);
    check_bytes("tail.gpx", &bytes, fails(""));
}

#[test]
fn undeclared_latin1_bytes() {
    let mut bytes = HEAD.as_bytes().to_vec();
    bytes.extend_from_slice(b"<wpt lat=\"1\" lon=\"2\"><name>Caf\xE9</name></wpt></gpx>");
    check_bytes("latin1.gpx", &bytes, fails("encoding"));
}

#[test]
fn declared_encoding_that_does_not_exist() {
    let text = gpx("").replace("UTF-8", "X-NO-SUCH-CHARSET");
    check_bytes(
        "charset.gpx",
        text.as_bytes(),
        fails("unsupported encoding"),
    );
}

#[test]
fn utf16_declared_but_bytes_are_utf8_is_read_as_utf8() {
    let text = gpx(r#"<wpt lat="1" lon="2"><name>ok</name></wpt>"#).replace("UTF-8", "UTF-16");
    check_bytes(
        "u16decl.gpx",
        text.as_bytes(),
        Expect::Imports {
            points: 0,
            waypoints: 1,
        },
    );
}

#[test]
fn utf8_bom_imports() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(gpx(r#"<wpt lat="1" lon="2"><name>Café</name></wpt>"#).as_bytes());
    check_bytes(
        "bom.gpx",
        &bytes,
        Expect::Imports {
            points: 0,
            waypoints: 1,
        },
    );
}

#[test]
fn utf16le_with_bom_imports() {
    let text =
        gpx(r#"<trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk>"#).replace("UTF-8", "UTF-16");
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    check_bytes(
        "u16.gpx",
        &bytes,
        Expect::Imports {
            points: 1,
            waypoints: 0,
        },
    );
}

#[test]
fn not_gpx_at_all() {
    check_bytes(
        "kml.gpx",
        b"<?xml version=\"1.0\"?><kml><Placemark/></kml>",
        fails("not <gpx>"),
    );
}

#[test]
fn deep_nesting_is_refused() {
    let body = "<extensions>".to_string() + &"<a>".repeat(10_000);
    check_bytes("deep.gpx", gpx(&body).as_bytes(), fails("nested deeper"));
}

// ---------------------------------------------------------------------------------------------
// Entities: nothing is expanded, nothing external is fetched.

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str(
        "]>\n<gpx version=\"1.1\"><wpt lat=\"1\" lon=\"2\"><name>&lol9;</name></wpt></gpx>",
    );
    let run = check_bytes(
        "laughs.gpx",
        doc.as_bytes(),
        fails("DOCTYPE declares entities"),
    );
    assert!(run.peak_rss_kb < MAX_RSS_KB, "{} KiB", run.peak_rss_kb);
}

#[test]
fn external_entity_is_refused() {
    let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
               <gpx version=\"1.1\"><wpt lat=\"1\" lon=\"2\"><name>&xxe;</name></wpt></gpx>";
    check_bytes(
        "xxe.gpx",
        doc.as_bytes(),
        fails("DOCTYPE declares entities"),
    );
}

#[test]
fn parameter_entity_is_refused() {
    let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [<!ENTITY % p SYSTEM \"http://192.0.2.1/x.dtd\"> %p;]>\n\
               <gpx version=\"1.1\"></gpx>";
    check_bytes("pe.gpx", doc.as_bytes(), fails("DOCTYPE declares entities"));
}

#[test]
fn undeclared_entity_reference_is_refused() {
    let text = gpx(r#"<wpt lat="1" lon="2"><name>&xxe;</name></wpt>"#);
    check_bytes(
        "undef.gpx",
        text.as_bytes(),
        fails("undefined entity &xxe;"),
    );
}

#[test]
fn external_dtd_is_not_fetched_and_the_file_imports() {
    // 192.0.2.0/24 is TEST-NET-1: a fetch would hang or fail, never succeed.
    let text = gpx(r#"<wpt lat="1" lon="2"/>"#).replacen(
        "<gpx ",
        "<!DOCTYPE gpx SYSTEM \"http://192.0.2.1/gpx.dtd\">\n<gpx ",
        1,
    );
    let started = std::time::Instant::now();
    check_bytes(
        "dtd.gpx",
        text.as_bytes(),
        Expect::Imports {
            points: 0,
            waypoints: 1,
        },
    );
    assert!(started.elapsed().as_secs() < 20);
}

// ---------------------------------------------------------------------------------------------
// Values.

#[test]
fn nan_latitude() {
    let text = gpx(r#"<wpt lat="NaN" lon="2"/>"#);
    check_bytes("nan.gpx", text.as_bytes(), fails("out of range"));
}

#[test]
fn infinite_longitude() {
    let text = gpx(r#"<trk><trkseg><trkpt lat="1" lon="1e400"/></trkseg></trk>"#);
    check_bytes("inf.gpx", text.as_bytes(), fails("out of range"));
}

#[test]
fn latitude_beyond_the_pole() {
    let text = gpx(r#"<rte><rtept lat="90.0001" lon="2"/></rte>"#);
    check_bytes("pole.gpx", text.as_bytes(), fails("out of range"));
}

#[test]
fn longitude_beyond_the_antimeridian() {
    let text = gpx(r#"<trk><trkseg><trkpt lat="1" lon="-180.5"/></trkseg></trk>"#);
    check_bytes("lon.gpx", text.as_bytes(), fails("out of range"));
}

#[test]
fn empty_and_non_numeric_coordinates() {
    let text = gpx(r#"<wpt lat="" lon="2"/>"#);
    check_bytes("blank.gpx", text.as_bytes(), fails("not a number"));
    let text = gpx(r#"<wpt lat="4O.5" lon="2"/>"#);
    check_bytes("letter.gpx", text.as_bytes(), fails("not a number"));
}

#[test]
fn hundred_thousand_empty_segments_import_quickly() {
    let body = format!(
        "<trk><name>Hollow</name>{}<trkseg><trkpt lat=\"1\" lon=\"2\"/></trkseg></trk>",
        "<trkseg></trkseg>".repeat(100_000)
    );
    let started = std::time::Instant::now();
    let run = check_bytes(
        "hollow.gpx",
        gpx(&body).as_bytes(),
        Expect::Imports {
            points: 1,
            waypoints: 0,
        },
    );
    assert!(started.elapsed().as_secs() < 30);
    assert!(run.peak_rss_kb < MAX_RSS_KB, "{} KiB", run.peak_rss_kb);
}

// ---------------------------------------------------------------------------------------------
// Not files.

#[test]
fn a_directory_named_x_gpx() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("x.gpx");
    std::fs::create_dir(&d).unwrap();
    check(
        tmp.path(),
        &d,
        Expect::Fails {
            needle: "is a directory",
            pos: false,
        },
    );
}

#[test]
fn a_dangling_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let l = tmp.path().join("gone.gpx");
    std::os::unix::fs::symlink(tmp.path().join("nowhere.gpx"), &l).unwrap();
    check(
        tmp.path(),
        &l,
        Expect::Fails {
            needle: "No such file",
            pos: false,
        },
    );
}

#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("locked.gpx");
    good_gpx(&f, "Locked", 5);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&f).is_ok() {
        eprintln!("skipping an_unreadable_file: running as root, mode 000 is still readable");
        return;
    }
    check(
        tmp.path(),
        &f,
        Expect::Fails {
            needle: "ermission denied",
            pos: false,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// 100 MB of one element: refused after a few MB, memory stays bounded.

const HUNDRED_MB: usize = 100 << 20;

/// Writes `head`, then `fill` repeated to 100 MB, then `tail`, without holding it in memory.
fn write_big(path: &Path, head: &str, fill: &[u8], tail: &str) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let chunk = fill.repeat((1 << 20) / fill.len());
    let mut written = 0;
    while written < HUNDRED_MB {
        f.write_all(&chunk).unwrap();
        written += chunk.len();
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
}

fn check_big(name: &str, head: &str, fill: &[u8], tail: &str, needle: &'static str) {
    let tmp = tempfile::tempdir().unwrap();
    let f: PathBuf = tmp.path().join(name);
    write_big(&f, head, fill, tail);
    let run = check(tmp.path(), &f, fails(needle));
    eprintln!("{name}: peak RSS {} KiB", run.peak_rss_kb);
    assert!(
        run.peak_rss_kb < MAX_RSS_KB,
        "{name}: peak RSS {} KiB",
        run.peak_rss_kb
    );
}

#[test]
fn a_100_mb_description() {
    check_big(
        "desc.gpx",
        &format!(r#"{HEAD}<wpt lat="1" lon="2"><desc>"#),
        b"all work and no play ",
        "</desc></wpt></gpx>",
        "longer than 8 MiB",
    );
}

#[test]
fn a_100_mb_attribute() {
    check_big(
        "attr.gpx",
        &format!(r#"{HEAD}<wpt lat="1" lon="2" note=""#),
        b"abcdefgh",
        r#""/></gpx>"#,
        "longer than 8 MiB",
    );
}

#[test]
fn a_100_mb_text_in_an_ignored_extension() {
    check_big(
        "ext.gpx",
        &format!(r#"{HEAD}<wpt lat="1" lon="2"><extensions><blob>"#),
        b"0123456789",
        "</blob></extensions></wpt></gpx>",
        "longer than 8 MiB",
    );
}

#[test]
fn a_100_mb_comment() {
    check_big(
        "comment.gpx",
        &format!("{HEAD}<!--"),
        b"<wpt lat=\"1\" lon=\"2\"/> ",
        "--></gpx>",
        "longer than 8 MiB",
    );
}

#[test]
fn a_100_mb_cdata_section() {
    check_big(
        "cdata.gpx",
        &format!(r#"{HEAD}<wpt lat="1" lon="2"><cmt><![CDATA["#),
        b"<b>]] x</b>",
        "]]></cmt></wpt></gpx>",
        "longer than 8 MiB",
    );
}

#[test]
fn a_description_of_many_small_pieces_is_capped_too() {
    // Each `&amp;` is its own event, so only the captured-text cap stops this one.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("pieces.gpx");
    let mut s = format!(r#"{HEAD}<wpt lat="1" lon="2"><desc>"#);
    s.push_str(&"abcdefghijklmnopqrstuvwxyz&amp;".repeat(12 << 20 >> 5));
    s.push_str("</desc></wpt></gpx>");
    std::fs::write(&f, s).unwrap();
    let run = check(tmp.path(), &f, fails("element text longer than 8 MiB"));
    assert!(run.peak_rss_kb < MAX_RSS_KB, "{} KiB", run.peak_rss_kb);
}
