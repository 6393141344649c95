//! The hunting language: a search, then `|` stages.
//!
//! ```text
//! query    := search? ("|" stage)*
//! search   := and ("OR" and)*
//! and      := not ("AND"? not)*            -- terms side by side must all hold
//! not      := "NOT" not | "(" search ")" | term
//! term     := FIELD ":" VALUE              -- whole value, * and ? wildcards, any case
//!           | FIELD ("="|"!="|"<"|"<="|">"|">=") VALUE
//!           | "_exists_:" FIELD
//!           | ("earliest"|"latest") (":"|"=") TIME
//!           | VALUE                        -- free text: anywhere in any field
//! stage    := "stats count" ("by" FIELDS)? | "sort" KEYS | "head" N? | "tail" N?
//!           | "table" FIELDS | "timeline" SPAN?
//! ```
//!
//! `AND`, `OR` and `NOT` are read in any case; quote a word to search for it. This module only
//! reads text; field names are checked against a store's fields when the query runs.

use crate::glob::Pattern;
use crate::time::{self, Millis};

/// A problem with a query, and where: a 1-based character column (0 when it is not about one
/// place in the text, such as a query stopped by its time limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl QueryError {
    pub(crate) fn at(column: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            column,
            message: message.into(),
        }
    }
}

impl QueryError {
    /// The error, then the query with a caret under the column (when there is one), for a
    /// terminal or a `<pre>` block:
    ///
    /// ```text
    /// column 13: no event has a field `comandline`; did you mean `CommandLine`?
    ///   log:dns AND comandline:*ntds*
    ///               ^
    /// ```
    pub fn pointed(&self, query: &str) -> String {
        if self.column == 0 {
            return self.message.clone();
        }
        format!("{self}\n  {query}\n  {}^", " ".repeat(self.column - 1))
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column > 0 {
            write!(f, "column {}: {}", self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for QueryError {}

/// A field name as written, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        match self {
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Gt => ordering == Greater,
            Op::Ge => ordering != Less,
        }
    }
}

/// A point in time as written in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    At(Millis),
    /// Relative to the exercise clock's "now" (negative: in the past).
    FromNow(Millis),
    /// Exercise day (1 for the first) and minutes after midnight, in the exercise's time zone.
    Day {
        day: u32,
        minutes: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every event (an empty search or `*`).
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// Free text: the pattern anywhere in any field but `@timestamp`.
    Text {
        text: String,
        pattern: Pattern,
    },
    /// The whole value of a field.
    Field {
        field: Name,
        text: String,
        pattern: Pattern,
    },
    Compare {
        field: Name,
        op: Op,
        value: String,
    },
    Exists {
        field: Name,
    },
    /// Events at or after `earliest`, and before `latest`.
    Time {
        earliest: Option<When>,
        latest: Option<When>,
        column: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub name: Name,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// `stats count [by f1, f2]`: one row per distinct combination, with its count.
    Stats {
        by: Vec<Name>,
    },
    Sort(Vec<SortKey>),
    Head(usize),
    Tail(usize),
    Table(Vec<Name>),
    /// Counts per time bucket of this many milliseconds.
    Timeline(Millis),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub search: Expr,
    pub stages: Vec<Stage>,
}

const STAGES: [&str; 6] = ["stats", "sort", "head", "tail", "table", "timeline"];
/// Longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;
/// Deepest nesting of parentheses and `NOT`.
pub const MAX_DEPTH: usize = 64;
/// Characters that end an unquoted word.
const STOP: &[char] = &['(', ')', '|', ':', '=', '<', '>', '!', '"'];

impl Query {
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() > MAX_QUERY_CHARS {
            return Err(QueryError::at(
                MAX_QUERY_CHARS + 1,
                format!("a query is at most {MAX_QUERY_CHARS} characters long"),
            ));
        }
        let mut p = Parser {
            chars,
            pos: 0,
            depth: 0,
        };
        p.skip_ws();
        let search = if p.at_end() || p.peek() == Some('|') {
            Expr::All
        } else {
            p.or()?
        };
        let mut stages = Vec::new();
        loop {
            p.skip_ws();
            match p.peek() {
                None => break,
                Some('|') => {
                    p.pos += 1;
                    stages.push(p.stage()?);
                }
                Some(')') => return Err(p.error("this `)` closes nothing")),
                Some(c) => return Err(p.error(format!("unexpected `{c}`"))),
            }
        }
        Ok(Query { search, stages })
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Parentheses and `NOT`s open around the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError::at(self.column(), message)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Whether the next word is `word` (any case), standing alone.
    fn keyword(&self, word: &str) -> bool {
        let n = word.chars().count();
        let end = self.pos + n;
        end <= self.chars.len()
            && self.chars[self.pos..end]
                .iter()
                .zip(word.chars())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
            && self
                .chars
                .get(end)
                .is_none_or(|c| c.is_whitespace() || *c == '(' || *c == '"')
    }

    fn take_keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        if self.keyword(word) {
            self.pos += word.chars().count();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.and()?];
        while self.take_keyword("OR") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.not()?];
        loop {
            self.skip_ws();
            if self.at_end() || matches!(self.peek(), Some(')' | '|')) || self.keyword("OR") {
                break;
            }
            self.take_keyword("AND");
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!(
                "the search nests parentheses and NOT more than {MAX_DEPTH} deep"
            )));
        }
        let expr = self.nested();
        self.depth -= 1;
        expr
    }

    fn nested(&mut self) -> Result<Expr, QueryError> {
        if self.take_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some('(') {
            let open = self.column();
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(')') {
                return Err(self.error("empty parentheses: put a search between them"));
            }
            let inner = self.or()?;
            self.skip_ws();
            if self.peek() != Some(')') {
                return Err(self.error(format!("expected `)` to close the `(` at column {open}")));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.term()
    }

    /// A double-quoted string; `\"` and `\\` inside stand for `"` and `\`.
    fn quoted(&mut self) -> Result<String, QueryError> {
        let open = self.column();
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(QueryError::at(open, "this quote is never closed")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') if matches!(self.chars.get(self.pos + 1), Some('"' | '\\')) => {
                    out.push(self.chars[self.pos + 1]);
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A run of characters up to a space or one of `stop`. A `(` inside a word that is closed
    /// before the next space belongs to it, so that `cs(User-Agent)` and `*(x86)*` read whole.
    fn word(&mut self, stop: &[char]) -> String {
        self.word_from(stop, false)
    }

    /// As [`Parser::word`]; a value may also start with a closed `(` (`CommandLine:(x86)`).
    fn word_from(&mut self, stop: &[char], value: bool) -> String {
        let start = self.pos;
        let mut depth = 0;
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                break;
            }
            if c == '(' && (value || self.pos > start) && self.closes_before_space() {
                depth += 1;
            } else if c == ')' && depth > 0 {
                depth -= 1;
            } else if stop.contains(&c) {
                break;
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn closes_before_space(&self) -> bool {
        self.chars[self.pos + 1..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .any(|&c| c == ')')
    }

    /// A value after `:` or an operator: quoted, or up to a space, `)` or `|`.
    fn value(&mut self, after: &str) -> Result<String, QueryError> {
        if self.peek() == Some('"') {
            return self.quoted();
        }
        let value = self.word_from(&[')', '|'], true);
        if value.is_empty() {
            return Err(self.error(format!("expected a value after `{after}` (`Field:*` finds any value)")));
        }
        Ok(value)
    }

    fn term(&mut self) -> Result<Expr, QueryError> {
        let column = self.column();
        let (text, quoted) = match self.peek() {
            Some('"') => (self.quoted()?, true),
            Some(c) if STOP.contains(&c) => return Err(self.error(format!("expected a search term, found `{c}`"))),
            None => return Err(self.error("expected a search term after this")),
            Some(_) => (self.word(STOP), false),
        };
        let name = Name { text, column };
        // `Field:value` (no space before the colon) or `Field op value` (spaces allowed).
        if self.peek() == Some(':') {
            self.pos += 1;
            if let Some(op) = self.operator() {
                self.skip_ws();
                let value = self.value(op.1)?;
                return Ok(compare(name, op.0, value));
            }
            return self.field_term(name);
        }
        let before_ws = self.pos;
        self.skip_ws();
        if let Some(op) = self.operator() {
            if name.text.is_empty() {
                return Err(QueryError::at(column, "expected a field name before the operator"));
            }
            self.skip_ws();
            let value = self.value(op.1)?;
            return match op.0 {
                Cmp::Eq => self.field_value(name, value),
                _ => Ok(compare(name, op.0, value)),
            };
        }
        self.pos = before_ws;
        let text = name.text;
        if !quoted && text == "*" {
            return Ok(Expr::All);
        }
        Ok(Expr::Text {
            pattern: Pattern::anywhere(&text),
            text,
        })
    }

    fn operator(&mut self) -> Option<(Cmp, &'static str)> {
        let two: String = self.chars[self.pos..].iter().take(2).collect();
        let op = match two.as_str() {
            ">=" => (Cmp::Ge, ">="),
            "<=" => (Cmp::Le, "<="),
            "!=" => (Cmp::Ne, "!="),
            _ => match two.chars().next() {
                Some('>') => (Cmp::Gt, ">"),
                Some('<') => (Cmp::Lt, "<"),
                Some('=') => (Cmp::Eq, "="),
                _ => return None,
            },
        };
        self.pos += op.1.len();
        Some(op)
    }

    /// After `Field:`.
    fn field_term(&mut self, name: Name) -> Result<Expr, QueryError> {
        if name.text.is_empty() {
            return Err(QueryError::at(name.column, "expected a field name before `:`"));
        }
        let value = self.value(":")?;
        self.field_value(name, value)
    }

    fn field_value(&mut self, name: Name, value: String) -> Result<Expr, QueryError> {
        let lower = name.text.to_ascii_lowercase();
        match lower.as_str() {
            "_exists_" => Ok(Expr::Exists {
                field: Name {
                    text: value,
                    column: name.column + name.text.chars().count() + 1,
                },
            }),
            "earliest" | "latest" => {
                let when = parse_when(&value).ok_or_else(|| {
                    QueryError::at(
                        name.column,
                        format!(
                            "`{value}` is not a time: use `-2h`, `now`, `2026-06-02T08:30:00Z`, `2026-06-02` or `\"D2 08:30\"`"
                        ),
                    )
                })?;
                let (earliest, latest) = if lower == "earliest" {
                    (Some(when), None)
                } else {
                    (None, Some(when))
                };
                Ok(Expr::Time {
                    earliest,
                    latest,
                    column: name.column,
                })
            }
            _ => Ok(Expr::Field {
                pattern: Pattern::parse(&value),
                text: value,
                field: name,
            }),
        }
    }

    fn stage(&mut self) -> Result<Stage, QueryError> {
        self.skip_ws();
        let column = self.column();
        let word = self.word(&['|', ',']);
        let stage = match word.to_ascii_lowercase().as_str() {
            "stats" => {
                self.skip_ws();
                let at = self.column();
                let what = self.word(&['|', ',']);
                if !what.eq_ignore_ascii_case("count") {
                    return Err(QueryError::at(
                        at,
                        "`stats` counts events: write `| stats count` or `| stats count by host`",
                    ));
                }
                let by = if self.take_keyword("by") {
                    let fields = self.names()?;
                    if fields.is_empty() {
                        return Err(self.error("expected field names after `by`"));
                    }
                    fields
                } else {
                    Vec::new()
                };
                Stage::Stats { by }
            }
            "sort" => {
                let mut keys = Vec::new();
                for name in self.names()? {
                    let (text, descending, column) = match name.text.strip_prefix('-') {
                        Some(rest) => (rest.to_owned(), true, name.column + 1),
                        None => match name.text.strip_prefix('+') {
                            Some(rest) => (rest.to_owned(), false, name.column + 1),
                            None => (name.text, false, name.column),
                        },
                    };
                    match text.to_ascii_lowercase().as_str() {
                        "desc" | "descending" if !keys.is_empty() => {
                            if let Some(last) = keys.last_mut() {
                                let last: &mut SortKey = last;
                                last.descending = true;
                            }
                        }
                        "asc" | "ascending" if !keys.is_empty() => {}
                        _ => keys.push(SortKey {
                            name: Name { text, column },
                            descending,
                        }),
                    }
                }
                if keys.is_empty() {
                    return Err(self.error("expected what to sort by, such as `| sort -count` or `| sort @timestamp`"));
                }
                Stage::Sort(keys)
            }
            "head" | "tail" => {
                self.skip_ws();
                let at = self.column();
                let n = self.word(&['|']);
                let n = if n.is_empty() {
                    10
                } else {
                    n.parse()
                        .map_err(|_| QueryError::at(at, format!("`{n}` is not a number of rows")))?
                };
                if word.eq_ignore_ascii_case("head") {
                    Stage::Head(n)
                } else {
                    Stage::Tail(n)
                }
            }
            "table" => {
                let fields = self.names()?;
                if fields.is_empty() {
                    return Err(
                        self.error("expected the fields to show, such as `| table @timestamp, host, CommandLine`")
                    );
                }
                Stage::Table(fields)
            }
            "timeline" => {
                self.skip_ws();
                let at = self.column();
                let span = self.word(&['|']);
                if span.is_empty() {
                    Stage::Timeline(time::HOUR)
                } else {
                    Stage::Timeline(time::parse_span(&span).ok_or_else(|| {
                        QueryError::at(
                            at,
                            format!("`{span}` is not a bucket size: use `30s`, `15m`, `1h` or `1d`"),
                        )
                    })?)
                }
            }
            "" => {
                return Err(QueryError::at(
                    column,
                    format!("expected a command after `|`: {}", STAGES.join(", ")),
                ));
            }
            other => {
                let hint = STAGES
                    .iter()
                    .filter(|s| strsim::levenshtein(s, other) <= 2)
                    .min_by_key(|s| strsim::levenshtein(s, other))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; expected one of {}", STAGES.join(", ")));
                return Err(QueryError::at(column, format!("unknown command `{word}`{hint}")));
            }
        };
        self.skip_ws();
        match self.peek() {
            None | Some('|') => Ok(stage),
            Some(c) => Err(self.error(format!("unexpected `{c}` after `{}`", word.to_ascii_lowercase()))),
        }
    }

    /// Field names separated by commas or spaces, up to the next `|`.
    fn names(&mut self) -> Result<Vec<Name>, QueryError> {
        let mut names = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some('|') => return Ok(names),
                Some(',') => self.pos += 1,
                Some('"') => {
                    let column = self.column();
                    let text = self.quoted()?;
                    names.push(Name { text, column });
                }
                Some(_) => {
                    let column = self.column();
                    let text = self.word(&['|', ',']);
                    names.push(Name { text, column });
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn compare(field: Name, cmp: Cmp, value: String) -> Expr {
    let op = match cmp {
        Cmp::Lt => Op::Lt,
        Cmp::Le => Op::Le,
        Cmp::Gt => Op::Gt,
        Cmp::Ge => Op::Ge,
        // `Field:=x` and `Field:!=x` read as `Field=x` and `Field!=x`.
        Cmp::Eq | Cmp::Ne => {
            let pattern = Pattern::parse(&value);
            let eq = Expr::Field {
                field: field.clone(),
                text: value,
                pattern,
            };
            return if cmp == Cmp::Eq {
                eq
            } else {
                Expr::And(vec![Expr::Exists { field }, Expr::Not(Box::new(eq))])
            };
        }
    };
    Expr::Compare { field, op, value }
}

/// Reads `now`, `-2h`, `now-2h`, `+30m`, an RFC 3339 time, `2026-06-02`, `2026-06-02T08:30`
/// (UTC) or an exercise day `D2` / `D2 08:30`.
pub fn parse_when(text: &str) -> Option<When> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Some(When::FromNow(0));
    }
    let rel = if t.len() >= 3 && t.is_char_boundary(3) && t[..3].eq_ignore_ascii_case("now") {
        &t[3..]
    } else {
        t
    };
    if let Some(span) = rel.strip_prefix('-') {
        return time::parse_span(span).map(|s| When::FromNow(-s));
    }
    if let Some(span) = rel.strip_prefix('+') {
        return time::parse_span(span).map(When::FromNow);
    }
    if let Some(rest) = t.strip_prefix(['D', 'd']) {
        let (day, clock) = rest.split_once([' ', 'T']).unwrap_or((rest, "00:00"));
        let day: u32 = day.parse().ok().filter(|&d| d >= 1)?;
        let (h, m) = clock.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        return (h < 24 && m < 60).then_some(When::Day {
            day,
            minutes: h * 60 + m,
        });
    }
    if let Some(ms) = time::parse(t) {
        return Some(When::At(ms));
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| When::At(z.timestamp().as_millisecond()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> (usize, String) {
        let e = Query::parse(q).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn terms_and_precedence() {
        let q = Query::parse("a OR b c").unwrap();
        let Expr::Or(items) = &q.search else { panic!("{q:?}") };
        assert!(
            matches!(&items[1], Expr::And(v) if v.len() == 2),
            "AND binds tighter than OR"
        );
        let q = Query::parse("NOT (x:1 or y:2) and z").unwrap();
        let Expr::And(items) = &q.search else { panic!("{q:?}") };
        assert!(matches!(&items[0], Expr::Not(inner) if matches!(**inner, Expr::Or(_))));
        let q = Query::parse(r#"Image:C:\Windows\System32\*.exe"#).unwrap();
        let Expr::Field { field, text, .. } = &q.search else {
            panic!()
        };
        assert_eq!(
            (field.text.as_str(), text.as_str()),
            ("Image", r"C:\Windows\System32\*.exe")
        );
        let q = Query::parse(r#""Threat Name":"Trojan \"x\"""#).unwrap();
        let Expr::Field { field, text, .. } = &q.search else {
            panic!()
        };
        assert_eq!((field.text.as_str(), text.as_str()), ("Threat Name", "Trojan \"x\""));
        let q = Query::parse("cs(User-Agent):*curl* (Image:*(x86)*)").unwrap();
        let Expr::And(items) = &q.search else { panic!("{q:?}") };
        assert!(
            matches!(&items[0], Expr::Field { field, text, .. } if field.text == "cs(User-Agent)" && text == "*curl*")
        );
        assert!(matches!(&items[1], Expr::Field { field, text, .. } if field.text == "Image" && text == "*(x86)*"));
        assert_eq!(Query::parse("*").unwrap().search, Expr::All);
        assert_eq!(Query::parse("").unwrap().search, Expr::All);
    }

    #[test]
    fn comparisons_and_times() {
        let q = Query::parse("EventID >= 4624 EventID<4700 bytes:>1000").unwrap();
        let Expr::And(items) = &q.search else { panic!() };
        assert!(matches!(&items[0], Expr::Compare { op: Op::Ge, value, .. } if value == "4624"));
        assert!(matches!(&items[1], Expr::Compare { op: Op::Lt, .. }));
        assert!(matches!(&items[2], Expr::Compare { op: Op::Gt, value, .. } if value == "1000"));
        let q = Query::parse("host!=pt-dc01").unwrap();
        assert!(matches!(&q.search, Expr::And(v) if matches!(v[0], Expr::Exists { .. })));
        let q = Query::parse(r#"earliest:-2h latest:"D2 08:30""#).unwrap();
        let Expr::And(items) = &q.search else { panic!() };
        assert!(matches!(&items[0], Expr::Time { earliest: Some(When::FromNow(ms)), .. } if *ms == -2 * time::HOUR));
        assert!(matches!(
            &items[1],
            Expr::Time {
                latest: Some(When::Day { day: 2, minutes: 510 }),
                ..
            }
        ));
        assert_eq!(parse_when("2026-06-02"), parse_when("2026-06-02T00:00:00Z"));
        assert_eq!(parse_when("2026-06-02T08:30"), parse_when("2026-06-02T08:30:00Z"));
        assert_eq!(parse_when("D0"), None);
    }

    #[test]
    fn stages() {
        let q = Query::parse("EventID:4624 | stats count by host, TargetUserName | sort -count | head 5").unwrap();
        assert_eq!(q.stages.len(), 3);
        assert!(
            matches!(&q.stages[0], Stage::Stats { by } if by.len() == 2 && by[1].text == "TargetUserName" && by[1].column == 37)
        );
        assert!(matches!(&q.stages[1], Stage::Sort(k) if k[0].descending && k[0].name.text == "count"));
        assert_eq!(q.stages[2], Stage::Head(5));
        let q = Query::parse("| sort host desc, count | timeline 15m | tail").unwrap();
        assert!(matches!(&q.stages[0], Stage::Sort(k) if k.len() == 2 && k[0].descending && !k[1].descending));
        assert_eq!(q.stages[1], Stage::Timeline(15 * time::MINUTE));
        assert_eq!(q.stages[2], Stage::Tail(10));
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(err("(a OR b"), (8, "expected `)` to close the `(` at column 1".into()));
        assert_eq!(err("a b)"), (4, "this `)` closes nothing".into()));
        assert_eq!(
            err("host:"),
            (6, "expected a value after `:` (`Field:*` finds any value)".into())
        );
        assert_eq!(err(r#"CommandLine:"ntds"#), (13, "this quote is never closed".into()));
        assert_eq!(
            err("x | stast count"),
            (5, "unknown command `stast`; did you mean `stats`?".into())
        );
        assert_eq!(
            err("x | stats sum(bytes)"),
            (
                11,
                "`stats` counts events: write `| stats count` or `| stats count by host`".into()
            )
        );
        assert_eq!(err("x | head ten"), (10, "`ten` is not a number of rows".into()));
        assert_eq!(
            err("x | timeline 5 minutes"),
            (14, "`5` is not a bucket size: use `30s`, `15m`, `1h` or `1d`".into())
        );
        assert_eq!(err("earliest:yesterday").0, 1);
        assert_eq!(err("a AND"), (6, "expected a search term after this".into()));
        assert_eq!(err(">= 5"), (1, "expected a search term, found `>`".into()));
        assert_eq!(err("()"), (2, "empty parentheses: put a search between them".into()));
        assert_eq!(
            err(&"(".repeat(100_000)),
            (10_001, "a query is at most 10000 characters long".into())
        );
        assert_eq!(
            err(&format!("{}x", "NOT ".repeat(100))),
            (257, "the search nests parentheses and NOT more than 64 deep".into())
        );
        assert!(Query::parse(&format!("{}x{}", "(".repeat(60), ")".repeat(60))).is_ok());
        let q = Query::parse("CommandLine:(x86) earliest:NOW-2h").unwrap();
        assert!(matches!(&q.search, Expr::And(v) if matches!(&v[0], Expr::Field { text, .. } if text == "(x86)")));
    }
}
