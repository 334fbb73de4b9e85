//! The streaming GPX reader: bytes → quick-xml events → model values → [`GpxSink`].
//!
//! Memory is bounded by one event, one point and one route point's shaping points, whatever the
//! file size. Elements are recognised by local name (any or no namespace prefix) *and* by
//! position: a `<wpt>` is a waypoint only as a child of `<gpx>`, so points nested in foreign
//! extensions (`groundspeak:log_wpt` with lat/lon) never become waypoints.
//! A gzip-compressed file (`.gpx.gz`, common in archives) is recognised by its magic bytes and
//! unpacked on the fly by flate2, so it streams like a plain one.
//! Not for writing GPX (see `export`) and not for storage (the store is a sink).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use encoding_rs::Encoding;
use flate2::bufread::MultiGzDecoder;
use quick_xml::encoding::DecodingReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{Collect, Counts, FileMeta, GpxSink, ImportError, TextPos, values};
use crate::core::kinds::Classifier;
use crate::core::model::{GpxData, LatLon, LineMeta, RoutePoint, TrackPoint, Waypoint};

/// Nesting deeper than this is not GPX; refusing it bounds the element stack.
const MAX_DEPTH: usize = 4096;
/// Read buffer size for files.
const FILE_BUF_BYTES: usize = 64 * 1024;
/// Longest single XML event (a tag with its attributes, a text run, a comment, a CDATA
/// section) that is read; quick-xml buffers each event whole, so this caps the reader's memory
/// whatever the file holds (a 100 MB `<desc>` or attribute is refused, not loaded).
const MAX_EVENT_BYTES: u64 = 8 << 20;
/// Longest text captured for one field (`<name>`, `<desc>`, ...) or one waypoint's address,
/// summed over its pieces (text, entities, CDATA).
const MAX_TEXT_BYTES: usize = 8 << 20;
/// Most categories kept for one waypoint and most shaping points for one route point.
const MAX_LIST_ITEMS: usize = 1 << 20;

/// Reads the GPX file at `path` into `sink`, streaming; returns what was delivered.
/// Waypoints are classified with the default kinds table.
pub fn read_file(path: &Path, sink: &mut dyn GpxSink) -> Result<Counts, ImportError> {
    read_file_with(path, sink, &Classifier::new())
}

/// [`read_file`] with a given classifier (default table plus user rules).
pub fn read_file_with(
    path: &Path,
    sink: &mut dyn GpxSink,
    classifier: &Classifier,
) -> Result<Counts, ImportError> {
    let open = || File::open(path).map(|f| BufReader::with_capacity(FILE_BUF_BYTES, f));
    let src = open().map_err(|e| ImportError {
        path: path.to_path_buf(),
        pos: None,
        message: format!("cannot open: {e}"),
    })?;
    read_source(src, sink, classifier).map_err(|e| {
        let pos = e
            .offset
            .and_then(|off| open().ok().and_then(|s| text_pos(s, off).ok()));
        ImportError {
            path: path.to_path_buf(),
            pos,
            message: e.message,
        }
    })
}

/// Reads GPX from memory (tests, fuzzing); `name` is only used in error messages.
pub fn read_bytes(
    name: &Path,
    bytes: &[u8],
    sink: &mut dyn GpxSink,
) -> Result<Counts, ImportError> {
    read_bytes_with(name, bytes, sink, &Classifier::new())
}

/// [`read_bytes`] with a given classifier (default table plus user rules).
pub fn read_bytes_with(
    name: &Path,
    bytes: &[u8],
    sink: &mut dyn GpxSink,
    classifier: &Classifier,
) -> Result<Counts, ImportError> {
    read_source(bytes, sink, classifier).map_err(|e| ImportError {
        path: name.to_path_buf(),
        pos: e.offset.and_then(|off| text_pos(bytes, off).ok()),
        message: e.message,
    })
}

/// Reads a whole (small) GPX file into memory through [`Collect`].
pub fn read_data(path: &Path) -> Result<GpxData, ImportError> {
    let mut c = Collect::default();
    read_file(path, &mut c)?;
    Ok(c.data)
}

/// An error before its position is turned into line and column.
struct RawError {
    /// Byte offset in the decoded (UTF-8, BOM-less) text, when known.
    offset: Option<u64>,
    message: String,
}

impl RawError {
    /// An error at `offset`; the message is made one line (values from the file, such as a
    /// `lon` attribute holding a line break, are quoted in it).
    fn at(offset: u64, message: impl Into<String>) -> Self {
        Self {
            offset: Some(offset),
            message: one_line(&message.into()),
        }
    }
}

/// How the bytes become UTF-8 text for quick-xml.
enum Decoding {
    /// UTF-8 (or ASCII): parsed as is, the fast path.
    Utf8,
    /// Anything else: transcoded by quick-xml's `DecodingReader`.
    Transcode(&'static Encoding),
}

/// Picks the decoding from a BOM or the `<?xml ... encoding="..."?>` declaration.
fn sniff(prefix: &[u8]) -> Result<Decoding, String> {
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[b'<', 0, b'?', 0]) {
        return Ok(Decoding::Transcode(encoding_rs::UTF_16LE));
    }
    if prefix.starts_with(&[0xFE, 0xFF]) || prefix.starts_with(&[0, b'<', 0, b'?']) {
        return Ok(Decoding::Transcode(encoding_rs::UTF_16BE));
    }
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        // A UTF-8 BOM outranks whatever the declaration claims.
        return Ok(Decoding::Utf8);
    }
    let Some(decl) = prefix.strip_prefix(b"<?xml") else {
        return Ok(Decoding::Utf8);
    };
    let end = decl
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(decl.len());
    let decl = decl.get(..end).unwrap_or_default();
    let Some(label) = declared_encoding(decl) else {
        return Ok(Decoding::Utf8);
    };
    match Encoding::for_label(label) {
        // The declaration was just read as ASCII, so a UTF-16 label is wrong: treat as UTF-8.
        Some(enc)
            if enc == encoding_rs::UTF_8
                || enc == encoding_rs::UTF_16LE
                || enc == encoding_rs::UTF_16BE =>
        {
            Ok(Decoding::Utf8)
        }
        Some(enc) => Ok(Decoding::Transcode(enc)),
        None => Err(format!(
            "unsupported encoding {:?}",
            String::from_utf8_lossy(label)
        )),
    }
}

/// The value of `encoding="..."` in the XML declaration's attribute text.
fn declared_encoding(decl: &[u8]) -> Option<&[u8]> {
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = decl.get(at + 8..)?;
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let (&quote, rest) = rest.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let len = rest.iter().position(|&c| c == quote)?;
    rest.get(..len)
}

/// The first bytes of a gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Unpacks a gzip-compressed source (`x.gpx.gz`, found by its magic bytes, whatever its
/// name), streaming, and reads the GPX inside; anything else is read as it is.
fn read_source<R: BufRead>(
    mut src: R,
    sink: &mut dyn GpxSink,
    classifier: &Classifier,
) -> Result<Counts, RawError> {
    let prefix = src.fill_buf().map_err(|e| RawError {
        offset: None,
        message: format!("cannot read: {e}"),
    })?;
    if prefix.starts_with(&GZIP_MAGIC) {
        let gz = BufReader::with_capacity(FILE_BUF_BYTES, GzipErrors(MultiGzDecoder::new(src)));
        return read_text(gz, sink, classifier).map_err(|e| RawError {
            // Positions are in the unpacked text, so the message says so.
            message: if e.message.contains("gzip: ") {
                e.message
            } else {
                format!("{} (in the unpacked gzip text)", e.message)
            },
            ..e
        });
    }
    read_text(src, sink, classifier)
}

/// Names a failure of the gzip layer as such: quick-xml only reports "I/O error".
struct GzipErrors<R>(R);

impl<R: Read> Read for GzipErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                "the compressed file is truncated".to_string()
            } else {
                e.to_string()
            };
            io::Error::new(e.kind(), format!("gzip: {why}"))
        })
    }
}

/// Reads GPX text (UTF-8, UTF-16 or a declared encoding) into `sink`.
fn read_text<R: BufRead>(
    mut src: R,
    sink: &mut dyn GpxSink,
    classifier: &Classifier,
) -> Result<Counts, RawError> {
    let prefix = src.fill_buf().map_err(|e| RawError {
        offset: None,
        message: format!("cannot read: {e}"),
    })?;
    if prefix.is_empty() {
        return Err(RawError::at(0, "empty file (0 bytes): not a GPX file"));
    }
    match sniff(prefix).map_err(|m| RawError::at(0, m))? {
        Decoding::Utf8 => {
            Parser::new(sink, classifier).run(Reader::from_reader(EventLimit::new(src)))
        }
        Decoding::Transcode(enc) => {
            let mut dec = DecodingReader::new(src);
            // Before the first read the decoder's prefix buffer is still there, so this cannot
            // hit `set_encoding`'s drained-prefix panic.
            dec.set_encoding(enc);
            Parser::new(sink, classifier).run(Reader::from_reader(EventLimit::new(dec)))
        }
    }
}

/// Line and column of byte `offset` of the decoded text, re-reading the source the same way
/// the parser did (only on the error path).
fn text_pos<R: BufRead>(mut src: R, offset: u64) -> io::Result<TextPos> {
    if src.fill_buf()?.starts_with(&GZIP_MAGIC) {
        return text_pos_plain(
            BufReader::with_capacity(FILE_BUF_BYTES, MultiGzDecoder::new(src)),
            offset,
        );
    }
    text_pos_plain(src, offset)
}

/// [`text_pos`] of text that is not compressed.
fn text_pos_plain<R: BufRead>(mut src: R, offset: u64) -> io::Result<TextPos> {
    let prefix = src.fill_buf()?;
    let decoding = sniff(prefix).unwrap_or(Decoding::Utf8);
    match decoding {
        Decoding::Utf8 => {
            if src.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
                src.consume(3);
            }
            count_pos(src, offset)
        }
        Decoding::Transcode(enc) => {
            let mut dec = DecodingReader::new(src);
            dec.set_encoding(enc);
            count_pos(dec, offset)
        }
    }
}

/// Counts lines (CR, LF and CRLF each end one) and characters up to `offset`.
fn count_pos<R: Read>(src: R, offset: u64) -> io::Result<TextPos> {
    let (mut line, mut col, mut prev_cr) = (1u64, 1u64, false);
    let mut taken = BufReader::new(src.take(offset));
    loop {
        let buf = taken.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            match b {
                b'\r' => {
                    line += 1;
                    col = 1;
                }
                b'\n' if prev_cr => {}
                b'\n' => {
                    line += 1;
                    col = 1;
                }
                // UTF-8 continuation bytes do not start a character.
                _ if b & 0xC0 == 0x80 => {}
                _ => col += 1,
            }
            prev_cr = b == b'\r';
        }
        let n = buf.len();
        taken.consume(n);
    }
    Ok(TextPos { line, col })
}

/// A `BufRead` that stops handing out bytes once one event has taken more than
/// [`MAX_EVENT_BYTES`]; the parser resets it before each event. quick-xml copies an event's
/// bytes into its buffer as it consumes them, so that buffer never outgrows the limit by more
/// than one read chunk.
struct EventLimit<R> {
    inner: R,
    used: u64,
    tripped: bool,
}

impl<R: BufRead> EventLimit<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            used: 0,
            tripped: false,
        }
    }
}

impl<R: BufRead> Read for EventLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), buf.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for EventLimit<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.used > MAX_EVENT_BYTES {
            self.tripped = true;
            return Err(io::Error::other("XML event too large"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.used = self.used.saturating_add(n as u64);
        self.inner.consume(n);
    }
}

/// What an open element is, decided from its local name and its parent's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Gpx,
    Metadata,
    Wpt,
    Trk,
    Trkseg,
    Trkpt,
    Rte,
    Rtept,
    /// `<extensions>` of a wpt/rtept/trk/rte, or a GPX 1.0 element holding extensions inline.
    Extensions,
    WptExt,
    Categories,
    Address,
    TrkExt,
    RteExt,
    RteptExt,
    Rpt,
    Field(F),
    /// Anything else, with everything inside it.
    Other,
}

/// A text-valued element whose content is captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Name,
    Cmt,
    Desc,
    Sym,
    Type,
    Time,
    Ele,
    Number,
    Category,
    AddressPart,
    DisplayColor,
}

fn field_of(local: &str) -> Option<F> {
    Some(match local {
        "name" => F::Name,
        "cmt" => F::Cmt,
        "desc" => F::Desc,
        "sym" => F::Sym,
        "type" => F::Type,
        "time" => F::Time,
        "ele" => F::Ele,
        "number" => F::Number,
        _ => return None,
    })
}

/// The role of element `local` inside an element of role `parent`.
fn role_of(parent: Role, local: &str) -> Role {
    use Role as R;
    match (parent, local) {
        (R::Gpx, "wpt") => R::Wpt,
        (R::Gpx, "trk") => R::Trk,
        (R::Gpx, "rte") => R::Rte,
        (R::Gpx, "metadata") => R::Metadata,
        (R::Gpx, "name") => R::Field(F::Name),
        (R::Metadata, "name") => R::Field(F::Name),
        (R::Trk, "trkseg") => R::Trkseg,
        // Not valid GPX, but seen: points straight in <trk>; the sink opens a segment.
        (R::Trk | R::Trkseg, "trkpt") => R::Trkpt,
        (R::Rte, "rtept") => R::Rtept,
        (R::Wpt | R::Rtept | R::Trk | R::Rte, "extensions") => R::Extensions,
        (R::Wpt | R::Rtept | R::Extensions, "WaypointExtension") => R::WptExt,
        (R::Rtept | R::Extensions, "RoutePointExtension") => R::RteptExt,
        (R::Trk | R::Extensions, "TrackExtension") => R::TrkExt,
        (R::Rte | R::Extensions, "RouteExtension") => R::RteExt,
        (R::WptExt, "Categories") => R::Categories,
        (R::WptExt, "Address") => R::Address,
        (R::Categories, "Category") => R::Field(F::Category),
        (R::Address, _) => R::Field(F::AddressPart),
        (R::TrkExt | R::RteExt, "DisplayColor") => R::Field(F::DisplayColor),
        (R::RteptExt, "rpt") => R::Rpt,
        (R::Wpt | R::Rtept, _) => match field_of(local) {
            Some(f @ (F::Name | F::Cmt | F::Desc | F::Sym | F::Type | F::Time | F::Ele)) => {
                R::Field(f)
            }
            _ => R::Other,
        },
        (R::Trk | R::Rte, _) => match field_of(local) {
            Some(f @ (F::Name | F::Cmt | F::Desc | F::Type | F::Number)) => R::Field(f),
            _ => R::Other,
        },
        (R::Trkpt, "ele") => R::Field(F::Ele),
        (R::Trkpt, "time") => R::Field(F::Time),
        _ => R::Other,
    }
}

/// Parser state: the element stack and the object being read.
struct Parser<'s> {
    sink: &'s mut dyn GpxSink,
    classifier: &'s Classifier,
    counts: Counts,
    stack: Vec<Role>,
    /// Text of the field being read.
    text: String,
    root_done: bool,
    file: FileMeta,
    /// The `<wpt>` or `<rtept>` being read (never both at once).
    wpt: Waypoint,
    shaping: Vec<LatLon>,
    trkpt: TrackPoint,
    /// The `<trk>` or `<rte>` being read.
    line: LineMeta,
    /// Whether the current `Categories` / `Address` block is the first one of the waypoint;
    /// BaseCamp writes the same data in `gpxx:` and `wptx1:` extensions.
    take_categories: bool,
    take_address: bool,
    address: String,
    /// Offset of the event being handled.
    at: u64,
}

impl<'s> Parser<'s> {
    fn new(sink: &'s mut dyn GpxSink, classifier: &'s Classifier) -> Self {
        Self {
            sink,
            classifier,
            counts: Counts::default(),
            stack: Vec::with_capacity(16),
            text: String::new(),
            root_done: false,
            file: FileMeta::default(),
            wpt: Waypoint::default(),
            shaping: Vec::new(),
            trkpt: TrackPoint::default(),
            line: LineMeta::default(),
            take_categories: false,
            take_address: false,
            address: String::new(),
            at: 0,
        }
    }

    fn run<R: BufRead>(mut self, mut reader: Reader<EventLimit<R>>) -> Result<Counts, RawError> {
        let mut buf = Vec::with_capacity(4096);
        loop {
            buf.clear();
            // A big event's buffer is not kept for the next one.
            if buf.capacity() > 1 << 20 {
                buf = Vec::with_capacity(4096);
            }
            self.at = reader.buffer_position();
            reader.get_mut().used = 0;
            let event = match reader.read_event_into(&mut buf) {
                Ok(ev) => ev,
                Err(_) if reader.get_ref().tripped => {
                    return Err(RawError::at(
                        self.at,
                        format!(
                            "a tag or text longer than {} MiB; refused (GPX values are short)",
                            MAX_EVENT_BYTES >> 20
                        ),
                    ));
                }
                Err(e) => return Err(xml_error(&reader, &e)),
            };
            match event {
                Event::Start(e) => self.start(&e, false)?,
                Event::Empty(e) => self.start(&e, true)?,
                Event::End(_) => self.end()?,
                Event::Text(t) => self.text_event(&t)?,
                Event::CData(t) => {
                    if self.capturing() {
                        self.push_text(&t)?;
                    }
                }
                Event::GeneralRef(r) => {
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match &*r {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => {
                                return Err(RawError::at(
                                    self.at,
                                    format!(
                                        "undefined entity &{other}; (custom entities are not expanded)"
                                    ),
                                ));
                            }
                        },
                        Err(e) => {
                            return Err(RawError::at(
                                self.at,
                                format!("bad character reference: {e}"),
                            ));
                        }
                    };
                    if self.capturing() {
                        self.push_text(ch.encode_utf8(&mut [0; 4]))?;
                    }
                }
                Event::DocType(t) => {
                    if t.contains("<!ENTITY") {
                        return Err(RawError::at(
                            self.at,
                            "DOCTYPE declares entities; refused (no entity expansion, no external entities)",
                        ));
                    }
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => return self.eof(),
            }
            if self.root_done {
                // Anything after </gpx> (device padding, junk) is ignored.
                return Ok(self.counts);
            }
        }
    }

    fn capturing(&self) -> bool {
        matches!(self.stack.last(), Some(Role::Field(_)))
    }

    /// Appends to the field text, refusing to grow it past [`MAX_TEXT_BYTES`].
    fn push_text(&mut self, t: &str) -> Result<(), RawError> {
        if self.text.len().saturating_add(t.len()) > MAX_TEXT_BYTES {
            return Err(self.too_long("element text"));
        }
        self.text.push_str(t);
        Ok(())
    }

    fn too_long(&self, what: &str) -> RawError {
        RawError::at(
            self.at,
            format!(
                "{what} longer than {} MiB; refused (GPX values are short)",
                MAX_TEXT_BYTES >> 20
            ),
        )
    }

    fn text_event(&mut self, t: &str) -> Result<(), RawError> {
        if self.capturing() {
            self.push_text(t)?;
        } else if self.stack.is_empty() && !t.trim().is_empty() {
            return Err(RawError::at(
                self.at,
                "text outside the <gpx> element: not a GPX file",
            ));
        }
        Ok(())
    }

    fn eof(&mut self) -> Result<Counts, RawError> {
        if self.stack.is_empty() {
            return Err(RawError::at(self.at, "no <gpx> element: not a GPX file"));
        }
        Err(RawError::at(
            self.at,
            format!(
                "unexpected end of file with {} element(s) still open (truncated file?)",
                self.stack.len()
            ),
        ))
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), RawError> {
        let name = e.local_name();
        let local: &str = name.as_ref();
        let role = match self.stack.last() {
            None => {
                if local != "gpx" {
                    return Err(RawError::at(
                        self.at,
                        format!(
                            "root element is <{}>, not <gpx>: not a GPX file",
                            e.name().as_ref()
                        ),
                    ));
                }
                self.file.creator = self.attr_text(e, "creator")?;
                Role::Gpx
            }
            Some(&parent) => role_of(parent, local),
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err(RawError::at(
                self.at,
                format!("elements nested deeper than {MAX_DEPTH}"),
            ));
        }
        self.stack.push(role);
        self.open(role, e)?;
        if empty {
            self.end()?;
        }
        Ok(())
    }

    /// Work at an element's start tag.
    fn open(&mut self, role: Role, e: &BytesStart<'_>) -> Result<(), RawError> {
        match role {
            Role::Wpt | Role::Rtept => {
                self.wpt = Waypoint {
                    pos: self.lat_lon(e)?,
                    ..Waypoint::default()
                };
                self.shaping = Vec::new();
                self.take_categories = true;
                self.take_address = true;
            }
            Role::Trkpt => {
                self.trkpt = TrackPoint {
                    pos: self.lat_lon(e)?,
                    ele_m: None,
                    time_ms: None,
                };
            }
            Role::Rpt => {
                let p = self.lat_lon(e)?;
                if self.shaping.len() >= MAX_LIST_ITEMS {
                    return Err(RawError::at(
                        self.at,
                        format!("more than {MAX_LIST_ITEMS} shaping points in one route point"),
                    ));
                }
                self.shaping.push(p);
            }
            Role::Trk => {
                self.line = LineMeta::default();
                self.counts.tracks += 1;
                self.sink
                    .begin_track()
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Rte => {
                self.line = LineMeta::default();
                self.counts.routes += 1;
                self.sink
                    .begin_route()
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Trkseg => self
                .sink
                .begin_segment()
                .map_err(|err| self.sink_error(&err))?,
            Role::Field(_) => self.text.clear(),
            Role::Address => self.address.clear(),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), RawError> {
        let Some(role) = self.stack.pop() else {
            return Err(RawError::at(self.at, "end tag without a start tag"));
        };
        match role {
            Role::Gpx => {
                self.root_done = true;
                let meta = std::mem::take(&mut self.file);
                self.sink
                    .file_meta(meta)
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Wpt => {
                self.counts.waypoints += 1;
                let mut w = std::mem::take(&mut self.wpt);
                w.kind = self.classifier.classify(&w);
                self.sink.waypoint(w).map_err(|err| self.sink_error(&err))?;
            }
            Role::Rtept => {
                self.counts.route_points += 1;
                let mut w = std::mem::take(&mut self.wpt);
                w.kind = self.classifier.classify(&w);
                let pt = RoutePoint {
                    wpt: w,
                    shaping: std::mem::take(&mut self.shaping),
                };
                self.sink
                    .route_point(pt)
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Trkpt => {
                self.counts.track_points += 1;
                self.sink
                    .track_point(self.trkpt)
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Trk => {
                let meta = std::mem::take(&mut self.line);
                self.sink
                    .end_track(meta)
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Rte => {
                let meta = std::mem::take(&mut self.line);
                self.sink
                    .end_route(meta)
                    .map_err(|err| self.sink_error(&err))?;
            }
            Role::Categories => self.take_categories = false,
            Role::Address => {
                if self.take_address && !self.address.is_empty() {
                    self.wpt.address = Some(std::mem::take(&mut self.address));
                }
                self.take_address = false;
            }
            Role::Field(f) => self.field_done(f)?,
            _ => {}
        }
        Ok(())
    }

    /// Stores the text of a finished field where it belongs (the parent role says where).
    fn field_done(&mut self, f: F) -> Result<(), RawError> {
        let parent = self.stack.last().copied();
        match (parent, f) {
            (Some(Role::Trkpt), F::Ele) => self.trkpt.ele_m = self.number_f64(),
            (Some(Role::Trkpt), F::Time) => self.trkpt.time_ms = self.time(),
            (Some(Role::Wpt | Role::Rtept), F::Ele) => self.wpt.ele_m = self.number_f64(),
            (Some(Role::Wpt | Role::Rtept), F::Time) => self.wpt.time_ms = self.time(),
            (Some(Role::Wpt | Role::Rtept), F::Name) => self.wpt.name = self.string(),
            (Some(Role::Wpt | Role::Rtept), F::Cmt) => self.wpt.cmt = self.string(),
            (Some(Role::Wpt | Role::Rtept), F::Desc) => self.wpt.desc = self.string(),
            (Some(Role::Wpt | Role::Rtept), F::Sym) => self.wpt.sym = self.string(),
            (Some(Role::Wpt | Role::Rtept), F::Type) => self.wpt.type_ = self.string(),
            (Some(Role::Trk | Role::Rte), F::Name) => self.line.name = self.string(),
            (Some(Role::Trk | Role::Rte), F::Cmt) => self.line.cmt = self.string(),
            (Some(Role::Trk | Role::Rte), F::Desc) => self.line.desc = self.string(),
            (Some(Role::Trk | Role::Rte), F::Type) => self.line.type_ = self.string(),
            (Some(Role::Trk | Role::Rte), F::Number) => {
                let n = self.text.trim();
                if !n.is_empty() {
                    match n.parse() {
                        Ok(v) => self.line.number = Some(v),
                        Err(_) => self.counts.bad_values += 1,
                    }
                }
            }
            (Some(Role::TrkExt | Role::RteExt), F::DisplayColor) => {
                self.line.display_color = self.string();
            }
            (Some(Role::Categories), F::Category) if self.take_categories => {
                if let Some(c) = self.string() {
                    if self.wpt.categories.len() >= MAX_LIST_ITEMS {
                        return Err(RawError::at(
                            self.at,
                            format!("more than {MAX_LIST_ITEMS} categories in one waypoint"),
                        ));
                    }
                    self.wpt.categories.push(c);
                }
            }
            (Some(Role::Address), F::AddressPart) => {
                if let Some(part) = self.string() {
                    if self.address.len().saturating_add(part.len()) > MAX_TEXT_BYTES {
                        return Err(self.too_long("address"));
                    }
                    if !self.address.is_empty() {
                        self.address.push_str(", ");
                    }
                    self.address.push_str(&part);
                }
            }
            // GPX 1.0 puts the name in <gpx>, 1.1 in <metadata>; the first one wins.
            (Some(Role::Gpx | Role::Metadata), F::Name) if self.file.name.is_none() => {
                self.file.name = self.string();
            }
            _ => {}
        }
        Ok(())
    }

    /// The field text trimmed, with XML line-end normalisation; `None` when empty.
    fn string(&self) -> Option<String> {
        let t = self.text.trim();
        if t.is_empty() {
            None
        } else if t.contains('\r') {
            Some(t.replace("\r\n", "\n").replace('\r', "\n"))
        } else {
            Some(t.to_string())
        }
    }

    fn number_f64(&mut self) -> Option<f64> {
        let t = self.text.trim();
        if t.is_empty() {
            return None;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.counts.bad_values += 1;
                None
            }
        }
    }

    fn time(&mut self) -> Option<i64> {
        let t = self.text.trim();
        if t.is_empty() {
            return None;
        }
        let ms = values::parse_time_ms(t);
        if ms.is_none() {
            self.counts.bad_values += 1;
        }
        ms
    }

    /// The `lat`/`lon` attributes; a point without valid ones is not GPX.
    fn lat_lon(&self, e: &BytesStart<'_>) -> Result<LatLon, RawError> {
        let (mut lat, mut lon) = (None, None);
        for attr in e.attributes() {
            let attr =
                attr.map_err(|err| RawError::at(self.at, format!("bad attribute: {err}")))?;
            let key = attr.key.local_name();
            let slot = match key.as_ref() {
                "lat" => &mut lat,
                "lon" => &mut lon,
                _ => continue,
            };
            let text = attr.value.trim();
            let v = text.parse::<f64>().map_err(|_| {
                RawError::at(
                    self.at,
                    format!(
                        "<{}> has {}=\"{}\", not a number",
                        e.name().as_ref(),
                        key.as_ref(),
                        text
                    ),
                )
            })?;
            *slot = Some(v);
        }
        let tag = e.name();
        let (Some(lat), Some(lon)) = (lat, lon) else {
            let missing = if lat.is_none() { "lat" } else { "lon" };
            return Err(RawError::at(
                self.at,
                format!("<{}> has no {missing} attribute", tag.as_ref()),
            ));
        };
        let p = LatLon::new(lat, lon);
        if !p.is_valid() {
            return Err(RawError::at(
                self.at,
                format!(
                    "<{}> position lat={lat} lon={lon} is out of range",
                    tag.as_ref()
                ),
            ));
        }
        Ok(p)
    }

    fn attr_text(&self, e: &BytesStart<'_>, name: &str) -> Result<Option<String>, RawError> {
        for attr in e.attributes() {
            let attr =
                attr.map_err(|err| RawError::at(self.at, format!("bad attribute: {err}")))?;
            if attr.key.local_name().as_ref() == name {
                let v = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|err| RawError::at(self.at, format!("bad attribute {name}: {err}")))?;
                let v = v.trim();
                return Ok((!v.is_empty()).then(|| v.to_string()));
            }
        }
        Ok(None)
    }

    fn sink_error(&self, err: &super::SinkError) -> RawError {
        RawError::at(self.at, format!("import stopped: {err}"))
    }
}

fn xml_error<R>(reader: &Reader<R>, e: &quick_xml::Error) -> RawError {
    let message: Cow<'static, str> = match e {
        quick_xml::Error::Encoding(_) => {
            "text is not valid UTF-8 (declare the file's encoding in <?xml ... encoding=\"...\"?>)"
                .into()
        }
        quick_xml::Error::Io(io) if io.to_string().starts_with("gzip: ") => io.to_string().into(),
        quick_xml::Error::Io(io) if io.kind() == io::ErrorKind::InvalidData => {
            format!("text is not valid in the declared encoding: {io}").into()
        }
        other => format!("not well-formed XML: {other}").into(),
    };
    RawError::at(reader.error_position(), one_line(&message))
}

/// Errors are one line: quick-xml quotes the offending text verbatim, which may hold line
/// breaks and control characters (found by the `gpx_read` fuzz target). Those are escaped and
/// a long quote is cut.
fn one_line(message: &str) -> String {
    const MAX_CHARS: usize = 300;
    let mut out = String::with_capacity(message.len().min(MAX_CHARS + 3));
    for (i, c) in message.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(text: &str, offset: u64) -> (u64, u64) {
        let p = count_pos(text.as_bytes(), offset).unwrap_or(TextPos { line: 0, col: 0 });
        (p.line, p.col)
    }

    #[test]
    fn line_breaks_cr_lf_and_crlf_each_count_once() {
        assert_eq!(pos("ab\ncd", 4), (2, 2));
        assert_eq!(pos("ab\r\ncd", 5), (2, 2));
        assert_eq!(pos("ab\rcd", 4), (2, 2));
        assert_eq!(pos("a\r\n\r\nb", 5), (3, 1));
        assert_eq!(pos("a\n\rb", 3), (3, 1));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(pos("éé<", 4), (1, 3));
        assert_eq!(pos("€x", 4), (1, 3));
    }

    #[test]
    fn declared_encoding_is_found_with_either_quote() {
        assert_eq!(
            declared_encoding(b" version=\"1.0\" encoding=\"ISO-8859-1\""),
            Some(&b"ISO-8859-1"[..])
        );
        assert_eq!(
            declared_encoding(b" encoding = 'utf-8' "),
            Some(&b"utf-8"[..])
        );
        assert_eq!(declared_encoding(b" version=\"1.0\""), None);
        assert_eq!(declared_encoding(b" encoding=utf-8"), None);
    }

    #[test]
    fn sniff_picks_the_decoder() {
        let is_utf8 = |b: &[u8]| matches!(sniff(b), Ok(Decoding::Utf8));
        let transcodes_to = |b: &[u8]| match sniff(b) {
            Ok(Decoding::Transcode(e)) => Some(e.name()),
            _ => None,
        };
        assert!(is_utf8(b"<gpx/>"));
        assert!(is_utf8(b"<?xml version=\"1.0\"?><gpx/>"));
        assert!(is_utf8(
            b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"latin1\"?>"
        ));
        assert!(is_utf8(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>"));
        assert_eq!(
            transcodes_to(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"),
            Some("windows-1252")
        );
        assert_eq!(transcodes_to(b"\xFF\xFE<\0"), Some("UTF-16LE"));
        assert_eq!(transcodes_to(b"\0<\0?"), Some("UTF-16BE"));
        assert!(sniff(b"<?xml version=\"1.0\" encoding=\"nope\"?>").is_err());
    }

    #[test]
    fn roles_depend_on_the_parent() {
        assert_eq!(role_of(Role::Gpx, "wpt"), Role::Wpt);
        assert_eq!(role_of(Role::Wpt, "wpt"), Role::Other);
        assert_eq!(role_of(Role::Other, "wpt"), Role::Other);
        assert_eq!(role_of(Role::Trkpt, "name"), Role::Other);
        assert_eq!(role_of(Role::Trk, "sym"), Role::Other);
        assert_eq!(role_of(Role::Rtept, "sym"), Role::Field(F::Sym));
        assert_eq!(role_of(Role::Extensions, "rpt"), Role::Other);
        assert_eq!(role_of(Role::RteptExt, "rpt"), Role::Rpt);
    }
}
