//! Events as the engine sees them: a flat list of field names and values.
//!
//! Three shapes arrive and all become the same [`Event`]:
//! - atoll's own JSON lines, already flat (`{"@timestamp": …, "EventID": 1, "Image": …}`);
//! - the nested `{"Event": {"System": {…}, "EventData": {…}}}` that EVTX dumpers write, whose
//!   System block is flattened the usual way (`Provider_Name`, `Channel`, `Computer`,
//!   `EventRecordID`, `EventID`, …) and whose EventData / UserData fields come up to the top;
//! - `.evtx` files, read through the `evtx` crate into that nested shape.
//!
//! No JSON is parsed into a `serde_json::Value`: strings without escapes borrow from the line,
//! everything else is copied once. Flat lines of strings, integers, booleans and null take a
//! one-pass fast path ([`crate::flat`]); everything else goes through serde_json.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One field value. Numbers and booleans keep their JSON type; rules compare them by their
/// text (`4688` matches `"4688"`) and, for `lt`/`gt`, by their number.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Value<'_> {
    /// The value as rules read it; `None` for null.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null => None,
        }
    }

    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Bool(b) => Value::Bool(b),
            Value::Null => Value::Null,
        }
    }
}

/// An event: field names and values in the order they were read. A name can appear more than
/// once (a JSON list becomes one entry per element); a rule matches if any of them matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event<'a> {
    pub fields: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Event<'a> {
    /// Parses one JSON object, flat or in the nested EVTX-dump shape.
    pub fn from_json(text: &'a str) -> Result<Event<'a>, serde_json::Error> {
        if let Some(fields) = crate::flat::parse(text) {
            let mut event = Event { fields };
            event.normalise();
            return Ok(event);
        }
        Event::from_json_slow(text)
    }

    /// [`Event::from_json`] through serde_json alone: what the fast path for flat lines must
    /// agree with.
    #[doc(hidden)]
    pub fn from_json_slow(text: &'a str) -> Result<Event<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let event = Event::deserialize_from(&mut de)?;
        de.end()?;
        Ok(event)
    }

    /// Reads one JSON object from a deserializer (used for files holding several objects).
    pub fn deserialize_from<D: Deserializer<'a>>(de: D) -> Result<Event<'a>, D::Error> {
        // Room for a typical Windows event's fields, grown once at most.
        let mut event = Event {
            fields: Vec::with_capacity(32),
        };
        let mut path = Vec::new();
        de.deserialize_map(Flatten {
            out: &mut event.fields,
            path: &mut path,
            top: true,
        })?;
        event.normalise();
        Ok(event)
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn into_owned(self) -> Event<'static> {
        Event {
            fields: self
                .fields
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        }
    }

    /// Renames the paths of a nested EVTX dump to the flat names rules and tools use.
    fn normalise(&mut self) {
        if !self.fields.iter().any(|(k, _)| k.starts_with("Event.")) {
            return;
        }
        self.fields.retain_mut(|(name, _)| match evtx_name(name) {
            Some(flat) => {
                *name = Cow::Owned(flat);
                true
            }
            None => !name.starts_with("Event."),
        });
    }
}

/// The flat name of a nested EVTX-dump path, or `None` for paths that carry nothing a rule
/// reads (XML namespaces).
fn evtx_name(path: &str) -> Option<String> {
    let rest = path.strip_prefix("Event.")?;
    let segments: Vec<&str> = rest.split('.').collect();
    let (section, inner) = segments.split_first()?;
    let inner: Vec<&str> = match *section {
        "System" | "EventData" | "RenderingInfo" => inner.to_vec(),
        // UserData holds one element named after the event (`LogFileCleared`, …).
        "UserData" => inner.get(1..).map(<[&str]>::to_vec).unwrap_or_default(),
        "#attributes" => return None,
        _ => segments.clone(),
    };
    let n = inner.len();
    match inner.as_slice() {
        [] => None,
        [.., "#attributes", "xmlns"] => None,
        [owner, "#attributes", attr] if n == 3 => Some(match *owner {
            // The conventional flat names of System attributes.
            "Provider" => format!("Provider_{attr}"),
            _ => (*attr).to_owned(),
        }),
        [.., attr_owner, "#attributes", attr] => Some(format!("{attr_owner}_{attr}")),
        [.., field, "#text"] => Some((*field).to_owned()),
        [.., last] => Some((*last).to_owned()),
    }
}

struct Flatten<'p, 'a> {
    out: &'p mut Vec<(Cow<'a, str>, Value<'a>)>,
    path: &'p mut Vec<Cow<'a, str>>,
    top: bool,
}

impl Flatten<'_, '_> {
    fn name<'a>(path: &[Cow<'a, str>]) -> Cow<'a, str> {
        match path {
            [one] => one.clone(),
            _ => Cow::Owned(path.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(".")),
        }
    }
}

/// Deepest nesting read from an event; deeper values are skipped, not an error.
const MAX_EVENT_DEPTH: usize = 16;

impl<'de> Visitor<'de> for Flatten<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.top { "a JSON object" } else { "a JSON value" })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            self.path.push(key);
            if self.path.len() > MAX_EVENT_DEPTH {
                map.next_value::<de::IgnoredAny>()?;
            } else {
                map.next_value_seed(Field {
                    out: self.out,
                    path: self.path,
                })?;
            }
            self.path.pop();
        }
        Ok(())
    }
}

/// A field name, borrowed from the text unless it holds escapes. (`Cow<str>`'s own
/// `Deserialize` always copies.)
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

struct Field<'p, 'a> {
    out: &'p mut Vec<(Cow<'a, str>, Value<'a>)>,
    path: &'p mut Vec<Cow<'a, str>>,
}

impl<'de> DeserializeSeed<'de> for Field<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Field<'_, 'de> {
    fn push(self, value: Value<'de>) {
        let name = Flatten::name(self.path);
        self.out.push((name, value));
    }
}

impl<'de> Visitor<'de> for Field<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.push(Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.push(Value::Int(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.push(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.push(Value::Float(v));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.push(Value::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.push(Value::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.push(Value::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each element becomes a value of the same field.
        while seq
            .next_element_seed(Field {
                out: self.out,
                path: self.path,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Flatten {
            out: self.out,
            path: self.path,
            top: false,
        }
        .visit_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_lines_borrow_plain_strings_and_copy_escaped_ones() {
        let e =
            Event::from_json(r#"{"EventID": 1, "Image": "C:\\x.exe", "User": "bob", "ok": true, "n": null}"#).unwrap();
        assert_eq!(e.get("EventID"), Some(&Value::Int(1)));
        assert_eq!(e.get("Image"), Some(&Value::Str("C:\\x.exe".into())));
        assert!(matches!(e.get("User"), Some(Value::Str(Cow::Borrowed("bob")))));
        assert!(
            e.fields.iter().all(|(k, _)| matches!(k, Cow::Borrowed(_))),
            "names borrow"
        );
        assert_eq!(e.get("ok"), Some(&Value::Bool(true)));
        assert_eq!(e.get("n"), Some(&Value::Null));
    }

    #[test]
    fn nested_evtx_dumps_are_flattened_to_the_usual_names() {
        let text = r##"{"Event": {"#attributes": {"xmlns": "x"}, "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing", "Guid": "{5}"}},
            "EventID": {"#text": 4688, "#attributes": {"Qualifiers": 0}},
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00Z"}},
            "Channel": "Security", "Computer": "DC01", "EventRecordID": 7},
            "EventData": {"NewProcessName": "C:\\w.exe", "Data": ["a", "b"]},
            "UserData": {"LogFileCleared": {"SubjectUserName": "eve"}}}}"##;
        let e = Event::from_json(text).unwrap();
        assert_eq!(
            e.get("Provider_Name"),
            Some(&Value::Str("Microsoft-Windows-Security-Auditing".into()))
        );
        assert_eq!(e.get("EventID"), Some(&Value::Int(4688)));
        assert_eq!(e.get("Qualifiers"), Some(&Value::Int(0)));
        assert_eq!(e.get("SystemTime"), Some(&Value::Str("2024-01-01T00:00:00Z".into())));
        assert_eq!(e.get("Channel"), Some(&Value::Str("Security".into())));
        assert_eq!(e.get("NewProcessName"), Some(&Value::Str("C:\\w.exe".into())));
        assert_eq!(e.get("SubjectUserName"), Some(&Value::Str("eve".into())));
        let data: Vec<_> = e.fields.iter().filter(|(k, _)| k == "Data").collect();
        assert_eq!(data.len(), 2);
        assert!(e.fields.iter().all(|(k, _)| !k.starts_with("Event.") && k != "xmlns"));
    }

    #[test]
    fn nested_objects_in_flat_lines_get_dotted_names() {
        let e = Event::from_json(r#"{"a": {"b": 1}, "Threat Name": "EICAR"}"#).unwrap();
        assert_eq!(e.get("a.b"), Some(&Value::Int(1)));
        assert_eq!(e.get("Threat Name"), Some(&Value::Str("EICAR".into())));
    }

    #[test]
    fn not_an_object_is_an_error() {
        assert!(Event::from_json("[1, 2]").is_err());
        assert!(Event::from_json("{\"a\": 1} x").is_err());
    }
}
