//! Reading events from files: JSON lines, JSON files holding one or more objects (EVTX dumps),
//! and `.evtx` files.
//!
//! Events are handed to a callback one at a time, so memory does not grow with the file: one
//! line or JSON object is held at a time, and at most [`MAX_EVENT_BYTES`] of it. A malformed
//! or over-long event is reported with its place and skipped; the rest of the file is read.

use std::io::BufRead;
use std::path::Path;

use crate::event::Event;

/// A problem with one event or with a whole input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line and column for text inputs; line 0 when the place is not a line (EVTX
    /// records are numbered by `record`), column 0 when it is a whole line.
    pub line: u64,
    pub column: u64,
    pub record: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record {
            Some(r) => write!(f, "record {r}: {}", self.message),
            None if self.line > 0 && self.column == 0 => write!(f, "{}: {}", self.line, self.message),
            None if self.line > 0 => write!(f, "{}:{}: {}", self.line, self.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The most bytes one event may take: one JSON line (before its `\n`; a `\r` there counts), or
/// one JSON object of a file of objects. Longer ones are reported and skipped, and never held
/// in memory whole.
///
/// The largest legitimate events are Windows events converted to JSON: EVTX keeps every record
/// within a 64 KiB chunk, and PowerShell splits a long script block over several 4104 events,
/// so a converted record is tens of KB, a few hundred at worst when every character is escaped.
/// 1 MiB leaves room for that and bounds what one record costs.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// How far an over-long line or object is followed to find its end (where the next one
/// starts) before the rest of the input is given up: only endless or binary inputs, such as
/// `/dev/zero`, go on this long without a newline.
pub const MAX_SKIP_BYTES: u64 = 64 << 20;

/// What is said of a line or object (`what`) longer than [`MAX_EVENT_BYTES`]; `endless` when it
/// went on past [`MAX_SKIP_BYTES`] and the rest of the input was not read.
pub fn too_long(what: &str, endless: bool) -> String {
    let head = format!(
        "a {what} longer than {} MiB ({MAX_EVENT_BYTES} bytes) is not an event",
        MAX_EVENT_BYTES >> 20
    );
    if endless {
        format!(
            "{head}; this one has no end within {} MiB, so the rest of the input is not read",
            MAX_SKIP_BYTES >> 20
        )
    } else {
        format!("{head}; skipped")
    }
}

/// Which reader a file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (atoll's own events).
    JsonLines,
    /// Objects one after another, pretty-printed or not (EVTX dumps, SigmaHQ regression data).
    JsonObjects,
    Evtx,
}

impl Format {
    /// Guesses the format from the name and the first bytes.
    pub fn detect(path: &Path, head: &[u8]) -> Format {
        if head.starts_with(b"ElfFile\0") || path.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx")) {
            return Format::Evtx;
        }
        // A JSON-lines file has a whole object on its first line.
        let first = head
            .split(|&b| b == b'\n')
            .find(|l| !l.iter().all(u8::is_ascii_whitespace));
        match first {
            Some(line) if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() => Format::JsonLines,
            Some(_) => Format::JsonObjects,
            None => Format::JsonLines,
        }
    }
}

/// Calls `each(index, event)` for every event of the file, in order. `index` is the 0-based
/// line for JSON lines, the 0-based object for other JSON, the 0-based record for EVTX.
/// Problems with single events go to `problem` and reading goes on; `Err` means the file
/// could not be read at all.
pub fn read_path(
    path: &Path,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) -> Result<(), String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut file, &mut head).map_err(|e| format!("cannot read the file: {e}"))?;
    head.truncate(n);
    match Format::detect(path, &head) {
        Format::Evtx => read_evtx(path, each, problem),
        Format::JsonLines => {
            let reader = std::io::BufReader::new(std::io::Cursor::new(head).chain(file));
            read_json_lines(reader, each, problem)
        }
        Format::JsonObjects => {
            let reader = std::io::BufReader::new(std::io::Cursor::new(head).chain(file));
            read_json_object_stream(reader, each, problem)
        }
    }
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read as _;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Reads JSON lines; blank lines are skipped (and still counted). A line longer than
/// [`MAX_EVENT_BYTES`] is reported and skipped, as [`Lines`] reads it.
pub fn read_json_lines(
    reader: impl BufRead,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) -> Result<(), String> {
    let mut lines = Lines::new(reader);
    while let Some((line_no, line)) = lines.next_line().map_err(|e| format!("cannot read: {e}"))? {
        let index = line_no - 1;
        let buf = match line {
            Line::Text(buf) => buf,
            Line::TooLong | Line::Endless => {
                problem(InputError {
                    line: line_no,
                    column: 0,
                    record: None,
                    message: too_long("line", matches!(line, Line::Endless)),
                });
                continue;
            }
        };
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(buf) {
            Err(e) => problem(InputError {
                line: line_no,
                column: e.valid_up_to() as u64 + 1,
                record: None,
                message: "the line is not valid UTF-8".to_owned(),
            }),
            Ok(text) => match Event::from_json(text) {
                Ok(event) => each(index, &event),
                Err(e) => problem(InputError {
                    line: line_no,
                    column: e.column() as u64,
                    record: None,
                    message: format!("not a JSON object: {}", strip_position(&e)),
                }),
            },
        }
    }
    Ok(())
}

/// One line of a text, as [`Lines`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line without its `\n` (or `\r\n`).
    Text(&'a [u8]),
    /// Longer than [`MAX_EVENT_BYTES`]: read up to its end without being kept.
    TooLong,
    /// Longer than [`MAX_EVENT_BYTES`] and still without an end after [`MAX_SKIP_BYTES`]:
    /// reading stops there, and no line follows.
    Endless,
}

/// Reads the lines of a text one at a time, never holding more than [`MAX_EVENT_BYTES`] of
/// one: `BufRead::read_until` would hold a line of any length (a file without newlines whole).
#[derive(Debug)]
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: u64,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            buf: Vec::new(),
            number: 0,
            done: false,
        }
    }

    /// The next line and its 1-based number; `None` at the end of the text.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, Line<'_>)>> {
        if self.done {
            return Ok(None);
        }
        self.buf.clear();
        let (mut length, mut any) = (0u64, false);
        let ended = loop {
            let available = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break false;
            }
            any = true;
            let (part, used, ends) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            keep(&mut self.buf, &mut length, part);
            self.reader.consume(used);
            if ends {
                break true;
            }
            if length > MAX_SKIP_BYTES {
                self.done = true;
                self.number += 1;
                return Ok(Some((self.number, Line::Endless)));
            }
        };
        if !any {
            self.done = true;
            return Ok(None);
        }
        self.done = !ended;
        self.number += 1;
        if length > MAX_EVENT_BYTES as u64 {
            return Ok(Some((self.number, Line::TooLong)));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((self.number, Line::Text(&self.buf))))
    }
}

/// Adds `part` to the record in `buf`, `length` bytes long so far, while the record stays
/// within [`MAX_EVENT_BYTES`]; past that, `buf` is emptied and stays empty. `buf` never grows
/// beyond the bound.
fn keep(buf: &mut Vec<u8>, length: &mut u64, part: &[u8]) {
    *length += part.len() as u64;
    if *length > MAX_EVENT_BYTES as u64 {
        buf.clear();
        return;
    }
    let need = buf.len() + part.len();
    if need > buf.capacity() {
        let want = (buf.capacity() * 2).clamp(need, MAX_EVENT_BYTES);
        buf.reserve_exact(want - buf.len());
    }
    buf.extend_from_slice(part);
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Reads JSON objects that follow one another in a text (see [`read_json_object_stream`]).
pub fn read_json_objects(bytes: &[u8], each: &mut dyn FnMut(u64, &Event<'_>), problem: &mut dyn FnMut(InputError)) {
    // Reading a slice cannot fail.
    let _ = read_json_object_stream(bytes, each, problem);
}

/// Reads JSON objects that follow one another, pretty-printed or not, one object at a time:
/// each is found by following its brackets and strings, then parsed alone, so the work is
/// linear in the text and memory stays within [`MAX_EVENT_BYTES`] (a longer object is reported
/// and skipped). An object that does not parse is reported and skipped; anything but
/// whitespace between objects ends the reading, since where the next object starts is then
/// unknown.
pub fn read_json_object_stream(
    mut reader: impl BufRead,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) -> Result<(), String> {
    let mut buf = Vec::new();
    // Where the reader is: its line, the offset where that line starts, and the offset of the
    // chunk at hand.
    let (mut line, mut line_start, mut offset) = (1u64, 0u64, 0u64);
    // The object being read: its depth of brackets (0 between objects), whether in a string
    // and just after a backslash there, its place and its length so far.
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut start, mut length) = ((0u64, 0u64), 0u64);
    let mut index = 0u64;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        if chunk.is_empty() {
            break;
        }
        // Where the current object's bytes start in this chunk.
        let mut from = 0;
        for (i, &b) in chunk.iter().enumerate() {
            let at = offset + i as u64;
            if b == b'\n' {
                line += 1;
                line_start = at + 1;
            }
            if depth == 0 {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => {}
                    b'{' => {
                        depth = 1;
                        (in_string, escaped) = (false, false);
                        start = (line, at - line_start + 1);
                        length = 0;
                        buf.clear();
                        from = i;
                    }
                    _ => {
                        problem(InputError {
                            line,
                            column: at - line_start + 1,
                            record: None,
                            message: "not a JSON object (expected `{`); the rest of the file is not read".to_owned(),
                        });
                        return Ok(());
                    }
                }
                continue;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth -= 1,
                    _ => {}
                }
            }
            if depth == 0 {
                keep(&mut buf, &mut length, &chunk[from..=i]);
                one_object(&buf, length, start, index, each, problem);
                index += 1;
            }
        }
        let n = chunk.len();
        if depth > 0 {
            keep(&mut buf, &mut length, &chunk[from..]);
            if length > MAX_SKIP_BYTES {
                problem(InputError {
                    line: start.0,
                    column: start.1,
                    record: None,
                    message: too_long("JSON object", true),
                });
                return Ok(());
            }
        }
        reader.consume(n);
        offset += n as u64;
    }
    if depth > 0 {
        problem(InputError {
            line: start.0,
            column: start.1,
            record: None,
            message: if length > MAX_EVENT_BYTES as u64 {
                too_long("JSON object", false)
            } else {
                "not a JSON object: the file ends inside it".to_owned()
            },
        });
    }
    Ok(())
}

/// Parses one object of [`read_json_object_stream`], `length` bytes long and starting at
/// `start` (line and column), of which `bytes` were kept.
fn one_object(
    bytes: &[u8],
    length: u64,
    start: (u64, u64),
    index: u64,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) {
    // A place in the object (1-based line and column within it) as a place in the text.
    let place = |line: u64, column: u64| match line {
        0 => start,
        1 => (start.0, start.1 + column.saturating_sub(1)),
        n => (start.0 + n - 1, column),
    };
    let (at, message) = if length > MAX_EVENT_BYTES as u64 {
        (start, too_long("JSON object", false))
    } else {
        match std::str::from_utf8(bytes) {
            Err(e) => {
                let before = &bytes[..e.valid_up_to()];
                let lines = memchr::memchr_iter(b'\n', before).count() as u64;
                let column = match memchr::memrchr(b'\n', before) {
                    Some(i) => before.len() - i,
                    None => before.len() + 1,
                };
                (
                    place(lines + 1, column as u64),
                    "the object is not valid UTF-8".to_owned(),
                )
            }
            Ok(text) => match Event::from_json(text) {
                Ok(event) => {
                    each(index, &event);
                    return;
                }
                Err(e) => (
                    place(e.line() as u64, e.column() as u64),
                    format!("not a JSON object: {}", strip_position(&e)),
                ),
            },
        }
    };
    problem(InputError {
        line: at.0,
        column: at.1,
        record: None,
        message,
    });
}

/// Reads an `.evtx` file through the `evtx` crate.
pub fn read_evtx(
    path: &Path,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) -> Result<(), String> {
    let mut parser = evtx::EvtxParser::from_path(path).map_err(|e| format!("not a readable EVTX file: {e}"))?;
    for (index, record) in parser.records_json_value().enumerate() {
        match record {
            Ok(record) => match Event::deserialize_from(record.data) {
                Ok(event) => each(index as u64, &event),
                Err(e) => problem(InputError {
                    line: 0,
                    column: 0,
                    record: Some(index as u64),
                    message: format!("unexpected record shape: {e}"),
                }),
            },
            Err(e) => problem(InputError {
                line: 0,
                column: 0,
                record: Some(index as u64),
                message: format!("damaged record skipped: {e}"),
            }),
        }
    }
    Ok(())
}
