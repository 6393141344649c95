//! Decoding the YAML tree into the scenario model, collecting every problem on the way.
//!
//! Each model type implements [`Decode`]: it reads its node, reports what is wrong through the
//! [`Cx`], and returns `None` if it could not be built — but it still looks at all of its
//! fields first, so that one run reports every unknown key, missing field and wrong value.
//!
//! [`record!`] declares a struct whose YAML keys are its field names (strict: any other key is an
//! error with a did-you-mean), [`keywords!`] a closed set of words. Both also derive the JSON
//! Schema from the same declaration, so schema and loader cannot drift apart.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::diag::{Diagnostic, Span, did_you_mean};
use crate::yaml::{Kind, Node};

/// The kinds of things in a scenario that have an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKind {
    Track,
    Objective,
    Team,
    Organisation,
    Network,
    Host,
    Account,
    Service,
    Link,
    Profile,
    Campaign,
    Step,
    Inject,
    Question,
    Decision,
    Expectation,
    Hint,
}

impl ItemKind {
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Track => "track",
            ItemKind::Objective => "objective",
            ItemKind::Team => "team",
            ItemKind::Organisation => "organisation",
            ItemKind::Network => "network",
            ItemKind::Host => "host",
            ItemKind::Account => "account",
            ItemKind::Service => "service",
            ItemKind::Link => "link",
            ItemKind::Profile => "activity profile",
            ItemKind::Campaign => "campaign",
            ItemKind::Step => "campaign step",
            ItemKind::Inject => "inject",
            ItemKind::Question => "question",
            ItemKind::Decision => "decision",
            ItemKind::Expectation => "expectation",
            ItemKind::Hint => "hint",
        }
    }
}

/// An id definition found while decoding.
#[derive(Debug, Clone)]
pub struct IdDef {
    pub kind: ItemKind,
    pub name: String,
    pub span: Span,
}

/// A reference found while decoding, with the kinds it may point at.
#[derive(Debug, Clone)]
pub struct RefUse {
    pub kinds: &'static [ItemKind],
    pub what: &'static str,
    pub name: String,
    pub span: Span,
}

/// A translatable text found while decoding.
#[derive(Debug, Clone)]
pub struct TextUse {
    pub span: Span,
    /// Languages given; `None` for a plain string (the scenario's first language).
    pub languages: Option<Vec<String>>,
}

/// The decoding context: problems found so far, and the ids, references and texts seen, which
/// the semantic checks resolve afterwards without walking the model again.
#[derive(Debug, Default)]
pub struct Cx {
    pub diags: Vec<Diagnostic>,
    pub ids: Vec<IdDef>,
    pub refs: Vec<RefUse>,
    pub texts: Vec<TextUse>,
}

impl Cx {
    pub fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::new(span, message).hint(hint));
    }

    /// The entries of a mapping, or an error naming what was expected. A key written twice is
    /// reported; the first one counts.
    pub fn map<'a>(&mut self, node: &'a Node, what: &str) -> Option<&'a [(Node, Node)]> {
        match &node.kind {
            Kind::Map(entries) => {
                self.repeated_keys(entries);
                Some(entries)
            }
            other => {
                self.error(
                    node.span,
                    format!("expected a mapping ({what}), found {}", other.describe()),
                    format!("write the {what} as `key: value` lines indented under this place"),
                );
                None
            }
        }
    }

    /// Reports every key written a second time in the same mapping.
    pub fn repeated_keys(&mut self, entries: &[(Node, Node)]) {
        let mut seen: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
        for (key, _) in entries {
            if let Kind::Str(k) = &key.kind
                && let Some(first) = seen.insert(k, key.span)
            {
                seen.insert(k, first);
                self.error(
                    key.span,
                    format!(
                        "the key `{k}` appears twice in the same mapping (first on line {})",
                        first.line
                    ),
                    "each key may appear once; remove or merge the repeated one",
                );
            }
        }
    }

    /// Reports every key of `entries` that is not in `allowed`.
    pub fn check_keys(&mut self, entries: &[(Node, Node)], allowed: &[&str], what: &str) {
        for (key, _) in entries {
            match &key.kind {
                Kind::Str(k) if allowed.contains(&k.as_str()) => {}
                Kind::Str(k) => {
                    let hint = match did_you_mean(k, allowed.iter().copied()) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => format!("a {what} has: {}", allowed.join(", ")),
                    };
                    self.error(key.span, format!("unknown field `{k}` in {what}"), hint);
                }
                other => self.error(
                    key.span,
                    format!("a key in {what} must be a field name, found {}", other.describe()),
                    format!("a {what} has: {}", allowed.join(", ")),
                ),
            }
        }
    }

    /// Decodes the field `key` of a mapping; reports it missing when it is required.
    pub fn field<T: Decode>(&mut self, parent: &Node, entries: &[(Node, Node)], key: &str, what: &str) -> Option<T> {
        match entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Str(s) if s == key))
        {
            Some((_, value)) => T::decode(value, self),
            None => {
                let absent = T::absent();
                if absent.is_none() {
                    self.error(
                        parent.span,
                        format!("missing field `{key}` in {what}"),
                        format!("add `{key}:` to this {what}"),
                    );
                }
                absent
            }
        }
    }

    /// The text of a scalar that must be a string.
    pub fn str<'a>(&mut self, node: &'a Node, what: &str) -> Option<&'a str> {
        match &node.kind {
            Kind::Str(s) => Some(s),
            other @ (Kind::Int(_) | Kind::Float(_) | Kind::Bool(_)) => {
                self.error(
                    node.span,
                    format!("expected {what} as text, found {}", other.describe()),
                    "put the value in double quotes to make it text",
                );
                None
            }
            other => {
                self.error(
                    node.span,
                    format!("expected {what}, found {}", other.describe()),
                    format!("write {what} here"),
                );
                None
            }
        }
    }

    /// For one-of mappings such as conditions: the single key present and its value.
    pub fn one_key<'a>(&mut self, node: &'a Node, what: &str, keys: &[&str]) -> Option<(&'a str, &'a Node)> {
        let entries = self.map(node, what)?;
        self.check_keys(entries, keys, what);
        let present: Vec<_> = entries
            .iter()
            .filter_map(|(k, v)| match &k.kind {
                Kind::Str(s) if keys.contains(&s.as_str()) => Some((s.as_str(), v)),
                _ => None,
            })
            .collect();
        match present.as_slice() {
            [one] => Some(*one),
            [] => {
                if entries.is_empty() {
                    self.error(
                        node.span,
                        format!("empty {what}"),
                        format!("a {what} is one of: {}", keys.join(", ")),
                    );
                }
                None
            }
            [_, second, ..] => {
                self.error(
                    second.1.span,
                    format!("a {what} has exactly one of {}, found several", keys.join(", ")),
                    "split it, or combine several with `all:` / `any:` where that is allowed".to_string(),
                );
                None
            }
        }
    }
}

/// A model type that can be read from a YAML node.
pub trait Decode: Sized {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self>;

    /// The value when the key is absent from its mapping; `None` means the field is required.
    fn absent() -> Option<Self> {
        None
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match node.kind {
            Kind::Null => Some(None),
            _ => T::decode(node, cx).map(Some),
        }
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match &node.kind {
            Kind::Null => Some(Vec::new()),
            Kind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match T::decode(item, cx) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                cx.error(
                    node.span,
                    format!("expected a list, found {}", other.describe()),
                    "write one `- item` per line, or `[a, b]`",
                );
                None
            }
        }
    }
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

/// A list that must be given and hold at least one item.
#[derive(Debug, Clone, PartialEq)]
pub struct List1<T>(pub Vec<T>);

impl<T> std::ops::Deref for List1<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'a, T> IntoIterator for &'a List1<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Decode> Decode for List1<T> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let items = Vec::<T>::decode(node, cx)?;
        if items.is_empty() {
            cx.error(node.span, "this list is empty", "give at least one item");
            return None;
        }
        Some(List1(items))
    }
}

impl<T: JsonSchema> JsonSchema for List1<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("List1_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let items = generator.subschema_for::<T>();
        json_schema!({ "type": "array", "items": items, "minItems": 1 })
    }
}

/// A value in a telemetry template: text, a whole number or a boolean, kept as written so that
/// events carry `EventID: 4688` as a number and `CommandLine` as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Decode for FieldValue {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match &node.kind {
            Kind::Str(s) => Some(FieldValue::Text(s.clone())),
            Kind::Int(i) => Some(FieldValue::Int(*i)),
            Kind::Bool(b) => Some(FieldValue::Bool(*b)),
            other => {
                cx.error(
                    node.span,
                    format!(
                        "expected a text, whole number or boolean field value, found {}",
                        other.describe()
                    ),
                    "an event field holds one value; quote it to make it text",
                );
                None
            }
        }
    }
}

impl JsonSchema for FieldValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FieldValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "integer", "boolean"] })
    }
}

impl Decode for String {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        cx.str(node, "a value").map(str::to_owned)
    }
}

impl Decode for bool {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match node.kind {
            Kind::Bool(b) => Some(b),
            ref other => {
                cx.error(
                    node.span,
                    format!("expected true or false, found {}", other.describe()),
                    "write `true` or `false`",
                );
                None
            }
        }
    }
}

impl Decode for u32 {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match node.kind {
            Kind::Int(i) => match u32::try_from(i) {
                Ok(v) => Some(v),
                Err(_) => {
                    cx.error(
                        node.span,
                        format!("{i} is out of range"),
                        "use a whole number from 0 to 4294967295",
                    );
                    None
                }
            },
            ref other => {
                cx.error(
                    node.span,
                    format!("expected a whole number, found {}", other.describe()),
                    "write a number such as `10`",
                );
                None
            }
        }
    }
}

impl Decode for f64 {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match node.kind {
            Kind::Int(i) => Some(i as f64),
            Kind::Float(x) if x.is_finite() => Some(x),
            ref other => {
                cx.error(
                    node.span,
                    format!("expected a number, found {}", other.describe()),
                    "write a number such as `99.5`",
                );
                None
            }
        }
    }
}

/// A free-form map from names to values (used for telemetry field templates).
impl<T: Decode> Decode for BTreeMap<String, T> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let entries = cx.map(node, "a mapping of names to values")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (k, v) in entries {
            let key = cx.str(k, "a field name");
            let value = T::decode(v, cx);
            match (key, value) {
                (Some(k), Some(v)) => {
                    out.insert(k.to_owned(), v);
                }
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T: Decode> Decode for Spanned<T> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        T::decode(node, cx).map(|value| Spanned { value, span: node.span })
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Implements `Decode` and `JsonSchema` for a type parsed from one string with `parse`.
macro_rules! parsed_scalar {
    ($ty:ty, $what:literal, $schema_name:literal, $description:literal) => {
        impl $crate::decode::Decode for $ty {
            fn decode(node: &$crate::yaml::Node, cx: &mut $crate::decode::Cx) -> Option<Self> {
                let text = cx.str(node, $what)?;
                match <$ty>::parse(text) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        cx.error(node.span, e.message, e.hint);
                        None
                    }
                }
            }
        }
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $schema_name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $description })
            }
        }
    };
}
pub(crate) use parsed_scalar;

parsed_scalar!(
    crate::time::Duration,
    "a duration",
    "Duration",
    "A duration: `45s`, `30m`, `2h15m`, `1d 4h` (units d, h, m, s, largest first)."
);
parsed_scalar!(
    crate::time::ClockTime,
    "a clock time",
    "ClockTime",
    "A time on the exercise clock: `D2 09:30` (day 2, 09:30 in the scenario's time zone) or `+2h15m` (after the start)."
);
parsed_scalar!(
    crate::time::At,
    "a time",
    "At",
    "When it happens: a clock time with optional jitter, e.g. `D1 10:15`, `D1 10:15 ± 5m`, `+2h`."
);
parsed_scalar!(
    crate::time::After,
    "a relative time",
    "After",
    "Relative to another step, inject, question or decision: `id`, `id + 30m` or `id + 30m ± 10m`."
);
parsed_scalar!(
    crate::time::DailyWindow,
    "a daily window",
    "DailyWindow",
    "A daily window in local time, `HH:MM-HH:MM`, e.g. `08:00-17:00`."
);
parsed_scalar!(
    crate::time::Rate,
    "a rate",
    "Rate",
    "How often, on average: `12/h`, `3/d`, `0.5/m`."
);

/// Checks the id syntax shared by ids and references.
fn check_id_syntax(text: &str) -> Result<(), String> {
    let ok_chars = text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = text.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric()) && !text.ends_with('-');
    if text.is_empty() {
        Err("an id cannot be empty".to_owned())
    } else if text.chars().count() > 64 {
        Err(format!(
            "the id `{}…` is longer than 64 characters",
            text.chars().take(32).collect::<String>()
        ))
    } else if !ok_chars || !ok_ends {
        Err(format!("`{text}` is not a valid id"))
    } else {
        Ok(())
    }
}

const ID_HINT: &str = "ids use lowercase letters, digits and dashes, like `pw-dc01`";

fn id_schema() -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$",
        "description": "An id: lowercase letters, digits and dashes, unique in the scenario."
    })
}

/// What a reference may point at.
pub trait RefKind {
    const KINDS: &'static [ItemKind];
    /// How to name the expected target in a message: "a host", "a step or inject".
    const WHAT: &'static str;
}

macro_rules! ref_kinds {
    ($( $name:ident => $what:literal [$($k:ident),+] ),* $(,)?) => {
        $(
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub struct $name;
            impl RefKind for $name {
                const KINDS: &'static [ItemKind] = &[$(ItemKind::$k),+];
                const WHAT: &'static str = $what;
            }
        )*
    };
}

ref_kinds! {
    TrackK => "a track" [Track],
    ObjectiveK => "an objective" [Objective],
    TeamK => "a team" [Team],
    OrganisationK => "an organisation" [Organisation],
    NetworkK => "a network" [Network],
    HostK => "a host" [Host],
    AccountK => "an account" [Account],
    ServiceK => "a service" [Service],
    LinkK => "a link" [Link],
    ProfileK => "an activity profile" [Profile],
    CampaignK => "a campaign" [Campaign],
    StepK => "a campaign step" [Step],
    InjectK => "an inject" [Inject],
    QuestionK => "a question" [Question],
    DecisionK => "a decision" [Decision],
    ExpectationK => "an expectation" [Expectation],
    HintK => "a hint" [Hint],
    TimedK => "a step, inject, question or decision" [Step, Inject, Question, Decision],
    HintTargetK => "a question, step, inject, decision or expectation" [Question, Step, Inject, Decision, Expectation],
}

/// The definition of an id of kind `K`. Decoding registers it for the uniqueness check.
pub struct Id<K> {
    pub name: String,
    pub span: Span,
    kind: PhantomData<K>,
}

/// A reference to an item of kind `K`. Decoding registers it for resolution.
pub struct Ref<K> {
    pub name: String,
    pub span: Span,
    kind: PhantomData<K>,
}

macro_rules! id_like {
    ($ty:ident) => {
        impl<K> Clone for $ty<K> {
            fn clone(&self) -> Self {
                $ty {
                    name: self.name.clone(),
                    span: self.span,
                    kind: PhantomData,
                }
            }
        }
        impl<K> fmt::Debug for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}@{}", self.name, self.span)
            }
        }
        impl<K> fmt::Display for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.name)
            }
        }
        impl<K> PartialEq for $ty<K> {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name
            }
        }
        impl<K> Eq for $ty<K> {}
        impl<K> $ty<K> {
            pub fn new(name: impl Into<String>, span: Span) -> Self {
                $ty {
                    name: name.into(),
                    span,
                    kind: PhantomData,
                }
            }
            pub fn as_str(&self) -> &str {
                &self.name
            }
        }
        impl<K> JsonSchema for $ty<K> {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Id".into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                id_schema()
            }
        }
    };
}
id_like!(Id);
id_like!(Ref);

impl<K: RefKind> Decode for Id<K> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let text = cx.str(node, "an id")?;
        if let Err(message) = check_id_syntax(text) {
            cx.error(node.span, message, ID_HINT);
            return None;
        }
        cx.ids.push(IdDef {
            kind: K::KINDS[0],
            name: text.to_owned(),
            span: node.span,
        });
        Some(Id::new(text, node.span))
    }
}

impl<K: RefKind> Decode for Ref<K> {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let text = cx.str(node, K::WHAT)?;
        if let Err(message) = check_id_syntax(text) {
            cx.error(node.span, message, ID_HINT);
            return None;
        }
        cx.refs.push(RefUse {
            kinds: K::KINDS,
            what: K::WHAT,
            name: text.to_owned(),
            span: node.span,
        });
        Some(Ref::new(text, node.span))
    }
}

/// An id that only has to be unique inside its parent (an option of a question, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalId {
    pub name: String,
    pub span: Span,
}

impl Decode for LocalId {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let text = cx.str(node, "an id")?;
        if let Err(message) = check_id_syntax(text) {
            cx.error(node.span, message, ID_HINT);
            return None;
        }
        Some(LocalId {
            name: text.to_owned(),
            span: node.span,
        })
    }
}

impl JsonSchema for LocalId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        id_schema()
    }
}

/// Human-readable text, in one language (a plain string, in the scenario's first language) or
/// several (`{en: …, ja: …}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// `(language, text)` in file order; a plain string has the language `""` until resolved.
    pub translations: Vec<(String, String)>,
    pub span: Span,
}

impl Text {
    /// The text in `lang`, else in the first language given.
    pub fn get(&self, lang: &str) -> &str {
        self.translations
            .iter()
            .find(|(l, _)| l == lang)
            .or(self.translations.first())
            .map_or("", |(_, t)| t)
    }
}

pub(crate) fn check_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Decode for Text {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        match &node.kind {
            Kind::Str(s) if s.trim().is_empty() => {
                cx.error(
                    node.span,
                    "the text is empty",
                    "write the text, or leave the field out if it is optional",
                );
                None
            }
            Kind::Str(s) => {
                cx.texts.push(TextUse {
                    span: node.span,
                    languages: None,
                });
                Some(Text {
                    translations: vec![(String::new(), s.clone())],
                    span: node.span,
                })
            }
            Kind::Map(entries) => {
                cx.repeated_keys(entries);
                let mut translations = Vec::new();
                let mut ok = true;
                for (k, v) in entries {
                    let lang = match &k.kind {
                        Kind::Str(l) if check_language_tag(l) => Some(l.clone()),
                        other => {
                            cx.error(
                                k.span,
                                format!(
                                    "expected a language code such as `en` or `ja`, found {}",
                                    other.describe()
                                ),
                                "translations are written `en: …` and `ja: …`, one per language",
                            );
                            None
                        }
                    };
                    let text = cx.str(v, "the translated text").map(str::to_owned);
                    if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                        cx.error(v.span, "this translation is empty", "write the translated text");
                        ok = false;
                    }
                    match (lang, text) {
                        (Some(l), Some(t)) => translations.push((l, t)),
                        _ => ok = false,
                    }
                }
                if translations.is_empty() && ok {
                    cx.error(
                        node.span,
                        "the text has no translations",
                        "write the text, or `en: …` and `ja: …`",
                    );
                    return None;
                }
                cx.texts.push(TextUse {
                    span: node.span,
                    languages: Some(translations.iter().map(|(l, _)| l.clone()).collect()),
                });
                ok.then_some(Text {
                    translations,
                    span: node.span,
                })
            }
            other => {
                cx.error(
                    node.span,
                    format!("expected text, found {}", other.describe()),
                    "write the text, or its translations as `en: …` and `ja: …`",
                );
                None
            }
        }
    }
}

impl JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Human-readable text: a string in the scenario's first language, or one string per language (`en: …`, `ja: …`).",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": { "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$" },
                    "additionalProperties": { "type": "string" }
                }
            ]
        })
    }
}

/// The YAML key of a field: its name, without the `r#` of a raw identifier (`r#for` is `for`).
pub const fn key(field: &'static str) -> &'static str {
    let bytes = field.as_bytes();
    if bytes.len() > 2 && bytes[0] == b'r' && bytes[1] == b'#' {
        match std::str::from_utf8(bytes.split_at(2).1) {
            Ok(rest) => rest,
            Err(_) => field,
        }
    } else {
        field
    }
}

/// Declares a scenario record: a struct read from a YAML mapping whose keys are exactly its
/// field names. Optional fields are `Option<_>` or `Vec<_>` (which must carry
/// `#[serde(default)]` so the schema agrees). Every record also records where it was written.
macro_rules! record {
    (
        $what:literal
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
        #[schemars(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Where this was written in the file.
            #[schemars(skip)]
            pub span: $crate::diag::Span,
        }

        impl $name {
            /// The YAML keys this record accepts.
            pub const FIELDS: &'static [&'static str] = &[$($crate::decode::key(stringify!($field))),*];
        }

        impl $crate::decode::Decode for $name {
            fn decode(node: &$crate::yaml::Node, cx: &mut $crate::decode::Cx) -> Option<Self> {
                let entries = cx.map(node, $what)?;
                cx.check_keys(entries, Self::FIELDS, $what);
                $( let $field = cx.field::<$ty>(node, entries, $crate::decode::key(stringify!($field)), $what); )*
                Some(Self { $( $field: $field?, )* span: node.span })
            }
        }
    };
}
pub(crate) use record;

/// Declares a closed set of words, such as operating systems or inject channels.
macro_rules! keywords {
    (
        $what:literal
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, schemars::JsonSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub const WORDS: &'static [&'static str] = &[$($text),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::decode::Decode for $name {
            fn decode(node: &$crate::yaml::Node, cx: &mut $crate::decode::Cx) -> Option<Self> {
                let $crate::yaml::Kind::Str(text) = &node.kind else {
                    cx.error(
                        node.span,
                        format!("expected a {}, found {}", $what, node.kind.describe()),
                        format!("one of: {}", Self::WORDS.join(", ")),
                    );
                    return None;
                };
                match text.as_str() {
                    $($text => Some($name::$variant),)*
                    other => {
                        let hint = match $crate::diag::did_you_mean(other, Self::WORDS.iter().copied()) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => format!("one of: {}", Self::WORDS.join(", ")),
                        };
                        cx.error(node.span, format!("`{other}` is not a known {}", $what), hint);
                        None
                    }
                }
            }
        }
    };
}
pub(crate) use keywords;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[expect(unreachable_pub, reason = "a fixture declared like the public model")]
    mod fixture {
        record! {
            "widget"
            /// A test record.
            pub struct Widget {
                pub name: String,
                pub size: u32,
                #[serde(default)]
                pub tags: Vec<String>,
                pub note: Option<String>,
            }
        }
    }
    use fixture::Widget;

    fn decode<T: Decode>(yaml: &str) -> (Option<T>, Vec<String>) {
        let mut cx = Cx::default();
        let node = parse(yaml).unwrap();
        let value = T::decode(&node, &mut cx);
        let msgs = cx.diags.iter().map(|d| format!("{}: {}", d.span, d.message)).collect();
        (value, msgs)
    }

    #[test]
    fn record_reads_fields_and_defaults() {
        let (w, msgs) = decode::<Widget>("name: a\nsize: 3\n");
        assert!(msgs.is_empty(), "{msgs:?}");
        let w = w.unwrap();
        assert_eq!((w.name.as_str(), w.size, w.tags.len(), w.note), ("a", 3, 0, None));
    }

    #[test]
    fn record_reports_every_problem_at_once() {
        let (w, msgs) = decode::<Widget>("nmae: a\nsize: big\ncolour: red\n");
        assert!(w.is_none());
        assert_eq!(
            msgs,
            [
                "1:1: unknown field `nmae` in widget",
                "3:1: unknown field `colour` in widget",
                "1:1: missing field `name` in widget",
                "2:7: expected a whole number, found the text \"big\"",
            ]
        );
    }

    #[test]
    fn list_items_are_checked_independently() {
        let (v, msgs) = decode::<Vec<Widget>>("- {name: a, size: 1}\n- {name: b}\n- {name: c, size: x}\n");
        assert!(v.is_none());
        assert_eq!(
            msgs,
            [
                "2:3: missing field `size` in widget",
                "3:19: expected a whole number, found the text \"x\""
            ]
        );
    }

    #[test]
    fn numbers_where_text_is_expected_get_a_quoting_hint() {
        let mut cx = Cx::default();
        let node = parse("1.10").unwrap();
        assert!(String::decode(&node, &mut cx).is_none());
        assert_eq!(
            cx.diags[0].hint.as_deref(),
            Some("put the value in double quotes to make it text")
        );
    }

    #[test]
    fn ids_are_checked_and_registered() {
        let (id, msgs) = decode::<Id<HostK>>("pw-dc01");
        assert!(msgs.is_empty());
        assert_eq!(id.unwrap().name, "pw-dc01");
        let long = format!("\"a{}\"", "é".repeat(40));
        for bad in ["PW-DC01", "pw_dc01", "-x", "x-", "\"\"", &long] {
            let (id, msgs) = decode::<Id<HostK>>(bad);
            assert!(id.is_none() && msgs.len() == 1, "{bad}: {msgs:?}");
        }
    }

    #[test]
    fn text_in_one_or_several_languages() {
        let (t, msgs) = decode::<Text>("{en: Hello, ja: こんにちは}");
        assert!(msgs.is_empty());
        assert_eq!(t.unwrap().get("ja"), "こんにちは");
        let (t, _) = decode::<Text>("Hello");
        assert_eq!(t.unwrap().get("ja"), "Hello");
        let (t, msgs) = decode::<Text>("{english: Hello}");
        assert!(t.is_none());
        assert!(msgs[0].contains("language code"), "{msgs:?}");
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "ja", "fil", "en-GB", "zh-Hant"] {
            assert!(check_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "EN", "english", "en_GB", "en-"] {
            assert!(!check_language_tag(bad), "{bad}");
        }
    }
}
