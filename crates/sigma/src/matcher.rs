//! Value matchers: one compiled test of one field value.
//!
//! Text comparisons are case-insensitive unless the rule says `cased`: the rule's needle is
//! lowercased once when the rule is compiled, and each event value once per event
//! ([`Prepared`]), so no comparison lowercases anything.

use std::borrow::Cow;

use memchr::memmem;

/// How a text needle is compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A Sigma wildcard pattern (`*` any text, `?` one character), anchored at both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    pub parts: Vec<GlobPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobPart {
    Lit(String),
    Star,
    One,
}

impl Glob {
    /// Whether the whole of `text` matches. Iterative with one backtrack point per `*`: linear
    /// in practice, and never worse than text length × pattern length.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let parts = &self.parts;
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if p < parts.len() {
                match &parts[p] {
                    GlobPart::Star => {
                        star = Some((p + 1, t));
                        p += 1;
                        continue;
                    }
                    GlobPart::Lit(lit) if text[t..].starts_with(lit.as_str()) => {
                        t += lit.len();
                        p += 1;
                        continue;
                    }
                    GlobPart::One if t < text.len() => {
                        t += text[t..].chars().next().map_or(1, char::len_utf8);
                        p += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if t == text.len() {
                return true;
            }
            // Mismatch: let the last `*` take one more character, or fail.
            match star {
                Some((sp, st)) if st < text.len() => {
                    let next = st + text[st..].chars().next().map_or(1, char::len_utf8);
                    star = Some((sp, next));
                    p = sp;
                    t = next;
                }
                _ => return false,
            }
        }
    }

    /// The longest literal run, which any matching text must contain.
    pub(crate) fn longest_literal(&self) -> Option<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                GlobPart::Lit(l) => Some(l.as_str()),
                _ => None,
            })
            .max_by_key(|l| l.len())
    }
}

/// One test of one value.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// The field is absent or null.
    Null,
    Text {
        op: Op,
        needle: String,
        cased: bool,
        /// The prefilter's id of the needle's literal in this field (`u32::MAX`: none).
        literal: u32,
    },
    Glob {
        glob: Glob,
        cased: bool,
        literal: u32,
    },
    Regex(regex::Regex),
    Cidr(ipnet::IpNet),
    Compare {
        cmp: Cmp,
        number: f64,
    },
    /// Compares with another field of the same event.
    FieldRef {
        field: String,
        op: Op,
        cased: bool,
    },
}

/// An event value prepared for matching: its text, its lowercase text, its number.
#[derive(Debug, Clone)]
pub(crate) struct Prepared<'e> {
    pub raw: Cow<'e, str>,
    pub lower: Cow<'e, str>,
    pub number: Option<f64>,
}

impl<'e> Prepared<'e> {
    pub(crate) fn new(raw: Cow<'e, str>, number: Option<f64>) -> Self {
        let lower = lowercase(&raw);
        let lower = match lower {
            Some(l) => Cow::Owned(l),
            None => raw.clone(),
        };
        Prepared { raw, lower, number }
    }

    fn text(&self, cased: bool) -> &str {
        if cased { &self.raw } else { &self.lower }
    }
}

/// The lowercase form of `s`, or `None` when `s` is already lowercase (no copy needed).
pub(crate) fn lowercase(s: &str) -> Option<String> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        None
    } else if s.is_ascii() {
        Some(s.to_ascii_lowercase())
    } else {
        Some(s.to_lowercase())
    }
}

pub(crate) fn text_op(op: Op, value: &str, needle: &str) -> bool {
    match op {
        Op::Equals => value == needle,
        Op::StartsWith => value.starts_with(needle),
        Op::EndsWith => value.ends_with(needle),
        Op::Contains => {
            needle.is_empty()
                || (value.len() >= needle.len() && memmem::find(value.as_bytes(), needle.as_bytes()).is_some())
        }
    }
}

impl Matcher {
    /// Whether a present, non-null value matches. `fieldref` needs the other field's values
    /// and is decided by [`Matcher::matches_ref`]; here it is false.
    pub(crate) fn matches(&self, value: &Prepared<'_>) -> bool {
        match self {
            Matcher::Null | Matcher::FieldRef { .. } => false,
            Matcher::Text { op, needle, cased, .. } => text_op(*op, value.text(*cased), needle),
            Matcher::Glob { glob, cased, .. } => glob.matches(value.text(*cased)),
            Matcher::Regex(re) => re.is_match(&value.raw),
            Matcher::Cidr(net) => value
                .raw
                .trim()
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| net.contains(&ip)),
            Matcher::Compare { cmp, number } => value.number.is_some_and(|v| match cmp {
                Cmp::Lt => v < *number,
                Cmp::Lte => v <= *number,
                Cmp::Gt => v > *number,
                Cmp::Gte => v >= *number,
            }),
        }
    }

    /// `fieldref`: whether `value` compares as asked with a value of the referenced field.
    pub(crate) fn matches_ref(&self, value: &Prepared<'_>, other: &Prepared<'_>) -> bool {
        match self {
            Matcher::FieldRef { op, cased, .. } => text_op(*op, value.text(*cased), other.text(*cased)),
            _ => false,
        }
    }

    /// The prefilter id of the literal every accepted value contains, if it has one.
    pub(crate) fn literal_id(&self) -> Option<u32> {
        match self {
            Matcher::Text { literal, .. } | Matcher::Glob { literal, .. } if *literal != u32::MAX => Some(*literal),
            _ => None,
        }
    }

    pub(crate) fn set_literal_id(&mut self, id: u32) {
        if let Matcher::Text { literal, .. } | Matcher::Glob { literal, .. } = self {
            *literal = id;
        }
    }

    /// A literal that every value this matcher accepts contains (lowercase), for the
    /// prefilter; `None` when there is none (regex, numbers, `null`, …).
    pub(crate) fn required_literal(&self) -> Option<String> {
        let lit = match self {
            Matcher::Text { needle, .. } => Some(needle.as_str()),
            Matcher::Glob { glob, .. } => glob.longest_literal(),
            _ => None,
        }?;
        // Cased needles keep their case; the prefilter works on lowercase text.
        (!lit.is_empty()).then(|| lowercase(lit).unwrap_or_else(|| lit.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(parts: &[&str]) -> Glob {
        Glob {
            parts: parts
                .iter()
                .map(|p| match *p {
                    "*" => GlobPart::Star,
                    "?" => GlobPart::One,
                    l => GlobPart::Lit(l.into()),
                })
                .collect(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob(&["*", "cmd", "*"]).matches("a cmd b"));
        assert!(glob(&["a", "*", "b", "*", "c"]).matches("axxbyyc"));
        assert!(glob(&["a", "*", "b"]).matches("abab"));
        assert!(!glob(&["a", "*", "b"]).matches("abac"));
        assert!(glob(&["a", "?", "c"]).matches("aéc"));
        assert!(!glob(&["a", "?", "c"]).matches("ac"));
        assert!(glob(&["*"]).matches(""));
        assert!(glob(&["*", "\n", "*"]).matches("x\ny"));
        assert!(!glob(&[]).matches("x"));
        assert!(glob(&[]).matches(""));
    }

    #[test]
    fn pathological_globs_stay_fast() {
        let mut parts = vec![GlobPart::Star];
        for _ in 0..50 {
            parts.push(GlobPart::Lit("a".into()));
            parts.push(GlobPart::Star);
        }
        parts.push(GlobPart::Lit("b".into()));
        let g = Glob { parts };
        assert!(!g.matches(&"a".repeat(10_000)));
    }

    #[test]
    fn prepared_values_lowercase_once() {
        let p = Prepared::new(Cow::Borrowed("C:\\Windows\\CMD.exe"), None);
        assert_eq!(p.lower, "c:\\windows\\cmd.exe");
        let p = Prepared::new(Cow::Borrowed("already lower"), None);
        assert!(matches!(p.lower, Cow::Borrowed(_)));
        let p = Prepared::new(Cow::Borrowed("ÄBC"), None);
        assert_eq!(p.lower, "äbc");
    }
}
