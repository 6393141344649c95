//! Running a query over a store.
//!
//! A search is compiled against the store's dictionaries first: each field term becomes the
//! set of dictionary ids whose value matches (one substring scan over the field's distinct
//! values finds the candidates, the wildcard pattern confirms them). The search then runs
//! shape by shape over the column entries, 64 rows per machine word, giving a bitmap of hits
//! per shape; stages read the hits (counts straight from the columns) or the rows they
//! stand for. A time limit is checked between blocks of rows, and every stage has a size
//! limit, so no query holds the server for long.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, Input};
use atoll_sigma::RuleSet;
use hashbrown::HashMap;

use crate::glob::Pattern;
use crate::query::{Expr, Name, Op, Query, QueryError, Stage, When};
use crate::store::{Dict, FieldId, Kind, NO_TIME, Row, Shape, Slot, Store, TIMESTAMP};
use crate::time::{self, DAY, MINUTE, Millis};

/// What "now" and "D2 08:30" mean for a query.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The exercise clock; when absent, the newest event's time.
    pub now: Option<Millis>,
    pub calendar: Option<Calendar>,
}

/// The exercise's first day and time zone, for `D2 08:30`.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub day_one: jiff::civil::Date,
    pub zone: jiff::tz::TimeZone,
}

impl Calendar {
    /// The calendar of an exercise whose day 1 is `day_one` in the IANA zone `zone`
    /// (`Pacific/Guam`); `None` for a zone this build does not know.
    pub fn of(day_one: jiff::civil::Date, zone: &str) -> Option<Calendar> {
        jiff::tz::TimeZone::get(zone)
            .ok()
            .map(|zone| Calendar { day_one, zone })
    }
}

/// How much work one query may do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall time for the search and its stages.
    pub timeout: Duration,
    /// Most events `sort` orders (stats first, then sort, has no limit of this kind).
    pub max_sort: usize,
    /// Most rows `stats` keeps (the largest counts).
    pub max_groups: usize,
    /// Most buckets `timeline` draws.
    pub max_buckets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(5),
            max_sort: 1_000_000,
            max_groups: 10_000,
            max_buckets: 5_000,
        }
    }
}

/// Which rows of the result to return.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    pub const ALL: Page = Page {
        offset: 0,
        limit: usize::MAX,
    };

    pub fn first(limit: usize) -> Page {
        Page { offset: 0, limit }
    }
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Events the search matched, before any stage.
    pub matched: u64,
    /// Rows of the output before paging.
    pub total: usize,
    pub output: Output,
    /// Things the user should know that did not stop the query (groups cut off, events
    /// without a time left out of a timeline).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Matching events, in the order of the store (the order they happened) unless sorted.
    Events(Vec<Row>),
    Table(Table),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The event behind each row, for `table` (so that a row can be opened).
    pub events: Option<Vec<Row>>,
}

/// Rows handled between two looks at the clock; a multiple of 64.
const BLOCK: usize = 1 << 16;

impl Store {
    /// Parses and runs `text`.
    pub fn search(&self, text: &str, ctx: &Context, limits: &Limits, page: Page) -> Result<Answer, QueryError> {
        self.run(&Query::parse(text)?, None, ctx, limits, page)
    }

    /// Runs a query; with `sigma`, only events that a rule of the set matches are kept (a Sigma
    /// rule run as a hunt, narrowed by the query's search and shaped by its stages).
    pub fn run(
        &self,
        query: &Query,
        sigma: Option<&RuleSet>,
        ctx: &Context,
        limits: &Limits,
        page: Page,
    ) -> Result<Answer, QueryError> {
        let run = Run {
            store: self,
            ctx,
            // A day is more than any query should take, and keeps the deadline representable.
            deadline: Instant::now() + limits.timeout.min(Duration::from_secs(86_400)),
            limits,
        };
        let mut node = run.compile(&query.search)?;
        if let Some(set) = sigma {
            node = Node::And(vec![node, Node::Sigma(set)]);
        }
        let (rows, node) = run.row_range(node);
        let hits = run.hits(&node, rows)?;
        let matched = hits.iter().map(|h| h.bits.count() as u64).sum();
        let mut notes = Vec::new();
        let mut current = Current::Hits(hits);
        for stage in &query.stages {
            current = run.stage(stage, current, &mut notes)?;
            run.check_time(0)?;
        }
        let (total, output) = match current {
            Current::Hits(hits) => paged(Output::Events(run.sorted_rows(&hits)), page),
            Current::Events(rows) => paged(Output::Events(rows), page),
            Current::Table(table) => paged(Output::Table(table), page),
            // Cells are written for the requested page only.
            Current::Projected { rows, fields } => {
                let (total, Output::Events(rows)) = paged(Output::Events(rows), page) else {
                    unreachable!("events page as events")
                };
                (total, Output::Table(run.project(rows, &fields)))
            }
        };
        Ok(Answer {
            matched,
            total,
            output,
            notes,
        })
    }

    /// Field names that start with `prefix` (any case), the most common first: what a query box
    /// offers as the user types.
    pub fn complete_field(&self, prefix: &str, limit: usize) -> Vec<&str> {
        let prefix = prefix.to_ascii_lowercase();
        let mut names: Vec<(&str, u64)> = self
            .fields()
            .filter(|(name, _)| name.to_ascii_lowercase().starts_with(&prefix))
            .collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        names.into_iter().take(limit).map(|(n, _)| n).collect()
    }

    /// The most frequent values of a field, with their counts.
    pub fn top_values(&self, field: &str, limit: usize) -> Vec<(String, u64)> {
        let Some(field) = self.field_id(field) else {
            return Vec::new();
        };
        let dict = self.dict(field);
        let mut counts = vec![0u64; dict.len()];
        for shape in self.shapes() {
            if let Some(Slot::Values(col)) = shape.column(field) {
                for &v in col {
                    counts[v as usize] += 1;
                }
            }
        }
        // By text: 4625 and "4625" are one value.
        let mut by_text: HashMap<&str, u64> = HashMap::new();
        for (id, c) in counts.into_iter().enumerate().filter(|c| c.1 > 0) {
            *by_text.entry(dict.text(id as u32)).or_insert(0) += c;
        }
        let mut top: Vec<(&str, u64)> = by_text.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.into_iter()
            .take(limit)
            .map(|(text, c)| (text.to_owned(), c))
            .collect()
    }

    /// The field a stage names: exactly, or in another case when only one field fits.
    pub(crate) fn resolve(&self, name: &Name) -> Result<FieldId, QueryError> {
        if let Some(id) = self.field_id(&name.text) {
            return Ok(id);
        }
        match self.resolve_all(name)?.as_slice() {
            [only] => Ok(*only),
            several => {
                let names: Vec<String> = several.iter().map(|&f| format!("`{}`", self.name(f))).collect();
                Err(QueryError::at(
                    name.column,
                    format!(
                        "`{}` could be {}; write the name exactly",
                        name.text,
                        names.join(" or ")
                    ),
                ))
            }
        }
    }

    /// The fields a search term names: every field whose name is the same in any case
    /// (`user:admin` looks in `User` and `user`). Otherwise an error at the name, suggesting
    /// the nearest field.
    pub(crate) fn resolve_all(&self, name: &Name) -> Result<Vec<FieldId>, QueryError> {
        let same: Vec<FieldId> = self
            .fields()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&name.text))
            .filter_map(|(n, _)| self.field_id(n))
            .collect();
        if !same.is_empty() {
            return Ok(same);
        }
        let wanted = name.text.to_ascii_lowercase();
        let nearest = self
            .fields()
            .map(|(n, count)| (n, count, strsim::damerau_levenshtein(&wanted, &n.to_ascii_lowercase())))
            .filter(|&(n, _, d)| d <= (n.len() / 4).max(1))
            .min_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)));
        let message = match nearest {
            Some((n, _, _)) => format!("no event has a field `{}`; did you mean `{n}`?", name.text),
            None if self.is_empty() => format!("no event has a field `{}`: there are no events yet", name.text),
            None => {
                let mut common: Vec<(&str, u64)> = self.fields().collect();
                common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                let list: Vec<String> = common.iter().take(8).map(|(n, _)| format!("`{n}`")).collect();
                let hint = if name.text.len() == 1 {
                    "; to search for text with a `:` in it, put it in quotes"
                } else {
                    ""
                };
                format!(
                    "no event has a field `{}` (the commonest are {}){hint}",
                    name.text,
                    list.join(", ")
                )
            }
        };
        Err(QueryError::at(name.column, message))
    }
}

fn paged(output: Output, page: Page) -> (usize, Output) {
    fn cut<T>(v: &mut Vec<T>, page: Page) {
        let start = page.offset.min(v.len());
        let end = start.saturating_add(page.limit).min(v.len());
        v.truncate(end);
        v.drain(..start);
    }
    match output {
        Output::Events(mut rows) => {
            let total = rows.len();
            cut(&mut rows, page);
            (total, Output::Events(rows))
        }
        Output::Table(mut table) => {
            let total = table.rows.len();
            cut(&mut table.rows, page);
            if let Some(events) = &mut table.events {
                cut(events, page);
            }
            (total, Output::Table(table))
        }
    }
}

/// A bitmap over a block of rows.
#[derive(Debug, Clone)]
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn zeros(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    fn ones(len: usize) -> Bits {
        let mut b = Bits {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        b.trim();
        b
    }

    fn trim(&mut self) {
        if !self.len.is_multiple_of(64)
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1u64 << (self.len % 64)) - 1;
        }
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.words[i >> 6] >> (i & 63) & 1 == 1
    }

    fn set(&mut self, i: usize) {
        self.words[i >> 6] |= 1 << (i & 63);
    }

    fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    fn and(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    fn or(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    fn not(&mut self) {
        self.words.iter_mut().for_each(|w| *w = !*w);
        self.trim();
    }

    fn append(&mut self, other: &Bits) {
        debug_assert_eq!(self.len % 64, 0);
        self.words.extend_from_slice(&other.words);
        self.len += other.len;
    }

    fn ones_iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros() as usize;
                    w &= w - 1;
                    i * 64 + bit
                })
            })
        })
    }
}

/// A search compiled against one store.
#[derive(Debug)]
enum Node<'a> {
    All,
    Nothing,
    And(Vec<Node<'a>>),
    Or(Vec<Node<'a>>),
    Not(Box<Node<'a>>),
    /// Rows whose value of `field` is one of `values`; rows keeping the field as a derived
    /// time are tested with `pattern` on their time's text.
    Field {
        field: FieldId,
        values: Bits,
        pattern: Option<&'a Pattern>,
    },
    /// Rows whose time is in `[lo, hi)`.
    Range {
        lo: Millis,
        hi: Millis,
    },
    Sigma(&'a RuleSet),
}

/// The hits of one shape: bit `i` stands for the shape's row at position `lo + i`.
#[derive(Debug)]
struct Hits {
    shape: usize,
    lo: usize,
    bits: Bits,
}

enum Current {
    Hits(Vec<Hits>),
    Events(Vec<Row>),
    /// Events with the fields `table` chose; cells are written only for the page returned.
    Projected {
        rows: Vec<Row>,
        fields: Vec<FieldId>,
    },
    /// The output of `stats` or `timeline`.
    Table(Table),
}

struct Run<'a> {
    store: &'a Store,
    ctx: &'a Context,
    limits: &'a Limits,
    deadline: Instant,
}

impl<'a> Run<'a> {
    fn check_time(&self, done: usize) -> Result<(), QueryError> {
        if Instant::now() <= self.deadline {
            return Ok(());
        }
        let progress = if done > 0 {
            format!(" after looking at {done} of {} events", self.store.len())
        } else {
            String::new()
        };
        Err(QueryError::at(
            0,
            format!(
                "this query took longer than its limit of {} s{progress}; narrow it with a field (host:PT-DC01), \
                 a time range (earliest:-1h) or fewer free-text words",
                self.limits.timeout.as_secs_f64()
            ),
        ))
    }

    fn compile(&self, expr: &'a Expr) -> Result<Node<'a>, QueryError> {
        let store = self.store;
        Ok(match expr {
            Expr::All => Node::All,
            Expr::And(items) => Node::And(items.iter().map(|e| self.compile(e)).collect::<Result<_, _>>()?),
            Expr::Or(items) => Node::Or(items.iter().map(|e| self.compile(e)).collect::<Result<_, _>>()?),
            Expr::Not(inner) => Node::Not(Box::new(self.compile(inner)?)),
            Expr::Text { pattern, .. } => {
                let mut any = Vec::new();
                for (name, _) in store.fields() {
                    let Some(field) = store.field_id(name).filter(|&f| f != 0) else {
                        continue;
                    };
                    let values = scan(store.dict(field), pattern);
                    if !values.is_empty() {
                        any.push(Node::Field {
                            field,
                            values,
                            pattern: None,
                        });
                    }
                    self.check_time(0)?;
                }
                if any.is_empty() { Node::Nothing } else { Node::Or(any) }
            }
            Expr::Field { field, pattern, .. } => {
                let nodes = store
                    .resolve_all(field)?
                    .into_iter()
                    .map(|field| Node::Field {
                        field,
                        values: scan(store.dict(field), pattern),
                        pattern: (field == 0).then_some(pattern),
                    })
                    .collect();
                any_of(nodes)
            }
            Expr::Exists { field } => {
                // A derived time has no dictionary entry; with no pattern, its rows all hold.
                let nodes = store
                    .resolve_all(field)?
                    .into_iter()
                    .map(|field| Node::Field {
                        field,
                        values: Bits::ones(store.dict(field).len()),
                        pattern: None,
                    })
                    .collect();
                any_of(nodes)
            }
            Expr::Compare { field: name, op, value } => {
                let mut nodes = Vec::new();
                for field in store.resolve_all(name)? {
                    if field != 0 {
                        nodes.push(Node::Field {
                            field,
                            values: compare(store.dict(field), *op, value),
                            pattern: None,
                        });
                        continue;
                    }
                    let Some(When::At(at)) = crate::query::parse_when(value) else {
                        return Err(QueryError::at(
                            name.column,
                            format!("`{TIMESTAMP}` compares with a time such as 2026-06-02T08:30:00Z, not `{value}`"),
                        ));
                    };
                    let (lo, hi) = match op {
                        Op::Lt => (NO_TIME + 1, at),
                        Op::Le => (NO_TIME + 1, at.saturating_add(1)),
                        Op::Gt => (at.saturating_add(1), Millis::MAX),
                        Op::Ge => (at, Millis::MAX),
                    };
                    nodes.push(Node::Range { lo, hi });
                }
                any_of(nodes)
            }
            Expr::Time {
                earliest,
                latest,
                column,
            } => {
                let lo = earliest
                    .as_ref()
                    .map(|w| self.when(w, *column))
                    .transpose()?
                    .unwrap_or(NO_TIME + 1);
                let hi = latest
                    .as_ref()
                    .map(|w| self.when(w, *column))
                    .transpose()?
                    .unwrap_or(Millis::MAX);
                Node::Range { lo, hi }
            }
        })
    }

    fn when(&self, when: &When, column: usize) -> Result<Millis, QueryError> {
        match when {
            When::At(ms) => Ok(*ms),
            When::FromNow(offset) => {
                let newest = || self.store.times().iter().copied().filter(|&t| t != NO_TIME).max();
                let now = self.ctx.now.or_else(newest).unwrap_or(0);
                Ok(now.saturating_add(*offset))
            }
            When::Day { day, minutes } => {
                let Some(cal) = &self.ctx.calendar else {
                    return Err(QueryError::at(
                        column,
                        "exercise days (D2 08:30) need the exercise's calendar here; give a time such as 2026-06-02T08:30:00Z",
                    ));
                };
                let date = jiff::Span::new()
                    .try_days(i64::from(*day) - 1)
                    .and_then(|span| cal.day_one.checked_add(span))
                    .map_err(|e| QueryError::at(column, format!("day {day}: {e}")))?;
                // The local time of day, so that days with a clock change read as the wall
                // clock there says.
                let local = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
                let zoned = local
                    .to_zoned(cal.zone.clone())
                    .map_err(|e| QueryError::at(column, format!("day {day}: {e}")))?;
                Ok(zoned.timestamp().as_millisecond())
            }
        }
    }

    /// Takes the time range of a search's top level out of it when the store is in time order,
    /// so that only the rows in range are looked at.
    fn row_range(&self, node: Node<'a>) -> (std::ops::Range<Row>, Node<'a>) {
        let all = 0..self.store.len() as Row;
        if !self.store.is_sorted() {
            return (all, node);
        }
        let (mut lo, mut hi) = (Millis::MIN, Millis::MAX);
        let node = match node {
            Node::Range { lo: a, hi: b } => {
                (lo, hi) = (a, b);
                Node::All
            }
            Node::And(items) => Node::And(
                items
                    .into_iter()
                    .map(|item| match item {
                        Node::Range { lo: a, hi: b } => {
                            lo = lo.max(a);
                            hi = hi.min(b);
                            Node::All
                        }
                        other => other,
                    })
                    .collect(),
            ),
            other => other,
        };
        let times = self.store.times();
        let start = times.partition_point(|&t| t < lo) as Row;
        let end = (times.partition_point(|&t| t < hi) as Row).max(start);
        (start..end, node)
    }

    fn hits(&self, node: &Node<'_>, rows: std::ops::Range<Row>) -> Result<Vec<Hits>, QueryError> {
        let mut out = Vec::new();
        let mut done = 0;
        for (s, shape) in self.store.shapes().iter().enumerate() {
            let lo = shape.rows.partition_point(|&r| r < rows.start);
            let hi = shape.rows.partition_point(|&r| r < rows.end);
            if lo == hi {
                continue;
            }
            let mut bits = Bits::zeros(0);
            let mut a = lo;
            while a < hi {
                let b = (a + BLOCK).min(hi);
                bits.append(&self.eval(node, shape, a, b, None));
                done += b - a;
                self.check_time(done)?;
                a = b;
            }
            if !bits.is_empty() {
                out.push(Hits { shape: s, lo, bits });
            }
        }
        Ok(out)
    }

    /// The bitmap of rows `lo..hi` of a shape that satisfy `node`; with `mask`, rows outside it
    /// may be left unset (used to run Sigma rules only where the rest of the search holds).
    fn eval(&self, node: &Node<'_>, shape: &Shape, lo: usize, hi: usize, mask: Option<&Bits>) -> Bits {
        let n = hi - lo;
        match node {
            Node::All => Bits::ones(n),
            Node::Nothing => Bits::zeros(n),
            Node::And(items) => {
                let mut acc = Bits::ones(n);
                if let Some(mask) = mask {
                    acc.and(mask);
                }
                for item in items {
                    if acc.is_empty() {
                        break;
                    }
                    let bits = self.eval(item, shape, lo, hi, Some(&acc));
                    acc.and(&bits);
                }
                acc
            }
            Node::Or(items) => {
                let mut acc = Bits::zeros(n);
                for item in items {
                    acc.or(&self.eval(item, shape, lo, hi, mask));
                }
                acc
            }
            Node::Not(inner) => {
                let mut bits = self.eval(inner, shape, lo, hi, None);
                bits.not();
                bits
            }
            Node::Field { field, values, pattern } => match shape.column(*field) {
                None => Bits::zeros(n),
                Some(Slot::Values(col)) => {
                    let mut out = Bits::zeros(n);
                    for (word, chunk) in out.words.iter_mut().zip(col[lo..hi].chunks(64)) {
                        let mut w = 0u64;
                        for (j, &v) in chunk.iter().enumerate() {
                            w |= u64::from(values.get(v as usize)) << j;
                        }
                        *word = w;
                    }
                    out
                }
                Some(Slot::Time) => {
                    let mut out = Bits::zeros(n);
                    let mut text = String::with_capacity(24);
                    for i in 0..n {
                        let matched = match pattern {
                            Some(p) => {
                                text.clear();
                                time::format(self.store.times()[shape.rows[lo + i] as usize], &mut text);
                                p.is_match(text.as_bytes())
                            }
                            // Exists.
                            None => true,
                        };
                        if matched {
                            out.set(i);
                        }
                    }
                    out
                }
            },
            Node::Range { lo: a, hi: b } => {
                let mut out = Bits::zeros(n);
                let times = self.store.times();
                for i in 0..n {
                    let t = times[shape.rows[lo + i] as usize];
                    if *a <= t && t < *b {
                        out.set(i);
                    }
                }
                out
            }
            Node::Sigma(set) => {
                let mut out = Bits::zeros(n);
                for i in 0..n {
                    if mask.is_some_and(|m| !m.get(i)) {
                        continue;
                    }
                    let event = sigma_event(self.store, shape.rows[lo + i]);
                    if !set.matches(&event).is_empty() {
                        out.set(i);
                    }
                }
                out
            }
        }
    }

    /// The rows behind the hits, in the order the events happened (store order, which is
    /// time order unless events were appended out of order; then by time, events without one
    /// first).
    fn sorted_rows(&self, hits: &[Hits]) -> Vec<Row> {
        let total: usize = hits.iter().map(|h| h.bits.count()).sum();
        let mut rows = Vec::with_capacity(total);
        if total.saturating_mul(64) > self.store.len() {
            let mut all = Bits::zeros(self.store.len());
            for h in hits {
                let shape = &self.store.shapes()[h.shape];
                for i in h.bits.ones_iter() {
                    all.set(shape.rows[h.lo + i] as usize);
                }
            }
            rows.extend(all.ones_iter().map(|r| r as Row));
        } else {
            for h in hits {
                let shape = &self.store.shapes()[h.shape];
                rows.extend(h.bits.ones_iter().map(|i| shape.rows[h.lo + i]));
            }
            rows.sort_unstable();
        }
        if !self.store.is_sorted() {
            let times = self.store.times();
            rows.sort_by_key(|&r| times[r as usize]);
        }
        rows
    }

    /// Calls `f(shape, position, row)` for every event of `current`, watching the time limit.
    fn each(&self, current: &Current, mut f: impl FnMut(usize, usize, Row)) -> Result<(), QueryError> {
        let mut done = 0usize;
        let tick = |done: &mut usize| {
            *done += 1;
            if done.is_multiple_of(BLOCK) {
                self.check_time(0)
            } else {
                Ok(())
            }
        };
        match current {
            Current::Hits(hits) => {
                for h in hits {
                    let shape = &self.store.shapes()[h.shape];
                    for i in h.bits.ones_iter() {
                        f(h.shape, h.lo + i, shape.rows[h.lo + i]);
                        tick(&mut done)?;
                    }
                }
            }
            Current::Events(rows) | Current::Projected { rows, .. } => {
                for &row in rows {
                    let (shape, position) = self.store.place(row);
                    f(shape, position, row);
                    tick(&mut done)?;
                }
            }
            Current::Table(_) => {}
        }
        Ok(())
    }

    /// The cells of `fields` for `rows`.
    fn project(&self, rows: Vec<Row>, fields: &[FieldId]) -> Table {
        let store = self.store;
        Table {
            columns: fields.iter().map(|&f| store.name(f).to_owned()).collect(),
            rows: rows
                .iter()
                .map(|&row| {
                    fields
                        .iter()
                        .map(|&f| store.value_of(row, f).map(|(_, v)| v.into_owned()).unwrap_or_default())
                        .collect()
                })
                .collect(),
            events: Some(rows),
        }
    }

    fn stage(&self, stage: &Stage, current: Current, notes: &mut Vec<String>) -> Result<Current, QueryError> {
        let store = self.store;
        match stage {
            Stage::Stats { by } => {
                if let Current::Table(_) = current {
                    return Err(QueryError::at(
                        0,
                        "`stats` counts events; it cannot follow `stats` or `timeline`",
                    ));
                }
                let fields = by.iter().map(|n| store.resolve(n)).collect::<Result<Vec<_>, _>>()?;
                self.stats(&current, &fields, notes).map(Current::Table)
            }
            Stage::Timeline(span) => {
                if let Current::Table(_) = current {
                    return Err(QueryError::at(
                        0,
                        "`timeline` counts events; it cannot follow `stats` or `timeline`",
                    ));
                }
                self.timeline(&current, *span, notes).map(Current::Table)
            }
            Stage::Table(names) => {
                if let Current::Table(_) = current {
                    return Err(QueryError::at(
                        names[0].column,
                        "`table` shows events; put it before `stats` or `timeline`",
                    ));
                }
                let fields = names.iter().map(|n| store.resolve(n)).collect::<Result<Vec<_>, _>>()?;
                let rows = self.rows_of(current)?;
                Ok(Current::Projected { rows, fields })
            }
            Stage::Head(n) | Stage::Tail(n) => {
                let tail = matches!(stage, Stage::Tail(_));
                let keep = |len: usize| {
                    if tail {
                        len.saturating_sub(*n)..len
                    } else {
                        0..(*n).min(len)
                    }
                };
                Ok(match current {
                    Current::Table(mut t) => {
                        let r = keep(t.rows.len());
                        t.rows = t.rows.drain(r).collect();
                        Current::Table(t)
                    }
                    Current::Projected { mut rows, fields } => {
                        let r = keep(rows.len());
                        Current::Projected {
                            rows: rows.drain(r).collect(),
                            fields,
                        }
                    }
                    other => {
                        let mut rows = self.rows_of(other)?;
                        let r = keep(rows.len());
                        Current::Events(rows.drain(r).collect())
                    }
                })
            }
            Stage::Sort(keys) => match current {
                Current::Table(mut t) => {
                    let mut order = Vec::new();
                    for key in keys {
                        let Some(col) = t.columns.iter().position(|c| c.eq_ignore_ascii_case(&key.name.text)) else {
                            return Err(QueryError::at(
                                key.name.column,
                                format!(
                                    "no column `{}` to sort by; the columns are {}",
                                    key.name.text,
                                    t.columns.join(", ")
                                ),
                            ));
                        };
                        order.push((col, key.descending));
                    }
                    let mut idx: Vec<usize> = (0..t.rows.len()).collect();
                    idx.sort_by(|&a, &b| {
                        order.iter().fold(Ordering::Equal, |acc, &(col, desc)| {
                            acc.then_with(|| {
                                SortValue::of_text(&t.rows[a][col]).cmp(&SortValue::of_text(&t.rows[b][col]), desc)
                            })
                        })
                    });
                    let rows = idx.iter().map(|&i| std::mem::take(&mut t.rows[i])).collect();
                    t.rows = rows;
                    Ok(Current::Table(t))
                }
                other => {
                    let projected = match &other {
                        Current::Projected { fields, .. } => Some(fields.clone()),
                        _ => None,
                    };
                    let fields = keys
                        .iter()
                        .map(|k| match &projected {
                            // After `table`, sort by its columns.
                            Some(columns) => columns
                                .iter()
                                .copied()
                                .find(|&f| store.name(f).eq_ignore_ascii_case(&k.name.text))
                                .ok_or_else(|| {
                                    let names: Vec<&str> = columns.iter().map(|&f| store.name(f)).collect();
                                    QueryError::at(
                                        k.name.column,
                                        format!(
                                            "no column `{}` to sort by; the columns are {}",
                                            k.name.text,
                                            names.join(", ")
                                        ),
                                    )
                                }),
                            None => store.resolve(&k.name),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let rows = self.rows_of(other)?;
                    if rows.len() > self.limits.max_sort {
                        return Err(QueryError::at(
                            keys[0].name.column,
                            format!(
                                "{} events are too many to sort (the limit is {}); narrow the search, or count them with `| stats count by …` and sort that",
                                rows.len(),
                                self.limits.max_sort
                            ),
                        ));
                    }
                    let mut keyed: Vec<(Vec<SortValue<'_>>, Row)> = rows
                        .into_iter()
                        .map(|row| (fields.iter().map(|&f| self.sort_value(row, f)).collect(), row))
                        .collect();
                    self.check_time(0)?;
                    keyed.sort_by(|a, b| {
                        keys.iter().enumerate().fold(Ordering::Equal, |acc, (i, key)| {
                            acc.then_with(|| a.0[i].cmp(&b.0[i], key.descending))
                        })
                    });
                    let rows = keyed.into_iter().map(|(_, r)| r).collect();
                    Ok(match projected {
                        Some(fields) => Current::Projected { rows, fields },
                        None => Current::Events(rows),
                    })
                }
            },
        }
    }

    fn rows_of(&self, current: Current) -> Result<Vec<Row>, QueryError> {
        match current {
            Current::Hits(hits) => Ok(self.sorted_rows(&hits)),
            Current::Events(rows) | Current::Projected { rows, .. } => Ok(rows),
            Current::Table(_) => Err(QueryError::at(
                0,
                "this stage needs events, but `stats` or `timeline` came before it",
            )),
        }
    }

    fn sort_value(&self, row: Row, field: FieldId) -> SortValue<'a> {
        if field == 0 {
            let t = self.store.times()[row as usize];
            return if t == NO_TIME {
                SortValue::Missing
            } else {
                SortValue::Number(t as f64)
            };
        }
        match self.store.value_of(row, field) {
            None => SortValue::Missing,
            Some((_, text)) => match number(&text) {
                Some(n) => SortValue::Number(n),
                None => SortValue::Text(text),
            },
        }
    }

    fn stats(&self, current: &Current, fields: &[FieldId], notes: &mut Vec<String>) -> Result<Table, QueryError> {
        let store = self.store;
        let mut columns: Vec<String> = fields.iter().map(|&f| store.name(f).to_owned()).collect();
        columns.push("count".to_owned());
        // Per shape, where each grouping field is.
        let slots: Vec<Vec<Option<Slot<'_>>>> = store
            .shapes()
            .iter()
            .map(|shape| fields.iter().map(|&f| shape.column(f)).collect())
            .collect();
        let mut groups: HashMap<Vec<Part>, u64> = HashMap::new();
        let mut single: Option<Vec<u64>> = match fields {
            [f] => Some(vec![0; store.dict(*f).len()]),
            _ => None,
        };
        let mut total = 0u64;
        let mut key = Vec::with_capacity(fields.len());
        self.each(current, |s, position, row| {
            total += 1;
            if let Some(counts) = &mut single
                && let Some(Slot::Values(col)) = slots[s][0]
            {
                counts[col[position] as usize] += 1;
                return;
            }
            key.clear();
            for slot in &slots[s] {
                match slot {
                    None => return,
                    Some(Slot::Values(col)) => key.push(Part::Id(col[position])),
                    Some(Slot::Time) => key.push(Part::Time(store.times()[row as usize])),
                }
            }
            *groups.entry_ref(key.as_slice()).or_insert(0) += 1;
        })?;
        if fields.is_empty() {
            return Ok(Table {
                columns,
                rows: vec![vec![total.to_string()]],
                events: None,
            });
        }
        if let Some(counts) = single {
            for (id, count) in counts.into_iter().enumerate() {
                if count > 0 {
                    *groups.entry(vec![Part::Id(id as u32)]).or_insert(0) += count;
                }
            }
        }
        let text = |i: usize, part: &Part| match part {
            Part::Id(id) => store.dict(fields[i]).text(*id).to_owned(),
            Part::Time(t) => time::to_string(*t),
        };
        // Values are grouped by their text: 4625 and "4625" are one group.
        let mut by_text: HashMap<Vec<String>, u64> = HashMap::new();
        for (k, count) in groups {
            *by_text
                .entry(k.iter().enumerate().map(|(i, p)| text(i, p)).collect())
                .or_insert(0) += count;
        }
        let mut rows: Vec<(Vec<String>, u64)> = by_text.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if rows.len() > self.limits.max_groups {
            notes.push(format!(
                "{} groups; showing the {} largest (narrow the search or group by fewer fields)",
                rows.len(),
                self.limits.max_groups
            ));
            rows.truncate(self.limits.max_groups);
        }
        Ok(Table {
            columns,
            rows: rows
                .into_iter()
                .map(|(mut values, count)| {
                    values.push(count.to_string());
                    values
                })
                .collect(),
            events: None,
        })
    }

    fn timeline(&self, current: &Current, span: Millis, notes: &mut Vec<String>) -> Result<Table, QueryError> {
        let times = self.store.times();
        let (mut first, mut last, mut untimed) = (Millis::MAX, Millis::MIN, 0u64);
        self.each(current, |_, _, row| {
            let t = times[row as usize];
            if t == NO_TIME {
                untimed += 1;
            } else {
                first = first.min(t.div_euclid(span));
                last = last.max(t.div_euclid(span));
            }
        })?;
        if untimed > 0 {
            notes.push(format!("{untimed} events without a time are not in the timeline"));
        }
        let mut table = Table {
            columns: vec!["time".to_owned(), "count".to_owned()],
            rows: Vec::new(),
            events: None,
        };
        if first > last {
            return Ok(table);
        }
        let buckets = last.abs_diff(first).saturating_add(1);
        if buckets > self.limits.max_buckets as u64 {
            return Err(QueryError::at(
                0,
                format!(
                    "a timeline of these events in buckets of {} would have {buckets} bars (the limit is {}); use a larger bucket",
                    span_text(span),
                    self.limits.max_buckets
                ),
            ));
        }
        let mut counts = vec![0u64; buckets as usize];
        self.each(current, |_, _, row| {
            let t = times[row as usize];
            if t != NO_TIME {
                counts[(t.div_euclid(span) - first) as usize] += 1;
            }
        })?;
        table.rows = counts
            .into_iter()
            .enumerate()
            .map(|(i, c)| vec![time::to_string((first + i as i64) * span), c.to_string()])
            .collect();
        Ok(table)
    }
}

fn span_text(span: Millis) -> String {
    match span {
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % time::HOUR == 0 => format!("{}h", s / time::HOUR),
        s if s % MINUTE == 0 => format!("{}m", s / MINUTE),
        s => format!("{}s", s as f64 / 1000.0),
    }
}

/// One part of a `stats` group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Id(u32),
    Time(Millis),
}

/// A value as `sort` orders it: numbers by value, then text, then events without the field.
#[derive(Debug)]
enum SortValue<'s> {
    Number(f64),
    Text(Cow<'s, str>),
    Missing,
}

impl SortValue<'_> {
    fn cmp(&self, other: &SortValue<'_>, descending: bool) -> Ordering {
        let rank = |v: &SortValue<'_>| match v {
            SortValue::Number(_) => 0,
            SortValue::Text(_) => 1,
            SortValue::Missing => 2,
        };
        let ordering = match (self, other) {
            (SortValue::Number(a), SortValue::Number(b)) => a.total_cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => a.cmp(b),
            // Events without the field come last whichever way the sort goes.
            (SortValue::Missing, _) | (_, SortValue::Missing) => return rank(self).cmp(&rank(other)),
            _ => rank(self).cmp(&rank(other)),
        };
        if descending { ordering.reverse() } else { ordering }
    }
}

impl<'s> SortValue<'s> {
    /// A table cell: a number if it reads as one, nothing if empty, otherwise text.
    fn of_text(text: &'s str) -> SortValue<'s> {
        if text.is_empty() {
            SortValue::Missing
        } else {
            number(text).map_or(SortValue::Text(Cow::Borrowed(text)), SortValue::Number)
        }
    }
}

/// A value that is written as a number (`4625`, `-1.5`, `2e3`; not `inf` or `NaN`).
fn number(text: &str) -> Option<f64> {
    let plausible = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.')
        && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if plausible {
        text.parse().ok().filter(|n: &f64| n.is_finite())
    } else {
        None
    }
}

fn any_of(mut nodes: Vec<Node<'_>>) -> Node<'_> {
    if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        Node::Or(nodes)
    }
}

/// The ids of the dictionary values that match a pattern.
fn scan(dict: &Dict, pattern: &Pattern) -> Bits {
    let n = dict.len();
    if pattern.is_everything() {
        return Bits::ones(n);
    }
    let mut out = Bits::zeros(n);
    match pattern.longest_literal() {
        Some(lit) if n > 16 => {
            let Ok(finder) = AhoCorasick::builder().ascii_case_insensitive(true).build([lit]) else {
                return out;
            };
            let buffer = dict.buffer();
            let mut at = 0;
            while let Some(m) = finder.find(Input::new(buffer).span(at..buffer.len())) {
                let (id, end) = dict.at(m.start());
                if pattern.is_match(dict.text(id).as_bytes()) {
                    out.set(id as usize);
                }
                at = end + 1;
                if at >= buffer.len() {
                    break;
                }
            }
        }
        _ => {
            for id in 0..n as u32 {
                if pattern.is_match(dict.text(id).as_bytes()) {
                    out.set(id as usize);
                }
            }
        }
    }
    out
}

/// The ids of the dictionary values that compare as asked: as numbers when the operand is a
/// number (values that are not numbers never match), otherwise as text in any case.
fn compare(dict: &Dict, op: Op, operand: &str) -> Bits {
    let mut out = Bits::zeros(dict.len());
    let operand_number = number(operand);
    let lower = operand.to_ascii_lowercase();
    for id in 0..dict.len() as u32 {
        let text = dict.text(id);
        let ordering = match operand_number {
            Some(x) => number(text).and_then(|v| v.partial_cmp(&x)),
            None => Some(cmp_ignore_ascii_case(text, &lower)),
        };
        if ordering.is_some_and(|o| op.holds(o)) {
            out.set(id as usize);
        }
    }
    out
}

/// `a` against an already lowercased `b`, ASCII letters in any case.
fn cmp_ignore_ascii_case(a: &str, lower_b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(lower_b.bytes())
}

/// One stored event as the Sigma engine reads it.
fn sigma_event(store: &Store, row: Row) -> atoll_sigma::Event<'_> {
    use atoll_sigma::Value;
    let fields = store
        .event(row)
        .into_iter()
        .map(|(name, kind, text)| {
            let value = match kind {
                Kind::Str | Kind::Json => Value::Str(text),
                Kind::Num => match text.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => text.parse::<f64>().map_or(Value::Str(text), Value::Float),
                },
                Kind::Bool => Value::Bool(text == "true"),
                Kind::Null => Value::Null,
            };
            (Cow::Borrowed(name), value)
        })
        .collect();
    atoll_sigma::Event { fields }
}
