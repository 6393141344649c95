//! One telemetry record under construction, and its JSON line.
//!
//! An [`Event`] is reused from one record to the next: field values go into one text buffer
//! and fields are (key, range) pairs, so building and writing an event allocates nothing once
//! the buffers have grown. Keys borrow from the scenario (template fields) or are static.

use std::fmt::Write as _;

use atoll_scenario::model::Source;

use crate::clock::{Calendar, Millis};

#[derive(Debug, Clone, Copy)]
struct Field<'a> {
    key: &'a str,
    start: u32,
    end: u32,
    /// Written without quotes (a whole number or `true`/`false`).
    bare: bool,
}

/// A record being built: when, on which host, in which log, and its fields in order.
#[derive(Debug)]
pub struct Event<'a> {
    pub time: Millis,
    pub host: usize,
    pub log: Source,
    text: String,
    fields: Vec<Field<'a>>,
}

impl<'a> Event<'a> {
    pub fn new() -> Self {
        Event {
            time: 0,
            host: 0,
            log: Source::Syslog,
            text: String::with_capacity(1024),
            fields: Vec::with_capacity(40),
        }
    }

    /// Starts a new record, forgetting the previous one.
    pub fn reset(&mut self, time: Millis, host: usize, log: Source) {
        self.time = time;
        self.host = host;
        self.log = log;
        self.text.clear();
        self.fields.clear();
    }

    fn push(&mut self, key: &'a str, start: usize, bare: bool) {
        self.fields.push(Field {
            key,
            start: start as u32,
            end: self.text.len() as u32,
            bare,
        });
    }

    pub fn str(&mut self, key: &'a str, value: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.push(key, start, false);
        self
    }

    pub fn int(&mut self, key: &'a str, value: i64) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(itoa::Buffer::new().format(value));
        self.push(key, start, true);
        self
    }

    pub fn bool(&mut self, key: &'a str, value: bool) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(if value { "true" } else { "false" });
        self.push(key, start, true);
        self
    }

    /// A text value written with `format_args!`.
    pub fn fmt(&mut self, key: &'a str, args: std::fmt::Arguments<'_>) -> &mut Self {
        let start = self.text.len();
        let _ = self.text.write_fmt(args);
        self.push(key, start, false);
        self
    }

    /// A text value built by `f` in place.
    pub fn with(&mut self, key: &'a str, f: impl FnOnce(&mut String)) -> &mut Self {
        let start = self.text.len();
        f(&mut self.text);
        self.push(key, start, false);
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| &self.text[f.start as usize..f.end as usize])
    }

    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|f| f.key == key)
    }

    /// The number in a field (written bare or as text).
    pub fn number(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.parse().ok())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field keys and values, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|f| (f.key, &self.text[f.start as usize..f.end as usize]))
    }

    /// Puts the fields named in `order` first, in that order; the others keep theirs after.
    pub fn order_by(&mut self, order: &[&str]) {
        // Each field's place is looked up once (a stable sort would otherwise look it up at
        // every comparison).
        self.fields
            .sort_by_cached_key(|f| order.iter().position(|k| *k == f.key).unwrap_or(order.len()));
    }

    /// Writes the record as one JSON line: `@timestamp`, `host`, `log`, `team`, then the fields.
    pub fn write_json(&self, out: &mut Vec<u8>, cal: &mut Calendar, unix_ms: i64, host: &str, team: &str) {
        out.extend_from_slice(b"{\"@timestamp\":\"");
        cal.rfc3339(unix_ms, out);
        out.extend_from_slice(b"\",\"host\":");
        json_str(out, host);
        out.extend_from_slice(b",\"log\":\"");
        out.extend_from_slice(self.log.as_str().as_bytes());
        out.extend_from_slice(b"\",\"team\":");
        json_str(out, team);
        for f in &self.fields {
            out.push(b',');
            json_str(out, f.key);
            out.push(b':');
            let v = &self.text[f.start as usize..f.end as usize];
            if f.bare {
                out.extend_from_slice(v.as_bytes());
            } else {
                json_str(out, v);
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

impl Default for Event<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Writes `s` as a JSON string.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most values need no escape: one branch-free pass (which the compiler vectorises) tells.
    let plain = !bytes
        .iter()
        .fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if plain {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json_in_field_order() {
        let mut ev = Event::new();
        ev.reset(0, 0, Source::Sysmon);
        ev.int("EventID", 1)
            .str("Image", "C:\\Windows\\System32\\cmd.exe")
            .str("CommandLine", "cmd /c \"echo\ttab\u{1}\"")
            .bool("Initiated", true);
        ev.order_by(&["Image", "EventID"]);
        let mut out = Vec::new();
        let mut cal = Calendar::default();
        ev.write_json(&mut out, &mut cal, 1_780_000_000_123, "PT-DC01", "palau");
        let line = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["Image"], "C:\\Windows\\System32\\cmd.exe");
        assert_eq!(v["CommandLine"], "cmd /c \"echo\ttab\u{1}\"");
        assert_eq!(v["EventID"], 1);
        assert_eq!(v["Initiated"], true);
        assert_eq!(v["log"], "sysmon");
        let keys: Vec<&str> = line.split("\":").map(|k| k.rsplit('"').next().unwrap()).collect();
        let pos = |k: &str| keys.iter().position(|x| *x == k).unwrap();
        assert!(pos("@timestamp") < pos("host") && pos("host") < pos("log") && pos("log") < pos("team"));
        assert!(pos("Image") < pos("EventID") && pos("EventID") < pos("CommandLine"));
        assert!(line.ends_with("}\n"));
    }
}
