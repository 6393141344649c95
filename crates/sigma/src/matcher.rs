//! Value matchers: one compiled test of one field value.
//!
//! Text comparisons are case-insensitive unless the rule says `cased`: the rule's needle is
//! lowercased once when the rule is compiled, and each event value once per event
//! ([`Prepared`]), so no comparison lowercases anything.

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
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    pub parts: Vec<GlobPart>,
    /// For patterns without `?`: the literal texts between stars (the first and last are
    /// anchored at the ends, and empty when the pattern starts or ends with a star).
    segments: Vec<String>,
    /// Searchers for the segments between the first and the last, built once.
    finders: Vec<memmem::Finder<'static>>,
    /// For patterns with `?`: the same pattern as a regex, whose matching time is linear in
    /// the text whatever the pattern.
    with_one: Option<regex::Regex>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobPart {
    Lit(String),
    Star,
    One,
}

/// Largest compiled form of a `?` pattern; past it, the pattern is matched by backtracking.
const GLOB_REGEX_SIZE_LIMIT: usize = 256 * 1024;

impl Glob {
    pub(crate) fn new(parts: Vec<GlobPart>) -> Glob {
        let with_one = parts.contains(&GlobPart::One).then(|| {
            let mut pattern = String::from("(?s)^");
            for p in &parts {
                match p {
                    GlobPart::Lit(l) => pattern.push_str(&regex::escape(l)),
                    GlobPart::Star => pattern.push_str(".*"),
                    GlobPart::One => pattern.push('.'),
                }
            }
            pattern.push('$');
            regex::RegexBuilder::new(&pattern)
                .size_limit(GLOB_REGEX_SIZE_LIMIT)
                .build()
                .ok()
        });
        let segments = parts
            .split(|p| *p == GlobPart::Star)
            .map(|seg| {
                seg.iter()
                    .map(|p| match p {
                        GlobPart::Lit(l) => l.as_str(),
                        _ => "",
                    })
                    .collect::<String>()
            })
            .collect::<Vec<String>>();
        let finders = match segments.len() {
            0..=2 => Vec::new(),
            n => segments[1..n - 1]
                .iter()
                .map(|s| memmem::Finder::new(s.as_bytes()).into_owned())
                .collect(),
        };
        Glob {
            parts,
            segments,
            finders,
            with_one: with_one.flatten(),
        }
    }

    /// Whether the whole of `text` matches. Without `?`, each literal between stars is taken
    /// at its earliest place after the previous one (which finds a match whenever there is
    /// one), so the time is linear in the text.
    pub(crate) fn matches(&self, text: &str) -> bool {
        if let Some(re) = &self.with_one {
            return re.is_match(text);
        }
        if self.parts.contains(&GlobPart::One) {
            return self.matches_backtracking(text);
        }
        let (first, rest) = match self.segments.split_first() {
            Some(split) => split,
            None => return text.is_empty(),
        };
        let Some((last, _)) = rest.split_last() else {
            // No star: the whole text.
            return text == first;
        };
        if !text.starts_with(first.as_str()) || text.len() < first.len() + last.len() || !text.ends_with(last.as_str())
        {
            return false;
        }
        let end = text.len() - last.len();
        let mut at = first.len();
        for finder in &self.finders {
            match finder.find(&text.as_bytes()[at..end]) {
                Some(i) => at += i + finder.needle().len(),
                None => return false,
            }
        }
        true
    }

    /// Iterative matching with one backtrack point per `*`: never worse than text length ×
    /// pattern length. Used for `?` patterns too large to compile.
    fn matches_backtracking(&self, text: &str) -> bool {
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
}

/// An id the [`crate::RuleSet`] gives when it is built (a literal's, a field's): until then,
/// and where there is none, this.
pub(crate) const UNSET: u32 = u32::MAX;

/// One test of one value.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// The field is absent or null.
    Null,
    Text {
        op: Op,
        needle: String,
        cased: bool,
        /// The prefilter's id of the needle's literal in this field ([`UNSET`]: none).
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

/// An event value prepared for matching: its text and its lowercase text (the same text when
/// it has no capitals), and its number when it came as a JSON number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared<'e> {
    pub raw: &'e str,
    pub lower: &'e str,
    pub number: Option<f64>,
}

impl Prepared<'_> {
    fn text(&self, cased: bool) -> &str {
        if cased { self.raw } else { self.lower }
    }

    /// The value as a number: JSON numbers, and text that reads as one (`"4688"`).
    fn number(&self) -> Option<f64> {
        self.number.or_else(|| self.raw.trim().parse().ok())
    }
}

/// The high bit of each byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether `s` needs lowercasing (has an ASCII capital, or anything non-ASCII).
pub(crate) fn needs_lowercase(s: &str) -> bool {
    let mut chunks = s.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        if w & HIGHS != 0 || capitals(w) != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
}

/// The high bit of each byte of `w` that is an ASCII capital, for eight ASCII bytes (high bits
/// clear): adding 0x3F sets the high bit of bytes from `A` up, adding 0x25 that of bytes
/// after `Z`, and no byte carries into the next.
fn capitals(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let from_a = w.wrapping_add(ONES * u64::from(0x80 - b'A'));
    let after_z = w.wrapping_add(ONES * u64::from(0x7F - b'Z'));
    from_a & !after_z & HIGHS
}

/// The lowercase form of `s`, or `None` when `s` is already lowercase (no copy needed).
pub(crate) fn lowercase(s: &str) -> Option<String> {
    if !needs_lowercase(s) {
        None
    } else if s.is_ascii() {
        Some(s.to_ascii_lowercase())
    } else {
        Some(s.chars().map(lower_char).collect())
    }
}

/// The lowercase of one character, when that is one character: all but `İ` (U+0130), whose
/// lowercase is `i` and a combining dot, which stays as it is. Lowercasing text character by
/// character keeps one character per character (a `?` still matches one character of the
/// value) and does not depend on the neighbours (unlike a Greek final sigma in
/// `str::to_lowercase`), so a text's lowercase holds the lowercase of every part of it.
pub(crate) fn lower_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Where a literal must sit in a value for a matcher to accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Anchor {
    /// The whole value.
    Exact,
    /// At the start.
    Prefix,
    /// At the end.
    Suffix,
    /// Anywhere.
    Contains,
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
            Matcher::Regex(re) => re.is_match(value.raw),
            Matcher::Cidr(net) => value
                .raw
                .trim()
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| net.contains(&ip)),
            Matcher::Compare { cmp, number } => value.number().is_some_and(|v| match cmp {
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
            Matcher::Text { literal, .. } | Matcher::Glob { literal, .. } if *literal != UNSET => Some(*literal),
            _ => None,
        }
    }

    pub(crate) fn set_literal_id(&mut self, id: u32) {
        if let Matcher::Text { literal, .. } | Matcher::Glob { literal, .. } = self {
            *literal = id;
        }
    }

    /// A literal, in lowercase, that every value this matcher accepts holds at the given place,
    /// for the prefilter; `None` when there is none (regex, numbers, `null`, …).
    pub(crate) fn required_literal(&self) -> Option<(Anchor, String)> {
        let (anchor, lit) = match self {
            Matcher::Text { op, needle, .. } => {
                let anchor = match op {
                    Op::Equals => Anchor::Exact,
                    Op::StartsWith => Anchor::Prefix,
                    Op::EndsWith => Anchor::Suffix,
                    Op::Contains => Anchor::Contains,
                };
                (anchor, needle.as_str())
            }
            Matcher::Glob { glob, .. } => {
                let (at, lit) = glob
                    .parts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| match p {
                        GlobPart::Lit(l) => Some((i, l.as_str())),
                        _ => None,
                    })
                    .max_by_key(|(i, l)| (l.len(), std::cmp::Reverse(*i)))?;
                let anchor = if at == 0 {
                    Anchor::Prefix
                } else if at + 1 == glob.parts.len() {
                    Anchor::Suffix
                } else {
                    Anchor::Contains
                };
                (anchor, lit)
            }
            _ => return None,
        };
        // The prefilter works on lowercase text: a cased needle's lowercase is in the
        // lowercase value wherever the needle is in the value.
        if lit.is_empty() {
            return None;
        }
        Some((anchor, lowercase(lit).unwrap_or_else(|| lit.to_owned())))
    }

    /// Literals, in lowercase, at least one of which every value this matcher accepts holds
    /// at its place: the matcher's own literal, or those every match of a regex starts (or
    /// ends) with.
    pub(crate) fn prefilter_literals(&self) -> Option<Vec<(Anchor, String)>> {
        match self {
            Matcher::Regex(re) => {
                regex_literals(re.as_str()).map(|ls| ls.into_iter().map(|l| (Anchor::Contains, l)).collect())
            }
            _ => self.required_literal().map(|l| vec![l]),
        }
    }

    /// Whether the prefilter's finding of this matcher's literal decides the match: a
    /// case-insensitive text comparison is exactly "the literal is at its place".
    pub(crate) fn literal_decides(&self) -> bool {
        matches!(self, Matcher::Text { cased: false, .. })
    }
}

/// The most selective of the literal sets of which every match of the regex holds one: those
/// every match starts with or ends with, or holds somewhere ([`required`]), lowercased;
/// `None` when there is no small set of non-empty ones.
///
/// A value holds one of these literals in its lowercase text wherever the regex matches, as
/// [`lowercase`] maps each character on its own.
pub(crate) fn regex_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .ok()?;
    let usable = |out: &Vec<String>| !out.is_empty() && out.len() <= 64 && out.iter().all(|l| !l.is_empty());
    let shortest = |ls: &Vec<String>| ls.iter().map(String::len).min();
    let ends = [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .filter_map(|kind| {
            let seq = Extractor::new().kind(kind).extract(&hir);
            let mut out = seq
                .literals()?
                .iter()
                .map(|l| {
                    std::str::from_utf8(l.as_bytes())
                        .ok()
                        .map(|l| lowercase(l).unwrap_or_else(|| l.to_owned()))
                })
                .collect::<Option<Vec<String>>>()?;
            out.sort_unstable();
            out.dedup();
            usable(&out).then_some(out)
        })
        .max_by_key(shortest);
    let inner = required(&hir).filter(usable);
    match (ends, inner) {
        (Some(ends), Some(inner)) if shortest(&inner) > shortest(&ends) => Some(inner),
        (None, inner) => inner,
        (ends, _) => ends,
    }
}

/// Sets of texts kept at most, and their longest text, when working out [`required`].
const FACTOR_SET_MAX: usize = 16;
const FACTOR_LEN_MAX: usize = 64;

/// What a part of a regex tells of the texts it matches, lowercased.
#[derive(Debug, Clone, Default)]
struct Factors {
    /// Every text it matches, when they are few and short.
    exact: Option<Vec<String>>,
    /// Texts one of which every match holds somewhere.
    required: Option<Vec<String>>,
}

/// A set of texts one of which every match of `hir` holds somewhere, lowercased, sorted: the
/// most selective found (its shortest text longest, then the fewest texts). For
/// `\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe`, `werfaultsecure.exe`, which is neither how
/// matches start nor how they end.
fn required(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    let f = factors(hir);
    let mut best = better(f.required, f.exact)?;
    best.sort_unstable();
    best.dedup();
    Some(best)
}

/// The more selective of two sets: its shortest text is longer, or as long and it has fewer
/// texts. A set holding the empty text says nothing.
fn better(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    let score = |s: &Vec<String>| (s.iter().map(String::len).min().unwrap_or(0), std::cmp::Reverse(s.len()));
    let a = a.filter(|s| score(s).0 > 0);
    let b = b.filter(|s| score(s).0 > 0);
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Every concatenation of a text of `a` with one of `b`, unless there would be too many or
/// too long.
fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > FACTOR_SET_MAX {
        return None;
    }
    let out: Vec<String> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
        .collect();
    out.iter().all(|t| t.len() <= FACTOR_LEN_MAX).then_some(out)
}

fn factors(hir: &regex_syntax::hir::Hir) -> Factors {
    use regex_syntax::hir::{Class, HirKind};
    let exact = |set: Vec<String>| Factors {
        required: Some(set.clone()),
        exact: Some(set),
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Factors {
            exact: Some(vec![String::new()]),
            required: None,
        },
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(text) if text.len() <= FACTOR_LEN_MAX => exact(vec![text.chars().map(lower_char).collect()]),
            _ => Factors::default(),
        },
        HirKind::Class(class) => {
            // A class of a few characters (`[Ww]` of a case-insensitive `w`): the lowercase of
            // each.
            let chars: Option<Vec<char>> = match class {
                Class::Unicode(c) => {
                    let count: u32 = c
                        .ranges()
                        .iter()
                        .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                        .sum();
                    (count <= 8).then(|| c.ranges().iter().flat_map(|r| r.start()..=r.end()).collect())
                }
                Class::Bytes(c) => {
                    let count: usize = c.ranges().iter().map(|r| usize::from(r.end() - r.start()) + 1).sum();
                    (count <= 8 && c.ranges().iter().all(|r| r.end().is_ascii())).then(|| {
                        c.ranges()
                            .iter()
                            .flat_map(|r| r.start()..=r.end())
                            .map(char::from)
                            .collect()
                    })
                }
            };
            match chars {
                Some(chars) if !chars.is_empty() => {
                    let mut set: Vec<String> = chars.into_iter().map(|c| lower_char(c).to_string()).collect();
                    set.sort_unstable();
                    set.dedup();
                    if set.len() <= 4 { exact(set) } else { Factors::default() }
                }
                _ => Factors::default(),
            }
        }
        HirKind::Capture(c) => factors(&c.sub),
        HirKind::Repetition(r) => {
            let sub = factors(&r.sub);
            if r.min == 0 {
                let exact = match (&sub.exact, r.max) {
                    (Some(e), Some(1)) => {
                        let mut e = e.clone();
                        e.push(String::new());
                        Some(e)
                    }
                    _ => None,
                };
                return Factors { exact, required: None };
            }
            let exact = match (&sub.exact, r.max) {
                (Some(e), Some(max)) if max == r.min && r.min <= 8 => {
                    (1..r.min).try_fold(e.clone(), |acc, _| product(&acc, e))
                }
                _ => None,
            };
            Factors {
                required: better(sub.required, sub.exact),
                exact,
            }
        }
        HirKind::Concat(parts) => {
            // `run`: every text the parts since the last unknown one match, joined.
            let mut best: Option<Vec<String>> = None;
            let mut run: Vec<String> = vec![String::new()];
            let mut all_exact = true;
            for part in parts {
                let f = factors(part);
                // What ran so far is a candidate too: an optional part after it only adds
                // variants.
                best = better(better(best, f.required), Some(run.clone()));
                match f.exact {
                    // Too many or too long: a new run starts here.
                    Some(e) => match product(&run, &e) {
                        Some(joined) => run = joined,
                        None => {
                            run = e;
                            all_exact = false;
                        }
                    },
                    None => {
                        run = vec![String::new()];
                        all_exact = false;
                    }
                }
            }
            Factors {
                exact: all_exact.then(|| run.clone()),
                required: better(best, Some(run)),
            }
        }
        HirKind::Alternation(branches) => {
            let all: Vec<Factors> = branches.iter().map(factors).collect();
            let exact = all
                .iter()
                .map(|f| f.exact.clone())
                .collect::<Option<Vec<Vec<String>>>>()
                .map(|sets| sets.concat())
                .filter(|set| set.len() <= FACTOR_SET_MAX);
            let required = all
                .into_iter()
                .map(|f| better(f.required, f.exact))
                .collect::<Option<Vec<Vec<String>>>>()
                .map(|sets| sets.concat())
                .filter(|set| set.len() <= FACTOR_SET_MAX);
            Factors { exact, required }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(parts: &[&str]) -> Glob {
        Glob::new(
            parts
                .iter()
                .map(|p| match *p {
                    "*" => GlobPart::Star,
                    "?" => GlobPart::One,
                    l => GlobPart::Lit(l.into()),
                })
                .collect(),
        )
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
        let g = Glob::new(parts);
        assert!(!g.matches(&"a".repeat(10_000)));
    }

    #[test]
    fn regex_literals_cover_every_match() {
        assert_eq!(regex_literals(r"ipconfig\s+/all").unwrap(), ["ipconfig"]);
        // Case variants fold into one lowercase literal.
        assert_eq!(regex_literals(r"(?i)\.exe\s+x").unwrap(), [".exe"]);
        assert_eq!(
            regex_literals(r"net\s+(stop|start) x").unwrap(),
            ["start x", "stop x"],
            "the set whose shortest literal is longer wins"
        );
        assert_eq!(regex_literals(r"(cmd|pwsh)\.exe$").unwrap(), ["cmd.exe", "pwsh.exe"]);
        // Nothing usable: a match may start and end anywhere.
        assert_eq!(regex_literals(r".*"), None);
        assert_eq!(regex_literals(r"[a-z]+\d"), None);
        assert_eq!(regex_literals(r"(?i)xΣ").unwrap(), ["xς", "xσ"]);
        // `(?i)s` also matches U+017F (long s), whose lowercase is itself: both are kept.
        assert_eq!(regex_literals(r"(?i)as").unwrap(), ["as", "aſ"]);
        // Neither how a match starts nor how it ends, but in every match.
        assert_eq!(
            regex_literals(r#"(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe["']?\s+\d{2,10}"#).unwrap(),
            ["werfaultsecure.exe", "werfaultſecure.exe"]
        );
        assert_eq!(
            regex_literals(r"\s+(-|/)EncodedCommand\s+[a-z]+").unwrap(),
            ["-encodedcommand", "/encodedcommand"]
        );
        assert_eq!(
            regex_literals(r"x\s*(?:Invoke-Expression|iex)\b").unwrap(),
            ["iex", "invoke-expression"]
        );
        // An optional part says nothing, and a set grown too large is not used.
        assert_eq!(regex_literals(r"\s+(abc)?\s+"), None);
        assert_eq!(regex_literals(r"\s+[a-f0-9]{64}\s+"), None);
    }

    proptest::proptest! {
        /// A regex built from random pieces, and a text built to match it from examples of
        /// each piece: the text's lowercase holds one of the literals found for the regex.
        #[test]
        fn regex_literals_are_in_every_match(
            picks in proptest::collection::vec((0usize..11, 0usize..3), 1..8),
            before in "[a-z ]{0,4}",
            after in "[a-z ]{0,4}",
        ) {
            const PIECES: [(&str, [&str; 3]); 11] = [
                ("ab", ["ab", "ab", "ab"]),
                ("(?i)Cd", ["cd", "CD", "cD"]),
                ("x?", ["", "x", ""]),
                ("[Ee]", ["e", "E", "e"]),
                ("(f|gh)", ["f", "gh", "gh"]),
                (r"\s+", [" ", "  ", "\t"]),
                (".{0,3}", ["", "z", "zz."]),
                ("(ij){2}", ["ijij", "ijij", "ijij"]),
                ("k*", ["", "kk", "k"]),
                ("(?i)ſ", ["s", "S", "ſ"]),
                ("[a-c]", ["a", "c", "b"]),
            ];
            let pattern: String = picks.iter().map(|&(p, _)| PIECES[p].0).collect();
            let text: String = before
                + &picks.iter().map(|&(p, e)| PIECES[p].1[e]).collect::<String>()
                + &after;
            let re = regex::Regex::new(&pattern).expect("valid");
            proptest::prop_assert!(re.is_match(&text), "{pattern} should match {text:?}");
            if let Some(lits) = regex_literals(&pattern) {
                let lower = lowercase(&text).unwrap_or_else(|| text.clone());
                proptest::prop_assert!(
                    lits.iter().any(|l| lower.contains(l.as_str())),
                    "{pattern} matches {text:?} but holds none of {lits:?}"
                );
            }
        }
    }

    #[test]
    fn needs_lowercase_finds_every_capital_and_non_ascii_byte() {
        // Every byte value at every place of a 16-byte text, against the plain definition.
        for b in 0u8..=127 {
            for at in 0..16 {
                let mut text = [b'a'; 16];
                text[at] = b;
                let text = std::str::from_utf8(&text).expect("ASCII");
                assert_eq!(needs_lowercase(text), b.is_ascii_uppercase(), "{b:#x} at {at}");
            }
        }
        assert!(needs_lowercase("abcdefghé"));
        assert!(needs_lowercase("éabcdefgh"));
        assert!(!needs_lowercase("c:\\windows\\system32\\cmd.exe /c whoami"));
        assert!(needs_lowercase("c:\\windows\\system32\\cmd.exe /c whoamI"));
    }

    #[test]
    fn lowercase_copies_only_when_needed() {
        assert_eq!(
            lowercase("C:\\Windows\\CMD.exe").as_deref(),
            Some("c:\\windows\\cmd.exe")
        );
        assert_eq!(lowercase("already lower"), None);
        assert_eq!(lowercase("ÄBC").as_deref(), Some("äbc"));
        // One character for one: `İ` keeps its place, a final sigma folds like any other.
        assert_eq!(lowercase("İX").as_deref(), Some("İx"));
        assert_eq!(lowercase("ΑΣ").as_deref(), Some("ασ"));
    }

    #[test]
    fn literals_carry_their_place() {
        let text = |op, needle: &str| Matcher::Text {
            op,
            needle: needle.into(),
            cased: false,
            literal: UNSET,
        };
        assert_eq!(
            text(Op::EndsWith, "\\cmd.exe").required_literal(),
            Some((Anchor::Suffix, "\\cmd.exe".into()))
        );
        assert_eq!(
            text(Op::Equals, "x").required_literal(),
            Some((Anchor::Exact, "x".into()))
        );
        assert_eq!(text(Op::Contains, "").required_literal(), None);
        let g = |parts: &[&str]| Matcher::Glob {
            glob: glob(parts),
            cased: false,
            literal: UNSET,
        };
        // The longest literal run, anchored when it is first or last.
        assert_eq!(
            g(&["c:\\users\\", "*", "\\x.exe"]).required_literal(),
            Some((Anchor::Prefix, "c:\\users\\".into()))
        );
        assert_eq!(
            g(&["*", "a", "*", "\\evil.exe"]).required_literal(),
            Some((Anchor::Suffix, "\\evil.exe".into()))
        );
        assert_eq!(
            g(&["*", "a", "*", "middle", "?", "b"]).required_literal(),
            Some((Anchor::Contains, "middle".into()))
        );
        let cased = Matcher::Glob {
            glob: glob(&["*", "ΑΣ", "*"]),
            cased: true,
            literal: UNSET,
        };
        assert_eq!(cased.required_literal(), Some((Anchor::Contains, "ασ".into())));
    }
}
