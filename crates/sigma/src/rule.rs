//! Sigma rules from YAML: metadata, log source, detections with their value modifiers, and the
//! condition, compiled to [`Matcher`]s. Correlation rules are in [`crate::correlation`].
//!
//! Every problem is a [`RuleError`] with the line and column it was found at; a rule with a
//! problem is not loaded at all (a half-understood rule would raise wrong alerts).

use std::collections::BTreeMap;
use std::fmt;

use atoll_yaml::{Kind, Node, Span, did_you_mean};
use base64::Engine as _;

use crate::condition::{self, Expr, Quantity, Target};
use crate::matcher::{Cmp, Glob, GlobPart, Matcher, Op};

/// A problem with a rule, at a place in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub span: Span,
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        RuleError {
            span,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

/// Severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const NAMES: [&'static str; 5] = ["informational", "low", "medium", "high", "critical"];

    pub fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Level::NAMES[self as usize]
    }
}

/// Which events a rule is written for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Logsource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

impl Logsource {
    /// Whether every term is one atoll routes events to (`docs/logsources.md`); a rule whose
    /// log source is not loads, and never matches.
    pub fn is_known(&self) -> bool {
        use crate::logsource::{Dim, is_known};
        [
            (Dim::Product, &self.product),
            (Dim::Category, &self.category),
            (Dim::Service, &self.service),
        ]
        .into_iter()
        .all(|(dim, value)| value.as_deref().is_none_or(|v| is_known(dim, v)))
    }
}

impl fmt::Display for Logsource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("category", &self.category),
            ("service", &self.service),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
        if parts.is_empty() {
            f.write_str("(any)")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A detection rule, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: String,
    pub level: Option<Level>,
    pub status: Option<String>,
    pub author: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Where to read more (`references`), as written; items that are not text are left out.
    pub references: Vec<String>,
    /// Benign activity that fires the rule (`falsepositives`), as written.
    pub falsepositives: Vec<String>,
    pub logsource: Logsource,
    /// Where the rule starts in its file.
    pub span: Span,
    pub(crate) detections: Vec<Detection>,
    pub(crate) condition: Cond,
}

impl Rule {
    /// The event fields the rule's detections test, each once, in the order first named:
    /// what an analyst looks at first on the event that raised an alert.
    pub fn fields(&self) -> Vec<&str> {
        fn walk<'r>(d: &'r Detection, out: &mut Vec<&'r str>) {
            match d {
                Detection::AllOf(items) => {
                    for item in items {
                        if !out.contains(&item.field.as_str()) {
                            out.push(&item.field);
                        }
                    }
                }
                Detection::AnyOf(list) => list.iter().for_each(|d| walk(d, out)),
                Detection::Keywords { .. } => {}
            }
        }
        let mut out = Vec::new();
        for d in &self.detections {
            walk(d, &mut out);
        }
        out
    }
}

/// The test a detection name stands for.
#[derive(Debug, Clone)]
pub(crate) enum Detection {
    /// A mapping: every item must hold.
    AllOf(Vec<Item>),
    /// A list of mappings: any of them.
    AnyOf(Vec<Detection>),
    /// Values without a field: searched in every value of the event.
    Keywords { all: bool, matchers: Vec<Matcher> },
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub field: String,
    /// The field's id in the [`crate::RuleSet`] that holds the rule (set when it is built).
    pub field_id: u32,
    pub test: Test,
    /// When the [`crate::RuleSet`] looks for the literal of every matcher, and each found
    /// literal decides its matcher (`Test::Values`, any of them, case-insensitive text): their
    /// literal ids. The item holds if one of them was found.
    pub literals: Option<Box<[u32]>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Exists(bool),
    /// Any value matches (all of them with `|all`).
    Values {
        all: bool,
        matchers: Vec<Matcher>,
    },
}

/// A condition with detection names resolved to indices.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Det(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    AtLeast(u32, Vec<usize>),
    All(Vec<usize>),
}

/// What rule compilation may need from outside the rule.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Values of `%name%` placeholders for the `expand` modifier.
    pub placeholders: BTreeMap<String, Vec<String>>,
}

/// Largest compiled regex accepted (bytes of the compiled program), and the most values one
/// modifier chain may expand a value into (`windash` multiplies them).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;
pub(crate) const MAX_EXPANDED_VALUES: usize = 1024;

const MODIFIERS: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "all",
    "re",
    "i",
    "m",
    "s",
    "cidr",
    "base64",
    "base64offset",
    "wide",
    "utf16le",
    "utf16be",
    "utf16",
    "windash",
    "exists",
    "fieldref",
    "lt",
    "lte",
    "gt",
    "gte",
    "expand",
    "cased",
];

pub(crate) fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Str(s) if s == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

pub(crate) fn text(node: &Node, what: &str) -> Result<String, RuleError> {
    match &node.kind {
        Kind::Str(s) => Ok(s.clone()),
        Kind::Int(i) => Ok(i.to_string()),
        Kind::Float(f) => Ok(f.to_string()),
        Kind::Bool(b) => Ok(b.to_string()),
        other => Err(RuleError::new(
            node.span,
            format!("`{what}` should be text, not {}", other.describe()),
        )),
    }
}

/// The `level` of a rule or correlation document, if it has one.
pub(crate) fn level_of(doc: &Node) -> Result<Option<Level>, RuleError> {
    let Some(n) = get(doc, "level").filter(|n| n.kind != Kind::Null) else {
        return Ok(None);
    };
    let t = text(n, "level")?;
    Level::parse(&t).map(Some).ok_or_else(|| {
        RuleError::new(
            n.span,
            format!("unknown level `{t}`; use one of {}", Level::NAMES.join(", ")),
        )
    })
}

pub(crate) fn opt_text(doc: &Node, key: &str) -> Result<Option<String>, RuleError> {
    get(doc, key)
        .filter(|n| n.kind != Kind::Null)
        .map(|n| text(n, key))
        .transpose()
}

fn text_list(node: &Node, what: &str) -> Result<Vec<String>, RuleError> {
    match &node.kind {
        Kind::Seq(items) => items.iter().map(|n| text(n, what)).collect(),
        Kind::Null => Ok(Vec::new()),
        _ => Ok(vec![text(node, what)?]),
    }
}

/// The text items of an informational list (`references`, `falsepositives`): the rule's
/// detection does not depend on them, so a malformed item is left out rather than refused.
fn loose_list(doc: &Node, key: &str) -> Vec<String> {
    match get(doc, key).map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items
            .iter()
            .filter_map(|n| match &n.kind {
                Kind::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(Kind::Str(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Compiles one YAML document that holds a detection rule.
pub(crate) fn compile(doc: &Node, config: &Config) -> Result<Rule, RuleError> {
    let title = get(doc, "title")
        .ok_or_else(|| RuleError::new(doc.span, "the rule has no `title`"))
        .and_then(|n| text(n, "title"))?;
    let level = level_of(doc)?;
    let logsource = match get(doc, "logsource") {
        None => Logsource::default(),
        Some(ls) => {
            if !matches!(ls.kind, Kind::Map(_)) {
                return Err(RuleError::new(ls.span, "`logsource` should be a mapping"));
            }
            let lower =
                |k: &str| -> Result<Option<String>, RuleError> { Ok(opt_text(ls, k)?.map(|s| s.to_ascii_lowercase())) };
            Logsource {
                product: lower("product")?,
                category: lower("category")?,
                service: lower("service")?,
            }
        }
    };
    let detection = get(doc, "detection").ok_or_else(|| RuleError::new(doc.span, "the rule has no `detection`"))?;
    let Kind::Map(entries) = &detection.kind else {
        return Err(RuleError::new(
            detection.span,
            "`detection` should be a mapping of names to selections, with a `condition`",
        ));
    };
    let mut names = Vec::new();
    let mut detections = Vec::new();
    let mut condition_node = None;
    for (key, value) in entries {
        let name = text(key, "detection name")?;
        match name.as_str() {
            "condition" => condition_node = Some(value),
            // Deprecated in Sigma 2 and ignored by every engine we know of.
            "timeframe" => {}
            _ => {
                if names.contains(&name) {
                    return Err(RuleError::new(
                        key.span,
                        format!("the detection `{name}` is defined twice"),
                    ));
                }
                detections.push(detection_of(value, config)?);
                names.push(name);
            }
        }
    }
    let condition_node =
        condition_node.ok_or_else(|| RuleError::new(detection.span, "the detection has no `condition`"))?;
    let condition = match &condition_node.kind {
        Kind::Seq(items) if !items.is_empty() => {
            let conds = items
                .iter()
                .map(|n| condition_of(n, &names))
                .collect::<Result<Vec<_>, _>>()?;
            Cond::Or(conds)
        }
        _ => condition_of(condition_node, &names)?,
    };
    Ok(Rule {
        id: opt_text(doc, "id")?,
        name: opt_text(doc, "name")?,
        title,
        level,
        status: opt_text(doc, "status")?,
        author: opt_text(doc, "author")?,
        description: opt_text(doc, "description")?,
        tags: get(doc, "tags")
            .map(|n| text_list(n, "tags"))
            .transpose()?
            .unwrap_or_default(),
        references: loose_list(doc, "references"),
        falsepositives: loose_list(doc, "falsepositives"),
        logsource,
        span: doc.span,
        detections,
        condition,
    })
}

fn condition_of(node: &Node, names: &[String]) -> Result<Cond, RuleError> {
    let source = text(node, "condition")?;
    let expr = condition::parse(&source).map_err(|e| {
        // Point into the condition text when it sits on the `condition:` line.
        let span = Span::new(node.span.line, node.span.col + e.column as u32 - 1);
        RuleError::new(span, format!("in the condition: {}", e.message))
    })?;
    resolve(&expr, names).map_err(|m| RuleError::new(node.span, m))
}

fn resolve(expr: &Expr, names: &[String]) -> Result<Cond, String> {
    Ok(match expr {
        Expr::Name(n) => match names.iter().position(|x| x == n) {
            Some(i) => Cond::Det(i),
            None => {
                let hint = did_you_mean(n, names.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!("the condition names `{n}`, which is not a detection{hint}"));
            }
        },
        Expr::Not(inner) => Cond::Not(Box::new(resolve(inner, names)?)),
        Expr::And(items) => Cond::And(items.iter().map(|e| resolve(e, names)).collect::<Result<_, _>>()?),
        Expr::Or(items) => Cond::Or(items.iter().map(|e| resolve(e, names)).collect::<Result<_, _>>()?),
        Expr::Of(quantity, target) => {
            let chosen: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| match target {
                    Target::Them => !n.starts_with('_'),
                    Target::Pattern(p) => condition::name_matches(p, n),
                })
                .map(|(i, _)| i)
                .collect();
            if chosen.is_empty() {
                let what = match target {
                    Target::Them => "`them`: the rule has no detections".to_owned(),
                    Target::Pattern(p) => format!("`{p}`: no detection name matches it"),
                };
                return Err(format!("the condition quantifies over {what}"));
            }
            match quantity {
                Quantity::All => Cond::All(chosen),
                Quantity::AtLeast(n) => Cond::AtLeast(*n, chosen),
            }
        }
    })
}

fn detection_of(node: &Node, config: &Config) -> Result<Detection, RuleError> {
    match &node.kind {
        Kind::Map(entries) => {
            let mut items = Vec::new();
            let mut keywords = Vec::new();
            for (key, value) in entries {
                let key_text = text(key, "field")?;
                let item = item_of(key, &key_text, value, config)?;
                if item.field.is_empty() {
                    keywords.push(item);
                } else {
                    items.push(item);
                }
            }
            if items.is_empty() && keywords.len() == 1 {
                let Item {
                    test: Test::Values { all, matchers },
                    ..
                } = keywords.remove(0)
                else {
                    return Err(RuleError::new(node.span, "`exists` needs a field name"));
                };
                return Ok(Detection::Keywords { all, matchers });
            }
            if !keywords.is_empty() {
                return Err(RuleError::new(
                    node.span,
                    "a selection mixes field conditions with keywords (keys that start with `|`); \
                     put the keywords in a selection of their own",
                ));
            }
            if items.is_empty() {
                return Err(RuleError::new(node.span, "the selection is empty"));
            }
            Ok(Detection::AllOf(items))
        }
        Kind::Seq(list) if list.iter().all(|n| matches!(n.kind, Kind::Map(_))) && !list.is_empty() => Ok(
            Detection::AnyOf(list.iter().map(|n| detection_of(n, config)).collect::<Result<_, _>>()?),
        ),
        Kind::Seq(list) => {
            let mut matchers = Vec::new();
            for n in list {
                if matches!(n.kind, Kind::Map(_) | Kind::Seq(_)) {
                    return Err(RuleError::new(
                        n.span,
                        "a list of keywords holds only text; a list of selections holds only mappings",
                    ));
                }
                matchers.extend(values_of(n, &Modifiers::keyword(), config)?);
            }
            Ok(Detection::Keywords { all: false, matchers })
        }
        Kind::Str(_) | Kind::Int(_) | Kind::Float(_) => Ok(Detection::Keywords {
            all: false,
            matchers: values_of(node, &Modifiers::keyword(), config)?,
        }),
        other => Err(RuleError::new(
            node.span,
            format!("a selection should be a mapping or a list, not {}", other.describe()),
        )),
    }
}

/// The modifiers of one field, in the order written.
#[derive(Debug, Clone, Default)]
struct Modifiers {
    op: Option<(Op, &'static str)>,
    all: bool,
    cased: bool,
    regex: bool,
    flags: String,
    cidr: bool,
    base64: Option<bool>,
    encoding: Option<&'static str>,
    windash: bool,
    exists: bool,
    fieldref: bool,
    compare: Option<Cmp>,
    expand: bool,
}

impl Modifiers {
    fn keyword() -> Self {
        Modifiers {
            op: Some((Op::Contains, "contains")),
            ..Modifiers::default()
        }
    }
}

fn item_of(key: &Node, key_text: &str, value: &Node, config: &Config) -> Result<Item, RuleError> {
    let mut parts = key_text.split('|');
    let field = parts.next().unwrap_or_default().to_owned();
    let mut m = Modifiers::default();
    for word in parts {
        let set_op = |m: &mut Modifiers, op: Op, name: &'static str| -> Result<(), RuleError> {
            if let Some((_, old)) = m.op {
                return Err(RuleError::new(
                    key.span,
                    format!("`{name}` and `{old}` cannot both apply to `{field}`"),
                ));
            }
            m.op = Some((op, name));
            Ok(())
        };
        match word {
            "contains" => set_op(&mut m, Op::Contains, "contains")?,
            "startswith" => set_op(&mut m, Op::StartsWith, "startswith")?,
            "endswith" => set_op(&mut m, Op::EndsWith, "endswith")?,
            "all" => m.all = true,
            "cased" => m.cased = true,
            "re" => m.regex = true,
            "i" | "m" | "s" => m.flags.push_str(word),
            "cidr" => m.cidr = true,
            "base64" => m.base64 = Some(false),
            "base64offset" => m.base64 = Some(true),
            "wide" | "utf16le" => m.encoding = Some("utf16le"),
            "utf16be" => m.encoding = Some("utf16be"),
            "utf16" => m.encoding = Some("utf16"),
            "windash" => m.windash = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "lt" => m.compare = Some(Cmp::Lt),
            "lte" => m.compare = Some(Cmp::Lte),
            "gt" => m.compare = Some(Cmp::Gt),
            "gte" => m.compare = Some(Cmp::Gte),
            "expand" => m.expand = true,
            other => {
                let hint = did_you_mean(other, MODIFIERS.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(RuleError::new(key.span, format!("unknown modifier `{other}`{hint}")));
            }
        }
    }
    if !m.flags.is_empty() && !m.regex {
        return Err(RuleError::new(
            key.span,
            format!("the regex flags `{}` need the `re` modifier", m.flags),
        ));
    }
    let kinds = [m.regex, m.cidr, m.exists, m.fieldref, m.compare.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if kinds > 1 || (kinds == 1 && !m.fieldref && m.op.is_some()) {
        return Err(RuleError::new(
            key.span,
            format!("the modifiers of `{key_text}` contradict each other"),
        ));
    }
    // A keyword (`'|all': [...]`, no field) is searched for inside the event's values, as the
    // items of a keyword list are.
    if field.is_empty() && kinds == 0 && m.op.is_none() {
        m.op = Some((Op::Contains, "contains"));
    }
    if m.exists {
        let b = match &value.kind {
            Kind::Bool(b) => *b,
            Kind::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes") => true,
            Kind::Str(s) if s.eq_ignore_ascii_case("false") || s.eq_ignore_ascii_case("no") => false,
            other => {
                return Err(RuleError::new(
                    value.span,
                    format!("`exists` takes `true` or `false`, not {}", other.describe()),
                ));
            }
        };
        return Ok(Item {
            field,
            field_id: crate::matcher::UNSET,
            test: Test::Exists(b),
            literals: None,
        });
    }
    let matchers = match &value.kind {
        Kind::Seq(items) => {
            let mut out = Vec::new();
            for n in items {
                out.extend(values_of(n, &m, config)?);
            }
            out
        }
        _ => values_of(value, &m, config)?,
    };
    if matchers.is_empty() {
        return Err(RuleError::new(value.span, format!("`{key_text}` has no values")));
    }
    Ok(Item {
        field,
        field_id: crate::matcher::UNSET,
        test: Test::Values { all: m.all, matchers },
        literals: None,
    })
}

/// A Sigma string split into literal text and wildcards, escapes resolved.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Char(char),
    Star,
    One,
}

fn pieces(s: &str) -> Vec<Piece> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Piece::Char(n));
                    chars.next();
                }
                _ => out.push(Piece::Char('\\')),
            },
            '*' => out.push(Piece::Star),
            '?' => out.push(Piece::One),
            c => out.push(Piece::Char(c)),
        }
    }
    out
}

fn literal_of(p: &[Piece]) -> Option<String> {
    p.iter()
        .map(|x| match x {
            Piece::Char(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn values_of(node: &Node, m: &Modifiers, config: &Config) -> Result<Vec<Matcher>, RuleError> {
    let raw = match &node.kind {
        Kind::Null => {
            if m.op.is_some() || m.regex || m.compare.is_some() || m.cidr || m.fieldref {
                return Err(RuleError::new(node.span, "`null` cannot be combined with modifiers"));
            }
            return Ok(vec![Matcher::Null]);
        }
        Kind::Map(_) | Kind::Seq(_) => {
            return Err(RuleError::new(
                node.span,
                format!("a value should be text or a number, not {}", node.kind.describe()),
            ));
        }
        _ => text(node, "value")?,
    };
    let err = |message: String| RuleError::new(node.span, message);
    if let Some(cmp) = m.compare {
        let number = raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| err(format!("`{raw}` is not a number, and `lt`/`gt` compare numbers")))?;
        return Ok(vec![Matcher::Compare { cmp, number }]);
    }
    if m.cidr {
        let net = raw
            .trim()
            .parse::<ipnet::IpNet>()
            .or_else(|_| raw.trim().parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| err(format!("`{raw}` is not an address range like 10.0.0.0/8")))?;
        return Ok(vec![Matcher::Cidr(net)]);
    }
    if m.regex {
        let flags: String = m.flags.chars().filter(|c| "ims".contains(*c)).collect();
        let raw = ascii_classes(&raw);
        let pattern = if flags.is_empty() {
            raw
        } else {
            format!("(?{flags}){raw}")
        };
        let re = regex::RegexBuilder::new(&pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(64)
            .build()
            .map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
                err(format!("the regular expression does not compile: {first}"))
            })?;
        return Ok(vec![Matcher::Regex(re)]);
    }
    if m.fieldref {
        let op = m.op.map_or(Op::Equals, |(op, _)| op);
        return Ok(vec![Matcher::FieldRef {
            field: raw,
            op,
            cased: m.cased,
        }]);
    }
    // Text values: placeholders, then transformations, then the comparison.
    let mut values = vec![raw];
    if m.expand {
        values = expand(&values[0], config).map_err(err)?;
    }
    let mut piece_lists: Vec<Vec<Piece>> = values.iter().map(|v| pieces(v)).collect();
    if m.windash {
        let expanded: Option<Vec<Vec<Vec<Piece>>>> = piece_lists.iter().map(|p| windash(p)).collect();
        piece_lists = expanded.unwrap_or_default().into_iter().flatten().collect();
        if piece_lists.is_empty() || piece_lists.len() > MAX_EXPANDED_VALUES {
            return Err(err(format!(
                "`windash` expands this value into more than {MAX_EXPANDED_VALUES} variants"
            )));
        }
    }
    let mut op = m.op.map_or(Op::Equals, |(op, _)| op);
    let mut cased = m.cased;
    if let Some(offset) = m.base64 {
        let mut encoded = Vec::new();
        for p in &piece_lists {
            let lit = literal_of(p).ok_or_else(|| err("wildcards cannot be base64-encoded".to_owned()))?;
            let bytes = encode(&lit, m.encoding);
            if offset {
                encoded.extend(base64_offsets(&bytes));
            } else {
                encoded.push(base64::engine::general_purpose::STANDARD.encode(&bytes));
            }
        }
        if offset {
            op = Op::Contains;
        }
        // Base64 text is case-sensitive by nature.
        cased = true;
        piece_lists = encoded.iter().map(|e| e.chars().map(Piece::Char).collect()).collect();
    } else if m.encoding.is_some() {
        return Err(err(
            "`wide`/`utf16` apply to what `base64` encodes; add `base64` or `base64offset`".to_owned(),
        ));
    }
    Ok(piece_lists.into_iter().map(|p| text_matcher(p, op, cased)).collect())
}

/// Rewrites `\w`, `\d`, `\s` (and their negations) to the ASCII classes they mean in the
/// PCRE dialect Sigma rules are written in. Rust's Unicode classes are also much larger:
/// `\w{1,64}` alone compiles to megabytes.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                let (inside, outside) = match n {
                    'w' => ("0-9A-Za-z_", "[0-9A-Za-z_]"),
                    'd' => ("0-9", "[0-9]"),
                    's' => ("\\t\\n\\x0B\\x0C\\r ", "[\\t\\n\\x0B\\x0C\\r ]"),
                    'W' if !in_class => ("", "[^0-9A-Za-z_]"),
                    'D' if !in_class => ("", "[^0-9]"),
                    'S' if !in_class => ("", "[^\\t\\n\\x0B\\x0C\\r ]"),
                    _ => {
                        out.push(c);
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(if in_class { inside } else { outside });
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                let mut look = chars.clone();
                let mut prefix = String::new();
                if look.next() == Some('^') {
                    prefix.push('^');
                    if look.next() == Some(']') {
                        prefix.push(']');
                    }
                } else if chars.clone().next() == Some(']') {
                    prefix.push(']');
                }
                for _ in 0..prefix.chars().count() {
                    chars.next();
                }
                out.push_str(&prefix);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn text_matcher(p: Vec<Piece>, op: Op, cased: bool) -> Matcher {
    // The same lowercasing as event values get, so that both sides fold alike.
    let fold = |s: String| {
        if cased {
            s
        } else {
            crate::matcher::lowercase(&s).unwrap_or(s)
        }
    };
    if let Some(lit) = literal_of(&p) {
        return Matcher::Text {
            op,
            needle: fold(lit),
            cased,
            literal: crate::matcher::UNSET,
        };
    }
    let mut parts = Vec::new();
    if matches!(op, Op::Contains | Op::EndsWith) {
        parts.push(GlobPart::Star);
    }
    let mut lit = String::new();
    for piece in p {
        match piece {
            Piece::Char(c) => lit.push(c),
            Piece::Star | Piece::One => {
                if !lit.is_empty() {
                    parts.push(GlobPart::Lit(fold(std::mem::take(&mut lit))));
                }
                // Consecutive stars are one star.
                if !(piece == Piece::Star && parts.last() == Some(&GlobPart::Star)) {
                    parts.push(if piece == Piece::Star {
                        GlobPart::Star
                    } else {
                        GlobPart::One
                    });
                }
            }
        }
    }
    if !lit.is_empty() {
        parts.push(GlobPart::Lit(fold(lit)));
    }
    if matches!(op, Op::Contains | Op::StartsWith) && parts.last() != Some(&GlobPart::Star) {
        parts.push(GlobPart::Star);
    }
    Matcher::Glob {
        glob: Glob::new(parts),
        cased,
        literal: crate::matcher::UNSET,
    }
}

fn expand(value: &str, config: &Config) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut rest = value;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else { break };
        let name = &rest[start + 1..start + 1 + len];
        let values = config.placeholders.get(name).ok_or_else(|| {
            format!("the placeholder `%{name}%` has no value; give it one (`--placeholder {name}=VALUE`)")
        })?;
        let prefix = &rest[..start];
        let mut next = Vec::new();
        for o in &out {
            for v in values {
                next.push(format!("{o}{prefix}{v}"));
            }
        }
        if next.len() > MAX_EXPANDED_VALUES {
            return Err(format!(
                "placeholders expand this value into more than {MAX_EXPANDED_VALUES} values"
            ));
        }
        out = next;
        rest = &rest[start + len + 2..];
    }
    for o in &mut out {
        o.push_str(rest);
    }
    Ok(out)
}

/// The dashes Windows command lines accept for an option: `-`, `/`, en dash, em dash,
/// horizontal bar.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Every variant of a value where each `-` or `/` that starts an option (not after a letter or
/// digit, and before one) is written with each of the dashes; `None` when that would be more
/// than `MAX_EXPANDED_VALUES` variants.
fn windash(p: &[Piece]) -> Option<Vec<Vec<Piece>>> {
    let word = |x: Option<&Piece>| matches!(x, Some(Piece::Char(c)) if c.is_alphanumeric() || *c == '_');
    let positions: Vec<usize> = (0..p.len())
        .filter(|&i| {
            matches!(p[i], Piece::Char('-' | '/')) && !word(i.checked_sub(1).map(|j| &p[j])) && word(p.get(i + 1))
        })
        .collect();
    let count = u32::try_from(positions.len())
        .ok()
        .and_then(|n| DASHES.len().checked_pow(n));
    if count.is_none_or(|c| c > MAX_EXPANDED_VALUES) {
        return None;
    }
    let mut out = vec![p.to_vec()];
    for &at in &positions {
        out = out
            .iter()
            .flat_map(|v| {
                DASHES.iter().map(move |&d| {
                    let mut w = v.clone();
                    w[at] = Piece::Char(d);
                    w
                })
            })
            .collect();
    }
    Some(out)
}

fn encode(text: &str, encoding: Option<&str>) -> Vec<u8> {
    match encoding {
        None => text.as_bytes().to_vec(),
        Some("utf16be") => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some("utf16") => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Some(_) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    }
}

/// The three base64 forms `bytes` takes inside a longer encoded text, depending on its offset
/// modulo 3, with the characters that depend on the unknown neighbours cut off.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .filter_map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let enc = base64::engine::general_purpose::STANDARD.encode(&padded);
            let end_cut = END[(bytes.len() + i) % 3];
            let s = START[i];
            let e = enc.len().checked_sub(end_cut)?;
            (s < e).then(|| enc[s..e].to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_wildcards() {
        assert_eq!(
            pieces(r"a\*b"),
            vec![Piece::Char('a'), Piece::Char('*'), Piece::Char('b')]
        );
        assert_eq!(
            pieces(r"C:\W"),
            vec![Piece::Char('C'), Piece::Char(':'), Piece::Char('\\'), Piece::Char('W')]
        );
        assert_eq!(pieces(r"\\*"), vec![Piece::Char('\\'), Piece::Star]);
        assert_eq!(pieces("a?"), vec![Piece::Char('a'), Piece::One]);
        assert_eq!(pieces("x\\"), vec![Piece::Char('x'), Piece::Char('\\')]);
    }

    #[test]
    fn base64_offsets_match_the_known_forms() {
        // The three offsets of "http://" as SigmaHQ's documentation lists them.
        assert_eq!(base64_offsets(b"http://"), vec!["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]);
    }

    #[test]
    fn windash_varies_option_dashes_only() {
        let v = windash(&pieces(" -enc a-b")).unwrap();
        assert_eq!(v.len(), 5);
        // Five option dashes would be 3,125 variants: refused, never cut short.
        assert!(windash(&pieces(" -a -b -c -d -e")).is_none());
        assert_eq!(windash(&pieces(" -a -b -c -d")).unwrap().len(), 625);
        let texts: Vec<String> = v.iter().map(|p| literal_of(p).unwrap()).collect();
        assert!(texts.contains(&" /enc a-b".to_owned()));
        assert!(texts.contains(&" \u{2015}enc a-b".to_owned()));
    }

    #[test]
    fn regex_classes_are_ascii_as_in_pcre() {
        assert_eq!(ascii_classes(r"-k\s\w{1,64}"), r"-k[\t\n\x0B\x0C\r ][0-9A-Za-z_]{1,64}");
        assert_eq!(ascii_classes(r"[\w.-]+\W"), r"[0-9A-Za-z_.-]+[^0-9A-Za-z_]");
        assert_eq!(ascii_classes(r"\\w"), r"\\w");
        assert_eq!(ascii_classes(r"[]\d]"), r"[]0-9]");
        assert_eq!(ascii_classes(r"[^]\d]"), r"[^]0-9]");
    }

    #[test]
    fn keyword_maps_search_inside_values_as_keyword_lists_do() {
        let rule = "title: t\nlogsource: {product: cisco}\ndetection:\n  keywords:\n    '|all':\n      \
                    - ':179'\n      - 'BADAUTH'\n  condition: keywords\n";
        let (rules, _) = crate::load_str(rule, &Config::default()).unwrap();
        let set = crate::RuleSet::new(rules);
        let hit = |json: &str| {
            !set.matches_ignoring_logsource(&crate::Event::from_json(json).unwrap())
                .is_empty()
        };
        assert!(hit(r#"{"msg": "from 10.0.0.1:179: %TCP-6-BADAUTH"}"#));
        // Each keyword anywhere in the event, as a full-text search finds them.
        assert!(hit(r#"{"a": "x:179", "b": "BADAUTH y"}"#));
        assert!(!hit(r#"{"msg": "from 10.0.0.1:179"}"#));
    }

    #[test]
    fn placeholders_expand() {
        let mut config = Config::default();
        config
            .placeholders
            .insert("Admins".into(), vec!["a".into(), "b".into()]);
        assert_eq!(expand("x%Admins%y", &config).unwrap(), vec!["xay", "xby"]);
        assert!(
            expand("%Nope%", &config)
                .unwrap_err()
                .contains("--placeholder Nope=VALUE")
        );
    }
}
