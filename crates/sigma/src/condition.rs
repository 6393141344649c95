//! The `condition:` expression of a Sigma rule: `selection and not 1 of filter_*`, ….
//!
//! Grammar (lowest precedence first): `or`, `and`, `not`, then a primary: a parenthesised
//! expression, a detection name, or a quantifier (`1 of X`, `all of X`, `N of X`, where X is
//! `them`, a name, or a name pattern with `*`). Keywords are case-insensitive.

use std::fmt;

/// A parsed condition, still naming detections by text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Name(String),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `N of` (`Count(1)` for `1 of`) or `all of` a set of detections.
    Of(Quantity, Target),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    All,
    AtLeast(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Them,
    /// A name, or a pattern where `*` stands for any text.
    Pattern(String),
}

/// A condition that does not parse, with the 1-based column (in characters) where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Longest condition accepted, and deepest nesting of parentheses and `not`s.
pub const MAX_CONDITION_CHARS: usize = 16 * 1024;
pub const MAX_CONDITION_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Number(u32),
    Open,
    Close,
    Pipe,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((column, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((column, Tok::Close));
                i += 1;
            }
            '|' => {
                // What follows is an old-style aggregation, reported as a whole.
                out.push((column, Tok::Pipe));
                break;
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '*' | '-' | '.')) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let tok = match word.parse::<u32>() {
                    Ok(n) => Tok::Number(n),
                    Err(_) => Tok::Word(word),
                };
                out.push((column, tok));
            }
            other => {
                return Err(ConditionError {
                    column,
                    message: format!("unexpected character `{other}`"),
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end_column: usize,
    depth: usize,
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn column(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_column, |(c, _)| *c)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ConditionError> {
        Err(ConditionError {
            column: self.column(),
            message: message.into(),
        })
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if is_keyword(w, keyword))
    }

    fn enter(&mut self) -> Result<(), ConditionError> {
        self.depth += 1;
        if self.depth > MAX_CONDITION_DEPTH {
            return self.error(format!("the condition nests deeper than {MAX_CONDITION_DEPTH} levels"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut items = vec![self.and()?];
        while self.peek_keyword("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut items = vec![self.not()?];
        while self.peek_keyword("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, ConditionError> {
        if self.peek_keyword("not") {
            self.pos += 1;
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        match self.peek().cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::Close) {
                    return self.error("expected `)` to close the parenthesis");
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Number(n)) => {
                self.pos += 1;
                self.quantified(Quantity::AtLeast(n))
            }
            Some(Tok::Word(w)) if is_keyword(&w, "all") => {
                self.pos += 1;
                self.quantified(Quantity::All)
            }
            Some(Tok::Word(w)) if ["and", "or", "not", "of", "them"].iter().any(|k| is_keyword(&w, k)) => {
                self.error(format!("expected a detection name, found `{w}`"))
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                if w.contains('*') {
                    return Err(ConditionError {
                        column: self.toks[self.pos - 1].0,
                        message: format!("`{w}` is a pattern; write `1 of {w}` or `all of {w}`"),
                    });
                }
                Ok(Expr::Name(w))
            }
            Some(Tok::Close) => self.error("unexpected `)`"),
            Some(Tok::Pipe) => self.pipe_error(),
            None => self.error("the condition ends where a detection name was expected"),
        }
    }

    fn quantified(&mut self, quantity: Quantity) -> Result<Expr, ConditionError> {
        if !self.peek_keyword("of") {
            return self.error("expected `of` (as in `1 of selection_*`)");
        }
        self.pos += 1;
        match self.peek().cloned() {
            Some(Tok::Word(w)) if is_keyword(&w, "them") => {
                self.pos += 1;
                Ok(Expr::Of(quantity, Target::Them))
            }
            Some(Tok::Word(w)) if !["and", "or", "not", "of", "all"].iter().any(|k| is_keyword(&w, k)) => {
                self.pos += 1;
                Ok(Expr::Of(quantity, Target::Pattern(w)))
            }
            _ => self.error("expected `them` or a detection name or pattern after `of`"),
        }
    }

    fn pipe_error<T>(&self) -> Result<T, ConditionError> {
        self.error(
            "aggregations after `|` (`| count() by …`) are not part of Sigma any more; \
             write a correlation rule (`correlation: {type: event_count, …}`)",
        )
    }
}

/// Parses a condition expression.
pub fn parse(text: &str) -> Result<Expr, ConditionError> {
    if text.chars().count() > MAX_CONDITION_CHARS {
        return Err(ConditionError {
            column: 1,
            message: format!("the condition is longer than {MAX_CONDITION_CHARS} characters"),
        });
    }
    let toks = tokenize(text)?;
    let mut parser = Parser {
        toks,
        pos: 0,
        end_column: text.chars().count() + 1,
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(Tok::Pipe) => parser.pipe_error(),
        Some(Tok::Close) => parser.error("unexpected `)` without a matching `(`"),
        Some(_) => parser.error("expected `and`, `or` or the end of the condition"),
    }
}

/// Whether a detection name matches a pattern of `1 of` / `all of` (`*` stands for any text).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Expr {
        Expr::Name(n.into())
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Expr::Or(vec![
                name("a"),
                Expr::And(vec![name("b"), Expr::Not(Box::new(name("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c").unwrap(),
            Expr::And(vec![Expr::Or(vec![name("a"), name("b")]), name("c")])
        );
    }

    #[test]
    fn quantifiers() {
        assert_eq!(
            parse("selection and not 1 of filter_*").unwrap(),
            Expr::And(vec![
                name("selection"),
                Expr::Not(Box::new(Expr::Of(
                    Quantity::AtLeast(1),
                    Target::Pattern("filter_*".into())
                )))
            ])
        );
        assert_eq!(parse("all of them").unwrap(), Expr::Of(Quantity::All, Target::Them));
        assert_eq!(
            parse("2 OF them").unwrap(),
            Expr::Of(Quantity::AtLeast(2), Target::Them)
        );
    }

    #[test]
    fn errors_say_where() {
        let e = parse("selection and").unwrap_err();
        assert_eq!(e.column, 14);
        let e = parse("(a or b").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (8, "expected `)` to close the parenthesis")
        );
        let e = parse("selection | count() > 5").unwrap_err();
        assert_eq!(e.column, 11);
        assert!(e.message.contains("correlation"));
        let e = parse("a b").unwrap_err();
        assert_eq!(e.column, 3);
        let e = parse("sel_*").unwrap_err();
        assert!(e.message.contains("1 of sel_*"), "{}", e.message);
        let e = parse("a $ b").unwrap_err();
        assert_eq!(e.column, 3);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        let nots = format!("{}a", "not ".repeat(100));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn patterns() {
        assert!(name_matches("filter_*", "filter_main"));
        assert!(name_matches("*_img", "sel_img"));
        assert!(name_matches("a*b*c", "axxbyyc"));
        assert!(!name_matches("a*b*c", "ac"));
        assert!(name_matches("*", "anything"));
        assert!(!name_matches("sel", "selection"));
    }
}
