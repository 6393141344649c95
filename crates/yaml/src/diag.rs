//! Diagnostics: a problem in a file, with the place it was found and a hint.

use std::fmt;

/// A 1-based line and column (in characters) in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

impl Span {
    pub const fn new(line: u32, col: u32) -> Self {
        Span { line, col }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One problem in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// What the author can do about it, in a few words.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Renders the diagnostic as `FILE:LINE:COL: error: message`, then the offending source
    /// line with a caret under the column (when `source` has that line), then the hint.
    pub fn render(&self, file: &str, source: Option<&str>) -> String {
        self.render_as("error", file, source)
    }

    /// Renders the diagnostic as [`Diagnostic::render`] does, as a warning: something that
    /// loads and runs, but probably not as the author meant.
    pub fn render_warning(&self, file: &str, source: Option<&str>) -> String {
        self.render_as("warning", file, source)
    }

    fn render_as(&self, severity: &str, file: &str, source: Option<&str>) -> String {
        let mut out = format!(
            "{file}:{}:{}: {severity}: {}\n",
            self.span.line, self.span.col, self.message
        );
        if let Some(line) = source.and_then(|s| source_line(s, self.span.line)) {
            let number = self.span.line.to_string();
            let pad = " ".repeat(number.len());
            // Tabs would shift the caret; show them as single spaces in both lines.
            let shown: String = line
                .chars()
                .take(200)
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let caret_at = (self.span.col as usize).saturating_sub(1).min(shown.chars().count());
            out.push_str(&format!("{number} | {shown}\n"));
            out.push_str(&format!("{pad} | {}^\n", " ".repeat(caret_at)));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("  hint: {hint}\n"));
        }
        out
    }
}

fn source_line(source: &str, line: u32) -> Option<&str> {
    if line == 0 {
        return None;
    }
    source
        .split('\n')
        .nth(line as usize - 1)
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Suggests the closest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_line_and_hint() {
        let d = Diagnostic::new(Span::new(2, 3), "unknown field `hostnme` in host").hint("did you mean `hostname`?");
        let text = d.render("x.yaml", Some("a:\n  hostnme: PW\n"));
        assert_eq!(
            text,
            "x.yaml:2:3: error: unknown field `hostnme` in host\n\
             2 |   hostnme: PW\n  \
               |   ^\n  \
             hint: did you mean `hostname`?\n"
        );
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(did_you_mean("hostnme", ["hostname", "network"]), Some("hostname"));
        assert_eq!(did_you_mean("zzz", ["hostname", "network"]), None);
    }
}
