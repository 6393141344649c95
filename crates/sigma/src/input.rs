//! Reading events from files: JSON lines, JSON files holding one or more objects (EVTX dumps),
//! and `.evtx` files.
//!
//! Events are handed to a callback one at a time, so memory does not grow with the file.
//! A malformed event is reported with its place and skipped; the rest of the file is read.

use std::io::BufRead;
use std::path::Path;

use crate::event::Event;

/// A problem with one event or with a whole input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line and column for text inputs; 0 when the place is not a line (EVTX records
    /// are numbered by `record`).
    pub line: u64,
    pub column: u64,
    pub record: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record {
            Some(r) => write!(f, "record {r}: {}", self.message),
            None if self.line > 0 => write!(f, "{}:{}: {}", self.line, self.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Longest JSON line accepted; longer lines are reported and skipped.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

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
            let mut text = head;
            file.read_to_end(&mut text)
                .map_err(|e| format!("cannot read the file: {e}"))?;
            read_json_objects(&text, each, problem);
            Ok(())
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

/// Reads JSON lines; blank lines are skipped (and still counted).
pub fn read_json_lines(
    mut reader: impl BufRead,
    each: &mut dyn FnMut(u64, &Event<'_>),
    problem: &mut dyn FnMut(InputError),
) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut index = 0u64;
    loop {
        buf.clear();
        let n = read_line_capped(&mut reader, &mut buf).map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        let line_no = index + 1;
        if buf.len() > MAX_LINE_BYTES {
            problem(InputError {
                line: line_no,
                column: 1,
                record: None,
                message: format!("the line is longer than {} MiB; skipped", MAX_LINE_BYTES >> 20),
            });
        } else if !buf.iter().all(u8::is_ascii_whitespace) {
            match std::str::from_utf8(&buf) {
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
        index += 1;
    }
}

/// Reads one line into `buf` (without its newline), keeping at most `MAX_LINE_BYTES + 1`
/// bytes of it so that one huge line cannot exhaust memory. Returns the bytes consumed.
fn read_line_capped(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut consumed = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        consumed += used;
        if done.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(consumed);
        }
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Reads JSON objects that follow one another in a text.
pub fn read_json_objects(bytes: &[u8], each: &mut dyn FnMut(u64, &Event<'_>), problem: &mut dyn FnMut(InputError)) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            problem(InputError {
                line,
                column: 1,
                record: None,
                message: "the file is not valid UTF-8".to_owned(),
            });
            return;
        }
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let mut index = 0;
    loop {
        // Skip whitespace to tell the end of the input from a truncated object.
        if de.end().is_ok() {
            return;
        }
        match Event::deserialize_from(&mut de) {
            Ok(event) => each(index, &event),
            Err(e) => {
                problem(InputError {
                    line: e.line() as u64,
                    column: e.column() as u64,
                    record: None,
                    message: format!("not a JSON object: {}", strip_position(&e)),
                });
                // The rest cannot be resynchronised reliably.
                return;
            }
        }
        index += 1;
    }
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
