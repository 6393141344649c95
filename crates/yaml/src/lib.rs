//! From bytes to a YAML tree whose every node knows its line and column, for every YAML file
//! atoll reads (scenarios, Sigma rules).
//!
//! The parser is serde-saphyr (maintained, fuzzed, with budgets against alias bombs); we ask it
//! for a generic tree of [`Node`]s with positions instead of model types, so that decoders can
//! report *all* problems of a file at once instead of the first.
//!
//! Limits keep memory bounded whatever the input: the file size is checked before reading, and
//! the parser's budget caps documents, nodes, aliases, depth and scalar bytes.

mod diag;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

pub use diag::{Diagnostic, Span, did_you_mean};

/// What a reader accepts. Every limit is reported in words the author understands.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// What the file is, in messages: "scenario", "Sigma rule".
    pub noun: &'static str,
    pub max_file_bytes: u64,
    pub max_documents: usize,
    /// Most YAML nodes (scalars, lists, mappings), aliases expanded.
    pub max_nodes: usize,
    /// Deepest nesting; it also bounds the parser's recursion, so keep it near 32 for a
    /// 2 MiB thread stack.
    pub max_depth: usize,
    /// What to tell an author whose file is larger than `max_file_bytes`.
    pub too_large_hint: &'static str,
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order. Keys are nodes too, so that errors can point at them.
    Map(Vec<(Node, Node)>),
}

impl Kind {
    /// How the value reads to an author: "a list", "the number 3", ….
    pub fn describe(&self) -> String {
        match self {
            Kind::Null => "nothing (null)".to_owned(),
            Kind::Bool(b) => format!("the boolean `{b}`"),
            Kind::Int(i) => format!("the number {i}"),
            Kind::Float(x) => format!("the number {x}"),
            Kind::Str(s) => format!("the text \"{}\"", shorten(s)),
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Map(_) => "a mapping".to_owned(),
        }
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out.escape_debug().to_string()
}

/// Why a file could not be read: its text when it could be read, and at least one diagnostic.
pub type ReadError = (Option<String>, Vec<Diagnostic>);

/// Reads and parses a YAML file into its documents. Problems come back as diagnostics; `Err`
/// holds at least one, and the text when it could be read.
pub fn read_file(path: &std::path::Path, limits: &Limits) -> Result<(String, Vec<Node>), ReadError> {
    use std::io::Read as _;
    let noun = limits.noun;
    let at_start = Span::new(1, 1);
    let fail = |message: String, hint: &str| (None, vec![Diagnostic::new(at_start, message).hint(hint)]);
    let file = std::fs::File::open(path)
        .map_err(|e| fail(format!("cannot open the file: {e}"), "check the path and permissions"))?;
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot read the file: {e}"), "check the path and permissions"))?;
    if meta.is_dir() {
        return Err(fail(
            format!("this is a folder, not a {noun} file"),
            "name a .yaml file",
        ));
    }
    if meta.len() > limits.max_file_bytes {
        return Err(fail(
            format!(
                "the file is {}, larger than the {} a {noun} may be",
                human_bytes(meta.len()),
                human_bytes(limits.max_file_bytes)
            ),
            limits.too_large_hint,
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take` guards against a file that grows while we read it.
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read the file: {e}"), "check the path and permissions"))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(fail(
            format!(
                "the file is larger than the {} a {noun} may be",
                human_bytes(limits.max_file_bytes)
            ),
            limits.too_large_hint,
        ));
    }
    let text = decode_text(&bytes, noun).map_err(|d| (None, vec![d]))?;
    match parse(&text, limits) {
        Ok(docs) => Ok((text, docs)),
        Err(d) => Err((Some(text), vec![d])),
    }
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Checks that the bytes are UTF-8 text (not a binary file) and returns the text without a BOM.
pub fn decode_text(bytes: &[u8], noun: &str) -> Result<String, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let span = span_at_byte(bytes, pos);
        return Err(
            Diagnostic::new(span, "this is a binary file, not YAML text (it contains a NUL byte)").hint(format!(
                "a {noun} is a UTF-8 text file written in YAML; check that you named the right file"
            )),
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => {
            let pos = e.valid_up_to();
            let span = span_at_byte(bytes, pos);
            Err(Diagnostic::new(
                span,
                format!(
                    "the file is not valid UTF-8 text (byte 0x{:02X} at offset {pos})",
                    bytes[pos]
                ),
            )
            .hint("save the file as UTF-8; most editors offer this under \"Save with encoding\""))
        }
    }
}

/// Line and column (in characters) of a byte offset, counting only the valid text before it.
fn span_at_byte(bytes: &[u8], pos: usize) -> Span {
    let before = &bytes[..pos];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Span::new(line as u32, col as u32)
}

/// Parses YAML text into its documents (an empty text has none). The first syntax problem
/// stops parsing: YAML cannot be resynchronised reliably after a syntax error.
pub fn parse(text: &str, limits: &Limits) -> Result<Vec<Node>, Diagnostic> {
    let max_bytes = usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX);
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: limits.max_documents,
            max_nodes: limits.max_nodes,
            max_events: 2 * limits.max_nodes,
            max_depth: limits.max_depth,
            max_total_scalar_bytes: max_bytes,
            // Anchored values are recorded to replay them at each alias; nested anchors
            // multiply what is recorded (found by fuzzing), so cap it well below the defaults.
            max_recorded_anchor_events: 100_000,
            max_recorded_anchor_bytes: 8 * 1024 * 1024,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_nodes / 2,
            max_replay_stack_depth: 16,
        },
        strict_booleans: true,
        // Repeated keys reach the tree and are reported by the decoder, with every other
        // problem, instead of stopping the parse.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
    };
    serde_saphyr::from_multiple_with_options::<Node>(text, options).map_err(|e| parse_error(&e, text, limits))
}

fn parse_error(err: &serde_saphyr::Error, text: &str, limits: &Limits) -> Diagnostic {
    let noun = limits.noun;
    use serde_saphyr::MessageFormatter as _;
    let span = err
        .location()
        .filter(|l| l.line() > 0)
        .map_or(Span::new(1, 1), |l| Span::new(l.line() as u32, l.column() as u32));
    let raw = serde_saphyr::DefaultMessageFormatter
        .format_message(err.without_snippet())
        .into_owned();
    // The parser's messages sometimes carry a second line of context; keep the first.
    let raw = raw.lines().next().unwrap_or_default().to_owned();
    let lower = raw.to_lowercase();
    let (message, hint): (String, String) = if lower.contains("documents {") {
        (
            match limits.max_documents {
                1 => "the file holds more than one YAML document".to_owned(),
                n => format!("the file holds more than {n} YAML documents"),
            },
            if limits.max_documents == 1 {
                format!(
                    "a {noun} file holds one document; remove the `---` separator and what follows, or split the file"
                )
            } else {
                format!(
                    "split the file; a {noun} file holds at most {} documents",
                    limits.max_documents
                )
            },
        )
    } else if lower.contains("depth {") {
        (
            format!("values are nested more than {} levels deep", limits.max_depth),
            format!("a {noun} never nests this deep; look for brackets that open and never close"),
        )
    } else if !lower.contains("anchor")
        && !lower.contains("alias")
        && !lower.contains("replay")
        && (lower.contains("nodes {") || lower.contains("events {") || lower.contains("scalarbytes"))
    {
        (
            format!("the file holds more than {} values", limits.max_nodes),
            format!("a {noun} needs far fewer; check that this is the {noun} file you meant"),
        )
    } else if lower.contains("budget") || lower.contains("replay") {
        (
            format!("anchors and aliases expand the file to too much data ({raw})"),
            format!(
                "anchors and aliases (`&x` / `*x`) that refer to each other multiply in size; a {noun} \
                 never needs more than a few levels of them"
            ),
        )
    } else if lower.contains("duplicate") {
        let key = raw
            .split("duplicate mapping key: ")
            .nth(1)
            .and_then(|rest| rest.split(", set DuplicateKeyPolicy").next())
            .unwrap_or("?");
        (
            format!("the key `{key}` appears twice in the same mapping"),
            "each key may appear once; remove or merge the repeated one".into(),
        )
    } else if lower.contains("tab") && !lower.contains("table") {
        (
            raw,
            "YAML indents with spaces only; replace the tab characters with spaces".into(),
        )
    } else {
        let hint = match unclosed_before(text, span.line) {
            Some((what, line)) => format!("the {what} opened on line {line} is never closed"),
            None => "check the indentation and punctuation around this place".to_owned(),
        };
        (raw, hint)
    };
    Diagnostic::new(span, message).hint(hint)
}

/// Looks for a flow bracket or a quote left open on the lines before `line`, the usual cause
/// of syntax errors that the parser only notices later. Best effort: a hint, not a parser.
fn unclosed_before(text: &str, line: u32) -> Option<(&'static str, usize)> {
    let mut open: Vec<(char, usize)> = Vec::new();
    // A quoted scalar may span lines; only one still open where the error is counts.
    let mut quote: Option<(char, usize)> = None;
    for (i, l) in text.lines().enumerate().take(line.saturating_sub(1) as usize) {
        let mut prev = ' ';
        for ch in l.chars() {
            match quote {
                Some((q, _)) if ch == q && !(q == '"' && prev == '\\') => quote = None,
                Some(_) => {}
                None => match ch {
                    '#' if prev == ' ' => break,
                    '"' | '\'' if matches!(prev, ' ' | '[' | '{' | ',' | ':') => quote = Some((ch, i + 1)),
                    '[' | '{' => open.push((ch, i + 1)),
                    ']' | '}' => {
                        open.pop();
                    }
                    _ => {}
                },
            }
            prev = ch;
        }
    }
    if let Some((q, l)) = quote {
        return Some((if q == '"' { "double quote" } else { "single quote" }, l));
    }
    open.first()
        .map(|&(ch, l)| (if ch == '[' { "bracket `[`" } else { "brace `{`" }, l))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned: serde_saphyr::Spanned<Kind> = serde_saphyr::Spanned::deserialize(d)?;
        let loc = spanned.referenced;
        Ok(Node {
            kind: spanned.value,
            span: Span::new(loc.line() as u32, loc.column() as u32),
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Kind, E> {
        i64::try_from(v)
            .map(Kind::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Kind, E> {
        i64::try_from(v)
            .map(Kind::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Kind, E> {
        i64::try_from(v)
            .map(Kind::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Kind, E> {
        Err(E::custom("binary (!!binary) values are not supported"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = seq.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Kind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Kind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Limits = Limits {
        noun: "test",
        max_file_bytes: 1024 * 1024,
        max_documents: 2,
        max_nodes: 10_000,
        max_depth: 32,
        too_large_hint: "",
    };

    fn parse_one(text: &str) -> Node {
        parse(text, &TEST).unwrap().remove(0)
    }

    #[test]
    fn several_documents_up_to_the_limit() {
        assert_eq!(parse("a: 1\n---\nb: 2\n", &TEST).unwrap().len(), 2);
        let d = parse("a: 1\n---\nb: 2\n---\nc: 3\n", &TEST).unwrap_err();
        assert_eq!(d.message, "the file holds more than 2 YAML documents");
    }

    #[test]
    fn nodes_carry_positions_of_keys_and_values() {
        let node = parse_one("a: 1\nlist:\n  - x\n");
        let Kind::Map(entries) = node.kind else {
            panic!("expected a map")
        };
        assert_eq!(entries[0].0.span, Span::new(1, 1));
        assert_eq!(entries[0].1.kind, Kind::Int(1));
        assert_eq!(entries[0].1.span, Span::new(1, 4));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!("expected a list")
        };
        assert_eq!(items[0].kind, Kind::Str("x".into()));
        assert_eq!(items[0].span, Span::new(3, 5));
    }

    #[test]
    fn yaml_1_1_booleans_stay_text() {
        let node = parse_one("a: yes\nb: true\n");
        let Kind::Map(entries) = node.kind else {
            panic!("expected a map")
        };
        assert_eq!(entries[0].1.kind, Kind::Str("yes".into()));
        assert_eq!(entries[1].1.kind, Kind::Bool(true));
    }

    #[test]
    fn non_utf8_is_located() {
        let d = decode_text(b"id: x\nname: caf\xE9\n", "test").unwrap_err();
        assert_eq!(d.span, Span::new(2, 10));
        assert!(d.message.contains("not valid UTF-8"), "{}", d.message);
    }

    #[test]
    fn nesting_up_to_the_limit_parses_in_a_test_thread_stack() {
        let depth = TEST.max_depth - 1;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&text, &TEST).is_ok());
        let too_deep = format!("{}{}", "[".repeat(TEST.max_depth + 8), "]".repeat(TEST.max_depth + 8));
        let d = parse(&too_deep, &TEST).unwrap_err();
        assert_eq!(
            d.message,
            format!("values are nested more than {} levels deep", TEST.max_depth)
        );
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFa: 1", "test").unwrap(), "a: 1");
    }
}
