//! The event store: a team's events, appended in arrival order, kept as columns.
//!
//! - Every field has a **dictionary** of the distinct values it has taken, in one text buffer
//!   (each value followed by a NUL byte, so one substring search covers the whole dictionary),
//!   with a hash table from value to id.
//! - Events with the same fields in the same order share a **shape**; a shape keeps, per
//!   field, a column of dictionary ids, and the row numbers of its events. The simulation writes
//!   each kind of record with a fixed field order, so a team's millions of events fall into a few
//!   hundred shapes.
//! - `@timestamp` is kept as milliseconds per row; when its text is the canonical
//!   `…T…:…:…​.mmmZ` form it is not stored again but written back from the number.
//!
//! An event is written back (JSON, or field by field) from its shape and its column entries,
//! with the fields in their original order. The store is rebuilt from the deterministic
//! simulation (or from any JSON lines) whenever a node starts; it holds nothing that is not
//! derived from there.

use std::borrow::Cow;
use std::hash::BuildHasher as _;

use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashTable};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::time::{self, Millis};

/// Row number of an event in its store: 0 for the first event appended.
pub type Row = u32;
/// Index of a field name in its store.
pub type FieldId = u32;

/// The field every event's time is read from.
pub const TIMESTAMP: &str = "@timestamp";
/// Shape slots with this bit set hold the canonical `@timestamp`, written back from the row's time.
const DERIVED_TIME: u32 = 1 << 31;
/// Time of an event without a readable `@timestamp`: before every other, and never in a range.
pub const NO_TIME: Millis = i64::MIN;

/// The JSON type of a value, kept so that events are written back as they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Str,
    Num,
    Bool,
    Null,
    /// An object or array, kept as its JSON text.
    Json,
}

/// The distinct values of one field.
#[derive(Debug)]
pub(crate) struct Dict {
    /// Every value followed by a NUL byte.
    text: String,
    starts: Vec<usize>,
    kinds: Vec<Kind>,
    table: HashTable<u32>,
}

fn slice<'t>(text: &'t str, starts: &[usize], id: u32) -> &'t str {
    let i = id as usize;
    let end = starts.get(i + 1).map_or(text.len(), |&s| s) - 1;
    &text[starts[i]..end]
}

fn hash_value(kind: Kind, text: &str) -> u64 {
    FixedState::with_seed(0x5eed).hash_one((kind as u8, text))
}

impl Dict {
    fn new() -> Dict {
        Dict {
            text: String::new(),
            starts: Vec::new(),
            kinds: Vec::new(),
            table: HashTable::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn text(&self, id: u32) -> &str {
        slice(&self.text, &self.starts, id)
    }

    pub(crate) fn kind(&self, id: u32) -> Kind {
        self.kinds[id as usize]
    }

    /// All values, NUL-separated: what substring searches run over.
    pub(crate) fn buffer(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The id of the value whose text covers byte `at` of [`Dict::buffer`], and where it ends.
    pub(crate) fn at(&self, at: usize) -> (u32, usize) {
        let id = self.starts.partition_point(|&s| s <= at) - 1;
        let end = self.starts.get(id + 1).map_or(self.text.len(), |&s| s) - 1;
        (id as u32, end)
    }

    fn intern(&mut self, kind: Kind, value: &str) -> u32 {
        let hash = hash_value(kind, value);
        let Dict {
            text,
            starts,
            kinds,
            table,
        } = self;
        let found = table.find(hash, |&id| {
            kinds[id as usize] == kind && slice(text, starts, id) == value
        });
        if let Some(&id) = found {
            return id;
        }
        let id = starts.len() as u32;
        starts.push(text.len());
        text.push_str(value);
        text.push('\0');
        kinds.push(kind);
        table.insert_unique(hash, id, |&id| hash_value(kinds[id as usize], slice(text, starts, id)));
        id
    }

    fn bytes(&self) -> usize {
        self.text.capacity() + self.starts.capacity() * 8 + self.kinds.capacity() + self.table.capacity() * 5
    }
}

/// Events with one list of fields: their rows and one column of value ids per field.
#[derive(Debug)]
pub(crate) struct Shape {
    /// Field ids in event order; [`DERIVED_TIME`] marks a `@timestamp` written back from the row time.
    slots: Box<[u32]>,
    pub(crate) rows: Vec<Row>,
    /// One column per slot (empty for the derived time).
    cols: Vec<Vec<u32>>,
}

impl Shape {
    /// The column of `field`, or `None` when these events lack it. The derived time has an
    /// empty column: read it from the row times.
    pub(crate) fn column(&self, field: FieldId) -> Option<Slot<'_>> {
        self.slots.iter().position(|&s| s & !DERIVED_TIME == field).map(|i| {
            if self.slots[i] & DERIVED_TIME != 0 {
                Slot::Time
            } else {
                Slot::Values(&self.cols[i])
            }
        })
    }
}

/// Where a shape keeps one field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'s> {
    Values(&'s [u32]),
    /// The row's time, as text in canonical form.
    Time,
}

/// A line that is not a JSON object, or a store that is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    /// 1-based column in the line, where known.
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "column {c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for IngestError {}

/// One team's events.
#[derive(Debug)]
pub struct Store {
    names: Vec<String>,
    by_name: HashMap<String, FieldId>,
    dicts: Vec<Dict>,
    /// Events that carry each field.
    present: Vec<u64>,
    shapes: Vec<Shape>,
    shape_ids: HashMap<Box<[u32]>, u32>,
    times: Vec<Millis>,
    /// Shape and position in the shape of every row.
    places: Vec<(u32, u32)>,
    sorted: bool,
    key: Vec<u32>,
    values: Vec<u32>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        let mut store = Store {
            names: Vec::new(),
            by_name: HashMap::new(),
            dicts: Vec::new(),
            present: Vec::new(),
            shapes: Vec::new(),
            shape_ids: HashMap::new(),
            times: Vec::new(),
            places: Vec::new(),
            sorted: true,
            key: Vec::new(),
            values: Vec::new(),
        };
        store.field(TIMESTAMP);
        store
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Appends one event given as a JSON object on one line. A line that is not an object is
    /// refused with the column where reading stopped, and the store is left as it was.
    pub fn push_json(&mut self, line: &str) -> Result<Row, IngestError> {
        let mut de = serde_json::Deserializer::from_str(line);
        let pairs = de
            .deserialize_map(PairsVisitor)
            .and_then(|p| de.end().map(|()| p))
            .map_err(|e| IngestError {
                column: Some(e.column()),
                message: match e.classify() {
                    serde_json::error::Category::Data => "an event is one JSON object per line".to_owned(),
                    _ => format!("not JSON: {e}").replace(&format!(" at line {} column {}", e.line(), e.column()), ""),
                },
            })?;
        let mut fields = Vec::with_capacity(pairs.len());
        for (key, raw) in &pairs {
            let raw = raw.get();
            let value = match raw.as_bytes().first() {
                Some(b'"') if !raw.contains('\\') => (Kind::Str, Cow::Borrowed(&raw[1..raw.len() - 1])),
                Some(b'"') => match serde_json::from_str::<String>(raw) {
                    Ok(s) => (Kind::Str, Cow::Owned(s)),
                    Err(e) => {
                        return Err(IngestError {
                            column: None,
                            message: format!("field `{key}`: {e}"),
                        });
                    }
                },
                Some(b't' | b'f') => (Kind::Bool, Cow::Borrowed(raw)),
                Some(b'n') => (Kind::Null, Cow::Borrowed(raw)),
                Some(b'{' | b'[') => (Kind::Json, Cow::Borrowed(raw)),
                _ => (Kind::Num, Cow::Borrowed(raw)),
            };
            fields.push((key.as_ref(), value.0, value.1));
        }
        let fields: Vec<(&str, Kind, &str)> = fields.iter().map(|(k, kind, v)| (*k, *kind, v.as_ref())).collect();
        self.push(&fields)
    }

    /// Appends one event given as (name, type, text) fields in order.
    pub fn push(&mut self, fields: &[(&str, Kind, &str)]) -> Result<Row, IngestError> {
        if self.times.len() >= u32::MAX as usize {
            return Err(IngestError {
                column: None,
                message: format!("the event store is full ({} events)", self.times.len()),
            });
        }
        let row = self.times.len() as Row;
        let mut time = NO_TIME;
        self.key.clear();
        self.values.clear();
        for &(name, kind, text) in fields {
            let field = self.field(name);
            self.present[field as usize] += 1;
            if field == 0
                && kind == Kind::Str
                && let Some(ms) = time::parse(text)
            {
                time = ms;
                let mut canonical = String::with_capacity(24);
                time::format(ms, &mut canonical);
                if canonical == text {
                    self.key.push(DERIVED_TIME);
                    self.values.push(0);
                    continue;
                }
            }
            self.key.push(field);
            self.values.push(self.dicts[field as usize].intern(kind, text));
        }
        let shape = match self.shape_ids.get(self.key.as_slice()) {
            Some(&s) => s,
            None => {
                let s = self.shapes.len() as u32;
                self.shapes.push(Shape {
                    slots: self.key.clone().into_boxed_slice(),
                    rows: Vec::new(),
                    cols: vec![Vec::new(); self.key.len()],
                });
                self.shape_ids.insert(self.key.clone().into_boxed_slice(), s);
                s
            }
        };
        let target = &mut self.shapes[shape as usize];
        let position = target.rows.len() as u32;
        target.rows.push(row);
        for ((col, &slot), &value) in target.cols.iter_mut().zip(target.slots.iter()).zip(&self.values) {
            if slot & DERIVED_TIME == 0 {
                col.push(value);
            }
        }
        if self.times.last().is_some_and(|&last| last > time) {
            self.sorted = false;
        }
        self.times.push(time);
        self.places.push((shape, position));
        Ok(row)
    }

    fn field(&mut self, name: &str) -> FieldId {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.names.len() as FieldId;
        self.names.push(name.to_owned());
        self.by_name.insert(name.to_owned(), id);
        self.dicts.push(Dict::new());
        self.present.push(0);
        id
    }

    /// Field names with the number of events carrying each, in order of first appearance.
    pub fn fields(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.names
            .iter()
            .zip(&self.present)
            .filter(|(_, n)| **n > 0)
            .map(|(name, &n)| (name.as_str(), n))
    }

    pub(crate) fn field_id(&self, name: &str) -> Option<FieldId> {
        self.by_name
            .get(name)
            .copied()
            .filter(|&id| self.present[id as usize] > 0)
    }

    pub(crate) fn name(&self, field: FieldId) -> &str {
        &self.names[field as usize]
    }

    pub(crate) fn dict(&self, field: FieldId) -> &Dict {
        &self.dicts[field as usize]
    }

    pub(crate) fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// Row times in milliseconds ([`NO_TIME`] for an event without one).
    pub fn times(&self) -> &[Millis] {
        &self.times
    }

    /// The shape of a row, and the row's position in it.
    pub(crate) fn place(&self, row: Row) -> (usize, usize) {
        let (shape, position) = self.places[row as usize];
        (shape as usize, position as usize)
    }

    /// Whether row times never decrease, so that a time range is a range of rows.
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// The fields of one event in their order, as (name, type, text).
    pub fn event(&self, row: Row) -> Vec<(&str, Kind, Cow<'_, str>)> {
        let (shape, position) = self.places[row as usize];
        let shape = &self.shapes[shape as usize];
        shape
            .slots
            .iter()
            .zip(&shape.cols)
            .map(|(&slot, col)| {
                if slot & DERIVED_TIME != 0 {
                    (
                        TIMESTAMP,
                        Kind::Str,
                        Cow::Owned(time::to_string(self.times[row as usize])),
                    )
                } else {
                    let dict = &self.dicts[slot as usize];
                    let id = col[position as usize];
                    (
                        self.names[slot as usize].as_str(),
                        dict.kind(id),
                        Cow::Borrowed(dict.text(id)),
                    )
                }
            })
            .collect()
    }

    /// The text of one field of one event (the first, if the event has it twice).
    pub fn value(&self, row: Row, field: &str) -> Option<(Kind, Cow<'_, str>)> {
        let field = self.field_id(field)?;
        self.value_of(row, field)
    }

    pub(crate) fn value_of(&self, row: Row, field: FieldId) -> Option<(Kind, Cow<'_, str>)> {
        let (shape, position) = self.places[row as usize];
        match self.shapes[shape as usize].column(field)? {
            Slot::Time => Some((Kind::Str, Cow::Owned(time::to_string(self.times[row as usize])))),
            Slot::Values(col) => {
                let dict = &self.dicts[field as usize];
                let id = col[position as usize];
                Some((dict.kind(id), Cow::Borrowed(dict.text(id))))
            }
        }
    }

    /// Writes one event as a JSON object, fields in their original order.
    pub fn write_json(&self, row: Row, out: &mut String) {
        out.push('{');
        for (i, (name, kind, text)) in self.event(row).into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(name, out);
            out.push(':');
            match kind {
                Kind::Str => push_json_string(&text, out),
                _ => out.push_str(&text),
            }
        }
        out.push('}');
    }

    /// Approximate bytes held: columns, row tables and dictionaries.
    pub fn heap_bytes(&self) -> usize {
        let shapes: usize = self
            .shapes
            .iter()
            .map(|s| s.rows.capacity() * 4 + s.cols.iter().map(|c| c.capacity() * 4).sum::<usize>())
            .sum();
        shapes
            + self.times.capacity() * 8
            + self.places.capacity() * 8
            + self.dicts.iter().map(Dict::bytes).sum::<usize>()
    }
}

/// Writes `text` as a JSON string.
pub(crate) fn push_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

type Pairs<'a> = Vec<(Key<'a>, &'a RawValue)>;

/// A field name, borrowed from the line unless it had escapes.
#[derive(Debug)]
struct Key<'a>(Cow<'a, str>);

impl AsRef<str> for Key<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Pairs<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'de>, A::Error> {
        let mut pairs = Vec::with_capacity(32);
        while let Some(pair) = map.next_entry::<Key<'de>, &'de RawValue>()? {
            pairs.push(pair);
        }
        Ok(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_back_as_they_went_in() {
        let lines = [
            r#"{"@timestamp":"2026-05-31T22:30:00.041Z","host":"pt-dns01","log":"dns","src_ip":"10.20.2.15","query":"www.abc.net.au"}"#,
            r#"{"@timestamp":"2026-05-31T22:30:01.000Z","host":"PT-DC01","log":"security","EventID":4624,"User":"PACTEL\\jdoe","Initiated":"true","ok":true,"gone":null,"list":[1,2]}"#,
            r#"{"@timestamp":"2026-06-01T08:30:00+10:00","host":"PT-DC01","EventID":"4688","note":"tab\there \"quoted\""}"#,
            r#"{"host":"no-time","msg":"ünïcödé"}"#,
        ];
        let mut store = Store::new();
        for line in lines {
            store.push_json(line).unwrap();
        }
        for (row, line) in lines.iter().enumerate() {
            let mut out = String::new();
            store.write_json(row as Row, &mut out);
            let want: serde_json::Value = serde_json::from_str(line).unwrap();
            let got: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(got, want, "row {row}: {out}");
            if row < 2 {
                assert_eq!(&out, line, "canonical lines come back byte for byte");
            }
        }
        assert_eq!(store.times()[3], NO_TIME);
        assert!(!store.is_sorted(), "the event without a time comes last");
        assert_eq!(store.value(1, "User").unwrap().1, "PACTEL\\jdoe");
        assert_eq!(store.value(2, "EventID").unwrap(), (Kind::Str, Cow::Borrowed("4688")));
        assert_eq!(store.value(1, "EventID").unwrap(), (Kind::Num, Cow::Borrowed("4624")));
        assert_eq!(store.value(0, "EventID"), None);
        let fields: Vec<_> = store.fields().collect();
        assert_eq!(fields[0], ("@timestamp", 3));
        assert!(fields.contains(&("host", 4)));
    }

    #[test]
    fn bad_lines_change_nothing() {
        let mut store = Store::new();
        store.push_json(r#"{"host":"a"}"#).unwrap();
        let err = store.push_json(r#"{"host":"b", "x": }"#).unwrap_err();
        assert_eq!(err.column, Some(19));
        assert!(err.message.starts_with("not JSON"), "{err}");
        let err = store.push_json("[1,2]").unwrap_err();
        assert_eq!(err.message, "an event is one JSON object per line");
        assert_eq!(store.len(), 1);
        assert_eq!(store.dict(store.field_id("host").unwrap()).len(), 1);
    }

    #[test]
    fn dictionaries_and_shapes_are_shared() {
        let mut store = Store::new();
        for i in 0..100 {
            let line = format!(
                r#"{{"@timestamp":"2026-06-01T00:00:{:02}.000Z","host":"h{}","log":"dns"}}"#,
                i % 60,
                i % 3
            );
            store.push_json(&line).unwrap();
        }
        assert_eq!(store.shapes().len(), 1);
        assert_eq!(store.dict(store.field_id("host").unwrap()).len(), 3);
        assert_eq!(store.dict(0).len(), 0, "canonical times are not kept as text");
        let host = store.dict(store.field_id("host").unwrap());
        let (id, end) = host.at(3);
        assert_eq!((host.text(id), end), ("h1", 5));
    }
}
